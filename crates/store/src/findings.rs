//! 指摘 — findings as the rules produced them, with remediation tracking (担当, 期限,
//! 対応状況, メモ). The store records what [`anzen_core::finding::reconcile`] decided; every
//! opening, resolution, reopening and tracking change is appended to the ledger.

use anzen_core::finding::{NewFinding, Plan, Progress, Recorded, Severity};
use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// A recorded finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: i64,
    pub key: String,
    pub rule: String,
    pub subject: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub checklist: Vec<String>,
    pub evidence: serde_json::Value,
    pub due_hint: Option<String>,
    pub open: bool,
    pub first_seen: i64,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    #[serde(flatten)]
    pub tracking: Tracking,
}

/// Remediation tracking, set by people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracking {
    /// 担当
    pub assignee: Option<String>,
    /// 期限, YYYY-MM-DD
    pub due_date: Option<String>,
    /// 対応状況
    pub progress: Progress,
    /// メモ
    pub note: Option<String>,
}

const COLUMNS: &str = "id, finding_key, rule, subject, severity, title, message, checklist, \
                       evidence, due_hint, status, first_seen, last_seen, resolved_at, \
                       assignee, due_date, progress, remediation_note";

fn from_row(r: &Row) -> Result<Finding, StoreError> {
    let sev = r.string(4)?;
    let progress = r.string(16)?;
    let checklist = r.string(7)?;
    Ok(Finding {
        id: r.i64(0)?,
        key: r.string(1)?,
        rule: r.string(2)?,
        subject: r.string(3)?,
        severity: Severity::parse(&sev)
            .ok_or_else(|| StoreError::Decode(format!("unknown severity {sev:?}")))?,
        title: r.string(5)?,
        message: r.string(6)?,
        checklist: checklist
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        evidence: serde_json::from_str(&r.string(8)?)
            .map_err(|e| StoreError::Decode(format!("finding evidence: {e}")))?,
        due_hint: r.opt_string(9)?,
        open: r.string(10)? == "open",
        first_seen: r.i64(11)?,
        last_seen: r.i64(12)?,
        resolved_at: r.opt_i64(13)?,
        tracking: Tracking {
            assignee: r.opt_string(14)?,
            due_date: r.opt_string(15)?,
            progress: Progress::parse(&progress)
                .ok_or_else(|| StoreError::Decode(format!("unknown progress {progress:?}")))?,
            note: r.opt_string(17)?,
        },
    })
}

/// Severity rank for "worst first" (critical = 0).
const RANK: &str = "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 \
                    WHEN 'low' THEN 3 ELSE 4 END";

/// Findings of the organisation, worst first (open before resolved).
pub fn list(conn: &mut Conn, org: &Org, open_only: bool) -> Result<Vec<Finding>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM findings WHERE org_id = $1 {} \
             ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, {RANK}, first_seen, id",
            if open_only { "AND status = 'open'" } else { "" }
        ),
        params![org.id.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// One finding of the organisation.
pub fn get(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Finding>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM findings WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// The recorded findings of rules whose id starts with one of `rule_prefixes`, for
/// [`anzen_core::finding::reconcile`].
pub fn recorded(
    conn: &mut Conn,
    org: &Org,
    rule_prefixes: &[&str],
) -> Result<Vec<Recorded>, StoreError> {
    let rows = conn.query(
        "SELECT id, finding_key, rule, status, severity, title, message, checklist, evidence, \
         due_hint FROM findings WHERE org_id = $1",
        params![org.id.0],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let rule = r.string(2)?;
        if rule_prefixes.iter().any(|p| rule.starts_with(p)) {
            // The evidence is stored as serde_json wrote it; re-serialising the parsed value
            // gives the same text as a NewFinding's (both sort object keys).
            let evidence: serde_json::Value = serde_json::from_str(&r.string(8)?)
                .map_err(|e| StoreError::Decode(format!("finding evidence: {e}")))?;
            out.push(Recorded {
                id: r.i64(0)?,
                key: r.string(1)?,
                open: r.string(3)? == "open",
                fingerprint: anzen_core::finding::fingerprint(
                    &r.string(4)?,
                    &r.string(5)?,
                    &r.string(6)?,
                    &r.string(7)?,
                    &evidence.to_string(),
                    r.opt_string(9)?.as_deref(),
                ),
            });
        }
    }
    Ok(out)
}

/// What applying a plan did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub opened: usize,
    pub reopened: usize,
    pub resolved: usize,
    pub still_open: usize,
}

#[derive(Serialize)]
struct FindingEvent<'a> {
    id: i64,
    key: &'a str,
    rule: &'a str,
    subject: &'a str,
    severity: &'a str,
    title: &'a str,
}

fn event<'a>(id: i64, f: &'a NewFinding) -> FindingEvent<'a> {
    FindingEvent {
        id,
        key: &f.key,
        rule: &f.rule,
        subject: &f.subject,
        severity: f.severity.code(),
        title: &f.title,
    }
}

fn evidence_text(f: &NewFinding) -> Result<String, StoreError> {
    serde_json::to_string(&f.evidence).map_err(|e| StoreError::Decode(e.to_string()))
}

/// Applies a reconcile plan in the caller's transaction, audited per opening, reopening and
/// resolution (`actor` is who ran the rules, e.g. `import` or a user).
pub fn apply(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    plan: &Plan<'_>,
) -> Result<Applied, StoreError> {
    let now = now_us();
    for f in &plan.open {
        let id = conn
            .query_one(
                "INSERT INTO findings (org_id, finding_key, rule, subject, severity, title, \
                 message, checklist, evidence, due_hint, status, first_seen, last_seen, progress) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $11, 'todo') \
                 RETURNING id",
                params![
                    org.id.0,
                    f.key.as_str(),
                    f.rule.as_str(),
                    f.subject.as_str(),
                    f.severity.code(),
                    f.title.as_str(),
                    f.message.as_str(),
                    f.checklist.join(","),
                    evidence_text(f)?,
                    f.due_hint.clone(),
                    now
                ],
            )?
            .i64(0)?;
        audit::record(conn, org, actor, "finding.open", &event(id, f))?;
    }
    for (id, f) in plan.refresh.iter().chain(&plan.reopen) {
        conn.execute(
            "UPDATE findings SET severity = $3, title = $4, message = $5, checklist = $6, \
             evidence = $7, due_hint = $8, last_seen = $9, status = 'open', resolved_at = NULL \
             WHERE org_id = $1 AND id = $2",
            params![
                org.id.0,
                *id,
                f.severity.code(),
                f.title.as_str(),
                f.message.as_str(),
                f.checklist.join(","),
                evidence_text(f)?,
                f.due_hint.clone(),
                now
            ],
        )?;
    }
    for (id, f) in &plan.reopen {
        audit::record(conn, org, actor, "finding.reopen", &event(*id, f))?;
    }
    for id in &plan.resolve {
        conn.execute(
            "UPDATE findings SET status = 'resolved', resolved_at = $3 WHERE org_id = $1 AND id = $2",
            params![org.id.0, *id, now],
        )?;
        let key = get(conn, org, *id)?.map(|f| f.key).unwrap_or_default();
        audit::record(
            conn,
            org,
            actor,
            "finding.resolve",
            &serde_json::json!({ "id": id, "key": key }),
        )?;
    }
    Ok(Applied {
        opened: plan.open.len(),
        reopened: plan.reopen.len(),
        resolved: plan.resolve.len(),
        still_open: plan.refresh.len() + plan.unchanged,
    })
}

/// Sets the remediation tracking of a finding, audited with before and after.
pub fn set_tracking(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    t: &Tracking,
) -> Result<Finding, StoreError> {
    let before =
        get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("finding {id}")))?;
    if &before.tracking == t {
        return Ok(before);
    }
    conn.execute(
        "UPDATE findings SET assignee = $3, due_date = $4, progress = $5, remediation_note = $6 \
         WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            id,
            t.assignee.clone(),
            t.due_date.clone(),
            t.progress.code(),
            t.note.clone()
        ],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "finding.track",
        &serde_json::json!({
            "id": id,
            "key": before.key,
            "change": Change { before: Some(&before.tracking), after: Some(t) },
        }),
    )?;
    get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("finding {id}")))
}
