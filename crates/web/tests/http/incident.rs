//! Incident readiness over HTTP on both backends: the 連絡体制図 from empty (every required
//! role drawn as missing) through the pre-filled official bodies and the internal roles to
//! complete; a refused contact names its field; an incident registered with its PPC
//! deadlines; a backup job and drill; a BCP approved; the auditor reads but cannot write;
//! another organisation sees nothing; every change in the ledger; the xlsx export.

use anzen_core::Role;
use reqwest::StatusCode;

use crate::common::*;

const REQUIRED: [&str; 7] = [
    "administrator",
    "security_officer",
    "csirt",
    "mhlw",
    "ppc",
    "police",
    "ipa",
];

fn missing(html: &str, code: &str) -> bool {
    html.contains(&format!(r#"data-role="{code}" data-missing="true""#))
}

async fn incident_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let staff = app.sign_in(s.a_user(Role::Staff)).await;

    // Empty: every required role is drawn as missing.
    let (st, html) = staff.text(&format!("/o/{a}/incident/contacts")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"contacts-empty\""), "[{be}]");
    for code in REQUIRED {
        assert!(missing(&html, code), "[{be}] {code} drawn as missing");
    }

    // The official bodies, pre-filled without numbers: present but unreachable.
    let res = staff
        .post(&format!("/o/{a}/incident/contacts/prefill"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] prefill");
    let (_, html) = staff.text(&format!("/o/{a}/incident/contacts")).await;
    for code in ["mhlw", "ppc", "police", "ipa"] {
        assert!(!missing(&html, code), "[{be}] {code} pre-filled");
    }
    assert!(
        html.contains("に電話番号もメールアドレスもありません"),
        "[{be}]"
    );
    assert!(
        !html.contains("id=\"contacts-prefill\""),
        "[{be}] offered once"
    );

    // A bad e-mail is refused, naming the field; nothing is stored.
    let res = staff
        .post(
            &format!("/o/{a}/incident/contacts"),
            &[
                ("kind", "administrator"),
                ("name", "院長"),
                ("email", "inchou at example"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("「メールアドレス」inchou at example"),
        "[{be}]"
    );
    for (kind, name, phone) in [
        ("administrator", "院長 安全太郎", "090-1111-2222"),
        ("security_officer", "事務長 花子", "03-1111-2222（内線 1）"),
        ("csirt", "看護師長 一郎", "03-1111-2222"),
    ] {
        let res = staff
            .post(
                &format!("/o/{a}/incident/contacts"),
                &[("kind", kind), ("name", name), ("phone", phone)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] {kind}");
    }
    let (_, html) = staff.text(&format!("/o/{a}/incident/contacts/print")).await;
    for code in ["administrator", "security_officer", "csirt"] {
        assert!(
            html.contains(&format!(r#"data-role="{code}" data-missing="false""#)),
            "[{be}] {code} on the printed chart"
        );
    }
    assert!(missing(&html, "vendor"), "[{be}] no vendor yet");

    // An incident with patient data, discovered 2026-11-20 18:30 JST.
    let res = staff
        .post(
            &format!("/o/{a}/incident/incidents"),
            &[
                ("title", "ランサムウェア"),
                ("status", "suspected"),
                ("discovered_at", "2026-11-20T18:30"),
                ("personal_data_leak", "1"),
                ("sensitive_data", "1"),
                ("cyber_attack", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] incident");
    let detail = location(&res);
    let (_, html) = staff.text(&detail).await;
    let prelim = between(&html, "id=\"deadline-ppc-preliminary\"", "</tr>").expect("速報");
    assert!(
        prelim.contains("2026-11-23") && prelim.contains("2026-11-25"),
        "[{be}] {prelim}"
    );
    let fin = between(&html, "id=\"deadline-ppc-final\"", "</tr>").expect("確報");
    assert!(fin.contains("2026-12-20"), "[{be}] 30 days: {fin}");

    // A backup job and a drill for a system of the registry.
    let res = staff
        .post(
            &format!("/o/{a}/accounts/systems"),
            &[("name", "電子カルテ"), ("kind", "電子カルテ")],
        )
        .await;
    let system_id = location(&res).rsplit('/').next().expect("id").to_owned();
    let res = staff
        .post(
            &format!("/o/{a}/incident/backups/jobs"),
            &[
                ("system_id", system_id.as_str()),
                ("method", "NAS"),
                ("generations", "2"),
                ("frequency_days", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] job");
    let (_, html) = staff.text(&format!("/o/{a}/incident/backups")).await;
    for t in [
        "保持世代数が2世代で、方針の3世代に足りません",
        "マルウェアの影響が及ばないバックアップがありません",
        "成功記録がありません",
        "復旧訓練（リストアテスト）の記録がありません",
    ] {
        assert!(html.contains(t), "[{be}] {t}");
    }
    let res = staff
        .post(
            &format!("/o/{a}/incident/backups/drills"),
            &[
                ("system_id", system_id.as_str()),
                ("date", "2026-11-01"),
                ("result", "ok"),
                ("minutes", "90"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] drill");

    // The auditor reads everything but changes nothing; staff cannot approve the BCP.
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;
    assert_eq!(
        auditor.get(&format!("/o/{a}/incident/card")).await.status(),
        StatusCode::OK,
        "[{be}]"
    );
    let res = auditor
        .post(
            &format!("/o/{a}/incident/contacts"),
            &[("kind", "ipa"), ("name", "x"), ("phone", "03")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] auditor");
    let res = staff
        .post(
            &format!("/o/{a}/incident/bcp"),
            &[
                ("critical_functions", "外来診療,1,当日中"),
                ("degraded_operation", "紙カルテ"),
                ("break_glass", "電子カルテ,emergency,金庫"),
                ("break_glass_review", "翌日に確認"),
                ("recovery_order", "電子カルテ"),
                ("reconciliation", "後入力"),
                ("initial_response", "LAN を抜く"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] bcp");
    let approve = [
        ("approved_by", "院長"),
        ("approved_on", "2026-11-01"),
        ("next_review", "2027-11-01"),
    ];
    let res = staff
        .post(&format!("/o/{a}/incident/bcp/approve"), &approve)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}] staff approve");
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let res = officer
        .post(&format!("/o/{a}/incident/bcp/approve"), &approve)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] approve");
    let (_, html) = staff.text(&format!("/o/{a}/incident/bcp")).await;
    assert!(html.contains("第1版（2026-11-01 承認"), "[{be}]");

    // Another organisation sees nothing of A's.
    let b_admin = app.sign_in(&s.b_admin).await;
    for path in [
        format!("/o/{a}/incident/contacts"),
        format!("/o/{a}/incident/contacts/print"),
        detail.clone(),
        format!("/o/{a}/incident/export.xlsx"),
    ] {
        assert_eq!(
            b_admin.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "[{be}] {path}"
        );
    }

    // The export, recorded; every change in A's ledger.
    let res = auditor.get(&format!("/o/{a}/incident/export.xlsx")).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}] export");
    assert!(
        res.bytes().await.expect("xlsx").starts_with(b"PK"),
        "[{be}]"
    );
    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "contact.create",
        "incident.create",
        "backup_job.create",
        "restore_drill.create",
        "bcp.create",
        "bcp.approve",
        "export.incident",
        "finding.open",
    ] {
        assert!(kinds.iter().any(|x| x == k), "[{be}] {k} in {kinds:?}");
    }
}

#[test]
fn incident_readiness_contacts_register_backups_bcp() {
    run(test_config(), incident_body);
}
