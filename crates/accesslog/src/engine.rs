//! Appending events and maintaining the segment indexes.
//!
//! Why segments: a B-tree keyed by patient receives each new event at a random place, so
//! once the index outgrows memory every insert is a random read-modify-write (the issue
//! measured 0.7 M rows/s without index falling to 30 k rows/s with three at only 1 M rows).
//! Here the event rows are keyed by `(org, seq)` and always appended at the end, and the
//! postings of each closed segment (at least [`SEGMENT_EVENTS`] events: everything not yet
//! indexed once that much has accumulated) are written once, sorted, under a new segment id
//! that leads their key — also an append at the end of the B-tree.
//!
//! Every [`FANOUT`] segments of one level are merged into one of the next level (up to
//! [`MAX_LEVEL`]), so a query seeks a bounded number of segments: at 100 M events in
//! batches of 10,000 about 39 top-level + ≤ 15 + ≤ 15 segments, plus a scan of the open
//! tail (< 4,096 events).
//!
//! Why the second core: the plain append of the rows is the storage engine's limit; what
//! this store adds per event is CPU work (the Merkle leaf, the two index keys, sorting the
//! postings, packing and merging blocks). [`Closing::prepare`] reads what the closing
//! segment needs before the rows are inserted; then a helper thread does that work
//! ([`Digest`]) while the calling thread inserts the rows, so on a machine with two cores
//! most of it is hidden behind the inserts.

use std::ops::Range;

use anzen_core::OrgId;
use anzen_ingest::AccessEvent;
use anzen_store::ledger::{self, NewEntry};
use anzen_store::orgs::Org;
use anzen_store::{Backend, Conn, Store, StoreError, now_us, params};
use serde::{Deserialize, Serialize};

use anzen_ledger::Hash;

use crate::codec::{self, BatchRoot, KIND_PATIENT, KIND_USER};
use crate::{AccessLogError, i, u};

/// Events at which the pending events close into a level-0 segment (the open tail scanned
/// by queries is shorter than this). A batch larger than this closes as one segment of
/// its own size, so its postings come from memory, never read back.
pub const SEGMENT_EVENTS: u64 = 4096;
/// Segments of one level merged into one of the next.
pub const FANOUT: usize = 16;
/// The highest level (level 2 = 16² level-0 segments: 1 M events for segments of 4,096, 2.6 M
/// for the file import's batches of 10,000).
pub const MAX_LEVEL: i64 = 2;

/// Ledger entry kind committing to one batch of events.
pub const BATCH_KIND: &str = "access_log.batch";

/// Bits of an event row's key given to the sequence number: `id = org_id · 2⁴⁰ + seq`
/// (migration `0017`: one integer key makes SQLite's table a rowid B-tree, the cheapest
/// append it has). 2⁴⁰ events is 35,000 years at 1,000 events a second.
pub const SEQ_BITS: u32 = 40;

/// The row key of event `seq` of an organisation.
pub fn event_id(org: OrgId, seq: u64) -> i64 {
    (org.0 << SEQ_BITS) | i(seq & ((1 << SEQ_BITS) - 1))
}

/// The sequence number in a row key.
pub(crate) fn event_seq(id: i64) -> u64 {
    (id as u64) & ((1 << SEQ_BITS) - 1)
}

/// The row keys of an organisation's events `seqs` (`seqs.end` at most 2⁴⁰).
pub(crate) fn event_ids(org: OrgId, seqs: Range<u64>) -> (i64, i64) {
    let end = seqs.end.min(1 << SEQ_BITS);
    (
        event_id(org, seqs.start.min(end)),
        (org.0 << SEQ_BITS) + i(end),
    )
}

/// The payload of an `access_log.batch` ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchCommit {
    pub first_seq: u64,
    pub count: u64,
    /// RFC 6962 Merkle root (hex) over `SHA-256(0x00 ‖ event bytes)` of the batch's events.
    pub root: String,
    pub min_time_us: i64,
    pub max_time_us: i64,
}

/// What one append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Sequence numbers given to the events.
    pub seqs: Range<u64>,
    /// The ledger entry committing to them (None for an empty batch).
    pub ledger_idx: Option<u64>,
}

/// The head row of an organisation's access log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Head {
    pub next_seq: u64,
    pub indexed_seq: u64,
    pub pruned_seq: u64,
    pub next_segment: i64,
}

impl Head {
    /// Whether `other` has the same closed segments: every close, merge and prune commits
    /// together with the head's indexed or pruned seq.
    pub(crate) fn same_segments(&self, other: &Head) -> bool {
        (self.indexed_seq, self.pruned_seq) == (other.indexed_seq, other.pruned_seq)
    }
}

/// Reads the head; with `lock`, creates it when missing and locks it (PostgreSQL
/// `FOR UPDATE`; SQLite writers are already serialised by `BEGIN IMMEDIATE`).
pub(crate) fn head(conn: &mut Conn, org: OrgId, lock: bool) -> Result<Head, AccessLogError> {
    if lock {
        conn.execute(
            "INSERT INTO access_heads (org_id, next_seq, indexed_seq, pruned_seq, next_segment) \
             VALUES ($1, 0, 0, 0, 1) ON CONFLICT (org_id) DO NOTHING",
            params![org.0],
        )?;
    }
    let suffix = if lock && conn.backend() == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = conn.query_opt(
        &format!(
            "SELECT next_seq, indexed_seq, pruned_seq, next_segment FROM access_heads \
             WHERE org_id = $1{suffix}"
        ),
        params![org.0],
    )?;
    match row {
        None => Ok(Head {
            next_segment: 1,
            ..Head::default()
        }),
        Some(r) => Ok(Head {
            next_seq: u(r.i64(0)?)?,
            indexed_seq: u(r.i64(1)?)?,
            pruned_seq: u(r.i64(2)?)?,
            next_segment: r.i64(3)?,
        }),
    }
}

fn save_head(conn: &mut Conn, org: OrgId, h: &Head) -> Result<(), AccessLogError> {
    conn.execute(
        "UPDATE access_heads SET next_seq = $2, indexed_seq = $3, pruned_seq = $4, next_segment = $5 \
         WHERE org_id = $1",
        params![org.0, h.next_seq, h.indexed_seq, h.pruned_seq, h.next_segment],
    )?;
    Ok(())
}

/// Batches of at least this many events are digested on a helper thread while the rows
/// are inserted (below, spawning the thread costs more than it saves).
const PARALLEL_MIN: usize = 1024;

/// Appends `events` inside the caller's transaction: event rows, one ledger entry
/// committing to them, and the index segment this batch closes, if any. `author` is
/// recorded on the ledger entry (e.g. `import:<file>`, `syslog:<peer>`).
///
/// This is the function the syslog receiver and the file import call.
pub fn append_events(
    conn: &mut Conn,
    org: &Org,
    author: &str,
    events: &[AccessEvent],
) -> Result<Appended, AccessLogError> {
    let mut h = head(conn, org.id, true)?;
    let first = h.next_seq;
    if events.is_empty() {
        return Ok(Appended {
            seqs: first..first,
            ledger_idx: None,
        });
    }
    // An index being rebuilt (a migration dropped it): the stored events first, a
    // segment's worth at a time.
    while first - h.indexed_seq >= SEGMENT_EVENTS {
        let seqs = h.indexed_seq..h.indexed_seq + SEGMENT_EVENTS;
        let closing = Closing::prepare(conn, org.id, seqs, first)?;
        let segment = closing.build(Vec::new(), EMPTY_SPAN)?;
        save_segment(conn, org.id, &mut h, &closing, segment)?;
    }
    let end = first + events.len() as u64;
    if end > 1 << SEQ_BITS || org.id.0 >= 1 << (63 - SEQ_BITS) {
        return Err(AccessLogError::Decode(format!(
            "access log of organisation {} is full ({end} events)",
            org.id.0
        )));
    }
    let closing = if end - h.indexed_seq >= SEGMENT_EVENTS {
        Some(Closing::prepare(conn, org.id, h.indexed_seq..end, first)?)
    } else {
        None
    };
    let mut buf = Vec::with_capacity(events.len() * 96);
    let mut ends = Vec::with_capacity(events.len());
    for (k, e) in events.iter().enumerate() {
        codec::encode_into(&mut buf, first + k as u64, e);
        ends.push(buf.len());
    }
    let digest = || Digest::of(&buf, &ends, first, events, closing.as_ref());
    let digest = if events.len() >= PARALLEL_MIN {
        std::thread::scope(|s| {
            let helper = s.spawn(digest);
            let inserted = insert_rows(conn, org.id, first, &buf, &ends);
            // The helper only hashes, sorts and merges; a panic there is a bug, passed on
            // as one.
            let digest = helper
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            inserted.and(digest)
        })?
    } else {
        insert_rows(conn, org.id, first, &buf, &ends)?;
        digest()?
    };
    let commit = BatchCommit {
        first_seq: first,
        count: events.len() as u64,
        root: digest.root.to_hex(),
        min_time_us: digest.span.0,
        max_time_us: digest.span.1,
    };
    let payload = serde_json::to_vec(&commit).map_err(|e| AccessLogError::Decode(e.to_string()))?;
    let idx = ledger::append(
        conn,
        org,
        &[NewEntry {
            time_us: now_us(),
            author: author.to_owned(),
            kind: BATCH_KIND.to_owned(),
            payload,
        }],
    )?
    .start;
    conn.execute(
        "INSERT INTO access_batches (org_id, first_seq, end_seq, ledger_idx, root, min_time, max_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            org.id.0,
            first,
            end,
            idx,
            digest.root.0.to_vec(),
            digest.span.0,
            digest.span.1
        ],
    )?;
    h.next_seq = end;
    if let (Some(closing), Some(segment)) = (&closing, digest.segment) {
        save_segment(conn, org.id, &mut h, closing, segment)?;
    }
    save_head(conn, org.id, &h)?;
    Ok(Appended {
        seqs: first..end,
        ledger_idx: Some(idx),
    })
}

/// Appends a batch in a transaction of its own and returns once it is committed (the
/// syslog receiver's entry point).
pub fn append_batch(
    store: &Store,
    org: &Org,
    author: &str,
    events: &[AccessEvent],
) -> Result<Appended, AccessLogError> {
    store.write(|c| append_events(c, org, author, events))
}

fn insert_rows(
    conn: &mut Conn,
    org: OrgId,
    first: u64,
    buf: &[u8],
    ends: &[usize],
) -> Result<(), AccessLogError> {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let rows = starts.zip(ends.iter().copied()).enumerate();
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt =
                c.prepare_cached("INSERT INTO access_events (id, ev) VALUES (?1, ?2)")?;
            for (k, (a, b)) in rows {
                stmt.execute(rusqlite::params![
                    event_id(org, first + k as u64),
                    codec::stored(&buf[a..b])
                ])?;
            }
        }
        Conn::Postgres(c) => {
            // One statement per chunk: arrays unnested server-side.
            let all: Vec<(i64, &[u8])> = rows
                .map(|(k, (a, b))| (event_id(org, first + k as u64), codec::stored(&buf[a..b])))
                .collect();
            for chunk in all.chunks(20_000) {
                let (ids, evs): (Vec<i64>, Vec<&[u8]>) = chunk.iter().copied().unzip();
                c.execute(
                    "INSERT INTO access_events (id, ev) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
                    &[&ids, &evs],
                )?;
            }
        }
    }
    Ok(())
}

/// One posting: `(kind, key, seq)`. A segment's postings are sorted before they are
/// written, which groups each key's sequence numbers in ascending order.
type Posting = (i64, i64, u64);

/// One stored posting block: `(kind, first_key, bytes)` ([`codec::BlockWriter`]).
type BlockRow = (i64, i64, Vec<u8>);

/// The time span of no events (`min > max`; widened by [`widen`]).
const EMPTY_SPAN: (i64, i64) = (i64::MAX, i64::MIN);

fn widen(a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    (a.0.min(b.0), a.1.max(b.1))
}

fn add_postings(p: &mut Vec<Posting>, seq: u64, e: &AccessEvent) {
    if let Some(patient) = &e.patient {
        p.push((KIND_PATIENT, codec::index_key(KIND_PATIENT, patient), seq));
    }
    p.push((KIND_USER, codec::index_key(KIND_USER, &e.user), seq));
}

/// The CPU work of a batch besides inserting its rows: the Merkle root the ledger entry
/// commits to, the time span, and the segment the batch closes (built and merged).
struct Digest {
    root: Hash,
    span: (i64, i64),
    segment: Option<NewSegment>,
}

impl Digest {
    fn of(
        buf: &[u8],
        ends: &[usize],
        first: u64,
        events: &[AccessEvent],
        closing: Option<&Closing>,
    ) -> Result<Digest, AccessLogError> {
        let mut root = BatchRoot::default();
        let mut postings = Vec::with_capacity(if closing.is_some() {
            events.len() * 2
        } else {
            0
        });
        let mut span = EMPTY_SPAN;
        let mut start = 0;
        for (k, (e, &end)) in events.iter().zip(ends).enumerate() {
            root.push(&buf[start..end]);
            start = end;
            span = widen(span, (e.time_us, e.time_us));
            if closing.is_some() {
                add_postings(&mut postings, first + k as u64, e);
            }
        }
        let segment = match closing {
            Some(c) => Some(c.build(postings, span)?),
            None => None,
        };
        Ok(Digest {
            root: root.root(),
            span,
            segment,
        })
    }
}

/// A level-0 segment about to close, with what it is read from and merged into — all read
/// before the batch's rows are inserted, so that building it needs no connection and can
/// run on the helper thread.
struct Closing {
    seqs: Range<u64>,
    /// Postings and time span of events of earlier batches in `seqs` (small batches),
    /// read back from the stored rows.
    earlier: Vec<Posting>,
    earlier_span: (i64, i64),
    /// Per level from 0: the [`FANOUT`] − 1 segments the new one completes a group with,
    /// and their blocks. The merge cascades as far as groups are completed.
    merges: Vec<Vec<(Segment, Vec<BlockRow>)>>,
}

/// A segment built in memory, ready to be written.
struct NewSegment {
    level: i64,
    seqs: Range<u64>,
    span: (i64, i64),
    rows: Vec<BlockRow>,
}

impl Closing {
    /// Reads what closing the level-0 segment `seqs` needs; events from `batch_first` on
    /// are in memory (the batch being appended), earlier ones are read back.
    fn prepare(
        conn: &mut Conn,
        org: OrgId,
        seqs: Range<u64>,
        batch_first: u64,
    ) -> Result<Closing, AccessLogError> {
        let mut earlier = Vec::new();
        let mut earlier_span = EMPTY_SPAN;
        let stored_end = batch_first.min(seqs.end);
        if seqs.start < stored_end {
            let (a, b) = event_ids(org, seqs.start..stored_end);
            let rows = conn.query(
                "SELECT id, ev FROM access_events WHERE id >= $1 AND id < $2 ORDER BY id",
                params![a, b],
            )?;
            for r in rows {
                let seq = event_seq(r.i64(0)?);
                let e = codec::decode_stored(seq, &r.bytes(1)?)?;
                earlier_span = widen(earlier_span, (e.time_us, e.time_us));
                add_postings(&mut earlier, seq, &e);
            }
        }
        let mut merges = Vec::new();
        for level in 0..MAX_LEVEL {
            let segs = segments(conn, org, Some(level), (0, 0))?;
            if segs.len() + 1 != FANOUT {
                break;
            }
            let mut group = Vec::with_capacity(segs.len());
            for s in segs {
                let rows = conn.query(
                    "SELECT kind, first_key, data FROM access_posting_blocks \
                     WHERE org_id = $1 AND segment_id = $2 ORDER BY kind, first_key",
                    params![org.0, s.id],
                )?;
                let blocks = rows
                    .iter()
                    .map(|r| Ok((r.i64(0)?, r.i64(1)?, r.bytes(2)?)))
                    .collect::<Result<Vec<BlockRow>, StoreError>>()?;
                group.push((s, blocks));
            }
            merges.push(group);
        }
        Ok(Closing {
            seqs,
            earlier,
            earlier_span,
            merges,
        })
    }

    /// Builds the segment from the batch's postings (unsorted) and time span, merged as far
    /// as it completes groups. Pure: runs on the helper thread.
    fn build(
        &self,
        mut postings: Vec<Posting>,
        span: (i64, i64),
    ) -> Result<NewSegment, AccessLogError> {
        postings.extend_from_slice(&self.earlier);
        postings.sort_unstable();
        let mut seg = NewSegment {
            level: 0,
            seqs: self.seqs.clone(),
            span: widen(span, self.earlier_span),
            rows: blocks_of(&postings, self.seqs.start),
        };
        for group in &self.merges {
            let first = group.first().map_or(seg.seqs.start, |g| g.0.first_seq);
            let mut inputs: Vec<(u64, &[BlockRow])> = group
                .iter()
                .map(|(s, rows)| (s.first_seq, rows.as_slice()))
                .collect();
            inputs.push((seg.seqs.start, &seg.rows));
            let rows = merge_blocks(&inputs, first)?;
            let span = group
                .iter()
                .fold(seg.span, |a, (s, _)| widen(a, (s.min_time, s.max_time)));
            seg = NewSegment {
                level: seg.level + 1,
                seqs: first..seg.seqs.end,
                span,
                rows,
            };
        }
        Ok(seg)
    }
}

/// Writes a built segment, drops the segments merged into it and advances the head.
fn save_segment(
    conn: &mut Conn,
    org: OrgId,
    h: &mut Head,
    closing: &Closing,
    seg: NewSegment,
) -> Result<(), AccessLogError> {
    let id = h.next_segment;
    h.next_segment += 1;
    let end = seg.seqs.end;
    write_segment(conn, org, id, seg.level, seg.seqs, seg.span, seg.rows)?;
    for group in &closing.merges {
        for (s, _) in group {
            drop_segment(conn, org, s.id)?;
        }
    }
    h.indexed_seq = end;
    Ok(())
}

/// The blocks of one segment from its sorted postings.
fn blocks_of(sorted: &[Posting], base: u64) -> Vec<BlockRow> {
    let mut blocks = SegmentBlocks::new(base);
    let mut list = Vec::new();
    for run in sorted.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        list.clear();
        list.extend(run.iter().map(|p| p.2));
        blocks.push(run[0].0, run[0].1, &list);
    }
    blocks.finish()
}

/// Merges the blocks of consecutive segments, given in sequence order as `(first seq,
/// blocks in (kind, first_key) order)`, into the blocks of one segment starting at `base`.
///
/// Each input's entries come in `(kind, key)` order, so a stable sort of all entries by
/// `(kind, key)` merges those runs and keeps each key's lists in sequence order: the merged
/// list is the concatenation, with no sorting of individual sequence numbers.
fn merge_blocks(inputs: &[(u64, &[BlockRow])], base: u64) -> Result<Vec<BlockRow>, AccessLogError> {
    // Entries: (kind, key, input, block, byte range of the list).
    type Entry = (i64, i64, u32, u32, Range<usize>);
    let bytes: usize = inputs
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|r| r.2.len()))
        .sum();
    let mut entries: Vec<Entry> = Vec::with_capacity(bytes / 4);
    for (n, (_, rows)) in inputs.iter().enumerate() {
        for (b, (kind, first_key, data)) in rows.iter().enumerate() {
            let at = (n as u32, b as u32);
            codec::for_each_range_in_block(*first_key, data, |key, range| {
                entries.push((*kind, key, at.0, at.1, range));
                Ok(())
            })?;
        }
    }
    entries.sort_by_key(|e| (e.0, e.1));
    let mut merged = SegmentBlocks::new(base);
    let mut list = Vec::new();
    for run in entries.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        list.clear();
        for (_, _, n, b, range) in run {
            let (first_seq, rows) = &inputs[*n as usize];
            codec::decode_postings(*first_seq, &rows[*b as usize].2[range.clone()], &mut list)?;
        }
        merged.push(run[0].0, run[0].1, &list);
    }
    Ok(merged.finish())
}

/// A segment's posting lists, given in `(kind, key)` order, packed into blocks: one run of
/// blocks per kind.
struct SegmentBlocks {
    base: u64,
    kind: Option<i64>,
    writer: codec::BlockWriter,
    rows: Vec<BlockRow>,
}

impl SegmentBlocks {
    fn new(base: u64) -> SegmentBlocks {
        SegmentBlocks {
            base,
            kind: None,
            writer: codec::BlockWriter::new(base),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, kind: i64, key: i64, seqs: &[u64]) {
        if self.kind != Some(kind) {
            self.end_kind();
            self.kind = Some(kind);
        }
        self.writer.push(key, seqs);
    }

    fn end_kind(&mut self) {
        if let Some(k) = self.kind {
            let done = std::mem::replace(&mut self.writer, codec::BlockWriter::new(self.base));
            self.rows
                .extend(done.finish().into_iter().map(|(f, b)| (k, f, b)));
        }
    }

    fn finish(mut self) -> Vec<BlockRow> {
        self.end_kind();
        self.rows
    }
}

fn write_segment(
    conn: &mut Conn,
    org: OrgId,
    id: i64,
    level: i64,
    seqs: Range<u64>,
    (min_t, max_t): (i64, i64),
    rows: Vec<BlockRow>,
) -> Result<(), AccessLogError> {
    conn.execute(
        "INSERT INTO access_segments (org_id, id, level, first_seq, end_seq, min_time, max_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![org.0, id, level, seqs.start, seqs.end, min_t, max_t],
    )?;
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt = c.prepare_cached(
                "INSERT INTO access_posting_blocks (org_id, segment_id, kind, first_key, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (kind, first, data) in &rows {
                stmt.execute(rusqlite::params![org.0, id, kind, first, data])?;
            }
        }
        Conn::Postgres(c) => {
            let kinds: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let firsts: Vec<i64> = rows.iter().map(|r| r.1).collect();
            let datas: Vec<&[u8]> = rows.iter().map(|r| r.2.as_slice()).collect();
            c.execute(
                "INSERT INTO access_posting_blocks (org_id, segment_id, kind, first_key, data) \
                 SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::bytea[])",
                &[&org.0, &id, &kinds, &firsts, &datas],
            )?;
        }
    }
    Ok(())
}

/// A closed segment as listed for queries and merges.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub id: i64,
    pub first_seq: u64,
    pub end_seq: u64,
    pub min_time: i64,
    pub max_time: i64,
}

pub(crate) fn segments(
    conn: &mut Conn,
    org: OrgId,
    level: Option<i64>,
    time: (i64, i64),
) -> Result<Vec<Segment>, AccessLogError> {
    let rows = match level {
        Some(l) => conn.query(
            "SELECT id, first_seq, end_seq, min_time, max_time FROM access_segments \
             WHERE org_id = $1 AND level = $2 ORDER BY first_seq",
            params![org.0, l],
        )?,
        None => conn.query(
            "SELECT id, first_seq, end_seq, min_time, max_time FROM access_segments \
             WHERE org_id = $1 AND max_time >= $2 AND min_time < $3 ORDER BY first_seq",
            params![org.0, time.0, time.1],
        )?,
    };
    rows.iter()
        .map(|r| {
            Ok(Segment {
                id: r.i64(0)?,
                first_seq: u(r.i64(1)?)?,
                end_seq: u(r.i64(2)?)?,
                min_time: r.i64(3)?,
                max_time: r.i64(4)?,
            })
        })
        .collect()
}

pub(crate) fn drop_segment(conn: &mut Conn, org: OrgId, id: i64) -> Result<(), AccessLogError> {
    conn.execute(
        "DELETE FROM access_posting_blocks WHERE org_id = $1 AND segment_id = $2",
        params![org.0, id],
    )?;
    conn.execute(
        "DELETE FROM access_segments WHERE org_id = $1 AND id = $2",
        params![org.0, id],
    )?;
    Ok(())
}

/// Events held (appended and not pruned), from the head row: cheap at any size.
pub fn event_count(conn: &mut Conn, org: &Org) -> Result<u64, AccessLogError> {
    let h = head(conn, org.id, false)?;
    Ok(h.next_seq.saturating_sub(h.pruned_seq))
}

/// Stored size of an organisation's access log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskUsage {
    pub events: u64,
    /// Bytes of the event rows' canonical encodings (payload only).
    pub event_bytes: u64,
    /// Bytes of the posting blocks (payload only).
    pub posting_bytes: u64,
    /// Posting blocks ([`codec::BLOCK_BYTES`] each, the last of a segment shorter).
    pub posting_rows: u64,
    pub segments: u64,
}

/// Counts rows and payload bytes (for the status page and the benchmark; the benchmark
/// also reports the database's size on disk).
pub fn disk_usage(conn: &mut Conn, org: &Org) -> Result<DiskUsage, StoreError> {
    let len = match conn.backend() {
        Backend::Sqlite => "length",
        Backend::Postgres => "octet_length",
    };
    let (a, b) = event_ids(org.id, 0..1 << SEQ_BITS);
    let e = conn.query_one(
        &format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM({len}(ev)), 0) AS BIGINT) FROM access_events WHERE id >= $1 AND id < $2"
        ),
        params![a, b],
    )?;
    let p = conn.query_one(
        &format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM({len}(data)), 0) AS BIGINT) FROM access_posting_blocks WHERE org_id = $1"
        ),
        params![org.id.0],
    )?;
    let s = conn.query_one(
        "SELECT COUNT(*) FROM access_segments WHERE org_id = $1",
        params![org.id.0],
    )?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let t = |r: &anzen_store::Row, k: usize| -> Result<u64, StoreError> { Ok(n(r.i64(k)?)) };
    Ok(DiskUsage {
        events: n(e.i64(0)?),
        event_bytes: t(&e, 1)?,
        posting_rows: n(p.i64(0)?),
        posting_bytes: t(&p, 1)?,
        segments: n(s.i64(0)?),
    })
}
