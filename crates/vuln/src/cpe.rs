//! CPE 2.3 名 — Common Platform Enumeration names.
//!
//! Parses the CPE 2.3 *formatted string* binding (`cpe:2.3:o:fortinet:fortios:6.0.4:*:…`) with
//! its quoting rules (`\(`, `\:` …), the logical values ANY (`*`) and NA (`-`), and the
//! embedded wildcards `*` / `?` of NISTIR 7696; also the older CPE 2.2 URI binding
//! (`cpe:/a:vendor:product:version`) that JVN uses. [`Component::relation`] implements the
//! attribute comparison of the CPE name-matching specification (NISTIR 7696, table 6-2) as far
//! as NVD configuration criteria need it.

use std::fmt;

/// The eleven attributes of a CPE 2.3 well-formed name, in binding order.
pub const ATTRIBUTE_NAMES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

/// One attribute value of a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Component {
    /// `*` — ANY value.
    #[default]
    Any,
    /// `-` — not applicable / no value.
    Na,
    /// A literal value, unquoted (`\(` is stored as `(`), lower-cased.
    Value(String),
    /// A value with unquoted wildcards `*` / `?`; kept in its quoted form.
    Pattern(String),
}

/// The relation between a source (criteria) and a target (asset) attribute value
/// (NISTIR 7696 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The source names exactly the target's value.
    Equal,
    /// The source is more general than the target (e.g. ANY, or a matching wildcard).
    Superset,
    /// The source is more specific than the target (the asset's value is ANY): undecidable
    /// from the asset data alone.
    Subset,
    /// The values exclude each other.
    Disjoint,
}

impl Component {
    /// Parses one attribute of a formatted string (already split at unquoted `:`).
    fn from_formatted(raw: &str) -> Result<Component, CpeError> {
        if raw == "*" {
            return Ok(Component::Any);
        }
        if raw == "-" {
            return Ok(Component::Na);
        }
        if raw.is_empty() {
            return Err(CpeError::EmptyAttribute);
        }
        let mut out = String::with_capacity(raw.len());
        let mut wildcard = false;
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(q) => out.push(q),
                    None => return Err(CpeError::DanglingEscape),
                },
                '*' | '?' => {
                    wildcard = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        if wildcard {
            Ok(Component::Pattern(raw.to_lowercase()))
        } else {
            Ok(Component::Value(out.to_lowercase()))
        }
    }

    /// A plain literal value (used when building names from ledger data).
    pub fn literal(value: &str) -> Component {
        match value {
            "" | "*" => Component::Any,
            "-" => Component::Na,
            v => Component::Value(v.to_lowercase()),
        }
    }

    /// The literal value, if this is one.
    pub fn as_value(&self) -> Option<&str> {
        match self {
            Component::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Compares this (source, criteria) value with a target (asset) value.
    pub fn relation(&self, target: &Component) -> Relation {
        match (self, target) {
            (Component::Any, Component::Any) => Relation::Equal,
            (Component::Any, _) => Relation::Superset,
            (Component::Na, Component::Na) => Relation::Equal,
            (Component::Na, Component::Any) => Relation::Subset,
            (Component::Na, _) => Relation::Disjoint,
            (Component::Value(_) | Component::Pattern(_), Component::Any) => Relation::Subset,
            (Component::Value(_) | Component::Pattern(_), Component::Na) => Relation::Disjoint,
            (Component::Value(s), Component::Value(t)) => {
                if s == t {
                    Relation::Equal
                } else {
                    Relation::Disjoint
                }
            }
            (Component::Pattern(p), Component::Value(t)) => {
                if glob(p, t) {
                    Relation::Superset
                } else {
                    Relation::Disjoint
                }
            }
            // A wildcard target is not a well-formed asset name; treat it as undecidable.
            (_, Component::Pattern(_)) => Relation::Subset,
        }
    }

    fn write_formatted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Any => f.write_str("*"),
            Component::Na => f.write_str("-"),
            Component::Pattern(p) => f.write_str(p),
            Component::Value(v) if v == "-" => f.write_str("\\-"),
            Component::Value(v) => {
                for c in v.chars() {
                    if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Any => f.write_str("*"),
            Component::Na => f.write_str("-"),
            Component::Value(v) => f.write_str(v),
            Component::Pattern(p) => f.write_str(p),
        }
    }
}

/// Matches a quoted pattern with unquoted `*` (any run) and `?` (one character) against a
/// literal value.
fn glob(pattern: &str, value: &str) -> bool {
    #[derive(Clone, Copy)]
    enum Tok {
        Lit(char),
        Star,
        One,
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(q) = chars.next() {
                    toks.push(Tok::Lit(q));
                }
            }
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::One),
            c => toks.push(Tok::Lit(c)),
        }
    }
    let val: Vec<char> = value.chars().collect();
    // Classic DP over (pattern position, value position).
    let mut reach = vec![false; val.len() + 1];
    reach[0] = true;
    for tok in toks {
        let mut next = vec![false; val.len() + 1];
        match tok {
            Tok::Star => {
                let mut seen = false;
                for i in 0..=val.len() {
                    seen |= reach[i];
                    next[i] = seen;
                }
            }
            Tok::One => {
                next[1..].copy_from_slice(&reach[..val.len()]);
            }
            Tok::Lit(c) => {
                for i in 0..val.len() {
                    next[i + 1] = reach[i] && val[i] == c;
                }
            }
        }
        reach = next;
    }
    reach[val.len()]
}

/// A parse error of a CPE string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeError {
    /// Does not start with `cpe:2.3:` or `cpe:/`.
    #[error("CPE 名は cpe:2.3: か cpe:/ で始まる必要があります")]
    BadPrefix,
    /// Wrong number of attributes.
    #[error("CPE 2.3 名の属性が {0} 個です（11 個必要）")]
    WrongArity(usize),
    /// Part is not a, o, h or ANY.
    #[error("part `{0}` は a / o / h のいずれかである必要があります")]
    BadPart(String),
    /// An empty attribute.
    #[error("空の属性があります")]
    EmptyAttribute,
    /// A backslash at the end.
    #[error("末尾のバックスラッシュが不正です")]
    DanglingEscape,
}

/// A CPE name (well-formed name), parsed from a CPE 2.3 formatted string or a 2.2 URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe {
    attrs: [Component; 11],
}

impl Cpe {
    /// Parses a CPE 2.3 formatted string, or a CPE 2.2 URI (`cpe:/…`).
    pub fn parse(s: &str) -> Result<Cpe, CpeError> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("cpe:2.3:") {
            Self::parse_formatted(rest)
        } else if let Some(rest) = s.strip_prefix("cpe:/") {
            Self::parse_uri(rest)
        } else {
            Err(CpeError::BadPrefix)
        }
    }

    fn parse_formatted(rest: &str) -> Result<Cpe, CpeError> {
        let mut fields = Vec::with_capacity(11);
        let mut cur = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    cur.push(c);
                    match chars.next() {
                        Some(q) => cur.push(q),
                        None => return Err(CpeError::DanglingEscape),
                    }
                }
                ':' => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 11 {
            return Err(CpeError::WrongArity(fields.len()));
        }
        let mut attrs: [Component; 11] = Default::default();
        for (slot, raw) in attrs.iter_mut().zip(fields.iter()) {
            *slot = Component::from_formatted(raw)?;
        }
        check_part(&attrs[0])?;
        Ok(Cpe { attrs })
    }

    /// CPE 2.2 URI: `a:vendor:product:version:update:edition:language`, percent-encoded;
    /// missing trailing attributes are ANY; an empty attribute is ANY.
    fn parse_uri(rest: &str) -> Result<Cpe, CpeError> {
        let mut attrs: [Component; 11] = Default::default();
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() > 7 {
            return Err(CpeError::WrongArity(parts.len()));
        }
        for (slot, raw) in attrs.iter_mut().zip(parts.iter()) {
            let decoded = percent_decode(raw);
            *slot = match decoded.as_str() {
                "" => Component::Any,
                "-" => Component::Na,
                v => Component::Value(v.to_lowercase()),
            };
        }
        check_part(&attrs[0])?;
        Ok(Cpe { attrs })
    }

    /// Builds a name from literal values; the other attributes are ANY.
    pub fn from_parts(part: char, vendor: &str, product: &str, version: &str) -> Cpe {
        let mut attrs: [Component; 11] = Default::default();
        attrs[0] = Component::Value(part.to_ascii_lowercase().to_string());
        attrs[1] = Component::literal(vendor);
        attrs[2] = Component::literal(product);
        attrs[3] = Component::literal(version);
        Cpe { attrs }
    }

    /// Sets the update attribute (builder style).
    pub fn with_update(mut self, update: &str) -> Cpe {
        self.attrs[4] = Component::literal(update);
        self
    }

    /// Sets the sw_edition attribute (builder style).
    pub fn with_sw_edition(mut self, sw_edition: &str) -> Cpe {
        self.attrs[7] = Component::literal(sw_edition);
        self
    }

    /// Attribute by index (see [`ATTRIBUTE_NAMES`]).
    pub fn attr(&self, i: usize) -> &Component {
        &self.attrs[i.min(10)]
    }

    /// All attributes in binding order.
    pub fn attrs(&self) -> &[Component; 11] {
        &self.attrs
    }

    /// `a`, `o`, `h` (or `*`).
    pub fn part(&self) -> &Component {
        &self.attrs[0]
    }
    /// Vendor.
    pub fn vendor(&self) -> &Component {
        &self.attrs[1]
    }
    /// Product.
    pub fn product(&self) -> &Component {
        &self.attrs[2]
    }
    /// Version.
    pub fn version(&self) -> &Component {
        &self.attrs[3]
    }
    /// Update (service pack, release such as `r3.4` or hotfix `h1`).
    pub fn update(&self) -> &Component {
        &self.attrs[4]
    }
    /// Software edition (Citrix `fips`, Ubuntu `lts`).
    pub fn sw_edition(&self) -> &Component {
        &self.attrs[7]
    }
    /// Target hardware.
    pub fn target_hw(&self) -> &Component {
        &self.attrs[9]
    }

    /// `part:vendor:product` as a lookup key.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.attrs[0], self.attrs[1], self.attrs[2])
    }
}

fn check_part(c: &Component) -> Result<(), CpeError> {
    match c {
        Component::Any => Ok(()),
        Component::Value(v) if matches!(v.as_str(), "a" | "o" | "h") => Ok(()),
        other => Err(CpeError::BadPart(other.to_string())),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

impl fmt::Display for Cpe {
    /// The CPE 2.3 formatted string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpe:2.3")?;
        for a in &self.attrs {
            f.write_str(":")?;
            a.write_formatted(f)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Cpe {
    type Err = CpeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpe::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_escapes_any_na() -> Result<(), CpeError> {
        let c = Cpe::parse(r"cpe:2.3:a:acme:foo\(bar\):1.0\!:-:*:*:*:*:*:*")?;
        assert_eq!(c.product(), &Component::Value("foo(bar)".into()));
        assert_eq!(c.version(), &Component::Value("1.0!".into()));
        assert_eq!(c.update(), &Component::Na);
        assert_eq!(c.attr(5), &Component::Any);
        assert_eq!(
            c.to_string(),
            r"cpe:2.3:a:acme:foo\(bar\):1.0\!:-:*:*:*:*:*:*"
        );
        Ok(())
    }

    #[test]
    fn escaped_colon_does_not_split() -> Result<(), CpeError> {
        let c = Cpe::parse(r"cpe:2.3:a:acme:a\:b:1:*:*:*:*:*:*:*")?;
        assert_eq!(c.product(), &Component::Value("a:b".into()));
        Ok(())
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(Cpe::parse("cpe:2.3:a:x"), Err(CpeError::WrongArity(2)));
        assert!(matches!(
            Cpe::parse("cpe:2.3:z:a:b:*:*:*:*:*:*:*:*"),
            Err(CpeError::BadPart(_))
        ));
        assert_eq!(Cpe::parse("foo"), Err(CpeError::BadPrefix));
    }

    #[test]
    fn uri_binding() -> Result<(), CpeError> {
        let c = Cpe::parse("cpe:/o:fortinet:fortios")?;
        assert_eq!(c.vendor(), &Component::Value("fortinet".into()));
        assert_eq!(c.version(), &Component::Any);
        let d = Cpe::parse("cpe:/a:acme:my%20app:1.0")?;
        assert_eq!(d.product(), &Component::Value("my app".into()));
        Ok(())
    }

    #[test]
    fn relations() {
        let v = |s: &str| Component::Value(s.into());
        assert_eq!(Component::Any.relation(&v("x")), Relation::Superset);
        assert_eq!(v("x").relation(&v("x")), Relation::Equal);
        assert_eq!(v("x").relation(&v("y")), Relation::Disjoint);
        assert_eq!(v("x").relation(&Component::Any), Relation::Subset);
        assert_eq!(Component::Na.relation(&v("x")), Relation::Disjoint);
        assert_eq!(Component::Na.relation(&Component::Na), Relation::Equal);
        let p = Component::Pattern("windows_10_*".into());
        assert_eq!(p.relation(&v("windows_10_22h2")), Relation::Superset);
        assert_eq!(p.relation(&v("windows_11_22h2")), Relation::Disjoint);
        assert!(glob("a?c", "abc"));
        assert!(!glob(r"a\*c", "abc"));
        assert!(glob(r"a\*c", "a*c"));
    }
}
