//! Audit trail: sign-ins, failures, changes with before and after, user administration and
//! tokens are appended to the right organisation's ledger, and never to another's.

use anzen_core::Role;
use anzen_store::ledger::StoredEntry;
use anzen_store::tokens;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

fn payload(e: &StoredEntry) -> Value {
    serde_json::from_slice(&e.payload).unwrap_or(Value::Null)
}

fn find<'a>(entries: &'a [StoredEntry], kind: &str, author: &str) -> Vec<&'a StoredEntry> {
    entries
        .iter()
        .filter(|e| e.kind == kind && e.author == author)
        .collect()
}

async fn audit_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let admin = s.a_user(Role::Admin).clone();
    let staff = s.a_user(Role::Staff).clone();

    // Failed sign-in, then sign-in.
    let (_, res) = app.password_step(&staff.email, "Wrong#Passw0rd!x").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let b = app.sign_in(&admin).await;

    // Profile change.
    let res = b
        .post(
            &format!("/o/{a}/profile"),
            &as_refs(&profile_form("監査テスト医院")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // User administration.
    let res = b
        .post(
            &format!("/o/{a}/users"),
            &[
                ("email", "New.Person@A-anzen.example.jp"),
                ("name", "新人 一郎"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let t = s.a_target.id.0;
    for (op, form) in [
        ("role", vec![("role", "auditor")]),
        ("reset", vec![("reset_mfa", "1")]),
        ("remove", vec![]),
    ] {
        let res = b.post(&format!("/o/{a}/users/{t}/{op}"), &form).await;
        assert_eq!(res.status(), StatusCode::OK, "[{}] {op}", app.backend);
    }
    // Tokens.
    let res = b
        .post(
            &format!("/o/{a}/tokens"),
            &[("name", "監査用"), ("days", "7"), ("write", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    let secret = between(&html, "<code id=\"new-token\">", "</code>")
        .expect("token")
        .to_owned();
    // An API change is audited too, under the token's user.
    let res = client()
        .put(app.url("/api/v1/org"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "name": "API変更医院", "kind": "clinic", "beds": 5 }))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let (uid, org) = (admin.id, s.a.id);
    let tok = app
        .db(move |c| tokens::list_for_user(c, uid, org))
        .await
        .into_iter()
        .find(|t| t.name == "監査用")
        .expect("token");
    let res = b
        .post(&format!("/o/{a}/tokens/{}/revoke", tok.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let ledger = app.ledger(s.a.id).await;
    let ctx = |what: &str| {
        let kinds: Vec<_> = ledger
            .iter()
            .map(|e| format!("{} {}", e.author, e.kind))
            .collect();
        format!(
            "[{}] {what} missing from A's ledger: {kinds:?}",
            app.backend
        )
    };
    let failed = find(&ledger, "auth.login_failed", &staff.email);
    assert_eq!(failed.len(), 1, "{}", ctx("failed sign-in"));
    assert_eq!(payload(failed[0])["reason"], Value::from("password"));
    assert_eq!(
        find(&ledger, "auth.password_ok", &admin.email).len(),
        1,
        "{}",
        ctx("password step")
    );
    let login = find(&ledger, "auth.login", &admin.email);
    assert_eq!(login.len(), 1, "{}", ctx("sign-in"));
    assert_eq!(payload(login[0])["reason"], Value::from("totp"));

    let updates = find(&ledger, "org.update", &admin.email);
    assert_eq!(updates.len(), 1, "{}", ctx("profile change"));
    let p = payload(updates[0]);
    assert_eq!(p["before"]["name"], Value::from(A_NAME), "before: {p}");
    assert_eq!(
        p["after"]["name"],
        Value::from("監査テスト医院"),
        "after: {p}"
    );
    assert_eq!(p["before"]["security_officer"], Value::Null);
    assert_eq!(p["after"]["security_officer"], Value::from("安全 花子"));
    let api_actor = format!("api:{}", admin.email);
    let api_updates = find(&ledger, "org.update", &api_actor);
    assert_eq!(api_updates.len(), 1, "{}", ctx("API profile change"));
    let p = payload(api_updates[0]);
    assert_eq!(
        p["before"]["name"],
        Value::from("監査テスト医院"),
        "API before: {p}"
    );
    assert_eq!(p["after"]["name"], Value::from("API変更医院"));
    assert_eq!(p["after"]["beds"], Value::from(5));

    let add = find(&ledger, "user.add", &admin.email);
    assert_eq!(add.len(), 1, "{}", ctx("user.add"));
    assert_eq!(
        payload(add[0])["email"],
        Value::from("new.person@a-anzen.example.jp")
    );
    assert_eq!(payload(add[0])["role"], Value::from("staff"));
    let role = find(&ledger, "user.role", &admin.email);
    assert_eq!(role.len(), 1, "{}", ctx("user.role"));
    let p = payload(role[0]);
    assert_eq!(
        (p["previous_role"].as_str(), p["role"].as_str()),
        (Some("staff"), Some("auditor")),
        "{p}"
    );
    let reset = find(&ledger, "user.reset", &admin.email);
    assert_eq!(reset.len(), 1, "{}", ctx("user.reset"));
    assert_eq!(
        payload(reset[0])["email"],
        Value::from(s.a_target.email.clone())
    );
    assert_eq!(payload(reset[0])["reset_mfa"], Value::from(true));
    let remove = find(&ledger, "user.remove", &admin.email);
    assert_eq!(remove.len(), 1, "{}", ctx("user.remove"));
    assert_eq!(payload(remove[0])["previous_role"], Value::from("auditor"));

    let create = find(&ledger, "token.create", &admin.email);
    assert_eq!(create.len(), 1, "{}", ctx("token.create"));
    let p = payload(create[0]);
    assert_eq!(p["id"], Value::from(tok.id));
    assert_eq!(p["name"], Value::from("監査用"));
    assert!(
        !p.to_string().contains(&secret),
        "the secret is not audited"
    );
    let revoke = find(&ledger, "token.revoke", &admin.email);
    assert_eq!(revoke.len(), 1, "{}", ctx("token.revoke"));
    assert_eq!(payload(revoke[0])["id"], Value::from(tok.id));
    // No secret anywhere in the trail.
    for e in &ledger {
        let p = String::from_utf8_lossy(&e.payload);
        assert!(
            !p.contains(&secret) && !p.contains(PASSWORD),
            "secret in {}",
            e.kind
        );
    }
    // Indices are dense, newest first.
    let idx: Vec<u64> = ledger.iter().map(|e| e.index).collect();
    let expect: Vec<u64> = (0..ledger.len() as u64).rev().collect();
    assert_eq!(idx, expect);

    // The audit page and the API show the same trail (to those allowed).
    let (st, page) = b.text(&format!("/o/{a}/audit?kind=user.")).await;
    assert_eq!(st, StatusCode::OK);
    for k in ["user.add", "user.role", "user.reset", "user.remove"] {
        assert!(page.contains(k), "[{}] audit page lacks {k}", app.backend);
    }
    assert!(!page.contains("token.create"), "kind filter");
    let (_, read) = app.token(admin.id, s.a.id, &["read"], in_a_day()).await;
    let list: Value = app
        .api(Method::GET, "/audit?kind=token.", &read)
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = list["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["token.revoke", "token.create"], "[{}]", app.backend);

    // None of it in B's ledger.
    let b_ledger = app.ledger(s.b.id).await;
    assert!(
        b_ledger.is_empty(),
        "[{}] B's ledger got A's events: {:?}",
        app.backend,
        b_ledger
            .iter()
            .map(|e| (&e.author, &e.kind))
            .collect::<Vec<_>>()
    );
    // B's own sign-in goes to B only.
    let before = ledger.len();
    app.sign_in(&s.b_admin).await;
    let b_ledger = app.ledger(s.b.id).await;
    assert_eq!(
        find(&b_ledger, "auth.login", B_ADMIN).len(),
        1,
        "[{}]",
        app.backend
    );
    assert_eq!(
        app.ledger(s.a.id).await.len(),
        before,
        "[{}] B's sign-in in A",
        app.backend
    );
}

#[test]
fn audit_trail_records_each_event_in_the_right_organisation() {
    run(test_config(), audit_body);
}

async fn verification_body(app: App) {
    let s = app.seed.clone();
    let (a, b) = (s.a.id, s.b.id);
    let auditor = s.a_user(Role::Auditor).clone();
    let browser = app.sign_in(&auditor).await;
    let (status, html) = browser.text(&format!("/o/{}/audit", a.0)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("まだ検証していません"),
        "no result yet: {html}"
    );

    // What `anzen verify` records: a failure in B must never show in A, A's own result must.
    app.db(move |c| {
        anzen_store::ledger::record_verification(
            c,
            b,
            false,
            9,
            "FAILED: 1 problems\nentry 3: modified",
        )?;
        anzen_store::ledger::record_verification(
            c,
            a,
            true,
            42,
            "OK: 42 entries, 1 checkpoints, signed up to 42",
        )
    })
    .await;
    let (status, html) = browser.text(&format!("/o/{}/audit", a.0)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("全42件の記録が署名済みチェックポイントと一致しました"),
        "{html}"
    );
    assert!(
        !html.contains("entry 3: modified"),
        "another organisation's result leaked: {html}"
    );

    app.db(move |c| {
        anzen_store::ledger::record_verification(
            c,
            a,
            false,
            42,
            "FAILED: 1 problems\nentry 7: deleted",
        )
    })
    .await;
    let (_, html) = browser.text(&format!("/o/{}/audit", a.0)).await;
    assert!(
        html.contains("異常を検出しました") && html.contains("entry 7: deleted"),
        "{html}"
    );
}

#[test]
fn audit_page_shows_the_latest_verification_of_this_organisation_only() {
    run(test_config(), verification_body);
}
