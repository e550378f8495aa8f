//! Browser test of passkeys (WebAuthn) as the second factor: the real `anzen demo` driven
//! by headless Chromium through WebDriver, with a CDP virtual authenticator (ctap2,
//! internal transport, resident keys, user verification) standing in for a fingerprint
//! reader. It signs in with password + TOTP, registers a passkey on /account, signs out,
//! signs in again with password + passkey and sees the dashboard.
//!
//! The browser uses `http://localhost:PORT` (a secure context whose host can be the
//! relying-party id; an IP address cannot). The processes, the WebDriver client and the
//! skip-or-fail rule for a missing Chromium or chromedriver (a failure when `CI` is set)
//! are in `support/mod.rs`, shared with `browser.rs`; CDP commands go through
//! chromedriver's `goog/cdp/execute`.

mod support;

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use support::{
    Browser, DEMO_FACILITY, Proc, Res, TestResult, code_at, run, start_demo, step, unix_now,
};

const PASSKEY_NAME: &str = "仮想認証器";

impl Browser {
    /// A Chrome DevTools Protocol command through chromedriver.
    fn cdp(&self, cmd: &str, params: Value) -> Res<Value> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }
}

/// `anzen demo`, opened at `localhost` on the port it printed: an IP address cannot be a
/// WebAuthn relying-party id.
fn start_demo_on_localhost(data: &Path, logs: &Path) -> (Proc, String) {
    let (demo, base) = start_demo(data, logs);
    let port: u16 = base
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in the demo URL {base:?}"));
    (demo, format!("http://localhost:{port}"))
}

#[test]
fn register_a_passkey_and_sign_in_with_it() -> TestResult {
    run("passkey", start_demo_on_localhost, passkey_scenario)
}

fn passkey_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
    b.cdp("WebAuthn.enable", json!({}))?;
    let auth = b.cdp(
        "WebAuthn.addVirtualAuthenticator",
        json!({ "options": {
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
            "automaticPresenceSimulation": true,
        }}),
    )?;
    let authenticator = auth["authenticatorId"]
        .as_str()
        .ok_or_else(|| format!("no authenticatorId in {auth}"))?
        .to_owned();
    step(t0, "virtual authenticator added");

    // 1. Password + TOTP, then register a passkey on the account page.
    b.sign_in_password(base)?;
    b.fill("code", &code_at(unix_now()))?;
    b.click("mfa-submit")?;
    b.wait_id("dashboard-title")?;
    step(t0, "signed in with TOTP");
    b.goto(&format!("{base}/account"))?;
    b.fill("passkey-name", PASSKEY_NAME)?;
    b.click("passkey-register")?;
    b.wait_id("passkey-list")?;
    let listed = b.text_of("passkey-list")?;
    assert!(listed.contains(PASSKEY_NAME), "passkey listed: {listed:?}");
    step(t0, "passkey registered");
    let creds = b.cdp(
        "WebAuthn.getCredentials",
        json!({ "authenticatorId": authenticator }),
    )?;
    let n = creds["credentials"].as_array().map_or(0, Vec::len);
    assert_eq!(n, 1, "the authenticator holds one credential: {creds}");

    // 2. Sign out; password + passkey lead to the dashboard.
    b.click("logout")?;
    b.wait_id("login-submit")?;
    step(t0, "signed out");
    b.sign_in_password(base)?;
    b.click("passkey-signin")?;
    let title = b.text_of("dashboard-title")?;
    step(t0, "signed in with the passkey");
    assert!(title.contains(DEMO_FACILITY), "dashboard: {title:?}");
    let creds = b.cdp(
        "WebAuthn.getCredentials",
        json!({ "authenticatorId": authenticator }),
    )?;
    let count = creds["credentials"][0]["signCount"].as_i64().unwrap_or(0);
    assert!(count >= 1, "the authenticator signed: {creds}");

    // 3. The account page shows when it was last used.
    b.goto(&format!("{base}/account"))?;
    let listed = b.text_of("passkey-list")?;
    // Created and last used: two `HH:MM:SS` times (before, last used was "-").
    assert!(
        listed.contains(PASSKEY_NAME) && listed.matches(':').count() >= 4,
        "last use shown: {listed:?}"
    );
    Ok(())
}
