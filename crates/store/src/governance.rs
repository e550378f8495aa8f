//! 運用管理 — governance records: the 運用管理規程 in versions (a draft edited in place,
//! approval freezing it) with its yearly reviews (見直し), and the training sessions (研修)
//! with their テキスト (content in `evidence_blobs` via [`evidence::put_blob`]) and
//! attendees (出席者リスト: staff of the 職員名簿 by 職員番号, or free-text names). Every
//! change is in the organisation's ledger. What is missing or overdue is decided by
//! `anzen_core::rules::governance`.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::evidence;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

// ---------------------------------------------------------------------------------------
// 運用管理規程
// ---------------------------------------------------------------------------------------

/// One version of the 運用管理規程.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    pub id: i64,
    pub version: i64,
    /// JSON of `anzen_core::rules::governance::PolicyDocument`.
    pub document: String,
    pub approved_by: Option<String>,
    /// YYYY-MM-DD.
    pub approved_on: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PolicyVersion {
    pub fn is_approved(&self) -> bool {
        self.approved_on.is_some()
    }
}

const POLICY_COLUMNS: &str =
    "id, version, document, approved_by, approved_on, created_by, created_at, updated_at";

fn policy_from(r: &Row) -> Result<PolicyVersion, StoreError> {
    Ok(PolicyVersion {
        id: r.i64(0)?,
        version: r.i64(1)?,
        document: r.string(2)?,
        approved_by: r.opt_string(3)?,
        approved_on: r.opt_string(4)?,
        created_by: r.string(5)?,
        created_at: r.i64(6)?,
        updated_at: r.i64(7)?,
    })
}

/// Every version, latest first.
pub fn policy_versions(conn: &mut Conn, org: &Org) -> Result<Vec<PolicyVersion>, StoreError> {
    conn.query(
        &format!(
            "SELECT {POLICY_COLUMNS} FROM policy_versions WHERE org_id = $1 ORDER BY version DESC"
        ),
        params![org.id.0],
    )?
    .iter()
    .map(policy_from)
    .collect()
}

/// The version in force: the latest approved one (for the inspection pack and the rules).
pub fn latest_approved_policy(
    conn: &mut Conn,
    org: &Org,
) -> Result<Option<PolicyVersion>, StoreError> {
    Ok(policy_versions(conn, org)?
        .into_iter()
        .find(PolicyVersion::is_approved))
}

fn policy_by_id(conn: &mut Conn, org: &Org, id: i64) -> Result<PolicyVersion, StoreError> {
    conn.query_opt(
        &format!("SELECT {POLICY_COLUMNS} FROM policy_versions WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .as_ref()
    .map(policy_from)
    .transpose()?
    .ok_or_else(|| StoreError::NotFound(format!("policy {id}")))
}

/// Saves the 規程: changes the latest version while it is a draft, otherwise starts the
/// next version (an approved version is never changed). Audited with before and after.
pub fn save_policy(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    document_json: &str,
) -> Result<PolicyVersion, StoreError> {
    let latest = policy_versions(conn, org)?.into_iter().next();
    let now = now_us();
    let (id, before) = match &latest {
        Some(v) if !v.is_approved() => {
            conn.execute(
                "UPDATE policy_versions SET document = $3, updated_at = $4 \
                 WHERE org_id = $1 AND id = $2",
                params![org.id.0, v.id, document_json, now],
            )?;
            (v.id, Some(v.clone()))
        }
        _ => {
            let version = latest.as_ref().map_or(1, |v| v.version + 1);
            let id = conn
                .query_one(
                    "INSERT INTO policy_versions (org_id, version, document, created_by, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                    params![org.id.0, version, document_json, actor, now],
                )?
                .i64(0)?;
            (id, None)
        }
    };
    let after = policy_by_id(conn, org, id)?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "policy.update"
        } else {
            "policy.create"
        },
        &Change {
            before: before.as_ref(),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// Approves the latest version (a draft) on `approved_on` (YYYY-MM-DD), audited. Conflict
/// when there is no draft.
pub fn approve_policy(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    approved_by: &str,
    approved_on: &str,
) -> Result<PolicyVersion, StoreError> {
    let Some(draft) = policy_versions(conn, org)?
        .into_iter()
        .next()
        .filter(|v| !v.is_approved())
    else {
        return Err(StoreError::Conflict(
            "承認する下書きがありません（最新の版は承認済みです）。".to_owned(),
        ));
    };
    conn.execute(
        "UPDATE policy_versions SET approved_by = $3, approved_on = $4, updated_at = $5 \
         WHERE org_id = $1 AND id = $2",
        params![org.id.0, draft.id, approved_by, approved_on, now_us()],
    )?;
    let after = policy_by_id(conn, org, draft.id)?;
    audit::record(
        conn,
        org,
        actor,
        "policy.approve",
        &Change {
            before: Some(&draft),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// A yearly review (見直し) of an approved version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyReview {
    pub id: i64,
    pub version_id: i64,
    /// 版 (of `version_id`).
    pub version: i64,
    /// YYYY-MM-DD.
    pub reviewed_on: String,
    /// 確認者.
    pub reviewed_by: String,
    /// 結果: 「変更なし」 or 「改訂が必要」.
    pub outcome: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

/// Records the review of the version in force (the latest approved), audited. Conflict when
/// nothing is approved yet.
pub fn review_policy(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    reviewed_on: &str,
    reviewed_by: &str,
    outcome: &str,
    note: Option<&str>,
) -> Result<PolicyReview, StoreError> {
    let Some(v) = latest_approved_policy(conn, org)? else {
        return Err(StoreError::Conflict(
            "見直しを記録する承認済みの規程がありません。".to_owned(),
        ));
    };
    let now = now_us();
    let id = conn
        .query_one(
            "INSERT INTO policy_reviews (org_id, version_id, reviewed_on, reviewed_by, outcome, \
             note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                org.id.0,
                v.id,
                reviewed_on,
                reviewed_by,
                outcome,
                note,
                actor,
                now
            ],
        )?
        .i64(0)?;
    let r = PolicyReview {
        id,
        version_id: v.id,
        version: v.version,
        reviewed_on: reviewed_on.to_owned(),
        reviewed_by: reviewed_by.to_owned(),
        outcome: outcome.to_owned(),
        note: note.map(str::to_owned),
        created_by: actor.to_owned(),
        created_at: now,
    };
    audit::record(conn, org, actor, "policy.review", &r)?;
    Ok(r)
}

/// Every review, newest first.
pub fn policy_reviews(conn: &mut Conn, org: &Org) -> Result<Vec<PolicyReview>, StoreError> {
    conn.query(
        "SELECT r.id, r.version_id, v.version, r.reviewed_on, r.reviewed_by, r.outcome, r.note, \
         r.created_by, r.created_at FROM policy_reviews r \
         JOIN policy_versions v ON v.id = r.version_id \
         WHERE r.org_id = $1 ORDER BY r.reviewed_on DESC, r.id DESC",
        params![org.id.0],
    )?
    .iter()
    .map(|r| {
        Ok(PolicyReview {
            id: r.i64(0)?,
            version_id: r.i64(1)?,
            version: r.i64(2)?,
            reviewed_on: r.string(3)?,
            reviewed_by: r.string(4)?,
            outcome: r.string(5)?,
            note: r.opt_string(6)?,
            created_by: r.string(7)?,
            created_at: r.i64(8)?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// 研修
// ---------------------------------------------------------------------------------------

/// The editable part of a training session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrainingData {
    /// 研修名.
    pub title: String,
    /// 実施日 YYYY-MM-DD.
    pub held_on: String,
    /// 講師.
    pub instructor: Option<String>,
    /// 対象 (e.g. 全職員, 新入職員, 医師).
    pub audience: Option<String>,
    pub note: Option<String>,
}

/// An attendee: a staff member of the roster (`staff_id` = 職員番号) or a free-text name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attendee {
    pub staff_id: Option<String>,
    pub name: String,
}

/// The テキスト of a session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextFile {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
}

/// A file to store as the テキスト.
#[derive(Debug, Clone)]
pub struct NewText<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

/// A training session with its attendees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingSession {
    pub id: i64,
    #[serde(flatten)]
    pub data: TrainingData,
    pub text: Option<TextFile>,
    pub attendees: Vec<Attendee>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const TRAINING_COLUMNS: &str = "id, title, held_on, instructor, audience, note, file_name, \
     content_type, sha256, size, created_by, created_at, updated_at";

fn training_from(r: &Row) -> Result<TrainingSession, StoreError> {
    let text = match (r.opt_string(6)?, r.opt_string(8)?) {
        (Some(name), Some(sha256)) => Some(TextFile {
            name,
            content_type: r
                .opt_string(7)?
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            sha256,
            size: r.opt_i64(9)?.unwrap_or(0),
        }),
        _ => None,
    };
    Ok(TrainingSession {
        id: r.i64(0)?,
        data: TrainingData {
            title: r.string(1)?,
            held_on: r.string(2)?,
            instructor: r.opt_string(3)?,
            audience: r.opt_string(4)?,
            note: r.opt_string(5)?,
        },
        text,
        attendees: Vec::new(),
        created_by: r.string(10)?,
        created_at: r.i64(11)?,
        updated_at: r.i64(12)?,
    })
}

fn with_attendees(
    conn: &mut Conn,
    org: &Org,
    mut sessions: Vec<TrainingSession>,
) -> Result<Vec<TrainingSession>, StoreError> {
    let rows = conn.query(
        "SELECT session_id, staff_id, name FROM training_attendees WHERE org_id = $1 \
         ORDER BY session_id, id",
        params![org.id.0],
    )?;
    for r in &rows {
        let sid = r.i64(0)?;
        if let Some(s) = sessions.iter_mut().find(|s| s.id == sid) {
            s.attendees.push(Attendee {
                staff_id: r.opt_string(1)?,
                name: r.string(2)?,
            });
        }
    }
    Ok(sessions)
}

/// Every session, newest first, with attendees.
pub fn training_sessions(conn: &mut Conn, org: &Org) -> Result<Vec<TrainingSession>, StoreError> {
    let list = conn
        .query(
            &format!(
                "SELECT {TRAINING_COLUMNS} FROM training_sessions WHERE org_id = $1 \
                 ORDER BY held_on DESC, id DESC"
            ),
            params![org.id.0],
        )?
        .iter()
        .map(training_from)
        .collect::<Result<Vec<_>, _>>()?;
    with_attendees(conn, org, list)
}

/// The sessions held in 年度 `fiscal_year` (April `fiscal_year` – March next year), oldest
/// first, with attendance — for the per-staff view and the inspection pack.
pub fn training_in_year(
    conn: &mut Conn,
    org: &Org,
    fiscal_year: i32,
) -> Result<Vec<TrainingSession>, StoreError> {
    let from = format!("{fiscal_year:04}-04-01");
    let to = format!("{:04}-03-31", fiscal_year + 1);
    let list = conn
        .query(
            &format!(
                "SELECT {TRAINING_COLUMNS} FROM training_sessions WHERE org_id = $1 \
                 AND held_on >= $2 AND held_on <= $3 ORDER BY held_on, id"
            ),
            params![org.id.0, from.as_str(), to.as_str()],
        )?
        .iter()
        .map(training_from)
        .collect::<Result<Vec<_>, _>>()?;
    with_attendees(conn, org, list)
}

/// One session of the organisation (None: not found or another organisation's).
pub fn training(
    conn: &mut Conn,
    org: &Org,
    id: i64,
) -> Result<Option<TrainingSession>, StoreError> {
    let Some(s) = conn
        .query_opt(
            &format!(
                "SELECT {TRAINING_COLUMNS} FROM training_sessions WHERE org_id = $1 AND id = $2"
            ),
            params![org.id.0, id],
        )?
        .as_ref()
        .map(training_from)
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(with_attendees(conn, org, vec![s])?.into_iter().next())
}

fn require_training(conn: &mut Conn, org: &Org, id: i64) -> Result<TrainingSession, StoreError> {
    training(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("training {id}")))
}

fn put_attendees(
    conn: &mut Conn,
    org: &Org,
    session_id: i64,
    attendees: &[Attendee],
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM training_attendees WHERE org_id = $1 AND session_id = $2",
        params![org.id.0, session_id],
    )?;
    for a in attendees {
        conn.execute(
            "INSERT INTO training_attendees (org_id, session_id, staff_id, name) \
             VALUES ($1, $2, $3, $4)",
            params![org.id.0, session_id, a.staff_id.clone(), a.name.as_str()],
        )?;
    }
    Ok(())
}

fn set_text(
    conn: &mut Conn,
    org: &Org,
    session_id: i64,
    text: &NewText<'_>,
) -> Result<(), StoreError> {
    let (sha256, size) = evidence::put_blob(conn, org, text.content)?;
    conn.execute(
        "UPDATE training_sessions SET file_name = $3, content_type = $4, sha256 = $5, size = $6, \
         updated_at = $7 WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            session_id,
            text.name,
            text.content_type,
            sha256.as_str(),
            size,
            now_us()
        ],
    )?;
    Ok(())
}

/// Records a session with its attendees and, optionally, its テキスト; audited.
pub fn create_training(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    data: &TrainingData,
    attendees: &[Attendee],
    text: Option<&NewText<'_>>,
) -> Result<TrainingSession, StoreError> {
    let now = now_us();
    let id = conn
        .query_one(
            "INSERT INTO training_sessions (org_id, title, held_on, instructor, audience, note, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING id",
            params![
                org.id.0,
                data.title.as_str(),
                data.held_on.as_str(),
                data.instructor.clone(),
                data.audience.clone(),
                data.note.clone(),
                actor,
                now
            ],
        )?
        .i64(0)?;
    put_attendees(conn, org, id, attendees)?;
    if let Some(t) = text {
        set_text(conn, org, id, t)?;
    }
    let after = require_training(conn, org, id)?;
    audit::record(
        conn,
        org,
        actor,
        "training.create",
        &Change {
            before: None,
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// Changes a session's details and replaces its attendees (and its テキスト when one is
/// given; the earlier file stays in the evidence store and in the ledger's before); audited.
pub fn update_training(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    data: &TrainingData,
    attendees: &[Attendee],
    text: Option<&NewText<'_>>,
) -> Result<TrainingSession, StoreError> {
    let before = require_training(conn, org, id)?;
    conn.execute(
        "UPDATE training_sessions SET title = $3, held_on = $4, instructor = $5, audience = $6, \
         note = $7, updated_at = $8 WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            id,
            data.title.as_str(),
            data.held_on.as_str(),
            data.instructor.clone(),
            data.audience.clone(),
            data.note.clone(),
            now_us()
        ],
    )?;
    put_attendees(conn, org, id, attendees)?;
    if let Some(t) = text {
        set_text(conn, org, id, t)?;
    }
    let after = require_training(conn, org, id)?;
    audit::record(
        conn,
        org,
        actor,
        "training.update",
        &Change {
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// The テキスト's bytes (NotFound when the session has none).
pub fn training_text(
    conn: &mut Conn,
    org: &Org,
    id: i64,
) -> Result<(TextFile, Vec<u8>), StoreError> {
    let s = require_training(conn, org, id)?;
    let Some(t) = s.text else {
        return Err(StoreError::NotFound(format!("training {id} text")));
    };
    let bytes = evidence::blob(conn, org, &t.sha256)?;
    Ok((t, bytes))
}
