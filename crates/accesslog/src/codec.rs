//! Canonical event bytes (`AZE1`, see `FORMAT.md`), index keys and posting lists.
//!
//! Pure: what is stored and hashed, byte for byte. One byte string per event, so the Merkle
//! root a batch's ledger entry records can be recomputed by anyone from the stored rows.

use anzen_ingest::{AccessAction, AccessEvent, AccessResult};
use anzen_ledger::{Frontier, Hash, leaf_hash};
use sha2::{Digest, Sha256};

/// Format magic of an encoded event.
pub const MAGIC: &[u8; 4] = b"AZE1";

/// Index kinds of the postings table.
pub const KIND_PATIENT: i64 = 1;
pub const KIND_USER: i64 = 2;

/// 操作 as stored (one byte).
pub fn action_code(a: AccessAction) -> u8 {
    match a {
        AccessAction::Login => 1,
        AccessAction::LoginFailed => 2,
        AccessAction::Logout => 3,
        AccessAction::View => 4,
        AccessAction::Create => 5,
        AccessAction::Update => 6,
        AccessAction::Delete => 7,
        AccessAction::Print => 8,
        AccessAction::Export => 9,
    }
}

fn action_from(code: u8) -> Option<AccessAction> {
    Some(match code {
        1 => AccessAction::Login,
        2 => AccessAction::LoginFailed,
        3 => AccessAction::Logout,
        4 => AccessAction::View,
        5 => AccessAction::Create,
        6 => AccessAction::Update,
        7 => AccessAction::Delete,
        8 => AccessAction::Print,
        9 => AccessAction::Export,
        _ => return None,
    })
}

fn result_code(r: Option<AccessResult>) -> u8 {
    match r {
        None => 0,
        Some(AccessResult::Success) => 1,
        Some(AccessResult::Failure) => 2,
    }
}

fn result_from(code: u8) -> Option<Option<AccessResult>> {
    Some(match code {
        0 => None,
        1 => Some(AccessResult::Success),
        2 => Some(AccessResult::Failure),
        _ => return None,
    })
}

/// Unsigned LEB128.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a minimal unsigned LEB128 (non-minimal encodings are refused: one byte string per
/// value).
pub fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    let mut shift = 0u32;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        if shift == 63 && byte > 1 {
            return None;
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if byte == 0 && shift > 0 {
                return None;
            }
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// Appends the canonical bytes of event `seq` to `out`.
pub fn encode_into(out: &mut Vec<u8>, seq: u64, e: &AccessEvent) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&e.time_us.to_be_bytes());
    out.push(action_code(e.action));
    out.push(result_code(e.result));
    put_str(out, &e.system);
    put_str(out, &e.user);
    put_opt(out, e.patient.as_deref());
    put_opt(out, e.terminal.as_deref());
    put_opt(out, e.detail.as_deref());
}

/// Bytes of the canonical encoding not stored in an event's row: the magic and the
/// sequence number, which the row key already gives (`engine::event_id`). A row holds
/// `canonical[STORED_FROM..]`; [`canonical`] puts the prefix back, so what is hashed and
/// verified is always the full canonical encoding.
pub const STORED_FROM: usize = 12;

/// What is stored in the row of an event: its canonical bytes without the magic and the
/// sequence number.
pub fn stored(canonical: &[u8]) -> &[u8] {
    canonical.get(STORED_FROM..).unwrap_or_default()
}

/// The canonical bytes of event `seq` from its stored row.
pub fn canonical(seq: u64, stored: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(STORED_FROM + stored.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(stored);
    out
}

/// Decodes the stored row of event `seq`.
pub fn decode_stored(seq: u64, stored: &[u8]) -> Result<AccessEvent, DecodeError> {
    decode(&canonical(seq, stored)).map(|(_, e)| e)
}

/// The canonical bytes of event `seq`.
pub fn encode(seq: u64, e: &AccessEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + e.system.len() + e.user.len());
    encode_into(&mut out, seq, e);
    out
}

/// Why stored bytes are not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| DecodeError("truncated".into()))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = get_varint(self.b, &mut self.at).ok_or_else(|| DecodeError("bad length".into()))?;
        let n = usize::try_from(n).map_err(|_| DecodeError("bad length".into()))?;
        std::str::from_utf8(self.take(n)?).map_err(|_| DecodeError("invalid UTF-8".into()))
    }
    fn opt(&mut self) -> Result<Option<&'a str>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.str().map(Some),
            other => Err(DecodeError(format!("bad presence byte {other}"))),
        }
    }
}

/// Decodes canonical bytes strictly: `(seq, event)`.
pub fn decode(b: &[u8]) -> Result<(u64, AccessEvent), DecodeError> {
    let mut c = Cursor { b, at: 0 };
    if c.take(4)? != MAGIC {
        return Err(DecodeError("wrong magic".into()));
    }
    let seq = c.u64()?;
    let time_us = c.u64()? as i64;
    let action = action_from(c.u8()?).ok_or_else(|| DecodeError("unknown action".into()))?;
    let result = result_from(c.u8()?).ok_or_else(|| DecodeError("unknown result".into()))?;
    let system = c.str()?.to_owned();
    let user = c.str()?.to_owned();
    let patient = c.opt()?.map(str::to_owned);
    let terminal = c.opt()?.map(str::to_owned);
    let detail = c.opt()?.map(str::to_owned);
    if c.at != b.len() {
        return Err(DecodeError("trailing bytes".into()));
    }
    Ok((
        seq,
        AccessEvent {
            time_us,
            system,
            user,
            patient,
            action,
            result,
            terminal,
            detail,
        },
    ))
}

/// The 64-bit index key of a patient or user: the first 8 bytes of
/// `SHA-256(kind ‖ 0x00 ‖ value)`. Collisions only cost a wasted fetch: every hit is
/// compared with the decoded event.
pub fn index_key(kind: i64, value: &str) -> i64 {
    let mut h = Sha256::new();
    h.update([kind as u8, 0]);
    h.update(value.as_bytes());
    let d = h.finalize();
    let mut a = [0u8; 8];
    a.copy_from_slice(&d[..8]);
    i64::from_be_bytes(a)
}

/// Encodes ascending sequence numbers relative to `base` as delta varints.
pub fn encode_postings(base: u64, seqs: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seqs.len() * 2);
    let mut prev = base;
    for &s in seqs {
        put_varint(&mut out, s.saturating_sub(prev));
        prev = s;
    }
    out
}

/// The inverse of [`encode_postings`].
pub fn decode_postings(base: u64, b: &[u8], out: &mut Vec<u64>) -> Result<(), DecodeError> {
    let mut at = 0;
    let mut prev = base;
    while at < b.len() {
        let d = get_varint(b, &mut at).ok_or_else(|| DecodeError("bad posting list".into()))?;
        prev = prev
            .checked_add(d)
            .ok_or_else(|| DecodeError("posting overflow".into()))?;
        out.push(prev);
    }
    Ok(())
}

/// A posting block is closed once it holds this many bytes.
///
/// Why blocks: one row per (segment, key) made index maintenance cost about one B-tree
/// insert per event at every level (a 4,096-event segment has ~3,000 distinct patients),
/// which was most of the ingest time. Packing a segment's sorted postings into blocks — an
/// SSTable's data blocks, with the block's first key as its row key — makes that a few
/// dozen rows per segment, while a lookup still costs one seek per segment
/// (`first_key <= key ORDER BY first_key DESC LIMIT 1`) and a scan of one block.
///
/// Why this size: a row of SQLite's `WITHOUT ROWID` table keeps at most ~1,000 bytes in
/// its 4 KiB leaf page and chains the rest through overflow pages, each another random
/// read when the page is not cached. Blocks of 4 KiB made a patient lookup at 100 M events
/// read ~5 pages per segment (~350 per query, measured p99 165 ms with part of the store
/// out of the page cache); a block that closes at 768 bytes plus one patient's list stays
/// in its leaf: one page per segment.
pub const BLOCK_BYTES: usize = 768;

/// Packs one segment's posting lists of one kind, given in ascending key order, into
/// blocks. Entry format: `varint(key − previous key in the block)` (the first entry's
/// delta is 0: its key is the block's `first_key`), `varint(len)`, then `len` bytes of
/// [`encode_postings`] relative to the segment's first sequence number.
#[derive(Debug)]
pub struct BlockWriter {
    base: u64,
    buf: Vec<u8>,
    first_key: i64,
    prev_key: i64,
    list: Vec<u8>,
    blocks: Vec<(i64, Vec<u8>)>,
}

impl BlockWriter {
    /// A writer for a segment whose first sequence number is `base`.
    pub fn new(base: u64) -> BlockWriter {
        BlockWriter {
            base,
            buf: Vec::with_capacity(BLOCK_BYTES + 256),
            first_key: 0,
            prev_key: 0,
            list: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// Adds the ascending sequence numbers of `key`; keys must come in ascending order.
    pub fn push(&mut self, key: i64, seqs: &[u64]) {
        debug_assert!(self.buf.is_empty() || key > self.prev_key);
        if self.buf.is_empty() {
            self.first_key = key;
            self.prev_key = key;
        }
        // Keys ascend as i64, so the difference fits in u64 (two's complement wrap).
        put_varint(
            &mut self.buf,
            (key as u64).wrapping_sub(self.prev_key as u64),
        );
        self.prev_key = key;
        self.list.clear();
        let mut prev = self.base;
        for &s in seqs {
            put_varint(&mut self.list, s.saturating_sub(prev));
            prev = s;
        }
        put_varint(&mut self.buf, self.list.len() as u64);
        self.buf.extend_from_slice(&self.list);
        if self.buf.len() >= BLOCK_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK_BYTES + 256));
            self.blocks.push((self.first_key, full));
        }
    }

    /// The blocks as `(first_key, bytes)`, in key order.
    pub fn finish(mut self) -> Vec<(i64, Vec<u8>)> {
        self.flush();
        self.blocks
    }
}

/// Calls `f(key, encoded postings)` for each entry of a block, in key order.
pub fn for_each_in_block(
    first_key: i64,
    block: &[u8],
    mut f: impl FnMut(i64, &[u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    for_each_range_in_block(first_key, block, |key, range| f(key, &block[range]))
}

/// Calls `f(key, byte range of its encoded postings within the block)` for each entry of
/// a block, in key order (for merges that keep the blocks and sort entries first).
pub fn for_each_range_in_block(
    first_key: i64,
    block: &[u8],
    mut f: impl FnMut(i64, std::ops::Range<usize>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let bad = || DecodeError("bad posting block".into());
    let mut at = 0;
    let mut key = first_key;
    let mut first = true;
    while at < block.len() {
        let delta = get_varint(block, &mut at).ok_or_else(bad)?;
        if first && delta != 0 || !first && delta == 0 {
            return Err(bad());
        }
        first = false;
        key = (key as u64).wrapping_add(delta) as i64;
        let len =
            usize::try_from(get_varint(block, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
        let end = at
            .checked_add(len)
            .filter(|e| *e <= block.len())
            .ok_or_else(bad)?;
        f(key, at..end)?;
        at = end;
    }
    Ok(())
}

/// Appends the sequence numbers of `key` found in a block (relative to `base`) to `out`.
pub fn find_in_block(
    first_key: i64,
    block: &[u8],
    key: i64,
    base: u64,
    out: &mut Vec<u64>,
) -> Result<(), DecodeError> {
    for_each_in_block(first_key, block, |k, list| {
        if k == key {
            decode_postings(base, list, out)?;
        }
        Ok(())
    })
}

/// Merkle root (RFC 6962) over the leaf hashes of encoded events, in order.
#[derive(Default)]
pub struct BatchRoot {
    frontier: Frontier,
}

impl BatchRoot {
    pub fn push(&mut self, encoded: &[u8]) {
        self.frontier.push_leaf(leaf_hash(encoded));
    }
    pub fn len(&self) -> u64 {
        self.frontier.size()
    }
    pub fn is_empty(&self) -> bool {
        self.frontier.size() == 0
    }
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ev() -> AccessEvent {
        AccessEvent {
            time_us: 1_743_465_600_000_000,
            system: "電子カルテ".into(),
            user: "tanaka".into(),
            patient: Some("P0001".into()),
            action: AccessAction::View,
            result: Some(AccessResult::Success),
            terminal: None,
            detail: Some("カルテ参照".into()),
        }
    }

    #[test]
    fn round_trips_and_is_strict() {
        let b = encode(42, &ev());
        assert_eq!(decode(&b).unwrap(), (42, ev()));
        let mut longer = b.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        assert!(decode(&b[..b.len() - 1]).is_err());
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(decode(&bad).is_err());
    }

    #[test]
    fn rows_store_the_canonical_bytes_without_magic_and_seq() {
        let b = encode(42, &ev());
        let row = stored(&b);
        assert_eq!(row.len(), b.len() - STORED_FROM);
        assert_eq!(canonical(42, row), b);
        assert_eq!(decode_stored(42, row).unwrap(), ev());
        // The same row under another key is another event (its hash differs).
        assert_ne!(canonical(43, row), b);
    }

    #[test]
    fn varints_are_minimal() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut at = 0;
            assert_eq!(get_varint(&b, &mut at), Some(v));
            assert_eq!(at, b.len());
        }
        let mut at = 0;
        assert_eq!(get_varint(&[0x80, 0x00], &mut at), None);
    }

    #[test]
    fn postings_round_trip() {
        let seqs = [100u64, 101, 105, 1000, 70_000];
        let b = encode_postings(100, &seqs);
        let mut out = Vec::new();
        decode_postings(100, &b, &mut out).unwrap();
        assert_eq!(out, seqs);
    }

    #[test]
    fn blocks_round_trip_and_split() {
        let base = 4096;
        let mut w = BlockWriter::new(base);
        let keys: Vec<i64> = (0..2_000i64)
            .map(|k| k * 7_919_000_000_000 - i64::MAX / 2)
            .collect();
        for (n, k) in keys.iter().enumerate() {
            w.push(*k, &[base + n as u64, base + n as u64 + 3]);
        }
        let blocks = w.finish();
        assert!(blocks.len() > 3, "2,000 entries span several blocks");
        assert!(blocks.iter().all(|(_, b)| b.len() < BLOCK_BYTES + 64));
        let mut seen = Vec::new();
        for (first, b) in &blocks {
            for_each_in_block(*first, b, |k, list| {
                let mut s = Vec::new();
                decode_postings(base, list, &mut s)?;
                seen.push((k, s));
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(seen.len(), keys.len());
        for (n, (k, s)) in seen.iter().enumerate() {
            assert_eq!(*k, keys[n]);
            assert_eq!(*s, vec![base + n as u64, base + n as u64 + 3]);
        }
        // A lookup finds a key's list in its block and nothing for an absent key.
        let (first, b) = &blocks[1];
        let mut out = Vec::new();
        find_in_block(*first, b, *first, base, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        out.clear();
        find_in_block(*first, b, *first + 1, base, &mut out).unwrap();
        assert!(out.is_empty());
        // Damage is refused, not misread.
        assert!(for_each_in_block(*first, &b[..b.len() - 1], |_, _| Ok(())).is_err());
        let mut twice = b.clone();
        twice.extend_from_slice(&[0, 0]);
        assert!(for_each_in_block(*first, &twice, |_, _| Ok(())).is_err());
    }

    #[test]
    fn root_matches_ledger_tree() {
        let leaves: Vec<Vec<u8>> = (0..5).map(|i| encode(i, &ev())).collect();
        let mut r = BatchRoot::default();
        for l in &leaves {
            r.push(l);
        }
        fn mth(h: &[Hash]) -> Hash {
            if h.len() == 1 {
                return h[0];
            }
            let k = h.len().next_power_of_two() / 2;
            anzen_ledger::node_hash(&mth(&h[..k]), &mth(&h[k..]))
        }
        let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
        assert_eq!(mth(&hashes), r.root());
    }
}
