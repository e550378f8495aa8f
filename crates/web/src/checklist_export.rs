//! The checklist export model, shared by the web exports (CSV, xlsx) and
//! `anzen export checklist`, so the formats never drift: [`load`] reads the 年度's current
//! assessment and records the export in the audit ledger (in the caller's transaction),
//! [`rows`] builds one row per catalog item, [`csv`] and [`xlsx`] write them.

use std::sync::{Arc, OnceLock};

use anzen_catalog::{Catalog, Edition, Form, Target};
use anzen_core::OrgKind;
use anzen_core::calendar::FiscalYear;
use anzen_store::assessments::{self, Answer, AnswerRow, Assessment};
use anzen_store::orgs::Org;
use anzen_store::{Conn, StoreError, catalog_editions};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// Column headers shared by every format (the xlsx adds 要確認).
pub const HEADER: [&str; 7] = [
    "項目番号",
    "対象",
    "確認内容",
    "回答",
    "確認日",
    "対応目標日",
    "備考",
];

/// The 要確認 column of the xlsx.
pub const REVIEW_HEADER: &str = "要確認";

/// The built-in catalog, loaded once.
pub fn catalog() -> Result<Arc<Catalog>, String> {
    static CATALOG: OnceLock<Result<Arc<Catalog>, String>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::builtin().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| format!("checklist catalog: {e}"))
}

/// The catalog an organisation answers from: the built-in editions plus the editions it
/// imported from official workbooks.
pub fn org_catalog(conn: &mut Conn, org: &Org) -> Result<Arc<Catalog>, ExportError> {
    let builtin = catalog().map_err(ExportError::Catalog)?;
    let imported = catalog_editions::list(conn, org)?;
    if imported.is_empty() {
        return Ok(builtin);
    }
    let mut cat = (*builtin).clone();
    for stored in imported {
        let edition = Edition::from_toml_str(&stored.file_name, &stored.toml)
            .map_err(|e| ExportError::Catalog(format!("imported edition {}: {e}", stored.id)))?;
        cat.add_edition(edition)
            .map_err(|e| ExportError::Catalog(format!("imported edition {}: {e}", stored.id)))?;
    }
    Ok(Arc::new(cat))
}

/// The form an organisation of `kind` answers in `fy`.
pub fn form_for(cat: &Catalog, kind: OrgKind, fy: i32) -> Form {
    match kind {
        OrgKind::SystemVendor => Form::Vendor,
        OrgKind::Pharmacy if cat.edition_in_force(fy, Form::Pharmacy).is_some() => Form::Pharmacy,
        _ => Form::Medical,
    }
}

/// One exported line: an item with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub number: String,
    pub target: String,
    pub text: String,
    /// はい / いいえ / 該当なし, or empty.
    pub answer: String,
    pub checked_on: String,
    pub target_date: String,
    pub note: String,
    /// Unverified parts of the item (文言・番号…), empty when verified.
    pub review: String,
}

impl ExportRow {
    /// The seven common columns, in [`HEADER`] order.
    pub fn fields(&self) -> [&str; 7] {
        [
            &self.number,
            &self.target,
            &self.text,
            &self.answer,
            &self.checked_on,
            &self.target_date,
            &self.note,
        ]
    }
}

/// The number column of a gate question's row.
pub const GATE_NUMBER: &str = "前提";

/// One row per gate question (numbered [`GATE_NUMBER`]), then one per item of the edition,
/// in printed order.
pub fn rows(edition: &Edition, answers: &[AnswerRow]) -> Vec<ExportRow> {
    let gates = edition.gate_questions.iter().map(|g| {
        let row = answers.iter().find(|r| r.item_id == g.id);
        ExportRow {
            number: GATE_NUMBER.to_owned(),
            target: String::new(),
            text: g.text.clone(),
            answer: row
                .and_then(|r| r.answer)
                .map_or("", Answer::label_ja)
                .to_owned(),
            checked_on: row.and_then(|r| r.checked_on.clone()).unwrap_or_default(),
            target_date: String::new(),
            note: row.and_then(|r| r.note.clone()).unwrap_or_default(),
            review: if g.wording_verified {
                String::new()
            } else {
                "要確認（文言）".to_owned()
            },
        }
    });
    gates
        .chain(edition.items.iter().map(|item| {
            let row = answers.iter().find(|r| r.item_id == item.id.as_str());
            let text =
                |f: fn(&AnswerRow) -> Option<&String>| row.and_then(f).cloned().unwrap_or_default();
            ExportRow {
                number: item.number.clone(),
                target: match item.target {
                    Target::None => String::new(),
                    t => t.label_ja().to_owned(),
                },
                text: item.text.clone(),
                answer: row
                    .and_then(|r| r.answer)
                    .map_or("", Answer::label_ja)
                    .to_owned(),
                checked_on: text(|r| r.checked_on.as_ref()),
                target_date: text(|r| r.target_date.as_ref()),
                note: text(|r| r.note.as_ref()),
                review: if item.needs_review() {
                    format!("要確認（{}）", item.unverified_parts_ja().join("・"))
                } else {
                    String::new()
                },
            }
        }))
        .collect()
}

/// What is exported: the assessment, its edition and rows, and the heading.
pub struct Export {
    /// The vendors' 事業者確認用 answers for this facility (one sheet each in the xlsx).
    pub vendor_forms: Vec<VendorSheet>,
    pub edition: Edition,
    pub assessment: Assessment,
    pub fiscal_year: FiscalYear,
    pub facility: String,
    pub rows: Vec<ExportRow>,
    /// Stored answer rows of the assessment (what `export.checklist` records as `rows`).
    pub answered_rows: usize,
}

impl Export {
    /// `令和8年度 医療機関におけるサイバーセキュリティ対策チェックリスト（医療機関確認用）`.
    pub fn title(&self) -> String {
        format!(
            "{} {}（{}）",
            self.fiscal_year.label_ja(),
            self.edition.title,
            self.edition.form.label_ja()
        )
    }

    /// `checklist-2025-medical.csv`.
    pub fn file_name(&self, ext: &str) -> String {
        format!(
            "checklist-{}-{}.{ext}",
            self.fiscal_year.0,
            self.edition.form.code()
        )
    }
}

/// One vendor's 事業者確認用 form answered for the facility.
pub struct VendorSheet {
    pub vendor_name: String,
    /// `令和7年度 …（事業者確認用）`.
    pub title: String,
    /// `版: … ／ 状態: …`.
    pub info: String,
    pub rows: Vec<ExportRow>,
}

/// A vendor's 事業者確認用 form for one facility: the vendor's edition in force and the
/// current assessment it answers for the facility (`None` until started).
pub struct VendorForm {
    pub edition: Edition,
    pub assessment: Option<Assessment>,
    pub answers: Vec<AnswerRow>,
}

/// Loads the vendor form a request asked for; `None` when the vendor organisation is gone.
pub fn vendor_form(
    conn: &mut Conn,
    req: &anzen_store::vendor_forms::VendorFormRequest,
    fy: FiscalYear,
) -> Result<Option<VendorForm>, ExportError> {
    let Some(vendor) = anzen_store::orgs::get(conn, anzen_core::OrgId(req.vendor_org_id))? else {
        return Ok(None);
    };
    let cat = org_catalog(conn, &vendor)?;
    let edition = edition_for(&cat, &vendor, fy)?.clone();
    let assessment = assessments::current_for(
        conn,
        vendor.id.0,
        fy.0,
        edition.form.code(),
        Some(req.facility_org_id),
    )?;
    let answers = match &assessment {
        Some(a) => assessments::answers(conn, a.id)?,
        None => Vec::new(),
    };
    Ok(Some(VendorForm {
        edition,
        assessment,
        answers,
    }))
}

/// The vendor forms the facility requested for `fy`, with whatever the vendors answered so
/// far (an unstarted form exports with empty answers, so the gap is visible).
fn vendor_sheets(
    conn: &mut Conn,
    facility: &Org,
    fy: FiscalYear,
) -> Result<Vec<VendorSheet>, ExportError> {
    let mut out = Vec::new();
    for req in anzen_store::vendor_forms::sent(conn, facility, fy.0)? {
        let Some(VendorForm {
            edition,
            assessment: a,
            answers,
        }) = vendor_form(conn, &req, fy)?
        else {
            continue;
        };
        let mut info = format!(
            "版: {} ／ 状態: {}",
            edition.label_ja(),
            a.as_ref().map_or("未着手", |a| a.status.label_ja())
        );
        if let Some(h) = a.as_ref().and_then(|a| a.frozen_hash.as_deref()) {
            info.push_str(&format!(" ／ 確定時のハッシュ（SHA-256）: {h}"));
        }
        out.push(VendorSheet {
            title: format!(
                "{} {}（{}）",
                fy.label_ja(),
                edition.title,
                edition.form.label_ja()
            ),
            vendor_name: req.vendor_name.clone(),
            info,
            rows: rows(&edition, &answers),
        });
    }
    Ok(out)
}

/// Why an export cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No catalog edition in force (a user error).
    #[error("{0}")]
    NoEdition(String),
    /// No assessment for that 年度 (a user error).
    #[error("{0}")]
    NoAssessment(String),
    #[error("{0}")]
    Catalog(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The edition in force for the organisation and 年度.
pub fn edition_for<'c>(
    cat: &'c Catalog,
    org: &Org,
    fy: FiscalYear,
) -> Result<&'c Edition, ExportError> {
    let form = form_for(cat, org.profile.kind, fy.0);
    cat.edition_in_force(fy.0, form).ok_or_else(|| {
        ExportError::NoEdition(format!(
            "{}に適用されるチェックリスト（{}）の版がありません。",
            fy.label_both(),
            form.label_ja()
        ))
    })
}

/// Loads the 年度's current assessment and records `export.checklist` (with the format)
/// in the organisation's audit ledger, in the caller's transaction.
pub fn load(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    fy: FiscalYear,
    format: &str,
) -> Result<Export, ExportError> {
    let export = gather(conn, org, fy)?;
    let a = &export.assessment;
    anzen_store::audit::record(
        conn,
        org,
        actor,
        "export.checklist",
        &serde_json::json!({
            "format": format,
            "fiscal_year": fy.0,
            "form": export.edition.form.code(),
            "assessment_id": a.id,
            "status": a.status.code(),
            "frozen_hash": a.frozen_hash,
            "rows": export.answered_rows,
        }),
    )?;
    Ok(export)
}

/// The 年度's current assessment with its rows and the vendors' forms, without recording
/// anything (the inspection pack records its own export).
pub fn gather(conn: &mut Conn, org: &Org, fy: FiscalYear) -> Result<Export, ExportError> {
    let cat = org_catalog(conn, org)?;
    let edition = edition_for(&cat, org, fy)?;
    let form_code = edition.form.code();
    let a = assessments::current(conn, org, fy.0, form_code)?.ok_or_else(|| {
        ExportError::NoAssessment(format!(
            "{}のチェックリスト（{}）はまだ開始されていません。",
            fy.label_both(),
            edition.form.label_ja()
        ))
    })?;
    let answers = assessments::answers(conn, a.id)?;
    let vendor_forms = vendor_sheets(conn, org, fy)?;
    Ok(Export {
        vendor_forms,
        edition: edition.clone(),
        rows: rows(edition, &answers),
        answered_rows: answers.len(),
        assessment: a,
        fiscal_year: fy,
        facility: org.profile.name.clone(),
    })
}

/// The item id of each row of [`rows`] (gate questions first, then items), to join
/// evidence and other per-item records to the rows.
pub fn row_item_ids(edition: &Edition) -> Vec<String> {
    edition
        .gate_questions
        .iter()
        .map(|g| g.id.to_string())
        .chain(edition.items.iter().map(|i| i.id.to_string()))
        .collect()
}

/// One CSV field, always quoted.
fn csv_field(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(&s.replace('"', "\"\""));
    out.push('"');
}

fn csv_line(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

/// The CSV body: UTF-8 with BOM, CRLF line ends (Excel-friendly).
pub fn csv(rows: &[ExportRow]) -> String {
    let mut out = String::from("\u{feff}");
    csv_line(&mut out, &HEADER);
    for r in rows {
        csv_line(&mut out, &r.fields());
    }
    out
}

/// Row (0-based) of the column headers in the xlsx; items follow.
pub const XLSX_HEADER_ROW: u32 = 3;

/// The xlsx in the layout of the official form: title, facility, header, one row per item;
/// A4 landscape, fit to the page width, header frozen and repeated on every page. The
/// vendors' 事業者確認用 forms for the facility follow, one sheet each (the inspection
/// checks both forms).
pub fn xlsx(export: &Export) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let a = &export.assessment;
    let mut info = format!(
        "版: {} ／ 状態: {}",
        export.edition.label_ja(),
        a.status.label_ja()
    );
    if let Some(h) = &a.frozen_hash {
        info.push_str(&format!(" ／ 確定時のハッシュ（SHA-256）: {h}"));
    }
    let facility = format!("施設名: {}", export.facility);
    form_sheet(
        &mut wb,
        "チェックリスト",
        [&export.title(), &facility, &info],
        &export.rows,
    )?;
    for (n, v) in export.vendor_forms.iter().enumerate() {
        let vendor = format!("事業者名: {} ／ {facility}", v.vendor_name);
        form_sheet(
            &mut wb,
            &vendor_sheet_name(n, &v.vendor_name),
            [&v.title, &vendor, &v.info],
            &v.rows,
        )?;
    }
    wb.save_to_buffer()
}

/// `事業者確認用 2 ○○システム`: unique, at most 31 characters, none of `[]:*?/\`.
pub fn vendor_sheet_name(n: usize, vendor: &str) -> String {
    let clean: String = vendor
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .collect();
    format!("事業者確認用 {} {clean}", n + 1)
        .chars()
        .take(31)
        .collect()
}

/// One form as a sheet: three heading lines, the header row, one row per item.
fn form_sheet(
    wb: &mut Workbook,
    name: &str,
    heading: [&str; 3],
    rows: &[ExportRow],
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let font = "Yu Gothic";
    let title_fmt = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_font_name(font);
    let plain = Format::new().set_font_name(font);
    let header_fmt = Format::new()
        .set_bold()
        .set_font_name(font)
        .set_border(FormatBorder::Thin)
        .set_background_color("#D9E1F2")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let cell = Format::new()
        .set_font_name(font)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let center = cell.clone().set_align(FormatAlign::Center);
    let wrap = cell.clone().set_text_wrap();
    let last_col = 7;

    ws.merge_range(0, 0, 0, last_col, heading[0], &title_fmt)?;
    ws.set_row_height(0, 24)?;
    ws.merge_range(1, 0, 1, last_col, heading[1], &plain)?;
    ws.merge_range(2, 0, 2, last_col, heading[2], &plain)?;

    let h = XLSX_HEADER_ROW;
    for (col, name) in HEADER.iter().chain([&REVIEW_HEADER]).enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(h, col, *name, &header_fmt)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = h + 1 + u32::try_from(i).unwrap_or(u32::MAX - h - 1);
        ws.write_string_with_format(row, 0, &r.number, &center)?;
        ws.write_string_with_format(row, 1, &r.target, &center)?;
        ws.write_string_with_format(row, 2, &r.text, &wrap)?;
        ws.write_string_with_format(row, 3, &r.answer, &center)?;
        ws.write_string_with_format(row, 4, &r.checked_on, &center)?;
        ws.write_string_with_format(row, 5, &r.target_date, &center)?;
        ws.write_string_with_format(row, 6, &r.note, &wrap)?;
        ws.write_string_with_format(row, 7, &r.review, &wrap)?;
    }
    for (col, width) in [10.0, 12.0, 60.0, 10.0, 12.0, 12.0, 30.0, 14.0]
        .into_iter()
        .enumerate()
    {
        ws.set_column_width(u16::try_from(col).unwrap_or(u16::MAX), width)?;
    }
    ws.set_freeze_panes(h + 1, 0)?;
    ws.set_repeat_rows(h, h)?;
    // 9 = A4.
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields_and_uses_crlf() {
        let cat = catalog().expect("catalog");
        let edition = cat.edition(2025, Form::Medical).expect("edition");
        let answers = vec![AnswerRow {
            item_id: "R7/medical/2-④/server".into(),
            answer: Some(Answer::No),
            checked_on: Some("2025-06-01".into()),
            target_date: Some("2026-03-01".into()),
            note: Some("「要」\"引用\"".into()),
        }];
        let csv = csv(&rows(edition, &answers));
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(
            csv.matches("\r\n").count(),
            edition.gate_questions.len() + edition.items.len() + 1
        );
        assert!(csv.contains(
            "\"2-④\",\"サーバ\",\"利用者の職種・担当業務別の情報区分毎のアクセス利用権限を設定している。\",\"いいえ\",\"2025-06-01\",\"2026-03-01\",\"「要」\"\"引用\"\"\"\r\n"
        ), "{csv}");
    }

    #[test]
    fn rows_follow_the_edition_and_mark_unverified_items() {
        let cat = catalog().expect("catalog");
        for edition in cat.editions() {
            let rows = rows(edition, &[]);
            let gates = edition.gate_questions.len();
            assert_eq!(rows.len(), gates + edition.items.len());
            assert!(rows[..gates].iter().all(|r| r.number == GATE_NUMBER));
            for (r, item) in rows[gates..].iter().zip(&edition.items) {
                assert_eq!(r.number, item.number);
                assert_eq!(r.review.is_empty(), !item.needs_review(), "{}", item.id);
                assert!(r.answer.is_empty());
            }
        }
    }
}
