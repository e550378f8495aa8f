//! Property tests: proofs from the tile-based builder equal the RFC's recursive
//! definition, verify, and stop verifying after any single-bit change.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use anzen_ledger::hash::{empty_root, leaf_hash, node_hash};
use anzen_ledger::proof::frontier_at;
use anzen_ledger::{
    Hash, HashSource, LedgerError, MemorySource, consistency_proof, inclusion_proof, root_at,
    subtree_root, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

const BIG: u64 = 70_000;

struct Shared {
    leaves: Vec<Hash>,
    src: MemorySource,
}

fn shared() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let leaves: Vec<Hash> = (0..BIG).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let src = MemorySource::from_leaves(leaves.iter().copied());
        Shared { leaves, src }
    })
}

fn k_of(n: usize) -> usize {
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// RFC 9162 MTH.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = k_of(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// RFC 9162 PATH.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// RFC 9162 SUBPROOF.
fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut x = *h;
    x.0[bit / 8 % 32] ^= 1 << (bit % 8);
    x
}

/// Counts source calls.
struct Counting<'a> {
    inner: &'a MemorySource,
    calls: usize,
}

impl HashSource for Counting<'_> {
    type Error = LedgerError;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, LedgerError> {
        self.calls += 1;
        let mut r = self.inner;
        r.hashes(level, start, end)
    }
}

#[test]
fn small_trees_match_reference_exhaustively() {
    let s = shared();
    for n in 1..=40usize {
        let d = &s.leaves[..n];
        let root = mth(d);
        assert_eq!(root_at(n as u64, &mut &s.src).unwrap(), root);
        for m in 0..n {
            let p = inclusion_proof(m as u64, n as u64, &mut &s.src).unwrap();
            assert_eq!(p, path(m, d), "PATH({m}, {n})");
            verify_inclusion(&d[m], m as u64, n as u64, &p, &root).unwrap();
        }
        for m in 1..=n {
            let p = consistency_proof(m as u64, n as u64, &mut &s.src).unwrap();
            assert_eq!(p, subproof(m, d, true), "PROOF({m}, {n})");
            verify_consistency(m as u64, n as u64, &mth(&d[..m]), &root, &p).unwrap();
        }
    }
}

#[test]
fn few_source_calls_at_large_sizes() {
    let s = shared();
    let root = mth(&s.leaves);
    for index in [0, 1, 12_345, 65_535, 65_536, BIG - 1] {
        let mut c = Counting {
            inner: &s.src,
            calls: 0,
        };
        let p = inclusion_proof(index, BIG, &mut c).unwrap();
        assert!(c.calls <= 6, "{} calls for leaf {index}", c.calls);
        verify_inclusion(&s.leaves[index as usize], index, BIG, &p, &root).unwrap();
    }
    let f = frontier_at(BIG, &mut &s.src).unwrap();
    assert_eq!(f.root(), root);
    assert_eq!(f, *s.src.frontier());
    assert_eq!(
        subtree_root(256, 70_000, &mut &s.src).unwrap(),
        mth(&s.leaves[256..70_000])
    );
    // Asking beyond the source fails cleanly.
    assert!(inclusion_proof(0, BIG + 1, &mut &s.src).is_err());
    assert!(inclusion_proof(BIG, BIG, &mut &s.src).is_err());
}

fn size_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1u64..600,
        2 => 600u64..5_000,
        1 => 60_000u64..=BIG,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_bit_flips_fail(
        size in size_strategy(),
        idx_seed in any::<u64>(),
        bit in 0usize..256,
        elem_seed in any::<usize>(),
    ) {
        let s = shared();
        let index = idx_seed % size;
        let root = root_at(size, &mut &s.src).unwrap();
        let leaf = s.leaves[index as usize];
        let proof = inclusion_proof(index, size, &mut &s.src).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        if size <= 5_000 {
            prop_assert_eq!(root, mth(&s.leaves[..size as usize]));
            prop_assert_eq!(&proof, &path(index as usize, &s.leaves[..size as usize]));
        }
        prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let e = elem_seed % bad.len();
            bad[e] = flip(&bad[e], bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_bit_flips_fail(
        n in size_strategy(),
        m_seed in any::<u64>(),
        bit in 0usize..256,
        elem_seed in any::<usize>(),
    ) {
        let s = shared();
        let m = 1 + m_seed % n;
        let rm = root_at(m, &mut &s.src).unwrap();
        let rn = root_at(n, &mut &s.src).unwrap();
        let proof = consistency_proof(m, n, &mut &s.src).unwrap();
        prop_assert!(verify_consistency(m, n, &rm, &rn, &proof).is_ok());
        if n <= 5_000 {
            prop_assert_eq!(&proof, &subproof(m as usize, &s.leaves[..n as usize], true));
        }
        prop_assert!(verify_consistency(m, n, &flip(&rm, bit), &rn, &proof).is_err());
        prop_assert!(verify_consistency(m, n, &rm, &flip(&rn, bit), &proof).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let e = elem_seed % bad.len();
            bad[e] = flip(&bad[e], bit);
            prop_assert!(verify_consistency(m, n, &rm, &rn, &bad).is_err());
        }
    }
}
