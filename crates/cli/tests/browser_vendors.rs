//! Browser test of the vendor pages, end to end through the real forms: the real `anzen`
//! binary (demo data) driven by headless Chromium. Sign in; open the demo's EHR vendor and
//! see its ISMS certificate flagged as expiring; edit the certificate's expiry date in place
//! and see the finding go; answer the 2省GL 該当性チェック step by step (each 「次へ」 opens
//! the next question), see the reasoning, save it and see the outcome on the vendor page
//! with the サービス仕様適合開示書 expected; open the responsibility matrix's A4 print view.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Browser, DEMO_FACILITY, Res, TestResult, code_at, run, start_demo, step, unix_now};

const WAIT: Duration = Duration::from_secs(30);
const EHR_VENDOR: &str = "メディシス株式会社";

fn wait_css(b: &Browser, css: &str) -> Res<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(e) = b.find_all(css)?.into_iter().next() {
            return Ok(e);
        }
        if Instant::now() > deadline {
            let src = b.source().unwrap_or_default();
            return Err(format!(
                "{css} did not appear at {:?}; page:\n{}",
                b.url(),
                src.chars().take(3000).collect::<String>()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text_of_element(b: &Browser, e: &str) -> Res<String> {
    Ok(b.cmd("GET", &format!("/element/{e}/text"), None)?
        .as_str()
        .unwrap_or("")
        .to_owned())
}

fn text_css(b: &Browser, css: &str) -> Res<String> {
    let e = wait_css(b, css)?;
    text_of_element(b, &e)
}

fn click_css(b: &Browser, css: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
        .map(drop)
}

fn fill_css(b: &Browser, css: &str, value: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})))?;
    b.cmd(
        "POST",
        &format!("/element/{e}/value"),
        Some(json!({ "text": value })),
    )
    .map(drop)
}

/// Clicks a submit button and waits until its page is gone.
fn submit(b: &Browser, css: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))?;
    let deadline = Instant::now() + WAIT;
    loop {
        match b.cmd("GET", &format!("/element/{e}/name"), None) {
            Err(err)
                if [
                    "stale element",
                    "no such element",
                    "does not belong to the document",
                ]
                .iter()
                .any(|s| err.contains(s)) =>
            {
                return Ok(());
            }
            Err(err) => return Err(err),
            Ok(_) if Instant::now() > deadline => {
                return Err(format!("{css}: the page did not change within {WAIT:?}"));
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Edit a certification, answer the 2省GL questionnaire, print the matrix.
#[test]
fn vendor_certification_edit_gl2_check_and_matrix_print() -> TestResult {
    run("vendors", start_demo, vendors_scenario)
}

fn vendors_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
    // --- Sign in -----------------------------------------------------------------------
    b.sign_in_password(base)?;
    b.fill("code", &code_at(unix_now()))?;
    b.click("mfa-submit")?;
    let title = b.text_of("dashboard-title")?;
    assert!(title.contains(DEMO_FACILITY), "signed in: {title:?}");
    let dash = b.path()?;
    let org: i64 = dash
        .strip_prefix("/o/")
        .and_then(|r| r.strip_suffix('/'))
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("dashboard path {dash:?} is not /o/{{org}}/"))?;

    // --- Open the EHR vendor: its ISMS certificate expires within 90 days ----------------
    b.goto(&format!("{base}/o/{org}/vendors"))?;
    wait_css(b, "#vendors-table")?;
    let mut link = None;
    for e in b.find_all("#vendors-table a")? {
        if text_of_element(b, &e)? == EHR_VENDOR {
            link = Some(e);
        }
    }
    let link = link.ok_or("the demo's EHR vendor is listed")?;
    b.cmd("POST", &format!("/element/{link}/click"), Some(json!({})))?;
    assert_eq!(text_css(b, "#vendor-name")?, EHR_VENDOR);
    let findings = text_css(b, "#vendor-findings")?;
    assert!(
        findings.contains("ISMS（ISO/IEC 27001）の有効期限が近づいています"),
        "the expiring ISMS is a finding: {findings}"
    );
    let vendor_path = b.path()?;
    step(t0, "vendor page shows the expiring ISMS");

    // --- Edit the certificate's expiry in place -----------------------------------------
    click_css(b, "#certifications a[id^='edit-certification-']")?;
    let current = b
        .attr("#part-edit input[name='expires_on']", "value")?
        .unwrap_or_default();
    assert!(!current.is_empty(), "the form is pre-filled");
    let cert_no = b
        .attr("#part-edit input[name='cert_no']", "value")?
        .unwrap_or_default();
    assert_eq!(cert_no, "IS 000000");
    fill_css(b, "#part-edit input[name='expires_on']", "2099-03-31")?;
    submit(b, "#part-save")?;
    wait_css(b, "#vendor-name")?;
    assert!(
        b.path()?.starts_with(&vendor_path),
        "back on the vendor page"
    );
    let findings = text_css(b, "#vendor-findings")?;
    assert!(
        !findings.contains("有効期限が近づいています"),
        "renewed: {findings}"
    );
    assert!(text_css(b, "#certifications")?.contains("2099-03-31"));
    step(
        t0,
        &format!("ISMS expiry {current} → 2099-03-31; finding resolved"),
    );

    // --- The 2省GL questionnaire, one 「次へ」 at a time ------------------------------------
    assert_eq!(
        b.attr("#gl2-latest", "data-verdict")?.unwrap_or_default(),
        ""
    );
    click_css(b, "#gl2-link")?;
    wait_css(b, "#q-service.unreached")?;
    click_css(b, "#q-relation input[value='contract']")?;
    submit(b, "#gl2-next")?;
    click_css(b, "#q-service.reached input[value='cloud']")?;
    submit(b, "#gl2-next")?;
    click_css(b, "#q-handles.reached input[value='yes']")?;
    submit(b, "#gl2-next")?;
    let verdict = text_css(b, "#gl2-verdict")?;
    assert!(verdict.contains("2省GLの適用あり"), "{verdict}");
    assert_eq!(b.find_all("#gl2-steps li")?.len(), 3);
    let steps = text_css(b, "#gl2-steps")?;
    assert!(
        steps.contains("医療に関する患者情報（個人識別情報）"),
        "{steps}"
    );
    fill_css(b, "#gl2-save-form input[name='note']", "保守契約書で確認")?;
    submit(b, "#gl2-save")?;
    wait_css(b, "#gl2-latest[data-verdict='applies']")?;
    let latest = text_css(b, "#gl2-latest")?;
    assert!(latest.contains("保守契約書で確認"), "{latest}");
    let expected = text_css(b, "#service-spec-expected")?;
    assert!(expected.contains("サービス仕様適合開示書"), "{expected}");
    step(t0, "2省GL: applies, shown on the vendor page");

    // --- The responsibility matrix's A4 print view --------------------------------------
    b.goto(&format!("{base}/o/{org}/vendors/matrix"))?;
    click_css(b, "#matrix-print")?;
    let sheet = text_css(b, "#matrix-print-sheet")?;
    assert!(sheet.contains("別紙　責任分界表"), "{sheet}");
    assert!(sheet.contains(DEMO_FACILITY), "{sheet}");
    assert!(sheet.contains("パッチ適用"), "{sheet}");
    step(t0, "matrix print view");
    Ok(())
}
