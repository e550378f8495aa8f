//! Annual self-assessments of the サイバーセキュリティ対策チェックリスト: one or more per
//! organisation, 年度 and form, with one answer row per catalog item.
//!
//! The store does not know the catalog: callers pass the item ids of the edition in force
//! and a `carry_key` function (the catalog's topic and target) that matches items across
//! editions, so a new year's assessment starts from last year's answers with dates cleared.
//! Every change is appended to the organisation's audit ledger in the caller's transaction;
//! completing freezes the answers under a SHA-256 hash recorded in the ledger.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Change};
use crate::evidence::{self, FrozenEvidence};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// Refusal message when a completed assessment is edited.
pub const FROZEN_JA: &str = "確定済みのチェックリストは変更できません。";

/// Draft (being answered) or completed (frozen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Completed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "completed" => Some(Status::Completed),
            _ => None,
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Status::Draft => "回答中",
            Status::Completed => "確定済み",
        }
    }
}

/// はい / いいえ / 該当なし.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Na,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Yes, Answer::No, Answer::Na];

    pub fn code(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Na => "na",
        }
    }

    pub fn parse(s: &str) -> Option<Answer> {
        Answer::ALL.into_iter().find(|a| a.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Answer::Yes => "はい",
            Answer::No => "いいえ",
            Answer::Na => "該当なし",
        }
    }
}

/// One assessment (without its answers).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub org_id: i64,
    pub fiscal_year: i32,
    /// Catalog form code: `medical`, `vendor`, `pharmacy`.
    pub form: String,
    /// 年度 of the catalog edition the items come from.
    pub edition_fy: i32,
    pub status: Status,
    /// The assessment whose answers this one started from.
    pub source_assessment_id: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    pub completed_at: Option<i64>,
    pub completed_by: Option<String>,
    /// SHA-256 hex of the canonical JSON of the answers and evidence ([`freeze_hash`]),
    /// once completed.
    pub frozen_hash: Option<String>,
    /// For a 事業者確認用 form a vendor answers for one client facility: the facility.
    pub client_org_id: Option<i64>,
}

impl Assessment {
    pub fn is_completed(&self) -> bool {
        self.status == Status::Completed
    }
}

/// The answer to one item. Field order is the canonical JSON order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerRow {
    pub item_id: String,
    pub answer: Option<Answer>,
    /// 確認日, YYYY-MM-DD.
    pub checked_on: Option<String>,
    /// 対応目標日 (for いいえ), YYYY-MM-DD.
    pub target_date: Option<String>,
    pub note: Option<String>,
}

/// What a user sets for one item (dates already validated, YYYY-MM-DD).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerInput {
    pub answer: Option<Answer>,
    pub checked_on: Option<String>,
    pub target_date: Option<String>,
    pub note: Option<String>,
}

const COLUMNS: &str = "id, org_id, fiscal_year, form, edition_fy, status, source_assessment_id, \
                       created_at, created_by, completed_at, completed_by, frozen_hash, \
                       client_org_id";

fn year(v: i64) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::Decode(format!("fiscal year {v} out of range")))
}

fn from_row(r: &Row) -> Result<Assessment, StoreError> {
    let status = r.string(5)?;
    Ok(Assessment {
        id: r.i64(0)?,
        org_id: r.i64(1)?,
        fiscal_year: year(r.i64(2)?)?,
        form: r.string(3)?,
        edition_fy: year(r.i64(4)?)?,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::Decode(format!("unknown assessment status {status:?}")))?,
        source_assessment_id: r.opt_i64(6)?,
        created_at: r.i64(7)?,
        created_by: r.string(8)?,
        completed_at: r.opt_i64(9)?,
        completed_by: r.opt_string(10)?,
        frozen_hash: r.opt_string(11)?,
        client_org_id: r.opt_i64(12)?,
    })
}

fn answer_from_row(r: &Row) -> Result<AnswerRow, StoreError> {
    let answer = match r.opt_string(1)? {
        None => None,
        Some(a) => Some(
            Answer::parse(&a).ok_or_else(|| StoreError::Decode(format!("unknown answer {a:?}")))?,
        ),
    };
    Ok(AnswerRow {
        item_id: r.string(0)?,
        answer,
        checked_on: r.opt_string(2)?,
        target_date: r.opt_string(3)?,
        note: r.opt_string(4)?,
    })
}

/// What to create.
pub struct NewAssessment<'a> {
    pub fiscal_year: i32,
    pub form: &'a str,
    pub edition_fy: i32,
    /// Item ids of the edition (gate questions first), in printed order.
    pub item_ids: &'a [String],
    /// The client facility, when a vendor answers the 事業者確認用 form for one.
    pub client_org_id: Option<i64>,
}

#[derive(Serialize)]
struct CreatedEvent<'a> {
    assessment: &'a Assessment,
    carried: &'a [AnswerRow],
}

/// Creates an assessment for `new.fiscal_year` and form. Answers and notes are carried
/// from the latest earlier-or-same-year assessment of the same form (for a client: the same
/// client's, else the latest for any client), matching items by `carry_key` (e.g. catalog
/// topic + target) when ids differ; dates are cleared.
pub fn create(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    new: &NewAssessment<'_>,
    carry_key: &dyn Fn(&str) -> Option<String>,
) -> Result<Assessment, StoreError> {
    let same_client = conn.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM assessments WHERE org_id = $1 AND form = $2 \
             AND fiscal_year <= $3 AND client_org_id IS NOT DISTINCT FROM $4 \
             ORDER BY fiscal_year DESC, id DESC LIMIT 1"
        ),
        params![org.id.0, new.form, new.fiscal_year, new.client_org_id],
    )?;
    let source_row = match (same_client, new.client_org_id) {
        (Some(r), _) => Some(r),
        (None, Some(_)) => conn.query_opt(
            &format!(
                "SELECT {COLUMNS} FROM assessments WHERE org_id = $1 AND form = $2 \
                 AND fiscal_year <= $3 ORDER BY fiscal_year DESC, id DESC LIMIT 1"
            ),
            params![org.id.0, new.form, new.fiscal_year],
        )?,
        (None, None) => None,
    };
    let source = source_row.map(|r| from_row(&r)).transpose()?;
    let previous = match &source {
        Some(s) => answers(conn, s.id)?,
        None => Vec::new(),
    };
    let now = now_us();
    let row = conn.query_one(
        "INSERT INTO assessments (org_id, fiscal_year, form, edition_fy, status, \
         source_assessment_id, created_at, created_by, updated_at, client_org_id) \
         VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $6, $8) RETURNING id",
        params![
            org.id.0,
            new.fiscal_year,
            new.form,
            new.edition_fy,
            source.as_ref().map(|s| s.id),
            now,
            actor,
            new.client_org_id
        ],
    )?;
    let id = row.i64(0)?;
    let mut carried = Vec::new();
    for (pos, item_id) in new.item_ids.iter().enumerate() {
        let prev = previous
            .iter()
            .find(|p| &p.item_id == item_id)
            .or_else(|| {
                let key = carry_key(item_id)?;
                previous
                    .iter()
                    .find(|p| carry_key(&p.item_id).as_deref() == Some(key.as_str()))
            })
            .filter(|p| p.answer.is_some() || p.note.is_some());
        let (answer, note) = match prev {
            Some(p) => (p.answer, p.note.clone()),
            None => (None, None),
        };
        conn.execute(
            "INSERT INTO assessment_answers (assessment_id, item_id, position, answer, note, \
             updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![
                id,
                item_id.as_str(),
                i64::try_from(pos).unwrap_or(i64::MAX),
                answer.map(Answer::code),
                note.clone(),
                now,
                actor
            ],
        )?;
        if answer.is_some() || note.is_some() {
            carried.push(AnswerRow {
                item_id: item_id.clone(),
                answer,
                checked_on: None,
                target_date: None,
                note,
            });
        }
    }
    let a = get(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("assessment {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        "assessment.create",
        &CreatedEvent {
            assessment: &a,
            carried: &carried,
        },
    )?;
    Ok(a)
}

pub fn get(conn: &mut Conn, id: i64) -> Result<Option<Assessment>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM assessments WHERE id = $1"),
        params![id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// An assessment of `org` (None if it belongs to another organisation).
pub fn get_in_org(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Assessment>, StoreError> {
    Ok(get(conn, id)?.filter(|a| a.org_id == org.id.0))
}

/// Assessments of an organisation, newest 年度 first, then newest first.
pub fn list(conn: &mut Conn, org: &Org) -> Result<Vec<Assessment>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM assessments WHERE org_id = $1 \
             ORDER BY fiscal_year DESC, id DESC"
        ),
        params![org.id.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The organisation's own current assessment of a 年度 and form: the latest draft, else
/// the latest.
pub fn current(
    conn: &mut Conn,
    org: &Org,
    fiscal_year: i32,
    form: &str,
) -> Result<Option<Assessment>, StoreError> {
    current_for(conn, org.id.0, fiscal_year, form, None)
}

/// The current assessment `org_id` answers for `client` (None: its own), as [`current`].
pub fn current_for(
    conn: &mut Conn,
    org_id: i64,
    fiscal_year: i32,
    form: &str,
    client: Option<i64>,
) -> Result<Option<Assessment>, StoreError> {
    conn.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM assessments WHERE org_id = $1 AND fiscal_year = $2 \
             AND form = $3 AND client_org_id IS NOT DISTINCT FROM $4 \
             ORDER BY CASE WHEN status = 'draft' THEN 0 ELSE 1 END, id DESC LIMIT 1"
        ),
        params![org_id, fiscal_year, form, client],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Answers of an assessment in printed order.
pub fn answers(conn: &mut Conn, assessment_id: i64) -> Result<Vec<AnswerRow>, StoreError> {
    conn.query(
        "SELECT item_id, answer, checked_on, target_date, note FROM assessment_answers \
         WHERE assessment_id = $1 ORDER BY position",
        params![assessment_id],
    )?
    .iter()
    .map(answer_from_row)
    .collect()
}

#[derive(Serialize)]
struct AnswerEvent<'a> {
    assessment_id: i64,
    fiscal_year: i32,
    #[serde(flatten)]
    change: Change<'a, AnswerRow>,
}

/// Takes the assessment's row lock (PostgreSQL; SQLite writers are serialised anyway) and
/// checks it is still a draft: Conflict when completed. Callers that check the answers
/// before [`complete`] call this first in the same transaction.
pub fn lock_draft(conn: &mut Conn, a: &Assessment) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE assessments SET updated_at = $2 WHERE id = $1 AND status = 'draft'",
        params![a.id, now_us()],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(FROZEN_JA.to_owned()));
    }
    Ok(())
}

/// Adds an unanswered row for `item_id` to a draft that lacks it (a gate question added to
/// the catalog after the draft was started). The caller checks the id against the edition.
pub fn ensure_row(conn: &mut Conn, a: &Assessment, item_id: &str) -> Result<(), StoreError> {
    if a.is_completed() {
        return Ok(());
    }
    let exists = conn.query_opt(
        "SELECT 1 FROM assessment_answers WHERE assessment_id = $1 AND item_id = $2",
        params![a.id, item_id],
    )?;
    if exists.is_none() {
        conn.execute(
            "INSERT INTO assessment_answers (assessment_id, item_id, position, updated_at) \
             VALUES ($1, $2, -1, $3)",
            params![a.id, item_id, now_us()],
        )?;
    }
    Ok(())
}

/// Sets the answer to one item, audited with before and after. Refused (Conflict) on a
/// completed assessment; NotFound for an item the assessment does not have.
pub fn set_answer(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    a: &Assessment,
    item_id: &str,
    input: &AnswerInput,
) -> Result<AnswerRow, StoreError> {
    if a.org_id != org.id.0 {
        return Err(StoreError::NotFound(format!("assessment {}", a.id)));
    }
    lock_draft(conn, a)?;
    let before = conn
        .query_opt(
            "SELECT item_id, answer, checked_on, target_date, note FROM assessment_answers \
             WHERE assessment_id = $1 AND item_id = $2",
            params![a.id, item_id],
        )?
        .map(|r| answer_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("item {item_id}")))?;
    let after = AnswerRow {
        item_id: item_id.to_owned(),
        answer: input.answer,
        checked_on: input.checked_on.clone(),
        target_date: input.target_date.clone(),
        note: input.note.clone(),
    };
    if before == after {
        return Ok(after);
    }
    conn.execute(
        "UPDATE assessment_answers SET answer = $3, checked_on = $4, target_date = $5, \
         note = $6, updated_at = $7, updated_by = $8 WHERE assessment_id = $1 AND item_id = $2",
        params![
            a.id,
            item_id,
            after.answer.map(Answer::code),
            after.checked_on.clone(),
            after.target_date.clone(),
            after.note.clone(),
            now_us(),
            actor
        ],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "assessment.answer",
        &AnswerEvent {
            assessment_id: a.id,
            fiscal_year: a.fiscal_year,
            change: Change {
                before: Some(&before),
                after: Some(&after),
            },
        },
    )?;
    Ok(after)
}

#[derive(Serialize)]
struct Frozen<'a> {
    answers: Vec<&'a AnswerRow>,
    evidence: &'a [FrozenEvidence],
}

/// The canonical JSON a completed assessment is frozen as:
/// `{"answers":[…],"evidence":[…]}` with answers sorted by item id (fields in [`AnswerRow`]
/// order) and the current evidence files as [`evidence::frozen_view`] orders them.
pub fn canonical_json(
    answers: &[AnswerRow],
    evidence: &[FrozenEvidence],
) -> Result<Vec<u8>, StoreError> {
    let mut sorted: Vec<&AnswerRow> = answers.iter().collect();
    sorted.sort_by(|a, b| a.item_id.cmp(&b.item_id));
    serde_json::to_vec(&Frozen {
        answers: sorted,
        evidence,
    })
    .map_err(|e| StoreError::Decode(e.to_string()))
}

/// SHA-256 hex of [`canonical_json`].
pub fn freeze_hash(
    answers: &[AnswerRow],
    evidence: &[FrozenEvidence],
) -> Result<String, StoreError> {
    Ok(hex::encode(Sha256::digest(canonical_json(
        answers, evidence,
    )?)))
}

/// Recomputes the frozen hash of a completed assessment from the stored answers and
/// evidence (the contents are re-hashed too): `Ok(None)` when it matches `frozen_hash`,
/// else the reason.
pub fn check_frozen(
    conn: &mut Conn,
    org: &Org,
    a: &Assessment,
) -> Result<Option<String>, StoreError> {
    let Some(expected) = &a.frozen_hash else {
        return Ok(Some(format!("assessment {} is not completed", a.id)));
    };
    let rows = answers(conn, a.id)?;
    let files = evidence::list(conn, a)?;
    for f in files.iter().filter(|f| f.is_current()) {
        if let Err(e) = evidence::content(conn, org, f) {
            return Ok(Some(format!("evidence {} ({}): {e}", f.id, f.file_name)));
        }
    }
    let actual = freeze_hash(&rows, &evidence::frozen_view(&files))?;
    Ok((&actual != expected).then(|| {
        format!(
            "assessment {}: stored answers hash to {actual}, frozen as {expected}",
            a.id
        )
    }))
}

#[derive(Serialize)]
struct CompleteEvent<'a> {
    assessment_id: i64,
    fiscal_year: i32,
    form: &'a str,
    edition_fy: i32,
    hash: &'a str,
    answers: Vec<&'a AnswerRow>,
    evidence: &'a [FrozenEvidence],
    client_org_id: Option<i64>,
}

/// Completes (freezes) a draft: hashes the canonical answers and evidence hashes, appends
/// `assessment.complete` with the hash, the answers and the evidence list to the ledger,
/// and marks it completed. Conflict when already completed.
pub fn complete(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    a: &Assessment,
) -> Result<Assessment, StoreError> {
    if a.org_id != org.id.0 {
        return Err(StoreError::NotFound(format!("assessment {}", a.id)));
    }
    let now = now_us();
    let n = conn.execute(
        "UPDATE assessments SET status = 'completed', completed_at = $2, completed_by = $3, \
         updated_at = $2 WHERE id = $1 AND status = 'draft'",
        params![a.id, now, actor],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(FROZEN_JA.to_owned()));
    }
    let rows = answers(conn, a.id)?;
    let frozen_evidence = evidence::frozen_view(&evidence::list(conn, a)?);
    let hash = freeze_hash(&rows, &frozen_evidence)?;
    conn.execute(
        "UPDATE assessments SET frozen_hash = $2 WHERE id = $1",
        params![a.id, hash.as_str()],
    )?;
    let mut sorted: Vec<&AnswerRow> = rows.iter().collect();
    sorted.sort_by(|x, y| x.item_id.cmp(&y.item_id));
    audit::record(
        conn,
        org,
        actor,
        "assessment.complete",
        &CompleteEvent {
            assessment_id: a.id,
            fiscal_year: a.fiscal_year,
            form: &a.form,
            edition_fy: a.edition_fy,
            hash: &hash,
            answers: sorted,
            evidence: &frozen_evidence,
            client_org_id: a.client_org_id,
        },
    )?;
    get(conn, a.id)?.ok_or_else(|| StoreError::NotFound(format!("assessment {}", a.id)))
}
