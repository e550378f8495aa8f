//! Personal access tokens for the JSON API: scoped, expiring, revocable, shown once and
//! stored hashed.

use anzen_core::{OrgId, UserId};

use crate::{Conn, StoreError, now_us, params, random_hex, token_hash};

/// The prefix makes leaked tokens easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "anzen_pat_";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub name: String,
    /// Space-separated scopes: `read`, `write`.
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

fn from_row(r: &crate::Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.i64(0)?,
        user_id: UserId(r.i64(1)?),
        org_id: OrgId(r.i64(2)?),
        name: r.string(3)?,
        scopes: r.string(4)?.split_whitespace().map(str::to_owned).collect(),
        created_at: r.i64(5)?,
        expires_at: r.i64(6)?,
        revoked_at: r.opt_i64(7)?,
        last_used_at: r.opt_i64(8)?,
    })
}

const COLUMNS: &str =
    "id, user_id, org_id, name, scopes, created_at, expires_at, revoked_at, last_used_at";

/// Creates a token and returns (record, secret). The secret is never stored.
pub fn create(
    conn: &mut Conn,
    user: UserId,
    org: OrgId,
    name: &str,
    scopes: &[&str],
    expires_at: i64,
) -> Result<(ApiToken, String), StoreError> {
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(24));
    let row = conn.query_one(
        "INSERT INTO api_tokens (user_id, org_id, name, token_hash, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        params![user.0, org.0, name, token_hash(&secret), scopes.join(" "), now_us(), expires_at],
    )?;
    let id = row.i64(0)?;
    let token = conn
        .query_opt(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1"),
            params![id],
        )?
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
    Ok((token, secret))
}

/// Looks up a presented secret; returns the token only if it is neither revoked nor expired.
pub fn authenticate(conn: &mut Conn, secret: &str) -> Result<Option<ApiToken>, StoreError> {
    let now = now_us();
    let token = conn
        .query_opt(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"),
            params![token_hash(secret)],
        )?
        .map(|r| from_row(&r))
        .transpose()?;
    match token {
        Some(t) if t.revoked_at.is_none() && t.expires_at > now => {
            conn.execute(
                "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
                params![t.id, now],
            )?;
            Ok(Some(t))
        }
        _ => Ok(None),
    }
}

pub fn list_for_user(
    conn: &mut Conn,
    user: UserId,
    org: OrgId,
) -> Result<Vec<ApiToken>, StoreError> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 AND org_id = $2 ORDER BY id"),
        params![user.0, org.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Revokes a token of this user in this organisation. Returns false when there is no such
/// token (another user's, another organisation's, or already revoked).
pub fn revoke(conn: &mut Conn, user: UserId, org: OrgId, id: i64) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE api_tokens SET revoked_at = $4 WHERE id = $1 AND user_id = $2 AND org_id = $3 \
         AND revoked_at IS NULL",
        params![id, user.0, org.0, now_us()],
    )?;
    Ok(n == 1)
}
