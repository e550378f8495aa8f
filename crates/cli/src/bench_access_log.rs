//! `anzen bench access-log`: the access-log benchmark of `anzen_accesslog::bench` (ingest
//! with ledger and segment indexes vs a plain append and a naive B-tree-indexed insert,
//! patient-history latency, bytes per event), printed as the Markdown BENCHMARKS.md holds,
//! plus the syslog TCP path (the real receiver of `anzen serve` on loopback).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use anzen_accesslog::bench::{self, BenchParams, BenchStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreArg {
    Sqlite,
    Postgres,
}

#[derive(clap::Args, Debug)]
pub struct AccessLogBenchArgs {
    /// Events ingested (each measurement gets the same events).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    #[arg(long, value_enum, default_value = "sqlite")]
    pub store: StoreArg,
    /// PostgreSQL server for `--store postgres` (schemas are created and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres: String,
    /// Events per append batch (one ledger entry each).
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Stop the naive baseline after this many seconds (its rate so far is reported).
    #[arg(long, default_value_t = 900)]
    pub naive_max_secs: u64,
    /// Events in the generated file for the file-import measurement (0 = skip).
    #[arg(long, default_value_t = 1_000_000)]
    pub file_events: u64,
    /// Patient-history queries for the latency percentiles.
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Of those, how many are also run on the naive baseline (each scans its B-tree: about a
    /// second at a few million rows).
    #[arg(long, default_value_t = 100)]
    pub naive_queries: usize,
    /// Directory for the SQLite files (default: a temporary directory, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the measured store (the SQLite file in `--dir`, or the PostgreSQL schema, whose
    /// name is printed) for looking at it afterwards.
    #[arg(long)]
    pub keep: bool,
}

pub fn run(a: AccessLogBenchArgs) -> Result<ExitCode> {
    let report = bench::run(&BenchParams {
        events: a.events,
        store: match a.store {
            StoreArg::Sqlite => BenchStore::Sqlite,
            StoreArg::Postgres => BenchStore::Postgres,
        },
        postgres: a.postgres,
        batch: a.batch,
        naive_max_secs: a.naive_max_secs,
        file_events: a.file_events,
        queries: a.queries,
        naive_queries: a.naive_queries,
        dir: a.dir,
        keep: a.keep,
        syslog_tcp: Some(syslog_tcp),
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// The syslog TCP ingest path as `anzen serve` runs it: the events are written as RFC 5424
/// messages (octet-counted, SD-PARAMs) into one loopback TCP connection as fast as the
/// receiver takes them; the receiver parses and maps them and every batch is appended in a
/// transaction of its own (`crate::syslog::store_batch`). Returns the time from the first
/// byte sent until the last event is stored.
fn syslog_tcp(
    store: &anzen_store::Store,
    org: &anzen_store::orgs::Org,
    events: Vec<anzen_ingest::AccessEvent>,
) -> Result<std::time::Duration, bench::BenchError> {
    use anzen_ingest::Choice;
    use std::io::Write;
    let n = events.len();
    let mut wire = Vec::with_capacity(n * 220);
    let jst = jiff::tz::TimeZone::fixed(jiff::tz::offset(9));
    for e in &events {
        let t = jiff::Timestamp::from_microsecond(e.time_us)?.to_zoned(jst.clone());
        let mut sd = format!(
            "[access@32473 system=\"{}\" user=\"{}\" action=\"{}\" result=\"成功\"",
            e.system,
            e.user,
            e.action.ja()
        );
        if let Some(p) = &e.patient {
            sd.push_str(&format!(" patient=\"{p}\""));
        }
        if let Some(term) = &e.terminal {
            sd.push_str(&format!(" terminal=\"{term}\""));
        }
        sd.push(']');
        let msg = format!(
            "<134>1 {} ehr-01 ehr - - {sd}",
            t.strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
        );
        write!(wire, "{} {msg}", msg.len())?;
    }
    let cfg = anzen_syslog::Config::from_toml(
        r#"
batch_size = 10000
batch_delay_ms = 50
[listen]
tcp = "127.0.0.1:0"
[[source]]
name = "bench"
sd_id = "access@32473"
[source.fields]
system = "system"
"#,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let receiver = anzen_syslog::Receiver::start(cfg, tx).await?;
        let addr = receiver.tcp_addr().ok_or("no TCP listener")?;
        let started = std::time::Instant::now();
        let sender = std::thread::spawn(move || -> std::io::Result<()> {
            let mut s = std::net::TcpStream::connect(addr)?;
            s.write_all(&wire)?;
            s.flush()
        });
        let mut stored = 0usize;
        while stored < n {
            let Some(batch) = rx.recv().await else { break };
            if !batch.quarantined.is_empty() {
                return Err(format!(
                    "syslog bench: {} messages quarantined, e.g. {:?}",
                    batch.quarantined.len(),
                    batch.quarantined.first().map(|q| q.reason_ja())
                )
                .into());
            }
            stored += batch.events.len();
            let (s, o) = (store.clone(), org.clone());
            tokio::task::spawn_blocking(move || crate::syslog::store_batch(&s, &o, batch))
                .await??;
        }
        let elapsed = started.elapsed();
        sender.join().map_err(|_| "sender thread panicked")??;
        receiver.shutdown().await;
        Ok::<_, bench::BenchError>(elapsed)
    })
}
