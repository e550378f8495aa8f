//! `anzen import access-policy` and `anzen export access-policy` through the real binary on
//! SQLite and PostgreSQL: an unknown system refuses the file (exit 2, line named, nothing
//! stored), `--dry-run` prints the per-system summary and stores nothing, the import replaces
//! the policy and re-runs the account rules, and an export imports back without change.

use anzen_store::testing;

mod datadir;
use datadir::DataDir;

const POLICY: &str = "システム名,区分,職種,権限,アカウントID,責任者,開始日,終了日,備考\r\n\
電子カルテ,許可,医師,医師,,,,,\r\n\
電子カルテ,許可,看護師,看護師,,,,,\r\n\
電子カルテ,責任者,,,admin,佐藤 花子,,,\r\n";

/// Open findings of `rule` (subjects), from `anzen check --format json`.
fn open(d: &DataDir, rule: &str) -> Vec<String> {
    let (_, out) = d.run(&["check", "--format", "json"]);
    let (Some(start), Some(end)) = (out.find('['), out.rfind(']')) else {
        panic!("no json: {out}");
    };
    let v: serde_json::Value = serde_json::from_str(&out[start..=end]).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["subject"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn access_policy_import_dry_run_and_round_trip_from_the_command_line() {
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, "権限表テスト病院");
        let work = d.dir.path();
        let p = |name: &str| work.join(name).to_string_lossy().into_owned();
        std::fs::write(
            p("staff.csv"),
            "職員番号,氏名,職種\r\n1001,山田 太郎,医師\r\n1002,鈴木 花子,看護師\r\n",
        )
        .expect("write");
        std::fs::write(
            p("accounts.csv"),
            "システム,アカウントID,氏名,職員番号,権限,状態\r\n電子カルテ,yamada,山田 太郎,1001,医師,有効\r\n電子カルテ,suzuki,鈴木 花子,1002,医師,有効\r\n電子カルテ,admin,,,システム管理者,有効\r\n",
        )
        .expect("write");
        let (code, out) = d.run(&["import", "staff", &p("staff.csv")]);
        assert_eq!(code, 0, "[{be}] {out}");
        let (code, out) = d.run(&[
            "import",
            "accounts",
            &p("accounts.csv"),
            "--register-systems",
        ]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(
            open(&d, "account.role_not_allowed").is_empty(),
            "[{be}] no policy yet"
        );
        assert_eq!(
            open(&d, "account.shared_unowned").len() + open(&d, "account.admin_unowned").len(),
            1,
            "[{be}] admin has no owner yet"
        );

        // An unknown system: exit 2, the line named, nothing stored.
        std::fs::write(
            p("bad.csv"),
            format!("{POLICY}検査,許可,医師,医師,,,,,\r\n"),
        )
        .expect("write");
        let (code, out) = d.run(&["import", "access-policy", &p("bad.csv")]);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(
            out.contains("bad.csv 5行目 『システム名』: システム「検査」は登録されていません"),
            "[{be}] {out}"
        );
        // A row without what its 区分 needs: exit 2, line and column named.
        std::fs::write(
            p("bad2.csv"),
            POLICY.replace("責任者,,,admin,佐藤 花子", "責任者,,,admin,"),
        )
        .expect("write");
        let (code, out) = d.run(&["import", "access-policy", &p("bad2.csv")]);
        assert_eq!(code, 2, "[{be}] {out}");
        assert!(
            out.contains("bad2.csv 4行目 『責任者』: 区分「責任者」では責任者が必要です"),
            "[{be}] {out}"
        );

        // Dry run: the per-system summary, nothing stored.
        std::fs::write(p("policy.csv"), POLICY).expect("write");
        let (code, out) = d.run(&["import", "access-policy", &p("policy.csv"), "--dry-run"]);
        assert_eq!(code, 0, "[{be}] {out}");
        let summary = "電子カルテ: 許可 0→2件、管理者権限 0→0件、責任者 0→1件、保守期間 0→0件（追加 3件・削除 0件）";
        assert!(out.contains(summary), "[{be}] {out}");
        assert!(
            out.contains("  + 責任者 アカウント「admin」→ 佐藤 花子"),
            "[{be}] {out}"
        );
        assert!(out.contains("dry run"), "[{be}]");
        let (code, out) = d.run(&["import", "access-policy", &p("policy.csv"), "--dry-run"]);
        assert_eq!(code, 0, "[{be}]");
        assert!(out.contains(summary), "[{be}] still nothing stored: {out}");

        // The import: the policy replaced, the rules run again.
        let (code, out) = d.run(&["import", "access-policy", &p("policy.csv")]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(
            out.contains("policy of 1 system(s) changed"),
            "[{be}] {out}"
        );
        assert_eq!(
            open(&d, "account.role_not_allowed"),
            vec!["account:電子カルテ/suzuki".to_owned()],
            "[{be}] 看護師 holding 医師"
        );

        // Export (CSV and xlsx) → import: no change.
        for format in ["csv", "xlsx"] {
            let file = p(&format!("export.{format}"));
            let (code, out) = d.run(&[
                "export",
                "access-policy",
                "--format",
                format,
                "--out",
                &file,
            ]);
            assert_eq!(code, 0, "[{be}] {out}");
            assert!(out.contains("3 access policy entries"), "[{be}] {out}");
            let (code, out) = d.run(&["import", "access-policy", &file]);
            assert_eq!(code, 0, "[{be}] {out}");
            assert!(out.contains("（変更なし）"), "[{be}] {out}");
            assert!(
                out.contains("policy of 0 system(s) changed"),
                "[{be}] {out}"
            );
        }

        // Allowing 看護師 the 医師 role resolves the finding.
        std::fs::write(
            p("next.csv"),
            POLICY.replace("看護師,看護師", "看護師,医師"),
        )
        .expect("write");
        let (code, out) = d.run(&["import", "access-policy", &p("next.csv")]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("resolved 1"), "[{be}] {out}");
        assert!(open(&d, "account.role_not_allowed").is_empty(), "[{be}]");

        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {out}");
    }
}
