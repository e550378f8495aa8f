//! Rules over the facility's vendors (医療情報システム等提供事業者): the disclosures it must
//! collect (MDS/SDS, サービス仕様適合開示書, SLA, 事業者確認用), third-party certifications,
//! where each service keeps the data (国内法の執行が及ぶ場所), remote maintenance, and the
//! responsibility split (責任分界) per system — plus the 2-(2) / 2-(3) auto-evidence.
//!
//! # Why
//!
//! The 半田病院 report (seed 004) found that every party believed another owned the VPN
//! appliance, its patches and its vulnerability information: 「C社は…インフラ担当がA社である
//! ことを理由に…VPN装置の設定仕様書…を把握していない」「A社は…全体統括はC社であり」. The
//! guideline asks the facility to supervise its vendors, collect their disclosures, check
//! their certifications and that the data sits where Japanese law can be enforced (seed 000:
//! 8.1.2 C.2(8); 2省GL 「国内法の執行が及ぶ場所に設置する」, seed 004 §2-3).
//!
//! # Rules
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`DOC_MISSING`] | a vendor that provides something has no MDS/SDS or 事業者確認用; a vendor with a data-storing service has no サービス仕様適合開示書 or SLA | medium | 2-(3) |
//! | [`DOC_STALE`] | the latest such document was received more than `doc_max_age_days` ago | low | 2-(3) |
//! | [`CERT_EXPIRED`] | a certification's expiry date has passed | medium | 2-(3) |
//! | [`CERT_EXPIRING`] | it expires within `cert_warn_days` | low | 2-(3) |
//! | [`DATA_LOCATION_UNKNOWN`] | a data-storing service has no country or no answer to 国内法の執行が及ぶか | medium | 2-(3) |
//! | [`DATA_LOCATION_OUTSIDE`] | the answer is "not within reach of Japanese law" | high | 2-(3) |
//! | [`REMOTE_INCOMPLETE`] | a remote-maintenance entry lacks the method, the persons allowed to connect, or kept logs | medium (high when logs are not kept) | 2-(2) |
//! | [`DUTY_UNASSIGNED`] | a system in scope has duties nobody is responsible for | medium (high for patching, vulnerability information, remote maintenance) | 2-(2) / 2-(3) |
//! | [`DUTY_AMBIGUOUS`] | a duty has two or more responsible parties, or a vendor is named but has not accepted | high | 2-(2) / 2-(3) |
//!
//! The numbers (365 days, 90 days) are the product's defaults ([`Options`]), not numbers
//! from the guideline.

use std::borrow::Cow;
use std::collections::BTreeSet;

use anzen_catalog::Item;
use anzen_catalog::evidence::{AutoAnswer, EvidenceRule, Facts, Suggestion};
use jiff::civil::Date;
use serde_json::json;

use super::gl2::Verdict;
use crate::finding::{NewFinding, Severity};

/// Rule ids this module produces start with this (for reconciling).
pub const RULE_PREFIXES: [&str; 1] = ["vendor."];

pub const DOC_MISSING: &str = "vendor.document_missing";
pub const DOC_STALE: &str = "vendor.document_stale";
pub const CERT_EXPIRED: &str = "vendor.certification_expired";
pub const CERT_EXPIRING: &str = "vendor.certification_expiring";
pub const DATA_LOCATION_UNKNOWN: &str = "vendor.data_location_unknown";
pub const DATA_LOCATION_OUTSIDE: &str = "vendor.data_location_outside";
pub const REMOTE_INCOMPLETE: &str = "vendor.remote_maintenance_incomplete";
pub const DUTY_UNASSIGNED: &str = "vendor.duty_unassigned";
pub const DUTY_AMBIGUOUS: &str = "vendor.duty_ambiguous";

/// 2-(2) リモートメンテナンス（保守）を利用している機器の有無を事業者等に確認した。
pub const ITEM_REMOTE: &str = "2-(2)";
/// 2-(3) 事業者から…医療情報セキュリティ開示書（MDS/SDS）を提出してもらう。
pub const ITEM_DISCLOSURE: &str = "2-(3)";

/// Thresholds of the rules (product defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// A document older than this many days is stale (default 365: collected yearly, like
    /// the checklist itself).
    pub doc_max_age_days: i64,
    /// A certification expiring within this many days is flagged (default 90).
    pub cert_warn_days: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            doc_max_age_days: 365,
            cert_warn_days: 90,
        }
    }
}

/// A document received from a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// 製造業者／サービス事業者による医療情報セキュリティ開示書 (MDS/SDS, JAHIS/JIRA form)
    MdsSds,
    /// サービス仕様適合開示書 (2省GL)
    ServiceSpec,
    /// SLA (サービスレベル合意書)
    Sla,
    /// 事業者確認用 — the vendor's answers to the checklist
    VendorChecklist,
    /// その他
    Other,
}

impl DocKind {
    pub const ALL: [DocKind; 5] = [
        DocKind::MdsSds,
        DocKind::ServiceSpec,
        DocKind::Sla,
        DocKind::VendorChecklist,
        DocKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::MdsSds => "mds_sds",
            DocKind::ServiceSpec => "service_spec",
            DocKind::Sla => "sla",
            DocKind::VendorChecklist => "vendor_checklist",
            DocKind::Other => "other",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            DocKind::MdsSds => "MDS/SDS（医療情報セキュリティ開示書）",
            DocKind::ServiceSpec => "サービス仕様適合開示書",
            DocKind::Sla => "SLA（サービスレベル合意書）",
            DocKind::VendorChecklist => "チェックリスト（事業者確認用）",
            DocKind::Other => "その他",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        let s = s.trim();
        DocKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_ja() == s)
    }
}

/// 第三者認証 — a third-party certification or attestation (seed 004 表).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertKind {
    /// ISMS（ISO/IEC 27001）
    Isms,
    /// ISO/IEC 27017 (cloud)
    Iso27017,
    /// プライバシーマーク
    PrivacyMark,
    /// SOC 2
    Soc2,
    /// SOC 3
    Soc3,
    /// CSマーク (クラウド情報セキュリティ監査制度)
    CsMark,
    /// 医療情報ASP・SaaS情報開示認定 (ASPIC)
    Aspic,
    /// HISPRO 適合証明
    Hispro,
    /// その他
    Other,
}

impl CertKind {
    pub const ALL: [CertKind; 9] = [
        CertKind::Isms,
        CertKind::Iso27017,
        CertKind::PrivacyMark,
        CertKind::Soc2,
        CertKind::Soc3,
        CertKind::CsMark,
        CertKind::Aspic,
        CertKind::Hispro,
        CertKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CertKind::Isms => "isms",
            CertKind::Iso27017 => "iso27017",
            CertKind::PrivacyMark => "pmark",
            CertKind::Soc2 => "soc2",
            CertKind::Soc3 => "soc3",
            CertKind::CsMark => "csmark",
            CertKind::Aspic => "aspic",
            CertKind::Hispro => "hispro",
            CertKind::Other => "other",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            CertKind::Isms => "ISMS（ISO/IEC 27001）",
            CertKind::Iso27017 => "ISO/IEC 27017",
            CertKind::PrivacyMark => "プライバシーマーク",
            CertKind::Soc2 => "SOC 2",
            CertKind::Soc3 => "SOC 3",
            CertKind::CsMark => "CSマーク",
            CertKind::Aspic => "医療情報ASP・SaaS情報開示認定（ASPIC）",
            CertKind::Hispro => "HISPRO 適合証明",
            CertKind::Other => "その他",
        }
    }

    pub fn parse(s: &str) -> Option<CertKind> {
        let s = s.trim();
        CertKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_ja() == s)
    }
}

/// 責任分界の項目 — a duty around a system that someone must own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Duty {
    /// パッチ適用
    Patching,
    /// 脆弱性情報の収集
    VulnInfo,
    /// 監視
    Monitoring,
    /// バックアップ
    Backup,
    /// インシデント初動対応
    IncidentResponse,
    /// 所管官庁等への報告
    AuthorityReporting,
    /// リモートメンテナンスの安全管理
    RemoteMaintenance,
    /// アカウント管理
    AccountManagement,
}

impl Duty {
    pub const ALL: [Duty; 8] = [
        Duty::Patching,
        Duty::VulnInfo,
        Duty::Monitoring,
        Duty::Backup,
        Duty::IncidentResponse,
        Duty::AuthorityReporting,
        Duty::RemoteMaintenance,
        Duty::AccountManagement,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Duty::Patching => "patching",
            Duty::VulnInfo => "vuln_info",
            Duty::Monitoring => "monitoring",
            Duty::Backup => "backup",
            Duty::IncidentResponse => "incident_response",
            Duty::AuthorityReporting => "authority_reporting",
            Duty::RemoteMaintenance => "remote_maintenance",
            Duty::AccountManagement => "account_management",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Duty::Patching => "パッチ適用",
            Duty::VulnInfo => "脆弱性情報の収集・連絡",
            Duty::Monitoring => "稼働・セキュリティ監視",
            Duty::Backup => "バックアップ",
            Duty::IncidentResponse => "インシデント初動対応",
            Duty::AuthorityReporting => "所管官庁等への報告",
            Duty::RemoteMaintenance => "リモートメンテナンスの安全管理",
            Duty::AccountManagement => "アカウント管理",
        }
    }

    pub fn parse(s: &str) -> Option<Duty> {
        let s = s.trim();
        Duty::ALL
            .into_iter()
            .find(|d| d.code() == s || d.label_ja() == s)
    }

    /// The duties whose gap let the 半田病院 attack in: a gap here is 高.
    pub fn critical(self) -> bool {
        matches!(
            self,
            Duty::Patching | Duty::VulnInfo | Duty::RemoteMaintenance
        )
    }

    /// The checklist item a finding about this duty concerns.
    pub fn item(self) -> &'static str {
        match self {
            Duty::RemoteMaintenance => ITEM_REMOTE,
            _ => ITEM_DISCLOSURE,
        }
    }
}

/// A document as the rules see it (the latest of its kind per vendor decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocKind,
    /// 受領日.
    pub received_on: Date,
    /// Form version (e.g. MDS/SDS Ver.5.0).
    pub form_version: Option<String>,
}

/// A certification as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub kind: CertKind,
    /// Shown name (the kind's label, or the name of an "other" certification).
    pub name: String,
    /// 有効期限; None when it does not expire or is not known.
    pub expires_on: Option<Date>,
}

/// A service the vendor provides (cloud, external storage, ASP…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// Whether the service keeps the facility's data (医療情報) on the vendor's side.
    pub stores_data: bool,
    /// 保存場所の国.
    pub country: Option<String>,
    /// 保存先の事業者 (e.g. the cloud the vendor runs on).
    pub provider: Option<String>,
    /// 国内法の執行が及ぶ場所か: None = not known.
    pub within_japan_law: Option<bool>,
}

/// 保守 by remote access: to what, how, who may connect, whether logs are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAccess {
    /// The system or device maintained.
    pub target: String,
    /// 接続方法 (VPN 装置, リモートデスクトップ, 専用線…).
    pub method: Option<String>,
    /// 接続を許可された者.
    pub allowed_persons: Option<String>,
    /// 保守作業のログを取得・保存しているか.
    pub logs_kept: Option<bool>,
}

/// One vendor of the facility, with what the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub name: String,
    /// A vendor no longer under contract is not checked.
    pub active: bool,
    /// Systems, assets and services it provides or maintains (documents are required only
    /// from a vendor that provides something).
    pub provides: usize,
    pub documents: Vec<Document>,
    pub certifications: Vec<Certification>,
    pub services: Vec<Service>,
    pub remote: Vec<RemoteAccess>,
    /// The latest 2省GL 該当性チェック ([`super::gl2`]); None = never assessed.
    pub gl2: Option<Verdict>,
}

/// Who owns a duty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// 医療機関（自施設）
    Facility,
    /// A vendor, by name.
    Vendor(String),
}

impl Party {
    pub fn label_ja(&self) -> Cow<'_, str> {
        match self {
            Party::Facility => Cow::Borrowed("自施設"),
            Party::Vendor(n) => Cow::Borrowed(n.trim()),
        }
    }
}

/// A party recorded as responsible for a duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responsible {
    pub party: Party,
    /// For a vendor: it accepted the duty (signed annex, or through its own view).
    pub accepted: bool,
}

/// The responsibility matrix of one system (責任分界表).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemMatrix {
    pub system: String,
    /// Responsible parties per duty; a duty missing here has nobody.
    pub duties: Vec<(Duty, Vec<Responsible>)>,
}

impl SystemMatrix {
    /// The parties responsible for `duty`.
    pub fn responsible(&self, duty: Duty) -> &[Responsible] {
        self.duties
            .iter()
            .find(|(d, _)| *d == duty)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    }
}

fn esc(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    if s.contains(['/', '%']) {
        Cow::Owned(s.replace('%', "%25").replace('/', "%2F"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The finding subject of a vendor: `vendor:{name}` (`/` and `%` escaped).
pub fn vendor_subject(name: &str) -> String {
    format!("vendor:{}", esc(name))
}

/// The finding subject of a system's responsibility matrix: `responsibility:{system}`.
pub fn matrix_subject(system: &str) -> String {
    format!("responsibility:{}", esc(system))
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|v| v.trim().is_empty())
}

struct Make<'a> {
    rule: &'static str,
    subject: String,
    detail: Option<&'a str>,
    severity: Severity,
    item: &'static str,
    title: String,
    message: String,
    evidence: serde_json::Value,
}

impl Make<'_> {
    fn build(self) -> NewFinding {
        let key = match self.detail {
            Some(d) => format!("{}/{}/{}", self.rule, self.subject, esc(d)),
            None => format!("{}/{}", self.rule, self.subject),
        };
        NewFinding {
            key,
            rule: self.rule.to_owned(),
            subject: self.subject,
            severity: self.severity,
            title: self.title,
            message: self.message,
            checklist: vec![self.item.to_owned()],
            evidence: self.evidence,
            due_hint: None,
        }
    }
}

/// Which documents are required from `v`: MDS/SDS and 事業者確認用 from a vendor that
/// provides anything; the SLA when one of its services keeps data; the サービス仕様適合開示書
/// according to the 2省GL 該当性チェック ([`service_spec_expected`]).
pub fn required_documents(v: &Vendor) -> Vec<DocKind> {
    let mut out = Vec::new();
    if v.provides > 0 || !v.services.is_empty() || !v.remote.is_empty() {
        out.push(DocKind::MdsSds);
        out.push(DocKind::VendorChecklist);
    }
    if service_spec_expected(v) {
        out.push(DocKind::ServiceSpec);
    }
    if v.services.iter().any(|s| s.stores_data) {
        out.push(DocKind::Sla);
    }
    out
}

/// Whether the サービス仕様適合開示書 is expected from `v`. It is the 2省GL's disclosure, so
/// it follows the 2省GL 該当性チェック:
///
/// - 2省GLの適用あり → expected, whatever services are recorded (the check found that the
///   vendor handles 医療情報 under a contract, e.g. by remote maintenance, which a service
///   list need not show).
/// - 適用なし / PHR指針の対象 → not expected: a vendor outside the 2省GL has no such
///   disclosure to give (seed 004 §2-1 ①③).
/// - 要確認 or never assessed → as before the check existed: expected when one of its
///   services keeps the facility's data (such a service usually is in scope, and asking
///   costs less than missing it).
pub fn service_spec_expected(v: &Vendor) -> bool {
    match v.gl2 {
        Some(Verdict::Applies) => true,
        Some(Verdict::NotApplicable | Verdict::PhrGuideline) => false,
        Some(Verdict::NeedsReview) | None => v.services.iter().any(|s| s.stores_data),
    }
}

fn vendor_findings(v: &Vendor, opts: &Options, today: Date, out: &mut Vec<NewFinding>) {
    let name = v.name.trim();
    let subject = vendor_subject(name);
    for kind in required_documents(v) {
        let latest = v
            .documents
            .iter()
            .filter(|d| d.kind == kind)
            .max_by_key(|d| d.received_on);
        match latest {
            None => out.push(
                Make {
                    rule: DOC_MISSING,
                    subject: subject.clone(),
                    detail: Some(kind.code()),
                    severity: Severity::Medium,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}: {}を受領していません", kind.label_ja()),
                    message: format!(
                        "事業者「{name}」から{}を受領した記録がありません。{}事業者に提出を依頼し、受領したら受領日とファイルを登録してください。",
                        kind.label_ja(),
                        if kind == DocKind::ServiceSpec && v.gl2 == Some(Verdict::Applies) {
                            "2省GL 該当性チェックで「2省GLの適用あり」と判断された事業者です。"
                        } else {
                            ""
                        }
                    ),
                    evidence: json!({ "vendor": name, "document": kind.code(), "gl2": v.gl2.map(Verdict::code) }),
                }
                .build(),
            ),
            Some(d) => {
                let age = i64::from((today - d.received_on).get_days());
                if age > opts.doc_max_age_days {
                    out.push(
                        Make {
                            rule: DOC_STALE,
                            subject: subject.clone(),
                            detail: Some(kind.code()),
                            severity: Severity::Low,
                            item: ITEM_DISCLOSURE,
                            title: format!("{name}: {}が古くなっています", kind.label_ja()),
                            message: format!(
                                "事業者「{name}」の{}は{}に受領したもので、{}日以上前です。最新版の提出を依頼してください。",
                                kind.label_ja(),
                                d.received_on,
                                opts.doc_max_age_days
                            ),
                            evidence: json!({
                                "vendor": name, "document": kind.code(),
                                "received_on": d.received_on.to_string(),
                                "form_version": d.form_version,
                                "max_age_days": opts.doc_max_age_days,
                            }),
                        }
                        .build(),
                    );
                }
            }
        }
    }
    for c in &v.certifications {
        let Some(exp) = c.expires_on else { continue };
        let days_left = i64::from((exp - today).get_days());
        let cname = c.name.trim();
        let detail = format!("{}:{cname}", c.kind.code());
        if exp < today {
            out.push(
                Make {
                    rule: CERT_EXPIRED,
                    subject: subject.clone(),
                    detail: Some(&detail),
                    severity: Severity::Medium,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}: {cname}の有効期限が切れています"),
                    message: format!(
                        "事業者「{name}」の{cname}は{exp}に有効期限が切れています。更新後の証明書（登録証）の写しを受領して登録してください。"
                    ),
                    evidence: json!({ "vendor": name, "certification": c.kind.code(), "name": cname, "expires_on": exp.to_string() }),
                }
                .build(),
            );
        } else if days_left <= opts.cert_warn_days {
            out.push(
                Make {
                    rule: CERT_EXPIRING,
                    subject: subject.clone(),
                    detail: Some(&detail),
                    severity: Severity::Low,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}: {cname}の有効期限が近づいています"),
                    message: format!(
                        "事業者「{name}」の{cname}は{exp}に有効期限を迎えます（残り{days_left}日）。更新の予定を確認してください。"
                    ),
                    evidence: json!({ "vendor": name, "certification": c.kind.code(), "name": cname, "expires_on": exp.to_string(), "days_left": days_left }),
                }
                .build(),
            );
        }
    }
    for s in v.services.iter().filter(|s| s.stores_data) {
        let sname = s.name.trim();
        let evidence = json!({
            "vendor": name, "service": sname, "country": s.country,
            "provider": s.provider, "within_japan_law": s.within_japan_law,
        });
        match s.within_japan_law {
            Some(false) => out.push(
                Make {
                    rule: DATA_LOCATION_OUTSIDE,
                    subject: subject.clone(),
                    detail: Some(sname),
                    severity: Severity::High,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}「{sname}」: データが国内法の執行が及ばない場所にあります"),
                    message: format!(
                        "事業者「{name}」のサービス「{sname}」は、医療情報を国内法の執行が及ばない場所{}に保存しています。ガイドラインは保存された情報を格納する機器等が国内法の執行が及ぶ場所にあることを求めています。保存場所の変更を事業者と協議してください。",
                        s.country.as_deref().map(|c| format!("（{}）", c.trim())).unwrap_or_default()
                    ),
                    evidence,
                }
                .build(),
            ),
            None => out.push(
                Make {
                    rule: DATA_LOCATION_UNKNOWN,
                    subject: subject.clone(),
                    detail: Some(sname),
                    severity: Severity::Medium,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}「{sname}」: データの保存場所が確認されていません"),
                    message: format!(
                        "事業者「{name}」のサービス「{sname}」が医療情報を保存する場所（国・事業者）と、国内法の執行が及ぶ場所かどうかを事業者に確認し、記録してください。"
                    ),
                    evidence,
                }
                .build(),
            ),
            Some(true) if blank(&s.country) => out.push(
                Make {
                    rule: DATA_LOCATION_UNKNOWN,
                    subject: subject.clone(),
                    detail: Some(sname),
                    severity: Severity::Medium,
                    item: ITEM_DISCLOSURE,
                    title: format!("{name}「{sname}」: データの保存場所（国）が未記入です"),
                    message: format!(
                        "事業者「{name}」のサービス「{sname}」は国内法の執行が及ぶ場所とされていますが、保存場所の国が記録されていません。事業者に確認して記入してください。"
                    ),
                    evidence,
                }
                .build(),
            ),
            Some(true) => {}
        }
    }
    for r in &v.remote {
        let target = r.target.trim();
        let mut missing = Vec::new();
        if blank(&r.method) {
            missing.push("接続方法");
        }
        if blank(&r.allowed_persons) {
            missing.push("接続を許可された者");
        }
        match r.logs_kept {
            None => missing.push("保守作業ログの取得"),
            Some(false) => missing.push("保守作業ログの取得（取得していない）"),
            Some(true) => {}
        }
        if missing.is_empty() {
            continue;
        }
        out.push(
            Make {
                rule: REMOTE_INCOMPLETE,
                subject: subject.clone(),
                detail: Some(target),
                severity: if r.logs_kept == Some(false) {
                    Severity::High
                } else {
                    Severity::Medium
                },
                item: ITEM_REMOTE,
                title: format!("{name}「{target}」: リモートメンテナンスの確認が不足しています"),
                message: format!(
                    "事業者「{name}」による「{target}」のリモートメンテナンスについて、{}が確認されていません。保守作業はログを取得・保存し、作業者・作業内容・作業結果を確認できるようにしてください。",
                    missing.join("・")
                ),
                evidence: json!({
                    "vendor": name, "target": target, "missing": missing,
                    "method": r.method, "allowed_persons": r.allowed_persons, "logs_kept": r.logs_kept,
                }),
            }
            .build(),
        );
    }
}

fn matrix_findings(m: &SystemMatrix, active: &BTreeSet<&str>, out: &mut Vec<NewFinding>) {
    let system = m.system.trim();
    let subject = matrix_subject(system);
    let mut unassigned = Vec::new();
    for duty in Duty::ALL {
        // A vendor no longer under contract owns nothing.
        let resp: Vec<&Responsible> = m
            .responsible(duty)
            .iter()
            .filter(|r| match &r.party {
                Party::Facility => true,
                Party::Vendor(n) => active.contains(n.trim()),
            })
            .collect();
        let names: Vec<String> = resp
            .iter()
            .map(|r| r.party.label_ja().into_owned())
            .collect();
        let vendors: Vec<&str> = resp
            .iter()
            .filter_map(|r| match &r.party {
                Party::Vendor(n) => Some(n.trim()),
                Party::Facility => None,
            })
            .collect();
        match resp.as_slice() {
            [] => unassigned.push(duty),
            [one] => {
                if let Party::Vendor(v) = &one.party
                    && !one.accepted
                {
                    let v = v.trim();
                    out.push(
                        Make {
                            rule: DUTY_AMBIGUOUS,
                            subject: subject.clone(),
                            detail: Some(duty.code()),
                            severity: Severity::High,
                            item: duty.item(),
                            title: format!("{system}: 「{}」の担当について{v}の合意がありません", duty.label_ja()),
                            message: format!(
                                "システム「{system}」の「{}」は{v}が担当と記録されていますが、{v}が引き受けた記録（合意）がありません。半田病院の事案では、各事業者が互いに相手の担当と考え、VPN装置のパッチと脆弱性情報が放置されました。事業者に確認し、責任分界表で合意を記録してください。",
                                duty.label_ja()
                            ),
                            evidence: json!({ "system": system, "duty": duty.code(), "responsible": names, "vendors": vendors, "accepted": false }),
                        }
                        .build(),
                    );
                }
            }
            _ => out.push(
                Make {
                    rule: DUTY_AMBIGUOUS,
                    subject: subject.clone(),
                    detail: Some(duty.code()),
                    severity: Severity::High,
                    item: duty.item(),
                    title: format!("{system}: 「{}」の責任者が複数います", duty.label_ja()),
                    message: format!(
                        "システム「{system}」の「{}」は{}の複数が責任者として記録されています。責任者を1者に決め、他は「連絡を受ける者」にしてください（互いに相手の担当と考える状態は、半田病院の事案で VPN 装置のパッチが放置された原因です）。",
                        duty.label_ja(),
                        names.join("と")
                    ),
                    evidence: json!({ "system": system, "duty": duty.code(), "responsible": names, "vendors": vendors }),
                }
                .build(),
            ),
        }
    }
    if !unassigned.is_empty() {
        let high = unassigned.iter().any(|d| d.critical());
        let labels: Vec<&str> = unassigned.iter().map(|d| d.label_ja()).collect();
        let item = if unassigned.iter().all(|d| d.item() == ITEM_REMOTE) {
            ITEM_REMOTE
        } else {
            ITEM_DISCLOSURE
        };
        out.push(
            Make {
                rule: DUTY_UNASSIGNED,
                subject,
                detail: None,
                severity: if high { Severity::High } else { Severity::Medium },
                item,
                title: format!("{system}: 責任者の決まっていない項目が{}件あります", labels.len()),
                message: format!(
                    "システム「{system}」について、次の項目の責任者（自施設または事業者）が決まっていません: {}。責任分界表で担当を決め、事業者と合意してください。",
                    labels.join("、")
                ),
                evidence: json!({
                    "system": system,
                    "duties": unassigned.iter().map(|d| d.code()).collect::<Vec<_>>(),
                }),
            }
            .build(),
        );
    }
}

/// Every vendor finding that holds on `today`: per active vendor (documents,
/// certifications, data location, remote maintenance) and per system matrix (duties
/// unassigned or ambiguous). `matrices` are the systems in scope: those with a vendor
/// linked or with any row recorded.
pub fn findings(
    vendors: &[Vendor],
    matrices: &[SystemMatrix],
    opts: &Options,
    today: Date,
) -> Vec<NewFinding> {
    let mut out = Vec::new();
    for v in vendors.iter().filter(|v| v.active) {
        vendor_findings(v, opts, today, &mut out);
    }
    let active: BTreeSet<&str> = vendors
        .iter()
        .filter(|v| v.active)
        .map(|v| v.name.trim())
        .collect();
    for m in matrices {
        matrix_findings(m, &active, &mut out);
    }
    out
}

/// Whether a finding concerns the vendor named `name` (its own subject, or a duty it is
/// named for): what the vendor's own view shows.
pub fn concerns_vendor(f_subject: &str, f_evidence: &serde_json::Value, name: &str) -> bool {
    if f_subject == vendor_subject(name) {
        return true;
    }
    f_evidence
        .get("vendors")
        .and_then(|v| v.as_array())
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(name.trim())))
}

/// 2-(2) and 2-(3) auto-evidence from the vendor records, combined with a rule already
/// registered for the key (2-(2): the asset ledger's remote-maintenance rule).
///
/// No vendor registered: the base rule decides alone (2-(3) without a base: 判定できません,
/// the item is not needed without contracts). Otherwise いいえ while a vendor finding of the
/// item holds, はい when none does and the base says はい.
pub struct VendorEvidence {
    key: String,
    base: Option<Box<dyn EvidenceRule>>,
    vendors: usize,
    item: &'static str,
    /// Titles of the vendor findings of the item that hold now.
    open: Vec<String>,
    what: &'static str,
}

impl VendorEvidence {
    /// The rule for `key`, evaluating `item`'s vendor findings from `current` (what
    /// [`findings`] returned now) for `vendors` active vendors, on top of `base`.
    pub fn new(
        key: &str,
        item: &'static str,
        base: Option<Box<dyn EvidenceRule>>,
        vendors: usize,
        current: &[NewFinding],
    ) -> VendorEvidence {
        VendorEvidence {
            key: key.to_owned(),
            base,
            vendors,
            item,
            open: current
                .iter()
                .filter(|f| f.checklist.iter().any(|c| c == item))
                .map(|f| f.title.clone())
                .collect(),
            what: if item == ITEM_REMOTE {
                "リモートメンテナンスの方法・接続者・ログ、およびその責任分界"
            } else {
                "MDS/SDS 等の開示書類、第三者認証、データの保存場所、責任分界"
            },
        }
    }
}

fn rank(s: Suggestion) -> u8 {
    match s {
        Suggestion::No => 2,
        Suggestion::Unknown => 1,
        Suggestion::Yes => 0,
    }
}

impl EvidenceRule for VendorEvidence {
    fn key(&self) -> &str {
        &self.key
    }

    fn evaluate(&self, item: &Item, facts: &Facts) -> AutoAnswer {
        let base = self.base.as_ref().map(|b| b.evaluate(item, facts));
        let own = if self.vendors == 0 {
            None
        } else if !self.open.is_empty() {
            let shown: Vec<&str> = self.open.iter().take(5).map(String::as_str).collect();
            Some(AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec![format!(
                    "事業者管理で{}について未解消の指摘が{}件あります: {}{}。",
                    self.what,
                    self.open.len(),
                    shown.join("、"),
                    if self.open.len() > 5 { " ほか" } else { "" }
                )],
            })
        } else {
            Some(AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: vec![format!(
                    "登録済みの事業者{}社について、{}に関する指摘はありません。",
                    self.vendors, self.what
                )],
            })
        };
        match (base, own) {
            (Some(b), None) => {
                let mut b = b;
                b.reasons_ja.push(
                    "事業者管理に事業者が登録されていないため、事業者側の確認は判定に含めていません。"
                        .to_owned(),
                );
                b
            }
            (None, None) => AutoAnswer::unknown(format!(
                "事業者管理に事業者が登録されていません（{} は事業者と契約していない場合は不要です）。",
                self.item
            )),
            (None, Some(o)) => o,
            (Some(b), Some(o)) => {
                let suggestion = if rank(b.suggestion) >= rank(o.suggestion) {
                    b.suggestion
                } else {
                    o.suggestion
                };
                let mut reasons = b.reasons_ja;
                reasons.extend(o.reasons_ja);
                AutoAnswer {
                    suggestion,
                    reasons_ja: reasons,
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-11-22";

    fn vendor(name: &str) -> Vendor {
        Vendor {
            name: name.into(),
            active: true,
            provides: 1,
            documents: vec![
                Document {
                    kind: DocKind::MdsSds,
                    received_on: d("2026-06-01"),
                    form_version: Some("Ver.5.0".into()),
                },
                Document {
                    kind: DocKind::VendorChecklist,
                    received_on: d("2026-06-01"),
                    form_version: None,
                },
            ],
            certifications: vec![],
            services: vec![],
            remote: vec![],
            gl2: None,
        }
    }

    fn run(v: &[Vendor], m: &[SystemMatrix]) -> Vec<NewFinding> {
        findings(v, m, &Options::default(), d(TODAY))
    }

    fn rules(f: &[NewFinding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn complete_vendor_has_no_findings() {
        assert!(run(&[vendor("A社")], &[]).is_empty());
    }

    #[test]
    fn missing_and_stale_documents() {
        let mut v = vendor("A社");
        v.documents.remove(1);
        let f = run(std::slice::from_ref(&v), &[]);
        assert_eq!(rules(&f), vec![DOC_MISSING]);
        assert_eq!(f[0].subject, "vendor:A社");
        assert_eq!(f[0].checklist, vec!["2-(3)"]);
        assert!(f[0].message.contains("チェックリスト（事業者確認用）"));

        v.documents[0].received_on = d("2025-11-01");
        let f = run(std::slice::from_ref(&v), &[]);
        assert_eq!(rules(&f), vec![DOC_STALE, DOC_MISSING]);
        // A newer version of the same kind decides.
        v.documents.push(Document {
            kind: DocKind::MdsSds,
            received_on: d("2026-10-01"),
            form_version: None,
        });
        assert_eq!(
            rules(&run(std::slice::from_ref(&v), &[])),
            vec![DOC_MISSING]
        );
        // The age threshold is configurable.
        v.documents.truncate(1);
        let strict = Options {
            doc_max_age_days: 30,
            ..Options::default()
        };
        assert!(rules(&findings(&[v.clone()], &[], &strict, d(TODAY))).contains(&DOC_STALE));
        // A vendor that provides nothing owes nothing; an inactive one is not checked.
        v.provides = 0;
        v.documents.clear();
        assert!(run(std::slice::from_ref(&v), &[]).is_empty());
        let mut gone = vendor("B社");
        gone.documents.clear();
        gone.active = false;
        assert!(run(&[gone], &[]).is_empty());
    }

    #[test]
    fn data_storing_service_needs_spec_disclosure_and_sla() {
        let mut v = vendor("クラウド社");
        v.services.push(Service {
            name: "クラウド電子カルテ".into(),
            stores_data: true,
            country: Some("日本".into()),
            provider: Some("国内IaaS".into()),
            within_japan_law: Some(true),
        });
        let f = run(std::slice::from_ref(&v), &[]);
        assert_eq!(rules(&f), vec![DOC_MISSING, DOC_MISSING]);
        assert!(f.iter().any(|x| x.key.ends_with("/service_spec")));
        assert!(f.iter().any(|x| x.key.ends_with("/sla")));
        for kind in [DocKind::ServiceSpec, DocKind::Sla] {
            v.documents.push(Document {
                kind,
                received_on: d("2026-04-01"),
                form_version: None,
            });
        }
        assert!(run(&[v], &[]).is_empty());
    }

    #[test]
    fn service_spec_follows_the_2gl_check() {
        let storing = Service {
            name: "クラウド電子カルテ".into(),
            stores_data: true,
            country: Some("日本".into()),
            provider: None,
            within_japan_law: Some(true),
        };
        let missing = |v: &Vendor| -> Vec<String> {
            run(std::slice::from_ref(v), &[])
                .into_iter()
                .filter(|f| f.rule == DOC_MISSING)
                .map(|f| f.key)
                .collect()
        };
        // Not assessed or 要確認: a data-storing service asks for it (as before).
        let mut v = vendor("クラウド社");
        v.services.push(storing.clone());
        for gl2 in [None, Some(Verdict::NeedsReview)] {
            v.gl2 = gl2;
            assert!(service_spec_expected(&v), "{gl2:?}");
            assert!(missing(&v).iter().any(|k| k.ends_with("/service_spec")));
        }
        // Outside the 2省GL: not asked for, the SLA still is.
        for gl2 in [Verdict::NotApplicable, Verdict::PhrGuideline] {
            v.gl2 = Some(gl2);
            assert!(!service_spec_expected(&v));
            let m = missing(&v);
            assert!(!m.iter().any(|k| k.ends_with("/service_spec")), "{gl2:?}");
            assert!(m.iter().any(|k| k.ends_with("/sla")));
        }
        // 2省GL applies: asked for even without a data-storing service (e.g. maintenance).
        let mut m = vendor("保守社");
        assert!(missing(&m).is_empty());
        m.gl2 = Some(Verdict::Applies);
        assert_eq!(
            missing(&m),
            vec!["vendor.document_missing/vendor:保守社/service_spec".to_owned()]
        );
        assert!(!required_documents(&m).contains(&DocKind::Sla));
    }

    #[test]
    fn certifications_expired_and_expiring() {
        let mut v = vendor("A社");
        v.certifications = vec![
            Certification {
                kind: CertKind::Isms,
                name: "ISMS（ISO/IEC 27001）".into(),
                expires_on: Some(d("2026-11-01")),
            },
            Certification {
                kind: CertKind::PrivacyMark,
                name: "プライバシーマーク".into(),
                expires_on: Some(d("2027-01-31")),
            },
            Certification {
                kind: CertKind::Hispro,
                name: "HISPRO 適合証明".into(),
                expires_on: Some(d("2027-06-30")),
            },
            Certification {
                kind: CertKind::Soc2,
                name: "SOC 2".into(),
                expires_on: None,
            },
        ];
        let f = run(&[v], &[]);
        assert_eq!(rules(&f), vec![CERT_EXPIRED, CERT_EXPIRING]);
        assert!(f[0].title.contains("ISMS"));
        assert!(f[1].message.contains("残り70日"), "{}", f[1].message);
    }

    #[test]
    fn data_location_unknown_or_outside() {
        let svc = |country: Option<&str>, law: Option<bool>| Service {
            name: "バックアップ".into(),
            stores_data: true,
            country: country.map(Into::into),
            provider: None,
            within_japan_law: law,
        };
        let with = |s: Service| {
            let mut v = vendor("A社");
            for kind in [DocKind::ServiceSpec, DocKind::Sla] {
                v.documents.push(Document {
                    kind,
                    received_on: d("2026-04-01"),
                    form_version: None,
                });
            }
            v.services.push(s);
            run(&[v], &[])
        };
        assert_eq!(rules(&with(svc(None, None))), vec![DATA_LOCATION_UNKNOWN]);
        assert_eq!(
            rules(&with(svc(None, Some(true)))),
            vec![DATA_LOCATION_UNKNOWN]
        );
        let out = with(svc(Some("米国"), Some(false)));
        assert_eq!(rules(&out), vec![DATA_LOCATION_OUTSIDE]);
        assert_eq!(out[0].severity, Severity::High);
        assert!(out[0].message.contains("米国"));
        assert!(with(svc(Some("日本"), Some(true))).is_empty());
        // A service that keeps no data has no location to check.
        let mut s = svc(None, None);
        s.stores_data = false;
        assert!(
            run(
                &[Vendor {
                    services: vec![s],
                    ..vendor("A社")
                }],
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn remote_maintenance_needs_method_persons_and_logs() {
        let mut v = vendor("保守社");
        v.remote.push(RemoteAccess {
            target: "VPN装置".into(),
            method: Some("SSL-VPN".into()),
            allowed_persons: None,
            logs_kept: None,
        });
        let f = run(std::slice::from_ref(&v), &[]);
        assert_eq!(rules(&f), vec![REMOTE_INCOMPLETE]);
        assert_eq!(f[0].checklist, vec!["2-(2)"]);
        assert_eq!(f[0].severity, Severity::Medium);
        assert!(
            f[0].message
                .contains("接続を許可された者・保守作業ログの取得")
        );
        v.remote[0].logs_kept = Some(false);
        v.remote[0].allowed_persons = Some("保守担当 2名".into());
        let f = run(std::slice::from_ref(&v), &[]);
        assert_eq!(f[0].severity, Severity::High);
        v.remote[0].logs_kept = Some(true);
        assert!(run(&[v], &[]).is_empty());
    }

    fn resp(p: Party, accepted: bool) -> Responsible {
        Responsible { party: p, accepted }
    }

    fn full_matrix(system: &str) -> SystemMatrix {
        SystemMatrix {
            system: system.into(),
            duties: Duty::ALL
                .into_iter()
                .map(|d| (d, vec![resp(Party::Facility, false)]))
                .collect(),
        }
    }

    #[test]
    fn duties_all_owned_have_no_findings() {
        let mut m = full_matrix("電子カルテ");
        m.duties[0].1 = vec![resp(Party::Vendor("A社".into()), true)];
        assert!(run(&[vendor("A社")], &[m]).is_empty());
    }

    #[test]
    fn unassigned_duties_are_one_finding_per_system() {
        let mut m = full_matrix("電子カルテ");
        m.duties
            .retain(|(d, _)| *d != Duty::Backup && *d != Duty::Monitoring);
        let f = run(&[], &[m.clone()]);
        assert_eq!(rules(&f), vec![DUTY_UNASSIGNED]);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].subject, "responsibility:電子カルテ");
        assert!(
            f[0].message
                .contains("稼働・セキュリティ監視、バックアップ")
        );
        m.duties.retain(|(d, _)| *d != Duty::Patching);
        assert_eq!(run(&[], &[m])[0].severity, Severity::High);
        // A system with nothing recorded: every duty is unassigned.
        let empty = SystemMatrix {
            system: "PACS".into(),
            duties: vec![],
        };
        let f = run(&[], &[empty]);
        assert_eq!(f[0].evidence["duties"].as_array().unwrap().len(), 8);
    }

    #[test]
    fn handa_two_parties_or_unaccepted_vendor_is_ambiguous() {
        let (a, c) = (vendor("A社"), vendor("C社"));
        let mut m = full_matrix("VPN装置");
        // Two parties each assumed the other: both recorded as responsible.
        m.duties[0].1 = vec![
            resp(Party::Vendor("A社".into()), false),
            resp(Party::Vendor("C社".into()), false),
        ];
        let f = run(&[a.clone(), c.clone()], std::slice::from_ref(&m));
        assert_eq!(rules(&f), vec![DUTY_AMBIGUOUS]);
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].title.contains("責任者が複数"));
        assert!(concerns_vendor(&f[0].subject, &f[0].evidence, "A社"));
        assert!(concerns_vendor(&f[0].subject, &f[0].evidence, "C社"));
        assert!(!concerns_vendor(&f[0].subject, &f[0].evidence, "B社"));
        // The facility assumes A社 but A社 has not accepted.
        m.duties[0].1 = vec![resp(Party::Vendor("A社".into()), false)];
        let f = run(&[a.clone(), c.clone()], std::slice::from_ref(&m));
        assert_eq!(rules(&f), vec![DUTY_AMBIGUOUS]);
        assert!(f[0].message.contains("合意"));
        assert_eq!(
            f[0].key,
            "vendor.duty_ambiguous/responsibility:VPN装置/patching"
        );
        // Accepted: fine. A vendor no longer under contract owns nothing.
        m.duties[0].1[0].accepted = true;
        assert!(run(&[a.clone(), c.clone()], std::slice::from_ref(&m)).is_empty());
        let mut gone = a;
        gone.active = false;
        assert_eq!(rules(&run(&[gone, c], &[m])), vec![DUTY_UNASSIGNED]);
    }

    #[test]
    fn remote_duty_findings_concern_2_2() {
        let mut m = full_matrix("VPN装置");
        m.duties.retain(|(d, _)| *d != Duty::RemoteMaintenance);
        let f = run(&[], &[m]);
        assert_eq!(f[0].checklist, vec!["2-(2)"]);
    }

    #[test]
    fn subjects_escape_slashes() {
        assert_eq!(vendor_subject(" A/B社 "), "vendor:A%2FB社");
        assert_eq!(matrix_subject("x%y"), "responsibility:x%25y");
    }

    #[test]
    fn codes_round_trip() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.code()), Some(k));
        }
        for k in CertKind::ALL {
            assert_eq!(CertKind::parse(k.code()), Some(k));
            assert_eq!(CertKind::parse(k.label_ja()), Some(k));
        }
        for k in Duty::ALL {
            assert_eq!(Duty::parse(k.code()), Some(k));
            assert_eq!(Duty::parse(k.label_ja()), Some(k));
        }
    }

    struct Fixed(Suggestion);
    impl EvidenceRule for Fixed {
        fn key(&self) -> &str {
            "remote_maintenance_known"
        }
        fn evaluate(&self, _: &Item, _: &Facts) -> AutoAnswer {
            AutoAnswer {
                suggestion: self.0,
                reasons_ja: vec!["台帳".into()],
            }
        }
    }

    fn item() -> Item {
        anzen_catalog::Catalog::builtin()
            .unwrap()
            .editions()
            .iter()
            .flat_map(|e| e.items.iter())
            .next()
            .unwrap()
            .clone()
    }

    #[test]
    fn evidence_combines_with_the_ledger_rule() {
        let facts = Facts::default();
        let it = item();
        let mut v = vendor("保守社");
        v.remote.push(RemoteAccess {
            target: "VPN装置".into(),
            method: None,
            allowed_persons: None,
            logs_kept: None,
        });
        let now = run(std::slice::from_ref(&v), &[]);
        let ev = |base: Option<Suggestion>, vendors: usize, cur: &[NewFinding]| {
            VendorEvidence::new(
                "remote_maintenance_known",
                ITEM_REMOTE,
                base.map(|s| Box::new(Fixed(s)) as Box<dyn EvidenceRule>),
                vendors,
                cur,
            )
            .evaluate(&it, &facts)
        };
        // An open 2-(2) vendor finding turns a ledger はい into いいえ.
        let a = ev(Some(Suggestion::Yes), 1, &now);
        assert_eq!(a.suggestion, Suggestion::No);
        assert_eq!(a.reasons_ja.len(), 2);
        // Nothing open: the ledger decides.
        assert_eq!(
            ev(Some(Suggestion::Yes), 1, &[]).suggestion,
            Suggestion::Yes
        );
        assert_eq!(
            ev(Some(Suggestion::Unknown), 1, &[]).suggestion,
            Suggestion::Unknown
        );
        // No vendor registered: the ledger alone, with a note.
        let a = ev(Some(Suggestion::Yes), 0, &[]);
        assert_eq!(a.suggestion, Suggestion::Yes);
        assert!(a.reasons_ja[1].contains("登録されていない"));
        // 2-(3) without a base rule.
        let mds = |vendors, cur: &[NewFinding]| {
            VendorEvidence::new("mds_sds_received", ITEM_DISCLOSURE, None, vendors, cur)
                .evaluate(&it, &facts)
                .suggestion
        };
        assert_eq!(mds(0, &[]), Suggestion::Unknown);
        assert_eq!(mds(1, &[]), Suggestion::Yes);
        let mut missing = vendor("A社");
        missing.documents.clear();
        assert_eq!(mds(1, &run(&[missing], &[])), Suggestion::No);
        // The 2-(2) finding does not count against 2-(3).
        assert_eq!(mds(1, &now), Suggestion::Yes);
    }
}
