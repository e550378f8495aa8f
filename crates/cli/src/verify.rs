//! `anzen verify` (every organisation's ledger, against its checkpoints and optionally an
//! auditor's witness checkpoint) and `anzen ledger checkpoint` (sign and print the latest
//! checkpoints for the auditor to keep).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use anzen_ledger::{Checkpoint, SigningKey};
use anzen_store::orgs::{self, Org};
use anzen_store::{Store, ledger};

use crate::config::{self, Config};
use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// A checkpoint kept by an auditor (witness): the ledger must not have forked from it.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub against: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum LedgerCommand {
    /// Sign checkpoints for new entries, then print the latest checkpoint of each
    /// organisation (for the auditor to keep as a witness).
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
    },
    /// Print the public key auditors use to check checkpoint signatures.
    PublicKey {
        #[command(flatten)]
        data: DataArg,
    },
    /// Test helper: append batches, printing `ack <batch> <size>` after each commit.
    #[command(hide = true)]
    StressAppend {
        #[command(flatten)]
        data: DataArg,
        #[arg(long, default_value_t = 1000)]
        batches: u64,
        #[arg(long, default_value_t = 100)]
        batch_size: u64,
    },
}

/// Opens the data directory: config, store, and the ledger key.
pub fn open(dir: &Path) -> Result<(Config, Store, SigningKey)> {
    if !dir.join(config::CONFIG_FILE).exists() {
        return Err(UsageError(format!("{} is not an anzen data directory", dir.display())).into());
    }
    let cfg = Config::load(dir)?;
    let store = Store::open(&cfg.database_url(dir)).with_context(|| {
        format!(
            "opening database {}",
            anzen_store::redact_url(&cfg.database)
        )
    })?;
    let key = SigningKey::load_from_file(&dir.join(config::KEY_FILE))?;
    Ok((cfg, store, key))
}

/// Verifies every ledger of the data directory; prints a line per organisation and each
/// damage. Returns true when everything verifies.
pub fn verify_data_dir(dir: &Path, witness: Option<&str>) -> Result<bool> {
    let (_, store, key) = open(dir)?;
    let vk = key.verifier_key();
    let orgs = store.read(orgs::all)?;
    let witness_origin = witness
        .map(|w| Checkpoint::parse_unverified(w).map(|c| c.origin))
        .transpose()
        .map_err(|e| UsageError(format!("the witness checkpoint is not a checkpoint: {e}")))?;
    let mut all_ok = true;
    let mut witness_used = false;
    for org in &orgs {
        let mut conn = store.conn()?;
        let origin = ledger::head(&mut conn, org.id, false)?.and_then(|h| h.origin);
        let w = match (&witness_origin, &origin) {
            (Some(wo), Some(o)) if wo == o => {
                witness_used = true;
                witness
            }
            _ => None,
        };
        let report = ledger::verify(&mut conn, org, &vk, w)?;
        let ok = report.is_ok();
        all_ok &= ok;
        let summary = if ok {
            format!(
                "OK: {} entries, {} checkpoints, signed up to {}{}",
                report.entries_checked,
                report.checkpoints_checked,
                report.signed_size,
                if w.is_some() {
                    ", consistent with the witness"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "FAILED: {} problems",
                report.damages.len() as u64 + report.damages_omitted
            )
        };
        println!("ledger {} ({}): {summary}", org.uid, org.profile.name);
        for d in &report.damages {
            println!("  ledger {}: {d}", org.uid);
        }
        if report.damages_omitted > 0 {
            println!(
                "  ledger {}: … and {} more",
                org.uid, report.damages_omitted
            );
        }
        let details: Vec<String> = report
            .damages
            .iter()
            .take(20)
            .map(|d| d.to_string())
            .collect();
        let stored = if ok {
            summary.clone()
        } else {
            format!("{summary}\n{}", details.join("\n"))
        };
        ledger::record_verification(&mut conn, org.id, ok, report.entries_checked, &stored)?;
    }
    if witness.is_some() && !witness_used {
        println!(
            "witness checkpoint: FAILED: its origin {:?} matches no ledger here",
            witness_origin.unwrap_or_default()
        );
        all_ok = false;
    }
    Ok(all_ok)
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let witness = args
        .against
        .as_ref()
        .map(|p| {
            std::fs::read_to_string(p).map_err(|e| UsageError(format!("{}: {e}", p.display())))
        })
        .transpose()?;
    let ok = verify_data_dir(&args.data.dir(), witness.as_deref())?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn ledger(cmd: LedgerCommand) -> Result<ExitCode> {
    match cmd {
        LedgerCommand::Checkpoint { data } => {
            let dir = data.dir();
            let (cfg, store, _) = open(&dir)?;
            cfg.checkpointer(&dir)?.checkpoint_all(&store, true)?;
            let orgs = store.read(orgs::all)?;
            for org in orgs {
                let note = store.read(|c| ledger::latest_checkpoint(c, org.id))?;
                match note {
                    Some(n) => print!("{n}"),
                    None => eprintln!("ledger {} ({}): no entries yet", org.uid, org.profile.name),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::PublicKey { data } => {
            let (_, _, key) = open(&data.dir())?;
            println!("{}", key.verifier_key());
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::StressAppend {
            data,
            batches,
            batch_size,
        } => stress_append(&data.dir(), batches, batch_size),
    }
}

/// Appends `batches` batches to the first organisation; after each commit prints
/// `ack <batch> <size>` and flushes, so a test that kills this process knows exactly which
/// batches were acknowledged.
fn stress_append(dir: &Path, batches: u64, batch_size: u64) -> Result<ExitCode> {
    let (cfg, store, _) = open(dir)?;
    let cp = cfg.checkpointer(dir)?;
    let org: Org = store
        .read(orgs::all)?
        .into_iter()
        .next()
        .ok_or_else(|| UsageError("no organisation".into()))?;
    let mut out = std::io::stdout().lock();
    for b in 0..batches {
        let entries: Vec<ledger::NewEntry> = (0..batch_size)
            .map(|i| ledger::NewEntry {
                time_us: anzen_store::now_us(),
                author: "stress".into(),
                kind: "test.stress".into(),
                payload: format!("{{\"batch\":{b},\"i\":{i}}}").into_bytes(),
            })
            .collect();
        let range = store.write(|c| -> Result<_, anzen_store::StoreError> {
            let r = ledger::append(c, &org, &entries)?;
            cp.checkpoint(c, &org, false)?;
            Ok(r)
        })?;
        writeln!(out, "ack {b} {}", range.end)?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
