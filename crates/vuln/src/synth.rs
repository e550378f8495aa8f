//! 合成データ — synthetic NVD feeds and asset ledgers, **for tests and benchmarks only**.
//!
//! [`nvd_feed`] writes a deterministic NVD CVE API 2.0 JSON document of `n` CVEs shaped like
//! the real records (id, sourceIdentifier, dates, vulnStatus, English and Spanish
//! descriptions, `cvssMetricV31` and sometimes `cvssMetricV2`, weaknesses, configurations
//! with OR nodes and AND configurations with a platform node, `cpeMatch` entries with the
//! four range bounds or an exact version, references). The vendor/product distribution has
//! the products of `data/aliases.toml` at roughly their real share and a long tail of
//! thousands of made-up vendors, most of which no asset has. About one record in ten is
//! `Awaiting Analysis` without configurations, as in the real dumps.
//!
//! [`assets`] makes `m` ledger rows: some described in words (製造元 / 製品名 / OS, resolved
//! through the alias table), some with a CPE column of a long-tail product, some of products
//! no CVE names. Exactly the rows with [`SynthAsset::planted_vulnerable`] are vulnerable: they
//! carry version `1.0.0` and every asset product has ranges without a lower bound (the first
//! records of the feed guarantee one per product), while the other rows carry `99.x`, above
//! every bound and exact version the generator writes for products an asset can have.
//!
//! The data is made up: nothing here is a real CVE. The generator uses its own xorshift, no
//! clock and no I/O; the same arguments give the same bytes.

use std::io::Write;

use jiff::civil::date;
use serde::Serialize;

use crate::alias::AssetDescription;
use crate::feeds::{KevCatalog, KevEntry};

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a fixed constant).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        (self.next_u64() >> 11) % n.max(1)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// How the versions of a product are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VStyle {
    /// `7.2.5` — ranges and exact versions.
    Dotted,
    /// `15.2(4)m11` exact versions (classic IOS).
    CiscoIos,
    /// `9.0` + update `r3.3` (Ivanti) or `9.0r3.2` (Pulse).
    Ivanti,
    /// Windows: `*` with a build range.
    Windows,
    /// Exact release with sw_edition `lts` (Ubuntu) or plain (RHEL).
    Release,
}

/// A product of the alias table, with its share of CVEs per million and whether synthetic
/// assets use it (with the ledger text they are described by).
struct Known {
    part: &'static str,
    vendor: &'static str,
    product: &'static str,
    per_million: u32,
    style: VStyle,
    /// 製造元, 製品名, OS prefix (the version is appended to the OS, or to バージョン when
    /// the OS is empty).
    ledger: Option<(&'static str, &'static str, &'static str)>,
}

const KNOWN: &[Known] = &[
    Known {
        part: "o",
        vendor: "fortinet",
        product: "fortios",
        per_million: 1600,
        style: VStyle::Dotted,
        ledger: Some(("フォーティネット", "FortiGate 60F", "FortiOS ")),
    },
    Known {
        part: "a",
        vendor: "fortinet",
        product: "fortiproxy",
        per_million: 400,
        style: VStyle::Dotted,
        ledger: Some(("Fortinet", "FortiProxy VM", "")),
    },
    Known {
        part: "o",
        vendor: "cisco",
        product: "ios_xe",
        per_million: 3000,
        style: VStyle::Dotted,
        ledger: Some(("Cisco", "Catalyst 9300", "IOS XE ")),
    },
    Known {
        part: "o",
        vendor: "cisco",
        product: "ios",
        per_million: 2500,
        style: VStyle::CiscoIos,
        ledger: None,
    },
    Known {
        part: "a",
        vendor: "cisco",
        product: "adaptive_security_appliance_software",
        per_million: 1200,
        style: VStyle::Dotted,
        ledger: None,
    },
    Known {
        part: "o",
        vendor: "paloaltonetworks",
        product: "pan-os",
        per_million: 800,
        style: VStyle::Dotted,
        ledger: Some(("パロアルトネットワークス", "PA-220", "PAN-OS ")),
    },
    Known {
        part: "o",
        vendor: "citrix",
        product: "application_delivery_controller_firmware",
        per_million: 400,
        style: VStyle::Dotted,
        ledger: None,
    },
    Known {
        part: "a",
        vendor: "citrix",
        product: "gateway",
        per_million: 300,
        style: VStyle::Dotted,
        ledger: None,
    },
    Known {
        part: "a",
        vendor: "ivanti",
        product: "connect_secure",
        per_million: 300,
        style: VStyle::Ivanti,
        ledger: None,
    },
    Known {
        part: "a",
        vendor: "pulsesecure",
        product: "pulse_connect_secure",
        per_million: 300,
        style: VStyle::Ivanti,
        ledger: None,
    },
    Known {
        part: "a",
        vendor: "pulsesecure",
        product: "pulse_policy_secure",
        per_million: 150,
        style: VStyle::Ivanti,
        ledger: None,
    },
    Known {
        part: "o",
        vendor: "sonicwall",
        product: "sonicos",
        per_million: 400,
        style: VStyle::Dotted,
        ledger: Some(("ソニックウォール", "TZ370", "SonicOS ")),
    },
    Known {
        part: "o",
        vendor: "yamaha",
        product: "rtx1210_firmware",
        per_million: 40,
        style: VStyle::Dotted,
        ledger: Some(("YAMAHA", "RTX1210", "")),
    },
    Known {
        part: "o",
        vendor: "nec",
        product: "univerge_ix2215_firmware",
        per_million: 20,
        style: VStyle::Dotted,
        ledger: Some(("NEC", "UNIVERGE IX2215", "")),
    },
    Known {
        part: "a",
        vendor: "apache",
        product: "log4j",
        per_million: 60,
        style: VStyle::Dotted,
        ledger: Some(("Apache", "Log4j", "")),
    },
    Known {
        part: "o",
        vendor: "microsoft",
        product: "windows_10_22h2",
        per_million: 6000,
        style: VStyle::Windows,
        ledger: None,
    },
    Known {
        part: "o",
        vendor: "microsoft",
        product: "windows_server_2019",
        per_million: 6000,
        style: VStyle::Windows,
        ledger: None,
    },
    Known {
        part: "o",
        vendor: "redhat",
        product: "enterprise_linux",
        per_million: 12000,
        style: VStyle::Release,
        ledger: None,
    },
    Known {
        part: "o",
        vendor: "canonical",
        product: "ubuntu_linux",
        per_million: 12000,
        style: VStyle::Release,
        ledger: None,
    },
];

/// Made-up vendors of the long tail. The first half may appear in assets (their ranges
/// always have an upper bound below 40); the second half also gets "all versions" (`*`) and
/// `-` criteria and is never in an asset.
const TAIL_VENDORS: usize = 6000;
const SYL: [&str; 20] = [
    "ka", "to", "mi", "ra", "zen", "vo", "lex", "tri", "qua", "nor", "sol", "pix", "den", "ul",
    "bri", "cor", "fen", "gal", "hy", "jo",
];
const PRODUCT_KINDS: [&str; 12] = [
    "server",
    "firmware",
    "cms",
    "router",
    "viewer",
    "gateway",
    "agent",
    "portal",
    "controller",
    "manager",
    "plugin",
    "camera",
];

fn tail_vendor(i: usize) -> String {
    let s = SYL.len();
    format!(
        "{}{}{}",
        SYL[i % s],
        SYL[(i / s) % s],
        SYL[(i / (s * s)) % s]
    )
}

fn tail_products(i: usize) -> usize {
    1 + (i.wrapping_mul(2_654_435_761) >> 7) % 6
}

fn tail_product(vendor: usize, j: usize) -> String {
    let kind = PRODUCT_KINDS[(vendor * 7 + j * 3) % PRODUCT_KINDS.len()];
    format!(
        "{}_{kind}",
        SYL[(vendor + j * 11) % SYL.len()].to_owned() + SYL[j % SYL.len()]
    )
}

fn tail_part(vendor: usize, j: usize) -> &'static str {
    match (vendor + j) % 4 {
        0 => "o",
        _ => "a",
    }
}

const WORDS: [&str; 48] = [
    "allows",
    "remote",
    "attackers",
    "to",
    "execute",
    "arbitrary",
    "code",
    "via",
    "a",
    "crafted",
    "request",
    "in",
    "the",
    "web",
    "management",
    "interface",
    "of",
    "an",
    "authenticated",
    "user",
    "buffer",
    "overflow",
    "cross-site",
    "scripting",
    "SQL",
    "injection",
    "path",
    "traversal",
    "component",
    "parameter",
    "which",
    "could",
    "lead",
    "denial",
    "service",
    "information",
    "disclosure",
    "when",
    "processing",
    "HTTP",
    "headers",
    "improper",
    "validation",
    "input",
    "memory",
    "corruption",
    "privilege",
    "escalation",
];
const PALABRAS: [&str; 24] = [
    "permite",
    "a",
    "atacantes",
    "remotos",
    "ejecutar",
    "código",
    "arbitrario",
    "mediante",
    "una",
    "solicitud",
    "manipulada",
    "en",
    "la",
    "interfaz",
    "de",
    "administración",
    "web",
    "desbordamiento",
    "búfer",
    "inyección",
    "SQL",
    "recorrido",
    "ruta",
    "usuario",
];
const CWES: [&str; 10] = [
    "CWE-79",
    "CWE-787",
    "CWE-89",
    "CWE-20",
    "CWE-22",
    "CWE-125",
    "CWE-416",
    "CWE-78",
    "CWE-287",
    "NVD-CWE-noinfo",
];
const SOURCES: [&str; 6] = [
    "cve@mitre.org",
    "psirt@fortinet.com",
    "security@wordfence.com",
    "secure@microsoft.com",
    "cna@vuldb.com",
    "security@apache.org",
];
const TAGS: [&str; 5] = [
    "Vendor Advisory",
    "Third Party Advisory",
    "Exploit",
    "Patch",
    "VDB Entry",
];

// --- the JSON shape (field names and order as NVD writes them) --------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cve<'a> {
    id: String,
    source_identifier: &'a str,
    published: String,
    last_modified: String,
    vuln_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cisa_exploit_add: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cisa_action_due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cisa_required_action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cisa_vulnerability_name: Option<String>,
    cve_tags: [(); 0],
    descriptions: Vec<Lang>,
    metrics: Metrics,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    weaknesses: Vec<Weakness<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    configurations: Vec<Configuration>,
    references: Vec<Reference<'a>>,
}

#[derive(Serialize)]
struct Lang {
    lang: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Metrics {
    #[serde(rename = "cvssMetricV31", skip_serializing_if = "Vec::is_empty")]
    v31: Vec<MetricV31>,
    #[serde(rename = "cvssMetricV2", skip_serializing_if = "Vec::is_empty")]
    v2: Vec<MetricV2>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricV31 {
    source: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    cvss_data: CvssV31,
    exploitability_score: f64,
    impact_score: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CvssV31 {
    version: &'static str,
    vector_string: String,
    attack_vector: &'static str,
    attack_complexity: &'static str,
    privileges_required: &'static str,
    user_interaction: &'static str,
    scope: &'static str,
    confidentiality_impact: &'static str,
    integrity_impact: &'static str,
    availability_impact: &'static str,
    base_score: f64,
    base_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricV2 {
    source: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    cvss_data: CvssV2,
    base_severity: &'static str,
    exploitability_score: f64,
    impact_score: f64,
    ac_insuf_info: bool,
    obtain_all_privilege: bool,
    obtain_user_privilege: bool,
    obtain_other_privilege: bool,
    user_interaction_required: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CvssV2 {
    version: &'static str,
    vector_string: &'static str,
    access_vector: &'static str,
    access_complexity: &'static str,
    authentication: &'static str,
    confidentiality_impact: &'static str,
    integrity_impact: &'static str,
    availability_impact: &'static str,
    base_score: f64,
}

#[derive(Serialize)]
struct Weakness<'a> {
    source: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: Vec<LangStatic>,
}

#[derive(Serialize)]
struct LangStatic {
    lang: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    #[serde(skip_serializing_if = "Option::is_none")]
    operator: Option<&'static str>,
    nodes: Vec<Node>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    operator: &'static str,
    negate: bool,
    cpe_match: Vec<CpeMatch>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CpeMatch {
    vulnerable: bool,
    criteria: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_start_including: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_start_excluding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_end_including: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_end_excluding: Option<String>,
    match_criteria_id: String,
}

#[derive(Serialize)]
struct Reference<'a> {
    url: String,
    source: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct Item<'a> {
    cve: Cve<'a>,
}

// --- generation ------------------------------------------------------------------------

/// The vendor:product a record is about.
struct Target {
    part: &'static str,
    vendor: String,
    product: String,
    style: VStyle,
    /// Assets may carry this product: ranges always have an upper bound below 40, no `*`
    /// without a range, no `-`.
    asset_safe: bool,
}

fn asset_known() -> impl Iterator<Item = &'static Known> {
    KNOWN.iter().filter(|k| k.ledger.is_some())
}

fn pick_target(rng: &mut Rng, index: usize) -> Target {
    // The first records give every asset product a range without a lower bound.
    if let Some(k) = asset_known().nth(index) {
        return known_target(k);
    }
    let roll = rng.below(1_000_000) as u32;
    let mut acc = 0;
    for k in KNOWN {
        acc += k.per_million;
        if roll < acc {
            return known_target(k);
        }
    }
    // Long tail: skewed towards the first vendors (a few big ones, many small ones).
    let u = rng.unit();
    let v = ((u * u * u) * TAIL_VENDORS as f64) as usize % TAIL_VENDORS;
    let j = rng.below(tail_products(v) as u64) as usize;
    Target {
        part: tail_part(v, j),
        vendor: tail_vendor(v),
        product: tail_product(v, j),
        style: VStyle::Dotted,
        asset_safe: v < TAIL_VENDORS / 2,
    }
}

fn known_target(k: &Known) -> Target {
    Target {
        part: k.part,
        vendor: k.vendor.into(),
        product: k.product.into(),
        style: k.style,
        asset_safe: k.ledger.is_some(),
    }
}

fn dotted(rng: &mut Rng, major_lo: u64, major_hi: u64) -> String {
    format!(
        "{}.{}.{}",
        major_lo + rng.below(major_hi - major_lo),
        rng.below(10),
        rng.below(20)
    )
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn cpe(part: &str, vendor: &str, product: &str, version: &str, rest: &str) -> String {
    format!("cpe:2.3:{part}:{vendor}:{product}:{version}:{rest}")
}

const STARS7: &str = "*:*:*:*:*:*:*";

/// One vulnerable criteria for the target.
fn vulnerable_entry(rng: &mut Rng, t: &Target, open_start: bool) -> CpeMatch {
    let mut m = CpeMatch {
        vulnerable: true,
        criteria: String::new(),
        version_start_including: None,
        version_start_excluding: None,
        version_end_including: None,
        version_end_excluding: None,
        match_criteria_id: uuid(rng),
    };
    match t.style {
        VStyle::Dotted => {
            let r = rng.below(100);
            if !t.asset_safe && r < 8 {
                let v = if r < 4 { "*" } else { "-" };
                m.criteria = cpe(t.part, &t.vendor, &t.product, v, STARS7);
            } else if r < 30 && !open_start {
                let v = dotted(rng, 2, 40);
                m.criteria = cpe(t.part, &t.vendor, &t.product, &v, STARS7);
            } else {
                m.criteria = cpe(t.part, &t.vendor, &t.product, "*", STARS7);
                let start = dotted(rng, 2, 30);
                let end = dotted(rng, 30, 40);
                if !open_start {
                    if rng.chance(0.7) {
                        m.version_start_including = Some(start);
                    } else {
                        m.version_start_excluding = Some(start);
                    }
                }
                if rng.chance(0.7) {
                    m.version_end_excluding = Some(end);
                } else {
                    m.version_end_including = Some(end);
                }
            }
        }
        VStyle::CiscoIos => {
            let v = format!(
                "{}.{}\\({}\\)m{}",
                12 + rng.below(4),
                rng.below(5),
                rng.below(9),
                rng.below(12)
            );
            m.criteria = cpe(t.part, &t.vendor, &t.product, &v, STARS7);
        }
        VStyle::Ivanti => {
            let line = format!("{}.{}", 8 + rng.below(15), rng.below(8));
            let rel = format!("r{}.{}", 1 + rng.below(9), rng.below(5));
            m.criteria = if t.vendor == "ivanti" {
                cpe(
                    t.part,
                    &t.vendor,
                    &t.product,
                    &line,
                    &format!("{rel}:*:*:*:*:*:*"),
                )
            } else {
                cpe(t.part, &t.vendor, &t.product, &(line + &rel), STARS7)
            };
        }
        VStyle::Windows => {
            m.criteria = cpe(t.part, &t.vendor, &t.product, "*", "*:*:*:*:*:x64:*");
            m.version_end_excluding = Some(format!(
                "10.0.{}.{}",
                17763 + rng.below(3000),
                rng.below(6000)
            ));
        }
        VStyle::Release => {
            let (v, rest) = if t.vendor == "canonical" {
                (
                    format!("{}.04", 14 + 2 * rng.below(6)),
                    "*:*:*:lts:*:*:*".to_string(),
                )
            } else {
                (
                    format!("{}.{}", 6 + rng.below(4), rng.below(10)),
                    STARS7.into(),
                )
            };
            m.criteria = cpe(t.part, &t.vendor, &t.product, &v, &rest);
        }
    }
    m
}

fn platform_entry(rng: &mut Rng, t: &Target) -> CpeMatch {
    let model = format!(
        "{}{}",
        t.product.trim_end_matches("_firmware"),
        100 + rng.below(900)
    );
    CpeMatch {
        vulnerable: false,
        criteria: cpe("h", &t.vendor, &model, "-", STARS7),
        version_start_including: None,
        version_start_excluding: None,
        version_end_including: None,
        version_end_excluding: None,
        match_criteria_id: uuid(rng),
    }
}

fn sentence(rng: &mut Rng, words: &[&str], n: usize) -> String {
    let mut s = String::with_capacity(n * 8);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick::<&str>(words));
    }
    s.push('.');
    s
}

const AV: [(&str, &str); 4] = [
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];
const CIA: [(&str, &str); 3] = [("H", "HIGH"), ("L", "LOW"), ("N", "NONE")];

fn metric_v31(rng: &mut Rng) -> MetricV31 {
    let av = *rng.pick(&AV);
    let c = *rng.pick(&CIA);
    let i = *rng.pick(&CIA);
    let a = *rng.pick(&CIA);
    let score = (10 + rng.below(91)) as f64 / 10.0;
    let severity = crate::feeds::severity_from_score(score);
    MetricV31 {
        source: "nvd@nist.gov",
        kind: "Primary",
        cvss_data: CvssV31 {
            version: "3.1",
            vector_string: format!(
                "CVSS:3.1/AV:{}/AC:L/PR:N/UI:N/S:U/C:{}/I:{}/A:{}",
                av.0, c.0, i.0, a.0
            ),
            attack_vector: av.1,
            attack_complexity: "LOW",
            privileges_required: "NONE",
            user_interaction: "NONE",
            scope: "UNCHANGED",
            confidentiality_impact: c.1,
            integrity_impact: i.1,
            availability_impact: a.1,
            base_score: score,
            base_severity: severity,
        },
        exploitability_score: 3.9,
        impact_score: 5.9,
    }
}

fn metric_v2(rng: &mut Rng) -> MetricV2 {
    let score = (10 + rng.below(91)) as f64 / 10.0;
    MetricV2 {
        source: "nvd@nist.gov",
        kind: "Primary",
        cvss_data: CvssV2 {
            version: "2.0",
            vector_string: "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            access_vector: "NETWORK",
            access_complexity: "LOW",
            authentication: "NONE",
            confidentiality_impact: "PARTIAL",
            integrity_impact: "PARTIAL",
            availability_impact: "PARTIAL",
            base_score: score,
        },
        base_severity: if score >= 7.0 {
            "HIGH"
        } else if score >= 4.0 {
            "MEDIUM"
        } else {
            "LOW"
        },
        exploitability_score: 10.0,
        impact_score: 6.4,
        ac_insuf_info: false,
        obtain_all_privilege: false,
        obtain_user_privilege: false,
        obtain_other_privilege: false,
        user_interaction_required: false,
    }
}

/// The CVE id of record `i` of a synthetic feed (`CVE-1999-…` to `CVE-2026-…`).
pub fn cve_id(i: usize, n: usize) -> String {
    let years = 28;
    let per_year = n.div_ceil(years).max(1);
    format!("CVE-{}-{:05}", 1999 + i / per_year, 1000 + i % per_year)
}

/// Whether record `i` is in the synthetic KEV catalog of [`kev_catalog`] (one in 200).
pub fn in_kev(i: usize) -> bool {
    i % 200 == 7
}

fn record(rng: &mut Rng, i: usize, n: usize) -> Cve<'static> {
    let id = cve_id(i, n);
    let year = 1999 + i / n.div_ceil(28).max(1);
    let published = format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    );
    let last_modified = format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    );
    let forced = i < asset_known().count();
    let awaiting = !forced && rng.chance(0.1);
    let source = *rng.pick(&SOURCES);
    let t = pick_target(rng, i);
    let product_words = t.product.replace('_', " ");
    let n_words = 25 + rng.below(50) as usize;
    let descriptions = vec![
        Lang {
            lang: "en",
            value: format!(
                "{} {product_words} before {} {}",
                t.vendor,
                dotted(rng, 30, 40),
                sentence(rng, &WORDS, n_words)
            ),
        },
        Lang {
            lang: "es",
            value: format!(
                "{} {product_words} anterior a {} {}",
                t.vendor,
                dotted(rng, 30, 40),
                sentence(rng, &PALABRAS, n_words)
            ),
        },
    ];
    let mut configurations = Vec::new();
    if !awaiting {
        let open_first = forced || rng.chance(0.3);
        let n_entries = 1 + match rng.below(10) {
            0..=5 => rng.below(3),
            6..=8 => 2 + rng.below(6),
            _ => 8 + rng.below(25),
        } as usize;
        let mut entries: Vec<CpeMatch> = (0..n_entries)
            .map(|e| vulnerable_entry(rng, &t, open_first && e == 0))
            .collect();
        let and_platform =
            !forced && t.part == "o" && t.product.ends_with("_firmware") || rng.chance(0.05);
        if and_platform {
            let platforms = (0..1 + rng.below(4))
                .map(|_| platform_entry(rng, &t))
                .collect();
            configurations.push(Configuration {
                operator: Some("AND"),
                nodes: vec![
                    Node {
                        operator: "OR",
                        negate: false,
                        cpe_match: std::mem::take(&mut entries),
                    },
                    Node {
                        operator: "OR",
                        negate: false,
                        cpe_match: platforms,
                    },
                ],
            });
        } else {
            configurations.push(Configuration {
                operator: None,
                nodes: vec![Node {
                    operator: "OR",
                    negate: false,
                    cpe_match: entries,
                }],
            });
        }
        // Some records name a second, unrelated product in another configuration.
        if rng.chance(0.15) {
            let other = pick_target(rng, usize::MAX);
            configurations.push(Configuration {
                operator: None,
                nodes: vec![Node {
                    operator: "OR",
                    negate: false,
                    cpe_match: vec![vulnerable_entry(rng, &other, false)],
                }],
            });
        }
    }
    let mut v31 = Vec::new();
    let mut v2 = Vec::new();
    if !awaiting {
        v31.push(metric_v31(rng));
        if year < 2016 || rng.chance(0.2) {
            v2.push(metric_v2(rng));
        }
    }
    let weaknesses = if awaiting {
        Vec::new()
    } else {
        vec![Weakness {
            source,
            kind: "Secondary",
            description: vec![LangStatic {
                lang: "en",
                value: rng.pick::<&str>(&CWES),
            }],
        }]
    };
    let references = (0..1 + rng.below(8))
        .map(|r| Reference {
            url: format!(
                "https://{}.example/security/advisories/{}-{}",
                t.vendor,
                id.to_ascii_lowercase(),
                r
            ),
            source,
            tags: if rng.chance(0.6) {
                vec![*rng.pick(&TAGS)]
            } else {
                Vec::new()
            },
        })
        .collect();
    let kev = in_kev(i) && !awaiting;
    Cve {
        id: id.clone(),
        source_identifier: source,
        published,
        last_modified,
        vuln_status: if awaiting {
            "Awaiting Analysis"
        } else {
            "Analyzed"
        },
        cisa_exploit_add: kev.then(|| "2024-01-10".to_string()),
        cisa_action_due: kev.then(|| "2024-01-31".to_string()),
        cisa_required_action: kev.then_some("Apply mitigations per vendor instructions."),
        cisa_vulnerability_name: kev.then(|| format!("{} {} Vulnerability", t.vendor, t.product)),
        cve_tags: [],
        descriptions,
        metrics: Metrics { v31, v2 },
        weaknesses,
        configurations,
        references,
    }
}

/// Writes a synthetic NVD CVE API 2.0 document of `n` records (see the module docs). Records
/// are serialised one at a time straight into the buffer.
pub fn nvd_feed(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n.saturating_mul(3_200) + 256);
    let mut rng = Rng::new(seed);
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{{\"resultsPerPage\":{n},\"startIndex\":0,\"totalResults\":{n},\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"timestamp\":\"2026-11-22T00:00:00.000\",\"vulnerabilities\":["
    );
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        let item = Item {
            cve: record(&mut rng, i, n),
        };
        let _ = serde_json::to_writer(&mut out, &item);
    }
    out.extend_from_slice(b"]}");
    out
}

/// A KEV catalog holding the records of an `n`-record synthetic feed chosen by [`in_kev`].
pub fn kev_catalog(n: usize) -> KevCatalog {
    let entries = (0..n)
        .filter(|&i| in_kev(i))
        .map(|i| KevEntry {
            cve_id: cve_id(i, n),
            vendor_project: "Synthetic".into(),
            product: "Synthetic".into(),
            vulnerability_name: "Synthetic vulnerability".into(),
            date_added: date(2024, 1, 10),
            short_description: "Synthetic entry for benchmarks.".into(),
            required_action: "Apply mitigations per vendor instructions.".into(),
            due_date: date(2024, 1, 31),
            known_ransomware_campaign_use: None,
            notes: None,
            cwes: Vec::new(),
        })
        .collect();
    KevCatalog::new(
        Some("Synthetic KEV".into()),
        "2026.11.22".into(),
        "2026-11-22T00:00:00.000Z".into(),
        entries,
    )
}

/// One synthetic ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthAsset {
    /// The ledger columns (製造元 / 製品名 / バージョン / OS, or the CPE column).
    pub description: AssetDescription,
    /// Whether the row was made vulnerable (version `1.0.0` of an asset product).
    pub planted_vulnerable: bool,
}

/// `m` ledger rows; every `1 / vulnerable_every` of them (row `i` with
/// `i % vulnerable_every == 0`) is planted vulnerable. Rows: 40 % described in words and
/// resolved by the alias table, 30 % with a CPE column of a long-tail product of the feed,
/// 30 % with a CPE column of a product no CVE names.
pub fn assets(m: usize, vulnerable_every: usize, seed: u64) -> Vec<SynthAsset> {
    let mut rng = Rng::new(seed ^ 0xA55E_7000);
    let known: Vec<&Known> = asset_known().collect();
    let every = vulnerable_every.max(1);
    (0..m)
        .map(|i| {
            let planted = i % every == 0;
            let roll = rng.below(10);
            let description = if planted || roll < 4 {
                let k = known[rng.below(known.len() as u64) as usize];
                let (vendor, product, os) = k.ledger.unwrap_or(("", "", ""));
                let version = if planted {
                    if k.vendor == "yamaha" {
                        "Rev.1.00.00".to_string()
                    } else {
                        "1.0.0".to_string()
                    }
                } else if k.vendor == "yamaha" {
                    format!("Rev.99.{:02}.{:02}", rng.below(10), rng.below(60))
                } else {
                    format!("99.{}.{}", rng.below(10), rng.below(20))
                };
                if os.is_empty() {
                    AssetDescription::new(vendor, product, &version, "")
                } else {
                    AssetDescription::new(vendor, product, "", &format!("{os}{version}"))
                }
            } else if roll < 7 {
                let v = rng.below((TAIL_VENDORS / 2) as u64) as usize;
                let j = rng.below(tail_products(v) as u64) as usize;
                let version = format!("99.{}.{}", rng.below(10), rng.below(20));
                let mut a = AssetDescription::new(&tail_vendor(v), &tail_product(v, j), "", "");
                a.cpe = cpe(
                    tail_part(v, j),
                    &tail_vendor(v),
                    &tail_product(v, j),
                    &version,
                    STARS7,
                );
                a
            } else {
                let mut a = AssetDescription::new("院内開発", "電子カルテ端末", "", "");
                a.cpe = cpe(
                    "a",
                    &format!("clinicsoft{}", rng.below(500)),
                    &format!("karte_{}", rng.below(20)),
                    &format!("{}.{}", rng.below(10), rng.below(10)),
                    STARS7,
                );
                a
            };
            SynthAsset {
                description,
                planted_vulnerable: planted,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alias::AliasTable;
    use crate::feeds::{FeedData, parse_feed};
    use crate::matcher::CveIndex;

    #[test]
    fn feed_parses_and_planted_assets_are_exactly_the_vulnerable_ones() {
        let n = 3_000;
        let bytes = nvd_feed(n, 42);
        assert_eq!(bytes, nvd_feed(n, 42), "deterministic");
        let feed = parse_feed(&bytes).expect("synthetic feed parses");
        let FeedData::Nvd(records) = feed.data else {
            panic!("not NVD");
        };
        assert_eq!(records.len(), n);
        let kev = kev_catalog(n);
        let table = AliasTable::builtin().expect("aliases");
        let index = CveIndex::new(&records);
        let rows = assets(400, 10, 7);
        for (i, a) in rows.iter().enumerate() {
            let cpes = table.derive(&a.description).expect("derives").names();
            assert!(!cpes.is_empty());
            let findings = index.findings(Some(&kev), &cpes);
            if i % 20 == 0 || i % 20 == 5 {
                assert_eq!(
                    findings,
                    crate::bench::naive_findings(&records, Some(&kev), &cpes),
                    "row {i}: the index and the naive scan disagree"
                );
            }
            assert_eq!(
                !findings.is_empty(),
                a.planted_vulnerable,
                "row {i} {:?} {cpes:?}: {:?}",
                a.description,
                findings.first().map(|f| &f.title_ja)
            );
        }
    }
}
