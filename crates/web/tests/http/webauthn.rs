//! Passkeys (WebAuthn) as a second factor, server side: the ceremony endpoints need a
//! session and the CSRF token, bogus browser answers are refused, audited and count
//! towards the lockout, passkeys are per user (no one reaches another's), and nothing works
//! from a host without a relying party. The real ceremony with an authenticator is the
//! browser test `crates/cli/tests/browser_webauthn.rs`.

use anzen_core::{OrgId, Role, UserId};
use anzen_store::{users, webauthn};
use anzen_web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// A serialised credential as webauthn-rs stores it (an iPad's ES256 key, from the
/// library's own tests): enough to start a real authentication ceremony.
const CRED_ID_B64URL: &str =
    "uZcVDBVS68E_MtAgeQpElJxldF_6cY9sSvbWqx_qRh8wiu42lyRBRmh5yFeD_r9k130dMbFHBHI9RTFgdJQIzQ";
const CRED_JSON: &str = r#"{"cred_id":"uZcVDBVS68E_MtAgeQpElJxldF_6cY9sSvbWqx_qRh8wiu42lyRBRmh5yFeD_r9k130dMbFHBHI9RTFgdJQIzQ","cred":{"type_":"ES256","key":{"EC_EC2":{"curve":"SECP256R1","x":[194,126,127,109,252,23,131,21,252,6,223,99,44,254,140,27,230,17,94,5,133,28,104,41,144,69,171,149,161,26,200,243],"y":[143,123,183,156,24,178,21,248,117,159,162,69,171,52,188,252,26,59,6,47,103,92,19,58,117,103,249,0,219,8,95,196]}}},"counter":2,"user_verified":false,"backup_eligible":false,"backup_state":false,"registration_policy":"preferred","extensions":{"cred_protect":"NotRequested","hmac_create_secret":"NotRequested"},"attestation":{"data":"None","metadata":"None"},"attestation_format":"None"}"#;

/// Passkeys on: the tests talk to 127.0.0.1, so the relying party is configured.
fn passkey_config() -> WebConfig {
    WebConfig {
        webauthn_rp_id: Some("localhost".into()),
        webauthn_origin: Some("http://localhost".into()),
        ..test_config()
    }
}

fn b64url_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Stores the sample credential for `user` directly.
async fn seed_passkey(app: &App, user: UserId, name: &'static str) -> i64 {
    let passkey = format!("{{\"cred\":{CRED_JSON}}}");
    app.db(move |c| {
        webauthn::add_credential(
            c,
            user,
            &b64url_decode(CRED_ID_B64URL),
            name,
            "localhost",
            &passkey,
            2,
        )
        .map(|k| k.id)
    })
    .await
}

impl Browser {
    /// POSTs JSON with the CSRF header (when `csrf` is given).
    async fn json(&self, path: &str, csrf: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = csrf {
            req = req.header("X-CSRF-Token", t);
        }
        req.send().await.expect("POST json")
    }
}

async fn error_code(res: reqwest::Response) -> String {
    let v: Value = res.json().await.expect("json error body");
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

/// Kinds of `author`'s ledger entries in organisation `org`, newest first.
async fn kinds(app: &App, org: OrgId, author: &str) -> Vec<(String, Value)> {
    app.ledger(org)
        .await
        .into_iter()
        .filter(|e| e.author == author)
        .map(|e| {
            (
                e.kind,
                serde_json::from_slice(&e.payload).unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Password step and the /mfa page: a session waiting for its second factor.
async fn half_signed_in(app: &App, user: &SeedUser) -> Browser {
    let (mut b, res) = app.password_step(&user.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{}]", app.backend);
    let (status, html) = b.text("/mfa").await;
    assert_eq!(status, StatusCode::OK, "[{}]", app.backend);
    b.csrf = scrape_csrf(&html).expect("csrf on /mfa");
    b
}

async fn endpoints_need_session_and_csrf_body(app: App) {
    let be = app.backend;
    let staff = app.seed.a_user(Role::Staff).clone();
    let anon = client();
    for path in [
        "/mfa/passkey/start",
        "/mfa/passkey/finish",
        "/account/passkeys/register/start",
        "/account/passkeys/register/finish",
    ] {
        let res = anon
            .post(app.url(path))
            .json(&json!({ "name": "x" }))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] {path}");
        assert_eq!(location(&res), "/login", "[{be}] {path} without a session");
    }

    // Before the second factor: no registration, and the /mfa calls need the token.
    let b = half_signed_in(&app, &staff).await;
    let res = b
        .json(
            "/account/passkeys/register/start",
            Some(&b.csrf),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    assert_eq!(
        location(&res),
        "/mfa",
        "[{be}] registration needs the 2nd factor"
    );
    for token in [None, Some("wrong-token")] {
        for path in ["/mfa/passkey/start", "/mfa/passkey/finish"] {
            let res = b.json(path, token, &json!({})).await;
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "[{be}] {path} {token:?}"
            );
        }
    }
    // With the token but no passkey registered.
    let res = b
        .json("/mfa/passkey/start", Some(&b.csrf), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert_eq!(error_code(res).await, "no_passkeys", "[{be}]");
    // The /mfa page offers no passkey to a user without one.
    let (_, html) = b.text("/mfa").await;
    assert!(!html.contains("id=\"passkey-signin\""), "[{be}]");

    // Signed in: registration needs the token too, then answers with creation options.
    let b = app.sign_in(&staff).await;
    let (_, html) = b.text("/account").await;
    let csrf = scrape_csrf(&html).expect("csrf on /account");
    assert!(
        html.contains("id=\"passkey-register\""),
        "[{be}] form offered"
    );
    assert!(html.contains("/static/webauthn.js"), "[{be}] script loaded");
    for token in [None, Some("wrong-token")] {
        let res = b
            .json(
                "/account/passkeys/register/start",
                token,
                &json!({"name": "x"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] {token:?}");
    }
    let res = b
        .json(
            "/account/passkeys/register/start",
            Some(&csrf),
            &json!({"name": "  "}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert_eq!(error_code(res).await, "bad_name", "[{be}]");
    let res = b
        .json(
            "/account/passkeys/register/start",
            Some(&csrf),
            &json!({"name": "受付のPC"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let opts: Value = res.json().await.expect("options");
    let pk = &opts["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost", "[{be}] {opts}");
    assert_eq!(pk["user"]["name"], staff.email.as_str(), "[{be}]");
    assert!(
        pk["challenge"].as_str().is_some_and(|c| c.len() >= 22),
        "[{be}]"
    );
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    // The ceremony state stays on the server: no cookie besides the session.
    let (_, html) = b.text("/account").await;
    assert!(
        !html.contains(pk["challenge"].as_str().unwrap_or("-")),
        "[{be}]"
    );

    // The static script is served under the CSP (no inline script).
    let res = client()
        .get(app.url("/static/webauthn.js"))
        .send()
        .await
        .expect("GET js");
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/javascript"))
    );
    assert!(
        res.text()
            .await
            .expect("js")
            .contains("navigator.credentials.get")
    );
}

#[test]
fn passkey_endpoints_need_a_session_and_the_csrf_token() {
    run(passkey_config(), endpoints_need_session_and_csrf_body);
}

async fn bogus_registration_body(app: App) {
    let be = app.backend;
    let staff = app.seed.a_user(Role::Staff).clone();
    let b = app.sign_in(&staff).await;
    let (_, html) = b.text("/account").await;
    let csrf = scrape_csrf(&html).expect("csrf");
    let start = |name: &'static str| {
        let b = b.clone();
        let csrf = csrf.clone();
        async move {
            let res = b
                .json(
                    "/account/passkeys/register/start",
                    Some(&csrf),
                    &json!({ "name": name }),
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    let bogus = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": { "attestationObject": "AAAA", "clientDataJSON": "e30" }
    });
    start("偽物").await;
    let res = b
        .json("/account/passkeys/register/finish", Some(&csrf), &bogus)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}]");
    assert_eq!(error_code(res).await, "passkey_rejected", "[{be}]");
    // The challenge was used up by the failed attempt.
    let res = b
        .json("/account/passkeys/register/finish", Some(&csrf), &bogus)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}] single use");
    // Not JSON at all.
    start("偽物").await;
    let res = b
        .client
        .post(b.url("/account/passkeys/register/finish"))
        .header("X-CSRF-Token", &csrf)
        .body("<not json>")
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}]");

    let uid = staff.id;
    let stored = app.db(move |c| webauthn::list_for_user(c, uid)).await;
    assert!(stored.is_empty(), "[{be}] nothing registered");
    let events = kinds(&app, app.seed.a.id, &staff.email).await;
    let failed: Vec<_> = events
        .iter()
        .filter(|(k, _)| k == "auth.passkey_register_failed")
        .collect();
    assert_eq!(failed.len(), 3, "[{be}] every refusal audited: {events:?}");
    assert!(
        failed.iter().all(|(_, p)| p["reason"] == "webauthn"),
        "[{be}]"
    );
    // Registration refusals are not second-factor failures: no lockout counting.
    let u = app.db(move |c| users::get(c, uid)).await.expect("user");
    assert_eq!(u.failed_logins, 0, "[{be}]");
}

#[test]
fn bogus_registration_is_refused_and_audited() {
    run(passkey_config(), bogus_registration_body);
}

async fn bogus_authentication_body(app: App) {
    let be = app.backend;
    let staff = app.seed.a_user(Role::Staff).clone();
    let key = seed_passkey(&app, staff.id, "受付のPC").await;
    let b = half_signed_in(&app, &staff).await;
    let (_, html) = b.text("/mfa").await;
    assert!(
        html.contains("id=\"passkey-signin\""),
        "[{be}] passkey offered"
    );
    assert!(html.contains("/static/webauthn.js"), "[{be}]");

    // A real challenge naming the user's credential…
    let res = b
        .json("/mfa/passkey/start", Some(&b.csrf), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    let opts: Value = res.json().await.expect("options");
    let pk = &opts["publicKey"];
    assert_eq!(pk["rpId"], "localhost", "[{be}] {opts}");
    assert_eq!(pk["allowCredentials"][0]["id"], CRED_ID_B64URL, "[{be}]");
    assert_eq!(pk["userVerification"], "required", "[{be}]");
    // …answered with a forged assertion.
    let forged = json!({
        "id": CRED_ID_B64URL, "rawId": CRED_ID_B64URL, "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAw",
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            "signature": "MEUCIQ",
            "userHandle": null
        }
    });
    let res = b.json("/mfa/passkey/finish", Some(&b.csrf), &forged).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}]");
    assert_eq!(error_code(res).await, "passkey_rejected", "[{be}]");
    // Still waiting for the second factor.
    let res = b.get("/").await;
    assert_eq!(location(&res), "/mfa", "[{be}] not signed in");
    let uid = staff.id;
    let k = app
        .db(move |c| webauthn::get(c, uid, key))
        .await
        .expect("still registered");
    assert_eq!(
        (k.sign_count, k.last_used_at),
        (2, None),
        "[{be}] unchanged"
    );

    // More failures (no challenge, garbage) lock the account like wrong TOTP codes.
    for i in 0..4 {
        let body = if i % 2 == 0 {
            forged.clone()
        } else {
            json!("x")
        };
        let res = b.json("/mfa/passkey/finish", Some(&b.csrf), &body).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}] attempt {i}");
    }
    let u = app.db(move |c| users::get(c, uid)).await.expect("user");
    assert_eq!(u.failed_logins, 5, "[{be}]");
    assert!(
        u.locked_until.is_some_and(|t| t > anzen_store::now_us()),
        "[{be}] locked after 5 failures"
    );
    // Locked: even a right TOTP code is refused now.
    let code = app.fresh_code(&staff).await;
    let res = b.post("/mfa", &[("code", code.as_str())]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{be}]");

    let events = kinds(&app, app.seed.a.id, &staff.email).await;
    let failed: Vec<_> = events
        .iter()
        .filter(|(k, p)| k == "auth.mfa_failed" && p["reason"] == "webauthn")
        .collect();
    assert_eq!(failed.len(), 5, "[{be}] every failure audited: {events:?}");
    assert!(
        !events
            .iter()
            .any(|(k, p)| k == "auth.login" && p["reason"] == "webauthn"),
        "[{be}]"
    );
}

#[test]
fn bogus_authentication_is_refused_audited_and_counts_towards_lockout() {
    run(passkey_config(), bogus_authentication_body);
}

async fn per_user_body(app: App) {
    let be = app.backend;
    let staff = app.seed.a_user(Role::Staff).clone();
    let b_admin = app.seed.b_admin.clone();
    let key = seed_passkey(&app, staff.id, "受付のPC").await;

    // B's administrator neither sees nor removes A's staff member's passkey.
    let b = app.sign_in(&b_admin).await;
    let (status, html) = b.text("/account").await;
    assert_eq!(status, StatusCode::OK, "[{be}]");
    assert!(
        !html.contains("受付のPC"),
        "[{be}] another user's passkey listed"
    );
    let csrf = scrape_csrf(&html).expect("csrf");
    let mut b = b;
    b.csrf = csrf;
    let res = b
        .post(&format!("/account/passkeys/{key}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}]");
    let uid = staff.id;
    assert!(
        app.db(move |c| webauthn::get(c, uid, key)).await.is_some(),
        "[{be}] still there"
    );

    // Every role manages its own passkeys (an account matter, not an organisation one).
    for role in Role::ALL {
        let u = app.seed.a_user(role).clone();
        let b = app.sign_in(&u).await;
        let (_, html) = b.text("/account").await;
        let csrf = scrape_csrf(&html).expect("csrf");
        let res = b
            .json(
                "/account/passkeys/register/start",
                Some(&csrf),
                &json!({"name": "鍵"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "[{be}] {role:?}");
    }

    // The owner removes it (CSRF required); the removal is audited in A only.
    let mut s = app.sign_in(&staff).await;
    let (_, html) = s.text("/account").await;
    assert!(html.contains("受付のPC"), "[{be}] listed for its owner");
    let res = s
        .post_raw(&format!("/account/passkeys/{key}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] no token");
    s.csrf = scrape_csrf(&html).expect("csrf");
    let res = s
        .post(&format!("/account/passkeys/{key}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}]");
    assert!(
        app.db(move |c| webauthn::get(c, uid, key)).await.is_none(),
        "[{be}] removed"
    );
    let a_events = kinds(&app, app.seed.a.id, &staff.email).await;
    assert!(
        a_events
            .iter()
            .any(|(k, p)| k == "auth.passkey_removed" && p["name"] == "受付のPC"),
        "[{be}] {a_events:?}"
    );
    let b_ledger = app.ledger(app.seed.b.id).await;
    assert!(
        !b_ledger.iter().any(|e| e.author == staff.email),
        "[{be}] nothing of A's user in B's ledger"
    );
}

#[test]
fn passkeys_belong_to_their_user_only() {
    run(passkey_config(), per_user_body);
}

async fn unavailable_body(app: App) {
    let be = app.backend;
    let staff = app.seed.a_user(Role::Staff).clone();
    seed_passkey(&app, staff.id, "受付のPC").await;
    // 127.0.0.1 without a configured relying party: no passkeys.
    let b = half_signed_in(&app, &staff).await;
    let (_, html) = b.text("/mfa").await;
    assert!(!html.contains("id=\"passkey-signin\""), "[{be}]");
    let res = b
        .json("/mfa/passkey/start", Some(&b.csrf), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "[{be}]");
    assert_eq!(error_code(res).await, "passkey_unavailable", "[{be}]");
    // TOTP still works.
    let code = app.fresh_code(&staff).await;
    let res = b.post("/mfa", &[("code", code.as_str())]).await;
    assert_eq!(location(&res), "/", "[{be}]");
    let (_, html) = b.text("/account").await;
    assert!(html.contains("id=\"passkey-unavailable\""), "[{be}]");
    assert!(!html.contains("id=\"passkey-register\""), "[{be}]");
}

#[test]
fn passkeys_are_unavailable_on_a_host_without_relying_party() {
    run(test_config(), unavailable_body);
}
