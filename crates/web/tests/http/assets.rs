//! The asset ledger over HTTP on both backends: register, findings from the real NVD/KEV
//! records, remediation tracking, an edit that resolves a finding, import with preview
//! (refused file named by line and column; added/changed/gone), export, the 2-(1)
//! auto-evidence on the checklist, tenant isolation.

use anzen_core::Role;
use anzen_store::vuln_feeds;
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

fn feed(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("the shared feed fixture {path}: {e}"))
}

fn fw(version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("key", "FW-01".into()),
        ("kind", "network".into()),
        ("name", "VPN装置".into()),
        ("vendor", "Fortinet".into()),
        ("product", "FortiGate 60F".into()),
        ("version", version.into()),
        ("os", format!("FortiOS {version}")),
        ("location", "サーバ室".into()),
        ("internet_facing", "yes".into()),
        ("source_restricted", "no".into()),
        ("status", "active".into()),
    ]
}

async fn upload(b: &Browser, org: i64, name: &str, body: Vec<u8>) -> reqwest::Response {
    let form = Multipart::new()
        .text("csrf", b.csrf.clone())
        .part("file", Part::bytes(body).file_name(name.to_owned()));
    b.client
        .post(b.url(&format!("/o/{org}/assets/import")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn assets_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let (st, html) = staff.text(&format!("/o/{a}/assets")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"assets-empty\""), "[{be}]");
    assert!(html.contains("資産台帳</a>"), "[{be}] nav");

    // Feeds (server-wide), then a vulnerable VPN appliance.
    app.db(|c| {
        for name in ["nvd.json", "kev.json"] {
            anzen_web::checks::import_feed(c, name, &feed(name))
                .map_err(|e| anzen_store::StoreError::Conflict(e.to_string()))?;
        }
        Ok(())
    })
    .await;
    let counts = app.db(vuln_feeds::counts).await;
    assert_eq!(
        counts,
        vec![("kev".to_owned(), 1), ("nvd".to_owned(), 14)],
        "[{be}]"
    );
    let res = staff
        .post(&format!("/o/{a}/assets"), &as_refs(&fw("6.0.4")))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] create");
    let asset_page = location(&res);
    let res = staff
        .post(&format!("/o/{a}/assets"), &as_refs(&fw("6.0.4")))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "[{be}] duplicate id"
    );
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("資産ID「FW-01」はすでに台帳にあります")
    );
    let (_, html) = staff.text(&format!("/o/{a}/findings")).await;
    assert!(html.contains("CVE-2018-13379"), "[{be}] {html}");
    assert!(html.contains("KEV 対応期限: 2022-05-03"), "[{be}]");
    assert!(
        html.contains("<span class=\"badge sev-critical\">最優先</span> VPN装置（FW-01）"),
        "[{be}]"
    );
    assert!(html.contains("接続元が制限されていません"), "[{be}] 2-(8)");
    let (_, dash) = staff.text(&format!("/o/{a}/")).await;
    let first = dash
        .find("【最優先】VPN装置（FW-01）")
        .expect("the KEV finding on the dashboard");
    let second = dash.find("【高】").unwrap_or(usize::MAX);
    assert!(first < second, "[{be}] worst first");
    assert!(dash.contains("KEV 対応期限 2022-05-03"), "[{be}]");
    let id = between(&html, "id=\"finding-", "\"")
        .expect("a finding")
        .to_owned();
    let res = staff
        .post(
            &format!("/o/{a}/findings/{id}"),
            &[
                ("assignee", "山田"),
                ("due_date", "2026-12-01"),
                ("progress", "doing"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] track");
    let res = staff
        .post(
            &format!("/o/{a}/findings/{id}"),
            &[("progress", "accepted"), ("note", "")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "[{be}] acceptance needs a reason"
    );

    // Upgrading past the range resolves CVE-2018-13379 (kept as resolved).
    let res = staff.post(&asset_page, &as_refs(&fw("6.0.5"))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] update");
    let (_, html) = staff.text(&format!("/o/{a}/findings")).await;
    assert!(!html.contains("CVE-2018-13379"), "[{be}] resolved");
    let (_, html) = staff.text(&format!("/o/{a}/findings?show=all")).await;
    assert!(html.contains("CVE-2018-13379"), "[{be}] kept as resolved");
    let (_, html) = staff.text(&asset_page).await;
    assert!(
        html.contains("FortiOS 6.0.4 → FortiOS 6.0.5"),
        "[{be}] history: {html}"
    );
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "asset.create",
        "asset.update",
        "finding.open",
        "finding.resolve",
        "finding.track",
    ] {
        assert!(kinds.contains(&k.to_owned()), "[{be}] {k}");
    }

    // Import: a bad file is refused with line and column, nothing stored.
    let bad = "資産ID,種別,名称\r\nPC-01,端末PC,受付PC\r\nPC-02,ルーター,診察室PC\r\n";
    let res = upload(&staff, a, "台帳.csv", bad.as_bytes().to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(html.contains("台帳.csv 3行目 『種別』"), "[{be}] {html}");
    // A good one: preview, then confirm with the missing FW-01 retired.
    let good = "資産ID,種別,名称,OS,設置場所\r\nPC-01,端末PC,受付PC,Windows 11 Pro,受付\r\nSV-01,サーバ,電子カルテサーバ,Windows Server 2022,サーバ室\r\n";
    let res = upload(&staff, a, "台帳.csv", good.as_bytes().to_vec()).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(
        html.contains("追加 2件・変更 0件・ファイルに無い機器 1件"),
        "[{be}] {html}"
    );
    let token = between(&html, "name=\"token\" value=\"", "\"")
        .expect("token")
        .to_owned();
    let res = staff
        .post(
            &format!("/o/{a}/assets/import/confirm"),
            &[("token", token.as_str()), ("retire_gone", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] confirm");
    let (_, html) = staff.text(&location(&res)).await;
    assert!(
        html.contains("追加 2件・変更 0件・廃棄 1件"),
        "[{be}] {html}"
    );
    assert!(!html.contains(">FW-01<"), "[{be}] retired hidden");
    let (_, html) = staff.text(&format!("/o/{a}/findings")).await;
    assert!(
        !html.contains("FW-01"),
        "[{be}] retired assets are not checked"
    );

    // Export (auditor) parses back through the importer.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let res = auditor
        .get(&format!("/o/{a}/assets/files/export.csv"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let bytes = res.bytes().await.expect("csv");
    let parsed = anzen_ingest::parse_assets("export.csv", &bytes).expect("export parses");
    assert_eq!(parsed.rows.len(), 3, "[{be}] retired included");
    let res = auditor
        .get(&format!("/o/{a}/assets/files/export.xlsx"))
        .await;
    assert_eq!(&res.bytes().await.expect("xlsx")[..2], b"PK", "[{be}]");
    assert_eq!(
        auditor
            .post(&format!("/o/{a}/assets"), &as_refs(&fw("1")))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "[{be}] auditors do not edit"
    );

    // 2-(1) on the checklist: no review yet → いいえ with the reason; after a review → はい.
    staff
        .post(&format!("/o/{a}/checklist/start"), &[("fy", "2025")])
        .await;
    let (_, html) = staff.text(&format!("/o/{a}/checklist?fy=2025")).await;
    assert!(
        html.contains("台帳の棚卸（見直し）の記録がありません"),
        "[{be}]"
    );
    let res = staff
        .post(
            &format!("/o/{a}/assets/review"),
            &[("reviewed_on", ""), ("note", "年次")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = staff.text(&format!("/o/{a}/checklist?fy=2025")).await;
    assert!(
        html.contains("台帳に稼働中の機器が2台登録されています"),
        "[{be}]"
    );
    assert!(html.contains("（12か月以内）"), "[{be}]");
    assert!(
        html.contains("台帳の「不要サービス停止」が未記入の機器が2台あります"),
        "[{be}] 2-⑬ from the ledger"
    );

    // B sees nothing of A's.
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(
        b_admin.get(&asset_page).await.status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
    let (_, html) = b_admin.text(&format!("/o/{}/findings", s.b.id.0)).await;
    assert!(html.contains("id=\"findings-empty\""), "[{be}]");
}

#[test]
fn asset_ledger_findings_import_and_evidence() {
    run(test_config(), assets_body);
}
