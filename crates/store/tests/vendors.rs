//! Vendors, their documents (content-addressed, versioned), certifications, services, remote
//! maintenance and the responsibility matrix — on SQLite and PostgreSQL.

use anzen_core::OrgKind;
use anzen_store::accounts::{self, SystemData};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::vendors::{
    self, Assignment, Certification, Contract, DocFile, NewDocument, Part, RemoteAccess, Service,
    VendorData,
};
use anzen_store::{StoreError, testing};

fn vendor(name: &str) -> VendorData {
    VendorData {
        name: name.into(),
        contact_name: Some("高橋".into()),
        active: true,
        ..VendorData::default()
    }
}

fn system(name: &str) -> SystemData {
    SystemData {
        name: name.into(),
        kind: "その他".into(),
        owner: None,
        vendor: None,
        supports_mfa: false,
        min_password_len: None,
        note: None,
    }
}

#[test]
fn vendor_records_are_kept_per_org_and_audited() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let vorg = orgs::create(
            &mut c,
            &OrgProfile::new("メディシス株式会社", OrgKind::SystemVendor),
        )
        .expect("vendor org");
        let before = ledger::size(&mut c, org.id).expect("size");

        let mut data = vendor("メディシス株式会社");
        data.vendor_org_id = Some(vorg.id.0);
        let v = c
            .transaction(|c| vendors::save(c, &org, "u", None, &data))
            .expect("create");
        assert!(matches!(
            vendors::save(&mut c, &org, "u", None, &vendor(" メディシス株式会社 ")),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            vendors::save(&mut c, &org, "u", None, &vendor("  ")),
            Err(StoreError::Conflict(_))
        ));
        // The same name in another facility is another vendor record.
        let v2 =
            vendors::save(&mut c, &other, "u", None, &vendor("メディシス株式会社")).expect("other");
        assert!(
            vendors::get(&mut c, &other, v.id).expect("get").is_none(),
            "{b}"
        );
        assert_eq!(
            vendors::linked_to(&mut c, vorg.id.0)
                .expect("linked")
                .iter()
                .map(|x| x.id)
                .collect::<Vec<_>>(),
            vec![v.id],
            "{b}"
        );
        data.active = false;
        let v = vendors::save(&mut c, &org, "u", Some(v.id), &data).expect("update");
        assert!(!v.data.active);
        assert!(matches!(
            vendors::save(&mut c, &org, "u", Some(v2.id), &data),
            Err(StoreError::NotFound(_)) | Err(StoreError::Conflict(_))
        ));

        let contract = vendors::add_contract(
            &mut c,
            &org,
            "u",
            v.id,
            &Contract {
                id: 0,
                vendor_id: 0,
                title: " 電子カルテ保守契約 ".into(),
                contract_no: Some("K-1".into()),
                start_date: Some("2024-04-01".into()),
                end_date: None,
                scope: Some("保守".into()),
            },
        )
        .expect("contract");
        assert_eq!(contract.title, "電子カルテ保守契約");
        let svc = vendors::add_service(
            &mut c,
            &org,
            "u",
            v.id,
            &Service {
                id: 0,
                vendor_id: 0,
                name: "クラウドバックアップ".into(),
                stores_data: true,
                data_country: Some("日本".into()),
                data_provider: None,
                within_japan_law: None,
                note: None,
            },
        )
        .expect("service");
        let cert = vendors::add_certification(
            &mut c,
            &org,
            "u",
            v.id,
            &Certification {
                id: 0,
                vendor_id: 0,
                kind: "isms".into(),
                name: "ISMS（ISO/IEC 27001）".into(),
                scope: None,
                cert_no: Some("IS 123".into()),
                expires_on: Some("2027-03-31".into()),
            },
        )
        .expect("cert");
        let remote = vendors::add_remote(
            &mut c,
            &org,
            "u",
            v.id,
            &RemoteAccess {
                id: 0,
                vendor_id: 0,
                target: "VPN装置".into(),
                method: Some("SSL-VPN".into()),
                allowed_persons: None,
                logs_kept: Some(false),
                log_location: None,
            },
        )
        .expect("remote");
        assert_eq!(
            vendors::services(&mut c, &org, Some(v.id)).expect("svc"),
            vec![svc.clone()],
            "{b}"
        );
        assert_eq!(
            vendors::services(&mut c, &org, None).expect("svc")[0].within_japan_law,
            None
        );
        assert_eq!(
            vendors::remote(&mut c, &org, None).expect("remote"),
            vec![remote.clone()]
        );
        assert_eq!(
            vendors::certifications(&mut c, &other, None).expect("none"),
            vec![],
            "{b}"
        );
        // Another facility cannot add to or remove from this vendor.
        assert!(matches!(
            vendors::remove(&mut c, &other, "u", v.id, Part::Certification, cert.id),
            Err(StoreError::NotFound(_))
        ));
        vendors::remove(&mut c, &org, "u", v.id, Part::Certification, cert.id).expect("rm");
        assert!(
            vendors::certifications(&mut c, &org, None)
                .expect("certs")
                .is_empty()
        );
        assert_eq!(
            vendors::contracts(&mut c, &org, Some(v.id)).expect("c"),
            vec![contract]
        );

        // Documents: versioned per kind, content stored once, withdrawn not deleted.
        let doc = |received: &'static str, content: &'static [u8]| NewDocument {
            kind: "mds_sds",
            form_version: Some("Ver.5.0"),
            received_on: received,
            file: Some(DocFile {
                name: "mds_sds.pdf",
                content_type: "application/pdf",
                content,
            }),
            note: None,
        };
        let d1 = vendors::add_document(&mut c, &org, "u", v.id, &doc("2025-05-01", b"one"))
            .expect("doc");
        let d2 = vendors::add_document(&mut c, &org, "u", v.id, &doc("2026-05-01", b"one"))
            .expect("doc");
        assert_eq!((d1.version, d2.version), (1, 2), "{b}");
        assert_eq!(d1.sha256, d2.sha256);
        let paper = vendors::add_document(
            &mut c,
            &org,
            "u",
            v.id,
            &NewDocument {
                kind: "sla",
                form_version: None,
                received_on: "2026-04-01",
                file: None,
                note: Some("紙で受領"),
            },
        )
        .expect("paper");
        assert!(paper.sha256.is_none());
        assert!(matches!(
            vendors::document_content(&mut c, &org, &paper),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            vendors::document_content(&mut c, &org, &d2).expect("content"),
            b"one".to_vec()
        );
        assert!(
            vendors::document(&mut c, &other, d1.id)
                .expect("doc")
                .is_none()
        );
        assert!(matches!(
            vendors::withdraw_document(&mut c, &org, "u", v.id, d1.id, " "),
            Err(StoreError::Conflict(_))
        ));
        let w = vendors::withdraw_document(&mut c, &org, "u", v.id, d1.id, "差し替え")
            .expect("withdraw");
        assert!(!w.is_current());
        assert!(matches!(
            vendors::withdraw_document(&mut c, &org, "u", v.id, d1.id, "again"),
            Err(StoreError::Conflict(_))
        ));
        let docs = vendors::documents(&mut c, &org, Some(v.id)).expect("docs");
        assert_eq!(docs.len(), 3, "{b}");
        assert_eq!(
            docs.iter().filter(|d| d.is_current()).count(),
            2,
            "{b} withdrawn kept"
        );

        // Links and the matrix.
        let ehr =
            accounts::save_system(&mut c, &org, "u", None, &system("電子カルテ")).expect("system");
        let foreign = accounts::save_system(&mut c, &other, "u", None, &system("電子カルテ"))
            .expect("system");
        assert!(matches!(
            vendors::set_links(&mut c, &org, "u", v.id, &[foreign.id], &[]),
            Err(StoreError::NotFound(_))
        ));
        vendors::set_links(&mut c, &org, "u", v.id, &[ehr.id, ehr.id], &[]).expect("links");
        assert_eq!(
            vendors::system_links(&mut c, &org).expect("links"),
            vec![(v.id, ehr.id)]
        );
        assert!(vendors::system_links(&mut c, &other).expect("l").is_empty());
        let rows = vec![
            Assignment {
                duty: "patching".into(),
                role: "responsible".into(),
                vendor_id: Some(v.id),
            },
            Assignment {
                duty: "patching".into(),
                role: "informed".into(),
                vendor_id: None,
            },
            Assignment {
                duty: "backup".into(),
                role: "responsible".into(),
                vendor_id: None,
            },
        ];
        let m = vendors::set_matrix(&mut c, &org, "u", ehr.id, &rows).expect("matrix");
        assert_eq!(m.len(), 3, "{b}");
        assert!(matches!(
            vendors::set_matrix(
                &mut c,
                &org,
                "u",
                ehr.id,
                &[Assignment {
                    duty: "patching".into(),
                    role: "owner".into(),
                    vendor_id: None,
                }]
            ),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            vendors::set_matrix(
                &mut c,
                &org,
                "u",
                ehr.id,
                &[Assignment {
                    duty: "patching".into(),
                    role: "responsible".into(),
                    vendor_id: Some(v2.id),
                }]
            ),
            Err(StoreError::NotFound(_))
        ));
        let patch = m
            .iter()
            .find(|r| r.duty == "patching" && r.role == "responsible")
            .expect("row");
        // Only a vendor's responsible row can be accepted, and only by that vendor.
        let backup = m.iter().find(|r| r.duty == "backup").expect("row");
        assert!(matches!(
            vendors::set_accepted(&mut c, &org, "v", backup.id, None, true),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            vendors::set_accepted(&mut c, &org, "v", patch.id, Some(v2.id), true),
            Err(StoreError::NotFound(_))
        ));
        let acc =
            vendors::set_accepted(&mut c, &org, "v@x", patch.id, Some(v.id), true).expect("accept");
        assert_eq!(acc.accepted_by.as_deref(), Some("v@x"));
        // Setting the same assignment again keeps the acceptance; a change drops it.
        let m = vendors::set_matrix(&mut c, &org, "u", ehr.id, &rows).expect("again");
        assert!(
            m.iter()
                .any(|r| r.duty == "patching" && r.accepted_by.as_deref() == Some("v@x")),
            "{b}"
        );
        let m = vendors::set_matrix(&mut c, &org, "u", ehr.id, &rows[1..]).expect("changed");
        assert!(m.iter().all(|r| r.accepted_at.is_none()));
        assert!(vendors::matrix(&mut c, &other, None).expect("m").is_empty());

        // Every change is in the facility's ledger.
        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(ledger::size(&mut c, org.id).expect("size") > before);
        let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
        for k in [
            "vendor.create",
            "vendor.update",
            "vendor.contract.add",
            "vendor.service.add",
            "vendor.certification.add",
            "vendor.certification.remove",
            "vendor.remote_access.add",
            "vendor.document.add",
            "vendor.document.withdraw",
            "vendor.links",
            "vendor.matrix.set",
            "vendor.matrix.accept",
        ] {
            assert!(kinds.contains(&k), "{b}: {k} missing in {kinds:?}");
        }
    }
}

/// A 事業者確認用 form the vendor organisation completed for the facility on this server is
/// found (it counts as the document received); a draft, or one for another client, is not.
#[test]
fn completed_vendor_form_on_the_server_is_found() {
    use anzen_store::assessments::{self, NewAssessment};
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let clinic =
            orgs::create(&mut c, &OrgProfile::new("さくら医院", OrgKind::Clinic)).expect("o");
        let other =
            orgs::create(&mut c, &OrgProfile::new("みどり病院", OrgKind::Hospital)).expect("o");
        let vendor = orgs::create(
            &mut c,
            &OrgProfile::new("電カル株式会社", OrgKind::SystemVendor),
        )
        .expect("o");
        let items = vec!["R7/vendor/1-①".to_owned()];
        let new = NewAssessment {
            fiscal_year: 2025,
            form: "vendor",
            edition_fy: 2025,
            item_ids: &items,
            client_org_id: Some(clinic.id.0),
        };
        let a = assessments::create(&mut c, &vendor, "v", &new, &|_| None).expect("create");
        assert_eq!(
            vendors::vendor_form_completed_at(&mut c, clinic.id.0, vendor.id.0).expect("q"),
            None,
            "{b} a draft does not count"
        );
        let done = c
            .transaction(|c| assessments::complete(c, &vendor, "v", &a))
            .expect("complete");
        assert_eq!(
            vendors::vendor_form_completed_at(&mut c, clinic.id.0, vendor.id.0).expect("q"),
            done.completed_at,
            "{b}"
        );
        assert!(done.completed_at.is_some());
        assert_eq!(
            vendors::vendor_form_completed_at(&mut c, other.id.0, vendor.id.0).expect("q"),
            None,
            "{b} another client"
        );
    }
}

#[test]
fn vendor_parts_and_document_metadata_are_edited_with_before_and_after() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let v = vendors::save(&mut c, &org, "u", None, &vendor("A社")).expect("v");
        let w = vendors::save(&mut c, &org, "u", None, &vendor("B社")).expect("w");
        let cert = vendors::add_certification(
            &mut c,
            &org,
            "u",
            v.id,
            &Certification {
                id: 0,
                vendor_id: 0,
                kind: "isms".into(),
                name: "ISMS".into(),
                scope: None,
                cert_no: Some("IS 1".into()),
                expires_on: Some("2020-03-31".into()),
            },
        )
        .expect("cert");
        let changed = c
            .transaction(|c| {
                vendors::update(
                    c,
                    &org,
                    "editor",
                    v.id,
                    &Certification {
                        expires_on: Some("2029-03-31".into()),
                        name: " ISMS（全社） ".into(),
                        vendor_id: 999,
                        ..cert.clone()
                    },
                )
            })
            .expect("update");
        assert_eq!(changed.expires_on.as_deref(), Some("2029-03-31"), "{b}");
        assert_eq!(changed.name, "ISMS（全社）");
        assert_eq!(changed.vendor_id, v.id, "{b} vendor kept");
        assert_eq!(changed.cert_no.as_deref(), Some("IS 1"));
        // Another vendor's id in the path: not found, nothing changes.
        assert!(matches!(
            vendors::update(&mut c, &org, "u", w.id, &changed),
            Err(StoreError::NotFound(_))
        ));
        let svc = vendors::add_service(
            &mut c,
            &org,
            "u",
            v.id,
            &Service {
                id: 0,
                vendor_id: 0,
                name: "保存".into(),
                stores_data: true,
                data_country: None,
                data_provider: None,
                within_japan_law: None,
                note: None,
            },
        )
        .expect("svc");
        let svc = vendors::update(
            &mut c,
            &org,
            "u",
            v.id,
            &Service {
                within_japan_law: Some(true),
                data_country: Some("日本".into()),
                stores_data: false,
                ..svc
            },
        )
        .expect("svc update");
        assert_eq!(svc.within_japan_law, Some(true), "{b}");
        assert!(!svc.stores_data);
        let con = vendors::add_contract(
            &mut c,
            &org,
            "u",
            v.id,
            &Contract {
                id: 0,
                vendor_id: 0,
                title: "保守".into(),
                contract_no: None,
                start_date: None,
                end_date: None,
                scope: None,
            },
        )
        .expect("contract");
        let con = vendors::update(
            &mut c,
            &org,
            "u",
            v.id,
            &Contract {
                end_date: Some("2027-03-31".into()),
                ..con
            },
        )
        .expect("contract update");
        assert_eq!(con.end_date.as_deref(), Some("2027-03-31"));
        let rem = vendors::add_remote(
            &mut c,
            &org,
            "u",
            v.id,
            &RemoteAccess {
                id: 0,
                vendor_id: 0,
                target: "VPN".into(),
                method: None,
                allowed_persons: None,
                logs_kept: None,
                log_location: None,
            },
        )
        .expect("remote");
        let rem = vendors::update(
            &mut c,
            &org,
            "u",
            v.id,
            &RemoteAccess {
                logs_kept: Some(false),
                ..rem
            },
        )
        .expect("remote update");
        assert_eq!(rem.logs_kept, Some(false), "{b}");

        // Document metadata; a withdrawn document is not edited.
        let doc = vendors::add_document(
            &mut c,
            &org,
            "u",
            v.id,
            &NewDocument {
                kind: "mds_sds",
                form_version: None,
                received_on: "2026-04-01",
                file: None,
                note: None,
            },
        )
        .expect("doc");
        let meta = vendors::DocumentMeta {
            form_version: Some("Ver.5.0".into()),
            received_on: "2026-05-01".into(),
            note: Some("紙で受領".into()),
        };
        let doc2 = vendors::update_document(&mut c, &org, "u", v.id, doc.id, &meta).expect("meta");
        assert_eq!(doc2.received_on, "2026-05-01", "{b}");
        assert_eq!(doc2.version, doc.version);
        assert!(matches!(
            vendors::update_document(&mut c, &org, "u", w.id, doc.id, &meta),
            Err(StoreError::NotFound(_))
        ));
        vendors::withdraw_document(&mut c, &org, "u", v.id, doc.id, "誤登録").expect("withdraw");
        assert!(matches!(
            vendors::update_document(&mut c, &org, "u", v.id, doc.id, &meta),
            Err(StoreError::Conflict(_))
        ));

        // Audited with before and after.
        let entries = ledger::list(
            &mut c,
            org.id,
            &EntryQuery {
                kind_prefix: Some("vendor.certification.update".into()),
                ..EntryQuery::default()
            },
        )
        .expect("ledger");
        assert_eq!(entries.len(), 1, "{b}");
        let p: serde_json::Value = serde_json::from_slice(&entries[0].payload).expect("json");
        assert_eq!(p["before"]["expires_on"], "2020-03-31", "{b}");
        assert_eq!(p["after"]["expires_on"], "2029-03-31");
        assert_eq!(p["vendor"], "A社");
        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "vendor.service.update",
            "vendor.contract.update",
            "vendor.remote_access.update",
            "vendor.document.update",
        ] {
            assert!(kinds.iter().any(|x| x == k), "{b} {k}");
        }
    }
}
