//! anzen-accesslog — アクセスログの管理: the access-log store (checklist 2-(6)).
//!
//! Access events (the アクセスログ template of `anzen-ingest`, or syslog) are kept for years,
//! tamper-evident, and answer "who looked at this patient" and "what did this user do" fast
//! however much has accumulated.
//!
//! Shape (details in `docs/ARCHITECTURE.md` and `FORMAT.md`):
//! * [`engine`] — appends events in sequence order, one row per event holding its canonical
//!   bytes ([`codec`]); each append batch is committed to by **one** ledger entry
//!   (`access_log.batch`: sequence range and the RFC 6962 Merkle root of the batch's
//!   events), so the ledger is not written once per event and every event stays verifiable.
//!   Query indexes are built per closed *segment* (at least 4,096 events) as sorted posting
//!   lists packed into blocks of ~4 KiB and written in bulk, merged 16 at a time into
//!   bigger segments (log-structured, as an LSM tree does): inserts stay sequential
//!   whatever the size of the store. The hashing, sorting and merging run on a helper
//!   thread while the rows insert.
//! * [`query`] — search by patient, user, system, action and time range, and a stream of an
//!   organisation's events in a time range (for the monitoring rules).
//! * [`verify`] — recomputes every batch root from the stored rows against the ledger.
//! * [`retention`] — per-organisation retention (default 5 years): pruning whole batches,
//!   recorded in the ledger, so that verification still passes.
//! * [`import`] — file import (CSV / JSON Lines / xlsx, UTF-8 or CP932, gzip) with a
//!   quarantine of malformed lines, each file once (by SHA-256).
//!
//! This is its own crate rather than a module of `anzen-store` because it needs the
//! template types of `anzen-ingest` (which the store does not depend on) and is large
//! enough to deserve its own boundary; its tables are created by the store's migration
//! `0009_access_log` like every other table, so backup and restore cover them.

pub mod bench;
pub mod codec;
pub mod engine;
pub mod import;
pub mod query;
pub mod retention;
pub mod verify;

pub use engine::{Appended, append_batch, append_events, disk_usage, event_count};
pub use import::{ImportOutcome, import_reader};
pub use query::{Filter, Page, StoredEvent, search, stream};
pub use retention::{DEFAULT_RETENTION_YEARS, prune, retention_years, set_retention_years};
pub use verify::{Verification, verify};

use anzen_store::StoreError;

/// Errors of the access-log store.
#[derive(Debug, thiserror::Error)]
pub enum AccessLogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored access event could not be read: {0}")]
    Decode(String),
    /// The user's input cannot be imported (message in Japanese, naming file and line).
    #[error("{0}")]
    Input(String),
}

impl From<codec::DecodeError> for AccessLogError {
    fn from(e: codec::DecodeError) -> Self {
        AccessLogError::Decode(e.0)
    }
}

impl From<rusqlite::Error> for AccessLogError {
    fn from(e: rusqlite::Error) -> Self {
        AccessLogError::Store(StoreError::Sqlite(e))
    }
}

impl From<postgres::Error> for AccessLogError {
    fn from(e: postgres::Error) -> Self {
        AccessLogError::Store(StoreError::Postgres(e))
    }
}

fn u(v: i64) -> Result<u64, AccessLogError> {
    u64::try_from(v).map_err(|_| AccessLogError::Decode(format!("negative number {v}")))
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
