//! A data directory made by the real `anzen init` on one backend, shared by the CLI tests
//! that drive the binary against it (`ledger.rs`, `export.rs`).

use std::path::PathBuf;
use std::process::Command;

use anzen_store::{Store, testing};

pub const BIN: &str = env!("CARGO_BIN_EXE_anzen");
pub const PASSWORD: &str = "kiri-Tsubame-7294!";

/// An initialised data directory; the PostgreSQL schema lives as long as this.
pub struct DataDir {
    pub dir: tempfile::TempDir,
    /// Keeps the PostgreSQL schema alive while the directory is used.
    _db: testing::TestDb,
}

impl DataDir {
    /// `anzen init` with one hospital named `org_name` and an administrator.
    pub fn init(db: testing::TestDb, org_name: &str) -> DataDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, PASSWORD).expect("pw");
        let url = if db.backend == "sqlite" {
            // A file next to the data dir: init must create its own schema in it.
            dir.path()
                .join("anzen-test.db")
                .to_string_lossy()
                .into_owned()
        } else {
            db.url.clone()
        };
        let out = Command::new(BIN)
            .args(["init", "--data"])
            .arg(dir.path().join("data"))
            .args([
                "--database",
                &url,
                "--org-name",
                org_name,
                "--org-kind",
                "hospital",
            ])
            .args(["--admin-email", "admin@example.jp", "--admin-password-file"])
            .arg(&pw)
            .output()
            .expect("run init");
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        DataDir { dir, _db: db }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The store the directory's `anzen.toml` names.
    #[allow(dead_code)] // not every test binary that includes this module reads the store
    pub fn store(&self) -> Store {
        let cfg = std::fs::read_to_string(self.path().join("anzen.toml")).expect("config");
        let url = cfg
            .lines()
            .find_map(|l| l.strip_prefix("database = "))
            .map(|v| v.trim_matches('"').replace("\\\\", "\\"))
            .expect("database line");
        Store::open(&url).expect("open store")
    }

    /// Runs `anzen ARGS --data DIR`: (exit code, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(BIN)
            .args(args)
            .arg("--data")
            .arg(self.path())
            .output()
            .expect("run anzen");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}
