//! Security headers on every kind of response, and the session cookie's attributes.

use anzen_core::Role;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::common::*;

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Every security header, or a list of what is wrong.
fn header_problems(h: &HeaderMap) -> Vec<String> {
    let mut p = Vec::new();
    let csp = header(h, "content-security-policy");
    if csp.is_empty() {
        p.push("no Content-Security-Policy".to_owned());
    }
    for bad in ["unsafe-inline", "unsafe-eval", "*"] {
        if csp.split([' ', ';']).any(|t| t.trim_matches('\'') == bad) {
            p.push(format!("CSP allows {bad}: {csp}"));
        }
    }
    for needed in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        if !csp.contains(needed) {
            p.push(format!("CSP lacks {needed}: {csp}"));
        }
    }
    if !header(h, "x-frame-options").eq_ignore_ascii_case("DENY") {
        p.push(format!(
            "X-Frame-Options {:?}",
            header(h, "x-frame-options")
        ));
    }
    if header(h, "x-content-type-options") != "nosniff" {
        p.push("no X-Content-Type-Options: nosniff".to_owned());
    }
    let rp = header(h, "referrer-policy");
    if ![
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ]
    .contains(&rp)
    {
        p.push(format!("Referrer-Policy {rp:?}"));
    }
    p
}

fn session_set_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("anzen_session="))
        .map(str::to_owned)
}

fn cookie_attrs(c: &str) -> Vec<String> {
    c.split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn headers_body(app: App) {
    let s = app.seed.clone();
    let (a, b) = (s.a.id.0, s.b.id.0);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let anon = client();
    let (_, secret) = app
        .token(s.a_user(Role::Admin).id, s.a.id, &["read"], in_a_day())
        .await;

    let mut responses: Vec<(String, StatusCode, HeaderMap, String)> = Vec::new();
    let mut push = |what: String, r: (StatusCode, HeaderMap, String)| {
        responses.push((what, r.0, r.1, r.2));
    };
    async fn parts(r: reqwest::Response) -> (StatusCode, HeaderMap, String) {
        let (st, h) = (r.status(), r.headers().clone());
        (st, h, r.text().await.unwrap_or_default())
    }
    push(
        "GET /login".into(),
        parts(anon.get(app.url("/login")).send().await.expect("get")).await,
    );
    push(
        "GET / (anonymous)".into(),
        parts(anon.get(app.url("/")).send().await.expect("get")).await,
    );
    push(
        "GET /o/A/ (signed in)".into(),
        parts(staff.get(&format!("/o/{a}/")).await).await,
    );
    push(
        "GET /o/A/profile".into(),
        parts(staff.get(&format!("/o/{a}/profile")).await).await,
    );
    push(
        "GET /account".into(),
        parts(staff.get("/account").await).await,
    );
    push(
        "GET /o/A/users (403)".into(),
        parts(staff.get(&format!("/o/{a}/users")).await).await,
    );
    push(
        "GET /o/B/ (404)".into(),
        parts(staff.get(&format!("/o/{b}/")).await).await,
    );
    push(
        "GET /static/app.js".into(),
        parts(
            anon.get(app.url("/static/app.js"))
                .send()
                .await
                .expect("get"),
        )
        .await,
    );
    push(
        "GET /healthz".into(),
        parts(anon.get(app.url("/healthz")).send().await.expect("get")).await,
    );
    push(
        "GET /api/v1/org".into(),
        parts(app.api(Method::GET, "/org", &secret).await).await,
    );
    push(
        "GET /api/v1/org (401)".into(),
        parts(app.api(Method::GET, "/org", "anzen_pat_nope").await).await,
    );
    push(
        "GET /api/v1/nope (404)".into(),
        parts(app.api(Method::GET, "/nope", &secret).await).await,
    );
    push(
        "POST /login (failure)".into(),
        parts(
            anon.post(app.url("/login"))
                .form(&[("email", "x@y.jp"), ("password", "x")])
                .send()
                .await
                .expect("post"),
        )
        .await,
    );

    let mut bad = Vec::new();
    for (what, st, h, body) in &responses {
        for p in header_problems(h) {
            bad.push(format!("{what} ({st}): {p}"));
        }
        // No inline script or style for the CSP to trip over.
        if header(h, "content-type").starts_with("text/html") {
            let lower = body.to_ascii_lowercase();
            let inline_script = lower.match_indices("<script").any(|(i, _)| {
                let tag_end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
                !lower[i..tag_end].contains("src=")
            });
            if inline_script || lower.contains(" style=\"") || lower.contains(" onclick=") {
                bad.push(format!("{what}: inline script or style in the page"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "[{}] header problems:\n{}",
        app.backend,
        bad.join("\n")
    );
    // Pages that show data are not cached.
    let (_, _, h, _) = &responses[2];
    assert_eq!(header(h, "cache-control"), "no-store");

    // The session cookie of a normal sign-in.
    let (_, res) = app
        .password_step(&s.a_user(Role::Auditor).email, PASSWORD)
        .await;
    let cookie = session_set_cookie(res.headers()).expect("session cookie");
    let attrs = cookie_attrs(&cookie);
    for needed in ["httponly", "samesite=strict", "path=/"] {
        assert!(
            attrs.iter().any(|a| a == needed),
            "[{}] {cookie} lacks {needed}",
            app.backend
        );
    }
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "cookie_secure is off: {cookie}"
    );
}

#[test]
fn security_headers_on_pages_api_and_errors() {
    run(test_config(), headers_body);
}

async fn secure_cookie_body(app: App) {
    let s = app.seed.clone();
    let (_, res) = app
        .password_step(&s.a_user(Role::Auditor).email, PASSWORD)
        .await;
    let cookie = session_set_cookie(res.headers()).expect("session cookie");
    let attrs = cookie_attrs(&cookie);
    for needed in ["httponly", "samesite=strict", "secure"] {
        assert!(
            attrs.iter().any(|a| a == needed),
            "[{}] {cookie} lacks {needed}",
            app.backend
        );
    }
    // The cookie that clears the session on logout has the same attributes. (The client
    // does not send Secure cookies over plain HTTP, so send it by hand.)
    let sid = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("sid");
    let raw = client();
    let mfa = raw
        .get(app.url("/mfa"))
        .header("cookie", format!("anzen_session={sid}"))
        .send()
        .await
        .expect("mfa");
    let csrf = scrape_csrf(&mfa.text().await.expect("body")).expect("csrf");
    let res = raw
        .post(app.url("/logout"))
        .header("cookie", format!("anzen_session={sid}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cleared = session_set_cookie(res.headers()).expect("cleared cookie");
    let attrs = cookie_attrs(&cleared);
    for needed in ["httponly", "samesite=strict", "secure", "max-age=0"] {
        assert!(
            attrs.iter().any(|a| a == needed),
            "[{}] {cleared} lacks {needed}",
            app.backend
        );
    }
}

#[test]
fn session_cookie_is_secure_when_configured() {
    let config = anzen_web::WebConfig {
        cookie_secure: true,
        ..test_config()
    };
    run(config, secure_cookie_body);
}
