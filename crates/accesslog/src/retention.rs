//! 保存期間 — retention per organisation (default 5 years).
//!
//! Pruning removes whole batches from the oldest end, only while every event of the batch
//! is older than the cutoff and the batch lies in closed segments. The ledger keeps the
//! batches' commitments and gets an `access_log.prune` entry naming the removed range, so
//! `anzen verify` knows those events are gone on purpose and still verifies everything
//! else; the caller signs a checkpoint right after (the period's final checkpoint).

use anzen_store::ledger::{self, NewEntry};
use anzen_store::orgs::Org;
use anzen_store::{Conn, audit, now_us, params};
use serde::Serialize;

use crate::engine::{self, drop_segment};
use crate::{AccessLogError, u};

/// Default retention in years.
pub const DEFAULT_RETENTION_YEARS: u32 = 5;
/// Ledger entry kind recording a pruned range.
pub const PRUNE_KIND: &str = "access_log.prune";

const YEAR_US: i64 = 31_556_952_000_000; // 365.2425 days

/// The organisation's retention in years.
pub fn retention_years(conn: &mut Conn, org: &Org) -> Result<u32, AccessLogError> {
    let r = conn.query_opt(
        "SELECT years FROM access_retention WHERE org_id = $1",
        params![org.id.0],
    )?;
    Ok(match r {
        Some(r) => u32::try_from(r.i64(0)?).unwrap_or(DEFAULT_RETENTION_YEARS),
        None => DEFAULT_RETENTION_YEARS,
    })
}

/// Sets the retention (at least 1 year), audited.
pub fn set_retention_years(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    years: u32,
) -> Result<(), AccessLogError> {
    if years == 0 {
        return Err(AccessLogError::Input(
            "保存期間は1年以上で指定してください".to_owned(),
        ));
    }
    let before = retention_years(conn, org)?;
    let now = now_us();
    conn.execute(
        "INSERT INTO access_retention (org_id, years, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id) DO UPDATE SET years = $2, updated_at = $3",
        params![org.id.0, i64::from(years), now],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "access_log.retention",
        &serde_json::json!({"before": before, "after": years}),
    )?;
    Ok(())
}

/// What a prune removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub first_seq: u64,
    pub end_seq: u64,
    pub batches: u64,
    pub cutoff_us: i64,
    pub ledger_idx: u64,
}

/// Removes events older than the retention at `now_us` (whole batches, oldest first) in
/// the caller's transaction. None when nothing is due.
pub fn prune(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    now_us: i64,
) -> Result<Option<Pruned>, AccessLogError> {
    let years = retention_years(conn, org)?;
    let cutoff = now_us.saturating_sub(i64::from(years).saturating_mul(YEAR_US));
    let h = engine::head(conn, org.id, true)?;
    let rows = conn.query(
        "SELECT first_seq, end_seq, max_time FROM access_batches WHERE org_id = $1 AND first_seq >= $2 \
         ORDER BY first_seq",
        params![org.id.0, h.pruned_seq],
    )?;
    let mut end = h.pruned_seq;
    let mut batches = 0u64;
    for r in &rows {
        let (first, last, max_time) = (u(r.i64(0)?)?, u(r.i64(1)?)?, r.i64(2)?);
        if first != end || max_time >= cutoff || last > h.indexed_seq {
            break;
        }
        end = last;
        batches += 1;
    }
    if batches == 0 {
        return Ok(None);
    }
    let first = h.pruned_seq;
    let ids = engine::event_ids(org.id, first..end);
    conn.execute(
        "DELETE FROM access_events WHERE id >= $1 AND id < $2",
        params![ids.0, ids.1],
    )?;
    conn.execute(
        "DELETE FROM access_batches WHERE org_id = $1 AND first_seq >= $2 AND first_seq < $3",
        params![org.id.0, first, end],
    )?;
    let gone = conn.query(
        "SELECT id FROM access_segments WHERE org_id = $1 AND end_seq <= $2",
        params![org.id.0, end],
    )?;
    for r in &gone {
        drop_segment(conn, org.id, r.i64(0)?)?;
    }
    let record = serde_json::json!({
        "first_seq": first,
        "end_seq": end,
        "batches": batches,
        "cutoff_us": cutoff,
        "retention_years": years,
    });
    let idx = ledger::append(
        conn,
        org,
        &[NewEntry {
            time_us: anzen_store::now_us(),
            author: actor.to_owned(),
            kind: PRUNE_KIND.to_owned(),
            payload: serde_json::to_vec(&record)
                .map_err(|e| AccessLogError::Decode(e.to_string()))?,
        }],
    )?
    .start;
    conn.execute(
        "INSERT INTO access_pruned (org_id, first_seq, end_seq, cutoff_us, pruned_at, ledger_idx) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![org.id.0, first, end, cutoff, anzen_store::now_us(), idx],
    )?;
    conn.execute(
        "UPDATE access_heads SET pruned_seq = $2 WHERE org_id = $1",
        params![org.id.0, end],
    )?;
    Ok(Some(Pruned {
        first_seq: first,
        end_seq: end,
        batches,
        cutoff_us: cutoff,
        ledger_idx: idx,
    }))
}
