//! Ledger entries and their canonical byte encoding.
//!
//! The Merkle tree commits to the *bytes* of an entry, so the encoding is defined once,
//! here and in `FORMAT.md`, and never changes for format version `AZL1`:
//!
//! ```text
//! magic    4 bytes   "AZL1" (0x41 0x5a 0x4c 0x31)
//! seq      u64 BE    the entry's own index in the log (0-based)
//! prev     32 bytes  leaf hash of entry seq-1; all zero for seq 0
//! time_us  i64 BE    microseconds since 1970-01-01T00:00:00Z
//! org      u32 BE length ‖ UTF-8 bytes
//! author   u32 BE length ‖ UTF-8 bytes
//! kind     u32 BE length ‖ UTF-8 bytes
//! payload  u32 BE length ‖ bytes (JSON, opaque to this crate)
//! ```
//!
//! Why `seq` and `prev` inside the entry, when the Merkle tree already fixes the order?
//! A Merkle root only says *that* something changed. With the index and a hash chain
//! embedded in every entry, the verifier can say *which* entry was modified, deleted,
//! inserted or moved, which is what an auditor needs to act on.
//!
//! Decoding is strict: exactly one byte string decodes to a given entry, so two
//! different byte strings can never be "the same" entry (no malleability).

use crate::LedgerError;
use crate::hash::Hash;

/// The four magic bytes that open every encoded entry (format version 1).
pub const MAGIC: [u8; 4] = *b"AZL1";

/// Size of the fixed-length header: magic, seq, prev, time_us.
pub const HEADER_LEN: usize = 4 + 8 + 32 + 8;

/// One event in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Index of this entry in the log (0-based).
    pub seq: u64,
    /// Leaf hash of entry `seq - 1`; [`Hash::ZERO`] for entry 0.
    pub prev: Hash,
    /// Microseconds since the Unix epoch, UTC.
    pub time_us: i64,
    /// Organisation (tenant) the entry belongs to.
    pub org: String,
    /// Who caused the event (user id, service name, ...).
    pub author: String,
    /// Event kind, e.g. `"auth.login"`.
    pub kind: String,
    /// JSON bytes; opaque to this crate.
    pub payload: Vec<u8>,
}

/// A borrowed, validated view of encoded entry bytes; decoding it allocates nothing,
/// which matters when a verifier walks millions of entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// See [`Entry::seq`].
    pub seq: u64,
    /// See [`Entry::prev`].
    pub prev: Hash,
    /// See [`Entry::time_us`].
    pub time_us: i64,
    /// See [`Entry::org`].
    pub org: &'a str,
    /// See [`Entry::author`].
    pub author: &'a str,
    /// See [`Entry::kind`].
    pub kind: &'a str,
    /// See [`Entry::payload`].
    pub payload: &'a [u8],
}

impl Entry {
    /// Length of the canonical encoding.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 16 + self.org.len() + self.author.len() + self.kind.len() + self.payload.len()
    }

    /// Canonical bytes of the entry.
    ///
    /// # Panics
    /// If a field is longer than `u32::MAX` bytes; use [`Entry::try_encode_into`] for
    /// untrusted sizes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut v);
        v
    }

    /// Appends the canonical bytes to `out` (lets callers reuse one buffer for a batch).
    ///
    /// # Panics
    /// If a field is longer than `u32::MAX` bytes (4 GiB); such an entry can not be
    /// represented and is a programming error upstream.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        if let Err(e) = self.try_encode_into(out) {
            panic!("{e}");
        }
    }

    /// Like [`Entry::encode_into`] but reports over-long fields instead of panicking.
    /// On error `out` is left unchanged.
    pub fn try_encode_into(&self, out: &mut Vec<u8>) -> Result<(), LedgerError> {
        self.as_ref().try_encode_into(out)
    }

    /// A borrowed view of this entry.
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            seq: self.seq,
            prev: self.prev,
            time_us: self.time_us,
            org: &self.org,
            author: &self.author,
            kind: &self.kind,
            payload: &self.payload,
        }
    }

    /// Strictly decodes canonical bytes: wrong magic, short input, trailing bytes or
    /// invalid UTF-8 in a text field are errors.
    pub fn decode(bytes: &[u8]) -> Result<Entry, LedgerError> {
        EntryRef::decode(bytes).map(|r| r.to_owned_entry())
    }

    /// The RFC 6962 leaf hash of this entry's canonical bytes.
    pub fn leaf_hash(&self) -> Hash {
        crate::hash::leaf_hash(&self.encode())
    }
}

impl<'a> EntryRef<'a> {
    /// Strict, allocation-free decode; same rules as [`Entry::decode`].
    pub fn decode(bytes: &'a [u8]) -> Result<EntryRef<'a>, LedgerError> {
        // The fixed header is read through `split_first_chunk`, which yields arrays
        // without going through an intermediate buffer: this function runs once per
        // entry in a full verification and must stay cheap.
        let Some((header, rest)) = bytes.split_first_chunk::<HEADER_LEN>() else {
            return Err(LedgerError::Decode(format!(
                "input ends inside the header (need {HEADER_LEN} bytes, have {})",
                bytes.len()
            )));
        };
        let (magic, h) = split4(header);
        if *magic != MAGIC {
            return Err(LedgerError::Decode(format!(
                "bad magic {magic:02x?}, want \"AZL1\""
            )));
        }
        let (seq, h) = h.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
        let (prev, h) = h.split_first_chunk::<32>().unwrap_or((&[0; 32], &[]));
        let time = h.first_chunk::<8>().unwrap_or(&[0; 8]);
        let mut r = Reader { buf: rest };
        let org = r.text("org")?;
        let author = r.text("author")?;
        let kind = r.text("kind")?;
        let payload = r.field("payload")?;
        if !r.buf.is_empty() {
            return Err(LedgerError::Decode(format!(
                "{} trailing bytes after payload",
                r.buf.len()
            )));
        }
        Ok(EntryRef {
            seq: u64::from_be_bytes(*seq),
            prev: Hash(*prev),
            time_us: i64::from_be_bytes(*time),
            org,
            author,
            kind,
            payload,
        })
    }

    /// Appends the canonical bytes of this (borrowed) entry to `out`: lets a writer encode
    /// straight from its own buffers without building an owned [`Entry`] per row. On error
    /// `out` is left unchanged.
    pub fn try_encode_into(&self, out: &mut Vec<u8>) -> Result<(), LedgerError> {
        let fields: [(&'static str, &[u8]); 4] = [
            ("org", self.org.as_bytes()),
            ("author", self.author.as_bytes()),
            ("kind", self.kind.as_bytes()),
            ("payload", self.payload),
        ];
        let mut lens = [0u32; 4];
        for (slot, (name, f)) in lens.iter_mut().zip(fields) {
            *slot = u32::try_from(f.len()).map_err(|_| LedgerError::FieldTooLong(name))?;
        }
        out.reserve(HEADER_LEN + 16 + fields.iter().map(|(_, f)| f.len()).sum::<usize>());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.prev.0);
        out.extend_from_slice(&self.time_us.to_be_bytes());
        for (len, (_, f)) in lens.iter().zip(fields) {
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(f);
        }
        Ok(())
    }

    /// Copies into an owned [`Entry`].
    pub fn to_owned_entry(&self) -> Entry {
        Entry {
            seq: self.seq,
            prev: self.prev,
            time_us: self.time_us,
            org: self.org.to_owned(),
            author: self.author.to_owned(),
            kind: self.kind.to_owned(),
            payload: self.payload.to_vec(),
        }
    }
}

fn split4(h: &[u8; HEADER_LEN]) -> (&[u8; 4], &[u8]) {
    match h.split_first_chunk::<4>() {
        Some((m, rest)) => (m, rest),
        None => (&[0; 4], &[]),
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], LedgerError> {
        if self.buf.len() < n {
            return Err(LedgerError::Decode(format!(
                "input ends inside `{what}` (need {n} bytes, have {})",
                self.buf.len()
            )));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn field(&mut self, what: &str) -> Result<&'a [u8], LedgerError> {
        let Some((len, rest)) = self.buf.split_first_chunk::<4>() else {
            return Err(LedgerError::Decode(format!(
                "input ends inside the length of `{what}`"
            )));
        };
        self.buf = rest;
        let len = u32::from_be_bytes(*len);
        let len = usize::try_from(len)
            .map_err(|_| LedgerError::Decode(format!("`{what}` length does not fit usize")))?;
        self.take(len, what)
    }

    fn text(&mut self, what: &'static str) -> Result<&'a str, LedgerError> {
        let b = self.field(what)?;
        std::str::from_utf8(b).map_err(|_| LedgerError::InvalidUtf8(what))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Entry {
        Entry {
            seq: 7,
            prev: crate::hash::sha256(b"p"),
            time_us: -5,
            org: "病院".into(),
            author: "alice".into(),
            kind: "auth.login".into(),
            payload: br#"{"a":1}"#.to_vec(),
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let e = sample();
        let b = e.encode();
        assert_eq!(b.len(), e.encoded_len());
        assert_eq!(&b[..4], b"AZL1");
        assert_eq!(&b[4..12], &7u64.to_be_bytes());
        assert_eq!(&b[12..44], &e.prev.0);
        assert_eq!(&b[44..52], &(-5i64).to_be_bytes());
        assert_eq!(&b[52..56], &6u32.to_be_bytes());
        assert_eq!(Entry::decode(&b).unwrap(), e);
    }

    #[test]
    fn strict_decode() {
        let b = sample().encode();
        let mut trailing = b.clone();
        trailing.push(0);
        assert!(matches!(
            Entry::decode(&trailing),
            Err(LedgerError::Decode(_))
        ));
        let mut magic = b.clone();
        magic[3] = b'2';
        assert!(matches!(Entry::decode(&magic), Err(LedgerError::Decode(_))));
        for cut in 0..b.len() {
            assert!(Entry::decode(&b[..cut]).is_err(), "prefix {cut} decoded");
        }
        // Make the first byte of `org` an invalid UTF-8 start byte.
        let mut utf = b.clone();
        utf[56] = 0xff;
        assert!(matches!(
            Entry::decode(&utf),
            Err(LedgerError::InvalidUtf8("org"))
        ));
        // Length prefix pointing past the end.
        let mut long = b;
        long[52..56].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Entry::decode(&long).is_err());
    }
}
