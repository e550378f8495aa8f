//! Incremental Merkle tree state: the *frontier* (a.k.a. compact range `[0, size)`).
//!
//! Appending to an RFC 6962 tree only ever touches its right edge. The frontier keeps the
//! roots of the perfect subtrees along that edge, one per set bit of `size` (so at most 64
//! hashes), which is enough to append in amortised O(1) hashing (O(log n) worst case) and
//! to compute the root at the current size, without ever re-reading old entries.
//!
//! ## Which nodes get persisted
//!
//! Following the C2SP tlog-tiles idea, the store persists only
//! * level 0 implicitly: leaf hashes are recomputed from the stored entries, and
//! * interior nodes at levels 8, 16, 24, ... (level 8 = root of an aligned 256-leaf subtree),
//!
//! and everything in between is recomputed on demand from at most 256 stored hashes
//! (see [`crate::proof`]). That is 32 bytes per 256 entries of hash storage, while any
//! proof still needs only a handful of reads. [`Frontier::push`] reports exactly those
//! nodes, at the moment they become complete (a perfect subtree never changes again).

use crate::LedgerError;
use crate::hash::{Hash, empty_root, node_hash};

/// Levels that are persisted are multiples of this (and at least this).
pub const STORED_LEVEL_STEP: u8 = 8;

/// A completed perfect-subtree root that the store should persist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredNode {
    /// Height of the subtree: it covers `2^level` leaves. A multiple of 8, at least 8.
    pub level: u8,
    /// Index of the node within its level: it covers leaves
    /// `[index << level, (index + 1) << level)`.
    pub index: u64,
    /// The subtree root.
    pub hash: Hash,
}

/// Right edge of the tree `[0, size)`; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Perfect-subtree roots, largest (leftmost) first; `nodes.len() == size.count_ones()`.
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots on the right edge, leftmost (largest) first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Builds a frontier from its parts, checking that the number of hashes matches the
    /// size (one per set bit).
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Result<Frontier, LedgerError> {
        if nodes.len() != size.count_ones() as usize {
            return Err(LedgerError::BadFrontier(format!(
                "size {size} needs {} hashes, got {}",
                size.count_ones(),
                nodes.len()
            )));
        }
        Ok(Frontier { size, nodes })
    }

    /// Appends one leaf hash, pushing every newly completed node at a persisted level
    /// (8, 16, ...) onto `completed`, lowest level first.
    ///
    /// # Panics
    /// When the tree already has `u64::MAX` leaves.
    pub fn push(&mut self, leaf: Hash, completed: &mut Vec<StoredNode>) {
        let index = self.size;
        let mut h = leaf;
        let mut level: u8 = 0;
        let mut bits = self.size;
        while bits & 1 == 1 {
            let Some(left) = self.nodes.pop() else {
                // Unreachable: the constructor guarantees one hash per set bit.
                break;
            };
            h = node_hash(&left, &h);
            level += 1;
            bits >>= 1;
            if level.is_multiple_of(STORED_LEVEL_STEP) {
                completed.push(StoredNode {
                    level,
                    index: index >> level,
                    hash: h,
                });
            }
        }
        self.nodes.push(h);
        self.size = match self.size.checked_add(1) {
            Some(s) => s,
            None => panic!("ledger tree size overflow"),
        };
    }

    /// Appends one leaf hash when the caller does not persist interior nodes
    /// (e.g. the verifier).
    pub fn push_leaf(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut bits = self.size;
        while bits & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            h = node_hash(&left, &h);
            bits >>= 1;
        }
        self.nodes.push(h);
        self.size = match self.size.checked_add(1) {
            Some(s) => s,
            None => panic!("ledger tree size overflow"),
        };
    }

    /// Appends a whole perfect subtree of `2^level` leaves given by its root, e.g. an
    /// aligned 256-leaf group hashed on another thread. The current size must be a
    /// multiple of `2^level` (the subtree must be aligned).
    pub fn push_subtree(&mut self, level: u8, root: Hash) -> Result<(), LedgerError> {
        let width = 1u64.checked_shl(u32::from(level)).filter(|_| level < 64);
        let new_size = width.and_then(|w| self.size.checked_add(w));
        let (Some(width), Some(new_size)) = (width, new_size) else {
            return Err(LedgerError::OutOfRange(format!(
                "subtree of level {level} does not fit after {} leaves",
                self.size
            )));
        };
        if !self.size.is_multiple_of(width) {
            return Err(LedgerError::OutOfRange(format!(
                "subtree of level {level} is not aligned at size {}",
                self.size
            )));
        }
        let mut h = root;
        let mut bits = self.size >> level;
        while bits & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            h = node_hash(&left, &h);
            bits >>= 1;
        }
        self.nodes.push(h);
        self.size = new_size;
        Ok(())
    }

    /// RFC 6962 root of the tree `[0, size)`; `SHA-256("")` when empty.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(&last) = it.next() else {
            return empty_root();
        };
        it.fold(last, |acc, left| node_hash(left, &acc))
    }

    /// Serialization for the store's head row: `u64be size ‖ 32-byte hashes`, leftmost
    /// (largest subtree) first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + 32 * self.nodes.len());
        v.extend_from_slice(&self.size.to_be_bytes());
        for h in &self.nodes {
            v.extend_from_slice(&h.0);
        }
        v
    }

    /// Inverse of [`Frontier::to_bytes`]; rejects any length inconsistent with the size.
    pub fn from_bytes(b: &[u8]) -> Result<Frontier, LedgerError> {
        let (size_bytes, rest) = b.split_first_chunk::<8>().ok_or_else(|| {
            LedgerError::BadFrontier(format!("{} bytes, need at least 8", b.len()))
        })?;
        let size = u64::from_be_bytes(*size_bytes);
        let want = size.count_ones() as usize * 32;
        if rest.len() != want {
            return Err(LedgerError::BadFrontier(format!(
                "size {size} needs {want} hash bytes, got {}",
                rest.len()
            )));
        }
        let nodes = rest
            .chunks_exact(32)
            .map(Hash::from_slice)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frontier { size, nodes })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::hash::{leaf_hash, sha256};

    /// Straight recursive RFC 6962 MTH, for cross-checking.
    pub(crate) fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_matches_recursive_root_and_reports_tiles() {
        let leaves: Vec<Hash> = (0u32..1100).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        let mut done = Vec::new();
        for (i, l) in leaves.iter().enumerate() {
            assert_eq!(f.root(), mth(&leaves[..i]), "size {i}");
            f.push(*l, &mut done);
            let back = Frontier::from_bytes(&f.to_bytes()).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(f.root(), mth(&leaves));
        // 1100 leaves: 4 complete level-8 nodes, no level-16 node.
        assert_eq!(done.len(), 4);
        for (i, n) in done.iter().enumerate() {
            assert_eq!(n.level, 8);
            assert_eq!(n.index, i as u64);
            assert_eq!(n.hash, mth(&leaves[i * 256..(i + 1) * 256]));
        }
    }

    #[test]
    fn level_16_reported() {
        let mut f = Frontier::new();
        let mut done = Vec::new();
        for i in 0u32..65536 {
            f.push(leaf_hash(&i.to_be_bytes()), &mut done);
        }
        assert_eq!(done.len(), 257);
        let last = done[256];
        assert_eq!((last.level, last.index), (16, 0));
        assert_eq!(last.hash, f.root());
        assert_eq!((done[255].level, done[255].index), (8, 255));
    }

    #[test]
    fn push_subtree_equals_pushing_leaves() {
        let leaves: Vec<Hash> = (0u32..1024).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut a = Frontier::new();
        let mut b = Frontier::new();
        for l in &leaves[..256] {
            a.push_leaf(*l);
        }
        b.push_subtree(8, mth(&leaves[..256])).unwrap();
        assert_eq!(a, b);
        for l in &leaves[256..260] {
            a.push_leaf(*l);
            b.push_leaf(*l);
        }
        assert!(
            b.push_subtree(8, mth(&leaves[..256])).is_err(),
            "misaligned"
        );
        assert!(b.push_subtree(2, mth(&leaves[260..264])).is_ok());
        for l in &leaves[260..264] {
            a.push_leaf(*l);
        }
        assert_eq!(a, b);
        assert_eq!(a.root(), mth(&leaves[..264]));
    }

    #[test]
    fn bad_bytes() {
        assert!(Frontier::from_bytes(&[0; 7]).is_err());
        let mut b = 3u64.to_be_bytes().to_vec();
        b.extend_from_slice(&sha256(b"a").0);
        assert!(Frontier::from_bytes(&b).is_err());
        b.extend_from_slice(&sha256(b"b").0);
        assert!(Frontier::from_bytes(&b).is_ok());
        assert!(Frontier::from_parts(3, vec![]).is_err());
    }
}
