//! 証跡 — evidence files attached to checklist items.
//!
//! Content is stored once per organisation under its SHA-256 (content-addressed); each
//! attachment names the assessment, item and file name. Uploading a file under a name the
//! item already has adds the next version; withdrawing an attachment only marks it (who,
//! when, why) — nothing is deleted, so a frozen assessment's evidence can always be shown
//! again. Every upload and withdrawal is appended to the organisation's ledger.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::assessments::{self, Assessment};
use crate::audit;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// Refusal when a withdrawal gives no reason.
pub const REASON_REQUIRED_JA: &str = "取り下げの理由を入力してください。";

/// One attached file (without its content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFile {
    pub id: i64,
    pub assessment_id: i64,
    pub item_id: String,
    pub file_name: String,
    /// 1 for the first upload of this file name under the item, then 2, 3…
    pub version: i64,
    pub content_type: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub size: i64,
    pub note: Option<String>,
    pub uploaded_at: i64,
    pub uploaded_by: String,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
}

impl EvidenceFile {
    /// Whether the file still counts as evidence.
    pub fn is_current(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

/// What the frozen hash of an assessment covers for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenEvidence {
    pub item_id: String,
    pub file_name: String,
    pub version: i64,
    pub sha256: String,
    pub size: i64,
}

impl From<&EvidenceFile> for FrozenEvidence {
    fn from(f: &EvidenceFile) -> FrozenEvidence {
        FrozenEvidence {
            item_id: f.item_id.clone(),
            file_name: f.file_name.clone(),
            version: f.version,
            sha256: f.sha256.clone(),
            size: f.size,
        }
    }
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub item_id: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
    pub note: Option<&'a str>,
}

const COLUMNS: &str = "id, assessment_id, item_id, file_name, version, content_type, sha256, \
                       size, note, uploaded_at, uploaded_by, withdrawn_at, withdrawn_by, \
                       withdrawn_reason";

fn from_row(r: &Row) -> Result<EvidenceFile, StoreError> {
    Ok(EvidenceFile {
        id: r.i64(0)?,
        assessment_id: r.i64(1)?,
        item_id: r.string(2)?,
        file_name: r.string(3)?,
        version: r.i64(4)?,
        content_type: r.string(5)?,
        sha256: r.string(6)?,
        size: r.i64(7)?,
        note: r.opt_string(8)?,
        uploaded_at: r.i64(9)?,
        uploaded_by: r.string(10)?,
        withdrawn_at: r.opt_i64(11)?,
        withdrawn_by: r.opt_string(12)?,
        withdrawn_reason: r.opt_string(13)?,
    })
}

#[derive(Serialize)]
struct UploadEvent<'a> {
    assessment_id: i64,
    fiscal_year: i32,
    file: &'a EvidenceFile,
}

/// Attaches a file to an item of a draft assessment (Conflict when completed). The content
/// is stored once per organisation and hash; the attachment is the next version of its
/// file name under the item.
pub fn attach(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    a: &Assessment,
    upload: &Upload<'_>,
) -> Result<EvidenceFile, StoreError> {
    if a.org_id != org.id.0 {
        return Err(StoreError::NotFound(format!("assessment {}", a.id)));
    }
    assessments::lock_draft(conn, a)?;
    let known = conn.query_opt(
        "SELECT 1 FROM assessment_answers WHERE assessment_id = $1 AND item_id = $2",
        params![a.id, upload.item_id],
    )?;
    if known.is_none() {
        return Err(StoreError::NotFound(format!("item {}", upload.item_id)));
    }
    let (sha256, size) = put_blob(conn, org, upload.content)?;
    let now = now_us();
    let version = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM evidence_files \
             WHERE assessment_id = $1 AND item_id = $2 AND file_name = $3",
            params![a.id, upload.item_id, upload.file_name],
        )?
        .i64(0)?;
    let id = conn
        .query_one(
            "INSERT INTO evidence_files (org_id, assessment_id, item_id, file_name, version, \
             content_type, sha256, size, note, uploaded_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            params![
                org.id.0,
                a.id,
                upload.item_id,
                upload.file_name,
                version,
                upload.content_type,
                sha256.as_str(),
                size,
                upload.note,
                now,
                actor
            ],
        )?
        .i64(0)?;
    let file = get(conn, a, id)?.ok_or_else(|| StoreError::NotFound(format!("evidence {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        "evidence.attach",
        &UploadEvent {
            assessment_id: a.id,
            fiscal_year: a.fiscal_year,
            file: &file,
        },
    )?;
    Ok(file)
}

/// One attachment of an assessment.
pub fn get(conn: &mut Conn, a: &Assessment, id: i64) -> Result<Option<EvidenceFile>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM evidence_files WHERE id = $1 AND assessment_id = $2"),
        params![id, a.id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// An attachment of the organisation by id, with its assessment.
pub fn find(
    conn: &mut Conn,
    org: &Org,
    id: i64,
) -> Result<Option<(Assessment, EvidenceFile)>, StoreError> {
    let Some(row) = conn.query_opt(
        &format!("SELECT {COLUMNS} FROM evidence_files WHERE id = $1 AND org_id = $2"),
        params![id, org.id.0],
    )?
    else {
        return Ok(None);
    };
    let file = from_row(&row)?;
    Ok(assessments::get_in_org(conn, org, file.assessment_id)?.map(|a| (a, file)))
}

/// Every attachment of an assessment, withdrawn ones included, by item, file name and
/// version.
pub fn list(conn: &mut Conn, a: &Assessment) -> Result<Vec<EvidenceFile>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM evidence_files WHERE assessment_id = $1 \
             ORDER BY item_id, file_name, version"
        ),
        params![a.id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The stored content of an attachment, checked against its hash.
pub fn content(conn: &mut Conn, org: &Org, file: &EvidenceFile) -> Result<Vec<u8>, StoreError> {
    blob(conn, org, &file.sha256)
}

/// Stores `content` once per organisation under its SHA-256 (also used for the documents
/// received from vendors, `store::vendors`). Returns the hash (hex) and size.
pub fn put_blob(conn: &mut Conn, org: &Org, content: &[u8]) -> Result<(String, i64), StoreError> {
    let sha256 = hex::encode(Sha256::digest(content));
    let size = i64::try_from(content.len())
        .map_err(|_| StoreError::Decode("file too large".to_owned()))?;
    let stored = conn.query_opt(
        "SELECT size FROM evidence_blobs WHERE org_id = $1 AND sha256 = $2",
        params![org.id.0, sha256.as_str()],
    )?;
    if stored.is_none() {
        conn.execute(
            "INSERT INTO evidence_blobs (org_id, sha256, size, content, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            params![org.id.0, sha256.as_str(), size, content, now_us()],
        )?;
    }
    Ok((sha256, size))
}

/// The stored content with hash `sha256`, checked against it.
pub fn blob(conn: &mut Conn, org: &Org, sha256: &str) -> Result<Vec<u8>, StoreError> {
    let bytes = conn
        .query_opt(
            "SELECT content FROM evidence_blobs WHERE org_id = $1 AND sha256 = $2",
            params![org.id.0, sha256],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("evidence content {sha256}")))?
        .bytes(0)?;
    if hex::encode(Sha256::digest(&bytes)) != sha256 {
        return Err(StoreError::Decode(format!(
            "evidence content {sha256} does not match its hash"
        )));
    }
    Ok(bytes)
}

#[derive(Serialize)]
struct WithdrawEvent<'a> {
    assessment_id: i64,
    fiscal_year: i32,
    file: &'a EvidenceFile,
}

/// Withdraws an attachment of a draft assessment: it stops counting as evidence but is kept
/// with who withdrew it, when and why. Conflict when completed or already withdrawn.
pub fn withdraw(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    a: &Assessment,
    id: i64,
    reason: &str,
) -> Result<EvidenceFile, StoreError> {
    if a.org_id != org.id.0 {
        return Err(StoreError::NotFound(format!("assessment {}", a.id)));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Conflict(REASON_REQUIRED_JA.to_owned()));
    }
    assessments::lock_draft(conn, a)?;
    let n = conn.execute(
        "UPDATE evidence_files SET withdrawn_at = $3, withdrawn_by = $4, withdrawn_reason = $5 \
         WHERE id = $1 AND assessment_id = $2 AND withdrawn_at IS NULL",
        params![id, a.id, now_us(), actor, reason],
    )?;
    let file = get(conn, a, id)?.ok_or_else(|| StoreError::NotFound(format!("evidence {id}")))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "この証跡はすでに取り下げられています。".to_owned(),
        ));
    }
    audit::record(
        conn,
        org,
        actor,
        "evidence.withdraw",
        &WithdrawEvent {
            assessment_id: a.id,
            fiscal_year: a.fiscal_year,
            file: &file,
        },
    )?;
    Ok(file)
}

/// The current (not withdrawn) files in the canonical order the frozen hash covers.
pub fn frozen_view(files: &[EvidenceFile]) -> Vec<FrozenEvidence> {
    let mut v: Vec<FrozenEvidence> = files
        .iter()
        .filter(|f| f.is_current())
        .map(FrozenEvidence::from)
        .collect();
    v.sort_by(|a, b| {
        (&a.item_id, &a.file_name, a.version).cmp(&(&b.item_id, &b.file_name, b.version))
    });
    v
}
