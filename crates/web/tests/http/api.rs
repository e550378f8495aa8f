//! The JSON API: tokens shown once and stored hashed, revocation and expiry, JSON errors
//! with a stable code, and an OpenAPI document that lists every route served.

use anzen_core::Role;
use anzen_store::{params, tokens};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

async fn error_code(res: reqwest::Response) -> (StatusCode, String, Value) {
    let st = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        ct.starts_with("application/json"),
        "error content-type {ct:?}"
    );
    let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error message in {body}"
    );
    (st, code, body)
}

async fn tokens_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let admin = s.a_user(Role::Admin).clone();
    let b = app.sign_in(&admin).await;
    let res = b
        .post(
            &format!("/o/{a}/tokens"),
            &[("name", "連携テスト"), ("days", "30")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{}]", app.backend);
    let html = res.text().await.expect("body");
    let secret = between(&html, "<code id=\"new-token\">", "</code>")
        .expect("token shown")
        .to_owned();
    assert!(secret.starts_with("anzen_pat_"), "{secret}");
    // Shown once: the account page never shows it again.
    let (_, account) = b.text("/account").await;
    assert!(account.contains("連携テスト"));
    assert!(
        !account.contains(&secret),
        "[{}] token shown twice",
        app.backend
    );
    // Stored hashed only.
    let stored: Vec<String> = app
        .db(|c| {
            c.query("SELECT token_hash FROM api_tokens", params![])?
                .iter()
                .map(|r| r.string(0))
                .collect()
        })
        .await;
    assert!(stored.contains(&anzen_store::token_hash(&secret)));
    assert!(
        !stored.iter().any(|h| h.contains(&secret[10..])),
        "secret stored"
    );

    // It works, read-only (no write box ticked).
    let res = app.api(Method::GET, "/org", &secret).await;
    assert_eq!(res.status(), StatusCode::OK, "[{}]", app.backend);
    let org: Value = res.json().await.expect("json");
    assert_eq!(org["name"], Value::from(s.a.profile.name.clone()));
    assert_eq!(org["kind"], Value::from("clinic"));
    let res = client()
        .put(app.url("/api/v1/org"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "name": "x", "kind": "clinic" }))
        .send()
        .await
        .expect("put");
    let (st, code, _) = error_code(res).await;
    assert_eq!((st, code.as_str()), (StatusCode::FORBIDDEN, "forbidden"));

    // Revoked through the account page → 401 unauthenticated.
    let (uid, org) = (admin.id, s.a.id);
    let id = app
        .db(move |c| tokens::list_for_user(c, uid, org))
        .await
        .into_iter()
        .find(|t| t.name == "連携テスト")
        .expect("token")
        .id;
    let res = b.post(&format!("/o/{a}/tokens/{id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in ["/org", "/members", "/audit"] {
        let (st, code, _) = error_code(app.api(Method::GET, path, &secret).await).await;
        assert_eq!(
            (st, code.as_str()),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            "[{}] revoked token on {path}",
            app.backend
        );
    }
    // Revoking twice is a 404.
    let res = b.post(&format!("/o/{a}/tokens/{id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Expired → 401.
    let (_, expired) = app
        .token(
            admin.id,
            s.a.id,
            &["read", "write"],
            anzen_store::now_us() - 1,
        )
        .await;
    let (st, code, _) = error_code(app.api(Method::GET, "/org", &expired).await).await;
    assert_eq!(
        (st, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    // No token, a malformed header, an unknown token → 401.
    let res = client()
        .get(app.url("/api/v1/org"))
        .send()
        .await
        .expect("get");
    let (st, code, _) = error_code(res).await;
    assert_eq!(
        (st, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let res = client()
        .get(app.url("/api/v1/org"))
        .header("authorization", format!("Basic {secret}"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (st, _, _) = error_code(app.api(Method::GET, "/org", "anzen_pat_0000").await).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A session cookie is not an API credential.
    let res = b.get("/api/v1/org").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{}]", app.backend);

    // Removing the user from the organisation disables their tokens.
    let staff = s.a_user(Role::Staff).clone();
    let (_, staff_secret) = app.token(staff.id, s.a.id, &["read"], in_a_day()).await;
    assert_eq!(
        app.api(Method::GET, "/org", &staff_secret).await.status(),
        StatusCode::OK
    );
    let res = b
        .post(&format!("/o/{a}/users/{}/remove", staff.id.0), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (st, code, _) = error_code(app.api(Method::GET, "/org", &staff_secret).await).await;
    assert_eq!(
        (st, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

#[test]
fn tokens_shown_once_revocable_expiring() {
    run(test_config(), tokens_body);
}

/// Methods to probe on each path.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

async fn openapi_body(app: App) {
    let s = app.seed.clone();
    let (_, secret) = app
        .token(
            s.a_user(Role::Admin).id,
            s.a.id,
            &["read", "write"],
            in_a_day(),
        )
        .await;
    // Unknown routes → 404 JSON.
    for path in ["/nope", "/org/1", "/members/x", "/v2", ""] {
        let (st, code, _) = error_code(app.api(Method::GET, path, &secret).await).await;
        assert_eq!(
            (st, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "[{}] GET /api/v1{path}",
            app.backend
        );
    }

    let res = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK, "openapi without a token");
    let doc: Value = res.json().await.expect("json");
    assert_eq!(doc["openapi"], Value::from("3.1.0"));
    // What is served equals the committed document.
    let committed: Value = serde_json::from_str(&anzen_web::openapi_json()).expect("committed");
    assert_eq!(doc, committed);
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("openapi.json");
    assert_eq!(
        serde_json::from_str::<Value>(&file).expect("file"),
        doc,
        "committed file drifted"
    );

    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, ops) in paths {
        for method in ops.as_object().expect("ops").keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    // Every (method, path) the server answers (not 404 and not 405) must be documented,
    // and every documented one must be answered.
    let mut served = Vec::new();
    let mut probe_paths: Vec<String> = paths.keys().cloned().collect();
    for extra in [
        "/api/v1/orgs",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/export",
        "/api/v1/verify",
    ] {
        probe_paths.push(extra.to_owned());
    }
    for path in &probe_paths {
        for m in METHODS {
            let method = Method::from_bytes(m.as_bytes()).expect("method");
            let mut req = client().request(method, app.url(path)).bearer_auth(&secret);
            if m == "PUT" || m == "POST" || m == "PATCH" {
                req = req.json(&serde_json::json!({ "name": s.a.profile.name, "kind": "clinic" }));
            }
            let st = req.send().await.expect("probe").status();
            if st != StatusCode::NOT_FOUND && st != StatusCode::METHOD_NOT_ALLOWED {
                served.push(format!("{m} {path}"));
            }
        }
    }
    served.sort();
    documented.sort();
    assert_eq!(
        served, documented,
        "[{}] served vs documented routes",
        app.backend
    );
}

#[test]
fn unknown_api_routes_are_json_404_and_openapi_lists_every_route() {
    run(test_config(), openapi_body);
}

/// Every API error is JSON with a stable code — also a wrong method or a malformed body.
async fn api_errors_json_body(app: App) {
    let s = app.seed.clone();
    let (_, secret) = app
        .token(
            s.a_user(Role::Admin).id,
            s.a.id,
            &["read", "write"],
            in_a_day(),
        )
        .await;
    let mut bad = Vec::new();
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "DELETE /api/v1/org",
            client().delete(app.url("/api/v1/org")).bearer_auth(&secret),
        ),
        (
            "PUT /api/v1/org (malformed JSON)",
            client()
                .put(app.url("/api/v1/org"))
                .bearer_auth(&secret)
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "PUT /api/v1/org (unknown kind)",
            client()
                .put(app.url("/api/v1/org"))
                .bearer_auth(&secret)
                .json(&serde_json::json!({ "name": "x", "kind": "castle" })),
        ),
        (
            "GET /api/v1/audit?limit=x",
            client()
                .get(app.url("/api/v1/audit?limit=x"))
                .bearer_auth(&secret),
        ),
    ];
    for (what, req) in cases {
        let res = req.send().await.expect("send");
        let st = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !st.is_client_error() || body["error"]["code"].as_str().is_none() {
            bad.push(format!("{what} → {st}, body {body}"));
        }
    }
    assert!(
        bad.is_empty(),
        "[{}] non-JSON API errors:\n{}",
        app.backend,
        bad.join("\n")
    );
}

#[test]
fn every_api_error_is_json_with_a_code() {
    run(test_config(), api_errors_json_body);
}
