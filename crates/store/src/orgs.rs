//! Organisations (tenants) and memberships: who belongs to which facility with which role.

use anzen_core::{OrgId, OrgKind, Role, UserId};
use serde::{Deserialize, Serialize};

use crate::{Conn, Row, StoreError, now_us, params, random_hex};

/// 施設プロフィール — the facility profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: OrgId,
    /// Stable identifier used in ledger entries and checkpoint origins (never reused).
    pub uid: String,
    pub profile: OrgProfile,
}

/// The editable part of an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgProfile {
    pub name: String,
    pub kind: OrgKind,
    /// 許可病床数 (hospitals and clinics with beds).
    pub beds: Option<i64>,
    pub prefecture: Option<String>,
    pub address: Option<String>,
    /// 医療情報システム安全管理責任者 (checklist 1-(1)).
    pub security_officer: Option<String>,
    pub security_officer_contact: Option<String>,
    /// CISO (optional).
    pub ciso: Option<String>,
    /// CSIRT members, one per line (optional).
    pub csirt: Option<String>,
}

impl OrgProfile {
    pub fn new(name: impl Into<String>, kind: OrgKind) -> Self {
        OrgProfile {
            name: name.into(),
            kind,
            beds: None,
            prefecture: None,
            address: None,
            security_officer: None,
            security_officer_contact: None,
            ciso: None,
            csirt: None,
        }
    }
}

const COLUMNS: &str = "id, uid, name, kind, beds, prefecture, address, security_officer, \
                       security_officer_contact, ciso, csirt";

fn from_row(r: &Row) -> Result<Org, StoreError> {
    let kind_code = r.string(3)?;
    let kind = OrgKind::parse(&kind_code)
        .ok_or_else(|| StoreError::Decode(format!("unknown org kind {kind_code:?}")))?;
    Ok(Org {
        id: OrgId(r.i64(0)?),
        uid: r.string(1)?,
        profile: OrgProfile {
            name: r.string(2)?,
            kind,
            beds: r.opt_i64(4)?,
            prefecture: r.opt_string(5)?,
            address: r.opt_string(6)?,
            security_officer: r.opt_string(7)?,
            security_officer_contact: r.opt_string(8)?,
            ciso: r.opt_string(9)?,
            csirt: r.opt_string(10)?,
        },
    })
}

pub fn create(conn: &mut Conn, profile: &OrgProfile) -> Result<Org, StoreError> {
    let now = now_us();
    let uid = random_hex(8);
    let p = profile;
    let row = conn.query_one(
        "INSERT INTO orgs (uid, name, kind, beds, prefecture, address, security_officer, \
         security_officer_contact, ciso, csirt, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        params![
            uid.as_str(),
            p.name.as_str(),
            p.kind.code(),
            p.beds,
            p.prefecture.clone(),
            p.address.clone(),
            p.security_officer.clone(),
            p.security_officer_contact.clone(),
            p.ciso.clone(),
            p.csirt.clone(),
            now
        ],
    )?;
    Ok(Org {
        id: OrgId(row.i64(0)?),
        uid,
        profile: profile.clone(),
    })
}

pub fn update(conn: &mut Conn, id: OrgId, p: &OrgProfile) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE orgs SET name = $2, kind = $3, beds = $4, prefecture = $5, address = $6, \
         security_officer = $7, security_officer_contact = $8, ciso = $9, csirt = $10, \
         updated_at = $11 WHERE id = $1",
        params![
            id.0,
            p.name.as_str(),
            p.kind.code(),
            p.beds,
            p.prefecture.clone(),
            p.address.clone(),
            p.security_officer.clone(),
            p.security_officer_contact.clone(),
            p.ciso.clone(),
            p.csirt.clone(),
            now_us()
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("org {}", id.0)));
    }
    Ok(())
}

/// Changes the facility profile and records the change (before and after) in the
/// organisation's audit ledger, in the caller's transaction.
pub fn update_audited(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    new: &OrgProfile,
) -> Result<(), StoreError> {
    update(conn, org.id, new)?;
    crate::audit::record(
        conn,
        org,
        actor,
        "org.update",
        &crate::audit::Change {
            before: Some(&org.profile),
            after: Some(new),
        },
    )?;
    Ok(())
}

pub fn get(conn: &mut Conn, id: OrgId) -> Result<Option<Org>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM orgs WHERE id = $1"),
        params![id.0],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

pub fn all(conn: &mut Conn) -> Result<Vec<Org>, StoreError> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM orgs ORDER BY id"),
        params![],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Finds an organisation by id, uid or exact name (for `--org` on the command line).
pub fn find(conn: &mut Conn, key: &str) -> Result<Option<Org>, StoreError> {
    let id: i64 = key.parse().unwrap_or(-1);
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM orgs WHERE id = $1 OR uid = $2 OR name = $2 ORDER BY id"),
        params![id, key],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// A user's membership in one organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub org: Org,
    pub role: Role,
}

pub fn add_member(conn: &mut Conn, org: OrgId, user: UserId, role: Role) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role",
        params![user.0, org.0, role.code(), now_us()],
    )?;
    Ok(())
}

pub fn remove_member(conn: &mut Conn, org: OrgId, user: UserId) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2",
        params![user.0, org.0],
    )?;
    Ok(())
}

/// The organisations a user belongs to, with the role in each.
pub fn memberships_of(conn: &mut Conn, user: UserId) -> Result<Vec<Membership>, StoreError> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("o.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    conn.query(
        &format!(
            "SELECT {cols}, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY o.id"
        ),
        params![user.0],
    )?
    .iter()
    .map(|r| {
        let role_code = r.string(11)?;
        Ok(Membership {
            org: from_row(r)?,
            role: Role::parse(&role_code)
                .ok_or_else(|| StoreError::Decode(format!("unknown role {role_code:?}")))?,
        })
    })
    .collect()
}

/// The role of `user` in `org`, or None when the user is not a member (tenant isolation
/// starts here: no membership, no access).
pub fn role_of(conn: &mut Conn, user: UserId, org: OrgId) -> Result<Option<Role>, StoreError> {
    let row = conn.query_opt(
        "SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2",
        params![user.0, org.0],
    )?;
    match row {
        None => Ok(None),
        Some(r) => {
            let code = r.string(0)?;
            Role::parse(&code)
                .map(Some)
                .ok_or_else(|| StoreError::Decode(format!("unknown role {code:?}")))
        }
    }
}

/// Members of an organisation: (user id, email, display name, role).
pub fn members(
    conn: &mut Conn,
    org: OrgId,
) -> Result<Vec<(UserId, String, String, Role)>, StoreError> {
    conn.query(
        "SELECT u.id, u.email, u.display_name, m.role FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.id",
        params![org.0],
    )?
    .iter()
    .map(|r| {
        let code = r.string(3)?;
        Ok((
            UserId(r.i64(0)?),
            r.string(1)?,
            r.string(2)?,
            Role::parse(&code)
                .ok_or_else(|| StoreError::Decode(format!("unknown role {code:?}")))?,
        ))
    })
    .collect()
}
