//! The access-log benchmark (`anzen bench access-log`, or
//! `cargo run --release -p anzen-accesslog --example bench -- --events N`): ingest with the
//! ledger commitment and the segment indexes, beside two baselines measured in the same run
//! on the same backend and the same generated events:
//! * (a) plain append: the same event rows (same bytes) into a table without any index —
//!   the storage engine's limit;
//! * (b) naive: the events as columns into a table with B-tree indexes on patient, user and
//!   time (stopped after `naive_max_secs`, its rate so far reported);
//!
//! then patient-history query latency (p50/p99) on both, bytes on disk per event, the file
//! import path (parse + append) and the access-log verification rate. Never used in tests
//! for timing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anzen_core::OrgKind;
use anzen_ingest::{AccessAction, AccessEvent, AccessResult, Choice};
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::{Backend, SqliteSync, Store};

use crate::codec;
use crate::import::{self, ImportSource};
use crate::{Filter, append_batch};

/// Any failure of the benchmark run.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BenchError>;

/// Which backend to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchStore {
    Sqlite,
    Postgres,
}

/// Parameters of a run.
#[derive(Debug, Clone)]
pub struct BenchParams {
    /// Events ingested (each measurement gets the same events).
    pub events: u64,
    pub store: BenchStore,
    /// PostgreSQL server for `BenchStore::Postgres` (schemas are created and dropped).
    pub postgres: String,
    /// Events per append batch (one ledger entry each).
    pub batch: usize,
    /// Stop the naive baseline after this many seconds (its rate so far is reported).
    pub naive_max_secs: u64,
    /// Events in the generated file for the file-import measurement (0 = skip).
    pub file_events: u64,
    /// Patient-history queries for the latency percentiles.
    pub queries: usize,
    /// Of those, how many are also run on the naive baseline (each scans its B-tree: about a
    /// second at a few million rows).
    pub naive_queries: usize,
    /// Directory for the SQLite files (default: a temporary directory, removed after).
    pub dir: Option<PathBuf>,
    /// Keep the measured anzen store (the SQLite file in `dir`, or the PostgreSQL schema,
    /// whose name goes to stderr) for looking at it afterwards.
    pub keep: bool,
    /// Ingest over syslog TCP, measured by the binary that has the receiver (this crate
    /// does not depend on it): given a fresh store, an organisation and the events, sends
    /// them and returns the time until all are stored. Uses `file_events` events.
    pub syslog_tcp: Option<IngestPath>,
}

/// Another ingest path measured on the same events (see [`BenchParams::syslog_tcp`]).
pub type IngestPath = fn(&Store, &Org, Vec<AccessEvent>) -> Result<Duration>;

impl Default for BenchParams {
    fn default() -> Self {
        BenchParams {
            events: 1_000_000,
            store: BenchStore::Sqlite,
            postgres: "postgres://postgres@127.0.0.1:5432/test".to_owned(),
            batch: 10_000,
            naive_max_secs: 900,
            file_events: 1_000_000,
            queries: 1000,
            naive_queries: 100,
            dir: None,
            keep: false,
            syslog_tcp: None,
        }
    }
}

/// Deterministic synthetic events: one year of a hospital's EHR log, `patients` patients
/// (about 50 events each), 2,000 users, 6 systems.
struct Gen {
    state: u64,
    n: u64,
    patients: u64,
    t0: i64,
    step_us: i64,
}

const SYSTEMS: [&str; 6] = [
    "電子カルテ",
    "オーダリング",
    "PACS",
    "レセコン",
    "検査システム",
    "薬剤システム",
];

impl Gen {
    fn new(n: u64, seed: u64) -> Gen {
        let year_us = 365 * 86_400 * 1_000_000i64;
        Gen {
            state: seed | 1,
            n,
            patients: (n / 50).max(1000),
            t0: 1_743_433_200_000_000, // 2025-04-01 00:00 JST
            step_us: (year_us / i64::try_from(n.max(1)).unwrap_or(1)).max(1),
        }
    }
    fn next_u64(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn patient(&mut self) -> String {
        format!("{:08}", self.next_u64() % self.patients)
    }
    fn event(&mut self, k: u64) -> AccessEvent {
        let r = self.next_u64();
        let action = match r % 100 {
            0..=69 => AccessAction::View,
            70..=84 => AccessAction::Update,
            85..=89 => AccessAction::Create,
            90..=93 => AccessAction::Print,
            94..=95 => AccessAction::Export,
            96..=97 => AccessAction::Login,
            98 => AccessAction::Logout,
            _ => AccessAction::Delete,
        };
        let patient =
            (!matches!(action, AccessAction::Login | AccessAction::Logout)).then(|| self.patient());
        let jitter = i64::try_from(r >> 40).unwrap_or(0) % 60_000_000;
        AccessEvent {
            time_us: self.t0 + i64::try_from(k).unwrap_or(0) * self.step_us - jitter,
            system: SYSTEMS[((r >> 8) % 6) as usize].to_owned(),
            user: format!("u{:05}", (r >> 16) % 2000),
            patient,
            action,
            result: Some(AccessResult::Success),
            terminal: Some(format!("PC-{:03}", (r >> 28) % 400)),
            detail: None,
        }
    }
    fn batch(&mut self, from: u64, len: usize) -> Vec<AccessEvent> {
        (from..(from + len as u64).min(self.n))
            .map(|k| self.event(k))
            .collect()
    }
}

struct Stores {
    _tmp: Option<tempfile::TempDir>,
    dir: PathBuf,
    pg_schemas: Vec<String>,
    args_pg: String,
}

impl Stores {
    fn open(&mut self, args: &BenchParams, name: &str) -> Result<Store> {
        match args.store {
            BenchStore::Sqlite => {
                let p = self.dir.join(format!("{name}.db"));
                let _ = std::fs::remove_file(&p);
                Ok(Store::open_with(&p.to_string_lossy(), SqliteSync::Normal)?)
            }
            BenchStore::Postgres => {
                let schema = format!("bench_{name}_{}", anzen_store::random_hex(4));
                self.pg_schemas.push(schema.clone());
                Ok(Store::open_postgres_schema(&self.args_pg, &schema)?)
            }
        }
    }

    /// Bytes on disk of the named store (SQLite: the file after a WAL checkpoint;
    /// PostgreSQL: the total relation size of the schema's tables).
    fn bytes(&self, store: &Store, name: &str) -> Result<u64> {
        let mut c = store.conn()?;
        match store.backend() {
            Backend::Sqlite => {
                c.batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
                let p = self.dir.join(format!("{name}.db"));
                let wal = self.dir.join(format!("{name}.db-wal"));
                Ok(std::fs::metadata(&p)?.len() + std::fs::metadata(&wal).map_or(0, |m| m.len()))
            }
            Backend::Postgres => {
                let r = c.query_one(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                    &[],
                )?;
                Ok(u64::try_from(r.i64(0)?).unwrap_or(0))
            }
        }
    }
}

impl Stores {
    /// Deletes a measured baseline (SQLite: its files; PostgreSQL: its schema), so that the
    /// page cache serves the store being measured next rather than a baseline nobody reads
    /// any more.
    fn remove(&mut self, name: &str) {
        for suffix in ["db", "db-wal", "db-shm"] {
            let _ = std::fs::remove_file(self.dir.join(format!("{name}.{suffix}")));
        }
        let prefix = format!("bench_{name}_");
        let (gone, kept): (Vec<String>, Vec<String>) = std::mem::take(&mut self.pg_schemas)
            .into_iter()
            .partition(|s| s.starts_with(&prefix));
        self.pg_schemas = kept;
        drop_schemas(&self.args_pg, &gone);
    }
}

fn drop_schemas(url: &str, schemas: &[String]) {
    if schemas.is_empty() {
        return;
    }
    if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
        for s in schemas {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"));
        }
    }
}

impl Drop for Stores {
    fn drop(&mut self) {
        drop_schemas(&self.args_pg, &self.pg_schemas);
    }
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// `n` patients of the generator for a run of `events` events, as the benchmark picks them
/// for its queries (`seed` 99 for the first round); also for `examples/query_latency.rs` on
/// a store a run kept.
pub fn sample_patients(events: u64, seed: u64, n: usize) -> Vec<String> {
    let mut g = Gen::new(events, seed);
    (0..n).map(|_| g.patient()).collect()
}

/// The `p` quantile of sorted latencies.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn fmt_int(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Runs the benchmark; progress goes to stderr, the Markdown report is returned.
pub fn run(args: &BenchParams) -> Result<String> {
    let (tmp, dir) = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::tempdir()?;
            let d = t.path().to_path_buf();
            (Some(t), d)
        }
    };
    let mut stores = Stores {
        _tmp: tmp,
        dir,
        pg_schemas: Vec::new(),
        args_pg: args.postgres.clone(),
    };
    let n = args.events;
    let backend = match args.store {
        BenchStore::Sqlite => "SQLite (WAL, synchronous=NORMAL)",
        BenchStore::Postgres => "PostgreSQL",
    };
    eprintln!(
        "bench access-log: {n} events, batches of {}, {backend}",
        args.batch
    );

    // (a) plain append of the same rows, no index at all.
    let plain = stores.open(args, "plain")?;
    plain.write(|c| {
        c.batch("CREATE TABLE bench_plain (org_id BIGINT NOT NULL, seq BIGINT NOT NULL, ev BYTEA NOT NULL)")
    })?;
    let mut g = Gen::new(n, 7);
    let mut t_plain = Duration::ZERO;
    let mut k = 0u64;
    while k < n {
        let b = g.batch(k, args.batch);
        let mut buf = Vec::with_capacity(b.len() * 100);
        let mut ends = Vec::with_capacity(b.len());
        // The same rows as the store writes: each event's stored bytes.
        let mut one = Vec::with_capacity(128);
        for (j, e) in b.iter().enumerate() {
            one.clear();
            codec::encode_into(&mut one, k + j as u64, e);
            buf.extend_from_slice(codec::stored(&one));
            ends.push(buf.len());
        }
        let t = Instant::now();
        plain.write(|c| plain_insert(c, k, &buf, &ends))?;
        t_plain += t.elapsed();
        k += b.len() as u64;
        progress("plain", k, n);
    }
    let plain_rate = rate(n, t_plain);
    eprintln!(
        "\n[done] (a) plain append: {} events/s",
        fmt_int(plain_rate)
    );
    let plain_bytes = stores.bytes(&plain, "plain")?;
    drop(plain);
    stores.remove("plain");

    // anzen: ledger commitment + segment indexes.
    let store = stores.open(args, "anzen")?;
    if args.keep {
        match stores.pg_schemas.pop() {
            Some(kept) => eprintln!("keeping PostgreSQL schema {kept}"),
            None if args.dir.is_none() => {
                eprintln!(
                    "--keep: give --dir too, or the SQLite file goes with its temporary directory"
                )
            }
            None => {}
        }
    }
    let org = store.write(|c| orgs::create(c, &OrgProfile::new("bench", OrgKind::Hospital)))?;
    let mut g = Gen::new(n, 7);
    let mut t_ours = Duration::ZERO;
    let mut k = 0u64;
    // Rate over the last 10 % of the events (does it hold as the store grows?).
    let mut t_last = Duration::ZERO;
    let last_from = n - n / 10;
    while k < n {
        let b = g.batch(k, args.batch);
        let t = Instant::now();
        append_batch(&store, &org, "bench", &b)?;
        let d = t.elapsed();
        t_ours += d;
        if k >= last_from {
            t_last += d;
        }
        k += b.len() as u64;
        progress("anzen", k, n);
    }
    let ours_rate = rate(n, t_ours);
    eprintln!(
        "\n[done] anzen ingest: {} events/s ({:.0} % of plain)",
        fmt_int(ours_rate),
        100.0 * ours_rate / plain_rate
    );
    let ours_last_rate = rate(n - last_from, t_last);

    // Patient-history queries on anzen: a first round right after the ingest (what is in
    // the page cache is whatever the ingest left there), then a second round of other
    // patients once the first has warmed the index pages (the steady state of a server).
    // Within a round, queries alternate between reading through idle pooled connections at
    // once (what the server does) and through one connection, so both see the same cache.
    let mut patients = sample_patients(n, 99, 2 * args.queries);
    let second = patients.split_off(args.queries);
    let mut hits = 0u64;
    let mut rounds = Vec::new();
    for (round, list) in [&patients, &second].into_iter().enumerate() {
        let mut lat = [Vec::new(), Vec::new()];
        for (i, p) in list.iter().enumerate() {
            let f = Filter {
                patient: Some(p.clone()),
                ..Filter::default()
            };
            let pool = (i % 2 == 0).then_some(&store);
            let t = Instant::now();
            let page = store.read(|c| crate::search(c, pool, &org, &f, 0, 1000))?;
            lat[i % 2].push(t.elapsed());
            hits += page.events.len() as u64;
        }
        for l in &mut lat {
            l.sort_unstable();
        }
        eprintln!(
            "[done] patient history round {}: p50 / p99 parallel {} / {}, one connection {} / {}",
            round + 1,
            ms(pct(&lat[0], 0.5)),
            ms(pct(&lat[0], 0.99)),
            ms(pct(&lat[1], 0.5)),
            ms(pct(&lat[1], 0.99))
        );
        rounds.push(lat);
    }
    let [lat, lat_one] = rounds.remove(0);
    let [lat2, lat2_one] = rounds.remove(0);
    hits /= 2;
    let usage = store.read(|c| crate::disk_usage(c, &org))?;
    let t = Instant::now();
    let v = store.read(|c| crate::verify(c, &org))?;
    let t_verify = t.elapsed();
    eprintln!("[done] verification: {:.1} s", t_verify.as_secs_f64());
    if !v.ok() {
        return Err(format!("verification failed: {:?}", v.problems).into());
    }
    let ours_bytes = stores.bytes(&store, "anzen")?;

    // File import: parse + append, into a second organisation of the same store.
    let mut file_row = None;
    if args.file_events > 0 {
        let fe = args.file_events;
        let path = stores.dir.join("bench-access-log.csv");
        {
            use std::io::Write;
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
            writeln!(w, "日時,システム,アカウントID,患者ID,操作,結果,端末")?;
            let mut g = Gen::new(fe, 11);
            for k in 0..fe {
                let e = g.event(k);
                let t = jiff::Timestamp::from_microsecond(e.time_us)?
                    .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)));
                writeln!(
                    w,
                    "{},{},{},{},{},成功,{}",
                    t.strftime("%Y-%m-%d %H:%M:%S"),
                    e.system,
                    e.user,
                    e.patient.as_deref().unwrap_or(""),
                    e.action.ja(),
                    e.terminal.as_deref().unwrap_or("")
                )?;
            }
        }
        let size = std::fs::metadata(&path)?.len();
        let org2 =
            store.write(|c| orgs::create(c, &OrgProfile::new("bench-file", OrgKind::Hospital)))?;
        let sha = import::sha256_of(std::fs::File::open(&path)?)?;
        let t = Instant::now();
        let out = import::import_reader(
            &store,
            &org2,
            ImportSource {
                file_name: "bench-access-log.csv",
                sha256: &sha,
                origin: "bench",
                actor: "bench",
            },
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?),
            &mut |_| {},
        )?;
        let d = t.elapsed();
        if out.events != fe || out.quarantined != 0 {
            return Err(format!("file import: {out:?}").into());
        }
        let _ = std::fs::remove_file(&path);
        file_row = Some((fe, size, d));
        eprintln!("[done] file import: {} events/s", fmt_int(rate(fe, d)));
    }
    // syslog TCP: the receiver parses and maps, the store appends, into a third organisation.
    let mut syslog_row = None;
    if let (Some(ingest), true) = (args.syslog_tcp, args.file_events > 0) {
        let fe = args.file_events;
        let org3 = store
            .write(|c| orgs::create(c, &OrgProfile::new("bench-syslog", OrgKind::Hospital)))?;
        let events = Gen::new(fe, 13).batch(0, usize::try_from(fe).unwrap_or(usize::MAX));
        let d = ingest(&store, &org3, events)?;
        let stored = store.read(|c| crate::event_count(c, &org3))?;
        if stored != fe {
            return Err(format!("syslog: {stored} of {fe} events stored").into());
        }
        syslog_row = Some((fe, d));
        eprintln!("[done] syslog TCP: {} events/s", fmt_int(rate(fe, d)));
    }
    drop(store);

    // (b) naive: columns + B-tree indexes on patient, user, time.
    let naive = stores.open(args, "naive")?;
    naive.write(|c| {
        c.batch(
            "CREATE TABLE bench_naive (org_id BIGINT NOT NULL, seq BIGINT NOT NULL, time_us BIGINT NOT NULL, \
             system TEXT NOT NULL, account TEXT NOT NULL, patient TEXT, action BIGINT NOT NULL, result BIGINT, \
             terminal TEXT, detail TEXT); \
             CREATE INDEX bench_naive_patient ON bench_naive (org_id, patient); \
             CREATE INDEX bench_naive_user ON bench_naive (org_id, account); \
             CREATE INDEX bench_naive_time ON bench_naive (org_id, time_us)",
        )
    })?;
    let mut g = Gen::new(n, 7);
    let mut t_naive = Duration::ZERO;
    let mut k = 0u64;
    let cap = Duration::from_secs(args.naive_max_secs);
    let mut t_naive_last = (0u64, Duration::ZERO);
    while k < n && t_naive < cap {
        let b = g.batch(k, args.batch);
        let t = Instant::now();
        naive.write(|c| naive_insert(c, k, &b))?;
        let d = t.elapsed();
        t_naive += d;
        // Rate of the last tenth of what was reached.
        t_naive_last = if t_naive_last.1 > cap / 10 {
            (b.len() as u64, d)
        } else {
            (t_naive_last.0 + b.len() as u64, t_naive_last.1 + d)
        };
        k += b.len() as u64;
        progress("naive", k, n);
    }
    let naive_n = k;
    let naive_rate = rate(naive_n, t_naive);
    let naive_last_rate = rate(t_naive_last.0, t_naive_last.1);
    let naive_patients = &patients[..args.naive_queries.min(patients.len())];
    let mut nlat = Vec::with_capacity(naive_patients.len());
    for p in naive_patients {
        let t = Instant::now();
        let rows = naive.read(|c| {
            c.query(
                "SELECT seq, time_us, system, account, patient, action, result, terminal, detail \
                 FROM bench_naive WHERE org_id = 1 AND patient = $1 ORDER BY time_us DESC LIMIT 1000",
                anzen_store::params![p.as_str()],
            )
        })?;
        nlat.push(t.elapsed());
        std::hint::black_box(rows);
    }
    nlat.sort_unstable();
    eprintln!(
        "[done] naive patient history p50 / p99: {} / {}",
        ms(pct(&nlat, 0.5)),
        ms(pct(&nlat, 0.99))
    );
    let naive_bytes = stores.bytes(&naive, "naive")?;
    drop(naive);
    stores.remove("naive");
    eprintln!();

    // Report.
    let mut out = String::new();
    macro_rules! outln {
        ($o:expr, $($t:tt)*) => {{
            $o.push_str(&format!($($t)*));
            $o.push('\n');
        }};
    }
    let date = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .date()
        .to_string();
    outln!(
        out,
        "Access-log benchmark, {date}: {n} events, batches of {}, {backend}.",
        args.batch
    );
    out.push('\n');
    outln!(out, "| measurement | anzen | baseline (same run) | ratio |");
    outln!(out, "| --- | ---: | --- | ---: |");
    outln!(
        out,
        "| ingest with ledger + segment indexes (events/s) | {} | (a) plain append of the same rows, no index: {} | **{:.0} %** |",
        fmt_int(ours_rate),
        fmt_int(plain_rate),
        100.0 * ours_rate / plain_rate
    );
    outln!(
        out,
        "| ingest, last 10 % of the events (events/s) | {} | (a) {} | {:.0} % |",
        fmt_int(ours_last_rate),
        fmt_int(plain_rate),
        100.0 * ours_last_rate / plain_rate
    );
    let naive_note = if naive_n < n {
        format!(
            " (stopped after {}s at {} rows; last tenth {})",
            args.naive_max_secs,
            fmt_int(naive_n as f64),
            fmt_int(naive_last_rate)
        )
    } else {
        format!(" (last tenth {})", fmt_int(naive_last_rate))
    };
    outln!(
        out,
        "| ingest (events/s) | {} | (b) naive insert, B-tree indexes on patient, user, time: {}{naive_note} | {:.1}× |",
        fmt_int(ours_rate),
        fmt_int(naive_rate),
        ours_rate / naive_rate
    );
    if let Some((fe, size, d)) = file_row {
        outln!(
            out,
            "| file import `anzen import access-log` path: CSV parse + append, {} events, {:.0} MB (events/s) | {} ({:.0} MB/s) | (a) {} | {:.0} % |",
            fmt_int(fe as f64),
            size as f64 / 1e6,
            fmt_int(rate(fe, d)),
            size as f64 / 1e6 / d.as_secs_f64(),
            fmt_int(plain_rate),
            100.0 * rate(fe, d) / plain_rate
        );
    }
    if let Some((fe, d)) = syslog_row {
        outln!(
            out,
            "| syslog TCP path: RFC 5424 octet-counted over one loopback connection → receiver (parse, map) → append, {} events (events/s) | {} | (a) {} | {:.0} % |",
            fmt_int(fe as f64),
            fmt_int(rate(fe, d)),
            fmt_int(plain_rate),
            100.0 * rate(fe, d) / plain_rate
        );
    }
    outln!(
        out,
        "| patient history p50 / p99, reading through idle pooled connections at once ({} queries right after the ingest, {:.1} hits avg, all hits up to 1,000) | {} / {} | through one connection ({} queries alternating with those): {} / {}; (b) naive at {} rows ({} queries): {} / {} | — |",
        lat.len(),
        hits as f64 / patients.len().max(1) as f64,
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        lat_one.len(),
        ms(pct(&lat_one, 0.5)),
        ms(pct(&lat_one, 0.99)),
        fmt_int(naive_n as f64),
        nlat.len(),
        ms(pct(&nlat, 0.5)),
        ms(pct(&nlat, 0.99))
    );
    outln!(
        out,
        "| patient history, second round of {} other patients (index pages warm) p50 / p99, parallel | {} / {} | through one connection ({} queries): {} / {} | — |",
        lat2.len(),
        ms(pct(&lat2, 0.5)),
        ms(pct(&lat2, 0.99)),
        lat2_one.len(),
        ms(pct(&lat2_one, 0.5)),
        ms(pct(&lat2_one, 0.99))
    );
    outln!(
        out,
        "| bytes on disk per event (events, postings, segments, batches, ledger) | {:.0} B | (a) {:.0} B; (b) {:.0} B at {} rows | {:.0} % of (a) |",
        ours_bytes as f64 / n as f64,
        plain_bytes as f64 / n as f64,
        naive_bytes as f64 / naive_n.max(1) as f64,
        fmt_int(naive_n as f64),
        100.0 * ours_bytes as f64 / plain_bytes.max(1) as f64
    );
    outln!(
        out,
        "| of which: event payload / postings payload per event | {:.1} B / {:.1} B ({} posting rows, {} segments) | — | — |",
        usage.event_bytes as f64 / n as f64,
        usage.posting_bytes as f64 / n as f64,
        fmt_int(usage.posting_rows as f64),
        usage.segments
    );
    outln!(
        out,
        "| access-log verification (re-hash every event against the ledger's batch roots) | {} events/s ({:.1} s) | — | — |",
        fmt_int(rate(v.events, t_verify)),
        t_verify.as_secs_f64()
    );
    Ok(out)
}

fn progress(what: &str, k: u64, n: u64) {
    let step = (n / 20).max(1);
    if k % step < 10_000 || k == n {
        eprint!("\r{what}: {k}/{n}        ");
    }
}

fn plain_insert(
    c: &mut anzen_store::Conn,
    first: u64,
    buf: &[u8],
    ends: &[usize],
) -> std::result::Result<(), anzen_store::StoreError> {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let rows = starts.zip(ends.iter().copied()).enumerate();
    match c {
        anzen_store::Conn::Sqlite(c) => {
            let mut stmt =
                c.prepare_cached("INSERT INTO bench_plain (org_id, seq, ev) VALUES (?1, ?2, ?3)")?;
            for (j, (a, b)) in rows {
                stmt.execute(rusqlite::params![
                    1i64,
                    (first + j as u64) as i64,
                    &buf[a..b]
                ])?;
            }
        }
        anzen_store::Conn::Postgres(c) => {
            let all: Vec<(i64, &[u8])> = rows
                .map(|(j, (a, b))| ((first + j as u64) as i64, &buf[a..b]))
                .collect();
            for chunk in all.chunks(20_000) {
                let (seqs, evs): (Vec<i64>, Vec<&[u8]>) = chunk.iter().copied().unzip();
                c.execute(
                    "INSERT INTO bench_plain (org_id, seq, ev) SELECT 1, * FROM unnest($1::bigint[], $2::bytea[])",
                    &[&seqs, &evs],
                )?;
            }
        }
    }
    Ok(())
}

fn naive_insert(
    c: &mut anzen_store::Conn,
    first: u64,
    b: &[AccessEvent],
) -> std::result::Result<(), anzen_store::StoreError> {
    match c {
        anzen_store::Conn::Sqlite(c) => {
            let mut stmt = c.prepare_cached(
                "INSERT INTO bench_naive (org_id, seq, time_us, system, account, patient, action, result, terminal, detail) \
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (j, e) in b.iter().enumerate() {
                stmt.execute(rusqlite::params![
                    (first + j as u64) as i64,
                    e.time_us,
                    e.system,
                    e.user,
                    e.patient,
                    i64::from(codec::action_code(e.action)),
                    e.result.map(|r| r as i64),
                    e.terminal,
                    e.detail
                ])?;
            }
        }
        anzen_store::Conn::Postgres(c) => {
            for (ci, chunk) in b.chunks(20_000).enumerate() {
                let base = first + (ci * 20_000) as u64;
                let seqs: Vec<i64> = (0..chunk.len()).map(|j| (base + j as u64) as i64).collect();
                let times: Vec<i64> = chunk.iter().map(|e| e.time_us).collect();
                let systems: Vec<&str> = chunk.iter().map(|e| e.system.as_str()).collect();
                let users: Vec<&str> = chunk.iter().map(|e| e.user.as_str()).collect();
                let patients: Vec<Option<&str>> =
                    chunk.iter().map(|e| e.patient.as_deref()).collect();
                let actions: Vec<i64> = chunk
                    .iter()
                    .map(|e| i64::from(codec::action_code(e.action)))
                    .collect();
                let results: Vec<Option<i64>> =
                    chunk.iter().map(|e| e.result.map(|r| r as i64)).collect();
                let terminals: Vec<Option<&str>> =
                    chunk.iter().map(|e| e.terminal.as_deref()).collect();
                let details: Vec<Option<&str>> =
                    chunk.iter().map(|e| e.detail.as_deref()).collect();
                c.execute(
                    "INSERT INTO bench_naive (org_id, seq, time_us, system, account, patient, action, result, terminal, detail) \
                     SELECT 1, * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])",
                    &[&seqs, &times, &systems, &users, &patients, &actions, &results, &terminals, &details],
                )?;
            }
        }
    }
    Ok(())
}
