//! Problems (取り込みエラー) and warnings found in an import file.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How many problems an all-or-nothing parse returns before summarising the rest.
pub const MAX_PROBLEMS: usize = 200;

/// One problem (or warning) in an import file, located as the user sees it.
///
/// `Display` is Japanese and points at the place to fix:
/// `「assets.csv 3行目 『種別』: 種別『ルーター』は … のいずれかで入力してください」`, or for
/// xlsx `「assets.xlsx シート『資産台帳』 3行目 B列: …」` (the style of the catalog importer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The uploaded file's name.
    pub file: String,
    /// The worksheet (シート) for xlsx input.
    pub sheet: Option<String>,
    /// 1-based line of the CSV / JSON Lines file, or the Excel row number; `None` for problems
    /// with the whole file.
    pub line: Option<u64>,
    /// The column: the header as written in the file (CSV), the key (JSON Lines) or the
    /// Excel column letter (xlsx). `None` when the problem is not about one column.
    pub column: Option<String>,
    /// The raw value found, when there is one.
    pub value: Option<String>,
    /// Why, in Japanese (理由).
    pub reason: String,
}

impl Problem {
    /// A problem with the whole file (no line, no column).
    pub fn file(file: &str, reason: impl Into<String>) -> Problem {
        Problem {
            file: file.to_owned(),
            sheet: None,
            line: None,
            column: None,
            value: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, " シート『{sheet}』")?;
        }
        if let Some(line) = self.line {
            write!(f, " {line}行目")?;
        }
        match (&self.column, &self.sheet) {
            (Some(col), Some(_)) => write!(f, " {col}列")?,
            (Some(col), None) => write!(f, " 『{col}』")?,
            (None, _) => {}
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for Problem {}

/// Collects problems up to [`MAX_PROBLEMS`] and counts the rest.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    more: u64,
}

impl Problems {
    pub(crate) fn push(&mut self, p: Problem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }

    pub(crate) fn extend(&mut self, ps: impl IntoIterator<Item = Problem>) {
        for p in ps {
            self.push(p);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The list, with a last entry 「ほかにN件の問題があります」 when some were left off.
    pub(crate) fn finish(mut self, file: &str) -> Vec<Problem> {
        if self.more > 0 {
            self.list.push(Problem::file(
                file,
                format!(
                    "ほかに{}件の問題があります（最初の{MAX_PROBLEMS}件だけを表示しています）",
                    self.more
                ),
            ));
        }
        self.list
    }
}
