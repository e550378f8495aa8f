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

        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {out}");
    }
}
