//! `anzen import accounts|staff --ldap directory.toml` through the real binary against a
//! real OpenLDAP `slapd` (`anzen_directory::testing`), on SQLite and PostgreSQL: the
//! accounts and the roster are stored as `ldap` snapshots and the account rules run; a
//! wrong password is the directory's refusal (exit 2) with nothing stored.

use anzen_directory::testing::Slapd;
use anzen_store::accounts;
use anzen_store::testing;

mod datadir;
use datadir::DataDir;

#[test]
fn accounts_and_roster_from_ldap_on_the_command_line() {
    let Some(slapd) = Slapd::start() else {
        return;
    };
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, "LDAP試験病院");
        let work = d.dir.path();
        let accounts_toml = work.join("accounts.toml");
        std::fs::write(
            &accounts_toml,
            toml::to_string(&slapd.accounts_config()).expect("toml"),
        )
        .expect("write");
        let staff_toml = work.join("staff.toml");
        std::fs::write(
            &staff_toml,
            toml::to_string(&slapd.staff_config("people")).expect("toml"),
        )
        .expect("write");
        let mut wrong = slapd.accounts_config();
        wrong.bind_password = "wrong-Password-1".to_owned();
        let wrong_toml = work.join("wrong.toml");
        std::fs::write(&wrong_toml, toml::to_string(&wrong).expect("toml")).expect("write");
        let path = |p: &std::path::Path| p.to_str().expect("path").to_owned();

        let (code, out) = d.run(&[
            "import",
            "accounts",
            "--ldap",
            &path(&wrong_toml),
            "--system",
            "電子カルテ",
            "--register-systems",
        ]);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(out.contains("バインドに失敗しました"), "[{be}] {out}");

        let (code, out) = d.run(&["import", "staff", "--ldap", &path(&staff_toml)]);
        assert_eq!(code, 0, "[{be}] {out}");
        let (code, out) = d.run(&[
            "import",
            "accounts",
            "--ldap",
            &path(&accounts_toml),
            "--system",
            "電子カルテ",
            "--register-systems",
        ]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("電子カルテ: 21 accounts"), "[{be}] {out}");

        let store = d.store();
        let snaps = store
            .read(|c| {
                let org = anzen_store::orgs::all(c)?
                    .into_iter()
                    .next()
                    .expect("the org");
                accounts::snapshots(c, &org)
            })
            .expect("snapshots");
        assert_eq!(snaps.len(), 2, "[{be}] the failed import stored nothing");
        assert!(snaps.iter().all(|s| s.source == "ldap"), "[{be}]");
        assert_eq!(
            snaps.iter().map(|s| s.row_count).sum::<i64>(),
            41,
            "[{be}] 21 accounts and 20 staff"
        );

        let (code, out) = d.run(&["check", "--format", "json"]);
        assert!(code == 0 || code == 1, "[{be}] {out}");
        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {out}");
    }
}
