//! The accounts audit over HTTP on both backends: a system, the staff roster and an account
//! list imported (previewed, all or nothing), the rules' findings per account, a policy
//! change that resolves one, the monthly 棚卸 sign-off and the 2-(5) auto-evidence.

use anzen_core::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

async fn upload(b: &Browser, org: i64, kind: &str, name: &str, body: &str) -> reqwest::Response {
    let form = Multipart::new()
        .text("csrf", b.csrf.clone())
        .text("kind", kind.to_owned())
        .part(
            "file",
            Part::bytes(body.as_bytes().to_vec()).file_name(name.to_owned()),
        );
    b.client
        .post(b.url(&format!("/o/{org}/accounts/import")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn confirm(b: &Browser, org: i64, res: reqwest::Response) -> reqwest::Response {
    let html = res.text().await.expect("body");
    let token = between(&html, "name=\"token\" value=\"", "\"")
        .unwrap_or_else(|| panic!("no preview: {html}"))
        .to_owned();
    b.post(
        &format!("/o/{org}/accounts/import/confirm"),
        &[("token", token.as_str())],
    )
    .await
}

const STAFF: &str = "職員番号,氏名,職種,部署,入職日,退職日\r\n\
1001,山田 太郎,医師,内科,2015-04-01,\r\n\
1002,鈴木 花子,看護師,外来,2018-04-01,2026-09-30\r\n";

const ACCOUNTS: &str = "システム,アカウントID,氏名,職員番号,権限,状態,最終ログイン,二要素認証\r\n\
電子カルテ,yamada,山田 太郎,1001,医師,有効,2026-11-20,あり\r\n\
電子カルテ,suzuki,鈴木 花子,1002,看護師,有効,2026-09-29,あり\r\n\
電子カルテ,admin,,,システム管理者,有効,2026-11-01,あり\r\n";

async fn accounts_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let (st, html) = staff.text(&format!("/o/{a}/accounts")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"systems-empty\""), "[{be}]");

    let res = staff
        .post(
            &format!("/o/{a}/accounts/systems"),
            &[
                ("name", "電子カルテ"),
                ("kind", "電子カルテ"),
                ("supports_mfa", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] system");
    let system_page = location(&res);

    // An account list naming an unknown system is refused with its line.
    let bad = ACCOUNTS.replace("電子カルテ,admin", "レセコン,admin");
    let res = upload(&staff, a, "accounts", "accounts.csv", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("accounts.csv 4行目 『システム』: システム「レセコン」は登録されていません"),
        "[{be}]"
    );

    let res = upload(&staff, a, "staff", "staff.csv", STAFF).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let res = confirm(&staff, a, res).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] roster");
    let res = upload(&staff, a, "accounts", "accounts.csv", ACCOUNTS).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let res = confirm(&staff, a, res).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] accounts");

    let (_, html) = staff.text(&system_page).await;
    assert!(html.contains("accounts.csv、3件"), "[{be}] {html}");
    let (_, findings) = staff.text(&format!("/o/{a}/findings")).await;
    assert!(
        findings.contains("suzuki"),
        "[{be}] retired staff's enabled account: {findings}"
    );
    assert!(
        findings.contains("account:電子カルテ/admin"),
        "[{be}] shared account without owner"
    );
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "system.create",
        "staff.import",
        "accounts.import",
        "finding.open",
    ] {
        assert!(kinds.contains(&k.to_owned()), "[{be}] {k}");
    }

    // Naming the admin account's owner resolves that finding.
    let res = staff
        .post(
            &format!("{system_page}/policy"),
            &[
                ("allowed", "医師\t医師\n看護師,看護師"),
                ("admin_roles", "システム管理者"),
                ("owners", "admin,佐藤 花子"),
                ("windows", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] policy");
    let (_, findings) = staff.text(&format!("/o/{a}/findings")).await;
    assert!(
        !findings.contains("account:電子カルテ/admin"),
        "[{be}] resolved: {findings}"
    );
    assert!(findings.contains("suzuki"), "[{be}] still open");
    let res = staff
        .post(&format!("{system_page}/policy"), &[("owners", "admin")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "[{be}] bad policy line"
    );

    // 棚卸: staff may not sign; the officer may, once a month.
    assert_eq!(
        staff
            .post(&format!("{system_page}/review"), &[("note", "")])
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "[{be}]"
    );
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let res = officer
        .post(&format!("{system_page}/review"), &[("note", "11月分")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] sign");
    let res = officer
        .post(&format!("{system_page}/review"), &[("note", "")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}] once a month");
    let (_, html) = officer.text(&system_page).await;
    assert!(html.contains("id=\"review-signed\""), "[{be}]");

    // 2-⑤ on the checklist reads the open account findings.
    officer
        .post(&format!("/o/{a}/checklist/start"), &[("fy", "2025")])
        .await;
    let (_, html) = officer.text(&format!("/o/{a}/checklist?fy=2025")).await;
    assert!(
        html.contains("suzuki"),
        "[{be}] the 2-⑤ evidence names the open finding"
    );

    // The system runs on an asset of the ledger.
    let res = staff
        .post(
            &format!("/o/{a}/assets"),
            &[
                ("key", "SV-01"),
                ("kind", "server"),
                ("name", "電子カルテサーバ"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] asset");
    let asset_id = location(&res).rsplit('/').next().expect("id").to_owned();
    let res = staff
        .post(
            &format!("{system_page}/assets"),
            &[("asset", asset_id.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] link");
    let (_, html) = staff.text(&system_page).await;
    assert!(
        html.contains(&format!(
            "value=\"{asset_id}\" checked> SV-01 電子カルテサーバ"
        )),
        "[{be}] {html}"
    );
    let res = staff
        .post(&format!("{system_page}/assets"), &[("asset", "999999")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "[{be}] another organisation's asset id"
    );

    // Next month's list: suzuki removed, admin's role changed, a new account; yamada's
    // login date moved (not a change worth listing).
    let (_, html) = staff.text(&format!("/o/{a}/accounts/changes")).await;
    assert!(
        html.contains("id=\"changes-empty\""),
        "[{be}] one roster import only"
    );
    let next = "システム,アカウントID,氏名,職員番号,権限,状態,最終ログイン,二要素認証\r\n\
電子カルテ,yamada,山田 太郎,1001,医師,有効,2026-11-21,あり\r\n\
電子カルテ,admin,,,参照,無効,2026-11-01,あり\r\n\
電子カルテ,tanaka,田中 一郎,1001,医師,有効,,あり\r\n";
    let res = upload(&staff, a, "accounts", "accounts-12.csv", next).await;
    let res = confirm(&staff, a, res).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] second import");
    let (_, html) = staff.text(&system_page).await;
    let link = between(&html, "id=\"system-history\"", "</ul>")
        .and_then(|x| between(x, "accounts-12.csv", "前回からの変更点"))
        .and_then(|x| between(x, "href=\"", "\""))
        .unwrap_or_else(|| panic!("[{be}] no changes link: {html}"))
        .replace("&amp;", "&");
    let (st, html) = staff.text(&link).await;
    assert_eq!(st, StatusCode::OK, "[{be}] {link}");
    let section = |id: &str| {
        between(&html, &format!("id=\"{id}\""), "</section>")
            .unwrap_or_else(|| panic!("[{be}] {id}: {html}"))
            .to_owned()
    };
    assert!(section("changes-added").contains("tanaka"), "[{be}]");
    assert!(section("changes-removed").contains("suzuki"), "[{be}]");
    let changed = section("changes-changed");
    assert!(
        changed.contains("権限: システム管理者 → 参照、状態: 有効 → 無効"),
        "[{be}] {changed}"
    );
    assert!(
        !changed.contains("yamada"),
        "[{be}] a login date alone is no change"
    );
    // Another organisation's snapshot cannot be named.
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(
        b_admin
            .get(&link.replace(&format!("/o/{a}/"), &format!("/o/{}/", s.b.id.0)))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "[{be}] the system is A's"
    );

    // B sees nothing of A's.
    assert_eq!(
        b_admin.get(&system_page).await.status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
    assert_eq!(
        b_admin.get(&link).await.status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
}

#[test]
fn accounts_audit_imports_rules_policy_and_review() {
    run(test_config(), accounts_body);
}
