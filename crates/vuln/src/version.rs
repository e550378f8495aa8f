//! バージョン体系 — version schemes of the products Japanese medical institutions run.
//!
//! NVD version strings are not semver. Each [`Scheme`] parses and compares one family:
//!
//! | scheme | examples |
//! |---|---|
//! | [`Scheme::Generic`] | `2.14.1`, `2.0-beta9`, `13.1-49.15` (Citrix), `17.9.4a` (IOS XE), `4.4.5-0101` |
//! | [`Scheme::FortiOs`] | `6.0.4`, `v7.2.5 build1517`, `7.2.5,build1517` (build not compared) |
//! | [`Scheme::CiscoIos`] | `15.2(4)M11`, `12.4(24)T` |
//! | [`Scheme::PanOs`] | `10.2.9-h1`, `10.2.9` |
//! | [`Scheme::Ivanti`] | `9.0R3.4`, `22.7R2.3`, `9.0r3.2` |
//! | [`Scheme::Windows`] | `10.0.19045.1234`, `6.1.7601` |
//!
//! [`compare`] returns an [`Ordering`] or an [`Incomparable`] reason (in Japanese, for the
//! 要確認 message): the matcher never guesses.

use std::cmp::Ordering;

/// A version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Dotted numbers with letter suffixes and pre-release words (`beta`, `rc` …); `-`, `_`
    /// and `+` separate components like `.`.
    Generic,
    /// FortiOS and other Fortinet firmware: `x.y.z`, optional `build NNNN` (validated, not
    /// compared: NVD ranges never carry it).
    FortiOs,
    /// Classic Cisco IOS: `major.minor(maint)TRAIN rebuild`, e.g. `15.2(4)M11`. Different
    /// trains (`M` vs `E`) are not comparable.
    CiscoIos,
    /// Palo Alto PAN-OS: `x.y.z` with an optional hotfix `-hN`.
    PanOs,
    /// Ivanti / Pulse Secure Connect Secure and Policy Secure: `x.y` + `R` release (`9.0R3.4`).
    Ivanti,
    /// Windows builds: `10.0.19045.1234` (numbers only).
    Windows,
}

impl Scheme {
    /// Chooses the scheme from a CPE vendor and product.
    pub fn for_product(vendor: &str, product: &str) -> Scheme {
        match (vendor, product) {
            ("fortinet", _) => Scheme::FortiOs,
            ("cisco", "ios") => Scheme::CiscoIos,
            ("paloaltonetworks", "pan-os") => Scheme::PanOs,
            ("ivanti", "connect_secure" | "policy_secure")
            | ("pulsesecure", "pulse_connect_secure" | "pulse_policy_secure") => Scheme::Ivanti,
            ("microsoft", p) if p.starts_with("windows") => Scheme::Windows,
            _ => Scheme::Generic,
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Generic => "汎用",
            Scheme::FortiOs => "FortiOS",
            Scheme::CiscoIos => "Cisco IOS",
            Scheme::PanOs => "PAN-OS",
            Scheme::Ivanti => "Ivanti/Pulse",
            Scheme::Windows => "Windows ビルド",
        }
    }

    /// Checks that `v` can be read in this scheme.
    pub fn parse(self, v: &str) -> Result<(), Incomparable> {
        parse(self, v).map(|_| ())
    }
}

/// Why two versions cannot be compared (Japanese, shown as 要確認).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason_ja}")]
pub struct Incomparable {
    /// The reason, in Japanese.
    pub reason_ja: String,
}

impl Incomparable {
    fn new(reason_ja: impl Into<String>) -> Incomparable {
        Incomparable {
            reason_ja: reason_ja.into(),
        }
    }
}

/// Compares two version strings in a scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, Incomparable> {
    let pa = parse(scheme, a)?;
    let pb = parse(scheme, b)?;
    cmp_parsed(&pa, &pb).map_err(|why| {
        Incomparable::new(format!(
            "バージョン `{a}` と `{b}` は比較できません（{}: {why}）",
            scheme.name()
        ))
    })
}

/// A version parsed once in a scheme, so that an index can compare it many times without
/// re-reading it. [`Prepared::cmp`] agrees with [`compare`] on the same strings.
#[derive(Debug, Clone)]
pub(crate) struct Prepared(Option<Parsed>);

impl Prepared {
    /// Parses `v` in `scheme`; an unreadable version is kept as such.
    pub(crate) fn new(scheme: Scheme, v: &str) -> Prepared {
        Prepared(parse(scheme, v).ok())
    }

    /// `Some(o)` exactly when `compare(scheme, self, other)` is `Ok(o)`.
    pub(crate) fn cmp(&self, other: &Prepared) -> Option<Ordering> {
        cmp_parsed(self.0.as_ref()?, other.0.as_ref()?).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(u64),
    Alpha(String),
}

/// A parsed version: a list of tokens, compared by [`cmp_tokens`]; for Cisco IOS the train
/// must be equal.
#[derive(Debug, Clone)]
struct Parsed {
    toks: Vec<Tok>,
    /// Cisco IOS train (upper case), compared for equality only.
    train: Option<String>,
    scheme: Scheme,
}

fn bad(scheme: Scheme, v: &str, why: &str) -> Incomparable {
    Incomparable::new(format!(
        "バージョン `{v}` を {} の形式として読めません（{why}）",
        scheme.name()
    ))
}

fn parse(scheme: Scheme, raw: &str) -> Result<Parsed, Incomparable> {
    let v = raw.trim();
    let v = v
        .strip_prefix('v')
        .or_else(|| v.strip_prefix('V'))
        .unwrap_or(v);
    if v.is_empty() {
        return Err(bad(scheme, raw, "空です"));
    }
    if !v.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad(scheme, raw, "数字で始まっていません"));
    }
    let lower = v.to_ascii_lowercase();
    let toks = match scheme {
        Scheme::Generic => {
            generic_tokens(&lower).ok_or_else(|| bad(scheme, raw, "使えない文字があります"))?
        }
        Scheme::FortiOs => {
            let (main, build) = match lower.find("build") {
                Some(i) => (&lower[..i], Some(lower[i + 5..].trim())),
                None => (lower.as_str(), None),
            };
            let main = main.trim().trim_end_matches([',', ' ', '-']);
            let toks = numeric_dotted(main)
                .filter(|t| (2..=4).contains(&t.len()))
                .ok_or_else(|| bad(scheme, raw, "x.y.z の数字ではありません"))?;
            // The build number identifies the image of a release (`7.2.5 build1517` is
            // 7.2.5); NVD ranges never carry it, so it is checked but not compared.
            if let Some(b) = build
                && b.parse::<u64>().is_err()
            {
                return Err(bad(scheme, raw, "build 番号が数字ではありません"));
            }
            toks
        }
        Scheme::Windows => numeric_dotted(&lower).ok_or_else(|| {
            bad(
                scheme,
                raw,
                "ビルド番号（例 10.0.19045.1234）ではありません",
            )
        })?,
        Scheme::PanOs => {
            let (main, hot) = match lower.find('h') {
                Some(i) => (lower[..i].trim_end_matches('-'), Some(&lower[i + 1..])),
                None => (lower.as_str(), None),
            };
            let mut toks = numeric_dotted(main)
                .filter(|t| (2..=3).contains(&t.len()))
                .ok_or_else(|| bad(scheme, raw, "x.y.z[-hN] ではありません"))?;
            while toks.len() < 3 {
                toks.push(Tok::Num(0));
            }
            if let Some(h) = hot {
                let n = h
                    .parse::<u64>()
                    .map_err(|_| bad(scheme, raw, "ホットフィックス番号が数字ではありません"))?;
                toks.push(Tok::Num(n));
            }
            toks
        }
        Scheme::Ivanti => {
            let (main, rel) = match lower.find('r') {
                Some(i) => (&lower[..i], Some(&lower[i + 1..])),
                None => (lower.as_str(), None),
            };
            let mut toks = numeric_dotted(main.trim_end_matches(['-', ' ']))
                .filter(|t| t.len() == 2)
                .ok_or_else(|| bad(scheme, raw, "x.y[Rn.n] ではありません"))?;
            match rel {
                // No release: the line itself, sorts before R1.
                None => toks.push(Tok::Num(0)),
                Some(r) => {
                    let rt = numeric_dotted(r).ok_or_else(|| {
                        bad(
                            scheme,
                            raw,
                            "R の後のリリース番号が数字ではありません（例 R3.4）",
                        )
                    })?;
                    toks.push(Tok::Num(1));
                    toks.extend(rt);
                }
            }
            toks
        }
        Scheme::CiscoIos => {
            if !lower.contains('(') {
                // Plain dotted (e.g. a bound such as `15.2`): generic reading.
                let toks = generic_tokens(&lower)
                    .ok_or_else(|| bad(scheme, raw, "使えない文字があります"))?;
                return Ok(Parsed {
                    toks,
                    train: None,
                    scheme,
                });
            }
            return parse_cisco_ios(raw, &lower);
        }
    };
    Ok(Parsed {
        toks,
        train: None,
        scheme,
    })
}

fn parse_cisco_ios(raw: &str, lower: &str) -> Result<Parsed, Incomparable> {
    let scheme = Scheme::CiscoIos;
    let err = |why: &str| bad(scheme, raw, why);
    let open = lower.find('(').ok_or_else(|| err("括弧がありません"))?;
    let close = lower.find(')').ok_or_else(|| err("閉じ括弧がありません"))?;
    if close < open {
        return Err(err("括弧の順序が不正です"));
    }
    let mut toks = numeric_dotted(&lower[..open])
        .filter(|t| t.len() == 2)
        .ok_or_else(|| err("major.minor が数字ではありません"))?;
    // Maintenance: digits with an optional letter, e.g. `4` or `3a`.
    let maint = &lower[open + 1..close];
    let digits: String = maint.chars().take_while(char::is_ascii_digit).collect();
    let n = digits
        .parse::<u64>()
        .map_err(|_| err("括弧内の保守リリース番号が数字ではありません"))?;
    toks.push(Tok::Num(n));
    let rest_letter = &maint[digits.len()..];
    toks.push(Tok::Num(
        letter_rank(rest_letter).ok_or_else(|| err("括弧内の文字が不正です"))?,
    ));
    // After `)`: train letters, rebuild number, optional rebuild letter.
    let after = &lower[close + 1..];
    let train: String = after
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let rest = &after[train.len()..];
    let rb: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let rb_letter = &rest[rb.len()..];
    toks.push(Tok::Num(if rb.is_empty() {
        0
    } else {
        rb.parse::<u64>()
            .map_err(|_| err("リビルド番号が不正です"))?
    }));
    toks.push(Tok::Num(
        letter_rank(rb_letter).ok_or_else(|| err("リビルド番号の後の文字が不正です"))?,
    ));
    Ok(Parsed {
        toks,
        train: if train.is_empty() {
            None
        } else {
            Some(train.to_ascii_uppercase())
        },
        scheme,
    })
}

/// `""` → 0, `a` → 1, … `z` → 26; anything else is invalid.
fn letter_rank(s: &str) -> Option<u64> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (None, _) => Some(0),
        (Some(c), None) if c.is_ascii_lowercase() => Some(u64::from(c as u8 - b'a') + 1),
        _ => None,
    }
}

fn numeric_dotted(s: &str) -> Option<Vec<Tok>> {
    if s.is_empty() {
        return None;
    }
    s.split('.')
        .map(|p| {
            if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) {
                p.parse::<u64>().ok().map(Tok::Num)
            } else {
                None
            }
        })
        .collect()
}

fn generic_tokens(s: &str) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    for seg in s.split(['.', '-', '_', '+', ' ']) {
        if seg.is_empty() {
            continue;
        }
        let mut cur = String::new();
        let mut cur_digit = false;
        for c in seg.chars() {
            if !c.is_ascii_alphanumeric() {
                return None;
            }
            let d = c.is_ascii_digit();
            if !cur.is_empty() && d != cur_digit {
                toks.push(tok_of(&cur, cur_digit)?);
                cur.clear();
            }
            cur_digit = d;
            cur.push(c);
        }
        if !cur.is_empty() {
            toks.push(tok_of(&cur, cur_digit)?);
        }
    }
    if toks.is_empty() { None } else { Some(toks) }
}

fn tok_of(s: &str, digit: bool) -> Option<Tok> {
    if digit {
        s.parse::<u64>().ok().map(Tok::Num)
    } else {
        Some(Tok::Alpha(s.to_string()))
    }
}

/// Pre-release words sort before the release they precede, in this order.
fn prerelease_rank(s: &str) -> Option<u8> {
    match s {
        "dev" | "snapshot" => Some(0),
        "alpha" => Some(1),
        "beta" => Some(2),
        "pre" | "preview" => Some(3),
        "rc" | "cr" => Some(4),
        _ => None,
    }
}

fn cmp_parsed(a: &Parsed, b: &Parsed) -> Result<Ordering, String> {
    debug_assert_eq!(a.scheme, b.scheme);
    match (&a.train, &b.train) {
        (Some(x), Some(y)) if x != y => {
            // Cisco trains (M, T, E …) are separate branches: no order between them.
            return Err(format!("トレイン {x} と {y} が異なります"));
        }
        (Some(x), None) | (None, Some(x)) => {
            return Err(format!("一方にだけトレイン {x} があります"));
        }
        _ => {}
    }
    cmp_tokens(&a.toks, &b.toks)
}

fn cmp_tokens(a: &[Tok], b: &[Tok]) -> Result<Ordering, String> {
    let n = a.len().max(b.len());
    for i in 0..n {
        let ord = match (a.get(i), b.get(i)) {
            (Some(Tok::Num(x)), Some(Tok::Num(y))) => x.cmp(y),
            (Some(Tok::Num(x)), None) => x.cmp(&0),
            (None, Some(Tok::Num(y))) => 0.cmp(y),
            (Some(Tok::Alpha(s)), None) => alpha_vs_nothing(s),
            (None, Some(Tok::Alpha(s))) => alpha_vs_nothing(s).reverse(),
            (Some(Tok::Alpha(s)), Some(Tok::Alpha(t))) => cmp_alpha(s, t)?,
            (Some(Tok::Num(_)), Some(Tok::Alpha(s))) => num_vs_alpha(s)?,
            (Some(Tok::Alpha(s)), Some(Tok::Num(_))) => num_vs_alpha(s)?.reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

/// `2.0-beta9` < `2.0`, but `10a` > `10`.
fn alpha_vs_nothing(s: &str) -> Ordering {
    if prerelease_rank(s).is_some() {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// A number against a word at the same position: `2.0.1` > `2.0-beta9`; a number against a
/// letter suffix is ambiguous.
fn num_vs_alpha(s: &str) -> Result<Ordering, String> {
    if prerelease_rank(s).is_some() {
        Ok(Ordering::Greater)
    } else {
        Err(format!("数字と文字 `{s}` の順序が決められません"))
    }
}

fn cmp_alpha(s: &str, t: &str) -> Result<Ordering, String> {
    if s == t {
        return Ok(Ordering::Equal);
    }
    match (prerelease_rank(s), prerelease_rank(t)) {
        (Some(x), Some(y)) if x != y => Ok(x.cmp(&y)),
        (Some(_), Some(_)) => Err(format!("`{s}` と `{t}` の順序が決められません")),
        (Some(_), None) => Ok(Ordering::Less),
        (None, Some(_)) => Ok(Ordering::Greater),
        (None, None) if s.len() == 1 && t.len() == 1 => Ok(s.cmp(t)),
        (None, None) => Err(format!("`{s}` と `{t}` の順序が決められません")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(s: Scheme, a: &str, b: &str) -> Ordering {
        compare(s, a, b).expect("comparable")
    }

    #[test]
    fn generic() {
        assert_eq!(c(Scheme::Generic, "2.14.1", "2.15.0"), Less);
        assert_eq!(c(Scheme::Generic, "2.0-beta9", "2.0"), Less);
        assert_eq!(c(Scheme::Generic, "2.0-rc1", "2.0-beta9"), Greater);
        assert_eq!(c(Scheme::Generic, "2.0.1", "2.0-beta9"), Greater);
        assert_eq!(c(Scheme::Generic, "16.12", "16.12.0"), Equal);
        assert_eq!(c(Scheme::Generic, "17.9.4", "17.9.4a"), Less);
        assert_eq!(c(Scheme::Generic, "17.9.4b", "17.9.4a"), Greater);
        assert_eq!(c(Scheme::Generic, "13.0-88.11", "13.0-88.12"), Less);
        assert_eq!(c(Scheme::Generic, "13.0", "13.0-88.12"), Less);
        assert_eq!(c(Scheme::Generic, "12.1-55.288", "12.1-55.289"), Less);
        assert_eq!(c(Scheme::Generic, "4.4.5-0101", "4.4.5-0100"), Greater);
        assert!(compare(Scheme::Generic, "17.9.4a", "17.9.4.1").is_err());
        assert!(compare(Scheme::Generic, "不明", "1.0").is_err());
    }

    #[test]
    fn fortios() {
        assert_eq!(c(Scheme::FortiOs, "6.0.4", "6.0.5"), Less);
        assert_eq!(c(Scheme::FortiOs, "v7.2.5 build1517", "7.2.5"), Equal);
        assert_eq!(c(Scheme::FortiOs, "7.2.4 build1396", "7.2.4"), Equal);
        assert!(compare(Scheme::FortiOs, "7.2.4 buildX", "7.2.4").is_err());
        assert_eq!(c(Scheme::FortiOs, "6.0.16", "6.0.5"), Greater);
        assert_eq!(
            c(Scheme::FortiOs, "7.2.5,build1517", "7.2.5 build1517"),
            Equal
        );
        assert!(compare(Scheme::FortiOs, "6.0.x", "6.0.4").is_err());
    }

    #[test]
    fn cisco_ios() {
        assert_eq!(c(Scheme::CiscoIos, "15.2(4)M11", "15.2(4)M9"), Greater);
        assert_eq!(c(Scheme::CiscoIos, "15.2(4)M11", "15.2(7)M1"), Less);
        assert_eq!(c(Scheme::CiscoIos, "15.2(4)m11", "15.2(4)M11"), Equal);
        assert_eq!(c(Scheme::CiscoIos, "15.2(4a)M1", "15.2(4)M1"), Greater);
        let e = compare(Scheme::CiscoIos, "15.2(4)M11", "15.2(4)E1").expect_err("trains");
        assert!(e.reason_ja.contains("トレイン"));
    }

    #[test]
    fn panos_ivanti_windows() {
        assert_eq!(c(Scheme::PanOs, "10.2.9-h1", "10.2.9"), Greater);
        assert_eq!(c(Scheme::PanOs, "10.2.9-h1", "10.2.10"), Less);
        assert_eq!(c(Scheme::PanOs, "10.2.9h3", "10.2.9-h12"), Less);
        assert_eq!(c(Scheme::Ivanti, "9.0R3.4", "9.0r3.3"), Greater);
        assert_eq!(c(Scheme::Ivanti, "22.7R2.3", "9.1R18.1"), Greater);
        assert_eq!(c(Scheme::Ivanti, "9.0", "9.0R1"), Less);
        assert!(compare(Scheme::Ivanti, "8.3rx", "8.3r1").is_err());
        assert_eq!(
            c(Scheme::Windows, "10.0.17763.2028", "10.0.17763.2029"),
            Less
        );
        assert_eq!(
            c(Scheme::Windows, "10.0.19045.10000", "10.0.19045.2251"),
            Greater
        );
        assert!(compare(Scheme::Windows, "r2", "10.0.1").is_err());
    }

    #[test]
    fn scheme_choice() {
        assert_eq!(Scheme::for_product("fortinet", "fortios"), Scheme::FortiOs);
        assert_eq!(Scheme::for_product("cisco", "ios_xe"), Scheme::Generic);
        assert_eq!(Scheme::for_product("cisco", "ios"), Scheme::CiscoIos);
        assert_eq!(
            Scheme::for_product("microsoft", "windows_server_2019"),
            Scheme::Windows
        );
    }
}
