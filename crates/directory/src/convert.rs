//! Directory values to dates, flags and yes/no.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, Zoned};

use crate::config::TimeFormat;

/// JST (日本時間), UTC+9 without daylight saving: the zone of every date shown.
pub fn jst() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(9))
}

/// FILETIME ticks (100 ns) between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// A date-valued attribute as a JST date: `Ok(None)` for "never" (FILETIME `0` or the
/// maximum), `Err(())` when the value is not of the form.
#[allow(clippy::result_unit_err)]
pub fn parse_time(value: &str, format: TimeFormat) -> Result<Option<Date>, ()> {
    let v = value.trim();
    match format {
        TimeFormat::FileTime => file_time(v),
        TimeFormat::GeneralizedTime => generalized_time(v).map(Some),
        TimeFormat::Date => plain_date(v).map(Some),
        TimeFormat::Auto => {
            let digits = v.bytes().all(|b| b.is_ascii_digit());
            // A date has its first `-` or `/` right after the year; the `-` of an offset
            // (`20250301230000-0500`) comes later.
            let date_sep = v.find(['-', '/']).is_some_and(|i| i <= 4);
            if digits && v.len() >= 15 {
                file_time(v)
            } else if digits && v.len() == 8 || date_sep {
                plain_date(v).map(Some)
            } else {
                generalized_time(v).map(Some)
            }
        }
    }
}

/// AD FILETIME: 100-ns intervals since 1601-01-01 UTC.
fn file_time(v: &str) -> Result<Option<Date>, ()> {
    let ticks: i64 = v.parse().map_err(|_| ())?;
    if ticks == 0 || ticks == i64::MAX {
        return Ok(None);
    }
    if ticks < 0 {
        return Err(());
    }
    let micros = (ticks - FILETIME_UNIX_EPOCH) / 10;
    let ts = Timestamp::from_microsecond(micros).map_err(|_| ())?;
    Ok(Some(ts.to_zoned(jst()).date()))
}

/// RFC 4517 GeneralizedTime: `YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|(+|-)HH[MM])?`.
/// Without a zone the time is local; it is taken as JST.
fn generalized_time(v: &str) -> Result<Date, ()> {
    let b = v.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(n == 10 || n == 12 || n == 14) {
        return Err(());
    }
    let num = |from: usize, len: usize| -> Result<i32, ()> {
        v.get(from..from + len)
            .and_then(|s| s.parse().ok())
            .ok_or(())
    };
    let (y, mo, d, h) = (num(0, 4)?, num(4, 2)?, num(6, 2)?, num(8, 2)?);
    let mi = if n >= 12 { num(10, 2)? } else { 0 };
    let s = if n >= 14 { num(12, 2)? } else { 0 };
    let mut rest = v.get(n..).ok_or(())?;
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let k = frac.bytes().take_while(u8::is_ascii_digit).count();
        if k == 0 {
            return Err(());
        }
        rest = frac.get(k..).ok_or(())?;
    }
    let dt = DateTime::new(
        i16::try_from(y).map_err(|_| ())?,
        i8::try_from(mo).map_err(|_| ())?,
        i8::try_from(d).map_err(|_| ())?,
        i8::try_from(h).map_err(|_| ())?,
        i8::try_from(mi).map_err(|_| ())?,
        // A leap second (60) is read as 59.
        i8::try_from(s.min(59)).map_err(|_| ())?,
        0,
    )
    .map_err(|_| ())?;
    let zone = match rest {
        "" => jst(),
        "Z" | "z" => TimeZone::UTC,
        off => {
            let (sign, hm) = match off.split_at_checked(1) {
                Some(("+", hm)) => (1, hm),
                Some(("-", hm)) => (-1, hm),
                _ => return Err(()),
            };
            if !(hm.len() == 2 || hm.len() == 4) || !hm.bytes().all(|c| c.is_ascii_digit()) {
                return Err(());
            }
            let oh: i32 = hm.get(..2).and_then(|s| s.parse().ok()).ok_or(())?;
            let om: i32 = hm
                .get(2..)
                .filter(|s| !s.is_empty())
                .map_or(Ok(0), |s| s.parse().map_err(|_| ()))?;
            let secs = sign * (oh * 3600 + om * 60);
            TimeZone::fixed(Offset::from_seconds(secs).map_err(|_| ())?)
        }
    };
    let zoned: Zoned = dt.to_zoned(zone).map_err(|_| ())?;
    Ok(zoned.with_time_zone(jst()).date())
}

/// `2025-04-01`, `2025/4/1`, `20250401`.
fn plain_date(v: &str) -> Result<Date, ()> {
    let parts: Vec<&str> = if v.contains(['-', '/']) {
        v.split(['-', '/']).collect()
    } else if v.len() == 8 {
        vec![
            v.get(..4).ok_or(())?,
            v.get(4..6).ok_or(())?,
            v.get(6..).ok_or(())?,
        ]
    } else {
        return Err(());
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(());
    };
    let y: i16 = y.parse().map_err(|_| ())?;
    let m: i8 = m.parse().map_err(|_| ())?;
    let d: i8 = d.parse().map_err(|_| ())?;
    Date::new(y, m, d).map_err(|_| ())
}

/// AD `userAccountControl`: whether ACCOUNTDISABLE (`0x2`) is set. `Err(())` when the
/// value is not a number (AD writes it as a signed 32-bit decimal).
#[allow(clippy::result_unit_err)]
pub fn uac_disabled(value: &str) -> Result<bool, ()> {
    let v: i64 = value.trim().parse().map_err(|_| ())?;
    Ok(v & 0x2 != 0)
}

/// Yes/no as directories and people write it.
pub fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" | "有" | "あり" | "はい" | "有効" => Some(true),
        "false" | "no" | "n" | "0" | "off" | "無" | "なし" | "いいえ" | "無効" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Date> {
        s.parse().ok()
    }

    #[test]
    fn filetime() {
        // 2025-03-31T15:30:00Z is 2025-04-01 00:30 JST.
        let ts: Timestamp = "2025-03-31T15:30:00Z".parse().expect("ts");
        let ticks = ts.as_microsecond() * 10 + FILETIME_UNIX_EPOCH;
        assert_eq!(
            parse_time(&ticks.to_string(), TimeFormat::FileTime),
            Ok(d("2025-04-01"))
        );
        assert_eq!(
            parse_time(&ticks.to_string(), TimeFormat::Auto),
            Ok(d("2025-04-01"))
        );
        assert_eq!(parse_time("0", TimeFormat::FileTime), Ok(None));
        assert_eq!(
            parse_time("9223372036854775807", TimeFormat::FileTime),
            Ok(None)
        );
        assert_eq!(parse_time("abc", TimeFormat::FileTime), Err(()));
    }

    #[test]
    fn generalized() {
        let g = |s| parse_time(s, TimeFormat::GeneralizedTime);
        assert_eq!(g("20250301090000Z"), Ok(d("2025-03-01")));
        assert_eq!(g("20250301150000Z"), Ok(d("2025-03-02")));
        assert_eq!(g("20250301150000.123Z"), Ok(d("2025-03-02")));
        assert_eq!(g("2025030123Z"), Ok(d("2025-03-02")));
        assert_eq!(g("20250301230000+0900"), Ok(d("2025-03-01")));
        assert_eq!(g("20250301230000-0500"), Ok(d("2025-03-02")));
        assert_eq!(g("20250301230000"), Ok(d("2025-03-01")));
        assert_eq!(g("20251301000000Z"), Err(()));
        assert_eq!(g("2025-03-01"), Err(()));
        assert_eq!(g("20250301000000X"), Err(()));
        assert_eq!(
            parse_time("20250301150000Z", TimeFormat::Auto),
            Ok(d("2025-03-02"))
        );
        assert_eq!(
            parse_time("20250301230000-0500", TimeFormat::Auto),
            Ok(d("2025-03-02"))
        );
    }

    #[test]
    fn dates() {
        for s in ["2025-04-01", "2025/4/1", "20250401"] {
            assert_eq!(parse_time(s, TimeFormat::Auto), Ok(d("2025-04-01")), "{s}");
            assert_eq!(parse_time(s, TimeFormat::Date), Ok(d("2025-04-01")), "{s}");
        }
        assert_eq!(parse_time("2025-02-30", TimeFormat::Auto), Err(()));
        assert_eq!(parse_time("昨日", TimeFormat::Auto), Err(()));
    }

    #[test]
    fn uac() {
        assert_eq!(uac_disabled("512"), Ok(false));
        assert_eq!(uac_disabled("514"), Ok(true));
        assert_eq!(uac_disabled("66050"), Ok(true));
        assert_eq!(uac_disabled("-2147483646"), Ok(true));
        assert_eq!(uac_disabled("x"), Err(()));
    }
}
