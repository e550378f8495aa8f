//! Browser sessions, kept in the database so several anzen processes can serve one
//! installation. Only the SHA-256 of the session id is stored.

use anzen_core::{OrgId, UserId};

use crate::{Conn, StoreError, now_us, params, random_hex, token_hash};

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: UserId,
    pub csrf_token: String,
    pub org_id: Option<OrgId>,
    /// Second factor passed. Until then the session only reaches the 2FA pages.
    pub mfa_done: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// A TOTP secret offered during enrolment, not yet confirmed.
    pub pending_totp_secret: Option<String>,
    /// Locked by inactivity (画面ロック): only the password unlocks it.
    pub locked: bool,
}

/// Creates a session and returns its secret id (to put in the cookie).
pub fn create(conn: &mut Conn, user: UserId, org: Option<OrgId>) -> Result<String, StoreError> {
    let id = random_hex(32);
    let now = now_us();
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, org_id, mfa_done, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
        params![token_hash(&id), user.0, random_hex(32), org.map(|o| o.0), now],
    )?;
    Ok(id)
}

pub fn get(conn: &mut Conn, id: &str) -> Result<Option<Session>, StoreError> {
    let row = conn.query_opt(
        "SELECT user_id, csrf_token, org_id, mfa_done, created_at, last_seen_at, pending_totp_secret, \
         locked FROM sessions WHERE id_hash = $1",
        params![token_hash(id)],
    )?;
    row.map(|r| {
        Ok(Session {
            user_id: UserId(r.i64(0)?),
            csrf_token: r.string(1)?,
            org_id: r.opt_i64(2)?.map(OrgId),
            mfa_done: r.bool(3)?,
            created_at: r.i64(4)?,
            last_seen_at: r.i64(5)?,
            pending_totp_secret: r.opt_string(6)?,
            locked: r.bool(7)?,
        })
    })
    .transpose()
}

/// Locks the session (idle timeout or the user's own lock).
pub fn lock(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET locked = 1 WHERE id_hash = $1",
        params![token_hash(id)],
    )?;
    Ok(())
}

/// Unlocks after the password was re-entered.
pub fn unlock(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET locked = 0, last_seen_at = $2 WHERE id_hash = $1",
        params![token_hash(id), now_us()],
    )?;
    Ok(())
}

pub fn touch(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1",
        params![token_hash(id), now_us()],
    )?;
    Ok(())
}

pub fn set_mfa_done(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET mfa_done = 1, pending_totp_secret = NULL, last_seen_at = $2 \
         WHERE id_hash = $1",
        params![token_hash(id), now_us()],
    )?;
    Ok(())
}

pub fn set_org(conn: &mut Conn, id: &str, org: OrgId) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET org_id = $2 WHERE id_hash = $1",
        params![token_hash(id), org.0],
    )?;
    Ok(())
}

pub fn set_pending_totp(conn: &mut Conn, id: &str, secret: Option<&str>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET pending_totp_secret = $2 WHERE id_hash = $1",
        params![token_hash(id), secret],
    )?;
    Ok(())
}

pub fn delete(conn: &mut Conn, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE id_hash = $1",
        params![token_hash(id)],
    )?;
    Ok(())
}

/// Ends every session of a user (password reset, account disabled).
pub fn delete_for_user(conn: &mut Conn, user: UserId) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sessions WHERE user_id = $1", params![user.0])?;
    Ok(())
}

/// Removes sessions idle since before `idle_cutoff` or created before `absolute_cutoff`.
pub fn purge_expired(
    conn: &mut Conn,
    idle_cutoff: i64,
    absolute_cutoff: i64,
) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2",
        params![idle_cutoff, absolute_cutoff],
    )
}
