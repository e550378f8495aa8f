//! Read-only checklist views: the overview (progress by group and by due year, overdue
//! items, what changed since last year), the per-item page and the A4 print view.
//!
//! The judgements (what is overdue, what changed) are pure functions over the edition and
//! the answer rows, tested below; the handlers only load and render.

use std::collections::BTreeMap;

use anzen_catalog::{Catalog, Edition, Group, Item, Target, fiscal_year_label_ja};
use anzen_core::calendar::{FiscalYear, parse_date, wareki};
use anzen_core::{Action, OrgId};
use anzen_store::assessments::{self, Answer, AnswerRow, Assessment};
use anzen_store::evidence::{self as evidence_store, EvidenceFile};
use anzen_store::orgs::Org;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::evidence::EvidenceView;
use super::{
    FyQuery, GateView, GroupView, carry_key, edition_for, gate_views, gated_off, group_views,
    is_answered, item_label, load_evidence, org_catalog, parse_fy,
};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, jst, render, today_jst};
use crate::{AppError, AppState};

/// Progress of the items due by one 年度.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueYearProgress {
    /// `令和5年度中`, or `期限なし`.
    pub label: String,
    pub total: usize,
    pub answered: usize,
    pub yes: usize,
    pub no: usize,
}

/// Items grouped by the 年度 by which they are required, oldest first; items without a due
/// year last.
pub fn progress_by_due_year(edition: &Edition, rows: &[AnswerRow]) -> Vec<DueYearProgress> {
    let mut by: BTreeMap<Option<i32>, DueYearProgress> = BTreeMap::new();
    for item in &edition.items {
        let row = rows.iter().find(|r| r.item_id == item.id.as_str());
        let p = by
            .entry(item.required_by_fy)
            .or_insert_with(|| DueYearProgress {
                label: item
                    .required_by_label_ja()
                    .map_or_else(|| "期限なし".to_owned(), |l| format!("{l}中")),
                total: 0,
                answered: 0,
                yes: 0,
                no: 0,
            });
        p.total += 1;
        if is_answered(row) {
            p.answered += 1;
        }
        match row.and_then(|r| r.answer) {
            Some(Answer::Yes) => p.yes += 1,
            Some(Answer::No) => p.no += 1,
            _ => {}
        }
    }
    // `None` sorts first in a BTreeMap; show "no due year" last.
    let mut v: Vec<(Option<i32>, DueYearProgress)> = by.into_iter().collect();
    v.sort_by_key(|(k, _)| (k.is_none(), *k));
    v.into_iter().map(|(_, p)| p).collect()
}

/// An item that is late, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub item_id: String,
    pub label: String,
    pub text: String,
    pub reason: String,
}

/// Overdue items on `today`: いいえ whose 対応目標日 has passed, and items required by a
/// 年度 that has ended that are still いいえ or unanswered. Nothing is overdue when a gate
/// question released the form.
pub fn overdue(edition: &Edition, rows: &[AnswerRow], today: jiff::civil::Date) -> Vec<Overdue> {
    if gated_off(edition, rows) {
        return Vec::new();
    }
    let current_fy = FiscalYear::of(today);
    let mut out = Vec::new();
    for item in &edition.items {
        let row = rows.iter().find(|r| r.item_id == item.id.as_str());
        let answer = row.and_then(|r| r.answer);
        let mut reasons = Vec::new();
        if answer == Some(Answer::No)
            && let Some(t) = row.and_then(|r| r.target_date.as_deref())
            && let Ok(d) = parse_date(t)
            && d < today
        {
            reasons.push(format!("対応目標日（{}）を過ぎています", wareki(d)));
        }
        if let Some(due) = item.required_by_fy
            && due < current_fy.0
            && matches!(answer, None | Some(Answer::No))
        {
            reasons.push(format!(
                "{}中に対応が必要な項目が{}です",
                fiscal_year_label_ja(due),
                if answer.is_none() {
                    "未回答"
                } else {
                    "「いいえ」"
                }
            ));
        }
        if !reasons.is_empty() {
            out.push(Overdue {
                item_id: item.id.to_string(),
                label: item_label(item),
                text: item.text.clone(),
                reason: reasons.join("。"),
            });
        }
    }
    out
}

/// How one item differs from last year's assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub item_id: String,
    pub label: String,
    pub text: String,
    pub before: String,
    pub after: String,
}

fn answer_label(a: Option<Answer>) -> String {
    a.map_or("未回答", Answer::label_ja).to_owned()
}

/// What changed since last year: items whose answer differs (matched by topic and target
/// through `key`), items new in this year's edition, and last year's items no longer
/// asked.
pub fn changes_since(
    edition: &Edition,
    rows: &[AnswerRow],
    last_year: &[AnswerRow],
    key: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut matched = Vec::new();
    for item in &edition.items {
        let now = rows
            .iter()
            .find(|r| r.item_id == item.id.as_str())
            .and_then(|r| r.answer);
        let k = key(item.id.as_str());
        let before = last_year
            .iter()
            .find(|p| p.item_id == item.id.as_str() || (k.is_some() && key(&p.item_id) == k));
        match before {
            Some(p) => {
                matched.push(p.item_id.clone());
                if p.answer != now {
                    changes.push(Change {
                        item_id: item.id.to_string(),
                        label: item_label(item),
                        text: item.text.clone(),
                        before: answer_label(p.answer),
                        after: answer_label(now),
                    });
                }
            }
            None => changes.push(Change {
                item_id: item.id.to_string(),
                label: item_label(item),
                text: item.text.clone(),
                before: "（前年度に無い項目）".to_owned(),
                after: answer_label(now),
            }),
        }
    }
    let removed = last_year
        .iter()
        .filter(|p| !p.item_id.contains("/gate/") && !matched.contains(&p.item_id))
        .map(|p| p.item_id.clone())
        .collect();
    (changes, removed)
}

struct Loaded {
    current: Option<Assessment>,
    rows: Vec<AnswerRow>,
    files: Vec<EvidenceFile>,
    last_year: Vec<AnswerRow>,
}

async fn load(
    state: &AppState,
    org: &Org,
    fy: FiscalYear,
    form: &'static str,
) -> Result<Loaded, AppError> {
    let o = org.clone();
    state
        .db(move |c| {
            let current = assessments::current(c, &o, fy.0, form)?;
            let (rows, files) = match &current {
                Some(a) => (assessments::answers(c, a.id)?, evidence_store::list(c, a)?),
                None => (Vec::new(), Vec::new()),
            };
            let last_year = match assessments::current(c, &o, fy.prev().0, form)? {
                Some(p) => assessments::answers(c, p.id)?,
                None => Vec::new(),
            };
            Ok(Loaded {
                current,
                rows,
                files,
                last_year,
            })
        })
        .await
}

#[derive(Template)]
#[template(path = "checklist_overview.html")]
struct OverviewPage {
    layout: Layout,
    org: i64,
    fy: i32,
    fy_label: String,
    prev_label: String,
    edition_label: String,
    started: bool,
    has_last_year: bool,
    gated_off: bool,
    groups: Vec<GroupView>,
    due_years: Vec<DueYearProgress>,
    overdue: Vec<Overdue>,
    changes: Vec<Change>,
    removed: Vec<String>,
    today: String,
}

fn ctx_layout(state: &AppState, ctx: &OrgCtx, title: &str) -> Layout {
    Layout::org(state, ctx, title, "nav.checklist")
}

/// `GET /o/{org}/checklist/overview?fy=…`
pub async fn overview(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let l = load(&state, &ctx.org, fy, edition.form.code()).await?;
    let ev = load_evidence(&state, &ctx.org, fy).await?;
    let key = |id: &str| carry_key(&cat, id);
    let (changes, removed) = changes_since(edition, &l.rows, &l.last_year, &key);
    let today = today_jst();
    render(&OverviewPage {
        layout: ctx_layout(&state, &ctx, "チェックリストの状況"),
        org,
        fy: fy.0,
        fy_label: fy.label_both(),
        prev_label: fy.prev().label_ja(),
        edition_label: edition.label_ja(),
        started: l.current.is_some(),
        has_last_year: !l.last_year.is_empty(),
        gated_off: gated_off(edition, &l.rows),
        groups: group_views(edition, &l.rows, &ev, &l.files),
        due_years: progress_by_due_year(edition, &l.rows),
        overdue: overdue(edition, &l.rows, today),
        changes,
        removed,
        today: wareki(today),
    })
}

#[derive(Deserialize)]
pub struct ItemQuery {
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    id: String,
}

/// One year's answer to the item, for its history.
struct YearAnswer {
    fy_label: String,
    answer: String,
    checked_on: String,
    note: String,
}

#[derive(Template)]
#[template(path = "checklist_item.html")]
struct ItemPage {
    layout: Layout,
    org: i64,
    fy: i32,
    fy_label: String,
    edition_label: String,
    anchor: String,
    label: String,
    item: Item,
    group_label: String,
    subgroup_label: String,
    required_by: String,
    unverified: String,
    auto_label: &'static str,
    auto_reasons: Vec<String>,
    answer: String,
    checked_on: String,
    target_date: String,
    note: String,
    evidence: Vec<EvidenceView>,
    history: Vec<YearAnswer>,
}

fn find_item<'c>(edition: &'c Edition, id: &str) -> Result<(usize, &'c Item), AppError> {
    edition
        .items
        .iter()
        .enumerate()
        .find(|(_, i)| i.id.as_str() == id)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "項目「{id}」はこの年度のチェックリストにありません。"
            ))
        })
}

/// `GET /o/{org}/checklist/item?fy=…&id=…`: the item with its guideline references, the
/// manual's explanation where available, the auto-evidence, the answer, its evidence and
/// the answers of earlier years.
pub async fn item(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let (pos, item) = find_item(edition, &q.id)?;
    let l = load(&state, &ctx.org, fy, edition.form.code()).await?;
    let o = ctx.org.clone();
    let form = edition.form.code();
    let all = state
        .db(move |c| {
            let mut out = Vec::new();
            for a in assessments::list(c, &o)? {
                if a.form == form && a.client_org_id.is_none() && a.fiscal_year < fy.0 {
                    out.push((a.fiscal_year, assessments::answers(c, a.id)?));
                }
            }
            Ok(out)
        })
        .await?;
    let history = history_of(&cat, item, &all);
    let row = l.rows.iter().find(|r| r.item_id == item.id.as_str());
    let ev = load_evidence(&state, &ctx.org, fy).await?;
    let (auto_label, auto_reasons) = match ev.auto(item) {
        ("手入力", r) if item.auto_evidence.is_none() => ("手入力（自動判定の対象外）", r),
        other => other,
    };
    let text = |f: fn(&AnswerRow) -> Option<&String>| row.and_then(f).cloned().unwrap_or_default();
    render(&ItemPage {
        layout: ctx_layout(&state, &ctx, &item_label(item)),
        org,
        fy: fy.0,
        fy_label: fy.label_both(),
        edition_label: edition.label_ja(),
        anchor: format!("item-{}", pos + 1),
        label: item_label(item),
        group_label: format!("{}. {}", item.group.section(), item.group.label_ja()),
        subgroup_label: item
            .subgroup
            .map(|s| s.label_ja().to_owned())
            .unwrap_or_default(),
        required_by: item.required_by_label_ja().unwrap_or_default(),
        unverified: item.unverified_parts_ja().join("・"),
        auto_label,
        auto_reasons,
        answer: answer_label(row.and_then(|r| r.answer)),
        checked_on: text(|r| r.checked_on.as_ref()),
        target_date: text(|r| r.target_date.as_ref()),
        note: text(|r| r.note.as_ref()),
        evidence: l
            .files
            .iter()
            .filter(|f| f.item_id == item.id.as_str())
            .map(EvidenceView::of)
            .collect(),
        history,
        item: item.clone(),
    })
}

/// The item's answers in earlier years (newest first), matched by id or topic + target.
fn history_of(cat: &Catalog, item: &Item, years: &[(i32, Vec<AnswerRow>)]) -> Vec<YearAnswer> {
    let key = carry_key(cat, item.id.as_str());
    let mut out: Vec<YearAnswer> = years
        .iter()
        .filter_map(|(fy, rows)| {
            let row = rows.iter().find(|r| {
                r.item_id == item.id.as_str()
                    || (key.is_some() && carry_key(cat, &r.item_id) == key)
            })?;
            Some(YearAnswer {
                fy_label: FiscalYear(*fy).label_ja(),
                answer: answer_label(row.answer),
                checked_on: row.checked_on.clone().unwrap_or_default(),
                note: row.note.clone().unwrap_or_default(),
            })
        })
        .collect();
    out.dedup_by(|a, b| a.fy_label == b.fy_label);
    out
}

/// One printed line.
pub struct PrintRow {
    pub number: String,
    pub target: &'static str,
    pub text: String,
    pub unverified: String,
    pub answer: String,
    pub checked_on: String,
    pub target_date: String,
    pub note: String,
    pub evidence: Vec<String>,
}

/// A section heading or a line of the printed table.
pub enum PrintLine {
    Heading(String),
    Row(PrintRow),
}

#[derive(Template)]
#[template(path = "checklist_print.html")]
struct PrintPage {
    layout: Layout,
    org: i64,
    fy: i32,
    title: String,
    facility: String,
    edition_label: String,
    status: String,
    hash: String,
    printed: String,
    gates: Vec<GateView>,
    lines: Vec<PrintLine>,
    vendor_forms: Vec<super::vendor::VendorAnswersView>,
}

/// Printed lines in form order with section and device headings.
pub fn print_lines(
    edition: &Edition,
    rows: &[AnswerRow],
    files: &[EvidenceFile],
) -> Vec<PrintLine> {
    let mut lines = Vec::new();
    let mut last_heading = String::new();
    for item in &edition.items {
        let heading = match item.subgroup {
            Some(s) if item.group == Group::Operations => format!(
                "{}. {} 《{}》",
                item.group.section(),
                item.group.label_ja(),
                s.label_ja()
            ),
            _ => format!("{}. {}", item.group.section(), item.group.label_ja()),
        };
        if heading != last_heading {
            lines.push(PrintLine::Heading(heading.clone()));
            last_heading = heading;
        }
        let row = rows.iter().find(|r| r.item_id == item.id.as_str());
        let text =
            |f: fn(&AnswerRow) -> Option<&String>| row.and_then(f).cloned().unwrap_or_default();
        lines.push(PrintLine::Row(PrintRow {
            number: item.number.clone(),
            target: match item.target {
                Target::None => "",
                t => t.label_ja(),
            },
            text: item.text.clone(),
            unverified: item.unverified_parts_ja().join("・"),
            answer: row
                .and_then(|r| r.answer)
                .map_or("", Answer::label_ja)
                .to_owned(),
            checked_on: text(|r| r.checked_on.as_ref()),
            target_date: text(|r| r.target_date.as_ref()),
            note: text(|r| r.note.as_ref()),
            evidence: files
                .iter()
                .filter(|f| f.is_current() && f.item_id == item.id.as_str())
                .map(|f| {
                    format!(
                        "{}（第{}版, SHA-256 {}…）",
                        f.file_name,
                        f.version,
                        f.sha256.chars().take(12).collect::<String>()
                    )
                })
                .collect(),
        }));
    }
    lines
}

/// `GET /o/{org}/checklist/print?fy=…`: the whole 年度 on A4 (the browser prints it), with
/// the answers of the vendors who answered the 事業者確認用 form for the organisation.
pub async fn print(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let l = load(&state, &ctx.org, fy, edition.form.code()).await?;
    let Some(a) = l.current else {
        return Err(AppError::BadRequest(format!(
            "{}のチェックリストはまだ開始されていません。",
            fy.label_both()
        )));
    };
    let vendor_forms = super::vendor::answers_for_facility(&state, &ctx.org, fy).await?;
    render(&PrintPage {
        layout: ctx_layout(&state, &ctx, "チェックリスト（印刷用）"),
        org,
        fy: fy.0,
        title: format!(
            "{} {}（{}）",
            fy.label_ja(),
            edition.title,
            edition.form.label_ja()
        ),
        facility: ctx.org.profile.name.clone(),
        edition_label: edition.label_ja(),
        status: a.status.label_ja().to_owned(),
        hash: a.frozen_hash.clone().unwrap_or_default(),
        printed: jst(anzen_store::now_us()),
        gates: gate_views(edition, &l.rows),
        lines: print_lines(edition, &l.rows, &l.files),
        vendor_forms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anzen_catalog::Form;

    fn cat() -> std::sync::Arc<Catalog> {
        crate::checklist_export::catalog().expect("catalog")
    }

    fn row(id: &str, answer: Option<Answer>, target: Option<&str>) -> AnswerRow {
        AnswerRow {
            item_id: id.to_owned(),
            answer,
            checked_on: answer.map(|_| "2025-05-01".to_owned()),
            target_date: target.map(str::to_owned),
            note: None,
        }
    }

    #[test]
    fn overdue_names_passed_target_dates_and_ended_due_years() {
        let cat = cat();
        let ed = cat.edition(2025, Form::Medical).expect("R7");
        let due_2023 = ed
            .items
            .iter()
            .find(|i| i.required_by_fy == Some(2023))
            .expect("an item due in 令和5年度");
        let other = ed
            .items
            .iter()
            .find(|i| i.id != due_2023.id)
            .expect("another item");
        let rows = vec![
            row(due_2023.id.as_str(), Some(Answer::No), Some("2025-12-01")),
            row(other.id.as_str(), Some(Answer::No), Some("2026-03-01")),
        ];
        let today = jiff::civil::date(2026, 1, 10);
        let late = overdue(ed, &rows, today);
        let first = late
            .iter()
            .find(|o| o.item_id == due_2023.id.as_str())
            .expect("due item late");
        assert!(
            first
                .reason
                .contains("対応目標日（令和7年12月1日）を過ぎています"),
            "{}",
            first.reason
        );
        assert!(
            first
                .reason
                .contains("令和5年度中に対応が必要な項目が「いいえ」"),
            "{}",
            first.reason
        );
        // Target date not yet passed: only late when its due year has ended.
        let o = late.iter().find(|o| o.item_id == other.id.as_str());
        assert_eq!(
            o.is_some(),
            other.required_by_fy.is_some_and(|d| d < 2025),
            "{o:?}"
        );
        // A gate answered いいえ releases everything.
        let mut gated = rows.clone();
        if let Some(g) = ed.gate_questions.first() {
            gated.push(row(&g.id, Some(Answer::No), None));
            assert!(overdue(ed, &gated, today).is_empty());
        }
    }

    #[test]
    fn due_year_progress_counts_every_item_once() {
        let cat = cat();
        let ed = cat.edition(2025, Form::Medical).expect("R7");
        let first = &ed.items[0];
        let p = progress_by_due_year(ed, &[row(first.id.as_str(), Some(Answer::Yes), None)]);
        assert_eq!(p.iter().map(|x| x.total).sum::<usize>(), ed.items.len());
        assert_eq!(p.iter().map(|x| x.answered).sum::<usize>(), 1);
        assert_eq!(p.iter().map(|x| x.yes).sum::<usize>(), 1);
        if ed.items.iter().any(|i| i.required_by_fy.is_none()) {
            assert_eq!(p.last().map(|x| x.label.as_str()), Some("期限なし"));
        }
    }

    #[test]
    fn changes_match_items_across_editions_by_topic() {
        let cat = cat();
        let r6 = cat.edition(2024, Form::Medical).expect("R6");
        let r7 = cat.edition(2025, Form::Medical).expect("R7");
        let key = |id: &str| carry_key(&cat, id);
        // Same topic, different ids (2-(1) → 2-①): answer changed.
        let officer_r6 = r6
            .items
            .iter()
            .find(|i| i.topic == "security_officer")
            .expect("r6");
        let officer_r7 = r7
            .items
            .iter()
            .find(|i| i.topic == "security_officer")
            .expect("r7");
        assert_ne!(officer_r6.id, officer_r7.id);
        let last = vec![row(officer_r6.id.as_str(), Some(Answer::No), None)];
        let now = vec![row(officer_r7.id.as_str(), Some(Answer::Yes), None)];
        let (changes, removed) = changes_since(r7, &now, &last, &key);
        let c = changes
            .iter()
            .find(|c| c.item_id == officer_r7.id.as_str())
            .expect("officer change");
        assert_eq!((c.before.as_str(), c.after.as_str()), ("いいえ", "はい"));
        assert!(removed.is_empty());
        // Unchanged answers are not listed.
        let (changes, _) = changes_since(r7, &now, &now, &key);
        assert!(!changes.iter().any(|c| c.item_id == officer_r7.id.as_str()));
        // An item of last year nobody asks any more.
        let gone = vec![row("R6/medical/9-(9)", Some(Answer::Yes), None)];
        let (_, removed) = changes_since(r7, &now, &gone, &key);
        assert_eq!(removed, vec!["R6/medical/9-(9)".to_owned()]);
    }
}
