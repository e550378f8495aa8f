//! `anzen export checklist` through the real binary, on SQLite and PostgreSQL: CSV and xlsx
//! of a 年度's assessment, the xlsx opened with LibreOffice headless (converted to CSV) and
//! compared cell by cell with the CSV export; exit 2 when the 年度 has no assessment; each
//! export recorded in the audit ledger by `cli`.
//!
//! Without LibreOffice (`soffice`) the xlsx comparison is skipped with a message, except
//! when `CI` is set: then the test fails.

use std::path::Path;

use anzen_catalog::{Catalog, Form};
use anzen_store::assessments::{self, Answer, AnswerInput, NewAssessment};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::{Store, orgs, testing};

mod datadir;
mod sheets;
use datadir::DataDir;
use sheets::{parse_csv, soffice_csv};

const FACILITY: &str = "書出テスト病院";

impl DataDir {
    fn export(&self, year: &str, format: &str, out: &Path) -> (i32, String) {
        let out = out.to_str().expect("utf-8 path");
        self.run(&[
            "export",
            "checklist",
            "--year",
            year,
            "--format",
            format,
            "--out",
            out,
        ])
    }
}

/// Starts the 令和7年度 assessment and answers two items, as the web page does.
fn answer_items(store: &Store) {
    let cat = Catalog::builtin().expect("catalog");
    let edition = cat.edition(2025, Form::Medical).expect("R7 medical");
    let ids: Vec<String> = edition.items.iter().map(|i| i.id.to_string()).collect();
    store
        .write(|c| -> Result<(), anzen_store::StoreError> {
            let org = orgs::all(c)?.pop().expect("org");
            let a = assessments::create(
                c,
                &org,
                "admin@example.jp",
                &NewAssessment {
                    fiscal_year: 2025,
                    form: "medical",
                    edition_fy: 2025,
                    item_ids: &ids,
                    client_org_id: None,
                },
                &|_| None,
            )?;
            let set = |c: &mut anzen_store::Conn, id: &str, input: AnswerInput| {
                assessments::set_answer(c, &org, "admin@example.jp", &a, id, &input).map(|_| ())
            };
            set(
                c,
                &ids[0],
                AnswerInput {
                    answer: Some(Answer::Yes),
                    checked_on: Some("2025-06-01".into()),
                    target_date: None,
                    note: Some("山田, \"責任者\"".into()),
                },
            )?;
            set(
                c,
                "R7/medical/2-①",
                AnswerInput {
                    answer: Some(Answer::No),
                    checked_on: Some("2025-06-01".into()),
                    target_date: Some("2026-03-01".into()),
                    note: None,
                },
            )
        })
        .expect("answers");
}

#[test]
fn export_checklist_as_csv_and_xlsx() {
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, FACILITY);
        let store = d.store();
        let work = d.dir.path();

        // No assessment yet: exit 2 with a clear message, nothing written.
        let csv_path = work.join("checklist.csv");
        let (code, out) = d.export("2025", "csv", &csv_path);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(out.contains("まだ開始されていません"), "[{be}] {out}");
        assert!(!csv_path.exists(), "[{be}]");

        answer_items(&store);
        let items = Catalog::builtin()
            .expect("catalog")
            .edition(2025, Form::Medical)
            .expect("R7")
            .items
            .len()
            + 1;

        // CSV: BOM, header, one row per gate question and item.
        let (code, out) = d.export("2025", "csv", &csv_path);
        assert_eq!(code, 0, "[{be}] {out}");
        let raw = std::fs::read(&csv_path).expect("csv");
        assert_eq!(&raw[..3], b"\xEF\xBB\xBF", "[{be}] BOM");
        let csv = parse_csv(std::str::from_utf8(&raw).expect("utf-8"));
        assert_eq!(csv.len(), items + 1, "[{be}]");
        assert_eq!(
            csv[0],
            [
                "項目番号",
                "対象",
                "確認内容",
                "回答",
                "確認日",
                "対応目標日",
                "備考"
            ],
            "[{be}]"
        );
        assert_eq!(csv[1][0], "前提", "[{be}] the gate question first");
        assert_eq!(
            csv[2],
            [
                "1-①",
                "",
                "医療情報システム安全管理責任者を設置している。",
                "はい",
                "2025-06-01",
                "",
                "山田, \"責任者\""
            ],
            "[{be}]"
        );

        // xlsx, written atomically (no temporary file left beside it).
        let xlsx_path = work.join("checklist.xlsx");
        let (code, out) = d.export("2025", "xlsx", &xlsx_path);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains(FACILITY), "[{be}] {out}");
        let bytes = std::fs::read(&xlsx_path).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK", "[{be}] a zip");
        let leftovers: Vec<_> = std::fs::read_dir(work)
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".anzen-export-")
            })
            .collect();
        assert!(leftovers.is_empty(), "[{be}] {leftovers:?}");

        // Both exports recorded by `cli`.
        let entries = store
            .read(|c| {
                let org = orgs::all(c)?.pop().expect("org");
                ledger::list(c, org.id, &EntryQuery::default())
            })
            .expect("ledger");
        let formats: Vec<String> = entries
            .iter()
            .filter(|e| e.kind == "export.checklist")
            .map(|e| {
                assert_eq!(e.author, "cli", "[{be}]");
                let v: serde_json::Value = serde_json::from_slice(&e.payload).expect("json");
                v["format"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        assert_eq!(formats.len(), 2, "[{be}] {formats:?}");
        assert!(formats.contains(&"csv".to_owned()), "[{be}]");
        assert!(formats.contains(&"xlsx".to_owned()), "[{be}]");

        // The xlsx opened by LibreOffice: title, facility, header, then the same cells as
        // the CSV (plus the 要確認 column).
        let Some(lo) = soffice_csv(&xlsx_path, work) else {
            continue;
        };
        let sheet = parse_csv(&lo);
        assert_eq!(
            sheet[0][0],
            "令和7年度 医療機関におけるサイバーセキュリティ対策チェックリスト（医療機関確認用）",
            "[{be}]"
        );
        assert_eq!(sheet[1][0], format!("施設名: {FACILITY}"), "[{be}]");
        assert_eq!(sheet.len(), 3 + csv.len(), "[{be}] {lo}");
        assert_eq!(sheet[3][7], "要確認", "[{be}]");
        for (i, want) in csv.iter().enumerate() {
            assert_eq!(&sheet[3 + i][..7], &want[..], "[{be}] row {i}");
        }
        assert!(
            sheet[4..].iter().any(|r| r[7].starts_with("要確認")),
            "[{be}] unverified items are marked"
        );
        verify_frozen_assessment(&d, &store);
    }
}

/// `anzen verify` checks completed assessments: the stored answers still hash to the frozen
/// hash the ledger recorded; a changed answer fails with the assessment named.
fn verify_frozen_assessment(d: &DataDir, store: &Store) {
    let be = format!("{:?}", store.backend());
    store
        .write(|c| -> Result<(), anzen_store::StoreError> {
            let org = orgs::all(c)?.pop().expect("org");
            let a = assessments::current(c, &org, 2025, "medical")?.expect("assessment");
            assessments::complete(c, &org, "officer@example.jp", &a)?;
            Ok(())
        })
        .expect("complete");
    let (code, out) = d.run(&["verify"]);
    assert_eq!(code, 0, "[{be}] {out}");
    assert!(
        out.contains("OK: 1 completed assessment(s)"),
        "[{be}] {out}"
    );
    store
        .write(|c| {
            c.execute(
                "UPDATE assessment_answers SET note = 'rewritten' WHERE item_id = 'R7/medical/2-①'",
                anzen_store::params![],
            )
        })
        .expect("tamper");
    let (code, out) = d.run(&["verify"]);
    assert_ne!(code, 0, "[{be}] {out}");
    assert!(
        out.contains("checklist") && out.contains("FAILED"),
        "[{be}] {out}"
    );
    assert!(out.contains("frozen as"), "[{be}] {out}");
}
