//! The syslog message parser: RFC 5424 and RFC 3164 (BSD), detected per message.
//!
//! Pure and allocation-light: a [`Message`] borrows every field from the input bytes; the
//! only allocations are the structured-data index (when the message has structured data)
//! and SD-PARAM values that contain escapes. Never panics, whatever the input.

use std::borrow::Cow;
use std::fmt;

/// Which syslog format a message was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 5424 (`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`).
    Rfc5424,
    /// RFC 3164, the BSD format (`<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`).
    Rfc3164,
}

/// One SD-PARAM of an SD-ELEMENT (`name="value"`), the value unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdParam<'a> {
    /// PARAM-NAME.
    pub name: &'a str,
    /// PARAM-VALUE with `\"`, `\\` and `\]` unescaped (borrowed when there were none).
    pub value: Cow<'a, str>,
}

/// STRUCTURED-DATA (構造化データ): the SD-ELEMENTs in order, as a flat index so that a
/// message with several elements costs two allocations, not one per element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StructuredData<'a> {
    /// (SD-ID, start, end) into `params`.
    elements: Vec<(&'a str, usize, usize)>,
    params: Vec<SdParam<'a>>,
}

/// One SD-ELEMENT, borrowed from [`StructuredData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdElement<'m, 'a> {
    /// SD-ID, e.g. `timeQuality` or `access@32473`.
    pub id: &'a str,
    /// Its SD-PARAMs in order.
    pub params: &'m [SdParam<'a>],
}

impl<'a> StructuredData<'a> {
    /// Whether the message had no structured data (NILVALUE `-`).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The SD-ELEMENTs in order.
    pub fn elements(&self) -> impl Iterator<Item = SdElement<'_, 'a>> + Clone + '_ {
        self.elements.iter().map(|&(id, s, e)| SdElement {
            id,
            params: self.params.get(s..e).unwrap_or_default(),
        })
    }

    /// The first element with this SD-ID.
    pub fn element(&self, id: &str) -> Option<SdElement<'_, 'a>> {
        self.elements().find(|e| e.id == id)
    }
}

impl<'a> SdElement<'_, 'a> {
    /// The value of the first SD-PARAM with this name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_ref())
    }
}

/// A parsed syslog message, borrowing from the received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The format it was written in.
    pub format: Format,
    /// Facility (PRI / 8), 0–23.
    pub facility: u8,
    /// Severity (PRI % 8), 0–7.
    pub severity: u8,
    /// TIMESTAMP as microseconds since the epoch (UTC). `None` for the NILVALUE or a BSD
    /// message without a timestamp.
    pub timestamp_us: Option<i64>,
    /// HOSTNAME (`None` for `-` or when absent).
    pub hostname: Option<&'a str>,
    /// APP-NAME, or the BSD TAG.
    pub app_name: Option<&'a str>,
    /// PROCID, or the BSD `[pid]`.
    pub procid: Option<&'a str>,
    /// MSGID (RFC 5424 only).
    pub msgid: Option<&'a str>,
    /// STRUCTURED-DATA (RFC 5424 only).
    pub structured_data: StructuredData<'a>,
    /// MSG, with a leading BOM removed. Any bytes: the mapping decides the encoding.
    pub msg: &'a [u8],
    /// MSG began with the UTF-8 BOM (then it is UTF-8 by RFC 5424's contract).
    pub msg_bom: bool,
}

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing but whitespace.
    Empty,
    /// No `<PRI>` at the start.
    NoPri,
    /// `<PRI>` present but not a number 0–191.
    BadPri,
    /// An RFC 5424 VERSION other than 1.
    UnsupportedVersion(u16),
    /// A header field is missing, too long or has characters outside printable ASCII.
    BadHeader(HeaderField),
    /// The TIMESTAMP is not an RFC 3339 date-time.
    BadTimestamp,
    /// STRUCTURED-DATA is malformed (what was wrong, in Japanese).
    BadStructuredData(&'static str),
}

/// A header field of RFC 5424 (for [`ParseError::BadHeader`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderField {
    /// TIMESTAMP
    Timestamp,
    /// HOSTNAME
    Hostname,
    /// APP-NAME
    AppName,
    /// PROCID
    ProcId,
    /// MSGID
    MsgId,
    /// the space between STRUCTURED-DATA and MSG
    MsgSeparator,
}

impl HeaderField {
    fn name(self) -> &'static str {
        match self {
            HeaderField::Timestamp => "TIMESTAMP",
            HeaderField::Hostname => "HOSTNAME",
            HeaderField::AppName => "APP-NAME",
            HeaderField::ProcId => "PROCID",
            HeaderField::MsgId => "MSGID",
            HeaderField::MsgSeparator => "STRUCTURED-DATA と MSG の区切り",
        }
    }

    /// The longest value RFC 5424 allows.
    fn max_len(self) -> usize {
        match self {
            HeaderField::Hostname => 255,
            HeaderField::AppName => 48,
            HeaderField::ProcId => 128,
            HeaderField::MsgId => 32,
            HeaderField::Timestamp | HeaderField::MsgSeparator => 64,
        }
    }
}

impl ParseError {
    /// A short machine-readable code (counters, logs).
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty",
            ParseError::NoPri | ParseError::BadPri => "bad_pri",
            ParseError::UnsupportedVersion(_) => "bad_version",
            ParseError::BadHeader(_) => "bad_header",
            ParseError::BadTimestamp => "bad_timestamp",
            ParseError::BadStructuredData(_) => "bad_structured_data",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "空のメッセージです"),
            ParseError::NoPri => write!(
                f,
                "先頭に <PRI>（例: <13>）がありません。syslog の形式（RFC 5424 / RFC 3164）ではありません"
            ),
            ParseError::BadPri => write!(f, "<PRI> が 0〜191 の数値ではありません"),
            ParseError::UnsupportedVersion(v) => write!(
                f,
                "RFC 5424 のバージョン {v} には対応していません（1 のみ）"
            ),
            ParseError::BadHeader(h) => write!(
                f,
                "RFC 5424 のヘッダーの {} がない、長すぎる、または ASCII 以外の文字を含みます",
                h.name()
            ),
            ParseError::BadTimestamp => write!(
                f,
                "TIMESTAMP が RFC 3339 の日時（例: 2025-04-01T09:30:00+09:00）ではありません"
            ),
            ParseError::BadStructuredData(why) => {
                write!(f, "STRUCTURED-DATA の形式が正しくありません（{why}）")
            }
        }
    }
}

impl std::error::Error for ParseError {}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const MICROS_PER_SEC: i64 = 1_000_000;
/// 日本標準時 (UTC+9), for BSD timestamps that carry no zone.
const JST_OFFSET_SECS: i32 = 9 * 3600;

/// Parses one syslog message. `now_us` (UTC microseconds) supplies the year of an RFC 3164
/// timestamp, which has none: the year that puts the timestamp closest to `now_us` is taken,
/// and the time is read as JST (日本標準時).
///
/// A message whose PRI is followed by a version number and a space (`<13>1 `) is RFC 5424;
/// anything else after a valid PRI is read as RFC 3164, leniently, as RFC 3164 asks of a
/// receiver (missing timestamp, hostname or tag are allowed). Trailing CR, LF and NUL are
/// ignored.
pub fn parse(input: &[u8], now_us: i64) -> Result<Message<'_>, ParseError> {
    let input = trim_end(input);
    let start = input
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0))
        .ok_or(ParseError::Empty)?;
    let input = input.get(start..).unwrap_or_default();
    let (pri, rest) = pri(input)?;
    let facility = pri / 8;
    let severity = pri % 8;
    if let Some((version, after)) = version(rest) {
        if version != 1 {
            return Err(ParseError::UnsupportedVersion(version));
        }
        parse_5424(facility, severity, after)
    } else {
        Ok(parse_3164(facility, severity, rest, now_us))
    }
}

fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if matches!(last, b'\n' | b'\r' | 0) {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// `<PRI>`: 1–3 digits, at most 191.
fn pri(b: &[u8]) -> Result<(u8, &[u8]), ParseError> {
    let rest = b.strip_prefix(b"<").ok_or(ParseError::NoPri)?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 || rest.get(digits) != Some(&b'>') {
        return Err(if digits == 0 && rest.first() != Some(&b'>') {
            ParseError::NoPri
        } else {
            ParseError::BadPri
        });
    }
    let value = rest
        .get(..digits)
        .unwrap_or_default()
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let pri = u8::try_from(value)
        .ok()
        .filter(|v| *v <= 191)
        .ok_or(ParseError::BadPri)?;
    Ok((pri, rest.get(digits + 1..).unwrap_or_default()))
}

/// RFC 5424 VERSION followed by a space: `1 `.
fn version(b: &[u8]) -> Option<(u16, &[u8])> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || b.first() == Some(&b'0') || b.get(digits) != Some(&b' ') {
        return None;
    }
    let v = b
        .get(..digits)?
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    Some((v, b.get(digits + 1..)?))
}

/// The next space-separated header token (1*PRINTUSASCII, at most `field.max_len()`),
/// `None` for the NILVALUE.
fn token(b: &[u8], field: HeaderField) -> Result<(Option<&str>, &[u8]), ParseError> {
    let len = b.iter().position(|c| *c == b' ').unwrap_or(b.len());
    let tok = b.get(..len).unwrap_or_default();
    if tok.is_empty() || tok.len() > field.max_len() || !tok.iter().all(|c| (33..=126).contains(c))
    {
        return Err(ParseError::BadHeader(field));
    }
    // Printable ASCII is UTF-8.
    let tok = std::str::from_utf8(tok).map_err(|_| ParseError::BadHeader(field))?;
    let rest = b.get(len..).unwrap_or_default();
    Ok(((tok != "-").then_some(tok), rest))
}

/// Skips the single space after a header field; it must be there.
fn space(b: &[u8], next: HeaderField) -> Result<&[u8], ParseError> {
    b.strip_prefix(b" ").ok_or(ParseError::BadHeader(next))
}

fn parse_5424(facility: u8, severity: u8, b: &[u8]) -> Result<Message<'_>, ParseError> {
    let (ts, b) = token(b, HeaderField::Timestamp)?;
    let timestamp_us = match ts {
        None => None,
        Some(t) => Some(rfc3339(t.as_bytes()).ok_or(ParseError::BadTimestamp)?),
    };
    let b = space(b, HeaderField::Hostname)?;
    let (hostname, b) = token(b, HeaderField::Hostname)?;
    let b = space(b, HeaderField::AppName)?;
    let (app_name, b) = token(b, HeaderField::AppName)?;
    let b = space(b, HeaderField::ProcId)?;
    let (procid, b) = token(b, HeaderField::ProcId)?;
    let b = space(b, HeaderField::MsgId)?;
    let (msgid, b) = token(b, HeaderField::MsgId)?;
    let b = b.strip_prefix(b" ").ok_or(ParseError::BadStructuredData(
        "ヘッダーの後に STRUCTURED-DATA がありません",
    ))?;
    let (structured_data, b) = structured_data(b)?;
    let (msg, msg_bom) = match b {
        [] => (&b""[..], false),
        [b' ', rest @ ..] => match rest.strip_prefix(BOM) {
            Some(m) => (m, true),
            None => (rest, false),
        },
        _ => return Err(ParseError::BadHeader(HeaderField::MsgSeparator)),
    };
    Ok(Message {
        format: Format::Rfc5424,
        facility,
        severity,
        timestamp_us,
        hostname,
        app_name,
        procid,
        msgid,
        structured_data,
        msg,
        msg_bom,
    })
}

/// SD-NAME: 1–32 printable ASCII except `=`, space, `]` and `"`.
fn sd_name(b: &[u8]) -> Option<(&str, &[u8])> {
    let len = b
        .iter()
        .take_while(|c| (33..=126).contains(*c) && !matches!(c, b'=' | b']' | b'"'))
        .count();
    if len == 0 || len > 32 {
        return None;
    }
    let name = std::str::from_utf8(b.get(..len)?).ok()?;
    Some((name, b.get(len..)?))
}

fn structured_data(b: &[u8]) -> Result<(StructuredData<'_>, &[u8]), ParseError> {
    let mut sd = StructuredData::default();
    if let Some(rest) = b.strip_prefix(b"-") {
        return Ok((sd, rest));
    }
    let mut b = b;
    if b.first() != Some(&b'[') {
        return Err(ParseError::BadStructuredData(
            "「-」または「[」で始まっていません",
        ));
    }
    while let Some(rest) = b.strip_prefix(b"[") {
        let (id, mut rest) = sd_name(rest).ok_or(ParseError::BadStructuredData(
            "SD-ID がない、長すぎる、または使えない文字を含みます",
        ))?;
        let start = sd.params.len();
        loop {
            match rest {
                [b']', after @ ..] => {
                    rest = after;
                    break;
                }
                [b' ', after @ ..] => {
                    let (name, after) = sd_name(after).ok_or(ParseError::BadStructuredData(
                        "PARAM-NAME がない、長すぎる、または使えない文字を含みます",
                    ))?;
                    let after = after
                        .strip_prefix(b"=\"")
                        .ok_or(ParseError::BadStructuredData(
                            "PARAM-NAME の後に =\" がありません",
                        ))?;
                    let (value, after) = param_value(after)?;
                    sd.params.push(SdParam { name, value });
                    rest = after;
                }
                [] => {
                    return Err(ParseError::BadStructuredData(
                        "SD-ELEMENT が「]」で閉じていません",
                    ));
                }
                _ => {
                    return Err(ParseError::BadStructuredData(
                        "SD-PARAM の前に空白がありません",
                    ));
                }
            }
        }
        sd.elements.push((id, start, sd.params.len()));
        b = rest;
    }
    Ok((sd, b))
}

/// PARAM-VALUE up to the closing unescaped `"`. `\"`, `\\` and `\]` are unescaped; any
/// other backslash is kept as written (RFC 5424 section 6.3.3).
fn param_value(b: &[u8]) -> Result<(Cow<'_, str>, &[u8]), ParseError> {
    let mut i = 0;
    let mut escaped = false;
    loop {
        match b.get(i) {
            None => {
                return Err(ParseError::BadStructuredData(
                    "PARAM-VALUE が「\"」で閉じていません",
                ));
            }
            Some(b'"') => break,
            Some(b'\\') => {
                if matches!(b.get(i + 1), Some(b'"' | b'\\' | b']')) {
                    escaped = true;
                    i += 1;
                }
            }
            Some(_) => {}
        }
        i += 1;
    }
    let raw = b.get(..i).unwrap_or_default();
    let rest = b.get(i + 1..).unwrap_or_default();
    let text = std::str::from_utf8(raw)
        .map_err(|_| ParseError::BadStructuredData("PARAM-VALUE が UTF-8 ではありません"))?;
    if !escaped {
        return Ok((Cow::Borrowed(text), rest));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && matches!(n, '"' | '\\' | ']')
        {
            out.push(n);
            chars.next();
        } else {
            out.push(c);
        }
    }
    Ok((Cow::Owned(out), rest))
}

fn digits_n(b: &[u8], n: usize) -> Option<i32> {
    let d = b.get(..n)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0i32, |v, c| v * 10 + i32::from(c - b'0')))
}

fn i8_of(v: i32) -> Option<i8> {
    i8::try_from(v).ok()
}

/// `HH:MM:SS[.frac]` → (h, m, s, nanos, rest). A leap second (`60`) is read as `59`.
fn clock(b: &[u8]) -> Option<(i8, i8, i8, i32, &[u8])> {
    let h = i8_of(digits_n(b, 2)?)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let m = i8_of(digits_n(b.get(3..)?, 2)?)?;
    if b.get(5) != Some(&b':') {
        return None;
    }
    let s = i8_of(digits_n(b.get(6..)?, 2)?)?.min(59);
    let mut rest = b.get(8..)?;
    let mut nanos = 0i32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // RFC 5424 allows 6 digits; more are accepted and cut to nanoseconds.
        let mut scale = 100_000_000i32;
        for c in frac.iter().take(n.min(9)) {
            nanos += i32::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = frac.get(n..)?;
    }
    Some((h, m, s, nanos, rest))
}

fn civil(y: i32, mo: i32, d: i32, h: i8, mi: i8, s: i8, ns: i32) -> Option<jiff::civil::DateTime> {
    let y = i16::try_from(y).ok()?;
    jiff::civil::DateTime::new(y, i8_of(mo)?, i8_of(d)?, h, mi, s, ns).ok()
}

fn to_us(dt: jiff::civil::DateTime, offset_secs: i32) -> Option<i64> {
    let offset = jiff::tz::Offset::from_seconds(offset_secs).ok()?;
    let ts = offset.to_timestamp(dt).ok()?;
    Some(ts.as_microsecond())
}

/// An RFC 3339 date-time (`2025-04-01T09:30:00.123+09:00`, `…Z`) as UTC microseconds.
/// A lower-case `t`/`z` and a space between date and time are tolerated.
pub fn rfc3339(b: &[u8]) -> Option<i64> {
    let (dt, rest) = date_time(b)?;
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tz @ ..] if tz.len() == 5 && tz.get(2) == Some(&b':') => {
            let h = digits_n(tz, 2)?;
            let m = digits_n(tz.get(3..)?, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 60 + m) * 60;
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    to_us(dt, offset)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.frac]` without an offset, read as JST (as the file import
/// reads times without an offset).
pub(crate) fn local_jst(b: &[u8]) -> Option<i64> {
    match date_time(b)? {
        (dt, []) => to_us(dt, JST_OFFSET_SECS),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.frac]` and what follows.
fn date_time(b: &[u8]) -> Option<(jiff::civil::DateTime, &[u8])> {
    let y = digits_n(b, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mo = digits_n(b.get(5..)?, 2)?;
    let d = digits_n(b.get(8..)?, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, mi, s, ns, rest) = clock(b.get(11..)?)?;
    Some((civil(y, mo, d, h, mi, s, ns)?, rest))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A BSD timestamp `Mmm dd hh:mm:ss` (also `Mmm d`, `Mmm dd yyyy hh:mm:ss` and a fraction),
/// or an RFC 3339 one as rsyslog writes with its high-precision template, followed by a
/// space or the end. Returns the time (UTC microseconds) and the rest after the space.
fn bsd_timestamp(b: &[u8], now_us: i64) -> Option<(i64, &[u8])> {
    if b.first().is_some_and(u8::is_ascii_digit) {
        let len = b.iter().position(|c| *c == b' ').unwrap_or(b.len());
        let us = rfc3339(b.get(..len)?)?;
        return Some((us, b.get(len..)?.strip_prefix(b" ").unwrap_or_default()));
    }
    let mon = b.get(..3)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(mon))
        .and_then(|i| i32::try_from(i + 1).ok())?;
    let mut rest = b.get(3..)?;
    let spaces = rest.iter().take_while(|c| **c == b' ').count();
    if spaces == 0 {
        return None;
    }
    rest = rest.get(spaces..)?;
    let dd = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&dd) || rest.get(dd) != Some(&b' ') {
        return None;
    }
    let day = digits_n(rest, dd)?;
    rest = rest.get(dd + 1..)?;
    let mut year = None;
    if rest.get(4) == Some(&b' ') && digits_n(rest, 4).is_some() {
        year = digits_n(rest, 4);
        rest = rest.get(5..)?;
    }
    let (h, mi, s, ns, after) = clock(rest)?;
    let after = match after {
        [] => after,
        [b' ', tail @ ..] => tail,
        _ => return None,
    };
    let us = match year {
        Some(y) => to_us(civil(y, month, day, h, mi, s, ns)?, JST_OFFSET_SECS)?,
        None => nearest_year(month, day, h, mi, s, ns, now_us)?,
    };
    Some((us, after))
}

/// The BSD timestamp read in JST in the year (now's year in JST, or one either side) that
/// puts it closest to `now_us` — so a December message received on 1 January is last year.
fn nearest_year(mo: i32, d: i32, h: i8, mi: i8, s: i8, ns: i32, now_us: i64) -> Option<i64> {
    let now_secs = now_us.div_euclid(MICROS_PER_SEC) + i64::from(JST_OFFSET_SECS);
    // Days since the epoch → civil year (good enough: ±1 year is searched anyway).
    let approx_year = 1970 + i32::try_from(now_secs.div_euclid(86_400 * 365)).ok()?;
    let mut best: Option<i64> = None;
    for y in approx_year - 2..=approx_year + 1 {
        let Some(us) = civil(y, mo, d, h, mi, s, ns).and_then(|dt| to_us(dt, JST_OFFSET_SECS))
        else {
            continue;
        };
        if best.is_none_or(|b| us.abs_diff(now_us) < b.abs_diff(now_us)) {
            best = Some(us);
        }
    }
    best
}

/// A BSD TAG: 1–48 characters of `[A-Za-z0-9_.\-/]` (RFC 3164 says alphanumeric and at
/// most 32; real programs use more) ended by `[pid]` and/or `:`.
fn tag(b: &[u8]) -> Option<(&str, Option<&str>, &[u8])> {
    let len = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
        .count();
    if len == 0 || len > 48 {
        return None;
    }
    let name = std::str::from_utf8(b.get(..len)?).ok()?;
    let mut rest = b.get(len..)?;
    let mut pid = None;
    if let Some(p) = rest.strip_prefix(b"[") {
        let plen = p.iter().position(|c| *c == b']')?;
        let id = p.get(..plen)?;
        if id.is_empty() || id.len() > 128 || !id.iter().all(|c| (33..=126).contains(c)) {
            return None;
        }
        pid = Some(std::str::from_utf8(id).ok()?);
        rest = p.get(plen + 1..)?;
        rest = rest.strip_prefix(b":").unwrap_or(rest);
    } else {
        rest = rest.strip_prefix(b":")?;
    }
    Some((name, pid, rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// A HOSTNAME candidate: printable ASCII up to a space, not looking like a tag.
fn hostname(b: &[u8]) -> Option<(&str, &[u8])> {
    let len = b.iter().position(|c| *c == b' ')?;
    let h = b.get(..len)?;
    if h.is_empty()
        || h.len() > 255
        || !h.iter().all(|c| (33..=126).contains(c))
        || h.ends_with(b":")
        || h.contains(&b'[')
    {
        return None;
    }
    Some((std::str::from_utf8(h).ok()?, b.get(len + 1..)?))
}

/// RFC 3164, leniently: what cannot be recognised as TIMESTAMP, HOSTNAME or TAG stays in
/// MSG (RFC 3164 4.3.3: without a valid timestamp the whole is CONTENT).
fn parse_3164(facility: u8, severity: u8, b: &[u8], now_us: i64) -> Message<'_> {
    let mut m = Message {
        format: Format::Rfc3164,
        facility,
        severity,
        timestamp_us: None,
        hostname: None,
        app_name: None,
        procid: None,
        msgid: None,
        structured_data: StructuredData::default(),
        msg: b,
        msg_bom: false,
    };
    let mut rest = b;
    // Some devices put a space after the PRI (`<13> Nov 22 …`).
    let spaced = b.get(b.iter().take_while(|c| **c == b' ').count()..);
    if let Some((us, after)) = spaced.and_then(|s| bsd_timestamp(s, now_us)) {
        m.timestamp_us = Some(us);
        rest = after;
        if let Some((h, after)) = hostname(rest) {
            // `host tag: msg` — but `tag msg` without a colon is text, so a hostname is
            // taken only when a tag follows it, or when nothing tag-like is there at all.
            if tag(after).is_some() || tag(rest).is_none() {
                m.hostname = Some(h);
                rest = after;
            }
        }
    }
    if let Some((name, pid, after)) = tag(rest) {
        m.app_name = Some(name);
        m.procid = pid;
        rest = after;
    }
    m.msg = match rest.strip_prefix(BOM) {
        Some(r) => {
            m.msg_bom = true;
            r
        }
        None => rest,
    };
    m
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// 2026-11-22T00:00:00Z
    const NOW: i64 = 1_795_305_600_000_000;

    fn us(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    #[test]
    fn now_constant_is_what_it_says() {
        assert_eq!(us("2026-11-22T00:00:00Z"), NOW);
    }

    // RFC 5424 section 6.5, examples 1–4.
    #[test]
    fn rfc5424_example_1_no_structured_data_bom_msg() {
        let raw = b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8";
        let m = parse(raw, NOW).unwrap();
        assert_eq!(m.format, Format::Rfc5424);
        assert_eq!((m.facility, m.severity), (4, 2));
        assert_eq!(m.timestamp_us, Some(us("2003-10-11T22:14:15.003Z")));
        assert_eq!(m.hostname, Some("mymachine.example.com"));
        assert_eq!(m.app_name, Some("su"));
        assert_eq!(m.procid, None);
        assert_eq!(m.msgid, Some("ID47"));
        assert!(m.structured_data.is_empty());
        assert!(m.msg_bom);
        assert_eq!(m.msg, b"'su root' failed for lonvick on /dev/pts/8");
    }

    #[test]
    fn rfc5424_example_2_offset_and_no_bom() {
        let raw = b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.";
        let m = parse(raw, NOW).unwrap();
        assert_eq!((m.facility, m.severity), (20, 5));
        assert_eq!(m.timestamp_us, Some(us("2003-08-24T12:14:15.000003Z")));
        assert_eq!(m.hostname, Some("192.0.2.1"));
        assert_eq!(m.procid, Some("8710"));
        assert_eq!(m.msgid, None);
        assert!(!m.msg_bom);
        assert_eq!(m.msg, b"%% It's time to make the do-nuts.");
    }

    #[test]
    fn rfc5424_example_3_structured_data_and_msg() {
        let raw = br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry..."#;
        let m = parse(raw, NOW).unwrap();
        let e = m.structured_data.element("exampleSDID@32473").unwrap();
        assert_eq!(e.param("iut"), Some("3"));
        assert_eq!(e.param("eventSource"), Some("Application"));
        assert_eq!(e.param("eventID"), Some("1011"));
        assert_eq!(m.msg, b"An application event log entry...");
    }

    #[test]
    fn rfc5424_example_4_two_elements_no_msg() {
        let raw = br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#;
        let m = parse(raw, NOW).unwrap();
        let ids: Vec<_> = m.structured_data.elements().map(|e| e.id).collect();
        assert_eq!(ids, ["exampleSDID@32473", "examplePriority@32473"]);
        assert_eq!(
            m.structured_data
                .element("examplePriority@32473")
                .unwrap()
                .param("class"),
            Some("high")
        );
        assert_eq!(m.msg, b"");
    }

    #[test]
    fn nilvalues_everywhere() {
        let m = parse(b"<0>1 - - - - - -", NOW).unwrap();
        assert_eq!(m.timestamp_us, None);
        assert_eq!(
            (m.hostname, m.app_name, m.procid, m.msgid),
            (None, None, None, None)
        );
        assert_eq!(m.msg, b"");
    }

    #[test]
    fn escapes_in_param_values() {
        let raw = br#"<13>1 - h a - - [x@1 v="a\"b\\c\]d\e" w="]"] m"#;
        let m = parse(raw, NOW).unwrap();
        let e = m.structured_data.element("x@1").unwrap();
        assert_eq!(e.param("v"), Some(r#"a"b\c]d\e"#));
        assert_eq!(e.param("w"), Some("]"));
        assert!(matches!(e.params[0].value, Cow::Owned(_)));
        assert!(matches!(e.params[1].value, Cow::Borrowed(_)));
        assert_eq!(m.msg, b"m");
    }

    #[test]
    fn element_without_params_and_japanese_values() {
        let raw = "<13>1 2026-11-22T13:22:37.709053+09:00 vm emr - - [timeQuality tzKnown=\"1\" isSynced=\"0\"][access@32473 user=\"u1\" action=\"閲覧\"][empty@1] hello".as_bytes();
        let m = parse(raw, NOW).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2026-11-22T04:22:37.709053Z")));
        let e = m.structured_data.element("access@32473").unwrap();
        assert_eq!(e.param("action"), Some("閲覧"));
        assert!(
            m.structured_data
                .element("empty@1")
                .unwrap()
                .params
                .is_empty()
        );
        assert_eq!(m.msg, b"hello");
    }

    #[test]
    fn malformed_5424_is_an_error_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"   \r\n", "empty"),
            (b"hello", "bad_pri"),
            (b"<>1 - - - - - -", "bad_pri"),
            (b"<192>1 - - - - - -", "bad_pri"),
            (b"<1234>1 - - - - - -", "bad_pri"),
            (b"<13>2 - - - - - -", "bad_version"),
            (b"<13>1 2025-13-01T00:00:00Z h a - - -", "bad_timestamp"),
            (b"<13>1 2025-04-01T09:30:00 h a - - -", "bad_timestamp"),
            (b"<13>1 - h a - -", "bad_structured_data"),
            (b"<13>1 - h a - - [x@1 a=\"b\"", "bad_structured_data"),
            (b"<13>1 - h a - - [x@1 a=b]", "bad_structured_data"),
            (b"<13>1 - h a - - [x@1 a=\"\xff\"]", "bad_structured_data"),
            (b"<13>1 - h a - - x", "bad_structured_data"),
            (b"<13>1 - h a - - -x", "bad_header"),
            (b"<13>1 -  h a - - -", "bad_header"),
            (b"<13>1 - h\xe3\x81\x82 a - - -", "bad_header"),
        ];
        for (raw, code) in cases {
            let e = parse(raw, NOW).unwrap_err();
            assert_eq!(e.code(), *code, "{}", String::from_utf8_lossy(raw));
            assert!(!e.to_string().is_empty());
        }
        let long_app = format!("<13>1 - h {} - - -", "a".repeat(49));
        assert_eq!(
            parse(long_app.as_bytes(), NOW).unwrap_err(),
            ParseError::BadHeader(HeaderField::AppName)
        );
    }

    // RFC 3164 section 5.4 examples (times read as JST in the year nearest to NOW).
    #[test]
    fn rfc3164_examples() {
        let m = parse(
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            NOW,
        )
        .unwrap();
        assert_eq!(m.format, Format::Rfc3164);
        assert_eq!((m.facility, m.severity), (4, 2));
        assert_eq!(m.timestamp_us, Some(us("2026-10-11T22:14:15+09:00")));
        assert_eq!(m.hostname, Some("mymachine"));
        assert_eq!(m.app_name, Some("su"));
        assert_eq!(m.msg, b"'su root' failed for lonvick on /dev/pts/8");

        // No timestamp: everything is content.
        let m = parse(b"<13>Use the BFG!", NOW).unwrap();
        assert_eq!(m.timestamp_us, None);
        assert_eq!(m.hostname, None);
        assert_eq!(m.msg, b"Use the BFG!");

        let m = parse(
            b"<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.",
            NOW,
        )
        .unwrap();
        assert_eq!(m.hostname, Some("CST"));
        assert_eq!(m.app_name, None);
        assert_eq!(
            m.msg,
            b"1987 mymachine myproc[10]: %% It's time to make the do-nuts."
        );

        let m = parse(b"<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!", NOW).unwrap();
        assert_eq!(m.hostname, Some("scapegoat"));
    }

    #[test]
    fn logger_rfc3164_output() {
        let raw = "<13>Nov 22 13:22:37 vm emr: user=u1 patient=P1 action=閲覧\n".as_bytes();
        let m = parse(raw, NOW).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2026-11-22T04:22:37Z")));
        assert_eq!(m.hostname, Some("vm"));
        assert_eq!(m.app_name, Some("emr"));
        assert_eq!(m.msg, "user=u1 patient=P1 action=閲覧".as_bytes());
    }

    #[test]
    fn rfc3164_variants() {
        // Space-padded day, pid, no hostname.
        let m = parse(b"<13>Jan  5 01:02:03 sshd[42]: hi", NOW).unwrap();
        assert_eq!(m.hostname, None);
        assert_eq!(m.app_name, Some("sshd"));
        assert_eq!(m.procid, Some("42"));
        assert_eq!(m.msg, b"hi");
        // January received in late November: this coming January is closer than the last.
        assert_eq!(m.timestamp_us, Some(us("2027-01-05T01:02:03+09:00")));
        // With a year and a fraction.
        let m = parse(b"<13>Mar 1 2024 10:00:00.250 host app: x", NOW).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2024-03-01T10:00:00.25+09:00")));
        assert_eq!(m.hostname, Some("host"));
        // RFC 3339 timestamp (rsyslog high precision).
        let m = parse(b"<13>2025-04-01T09:30:00+09:00 host app: x", NOW).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2025-04-01T00:30:00Z")));
        assert_eq!(m.app_name, Some("app"));
        // A space after the PRI.
        let m = parse(b"<13> Nov 22 10:00:00 host app: x", NOW).unwrap();
        assert_eq!((m.hostname, m.app_name), (Some("host"), Some("app")));
        assert_eq!(m.timestamp_us, Some(us("2026-11-22T10:00:00+09:00")));
        // Hostname and text without a tag.
        let m = parse(b"<13>Nov 22 10:00:00 host just text", NOW).unwrap();
        assert_eq!(m.hostname, Some("host"));
        assert_eq!(m.app_name, None);
        assert_eq!(m.msg, b"just text");
    }

    #[test]
    fn year_inference_around_new_year() {
        // Received 2027-01-01 00:10 JST; a 31 Dec message is from 2026.
        let now = us("2026-12-31T15:10:00Z");
        let m = parse(b"<13>Dec 31 23:59:59 h a: x", now).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2026-12-31T23:59:59+09:00")));
        // 29 February exists only in leap years: the nearest one is taken.
        let now = us("2027-03-01T00:00:00Z");
        let m = parse(b"<13>Feb 29 12:00:00 h a: x", now).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2028-02-29T12:00:00+09:00")));
    }

    #[test]
    fn leap_second_and_long_fraction() {
        let m = parse(b"<13>1 2016-12-31T23:59:60.123456789Z h a - - -", NOW).unwrap();
        assert_eq!(m.timestamp_us, Some(us("2016-12-31T23:59:59.123456Z")));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(&bytes, NOW);
        }

        #[test]
        fn never_panics_on_syslog_like_input(
            s in r#"<[0-9]{1,3}>(1 )?[-0-9A-Za-z:.T+ \[\]"=\\@]{0,120}"#
        ) {
            let _ = parse(s.as_bytes(), NOW);
        }

        #[test]
        fn sd_values_round_trip(v in r#"[a-z"\\\]あ ]{0,20}"#) {
            let esc = v.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]");
            let raw = format!("<13>1 - h a - - [x@1 k=\"{esc}\"] tail");
            let m = parse(raw.as_bytes(), NOW).unwrap();
            let got = m.structured_data.element("x@1").unwrap().param("k").map(str::to_owned);
            proptest::prop_assert_eq!(got, Some(v));
            proptest::prop_assert_eq!(m.msg, b"tail");
        }
    }
}
