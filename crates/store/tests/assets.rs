//! The asset ledger, vulnerability feeds and findings on SQLite and PostgreSQL.

use anzen_core::OrgKind;
use anzen_core::asset::{AssetData, AssetKind, AssetStatus};
use anzen_core::finding::{NewFinding, Progress, Severity, reconcile};
use anzen_store::assets;
use anzen_store::findings::{self, Tracking};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::vuln_feeds::{self, NewFeed};
use anzen_store::{StoreError, testing};

fn asset(key: &str) -> AssetData {
    AssetData {
        key: key.into(),
        kind: AssetKind::Server,
        name: format!("{key} サーバ"),
        vendor: Some("NEC".into()),
        product: None,
        version: None,
        os: Some("Windows Server 2019".into()),
        hostname: None,
        ip: Some("192.168.1.10".into()),
        location: Some("サーバ室".into()),
        department: None,
        maintainer: None,
        remote_maintenance: Some(true),
        internet_facing: Some(false),
        source_restricted: None,
        usb_restricted: None,
        services_minimized: None,
        last_patched: Some("2026-10-01".into()),
        status: AssetStatus::Active,
        cpe: None,
    }
}

#[test]
fn assets_change_with_history_and_imports_show_added_changed_gone() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let a = c
            .transaction(|c| assets::create(c, &org, "u", &asset("SV-01")))
            .expect("create");
        assert_eq!(a.data.remote_maintenance, Some(true), "{b}");
        assert_eq!(a.data.source_restricted, None, "{b}");
        assert!(matches!(
            assets::create(&mut c, &org, "u", &asset("SV-01")),
            Err(StoreError::Conflict(_))
        ));
        // The same key in another organisation is fine, and invisible here.
        c.transaction(|c| assets::create(c, &other, "u", &asset("SV-01")))
            .expect("other org");
        assert_eq!(assets::list(&mut c, &org).expect("list").len(), 1, "{b}");
        assert!(
            assets::get(&mut c, &other, a.id).expect("get").is_none(),
            "{b}"
        );

        let mut changed = a.data.clone();
        changed.version = Some("1809".into());
        changed.status = AssetStatus::Retired;
        c.transaction(|c| assets::update(c, &org, "u", a.id, &changed))
            .expect("retire");
        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.contains(&"asset.create".to_owned()), "{b}");
        assert!(kinds.contains(&"asset.retire".to_owned()), "{b}");

        // Import: SV-01 back in service and changed, SV-02 new; PC-09 stored and gone.
        c.transaction(|c| assets::create(c, &org, "u", &asset("PC-09")))
            .expect("pc");
        let incoming = vec![asset("SV-01"), asset("SV-02")];
        let stored = assets::list(&mut c, &org).expect("list");
        let d = assets::diff(&stored, &incoming);
        assert_eq!(
            d.added.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            ["SV-02"],
            "{b}"
        );
        assert_eq!(d.changed.len(), 1, "{b}");
        assert_eq!(
            d.gone
                .iter()
                .map(|x| x.data.key.as_str())
                .collect::<Vec<_>>(),
            ["PC-09"],
            "{b}"
        );
        let summary = c
            .transaction(|c| {
                assets::apply_import(c, &org, "u", ("台帳.csv", "ab"), &incoming, true)
            })
            .expect("import");
        assert_eq!(
            (summary.added, summary.changed, summary.retired),
            (1, 1, 1),
            "{b}"
        );
        let now = assets::list(&mut c, &org).expect("list");
        assert_eq!(now.len(), 3, "{b} nothing deleted");
        assert!(
            now.iter()
                .any(|x| x.data.key == "PC-09" && x.data.status == AssetStatus::Retired)
        );
        // Re-importing the same file changes nothing.
        let again = c
            .transaction(|c| {
                assets::apply_import(c, &org, "u", ("台帳.csv", "ab"), &incoming, true)
            })
            .expect("import again");
        assert_eq!(
            (again.added, again.changed, again.retired, again.unchanged),
            (0, 0, 0, 2)
        );

        assert!(
            assets::latest_review(&mut c, &org)
                .expect("review")
                .is_none()
        );
        c.transaction(|c| {
            assets::record_review(c, &org, "officer", "2026-04-10", Some("年次棚卸"))
        })
        .expect("review");
        let r = assets::latest_review(&mut c, &org)
            .expect("review")
            .expect("some");
        assert_eq!((r.reviewed_on.as_str(), r.assets), ("2026-04-10", 2), "{b}");
    }
}

#[test]
fn feeds_replace_records_atomically() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let recs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
                .collect()
        };
        let nvd = |name| NewFeed {
            kind: "nvd",
            file_name: name,
            feed_date: Some("2025-08-25"),
            sha256: "aa",
            replace_all: false,
        };
        c.transaction(|c| {
            vuln_feeds::import(
                c,
                &nvd("p1.json"),
                &recs(&[("CVE-1", "{\"v\":1}"), ("CVE-2", "{}")]),
            )
        })
        .expect("import");
        c.transaction(|c| vuln_feeds::import(c, &nvd("p2.json"), &recs(&[("CVE-1", "{\"v\":2}")])))
            .expect("import");
        let r = vuln_feeds::records(&mut c, "nvd").expect("records");
        assert_eq!(r, recs(&[("CVE-1", "{\"v\":2}"), ("CVE-2", "{}")]), "{b}");
        let kev = |name| NewFeed {
            kind: "kev",
            file_name: name,
            feed_date: None,
            sha256: "bb",
            replace_all: true,
        };
        c.transaction(|c| vuln_feeds::import(c, &kev("kev1.json"), &recs(&[("catalog", "old")])))
            .expect("kev");
        c.transaction(|c| vuln_feeds::import(c, &kev("kev2.json"), &recs(&[("catalog", "new")])))
            .expect("kev");
        assert_eq!(
            vuln_feeds::records(&mut c, "kev").expect("kev"),
            recs(&[("catalog", "new")])
        );
        // A failing import leaves the previous data.
        let failed: Result<(), StoreError> = c.transaction(|c| {
            vuln_feeds::import(c, &kev("kev3.json"), &recs(&[("catalog", "partial")]))?;
            Err(StoreError::Conflict("simulated failure".into()))
        });
        assert!(failed.is_err());
        assert_eq!(
            vuln_feeds::records(&mut c, "kev").expect("kev"),
            recs(&[("catalog", "new")]),
            "{b}"
        );
        assert_eq!(vuln_feeds::files(&mut c).expect("files").len(), 4, "{b}");
        assert_eq!(
            vuln_feeds::counts(&mut c).expect("counts"),
            vec![("kev".to_owned(), 1), ("nvd".to_owned(), 2)],
            "{b}"
        );
    }
}

fn nf(key: &str, sev: Severity) -> NewFinding {
    NewFinding {
        key: key.into(),
        rule: "vuln.cve".into(),
        subject: "asset:FW-01".into(),
        severity: sev,
        title: format!("{key} title"),
        message: "m".into(),
        checklist: vec!["2-(7)".into()],
        evidence: serde_json::json!({ "cve": key }),
        due_hint: Some("2022-05-03".into()),
    }
}

#[test]
fn findings_open_resolve_reopen_and_keep_tracking() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let run = |c: &mut anzen_store::Conn, now: &[NewFinding]| {
            c.transaction(|c| {
                let recorded = findings::recorded(c, &org, &["vuln."])?;
                findings::apply(c, &org, "rules", &reconcile(&recorded, now))
            })
            .expect("apply")
        };
        let first = run(
            &mut c,
            &[nf("a", Severity::High), nf("b", Severity::Critical)],
        );
        assert_eq!(first.opened, 2, "{b}");
        let list = findings::list(&mut c, &org, true).expect("list");
        assert_eq!(list[0].key, "b", "{b} worst first");
        assert_eq!(list[0].checklist, vec!["2-(7)".to_owned()], "{b}");
        assert_eq!(list[0].evidence["cve"], "b", "{b}");
        let a_id = list[1].id;
        let t = Tracking {
            assignee: Some("山田".into()),
            due_date: Some("2026-12-01".into()),
            progress: Progress::Doing,
            note: Some("保守事業者に依頼済み".into()),
        };
        c.transaction(|c| findings::set_tracking(c, &org, "officer", a_id, &t))
            .expect("track");
        let b_before = findings::list(&mut c, &org, true).expect("list")[0].clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        // "a" is gone: resolved, tracking kept; then back: reopened. "b" is unchanged: not
        // rewritten (its fingerprint matches), so its last_seen stays.
        let second = run(&mut c, &[nf("b", Severity::Critical)]);
        let b_after = findings::get(&mut c, &org, b_before.id)
            .expect("get")
            .expect("b");
        assert_eq!(
            b_after.last_seen, b_before.last_seen,
            "{b} unchanged finding not rewritten"
        );
        assert_eq!((second.resolved, second.still_open), (1, 1), "{b}");
        let a = findings::get(&mut c, &org, a_id).expect("get").expect("a");
        assert!(!a.open && a.resolved_at.is_some(), "{b}");
        assert_eq!(a.tracking, t, "{b}");
        let third = run(
            &mut c,
            &[nf("a", Severity::High), nf("b", Severity::Critical)],
        );
        assert_eq!(third.reopened, 1, "{b}");
        assert!(
            findings::get(&mut c, &org, a_id)
                .expect("get")
                .expect("a")
                .open,
            "{b}"
        );
        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "finding.open",
            "finding.resolve",
            "finding.reopen",
            "finding.track",
        ] {
            assert!(kinds.contains(&k.to_owned()), "{b} {k}");
        }
    }
}
