//! 2省GL 該当性チェック — the saved assessments of whether the 2省GL applies to a vendor of
//! the organisation. Each save is a new row (the history is kept; the latest row is the
//! vendor's current outcome) and is appended to the organisation's ledger in the caller's
//! transaction. The outcome and reasoning are computed by `anzen_core::rules::gl2`; the store
//! keeps what it is given.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params, vendors};

/// A saved assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub vendor_id: i64,
    /// The questionnaire's version (`anzen_core::rules::gl2::VERSION`).
    pub version: String,
    /// Question id → choice code.
    pub answers: BTreeMap<String, String>,
    /// `anzen_core::rules::gl2::Verdict` code.
    pub outcome: String,
    /// The reasoning as shown before saving.
    pub reasoning: String,
    pub note: Option<String>,
    pub assessed_at: i64,
    pub assessed_by: String,
}

/// An assessment to save.
#[derive(Debug, Clone)]
pub struct NewAssessment<'a> {
    pub version: &'a str,
    pub answers: &'a BTreeMap<String, String>,
    pub outcome: &'a str,
    pub reasoning: &'a str,
    pub note: Option<&'a str>,
}

const COLUMNS: &str =
    "id, vendor_id, version, answers, outcome, reasoning, note, assessed_at, assessed_by";

fn from_row(r: &Row) -> Result<Assessment, StoreError> {
    let answers: BTreeMap<String, String> = serde_json::from_str(&r.string(3)?)
        .map_err(|e| StoreError::Decode(format!("gl2 answers: {e}")))?;
    Ok(Assessment {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        version: r.string(2)?,
        answers,
        outcome: r.string(4)?,
        reasoning: r.string(5)?,
        note: r.opt_string(6)?,
        assessed_at: r.i64(7)?,
        assessed_by: r.string(8)?,
    })
}

#[derive(Serialize)]
struct Event<'a> {
    vendor_id: i64,
    vendor: &'a str,
    #[serde(flatten)]
    assessment: &'a Assessment,
}

/// Saves an assessment of vendor `vendor_id` (a new row), audited as `vendor.gl2.assess`.
/// NotFound when the vendor is not the organisation's.
pub fn save(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    a: &NewAssessment<'_>,
) -> Result<Assessment, StoreError> {
    let v = vendors::get(conn, org, vendor_id)?
        .ok_or_else(|| StoreError::NotFound(format!("vendor {vendor_id}")))?;
    let answers =
        serde_json::to_string(a.answers).map_err(|e| StoreError::Decode(e.to_string()))?;
    let note = a.note.map(str::trim).filter(|n| !n.is_empty());
    let id = conn
        .query_one(
            "INSERT INTO vendor_gl2_assessments (org_id, vendor_id, version, answers, outcome, \
             reasoning, note, assessed_at, assessed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                org.id.0,
                v.id,
                a.version,
                answers,
                a.outcome,
                a.reasoning,
                note,
                now_us(),
                actor
            ],
        )?
        .i64(0)?;
    let saved = conn
        .query_one(
            &format!("SELECT {COLUMNS} FROM vendor_gl2_assessments WHERE id = $1"),
            params![id],
        )
        .and_then(|r| from_row(&r))?;
    audit::record(
        conn,
        org,
        actor,
        "vendor.gl2.assess",
        &Event {
            vendor_id: v.id,
            vendor: &v.data.name,
            assessment: &saved,
        },
    )?;
    Ok(saved)
}

/// The assessments of one vendor of the organisation, newest first.
pub fn history(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Assessment>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM vendor_gl2_assessments WHERE org_id = $1 AND vendor_id = $2 \
             ORDER BY id DESC"
        ),
        params![org.id.0, vendor_id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The latest assessment of each of the organisation's vendors that has one.
pub fn latest(conn: &mut Conn, org: &Org) -> Result<Vec<Assessment>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM vendor_gl2_assessments a WHERE org_id = $1 \
             AND id = (SELECT MAX(b.id) FROM vendor_gl2_assessments b \
                       WHERE b.vendor_id = a.vendor_id) \
             ORDER BY vendor_id"
        ),
        params![org.id.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}
