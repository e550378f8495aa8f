//! ディレクトリ連携 over HTTP on both backends, against a real OpenLDAP `slapd`
//! (`anzen_directory::testing`): settings refused with the field named, saved without the
//! password entering the ledger, a fetch that ends in the import preview and stores an
//! `ldap` snapshot once confirmed, a wrong password shown as the directory's refusal with
//! nothing stored, and the roster from the same directory.

use anzen_core::Role;
use anzen_directory::testing::{READER_DN, READER_PW, SUFFIX, Slapd};
use reqwest::StatusCode;

use crate::common::*;

async fn directory_body(app: App) {
    let Some(slapd) = Slapd::start() else {
        return;
    };
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let res = staff
        .post(
            &format!("/o/{a}/accounts/systems"),
            &[("name", "電子カルテ"), ("kind", "電子カルテ")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] system");
    let id = location(&res).rsplit('/').next().expect("id").to_owned();
    let page = format!("/o/{a}/accounts/directory?system={id}");
    let (st, html) = staff.text(&page).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"directory-empty\""), "[{be}]");

    let cfg = slapd.accounts_config();
    let attributes = toml::to_string(&cfg.attributes).expect("toml");
    let ldaps = format!("ldaps://127.0.0.1:{}", slapd.ldaps_port);
    let filter = "(&(objectClass=inetOrgPerson)(uid=*))";
    let form = |url: &str, password: &str, attrs: &str| {
        vec![
            ("url".to_owned(), url.to_owned()),
            ("bind_dn".to_owned(), READER_DN.to_owned()),
            ("bind_password".to_owned(), password.to_owned()),
            ("base_dn".to_owned(), SUFFIX.to_owned()),
            ("filter".to_owned(), filter.to_owned()),
            ("subtree".to_owned(), "1".to_owned()),
            ("ca_cert_pem".to_owned(), slapd.ca_pem.clone()),
            // The test server allows 10 entries per page, as AD allows 1000.
            ("page_size".to_owned(), "10".to_owned()),
            ("attributes".to_owned(), attrs.to_owned()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let staff = &staff;
        let page = page.clone();
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            staff.post(&page, &f).await
        }
    };

    // Refused, naming the field: a web URL, plain LDAP with a password, broken TOML.
    let res = post(form("https://dc01", READER_PW, &attributes)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text().await.expect("body").contains("『接続先』"),
        "[{be}]"
    );
    let plain = format!("ldap://127.0.0.1:{}", slapd.ldap_port);
    let res = post(form(&plain, READER_PW, &attributes)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(res.text().await.expect("body").contains("平文"), "[{be}]");
    let res = post(form(&ldaps, READER_PW, "[account]\naccount_id = ")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("『属性の対応付け』"),
        "[{be}]"
    );

    // Saved; the password is kept but never shown or recorded.
    let res = post(form(&ldaps, READER_PW, &attributes)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] save");
    let (_, html) = staff.text(&page).await;
    assert!(html.contains("id=\"directory-fetch-run\""), "[{be}]");
    assert!(html.contains("保存済み"), "[{be}]");
    assert!(
        !html.contains(READER_PW),
        "[{be}] the password is not on the page"
    );
    let entries = app.ledger(s.a.id).await;
    let configure = entries
        .iter()
        .find(|e| e.kind == "directory.configure")
        .expect("directory.configure in the ledger");
    let payload = String::from_utf8_lossy(&configure.payload).into_owned();
    assert!(payload.contains(&ldaps), "[{be}] {payload}");
    assert!(
        !payload.contains(READER_PW),
        "[{be}] no password in the ledger"
    );

    // Fetch → preview → confirm: an `ldap` snapshot of 21 accounts, rules run.
    let res = staff
        .post(&format!("/o/{a}/accounts/directory/fetch?system={id}"), &[])
        .await;
    let status = res.status();
    let html = res.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "[{be}] fetch: {html}");
    assert!(html.contains("電子カルテ: 21件"), "[{be}] {html}");
    let token = between(&html, "name=\"token\" value=\"", "\"")
        .expect("preview token")
        .to_owned();
    let res = staff
        .post(
            &format!("/o/{a}/accounts/import/confirm"),
            &[("token", token.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] confirm");
    let (_, html) = staff.text(&format!("/o/{a}/accounts/systems/{id}")).await;
    assert!(
        html.contains(&format!("{ldaps}（21件、LDAP")),
        "[{be}] {html}"
    );
    assert!(html.contains("tanaka"), "[{be}]");

    // A wrong password: the directory's refusal is shown, nothing stored.
    let res = post(form(&ldaps, "wrong-Password-1", &attributes)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    let res = staff
        .post(&format!("/o/{a}/accounts/directory/fetch?system={id}"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let html = res.text().await.expect("body");
    assert!(html.contains("バインドに失敗しました"), "[{be}] {html}");
    let snapshots = app
        .ledger(s.a.id)
        .await
        .iter()
        .filter(|e| e.kind == "accounts.import")
        .count();
    assert_eq!(snapshots, 1, "[{be}] nothing stored by the failed fetch");

    // The roster from the same directory (LDAPS, the people below ou=people).
    let roster = format!("/o/{a}/accounts/directory");
    let staff_cfg = slapd.staff_config("people");
    let fields = [
        ("url", ldaps.as_str()),
        ("bind_dn", READER_DN),
        ("bind_password", READER_PW),
        ("base_dn", staff_cfg.base_dn.as_str()),
        ("filter", "(objectClass=inetOrgPerson)"),
        ("subtree", "1"),
        ("ca_cert_pem", slapd.ca_pem.as_str()),
        ("page_size", "10"),
        ("attributes", attributes.as_str()),
    ];
    let res = staff.post(&roster, &fields).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "[{be}] roster settings"
    );
    let res = staff
        .post(&format!("/o/{a}/accounts/directory/fetch"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}] roster fetch");
    let html = res.text().await.expect("body");
    assert!(html.contains("職員名簿"), "[{be}] {html}");
    assert!(html.contains("20名"), "[{be}] {html}");

    // Another organisation cannot see or use A's system's settings.
    let b_admin = app.sign_in(&s.b_admin).await;
    assert_eq!(
        b_admin
            .get(&format!("/o/{}/accounts/directory?system={id}", s.b.id.0))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
    assert_eq!(
        b_admin.get(&page).await.status(),
        StatusCode::NOT_FOUND,
        "[{be}]"
    );
}

#[test]
fn accounts_and_roster_from_ldap() {
    run(test_config(), directory_body);
}
