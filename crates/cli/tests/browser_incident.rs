//! Browser test of incident readiness, end to end through the real forms: the real `anzen`
//! binary (demo data) driven by headless Chromium. Sign in; open the 連絡体制図 and see the
//! demo's missing body (IPA) drawn as 未登録 and listed as a finding; add it through the
//! form; see the chart redrawn and the print view list every required role with none
//! missing; register an incident (a ransomware attack with patient data) and see the PPC
//! 速報・確報 due dates computed from the discovery day; record the 速報 and see it done;
//! open the printable 漏えい等報告 draft with its nine fields.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Browser, DEMO_FACILITY, Res, TestResult, code_at, run, start_demo, step, unix_now};

const WAIT: Duration = Duration::from_secs(30);

/// The required roles and bodies of the chart (core's `ContactRole::REQUIRED` codes).
const REQUIRED: [&str; 7] = [
    "administrator",
    "security_officer",
    "csirt",
    "mhlw",
    "ppc",
    "police",
    "ipa",
];

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

fn text_css(b: &Browser, css: &str) -> Res<String> {
    let e = wait_css(b, css)?;
    Ok(b.cmd("GET", &format!("/element/{e}/text"), None)?
        .as_str()
        .unwrap_or("")
        .to_owned())
}

fn click_css(b: &Browser, css: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD` plus `n` days.
fn plus_days(date: &str, n: i64) -> Res<String> {
    let p: Vec<i64> = date
        .split('-')
        .map(|x| x.parse::<i64>().map_err(|e| format!("{date}: {e}")))
        .collect::<Res<_>>()?;
    let [y, m, d] = p.as_slice() else {
        return Err(format!("{date} is not YYYY-MM-DD"));
    };
    Ok(civil_from_days(days_from_civil(*y, *m, *d) + n))
}

#[test]
fn plus_days_crosses_months_and_years() {
    assert_eq!(plus_days("2026-11-20", 3).as_deref(), Ok("2026-11-23"));
    assert_eq!(plus_days("2026-11-20", 60).as_deref(), Ok("2027-01-19"));
    assert_eq!(plus_days("2028-02-27", 3).as_deref(), Ok("2028-03-01"));
}

/// Build the contact chart, print it, register an incident and see the PPC due dates.
#[test]
fn contact_chart_print_and_incident_deadlines() -> TestResult {
    run("incident", start_demo, incident_scenario)
}

fn incident_scenario(b: &Browser, base: &str, t0: Instant) -> TestResult {
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

    // --- The chart: the demo's missing body is drawn and listed ------------------------
    click_css(b, "nav.main a[href$='/incident']")?;
    click_css(b, "#nav-contacts")?;
    wait_css(b, "#contact-chart-svg")?;
    wait_css(b, "g.chart-box[data-role='ipa'][data-missing='true']")?;
    let findings = text_css(b, "#incident-findings")?;
    assert!(
        findings.contains("情報処理推進機構"),
        "the missing IPA is a finding: {findings}"
    );
    step(t0, "chart shows IPA as missing");

    // --- Add IPA through the form ------------------------------------------------------
    click_css(b, "#contact-kind option[value='ipa']")?;
    b.fill("contact-name", "情報セキュリティ安心相談窓口")?;
    b.fill("contact-organisation", "独立行政法人情報処理推進機構")?;
    b.fill("contact-phone", "03-0000-9999")?;
    b.fill("contact-hours", "平日10時〜12時、13時30分〜17時")?;
    submit(b, "#contact-add")?;
    wait_css(b, "g.chart-box[data-role='ipa'][data-missing='false']")?;
    let findings = b
        .find_all("#incident-findings")?
        .into_iter()
        .next()
        .map(|_| text_css(b, "#incident-findings"))
        .transpose()?
        .unwrap_or_default();
    assert!(
        !findings.contains("「独立行政法人情報処理推進機構（IPA）」の連絡先がありません"),
        "the finding is resolved: {findings}"
    );
    step(t0, "IPA added; chart redrawn");

    // --- Print view: every required role drawn, none missing ---------------------------
    b.goto(&format!("{base}/o/{org}/incident/contacts/print"))?;
    wait_css(b, "#chart-print-svg svg")?;
    for code in REQUIRED {
        wait_css(
            b,
            &format!("#chart-print-svg g.chart-box[data-role='{code}'][data-missing='false']"),
        )?;
    }
    // Only the レセコン's vendor (the demo enters no contact for it) is still missing.
    let mut missing = Vec::new();
    for e in b.find_all("#chart-print-svg g.chart-box[data-missing='true']")? {
        let role = b.cmd("GET", &format!("/element/{e}/attribute/data-role"), None)?;
        missing.push(role.as_str().unwrap_or("").to_owned());
    }
    assert_eq!(
        missing,
        vec!["vendor:さくらシステムサービス株式会社"],
        "missing on the printed chart"
    );
    let note = text_css(b, "#chart-print-missing")?;
    assert!(note.contains("さくらシステムサービス株式会社"), "{note}");
    let svg_text = text_css(b, "#chart-print-svg")?;
    for label in [
        "管理者",
        "医療情報システム安全管理責任者",
        "CSIRT",
        "外部委託業者",
        "個人情報保護委員会",
        "都道府県警",
        "IPA",
        "TEL 03-0000-9999",
    ] {
        assert!(svg_text.contains(label), "{label} on the chart: {svg_text}");
    }
    let table = text_css(b, "#chart-print-table")?;
    assert!(table.contains("03-0000-9999") && table.contains("メディシス株式会社"));
    step(t0, "print view lists every required role");

    // --- Register an incident and see the PPC due dates --------------------------------
    b.goto(&format!("{base}/o/{org}/incident/incidents"))?;
    b.fill("incident-title", "電子カルテサーバのファイルが暗号化された")?;
    let discovered_input = wait_css(b, "#incident-discovered")?;
    let discovered = b
        .cmd(
            "GET",
            &format!("/element/{discovered_input}/property/value"),
            None,
        )?
        .as_str()
        .unwrap_or("")
        .to_owned();
    let day = discovered
        .get(..10)
        .ok_or_else(|| format!("discovery value {discovered:?}"))?
        .to_owned();
    for id in [
        "#incident-cyber",
        "#incident-leak",
        "#incident-sensitive",
        "#incident-malicious",
    ] {
        click_css(b, id)?;
    }
    b.fill("incident-people", "1200")?;
    submit(b, "#incident-add")?;
    assert_eq!(text_css(b, "#incident-ppc")?, "必要");
    let prelim_due = text_css(b, "#deadline-ppc-preliminary .due")?;
    let prelim_latest = text_css(b, "#deadline-ppc-preliminary .due-latest")?;
    let final_due = text_css(b, "#deadline-ppc-final .due")?;
    assert!(
        prelim_due.contains(&plus_days(&day, 3)?),
        "速報 from {day}: {prelim_due}"
    );
    assert!(
        prelim_latest.contains(&plus_days(&day, 5)?),
        "速報 at the latest: {prelim_latest}"
    );
    assert!(
        final_due.contains(&plus_days(&day, 60)?),
        "確報 within 60 days (不正の目的): {final_due}"
    );
    wait_css(b, "#deadline-mhlw-contact")?;
    assert!(text_css(b, "#deadline-ppc-preliminary")?.ends_with('未'));
    step(
        t0,
        &format!("incident registered on {day}: 速報 {prelim_due}, 確報 {final_due}"),
    );

    // --- Record the 速報: the deadline shows it done --------------------------------
    click_css(b, "#notification-body option[value='ppc']")?;
    click_css(b, "#notification-what option[value='preliminary']")?;
    submit(b, "#notification-add")?;
    let row = text_css(b, "#deadline-ppc-preliminary")?;
    assert!(!row.ends_with('未'), "速報 recorded: {row}");
    let timeline = text_css(b, "#incident-timeline")?;
    assert!(timeline.contains("個人情報保護委員会へ速報"), "{timeline}");

    // --- The printable 漏えい等報告 draft -------------------------------------------------
    click_css(b, "#incident-report-link")?;
    wait_css(b, "#ppc-report")?;
    assert_eq!(b.find_all("#ppc-report tr.ppc-field")?.len(), 9);
    let report = text_css(b, "#ppc-report")?;
    assert!(report.contains("1200人") && report.contains("③ 不正の目的"));
    wait_css(b, "#mhlw-report")?;
    step(t0, "report draft has the nine fields");
    Ok(())
}
