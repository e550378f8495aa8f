//! Shared helpers: the real feed fixtures from the sibling `shared/feeds/` directory.
#![allow(dead_code)]

use anzen_vuln::cpe::Cpe;
use anzen_vuln::feeds::{CveRecord, FeedData, KevCatalog, parse_feed};

pub const NVD_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/feeds/nvd.json"
);
pub const KEV_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/feeds/kev.json"
);

/// Reads a fixture. A missing fixture is a failure, in CI (`CI=true`) and locally alike: the
/// repository is cloned next to `shared/`, and skipping would hide a broken checkout.
pub fn read_fixture(path: &str) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            panic!(
                "feed fixture {path} is missing ({e}); CI={ci}. The repository must be cloned \
                 next to shared/ (…/shared/feeds). Not skipping."
            )
        }
    }
}

pub fn nvd_records() -> Vec<CveRecord> {
    let feed = parse_feed(&read_fixture(NVD_PATH)).expect("nvd.json parses");
    match feed.data {
        FeedData::Nvd(r) => r,
        other => panic!("nvd.json detected as something else: {other:?}"),
    }
}

pub fn kev() -> KevCatalog {
    let feed = parse_feed(&read_fixture(KEV_PATH)).expect("kev.json parses");
    match feed.data {
        FeedData::Kev(k) => k,
        other => panic!("kev.json detected as something else: {other:?}"),
    }
}

pub fn cve<'a>(records: &'a [CveRecord], id: &str) -> &'a CveRecord {
    records
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} not in nvd.json"))
}

/// `o:fortinet:fortios` + version (+ update, sw_edition) as an asset CPE.
pub fn asset(part_vendor_product: &str, version: &str) -> Cpe {
    let mut it = part_vendor_product.split(':');
    let part = it.next().and_then(|p| p.chars().next()).expect("part");
    let vendor = it.next().expect("vendor");
    let product = it.next().expect("product");
    Cpe::from_parts(part, vendor, product, version)
}
