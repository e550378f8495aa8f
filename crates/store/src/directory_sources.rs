//! LDAP / Active Directory sources (ディレクトリ連携の設定): per system, where its account list
//! is read from, and where the staff roster is read from. The settings are the
//! `anzen-directory` configuration as TOML, kept opaque here (the web layer parses it); the
//! bind password is stored apart, is never returned to a page and never enters the ledger.
//! Like the TOTP secrets it must stay usable, so it is stored as given — protect the
//! database and its backups accordingly.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// What a source fills: one system's account list, or the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    /// The accounts of the system with this id.
    Accounts(i64),
    /// 職員名簿.
    Staff,
}

impl Scope {
    fn key(self) -> String {
        match self {
            Scope::Accounts(id) => format!("system:{id}"),
            Scope::Staff => "staff".to_owned(),
        }
    }

    fn system_id(self) -> Option<i64> {
        match self {
            Scope::Accounts(id) => Some(id),
            Scope::Staff => None,
        }
    }
}

/// A stored source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySource {
    pub scope: Scope,
    /// The configuration (TOML) without the password.
    pub settings: String,
    /// The bind password; empty for an anonymous bind.
    pub bind_password: String,
    pub updated_at: i64,
    pub updated_by: String,
}

fn from_row(scope: Scope, r: &Row) -> Result<DirectorySource, StoreError> {
    Ok(DirectorySource {
        scope,
        settings: r.string(0)?,
        bind_password: r.string(1)?,
        updated_at: r.i64(2)?,
        updated_by: r.string(3)?,
    })
}

/// The source of `scope`, if one is set up.
pub fn get(
    conn: &mut Conn,
    org: &Org,
    scope: Scope,
) -> Result<Option<DirectorySource>, StoreError> {
    conn.query(
        "SELECT settings, bind_password, updated_at, updated_by FROM directory_sources \
         WHERE org_id = $1 AND scope = $2",
        params![org.id.0, scope.key()],
    )?
    .first()
    .map(|r| from_row(scope, r))
    .transpose()
}

/// Sets the source of `scope`. `bind_password` `None` keeps the stored one (the form leaves
/// the field empty to keep it). Audited with the settings before and after and whether the
/// password changed — never the password itself.
pub fn save(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    scope: Scope,
    settings: &str,
    bind_password: Option<&str>,
) -> Result<DirectorySource, StoreError> {
    let before = get(conn, org, scope)?;
    let password = match (bind_password, &before) {
        (Some(p), _) => p.to_owned(),
        (None, Some(b)) => b.bind_password.clone(),
        (None, None) => String::new(),
    };
    let now = now_us();
    if before.is_some() {
        conn.execute(
            "UPDATE directory_sources SET settings = $1, bind_password = $2, updated_at = $3, \
             updated_by = $4 WHERE org_id = $5 AND scope = $6",
            params![
                settings,
                password.as_str(),
                now,
                actor,
                org.id.0,
                scope.key()
            ],
        )?;
    } else {
        conn.execute(
            "INSERT INTO directory_sources (org_id, scope, system_id, settings, bind_password, \
             updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![
                org.id.0,
                scope.key(),
                scope.system_id(),
                settings,
                password.as_str(),
                now,
                actor
            ],
        )?;
    }
    let old = before.as_ref().map(|b| b.settings.clone());
    let new = settings.to_owned();
    audit::record(
        conn,
        org,
        actor,
        "directory.configure",
        &serde_json::json!({
            "scope": scope,
            "change": Change { before: old.as_ref(), after: Some(&new) },
            "password_changed": before.as_ref().is_none_or(|b| b.bind_password != password),
        }),
    )?;
    Ok(DirectorySource {
        scope,
        settings: new,
        bind_password: password,
        updated_at: now,
        updated_by: actor.to_owned(),
    })
}
