//! The incident rules: the 連絡体制図 (3-(1)) findings and evidence, the 漏えい等報告 and
//! contact deadlines after a discovery, and the backup / restore-drill findings (3-(2)),
//! each at its boundary.

use anzen_catalog::Item;
use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
use anzen_core::finding::{NewFinding, Severity};
use anzen_core::rules::incident::{
    BACKUP_DRILL_FAILED, BACKUP_GENERATIONS, BACKUP_NO_DRILL, BACKUP_NO_OFFLINE, BACKUP_NONE,
    BACKUP_SINGLE_METHOD, BACKUP_STALE, BackupJob, BackupPolicy, CONTACT_MISSING,
    CONTACT_UNREACHABLE, CONTACT_VENDOR_MISSING, Contact, ContactChartComplete, ContactRole,
    IncidentKind, Obligation, ReportBody, ReportKind, RestoreDrill, backup_findings,
    contact_chart_findings, jst_date, ppc_assessment, report_deadlines,
};
use jiff::Timestamp;
use jiff::civil::{Date, date};

fn contact(role: ContactRole) -> Contact {
    Contact {
        name: format!("{} 担当", role.label_ja()),
        role,
        organisation: None,
        phone: Some("03-0000-0000".into()),
        email: None,
        hours: Some("平日9時〜17時".into()),
        escalation_order: None,
    }
}

fn full_chart() -> Vec<Contact> {
    let mut v: Vec<Contact> = ContactRole::REQUIRED.into_iter().map(contact).collect();
    v.push(contact(ContactRole::Vendor("〇〇 メディカル".into())));
    v
}

fn rules_of(found: &[NewFinding]) -> Vec<(&str, &str)> {
    found
        .iter()
        .map(|f| (f.rule.as_str(), f.key.as_str()))
        .collect()
}

fn assert_unique(found: &[NewFinding]) {
    let mut keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicate keys: {found:#?}");
}

fn chart_item() -> Item {
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    cat.items()
        .find(|(_, i)| i.auto_evidence.as_deref() == Some("contact_chart_complete"))
        .map(|(_, i)| i.clone())
        .expect("an item with contact_chart_complete")
}

// --- 連絡体制図 -------------------------------------------------------------------------

#[test]
fn a_full_chart_has_no_findings() {
    let found = contact_chart_findings(&full_chart(), &["〇〇メディカル".into()]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn each_missing_required_role_is_one_finding() {
    for role in ContactRole::REQUIRED {
        let chart: Vec<Contact> = full_chart()
            .into_iter()
            .filter(|c| c.role != role)
            .collect();
        let found = contact_chart_findings(&chart, &[]);
        assert_eq!(found.len(), 1, "{role:?}: {found:#?}");
        let f = &found[0];
        assert_eq!(f.rule, CONTACT_MISSING);
        assert_eq!(
            f.key,
            format!("contact.missing/contact_chart/{}", role.code())
        );
        assert_eq!(f.checklist, vec!["3-(1)".to_owned()]);
        assert!(f.title.contains(&role.label_ja()));
        let sev = if role.is_internal() {
            Severity::High
        } else {
            Severity::Medium
        };
        assert_eq!(f.severity, sev);
    }
}

#[test]
fn vendors_need_their_own_contact() {
    // No vendor contact and no vendor list: ア 外部委託業者 is missing.
    let chart: Vec<Contact> = ContactRole::REQUIRED.into_iter().map(contact).collect();
    let found = contact_chart_findings(&chart, &[]);
    assert_eq!(
        rules_of(&found),
        vec![(CONTACT_MISSING, "contact.missing/contact_chart/vendor")]
    );
    // A listed vendor without a contact; names match ignoring whitespace (incl. 全角空白).
    let vendors = vec![
        "〇〇　メディカル".to_owned(),
        "△△システム".to_owned(),
        "△△システム ".to_owned(),
    ];
    let found = contact_chart_findings(&full_chart(), &vendors);
    assert_eq!(
        rules_of(&found),
        vec![(
            CONTACT_VENDOR_MISSING,
            "contact.vendor_missing/vendor:△△システム/-"
        )]
    );
    // A vendor list but no vendor contact: one finding per vendor, no generic one.
    let found = contact_chart_findings(&chart, &["△△システム".into()]);
    assert_eq!(
        rules_of(&found),
        vec![(
            CONTACT_VENDOR_MISSING,
            "contact.vendor_missing/vendor:△△システム/-"
        )]
    );
}

#[test]
fn a_contact_needs_a_phone_or_an_email() {
    let mut chart = full_chart();
    chart[3].phone = Some("  ".into());
    chart[3].email = None;
    let found = contact_chart_findings(&chart, &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].rule, CONTACT_UNREACHABLE);
    assert!(
        found[0]
            .key
            .starts_with("contact.unreachable/contact:mhlw/")
    );
    // An e-mail alone is enough.
    chart[3].email = Some("cyber@example.go.jp".into());
    assert!(contact_chart_findings(&chart, &[]).is_empty());
}

#[test]
fn chart_evidence_is_yes_only_when_complete() {
    let item = chart_item();
    let facts = Facts::default();
    let yes = ContactChartComplete {
        contacts: full_chart(),
        vendors: vec!["〇〇メディカル".into()],
    }
    .evaluate(&item, &facts);
    assert_eq!(yes.suggestion, Suggestion::Yes, "{:?}", yes.reasons_ja);
    assert!(yes.reasons_ja[0].contains("個人情報保護委員会"));

    let empty = ContactChartComplete::default().evaluate(&item, &facts);
    assert_eq!(empty.suggestion, Suggestion::No);

    let chart: Vec<Contact> = full_chart()
        .into_iter()
        .filter(|c| c.role != ContactRole::Police)
        .collect();
    let no = ContactChartComplete {
        contacts: chart,
        vendors: vec!["△△システム".into()],
    }
    .evaluate(&item, &facts);
    assert_eq!(no.suggestion, Suggestion::No);
    let missing = no
        .reasons_ja
        .iter()
        .find(|r| r.starts_with("連絡先がありません"))
        .expect("a missing reason");
    assert!(
        missing.contains("都道府県警のサイバー犯罪窓口"),
        "{missing}"
    );
    assert!(missing.contains("外部委託業者（△△システム）"), "{missing}");
}

// --- 報告期限 ---------------------------------------------------------------------------

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn medical_leak() -> IncidentKind {
    IncidentKind {
        personal_data_leak: true,
        sensitive_data: true,
        ..IncidentKind::default()
    }
}

#[test]
fn friday_evening_discovery_counts_calendar_days_from_the_jst_date() {
    // 2026-11-20 (金) 19:30 JST.
    let at = ts("2026-11-20T19:30:00+09:00");
    assert_eq!(jst_date(at), date(2026, 11, 20));
    let d = report_deadlines(at, &medical_leak());
    let kinds: Vec<(ReportBody, ReportKind)> = d.iter().map(|x| (x.body, x.what)).collect();
    assert_eq!(
        kinds,
        vec![
            (ReportBody::Ppc, ReportKind::Preliminary),
            (ReportBody::Ppc, ReportKind::Final),
            (ReportBody::DataSubjects, ReportKind::Notice),
        ]
    );
    // 速報: おおむね3~5日 — Monday 23rd (a holiday; not moved), at the latest Wednesday 25th.
    assert_eq!(d[0].due, Some(date(2026, 11, 23)));
    assert_eq!(d[0].due_latest, Some(date(2026, 11, 25)));
    assert_eq!(d[0].obligation, Obligation::Required);
    assert!(d[0].basis.contains("おおむね3~5日以内"));
    assert!(d[0].basis.contains("令和8年11月20日"));
    assert!(d[0].basis.contains("要確認"));
    assert!(d[0].source.contains("施行規則第7条"));
    // 確報: 30日.
    assert_eq!(d[1].due, Some(date(2026, 12, 20)));
    assert!(d[1].basis.contains("30日以内"));
    // 本人への通知: no period in the source.
    assert_eq!(d[2].due, None);
    assert!(d[2].basis.contains("要確認"));
}

#[test]
fn the_jst_date_decides_the_discovery_day() {
    // Friday 15:30 UTC is Saturday 00:30 in Japan.
    let at = ts("2026-11-20T15:30:00Z");
    assert_eq!(jst_date(at), date(2026, 11, 21));
    assert_eq!(
        report_deadlines(at, &medical_leak())[0].due,
        Some(date(2026, 11, 24))
    );
    // One minute earlier it is still Friday.
    assert_eq!(jst_date(ts("2026-11-20T14:59:00Z")), date(2026, 11, 20));
}

#[test]
fn malicious_leak_gets_sixty_days_and_the_attack_contacts() {
    let kind = IncidentKind {
        malicious: true,
        cyber_attack: true,
        ..medical_leak()
    };
    let d = report_deadlines(ts("2026-11-20T19:30:00+09:00"), &kind);
    let fin = d
        .iter()
        .find(|x| x.what == ReportKind::Final)
        .expect("確報");
    assert_eq!(fin.due, Some(date(2027, 1, 19)));
    assert!(fin.basis.contains("60日以内"));
    let mhlw = d
        .iter()
        .find(|x| x.body == ReportBody::Mhlw)
        .expect("厚生労働省");
    assert_eq!(mhlw.obligation, Obligation::Required);
    assert_eq!(mhlw.due, None);
    assert!(mhlw.source.contains("付表"));
    assert!(d.iter().any(|x| x.body == ReportBody::Police));
    assert!(
        d.iter()
            .any(|x| x.body == ReportBody::Ipa && x.what == ReportKind::AfterTheFact)
    );
}

#[test]
fn an_attack_without_a_leak_has_only_the_attack_contacts() {
    let kind = IncidentKind {
        cyber_attack: true,
        ..IncidentKind::default()
    };
    let d = report_deadlines(ts("2026-11-20T19:30:00+09:00"), &kind);
    assert!(d.iter().all(|x| x.body != ReportBody::Ppc));
    assert_eq!(d.len(), 3);
    assert!(report_deadlines(ts("2026-11-20T19:30:00+09:00"), &IncidentKind::default()).is_empty());
}

#[test]
fn the_number_of_people_matters_only_without_other_grounds() {
    let leak = |n: Option<u32>, public_sector: bool| IncidentKind {
        personal_data_leak: true,
        people_affected: n,
        public_sector,
        ..IncidentKind::default()
    };
    assert_eq!(ppc_assessment(&leak(Some(1000), false)).obligation, None);
    assert_eq!(
        ppc_assessment(&leak(Some(1001), false)).obligation,
        Some(Obligation::Required)
    );
    assert_eq!(ppc_assessment(&leak(Some(100), true)).obligation, None);
    assert_eq!(
        ppc_assessment(&leak(Some(101), true)).obligation,
        Some(Obligation::Required)
    );
    assert_eq!(
        ppc_assessment(&leak(None, false)).obligation,
        Some(Obligation::ToConfirm)
    );
    // 要配慮個人情報: one person is enough.
    let one = IncidentKind {
        sensitive_data: true,
        ..leak(Some(1), false)
    };
    assert_eq!(ppc_assessment(&one).obligation, Some(Obligation::Required));
    // 財産的被害のおそれ.
    let card = IncidentKind {
        financial_harm_risk: true,
        ..leak(Some(1), false)
    };
    assert_eq!(ppc_assessment(&card).obligation, Some(Obligation::Required));
    // 高度な暗号化: the exemption is left to confirm.
    let enc = IncidentKind {
        encrypted: true,
        ..one
    };
    let a = ppc_assessment(&enc);
    assert_eq!(a.obligation, Some(Obligation::ToConfirm));
    assert!(a.reasons_ja.iter().any(|r| r.contains("高度な暗号化")));
    let d = report_deadlines(ts("2026-11-20T19:30:00+09:00"), &enc);
    assert!(
        d.iter()
            .filter(|x| x.body == ReportBody::Ppc)
            .all(|x| x.obligation == Obligation::ToConfirm)
    );
}

// --- バックアップ -----------------------------------------------------------------------

const TODAY: Date = date(2026, 11, 22);

fn days_ago(n: i64) -> Date {
    TODAY.saturating_sub(jiff::Span::new().days(n))
}

fn job(method: &str, offline: bool, freq: u32, last: Option<Date>) -> BackupJob {
    BackupJob {
        system: "電子カルテ".into(),
        method: method.into(),
        generations: 3,
        offline_or_immutable: offline,
        frequency_days: freq,
        last_success: last,
    }
}

fn good_jobs() -> Vec<BackupJob> {
    vec![
        job("NAS", false, 1, Some(days_ago(7))),
        job("テープ", true, 30, Some(days_ago(30))),
    ]
}

fn drill(ago: i64, ok: bool) -> RestoreDrill {
    RestoreDrill {
        system: "電子カルテ".into(),
        date: days_ago(ago),
        ok,
        minutes: Some(90),
    }
}

fn check(jobs: &[BackupJob], drills: &[RestoreDrill]) -> Vec<NewFinding> {
    let found = backup_findings(
        &["電子カルテ".into()],
        jobs,
        drills,
        &BackupPolicy::default(),
        TODAY,
    );
    assert_unique(&found);
    for f in &found {
        assert_eq!(f.checklist, vec!["3-(2)".to_owned()]);
        assert!(f.message.contains("数世代バックアップを複数の方式で"));
    }
    found
}

fn rules(found: &[NewFinding]) -> Vec<&str> {
    found.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn good_backups_at_every_boundary_have_no_findings() {
    assert_eq!(
        BackupPolicy::default(),
        BackupPolicy {
            min_generations: 3,
            max_age_days: 7,
            drill_within_days: 365
        }
    );
    let found = check(&good_jobs(), &[drill(365, true)]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_system_without_jobs_gets_only_backup_none() {
    let found = check(&[], &[]);
    assert_eq!(rules(&found), vec![BACKUP_NONE]);
    assert_eq!(found[0].key, "backup.none/system:電子カルテ/-");
    assert_eq!(found[0].severity, Severity::High);
}

#[test]
fn too_few_generations() {
    let mut jobs = good_jobs();
    jobs[0].generations = 2;
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_GENERATIONS]);
    assert_eq!(found[0].key, "backup.generations/system:電子カルテ/NAS");
}

#[test]
fn stale_after_the_policy_age_or_the_jobs_own_frequency() {
    let mut jobs = good_jobs();
    jobs[0].last_success = Some(days_ago(8));
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_STALE]);
    assert_eq!(found[0].key, "backup.stale/system:電子カルテ/NAS");
    assert_eq!(found[0].severity, Severity::Medium);

    let mut jobs = good_jobs();
    jobs[1].last_success = Some(days_ago(31));
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_STALE]);
    assert_eq!(found[0].key, "backup.stale/system:電子カルテ/テープ");

    let mut jobs = good_jobs();
    jobs[1].last_success = None;
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_STALE]);
    assert_eq!(found[0].severity, Severity::High);
}

#[test]
fn one_method_and_nothing_offline() {
    // Two NAS jobs: still one method, and none offline.
    let jobs = vec![
        job("NAS", false, 1, Some(days_ago(1))),
        job(" nas ", false, 1, Some(days_ago(1))),
    ];
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_SINGLE_METHOD, BACKUP_NO_OFFLINE]);
    // One offline tape alone: one method, but out of reach of malware.
    let found = check(
        &[job("テープ", true, 7, Some(days_ago(7)))],
        &[drill(10, true)],
    );
    assert_eq!(rules(&found), vec![BACKUP_SINGLE_METHOD]);
    // Two methods, none offline.
    let mut jobs = good_jobs();
    jobs[1].offline_or_immutable = false;
    let found = check(&jobs, &[drill(10, true)]);
    assert_eq!(rules(&found), vec![BACKUP_NO_OFFLINE]);
    assert_eq!(found[0].severity, Severity::High);
}

#[test]
fn restore_drills_within_a_year_and_successful() {
    assert_eq!(rules(&check(&good_jobs(), &[])), vec![BACKUP_NO_DRILL]);
    assert_eq!(
        rules(&check(&good_jobs(), &[drill(366, true)])),
        vec![BACKUP_NO_DRILL]
    );
    // A drill dated in the future does not count.
    assert_eq!(
        rules(&check(&good_jobs(), &[drill(-1, true)])),
        vec![BACKUP_NO_DRILL]
    );
    let failed = check(&good_jobs(), &[drill(400, true), drill(20, false)]);
    assert_eq!(rules(&failed), vec![BACKUP_DRILL_FAILED]);
    assert_eq!(failed[0].key, "backup.drill_failed/system:電子カルテ/-");
    // A later successful drill clears the failure.
    assert!(check(&good_jobs(), &[drill(20, false), drill(5, true)]).is_empty());
    // The last drill failed long ago: no drill within the window.
    assert_eq!(
        rules(&check(&good_jobs(), &[drill(366, false)])),
        vec![BACKUP_NO_DRILL]
    );
}

#[test]
fn keys_are_unique_over_many_systems() {
    let systems: Vec<String> = vec!["電子カルテ".into(), "PACS".into(), "レセコン".into()];
    let mut jobs = good_jobs();
    jobs[0].generations = 1;
    jobs[0].last_success = None;
    jobs.push(BackupJob {
        system: "PACS".into(),
        method: "NAS".into(),
        generations: 1,
        offline_or_immutable: false,
        frequency_days: 0,
        last_success: Some(days_ago(100)),
    });
    jobs.push(BackupJob {
        system: "検査".into(),
        method: "".into(),
        generations: 0,
        offline_or_immutable: false,
        frequency_days: 0,
        last_success: None,
    });
    let found = backup_findings(&systems, &jobs, &[], &BackupPolicy::default(), TODAY);
    assert_unique(&found);
    // 電子カルテ: generations, stale, no drill; PACS: generations, stale, single, offline,
    // no drill; レセコン: none; 検査 (only in the jobs): generations, stale, single, offline,
    // no drill.
    assert_eq!(found.len(), 3 + 5 + 1 + 5, "{:#?}", rules_of(&found));
    let mut chart = full_chart();
    chart.push(chart[0].clone());
    chart[0].phone = None;
    chart[8].phone = None;
    assert_unique(&contact_chart_findings(&chart, &["x".into(), "X".into()]));
}
