//! 指摘事項 — the findings of every rule, worst first, with remediation tracking (担当, 期限,
//! 対応状況, メモ). A finding whose condition is gone is resolved by the next evaluation and
//! stays listed under 解消済み with its history in the ledger.

use anzen_core::calendar::parse_date;
use anzen_core::finding::{Progress, Severity};
use anzen_core::rules::assets::asset_key;
use anzen_core::{Action, OrgId};
use anzen_store::findings::{self as findings_store, Finding, Tracking};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, jst, render};
use crate::ctx::Authed;
use crate::{AppError, AppState};

/// One finding as listed.
pub struct FindingLine {
    pub id: i64,
    pub severity: &'static str,
    pub severity_class: &'static str,
    pub title: String,
    pub subject: String,
    pub subject_href: String,
    pub message: String,
    pub checklist: String,
    pub due_hint: String,
    pub open: bool,
    pub first_seen: String,
    pub resolved: String,
    pub assignee: String,
    pub due_date: String,
    pub progress: &'static str,
    pub note: String,
}

fn class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low | Severity::Info => "sev-low",
    }
}

/// The finding as a list line; `asset_ids` maps 資産ID to the asset page.
pub fn line(f: &Finding, org: i64, asset_ids: &[(String, i64)]) -> FindingLine {
    let subject_href = asset_key(&f.subject)
        .and_then(|k| asset_ids.iter().find(|(key, _)| key == k))
        .map(|(_, id)| format!("/o/{org}/assets/{id}"))
        .unwrap_or_default();
    FindingLine {
        id: f.id,
        severity: f.severity.label_ja(),
        severity_class: class(f.severity),
        title: f.title.clone(),
        subject: f.subject.clone(),
        subject_href,
        message: f.message.clone(),
        checklist: f.checklist.join("・"),
        due_hint: f.due_hint.clone().unwrap_or_default(),
        open: f.open,
        first_seen: jst(f.first_seen),
        resolved: f.resolved_at.map(jst).unwrap_or_default(),
        assignee: f.tracking.assignee.clone().unwrap_or_default(),
        due_date: f.tracking.due_date.clone().unwrap_or_default(),
        progress: f.tracking.progress.code(),
        note: f.tracking.note.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    layout: Layout,
    org: i64,
    lines: Vec<FindingLine>,
    show_all: bool,
    open: usize,
    by_severity: Vec<(&'static str, &'static str, usize)>,
    progresses: Vec<(&'static str, &'static str)>,
    can_edit: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    show: Option<String>,
}

/// `GET /o/{org}/findings?show=all`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let show_all = q.show.as_deref() == Some("all");
    let o = ctx.org.clone();
    let (all, ids) = state
        .db(move |c| {
            let all = findings_store::list(c, &o, !show_all)?;
            let ids = anzen_store::assets::list(c, &o)?
                .into_iter()
                .map(|a| (a.data.key, a.id))
                .collect::<Vec<_>>();
            Ok((all, ids))
        })
        .await?;
    let open: Vec<&Finding> = all.iter().filter(|f| f.open).collect();
    render(&FindingsPage {
        layout: Layout::org(&state, &ctx, "指摘事項", "nav.findings"),
        org,
        by_severity: Severity::ALL
            .into_iter()
            .map(|s| {
                (
                    s.label_ja(),
                    class(s),
                    open.iter().filter(|f| f.severity == s).count(),
                )
            })
            .collect(),
        open: open.len(),
        lines: all.iter().map(|f| line(f, org, &ids)).collect(),
        show_all,
        progresses: Progress::ALL
            .into_iter()
            .map(|p| (p.code(), p.label_ja()))
            .collect(),
        can_edit: ctx.role.can(Action::EditRecords),
    })
}

#[derive(Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    note: String,
}

/// `POST /o/{org}/findings/{id}`: sets 担当, 期限, 対応状況 and メモ (audited).
pub async fn track(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<TrackForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let progress = Progress::parse(f.progress.trim())
        .ok_or_else(|| AppError::BadRequest("対応状況を選んでください。".to_owned()))?;
    let due_date = match f.due_date.trim() {
        "" => None,
        s => Some(
            parse_date(s)
                .map_err(|e| AppError::BadRequest(format!("期限: {}", e.message_ja())))?
                .to_string(),
        ),
    };
    let opt = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.chars().take(500).collect::<String>())
    };
    let t = Tracking {
        assignee: opt(&f.assignee),
        due_date,
        progress,
        note: opt(&f.note),
    };
    if progress == Progress::Accepted && t.note.is_none() {
        return Err(AppError::BadRequest(
            "リスク受容とする場合は、理由をメモに記入してください。".to_owned(),
        ));
    }
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| Ok(findings_store::set_tracking(c, &o, &actor, id, &t)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/findings#finding-{id}")).into_response())
}
