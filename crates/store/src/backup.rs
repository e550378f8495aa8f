//! Logical, backend-neutral dump and load of a whole store: the database half of
//! `anzen backup` / `anzen restore` (the command adds the configuration, the signing key,
//! compression and encryption).
//!
//! [`dump`] reads every table of the schema (discovered from the catalog, so tables added
//! by later migrations are included without changes here), `schema_migrations` too, inside
//! ONE read snapshot — SQLite: a read transaction on a WAL database; PostgreSQL:
//! `REPEATABLE READ READ ONLY` — so the dump is consistent while the server keeps writing.
//! Rows are streamed (SQLite statement iteration, PostgreSQL cursor), never whole tables.
//!
//! # Format (JSON Lines, UTF-8, one JSON object per line)
//!
//! ```text
//! {"format":"anzen-backup","version":1,"created_at":<µs>,"source_backend":"sqlite",
//!  "migrations":["0001_foundation",…],"tables":["orgs","users",…]}
//! {"table":"orgs","columns":["id","uid",…]}
//! {"row":[1,"ab12…",null,{"base64":"AAEC"}]}
//! …
//! {"trailer":{"tables":[{"table":"orgs","rows":3},…],"rows":42,"sha256":"<hex>"}}
//! ```
//!
//! Values: JSON `null`, integers, strings, and `{"base64": …}` for blobs. Tables come in an
//! order in which every table follows the tables it references (foreign keys), rows in
//! primary-key order. `sha256` covers every byte before the trailer line, so a truncated
//! or altered dump is refused by [`load`], which runs in one transaction: all or nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Write};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Backend, Conn, Store, StoreError, Value, now_us};

pub const FORMAT: &str = "anzen-backup";
pub const VERSION: u32 = 1;
const MIGRATIONS_TABLE: &str = "schema_migrations";
const PG_FETCH: usize = 500;

/// Why a dump could not be written or loaded.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("not an anzen backup: {0}")]
    NotABackup(String),
    #[error("backup format version {0} is not supported by this build (expected {VERSION})")]
    UnsupportedVersion(u32),
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error(
        "backup is truncated: it ends at line {line} before its trailer (incomplete or damaged file)"
    )]
    Truncated { line: u64 },
    #[error("backup is corrupted: content SHA-256 is {actual}, the trailer says {expected}")]
    Checksum { expected: String, actual: String },
    #[error("backup is corrupted: table {table} has {actual} rows, the trailer says {expected}")]
    RowCount {
        table: String,
        expected: u64,
        actual: u64,
    },
    #[error("the target database is not empty: table {table} already has rows")]
    NotEmpty { table: String },
    #[error(
        "the backup's migrations [{}] are not a prefix of this build's [{}]: restore with the \
         anzen version that made the backup, or a newer one",
        backup.join(", "), build.join(", ")
    )]
    Migrations {
        backup: Vec<String>,
        build: Vec<String>,
    },
    #[error("table {table}: not in this database's schema")]
    UnknownTable { table: String },
    #[error("table {table}: column {column} is not in this database's schema")]
    UnknownColumn { table: String, column: String },
    #[error("table {table} comes before table {depends_on}, which it references")]
    Order { table: String, depends_on: String },
    #[error("line {line}, table {table}: {reason}")]
    Insert {
        table: String,
        line: u64,
        reason: String,
    },
}

impl BackupError {
    /// True when the input (the backup or the target) is at fault rather than the system:
    /// a file that is not a backup, damaged, from an incompatible build, or a target that
    /// is not empty.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, BackupError::Store(_) | BackupError::Io(_))
    }
}

/// The first line of a dump.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub created_at: i64,
    pub source_backend: String,
    pub migrations: Vec<String>,
    /// Tables in the order they appear (dependencies first).
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub rows: u64,
}

/// The last line of a dump.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Trailer {
    pub tables: Vec<TableCount>,
    pub rows: u64,
    pub sha256: String,
}

/// What [`dump`] wrote or [`load`] inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tables: Vec<TableCount>,
    pub rows: u64,
    pub sha256: String,
    pub migrations: Vec<String>,
    pub source_backend: String,
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------
// Schema discovery

#[derive(Debug, Clone)]
struct TableInfo {
    name: String,
    columns: Vec<String>,
    primary_key: Vec<String>,
    /// Tables referenced by foreign keys (without self references).
    references: Vec<String>,
}

fn discover(conn: &mut Conn) -> Result<Vec<TableInfo>, StoreError> {
    let names: Vec<String> = match conn.backend() {
        Backend::Sqlite => conn
            .query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
                &[],
            )?
            .iter()
            .map(|r| r.string(0))
            .collect::<Result<_, _>>()?,
        Backend::Postgres => conn
            .query(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
                 ORDER BY c.oid",
                &[],
            )?
            .iter()
            .map(|r| r.string(0))
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let (columns, primary_key, references) = match conn.backend() {
            Backend::Sqlite => {
                let cols = conn.query(
                    "SELECT name, pk FROM pragma_table_info($1) ORDER BY cid",
                    &[Value::from(name.as_str())],
                )?;
                let columns = cols
                    .iter()
                    .map(|r| r.string(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut pk: Vec<(i64, String)> = Vec::new();
                for r in &cols {
                    let pos = r.i64(1)?;
                    if pos > 0 {
                        pk.push((pos, r.string(0)?));
                    }
                }
                pk.sort();
                let refs = conn
                    .query(
                        "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)",
                        &[Value::from(name.as_str())],
                    )?
                    .iter()
                    .map(|r| r.string(0))
                    .collect::<Result<Vec<_>, _>>()?;
                (columns, pk.into_iter().map(|(_, c)| c).collect(), refs)
            }
            Backend::Postgres => {
                let columns = conn
                    .query(
                        "SELECT column_name::text FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = $1 \
                         ORDER BY ordinal_position",
                        &[Value::from(name.as_str())],
                    )?
                    .iter()
                    .map(|r| r.string(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let pk = conn
                    .query(
                        "SELECT k.column_name::text FROM information_schema.table_constraints t \
                         JOIN information_schema.key_column_usage k \
                           ON k.constraint_schema = t.constraint_schema \
                          AND k.constraint_name = t.constraint_name \
                          AND k.table_name = t.table_name \
                         WHERE t.table_schema = current_schema() AND t.table_name = $1 \
                           AND t.constraint_type = 'PRIMARY KEY' \
                         ORDER BY k.ordinal_position",
                        &[Value::from(name.as_str())],
                    )?
                    .iter()
                    .map(|r| r.string(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let refs = conn
                    .query(
                        "SELECT DISTINCT r.relname::text FROM pg_constraint k \
                         JOIN pg_class c ON c.oid = k.conrelid \
                         JOIN pg_class r ON r.oid = k.confrelid \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = $1",
                        &[Value::from(name.as_str())],
                    )?
                    .iter()
                    .map(|r| r.string(0))
                    .collect::<Result<Vec<_>, _>>()?;
                (columns, pk, refs)
            }
        };
        let references = references.into_iter().filter(|r| *r != name).collect();
        out.push(TableInfo {
            name,
            columns,
            primary_key,
            references,
        });
    }
    Ok(order_by_dependencies(out))
}

/// Stable topological order: each table after the tables it references, otherwise in
/// creation order. A cycle (none in this schema) keeps creation order for its members.
fn order_by_dependencies(tables: Vec<TableInfo>) -> Vec<TableInfo> {
    let known: HashSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut placed: HashSet<String> = HashSet::new();
    let mut rest = tables;
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let pos = rest
            .iter()
            .position(|t| {
                t.references
                    .iter()
                    .all(|r| placed.contains(r) || !known.contains(r))
            })
            .unwrap_or(0);
        let t = rest.remove(pos);
        placed.insert(t.name.clone());
        out.push(t);
    }
    out
}

fn migrations(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    conn.query(
        &format!("SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name"),
        &[],
    )?
    .iter()
    .map(|r| r.string(0))
    .collect()
}

// ---------------------------------------------------------------------------------------
// Value encoding

fn encode_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Blob(b) => serde_json::json!({
            "base64": base64::engine::general_purpose::STANDARD.encode(b)
        }),
    }
}

fn decode_value(v: &serde_json::Value) -> Result<Value, String> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => Value::Int(
            n.as_i64()
                .ok_or_else(|| format!("{n} is not a 64-bit integer"))?,
        ),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Object(o) if o.len() == 1 => {
            let b = o
                .get("base64")
                .and_then(|b| b.as_str())
                .ok_or("expected {\"base64\": …}")?;
            Value::Blob(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| format!("bad base64: {e}"))?,
            )
        }
        other => return Err(format!("unexpected value {other}")),
    })
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Result<Value, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Text(f.to_string()),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| StoreError::Decode(e.to_string()))?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

// ---------------------------------------------------------------------------------------
// Dump

/// Hashes every byte written through it.
struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn line(&mut self, v: &impl Serialize) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(v).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        self.hash.update(&bytes);
        self.inner.write_all(&bytes)
    }
}

/// Writes a consistent logical dump of `store` to `out` (see the module documentation).
/// The server may keep writing meanwhile: the dump is one read snapshot.
pub fn dump<W: Write>(store: &Store, out: W) -> Result<Summary, BackupError> {
    let mut conn = store.conn()?;
    match conn.backend() {
        // A deferred transaction whose first read starts the snapshot (WAL: writers go on).
        Backend::Sqlite => {
            conn.batch("BEGIN")?;
            conn.query("SELECT count(*) FROM sqlite_master", &[])?;
        }
        Backend::Postgres => conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
    }
    let result = dump_in_snapshot(&mut conn, out);
    // Nothing was written: ending the read transaction either way is the same.
    let end = conn.batch("ROLLBACK");
    let summary = result?;
    end?;
    Ok(summary)
}

fn dump_in_snapshot<W: Write>(conn: &mut Conn, out: W) -> Result<Summary, BackupError> {
    let backend = conn.backend();
    let tables = discover(conn)?;
    let migrations = migrations(conn)?;
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        created_at: now_us(),
        source_backend: backend_name(backend).to_owned(),
        migrations: migrations.clone(),
        tables: tables.iter().map(|t| t.name.clone()).collect(),
    };
    let mut w = HashingWriter {
        inner: out,
        hash: Sha256::new(),
    };
    w.line(&header)?;
    let mut counts = Vec::with_capacity(tables.len());
    let mut total = 0u64;
    for t in &tables {
        w.line(&serde_json::json!({ "table": t.name, "columns": t.columns }))?;
        let n = dump_table(conn, t, &mut w)?;
        total += n;
        counts.push(TableCount {
            table: t.name.clone(),
            rows: n,
        });
    }
    let sha256 = hex::encode(std::mem::take(&mut w.hash).finalize());
    let trailer = Trailer {
        tables: counts.clone(),
        rows: total,
        sha256: sha256.clone(),
    };
    let mut last = serde_json::to_vec(&serde_json::json!({ "trailer": trailer }))
        .map_err(std::io::Error::other)?;
    last.push(b'\n');
    w.inner.write_all(&last)?;
    w.inner.flush()?;
    Ok(Summary {
        tables: counts,
        rows: total,
        sha256,
        migrations,
        source_backend: header.source_backend,
    })
}

fn select_sql(t: &TableInfo, backend: Backend) -> String {
    let cols: Vec<String> = t.columns.iter().map(|c| quote_ident(c)).collect();
    let order = if !t.primary_key.is_empty() {
        t.primary_key
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        match backend {
            Backend::Sqlite => "rowid".to_owned(),
            Backend::Postgres => (1..=t.columns.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    };
    format!(
        "SELECT {} FROM {} ORDER BY {order}",
        cols.join(", "),
        quote_ident(&t.name)
    )
}

fn dump_table<W: Write>(
    conn: &mut Conn,
    t: &TableInfo,
    w: &mut HashingWriter<W>,
) -> Result<u64, BackupError> {
    let sql = select_sql(t, conn.backend());
    let mut n = 0u64;
    let mut emit = |w: &mut HashingWriter<W>, vals: &[Value]| -> Result<(), BackupError> {
        let row: Vec<serde_json::Value> = vals.iter().map(encode_value).collect();
        w.line(&serde_json::json!({ "row": row }))?;
        n += 1;
        Ok(())
    };
    if let Some(c) = conn.sqlite() {
        let mut stmt = c.prepare(&sql).map_err(StoreError::from)?;
        let ncols = stmt.column_count();
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        let mut vals = Vec::with_capacity(ncols);
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            vals.clear();
            for i in 0..ncols {
                vals.push(sqlite_value(r.get_ref(i).map_err(StoreError::from)?)?);
            }
            emit(w, &vals)?;
        }
    } else {
        conn.batch(&format!("DECLARE anzen_dump NO SCROLL CURSOR FOR {sql}"))?;
        let fetch = format!("FETCH FORWARD {PG_FETCH} FROM anzen_dump");
        loop {
            let rows = conn.query(&fetch, &[])?;
            for r in &rows {
                emit(w, &r.0)?;
            }
            if rows.len() < PG_FETCH {
                break;
            }
        }
        conn.batch("CLOSE anzen_dump")?;
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Reading

/// One item of a dump, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Table { name: String, columns: Vec<String> },
    Row(Vec<Value>),
}

/// Streams the items of a dump, checking its structure as it goes and, at the end, its
/// trailer (row counts and SHA-256). An item is only trustworthy once [`DumpReader::next`]
/// has returned `Ok(None)`: that is when the whole content has been checked.
pub struct DumpReader<R: BufRead> {
    input: R,
    pub header: Header,
    line: u64,
    hash: Sha256,
    buf: String,
    current: Option<(String, usize)>,
    counts: Vec<TableCount>,
    done: bool,
}

impl<R: BufRead> DumpReader<R> {
    /// Reads and checks the header line.
    pub fn new(mut input: R) -> Result<Self, BackupError> {
        let mut buf = String::new();
        let n = read_line(&mut input, &mut buf, 1)?;
        if n == 0 {
            return Err(BackupError::NotABackup("the file is empty".into()));
        }
        let v: serde_json::Value = serde_json::from_str(&buf)
            .map_err(|_| BackupError::NotABackup("the first line is not an anzen header".into()))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(BackupError::NotABackup(format!(
                "the first line does not name the {FORMAT:?} format"
            )));
        }
        match v.get("version").and_then(|f| f.as_u64()) {
            Some(n) if n == u64::from(VERSION) => {}
            Some(n) => return Err(BackupError::UnsupportedVersion(n.try_into().unwrap_or(0))),
            None => return Err(BackupError::NotABackup("the header has no version".into())),
        }
        let header: Header = serde_json::from_value(v).map_err(|e| BackupError::Malformed {
            line: 1,
            reason: format!("bad header: {e}"),
        })?;
        let mut hash = Sha256::new();
        hash.update(buf.as_bytes());
        Ok(DumpReader {
            input,
            header,
            line: 1,
            hash,
            buf,
            current: None,
            counts: Vec::new(),
            done: false,
        })
    }

    /// The line number of the item last returned.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The current table, once a table item has been returned.
    pub fn table(&self) -> Option<&str> {
        self.current.as_ref().map(|(t, _)| t.as_str())
    }

    /// Row counts per table read so far.
    pub fn counts(&self) -> &[TableCount] {
        &self.counts
    }

    /// The next item; `Ok(None)` once the trailer has been read and checked, and nothing
    /// follows it.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Item>, BackupError> {
        if self.done {
            return Ok(None);
        }
        self.line += 1;
        let line = self.line;
        let n = read_line(&mut self.input, &mut self.buf, line)?;
        if n == 0 || !self.buf.ends_with('\n') {
            return Err(BackupError::Truncated { line: line - 1 });
        }
        let malformed = |reason: String| BackupError::Malformed { line, reason };
        let v: serde_json::Value =
            serde_json::from_str(&self.buf).map_err(|e| malformed(format!("not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| malformed("not a JSON object".into()))?;
        if let Some(row) = obj.get("row") {
            let row = row
                .as_array()
                .ok_or_else(|| malformed("row is not an array".into()))?;
            let Some((table, ncols)) = &self.current else {
                return Err(malformed("row before any table".into()));
            };
            if row.len() != *ncols {
                return Err(malformed(format!(
                    "table {table}: row has {} values, the table {ncols} columns",
                    row.len()
                )));
            }
            let vals = row
                .iter()
                .map(decode_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| malformed(format!("table {table}: {e}")))?;
            self.hash.update(self.buf.as_bytes());
            if let Some(c) = self.counts.last_mut() {
                c.rows += 1;
            }
            return Ok(Some(Item::Row(vals)));
        }
        if let Some(name) = obj.get("table") {
            let name = name
                .as_str()
                .ok_or_else(|| malformed("table name is not a string".into()))?
                .to_owned();
            let columns: Vec<String> = obj
                .get("columns")
                .and_then(|c| serde_json::from_value(c.clone()).ok())
                .ok_or_else(|| malformed(format!("table {name}: bad column list")))?;
            let expected = self.header.tables.get(self.counts.len());
            if expected != Some(&name) {
                return Err(malformed(format!(
                    "table {name} is not the next table the header announces ({})",
                    expected.map_or("none", |s| s.as_str())
                )));
            }
            self.hash.update(self.buf.as_bytes());
            self.current = Some((name.clone(), columns.len()));
            self.counts.push(TableCount {
                table: name.clone(),
                rows: 0,
            });
            return Ok(Some(Item::Table { name, columns }));
        }
        if let Some(t) = obj.get("trailer") {
            let trailer: Trailer = serde_json::from_value(t.clone())
                .map_err(|e| malformed(format!("bad trailer: {e}")))?;
            let actual = hex::encode(std::mem::take(&mut self.hash).finalize());
            if actual != trailer.sha256 {
                return Err(BackupError::Checksum {
                    expected: trailer.sha256,
                    actual,
                });
            }
            if self.counts.len() != self.header.tables.len() {
                return Err(malformed(format!(
                    "{} tables announced, {} present",
                    self.header.tables.len(),
                    self.counts.len()
                )));
            }
            for c in &self.counts {
                let expected = trailer
                    .tables
                    .iter()
                    .find(|t| t.table == c.table)
                    .map_or(0, |t| t.rows);
                if expected != c.rows {
                    return Err(BackupError::RowCount {
                        table: c.table.clone(),
                        expected,
                        actual: c.rows,
                    });
                }
            }
            // Nothing may follow the trailer (reading on also lets a decompressor or a
            // decryptor below check its own end).
            let more = read_line(&mut self.input, &mut self.buf, line + 1)?;
            if more != 0 {
                return Err(BackupError::Malformed {
                    line: line + 1,
                    reason: "data after the trailer".into(),
                });
            }
            self.done = true;
            return Ok(None);
        }
        Err(malformed("neither a table, a row nor the trailer".into()))
    }
}

fn read_line<R: BufRead>(input: &mut R, buf: &mut String, line: u64) -> Result<usize, BackupError> {
    buf.clear();
    match input.read_line(buf) {
        Ok(n) => Ok(n),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(BackupError::Malformed {
            line,
            reason: format!("not UTF-8 text: {e}"),
        }),
        Err(e) => Err(BackupError::Io(e)),
    }
}

/// A whole dump in memory, checked: for tests, comparisons and inspection of small stores.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    pub header: Header,
    /// Table → (columns, rows in dump order).
    pub tables: BTreeMap<String, (Vec<String>, Vec<Vec<Value>>)>,
}

/// Reads and checks a whole dump into memory.
pub fn read_all<R: BufRead>(input: R) -> Result<Contents, BackupError> {
    let mut r = DumpReader::new(input)?;
    let mut tables: BTreeMap<String, (Vec<String>, Vec<Vec<Value>>)> = BTreeMap::new();
    let mut current = String::new();
    while let Some(item) = r.next()? {
        match item {
            Item::Table { name, columns } => {
                tables.insert(name.clone(), (columns, Vec::new()));
                current = name;
            }
            Item::Row(vals) => {
                if let Some((_, rows)) = tables.get_mut(&current) {
                    rows.push(vals);
                }
            }
        }
    }
    Ok(Contents {
        header: r.header,
        tables,
    })
}

// ---------------------------------------------------------------------------------------
// Load

/// Loads a dump into a fresh, migrated store, in one transaction (all or nothing).
///
/// Refused when any table other than `schema_migrations` has rows, when the backup's
/// migrations are not a prefix of the store's, when the backup names a table or column
/// the schema does not have, and when the dump is damaged (checked before commit). On
/// PostgreSQL, identity sequences are moved past the loaded ids.
pub fn load<R: BufRead>(store: &Store, input: R) -> Result<Summary, BackupError> {
    let mut reader = DumpReader::new(input)?;
    let mut conn = store.conn()?;
    conn.transaction(|c| load_in_transaction(c, &mut reader))
}

fn load_in_transaction<R: BufRead>(
    conn: &mut Conn,
    reader: &mut DumpReader<R>,
) -> Result<Summary, BackupError> {
    let backend = conn.backend();
    let header = reader.header.clone();
    let schema = discover(conn)?;
    let by_name: HashMap<&str, &TableInfo> = schema.iter().map(|t| (t.name.as_str(), t)).collect();

    let build = migrations(conn)?;
    if header.migrations.len() > build.len()
        || build[..header.migrations.len()] != header.migrations
    {
        return Err(BackupError::Migrations {
            backup: header.migrations.clone(),
            build,
        });
    }
    // Every announced table must exist, each after the tables it references.
    let announced: HashSet<&str> = header.tables.iter().map(|s| s.as_str()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for t in &header.tables {
        let info = by_name
            .get(t.as_str())
            .ok_or_else(|| BackupError::UnknownTable { table: t.clone() })?;
        for r in &info.references {
            if announced.contains(r.as_str()) && !seen.contains(r.as_str()) {
                return Err(BackupError::Order {
                    table: t.clone(),
                    depends_on: r.clone(),
                });
            }
        }
        seen.insert(t.as_str());
    }
    for t in &schema {
        if t.name == MIGRATIONS_TABLE {
            continue;
        }
        let has_rows = conn
            .query_opt(
                &format!("SELECT 1 FROM {} LIMIT 1", quote_ident(&t.name)),
                &[],
            )?
            .is_some();
        if has_rows {
            return Err(BackupError::NotEmpty {
                table: t.name.clone(),
            });
        }
    }
    if backend == Backend::Sqlite {
        // Checked at commit instead of per row (resets itself when the transaction ends).
        conn.batch("PRAGMA defer_foreign_keys = ON")?;
    }

    let mut insert = Inserter::default();
    while let Some(item) = reader.next()? {
        match item {
            Item::Table { name, columns } => {
                let info = by_name
                    .get(name.as_str())
                    .ok_or_else(|| BackupError::UnknownTable {
                        table: name.clone(),
                    })?;
                for col in &columns {
                    if !info.columns.contains(col) {
                        return Err(BackupError::UnknownColumn {
                            table: name.clone(),
                            column: col.clone(),
                        });
                    }
                }
                insert.start(conn, &name, &columns)?;
            }
            Item::Row(vals) => {
                let line = reader.line();
                insert.row(conn, &vals).map_err(|e| BackupError::Insert {
                    table: insert.table.clone(),
                    line,
                    reason: e.to_string(),
                })?;
            }
        }
    }
    drop(insert);

    if backend == Backend::Postgres {
        reset_sequences(conn, &schema)?;
    }
    let counts = reader.counts().to_vec();
    Ok(Summary {
        rows: counts.iter().map(|c| c.rows).sum(),
        tables: counts,
        sha256: String::new(),
        migrations: header.migrations.clone(),
        source_backend: header.source_backend.clone(),
    })
}

/// Inserts the rows of the current table with one prepared statement.
#[derive(Default)]
struct Inserter {
    table: String,
    sql: String,
    /// For `schema_migrations`: the position of `name`, whose row replaces the target's.
    migration_name: Option<usize>,
    pg: Option<postgres::Statement>,
}

impl Inserter {
    fn start(
        &mut self,
        conn: &mut Conn,
        table: &str,
        columns: &[String],
    ) -> Result<(), StoreError> {
        let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let overriding = match conn.backend() {
            // Keeps ids even for GENERATED ALWAYS identity columns.
            Backend::Postgres => " OVERRIDING SYSTEM VALUE",
            Backend::Sqlite => "",
        };
        self.table = table.to_owned();
        self.sql = format!(
            "INSERT INTO {} ({}){overriding} VALUES ({})",
            quote_ident(table),
            cols.join(", "),
            params.join(", ")
        );
        self.migration_name = if table == MIGRATIONS_TABLE {
            columns.iter().position(|c| c == "name")
        } else {
            None
        };
        self.pg = match conn.postgres() {
            Some(client) => Some(client.prepare(&self.sql)?),
            None => None,
        };
        Ok(())
    }

    fn row(&mut self, conn: &mut Conn, vals: &[Value]) -> Result<(), StoreError> {
        if let Some(i) = self.migration_name {
            // The fresh store recorded its own migrations: keep the backup's record of them.
            conn.execute(
                &format!("DELETE FROM {MIGRATIONS_TABLE} WHERE name = $1"),
                std::slice::from_ref(&vals[i]),
            )?;
        }
        match (&self.pg, conn.postgres()) {
            (Some(stmt), Some(client)) => {
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = vals
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                client.execute(stmt, &refs)?;
            }
            _ => {
                conn.execute(&self.sql, vals)?;
            }
        }
        Ok(())
    }
}

fn reset_sequences(conn: &mut Conn, schema: &[TableInfo]) -> Result<(), StoreError> {
    for t in schema {
        for col in &t.columns {
            let seq = conn.query_one(
                "SELECT pg_get_serial_sequence($1, $2)",
                &[Value::from(quote_ident(&t.name)), Value::from(col.as_str())],
            )?;
            let Some(seq) = seq.opt_string(0)? else {
                continue;
            };
            let col = quote_ident(col);
            let table = quote_ident(&t.name);
            conn.query_one(
                &format!(
                    "SELECT setval($1::text::regclass, COALESCE((SELECT max({col}) FROM {table}), 1), \
                     (SELECT max({col}) FROM {table}) IS NOT NULL)"
                ),
                &[Value::from(seq)],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orgs::{self, OrgProfile};
    use crate::{audit, params, testing, users};
    use anzen_core::{OrgKind, Role};

    const EXTRA_SQLITE: &str = "CREATE TABLE backup_test_extra (id INTEGER PRIMARY KEY, org_id INTEGER REFERENCES orgs(id), b BLOB, t TEXT, n BIGINT)";
    const EXTRA_PG: &str = "CREATE TABLE backup_test_extra (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, org_id BIGINT REFERENCES orgs(id), b BYTEA, t TEXT, n BIGINT)";

    fn add_extra_table(store: &Store) {
        let mut c = store.conn().expect("conn");
        let sql = match c.backend() {
            Backend::Sqlite => EXTRA_SQLITE,
            Backend::Postgres => EXTRA_PG,
        };
        c.batch(sql).expect("extra table");
    }

    fn populate(store: &Store) {
        add_extra_table(store);
        store
            .write(|c| -> Result<(), StoreError> {
                let org =
                    orgs::create(c, &OrgProfile::new("さくら内科クリニック", OrgKind::Clinic))?;
                audit::record(c, &org, "test", "org.create", &serde_json::json!({"n": 1}))?;
                let u = users::create(c, "a@example.jp", "山田 \"太郎\"", "hash")?;
                orgs::add_member(c, org.id, u.id, Role::Admin)?;
                for i in 0..1200i64 {
                    c.execute(
                        "INSERT INTO backup_test_extra (org_id, b, t, n) VALUES ($1, $2, $3, $4)",
                        params![
                            if i % 3 == 0 { None } else { Some(org.id.0) },
                            vec![0u8, 1, 2, 255, (i % 256) as u8],
                            format!("行 {i}\n\t'\"\\"),
                            if i % 2 == 0 { Some(i64::MIN + i) } else { None }
                        ],
                    )?;
                }
                Ok(())
            })
            .expect("populate");
    }

    fn dump_bytes(store: &Store) -> Vec<u8> {
        let mut out = Vec::new();
        dump(store, &mut out).expect("dump");
        out
    }

    /// Row sets per table, order-insensitive (row order differs between backends only for
    /// tables without a primary key).
    fn row_sets(bytes: &[u8]) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
        let c = read_all(bytes).expect("read dump");
        c.tables
            .into_iter()
            .map(|(t, (cols, rows))| {
                let mut rows: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
                rows.sort();
                (t, (cols, rows))
            })
            .collect()
    }

    #[test]
    fn dump_and_load_round_trip_across_backends() {
        for src in testing::all() {
            populate(&src.store);
            let bytes = dump_bytes(&src.store);
            let before = row_sets(&bytes);
            assert_eq!(before["backup_test_extra"].1.len(), 1200, "{}", src.backend);
            for dst in testing::all() {
                let what = format!("{} → {}", src.backend, dst.backend);
                add_extra_table(&dst.store);
                let s = load(&dst.store, &bytes[..]).expect(&what);
                assert_eq!(
                    s.rows,
                    before.values().map(|t| t.1.len() as u64).sum::<u64>()
                );
                let after = row_sets(&dump_bytes(&dst.store));
                assert_eq!(before, after, "{what}");
                // Identity sequences continue after the loaded ids.
                let mut c = dst.store.conn().expect("conn");
                let org =
                    orgs::create(&mut c, &OrgProfile::new("次", OrgKind::Pharmacy)).expect(&what);
                assert!(org.id.0 > 1, "{what}");
                // A second load into the now non-empty store is refused.
                match load(&dst.store, &bytes[..]) {
                    Err(BackupError::NotEmpty { .. }) => {}
                    other => panic!("{what}: expected NotEmpty, got {other:?}"),
                }
            }
        }
    }

    /// Writers go on during the dump (online backup), and the dump is one snapshot: every
    /// user is created together with its password history row, so both counts agree.
    #[test]
    fn dump_is_one_snapshot_while_writers_go_on() {
        for db in testing::all() {
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let writer = {
                let store = db.store.clone();
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut i = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        store
                            .write(|c| users::create(c, &format!("u{i}@example.jp"), "u", "h"))
                            .expect("writer");
                        i += 1;
                    }
                    i
                })
            };
            let mut seen = Vec::new();
            for _ in 0..5 {
                let bytes = dump_bytes(&db.store);
                let c = read_all(&bytes[..]).expect("dump");
                let users = c.tables["users"].1.len();
                assert_eq!(
                    users,
                    c.tables["password_history"].1.len(),
                    "{}",
                    db.backend
                );
                seen.push(users);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let written = writer.join().expect("writer thread");
            assert!(written > 0, "{}", db.backend);
            assert!(
                seen.windows(2).all(|w| w[0] <= w[1]),
                "{}: {seen:?}",
                db.backend
            );
        }
    }

    #[test]
    fn damaged_dumps_are_refused_and_nothing_is_loaded() {
        let src = testing::sqlite();
        populate(&src.store);
        let bytes = dump_bytes(&src.store);
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        let cut = &bytes[..bytes.len() * 2 / 3];
        let cut_at_line = &bytes[..text.rfind("\n{\"row\"").expect("a row") + 1];
        let altered = text.replacen("さくら内科", "さくら外科", 1).into_bytes();
        let mut no_trailer: Vec<&str> = text.lines().collect();
        no_trailer.pop();
        let no_trailer = (no_trailer.join("\n") + "\n").into_bytes();
        for dst in testing::all() {
            add_extra_table(&dst.store);
            let b = dst.backend;
            assert!(
                matches!(load(&dst.store, cut), Err(BackupError::Truncated { .. })),
                "{b}"
            );
            assert!(
                matches!(
                    load(&dst.store, cut_at_line),
                    Err(BackupError::Truncated { .. })
                ),
                "{b}"
            );
            assert!(
                matches!(
                    load(&dst.store, &no_trailer[..]),
                    Err(BackupError::Truncated { .. })
                ),
                "{b}"
            );
            assert!(
                matches!(
                    load(&dst.store, &altered[..]),
                    Err(BackupError::Checksum { .. })
                ),
                "{b}"
            );
            assert!(
                matches!(
                    load(&dst.store, &b"hello\n"[..]),
                    Err(BackupError::NotABackup(_))
                ),
                "{b}"
            );
            // Nothing was left behind: the store is still empty, so a good load works.
            load(&dst.store, &bytes[..]).expect(b);
        }
    }

    #[test]
    fn newer_backups_and_unknown_tables_are_refused() {
        let src = testing::sqlite();
        populate(&src.store);
        let text = String::from_utf8(dump_bytes(&src.store)).expect("utf8");
        let dst = testing::sqlite();
        // The extra table does not exist in the target.
        match load(&dst.store, text.as_bytes()) {
            Err(BackupError::UnknownTable { table }) => assert_eq!(table, "backup_test_extra"),
            other => panic!("expected UnknownTable, got {other:?}"),
        }
        // A migration this build does not know (the header is outside nothing: checked
        // before the checksum, so no need to fix the hash).
        let newer = text.replacen("\"migrations\":[", "\"migrations\":[\"0000_future\",", 1);
        assert!(matches!(
            load(&dst.store, newer.as_bytes()),
            Err(BackupError::Migrations { .. })
        ));
    }
}
