//! Accounts audit records: the organisation's systems (システム台帳), dated snapshots of each
//! system's account list and of the staff roster (職員名簿), the access policy, maintenance
//! windows and the monthly 棚卸 sign-offs. Snapshots are never changed: the latest per
//! system is current, earlier ones show what changed between months. Every change is in
//! the organisation's ledger.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// A system of the organisation (電子カルテ, レセコン, PACS, Active Directory, VPN …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct System {
    pub id: i64,
    #[serde(flatten)]
    pub data: SystemData,
}

/// The editable part of a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemData {
    pub name: String,
    /// 種類, e.g. 電子カルテ.
    pub kind: String,
    /// 管理責任者.
    pub owner: Option<String>,
    /// 事業者.
    pub vendor: Option<String>,
    /// Whether the system supports two-factor authentication.
    pub supports_mfa: bool,
    /// The minimum password length the system enforces, when known.
    pub min_password_len: Option<i64>,
    pub note: Option<String>,
}

const SYSTEM_COLUMNS: &str = "id, name, kind, owner, vendor, supports_mfa, min_password_len, note";

fn system_from(r: &Row) -> Result<System, StoreError> {
    Ok(System {
        id: r.i64(0)?,
        data: SystemData {
            name: r.string(1)?,
            kind: r.string(2)?,
            owner: r.opt_string(3)?,
            vendor: r.opt_string(4)?,
            supports_mfa: r.bool(5)?,
            min_password_len: r.opt_i64(6)?,
            note: r.opt_string(7)?,
        },
    })
}

/// The organisation's systems by name.
pub fn systems(conn: &mut Conn, org: &Org) -> Result<Vec<System>, StoreError> {
    conn.query(
        &format!("SELECT {SYSTEM_COLUMNS} FROM systems WHERE org_id = $1 ORDER BY name"),
        params![org.id.0],
    )?
    .iter()
    .map(system_from)
    .collect()
}

/// One system of the organisation.
pub fn system(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<System>, StoreError> {
    conn.query_opt(
        &format!("SELECT {SYSTEM_COLUMNS} FROM systems WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| system_from(&r))
    .transpose()
}

/// Adds or changes a system (`id` None = add), audited. Conflict when the name is taken.
pub fn save_system(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: Option<i64>,
    d: &SystemData,
) -> Result<System, StoreError> {
    let taken = conn
        .query_opt(
            "SELECT id FROM systems WHERE org_id = $1 AND name = $2",
            params![org.id.0, d.name.as_str()],
        )?
        .map(|r| r.i64(0))
        .transpose()?;
    if taken.is_some_and(|t| Some(t) != id) {
        return Err(StoreError::Conflict(format!(
            "システム「{}」はすでに登録されています。",
            d.name
        )));
    }
    let now = now_us();
    let before = match id {
        Some(id) => Some(
            system(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("system {id}")))?,
        ),
        None => None,
    };
    let id = match id {
        Some(id) => {
            conn.execute(
                "UPDATE systems SET name = $3, kind = $4, owner = $5, vendor = $6, \
                 supports_mfa = $7, min_password_len = $8, note = $9, updated_at = $10 \
                 WHERE org_id = $1 AND id = $2",
                params![
                    org.id.0,
                    id,
                    d.name.as_str(),
                    d.kind.as_str(),
                    d.owner.clone(),
                    d.vendor.clone(),
                    d.supports_mfa,
                    d.min_password_len,
                    d.note.clone(),
                    now
                ],
            )?;
            id
        }
        None => conn
            .query_one(
                "INSERT INTO systems (org_id, name, kind, owner, vendor, supports_mfa, \
                 min_password_len, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                params![
                    org.id.0,
                    d.name.as_str(),
                    d.kind.as_str(),
                    d.owner.clone(),
                    d.vendor.clone(),
                    d.supports_mfa,
                    d.min_password_len,
                    d.note.clone(),
                    now
                ],
            )?
            .i64(0)?,
    };
    let after =
        system(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("system {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "system.update"
        } else {
            "system.create"
        },
        &Change {
            before: before.as_ref().map(|s| &s.data),
            after: Some(&after.data),
        },
    )?;
    Ok(after)
}

/// One account of an imported list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRecord {
    pub account_id: String,
    pub name: Option<String>,
    /// 職員番号; None for shared, system or vendor accounts.
    pub staff_id: Option<String>,
    pub role: String,
    pub enabled: bool,
    /// YYYY-MM-DD
    pub last_login: Option<String>,
    pub mfa: Option<bool>,
    /// YYYY-MM-DD
    pub password_changed: Option<String>,
}

/// One person of the staff roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRecord {
    pub staff_id: String,
    pub name: String,
    /// 職種
    pub job: String,
    pub department: Option<String>,
    /// 入職日, YYYY-MM-DD
    pub hired: Option<String>,
    /// 退職日, YYYY-MM-DD
    pub retired: Option<String>,
}

/// An imported list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub id: i64,
    /// `accounts` or `staff`.
    pub kind: String,
    pub system_id: Option<i64>,
    /// `file` or `ldap`.
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub row_count: i64,
    pub imported_at: i64,
    pub imported_by: String,
}

const SNAPSHOT_COLUMNS: &str =
    "id, kind, system_id, source, file_name, sha256, row_count, imported_at, imported_by";

fn snapshot_from(r: &Row) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        id: r.i64(0)?,
        kind: r.string(1)?,
        system_id: r.opt_i64(2)?,
        source: r.string(3)?,
        file_name: r.string(4)?,
        sha256: r.string(5)?,
        row_count: r.i64(6)?,
        imported_at: r.i64(7)?,
        imported_by: r.string(8)?,
    })
}

/// Where a list came from.
pub struct Source<'a> {
    /// `file` or `ldap`.
    pub kind: &'a str,
    pub name: &'a str,
    pub sha256: &'a str,
}

fn new_snapshot(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    kind: &str,
    system_id: Option<i64>,
    src: &Source<'_>,
    rows: usize,
) -> Result<Snapshot, StoreError> {
    let id = conn
        .query_one(
            "INSERT INTO snapshots (org_id, kind, system_id, source, file_name, sha256, \
             row_count, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
            params![
                org.id.0,
                kind,
                system_id,
                src.kind,
                src.name,
                src.sha256,
                i64::try_from(rows).unwrap_or(i64::MAX),
                now_us(),
                actor
            ],
        )?
        .i64(0)?;
    let snap = conn
        .query_one(
            &format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE id = $1"),
            params![id],
        )
        .and_then(|r| snapshot_from(&r))?;
    audit::record(conn, org, actor, &format!("{kind}.import"), &snap)?;
    Ok(snap)
}

/// Stores a system's account list as a new snapshot.
pub fn import_accounts(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    system: &System,
    src: &Source<'_>,
    rows: &[AccountRecord],
) -> Result<Snapshot, StoreError> {
    let snap = new_snapshot(
        conn,
        org,
        actor,
        "accounts",
        Some(system.id),
        src,
        rows.len(),
    )?;
    for a in rows {
        conn.execute(
            "INSERT INTO snapshot_accounts (snapshot_id, account_id, name, staff_id, role, \
             enabled, last_login, mfa, password_changed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params![
                snap.id,
                a.account_id.as_str(),
                a.name.clone(),
                a.staff_id.clone(),
                a.role.as_str(),
                a.enabled,
                a.last_login.clone(),
                a.mfa,
                a.password_changed.clone()
            ],
        )?;
    }
    Ok(snap)
}

/// Stores the staff roster as a new snapshot.
pub fn import_staff(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    src: &Source<'_>,
    rows: &[StaffRecord],
) -> Result<Snapshot, StoreError> {
    let snap = new_snapshot(conn, org, actor, "staff", None, src, rows.len())?;
    for s in rows {
        conn.execute(
            "INSERT INTO snapshot_staff (snapshot_id, staff_id, name, job, department, hired, \
             retired) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![
                snap.id,
                s.staff_id.as_str(),
                s.name.as_str(),
                s.job.as_str(),
                s.department.clone(),
                s.hired.clone(),
                s.retired.clone()
            ],
        )?;
    }
    Ok(snap)
}

/// Snapshots of the organisation, newest first (`system_id` None with kind `staff` = the
/// roster).
pub fn snapshots(conn: &mut Conn, org: &Org) -> Result<Vec<Snapshot>, StoreError> {
    conn.query(
        &format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE org_id = $1 ORDER BY id DESC"),
        params![org.id.0],
    )?
    .iter()
    .map(snapshot_from)
    .collect()
}

/// The accounts of a snapshot.
pub fn snapshot_accounts(
    conn: &mut Conn,
    snapshot_id: i64,
) -> Result<Vec<AccountRecord>, StoreError> {
    conn.query(
        "SELECT account_id, name, staff_id, role, enabled, last_login, mfa, password_changed \
         FROM snapshot_accounts WHERE snapshot_id = $1 ORDER BY account_id",
        params![snapshot_id],
    )?
    .iter()
    .map(|r| {
        Ok(AccountRecord {
            account_id: r.string(0)?,
            name: r.opt_string(1)?,
            staff_id: r.opt_string(2)?,
            role: r.string(3)?,
            enabled: r.bool(4)?,
            last_login: r.opt_string(5)?,
            mfa: r.opt_i64(6)?.map(|v| v != 0),
            password_changed: r.opt_string(7)?,
        })
    })
    .collect()
}

/// The staff of a snapshot.
pub fn snapshot_staff(conn: &mut Conn, snapshot_id: i64) -> Result<Vec<StaffRecord>, StoreError> {
    conn.query(
        "SELECT staff_id, name, job, department, hired, retired FROM snapshot_staff \
         WHERE snapshot_id = $1 ORDER BY staff_id",
        params![snapshot_id],
    )?
    .iter()
    .map(|r| {
        Ok(StaffRecord {
            staff_id: r.string(0)?,
            name: r.string(1)?,
            job: r.string(2)?,
            department: r.opt_string(3)?,
            hired: r.opt_string(4)?,
            retired: r.opt_string(5)?,
        })
    })
    .collect()
}

/// What changed between two snapshots of one list (accounts of a system, or the roster),
/// keyed by アカウントID / 職員番号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<T> {
    /// In the newer list only.
    pub added: Vec<T>,
    /// In the older list only.
    pub removed: Vec<T>,
    /// In both, different: (older, newer, the fields that differ as 「項目: 前 → 後」).
    pub changed: Vec<(T, T, Vec<String>)>,
    pub unchanged: usize,
}

/// A list entry that can be compared across snapshots.
pub trait Compared {
    /// The key that identifies the entry in both lists.
    fn key(&self) -> &str;
    /// (label, value as shown) of every compared field.
    fn fields(&self) -> Vec<(&'static str, String)>;
}

fn shown(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl Compared for AccountRecord {
    fn key(&self) -> &str {
        self.account_id.trim()
    }
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("氏名", shown(&self.name)),
            ("職員番号", shown(&self.staff_id)),
            ("権限", self.role.clone()),
            (
                "状態",
                if self.enabled { "有効" } else { "無効" }.to_owned(),
            ),
            ("最終ログイン", shown(&self.last_login)),
            (
                "二要素認証",
                match self.mfa {
                    Some(true) => "あり",
                    Some(false) => "なし",
                    None => "",
                }
                .to_owned(),
            ),
            ("パスワード変更日", shown(&self.password_changed)),
        ]
    }
}

impl Compared for StaffRecord {
    fn key(&self) -> &str {
        self.staff_id.trim()
    }
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("氏名", self.name.clone()),
            ("職種", self.job.clone()),
            ("所属", shown(&self.department)),
            ("入職日", shown(&self.hired)),
            ("退職日", shown(&self.retired)),
        ]
    }
}

/// Compares an older and a newer snapshot (pure). Entries keep the newer list's order
/// (the older one's for removed entries). `ignore` names fields left out of the comparison
/// (e.g. 最終ログイン, which changes every day).
pub fn changes<T: Compared + Clone>(older: &[T], newer: &[T], ignore: &[&str]) -> Changes<T> {
    let before: std::collections::HashMap<&str, &T> = older.iter().map(|x| (x.key(), x)).collect();
    let after: std::collections::HashSet<&str> = newer.iter().map(Compared::key).collect();
    let mut out = Changes {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for new in newer {
        let Some(old) = before.get(new.key()) else {
            out.added.push(new.clone());
            continue;
        };
        let differ: Vec<String> = old
            .fields()
            .into_iter()
            .zip(new.fields())
            .filter(|((label, a), (_, b))| a != b && !ignore.contains(label))
            .map(|((label, a), (_, b))| {
                let blank = |v: String| {
                    if v.is_empty() {
                        "（なし）".to_owned()
                    } else {
                        v
                    }
                };
                format!("{label}: {} → {}", blank(a), blank(b))
            })
            .collect();
        if differ.is_empty() {
            out.unchanged += 1;
        } else {
            out.changed.push(((*old).clone(), new.clone(), differ));
        }
    }
    out.removed = older
        .iter()
        .filter(|x| !after.contains(x.key()))
        .cloned()
        .collect();
    out
}

/// The access policy of the organisation's systems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// (system id, 職種, 権限) allowed; 権限 `*` = any.
    pub allowed: Vec<(i64, String, String)>,
    /// (system id, 権限) that are 管理者権限.
    pub admin_roles: Vec<(i64, String)>,
    /// (system id, account id, owner) of shared and administrator accounts.
    pub owners: Vec<(i64, String, String)>,
    /// (system id, account id, from, to) maintenance windows.
    pub windows: Vec<(i64, String, String, String)>,
}

/// The organisation's policy.
pub fn policy(conn: &mut Conn, org: &Org) -> Result<Policy, StoreError> {
    let mut p = Policy::default();
    for r in conn.query(
        "SELECT system_id, job, role FROM policy_allowed WHERE org_id = $1 ORDER BY system_id, job, role",
        params![org.id.0],
    )? {
        p.allowed.push((r.i64(0)?, r.string(1)?, r.string(2)?));
    }
    for r in conn.query(
        "SELECT system_id, role FROM policy_admin_roles WHERE org_id = $1 ORDER BY system_id, role",
        params![org.id.0],
    )? {
        p.admin_roles.push((r.i64(0)?, r.string(1)?));
    }
    for r in conn.query(
        "SELECT system_id, account_id, owner FROM policy_owners WHERE org_id = $1 \
         ORDER BY system_id, account_id",
        params![org.id.0],
    )? {
        p.owners.push((r.i64(0)?, r.string(1)?, r.string(2)?));
    }
    for r in conn.query(
        "SELECT system_id, account_id, from_date, to_date FROM maintenance_windows \
         WHERE org_id = $1 ORDER BY system_id, account_id, from_date",
        params![org.id.0],
    )? {
        p.windows
            .push((r.i64(0)?, r.string(1)?, r.string(2)?, r.string(3)?));
    }
    Ok(p)
}

/// Replaces the policy of one system, audited with before and after.
pub fn set_policy(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    system_id: i64,
    new: &Policy,
) -> Result<(), StoreError> {
    let all = policy(conn, org)?;
    let only = |p: &Policy| Policy {
        allowed: p
            .allowed
            .iter()
            .filter(|x| x.0 == system_id)
            .cloned()
            .collect(),
        admin_roles: p
            .admin_roles
            .iter()
            .filter(|x| x.0 == system_id)
            .cloned()
            .collect(),
        owners: p
            .owners
            .iter()
            .filter(|x| x.0 == system_id)
            .cloned()
            .collect(),
        windows: p
            .windows
            .iter()
            .filter(|x| x.0 == system_id)
            .cloned()
            .collect(),
    };
    let before = only(&all);
    let after = only(new);
    if before == after {
        return Ok(());
    }
    for table in [
        "policy_allowed",
        "policy_admin_roles",
        "policy_owners",
        "maintenance_windows",
    ] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE org_id = $1 AND system_id = $2"),
            params![org.id.0, system_id],
        )?;
    }
    for (s, job, role) in &after.allowed {
        conn.execute(
            "INSERT INTO policy_allowed (org_id, system_id, job, role) VALUES ($1, $2, $3, $4)",
            params![org.id.0, *s, job.as_str(), role.as_str()],
        )?;
    }
    for (s, role) in &after.admin_roles {
        conn.execute(
            "INSERT INTO policy_admin_roles (org_id, system_id, role) VALUES ($1, $2, $3)",
            params![org.id.0, *s, role.as_str()],
        )?;
    }
    for (s, account, owner) in &after.owners {
        conn.execute(
            "INSERT INTO policy_owners (org_id, system_id, account_id, owner) VALUES ($1, $2, $3, $4)",
            params![org.id.0, *s, account.as_str(), owner.as_str()],
        )?;
    }
    for (s, account, from, to) in &after.windows {
        conn.execute(
            "INSERT INTO maintenance_windows (org_id, system_id, account_id, from_date, to_date) \
             VALUES ($1, $2, $3, $4, $5)",
            params![org.id.0, *s, account.as_str(), from.as_str(), to.as_str()],
        )?;
    }
    audit::record(
        conn,
        org,
        actor,
        "policy.update",
        &serde_json::json!({ "system_id": system_id, "change": Change { before: Some(&before), after: Some(&after) } }),
    )?;
    Ok(())
}

/// A monthly 棚卸 sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub system_id: i64,
    /// YYYY-MM
    pub month: String,
    pub snapshot_id: Option<i64>,
    pub open_findings: i64,
    pub signed_by: String,
    pub signed_at: i64,
    pub note: Option<String>,
}

/// Signs off the month's account review of a system (Conflict when already signed).
pub fn sign_review(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    review: &Review,
) -> Result<(), StoreError> {
    let exists = conn.query_opt(
        "SELECT id FROM account_reviews WHERE system_id = $1 AND month = $2",
        params![review.system_id, review.month.as_str()],
    )?;
    if exists.is_some() {
        return Err(StoreError::Conflict(format!(
            "{} の棚卸はすでに確認済みです。",
            review.month
        )));
    }
    conn.execute(
        "INSERT INTO account_reviews (org_id, system_id, month, snapshot_id, open_findings, \
         signed_by, signed_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![
            org.id.0,
            review.system_id,
            review.month.as_str(),
            review.snapshot_id,
            review.open_findings,
            actor,
            review.signed_at,
            review.note.clone()
        ],
    )?;
    audit::record(conn, org, actor, "account_review.sign", review)?;
    Ok(())
}

/// Sign-offs of the organisation, newest month first.
pub fn reviews(conn: &mut Conn, org: &Org) -> Result<Vec<Review>, StoreError> {
    conn.query(
        "SELECT system_id, month, snapshot_id, open_findings, signed_by, signed_at, note \
         FROM account_reviews WHERE org_id = $1 ORDER BY month DESC, system_id",
        params![org.id.0],
    )?
    .iter()
    .map(|r| {
        Ok(Review {
            system_id: r.i64(0)?,
            month: r.string(1)?,
            snapshot_id: r.opt_i64(2)?,
            open_findings: r.i64(3)?,
            signed_by: r.string(4)?,
            signed_at: r.i64(5)?,
            note: r.opt_string(6)?,
        })
    })
    .collect()
}

/// The assets (台帳 ids) a system runs on.
pub fn system_assets(conn: &mut Conn, org: &Org, system_id: i64) -> Result<Vec<i64>, StoreError> {
    conn.query(
        "SELECT sa.asset_id FROM system_assets sa JOIN systems s ON s.id = sa.system_id \
         WHERE s.org_id = $1 AND sa.system_id = $2 ORDER BY sa.asset_id",
        params![org.id.0, system_id],
    )?
    .iter()
    .map(|r| r.i64(0))
    .collect()
}

/// Sets the assets a system runs on (ids of the organisation's assets only), audited.
pub fn set_system_assets(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    system_id: i64,
    asset_ids: &[i64],
) -> Result<(), StoreError> {
    system(conn, org, system_id)?
        .ok_or_else(|| StoreError::NotFound(format!("system {system_id}")))?;
    let mine: Vec<i64> = crate::assets::list(conn, org)?
        .iter()
        .map(|a| a.id)
        .collect();
    if let Some(bad) = asset_ids.iter().find(|id| !mine.contains(id)) {
        return Err(StoreError::NotFound(format!("asset {bad}")));
    }
    let before = system_assets(conn, org, system_id)?;
    let mut after: Vec<i64> = asset_ids.to_vec();
    after.sort_unstable();
    after.dedup();
    if before == after {
        return Ok(());
    }
    conn.execute(
        "DELETE FROM system_assets WHERE system_id = $1",
        params![system_id],
    )?;
    for id in &after {
        conn.execute(
            "INSERT INTO system_assets (system_id, asset_id) VALUES ($1, $2)",
            params![system_id, *id],
        )?;
    }
    audit::record(
        conn,
        org,
        actor,
        "system.assets",
        &serde_json::json!({ "system_id": system_id, "before": before, "after": after }),
    )?;
    Ok(())
}
