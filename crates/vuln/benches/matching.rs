//! Matching benchmark at a small scale (the full-scale run is
//! `cargo run --release -p anzen-vuln --example bench_feed`): 20,000 synthetic CVEs,
//! 1,000 assets, the index (`CveIndex::findings`) beside the naive scan of every CVE per
//! asset (the baseline, over 20 of the assets), plus `parse_feed` of the feed (MB/s).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use anzen_vuln::alias::AliasTable;
use anzen_vuln::bench::{SEED, VULNERABLE_EVERY, naive_findings};
use anzen_vuln::cpe::Cpe;
use anzen_vuln::feeds::{FeedData, parse_feed};
use anzen_vuln::matcher::CveIndex;
use anzen_vuln::synth;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CVES: usize = 20_000;
const ASSETS: usize = 1_000;
const NAIVE_SAMPLE: usize = 20;

fn matching(c: &mut Criterion) {
    let bytes = synth::nvd_feed(CVES, SEED);
    let FeedData::Nvd(records) = parse_feed(&bytes).unwrap().data else {
        panic!("not NVD");
    };
    let kev = synth::kev_catalog(CVES);
    let table = AliasTable::builtin().unwrap();
    let assets: Vec<Vec<Cpe>> = synth::assets(ASSETS, VULNERABLE_EVERY, SEED)
        .iter()
        .map(|a| table.derive(&a.description).unwrap().names())
        .collect();
    let index = CveIndex::new(&records);
    // Every 50th asset, shifted so that planted and clean rows are both in the sample.
    let sample: Vec<&Vec<Cpe>> = (0..NAIVE_SAMPLE)
        .map(|k| &assets[(k * ASSETS / NAIVE_SAMPLE + k % 3).min(ASSETS - 1)])
        .collect();
    for a in &sample {
        assert_eq!(
            index.findings(Some(&kev), a),
            naive_findings(&records, Some(&kev), a)
        );
    }

    let mut g = c.benchmark_group("vuln_matching");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(ASSETS as u64));
    g.bench_function("index_1000_assets_20000_cves", |b| {
        b.iter(|| {
            for a in &assets {
                black_box(index.findings(Some(&kev), a));
            }
        })
    });
    g.throughput(Throughput::Elements(NAIVE_SAMPLE as u64));
    g.bench_function("index_20_sampled_assets", |b| {
        b.iter(|| {
            for a in &sample {
                black_box(index.findings(Some(&kev), a));
            }
        })
    });
    g.bench_function("naive_20_sampled_assets_baseline", |b| {
        b.iter(|| {
            for a in &sample {
                black_box(naive_findings(&records, Some(&kev), a));
            }
        })
    });
    g.throughput(Throughput::Elements(CVES as u64));
    g.bench_function("build_index_20000_cves", |b| {
        b.iter(|| black_box(CveIndex::new(&records)))
    });
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse_feed_20000_cves", |b| {
        b.iter(|| black_box(parse_feed(&bytes).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
