//! The アカウント一覧 and 職員名簿 template rows (`anzen-ingest`, also produced by
//! `anzen-directory`) as the stored snapshot records. Shared by the pages and the CLI.

use anzen_ingest::{AccountRow, AccountStatus, StaffRow};
use anzen_store::accounts::{AccountRecord, StaffRecord};

/// An account row as stored (blank 状態 = 有効).
pub fn account_record(r: &AccountRow) -> AccountRecord {
    AccountRecord {
        account_id: r.account_id.clone(),
        name: r.name.clone(),
        staff_id: r.staff_id.clone(),
        role: r.role.clone(),
        enabled: r.status.is_none_or(|s| s == AccountStatus::Enabled),
        last_login: r.last_login.map(|d| d.to_string()),
        mfa: r.mfa,
        password_changed: r.password_changed.map(|d| d.to_string()),
    }
}

/// A roster row as stored.
pub fn staff_record(r: &StaffRow) -> StaffRecord {
    StaffRecord {
        staff_id: r.staff_id.clone(),
        name: r.name.clone(),
        job: r.job.clone(),
        department: r.department.clone(),
        hired: r.hired.map(|d| d.to_string()),
        retired: r.retired.map(|d| d.to_string()),
    }
}
