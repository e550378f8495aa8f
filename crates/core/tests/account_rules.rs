//! The account-audit rules: each rule fires and stays quiet at its boundary (retired
//! yesterday vs tomorrow, 90 vs 91 days without a login, a password 60 vs 61 days old, the
//! 令和9年度 two-factor step), keys are unique, messages are Japanese and name the account,
//! and the 2-(5) evidence rule.

use std::collections::BTreeMap;

use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
use anzen_core::finding::{NewFinding, Severity};
use anzen_core::rules::accounts::{
    self, AccessPolicy, Account, AccountSummary, MaintenanceWindow, NoAccountFindings, Options,
    Staff, SystemInfo, SystemKind, findings,
};
use anzen_core::rules::assets::OpenFinding;
use jiff::ToSpan;
use jiff::civil::{Date, date};

const TODAY: Date = Date::constant(2026, 11, 22);

fn ago(days: i64) -> Date {
    TODAY.checked_sub(days.days()).expect("date in range")
}

fn account(system: &str, id: &str, staff: Option<&str>, role: &str) -> Account {
    Account {
        system: system.into(),
        account_id: id.into(),
        name: Some(format!("{id} さん")),
        staff_id: staff.map(str::to_owned),
        role: role.into(),
        enabled: true,
        last_login: Some(ago(1)),
        mfa: Some(true),
        password_changed: Some(ago(1)),
    }
}

fn staff(id: &str, name: &str, job: &str, retired: Option<Date>) -> Staff {
    Staff {
        staff_id: id.into(),
        name: name.into(),
        job: job.into(),
        department: Some("内科".into()),
        hired: Some(date(2015, 4, 1)),
        retired,
    }
}

fn system(name: &str, kind: SystemKind, mfa: bool, min_len: Option<u32>) -> SystemInfo {
    SystemInfo {
        name: name.into(),
        supports_mfa: mfa,
        min_password_len: min_len,
        kind,
    }
}

fn roster() -> Vec<Staff> {
    vec![
        staff("1001", "山田 太郎", "医師", None),
        staff("1002", "佐藤 花子", "看護師", None),
        staff("1003", "鈴木 一郎", "医事課", None),
    ]
}

fn systems() -> Vec<SystemInfo> {
    vec![
        system("電子カルテ", SystemKind::Ehr, false, None),
        system("VPN", SystemKind::RemoteAccess, true, Some(8)),
        system("AD", SystemKind::Directory, true, Some(14)),
    ]
}

fn policy() -> AccessPolicy {
    AccessPolicy {
        allowed: vec![
            ("電子カルテ".into(), "医師".into(), "医師".into()),
            ("電子カルテ".into(), "看護師".into(), "看護師".into()),
            ("電子カルテ".into(), "医事課".into(), "*".into()),
            ("電子カルテ".into(), "*".into(), "参照".into()),
        ],
        admin_roles: vec![
            ("電子カルテ".into(), "システム管理者".into()),
            ("*".into(), "Administrator".into()),
        ],
        named_owners: vec![(
            "電子カルテ".into(),
            "kiosk".into(),
            "情報システム課 田中".into(),
        )],
    }
}

struct Run {
    staff: Vec<Staff>,
    systems: Vec<SystemInfo>,
    policy: AccessPolicy,
    windows: Vec<MaintenanceWindow>,
    opts: Options,
    today: Date,
}

impl Run {
    fn new() -> Run {
        Run {
            staff: roster(),
            systems: systems(),
            policy: policy(),
            windows: Vec::new(),
            opts: Options::default(),
            today: TODAY,
        }
    }

    fn of(&self, accounts: &[Account]) -> Vec<NewFinding> {
        let out = findings(
            accounts,
            &self.staff,
            &self.systems,
            &self.policy,
            &self.windows,
            &self.opts,
            self.today,
        );
        assert_unique_keys(&out);
        for f in &out {
            assert!(f.key.starts_with(&f.rule), "{}", f.key);
            assert!(f.rule.starts_with("account."), "{}", f.rule);
            assert!(!f.checklist.is_empty(), "{}", f.key);
        }
        out
    }

    /// Findings of `rule` for one account.
    fn rule(&self, a: &Account, rule: &str) -> Vec<NewFinding> {
        self.of(std::slice::from_ref(a))
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }
}

fn assert_unique_keys(found: &[NewFinding]) {
    let mut keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicate keys");
}

fn one(found: Vec<NewFinding>) -> NewFinding {
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().expect("one finding")
}

fn mentions(f: &NewFinding, id: &str) {
    assert!(f.message.contains(id), "message names {id}: {}", f.message);
    assert!(f.title.contains(id), "title names {id}: {}", f.title);
    assert!(
        f.message
            .chars()
            .any(|c| ('\u{3040}'..='\u{30FF}').contains(&c)),
        "Japanese message: {}",
        f.message
    );
}

#[test]
fn a_clean_account_set_has_no_findings() {
    let run = Run::new();
    let accounts = vec![
        account("電子カルテ", "yamada", Some("1001"), "医師"),
        account("電子カルテ", "sato", Some("1002"), "看護師"),
        account("電子カルテ", "suzuki", Some("1003"), "医事"),
        account("電子カルテ", "kiosk", None, "参照"),
        account("VPN", "yamada", Some("1001"), "user"),
    ];
    assert_eq!(run.of(&accounts), vec![]);
}

#[test]
fn retired_fires_the_day_after_the_retirement_date() {
    let mut run = Run::new();
    let a = account("電子カルテ", "yamada", Some("1001"), "医師");
    run.staff[0].retired = Some(ago(1));
    let f = one(run.rule(&a, accounts::RETIRED));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    assert_eq!(f.key, "account.retired/account:電子カルテ/yamada/1001");
    mentions(&f, "yamada");
    assert!(f.message.contains("山田 太郎") && f.message.contains(&ago(1).to_string()));
    // The retired account gets only this finding, even if old and unused.
    let mut stale = a.clone();
    stale.last_login = Some(ago(400));
    stale.password_changed = Some(ago(400));
    stale.mfa = Some(false);
    let all = run.of(&[stale]);
    assert_eq!(all.len(), 1, "{all:#?}");

    run.staff[0].retired = Some(TODAY);
    assert!(run.rule(&a, accounts::RETIRED).is_empty(), "the last day");
    run.staff[0].retired = Some(ago(-1));
    assert!(
        run.rule(&a, accounts::RETIRED).is_empty(),
        "retires tomorrow"
    );
    // Disabled: fine.
    run.staff[0].retired = Some(ago(30));
    let mut off = a.clone();
    off.enabled = false;
    assert!(run.of(&[off]).is_empty());
}

#[test]
fn retired_is_critical_when_used_after_leaving_admin_or_a_gateway() {
    let mut run = Run::new();
    run.staff[0].retired = Some(ago(10));
    let mut a = account("電子カルテ", "yamada", Some("1001"), "医師");
    a.last_login = Some(ago(11));
    assert_eq!(
        one(run.rule(&a, accounts::RETIRED)).severity,
        Severity::High
    );
    a.last_login = Some(ago(3));
    let f = one(run.rule(&a, accounts::RETIRED));
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.message.contains("退職後"), "{}", f.message);
    let vpn = account("VPN", "yamada", Some("1001"), "user");
    assert_eq!(
        one(run.rule(&vpn, accounts::RETIRED)).severity,
        Severity::Critical
    );
    let admin = account("電子カルテ", "yamada-adm", Some("1001"), "システム管理者");
    assert_eq!(
        one(run.rule(&admin, accounts::RETIRED)).severity,
        Severity::Critical
    );
}

#[test]
fn unknown_staff_only_with_a_roster() {
    let mut run = Run::new();
    let a = account("電子カルテ", "ghost", Some("9999"), "医師");
    let f = one(run.rule(&a, accounts::UNKNOWN_STAFF));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    mentions(&f, "ghost");
    assert!(f.message.contains("9999"));
    // Full-width digits and spaces match the roster.
    let b = account("電子カルテ", "yamada", Some(" １００１ "), "医師");
    assert!(run.of(&[b]).is_empty());
    run.staff.clear();
    assert!(run.rule(&a, accounts::UNKNOWN_STAFF).is_empty());
}

#[test]
fn inactive_after_more_than_90_days() {
    let run = Run::new();
    let mut a = account("電子カルテ", "sato", Some("1002"), "看護師");
    a.last_login = Some(ago(90));
    assert!(run.rule(&a, accounts::INACTIVE).is_empty(), "exactly 90");
    a.last_login = Some(ago(91));
    let f = one(run.rule(&a, accounts::INACTIVE));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    mentions(&f, "sato");
    assert!(f.message.contains("91日前"), "{}", f.message);
    a.last_login = None;
    assert!(run.rule(&a, accounts::INACTIVE).is_empty(), "unknown");
}

#[test]
fn shared_accounts_need_a_named_owner() {
    let run = Run::new();
    let a = account("電子カルテ", "nurse-station", None, "参照");
    let f = one(run.rule(&a, accounts::SHARED_UNOWNED));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    mentions(&f, "nurse-station");
    let owned = account("電子カルテ", "KIOSK", Some("  "), "参照");
    assert!(
        run.of(&[owned]).is_empty(),
        "owner named (case-insensitive)"
    );
}

#[test]
fn admin_accounts_need_an_identified_owner() {
    let run = Run::new();
    let a = account("電子カルテ", "admin", None, "システム管理者");
    let f = one(run.rule(&a, accounts::ADMIN_UNOWNED));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.checklist, vec!["2-(4)", "2-(5)"]);
    mentions(&f, "admin");
    assert!(
        run.rule(&a, accounts::SHARED_UNOWNED).is_empty(),
        "replaced"
    );
    // The wildcard admin role applies to every system.
    let ad = account("AD", "Administrator", None, "administrator");
    assert_eq!(run.rule(&ad, accounts::ADMIN_UNOWNED).len(), 1);
    // An admin account tied to a person is fine here (role_not_allowed may still apply).
    let mine = account("電子カルテ", "yamada-adm", Some("1001"), "システム管理者");
    assert!(run.rule(&mine, accounts::ADMIN_UNOWNED).is_empty());
}

#[test]
fn roles_follow_the_access_policy() {
    let run = Run::new();
    let a = account("電子カルテ", "sato", Some("1002"), "医師");
    let f = one(run.rule(&a, accounts::ROLE_NOT_ALLOWED));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.checklist, vec!["2-(4)"]);
    mentions(&f, "sato");
    assert!(
        f.message.contains("看護師") && f.message.contains("「参照」「看護師」"),
        "{}",
        f.message
    );
    let admin = account("電子カルテ", "sato-adm", Some("1002"), "システム管理者");
    assert_eq!(
        one(run.rule(&admin, accounts::ROLE_NOT_ALLOWED)).severity,
        Severity::High
    );
    // Allowed: own role, the job's wildcard, the any-job role, a system without rules.
    for ok in [
        account("電子カルテ", "sato", Some("1002"), "看護師"),
        account("電子カルテ", "suzuki", Some("1003"), "何でも"),
        account("電子カルテ", "sato2", Some("1002"), "参照"),
        account("VPN", "sato", Some("1002"), "医師"),
    ] {
        assert!(
            run.rule(&ok, accounts::ROLE_NOT_ALLOWED).is_empty(),
            "{ok:?}"
        );
    }
}

#[test]
fn no_mfa_only_where_supported_and_high_from_fy2027() {
    let mut run = Run::new();
    let mut a = account("VPN", "sato", Some("1002"), "user");
    a.mfa = Some(false);
    let f = one(run.rule(&a, accounts::NO_MFA));
    assert_eq!(f.severity, Severity::Medium, "VPN before FY2027");
    assert_eq!(f.checklist, vec!["2-⑩"]);
    mentions(&f, "sato");
    assert!(f.message.contains("令和9年度"), "{}", f.message);
    let mut ad = account("AD", "sato", Some("1002"), "user");
    ad.mfa = None;
    // A directory is a gateway too; an ordinary system would be low.
    assert_eq!(
        one(run.rule(&ad, accounts::NO_MFA)).severity,
        Severity::Medium
    );
    run.systems
        .push(system("PACS", SystemKind::Pacs, true, Some(13)));
    let mut pacs = account("PACS", "sato", Some("1002"), "user");
    pacs.mfa = Some(false);
    assert_eq!(
        one(run.rule(&pacs, accounts::NO_MFA)).severity,
        Severity::Low
    );

    run.today = date(2027, 3, 31);
    assert_eq!(
        one(run.rule(&pacs, accounts::NO_MFA)).severity,
        Severity::Low
    );
    run.today = date(2027, 4, 1);
    let f = one(run.rule(&pacs, accounts::NO_MFA));
    assert_eq!(f.severity, Severity::High, "令和9年度");
    // Not supported, or enabled: nothing.
    let mut ehr = account("電子カルテ", "sato", Some("1002"), "看護師");
    ehr.mfa = Some(false);
    assert!(run.rule(&ehr, accounts::NO_MFA).is_empty());
    a.mfa = Some(true);
    assert!(run.rule(&a, accounts::NO_MFA).is_empty());
}

#[test]
fn password_older_than_60_days_without_mfa_or_13_characters() {
    let run = Run::new();
    let mut a = account("電子カルテ", "sato", Some("1002"), "看護師");
    a.mfa = Some(false);
    a.password_changed = Some(ago(60));
    assert!(
        run.rule(&a, accounts::PASSWORD_OLD).is_empty(),
        "exactly 60"
    );
    a.password_changed = Some(ago(61));
    let f = one(run.rule(&a, accounts::PASSWORD_OLD));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.checklist, vec!["2-⑦"]);
    mentions(&f, "sato");
    assert!(f.message.contains("61日前") && f.message.contains("13文字以上"));
    // Pattern (c): two-factor.
    let mut with_mfa = a.clone();
    with_mfa.mfa = Some(true);
    assert!(run.rule(&with_mfa, accounts::PASSWORD_OLD).is_empty());
    // Pattern (a): the system enforces 14 characters.
    let mut ad = account("AD", "sato", Some("1002"), "user");
    ad.mfa = Some(false);
    ad.password_changed = Some(ago(400));
    assert!(run.rule(&ad, accounts::PASSWORD_OLD).is_empty());
    // 8 characters on the VPN is not enough.
    let mut vpn = ad.clone();
    vpn.system = "VPN".into();
    let f = one(run.rule(&vpn, accounts::PASSWORD_OLD));
    assert!(f.message.contains("最小文字数は8文字"), "{}", f.message);
    // Unknown change date: not reported.
    a.password_changed = None;
    assert!(run.rule(&a, accounts::PASSWORD_OLD).is_empty());
}

#[test]
fn duplicate_accounts_of_one_person_per_system() {
    let run = Run::new();
    let accounts = vec![
        account("電子カルテ", "yamada", Some("1001"), "医師"),
        account("電子カルテ", "yamada2", Some("1001"), "医師"),
        account("電子カルテ", "yamada-adm", Some("1001"), "システム管理者"),
        account("VPN", "yamada", Some("1001"), "user"),
    ];
    let dups: Vec<NewFinding> = run
        .of(&accounts)
        .into_iter()
        .filter(|f| f.rule == accounts::DUPLICATE)
        .collect();
    let f = one(dups);
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    assert_eq!(f.key, "account.duplicate/staff:1001/電子カルテ");
    assert!(f.message.contains("yamada") && f.message.contains("yamada2"));
    assert!(!f.message.contains("yamada-adm"), "admin counted apart");
    // A disabled second account is fine.
    let mut fixed = accounts.clone();
    fixed[1].enabled = false;
    assert!(run.of(&fixed).iter().all(|f| f.rule != accounts::DUPLICATE));
}

#[test]
fn vendor_accounts_only_within_their_windows() {
    let mut run = Run::new();
    run.policy.named_owners.push((
        "電子カルテ".into(),
        "vendor01".into(),
        "○○メディカル 保守担当".into(),
    ));
    run.windows = vec![
        MaintenanceWindow {
            system: "電子カルテ".into(),
            account_id: "vendor01".into(),
            from: ago(40),
            to: ago(38),
        },
        MaintenanceWindow {
            system: "電子カルテ".into(),
            account_id: "vendor01".into(),
            from: ago(-9),
            to: ago(-10),
        },
    ];
    let mut a = account("電子カルテ", "vendor01", None, "保守");
    a.last_login = Some(ago(39));
    a.mfa = None;
    let f = one(run.rule(&a, accounts::VENDOR_OUTSIDE_WINDOW));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.checklist, vec!["2-(5)"]);
    mentions(&f, "vendor01");
    assert!(f.message.contains(&ago(-9).to_string()), "next window");
    // Vendor accounts are not "inactive" (the window rule covers them).
    assert!(run.rule(&a, accounts::INACTIVE).is_empty());
    a.last_login = Some(ago(5));
    assert_eq!(
        one(run.rule(&a, accounts::VENDOR_OUTSIDE_WINDOW)).severity,
        Severity::Critical
    );
    // Inside a window (inclusive), or disabled: fine.
    run.today = ago(38);
    assert!(run.rule(&a, accounts::VENDOR_OUTSIDE_WINDOW).is_empty());
    run.today = TODAY;
    a.enabled = false;
    assert!(run.of(&[a]).is_empty());
}

#[test]
fn keys_are_unique_and_stable_across_a_mixed_set() {
    let mut run = Run::new();
    run.staff[1].retired = Some(ago(5));
    let mut accounts = Vec::new();
    for sys in ["電子カルテ", "VPN", "AD", "未登録システム"] {
        for (id, staff, role) in [
            ("yamada", Some("1001"), "医師"),
            ("yamada/2", Some("1001"), "医師"),
            ("yamada-x", Some("1001"), "看護師"),
            ("sato", Some("1002"), "看護師"),
            ("ghost", Some("9999"), "医師"),
            ("shared", None, "参照"),
            ("admin", None, "Administrator"),
        ] {
            let mut a = account(sys, id, staff, role);
            a.mfa = Some(false);
            a.last_login = Some(ago(200));
            a.password_changed = Some(ago(200));
            accounts.push(a);
        }
    }
    // The same account twice in the input: reported once.
    accounts.push(accounts[0].clone());
    let found = run.of(&accounts);
    assert!(found.len() > 20, "{}", found.len());
    for rule in accounts::RULES {
        if rule != accounts::VENDOR_OUTSIDE_WINDOW {
            assert!(found.iter().any(|f| f.rule == rule), "{rule} fires");
        }
    }
    assert_eq!(found, run.of(&accounts), "deterministic");
    assert!(
        found.iter().any(|f| f.key.contains("yamada%2F2")),
        "slashes escaped"
    );
}

fn item() -> anzen_catalog::Item {
    let cat = anzen_catalog::Catalog::builtin().expect("catalog");
    cat.items()
        .find(|(_, i)| i.auto_evidence.as_deref() == Some("no_account_findings"))
        .map(|(_, i)| i.clone())
        .expect("an item with no_account_findings")
}

#[test]
fn evidence_for_unneeded_accounts() {
    let item = item();
    let eval = |s: AccountSummary| {
        NoAccountFindings {
            summary: s,
            today: TODAY,
        }
        .evaluate(&item, &Facts::default())
    };
    let accts = vec![
        account("電子カルテ", "yamada", Some("1001"), "医師"),
        account("VPN", "yamada", Some("1001"), "user"),
    ];
    let rule = NoAccountFindings {
        summary: AccountSummary::default(),
        today: TODAY,
    };
    assert_eq!(rule.key(), "no_account_findings");

    let none = eval(AccountSummary::of(&[], true, &[], None));
    assert_eq!(none.suggestion, Suggestion::No);
    assert!(none.reasons_ja[0].contains("取り込まれていません"));

    let ok = eval(AccountSummary::of(&accts, true, &[], None));
    assert_eq!(ok.suggestion, Suggestion::Yes, "{:?}", ok.reasons_ja);
    assert!(ok.reasons_ja[0].contains("2システム"));

    let open = vec![
        OpenFinding {
            rule: "account.retired".into(),
            title: "電子カルテ「yamada」: 退職した職員のアカウントが有効です".into(),
        },
        OpenFinding {
            rule: "account.no_mfa".into(),
            title: "not 2-(5)".into(),
        },
    ];
    let bad = eval(AccountSummary::of(&accts, true, &open, None));
    assert_eq!(bad.suggestion, Suggestion::No);
    assert!(
        bad.reasons_ja
            .iter()
            .any(|r| r.contains("1件") && r.contains("yamada"))
    );
    let only_mfa = eval(AccountSummary::of(&accts, true, &open[1..], None));
    assert_eq!(only_mfa.suggestion, Suggestion::Yes);

    let no_roster = eval(AccountSummary::of(&accts, false, &[], None));
    assert_eq!(no_roster.suggestion, Suggestion::Unknown);

    let mut signoffs = BTreeMap::new();
    signoffs.insert("電子カルテ".to_owned(), ago(31));
    signoffs.insert("vpn".to_owned(), ago(3));
    let signed = eval(AccountSummary::of(
        &accts,
        true,
        &[],
        Some(signoffs.clone()),
    ));
    assert_eq!(
        signed.suggestion,
        Suggestion::Yes,
        "{:?}",
        signed.reasons_ja
    );
    signoffs.insert("電子カルテ".to_owned(), ago(32));
    let stale = eval(AccountSummary::of(
        &accts,
        true,
        &[],
        Some(signoffs.clone()),
    ));
    assert_eq!(stale.suggestion, Suggestion::No);
    assert!(stale.reasons_ja.iter().any(|r| r.contains("電子カルテ")));
    signoffs.remove("vpn");
    let missing = eval(AccountSummary::of(&accts, true, &[], Some(signoffs)));
    assert!(
        missing
            .reasons_ja
            .iter()
            .any(|r| r.contains("記録がない") && r.contains("VPN"))
    );
}

#[test]
fn system_kinds_parse_from_free_text() {
    assert_eq!(SystemKind::parse("電子カルテ"), SystemKind::Ehr);
    assert_eq!(SystemKind::parse("レセコン"), SystemKind::Receipt);
    assert_eq!(SystemKind::parse("ＰＡＣＳ"), SystemKind::Pacs);
    assert_eq!(SystemKind::parse("AD"), SystemKind::Directory);
    assert_eq!(SystemKind::parse("Active Directory"), SystemKind::Directory);
    assert_eq!(SystemKind::parse("SSL-VPN"), SystemKind::RemoteAccess);
    assert_eq!(SystemKind::parse("検査"), SystemKind::Other);
}

#[test]
fn subjects_of_a_system_share_its_prefix_even_with_a_slash_in_the_name() {
    // Pages find a system's findings by this prefix; the name must be escaped the same way.
    let a = account(" PACS/RIS ", "dr%1", None, "参照");
    let found = findings(
        &[a],
        &[],
        &[system("PACS/RIS", SystemKind::Pacs, false, None)],
        &AccessPolicy::default(),
        &[],
        &Options::default(),
        TODAY,
    );
    let f = found.first().expect("a shared-account finding");
    assert_eq!(f.subject, accounts::account_subject("PACS/RIS", "dr%1"));
    assert_eq!(f.subject, "account:PACS%2FRIS/dr%251");
    assert!(
        f.subject
            .starts_with(&accounts::system_subject_prefix("PACS/RIS"))
    );
    assert!(
        !f.subject
            .starts_with(&accounts::system_subject_prefix("PACS"))
    );
}

/// A large list is split over threads; the findings (and their order) must be those of one
/// pass — including a person whose two accounts land in different chunks, repeated rows,
/// and every rule firing somewhere.
#[test]
fn a_pass_split_over_threads_finds_what_one_thread_finds() {
    let mut run = Run::new();
    run.staff = (0..3_000)
        .map(|i| {
            let retired = (i % 40 == 0).then(|| ago(10));
            staff(
                &format!("{i}"),
                &format!("職員{i}"),
                ["医師", "看護師", "医事課"][i % 3],
                retired,
            )
        })
        .collect();
    let mut accounts = Vec::new();
    for i in 0..20_000usize {
        let person = i % 3_000;
        let role = ["医師", "看護師", "参照", "システム管理者"][i % 4];
        let mut a = account(
            ["電子カルテ", "VPN", "AD"][i % 3],
            &format!("u{i}"),
            (i % 25 != 0).then(|| format!("{person}")).as_deref(),
            role,
        );
        a.mfa = Some(i % 7 != 0);
        a.last_login = Some(ago(if i % 17 == 0 { 200 } else { 1 }));
        a.password_changed = Some(ago(if i % 11 == 0 { 100 } else { 1 }));
        accounts.push(a);
    }
    // The same person twice in one system, far apart in the list (different chunks).
    accounts.push(account(
        "電子カルテ",
        "late-dup",
        Some("3"),
        "システム管理者",
    ));
    // A repeated row is checked once.
    accounts.push(accounts[5].clone());

    run.opts.threads = 1;
    let single = run.of(&accounts);
    run.opts.threads = 3;
    let split = run.of(&accounts);
    assert_eq!(single, split);
    let rules: std::collections::BTreeSet<&str> = single.iter().map(|f| f.rule.as_str()).collect();
    for rule in [
        accounts::RETIRED,
        accounts::SHARED_UNOWNED,
        accounts::ROLE_NOT_ALLOWED,
        accounts::NO_MFA,
        accounts::PASSWORD_OLD,
        accounts::INACTIVE,
        accounts::DUPLICATE,
    ] {
        assert!(rules.contains(rule), "{rule} never fired: {rules:?}");
    }
    assert!(
        single
            .iter()
            .any(|f| f.rule == accounts::DUPLICATE && f.evidence.to_string().contains("late-dup")),
        "the duplicate across chunks is found"
    );
}
