//! `anzen bench access-log`: the access-log benchmark of `anzen_accesslog::bench` (ingest
//! with ledger and segment indexes vs a plain append and a naive B-tree-indexed insert,
//! patient-history latency, bytes per event), printed as the Markdown BENCHMARKS.md holds.

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
    /// Directory for the SQLite files (default: a temporary directory, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
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
        dir: a.dir,
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
