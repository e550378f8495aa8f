//! Evidence files, the vendor form answered per client, imported catalog editions — on
//! SQLite and PostgreSQL.

use anzen_core::OrgKind;
use anzen_store::assessments::{self, Answer, AnswerInput, NewAssessment};
use anzen_store::evidence::{self, Upload};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, catalog_editions, params, testing, vendor_forms};

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn no_carry(_: &str) -> Option<String> {
    None
}

fn upload<'a>(item: &'a str, name: &'a str, content: &'a [u8]) -> Upload<'a> {
    Upload {
        item_id: item,
        file_name: name,
        content_type: "application/pdf",
        content,
        note: None,
    }
}

#[test]
fn evidence_is_versioned_content_addressed_and_frozen_with_the_answers() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let items = ids(&["R7/medical/1-①", "R7/medical/2-①"]);
        let new = NewAssessment {
            fiscal_year: 2025,
            form: "medical",
            edition_fy: 2025,
            item_ids: &items,
            client_org_id: None,
        };
        let a = c
            .transaction(|c| assessments::create(c, &org, "u", &new, &no_carry))
            .expect("create");
        let v1 = c
            .transaction(|c| {
                evidence::attach(
                    c,
                    &org,
                    "u",
                    &a,
                    &upload("R7/medical/2-①", "台帳.pdf", b"v1"),
                )
            })
            .expect("attach");
        let v2 = c
            .transaction(|c| {
                evidence::attach(
                    c,
                    &org,
                    "u",
                    &a,
                    &upload("R7/medical/2-①", "台帳.pdf", b"v2"),
                )
            })
            .expect("attach v2");
        // The same content under another item and name is stored once.
        let same = c
            .transaction(|c| {
                evidence::attach(
                    c,
                    &org,
                    "u",
                    &a,
                    &upload("R7/medical/1-①", "任命書.pdf", b"v1"),
                )
            })
            .expect("attach same content");
        assert_eq!((v1.version, v2.version, same.version), (1, 2, 1), "{b}");
        assert_eq!(v1.sha256, same.sha256, "{b}");
        let blobs = c
            .query_one(
                "SELECT COUNT(*) FROM evidence_blobs WHERE org_id = $1",
                params![org.id.0],
            )
            .expect("count")
            .i64(0)
            .expect("n");
        assert_eq!(blobs, 2, "{b}");
        assert_eq!(
            evidence::content(&mut c, &org, &v2).expect("content"),
            b"v2",
            "{b}"
        );
        // Unknown item, another organisation.
        assert!(matches!(
            evidence::attach(&mut c, &org, "u", &a, &upload("R7/medical/9-⑨", "x", b"x")),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            evidence::attach(
                &mut c,
                &other,
                "u",
                &a,
                &upload("R7/medical/1-①", "x", b"x")
            ),
            Err(StoreError::NotFound(_))
        ));

        // Withdrawal needs a reason, keeps the row and the content.
        assert!(matches!(
            evidence::withdraw(&mut c, &org, "u", &a, v1.id, "  "),
            Err(StoreError::Conflict(_))
        ));
        let w = c
            .transaction(|c| evidence::withdraw(c, &org, "u", &a, v1.id, "古い版のため"))
            .expect("withdraw");
        assert!(!w.is_current(), "{b}");
        assert_eq!(w.withdrawn_reason.as_deref(), Some("古い版のため"), "{b}");
        assert!(matches!(
            evidence::withdraw(&mut c, &org, "u", &a, v1.id, "again"),
            Err(StoreError::Conflict(_))
        ));
        let files = evidence::list(&mut c, &a).expect("list");
        assert_eq!(files.len(), 3, "{b}");
        assert_eq!(evidence::content(&mut c, &org, &w).expect("kept"), b"v1");

        // Completing freezes answers and the current evidence under one hash.
        let yes = AnswerInput {
            answer: Some(Answer::Yes),
            checked_on: Some("2025-06-01".into()),
            ..AnswerInput::default()
        };
        c.transaction(|c| assessments::set_answer(c, &org, "u", &a, "R7/medical/2-①", &yes))
            .expect("answer");
        let done = c
            .transaction(|c| assessments::complete(c, &org, "officer", &a))
            .expect("complete");
        let rows = assessments::answers(&mut c, a.id).expect("rows");
        let frozen = evidence::frozen_view(&files);
        assert_eq!(frozen.len(), 2, "withdrawn file not frozen ({b})");
        assert_eq!(
            done.frozen_hash.as_deref(),
            Some(
                assessments::freeze_hash(&rows, &frozen)
                    .expect("hash")
                    .as_str()
            ),
            "{b}"
        );
        assert_ne!(
            done.frozen_hash.as_deref(),
            Some(assessments::freeze_hash(&rows, &[]).expect("hash").as_str()),
            "evidence is part of the hash ({b})"
        );
        assert_eq!(
            assessments::check_frozen(&mut c, &org, &done).expect("check"),
            None,
            "{b}"
        );
        let entries = ledger::list(&mut c, org.id, &EntryQuery::default()).expect("ledger");
        let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "evidence.attach").count(),
            3,
            "{b}"
        );
        assert!(kinds.contains(&"evidence.withdraw"), "{b}");
        let complete = entries
            .iter()
            .find(|e| e.kind == "assessment.complete")
            .expect("complete");
        let payload: serde_json::Value = serde_json::from_slice(&complete.payload).expect("json");
        assert_eq!(payload["evidence"].as_array().map(Vec::len), Some(2), "{b}");

        // Frozen: no new evidence, no withdrawal.
        assert!(matches!(
            evidence::attach(
                &mut c,
                &org,
                "u",
                &done,
                &upload("R7/medical/2-①", "x", b"x")
            ),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            evidence::withdraw(&mut c, &org, "u", &done, v2.id, "x"),
            Err(StoreError::Conflict(_))
        ));

        // Changed content or answers after freezing is detected.
        c.execute(
            "UPDATE evidence_blobs SET content = $3 WHERE org_id = $1 AND sha256 = $2",
            params![org.id.0, v2.sha256.as_str(), b"forged".as_slice()],
        )
        .expect("tamper");
        let problem = assessments::check_frozen(&mut c, &org, &done).expect("check");
        assert!(
            problem.as_deref().is_some_and(|p| p.contains("台帳.pdf")),
            "{problem:?} ({b})"
        );
        c.execute(
            "UPDATE evidence_blobs SET content = $3 WHERE org_id = $1 AND sha256 = $2",
            params![org.id.0, v2.sha256.as_str(), b"v2".as_slice()],
        )
        .expect("restore");
        c.execute(
            "UPDATE assessment_answers SET answer = 'no' WHERE assessment_id = $1",
            params![a.id],
        )
        .expect("tamper answers");
        assert!(
            assessments::check_frozen(&mut c, &org, &done)
                .expect("check")
                .is_some(),
            "{b}"
        );
    }
}

#[test]
fn vendor_answers_the_vendor_form_per_client() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let clinic =
            orgs::create(&mut c, &OrgProfile::new("さくら医院", OrgKind::Clinic)).expect("o");
        let hospital =
            orgs::create(&mut c, &OrgProfile::new("みどり病院", OrgKind::Hospital)).expect("o");
        let vendor = orgs::create(
            &mut c,
            &OrgProfile::new("電カル株式会社", OrgKind::SystemVendor),
        )
        .expect("o");
        let req = c
            .transaction(|c| {
                vendor_forms::request(c, &clinic, &vendor, "officer", 2025, Some("よろしく"))
            })
            .expect("request");
        assert_eq!(req.vendor_name, "電カル株式会社", "{b}");
        assert!(matches!(
            vendor_forms::request(&mut c, &clinic, &vendor, "officer", 2025, None),
            Err(StoreError::Conflict(_))
        ));
        c.transaction(|c| vendor_forms::request(c, &hospital, &vendor, "h", 2025, None))
            .expect("second client");
        let received = vendor_forms::received(&mut c, &vendor, 2025).expect("received");
        assert_eq!(
            received
                .iter()
                .map(|r| r.facility_name.as_str())
                .collect::<Vec<_>>(),
            vec!["さくら医院", "みどり病院"],
            "{b}"
        );
        assert_eq!(
            vendor_forms::sent(&mut c, &clinic, 2025)
                .expect("sent")
                .len(),
            1,
            "{b}"
        );
        assert!(
            vendor_forms::received(&mut c, &vendor, 2024)
                .expect("r")
                .is_empty()
        );

        // One assessment per client; the second client's starts from the first's answers.
        let items = ids(&["R7/vendor/1-①", "R7/vendor/2-①"]);
        let for_client = |client: i64| NewAssessment {
            fiscal_year: 2025,
            form: "vendor",
            edition_fy: 2025,
            item_ids: &items,
            client_org_id: Some(client),
        };
        let a = c
            .transaction(|c| {
                assessments::create(c, &vendor, "v", &for_client(clinic.id.0), &no_carry)
            })
            .expect("create");
        let yes = AnswerInput {
            answer: Some(Answer::Yes),
            checked_on: Some("2025-05-01".into()),
            ..AnswerInput::default()
        };
        c.transaction(|c| assessments::set_answer(c, &vendor, "v", &a, "R7/vendor/1-①", &yes))
            .expect("answer");
        let h = c
            .transaction(|c| {
                assessments::create(c, &vendor, "v", &for_client(hospital.id.0), &no_carry)
            })
            .expect("create");
        assert_eq!(h.source_assessment_id, Some(a.id), "{b}");
        let rows = assessments::answers(&mut c, h.id).expect("rows");
        assert_eq!(rows[0].answer, Some(Answer::Yes), "{b}");
        assert_eq!(rows[0].checked_on, None, "{b}");
        let cur = |c: &mut anzen_store::Conn, client| {
            assessments::current_for(c, vendor.id.0, 2025, "vendor", client)
                .expect("current")
                .map(|x| x.id)
        };
        assert_eq!(cur(&mut c, Some(clinic.id.0)), Some(a.id), "{b}");
        assert_eq!(cur(&mut c, Some(hospital.id.0)), Some(h.id), "{b}");
        assert_eq!(cur(&mut c, None), None, "own form is separate ({b})");
        for org in [&clinic, &vendor] {
            let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
                .expect("ledger")
                .into_iter()
                .map(|e| e.kind)
                .collect();
            assert!(
                kinds.iter().any(|k| k.starts_with("vendor_form.request")),
                "{kinds:?} ({b})"
            );
        }
    }
}

#[test]
fn imported_editions_are_stored_per_organisation() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let new = catalog_editions::NewEdition {
            fiscal_year: 2026,
            form: "medical",
            toml: "[edition]\nfiscal_year = 2026\n",
            file_name: "r8_checklist.xlsx",
            source_sha256: "ab",
            items: 20,
        };
        let e = c
            .transaction(|c| catalog_editions::insert(c, &org, "officer", &new))
            .expect("insert");
        assert_eq!(e.fiscal_year, 2026, "{b}");
        assert!(matches!(
            catalog_editions::insert(&mut c, &org, "officer", &new),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(catalog_editions::list(&mut c, &org).expect("list").len(), 1);
        assert!(
            catalog_editions::list(&mut c, &other)
                .expect("list")
                .is_empty()
        );
        let entries = ledger::list(&mut c, org.id, &EntryQuery::default()).expect("ledger");
        assert!(entries.iter().any(|e| e.kind == "catalog.import"), "{b}");
    }
}
