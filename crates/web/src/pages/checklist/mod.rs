//! サイバーセキュリティ対策チェックリスト: the 年度 assessment page (answers with 確認日 and,
//! for いいえ, a 対応目標日 within the 年度; the gate question of the 令和6年度〜 forms),
//! its completion (frozen into the ledger) and the CSV/xlsx exports.
//!
//! The form follows the organisation's kind: 事業者確認用 for vendors, 薬局確認用 for
//! pharmacies when the catalog has it in force, otherwise 医療機関確認用. Items come from
//! the catalog edition in force for the 年度 (built-in or imported by the organisation);
//! the auto-evidence suggestion is shown beside each answer.
//!
//! Submodules: [`evidence`] (証跡 files), [`views`] (per-item page, due-year progress,
//! overdue items, changes since last year, print view), [`vendor`] (the 事業者確認用 form
//! answered per client facility), [`import`] (new editions from official workbooks).

pub mod evidence;
pub mod import;
pub mod vendor;
pub mod views;

use std::sync::Arc;

use anzen_catalog::evidence::{EvidenceRegistry, Facts, Suggestion};
use anzen_catalog::{Catalog, Edition, Form, GateQuestion, Group, Item, ItemId, Subgroup, Target};
use anzen_core::calendar::{FiscalYear, parse_date, wareki};
use anzen_core::{Action, OrgId};
use anzen_store::assessments::{self, Answer, AnswerInput, AnswerRow, Assessment, NewAssessment};
use anzen_store::evidence::{self as evidence_store, EvidenceFile};
use anzen_store::orgs::Org;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, attachment, jst, render, today_jst};
use crate::checklist_export::{self, ExportError};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState};

const NOTE_MAX_CHARS: usize = 2000;

/// The catalog the organisation answers from (built-in plus its imported editions).
async fn org_catalog(state: &AppState, org: &Org) -> Result<Arc<Catalog>, AppError> {
    let o = org.clone();
    state
        .db(move |c| checklist_export::org_catalog(c, &o).map_err(export_error))
        .await
}

#[derive(Deserialize)]
pub struct FyQuery {
    #[serde(default)]
    fy: Option<String>,
    /// For a vendor: the client facility whose 事業者確認用 form is meant.
    #[serde(default)]
    client: Option<i64>,
}

/// The client facility a vendor answers the 事業者確認用 form for.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: i64,
    pub name: String,
}

/// Checks `client` (from a query or form): only a vendor asked by that facility for the
/// 年度 may answer for it.
async fn client_scope(
    state: &AppState,
    ctx: &OrgCtx,
    fy: FiscalYear,
    client: Option<i64>,
) -> Result<Option<Client>, AppError> {
    let Some(id) = client else {
        return Ok(None);
    };
    let o = ctx.org.clone();
    let req = state
        .db(move |c| vendor::check_client(c, &o, id, fy))
        .await?;
    Ok(Some(Client {
        id,
        name: req.facility_name,
    }))
}

fn parse_fy(raw: Option<&str>) -> Result<FiscalYear, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(FiscalYear::of(today_jst())),
        Some(s) => match s.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(FiscalYear(y)),
            _ => Err(AppError::BadRequest(format!(
                "年度「{s}」は西暦の4桁（例: 2025）で指定してください。"
            ))),
        },
    }
}

/// The edition in force for the organisation and 年度.
fn edition_for<'c>(cat: &'c Catalog, org: &Org, fy: FiscalYear) -> Result<&'c Edition, AppError> {
    checklist_export::edition_for(cat, org, fy).map_err(export_error)
}

/// Items match across editions by topic and target (a gate question by its key), so a new
/// year starts from last year's answers even when the edition renumbered them.
fn carry_key(cat: &Catalog, id: &str) -> Option<String> {
    if let Some((_, key)) = id.split_once("/gate/") {
        return Some(format!("gate/{key}"));
    }
    cat.item(&ItemId::new(id))
        .map(|(_, i)| format!("{}/{}", i.topic, i.target.code()))
}

/// The answer rows of an edition: gate questions first, then the items.
fn row_ids(edition: &Edition) -> Vec<String> {
    edition
        .gate_questions
        .iter()
        .map(|g| g.id.clone())
        .chain(edition.items.iter().map(|i| i.id.to_string()))
        .collect()
}

/// Whether the gate questions release the form from the items: a gate answered いいえ
/// (e.g. 医療情報システムを導入、運用している → いいえ: 以下すべての項目は確認不要).
fn gated_off(edition: &Edition, rows: &[AnswerRow]) -> bool {
    edition.gate_questions.iter().any(|g| {
        rows.iter()
            .any(|r| r.item_id == g.id && r.answer == Some(Answer::No))
    })
}

fn export_error(e: ExportError) -> AppError {
    match e {
        ExportError::NoEdition(m) | ExportError::NoAssessment(m) => AppError::BadRequest(m),
        ExportError::Catalog(m) => AppError::Internal(m),
        ExportError::Store(e) => e.into(),
    }
}

/// `項目 2-④（サーバ）` for messages.
fn item_label(item: &Item) -> String {
    match item.target {
        Target::None => format!("項目 {}", item.number),
        t => format!("項目 {}（{}）", item.number, t.label_ja()),
    }
}

/// An item with its answer, as shown.
pub struct ItemView {
    pub anchor: String,
    pub id: String,
    pub number: String,
    pub target: &'static str,
    pub text: String,
    pub unverified: String,
    pub review_notes: Vec<String>,
    pub required_by: String,
    pub applicability: Vec<String>,
    /// `はい` / `いいえ` / `手入力`.
    pub auto_label: &'static str,
    pub auto_reasons: Vec<String>,
    pub answer: &'static str,
    pub answer_label: &'static str,
    pub checked_on: String,
    pub target_date: String,
    pub note: String,
    pub answered: bool,
    /// The answer shown was typed but refused (not saved).
    pub refused: bool,
    /// 証跡 attached to the item, withdrawn ones included.
    pub evidence: Vec<evidence::EvidenceView>,
}

pub struct SubView {
    pub label: String,
    pub items: Vec<ItemView>,
}

pub struct GroupView {
    pub label: String,
    pub answered: usize,
    pub total: usize,
    pub subs: Vec<SubView>,
}

/// Answered = an answer and its 確認日.
fn is_answered(row: Option<&AnswerRow>) -> bool {
    row.is_some_and(|r| r.answer.is_some() && r.checked_on.is_some())
}

/// The evidence rules and facts for one organisation and 年度 (see
/// [`crate::checks::evidence_for`]).
pub struct Evidence {
    pub registry: EvidenceRegistry,
    pub facts: Facts,
}

impl Evidence {
    /// The auto-evidence label (`はい` / `いいえ` / `手入力`) and its reasons for an item.
    pub fn auto(&self, item: &Item) -> (&'static str, Vec<String>) {
        match self.registry.evaluate(item, &self.facts) {
            Some(a) if a.suggestion != Suggestion::Unknown => {
                (a.suggestion.label_ja(), a.reasons_ja)
            }
            Some(a) => ("手入力", a.reasons_ja),
            None => ("手入力", Vec::new()),
        }
    }

    #[cfg(test)]
    fn none() -> Evidence {
        Evidence {
            registry: EvidenceRegistry::new(),
            facts: Facts::default(),
        }
    }
}

/// Loads the evidence rules of the organisation's records for `fy`.
async fn load_evidence(state: &AppState, org: &Org, fy: FiscalYear) -> Result<Evidence, AppError> {
    let o = org.clone();
    let today = today_jst();
    state
        .db(move |c| {
            let (registry, facts) = crate::checks::evidence_for(c, &o, fy, today)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(Evidence { registry, facts })
        })
        .await
}

fn item_view(
    n: usize,
    item: &Item,
    row: Option<&AnswerRow>,
    ev: &Evidence,
    files: &[EvidenceFile],
) -> ItemView {
    let (auto_label, auto_reasons) = ev.auto(item);
    let answer = row.and_then(|r| r.answer);
    ItemView {
        anchor: format!("item-{n}"),
        id: item.id.to_string(),
        number: item.number.clone(),
        target: match item.target {
            Target::None => "",
            t => t.label_ja(),
        },
        text: item.text.clone(),
        unverified: item.unverified_parts_ja().join("・"),
        review_notes: if item.needs_review() {
            item.review_notes.clone()
        } else {
            Vec::new()
        },
        required_by: item.required_by_label_ja().unwrap_or_default(),
        applicability: item.applicability.clone(),
        auto_label,
        auto_reasons,
        answer: answer.map_or("", Answer::code),
        answer_label: answer.map_or("未回答", Answer::label_ja),
        checked_on: row.and_then(|r| r.checked_on.clone()).unwrap_or_default(),
        target_date: row.and_then(|r| r.target_date.clone()).unwrap_or_default(),
        note: row.and_then(|r| r.note.clone()).unwrap_or_default(),
        answered: is_answered(row),
        refused: false,
        evidence: files
            .iter()
            .filter(|f| f.item_id == item.id.as_str())
            .map(evidence::EvidenceView::of)
            .collect(),
    }
}

/// Items by section in the form's printed order (the catalog's), a new sub-heading whenever
/// the device heading changes (《サーバ》 may come back after 《端末PC》, as on the form).
/// Item `n` (1-based, catalog position) is anchored `item-n`: redirects after a save use it.
fn group_views(
    edition: &Edition,
    rows: &[AnswerRow],
    ev: &Evidence,
    files: &[EvidenceFile],
) -> Vec<GroupView> {
    let mut groups: Vec<GroupView> = Vec::new();
    let mut current: Option<(Group, Option<Subgroup>)> = None;
    for (pos, item) in edition.items.iter().enumerate() {
        let row = rows.iter().find(|r| r.item_id == item.id.as_str());
        let view = item_view(pos + 1, item, row, ev, files);
        if current.map(|(g, _)| g) != Some(item.group) {
            groups.push(GroupView {
                label: format!("{}. {}", item.group.section(), item.group.label_ja()),
                answered: 0,
                total: 0,
                subs: Vec::new(),
            });
            current = None;
        }
        let Some(group) = groups.last_mut() else {
            continue;
        };
        if current != Some((item.group, item.subgroup)) || group.subs.is_empty() {
            group.subs.push(SubView {
                label: item
                    .subgroup
                    .map(|s| s.label_ja().to_owned())
                    .unwrap_or_default(),
                items: Vec::new(),
            });
        }
        current = Some((item.group, item.subgroup));
        group.total += 1;
        if is_answered(row) {
            group.answered += 1;
        }
        if let Some(sub) = group.subs.last_mut() {
            sub.items.push(view);
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "checklist.html")]
struct ChecklistPage {
    layout: Layout,
    org: i64,
    /// `&client=N` when a vendor answers for a client, else empty.
    client_q: String,
    /// The client's id, 0 for the organisation's own form.
    client_id: i64,
    client_name: String,
    is_vendor: bool,
    fy: i32,
    prev_fy: i32,
    next_fy: i32,
    fy_label: String,
    fy_range: String,
    edition_label: String,
    edition_note: Option<String>,
    assessment: Option<AssessmentView>,
    gates: Vec<GateView>,
    gated_off: bool,
    groups: Vec<GroupView>,
    answered: usize,
    total: usize,
    can_edit: bool,
    can_complete: bool,
    can_export: bool,
    errors: Vec<String>,
}

/// A gate question with its answer.
pub struct GateView {
    pub id: String,
    pub text: String,
    pub if_no: String,
    pub scope_note: String,
    pub unverified: bool,
    pub answer: &'static str,
    pub answer_label: &'static str,
    pub checked_on: String,
}

fn gate_views(edition: &Edition, rows: &[AnswerRow]) -> Vec<GateView> {
    edition
        .gate_questions
        .iter()
        .map(|g: &GateQuestion| {
            let row = rows.iter().find(|r| r.item_id == g.id);
            let answer = row.and_then(|r| r.answer);
            GateView {
                id: g.id.clone(),
                text: g.text.clone(),
                if_no: g.if_no.clone().unwrap_or_default(),
                scope_note: g.scope_note.clone().unwrap_or_default(),
                unverified: !g.wording_verified,
                answer: answer.map_or("", Answer::code),
                answer_label: answer.map_or("未回答", Answer::label_ja),
                checked_on: row.and_then(|r| r.checked_on.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

struct AssessmentView {
    completed: bool,
    status: &'static str,
    created: String,
    completed_info: String,
    hash: String,
}

fn assessment_view(a: &Assessment) -> AssessmentView {
    AssessmentView {
        completed: a.is_completed(),
        status: a.status.label_ja(),
        created: format!("{}（{}）", jst(a.created_at), a.created_by),
        completed_info: match (a.completed_at, &a.completed_by) {
            (Some(t), Some(by)) => format!("{}（{}）", jst(t), by),
            _ => String::new(),
        },
        hash: a.frozen_hash.clone().unwrap_or_default(),
    }
}

/// Loads the current assessment of the 年度 and renders the page. With `refused` (an
/// answer that failed validation and the reasons), the item shows what was typed, so
/// nothing has to be entered again.
async fn page_for(
    state: &AppState,
    ctx: &OrgCtx,
    fy: FiscalYear,
    client: Option<Client>,
    refused: Option<(&AnswerForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let (typed, errors) = match refused {
        Some((f, e)) => (Some(f), e),
        None => (None, Vec::new()),
    };
    let cat = org_catalog(state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let org = ctx.org.clone();
    let form = edition.form.code();
    let client_id = client.as_ref().map(|c| c.id);
    let (current, rows, files) = state
        .db(move |c| {
            let a = assessments::current_for(c, org.id.0, fy.0, form, client_id)?;
            let (rows, files) = match &a {
                Some(a) => (assessments::answers(c, a.id)?, evidence_store::list(c, a)?),
                None => (Vec::new(), Vec::new()),
            };
            Ok((a, rows, files))
        })
        .await?;
    let ev = load_evidence(state, &ctx.org, fy).await?;
    let mut groups = if current.is_some() {
        group_views(edition, &rows, &ev, &files)
    } else {
        Vec::new()
    };
    if let Some(f) = typed {
        let views = groups
            .iter_mut()
            .flat_map(|g| g.subs.iter_mut().flat_map(|s| s.items.iter_mut()));
        for v in views.filter(|v| v.id == f.item) {
            v.answer = Answer::parse(f.answer.trim()).map_or("", Answer::code);
            v.checked_on = f.checked_on.trim().to_owned();
            v.target_date = f.target_date.trim().to_owned();
            v.note = f.note.clone();
            v.refused = true;
        }
    }
    let gated_off = gated_off(edition, &rows);
    let answered = groups.iter().map(|g| g.answered).sum();
    let t = ctx.auth.t;
    let layout = Layout::org(state, ctx, t.s("checklist.title"), "nav.checklist");
    let status = super::form_status(errors.is_empty());
    let page = render(&ChecklistPage {
        layout,
        org: ctx.org.id.0,
        client_q: client_id
            .map(|c| format!("&client={c}"))
            .unwrap_or_default(),
        client_id: client_id.unwrap_or(0),
        client_name: client.map(|c| c.name).unwrap_or_default(),
        is_vendor: ctx.org.profile.kind == anzen_core::OrgKind::SystemVendor,
        fy: fy.0,
        prev_fy: fy.prev().0,
        next_fy: fy.next().0,
        fy_label: fy.label_both(),
        fy_range: format!("{} 〜 {}", wareki(fy.start()), wareki(fy.end())),
        edition_label: edition.label_ja(),
        edition_note: (edition.fiscal_year != fy.0).then(|| {
            format!(
                "{}の版はまだ無いため、{}で確認します。",
                fy.label_ja(),
                edition.label_ja()
            )
        }),
        assessment: current.as_ref().map(assessment_view),
        gates: if current.is_some() {
            gate_views(edition, &rows)
        } else {
            Vec::new()
        },
        gated_off,
        total: edition.items.len(),
        answered,
        groups,
        can_edit: ctx.role.can(Action::EditRecords),
        can_complete: ctx.role.can(Action::EditOrgProfile),
        can_export: ctx.role.can(Action::Export),
        errors,
    })?;
    Ok((status, page).into_response())
}

/// `GET /o/{org}/checklist?fy=2025`
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let client = client_scope(&state, &ctx, fy, q.client).await?;
    page_for(&state, &ctx, fy, client, None).await
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    client: Option<i64>,
}

fn checklist_url(org: i64, fy: FiscalYear, client: Option<i64>) -> String {
    match client {
        None => format!("/o/{org}/checklist?fy={}", fy.0),
        Some(c) => format!("/o/{org}/checklist?fy={}&client={c}", fy.0),
    }
}

/// `POST /o/{org}/checklist/start`: starts the 年度's assessment (from last year's answers,
/// dates cleared). With a draft already open, goes back to it.
pub async fn start(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(form): axum::Form<StartForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditRecords)?;
    let fy = parse_fy(form.fy.as_deref())?;
    let client = client_scope(&state, &ctx, fy, form.client)
        .await?
        .map(|c| c.id);
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let item_ids = row_ids(edition);
    let (edition_fy, form_code) = (edition.fiscal_year, edition.form.code());
    state
        .tx(move |c| {
            if let Some(a) = assessments::current_for(c, o.id.0, fy.0, form_code, client)?
                && !a.is_completed()
            {
                return Ok(());
            }
            let carry = |id: &str| carry_key(&cat, id);
            assessments::create(
                c,
                &o,
                &actor,
                &NewAssessment {
                    fiscal_year: fy.0,
                    form: form_code,
                    edition_fy,
                    item_ids: &item_ids,
                    client_org_id: client,
                },
                &carry,
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&checklist_url(org, fy, client)).into_response())
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    item: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    target_date: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    client: Option<i64>,
}

/// Validates one item's answer; Japanese messages name the item and the field.
pub fn parse_answer(
    item: &Item,
    fy: FiscalYear,
    today: jiff::civil::Date,
    f: &AnswerForm,
) -> Result<AnswerInput, Vec<String>> {
    let label = item_label(item);
    let mut errors = Vec::new();
    let answer = match f.answer.trim() {
        "" => None,
        a => match Answer::parse(a) {
            Some(a) => Some(a),
            None => {
                errors.push(format!("{label}の回答「{a}」は選択肢にありません。"));
                None
            }
        },
    };
    let checked_on = match f.checked_on.trim() {
        "" if answer.is_some() => Some(today),
        "" => None,
        s => match parse_date(s) {
            Ok(d) if d > today => {
                errors.push(format!(
                    "{label}の確認日「{s}」は未来の日付です。確認した日を入力してください。"
                ));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(format!("{label}の確認日: {}", e.message_ja()));
                None
            }
        },
    };
    let range = format!(
        "{}（{}〜{}）",
        fy.label_ja(),
        wareki(fy.start()),
        wareki(fy.end())
    );
    let target_date = if answer == Some(Answer::No) {
        match f.target_date.trim() {
            "" => {
                errors.push(format!(
                    "{label}は「いいえ」のため、対応目標日を{range}の範囲で入力してください。"
                ));
                None
            }
            s => match parse_date(s) {
                Ok(d) if fy.contains(d) => Some(d),
                Ok(_) => {
                    errors.push(format!(
                        "{label}の対応目標日「{s}」は{range}の範囲内で入力してください。"
                    ));
                    None
                }
                Err(e) => {
                    errors.push(format!("{label}の対応目標日: {}", e.message_ja()));
                    None
                }
            },
        }
    } else {
        None
    };
    let note = f.note.trim();
    if note.chars().count() > NOTE_MAX_CHARS {
        errors.push(format!(
            "{label}の備考は{NOTE_MAX_CHARS}文字以内で入力してください。"
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AnswerInput {
        answer,
        checked_on: checked_on.map(|d| d.to_string()),
        target_date: target_date.map(|d| d.to_string()),
        note: (!note.is_empty()).then(|| note.to_owned()),
    })
}

/// Validates the answer to a gate question: はい or いいえ with its 確認日.
pub fn parse_gate_answer(
    gate: &GateQuestion,
    today: jiff::civil::Date,
    f: &AnswerForm,
) -> Result<AnswerInput, Vec<String>> {
    let label = format!("前提の確認「{}」", gate.text);
    let answer = match f.answer.trim() {
        "" => None,
        "yes" => Some(Answer::Yes),
        "no" => Some(Answer::No),
        a => {
            return Err(vec![format!(
                "{label}の回答「{a}」は「はい」か「いいえ」で選んでください。"
            )]);
        }
    };
    let checked_on = match f.checked_on.trim() {
        "" => answer.map(|_| today),
        s => match parse_date(s) {
            Ok(d) if d > today => {
                return Err(vec![format!("{label}の確認日「{s}」は未来の日付です。")]);
            }
            Ok(d) => Some(d),
            Err(e) => return Err(vec![format!("{label}の確認日: {}", e.message_ja())]),
        },
    };
    let note = f.note.trim();
    Ok(AnswerInput {
        answer,
        checked_on: checked_on.map(|d| d.to_string()),
        target_date: None,
        note: (!note.is_empty()).then(|| note.chars().take(NOTE_MAX_CHARS).collect()),
    })
}

/// `POST /o/{org}/checklist/answer`: saves one item (or gate question) of the 年度's
/// current assessment.
pub async fn answer(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditRecords)?;
    let fy = parse_fy(form.fy.as_deref())?;
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let (anchor, parsed) =
        if let Some(gate) = edition.gate_questions.iter().find(|g| g.id == form.item) {
            (
                "gate".to_owned(),
                parse_gate_answer(gate, today_jst(), &form),
            )
        } else if let Some(pos) = edition
            .items
            .iter()
            .position(|i| i.id.as_str() == form.item)
        {
            (
                format!("item-{}", pos + 1),
                parse_answer(&edition.items[pos], fy, today_jst(), &form),
            )
        } else {
            return Err(AppError::BadRequest(format!(
                "項目「{}」はこの年度のチェックリストにありません。",
                form.item
            )));
        };
    let client = client_scope(&state, &ctx, fy, form.client).await?;
    let client_id = client.as_ref().map(|c| c.id);
    let input = match parsed {
        Ok(i) => i,
        Err(errors) => return page_for(&state, &ctx, fy, client, Some((&form, errors))).await,
    };
    let (o, actor, item_id, form_code) = (
        ctx.org.clone(),
        ctx.actor(),
        form.item.clone(),
        edition.form.code(),
    );
    state
        .tx(move |c| {
            let a = assessments::current_for(c, o.id.0, fy.0, form_code, client_id)?.ok_or_else(
                || {
                    AppError::BadRequest(
                        "この年度のチェックリストはまだ開始されていません。".to_owned(),
                    )
                },
            )?;
            // A draft started before its edition had the gate question gets the row now.
            assessments::ensure_row(c, &a, &item_id)?;
            assessments::set_answer(c, &o, &actor, &a, &item_id, &input)?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("{}#{anchor}", checklist_url(org, fy, client_id))).into_response())
}

#[derive(Template)]
#[template(path = "checklist_complete.html")]
struct CompletePage {
    layout: Layout,
    org: i64,
    fy: i32,
    fy_label: String,
    edition_label: String,
    assessment_id: i64,
    client_id: i64,
    client_q: String,
    client_name: String,
    total: usize,
    counts: Vec<(&'static str, usize)>,
    missing: Vec<String>,
}

/// What keeps an assessment from completion: a gate question or item without an answer
/// or 確認日, いいえ without 対応目標日. A gate answered いいえ releases the items.
fn missing_for_completion(edition: &Edition, rows: &[AnswerRow]) -> Vec<String> {
    let mut missing = Vec::new();
    for g in &edition.gate_questions {
        if !is_answered(rows.iter().find(|r| r.item_id == g.id)) {
            missing.push(format!(
                "前提の確認「{}」: 回答または確認日が未入力です。",
                g.text
            ));
        }
    }
    if gated_off(edition, rows) {
        return missing;
    }
    for item in &edition.items {
        let row = rows.iter().find(|r| r.item_id == item.id.as_str());
        let label = item_label(item);
        match row {
            Some(r) if r.answer.is_some() && r.checked_on.is_some() => {
                if r.answer == Some(Answer::No) && r.target_date.is_none() {
                    missing.push(format!("{label}: 対応目標日が未入力です。"));
                }
            }
            _ => missing.push(format!("{label}: 回答または確認日が未入力です。")),
        }
    }
    missing
}

async fn draft_with_answers(
    state: &AppState,
    ctx: &OrgCtx,
    fy: FiscalYear,
    form: Form,
    client: Option<i64>,
) -> Result<(Assessment, Vec<AnswerRow>), AppError> {
    let o = ctx.org.clone();
    state
        .db(move |c| {
            let a = assessments::current_for(c, o.id.0, fy.0, form.code(), client)?
                .filter(|a| !a.is_completed())
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "確定できる回答中のチェックリストがありません。".to_owned(),
                    )
                })?;
            let rows = assessments::answers(c, a.id)?;
            Ok((a, rows))
        })
        .await
}

/// `GET /o/{org}/checklist/complete?fy=…`: the confirmation step.
pub async fn complete_page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditOrgProfile)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let client = client_scope(&state, &ctx, fy, q.client).await?;
    let client_id = client.as_ref().map(|c| c.id);
    let (a, rows) = draft_with_answers(&state, &ctx, fy, edition.form, client_id).await?;
    let counts = Answer::ALL
        .into_iter()
        .map(|ans| {
            (
                ans.label_ja(),
                rows.iter().filter(|r| r.answer == Some(ans)).count(),
            )
        })
        .collect();
    let t = ctx.auth.t;
    render(&CompletePage {
        layout: Layout::org(&state, &ctx, t.s("checklist.complete"), "nav.checklist"),
        org,
        fy: fy.0,
        fy_label: fy.label_both(),
        edition_label: edition.label_ja(),
        assessment_id: a.id,
        client_id: client_id.unwrap_or(0),
        client_q: client_id
            .map(|c| format!("&client={c}"))
            .unwrap_or_default(),
        client_name: client.map(|c| c.name).unwrap_or_default(),
        total: edition.items.len(),
        counts,
        missing: missing_for_completion(edition, &rows),
    })
}

#[derive(Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    assessment: i64,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    client: Option<i64>,
}

/// `POST /o/{org}/checklist/complete`: freezes the assessment confirmed on the previous
/// step.
pub async fn complete(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(form): axum::Form<CompleteForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let fy = parse_fy(form.fy.as_deref())?;
    let client = client_scope(&state, &ctx, fy, form.client)
        .await?
        .map(|c| c.id);
    if form.confirm != "1" {
        let client_q = client.map(|c| format!("&client={c}")).unwrap_or_default();
        return Ok(Redirect::to(&format!(
            "/o/{org}/checklist/complete?fy={}{client_q}",
            fy.0
        ))
        .into_response());
    }
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?.clone();
    let (a, _) = draft_with_answers(&state, &ctx, fy, edition.form, client).await?;
    if a.id != form.assessment {
        return Err(AppError::BadRequest(
            "確認したチェックリストと異なります。確認画面からやり直してください。".to_owned(),
        ));
    }
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            // Checked again inside the transaction that freezes, so no answer changes
            // between the check and the freeze (the draft's row is locked first).
            assessments::lock_draft(c, &a)?;
            let missing = missing_for_completion(&edition, &assessments::answers(c, a.id)?);
            if !missing.is_empty() {
                return Err(AppError::BadRequest(format!(
                    "未入力の項目があるため確定できません（{}件）: {}",
                    missing.len(),
                    missing.join(" ")
                )));
            }
            Ok(assessments::complete(c, &o, &actor, &a)?)
        })
        .await?;
    Ok(Redirect::to(&checklist_url(org, fy, client)).into_response())
}

/// Loads the 年度's export and records it (`export.checklist` with the format).
async fn load_export(
    state: &AppState,
    auth: Authed,
    org: i64,
    q: FyQuery,
    format: &'static str,
) -> Result<checklist_export::Export, AppError> {
    let ctx = auth.in_org(state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| checklist_export::load(c, &o, &actor, fy, format).map_err(export_error))
        .await
}

/// `GET /o/{org}/checklist/export.csv?fy=…` — recorded in the audit ledger.
pub async fn export_csv(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let export = load_export(&state, auth, org, q, "csv").await?;
    let body = checklist_export::csv(&export.rows).into_bytes();
    Ok(attachment(
        "text/csv; charset=utf-8",
        &export.file_name("csv"),
        body,
    ))
}

/// `GET /o/{org}/checklist/export.xlsx?fy=…` — the official form's layout; recorded in the
/// audit ledger.
pub async fn export_xlsx(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let export = load_export(&state, auth, org, q, "xlsx").await?;
    let body = checklist_export::xlsx(&export)
        .map_err(|e| AppError::Internal(format!("checklist xlsx: {e}")))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &export.file_name("xlsx"),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist_export::form_for;
    use anzen_core::OrgKind;

    fn form(answer: &str, checked_on: &str, target_date: &str) -> AnswerForm {
        AnswerForm {
            csrf: String::new(),
            fy: None,
            item: String::new(),
            answer: answer.into(),
            checked_on: checked_on.into(),
            target_date: target_date.into(),
            note: String::new(),
            client: None,
        }
    }

    fn r7_item(id: &str) -> Item {
        let cat = checklist_export::catalog().expect("catalog");
        cat.item(&ItemId::new(id)).expect("item").1.clone()
    }

    #[test]
    fn page_order_and_anchors_follow_the_printed_form() {
        let cat = checklist_export::catalog().expect("catalog");
        for edition in cat.editions() {
            let groups = group_views(edition, &[], &Evidence::none(), &[]);
            let shown: Vec<(String, String)> = groups
                .iter()
                .flat_map(|g| g.subs.iter().flat_map(|s| s.items.iter()))
                .map(|i| (i.id.clone(), i.anchor.clone()))
                .collect();
            let printed: Vec<(String, String)> = edition
                .items
                .iter()
                .enumerate()
                .map(|(p, i)| (i.id.to_string(), format!("item-{}", p + 1)))
                .collect();
            assert_eq!(shown, printed, "{}", edition.label_ja());
        }
    }

    #[test]
    fn form_follows_the_organisation_kind() {
        let cat = checklist_export::catalog().expect("catalog");
        assert_eq!(form_for(&cat, OrgKind::SystemVendor, 2025), Form::Vendor);
        assert_eq!(form_for(&cat, OrgKind::Clinic, 2025), Form::Medical);
        assert_eq!(form_for(&cat, OrgKind::Pharmacy, 2025), Form::Pharmacy);
        // No 薬局確認用 before 令和7年度.
        assert_eq!(form_for(&cat, OrgKind::Pharmacy, 2024), Form::Medical);
    }

    #[test]
    fn target_date_must_fall_within_the_fiscal_year() {
        let item = &r7_item("R7/medical/2-④/server");
        let today = jiff::civil::date(2025, 10, 1);
        let fy = FiscalYear(2025);
        let ok = parse_answer(item, fy, today, &form("no", "R7.6.1", "2026-03-31")).expect("ok");
        assert_eq!(ok.checked_on.as_deref(), Some("2025-06-01"));
        assert_eq!(ok.target_date.as_deref(), Some("2026-03-31"));
        let err = parse_answer(item, fy, today, &form("no", "", "2026-04-01")).expect_err("out");
        assert!(
            err[0].starts_with("項目 2-④（サーバ）の対応目標日「2026-04-01」は令和7年度"),
            "{err:?}"
        );
        let err = parse_answer(item, fy, today, &form("no", "", "")).expect_err("missing");
        assert!(err[0].contains("対応目標日"), "{err:?}");
        let err = parse_answer(item, fy, today, &form("maybe", "2025-13-01", "")).expect_err("bad");
        assert_eq!(err.len(), 2, "{err:?}");
        let err =
            parse_answer(item, fy, today, &form("yes", "2025-10-02", "")).expect_err("future");
        assert!(err[0].contains("未来"), "{err:?}");
        // はい: no target date kept; empty 確認日 is today.
        let yes = parse_answer(item, fy, today, &form("yes", "", "2026-01-01")).expect("yes");
        assert_eq!(yes.target_date, None);
        assert_eq!(yes.checked_on.as_deref(), Some("2025-10-01"));
    }
}
