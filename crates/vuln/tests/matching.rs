//! Matching the real NVD records against assets. Expected values come from reading the
//! records' `configurations` (and the feeds README's strict-semantics table), not from
//! running the code.

mod common;

use std::collections::BTreeSet;

use anzen_vuln::cpe::Cpe;
use anzen_vuln::feeds::{CveRecord, FeedData, parse_feed};
use anzen_vuln::finding::{FindingKind, Priority};
use anzen_vuln::matcher::{MatchResult, assess, match_cve};
use common::{asset, cve, kev, nvd_records};
use jiff::civil::date;

/// (matched CVE ids, 要確認 CVE ids) of an asset over all records.
fn run(records: &[CveRecord], a: &[Cpe]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut m = BTreeSet::new();
    let mut r = BTreeSet::new();
    for rec in records {
        match match_cve(rec, a) {
            MatchResult::Match { .. } => {
                m.insert(rec.id.clone());
            }
            MatchResult::NeedsReview { .. } => {
                r.insert(rec.id.clone());
            }
            MatchResult::NoMatch => {}
        }
    }
    (m, r)
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn check(records: &[CveRecord], label: &str, a: Cpe, expected: &[&str]) {
    let (m, r) = run(records, std::slice::from_ref(&a));
    assert_eq!(m, set(expected), "{label}: matches (要確認: {r:?})");
}

#[test]
fn fortios_ranges_on_both_sides_of_each_boundary() {
    let recs = nvd_records();
    let f = |v| asset("o:fortinet:fortios", v);
    let table: &[(&str, &[&str])] = &[
        ("5.4.5", &["CVE-2023-25610"]),
        ("5.4.6", &["CVE-2018-13379", "CVE-2023-25610"]),
        ("5.6.7", &["CVE-2018-13379", "CVE-2023-25610"]),
        ("5.6.8", &["CVE-2023-25610"]),
        (
            "6.0.4",
            &["CVE-2018-13379", "CVE-2023-25610", "CVE-2023-27997"],
        ),
        ("6.0.5", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("6.0.16", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("6.0.17", &["CVE-2023-25610"]),
        ("6.2.12", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("6.2.13", &["CVE-2023-27997"]),
        ("6.2.14", &[]),
        ("6.4.11", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("6.4.12", &["CVE-2023-27997"]),
        ("6.4.13", &[]),
        (
            "7.0.6",
            &["CVE-2022-40684", "CVE-2023-25610", "CVE-2023-27997"],
        ),
        ("7.0.7", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("7.0.9", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("7.0.10", &["CVE-2023-27997"]),
        ("7.0.11", &["CVE-2023-27997"]),
        ("7.0.12", &[]),
        (
            "7.2.1",
            &["CVE-2022-40684", "CVE-2023-25610", "CVE-2023-27997"],
        ),
        ("7.2.2", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("7.2.3", &["CVE-2023-25610", "CVE-2023-27997"]),
        ("7.2.4", &["CVE-2023-27997"]),
        ("7.2.5", &[]),
        ("7.4.0", &[]),
    ];
    for (v, expected) in table {
        check(&recs, &format!("FortiOS {v}"), f(v), expected);
        let (_, review) = run(&recs, &[f(v)]);
        assert!(
            review.is_empty(),
            "FortiOS {v}: no 要確認 expected, got {review:?}"
        );
    }
}

#[test]
fn fortigate_6_0_4_is_critical_with_kev_due_date() {
    let recs = nvd_records();
    let k = kev();
    let a = [asset("o:fortinet:fortios", "6.0.4")];
    let rec = cve(&recs, "CVE-2018-13379");
    match match_cve(rec, &a) {
        MatchResult::Match { explanation, hits } => {
            assert!(
                explanation.contains(
                    "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:* の 6.0.0 以上 6.0.5 未満 に該当 (6.0.4)"
                ),
                "{explanation}"
            );
            assert_eq!(hits.len(), 1);
            assert_eq!(hits[0].configuration, 1);
        }
        other => panic!("expected a match, got {other:?}"),
    }
    let f = assess(rec, Some(&k), &a).expect("finding");
    assert_eq!(f.kind, FindingKind::Vulnerability);
    assert_eq!(f.priority, Priority::Critical);
    assert_eq!(f.priority.label_ja(), "最優先");
    let kev_ref = f.kev.as_ref().expect("KEV data");
    assert_eq!(kev_ref.due_date, date(2022, 5, 3));
    assert_eq!(
        kev_ref.required_action,
        "Apply updates per vendor instructions."
    );
    assert!(
        f.title_ja.contains("最優先") && f.title_ja.contains("2022-05-03"),
        "{}",
        f.title_ja
    );
    assert!(
        f.reasons_ja
            .iter()
            .any(|r| r.contains("6.0.0 以上 6.0.5 未満"))
    );

    // Not in KEV: priority from CVSS (9.8 CRITICAL → 高).
    let g = assess(cve(&recs, "CVE-2023-25610"), Some(&k), &a).expect("finding");
    assert_eq!(g.priority, Priority::High);
    assert!(g.kev.is_none());
    // Without a KEV catalog the KEV CVE falls back to CVSS.
    assert_eq!(
        assess(rec, None, &a).map(|f| f.priority),
        Some(Priority::High)
    );
    // No finding when it does not match.
    assert!(assess(rec, Some(&k), &[asset("o:fortinet:fortios", "6.0.5")]).is_none());
}

#[test]
fn fortios_end_including_boundary_is_explained() {
    let recs = nvd_records();
    let r = match_cve(
        cve(&recs, "CVE-2023-27997"),
        &[asset("o:fortinet:fortios", "6.0.16")],
    );
    let MatchResult::Match { explanation, .. } = r else {
        panic!("expected match, got {r:?}")
    };
    assert!(
        explanation.contains("の 6.0.0 以上 6.0.16 以下 に該当 (6.0.16)"),
        "{explanation}"
    );
}

#[test]
fn citrix_release_lines_builds_and_sw_edition() {
    let recs = nvd_records();
    let fw = |v| asset("o:citrix:application_delivery_controller_firmware", v);
    check(
        &recs,
        "ADC 13.0",
        fw("13.0"),
        &["CVE-2019-19781", "CVE-2022-27510"],
    );
    check(
        &recs,
        "ADC 13.0-88.11",
        fw("13.0-88.11"),
        &["CVE-2022-27510"],
    );
    check(&recs, "ADC 13.0-88.12", fw("13.0-88.12"), &[]);
    check(
        &recs,
        "ADC 13.1-33.46",
        fw("13.1-33.46"),
        &["CVE-2022-27510"],
    );
    check(&recs, "ADC 13.1-33.47", fw("13.1-33.47"), &[]);
    check(
        &recs,
        "ADC 12.1-65.20",
        fw("12.1-65.20"),
        &["CVE-2022-27510"],
    );
    check(&recs, "ADC 12.1-65.21", fw("12.1-65.21"), &[]);
    check(&recs, "ADC 11.1", fw("11.1"), &["CVE-2019-19781"]);
    check(&recs, "ADC 14.1", fw("14.1"), &[]);
    // Strict policy 1: a build is not the release line `13.0`.
    check(
        &recs,
        "ADC 13.0-47.24",
        fw("13.0-47.24"),
        &["CVE-2022-27510"],
    );
    // FIPS edition: only configuration 3 (sw_edition fips, < 12.1-55.289) applies.
    check(
        &recs,
        "ADC 12.1-55.288 FIPS",
        fw("12.1-55.288").with_sw_edition("fips"),
        &["CVE-2022-27510"],
    );
    check(
        &recs,
        "ADC 12.1-55.289 FIPS",
        fw("12.1-55.289").with_sw_edition("fips"),
        &[],
    );
    check(
        &recs,
        "Gateway 13.1-33.40",
        asset("a:citrix:gateway", "13.1-33.40"),
        &["CVE-2022-27510"],
    );
    check(
        &recs,
        "Gateway 13.1-33.41",
        asset("a:citrix:gateway", "13.1-33.41"),
        &[],
    );
}

/// AND configurations with a `vulnerable: false` platform node.
#[test]
fn and_configuration_with_platform_node() {
    let recs = nvd_records();
    let rec = cve(&recs, "CVE-2019-19781");
    let fw = asset("o:citrix:application_delivery_controller_firmware", "13.0");

    // Hardware not in the ledger: the platform condition is assumed and said so.
    let MatchResult::Match { explanation, hits } = match_cve(rec, std::slice::from_ref(&fw)) else {
        panic!("expected match")
    };
    assert_eq!(hits.len(), 1);
    assert!(hits.iter().all(|h| h.vulnerable));
    assert!(explanation.contains("成立とみなしました"), "{explanation}");

    // Hardware given and listed: matches, the platform is named.
    let hw = asset("h:citrix:application_delivery_controller", "-");
    let MatchResult::Match { explanation, .. } = match_cve(rec, &[fw.clone(), hw.clone()]) else {
        panic!("expected match")
    };
    assert!(
        explanation
            .contains("前提のプラットフォーム cpe:2.3:h:citrix:application_delivery_controller:-"),
        "{explanation}"
    );

    // Hardware given but another one: the AND fails.
    let other_hw = asset("h:citrix:netscaler_gateway", "-");
    assert_eq!(match_cve(rec, &[fw, other_hw]), MatchResult::NoMatch);

    // The platform alone is never the finding.
    assert_eq!(match_cve(rec, &[hw]), MatchResult::NoMatch);
}

/// CVE-2017-0144: Windows appears only as platforms of `server_message_block:1.0`.
#[test]
fn platform_only_os_is_never_the_finding() {
    let recs = nvd_records();
    let rec = cve(&recs, "CVE-2017-0144");
    let w2012r2 = asset("o:microsoft:windows_server_2012", "r2");
    let smb = asset("a:microsoft:server_message_block", "1.0");
    assert_eq!(
        match_cve(rec, std::slice::from_ref(&w2012r2)),
        MatchResult::NoMatch
    );
    let MatchResult::Match { explanation, hits } = match_cve(rec, &[w2012r2, smb.clone()]) else {
        panic!("expected match")
    };
    assert_eq!(hits.len(), 1);
    assert!(hits[0].criteria.contains("server_message_block"));
    assert!(
        explanation.contains("前提のプラットフォーム cpe:2.3:o:microsoft:windows_server_2012:r2"),
        "{explanation}"
    );
    // SMBv1 on an OS the record does not list (Windows Server 2019): no match.
    let w2019 = asset("o:microsoft:windows_server_2019", "-");
    assert_eq!(match_cve(rec, &[w2019, smb.clone()]), MatchResult::NoMatch);
    // SMBv1 with no OS in the ledger: the platform is assumed.
    assert!(match_cve(rec, &[smb]).is_match());
}

#[test]
fn pulse_ivanti_release_in_update_field() {
    let recs = nvd_records();
    let ics = |v: &str, u: &str| asset("a:ivanti:connect_secure", v).with_update(u);
    check(
        &recs,
        "ICS 9.0R3.3",
        ics("9.0", "r3.3"),
        &["CVE-2019-11510"],
    );
    check(&recs, "ICS 9.0R3.4", ics("9.0", "r3.4"), &[]);
    check(
        &recs,
        "ICS 8.3R7",
        ics("8.3", "r7"),
        &["CVE-2019-11510", "CVE-2019-11540"],
    );
    check(
        &recs,
        "ICS 8.3R7.1",
        ics("8.3", "r7.1"),
        &["CVE-2019-11540"],
    );
    check(
        &recs,
        "ICS 8.2R12.0",
        ics("8.2", "r12.0"),
        &["CVE-2019-11510"],
    );
    check(&recs, "ICS 8.2R12.1", ics("8.2", "r12.1"), &[]);
    check(
        &recs,
        "PCS 9.0r3.2",
        asset("a:pulsesecure:pulse_connect_secure", "9.0r3.2"),
        &["CVE-2019-11540"],
    );
    // Release unknown: the update field `*` is ambiguous → 要確認 with the reason.
    let r = match_cve(
        cve(&recs, "CVE-2019-11510"),
        &[asset("a:ivanti:connect_secure", "9.0")],
    );
    let MatchResult::NeedsReview { reason_ja } = r else {
        panic!("expected 要確認, got {r:?}")
    };
    assert!(reason_ja.contains("update"), "{reason_ja}");
}

#[test]
fn cisco_ios_xe_letter_suffixed_ends() {
    let recs = nvd_records();
    let xe = |v| asset("o:cisco:ios_xe", v);
    check(&recs, "IOS XE 16.11.1", xe("16.11.1"), &[]);
    check(&recs, "IOS XE 16.12.9", xe("16.12.9"), &["CVE-2023-20198"]);
    check(&recs, "IOS XE 16.12.10a", xe("16.12.10a"), &[]);
    check(&recs, "IOS XE 17.3.7", xe("17.3.7"), &["CVE-2023-20198"]);
    check(&recs, "IOS XE 17.3.8a", xe("17.3.8a"), &[]);
    check(&recs, "IOS XE 17.6.5", xe("17.6.5"), &["CVE-2023-20198"]);
    check(&recs, "IOS XE 17.6.6a", xe("17.6.6a"), &[]);
    check(&recs, "IOS XE 17.9.3", xe("17.9.3"), &["CVE-2023-20198"]);
    check(&recs, "IOS XE 17.9.4", xe("17.9.4"), &["CVE-2023-20198"]);
    check(&recs, "IOS XE 17.9.4a", xe("17.9.4a"), &[]);
    // Gap in the NVD configuration: 17.12 is not listed.
    check(&recs, "IOS XE 17.12.1", xe("17.12.1"), &[]);
    let k = kev();
    let f = assess(cve(&recs, "CVE-2023-20198"), Some(&k), &[xe("17.9.3")]).expect("finding");
    assert_eq!(f.priority, Priority::Critical);
    assert_eq!(f.kev.map(|k| k.due_date), Some(date(2023, 10, 20)));
}

#[test]
fn log4j_ranges_and_prerelease_update() {
    let recs = nvd_records();
    let l = |v| asset("a:apache:log4j", v);
    check(&recs, "log4j 2.14.1", l("2.14.1"), &["CVE-2021-44228"]);
    check(&recs, "log4j 2.15.0", l("2.15.0"), &[]);
    check(&recs, "log4j 2.12.1", l("2.12.1"), &["CVE-2021-44228"]);
    check(&recs, "log4j 2.12.2", l("2.12.2"), &[]);
    check(&recs, "log4j 2.3.0", l("2.3.0"), &["CVE-2021-44228"]);
    check(&recs, "log4j 2.3.1", l("2.3.1"), &[]);
    check(
        &recs,
        "log4j 2.0-beta9",
        l("2.0").with_update("beta9"),
        &["CVE-2021-44228"],
    );
    check(&recs, "log4j 1.2.17", l("1.2.17"), &[]);
}

#[test]
fn windows_builds_and_zerologon() {
    let recs = nvd_records();
    let ws = |p: &str, v: &str| asset(&format!("o:microsoft:{p}"), v);
    check(
        &recs,
        "WS2019 .2028",
        ws("windows_server_2019", "10.0.17763.2028"),
        &["CVE-2021-34527"],
    );
    check(
        &recs,
        "WS2019 .2029",
        ws("windows_server_2019", "10.0.17763.2029"),
        &[],
    );
    check(
        &recs,
        "WS2016 .4469",
        ws("windows_server_2016", "10.0.14393.4469"),
        &["CVE-2021-34527"],
    );
    check(
        &recs,
        "WS2016 .4470",
        ws("windows_server_2016", "10.0.14393.4470"),
        &[],
    );
    check(
        &recs,
        "WS2022 .229",
        ws("windows_server_2022", "10.0.20348.229"),
        &["CVE-2021-34527"],
    );
    check(
        &recs,
        "WS2022 .230",
        ws("windows_server_2022", "10.0.20348.230"),
        &[],
    );
    // Zerologon (CVE-2020-1472) lists Windows Server 2012 R2 as `windows_server_2012:r2`.
    check(
        &recs,
        "WS2012 R2",
        ws("windows_server_2012", "r2"),
        &["CVE-2020-1472", "CVE-2021-34527"],
    );
    check(
        &recs,
        "WS2008 R2 SP1",
        ws("windows_server_2008", "r2").with_update("sp1"),
        &["CVE-2020-1472", "CVE-2021-34527"],
    );
    check(
        &recs,
        "Win7 SP1",
        ws("windows_7", "-").with_update("sp1"),
        &["CVE-2021-34527"],
    );
    check(
        &recs,
        "windows_server 2022",
        ws("windows_server", "2022"),
        &["CVE-2022-21907"],
    );
    check(
        &recs,
        "SMBv1",
        asset("a:microsoft:server_message_block", "1.0"),
        &["CVE-2017-0144"],
    );
    // Build unknown (`-`): Zerologon and CVE-2022-21907 list `windows_server_2019:-`.
    let (m, r) = run(&recs, &[ws("windows_server_2019", "-")]);
    assert_eq!(m, set(&["CVE-2020-1472", "CVE-2022-21907"]));
    // … and the build range of CVE-2021-34527 cannot be decided.
    assert_eq!(r, set(&["CVE-2021-34527"]));

    let k = kev();
    let f = assess(
        cve(&recs, "CVE-2020-1472"),
        Some(&k),
        &[ws("windows_server_2012", "r2")],
    )
    .expect("finding");
    assert_eq!(f.priority, Priority::Critical);
    assert_eq!(f.kev.map(|k| k.due_date), Some(date(2020, 9, 21)));
}

/// Policy 2 pinned: a criteria version `-` (all builds, no fixed build given by NVD) against
/// an asset with a concrete build is 要確認, never a silent yes or no.
#[test]
fn criteria_without_version_against_a_build_needs_review() {
    let recs = nvd_records();
    let a = [asset("o:microsoft:windows_server_2019", "10.0.17763.2028")];
    let (m, r) = run(&recs, &a);
    assert_eq!(m, set(&["CVE-2021-34527"]));
    assert_eq!(r, set(&["CVE-2020-1472", "CVE-2022-21907"]));
    let MatchResult::NeedsReview { reason_ja } = match_cve(cve(&recs, "CVE-2020-1472"), &a) else {
        panic!("expected 要確認")
    };
    assert!(
        reason_ja.contains("10.0.17763.2028") && reason_ja.contains("修正済み"),
        "{reason_ja}"
    );
    let f = assess(cve(&recs, "CVE-2020-1472"), Some(&kev()), &a).expect("finding");
    assert_eq!(f.kind, FindingKind::VulnerabilityNeedsReview);
    // A possible KEV hit is still looked at first.
    assert_eq!(f.priority, Priority::Critical);
}

#[test]
fn unparseable_or_missing_version_needs_review_with_reason() {
    let recs = nvd_records();
    let rec = cve(&recs, "CVE-2018-13379");
    let r = match_cve(rec, &[asset("o:fortinet:fortios", "6.0.x")]);
    let MatchResult::NeedsReview { reason_ja } = &r else {
        panic!("expected 要確認, got {r:?}")
    };
    assert!(
        reason_ja.contains("6.0.x") && reason_ja.contains("FortiOS"),
        "{reason_ja}"
    );
    let f = assess(rec, Some(&kev()), &[asset("o:fortinet:fortios", "6.0.x")]).expect("finding");
    assert_eq!(f.kind, FindingKind::VulnerabilityNeedsReview);
    assert!(f.title_ja.contains("要確認"));

    let r = match_cve(rec, &[asset("o:fortinet:fortios", "*")]);
    let MatchResult::NeedsReview { reason_ja } = &r else {
        panic!("expected 要確認, got {r:?}")
    };
    assert!(reason_ja.contains("台帳にバージョンがない"), "{reason_ja}");

    // Update field unknown where the criteria requires SP1.
    let r = match_cve(
        cve(&recs, "CVE-2021-34527"),
        &[asset("o:microsoft:windows_7", "-")],
    );
    let MatchResult::NeedsReview { reason_ja } = &r else {
        panic!("expected 要確認, got {r:?}")
    };
    assert!(reason_ja.contains("sp1"), "{reason_ja}");
}

/// Node negation, checked with a small record built for the purpose.
#[test]
fn negated_node() {
    let doc = br#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{
      "id":"CVE-0000-0001","published":"2024-01-01T00:00:00.000","lastModified":"2024-01-01T00:00:00.000",
      "configurations":[{"operator":"AND","nodes":[
        {"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,
          "criteria":"cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*","versionEndExcluding":"7.0.0"}]},
        {"operator":"OR","negate":true,"cpeMatch":[{"vulnerable":false,
          "criteria":"cpe:2.3:h:fortinet:fortigate_6000:-:*:*:*:*:*:*:*"}]}]}]}}]}"#;
    let FeedData::Nvd(recs) = parse_feed(doc).expect("parses").data else {
        panic!("not NVD")
    };
    let rec = &recs[0];
    let os = asset("o:fortinet:fortios", "6.0.4");
    let excluded = asset("h:fortinet:fortigate_6000", "-");
    let other = asset("h:fortinet:fortigate_60f", "-");
    assert_eq!(
        match_cve(rec, &[os.clone(), excluded]),
        MatchResult::NoMatch
    );
    assert!(match_cve(rec, &[os.clone(), other]).is_match());
    // Hardware unknown: the exclusion cannot be decided.
    assert!(match_cve(rec, &[os]).is_review());
}

#[test]
fn ubuntu_sw_edition_from_record() {
    let recs = nvd_records();
    let u = asset("o:canonical:ubuntu_linux", "20.04").with_sw_edition("lts");
    assert!(match_cve(cve(&recs, "CVE-2020-1472"), &[u]).is_match());
    let u = asset("o:canonical:ubuntu_linux", "22.04").with_sw_edition("lts");
    assert!(!match_cve(cve(&recs, "CVE-2020-1472"), &[u]).is_match());
}

/// The vendor:product index gives the same findings as matching every record.
#[test]
fn index_agrees_with_brute_force() {
    use anzen_vuln::matcher::CveIndex;
    let recs = nvd_records();
    let k = kev();
    let index = CveIndex::new(&recs);
    let assets: Vec<Vec<Cpe>> = vec![
        vec![asset("o:fortinet:fortios", "6.0.4")],
        vec![asset("o:fortinet:fortios", "7.2.5")],
        vec![asset("o:microsoft:windows_server_2019", "10.0.17763.2028")],
        vec![
            asset("o:microsoft:windows_server_2012", "r2"),
            asset("a:microsoft:server_message_block", "1.0"),
        ],
        vec![asset("o:cisco:ios_xe", "17.9.3")],
        vec![asset("a:apache:log4j", "2.14.1")],
        vec![asset(
            "o:citrix:application_delivery_controller_firmware",
            "13.0",
        )],
        vec![asset("o:canonical:ubuntu_linux", "20.04").with_sw_edition("lts")],
        vec![asset("a:acme:unknown", "1.0")],
    ];
    for a in &assets {
        let mut brute: Vec<String> = recs
            .iter()
            .filter_map(|r| assess(r, Some(&k), a))
            .filter_map(|f| f.cve.map(|c| c.id))
            .collect();
        brute.sort();
        let mut indexed: Vec<String> = index
            .findings(Some(&k), a)
            .into_iter()
            .filter_map(|f| f.cve.map(|c| c.id))
            .collect();
        indexed.sort();
        assert_eq!(indexed, brute, "{a:?}");
    }
    // Most urgent first: KEV findings lead.
    let f = index.findings(Some(&k), &[asset("o:fortinet:fortios", "6.0.4")]);
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].priority, Priority::Critical);
    assert_eq!(
        f[2].cve.as_ref().map(|c| c.id.as_str()),
        Some("CVE-2023-25610")
    );
}
