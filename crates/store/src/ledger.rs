//! 台帳 persistence — each organisation's tamper-evident ledger on SQLite or PostgreSQL.
//!
//! The pure log lives in `anzen-ledger`; this module stores it:
//! * `ledger_entries(org_id, idx, entry)` — canonical entry bytes, the only thing trusted;
//! * `ledger_nodes` — roots of aligned subtrees at levels 8, 16, … for fast proofs;
//! * `ledger_heads` — size, frontier and last leaf hash: an append reads and rewrites
//!   this one row (O(log n)), never the tree. On PostgreSQL the row is locked
//!   (`FOR UPDATE`) so appends from several processes serialise per organisation; on
//!   SQLite the caller's `BEGIN IMMEDIATE` already serialises writers;
//! * `ledger_checkpoints` — signed notes, each chained to the previous one.
//!
//! An append is acknowledged only when the caller's transaction commits: every function
//! here runs inside the transaction it is given ([`append`]) or opens its own
//! ([`append_batch`]).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use anzen_core::OrgId;
use anzen_ledger::proof::HashSource;
use anzen_ledger::verify::{Params, Report, Verifier};
use anzen_ledger::{
    Checkpoint, EntryRef, Frontier, Hash, SigningKey, StoredNode, VerifierKey, leaf_hash,
};

use crate::orgs::Org;
use crate::{Backend, Conn, Store, StoreError, now_us, params};

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
    /// 0 = no limit.
    pub limit: u64,
    pub offset: u64,
}

/// The head row of one organisation's ledger.
#[derive(Debug, Clone)]
pub struct Head {
    pub size: u64,
    pub frontier: Frontier,
    pub last_leaf: Hash,
    pub origin: Option<String>,
    pub checkpointed_size: u64,
    pub checkpointed_at: i64,
}

fn u(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Decode(format!("negative ledger number {v}")))
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Reads the head (None for an empty ledger). With `lock`, PostgreSQL locks the row for
/// the rest of the transaction.
pub fn head(conn: &mut Conn, org: OrgId, lock: bool) -> Result<Option<Head>, StoreError> {
    let suffix = if lock && conn.backend() == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = conn.query_opt(
        &format!(
            "SELECT size, frontier, last_leaf, origin, checkpointed_size, checkpointed_at \
             FROM ledger_heads WHERE org_id = $1{suffix}"
        ),
        params![org.0],
    )?;
    row.map(|r| {
        let size = u(r.i64(0)?)?;
        let frontier = Frontier::from_bytes(&r.bytes(1)?)?;
        if frontier.size() != size {
            return Err(StoreError::Decode(format!(
                "ledger head of org {}: size {size} but frontier of {}",
                org.0,
                frontier.size()
            )));
        }
        Ok(Head {
            size,
            frontier,
            last_leaf: Hash::from_slice(&r.bytes(2)?)?,
            origin: r.opt_string(3)?,
            checkpointed_size: u(r.i64(4)?)?,
            checkpointed_at: r.i64(5)?,
        })
    })
    .transpose()
}

/// Appends entries inside the caller's transaction and returns their index range.
///
/// On SQLite, large batches are pipelined: one thread encodes and hashes the chain (each
/// entry embeds the previous leaf hash, so this part is sequential) while this thread
/// inserts the rows already encoded. Ingestion then runs at about the storage engine's own
/// speed instead of storage + hashing.
pub fn append(conn: &mut Conn, org: &Org, entries: &[NewEntry]) -> Result<Range<u64>, StoreError> {
    let h = match head(conn, org.id, true)? {
        Some(h) => h,
        None => {
            // First entry: create the head (ON CONFLICT: another process may race us).
            conn.execute(
                "INSERT INTO ledger_heads (org_id, size, frontier, last_leaf) VALUES ($1, 0, $2, $3) \
                 ON CONFLICT (org_id) DO NOTHING",
                params![org.id.0, Frontier::new().to_bytes(), Hash::ZERO.0.to_vec()],
            )?;
            head(conn, org.id, true)?
                .ok_or_else(|| StoreError::Decode("ledger head vanished".into()))?
        }
    };
    let start = h.size;
    let chain = Chain {
        frontier: h.frontier,
        last_leaf: h.last_leaf,
        completed: Vec::new(),
    };
    let chain = match conn {
        Conn::Sqlite(c) if entries.len() >= PIPELINE_MIN => {
            let mut stmt = c.prepare_cached(SQLITE_INSERT_ENTRY)?;
            std::thread::scope(|s| -> Result<Chain, StoreError> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Encoded>(8);
                let encoder =
                    s.spawn(move || encode_chain(&org.uid, entries, chain, |e| tx.send(e).is_ok()));
                let mut inserted: Result<(), StoreError> = Ok(());
                for chunk in rx {
                    for (idx, bytes) in chunk.rows() {
                        if let Err(e) = stmt.execute(rusqlite::params![org.id.0, i(idx), bytes]) {
                            inserted = Err(e.into());
                            break;
                        }
                    }
                    if inserted.is_err() {
                        break; // dropping the receiver stops the encoder
                    }
                }
                let chain = encoder
                    .join()
                    .map_err(|_| StoreError::Decode("ledger encoder thread panicked".into()))??;
                inserted.map(|()| chain)
            })?
        }
        _ => {
            let mut chunks = Vec::new();
            let chain = encode_chain(&org.uid, entries, chain, |e| {
                chunks.push(e);
                true
            })?;
            insert_encoded(conn, org.id, &chunks)?;
            chain
        }
    };
    insert_nodes(conn, org.id, &chain.completed)?;
    let n = conn.execute(
        "UPDATE ledger_heads SET size = $2, frontier = $3, last_leaf = $4 WHERE org_id = $1 AND size = $5",
        params![org.id.0, chain.frontier.size(), chain.frontier.to_bytes(), chain.last_leaf.0.to_vec(), start],
    )?;
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "ledger head of org {} moved during append",
            org.id.0
        )));
    }
    Ok(start..chain.frontier.size())
}

/// The row insert of both SQLite append paths (direct and pipelined).
const SQLITE_INSERT_ENTRY: &str =
    "INSERT INTO ledger_entries (org_id, idx, entry) VALUES (?1, ?2, ?3)";

/// Batches at least this large are encoded on a second thread while rows are inserted.
const PIPELINE_MIN: usize = 256;
/// Entries per hand-over between the encoder and the inserter.
const CHUNK: usize = 128;

/// The tree state carried along an append.
struct Chain {
    frontier: Frontier,
    last_leaf: Hash,
    completed: Vec<StoredNode>,
}

/// Consecutive encoded entries in one buffer (one allocation per chunk, not per row).
struct Encoded {
    start: u64,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Encoded {
    fn rows(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .enumerate()
            .map(|(k, (a, b))| (self.start + k as u64, &self.buf[a..b]))
    }
}

/// Encodes and hashes `entries` in order, handing chunks to `emit` (which returns false to
/// stop early). Sequential by nature: each entry carries the previous leaf hash.
fn encode_chain(
    org_uid: &str,
    entries: &[NewEntry],
    mut chain: Chain,
    mut emit: impl FnMut(Encoded) -> bool,
) -> Result<Chain, StoreError> {
    for part in entries.chunks(CHUNK) {
        let mut e = Encoded {
            start: chain.frontier.size(),
            buf: Vec::with_capacity(part.len() * 256),
            ends: Vec::with_capacity(part.len()),
        };
        for n in part {
            let begin = e.buf.len();
            EntryRef {
                seq: chain.frontier.size(),
                prev: chain.last_leaf,
                time_us: n.time_us,
                org: org_uid,
                author: &n.author,
                kind: &n.kind,
                payload: &n.payload,
            }
            .try_encode_into(&mut e.buf)?;
            let leaf = leaf_hash(&e.buf[begin..]);
            chain.frontier.push(leaf, &mut chain.completed);
            chain.last_leaf = leaf;
            e.ends.push(e.buf.len());
        }
        if !emit(e) {
            break;
        }
    }
    Ok(chain)
}

fn insert_encoded(conn: &mut Conn, org: OrgId, chunks: &[Encoded]) -> Result<(), StoreError> {
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt = c.prepare_cached(SQLITE_INSERT_ENTRY)?;
            for (idx, bytes) in chunks.iter().flat_map(Encoded::rows) {
                stmt.execute(rusqlite::params![org.0, i(idx), bytes])?;
            }
        }
        Conn::Postgres(c) => {
            // One statement per batch: arrays unnested server-side.
            let (idxs, bytes): (Vec<i64>, Vec<&[u8]>) = chunks
                .iter()
                .flat_map(Encoded::rows)
                .map(|(x, b)| (i(x), b))
                .unzip();
            c.execute(
                "INSERT INTO ledger_entries (org_id, idx, entry) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])",
                &[&org.0, &idxs, &bytes],
            )?;
        }
    }
    Ok(())
}

fn insert_nodes(conn: &mut Conn, org: OrgId, nodes: &[StoredNode]) -> Result<(), StoreError> {
    for n in nodes {
        conn.execute(
            "INSERT INTO ledger_nodes (org_id, level, idx, hash) VALUES ($1, $2, $3, $4)",
            params![org.0, i64::from(n.level), n.index, n.hash.0.to_vec()],
        )?;
    }
    Ok(())
}

/// Appends a batch in one transaction of its own (high-rate ingestion). Returns once the
/// batch is committed.
pub fn append_batch(
    store: &Store,
    org: &Org,
    entries: &[NewEntry],
) -> Result<Range<u64>, StoreError> {
    store.write(|c| append(c, org, entries))
}

/// Number of entries in an organisation's ledger.
pub fn size(conn: &mut Conn, org: OrgId) -> Result<u64, StoreError> {
    Ok(head(conn, org, false)?.map_or(0, |h| h.size))
}

/// Raw entry bytes for `[start, end)`, in order.
pub fn entry_bytes(
    conn: &mut Conn,
    org: OrgId,
    start: u64,
    end: u64,
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    conn.query(
        "SELECT idx, entry FROM ledger_entries WHERE org_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        params![org.0, start, end],
    )?
    .iter()
    .map(|r| Ok((u(r.i64(0)?)?, r.bytes(1)?)))
    .collect()
}

/// Entries newest first, filtered. Filtering happens on decoded entries (the audit trail of
/// one facility is small); access logs get their own indexed store.
pub fn list(conn: &mut Conn, org: OrgId, q: &EntryQuery) -> Result<Vec<StoredEntry>, StoreError> {
    let total = size(conn, org)?;
    let mut out = Vec::new();
    let mut skipped = 0u64;
    let mut end = total;
    const PAGE: u64 = 2000;
    while end > 0 {
        let start = end.saturating_sub(PAGE);
        let rows = entry_bytes(conn, org, start, end)?;
        for (idx, bytes) in rows.iter().rev() {
            let e = EntryRef::decode(bytes)?;
            let matches = q
                .kind_prefix
                .as_deref()
                .is_none_or(|k| e.kind.starts_with(k))
                && q.author.as_deref().is_none_or(|a| e.author == a)
                && q.from_us.is_none_or(|t| e.time_us >= t)
                && q.to_us.is_none_or(|t| e.time_us < t);
            if !matches {
                continue;
            }
            if skipped < q.offset {
                skipped += 1;
                continue;
            }
            out.push(StoredEntry {
                index: *idx,
                time_us: e.time_us,
                author: e.author.to_owned(),
                kind: e.kind.to_owned(),
                payload: e.payload.to_vec(),
            });
            if q.limit != 0 && out.len() as u64 >= q.limit {
                return Ok(out);
            }
        }
        end = start;
    }
    Ok(out)
}

/// Stored checkpoint notes of an organisation, oldest first.
pub fn checkpoints(conn: &mut Conn, org: OrgId) -> Result<Vec<String>, StoreError> {
    conn.query(
        "SELECT note FROM ledger_checkpoints WHERE org_id = $1 ORDER BY seq",
        params![org.0],
    )?
    .iter()
    .map(|r| r.string(0))
    .collect()
}

/// The latest signed checkpoint note of an organisation's ledger, if any.
pub fn latest_checkpoint(conn: &mut Conn, org: OrgId) -> Result<Option<String>, StoreError> {
    conn.query_opt(
        "SELECT note FROM ledger_checkpoints WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
        params![org.0],
    )?
    .map(|r| r.string(0))
    .transpose()
}

/// The latest signed checkpoint written at or before `at_us`: (note, tree size, written
/// at). What a month-end report cites as the state of the ledger at the end of the month.
pub fn checkpoint_at(
    conn: &mut Conn,
    org: OrgId,
    at_us: i64,
) -> Result<Option<(String, u64, i64)>, StoreError> {
    conn.query_opt(
        "SELECT note, size, created_at FROM ledger_checkpoints WHERE org_id = $1 AND created_at <= $2 \
         ORDER BY seq DESC LIMIT 1",
        params![org.0, at_us],
    )?
    .map(|r| {
        Ok((
            r.string(0)?,
            u64::try_from(r.i64(1)?).unwrap_or(0),
            r.i64(2)?,
        ))
    })
    .transpose()
}

/// Writes signed checkpoints: every `every_entries` new entries, or after `every` with new
/// entries, and on demand (clean shutdown, `anzen ledger checkpoint`).
#[derive(Clone)]
pub struct Checkpointer {
    pub key: Arc<SigningKey>,
    /// Names this installation; an organisation's origin is `<prefix>/<org uid>`.
    pub origin_prefix: String,
    pub every_entries: u64,
    pub every: Duration,
}

impl Checkpointer {
    pub fn origin_for(&self, org: &Org) -> String {
        format!("{}/{}", self.origin_prefix, org.uid)
    }

    /// Signs a checkpoint of the current head inside the caller's transaction when one is
    /// due (or when `force` and there are unsigned entries). Returns the note written.
    pub fn checkpoint(
        &self,
        conn: &mut Conn,
        org: &Org,
        force: bool,
    ) -> Result<Option<String>, StoreError> {
        let Some(h) = head(conn, org.id, true)? else {
            return Ok(None);
        };
        let pending = h.size.saturating_sub(h.checkpointed_size);
        let now = now_us();
        let due = pending > 0
            && (force
                || pending >= self.every_entries
                || now - h.checkpointed_at
                    >= i64::try_from(self.every.as_micros()).unwrap_or(i64::MAX));
        if !due {
            return Ok(None);
        }
        // The origin is fixed at the first checkpoint: changing the configured prefix later
        // must not make the old checkpoints fail verification.
        let origin = h.origin.clone().unwrap_or_else(|| self.origin_for(org));
        let last = conn.query_opt(
            "SELECT seq, note FROM ledger_checkpoints WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
            params![org.id.0],
        )?;
        let (seq, prev) = match last {
            Some(r) => (r.i64(0)? + 1, Some(anzen_ledger::note_hash(&r.string(1)?))),
            None => (0, None),
        };
        let cp = Checkpoint {
            origin: origin.clone(),
            size: h.size,
            root: h.frontier.root(),
            prev,
            time_unix: now / 1_000_000,
        };
        let note = cp.sign(&self.key);
        conn.execute(
            "INSERT INTO ledger_checkpoints (org_id, seq, size, note, created_at) VALUES ($1, $2, $3, $4, $5)",
            params![org.id.0, seq, h.size, note.as_str(), now],
        )?;
        conn.execute(
            "UPDATE ledger_heads SET origin = $2, checkpointed_size = $3, checkpointed_at = $4 WHERE org_id = $1",
            params![org.id.0, origin, h.size, now],
        )?;
        Ok(Some(note))
    }

    /// Checkpoints every organisation that is due (each in its own transaction).
    pub fn checkpoint_all(&self, store: &Store, force: bool) -> Result<usize, StoreError> {
        let orgs = store.read(crate::orgs::all)?;
        let mut written = 0;
        for org in orgs {
            if store.write(|c| self.checkpoint(c, &org, force))?.is_some() {
                written += 1;
            }
        }
        Ok(written)
    }
}

/// Reads stored hashes for proofs: level 0 is recomputed from the entries, higher levels
/// come from `ledger_nodes`.
pub struct StoredHashes<'a> {
    pub conn: &'a mut Conn,
    pub org: OrgId,
}

impl HashSource for StoredHashes<'_> {
    type Error = StoreError;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, StoreError> {
        let out: Vec<Hash> = if level == 0 {
            entry_bytes(self.conn, self.org, start, end)?
                .iter()
                .map(|(_, b)| leaf_hash(b))
                .collect()
        } else {
            self.conn
                .query(
                    "SELECT hash FROM ledger_nodes WHERE org_id = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx",
                    params![self.org.0, i64::from(level), start, end],
                )?
                .iter()
                .map(|r| Ok(Hash::from_slice(&r.bytes(0)?)?))
                .collect::<Result<_, StoreError>>()?
        };
        if out.len() as u64 != end - start {
            return Err(StoreError::Decode(format!(
                "ledger of org {}: {} stored hashes at level {level} for [{start}, {end})",
                self.org.0,
                out.len()
            )));
        }
        Ok(out)
    }
}

/// Inclusion proof of entry `index` in the tree of `size` entries.
pub fn inclusion_proof(
    conn: &mut Conn,
    org: OrgId,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, StoreError> {
    anzen_ledger::inclusion_proof(index, size, &mut StoredHashes { conn, org })
}

/// Consistency proof between sizes `m` and `n`.
pub fn consistency_proof(
    conn: &mut Conn,
    org: OrgId,
    m: u64,
    n: u64,
) -> Result<Vec<Hash>, StoreError> {
    anzen_ledger::consistency_proof(m, n, &mut StoredHashes { conn, org })
}

/// Recomputes an organisation's ledger from the stored rows and checks it against its
/// checkpoints, head and optional witness checkpoint. Streams the rows.
pub fn verify(
    conn: &mut Conn,
    org: &Org,
    key: &VerifierKey,
    witness: Option<&str>,
) -> Result<Report, StoreError> {
    let h = head(conn, org.id, false)?;
    let notes = checkpoints(conn, org.id)?;
    // Before the first checkpoint the origin is not fixed yet; it can only be the default.
    let origin = h
        .as_ref()
        .and_then(|h| h.origin.clone())
        .or_else(|| {
            notes
                .first()
                .and_then(|n| Checkpoint::parse_unverified(n).ok().map(|c| c.origin))
        })
        .unwrap_or_default();
    let mut params = Params::new(&origin, key, &notes);
    params.head = h.as_ref().map(|h| (h.size, h.frontier.root()));
    params.witness = witness;
    let mut v = Verifier::new(&params);
    match conn {
        Conn::Sqlite(c) => {
            // Reading rows is a large share of the work: a second thread steps SQLite and
            // hands over batches while this one feeds the verifier (whose hash workers use
            // the remaining CPU).
            let org_id = org.id.0;
            std::thread::scope(|s| -> Result<(), StoreError> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<RowBatch>(4);
                let reader = s.spawn(move || -> Result<(), StoreError> {
                    let mut stmt = c.prepare(
                        "SELECT idx, entry FROM ledger_entries WHERE org_id = ?1 ORDER BY idx",
                    )?;
                    let mut rows = stmt.query([org_id])?;
                    let mut batch = RowBatch::default();
                    while let Some(r) = rows.next()? {
                        let idx: i64 = r.get(0)?;
                        // A tampered row may not even be a blob any more: whatever it holds
                        // is handed to the verifier, which reports it instead of stopping.
                        let bytes: &[u8] = match r.get_ref(1)? {
                            rusqlite::types::ValueRef::Blob(b)
                            | rusqlite::types::ValueRef::Text(b) => b,
                            _ => &[],
                        };
                        batch.push(u64::try_from(idx).unwrap_or(u64::MAX), bytes);
                        if batch.idx.len() == READ_BATCH
                            && tx.send(std::mem::take(&mut batch)).is_err()
                        {
                            return Ok(());
                        }
                    }
                    if !batch.idx.is_empty() {
                        let _ = tx.send(batch);
                    }
                    Ok(())
                });
                for batch in rx {
                    for (idx, bytes) in batch.rows() {
                        v.push_row(idx, bytes);
                    }
                }
                reader
                    .join()
                    .map_err(|_| StoreError::Decode("ledger reader thread panicked".into()))?
            })?;
        }
        Conn::Postgres(_) => {
            // Page by index: the primary key makes each page one index range scan.
            let mut from = i64::MIN;
            loop {
                let rows = conn.query(
                    "SELECT idx, entry FROM ledger_entries WHERE org_id = $1 AND idx > $2 ORDER BY idx LIMIT 20000",
                    params![org.id.0, from],
                )?;
                let Some(last) = rows.last() else { break };
                from = last.i64(0)?;
                for r in &rows {
                    let idx = r.i64(0)?;
                    v.push_row(u64::try_from(idx).unwrap_or(u64::MAX), &r.bytes(1)?);
                }
            }
        }
    }
    Ok(v.finish())
}

/// Rows read per hand-over from the reader thread to the verifier.
const READ_BATCH: usize = 4096;

/// Stored rows in one buffer: indices as stored, bytes back to back.
#[derive(Default)]
struct RowBatch {
    idx: Vec<u64>,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl RowBatch {
    fn push(&mut self, idx: u64, bytes: &[u8]) {
        self.idx.push(idx);
        self.buf.extend_from_slice(bytes);
        self.ends.push(self.buf.len());
    }

    fn rows(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.idx
            .iter()
            .zip(starts.zip(self.ends.iter().copied()))
            .map(|(i, (a, b))| (*i, &self.buf[a..b]))
    }
}

/// Records a verification result (shown on the audit page).
pub fn record_verification(
    conn: &mut Conn,
    org: OrgId,
    ok: bool,
    entries: u64,
    summary: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO ledger_verifications (org_id, verified_at, ok, entries, summary) VALUES ($1, $2, $3, $4, $5)",
        params![org.0, now_us(), ok, entries, summary],
    )?;
    Ok(())
}

/// The latest recorded verification: (time, ok, entries, summary).
pub fn latest_verification(
    conn: &mut Conn,
    org: OrgId,
) -> Result<Option<(i64, bool, u64, String)>, StoreError> {
    conn.query_opt(
        "SELECT verified_at, ok, entries, summary FROM ledger_verifications WHERE org_id = $1 \
         ORDER BY verified_at DESC, id DESC LIMIT 1",
        params![org.0],
    )?
    .map(|r| Ok((r.i64(0)?, r.bool(1)?, u(r.i64(2)?)?, r.string(3)?)))
    .transpose()
}
