//! `anzen init`: the data directory (config, SQLite database or PostgreSQL schema, ledger
//! signing key) and the first organisation with its administrator.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use anzen_core::password::{PasswordContext, PasswordPolicy};
use anzen_core::{OrgKind, Role};
use anzen_ledger::SigningKey;
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::{Store, audit, users};

use crate::config::{self, Config};
use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Database URL (default: SQLite in the data directory).
    #[arg(long)]
    pub database: Option<String>,
    /// Name of the first organisation (施設名).
    #[arg(long)]
    pub org_name: Option<String>,
    /// Kind (施設種別): hospital, clinic, dental_clinic, midwifery_home, pharmacy,
    /// visiting_nurse_station, care_provider, system_vendor — or the Japanese name.
    #[arg(long)]
    pub org_kind: Option<String>,
    #[arg(long)]
    pub admin_email: Option<String>,
    /// Display name of the administrator.
    #[arg(long)]
    pub admin_name: Option<String>,
    /// File holding the administrator's password (first line).
    #[arg(long)]
    pub admin_password_file: Option<PathBuf>,
}

/// Everything `init` needs, however it was obtained (flags or prompts).
pub struct Setup {
    pub org: OrgProfile,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
}

pub fn run(args: InitArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    if dir.join(config::CONFIG_FILE).exists() {
        return Err(UsageError(format!(
            "{} is already initialised (anzen.toml exists)",
            dir.display()
        ))
        .into());
    }
    let setup = gather(&args)?;
    let mut cfg = Config::default();
    if let Some(db) = &args.database {
        cfg.database = db.clone();
    }
    let (store, key) = create_data_dir(&dir, &cfg)?;
    let org = create_org_with_admin(&store, &setup, "cli:init")?;
    cfg.checkpointer(&dir)?.checkpoint_all(&store, true)?;
    println!("初期化しました / initialised: {}", dir.display());
    println!(
        "  organisation: {} ({})",
        org.profile.name,
        org.profile.kind.label_ja()
    );
    println!("  administrator: {}", setup.admin_email);
    println!(
        "  ledger public key (give this to your auditor): {}",
        key.verifier_key()
    );
    println!("次に / next: anzen serve --data {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Creates the directory, writes the documented config, creates the signing key (0600,
/// outside the database) and opens (migrates) the database.
pub fn create_data_dir(dir: &Path, cfg: &Config) -> Result<(Store, SigningKey)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key_path = dir.join(config::KEY_FILE);
    let key = if key_path.exists() {
        SigningKey::load_from_file(&key_path)?
    } else {
        let name = format!("{}-{}", cfg.ledger.origin, &anzen_store::random_hex(4));
        let key = SigningKey::generate(&name)?;
        key.save_to_file(&key_path)?;
        key
    };
    let store = Store::open(&cfg.database_url(dir)).with_context(|| {
        format!(
            "opening database {}",
            anzen_store::redact_url(&cfg.database)
        )
    })?;
    // Never overwrite a configuration the operator may have edited.
    let cfg_path = dir.join(config::CONFIG_FILE);
    if !cfg_path.exists() {
        std::fs::write(&cfg_path, cfg.to_documented_toml())
            .with_context(|| format!("writing {}", cfg_path.display()))?;
    }
    Ok((store, key))
}

/// Creates the organisation and its administrator in one transaction, both recorded in
/// the organisation's audit ledger.
pub fn create_org_with_admin(store: &Store, s: &Setup, actor: &str) -> Result<Org> {
    let ctx = PasswordContext {
        mfa_enabled: true,
        user_inputs: vec![s.admin_email.clone(), s.admin_name.clone()],
    };
    if let Err(problems) = PasswordPolicy::default().check(&s.admin_password, &ctx) {
        let msgs: Vec<String> = problems
            .iter()
            .map(|p| format!("{} / {}", p.message_ja(), p.message_en()))
            .collect();
        return Err(UsageError(format!(
            "administrator password refused:\n  {}",
            msgs.join("\n  ")
        ))
        .into());
    }
    let hash = anzen_web::hash_password(&s.admin_password)?;
    let org = store.write(|c| -> Result<Org> {
        let org = orgs::create(c, &s.org)?;
        audit::record(c, &org, actor, "org.create", &s.org)?;
        let user = users::create(c, &s.admin_email, &s.admin_name, &hash)?;
        orgs::add_member(c, org.id, user.id, Role::Admin)?;
        audit::record(
            c,
            &org,
            actor,
            "user.add",
            &serde_json::json!({ "email": user.email, "role": Role::Admin.code() }),
        )?;
        Ok(org)
    })?;
    Ok(org)
}

fn gather(a: &InitArgs) -> Result<Setup> {
    let non_interactive =
        a.org_name.is_some() || a.admin_email.is_some() || a.admin_password_file.is_some();
    if non_interactive {
        let missing: Vec<&str> = [
            ("--org-name", a.org_name.is_none()),
            ("--org-kind", a.org_kind.is_none()),
            ("--admin-email", a.admin_email.is_none()),
            ("--admin-password-file", a.admin_password_file.is_none()),
        ]
        .into_iter()
        .filter_map(|(f, m)| m.then_some(f))
        .collect();
        if !missing.is_empty() {
            return Err(UsageError(format!("missing {}", missing.join(", "))).into());
        }
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> Result<String> {
        print!("{prompt}: ");
        std::io::stdout().flush()?;
        match lines.next() {
            Some(l) => Ok(l?.trim().to_owned()),
            None => bail!("input ended"),
        }
    };
    let name = match &a.org_name {
        Some(n) => n.clone(),
        None => ask("施設名 / organisation name")?,
    };
    let kind_s = match &a.org_kind {
        Some(k) => k.clone(),
        None => ask("施設種別 / kind (hospital, clinic, dental_clinic, pharmacy, …)")?,
    };
    let kind = OrgKind::parse(&kind_s).ok_or_else(|| {
        UsageError(format!(
            "unknown organisation kind {kind_s:?}; one of: {}",
            OrgKind::ALL
                .iter()
                .map(|k| format!("{} ({})", k.code(), k.label_ja()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let email = match &a.admin_email {
        Some(e) => e.clone(),
        None => ask("管理者のメールアドレス / administrator e-mail")?,
    };
    if !email.contains('@') {
        return Err(UsageError(format!("{email:?} is not an e-mail address")).into());
    }
    let admin_name = match &a.admin_name {
        Some(n) => n.clone(),
        None if non_interactive => "管理者".to_owned(),
        None => ask("管理者の氏名 / administrator name")?,
    };
    let password = match &a.admin_password_file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| UsageError(format!("{}: {e}", f.display())))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => rpassword::prompt_password("管理者のパスワード / administrator password: ")?,
    };
    if name.trim().is_empty() {
        return Err(UsageError("organisation name is empty".into()).into());
    }
    Ok(Setup {
        org: OrgProfile::new(name.trim(), kind),
        admin_email: email,
        admin_name,
        admin_password: password,
    })
}
