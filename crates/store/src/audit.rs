//! 監査証跡 — the audit trail: every sign-in, failed sign-in, change (with before and after),
//! export and setting change, appended to the organisation's ledger in the same transaction
//! as the change itself, so a change without its audit entry can never be committed.

use serde::Serialize;

use crate::ledger::{self, NewEntry};
use crate::orgs::Org;
use crate::{Conn, StoreError, now_us};

/// Who did it: an e-mail for users, `system` or `cli:<user>` for the machine.
pub type Actor<'a> = &'a str;

/// Appends one audit event. `kind` is a dotted name such as `auth.login`, `org.update`,
/// `user.create`, `export.assets`; `payload` is any serialisable detail (before/after).
pub fn record<P: Serialize>(
    conn: &mut Conn,
    org: &Org,
    actor: Actor<'_>,
    kind: &str,
    payload: &P,
) -> Result<u64, StoreError> {
    let payload = serde_json::to_vec(payload).map_err(|e| StoreError::Decode(e.to_string()))?;
    let range = ledger::append(
        conn,
        org,
        &[NewEntry {
            time_us: now_us(),
            author: actor.to_owned(),
            kind: kind.to_owned(),
            payload,
        }],
    )?;
    Ok(range.start)
}

/// A change record: what it was and what it became.
#[derive(Debug, Serialize)]
pub struct Change<'a, T: Serialize> {
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
}
