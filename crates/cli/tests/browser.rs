//! Browser tests: the real `anzen` binary driven by headless Chromium through WebDriver
//! (Debian `chromium` and `chromium-driver`): sign-in with password and TOTP, a refused
//! TOTP code, and the idle screen lock.
//!
//! The processes, the WebDriver client and the skip-or-fail rule for a missing Chromium or
//! chromedriver (a failure when `CI` is set) are in `support/mod.rs`, shared with
//! `browser_webauthn.rs`; see there.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{
    Browser, DEMO_FACILITY, DEMO_PASSWORD, Proc, TestResult, anzen_cmd, code_at, run,
    spawn_on_free_port, start_demo, step, unix_now,
};

const DEMO_USER: &str = "山田 太郎";
/// Idle time for the screen-lock test.
const SHORT_IDLE_SECS: u64 = 4;

/// A demo data directory served by `anzen serve` with `[web] session_idle_seconds` set:
/// `anzen demo` creates and seeds it, is stopped, the setting is written into anzen.toml.
fn start_demo_with_idle(data: &Path, logs: &Path, idle_secs: u64) -> (Proc, String) {
    let (demo, _) = start_demo(data, logs);
    demo.stop(Duration::from_secs(15))
        .expect("stopping the demo server");
    let path = data.join("anzen.toml");
    let text = std::fs::read_to_string(&path).expect("reading anzen.toml");
    let mut cfg: toml::Table = toml::from_str(&text).expect("parsing anzen.toml");
    let web = cfg
        .entry("web")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .expect("[web] is a table");
    web.insert(
        "session_idle_seconds".into(),
        toml::Value::Integer(i64::try_from(idle_secs).expect("small")),
    );
    std::fs::write(
        &path,
        toml::to_string(&cfg).expect("serialising anzen.toml"),
    )
    .expect("writing anzen.toml");
    let data_s = data.to_string_lossy().into_owned();
    let (p, addr) = spawn_on_free_port("anzen serve", logs.join("serve.log"), "/healthz", |port| {
        anzen_cmd(&[
            "serve",
            "--data",
            &data_s,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
    });
    (p, format!("http://{addr}"))
}

// ---------------------------------------------------------------------------------------
// Dates

/// The fiscal year (April–March) of the JST date at `unix` seconds.
fn fiscal_year_jst(unix: u64) -> i64 {
    let days = i64::try_from((unix + 9 * 3600) / 86_400).expect("sane clock");
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if month >= 4 { year } else { year - 1 }
}

fn fiscal_year_label(fy: i64) -> String {
    format!("令和{}年度（{fy}年度）", fy - 2018)
}

// ---------------------------------------------------------------------------------------
// Scenarios

/// Password + TOTP, the dashboard with the facility and the 年度, sign-out.
#[test]
fn sign_in_with_totp_see_dashboard_and_sign_out() -> TestResult {
    run("sign-in", start_demo, sign_in_scenario)
}

fn sign_in_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
    b.sign_in_password(base)?;
    step(t0, "password accepted, on the 2FA page");
    let before = unix_now();
    b.fill("code", &code_at(before))?;
    b.click("mfa-submit")?;

    let title = b.text_of("dashboard-title")?;
    step(t0, "dashboard shown");
    assert!(
        title.contains(DEMO_FACILITY),
        "dashboard names the facility: {title:?}"
    );
    let path = b.path()?;
    assert!(
        path.starts_with("/o/") && path.ends_with('/'),
        "dashboard is inside the organisation: {path}"
    );
    let fy = b.text_of("fiscal-year")?;
    let expected = [
        fiscal_year_label(fiscal_year_jst(before)),
        fiscal_year_label(fiscal_year_jst(unix_now())),
    ];
    assert!(
        expected.contains(&fy),
        "fiscal year shown in 和暦 and 西暦: {fy:?}, expected {expected:?}"
    );
    let who = b.text_of("current-user")?;
    assert!(who.contains(DEMO_USER), "signed-in user shown: {who:?}");
    let dashboard = b.url()?;

    b.click("logout")?;
    b.wait_id("login-submit")?;
    step(t0, "signed out");
    assert_eq!(b.path()?, "/login", "sign-out lands on the sign-in page");

    // The session is gone: the dashboard is out of reach.
    b.goto(&dashboard)?;
    b.wait_id("login-submit")?;
    assert_eq!(
        b.path()?,
        "/login",
        "after sign-out the dashboard asks to sign in"
    );
    assert!(!b.has_id("dashboard-title"));
    Ok(())
}

/// A wrong TOTP code is refused with a message, and no page of the facility is reachable.
#[test]
fn wrong_totp_code_is_refused() -> TestResult {
    run("wrong TOTP", start_demo, wrong_code_scenario)
}

fn wrong_code_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
    b.sign_in_password(base)?;
    step(t0, "password accepted, on the 2FA page");
    // A code that is valid for no time step near now.
    let now = unix_now();
    let near: Vec<String> = (0..=8u64)
        .map(|i| code_at((now + i * 30).saturating_sub(120)))
        .collect();
    let wrong = ["123456", "000000", "987654", "555555", "424242", "135790"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .expect("some code is wrong");
    b.fill("code", wrong)?;
    b.click("mfa-submit")?;

    let err = b.text_of("mfa-error")?;
    step(t0, "wrong code refused");
    assert!(!err.trim().is_empty(), "an error message is shown");
    assert_eq!(b.path()?, "/mfa", "still on the 2FA page");
    assert!(!b.has_id("dashboard-title"));

    for page in ["/o/1/", "/"] {
        b.goto(&format!("{base}{page}"))?;
        b.wait_id("code")?;
        assert_eq!(
            b.path()?,
            "/mfa",
            "{page} without the second factor leads back to the 2FA page"
        );
        assert!(!b.has_id("dashboard-title"), "{page} shows no dashboard");
        let src = b.source()?;
        assert!(
            !src.contains(DEMO_FACILITY),
            "{page} shows no facility data"
        );
    }
    Ok(())
}

/// After inactivity the screen locks; the dashboard URL still shows the lock screen; the
/// password unlocks and the dashboard is back.
#[test]
fn idle_screen_lock_and_unlock() -> TestResult {
    let start = |data: &Path, logs: &Path| start_demo_with_idle(data, logs, SHORT_IDLE_SECS);
    run("idle lock", start, idle_lock_scenario)
}

fn idle_lock_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
    b.sign_in_password(base)?;
    b.fill("code", &code_at(unix_now()))?;
    b.click("mfa-submit")?;
    let title = b.text_of("dashboard-title")?;
    let shown = Instant::now();
    step(t0, "dashboard shown");
    assert!(title.contains(DEMO_FACILITY), "signed in: {title:?}");
    let dashboard = b.url()?;
    let idle_attr = b.attr("body", "data-idle-seconds")?;
    assert_eq!(
        idle_attr.as_deref(),
        Some(SHORT_IDLE_SECS.to_string().as_str())
    );

    // No input: the page script locks the screen.
    b.wait_id("lock-screen")?;
    step(t0, "screen locked");
    assert_eq!(b.path()?, "/lock");
    assert!(
        shown.elapsed() >= Duration::from_secs(SHORT_IDLE_SECS / 2),
        "locked only after the idle time ({:?})",
        shown.elapsed()
    );
    let src = b.source()?;
    assert!(
        !src.contains(DEMO_FACILITY),
        "the lock screen shows no facility data"
    );

    // Going straight to the dashboard does not get past the lock.
    b.goto(&dashboard)?;
    b.wait_id("lock-screen")?;
    assert_eq!(b.path()?, "/lock", "the server keeps the session locked");
    assert!(!b.has_id("dashboard-title"));

    b.fill("password", DEMO_PASSWORD)?;
    b.click("unlock-submit")?;
    let title = b.text_of("dashboard-title")?;
    step(t0, "unlocked");
    assert!(title.contains(DEMO_FACILITY), "unlocked: {title:?}");
    assert!(!b.has_id("lock-screen"));
    Ok(())
}
