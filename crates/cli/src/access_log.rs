//! The access-log commands (アクセスログ, checklist 2-(6)):
//! * `anzen import access-log FILE... [--org ORG]` — each file once (by SHA-256), malformed
//!   lines to the quarantine, progress on stderr;
//! * `anzen watch DIR [--org ORG]` — imports every new file that appears in DIR, once, also
//!   across restarts (the import records remember each file's SHA-256);
//! * `anzen access-log search|quarantine|retention|prune`.
//!
//! `anzen verify` checks the access log of every organisation through [`verify_org`].

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use anzen_accesslog::import::{self, ImportSource};
use anzen_accesslog::{AccessLogError, Filter};
use anzen_ingest::{AccessAction, Choice};
use anzen_store::orgs::Org;
use anzen_store::{Conn, Store};

use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct ImportAccessLogArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// Access-log files (CSV or JSON Lines, UTF-8 or CP932, optionally .gz; or xlsx).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    pub data: DataArg,
    #[arg(long)]
    pub org: Option<String>,
    /// The directory where the EHR (or a script) drops access-log files.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Seconds between looks at the directory.
    #[arg(long, default_value_t = 10)]
    pub interval: u64,
    /// A file is picked up once unchanged for this many seconds (still being written
    /// otherwise).
    #[arg(long, default_value_t = 5)]
    pub settle: u64,
    /// Look once and exit.
    #[arg(long)]
    pub once: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum AccessLogCommand {
    /// Search events: by patient, user, system, action and time (printed as JSON Lines or
    /// a table). Recorded in the audit trail.
    Search(SearchArgs),
    /// List quarantined (malformed) lines.
    Quarantine {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Show or set the retention in years (default 5).
    Retention {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        org: Option<String>,
        /// New retention in years.
        #[arg(long)]
        years: Option<u32>,
    },
    /// Remove events older than the retention (whole batches; recorded in the ledger,
    /// followed by a signed checkpoint).
    Prune {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    pub data: DataArg,
    #[arg(long)]
    pub org: Option<String>,
    /// 患者ID.
    #[arg(long)]
    pub patient: Option<String>,
    /// アカウントID.
    #[arg(long)]
    pub user: Option<String>,
    /// システム.
    #[arg(long)]
    pub system: Option<String>,
    /// 操作 (参照, view, 更新, …).
    #[arg(long)]
    pub action: Option<String>,
    /// From (inclusive): 2025-04-01 or 2025-04-01 09:00 (JST).
    #[arg(long)]
    pub from: Option<String>,
    /// Until (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

fn input(e: AccessLogError) -> anyhow::Error {
    match e {
        AccessLogError::Input(m) => UsageError(m).into(),
        other => other.into(),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Imports one file unless already imported. `Ok(None)` when skipped.
fn import_file(
    store: &Store,
    org: &Org,
    path: &Path,
    origin: &str,
    quiet: bool,
) -> Result<Option<import::ImportOutcome>, AccessLogError> {
    let name = file_name(path);
    let io = |e: std::io::Error| AccessLogError::Input(format!("{}: {e}", path.display()));
    let sha = import::sha256_of(File::open(path).map_err(io)?).map_err(io)?;
    if let Some(prev) = store.read(|c| import::already_imported(c, org, &sha))? {
        if !quiet {
            eprintln!(
                "{name}: skipped — the same file ({}) was imported before ({} events)",
                prev.file_name, prev.events
            );
        }
        return Ok(None);
    }
    let total = std::fs::metadata(path).map_err(io)?.len().max(1);
    let f = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut last = u64::MAX;
    let mut progress = |done: u64| {
        let pct = done.saturating_mul(100) / total;
        if pct != last {
            last = pct;
            eprint!("\r{name}: {pct}%");
            let _ = std::io::stderr().flush();
        }
    };
    let src = ImportSource {
        file_name: &name,
        sha256: &sha,
        origin,
        actor: "cli",
    };
    let out = import::import_reader(store, org, src, f, &mut progress);
    eprintln!();
    let out = out?;
    // The monitoring rules over the days this file touched.
    let run = store.write(|c| {
        anzen_web::checks::check_access_log_seqs(c, org, "cli", out.first_seq..out.end_seq)
    });
    match run {
        Ok(Some(r)) if !quiet || r.applied.opened + r.applied.reopened > 0 => eprintln!(
            "{name}: monitoring {}..{}: {} new findings",
            r.from,
            r.to,
            r.applied.opened + r.applied.reopened
        ),
        Ok(_) => {}
        Err(anzen_web::checks::CheckError::AccessLog(e)) => return Err(e),
        Err(anzen_web::checks::CheckError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AccessLogError::Input(e.to_string())),
    }
    Ok(Some(out))
}

pub fn import(args: ImportAccessLogArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let cp = cfg.checkpointer(&dir)?;
    let mut failed = false;
    for path in &args.files {
        match import_file(&store, &org, path, "cli", false) {
            Ok(Some(out)) => {
                for w in &out.warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "{}: imported {} events (#{}..#{}), quarantined {} malformed lines",
                    out.file_name,
                    out.events,
                    out.first_seq,
                    out.end_seq.saturating_sub(1),
                    out.quarantined
                );
            }
            Ok(None) => {}
            Err(AccessLogError::Input(m)) => {
                eprintln!("{m}");
                failed = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    store.write(|c| cp.checkpoint(c, &org, false))?;
    if failed {
        return Err(UsageError("some files were not imported (see above)".into()).into());
    }
    Ok(ExitCode::SUCCESS)
}

/// Files in `dir` worth a look: regular, not hidden, not partial uploads.
fn candidates(dir: &Path) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") {
            continue;
        }
        let m = e.metadata()?;
        if m.is_file() {
            v.push((e.path(), m.len(), m.modified()?));
        }
    }
    v.sort();
    Ok(v)
}

pub fn watch(args: WatchArgs) -> Result<ExitCode> {
    let data = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&data)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let cp = cfg.checkpointer(&data)?;
    if !args.dir.is_dir() {
        return Err(UsageError(format!("{} is not a directory", args.dir.display())).into());
    }
    eprintln!(
        "watching {} for access logs of {}",
        args.dir.display(),
        org.profile.name
    );
    // (path, size, mtime) already handled by this process; across restarts the import
    // records (SHA-256) say which files are done.
    let mut seen: HashSet<(PathBuf, u64, SystemTime)> = HashSet::new();
    loop {
        for c in candidates(&args.dir)? {
            if seen.contains(&c) {
                continue;
            }
            let age = SystemTime::now()
                .duration_since(c.2)
                .unwrap_or(Duration::ZERO);
            if age < Duration::from_secs(args.settle) {
                continue;
            }
            match import_file(&store, &org, &c.0, "watch", true) {
                Ok(Some(out)) => println!(
                    "{}: imported {} events, quarantined {} malformed lines",
                    out.file_name, out.events, out.quarantined
                ),
                Ok(None) => {}
                Err(AccessLogError::Input(m)) => {
                    // The whole file was refused: keep that in the quarantine too, so it is
                    // seen on the quarantine page and not only in a daemon's log.
                    eprintln!("{m}");
                    let name = file_name(&c.0);
                    let sha = File::open(&c.0).and_then(import::sha256_of);
                    if let Ok(sha) = sha {
                        let src = ImportSource {
                            file_name: &name,
                            sha256: &sha,
                            origin: "watch",
                            actor: "cli",
                        };
                        store.write(|conn| import::refuse(conn, &org, src, &m))?;
                    }
                }
                Err(e) => return Err(e.into()),
            }
            seen.insert(c);
        }
        store.write(|c| cp.checkpoint(c, &org, false))?;
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}

fn time_arg(s: Option<&str>) -> Result<Option<i64>> {
    s.map(|s| anzen_ingest::parse_time_bound(s).map_err(|m| UsageError(m).into()))
        .transpose()
}

pub fn run(cmd: AccessLogCommand) -> Result<ExitCode> {
    match cmd {
        AccessLogCommand::Search(a) => search(a),
        AccessLogCommand::Quarantine { data, org, limit } => {
            let (_, store, _) = crate::verify::open(&data.dir())?;
            let org = crate::verify::select_org(&store, org.as_deref())?;
            let q = store.read(|c| import::quarantined(c, &org, None, 0, limit))?;
            for q in q {
                println!("{}", serde_json::to_string(&q)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        AccessLogCommand::Retention { data, org, years } => {
            let (_, store, _) = crate::verify::open(&data.dir())?;
            let org = crate::verify::select_org(&store, org.as_deref())?;
            if let Some(y) = years {
                store
                    .write(|c| anzen_accesslog::set_retention_years(c, &org, "cli", y))
                    .map_err(input)?;
            }
            let y = store.read(|c| anzen_accesslog::retention_years(c, &org))?;
            println!("{}: retention {y} years", org.profile.name);
            Ok(ExitCode::SUCCESS)
        }
        AccessLogCommand::Prune { data, org } => {
            let dir = data.dir();
            let (cfg, store, _) = crate::verify::open(&dir)?;
            let org = crate::verify::select_org(&store, org.as_deref())?;
            let cp = cfg.checkpointer(&dir)?;
            let now = anzen_store::now_us();
            let pruned = store.write(|c| -> Result<_, AccessLogError> {
                let p = anzen_accesslog::prune(c, &org, "cli", now)?;
                if p.is_some() {
                    // Close the period: a signed checkpoint covering the prune record.
                    cp.checkpoint(c, &org, true)?;
                }
                Ok(p)
            })?;
            match pruned {
                Some(p) => println!(
                    "{}: pruned events #{}..#{} ({} batches) older than the retention; recorded in ledger entry #{}",
                    org.profile.name,
                    p.first_seq,
                    p.end_seq.saturating_sub(1),
                    p.batches,
                    p.ledger_idx
                ),
                None => println!("{}: nothing older than the retention", org.profile.name),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn search(a: SearchArgs) -> Result<ExitCode> {
    let (_, store, _) = crate::verify::open(&a.data.dir())?;
    let org = crate::verify::select_org(&store, a.org.as_deref())?;
    let action = a
        .action
        .as_deref()
        .map(|s| {
            AccessAction::parse(s).ok_or_else(|| {
                UsageError(format!(
                    "操作『{s}』は {} のいずれかで指定してください",
                    AccessAction::list_ja()
                ))
            })
        })
        .transpose()?;
    let f = Filter {
        patient: a.patient,
        user: a.user,
        system: a.system,
        action,
        from_us: time_arg(a.from.as_deref())?,
        to_us: time_arg(a.to.as_deref())?,
    };
    let page = store.write(|c| -> Result<_, AccessLogError> {
        let p = anzen_accesslog::search(c, Some(&store), &org, &f, a.offset, a.limit)?;
        // Looking at access logs is an access too.
        anzen_accesslog::query::record_search(c, &org, "cli", &f, p.events.len())?;
        Ok(p)
    })?;
    for e in &page.events {
        println!("{}", serde_json::to_string(e)?);
    }
    match page.total {
        Some(t) => eprintln!("{} of {t} events", page.events.len()),
        None => eprintln!(
            "{} events{}",
            page.events.len(),
            if page.more { " (more)" } else { "" }
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `anzen verify` for one organisation's access log: prints a line (and each problem);
/// true when it verifies.
pub fn verify_org(conn: &mut Conn, org: &Org) -> Result<bool> {
    let v = anzen_accesslog::verify(conn, org)?;
    if v.events == 0 && v.batches == 0 && v.ok() {
        return Ok(true);
    }
    let pruned = if v.pruned_below > 0 {
        format!(", events before #{} pruned by retention", v.pruned_below)
    } else {
        String::new()
    };
    if v.ok() {
        println!(
            "access log {} ({}): OK: {} events in {} batches{pruned}",
            org.uid, org.profile.name, v.events, v.batches
        );
    } else {
        println!(
            "access log {} ({}): FAILED: {} problems",
            org.uid,
            org.profile.name,
            v.problems.len()
        );
        for p in &v.problems {
            println!("  access log {}: {p}", org.uid);
        }
    }
    Ok(v.ok())
}
