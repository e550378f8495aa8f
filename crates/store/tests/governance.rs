//! 運用管理規程 versions, reviews and training sessions on SQLite and PostgreSQL: approval
//! freezes a version, reviews need an approved version, attendees and the テキスト round
//! trip, the 年度 filter, tenant isolation, and every change in the ledger.

use anzen_core::OrgKind;
use anzen_store::governance::{self, Attendee, NewText, TrainingData};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, testing};

fn data(title: &str, held_on: &str) -> TrainingData {
    TrainingData {
        title: title.into(),
        held_on: held_on.into(),
        instructor: Some("事務長".into()),
        audience: Some("全職員".into()),
        note: None,
    }
}

fn staff(id: &str, name: &str) -> Attendee {
    Attendee {
        staff_id: Some(id.into()),
        name: name.into(),
    }
}

#[test]
fn policy_versions_approval_and_reviews() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org =
            orgs::create(&mut c, &OrgProfile::new("試験病院", OrgKind::Hospital)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");

        assert!(
            matches!(
                governance::approve_policy(&mut c, &org, "u", "院長", "2025-04-01"),
                Err(StoreError::Conflict(_))
            ),
            "[{b}] nothing to approve"
        );
        assert!(
            matches!(
                governance::review_policy(
                    &mut c,
                    &org,
                    "u",
                    "2025-04-01",
                    "院長",
                    "変更なし",
                    None
                ),
                Err(StoreError::Conflict(_))
            ),
            "[{b}] nothing to review"
        );

        let v1 = governance::save_policy(&mut c, &org, "u", r#"{"title":"a"}"#).expect("v1");
        let v1b = governance::save_policy(&mut c, &org, "u", r#"{"title":"b"}"#).expect("edit");
        assert_eq!(
            (v1.id, v1b.version),
            (v1b.id, 1),
            "[{b}] a draft is edited in place"
        );
        let ap = governance::approve_policy(&mut c, &org, "u", "院長 太郎", "2025-04-01")
            .expect("approve");
        assert_eq!(ap.approved_on.as_deref(), Some("2025-04-01"), "[{b}]");
        assert_eq!(ap.document, r#"{"title":"b"}"#, "[{b}]");
        let v2 = governance::save_policy(&mut c, &org, "u", r#"{"title":"c"}"#).expect("v2");
        assert_eq!(v2.version, 2, "[{b}] approved stays frozen");
        let approved = governance::latest_approved_policy(&mut c, &org)
            .expect("latest")
            .expect("approved");
        assert_eq!(
            (approved.version, approved.document.as_str()),
            (1, r#"{"title":"b"}"#),
            "[{b}]"
        );

        let r = governance::review_policy(
            &mut c,
            &org,
            "u",
            "2026-03-20",
            "院長 太郎",
            "変更なし",
            Some("体制の変更なし"),
        )
        .expect("review");
        assert_eq!(r.version, 1, "[{b}] reviews the version in force");
        let list = governance::policy_reviews(&mut c, &org).expect("reviews");
        assert_eq!(list.len(), 1, "[{b}]");
        assert_eq!(list[0].note.as_deref(), Some("体制の変更なし"), "[{b}]");

        // Another organisation sees nothing.
        assert!(
            governance::policy_versions(&mut c, &other)
                .expect("x")
                .is_empty(),
            "[{b}]"
        );
        assert!(
            governance::policy_reviews(&mut c, &other)
                .expect("x")
                .is_empty(),
            "[{b}]"
        );

        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "policy.create",
            "policy.update",
            "policy.approve",
            "policy.review",
        ] {
            assert!(kinds.iter().any(|x| x == k), "[{b}] {k} in {kinds:?}");
        }
    }
}

#[test]
fn training_sessions_attendees_text_and_year() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org =
            orgs::create(&mut c, &OrgProfile::new("試験病院", OrgKind::Hospital)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");

        let text = NewText {
            name: "text.pdf",
            content_type: "application/pdf",
            content: b"%PDF-1.4 security training",
        };
        let s1 = governance::create_training(
            &mut c,
            &org,
            "u",
            &data("情報セキュリティ研修", "2025-06-10"),
            &[
                staff("001", "山田"),
                staff("002", "佐藤"),
                Attendee {
                    staff_id: None,
                    name: "委託 清掃担当".into(),
                },
            ],
            Some(&text),
        )
        .expect("create");
        assert_eq!(s1.attendees.len(), 3, "[{b}]");
        assert_eq!(s1.attendees[2].staff_id, None, "[{b}] free-text attendee");
        let t = s1.text.clone().expect("text");
        assert_eq!((t.name.as_str(), t.size), ("text.pdf", 26), "[{b}]");
        let (meta, bytes) = governance::training_text(&mut c, &org, s1.id).expect("bytes");
        assert_eq!(bytes, text.content, "[{b}]");
        assert_eq!(meta.content_type, "application/pdf", "[{b}]");
        assert!(
            governance::training_text(&mut c, &other, s1.id).is_err(),
            "[{b}] isolation"
        );

        // Last 年度 (March 2025) and this one.
        governance::create_training(&mut c, &org, "u", &data("前年度", "2025-03-31"), &[], None)
            .expect("old");
        let s3 = governance::create_training(
            &mut c,
            &org,
            "u",
            &data("補講", "2026-03-31"),
            &[staff("003", "鈴木")],
            None,
        )
        .expect("make-up");
        let fy: Vec<String> = governance::training_in_year(&mut c, &org, 2025)
            .expect("year")
            .into_iter()
            .map(|s| s.data.title)
            .collect();
        assert_eq!(fy, vec!["情報セキュリティ研修", "補講"], "[{b}]");

        // Update replaces the attendees.
        let up = governance::update_training(
            &mut c,
            &org,
            "u",
            s3.id,
            &data("補講", "2026-03-30"),
            &[staff("003", "鈴木"), staff("004", "高橋")],
            None,
        )
        .expect("update");
        assert_eq!(up.attendees.len(), 2, "[{b}]");
        assert_eq!(up.data.held_on, "2026-03-30", "[{b}]");
        assert!(
            governance::update_training(
                &mut c,
                &other,
                "u",
                s3.id,
                &data("x", "2026-03-30"),
                &[],
                None
            )
            .is_err(),
            "[{b}]"
        );
        assert_eq!(
            governance::training_sessions(&mut c, &org)
                .expect("all")
                .len(),
            3,
            "[{b}]"
        );
        assert!(
            governance::training_sessions(&mut c, &other)
                .expect("x")
                .is_empty(),
            "[{b}]"
        );

        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "training.create").count(),
            3,
            "[{b}]"
        );
        assert!(kinds.iter().any(|k| k == "training.update"), "[{b}]");
    }
}
