//! Full-log audit: recompute everything from the stored rows and name every damage.
//!
//! The verifier is pure and streaming. The caller (the store, the CLI) feeds the stored
//! rows in row order, plus the stored checkpoint notes, the verifier key, the expected
//! origin, optionally the store's head row and optionally a witness checkpoint kept by an
//! auditor. Memory stays bounded by one batch of rows, whatever the log size.
//!
//! ## What is checked
//!
//! * every row decodes strictly ([`crate::entry`]);
//! * the embedded `seq` runs 0, 1, 2, ... and each entry's `prev` is the leaf hash of
//!   its predecessor;
//! * every stored checkpoint is validly signed, has the expected origin, and links to its
//!   predecessor by `prev` (note hash), with non-decreasing sizes;
//! * the root recomputed from the rows equals the root of every checkpoint, the head row
//!   and the witness at their sizes;
//! * the log is at least as long as every checkpoint / the head / the witness, and (when
//!   the head is given) not longer than the head.
//!
//! ## How damage is named
//!
//! The Merkle root alone only says that *something* changed. The `seq` numbers and the
//! `prev` chain inside each entry let the verifier name the entry:
//!
//! * a `seq` gap that is never filled is [`DamageKind::Deleted`];
//! * a row whose `seq` was already seen, or that claims a `seq` beyond the signed size
//!   while earlier entries are still missing, is [`DamageKind::Inserted`];
//! * an entry found too early or too late (its slot shows up as a gap that the entry
//!   fills elsewhere) is [`DamageKind::Reordered`];
//! * a broken `prev` link `i → i+1` (alone) means entry `i` was [`DamageKind::Modified`];
//!   two consecutive broken links around entry `i` mean entry `i`'s own `prev` field was
//!   changed; an Inserted and a Deleted at the same index merge into Modified (the row was
//!   replaced);
//! * the last entry has no successor to vouch for it: if the only discrepancy is the root
//!   at the end of the log, the last entry is reported Modified;
//! * a checkpoint/head/witness root mismatch that no named damage explains is
//!   [`DamageKind::Fork`] (a consistent rewrite of history).
//!
//! A root mismatch at size `s` is considered explained by any named damage at an index
//! below `s`, so one modified row yields one damage, not one per later checkpoint.
//!
//! ## Speed
//!
//! Leaf hashing and decoding, the bulk of the work, run on several threads over batches
//! of rows copied into one reusable arena (no allocation per entry); the sequential part
//! (chain analysis, frontier) does one node hash per entry on average.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use crate::checkpoint::{Checkpoint, VerifierKey, note_hash};
use crate::entry::EntryRef;
use crate::hash::{Hash, leaf_hash, node_hash};
use crate::tree::Frontier;

/// Kinds of damage the verifier can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DamageKind {
    /// An entry's bytes were changed.
    Modified,
    /// Entries are missing from the middle of the log.
    Deleted,
    /// A row that does not belong to the log was added.
    Inserted,
    /// An entry is stored out of order.
    Reordered,
    /// The log is shorter than a checkpoint, the head or the witness says.
    Truncated,
    /// A checkpoint (or the witness) is not validly signed by the ledger key.
    BadSignature,
    /// Stored checkpoints do not form a chain (one was removed, inserted, altered, is for
    /// another origin, or sizes go backwards).
    BrokenCheckpointChain,
    /// The recomputed root at some size differs from a signed / witness / head root, and
    /// no named entry damage explains it: history was rewritten consistently.
    Fork,
    /// A row is not a valid canonical entry.
    Undecodable,
}

impl fmt::Display for DamageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            DamageKind::Modified => "modified",
            DamageKind::Deleted => "deleted",
            DamageKind::Inserted => "inserted",
            DamageKind::Reordered => "reordered",
            DamageKind::Truncated => "truncated",
            DamageKind::BadSignature => "bad signature",
            DamageKind::BrokenCheckpointChain => "broken checkpoint chain",
            DamageKind::Fork => "fork",
            DamageKind::Undecodable => "undecodable",
        };
        f.write_str(s)
    }
}

/// One problem found by [`verify_log`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The log index concerned, when one can be named.
    pub index: Option<u64>,
    /// What happened.
    pub kind: DamageKind,
    /// Human-readable explanation (rows, sizes, checkpoint numbers).
    pub detail: String,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "entry {i}: {}: {}", self.kind, self.detail),
            None => write!(f, "{}: {}", self.kind, self.detail),
        }
    }
}

/// Result of a full verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Rows read.
    pub entries_checked: u64,
    /// Checkpoint notes examined (stored ones plus the witness).
    pub checkpoints_checked: u64,
    /// Everything wrong; empty when the log verifies.
    pub damages: Vec<Damage>,
    /// Damages beyond the reporting cap that were counted but not listed.
    pub damages_omitted: u64,
    /// Number of rows hashed into the recomputed tree.
    pub tree_size: u64,
    /// Root of the recomputed tree over all rows as stored.
    pub root: Hash,
    /// Largest size covered by a validly signed stored checkpoint (entries beyond it are
    /// only protected by the head row until the next checkpoint).
    pub signed_size: u64,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.damages.is_empty() && self.damages_omitted == 0
    }
}

/// Inputs besides the rows.
#[derive(Clone, Copy, Debug)]
pub struct Params<'a> {
    /// Expected checkpoint origin of this ledger.
    pub origin: &'a str,
    /// Public key of the ledger.
    pub key: &'a VerifierKey,
    /// Stored checkpoint note texts, oldest first.
    pub checkpoints: &'a [String],
    /// The store's head row `(size, root)`, if any.
    pub head: Option<(u64, Hash)>,
    /// A checkpoint note kept outside the server (auditor's copy), if any.
    pub witness: Option<&'a str>,
    /// Hashing threads; 0 = all available cores (at most 8).
    pub threads: usize,
}

impl<'a> Params<'a> {
    /// Parameters with no head, no witness and automatic threading.
    pub fn new(origin: &'a str, key: &'a VerifierKey, checkpoints: &'a [String]) -> Self {
        Params {
            origin,
            key,
            checkpoints,
            head: None,
            witness: None,
            threads: 0,
        }
    }
}

/// Verifies a whole log from an iterator of `(row_index, entry_bytes)` in row order.
pub fn verify_log<I, B>(params: &Params<'_>, rows: I) -> Report
where
    I: IntoIterator<Item = (u64, B)>,
    B: AsRef<[u8]>,
{
    let mut v = Verifier::new(params);
    for (ri, bytes) in rows {
        v.push_row(ri, bytes.as_ref());
    }
    v.finish()
}

/// Maximum number of listed damages; the rest are counted in
/// [`Report::damages_omitted`].
pub const MAX_LISTED_DAMAGES: usize = 10_000;
const MAX_DISPLACED: usize = 100_000;
const BATCH_ROWS: usize = 8_192;
const BATCH_BYTES: usize = 4 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TargetSource {
    Checkpoint(usize),
    Head,
    Witness,
}

impl fmt::Display for TargetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSource::Checkpoint(i) => write!(f, "stored checkpoint #{i}"),
            TargetSource::Head => f.write_str("the head row"),
            TargetSource::Witness => f.write_str("the witness checkpoint"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Target {
    size: u64,
    root: Hash,
    source: TargetSource,
}

/// Rows per group hashed as one perfect subtree on a worker thread.
const GROUP: usize = 256;
const GROUP_LEVEL: u8 = 8;

/// Hashes and decodes one group of rows; when the group is a complete aligned 256 rows,
/// also reduces it to its subtree root, so the sequential part of the verifier does almost no hashing.
fn hash_chunk(
    arena: &[u8],
    rows: &[(u64, usize, usize)],
    out: &mut [Rec],
    group: Option<&mut Hash>,
) {
    for (&(ri, s, e), r) in rows.iter().zip(out.iter_mut()) {
        let bytes = arena.get(s..e).unwrap_or(&[]);
        r.ri = ri;
        r.leaf = leaf_hash(bytes);
        match EntryRef::decode(bytes) {
            Ok(er) => r.dec = Some((er.seq, er.prev)),
            Err(err) => r.err = Some(err.to_string()),
        }
    }
    let Some(group) = group else { return };
    if out.len() != GROUP {
        return;
    }
    let mut buf = [Hash::ZERO; GROUP];
    for (b, r) in buf.iter_mut().zip(out.iter()) {
        *b = r.leaf;
    }
    let mut len = GROUP;
    while len > 1 {
        for i in 0..len / 2 {
            buf[i] = node_hash(&buf[2 * i], &buf[2 * i + 1]);
        }
        len /= 2;
    }
    *group = buf[0];
}

/// One hashed and decoded row.
#[derive(Clone, Debug, Default)]
struct Rec {
    ri: u64,
    leaf: Hash,
    /// `(seq, prev)` or the decode error.
    dec: Option<(u64, Hash)>,
    err: Option<String>,
}

/// Collects damages with a cap, remembering the smallest named index.
#[derive(Default)]
struct Damages {
    list: Vec<Damage>,
    omitted: u64,
    min_index: Option<u64>,
}

impl Damages {
    fn add(&mut self, index: Option<u64>, kind: DamageKind, detail: String) {
        if let Some(i) = index {
            self.min_index = Some(self.min_index.map_or(i, |m| m.min(i)));
        }
        if self.list.len() < MAX_LISTED_DAMAGES {
            self.list.push(Damage {
                index,
                kind,
                detail,
            });
        } else {
            self.omitted += 1;
        }
    }
}

struct Displaced {
    ri: u64,
    leaf: Hash,
    prev: Hash,
    /// The expected seq when the row was seen (its position in the log).
    at: u64,
}

/// The sequential chain analysis; see the module documentation.
struct Analyzer {
    expect: u64,
    /// Leaf hash of the accepted entry `expect - 1` (`Hash::ZERO` before entry 0);
    /// `None` when unknown (after a gap or an undecodable row).
    last: Option<Hash>,
    before_last: Option<Hash>,
    displaced: BTreeMap<u64, Displaced>,
    /// Provisionally deleted ranges `start -> (end, row index of the row after the gap)`.
    missing: BTreeMap<u64, (u64, u64)>,
    /// Consecutive broken links, identified by their target entry, inclusive.
    run: Option<(u64, u64)>,
    /// Largest size vouched for by a checkpoint / head / witness.
    known_size: u64,
    pending: Option<Rec>,
}

impl Analyzer {
    fn new(known_size: u64) -> Self {
        Analyzer {
            expect: 0,
            last: Some(Hash::ZERO),
            before_last: None,
            displaced: BTreeMap::new(),
            missing: BTreeMap::new(),
            run: None,
            known_size,
            pending: None,
        }
    }

    fn feed(&mut self, rec: Rec, d: &mut Damages) {
        if let Some(p) = self.pending.take() {
            self.step(p, Some(&rec), d);
        }
        self.pending = Some(rec);
    }

    fn flush_run(&mut self, d: &mut Damages) {
        let Some((s, e)) = self.run.take() else {
            return;
        };
        if s == e {
            if s == 0 {
                d.add(
                    Some(0),
                    DamageKind::Modified,
                    "entry 0 records a non-zero prev hash".into(),
                );
            } else {
                d.add(
                    Some(s - 1),
                    DamageKind::Modified,
                    format!(
                        "its hash does not match the prev hash recorded in entry {s} (or entry {s}'s prev field was changed)"
                    ),
                );
            }
        } else {
            for i in s..e {
                d.add(
                    Some(i),
                    DamageKind::Modified,
                    format!(
                        "hash chain broken on both sides: the entry, including its prev field, was changed{}",
                        if i == s && s > 0 { format!(" (entry {} may be modified too)", s - 1) } else { String::new() }
                    ),
                );
            }
        }
    }

    /// Checks the link into entry `target` (whose recorded prev is `prev`).
    fn link(&mut self, target: u64, prev: Hash, d: &mut Damages) {
        match self.last {
            None => self.flush_run(d),
            Some(l) if l == prev => self.flush_run(d),
            Some(_) => match self.run {
                Some((s, e)) if e + 1 == target => self.run = Some((s, target)),
                _ => {
                    self.flush_run(d);
                    self.run = Some((target, target));
                }
            },
        }
    }

    fn accept(&mut self, leaf: Hash, prev: Hash, d: &mut Damages) {
        self.link(self.expect, prev, d);
        self.before_last = self.last;
        self.last = Some(leaf);
        self.expect += 1;
    }

    /// Entries that showed up early fill their slot when the log reaches it.
    fn fill_displaced(&mut self, d: &mut Damages) {
        while let Some(x) = self.displaced.remove(&self.expect) {
            d.add(
                Some(x.at),
                DamageKind::Reordered,
                format!(
                    "entry {} is stored at row {}, before entry {}",
                    self.expect, x.ri, x.at
                ),
            );
            self.accept(x.leaf, x.prev, d);
        }
    }

    fn step(&mut self, rec: Rec, next: Option<&Rec>, d: &mut Damages) {
        let Some((s, prev)) = rec.dec else {
            d.add(
                Some(self.expect),
                DamageKind::Undecodable,
                format!(
                    "row {}: {}",
                    rec.ri,
                    rec.err.as_deref().unwrap_or("not a canonical entry")
                ),
            );
            self.flush_run(d);
            self.before_last = self.last;
            self.last = None;
            self.expect += 1;
            return;
        };
        if s > self.expect {
            self.fill_displaced(d);
        }
        if s == self.expect {
            if let Some(x) = self.displaced.remove(&s) {
                d.add(
                    Some(x.at),
                    DamageKind::Inserted,
                    format!(
                        "row {} claims to be entry {s}, which is stored at row {}",
                        x.ri, rec.ri
                    ),
                );
            }
            self.accept(rec.leaf, prev, d);
        } else if s > self.expect {
            let next_seq = next.and_then(|n| n.dec.map(|(ns, _)| ns));
            let out_of_place = next_seq.is_some_and(|ns| ns >= self.expect && ns < s);
            if out_of_place
                && self.displaced.len() < MAX_DISPLACED
                && !self.displaced.contains_key(&s)
            {
                self.displaced.insert(
                    s,
                    Displaced {
                        ri: rec.ri,
                        leaf: rec.leaf,
                        prev,
                        at: self.expect,
                    },
                );
            } else if self.known_size > self.expect && s >= self.known_size {
                d.add(
                    Some(self.expect),
                    DamageKind::Inserted,
                    format!(
                        "row {} claims to be entry {s}, beyond the signed size {}",
                        rec.ri, self.known_size
                    ),
                );
            } else {
                self.missing.insert(self.expect, (s, rec.ri));
                self.flush_run(d);
                self.last = None;
                self.before_last = None;
                self.expect = s;
                self.accept(rec.leaf, prev, d);
            }
        } else {
            // s < expect: an entry seen again, or one that moved later.
            let hole = self
                .missing
                .range(..=s)
                .next_back()
                .filter(|(_, (end, _))| s < *end)
                .map(|(&start, &(end, ri))| (start, end, ri));
            if let Some((start, end, ri_after)) = hole {
                self.missing.remove(&start);
                if start < s {
                    self.missing.insert(start, (s, ri_after));
                }
                if s + 1 < end {
                    self.missing.insert(s + 1, (end, ri_after));
                }
                d.add(
                    Some(s),
                    DamageKind::Reordered,
                    format!(
                        "entry {s} is stored at row {}, after entry {}",
                        rec.ri,
                        self.expect - 1
                    ),
                );
                return;
            }
            let genuine = s + 1 == self.expect
                && next.is_some_and(|n| n.dec == Some((self.expect, rec.leaf)));
            if genuine {
                // The row accepted as entry s before this one is not linked from entry
                // s+1: it was inserted. Undo its link check and take this one.
                if let Some((rs, re)) = self.run
                    && re == s
                {
                    self.run = if rs == s { None } else { Some((rs, s - 1)) };
                }
                d.add(
                    Some(s),
                    DamageKind::Inserted,
                    format!(
                        "the row before row {} also claims to be entry {s} but entry {} does not link to it",
                        rec.ri,
                        s + 1
                    ),
                );
                self.last = self.before_last;
                self.expect = s;
                self.accept(rec.leaf, prev, d);
            } else {
                d.add(
                    Some(self.expect),
                    DamageKind::Inserted,
                    format!("row {} repeats entry {s}", rec.ri),
                );
            }
        }
    }

    fn finish(&mut self, d: &mut Damages) {
        if let Some(p) = self.pending.take() {
            self.step(p, None, d);
        }
        self.fill_displaced(d);
        self.flush_run(d);
        let displaced = std::mem::take(&mut self.displaced);
        for (seq, x) in displaced {
            d.add(
                Some(x.at),
                DamageKind::Inserted,
                format!("row {} claims to be entry {seq}, which never comes", x.ri),
            );
        }
        let missing = std::mem::take(&mut self.missing);
        for (start, (end, ri_after)) in missing {
            // A row replaced by some other entry shows as "inserted" + "deleted" at the
            // same index: that is a modification.
            if end == start + 1
                && let Some(ins) = d
                    .list
                    .iter_mut()
                    .find(|x| x.kind == DamageKind::Inserted && x.index == Some(start))
            {
                ins.kind = DamageKind::Modified;
                ins.detail = format!("entry {start} was replaced: {}", ins.detail);
                continue;
            }
            let what = if end == start + 1 {
                format!("entry {start} is missing")
            } else {
                format!(
                    "entries {start}..{} ({} entries) are missing",
                    end - 1,
                    end - start
                )
            };
            d.add(
                Some(start),
                DamageKind::Deleted,
                format!("{what}; the next stored row {ri_after} holds entry {end}"),
            );
        }
    }
}

/// Streaming verifier; [`verify_log`] is a convenience wrapper.
pub struct Verifier<'p> {
    params: Params<'p>,
    threads: usize,
    targets: Vec<Target>,
    next_target: usize,
    /// Root mismatches: target, recomputed root, largest size whose root matched before.
    mismatches: Vec<(Target, Hash, u64)>,
    last_good: u64,
    damages: Damages,
    analyzer: Analyzer,
    frontier: Frontier,
    arena: Vec<u8>,
    rows: Vec<(u64, usize, usize)>,
    recs: Vec<Rec>,
    groups: Vec<Hash>,
    entries: u64,
    checkpoints_checked: u64,
    signed_size: u64,
    max_size: u64,
}

impl<'p> Verifier<'p> {
    /// Checks the checkpoints and the witness up front, then waits for rows.
    pub fn new(params: &Params<'p>) -> Self {
        let mut damages = Damages::default();
        let mut targets = Vec::new();
        let mut checkpoints_checked = 0;
        let mut signed_size = 0;
        let mut prev: Option<(usize, Hash, u64)> = None; // (index, note hash, size)
        for (i, note) in params.checkpoints.iter().enumerate() {
            checkpoints_checked += 1;
            let cp = match Checkpoint::open(note, params.key) {
                Ok(cp) => Some(cp),
                Err(e) => {
                    damages.add(
                        None,
                        DamageKind::BadSignature,
                        format!("stored checkpoint #{i}: {e}"),
                    );
                    None
                }
            };
            // The chain is checked on the text even when the signature is bad.
            let parsed = cp
                .clone()
                .or_else(|| Checkpoint::parse_unverified(note).ok());
            if let Some(p) = &parsed {
                let want = prev.map(|(_, h, _)| h);
                if p.prev != want {
                    let what = match (i, want) {
                        (0, _) => "the first stored checkpoint has a prev line".to_string(),
                        (_, None) => format!("the previous checkpoint #{} is unreadable", i - 1),
                        _ => format!(
                            "its prev does not match the hash of stored checkpoint #{} (a checkpoint was removed, inserted or altered)",
                            i - 1
                        ),
                    };
                    damages.add(
                        None,
                        DamageKind::BrokenCheckpointChain,
                        format!("stored checkpoint #{i}: {what}"),
                    );
                }
                if let Some((pi, _, psize)) = prev
                    && p.size < psize
                {
                    damages.add(
                        None,
                        DamageKind::BrokenCheckpointChain,
                        format!(
                            "stored checkpoint #{i} has size {} < {psize} of checkpoint #{pi}",
                            p.size
                        ),
                    );
                }
                prev = Some((i, note_hash(note), p.size));
            } else {
                prev = Some((i, note_hash(note), 0));
            }
            if let Some(cp) = cp {
                if cp.origin != params.origin {
                    damages.add(
                        None,
                        DamageKind::BrokenCheckpointChain,
                        format!(
                            "stored checkpoint #{i} is for origin {:?}, not {:?}",
                            cp.origin, params.origin
                        ),
                    );
                } else {
                    signed_size = signed_size.max(cp.size);
                    targets.push(Target {
                        size: cp.size,
                        root: cp.root,
                        source: TargetSource::Checkpoint(i),
                    });
                }
            }
        }
        if let Some(w) = params.witness {
            checkpoints_checked += 1;
            match Checkpoint::open(w, params.key) {
                Err(e) => damages.add(
                    None,
                    DamageKind::BadSignature,
                    format!("witness checkpoint: {e}"),
                ),
                Ok(cp) if cp.origin != params.origin => damages.add(
                    None,
                    DamageKind::Fork,
                    format!(
                        "witness checkpoint is for origin {:?}, not {:?}",
                        cp.origin, params.origin
                    ),
                ),
                Ok(cp) => targets.push(Target {
                    size: cp.size,
                    root: cp.root,
                    source: TargetSource::Witness,
                }),
            }
        }
        if let Some((size, root)) = params.head {
            targets.push(Target {
                size,
                root,
                source: TargetSource::Head,
            });
        }
        targets.sort_by_key(|t| t.size);
        let max_size = targets.iter().map(|t| t.size).max().unwrap_or(0);
        let threads = if params.threads == 0 {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8)
        } else {
            params.threads
        };
        let mut v = Verifier {
            params: *params,
            threads,
            targets,
            next_target: 0,
            mismatches: Vec::new(),
            last_good: 0,
            damages,
            analyzer: Analyzer::new(max_size),
            frontier: Frontier::new(),
            arena: Vec::with_capacity(BATCH_BYTES + 4096),
            rows: Vec::with_capacity(BATCH_ROWS),
            recs: Vec::with_capacity(BATCH_ROWS),
            groups: Vec::with_capacity(BATCH_ROWS / GROUP),
            entries: 0,
            checkpoints_checked,
            signed_size,
            max_size,
        };
        v.check_targets();
        v
    }

    /// Adds the next stored row (row order). The bytes are copied into an internal batch.
    pub fn push_row(&mut self, row_index: u64, entry_bytes: &[u8]) {
        let start = self.arena.len();
        self.arena.extend_from_slice(entry_bytes);
        self.rows.push((row_index, start, self.arena.len()));
        // Batches end on a multiple of 256 rows so that groups stay aligned in the tree.
        if self.rows.len() >= BATCH_ROWS
            || (self.arena.len() >= BATCH_BYTES && self.rows.len().is_multiple_of(GROUP))
        {
            self.process_batch();
        }
    }

    fn process_batch(&mut self) {
        let n = self.rows.len();
        if n == 0 {
            return;
        }
        self.recs.clear();
        self.recs.resize(n, Rec::default());
        self.groups.clear();
        self.groups.resize(n / GROUP, Hash::ZERO);
        let arena = &self.arena;
        let rows = &self.rows;
        let threads = self.threads.clamp(1, n.div_ceil(GROUP));
        // Threads take 256-row groups from a shared queue rather than fixed halves, so a
        // thread that the OS deschedules (other work on a small server) delays the batch
        // by one group at most.
        let work = Mutex::new(
            rows.chunks(GROUP).zip(self.recs.chunks_mut(GROUP)).zip(
                self.groups
                    .iter_mut()
                    .map(Some)
                    .chain(std::iter::repeat_with(|| None)),
            ),
        );
        let run = || {
            loop {
                let item = work.lock().unwrap_or_else(|e| e.into_inner()).next();
                let Some(((rc, oc), g)) = item else { break };
                hash_chunk(arena, rc, oc, g);
            }
        };
        if threads == 1 {
            run();
        } else {
            std::thread::scope(|sc| {
                for _ in 1..threads {
                    sc.spawn(run);
                }
                run();
            });
        }
        let mut recs = std::mem::take(&mut self.recs);
        // Feed the tree: whole aligned 256-leaf groups at once, unless a checkpoint size
        // falls inside the group, in which case its leaves go in one by one.
        let aligned = self.frontier.size().is_multiple_of(GROUP as u64);
        for (g, chunk) in recs.chunks(GROUP).enumerate() {
            let start = self.frontier.size();
            let group_root = self.groups.get(g).copied();
            let inner_target = self
                .targets
                .get(self.next_target)
                .is_some_and(|t| t.size > start && t.size < start + GROUP as u64);
            match group_root {
                Some(root) if aligned && !inner_target => {
                    if self.frontier.push_subtree(GROUP_LEVEL, root).is_err() {
                        // Unreachable (aligned checked above); fall back to leaves.
                        for rec in chunk {
                            self.frontier.push_leaf(rec.leaf);
                        }
                    }
                    self.check_targets();
                }
                _ => {
                    for rec in chunk {
                        self.frontier.push_leaf(rec.leaf);
                        self.check_targets();
                    }
                }
            }
        }
        for rec in recs.drain(..) {
            self.entries += 1;
            self.analyzer.feed(rec, &mut self.damages);
        }
        self.recs = recs;
        self.rows.clear();
        self.arena.clear();
    }

    /// Compares the root at the current size with every target of that size.
    fn check_targets(&mut self) {
        let size = self.frontier.size();
        let mut root = None;
        let mut matched = false;
        while let Some(t) = self.targets.get(self.next_target) {
            if t.size > size {
                break;
            }
            if t.size == size {
                let r = *root.get_or_insert_with(|| self.frontier.root());
                if r == t.root {
                    matched = true;
                } else {
                    self.mismatches.push((*t, r, self.last_good));
                }
            }
            self.next_target += 1;
        }
        if matched {
            self.last_good = size;
        }
    }

    /// Ends the stream and produces the report.
    pub fn finish(mut self) -> Report {
        self.process_batch();
        let d = &mut self.damages;
        self.analyzer.finish(d);
        let end = self.analyzer.expect;
        let rows = self.frontier.size();
        // Truncation: the log ends before a size someone vouched for.
        if end < self.max_size {
            let who = self
                .targets
                .iter()
                .filter(|t| t.size == self.max_size)
                .map(|t| t.source.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            d.add(
                Some(end),
                DamageKind::Truncated,
                format!(
                    "the log ends after {end} entries but {who} covers {} entries",
                    self.max_size
                ),
            );
        }
        // Rows beyond the head are not part of the acknowledged log.
        if self.params.head.is_some() && end > self.max_size {
            d.add(
                Some(self.max_size),
                DamageKind::Inserted,
                format!(
                    "{} entries beyond the head / latest checkpoint size {}",
                    end - self.max_size,
                    self.max_size
                ),
            );
        }
        // Root mismatches no named damage explains.
        let mut forked = false;
        for (t, got, good) in std::mem::take(&mut self.mismatches) {
            if forked || d.min_index.is_some_and(|m| m < t.size) {
                continue;
            }
            if t.source != TargetSource::Witness && t.size == rows && t.size > 0 {
                d.add(
                    Some(t.size - 1),
                    DamageKind::Modified,
                    format!(
                        "the last entry does not match the root of {} at size {} (recomputed {got}, expected {})",
                        t.source, t.size, t.root
                    ),
                );
            } else {
                forked = true;
                let detail = if t.source == TargetSource::Witness {
                    format!(
                        "root at size {} is {got}, but the witness checkpoint says {}: history was rewritten{}",
                        t.size,
                        t.root,
                        if self.signed_size >= t.size {
                            " and the stored checkpoints re-signed (is the signing key compromised?)"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!(
                        "root at size {} is {got}, but {} says {}: entries {good}..{} were rewritten consistently (the root at size {good} still matches)",
                        t.size,
                        t.source,
                        t.root,
                        t.size.saturating_sub(1)
                    )
                };
                d.add(None, DamageKind::Fork, detail);
            }
        }
        let mut damages = std::mem::take(&mut d.list);
        damages.sort_by_key(|x| (x.index.is_none(), x.index, x.kind));
        Report {
            entries_checked: self.entries,
            checkpoints_checked: self.checkpoints_checked,
            damages,
            damages_omitted: d.omitted,
            tree_size: rows,
            root: self.frontier.root(),
            signed_size: self.signed_size,
        }
    }
}
