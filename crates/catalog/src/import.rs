//! Import of an official MHLW checklist workbook (チェックリスト xlsx) as a new edition.
//!
//! The pure part of the import flow (upload → column mapping → preview → confirm):
//!
//! 1. [`read_workbook`] reads the xlsx bytes into a [`Workbook`]: every sheet as a grid of
//!    trimmed strings (dates as `YYYY-MM-DD`, merged and empty cells empty).
//! 2. [`guess_mapping`] proposes a [`ColumnMapping`] from the header row (番号 / チェック項目 /
//!    対象 / 期限 / 参照) and says which columns it could not find; the user corrects it.
//! 3. [`build_edition`] turns the sheet into an [`Edition`] plus an [`EditionDiff`] against the
//!    previous edition, or returns every [`ImportProblem`] found — nothing is half-imported.
//!
//! What the workbook states (wording, numbers, due years, references when mapped) is marked
//! verified, with the file name and its SHA-256 as the source; what it does not state is
//! marked unverified with a review note. See the crate README for the recognised layouts.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};

use crate::model::{Edition, Form, GateQuestion, Group, Item, ItemId, Subgroup, Target};
use crate::validate::parse_number;

/// Largest sheet accepted (rows × columns); larger sheets are not a checklist.
const MAX_ROWS: usize = 20_000;
const MAX_COLS: usize = 200;
/// How many rows from the top of a sheet [`guess_mapping`] searches for the header.
const HEADER_SEARCH_ROWS: usize = 60;
/// Earliest due year accepted; the latest is the edition's 年度 + `DUE_HORIZON`
/// (the same bounds as [`Edition::validate`]).
const DUE_MIN: i32 = 2020;
const DUE_HORIZON: i32 = 5;
const FY_MIN: i32 = 2023;
const FY_MAX: i32 = 2100;
/// Used when the workbook has no title row and there is no previous edition.
const DEFAULT_TITLE: &str = "医療機関におけるサイバーセキュリティ対策チェックリスト";

// ---------------------------------------------------------------------------------------------
// Workbook
// ---------------------------------------------------------------------------------------------

/// A workbook read from xlsx: sheets with their cells as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workbook {
    /// The uploaded file's name, for messages.
    pub file_name: String,
    /// Sheets in workbook order.
    pub sheets: Vec<Sheet>,
}

/// One worksheet (シート) as a grid of trimmed strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Sheet name as shown on its tab.
    pub name: String,
    /// `rows[0]` is Excel row 1, `rows[r][0]` column A. Rows may be shorter than others;
    /// missing cells are empty.
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// The cell at 0-based `row` and `col` (`""` when empty or outside the grid).
    pub fn cell(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map_or("", String::as_str)
    }

    /// Number of rows (the last non-empty row's Excel number).
    pub fn height(&self) -> usize {
        self.rows.len()
    }

    /// Number of columns of the widest row.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    fn first_non_empty(&self, row: usize) -> Option<(usize, &str)> {
        self.rows.get(row).and_then(|r| {
            r.iter()
                .enumerate()
                .find(|(_, c)| !c.is_empty())
                .map(|(i, c)| (i, c.as_str()))
        })
    }

    fn row_is_empty(&self, row: usize) -> bool {
        self.first_non_empty(row).is_none()
    }
}

/// Errors reading the uploaded file itself (before any mapping).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Not an xlsx (ZIP) file at all: xls, CSV, PDF, …
    #[error("{file_name}: Excel ブック（.xlsx）ではありません（{reason}）")]
    NotXlsx {
        /// Uploaded file name.
        file_name: String,
        /// Why (Japanese).
        reason: String,
    },
    /// A ZIP file, but not a readable workbook.
    #[error("{file_name}: Excel ブック（.xlsx）として読めません: {message}")]
    Unreadable {
        /// Uploaded file name.
        file_name: String,
        /// The reader's message.
        message: String,
    },
    /// One sheet could not be read.
    #[error("{file_name} シート『{sheet}』: 読めません: {message}")]
    Sheet {
        /// Uploaded file name.
        file_name: String,
        /// Sheet name.
        sheet: String,
        /// The reader's message.
        message: String,
    },
    /// The workbook has no sheets.
    #[error("{file_name}: シートがありません")]
    NoSheets {
        /// Uploaded file name.
        file_name: String,
    },
    /// A sheet is far larger than any checklist.
    #[error(
        "{file_name} シート『{sheet}』: 大きすぎます（{rows}行 × {cols}列。チェックリストとして読めるのは {max_rows}行 × {max_cols}列まで）"
    )]
    TooLarge {
        /// Uploaded file name.
        file_name: String,
        /// Sheet name.
        sheet: String,
        /// Rows in the sheet.
        rows: usize,
        /// Columns in the sheet.
        cols: usize,
        /// Limit on rows.
        max_rows: usize,
        /// Limit on columns.
        max_cols: usize,
    },
}

/// Reads an xlsx workbook from bytes. `file_name` names the upload in messages.
pub fn read_workbook(file_name: &str, bytes: &[u8]) -> Result<Workbook, ImportError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        let reason = if bytes.is_empty() {
            "ファイルが空です".to_string()
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            "古い Excel 形式（.xls）です。Excel で「.xlsx」形式で保存し直してください".to_string()
        } else if bytes.starts_with(b"%PDF") {
            "PDF です。厚生労働省が公開している xlsx 版を選んでください".to_string()
        } else {
            "ファイルの先頭が xlsx（ZIP 形式）ではありません".to_string()
        };
        return Err(ImportError::NotXlsx {
            file_name: file_name.to_string(),
            reason,
        });
    }
    let mut xlsx: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| {
            ImportError::Unreadable {
                file_name: file_name.to_string(),
                message: e.to_string(),
            }
        })?;
    let names = xlsx.sheet_names();
    if names.is_empty() {
        return Err(ImportError::NoSheets {
            file_name: file_name.to_string(),
        });
    }
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let range = xlsx
            .worksheet_range(&name)
            .map_err(|e| ImportError::Sheet {
                file_name: file_name.to_string(),
                sheet: name.clone(),
                message: e.to_string(),
            })?;
        let (r0, c0) = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let (h, w) = range.get_size();
        if r0 + h > MAX_ROWS || c0 + w > MAX_COLS {
            return Err(ImportError::TooLarge {
                file_name: file_name.to_string(),
                sheet: name,
                rows: r0 + h,
                cols: c0 + w,
                max_rows: MAX_ROWS,
                max_cols: MAX_COLS,
            });
        }
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); r0];
        for data_row in range.rows() {
            let mut row: Vec<String> = vec![String::new(); c0];
            row.extend(data_row.iter().map(render_cell));
            while row.last().is_some_and(String::is_empty) {
                row.pop();
            }
            rows.push(row);
        }
        while rows.last().is_some_and(Vec::is_empty) {
            rows.pop();
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Workbook {
        file_name: file_name.to_string(),
        sheets,
    })
}

/// A cell as a trimmed string: numbers without a trailing `.0`, dates as `YYYY-MM-DD`.
fn render_cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => render_float(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                render_float(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) => {
            let s = s.trim();
            match s.get(..10) {
                Some(date) if is_iso_date(date) => date.to_string(),
                _ => s.to_string(),
            }
        }
        Data::DurationIso(s) => s.trim().to_string(),
        Data::Error(e) => e.to_string(),
    }
}

fn render_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        // Exact: the value is integral and well inside i64.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        i.to_string()
    } else {
        f.to_string()
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// Columns and mapping
// ---------------------------------------------------------------------------------------------

/// A spreadsheet column (列), written as its letter (`A`, `B`, … `AA`) in forms and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Column(usize);

impl Column {
    /// Column by 0-based index (A = 0).
    pub fn from_index(index: usize) -> Column {
        Column(index)
    }

    /// Parses a column letter (`A`, `c`, `AA`; full-width letters accepted).
    pub fn from_letter(s: &str) -> Option<Column> {
        let s = to_ascii_width(s.trim());
        if s.is_empty() || s.len() > 3 {
            return None;
        }
        let mut n: usize = 0;
        for c in s.chars() {
            if !c.is_ascii_alphabetic() {
                return None;
            }
            n = n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1);
        }
        Some(Column(n - 1))
    }

    /// 0-based index.
    pub fn index(self) -> usize {
        self.0
    }

    /// The letter (`A`, `AA`).
    pub fn letter(self) -> String {
        let mut n = self.0 + 1;
        let mut out = Vec::new();
        while n > 0 {
            let rem = (n - 1) % 26;
            out.push(char::from(b'A' + rem as u8));
            n = (n - 1) / 26;
        }
        out.iter().rev().collect()
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letter())
    }
}

impl TryFrom<String> for Column {
    type Error = String;
    fn try_from(s: String) -> Result<Column, String> {
        Column::from_letter(&s)
            .ok_or_else(|| format!("列「{s}」は A、B、…、AA の形で指定してください"))
    }
}

impl From<Column> for String {
    fn from(c: Column) -> String {
        c.letter()
    }
}

/// How section (1. 体制構築 …) and device (《サーバ》 …) heading rows are recognised.
///
/// A row is a section heading when its number cell, its text cell, its first non-empty cell
/// or number + text together read `{1|2|3}` (half- or full-width, optionally followed by
/// `.` `．` `、` or a space) and then the section's keyword. A row is a device sub-heading
/// when such a cell starts with [`HeadingRules::subgroup_open`] and contains
/// [`HeadingRules::subgroup_close`]; the words inside pick the device
/// (全般 / サーバ / 端末 / ネットワーク).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeadingRules {
    /// Keyword of section 1 (体制構築).
    pub governance: String,
    /// Keyword of section 2 (医療情報システムの管理・運用).
    pub operations: String,
    /// Keyword of section 3 (インシデント発生に備えた対応).
    pub incident: String,
    /// Whether the section number must precede the keyword (default true).
    pub require_section_number: bool,
    /// Opening mark of a device sub-heading (default `《`).
    pub subgroup_open: String,
    /// Closing mark of a device sub-heading (default `》`).
    pub subgroup_close: String,
}

impl Default for HeadingRules {
    fn default() -> HeadingRules {
        HeadingRules {
            governance: "体制構築".to_string(),
            operations: "医療情報システムの管理".to_string(),
            incident: "インシデント".to_string(),
            require_section_number: true,
            subgroup_open: "《".to_string(),
            subgroup_close: "》".to_string(),
        }
    }
}

/// Which sheet, rows and columns hold the checklist (列の割り当て). Round-trips through
/// serde so a web form can show and post it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// 0-based index of the sheet in the workbook.
    pub sheet: usize,
    /// Excel row number (1-based) of the first row after the header.
    pub first_data_row: u32,
    /// Excel row number of the last row to read (default: the end of the sheet).
    #[serde(default)]
    pub last_data_row: Option<u32>,
    /// Column of the item number (番号: `1-(1)`, `(1)`, `2-④`, `④`).
    pub number: Column,
    /// Column of the item wording (チェック項目).
    pub text: Column,
    /// Column of the target device (対象: サーバ / 端末PC / ネットワーク機器 / 全般), if any.
    #[serde(default)]
    pub target: Option<Column>,
    /// Column of the due 年度 (期限: 令和5年度中 / R5年度 / 2023年度), if any.
    #[serde(default)]
    pub due: Option<Column>,
    /// Column of the guideline references (参照: 企画管理編 9.1 …), if any.
    #[serde(default)]
    pub references: Option<Column>,
    /// How heading rows are recognised.
    #[serde(default)]
    pub headings: HeadingRules,
}

impl Default for ColumnMapping {
    fn default() -> ColumnMapping {
        ColumnMapping {
            sheet: 0,
            first_data_row: 2,
            last_data_row: None,
            number: Column(0),
            text: Column(1),
            target: None,
            due: None,
            references: None,
            headings: HeadingRules::default(),
        }
    }
}

/// A field of the mapping, for saying what [`guess_mapping`] could not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingField {
    /// The header row itself (and so the sheet).
    Header,
    /// 番号.
    Number,
    /// チェック項目.
    Text,
    /// 対象.
    Target,
    /// 期限.
    Due,
    /// 参照.
    References,
}

impl MappingField {
    /// Label for the mapping form.
    pub fn label_ja(self) -> &'static str {
        match self {
            MappingField::Header => "見出し行",
            MappingField::Number => "番号の列",
            MappingField::Text => "チェック項目の列",
            MappingField::Target => "対象機器の列",
            MappingField::Due => "期限の列",
            MappingField::References => "参照の列",
        }
    }
}

/// What [`guess_mapping`] proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingGuess {
    /// The proposed mapping; fields listed in `missing` hold defaults (number A, text B,
    /// optional columns none) for the user to correct.
    pub mapping: ColumnMapping,
    /// Name of the chosen sheet.
    pub sheet_name: String,
    /// Excel row number of the header row found, if any.
    pub header_row: Option<u32>,
    /// Fields that could not be found.
    pub missing: Vec<MappingField>,
}

/// Classifies a header cell by keyword.
fn header_field(cell: &str) -> Option<MappingField> {
    let c = compact(cell).to_lowercase();
    if c.is_empty() {
        return None;
    }
    if c.contains("番号")
        || c.contains("項番")
        || matches!(c.as_str(), "no" | "no." | "№" | "#" | "番")
    {
        Some(MappingField::Number)
    } else if c.contains("期限") || (c.contains("年度") && !c.contains("目標")) {
        Some(MappingField::Due)
    } else if c.contains("参照") || c.contains("ガイドライン") {
        Some(MappingField::References)
    } else if c.contains("対象") {
        Some(MappingField::Target)
    } else if c.contains("項目") || c.contains("確認事項") || c.contains("確認内容") {
        Some(MappingField::Text)
    } else {
        None
    }
}

/// Proposes a mapping: finds the sheet and header row by header keywords (番号 / No. / 項番,
/// チェック項目 / 確認項目 / 項目, 対象, 期限 / 整備期限 / 対応期限, 参照 / ガイドライン) on any
/// sheet, and the number column from the data below when no header names it.
pub fn guess_mapping(wb: &Workbook) -> MappingGuess {
    // (score, sheet, row, columns found)
    let mut best: Option<(u32, usize, usize, HashMap<MappingField, usize>)> = None;
    for (si, sheet) in wb.sheets.iter().enumerate() {
        for r in 0..sheet.height().min(HEADER_SEARCH_ROWS) {
            let mut found: HashMap<MappingField, usize> = HashMap::new();
            for (ci, cell) in sheet.rows[r].iter().enumerate() {
                if let Some(f) = header_field(cell) {
                    found.entry(f).or_insert(ci);
                }
            }
            if !found.contains_key(&MappingField::Text) {
                continue;
            }
            let score: u32 = found
                .keys()
                .map(|f| match f {
                    MappingField::Text => 3,
                    MappingField::Number => 2,
                    _ => 1,
                })
                .sum();
            if best.as_ref().is_none_or(|(s, ..)| score > *s) {
                best = Some((score, si, r, found));
            }
        }
    }
    let Some((_, si, header, found)) = best else {
        return MappingGuess {
            mapping: ColumnMapping::default(),
            sheet_name: wb
                .sheets
                .first()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            header_row: None,
            missing: vec![
                MappingField::Header,
                MappingField::Number,
                MappingField::Text,
                MappingField::Target,
                MappingField::Due,
                MappingField::References,
            ],
        };
    };
    let Some(sheet) = wb.sheets.get(si) else {
        return MappingGuess {
            mapping: ColumnMapping::default(),
            sheet_name: String::new(),
            header_row: None,
            missing: vec![MappingField::Header],
        };
    };
    let mut missing = Vec::new();
    let text = found.get(&MappingField::Text).copied().unwrap_or(1);
    let number = match found.get(&MappingField::Number) {
        Some(c) => *c,
        None => match number_column_from_data(sheet, header + 1, text) {
            Some(c) => c,
            None => {
                missing.push(MappingField::Number);
                0
            }
        },
    };
    // The first data row: skip sub-header rows (1回目 / 2回目, はい / いいえ) that have
    // neither a number nor a text.
    let mut first = header + 1;
    while first < sheet.height()
        && first <= header + 5
        && sheet.cell(first, number).is_empty()
        && sheet.cell(first, text).is_empty()
    {
        first += 1;
    }
    if first >= sheet.height() || first > header + 5 {
        first = header + 1;
    }
    let optional = |f: MappingField, missing: &mut Vec<MappingField>| {
        let c = found.get(&f).map(|c| Column(*c));
        if c.is_none() {
            missing.push(f);
        }
        c
    };
    let target = optional(MappingField::Target, &mut missing);
    let due = optional(MappingField::Due, &mut missing);
    let references = optional(MappingField::References, &mut missing);
    MappingGuess {
        mapping: ColumnMapping {
            sheet: si,
            first_data_row: excel_row(first),
            last_data_row: None,
            number: Column(number),
            text: Column(text),
            target,
            due,
            references,
            headings: HeadingRules::default(),
        },
        sheet_name: sheet.name.clone(),
        header_row: Some(excel_row(header)),
        missing,
    }
}

/// The column (other than the text column) whose cells below the header most often read
/// as item numbers.
fn number_column_from_data(sheet: &Sheet, from: usize, text: usize) -> Option<usize> {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for r in from..sheet.height() {
        for (c, cell) in sheet.rows[r].iter().enumerate() {
            if c != text && looks_like_number(cell) {
                *counts.entry(c).or_insert(0) += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
        .map(|(c, _)| c)
}

fn looks_like_number(cell: &str) -> bool {
    let n = normalize_number(cell);
    !n.is_empty() && (parse_number(&n).is_some() || short_ordinal(&n).is_some())
}

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

/// One problem in the workbook, located by sheet, Excel row and column letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// Uploaded file name.
    pub file_name: String,
    /// Sheet name.
    pub sheet: String,
    /// Excel row number (1-based), when the problem is in a row.
    pub row: Option<u32>,
    /// Column letter, when the problem is in a cell.
    pub column: Option<String>,
    /// The cell's value (may be empty).
    pub value: String,
    /// What is wrong, in Japanese.
    pub reason: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} シート『{}』", self.file_name, self.sheet)?;
        if let Some(r) = self.row {
            write!(f, " {r}行目")?;
        }
        if let Some(c) = &self.column {
            write!(f, " {c}列")?;
        }
        write!(f, ": {}", self.reason)
    }
}

struct Problems<'a> {
    file_name: &'a str,
    sheet: &'a str,
    list: Vec<ImportProblem>,
}

impl Problems<'_> {
    fn at(&mut self, row: usize, col: Option<Column>, value: &str, reason: impl Into<String>) {
        self.list.push(ImportProblem {
            file_name: self.file_name.to_string(),
            sheet: self.sheet.to_string(),
            row: Some(excel_row(row)),
            column: col.map(Column::letter),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    fn general(&mut self, reason: impl Into<String>) {
        self.list.push(ImportProblem {
            file_name: self.file_name.to_string(),
            sheet: self.sheet.to_string(),
            row: None,
            column: None,
            value: String::new(),
            reason: reason.into(),
        });
    }
}

fn excel_row(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------------
// Building the edition
// ---------------------------------------------------------------------------------------------

/// What the imported edition is and what it replaces.
#[derive(Debug, Clone, Copy)]
pub struct ImportTarget<'a> {
    /// 年度 of the new edition (2026 = 令和8年度版).
    pub fiscal_year: i32,
    /// Which form the workbook is.
    pub form: Form,
    /// The uploaded file's name (named in sources and messages).
    pub file_name: &'a str,
    /// SHA-256 of the uploaded bytes, lowercase hex (named in sources).
    pub sha256_hex: &'a str,
    /// The edition this one follows (usually last 年度's of the same form): topics,
    /// auto-evidence keys and gate questions are carried over from it, and the diff is
    /// against it.
    pub previous: Option<&'a Edition>,
}

/// An item of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    /// Printed number.
    pub number: String,
    /// Device kind.
    pub target: Target,
    /// Wording.
    pub text: String,
}

/// An item whose wording changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordingChange {
    /// Printed number in the new edition.
    pub number: String,
    /// Device kind.
    pub target: Target,
    /// Wording in the previous edition.
    pub old_text: String,
    /// Wording in the workbook.
    pub new_text: String,
}

/// What changed against the previous edition. Items are matched by section, ordinal and
/// device kind (so `2-(4)` and `2-④` are the same item).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EditionDiff {
    /// In the workbook, not in the previous edition.
    pub added: Vec<DiffEntry>,
    /// In the previous edition, not in the workbook.
    pub removed: Vec<DiffEntry>,
    /// In both, with different wording.
    pub changed: Vec<WordingChange>,
    /// In both with the same wording.
    pub unchanged: usize,
}

/// The result of a successful import, for the preview page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPreview {
    /// The new edition (validated); save it with [`Edition::to_toml_string`].
    pub edition: Edition,
    /// Diff against [`ImportTarget::previous`], `None` when there is none.
    pub diff: Option<EditionDiff>,
    /// Things the user should know before confirming (Japanese), e.g. what is unverified.
    pub notes: Vec<String>,
}

/// Section / device / due context while walking the rows.
#[derive(Default)]
struct Context {
    section: Option<u8>,
    subgroup: Option<Subgroup>,
    /// Due year from a 【令和5年度中に整備が必要な項目】 heading, with its row.
    due_heading: Option<(i32, usize)>,
}

/// One item read from the sheet, before it becomes an [`Item`].
struct RowItem {
    row: usize,
    number: String,
    raw_number: String,
    section: u8,
    ordinal: u32,
    text: String,
    target: Target,
    subgroup: Option<Subgroup>,
    due: Option<i32>,
    references: Option<Vec<String>>,
}

/// The number, text and section of the last item row, for continuation rows (a further
/// device of the same item, with number and text merged vertically).
struct LastItem {
    number: String,
    raw_number: String,
    section: u8,
    ordinal: u32,
    text: String,
}

/// Builds an edition from the mapped sheet. Returns every problem found when the sheet
/// cannot be imported as a whole.
pub fn build_edition(
    wb: &Workbook,
    mapping: &ColumnMapping,
    target: ImportTarget<'_>,
) -> Result<ImportPreview, Vec<ImportProblem>> {
    let file_name = target.file_name;
    let Some(sheet) = wb.sheets.get(mapping.sheet) else {
        return Err(vec![ImportProblem {
            file_name: file_name.to_string(),
            sheet: format!("{}枚目", mapping.sheet + 1),
            row: None,
            column: None,
            value: String::new(),
            reason: format!(
                "{}枚目のシートはありません（このブックのシートは{}枚）",
                mapping.sheet + 1,
                wb.sheets.len()
            ),
        }]);
    };
    let mut pb = Problems {
        file_name,
        sheet: &sheet.name,
        list: Vec::new(),
    };
    let fy = target.fiscal_year;
    if !(FY_MIN..=FY_MAX).contains(&fy) {
        pb.general(format!("年度 {fy} は範囲外です（{FY_MIN}〜{FY_MAX}）"));
    }
    if mapping.number == mapping.text {
        pb.general(format!(
            "番号の列とチェック項目の列が同じ（{}列）です。別々の列を指定してください",
            mapping.number
        ));
        return Err(pb.list);
    }
    if mapping.first_data_row == 0 {
        pb.general("データの開始行は 1 以上を指定してください");
        return Err(pb.list);
    }
    let first = (mapping.first_data_row - 1) as usize;
    let end = mapping
        .last_data_row
        .map_or(sheet.height(), |l| (l as usize).min(sheet.height()));

    // Gate questions of the previous edition that the sheet contains word for word.
    let mut gates = Vec::new();
    let mut gate_rows = HashSet::new();
    let mut notes_out = Vec::new();
    if let Some(prev) = target.previous {
        for g in &prev.gate_questions {
            let want = compact(&g.text);
            match find_cell(sheet, |c| compact(c) == want) {
                Some(row) => {
                    gate_rows.insert(row);
                    gates.push(carry_gate(g, sheet, row, &target));
                }
                None => notes_out.push(format!(
                    "前の版の確認項目「{}」はブックに無いため引き継いでいません。",
                    g.text
                )),
            }
        }
    }

    let max_due = fy + DUE_HORIZON;
    let mut ctx = Context::default();
    let mut last: Option<LastItem> = None;
    let mut rows: Vec<RowItem> = Vec::new();
    let mut file_notes = Vec::new();
    for r in first..end {
        if sheet.row_is_empty(r) || gate_rows.contains(&r) {
            continue;
        }
        let num_cell = sheet.cell(r, mapping.number.0);
        let text_cell = sheet.cell(r, mapping.text.0);
        let first_cell = sheet.first_non_empty(r).map_or("", |(_, c)| c);
        let joined = format!("{num_cell} {text_cell}");
        let candidates = [num_cell, text_cell, first_cell, joined.trim()];

        // 0. a header row repeated further down (as on a printed second page)
        if header_field(num_cell) == Some(MappingField::Number)
            && header_field(text_cell) == Some(MappingField::Text)
        {
            continue;
        }
        // 1. section heading
        if let Some(section) = candidates
            .iter()
            .find_map(|c| section_heading(c, &mapping.headings))
        {
            ctx.section = Some(section);
            ctx.subgroup = None;
            last = None;
            continue;
        }
        // 2. device sub-heading 《…》
        if let Some((cell, inner)) = candidates
            .iter()
            .find_map(|c| subgroup_heading(c, &mapping.headings).map(|i| (*c, i)))
        {
            let col = cell_column(sheet, r, cell);
            match subgroup_from_words(&inner) {
                None => pb.at(
                    r,
                    col,
                    cell,
                    format!(
                        "小見出し『{cell}』を対象機器（医療情報システム全般・サーバ・端末PC・ネットワーク機器）として読めません"
                    ),
                ),
                Some(sub) => {
                    if ctx.section != Some(2) {
                        pb.at(
                            r,
                            col,
                            cell,
                            format!(
                                "小見出し『{cell}』が「2. 医療情報システムの管理・運用」の見出しの下にありません"
                            ),
                        );
                    }
                    ctx.subgroup = Some(sub);
                }
            }
            last = None;
            continue;
        }
        // 3. due heading 【令和5年度中に整備が必要な項目】
        if num_cell.is_empty() || !looks_like_number(num_cell) {
            let fc = first_cell.trim_start();
            if fc.starts_with('【')
                && fc.contains("年度")
                && let Some(y) = parse_fiscal_year(fc)
            {
                ctx.due_heading = Some((y, r));
                continue;
            }
        }
        // 4. note rows (※…)
        if (first_cell.starts_with('※') || first_cell.starts_with("注"))
            && !looks_like_number(num_cell)
        {
            file_notes.push(first_cell.to_string());
            continue;
        }

        let target_cell = mapping.target.map_or("", |c| sheet.cell(r, c.0));
        let due_cell = mapping.due.map_or("", |c| sheet.cell(r, c.0));
        let before = pb.list.len();

        // 5. the item's number, text and section
        let (number, raw_number, section, ordinal, text) = if num_cell.is_empty()
            && text_cell.is_empty()
        {
            // A continuation row (merged number/text, one more device) or a row with
            // only answer cells.
            match (&last, target_cell.is_empty()) {
                (Some(l), false) => (
                    l.number.clone(),
                    l.raw_number.clone(),
                    l.section,
                    l.ordinal,
                    l.text.clone(),
                ),
                _ => continue,
            }
        } else if num_cell.is_empty() {
            pb.at(r, Some(mapping.number), num_cell, "項目番号が空です");
            continue;
        } else {
            let text = join_lines(text_cell);
            if text.is_empty() {
                pb.at(
                    r,
                    Some(mapping.text),
                    text_cell,
                    "チェック項目の文言が空です",
                );
            }
            match parse_item_number(num_cell, ctx.section) {
                Err(reason) => {
                    pb.at(r, Some(mapping.number), num_cell, reason);
                    continue;
                }
                Ok((number, section, ordinal)) => {
                    if let Some(s) = ctx.section
                        && s != section
                    {
                        pb.at(
                                r,
                                Some(mapping.number),
                                num_cell,
                                format!(
                                    "項目番号『{num_cell}』が見出し「{}. {}」の下にあります（区分が一致しません）",
                                    s,
                                    group_of(s).label_ja()
                                ),
                            );
                    }
                    (number, num_cell.to_string(), section, ordinal, text)
                }
            }
        };

        // 6. device kind(s)
        let targets_from_col = if target_cell.is_empty() || is_dash(target_cell) {
            None
        } else {
            match targets_from_words(target_cell) {
                Some(t) => Some(t),
                None => {
                    pb.at(
                        r,
                        mapping.target,
                        target_cell,
                        format!(
                            "対象『{target_cell}』を読めません（医療情報システム全般・サーバ・端末PC・ネットワーク機器）"
                        ),
                    );
                    None
                }
            }
        };
        let mut devices: Vec<(Target, Option<Subgroup>)> = Vec::new();
        if section == 2 {
            match (&targets_from_col, ctx.subgroup) {
                (Some(ts), heading) => {
                    for t in ts {
                        let sub = subgroup_of_target(*t);
                        if let Some(h) = heading
                            && h != sub
                        {
                            pb.at(
                                r,
                                mapping.target,
                                target_cell,
                                format!(
                                    "対象『{target_cell}』が小見出し《{}》と一致しません",
                                    h.label_ja()
                                ),
                            );
                        }
                        devices.push((*t, Some(sub)));
                    }
                }
                (None, Some(h)) => devices.push((h.target(), Some(h))),
                (None, None) => pb.at(
                    r,
                    Some(mapping.number),
                    num_cell,
                    "対象機器が分かりません（《サーバ》などの小見出しの下に置くか、対象の列を割り当ててください）",
                ),
            }
        } else {
            if let Some(ts) = &targets_from_col
                && ts.iter().any(|t| *t != Target::None)
            {
                pb.at(
                    r,
                    mapping.target,
                    target_cell,
                    format!(
                        "「{}. {}」の項目に対象機器『{target_cell}』は付けられません",
                        section,
                        group_of(section).label_ja()
                    ),
                );
            }
            devices.push((Target::None, None));
        }

        // 7. due year
        let due = if !due_cell.is_empty() && !is_dash(due_cell) {
            match parse_fiscal_year(due_cell) {
                None => {
                    pb.at(
                        r,
                        mapping.due,
                        due_cell,
                        format!(
                            "期限『{due_cell}』を年度として読めません（例: 令和5年度中、R5年度、2023年度）"
                        ),
                    );
                    None
                }
                Some(y) if !(DUE_MIN..=max_due).contains(&y) => {
                    pb.at(
                        r,
                        mapping.due,
                        due_cell,
                        format!(
                            "期限『{due_cell}』（{y}年度）は範囲外です（{DUE_MIN}〜{max_due}年度）"
                        ),
                    );
                    None
                }
                Some(y) => Some(y),
            }
        } else {
            ctx.due_heading.map(|(y, _)| y)
        };

        // 8. references
        let references = mapping
            .references
            .map(|c| split_references(sheet.cell(r, c.0)));

        last = Some(LastItem {
            number: number.clone(),
            raw_number: raw_number.clone(),
            section,
            ordinal,
            text: text.clone(),
        });
        if pb.list.len() > before {
            continue;
        }
        for (t, sub) in devices {
            rows.push(RowItem {
                row: r,
                number: number.clone(),
                raw_number: raw_number.clone(),
                section,
                ordinal,
                text: text.clone(),
                target: t,
                subgroup: sub,
                due,
                references: references.clone(),
            });
        }
    }

    // Duplicates: the same section, ordinal and device twice.
    let mut seen: HashMap<(u8, u32, Target), usize> = HashMap::new();
    for it in &rows {
        let key = (it.section, it.ordinal, it.target);
        match seen.get(&key) {
            Some(first_row) if *first_row != it.row => pb.at(
                it.row,
                Some(mapping.number),
                &it.raw_number,
                format!(
                    "項目番号が重複しています（{}行目と同じ{}）",
                    excel_row(*first_row),
                    if it.target == Target::None {
                        String::new()
                    } else {
                        format!("、対象 {}", it.target.label_ja())
                    }
                ),
            ),
            Some(_) => pb.at(
                it.row,
                mapping.target,
                &it.raw_number,
                format!("対象機器『{}』が同じ行に二度あります", it.target.label_ja()),
            ),
            None => {
                seen.insert(key, it.row);
            }
        }
    }
    if rows.is_empty() && pb.list.is_empty() {
        pb.at(
            first,
            Some(mapping.number),
            sheet.cell(first, mapping.number.0),
            format!(
                "{}行目以降にチェック項目がありません（シートが空か、列の割り当てが違います）",
                excel_row(first)
            ),
        );
    }
    if !pb.list.is_empty() {
        return Err(pb.list);
    }

    let edition = assemble(
        sheet,
        mapping,
        &target,
        first,
        rows,
        gates,
        file_notes,
        &mut notes_out,
    );
    if let Err(problems) = edition.validate() {
        // Should not happen: everything validation checks was checked above. Report it at
        // the item's row all the same.
        let rows_by_id: HashMap<String, (u32, String)> = edition
            .items
            .iter()
            .map(|i| (i.id.to_string(), (item_row(i), i.number.clone())))
            .collect();
        for p in problems {
            let (row, value) = rows_by_id
                .get(&p.location)
                .map_or((None, String::new()), |(r, v)| (Some(*r), v.clone()));
            pb.list.push(ImportProblem {
                file_name: file_name.to_string(),
                sheet: sheet.name.clone(),
                row,
                column: row.map(|_| mapping.number.letter()),
                value,
                reason: p.kind.to_string(),
            });
        }
        return Err(pb.list);
    }
    let diff = target.previous.map(|prev| diff(prev, &edition));
    Ok(ImportPreview {
        edition,
        diff,
        notes: notes_out,
    })
}

/// The Excel row an imported item came from (kept in its `source`).
fn item_row(item: &Item) -> u32 {
    item.source
        .rsplit_once(' ')
        .and_then(|(_, tail)| tail.strip_suffix("行目"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn carry_gate(g: &GateQuestion, sheet: &Sheet, row: usize, t: &ImportTarget<'_>) -> GateQuestion {
    let key = g.id.rsplit('/').next().unwrap_or("gate").to_string();
    let if_no = g.if_no.as_ref().and_then(|n| {
        let want = compact(n);
        find_cell(sheet, |c| compact(c).contains(&want)).map(|_| n.clone())
    });
    let mut review_notes = Vec::new();
    if g.scope_note.is_some() || !g.references.is_empty() {
        review_notes.push(format!(
            "説明（scope_note）と参照は前の版（{}）から引き継いだ。ブックには無い。",
            g.source
        ));
    }
    if g.if_no.is_some() && if_no.is_none() {
        review_notes.push("「いいえ」の場合の注記はブックに見つからないため省いた。".to_string());
    }
    GateQuestion {
        id: format!("R{}/{}/gate/{key}", t.fiscal_year - 2018, t.form.code()),
        text: g.text.clone(),
        if_no,
        scope_note: g.scope_note.clone(),
        references: g.references.clone(),
        wording_verified: true,
        review_notes,
        source: format!(
            "{}（SHA-256 {}） シート『{}』 {}行目",
            t.file_name,
            t.sha256_hex,
            sheet.name,
            excel_row(row)
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    sheet: &Sheet,
    mapping: &ColumnMapping,
    t: &ImportTarget<'_>,
    first: usize,
    rows: Vec<RowItem>,
    gate_questions: Vec<GateQuestion>,
    file_notes: Vec<String>,
    notes_out: &mut Vec<String>,
) -> Edition {
    let fy = t.fiscal_year;
    let origin = format!("{}（SHA-256 {}）", t.file_name, t.sha256_hex);

    // Title: a cell above the data that names the checklist.
    let title_cell = (0..first.min(sheet.height())).find_map(|r| {
        sheet.rows[r]
            .iter()
            .find(|c| c.contains("チェックリスト"))
            .map(|c| join_lines(c))
    });
    let mut edition_notes = vec![format!(
        "{origin} のシート『{}』から取り込み（番号 {}列、項目 {}列、対象 {}、期限 {}、参照 {}、{}行目から）。",
        sheet.name,
        mapping.number,
        mapping.text,
        col_label(mapping.target),
        col_label(mapping.due),
        col_label(mapping.references),
        mapping.first_data_row
    )];
    let (title, title_verified) = match title_cell {
        Some(tc) => (tc, true),
        None => {
            let fallback = t
                .previous
                .map_or(DEFAULT_TITLE.to_string(), |p| p.title.clone());
            let note =
                format!("表題はブックに見つからないため「{fallback}」を仮に置いた（要確認）。");
            edition_notes.push(note.clone());
            notes_out.push(note);
            (fallback, false)
        }
    };
    edition_notes.extend(file_notes);

    let prev_items: HashMap<(u8, u32, Target), &Item> = t
        .previous
        .map(|p| {
            p.items
                .iter()
                .filter_map(|i| parse_number(&i.number).map(|(s, o)| ((s, o, i.target), i)))
                .collect()
        })
        .unwrap_or_default();
    let prev_by_number: HashMap<(u8, u32), &Item> = t
        .previous
        .map(|p| {
            p.items
                .iter()
                .filter_map(|i| parse_number(&i.number).map(|(s, o)| ((s, o), i)))
                .collect()
        })
        .unwrap_or_default();
    let prev_label = t.previous.map(Edition::label_ja);

    let mut used_topics: HashSet<(String, Target)> = HashSet::new();
    let mut items = Vec::with_capacity(rows.len());
    let (mut no_refs, mut no_due, mut new_topic) = (0usize, 0usize, 0usize);
    for it in rows {
        let mut review_notes = Vec::new();
        let exact = prev_items
            .get(&(it.section, it.ordinal, it.target))
            .copied();
        let (topic, auto_evidence) = match exact {
            Some(p) if !used_topics.contains(&(p.topic.clone(), it.target)) => {
                (p.topic.clone(), p.auto_evidence.clone())
            }
            _ => {
                let same_number = prev_by_number
                    .get(&(it.section, it.ordinal))
                    .copied()
                    .filter(|p| !used_topics.contains(&(p.topic.clone(), it.target)));
                match same_number {
                    Some(p) => {
                        review_notes.push(format!(
                            "topic は前の版（{}）の同じ番号 {}（対象 {}）から引き継いだ。対象機器が違うので内容が同じか確認すること。",
                            prev_label.as_deref().unwrap_or(""),
                            p.number,
                            p.target.label_ja()
                        ));
                        (p.topic.clone(), p.auto_evidence.clone())
                    }
                    None => {
                        let base = format!("imported_{}_{}", it.section, it.ordinal);
                        let mut topic = base.clone();
                        let mut n = 2;
                        while used_topics.contains(&(topic.clone(), it.target)) {
                            topic = format!("{base}_{n}");
                            n += 1;
                        }
                        new_topic += 1;
                        review_notes.push(format!(
                            "前の版に同じ番号・対象機器の項目が無いため、topic は仮のキー `{topic}`（前年度の回答の引き継ぎ先が無い）。"
                        ));
                        (topic, None)
                    }
                }
            }
        };
        used_topics.insert((topic.clone(), it.target));

        let (references, references_verified) = match it.references {
            Some(r) => (r, true),
            None => {
                no_refs += 1;
                review_notes.push(
                    "参照箇所はブックから取り込んでいない（参照の列が割り当てられていない）。"
                        .to_string(),
                );
                (Vec::new(), false)
            }
        };
        let (no_due_reason, due_verified) = match it.due {
            Some(_) => (None, true),
            None => {
                no_due += 1;
                review_notes.push(format!(
                    "期限はブック（{}）に記載が無い。期限が無いのか、様式の別の箇所にあるのか確認すること。",
                    t.file_name
                ));
                (
                    Some(format!(
                        "取り込んだブック（{}）に期限の記載が無い",
                        t.file_name
                    )),
                    false,
                )
            }
        };
        let applicability = applicability_from_text(&it.text);
        items.push(Item {
            id: ItemId::build(fy, t.form, &it.number, it.target),
            number: it.number,
            topic,
            text: it.text,
            group: group_of(it.section),
            subgroup: it.subgroup,
            target: it.target,
            required_by_fy: it.due,
            no_due_reason,
            applicability,
            references,
            auto_evidence,
            wording_verified: true,
            number_verified: true,
            due_verified,
            references_verified,
            review_notes,
            source: format!(
                "{origin} シート『{}』 {}行目",
                sheet.name,
                excel_row(it.row)
            ),
            explanation: None,
        });
    }
    if no_refs > 0 {
        notes_out.push(format!(
            "{no_refs}件の項目は参照箇所が未確認です（参照の列が割り当てられていません）。"
        ));
    }
    if no_due > 0 {
        notes_out.push(format!(
            "{no_due}件の項目はブックに期限が無いため、期限なし・要確認として取り込みます。"
        ));
    }
    if new_topic > 0 {
        notes_out.push(format!(
            "{new_topic}件の項目は前の版に対応する項目が無く、前年度の回答は引き継がれません。"
        ));
    }

    Edition {
        fiscal_year: fy,
        form: t.form,
        title,
        title_verified,
        published: None,
        notes: edition_notes,
        sources: vec![format!("{origin} シート『{}』", sheet.name)],
        gate_questions,
        items,
        origin: t.file_name.to_string(),
    }
}

fn col_label(c: Option<Column>) -> String {
    c.map_or("なし".to_string(), |c| format!("{c}列"))
}

/// The diff of `new` against `prev`, matching items by section, ordinal and device kind.
pub fn diff(prev: &Edition, new: &Edition) -> EditionDiff {
    let key = |i: &Item| parse_number(&i.number).map(|(s, o)| (s, o, i.target));
    let old: HashMap<(u8, u32, Target), &Item> = prev
        .items
        .iter()
        .filter_map(|i| key(i).map(|k| (k, i)))
        .collect();
    let mut d = EditionDiff::default();
    let mut matched = HashSet::new();
    for i in &new.items {
        match key(i).and_then(|k| old.get(&k).map(|o| (k, *o))) {
            Some((k, o)) => {
                matched.insert(k);
                if o.text == i.text {
                    d.unchanged += 1;
                } else {
                    d.changed.push(WordingChange {
                        number: i.number.clone(),
                        target: i.target,
                        old_text: o.text.clone(),
                        new_text: i.text.clone(),
                    });
                }
            }
            None => d.added.push(entry(i)),
        }
    }
    for o in &prev.items {
        if key(o).is_none_or(|k| !matched.contains(&k)) {
            d.removed.push(entry(o));
        }
    }
    d
}

fn entry(i: &Item) -> DiffEntry {
    DiffEntry {
        number: i.number.clone(),
        target: i.target,
        text: i.text.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Cell readers
// ---------------------------------------------------------------------------------------------

fn group_of(section: u8) -> Group {
    match section {
        1 => Group::Governance,
        2 => Group::Operations,
        _ => Group::Incident,
    }
}

fn subgroup_of_target(t: Target) -> Subgroup {
    match t {
        Target::None => Subgroup::General,
        Target::Server => Subgroup::Server,
        Target::Terminal => Subgroup::Terminal,
        Target::Network => Subgroup::Network,
    }
}

/// Full-width ASCII (Ａ１（）－．) to half-width, ideographic space to space.
fn to_ascii_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Half-width, without any whitespace: for comparing headings and keywords.
fn compact(s: &str) -> String {
    to_ascii_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// An item number normalised: half-width, no spaces, dashes as `-`.
fn normalize_number(s: &str) -> String {
    compact(s)
        .chars()
        .map(|c| match c {
            '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー' | '－' => '-',
            _ => c,
        })
        .collect::<String>()
        .trim_end_matches(['.', '、'])
        .to_string()
}

/// `(1)` → 1, `①` → 1 (the short form printed under a section heading).
fn short_ordinal(n: &str) -> Option<u32> {
    parse_number(&format!("1-{n}")).map(|(_, o)| o)
}

/// Reads an item number. Full forms (`2-(4)`, `2-④`) carry their section; short forms
/// (`(4)`, `④`) take it from the current section heading.
fn parse_item_number(cell: &str, section: Option<u8>) -> Result<(String, u8, u32), String> {
    let n = normalize_number(cell);
    if n.contains('-') {
        return match parse_number(&n) {
            Some((s, o)) => Ok((n, s, o)),
            None => Err(format!(
                "項目番号『{cell}』の形式を読めません（例: 1-(1)、(1)、1-①、①）"
            )),
        };
    }
    match short_ordinal(&n) {
        Some(o) => match section {
            Some(s) => Ok((format!("{s}-{n}"), s, o)),
            None => Err(format!(
                "見出しの前に項目があります（項目番号『{cell}』の区分が分かりません。「1. 体制構築」などの見出しの下に置いてください）"
            )),
        },
        None => Err(format!(
            "項目番号『{cell}』の形式を読めません（例: 1-(1)、(1)、1-①、①）"
        )),
    }
}

/// `1．体制構築` → 1, with the configured keywords.
fn section_heading(cell: &str, rules: &HeadingRules) -> Option<u8> {
    let c = compact(cell);
    if c.is_empty() {
        return None;
    }
    let keywords = [
        (1u8, &rules.governance),
        (2, &rules.operations),
        (3, &rules.incident),
    ];
    let (digit, rest) = match c.chars().next() {
        Some(d @ '1'..='3') => (Some(d as u8 - b'0'), &c[1..]),
        _ => (None, c.as_str()),
    };
    if digit.is_none() && rules.require_section_number {
        return None;
    }
    let rest = rest.trim_start_matches(['.', '、', ',', ':', ')']);
    keywords.iter().find_map(|(s, k)| {
        let k = compact(k);
        (!k.is_empty() && rest.starts_with(&k) && digit.is_none_or(|d| d == *s)).then_some(*s)
    })
}

/// `《サーバ》` → `サーバ`.
fn subgroup_heading(cell: &str, rules: &HeadingRules) -> Option<String> {
    let c = compact(cell);
    let open = compact(&rules.subgroup_open);
    let close = compact(&rules.subgroup_close);
    if open.is_empty() {
        return None;
    }
    let rest = c.strip_prefix(&open)?;
    let (inner, _) = if close.is_empty() {
        (rest, "")
    } else {
        rest.split_once(&close)?
    };
    Some(inner.to_string())
}

fn subgroup_from_words(words: &str) -> Option<Subgroup> {
    let w = compact(words).to_uppercase();
    if w.contains("全般") {
        Some(Subgroup::General)
    } else if w.contains("サーバ") || w.contains("サーバー") {
        Some(Subgroup::Server)
    } else if w.contains("端末") {
        Some(Subgroup::Terminal)
    } else if w.contains("ネットワーク") {
        Some(Subgroup::Network)
    } else {
        None
    }
}

/// `サーバ、端末PC` → [Server, Terminal]; `全般` → [None].
fn targets_from_words(words: &str) -> Option<Vec<Target>> {
    let w = compact(words).to_uppercase();
    if w.contains("全般") {
        return Some(vec![Target::None]);
    }
    let mut out = Vec::new();
    for (word, t) in [
        ("サーバ", Target::Server),
        ("端末", Target::Terminal),
        ("ネットワーク", Target::Network),
    ] {
        if w.contains(word) {
            out.push(t);
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

fn is_dash(s: &str) -> bool {
    matches!(
        compact(s).as_str(),
        "-" | "—" | "―" | "－" | "ー" | "‐" | "/" | "／"
    )
}

/// `令和5年度中` / `R5年度` / `2023年度` / `令和元年度` / a date (its 年度) → 2023 ….
pub fn parse_fiscal_year(cell: &str) -> Option<i32> {
    let s = compact(cell);
    // The era year after 令和 / R: `元` or one or two digits, and what follows it.
    let era_year = |rest: &str| -> Option<(i32, usize)> {
        if rest.starts_with('元') {
            return Some((1, '元'.len_utf8()));
        }
        let d: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if d.is_empty() || d.len() > 2 {
            return None;
        }
        let n: i32 = d.parse().ok()?;
        (n >= 1).then_some((n, d.len()))
    };
    if let Some(pos) = s.find("令和") {
        let (n, _) = era_year(&s[pos + "令和".len()..])?;
        return Some(2018 + n);
    }
    if let Some(rest) = s.strip_prefix(['R', 'r']) {
        let (n, used) = era_year(rest)?;
        let after = rest.get(used..).unwrap_or("");
        return (after.is_empty() || after.starts_with("年度")).then_some(2018 + n);
    }
    if let Some(date) = s.get(..10)
        && is_iso_date(date)
    {
        let y: i32 = date[..4].parse().ok()?;
        let m: u32 = date[5..7].parse().ok()?;
        return Some(if m >= 4 { y } else { y - 1 });
    }
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    // `2023年度`, also inside a heading such as 【2023年度中に整備が必要な項目】.
    let pos = s.find("年度")?;
    let before = &s[..pos];
    let digits = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 4 {
        before[pos - 4..].parse().ok()
    } else {
        None
    }
}

/// Lines of a cell joined without separator (the form wraps Japanese text inside cells).
fn join_lines(cell: &str) -> String {
    cell.lines().map(str::trim).collect::<Vec<_>>().join("")
}

/// `企画管理編 9.1、システム運用編 10.1` → two references; `▶` marks dropped.
fn split_references(cell: &str) -> Vec<String> {
    cell.split(['\n', '、', '，', ',', ';', '；'])
        .map(|s| s.trim().trim_start_matches(['▶', '・', '※']).trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A trailing `（…場合…不要）` in the wording, as an applicability note.
fn applicability_from_text(text: &str) -> Vec<String> {
    let Some(body) = text.strip_suffix('）') else {
        return Vec::new();
    };
    let Some(open) = body.rfind('（') else {
        return Vec::new();
    };
    let inner = &body[open + '（'.len_utf8()..];
    if inner.contains("場合") && inner.contains("不要") {
        vec![inner.to_string()]
    } else {
        Vec::new()
    }
}

fn find_cell(sheet: &Sheet, pred: impl Fn(&str) -> bool) -> Option<usize> {
    sheet
        .rows
        .iter()
        .position(|row| row.iter().any(|c| !c.is_empty() && pred(c)))
}

/// The column of `cell` (by identity of content) in row `r`, for problems on headings.
fn cell_column(sheet: &Sheet, r: usize, cell: &str) -> Option<Column> {
    sheet
        .rows
        .get(r)?
        .iter()
        .position(|c| c == cell)
        .map(Column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns() {
        for (i, l) in [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
        ] {
            assert_eq!(Column(i).letter(), l);
            assert_eq!(Column::from_letter(l), Some(Column(i)));
        }
        assert_eq!(Column::from_letter("ｃ"), Some(Column(2)));
        assert_eq!(Column::from_letter("1"), None);
        assert_eq!(Column::from_letter(""), None);
    }

    #[test]
    fn fiscal_years() {
        for (s, y) in [
            ("令和5年度中", 2023),
            ("令和６年度中", 2024),
            ("令和元年度", 2019),
            ("R5年度", 2023),
            ("Ｒ７", 2025),
            ("2025年度", 2025),
            ("2026-03-31", 2025),
            ("【2023年度中に整備が必要な項目】", 2023),
        ] {
            assert_eq!(parse_fiscal_year(s), Some(y), "{s}");
        }
        for s in ["参考項目", "令和", "R", "年度中", "12345年度", "Rx"] {
            assert_eq!(parse_fiscal_year(s), None, "{s}");
        }
    }

    #[test]
    fn item_numbers() {
        assert_eq!(
            parse_item_number("1-(1)", None),
            Ok(("1-(1)".to_string(), 1, 1))
        );
        assert_eq!(
            parse_item_number("２－（４）", None),
            Ok(("2-(4)".to_string(), 2, 4))
        );
        assert_eq!(
            parse_item_number("(3)", Some(2)),
            Ok(("2-(3)".to_string(), 2, 3))
        );
        assert_eq!(
            parse_item_number("④", Some(2)),
            Ok(("2-④".to_string(), 2, 4))
        );
        assert!(parse_item_number("(3)", None).is_err());
        assert!(parse_item_number("3", Some(1)).is_err());
        assert!(parse_item_number("4-(1)", None).is_err());
    }

    #[test]
    fn headings() {
        let r = HeadingRules::default();
        assert_eq!(section_heading("1．体制構築", &r), Some(1));
        assert_eq!(section_heading("1. 体制構築", &r), Some(1));
        assert_eq!(
            section_heading("２　医療情報システムの管理・運用", &r),
            Some(2)
        );
        assert_eq!(
            section_heading("3 インシデント発生に備えた対応", &r),
            Some(3)
        );
        assert_eq!(section_heading("体制構築", &r), None);
        assert_eq!(section_heading("2. 体制構築", &r), None);
        assert_eq!(
            section_heading("1-(1) 医療情報システム安全管理責任者", &r),
            None
        );
        assert_eq!(
            subgroup_heading("《サーバ》", &r).as_deref(),
            Some("サーバ")
        );
        assert_eq!(subgroup_from_words("端末 PC"), Some(Subgroup::Terminal));
        assert_eq!(
            targets_from_words("サーバ、端末PC"),
            Some(vec![Target::Server, Target::Terminal])
        );
    }

    #[test]
    fn applicability() {
        assert_eq!(
            applicability_from_text("確認した。（事業者と契約していない場合は不要）"),
            vec!["事業者と契約していない場合は不要".to_string()]
        );
        assert!(applicability_from_text("リモートメンテナンス（保守）を行う。").is_empty());
    }
}
