//! Continuity records: per system (the systems of `accounts`) its backup jobs, whether it
//! needs backups and its restore procedure (復旧手順), restore drills (復旧訓練), and the
//! cyber BCP in versions. Every change is in the organisation's ledger. (Not to be
//! confused with `backup`, the dump of anzen's own database.) Which backups are
//! insufficient is decided by `anzen_core::rules::incident::backup_findings`.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

fn system_exists(conn: &mut Conn, org: &Org, system_id: i64) -> Result<(), StoreError> {
    conn.query_opt(
        "SELECT id FROM systems WHERE org_id = $1 AND id = $2",
        params![org.id.0, system_id],
    )?
    .map(|_| ())
    .ok_or_else(|| StoreError::NotFound(format!("system {system_id}")))
}

// ---------------------------------------------------------------------------------------
// バックアップ
// ---------------------------------------------------------------------------------------

/// The editable part of a backup job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupJobData {
    pub system_id: i64,
    /// 方式・媒体 (NAS, 外付けHDD, テープ, クラウド…).
    pub method: String,
    /// 保持世代数.
    pub generations: i64,
    /// オフライン・イミュータブル (out of reach of malware).
    pub offline: bool,
    /// 保管場所.
    pub location: Option<String>,
    /// 取得間隔（日）; 0 = unknown.
    pub frequency_days: i64,
    /// 最終成功日 YYYY-MM-DD.
    pub last_success: Option<String>,
    pub note: Option<String>,
}

/// A backup job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupJobRecord {
    pub id: i64,
    #[serde(flatten)]
    pub data: BackupJobData,
}

const JOB_COLUMNS: &str =
    "id, system_id, method, generations, offline, location, frequency_days, last_success, note";

fn job_from(r: &Row) -> Result<BackupJobRecord, StoreError> {
    Ok(BackupJobRecord {
        id: r.i64(0)?,
        data: BackupJobData {
            system_id: r.i64(1)?,
            method: r.string(2)?,
            generations: r.i64(3)?,
            offline: r.bool(4)?,
            location: r.opt_string(5)?,
            frequency_days: r.i64(6)?,
            last_success: r.opt_string(7)?,
            note: r.opt_string(8)?,
        },
    })
}

/// The organisation's backup jobs, by system then as entered.
pub fn jobs(conn: &mut Conn, org: &Org) -> Result<Vec<BackupJobRecord>, StoreError> {
    conn.query(
        &format!("SELECT {JOB_COLUMNS} FROM backup_jobs WHERE org_id = $1 ORDER BY system_id, id"),
        params![org.id.0],
    )?
    .iter()
    .map(job_from)
    .collect()
}

/// One backup job.
pub fn job(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<BackupJobRecord>, StoreError> {
    conn.query_opt(
        &format!("SELECT {JOB_COLUMNS} FROM backup_jobs WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| job_from(&r))
    .transpose()
}

/// Adds or changes a backup job (`id` None = add), audited.
pub fn save_job(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: Option<i64>,
    d: &BackupJobData,
) -> Result<BackupJobRecord, StoreError> {
    system_exists(conn, org, d.system_id)?;
    let now = now_us();
    let before = match id {
        Some(id) => Some(
            job(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("backup job {id}")))?,
        ),
        None => None,
    };
    let id = match id {
        Some(id) => {
            conn.execute(
                "UPDATE backup_jobs SET system_id = $3, method = $4, generations = $5, \
                 offline = $6, location = $7, frequency_days = $8, last_success = $9, note = $10, \
                 updated_at = $11 WHERE org_id = $1 AND id = $2",
                params![
                    org.id.0,
                    id,
                    d.system_id,
                    d.method.as_str(),
                    d.generations,
                    d.offline,
                    d.location.clone(),
                    d.frequency_days,
                    d.last_success.clone(),
                    d.note.clone(),
                    now
                ],
            )?;
            id
        }
        None => conn
            .query_one(
                "INSERT INTO backup_jobs (org_id, system_id, method, generations, offline, \
                 location, frequency_days, last_success, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                params![
                    org.id.0,
                    d.system_id,
                    d.method.as_str(),
                    d.generations,
                    d.offline,
                    d.location.clone(),
                    d.frequency_days,
                    d.last_success.clone(),
                    d.note.clone(),
                    now
                ],
            )?
            .i64(0)?,
    };
    let after =
        job(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("backup job {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "backup_job.update"
        } else {
            "backup_job.create"
        },
        &Change {
            before: before.as_ref().map(|j| &j.data),
            after: Some(&after.data),
        },
    )?;
    Ok(after)
}

/// Removes a backup job, audited.
pub fn delete_job(conn: &mut Conn, org: &Org, actor: &str, id: i64) -> Result<(), StoreError> {
    let before =
        job(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("backup job {id}")))?;
    conn.execute(
        "DELETE FROM backup_jobs WHERE org_id = $1 AND id = $2",
        params![org.id.0, id],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "backup_job.delete",
        &Change::<BackupJobData> {
            before: Some(&before.data),
            after: None,
        },
    )?;
    Ok(())
}

/// Per system: whether it needs backups and its restore procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemPlan {
    pub system_id: i64,
    /// False: the system needs no backups (e.g. a VPN appliance), with the reason.
    pub needed: bool,
    pub reason: Option<String>,
    /// 復旧手順.
    pub restore_procedure: Option<String>,
}

/// The organisation's per-system settings (systems without a row need backups and have
/// no written procedure).
pub fn system_plans(conn: &mut Conn, org: &Org) -> Result<Vec<SystemPlan>, StoreError> {
    conn.query(
        "SELECT system_id, needed, reason, restore_procedure FROM backup_systems \
         WHERE org_id = $1 ORDER BY system_id",
        params![org.id.0],
    )?
    .iter()
    .map(|r| {
        Ok(SystemPlan {
            system_id: r.i64(0)?,
            needed: r.bool(1)?,
            reason: r.opt_string(2)?,
            restore_procedure: r.opt_string(3)?,
        })
    })
    .collect()
}

/// Sets a system's backup need and restore procedure, audited.
pub fn save_system_plan(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    p: &SystemPlan,
) -> Result<(), StoreError> {
    system_exists(conn, org, p.system_id)?;
    let before = system_plans(conn, org)?
        .into_iter()
        .find(|x| x.system_id == p.system_id);
    conn.execute(
        "DELETE FROM backup_systems WHERE org_id = $1 AND system_id = $2",
        params![org.id.0, p.system_id],
    )?;
    conn.execute(
        "INSERT INTO backup_systems (org_id, system_id, needed, reason, restore_procedure, \
         updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            org.id.0,
            p.system_id,
            p.needed,
            p.reason.clone(),
            p.restore_procedure.clone(),
            actor,
            now_us()
        ],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "backup_system.update",
        &Change {
            before: before.as_ref(),
            after: Some(p),
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 復旧訓練
// ---------------------------------------------------------------------------------------

/// A restore drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drill {
    pub id: i64,
    pub system_id: i64,
    /// YYYY-MM-DD.
    pub drill_date: String,
    /// 復元できたか.
    pub ok: bool,
    /// 所要時間（分）.
    pub minutes: Option<i64>,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// The organisation's restore drills, latest first.
pub fn drills(conn: &mut Conn, org: &Org) -> Result<Vec<Drill>, StoreError> {
    conn.query(
        "SELECT id, system_id, drill_date, ok, minutes, note, recorded_by FROM restore_drills \
         WHERE org_id = $1 ORDER BY drill_date DESC, id DESC",
        params![org.id.0],
    )?
    .iter()
    .map(|r| {
        Ok(Drill {
            id: r.i64(0)?,
            system_id: r.i64(1)?,
            drill_date: r.string(2)?,
            ok: r.bool(3)?,
            minutes: r.opt_i64(4)?,
            note: r.opt_string(5)?,
            recorded_by: r.string(6)?,
        })
    })
    .collect()
}

/// Records a restore drill, audited (`d.id` and `d.recorded_by` are set here).
pub fn add_drill(conn: &mut Conn, org: &Org, actor: &str, d: &Drill) -> Result<Drill, StoreError> {
    system_exists(conn, org, d.system_id)?;
    let id = conn
        .query_one(
            "INSERT INTO restore_drills (org_id, system_id, drill_date, ok, minutes, note, \
             recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                org.id.0,
                d.system_id,
                d.drill_date.as_str(),
                d.ok,
                d.minutes,
                d.note.clone(),
                actor,
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = Drill {
        id,
        recorded_by: actor.to_owned(),
        ..d.clone()
    };
    audit::record(conn, org, actor, "restore_drill.create", &saved)?;
    Ok(saved)
}

// ---------------------------------------------------------------------------------------
// 事業継続計画
// ---------------------------------------------------------------------------------------

/// One version of the cyber BCP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BcpVersion {
    pub id: i64,
    pub version: i64,
    /// JSON of `anzen_core::rules::bcp::BcpPlan`.
    pub plan: String,
    pub approved_by: Option<String>,
    /// YYYY-MM-DD.
    pub approved_on: Option<String>,
    /// YYYY-MM-DD.
    pub next_review: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const BCP_COLUMNS: &str = "id, version, plan, approved_by, approved_on, next_review, created_by, \
     created_at, updated_at";

fn bcp_from(r: &Row) -> Result<BcpVersion, StoreError> {
    Ok(BcpVersion {
        id: r.i64(0)?,
        version: r.i64(1)?,
        plan: r.string(2)?,
        approved_by: r.opt_string(3)?,
        approved_on: r.opt_string(4)?,
        next_review: r.opt_string(5)?,
        created_by: r.string(6)?,
        created_at: r.i64(7)?,
        updated_at: r.i64(8)?,
    })
}

/// Every version of the plan, latest first.
pub fn bcp_versions(conn: &mut Conn, org: &Org) -> Result<Vec<BcpVersion>, StoreError> {
    conn.query(
        &format!("SELECT {BCP_COLUMNS} FROM bcp_versions WHERE org_id = $1 ORDER BY version DESC"),
        params![org.id.0],
    )?
    .iter()
    .map(bcp_from)
    .collect()
}

/// Saves the plan: changes the latest version while it is a draft, otherwise starts the
/// next version (an approved version is never changed). `next_review` is kept with the
/// draft. Audited with before and after.
pub fn save_bcp(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    plan_json: &str,
    next_review: Option<&str>,
) -> Result<BcpVersion, StoreError> {
    let latest = bcp_versions(conn, org)?.into_iter().next();
    let now = now_us();
    let (id, before) = match &latest {
        Some(v) if v.approved_on.is_none() => {
            conn.execute(
                "UPDATE bcp_versions SET plan = $3, next_review = $4, updated_at = $5 \
                 WHERE org_id = $1 AND id = $2",
                params![org.id.0, v.id, plan_json, next_review, now],
            )?;
            (v.id, Some(v.clone()))
        }
        _ => {
            let version = latest.as_ref().map_or(1, |v| v.version + 1);
            let id = conn
                .query_one(
                    "INSERT INTO bcp_versions (org_id, version, plan, next_review, created_by, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    params![org.id.0, version, plan_json, next_review, actor, now],
                )?
                .i64(0)?;
            (id, None)
        }
    };
    let after = bcp_versions(conn, org)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("bcp {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "bcp.update"
        } else {
            "bcp.create"
        },
        &Change {
            before: before.as_ref(),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// Approves the latest version (a draft) on `approved_on`, audited. Conflict when there is
/// no draft to approve.
pub fn approve_bcp(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    approved_by: &str,
    approved_on: &str,
    next_review: Option<&str>,
) -> Result<BcpVersion, StoreError> {
    let Some(draft) = bcp_versions(conn, org)?
        .into_iter()
        .next()
        .filter(|v| v.approved_on.is_none())
    else {
        return Err(StoreError::Conflict(
            "承認する下書きがありません（最新の版は承認済みです）。".to_owned(),
        ));
    };
    conn.execute(
        "UPDATE bcp_versions SET approved_by = $3, approved_on = $4, next_review = $5, \
         updated_at = $6 WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            draft.id,
            approved_by,
            approved_on,
            next_review,
            now_us()
        ],
    )?;
    let after = bcp_versions(conn, org)?
        .into_iter()
        .find(|v| v.id == draft.id)
        .ok_or_else(|| StoreError::NotFound(format!("bcp {}", draft.id)))?;
    audit::record(
        conn,
        org,
        actor,
        "bcp.approve",
        &Change {
            before: Some(&draft),
            after: Some(&after),
        },
    )?;
    Ok(after)
}
