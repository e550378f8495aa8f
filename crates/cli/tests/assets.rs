//! The asset-ledger command-line contract through the real binary, on SQLite and
//! PostgreSQL: `import assets` (all or nothing, line-numbered errors, exit 2), `feeds import`
//! of the real NVD and KEV files in `../shared/feeds`, `check --format json` (the DESIGN.md
//! fields; exit 1 with open findings), `export assets`, and a ledger that still verifies.

use anzen_store::testing;

mod datadir;
use datadir::DataDir;

const LEDGER: &str = "\u{feff}資産ID,種別,名称,製造元,製品名,バージョン,OS,設置場所,外部接続,接続元制限\r\n\
FW-01,ネットワーク機器,VPN装置,Fortinet,FortiGate 60F,6.0.4,FortiOS 6.0.4,サーバ室,あり,なし\r\n\
PC-01,端末PC,受付PC,,,,Windows 11 Pro,受付,なし,\r\n";

#[test]
fn import_feeds_check_and_export_from_the_command_line() {
    let feeds = format!("{}/../../../shared/feeds", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&feeds).join("nvd.json").is_file(),
        "the shared feed fixtures are missing at {feeds}"
    );
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, "台帳テスト病院");
        let work = d.dir.path();

        // A bad file: exit 2, the line and column named, nothing stored.
        let bad = work.join("bad.csv");
        std::fs::write(&bad, "資産ID,種別,名称\r\nX-1,ルーター,何か\r\n").expect("write");
        let (code, out) = d.run(&["import", "assets", bad.to_str().expect("path")]);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(out.contains("bad.csv 2行目 『種別』"), "[{be}] {out}");

        let file = work.join("台帳.csv");
        std::fs::write(&file, LEDGER).expect("write");
        let path = file.to_str().expect("path");
        let (code, out) = d.run(&["import", "assets", path, "--dry-run"]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("added 2, changed 0"), "[{be}] {out}");
        let (code, out) = d.run(&["import", "assets", path]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("added 2"), "[{be}] {out}");

        // Feeds from the directory, matched at once.
        let (code, out) = d.run(&["feeds", "import", &feeds]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("NVD 14 records"), "[{be}] {out}");
        assert!(out.contains("KEV 1 records"), "[{be}] {out}");
        let (code, out) = d.run(&["feeds", "import", work.join("bad.csv").to_str().expect("p")]);
        assert_eq!(code, 2, "[{be}] not a feed: {out}");

        let (code, out) = d.run(&["check", "--format", "json"]);
        assert_eq!(code, 1, "[{be}] open findings: {out}");
        let json_start = out.find('[').expect("json array");
        let json_end = out.rfind(']').expect("json array end");
        let v: serde_json::Value = serde_json::from_str(&out[json_start..=json_end]).expect("json");
        let list = v.as_array().expect("array");
        let kev = list
            .iter()
            .find(|f| f["evidence"]["cve"] == "CVE-2018-13379")
            .expect("CVE-2018-13379 reported");
        assert_eq!(kev["rule"], "vuln.cve", "[{be}]");
        assert_eq!(kev["severity"], "critical", "[{be}]");
        assert_eq!(kev["subject"], "asset:FW-01", "[{be}]");
        assert_eq!(kev["checklist"], serde_json::json!(["2-(7)"]), "[{be}]");
        assert!(
            kev["message"].as_str().is_some_and(|m| m.contains("6.0.4")),
            "[{be}] {kev}"
        );
        assert!(
            list.iter()
                .any(|f| f["rule"] == "asset.source_unrestricted" && f["checklist"][0] == "2-(8)"),
            "[{be}]"
        );
        let (code, out) = d.run(&["check"]);
        assert_eq!(code, 1, "[{be}]");
        assert!(out.contains("最優先"), "[{be}] {out}");

        let csv = work.join("out.csv");
        let (code, out) = d.run(&[
            "export",
            "assets",
            "--format",
            "csv",
            "--out",
            csv.to_str().expect("path"),
        ]);
        assert_eq!(code, 0, "[{be}] {out}");
        let text = std::fs::read_to_string(&csv).expect("csv");
        assert!(text.starts_with('\u{feff}'), "[{be}]");
        assert!(
            text.contains("\"FW-01\",\"ネットワーク機器\",\"VPN装置\""),
            "[{be}] {text}"
        );

        // Accounts and the roster: the retired nurse's enabled account is reported.
        let staff = work.join("staff.csv");
        std::fs::write(
            &staff,
            "職員番号,氏名,職種,退職日\r\n1001,山田 太郎,医師,\r\n1002,鈴木 花子,看護師,2026-09-30\r\n",
        )
        .expect("write");
        let accounts = work.join("accounts.csv");
        std::fs::write(
            &accounts,
            "システム,アカウントID,氏名,職員番号,権限,状態\r\n電子カルテ,yamada,山田 太郎,1001,医師,有効\r\n電子カルテ,suzuki,鈴木 花子,1002,看護師,有効\r\n",
        )
        .expect("write");
        let (code, out) = d.run(&["import", "staff", staff.to_str().expect("p")]);
        assert_eq!(code, 0, "[{be}] {out}");
        let (code, out) = d.run(&["import", "accounts", accounts.to_str().expect("p")]);
        assert_eq!(code, 2, "[{be}] unregistered system refused: {out}");
        let (code, out) = d.run(&[
            "import",
            "accounts",
            accounts.to_str().expect("p"),
            "--register-systems",
        ]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("電子カルテ: 2 accounts"), "[{be}] {out}");
        let (code, out) = d.run(&["check", "--format", "json"]);
        assert_eq!(code, 1, "[{be}]");
        let start = out.find('[').expect("json");
        let end = out.rfind(']').expect("json end");
        let v: serde_json::Value = serde_json::from_str(&out[start..=end]).expect("json");
        let retired = v
            .as_array()
            .expect("array")
            .iter()
            .find(|f| f["rule"] == "account.retired")
            .expect("account.retired reported");
        assert_eq!(retired["subject"], "account:電子カルテ/suzuki", "[{be}]");
        assert_eq!(retired["checklist"], serde_json::json!(["2-(5)"]), "[{be}]");
        // Incident readiness: no chart, no backups of the registered system, no BCP.
        let list = v.as_array().expect("array");
        for (rule, subject, item) in [
            ("contact.missing", "contact_chart", "3-(1)"),
            ("backup.none", "system:電子カルテ", "3-(2)"),
            ("bcp.none", "bcp", "3-(3)"),
        ] {
            assert!(
                list.iter().any(|f| f["rule"] == rule
                    && f["subject"] == subject
                    && f["checklist"] == serde_json::json!([item])),
                "[{be}] {rule} {subject}"
            );
        }

        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {out}");
    }
}
