//! Test support: a fresh database per test on every backend.
//!
//! SQLite gets a temporary file; PostgreSQL gets its own schema in the database named by
//! `ANZEN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`), dropped when
//! the test ends. When PostgreSQL is unreachable the suite fails if `CI` is set (nothing may
//! be skipped silently in CI) and otherwise prints why it runs on SQLite only.

use crate::{Store, StoreError};

pub const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One isolated test database.
pub struct TestDb {
    pub store: Store,
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    /// The URL to reach it from a child process (SQLite path or PostgreSQL URL with schema).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg_schema
            && let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("ANZEN_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_owned())
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("anzen.db");
    let url = path.to_string_lossy().into_owned();
    let store = Store::open(&url).expect("open sqlite");
    TestDb {
        store,
        backend: "sqlite",
        url,
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// A fresh PostgreSQL schema, or None when PostgreSQL is unreachable outside CI.
pub fn postgres() -> Option<TestDb> {
    let url = postgres_url();
    let schema = format!("t_{}", crate::random_hex(8));
    match Store::open_postgres_schema(&url, &schema) {
        Ok(store) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Some(TestDb {
                store,
                backend: "postgres",
                url: format!("{url}{sep}options=-csearch_path%3D{schema}"),
                _dir: None,
                pg_schema: Some((url, schema)),
            })
        }
        Err(e) => unavailable(&e),
    }
}

fn unavailable(e: &StoreError) -> Option<TestDb> {
    if std::env::var_os("CI").is_some() {
        panic!("PostgreSQL is required in CI but unreachable: {e}");
    }
    eprintln!("note: PostgreSQL unreachable ({e}); this test runs on SQLite only");
    None
}

/// Every backend: SQLite always, PostgreSQL when reachable (always in CI).
pub fn all() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}
