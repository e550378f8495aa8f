//! `anzen export inspection-pack` through the real binary, on SQLite and PostgreSQL: an
//! initialised data directory with an imported asset ledger and a started checklist; the
//! workbook written atomically, its SHA-256 printed and recorded in the ledger under the
//! checkpoint its cover shows; `anzen verify` still passes; the workbook opened with
//! LibreOffice headless (every sheet converted to CSV) shows the cover and the sections.
//!
//! Without LibreOffice (`soffice`) the spreadsheet check is skipped with a message, except
//! when `CI` is set: then the test fails.

use std::path::Path;
use std::process::Command;

use anzen_store::ledger::{self, EntryQuery};
use anzen_store::{orgs, testing};
use sha2::{Digest, Sha256};

mod datadir;
#[allow(dead_code)] // this test converts every sheet itself
mod sheets;
use datadir::DataDir;
use sheets::parse_csv;

const FACILITY: &str = "検査資料病院";

const LEDGER: &str = "\u{feff}資産ID,種別,名称,製造元,製品名,バージョン,OS,設置場所,外部接続,接続元制限,最終パッチ適用日\r\n\
FW-01,ネットワーク機器,VPN装置,Fortinet,FortiGate 60F,7.2.8,FortiOS 7.2.8,サーバ室,あり,あり,2025-05-20\r\n\
PC-01,端末PC,受付PC,,,,Windows 11 Pro,受付,なし,,\r\n";

/// Every sheet of `xlsx` as CSV through LibreOffice (`None` when soffice is missing
/// outside CI): (sheet name, rows).
fn soffice_sheets(xlsx: &Path, work: &Path) -> Option<Vec<(String, Vec<Vec<String>>)>> {
    let found = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let why = "soffice (LibreOffice) not found: install libreoffice-calc-nogui";
        if std::env::var_os("CI").is_some() {
            panic!("CI is set and a component is missing: {why}");
        }
        eprintln!("skipping the LibreOffice check: {why}");
        return None;
    }
    let outdir = work.join("soffice-sheets");
    let profile = work.join("soffice-profile");
    // Token 12 = -1: one CSV per sheet, named `<file>-<sheet>.csv`.
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        ])
        .arg("--outdir")
        .arg(&outdir)
        .arg(xlsx)
        .env("HOME", work)
        .output()
        .expect("run soffice");
    assert!(
        out.status.success(),
        "soffice: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stem = xlsx
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let mut sheets = Vec::new();
    for e in std::fs::read_dir(&outdir).expect("outdir") {
        let p = e.expect("entry").path();
        let name = p.file_stem().expect("name").to_string_lossy().into_owned();
        if let Some(sheet) = name.strip_prefix(&format!("{stem}-")) {
            let text = std::fs::read_to_string(&p).expect("csv");
            sheets.push((sheet.to_owned(), parse_csv(&text)));
        }
    }
    assert!(
        !sheets.is_empty(),
        "soffice wrote no sheets in {}",
        outdir.display()
    );
    Some(sheets)
}

#[test]
fn export_inspection_pack_from_the_command_line() {
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, FACILITY);
        let store = d.store();
        let work = d.dir.path();
        let ledger_csv = work.join("ledger.csv");
        std::fs::write(&ledger_csv, LEDGER).expect("write");
        let (code, out) = d.run(&["import", "assets", ledger_csv.to_str().expect("path")]);
        assert_eq!(code, 0, "[{be}] {out}");

        // A bad year: exit 2, nothing written.
        let out_path = work.join("pack.xlsx");
        let path = out_path.to_str().expect("utf-8");
        let (code, out) = d.run(&["export", "inspection-pack", "--year", "7", "--out", path]);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(!out_path.exists(), "[{be}]");

        let (code, out) = d.run(&["export", "inspection-pack", "--year", "2025", "--out", path]);
        assert_eq!(code, 0, "[{be}] {out}");
        let bytes = std::fs::read(&out_path).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK", "[{be}] a zip");
        let sha = hex::encode(Sha256::digest(&bytes));
        assert!(out.contains(&format!("sha256 {sha}")), "[{be}] {out}");
        // No section missing: the BCP warning is printed with its sheet.
        assert!(
            out.contains("事業継続計画: 1  注意: BCP が未作成です。"),
            "[{be}] {out}"
        );
        let leftovers = std::fs::read_dir(work)
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".anzen-export-")
            })
            .count();
        assert_eq!(leftovers, 0, "[{be}]");

        // The printed checkpoint is the stored one; the record follows it and holds the
        // file's hash.
        let line = out
            .lines()
            .find(|l| l.starts_with("checkpoint on the cover: size "))
            .expect("checkpoint line");
        let mut parts = line
            .trim_start_matches("checkpoint on the cover: size ")
            .split_whitespace();
        let size: u64 = parts.next().expect("size").parse().expect("number");
        assert_eq!(parts.next(), Some("root"), "[{be}] {line}");
        let root = parts.next().expect("root").to_owned();
        let (notes, entries) = store
            .read(|c| -> Result<_, anzen_store::StoreError> {
                let org = orgs::all(c)?.pop().expect("org");
                Ok((
                    ledger::checkpoints(c, org.id)?,
                    ledger::list(
                        c,
                        org.id,
                        &EntryQuery {
                            kind_prefix: Some("export.inspection_pack".into()),
                            ..EntryQuery::default()
                        },
                    )?,
                ))
            })
            .expect("ledger");
        let cover_note = notes
            .iter()
            .find(|n| {
                anzen_ledger::Checkpoint::parse_unverified(n)
                    .is_ok_and(|c| c.size == size && c.root.to_base64() == root)
            })
            .expect("the cover's checkpoint is stored");
        assert_eq!(entries.len(), 1, "[{be}]");
        assert_eq!(entries[0].author, "cli", "[{be}]");
        assert_eq!(entries[0].index, size, "[{be}]");
        let v: serde_json::Value = serde_json::from_slice(&entries[0].payload).expect("json");
        assert_eq!(v["sha256"], sha, "[{be}]");
        assert!(
            out.contains(&format!("recorded as ledger entry {size} ")),
            "[{be}] {out}"
        );
        assert!(
            out.contains(&format!("checkpoint over the record: size {}", size + 1)),
            "[{be}] {out}"
        );
        let (code, vout) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {vout}");

        // The workbook in a real spreadsheet program.
        let Some(sheets) = soffice_sheets(&out_path, work) else {
            continue;
        };
        let sheet = |name: &str| {
            sheets
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, rows)| rows.clone())
                .unwrap_or_else(|| {
                    panic!(
                        "[{be}] sheet {name} in {:?}",
                        sheets.iter().map(|s| &s.0).collect::<Vec<_>>()
                    )
                })
        };
        let cover = sheet("表紙");
        let value = |key: &str| {
            cover
                .iter()
                .find(|r| r.first().is_some_and(|c| c == key))
                .and_then(|r| r.get(1).cloned())
                .unwrap_or_else(|| panic!("[{be}] {key} on the cover: {cover:?}"))
        };
        assert_eq!(value("施設名"), FACILITY, "[{be}]");
        assert_eq!(value("年度"), "令和7年度（2025年度）", "[{be}]");
        assert_eq!(value("作成者"), "cli", "[{be}]");
        assert_eq!(value("記録件数（tree size）"), size.to_string(), "[{be}]");
        assert_eq!(value("ルートハッシュ（base64）"), root, "[{be}]");
        assert_eq!(
            value("署名付きチェックポイント").trim_end(),
            cover_note.trim_end(),
            "[{be}]"
        );
        // The table of contents counts the asset rows.
        assert!(
            cover
                .iter()
                .any(|r| r.len() > 2 && r[0] == "資産台帳" && r[2] == "2"),
            "[{be}] {cover:?}"
        );
        let assets = sheet("資産台帳");
        assert!(
            assets.iter().any(|r| r.contains(&"FW-01".to_owned())
                && r.contains(&"2025-05-20（令和7年5月20日）".to_owned())),
            "[{be}] {assets:?}"
        );
        let checklist = sheet("チェックリスト");
        assert!(
            checklist
                .iter()
                .any(|r| r.iter().any(|c| c.contains("まだ開始されていません"))),
            "[{be}] {checklist:?}"
        );
    }
}
