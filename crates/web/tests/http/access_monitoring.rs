//! アクセスログの監視: the settings page (Japanese validation, who may change it), the
//! monitoring run after an upload (VIP, outside hours, holidays) and the reconciliation
//! after a settings change.

use anzen_core::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

/// `YYYY-MM-DD` (JST) `days` days ago.
fn day_ago(days: i64) -> String {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)));
    (now.date() - jiff::Span::new().days(days)).to_string()
}

fn settings_form(vip: &str) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("holidays_closed", "1".to_owned()),
        ("closed_days", "2025-12-29".to_owned()),
        ("always_open", String::new()),
        ("patients_per_hour", "30".to_owned()),
        ("failed_logins", "5".to_owned()),
        ("failed_window_minutes", "10".to_owned()),
        ("outputs_per_hour", "100".to_owned()),
        ("vip_patients", vip.to_owned()),
        ("staff_patients", String::new()),
        ("terminals", String::new()),
    ];
    // Monday to Friday 08:30–17:30; Saturday and Sunday closed.
    for (a, b) in [
        ("start0", "end0"),
        ("start1", "end1"),
        ("start2", "end2"),
        ("start3", "end3"),
        ("start4", "end4"),
    ] {
        f.push((a, "08:30".to_owned()));
        f.push((b, "17:30".to_owned()));
    }
    f
}

async fn upload(b: &Browser, org: i64, name: &str, body: String) {
    let form = Multipart::new().text("csrf", b.csrf.clone()).part(
        "file",
        Part::bytes(body.into_bytes()).file_name(name.to_owned()),
    );
    let res = b
        .client
        .post(b.url(&format!("/o/{org}/access-log/import")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn monitoring_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let path = format!("/o/{a}/access-log/monitoring");

    let (st, html) = officer.text(&path).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("初期値") && html.contains("07:00"), "[{be}]");

    // Bad input: Japanese errors naming the field and line, nothing saved.
    let mut bad = settings_form("P-VIP");
    bad.push(("start5", "8:30".to_owned()));
    bad[1].1 = "2025-12-29\n2025-13-01".to_owned();
    bad[3].1 = "たくさん".to_owned();
    let res = officer.post(&path, &as_refs(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(html.contains("業務時間（土曜日）"), "[{be}] {html}");
    assert!(html.contains("「休業日」2行目「2025-13-01」"), "[{be}]");
    assert!(html.contains("たくさん"), "[{be}]");
    let (_, html) = officer.text(&path).await;
    assert!(html.contains("初期値"), "[{be}] not saved");

    let good = settings_form("P-VIP");
    let res = officer.post(&path, &as_refs(&good)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let (_, html) = officer.text(&format!("{path}?saved=1")).await;
    assert!(html.contains("P-VIP") && html.contains("08:30"), "[{be}]");

    // 2025-04-07 is a Monday, 2025-04-29 昭和の日 (a Tuesday).
    let recent = day_ago(2);
    let log = format!(
        "日時,システム,アカウントID,患者ID,操作,結果\n\
         2025-04-07 10:00:00,電子カルテ,tanaka,P001,参照,成功\n\
         2025-04-07 22:30:00,電子カルテ,sato,P002,参照,成功\n\
         2025-04-29 10:00:00,電子カルテ,suzuki,P003,更新,成功\n\
         {recent} 12:00:00,電子カルテ,tanaka,P-VIP,参照,成功\n"
    );
    upload(&officer, a, "ehr.csv", log).await;
    let org = s.a.clone();
    let open = app
        .db(move |c| anzen_store::findings::list(c, &org, true))
        .await;
    let keys: Vec<&str> = open
        .iter()
        .filter(|f| f.rule.starts_with("access."))
        .map(|f| f.key.as_str())
        .collect();
    assert!(
        keys.contains(&"access.outside_hours/account:電子カルテ/sato/2025-04-07"),
        "[{be}] {keys:?}"
    );
    assert!(
        keys.contains(&"access.outside_hours/account:電子カルテ/suzuki/2025-04-29"),
        "[{be}] holiday: {keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.contains("tanaka/2025-04-07")),
        "[{be}] inside hours: {keys:?}"
    );
    let vip_key = format!("access.vip_patient/account:電子カルテ/tanaka/{recent}");
    assert!(keys.contains(&vip_key.as_str()), "[{be}] {keys:?}");
    let (_, html) = officer.text(&format!("/o/{a}/findings")).await;
    assert!(
        html.contains("VIP 患者の記録へのアクセス") && html.contains("業務時間外のアクセス"),
        "[{be}]"
    );

    // Taking P-VIP off the list resolves its finding (the last 31 days are re-checked);
    // the April findings are outside that period and stay.
    let res = officer.post(&path, &as_refs(&settings_form(""))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let org = s.a.clone();
    let all = app
        .db(move |c| anzen_store::findings::list(c, &org, false))
        .await;
    let vip = all.iter().find(|f| f.key == vip_key).expect("vip finding");
    assert!(!vip.open, "[{be}] resolved");
    assert!(
        all.iter()
            .any(|f| f.open && f.key.ends_with("suzuki/2025-04-29")),
        "[{be}]"
    );
    let ledger = app.ledger(s.a.id).await;
    assert_eq!(
        ledger
            .iter()
            .filter(|e| e.kind == "access_monitoring.update")
            .count(),
        2,
        "[{be}]"
    );

    // The auditor reads but does not change; staff does not see it.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let (st, _) = auditor.text(&path).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    let res = auditor.post(&path, &as_refs(&good)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let (st, _) = staff.text(&path).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "[{be}]");
}

#[test]
fn monitoring_settings_and_findings() {
    run(test_config(), monitoring_body);
}

async fn audit_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let (st, html) = officer
        .text(&format!("/o/{a}/access-log/audit?month=2025-04"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("この月のアクセスログはありません"), "[{be}]");

    let log = "日時,システム,アカウントID,患者ID,操作,結果\n\
         2025-04-07 10:00:00,電子カルテ,tanaka,P001,参照,成功\n\
         2025-04-07 10:01:00,電子カルテ,tanaka,P002,参照,成功\n\
         2025-04-07 22:30:00,電子カルテ,sato,P002,参照,成功\n\
         2025-04-08 09:00:00,電子カルテ,sato,,ログイン失敗,失敗\n\
         2025-05-01 09:00:00,電子カルテ,sato,P009,参照,成功\n\
         2025-04-08 09:00:00,電子カルテ,sato,,わからない,失敗\n"
        .to_owned();
    upload(&officer, a, "april.csv", log).await;
    let (_, html) = officer
        .text(&format!("/o/{a}/access-log/audit?month=2025-04"))
        .await;
    let cell = |id: &str| {
        between(&html, &format!("id=\"{id}\">"), "<")
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(cell("audit-events"), "4", "[{be}] {html}");
    assert_eq!(cell("audit-users"), "2", "[{be}]");
    assert_eq!(cell("audit-patients"), "2", "[{be}]");
    assert_eq!(cell("audit-failed"), "1", "[{be}]");
    // Quarantined lines count in the month they were recorded (now), not in April.
    assert_eq!(cell("audit-quarantined"), "0", "[{be}]");
    assert!(
        html.contains("業務時間外のアクセス"),
        "[{be}] finding listed"
    );
    assert!(html.contains("未着手"), "[{be}] its handling");
    assert!(html.contains("id=\"audit-unsigned\""), "[{be}]");

    let (_, now_html) = officer
        .text(&format!(
            "/o/{a}/access-log/audit?month={}",
            &day_ago(0)[..7]
        ))
        .await;
    assert!(
        now_html.contains("id=\"audit-quarantined\">1<"),
        "[{be}] {now_html}"
    );
    let res = officer
        .get(&format!("/o/{a}/access-log/audit.xlsx?month=2025-04"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    assert!(
        res.bytes().await.expect("xlsx").starts_with(b"PK"),
        "[{be}]"
    );
    let (st, html) = officer
        .text(&format!("/o/{a}/access-log/audit/print?month=2025-04"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(
        html.contains("audit-print-sheet") && html.contains("安全管理責任者"),
        "[{be}]"
    );

    // The auditor reads but does not sign; the officer signs once; the running month waits.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let sign = format!("/o/{a}/access-log/audit/sign");
    let res = auditor
        .post(&sign, &[("month", "2025-04"), ("note", "x")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let res = officer
        .post(
            &sign,
            &[("month", "2025-04"), ("note", "指摘は当直医と確認済み")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let res = officer
        .post(&sign, &[("month", "2025-04"), ("note", "again")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    let this_month = day_ago(0)[..7].to_owned();
    let res = officer
        .post(&sign, &[("month", this_month.as_str()), ("note", "")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("まだ終わっていません"),
        "[{be}]"
    );
    let (_, html) = officer
        .text(&format!("/o/{a}/access-log/audit?month=2025-04"))
        .await;
    assert!(
        html.contains("id=\"audit-signed\"") && html.contains("指摘は当直医と確認済み"),
        "[{be}]"
    );
    let ledger = app.ledger(s.a.id).await;
    let signed = ledger
        .iter()
        .find(|e| e.kind == "access_audit.sign")
        .expect("audited");
    let payload: serde_json::Value = serde_json::from_slice(&signed.payload).expect("json");
    assert_eq!(payload["month"], "2025-04", "[{be}]");
    assert_eq!(payload["summary"]["events"], 4, "[{be}]");
}

#[test]
fn monthly_audit_report_and_sign_off() {
    run(test_config(), audit_body);
}

async fn api_body(app: App) {
    use reqwest::Method;
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    upload(
        &officer,
        a,
        "api.csv",
        "日時,システム,アカウントID,患者ID,操作,結果\n\
         2025-04-07 10:00:00,電子カルテ,tanaka,P001,参照,成功\n\
         2025-04-08 10:00:00,電子カルテ,sato,P001,印刷,成功\n\
         2025-04-08 11:00:00,PACS,sato,P002,参照,成功\n"
            .to_owned(),
    )
    .await;
    let (auditor_id, auditor_email) = {
        let u = s.a_user(Role::Auditor);
        (u.id, u.email.clone())
    };
    let (_, secret) = app.token(auditor_id, s.a.id, &["read"], in_a_day()).await;
    let res = app
        .api(Method::GET, "/access-log/events?patient=P001", &secret)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(v["total"], 2, "[{be}] {v}");
    assert_eq!(
        v["events"][0]["event"]["user"], "sato",
        "[{be}] newest first"
    );
    assert_eq!(v["events"][0]["event"]["action"], "print", "[{be}]");
    let res = app
        .api(
            Method::GET,
            "/access-log/events?user=sato&action=%E5%8F%82%E7%85%A7&from=2025-04-08&to=2025-04-08",
            &secret,
        )
        .await;
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1), "[{be}] {v}");
    assert_eq!(v["events"][0]["event"]["system"], "PACS", "[{be}]");
    let res = app
        .api(
            Method::GET,
            "/access-log/events?system=PACS&limit=1",
            &secret,
        )
        .await;
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1), "[{be}] {v}");
    // Bad input: a JSON error in Japanese.
    let res = app
        .api(Method::GET, "/access-log/events?action=覗き見", &secret)
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    let v: serde_json::Value = res.json().await.expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("操作『覗き見』"),
        "[{be}] {v}"
    );
    // Audited like the page; staff may not read access logs.
    let ledger = app.ledger(s.a.id).await;
    let searches: Vec<_> = ledger
        .iter()
        .filter(|e| e.kind == "access_log.search")
        .collect();
    assert_eq!(searches.len(), 3, "[{be}]");
    assert_eq!(searches[0].author, format!("api:{auditor_email}"), "[{be}]");
    let staff_id = s.a_user(Role::Staff).id;
    let (_, staff_secret) = app.token(staff_id, s.a.id, &["read"], in_a_day()).await;
    let res = app
        .api(
            Method::GET,
            "/access-log/events?patient=P001",
            &staff_secret,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
}

#[test]
fn api_access_log_search() {
    run(test_config(), api_body);
}
