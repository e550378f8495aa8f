//! File import of the アクセスログ template: each file once (by SHA-256), malformed lines
//! counted and kept in the quarantine with line, column, value and reason — never dropped.
//!
//! A file is imported in one transaction (its events, its ledger batches, its quarantine
//! rows, its import record and the audit entry): after a crash it is either fully there or
//! not at all, so the watched directory can simply try it again.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};

use anzen_ingest::{AccessEvent, AccessLogReader, Problem};
use anzen_store::orgs::Org;
use anzen_store::{Conn, Store, audit, now_us, params};
use serde::Serialize;

use crate::engine::append_events;
use crate::{AccessLogError, u};

/// Events per append batch (one ledger entry each) during a file import.
pub const IMPORT_BATCH: usize = 10_000;

/// The result of importing one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub import_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub events: u64,
    pub quarantined: u64,
    pub first_seq: u64,
    pub end_seq: u64,
    /// Warnings (unknown columns), in Japanese.
    pub warnings: Vec<String>,
}

/// A file already imported: its name and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub id: i64,
    pub file_name: String,
    pub imported_at: i64,
    pub events: u64,
    pub quarantined: u64,
}

/// The earlier import of a file with this SHA-256 (hex), if any.
pub fn already_imported(
    conn: &mut Conn,
    org: &Org,
    sha256: &str,
) -> Result<Option<Imported>, AccessLogError> {
    let r = conn.query_opt(
        "SELECT id, file_name, imported_at, events, quarantined FROM access_imports \
         WHERE org_id = $1 AND sha256 = $2",
        params![org.id.0, sha256],
    )?;
    r.map(|r| {
        Ok(Imported {
            id: r.i64(0)?,
            file_name: r.string(1)?,
            imported_at: r.i64(2)?,
            events: u(r.i64(3)?)?,
            quarantined: u(r.i64(4)?)?,
        })
    })
    .transpose()
}

/// Recent imports, newest first.
pub fn imports(conn: &mut Conn, org: &Org, limit: u64) -> Result<Vec<Imported>, AccessLogError> {
    conn.query(
        "SELECT id, file_name, imported_at, events, quarantined FROM access_imports \
         WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
        params![org.id.0, limit],
    )?
    .iter()
    .map(|r| {
        Ok(Imported {
            id: r.i64(0)?,
            file_name: r.string(1)?,
            imported_at: r.i64(2)?,
            events: u(r.i64(3)?)?,
            quarantined: u(r.i64(4)?)?,
        })
    })
    .collect()
}

/// A quarantined line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub id: i64,
    pub import_id: Option<i64>,
    /// Where it came from: the file name, or `syslog:<peer>`.
    pub origin: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    pub raw: Option<String>,
    pub created_at: i64,
}

/// Keeps a malformed line in the quarantine (also for the syslog receiver: `origin`
/// `syslog:<peer>`, `raw` the message).
pub fn quarantine(
    conn: &mut Conn,
    org: &Org,
    import_id: Option<i64>,
    origin: &str,
    p: &Problem,
    raw: Option<&str>,
) -> Result<(), AccessLogError> {
    conn.execute(
        "INSERT INTO access_quarantine (org_id, import_id, origin, line, column_name, value, reason, raw, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            org.id.0,
            import_id,
            origin,
            p.line,
            p.column.as_deref(),
            p.value.as_deref(),
            p.reason.as_str(),
            raw,
            now_us()
        ],
    )?;
    Ok(())
}

/// Quarantined lines, newest first (optionally of one import).
pub fn quarantined(
    conn: &mut Conn,
    org: &Org,
    import_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<Vec<Quarantined>, AccessLogError> {
    let rows = match import_id {
        Some(id) => conn.query(
            "SELECT id, import_id, origin, line, column_name, value, reason, raw, created_at \
             FROM access_quarantine WHERE org_id = $1 AND import_id = $2 ORDER BY id DESC LIMIT $3 OFFSET $4",
            params![org.id.0, id, limit, offset],
        )?,
        None => conn.query(
            "SELECT id, import_id, origin, line, column_name, value, reason, raw, created_at \
             FROM access_quarantine WHERE org_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            params![org.id.0, limit, offset],
        )?,
    };
    rows.iter()
        .map(|r| {
            Ok(Quarantined {
                id: r.i64(0)?,
                import_id: r.opt_i64(1)?,
                origin: r.string(2)?,
                line: r.opt_i64(3)?.map(u).transpose()?,
                column: r.opt_string(4)?,
                value: r.opt_string(5)?,
                reason: r.string(6)?,
                raw: r.opt_string(7)?,
                created_at: r.i64(8)?,
            })
        })
        .collect()
}

/// Records a file refused as a whole (no header, missing required column…): an import
/// record with no events, so the watched directory does not retry it (a corrected file has
/// another SHA-256), and a quarantine row with the reason, so it shows on the quarantine
/// page instead of only in a log.
pub fn refuse(
    conn: &mut Conn,
    org: &Org,
    src: ImportSource<'_>,
    reason: &str,
) -> Result<(), AccessLogError> {
    if already_imported(conn, org, src.sha256)?.is_some() {
        return Ok(());
    }
    let id = start_import(conn, org, &src, 1)?;
    quarantine(
        conn,
        org,
        Some(id),
        src.file_name,
        &Problem::file(src.file_name, reason),
        None,
    )?;
    audit::record(
        conn,
        org,
        src.actor,
        "access_log.import_refused",
        &serde_json::json!({"file": src.file_name, "sha256": src.sha256, "reason": reason}),
    )?;
    Ok(())
}

/// SHA-256 (hex) of a reader's bytes.
pub fn sha256_of(mut r: impl Read) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Where an import comes from, for the records.
#[derive(Debug, Clone, Copy)]
pub struct ImportSource<'a> {
    /// The file name shown in records and problems.
    pub file_name: &'a str,
    /// SHA-256 (hex) of the file's bytes, computed by the caller.
    pub sha256: &'a str,
    /// `cli`, `watch` or `upload`.
    pub origin: &'a str,
    /// Who: a user's e-mail or `cli:<user>`.
    pub actor: &'a str,
}

/// Imports one access-log file in one transaction. Returns `Err(Input)` when the file
/// was already imported or cannot be read at all (no header, missing required column);
/// malformed lines go to the quarantine. `progress` gets the bytes read so far.
pub fn import_reader(
    store: &Store,
    org: &Org,
    src: ImportSource<'_>,
    input: impl Read + Send,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, AccessLogError> {
    store.write(|c| import_in(c, org, src, input, progress))
}

/// What the parsing thread hands to the writing one.
enum Parsed {
    /// The file cannot be read at all (e.g. a required column is missing).
    Refused(Vec<Problem>),
    /// Up to [`IMPORT_BATCH`] events with the malformed lines met on the way, and the bytes
    /// read so far (for progress).
    Chunk {
        events: Vec<AccessEvent>,
        bad: Vec<Problem>,
        bytes: u64,
    },
    /// The end of the file, with the reader's warnings (unknown columns).
    Done(Vec<Problem>),
}

/// Parses `input` on the calling thread and sends it on in chunks; stops early once the
/// receiver is gone (the writer failed).
fn parse_into(file_name: &str, input: impl Read, tx: &SyncSender<Parsed>) {
    let mut reader = match AccessLogReader::new(file_name, input) {
        Ok(r) => r,
        Err(ps) => {
            let _ = tx.send(Parsed::Refused(ps));
            return;
        }
    };
    let (mut events, mut bad) = (Vec::with_capacity(IMPORT_BATCH), Vec::new());
    while let Some(item) = reader.next() {
        match item {
            Ok((_, e)) => events.push(e),
            Err(p) => bad.push(p),
        }
        if events.len() >= IMPORT_BATCH {
            let chunk = Parsed::Chunk {
                events: std::mem::replace(&mut events, Vec::with_capacity(IMPORT_BATCH)),
                bad: std::mem::take(&mut bad),
                bytes: reader.bytes_read(),
            };
            if tx.send(chunk).is_err() {
                return;
            }
        }
    }
    let last = Parsed::Chunk {
        events,
        bad,
        bytes: reader.bytes_read(),
    };
    if tx.send(last).is_ok() {
        let _ = tx.send(Parsed::Done(reader.warnings().to_vec()));
    }
}

/// [`import_reader`] inside the caller's transaction.
///
/// Parsing runs on a second thread while this one appends (a bounded hand-over of two
/// chunks), so a large file costs about the larger of the two rather than their sum.
pub fn import_in(
    conn: &mut Conn,
    org: &Org,
    src: ImportSource<'_>,
    input: impl Read + Send,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, AccessLogError> {
    if let Some(prev) = already_imported(conn, org, src.sha256)? {
        return Err(AccessLogError::Input(format!(
            "{}: 同じ内容のファイル（{}）は取り込み済みです（{}件）",
            src.file_name, prev.file_name, prev.events
        )));
    }
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let file_name = src.file_name;
        let parser = scope.spawn(move || parse_into(file_name, input, &tx));
        // `rx` is dropped when `write_parsed` returns, which stops the parser if it failed.
        let out = write_parsed(conn, org, &src, rx, progress);
        parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        out
    })
}

fn write_parsed(
    conn: &mut Conn,
    org: &Org,
    src: &ImportSource<'_>,
    rx: Receiver<Parsed>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, AccessLogError> {
    let mut import_id = None;
    let author = format!("import:{}", src.file_name);
    let (mut events, mut quarantined) = (0u64, 0u64);
    let (mut first_seq, mut end_seq) = (None, 0u64);
    let mut warnings = Vec::new();
    for msg in rx {
        let (batch, bad, bytes) = match msg {
            Parsed::Refused(ps) => {
                return Err(AccessLogError::Input(
                    ps.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                ));
            }
            Parsed::Done(w) => {
                warnings = w.iter().map(ToString::to_string).collect();
                break;
            }
            Parsed::Chunk { events, bad, bytes } => (events, bad, bytes),
        };
        let id = match import_id {
            Some(id) => id,
            None => {
                let id = start_import(conn, org, src, 0)?;
                import_id = Some(id);
                id
            }
        };
        for p in &bad {
            quarantine(conn, org, Some(id), src.file_name, p, None)?;
        }
        quarantined += bad.len() as u64;
        if !batch.is_empty() {
            let a = append_events(conn, org, &author, &batch)?;
            first_seq.get_or_insert(a.seqs.start);
            end_seq = a.seqs.end;
            events += batch.len() as u64;
        }
        progress(bytes);
    }
    let import_id = match import_id {
        Some(id) => id,
        // The parser stopped without a word: it panicked (re-raised by the caller).
        None => {
            return Err(AccessLogError::Input(format!(
                "{}: 読み込みが中断されました",
                src.file_name
            )));
        }
    };
    let first_seq = first_seq.unwrap_or(end_seq);
    conn.execute(
        "UPDATE access_imports SET events = $2, quarantined = $3, first_seq = $4, end_seq = $5 WHERE id = $1",
        params![import_id, events, quarantined, first_seq, end_seq],
    )?;
    audit::record(
        conn,
        org,
        src.actor,
        "access_log.import",
        &serde_json::json!({
            "file": src.file_name,
            "sha256": src.sha256,
            "origin": src.origin,
            "events": events,
            "quarantined": quarantined,
            "first_seq": first_seq,
            "end_seq": end_seq,
        }),
    )?;
    Ok(ImportOutcome {
        import_id,
        file_name: src.file_name.to_owned(),
        sha256: src.sha256.to_owned(),
        events,
        quarantined,
        first_seq,
        end_seq,
        warnings,
    })
}

/// The import record, written before the file's first events (counts are set at the end).
fn start_import(
    conn: &mut Conn,
    org: &Org,
    src: &ImportSource<'_>,
    quarantined: i64,
) -> Result<i64, AccessLogError> {
    let row = conn.query_one(
        "INSERT INTO access_imports (org_id, sha256, file_name, origin, imported_by, imported_at, \
         events, quarantined, first_seq, end_seq) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0, 0) RETURNING id",
        params![
            org.id.0,
            src.sha256,
            src.file_name,
            src.origin,
            src.actor,
            now_us(),
            quarantined
        ],
    )?;
    Ok(row.i64(0)?)
}
