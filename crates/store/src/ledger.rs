//! TEMPORARY placeholder for the ledger persistence (replaced by the Merkle-log
//! implementation on top of anzen-ledger). Keeps the interface the rest of the code uses.

use std::ops::Range;

use anzen_core::OrgId;

use crate::orgs::Org;
use crate::{Conn, StoreError, params};

/// An event to append to an organisation's ledger.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub time_us: i64,
    pub author: String,
    pub kind: String,
    /// JSON bytes.
    pub payload: Vec<u8>,
}

/// A stored, decoded ledger entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub index: u64,
    pub time_us: i64,
    pub author: String,
    pub kind: String,
    pub payload: Vec<u8>,
}

/// Filters for listing entries (newest first).
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    pub kind_prefix: Option<String>,
    pub author: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub limit: u64,
    pub offset: u64,
}

pub fn append(conn: &mut Conn, org: &Org, entries: &[NewEntry]) -> Result<Range<u64>, StoreError> {
    let _ = org;
    let start = size(conn, org.id)?;
    for (i, e) in entries.iter().enumerate() {
        let idx = start + i as u64;
        conn.execute(
            "INSERT INTO ledger_placeholder (org_id, idx, time_us, author, kind, payload) VALUES ($1,$2,$3,$4,$5,$6)",
            params![org.id.0, idx, e.time_us, e.author.as_str(), e.kind.as_str(), e.payload.clone()],
        )?;
    }
    Ok(start..start + entries.len() as u64)
}

pub fn size(conn: &mut Conn, org: OrgId) -> Result<u64, StoreError> {
    let n = conn
        .query_one(
            "SELECT COUNT(*) FROM ledger_placeholder WHERE org_id = $1",
            params![org.0],
        )?
        .i64(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub fn list(conn: &mut Conn, org: OrgId, q: &EntryQuery) -> Result<Vec<StoredEntry>, StoreError> {
    let rows = conn.query(
        "SELECT idx, time_us, author, kind, payload FROM ledger_placeholder WHERE org_id = $1 ORDER BY idx DESC",
        params![org.0],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let e = StoredEntry {
            index: u64::try_from(r.i64(0)?).unwrap_or(0),
            time_us: r.i64(1)?,
            author: r.string(2)?,
            kind: r.string(3)?,
            payload: r.bytes(4)?,
        };
        if q.kind_prefix
            .as_ref()
            .is_some_and(|k| !e.kind.starts_with(k.as_str()))
            || q.author.as_ref().is_some_and(|a| &e.author != a)
            || q.from_us.is_some_and(|t| e.time_us < t)
            || q.to_us.is_some_and(|t| e.time_us >= t)
        {
            continue;
        }
        out.push(e);
    }
    Ok(out
        .into_iter()
        .skip(q.offset as usize)
        .take(if q.limit == 0 {
            usize::MAX
        } else {
            q.limit as usize
        })
        .collect())
}

/// The latest signed checkpoint note of an organisation's ledger, if any.
pub fn latest_checkpoint(conn: &mut Conn, org: OrgId) -> Result<Option<String>, StoreError> {
    let _ = (conn, org);
    Ok(None)
}
