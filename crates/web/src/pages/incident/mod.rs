//! インシデント対応 — incident readiness (checklist 3-(1), 3-(2), 3-(3)): the 連絡体制図
//! (`contacts`, drawn by `chart`), the インシデント台帳 with its report deadlines and the
//! drafts of the PPC 漏えい等報告 (`register`), backups and restore drills per system
//! (`backups`), the cyber BCP with its 初動対応 card (`bcp`) and the xlsx export
//! (`export`). Every change re-runs `checks::check_incident` in the same transaction.

pub mod backups;
pub mod bcp;
pub mod chart;
pub mod contacts;
pub mod export;
pub mod register;

use anzen_core::calendar::wareki;
use anzen_core::rules::incident::IncidentStatus;
use anzen_core::{Action, OrgId};
use anzen_store::findings::{self as findings_store, Finding};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};

use super::{Layout, render, today_jst};
use crate::checks::INCIDENT_RULE_PREFIXES;
use crate::ctx::Authed;
use crate::{AppError, AppState};

/// The routes of this area (merged into the page router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{org}/incident", get(hub))
        .route(
            "/o/{org}/incident/contacts",
            get(contacts::list).post(contacts::create),
        )
        .route(
            "/o/{org}/incident/contacts/prefill",
            post(contacts::prefill),
        )
        .route("/o/{org}/incident/contacts/print", get(contacts::print))
        .route(
            "/o/{org}/incident/contacts/{id}",
            get(contacts::edit).post(contacts::update),
        )
        .route(
            "/o/{org}/incident/contacts/{id}/delete",
            post(contacts::delete),
        )
        .route(
            "/o/{org}/incident/incidents",
            get(register::list).post(register::create),
        )
        .route(
            "/o/{org}/incident/incidents/{id}",
            get(register::detail).post(register::update),
        )
        .route(
            "/o/{org}/incident/incidents/{id}/events",
            post(register::add_event),
        )
        .route(
            "/o/{org}/incident/incidents/{id}/notifications",
            post(register::add_notification),
        )
        .route(
            "/o/{org}/incident/incidents/{id}/report",
            get(register::report),
        )
        .route("/o/{org}/incident/backups", get(backups::page))
        .route("/o/{org}/incident/backups/jobs", post(backups::add_job))
        .route(
            "/o/{org}/incident/backups/jobs/{id}",
            post(backups::update_job),
        )
        .route(
            "/o/{org}/incident/backups/jobs/{id}/delete",
            post(backups::delete_job),
        )
        .route(
            "/o/{org}/incident/backups/systems/{id}",
            post(backups::save_system),
        )
        .route("/o/{org}/incident/backups/drills", post(backups::add_drill))
        .route("/o/{org}/incident/bcp", get(bcp::page).post(bcp::save))
        .route("/o/{org}/incident/bcp/approve", post(bcp::approve))
        .route("/o/{org}/incident/bcp/print", get(bcp::print))
        .route("/o/{org}/incident/card", get(bcp::card))
        .route("/o/{org}/incident/export.xlsx", get(export::xlsx))
}

/// One open finding as shown on these pages.
pub struct FindingLine {
    pub severity: &'static str,
    pub class: &'static str,
    pub title: String,
    pub message: String,
}

/// The open findings whose rule starts with `prefix`.
pub fn finding_lines(open: &[Finding], prefix: &str) -> Vec<FindingLine> {
    open.iter()
        .filter(|f| f.rule.starts_with(prefix))
        .map(|f| FindingLine {
            severity: f.severity.label_ja(),
            class: match f.severity {
                anzen_core::finding::Severity::Critical => "sev-critical",
                anzen_core::finding::Severity::High => "sev-high",
                anzen_core::finding::Severity::Medium => "sev-medium",
                _ => "sev-low",
            },
            title: f.title.clone(),
            message: f.message.clone(),
        })
        .collect()
}

/// Trims a form field; empty → None; at most `max` characters.
pub fn opt(s: &str, max: usize) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(max).collect())
}

/// Parses an `<input type="datetime-local">` value (JST) into microseconds.
pub fn parse_local(s: &str) -> Option<i64> {
    let s = s.trim();
    let dt: jiff::civil::DateTime = s.parse().ok().or_else(|| format!("{s}:00").parse().ok())?;
    let z = dt
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .ok()?;
    Some(z.timestamp().as_microsecond())
}

/// Microseconds → the value of an `<input type="datetime-local">` (JST).
pub fn local_value(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A date as 和暦 with the western date, e.g. 「令和8年11月25日（2026-11-25）」.
pub fn both(d: jiff::civil::Date) -> String {
    format!("{}（{d}）", wareki(d))
}

#[derive(Template)]
#[template(path = "incident_hub.html")]
struct HubPage {
    layout: Layout,
    org: i64,
    contacts: usize,
    open_incidents: usize,
    jobs: usize,
    bcp: String,
    findings: Vec<FindingLine>,
    today: String,
}

/// `GET /o/{org}/incident`: the overview of the area.
pub async fn hub(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (contacts, incidents, jobs, versions, open) = state
        .db(move |c| {
            Ok((
                anzen_store::incident::contacts(c, &o)?,
                anzen_store::incident::incidents(c, &o)?,
                anzen_store::continuity::jobs(c, &o)?,
                anzen_store::continuity::bcp_versions(c, &o)?,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let findings = INCIDENT_RULE_PREFIXES
        .iter()
        .flat_map(|p| finding_lines(&open, p))
        .collect();
    let bcp = match versions
        .iter()
        .find(|v| v.approved_on.is_some())
        .or(versions.first())
    {
        Some(v) => match &v.approved_on {
            Some(d) => format!("第{}版（{d} 承認）", v.version),
            None => format!("第{}版（未承認の下書き）", v.version),
        },
        None => "未作成".to_owned(),
    };
    render(&HubPage {
        layout: Layout::org(&state, &ctx, "インシデント対応", "nav.incident"),
        org,
        contacts: contacts.len(),
        open_incidents: incidents
            .iter()
            .filter(|i| i.data.status != IncidentStatus::Closed.code())
            .count(),
        jobs: jobs.len(),
        bcp,
        findings,
        today: both(today_jst()),
    })
}
