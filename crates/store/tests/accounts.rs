//! Systems, account and staff snapshots, the access policy and 棚卸 sign-offs on SQLite and
//! PostgreSQL.

use anzen_core::OrgKind;
use anzen_store::accounts::{self, AccountRecord, Policy, Review, Source, StaffRecord, SystemData};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, testing};

fn ehr() -> SystemData {
    SystemData {
        name: "電子カルテ".into(),
        kind: "電子カルテ".into(),
        owner: Some("佐藤".into()),
        vendor: Some("メディシス".into()),
        supports_mfa: true,
        min_password_len: Some(8),
        note: None,
    }
}

#[test]
fn systems_snapshots_policy_and_reviews() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let sys = c
            .transaction(|c| accounts::save_system(c, &org, "u", None, &ehr()))
            .expect("system");
        assert!(sys.data.supports_mfa, "{b}");
        assert!(matches!(
            accounts::save_system(&mut c, &org, "u", None, &ehr()),
            Err(StoreError::Conflict(_))
        ));
        assert!(
            accounts::system(&mut c, &other, sys.id)
                .expect("get")
                .is_none(),
            "{b}"
        );
        let mut changed = ehr();
        changed.supports_mfa = false;
        c.transaction(|c| accounts::save_system(c, &org, "u", Some(sys.id), &changed))
            .expect("update");

        let acc = |id: &str, enabled| AccountRecord {
            account_id: id.into(),
            name: Some(format!("{id} 氏名")),
            staff_id: Some(format!("S-{id}")),
            role: "医師".into(),
            enabled,
            last_login: Some("2026-10-01".into()),
            mfa: Some(false),
            password_changed: None,
        };
        let src = Source {
            kind: "file",
            name: "accounts-2026-10.csv",
            sha256: "aa",
        };
        let first = c
            .transaction(|c| {
                accounts::import_accounts(
                    c,
                    &org,
                    "u",
                    &sys,
                    &src,
                    &[acc("a", true), acc("b", true)],
                )
            })
            .expect("snapshot");
        let second = c
            .transaction(|c| {
                accounts::import_accounts(c, &org, "u", &sys, &src, &[acc("a", false)])
            })
            .expect("snapshot 2");
        assert_eq!(
            accounts::snapshot_accounts(&mut c, first.id)
                .expect("rows")
                .len(),
            2,
            "{b}"
        );
        let rows = accounts::snapshot_accounts(&mut c, second.id).expect("rows");
        assert_eq!(rows, vec![acc("a", false)], "{b} earlier snapshots stay");
        let staff = StaffRecord {
            staff_id: "S-a".into(),
            name: "山田".into(),
            job: "医師".into(),
            department: None,
            hired: Some("2020-04-01".into()),
            retired: Some("2026-09-30".into()),
        };
        let roster = c
            .transaction(|c| {
                accounts::import_staff(c, &org, "u", &src, std::slice::from_ref(&staff))
            })
            .expect("roster");
        assert_eq!(
            accounts::snapshot_staff(&mut c, roster.id).expect("staff"),
            vec![staff],
            "{b}"
        );
        let snaps = accounts::snapshots(&mut c, &org).expect("snapshots");
        assert_eq!(
            snaps.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![roster.id, second.id, first.id]
        );
        assert!(
            accounts::snapshots(&mut c, &other)
                .expect("none")
                .is_empty(),
            "{b}"
        );

        let p = Policy {
            allowed: vec![(sys.id, "医師".into(), "医師".into())],
            admin_roles: vec![(sys.id, "システム管理者".into())],
            owners: vec![(sys.id, "admin".into(), "佐藤".into())],
            windows: vec![(
                sys.id,
                "vendor".into(),
                "2026-11-01".into(),
                "2026-11-02".into(),
            )],
        };
        c.transaction(|c| accounts::set_policy(c, &org, "u", sys.id, &p))
            .expect("policy");
        assert_eq!(accounts::policy(&mut c, &org).expect("policy"), p, "{b}");
        assert_eq!(
            accounts::policy(&mut c, &other).expect("policy"),
            Policy::default()
        );

        let r = Review {
            system_id: sys.id,
            month: "2026-11".into(),
            snapshot_id: Some(second.id),
            open_findings: 1,
            signed_by: "officer".into(),
            signed_at: 1,
            note: None,
        };
        c.transaction(|c| accounts::sign_review(c, &org, "officer", &r))
            .expect("sign");
        assert!(matches!(
            accounts::sign_review(&mut c, &org, "officer", &r),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            accounts::reviews(&mut c, &org).expect("reviews").len(),
            1,
            "{b}"
        );
        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "system.create",
            "system.update",
            "accounts.import",
            "staff.import",
            "policy.update",
            "account_review.sign",
        ] {
            assert!(kinds.contains(&k.to_owned()), "{b} {k}");
        }
    }
}

fn acct(id: &str, role: &str, enabled: bool, last_login: &str) -> AccountRecord {
    AccountRecord {
        account_id: id.into(),
        name: Some(format!("{id} さん")),
        staff_id: Some("1001".into()),
        role: role.into(),
        enabled,
        last_login: Some(last_login.into()),
        mfa: None,
        password_changed: None,
    }
}

/// Month-to-month changes of one system's list: added, removed, changed with the fields
/// named, and a daily-changing field that can be left out.
#[test]
fn changes_between_snapshots() {
    let october = vec![
        acct("yamada", "医師", true, "2026-10-30"),
        acct("sato", "看護師", true, "2026-10-30"),
        acct("old", "参照", true, "2026-01-01"),
    ];
    let mut yamada = acct("yamada", "医師", true, "2026-11-20");
    yamada.account_id = " yamada ".into();
    let november = vec![
        yamada,
        acct("sato", "システム管理者", false, "2026-10-30"),
        acct("new", "参照", true, "2026-11-20"),
    ];
    let c = accounts::changes(&october, &november, &["最終ログイン"]);
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.added[0].account_id, "new");
    assert_eq!(c.removed.len(), 1);
    assert_eq!(c.removed[0].account_id, "old");
    assert_eq!(
        c.unchanged, 1,
        "yamada: only the ignored login date changed"
    );
    assert_eq!(c.changed.len(), 1);
    let (before, after, fields) = &c.changed[0];
    assert_eq!(
        (before.role.as_str(), after.role.as_str()),
        ("看護師", "システム管理者")
    );
    assert_eq!(
        fields,
        &vec![
            "権限: 看護師 → システム管理者".to_owned(),
            "状態: 有効 → 無効".to_owned()
        ]
    );
    // Without ignoring it, the login date is a change.
    let c = accounts::changes(&october, &november, &[]);
    assert_eq!(c.unchanged, 0);
    assert!(c.changed.iter().any(|(_, _, f)| {
        f.iter()
            .any(|x| x == "最終ログイン: 2026-10-30 → 2026-11-20")
    }));

    let roster_before = vec![StaffRecord {
        staff_id: "1001".into(),
        name: "山田 太郎".into(),
        job: "医師".into(),
        department: None,
        hired: None,
        retired: None,
    }];
    let mut left = roster_before.clone();
    left[0].retired = Some("2026-11-15".into());
    let c = accounts::changes(&roster_before, &left, &[]);
    assert_eq!(
        c.changed[0].2,
        vec!["退職日: （なし） → 2026-11-15".to_owned()]
    );
}
