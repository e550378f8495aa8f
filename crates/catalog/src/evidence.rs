//! Auto-evidence: suggesting an answer to an item from records.
//!
//! Each item may declare an `auto_evidence` key in the data (e.g. `officer_designated` for
//! 1-(1)). An [`EvidenceRule`] is registered for a key in an [`EvidenceRegistry`]; the
//! checklist code only ever calls [`EvidenceRegistry::evaluate`]. The modules that own the
//! records (asset ledger, accounts, logs, contacts) implement [`EvidenceRule`] in their own
//! crates and register it — no change to this crate is needed.
//!
//! A rule carries whatever it reads from its own module (built by the caller for one
//! evaluation, e.g. a ledger summary); [`Facts`] holds only what every rule may need.
//! Everything here is pure: no I/O, no clock.

use std::collections::BTreeMap;

use crate::model::Item;

/// `officer_designated` — 1-(1): a 医療情報システム安全管理責任者 is designated.
pub const OFFICER_DESIGNATED: &str = "officer_designated";
/// `asset_ledger_complete` — 2-(1): the asset ledger is non-empty, complete and reviewed
/// within 12 months.
pub const ASSET_LEDGER_COMPLETE: &str = "asset_ledger_complete";
/// `no_account_findings` — 2-(5): no open retired/unused-account findings.
pub const NO_ACCOUNT_FINDINGS: &str = "no_account_findings";
/// `access_logs_ingested` — 2-(6): access logs are stored for the last complete month and
/// its monthly 監査 report is signed off by the 安全管理責任者.
pub const ACCESS_LOGS_INGESTED: &str = "access_logs_ingested";
/// `contact_chart_complete` — 3-(1): the contact chart has the required internal and
/// external contacts.
pub const CONTACT_CHART_COMPLETE: &str = "contact_chart_complete";
/// `backup_recovery_verified` — 3-(2): backups in several generations and methods, part of
/// them offline, recent, with restore procedures and a restore drill within 12 months.
pub const BACKUP_RECOVERY_VERIFIED: &str = "backup_recovery_verified";
/// `cyber_bcp_established` — 3-(3): an approved cyber BCP, complete and within its review.
pub const CYBER_BCP_ESTABLISHED: &str = "cyber_bcp_established";

/// `remote_maintenance_known` — 2-(2): every device in the ledger says whether it is
/// maintained remotely, and each that is names its maintainer.
pub const REMOTE_MAINTENANCE_KNOWN: &str = "remote_maintenance_known";
/// `no_vulnerability_findings` — 2-(7): vulnerability data is loaded and no known
/// vulnerability or end of support is open for the ledger's devices.
pub const NO_VULNERABILITY_FINDINGS: &str = "no_vulnerability_findings";
/// `source_restricted` — 2-(8): every device connected to outside networks restricts its
/// sources.
pub const SOURCE_RESTRICTED: &str = "source_restricted";
/// `services_minimized` — 2-(9): unneeded services are stopped on the ledger's devices.
pub const SERVICES_MINIMIZED: &str = "services_minimized";

/// `mds_sds_received` — 2-(3): every vendor that provides a system or service handed over its
/// disclosures (MDS/SDS, 事業者確認用, and for data-storing services サービス仕様適合開示書
/// and SLA), with valid certifications and known data locations.
pub const MDS_SDS_RECEIVED: &str = "mds_sds_received";

/// `operations_rules_established` — 1-(2) (FY2025): an approved 運用管理規程 within its yearly
/// review and a training session held in the 年度.
pub const OPERATIONS_RULES_ESTABLISHED: &str = "operations_rules_established";

/// Every key the builtin data may use.
pub const KNOWN_KEYS: [&str; 13] = [
    OFFICER_DESIGNATED,
    ASSET_LEDGER_COMPLETE,
    NO_ACCOUNT_FINDINGS,
    ACCESS_LOGS_INGESTED,
    CONTACT_CHART_COMPLETE,
    BACKUP_RECOVERY_VERIFIED,
    CYBER_BCP_ESTABLISHED,
    REMOTE_MAINTENANCE_KNOWN,
    NO_VULNERABILITY_FINDINGS,
    SOURCE_RESTRICTED,
    SERVICES_MINIMIZED,
    MDS_SDS_RECEIVED,
    OPERATIONS_RULES_ESTABLISHED,
];

/// The reason given when no rule is registered for an item's key.
pub const NOT_YET_PROVIDED_JA: &str =
    "この項目の自動判定はまだ提供されていません（手入力してください）";

/// The suggested answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suggestion {
    /// はい
    Yes,
    /// いいえ
    No,
    /// The records do not decide it.
    Unknown,
}

impl Suggestion {
    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Suggestion::Yes => "はい",
            Suggestion::No => "いいえ",
            Suggestion::Unknown => "判定できません",
        }
    }
}

/// A suggestion with its reasons, shown beside the user's own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoAnswer {
    /// Suggested answer.
    pub suggestion: Suggestion,
    /// Why, in Japanese, one sentence each.
    pub reasons_ja: Vec<String>,
}

impl AutoAnswer {
    /// An [`Suggestion::Unknown`] answer with one reason.
    pub fn unknown(reason: impl Into<String>) -> AutoAnswer {
        AutoAnswer {
            suggestion: Suggestion::Unknown,
            reasons_ja: vec![reason.into()],
        }
    }
}

/// Organisation-level facts (from the organisation's settings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFacts {
    /// Name of the designated 医療情報システム安全管理責任者, if any.
    pub security_officer_name: Option<String>,
}

/// Facts every rule may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The organisation.
    pub org: OrgFacts,
    /// The 年度 being assessed, if known.
    pub fiscal_year: Option<i32>,
}

/// A rule that suggests an answer for the items carrying its key.
pub trait EvidenceRule: Send + Sync {
    /// The `auto_evidence` key this rule answers.
    fn key(&self) -> &str;
    /// Suggests an answer for `item` (the rule may look at the item's target, e.g. server
    /// vs 端末PC).
    fn evaluate(&self, item: &Item, facts: &Facts) -> AutoAnswer;
}

/// Rules by key.
#[derive(Default)]
pub struct EvidenceRegistry {
    rules: BTreeMap<String, Box<dyn EvidenceRule>>,
}

impl std::fmt::Debug for EvidenceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceRegistry")
            .field("keys", &self.rules.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl EvidenceRegistry {
    /// A registry without rules.
    pub fn new() -> EvidenceRegistry {
        EvidenceRegistry::default()
    }

    /// A registry with the rules this crate provides ([`OfficerDesignated`]).
    pub fn with_builtin_rules() -> EvidenceRegistry {
        let mut r = EvidenceRegistry::new();
        r.register(OfficerDesignated);
        r
    }

    /// Registers `rule` for its key, replacing any rule with the same key.
    pub fn register(&mut self, rule: impl EvidenceRule + 'static) {
        self.rules.insert(rule.key().to_string(), Box::new(rule));
    }

    /// Whether a rule is registered for `key`.
    pub fn has_rule(&self, key: &str) -> bool {
        self.rules.contains_key(key)
    }

    /// The suggestion for `item`: `None` when the item declares no auto-evidence (answered by
    /// hand only); [`Suggestion::Unknown`] with [`NOT_YET_PROVIDED_JA`] when it declares a key
    /// no rule is registered for.
    pub fn evaluate(&self, item: &Item, facts: &Facts) -> Option<AutoAnswer> {
        let key = item.auto_evidence.as_deref()?;
        Some(match self.rules.get(key) {
            Some(rule) => rule.evaluate(item, facts),
            None => AutoAnswer::unknown(NOT_YET_PROVIDED_JA),
        })
    }
}

/// 1-(1) 医療情報システム安全管理責任者を設置している ← the organisation has designated one.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfficerDesignated;

impl EvidenceRule for OfficerDesignated {
    fn key(&self) -> &str {
        OFFICER_DESIGNATED
    }

    fn evaluate(&self, _item: &Item, facts: &Facts) -> AutoAnswer {
        match facts
            .org
            .security_officer_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: vec![format!(
                    "組織設定で医療情報システム安全管理責任者に「{name}」が登録されています。"
                )],
            },
            None => AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec![
                    "組織設定に医療情報システム安全管理責任者が登録されていません。".to_string(),
                    "責任者を設置している場合は、組織設定で氏名を登録してください。".to_string(),
                ],
            },
        }
    }
}
