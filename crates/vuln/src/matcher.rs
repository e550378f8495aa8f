//! 脆弱性照合 — evaluate an NVD CVE's `configurations` against an asset's CPE names.
//!
//! Semantics (strict NVD/CPE, with the policy choices pinned in the tests):
//!
//! - part, vendor and product must be equal (or the criteria wildcard must cover them);
//! - a criteria with a concrete version must equal the asset's version (compared in the
//!   product's [`Scheme`]); update / sw_edition must match when the criteria gives them;
//! - a criteria with version `*` is checked against `versionStart/End{Including,Excluding}`;
//! - a criteria with version `-` (NVD: "the product, no version distinction") against an
//!   asset with a concrete, readable version is 要確認: NVD gives no fixed build;
//! - nodes combine their entries with OR/AND and may be negated; configurations combine their
//!   nodes with OR (default) or AND;
//! - `vulnerable: false` entries (platforms) only satisfy a condition and are never the
//!   finding; a node of platforms only is taken as satisfied when the asset has no CPE of the
//!   platform's part at all (e.g. the hardware is not in the ledger), and the explanation says
//!   so;
//! - an asset attribute that is unknown (`*`) where the criteria is specific is 要確認 for
//!   version and update, tolerated (and mentioned) for sw_edition `-` and for
//!   edition/language/target_sw/target_hw/other;
//! - anything the version scheme cannot read is 要確認 with the reason, never a silent yes/no.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::cpe::{Component, Cpe, Relation};
use crate::feeds::{Configuration, CpeMatch, CveRecord, KevCatalog, Node, Operator};
use crate::finding::{CveRef, Finding, FindingKind, KevRef, Priority};
use crate::version::{Prepared, Scheme, compare};

/// One criteria the asset hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// 1-based configuration number in the NVD record.
    pub configuration: usize,
    /// The criteria CPE 2.3 string.
    pub criteria: String,
    /// The range or exact version, in Japanese (`6.0.0 以上 6.0.5 未満`, `バージョン 13.0`,
    /// `全バージョン`).
    pub range_ja: String,
    /// The asset CPE that hit.
    pub asset_cpe: String,
    /// The asset version as compared (with the update joined for Ivanti / PAN-OS).
    pub asset_version: String,
    /// `vulnerable` flag of the criteria.
    pub vulnerable: bool,
    /// Assumptions made (unknown target_hw, platform not in the ledger …).
    pub notes_ja: Vec<String>,
}

impl Hit {
    /// `cpe:2.3:o:fortinet:fortios:*:… の 6.0.0 以上 6.0.5 未満 に該当 (6.0.4)`.
    pub fn explain_ja(&self) -> String {
        let mut s = format!(
            "構成{}: {} の {} に該当 ({})",
            self.configuration, self.criteria, self.range_ja, self.asset_version
        );
        for n in &self.notes_ja {
            s.push('。');
            s.push_str(n);
        }
        s
    }
}

/// The result of matching one asset against one CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchResult {
    /// The asset matches.
    Match {
        /// Japanese explanation (one line per vulnerable hit, then platform notes).
        explanation: String,
        /// The vulnerable criteria hit.
        hits: Vec<Hit>,
    },
    /// 要確認: the data cannot decide.
    NeedsReview {
        /// Why, in Japanese.
        reason_ja: String,
    },
    /// No configuration matches.
    NoMatch,
}

impl MatchResult {
    /// Whether this is a match.
    pub fn is_match(&self) -> bool {
        matches!(self, MatchResult::Match { .. })
    }
    /// Whether this is 要確認.
    pub fn is_review(&self) -> bool {
        matches!(self, MatchResult::NeedsReview { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    Unknown,
    False,
}

#[derive(Debug)]
enum EntryEval {
    Hit(Hit),
    Review(String),
    Miss,
}

#[derive(Debug, Default)]
struct Eval {
    hits: Vec<Hit>,
    reviews: Vec<String>,
    /// A vulnerable entry hit or was undecided (so an Unknown result concerns the CVE itself).
    vulnerable_involved: bool,
}

/// Matches one CVE record against the CPE names of one asset.
pub fn match_cve(cve: &CveRecord, asset: &[Cpe]) -> MatchResult {
    let mut matched: Vec<Hit> = Vec::new();
    let mut reviews: Vec<String> = Vec::new();
    for (i, conf) in cve.configurations.iter().enumerate() {
        let (state, ev) = eval_configuration(i + 1, conf, asset);
        match state {
            Tri::True if ev.hits.iter().any(|h| h.vulnerable) => matched.extend(ev.hits),
            Tri::Unknown if ev.vulnerable_involved => {
                for r in ev.reviews {
                    let r = format!("構成{}: {r}", i + 1);
                    if !reviews.contains(&r) {
                        reviews.push(r);
                    }
                }
            }
            _ => {}
        }
    }
    if !matched.is_empty() {
        let mut lines: Vec<String> = matched
            .iter()
            .filter(|h| h.vulnerable)
            .map(Hit::explain_ja)
            .collect();
        for h in matched.iter().filter(|h| !h.vulnerable) {
            let mut line = format!(
                "構成{}: 前提のプラットフォーム {} に該当 ({})",
                h.configuration, h.criteria, h.asset_version
            );
            for n in &h.notes_ja {
                line.push('。');
                line.push_str(n);
            }
            lines.push(line);
        }
        lines.dedup();
        let hits = matched.into_iter().filter(|h| h.vulnerable).collect();
        return MatchResult::Match {
            explanation: lines.join("\n"),
            hits,
        };
    }
    if !reviews.is_empty() {
        return MatchResult::NeedsReview {
            reason_ja: reviews.join("\n"),
        };
    }
    MatchResult::NoMatch
}

fn combine(op: Operator, parts: Vec<(Tri, Eval)>) -> (Tri, Eval) {
    let mut out = Eval::default();
    let states: Vec<Tri> = parts.iter().map(|(t, _)| *t).collect();
    let state = match op {
        Operator::Or => {
            if states.contains(&Tri::True) {
                Tri::True
            } else if states.contains(&Tri::Unknown) {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        Operator::And => {
            if states.is_empty() || states.contains(&Tri::False) {
                Tri::False
            } else if states.contains(&Tri::Unknown) {
                Tri::Unknown
            } else {
                Tri::True
            }
        }
    };
    for (t, ev) in parts {
        out.vulnerable_involved |= ev.vulnerable_involved;
        match (state, t) {
            (Tri::True, Tri::True) => out.hits.extend(ev.hits),
            (Tri::Unknown, Tri::Unknown) => out.reviews.extend(ev.reviews),
            // Under AND/Unknown the true parts still explain what did hit.
            (Tri::Unknown, Tri::True) => out.hits.extend(ev.hits),
            _ => {}
        }
    }
    (state, out)
}

fn negate(neg: bool, (t, ev): (Tri, Eval)) -> (Tri, Eval) {
    if !neg {
        return (t, ev);
    }
    match t {
        Tri::True => (Tri::False, Eval::default()),
        Tri::False => (Tri::True, Eval::default()),
        Tri::Unknown => (Tri::Unknown, ev),
    }
}

fn eval_configuration(n: usize, conf: &Configuration, asset: &[Cpe]) -> (Tri, Eval) {
    let parts = conf
        .nodes
        .iter()
        .map(|node| negate(node.negate, eval_node(n, node, asset)))
        .collect();
    negate(
        conf.negate,
        combine(conf.operator.unwrap_or(Operator::Or), parts),
    )
}

fn eval_node(n: usize, node: &Node, asset: &[Cpe]) -> (Tri, Eval) {
    let mut parts = Vec::with_capacity(node.cpe_match.len());
    for m in &node.cpe_match {
        let mut best = EntryEval::Miss;
        for a in asset {
            match eval_entry(n, m, a) {
                h @ EntryEval::Hit(_) => {
                    best = h;
                    break;
                }
                EntryEval::Review(r) => {
                    if !matches!(best, EntryEval::Review(_)) {
                        best = EntryEval::Review(r);
                    }
                }
                EntryEval::Miss => {}
            }
        }
        let ev = match best {
            EntryEval::Hit(h) => (
                Tri::True,
                Eval {
                    vulnerable_involved: m.vulnerable,
                    hits: vec![h],
                    reviews: vec![],
                },
            ),
            EntryEval::Review(r) => (
                Tri::Unknown,
                Eval {
                    vulnerable_involved: m.vulnerable,
                    hits: vec![],
                    reviews: vec![r],
                },
            ),
            EntryEval::Miss => (Tri::False, Eval::default()),
        };
        parts.push(ev);
    }
    let (state, mut ev) = combine(node.operator, parts);
    // A node listing only platforms (vulnerable: false) whose kind of CPE (e.g. hardware)
    // the asset does not describe at all is taken as satisfied.
    let platform_only = !node.cpe_match.is_empty() && node.cpe_match.iter().all(|m| !m.vulnerable);
    if platform_only && state == Tri::False {
        let parts_needed: Vec<&Component> =
            node.cpe_match.iter().map(|m| m.criteria.part()).collect();
        let asset_has_part = asset.iter().any(|a| parts_needed.contains(&a.part()));
        if !asset_has_part && node.negate {
            // An exclusion ("not on this platform") cannot be assumed either way.
            let kind = part_label(node.cpe_match.first().map(|m| m.criteria.part()));
            ev.reviews.push(format!(
                "台帳に{kind}の記載がないため、除外条件（{} 等）を判定できません",
                node.cpe_match
                    .first()
                    .map(|m| m.criteria.to_string())
                    .unwrap_or_default()
            ));
            return (Tri::Unknown, ev);
        }
        if !asset_has_part {
            let examples: Vec<String> = node
                .cpe_match
                .iter()
                .take(2)
                .map(|m| {
                    format!(
                        "{}:{}:{}",
                        m.criteria.part(),
                        m.criteria.vendor(),
                        m.criteria.product()
                    )
                })
                .collect();
            let more = if node.cpe_match.len() > 2 { " 等" } else { "" };
            let kind = part_label(node.cpe_match.first().map(|m| m.criteria.part()));
            ev.hits.push(Hit {
                configuration: n,
                criteria: format!("{}{more}", examples.join(", ")),
                range_ja: "前提条件".into(),
                asset_cpe: String::new(),
                asset_version: "台帳に記載なし".into(),
                vulnerable: false,
                notes_ja: vec![format!(
                    "台帳に{kind}の記載がないため、前提のプラットフォーム条件は成立とみなしました"
                )],
            });
            return (Tri::True, ev);
        }
    }
    (state, ev)
}

fn part_label(part: Option<&Component>) -> &'static str {
    match part.and_then(Component::as_value) {
        Some("h") => "ハードウェア（機種）",
        Some("o") => "OS",
        Some("a") => "アプリケーション",
        _ => "プラットフォーム",
    }
}

/// Range in Japanese: `6.0.0 以上 6.0.5 未満`.
pub fn range_ja(m: &CpeMatch) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &m.version_start_including {
        parts.push(format!("{v} 以上"));
    }
    if let Some(v) = &m.version_start_excluding {
        parts.push(format!("{v} より後"));
    }
    if let Some(v) = &m.version_end_including {
        parts.push(format!("{v} 以下"));
    }
    if let Some(v) = &m.version_end_excluding {
        parts.push(format!("{v} 未満"));
    }
    parts.join(" ")
}

const ATTR_JA: [&str; 11] = [
    "part",
    "ベンダー",
    "製品",
    "バージョン",
    "update（SP・リリース等）",
    "edition",
    "言語",
    "sw_edition（エディション）",
    "target_sw",
    "target_hw（ハードウェア種別）",
    "other",
];

fn eval_entry(n: usize, m: &CpeMatch, asset: &Cpe) -> EntryEval {
    let c = &m.criteria;
    // part, vendor, product must be named by the asset.
    for i in 0..3 {
        match c.attr(i).relation(asset.attr(i)) {
            Relation::Equal | Relation::Superset => {}
            Relation::Subset | Relation::Disjoint => return EntryEval::Miss,
        }
    }
    let criteria = c.to_string();
    let mut notes = Vec::new();
    let mut review: Option<String> = None;
    for (i, attr_ja) in ATTR_JA.iter().enumerate().skip(4) {
        match c.attr(i).relation(asset.attr(i)) {
            Relation::Equal | Relation::Superset => {}
            Relation::Disjoint => return EntryEval::Miss,
            Relation::Subset => {
                let cv = c.attr(i);
                match i {
                    4 => {
                        review.get_or_insert_with(|| {
                            format!(
                                "{criteria} は {} が `{cv}` の場合に該当しますが、台帳に {} がありません",
                                attr_ja, attr_ja
                            )
                        });
                    }
                    7 if cv != &Component::Na => {
                        review.get_or_insert_with(|| {
                            format!(
                                "{criteria} は {} が `{cv}` の場合に該当しますが、台帳にエディションがありません",
                                attr_ja
                            )
                        });
                    }
                    7 => {}
                    _ => notes.push(format!(
                        "{} `{cv}` は台帳に記載がないため一致とみなしました",
                        attr_ja
                    )),
                }
            }
        }
    }
    let scheme = match (c.vendor().as_value(), c.product().as_value()) {
        (Some(v), Some(p)) => Scheme::for_product(v, p),
        _ => Scheme::Generic,
    };
    let asset_version_display = asset_version_string(asset, scheme);
    let version_eval = match (c.version(), asset.version()) {
        (Component::Value(cv) | Component::Pattern(cv), av) => {
            exact_version(&criteria, cv, c.version(), av, scheme)
        }
        (Component::Na, Component::Na) => Ok("バージョン -（版の区別なし）".to_string()),
        (Component::Na, Component::Any) => Err(Some(format!(
            "{criteria} は版の区別なし（-）の製品が対象ですが、台帳にバージョンがありません"
        ))),
        (Component::Na, Component::Value(av) | Component::Pattern(av)) => {
            if scheme.parse(av).is_ok() {
                Err(Some(format!(
                    "{criteria} は NVD で版を区別せず（-）製品全体が対象とされており、修正済みのビルドが示されていません。台帳のバージョン {av} が修正済みか確認してください"
                )))
            } else {
                Err(None)
            }
        }
        (Component::Any, av) => {
            if m.has_range() {
                range_version(m, &criteria, av, asset, scheme)
            } else {
                Ok("全バージョン".to_string())
            }
        }
    };
    match version_eval {
        Ok(range) => {
            if let Some(r) = review {
                return EntryEval::Review(r);
            }
            EntryEval::Hit(Hit {
                configuration: n,
                criteria,
                range_ja: range,
                asset_cpe: asset.to_string(),
                asset_version: asset_version_display,
                vulnerable: m.vulnerable,
                notes_ja: notes,
            })
        }
        Err(Some(r)) => EntryEval::Review(r),
        Err(None) => EntryEval::Miss,
    }
}

/// The asset version as compared, with the release/hotfix joined for Ivanti and PAN-OS.
fn asset_version_string(asset: &Cpe, scheme: Scheme) -> String {
    let v = asset.version().to_string();
    match (scheme, asset.update().as_value()) {
        (Scheme::Ivanti, Some(u)) if u.starts_with('r') => format!("{v}{u}"),
        (Scheme::PanOs, Some(u)) if u.starts_with('h') => format!("{v}-{u}"),
        _ => v,
    }
}

/// `Ok(range text)` on a hit, `Err(Some(reason))` for 要確認, `Err(None)` for no match.
fn exact_version(
    criteria: &str,
    cv: &str,
    c_comp: &Component,
    av: &Component,
    scheme: Scheme,
) -> Result<String, Option<String>> {
    match av {
        Component::Any => Err(Some(format!(
            "{criteria} はバージョン {cv} が対象ですが、台帳にバージョンがありません"
        ))),
        Component::Na => Err(None),
        Component::Value(a) | Component::Pattern(a) => {
            if matches!(c_comp, Component::Pattern(_)) {
                return if c_comp.relation(av) == Relation::Superset {
                    Ok(format!("バージョン {cv}"))
                } else {
                    Err(None)
                };
            }
            if a == cv || compare(scheme, a, cv) == Ok(Ordering::Equal) {
                Ok(format!("バージョン {cv}"))
            } else {
                Err(None)
            }
        }
    }
}

fn range_version(
    m: &CpeMatch,
    criteria: &str,
    av: &Component,
    asset: &Cpe,
    scheme: Scheme,
) -> Result<String, Option<String>> {
    let range = range_ja(m);
    let a = match av {
        Component::Any => {
            return Err(Some(format!(
                "{criteria} の {range} に該当するか、台帳にバージョンがないため判断できません"
            )));
        }
        Component::Na => {
            return Err(Some(format!(
                "{criteria} の {range} に該当するか、台帳のバージョンが `-`（ビルド不明）のため判断できません"
            )));
        }
        Component::Value(_) | Component::Pattern(_) => asset_version_string(asset, scheme),
    };
    type Check<'a> = (&'a Option<String>, fn(Ordering) -> bool);
    let checks: [Check<'_>; 4] = [
        (&m.version_start_including, |o| o != Ordering::Less),
        (&m.version_start_excluding, |o| o == Ordering::Greater),
        (&m.version_end_including, |o| o != Ordering::Greater),
        (&m.version_end_excluding, |o| o == Ordering::Less),
    ];
    let mut inside = true;
    for (bound, ok) in checks {
        if let Some(b) = bound {
            match compare(scheme, &a, b) {
                Ok(o) => inside &= ok(o),
                Err(e) => {
                    return Err(Some(format!(
                        "{criteria} の {range} に該当するか判断できません: {}",
                        e.reason_ja
                    )));
                }
            }
        }
    }
    if inside { Ok(range) } else { Err(None) }
}

/// Matches an asset against a CVE and, when it matches or needs review, builds the finding.
/// KEV membership makes the priority 最優先 (with the KEV due date and required action);
/// otherwise the priority comes from the record's CVSS severity.
pub fn assess(cve: &CveRecord, kev: Option<&KevCatalog>, asset: &[Cpe]) -> Option<Finding> {
    let result = match_cve(cve, asset);
    finding_for(cve, kev, &result)
}

/// Builds the finding for a match result (`None` for [`MatchResult::NoMatch`]).
pub fn finding_for(
    cve: &CveRecord,
    kev: Option<&KevCatalog>,
    result: &MatchResult,
) -> Option<Finding> {
    if *result == MatchResult::NoMatch {
        return None;
    }
    let kev_entry = kev.and_then(|k| k.get(&cve.id));
    let cvss = cve.cvss();
    let priority = if kev_entry.is_some() {
        Priority::Critical
    } else {
        cvss.as_ref()
            .map(|c| Priority::from_cvss_severity(&c.severity))
            .unwrap_or(Priority::Info)
    };
    let (kind, mut reasons, title) = match result {
        MatchResult::NoMatch => return None,
        MatchResult::Match { explanation, .. } => (
            FindingKind::Vulnerability,
            explanation.lines().map(str::to_string).collect::<Vec<_>>(),
            format!("{} に該当", cve.id),
        ),
        MatchResult::NeedsReview { reason_ja } => (
            FindingKind::VulnerabilityNeedsReview,
            reason_ja.lines().map(str::to_string).collect::<Vec<_>>(),
            format!("{} に該当する可能性（要確認）", cve.id),
        ),
    };
    let title_ja = match (kev_entry, &cvss) {
        (Some(k), _) => {
            reasons.push(format!(
                "CISA KEV（悪用が確認された脆弱性）に {} 登録。対応期限 {}。必要な対応: {}",
                k.date_added, k.due_date, k.required_action
            ));
            format!("【最優先】{title}（KEV 悪用確認済み・期限 {}）", k.due_date)
        }
        (None, Some(c)) => format!("{title}（CVSS {} {} {}）", c.version, c.score, c.severity),
        (None, None) => title,
    };
    Some(Finding {
        kind,
        priority,
        title_ja,
        reasons_ja: reasons,
        cve: Some(CveRef {
            id: cve.id.clone(),
            cvss,
            description_en: cve.description_en().map(str::to_string),
        }),
        kev: kev_entry.map(KevRef::from),
        eos: None,
    })
}

/// An index from CPE vendor:product to the `vulnerable` criteria that name it, so that an
/// asset is matched only against records that can concern it. Each criteria keeps its exact
/// version or range bounds parsed in the product's scheme: a record is a candidate only when
/// one of its vulnerable criteria for the asset's vendor:product could hit or be 要確認 for
/// the asset's version (a criteria that surely misses cannot make a finding, see
/// [`match_cve`]). Records whose vulnerable criteria use a wildcard vendor or product are
/// always candidates. Findings are those of [`assess`] on every record.
#[derive(Debug, Clone)]
pub struct CveIndex<'a> {
    records: &'a [CveRecord],
    by_product: HashMap<(&'a str, &'a str), Vec<Indexed<'a>>>,
    wild: Vec<usize>,
}

/// One vulnerable criteria in the index.
#[derive(Debug, Clone)]
struct Indexed<'a> {
    record: usize,
    filter: VersionFilter<'a>,
}

/// What the index knows of a criteria's version without evaluating it.
#[derive(Debug, Clone)]
enum VersionFilter<'a> {
    /// Always a candidate (`*` without a range, `-`, wildcard patterns).
    Always,
    /// A concrete version: a candidate when the asset's version equals it.
    Exact(&'a str, Prepared),
    /// `*` with range bounds (start incl., start excl., end incl., end excl.).
    Range(Box<[Option<Prepared>; 4]>),
}

fn version_filter<'a>(m: &'a CpeMatch, scheme: Scheme) -> VersionFilter<'a> {
    match m.criteria.version() {
        Component::Value(cv) => VersionFilter::Exact(cv, Prepared::new(scheme, cv)),
        Component::Any if m.has_range() => {
            let p = |b: &Option<String>| b.as_deref().map(|v| Prepared::new(scheme, v));
            VersionFilter::Range(Box::new([
                p(&m.version_start_including),
                p(&m.version_start_excluding),
                p(&m.version_end_including),
                p(&m.version_end_excluding),
            ]))
        }
        _ => VersionFilter::Always,
    }
}

/// An asset CPE's version, read once per lookup.
struct AssetVersion<'s> {
    /// The version as written (exact comparisons), when concrete.
    raw: Option<(&'s str, Prepared)>,
    /// With the update joined (range comparisons), when concrete.
    joined: Option<Prepared>,
}

impl VersionFilter<'_> {
    /// `false` only when the criteria surely misses an asset of this version (what
    /// `eval_entry` would decide); unreadable versions stay candidates.
    fn may_hit(&self, a: &AssetVersion<'_>) -> bool {
        match self {
            VersionFilter::Always => true,
            VersionFilter::Exact(cv, parsed) => match &a.raw {
                None => true,
                Some((av, ap)) => av == cv || ap.cmp(parsed) == Some(Ordering::Equal),
            },
            VersionFilter::Range(bounds) => {
                let Some(aj) = &a.joined else {
                    return true;
                };
                let checks: [fn(Ordering) -> bool; 4] = [
                    |o| o != Ordering::Less,
                    |o| o == Ordering::Greater,
                    |o| o != Ordering::Greater,
                    |o| o == Ordering::Less,
                ];
                let mut inside = true;
                for (bound, ok) in bounds.iter().zip(checks) {
                    if let Some(b) = bound {
                        match aj.cmp(b) {
                            Some(o) => inside &= ok(o),
                            // Not comparable: 要確認, so a candidate.
                            None => return true,
                        }
                    }
                }
                inside
            }
        }
    }
}

impl<'a> CveIndex<'a> {
    /// Builds the index.
    pub fn new(records: &'a [CveRecord]) -> CveIndex<'a> {
        let mut by_product: HashMap<(&'a str, &'a str), Vec<Indexed<'a>>> = HashMap::new();
        let mut wild = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let mut wildcard = false;
            for m in r
                .configurations
                .iter()
                .flat_map(|c| &c.nodes)
                .flat_map(|n| &n.cpe_match)
                .filter(|m| m.vulnerable)
            {
                match (
                    m.criteria.vendor().as_value(),
                    m.criteria.product().as_value(),
                ) {
                    (Some(v), Some(p)) => {
                        by_product.entry((v, p)).or_default().push(Indexed {
                            record: i,
                            filter: version_filter(m, Scheme::for_product(v, p)),
                        });
                    }
                    _ => wildcard = true,
                }
            }
            if wildcard {
                wild.push(i);
            }
        }
        CveIndex {
            records,
            by_product,
            wild,
        }
    }

    /// The records that may concern an asset with these CPE names, in record order.
    pub fn candidates(&self, asset: &[Cpe]) -> Vec<&'a CveRecord> {
        let mut idx: Vec<usize> = self.wild.clone();
        for a in asset {
            let (Some(v), Some(p)) = (a.vendor().as_value(), a.product().as_value()) else {
                continue;
            };
            let Some(list) = self.by_product.get(&(v, p)) else {
                continue;
            };
            let scheme = Scheme::for_product(v, p);
            let version = match a.version() {
                Component::Value(av) => AssetVersion {
                    raw: Some((av.as_str(), Prepared::new(scheme, av))),
                    joined: Some(Prepared::new(scheme, &asset_version_string(a, scheme))),
                },
                _ => AssetVersion {
                    raw: None,
                    joined: None,
                },
            };
            let mut last = usize::MAX;
            for e in list {
                if e.record != last && e.filter.may_hit(&version) {
                    idx.push(e.record);
                    last = e.record;
                }
            }
        }
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter()
            .filter_map(|i| self.records.get(i))
            .collect()
    }

    /// [`CveIndex::findings`] of many assets, on all available cores (scoped threads, each
    /// taking a contiguous share of the assets). The result is in the order of `assets`.
    pub fn findings_all(&self, kev: Option<&KevCatalog>, assets: &[Vec<Cpe>]) -> Vec<Vec<Finding>> {
        let threads = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .min(assets.len().div_ceil(64))
            .max(1);
        if threads == 1 {
            return assets.iter().map(|a| self.findings(kev, a)).collect();
        }
        let chunk = assets.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = assets
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|a| self.findings(kev, a))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(v) => v,
                    Err(e) => std::panic::resume_unwind(e),
                })
                .collect()
        })
    }

    /// All findings for one asset, most urgent first (then by CVE id).
    pub fn findings(&self, kev: Option<&KevCatalog>, asset: &[Cpe]) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .candidates(asset)
            .into_iter()
            .filter_map(|r| assess(r, kev, asset))
            .collect();
        sort_findings(&mut out);
        out
    }
}

/// Sorts findings most urgent first (priority, then kind, then CVE id), as
/// [`CveIndex::findings`] returns them.
pub fn sort_findings(out: &mut [Finding]) {
    out.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| (a.kind as u8).cmp(&(b.kind as u8)))
            .then_with(|| {
                let id = |f: &Finding| f.cve.as_ref().map(|c| c.id.clone());
                id(a).cmp(&id(b))
            })
    });
}
