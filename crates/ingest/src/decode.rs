//! Recognising what was uploaded: gzip, xlsx, the text encoding (文字コード) of CSV and JSON
//! Lines, and reading an xlsx sheet into a grid of strings.

use std::io::{self, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use calamine::{Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// The text encoding (文字コード) detected in a CSV or JSON Lines file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark (BOM付きUTF-8, what Excel writes for 「CSV UTF-8」).
    Utf8Bom,
    /// CP932 / Shift_JIS (what Excel in Japan writes for plain 「CSV」).
    Cp932,
}

impl TextEncoding {
    /// The name shown to users, e.g. `"Shift_JIS (CP932)"`.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 (BOM付き)",
            TextEncoding::Cp932 => "Shift_JIS (CP932)",
        }
    }
}

/// The kind of file (ファイル形式) detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON Lines: one JSON object per line (access logs only).
    JsonLines,
    /// An Excel workbook (.xlsx).
    Xlsx,
}

/// What was detected about an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// CSV, JSON Lines or xlsx.
    pub format: Format,
    /// The text encoding; `None` for xlsx.
    pub encoding: Option<TextEncoding>,
    /// Whether the upload was gzip-compressed (`.gz`).
    pub gzip: bool,
    /// The worksheet read, for xlsx.
    pub sheet: Option<String>,
}

pub(crate) const GZIP_MAGIC: &[u8] = &[0x1F, 0x8B];
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// How much of a stream is inspected to choose the encoding and format.
const PEEK: usize = 64 * 1024;
/// Largest xlsx sheet read (rows).
const MAX_XLSX_ROWS: usize = 1_048_576;

/// Chooses the encoding of `head`, the start of a text file (or all of it when `complete`).
/// Valid UTF-8 is UTF-8; anything else is taken as CP932.
pub(crate) fn detect_encoding(head: &[u8], complete: bool) -> TextEncoding {
    if head.starts_with(UTF8_BOM) {
        return TextEncoding::Utf8Bom;
    }
    match std::str::from_utf8(head) {
        Ok(_) => TextEncoding::Utf8,
        // A multi-byte character cut off at the end of the peeked part.
        Err(e) if !complete && e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Cp932,
    }
}

/// Counts the bytes read through it (for progress), shareable with the caller.
pub(crate) struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counting {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decodes CP932 to UTF-8 on the fly (invalid bytes become U+FFFD).
pub(crate) struct Cp932Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Cp932Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Cp932Reader {
            inner,
            decoder: encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling(),
            input: vec![0; 16 * 1024],
            output: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Cp932Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            let chunk = self.input.get(..n).unwrap_or_default();
            let cap = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.output.clear();
            self.output.resize(cap, 0);
            let (_, _, written, _) = self.decoder.decode_to_utf8(chunk, &mut self.output, last);
            self.output.truncate(written);
            self.pos = 0;
            self.done = last;
        }
        let available = self.output.get(self.pos..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// An opened input, ready to be read as text or as an xlsx grid.
pub(crate) enum Opened<'a> {
    /// UTF-8 text (already decoded from CP932 and without BOM).
    Text {
        reader: Box<dyn Read + 'a>,
        format: Format,
        encoding: TextEncoding,
        gzip: bool,
    },
    /// A whole workbook in memory.
    Xlsx { bytes: Vec<u8>, gzip: bool },
}

fn read_err(file: &str, e: &io::Error) -> Vec<Problem> {
    vec![Problem::file(file, format!("ファイルを読めません: {e}"))]
}

/// Opens `input`: undoes gzip, recognises xlsx, and detects the text encoding and whether the
/// text is JSON Lines (first non-blank character `{`) or CSV.
pub(crate) fn open<'a>(file: &str, input: impl Read + 'a) -> Result<Opened<'a>, Vec<Problem>> {
    let mut input: Box<dyn Read + 'a> = Box::new(input);
    let mut head = read_head(file, &mut input)?;
    let mut gzip = false;
    if head.starts_with(GZIP_MAGIC) {
        gzip = true;
        input = Box::new(flate2::read::MultiGzDecoder::new(
            Cursor::new(head).chain(input),
        ));
        head = read_head(file, &mut input)?;
    }
    if head.is_empty() {
        return Err(vec![Problem::file(file, "ファイルが空です")]);
    }
    if head.starts_with(ZIP_MAGIC) {
        let mut bytes = head;
        input
            .read_to_end(&mut bytes)
            .map_err(|e| read_err(file, &e))?;
        return Ok(Opened::Xlsx { bytes, gzip });
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(vec![Problem::file(
            file,
            "古い Excel 形式（.xls）です。Excel で「.xlsx」形式か「CSV」形式で保存し直してください",
        )]);
    }
    if head.starts_with(b"%PDF") {
        return Err(vec![Problem::file(
            file,
            "PDF は取り込めません。CSV か Excel（.xlsx）で保存してください",
        )]);
    }
    let complete = head.len() < PEEK;
    let encoding = detect_encoding(&head, complete);
    let body = match encoding {
        TextEncoding::Utf8Bom => head.get(UTF8_BOM.len()..).unwrap_or_default().to_vec(),
        _ => head,
    };
    let first = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(b' ');
    let format = if first == b'{' {
        Format::JsonLines
    } else {
        Format::Csv
    };
    let chained: Box<dyn Read + 'a> = Box::new(Cursor::new(body).chain(input));
    let reader: Box<dyn Read + 'a> = match encoding {
        TextEncoding::Cp932 => Box::new(Cp932Reader::new(chained)),
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => chained,
    };
    Ok(Opened::Text {
        reader,
        format,
        encoding,
        gzip,
    })
}

fn read_head(file: &str, input: &mut dyn Read) -> Result<Vec<u8>, Vec<Problem>> {
    let mut head = Vec::with_capacity(PEEK);
    input
        .take(PEEK as u64)
        .read_to_end(&mut head)
        .map_err(|e| read_err(file, &e))?;
    Ok(head)
}

/// One worksheet read as strings: `(Excel row number, cells from column A)`.
pub(crate) struct Grid {
    pub(crate) sheet: String,
    pub(crate) rows: Vec<(u64, Vec<String>)>,
}

/// Reads the named sheet, or the first one, of an xlsx workbook.
pub(crate) fn read_xlsx(
    file: &str,
    bytes: Vec<u8>,
    sheet: Option<&str>,
) -> Result<Grid, Vec<Problem>> {
    let mut xlsx: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| {
            vec![Problem::file(
                file,
                format!("Excel ブック（.xlsx）として読めません: {e}"),
            )]
        })?;
    let names = xlsx.sheet_names();
    let name = match sheet {
        Some(want) => names
            .iter()
            .find(|n| n.as_str() == want)
            .cloned()
            .ok_or_else(|| {
                vec![Problem::file(
                    file,
                    format!(
                        "シート『{want}』がありません（あるシート: {}）",
                        names.join("、")
                    ),
                )]
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| vec![Problem::file(file, "シートがありません")])?,
    };
    let range = xlsx.worksheet_range(&name).map_err(|e| {
        vec![Problem {
            sheet: Some(name.clone()),
            ..Problem::file(file, format!("シートを読めません: {e}"))
        }]
    })?;
    let (r0, c0) = range
        .start()
        .map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let (h, _) = range.get_size();
    if r0 + h > MAX_XLSX_ROWS {
        return Err(vec![Problem::file(file, "シートが大きすぎます")]);
    }
    let mut rows = Vec::with_capacity(h);
    for (i, data_row) in range.rows().enumerate() {
        let mut row: Vec<String> = vec![String::new(); c0];
        row.extend(data_row.iter().map(render_cell));
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
        rows.push(((r0 + i + 1) as u64, row));
    }
    Ok(Grid { sheet: name, rows })
}

/// A cell as a trimmed string: numbers without a trailing `.0`, dates as `YYYY-MM-DD`,
/// date-times as `YYYY-MM-DD HH:MM:SS`.
fn render_cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => render_float(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
                if (hh, mm, ss) == (0, 0, 0) {
                    format!("{y:04}-{m:02}-{d:02}")
                } else {
                    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
                }
            } else {
                render_float(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) => {
            let s = s.trim();
            match s.strip_suffix("T00:00:00") {
                Some(date) => date.to_owned(),
                None => s.replacen('T', " ", 1),
            }
        }
        Data::DurationIso(s) => s.trim().to_owned(),
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

/// The Excel column letter of a 0-based index (`0` → `A`, `26` → `AA`).
pub(crate) fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + (rem as u8)));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Where the line breaks are in a stream, so that a record's byte offset can be turned into
/// the line number a user sees (the csv crate counts CRLF lines one behind).
#[derive(Debug, Default)]
pub(crate) struct LineIndex {
    /// Offsets of `\r` and `\n` bytes not yet passed, with whether each is `\n`.
    breaks: std::collections::VecDeque<(u64, bool)>,
    /// `\n` bytes before `cursor`.
    lines: u64,
    cursor: u64,
}

impl LineIndex {
    /// The 1-based line of the first character at or after `offset` that is not a line break.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        if offset > self.cursor {
            self.cursor = offset;
        }
        while let Some(&(at, nl)) = self.breaks.front() {
            if at < self.cursor {
                self.lines += u64::from(nl);
                self.breaks.pop_front();
            } else if at == self.cursor {
                self.lines += u64::from(nl);
                self.breaks.pop_front();
                self.cursor += 1;
            } else {
                break;
            }
        }
        self.lines + 1
    }
}

/// Records line breaks of the bytes read through it into a shared [`LineIndex`].
pub(crate) struct LineIndexed<R> {
    inner: R,
    offset: u64,
    index: Arc<std::sync::Mutex<LineIndex>>,
}

impl<R> LineIndexed<R> {
    pub(crate) fn new(inner: R) -> (Self, Arc<std::sync::Mutex<LineIndex>>) {
        let index = Arc::new(std::sync::Mutex::new(LineIndex::default()));
        (
            LineIndexed {
                inner,
                offset: 0,
                index: Arc::clone(&index),
            },
            index,
        )
    }
}

impl<R: Read> Read for LineIndexed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut index) = self.index.lock() {
            for (i, b) in buf.iter().take(n).enumerate() {
                if *b == b'\n' || *b == b'\r' {
                    index
                        .breaks
                        .push_back((self.offset + i as u64, *b == b'\n'));
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}
