//! Governance records over HTTP on both backends: the 運用管理規程 generated from the
//! template, edited (a bad form names its field), approved only by 管理者・安全管理責任者,
//! printed and reviewed; a training session with attendees from the roster and a
//! free-text attendee, the per-staff attendance naming who is missing, the テキスト upload
//! and download; the PDCA calendar; the dashboard reminder that goes away once the 規程 is
//! approved; another organisation sees nothing; every change in the ledger.

use anzen_core::Role;
use anzen_store::accounts::{self, Source, StaffRecord};
use reqwest::StatusCode;
use reqwest::multipart::{Form as Multipart, Part};

use crate::common::*;

fn roster() -> Vec<StaffRecord> {
    [
        ("001", "山田 太郎"),
        ("002", "佐藤 花子"),
        ("003", "鈴木 一郎"),
    ]
    .iter()
    .map(|(id, name)| StaffRecord {
        staff_id: (*id).into(),
        name: (*name).into(),
        job: "看護師".into(),
        department: Some("看護部".into()),
        hired: Some("2020-04-01".into()),
        retired: None,
    })
    .collect()
}

async fn governance_body(app: App) {
    let s = app.seed.clone();
    let (a, be) = (s.a.id.0, app.backend);
    let today = anzen_web::today_jst().to_string();
    let staff = app.sign_in(s.a_user(Role::Staff)).await;
    let officer = app.sign_in(s.a_user(Role::SecurityOfficer)).await;
    let auditor = app.sign_in(s.a_user(Role::Auditor)).await;

    // Nothing yet: the empty state, a finding, and the dashboard reminds of the review.
    let (st, html) = staff.text(&format!("/o/{a}/governance/policy")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(html.contains("id=\"policy-empty\""), "[{be}]");
    assert!(html.contains("運用管理"), "[{be}] nav link");
    let (_, dash) = staff.text(&format!("/o/{a}/")).await;
    assert!(dash.contains("id=\"pdca-reminders\""), "[{be}]");
    assert!(
        dash.contains("data-kind=\"policy_review\""),
        "[{be}] the policy review is overdue or due within 30 days"
    );

    // Generate from the template: the facility's name is filled in.
    let res = staff
        .post(&format!("/o/{a}/governance/policy/generate"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] generate");
    let (_, html) = staff.text(&format!("/o/{a}/governance/policy")).await;
    assert!(
        html.contains(&format!("{A_NAME} 医療情報システム運用管理規程")),
        "[{be}]"
    );
    assert!(html.contains("第14条"), "[{be}] every template section");
    assert!(
        html.contains("id=\"policy-unfilled\""),
        "[{be}] no officer set"
    );
    assert!(
        html.contains("承認された運用管理規程がありません"),
        "[{be}] finding"
    );

    // A bad edit is refused, naming the field; a good one replaces the draft.
    let res = staff
        .post(
            &format!("/o/{a}/governance/policy"),
            &[("title", ""), ("heading_0", ""), ("body_0", "本文")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    let body = res.text().await.expect("body");
    assert!(body.contains("「表題」を入力してください"), "[{be}]");
    assert!(
        body.contains("第1条: 「見出し」を入力してください"),
        "[{be}]"
    );
    let res = staff
        .post(
            &format!("/o/{a}/governance/policy"),
            &[
                ("title", "あんぜん内科 運用管理規程"),
                ("code_0", "purpose"),
                ("heading_0", "目的"),
                ("body_0", "この規程は安全管理のために定める。"),
                ("code_1", "training"),
                ("heading_1", "教育と訓練"),
                (
                    "body_1",
                    "年1回研修を行い、テキストと出席者リストを保存する。",
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] edit");

    // Only 管理者・安全管理責任者 approve; the auditor writes nothing.
    let approve = [
        ("approved_by", "院長 安全太郎"),
        ("approved_on", today.as_str()),
    ];
    for b in [&staff, &auditor] {
        let res = b
            .post(&format!("/o/{a}/governance/policy/approve"), &approve)
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    }
    let res = auditor
        .post(&format!("/o/{a}/governance/policy/generate"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{be}]");
    let res = officer
        .post(&format!("/o/{a}/governance/policy/approve"), &approve)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] approve");
    let (_, html) = officer.text(&format!("/o/{a}/governance/policy")).await;
    assert!(html.contains("第1版（"), "[{be}] in force");
    assert!(
        !html.contains("承認された運用管理規程がありません"),
        "[{be}] resolved"
    );
    assert!(
        !html.contains("id=\"policy-approve-form\""),
        "[{be}] nothing to approve"
    );

    // The A4 print view.
    let (st, print) = auditor
        .text(&format!("/o/{a}/governance/policy/print"))
        .await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    assert!(print.contains("あんぜん内科 運用管理規程"), "[{be}]");
    assert!(print.contains("第2条（教育と訓練）"), "[{be}]");
    assert!(print.contains("院長 安全太郎"), "[{be}] approver");
    assert!(print.contains("class=\"print-sheet\""), "[{be}]");

    // The yearly review.
    let res = officer
        .post(
            &format!("/o/{a}/governance/policy/review"),
            &[
                ("reviewed_by", "院長 安全太郎"),
                ("reviewed_on", today.as_str()),
                ("outcome", "unchanged"),
                ("note", "体制の変更なし"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] review");
    let (_, html) = officer.text(&format!("/o/{a}/governance/policy")).await;
    assert!(html.contains("体制の変更なし"), "[{be}]");

    // Approved today: the policy review is done, no longer a reminder.
    let (_, dash) = staff.text(&format!("/o/{a}/")).await;
    assert!(!dash.contains("data-kind=\"policy_review\""), "[{be}]");

    // Training: no roster yet → the empty state; then a roster of three.
    let (_, html) = staff.text(&format!("/o/{a}/governance/training")).await;
    assert!(html.contains("id=\"training-empty\""), "[{be}]");
    assert!(html.contains("id=\"attendance-no-roster\""), "[{be}]");
    let org = s.a.clone();
    app.db(move |c| {
        accounts::import_staff(
            c,
            &org,
            "test",
            &Source {
                kind: "file",
                name: "roster.csv",
                sha256: "x",
            },
            &roster(),
        )
    })
    .await;
    let (_, html) = staff.text(&format!("/o/{a}/governance/training")).await;
    assert!(html.contains("id=\"attendee-select-all\""), "[{be}]");
    assert!(
        html.contains("value=\"003\""),
        "[{be}] roster in the picker"
    );

    // An unknown staff id is refused, naming it; nothing is stored.
    let res = staff
        .post(
            &format!("/o/{a}/governance/training"),
            &[
                ("title", "情報セキュリティ研修"),
                ("held_on", today.as_str()),
                ("attendee", "999"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "[{be}]");
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("職員番号 999 は最新の職員名簿にありません"),
        "[{be}]"
    );
    let res = staff
        .post(
            &format!("/o/{a}/governance/training"),
            &[
                ("title", "情報セキュリティ研修"),
                ("held_on", today.as_str()),
                ("instructor", "事務長"),
                ("audience", "全職員"),
                ("attendee", "001"),
                ("others", "委託 清掃担当\n"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] create");
    let session = location(&res);
    let session = session.split('?').next().unwrap_or_default().to_owned();
    assert!(
        session.starts_with(&format!("/o/{a}/governance/training/")),
        "[{be}] {session}"
    );

    // Per-staff attendance: 002 and 003 are missing, and the finding names them.
    let (_, html) = staff.text(&format!("/o/{a}/governance/training")).await;
    assert!(
        html.contains("id=\"attendance-missing-count\">2<"),
        "[{be}] two missing"
    );
    assert!(
        html.contains("data-staff=\"002\" data-missing=\"true\""),
        "[{be}]"
    );
    assert!(
        html.contains("data-staff=\"003\" data-missing=\"true\""),
        "[{be}]"
    );
    assert!(
        html.contains("data-staff=\"001\" data-missing=\"false\""),
        "[{be}]"
    );
    assert!(html.contains("研修を受けていない職員が2名います"), "[{be}]");
    assert!(
        html.contains("佐藤 花子（002）"),
        "[{be}] named in the finding"
    );

    // The session: free-text attendee listed; the テキスト uploaded and downloaded.
    let (_, html) = staff.text(&session).await;
    assert!(html.contains("委託 清掃担当（名簿外）"), "[{be}]");
    assert!(html.contains("id=\"session-no-text\""), "[{be}]");
    let form = Multipart::new().text("csrf", staff.csrf.clone()).part(
        "file",
        Part::bytes(b"training slides".to_vec()).file_name("slides.txt"),
    );
    let res = staff
        .client
        .post(staff.url(&format!("{session}/text")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] upload");
    let res = auditor.get(&format!("{session}/text")).await;
    assert_eq!(res.status(), StatusCode::OK, "[{be}]");
    assert_eq!(
        &res.bytes().await.expect("bytes")[..],
        b"training slides",
        "[{be}]"
    );

    // Everyone attends after an edit: nobody missing, the finding resolves.
    let res = staff
        .post(
            &session,
            &[
                ("title", "情報セキュリティ研修"),
                ("held_on", today.as_str()),
                ("attendee", "001"),
                ("attendee", "002"),
                ("attendee", "003"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{be}] update");
    let (_, html) = staff.text(&format!("/o/{a}/governance/training")).await;
    assert!(
        html.contains("id=\"attendance-missing-count\">0<"),
        "[{be}]"
    );
    assert!(!html.contains("研修を受けていない職員"), "[{be}] resolved");
    let (_, html) = staff.text(&session).await;
    assert!(html.contains("slides.txt"), "[{be}] the テキスト is kept");

    // The PDCA calendar: April → March in 和暦, training done this 年度.
    let (st, cal) = staff.text(&format!("/o/{a}/governance")).await;
    assert_eq!(st, StatusCode::OK, "[{be}]");
    let april = cal.find("年4月</h2>").expect("April");
    let march = cal.find("年3月</h2>").expect("March");
    assert!(april < march, "[{be}] April first");
    assert!(cal.contains("令和"), "[{be}]");
    assert!(
        cal.contains("data-kind=\"training\" data-status=\"done\""),
        "[{be}]"
    );
    assert!(
        cal.contains("data-kind=\"policy_review\" data-status=\"done\""),
        "[{be}]"
    );

    // Another organisation's administrator sees nothing.
    let b_admin = app.sign_in(&s.b_admin).await;
    for path in [
        format!("/o/{a}/governance"),
        format!("/o/{a}/governance/policy"),
        format!("/o/{a}/governance/policy/print"),
        format!("/o/{a}/governance/training"),
        session.clone(),
        format!("{session}/text"),
    ] {
        let res = b_admin.get(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{be}] {path}");
    }

    let kinds: Vec<String> = app
        .ledger(s.a.id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "policy.create",
        "policy.update",
        "policy.approve",
        "policy.review",
        "training.create",
        "training.update",
    ] {
        assert!(kinds.iter().any(|x| x == k), "[{be}] {k}");
    }
}

#[test]
fn governance_policy_training_calendar_and_reminders() {
    run(test_config(), governance_body);
}
