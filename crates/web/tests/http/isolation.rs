//! Tenant isolation: organisation A can never read or change organisation B's data, and
//! the other way round. Someone else's organisation answers 404, as if it did not exist.

use anzen_core::{OrgId, Role};
use anzen_store::{orgs, tokens};
use reqwest::{Method, StatusCode};

use crate::common::*;

/// A form: path and fields.
type Post = (String, Vec<(&'static str, String)>);

/// Every page and form under `/o/{org}` for organisation `o`, with `user` and `token` ids
/// of that organisation.
fn org_urls(o: i64, user: i64, token: i64) -> (Vec<String>, Vec<Post>) {
    let gets = vec![
        format!("/o/{o}/"),
        format!("/o/{o}/profile"),
        format!("/o/{o}/users"),
        format!("/o/{o}/audit"),
        format!("/o/{o}/audit?kind=auth"),
    ];
    let posts = vec![
        (format!("/o/{o}/profile"), profile_form("乗っ取り")),
        (
            format!("/o/{o}/users"),
            vec![
                ("email", "intruder@evil.example.jp".to_owned()),
                ("name", "侵入者".to_owned()),
                ("role", "admin".to_owned()),
            ],
        ),
        (
            format!("/o/{o}/users/{user}/role"),
            vec![("role", "vendor".to_owned())],
        ),
        (
            format!("/o/{o}/users/{user}/reset"),
            vec![("reset_mfa", "1".to_owned())],
        ),
        (format!("/o/{o}/users/{user}/remove"), vec![]),
        (
            format!("/o/{o}/tokens"),
            vec![
                ("name", "x".to_owned()),
                ("days", "30".to_owned()),
                ("write", "1".to_owned()),
            ],
        ),
        (format!("/o/{o}/tokens/{token}/revoke"), vec![]),
    ];
    (gets, posts)
}

/// Asserts that `b` gets 404 for every URL of the other organisation `o`.
async fn assert_all_404(app: &App, who: &str, b: &Browser, o: i64, user: i64, token: i64) {
    let (gets, posts) = org_urls(o, user, token);
    let mut bad = Vec::new();
    for path in gets {
        let st = b.get(&path).await.status();
        if st != StatusCode::NOT_FOUND {
            bad.push(format!("GET {path} → {st}"));
        }
    }
    for (path, form) in posts {
        let st = b.post(&path, &as_refs(&form)).await.status();
        if st != StatusCode::NOT_FOUND {
            bad.push(format!("POST {path} → {st}"));
        }
    }
    assert!(
        bad.is_empty(),
        "[{}] {who} reached another organisation:\n{}",
        app.backend,
        bad.join("\n")
    );
}

async fn isolation_body(app: App) {
    let s = app.seed.clone();
    let (a, b) = (s.a.id.0, s.b.id.0);
    let a_admin = s.a_user(Role::Admin).clone();
    let (b_tok_id, b_secret) = app
        .token(s.b_admin.id, s.b.id, &["read", "write"], in_a_day())
        .await;
    let (a_tok_id, a_secret) = app
        .token(a_admin.id, s.a.id, &["read", "write"], in_a_day())
        .await;

    // A's administrator (the most powerful role) cannot reach B at all.
    let ab = app.sign_in(&a_admin).await;
    assert_all_404(&app, "A's admin", &ab, b, s.b_admin.id.0, b_tok_id).await;
    // Nor B's people through A's URLs.
    for (path, form) in [
        (
            format!("/o/{a}/users/{}/role", s.b_admin.id.0),
            vec![("role", "vendor")],
        ),
        (format!("/o/{a}/users/{}/reset", s.b_admin.id.0), vec![]),
        (format!("/o/{a}/users/{}/remove", s.b_admin.id.0), vec![]),
        (format!("/o/{a}/tokens/{b_tok_id}/revoke"), vec![]),
    ] {
        let st = ab.post(&path, &form).await.status();
        assert_eq!(st, StatusCode::NOT_FOUND, "[{}] POST {path}", app.backend);
    }

    // B's administrator cannot reach A.
    let bb = app.sign_in(&s.b_admin).await;
    assert_all_404(&app, "B's admin", &bb, a, s.a_target.id.0, a_tok_id).await;
    for (path, form) in [
        (
            format!("/o/{b}/users/{}/role", a_admin.id.0),
            vec![("role", "vendor")],
        ),
        (format!("/o/{b}/users/{}/reset", a_admin.id.0), vec![]),
        (format!("/o/{b}/users/{}/remove", a_admin.id.0), vec![]),
        (format!("/o/{b}/tokens/{a_tok_id}/revoke"), vec![]),
    ] {
        let st = bb.post(&path, &form).await.status();
        assert_eq!(st, StatusCode::NOT_FOUND, "[{}] POST {path}", app.backend);
    }

    // Nothing changed in either organisation.
    let (ao, bo, a_id, b_id) = (s.a.clone(), s.b.clone(), s.a.id, s.b.id);
    let (a_admin_id, b_admin_id) = (a_admin.id, s.b_admin.id);
    let (now_a, now_b, ms_a, ms_b, tok_a, tok_b) = app
        .db(move |c| {
            Ok((
                orgs::get(c, a_id)?,
                orgs::get(c, b_id)?,
                orgs::members(c, a_id)?,
                orgs::members(c, b_id)?,
                tokens::list_for_user(c, a_admin_id, a_id)?,
                tokens::list_for_user(c, b_admin_id, b_id)?,
            ))
        })
        .await;
    assert_eq!(now_a.as_ref(), Some(&ao), "[{}] A changed", app.backend);
    assert_eq!(now_b.as_ref(), Some(&bo), "[{}] B changed", app.backend);
    assert_eq!(ms_a.len(), 6, "[{}] A's members changed", app.backend);
    assert_eq!(ms_b.len(), 1, "[{}] B's members changed", app.backend);
    assert!(
        !ms_a.iter().chain(&ms_b).any(|m| m.1.contains("intruder")),
        "[{}] intruder added",
        app.backend
    );
    assert!(tok_a.iter().chain(&tok_b).all(|t| t.revoked_at.is_none()));
    assert_eq!(tok_a.len(), 1);
    assert_eq!(tok_b.len(), 1);

    // B's data never appears in what A's people see.
    let markers = [B_NAME, B_ADDRESS, B_ADMIN, "乙野"];
    let pages = [
        "/".to_owned(),
        "/orgs".to_owned(),
        "/account".to_owned(),
        format!("/o/{a}/"),
        format!("/o/{a}/profile"),
        format!("/o/{a}/users"),
        format!("/o/{a}/audit"),
        format!("/o/{a}/audit?kind=auth"),
    ];
    for p in &pages {
        let res = ab.get(p).await;
        let body = res.text().await.expect("body");
        for mk in markers {
            assert!(
                !body.contains(mk),
                "[{}] A's page {p} shows B's {mk:?}",
                app.backend
            );
        }
    }
    // The chooser lists only A.
    let (_, orgs_page) = ab.text("/orgs").await;
    assert!(
        orgs_page.contains(A_NAME),
        "[{}] chooser lists A",
        app.backend
    );

    // API: A's token sees A only, whatever it asks for.
    for path in [
        "/org",
        "/members",
        "/audit",
        &format!("/org?org={b}"),
        &format!("/members?org_id={b}"),
        "/audit?limit=1000",
    ] {
        let res = app.api(Method::GET, path, &a_secret).await;
        assert_eq!(res.status(), StatusCode::OK, "[{}] {path}", app.backend);
        let body = res.text().await.expect("body");
        for mk in markers {
            assert!(
                !body.contains(mk),
                "[{}] API {path} with A's token shows B's {mk:?}",
                app.backend
            );
        }
    }
    let org: serde_json::Value = app
        .api(Method::GET, "/org", &a_secret)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(org["id"], serde_json::json!(a));
    // A PUT with A's token changes A, never B.
    let res = client()
        .put(app.url(&format!("/api/v1/org?org={b}")))
        .bearer_auth(&a_secret)
        .json(&serde_json::json!({ "id": b, "name": "A改", "kind": "clinic" }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(res.status(), StatusCode::OK);
    let b_id2 = s.b.id;
    let b_after = app.db(move |c| orgs::get(c, b_id2)).await;
    assert_eq!(b_after.map(|o| o.profile.name), Some(B_NAME.to_owned()));

    // B's token sees B only.
    let org: serde_json::Value = app
        .api(Method::GET, "/org", &b_secret)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(org["id"], serde_json::json!(b));
    let members = app
        .api(Method::GET, "/members", &b_secret)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !members.contains("a-anzen.example.jp"),
        "[{}] B sees A's members",
        app.backend
    );
    let audit = app
        .api(Method::GET, "/audit", &b_secret)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !audit.contains("a-anzen.example.jp"),
        "[{}] B sees A's audit",
        app.backend
    );

    // Ledgers: B's has no event of A's people.
    let b_ledger = app.ledger(OrgId(b)).await;
    for e in &b_ledger {
        let payload = String::from_utf8_lossy(&e.payload);
        assert!(
            !e.author.contains("a-anzen")
                && !payload.contains("a-anzen")
                && !payload.contains("A改"),
            "[{}] A's event in B's ledger: {} {} {payload}",
            app.backend,
            e.author,
            e.kind
        );
    }
}

#[test]
fn tenant_isolation_pages_forms_api_and_ledger() {
    run(test_config(), isolation_body);
}

/// A user who belongs to both A and B revokes their B token through an A URL. The URL's
/// organisation must own the token; otherwise the revocation is recorded in the wrong
/// organisation's audit trail (A's ledger gets an event about B's token, B's gets none).
async fn revoke_across_orgs_body(app: App) {
    let s = app.seed.clone();
    let multi = s.a_user(Role::Staff).clone();
    let (b_id, uid) = (s.b.id, multi.id);
    app.db(move |c| orgs::add_member(c, b_id, uid, Role::Staff))
        .await;
    let (b_tok, _) = app.token(multi.id, s.b.id, &["read"], in_a_day()).await;
    let br = app.sign_in(&multi).await;
    let res = br
        .post(&format!("/o/{}/tokens/{b_tok}/revoke", s.a.id.0), &[])
        .await;
    let a_revokes = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .filter(|e| e.kind == "token.revoke")
        .count();
    assert!(
        res.status() == StatusCode::NOT_FOUND && a_revokes == 0,
        "[{}] B's token revoked through A's URL: status {}, token.revoke events in A's ledger: {a_revokes}",
        app.backend,
        res.status()
    );
}

#[test]
fn token_of_another_org_cannot_be_revoked_through_this_orgs_url() {
    run(test_config(), revoke_across_orgs_body);
}
