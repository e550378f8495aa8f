//! `anzen import accounts|staff` — account lists and the staff roster, from a file (the
//! DESIGN.md templates; CSV in UTF-8 or CP932, or xlsx; all or nothing) or read-only from
//! LDAP / Active Directory (`--ldap directory.toml`, see crates/directory/README.md). Each
//! import is stored as a dated snapshot and the account rules run in the same transaction.
//!
//! `anzen import access-policy` — the アクセス権限表: per system named in the file, its
//! entries replace the system's policy (`anzen_web::policy_file`), then the account rules
//! run, in one transaction.

use anzen_web::account_files::{account_record, staff_record};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use anzen_directory::DirectoryConfig;
use anzen_store::accounts::{self, AccountRecord, Source, StaffRecord};
use anzen_web::{checks, policy_file};
use sha2::{Digest, Sha256};

use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct ImportListArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// Read from LDAP / Active Directory with this configuration (TOML) instead of a file.
    #[arg(long, value_name = "DIRECTORY_TOML", conflicts_with = "file")]
    pub ldap: Option<PathBuf>,
    /// With --ldap, for accounts: the system (as registered in anzen) the accounts belong to.
    #[arg(long)]
    pub system: Option<String>,
    /// Register systems named in the list that are not registered yet (kind guessed from the
    /// name, two-factor support off — edit them on the アカウント管理 page).
    #[arg(long)]
    pub register_systems: bool,
    /// The file (the template's CSV or xlsx).
    #[arg(value_name = "FILE", required_unless_present = "ldap")]
    pub file: Option<PathBuf>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn directory(path: &Path) -> Result<DirectoryConfig> {
    let text = String::from_utf8(read(path)?)
        .map_err(|_| UsageError(format!("{}: not UTF-8", path.display())))?;
    toml::from_str(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

fn refuse<T>(name: &str, problems: &[anzen_ingest::Problem]) -> Result<T> {
    for p in problems {
        eprintln!("{p}");
    }
    Err(UsageError(format!(
        "{name}: {} problem(s); nothing was imported",
        problems.len()
    ))
    .into())
}

/// One system's accounts from the source.
type Group = (String, Vec<AccountRecord>);

/// `anzen import accounts`.
pub fn import_accounts(args: ImportListArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let systems = store.read(|c| accounts::systems(c, &org))?;
    // (system name, rows), the source's name and hash.
    let (groups, name, sha, source_kind): (Vec<Group>, String, String, &str) =
        if let Some(ldap) = &args.ldap {
            let system = args.system.clone().ok_or_else(|| {
                UsageError("--ldap needs --system NAME (the system the accounts belong to)".into())
            })?;
            let dcfg = directory(ldap)?;
            let rows = anzen_directory::fetch_accounts(&dcfg, &system)
                .map_err(|e| UsageError(format!("{}: {e}", dcfg.url)))?;
            let body = serde_json::to_vec(&rows)?;
            (
                vec![(system, rows.iter().map(account_record).collect())],
                dcfg.url.clone(),
                hex::encode(Sha256::digest(&body)),
                "ldap",
            )
        } else {
            let path = args
                .file
                .clone()
                .ok_or_else(|| UsageError("FILE or --ldap".into()))?;
            let raw = read(&path)?;
            let name = file_name(&path);
            let parsed = match anzen_ingest::parse_accounts(&name, &raw) {
                Ok(p) => p,
                Err(problems) => return refuse(&name, &problems),
            };
            let mut groups: Vec<(String, Vec<AccountRecord>)> = Vec::new();
            for r in &parsed.rows {
                let sys = r.row.system.trim().to_owned();
                match groups.iter_mut().find(|(s, _)| *s == sys) {
                    Some((_, v)) => v.push(account_record(&r.row)),
                    None => groups.push((sys, vec![account_record(&r.row)])),
                }
            }
            (groups, name, hex::encode(Sha256::digest(&raw)), "file")
        };
    let missing: Vec<&String> = groups
        .iter()
        .map(|(sys, _)| sys)
        .filter(|sys| !systems.iter().any(|s| &s.data.name == *sys))
        .collect();
    if !missing.is_empty() && !args.register_systems {
        return Err(UsageError(format!(
            "system(s) {missing:?} not registered in {} (register them on the アカウント管理 page, or pass --register-systems); nothing was imported",
            org.profile.name
        ))
        .into());
    }
    let today = anzen_web::today_jst();
    let applied = store.write(|c| -> Result<anzen_store::findings::Applied> {
        let src = Source {
            kind: source_kind,
            name: &name,
            sha256: &sha,
        };
        for (sys, rows) in &groups {
            let system = match systems.iter().find(|s| &s.data.name == sys) {
                Some(s) => s.clone(),
                None => accounts::save_system(
                    c,
                    &org,
                    "cli",
                    None,
                    &accounts::SystemData {
                        name: sys.clone(),
                        kind: anzen_core::rules::accounts::SystemKind::parse(sys)
                            .label_ja()
                            .to_owned(),
                        owner: None,
                        vendor: None,
                        supports_mfa: false,
                        min_password_len: None,
                        note: Some("anzen import accounts --register-systems".to_owned()),
                    },
                )?,
            };
            accounts::import_accounts(c, &org, "cli", &system, &src, rows)?;
            println!("{sys}: {} accounts from {name}", rows.len());
        }
        checks::check_accounts(c, &org, "cli", today).map_err(crate::assets::check_error)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "account findings: opened {}, reopened {}, resolved {}, still open {}",
        applied.opened, applied.reopened, applied.resolved, applied.still_open
    );
    Ok(ExitCode::SUCCESS)
}

/// `anzen import staff`.
pub fn import_staff(args: ImportListArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let (rows, name, sha, source_kind): (Vec<StaffRecord>, String, String, &str) =
        if let Some(ldap) = &args.ldap {
            let dcfg = directory(ldap)?;
            let rows = anzen_directory::fetch_staff(&dcfg)
                .map_err(|e| UsageError(format!("{}: {e}", dcfg.url)))?;
            let body = serde_json::to_vec(&rows)?;
            (
                rows.iter().map(staff_record).collect(),
                dcfg.url.clone(),
                hex::encode(Sha256::digest(&body)),
                "ldap",
            )
        } else {
            let path = args
                .file
                .clone()
                .ok_or_else(|| UsageError("FILE or --ldap".into()))?;
            let raw = read(&path)?;
            let name = file_name(&path);
            let parsed = match anzen_ingest::parse_staff(&name, &raw) {
                Ok(p) => p,
                Err(problems) => return refuse(&name, &problems),
            };
            (
                parsed.rows.iter().map(|r| staff_record(&r.row)).collect(),
                name,
                hex::encode(Sha256::digest(&raw)),
                "file",
            )
        };
    let today = anzen_web::today_jst();
    let applied = store.write(|c| -> Result<anzen_store::findings::Applied> {
        let src = Source {
            kind: source_kind,
            name: &name,
            sha256: &sha,
        };
        accounts::import_staff(c, &org, "cli", &src, &rows)?;
        checks::check_accounts(c, &org, "cli", today).map_err(crate::assets::check_error)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "{} staff from {name}; account findings: opened {}, resolved {}, still open {}",
        rows.len(),
        applied.opened,
        applied.resolved,
        applied.still_open
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct ImportPolicyArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation (id, uid or name); may be omitted when there is only one.
    #[arg(long)]
    pub org: Option<String>,
    /// Show what would change without storing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The file (the アクセス権限表 template's CSV or xlsx).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `anzen import access-policy`.
pub fn import_policy(args: ImportPolicyArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let raw = read(&args.file)?;
    let name = file_name(&args.file);
    let parsed = match anzen_ingest::parse_access_policy(&name, &raw) {
        Ok(p) => p,
        Err(problems) => return refuse(&name, &problems),
    };
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    let (systems, current) = store.read(|c| {
        Ok::<_, anzen_store::StoreError>((accounts::systems(c, &org)?, accounts::policy(c, &org)?))
    })?;
    let sha = hex::encode(Sha256::digest(&raw));
    let plan = match policy_file::plan(&name, &sha, &parsed.rows, &systems, &current) {
        Ok(p) => p,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            return Err(UsageError(format!(
                "{name}: {} problem(s); nothing was imported",
                errors.len()
            ))
            .into());
        }
    };
    for s in &plan.systems {
        println!("{}", s.summary_ja());
        for a in &s.added {
            println!("  + {a}");
        }
        for r in &s.removed {
            println!("  - {r}");
        }
    }
    if !plan.untouched.is_empty() {
        println!(
            "ファイルにないシステム（変更しません）: {}",
            plan.untouched.join("、")
        );
    }
    if args.dry_run {
        println!("dry run: nothing was stored");
        return Ok(ExitCode::SUCCESS);
    }
    let today = anzen_web::today_jst();
    let applied = store.write(|c| -> Result<anzen_store::findings::Applied> {
        Ok(policy_file::apply(c, &org, "cli", &plan, today)?)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "{name}: policy of {} system(s) changed; account findings: opened {}, reopened {}, resolved {}, still open {}",
        plan.changed(),
        applied.opened,
        applied.reopened,
        applied.resolved,
        applied.still_open
    );
    Ok(ExitCode::SUCCESS)
}

/// `anzen export access-policy`: recorded as `export.access_policy` by `cli`.
pub fn export_policy(args: crate::assets::ExportAssetsArgs) -> Result<ExitCode> {
    use crate::assets::FileFormat;
    let dir = args.data.dir();
    let (cfg, store, _) = crate::verify::open(&dir)?;
    let org = crate::verify::select_org(&store, args.org.as_deref())?;
    let format = match args.format {
        FileFormat::Csv => "csv",
        FileFormat::Xlsx => "xlsx",
    };
    let n = store.write(|c| -> Result<usize> {
        let systems = accounts::systems(c, &org)?;
        let policy = accounts::policy(c, &org)?;
        let rows = policy_file::rows(&systems, &policy).len();
        anzen_store::audit::record(
            c,
            &org,
            "cli",
            "export.access_policy",
            &serde_json::json!({ "format": format, "rows": rows }),
        )?;
        let body = match args.format {
            FileFormat::Csv => policy_file::csv(&systems, &policy),
            FileFormat::Xlsx => policy_file::xlsx(&systems, &policy)
                .map_err(|e| anyhow::anyhow!("writing xlsx: {e}"))?,
        };
        crate::export::write_atomically(&args.out, &body)?;
        Ok(rows)
    })?;
    let cp = cfg.checkpointer(&dir)?;
    store.write(|c| cp.checkpoint(c, &org, false))?;
    println!(
        "{}: {n} access policy entries of {}",
        args.out.display(),
        org.profile.name
    );
    Ok(ExitCode::SUCCESS)
}
