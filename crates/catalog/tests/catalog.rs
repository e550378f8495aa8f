//! Catalog data and validation tests.

use std::collections::HashSet;

use anzen_catalog::evidence::KNOWN_KEYS;
use anzen_catalog::{Catalog, CatalogError, Edition, Form, Group, ItemId, ProblemKind, Target};

fn builtin() -> Catalog {
    match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => panic!("builtin catalog failed to load: {e}"),
    }
}

#[test]
fn every_builtin_edition_validates() {
    let c = builtin();
    let expected = [
        (2023, Form::Medical),
        (2023, Form::Vendor),
        (2024, Form::Medical),
        (2024, Form::Vendor),
        (2025, Form::Medical),
        (2025, Form::Vendor),
        (2025, Form::Pharmacy),
    ];
    assert_eq!(c.editions().len(), expected.len());
    for (fy, form) in expected {
        let e = c
            .edition(fy, form)
            .unwrap_or_else(|| panic!("missing edition {fy} {form}"));
        assert_eq!(e.validate(), Ok(()), "{}", e.label_ja());
        assert!(!e.items.is_empty());
        for item in &e.items {
            assert!(!item.text.trim().is_empty(), "{}", item.id);
            assert!(
                item.required_by_fy.is_some() || item.no_due_reason.is_some(),
                "{}",
                item.id
            );
            if let Some(k) = &item.auto_evidence {
                assert!(KNOWN_KEYS.contains(&k.as_str()), "{}: {k}", item.id);
            }
        }
    }
}

#[test]
fn item_ids_are_unique_across_the_catalog() {
    let c = builtin();
    let mut seen = HashSet::new();
    for (_, item) in c.items() {
        assert!(seen.insert(item.id.clone()), "duplicate {}", item.id);
    }
    assert!(seen.len() > 100);
}

/// Every item listed in seed 002 (令和5年度版 医療機関確認用: 【2023年度中】 and
/// 【2024年度中に整備が必要な項目】), by number, device kind and due year.
const SEED_ITEMS: &[(&str, Target, i32)] = &[
    ("1-(1)", Target::None, 2023),
    ("2-(1)", Target::None, 2023),
    ("2-(2)", Target::None, 2023),
    ("2-(3)", Target::None, 2023),
    ("2-(4)", Target::Server, 2023),
    ("2-(5)", Target::Server, 2023),
    ("2-(6)", Target::Server, 2023),
    ("2-(7)", Target::Network, 2023),
    ("2-(8)", Target::Network, 2023),
    ("3-(1)", Target::None, 2023),
    ("2-(7)", Target::Server, 2024),
    ("2-(9)", Target::Server, 2024),
    ("2-(4)", Target::Terminal, 2024),
    ("2-(5)", Target::Terminal, 2024),
    ("2-(7)", Target::Terminal, 2024),
    ("2-(9)", Target::Terminal, 2024),
    ("3-(2)", Target::None, 2024),
    ("3-(3)", Target::None, 2024),
];

#[test]
fn fy2024_medical_contains_every_seed_item() {
    let c = builtin();
    for fy in [2023, 2024] {
        let e = c.edition(fy, Form::Medical).expect("edition");
        assert_eq!(e.items.len(), SEED_ITEMS.len(), "{}", e.label_ja());
        for &(number, target, due) in SEED_ITEMS {
            let id = ItemId::build(fy, Form::Medical, number, target);
            let item = e.item(&id).unwrap_or_else(|| panic!("missing {id}"));
            assert_eq!(item.number, number);
            assert_eq!(item.target, target);
            assert_eq!(item.required_by_fy, Some(due), "{id}");
        }
    }
}

#[test]
fn fy2024_medical_wording_matches_the_seed() {
    let c = builtin();
    let e = c.edition(2024, Form::Medical).expect("edition");
    let text = |id: &str| {
        e.item(&ItemId::new(id))
            .unwrap_or_else(|| panic!("missing {id}"))
            .text
            .clone()
    };
    // Copied from seeds/002.
    assert_eq!(
        text("R6/medical/1-(1)"),
        "医療情報システム安全管理責任者を設置している。"
    );
    assert_eq!(
        text("R6/medical/2-(1)"),
        "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。"
    );
    assert_eq!(
        text("R6/medical/2-(5)/terminal"),
        "退職者や使用していないアカウント等、不要なアカウントを削除している。"
    );
    assert_eq!(
        text("R6/medical/2-(9)/server"),
        "バックグラウンドで動作している不要なソフトウェア及びサービスを停止している。"
    );
    assert_eq!(
        text("R6/medical/3-(1)"),
        "インシデント発生時における組織内と外部関係機関（事業者、厚生労働省、警察等）への連絡体制図がある。"
    );
    assert!(text("R6/medical/2-(3)").starts_with(
        "事業者から製造業者／サービス事業者による医療情報セキュリティ開示書（MDS/SDS）を提出してもらう。"
    ));
    // The FY2024 change (guideline-content §1.4) and the FY2023 wording.
    assert_eq!(
        text("R6/medical/3-(3)"),
        "サイバー攻撃を想定した事業継続計画（BCP）を策定している。"
    );
    let r5 = c.edition(2023, Form::Medical).expect("edition");
    let bcp = r5.item(&ItemId::new("R5/medical/3-(3)")).expect("3-(3)");
    assert_eq!(
        bcp.text,
        "サイバー攻撃を想定した事業継続計画（BCP）を策定、又は令和6年度中に策定予定である。"
    );
    assert!(bcp.wording_verified);

    // The gate question and the 事業者と契約していない場合は不要 notes.
    assert_eq!(e.gate_questions.len(), 1);
    assert_eq!(
        e.gate_questions[0].text,
        "医療情報システムを導入、運用している。"
    );
    for id in ["R6/medical/2-(2)", "R6/medical/2-(3)"] {
        let item = e.item(&ItemId::new(id)).expect("item");
        assert!(
            item.applicability
                .iter()
                .any(|a| a == "事業者と契約していない場合は不要"),
            "{id}"
        );
    }
}

#[test]
fn groups_and_subgroups_follow_the_form() {
    let c = builtin();
    let e = c.edition(2024, Form::Medical).expect("edition");
    let by = |id: &str| e.item(&ItemId::new(id)).expect("item").clone();
    assert_eq!(by("R6/medical/1-(1)").group, Group::Governance);
    assert_eq!(by("R6/medical/3-(2)").group, Group::Incident);
    let i = by("R6/medical/2-(8)/network");
    assert_eq!(i.group, Group::Operations);
    assert_eq!(i.subgroup.map(|s| s.label_ja()), Some("ネットワーク機器"));
}

#[test]
fn unverified_items_say_why() {
    let c = builtin();
    // The seed transcribes the FY2023 form; FY2023 medical wording is verified.
    let r5 = c.edition(2023, Form::Medical).expect("edition");
    assert_eq!(r5.wording_unverified_count(), 0);
    // Pharmacy items come from no source at all.
    let ph = c.edition(2025, Form::Pharmacy).expect("edition");
    assert_eq!(ph.wording_unverified_count(), ph.items.len());
    // Wording verified, listed references taken from another edition's manual.
    let remote = r5.item(&ItemId::new("R5/medical/2-(2)")).expect("2-(2)");
    assert_eq!(remote.unverified_parts_ja(), vec!["参照"]);
    let officer = r5.item(&ItemId::new("R5/medical/1-(1)")).expect("1-(1)");
    assert!(!officer.needs_review());
    for (_, item) in c.items() {
        if item.has_unverified_flag() {
            assert!(!item.review_notes.is_empty(), "{}", item.id);
        }
    }
}

#[test]
fn edition_round_trips_through_toml() {
    let c = builtin();
    for e in c.editions() {
        let text = e.to_toml_string().expect("serialize");
        let back = Edition::from_toml_str(&e.origin, &text).expect("parse back");
        assert_eq!(&back, e);
    }
}

#[test]
fn edition_in_force_falls_back_to_latest() {
    let c = builtin();
    assert_eq!(
        c.edition_in_force(2026, Form::Medical)
            .map(|e| e.fiscal_year),
        Some(2025)
    );
    assert!(c.edition_in_force(2024, Form::Pharmacy).is_none());
}

const BROKEN: &str = r#"
[edition]
fiscal_year = 2026
form = "medical"
title = "医療機関におけるサイバーセキュリティ対策チェックリスト"
title_verified = false

[[items]]
id = "R8/medical/1-(1)"
number = "1-(1)"
topic = "security_officer"
group = "governance"
target = "none"
text = ""
required_by_fy = 2026
wording_verified = false
number_verified = true
due_verified = true
references_verified = true
source = "test"

[[items]]
id = "R8/medical/1-(1)"
number = "2-(x)"
topic = "asset_ledger"
group = "operations"
subgroup = "server"
target = "network"
text = "サーバ、端末PC、ネットワーク機器の台帳管理を行っている。"
wording_verified = true
number_verified = true
due_verified = true
references_verified = true
source = "test"

[[items]]
id = "R8/medical/3-(1)"
number = "3-(1)"
topic = "contact_chart"
group = "incidents"
target = "none"
text = "…"
required_by_fy = 2026
source = "test"
"#;

#[test]
fn broken_edition_yields_clear_problems() {
    let err = Edition::from_toml_str("broken.toml", BROKEN).expect_err("must fail");
    let kinds: Vec<&ProblemKind> = err.problems().iter().map(|p| &p.kind).collect();
    let has = |pred: &dyn Fn(&ProblemKind) -> bool| kinds.iter().any(|k| pred(k));
    assert!(
        has(&|k| matches!(k, ProblemKind::EmptyWording)),
        "{kinds:?}"
    );
    assert!(has(&|k| matches!(k, ProblemKind::UnverifiedWithoutNote)));
    assert!(has(
        &|k| matches!(k, ProblemKind::DuplicateId(id) if id == "R8/medical/1-(1)")
    ));
    assert!(has(
        &|k| matches!(k, ProblemKind::BadNumber(n) if n == "2-(x)")
    ));
    assert!(has(&|k| matches!(k, ProblemKind::TargetMismatch { .. })));
    assert!(has(&|k| matches!(k, ProblemKind::IdMismatch { .. })));
    assert!(has(&|k| matches!(k, ProblemKind::MissingDue)));
    assert!(has(
        &|k| matches!(k, ProblemKind::UnknownGroup(g) if g == "incidents")
    ));
    assert!(has(&|k| matches!(
        k,
        ProblemKind::MissingField("wording_verified")
    )));
    let msg = err.to_string();
    assert!(msg.starts_with("broken.toml: "), "{msg}");
    assert!(msg.contains("文言が空です"), "{msg}");
    assert!(
        msg.contains("R8/medical/3-(1): 区分 `incidents` は不明です"),
        "{msg}"
    );
}

#[test]
fn unreadable_toml_is_a_parse_error_with_position() {
    let err = Catalog::from_toml_str("bad.toml", "[edition\nfiscal_year = 2026").expect_err("fail");
    match err {
        CatalogError::Parse { origin, message } => {
            assert_eq!(origin, "bad.toml");
            assert!(message.contains("line"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    let err =
        Catalog::from_toml_str("typo.toml", "[edition]\nfiscal_yaer = 2026\n").expect_err("fail");
    assert!(matches!(err, CatalogError::Parse { .. }), "{err}");
}

#[test]
fn duplicate_edition_and_ids_are_rejected() {
    let mut c = builtin();
    let again = c.edition(2024, Form::Medical).expect("edition").clone();
    assert!(matches!(
        c.add_edition(again),
        Err(CatalogError::DuplicateEdition {
            fiscal_year: 2024,
            form: Form::Medical,
            ..
        })
    ));
}

#[test]
fn imported_edition_uses_the_same_validation() {
    // A minimal valid 令和8年度 edition, as an importer would write it.
    let toml = r#"
[edition]
fiscal_year = 2026
form = "medical"
title = "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト"
title_verified = false

[[items]]
id = "R8/medical/1-①"
number = "1-①"
topic = "security_officer"
group = "governance"
target = "none"
text = "医療情報システム安全管理責任者を設置している。"
required_by_fy = 2023
auto_evidence = "officer_designated"
wording_verified = false
number_verified = false
due_verified = false
references_verified = false
review_notes = ["取り込んだ xlsx から。未照合。"]
source = "import: test.xlsx"
"#;
    let mut c = builtin();
    let e = Edition::from_toml_str("import", toml).expect("valid");
    c.add_edition(e).expect("added");
    assert!(c.edition(2026, Form::Medical).is_some());
    assert_eq!(
        c.edition_in_force(2027, Form::Medical)
            .map(|e| e.fiscal_year),
        Some(2026)
    );
}
