//! Patient-history latency on a store the access-log benchmark kept (`bench … --keep`):
//! `cargo run --release -p anzen-accesslog --example query_latency -- --db DIR/anzen.db
//! [--queries 1000] [--seed 99] [--cache-kib 262144]`, or on PostgreSQL `--db postgres://…
//! --schema bench_anzen_…` (the name the benchmark printed).
//!
//! Queries alternate between reading through idle pooled connections at once and through
//! one connection (patients picked as the benchmark picks them, from `--seed`) and
//! print p50 / p90 / p99 of each, the pages this process read from the disk per query
//! (`/proc/self/io`, SQLite) and, on PostgreSQL, the buffers per query each access-log table
//! read from outside shared buffers. Drop the page cache first for a cold store
//! (`sync; echo 3 > /proc/sys/vm/drop_caches`).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use anzen_accesslog::bench::{pct, sample_patients};
use anzen_accesslog::{Filter, event_count, search};
use anzen_core::OrgId;
use anzen_store::{Backend, SqliteSync, Store, orgs};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> Result<()> {
    let (mut db, mut schema, mut queries, mut seed, mut cache_kib) =
        (String::new(), None, 1000usize, 99u64, 0i64);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => db = v.clone(),
            "--schema" => schema = Some(v.clone()),
            "--queries" => queries = v.parse()?,
            "--seed" => seed = v.parse()?,
            "--cache-kib" => cache_kib = v.parse()?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let store = match &schema {
        Some(s) => Store::open_postgres_schema(&db, s)?,
        None => Store::open_with(&db, SqliteSync::Normal)?,
    };
    if cache_kib > 0 && store.backend() == Backend::Sqlite {
        // Every pooled connection gets the cache size (held at once so each is a new one).
        let mut held = Vec::new();
        while let Some(mut c) = store.try_conn() {
            c.batch(&format!("PRAGMA cache_size=-{cache_kib}"))?;
            held.push(c);
        }
    }
    let org = store
        .read(|c| orgs::get(c, OrgId(1)))?
        .ok_or("no organisation 1: not a store the benchmark kept")?;
    let events = store.read(|c| event_count(c, &org))?;
    let before = buffers_read(&store)?;
    let disk_before = read_bytes()?;
    let mut lat: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for (i, p) in sample_patients(events, seed, queries)
        .into_iter()
        .enumerate()
    {
        let f = Filter {
            patient: Some(p),
            ..Filter::default()
        };
        let pool = (i % 2 == 0).then_some(&store);
        let t = Instant::now();
        let page = store.read(|c| search(c, pool, &org, &f, 0, 1000))?;
        lat[i % 2].push(t.elapsed());
        std::hint::black_box(page);
    }
    let disk_pages = (read_bytes()? - disk_before) as f64 / 4096.0 / queries.max(1) as f64;
    for (name, l) in ["parallel", "one connection"].iter().zip(&mut lat) {
        l.sort_unstable();
        let p = |q: f64| pct(l, q).as_secs_f64() * 1e3;
        println!(
            "{name}: {} queries, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
            l.len(),
            p(0.5),
            p(0.9),
            p(0.99)
        );
    }
    println!("pages read from the disk by this process per query: {disk_pages:.1}");
    for ((table, a), (_, b)) in before.iter().zip(buffers_read(&store)?) {
        let per = |x: i64, y: i64| (y - x) as f64 / queries.max(1) as f64;
        println!(
            "{table}: heap {:.1}, index {:.1} buffers read per query",
            per(a.0, b.0),
            per(a.1, b.1)
        );
    }
    Ok(())
}

/// This process's bytes read from the storage layer (Linux).
fn read_bytes() -> Result<u64> {
    let io = std::fs::read_to_string("/proc/self/io")?;
    let line = io
        .lines()
        .find_map(|l| l.strip_prefix("read_bytes:"))
        .ok_or("no read_bytes in /proc/self/io")?;
    Ok(line.trim().parse()?)
}

/// PostgreSQL: heap and index blocks read into shared buffers so far, per access-log table.
fn buffers_read(store: &Store) -> Result<Vec<(String, (i64, i64))>> {
    if store.backend() != Backend::Postgres {
        return Ok(Vec::new());
    }
    let rows = store.read(|c| {
        c.query(
            "SELECT relname::text, COALESCE(heap_blks_read, 0), COALESCE(idx_blks_read, 0) \
             FROM pg_statio_user_tables WHERE schemaname = current_schema() \
             AND relname LIKE 'access%' ORDER BY relname",
            anzen_store::params![],
        )
    })?;
    rows.iter()
        .map(|r| Ok((r.string(0)?, (r.i64(1)?, r.i64(2)?))))
        .collect()
}
