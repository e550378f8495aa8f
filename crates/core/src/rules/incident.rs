//! Rules for incident readiness: the 連絡体制図 (checklist 3-(1)), the reporting deadlines
//! after an incident (個人情報保護委員会 漏えい等報告, 厚生労働省 and the other destinations of
//! the chart), and the backups and restore drills (checklist 3-(2)), plus the 3-(1)
//! auto-evidence `contact_chart_complete`.
//!
//! Everything here is pure: callers pass the records and `today` / the discovery time.
//!
//! # Sources
//!
//! All from `shared/domain/guideline-content.md` and the seeds it cites:
//!
//! - 3-(1) 「インシデント発生時における組織内と外部関係機関（事業者、厚生労働省、警察等）への
//!   連絡体制図がある。」 (令和5年度版 医療機関確認用, seed 002, §1.2).
//! - 立入検査要綱 2-19 ③: the inspector asks to see the chart; the destinations expected on it
//!   are 「ア 外部委託業者」「イ 厚生労働省医政局特定医薬品開発支援・医療情報担当参事官室」
//!   「ウ 個人情報保護委員会（個人情報保護法第26条に基づく場合）」「エ 都道府県警のサイバー犯罪
//!   窓口」「オ 独立行政法人情報処理推進機構（事後報告）」 (seed 002, §2.3, §5.1).
//! - Internal roles: 医療法施行規則第14条第2項 puts the duty on the 管理者 (seed 002); 1-(1)
//!   asks for a 医療情報システム安全管理責任者 (seed 002); GL 5.1 says CISO / CSIRT are 「強く
//!   求められる」 for larger or regionally important institutions (seed 000). So the chart must
//!   name the 管理者, the 安全管理責任者 and an internal first contact — a CSIRT where there is
//!   one, otherwise a 院内連絡担当 ([`ContactRole::Csirt`] covers both).
//! - 3-(2) 「インシデント発生時に診療を継続するために必要な情報を検討し、データやシステムの
//!   バックアップの実施と復旧手順を確認している。」 (seed 002) and GL 5.2 付表 「重要なファイル
//!   は数世代バックアップを複数の方式で取得し、その一部は不正ソフトウェアの混入による影響が
//!   波及しない手段で管理するとともに、バックアップからの重要なファイルの復元手順を整備する
//!   こと」 (seed 003). 「影響が波及しない手段」 is commonly read as offline / immutable (§2.3).
//! - 個人情報保護法第26条 / 施行規則第7条 and the 速報・確報 periods: §5.2 (V-web
//!   <https://www.ppc.go.jp/personalinfo/legal/leakAction/>,
//!   <https://www.businesslawyers.jp/practices/1433>). See [`report_deadlines`].
//! - The MHLW contact on a cyber attack: GL 5.2 付表 ⑧ (seed 003), see [`report_deadlines`].
//!
//! The numbers of the policy ([`BackupPolicy`]: 3 generations, 7 days, 365 days) are the
//! product's defaults, not numbers from the guideline (which says 「数世代」 only).
//!
//! # Rules
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`CONTACT_MISSING`] | a required internal role or external body (ア–オ) has no contact | high (internal), medium (external) | 3-(1) |
//! | [`CONTACT_VENDOR_MISSING`] | a vendor (外部委託業者) of the given list has no contact | medium | 3-(1) |
//! | [`CONTACT_UNREACHABLE`] | a contact has neither phone nor e-mail | medium | 3-(1) |
//! | [`BACKUP_NONE`] | a system has no backup job | high | 3-(2) |
//! | [`BACKUP_GENERATIONS`] | a job keeps fewer generations than the policy | medium | 3-(2) |
//! | [`BACKUP_SINGLE_METHOD`] | a system's jobs use only one method (媒体・方式) | medium | 3-(2) |
//! | [`BACKUP_NO_OFFLINE`] | no job of a system is offline / immutable | high | 3-(2) |
//! | [`BACKUP_STALE`] | a job's last success is more than max(`max_age_days`, its frequency) days ago, or it never succeeded | medium (high if never) | 3-(2) |
//! | [`BACKUP_NO_DRILL`] | no restore drill within `drill_within_days` | medium | 3-(2) |
//! | [`BACKUP_DRILL_FAILED`] | the latest drill within the window failed | high | 3-(2) |

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anzen_catalog::Item;
use anzen_catalog::evidence::{
    AutoAnswer, CONTACT_CHART_COMPLETE, EvidenceRule, Facts, Suggestion,
};
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calendar::wareki;
use crate::finding::{NewFinding, Severity};

/// Rule ids this module produces start with one of these (for reconciling).
pub const RULE_PREFIXES: [&str; 2] = ["contact.", "backup."];

/// A required role or body has no contact on the chart.
pub const CONTACT_MISSING: &str = "contact.missing";
/// A vendor has no contact on the chart.
pub const CONTACT_VENDOR_MISSING: &str = "contact.vendor_missing";
/// A contact has neither phone nor e-mail.
pub const CONTACT_UNREACHABLE: &str = "contact.unreachable";
/// A system has no backup job.
pub const BACKUP_NONE: &str = "backup.none";
/// Fewer generations than the policy.
pub const BACKUP_GENERATIONS: &str = "backup.generations";
/// Only one backup method for a system.
pub const BACKUP_SINGLE_METHOD: &str = "backup.single_method";
/// No backup out of reach of malware.
pub const BACKUP_NO_OFFLINE: &str = "backup.no_offline";
/// The last successful backup is too old.
pub const BACKUP_STALE: &str = "backup.stale";
/// No restore drill within the window.
pub const BACKUP_NO_DRILL: &str = "backup.no_drill";
/// The latest restore drill failed.
pub const BACKUP_DRILL_FAILED: &str = "backup.drill_failed";

/// 3-(1) 連絡体制図 (R7 3-①).
pub const ITEM_CONTACT_CHART: &str = "3-(1)";
/// 3-(2) バックアップの実施と復旧手順 (R7 3-②).
pub const ITEM_BACKUP: &str = "3-(2)";

// ---------------------------------------------------------------------------------------
// 連絡体制図
// ---------------------------------------------------------------------------------------

/// Who a contact on the 連絡体制図 is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// 管理者 (院長等; 医療法施行規則第14条第2項の義務者).
    Administrator,
    /// 医療情報システム安全管理責任者 (checklist 1-(1)).
    SecurityOfficer,
    /// CSIRT・院内連絡担当 — the internal first contact.
    Csirt,
    /// 部門責任者 (診療科・部署の長; the department in [`Contact::organisation`]).
    DepartmentHead,
    /// 当直・夜間休日の連絡先.
    OnCall,
    /// ア 外部委託業者 — one vendor, by name.
    Vendor(String),
    /// イ 厚生労働省医政局特定医薬品開発支援・医療情報担当参事官室.
    Mhlw,
    /// ウ 個人情報保護委員会（個人情報保護法第26条に基づく場合）.
    Ppc,
    /// エ 都道府県警のサイバー犯罪窓口.
    Police,
    /// オ 独立行政法人情報処理推進機構（事後報告）.
    Ipa,
    /// Any other contact (e.g. 保健所, システム運用担当者); never required.
    Other(String),
}

impl ContactRole {
    /// The roles and bodies every chart must have (a vendor is required as
    /// [`ContactRole::Vendor`] of any name, see [`contact_chart_findings`]).
    pub const REQUIRED: [ContactRole; 7] = [
        ContactRole::Administrator,
        ContactRole::SecurityOfficer,
        ContactRole::Csirt,
        ContactRole::Mhlw,
        ContactRole::Ppc,
        ContactRole::Police,
        ContactRole::Ipa,
    ];

    /// Stable code for keys, e.g. `mhlw`, `vendor:〇〇システム`.
    pub fn code(&self) -> String {
        match self {
            ContactRole::Administrator => "administrator".to_owned(),
            ContactRole::SecurityOfficer => "security_officer".to_owned(),
            ContactRole::Csirt => "csirt".to_owned(),
            ContactRole::DepartmentHead => "department_head".to_owned(),
            ContactRole::OnCall => "on_call".to_owned(),
            ContactRole::Vendor(n) => format!("vendor:{}", n.trim()),
            ContactRole::Mhlw => "mhlw".to_owned(),
            ContactRole::Ppc => "ppc".to_owned(),
            ContactRole::Police => "police".to_owned(),
            ContactRole::Ipa => "ipa".to_owned(),
            ContactRole::Other(n) => format!("other:{}", n.trim()),
        }
    }

    /// Japanese label (the external bodies in the 立入検査要綱's wording).
    pub fn label_ja(&self) -> String {
        match self {
            ContactRole::Administrator => "管理者".to_owned(),
            ContactRole::SecurityOfficer => "医療情報システム安全管理責任者".to_owned(),
            ContactRole::Csirt => "CSIRT・院内連絡担当".to_owned(),
            ContactRole::DepartmentHead => "部門責任者".to_owned(),
            ContactRole::OnCall => "当直・夜間休日連絡先".to_owned(),
            ContactRole::Vendor(n) => format!("外部委託業者（{}）", n.trim()),
            ContactRole::Mhlw => {
                "厚生労働省医政局特定医薬品開発支援・医療情報担当参事官室".to_owned()
            }
            ContactRole::Ppc => "個人情報保護委員会".to_owned(),
            ContactRole::Police => "都道府県警のサイバー犯罪窓口".to_owned(),
            ContactRole::Ipa => "独立行政法人情報処理推進機構（IPA）".to_owned(),
            ContactRole::Other(n) => n.trim().to_owned(),
        }
    }

    /// Whether this is a role inside the institution.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            ContactRole::Administrator
                | ContactRole::SecurityOfficer
                | ContactRole::Csirt
                | ContactRole::DepartmentHead
                | ContactRole::OnCall
        )
    }

    /// The role of a [`ContactRole::code`]; `None` for an unknown code or an empty name.
    pub fn from_code(code: &str) -> Option<ContactRole> {
        let named = |n: &str| {
            let n = n.trim();
            (!n.is_empty()).then(|| n.to_owned())
        };
        Some(match code.trim() {
            "administrator" => ContactRole::Administrator,
            "security_officer" => ContactRole::SecurityOfficer,
            "csirt" => ContactRole::Csirt,
            "department_head" => ContactRole::DepartmentHead,
            "on_call" => ContactRole::OnCall,
            "mhlw" => ContactRole::Mhlw,
            "ppc" => ContactRole::Ppc,
            "police" => ContactRole::Police,
            "ipa" => ContactRole::Ipa,
            other => {
                if let Some(n) = other.strip_prefix("vendor:") {
                    ContactRole::Vendor(named(n)?)
                } else if let Some(n) = other.strip_prefix("other:") {
                    ContactRole::Other(named(n)?)
                } else {
                    return None;
                }
            }
        })
    }

    /// The kind part of the code (`vendor`, `other`, or the whole code otherwise).
    pub fn kind_code(&self) -> &'static str {
        match self {
            ContactRole::Administrator => "administrator",
            ContactRole::SecurityOfficer => "security_officer",
            ContactRole::Csirt => "csirt",
            ContactRole::DepartmentHead => "department_head",
            ContactRole::OnCall => "on_call",
            ContactRole::Vendor(_) => "vendor",
            ContactRole::Mhlw => "mhlw",
            ContactRole::Ppc => "ppc",
            ContactRole::Police => "police",
            ContactRole::Ipa => "ipa",
            ContactRole::Other(_) => "other",
        }
    }

    /// The name a vendor or other contact carries in its role.
    pub fn role_name(&self) -> Option<&str> {
        match self {
            ContactRole::Vendor(n) | ContactRole::Other(n) => Some(n.trim()),
            _ => None,
        }
    }

    /// The role from its kind code and, for `vendor` and `other`, its name.
    pub fn from_parts(kind: &str, name: &str) -> Option<ContactRole> {
        match kind.trim() {
            "vendor" | "other" => ContactRole::from_code(&format!("{}:{}", kind.trim(), name)),
            k => ContactRole::from_code(k),
        }
    }
}

/// One entry of the 連絡体制図.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub role: ContactRole,
    /// 氏名 or 窓口名.
    pub name: String,
    /// 所属・組織名.
    pub organisation: Option<String>,
    /// 電話番号.
    pub phone: Option<String>,
    /// メールアドレス.
    pub email: Option<String>,
    /// 受付時間 (e.g. 平日9時〜17時, 24時間).
    pub hours: Option<String>,
    /// 連絡順 (1 = first).
    pub escalation_order: Option<u32>,
}

/// A pre-filled entry for one of the official bodies イ–オ: the name and a note where to
/// find the current number. Phone numbers and e-mail addresses are deliberately left blank:
/// the sources give none, the offices are renamed (guideline-content.md §2.3: 「The name of
/// the MHLW contact office may have changed after 2024」) and the police window depends on
/// the prefecture, so the user confirms and enters them (until then the chart flags them
/// as [`CONTACT_UNREACHABLE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialBody {
    pub contact: Contact,
    /// Where the current contact details are published, in Japanese.
    pub note: &'static str,
}

/// The official bodies of the 連絡体制図 (立入検査要綱 2-19 ③ イ–オ), pre-filled.
pub fn official_bodies() -> Vec<OfficialBody> {
    let c =
        |role: ContactRole, name: &str, organisation: &str, hours: Option<&str>, order| Contact {
            role,
            name: name.to_owned(),
            organisation: Some(organisation.to_owned()),
            phone: None,
            email: None,
            hours: hours.map(str::to_owned),
            escalation_order: Some(order),
        };
    vec![
        OfficialBody {
            contact: c(
                ContactRole::Mhlw,
                "医療情報担当参事官室",
                "厚生労働省医政局特定医薬品開発支援・医療情報担当参事官室",
                None,
                1,
            ),
            note: "サイバー攻撃を受けた（疑い含む）場合の所管官庁への連絡先。「医療機関等におけるサイバーセキュリティ対策の強化について」（平成30年10月29日）と厚生労働省の最新の通知で連絡先を確認して入力してください（部署名が変わっている場合があります）。",
        },
        OfficialBody {
            contact: c(
                ContactRole::Ppc,
                "漏えい等報告 受付",
                "個人情報保護委員会",
                Some("報告は委員会のウェブフォーム（24時間受付）"),
                2,
            ),
            note: "個人情報保護法第26条に基づく漏えい等報告の提出先。報告はウェブフォームから行います: https://www.ppc.go.jp/personalinfo/legal/leakAction/ （電話・メールの問い合わせ先は委員会のサイトで確認して入力してください）。",
        },
        OfficialBody {
            contact: c(
                ContactRole::Police,
                "サイバー犯罪相談窓口",
                "都道府県警察本部",
                None,
                3,
            ),
            note: "所在地の都道府県警察のサイバー犯罪相談窓口。警察庁のサイトの一覧で所在地の窓口の電話番号を確認して入力してください。",
        },
        OfficialBody {
            contact: c(
                ContactRole::Ipa,
                "情報セキュリティ安心相談窓口・届出",
                "独立行政法人情報処理推進機構（IPA）",
                None,
                4,
            ),
            note: "事後報告（届出）の提出先。IPA のサイト（https://www.ipa.go.jp/security/）で届出・相談窓口の連絡先を確認して入力してください。",
        },
    ]
}

fn filled(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Name folding for matching vendors: whitespace (incl. 全角空白) removed, lower case.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn chart_finding(
    rule: &str,
    subject: String,
    detail: &str,
    severity: Severity,
    title: String,
    message: String,
    evidence: serde_json::Value,
) -> NewFinding {
    NewFinding {
        key: format!("{rule}/{subject}/{detail}"),
        rule: rule.to_owned(),
        subject,
        severity,
        title,
        message,
        checklist: vec![ITEM_CONTACT_CHART.to_owned()],
        evidence,
        due_hint: None,
    }
}

fn dedup(out: Vec<NewFinding>) -> Vec<NewFinding> {
    let mut seen = HashSet::new();
    out.into_iter()
        .filter(|f| seen.insert(f.key.clone()))
        .collect()
}

/// The 3-(1) findings for the chart `contacts` and the institution's `vendors` (外部委託業者,
/// e.g. from the asset ledger's 保守事業者):
///
/// - [`CONTACT_MISSING`] per role of [`ContactRole::REQUIRED`] without a contact, and for ア
///   外部委託業者 when there is no vendor contact at all and `vendors` is empty;
/// - [`CONTACT_VENDOR_MISSING`] per vendor of `vendors` without a [`ContactRole::Vendor`]
///   contact of that name (whitespace and case ignored);
/// - [`CONTACT_UNREACHABLE`] per contact with neither phone nor e-mail.
pub fn contact_chart_findings(contacts: &[Contact], vendors: &[String]) -> Vec<NewFinding> {
    let mut out = Vec::new();
    let subject = "contact_chart".to_owned();
    for role in ContactRole::REQUIRED {
        if !contacts.iter().any(|c| c.role == role) {
            let (severity, why) = if role.is_internal() {
                (
                    Severity::High,
                    "組織内の連絡先です。インシデント発生時に最初に報告を受け、判断する人を連絡体制図に記載してください。",
                )
            } else {
                (
                    Severity::Medium,
                    "立入検査要綱（2-19 ③）が連絡体制図に記載する連絡先として想定している外部関係機関です。",
                )
            };
            out.push(chart_finding(
                CONTACT_MISSING,
                subject.clone(),
                &role.code(),
                severity,
                format!("連絡体制図に「{}」の連絡先がありません", role.label_ja()),
                format!("{why}電話番号・メールアドレス・受付時間を含めて登録してください。"),
                json!({ "role": role.code(), "label": role.label_ja() }),
            ));
        }
    }
    let vendor_contacts: HashSet<String> = contacts
        .iter()
        .filter_map(|c| match &c.role {
            ContactRole::Vendor(n) => Some(fold(n)),
            _ => None,
        })
        .collect();
    if vendor_contacts.is_empty() && vendors.iter().all(|v| v.trim().is_empty()) {
        out.push(chart_finding(
            CONTACT_MISSING,
            subject.clone(),
            "vendor",
            Severity::Medium,
            "連絡体制図に「外部委託業者」の連絡先がありません".to_owned(),
            "立入検査要綱（2-19 ③）は連絡体制図の連絡先として「ア 外部委託業者」を想定しています。システムの保守事業者等の連絡先を登録してください。".to_owned(),
            json!({ "role": "vendor", "label": "外部委託業者" }),
        ));
    }
    let mut seen_vendor = HashSet::new();
    for v in vendors {
        let folded = fold(v);
        if folded.is_empty() || !seen_vendor.insert(folded.clone()) {
            continue;
        }
        if !vendor_contacts.contains(&folded) {
            out.push(chart_finding(
                CONTACT_VENDOR_MISSING,
                format!("vendor:{}", v.trim()),
                "-",
                Severity::Medium,
                format!("外部委託業者「{}」の連絡先が連絡体制図にありません", v.trim()),
                "インシデント発生時に連絡する外部委託業者（保守事業者等）として、連絡体制図に電話番号・メールアドレス・受付時間を登録してください。".to_owned(),
                json!({ "vendor": v.trim() }),
            ));
        }
    }
    for c in contacts {
        if !filled(&c.phone) && !filled(&c.email) {
            let name = if c.name.trim().is_empty() {
                "-".to_owned()
            } else {
                c.name.trim().to_owned()
            };
            out.push(chart_finding(
                CONTACT_UNREACHABLE,
                format!("contact:{}", c.role.code()),
                &name,
                Severity::Medium,
                format!(
                    "連絡体制図の「{}」（{}）に電話番号もメールアドレスもありません",
                    c.role.label_ja(),
                    name
                ),
                "連絡手段のない連絡先はインシデント発生時に使えません。電話番号またはメールアドレスを登録してください。".to_owned(),
                json!({ "role": c.role.code(), "name": c.name.trim() }),
            ));
        }
    }
    dedup(out)
}

/// 3-(1) インシデント発生時における組織内と外部関係機関への連絡体制図がある ← every
/// required role and body (and every listed vendor) has a contact with a phone or e-mail,
/// i.e. [`contact_chart_findings`] finds nothing. はい / いいえ, with what is present and
/// what is missing.
#[derive(Debug, Clone, Default)]
pub struct ContactChartComplete {
    pub contacts: Vec<Contact>,
    pub vendors: Vec<String>,
}

impl EvidenceRule for ContactChartComplete {
    fn key(&self) -> &str {
        CONTACT_CHART_COMPLETE
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        if self.contacts.is_empty() {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec!["連絡体制図の連絡先が登録されていません。".to_owned()],
            };
        }
        let mut present: BTreeMap<String, ()> = BTreeMap::new();
        for c in &self.contacts {
            present.insert(c.role.label_ja(), ());
        }
        let findings = contact_chart_findings(&self.contacts, &self.vendors);
        let mut reasons = vec![format!(
            "連絡体制図に{}件の連絡先があります（{}）。",
            self.contacts.len(),
            present.keys().cloned().collect::<Vec<_>>().join("、")
        )];
        if findings.is_empty() {
            reasons.push(
                "必要な組織内の役割と外部関係機関（外部委託業者、厚生労働省、個人情報保護委員会、警察、IPA）の連絡先がそろっています。"
                    .to_owned(),
            );
            return AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: reasons,
            };
        }
        let missing: Vec<String> = findings
            .iter()
            .filter(|f| f.rule == CONTACT_MISSING || f.rule == CONTACT_VENDOR_MISSING)
            .map(|f| {
                f.evidence["label"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| {
                        f.evidence["vendor"]
                            .as_str()
                            .map(|v| format!("外部委託業者（{v}）"))
                    })
                    .unwrap_or_default()
            })
            .collect();
        if !missing.is_empty() {
            reasons.push(format!("連絡先がありません: {}。", missing.join("、")));
        }
        let unreachable = findings
            .iter()
            .filter(|f| f.rule == CONTACT_UNREACHABLE)
            .count();
        if unreachable > 0 {
            reasons.push(format!(
                "電話番号もメールアドレスもない連絡先が{unreachable}件あります。"
            ));
        }
        AutoAnswer {
            suggestion: Suggestion::No,
            reasons_ja: reasons,
        }
    }
}

// ---------------------------------------------------------------------------------------
// 報告期限
// ---------------------------------------------------------------------------------------

/// Where an incident stands in the インシデント台帳, from 疑い to 終結.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// 疑い — reported, not yet confirmed.
    Suspected,
    /// 確認 — confirmed as an incident.
    Confirmed,
    /// 封じ込め — spread stopped (機器の隔離等).
    Contained,
    /// 復旧中.
    Recovering,
    /// 終結.
    Closed,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::Suspected,
        IncidentStatus::Confirmed,
        IncidentStatus::Contained,
        IncidentStatus::Recovering,
        IncidentStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            IncidentStatus::Suspected => "suspected",
            IncidentStatus::Confirmed => "confirmed",
            IncidentStatus::Contained => "contained",
            IncidentStatus::Recovering => "recovering",
            IncidentStatus::Closed => "closed",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            IncidentStatus::Suspected => "疑い",
            IncidentStatus::Confirmed => "発生を確認",
            IncidentStatus::Contained => "封じ込め済み",
            IncidentStatus::Recovering => "復旧中",
            IncidentStatus::Closed => "終結",
        }
    }

    /// From a code or a Japanese label.
    pub fn parse(s: &str) -> Option<IncidentStatus> {
        let s = s.trim();
        IncidentStatus::ALL
            .into_iter()
            .find(|x| x.code() == s || x.label_ja() == s)
    }
}

/// What happened, as far as the reporting rules need to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentKind {
    /// 個人データの漏えい・滅失・毀損（またはそのおそれ）.
    pub personal_data_leak: bool,
    /// The data include 要配慮個人情報 (病歴 etc. — true for almost any patient data).
    pub sensitive_data: bool,
    /// 不正に利用されることにより財産的被害が生じるおそれがある (e.g. card numbers).
    pub financial_harm_risk: bool,
    /// 不正の目的をもって行われたおそれ (不正アクセス, ransomware, insider theft).
    pub malicious: bool,
    /// 本人の数, when known.
    pub people_affected: Option<u32>,
    /// The institution is a 行政機関等 (the threshold is then 100, not 1,000).
    pub public_sector: bool,
    /// The data were protected by 高度な暗号化 or similar measures.
    pub encrypted: bool,
    /// サイバー攻撃を受けた（疑い含む）.
    pub cyber_attack: bool,
}

/// Where a report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportBody {
    /// 個人情報保護委員会.
    Ppc,
    /// 本人 (the data subjects).
    DataSubjects,
    /// 厚生労働省（所管官庁）.
    Mhlw,
    /// 都道府県警のサイバー犯罪窓口.
    Police,
    /// 独立行政法人情報処理推進機構.
    Ipa,
}

impl ReportBody {
    pub const ALL: [ReportBody; 5] = [
        ReportBody::Ppc,
        ReportBody::DataSubjects,
        ReportBody::Mhlw,
        ReportBody::Police,
        ReportBody::Ipa,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportBody::Ppc => "ppc",
            ReportBody::DataSubjects => "data_subjects",
            ReportBody::Mhlw => "mhlw",
            ReportBody::Police => "police",
            ReportBody::Ipa => "ipa",
        }
    }

    pub fn parse(s: &str) -> Option<ReportBody> {
        ReportBody::ALL.into_iter().find(|b| b.code() == s.trim())
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ReportBody::Ppc => "個人情報保護委員会",
            ReportBody::DataSubjects => "本人",
            ReportBody::Mhlw => "厚生労働省医政局特定医薬品開発支援・医療情報担当参事官室",
            ReportBody::Police => "都道府県警のサイバー犯罪窓口",
            ReportBody::Ipa => "独立行政法人情報処理推進機構",
        }
    }
}

/// What is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 速報.
    Preliminary,
    /// 確報.
    Final,
    /// 本人への通知.
    Notice,
    /// 連絡.
    Contact,
    /// 事後報告.
    AfterTheFact,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::Preliminary,
        ReportKind::Final,
        ReportKind::Notice,
        ReportKind::Contact,
        ReportKind::AfterTheFact,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Preliminary => "preliminary",
            ReportKind::Final => "final",
            ReportKind::Notice => "notice",
            ReportKind::Contact => "contact",
            ReportKind::AfterTheFact => "after_the_fact",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ReportKind::Preliminary => "速報",
            ReportKind::Final => "確報",
            ReportKind::Notice => "本人への通知",
            ReportKind::Contact => "連絡",
            ReportKind::AfterTheFact => "事後報告",
        }
    }
}

/// How firm the duty is, as far as the sources say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// The source says it must be done.
    Required,
    /// A destination the 連絡体制図 is expected to carry, to be contacted per the chart.
    Expected,
    /// The source does not decide it for these facts (要確認; the basis says why).
    ToConfirm,
}

impl Obligation {
    pub fn label_ja(self) -> &'static str {
        match self {
            Obligation::Required => "必要",
            Obligation::Expected => "連絡体制図に基づき連絡",
            Obligation::ToConfirm => "要確認",
        }
    }
}

/// One report or contact and its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub body: ReportBody,
    pub what: ReportKind,
    pub obligation: Obligation,
    /// The date to aim for (JST); `None` when the source gives no period.
    pub due: Option<Date>,
    /// The latest date of a range (速報: おおむね3~5日 → the 5th day); `None` otherwise.
    pub due_latest: Option<Date>,
    /// The rule, in Japanese, quoting the source's words.
    pub basis: String,
    /// Where the rule comes from.
    pub source: &'static str,
}

const SOURCE_PPC: &str = "個人情報保護法第26条・同法施行規則第7条（shared/domain/guideline-content.md §5.2; https://www.ppc.go.jp/personalinfo/legal/leakAction/ , https://www.businesslawyers.jp/practices/1433）";
const SOURCE_FUHYO: &str = "医療情報システムの安全管理に関するガイドライン第5.2版 付表 ⑧ 報告先と内容一覧（shared/seeds/003; 「医療機関等におけるサイバーセキュリティ対策の強化について」医政総発1029第1号ほか 平成30年10月29日）";
const SOURCE_CHART: &str =
    "医療法第25条第1項に基づく立入検査要綱 2-19 ③（shared/seeds/002; guideline-content.md §5.1）";

const DAY_COUNT_NOTE: &str = "期限日は発覚日（日本時間）に日数を加えた日として表示しています。初日の算入と、期限が土日祝日に当たる場合の扱いは出典に記載がないため要確認です。";

/// The date in Japan (JST, UTC+9 — Japan has no daylight saving time) of `t`.
pub fn jst_date(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .date()
}

fn plus_days(d: Date, n: i64) -> Date {
    d.saturating_add(Span::new().days(n))
}

/// Whether a 漏えい等報告 to the 個人情報保護委員会 is needed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PpcAssessment {
    /// `None`: not required (no personal-data leak, or none of ①–④ applies).
    pub obligation: Option<Obligation>,
    /// Which of 施行規則第7条 ①–④ apply, and what needs confirming, in Japanese.
    pub reasons_ja: Vec<String>,
}

/// 個人情報保護法第26条 / 施行規則第7条 as §5.2 gives it. Reportable (報告対象) when the
/// personal-data leak (or its possibility) is one of:
///
/// 1. 要配慮個人情報が含まれる個人データの漏えい等 — 病歴 is 要配慮個人情報, so one patient's
///    record is enough;
/// 2. 不正に利用されることにより財産的被害が生じるおそれがある個人データ;
/// 3. 不正の目的をもって行われたおそれがある漏えい等;
/// 4. 本人の数が1,000人を超える (民間) / 100人超 (行政機関等).
///
/// When the data were protected by 高度な暗号化 or similar measures, §5.2 says the report is
/// exempt; whether the measures qualify is left to the user ([`Obligation::ToConfirm`]). When
/// only ④ could apply and the number of people is unknown, it is [`Obligation::ToConfirm`].
pub fn ppc_assessment(kind: &IncidentKind) -> PpcAssessment {
    if !kind.personal_data_leak {
        return PpcAssessment {
            obligation: None,
            reasons_ja: vec!["個人データの漏えい等（おそれを含む）ではありません。".to_owned()],
        };
    }
    let mut reasons = Vec::new();
    if kind.sensitive_data {
        reasons.push(
            "① 要配慮個人情報（病歴等）が含まれる個人データの漏えい等です（本人の数によらず報告対象）。"
                .to_owned(),
        );
    }
    if kind.financial_harm_risk {
        reasons.push(
            "② 不正に利用されることにより財産的被害が生じるおそれがある個人データです。".to_owned(),
        );
    }
    if kind.malicious {
        reasons.push("③ 不正の目的をもって行われたおそれがある漏えい等です。".to_owned());
    }
    let (threshold, who) = if kind.public_sector {
        (100, "行政機関等")
    } else {
        (1000, "民間")
    };
    let mut unknown_count = false;
    match kind.people_affected {
        Some(n) if n > threshold => reasons.push(format!(
            "④ 本人の数（{n}人）が{threshold}人を超えています（{who}）。"
        )),
        Some(_) => {}
        None => unknown_count = true,
    }
    if reasons.is_empty() {
        if unknown_count {
            return PpcAssessment {
                obligation: Some(Obligation::ToConfirm),
                reasons_ja: vec![format!(
                    "①〜③に当たらず、本人の数が不明です。{threshold}人を超える場合（{who}）は報告対象です（要確認）。"
                )],
            };
        }
        return PpcAssessment {
            obligation: None,
            reasons_ja: vec![format!(
                "施行規則第7条の①〜④（要配慮個人情報、財産的被害のおそれ、不正の目的のおそれ、本人の数{threshold}人超）のいずれにも当たりません。"
            )],
        };
    }
    if kind.encrypted {
        reasons.push(
            "高度な暗号化等の措置が講じられている場合は報告対象外とされます。措置がこれに当たるかは要確認です。"
                .to_owned(),
        );
        return PpcAssessment {
            obligation: Some(Obligation::ToConfirm),
            reasons_ja: reasons,
        };
    }
    PpcAssessment {
        obligation: Some(Obligation::Required),
        reasons_ja: reasons,
    }
}

/// The reports and contacts due after an incident discovered at `discovered` (its JST date
/// is the 発覚日), in this order:
///
/// - 個人情報保護委員会 **速報**: 「発覚日からおおむね3~5日以内」 → `due` = 発覚日 + 3 days,
///   `due_latest` = + 5 days; **確報**: 「30日以内(③の場合は60日以内)」 → + 30 days, or + 60
///   when `malicious` (③ 不正の目的). Only when [`ppc_assessment`] says required or 要確認.
///   Source: §5.2 (個人情報保護法第26条, 施行規則第7条; businesslawyers.jp, ppc.go.jp).
/// - 本人への通知: §5.2 「the individuals must also be notified」; the source gives no period
///   (`due` = `None`, 要確認).
/// - On a cyber attack (疑い含む): 厚生労働省 (所管官庁) — GL 5.2 付表 ⑧ 「サイバー攻撃を受けた
///   (疑い含む)場合…別途定める一覧の連絡先に連絡すること」「所管官庁への連絡については…
///   (平成30年10月29日)に基づき行うこと」; no period in the source (`None`). 警察 and IPA
///   (事後報告) as the chart's destinations エ・オ ([`Obligation::Expected`], no period).
///
/// Days are calendar days; the sources say nothing on 初日 or weekends and holidays, so every
/// dated basis says so (要確認).
pub fn report_deadlines(discovered: Timestamp, kind: &IncidentKind) -> Vec<Deadline> {
    let day = jst_date(discovered);
    let mut out = Vec::new();
    let ppc = ppc_assessment(kind);
    if let Some(obligation) = ppc.obligation {
        let why = ppc.reasons_ja.join("");
        out.push(Deadline {
            body: ReportBody::Ppc,
            what: ReportKind::Preliminary,
            obligation,
            due: Some(plus_days(day, 3)),
            due_latest: Some(plus_days(day, 5)),
            basis: format!(
                "速報は「発覚日からおおむね3~5日以内」（発覚日 {}）。{why}{DAY_COUNT_NOTE}",
                wareki(day)
            ),
            source: SOURCE_PPC,
        });
        let (days, rule) = if kind.malicious {
            (
                60,
                "確報は「30日以内(③の場合は60日以内)」— ③ 不正の目的をもって行われたおそれがあるため60日以内",
            )
        } else {
            (
                30,
                "確報は「30日以内(③の場合は60日以内)」— ③に当たらないため30日以内",
            )
        };
        out.push(Deadline {
            body: ReportBody::Ppc,
            what: ReportKind::Final,
            obligation,
            due: Some(plus_days(day, days)),
            due_latest: None,
            basis: format!("{rule}（発覚日 {}）。{why}{DAY_COUNT_NOTE}", wareki(day)),
            source: SOURCE_PPC,
        });
        out.push(Deadline {
            body: ReportBody::DataSubjects,
            what: ReportKind::Notice,
            obligation,
            due: None,
            due_latest: None,
            basis: "報告対象の漏えい等では本人への通知も必要です。通知の期限は出典に記載がないため要確認です。"
                .to_owned(),
            source: SOURCE_PPC,
        });
    }
    if kind.cyber_attack {
        out.push(Deadline {
            body: ReportBody::Mhlw,
            what: ReportKind::Contact,
            obligation: Obligation::Required,
            due: None,
            due_latest: None,
            basis: "付表は「サイバー攻撃を受けた(疑い含む)場合…別途定める一覧の連絡先に連絡すること」とし、「所管官庁への連絡については、「医療機関等におけるサイバーセキュリティ対策の強化について」(平成30年10月29日)に基づき行うこと」としています。期限は出典に記載がないため、通知本文で要確認です。"
                .to_owned(),
            source: SOURCE_FUHYO,
        });
        out.push(Deadline {
            body: ReportBody::Police,
            what: ReportKind::Contact,
            obligation: Obligation::Expected,
            due: None,
            due_latest: None,
            basis: "立入検査要綱は連絡体制図の連絡先として「エ 都道府県警のサイバー犯罪窓口」を想定しています。連絡の要否・期限の定めは出典にありません（要確認）。"
                .to_owned(),
            source: SOURCE_CHART,
        });
        out.push(Deadline {
            body: ReportBody::Ipa,
            what: ReportKind::AfterTheFact,
            obligation: Obligation::Expected,
            due: None,
            due_latest: None,
            basis: "立入検査要綱は連絡体制図の連絡先として「オ 独立行政法人情報処理推進機構（事後報告）」を想定しています。期限の定めは出典にありません（要確認）。"
                .to_owned(),
            source: SOURCE_CHART,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// バックアップ
// ---------------------------------------------------------------------------------------

/// One backup job of a system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupJob {
    /// システム.
    pub system: String,
    /// 方式・媒体 (e.g. 外付けHDD, NAS, クラウド, テープ).
    pub method: String,
    /// 保持世代数.
    pub generations: u32,
    /// オフライン・改ざん不可 (out of reach of malware: 「不正ソフトウェアの混入による影響が
    /// 波及しない手段」).
    pub offline_or_immutable: bool,
    /// 取得間隔（日）; 0 = unknown.
    pub frequency_days: u32,
    /// 最終成功日.
    pub last_success: Option<Date>,
}

/// One restore drill (復旧訓練・リストアテスト).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreDrill {
    pub system: String,
    pub date: Date,
    /// 復元できたか.
    pub ok: bool,
    /// 所要時間（分）.
    pub minutes: Option<u32>,
}

/// The institution's backup policy (product defaults: 3 generations, 7 days, 365 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPolicy {
    /// 最低世代数.
    pub min_generations: u32,
    /// A job's last success may be at most this many days before today (or its own
    /// frequency, when longer).
    pub max_age_days: u32,
    /// A restore drill must lie within this many days before today.
    pub drill_within_days: u32,
}

impl Default for BackupPolicy {
    fn default() -> Self {
        BackupPolicy {
            min_generations: 3,
            max_age_days: 7,
            drill_within_days: 365,
        }
    }
}

const FUHYO_BACKUP: &str = "（GL 第5.2版 付表: 「重要なファイルは数世代バックアップを複数の方式で取得し、その一部は不正ソフトウェアの混入による影響が波及しない手段で管理するとともに、バックアップからの重要なファイルの復元手順を整備すること」）";

fn backup_finding(
    rule: &str,
    system: &str,
    detail: &str,
    severity: Severity,
    title: String,
    message: String,
    evidence: serde_json::Value,
) -> NewFinding {
    let subject = format!("system:{system}");
    NewFinding {
        key: format!("{rule}/{subject}/{detail}"),
        rule: rule.to_owned(),
        subject,
        severity,
        title: format!("{system}: {title}"),
        message: format!("{message}{FUHYO_BACKUP}"),
        checklist: vec![ITEM_BACKUP.to_owned()],
        evidence,
        due_hint: None,
    }
}

fn days_since(from: Date, today: Date) -> i64 {
    from.until(today)
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(i64::MAX)
}

/// The 3-(2) findings for `systems` (the systems that need backups; systems named only in
/// `jobs` or `drills` are checked too). Per system: [`BACKUP_NONE`] when it has no job (and
/// nothing else); otherwise [`BACKUP_SINGLE_METHOD`], [`BACKUP_NO_OFFLINE`],
/// [`BACKUP_NO_DRILL`] / [`BACKUP_DRILL_FAILED`] once each, and per job (detail = method)
/// [`BACKUP_GENERATIONS`] and [`BACKUP_STALE`]. Drills dated after `today` are ignored.
/// Boundaries: a job is stale when today − last success > max(`max_age_days`,
/// `frequency_days`); a drill counts when today − date ≤ `drill_within_days`.
pub fn backup_findings(
    systems: &[String],
    jobs: &[BackupJob],
    drills: &[RestoreDrill],
    policy: &BackupPolicy,
    today: Date,
) -> Vec<NewFinding> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut order: Vec<String> = Vec::new();
    for s in systems.iter().chain(jobs.iter().map(|j| &j.system)) {
        let s = s.trim();
        if !s.is_empty() && names.insert(s.to_owned()) {
            order.push(s.to_owned());
        }
    }
    let mut out = Vec::new();
    for system in &order {
        let mine: Vec<&BackupJob> = jobs.iter().filter(|j| j.system.trim() == system).collect();
        if mine.is_empty() {
            out.push(backup_finding(
                BACKUP_NONE,
                system,
                "-",
                Severity::High,
                "バックアップが取得されていません".to_owned(),
                "このシステムのバックアップ取得の記録がありません。診療継続に必要なデータのバックアップを取得し、登録してください。".to_owned(),
                json!({ "system": system }),
            ));
            continue;
        }
        for j in &mine {
            let method = match j.method.trim() {
                "" => "-",
                m => m,
            };
            if j.generations < policy.min_generations {
                out.push(backup_finding(
                    BACKUP_GENERATIONS,
                    system,
                    method,
                    Severity::Medium,
                    format!(
                        "バックアップ（{method}）の保持世代数が{}世代で、方針の{}世代に足りません",
                        j.generations, policy.min_generations
                    ),
                    "ランサムウェア等で最新のバックアップまで暗号化・破損した場合に備え、数世代のバックアップを保持してください。".to_owned(),
                    json!({ "method": method, "generations": j.generations, "min_generations": policy.min_generations }),
                ));
            }
            let limit = i64::from(policy.max_age_days.max(j.frequency_days));
            match j.last_success {
                None => out.push(backup_finding(
                    BACKUP_STALE,
                    system,
                    method,
                    Severity::High,
                    format!("バックアップ（{method}）の成功記録がありません"),
                    "バックアップが正常に完了した記録がありません。取得結果を確認してください。"
                        .to_owned(),
                    json!({ "method": method, "last_success": null, "limit_days": limit }),
                )),
                Some(d) if days_since(d, today) > limit => out.push(backup_finding(
                    BACKUP_STALE,
                    system,
                    method,
                    Severity::Medium,
                    format!(
                        "バックアップ（{method}）の最終成功が{}で、{}日以上前です",
                        wareki(d),
                        limit + 1
                    ),
                    format!(
                        "最終成功日から{}日が経過しています（許容: {limit}日）。バックアップが失敗・停止していないか確認してください。",
                        days_since(d, today)
                    ),
                    json!({ "method": method, "last_success": d.to_string(), "limit_days": limit }),
                )),
                Some(_) => {}
            }
        }
        let methods: BTreeSet<String> = mine.iter().map(|j| fold(&j.method)).collect();
        if methods.len() < 2 {
            out.push(backup_finding(
                BACKUP_SINGLE_METHOD,
                system,
                "-",
                Severity::Medium,
                "バックアップの方式が1種類だけです".to_owned(),
                "バックアップは複数の方式（例: NAS と外付けHDD・テープ・クラウド）で取得してください。".to_owned(),
                json!({ "methods": mine.iter().map(|j| j.method.trim()).collect::<Vec<_>>() }),
            ));
        }
        if !mine.iter().any(|j| j.offline_or_immutable) {
            out.push(backup_finding(
                BACKUP_NO_OFFLINE,
                system,
                "-",
                Severity::High,
                "マルウェアの影響が及ばないバックアップがありません".to_owned(),
                "バックアップの一部は、ネットワークから切り離す（オフライン）か改ざんできない（イミュータブル）形で管理してください。".to_owned(),
                json!({ "methods": mine.iter().map(|j| j.method.trim()).collect::<Vec<_>>() }),
            ));
        }
        let last = drills
            .iter()
            .filter(|d| d.system.trim() == system && d.date <= today)
            .max_by_key(|d| (d.date, d.ok));
        let window = i64::from(policy.drill_within_days);
        match last {
            Some(d) if days_since(d.date, today) <= window => {
                if !d.ok {
                    out.push(backup_finding(
                        BACKUP_DRILL_FAILED,
                        system,
                        "-",
                        Severity::High,
                        format!("直近の復旧訓練（{}）で復元できませんでした", wareki(d.date)),
                        "復元手順を見直し、再度復旧訓練を行って復元できることを確認してください。"
                            .to_owned(),
                        json!({ "date": d.date.to_string(), "ok": false, "minutes": d.minutes }),
                    ));
                }
            }
            _ => out.push(backup_finding(
                BACKUP_NO_DRILL,
                system,
                "-",
                Severity::Medium,
                format!("{window}日以内に復旧訓練（リストアテスト）の記録がありません"),
                "バックアップから実際に復元できること、復元にかかる時間を、復旧訓練で定期的に確認してください。".to_owned(),
                json!({ "last_drill": last.map(|d| d.date.to_string()), "window_days": window }),
            )),
        }
    }
    dedup(out)
}
