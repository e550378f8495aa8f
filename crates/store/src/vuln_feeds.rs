//! Vulnerability feeds (NVD, CISA KEV, JVN) imported offline: server-wide public data. Each
//! imported file is recorded with its own date and SHA-256; its records replace older
//! records with the same key (and a KEV catalog replaces the previous catalog), all in the
//! caller's transaction — a failed import leaves the previous data in place.

use serde::Serialize;

use crate::{Conn, StoreError, now_us, params};

/// One imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedFile {
    pub id: i64,
    /// `nvd`, `kev`, `jvn`.
    pub kind: String,
    pub file_name: String,
    /// The feed's own date (NVD timestamp, KEV dateReleased…).
    pub feed_date: Option<String>,
    pub sha256: String,
    pub records: i64,
    pub imported_at: i64,
}

/// What to store.
pub struct NewFeed<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub feed_date: Option<&'a str>,
    pub sha256: &'a str,
    /// Replace every record of the kind (a complete catalog such as KEV) rather than only
    /// the records with the same keys.
    pub replace_all: bool,
}

/// Stores a feed file and its records `(key, json)`.
pub fn import(
    conn: &mut Conn,
    feed: &NewFeed<'_>,
    records: &[(String, String)],
) -> Result<FeedFile, StoreError> {
    let id = conn
        .query_one(
            "INSERT INTO vuln_feeds (kind, file_name, feed_date, sha256, records, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![
                feed.kind,
                feed.file_name,
                feed.feed_date,
                feed.sha256,
                i64::try_from(records.len()).unwrap_or(i64::MAX),
                now_us()
            ],
        )?
        .i64(0)?;
    if feed.replace_all {
        conn.execute(
            "DELETE FROM vuln_records WHERE kind = $1",
            params![feed.kind],
        )?;
    }
    for (key, data) in records {
        conn.execute(
            "INSERT INTO vuln_records (kind, record_key, feed_id, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, record_key) DO UPDATE SET feed_id = excluded.feed_id, \
             data = excluded.data",
            params![feed.kind, key.as_str(), id, data.as_str()],
        )?;
    }
    files(conn)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("feed {id}")))
}

/// Imported files, newest first.
pub fn files(conn: &mut Conn) -> Result<Vec<FeedFile>, StoreError> {
    conn.query(
        "SELECT id, kind, file_name, feed_date, sha256, records, imported_at FROM vuln_feeds \
         ORDER BY id DESC",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok(FeedFile {
            id: r.i64(0)?,
            kind: r.string(1)?,
            file_name: r.string(2)?,
            feed_date: r.opt_string(3)?,
            sha256: r.string(4)?,
            records: r.i64(5)?,
            imported_at: r.i64(6)?,
        })
    })
    .collect()
}

/// The current records of a kind as `(key, json)`, by key.
pub fn records(conn: &mut Conn, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
    conn.query(
        "SELECT record_key, data FROM vuln_records WHERE kind = $1 ORDER BY record_key",
        params![kind],
    )?
    .iter()
    .map(|r| Ok((r.string(0)?, r.string(1)?)))
    .collect()
}

/// How many current records each kind has.
pub fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>, StoreError> {
    conn.query(
        "SELECT kind, COUNT(*) FROM vuln_records GROUP BY kind ORDER BY kind",
        params![],
    )?
    .iter()
    .map(|r| Ok((r.string(0)?, r.i64(1)?)))
    .collect()
}
