//! 2省GL 該当性チェック: saved assessments per vendor, history kept, audited — on SQLite and
//! PostgreSQL.

use std::collections::BTreeMap;

use anzen_core::OrgKind;
use anzen_store::gl2::{self, NewAssessment};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::vendors::{self, VendorData};
use anzen_store::{StoreError, testing};

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn assessments_are_kept_per_vendor_with_history_and_audited() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let data = |n: &str| VendorData {
            name: n.into(),
            active: true,
            ..VendorData::default()
        };
        let v = vendors::save(&mut c, &org, "u", None, &data("クラウド社")).expect("vendor");
        let w = vendors::save(&mut c, &org, "u", None, &data("清掃社")).expect("vendor");
        let x = vendors::save(&mut c, &other, "u", None, &data("他院の事業者")).expect("vendor");
        assert!(gl2::latest(&mut c, &org).expect("latest").is_empty(), "{b}");

        let first = answers(&[("relation", "contract"), ("service", "cloud")]);
        let a1 = c
            .transaction(|c| {
                gl2::save(
                    c,
                    &org,
                    "admin@example.jp",
                    v.id,
                    &NewAssessment {
                        version: "v1",
                        answers: &first,
                        outcome: "needs_review",
                        reasoning: "1. …\n結論: 判断できません",
                        note: Some("  "),
                    },
                )
            })
            .expect("save 1");
        assert_eq!(a1.answers, first, "{b}");
        assert_eq!(a1.note, None, "{b}");
        assert_eq!(a1.assessed_by, "admin@example.jp");
        let second = answers(&[
            ("relation", "contract"),
            ("service", "cloud"),
            ("handles", "yes"),
        ]);
        let a2 = gl2::save(
            &mut c,
            &org,
            "u2",
            v.id,
            &NewAssessment {
                version: "v1",
                answers: &second,
                outcome: "applies",
                reasoning: "結論: 2省GLが適用されます。",
                note: Some("契約書で確認"),
            },
        )
        .expect("save 2");
        gl2::save(
            &mut c,
            &org,
            "u",
            w.id,
            &NewAssessment {
                version: "v1",
                answers: &answers(&[("relation", "contract"), ("service", "no_medical")]),
                outcome: "not_applicable",
                reasoning: "結論: 2省GLは適用されません。",
                note: None,
            },
        )
        .expect("save w");

        // History newest first; the latest per vendor.
        let h = gl2::history(&mut c, &org, v.id).expect("history");
        assert_eq!(
            h.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![a2.id, a1.id],
            "{b}"
        );
        assert_eq!(h[0].outcome, "applies");
        assert_eq!(h[0].note.as_deref(), Some("契約書で確認"));
        assert!(h[1].reasoning.contains("判断できません"));
        let latest = gl2::latest(&mut c, &org).expect("latest");
        assert_eq!(
            latest
                .iter()
                .map(|a| (a.vendor_id, a.outcome.as_str()))
                .collect::<Vec<_>>(),
            vec![(v.id, "applies"), (w.id, "not_applicable")],
            "{b}"
        );

        // Tenant isolation: another facility's vendor is not found, nothing is saved.
        assert!(matches!(
            gl2::save(
                &mut c,
                &org,
                "u",
                x.id,
                &NewAssessment {
                    version: "v1",
                    answers: &first,
                    outcome: "applies",
                    reasoning: "",
                    note: None,
                },
            ),
            Err(StoreError::NotFound(_))
        ));
        assert!(gl2::history(&mut c, &org, x.id).expect("h").is_empty());
        assert!(gl2::latest(&mut c, &other).expect("l").is_empty());

        // Each save is in the ledger, with the answers and outcome.
        let entries = ledger::list(
            &mut c,
            org.id,
            &EntryQuery {
                kind_prefix: Some("vendor.gl2.".into()),
                ..EntryQuery::default()
            },
        )
        .expect("ledger");
        assert_eq!(entries.len(), 3, "{b}");
        let payload: serde_json::Value = serde_json::from_slice(&entries[0].payload).expect("json");
        assert_eq!(payload["outcome"], "not_applicable", "{b}");
        assert_eq!(payload["vendor"], "清掃社");
        assert_eq!(payload["answers"]["service"], "no_medical");
    }
}
