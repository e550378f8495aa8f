//! Monitoring settings and monthly access-log 監査 reports, on both backends.

use anzen_core::OrgKind;
use anzen_store::access_monitoring::{
    AuditReport, MonitoringSettings, StaffPatient, events_touching, quarantined_between, reports,
    set_settings, settings, sign_report,
};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, testing};

#[test]
fn settings_and_reports() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org = orgs::create(&mut c, &OrgProfile::new("試験医院", OrgKind::Clinic)).expect("org");
        let other = orgs::create(&mut c, &OrgProfile::new("他院", OrgKind::Clinic)).expect("org");
        let s = settings(&mut c, &org).expect("defaults");
        assert_eq!(s.settings, MonitoringSettings::default(), "{b}");
        assert!(s.updated.is_none(), "{b}");
        let mut new = MonitoringSettings {
            vip_patients: vec!["P-VIP".into()],
            staff_patients: vec![StaffPatient {
                patient: "P-9".into(),
                staff_id: "S001".into(),
            }],
            ..MonitoringSettings::default()
        };
        c.transaction(|c| set_settings(c, &org, "alice", &new))
            .expect("set");
        new.patients_per_hour = 5;
        c.transaction(|c| set_settings(c, &org, "bob", &new))
            .expect("update");
        let s = settings(&mut c, &org).expect("read");
        assert_eq!(s.settings, new, "{b}");
        assert_eq!(s.updated.map(|u| u.0).as_deref(), Some("bob"), "{b}");
        assert_eq!(
            settings(&mut c, &other).expect("other").settings,
            MonitoringSettings::default(),
            "{b}: per organisation"
        );

        let r = AuditReport {
            month: "2025-04".into(),
            summary: serde_json::json!({"events": 3}),
            checkpoint: Some("note".into()),
            note: Some("確認しました".into()),
            signed_by: "alice".into(),
            signed_at: 1,
        };
        c.transaction(|c| sign_report(c, &org, "alice", &r))
            .expect("sign");
        let again = c.transaction(|c| sign_report(c, &org, "alice", &r));
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{b}");
        assert_eq!(reports(&mut c, &org).expect("list"), vec![r], "{b}");
        assert!(reports(&mut c, &other).expect("other").is_empty(), "{b}");
        assert_eq!(
            quarantined_between(&mut c, &org, 0, i64::MAX).expect("q"),
            0,
            "{b}"
        );
        assert_eq!(
            events_touching(&mut c, &org, 0, i64::MAX).expect("events"),
            0,
            "{b}"
        );
    }
}
