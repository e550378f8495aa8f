//! `anzen backup` / `anzen restore`: one encrypted file holding the configuration, the
//! ledger signing key and a consistent logical dump of the database, taken online.
//!
//! File: age-encrypted (passphrase → scrypt, or X25519 recipients `age1…`) gzip stream of
//!
//! ```text
//! {"format":"anzen-backup-archive","version":1,"created_at":…,"anzen_version":"…",
//!  "config":"<anzen.toml>","signing_key":"<ledger-signing.key>"}
//! <the dump of anzen_store::backup, JSON Lines, ending with its checksummed trailer>
//! ```
//!
//! Nothing is ever written unencrypted: `backup` refuses to run without a passphrase or a
//! recipient, and writes to a temporary file renamed over FILE only once complete.
//! `restore` checks the passphrase before it writes anything, and removes what it wrote
//! when the backup turns out damaged (the database load is one transaction).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use anyhow::{Context, Result};
use anzen_store::Store;
use anzen_store::backup::{self as dump, BackupError};
use serde::{Deserialize, Serialize};

use crate::config::{self, Config};
use crate::{DataArg, UsageError};

pub const ARCHIVE_FORMAT: &str = "anzen-backup-archive";
pub const ARCHIVE_VERSION: u32 = 1;
pub const PASSPHRASE_ENV: &str = "ANZEN_BACKUP_PASSPHRASE";
const MIN_PASSPHRASE_CHARS: usize = 12;
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// The backup file to write (replaced atomically when complete).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// File holding the passphrase (first line). Or set ANZEN_BACKUP_PASSPHRASE.
    #[arg(long, value_name = "F", conflicts_with = "recipient")]
    pub passphrase_file: Option<PathBuf>,
    /// Encrypt to this age X25519 public key (`age1…`) instead of a passphrase; repeatable.
    #[arg(long, value_name = "AGE_PUBKEY")]
    pub recipient: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The backup file written by `anzen backup`.
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
    /// Database to restore into (must be empty), instead of the one in the backed-up
    /// configuration; e.g. a PostgreSQL URL, or sqlite://anzen.db.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// File holding the passphrase (first line). Or set ANZEN_BACKUP_PASSPHRASE.
    #[arg(long, value_name = "F", conflicts_with = "identity")]
    pub passphrase_file: Option<PathBuf>,
    /// age identity file (`AGE-SECRET-KEY-1…`) for a backup made with --recipient.
    #[arg(long, value_name = "AGE_IDENTITY_FILE")]
    pub identity: Vec<PathBuf>,
}

/// The first line of the decrypted, decompressed archive.
#[derive(Serialize, Deserialize)]
struct ArchiveHeader {
    format: String,
    version: u32,
    created_at: i64,
    anzen_version: String,
    config: String,
    signing_key: String,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// The passphrase from `--passphrase-file` or the environment, if any.
fn passphrase(file: Option<&Path>) -> Result<Option<SecretString>> {
    let text = match file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                usage(format!(
                    "cannot read the passphrase file {} (パスフレーズファイルを読めません): {e}",
                    f.display()
                ))
            })?;
            text.lines().next().unwrap_or_default().to_owned()
        }
        None => match std::env::var(PASSPHRASE_ENV) {
            Ok(p) => p,
            Err(_) => return Ok(None),
        },
    };
    if text.is_empty() {
        return Err(usage("the passphrase is empty (パスフレーズが空です)"));
    }
    Ok(Some(SecretString::from(text)))
}

// ---------------------------------------------------------------------------------------
// backup

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let config_path = dir.join(config::CONFIG_FILE);
    if !config_path.is_file() {
        return Err(usage(format!(
            "{} is not an anzen data directory: {} is missing (データディレクトリではありません)",
            dir.display(),
            config::CONFIG_FILE
        )));
    }
    if args.out.is_dir() {
        return Err(usage(format!(
            "--out {} is a directory; name a file (ファイル名を指定してください)",
            args.out.display()
        )));
    }
    let encryptor = encryptor(&args)?;
    let config_text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let key_path = dir.join(config::KEY_FILE);
    let signing_key = std::fs::read_to_string(&key_path).map_err(|e| {
        usage(format!(
            "cannot read the ledger signing key {} (署名鍵を読めません): {e}",
            key_path.display()
        ))
    })?;
    let cfg = Config::load(&dir)?;
    let store = Store::open(&cfg.database_url(&dir)).with_context(|| {
        format!(
            "opening database {}",
            anzen_store::redact_url(&cfg.database)
        )
    })?;

    let parent = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    // Created 0600, removed unless persisted: FILE is either the old one or complete.
    let mut tmp = tempfile::Builder::new()
        .prefix(".anzen-backup-")
        .suffix(".tmp")
        .tempfile_in(&parent)
        .with_context(|| format!("creating a temporary file in {}", parent.display()))?;
    let summary = {
        let encrypted = encryptor
            .wrap_output(BufWriter::new(tmp.as_file_mut()))
            .context("writing the backup")?;
        let mut gz = flate2::write::GzEncoder::new(encrypted, flate2::Compression::default());
        let header = ArchiveHeader {
            format: ARCHIVE_FORMAT.to_owned(),
            version: ARCHIVE_VERSION,
            created_at: anzen_store::now_us(),
            anzen_version: env!("CARGO_PKG_VERSION").to_owned(),
            config: config_text,
            signing_key,
        };
        let mut line = serde_json::to_vec(&header)?;
        line.push(b'\n');
        gz.write_all(&line).context("writing the backup")?;
        drop(header);
        let summary = dump::dump(&store, &mut gz).context("dumping the database")?;
        let encrypted = gz.finish().context("writing the backup")?;
        let mut buffered = encrypted.finish().context("writing the backup")?;
        buffered.flush().context("writing the backup")?;
        summary
    };
    tmp.as_file()
        .sync_all()
        .context("writing the backup to disk")?;
    tmp.persist(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Ok(d) = File::open(&parent) {
        let _ = d.sync_all();
    }
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "バックアップを作成しました / backup written: {} ({size} bytes, encrypted)",
        args.out.display()
    );
    println!(
        "  database: {} ({}), {} rows in {} tables, sha256 {}",
        anzen_store::redact_url(&cfg.database),
        summary.source_backend,
        summary.rows,
        summary.tables.len(),
        summary.sha256
    );
    println!("  included: {}, {}", config::CONFIG_FILE, config::KEY_FILE);
    Ok(ExitCode::SUCCESS)
}

fn encryptor(args: &BackupArgs) -> Result<age::Encryptor> {
    if !args.recipient.is_empty() {
        if args.passphrase_file.is_none() && std::env::var_os(PASSPHRASE_ENV).is_some() {
            return Err(usage(format!(
                "give either a passphrase ({PASSPHRASE_ENV}) or --recipient, not both"
            )));
        }
        let recipients = args
            .recipient
            .iter()
            .map(|r| {
                age::x25519::Recipient::from_str(r.trim()).map_err(|e| {
                    usage(format!(
                        "--recipient {r:?} is not an age X25519 public key (age1…) \
                         (公開鍵の形式が正しくありません): {e}"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return age::Encryptor::with_recipients(
            recipients.iter().map(|r| r as &dyn age::Recipient),
        )
        .map_err(|e| usage(format!("--recipient: {e}")));
    }
    match passphrase(args.passphrase_file.as_deref())? {
        Some(p) => {
            if p.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
                return Err(usage(format!(
                    "the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters \
                     (パスフレーズは{MIN_PASSPHRASE_CHARS}文字以上にしてください)"
                )));
            }
            Ok(age::Encryptor::with_user_passphrase(p))
        }
        None => Err(usage(format!(
            "refusing to write an unencrypted backup: give --passphrase-file F, \
             {PASSPHRASE_ENV}, or --recipient age1… \
             (暗号化されていないバックアップは作成できません)"
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// restore

/// Marks an I/O error of the decryption or decompression layer: the backup file itself is
/// damaged (age authenticates every 64 KiB chunk and the end of the stream).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Damaged(String);

struct DamageReader<R>(R);

impl<R: Read> Read for DamageReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                e
            } else {
                std::io::Error::other(Damaged(e.to_string()))
            }
        })
    }
}

fn damaged(detail: impl std::fmt::Display) -> anyhow::Error {
    usage(format!(
        "the backup file is damaged or truncated (バックアップファイルが破損しています): {detail}"
    ))
}

/// Removes what a failed restore wrote: the directory if it created it, else its contents.
struct Cleanup {
    dir: PathBuf,
    created: bool,
    armed: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if self.created {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    let dir_exists = dir.exists();
    if dir_exists {
        let empty = std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !dir.is_dir() || !empty {
            return Err(usage(format!(
                "{} is not empty: restore into a new or empty directory \
                 (復元先のディレクトリが空ではありません)",
                dir.display()
            )));
        }
    }
    let file = File::open(&args.file).map_err(|e| {
        usage(format!(
            "cannot open {} (バックアップファイルを開けません): {e}",
            args.file.display()
        ))
    })?;
    let mut input = BufReader::new(file);
    let is_age = input
        .fill_buf()
        .map(|b| b.starts_with(AGE_MAGIC))
        .unwrap_or(false);
    let decryptor = age::Decryptor::new_buffered(input).map_err(|e| {
        if is_age {
            damaged(format!("unreadable age header: {e}"))
        } else {
            usage(format!(
                "{} is not an anzen backup (anzenのバックアップファイルではありません): \
                 not an age-encrypted file",
                args.file.display()
            ))
        }
    })?;
    let plain = if decryptor.is_scrypt() {
        let Some(p) = passphrase(args.passphrase_file.as_deref())? else {
            return Err(usage(format!(
                "this backup is protected by a passphrase: give --passphrase-file F or \
                 {PASSPHRASE_ENV} (パスフレーズが必要です)"
            )));
        };
        let identity = age::scrypt::Identity::new(p);
        decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|e| decrypt_error(e, true))?
    } else {
        if args.identity.is_empty() {
            return Err(usage(
                "this backup is encrypted to an age key: give --identity AGE_IDENTITY_FILE \
                 (復号用の鍵ファイルが必要です)",
            ));
        }
        let mut identities = Vec::new();
        for f in &args.identity {
            let file = age::IdentityFile::from_file(f.to_string_lossy().into_owned())
                .map_err(|e| usage(format!("--identity {}: {e}", f.display())))?;
            identities.extend(
                file.into_identities()
                    .map_err(|e| usage(format!("--identity {}: {e}", f.display())))?,
            );
        }
        decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(|e| decrypt_error(e, false))?
    };
    let mut plain = BufReader::new(DamageReader(flate2::read::GzDecoder::new(DamageReader(
        plain,
    ))));
    let mut first = String::new();
    plain.read_line(&mut first).map_err(damaged)?;
    let header: ArchiveHeader = serde_json::from_str(&first)
        .ok()
        .filter(|h: &ArchiveHeader| h.format == ARCHIVE_FORMAT)
        .ok_or_else(|| {
            usage(format!(
                "{} is not an anzen backup (anzenのバックアップファイルではありません): \
                 no archive header",
                args.file.display()
            ))
        })?;
    if header.version != ARCHIVE_VERSION {
        return Err(usage(format!(
            "backup archive version {} is not supported by this build (expected {ARCHIVE_VERSION})",
            header.version
        )));
    }
    anzen_ledger::SigningKey::from_key_string(&header.signing_key).map_err(|e| {
        usage(format!(
            "the backup's ledger signing key is not valid (署名鍵が不正です): {e}"
        ))
    })?;

    // From here on, files are written: removed again if anything fails.
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut cleanup = Cleanup {
        dir: dir.clone(),
        created: !dir_exists,
        armed: true,
    };
    let config_text = match &args.database {
        Some(url) => set_database(&header.config, url),
        None => header.config.clone(),
    };
    let config_path = dir.join(config::CONFIG_FILE);
    std::fs::write(&config_path, &config_text)
        .with_context(|| format!("writing {}", config_path.display()))?;
    write_key(&dir.join(config::KEY_FILE), &header.signing_key)?;
    drop(header);
    let cfg = Config::load(&dir)?;
    let summary = {
        let store = Store::open(&cfg.database_url(&dir)).with_context(|| {
            format!(
                "opening database {}",
                anzen_store::redact_url(&cfg.database)
            )
        })?;
        dump::load(&store, plain).map_err(load_error)?
    };
    cleanup.armed = false;

    println!(
        "復元しました / restored: {} → {}",
        args.file.display(),
        dir.display()
    );
    println!(
        "  database: {} (backup taken on {}), {} rows",
        anzen_store::redact_url(&cfg.database),
        summary.source_backend,
        summary.rows
    );
    for t in &summary.tables {
        println!("    {:<24} {:>10}", t.table, t.rows);
    }
    verify_after_restore(&dir)
}

fn decrypt_error(e: age::DecryptError, passphrase: bool) -> anyhow::Error {
    match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::NoMatchingKeys
        | age::DecryptError::KeyDecryptionFailed
            if passphrase =>
        {
            usage("wrong passphrase (パスフレーズが違います)")
        }
        age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
            usage("none of the --identity keys can decrypt this backup (復号できる鍵がありません)")
        }
        age::DecryptError::ExcessiveWork { required, target } => usage(format!(
            "the backup's passphrase work factor (2^{required}) is far above this machine's \
             (2^{target}); restore on a faster machine"
        )),
        age::DecryptError::InvalidMac | age::DecryptError::InvalidHeader => damaged(e),
        other => usage(format!("cannot decrypt the backup: {other}")),
    }
}

fn load_error(e: BackupError) -> anyhow::Error {
    if let BackupError::Io(io) = &e
        && let Some(d) = io.get_ref().and_then(|r| r.downcast_ref::<Damaged>())
    {
        return damaged(d);
    }
    match &e {
        BackupError::NotEmpty { .. } => usage(format!(
            "{e}: restore into an empty database (復元先のデータベースが空ではありません)"
        )),
        e if e.is_input_error() => usage(format!("{e} (バックアップを復元できません)")),
        _ => anyhow::Error::new(e).context("restoring the database"),
    }
}

fn write_key(path: &Path, text: &str) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Replaces (or adds) the top-level `database = …` line, keeping the rest of the file,
/// its comments included.
fn set_database(config: &str, url: &str) -> String {
    let line = format!("database = {}", toml::Value::String(url.to_owned()));
    let mut out = Vec::new();
    let mut replaced = false;
    let mut in_table = false;
    for l in config.lines() {
        let t = l.trim_start();
        if t.starts_with('[') {
            in_table = true;
        }
        let is_db = !in_table
            && t.strip_prefix("database")
                .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_db && !replaced {
            out.push(line.clone());
            replaced = true;
        } else if !is_db {
            out.push(l.to_owned());
        }
    }
    if !replaced {
        out.insert(0, line);
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// Checks the restored ledgers. Until `crate::verify::verify_data_dir` is available this
/// prints how to run it. Wiring (the lead): replace the body with
/// `Ok(if crate::verify::verify_data_dir(dir, None)? { ExitCode::SUCCESS } else { ExitCode::from(1) })`.
/// A restore is only done when every restored ledger verifies (exit 1 otherwise).
fn verify_after_restore(dir: &Path) -> Result<ExitCode> {
    Ok(if crate::verify::verify_data_dir(dir, None)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_line_is_replaced_at_top_level_only() {
        let c = Config::default().to_documented_toml();
        let out = set_database(&c, "postgres://u@h/db?options=-csearch_path%3Dx");
        let back: Config = toml::from_str(&out).expect("toml");
        assert_eq!(back.database, "postgres://u@h/db?options=-csearch_path%3Dx");
        assert!(out.contains("# sqlite://FILE"), "comments kept");
        let plain = set_database("[web]\ndatabase = 1\n", "sqlite://x.db");
        assert!(plain.starts_with("database = \"sqlite://x.db\"\n[web]\ndatabase = 1\n"));
    }
}
