//! Templates for download (テンプレートのダウンロード): CSV and xlsx, and the same layout
//! filled with data ([`table_csv`], [`table_xlsx`]) for exports meant to be edited in Excel
//! and imported again.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::records::TemplateKind;

/// The CSV template: UTF-8 with BOM (so Excel opens it correctly), the Japanese header row,
/// the example rows ([`TemplateKind::examples`]), CRLF line ends.
pub fn template_csv(kind: TemplateKind) -> Vec<u8> {
    table_csv(kind, &examples(kind))
}

/// A CSV in the template's layout holding `rows` (cells in template column order): UTF-8
/// with BOM, the Japanese header row, CRLF line ends.
pub fn table_csv(kind: TemplateKind, rows: &[Vec<String>]) -> Vec<u8> {
    let fields = kind.fields();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let line = |cells: Vec<&str>| {
        cells
            .into_iter()
            .map(csv_cell)
            .collect::<Vec<_>>()
            .join(",")
    };
    out.extend(line(fields.iter().map(|f| f.ja).collect()).as_bytes());
    out.extend(b"\r\n");
    for row in rows {
        out.extend(line(row.iter().map(String::as_str).collect()).as_bytes());
        out.extend(b"\r\n");
    }
    out
}

fn examples(kind: TemplateKind) -> Vec<Vec<String>> {
    kind.examples()
        .into_iter()
        .map(|r| r.into_iter().map(str::to_owned).collect())
        .collect()
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The xlsx template: sheet named after the template (e.g. 「資産台帳」) with a bold header row
/// and the example rows, and a second sheet 「説明」 listing each column, whether it is required
/// (必須) and what may be entered.
pub fn template_xlsx(kind: TemplateKind) -> Vec<u8> {
    // The template is built from constant data only; a failure here is a bug caught by the
    // round-trip tests, so it falls back to an empty workbook rather than panicking.
    table_xlsx(kind, &examples(kind)).unwrap_or_default()
}

/// An xlsx in the template's layout holding `rows` (cells in template column order, written
/// as text): the template's sheet and its 「説明」 sheet.
pub fn table_xlsx(kind: TemplateKind, rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let fields = kind.fields();
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = wb.add_worksheet();
    sheet.set_name(kind.name_ja())?;
    for (c, f) in fields.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, f.ja, &bold)?;
        let mut width = f.ja.chars().count();
        for (r, row) in rows.iter().enumerate() {
            let value = row.get(c).map_or("", String::as_str);
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            // Text cells, so IDs like 0012 and dates stay as typed.
            sheet.write_string_with_format(r, col, value, &text)?;
            width = width.max(value.chars().count());
        }
        sheet.set_column_width(col, (width.min(40) as f64) * 1.8 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;

    let help = wb.add_worksheet();
    help.set_name("説明")?;
    for (c, h) in ["列", "英語名", "必須", "入力できる値", "例"]
        .iter()
        .enumerate()
    {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        help.write_string_with_format(0, col, *h, &bold)?;
    }
    for (r, f) in fields.iter().enumerate() {
        let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        help.write_string(row, 0, f.ja)?;
        help.write_string(row, 1, f.en)?;
        help.write_string(row, 2, if f.required { "必須" } else { "" })?;
        help.write_string(row, 3, f.allowed)?;
        help.write_string(row, 4, f.example)?;
    }
    help.set_column_width(0, 20)?;
    help.set_column_width(1, 20)?;
    help.set_column_width(2, 6)?;
    help.set_column_width(3, 80)?;
    help.set_column_width(4, 30)?;
    wb.save_to_buffer()
}
