//! Known-answer tests against the published RFC 6962 / Certificate Transparency vectors
//! (transparency-dev/merkle `proof/verify_test.go`, the CT reference test data).
#![allow(clippy::unwrap_used)]

use anzen_ledger::hash::{empty_root, leaf_hash};
use anzen_ledger::{
    Frontier, Hash, MemorySource, consistency_proof, inclusion_proof, root_at, verify_consistency,
    verify_inclusion,
};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of sizes 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(s: &str) -> Hash {
    Hash::from_hex(s).unwrap()
}

fn leaf_hashes() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|x| leaf_hash(&hex::decode(x).unwrap()))
        .collect()
}

/// (0-based leaf index, tree size, proof)
fn inclusion_vectors() -> Vec<(u64, u64, Vec<&'static str>)> {
    vec![
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            vec![
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (0, 1, vec![]),
    ]
}

fn consistency_vectors() -> Vec<(u64, u64, Vec<&'static str>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ]
}

#[test]
fn roots_of_sizes_0_to_8() {
    assert_eq!(
        empty_root().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let leaves = leaf_hashes();
    let mut f = Frontier::new();
    assert_eq!(f.root(), empty_root());
    let mut src = MemorySource::new();
    for (i, l) in leaves.iter().enumerate() {
        f.push_leaf(*l);
        src.push(*l);
        assert_eq!(f.root(), h(ROOTS[i]), "frontier root at size {}", i + 1);
        assert_eq!(root_at(i as u64 + 1, &mut src).unwrap(), h(ROOTS[i]));
    }
    assert_eq!(root_at(0, &mut src).unwrap(), empty_root());
}

#[test]
fn published_inclusion_proofs() {
    let leaves = leaf_hashes();
    let mut src = MemorySource::from_leaves(leaves.clone());
    for (index, size, want) in inclusion_vectors() {
        let want: Vec<Hash> = want.into_iter().map(h).collect();
        let got = inclusion_proof(index, size, &mut src).unwrap();
        assert_eq!(got, want, "inclusion proof for {index} in {size}");
        let root = h(ROOTS[size as usize - 1]);
        verify_inclusion(&leaves[index as usize], index, size, &want, &root).unwrap();
        // Wrong index / size / leaf / root must fail.
        assert!(verify_inclusion(&leaves[index as usize], index + 1, size, &want, &root).is_err());
        assert!(verify_inclusion(&leaves[index as usize], index, size * 2, &want, &root).is_err());
        assert!(verify_inclusion(&leaf_hash(b"WrongLeaf"), index, size, &want, &root).is_err());
        assert!(
            verify_inclusion(&leaves[index as usize], index, size, &want, &empty_root()).is_err()
        );
        let mut longer = want.clone();
        longer.push(root);
        assert!(verify_inclusion(&leaves[index as usize], index, size, &longer, &root).is_err());
        if !want.is_empty() {
            let mut prefixed = vec![root];
            prefixed.extend(&want);
            assert!(
                verify_inclusion(&leaves[index as usize], index, size, &prefixed, &root).is_err()
            );
            assert!(
                verify_inclusion(
                    &leaves[index as usize],
                    index,
                    size,
                    &want[..want.len() - 1],
                    &root
                )
                .is_err()
            );
        }
    }
}

#[test]
fn published_consistency_proofs() {
    let mut src = MemorySource::from_leaves(leaf_hashes());
    for (m, n, want) in consistency_vectors() {
        let want: Vec<Hash> = want.into_iter().map(h).collect();
        let got = consistency_proof(m, n, &mut src).unwrap();
        assert_eq!(got, want, "consistency proof {m} -> {n}");
        let (rm, rn) = (h(ROOTS[m as usize - 1]), h(ROOTS[n as usize - 1]));
        verify_consistency(m, n, &rm, &rn, &want).unwrap();
        if m != n {
            assert!(
                verify_consistency(m, n, &rn, &rm, &want).is_err(),
                "swapped roots"
            );
            assert!(
                verify_consistency(m, n, &rm, &rn, &[]).is_err(),
                "empty proof"
            );
            assert!(verify_consistency(m + 1, n, &rm, &rn, &want).is_err());
            assert!(verify_consistency(m, n * 2, &rm, &rn, &want).is_err());
            let mut longer = want.clone();
            longer.push(rn);
            assert!(verify_consistency(m, n, &rm, &rn, &longer).is_err());
            let mut prefixed = vec![want[0]];
            prefixed.extend(&want);
            assert!(verify_consistency(m, n, &rm, &rn, &prefixed).is_err());
            assert!(verify_consistency(m, n, &rm, &rn, &want[..want.len() - 1]).is_err());
        }
    }
}

#[test]
fn consistency_edge_cases() {
    let a = leaf_hash(b"a");
    let b = leaf_hash(b"b");
    // Sizes that are always consistent.
    verify_consistency(0, 0, &a, &a, &[]).unwrap();
    verify_consistency(0, 1, &a, &b, &[]).unwrap();
    verify_consistency(1, 1, &b, &b, &[]).unwrap();
    // Time travel, differing roots at equal size, non-empty trivial proofs.
    assert!(verify_consistency(1, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(2, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 1, &empty_root(), &empty_root(), &[empty_root()]).is_err());
    assert!(verify_consistency(1, 1, &a, &a, &[a]).is_err());
    // Inclusion in empty/short trees.
    assert!(verify_inclusion(&a, 0, 0, &[], &a).is_err());
    assert!(verify_inclusion(&a, 2, 1, &[], &a).is_err());
    verify_inclusion(&a, 0, 1, &[], &a).unwrap();
}
