//! anzen-store — persistence behind one interface, on SQLite (embedded default) and
//! PostgreSQL (scale).
//!
//! Shape: [`Store`] owns a connection pool for one backend, chosen once from the URL.
//! Every query is a plain function over [`db::Conn`] in the module named after what it
//! stores (`orgs`, `users`, `sessions`, `tokens`, `ledger`), written once in portable SQL.
//! The store never decides what is a finding: it keeps records, rules live in anzen-core.

pub mod access_monitoring;
pub mod accounts;
pub mod assessments;
pub mod assets;
pub mod audit;
pub mod backup;
pub mod catalog_editions;
pub mod continuity;
pub mod db;
pub mod directory_sources;
pub mod evidence;
pub mod findings;
pub mod gl2;
pub mod governance;
pub mod incident;
pub mod ledger;
mod migrate;
pub mod orgs;
pub mod sessions;
pub mod testing;
pub mod tokens;
pub mod users;
pub mod vendor_forms;
pub mod vendors;
pub mod vuln_feeds;
pub mod webauthn;

use std::path::Path;
use std::time::Duration;

use r2d2_postgres::PostgresConnectionManager;
use r2d2_sqlite::SqliteConnectionManager;

pub use db::{Backend, Conn, Row, Value};

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("unsupported database URL {0:?} (expected a file path, sqlite://PATH or postgres://…)")]
    BadUrl(String),
    #[error("stored data could not be read: {0}")]
    Decode(String),
    #[error("migration {name} failed: {reason}")]
    Migration { name: String, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("ledger: {0}")]
    Ledger(#[from] anzen_ledger::LedgerError),
}

enum Pool {
    Sqlite(r2d2::Pool<SqliteConnectionManager>),
    Postgres(r2d2::Pool<PostgresConnectionManager<postgres::NoTls>>),
}

/// The persistence handle shared by the server and the CLI. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: std::sync::Arc<Pool>,
}

/// How durable an SQLite commit is. `Full` survives power loss; `Normal` (WAL) survives a
/// process crash and is what the throughput baseline is measured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    #[default]
    Full,
    Normal,
}

impl Store {
    /// Opens (creating if needed) the database named by `url` and runs pending migrations.
    ///
    /// `url` is `postgres://…`/`postgresql://…`, or `sqlite://PATH`, or a plain file path.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        Self::open_with(url, SqliteSync::default())
    }

    pub fn open_with(url: &str, sync: SqliteSync) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: postgres::Config = url
                .parse()
                .map_err(|_| StoreError::BadUrl(redact_url(url)))?;
            Self::open_postgres(config)?
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() || url.contains("://") && !url.starts_with("sqlite://") {
                return Err(StoreError::BadUrl(url.to_owned()));
            }
            Self::open_sqlite(Path::new(path), sync)?
        };
        store.migrate()?;
        Ok(store)
    }

    fn open_sqlite(path: &Path, sync: SqliteSync) -> Result<Store, StoreError> {
        let sync_pragma = match sync {
            SqliteSync::Full => "FULL",
            SqliteSync::Normal => "NORMAL",
        };
        // busy_timeout first: `journal_mode=WAL` takes a lock, and a pool connection opened
        // while another one writes would otherwise fail at once with "database is locked"
        // (r2d2 logged that and retried).
        let init = format!(
            "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; \
             PRAGMA synchronous={sync_pragma}; PRAGMA foreign_keys=ON;"
        );
        let manager =
            SqliteConnectionManager::file(path).with_init(move |c| c.execute_batch(&init));
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        Ok(Store {
            pool: std::sync::Arc::new(Pool::Sqlite(pool)),
        })
    }

    fn open_postgres(config: postgres::Config) -> Result<Store, StoreError> {
        let manager = PostgresConnectionManager::new(config, postgres::NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        Ok(Store {
            pool: std::sync::Arc::new(Pool::Postgres(pool)),
        })
    }

    /// Opens a PostgreSQL database inside its own schema (created if missing). Tests use
    /// this to give every test a fresh, isolated database.
    pub fn open_postgres_schema(url: &str, schema: &str) -> Result<Store, StoreError> {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::BadUrl(format!("bad schema name {schema:?}")));
        }
        let mut config: postgres::Config = url
            .parse()
            .map_err(|_| StoreError::BadUrl(redact_url(url)))?;
        {
            let mut client = config.connect(postgres::NoTls)?;
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
        }
        config.options(&format!("-csearch_path={schema}"));
        let store = Self::open_postgres(config)?;
        store.migrate()?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match &*self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection from the pool.
    pub fn conn(&self) -> Result<Conn, StoreError> {
        Ok(match &*self.pool {
            Pool::Sqlite(p) => Conn::Sqlite(p.get()?),
            Pool::Postgres(p) => Conn::Postgres(p.get()?),
        })
    }

    /// An idle pooled connection, or `None` at once if all are in use (for work that can
    /// go on without one, such as a search reading through more connections in parallel).
    pub fn try_conn(&self) -> Option<Conn> {
        match &*self.pool {
            Pool::Sqlite(p) => p.try_get().map(Conn::Sqlite),
            Pool::Postgres(p) => p.try_get().map(Conn::Postgres),
        }
    }

    /// Runs `f` in one transaction on a pooled connection.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.conn()?;
        conn.transaction(f)
    }

    /// Runs `f` on a pooled connection without an explicit transaction.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        migrate::run(&mut conn)
    }
}

/// Hides the password of a database URL for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Microseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A random token of `n` bytes, hex encoded (session ids, CSRF tokens, API tokens, uids).
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // getrandom only fails when the OS has no entropy source; nothing can run safely then.
    getrandom::fill(&mut buf).expect("OS random number generator unavailable");
    hex::encode(buf)
}

/// SHA-256 hex of a secret token, as stored (sessions and API tokens are stored hashed).
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://anzen:s3cret@db:5432/anzen"),
            "postgres://anzen:***@db:5432/anzen"
        );
        assert_eq!(
            redact_url("postgres://root@127.0.0.1/test"),
            "postgres://root@127.0.0.1/test"
        );
    }
}
