//! WebAuthn / passkey records: the registered credentials of each user and the ceremony
//! state between a challenge and the browser's answer.
//!
//! The store does not interpret credentials: `passkey` is the relying-party library's
//! serialised credential (JSON text) and the web crate decides what is valid. What the
//! store guarantees is that a challenge is used at most once and only before it expires,
//! that a credential id belongs to one account, and that the signature counter only moves
//! forward even with concurrent sign-ins on several servers.

use anzen_core::UserId;

use crate::{Conn, Row, StoreError, now_us, params, token_hash};

/// One registered passkey.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub id: i64,
    pub user_id: UserId,
    /// The authenticator's credential id (raw bytes).
    pub credential_id: Vec<u8>,
    /// The name the user gave it ("事務室のPC", "iPhone").
    pub name: String,
    /// The relying-party id (host name) it was registered for.
    pub rp_id: String,
    /// Serialised credential of the relying-party library (JSON).
    pub passkey: String,
    /// Last accepted signature counter (0 for authenticators without one).
    pub sign_count: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str =
    "id, user_id, credential_id, name, rp_id, passkey, sign_count, created_at, last_used_at";

fn from_row(r: &Row) -> Result<Credential, StoreError> {
    Ok(Credential {
        id: r.i64(0)?,
        user_id: UserId(r.i64(1)?),
        credential_id: r.bytes(2)?,
        name: r.string(3)?,
        rp_id: r.string(4)?,
        passkey: r.string(5)?,
        sign_count: r.i64(6)?,
        created_at: r.i64(7)?,
        last_used_at: r.opt_i64(8)?,
    })
}

/// Registers a credential. A credential id already registered (to this or any other
/// account) is a conflict.
pub fn add_credential(
    conn: &mut Conn,
    user: UserId,
    credential_id: &[u8],
    name: &str,
    rp_id: &str,
    passkey: &str,
    sign_count: i64,
) -> Result<Credential, StoreError> {
    if get_by_credential_id(conn, credential_id)?.is_some() {
        return Err(StoreError::Conflict(
            "this passkey is already registered".into(),
        ));
    }
    let row = conn.query_one(
        "INSERT INTO webauthn_credentials \
         (user_id, credential_id, name, rp_id, passkey, sign_count, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        params![
            user.0,
            credential_id,
            name,
            rp_id,
            passkey,
            sign_count,
            now_us()
        ],
    )?;
    let id = row.i64(0)?;
    get(conn, user, id)?.ok_or_else(|| StoreError::NotFound(format!("passkey {id}")))
}

/// A credential of `user` by its row id (None for another user's credential).
pub fn get(conn: &mut Conn, user: UserId, id: i64) -> Result<Option<Credential>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM webauthn_credentials WHERE id = $1 AND user_id = $2"),
        params![id, user.0],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// A credential by the authenticator's credential id, whoever it belongs to.
pub fn get_by_credential_id(
    conn: &mut Conn,
    credential_id: &[u8],
) -> Result<Option<Credential>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM webauthn_credentials WHERE credential_id = $1"),
        params![credential_id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Every credential of a user, oldest first.
pub fn list_for_user(conn: &mut Conn, user: UserId) -> Result<Vec<Credential>, StoreError> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY id"),
        params![user.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The credentials of a user registered for one relying-party id, oldest first.
pub fn list_for_user_rp(
    conn: &mut Conn,
    user: UserId,
    rp_id: &str,
) -> Result<Vec<Credential>, StoreError> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE user_id = $1 AND rp_id = $2 \
             ORDER BY id"
        ),
        params![user.0, rp_id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Records a successful use: the new signature counter, the updated serialised credential
/// and the time. Returns false (and changes nothing) when the counter does not move
/// forward — a counter of 0 is accepted only while the stored one is 0 too (authenticators
/// without a counter) — or when the credential is not the user's.
pub fn record_use(
    conn: &mut Conn,
    user: UserId,
    credential_id: &[u8],
    sign_count: i64,
    passkey: &str,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE webauthn_credentials SET sign_count = $3, passkey = $4, last_used_at = $5 \
         WHERE user_id = $1 AND credential_id = $2 \
         AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))",
        params![user.0, credential_id, sign_count, passkey, now_us()],
    )?;
    Ok(n == 1)
}

/// Removes a credential of `user`. Returns the removed credential, or None when the user
/// has no credential with this id.
pub fn remove(conn: &mut Conn, user: UserId, id: i64) -> Result<Option<Credential>, StoreError> {
    let Some(c) = get(conn, user, id)? else {
        return Ok(None);
    };
    conn.execute(
        "DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2",
        params![id, user.0],
    )?;
    Ok(Some(c))
}

/// Removes every credential of a user (administrator reset of the second factor).
pub fn delete_for_user(conn: &mut Conn, user: UserId) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM webauthn_credentials WHERE user_id = $1",
        params![user.0],
    )
}

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to a signed-in account.
    Register,
    /// Using a passkey as the second factor.
    Authenticate,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Authenticate => "authenticate",
        }
    }
}

/// Server-side state of one ceremony.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub user_id: UserId,
    pub rp_id: String,
    /// Serialised ceremony state of the relying-party library (JSON).
    pub state: String,
    /// The name chosen for a passkey being registered.
    pub name: Option<String>,
    pub expires_at: i64,
}

/// Stores the state of a new ceremony for this session, replacing any earlier one of the
/// same purpose (only the latest challenge of a session can be answered).
pub fn put_challenge(
    conn: &mut Conn,
    session_id: &str,
    purpose: Purpose,
    challenge: &Challenge,
) -> Result<(), StoreError> {
    let key = token_hash(session_id);
    conn.execute(
        "DELETE FROM webauthn_challenges WHERE session_hash = $1 AND purpose = $2",
        params![key.as_str(), purpose.code()],
    )?;
    conn.execute(
        "INSERT INTO webauthn_challenges \
         (session_hash, purpose, user_id, rp_id, state, name, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            key.as_str(),
            purpose.code(),
            challenge.user_id.0,
            challenge.rp_id.as_str(),
            challenge.state.as_str(),
            challenge.name.as_deref(),
            challenge.expires_at
        ],
    )?;
    Ok(())
}

/// Takes (removes) the ceremony state of this session. Single use: a second call finds
/// nothing. An expired challenge is removed too but not returned.
pub fn take_challenge(
    conn: &mut Conn,
    session_id: &str,
    purpose: Purpose,
) -> Result<Option<Challenge>, StoreError> {
    let row = conn.query_opt(
        "DELETE FROM webauthn_challenges WHERE session_hash = $1 AND purpose = $2 \
         RETURNING user_id, rp_id, state, name, expires_at",
        params![token_hash(session_id), purpose.code()],
    )?;
    let Some(r) = row else { return Ok(None) };
    let c = Challenge {
        user_id: UserId(r.i64(0)?),
        rp_id: r.string(1)?,
        state: r.string(2)?,
        name: r.opt_string(3)?,
        expires_at: r.i64(4)?,
    };
    Ok((c.expires_at > now_us()).then_some(c))
}

/// Removes the challenges that expired before `now` (housekeeping).
pub fn purge_expired_challenges(conn: &mut Conn, now: i64) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM webauthn_challenges WHERE expires_at <= $1",
        params![now],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sessions, testing, users};

    fn user(c: &mut Conn, email: &str) -> UserId {
        users::create(c, email, "利用者", "$argon2id$dummy")
            .expect("user")
            .id
    }

    #[test]
    fn credentials_are_per_user_unique_and_counters_only_move_forward() {
        for db in testing::all() {
            let b = db.backend;
            db.store
                .write(|c| -> Result<(), StoreError> {
                    let (u1, u2) = (user(c, "a@example.jp"), user(c, "b@example.jp"));
                    let k = add_credential(c, u1, b"cred-1", "事務室のPC", "localhost", "{}", 0)?;
                    assert_eq!(k.name, "事務室のPC", "[{b}]");
                    assert_eq!(k.last_used_at, None, "[{b}]");
                    // The same authenticator credential cannot be registered twice.
                    let dup = add_credential(c, u2, b"cred-1", "x", "localhost", "{}", 0);
                    assert!(matches!(dup, Err(StoreError::Conflict(_))), "[{b}]");
                    add_credential(c, u1, b"cred-2", "iPhone", "anzen.example", "{}", 5)?;
                    assert_eq!(list_for_user(c, u1)?.len(), 2, "[{b}]");
                    assert_eq!(list_for_user_rp(c, u1, "localhost")?.len(), 1, "[{b}]");
                    assert!(list_for_user(c, u2)?.is_empty(), "[{b}]");
                    // Another user's credential is invisible and cannot be used or removed.
                    assert_eq!(get(c, u2, k.id)?, None, "[{b}]");
                    assert!(!record_use(c, u2, b"cred-1", 1, "{}")?, "[{b}]");
                    assert_eq!(remove(c, u2, k.id)?, None, "[{b}]");

                    // Counter 0 stays acceptable while it is 0.
                    assert!(record_use(c, u1, b"cred-1", 0, "{\"v\":1}")?, "[{b}]");
                    assert!(record_use(c, u1, b"cred-1", 3, "{\"v\":2}")?, "[{b}]");
                    assert!(!record_use(c, u1, b"cred-1", 3, "{}")?, "[{b}] replay");
                    assert!(!record_use(c, u1, b"cred-1", 2, "{}")?, "[{b}] backwards");
                    assert!(!record_use(c, u1, b"cred-1", 0, "{}")?, "[{b}] reset to 0");
                    let k = get(c, u1, k.id)?.expect("still there");
                    assert_eq!((k.sign_count, k.passkey.as_str()), (3, "{\"v\":2}"));
                    assert!(k.last_used_at.is_some(), "[{b}]");
                    assert_eq!(
                        get_by_credential_id(c, b"cred-1")?.map(|x| x.user_id),
                        Some(u1)
                    );

                    assert_eq!(
                        remove(c, u1, k.id)?.map(|x| x.name),
                        Some("事務室のPC".into())
                    );
                    assert_eq!(list_for_user(c, u1)?.len(), 1, "[{b}]");
                    assert_eq!(delete_for_user(c, u1)?, 1, "[{b}]");
                    assert!(list_for_user(c, u1)?.is_empty(), "[{b}]");
                    Ok(())
                })
                .expect("store");
        }
    }

    #[test]
    fn challenges_are_single_use_per_session_and_expire() {
        for db in testing::all() {
            let b = db.backend;
            db.store
                .write(|c| -> Result<(), StoreError> {
                    let u = user(c, "a@example.jp");
                    let (s1, s2) = (sessions::create(c, u, None)?, sessions::create(c, u, None)?);
                    let ch = |state: &str, expires_at| Challenge {
                        user_id: u,
                        rp_id: "localhost".into(),
                        state: state.into(),
                        name: Some("鍵".into()),
                        expires_at,
                    };
                    let later = now_us() + 60_000_000;
                    put_challenge(c, &s1, Purpose::Register, &ch("old", later))?;
                    put_challenge(c, &s1, Purpose::Register, &ch("new", later))?;
                    put_challenge(c, &s1, Purpose::Authenticate, &ch("auth", later))?;
                    // Another session sees nothing; a purpose sees only its own.
                    assert_eq!(take_challenge(c, &s2, Purpose::Register)?, None, "[{b}]");
                    let got = take_challenge(c, &s1, Purpose::Register)?.expect("challenge");
                    assert_eq!(
                        (got.state.as_str(), got.name.as_deref()),
                        ("new", Some("鍵"))
                    );
                    assert_eq!(
                        take_challenge(c, &s1, Purpose::Register)?,
                        None,
                        "[{b}] once"
                    );
                    assert!(take_challenge(c, &s1, Purpose::Authenticate)?.is_some());

                    // Expired: removed, not returned.
                    put_challenge(c, &s2, Purpose::Authenticate, &ch("gone", now_us() - 1))?;
                    assert_eq!(take_challenge(c, &s2, Purpose::Authenticate)?, None);
                    put_challenge(c, &s2, Purpose::Authenticate, &ch("gone", now_us() - 1))?;
                    assert_eq!(purge_expired_challenges(c, now_us())?, 1, "[{b}]");

                    // Ending the session ends its ceremonies.
                    put_challenge(c, &s2, Purpose::Register, &ch("x", later))?;
                    sessions::delete(c, &s2)?;
                    assert_eq!(take_challenge(c, &s2, Purpose::Register)?, None, "[{b}]");
                    Ok(())
                })
                .expect("store");
        }
    }
}
