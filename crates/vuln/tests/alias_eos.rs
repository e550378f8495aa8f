//! Ledger text → CPE (alias table), end-to-end with the real records, and the
//! end-of-support rule.

mod common;

use anzen_vuln::alias::{AliasTable, AssetDescription};
use anzen_vuln::cpe::Cpe;
use anzen_vuln::eos::{DEFAULT_NEAR_DAYS, EosStatus, EosTable, eos_finding};
use anzen_vuln::finding::{FindingKind, Priority};
use anzen_vuln::matcher::{MatchResult, assess, match_cve};
use common::{cve, kev, nvd_records};
use jiff::civil::{Date, date};

fn table() -> AliasTable {
    AliasTable::builtin().expect("aliases.toml")
}

fn cpes(vendor: &str, product: &str, version: &str, os: &str) -> Vec<String> {
    table()
        .derive(&AssetDescription::new(vendor, product, version, os))
        .map(|d| d.cpes.iter().map(|c| c.cpe.to_string()).collect())
        .unwrap_or_else(|e| panic!("{vendor} {product} {version} {os}: {e}"))
}

#[test]
fn fortigate_from_ledger_text_is_critical_with_kev_due_date() {
    let recs = nvd_records();
    let k = kev();
    for (vendor, product, version, os) in [
        ("フォーティネット", "FortiGate 60F", "", "FortiOS 6.0.4"),
        ("Fortinet", "FortiGate-60F", "6.0.4", ""),
        (
            "ﾌｫｰﾃｨﾈｯﾄ",
            "ＦｏｒｔｉＧａｔｅ　６０Ｆ",
            "",
            "ＦｏｒｔｉＯＳ ｖ6.0.4 build0231",
        ),
    ] {
        let d = table()
            .derive(&AssetDescription::new(vendor, product, version, os))
            .expect("derives");
        assert_eq!(
            d.cpes.iter().map(|c| c.cpe.to_string()).collect::<Vec<_>>(),
            vec!["cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*"],
            "{product} / {os}"
        );
        let f = assess(cve(&recs, "CVE-2018-13379"), Some(&k), &d.names()).expect("finding");
        assert_eq!(f.priority, Priority::Critical);
        assert_eq!(f.kev.map(|k| k.due_date), Some(date(2022, 5, 3)));
    }
}

#[test]
fn alias_rules_for_common_products() {
    assert_eq!(
        cpes("YAMAHA", "RTX1210", "Rev.14.01.38", ""),
        vec!["cpe:2.3:o:yamaha:rtx1210_firmware:14.01.38:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "YAMAHA RTX1210", "", ""),
        vec!["cpe:2.3:o:yamaha:rtx1210_firmware:*:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "NEC UNIVERGE IX2215", "", ""),
        vec!["cpe:2.3:o:nec:univerge_ix2215_firmware:*:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("バッファロー", "WSR-1800AX4S", "1.08", ""),
        vec!["cpe:2.3:o:buffalo:wsr-1800ax4s_firmware:1.08:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("NEC", "UNIVERGE IX2215", "10.2.42", ""),
        vec!["cpe:2.3:o:nec:univerge_ix2215_firmware:10.2.42:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("Cisco", "Catalyst 9300", "", "IOS XE 17.9.3"),
        vec!["cpe:2.3:o:cisco:ios_xe:17.9.3:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("シスコ", "ISR 1100", "", "IOS 15.2(4)M11"),
        vec![r"cpe:2.3:o:cisco:ios:15.2\(4\)m11:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("Palo Alto Networks", "PA-220", "", "PAN-OS 10.2.9-h1"),
        vec!["cpe:2.3:o:paloaltonetworks:pan-os:10.2.9:h1:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("Pulse Secure", "Pulse Connect Secure", "9.0R3.3", ""),
        vec![
            "cpe:2.3:a:ivanti:connect_secure:9.0:r3.3:*:*:*:*:*:*",
            "cpe:2.3:a:pulsesecure:pulse_connect_secure:9.0r3.3:*:*:*:*:*:*:*",
        ]
    );
    assert_eq!(
        cpes("Ivanti", "Connect Secure", "22.7R2.3", "")[0],
        "cpe:2.3:a:ivanti:connect_secure:22.7:r2.3:*:*:*:*:*:*"
    );
    assert_eq!(
        cpes("Citrix", "NetScaler ADC", "13.1-49.15", "")[0],
        "cpe:2.3:o:citrix:application_delivery_controller_firmware:13.1-49.15:*:*:*:*:*:*:*"
    );
    assert_eq!(
        cpes("SonicWall", "TZ370", "", "SonicOS 7.0.1-5035"),
        vec!["cpe:2.3:o:sonicwall:sonicos:7.0.1-5035:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("Apache", "Log4j", "2.0-beta9", ""),
        vec!["cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "サーバ", "", "Ubuntu 22.04.3 LTS"),
        vec!["cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*"]
    );
    assert_eq!(
        cpes("", "", "", "RHEL 8.6"),
        vec![
            "cpe:2.3:o:redhat:enterprise_linux:8.6:*:*:*:*:*:*:*",
            "cpe:2.3:o:redhat:enterprise_linux:8.0:*:*:*:*:*:*:*",
        ]
    );
}

#[test]
fn windows_editions() {
    assert_eq!(
        cpes("", "受付PC", "", "Windows 10 Pro 22H2"),
        vec![
            "cpe:2.3:o:microsoft:windows_10_22h2:-:*:*:*:*:*:*:*",
            "cpe:2.3:o:microsoft:windows_10:22h2:*:*:*:*:*:*:*",
        ]
    );
    assert_eq!(
        cpes("", "", "19045.2250", "Windows10 Pro 22H2"),
        vec![
            "cpe:2.3:o:microsoft:windows_10_22h2:10.0.19045.2250:*:*:*:*:*:*:*",
            "cpe:2.3:o:microsoft:windows_10:22h2:*:*:*:*:*:*:*",
        ]
    );
    assert_eq!(
        cpes("Microsoft", "", "", "Windows Server 2012 R2 Standard"),
        vec!["cpe:2.3:o:microsoft:windows_server_2012:r2:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "", "", "Windows Server 2008 R2 SP1"),
        vec!["cpe:2.3:o:microsoft:windows_server_2008:r2:sp1:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "", "10.0.17763.2028", "Windows Server 2019"),
        vec![
            "cpe:2.3:o:microsoft:windows_server_2019:10.0.17763.2028:*:*:*:*:*:*:*",
            "cpe:2.3:o:microsoft:windows_server:2019:*:*:*:*:*:*:*",
        ]
    );
    assert_eq!(
        cpes("", "", "", "Windows 7 Professional SP1"),
        vec!["cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"]
    );
    assert_eq!(
        cpes("", "", "", "Windows 10 Enterprise LTSC 2019")[0],
        "cpe:2.3:o:microsoft:windows_10_1809:-:*:*:*:*:*:*:*"
    );
    // Feature release unknown: a warning says what cannot be matched.
    let d = table()
        .derive(&AssetDescription::new("", "", "", "Windows 10 Pro"))
        .expect("derives");
    assert!(
        d.warnings_ja.iter().any(|w| w.contains("機能更新")),
        "{:?}",
        d.warnings_ja
    );
}

#[test]
fn windows_both_spellings_find_both_records() {
    let recs = nvd_records();
    // Windows Server 2022: CVE-2022-21907 says `windows_server:2022`, CVE-2021-34527 says
    // `windows_server_2022` with a build range.
    let d = table()
        .derive(&AssetDescription::new(
            "",
            "",
            "10.0.20348.229",
            "Windows Server 2022",
        ))
        .expect("derives");
    assert!(match_cve(cve(&recs, "CVE-2022-21907"), &d.names()).is_match());
    assert!(match_cve(cve(&recs, "CVE-2021-34527"), &d.names()).is_match());

    // Windows 10 22H2 without a build: the build range is 要確認; with an old build, a match.
    let d = table()
        .derive(&AssetDescription::new("", "", "", "Windows 10 Pro 22H2"))
        .expect("derives");
    assert!(match_cve(cve(&recs, "CVE-2021-34527"), &d.names()).is_review());
    // CVE-2022-21907 does not list 22H2.
    assert_eq!(
        match_cve(cve(&recs, "CVE-2022-21907"), &d.names()),
        MatchResult::NoMatch
    );
    let d = table()
        .derive(&AssetDescription::new(
            "",
            "",
            "10.0.19045.2250",
            "Windows 10 Pro 22H2",
        ))
        .expect("derives");
    assert!(match_cve(cve(&recs, "CVE-2021-34527"), &d.names()).is_match());
}

#[test]
fn unverified_aliases_warn() {
    let d = table()
        .derive(&AssetDescription::new(
            "ヤマハ",
            "RTX830",
            "Rev.15.02.29",
            "",
        ))
        .expect("derives");
    assert!(!d.cpes[0].verified);
    assert!(d.warnings_ja.iter().any(|w| w.contains("要確認")));
}

#[test]
fn unknown_product_gives_japanese_reason() {
    let e = table()
        .derive(&AssetDescription::new("ACME", "謎の装置 3000", "1.0", ""))
        .expect_err("unknown");
    assert!(
        e.reason_ja.starts_with("CPEを特定できません"),
        "{}",
        e.reason_ja
    );
    assert!(e.reason_ja.contains("謎の装置 3000"));
    // "ios" alone is not Cisco (an iPhone is not a router).
    assert!(
        table()
            .derive(&AssetDescription::new(
                "Apple", "iPhone", "17.1", "iOS 17.1"
            ))
            .is_err()
    );
    // NVIDIA RTX is not a YAMAHA router.
    assert!(
        table()
            .derive(&AssetDescription::new("NVIDIA", "GeForce RTX 3060", "", ""))
            .is_err()
    );
}

#[test]
fn cpe_column_wins() {
    let mut a = AssetDescription::new("Fortinet", "FortiGate", "7.2.5", "");
    a.cpe = "cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:* cpe:2.3:h:fortinet:fortigate_60f:-:*:*:*:*:*:*:*"
        .into();
    let d = table().derive(&a).expect("derives");
    assert_eq!(d.cpes.len(), 2);
    assert_eq!(d.cpes[0].source, "cpe-column");
    assert_eq!(
        d.cpes[0].cpe,
        Cpe::parse("cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*").expect("cpe")
    );
    a.cpe = "fortios 6.0.4".into();
    let e = table().derive(&a).expect_err("bad column");
    assert!(e.reason_ja.contains("CPE 列"), "{}", e.reason_ja);
}

fn eos(os: &str, version: &str, today: Date) -> EosStatus {
    EosTable::builtin().expect("end_of_support.toml").evaluate(
        &AssetDescription::new("", "", version, os),
        today,
        DEFAULT_NEAR_DAYS,
    )
}

#[test]
fn end_of_support_windows() {
    let today = date(2026, 11, 22);
    match eos("Windows 10 Pro 22H2", "", today) {
        EosStatus::Past {
            entry,
            end,
            days_over,
        } => {
            assert_eq!(entry.id, "windows-10");
            assert_eq!(end, date(2025, 10, 14));
            assert_eq!(days_over, 404);
            let f = eos_finding(&EosStatus::Past {
                entry,
                end,
                days_over,
            })
            .expect("finding");
            assert_eq!(f.kind, FindingKind::EndOfSupport);
            assert!(f.title_ja.starts_with("サポート終了"), "{}", f.title_ja);
            assert!(f.reasons_ja.iter().any(|r| r.starts_with("出典")));
            assert!(f.reasons_ja.iter().any(|r| r.contains("ESU")));
            assert_eq!(f.eos.map(|e| e.end), Some(date(2025, 10, 14)));
        }
        other => panic!("Windows 10 on 2026-11-22 must be past: {other:?}"),
    }
    let w11 = eos("Windows 11 Pro 23H2", "", today);
    assert!(
        matches!(w11, EosStatus::Supported { end: None, .. }),
        "{w11:?}"
    );
    assert_eq!(eos_finding(&w11), None);

    // Near: Windows 10 on 2025-06-01 (135 days before 2025-10-14).
    match eos("Windows 10 Pro", "", date(2025, 6, 1)) {
        EosStatus::Near { days_left, .. } => assert_eq!(days_left, 135),
        other => panic!("expected near: {other:?}"),
    }
    // 181 days before: not yet near with the default 180-day window.
    assert!(matches!(
        eos("Windows 10 Pro", "", date(2025, 4, 16)),
        EosStatus::Supported { .. }
    ));
    for (os, end) in [
        ("Windows 7 Professional SP1", date(2020, 1, 14)),
        ("Windows 8.1", date(2023, 1, 10)),
        ("Windows Server 2008 R2", date(2020, 1, 14)),
        ("Windows Server 2008", date(2020, 1, 14)),
        ("Windows Server 2012", date(2023, 10, 10)),
        ("WindowsServer2012R2", date(2023, 10, 10)),
    ] {
        match eos(os, "", today) {
            EosStatus::Past { end: e, .. } => assert_eq!(e, end, "{os}"),
            other => panic!("{os}: expected past, got {other:?}"),
        }
    }
    assert!(matches!(
        eos("Windows Server 2019 Standard", "", today),
        EosStatus::Supported { end: Some(e), .. } if e == date(2029, 1, 9)
    ));
    assert!(matches!(
        eos("Windows 10 Enterprise LTSC 2019", "", today),
        EosStatus::Supported { end: Some(e), .. } if e == date(2029, 1, 9)
    ));
}

#[test]
fn end_of_support_other_systems() {
    let today = date(2026, 11, 22);
    assert!(
        matches!(eos("FortiOS 6.0.4", "", today), EosStatus::Past { end, .. } if end == date(2022, 9, 29))
    );
    assert!(
        matches!(eos("RHEL 7.9", "", today), EosStatus::Past { end, .. } if end == date(2024, 6, 30))
    );
    assert!(matches!(
        eos("RHEL 8.6", "", today),
        EosStatus::Supported { .. }
    ));
    assert!(
        matches!(eos("Ubuntu 18.04.6 LTS", "", today), EosStatus::Past { end, .. } if end == date(2023, 5, 31))
    );
    // Identified but not in the table: no finding, a reason.
    let s = eos("FortiOS 7.2.5", "", today);
    assert!(
        matches!(&s, EosStatus::NoData { reason_ja } if reason_ja.contains("データにありません")),
        "{s:?}"
    );
    assert_eq!(eos_finding(&s), None);
    // Not identified: 要確認.
    let s = EosTable::builtin().expect("table").evaluate(
        &AssetDescription::new("ACME", "謎の装置", "", "独自OS"),
        today,
        DEFAULT_NEAR_DAYS,
    );
    let f = eos_finding(&s).expect("要確認 finding");
    assert_eq!(f.kind, FindingKind::EndOfSupportNeedsReview);
    assert!(f.title_ja.contains("要確認"));
    assert!(f.reasons_ja[0].contains("謎の装置"));
}

#[test]
fn data_files_are_valid_and_sourced() {
    let t = EosTable::builtin().expect("table");
    for e in t.entries() {
        assert!(!e.source.is_empty(), "{}", e.id);
    }
    // A broken table is refused with the entry named.
    let bad = "[[entry]]\nid = \"x\"\nname = \"X\"\nkeywords = [\"X\"]\nsource = \"s\"\n";
    let err = EosTable::from_toml_str("t.toml", bad).expect_err("keyword not normalised");
    assert!(err.to_string().contains("`x`"), "{err}");
    let bad = "[[entry]]\nid = \"x\"\nname = \"X\"\nkeywords = [\"x\"]\nend = \"2020-02-30\"\nsource = \"s\"\n";
    assert!(EosTable::from_toml_str("t.toml", bad).is_err());
    let bad = "[[alias]]\nid = \"a\"\nlabel = \"A\"\nkeywords = [\"a\"]\nversion = \"dotted\"\ncpes = [{ cpe = \"q:v:p\" }]\nverified = true\n";
    assert!(AliasTable::from_toml_str("a.toml", bad).is_err());
}
