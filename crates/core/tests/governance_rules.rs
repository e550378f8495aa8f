//! The governance rules (運用管理規程, 研修, PDCA calendar) at their boundaries, the
//! calendar itself, and the 1-(2) auto-evidence.

use anzen_catalog::Item;
use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
use anzen_core::calendar::FiscalYear;
use anzen_core::finding::Severity;
use anzen_core::rules::accounts::Staff;
use anzen_core::rules::governance::{
    ApprovedPolicy, CalendarInputs, CalendarOptions, GovernanceInputs, OperationsRulesEstablished,
    Options, PDCA_OVERDUE, POLICY_NONE, POLICY_REVIEW_OVERDUE, PolicyState, TRAINING_MISSING,
    TRAINING_NONE, TaskKind, TaskStatus, TrainingSession, calendar, calendar_findings, findings,
    missing_attendance, policy_findings, reminders, training_findings,
};
use jiff::civil::{Date, date};

const TODAY: Date = date(2025, 11, 22);

fn item(key: &str) -> Item {
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    cat.items()
        .find(|(_, i)| i.auto_evidence.as_deref() == Some(key))
        .map(|(_, i)| i.clone())
        .unwrap_or_else(|| panic!("an item with {key}"))
}

fn approved(on: Date, review: Option<Date>) -> PolicyState {
    PolicyState {
        approved: Some(ApprovedPolicy {
            version: 1,
            approved_on: on,
            last_review: review,
        }),
        draft_version: None,
    }
}

fn staff(id: &str, name: &str, retired: Option<Date>) -> Staff {
    Staff {
        staff_id: id.into(),
        name: name.into(),
        job: "看護師".into(),
        department: None,
        hired: Some(date(2020, 4, 1)),
        retired,
    }
}

fn session(d: Date, ids: &[&str]) -> TrainingSession {
    TrainingSession {
        title: "情報セキュリティ研修".into(),
        date: d,
        attendee_staff_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn no_approved_policy_fires_and_names_the_draft() {
    let none = policy_findings(&PolicyState::default(), TODAY);
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].rule, POLICY_NONE);
    assert_eq!(none[0].severity, Severity::High);
    assert_eq!(none[0].checklist, vec!["1-(2)".to_owned()]);
    let draft = policy_findings(
        &PolicyState {
            approved: None,
            draft_version: Some(2),
        },
        TODAY,
    );
    assert!(draft[0].message.contains("第2版の下書き"));
    // Approved within 12 months: nothing.
    assert!(policy_findings(&approved(date(2025, 4, 1), None), TODAY).is_empty());
}

#[test]
fn the_yearly_review_falls_due_12_months_after_the_last_check() {
    let last_year = approved(date(2024, 11, 22), None);
    assert!(
        policy_findings(&last_year, TODAY).is_empty(),
        "exactly 12 months"
    );
    let f = policy_findings(&last_year, date(2025, 11, 23));
    assert_eq!(f[0].rule, POLICY_REVIEW_OVERDUE);
    assert!(f[0].title.contains("令和7年11月22日"), "{}", f[0].title);
    // A review record resets the clock.
    let reviewed = approved(date(2024, 1, 10), Some(date(2025, 1, 10)));
    assert!(policy_findings(&reviewed, TODAY).is_empty());
    assert_eq!(
        policy_findings(&reviewed, date(2026, 1, 11))[0].rule,
        POLICY_REVIEW_OVERDUE
    );
}

#[test]
fn no_training_in_the_fiscal_year_fires_low_then_medium_after_the_month() {
    let roster = vec![staff("001", "山田", None)];
    // Last year's session does not count.
    let old = vec![session(date(2025, 3, 10), &["001"])];
    let opts = Options::default();
    let early = training_findings(&roster, &old, &opts, date(2025, 6, 1));
    assert_eq!(early[0].rule, TRAINING_NONE);
    assert_eq!(early[0].severity, Severity::Low);
    assert!(early[0].title.contains("令和7年度"));
    let late = training_findings(&roster, &old, &opts, date(2025, 12, 1));
    assert_eq!(late[0].severity, Severity::Medium, "after 11月");
    let large = Options {
        beds: Some(400),
        ..Options::default()
    };
    let f = training_findings(&roster, &old, &large, date(2025, 6, 1));
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(f[0].message.contains("400床以上"));
}

#[test]
fn staff_without_attendance_are_one_finding_listing_them() {
    let roster = vec![
        staff("001", "山田", None),
        staff("002", "佐藤", None),
        staff("003", "鈴木", None),
        // Retired before today: not required.
        staff("004", "高橋", Some(date(2025, 9, 30))),
    ];
    let sessions = vec![
        session(date(2025, 6, 10), &["001"]),
        session(date(2025, 10, 1), &["002", "999"]),
    ];
    let fy = FiscalYear(2025);
    let missing: Vec<&str> = missing_attendance(&roster, &sessions, fy, TODAY)
        .iter()
        .map(|s| s.staff_id.as_str())
        .collect();
    assert_eq!(missing, vec!["003"]);
    let f = training_findings(&roster, &sessions, &Options::default(), TODAY);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, TRAINING_MISSING);
    assert!(f[0].title.contains("1名"), "{}", f[0].title);
    assert!(f[0].title.contains("在籍3名中"), "{}", f[0].title);
    assert!(f[0].message.contains("鈴木（003）"));
    assert!(!f[0].message.contains("高橋"));
    assert_eq!(f[0].key, "governance.training_missing/governance/2025");
    // Everyone attended: nothing.
    let all = vec![session(date(2025, 6, 10), &["001", "002", "003"])];
    assert!(training_findings(&roster, &all, &Options::default(), TODAY).is_empty());
}

fn full_inputs() -> CalendarInputs {
    CalendarInputs {
        checklist_completed: Some(date(2025, 6, 20)),
        account_review_months: vec![
            (2025, 4),
            (2025, 5),
            (2025, 6),
            (2025, 7),
            (2025, 8),
            (2025, 9),
            (2025, 10),
        ],
        has_systems: true,
        access_log_audit_months: vec![],
        access_log_audit_tracked: false,
        restore_drills: vec![date(2025, 9, 1)],
        bcp_approved: Some(date(2025, 5, 1)),
        bcp_next_review: Some(date(2026, 5, 1)),
        policy: Some(ApprovedPolicy {
            version: 1,
            approved_on: date(2025, 4, 15),
            last_review: None,
        }),
        training: vec![date(2025, 11, 1)],
        vendor_documents: vec![("A社".into(), Some(date(2025, 5, 10)))],
    }
}

#[test]
fn the_calendar_runs_april_to_march_with_status() {
    let tasks = calendar(
        FiscalYear(2025),
        &full_inputs(),
        &CalendarOptions::default(),
        TODAY,
    );
    assert_eq!(tasks.first().map(|t| t.month), Some(4), "April first");
    assert_eq!(tasks.last().map(|t| t.month), Some(3), "March last");
    let of = |k: TaskKind| -> Vec<_> { tasks.iter().filter(|t| t.kind == k).collect() };
    assert_eq!(of(TaskKind::AccountReview).len(), 12);
    assert_eq!(of(TaskKind::AccessLogAudit).len(), 12);
    assert_eq!(of(TaskKind::Checklist)[0].status, TaskStatus::Done);
    assert_eq!(of(TaskKind::Training)[0].status, TaskStatus::Done);
    assert_eq!(of(TaskKind::RestoreDrill)[0].status, TaskStatus::Done);
    // Policy approved in this 年度: done; BCP approved in May: done.
    assert_eq!(of(TaskKind::PolicyReview)[0].status, TaskStatus::Done);
    assert_eq!(of(TaskKind::BcpReview)[0].status, TaskStatus::Done);
    let nov = of(TaskKind::AccountReview)
        .into_iter()
        .find(|t| t.month == 11)
        .expect("november");
    assert_eq!(nov.status, TaskStatus::Planned);
    assert_eq!(nov.due, date(2025, 11, 30));
    // Access-log audits are not tracked yet: never overdue.
    assert!(
        of(TaskKind::AccessLogAudit)
            .iter()
            .all(|t| t.status == TaskStatus::Planned)
    );
    assert!(calendar_findings(FiscalYear(2025), &tasks).is_empty());
    assert_eq!(
        TaskKind::Training.link(),
        "/governance/training",
        "link target"
    );
}

#[test]
fn overdue_tasks_become_one_finding_per_kind_and_reminders() {
    let mut i = full_inputs();
    i.account_review_months = vec![(2025, 4)];
    i.checklist_completed = None;
    i.training.clear();
    i.vendor_documents = vec![("A社".into(), Some(date(2024, 5, 10)))];
    let tasks = calendar(FiscalYear(2025), &i, &CalendarOptions::default(), TODAY);
    let f = calendar_findings(FiscalYear(2025), &tasks);
    let kinds: Vec<String> = f
        .iter()
        .map(|f| f.evidence["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        kinds,
        vec!["checklist", "account_review", "vendor_documents"],
        "training overdue has its own rule"
    );
    assert!(f.iter().all(|f| f.rule == PDCA_OVERDUE));
    assert!(f[1].title.contains("5月、6月、7月、8月、9月、10月"));
    assert!(f[2].message.contains("今年度未確認: A社"));
    // Reminders: overdue, and November's 棚卸 due within 30 days; not December's.
    let r = reminders(&tasks, TODAY, 30);
    assert!(r.iter().any(|t| t.kind == TaskKind::Checklist));
    assert!(
        r.iter()
            .any(|t| t.kind == TaskKind::AccountReview && t.month == 11)
    );
    assert!(
        !r.iter()
            .any(|t| t.kind == TaskKind::AccountReview && t.month == 12)
    );
    // Once logs are collected, a month's audit falls due at the end of the next month:
    // August signed is done, September (due 10-31) is overdue, October (due 11-30) is not.
    i.access_log_audit_tracked = true;
    i.access_log_audit_months = vec![(2025, 8)];
    let tasks = calendar(FiscalYear(2025), &i, &CalendarOptions::default(), TODAY);
    let audits: Vec<_> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::AccessLogAudit)
        .collect();
    assert_eq!(audits[4].month, 8);
    assert_eq!(audits[4].status, TaskStatus::Done);
    assert_eq!(audits[5].status, TaskStatus::Overdue, "September");
    assert_eq!(audits[5].due, date(2025, 10, 31));
    assert_eq!(audits[6].status, TaskStatus::Planned, "October");
    // March's audit falls due at the end of April of the next year.
    assert_eq!(audits[11].month, 3);
    assert_eq!(audits[11].due, date(2026, 4, 30));
}

#[test]
fn all_findings_together() {
    let i = GovernanceInputs {
        policy: PolicyState::default(),
        roster: vec![staff("001", "山田", None)],
        sessions: vec![],
        calendar: CalendarInputs::default(),
    };
    let f = findings(&i, &Options::default(), TODAY);
    let rules: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&POLICY_NONE));
    assert!(rules.contains(&TRAINING_NONE));
    assert!(rules.contains(&PDCA_OVERDUE), "{rules:?}");
}

#[test]
fn evidence_is_yes_for_a_current_policy_and_training_this_year() {
    let it = item("operations_rules_established");
    assert!(it.text.contains("運用管理規程"));
    let f = Facts::default();
    let eval = |policy: PolicyState, training: Vec<Date>| {
        OperationsRulesEstablished {
            policy,
            training,
            today: TODAY,
        }
        .evaluate(&it, &f)
    };
    let yes = eval(approved(date(2025, 4, 1), None), vec![date(2025, 10, 1)]);
    assert_eq!(yes.suggestion, Suggestion::Yes, "{:?}", yes.reasons_ja);
    assert_eq!(
        eval(PolicyState::default(), vec![date(2025, 10, 1)]).suggestion,
        Suggestion::No
    );
    let no_training = eval(approved(date(2025, 4, 1), None), vec![date(2025, 3, 1)]);
    assert_eq!(no_training.suggestion, Suggestion::No);
    assert!(
        no_training
            .reasons_ja
            .iter()
            .any(|r| r.contains("研修の記録がありません"))
    );
    let stale = eval(approved(date(2024, 4, 1), None), vec![date(2025, 10, 1)]);
    assert_eq!(stale.suggestion, Suggestion::No);
}
