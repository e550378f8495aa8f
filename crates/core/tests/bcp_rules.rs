//! The cyber BCP rules (3-(3)) at their boundaries, and the 3-(2) / 3-(3) auto-evidence.

use anzen_catalog::Item;
use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
use anzen_core::rules::bcp::{
    BCP_INCOMPLETE, BCP_NONE, BCP_NOT_APPROVED, BCP_REVIEW_OVERDUE, BackupRecoveryVerified,
    BcpPlan, BcpStatus, BreakGlassAccount, CriticalFunction, CyberBcpEstablished, PARTS,
    bcp_findings,
};
use anzen_core::rules::incident::{BackupJob, BackupPolicy, RestoreDrill};
use jiff::civil::{Date, date};

const TODAY: Date = date(2026, 11, 22);

fn item(key: &str) -> Item {
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    cat.items()
        .find(|(_, i)| i.auto_evidence.as_deref() == Some(key))
        .map(|(_, i)| i.clone())
        .unwrap_or_else(|| panic!("an item with {key}"))
}

fn complete() -> BcpPlan {
    BcpPlan {
        critical_functions: vec![CriticalFunction {
            name: "外来診療".into(),
            priority: 1,
            target: "当日中".into(),
        }],
        degraded_operation: String::new(),
        paper_procedures: "紙カルテで診療".into(),
        break_glass: vec![BreakGlassAccount {
            system: "電子カルテ".into(),
            account: "emergency01".into(),
            kept: "金庫".into(),
        }],
        break_glass_review: "翌日に安全管理責任者がログを確認".into(),
        recovery_order: vec!["電子カルテ".into()],
        reconciliation: "紙の記録を後入力".into(),
        contacts_note: String::new(),
        initial_response: vec!["LAN を抜く".into()],
    }
}

fn approved(on: Date, next: Option<Date>) -> BcpStatus {
    BcpStatus {
        version: 1,
        plan: complete(),
        approved_on: Some(on),
        next_review: next,
    }
}

fn rules(s: Option<&BcpStatus>, today: Date) -> Vec<(String, String)> {
    bcp_findings(s, today)
        .into_iter()
        .map(|f| (f.rule, f.key))
        .collect()
}

#[test]
fn no_plan_draft_and_approved() {
    assert_eq!(
        rules(None, TODAY),
        vec![(BCP_NONE.into(), "bcp.none/bcp/-".into())]
    );
    let draft = BcpStatus {
        version: 2,
        plan: BcpPlan::default(),
        approved_on: None,
        next_review: None,
    };
    let found = bcp_findings(Some(&draft), TODAY);
    assert_eq!(found[0].rule, BCP_NOT_APPROVED);
    // Every part of an empty plan is one finding, each with its own key, all 3-(3).
    let parts: Vec<&str> = found
        .iter()
        .filter(|f| f.rule == BCP_INCOMPLETE)
        .map(|f| f.evidence["part"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(parts, PARTS.iter().map(|p| p.code).collect::<Vec<_>>());
    assert!(
        found
            .iter()
            .all(|f| f.checklist == vec!["3-(3)".to_owned()])
    );
    assert!(rules(Some(&approved(date(2026, 5, 1), None)), TODAY).is_empty());
}

#[test]
fn each_part_is_needed_and_either_degraded_text_counts() {
    let mut p = complete();
    p.paper_procedures.clear();
    assert_eq!(
        p.missing_parts().iter().map(|x| x.code).collect::<Vec<_>>(),
        vec!["degraded_operation"]
    );
    p.degraded_operation = "電子カルテ停止中も検査機器は単独で動かす".into();
    assert!(p.missing_parts().is_empty());
    // A break-glass account without a review of its use is not enough.
    p.break_glass_review = " ".into();
    assert_eq!(
        p.missing_parts().iter().map(|x| x.code).collect::<Vec<_>>(),
        vec!["break_glass"]
    );
}

#[test]
fn review_is_due_on_the_given_date_or_a_year_after_approval() {
    let with_date = approved(date(2025, 11, 1), Some(TODAY));
    assert!(
        rules(Some(&with_date), TODAY).is_empty(),
        "due today is not overdue"
    );
    let day_after = TODAY.tomorrow().expect("date");
    assert_eq!(
        rules(Some(&with_date), day_after)[0].0,
        BCP_REVIEW_OVERDUE.to_owned()
    );
    // Without a date: 365 days after approval.
    let without = approved(date(2025, 11, 22), None);
    assert!(rules(Some(&without), TODAY).is_empty(), "365 days");
    assert_eq!(rules(Some(&without), day_after)[0].0, BCP_REVIEW_OVERDUE);
}

#[test]
fn bcp_evidence_is_yes_only_for_an_approved_complete_current_plan() {
    let it = item("cyber_bcp_established");
    let f = Facts::default();
    let eval = |status: Option<BcpStatus>| {
        CyberBcpEstablished {
            status,
            today: TODAY,
        }
        .evaluate(&it, &f)
    };
    let yes = eval(Some(approved(date(2026, 5, 1), None)));
    assert_eq!(yes.suggestion, Suggestion::Yes, "{:?}", yes.reasons_ja);
    assert_eq!(eval(None).suggestion, Suggestion::No);
    let mut draft = approved(date(2026, 5, 1), None);
    draft.approved_on = None;
    let no = eval(Some(draft));
    assert_eq!(no.suggestion, Suggestion::No);
    assert!(
        no.reasons_ja
            .iter()
            .any(|r| r.contains("承認されていません"))
    );
    let old = eval(Some(approved(date(2024, 4, 1), None)));
    assert_eq!(old.suggestion, Suggestion::No);
    assert!(old.reasons_ja.iter().any(|r| r.contains("見直し予定日")));
}

fn job(method: &str, offline: bool) -> BackupJob {
    BackupJob {
        system: "電子カルテ".into(),
        method: method.into(),
        generations: 7,
        offline_or_immutable: offline,
        frequency_days: 1,
        last_success: Some(date(2026, 11, 21)),
    }
}

#[test]
fn backup_evidence_needs_clean_backups_and_a_procedure() {
    let it = item("backup_recovery_verified");
    let f = Facts::default();
    let ok = BackupRecoveryVerified {
        systems: vec!["電子カルテ".into()],
        jobs: vec![job("NAS", false), job("LTOテープ", true)],
        drills: vec![RestoreDrill {
            system: "電子カルテ".into(),
            date: date(2026, 6, 1),
            ok: true,
            minutes: Some(90),
        }],
        with_procedure: vec!["電子カルテ".into()],
        policy: BackupPolicy::default(),
        today: TODAY,
    };
    let yes = ok.evaluate(&it, &f);
    assert_eq!(yes.suggestion, Suggestion::Yes, "{:?}", yes.reasons_ja);

    let mut no_proc = ok.clone();
    no_proc.with_procedure.clear();
    let r = no_proc.evaluate(&it, &f);
    assert_eq!(r.suggestion, Suggestion::No);
    assert!(
        r.reasons_ja
            .iter()
            .any(|x| x.contains("復旧手順がありません: 電子カルテ"))
    );

    let mut online_only = ok.clone();
    online_only.jobs = vec![job("NAS", false), job("クラウド", false)];
    let r = online_only.evaluate(&it, &f);
    assert_eq!(r.suggestion, Suggestion::No);
    assert!(
        r.reasons_ja
            .iter()
            .any(|x| x.contains("バックアップの指摘が1件")),
        "{r:?}"
    );

    let mut nothing = ok;
    nothing.jobs.clear();
    assert_eq!(nothing.evaluate(&it, &f).suggestion, Suggestion::No);
}
