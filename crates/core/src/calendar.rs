//! 和暦 (Japanese era calendar) and 年度 (fiscal year, April–March).
//!
//! Japanese administrative documents — the サイバーセキュリティ対策チェックリスト, 立入検査
//! notices, retention periods — are dated in 和暦 and counted in 年度. This module converts
//! between those and [`jiff::civil::Date`], and parses the date spellings people actually type
//! into forms (`2025-04-01`, `2025/4/1`, `R7.4.1`, `令和7年4月1日`, full-width digits, …).
//!
//! Everything here is pure: no clock. Callers pass the dates.
//!
//! Dates before 1873-01-01 (明治6年, when Japan adopted the Gregorian calendar) are handled in
//! the proleptic Gregorian calendar, not the 旧暦 (lunisolar calendar) Japan used then, so their
//! 和暦 spelling is not historically meaningful. Dates before 明治 (1868-10-23) have no era here.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A Japanese era (元号). Only the eras of modern Japan are supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Era {
    /// 明治 (Meiji), from 1868-10-23.
    Meiji,
    /// 大正 (Taishō), from 1912-07-30.
    Taisho,
    /// 昭和 (Shōwa), from 1926-12-25.
    Showa,
    /// 平成 (Heisei), from 1989-01-08.
    Heisei,
    /// 令和 (Reiwa), from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All supported eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era name in Japanese, e.g. `"令和"`.
    pub const fn name_ja(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The era name in romaji, e.g. `"Reiwa"`.
    pub const fn name_en(self) -> &'static str {
        match self {
            Era::Meiji => "Meiji",
            Era::Taisho => "Taisho",
            Era::Showa => "Showa",
            Era::Heisei => "Heisei",
            Era::Reiwa => "Reiwa",
        }
    }

    /// The one-letter abbreviation used on forms, e.g. `'R'` in `R7.4.1`.
    pub const fn abbrev(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The era for a one-letter abbreviation (case-insensitive).
    pub fn from_abbrev(c: char) -> Option<Era> {
        Era::ALL
            .into_iter()
            .find(|e| e.abbrev() == c.to_ascii_uppercase())
    }

    /// The first day of the era (改元日).
    pub const fn start(self) -> Date {
        match self {
            Era::Meiji => Date::constant(1868, 10, 23),
            Era::Taisho => Date::constant(1912, 7, 30),
            Era::Showa => Date::constant(1926, 12, 25),
            Era::Heisei => Date::constant(1989, 1, 8),
            Era::Reiwa => Date::constant(2019, 5, 1),
        }
    }

    /// The era that followed this one, if any.
    pub const fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// The last day of the era, or `None` for the current era (令和).
    pub fn last_day(self) -> Option<Date> {
        // The day before an era start is always a valid date, far from the range limits.
        self.next().and_then(|n| n.start().yesterday().ok())
    }

    /// The era in effect on `date`, or `None` before 明治 (1868-10-23).
    pub fn of(date: Date) -> Option<Era> {
        Era::ALL.into_iter().rev().find(|e| date >= e.start())
    }

    /// The western year of the era's year `era_year` (元年 = 1).
    pub fn western_year(self, era_year: i32) -> i32 {
        i32::from(self.start().year()).saturating_add(era_year.saturating_sub(1))
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_ja())
    }
}

/// A year counted in an era (和暦の年), e.g. 令和7年.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EraYear {
    /// The era.
    pub era: Era,
    /// The year within the era; 1 is written 元年.
    pub year: i32,
}

impl EraYear {
    /// The era year of `date`, or `None` before 明治.
    pub fn of(date: Date) -> Option<EraYear> {
        let era = Era::of(date)?;
        Some(EraYear {
            era,
            year: i32::from(date.year()) - i32::from(era.start().year()) + 1,
        })
    }
}

impl fmt::Display for EraYear {
    /// `令和7年`, or `令和元年` for year 1.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year == 1 {
            write!(f, "{}元年", self.era.name_ja())
        } else {
            write!(f, "{}{}年", self.era.name_ja(), self.year)
        }
    }
}

/// `date` in 和暦, e.g. `"令和7年4月1日"`, `"令和元年5月1日"`.
///
/// Dates before 明治 (1868-10-23) have no era here and are written in the western calendar
/// with the same pattern, e.g. `"1868年1月1日"`.
pub fn wareki(date: Date) -> String {
    match EraYear::of(date) {
        Some(ey) => format!("{ey}{}月{}日", date.month(), date.day()),
        None => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
    }
}

/// `date` in the short 和暦 form used on forms, e.g. `"R7.4.1"`.
///
/// Dates before 明治 are written `YYYY.M.D`.
pub fn wareki_short(date: Date) -> String {
    match EraYear::of(date) {
        Some(ey) => format!(
            "{}{}.{}.{}",
            ey.era.abbrev(),
            ey.year,
            date.month(),
            date.day()
        ),
        None => format!("{}.{}.{}", date.year(), date.month(), date.day()),
    }
}

/// A fiscal year (年度), April 1 to March 31. The value is the western year in which the
/// fiscal year starts: `FiscalYear(2025)` is 令和7年度, 2025-04-01 to 2026-03-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    /// The fiscal year containing `date`: January–March belong to the previous year's 年度.
    pub fn of(date: Date) -> FiscalYear {
        let year = i32::from(date.year());
        if date.month() >= 4 {
            FiscalYear(year)
        } else {
            FiscalYear(year - 1)
        }
    }

    /// April 1 of the fiscal year, or `None` outside the supported date range
    /// (years -9999..=9999).
    pub fn checked_start(self) -> Option<Date> {
        let year = i16::try_from(self.0).ok()?;
        Date::new(year, 4, 1).ok()
    }

    /// March 31 at the end of the fiscal year, or `None` outside the supported date range.
    pub fn checked_end(self) -> Option<Date> {
        let year = i16::try_from(self.0.checked_add(1)?).ok()?;
        Date::new(year, 3, 31).ok()
    }

    /// April 1 of the fiscal year (年度初日). Saturates to [`Date::MIN`] / [`Date::MAX`] for
    /// years outside the supported range; use [`FiscalYear::checked_start`] to detect that.
    pub fn start(self) -> Date {
        self.checked_start()
            .unwrap_or(if self.0 < 0 { Date::MIN } else { Date::MAX })
    }

    /// March 31 at the end of the fiscal year (年度末). Saturates like [`FiscalYear::start`].
    pub fn end(self) -> Date {
        self.checked_end()
            .unwrap_or(if self.0 < 0 { Date::MIN } else { Date::MAX })
    }

    /// Whether `date` falls within this fiscal year.
    pub fn contains(self, date: Date) -> bool {
        FiscalYear::of(date) == self
    }

    /// The following fiscal year.
    pub fn next(self) -> FiscalYear {
        FiscalYear(self.0.saturating_add(1))
    }

    /// The preceding fiscal year.
    pub fn prev(self) -> FiscalYear {
        FiscalYear(self.0.saturating_sub(1))
    }

    /// The era year used to name this fiscal year.
    ///
    /// A fiscal year is named after the newest era that began in or before its starting
    /// western year, following the official usage 令和元年度 for FY2019 (which began in
    /// 平成31年4月) and 平成元年度 for FY1989. `None` before 明治.
    pub fn era_year(self) -> Option<EraYear> {
        let era = Era::ALL
            .into_iter()
            .rev()
            .find(|e| i32::from(e.start().year()) <= self.0)?;
        Some(EraYear {
            era,
            year: self.0 - i32::from(era.start().year()) + 1,
        })
    }

    /// The 和暦 label, e.g. `"令和7年度"`, `"令和元年度"`. Before 明治: `"1867年度"`.
    pub fn label_ja(self) -> String {
        match self.era_year() {
            Some(ey) => format!("{ey}度"),
            None => format!("{}年度", self.0),
        }
    }

    /// Both labels, e.g. `"令和7年度（2025年度）"`.
    pub fn label_both(self) -> String {
        match self.era_year() {
            Some(ey) => format!("{ey}度（{}年度）", self.0),
            None => format!("{}年度", self.0),
        }
    }
}

/// The parts of a date as the user wrote them, kept for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateParts {
    /// The era, if the date was written in 和暦.
    pub era: Option<Era>,
    /// The year as written: era year for 和暦, western year otherwise.
    pub year: i32,
    /// The month as written.
    pub month: u32,
    /// The day as written.
    pub day: u32,
}

impl DateParts {
    /// The parts written back in Japanese, e.g. `"令和7年2月30日"` or `"2025年2月30日"`.
    pub fn to_ja(&self) -> String {
        match self.era {
            Some(era) => format!(
                "{}{}月{}日",
                EraYear {
                    era,
                    year: self.year
                },
                self.month,
                self.day
            ),
            None => format!("{}年{}月{}日", self.year, self.month, self.day),
        }
    }
}

impl fmt::Display for DateParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.era {
            Some(era) => write!(
                f,
                "{} {}, month {}, day {}",
                era.name_en(),
                self.year,
                self.month,
                self.day
            ),
            None => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
        }
    }
}

/// Why a date string could not be read (日付の入力エラー).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateParseError {
    /// Nothing was entered.
    #[error("no date given")]
    Empty,
    /// The text is not in any accepted date format.
    #[error("not a recognised date format: {input:?}")]
    UnrecognisedFormat {
        /// The input after normalisation (full-width characters converted).
        input: String,
    },
    /// An era year of 0 (the first year of an era is 1, written 元年).
    #[error("era year must be 1 or more (the first year is 1, 元年)")]
    EraYearZero {
        /// The era written.
        era: Era,
    },
    /// Month or day out of range, e.g. February 30 or month 13.
    #[error("no such date: {parts}")]
    NoSuchDate {
        /// The date as written.
        parts: DateParts,
    },
    /// A 和暦 date before its era began, e.g. 令和1年4月1日 (令和 began on 2019-05-01).
    #[error("{parts} is before its era began ({era_start})")]
    BeforeEraStart {
        /// The date as written.
        parts: DateParts,
        /// The first day of the era written.
        era_start: Date,
        /// The same day in the western calendar.
        western: Date,
    },
    /// A 和暦 date after its era ended, e.g. 平成31年5月1日 (平成 ended on 2019-04-30).
    #[error("{parts} is after its era ended ({era_last_day})")]
    AfterEraEnd {
        /// The date as written.
        parts: DateParts,
        /// The last day of the era written.
        era_last_day: Date,
        /// The same day in the western calendar.
        western: Date,
    },
}

impl DateParseError {
    /// The date as the user wrote it, when it could be split into year, month and day.
    pub fn parts(&self) -> Option<&DateParts> {
        match self {
            DateParseError::NoSuchDate { parts }
            | DateParseError::BeforeEraStart { parts, .. }
            | DateParseError::AfterEraEnd { parts, .. } => Some(parts),
            DateParseError::Empty
            | DateParseError::UnrecognisedFormat { .. }
            | DateParseError::EraYearZero { .. } => None,
        }
    }

    /// A user-facing message in Japanese (日本語のエラーメッセージ).
    pub fn message_ja(&self) -> String {
        match self {
            DateParseError::Empty => "日付を入力してください".to_owned(),
            DateParseError::UnrecognisedFormat { input } => format!(
                "「{input}」は日付として読み取れません。2025-04-01、2025/4/1、令和7年4月1日、R7.4.1 のように入力してください"
            ),
            DateParseError::EraYearZero { era } => {
                format!("和暦の年は1以上で入力してください（{era}の最初の年は「{era}元年」です）")
            }
            DateParseError::NoSuchDate { parts } => {
                format!("{}は存在しない日付です", parts.to_ja())
            }
            DateParseError::BeforeEraStart {
                parts,
                era_start,
                western,
            } => {
                let era = parts.era.map_or("", Era::name_ja);
                format!(
                    "{}は{era}の始まり（{}）より前の日付です{}",
                    parts.to_ja(),
                    wareki(*era_start),
                    suggestion(*western)
                )
            }
            DateParseError::AfterEraEnd {
                parts,
                era_last_day,
                western,
            } => {
                let era = parts.era.map_or("", Era::name_ja);
                format!(
                    "{}は{era}の終わり（{}）より後の日付です{}",
                    parts.to_ja(),
                    wareki(*era_last_day),
                    suggestion(*western)
                )
            }
        }
    }
}

/// `"（平成31年4月1日のことでしょうか）"` when `western` has an era, else nothing.
fn suggestion(western: Date) -> String {
    if Era::of(western).is_some() {
        format!("（{}のことでしょうか）", wareki(western))
    } else {
        String::new()
    }
}

/// Parses a date as typed into a Japanese form.
///
/// Accepted (after converting full-width characters such as `２０２５／４／１` and `Ｒ７` to
/// ASCII, and trimming spaces):
///
/// - western: `2025-04-01`, `2025/04/01`, `2025/4/1`, `2025.4.1`, `2025年4月1日`, `20250401`
/// - 和暦 with a letter: `R7.4.1`, `R07.04.01`, `r7/4/1`, `H31-4-30`, `R元.5.1`
/// - 和暦 with the era name: `令和7年4月1日`, `令和元年5月1日`, `平成31年4月30日`,
///   `令和7.4.1`, and the single-character era ligatures `㋿` `㍻` `㍼` `㍽` `㍾`
///
/// A 和暦 date must fall within its era: `R1.4.1` (before 令和 began) and `H31.5.1` (after
/// 平成 ended) are errors.
pub fn parse_date(s: &str) -> Result<Date, DateParseError> {
    let normalised = normalise(s);
    let input = normalised.trim();
    if input.is_empty() {
        return Err(DateParseError::Empty);
    }
    let unrecognised = || DateParseError::UnrecognisedFormat {
        input: input.to_owned(),
    };

    let (era, rest) = split_era(input);
    let mut cur = Cursor::new(rest);
    let parts = match era {
        Some(era) => {
            cur.skip_spaces();
            let year = if cur.eat('元') {
                1
            } else {
                cur.number(1, 2).ok_or_else(unrecognised)?
            };
            let (month, day) = month_day(&mut cur).ok_or_else(unrecognised)?;
            if year == 0 {
                return Err(DateParseError::EraYearZero { era });
            }
            DateParts {
                era: Some(era),
                year: i32::try_from(year).map_err(|_| unrecognised())?,
                month,
                day,
            }
        }
        None => {
            let (year, month, day) = if rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_digit())
            {
                let year = cur.fixed_digits(4).ok_or_else(unrecognised)?;
                let month = cur.fixed_digits(2).ok_or_else(unrecognised)?;
                let day = cur.fixed_digits(2).ok_or_else(unrecognised)?;
                (year, month, day)
            } else {
                let year = cur.number(4, 4).ok_or_else(unrecognised)?;
                let (month, day) = month_day(&mut cur).ok_or_else(unrecognised)?;
                (year, month, day)
            };
            DateParts {
                era: None,
                year: i32::try_from(year).map_err(|_| unrecognised())?,
                month,
                day,
            }
        }
    };

    let western_year = match parts.era {
        Some(era) => era.western_year(parts.year),
        None => parts.year,
    };
    let date = make_date(western_year, parts.month, parts.day)
        .ok_or(DateParseError::NoSuchDate { parts })?;

    if let Some(era) = parts.era {
        if date < era.start() {
            return Err(DateParseError::BeforeEraStart {
                parts,
                era_start: era.start(),
                western: date,
            });
        }
        if let Some(last) = era.last_day()
            && date > last
        {
            return Err(DateParseError::AfterEraEnd {
                parts,
                era_last_day: last,
                western: date,
            });
        }
    }
    Ok(date)
}

fn make_date(year: i32, month: u32, day: u32) -> Option<Date> {
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// Converts full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to ASCII, and
/// the era ligatures (㋿ ㍻ ㍼ ㍽ ㍾) to the era names.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF01}'..='\u{FF5E}' => {
                out.push(char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c));
            }
            '\u{3000}' => out.push(' '),
            '㋿' => out.push_str("令和"),
            '㍻' => out.push_str("平成"),
            '㍼' => out.push_str("昭和"),
            '㍽' => out.push_str("大正"),
            '㍾' => out.push_str("明治"),
            _ => out.push(c),
        }
    }
    out
}

/// Splits off a leading era name (`令和`) or letter (`R`).
fn split_era(input: &str) -> (Option<Era>, &str) {
    for era in Era::ALL {
        if let Some(rest) = input.strip_prefix(era.name_ja()) {
            return (Some(era), rest);
        }
    }
    let mut chars = input.chars();
    if let Some(era) = chars.next().and_then(Era::from_abbrev) {
        return (Some(era), chars.as_str());
    }
    (None, input)
}

/// Parses the part after the year: `年M月D日` (日 optional) or `<sep>M<sep>D` with the same
/// separator (`.`, `/` or `-`) twice. Must consume the rest of the input.
fn month_day(cur: &mut Cursor<'_>) -> Option<(u32, u32)> {
    cur.skip_spaces();
    let sep = cur.next()?;
    let (month, day) = match sep {
        '年' => {
            cur.skip_spaces();
            let month = cur.number(1, 2)?;
            cur.skip_spaces();
            if !cur.eat('月') {
                return None;
            }
            cur.skip_spaces();
            let day = cur.number(1, 2)?;
            cur.skip_spaces();
            cur.eat('日');
            (month, day)
        }
        '.' | '/' | '-' => {
            let month = cur.number(1, 2)?;
            if !cur.eat(sep) {
                return None;
            }
            let day = cur.number(1, 2)?;
            (month, day)
        }
        _ => return None,
    };
    cur.skip_spaces();
    cur.at_end().then_some((month, day))
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(rest: &'a str) -> Self {
        Cursor { rest }
    }

    fn next(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let c = chars.next()?;
        self.rest = chars.as_str();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads exactly `n` ASCII digits, whatever follows.
    fn fixed_digits(&mut self, n: usize) -> Option<u32> {
        let digits = self.rest.get(..n)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.rest = self.rest.get(n..)?;
        digits.parse().ok()
    }

    /// Reads between `min` and `max` ASCII digits (no more digits may follow).
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let len = self
            .rest
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count()
            .min(max);
        if len < min {
            return None;
        }
        let (digits, rest) = self.rest.split_at(len);
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        self.rest = rest;
        digits.parse().ok()
    }
}

/// `YYYY-MM` (the key of monthly records: access-log 監査 reports, account 棚卸) → the
/// month's first day; `None` when it is not a month.
pub fn parse_month(s: &str) -> Option<Date> {
    let (y, m) = s.trim().split_once('-')?;
    Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2025-04"), Some(date(2025, 4, 1)));
        assert_eq!(parse_month(" 2025-4 "), Some(date(2025, 4, 1)));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("2025"), None);
    }

    fn parse_err(s: &str) -> DateParseError {
        match parse_date(s) {
            Err(e) => e,
            Ok(d) => panic!("{s:?} parsed as {d}, expected an error"),
        }
    }

    #[test]
    fn era_boundaries() {
        let cases = [
            (date(1868, 10, 23), "明治元年10月23日"),
            (date(1912, 7, 29), "明治45年7月29日"),
            (date(1912, 7, 30), "大正元年7月30日"),
            (date(1926, 12, 24), "大正15年12月24日"),
            (date(1926, 12, 25), "昭和元年12月25日"),
            (date(1989, 1, 7), "昭和64年1月7日"),
            (date(1989, 1, 8), "平成元年1月8日"),
            (date(2019, 4, 30), "平成31年4月30日"),
            (date(2019, 5, 1), "令和元年5月1日"),
            (date(2020, 1, 1), "令和2年1月1日"),
            (date(2025, 4, 1), "令和7年4月1日"),
        ];
        for (d, want) in cases {
            assert_eq!(wareki(d), want, "{d}");
        }
        assert_eq!(wareki(date(1868, 1, 1)), "1868年1月1日");
        assert_eq!(Era::of(date(1868, 10, 22)), None);
        assert_eq!(Era::Heisei.last_day(), Some(date(2019, 4, 30)));
        assert_eq!(Era::Reiwa.last_day(), None);
    }

    #[test]
    fn wareki_short_form() {
        assert_eq!(wareki_short(date(2025, 4, 1)), "R7.4.1");
        assert_eq!(wareki_short(date(2019, 5, 1)), "R1.5.1");
        assert_eq!(wareki_short(date(1989, 1, 7)), "S64.1.7");
    }

    #[test]
    fn fiscal_year_boundaries() {
        assert_eq!(FiscalYear::of(date(2025, 3, 31)), FiscalYear(2024));
        assert_eq!(FiscalYear::of(date(2025, 4, 1)), FiscalYear(2025));
        assert_eq!(FiscalYear::of(date(2025, 1, 1)), FiscalYear(2024));
        assert_eq!(FiscalYear::of(date(2025, 12, 31)), FiscalYear(2025));
        let fy = FiscalYear(2025);
        assert_eq!(fy.start(), date(2025, 4, 1));
        assert_eq!(fy.end(), date(2026, 3, 31));
        assert!(fy.contains(date(2026, 3, 31)));
        assert!(!fy.contains(date(2026, 4, 1)));
        assert!(!fy.contains(date(2025, 3, 31)));
        assert_eq!(fy.next(), FiscalYear(2026));
        assert_eq!(fy.prev(), FiscalYear(2024));
        // Leap year end: FY2023 ends 2024-03-31 regardless of Feb 29.
        assert_eq!(FiscalYear(2023).end(), date(2024, 3, 31));
    }

    #[test]
    fn fiscal_year_out_of_range_saturates() {
        assert_eq!(FiscalYear(9999).checked_end(), None);
        assert_eq!(FiscalYear(9999).end(), Date::MAX);
        assert_eq!(FiscalYear(i32::MAX).start(), Date::MAX);
        assert_eq!(FiscalYear(i32::MIN).start(), Date::MIN);
        assert_eq!(FiscalYear(i32::MAX).next(), FiscalYear(i32::MAX));
    }

    #[test]
    fn fiscal_year_labels() {
        assert_eq!(FiscalYear(2025).label_ja(), "令和7年度");
        assert_eq!(FiscalYear(2025).label_both(), "令和7年度（2025年度）");
        assert_eq!(FiscalYear(2019).label_ja(), "令和元年度");
        assert_eq!(FiscalYear(2018).label_ja(), "平成30年度");
        assert_eq!(FiscalYear(1989).label_ja(), "平成元年度");
        assert_eq!(FiscalYear(1988).label_ja(), "昭和63年度");
        assert_eq!(FiscalYear(2023).label_both(), "令和5年度（2023年度）");
        assert_eq!(FiscalYear(1867).label_ja(), "1867年度");
        assert_eq!(
            FiscalYear::of(date(2026, 3, 31)).label_ja(),
            FiscalYear::of(date(2025, 4, 1)).label_ja()
        );
    }

    #[test]
    fn parses_western_formats() {
        let want = date(2025, 4, 1);
        for s in [
            "2025-04-01",
            "2025/04/01",
            "2025/4/1",
            "2025.4.1",
            "2025-4-1",
            "2025年4月1日",
            "2025年 4月 1日",
            "20250401",
            " 2025/4/1 ",
            "２０２５／４／１",
            "２０２５－０４－０１",
            "２０２５年４月１日",
            "\u{3000}2025/4/1\u{3000}",
        ] {
            assert_eq!(parse_date(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn parses_wareki_formats() {
        let cases = [
            ("R7.4.1", date(2025, 4, 1)),
            ("R07.04.01", date(2025, 4, 1)),
            ("r7/4/1", date(2025, 4, 1)),
            ("R7-4-1", date(2025, 4, 1)),
            ("Ｒ７．４．１", date(2025, 4, 1)),
            ("令和7年4月1日", date(2025, 4, 1)),
            ("令和７年４月１日", date(2025, 4, 1)),
            ("令和 7年 4月 1日", date(2025, 4, 1)),
            ("令和7年4月1", date(2025, 4, 1)),
            ("令和7.4.1", date(2025, 4, 1)),
            ("㋿7年4月1日", date(2025, 4, 1)),
            ("令和元年5月1日", date(2019, 5, 1)),
            ("R元.5.1", date(2019, 5, 1)),
            ("R1.5.1", date(2019, 5, 1)),
            ("H31.4.30", date(2019, 4, 30)),
            ("平成31年4月30日", date(2019, 4, 30)),
            ("平成元年1月8日", date(1989, 1, 8)),
            ("S64.1.7", date(1989, 1, 7)),
            ("昭和55年1月1日", date(1980, 1, 1)),
            ("㍼55年1月1日", date(1980, 1, 1)),
            ("T15.12.24", date(1926, 12, 24)),
            ("M45.7.29", date(1912, 7, 29)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_date(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn rejects_dates_outside_their_era() {
        let err = parse_err("R1.4.1");
        assert!(
            matches!(err, DateParseError::BeforeEraStart { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.message_ja(),
            "令和元年4月1日は令和の始まり（令和元年5月1日）より前の日付です（平成31年4月1日のことでしょうか）"
        );

        let err = parse_err("平成31年5月1日");
        assert!(matches!(err, DateParseError::AfterEraEnd { .. }), "{err:?}");
        assert_eq!(
            err.message_ja(),
            "平成31年5月1日は平成の終わり（平成31年4月30日）より後の日付です（令和元年5月1日のことでしょうか）"
        );

        assert!(matches!(
            parse_date("H32.1.1"),
            Err(DateParseError::AfterEraEnd { .. })
        ));
        assert!(matches!(
            parse_date("S64.1.8"),
            Err(DateParseError::AfterEraEnd { .. })
        ));
        assert!(matches!(
            parse_date("平成元年1月7日"),
            Err(DateParseError::BeforeEraStart { .. })
        ));
        // Before 明治 there is no era to suggest.
        let err = parse_err("M1.1.1");
        assert_eq!(
            err.message_ja(),
            "明治元年1月1日は明治の始まり（明治元年10月23日）より前の日付です"
        );
        assert!(err.to_string().contains("Meiji"), "{err}");
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2025-02-29",
            "2025/13/1",
            "2025/4/31",
            "2025/0/1",
            "2025/4/0",
            "R7.2.29",
        ] {
            let err = parse_err(s);
            assert!(
                matches!(err, DateParseError::NoSuchDate { .. }),
                "{s}: {err:?}"
            );
        }
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
        assert_eq!(
            parse_err("令和7年2月30日").message_ja(),
            "令和7年2月30日は存在しない日付です"
        );
        assert_eq!(
            parse_date("R0.1.1"),
            Err(DateParseError::EraYearZero { era: Era::Reiwa })
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_date(""), Err(DateParseError::Empty));
        assert_eq!(parse_date(" \u{3000}"), Err(DateParseError::Empty));
        for s in [
            "2025",
            "2025/4",
            "2025/4-1",
            "2025/04/01/",
            "25/4/1",
            "R7",
            "R7.4",
            "R123.4.1",
            "X7.4.1",
            "令和7年4日1月",
            "2025年4月1日です",
            "2025/004/01",
            "2025/4/1 10:00",
            "明日",
            "202541",
        ] {
            let err = parse_err(s);
            assert!(
                matches!(err, DateParseError::UnrecognisedFormat { .. }),
                "{s}: {err:?}"
            );
            assert!(err.message_ja().contains("読み取れません"));
        }
    }

    #[test]
    fn round_trips() {
        // Every day from the start of 明治 to 2100: wareki → parse → same date,
        // and ISO → parse → same date.
        let mut d = Era::Meiji.start();
        let last = date(2100, 12, 31);
        while d <= last {
            assert_eq!(parse_date(&wareki(d)), Ok(d), "{}", wareki(d));
            assert_eq!(parse_date(&wareki_short(d)), Ok(d), "{}", wareki_short(d));
            assert_eq!(parse_date(&d.to_string()), Ok(d), "{d}");
            let Ok(next) = d.tomorrow() else { break };
            d = next;
        }
    }

    #[test]
    fn era_year_display() {
        let ey = EraYear {
            era: Era::Reiwa,
            year: 1,
        };
        assert_eq!(ey.to_string(), "令和元年");
        assert_eq!(EraYear::of(date(2025, 4, 1)).map(|e| e.year), Some(7));
        assert_eq!(Era::Reiwa.western_year(7), 2025);
        assert_eq!(Era::from_abbrev('h'), Some(Era::Heisei));
    }
}
