//! The 立入検査 pack over HTTP: the page with its warnings, the xlsx (opened with calamine:
//! sheets, cover, a row of every section) and the print bundle; each download recorded in
//! the ledger with the SHA-256 of the exact bytes sent, under the checkpoint on its cover.

use anzen_core::Role;
use anzen_store::continuity::{self, BackupJobData, Drill};
use anzen_store::incident::ContactData;
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::{StoreError, accounts, assets, vendors};
use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::common::{App, between, run, test_config};

/// Records in organisation A: a system, a contact, a backup, a drill, an unapproved BCP,
/// the template's sample assets, a vendor, a started checklist with one answer, and the
/// incident rules' findings.
async fn seed(app: &App) {
    let org = app.seed.a.clone();
    app.db(move |c| -> Result<(), StoreError> {
        let sys = accounts::save_system(
            c,
            &org,
            "t",
            None,
            &accounts::SystemData {
                name: "電子カルテ".into(),
                kind: "電子カルテ".into(),
                owner: Some("山田".into()),
                vendor: Some("メディシス株式会社".into()),
                supports_mfa: true,
                min_password_len: Some(8),
                note: None,
            },
        )?;
        anzen_store::incident::save_contact(
            c,
            &org,
            "t",
            None,
            &ContactData {
                role: "csirt".into(),
                name: "鈴木 一郎".into(),
                organisation: None,
                phone: Some("03-1234-5678".into()),
                email: None,
                hours: None,
                escalation_order: Some(1),
                note: None,
            },
        )?;
        continuity::save_job(
            c,
            &org,
            "t",
            None,
            &BackupJobData {
                system_id: sys.id,
                method: "外付けHDD".into(),
                generations: 3,
                offline: true,
                location: Some("院長室金庫".into()),
                frequency_days: 1,
                last_success: Some("2025-06-01".into()),
                note: None,
            },
        )?;
        continuity::add_drill(
            c,
            &org,
            "t",
            &Drill {
                id: 0,
                system_id: sys.id,
                drill_date: "2025-07-10".into(),
                ok: true,
                minutes: Some(90),
                note: None,
                recorded_by: "t".into(),
            },
        )?;
        let plan = anzen_core::rules::bcp::BcpPlan {
            initial_response: vec!["ネットワークから切り離す".into()],
            ..Default::default()
        };
        continuity::save_bcp(
            c,
            &org,
            "t",
            &serde_json::to_string(&plan).map_err(|e| StoreError::Decode(e.to_string()))?,
            Some("2026-03-31"),
        )?;
        let csv = anzen_ingest::template_csv(anzen_ingest::TemplateKind::Assets);
        let parsed = anzen_ingest::parse_assets("t.csv", &csv)
            .map_err(|e| StoreError::Decode(format!("{e:?}")))?;
        for r in &parsed.rows {
            assets::create(c, &org, "t", &anzen_web::assets_export::from_row(&r.row))?;
        }
        vendors::save(
            c,
            &org,
            "t",
            None,
            &vendors::VendorData {
                name: "メディシス株式会社".into(),
                active: true,
                ..Default::default()
            },
        )?;
        let cat = anzen_web::checklist_export::catalog().map_err(StoreError::Decode)?;
        let edition = cat
            .edition(2025, anzen_catalog::Form::Medical)
            .ok_or_else(|| StoreError::Decode("no R7 edition".into()))?;
        let ids: Vec<String> = edition.items.iter().map(|i| i.id.to_string()).collect();
        let a = anzen_store::assessments::create(
            c,
            &org,
            "t",
            &anzen_store::assessments::NewAssessment {
                fiscal_year: 2025,
                form: "medical",
                edition_fy: 2025,
                item_ids: &ids,
                client_org_id: None,
            },
            &|_| None,
        )?;
        anzen_store::assessments::set_answer(
            c,
            &org,
            "t",
            &a,
            &ids[0],
            &anzen_store::assessments::AnswerInput {
                answer: Some(anzen_store::assessments::Answer::Yes),
                checked_on: Some("2025-06-01".into()),
                target_date: None,
                note: None,
            },
        )?;
        anzen_web::checks::check_incident(c, &org, "t", jiff::civil::date(2025, 11, 20))
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        // 運用管理規程 approved, and one training session of the 年度 with two attendees.
        let doc = serde_json::json!({
            "title": "医療情報システム運用管理規程",
            "sections": [
                {"code": "purpose", "heading": "目的", "body": "この規程は安全管理を定める。"},
                {"code": "training", "heading": "教育と訓練", "body": "年1回以上の研修を行う。"}
            ]
        });
        anzen_store::governance::save_policy(c, &org, "t", &doc.to_string())?;
        anzen_store::governance::approve_policy(c, &org, "t", "院長 佐藤", "2025-05-01")?;
        anzen_store::governance::create_training(
            c,
            &org,
            "t",
            &anzen_store::governance::TrainingData {
                title: "標的型メール訓練".into(),
                held_on: "2025-06-10".into(),
                instructor: Some("情報システム課".into()),
                audience: Some("全職員".into()),
                note: None,
            },
            &[
                anzen_store::governance::Attendee {
                    staff_id: Some("S001".into()),
                    name: "田中 花子".into(),
                },
                anzen_store::governance::Attendee {
                    staff_id: None,
                    name: "委託 太郎".into(),
                },
            ],
            None,
        )?;
        Ok(())
    })
    .await;
}

/// Every cell of a sheet, row by row, joined with `|`.
fn sheet_rows(x: &mut Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<String> {
    x.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// The `export.inspection_pack` entries, newest first: (index, format, sha256, checkpoint
/// size).
async fn records(app: &App) -> Vec<(u64, String, String, u64)> {
    let org = app.seed.a.id;
    app.db(move |c| {
        ledger::list(
            c,
            org,
            &EntryQuery {
                kind_prefix: Some("export.inspection_pack".into()),
                ..EntryQuery::default()
            },
        )
    })
    .await
    .into_iter()
    .map(|e| {
        let v: serde_json::Value = serde_json::from_slice(&e.payload).expect("json");
        (
            e.index,
            v["format"].as_str().unwrap_or_default().to_owned(),
            v["sha256"].as_str().unwrap_or_default().to_owned(),
            v["checkpoint"]["size"].as_u64().unwrap_or(u64::MAX),
        )
    })
    .collect()
}

async fn pack_body(app: App) {
    let be = app.backend;
    seed(&app).await;
    let a = app.seed.a.id.0;
    let officer = app.sign_in(app.seed.a_user(Role::SecurityOfficer)).await;

    // Who may: a vendor member may not; another organisation's admin sees nothing.
    let vendor = app.sign_in(app.seed.a_user(Role::Vendor)).await;
    let b_admin = app.sign_in(&app.seed.b_admin).await;
    for path in [
        format!("/o/{a}/inspection-pack"),
        format!("/o/{a}/inspection-pack/export.xlsx?year=2025"),
        format!("/o/{a}/inspection-pack/print?year=2025"),
    ] {
        assert_eq!(
            vendor.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "[{be}] {path}"
        );
        assert_eq!(
            b_admin.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "[{be}] {path}"
        );
    }
    assert!(records(&app).await.is_empty(), "[{be}] nothing recorded");

    // The page: what is included, with the warnings; a bad year is refused.
    let (status, html) = officer
        .text(&format!("/o/{a}/inspection-pack?year=2025"))
        .await;
    assert_eq!(status, StatusCode::OK, "[{be}]");
    assert!(html.contains("BCP が未承認です。"), "[{be}]");
    assert!(html.contains("令和7年度（2025年度）"), "[{be}]");
    assert!(
        html.contains(&format!("/o/{a}/inspection-pack/export.xlsx?year=2025")),
        "[{be}]"
    );
    assert!(
        html.contains(&format!("/o/{a}/inspection-pack/print?year=2025")),
        "[{be}]"
    );
    let (status, _) = officer
        .text(&format!("/o/{a}/inspection-pack?year=R7"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "[{be}]");
    let (_, dash) = officer.text(&format!("/o/{a}/")).await;
    assert!(
        dash.contains("立入検査資料を作成する"),
        "[{be}] dashboard link"
    );

    // The workbook.
    let res = officer
        .get(&format!("/o/{a}/inspection-pack/export.xlsx?year=2025"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    assert!(
        res.headers()[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .expect("header")
            .contains("inspection-pack-2025.xlsx"),
        "[{be}]"
    );
    let bytes = res.bytes().await.expect("body").to_vec();
    let sha = sha256_hex(&bytes);
    let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("xlsx");
    assert_eq!(
        x.sheet_names(),
        [
            "表紙",
            "チェックリスト",
            "連絡体制図",
            "連絡先",
            "資産台帳",
            "アカウント管理",
            "バックアップ",
            "復旧訓練・手順",
            "事業継続計画",
            "運用管理規程",
            "研修",
            "研修出席者",
            "事業者",
            "事業者書類",
            "第三者認証",
            "指摘事項"
        ],
        "[{be}]"
    );
    let cover = sheet_rows(&mut x, "表紙");
    let cover_text = cover.join("\n");
    assert!(cover_text.contains(crate::common::A_NAME), "[{be}]");
    assert!(cover_text.contains("令和7年度（2025年度）"), "[{be}]");
    assert!(
        cover_text.contains("security-officer@a-anzen.example.jp"),
        "[{be}]"
    );
    // The table of contents with each sheet's row count.
    assert!(
        cover
            .iter()
            .any(|r| r.starts_with("事業継続計画|事業継続計画（BCP）|")
                && r.contains("BCP が未承認です。")),
        "[{be}] {cover:?}"
    );
    // The checkpoint: signed by the server's key, stored, and covering everything before
    // the pack's own record, which holds the SHA-256 of the bytes downloaded.
    let note_row = cover
        .iter()
        .find(|r| r.starts_with("署名付きチェックポイント|"))
        .expect("note on the cover");
    let note = note_row
        .strip_prefix("署名付きチェックポイント|")
        .expect("note")
        .trim_end_matches('|');
    let cp = anzen_ledger::Checkpoint::open(note, &app.ledger_key).expect("signed by the server");
    assert!(
        cover
            .iter()
            .any(|r| r.starts_with(&format!("記録件数（tree size）|{}", cp.size))),
        "[{be}]"
    );
    assert!(
        cover
            .iter()
            .any(|r| r.starts_with(&format!("ルートハッシュ（hex）|{}", cp.root.to_hex()))),
        "[{be}]"
    );
    assert!(
        cover
            .iter()
            .any(|r| r.starts_with(&format!("ルートハッシュ（base64）|{}", cp.root.to_base64()))),
        "[{be}]"
    );
    assert!(cover_text.contains("署名鍵の名前|anzen.test"), "[{be}]");
    let org = app.seed.a.id;
    let stored = app.db(move |c| ledger::checkpoints(c, org)).await;
    assert!(stored.iter().any(|n| n == note), "[{be}] stored checkpoint");
    let recs = records(&app).await;
    assert_eq!(recs.len(), 1, "[{be}]");
    let (index, format, hash, size) = recs[0].clone();
    assert_eq!(
        (format.as_str(), hash.as_str(), size),
        ("xlsx", sha.as_str(), cp.size),
        "[{be}]"
    );
    assert_eq!(index, cp.size, "[{be}] the record follows the checkpoint");
    assert!(
        cover_text.contains(&format!("エントリ #{index} ")),
        "[{be}] the cover names the record"
    );
    // The record itself is under a signed checkpoint.
    let last = app
        .db(move |c| ledger::latest_checkpoint(c, org))
        .await
        .expect("sealed");
    let sealed = anzen_ledger::Checkpoint::open(&last, &app.ledger_key).expect("sealed");
    assert_eq!(sealed.size, index + 1, "[{be}]");

    // A row from every section.
    let has =
        |rows: &[String], parts: &[&str]| rows.iter().any(|r| parts.iter().all(|p| r.contains(p)));
    let checklist = sheet_rows(&mut x, "チェックリスト");
    assert!(
        has(&checklist, &["1-①", "はい", "2025-06-01（令和7年6月1日）"]),
        "[{be}] {checklist:?}"
    );
    assert!(
        checklist
            .iter()
            .any(|r| r.contains("チェックリストは確定されていません")),
        "[{be}]"
    );
    assert!(
        has(
            &sheet_rows(&mut x, "連絡先"),
            &["鈴木 一郎", "03-1234-5678"]
        ),
        "[{be}]"
    );
    let assets_rows = sheet_rows(&mut x, "資産台帳");
    assert!(
        assets_rows
            .iter()
            .any(|r| r.starts_with("資産ID|") || r.contains("|名称|")),
        "[{be}] header {assets_rows:?}"
    );
    assert!(assets_rows.len() > 3, "[{be}] {assets_rows:?}");
    assert!(
        has(
            &sheet_rows(&mut x, "アカウント管理"),
            &["電子カルテ", "山田", "メディシス株式会社"]
        ),
        "[{be}]"
    );
    assert!(
        has(
            &sheet_rows(&mut x, "バックアップ"),
            &["電子カルテ", "外付けHDD", "2025-06-01（令和7年6月1日）"]
        ),
        "[{be}]"
    );
    assert!(
        has(
            &sheet_rows(&mut x, "復旧訓練・手順"),
            &[
                "電子カルテ",
                "復旧訓練",
                "2025-07-10（令和7年7月10日）",
                "復元できた"
            ]
        ),
        "[{be}]"
    );
    let policy = sheet_rows(&mut x, "運用管理規程");
    assert!(
        has(&policy, &["第2条", "教育と訓練", "年1回以上"]),
        "[{be}] {policy:?}"
    );
    assert!(
        policy
            .iter()
            .any(|r| r.contains("第1版") && r.contains("院長 佐藤")),
        "[{be}] {policy:?}"
    );
    let training = sheet_rows(&mut x, "研修");
    assert!(
        training
            .iter()
            .any(|r| r.contains("標的型メール訓練") && r.contains("全職員") && r.ends_with("|2")),
        "[{be}] {training:?}"
    );
    let attendance = sheet_rows(&mut x, "研修出席者");
    assert!(has(&attendance, &["S001", "田中 花子"]), "[{be}]");
    assert!(has(&attendance, &["（名簿外）", "委託 太郎"]), "[{be}]");
    let bcp = sheet_rows(&mut x, "事業継続計画");
    assert!(has(&bcp, &["承認", "未承認"]), "[{be}] {bcp:?}");
    assert!(
        has(&bcp, &["初動対応", "ネットワークから切り離す"]),
        "[{be}]"
    );
    assert!(
        has(
            &sheet_rows(&mut x, "事業者"),
            &["メディシス株式会社", "契約中"]
        ),
        "[{be}]"
    );
    assert!(
        has(
            &sheet_rows(&mut x, "事業者書類"),
            &["メディシス株式会社", "未受領"]
        ) || has(&sheet_rows(&mut x, "事業者書類"), &["受領日", "状態"]),
        "[{be}]"
    );
    let findings = sheet_rows(&mut x, "指摘事項");
    assert!(
        has(&findings, &["インシデント対応"]),
        "[{be}] the incident rules' findings: {findings:?}"
    );

    // The print bundle: cover, checkpoint, every section on its own page; recorded too.
    let res = officer
        .get(&format!("/o/{a}/inspection-pack/print?year=2025"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let body = res.bytes().await.expect("body").to_vec();
    let html = String::from_utf8(body.clone()).expect("utf-8");
    assert!(
        html.contains("立入検査資料（医療情報システムの安全管理）"),
        "[{be}]"
    );
    assert_eq!(
        html.matches("<section class=\"page-break pack-section\">")
            .count(),
        10,
        "[{be}]"
    );
    assert!(html.contains("<svg"), "[{be}] the 連絡体制図");
    assert!(html.contains("BCP が未承認です。"), "[{be}]");
    let size: u64 = between(&html, "id=\"pack-checkpoint-size\">", "<")
        .expect("size")
        .parse()
        .expect("number");
    let recs = records(&app).await;
    assert_eq!(recs.len(), 2, "[{be}]");
    let (index, format, hash, cp_size) = recs[0].clone();
    assert_eq!(format, "html", "[{be}]");
    assert_eq!(
        hash,
        sha256_hex(&body),
        "[{be}] the HTML sent is the HTML recorded"
    );
    assert_eq!((cp_size, index), (size, size), "[{be}]");
}

#[test]
fn inspection_pack_page_workbook_and_print_bundle() {
    run(test_config(), pack_body);
}
