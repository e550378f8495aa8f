//! Feed parsing with the real NVD / KEV fixtures and the hand-made MyJVN fixtures.

mod common;

use std::io::Write;

use anzen_vuln::cpe::Cpe;
use anzen_vuln::feeds::{FeedData, FeedError, FeedKind, parse_feed, sha256_hex};
use common::{KEV_PATH, NVD_PATH, cve, kev, nvd_records, read_fixture};
use jiff::civil::date;

const JVN_OVERVIEW: &[u8] = include_bytes!("fixtures/myjvn_overview.xml");
const JVN_DETAIL: &[u8] = include_bytes!("fixtures/myjvn_detail.xml");

#[test]
fn nvd_page_is_detected_with_date_and_hash() {
    let raw = read_fixture(NVD_PATH);
    let feed = parse_feed(&raw).expect("parses");
    assert_eq!(feed.kind, FeedKind::Nvd);
    assert_eq!(feed.feed_date.as_deref(), Some("2026-11-21T23:05:30.873"));
    assert!(!feed.gzip);
    // sha256sum of the shared fixture.
    assert_eq!(
        feed.sha256,
        "af5025d07a9a6fc34ed4025d9acd6e21a185bf4c2209748da1f6e10833df40ac"
    );
    let FeedData::Nvd(records) = feed.data else {
        panic!("not NVD data")
    };
    assert_eq!(records.len(), 14);
    assert_eq!(records[0].id, "CVE-2017-0144");
}

#[test]
fn nvd_fields_of_real_records() {
    let records = nvd_records();
    let fortios = cve(&records, "CVE-2018-13379");
    assert_eq!(fortios.cisa_action_due.as_deref(), Some("2022-05-03"));
    assert!(
        fortios
            .description_en()
            .is_some_and(|d| d.contains("FortiOS"))
    );
    let c = fortios.cvss().expect("has CVSS");
    assert_eq!(
        (c.version.as_str(), c.score, c.severity.as_str()),
        ("3.1", 9.8, "CRITICAL")
    );

    // Zerologon has only Secondary v3.1 metrics: NVD's own score is preferred.
    let zl = cve(&records, "CVE-2020-1472").cvss().expect("has CVSS");
    assert_eq!((zl.score, zl.severity.as_str()), (10.0, "CRITICAL"));
    assert_eq!(zl.source.as_deref(), Some("nvd@nist.gov"));

    // A non-KEV record carries no cisa fields.
    assert!(cve(&records, "CVE-2023-25610").cisa_action_due.is_none());
    let c = cve(&records, "CVE-2023-25610").cvss().expect("has CVSS");
    assert_eq!((c.score, c.severity.as_str()), (9.8, "CRITICAL"));

    // Configurations: CVE-2019-19781 has three AND configurations with a platform node.
    let citrix = cve(&records, "CVE-2019-19781");
    assert_eq!(citrix.configurations.len(), 3);
    assert!(
        citrix.configurations[0].nodes[1]
            .cpe_match
            .iter()
            .all(|m| !m.vulnerable)
    );
}

/// Every criteria string of the real file parses and formats back to the same text
/// (escapes such as `\(`, `\!`, `\&`, `\:` included).
#[test]
fn every_real_criteria_round_trips() {
    let raw = read_fixture(NVD_PATH);
    let v: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let mut n = 0;
    for item in v["vulnerabilities"].as_array().expect("array") {
        for conf in item["cve"]["configurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for node in conf["nodes"].as_array().into_iter().flatten() {
                for m in node["cpeMatch"].as_array().into_iter().flatten() {
                    let s = m["criteria"].as_str().expect("criteria string");
                    let cpe = Cpe::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
                    assert_eq!(cpe.to_string(), s);
                    n += 1;
                }
            }
        }
    }
    assert!(n > 500, "only {n} criteria");
}

#[test]
fn escaped_characters_are_decoded() {
    let c = Cpe::parse(r"cpe:2.3:a:cisco:data_center_network_manager:11.3\(1\):*:*:*:*:*:*:*")
        .expect("parses");
    assert_eq!(c.version().as_value(), Some("11.3(1)"));
    let c = Cpe::parse(r"cpe:2.3:a:cisco:dna_spaces\:_connector:*:*:*:*:*:*:*:*").expect("parses");
    assert_eq!(c.product().as_value(), Some("dna_spaces:_connector"));
}

#[test]
fn kev_catalog() {
    let raw = read_fixture(KEV_PATH);
    let feed = parse_feed(&raw).expect("parses");
    assert_eq!(feed.kind, FeedKind::Kev);
    assert_eq!(feed.feed_date.as_deref(), Some("2025-08-25T17:04:19.9796Z"));
    assert_eq!(feed.feed_version.as_deref(), Some("2025.08.25"));
    assert_eq!(
        feed.sha256,
        "7e70d35eb19735a5f3c004ac17b73a645094a279769fe91db821f1bdb3db7a06"
    );
    let k = kev();
    assert_eq!(k.entries.len(), 10);
    let e = k.get("cve-2018-13379").expect("case-insensitive lookup");
    assert_eq!(e.due_date, date(2022, 5, 3));
    assert_eq!(e.date_added, date(2021, 11, 3));
    assert_eq!(e.required_action, "Apply updates per vendor instructions.");
    assert_eq!(e.known_ransomware_campaign_use.as_deref(), Some("Known"));
    assert_eq!(
        k.get("CVE-2020-1472").map(|e| e.due_date),
        Some(date(2020, 9, 21))
    );
    assert_eq!(
        k.get("CVE-2023-20198").map(|e| e.due_date),
        Some(date(2023, 10, 20))
    );
    for id in [
        "CVE-2023-25610",
        "CVE-2022-27510",
        "CVE-2019-11540",
        "CVE-2022-21907",
    ] {
        assert!(!k.contains(id), "{id} is not in KEV");
    }
}

/// The NVD copies of the KEV fields equal the catalog's.
#[test]
fn nvd_cisa_fields_agree_with_kev() {
    let k = kev();
    for r in nvd_records() {
        match (k.get(&r.id), &r.cisa_action_due) {
            (Some(e), Some(due)) => assert_eq!(e.due_date.to_string(), *due, "{}", r.id),
            (None, None) => {}
            (e, due) => panic!(
                "{}: KEV {:?} vs NVD cisaActionDue {due:?}",
                r.id,
                e.map(|e| e.due_date)
            ),
        }
    }
}

#[test]
fn gzip_input_parses_the_same() {
    let raw = read_fixture(NVD_PATH);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw).expect("compress");
    let gz = enc.finish().expect("compress");
    let plain = parse_feed(&raw).expect("plain");
    let zipped = parse_feed(&gz).expect("gzip");
    assert!(zipped.gzip);
    assert_eq!(zipped.kind, FeedKind::Nvd);
    assert_eq!(zipped.feed_date, plain.feed_date);
    // The hash is of the bytes as given.
    assert_eq!(zipped.sha256, sha256_hex(&gz));
    assert_ne!(zipped.sha256, plain.sha256);
    let ids = |f: &anzen_vuln::feeds::Feed| match &f.data {
        FeedData::Nvd(r) => r.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        _ => vec![],
    };
    assert_eq!(ids(&zipped), ids(&plain));

    let kev_raw = read_fixture(KEV_PATH);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&kev_raw).expect("compress");
    let kz = parse_feed(&enc.finish().expect("compress")).expect("kev gzip");
    assert_eq!(kz.kind, FeedKind::Kev);
}

#[test]
fn broken_gzip_is_an_error() {
    assert!(matches!(
        parse_feed(&[0x1f, 0x8b, 0x08, 0x00, 0x01]),
        Err(FeedError::Gzip(_))
    ));
}

#[test]
fn bad_record_names_index_cve_and_field() {
    let raw = read_fixture(NVD_PATH);
    let mut v: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    v["vulnerabilities"][3]["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][1]["criteria"] =
        serde_json::Value::String("cpe:2.3:x:broken".into());
    let bytes = serde_json::to_vec(&v).expect("json");
    let err = parse_feed(&bytes).expect_err("must fail");
    match &err {
        FeedError::NvdRecord {
            index,
            cve_id,
            field,
            ..
        } => {
            assert_eq!(*index, 3);
            assert_eq!(cve_id, "CVE-2018-13379");
            assert_eq!(field, "configurations[0].nodes[0].cpeMatch[1].criteria");
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("CVE-2018-13379") && msg.contains("criteria"),
        "{msg}"
    );

    // A missing required field.
    let mut v: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    if let Some(o) = v["vulnerabilities"][5]["cve"].as_object_mut() {
        o.remove("published");
    }
    let err = parse_feed(&serde_json::to_vec(&v).expect("json")).expect_err("must fail");
    assert!(
        matches!(&err, FeedError::NvdRecord { index: 5, cve_id, .. } if cve_id == "CVE-2020-1472"),
        "{err:?}"
    );
    assert!(err.to_string().contains("published"), "{err}");
}

#[test]
fn truncated_json_is_an_error() {
    let raw = read_fixture(NVD_PATH);
    let err = parse_feed(&raw[..raw.len() / 2]).expect_err("must fail");
    assert!(
        matches!(err, FeedError::NvdRecord { .. } | FeedError::Json { .. }),
        "{err:?}"
    );
}

#[test]
fn jvn_overview_rss() {
    let feed = parse_feed(JVN_OVERVIEW).expect("parses");
    assert_eq!(feed.kind, FeedKind::Jvn);
    assert_eq!(feed.feed_date.as_deref(), Some("2026-11-20T10:00:00+09:00"));
    let FeedData::Jvn(recs) = feed.data else {
        panic!("not JVN")
    };
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r.id, "JVNDB-2019-000000");
    assert!(r.title.starts_with("Fortinet FortiOS の SSL VPN"));
    assert_eq!(r.cve_ids, vec!["CVE-2018-13379"]);
    assert_eq!(
        r.cpes,
        vec![Cpe::parse("cpe:/o:fortinet:fortios").expect("cpe")]
    );
    assert_eq!(r.published.as_deref(), Some("2019-06-11T12:00:00+09:00"));
    assert_eq!(r.modified.as_deref(), Some("2021-11-04T17:30:00+09:00"));
    assert_eq!(r.cvss.len(), 2);
    assert_eq!(r.cvss[0].score, Some(9.8));
    assert_eq!(r.cvss[0].severity.as_deref(), Some("Critical"));
    assert_eq!(r.cvss[0].version.as_deref(), Some("3.0"));
    // Entities in text are resolved.
    assert!(
        recs[1].title.ends_with("& 関連する問題"),
        "{}",
        recs[1].title
    );
    assert_eq!(recs[1].cpes.len(), 2);
}

#[test]
fn jvn_detail_vuldef() {
    let feed = parse_feed(JVN_DETAIL).expect("parses");
    assert_eq!(feed.kind, FeedKind::Jvn);
    assert_eq!(feed.feed_date.as_deref(), Some("2021-11-04T17:30:00+09:00"));
    let FeedData::Jvn(recs) = feed.data else {
        panic!("not JVN")
    };
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.id, "JVNDB-2019-000000");
    // The vendor advisory id is not a CVE; the two CVE references are one id.
    assert_eq!(r.cve_ids, vec!["CVE-2018-13379"]);
    assert_eq!(r.cpes.len(), 1);
    assert_eq!(r.affected_versions_ja.len(), 3);
    assert_eq!(r.affected_versions_ja[0], "6.0.0 から 6.0.4");
    assert_eq!(r.cvss.len(), 2);
    assert_eq!(r.cvss[0].score, Some(9.8));
    assert_eq!(
        r.cvss[0].vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    );
    assert_eq!(r.published.as_deref(), Some("2019-06-11T12:00:00+09:00"));
}

#[test]
fn jvn_errors_name_the_record() {
    let text = String::from_utf8(JVN_OVERVIEW.to_vec()).expect("utf8");
    let broken = text.replacen(
        "<sec:cpe version=\"2.2\" vendor=\"フォーティネット\" product=\"FortiProxy\">cpe:/a:fortinet:fortiproxy",
        "<sec:cpe version=\"2.2\" vendor=\"x\" product=\"y\">cpe:/q:bad",
        1,
    );
    let err = parse_feed(broken.as_bytes()).expect_err("must fail");
    match &err {
        FeedError::JvnRecord {
            index, id, field, ..
        } => {
            assert_eq!(
                (*index, id.as_str(), field.as_str()),
                (1, "JVNDB-2023-000001", "cpe")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let unknown = parse_feed(b"<html><body/></html>").expect_err("not JVN");
    assert!(matches!(unknown, FeedError::UnknownFormat(_)));
    let bad_xml = parse_feed(b"<rdf:RDF><item></rdf:RDF>").expect_err("bad xml");
    assert!(matches!(bad_xml, FeedError::Xml { .. }), "{bad_xml:?}");
}

/// One bare `cve` object (a per-CVE mirror file) is read as an NVD feed of one record.
#[test]
fn single_cve_object() {
    let raw = read_fixture(NVD_PATH);
    let v: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let one = serde_json::to_vec_pretty(&v["vulnerabilities"][3]["cve"]).expect("json");
    let feed = parse_feed(&one).expect("parses");
    assert_eq!(feed.kind, FeedKind::Nvd);
    assert_eq!(feed.feed_date, None);
    let FeedData::Nvd(recs) = feed.data else {
        panic!("not NVD")
    };
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].id, "CVE-2018-13379");
}
