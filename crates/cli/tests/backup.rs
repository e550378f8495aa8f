//! `anzen backup` / `anzen restore` end to end, through the real binary: a restored data
//! directory holds the same rows, configuration and key; wrong passphrases, damaged files
//! and non-empty targets are refused with exit code 2 and nothing written; SQLite backups
//! restore into PostgreSQL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anzen_store::Store;
use anzen_store::backup;

const ADMIN_PASSWORD: &str = "kiri-Tsubame-7294!";
const PASSPHRASE: &str = "correct horse battery staple 42";

fn anzen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anzen"))
        .args(args)
        .env_remove("ANZEN_DATABASE")
        .env_remove("ANZEN_DATA")
        .env_remove(backup_env())
        .output()
        .expect("run anzen")
}

fn backup_env() -> &'static str {
    "ANZEN_BACKUP_PASSPHRASE"
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

struct Fixture {
    tmp: tempfile::TempDir,
    data: PathBuf,
    passphrase_file: PathBuf,
}

impl Fixture {
    /// An initialised data directory (SQLite) with an organisation and its administrator.
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let pw = tmp.path().join("admin-password");
        std::fs::write(&pw, format!("{ADMIN_PASSWORD}\n")).expect("write");
        let passphrase_file = tmp.path().join("passphrase");
        std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).expect("write");
        let data = tmp.path().join("data");
        let o = anzen(&[
            "init",
            "--data",
            s(&data),
            "--org-name",
            "さくら内科クリニック",
            "--org-kind",
            "clinic",
            "--admin-email",
            "admin@sakura.example.jp",
            "--admin-password-file",
            s(&pw),
        ]);
        assert!(o.status.success(), "init: {}", text(&o));
        Fixture {
            tmp,
            data,
            passphrase_file,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn backup(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        let o = anzen(&[
            "backup",
            "--data",
            s(&self.data),
            "--out",
            s(&out),
            "--passphrase-file",
            s(&self.passphrase_file),
        ]);
        assert!(o.status.success(), "backup: {}", text(&o));
        out
    }

    fn restore(&self, file: &Path, dir: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["restore", s(file), "--data", s(dir)];
        args.extend_from_slice(extra);
        anzen(&args)
    }
}

/// Every table's columns and rows (sorted), read through a full logical dump.
type RowSets = BTreeMap<String, (Vec<String>, Vec<String>)>;

fn row_sets(store: &Store) -> RowSets {
    let mut bytes = Vec::new();
    backup::dump(store, &mut bytes).expect("dump");
    let contents = backup::read_all(&bytes[..]).expect("read dump");
    contents
        .tables
        .into_iter()
        .map(|(t, (cols, rows))| {
            let mut rows: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
            rows.sort();
            (t, (cols, rows))
        })
        .collect()
}

/// The restored store holds exactly the backed-up rows; the only table allowed to have
/// more is `ledger_verifications`, where the verification after restore records itself.
fn assert_same_rows(before: &RowSets, after: &RowSets) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "tables differ"
    );
    for (table, (cols, rows)) in before {
        let (cols_after, rows_after) = &after[table];
        assert_eq!(cols, cols_after, "columns of {table}");
        if table == "ledger_verifications" {
            assert!(
                rows.iter().all(|r| rows_after.contains(r)),
                "rows of {table} lost"
            );
        } else {
            assert_eq!(rows, rows_after, "rows of {table} differ");
        }
    }
}

fn sqlite_rows(dir: &Path) -> RowSets {
    row_sets(&Store::open(s(&dir.join("anzen.db"))).expect("open store"))
}

#[test]
fn backup_restores_the_same_rows_config_and_key() {
    let f = Fixture::new();
    let file = f.backup("backup.age");
    let bytes = std::fs::read(&file).expect("read backup");

    // Encrypted: neither the key, nor the configuration, nor stored names in the clear.
    let key = std::fs::read_to_string(f.data.join("ledger-signing.key")).expect("key");
    let key = key.trim();
    assert!(key.len() > 20);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(key.as_bytes()),
        "plaintext key in the backup file"
    );
    // The secret part alone, too (`PRIVATE+KEY+<name>+<hash>+<base64 seed>`).
    let secret = key.splitn(5, '+').nth(4).expect("key string");
    assert!(
        !contains(secret.as_bytes()),
        "key material in the backup file"
    );
    assert!(!contains("さくら内科".as_bytes()));
    assert!(!contains(b"admin@sakura"));
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "backup readable by others: {mode:o}");
    }

    let restored = f.path("restored");
    let o = f.restore(
        &file,
        &restored,
        &["--passphrase-file", s(&f.passphrase_file)],
    );
    assert!(o.status.success(), "restore: {}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("orgs"));

    let before = sqlite_rows(&f.data);
    let after = sqlite_rows(&restored);
    assert!(before["orgs"].1.len() == 1 && !before["users"].1.is_empty());
    assert_same_rows(&before, &after);
    assert_eq!(
        std::fs::read(f.data.join("anzen.toml")).expect("config"),
        std::fs::read(restored.join("anzen.toml")).expect("config")
    );
    assert_eq!(
        std::fs::read(f.data.join("ledger-signing.key")).expect("key"),
        std::fs::read(restored.join("ledger-signing.key")).expect("key")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(restored.join("ledger-signing.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "key mode {mode:o}");
    }

    // The restored directory serves as a data directory: a new backup of it works, and
    // the passphrase may come from the environment.
    let again = f.path("again.age");
    let o = Command::new(env!("CARGO_BIN_EXE_anzen"))
        .args(["backup", "--data", s(&restored), "--out", s(&again)])
        .env(backup_env(), PASSPHRASE)
        .env_remove("ANZEN_DATABASE")
        .output()
        .expect("run");
    assert!(o.status.success(), "backup of restored: {}", text(&o));
}

#[test]
fn refusals_exit_2_and_write_nothing() {
    let f = Fixture::new();
    let file = f.backup("backup.age");
    let bytes = std::fs::read(&file).expect("read");

    // No passphrase: no unencrypted backup, no file.
    let plain = f.path("plain.age");
    let o = anzen(&["backup", "--data", s(&f.data), "--out", s(&plain)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unencrypted"));
    assert!(!plain.exists());

    // Wrong passphrase.
    let wrong = f.path("wrong-passphrase");
    std::fs::write(&wrong, "not the passphrase at all\n").expect("write");
    let target = f.path("t-wrong");
    let o = f.restore(&file, &target, &["--passphrase-file", s(&wrong)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrong passphrase"),
        "{}",
        text(&o)
    );
    assert!(
        !target.exists(),
        "wrong passphrase wrote {}",
        target.display()
    );

    // Missing passphrase.
    let o = f.restore(&file, &target, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!target.exists());

    let pass = ["--passphrase-file", s(&f.passphrase_file)];
    // Truncated, at several places (inside the age header, inside the payload).
    for cut in [bytes.len() - 1, bytes.len() / 2, 40] {
        let damaged = f.path("truncated.age");
        std::fs::write(&damaged, &bytes[..cut]).expect("write");
        let target = f.path("t-truncated");
        let o = f.restore(&damaged, &target, &pass);
        assert_eq!(o.status.code(), Some(2), "cut at {cut}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("damaged or truncated"),
            "cut at {cut}: {}",
            text(&o)
        );
        assert!(!target.exists(), "cut at {cut}: left {}", target.display());
    }
    // Corrupted: one flipped bit in the payload.
    let mut flipped = bytes.clone();
    let i = flipped.len() - 30;
    flipped[i] ^= 0x10;
    let damaged = f.path("flipped.age");
    std::fs::write(&damaged, &flipped).expect("write");
    let target = f.path("t-flipped");
    let o = f.restore(&damaged, &target, &pass);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("damaged or truncated"),
        "{}",
        text(&o)
    );
    assert!(!target.exists());

    // Not a backup at all.
    let junk = f.path("junk.age");
    std::fs::write(&junk, "database = \"sqlite://anzen.db\"\n").expect("write");
    let o = f.restore(&junk, &target, &pass);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an anzen backup"));
    assert!(!target.exists());

    // A non-empty target directory is refused and left as it was.
    let busy = f.path("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("notes.txt"), "keep me").expect("write");
    let o = f.restore(&file, &busy, &pass);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{}",
        text(&o)
    );
    let entries: Vec<_> = std::fs::read_dir(&busy).expect("read").collect();
    assert_eq!(entries.len(), 1);

    // An existing, empty directory is fine.
    let empty = f.path("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let o = f.restore(&file, &empty, &pass);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn recipient_backups_restore_with_the_identity() {
    use age::secrecy::ExposeSecret;
    let f = Fixture::new();
    let identity = age::x25519::Identity::generate();
    let id_file = f.path("identity.txt");
    std::fs::write(
        &id_file,
        format!("{}\n", identity.to_string().expose_secret()),
    )
    .expect("write");
    let out = f.path("to-key.age");
    let recipient = identity.to_public().to_string();
    let o = anzen(&[
        "backup",
        "--data",
        s(&f.data),
        "--out",
        s(&out),
        "--recipient",
        &recipient,
    ]);
    assert!(o.status.success(), "{}", text(&o));

    // A passphrase does not open it; another key does not either.
    let target = f.path("t");
    let o = f.restore(&out, &target, &["--passphrase-file", s(&f.passphrase_file)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let other = f.path("other.txt");
    std::fs::write(
        &other,
        format!(
            "{}\n",
            age::x25519::Identity::generate()
                .to_string()
                .expose_secret()
        ),
    )
    .expect("write");
    let o = f.restore(&out, &target, &["--identity", s(&other)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!target.exists());

    let o = f.restore(&out, &target, &["--identity", s(&id_file)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_same_rows(&sqlite_rows(&f.data), &sqlite_rows(&target));

    // A malformed recipient is a usage error.
    let o = anzen(&[
        "backup",
        "--data",
        s(&f.data),
        "--out",
        s(&f.path("x.age")),
        "--recipient",
        "age1nope",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// A fresh PostgreSQL schema, dropped at the end.
struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn pg_schema() -> Option<PgSchema> {
    let admin_url = anzen_store::testing::postgres_url();
    match postgres::Client::connect(&admin_url, postgres::NoTls) {
        Ok(mut c) => {
            let schema = format!("bk_{}", anzen_store::random_hex(6));
            c.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
            Some(PgSchema { admin_url, schema })
        }
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is required in CI but unreachable: {e}");
            }
            eprintln!("note: PostgreSQL unreachable ({e}); SQLite → PostgreSQL restore skipped");
            None
        }
    }
}

#[test]
fn sqlite_backup_restores_into_postgres() {
    let Some(pg) = pg_schema() else {
        return;
    };
    let f = Fixture::new();
    let file = f.backup("backup.age");
    let sep = if pg.admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}options=-csearch_path%3D{}", pg.admin_url, pg.schema);
    let target = f.path("on-postgres");
    let o = f.restore(
        &file,
        &target,
        &[
            "--passphrase-file",
            s(&f.passphrase_file),
            "--database",
            &url,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let config = std::fs::read_to_string(target.join("anzen.toml")).expect("config");
    assert!(
        config.contains(&pg.schema),
        "database not overridden:\n{config}"
    );
    assert!(!target.join("anzen.db").exists());

    let pg_store = Store::open(&url).expect("open postgres");
    assert_same_rows(&sqlite_rows(&f.data), &row_sets(&pg_store));

    // Restoring again into the same, now filled, database is refused.
    let o = f.restore(
        &file,
        &f.path("second"),
        &[
            "--passphrase-file",
            s(&f.passphrase_file),
            "--database",
            &url,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not empty"),
        "{}",
        text(&o)
    );
    assert!(!f.path("second").exists());
}
