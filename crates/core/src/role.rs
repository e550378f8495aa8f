//! Roles of anzen users within one organisation, and what each may do.
//!
//! The permission table lives here, as one pure function, so that the web layer only asks
//! `role.can(action)` and a test can print the whole matrix.

use serde::{Deserialize, Serialize};

/// 役割 — a user's role in one organisation. A user may hold different roles in different
/// organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理者 — manages users, settings and everything else.
    Admin,
    /// 医療情報システム安全管理責任者 — owns the checklist; edits everything but users/settings.
    SecurityOfficer,
    /// 担当者 — edits records.
    Staff,
    /// 監査者 — read-only, exports and verification.
    Auditor,
    /// 事業者 — a vendor user; sees only what the facility shared with that vendor.
    Vendor,
}

/// Something a signed-in user tries to do inside an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the dashboard (a vendor sees its limited view).
    ViewOrg,
    /// Read records (ledgers, checklist, findings).
    ReadRecords,
    /// Create or change records.
    EditRecords,
    /// Download exports.
    Export,
    /// Read the audit trail and verification results.
    ReadAudit,
    /// Edit the facility profile and the people responsible.
    EditOrgProfile,
    /// Add, remove and reset users; change roles.
    ManageUsers,
    /// Create personal access tokens for the API.
    UseApi,
    /// See what the facility shared with this vendor.
    ViewShared,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::SecurityOfficer,
        Role::Staff,
        Role::Auditor,
        Role::Vendor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityOfficer => "security_officer",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::Vendor => "vendor",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::SecurityOfficer => "安全管理責任者",
            Role::Staff => "担当者",
            Role::Auditor => "監査者",
            Role::Vendor => "事業者",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::SecurityOfficer => "Security officer",
            Role::Staff => "Staff",
            Role::Auditor => "Auditor",
            Role::Vendor => "Vendor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s || r.label_ja() == s)
    }

    /// The permission table. Vendors see only what is shared with them; auditors never write.
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::SecurityOfficer => !matches!(action, ManageUsers),
            Role::Staff => matches!(
                action,
                ViewOrg | ReadRecords | EditRecords | Export | ViewShared | UseApi
            ),
            Role::Auditor => matches!(
                action,
                ViewOrg | ReadRecords | Export | ReadAudit | ViewShared | UseApi
            ),
            Role::Vendor => matches!(action, ViewOrg | ViewShared),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditor_never_writes_and_vendor_sees_only_shared() {
        for a in [
            Action::EditRecords,
            Action::EditOrgProfile,
            Action::ManageUsers,
        ] {
            assert!(!Role::Auditor.can(a), "{a:?}");
            assert!(!Role::Vendor.can(a), "{a:?}");
        }
        assert!(Role::Vendor.can(Action::ViewShared));
        assert!(!Role::Vendor.can(Action::ReadRecords));
        assert!(Role::Auditor.can(Action::ReadAudit));
        assert!(!Role::Staff.can(Action::ReadAudit));
        assert!(!Role::SecurityOfficer.can(Action::ManageUsers));
        assert!(Role::Admin.can(Action::ManageUsers));
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.label_ja()), Some(r));
        }
    }
}
