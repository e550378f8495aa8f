//! Ledger benchmarks.
//!
//! (a) full verification of N 200-byte entries (bytes/s), next to raw SHA-256 over the
//!     same bytes concatenated — the issue's target is >= 50 % of `openssl dgst -sha256`;
//!     set `ANZEN_BENCH_DUMP=path` to write those bytes to a file for `openssl dgst`;
//! (b) inclusion-proof generation and verification at 10 million entries, from a source
//!     that stores only level-8k hashes and recomputes level-0 tiles on demand (as the
//!     real store does from entry bundles).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use anzen_ledger::proof::inclusion_proof;
use anzen_ledger::{
    Checkpoint, Entry, Frontier, Hash, HashSource, LedgerError, Params, SigningKey, StoredNode,
    leaf_hash, note_hash, verify_inclusion, verify_log,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "bench.anzen/ledger/org-1";
const ENTRY_LEN: usize = 200;

struct Log {
    rows: Vec<(u64, Vec<u8>)>,
    checkpoints: Vec<String>,
    head: (u64, Hash),
}

fn build_log(n: u64, key: &SigningKey) -> Log {
    let mut rows = Vec::with_capacity(n as usize);
    let mut f = Frontier::new();
    let mut prev = Hash::ZERO;
    let mut checkpoints: Vec<String> = Vec::new();
    for seq in 0..n {
        let mut e = Entry {
            seq,
            prev,
            time_us: 1_750_000_000_000_000 + seq as i64 * 1000,
            org: "org-0001".into(),
            author: format!("user-{:03}", seq % 1000),
            kind: "access.read".into(),
            payload: Vec::new(),
        };
        let pad = ENTRY_LEN - e.encoded_len();
        let mut payload = format!(
            r#"{{"patient":"{:08x}","pad":""#,
            seq.wrapping_mul(2654435761)
        );
        payload.push_str(&"x".repeat(pad - payload.len() - 2));
        payload.push_str("\"}");
        e.payload = payload.into_bytes();
        let bytes = e.encode();
        assert_eq!(bytes.len(), ENTRY_LEN);
        prev = leaf_hash(&bytes);
        f.push_leaf(prev);
        rows.push((seq, bytes));
        if f.size().is_multiple_of(10_000) {
            let cp = Checkpoint {
                origin: ORIGIN.into(),
                size: f.size(),
                root: f.root(),
                prev: checkpoints.last().map(|t| note_hash(t)),
                time_unix: 1_750_000_000 + seq as i64,
            };
            checkpoints.push(cp.sign(key));
        }
    }
    Log {
        rows,
        checkpoints,
        head: (f.size(), f.root()),
    }
}

fn bench_verify(c: &mut Criterion) {
    let key = SigningKey::from_seed("bench.anzen", &[1; 32]).unwrap();
    let vk = key.verifier_key();
    let n = 200_000u64;
    let log = build_log(n, &key);
    let total = (n as usize * ENTRY_LEN) as u64;
    let concat: Vec<u8> = log.rows.iter().flat_map(|r| r.1.iter().copied()).collect();
    if let Ok(path) = std::env::var("ANZEN_BENCH_DUMP") {
        std::fs::write(&path, &concat).unwrap();
        eprintln!("wrote {} bytes to {path}", concat.len());
    }
    // Best-of-N wall times: on a shared machine the minimum is the least disturbed run.
    let best = |f: &mut dyn FnMut()| {
        (0..15)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    let gbs = |d: Duration| total as f64 / d.as_secs_f64() / 1e9;
    let raw = best(&mut || {
        black_box(Sha256::digest(black_box(&concat)));
    });
    eprintln!(
        "best-of-15: sha2 SHA-256 over the {total} concatenated bytes: {:.3} GB/s",
        gbs(raw)
    );
    for threads in [1usize, 2] {
        let d = best(&mut || {
            let mut p = Params::new(ORIGIN, &vk, &log.checkpoints);
            p.head = Some(log.head);
            p.threads = threads;
            let r = verify_log(&p, log.rows.iter().map(|(i, b)| (*i, b.as_slice())));
            assert!(r.is_ok());
        });
        eprintln!(
            "best-of-15: verify_log {n} x {ENTRY_LEN} B, {threads} thread(s): {:.3} GB/s ({:.0} % of sha2 raw)",
            gbs(d),
            100.0 * raw.as_secs_f64() / d.as_secs_f64()
        );
    }

    let mut g = c.benchmark_group("verify_200B_entries");
    g.throughput(Throughput::Bytes(total));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    for threads in [1usize, 2] {
        g.bench_function(format!("verify_log_{n}_threads_{threads}"), |b| {
            b.iter(|| {
                let mut p = Params::new(ORIGIN, &vk, &log.checkpoints);
                p.head = Some(log.head);
                p.threads = threads;
                let r = verify_log(&p, log.rows.iter().map(|(i, b)| (*i, b.as_slice())));
                assert!(r.is_ok());
                black_box(r.root)
            })
        });
    }
    g.bench_function("sha2_sha256_concatenated", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&concat))))
    });
    g.bench_function("leaf_hashes_only_1_thread", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for r in &log.rows {
                acc ^= leaf_hash(&r.1).0[0];
            }
            black_box(acc)
        })
    });
    g.finish();
}

/// Stores only levels 8, 16, 24, ...; level 0 is recomputed (here: leaf i =
/// `leaf_hash(i as u64 BE)`), like a store recomputing leaf hashes from an entry bundle.
struct TiledSource {
    size: u64,
    levels: Vec<Vec<Hash>>, // levels[q] = level 8q, q >= 1 (levels[0] unused)
    calls: usize,
}

fn synthetic_leaf(i: u64) -> Hash {
    leaf_hash(&i.to_be_bytes())
}

impl TiledSource {
    fn build(size: u64) -> TiledSource {
        let mut f = Frontier::new();
        let mut levels: Vec<Vec<Hash>> = vec![Vec::new(); 8];
        let mut done: Vec<StoredNode> = Vec::new();
        for i in 0..size {
            f.push(synthetic_leaf(i), &mut done);
            for n in done.drain(..) {
                let q = usize::from(n.level / 8);
                assert_eq!(levels[q].len() as u64, n.index);
                levels[q].push(n.hash);
            }
        }
        TiledSource {
            size,
            levels,
            calls: 0,
        }
    }
}

impl HashSource for TiledSource {
    type Error = LedgerError;
    fn hashes(&mut self, level: u8, start: u64, end: u64) -> Result<Vec<Hash>, LedgerError> {
        self.calls += 1;
        if level == 0 {
            if end > self.size {
                return Err(LedgerError::OutOfRange("beyond size".into()));
            }
            return Ok((start..end).map(synthetic_leaf).collect());
        }
        let v = &self.levels[usize::from(level / 8)];
        Ok(v[start as usize..end as usize].to_vec())
    }
}

fn bench_proofs(c: &mut Criterion) {
    let size = 10_000_000u64;
    let t = Instant::now();
    let mut src = TiledSource::build(size);
    let root = anzen_ledger::root_at(size, &mut src).unwrap();
    eprintln!(
        "built level-8k hashes for {size} leaves in {:.2?} ({} level-8, {} level-16 hashes)",
        t.elapsed(),
        src.levels[1].len(),
        src.levels[2].len()
    );
    let mut calls = Vec::new();
    for index in [0, 1_234_567, 9_999_999, 5_000_000] {
        src.calls = 0;
        let p = inclusion_proof(index, size, &mut src).unwrap();
        calls.push((index, src.calls, p.len()));
    }
    eprintln!("source calls per inclusion proof (index, calls, proof len): {calls:?}");

    let mut g = c.benchmark_group("proof_10M");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    g.bench_function("inclusion_proof_generate", |b| {
        b.iter(|| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let index = rng % size;
            black_box(inclusion_proof(index, size, &mut src).unwrap())
        })
    });
    let index = 7_654_321u64;
    let proof = inclusion_proof(index, size, &mut src).unwrap();
    let leaf = synthetic_leaf(index);
    g.bench_function("inclusion_proof_verify", |b| {
        b.iter(|| {
            verify_inclusion(black_box(&leaf), index, size, black_box(&proof), &root).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_verify, bench_proofs);
criterion_main!(benches);
