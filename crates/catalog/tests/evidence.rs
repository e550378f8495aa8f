//! The auto-evidence interface and the 1-(1) rule.

use anzen_catalog::evidence::{
    ASSET_LEDGER_COMPLETE, AutoAnswer, EvidenceRegistry, EvidenceRule, Facts, NOT_YET_PROVIDED_JA,
    OrgFacts, Suggestion,
};
use anzen_catalog::{Catalog, Form, Item, ItemId};

fn item(id: &str) -> Item {
    let c = Catalog::builtin().expect("builtin");
    c.item(&ItemId::new(id)).expect("item").1.clone()
}

fn facts(name: Option<&str>) -> Facts {
    Facts {
        org: OrgFacts {
            security_officer_name: name.map(str::to_string),
        },
        fiscal_year: Some(2025),
    }
}

#[test]
fn officer_designated_yes_with_name() {
    let reg = EvidenceRegistry::with_builtin_rules();
    for id in [
        "R5/medical/1-(1)",
        "R6/medical/1-(1)",
        "R7/medical/1-①",
        "R7/pharmacy/1-①",
    ] {
        let a = reg
            .evaluate(&item(id), &facts(Some("  山田 太郎 ")))
            .expect("1-(1) declares auto-evidence");
        assert_eq!(a.suggestion, Suggestion::Yes, "{id}");
        assert_eq!(
            a.reasons_ja,
            vec!["組織設定で医療情報システム安全管理責任者に「山田 太郎」が登録されています。"]
        );
    }
}

#[test]
fn officer_missing_or_blank_suggests_no() {
    let reg = EvidenceRegistry::with_builtin_rules();
    for f in [facts(None), facts(Some("   ")), Facts::default()] {
        let a = reg.evaluate(&item("R6/medical/1-(1)"), &f).expect("answer");
        assert_eq!(a.suggestion, Suggestion::No);
        assert!(a.reasons_ja[0].contains("登録されていません"));
    }
}

#[test]
fn other_keys_are_unknown_until_a_module_provides_them() {
    let reg = EvidenceRegistry::with_builtin_rules();
    for id in [
        "R6/medical/2-(1)",
        "R6/medical/2-(5)/server",
        "R6/medical/2-(6)/server",
        "R6/medical/3-(1)",
    ] {
        let a = reg
            .evaluate(&item(id), &facts(Some("x")))
            .expect("declared");
        assert_eq!(a.suggestion, Suggestion::Unknown, "{id}");
        assert_eq!(a.reasons_ja, vec![NOT_YET_PROVIDED_JA]);
    }
    // Items without auto-evidence are answered by hand only.
    assert!(
        reg.evaluate(&item("R6/medical/2-(4)/server"), &facts(None))
            .is_none()
    );
}

/// A later module plugs in without touching catalog code.
struct LedgerRule {
    devices: usize,
}

impl EvidenceRule for LedgerRule {
    fn key(&self) -> &str {
        ASSET_LEDGER_COMPLETE
    }
    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        if self.devices > 0 {
            AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: vec![format!("台帳に{}台が登録されています。", self.devices)],
            }
        } else {
            AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec!["台帳が空です。".into()],
            }
        }
    }
}

#[test]
fn external_rules_plug_in_by_key() {
    let mut reg = EvidenceRegistry::with_builtin_rules();
    reg.register(LedgerRule { devices: 3 });
    assert!(reg.has_rule(ASSET_LEDGER_COMPLETE));
    let c = Catalog::builtin().expect("builtin");
    let e = c.edition(2025, Form::Medical).expect("edition");
    let ledger = e
        .items
        .iter()
        .find(|i| i.topic == "asset_ledger")
        .expect("ledger item");
    let a = reg.evaluate(ledger, &Facts::default()).expect("answer");
    assert_eq!(a.suggestion, Suggestion::Yes);
    assert_eq!(a.reasons_ja, vec!["台帳に3台が登録されています。"]);
}
