//! 指摘 — the findings the vulnerability and end-of-support rules produce.

use std::fmt;

use jiff::civil::Date;

use crate::feeds::{CvssSummary, KevEntry};

/// 優先度 — how urgently a finding must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// 最優先: exploitation is known (the CVE is in CISA KEV).
    Critical,
    /// 高: CVSS CRITICAL or HIGH; an OS/firmware past its end of support.
    High,
    /// 中: CVSS MEDIUM, or support ends soon.
    Medium,
    /// 低: CVSS LOW / NONE.
    Low,
    /// 情報: no score available.
    Info,
}

impl Priority {
    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Priority::Critical => "最優先",
            Priority::High => "高",
            Priority::Medium => "中",
            Priority::Low => "低",
            Priority::Info => "情報",
        }
    }

    /// The `severity` value of `anzen check --format json`.
    pub fn severity(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
            Priority::Info => "info",
        }
    }

    /// Priority from a CVSS severity word (`CRITICAL`, `HIGH` …).
    pub fn from_cvss_severity(severity: &str) -> Priority {
        match severity.to_ascii_uppercase().as_str() {
            "CRITICAL" | "HIGH" => Priority::High,
            "MEDIUM" => Priority::Medium,
            "LOW" | "NONE" => Priority::Low,
            _ => Priority::Info,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// 脆弱性: the asset matches a CVE's configuration.
    Vulnerability,
    /// 脆弱性（要確認）: the asset may match; the data does not decide.
    VulnerabilityNeedsReview,
    /// サポート終了: past the end-of-support date.
    EndOfSupport,
    /// サポート終了間近: the end-of-support date is near.
    EndOfSupportNear,
    /// サポート期限（要確認）: the OS/firmware could not be identified.
    EndOfSupportNeedsReview,
}

impl FindingKind {
    /// Stable rule id (the `rule` field of `anzen check`).
    pub fn rule_id(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vuln.cve",
            FindingKind::VulnerabilityNeedsReview => "vuln.cve_review",
            FindingKind::EndOfSupport => "eos.past",
            FindingKind::EndOfSupportNear => "eos.near",
            FindingKind::EndOfSupportNeedsReview => "eos.unknown",
        }
    }

    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "脆弱性",
            FindingKind::VulnerabilityNeedsReview => "脆弱性（要確認）",
            FindingKind::EndOfSupport => "サポート終了",
            FindingKind::EndOfSupportNear => "サポート終了間近",
            FindingKind::EndOfSupportNeedsReview => "サポート期限（要確認）",
        }
    }
}

/// The CVE behind a finding.
#[derive(Debug, Clone, PartialEq)]
pub struct CveRef {
    /// `CVE-2018-13379`.
    pub id: String,
    /// Best CVSS score of the NVD record.
    pub cvss: Option<CvssSummary>,
    /// English description (NVD).
    pub description_en: Option<String>,
}

/// The KEV entry behind a 最優先 finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevRef {
    /// Date added to KEV.
    pub date_added: Date,
    /// KEV due date (BOD 22-01 deadline for US agencies; shown as the reference deadline).
    pub due_date: Date,
    /// Required action (English, as published).
    pub required_action: String,
    /// Vulnerability name.
    pub vulnerability_name: String,
    /// `Known` when used in ransomware campaigns.
    pub known_ransomware_campaign_use: Option<String>,
}

impl From<&KevEntry> for KevRef {
    fn from(e: &KevEntry) -> KevRef {
        KevRef {
            date_added: e.date_added,
            due_date: e.due_date,
            required_action: e.required_action.clone(),
            vulnerability_name: e.vulnerability_name.clone(),
            known_ransomware_campaign_use: e.known_ransomware_campaign_use.clone(),
        }
    }
}

/// The end-of-support entry behind a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EosRef {
    /// Entry id in `end_of_support.toml`.
    pub entry_id: String,
    /// Product name.
    pub name: String,
    /// End-of-support date.
    pub end: Date,
    /// Where the date comes from.
    pub source: String,
    /// Extra note (ESU etc.).
    pub note: Option<String>,
}

/// 指摘 — one finding about one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Kind.
    pub kind: FindingKind,
    /// Priority.
    pub priority: Priority,
    /// Short Japanese title.
    pub title_ja: String,
    /// Why: the matched rule and range, or what needs review (Japanese).
    pub reasons_ja: Vec<String>,
    /// The CVE, for vulnerability findings.
    pub cve: Option<CveRef>,
    /// The KEV entry, when the CVE is in KEV.
    pub kev: Option<KevRef>,
    /// The end-of-support entry, for EOS findings.
    pub eos: Option<EosRef>,
}
