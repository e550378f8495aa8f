//! 月次のアクセスログ監査報告 — `/o/{org}/access-log/audit?month=YYYY-MM`: the month's
//! counts (events by system and 操作, distinct users and patients, failed sign-ins,
//! quarantined lines), its monitoring findings with their handling (担当, 対応状況), the
//! signed ledger checkpoint at month end; an A4 print view, an xlsx download, and the
//! sign-off by the 安全管理責任者 (comment, signer, time; audited as `access_audit.sign`,
//! mirroring the accounts' monthly 棚卸). The signed months feed the 2-(6) evidence rule.

use std::collections::{BTreeMap, HashSet};

use anzen_core::calendar::parse_month;
use anzen_core::{Action, OrgId};
use anzen_ingest::{AccessAction, AccessResult, Choice};
use anzen_store::access_monitoring::{self as monitoring, AuditReport};
use anzen_store::findings::{self as findings_store, Finding};
use anzen_store::orgs::Org;
use anzen_store::{Conn, StoreError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use super::{Layout, attachment, jst, render, today_jst};
use crate::checks::{CheckError, jst_midnight};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState};

/// One row of the counts: system × 操作.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub system: String,
    pub action: String,
    pub events: u64,
}

/// A finding of the month as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    pub id: i64,
    pub severity: String,
    pub title: String,
    pub message: String,
    pub date: String,
    pub open: bool,
    pub assignee: String,
    pub progress: String,
    pub note: String,
}

/// The month's report content (stored as JSON when signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub month: String,
    pub events: u64,
    pub users: u64,
    pub patients: u64,
    pub failed_sign_ins: u64,
    /// Lines quarantined during the month (when they were received or imported: a
    /// malformed line has no trustworthy 日時).
    pub quarantined: u64,
    pub counts: Vec<CountRow>,
    pub findings: Vec<FindingRow>,
    /// The signed checkpoint cited (note text) and when it was signed.
    pub checkpoint: Option<String>,
    pub checkpoint_at: Option<String>,
    pub checkpoint_size: Option<u64>,
}

fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn next_month(d: Date) -> Date {
    d.last_of_month().tomorrow().unwrap_or(d)
}

/// The month's counts, findings and checkpoint, read in the caller's transaction.
pub fn summary(
    conn: &mut Conn,
    org: &Org,
    first: Date,
    now_us: i64,
) -> Result<Summary, CheckError> {
    let (start, end) = (jst_midnight(first), jst_midnight(next_month(first)));
    let mut counts: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    let mut users: HashSet<(String, String)> = HashSet::new();
    let mut patients: HashSet<String> = HashSet::new();
    let (mut events, mut failed) = (0u64, 0u64);
    anzen_accesslog::stream(conn, org, start, end, |s| -> Result<bool, CheckError> {
        let e = s.event;
        events += 1;
        if e.action == AccessAction::LoginFailed
            || (e.action == AccessAction::Login && e.result == Some(AccessResult::Failure))
        {
            failed += 1;
        }
        *counts.entry((e.system.clone(), e.action.ja())).or_default() += 1;
        if let Some(p) = e.patient.filter(|p| !p.trim().is_empty()) {
            patients.insert(p);
        }
        users.insert((e.system, e.user));
        Ok(true)
    })?;
    let quarantined = monitoring::quarantined_between(conn, org, start, end)?;
    let month = month_key(first);
    let findings: Vec<FindingRow> = findings_store::list(conn, org, false)?
        .into_iter()
        .filter(|f| f.rule.starts_with("access."))
        .filter_map(|f| {
            let date = f.key.rsplit('/').next()?.to_owned();
            date.starts_with(&month).then(|| row(&f, date))
        })
        .collect();
    // The running month cites the latest checkpoint; a finished one the last signed at or
    // before its end.
    let at = if end > now_us { now_us } else { end };
    let cp = anzen_store::ledger::checkpoint_at(conn, org.id, at)?;
    Ok(Summary {
        month,
        events,
        users: users.len() as u64,
        patients: patients.len() as u64,
        failed_sign_ins: failed,
        quarantined,
        counts: counts
            .into_iter()
            .map(|((system, action), events)| CountRow {
                system,
                action: action.to_owned(),
                events,
            })
            .collect(),
        findings,
        checkpoint_at: cp.as_ref().map(|c| jst(c.2)),
        checkpoint_size: cp.as_ref().map(|c| c.1),
        checkpoint: cp.map(|c| c.0),
    })
}

fn row(f: &Finding, date: String) -> FindingRow {
    FindingRow {
        id: f.id,
        severity: f.severity.label_ja().to_owned(),
        title: f.title.clone(),
        message: f.message.clone(),
        date,
        open: f.open,
        assignee: f.tracking.assignee.clone().unwrap_or_default(),
        progress: if f.open {
            f.tracking.progress.label_ja().to_owned()
        } else {
            "解消".to_owned()
        },
        note: f.tracking.note.clone().unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

/// The month asked for (default: the last complete month), or a Japanese error.
fn month_of(q: &MonthQuery) -> Result<Date, AppError> {
    if q.month.trim().is_empty() {
        let first = today_jst().first_of_month();
        return Ok(first.yesterday().unwrap_or(first).first_of_month());
    }
    parse_month(&q.month).ok_or_else(|| {
        AppError::BadRequest(format!(
            "月『{}』を読めません（例: 2025-04）。",
            q.month.trim()
        ))
    })
}

#[derive(Template)]
#[template(path = "access_audit.html")]
struct AuditPage {
    layout: Layout,
    org: i64,
    s: Summary,
    prev: String,
    next: String,
    ended: bool,
    signed: Option<AuditReport>,
    signed_at: String,
    can_sign: bool,
    reports: Vec<(String, String, String)>,
    facility: String,
    printed: String,
    /// The A4 print view instead of the page.
    print: bool,
}

async fn load(
    state: &AppState,
    ctx: &OrgCtx,
    first: Date,
) -> Result<(Summary, Option<AuditReport>, Vec<AuditReport>), AppError> {
    let o = ctx.org.clone();
    state
        .db(move |c| {
            let s = summary(c, &o, first, anzen_store::now_us())?;
            let signed = monitoring::report(c, &o, &s.month)?;
            let all = monitoring::reports(c, &o)?;
            Ok((s, signed, all))
        })
        .await
}

async fn page(
    state: &AppState,
    ctx: &OrgCtx,
    first: Date,
    print: bool,
) -> Result<Response, AppError> {
    let (s, signed, all) = load(state, ctx, first).await?;
    let month = s.month.clone();
    let tpl = AuditPage {
        layout: Layout::org(
            state,
            ctx,
            &format!("アクセスログ監査報告（{month}）"),
            "nav.access_log",
        ),
        org: ctx.org.id.0,
        prev: month_key(first.yesterday().unwrap_or(first).first_of_month()),
        next: month_key(next_month(first)),
        ended: jst_midnight(next_month(first)) <= anzen_store::now_us(),
        signed_at: signed
            .as_ref()
            .map(|r| jst(r.signed_at))
            .unwrap_or_default(),
        signed,
        can_sign: ctx.role.can(Action::EditOrgProfile),
        reports: all
            .into_iter()
            .map(|r| (r.month, r.signed_by, jst(r.signed_at)))
            .collect(),
        facility: ctx.org.profile.name.clone(),
        printed: jst(anzen_store::now_us()),
        print,
        s,
    };
    render(&tpl)
}

/// `GET /o/{org}/access-log/audit?month=YYYY-MM`
pub async fn audit_page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    let first = month_of(&q)?;
    page(&state, &ctx, first, false).await
}

/// `GET /o/{org}/access-log/audit/print?month=YYYY-MM` — A4.
pub async fn audit_print(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    let first = month_of(&q)?;
    page(&state, &ctx, first, true).await
}

/// The report as a workbook: 概要, 件数, 指摘.
pub fn xlsx(
    facility: &str,
    s: &Summary,
    signed: Option<&AuditReport>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("概要")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 60)?;
    let mut rows: Vec<(&str, String)> = vec![
        ("医療機関", facility.to_owned()),
        ("対象月", s.month.clone()),
        ("アクセス件数", s.events.to_string()),
        ("アカウント数", s.users.to_string()),
        ("患者数", s.patients.to_string()),
        ("ログイン失敗", s.failed_sign_ins.to_string()),
        ("隔離された行（この月に記録）", s.quarantined.to_string()),
        ("指摘", s.findings.len().to_string()),
        (
            "台帳チェックポイント（月末時点）",
            s.checkpoint.clone().unwrap_or_else(|| "なし".to_owned()),
        ),
        (
            "チェックポイント署名日時",
            s.checkpoint_at.clone().unwrap_or_default(),
        ),
    ];
    match signed {
        Some(r) => {
            rows.push(("確認者", r.signed_by.clone()));
            rows.push(("確認日時", jst(r.signed_at)));
            rows.push(("コメント", r.note.clone().unwrap_or_default()));
        }
        None => rows.push(("確認", "未確認".to_owned())),
    }
    for (i, (k, v)) in rows.iter().enumerate() {
        let r = u32::try_from(i).unwrap_or(u32::MAX);
        ws.write_string_with_format(r, 0, *k, &bold)?;
        ws.write_string(r, 1, v)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("件数")?;
    for (c, h) in ["システム", "操作", "件数"].iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    ws.set_column_width(0, 20)?;
    for (i, r) in s.counts.iter().enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        ws.write_string(row, 0, &r.system)?;
        ws.write_string(row, 1, &r.action)?;
        ws.write_number(row, 2, r.events as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let ws = wb.add_worksheet();
    ws.set_name("指摘")?;
    let head = ["日付", "重要度", "指摘", "内容", "担当", "対応状況", "メモ"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
    }
    ws.set_column_width(3, 80)?;
    for (i, f) in s.findings.iter().enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        for (c, v) in [
            &f.date,
            &f.severity,
            &f.title,
            &f.message,
            &f.assignee,
            &f.progress,
            &f.note,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(row, u16::try_from(c).unwrap_or(0), *v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// `GET /o/{org}/access-log/audit.xlsx?month=YYYY-MM` (audited as `export.access_audit`).
pub async fn audit_xlsx(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    ctx.require(Action::Export)?;
    let first = month_of(&q)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let (s, signed) = state
        .tx(move |c| {
            let s = summary(c, &o, first, anzen_store::now_us())?;
            let signed = monitoring::report(c, &o, &s.month)?;
            anzen_store::audit::record(
                c,
                &o,
                &actor,
                "export.access_audit",
                &serde_json::json!({"month": s.month}),
            )?;
            Ok((s, signed))
        })
        .await?;
    let body = xlsx(&ctx.org.profile.name, &s, signed.as_ref())
        .map_err(|e| AppError::Internal(format!("access audit xlsx: {e}")))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("access-audit-{}.xlsx", s.month),
        body,
    ))
}

#[derive(Deserialize)]
pub struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    note: String,
}

/// Signs off `month` in the caller's transaction: the report as it stands now (counts,
/// findings with their handling, the month-end checkpoint) is frozen into the record and
/// the ledger. Only a month that has ended can be signed.
pub fn sign(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    first: Date,
    note: Option<String>,
    now_us: i64,
) -> Result<AuditReport, AppError> {
    if jst_midnight(next_month(first)) > now_us {
        return Err(AppError::BadRequest(format!(
            "{} はまだ終わっていません。月が終わってから確認してください。",
            month_key(first)
        )));
    }
    let s = summary(conn, org, first, now_us)?;
    let report = AuditReport {
        month: s.month.clone(),
        checkpoint: s.checkpoint.clone(),
        summary: serde_json::to_value(&s).map_err(|e| AppError::Internal(e.to_string()))?,
        note,
        signed_by: actor.to_owned(),
        signed_at: now_us,
    };
    monitoring::sign_report(conn, org, actor, &report).map_err(|e| match e {
        StoreError::Conflict(m) => AppError::BadRequest(m),
        other => other.into(),
    })?;
    Ok(report)
}

/// `POST /o/{org}/access-log/audit/sign` — the 安全管理責任者 (or 管理者) signs the month off.
pub async fn audit_sign(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<SignForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::ReadAudit)?;
    ctx.require(Action::EditOrgProfile)?;
    let first = month_of(&MonthQuery {
        month: f.month.clone(),
    })?;
    let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let month = month_key(first);
    state
        .tx(move |c| sign(c, &o, &actor, first, note, anzen_store::now_us()))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/access-log/audit?month={month}#signoff")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert_eq!(
            next_month(Date::constant(2025, 12, 1)),
            Date::constant(2026, 1, 1)
        );
        assert_eq!(month_key(Date::constant(2025, 4, 1)), "2025-04");
    }
}
