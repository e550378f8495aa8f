//! 脆弱性フィード — offline vulnerability feeds: NVD CVE API 2.0 JSON, the CISA KEV
//! catalog, and JVN (MyJVN API XML).
//!
//! [`parse_feed`] takes the raw bytes of one file (gzip accepted, detected by its magic
//! bytes), detects the format from the content and returns the typed records, the feed's own
//! date and the SHA-256 of the raw bytes. No I/O, no clock.

use std::collections::HashMap;
use std::io::Read;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::cpe::Cpe;

/// Which feed a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedKind {
    /// NVD CVE API 2.0 response page, a dump in the same shape (NVD's 2.0 data feeds), or
    /// one bare `cve` object (one file of a per-CVE mirror).
    Nvd,
    /// CISA Known Exploited Vulnerabilities catalog.
    Kev,
    /// JVN iPedia via the MyJVN API (`getVulnOverviewList` RSS or `getVulnDetailInfo` VULDEF).
    Jvn,
}

impl FeedKind {
    /// A stable lower-case name (`nvd`, `kev`, `jvn`).
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Nvd => "nvd",
            FeedKind::Kev => "kev",
            FeedKind::Jvn => "jvn",
        }
    }
}

/// One parsed feed file.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The detected format.
    pub kind: FeedKind,
    /// The feed's own date: NVD `timestamp`, KEV `dateReleased`, JVN channel `dc:date` (or the
    /// latest `DateLastUpdated` of a VULDEF document). `None` when the file carries none.
    pub feed_date: Option<String>,
    /// The feed's own version label, when it has one (KEV `catalogVersion`).
    pub feed_version: Option<String>,
    /// SHA-256 of the raw bytes as given (before gunzip), lower-case hex.
    pub sha256: String,
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// The records.
    pub data: FeedData,
}

/// The records of a feed.
#[derive(Debug, Clone)]
pub enum FeedData {
    /// NVD CVE records.
    Nvd(Vec<CveRecord>),
    /// The KEV catalog.
    Kev(KevCatalog),
    /// JVN records.
    Jvn(Vec<JvnRecord>),
}

/// Why a feed file could not be read. Messages are Japanese (shown to the importing user)
/// and name the record and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedError {
    /// The gzip stream is broken.
    #[error("gzip の展開に失敗しました: {0}")]
    Gzip(String),
    /// The format could not be recognised.
    #[error(
        "フィードの形式を判別できません（NVD 2.0 JSON / KEV JSON / MyJVN XML のいずれでもありません）: {0}"
    )]
    UnknownFormat(String),
    /// Not valid UTF-8.
    #[error("UTF-8 のテキストではありません（{0} バイト目）")]
    NotUtf8(usize),
    /// Invalid JSON, outside any record.
    #[error("JSON として読めません（{line} 行 {column} 列, 項目 `{field}`）: {message}")]
    Json {
        /// Path of the field (`timestamp`, `vulnerabilities` …).
        field: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A bad NVD record.
    #[error("NVD レコード {index} 番目（{cve_id}）の項目 `{field}` が不正です: {message}")]
    NvdRecord {
        /// Index in `vulnerabilities` (0-based).
        index: usize,
        /// The CVE id, or `ID不明`.
        cve_id: String,
        /// Path of the field inside the record.
        field: String,
        /// Parser message.
        message: String,
    },
    /// A bad KEV entry.
    #[error("KEV 項目 {index} 番目（{cve_id}）の項目 `{field}` が不正です: {message}")]
    KevEntry {
        /// Index in `vulnerabilities` (0-based).
        index: usize,
        /// The CVE id, or `ID不明`.
        cve_id: String,
        /// Field name.
        field: String,
        /// Parser message.
        message: String,
    },
    /// Invalid XML.
    #[error("XML として読めません（{position} バイト目付近）: {message}")]
    Xml {
        /// Byte position.
        position: u64,
        /// Parser message.
        message: String,
    },
    /// A bad JVN record.
    #[error("JVN レコード {index} 番目（{id}）の項目 `{field}` が不正です: {message}")]
    JvnRecord {
        /// Index of the item (0-based).
        index: usize,
        /// The JVNDB id, or `ID不明`.
        id: String,
        /// Element name.
        field: String,
        /// Message.
        message: String,
    },
}

/// Parses one feed file. Detects gzip by its magic bytes and the format from the content.
pub fn parse_feed(raw: &[u8]) -> Result<Feed, FeedError> {
    let sha256 = sha256_hex(raw);
    let gzip = raw.starts_with(&[0x1f, 0x8b]);
    let unzipped;
    let bytes: &[u8] = if gzip {
        // The gzip trailer holds the size of the last member mod 2^32: a capacity hint only.
        let hint = raw
            .last_chunk::<4>()
            .map(|t| u32::from_le_bytes(*t) as usize)
            .unwrap_or(0)
            .min(raw.len().saturating_mul(32));
        let mut out = Vec::with_capacity(hint);
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| FeedError::Gzip(e.to_string()))?;
        unzipped = out;
        &unzipped
    } else {
        raw
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| FeedError::UnknownFormat("空のファイルです".into()))?;
    let (kind, feed_date, feed_version, data) = match bytes[start] {
        b'{' => {
            if looks_like_kev(bytes) {
                let cat = parse_kev(bytes)?;
                (
                    FeedKind::Kev,
                    Some(cat.date_released.clone()),
                    Some(cat.catalog_version.clone()),
                    FeedData::Kev(cat),
                )
            } else if looks_like_nvd(bytes) {
                let (ts, recs) = parse_nvd(bytes)?;
                (FeedKind::Nvd, ts, None, FeedData::Nvd(recs))
            } else if looks_like_single_cve(bytes) {
                let rec = parse_single_cve(bytes)?;
                (FeedKind::Nvd, None, None, FeedData::Nvd(vec![rec]))
            } else {
                return Err(FeedError::UnknownFormat(
                    "JSON ですが NVD の vulnerabilities[].cve も KEV の cveID もありません".into(),
                ));
            }
        }
        b'<' => {
            let text =
                std::str::from_utf8(bytes).map_err(|e| FeedError::NotUtf8(e.valid_up_to()))?;
            let (date, recs) = crate::jvn::parse_jvn(text)?;
            (FeedKind::Jvn, date, None, FeedData::Jvn(recs))
        }
        other => {
            return Err(FeedError::UnknownFormat(format!(
                "先頭の文字 `{}` は JSON でも XML でもありません",
                char::from(other).escape_default()
            )));
        }
    };
    Ok(Feed {
        kind,
        feed_date,
        feed_version,
        sha256,
        gzip,
        data,
    })
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn head(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(64 * 1024)]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn looks_like_kev(bytes: &[u8]) -> bool {
    let h = head(bytes);
    contains(h, b"\"catalogVersion\"") || contains(h, b"\"cveID\"")
}

fn looks_like_nvd(bytes: &[u8]) -> bool {
    let h = head(bytes);
    contains(h, b"\"NVD_CVE\"") || (contains(h, b"\"vulnerabilities\"") && contains(h, b"\"cve\""))
}

/// One bare `cve` object, as stored per file by NVD mirrors (e.g. fkie-cad/nvd-json-data-feeds).
fn looks_like_single_cve(bytes: &[u8]) -> bool {
    let h = head(bytes);
    contains(h, b"\"id\"") && contains(h, b"\"published\"") && contains(h, b"\"lastModified\"")
}

fn parse_single_cve(bytes: &[u8]) -> Result<CveRecord, FeedError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let cve_id = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| "ID不明".into());
        FeedError::NvdRecord {
            index: 0,
            cve_id,
            field,
            message: inner.to_string(),
        }
    })
}

// ---------------------------------------------------------------------------------------
// NVD CVE API 2.0

/// One CVE record of the NVD CVE API 2.0 (`vulnerabilities[].cve`). Fields anzen does not
/// use (references, weaknesses, vendor comments) are skipped.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CveRecord {
    /// `CVE-YYYY-NNNN`.
    pub id: String,
    /// CNA that published the record.
    #[serde(default)]
    pub source_identifier: Option<String>,
    /// Publication time as written by NVD (no offset, UTC).
    pub published: String,
    /// Last modification time.
    pub last_modified: String,
    /// `Analyzed`, `Modified`, `Deferred` …
    #[serde(default)]
    pub vuln_status: Option<String>,
    /// Descriptions per language.
    #[serde(default)]
    pub descriptions: Vec<LangString>,
    /// CVSS metrics.
    #[serde(default)]
    pub metrics: Metrics,
    /// Applicability statements.
    #[serde(default)]
    pub configurations: Vec<Configuration>,
    /// KEV date added, copied by NVD.
    #[serde(default)]
    pub cisa_exploit_add: Option<String>,
    /// KEV due date, copied by NVD.
    #[serde(default)]
    pub cisa_action_due: Option<String>,
    /// KEV required action, copied by NVD.
    #[serde(default)]
    pub cisa_required_action: Option<String>,
    /// KEV vulnerability name, copied by NVD.
    #[serde(default)]
    pub cisa_vulnerability_name: Option<String>,
}

/// A text in one language.
#[derive(Debug, Clone, Deserialize)]
pub struct LangString {
    /// `en`, `es` …
    pub lang: String,
    /// The text (may contain HTML).
    pub value: String,
}

/// CVSS metrics per version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// CVSS v4.0.
    #[serde(default, rename = "cvssMetricV40")]
    pub cvss_metric_v40: Vec<CvssMetric>,
    /// CVSS v3.1.
    #[serde(default, rename = "cvssMetricV31")]
    pub cvss_metric_v31: Vec<CvssMetric>,
    /// CVSS v3.0.
    #[serde(default, rename = "cvssMetricV30")]
    pub cvss_metric_v30: Vec<CvssMetric>,
    /// CVSS v2.
    #[serde(default, rename = "cvssMetricV2")]
    pub cvss_metric_v2: Vec<CvssMetric>,
}

/// One CVSS metric.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssMetric {
    /// Who scored it.
    #[serde(default)]
    pub source: Option<String>,
    /// `Primary` or `Secondary`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The score.
    pub cvss_data: CvssData,
    /// v2 keeps the severity here rather than in `cvssData`.
    #[serde(default)]
    pub base_severity: Option<String>,
}

/// The scored data.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssData {
    /// `2.0`, `3.0`, `3.1`, `4.0`.
    pub version: String,
    /// Vector.
    #[serde(default)]
    pub vector_string: Option<String>,
    /// Base score.
    pub base_score: f64,
    /// `CRITICAL`, `HIGH`, … (v3/v4).
    #[serde(default)]
    pub base_severity: Option<String>,
}

/// The CVSS score anzen uses for a record.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssSummary {
    /// CVSS version (`3.1` …).
    pub version: String,
    /// Base score.
    pub score: f64,
    /// Severity in upper case (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `NONE`).
    pub severity: String,
    /// Vector string.
    pub vector: Option<String>,
    /// Who scored it.
    pub source: Option<String>,
}

impl CveRecord {
    /// The English description, else the first one.
    pub fn description_en(&self) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|d| d.lang == "en")
            .or_else(|| self.descriptions.first())
            .map(|d| d.value.as_str())
    }

    /// The best available CVSS score: v4.0, then v3.1, v3.0, v2. Within a version: the
    /// `Primary` metric, else NVD's own (`nvd@nist.gov`), else the highest score.
    pub fn cvss(&self) -> Option<CvssSummary> {
        for list in [
            &self.metrics.cvss_metric_v40,
            &self.metrics.cvss_metric_v31,
            &self.metrics.cvss_metric_v30,
            &self.metrics.cvss_metric_v2,
        ] {
            let chosen = list
                .iter()
                .find(|m| m.kind.as_deref() == Some("Primary"))
                .or_else(|| {
                    list.iter()
                        .find(|m| m.source.as_deref() == Some("nvd@nist.gov"))
                })
                .or_else(|| {
                    list.iter()
                        .max_by(|a, b| a.cvss_data.base_score.total_cmp(&b.cvss_data.base_score))
                });
            if let Some(m) = chosen {
                let severity = m
                    .cvss_data
                    .base_severity
                    .clone()
                    .or_else(|| m.base_severity.clone())
                    .unwrap_or_else(|| severity_from_score(m.cvss_data.base_score).to_string())
                    .to_ascii_uppercase();
                return Some(CvssSummary {
                    version: m.cvss_data.version.clone(),
                    score: m.cvss_data.base_score,
                    severity,
                    vector: m.cvss_data.vector_string.clone(),
                    source: m.source.clone(),
                });
            }
        }
        None
    }
}

/// CVSS v3 qualitative rating of a score.
pub fn severity_from_score(score: f64) -> &'static str {
    if score >= 9.0 {
        "CRITICAL"
    } else if score >= 7.0 {
        "HIGH"
    } else if score >= 4.0 {
        "MEDIUM"
    } else if score > 0.0 {
        "LOW"
    } else {
        "NONE"
    }
}

/// Node operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Operator {
    /// All children.
    #[serde(rename = "AND")]
    And,
    /// Any child.
    #[serde(rename = "OR")]
    Or,
}

/// One applicability statement: nodes combined with `operator` (default OR).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// How the nodes combine; absent means OR (a single node).
    #[serde(default)]
    pub operator: Option<Operator>,
    /// Negates the whole configuration.
    #[serde(default)]
    pub negate: bool,
    /// Nodes.
    pub nodes: Vec<Node>,
}

/// A node: cpeMatch entries combined with `operator`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// How the entries combine.
    pub operator: Operator,
    /// Negates the node.
    #[serde(default)]
    pub negate: bool,
    /// Entries.
    #[serde(default)]
    pub cpe_match: Vec<CpeMatch>,
}

/// One criteria: a CPE name plus an optional version range.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    /// `true`: this CPE is vulnerable; `false`: a platform it must run on.
    pub vulnerable: bool,
    /// The criteria CPE 2.3 name.
    #[serde(deserialize_with = "de_cpe")]
    pub criteria: Cpe,
    /// NVD's id for the criteria.
    #[serde(default)]
    pub match_criteria_id: Option<String>,
    /// `>=`.
    #[serde(default)]
    pub version_start_including: Option<String>,
    /// `>`.
    #[serde(default)]
    pub version_start_excluding: Option<String>,
    /// `<=`.
    #[serde(default)]
    pub version_end_including: Option<String>,
    /// `<`.
    #[serde(default)]
    pub version_end_excluding: Option<String>,
}

impl CpeMatch {
    /// Whether any range bound is present.
    pub fn has_range(&self) -> bool {
        self.version_start_including.is_some()
            || self.version_start_excluding.is_some()
            || self.version_end_including.is_some()
            || self.version_end_excluding.is_some()
    }
}

fn de_cpe<'de, D: Deserializer<'de>>(d: D) -> Result<Cpe, D::Error> {
    let s = String::deserialize(d)?;
    Cpe::parse(&s).map_err(|e| serde::de::Error::custom(format!("`{s}`: {e}")))
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    s.trim()
        .parse::<Date>()
        .map_err(|e| serde::de::Error::custom(format!("日付 `{s}` が不正です: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdDoc {
    #[serde(default)]
    timestamp: Option<String>,
    vulnerabilities: Vec<NvdItem>,
}

#[derive(Deserialize)]
struct NvdItem {
    cve: CveRecord,
}

fn parse_nvd(bytes: &[u8]) -> Result<(Option<String>, Vec<CveRecord>), FeedError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: NvdDoc = match serde_path_to_error::deserialize(&mut de) {
        Ok(d) => d,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match split_index(&path, "vulnerabilities[") {
                Some((index, field)) => FeedError::NvdRecord {
                    index,
                    cve_id: lookup_id(bytes, index, &["cve", "id"]),
                    field: field
                        .trim_start_matches('.')
                        .trim_start_matches("cve.")
                        .to_string(),
                    message: inner.to_string(),
                },
                None => FeedError::Json {
                    field: path,
                    line: inner.line(),
                    column: inner.column(),
                    message: inner.to_string(),
                },
            });
        }
    };
    Ok((
        doc.timestamp,
        doc.vulnerabilities.into_iter().map(|v| v.cve).collect(),
    ))
}

/// Splits `vulnerabilities[3].cve.id` into (3, `.cve.id`).
fn split_index<'a>(path: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = path.strip_prefix(prefix)?;
    let close = rest.find(']')?;
    let index = rest[..close].parse().ok()?;
    Some((index, &rest[close + 1..]))
}

/// Error path only: re-reads the document loosely to name the record.
fn lookup_id(bytes: &[u8], index: usize, keys: &[&str]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return "ID不明".into();
    };
    let mut cur = &v["vulnerabilities"][index];
    for k in keys {
        cur = &cur[*k];
    }
    cur.as_str().unwrap_or("ID不明").to_string()
}

// ---------------------------------------------------------------------------------------
// CISA KEV

/// The CISA KEV catalog.
#[derive(Debug, Clone)]
pub struct KevCatalog {
    /// Title.
    pub title: Option<String>,
    /// `2025.08.25`.
    pub catalog_version: String,
    /// `2025-08-25T17:04:19.9796Z`.
    pub date_released: String,
    /// Entries in catalog order.
    pub entries: Vec<KevEntry>,
    index: HashMap<String, usize>,
}

/// One KEV entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    /// CVE id.
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// Vendor (free text).
    pub vendor_project: String,
    /// Product (free text).
    pub product: String,
    /// Name.
    pub vulnerability_name: String,
    /// Date added to the catalog.
    #[serde(deserialize_with = "de_date")]
    pub date_added: Date,
    /// Description.
    pub short_description: String,
    /// What to do.
    pub required_action: String,
    /// Due date for US federal agencies (BOD 22-01); anzen shows it as the 対応期限 reference.
    #[serde(deserialize_with = "de_date")]
    pub due_date: Date,
    /// `Known` / `Unknown`.
    #[serde(default)]
    pub known_ransomware_campaign_use: Option<String>,
    /// Notes (links).
    #[serde(default)]
    pub notes: Option<String>,
    /// CWE ids.
    #[serde(default)]
    pub cwes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevDoc {
    #[serde(default)]
    title: Option<String>,
    catalog_version: String,
    date_released: String,
    vulnerabilities: Vec<KevEntry>,
}

impl KevCatalog {
    /// Builds a catalog from entries (e.g. restored from storage).
    pub fn new(
        title: Option<String>,
        catalog_version: String,
        date_released: String,
        entries: Vec<KevEntry>,
    ) -> KevCatalog {
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.cve_id.trim().to_ascii_uppercase(), i))
            .collect();
        KevCatalog {
            title,
            catalog_version,
            date_released,
            entries,
            index,
        }
    }

    /// The entry for a CVE id (case-insensitive).
    pub fn get(&self, cve_id: &str) -> Option<&KevEntry> {
        self.index
            .get(&cve_id.trim().to_ascii_uppercase())
            .and_then(|&i| self.entries.get(i))
    }

    /// Whether a CVE is in the catalog.
    pub fn contains(&self, cve_id: &str) -> bool {
        self.get(cve_id).is_some()
    }
}

fn parse_kev(bytes: &[u8]) -> Result<KevCatalog, FeedError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: KevDoc = match serde_path_to_error::deserialize(&mut de) {
        Ok(d) => d,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match split_index(&path, "vulnerabilities[") {
                Some((index, field)) => FeedError::KevEntry {
                    index,
                    cve_id: lookup_id(bytes, index, &["cveID"]),
                    field: field.trim_start_matches('.').to_string(),
                    message: inner.to_string(),
                },
                None => FeedError::Json {
                    field: path,
                    line: inner.line(),
                    column: inner.column(),
                    message: inner.to_string(),
                },
            });
        }
    };
    Ok(KevCatalog::new(
        doc.title,
        doc.catalog_version,
        doc.date_released,
        doc.vulnerabilities,
    ))
}

// ---------------------------------------------------------------------------------------
// JVN

/// One JVN iPedia record (only what anzen uses).
#[derive(Debug, Clone, PartialEq)]
pub struct JvnRecord {
    /// `JVNDB-2019-000000`.
    pub id: String,
    /// Title (Japanese).
    pub title: String,
    /// CVE ids it references.
    pub cve_ids: Vec<String>,
    /// CPE names (CPE 2.2 without a version in MyJVN).
    pub cpes: Vec<Cpe>,
    /// Affected versions as free Japanese text (VULDEF `VersionNumber`), not matched.
    pub affected_versions_ja: Vec<String>,
    /// First published (`dcterms:issued` / `DateFirstPublished`).
    pub published: Option<String>,
    /// Last updated (`dcterms:modified` / `DateLastUpdated`).
    pub modified: Option<String>,
    /// CVSS scores.
    pub cvss: Vec<JvnCvss>,
}

/// A CVSS score in a JVN record.
#[derive(Debug, Clone, PartialEq)]
pub struct JvnCvss {
    /// `2.0`, `3.0` …
    pub version: Option<String>,
    /// Base score.
    pub score: Option<f64>,
    /// Severity as written (`Critical`, `High` …).
    pub severity: Option<String>,
    /// Vector.
    pub vector: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_json_is_refused() {
        assert!(matches!(
            parse_feed(b"{\"a\": 1}"),
            Err(FeedError::UnknownFormat(_))
        ));
        assert!(matches!(
            parse_feed(b"   "),
            Err(FeedError::UnknownFormat(_))
        ));
        assert!(matches!(
            parse_feed(b"hello"),
            Err(FeedError::UnknownFormat(_))
        ));
    }

    #[test]
    fn nvd_error_names_record_and_field() {
        let doc = br#"{"format":"NVD_CVE","vulnerabilities":[
          {"cve":{"id":"CVE-2000-0001","published":"x","lastModified":"y"}},
          {"cve":{"id":"CVE-2000-0002","published":"x","lastModified":"y",
            "configurations":[{"nodes":[{"operator":"OR","cpeMatch":[
              {"vulnerable":true,"criteria":"cpe:2.3:q:bad"}]}]}]}}]}"#;
        match parse_feed(doc) {
            Err(FeedError::NvdRecord {
                index,
                cve_id,
                field,
                ..
            }) => {
                assert_eq!(index, 1);
                assert_eq!(cve_id, "CVE-2000-0002");
                assert!(field.contains("criteria"), "{field}");
            }
            other => panic!("expected NvdRecord error, got {other:?}"),
        }
    }

    #[test]
    fn kev_error_names_entry_and_field() {
        let doc = br#"{"catalogVersion":"1","dateReleased":"2025-01-01","vulnerabilities":[
          {"cveID":"CVE-2000-0003","vendorProject":"v","product":"p","vulnerabilityName":"n",
           "dateAdded":"2025-01-01","shortDescription":"d","requiredAction":"a","dueDate":"2025-13-01"}]}"#;
        match parse_feed(doc) {
            Err(e @ FeedError::KevEntry { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("CVE-2000-0003") && msg.contains("dueDate"),
                    "{msg}"
                );
            }
            other => panic!("expected KevEntry error, got {other:?}"),
        }
    }
}
