//! Contacts, incidents (timeline, notifications), backup jobs, restore drills and BCP
//! versions on SQLite and PostgreSQL: round trips, tenant isolation, approval freezing a
//! version, and every change in the ledger.

use anzen_core::OrgKind;
use anzen_store::accounts::{self, SystemData};
use anzen_store::continuity::{self, BackupJobData, Drill, SystemPlan};
use anzen_store::incident::{self, ContactData, IncidentData, Notification};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, testing};

fn contact(role: &str, name: &str) -> ContactData {
    ContactData {
        role: role.into(),
        name: name.into(),
        organisation: None,
        phone: Some("03-0000-0000".into()),
        email: None,
        hours: Some("24時間".into()),
        escalation_order: None,
        note: None,
    }
}

#[test]
fn contacts_and_incidents() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");

        let mut first = contact("csirt", "佐藤");
        first.escalation_order = Some(1);
        let unordered = incident::save_contact(&mut c, &org, "u", None, &contact("ppc", "PPC"))
            .expect("contact");
        let ordered = incident::save_contact(&mut c, &org, "u", None, &first).expect("contact");
        let list = incident::contacts(&mut c, &org).expect("list");
        assert_eq!(
            list.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![ordered.id, unordered.id],
            "{b}: escalation order first, unordered last"
        );
        assert!(
            incident::contacts(&mut c, &other)
                .expect("other")
                .is_empty()
        );
        assert!(matches!(
            incident::save_contact(&mut c, &other, "u", Some(ordered.id), &first),
            Err(StoreError::NotFound(_))
        ));
        let mut changed = first.clone();
        changed.email = Some("csirt@example.jp".into());
        incident::save_contact(&mut c, &org, "u", Some(ordered.id), &changed).expect("update");
        assert_eq!(
            incident::contact(&mut c, &org, ordered.id)
                .expect("get")
                .expect("some")
                .data
                .email
                .as_deref(),
            Some("csirt@example.jp")
        );
        incident::delete_contact(&mut c, &org, "u", unordered.id).expect("delete");
        assert_eq!(incident::contacts(&mut c, &org).expect("list").len(), 1);

        let d = IncidentData {
            title: "ランサムウェア感染の疑い".into(),
            status: "suspected".into(),
            discovered_at: 1_700_000_000_000_000,
            personal_data_leak: true,
            sensitive_data: true,
            malicious: true,
            cyber_attack: true,
            people_affected: Some(1200),
            summary: Some("電子カルテサーバのファイルが暗号化された".into()),
            ..IncidentData::default()
        };
        let inc = c
            .transaction(|c| incident::create_incident(c, &org, "u", &d, "疑い"))
            .expect("create");
        assert_eq!(inc.data, d, "{b}");
        assert!(inc.closed_at.is_none());
        assert!(
            incident::incident(&mut c, &other, inc.id)
                .expect("get")
                .is_none()
        );
        let mut closed = d.clone();
        closed.status = "closed".into();
        let after =
            incident::update_incident(&mut c, &org, "u", inc.id, &closed, "終結").expect("update");
        assert!(after.closed_at.is_some(), "{b}");
        incident::add_event(
            &mut c,
            &org,
            "u",
            inc.id,
            1_700_000_100_000_000,
            "action",
            "LANケーブルを抜いた",
        )
        .expect("event");
        incident::add_notification(
            &mut c,
            &org,
            "u",
            inc.id,
            &Notification {
                id: 0,
                body: "ppc".into(),
                what: "preliminary".into(),
                notified_at: 1_700_000_200_000_000,
                by_whom: "佐藤".into(),
                method: Some("ウェブフォーム".into()),
                note: None,
            },
            "個人情報保護委員会へ速報",
        )
        .expect("notification");
        assert!(matches!(
            incident::add_event(&mut c, &other, "u", inc.id, 0, "action", "x"),
            Err(StoreError::NotFound(_))
        ));
        let events: Vec<String> = incident::events(&mut c, &org, inc.id)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            events,
            vec!["action", "notification", "status", "status"],
            "{b}: in time order (registration and closing happen now, after 2023)"
        );
        let n = incident::notifications(&mut c, &org, inc.id).expect("notifications");
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].what, "preliminary");

        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "contact.create",
            "contact.update",
            "contact.delete",
            "incident.create",
            "incident.update",
            "incident.event",
            "incident.notification",
        ] {
            assert!(kinds.contains(&k.to_owned()), "{b} {k}");
        }
    }
}

#[test]
fn backups_drills_and_bcp_versions() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let sys = accounts::save_system(
            &mut c,
            &org,
            "u",
            None,
            &SystemData {
                name: "電子カルテ".into(),
                kind: "電子カルテ".into(),
                owner: None,
                vendor: None,
                supports_mfa: false,
                min_password_len: None,
                note: None,
            },
        )
        .expect("system");
        let job = BackupJobData {
            system_id: sys.id,
            method: "NAS".into(),
            generations: 7,
            offline: false,
            location: Some("サーバ室".into()),
            frequency_days: 1,
            last_success: Some("2026-11-20".into()),
            note: None,
        };
        let saved = continuity::save_job(&mut c, &org, "u", None, &job).expect("job");
        assert_eq!(saved.data, job, "{b}");
        // Another organisation cannot attach a job to this system.
        assert!(matches!(
            continuity::save_job(&mut c, &other, "u", None, &job),
            Err(StoreError::NotFound(_))
        ));
        let mut tape = job.clone();
        tape.method = "LTOテープ".into();
        tape.offline = true;
        let t = continuity::save_job(&mut c, &org, "u", None, &tape).expect("job");
        continuity::delete_job(&mut c, &org, "u", t.id).expect("delete");
        assert_eq!(continuity::jobs(&mut c, &org).expect("jobs").len(), 1);

        let plan = SystemPlan {
            system_id: sys.id,
            needed: true,
            reason: None,
            restore_procedure: Some("1. NAS から最新世代を復元".into()),
        };
        continuity::save_system_plan(&mut c, &org, "u", &plan).expect("plan");
        continuity::save_system_plan(&mut c, &org, "u", &plan).expect("plan again");
        assert_eq!(
            continuity::system_plans(&mut c, &org).expect("plans"),
            vec![plan]
        );
        let drill = continuity::add_drill(
            &mut c,
            &org,
            "u",
            &Drill {
                id: 0,
                system_id: sys.id,
                drill_date: "2026-10-01".into(),
                ok: true,
                minutes: Some(95),
                note: None,
                recorded_by: String::new(),
            },
        )
        .expect("drill");
        assert_eq!(drill.recorded_by, "u");
        assert_eq!(continuity::drills(&mut c, &org).expect("drills").len(), 1);
        assert!(
            continuity::drills(&mut c, &other)
                .expect("drills")
                .is_empty()
        );

        // Drafts are edited in place; approval freezes a version; the next save starts v2.
        assert!(matches!(
            continuity::approve_bcp(&mut c, &org, "u", "院長", "2026-11-01", None),
            Err(StoreError::Conflict(_))
        ));
        let v1 = continuity::save_bcp(&mut c, &org, "u", "{}", None).expect("v1");
        let v1b = continuity::save_bcp(&mut c, &org, "u", "{\"reconciliation\":\"x\"}", None)
            .expect("v1 again");
        assert_eq!((v1.version, v1b.version, v1.id), (1, 1, v1b.id), "{b}");
        let ok =
            continuity::approve_bcp(&mut c, &org, "u", "院長", "2026-11-01", Some("2027-11-01"))
                .expect("approve");
        assert_eq!(ok.approved_on.as_deref(), Some("2026-11-01"));
        let v2 = continuity::save_bcp(&mut c, &org, "u", "{}", None).expect("v2");
        assert_eq!(v2.version, 2, "{b}");
        let versions = continuity::bcp_versions(&mut c, &org).expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(
            versions[1].plan, "{\"reconciliation\":\"x\"}",
            "{b}: v1 kept"
        );

        let kinds: Vec<String> = ledger::list(&mut c, org.id, &EntryQuery::default())
            .expect("ledger")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        for k in [
            "backup_job.create",
            "backup_job.delete",
            "backup_system.update",
            "restore_drill.create",
            "bcp.create",
            "bcp.update",
            "bcp.approve",
        ] {
            assert!(kinds.contains(&k.to_owned()), "{b} {k}");
        }
    }
}
