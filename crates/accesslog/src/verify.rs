//! Verification of the stored events against the ledger.
//!
//! The trusted data are the ledger's `access_log.batch` entries (verified themselves by the
//! ledger's own verification) and `access_log.prune` entries. For every batch not pruned,
//! the Merkle root of the stored event rows of its range is recomputed and compared; the
//! batches must tile the sequence numbers from 0 without gap or overlap; and no stored
//! event may lie outside a committed batch. So a changed, removed, inserted or moved event
//! is reported with the batch (sequence range and ledger entry) it breaks.

use anzen_ledger::Hash;
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::Org;
use anzen_store::{Conn, params};
use serde::Deserialize;

use crate::AccessLogError;
use crate::codec::{self, BatchRoot};
use crate::engine::{self, BATCH_KIND, BatchCommit};
use crate::retention::PRUNE_KIND;

/// Problems listed at most (a summary line counts the rest).
const MAX_PROBLEMS: usize = 50;

/// The outcome of verifying one organisation's access log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Events re-hashed.
    pub events: u64,
    /// Batches checked (not pruned).
    pub batches: u64,
    /// Events below this sequence number were pruned by retention (recorded in the ledger).
    pub pruned_below: u64,
    /// Problems, in Japanese-free plain English for the verify report, one per line.
    pub problems: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Deserialize)]
struct PruneRecord {
    end_seq: u64,
}

struct Batch {
    ledger_idx: u64,
    commit: BatchCommit,
    root: Hash,
}

impl Batch {
    fn end(&self) -> u64 {
        self.commit.first_seq + self.commit.count
    }
}

/// Verifies an organisation's access log (streams the rows).
pub fn verify(conn: &mut Conn, org: &Org) -> Result<Verification, AccessLogError> {
    let entries = ledger::list(
        conn,
        org.id,
        &EntryQuery {
            kind_prefix: Some("access_log.".to_owned()),
            ..EntryQuery::default()
        },
    )?;
    let mut v = Verification::default();
    let mut problems = Vec::new();
    let mut batches = Vec::new();
    for e in entries.into_iter().rev() {
        if e.kind == BATCH_KIND {
            match serde_json::from_slice::<BatchCommit>(&e.payload)
                .ok()
                .and_then(|c| Hash::from_hex(&c.root).ok().map(|r| (c, r)))
            {
                Some((commit, root)) => batches.push(Batch {
                    ledger_idx: e.index,
                    commit,
                    root,
                }),
                None => problems.push(format!(
                    "ledger entry #{}: unreadable access_log.batch payload",
                    e.index
                )),
            }
        } else if e.kind == PRUNE_KIND {
            match serde_json::from_slice::<PruneRecord>(&e.payload) {
                Ok(p) => v.pruned_below = v.pruned_below.max(p.end_seq),
                Err(_) => problems.push(format!(
                    "ledger entry #{}: unreadable access_log.prune payload",
                    e.index
                )),
            }
        }
    }
    let mut expected_first = 0;
    for b in &batches {
        if b.commit.first_seq != expected_first {
            problems.push(format!(
                "batch of ledger entry #{} starts at event #{} but the previous batch ended at #{expected_first}",
                b.ledger_idx, b.commit.first_seq
            ));
        }
        expected_first = b.end();
    }
    let pruned = v.pruned_below;
    if pruned > 0 && !batches.iter().any(|b| b.end() == pruned) && pruned != expected_first {
        problems.push(format!(
            "the pruned range ends at event #{pruned}, which is not the end of a batch"
        ));
    }
    let mut todo = batches.iter().filter(|b| b.end() > pruned).peekable();
    // State of the batch being re-hashed.
    let mut cur: Option<(&Batch, BatchRoot, u64, bool)> = None;
    let finish = |cur: &mut Option<(&Batch, BatchRoot, u64, bool)>,
                  problems: &mut Vec<String>,
                  v: &mut Verification| {
        if let Some((b, root, next, broken)) = cur.take() {
            v.batches += 1;
            if next < b.end() {
                problems.push(format!(
                    "events #{next}..#{} of the batch of ledger entry #{} are missing (deleted)",
                    b.end() - 1,
                    b.ledger_idx
                ));
            } else if !broken && root.root() != b.root {
                problems.push(format!(
                    "events #{}..#{} do not match the Merkle root committed in ledger entry #{}: an event was changed",
                    b.commit.first_seq,
                    b.end() - 1,
                    b.ledger_idx
                ));
            }
        }
    };
    let mut from = pruned;
    loop {
        let ids = engine::event_ids(org.id, from..1 << engine::SEQ_BITS);
        let rows = conn.query(
            "SELECT id, ev FROM access_events WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 20000",
            params![ids.0, ids.1],
        )?;
        let Some(last) = rows.last() else { break };
        from = engine::event_seq(last.i64(0)?) + 1;
        for r in &rows {
            let seq = engine::event_seq(r.i64(0)?);
            // The row holds the canonical bytes without magic and seq (the key gives
            // them); a row copied from another event therefore fails its batch's root.
            let bytes = codec::canonical(seq, &r.bytes(1).unwrap_or_default());
            v.events += 1;
            // Move to the batch holding `seq`.
            while cur.as_ref().is_none_or(|(b, ..)| seq >= b.end()) {
                finish(&mut cur, &mut problems, &mut v);
                match todo.next() {
                    Some(b) => {
                        let start = b.commit.first_seq.max(pruned);
                        cur = Some((b, BatchRoot::default(), start, start != b.commit.first_seq));
                    }
                    None => break,
                }
            }
            let Some((b, root, next, broken)) = cur.as_mut() else {
                problems.push(format!(
                    "event #{seq} is not covered by any batch in the ledger (added)"
                ));
                continue;
            };
            if seq < b.commit.first_seq {
                problems.push(format!(
                    "event #{seq} is not covered by any batch in the ledger (added)"
                ));
                continue;
            }
            if seq > *next {
                problems.push(format!(
                    "events #{}..#{} of the batch of ledger entry #{} are missing (deleted)",
                    *next,
                    seq - 1,
                    b.ledger_idx
                ));
                *broken = true;
            }
            match codec::decode(&bytes) {
                Ok((inner, _)) if inner == seq => {}
                Ok((inner, _)) => {
                    problems.push(format!(
                        "event #{seq} holds the bytes of event #{inner} (moved)"
                    ));
                    *broken = true;
                }
                Err(e) => {
                    problems.push(format!("event #{seq} is not a valid event ({e}): changed"));
                    *broken = true;
                }
            }
            root.push(&bytes);
            *next = seq + 1;
        }
    }
    finish(&mut cur, &mut problems, &mut v);
    for b in todo {
        let start = b.commit.first_seq.max(pruned);
        v.batches += 1;
        problems.push(format!(
            "events #{start}..#{} of the batch of ledger entry #{} are missing (deleted)",
            b.end() - 1,
            b.ledger_idx
        ));
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("… and {more} more problems"));
    }
    v.problems = problems;
    Ok(v)
}
