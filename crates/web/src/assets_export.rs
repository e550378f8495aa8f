//! The asset ledger as files: conversion from the 資産台帳 template rows (`anzen-ingest`) to
//! the stored records, and the CSV/xlsx export in the same template layout (so an export
//! can be edited in Excel and imported again). Shared by the pages and `anzen export assets`.

use anzen_core::asset::{AssetData, AssetStatus};
use anzen_ingest::{AssetRow, TemplateKind};
use anzen_store::assets::Asset;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// A template row as the stored record (blank 稼働状態 = 稼働).
pub fn from_row(r: &AssetRow) -> AssetData {
    AssetData {
        key: r.asset_id.clone(),
        kind: r.kind,
        name: r.name.clone(),
        vendor: r.vendor.clone(),
        product: r.product.clone(),
        version: r.version.clone(),
        os: r.os.clone(),
        hostname: r.hostname.clone(),
        ip: r.ip.clone(),
        location: r.location.clone(),
        department: r.department.clone(),
        maintainer: r.maintainer.clone(),
        remote_maintenance: r.remote_maintenance,
        internet_facing: r.internet_facing,
        source_restricted: r.source_restricted,
        usb_restricted: r.usb_restricted,
        services_minimized: r.services_minimized,
        last_patched: r.last_patched.map(|d| d.to_string()),
        status: r.status.unwrap_or(AssetStatus::Active),
        cpe: r.cpe.clone(),
    }
}

/// `あり` / `なし` / blank.
pub fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "あり",
        Some(false) => "なし",
        None => "",
    }
}

/// One asset's cells in the template's column order.
pub fn cells(a: &AssetData) -> Vec<String> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        a.key.clone(),
        a.kind.label_ja().to_owned(),
        a.name.clone(),
        s(&a.vendor),
        s(&a.product),
        s(&a.version),
        s(&a.os),
        s(&a.hostname),
        s(&a.ip),
        s(&a.location),
        s(&a.department),
        s(&a.maintainer),
        yes_no(a.remote_maintenance).to_owned(),
        yes_no(a.internet_facing).to_owned(),
        yes_no(a.source_restricted).to_owned(),
        yes_no(a.usb_restricted).to_owned(),
        yes_no(a.services_minimized).to_owned(),
        s(&a.last_patched),
        a.status.label_ja().to_owned(),
        s(&a.cpe),
    ]
}

/// The template's Japanese column names.
pub fn header() -> Vec<&'static str> {
    TemplateKind::Assets.fields().iter().map(|f| f.ja).collect()
}

fn csv_field(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(&s.replace('"', "\"\""));
    out.push('"');
}

/// CSV, UTF-8 with BOM and CRLF (Excel-friendly), in the template layout.
pub fn csv(assets: &[Asset]) -> String {
    let mut out = String::from("\u{feff}");
    let mut line = |fields: &[&str]| {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, f);
        }
        out.push_str("\r\n");
    };
    line(&header());
    for a in assets {
        let c = cells(&a.data);
        line(&c.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

/// xlsx in the template layout (header bold and frozen, cells as text).
pub fn xlsx(assets: &[Asset]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("資産台帳")?;
    let bold = Format::new().set_bold();
    for (col, name) in header().iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *name, &bold)?;
        ws.set_column_width(col, 14)?;
    }
    for (i, a) in assets.iter().enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        for (col, v) in cells(&a.data).iter().enumerate() {
            ws.write_string(row, u16::try_from(col).unwrap_or(u16::MAX), v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_parses_back_as_the_same_assets() {
        let csv_template = anzen_ingest::template_csv(TemplateKind::Assets);
        let rows = anzen_ingest::parse_assets("t.csv", &csv_template).expect("template parses");
        let data: Vec<AssetData> = rows.rows.iter().map(|r| from_row(&r.row)).collect();
        let stored: Vec<Asset> = data
            .iter()
            .enumerate()
            .map(|(i, d)| Asset {
                id: i64::try_from(i).unwrap_or(0),
                data: d.clone(),
                created_at: 0,
                updated_at: 0,
                updated_by: String::new(),
            })
            .collect();
        for bytes in [csv(&stored).into_bytes(), xlsx(&stored).expect("xlsx")] {
            let back = anzen_ingest::parse_assets("export", &bytes).expect("export parses");
            let again: Vec<AssetData> = back.rows.iter().map(|r| from_row(&r.row)).collect();
            assert_eq!(again, data);
        }
    }
}
