//! Access-log pages: upload a log, search by patient and user (each search audited),
//! CSV (with BOM) and xlsx export, the quarantine page, and who may see them.

use anzen_core::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

const LOG: &str = "日時,システム,アカウントID,患者ID,操作,結果\n\
2025-04-01 09:00:00,電子カルテ,tanaka,P001,参照,成功\n\
2025-04-01 09:05:00,電子カルテ,tanaka,P001,覗き見,成功\n\
2025-04-01 09:10:00,PACS,suzuki,P001,印刷,成功\n\
2025-04-02 10:00:00,電子カルテ,suzuki,P002,更新,成功\n";

async fn access_log_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let admin = app.sign_in(s.a_user(Role::Admin)).await;

    let res = admin.get(&format!("/o/{a}/access-log")).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(
        html.contains("まだ取り込んだファイルはありません"),
        "[{be}]"
    );

    let form = Multipart::new().text("csrf", admin.csrf.clone()).part(
        "file",
        Part::bytes(LOG.as_bytes().to_vec()).file_name("ehr.csv"),
    );
    let res = admin
        .client
        .post(admin.url(&format!("/o/{a}/access-log/import")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");

    let res = admin.get(&format!("/o/{a}/access-log?patient=P001")).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(html.contains("全2件"), "[{be}] {html}");
    let first = html.find("suzuki").expect("suzuki");
    let second = html.find("tanaka</a>").expect("tanaka");
    assert!(first < second, "[{be}] newest first");

    let res = admin
        .get(&format!(
            "/o/{a}/access-log?user=suzuki&from=2025-04-02&to=2025-04-02"
        ))
        .await;
    let html = res.text().await.expect("body");
    assert!(
        html.contains("全1件") && html.contains("P002"),
        "[{be}] {html}"
    );

    let res = admin
        .get(&format!("/o/{a}/access-log/export.csv?patient=P001"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let csv = res.text().await.expect("csv");
    assert!(csv.starts_with('\u{feff}'), "[{be}]");
    assert_eq!(csv.lines().count(), 3, "[{be}] {csv}");
    let res = admin
        .get(&format!("/o/{a}/access-log/export.xlsx?patient=P001"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let bytes = res.bytes().await.expect("xlsx");
    assert!(bytes.starts_with(b"PK"), "[{be}]");

    let res = admin.get(&format!("/o/{a}/access-log/quarantine")).await;
    let html = res.text().await.expect("body");
    assert!(
        html.contains("ehr.csv") && html.contains("覗き見"),
        "[{be}] {html}"
    );

    // Searches and exports are in the audit trail.
    // The synchronous PostgreSQL client must not run on the async runtime's threads.
    let (store, org_a) = (app.store.clone(), s.a.id);
    let entries = tokio::task::spawn_blocking(move || {
        store.read(|c| {
            anzen_store::ledger::list(c, org_a, &anzen_store::ledger::EntryQuery::default())
        })
    })
    .await
    .expect("join")
    .expect("ledger");
    let count = |k: &str| entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(count("access_log.search"), 2, "[{be}]");
    assert_eq!(count("export.access_log"), 2, "[{be}]");
    assert_eq!(count("access_log.import"), 1, "[{be}]");

    // Staff may not read access logs; another organisation sees none of A's.
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let res = staff.get(&format!("/o/{a}/access-log?patient=P001")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let b_admin = app.sign_in(&s.b_admin).await;
    let b = s.b.id.0;
    let res = b_admin
        .get(&format!("/o/{b}/access-log?patient=P001"))
        .await;
    let html = res.text().await.expect("body");
    assert!(html.contains("該当するアクセスはありません"), "[{be}]");
}

#[test]
fn access_log_search_export_and_quarantine() {
    run(test_config(), access_log_body);
}
