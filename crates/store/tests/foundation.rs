//! The same suite on SQLite and PostgreSQL: organisations, memberships, users, sessions,
//! API tokens.

use anzen_core::{OrgKind, Role};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{StoreError, sessions, testing, tokens, users};

#[test]
fn orgs_and_memberships_round_trip() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let mut profile = OrgProfile::new("さくら内科クリニック", OrgKind::Clinic);
        profile.prefecture = Some("東京都".into());
        profile.beds = Some(19);
        let a = orgs::create(&mut c, &profile).expect("create a");
        let other = orgs::create(&mut c, &OrgProfile::new("みどり薬局", OrgKind::Pharmacy))
            .expect("create b");
        assert_ne!(a.uid, other.uid, "{b}");
        let got = orgs::get(&mut c, a.id).expect("get").expect("exists");
        assert_eq!(got, a, "{b}");

        profile.security_officer = Some("山田 太郎".into());
        orgs::update(&mut c, a.id, &profile).expect("update");
        assert_eq!(
            orgs::get(&mut c, a.id)
                .expect("get")
                .expect("exists")
                .profile
                .security_officer
                .as_deref(),
            Some("山田 太郎"),
            "{b}"
        );
        assert_eq!(
            orgs::find(&mut c, "みどり薬局")
                .expect("find")
                .map(|o| o.id),
            Some(other.id),
            "{b}"
        );

        let u =
            users::create(&mut c, "Yamada@Example.jp", "山田 太郎", "$argon2id$x").expect("user");
        assert_eq!(u.email, "yamada@example.jp", "{b}");
        assert!(matches!(
            users::create(&mut c, "yamada@example.jp", "dup", "h"),
            Err(StoreError::Conflict(_))
        ));
        orgs::add_member(&mut c, a.id, u.id, Role::Admin).expect("member a");
        orgs::add_member(&mut c, other.id, u.id, Role::Auditor).expect("member b");
        orgs::add_member(&mut c, other.id, u.id, Role::Staff).expect("role change");
        let ms = orgs::memberships_of(&mut c, u.id).expect("memberships");
        assert_eq!(ms.len(), 2, "{b}");
        assert_eq!(
            orgs::role_of(&mut c, u.id, other.id).expect("role"),
            Some(Role::Staff),
            "{b}"
        );
        orgs::remove_member(&mut c, other.id, u.id).expect("remove");
        assert_eq!(
            orgs::role_of(&mut c, u.id, other.id).expect("role"),
            None,
            "{b}"
        );
    }
}

#[test]
fn totp_steps_are_accepted_once_and_lockout_counts() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let u = users::create(&mut c, "a@example.jp", "A", "h1").expect("user");
        assert!(
            users::accept_totp_step(&mut c, u.id, 100).expect("step"),
            "{b}"
        );
        assert!(
            !users::accept_totp_step(&mut c, u.id, 100).expect("replay"),
            "{b}"
        );
        assert!(
            !users::accept_totp_step(&mut c, u.id, 99).expect("older"),
            "{b}"
        );
        assert!(
            users::accept_totp_step(&mut c, u.id, 101).expect("next"),
            "{b}"
        );

        for _ in 0..4 {
            users::record_failed_login(&mut c, u.id, 5, 60_000_000).expect("fail");
        }
        assert!(
            users::get(&mut c, u.id)
                .expect("get")
                .expect("u")
                .locked_until
                .is_none(),
            "{b}"
        );
        users::record_failed_login(&mut c, u.id, 5, 60_000_000).expect("fail");
        assert!(
            users::get(&mut c, u.id)
                .expect("get")
                .expect("u")
                .locked_until
                .is_some(),
            "{b}"
        );

        users::set_password(&mut c, u.id, "h2", false).expect("pw");
        let hist = users::recent_password_hashes(&mut c, u.id, 5).expect("hist");
        assert_eq!(hist.len(), 2, "{b}");
        assert!(
            hist.contains(&"h1".to_owned()) && hist.contains(&"h2".to_owned()),
            "{b}"
        );

        users::replace_recovery_codes(&mut c, u.id, &["r1".into(), "r2".into()]).expect("codes");
        assert!(
            users::use_recovery_code(&mut c, u.id, "r1").expect("use"),
            "{b}"
        );
        assert!(
            !users::use_recovery_code(&mut c, u.id, "r1").expect("reuse"),
            "{b}"
        );
        assert_eq!(
            users::unused_recovery_codes(&mut c, u.id).expect("count"),
            1,
            "{b}"
        );
    }
}

#[test]
fn sessions_and_tokens() {
    for db in testing::all() {
        let b = db.backend;
        let mut c = db.store.conn().expect("conn");
        let org =
            orgs::create(&mut c, &OrgProfile::new("テスト病院", OrgKind::Hospital)).expect("org");
        let u = users::create(&mut c, "t@example.jp", "T", "h").expect("user");
        let sid = sessions::create(&mut c, u.id, Some(org.id)).expect("session");
        let s = sessions::get(&mut c, &sid).expect("get").expect("exists");
        assert!(!s.mfa_done, "{b}");
        sessions::set_mfa_done(&mut c, &sid).expect("mfa");
        assert!(
            sessions::get(&mut c, &sid)
                .expect("get")
                .expect("exists")
                .mfa_done,
            "{b}"
        );
        assert!(
            sessions::get(&mut c, "not-a-session")
                .expect("get")
                .is_none(),
            "{b}"
        );
        sessions::delete(&mut c, &sid).expect("delete");
        assert!(sessions::get(&mut c, &sid).expect("get").is_none(), "{b}");

        let far = anzen_store::now_us() + 3_600_000_000;
        let (t, secret) =
            tokens::create(&mut c, u.id, org.id, "ci", &["read"], far).expect("token");
        assert!(secret.starts_with(tokens::TOKEN_PREFIX), "{b}");
        assert_eq!(
            tokens::authenticate(&mut c, &secret)
                .expect("auth")
                .map(|x| x.id),
            Some(t.id),
            "{b}"
        );
        assert!(
            tokens::authenticate(&mut c, "anzen_pat_wrong")
                .expect("auth")
                .is_none(),
            "{b}"
        );
        assert!(
            tokens::revoke(&mut c, u.id, org.id, t.id).expect("revoke"),
            "{b}"
        );
        assert!(
            tokens::authenticate(&mut c, &secret)
                .expect("auth")
                .is_none(),
            "{b}"
        );
        let (_, expired) =
            tokens::create(&mut c, u.id, org.id, "old", &["read"], 1).expect("token");
        assert!(
            tokens::authenticate(&mut c, &expired)
                .expect("auth")
                .is_none(),
            "{b}"
        );
    }
}

#[test]
fn transactions_roll_back_on_error() {
    for db in testing::all() {
        let b = db.backend;
        let r: Result<(), StoreError> = db.store.write(|c| {
            orgs::create(c, &OrgProfile::new("途中で失敗", OrgKind::Clinic))?;
            Err(StoreError::Conflict("boom".into()))
        });
        assert!(r.is_err());
        let mut c = db.store.conn().expect("conn");
        assert!(
            orgs::all(&mut c).expect("all").is_empty(),
            "{b}: nothing half-written"
        );
    }
}
