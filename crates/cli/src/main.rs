//! `anzen` — the command-line entry point: `init`, `serve`, `demo`, `verify`, `ledger`,
//! `export`.
//! Exit codes: 0 ok, 1 findings or verification failures, 2 usage or input errors.

mod access_log;
mod accounts;
mod assets;
mod backup;
mod bench;
mod bench_access_log;
mod config;
mod demo;
mod demo_governance;
mod demo_incident;
mod export;
mod init;
mod serve;
mod syslog;
mod verify;

/// The server allocates many small strings (findings' Japanese messages and evidence,
/// parsed rows); mimalloc handles them markedly faster than glibc's malloc, most of all
/// when the account rule pass runs on several threads (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "anzen",
    version,
    about = "医療情報システム安全管理 — anzen server and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data directory, the first organisation and its administrator.
    Init(init::InitArgs),
    /// Serve the web UI and API.
    Serve(serve::ServeArgs),
    /// Create a demo clinic with sample data and serve it.
    Demo(demo::DemoArgs),
    /// Verify every organisation's ledger (exit 0 only if everything verifies).
    Verify(verify::VerifyArgs),
    /// Ledger tools: print checkpoints for auditors.
    #[command(subcommand)]
    Ledger(verify::LedgerCommand),
    /// Online, consistent, encrypted backup of database and keys.
    Backup(backup::BackupArgs),
    /// Restore a backup into a data directory and verify its ledgers.
    Restore(backup::RestoreArgs),
    /// Export records to files (recorded in the audit ledger): `export checklist`.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Import records from files: `import assets FILE`.
    #[command(subcommand)]
    Import(assets::ImportCommand),
    /// Vulnerability feeds (offline files): `feeds import FILE_OR_DIR`.
    #[command(subcommand)]
    Feeds(assets::FeedsCommand),
    /// Run the rules and print the open findings (exit 1 when there are any).
    Check(assets::CheckArgs),
    /// Import every new access-log file that appears in a directory (each file once).
    Watch(access_log::WatchArgs),
    /// Access logs: search, quarantine, retention, prune.
    #[command(subcommand)]
    AccessLog(access_log::AccessLogCommand),
    /// Measure against baselines on this machine (for BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Append, verification and proof throughput of the ledger.
    Ledger(bench::BenchArgs),
    /// Vulnerability feed import and matching vs a naive scan (synthetic NVD feed).
    Vuln(bench::VulnBenchArgs),
    /// The account rules over a hospital-scale account list and roster, with the file parse.
    Accounts(bench::AccountsBenchArgs),
    /// Access-log ingest with ledger and segment indexes vs a plain append and a naive
    /// B-tree-indexed insert; patient-history query latency; bytes per event.
    AccessLog(bench_access_log::AccessLogBenchArgs),
}

/// An error that is the user's (bad flag, bad file): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Init(a) => init::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Verify(a) => verify::verify(a),
        Command::Ledger(c) => verify::ledger(c),
        Command::Backup(a) => backup::backup(a),
        Command::Restore(a) => backup::restore(a),
        Command::Bench(BenchCommand::Ledger(a)) => bench::run(a),
        Command::Bench(BenchCommand::Vuln(a)) => bench::vuln(a),
        Command::Bench(BenchCommand::Accounts(a)) => bench::accounts(a),
        Command::Bench(BenchCommand::AccessLog(a)) => bench_access_log::run(a),
        Command::Watch(a) => access_log::watch(a),
        Command::AccessLog(c) => access_log::run(c),
        Command::Import(c) => assets::import(c),
        Command::Feeds(c) => assets::feeds(c),
        Command::Check(a) => assets::check(a),
        Command::Export(c) => export::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ANZEN_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,postgres=warn,tokio_postgres=warn"));
    let json = std::env::var("ANZEN_LOG_FORMAT").is_ok_and(|v| v == "json");
    // Colours only on a terminal: log files and log collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// `--data DIR` shared by the commands that work on a data directory.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArg {
    /// Data directory (default: $ANZEN_DATA, then ./anzen-data).
    #[arg(long = "data", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataArg {
    pub fn dir(&self) -> PathBuf {
        config::data_dir(self.data.clone())
    }
}
