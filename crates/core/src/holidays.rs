//! 祝日 — Japan's national holidays (国民の祝日に関する法律), for the access-log monitoring's
//! "outside business hours" on holidays.
//!
//! The rules of 2020 onwards: fixed days, ハッピーマンデー, 春分・秋分 by the usual
//! approximation (exact for 1980–2099; the official dates are announced a year ahead),
//! 振替休日 (a holiday on Sunday moves to the next non-holiday) and 国民の休日 (a day
//! between two holidays). The Olympic moves of 2020 and 2021 are included. Earlier years
//! are computed with the same rules (not historically exact). Pure: no clock.

use jiff::civil::{Date, Weekday};

/// The `n`-th Monday of `month` (1-based).
fn nth_monday(year: i16, month: i8, n: i8) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    let offset = (8 - first.weekday().to_monday_one_offset()) % 7;
    Date::new(year, month, 1 + offset + 7 * (n - 1)).ok()
}

fn equinox_day(year: i16, base: f64) -> i8 {
    let y = f64::from(year - 1980);
    // Truncation is the formula's floor (every term is positive here).
    (base + 0.242_194 * y - (y / 4.0).floor()).floor() as i8
}

/// The holidays defined directly by the law (no 振替休日 / 国民の休日).
fn base_holidays(year: i16) -> Vec<Date> {
    let d = |m: i8, day: i8| Date::new(year, m, day).ok();
    let mut v = vec![
        d(1, 1),
        nth_monday(year, 1, 2),
        d(2, 11),
        d(2, 23),
        d(3, equinox_day(year, 20.8431)),
        d(4, 29),
        d(5, 3),
        d(5, 4),
        d(5, 5),
        d(9, equinox_day(year, 23.2488)),
        nth_monday(year, 9, 3),
        d(11, 3),
        d(11, 23),
    ];
    match year {
        2020 => v.extend([d(7, 23), d(7, 24), d(8, 10)]),
        2021 => v.extend([d(7, 22), d(7, 23), d(8, 9)]),
        _ => v.extend([nth_monday(year, 7, 3), d(8, 11), nth_monday(year, 10, 2)]),
    }
    let mut v: Vec<Date> = v.into_iter().flatten().collect();
    v.sort();
    v.dedup();
    v
}

/// Every national holiday of `year`, in order.
pub fn holidays(year: i16) -> Vec<Date> {
    let base = base_holidays(year);
    let mut all = base.clone();
    // 国民の休日: a weekday whose day before and after are holidays.
    for w in base.windows(2) {
        if let (Ok(mid), Ok(next)) = (w[0].tomorrow(), w[0].checked_add(jiff::Span::new().days(2)))
            && next == w[1]
            && mid.weekday() != Weekday::Sunday
        {
            all.push(mid);
        }
    }
    all.sort();
    // 振替休日: a holiday on Sunday → the next day that is not a holiday.
    let mut extra = Vec::new();
    for h in &all {
        if h.weekday() == Weekday::Sunday {
            let mut d = *h;
            while let Ok(n) = d.tomorrow() {
                d = n;
                if !all.contains(&d) && !extra.contains(&d) {
                    extra.push(d);
                    break;
                }
            }
        }
    }
    all.extend(extra);
    all.sort();
    all.dedup();
    all
}

/// Whether `date` is a national holiday.
pub fn is_holiday(date: Date) -> bool {
    holidays(date.year()).contains(&date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn holidays_of_2025_and_2026() {
        // The Cabinet Office's list for 2025 (内閣府「国民の祝日について」).
        let y2025: Vec<Date> = [
            (1, 1),
            (1, 13),
            (2, 11),
            (2, 23),
            (2, 24),
            (3, 20),
            (4, 29),
            (5, 3),
            (5, 4),
            (5, 5),
            (5, 6),
            (7, 21),
            (8, 11),
            (9, 15),
            (9, 23),
            (10, 13),
            (11, 3),
            (11, 23),
            (11, 24),
        ]
        .iter()
        .map(|(m, x)| d(2025, *m, *x))
        .collect();
        assert_eq!(holidays(2025), y2025);
        // 2026: 9/22 is a 国民の休日 between 敬老の日 (9/21) and 秋分の日 (9/23); 5/6 振替.
        let h = holidays(2026);
        assert!(h.contains(&d(2026, 9, 22)), "{h:?}");
        assert!(h.contains(&d(2026, 5, 6)), "{h:?}");
        assert!(h.contains(&d(2026, 3, 20)));
        assert!(!is_holiday(d(2026, 9, 24)));
        assert!(is_holiday(d(2021, 7, 23)) && !is_holiday(d(2021, 10, 11)));
    }
}
