//! The asset rules against the real NVD and KEV records in `../shared/feeds`: a FortiGate on
//! a vulnerable FortiOS is 最優先 with the KEV due date; device settings map to their
//! checklist items; retired assets are not checked; the 2-(1) evidence rule.

use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
use anzen_core::asset::{AssetData, AssetKind, AssetStatus};
use anzen_core::finding::Severity;
use anzen_core::rules::assets::{AssetLedgerComplete, LedgerSummary, Tables, VulnData, findings};
use anzen_vuln::feeds::{FeedData, parse_feed};

fn feed(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("the shared feed fixture {path}: {e}"))
}

fn asset(key: &str, kind: AssetKind) -> AssetData {
    AssetData {
        key: key.into(),
        kind,
        name: format!("{key} 機器"),
        vendor: None,
        product: None,
        version: None,
        os: None,
        hostname: None,
        ip: None,
        location: Some("サーバ室".into()),
        department: None,
        maintainer: None,
        remote_maintenance: None,
        internet_facing: None,
        source_restricted: None,
        usb_restricted: None,
        services_minimized: None,
        last_patched: None,
        status: AssetStatus::Active,
        cpe: None,
    }
}

#[test]
fn vulnerable_vpn_appliance_is_top_priority_with_the_kev_due_date() {
    let nvd = parse_feed(&feed("nvd.json")).expect("nvd");
    let kev = parse_feed(&feed("kev.json")).expect("kev");
    let (FeedData::Nvd(cves), FeedData::Kev(kev)) = (nvd.data, kev.data) else {
        panic!("unexpected feed kinds");
    };
    let tables = Tables::builtin().expect("tables");
    let mut fw = asset("FW-01", AssetKind::Network);
    fw.vendor = Some("Fortinet".into());
    fw.product = Some("FortiGate 60F".into());
    fw.os = Some("FortiOS 6.0.4".into());
    fw.version = Some("6.0.4".into());
    fw.internet_facing = Some(true);
    fw.source_restricted = Some(false);
    let mut retired = fw.clone();
    retired.key = "FW-OLD".into();
    retired.status = AssetStatus::Retired;
    let mut pc = asset("PC-01", AssetKind::Pc);
    pc.vendor = Some("Microsoft".into());
    pc.os = Some("Windows 10 Pro 22H2".into());
    pc.services_minimized = Some(false);
    let today = jiff::civil::date(2026, 11, 22);
    let found = findings(
        &[fw, retired, pc],
        &VulnData {
            cves: &cves,
            kev: Some(&kev),
        },
        &tables,
        today,
    );
    let cve = found
        .iter()
        .find(|f| f.key == "vuln.cve/asset:FW-01/CVE-2018-13379")
        .expect("CVE-2018-13379 on FW-01");
    assert_eq!(cve.severity, Severity::Critical);
    assert_eq!(cve.due_hint.as_deref(), Some("2022-05-03"));
    assert_eq!(cve.checklist, vec!["2-(7)".to_owned()]);
    assert!(cve.message.contains("6.0.4"), "{}", cve.message);
    assert!(
        found
            .iter()
            .any(|f| f.rule == "asset.source_unrestricted" && f.checklist == ["2-(8)"])
    );
    assert!(
        found
            .iter()
            .any(|f| f.rule == "asset.services" && f.subject == "asset:PC-01")
    );
    assert!(
        found
            .iter()
            .any(|f| f.rule == "eos.past" && f.subject == "asset:PC-01"),
        "Windows 10 is past its end of support on 2026-11-22: {found:#?}"
    );
    assert!(
        !found.iter().any(|f| f.subject == "asset:FW-OLD"),
        "retired assets are not checked"
    );
    // Keys are unique: reconciling relies on it.
    let mut keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn ledger_evidence_needs_assets_complete_rows_and_a_recent_review() {
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    let (_, item) = cat
        .items()
        .find(|(_, i)| i.auto_evidence.as_deref() == Some("asset_ledger_complete"))
        .expect("an item with asset_ledger_complete");
    let today = jiff::civil::date(2026, 11, 22);
    let rule = |assets: &[AssetData], review| AssetLedgerComplete {
        summary: LedgerSummary::of(assets, review),
        today,
    };
    let empty = rule(&[], None).evaluate(item, &Facts::default());
    assert_eq!(empty.suggestion, Suggestion::No);
    assert!(empty.reasons_ja[0].contains("登録されていません"));
    let mut a = asset("SV-01", AssetKind::Server);
    a.os = Some("Windows Server 2022".into());
    let ok =
        rule(&[a.clone()], Some(jiff::civil::date(2026, 4, 1))).evaluate(item, &Facts::default());
    assert_eq!(ok.suggestion, Suggestion::Yes, "{:?}", ok.reasons_ja);
    let stale =
        rule(&[a.clone()], Some(jiff::civil::date(2025, 11, 1))).evaluate(item, &Facts::default());
    assert_eq!(stale.suggestion, Suggestion::No);
    assert!(stale.reasons_ja.iter().any(|r| r.contains("12か月以上前")));
    a.os = None;
    let incomplete =
        rule(&[a], Some(jiff::civil::date(2026, 4, 1))).evaluate(item, &Facts::default());
    assert_eq!(incomplete.suggestion, Suggestion::No);
    assert!(incomplete.reasons_ja.iter().any(|r| r.contains("SV-01")));
}

#[test]
fn settings_evidence_follows_open_findings_and_blank_columns() {
    use anzen_core::rules::assets::{OpenFinding, SettingsEvidence};
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    let item_for = |key: &str| {
        cat.items()
            .find(|(_, i)| i.auto_evidence.as_deref() == Some(key))
            .map(|(_, i)| i.clone())
            .unwrap_or_else(|| panic!("an item with {key}"))
    };
    let eval = |rules: &[SettingsEvidence], key: &str| {
        let rule = rules.iter().find(|r| r.key() == key).expect("rule");
        rule.evaluate(&item_for(key), &Facts::default())
    };
    // Empty ledger: nothing can be said.
    let none = SettingsEvidence::all(&[], &[], true);
    assert_eq!(
        eval(&none, "source_restricted").suggestion,
        Suggestion::Unknown
    );

    let mut fw = asset("FW-01", AssetKind::Network);
    fw.internet_facing = Some(true);
    fw.source_restricted = Some(true);
    fw.remote_maintenance = Some(false);
    let mut sv = asset("SV-01", AssetKind::Server);
    sv.remote_maintenance = Some(true);
    sv.maintainer = Some("保守会社".into());
    let open = vec![OpenFinding {
        rule: "vuln.cve".into(),
        title: "VPN装置（FW-01）: CVE-2018-13379".into(),
    }];
    let rules = SettingsEvidence::all(&[fw.clone(), sv.clone()], &open, true);
    let patches = eval(&rules, "no_vulnerability_findings");
    assert_eq!(patches.suggestion, Suggestion::No);
    assert!(patches.reasons_ja[0].contains("CVE-2018-13379"));
    assert_eq!(
        eval(&rules, "source_restricted").suggestion,
        Suggestion::Yes
    );
    assert_eq!(
        eval(&rules, "remote_maintenance_known").suggestion,
        Suggestion::Yes
    );
    let services = eval(&rules, "services_minimized");
    assert_eq!(services.suggestion, Suggestion::Unknown);
    assert!(
        services.reasons_ja[0].contains("SV-01"),
        "{:?}",
        services.reasons_ja
    );
    // Without NVD data, no "はい" for patches even with nothing open.
    let rules = SettingsEvidence::all(&[fw, sv], &[], false);
    assert_eq!(
        eval(&rules, "no_vulnerability_findings").suggestion,
        Suggestion::Unknown
    );
}
