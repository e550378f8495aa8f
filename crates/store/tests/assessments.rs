//! Checklist assessments on SQLite and PostgreSQL: create, answer, carry over to the next
//! 年度, complete (freeze into the ledger).

use anzen_core::OrgKind;
use anzen_store::assessments::{self, Answer, AnswerInput, NewAssessment, Status};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, testing};

/// Items match across editions by the part after the edition prefix, standing in for the
/// catalog's topic + target.
fn carry_key(id: &str) -> Option<String> {
    match id {
        "R6/medical/1-(1)" | "R7/medical/1-①" => Some("security_officer/none".into()),
        "R6/medical/2-(1)" | "R7/medical/2-①" => Some("asset_ledger/none".into()),
        _ => None,
    }
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn assessment_lifecycle_on_every_backend() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other =
            orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Hospital)).expect("other");
        assert!(
            assessments::current(&mut c, &org, 2024, "medical")
                .expect("current")
                .is_none(),
            "{b}"
        );
        let r6 = ids(&["R6/medical/1-(1)", "R6/medical/2-(1)", "R6/medical/3-(1)"]);
        let a = c
            .transaction(|c| {
                assessments::create(
                    c,
                    &org,
                    "officer@example.jp",
                    &NewAssessment {
                        fiscal_year: 2024,
                        form: "medical",
                        edition_fy: 2024,
                        item_ids: &r6,
                        client_org_id: None,
                    },
                    &carry_key,
                )
            })
            .expect("create");
        assert_eq!(a.status, Status::Draft, "{b}");
        assert_eq!(a.source_assessment_id, None, "{b}");
        let rows = assessments::answers(&mut c, a.id).expect("answers");
        assert_eq!(
            rows.iter().map(|r| r.item_id.as_str()).collect::<Vec<_>>(),
            vec!["R6/medical/1-(1)", "R6/medical/2-(1)", "R6/medical/3-(1)"],
            "{b}"
        );
        assert!(rows.iter().all(|r| r.answer.is_none()), "{b}");

        let yes = AnswerInput {
            answer: Some(Answer::Yes),
            checked_on: Some("2024-06-01".into()),
            target_date: None,
            note: Some("責任者: 山田".into()),
        };
        let no = AnswerInput {
            answer: Some(Answer::No),
            checked_on: Some("2024-06-01".into()),
            target_date: Some("2025-03-01".into()),
            note: None,
        };
        c.transaction(|c| -> Result<(), StoreError> {
            assessments::set_answer(c, &org, "staff@example.jp", &a, "R6/medical/1-(1)", &yes)?;
            assessments::set_answer(c, &org, "staff@example.jp", &a, "R6/medical/2-(1)", &no)?;
            Ok(())
        })
        .expect("answer");
        // Unknown item, other organisation.
        assert!(matches!(
            assessments::set_answer(&mut c, &org, "x", &a, "R6/medical/9-(9)", &yes),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            assessments::set_answer(&mut c, &other, "x", &a, "R6/medical/1-(1)", &yes),
            Err(StoreError::NotFound(_))
        ));
        assert!(
            assessments::get_in_org(&mut c, &other, a.id)
                .expect("get")
                .is_none(),
            "{b}"
        );
        let rows = assessments::answers(&mut c, a.id).expect("answers");
        assert_eq!(rows[0].answer, Some(Answer::Yes), "{b}");
        assert_eq!(rows[1].target_date.as_deref(), Some("2025-03-01"), "{b}");

        // Complete: frozen, hashed, in the ledger.
        let done = c
            .transaction(|c| assessments::complete(c, &org, "officer@example.jp", &a))
            .expect("complete");
        assert_eq!(done.status, Status::Completed, "{b}");
        let hash = done.frozen_hash.clone().expect("hash");
        assert_eq!(
            hash,
            assessments::freeze_hash(&rows, &[]).expect("hash"),
            "{b}"
        );
        assert!(matches!(
            assessments::set_answer(&mut c, &org, "x", &done, "R6/medical/3-(1)", &yes),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            assessments::complete(&mut c, &org, "x", &done),
            Err(StoreError::Conflict(_))
        ));
        let entries = ledger::list(&mut c, org.id, &EntryQuery::default()).expect("ledger");
        let complete = entries
            .iter()
            .find(|e| e.kind == "assessment.complete")
            .expect("complete event");
        let payload: serde_json::Value =
            serde_json::from_slice(&complete.payload).expect("payload");
        assert_eq!(payload["hash"], hash.as_str(), "{b}");
        assert_eq!(payload["answers"].as_array().map(Vec::len), Some(3), "{b}");
        assert_eq!(payload["answers"][0]["answer"], "yes", "{b}");
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.kind == "assessment.answer")
                .count(),
            2,
            "{b}"
        );
        assert!(
            ledger::list(&mut c, other.id, &EntryQuery::default())
                .expect("ledger")
                .iter()
                .all(|e| !e.kind.starts_with("assessment.")),
            "{b}"
        );

        // Next 年度, new edition: answers carried by topic, dates cleared.
        let r7 = ids(&["R7/medical/1-①", "R7/medical/2-①", "R7/medical/2-⑩"]);
        let next = c
            .transaction(|c| {
                assessments::create(
                    c,
                    &org,
                    "officer@example.jp",
                    &NewAssessment {
                        fiscal_year: 2025,
                        form: "medical",
                        edition_fy: 2025,
                        item_ids: &r7,
                        client_org_id: None,
                    },
                    &carry_key,
                )
            })
            .expect("create next");
        assert_eq!(next.source_assessment_id, Some(a.id), "{b}");
        let rows = assessments::answers(&mut c, next.id).expect("answers");
        assert_eq!(rows[0].answer, Some(Answer::Yes), "{b}");
        assert_eq!(rows[0].note.as_deref(), Some("責任者: 山田"), "{b}");
        assert_eq!(rows[0].checked_on, None, "{b}");
        assert_eq!(rows[1].answer, Some(Answer::No), "{b}");
        assert_eq!(rows[1].target_date, None, "{b}");
        assert_eq!(rows[2].answer, None, "{b}");

        // Current: the latest draft of the year, else the latest.
        assert_eq!(
            assessments::current(&mut c, &org, 2024, "medical")
                .expect("current")
                .map(|x| x.id),
            Some(a.id),
            "{b}"
        );
        assert_eq!(
            assessments::current(&mut c, &org, 2025, "medical")
                .expect("current")
                .map(|x| x.id),
            Some(next.id),
            "{b}"
        );
        assert_eq!(
            assessments::list(&mut c, &org)
                .expect("list")
                .iter()
                .map(|x| x.fiscal_year)
                .collect::<Vec<_>>(),
            vec![2025, 2024],
            "{b}"
        );
        assert!(
            assessments::list(&mut c, &other).expect("list").is_empty(),
            "{b}"
        );
    }
}
