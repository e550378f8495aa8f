#![allow(dead_code)]

use std::io::Write;

pub fn cp932(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!unmappable, "test text must be encodable in CP932");
    bytes.into_owned()
}

pub fn bom(s: &str) -> Vec<u8> {
    let mut v = b"\xEF\xBB\xBF".to_vec();
    v.extend(s.as_bytes());
    v
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip write");
    e.finish().expect("gzip finish")
}

/// An xlsx with one sheet holding `rows` (all strings; a cell `"#date:2025-04-01"` is written
/// as an Excel date, `"#num:12"` as a number).
pub fn xlsx(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).expect("sheet name");
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (
                u32::try_from(r).expect("row"),
                u16::try_from(c).expect("col"),
            );
            if let Some(d) = cell.strip_prefix("#date:") {
                let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(d).expect("date");
                ws.write_datetime_with_format(r, c, &date, &date_fmt)
                    .expect("write date");
            } else if let Some(n) = cell.strip_prefix("#num:") {
                ws.write_number(r, c, n.parse::<f64>().expect("number"))
                    .expect("write number");
            } else if !cell.is_empty() {
                ws.write_string(r, c, *cell).expect("write");
            }
        }
    }
    wb.save_to_buffer().expect("save xlsx")
}
