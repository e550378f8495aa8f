//! Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4) computed from a sparse
//! set of stored hashes, and their offline verification.
//!
//! ## Where the hashes come from
//!
//! A [`HashSource`] serves hashes at level 0 (leaf hashes, which a store recomputes from
//! its entries) and at levels 8, 16, 24, ... (persisted by the store from
//! [`crate::tree::Frontier::push`]). Any node at level `8q + j` (`j < 8`) is the root of a
//! perfect binary tree of `2^j` nodes at level `8q`, all inside one aligned *tile* of 256
//! hashes at that level. The proof builder therefore always asks for whole tiles (clipped
//! to the tree size), computes the 255 interior nodes of a tile once, and caches them for
//! the duration of one proof. A proof in a tree of 10 million entries touches three levels
//! of tiles (0, 8, 16) and needs about 3–6 source calls.
//!
//! ## Verification
//!
//! [`verify_inclusion`] and [`verify_consistency`] are the RFC 9162 algorithms verbatim.
//! They need nothing but the proof, the sizes and the roots (the latter taken from a
//! signed checkpoint, see [`crate::checkpoint`]), so third parties can re-implement them
//! from the RFC.

use std::collections::HashMap;

use crate::LedgerError;
use crate::hash::{Hash, empty_root, node_hash};
use crate::tree::{Frontier, STORED_LEVEL_STEP};

/// Hashes per tile (and leaves per level-8 node).
pub const TILE_WIDTH: u64 = 256;

/// Read access to the stored hashes of one log.
pub trait HashSource {
    /// The source's error type; ledger errors (e.g. a short answer) must convert into it.
    type Error;
    /// Returns the hashes at `level` (0 or a multiple of 8) for node indices
    /// `[start, end)` of that level, in order. The builder only asks for nodes that are
    /// complete in the tree it is proving about.
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error>;
}

impl<T: HashSource + ?Sized> HashSource for &mut T {
    type Error = T::Error;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error> {
        (**self).hashes(level, start, end)
    }
}

/// All nodes of one tile: `levels[j]` holds the complete nodes `j` levels above the
/// tile's base level.
struct Tile {
    levels: [Vec<Hash>; 8],
}

impl Tile {
    fn build(base: Vec<Hash>) -> Tile {
        let mut levels: [Vec<Hash>; 8] = Default::default();
        levels[0] = base;
        for j in 1..8 {
            let below = &levels[j - 1];
            let up: Vec<Hash> = below
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            levels[j] = up;
        }
        Tile { levels }
    }
}

/// Computes nodes of the tree `[0, size)` from a [`HashSource`], caching tiles.
struct Builder<'s, S: HashSource> {
    src: &'s mut S,
    size: u64,
    tiles: HashMap<(u8, u64), Tile>,
}

impl<'s, S> Builder<'s, S>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    fn new(src: &'s mut S, size: u64) -> Self {
        Builder {
            src,
            size,
            tiles: HashMap::new(),
        }
    }

    /// Root of the perfect subtree at (`level`, `index`), which must be complete in
    /// `self.size`.
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, S::Error> {
        let complete = index
            .checked_add(1)
            .and_then(|i| i.checked_mul(1u64.checked_shl(u32::from(level))?))
            .is_some_and(|end| end <= self.size);
        if level >= 64 || !complete {
            return Err(LedgerError::OutOfRange(format!(
                "node ({level}, {index}) is not complete in a tree of size {}",
                self.size
            ))
            .into());
        }
        let base_level = level - level % STORED_LEVEL_STEP;
        let j = level - base_level;
        let first = index << j; // first base-level node covered
        let tile_idx = first / TILE_WIDTH;
        let tile = match self.tiles.entry((base_level, tile_idx)) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let avail = self.size >> base_level;
                let start = tile_idx * TILE_WIDTH;
                let end = avail.min(start + TILE_WIDTH);
                let got = self.src.hashes(base_level, start, end)?;
                let want = usize::try_from(end - start).unwrap_or(usize::MAX);
                if got.len() != want {
                    return Err(LedgerError::SourceShort {
                        level: base_level,
                        start,
                        end,
                        got: got.len(),
                    }
                    .into());
                }
                v.insert(Tile::build(got))
            }
        };
        let pos = usize::try_from((first - tile_idx * TILE_WIDTH) >> j).unwrap_or(usize::MAX);
        tile.levels[usize::from(j)]
            .get(pos)
            .copied()
            .ok_or_else(|| {
                LedgerError::OutOfRange(format!("node ({level}, {index}) missing from tile")).into()
            })
    }

    /// RFC 6962 MTH of leaves `[start, end)`, `start < end <= size`.
    fn range_root(&mut self, start: u64, end: u64) -> Result<Hash, S::Error> {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            return self.node(n.trailing_zeros() as u8, start >> n.trailing_zeros());
        }
        let k = largest_pow2_below(n);
        let left = self.range_root(start, start + k)?;
        let right = self.range_root(start + k, end)?;
        Ok(node_hash(&left, &right))
    }
}

/// Largest power of two strictly less than `n` (`n >= 2`).
fn largest_pow2_below(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// RFC 6962 root of the subtree over leaves `[start, end)` (`start < end`), reading
/// from `src` as if the tree had `end` leaves.
pub fn subtree_root<S>(start: u64, end: u64, src: &mut S) -> Result<Hash, S::Error>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    if start >= end {
        return Err(LedgerError::OutOfRange(format!("empty range [{start}, {end})")).into());
    }
    Builder::new(src, end).range_root(start, end)
}

/// Root of the tree with `size` leaves (the empty-tree hash for 0).
pub fn root_at<S>(size: u64, src: &mut S) -> Result<Hash, S::Error>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    if size == 0 {
        return Ok(empty_root());
    }
    Builder::new(src, size).range_root(0, size)
}

/// The [`Frontier`] of the tree with `size` leaves, e.g. to rebuild a lost head row.
pub fn frontier_at<S>(size: u64, src: &mut S) -> Result<Frontier, S::Error>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    let mut b = Builder::new(src, size);
    let mut nodes = Vec::with_capacity(size.count_ones() as usize);
    let mut covered = 0u64;
    for level in (0..64u8).rev() {
        if size >> level & 1 == 1 {
            nodes.push(b.node(level, covered >> level)?);
            covered += 1u64 << level;
        }
    }
    Ok(Frontier::from_parts(size, nodes)?)
}

/// Inclusion proof (RFC 9162 §2.1.3.1 `PATH`) for leaf `index` in the tree of `size`
/// leaves; hashes ordered from the leaf's sibling upwards.
pub fn inclusion_proof<S>(index: u64, size: u64, src: &mut S) -> Result<Vec<Hash>, S::Error>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    if index >= size {
        return Err(LedgerError::OutOfRange(format!(
            "leaf index {index} not in a tree of size {size}"
        ))
        .into());
    }
    let mut b = Builder::new(src, size);
    let mut top_down = Vec::with_capacity(64);
    let (mut start, mut end, mut m) = (0u64, size, index);
    while end - start > 1 {
        let k = largest_pow2_below(end - start);
        if m < k {
            top_down.push(b.range_root(start + k, end)?);
            end = start + k;
        } else {
            top_down.push(b.range_root(start, start + k)?);
            start += k;
            m -= k;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// Consistency proof (RFC 9162 §2.1.4.1 `PROOF`) between the trees of sizes
/// `m <= n`; empty when `m == 0` or `m == n`.
pub fn consistency_proof<S>(m: u64, n: u64, src: &mut S) -> Result<Vec<Hash>, S::Error>
where
    S: HashSource,
    S::Error: From<LedgerError>,
{
    if m > n {
        return Err(LedgerError::OutOfRange(format!("old size {m} > new size {n}")).into());
    }
    if m == 0 || m == n {
        return Ok(Vec::new());
    }
    let mut b = Builder::new(src, n);
    let mut appended = Vec::with_capacity(64);
    let (mut start, mut end, mut mm, mut whole) = (0u64, n, m, true);
    let first = loop {
        let len = end - start;
        if mm == len {
            break if whole {
                None
            } else {
                Some(b.range_root(start, end)?)
            };
        }
        let k = largest_pow2_below(len);
        if mm <= k {
            appended.push(b.range_root(start + k, end)?);
            end = start + k;
        } else {
            appended.push(b.range_root(start, start + k)?);
            start += k;
            mm -= k;
            whole = false;
        }
    };
    let mut proof = Vec::with_capacity(appended.len() + 1);
    proof.extend(first);
    proof.extend(appended.into_iter().rev());
    Ok(proof)
}

/// Expected inclusion proof length for `index < size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange(format!(
            "leaf index {index} not in a tree of size {size}"
        )));
    }
    let want = inclusion_len(index, size);
    if proof.len() != want {
        return Err(LedgerError::ProofLength {
            got: proof.len(),
            want,
        });
    }
    let (mut fnn, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(LedgerError::ProofMismatch("proof too long".into()));
        }
        if fnn & 1 == 1 || fnn == sn {
            r = node_hash(p, &r);
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(LedgerError::ProofMismatch("proof too short".into()));
    }
    Ok(r)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    let got = root_from_inclusion(leaf_hash, index, size, proof)?;
    if got != *root {
        return Err(LedgerError::ProofMismatch(format!(
            "inclusion proof for leaf {index} leads to root {got}, expected {root}"
        )));
    }
    Ok(())
}

/// Checks that the tree of size `m` with root `root_m` is a prefix of the tree of size
/// `n` with root `root_n` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    m: u64,
    n: u64,
    root_m: &Hash,
    root_n: &Hash,
    proof: &[Hash],
) -> Result<(), LedgerError> {
    if m > n {
        return Err(LedgerError::OutOfRange(format!(
            "old size {m} > new size {n}"
        )));
    }
    if m == n {
        if !proof.is_empty() {
            return Err(LedgerError::ProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        if root_m != root_n {
            return Err(LedgerError::ProofMismatch(format!(
                "same size {m} but different roots"
            )));
        }
        return Ok(());
    }
    if m == 0 {
        // Every tree extends the empty tree; RFC 9162 defines no proof for it.
        if !proof.is_empty() {
            return Err(LedgerError::ProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        return Ok(());
    }
    let Some((&head, rest)) = proof.split_first() else {
        return Err(LedgerError::ProofLength { got: 0, want: 1 });
    };
    // When m is a power of two, the old root is itself a node of the new tree and the
    // proof omits it.
    let (seed, path): (Hash, &[Hash]) = if m.is_power_of_two() {
        (*root_m, proof)
    } else {
        (head, rest)
    };
    let (mut fnn, mut sn) = (m - 1, n - 1);
    while fnn & 1 == 1 {
        fnn >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in path {
        if sn == 0 {
            return Err(LedgerError::ProofMismatch("proof too long".into()));
        }
        if fnn & 1 == 1 || fnn == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(LedgerError::ProofMismatch("proof too short".into()));
    }
    if fr != *root_m {
        return Err(LedgerError::ProofMismatch(format!(
            "consistency proof does not reproduce the old root at size {m}"
        )));
    }
    if sr != *root_n {
        return Err(LedgerError::ProofMismatch(format!(
            "consistency proof does not reproduce the new root at size {n}"
        )));
    }
    Ok(())
}

/// An in-memory [`HashSource`] that stores exactly what a real store persists: all leaf
/// hashes and the completed nodes at levels 8, 16, 24, ...
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    frontier: Frontier,
    /// `levels[q]` = nodes at level `8q`.
    levels: Vec<Vec<Hash>>,
    scratch: Vec<crate::tree::StoredNode>,
}

impl MemorySource {
    /// An empty log.
    pub fn new() -> MemorySource {
        MemorySource {
            levels: vec![Vec::new()],
            ..Default::default()
        }
    }

    /// Builds from leaf hashes.
    pub fn from_leaves<I: IntoIterator<Item = Hash>>(leaves: I) -> MemorySource {
        let mut s = MemorySource::new();
        for l in leaves {
            s.push(l);
        }
        s
    }

    /// Appends one leaf hash, storing newly completed level-8k nodes.
    pub fn push(&mut self, leaf: Hash) {
        self.scratch.clear();
        self.frontier.push(leaf, &mut self.scratch);
        if let Some(level0) = self.levels.first_mut() {
            level0.push(leaf);
        }
        for n in self.scratch.drain(..) {
            let q = usize::from(n.level / STORED_LEVEL_STEP);
            if self.levels.len() <= q {
                self.levels.resize_with(q + 1, Vec::new);
            }
            self.levels[q].push(n.hash);
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Current root.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The current frontier.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }
}

impl MemorySource {
    fn get(&self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, LedgerError> {
        let stored = if level.is_multiple_of(STORED_LEVEL_STEP) {
            self.levels.get(usize::from(level / STORED_LEVEL_STEP))
        } else {
            None
        };
        let v =
            stored.ok_or_else(|| LedgerError::OutOfRange(format!("level {level} not stored")))?;
        let (s, e) = (usize::try_from(start), usize::try_from(end));
        match (s, e) {
            (Ok(s), Ok(e)) if s <= e && e <= v.len() => Ok(v[s..e].to_vec()),
            _ => Err(LedgerError::OutOfRange(format!(
                "level {level} range [{start}, {end}) beyond {} stored hashes",
                v.len()
            ))),
        }
    }
}

impl HashSource for MemorySource {
    type Error = LedgerError;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, LedgerError> {
        self.get(level, start, end)
    }
}

/// Lets one built source serve many proofs without cloning it.
impl HashSource for &MemorySource {
    type Error = LedgerError;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, LedgerError> {
        self.get(level, start, end)
    }
}
