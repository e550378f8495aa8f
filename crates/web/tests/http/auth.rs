//! Sign-in hardening: no user enumeration, lockout, TOTP replay, CSRF, rate limit, idle
//! lock, logout, forced password change and the password rules.

use std::time::Duration;

use anzen_core::Role;
use anzen_store::{orgs, users};
use reqwest::StatusCode;

use crate::common::*;

const LOGIN_FAILED: &str =
    "メールアドレスまたはパスワードが正しくないか、アカウントがロックされています。";

fn login_error(html: &str) -> Option<String> {
    between(html, "id=\"login-error\">", "</p>").map(str::to_owned)
}

async fn same_message_body(app: App) {
    let staff = app.seed.a_user(Role::Staff).clone();
    let (_, wrong) = app.password_step(&staff.email, "Wrong#Passw0rd!x").await;
    let (_, unknown) = app
        .password_step("nobody@a-anzen.example.jp", "Wrong#Passw0rd!x")
        .await;
    assert_eq!(
        wrong.status(),
        StatusCode::UNAUTHORIZED,
        "[{}]",
        app.backend
    );
    assert_eq!(unknown.status(), wrong.status(), "[{}]", app.backend);
    assert!(wrong.cookies().next().is_none(), "no session for a failure");
    let (w, u) = (
        wrong.text().await.expect("body"),
        unknown.text().await.expect("body"),
    );
    assert_eq!(login_error(&w).as_deref(), Some(LOGIN_FAILED));
    assert_eq!(login_error(&w), login_error(&u), "[{}]", app.backend);
    // The pages differ only in the echoed e-mail address.
    assert_eq!(
        w.replace(&staff.email, "E"),
        u.replace("nobody@a-anzen.example.jp", "E"),
        "[{}] the two failures must look the same",
        app.backend
    );
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    run(test_config(), same_message_body);
}

async fn lockout_body(app: App) {
    let staff = app.seed.a_user(Role::Staff).clone();
    for i in 0..5 {
        let (_, res) = app.password_step(&staff.email, "Wrong#Passw0rd!x").await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "[{}] attempt {i}",
            app.backend
        );
    }
    let (_, res) = app.password_step(&staff.email, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "[{}] the correct password is refused while locked",
        app.backend
    );
    assert!(res.cookies().next().is_none());
    let body = res.text().await.expect("body");
    assert_eq!(login_error(&body).as_deref(), Some(LOGIN_FAILED));
    let uid = staff.id;
    let u = app.db(move |c| users::get(c, uid)).await.expect("user");
    assert!(
        u.locked_until.is_some_and(|t| t > anzen_store::now_us()),
        "[{}] locked_until set",
        app.backend
    );
    let ledger = app.ledger(app.seed.a.id).await;
    let failed: Vec<_> = ledger
        .iter()
        .filter(|e| e.kind == "auth.login_failed" && e.author == staff.email)
        .collect();
    assert_eq!(failed.len(), 6, "[{}] every failure recorded", app.backend);
    assert!(
        String::from_utf8_lossy(&failed[0].payload).contains("locked"),
        "[{}] the last refusal says why: {}",
        app.backend,
        String::from_utf8_lossy(&failed[0].payload)
    );
    // Another user is not affected.
    app.sign_in(app.seed.a_user(Role::Auditor)).await;
}

#[test]
fn lockout_after_five_failures_refuses_the_correct_password() {
    run(test_config(), lockout_body);
}

async fn replay_body(app: App) {
    let staff = app.seed.a_user(Role::Staff).clone();
    let code = app.fresh_code(&staff).await;
    for attempt in 0..2 {
        let (mut b, res) = app.password_step(&staff.email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, mfa) = b.text("/mfa").await;
        b.csrf = scrape_csrf(&mfa).expect("csrf");
        let res = b.post("/mfa", &[("code", code.as_str())]).await;
        if attempt == 0 {
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{}]", app.backend);
            assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
        } else {
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "[{}] a replayed TOTP code is refused",
                app.backend
            );
            let body = res.text().await.expect("body");
            assert!(body.contains("コードが正しくないか、すでに使用されています。"));
            // The session did not pass the second factor.
            let res = b.get(&format!("/o/{}/", app.seed.a.id.0)).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&res), "/mfa");
        }
    }
    // A wrong code is refused too.
    let (mut b, _) = app.password_step(&staff.email, PASSWORD).await;
    let (_, mfa) = b.text("/mfa").await;
    b.csrf = scrape_csrf(&mfa).expect("csrf");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = b.post("/mfa", &[("code", wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{}]", app.backend);
    let kinds: Vec<String> = app
        .ledger(app.seed.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "auth.mfa_failed").count(),
        2,
        "[{}] {kinds:?}",
        app.backend
    );
}

#[test]
fn replayed_totp_code_is_refused() {
    run(test_config(), replay_body);
}

async fn csrf_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let admin = app.sign_in(s.a_user(Role::Admin)).await;
    let other = app.sign_in(&s.b_admin).await;
    let target = s.a_target.id.0;
    let profile = profile_form("CSRFで書き換え");
    let profile = as_refs(&profile);
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/o/{a}/profile"), profile.clone()),
        (
            format!("/o/{a}/users"),
            vec![
                ("email", "x@a-anzen.example.jp"),
                ("name", "x"),
                ("role", "admin"),
            ],
        ),
        (
            format!("/o/{a}/users/{target}/role"),
            vec![("role", "admin")],
        ),
        (format!("/o/{a}/users/{target}/reset"), vec![]),
        (format!("/o/{a}/users/{target}/remove"), vec![]),
        (
            format!("/o/{a}/tokens"),
            vec![("name", "x"), ("days", "30")],
        ),
        (
            "/account/password".to_owned(),
            vec![
                ("current", PASSWORD),
                ("new", "Zx9!mQ4#vT7$kP2@"),
                ("confirm", "Zx9!mQ4#vT7$kP2@"),
            ],
        ),
        ("/logout".to_owned(), vec![]),
    ];
    for (path, fields) in &cases {
        for bad in ["0000", other.csrf.as_str(), ""] {
            let mut form = vec![("csrf", bad)];
            form.extend_from_slice(fields);
            let st = admin.post_raw(path, &form).await.status();
            assert_eq!(
                st,
                StatusCode::FORBIDDEN,
                "[{}] POST {path} with CSRF token {bad:?}",
                app.backend
            );
        }
    }
    // Nothing changed: still signed in, profile, members and password as they were.
    assert_eq!(
        admin.get(&format!("/o/{a}/")).await.status(),
        StatusCode::OK
    );
    let (a_id, uid) = (s.a.id, s.a_user(Role::Admin).id);
    let (org, members, user) = app
        .db(move |c| {
            Ok((
                orgs::get(c, a_id)?,
                orgs::members(c, a_id)?,
                users::get(c, uid)?,
            ))
        })
        .await;
    assert_eq!(org.expect("org"), s.a, "[{}] profile changed", app.backend);
    assert_eq!(members.len(), 6);
    assert!(
        members
            .iter()
            .any(|m| m.0 == s.a_target.id && m.3 == Role::Staff)
    );
    assert!(!user.expect("user").must_change_password);
    // The heartbeat wants the token in a header.
    let st = admin
        .client
        .post(admin.url("/session/ping"))
        .send()
        .await
        .expect("ping")
        .status();
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "[{}] ping without token",
        app.backend
    );
    let st = admin
        .client
        .post(admin.url("/session/ping"))
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .expect("ping")
        .status();
    assert_eq!(
        st,
        StatusCode::NO_CONTENT,
        "[{}] ping with token",
        app.backend
    );
    // During sign-in and on the lock screen too.
    let (b, _) = app
        .password_step(&s.a_user(Role::Staff).email, PASSWORD)
        .await;
    let st = b
        .post_raw("/mfa", &[("csrf", "0000"), ("code", "123456")])
        .await
        .status();
    assert_eq!(st, StatusCode::FORBIDDEN, "[{}] /mfa", app.backend);
    let st = admin
        .post_raw("/lock", &[("csrf", "0000"), ("password", PASSWORD)])
        .await
        .status();
    assert_eq!(st, StatusCode::FORBIDDEN, "[{}] /lock", app.backend);
}

#[test]
fn wrong_or_empty_csrf_token_is_refused() {
    run(test_config(), csrf_body);
}

/// A form posted without any `csrf` field is a CSRF failure too and must get the same 403
/// (not a 422 from the form decoder).
async fn csrf_missing_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let admin = app.sign_in(s.a_user(Role::Admin)).await;
    let profile = profile_form("CSRFなし");
    let mut bad = Vec::new();
    for (path, fields) in [
        (format!("/o/{a}/profile"), as_refs(&profile)),
        (
            format!("/o/{a}/users"),
            vec![
                ("email", "x@a-anzen.example.jp"),
                ("name", "x"),
                ("role", "admin"),
            ],
        ),
        ("/logout".to_owned(), vec![]),
    ] {
        let st = admin.post_raw(&path, &fields).await.status();
        if st != StatusCode::FORBIDDEN {
            bad.push(format!("POST {path} without csrf → {st}"));
        }
    }
    assert_eq!(
        admin.get(&format!("/o/{a}/")).await.status(),
        StatusCode::OK
    );
    assert!(bad.is_empty(), "[{}]\n{}", app.backend, bad.join("\n"));
}

#[test]
fn missing_csrf_field_is_refused_with_403() {
    run(test_config(), csrf_missing_body);
}

async fn rate_limit_body(app: App) {
    let staff = app.seed.a_user(Role::Staff).clone();
    for i in 0..3 {
        let (_, res) = app.password_step(&staff.email, "Wrong#Passw0rd!x").await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "[{}] attempt {i}",
            app.backend
        );
    }
    for pw in ["Wrong#Passw0rd!x", PASSWORD] {
        let (_, res) = app.password_step(&staff.email, pw).await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "[{}] over the limit",
            app.backend
        );
        assert!(res.cookies().next().is_none());
        let body = res.text().await.expect("body");
        assert!(
            body.contains("試行回数が多すぎます"),
            "[{}] {body}",
            app.backend
        );
    }
}

#[test]
fn rate_limit_returns_429_after_configured_attempts() {
    let config = anzen_web::WebConfig {
        login_rate_per_minute: 3,
        ..test_config()
    };
    run(config, rate_limit_body);
}

async fn idle_lock_body(app: App) {
    let a = app.seed.a.id.0;
    let staff = app.seed.a_user(Role::Staff).clone();
    let b = app.sign_in(&staff).await;
    let dash = format!("/o/{a}/");
    assert_eq!(
        b.get(&dash).await.status(),
        StatusCode::OK,
        "[{}]",
        app.backend
    );
    tokio::time::sleep(Duration::from_millis(3600)).await;
    for path in [dash.as_str(), &format!("/o/{a}/profile"), "/account"] {
        let res = b.get(path).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "[{}] {path}",
            app.backend
        );
        assert_eq!(location(&res), "/lock", "[{}] {path}", app.backend);
    }
    // The lock screen shows no facility data.
    let (st, lock) = b.text("/lock").await;
    assert_eq!(st, StatusCode::OK);
    assert!(lock.contains("lock-screen"));
    assert!(
        !lock.contains(A_NAME),
        "[{}] lock screen shows data",
        app.backend
    );
    // The heartbeat does not unlock it.
    let st = b
        .client
        .post(b.url("/session/ping"))
        .header("x-csrf-token", &b.csrf)
        .send()
        .await
        .expect("ping")
        .status();
    assert_eq!(
        st,
        StatusCode::CONFLICT,
        "[{}] ping while locked",
        app.backend
    );
    // A wrong password does not unlock.
    let res = b.post("/lock", &[("password", "Wrong#Passw0rd!x")]).await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&b.get(&dash).await), "/lock", "[{}]", app.backend);
    // The password does.
    let res = b.post("/lock", &[("password", PASSWORD)]).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "[{}] unlock",
        app.backend
    );
    assert_eq!(location(&res), "/");
    assert_eq!(
        b.get(&dash).await.status(),
        StatusCode::OK,
        "[{}]",
        app.backend
    );
}

#[test]
fn idle_session_locks_and_password_unlocks() {
    let config = anzen_web::WebConfig {
        session_idle: Duration::from_secs(3),
        ..test_config()
    };
    run(config, idle_lock_body);
}

async fn logout_body(app: App) {
    let a = app.seed.a.id.0;
    let b = app.sign_in(app.seed.a_user(Role::Auditor)).await;
    assert!(!b.session_id.is_empty());
    let dash = format!("/o/{a}/");
    assert_eq!(b.get(&dash).await.status(), StatusCode::OK);
    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{}]", app.backend);
    assert_eq!(location(&res), "/login");
    let cleared = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("anzen_session=;") && v.contains("Max-Age=0"));
    assert!(cleared, "[{}] logout clears the cookie", app.backend);
    // Replaying the old cookie by hand: the session is gone on the server.
    let raw = client();
    for path in [dash.as_str(), "/account", "/lock", "/mfa"] {
        let res = raw
            .get(app.url(path))
            .header("cookie", format!("anzen_session={}", b.session_id))
            .send()
            .await
            .expect("GET");
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "[{}] {path}",
            app.backend
        );
        assert_eq!(location(&res), "/login", "[{}] {path}", app.backend);
    }
    let res = raw
        .post(app.url("/lock"))
        .header("cookie", format!("anzen_session={}", b.session_id))
        .form(&[("csrf", b.csrf.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(
        location(&res),
        "/login",
        "[{}] unlock after logout",
        app.backend
    );
}

#[test]
fn logout_invalidates_the_session_server_side() {
    run(test_config(), logout_body);
}

async fn forced_change_body(app: App) {
    let s = app.seed.clone();
    let a = s.a.id.0;
    let admin = app.sign_in(s.a_user(Role::Admin)).await;
    // The target is signed in before the reset; the reset ends that session.
    let before = app.sign_in(&s.a_target).await;
    let res = admin
        .post(&format!("/o/{a}/users/{}/reset", s.a_target.id.0), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "[{}] reset", app.backend);
    let html = res.text().await.expect("body");
    let block = between(&html, "id=\"temp-password\"", "</div>").expect("temp password shown");
    let temp = between(block, "<code>", "</code>")
        .expect("code")
        .to_owned();
    assert!(temp.len() >= 13, "temporary password {temp:?}");
    assert_eq!(
        location(&before.get(&format!("/o/{a}/")).await),
        "/login",
        "[{}] reset ends the user's sessions",
        app.backend
    );
    // The old password no longer works.
    let (_, res) = app.password_step(&s.a_target.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let b = app.sign_in_with(&s.a_target, &temp).await;
    for path in ["/", &format!("/o/{a}/"), "/account"] {
        let res = b.get(path).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "[{}] {path}",
            app.backend
        );
        assert_eq!(
            location(&res),
            "/account/password",
            "[{}] {path}",
            app.backend
        );
    }
    let (st, page) = b.text("/account/password").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("仮パスワードでログインしました"),
        "[{}]",
        app.backend
    );
    let new = "Hn3$wQ8!rZt5#yLe";
    let res = b
        .post(
            "/account/password",
            &[("current", temp.as_str()), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "[{}] change",
        app.backend
    );
    assert_eq!(location(&res), "/account");
    assert_eq!(b.get(&format!("/o/{a}/")).await.status(), StatusCode::OK);
    // Going back to the temporary password is refused (history).
    let res = b
        .post(
            "/account/password",
            &[
                ("current", new),
                ("new", temp.as_str()),
                ("confirm", temp.as_str()),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "[{}]",
        app.backend
    );
    assert!(res.text().await.expect("body").contains("再利用できません"));
}

#[test]
fn admin_reset_forces_password_change_at_next_sign_in() {
    run(test_config(), forced_change_body);
}

async fn policy_body(app: App) {
    let staff = app.seed.a_user(Role::Staff).clone();
    let b = app.sign_in(&staff).await;
    let cases: [(&str, &str, &str, &str); 6] = [
        ("short", PASSWORD, "aB3!x", "文字以上にしてください"),
        (
            "classes",
            PASSWORD,
            "correcthorsebatterystaple",
            "英字・数字・記号をすべて含めてください",
        ),
        (
            "personal",
            PASSWORD,
            "staff-a-anzen#2961Qx",
            "ご本人に関する情報",
        ),
        ("guessable", PASSWORD, "Password123!", "推測されやすい"),
        (
            "reuse of the current password",
            PASSWORD,
            PASSWORD,
            "再利用できません",
        ),
        (
            "wrong current",
            "Wrong#Passw0rd!x",
            "Hn3$wQ8!rZt5#yLe",
            "現在のパスワードが正しくありません",
        ),
    ];
    for (what, current, new, message) in cases {
        let res = b
            .post(
                "/account/password",
                &[("current", current), ("new", new), ("confirm", new)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {what}",
            app.backend
        );
        let body = res.text().await.expect("body");
        let errors = between(&body, "id=\"password-errors\"", "</div>").unwrap_or_default();
        assert!(
            errors.contains(message),
            "[{}] {what}: expected {message:?} in {errors:?}",
            app.backend
        );
    }
    let res = b
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "Hn3$wQ8!rZt5#yLe"),
                ("confirm", "Hn3$wQ8!rZt5#yLf"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("body").contains("一致しません"));
    // None of it changed the password.
    let uid = staff.id;
    let count = app
        .db(move |c| users::recent_password_hashes(c, uid, 10))
        .await
        .len();
    assert_eq!(count, 1, "[{}] password changed", app.backend);
}

#[test]
fn password_rules_refuse_with_japanese_messages() {
    run(test_config(), policy_body);
}
