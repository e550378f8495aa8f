//! Ordering laws of the version schemes (proptest).

use std::cmp::Ordering;

use anzen_vuln::version::{Scheme, compare};
use proptest::prelude::*;

fn dotted(max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0u32..40, 1..=max_len)
        .prop_map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
}

fn generic() -> impl Strategy<Value = String> {
    (
        dotted(4),
        prop_oneof![
            Just(String::new()),
            Just("a".to_string()),
            Just("b".to_string()),
            Just("-beta1".to_string()),
            Just("-rc2".to_string()),
            Just("-alpha".to_string()),
            (0u32..100).prop_map(|n| format!("-{n}")),
        ],
    )
        .prop_map(|(d, s)| format!("{d}{s}"))
}

fn fortios() -> impl Strategy<Value = String> {
    (0u32..10, 0u32..10, 0u32..20, prop::option::of(0u32..3000)).prop_map(|(a, b, c, build)| {
        match build {
            Some(n) => format!("v{a}.{b}.{c} build{n}"),
            None => format!("{a}.{b}.{c}"),
        }
    })
}

fn ivanti() -> impl Strategy<Value = String> {
    (
        0u32..25,
        0u32..10,
        prop::option::of((1u32..20, prop::option::of(0u32..10))),
    )
        .prop_map(|(a, b, r)| match r {
            None => format!("{a}.{b}"),
            Some((x, None)) => format!("{a}.{b}R{x}"),
            Some((x, Some(y))) => format!("{a}.{b}R{x}.{y}"),
        })
}

fn panos() -> impl Strategy<Value = String> {
    (0u32..12, 0u32..4, 0u32..20, prop::option::of(1u32..20)).prop_map(|(a, b, c, h)| match h {
        Some(h) => format!("{a}.{b}.{c}-h{h}"),
        None => format!("{a}.{b}.{c}"),
    })
}

fn cisco_ios() -> impl Strategy<Value = String> {
    (12u32..16, 0u32..10, 1u32..30, 0u32..15).prop_map(|(a, b, m, r)| format!("{a}.{b}({m})M{r}"))
}

fn windows() -> impl Strategy<Value = String> {
    (0u32..30000, 0u32..10000).prop_map(|(b, r)| format!("10.0.{b}.{r}"))
}

/// Reflexive, antisymmetric and transitive wherever comparable.
fn laws(s: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(compare(s, a, a), Ok(Ordering::Equal));
    if let (Ok(ab), Ok(ba)) = (compare(s, a, b), compare(s, b, a)) {
        prop_assert_eq!(ab, ba.reverse(), "{} vs {}", a, b);
    }
    if let (Ok(ab), Ok(bc), Ok(ac)) = (compare(s, a, b), compare(s, b, c), compare(s, a, c)) {
        if ab != Ordering::Greater && bc != Ordering::Greater {
            prop_assert_ne!(ac, Ordering::Greater, "{} <= {} <= {}", a, b, c);
        }
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn generic_laws(a in generic(), b in generic(), c in generic()) {
        laws(Scheme::Generic, &a, &b, &c)?;
    }

    #[test]
    fn fortios_laws(a in fortios(), b in fortios(), c in fortios()) {
        laws(Scheme::FortiOs, &a, &b, &c)?;
    }

    #[test]
    fn ivanti_laws(a in ivanti(), b in ivanti(), c in ivanti()) {
        laws(Scheme::Ivanti, &a, &b, &c)?;
    }

    #[test]
    fn panos_laws(a in panos(), b in panos(), c in panos()) {
        laws(Scheme::PanOs, &a, &b, &c)?;
    }

    #[test]
    fn cisco_ios_laws(a in cisco_ios(), b in cisco_ios(), c in cisco_ios()) {
        laws(Scheme::CiscoIos, &a, &b, &c)?;
    }

    /// Windows builds are total: numbers only, always comparable, and agree with the tuple
    /// order.
    #[test]
    fn windows_total(a in windows(), b in windows()) {
        let key = |s: &str| s.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
        prop_assert_eq!(compare(Scheme::Windows, &a, &b), Ok(key(&a).cmp(&key(&b))));
    }

    /// Dotted numbers of equal length compare like tuples in every numeric scheme.
    #[test]
    fn numeric_agrees_with_tuples(x in prop::collection::vec(0u32..50, 3), y in prop::collection::vec(0u32..50, 3)) {
        let s = |v: &Vec<u32>| v.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
        for scheme in [Scheme::Generic, Scheme::FortiOs, Scheme::PanOs, Scheme::Windows] {
            prop_assert_eq!(compare(scheme, &s(&x), &s(&y)), Ok(x.cmp(&y)));
        }
    }

    /// Garbage never panics; it yields a reason.
    #[test]
    fn garbage_is_explained(a in "\\PC{0,12}", b in dotted(3)) {
        for scheme in [Scheme::Generic, Scheme::FortiOs, Scheme::CiscoIos, Scheme::PanOs, Scheme::Ivanti, Scheme::Windows] {
            if let Err(e) = compare(scheme, &a, &b) {
                prop_assert!(!e.reason_ja.is_empty());
            }
        }
    }
}

proptest! {
    /// Parsers of untrusted text never panic.
    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}", t in "(cpe:2\\.3:|cpe:/)[a-z*?\\\\:().!&-]{0,40}") {
        let _ = anzen_vuln::cpe::Cpe::parse(&s);
        let _ = anzen_vuln::cpe::Cpe::parse(&t);
        let _ = anzen_vuln::feeds::parse_feed(s.as_bytes());
        let table = anzen_vuln::alias::AliasTable::builtin().expect("aliases");
        let _ = table.derive(&anzen_vuln::alias::AssetDescription::new(&s, &s, &s, &s));
        let _ = anzen_vuln::alias::normalize(&s);
    }
}
