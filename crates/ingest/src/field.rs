//! Columns (列) of the templates and how cell values are read: headers, yes/no, dates, times
//! and choices (選択肢).

use anzen_core::calendar::parse_date;
use jiff::civil::Date;
use unicode_normalization::UnicodeNormalization;

/// One column of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The canonical Japanese header (見出し), e.g. `資産ID`.
    pub ja: &'static str,
    /// The English alias, e.g. `asset_id`.
    pub en: &'static str,
    /// Whether a value is required (必須).
    pub required: bool,
    /// What may be entered, in Japanese (for the template's 説明 sheet).
    pub allowed: &'static str,
    /// The value in the template's example row.
    pub example: &'static str,
}

/// Normalises a header or choice for comparison: NFKC (full-width → half-width), lower case,
/// without spaces, `_`, `-`, `*` and `※`.
pub(crate) fn fold(s: &str) -> String {
    let keep = |c: &char| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | '※' | '・');
    if s.is_ascii() {
        // NFKC leaves ASCII as it is; skipping it matters on large files (every cell of a
        // choice column is folded).
        return s
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(keep)
            .collect();
    }
    s.nfkc().flat_map(char::to_lowercase).filter(keep).collect()
}

/// The field a header names, by its Japanese name or English alias. `資産ID (asset_id)` and
/// `資産ID（必須）` are recognised too.
pub(crate) fn match_header(fields: &[Field], header: &str) -> Option<usize> {
    let find = |h: &str| {
        let h = fold(h);
        if h.is_empty() {
            return None;
        }
        fields
            .iter()
            .position(|f| fold(f.ja) == h || fold(f.en) == h)
    };
    if let Some(i) = find(header) {
        return Some(i);
    }
    let n: String = header.nfkc().collect();
    let (before, rest) = n.split_once('(')?;
    let inside = rest.split(')').next().unwrap_or_default();
    find(before).or_else(|| find(inside))
}

/// Trims spaces, including the ideographic space (全角スペース).
pub(crate) fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{FEFF}')
}

/// A value from a fixed list (選択肢), accepted in Japanese or English.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in the order listed to users.
    const ALL: &'static [Self];
    /// The Japanese label, e.g. `サーバ`.
    fn ja(self) -> &'static str;
    /// The English name, e.g. `server`.
    fn en(self) -> &'static str;
    /// Other spellings accepted (e.g. `サーバー`).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }

    /// Reads a value typed by a user (full-width and case tolerated).
    fn parse(s: &str) -> Option<Self> {
        // Most files spell the values exactly as listed: find those without normalising
        // (folding every choice for every cell dominated the access-log import).
        let exact = s.trim();
        if let Some(c) = Self::ALL
            .iter()
            .copied()
            .find(|c| c.ja() == exact || c.en() == exact || c.aliases().contains(&exact))
        {
            return Some(c);
        }
        let s = fold(s);
        Self::ALL.iter().copied().find(|c| {
            fold(c.ja()) == s || fold(c.en()) == s || c.aliases().iter().any(|a| fold(a) == s)
        })
    }

    /// `サーバ／端末PC／…` for messages.
    fn list_ja() -> String {
        Self::ALL
            .iter()
            .map(|c| c.ja())
            .collect::<Vec<_>>()
            .join("／")
    }
}

/// Reads a yes/no value (あり/なし, はい/いいえ, yes/no, true/false, 1/0, ○/×).
pub(crate) fn parse_yes_no(s: &str) -> Option<bool> {
    match fold(s).as_str() {
        "あり" | "有" | "有り" | "はい" | "yes" | "y" | "true" | "1" | "○" | "〇" | "◯" | "済"
        | "済み" => Some(true),
        "なし" | "無" | "無し" | "いいえ" | "no" | "n" | "false" | "0" | "×" | "✕" | "x" | "未" => {
            Some(false)
        }
        _ => None,
    }
}

/// `「日付『…』を読めません（例: 2025-04-01、R7.4.1）」` and the like.
pub(crate) fn parse_day(s: &str) -> Result<Date, String> {
    // A date-time such as `2025-04-01 09:30` (e.g. 最終ログイン) counts as its date in JST.
    if split_date_time(s).is_some()
        && let Ok(us) = parse_time(s)
    {
        return jiff::Timestamp::from_microsecond(us)
            .map(|t| t.to_zoned(jst()).date())
            .map_err(|_| format!("日付『{s}』を読めません（例: 2025-04-01、R7.4.1）"));
    }
    parse_date(s).map_err(|e| match e {
        anzen_core::calendar::DateParseError::UnrecognisedFormat { .. }
        | anzen_core::calendar::DateParseError::Empty => {
            format!("日付『{s}』を読めません（例: 2025-04-01、R7.4.1）")
        }
        anzen_core::calendar::DateParseError::NoSuchDate { .. } => {
            format!(
                "日付『{s}』を読めません（例: 2025-04-01、R7.4.1）: {}",
                e.message_ja()
            )
        }
        other => format!("日付『{s}』を読めません: {}", other.message_ja()),
    })
}

/// A time bound for searches: a date-time as in the アクセスログ template (JST without an
/// offset), or a date alone meaning its start (00:00 JST). Microseconds since the epoch.
pub fn parse_time_bound(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if split_date_time(s).is_some() || s.parse::<jiff::Timestamp>().is_ok() {
        return parse_time(s);
    }
    let d = parse_day(s)?;
    d.to_zoned(jst())
        .map(|z| z.timestamp().as_microsecond())
        .map_err(|_| format!("日付『{s}』を読めません"))
}

pub(crate) fn jst() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(9))
}

/// Splits `2025-04-01 09:30` / `2025-04-01T09:30` into date and time text.
fn split_date_time(s: &str) -> Option<(&str, &str)> {
    let i = s.find([' ', 'T', 't'])?;
    let (d, t) = s.split_at(i);
    let t = t.get(1..)?.trim_start();
    t.starts_with(|c: char| c.is_ascii_digit())
        .then_some((d, t))
}

/// Reads a time (日時) as UTC microseconds: RFC 3339 (`2025-04-01T09:30:00+09:00`, `…Z`),
/// or `YYYY-MM-DD HH:MM[:SS[.fff]]` (any date spelling `parse_date` accepts) taken as JST.
pub(crate) fn parse_time(raw: &str) -> Result<i64, String> {
    let bad = || {
        format!("日時『{raw}』を読めません（例: 2025-04-01 09:30:00、2025-04-01T09:30:00+09:00）")
    };
    // NFKC (full-width digits) only where it can change something.
    let s: std::borrow::Cow<'_, str> = if raw.is_ascii() {
        raw.into()
    } else {
        raw.nfkc().collect::<String>().into()
    };
    let s = clean(&s);
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond());
    }
    let (date, time) = split_date_time(s).ok_or_else(bad)?;
    let date = parse_date(date).map_err(|_| bad())?;
    let time = parse_clock(time).ok_or_else(bad)?;
    let dt = date.to_datetime(time);
    let zoned = dt.to_zoned(jst()).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_microsecond())
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction`.
fn parse_clock(s: &str) -> Option<jiff::civil::Time> {
    let mut parts = s.splitn(3, ':');
    let h: i8 = num(parts.next()?, 2)?;
    let m: i8 = num(parts.next()?, 2)?;
    let (sec, nanos) = match parts.next() {
        None => (0, 0),
        Some(rest) => {
            let (sec, frac) = rest.split_once('.').unwrap_or((rest, ""));
            let sec: i8 = num(sec, 2)?;
            if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
                return None;
            }
            let nanos = if frac.is_empty() {
                0
            } else {
                let padded = format!("{frac:0<9}");
                padded.parse::<i32>().ok()?
            };
            (sec, nanos)
        }
    };
    jiff::civil::Time::new(h, m, sec, nanos).ok()
}

fn num(s: &str, max_len: usize) -> Option<i8> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
