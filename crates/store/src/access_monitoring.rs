//! アクセスログの監視 — the organisation's monitoring settings (業務時間, 祝日, thresholds,
//! VIP・職員患者, 登録端末) and the monthly 監査 reports signed off by the 安全管理責任者
//! (checklist 2-(6)). What counts as a finding is decided by
//! `anzen_core::rules::access_log`; this module only keeps what people set and signed.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, StoreError, now_us, params};

/// 業務時間 of one weekday, minutes after midnight JST (`end` < `start`: past midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub start_minute: u16,
    pub end_minute: u16,
}

/// A patient who is a member of staff (職員患者).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPatient {
    /// 患者ID.
    pub patient: String,
    /// 職員番号 (the roster's), so that looking at one's own record can be told apart.
    pub staff_id: String,
}

/// The monitoring settings of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitoringSettings {
    /// 業務時間 per weekday, Monday first; `None` = closed all day.
    pub weekday_hours: [Option<DayHours>; 7],
    /// 祝日 (national holidays) count as closed days.
    pub holidays_closed: bool,
    /// Other closed days (年末年始, 創立記念日…), `YYYY-MM-DD`.
    pub closed_days: Vec<String>,
    /// Systems used around the clock (病棟, 救急): never outside hours.
    pub always_open: Vec<String>,
    /// More distinct patients than this in one hour by one account is a finding.
    pub patients_per_hour: u32,
    /// This many failed sign-ins…
    pub failed_logins: u32,
    /// …within this many minutes is a finding.
    pub failed_window_minutes: u32,
    /// This many prints/exports in one hour by one account is a finding.
    pub outputs_per_hour: u32,
    /// 患者ID of patients flagged VIP (著名人など).
    pub vip_patients: Vec<String>,
    /// Patients who are members of staff.
    pub staff_patients: Vec<StaffPatient>,
    /// Registered terminals (端末名, 資産ID or host name); empty = not checked.
    pub terminals: Vec<String>,
}

impl Default for MonitoringSettings {
    /// Monday–Saturday 07:00–21:00, holidays closed, 30 patients/hour, 5 failures in 10
    /// minutes, 100 prints/exports an hour (the rules' defaults).
    fn default() -> Self {
        let day = Some(DayHours {
            start_minute: 7 * 60,
            end_minute: 21 * 60,
        });
        MonitoringSettings {
            weekday_hours: [day, day, day, day, day, day, None],
            holidays_closed: true,
            closed_days: Vec::new(),
            always_open: Vec::new(),
            patients_per_hour: 30,
            failed_logins: 5,
            failed_window_minutes: 10,
            outputs_per_hour: 100,
            vip_patients: Vec::new(),
            staff_patients: Vec::new(),
            terminals: Vec::new(),
        }
    }
}

/// The settings and who changed them last (`None` = never changed: the defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub settings: MonitoringSettings,
    pub updated: Option<(String, i64)>,
}

/// The organisation's monitoring settings (the defaults when never set).
pub fn settings(conn: &mut Conn, org: &Org) -> Result<Stored, StoreError> {
    let row = conn.query_opt(
        "SELECT settings, updated_by, updated_at FROM access_monitoring WHERE org_id = $1",
        params![org.id.0],
    )?;
    match row {
        None => Ok(Stored {
            settings: MonitoringSettings::default(),
            updated: None,
        }),
        Some(r) => Ok(Stored {
            settings: serde_json::from_str(&r.string(0)?)
                .map_err(|e| StoreError::Decode(format!("monitoring settings: {e}")))?,
            updated: Some((r.string(1)?, r.i64(2)?)),
        }),
    }
}

/// Replaces the settings, audited with before and after (`access_monitoring.update`).
pub fn set_settings(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    new: &MonitoringSettings,
) -> Result<(), StoreError> {
    let before = settings(conn, org)?;
    let text = serde_json::to_string(new).map_err(|e| StoreError::Decode(e.to_string()))?;
    let now = now_us();
    if before.updated.is_some() {
        conn.execute(
            "UPDATE access_monitoring SET settings = $2, updated_by = $3, updated_at = $4 WHERE org_id = $1",
            params![org.id.0, text, actor, now],
        )?;
    } else {
        conn.execute(
            "INSERT INTO access_monitoring (org_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
            params![org.id.0, text, actor, now],
        )?;
    }
    audit::record(
        conn,
        org,
        actor,
        "access_monitoring.update",
        &Change {
            before: Some(&before.settings),
            after: Some(new),
        },
    )?;
    Ok(())
}

/// A signed monthly 監査 report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// YYYY-MM
    pub month: String,
    /// The counts and findings as shown when signed.
    pub summary: serde_json::Value,
    /// The signed ledger checkpoint note at month end (or the latest, for the running month).
    pub checkpoint: Option<String>,
    /// コメント.
    pub note: Option<String>,
    pub signed_by: String,
    pub signed_at: i64,
}

/// Signs off a month's report (Conflict when the month is already signed), audited as
/// `access_audit.sign` with the whole report.
pub fn sign_report(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    report: &AuditReport,
) -> Result<(), StoreError> {
    if self::report(conn, org, &report.month)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "{} のアクセスログ監査はすでに確認済みです。",
            report.month
        )));
    }
    let summary =
        serde_json::to_string(&report.summary).map_err(|e| StoreError::Decode(e.to_string()))?;
    conn.execute(
        "INSERT INTO access_audit_reports (org_id, month, summary, checkpoint, note, signed_by, signed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            org.id.0,
            report.month.as_str(),
            summary,
            report.checkpoint.clone(),
            report.note.clone(),
            actor,
            report.signed_at
        ],
    )?;
    audit::record(conn, org, actor, "access_audit.sign", report)?;
    Ok(())
}

fn report_of(r: &crate::Row) -> Result<AuditReport, StoreError> {
    Ok(AuditReport {
        month: r.string(0)?,
        summary: serde_json::from_str(&r.string(1)?)
            .map_err(|e| StoreError::Decode(format!("audit report: {e}")))?,
        checkpoint: r.opt_string(2)?,
        note: r.opt_string(3)?,
        signed_by: r.string(4)?,
        signed_at: r.i64(5)?,
    })
}

/// The signed report of `month` (YYYY-MM), if any.
pub fn report(conn: &mut Conn, org: &Org, month: &str) -> Result<Option<AuditReport>, StoreError> {
    conn.query_opt(
        "SELECT month, summary, checkpoint, note, signed_by, signed_at FROM access_audit_reports \
         WHERE org_id = $1 AND month = $2",
        params![org.id.0, month],
    )?
    .map(|r| report_of(&r))
    .transpose()
}

/// Every signed report, newest month first.
pub fn reports(conn: &mut Conn, org: &Org) -> Result<Vec<AuditReport>, StoreError> {
    conn.query(
        "SELECT month, summary, checkpoint, note, signed_by, signed_at FROM access_audit_reports \
         WHERE org_id = $1 ORDER BY month DESC",
        params![org.id.0],
    )?
    .iter()
    .map(report_of)
    .collect()
}

/// Lines quarantined in `[from_us, to_us)` (by the time they were quarantined).
pub fn quarantined_between(
    conn: &mut Conn,
    org: &Org,
    from_us: i64,
    to_us: i64,
) -> Result<u64, StoreError> {
    let n = conn
        .query_one(
            "SELECT COUNT(*) FROM access_quarantine WHERE org_id = $1 AND created_at >= $2 AND created_at < $3",
            params![org.id.0, from_us, to_us],
        )?
        .i64(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The time span (min, max 日時) of the events in the batches starting in `[first_seq,
/// end_seq)` — what a monitoring run after an import has to look at. `None` when empty.
pub fn batch_time_span(
    conn: &mut Conn,
    org: &Org,
    first_seq: u64,
    end_seq: u64,
) -> Result<Option<(i64, i64)>, StoreError> {
    let (a, b) = (
        i64::try_from(first_seq).unwrap_or(i64::MAX),
        i64::try_from(end_seq).unwrap_or(i64::MAX),
    );
    let r = conn.query_one(
        "SELECT MIN(min_time), MAX(max_time) FROM access_batches WHERE org_id = $1 AND first_seq >= $2 AND first_seq < $3",
        params![org.id.0, a, b],
    )?;
    Ok(r.opt_i64(0)?.zip(r.opt_i64(1)?))
}

/// Events in the batches whose time span touches `[from_us, to_us)` — a cheap "were logs
/// stored for this month" for the 2-(6) evidence (a batch straddling the boundary counts
/// whole; the monthly report counts exactly).
pub fn events_touching(
    conn: &mut Conn,
    org: &Org,
    from_us: i64,
    to_us: i64,
) -> Result<u64, StoreError> {
    let r = conn.query_one(
        "SELECT CAST(COALESCE(SUM(end_seq - first_seq), 0) AS BIGINT) FROM access_batches \
         WHERE org_id = $1 AND max_time >= $2 AND min_time < $3",
        params![org.id.0, from_us, to_us],
    )?;
    Ok(u64::try_from(r.i64(0)?).unwrap_or(0))
}
