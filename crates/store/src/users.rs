//! anzen's own user accounts: password hashes, second factors, lockout state.
//! Password hashing and policy decisions are made by the caller (web/cli); this module
//! only keeps the records.

use anzen_core::UserId;

use crate::{Conn, Row, StoreError, now_us, params};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub password_changed_at: i64,
    pub must_change_password: bool,
    /// Base32 TOTP secret; None until the user has enrolled.
    pub totp_secret: Option<String>,
    /// Last accepted TOTP time step: a code from this step or earlier is refused (replay).
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub lang: String,
    pub disabled: bool,
}

const COLUMNS: &str = "id, email, display_name, password_hash, password_changed_at, \
    must_change_password, totp_secret, totp_last_step, failed_logins, locked_until, lang, disabled";

fn from_row(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(r.i64(0)?),
        email: r.string(1)?,
        display_name: r.string(2)?,
        password_hash: r.string(3)?,
        password_changed_at: r.i64(4)?,
        must_change_password: r.bool(5)?,
        totp_secret: r.opt_string(6)?,
        totp_last_step: r.opt_i64(7)?,
        failed_logins: r.i64(8)?,
        locked_until: r.opt_i64(9)?,
        lang: r.string(10)?,
        disabled: r.bool(11)?,
    })
}

impl User {
    /// Locked out by repeated failures until `locked_until`.
    pub fn is_locked(&self, now_us: i64) -> bool {
        self.locked_until.is_some_and(|t| t > now_us)
    }
}

/// Normalises an e-mail address for lookup (case-insensitive, trimmed).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn create(
    conn: &mut Conn,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<User, StoreError> {
    let email = normalize_email(email);
    if get_by_email(conn, &email)?.is_some() {
        return Err(StoreError::Conflict(format!("user {email} already exists")));
    }
    let now = now_us();
    let row = conn.query_one(
        "INSERT INTO users (email, display_name, password_hash, password_changed_at, created_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
        params![email.as_str(), display_name, password_hash, now],
    )?;
    let id = UserId(row.i64(0)?);
    conn.execute(
        "INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)",
        params![id.0, password_hash, now],
    )?;
    get(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("user {}", id.0)))
}

pub fn get(conn: &mut Conn, id: UserId) -> Result<Option<User>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE id = $1"),
        params![id.0],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

pub fn get_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE email = $1"),
        params![normalize_email(email)],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// The last `n` password hashes of a user, newest first (for the no-reuse rule).
pub fn recent_password_hashes(
    conn: &mut Conn,
    id: UserId,
    n: usize,
) -> Result<Vec<String>, StoreError> {
    conn.query(
        "SELECT password_hash FROM password_history WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT $2",
        params![id.0, i64::try_from(n).unwrap_or(i64::MAX)],
    )?
    .iter()
    .map(|r| r.string(0))
    .collect()
}

/// Sets a new password hash and records it in the history.
pub fn set_password(
    conn: &mut Conn,
    id: UserId,
    password_hash: &str,
    must_change: bool,
) -> Result<(), StoreError> {
    let now = now_us();
    conn.execute(
        "UPDATE users SET password_hash = $2, password_changed_at = $3, must_change_password = $4, \
         failed_logins = 0, locked_until = NULL WHERE id = $1",
        params![id.0, password_hash, now, must_change],
    )?;
    conn.execute(
        "INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)",
        params![id.0, password_hash, now],
    )?;
    Ok(())
}

pub fn set_totp(conn: &mut Conn, id: UserId, secret: Option<&str>) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1",
        params![id.0, secret],
    )?;
    Ok(())
}

/// Records the TOTP step just accepted. Returns false (and changes nothing) when a code of
/// this step or a later one was already used: the conditional update makes replay refusal
/// safe even with two concurrent sign-ins on several servers.
pub fn accept_totp_step(conn: &mut Conn, id: UserId, step: i64) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 \
         AND (totp_last_step IS NULL OR totp_last_step < $2)",
        params![id.0, step],
    )?;
    Ok(n == 1)
}

pub fn record_failed_login(
    conn: &mut Conn,
    id: UserId,
    lock_after: i64,
    lock_for_us: i64,
) -> Result<i64, StoreError> {
    let row = conn.query_one(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        params![id.0],
    )?;
    let failed = row.i64(0)?;
    if failed >= lock_after {
        conn.execute(
            "UPDATE users SET locked_until = $2 WHERE id = $1",
            params![id.0, now_us() + lock_for_us],
        )?;
    }
    Ok(failed)
}

pub fn record_successful_login(conn: &mut Conn, id: UserId) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        params![id.0],
    )?;
    Ok(())
}

pub fn set_disabled(conn: &mut Conn, id: UserId, disabled: bool) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET disabled = $2 WHERE id = $1",
        params![id.0, disabled],
    )?;
    Ok(())
}

pub fn set_lang(conn: &mut Conn, id: UserId, lang: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET lang = $2 WHERE id = $1",
        params![id.0, lang],
    )?;
    Ok(())
}

/// Replaces the user's recovery codes with new ones (given as hashes).
pub fn replace_recovery_codes(
    conn: &mut Conn,
    id: UserId,
    code_hashes: &[String],
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![id.0],
    )?;
    for h in code_hashes {
        conn.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            params![id.0, h.as_str()],
        )?;
    }
    Ok(())
}

/// Uses a recovery code once. Returns false if unknown or already used.
pub fn use_recovery_code(conn: &mut Conn, id: UserId, code_hash: &str) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        params![id.0, code_hash, now_us()],
    )?;
    Ok(n == 1)
}

pub fn unused_recovery_codes(conn: &mut Conn, id: UserId) -> Result<i64, StoreError> {
    conn.query_one(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        params![id.0],
    )?
    .i64(0)
}
