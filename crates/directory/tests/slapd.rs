//! anzen-directory against a real OpenLDAP `slapd` (Debian package `slapd`).
//!
//! Each test starts its own `slapd` on 127.0.0.1 in a temporary directory: a generated
//! `slapd.conf` (mdb database; the `ppolicy` and `lastbind` overlays, so
//! `pwdChangedTime`, `pwdAccountLockedTime` and `authTimestamp` exist; a small custom
//! schema for 入職日, 退職日 and 二要素認証, which inetOrgPerson lacks), a CA and server
//! certificate generated with rcgen (LDAPS on one free port, StartTLS on the plain one),
//! and a generated directory loaded with `slapadd`: 20 staff in `ou=people` (one retired
//! and locked), a shared account in `ou=shared`, groups in `ou=groups`, a read-only
//! service account and a writer in `ou=services`, broken entries in `ou=broken` and
//! `ou=incomplete`. The ACL lets the service account read and nothing else. `slapd` is
//! killed (its whole process group) when the guard drops, also when a test panics.
//!
//! Without `slapd` the tests are skipped with a message, except when `CI` is set: there a
//! missing component is a failure naming the package. `ANZEN_SLAPD`, `ANZEN_SLAPADD`,
//! `ANZEN_SLAPD_MODULES` and `ANZEN_SLAPD_SCHEMA` override the Debian paths.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anzen_directory::testing::*;
use anzen_directory::{
    AttributeMap, DirectoryConfig, DirectoryError, GroupRole, Step, TimeAttribute, fetch_accounts,
    fetch_staff, fetch_staff_detailed,
};
use anzen_ingest::{AccountRow, AccountStatus, StaffRow};
use jiff::civil::Date;
use ldap3::{LdapConn, Mod};

type TestResult = Result<(), Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------
// Expected rows

fn expected_accounts() -> Vec<AccountRow> {
    let mut rows: Vec<AccountRow> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, person)| {
            let mut roles = Vec::new();
            for (g, r) in [
                ("doctors", "医師"),
                ("nurses", "看護師"),
                ("it-admins", "システム管理者"),
            ] {
                if person.groups.contains(&g) {
                    roles.push(r);
                }
            }
            AccountRow {
                system: SYSTEM.to_owned(),
                account_id: person.uid.to_owned(),
                name: Some(person.name.to_owned()),
                staff_id: Some(person.staff_id.to_owned()),
                role: if roles.is_empty() {
                    "一般".to_owned()
                } else {
                    roles.join("、")
                },
                status: Some(if i == RETIRED {
                    AccountStatus::Disabled
                } else {
                    AccountStatus::Enabled
                }),
                last_login: last_bind(i).map(|_| {
                    Date::new(2025, 11, i8::try_from(i + 1).unwrap_or(1)).unwrap_or_default()
                }),
                mfa: mfa(person),
                password_changed: Some(if i == 0 {
                    Date::new(2025, 4, 1).unwrap_or_default()
                } else {
                    Date::new(2025, 1, i8::try_from(i + 1).unwrap_or(1)).unwrap_or_default()
                }),
            }
        })
        .collect();
    rows.push(AccountRow {
        system: SYSTEM.to_owned(),
        account_id: "reception".to_owned(),
        name: Some("受付共用".to_owned()),
        staff_id: None,
        role: "一般".to_owned(),
        status: Some(AccountStatus::Enabled),
        last_login: None,
        mfa: None,
        password_changed: None,
    });
    rows.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    rows
}

fn expected_staff() -> Vec<StaffRow> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, person)| StaffRow {
            staff_id: person.staff_id.to_owned(),
            name: person.name.to_owned(),
            job: person.title.to_owned(),
            department: Some(person.department.to_owned()),
            hired: Some(hired(i)),
            retired: (i == RETIRED).then(retired_on),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn accounts_and_staff_over_starttls_and_ldaps() -> TestResult {
    let t0 = Instant::now();
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    eprintln!("slapd ready after {:?}", t0.elapsed());

    let starttls = slapd.accounts_config();
    let accounts = fetch_accounts(&starttls, SYSTEM)?;
    let expected = expected_accounts();
    assert_eq!(accounts.len(), 21);
    for (got, want) in accounts.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(accounts, expected);
    let tanaka = accounts
        .iter()
        .find(|a| a.account_id == "tanaka")
        .ok_or("no tanaka")?;
    assert_eq!(tanaka.role, "医師、システム管理者");
    assert_eq!(tanaka.password_changed, Date::new(2025, 4, 1).ok());

    let mut ldaps = starttls.clone();
    ldaps.url = slapd.ldaps_url();
    ldaps.start_tls = false;
    ldaps.page_size = 10;
    assert_eq!(fetch_accounts(&ldaps, SYSTEM)?, expected);

    // Without the paged results control the server's size limit (10) cuts the search off.
    ldaps.page_size = 0;
    let err = fetch_accounts(&ldaps, SYSTEM).expect_err("21 entries in one search");
    eprintln!("{err}");
    assert!(
        matches!(
            err,
            DirectoryError::Server {
                step: Step::Search,
                code: 4,
                ..
            }
        ),
        "{err:?}"
    );

    let staff = fetch_staff(&slapd.staff_config("people"))?;
    assert_eq!(staff, expected_staff());
    let mut starttls_staff = slapd.staff_config("people");
    starttls_staff.url = slapd.ldap_url();
    starttls_staff.start_tls = true;
    assert_eq!(fetch_staff(&starttls_staff)?, staff);

    // The same settings survive anzen.toml.
    let json = serde_json::to_string(&starttls)?;
    let back: DirectoryConfig = serde_json::from_str(&json)?;
    assert_eq!(fetch_accounts(&back, SYSTEM)?, expected);
    eprintln!("done after {:?}", t0.elapsed());
    Ok(())
}

#[test]
fn wrong_password_is_a_bind_error() {
    let Some(slapd) = Slapd::start() else { return };
    for mut cfg in [slapd.accounts_config(), slapd.staff_config("people")] {
        cfg.bind_password = "wrong-password".to_owned();
        let err = fetch_staff(&cfg).expect_err("a wrong password must not bind");
        assert!(
            matches!(err, DirectoryError::BadCredentials { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        eprintln!("{msg}");
        assert!(
            msg.contains("バインドに失敗しました（DN または パスワードが違います）")
                && msg.contains(&cfg.url)
                && msg.contains(READER_DN),
            "{msg}"
        );
    }
}

#[test]
fn an_untrusted_ca_fails_tls() {
    let Some(slapd) = Slapd::start() else { return };
    let other = pki("some other CA").expect("certificates");
    let mut ldaps = slapd.staff_config("people");
    ldaps.ca_cert_pem = Some(other.ca_pem.clone());
    let err = fetch_staff(&ldaps).expect_err("LDAPS with the wrong CA");
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(
        matches!(
            err,
            DirectoryError::Tls {
                step: Step::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        msg.contains(&slapd.ldaps_url()) && msg.contains("TLS 接続を確立できません"),
        "{msg}"
    );

    let mut starttls = slapd.accounts_config();
    starttls.ca_cert_pem = Some(other.ca_pem);
    let err = fetch_accounts(&starttls, SYSTEM).expect_err("StartTLS with the wrong CA");
    eprintln!("{err}");
    assert!(
        matches!(
            err,
            DirectoryError::Tls {
                step: Step::StartTls,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("StartTLS"), "{err}");

    // Without ca_cert_pem the system's CAs are trusted, and they do not know this one.
    let mut system = slapd.staff_config("people");
    system.ca_cert_pem = None;
    let err = fetch_staff(&system).expect_err("LDAPS with the system CAs");
    assert!(matches!(err, DirectoryError::Tls { .. }), "{err:?}");
}

#[test]
fn the_service_account_cannot_write() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    // Plain LDAP on loopback is enough here: what matters is the server's answer.
    let dn = person_dn("suzuki");
    let mut reader = LdapConn::new(&slapd.ldap_url())?;
    reader.simple_bind(READER_DN, READER_PW)?.success()?;
    let modify = reader.modify(&dn, vec![Mod::Replace("title", HashSet::from(["院長"]))])?;
    assert_eq!(modify.rc, 50, "modify as the reader: {modify:?}");
    let add = reader.add(
        &format!("uid=intruder,ou=people,{SUFFIX}"),
        vec![
            ("objectClass", HashSet::from(["inetOrgPerson"])),
            ("uid", HashSet::from(["intruder"])),
            ("cn", HashSet::from(["intruder"])),
            ("sn", HashSet::from(["intruder"])),
        ],
    )?;
    assert_eq!(add.rc, 50, "add as the reader: {add:?}");
    let delete = reader.delete(&dn)?;
    assert_eq!(delete.rc, 50, "delete as the reader: {delete:?}");
    let password = reader.modify(
        READER_DN,
        vec![Mod::Replace("userPassword", HashSet::from(["changed"]))],
    )?;
    assert_eq!(password.rc, 50, "own password as the reader: {password:?}");
    let _ = reader.unbind();

    // The refusal is the ACL's: the writer may change the same entry.
    let mut writer = LdapConn::new(&slapd.ldap_url())?;
    writer.simple_bind(WRITER_DN, WRITER_PW)?.success()?;
    writer
        .modify(
            &dn,
            vec![Mod::Replace("title", HashSet::from(["看護師長"]))],
        )?
        .success()?;
    let _ = writer.unbind();
    let staff = fetch_staff(&slapd.staff_config("people"))?;
    let suzuki = staff
        .iter()
        .find(|s| s.staff_id == "S002")
        .ok_or("no S002")?;
    assert_eq!(suzuki.job, "看護師長");
    Ok(())
}

#[test]
fn an_unreadable_value_names_the_entry_and_the_attribute() {
    let Some(slapd) = Slapd::start() else { return };
    let err = fetch_staff(&slapd.staff_config("broken")).expect_err("昨年の春 is no date");
    assert_eq!(
        err.to_string(),
        format!("cn=broken,ou=broken,{SUFFIX} の anzenHired『昨年の春』を日時として読めません")
    );

    // A mapping that reads a date from a text attribute fails the same way.
    let mut cfg = slapd.staff_config("people");
    cfg.attributes.staff.hired = Some(TimeAttribute::auto("departmentNumber"));
    let err = fetch_staff(&cfg).expect_err("内科 is no date");
    let msg = err.to_string();
    assert!(
        msg.contains(",ou=people,dc=example,dc=jp の departmentNumber『")
            && msg.contains("』を日時として読めません"),
        "{msg}"
    );
}

#[test]
fn a_missing_attribute_fails_unless_skip_incomplete() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    let mut cfg = slapd.staff_config("incomplete");
    let err = fetch_staff(&cfg).expect_err("cn=notitle has no title");
    assert_eq!(
        err.to_string(),
        format!("cn=notitle,ou=incomplete,{SUFFIX} に必須の属性 title（職種）がありません")
    );
    cfg.skip_incomplete = true;
    let detailed = fetch_staff_detailed(&cfg)?;
    assert_eq!(detailed.skipped.len(), 1);
    assert!(
        detailed.skipped[0].to_string().starts_with("cn=notitle,"),
        "{:?}",
        detailed.skipped
    );
    let staff = fetch_staff(&cfg)?;
    assert_eq!(staff, detailed.rows);
    assert_eq!(
        staff
            .iter()
            .map(|s| s.staff_id.as_str())
            .collect::<Vec<_>>(),
        ["C001"]
    );

    // A search base that does not exist is the server's answer, with a hint.
    let mut cfg = slapd.staff_config("nowhere");
    cfg.skip_incomplete = false;
    let err = fetch_staff(&cfg).expect_err("no such base");
    eprintln!("{err}");
    assert!(
        err.to_string().contains("検索ベースが見つかりません"),
        "{err}"
    );
    Ok(())
}

#[test]
fn nothing_listening_is_a_connection_error() {
    // No slapd needed: a loopback port nobody listens on.
    let port = free_port();
    let mut cfg = DirectoryConfig::new(
        format!("ldaps://127.0.0.1:{port}"),
        SUFFIX,
        AttributeMap::openldap(&format!("ou=groups,{SUFFIX}")),
    );
    cfg.bind_dn = READER_DN.to_owned();
    cfg.bind_password = READER_PW.to_owned();
    cfg.timeout = Duration::from_secs(5);
    let err = fetch_staff(&cfg).expect_err("nothing listens");
    eprintln!("{err}");
    assert!(matches!(err, DirectoryError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("ldaps://127.0.0.1:{port} に接続できません")),
        "{err}"
    );
}

#[test]
fn the_active_directory_preset_reads_ad_shaped_entries() -> TestResult {
    let Some(slapd) = Slapd::start() else {
        return Ok(());
    };
    let mut cfg = slapd.staff_config("ad");
    cfg.attributes = AttributeMap::active_directory();
    cfg.filter = "(objectClass=user)".to_owned();
    let d = |y, m, day| Date::new(y, m, day).ok();

    // The preset: every group by its cn.
    let accounts = fetch_accounts(&cfg, "AD")?;
    let ids: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, ["adm-t.tanaka", "h.suzuki", "svc-backup", "t.tanaka"]);
    let [admin, suzuki, svc, tanaka] = accounts.as_slice() else {
        return Err("four accounts".into());
    };
    assert_eq!(admin.staff_id.as_deref(), Some("S001"));
    assert_eq!(admin.role, "Domain Admins");
    assert_eq!(tanaka.name.as_deref(), Some("田中 一郎"));
    assert_eq!(tanaka.staff_id.as_deref(), Some("S001"));
    assert_eq!(tanaka.role, "Domain Admins、EHR-Doctors");
    assert_eq!(tanaka.status, Some(AccountStatus::Enabled));
    assert_eq!(tanaka.password_changed, d(2025, 4, 1));
    assert_eq!(tanaka.last_login, d(2025, 11, 20));
    assert_eq!(tanaka.mfa, None);
    assert_eq!(suzuki.status, Some(AccountStatus::Disabled));
    assert_eq!(suzuki.password_changed, None);
    assert_eq!(suzuki.last_login, None);
    assert_eq!(svc.staff_id, None);
    assert_eq!(svc.role, "一般");
    assert_eq!(svc.status, Some(AccountStatus::Enabled));
    assert_eq!(svc.password_changed, d(2024, 12, 31));
    assert_eq!(svc.last_login, None);

    // Named groups: only these count, by DN (any case) or cn.
    cfg.attributes.account.role.groups = vec![
        GroupRole {
            group: format!("cn=ehr-doctors,{AD_GROUPS}"),
            role: "医師".to_owned(),
        },
        GroupRole {
            group: "EHR-Nurses".to_owned(),
            role: "看護師".to_owned(),
        },
    ];
    let roles: Vec<String> = fetch_accounts(&cfg, "AD")?
        .into_iter()
        .map(|a| a.role)
        .collect();
    assert_eq!(roles, ["一般", "看護師", "一般", "医師"]);

    // The roster: one row for S001 (two accounts); the service account has no employeeID (slapd writes the DN with `cn=`).
    let err = fetch_staff(&cfg).expect_err("svc-backup has no employeeID");
    assert_eq!(
        err.to_string(),
        format!("cn=svc-backup,ou=ad,{SUFFIX} に必須の属性 employeeID（職員番号）がありません")
    );
    cfg.skip_incomplete = true;
    let staff = fetch_staff(&cfg)?;
    assert_eq!(
        staff,
        [
            StaffRow {
                staff_id: "S001".to_owned(),
                name: "田中 一郎".to_owned(),
                job: "医師".to_owned(),
                department: Some("内科".to_owned()),
                hired: None,
                retired: None,
            },
            StaffRow {
                staff_id: "S002".to_owned(),
                name: "鈴木 花子".to_owned(),
                job: "看護師".to_owned(),
                department: Some("外科".to_owned()),
                hired: None,
                retired: None,
            },
        ]
    );
    Ok(())
}

#[test]
fn duplicate_ids_name_both_entries() {
    let Some(slapd) = Slapd::start() else { return };
    let mut cfg = slapd.staff_config("dup");
    cfg.filter = "(uid=*)".to_owned();
    let err = fetch_accounts(&cfg, SYSTEM).expect_err("uid=same twice");
    assert_eq!(
        err.to_string(),
        format!(
            "uid=same,ou=a,ou=dup,{SUFFIX} と uid=same,ou=b,ou=dup,{SUFFIX} の uid『same』が重複しています（アカウントIDは一意である必要があります）"
        )
    );
    cfg.skip_incomplete = true; // not an incomplete entry: still an error
    let err = fetch_staff(&cfg).expect_err("D001 twice, different titles");
    assert!(
        matches!(
            err,
            DirectoryError::Duplicate {
                column: "職員番号",
                ..
            }
        ),
        "{err:?}"
    );
}
