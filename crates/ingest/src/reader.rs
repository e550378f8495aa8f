//! The generic table layer: header row → columns, rows → typed records, and the
//! all-or-nothing and streaming entry points.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::decode::{
    self, Counting, Format, LineIndex, LineIndexed, Opened, Source, column_letter,
};
use crate::field::{self, Choice, Field, clean, match_header};
use crate::problem::{Problem, Problems};
use crate::records::{AccessEvent, Record, TemplateKind};

/// A progress callback: `(done, total)` in bytes of the input (CSV, JSON Lines) or rows
/// (xlsx). Called at most about every 1%, and once at the end.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Options for the parse functions.
#[derive(Default)]
pub struct Options<'a> {
    /// The xlsx worksheet to read (シート名); the first sheet when `None`.
    pub sheet: Option<&'a str>,
    /// Called with progress for large files.
    pub progress: Option<Progress<'a>>,
}

/// A record with the line (CSV, JSON Lines) or Excel row number it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbered<T> {
    /// 1-based line or Excel row number.
    pub line: u64,
    /// The record.
    pub row: T,
}

/// The result of a successful import parse: every row, nothing left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parsed<T> {
    /// The rows in file order.
    pub rows: Vec<Numbered<T>>,
    /// Format, encoding and sheet detected.
    pub source: Source,
    /// Things that did not stop the import (unknown columns, …).
    pub warnings: Vec<Problem>,
}

/// The cells of one row, by field, with the problems found while reading them.
pub(crate) struct Cells<'a> {
    file: &'a str,
    sheet: Option<&'a str>,
    line: u64,
    fields: &'static [Field],
    /// Per field: the column label and the trimmed value.
    values: Vec<Option<(String, String)>>,
    problems: Vec<Problem>,
}

impl Cells<'_> {
    pub(crate) fn problem(&mut self, f: usize, reason: String) {
        let (column, value) = match self.values.get(f).and_then(Option::as_ref) {
            Some((label, value)) => (Some(label.clone()), Some(value.clone())),
            None => (self.fields.get(f).map(|x| x.ja.to_owned()), None),
        };
        self.problems.push(Problem {
            file: self.file.to_owned(),
            sheet: self.sheet.map(str::to_owned),
            line: Some(self.line),
            column,
            value,
            reason,
        });
    }

    pub(crate) fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn raw(&self, f: usize) -> Option<&str> {
        self.values
            .get(f)
            .and_then(Option::as_ref)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn name(&self, f: usize) -> &'static str {
        self.fields.get(f).map_or("", |x| x.ja)
    }

    /// The value, `None` when blank.
    pub(crate) fn text(&mut self, f: usize) -> Option<String> {
        self.raw(f).map(str::to_owned)
    }

    /// The value; a problem 「必須の項目『…』が空です」 when blank.
    pub(crate) fn required(&mut self, f: usize) -> String {
        match self.raw(f) {
            Some(v) => v.to_owned(),
            None => {
                let reason = format!("必須の項目『{}』が空です", self.name(f));
                self.problem(f, reason);
                String::new()
            }
        }
    }

    pub(crate) fn yes_no(&mut self, f: usize) -> Option<bool> {
        let v = self.raw(f)?.to_owned();
        let b = field::parse_yes_no(&v);
        if b.is_none() {
            let reason = format!(
                "{}『{v}』は あり／なし（はい／いいえ、yes／no、1／0、○／×）で入力してください。不明なら空欄にしてください",
                self.name(f)
            );
            self.problem(f, reason);
        }
        b
    }

    pub(crate) fn date(&mut self, f: usize) -> Option<Date> {
        let v = self.raw(f)?.to_owned();
        match field::parse_day(&v) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.problem(f, reason);
                None
            }
        }
    }

    pub(crate) fn time(&mut self, f: usize) -> Option<i64> {
        let Some(v) = self.raw(f).map(str::to_owned) else {
            self.required(f);
            return None;
        };
        match field::parse_time(&v) {
            Ok(t) => Some(t),
            Err(reason) => {
                self.problem(f, reason);
                None
            }
        }
    }

    pub(crate) fn choice<C: Choice>(&mut self, f: usize) -> Option<C> {
        let v = self.raw(f)?.to_owned();
        let c = C::parse(&v);
        if c.is_none() {
            let reason = format!(
                "{}『{v}』は {} のいずれかで入力してください",
                self.name(f),
                C::list_ja()
            );
            self.problem(f, reason);
        }
        c
    }

    pub(crate) fn required_choice<C: Choice>(&mut self, f: usize) -> Option<C> {
        if self.raw(f).is_none() {
            self.required(f);
            return None;
        }
        self.choice(f)
    }
}

enum Rows<'a> {
    Csv {
        reader: csv::Reader<Box<dyn Read + 'a>>,
        lines: Arc<std::sync::Mutex<LineIndex>>,
    },
    Json {
        reader: BufReader<Box<dyn Read + 'a>>,
        line: u64,
    },
    Grid {
        rows: std::vec::IntoIter<(u64, Vec<String>)>,
        done: u64,
        total: u64,
    },
}

enum Raw {
    Cells(u64, Vec<String>),
    Json(u64, serde_json::Map<String, serde_json::Value>),
    Bad(Problem),
}

/// Reads records of type `T` one at a time.
pub(crate) struct RecordReader<'a, T> {
    file: String,
    source: Source,
    rows: Rows<'a>,
    /// Per column position: the field it holds.
    columns: Vec<Option<usize>>,
    /// Per column position: the label used in problems.
    labels: Vec<String>,
    /// Per field: the label of its column, when present.
    field_labels: Vec<Option<String>>,
    json_keys: HashMap<String, Option<usize>>,
    warnings: Vec<Problem>,
    read: Arc<AtomicU64>,
    total: Option<u64>,
    failed: bool,
    _t: PhantomData<T>,
}

fn csv_reader<'a>(r: Box<dyn Read + 'a>) -> csv::Reader<Box<dyn Read + 'a>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r)
}

impl<'a, T: Record> RecordReader<'a, T> {
    /// Opens `input` and reads the header row. `total` is the input size, for progress.
    pub(crate) fn new(
        file: &str,
        input: impl Read + 'a,
        sheet: Option<&str>,
        total: Option<u64>,
    ) -> Result<Self, Vec<Problem>> {
        let (input, read) = Counting::new(input);
        let opened = decode::open(file, input)?;
        let (rows, source) = match opened {
            Opened::Xlsx { bytes, gzip } => {
                let grid = decode::read_xlsx(file, bytes, sheet)?;
                let source = Source {
                    format: Format::Xlsx,
                    encoding: None,
                    gzip,
                    sheet: Some(grid.sheet),
                };
                let total = grid.rows.len() as u64;
                (
                    Rows::Grid {
                        rows: grid.rows.into_iter(),
                        done: 0,
                        total,
                    },
                    source,
                )
            }
            Opened::Text {
                reader,
                format,
                encoding,
                gzip,
            } => {
                let source = Source {
                    format,
                    encoding: Some(encoding),
                    gzip,
                    sheet: None,
                };
                let rows = match format {
                    Format::JsonLines => {
                        if T::KIND != TemplateKind::AccessLog {
                            return Err(vec![Problem::file(
                                file,
                                format!(
                                    "JSON Lines で取り込めるのはアクセスログだけです。{}は CSV か Excel で用意してください",
                                    T::KIND.name_ja()
                                ),
                            )]);
                        }
                        Rows::Json {
                            reader: BufReader::with_capacity(64 * 1024, reader),
                            line: 0,
                        }
                    }
                    Format::Csv | Format::Xlsx => {
                        let (reader, lines) = LineIndexed::new(reader);
                        Rows::Csv {
                            reader: csv_reader(Box::new(reader)),
                            lines,
                        }
                    }
                };
                (rows, source)
            }
        };
        let fields = T::KIND.fields();
        let mut me = RecordReader {
            file: file.to_owned(),
            source,
            rows,
            columns: Vec::new(),
            labels: Vec::new(),
            field_labels: vec![None; fields.len()],
            json_keys: HashMap::new(),
            warnings: Vec::new(),
            read,
            total,
            failed: false,
            _t: PhantomData,
        };
        if !matches!(me.rows, Rows::Json { .. }) {
            me.read_header()?;
        }
        Ok(me)
    }

    fn problem(&self, line: Option<u64>, column: Option<String>, reason: String) -> Problem {
        Problem {
            file: self.file.clone(),
            sheet: self.source.sheet.clone(),
            line,
            column,
            value: None,
            reason,
        }
    }

    fn read_header(&mut self) -> Result<(), Vec<Problem>> {
        let (line, header) = loop {
            match self.next_raw() {
                None => {
                    return Err(vec![self.problem(
                        None,
                        None,
                        format!(
                            "見出しの行がありません（{}のテンプレートの1行目を見出しにしてください）",
                            T::KIND.name_ja()
                        ),
                    )]);
                }
                Some(Raw::Bad(p)) => return Err(vec![p]),
                Some(Raw::Json(..)) => continue,
                Some(Raw::Cells(line, cells)) => {
                    if cells.iter().any(|c| !clean(c).is_empty()) {
                        break (line, cells);
                    }
                }
            }
        };
        let fields = T::KIND.fields();
        let xlsx = self.source.format == Format::Xlsx;
        let mut problems = Vec::new();
        let mut first_at: Vec<Option<usize>> = vec![None; fields.len()];
        for (i, h) in header.iter().enumerate() {
            let h = clean(h);
            let label = if xlsx { column_letter(i) } else { h.to_owned() };
            let place = |i: usize| {
                if xlsx {
                    format!("{}列", column_letter(i))
                } else {
                    format!("{}列目", i + 1)
                }
            };
            self.labels.push(label.clone());
            if h.is_empty() {
                self.columns.push(None);
                continue;
            }
            match match_header(fields, h) {
                Some(f) => {
                    if let Some(prev) = first_at.get(f).copied().flatten() {
                        problems.push(self.problem(
                            Some(line),
                            Some(label),
                            format!(
                                "列『{h}』が重複しています（{}と同じ『{}』の列です）",
                                place(prev),
                                fields.get(f).map_or("", |x| x.ja)
                            ),
                        ));
                        self.columns.push(None);
                    } else {
                        if let Some(slot) = first_at.get_mut(f) {
                            *slot = Some(i);
                        }
                        if let Some(slot) = self.field_labels.get_mut(f) {
                            *slot = Some(label);
                        }
                        self.columns.push(Some(f));
                    }
                }
                None => {
                    let w = self.problem(
                        Some(line),
                        Some(label),
                        format!(
                            "列『{h}』は{}のテンプレートにないため読み飛ばします",
                            T::KIND.name_ja()
                        ),
                    );
                    self.warnings.push(w);
                    self.columns.push(None);
                }
            }
        }
        let missing: Vec<String> = fields
            .iter()
            .zip(&first_at)
            .filter(|(f, at)| f.required && at.is_none())
            .map(|(f, _)| format!("{}（{}）", f.ja, f.en))
            .collect();
        if !missing.is_empty() {
            problems.push(self.problem(
                Some(line),
                None,
                format!("必須の列がありません: {}", missing.join("、")),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn next_raw(&mut self) -> Option<Raw> {
        if self.failed {
            return None;
        }
        let file = self.file.clone();
        let raw = match &mut self.rows {
            Rows::Grid { rows, done, .. } => {
                *done += 1;
                let (line, cells) = rows.next()?;
                Raw::Cells(line, cells)
            }
            Rows::Csv { reader, lines } => {
                let mut rec = csv::ByteRecord::new();
                match reader.read_byte_record(&mut rec) {
                    Ok(false) => return None,
                    Ok(true) => {
                        let start = rec.position().map_or(0, csv::Position::byte);
                        let line = match lines.lock() {
                            Ok(mut index) => index.line_at(start),
                            Err(_) => rec.position().map_or(0, csv::Position::line),
                        };
                        let mut cells = Vec::with_capacity(rec.len());
                        for field in &rec {
                            match std::str::from_utf8(field) {
                                Ok(s) => cells.push(s.to_owned()),
                                Err(_) => {
                                    return Some(Raw::Bad(Problem {
                                        line: Some(line),
                                        ..Problem::file(
                                            &file,
                                            "文字コードを読めません（UTF-8 と Shift_JIS が混ざっていませんか）",
                                        )
                                    }));
                                }
                            }
                        }
                        Raw::Cells(line, cells)
                    }
                    Err(e) => {
                        self.failed = true;
                        let line = e.position().map(csv::Position::line);
                        return Some(Raw::Bad(Problem {
                            line,
                            ..Problem::file(&file, format!("CSV として読めません: {e}"))
                        }));
                    }
                }
            }
            Rows::Json { reader, line } => {
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => return None,
                        Ok(_) => {}
                        Err(e) => {
                            self.failed = true;
                            return Some(Raw::Bad(Problem {
                                line: Some(*line + 1),
                                ..Problem::file(&file, format!("ファイルを読めません: {e}"))
                            }));
                        }
                    }
                    *line += 1;
                    if !buf.iter().all(u8::is_ascii_whitespace) {
                        break;
                    }
                }
                let at = |reason: String| {
                    Raw::Bad(Problem {
                        line: Some(*line),
                        ..Problem::file(&file, reason)
                    })
                };
                let Ok(text) = std::str::from_utf8(&buf) else {
                    return Some(at(
                        "文字コードを読めません（UTF-8 と Shift_JIS が混ざっていませんか）"
                            .to_owned(),
                    ));
                };
                match serde_json::from_str::<serde_json::Value>(text.trim()) {
                    Ok(serde_json::Value::Object(map)) => Raw::Json(*line, map),
                    Ok(_) => at("JSON のオブジェクト（{…}）ではありません".to_owned()),
                    Err(e) => at(format!("JSON として読めません: {e}")),
                }
            }
        };
        Some(raw)
    }

    /// `(done, total)` for progress.
    pub(crate) fn progress(&self) -> (u64, u64) {
        match &self.rows {
            Rows::Grid { done, total, .. } => ((*done).min(*total), *total),
            _ => {
                let done = self.read.load(Ordering::Relaxed);
                (done, self.total.unwrap_or(done).max(done))
            }
        }
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    pub(crate) fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The label of a field's column (for uniqueness problems).
    fn field_label(&self, f: usize) -> Option<String> {
        self.field_labels.get(f).cloned().flatten()
    }

    fn cells_from_row(&self, line: u64, row: &[String]) -> Option<Cells<'_>> {
        if row.iter().all(|c| clean(c).is_empty()) {
            return None;
        }
        let fields = T::KIND.fields();
        let mut values = vec![None; fields.len()];
        // Every column of the header, also those a short row (xlsx drops trailing blank
        // cells) leaves out, so that a problem names the column as the file has it.
        for (i, f) in self.columns.iter().enumerate() {
            if let Some(f) = f
                && let Some(slot) = values.get_mut(*f)
            {
                let label = self.labels.get(i).cloned().unwrap_or_default();
                let cell = row.get(i).map_or("", |c| clean(c));
                *slot = Some((label, cell.to_owned()));
            }
        }
        Some(Cells {
            file: &self.file,
            sheet: self.source.sheet.as_deref(),
            line,
            fields,
            values,
            problems: Vec::new(),
        })
    }

    fn cells_from_json(
        &mut self,
        line: u64,
        map: serde_json::Map<String, serde_json::Value>,
    ) -> Cells<'_> {
        let fields = T::KIND.fields();
        let mut values = vec![None; fields.len()];
        let mut problems = Vec::new();
        for (key, value) in map {
            let f = match self.json_keys.get(&key) {
                Some(f) => *f,
                None => {
                    let f = match_header(fields, &key);
                    if f.is_none() {
                        let w = Problem {
                            line: Some(line),
                            column: Some(key.clone()),
                            ..Problem::file(
                                &self.file,
                                format!(
                                    "項目『{key}』は{}のテンプレートにないため読み飛ばします",
                                    T::KIND.name_ja()
                                ),
                            )
                        };
                        self.warnings.push(w);
                    }
                    self.json_keys.insert(key.clone(), f);
                    f
                }
            };
            let Some(f) = f else { continue };
            let text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => clean(&s).to_owned(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    problems.push(Problem {
                        line: Some(line),
                        column: Some(key.clone()),
                        value: Some(other.to_string()),
                        ..Problem::file(&self.file, "値が文字列や数値ではありません")
                    });
                    continue;
                }
            };
            if let Some(slot) = values.get_mut(f) {
                *slot = Some((key, text));
            }
        }
        Cells {
            file: &self.file,
            sheet: None,
            line,
            fields,
            values,
            problems,
        }
    }
}

impl<T: Record> Iterator for RecordReader<'_, T> {
    type Item = Result<(u64, T), Vec<Problem>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = self.next_raw()?;
            let (line, mut cells) = match raw {
                Raw::Bad(p) => return Some(Err(vec![p])),
                Raw::Cells(line, row) => match self.cells_from_row(line, &row) {
                    Some(c) => (line, c),
                    None => continue,
                },
                Raw::Json(line, map) => (line, self.cells_from_json(line, map)),
            };
            let record = T::read(&mut cells);
            return Some(match record {
                Some(r) if cells.ok() => Ok((line, r)),
                _ => Err(cells.problems),
            });
        }
    }
}

/// Calls a progress callback at most about every 1%.
struct Reporter<'a> {
    f: Option<Progress<'a>>,
    next: u64,
    last: Option<u64>,
}

impl<'a> Reporter<'a> {
    fn new(f: Option<Progress<'a>>) -> Self {
        Reporter {
            f,
            next: 0,
            last: None,
        }
    }

    fn tick(&mut self, (done, total): (u64, u64)) {
        if let Some(f) = self.f.as_mut()
            && done >= self.next
            && done < total
        {
            f(done, total);
            self.last = Some(done);
            self.next = done + (total / 100).max(1);
        }
    }

    fn finish(&mut self, (_, total): (u64, u64)) {
        if let Some(f) = self.f.as_mut()
            && self.last != Some(total)
        {
            f(total, total);
            self.last = Some(total);
        }
    }
}

/// Parses a whole file as records of `T`: every row, or every problem.
pub(crate) fn parse<T: Record>(
    file: &str,
    bytes: &[u8],
    opts: Options<'_>,
) -> Result<Parsed<T>, Vec<Problem>> {
    let mut reader = RecordReader::<T>::new(file, bytes, opts.sheet, Some(bytes.len() as u64))?;
    let mut reporter = Reporter::new(opts.progress);
    let mut problems = Problems::default();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while let Some(item) = reader.next() {
        match item {
            Ok((line, row)) => {
                if let Some((f, shown, key)) = row.unique() {
                    if let Some(first) = seen.get(&key) {
                        problems.push(Problem {
                            file: file.to_owned(),
                            sheet: reader.source().sheet.clone(),
                            line: Some(line),
                            column: reader.field_label(f),
                            value: None,
                            reason: format!("{shown}が重複しています（{first}行目と同じ）"),
                        });
                        continue;
                    }
                    seen.insert(key, line);
                }
                rows.push(Numbered { line, row });
            }
            Err(ps) => problems.extend(ps),
        }
        reporter.tick(reader.progress());
    }
    reporter.finish(reader.progress());
    if !problems.is_empty() {
        return Err(problems.finish(file));
    }
    let mut warnings = reader.warnings().to_vec();
    if rows.is_empty() {
        warnings.push(Problem::file(
            file,
            "データの行がありません（見出しだけです）",
        ));
    }
    Ok(Parsed {
        rows,
        source: reader.source().clone(),
        warnings,
    })
}

/// Reads an access log (アクセスログ) one event at a time, for files too large to hold.
///
/// Malformed lines come out as `Err(Problem)` with their line number, so the caller can count
/// and quarantine them instead of refusing the file. Header problems (a missing required
/// column) refuse the file in [`AccessLogReader::new`].
pub struct AccessLogReader<'a> {
    inner: RecordReader<'a, AccessEvent>,
}

impl<'a> AccessLogReader<'a> {
    /// Opens an access log: CSV (UTF-8 or CP932) or JSON Lines, optionally gzip'd, or xlsx
    /// (read into memory).
    pub fn new(file_name: &str, input: impl Read + 'a) -> Result<Self, Vec<Problem>> {
        Ok(AccessLogReader {
            inner: RecordReader::new(file_name, input, None, None)?,
        })
    }

    /// Format and encoding detected.
    pub fn source(&self) -> &Source {
        self.inner.source()
    }

    /// Warnings so far (unknown columns or keys).
    pub fn warnings(&self) -> &[Problem] {
        self.inner.warnings()
    }

    /// Bytes read from the input so far (before decompression), for progress.
    pub fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

impl Iterator for AccessLogReader<'_> {
    type Item = Result<(u64, AccessEvent), Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.inner.next()?.map_err(|mut ps| {
            let more = ps.len().saturating_sub(1);
            let mut first = if ps.is_empty() {
                Problem::file(&self.inner.file, "読めない行です")
            } else {
                ps.swap_remove(0)
            };
            if more > 0 {
                first
                    .reason
                    .push_str(&format!("（この行にはほかに{more}件の問題があります）"));
            }
            first
        }))
    }
}
