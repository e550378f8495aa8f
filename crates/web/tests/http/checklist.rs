//! The 年度 checklist over HTTP: start, answer (with the target date checked against the
//! 年度), permissions, completion frozen into the ledger, CSV export, tenant isolation.

use anzen_catalog::{Catalog, Form};
use anzen_core::Role;
use anzen_store::assessments;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

const FY: &str = "2025";

fn item_ids() -> Vec<String> {
    let cat = Catalog::builtin().expect("catalog");
    cat.edition(2025, Form::Medical)
        .expect("R7 medical")
        .items
        .iter()
        .map(|i| i.id.to_string())
        .collect()
}

/// The 令和7年度 form's gate question (医療情報システムを導入、運用している).
fn gate_id() -> String {
    let cat = Catalog::builtin().expect("catalog");
    cat.edition(2025, Form::Medical)
        .expect("R7 medical")
        .gate_questions
        .first()
        .expect("R7 has a gate question")
        .id
        .clone()
}

async fn answer(b: &Browser, a: i64, item: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("fy", FY), ("item", item)];
    form.extend_from_slice(fields);
    b.post(&format!("/o/{a}/checklist/answer"), &form).await
}

async fn checklist_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let be = app.backend;
    let ids = item_ids();
    let page = format!("/o/{a}/checklist?fy={FY}");

    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    // Empty state, then start.
    let (st, html) = staff.text(&page).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"checklist-empty\""), "[{be}] {html}");
    assert!(html.contains("令和7年度（2025年度）"), "[{be}]");
    assert!(html.contains("チェックリスト</a>"), "[{be}] nav item");
    let res = staff
        .post(&format!("/o/{a}/checklist/start"), &[("fy", FY)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] start");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains(&format!("0 / {}", ids.len())),
        "[{be}] {html}"
    );
    assert!(html.contains("要確認"), "[{be}] unverified badge");
    // 1-① auto-evidence: no officer registered in the seed → いいえ with the reason.
    assert!(html.contains("自動判定: <strong>いいえ</strong>"), "[{be}]");
    assert!(html.contains("手入力"), "[{be}]");

    // Answer an item.
    let res = answer(
        &staff,
        a,
        &ids[0],
        &[
            ("answer", "yes"),
            ("checked_on", "2025-06-01"),
            ("note", "山田"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] answer");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains(&format!("1 / {}", ids.len())), "[{be}]");

    // いいえ with a target date outside the 年度, or without one: refused in Japanese.
    let res = answer(
        &staff,
        a,
        "R7/medical/2-①",
        &[
            ("answer", "no"),
            ("checked_on", "2025-06-01"),
            ("target_date", "2027-01-01"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(
        html.contains("項目 2-①の対応目標日「2027-01-01」は令和7年度"),
        "[{be}] {html}"
    );
    // What was typed is shown again, marked as not saved.
    assert!(
        html.contains("value=\"2027-01-01\""),
        "[{be}] typed target date kept"
    );
    assert!(html.contains("保存されていません"), "[{be}]");
    let res = answer(
        &staff,
        a,
        "R7/medical/2-①",
        &[("answer", "no"), ("checked_on", "2025-06-01")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("対応目標日を令和7年度"),
        "[{be}]"
    );
    let res = answer(
        &staff,
        a,
        "R7/medical/2-①",
        &[
            ("answer", "no"),
            ("checked_on", "2025/6/1"),
            ("target_date", "R8.3.1"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] valid target");

    // Staff may not complete.
    let res = staff
        .get(&format!("/o/{a}/checklist/complete?fy={FY}"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");

    // Auditor: reads and exports, never edits.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let (st, html) = auditor.text(&page).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(!html.contains("/checklist/answer"), "[{be}] no forms");
    let res = answer(&auditor, a, &ids[1], &[("answer", "yes")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] auditor edit");
    let res = auditor
        .post(&format!("/o/{a}/checklist/start"), &[("fy", FY)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] auditor start");

    // Vendor: 403. Other organisation: 404.
    let vendor = app.sign_in(s.a_user(Role::Vendor)).await;
    assert_eq!(vendor.get(&page).await.status(), StatusCode::FORBIDDEN);
    let other = app.sign_in(&s.b_admin).await;
    assert_eq!(other.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other
            .get(&format!("/o/{a}/checklist/export.csv?fy={FY}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = answer(&other, a, &ids[1], &[("answer", "yes")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");

    // Completion needs every item answered.
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let (st, html) = officer
        .text(&format!("/o/{a}/checklist/complete?fy={FY}"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"complete-missing\""), "[{be}]");
    let org_a = s.a.clone();
    let draft = app
        .db(move |c| assessments::current(c, &org_a, 2025, "medical"))
        .await
        .expect("draft");
    let draft_id = draft.id.to_string();
    let res = officer
        .post(
            &format!("/o/{a}/checklist/complete"),
            &[("fy", FY), ("assessment", &draft_id), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}] incomplete");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("未入力の項目があるため確定できません"),
        "[{be}]"
    );
    for id in ids[2..].iter().filter(|i| *i != "R7/medical/2-①") {
        let res = answer(
            &staff,
            a,
            id,
            &[("answer", "yes"), ("checked_on", "2025-07-01")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] {id}");
    }
    let res = answer(&staff, a, &ids[1], &[("answer", "na"), ("checked_on", "")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff.text(&page).await;
    assert!(
        html.contains(&format!("{0} / {0}", ids.len())),
        "[{be}] all answered"
    );
    // The gate question is still open: completion is refused until it is answered.
    let (_, html) = officer
        .text(&format!("/o/{a}/checklist/complete?fy={FY}"))
        .await;
    assert!(
        html.contains("前提の確認「医療情報システムを導入、運用している。」"),
        "[{be}] {html}"
    );
    let res = answer(&staff, a, &gate_id(), &[("answer", "na")]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "[{be}] gate takes yes/no only"
    );
    let res = answer(
        &staff,
        a,
        &gate_id(),
        &[("answer", "yes"), ("checked_on", "2025-06-01")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] gate");
    let (st, html) = officer
        .text(&format!("/o/{a}/checklist/complete?fy={FY}"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(!html.contains("id=\"complete-missing\""), "[{be}] {html}");
    let id = between(&html, "name=\"assessment\" value=\"", "\"")
        .expect("assessment id")
        .to_owned();
    // Without the confirmation flag: back to the confirmation step.
    let res = officer
        .post(
            &format!("/o/{a}/checklist/complete"),
            &[("fy", FY), ("assessment", &id)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    assert!(location(&res).contains("/checklist/complete"), "[{be}]");
    let res = officer
        .post(
            &format!("/o/{a}/checklist/complete"),
            &[("fy", FY), ("assessment", &id), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] complete");

    // Frozen: further edits refused.
    let res = answer(
        &staff,
        a,
        &ids[0],
        &[("answer", "no"), ("target_date", "2026-01-01")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert!(
        res.text().await.expect("body").contains("確定済み"),
        "[{be}]"
    );
    let (_, html) = staff.text(&page).await;
    let shown_hash = between(&html, "<code id=\"checklist-hash\">", "</code>")
        .expect("hash shown")
        .to_owned();
    assert!(!html.contains("/checklist/answer"), "[{be}] no forms");

    // The ledger holds the completion with the hash of the answers.
    let org_a = s.a.clone();
    let rows = app
        .db(move |c| {
            let cur = assessments::current(c, &org_a, 2025, "medical")?.expect("assessment");
            assessments::answers(c, cur.id)
        })
        .await;
    let hash = assessments::freeze_hash(&rows, &[]).expect("hash");
    assert_eq!(hash, shown_hash, "[{be}]");
    let entries = app.ledger(s.a.id).await;
    let complete = entries
        .iter()
        .find(|e| e.kind == "assessment.complete")
        .expect("assessment.complete in the ledger");
    assert_eq!(complete.author, s.a_user(Role::SecurityOfficer).email);
    let payload: Value = serde_json::from_slice(&complete.payload).expect("payload");
    assert_eq!(payload["hash"], hash.as_str(), "[{be}]");
    assert_eq!(
        payload["answers"].as_array().map(Vec::len),
        Some(ids.len() + 1),
        "[{be}]"
    );
    assert!(
        entries.iter().any(|e| e.kind == "assessment.answer"),
        "[{be}]"
    );
    assert!(
        app.ledger(s.b.id)
            .await
            .iter()
            .all(|e| !e.kind.starts_with("assessment.")),
        "[{be}] nothing in B's ledger"
    );

    // CSV: BOM, CRLF, the answers; the export is audited.
    let res = auditor
        .get(&format!("/o/{a}/checklist/export.csv?fy={FY}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("ct")
            .starts_with("text/csv"),
        "[{be}]"
    );
    let bytes = res.bytes().await.expect("csv");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "[{be}] BOM");
    let csv = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0], "\"項目番号\",\"対象\",\"確認内容\",\"回答\",\"確認日\",\"対応目標日\",\"備考\"",
        "[{be}]"
    );
    assert_eq!(
        lines.len(),
        ids.len() + 3,
        "[{be}] gate + rows + header + final CRLF"
    );
    assert!(
        lines[1].starts_with(
            "\"前提\",\"\",\"医療情報システムを導入、運用している。\",\"はい\",\"2025-06-01\""
        ),
        "[{be}] {}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("\"1-①\",\"\",\"医療情報システム安全管理責任者を設置している。\",\"はい\",\"2025-06-01\",\"\",\"山田\""),
        "[{be}] {}",
        lines[2]
    );
    assert!(
        csv.contains("\"2-①\",\"\",\"サーバ、端末PC、ネットワーク機器の台帳管理を行っている。\",\"いいえ\",\"2025-06-01\",\"2026-03-01\""),
        "[{be}] {csv}"
    );
    let entries = app.ledger(s.a.id).await;
    let export = entries
        .iter()
        .find(|e| e.kind == "export.checklist")
        .expect("export.checklist in the ledger");
    assert_eq!(export.author, s.a_user(Role::Auditor).email);
    xlsx_export(&app, &auditor, ids.len() + 1).await;
    assert_eq!(
        vendor
            .get(&format!("/o/{a}/checklist/export.csv?fy={FY}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[test]
fn checklist_answer_complete_export_and_permissions() {
    run(test_config(), checklist_body);
}

/// The xlsx export: a valid workbook (read back with calamine) in the official layout,
/// with the same cells as the CSV; audited with its format.
async fn xlsx_export(app: &App, auditor: &Browser, items: usize) {
    use calamine::{Data, Reader, Xlsx};

    let (s, be) = (&app.seed, app.backend);
    let a = s.a.id.0;
    let res = auditor
        .get(&format!("/o/{a}/checklist/export.xlsx?fy={FY}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}] xlsx");
    assert_eq!(
        res.headers()[reqwest::header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "[{be}]"
    );
    assert!(
        res.headers()[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .expect("cd")
            .contains("checklist-2025-medical.xlsx"),
        "[{be}]"
    );
    let bytes = res.bytes().await.expect("xlsx");
    assert_eq!(&bytes[..2], b"PK", "[{be}] a zip");
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    assert_eq!(
        wb.sheet_names(),
        vec!["チェックリスト".to_owned()],
        "[{be}]"
    );
    let range = wb.worksheet_range("チェックリスト").expect("sheet");
    let cell = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => panic!("[{be}] cell ({r}, {c}) is not text: {other:?}"),
    };
    assert_eq!(
        cell(0, 0),
        "令和7年度 医療機関におけるサイバーセキュリティ対策チェックリスト（医療機関確認用）",
        "[{be}] title"
    );
    assert!(cell(1, 0).starts_with("施設名: "), "[{be}] {}", cell(1, 0));
    let header: Vec<String> = (0..8).map(|c| cell(3, c)).collect();
    assert_eq!(
        header,
        [
            "項目番号",
            "対象",
            "確認内容",
            "回答",
            "確認日",
            "対応目標日",
            "備考",
            "要確認"
        ],
        "[{be}]"
    );
    assert_eq!(
        range.end().map(|(r, _)| r),
        Some(3 + items as u32),
        "[{be}] one row per gate question and item"
    );
    let row = |r: u32| (0..7).map(|c| cell(r, c)).collect::<Vec<_>>();
    assert_eq!(row(4)[0], "前提", "[{be}] the gate question first");
    assert_eq!(
        row(5),
        [
            "1-①",
            "",
            "医療情報システム安全管理責任者を設置している。",
            "はい",
            "2025-06-01",
            "",
            "山田"
        ],
        "[{be}]"
    );
    let no = (4..4 + items as u32)
        .map(row)
        .find(|r| r[0] == "2-①")
        .expect("2-①");
    assert_eq!(
        no[2..6],
        [
            "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。",
            "いいえ",
            "2025-06-01",
            "2026-03-01"
        ],
        "[{be}]"
    );
    assert!(
        (4..4 + items as u32).any(|r| cell(r, 7).starts_with("要確認")),
        "[{be}] unverified items are marked"
    );
    let entries = app.ledger(s.a.id).await;
    let formats: Vec<String> = entries
        .iter()
        .filter(|e| e.kind == "export.checklist")
        .map(|e| {
            let v: Value = serde_json::from_slice(&e.payload).expect("payload");
            v["format"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(formats.iter().any(|f| f == "xlsx"), "[{be}] {formats:?}");
    assert!(formats.iter().any(|f| f == "csv"), "[{be}] {formats:?}");
}
