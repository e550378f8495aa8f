//! SHA-256 hashes and the RFC 6962 / RFC 9162 hashing rules.
//!
//! Leaves and interior nodes are hashed with different one-byte prefixes
//! (`0x00` and `0x01`), so that no leaf can ever be passed off as an interior node
//! (the second-preimage attack on plain Merkle trees).
//!
//! `sha2` picks the SHA-NI code path at run time (`cpufeatures` detection), so a
//! portable build still runs at hardware speed on CPUs that have it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// A SHA-256 output: leaf hash, node hash, tree root or note hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash; used as `prev` of entry 0.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Hash, LedgerError> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(LedgerError::BadHash(format!(
                "hex hash has {} characters, want 64",
                b.len()
            )));
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]);
            let lo = hex_val(pair[1]);
            match (hi, lo) {
                (Some(h), Some(l)) => out[i] = (h << 4) | l,
                _ => return Err(LedgerError::BadHash(format!("invalid hex in {s:?}"))),
            }
        }
        Ok(Hash(out))
    }

    /// Standard (padded) base64, the encoding used in checkpoints.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Parses standard padded base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Hash, LedgerError> {
        let v = B64
            .decode(s)
            .map_err(|e| LedgerError::BadHash(format!("base64: {e}")))?;
        Hash::from_slice(&v)
    }

    /// Copies exactly 32 bytes.
    pub fn from_slice(b: &[u8]) -> Result<Hash, LedgerError> {
        <[u8; 32]>::try_from(b)
            .map(Hash)
            .map_err(|_| LedgerError::BadHash(format!("{} bytes, want 32", b.len())))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl From<[u8; 32]> for Hash {
    fn from(b: [u8; 32]) -> Self {
        Hash(b)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Plain SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Hash {
    Hash(Sha256::digest(data).into())
}

/// RFC 6962 leaf hash: `SHA-256(0x00 ‖ entry_bytes)`.
///
/// Entries are typically a few hundred bytes, where the streaming hasher's buffering and
/// finalisation cost about a fifth of the time; short inputs are therefore padded into a
/// stack buffer and fed to the compression function in one call.
pub fn leaf_hash(entry_bytes: &[u8]) -> Hash {
    let padded = (entry_bytes.len() + 1 + 9).div_ceil(64);
    if padded <= 4 {
        leaf_hash_small::<4>(entry_bytes, padded)
    } else if padded <= 8 {
        leaf_hash_small::<8>(entry_bytes, padded)
    } else {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(entry_bytes);
        Hash(h.finalize().into())
    }
}

/// `leaf_hash` for inputs whose padded message fits in `N` blocks (`blocks <= N`).
fn leaf_hash_small<const N: usize>(bytes: &[u8], blocks: usize) -> Hash {
    let mut buf = [[0u8; 64]; N];
    let flat = buf.as_flattened_mut();
    let len = bytes.len() + 1;
    let bits = (len as u64) * 8;
    let end = blocks * 64;
    flat[1..len].copy_from_slice(bytes);
    flat[len] = 0x80;
    flat[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    let mut state = IV;
    sha2::block_api::compress256(&mut state, &buf[..blocks]);
    state_to_hash(state)
}

fn state_to_hash(state: [u32; 8]) -> Hash {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Hash(out)
}

/// SHA-256 initial state (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// RFC 6962 interior node hash: `SHA-256(0x01 ‖ left ‖ right)`.
///
/// The input is always 65 bytes, i.e. exactly two SHA-256 blocks with the padding at a
/// fixed place, so this calls the raw compression function on a prepared buffer instead
/// of going through the streaming hasher: node hashing is half of all hashing work when
/// a whole log is verified.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(&left.0);
    blocks[0][33..64].copy_from_slice(&right.0[..31]);
    blocks[1][0] = right.0[31];
    blocks[1][1] = 0x80;
    // Message length in bits: 65 * 8 = 520 = 0x0208.
    blocks[1][62] = 0x02;
    blocks[1][63] = 0x08;
    let mut state = IV;
    sha2::block_api::compress256(&mut state, &blocks);
    state_to_hash(state)
}

/// Root of the empty tree: `SHA-256("")` (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    sha256(b"")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn node_hash_matches_streaming() {
        let l = sha256(b"left");
        let r = sha256(b"right");
        let mut buf = vec![1u8];
        buf.extend_from_slice(&l.0);
        buf.extend_from_slice(&r.0);
        assert_eq!(node_hash(&l, &r), sha256(&buf));
    }

    #[test]
    fn leaf_hash_matches_streaming_for_all_short_lengths() {
        let data: Vec<u8> = (0..1200u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in 0..data.len() {
            let mut buf = vec![0u8];
            buf.extend_from_slice(&data[..n]);
            assert_eq!(leaf_hash(&data[..n]), sha256(&buf), "length {n}");
        }
    }

    #[test]
    fn hex_and_base64_round_trip() {
        let h = sha256(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::from_hex(&h.to_hex().to_uppercase()).unwrap(), h);
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert!(Hash::from_hex("zz").is_err());
        assert!(Hash::from_base64("AAAA").is_err());
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(format!("{h:?}"), format!("Hash({})", h.to_hex()));
    }
}
