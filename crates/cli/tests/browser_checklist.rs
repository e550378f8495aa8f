//! Browser test of the 年度 checklist, end to end through the real forms: the real `anzen`
//! binary (demo data) driven by headless Chromium through WebDriver. Sign in with
//! password and TOTP, open the checklist of the current 年度, start it, answer the gate
//! question and every item (one いいえ with its 対応目標日, the rest はい), attach an
//! evidence file through the file input, complete through the confirmation page, check the
//! frozen hash against the ledger (`anzen verify` and the 監査ログ page), download the xlsx
//! export by clicking its link and read it with LibreOffice headless, and check the print
//! view lists the evidence.
//!
//! The processes, the WebDriver client and the skip-or-fail rule for a missing Chromium or
//! chromedriver are in `support/mod.rs`; a missing LibreOffice (`soffice`) is skipped the
//! same way (a failure when `CI` is set), as in `export.rs`.

mod sheets;
mod support;

use std::cell::{Cell, OnceCell};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sheets::{parse_csv, soffice_csv};
use support::{
    Browser, DEMO_FACILITY, Res, TestResult, anzen_cmd, code_at, run, start_demo, step, unix_now,
};

const WAIT: Duration = Duration::from_secs(30);

/// The evidence file attached to the first item (a Japanese name: the UTF-8 path through
/// the upload, the listing, the download and the print view).
const EVIDENCE_NAME: &str = "安全管理責任者の任命書.txt";
const EVIDENCE_BODY: &str = "医療情報システム安全管理責任者 任命書\n山田 太郎（院長）\n";
/// The demo facility's full name (`demo.rs`), as the export and the print view show it.
const FACILITY_FULL: &str = "医療法人さくら会 さくら内科クリニック";
const NO_NOTE: &str = "バックアップの復旧手順を年度内に整備する（ブラウザテスト）";

// ---------------------------------------------------------------------------------------
// WebDriver helpers by CSS selector (support/mod.rs works by id)

fn has_css(b: &Browser, css: &str) -> bool {
    b.find_all(css).is_ok_and(|f| !f.is_empty())
}

/// Waits for an element matching `css`; gives up at once on anzen's error page or when the
/// checklist shows validation errors (which no waiting will change).
fn wait_css(b: &Browser, css: &str) -> Res<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(e) = b.find_all(css)?.into_iter().next() {
            return Ok(e);
        }
        let title = b.cmd("GET", "/title", None)?;
        let error_page = title.as_str().is_some_and(|t| t.starts_with("エラー"));
        let form_errors = b.find_all("#checklist-errors")?.into_iter().next();
        if error_page || form_errors.is_some() || Instant::now() > deadline {
            let why = match form_errors {
                Some(e) => format!("the form was refused: {}", elem_text(b, &e)?),
                None if error_page => "anzen's error page".to_owned(),
                None => format!("waited {WAIT:?}"),
            };
            let src = b.source().unwrap_or_default();
            return Err(format!(
                "{css} did not appear ({why}); at {:?}; page:\n{}",
                b.url(),
                src.chars().take(3000).collect::<String>()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn elem_text(b: &Browser, e: &str) -> Res<String> {
    Ok(b.cmd("GET", &format!("/element/{e}/text"), None)?
        .as_str()
        .unwrap_or("")
        .to_owned())
}

fn text_css(b: &Browser, css: &str) -> Res<String> {
    let e = wait_css(b, css)?;
    elem_text(b, &e)
}

fn attr_of(b: &Browser, e: &str, name: &str) -> Res<Option<String>> {
    let v = b.cmd("GET", &format!("/element/{e}/attribute/{name}"), None)?;
    Ok(v.as_str().map(str::to_owned))
}

fn property_of(b: &Browser, e: &str, name: &str) -> Res<Value> {
    b.cmd("GET", &format!("/element/{e}/property/{name}"), None)
}

fn click_css(b: &Browser, css: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
        .map(drop)
}

/// Clicks a form's submit button and waits until the page it was on is gone (the button
/// is stale), so the next look at the page sees the answer to the submission.
fn submit(b: &Browser, css: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    b.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))?;
    let deadline = Instant::now() + WAIT;
    loop {
        match b.cmd("GET", &format!("/element/{e}/name"), None) {
            // Chromedriver says "stale element reference", "no such element", or (while the
            // next page loads) "does not belong to the document" for an element of a
            // document that is gone.
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

fn send_keys(b: &Browser, e: &str, text: &str) -> Res<()> {
    b.cmd(
        "POST",
        &format!("/element/{e}/value"),
        Some(json!({ "text": text })),
    )
    .map(drop)
}

/// Ways of typing a date into Chromium's `<input type="date">`: the digits of each field
/// in the field order of the browser's locale (年/月/日 in Japanese, month/day/year in
/// US English, …). A two-digit month or day moves on by itself; a year may have up to six
/// digits, so after a leading year → moves on.
const DATE_ORDERS: [&str; 4] = ["{y}\u{E014}{m}{d}", "{y}{m}{d}", "{m}{d}{y}", "{d}{m}{y}"];

/// Types a date (`YYYY-MM-DD`) into an `<input type="date">` as a user does, and checks
/// the value the browser will submit. Headless Chromium does not always take its locale
/// from `--lang`, so the field order is found once (the first order that gives the date)
/// and kept in `order`.
fn set_date(b: &Browser, order: &Cell<Option<usize>>, css: &str, date: &str) -> Res<()> {
    let e = wait_css(b, css)?;
    let (y, rest) = date.split_once('-').ok_or("date as YYYY-MM-DD")?;
    let (m, d) = rest.split_once('-').ok_or("date as YYYY-MM-DD")?;
    let candidates: Vec<usize> = match order.get() {
        Some(i) => vec![i],
        None => (0..DATE_ORDERS.len()).collect(),
    };
    let mut tried = Vec::new();
    for i in candidates {
        b.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})))?;
        let keys = DATE_ORDERS[i]
            .replace("{y}", y)
            .replace("{m}", m)
            .replace("{d}", d);
        send_keys(b, &e, &keys)?;
        let value = property_of(b, &e, "value")?;
        if value.as_str() == Some(date) {
            order.set(Some(i));
            return Ok(());
        }
        tried.push(format!("{} → {value}", DATE_ORDERS[i]));
    }
    Err(format!("{css}: typing {date} gave {tried:?}"))
}

/// The current page's path with its query.
fn path_and_query(b: &Browser) -> Res<String> {
    let url = b.url()?;
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let p = rest.find('/').map_or("/", |i| &rest[i..]);
    Ok(p.split('#').next().unwrap_or("/").to_owned())
}

// ---------------------------------------------------------------------------------------
// Files, hashes, LibreOffice

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("running sha256sum (coreutils)");
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("sha256sum prints the hash")
        .to_owned()
}

/// Waits for a finished download named `name` in `dir` (Chromium writes `.crdownload`
/// while it downloads, then renames).
fn wait_download(dir: &Path, name: &str) -> Res<Vec<u8>> {
    let deadline = Instant::now() + WAIT;
    let path = dir.join(name);
    loop {
        let partial = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
        if path.is_file() && !partial {
            return std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()));
        }
        if Instant::now() > deadline {
            let listing: Vec<String> = std::fs::read_dir(dir)
                .map(|r| {
                    r.filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            return Err(format!(
                "no download {name} in {} within {WAIT:?} (found {listing:?})",
                dir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------
// The scenario

/// One checklist item as shown on the page.
struct Shown {
    /// `item-N`.
    anchor: String,
    /// `2-④`.
    number: String,
    /// `サーバ`, or empty.
    target: String,
}

/// Answer items, attach evidence, complete the assessment, export it.
#[test]
fn answer_attach_evidence_complete_and_export() -> TestResult {
    let data_dir: OnceCell<PathBuf> = OnceCell::new();
    run(
        "checklist",
        |data, logs| {
            data_dir.get_or_init(|| data.to_path_buf());
            start_demo(data, logs)
        },
        |b, base, t0| {
            let data = data_dir.get().expect("the server was started");
            checklist_scenario(b, base, t0, data)
        },
    )
}

fn checklist_scenario(b: &Browser, base: &str, t0: Instant, data: &Path) -> TestResult {
    let work = tempfile::Builder::new()
        .prefix("anzen-browser-checklist-")
        .tempdir()?;
    let downloads = work.path().join("downloads");
    std::fs::create_dir(&downloads)?;

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
    // `令和8年度（2026年度）`: the 年度 the server counts as current.
    let fy_label = b.text_of("fiscal-year")?;
    let fy: i32 = fy_label
        .split_once('（')
        .and_then(|(_, r)| r.strip_suffix("年度）"))
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| format!("fiscal year label {fy_label:?}"))?;
    step(t0, &format!("signed in; organisation {org}, 年度 {fy}"));

    // Dates within the 年度 and never in the future: 確認日 on its first day, the
    // いいえ item's 対応目標日 on its last.
    let checked_on = format!("{fy}-04-01");
    let date_order = Cell::new(None);
    let target_date = format!("{}-03-31", fy + 1);

    // --- Open and start the checklist --------------------------------------------------
    let checklist = format!("{base}/o/{org}/checklist?fy={fy}");
    b.goto(&checklist)?;
    wait_css(b, "#checklist-start, #checklist-summary")?;
    assert!(
        has_css(b, "#checklist-empty"),
        "a fresh demo has no checklist for {fy} yet"
    );
    submit(b, "#checklist-start")?;
    let progress = text_css(b, "#checklist-progress")?;
    step(t0, &format!("checklist started: {progress}"));
    let total: usize = progress
        .split_once(" / ")
        .and_then(|(done, total)| (done == "0").then_some(total))
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| format!("progress {progress:?} is not 0 / N"))?;
    assert_eq!(text_css(b, "#checklist-status")?, "回答中");

    let mut items = Vec::new();
    for n in 1..=total {
        let anchor = format!("item-{n}");
        let h4 = text_css(b, &format!("#{anchor} h4"))?;
        let number = text_css(b, &format!("#{anchor} h4 a"))?;
        let target = h4
            .strip_prefix(number.as_str())
            .and_then(|r| r.strip_prefix('（'))
            .and_then(|r| r.split_once('）'))
            .map(|(t, _)| t.to_owned())
            .unwrap_or_default();
        items.push(Shown {
            anchor,
            number,
            target,
        });
    }
    assert!(
        !has_css(b, &format!("#item-{}", total + 1)),
        "the page shows {total} items"
    );

    // --- The gate question -------------------------------------------------------------
    let gates = b.find_all("#gate")?.len();
    if gates > 0 {
        click_css(b, "#gate input[name=answer][value=yes]")?;
        set_date(b, &date_order, "#gate-checked", &checked_on)?;
        submit(b, "#gate-save")?;
        wait_css(b, "#gate input[name=answer][value=yes][checked]")?;
        wait_css(b, &format!("#gate-checked[value='{checked_on}']"))?;
        step(
            t0,
            &format!(
                "gate question answered はい (dates typed as {:?})",
                date_order.get().map(|i| DATE_ORDERS[i])
            ),
        );
    }

    // --- Every item: the last one いいえ with its 対応目標日 and a note, the rest はい -----
    let no_item = total;
    for (i, it) in items.iter().enumerate() {
        let n = i + 1;
        let a = &it.anchor;
        let answer = if n == no_item { "no" } else { "yes" };
        click_css(b, &format!("#{a} input[name=answer][value={answer}]"))?;
        set_date(b, &date_order, &format!("#{a}-checked"), &checked_on)?;
        if n == no_item {
            // First without the 対応目標日: refused with a message naming the item.
            submit(b, &format!("#{a} form.answer button[type=submit]"))?;
            let err = text_css(b, "#checklist-errors")?;
            assert!(
                err.contains(&it.number) && err.contains("対応目標日"),
                "いいえ without 対応目標日 is refused: {err:?}"
            );
            step(
                t0,
                &format!("{}: いいえ without 対応目標日 refused", it.number),
            );
            // The refused page is rendered from the store: what was typed is gone and is
            // entered again.
            click_css(b, &format!("#{a} input[name=answer][value=no]"))?;
            set_date(b, &date_order, &format!("#{a}-checked"), &checked_on)?;
            set_date(b, &date_order, &format!("#{a}-target"), &target_date)?;
            b.fill(&format!("{a}-note"), NO_NOTE)?;
        }
        submit(b, &format!("#{a} form.answer button[type=submit]"))?;
        wait_css(
            b,
            &format!("#{a} input[name=answer][value={answer}][checked]"),
        )?;
        wait_css(b, &format!("#{a} .done"))?;
        wait_css(b, &format!("#{a}-checked[value='{checked_on}']"))?;
        if n == no_item {
            wait_css(b, &format!("#{a}-target[value='{target_date}']"))?;
            assert_eq!(text_css(b, &format!("#{a}-note"))?, NO_NOTE);
        }
    }
    let progress = text_css(b, "#checklist-progress")?;
    assert_eq!(progress, format!("{total} / {total}"));
    step(t0, &format!("all {total} items answered ({progress})"));

    // --- Evidence on the first item ----------------------------------------------------
    let evidence_path = work.path().join(EVIDENCE_NAME);
    std::fs::write(&evidence_path, EVIDENCE_BODY)?;
    let evidence_sha = sha256_hex(&evidence_path);
    let first = &items[0].anchor;
    let input = wait_css(b, &format!("#{first}-file"))?;
    send_keys(b, &input, &evidence_path.to_string_lossy())?;
    b.fill(&format!("{first}-evnote"), "院長の署名入り")?;
    submit(b, &format!("#{first}-attach"))?;
    let listed = wait_css(b, &format!("#{first} ul.evidence-list li.current"))?;
    let line = elem_text(b, &listed)?;
    step(t0, &format!("evidence attached: {line}"));
    assert!(line.contains(EVIDENCE_NAME), "file name listed: {line:?}");
    assert!(line.contains("第1版"), "first version: {line:?}");
    assert!(
        line.contains(&format!("SHA-256 {}…", &evidence_sha[..12])),
        "SHA-256 prefix {} listed: {line:?}",
        &evidence_sha[..12]
    );
    let small = wait_css(
        b,
        &format!("#{first} ul.evidence-list li.current small[title]"),
    )?;
    assert_eq!(
        attr_of(b, &small, "title")?,
        Some(format!("SHA-256 {evidence_sha}")),
        "the full hash in the title"
    );
    // The file comes back unchanged through its link.
    b.cmd(
        "POST",
        "/goog/cdp/execute",
        Some(json!({ "cmd": "Browser.setDownloadBehavior", "params": {
            "behavior": "allow", "downloadPath": downloads.to_string_lossy() } })),
    )?;
    click_css(b, &format!("#{first} ul.evidence-list li.current a"))?;
    let back = wait_download(&downloads, EVIDENCE_NAME)?;
    assert_eq!(
        back,
        EVIDENCE_BODY.as_bytes(),
        "the evidence downloads as uploaded"
    );
    step(t0, "evidence downloaded unchanged");

    // --- Complete ------------------------------------------------------------------------
    b.goto(&checklist)?;
    b.click("checklist-complete")?;
    let counts = text_css(b, "#complete-counts")?;
    assert!(
        !has_css(b, "#complete-missing"),
        "nothing missing: {}",
        b.source().unwrap_or_default()
    );
    let yes = total - 1 + gates;
    assert!(
        counts.contains(&format!("はい: {yes}件")) && counts.contains("いいえ: 1件"),
        "counts on the confirmation page: {counts:?}"
    );
    submit(b, "#complete-confirm")?;
    let hash = text_css(b, "#checklist-hash")?;
    step(t0, &format!("completed; frozen hash {hash}"));
    assert_eq!(path_and_query(b)?, format!("/o/{org}/checklist?fy={fy}"));
    assert_eq!(text_css(b, "#checklist-status")?, "確定済み");
    assert!(
        hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "a SHA-256 in hex: {hash:?}"
    );
    assert!(
        !has_css(b, "form.answer") && !has_css(b, "form.evidence-upload"),
        "a completed checklist has no answer or upload forms"
    );

    // --- The xlsx export, downloaded through its link -----------------------------------
    click_css(b, "#checklist-export-xlsx")?;
    let xlsx_name = format!("checklist-{fy}-medical.xlsx");
    let xlsx = wait_download(&downloads, &xlsx_name)?;
    assert_eq!(&xlsx[..2], b"PK", "an xlsx is a zip");
    step(
        t0,
        &format!("{xlsx_name} downloaded ({} bytes)", xlsx.len()),
    );
    if let Some(lo) = soffice_csv(&downloads.join(&xlsx_name), work.path()) {
        let sheet = parse_csv(&lo);
        step(t0, "xlsx opened with LibreOffice");
        let cell = |r: &[String], c: usize| r.get(c).cloned().unwrap_or_default();
        assert!(
            cell(&sheet[0], 0).contains("サイバーセキュリティ対策チェックリスト"),
            "title: {:?}",
            sheet[0]
        );
        assert_eq!(cell(&sheet[1], 0), format!("施設名: {FACILITY_FULL}"));
        assert!(
            cell(&sheet[2], 0).contains("確定済み") && cell(&sheet[2], 0).contains(&hash),
            "status and frozen hash: {:?}",
            sheet[2]
        );
        assert_eq!(
            sheet[3][..7],
            [
                "項目番号",
                "対象",
                "確認内容",
                "回答",
                "確認日",
                "対応目標日",
                "備考"
            ]
        );
        let body = &sheet[4..];
        assert_eq!(
            body.len(),
            gates + total,
            "one row per gate and item:\n{lo}"
        );
        for g in &body[..gates] {
            assert_eq!(
                (cell(g, 0), cell(g, 3), cell(g, 4)),
                ("前提".to_owned(), "はい".to_owned(), checked_on.clone()),
                "gate row {g:?}"
            );
        }
        for (i, it) in items.iter().enumerate() {
            let row = body[gates..]
                .iter()
                .find(|r| cell(r, 0) == it.number && cell(r, 1) == it.target)
                .ok_or_else(|| format!("no row for {} {:?}:\n{lo}", it.number, it.target))?;
            let (answer, target, note) = if i + 1 == no_item {
                ("いいえ", target_date.as_str(), NO_NOTE)
            } else {
                ("はい", "", "")
            };
            assert_eq!(
                (cell(row, 3), cell(row, 4), cell(row, 5), cell(row, 6)),
                (
                    answer.to_owned(),
                    checked_on.clone(),
                    target.to_owned(),
                    note.to_owned()
                ),
                "row of {} {:?}",
                it.number,
                it.target
            );
        }
    }

    // --- The print view -----------------------------------------------------------------
    b.goto(&format!("{base}/o/{org}/checklist/print?fy={fy}"))?;
    let sheet = text_css(b, "#checklist-print")?;
    step(t0, "print view shown");
    assert!(sheet.contains(FACILITY_FULL), "facility");
    assert!(sheet.contains(&hash), "print view shows the frozen hash");
    assert!(
        sheet.contains(&format!(
            "証跡: {EVIDENCE_NAME}（第1版, SHA-256 {}…）",
            &evidence_sha[..12]
        )),
        "print view lists the evidence:\n{sheet}"
    );
    assert!(sheet.contains(&target_date) && sheet.contains(NO_NOTE));

    // --- The ledger: intact, and its completion entry carries the same hash ---------------
    let out = anzen_cmd(&["verify", "--data", &data.to_string_lossy()]).output()?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "anzen verify: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(DEMO_FACILITY) && said.contains("OK"),
        "{said}"
    );
    step(t0, "anzen verify: ledger intact");
    b.goto(&format!("{base}/o/{org}/audit?kind=assessment.complete"))?;
    wait_css(b, "#verification .flash")?;
    let payloads = b.find_all("table.audit code.payload")?;
    assert_eq!(payloads.len(), 1, "one completion recorded");
    let entry: Value = serde_json::from_str(&elem_text(b, &payloads[0])?)?;
    assert_eq!(entry["hash"].as_str(), Some(hash.as_str()), "{entry}");
    assert_eq!(entry["fiscal_year"].as_i64(), Some(i64::from(fy)));
    let frozen = entry["evidence"]
        .as_array()
        .ok_or("evidence list in the completion entry")?;
    assert!(
        frozen.iter().any(|e| e["file_name"] == EVIDENCE_NAME
            && e["sha256"].as_str() == Some(evidence_sha.as_str())),
        "the completion entry freezes the evidence hash: {entry}"
    );
    step(
        t0,
        "ledger entry holds the page's hash and the evidence hash",
    );

    // The download was recorded as well.
    b.goto(&format!("{base}/o/{org}/audit?kind=export.checklist"))?;
    let exports = b.find_all("table.audit code.payload")?;
    let formats = exports
        .iter()
        .map(|e| elem_text(b, e))
        .collect::<Res<Vec<String>>>()?;
    assert!(
        formats.iter().any(|p| p.contains("\"xlsx\"")),
        "the xlsx export is in the audit log: {formats:?}"
    );
    Ok(())
}
