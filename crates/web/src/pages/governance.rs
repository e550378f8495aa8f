//! 運用管理 — the governance records: the 運用管理規程 (generated from the template of
//! `anzen_core::rules::governance`, edited section by section, versioned, approved, reviewed
//! yearly, printed on A4), the training sessions (研修: テキスト, 出席者 from the 職員名簿, the
//! per-staff attendance of a 年度 and who is missing) and the 年度 PDCA calendar (its
//! reminders are also on the dashboard).

use anzen_core::calendar::{EraYear, FiscalYear, parse_date, wareki};
use anzen_core::rules::accounts::Staff;
use anzen_core::rules::governance::{
    self as rules, OrgData, PolicyDocument, PolicySection, Task, TaskStatus, calendar, generate,
    missing_attendance,
};
use anzen_core::{Action, OrgId};
use anzen_store::findings as findings_store;
use anzen_store::governance::{
    self as store, Attendee, NewText, PolicyVersion, TrainingData, TrainingSession,
};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::checklist::evidence::{
    MAX_FILE_BYTES, clean_content_type, clean_file_name, content_disposition, size_label,
};
use super::incident::{FindingLine, finding_lines, opt};
use super::vendors::Pairs;
use super::{Layout, form_status, jst, render, today_jst};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState, checks, upload};

/// Upload limit of a テキスト (same as checklist evidence).
pub const BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

const MAX_HEADING: usize = 100;
const MAX_BODY: usize = 20_000;
const MAX_SECTIONS: usize = 60;

fn doc_of(v: &PolicyVersion) -> PolicyDocument {
    serde_json::from_str(&v.document).unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct FyQuery {
    fy: Option<i32>,
}

fn fy_or_current(q: &FyQuery) -> FiscalYear {
    q.fy.filter(|y| (1990..=2100).contains(y))
        .map_or_else(|| FiscalYear::of(today_jst()), FiscalYear)
}

// ---------------------------------------------------------------------------------------
// 運用管理規程
// ---------------------------------------------------------------------------------------

/// A section in the edit form.
pub struct SectionForm {
    pub article: String,
    pub code: String,
    pub heading: String,
    pub body: String,
    pub rows: usize,
}

pub struct VersionLine {
    pub version: i64,
    pub status: String,
    pub updated: String,
    pub by: String,
}

pub struct ReviewLine {
    pub on: String,
    pub version: i64,
    pub by: String,
    pub outcome: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "governance_policy.html")]
struct PolicyPage {
    layout: Layout,
    org: i64,
    in_force: String,
    review_due: String,
    editing: String,
    has_any: bool,
    has_draft: bool,
    has_approved: bool,
    title: String,
    sections: Vec<SectionForm>,
    unfilled: Vec<String>,
    versions: Vec<VersionLine>,
    reviews: Vec<ReviewLine>,
    findings: Vec<FindingLine>,
    approver: String,
    today: String,
    can_edit: bool,
    can_approve: bool,
    errors: Vec<String>,
}

fn section_forms(doc: &PolicyDocument) -> Vec<SectionForm> {
    doc.sections
        .iter()
        .enumerate()
        .map(|(i, s)| SectionForm {
            article: format!("第{}条", i + 1),
            code: s.code.clone(),
            heading: s.heading.clone(),
            body: s.body.clone(),
            rows: (s.body.lines().count() + 1).clamp(3, 16),
        })
        .collect()
}

async fn policy_page_with(
    state: &AppState,
    ctx: &OrgCtx,
    form: Option<PolicyDocument>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (versions, reviews, open) = state
        .db(move |c| {
            Ok((
                store::policy_versions(c, &o)?,
                store::policy_reviews(c, &o)?,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let latest = versions.first();
    let approved = versions.iter().find(|v| v.is_approved());
    let doc = form.unwrap_or_else(|| latest.map(doc_of).unwrap_or_default());
    let editing = match latest {
        Some(v) if !v.is_approved() => format!("第{}版（下書き）を編集しています。", v.version),
        Some(v) => format!(
            "第{}版は承認済みです。保存すると第{}版の下書きになります。",
            v.version,
            v.version + 1
        ),
        None => String::new(),
    };
    let state_now = checks::policy_state(&versions, &reviews);
    let (in_force, review_due) = match (approved, &state_now.approved) {
        (Some(v), Some(a)) => (
            format!(
                "第{}版（{} 承認、{}）",
                v.version,
                wareki(a.approved_on),
                v.approved_by.clone().unwrap_or_default()
            ),
            format!(
                "{}（最後の確認 {}）",
                wareki(a.review_due()),
                wareki(a.last_checked())
            ),
        ),
        _ => ("承認済みの規程はありません".to_owned(), String::new()),
    };
    let today = today_jst();
    let status = form_status(errors.is_empty());
    let html = render(&PolicyPage {
        layout: Layout::org(state, ctx, "運用管理規程", "nav.governance"),
        org: ctx.org.id.0,
        in_force,
        review_due,
        editing,
        has_any: latest.is_some(),
        has_draft: latest.is_some_and(|v| !v.is_approved()),
        has_approved: approved.is_some(),
        title: doc.title.clone(),
        unfilled: doc.unfilled(),
        sections: section_forms(&doc),
        versions: versions
            .iter()
            .map(|v| VersionLine {
                version: v.version,
                status: match &v.approved_on {
                    Some(d) => format!("{d} 承認（{}）", v.approved_by.clone().unwrap_or_default()),
                    None => "下書き".to_owned(),
                },
                updated: jst(v.updated_at),
                by: v.created_by.clone(),
            })
            .collect(),
        reviews: reviews
            .iter()
            .map(|r| ReviewLine {
                on: r.reviewed_on.clone(),
                version: r.version,
                by: r.reviewed_by.clone(),
                outcome: r.outcome.clone(),
                note: r.note.clone().unwrap_or_default(),
            })
            .collect(),
        findings: finding_lines(&open, rules::RULE_PREFIX)
            .into_iter()
            .filter(|f| f.title.contains("運用管理規程"))
            .collect(),
        approver: ctx.auth.user.display_name.clone(),
        today: today.to_string(),
        can_edit: ctx.role.can(Action::EditRecords),
        can_approve: ctx.role.can(Action::EditOrgProfile),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/governance/policy`
pub async fn policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    policy_page_with(&state, &ctx, None, Vec::new()).await
}

/// The organisation's data for the template: facility, officers, systems, vendors.
fn org_data(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<OrgData, AppError> {
    Ok(OrgData {
        facility: org.profile.name.clone(),
        security_officer: org.profile.security_officer.clone(),
        ciso: org.profile.ciso.clone(),
        systems: anzen_store::accounts::systems(c, org)?
            .into_iter()
            .map(|s| s.data.name)
            .collect(),
        vendors: anzen_store::vendors::list(c, org)?
            .into_iter()
            .filter(|v| v.data.active)
            .map(|v| v.data.name)
            .collect(),
    })
}

fn to_json(doc: &PolicyDocument) -> Result<String, AppError> {
    serde_json::to_string(doc).map_err(|e| AppError::Internal(format!("policy: {e}")))
}

/// `POST /o/{org}/governance/policy/generate`: (re)writes the draft from the template
/// filled with the organisation's data (the earlier draft stays in the ledger).
pub async fn generate_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(Pairs(p).get("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            let doc = generate(&org_data(c, &o)?);
            store::save_policy(c, &o, &actor, &to_json(&doc)?)?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/governance/policy")).into_response())
}

/// Reads the edit form: `title`, per section `code_i` / `heading_i` / `body_i`, and an
/// optional new section `heading_new` / `body_new`. A section with both heading and body
/// emptied is removed.
pub fn parse_policy(p: &Pairs) -> Result<PolicyDocument, (PolicyDocument, Vec<String>)> {
    let mut errors = Vec::new();
    let title: String = p.get("title").chars().take(200).collect();
    if title.is_empty() {
        errors.push("「表題」を入力してください。".to_owned());
    }
    let mut sections = Vec::new();
    let mut i = 0;
    while i < MAX_SECTIONS
        && p.0
            .iter()
            .any(|(k, _)| k == &format!("heading_{i}") || k == &format!("body_{i}"))
    {
        let heading = p.get(&format!("heading_{i}"));
        let body = p.get(&format!("body_{i}"));
        i += 1;
        if heading.is_empty() && body.is_empty() {
            continue;
        }
        sections.push(PolicySection {
            code: p.get(&format!("code_{}", i - 1)).chars().take(40).collect(),
            heading: heading.to_owned(),
            body: body.replace("\r\n", "\n"),
        });
    }
    let (nh, nb) = (p.get("heading_new"), p.get("body_new"));
    if !nh.is_empty() || !nb.is_empty() {
        sections.push(PolicySection {
            code: "custom".to_owned(),
            heading: nh.to_owned(),
            body: nb.replace("\r\n", "\n"),
        });
    }
    for (n, s) in sections.iter().enumerate() {
        if s.heading.is_empty() {
            errors.push(format!("第{}条: 「見出し」を入力してください。", n + 1));
        }
        if s.heading.chars().count() > MAX_HEADING {
            errors.push(format!(
                "第{}条: 「見出し」は{MAX_HEADING}文字以内で入力してください。",
                n + 1
            ));
        }
        if s.body.chars().count() > MAX_BODY {
            errors.push(format!(
                "第{}条: 「本文」は{MAX_BODY}文字以内で入力してください。",
                n + 1
            ));
        }
    }
    if sections.is_empty() {
        errors.push("条文が1つもありません。".to_owned());
    }
    let doc = PolicyDocument { title, sections };
    if errors.is_empty() {
        Ok(doc)
    } else {
        Err((doc, errors))
    }
}

/// `POST /o/{org}/governance/policy`: saves the edited draft (or starts the next version).
pub async fn save_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(p);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let doc = match parse_policy(&p) {
        Ok(d) => d,
        Err((d, e)) => return policy_page_with(&state, &ctx, Some(d), e).await,
    };
    let json = to_json(&doc)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::save_policy(c, &o, &actor, &json)?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/governance/policy")).into_response())
}

fn approval_date(v: &str, label: &str, errors: &mut Vec<String>) -> Option<jiff::civil::Date> {
    let d = parse_date(v).ok().filter(|d| *d <= today_jst());
    if d.is_none() {
        errors.push(format!(
            "「{label}」{} は今日までの日付で入力してください。",
            v.trim()
        ));
    }
    d
}

/// `POST /o/{org}/governance/policy/approve`: approves the draft (管理者・安全管理責任者).
pub async fn approve_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(p);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditOrgProfile)?;
    let mut errors = Vec::new();
    let by = opt(p.get("approved_by"), 100);
    if by.is_none() {
        errors.push("「承認者」を入力してください。".to_owned());
    }
    let on = approval_date(p.get("approved_on"), "承認日", &mut errors);
    let (Some(by), Some(on), true) = (by, on, errors.is_empty()) else {
        return policy_page_with(&state, &ctx, None, errors).await;
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let res = state
        .tx(move |c| {
            store::approve_policy(c, &o, &actor, &by, &on.to_string())?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await;
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/o/{org}/governance/policy")).into_response()),
        Err(AppError::BadRequest(m)) => policy_page_with(&state, &ctx, None, vec![m]).await,
        Err(e) => Err(e),
    }
}

/// `POST /o/{org}/governance/policy/review`: records the yearly review of the version in
/// force (outcome 「変更なし」 or 「改訂が必要」).
pub async fn review_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(p);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditOrgProfile)?;
    let mut errors = Vec::new();
    let by = opt(p.get("reviewed_by"), 100);
    if by.is_none() {
        errors.push("「確認者」を入力してください。".to_owned());
    }
    let on = approval_date(p.get("reviewed_on"), "見直し日", &mut errors);
    let outcome = match p.get("outcome") {
        "unchanged" => "変更なし",
        "revise" => "改訂が必要",
        other => {
            errors.push(format!(
                "「結果」{other} は「変更なし」か「改訂が必要」を選んでください。"
            ));
            ""
        }
    };
    let note = p.opt("note");
    let (Some(by), Some(on), true) = (by, on, errors.is_empty()) else {
        return policy_page_with(&state, &ctx, None, errors).await;
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let res = state
        .tx(move |c| {
            store::review_policy(
                c,
                &o,
                &actor,
                &on.to_string(),
                &by,
                outcome,
                note.as_deref(),
            )?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await;
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/o/{org}/governance/policy")).into_response()),
        Err(AppError::BadRequest(m)) => policy_page_with(&state, &ctx, None, vec![m]).await,
        Err(e) => Err(e),
    }
}

pub struct PrintArticle {
    pub article: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "governance_policy_print.html")]
struct PolicyPrint {
    layout: Layout,
    org: i64,
    facility: String,
    title: String,
    heading: String,
    approved_by: String,
    approved_on: String,
    articles: Vec<PrintArticle>,
    printed: String,
}

#[derive(Deserialize, Default)]
pub struct VersionQuery {
    version: Option<i64>,
}

/// `GET /o/{org}/governance/policy/print[?version=N]`: the version in force (else the
/// latest draft, marked as such) on A4.
pub async fn print_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let versions = state
        .db(move |c| Ok(store::policy_versions(c, &o)?))
        .await?;
    let v = match q.version {
        Some(n) => Some(
            versions
                .iter()
                .find(|v| v.version == n)
                .ok_or(AppError::NotFound)?,
        ),
        None => versions
            .iter()
            .find(|v| v.is_approved())
            .or(versions.first()),
    };
    let doc = v.map(doc_of).unwrap_or_default();
    let heading = match v {
        Some(v) if v.is_approved() => format!("第{}版", v.version),
        Some(v) => format!("第{}版（未承認の下書き）", v.version),
        None => "規程が登録されていません".to_owned(),
    };
    render(&PolicyPrint {
        layout: Layout::org(&state, &ctx, "運用管理規程（印刷）", "nav.governance"),
        org,
        facility: ctx.org.profile.name.clone(),
        title: doc.title.clone(),
        heading,
        approved_by: v.and_then(|v| v.approved_by.clone()).unwrap_or_default(),
        approved_on: v
            .and_then(|v| v.approved_on.as_deref())
            .and_then(|d| parse_date(d).ok())
            .map(wareki)
            .unwrap_or_default(),
        articles: doc
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| PrintArticle {
                article: doc.article(i),
                body: s.body.clone(),
            })
            .collect(),
        printed: jst(anzen_store::now_us()),
    })
}

// ---------------------------------------------------------------------------------------
// 研修
// ---------------------------------------------------------------------------------------

/// Staff employed today on the latest roster.
fn active_roster(
    c: &mut anzen_store::Conn,
    o: &anzen_store::orgs::Org,
) -> Result<Vec<Staff>, AppError> {
    let today = today_jst();
    Ok(checks::account_inputs(c, o)?
        .staff
        .into_iter()
        .filter(|s| s.retired.is_none_or(|r| r >= today))
        .collect())
}

pub struct SessionLine {
    pub id: i64,
    pub held_on: String,
    pub title: String,
    pub instructor: String,
    pub audience: String,
    pub attendees: usize,
    pub text: String,
}

fn session_line(s: &TrainingSession) -> SessionLine {
    SessionLine {
        id: s.id,
        held_on: parse_date(&s.data.held_on).map_or_else(|_| s.data.held_on.clone(), wareki),
        title: s.data.title.clone(),
        instructor: s.data.instructor.clone().unwrap_or_default(),
        audience: s.data.audience.clone().unwrap_or_default(),
        attendees: s.attendees.len(),
        text: s
            .text
            .as_ref()
            .map(|t| format!("{}（{}）", t.name, size_label(t.size)))
            .unwrap_or_default(),
    }
}

/// A roster line in the attendee picker.
pub struct PickLine {
    pub staff_id: String,
    pub name: String,
    pub department: String,
    pub job: String,
    pub checked: bool,
}

/// A line of the per-staff attendance of a 年度.
pub struct AttendanceLine {
    pub staff_id: String,
    pub name: String,
    pub department: String,
    pub job: String,
    pub attended: String,
    pub missing: bool,
}

/// The session form's values.
#[derive(Default)]
pub struct SessionForm {
    pub title: String,
    pub held_on: String,
    pub instructor: String,
    pub audience: String,
    pub note: String,
    pub others: String,
}

#[derive(Template)]
#[template(path = "governance_training.html")]
struct TrainingPage {
    layout: Layout,
    org: i64,
    fy_label: String,
    prev_fy: i32,
    next_fy: i32,
    sessions: Vec<SessionLine>,
    attendance: Vec<AttendanceLine>,
    missing: usize,
    roster_size: usize,
    roster_imported: bool,
    picks: Vec<PickLine>,
    form: SessionForm,
    findings: Vec<FindingLine>,
    can_edit: bool,
    errors: Vec<String>,
}

async fn training_page_with(
    state: &AppState,
    ctx: &OrgCtx,
    fy: FiscalYear,
    form: Option<(SessionForm, Vec<String>)>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (in_year, roster, roster_imported, open) = state
        .db(move |c| {
            let imported = anzen_store::accounts::snapshots(c, &o)?
                .iter()
                .any(|s| s.kind == "staff");
            Ok((
                store::training_in_year(c, &o, fy.0)?,
                active_roster(c, &o)?,
                imported,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let today = today_jst();
    // For a past 年度, who was employed at its end; for this one, today.
    let as_of = if fy.end() < today { fy.end() } else { today };
    let rule_sessions: Vec<rules::TrainingSession> = in_year
        .iter()
        .filter_map(|s| {
            Some(rules::TrainingSession {
                title: s.data.title.clone(),
                date: parse_date(&s.data.held_on).ok()?,
                attendee_staff_ids: s
                    .attendees
                    .iter()
                    .filter_map(|a| a.staff_id.clone())
                    .collect(),
            })
        })
        .collect();
    let missing: Vec<String> = missing_attendance(&roster, &rule_sessions, fy, as_of)
        .iter()
        .map(|s| s.staff_id.clone())
        .collect();
    let attendance = roster
        .iter()
        .map(|s| {
            let attended: Vec<String> = rule_sessions
                .iter()
                .filter(|t| {
                    t.attendee_staff_ids
                        .iter()
                        .any(|id| id.trim() == s.staff_id.trim())
                })
                .map(|t| format!("{} {}", anzen_core::calendar::wareki_short(t.date), t.title))
                .collect();
            AttendanceLine {
                staff_id: s.staff_id.clone(),
                name: s.name.clone(),
                department: s.department.clone().unwrap_or_default(),
                job: s.job.clone(),
                attended: if attended.is_empty() {
                    "未受講".to_owned()
                } else {
                    attended.join("、")
                },
                missing: missing.contains(&s.staff_id),
            }
        })
        .collect();
    let (form, checked) = form.unwrap_or_default();
    let status = form_status(errors.is_empty());
    let html = render(&TrainingPage {
        layout: Layout::org(state, ctx, "研修", "nav.governance"),
        org: ctx.org.id.0,
        fy_label: fy.label_both(),
        prev_fy: fy.prev().0,
        next_fy: fy.next().0,
        sessions: in_year.iter().rev().map(session_line).collect(),
        attendance,
        missing: missing.len(),
        roster_size: roster.len(),
        roster_imported,
        picks: roster
            .iter()
            .map(|s| PickLine {
                staff_id: s.staff_id.clone(),
                name: s.name.clone(),
                department: s.department.clone().unwrap_or_default(),
                job: s.job.clone(),
                checked: checked.contains(&s.staff_id),
            })
            .collect(),
        form,
        findings: finding_lines(&open, rules::RULE_PREFIX)
            .into_iter()
            .filter(|f| f.title.contains("研修"))
            .collect(),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/governance/training[?fy=2025]`
pub async fn training(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    training_page_with(&state, &ctx, fy_or_current(&q), None, Vec::new()).await
}

/// A refused session form: what was typed, the checked 職員番号 and the errors.
struct Rejected {
    form: SessionForm,
    checked: Vec<String>,
    errors: Vec<String>,
}

/// Reads a session form: details, `attendee` checkboxes (職員番号 on the roster) and
/// `others` (one free-text name per line).
fn parse_session(
    p: &Pairs,
    roster: &[Staff],
) -> Result<(TrainingData, Vec<Attendee>), Box<Rejected>> {
    let form = SessionForm {
        title: p.get("title").to_owned(),
        held_on: p.get("held_on").to_owned(),
        instructor: p.get("instructor").to_owned(),
        audience: p.get("audience").to_owned(),
        note: p.get("note").to_owned(),
        others: p.get("others").to_owned(),
    };
    let checked: Vec<String> = p
        .all("attendee")
        .iter()
        .map(|s| s.trim().to_owned())
        .collect();
    let mut errors = Vec::new();
    if form.title.is_empty() {
        errors.push("「研修名」を入力してください。".to_owned());
    }
    let held_on = match parse_date(&form.held_on) {
        Ok(d) if d <= today_jst() => Some(d.to_string()),
        Ok(d) => {
            errors.push(format!(
                "「実施日」{d} は今日までの日付で入力してください（実施した研修を記録します）。"
            ));
            None
        }
        Err(e) => {
            errors.push(format!(
                "「実施日」{} を日付として読めません: {}",
                form.held_on,
                e.message_ja()
            ));
            None
        }
    };
    let mut attendees = Vec::new();
    for id in &checked {
        match roster.iter().find(|s| s.staff_id.trim() == id) {
            Some(s) => attendees.push(Attendee {
                staff_id: Some(s.staff_id.clone()),
                name: s.name.clone(),
            }),
            None => errors.push(format!(
                "「出席者」職員番号 {id} は最新の職員名簿にありません。"
            )),
        }
    }
    for (n, line) in form.others.lines().enumerate() {
        let name = line.trim();
        if name.is_empty() {
            continue;
        }
        if name.chars().count() > 100 {
            errors.push(format!(
                "「名簿にない出席者」{}行目: 100文字以内で入力してください。",
                n + 1
            ));
            continue;
        }
        attendees.push(Attendee {
            staff_id: None,
            name: name.to_owned(),
        });
    }
    match (held_on, errors.is_empty()) {
        (Some(held_on), true) => Ok((
            TrainingData {
                title: form.title.chars().take(200).collect(),
                held_on,
                instructor: opt(&form.instructor, 100),
                audience: opt(&form.audience, 200),
                note: opt(&form.note, 2000),
            },
            attendees,
        )),
        _ => Err(Box::new(Rejected {
            form,
            checked,
            errors,
        })),
    }
}

/// `POST /o/{org}/governance/training`: records a session with its attendees.
pub async fn create_training(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(p);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let o = ctx.org.clone();
    let roster = state.db(move |c| active_roster(c, &o)).await?;
    let (data, attendees) = match parse_session(&p, &roster) {
        Ok(x) => x,
        Err(r) => {
            let Rejected {
                form,
                checked,
                errors,
            } = *r;
            return training_page_with(
                &state,
                &ctx,
                FiscalYear::of(today_jst()),
                Some((form, checked)),
                errors,
            )
            .await;
        }
    };
    let fy = parse_date(&data.held_on).map_or_else(|_| FiscalYear::of(today_jst()), FiscalYear::of);
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let id = state
        .tx(move |c| {
            let s = store::create_training(c, &o, &actor, &data, &attendees, None)?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(s.id)
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/governance/training/{id}?fy={}", fy.0)).into_response())
}

#[derive(Template)]
#[template(path = "governance_session.html")]
struct SessionPage {
    layout: Layout,
    org: i64,
    id: i64,
    fy: i32,
    line: SessionLine,
    listed: Vec<Attendee>,
    picks: Vec<PickLine>,
    form: SessionForm,
    has_text: bool,
    can_edit: bool,
    errors: Vec<String>,
}

async fn session_page_with(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
    form: Option<(SessionForm, Vec<String>)>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (s, roster) = state
        .db(move |c| {
            let s = store::training(c, &o, id)?.ok_or(AppError::NotFound)?;
            Ok((s, active_roster(c, &o)?))
        })
        .await?;
    let (form, checked) = form.unwrap_or_else(|| {
        (
            SessionForm {
                title: s.data.title.clone(),
                held_on: s.data.held_on.clone(),
                instructor: s.data.instructor.clone().unwrap_or_default(),
                audience: s.data.audience.clone().unwrap_or_default(),
                note: s.data.note.clone().unwrap_or_default(),
                others: s
                    .attendees
                    .iter()
                    .filter(|a| a.staff_id.is_none())
                    .map(|a| a.name.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            s.attendees
                .iter()
                .filter_map(|a| a.staff_id.clone())
                .collect(),
        )
    });
    let fy =
        parse_date(&s.data.held_on).map_or_else(|_| FiscalYear::of(today_jst()), FiscalYear::of);
    let status = form_status(errors.is_empty());
    let html = render(&SessionPage {
        layout: Layout::org(state, ctx, &s.data.title, "nav.governance"),
        org: ctx.org.id.0,
        id,
        fy: fy.0,
        line: session_line(&s),
        listed: s.attendees.clone(),
        picks: roster
            .iter()
            .map(|r| PickLine {
                staff_id: r.staff_id.clone(),
                name: r.name.clone(),
                department: r.department.clone().unwrap_or_default(),
                job: r.job.clone(),
                checked: checked.contains(&r.staff_id),
            })
            .collect(),
        form,
        has_text: s.text.is_some(),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/governance/training/{id}`
pub async fn session(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    session_page_with(&state, &ctx, id, None, Vec::new()).await
}

/// `POST /o/{org}/governance/training/{id}`: changes the details and the attendees.
pub async fn update_session(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(p): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(p);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let o = ctx.org.clone();
    let roster = state.db(move |c| active_roster(c, &o)).await?;
    let (data, attendees) = match parse_session(&p, &roster) {
        Ok(x) => x,
        Err(r) => {
            let Rejected {
                form,
                checked,
                errors,
            } = *r;
            return session_page_with(&state, &ctx, id, Some((form, checked)), errors).await;
        }
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::update_training(c, &o, &actor, id, &data, &attendees, None)?;
            checks::check_governance(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/governance/training/{id}")).into_response())
}

/// `POST /o/{org}/governance/training/{id}/text` (multipart: csrf, file): the テキスト.
pub async fn upload_text(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let mut up = upload::read(mp, MAX_FILE_BYTES).await?;
    ctx.auth.check_csrf(up.field("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let Some(f) = up.file.take() else {
        return session_page_with(
            &state,
            &ctx,
            id,
            None,
            vec!["ファイルを選んでください。".to_owned()],
        )
        .await;
    };
    let name = f.name.as_deref().and_then(clean_file_name);
    let problem = match &name {
        None => Some("ファイル名を読み取れません。".to_owned()),
        Some(n) if f.bytes.is_empty() => Some(format!("ファイル「{n}」は空です（0バイト）。")),
        Some(n) if f.bytes.len() > MAX_FILE_BYTES => Some(format!(
            "ファイル「{n}」は大きすぎます（上限 {} MB）。",
            MAX_FILE_BYTES / 1024 / 1024
        )),
        _ => None,
    };
    if let Some(p) = problem {
        return session_page_with(&state, &ctx, id, None, vec![p]).await;
    }
    let name = name.unwrap_or_default();
    let ctype = clean_content_type(f.content_type.as_deref());
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            let s = store::training(c, &o, id)?.ok_or(AppError::NotFound)?;
            let attendees = s.attendees.clone();
            store::update_training(
                c,
                &o,
                &actor,
                id,
                &s.data,
                &attendees,
                Some(&NewText {
                    name: &name,
                    content_type: &ctype,
                    content: &f.bytes,
                }),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/governance/training/{id}")).into_response())
}

/// `GET /o/{org}/governance/training/{id}/text`
pub async fn download_text(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (t, body) = state
        .db(move |c| {
            store::training(c, &o, id)?.ok_or(AppError::NotFound)?;
            Ok(store::training_text(c, &o, id)?)
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, t.content_type.clone()),
            (header::CONTENT_DISPOSITION, content_disposition(&t.name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// PDCA カレンダー
// ---------------------------------------------------------------------------------------

/// A task as shown.
pub struct TaskLine {
    pub label: &'static str,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub due: String,
    pub note: String,
    pub href: String,
    pub checklist: &'static str,
}

fn task_line(org: i64, t: &Task) -> TaskLine {
    TaskLine {
        label: t.kind.label_ja(),
        kind: t.kind.code(),
        status: t.status.label_ja(),
        status_code: t.status.code(),
        due: wareki(t.due),
        note: t.note.clone(),
        href: format!("/o/{org}{}", t.link()),
        checklist: t.kind.checklist(),
    }
}

/// One month of the calendar.
pub struct MonthBlock {
    pub heading: String,
    pub current: bool,
    pub tasks: Vec<TaskLine>,
}

#[derive(Template)]
#[template(path = "governance_calendar.html")]
struct CalendarPage {
    layout: Layout,
    org: i64,
    fy_label: String,
    prev_fy: i32,
    next_fy: i32,
    months: Vec<MonthBlock>,
    overdue: usize,
    done: usize,
    total: usize,
}

/// The tasks of `fy` for `org` (also used by the dashboard).
pub fn year_tasks(
    c: &mut anzen_store::Conn,
    o: &anzen_store::orgs::Org,
    fy: FiscalYear,
    today: jiff::civil::Date,
) -> Result<Vec<Task>, AppError> {
    let i = checks::governance_inputs(c, o, today)?;
    Ok(calendar(
        fy,
        &i.calendar,
        &checks::governance_options(o).calendar,
        today,
    ))
}

/// `GET /o/{org}/governance[?fy=2025]`: the 年度 PDCA calendar, April → March.
pub async fn calendar_page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = fy_or_current(&q);
    let today = today_jst();
    let o = ctx.org.clone();
    let tasks = state.db(move |c| year_tasks(c, &o, fy, today)).await?;
    let months = (0..12)
        .map(|i: i8| {
            let m = (3 + i) % 12 + 1;
            let year = if m >= 4 { fy.0 } else { fy.0 + 1 };
            let first = i16::try_from(year)
                .ok()
                .and_then(|y| jiff::civil::Date::new(y, m, 1).ok())
                .unwrap_or(fy.start());
            let heading = match EraYear::of(first) {
                Some(ey) => format!("{ey}{m}月"),
                None => format!("{year}年{m}月"),
            };
            MonthBlock {
                heading,
                current: today.year() == first.year() && today.month() == m,
                tasks: tasks
                    .iter()
                    .filter(|t| t.month == m)
                    .map(|t| task_line(org, t))
                    .collect(),
            }
        })
        .collect();
    render(&CalendarPage {
        layout: Layout::org(&state, &ctx, "年度 PDCA カレンダー", "nav.governance"),
        org,
        fy_label: fy.label_both(),
        prev_fy: fy.prev().0,
        next_fy: fy.next().0,
        overdue: tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Overdue)
            .count(),
        done: tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Done)
            .count(),
        total: tasks.len(),
        months,
    })
}

/// The dashboard's reminders: this 年度's tasks overdue or due within 30 days.
pub fn dashboard_reminders(
    c: &mut anzen_store::Conn,
    o: &anzen_store::orgs::Org,
    today: jiff::civil::Date,
) -> Result<Vec<TaskLine>, AppError> {
    let tasks = year_tasks(c, o, FiscalYear::of(today), today)?;
    Ok(rules::reminders(&tasks, today, 30)
        .into_iter()
        .map(|t| task_line(o.id.0, t))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        Pairs(
            v.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_policy_form_keeps_order_removes_emptied_and_names_errors() {
        let p = pairs(&[
            ("title", "規程"),
            ("code_0", "purpose"),
            ("heading_0", "目的"),
            ("body_0", "本文\r\n2行目"),
            ("code_1", "scope"),
            ("heading_1", ""),
            ("body_1", ""),
            ("heading_new", "追加"),
            ("body_new", "新しい条"),
        ]);
        let d = parse_policy(&p).expect("valid");
        assert_eq!(d.sections.len(), 2);
        assert_eq!(d.sections[0].body, "本文\n2行目");
        assert_eq!(d.sections[1].code, "custom");
        let bad = pairs(&[("title", ""), ("heading_0", ""), ("body_0", "本文")]);
        let (_, e) = parse_policy(&bad).expect_err("invalid");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[1].contains("第1条"));
    }
}
