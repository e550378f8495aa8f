//! Rules over the asset ledger (台帳): known vulnerabilities (NVD, with CISA KEV as 最優先),
//! end of support, and the device settings the checklist asks about — 2-(2) remote
//! maintenance, 2-(7) patches, 2-(8) source restrictions, 2-(9) unneeded services — plus the
//! 2-(1) auto-evidence "the ledger is non-empty, complete and reviewed within 12 months".
//!
//! Matching itself (CPE derivation, NVD configuration evaluation, version schemes) is the
//! `anzen-vuln` crate; this module turns its results into [`NewFinding`]s keyed per asset.

use anzen_catalog::Item;
use anzen_catalog::evidence::{ASSET_LEDGER_COMPLETE, AutoAnswer, EvidenceRule, Facts, Suggestion};
use anzen_vuln::alias::{AliasTable, AssetDescription};
use anzen_vuln::eos::{EosTable, eos_finding};
use anzen_vuln::feeds::{CveRecord, KevCatalog};
use anzen_vuln::finding::{Finding as VulnFinding, FindingKind, Priority};
use anzen_vuln::matcher::CveIndex;
use jiff::civil::Date;
use serde_json::json;

use crate::asset::{AssetData, AssetKind, AssetStatus};
use crate::finding::{NewFinding, Severity};

/// Rule ids this module produces start with one of these (for reconciling).
pub const RULE_PREFIXES: [&str; 3] = ["vuln.", "eos.", "asset."];

/// Days before an end of support that count as 間近.
pub const EOS_NEAR_DAYS: i64 = 180;

/// The feeds to match against.
pub struct VulnData<'a> {
    pub cves: &'a [CveRecord],
    pub kev: Option<&'a KevCatalog>,
}

/// The data files: product aliases and end-of-support dates.
pub struct Tables {
    pub aliases: AliasTable,
    pub eos: EosTable,
}

impl Tables {
    /// The tables shipped with anzen.
    pub fn builtin() -> Result<Tables, String> {
        Ok(Tables {
            aliases: AliasTable::builtin().map_err(|e| e.to_string())?,
            eos: EosTable::builtin().map_err(|e| e.to_string())?,
        })
    }
}

fn severity(p: Priority) -> Severity {
    match p {
        Priority::Critical => Severity::Critical,
        Priority::High => Severity::High,
        Priority::Medium => Severity::Medium,
        Priority::Low => Severity::Low,
        Priority::Info => Severity::Info,
    }
}

fn description(a: &AssetData) -> AssetDescription {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    AssetDescription {
        vendor: s(&a.vendor),
        product: s(&a.product),
        version: s(&a.version),
        os: s(&a.os),
        cpe: s(&a.cpe),
    }
}

/// The subject prefix of asset findings.
const ASSET_SUBJECT: &str = "asset:";

/// The finding subject of the asset with 資産ID `key`: `asset:{key}`.
pub fn asset_subject(key: &str) -> String {
    format!("{ASSET_SUBJECT}{key}")
}

/// The 資産ID an asset finding's subject names, if it is one.
pub fn asset_key(subject: &str) -> Option<&str> {
    subject.strip_prefix(ASSET_SUBJECT)
}

fn subject(a: &AssetData) -> String {
    asset_subject(&a.key)
}

fn from_vuln(a: &AssetData, f: &VulnFinding) -> NewFinding {
    let detail = f
        .cve
        .as_ref()
        .map(|c| c.id.clone())
        .or_else(|| f.eos.as_ref().map(|e| e.entry_id.clone()))
        .unwrap_or_default();
    let rule = f.kind.rule_id();
    let mut evidence = json!({ "kind": f.kind.label_ja(), "priority": f.priority.label_ja() });
    if let Some(c) = &f.cve {
        evidence["cve"] = json!(c.id);
        if let Some(s) = &c.cvss {
            evidence["cvss"] = json!(format!("{s:?}"));
        }
    }
    if let Some(k) = &f.kev {
        evidence["kev"] = json!({
            "date_added": k.date_added.to_string(),
            "due_date": k.due_date.to_string(),
            "required_action": k.required_action,
            "name": k.vulnerability_name,
        });
    }
    if let Some(e) = &f.eos {
        evidence["end_of_support"] = json!({
            "name": e.name, "end": e.end.to_string(), "source": e.source,
        });
    }
    NewFinding {
        key: format!("{rule}/{}/{detail}", subject(a)),
        rule: rule.to_owned(),
        subject: subject(a),
        severity: severity(f.priority),
        title: format!("{}（{}）: {}", a.name, a.key, f.title_ja),
        message: f.reasons_ja.join("\n"),
        checklist: vec!["2-(7)".to_owned()],
        evidence,
        due_hint: f.kev.as_ref().map(|k| k.due_date.to_string()),
    }
}

fn setting(
    a: &AssetData,
    rule: &str,
    sev: Severity,
    item: &str,
    title: &str,
    why: String,
) -> NewFinding {
    NewFinding {
        key: format!("{rule}/{}", subject(a)),
        rule: rule.to_owned(),
        subject: subject(a),
        severity: sev,
        title: format!("{}（{}）: {title}", a.name, a.key),
        message: why,
        checklist: vec![item.to_owned()],
        evidence: json!({ "asset": a.key }),
        due_hint: None,
    }
}

/// Every finding the asset rules produce now, for the assets in service (稼働・停止; 廃棄
/// is not checked).
pub fn findings(
    assets: &[AssetData],
    vuln: &VulnData<'_>,
    tables: &Tables,
    today: Date,
) -> Vec<NewFinding> {
    let index = CveIndex::new(vuln.cves);
    let mut out = Vec::new();
    for a in assets.iter().filter(|a| a.status != AssetStatus::Retired) {
        let desc = description(a);
        match tables.aliases.derive(&desc) {
            Ok(d) => {
                for f in index.findings(vuln.kev, &d.names()) {
                    out.push(from_vuln(a, &f));
                }
            }
            Err(u) if matches!(a.kind, AssetKind::Server | AssetKind::Network) => {
                out.push(setting(
                    a,
                    "vuln.no_cpe",
                    Severity::Info,
                    "2-(7)",
                    "脆弱性を照合できません（要確認）",
                    format!(
                        "{}。製造元・製品名・バージョン・OS を台帳に記入するか、CPE 列に CPE 名を記入してください。",
                        u.reason_ja
                    ),
                ));
            }
            Err(_) => {}
        }
        let status = tables.eos.evaluate(&desc, today, EOS_NEAR_DAYS);
        if let Some(f) = eos_finding(&status)
            && f.kind != FindingKind::EndOfSupportNeedsReview
        {
            out.push(from_vuln(a, &f));
        }
        if a.internet_facing == Some(true) && a.source_restricted != Some(true) {
            out.push(setting(
                a,
                "asset.source_unrestricted",
                Severity::High,
                "2-(8)",
                "外部接続があるのに接続元が制限されていません",
                "外部（インターネット等）と接続する機器は、接続元（IPアドレス等）を制限してください。制限済みなら台帳の「接続元制限」を「あり」にしてください。".to_owned(),
            ));
        }
        if a.services_minimized == Some(false) {
            out.push(setting(
                a,
                "asset.services",
                Severity::Medium,
                "2-(9)",
                "不要なサービスが停止されていません",
                "使用しないポート・サービスを停止してください（停止したら台帳の「不要サービス停止」を「あり」に）。".to_owned(),
            ));
        }
        if a.remote_maintenance == Some(true)
            && a.maintainer.as_deref().is_none_or(|m| m.trim().is_empty())
        {
            out.push(setting(
                a,
                "asset.remote_maintenance_owner",
                Severity::Medium,
                "2-(2)",
                "リモートメンテナンスの保守事業者が不明です",
                "リモートメンテナンスを利用する機器は、接続する保守事業者を台帳に記入し、接続方法と接続元の制限を事業者に確認してください。".to_owned(),
            ));
        }
    }
    out
}

/// What the 2-(1) rule needs to know about the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSummary {
    /// Assets in service (稼働・停止).
    pub in_service: usize,
    /// 資産ID of assets in service that lack 設置場所/管理部署, or both 製品名 and OS.
    pub incomplete: Vec<String>,
    /// The latest 棚卸 (review) date.
    pub last_review: Option<Date>,
}

impl LedgerSummary {
    /// Summarises the ledger.
    pub fn of(assets: &[AssetData], last_review: Option<Date>) -> LedgerSummary {
        let live: Vec<&AssetData> = assets
            .iter()
            .filter(|a| a.status != AssetStatus::Retired)
            .collect();
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        LedgerSummary {
            in_service: live.len(),
            incomplete: live
                .iter()
                .filter(|a| {
                    (blank(&a.location) && blank(&a.department))
                        || (blank(&a.product) && blank(&a.os))
                })
                .map(|a| a.key.clone())
                .collect(),
            last_review,
        }
    }
}

/// 2-(1) サーバ、端末PC、ネットワーク機器の台帳管理を行っている ← the ledger is non-empty,
/// every asset in service has its location or department and its product or OS, and it
/// was reviewed (棚卸) within the 12 months before `today`.
#[derive(Debug, Clone)]
pub struct AssetLedgerComplete {
    pub summary: LedgerSummary,
    pub today: Date,
}

impl EvidenceRule for AssetLedgerComplete {
    fn key(&self) -> &str {
        ASSET_LEDGER_COMPLETE
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        let s = &self.summary;
        let mut reasons = Vec::new();
        let mut ok = true;
        if s.in_service == 0 {
            ok = false;
            reasons.push("台帳に稼働中の機器が登録されていません。".to_owned());
        } else {
            reasons.push(format!(
                "台帳に稼働中の機器が{}台登録されています。",
                s.in_service
            ));
        }
        if !s.incomplete.is_empty() {
            ok = false;
            let shown: Vec<&str> = s.incomplete.iter().take(5).map(String::as_str).collect();
            reasons.push(format!(
                "設置場所・管理部署、または製品名・OS が未記入の機器が{}台あります（{}{}）。",
                s.incomplete.len(),
                shown.join("、"),
                if s.incomplete.len() > 5 {
                    " ほか"
                } else {
                    ""
                }
            ));
        }
        let year_ago = self
            .today
            .checked_sub(jiff::Span::new().years(1))
            .unwrap_or(self.today);
        match s.last_review {
            Some(d) if d >= year_ago => {
                reasons.push(format!("最後の棚卸は{d}です（12か月以内）。"))
            }
            Some(d) => {
                ok = false;
                reasons.push(format!("最後の棚卸は{d}で、12か月以上前です。"));
            }
            None => {
                ok = false;
                reasons.push("台帳の棚卸（見直し）の記録がありません。".to_owned());
            }
        }
        AutoAnswer {
            suggestion: if ok { Suggestion::Yes } else { Suggestion::No },
            reasons_ja: reasons,
        }
    }
}

/// An open finding, as the evidence rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFinding {
    pub rule: String,
    pub title: String,
}

/// 2-(2), 2-(7), 2-(8), 2-(9) from the ledger and the open findings: いいえ while a finding of
/// the item's rules is open; 判定できません while the ledger is empty, a device's relevant
/// column is blank, or (2-(7)) no vulnerability data is loaded; はい otherwise — each with
/// the reasons.
#[derive(Debug, Clone)]
pub struct SettingsEvidence {
    key: &'static str,
    /// What the item asks, for the reasons.
    what: &'static str,
    in_service: usize,
    open: Vec<String>,
    blank: Vec<String>,
    blank_column: &'static str,
    no_data: Option<&'static str>,
}

impl SettingsEvidence {
    /// The four rules for the ledger's assets, the open findings and whether NVD data is
    /// loaded.
    pub fn all(
        assets: &[AssetData],
        open: &[OpenFinding],
        nvd_loaded: bool,
    ) -> Vec<SettingsEvidence> {
        let live: Vec<&AssetData> = assets
            .iter()
            .filter(|a| a.status != AssetStatus::Retired)
            .collect();
        let opened = |prefixes: &[&str]| -> Vec<String> {
            open.iter()
                .filter(|f| prefixes.iter().any(|p| f.rule.starts_with(p)))
                .map(|f| f.title.clone())
                .collect()
        };
        let blank = |kinds: &[AssetKind], col: fn(&AssetData) -> Option<bool>| -> Vec<String> {
            live.iter()
                .filter(|a| kinds.contains(&a.kind) && col(a).is_none())
                .map(|a| a.key.clone())
                .collect()
        };
        let devices = [
            AssetKind::Server,
            AssetKind::Network,
            AssetKind::MedicalDevice,
        ];
        vec![
            SettingsEvidence {
                key: anzen_catalog::evidence::REMOTE_MAINTENANCE_KNOWN,
                what: "リモートメンテナンスの有無と保守事業者",
                in_service: live.len(),
                open: opened(&["asset.remote_maintenance_owner"]),
                blank: blank(&devices, |a| a.remote_maintenance),
                blank_column: "リモートメンテナンス",
                no_data: None,
            },
            SettingsEvidence {
                key: anzen_catalog::evidence::NO_VULNERABILITY_FINDINGS,
                what: "既知の脆弱性とサポート終了",
                in_service: live.len(),
                open: opened(&["vuln.cve", "eos.past"]),
                blank: Vec::new(),
                blank_column: "",
                no_data: (!nvd_loaded).then_some(
                    "脆弱性情報（NVD）が取り込まれていないため、既知の脆弱性を照合できません。",
                ),
            },
            SettingsEvidence {
                key: anzen_catalog::evidence::SOURCE_RESTRICTED,
                what: "外部接続する機器の接続元制限",
                in_service: live.len(),
                open: opened(&["asset.source_unrestricted"]),
                blank: blank(&[AssetKind::Network], |a| a.internet_facing),
                blank_column: "外部接続",
                no_data: None,
            },
            SettingsEvidence {
                key: anzen_catalog::evidence::SERVICES_MINIMIZED,
                what: "不要なサービスの停止",
                in_service: live.len(),
                open: opened(&["asset.services"]),
                blank: blank(&[AssetKind::Server, AssetKind::Pc], |a| {
                    a.services_minimized
                }),
                blank_column: "不要サービス停止",
                no_data: None,
            },
        ]
    }
}

impl EvidenceRule for SettingsEvidence {
    fn key(&self) -> &str {
        self.key
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        let list = |v: &[String]| {
            let shown: Vec<&str> = v.iter().take(5).map(String::as_str).collect();
            format!(
                "{}{}",
                shown.join("、"),
                if v.len() > 5 { " ほか" } else { "" }
            )
        };
        if self.in_service == 0 {
            return AutoAnswer::unknown(
                "資産台帳に稼働中の機器が登録されていないため判定できません。",
            );
        }
        if !self.open.is_empty() {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec![format!(
                    "{}について未解消の指摘が{}件あります: {}。",
                    self.what,
                    self.open.len(),
                    list(&self.open)
                )],
            };
        }
        if let Some(why) = self.no_data {
            return AutoAnswer::unknown(why);
        }
        if !self.blank.is_empty() {
            return AutoAnswer::unknown(format!(
                "台帳の「{}」が未記入の機器が{}台あります（{}）。",
                self.blank_column,
                self.blank.len(),
                list(&self.blank)
            ));
        }
        AutoAnswer {
            suggestion: Suggestion::Yes,
            reasons_ja: vec![format!(
                "資産台帳の{}台について、{}に関する未解消の指摘はありません。",
                self.in_service, self.what
            )],
        }
    }
}
