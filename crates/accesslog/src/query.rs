//! Queries: "who accessed patient X and when", "what did user Y do", filters by system,
//! action and time; and a stream of events in a time range for the monitoring rules.
//!
//! With a patient or user, candidates come from the posting lists of the closed segments
//! whose time span overlaps the range, plus a scan of the open tail; every candidate is
//! decoded and compared with the whole filter (a key collision costs a fetch, never a
//! wrong answer). Without one, segments overlapping the time range are scanned newest
//! first.

use anzen_core::OrgId;
use anzen_ingest::{AccessAction, AccessEvent};
use anzen_store::orgs::Org;
use anzen_store::{Backend, Conn, Store, params};
use serde::Serialize;

use crate::AccessLogError;
use crate::codec::{self, KIND_PATIENT, KIND_USER};
use crate::engine::{self, Head, Segment};

/// Search filters; all given ones must match. Times are `[from_us, to_us)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub patient: Option<String>,
    pub user: Option<String>,
    pub system: Option<String>,
    pub action: Option<AccessAction>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

impl Filter {
    pub fn matches(&self, e: &AccessEvent) -> bool {
        self.patient
            .as_deref()
            .is_none_or(|p| e.patient.as_deref() == Some(p))
            && self.user.as_deref().is_none_or(|x| e.user == x)
            && self.system.as_deref().is_none_or(|s| e.system == s)
            && self.action.is_none_or(|a| e.action == a)
            && self.from_us.is_none_or(|t| e.time_us >= t)
            && self.to_us.is_none_or(|t| e.time_us < t)
    }

    fn time(&self) -> (i64, i64) {
        (
            self.from_us.unwrap_or(i64::MIN),
            self.to_us.unwrap_or(i64::MAX),
        )
    }
}

/// A stored event with its sequence number (its position in the organisation's log; the
/// ledger commits to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub seq: u64,
    pub event: AccessEvent,
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Page {
    pub events: Vec<StoredEvent>,
    /// All matches (known when a patient or user narrowed the search).
    pub total: Option<u64>,
    /// More results after this page.
    pub more: bool,
    /// Connections the search read through (more than one when it read in parallel).
    #[serde(skip)]
    pub connections: usize,
}

/// Reads of a patient or user search before it answers with its last read although the
/// segments changed during each (every time, a segment closed or a prune committed while
/// it read).
const READ_ATTEMPTS: usize = 5;

/// Events matching `f`: with a patient or user, newest (by 日時) first; otherwise in
/// reverse order of arrival. `offset`/`limit` page through them. With `pool` (the store
/// `conn` came from), a patient or user search also reads through idle pooled connections
/// at once ([`PARALLEL_READERS`]).
pub fn search(
    conn: &mut Conn,
    pool: Option<&Store>,
    org: &Org,
    f: &Filter,
    offset: u64,
    limit: u64,
) -> Result<Page, AccessLogError> {
    let mut h = engine::head(conn, org.id, false)?;
    if f.patient.is_some() || f.user.is_some() {
        // A caller outside one snapshot (PostgreSQL's READ COMMITTED, SQLite without a
        // transaction) may see a merge commit between reading the segment list and reading
        // a merged-away segment's blocks, and miss its events. Segments change only together
        // with the head, so an unchanged head afterwards proves the read whole.
        let (mut all, mut connections) = indexed(conn, pool, org.id, &h, f)?;
        for _ in 1..READ_ATTEMPTS {
            let now = engine::head(conn, org.id, false)?;
            if now.same_segments(&h) {
                break;
            }
            h = now;
            (all, connections) = indexed(conn, pool, org.id, &h, f)?;
        }
        all.sort_by_key(|s| std::cmp::Reverse((s.event.time_us, s.seq)));
        let total = all.len() as u64;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
        let end = usize::try_from(offset.saturating_add(limit))
            .unwrap_or(usize::MAX)
            .min(all.len());
        Ok(Page {
            more: end < all.len(),
            events: all.drain(start..end).collect(),
            total: Some(total),
            connections,
        })
    } else {
        let mut out = Vec::new();
        let mut skipped = 0u64;
        let mut more = false;
        for (a, b) in ranges(conn, org.id, &h, f.time())?.into_iter().rev() {
            let mut end = b;
            while end > a {
                let ids = engine::event_ids(org.id, a..end);
                let rows = conn.query(
                    "SELECT id, ev FROM access_events WHERE id >= $1 AND id < $2 \
                     ORDER BY id DESC LIMIT 2000",
                    params![ids.0, ids.1],
                )?;
                let Some(last) = rows.last() else { break };
                end = engine::event_seq(last.i64(0)?);
                for r in &rows {
                    let (seq, e) = decode_row(r)?;
                    if !f.matches(&e) {
                        continue;
                    }
                    if skipped < offset {
                        skipped += 1;
                        continue;
                    }
                    if out.len() as u64 >= limit {
                        more = true;
                        break;
                    }
                    out.push(StoredEvent { seq, event: e });
                }
                if more {
                    return Ok(Page {
                        events: out,
                        total: None,
                        more,
                        connections: 1,
                    });
                }
            }
        }
        Ok(Page {
            events: out,
            total: None,
            more,
            connections: 1,
        })
    }
}

fn decode_row(r: &anzen_store::Row) -> Result<(u64, AccessEvent), AccessLogError> {
    let seq = engine::event_seq(r.i64(0)?);
    Ok((seq, codec::decode_stored(seq, &r.bytes(1)?)?))
}

/// The sequence ranges that may hold events of the time range, ascending and merged:
/// overlapping closed segments, then the open tail.
fn ranges(
    conn: &mut Conn,
    org: OrgId,
    h: &Head,
    time: (i64, i64),
) -> Result<Vec<(u64, u64)>, AccessLogError> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let segs: Vec<Segment> = if time == (i64::MIN, i64::MAX) {
        vec![Segment {
            id: 0,
            first_seq: 0,
            end_seq: h.indexed_seq,
            min_time: 0,
            max_time: 0,
        }]
    } else {
        engine::segments(conn, org, None, time)?
    };
    for s in segs {
        let a = s.first_seq.max(h.pruned_seq);
        if a >= s.end_seq {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.1 == a => last.1 = s.end_seq,
            _ => out.push((a, s.end_seq)),
        }
    }
    let tail = h.indexed_seq.max(h.pruned_seq);
    if h.next_seq > tail {
        match out.last_mut() {
            Some(last) if last.1 == tail => last.1 = h.next_seq,
            _ => out.push((tail, h.next_seq)),
        }
    }
    Ok(out)
}

/// A segment's candidate block: `(segment, first_key, block bytes)`.
type CandidateBlock<'s> = (&'s Segment, i64, Vec<u8>);

/// Per segment, the one block whose key range can hold `key` (`first_key <= key`, the
/// greatest).
///
/// SQLite answers each probe in-process from a cached statement; PostgreSQL gets all of
/// them in one statement (a lateral join over the segment ids), because a statement per
/// segment costs a prepare and an execute round trip each — at 10 M events that was most
/// of a query's ~45 ms.
fn candidate_blocks<'s>(
    conn: &mut Conn,
    org: OrgId,
    segments: &'s [Segment],
    kind: i64,
    key: i64,
) -> Result<Vec<CandidateBlock<'s>>, AccessLogError> {
    let mut out = Vec::with_capacity(segments.len());
    match conn {
        Conn::Postgres(c) => {
            let ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
            let rows = c.query(
                "SELECT s.id, b.first_key, b.data FROM unnest($2::bigint[]) AS s(id) \
                 CROSS JOIN LATERAL (SELECT first_key, data FROM access_posting_blocks \
                   WHERE org_id = $1 AND segment_id = s.id AND kind = $3 AND first_key <= $4 \
                   ORDER BY first_key DESC LIMIT 1) AS b",
                &[&org.0, &ids, &kind, &key],
            )?;
            let by_id: std::collections::HashMap<i64, &Segment> =
                segments.iter().map(|s| (s.id, s)).collect();
            for r in rows {
                let id: i64 = r.try_get(0)?;
                if let Some(s) = by_id.get(&id) {
                    out.push((*s, r.try_get(1)?, r.try_get(2)?));
                }
            }
        }
        Conn::Sqlite(_) => {
            for s in segments {
                let row = conn.query_opt(
                    "SELECT first_key, data FROM access_posting_blocks \
                     WHERE org_id = $1 AND segment_id = $2 AND kind = $3 AND first_key <= $4 \
                     ORDER BY first_key DESC LIMIT 1",
                    params![org.0, s.id, kind, key],
                )?;
                if let Some(r) = row {
                    out.push((s, r.i64(0)?, r.bytes(1)?));
                }
            }
        }
    }
    Ok(out)
}

/// Pooled connections a patient or user search reads through at once besides the caller's
/// (when the pool has them idle).
///
/// Why: at 100 M events a patient's history is ~100 random page reads (one block per
/// segment, one page per event, spread over the year). When the store is not in the page
/// cache those latencies add up one after another; spread over connections they overlap
/// (BENCHMARKS.md, access log).
pub const PARALLEL_READERS: usize = 3;

/// Segments below which a search reads through the caller's connection only (a small store
/// is in memory, and a thread costs more than it saves).
pub const PARALLEL_MIN_SEGMENTS: usize = 8;

/// Every event matching `f` (which names a patient or a user) as of head `h`, unordered,
/// and the number of connections it was read through.
fn indexed(
    conn: &mut Conn,
    pool: Option<&Store>,
    org: OrgId,
    h: &Head,
    f: &Filter,
) -> Result<(Vec<StoredEvent>, usize), AccessLogError> {
    let (kind, value) = match (&f.patient, &f.user) {
        (Some(p), _) => (KIND_PATIENT, p.as_str()),
        (None, Some(x)) => (KIND_USER, x.as_str()),
        (None, None) => return Ok((Vec::new(), 1)),
    };
    let probe = Probe {
        org,
        head: *h,
        kind,
        key: codec::index_key(kind, value),
        filter: f,
    };
    let segments = engine::segments(conn, org, None, f.time())?;
    let parallel = match pool {
        Some(store) if segments.len() >= PARALLEL_MIN_SEGMENTS => {
            probe.in_parallel(conn, store, &segments)?
        }
        _ => None,
    };
    let (mut out, connections) = match parallel {
        Some(found) => found,
        None => (probe.segments(conn, &segments)?, 1),
    };
    // The open tail, bounded by the head and with a LIMIT: without them PostgreSQL, with
    // statistics from before the last million events (autovacuum off, or not yet run),
    // planned this range (< 4,096 rows unless an index is being rebuilt) as a parallel
    // bitmap scan with JIT: ~50 ms of a patient query at 100 M events.
    let tail = h.indexed_seq.max(h.pruned_seq);
    let ids = engine::event_ids(org, tail..h.next_seq.max(tail));
    let rows = conn.query(
        "SELECT id, ev FROM access_events WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3",
        params![ids.0, ids.1, ids.1 - ids.0],
    )?;
    for r in &rows {
        let (seq, e) = decode_row(r)?;
        if f.matches(&e) {
            out.push(StoredEvent { seq, event: e });
        }
    }
    Ok((out, connections))
}

/// One index key looked up in closed segments, as of one head.
struct Probe<'f> {
    org: OrgId,
    head: Head,
    kind: i64,
    key: i64,
    filter: &'f Filter,
}

impl Probe<'_> {
    /// The matching events of `segments`, read through `conn`.
    fn segments(
        &self,
        conn: &mut Conn,
        segments: &[Segment],
    ) -> Result<Vec<StoredEvent>, AccessLogError> {
        let mut seqs = Vec::new();
        for (s, first_key, block) in
            candidate_blocks(conn, self.org, segments, self.kind, self.key)?
        {
            codec::find_in_block(first_key, &block, self.key, s.first_seq, &mut seqs)?;
        }
        seqs.retain(|s| *s >= self.head.pruned_seq && *s < self.head.indexed_seq);
        let mut out = Vec::new();
        for chunk in seqs.chunks(500) {
            // Integers we produced, so a literal list is safe and portable.
            let list = chunk
                .iter()
                .map(|s| engine::event_id(self.org, *s).to_string())
                .collect::<Vec<_>>()
                .join(",");
            let rows = conn.query(
                &format!("SELECT id, ev FROM access_events WHERE id IN ({list})"),
                params![],
            )?;
            for r in &rows {
                let (seq, e) = decode_row(r)?;
                if self.filter.matches(&e) {
                    out.push(StoredEvent { seq, event: e });
                }
            }
        }
        Ok(out)
    }

    /// [`Probe::segments`] with the segments dealt out over the caller's connection and up
    /// to [`PARALLEL_READERS`] idle ones of the pool, read at the same time; also the number
    /// of connections. `None` when no connection was idle, or when a helper did not read its
    /// share as of the caller's head (an append closed or merged segments, or retention
    /// pruned, in between; or its read failed): the caller then reads alone, and an error
    /// that was not a helper's accident shows there.
    fn in_parallel(
        &self,
        conn: &mut Conn,
        store: &Store,
        segments: &[Segment],
    ) -> Result<Option<(Vec<StoredEvent>, usize)>, AccessLogError> {
        let helpers: Vec<Conn> = (0..PARALLEL_READERS)
            .map_while(|_| store.try_conn())
            .collect();
        if helpers.is_empty() {
            return Ok(None);
        }
        // Largest first, dealt round-robin: each share gets a like number of events.
        let mut order = segments.to_vec();
        order.sort_by_key(|s| std::cmp::Reverse(s.end_seq.saturating_sub(s.first_seq)));
        let parts = helpers.len() + 1;
        let mut shares = vec![Vec::new(); parts];
        for (i, s) in order.into_iter().enumerate() {
            shares[i % parts].push(s);
        }
        let mine = shares.pop().unwrap_or_default();
        std::thread::scope(|scope| {
            let running: Vec<_> = helpers
                .into_iter()
                .zip(shares)
                .map(|(mut c, share)| {
                    std::thread::Builder::new()
                        .name("access-log-read".into())
                        .spawn_scoped(scope, move || self.as_helper(&mut c, &share))
                })
                .collect();
            let mut out = self.segments(conn, &mine)?;
            let mut whole = true;
            for r in running {
                match r.map(|handle| handle.join()) {
                    Ok(Ok(Ok(Some(found)))) => out.extend(found),
                    Ok(Ok(Ok(None) | Err(_))) | Err(_) => whole = false,
                    Ok(Err(panic)) => std::panic::resume_unwind(panic),
                }
            }
            Ok(whole.then_some((out, parts)))
        })
    }

    /// A helper's share, read in one snapshot that must have the caller's head.
    fn as_helper(
        &self,
        conn: &mut Conn,
        share: &[Segment],
    ) -> Result<Option<Vec<StoredEvent>>, AccessLogError> {
        let mut tx = ReadSnapshot::begin(conn)?;
        let now = engine::head(tx.conn(), self.org, false)?;
        if now.same_segments(&self.head) {
            self.segments(tx.conn(), share).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A read-only transaction on a helper connection, rolled back however the read ends (also
/// on a panic): a connection must not go back to the pool inside a transaction.
struct ReadSnapshot<'c>(&'c mut Conn);

impl<'c> ReadSnapshot<'c> {
    fn begin(conn: &'c mut Conn) -> Result<ReadSnapshot<'c>, AccessLogError> {
        // SQLite's deferred BEGIN takes its snapshot at the first read.
        conn.batch(match conn.backend() {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        Ok(ReadSnapshot(conn))
    }

    fn conn(&mut self) -> &mut Conn {
        self.0
    }
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        // Nothing was written, so a failed rollback loses nothing.
        let _ = self.0.batch("ROLLBACK");
    }
}

/// Streams an organisation's events whose 日時 is in `[from_us, to_us)`, in order of
/// arrival, to `f` (return `false` to stop). For the monitoring rules: memory stays
/// bounded whatever the range.
pub fn stream<E: From<AccessLogError>>(
    conn: &mut Conn,
    org: &Org,
    from_us: i64,
    to_us: i64,
    mut f: impl FnMut(StoredEvent) -> Result<bool, E>,
) -> Result<(), E> {
    let h = engine::head(conn, org.id, false)?;
    let filter = Filter {
        from_us: Some(from_us),
        to_us: Some(to_us),
        ..Filter::default()
    };
    for (a, b) in ranges(conn, org.id, &h, (from_us, to_us))? {
        let mut from = a;
        while from < b {
            let ids = engine::event_ids(org.id, from..b);
            let rows = conn
                .query(
                    "SELECT id, ev FROM access_events WHERE id >= $1 AND id < $2 \
                     ORDER BY id LIMIT 5000",
                    params![ids.0, ids.1],
                )
                .map_err(AccessLogError::from)?;
            let Some(last) = rows.last() else { break };
            from = engine::event_seq(last.i64(0).map_err(AccessLogError::from)?) + 1;
            for r in &rows {
                let (seq, e) = decode_row(r)?;
                if filter.matches(&e) && !f(StoredEvent { seq, event: e })? {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Records a search in the audit trail (looking at access logs is an access too), in the
/// caller's transaction.
pub fn record_search(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    f: &Filter,
    shown: usize,
) -> Result<(), AccessLogError> {
    anzen_store::audit::record(
        conn,
        org,
        actor,
        "access_log.search",
        &serde_json::json!({"filter": f, "shown": shown}),
    )?;
    Ok(())
}
