//! 別名表 — from what a clinic writes in the 資産台帳 (asset ledger: 製造元 / 製品名 /
//! バージョン / OS / CPE) to CPE names.
//!
//! The CPE column wins when it is filled. Otherwise the text is normalised (NFKC, lower case,
//! `Windows10` → `windows 10`) and matched against the alias table
//! `crates/vuln/data/aliases.toml` (embedded). An alias names the CPE vendor:product and a
//! version extraction rule. An unknown product yields no CPE and a Japanese reason
//! (`CPEを特定できません: …`) so the ledger can show 要確認.

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::cpe::Cpe;
use crate::version::Scheme;

/// The ledger columns the alias table reads (資産台帳 columns 製造元, 製品名, バージョン, OS,
/// CPE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetDescription {
    /// 製造元 (vendor).
    pub vendor: String,
    /// 製品名 (product).
    pub product: String,
    /// バージョン (version).
    pub version: String,
    /// OS (os).
    pub os: String,
    /// CPE (cpe): one or more CPE names separated by whitespace, `;` or `|`.
    pub cpe: String,
}

impl AssetDescription {
    /// Convenience constructor.
    pub fn new(vendor: &str, product: &str, version: &str, os: &str) -> AssetDescription {
        AssetDescription {
            vendor: vendor.into(),
            product: product.into(),
            version: version.into(),
            os: os.into(),
            cpe: String::new(),
        }
    }
}

/// One CPE derived for an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedCpe {
    /// The name.
    pub cpe: Cpe,
    /// The alias entry id, or `cpe-column`.
    pub source: String,
    /// Whether the vendor:product pair is confirmed against NVD data (`false` ⇒ show 要確認).
    pub verified: bool,
}

/// The CPEs derived for an asset, with warnings (Japanese) about what is incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Derivation {
    /// The CPE names.
    pub cpes: Vec<DerivedCpe>,
    /// Warnings: version missing, unverified CPE name … (Japanese).
    pub warnings_ja: Vec<String>,
}

impl Derivation {
    /// The bare CPE names, for [`crate::matcher::match_cve`].
    pub fn names(&self) -> Vec<Cpe> {
        self.cpes.iter().map(|d| d.cpe.clone()).collect()
    }
}

/// No CPE could be derived (要確認).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason_ja}")]
pub struct Unresolved {
    /// `CPEを特定できません: …`.
    pub reason_ja: String,
}

/// A problem in the alias data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AliasError {
    /// TOML syntax or shape.
    #[error("別名表 {origin} を読めません: {message}")]
    Toml {
        /// File name.
        origin: String,
        /// Message.
        message: String,
    },
    /// A bad entry.
    #[error("別名表 {origin} の項目 `{id}` が不正です: {message}")]
    Entry {
        /// File name.
        origin: String,
        /// Entry id.
        id: String,
        /// Message.
        message: String,
    },
}

/// Version extraction rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRule {
    /// The first token readable in the product's version scheme.
    Dotted,
    /// As `Dotted`, and a pre-release suffix goes to update (`2.0-beta9` → `2.0` + `beta9`).
    DottedPrereleaseUpdate,
    /// Ivanti: `9.0R3.4` → version `9.0`, update `r3.4` where the template says
    /// `split_update`, else `9.0r3.4`.
    Ivanti,
    /// PAN-OS: `10.2.9-h1` → `10.2.9` + update `h1` (with `split_update`).
    Panos,
    /// Ubuntu: `22.04.3 LTS` → `22.04`, sw_edition `lts` for even-year `.04` releases.
    Ubuntu,
    /// RHEL: `8.6` → `8.6` and the stream name `8.0` that NVD mostly uses.
    Rhel,
    /// Windows client/server editions (built in: product names depend on the edition).
    Windows,
}

/// One CPE template of an alias.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpeTemplate {
    /// `part:vendor:product`; `{model}` is replaced by the model token.
    pub cpe: String,
    /// Put the release / hotfix in the update attribute.
    #[serde(default)]
    pub split_update: bool,
}

/// One alias entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    /// Stable id.
    pub id: String,
    /// Human label.
    pub label: String,
    /// Normalised keywords; one must start a word in 製造元/製品名/OS.
    pub keywords: Vec<String>,
    /// If any of these occurs, the alias does not apply.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// If non-empty, one of these must also occur (e.g. the vendor name).
    #[serde(default)]
    pub requires_any: Vec<String>,
    /// Model prefixes for `{model}` templates (`rtx` → `rtx1210`).
    #[serde(default)]
    pub model_prefixes: Vec<String>,
    /// Version rule.
    pub version: VersionRule,
    /// CPE templates (unused by the `windows` rule).
    #[serde(default)]
    pub cpes: Vec<CpeTemplate>,
    /// Whether the vendor:product pairs are confirmed in NVD data.
    pub verified: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasFile {
    alias: Vec<Alias>,
}

/// The alias table.
#[derive(Debug, Clone)]
pub struct AliasTable {
    aliases: Vec<Alias>,
}

const BUILTIN: &str = include_str!("../data/aliases.toml");

impl AliasTable {
    /// The embedded table.
    pub fn builtin() -> Result<AliasTable, AliasError> {
        AliasTable::from_toml_str("aliases.toml", BUILTIN)
    }

    /// Parses and validates a table.
    pub fn from_toml_str(origin: &str, text: &str) -> Result<AliasTable, AliasError> {
        let file: AliasFile = toml::from_str(text).map_err(|e| AliasError::Toml {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        let mut seen = std::collections::HashSet::new();
        for a in &file.alias {
            let err = |message: String| AliasError::Entry {
                origin: origin.into(),
                id: a.id.clone(),
                message,
            };
            if !seen.insert(a.id.clone()) {
                return Err(err("id が重複しています".into()));
            }
            if a.keywords.is_empty() {
                return Err(err("keywords が空です".into()));
            }
            for k in a.keywords.iter().chain(&a.exclude).chain(&a.requires_any) {
                if normalize(k) != *k {
                    return Err(err(format!(
                        "キーワード `{k}` が正規化済み（NFKC・小文字）ではありません"
                    )));
                }
            }
            if a.version != VersionRule::Windows && a.cpes.is_empty() {
                return Err(err("cpes が空です".into()));
            }
            for t in &a.cpes {
                let probe = t.cpe.replace("{model}", "x");
                let parts: Vec<&str> = probe.split(':').collect();
                if parts.len() != 3 || !matches!(parts[0], "a" | "o" | "h") {
                    return Err(err(format!(
                        "cpe `{}` は part:vendor:product ではありません",
                        t.cpe
                    )));
                }
                if t.cpe.contains("{model}") && a.model_prefixes.is_empty() {
                    return Err(err("{model} を使うには model_prefixes が必要です".into()));
                }
            }
        }
        Ok(AliasTable {
            aliases: file.alias,
        })
    }

    /// All entries.
    pub fn aliases(&self) -> &[Alias] {
        &self.aliases
    }

    /// Derives CPE names for an asset.
    pub fn derive(&self, asset: &AssetDescription) -> Result<Derivation, Unresolved> {
        if !asset.cpe.trim().is_empty() {
            return from_cpe_column(&asset.cpe);
        }
        let vendor = normalize(&asset.vendor);
        let product = normalize(&asset.product);
        let os = normalize(&asset.os);
        let version = normalize(&asset.version);
        let all = format!("{vendor} | {product} | {os}");
        let mut out = Derivation::default();
        for a in &self.aliases {
            let Some(kw) = a.keywords.iter().find(|k| word_start(&all, k)) else {
                continue;
            };
            if a.exclude.iter().any(|k| word_start(&all, k)) {
                continue;
            }
            if !a.requires_any.is_empty() && !a.requires_any.iter().any(|k| word_start(&all, k)) {
                continue;
            }
            // Version: prefer the field the keyword was found in.
            let fields: Vec<&str> = if word_start(&os, kw) {
                vec![&os, &version, &product]
            } else {
                vec![&version, &os, &product]
            };
            if a.version == VersionRule::Windows {
                windows_cpes(&all, &fields, &mut out);
                continue;
            }
            let model = find_model(&product, &a.model_prefixes)
                .or_else(|| find_model(&all, &a.model_prefixes));
            for t in &a.cpes {
                let spec = if t.cpe.contains("{model}") {
                    match &model {
                        Some(m) => t.cpe.replace("{model}", m),
                        None => {
                            out.warnings_ja.push(format!(
                                "{}: 型番を特定できないため CPE を作れません",
                                a.label
                            ));
                            continue;
                        }
                    }
                } else {
                    t.cpe.clone()
                };
                let mut it = spec.split(':');
                let (Some(part), Some(v), Some(p)) = (it.next(), it.next(), it.next()) else {
                    continue;
                };
                let part = part.chars().next().unwrap_or('a');
                let scheme = Scheme::for_product(v, p);
                let versions = extract_version(a.version, &fields, scheme, t.split_update);
                if versions.is_empty() {
                    out.warnings_ja.push(format!(
                        "{}: バージョンを読み取れません（バージョン列か OS 列に記入してください）",
                        a.label
                    ));
                    push(&mut out, Cpe::from_parts(part, v, p, "*"), a);
                }
                for ev in versions {
                    let mut cpe = Cpe::from_parts(part, v, p, &ev.version);
                    if let Some(u) = &ev.update {
                        cpe = cpe.with_update(u);
                    }
                    if let Some(s) = &ev.sw_edition {
                        cpe = cpe.with_sw_edition(s);
                    }
                    push(&mut out, cpe, a);
                }
            }
            if !a.verified {
                out.warnings_ja.push(format!(
                    "{}: CPE 名（{}）は NVD での表記を確認できていない推定です（要確認）",
                    a.label,
                    a.cpes
                        .iter()
                        .map(|t| t.cpe.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if out.cpes.is_empty() {
            return Err(Unresolved {
                reason_ja: format!(
                    "CPEを特定できません: 製造元「{}」製品名「{}」OS「{}」に一致する別名がありません（CPE 列に直接記入できます）",
                    asset.vendor.trim(),
                    asset.product.trim(),
                    asset.os.trim()
                ),
            });
        }
        Ok(out)
    }
}

fn push(out: &mut Derivation, cpe: Cpe, a: &Alias) {
    if !out.cpes.iter().any(|d| d.cpe == cpe) {
        out.cpes.push(DerivedCpe {
            cpe,
            source: a.id.clone(),
            verified: a.verified,
        });
    }
}

fn from_cpe_column(col: &str) -> Result<Derivation, Unresolved> {
    let mut out = Derivation::default();
    for s in col.split(|c: char| c.is_whitespace() || c == ';' || c == '|') {
        if s.is_empty() {
            continue;
        }
        let cpe = Cpe::parse(s).map_err(|e| Unresolved {
            reason_ja: format!("CPEを特定できません: CPE 列の `{s}` を読めません（{e}）"),
        })?;
        out.cpes.push(DerivedCpe {
            cpe,
            source: "cpe-column".into(),
            verified: true,
        });
    }
    if out.cpes.is_empty() {
        return Err(Unresolved {
            reason_ja: "CPEを特定できません: CPE 列が空です".into(),
        });
    }
    Ok(out)
}

/// NFKC, lower case, single spaces, and `windows10` / `win10` / `windowsserver` spelled out.
pub fn normalize(s: &str) -> String {
    let n: String = s.nfkc().collect::<String>().to_lowercase();
    let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(n.len() + 8);
    let chars: Vec<char> = n.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..].iter().take(13).collect();
        let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if boundary && rest.starts_with("windowsserver") {
            out.push_str("windows server");
            i += 13;
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                out.push(' ');
            }
            continue;
        }
        if boundary && rest.starts_with("windows") {
            out.push_str("windows");
            i += 7;
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                out.push(' ');
            }
            continue;
        }
        if boundary
            && rest.starts_with("win")
            && (chars.get(i + 3).is_some_and(char::is_ascii_digit)
                || rest.starts_with("win server"))
        {
            out.push_str("windows");
            i += 3;
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                out.push(' ');
            }
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether `kw` occurs in `hay` at a word start (not preceded by an ASCII letter or digit).
pub(crate) fn word_start(hay: &str, kw: &str) -> bool {
    hay.match_indices(kw).any(|(i, _)| {
        hay[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// Whether `kw` occurs as a whole word.
fn whole_word(hay: &str, kw: &str) -> bool {
    hay.match_indices(kw).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + kw.len()..].chars().next();
        before.is_none_or(|c| !c.is_ascii_alphanumeric())
            && after.is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// The first word starting with one of the prefixes and containing a digit (`rtx1210`,
/// `ix2215`, `wsr-1800ax4s`).
fn find_model(text: &str, prefixes: &[String]) -> Option<String> {
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if prefixes.iter().any(|p| w.starts_with(p.as_str()))
            && w.chars().any(|c| c.is_ascii_digit())
        {
            return Some(w.trim_matches('-').to_string());
        }
    }
    None
}

/// Candidate version tokens of a text: pieces of `[0-9a-z.()_-]` with a leading non-digit
/// prefix (`rev.`, `v`) removed, that contain a dot.
fn version_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '(' | ')' | '-' | '_')))
        .filter_map(|piece| {
            let start = piece.find(|c: char| c.is_ascii_digit())?;
            let tok = piece[start..].trim_end_matches(['.', '-', '_']);
            tok.contains('.').then(|| tok.to_string())
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ExtractedVersion {
    version: String,
    update: Option<String>,
    sw_edition: Option<String>,
}

impl ExtractedVersion {
    fn plain(v: &str) -> ExtractedVersion {
        ExtractedVersion {
            version: v.to_string(),
            update: None,
            sw_edition: None,
        }
    }
}

fn first_token(fields: &[&str], scheme: Scheme) -> Option<String> {
    fields
        .iter()
        .flat_map(|f| version_tokens(f))
        .find(|t| scheme.parse(t).is_ok())
}

fn extract_version(
    rule: VersionRule,
    fields: &[&str],
    scheme: Scheme,
    split_update: bool,
) -> Vec<ExtractedVersion> {
    match rule {
        VersionRule::Dotted | VersionRule::Windows => first_token(fields, scheme)
            .map(|t| vec![ExtractedVersion::plain(&t)])
            .unwrap_or_default(),
        VersionRule::DottedPrereleaseUpdate => {
            let Some(t) = first_token(fields, scheme) else {
                return vec![];
            };
            match t.split_once('-') {
                Some((v, pre)) if pre.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                    vec![ExtractedVersion {
                        version: v.into(),
                        update: Some(pre.into()),
                        sw_edition: None,
                    }]
                }
                _ => vec![ExtractedVersion::plain(&t)],
            }
        }
        VersionRule::Ivanti => {
            let Some(t) = first_token(fields, Scheme::Ivanti) else {
                return vec![];
            };
            match (split_update, t.find('r')) {
                (true, Some(i)) => vec![ExtractedVersion {
                    version: t[..i].to_string(),
                    update: Some(t[i..].to_string()),
                    sw_edition: None,
                }],
                _ => vec![ExtractedVersion::plain(&t)],
            }
        }
        VersionRule::Panos => {
            let Some(t) = first_token(fields, Scheme::PanOs) else {
                return vec![];
            };
            match (split_update, t.find('h')) {
                (true, Some(i)) => vec![ExtractedVersion {
                    version: t[..i].trim_end_matches('-').to_string(),
                    update: Some(t[i..].to_string()),
                    sw_edition: None,
                }],
                _ => vec![ExtractedVersion::plain(&t)],
            }
        }
        VersionRule::Ubuntu => {
            let Some(t) = first_token(fields, Scheme::Generic) else {
                return vec![];
            };
            let mut it = t.split('.');
            let (Some(y), Some(m)) = (it.next(), it.next()) else {
                return vec![];
            };
            let lts = m == "04" && y.parse::<u32>().is_ok_and(|y| y % 2 == 0);
            vec![ExtractedVersion {
                version: format!("{y}.{m}"),
                update: None,
                sw_edition: lts.then(|| "lts".to_string()),
            }]
        }
        VersionRule::Rhel => {
            let Some(t) = first_token(fields, Scheme::Generic) else {
                return vec![];
            };
            let major = t.split('.').next().unwrap_or(&t).to_string();
            let mut v = vec![ExtractedVersion::plain(&t)];
            let stream = format!("{major}.0");
            if stream != t {
                v.push(ExtractedVersion::plain(&stream));
            }
            v
        }
    }
}

/// A Windows build from the text: `10.0.19045.1234`, or `19045.1234` (→ `10.0.19045.1234`).
fn windows_build(fields: &[&str]) -> Option<String> {
    for t in fields.iter().flat_map(|f| version_tokens(f)) {
        let parts: Vec<&str> = t.split('.').collect();
        if !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        match parts.as_slice() {
            ["10", "0", b, _] | ["10", "0", b] if b.len() == 5 => return Some(t.clone()),
            [b, _] if b.len() == 5 => return Some(format!("10.0.{t}")),
            _ => {}
        }
    }
    None
}

/// Windows feature release token (`22h2`, `1809`).
fn windows_feature(all: &str) -> Option<String> {
    for w in all.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = w.as_bytes();
        if b.len() == 4
            && b[0].is_ascii_digit()
            && b[1].is_ascii_digit()
            && b[2] == b'h'
            && b[3].is_ascii_digit()
        {
            return Some(w.to_string());
        }
        if matches!(
            w,
            "1507" | "1511" | "1607" | "1703" | "1709" | "1803" | "1809" | "1903" | "1909" | "2004"
        ) {
            return Some(w.to_string());
        }
    }
    None
}

fn windows_cpes(all: &str, fields: &[&str], out: &mut Derivation) {
    let alias_id = "microsoft-windows";
    let mut add = |cpe: Cpe| {
        if !out.cpes.iter().any(|d| d.cpe == cpe) {
            out.cpes.push(DerivedCpe {
                cpe,
                source: alias_id.into(),
                verified: true,
            });
        }
    };
    let build = windows_build(fields);
    let build_or_na = build.clone().unwrap_or_else(|| "-".into());
    let sp = ["sp1", "sp2"].into_iter().find(|s| whole_word(all, s));
    let r2 = whole_word(all, "r2");
    let o = |p: &str, v: &str| Cpe::from_parts('o', "microsoft", p, v);
    if word_start(all, "windows server") {
        for year in ["2003", "2008", "2012", "2016", "2019", "2022", "2025"] {
            if !whole_word(all, year) {
                continue;
            }
            let product = format!("windows_server_{year}");
            match year {
                "2003" | "2008" | "2012" => {
                    let mut c = o(&product, if r2 { "r2" } else { "-" });
                    if let Some(s) = sp {
                        c = c.with_update(s);
                    }
                    add(c);
                }
                _ => {
                    add(o(&product, &build_or_na));
                    add(o("windows_server", year));
                }
            }
            return;
        }
        out.warnings_ja
            .push("Windows Server の年版（2019 等）を読み取れません".into());
        return;
    }
    let feature = windows_feature(all);
    // LTSC / LTSB: fixed feature releases.
    let ltsc = if whole_word(all, "ltsc") || whole_word(all, "ltsb") {
        if whole_word(all, "2016") {
            Some("1607")
        } else if whole_word(all, "2019") {
            Some("1809")
        } else if whole_word(all, "2021") {
            Some("21h2")
        } else {
            None
        }
    } else {
        None
    };
    for (ver, product) in [("10", "windows_10"), ("11", "windows_11")] {
        if !whole_word(all, &format!("windows {ver}")) {
            continue;
        }
        match ltsc.map(str::to_string).or(feature) {
            Some(f) => {
                add(o(&format!("{product}_{f}"), &build_or_na));
                add(o(product, if ver == "10" { &f } else { "-" }));
            }
            None => {
                add(o(product, "*"));
                out.warnings_ja.push(format!(
                    "Windows {ver} の機能更新バージョン（22H2 等）が不明のため、バージョン別の CVE は照合できません"
                ));
            }
        }
        return;
    }
    for (needle, product) in [
        ("windows 8.1", "windows_8.1"),
        ("windows 7", "windows_7"),
        ("windows vista", "windows_vista"),
        ("windows xp", "windows_xp"),
    ] {
        if word_start(all, needle) {
            let mut c = o(product, "-");
            if let Some(s) = sp {
                c = c.with_update(s);
            }
            add(c);
            return;
        }
    }
    out.warnings_ja
        .push("Windows の版（10 / 11 / Server 2019 等）を読み取れません".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize("ＦｏｒｔｉＧａｔｅ　６０Ｆ"), "fortigate 60f");
        assert_eq!(normalize("Windows10 Pro"), "windows 10 pro");
        assert_eq!(normalize("WindowsServer2019"), "windows server 2019");
        assert_eq!(normalize("Win10"), "windows 10");
        assert_eq!(normalize("darwin10"), "darwin10");
    }

    #[test]
    fn tokens() {
        assert_eq!(version_tokens("rev.14.01.38"), vec!["14.01.38"]);
        assert_eq!(version_tokens("fortios v7.2.5 build1517"), vec!["7.2.5"]);
        assert_eq!(version_tokens("15.2(4)m11"), vec!["15.2(4)m11"]);
        assert!(word_start("nec univerge ix2215", "ix"));
        assert!(!word_start("matrix", "rtx") || word_start("rtx1210", "rtx"));
    }

    #[test]
    fn builtin_table_loads() {
        let t = AliasTable::builtin().expect("embedded aliases.toml is valid");
        assert!(t.aliases().len() >= 15);
    }
}
