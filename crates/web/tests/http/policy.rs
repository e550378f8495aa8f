//! The アクセス権限表 (access policy file) over HTTP on both backends: upload → preview per
//! system → confirm replaces the policy of the systems in the file (others untouched) and
//! re-evaluates the account findings; an unknown system refuses the whole file; the
//! current policy downloads as CSV and xlsx and imports back without change.

use anzen_core::Role;
use anzen_core::rules::accounts::ROLE_NOT_ALLOWED;
use anzen_store::findings;
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

async fn upload(b: &Browser, org: i64, kind: &str, name: &str, body: Vec<u8>) -> reqwest::Response {
    let form = Multipart::new()
        .text("csrf", b.csrf.clone())
        .text("kind", kind.to_owned())
        .part("file", Part::bytes(body).file_name(name.to_owned()));
    b.client
        .post(b.url(&format!("/o/{org}/accounts/import")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

fn token_of(html: &str) -> String {
    between(html, "name=\"token\" value=\"", "\"")
        .unwrap_or_else(|| panic!("no preview: {html}"))
        .to_owned()
}

async fn confirm(b: &Browser, org: i64, html: &str) -> reqwest::Response {
    let token = token_of(html);
    b.post(
        &format!("/o/{org}/accounts/import/confirm"),
        &[("token", token.as_str())],
    )
    .await
}

fn cp932(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

const STAFF: &str = "職員番号,氏名,職種\r\n1001,山田 太郎,医師\r\n1002,鈴木 花子,看護師\r\n";

/// suzuki (看護師) holds the 医師 role.
const ACCOUNTS: &str = "システム,アカウントID,氏名,職員番号,権限,状態,二要素認証\r\n\
電子カルテ,yamada,山田 太郎,1001,医師,有効,あり\r\n\
電子カルテ,suzuki,鈴木 花子,1002,医師,有効,あり\r\n";

const POLICY: &str = "システム名,区分,職種,権限,アカウントID,責任者,開始日,終了日,備考\r\n\
電子カルテ,許可,医師,医師,,,,,\r\n\
電子カルテ,許可,看護師,看護師,,,,,\r\n\
電子カルテ,管理者権限,,システム管理者,,,,,\r\n\
電子カルテ,責任者,,,admin,佐藤 花子,,,共用\r\n\
電子カルテ,保守期間,,,vendor01,,2026-11-01,2026-11-02,\r\n";

async fn policy_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let org = s.a.clone();
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let mut pages = Vec::new();
    for name in ["電子カルテ", "レセコン"] {
        let res = staff
            .post(
                &format!("/o/{a}/accounts/systems"),
                &[("name", name), ("kind", "その他")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] {name}");
        pages.push(location(&res));
    }
    let (emr, rece) = (pages[0].clone(), pages[1].clone());
    for (kind, name, body) in [
        ("staff", "staff.csv", STAFF),
        ("accounts", "a.csv", ACCOUNTS),
    ] {
        let res = upload(&staff, a, kind, name, body.as_bytes().to_vec()).await;
        let html = res.text().await.expect("body");
        assert_eq!(
            confirm(&staff, a, &html).await.status(),
            StatusCode::SEE_OTHER,
            "[{be}] {kind}"
        );
    }
    // レセコン's policy, set on its page, is not in the file and must stay.
    let res = staff
        .post(&format!("{rece}/policy"), &[("allowed", "事務,受付")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");

    let role_not_allowed = |app: App| {
        let org = org.clone();
        async move {
            app.db(move |c| findings::list(c, &org, true))
                .await
                .into_iter()
                .filter(|f| f.rule == ROLE_NOT_ALLOWED)
                .map(|f| f.subject)
                .collect::<Vec<_>>()
        }
    };
    assert!(
        role_not_allowed(app.clone()).await.is_empty(),
        "[{be}] no policy yet"
    );

    // The accounts page offers the template, the current policy and the upload.
    let (_, html) = staff.text(&format!("/o/{a}/accounts")).await;
    assert!(html.contains("id=\"access-policy-form\""), "[{be}]");
    assert!(
        html.contains("許可 1件、管理者権限 0件、責任者 0件、保守期間 0件（1システム）"),
        "[{be}] {html}"
    );
    let template = staff
        .get(&format!("/o/{a}/accounts/files/access-policy.xlsx"))
        .await;
    assert_eq!(template.status(), StatusCode::OK, "[{be}]");
    let template = template.bytes().await.expect("template");
    assert!(
        anzen_ingest::parse_access_policy("t.xlsx", &template).is_ok(),
        "[{be}] the template parses"
    );

    // An unknown system refuses the whole file (CP932 here), naming its line; nothing changes.
    let ledger_before = app.ledger(s.a.id).await.len();
    let bad = format!("{POLICY}検査システム,許可,医師,医師,,,,,\r\n");
    let res = upload(&staff, a, "access-policy", "policy.csv", cp932(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(
        html.contains(
            "policy.csv 7行目 『システム名』: システム「検査システム」は登録されていません"
        ),
        "[{be}] {html}"
    );
    assert!(!html.contains("name=\"token\""), "[{be}] no preview");
    // A row missing what its 区分 needs is refused the same way.
    let res = upload(
        &staff,
        a,
        "access-policy",
        "policy.csv",
        POLICY
            .replace("許可,看護師,看護師", "許可,看護師,")
            .into_bytes(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("policy.csv 3行目 『権限』: 区分「許可」では権限が必要です"),
        "[{be}]"
    );
    assert_eq!(
        app.ledger(s.a.id).await.len(),
        ledger_before,
        "[{be}] nothing stored"
    );

    // The good file: the preview says, per system, what is replaced.
    let res = upload(
        &staff,
        a,
        "access-policy",
        "policy.csv",
        POLICY.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let html = res.text().await.expect("body");
    let preview = between(&html, "id=\"policy-preview\"", "</table>")
        .unwrap_or_else(|| panic!("[{be}] {html}"));
    assert!(
        preview.contains(
            "電子カルテ</td><td>許可 0→2件、管理者権限 0→1件、責任者 0→1件、保守期間 0→1件"
        ),
        "[{be}] {preview}"
    );
    assert!(
        preview.contains("責任者 アカウント「admin」→ 佐藤 花子"),
        "[{be}]"
    );
    assert!(!preview.contains("レセコン"), "[{be}] not in the file");
    assert!(
        html.contains("ファイルにないシステム（変更しません）: レセコン"),
        "[{be}] {html}"
    );
    assert!(
        role_not_allowed(app.clone()).await.is_empty(),
        "[{be}] not yet"
    );
    let res = confirm(&staff, a, &html).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] confirm");

    // The system page's text areas show the entries; the rules ran again.
    let (_, html) = staff.text(&emr).await;
    assert!(
        html.contains(">医師,医師\n看護師,看護師</textarea>"),
        "[{be}] {html}"
    );
    assert!(html.contains(">システム管理者</textarea>"), "[{be}]");
    assert!(html.contains(">admin,佐藤 花子</textarea>"), "[{be}]");
    assert!(
        html.contains(">vendor01,2026-11-01,2026-11-02</textarea>"),
        "[{be}]"
    );
    let (_, html) = staff.text(&rece).await;
    assert!(html.contains(">事務,受付</textarea>"), "[{be}] untouched");
    assert_eq!(
        role_not_allowed(app.clone()).await,
        vec!["account:電子カルテ/suzuki".to_owned()],
        "[{be}] 看護師 may not hold 医師"
    );
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "policy.update").count(),
        2,
        "[{be}] レセコン's form + 電子カルテ's import"
    );

    // Export → re-import: no change in either format.
    for file in ["access-policy.csv", "access-policy.xlsx"] {
        let res = staff.get(&format!("/o/{a}/accounts/policy/{file}")).await;
        assert_eq!(res.status(), StatusCode::OK, "[{be}] {file}");
        let body = res.bytes().await.expect("export").to_vec();
        if file.ends_with(".csv") {
            assert!(body.starts_with(b"\xEF\xBB\xBF"), "[{be}] BOM");
            let text = String::from_utf8(body.clone()).expect("utf-8");
            assert!(
                text.contains("レセコン,許可,事務,受付"),
                "[{be}] every system: {text}"
            );
        }
        let res = upload(&staff, a, "access-policy", file, body).await;
        assert_eq!(res.status(), StatusCode::OK, "[{be}] {file}");
        let html = res.text().await.expect("body");
        assert_eq!(
            html.matches("<strong>変更なし</strong>").count(),
            2,
            "[{be}] {html}"
        );
        assert!(html.contains("（変更のあるシステム 0）"), "[{be}]");
        let updates = |l: Vec<anzen_store::ledger::StoredEntry>| {
            l.iter().filter(|e| e.kind == "policy.update").count()
        };
        let before = updates(app.ledger(s.a.id).await);
        assert_eq!(
            confirm(&staff, a, &html).await.status(),
            StatusCode::SEE_OTHER,
            "[{be}]"
        );
        assert_eq!(
            updates(app.ledger(s.a.id).await),
            before,
            "[{be}] {file}: no policy change recorded"
        );
    }
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "export.access_policy")
            .count(),
        2,
        "[{be}] exports are audited"
    );

    // A file allowing 看護師 the 医師 role resolves the finding; レセコン stays as it was.
    let next = POLICY.replace("許可,看護師,看護師", "許可,看護師,医師");
    let res = upload(&staff, a, "access-policy", "policy.csv", next.into_bytes()).await;
    let html = res.text().await.expect("body");
    let preview = between(&html, "id=\"policy-preview\"", "</table>").unwrap_or_default();
    assert!(
        between(preview, "class=\"policy-added\"", "</ul>")
            .is_some_and(|r| r.contains("許可 職種「看護師」→ 権限「医師」")),
        "[{be}] {preview}"
    );
    assert!(html.contains("（変更のあるシステム 1）"), "[{be}]");
    assert!(
        between(preview, "class=\"policy-removed\"", "</ul>")
            .is_some_and(|r| r.contains("許可 職種「看護師」→ 権限「看護師」")),
        "[{be}] {preview}"
    );
    assert_eq!(
        confirm(&staff, a, &html).await.status(),
        StatusCode::SEE_OTHER,
        "[{be}]"
    );
    assert!(
        role_not_allowed(app.clone()).await.is_empty(),
        "[{be}] resolved"
    );
    let (_, html) = staff.text(&rece).await;
    assert!(
        html.contains(">事務,受付</textarea>"),
        "[{be}] still untouched"
    );

    // Read-only roles see no upload; another organisation cannot export A's policy.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    let (_, html) = auditor.text(&format!("/o/{a}/accounts")).await;
    assert!(!html.contains("id=\"access-policy-form\""), "[{be}]");
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(
        b_admin
            .get(&format!("/o/{a}/accounts/policy/access-policy.csv"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
}

#[test]
fn access_policy_file_import_preview_confirm_and_round_trip() {
    run(test_config(), policy_body);
}
