//! 連絡体制図 — the contact chart drawn from the contacts: one layout (tiers of boxes and
//! the lines between them), rendered as SVG for the page and the A4 print view and as
//! text boxes in the xlsx export, so both show the same chart. A required role or body
//! without a contact is drawn as a red dashed 「未登録」 box.
//!
//! Tiers, top to bottom: 発見者 → 院内の初動 (CSIRT・院内連絡担当, 当直) → 責任者
//! (安全管理責任者, 部門責任者) → 管理者 → 外部委託業者 → 外部関係機関 (厚生労働省, 個人情報
//! 保護委員会, 警察, IPA). Pure: no I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anzen_core::rules::incident::{Contact, ContactRole};

/// Width of the drawing (px at 96 dpi: fits A4 portrait within 15 mm margins).
pub const WIDTH: i32 = 720;
const GAP: i32 = 12;
const PER_ROW: usize = 4;
const LINE_H: i32 = 15;
const TITLE_H: i32 = 18;
const PAD: i32 = 6;
const TIER_LABEL_H: i32 = 16;
const TIER_GAP: i32 = 30;
const MAX_PEOPLE: usize = 3;

/// Which tier a box is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Reporter,
    FirstResponse,
    Responsible,
    Administrator,
    Vendors,
    Authorities,
}

impl Tier {
    pub fn label_ja(self) -> &'static str {
        match self {
            Tier::Reporter => "発見",
            Tier::FirstResponse => "院内の初動（最初に連絡）",
            Tier::Responsible => "責任者",
            Tier::Administrator => "管理者（最終判断）",
            Tier::Vendors => "外部委託業者（ア）",
            Tier::Authorities => "外部関係機関（イ〜オ）",
        }
    }

    fn of(role: &ContactRole) -> Tier {
        match role {
            ContactRole::Csirt | ContactRole::OnCall => Tier::FirstResponse,
            ContactRole::SecurityOfficer | ContactRole::DepartmentHead => Tier::Responsible,
            ContactRole::Administrator => Tier::Administrator,
            ContactRole::Vendor(_) | ContactRole::Other(_) => Tier::Vendors,
            ContactRole::Mhlw | ContactRole::Ppc | ContactRole::Police | ContactRole::Ipa => {
                Tier::Authorities
            }
        }
    }

    fn internal(self) -> bool {
        matches!(
            self,
            Tier::FirstResponse | Tier::Responsible | Tier::Administrator
        )
    }
}

/// One box of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartBox {
    /// Role code (`csirt`, `vendor:〇〇`, …) or `reporter`.
    pub code: String,
    pub tier: Tier,
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    /// The role's label, wrapped to at most three lines.
    pub title: Vec<String>,
    /// Names and numbers, already shortened to fit.
    pub lines: Vec<String>,
    /// A required role or body without a contact.
    pub missing: bool,
}

/// A straight line between boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
    /// Ends in an arrow head (into a box).
    pub arrow: bool,
}

/// The laid-out chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    pub boxes: Vec<ChartBox>,
    pub segments: Vec<Segment>,
    /// Tier labels: (y, text).
    pub labels: Vec<(i32, String)>,
}

/// Approximate drawn width of `s` at 11 px: full-width characters 11 px, others 6.5 px.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 6.5 } else { 11.0 })
        .sum()
}

/// `s` wrapped into lines of at most `px` (title size, 12 px per full-width character),
/// at most `max` lines, the last shortened with 「…」.
pub fn wrap(s: &str, px: i32, max: usize) -> Vec<String> {
    let limit = f64::from(px);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = if c.is_ascii() { 7.0 } else { 12.0 };
        if w + cw > limit && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            w = 0.0;
        }
        cur.push(c);
        w += cw;
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max {
        let rest: String = lines[max - 1..].concat();
        lines.truncate(max - 1);
        lines.push(fit(&rest, px * 11 / 12));
    }
    lines
}

/// `s` shortened with 「…」 to fit `px`.
pub fn fit(s: &str, px: i32) -> String {
    let max = f64::from(px);
    if text_width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 11.0;
    for c in s.chars() {
        let cw = if c.is_ascii() { 6.5 } else { 11.0 };
        if w + cw > max {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

fn filled(o: &Option<String>) -> Option<&str> {
    o.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn person_lines(c: &Contact, w: i32) -> Vec<String> {
    let mut v = Vec::new();
    let order = c
        .escalation_order
        .map(|n| format!("{n}. "))
        .unwrap_or_default();
    let org = c
        .organisation
        .as_deref()
        .filter(|o| !o.trim().is_empty() && !matches!(c.role, ContactRole::Vendor(_)))
        .map(|o| format!("（{}）", o.trim()))
        .unwrap_or_default();
    v.push(fit(&format!("{order}{}{org}", c.name.trim()), w));
    match (filled(&c.phone), filled(&c.email)) {
        (None, None) => v.push("連絡手段が未登録".to_owned()),
        (p, e) => {
            if let Some(p) = p {
                v.push(fit(&format!("TEL {p}"), w));
            }
            if let Some(e) = e {
                v.push(fit(e, w));
            }
        }
    }
    if let Some(h) = filled(&c.hours) {
        v.push(fit(h, w));
    }
    v
}

/// The boxes' content per tier, before placement: (code, title, contacts, missing).
type Content = (String, String, Vec<Contact>, bool);
/// A box's text before placement: (code, title lines, lines, missing).
type Rendered = (String, Vec<String>, Vec<String>, bool);

fn contents(contacts: &[Contact], vendors: &[String]) -> BTreeMap<Tier, Vec<Content>> {
    let mut by_code: BTreeMap<String, (ContactRole, Vec<Contact>)> = BTreeMap::new();
    for c in contacts {
        by_code
            .entry(c.role.code())
            .or_insert_with(|| (c.role.clone(), Vec::new()))
            .1
            .push(c.clone());
    }
    let mut tiers: BTreeMap<Tier, Vec<Content>> = BTreeMap::new();
    // Required roles first, in the order of the 要綱 (ア–オ for the bodies), then the rest.
    let mut order: Vec<ContactRole> = vec![
        ContactRole::Csirt,
        ContactRole::OnCall,
        ContactRole::SecurityOfficer,
        ContactRole::DepartmentHead,
        ContactRole::Administrator,
    ];
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut vendor_roles: Vec<ContactRole> = by_code
        .values()
        .filter(|(r, _)| matches!(r, ContactRole::Vendor(_)))
        .map(|(r, _)| r.clone())
        .collect();
    for v in vendors {
        let known = vendor_roles
            .iter()
            .any(|r| r.role_name().map(fold) == Some(fold(v)));
        if !v.trim().is_empty() && !known {
            vendor_roles.push(ContactRole::Vendor(v.trim().to_owned()));
        }
    }
    order.extend(vendor_roles.iter().cloned());
    order.extend(
        by_code
            .values()
            .filter(|(r, _)| matches!(r, ContactRole::Other(_)))
            .map(|(r, _)| r.clone()),
    );
    order.extend([
        ContactRole::Mhlw,
        ContactRole::Ppc,
        ContactRole::Police,
        ContactRole::Ipa,
    ]);
    for role in order {
        let people = by_code
            .get(&role.code())
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let required =
            ContactRole::REQUIRED.contains(&role) || matches!(role, ContactRole::Vendor(_));
        if people.is_empty() && !required {
            continue;
        }
        let title = match &role {
            ContactRole::Vendor(n) => format!("外部委託業者: {n}"),
            r => r.label_ja(),
        };
        tiers.entry(Tier::of(&role)).or_default().push((
            role.code(),
            title,
            people.clone(),
            people.is_empty(),
        ));
    }
    if vendor_roles.is_empty() {
        tiers.entry(Tier::Vendors).or_default().insert(
            0,
            (
                "vendor".to_owned(),
                "外部委託業者（保守事業者等）".to_owned(),
                Vec::new(),
                true,
            ),
        );
    }
    tiers
}

/// Lays out the chart for `contacts`; `vendors` are the 外部委託業者 the institution has (a
/// vendor without a contact gets a 未登録 box, as does ア when there is no vendor at all).
pub fn layout(contacts: &[Contact], vendors: &[String]) -> Layout {
    let mut tiers = contents(contacts, vendors);
    tiers.insert(
        Tier::Reporter,
        vec![(
            "reporter".to_owned(),
            "発見者（職員・委託業者）".to_owned(),
            Vec::new(),
            false,
        )],
    );
    let mut boxes = Vec::new();
    let mut labels = Vec::new();
    let mut segments = Vec::new();
    let mut y = 4;
    // (boxes of the previous tier)
    let mut prev: Vec<usize> = Vec::new();
    for (tier, items) in &tiers {
        labels.push((y + 11, tier.label_ja().to_owned()));
        y += TIER_LABEL_H;
        let mut this = Vec::new();
        for row in items.chunks(PER_ROW) {
            let n = i32::try_from(row.len()).unwrap_or(1);
            let w = ((WIDTH - (n - 1) * GAP) / n).min(240);
            let total = n * w + (n - 1) * GAP;
            let x0 = (WIDTH - total) / 2;
            let rendered: Vec<Rendered> = row
                .iter()
                .map(|(code, title, people, missing)| {
                    let mut lines = Vec::new();
                    if *tier == Tier::Reporter {
                        lines.push("異常に気づいたら、すぐ下の連絡先へ".to_owned());
                    } else if *missing {
                        lines.push("未登録 — 連絡先を登録してください".to_owned());
                    }
                    let mut sorted = people.clone();
                    sorted.sort_by_key(|c| c.escalation_order.unwrap_or(u32::MAX));
                    for c in sorted.iter().take(MAX_PEOPLE) {
                        lines.extend(person_lines(c, w - 2 * PAD));
                    }
                    if sorted.len() > MAX_PEOPLE {
                        lines.push(format!("ほか{}名", sorted.len() - MAX_PEOPLE));
                    }
                    (code.clone(), wrap(title, w - 2 * PAD, 3), lines, *missing)
                })
                .collect();
            let h = rendered
                .iter()
                .map(|r| {
                    TITLE_H * i32::try_from(r.1.len()).unwrap_or(1)
                        + PAD
                        + LINE_H * i32::try_from(r.2.len()).unwrap_or(0)
                        + PAD
                })
                .max()
                .unwrap_or(40);
            for (i, (code, title, lines, missing)) in rendered.into_iter().enumerate() {
                let i = i32::try_from(i).unwrap_or(0);
                this.push(boxes.len());
                boxes.push(ChartBox {
                    code,
                    tier: *tier,
                    x: x0 + i * (w + GAP),
                    y,
                    w,
                    h,
                    title,
                    lines,
                    missing,
                });
            }
            y += h + GAP;
        }
        // Lines from the previous tier: each box down to a bus, the bus across, down into
        // each box of the first row of this tier.
        if !prev.is_empty() {
            let bottom = prev
                .iter()
                .map(|&i| boxes[i].y + boxes[i].h)
                .max()
                .unwrap_or(0);
            let first_row_top = this.first().map_or(bottom, |&i| boxes[i].y);
            let bus = (bottom + first_row_top - TIER_LABEL_H) / 2;
            let targets: Vec<usize> = this
                .iter()
                .copied()
                .filter(|&i| boxes[i].y == first_row_top)
                .collect();
            let xs: Vec<i32> = prev
                .iter()
                .chain(targets.iter())
                .map(|&i| boxes[i].x + boxes[i].w / 2)
                .collect();
            for &i in &prev {
                let b = &boxes[i];
                segments.push(Segment {
                    x1: b.x + b.w / 2,
                    y1: b.y + b.h,
                    x2: b.x + b.w / 2,
                    y2: bus,
                    arrow: false,
                });
            }
            if let (Some(&lo), Some(&hi)) = (xs.iter().min(), xs.iter().max())
                && lo != hi
            {
                segments.push(Segment {
                    x1: lo,
                    y1: bus,
                    x2: hi,
                    y2: bus,
                    arrow: false,
                });
            }
            for &i in &targets {
                let b = &boxes[i];
                segments.push(Segment {
                    x1: b.x + b.w / 2,
                    y1: bus,
                    x2: b.x + b.w / 2,
                    y2: b.y,
                    arrow: true,
                });
            }
        }
        // The next tier connects to this tier's last row.
        let last_top = this.last().map_or(0, |&i| boxes[i].y);
        prev = this
            .into_iter()
            .filter(|&i| boxes[i].y == last_top)
            .collect();
        y += TIER_GAP - GAP;
    }
    Layout {
        width: WIDTH,
        height: y,
        boxes,
        segments,
        labels,
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart as an SVG element (escaped; safe to embed in HTML as is). Each box is a
/// `<g class="chart-box" data-role="…" data-missing="true|false">`.
pub fn svg(l: &Layout, title: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="contact-chart-svg" class="contact-chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}" font-family="'Noto Sans CJK JP','Hiragino Sans','Yu Gothic',sans-serif"><title>{t}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>"##,
        w = l.width,
        h = l.height,
        t = esc(title)
    );
    for (y, text) in &l.labels {
        let _ = write!(
            s,
            r##"<text x="0" y="{y}" font-size="11" fill="#555">{}</text>"##,
            esc(text)
        );
    }
    for g in &l.segments {
        let _ = write!(
            s,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333" stroke-width="1.2"{}/>"##,
            g.x1,
            g.y1,
            g.x2,
            g.y2,
            if g.arrow {
                r#" marker-end="url(#arrow)""#
            } else {
                ""
            }
        );
    }
    for b in &l.boxes {
        let (fill, stroke, dash) = if b.missing {
            ("#fff0f0", "#b00020", r#" stroke-dasharray="5 3""#)
        } else if b.tier.internal() {
            ("#eef4fb", "#2b5b8a", "")
        } else if b.tier == Tier::Reporter {
            ("#fffbe6", "#8a6d00", "")
        } else {
            ("#f4f4f4", "#555555", "")
        };
        let _ = write!(
            s,
            r##"<g class="chart-box" data-role="{}" data-missing="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="1.4"{dash}/>"##,
            esc(&b.code),
            b.missing,
            b.x,
            b.y,
            b.w,
            b.h,
        );
        let color = if b.missing { "#b00020" } else { "#1d2430" };
        for (i, t) in b.title.iter().enumerate() {
            let i = i32::try_from(i).unwrap_or(0);
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="12" font-weight="bold" fill="{color}">{}</text>"##,
                b.x + PAD,
                b.y + TITLE_H * (i + 1) - 2,
                esc(t)
            );
        }
        let top = b.y + TITLE_H * i32::try_from(b.title.len()).unwrap_or(1);
        for (i, line) in b.lines.iter().enumerate() {
            let i = i32::try_from(i).unwrap_or(0);
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="11" fill="{color}">{}</text>"##,
                b.x + PAD,
                top + PAD + LINE_H * i + 8,
                esc(line)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(role: ContactRole, name: &str) -> Contact {
        Contact {
            role,
            name: name.to_owned(),
            organisation: None,
            phone: Some("03-1111-2222".to_owned()),
            email: None,
            hours: Some("24時間".to_owned()),
            escalation_order: None,
        }
    }

    fn boxes_of(l: &Layout) -> Vec<(&str, bool)> {
        l.boxes
            .iter()
            .map(|b| (b.code.as_str(), b.missing))
            .collect()
    }

    #[test]
    fn every_required_role_is_drawn_and_each_missing_one_is_flagged() {
        // Nothing entered: every required role and ア appear, all flagged 未登録.
        let empty = layout(&[], &[]);
        for role in ContactRole::REQUIRED {
            assert!(
                boxes_of(&empty).contains(&(role.code().as_str(), true)),
                "{role:?} missing from {:?}",
                boxes_of(&empty)
            );
        }
        assert!(boxes_of(&empty).contains(&("vendor", true)));
        let svg_text = svg(&empty, "連絡体制図");
        for role in ContactRole::REQUIRED {
            let head: String = role.label_ja().chars().take(8).collect();
            assert!(svg_text.contains(&head), "{role:?}: {head}");
            assert!(svg_text.contains(&format!(
                r#"data-role="{}" data-missing="true""#,
                role.code()
            )));
        }

        // All but the police, with a listed vendor that has a contact and one that has none.
        let mut contacts: Vec<Contact> = ContactRole::REQUIRED
            .into_iter()
            .filter(|r| *r != ContactRole::Police)
            .map(|r| c(r, "担当"))
            .collect();
        contacts.push(c(
            ContactRole::Vendor("メディシス株式会社".into()),
            "保守窓口",
        ));
        let l = layout(
            &contacts,
            &["メディシス 株式会社".into(), "さくらネット".into()],
        );
        let b = boxes_of(&l);
        let missing: Vec<&str> = b.iter().filter(|x| x.1).map(|x| x.0).collect();
        assert_eq!(missing, vec!["vendor:さくらネット", "police"], "{b:?}");
        let text = svg(&l, "連絡体制図");
        assert!(text.contains("TEL 03-1111-2222"));
        assert!(text.contains(r#"data-role="police" data-missing="true""#));
        assert!(text.contains(r#"data-role="mhlw" data-missing="false""#));
        assert!(text.contains("未登録"));
    }

    #[test]
    fn tiers_run_top_down_and_lines_end_in_boxes() {
        let contacts: Vec<Contact> = ContactRole::REQUIRED
            .into_iter()
            .map(|r| c(r, "担当"))
            .collect();
        let l = layout(&contacts, &[]);
        let y_of = |code: &str| {
            l.boxes
                .iter()
                .find(|b| b.code == code)
                .map(|b| b.y)
                .unwrap_or(-1)
        };
        assert!(y_of("reporter") < y_of("csirt"));
        assert!(y_of("csirt") < y_of("security_officer"));
        assert!(y_of("security_officer") < y_of("administrator"));
        assert!(y_of("administrator") < y_of("vendor"));
        assert!(y_of("vendor") < y_of("mhlw"));
        assert_eq!(y_of("mhlw"), y_of("ipa"), "the four bodies on one row");
        for g in l.segments.iter().filter(|g| g.arrow) {
            assert!(
                l.boxes
                    .iter()
                    .any(|b| b.y == g.y2 && b.x < g.x2 && g.x2 < b.x + b.w),
                "{g:?} ends in no box"
            );
        }
        for b in &l.boxes {
            assert!(b.x >= 0 && b.x + b.w <= WIDTH, "{b:?}");
        }
        assert!(l.height > y_of("ipa"));
    }

    #[test]
    fn text_is_escaped_and_shortened() {
        let mut x = c(ContactRole::Other("<script>".into()), "A&B \"株式会社\"");
        x.email = Some(
            "a-very-long-address-for-the-incident-desk@example-medical-corporation.co.jp".into(),
        );
        let l = layout(&[x], &[]);
        let text = svg(&l, "図");
        assert!(!text.contains("<script>"));
        assert!(text.contains("&lt;script&gt;"));
        assert!(text.contains("A&amp;B"));
        assert!(text.contains('…'), "long e-mail shortened");
    }
}
