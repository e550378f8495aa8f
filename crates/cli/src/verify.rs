//! `anzen verify` (every organisation's ledger, against its checkpoints and optionally an
//! auditor's witness checkpoint) and `anzen ledger checkpoint` (sign and print the latest
//! checkpoints for the auditor to keep).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use anzen_ledger::{Checkpoint, SigningKey};
use anzen_store::assessments;
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
    /// Print an inclusion proof of one entry under the latest checkpoint, as JSON that
    /// `anzen ledger verify-proof` (or any RFC 9162 verifier) checks offline.
    Prove {
        #[command(flatten)]
        data: DataArg,
        /// Organisation (id, uid or name); may be omitted when there is only one.
        #[arg(long)]
        org: Option<String>,
        /// Entry index.
        #[arg(long)]
        index: u64,
    },
    /// Verify a proof file offline: needs only the proof, its checkpoint and the public key.
    VerifyProof {
        /// The JSON written by `anzen ledger prove`.
        file: PathBuf,
        /// The ledger's public key (`anzen ledger public-key`), e.g. name+hash+base64.
        #[arg(long)]
        key: String,
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

/// Checks every completed checklist assessment of `org`: its stored answers and evidence
/// (contents re-hashed) still hash to the frozen hash, and the ledger's
/// `assessment.complete` entry for it records that same hash. Prints one line per problem
/// and a summary; true when all hold.
fn verify_assessments(conn: &mut anzen_store::Conn, org: &Org) -> Result<bool> {
    let completed: Vec<_> = assessments::list(conn, org)?
        .into_iter()
        .filter(|a| a.is_completed())
        .collect();
    if completed.is_empty() {
        return Ok(true);
    }
    let entries = ledger::list(
        conn,
        org.id,
        &ledger::EntryQuery {
            kind_prefix: Some("assessment.complete".to_owned()),
            ..ledger::EntryQuery::default()
        },
    )?;
    let recorded: Vec<(i64, String)> = entries
        .iter()
        .filter_map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.payload).ok()?;
            Some((v["assessment_id"].as_i64()?, v["hash"].as_str()?.to_owned()))
        })
        .collect();
    let mut ok = true;
    for a in &completed {
        let label = format!("assessment {} (FY{} {})", a.id, a.fiscal_year, a.form);
        if let Some(problem) = assessments::check_frozen(conn, org, a)? {
            println!("  checklist {}: FAILED: {problem}", org.uid);
            ok = false;
        }
        let frozen = a.frozen_hash.as_deref().unwrap_or_default();
        if !recorded.iter().any(|(id, h)| *id == a.id && h == frozen) {
            println!(
                "  checklist {}: FAILED: {label}: the ledger has no assessment.complete entry with its hash {frozen}",
                org.uid
            );
            ok = false;
        }
    }
    println!(
        "checklists {} ({}): {}: {} completed assessment(s)",
        org.uid,
        org.profile.name,
        if ok { "OK" } else { "FAILED" },
        completed.len()
    );
    Ok(ok)
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
        all_ok &= verify_assessments(&mut conn, org)?;
        all_ok &= crate::access_log::verify_org(&mut conn, org)?;
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
        LedgerCommand::Prove { data, org, index } => prove(&data.dir(), org.as_deref(), index),
        LedgerCommand::VerifyProof { file, key } => verify_proof(&file, &key),
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

/// A self-contained inclusion proof: everything an offline verifier needs besides the key.
#[derive(serde::Serialize, serde::Deserialize)]
struct ProofFile {
    /// Canonical entry bytes, base64 (see crates/ledger/FORMAT.md).
    entry: String,
    index: u64,
    tree_size: u64,
    /// Sibling hashes from the leaf upwards, base64.
    proof: Vec<String>,
    /// The signed checkpoint note the proof leads to.
    checkpoint: String,
}

/// The organisation named by `--org` (id, uid or name), or the only one there is.
pub(crate) fn select_org(store: &Store, key: Option<&str>) -> Result<Org> {
    match key {
        Some(k) => store
            .read(|c| orgs::find(c, k))?
            .ok_or_else(|| UsageError(format!("no organisation {k:?}")).into()),
        None => {
            let all = store.read(orgs::all)?;
            match <[Org; 1]>::try_from(all) {
                Ok([o]) => Ok(o),
                Err(_) => {
                    Err(UsageError("several organisations: choose one with --org".into()).into())
                }
            }
        }
    }
}

fn prove(dir: &Path, org: Option<&str>, index: u64) -> Result<ExitCode> {
    use base64::Engine;
    let (_, store, key) = open(dir)?;
    let org = select_org(&store, org)?;
    let note = store
        .read(|c| ledger::latest_checkpoint(c, org.id))?
        .ok_or_else(|| {
            UsageError("no checkpoint yet: run `anzen ledger checkpoint` first".into())
        })?;
    let cp = Checkpoint::open(&note, &key.verifier_key())?;
    if index >= cp.size {
        return Err(UsageError(format!(
            "entry {index} is not under the latest checkpoint (size {})",
            cp.size
        ))
        .into());
    }
    let mut c = store.conn()?;
    let proof = ledger::inclusion_proof(&mut c, org.id, index, cp.size)?;
    let entry = ledger::entry_bytes(&mut c, org.id, index, index + 1)?
        .pop()
        .ok_or_else(|| UsageError(format!("entry {index} is missing")))?
        .1;
    let b64 = base64::engine::general_purpose::STANDARD;
    let file = ProofFile {
        entry: b64.encode(&entry),
        index,
        tree_size: cp.size,
        proof: proof.iter().map(|h| h.to_base64()).collect(),
        checkpoint: note,
    };
    println!("{}", serde_json::to_string_pretty(&file)?);
    Ok(ExitCode::SUCCESS)
}

fn verify_proof(path: &Path, key: &str) -> Result<ExitCode> {
    use base64::Engine;
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    let file: ProofFile = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a proof file: {e}", path.display())))?;
    let vk =
        anzen_ledger::VerifierKey::parse(key).map_err(|e| UsageError(format!("--key: {e}")))?;
    let outcome = (|| -> Result<anzen_ledger::Entry, anzen_ledger::LedgerError> {
        let cp = Checkpoint::open(&file.checkpoint, &vk)?;
        let entry = base64::engine::general_purpose::STANDARD
            .decode(&file.entry)
            .map_err(|e| anzen_ledger::LedgerError::MalformedCheckpoint(format!("entry: {e}")))?;
        let proof = file
            .proof
            .iter()
            .map(|h| anzen_ledger::Hash::from_base64(h))
            .collect::<Result<Vec<_>, _>>()?;
        if file.tree_size != cp.size {
            return Err(anzen_ledger::LedgerError::MalformedCheckpoint(format!(
                "proof is for size {} but the checkpoint covers {}",
                file.tree_size, cp.size
            )));
        }
        anzen_ledger::verify_inclusion(
            &anzen_ledger::leaf_hash(&entry),
            file.index,
            cp.size,
            &proof,
            &cp.root,
        )?;
        anzen_ledger::Entry::decode(&entry)
    })();
    match outcome {
        Ok(e) => {
            println!(
                "OK: entry {} ({} by {} at {} µs) is in the ledger signed by {}",
                file.index,
                e.kind,
                e.author,
                e.time_us,
                vk.name()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            println!("FAILED: {err}");
            Ok(ExitCode::from(1))
        }
    }
}
