//! Spreadsheet helpers shared by the CLI tests: a small RFC 4180 CSV reader and the
//! LibreOffice headless conversion of an xlsx to CSV (the check that our xlsx opens in a
//! real spreadsheet program).

use std::path::Path;
use std::process::Command;

/// Parses CSV (RFC 4180, quoted or bare fields, CRLF or LF) into rows of fields.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Converts the xlsx to CSV (UTF-8) with LibreOffice headless; `None` when `soffice` is
/// missing outside CI.
pub fn soffice_csv(xlsx: &Path, work: &Path) -> Option<String> {
    let found = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let why = "soffice (LibreOffice) not found: install libreoffice-calc-nogui";
        if std::env::var_os("CI").is_some() {
            panic!("CI is set and a component is missing: {why}");
        }
        eprintln!("skipping the LibreOffice check: {why}");
        return None;
    }
    let outdir = work.join("soffice-out");
    let profile = work.join("soffice-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
        ])
        .arg("--outdir")
        .arg(&outdir)
        .arg(xlsx)
        .env("HOME", work)
        .output()
        .expect("run soffice");
    let csv = outdir.join(xlsx.with_extension("csv").file_name().expect("name"));
    assert!(
        out.status.success() && csv.exists(),
        "soffice: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read_to_string(csv).expect("converted csv"))
}
