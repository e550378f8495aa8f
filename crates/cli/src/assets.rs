//! The asset-ledger commands:
//! * `anzen feeds import FILE_OR_DIR` — NVD 2.0 / CISA KEV / JVN files (gzip accepted), each
//!   file in its own transaction; then every organisation's asset rules run against the
//!   new data;
//! * `anzen import assets FILE [--retire-missing]` — the 資産台帳 template, all or nothing;
//! * `anzen check --format json|table` — runs every rule (assets, accounts) and prints the
//!   open findings (exit 1 when there are any, per the command-line contract);
//! * `anzen export assets --format csv|xlsx --out FILE`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use anzen_store::findings::{self, Finding};
use anzen_store::{assets, orgs};
use anzen_web::{assets_export, checks};
use sha2::{Digest, Sha256};

use crate::{DataArg, UsageError};

#[derive(clap::Subcommand, Debug)]
pub enum FeedsCommand {
    /// Import vulnerability feed files (NVD CVE API 2.0 JSON, CISA KEV JSON, MyJVN XML;
    /// gzip accepted) from a file or every file of a directory.
    Import(FeedsImportArgs),
}

#[derive(clap::Args, Debug)]
pub struct FeedsImportArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// A feed file or a directory of them.
    #[arg(value_name = "FILE_OR_DIR")]
    pub path: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// The asset ledger (資産台帳 template; CSV in UTF-8 or CP932, or xlsx).
    Assets(ImportAssetsArgs),
    /// Account lists (アカウント一覧 template, one or several systems) or, with --ldap, one
    /// system's accounts read from LDAP / Active Directory.
    Accounts(crate::accounts::ImportListArgs),
    /// The staff roster (職員名簿 template, or --ldap).
    Staff(crate::accounts::ImportListArgs),
    /// Access logs (アクセスログ template: CSV or JSON Lines, UTF-8 or CP932, gzip; xlsx),
    /// each file once; malformed lines are quarantined.
    AccessLog(crate::access_log::ImportAccessLogArgs),
    /// The access policy (アクセス権限表 template): the entries of each system named in the
    /// file replace that system's policy; systems not in the file are unchanged.
    AccessPolicy(crate::accounts::ImportPolicyArgs),
}

#[derive(clap::Args, Debug)]
pub struct ImportAssetsArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// Mark assets that are not in the file as 廃棄 (retired; kept with their history).
    #[arg(long)]
    pub retire_missing: bool,
    /// Show what would change without storing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Json,
    Table,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: CheckFormat,
    /// Access-log monitoring from this day (JST, e.g. 2025-04-01); default: the last 31
    /// days.
    #[arg(long)]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

#[derive(clap::Args, Debug)]
pub struct ExportAssetsArgs {
    #[command(flatten)]
    pub data: DataArg,
    #[arg(long)]
    pub org: Option<String>,
    #[arg(long, value_enum)]
    pub format: FileFormat,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

pub(crate) fn check_error(e: checks::CheckError) -> anyhow::Error {
    match e {
        checks::CheckError::BadFeed(m) => UsageError(m).into(),
        other => other.into(),
    }
}

pub fn feeds(cmd: FeedsCommand) -> Result<ExitCode> {
    let FeedsCommand::Import(args) = cmd;
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let files: Vec<PathBuf> = if args.path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&args.path)
            .with_context(|| format!("reading {}", args.path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        // In a directory only feed-looking files count (a README beside them is not a feed).
        let (feeds, others): (Vec<PathBuf>, Vec<PathBuf>) = v.into_iter().partition(|p| {
            let n = p.to_string_lossy().to_lowercase();
            [".json", ".json.gz", ".xml", ".xml.gz", ".gz"]
                .iter()
                .any(|e| n.ends_with(e))
        });
        for p in others {
            println!("{}: skipped (not .json, .xml or .gz)", p.display());
        }
        feeds
    } else {
        vec![args.path.clone()]
    };
    if files.is_empty() {
        return Err(UsageError(format!("{}: no files", args.path.display())).into());
    }
    for path in &files {
        let raw = read(path)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let f = store.write(|c| checks::import_feed(c, &name, &raw).map_err(check_error))?;
        println!(
            "{}: {} {} records (date {}, sha256 {})",
            path.display(),
            f.kind.to_uppercase(),
            f.records,
            f.feed_date.as_deref().unwrap_or("-"),
            f.sha256
        );
    }
    // Match every organisation's ledger against the new data.
    let today = anzen_web::today_jst();
    let all = store.read(orgs::all)?;
    let feeds = store.read(|c| checks::load_feeds(c).map_err(check_error))?;
    for org in &all {
        let applied = store.write(|c| {
            checks::run_asset_rules(c, org, "cli", &feeds, today).map_err(check_error)
        })?;
        let cp = cfg.checkpointer(&dir)?;
        store.write(|c| cp.checkpoint(c, org, false))?;
        println!(
            "{}: findings opened {}, reopened {}, resolved {}, still open {}",
            org.profile.name,
            applied.opened,
            applied.reopened,
            applied.resolved,
            applied.still_open
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(cmd: ImportCommand) -> Result<ExitCode> {
    let args = match cmd {
        ImportCommand::Assets(args) => args,
        ImportCommand::Accounts(args) => return crate::accounts::import_accounts(args),
        ImportCommand::Staff(args) => return crate::accounts::import_staff(args),
        ImportCommand::AccessLog(args) => return crate::access_log::import(args),
        ImportCommand::AccessPolicy(args) => return crate::accounts::import_policy(args),
    };
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let raw = read(&args.file)?;
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let parsed = match anzen_ingest::parse_assets(&name, &raw) {
        Ok(p) => p,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            return Err(UsageError(format!(
                "{name}: {} problem(s); nothing was imported",
                problems.len()
            ))
            .into());
        }
    };
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    let rows: Vec<_> = parsed
        .rows
        .iter()
        .map(|r| assets_export::from_row(&r.row))
        .collect();
    let d = store
        .read(|c| Ok::<_, anzen_store::StoreError>(assets::diff(&assets::list(c, &org)?, &rows)))?;
    println!(
        "{name}: {} rows — added {}, changed {}, not in the file {}, unchanged {}",
        rows.len(),
        d.added.len(),
        d.changed.len(),
        d.gone.len(),
        d.unchanged
    );
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let sha = hex::encode(Sha256::digest(&raw));
    let today = anzen_web::today_jst();
    let summary = store.write(|c| -> Result<assets::ImportSummary> {
        let s = assets::apply_import(c, &org, "cli", (&name, &sha), &rows, args.retire_missing)?;
        checks::check_assets(c, &org, "cli", today).map_err(check_error)?;
        Ok(s)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "imported into {}: added {}, changed {}, retired {}, unchanged {}",
        org.profile.name, summary.added, summary.changed, summary.retired, summary.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

/// One finding as `anzen check --format json` prints it (DESIGN.md contract).
#[derive(serde::Serialize)]
struct CheckLine<'a> {
    rule: &'a str,
    severity: &'a str,
    subject: &'a str,
    message: String,
    checklist: &'a [String],
    evidence: &'a serde_json::Value,
    id: i64,
    title: &'a str,
    due: Option<&'a str>,
    progress: &'a str,
    assignee: Option<&'a str>,
}

fn check_line(f: &Finding) -> CheckLine<'_> {
    CheckLine {
        rule: &f.rule,
        severity: f.severity.code(),
        subject: &f.subject,
        message: format!("{}\n{}", f.title, f.message),
        checklist: &f.checklist,
        evidence: &f.evidence,
        id: f.id,
        title: &f.title,
        due: f.tracking.due_date.as_deref().or(f.due_hint.as_deref()),
        progress: f.tracking.progress.label_ja(),
        assignee: f.tracking.assignee.as_deref(),
    }
}

pub fn check(args: CheckArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let today = anzen_web::today_jst();
    let now_us = anzen_store::now_us();
    let since_us = match args.since.as_deref() {
        Some(s) => anzen_core::calendar::parse_date(s)
            .map(checks::jst_midnight)
            .map_err(|e| UsageError(format!("--since {s}: {}", e.message_ja())))?,
        None => now_us - 31 * 86_400_000_000,
    };
    store.write(|c| {
        checks::check_assets(c, &org, "cli", today).map_err(check_error)?;
        checks::check_accounts(c, &org, "cli", today).map_err(check_error)?;
        checks::check_vendors(c, &org, "cli", today).map_err(check_error)?;
        checks::check_incident(c, &org, "cli", today).map_err(check_error)?;
        checks::check_governance(c, &org, "cli", today).map_err(check_error)?;
        checks::check_access_log(c, &org, "cli", since_us, now_us).map_err(check_error)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    let open = store.read(|c| findings::list(c, &org, true))?;
    match args.format {
        CheckFormat::Json => {
            let lines: Vec<CheckLine<'_>> = open.iter().map(check_line).collect();
            println!("{}", serde_json::to_string_pretty(&lines)?);
        }
        CheckFormat::Table => {
            if open.is_empty() {
                println!("{}: no open findings", org.profile.name);
            }
            for f in &open {
                println!(
                    "{:<6} {:<28} {:<18} {}",
                    f.severity.label_ja(),
                    f.rule,
                    f.subject,
                    f.title
                );
            }
        }
    }
    Ok(if open.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn export(args: ExportAssetsArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let format = match args.format {
        FileFormat::Csv => "csv",
        FileFormat::Xlsx => "xlsx",
    };
    let n = store.write(|c| -> Result<usize> {
        let all = assets::list(c, &org)?;
        anzen_store::audit::record(
            c,
            &org,
            "cli",
            "export.assets",
            &serde_json::json!({ "format": format, "rows": all.len() }),
        )?;
        let body = match args.format {
            FileFormat::Csv => assets_export::csv(&all).into_bytes(),
            FileFormat::Xlsx => assets_export::xlsx(&all).context("writing xlsx")?,
        };
        crate::export::write_atomically(&args.out, &body)?;
        Ok(all.len())
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!("{}: {n} assets of {}", args.out.display(), org.profile.name);
    Ok(ExitCode::SUCCESS)
}
