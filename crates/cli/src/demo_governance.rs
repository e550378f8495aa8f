//! Governance records of the demo clinic: a small staff roster (when none was imported), a
//! 運用管理規程 generated from the template and approved 13 months ago (so its yearly review
//! is due), and two training sessions with partial attendance — one last 年度, one this
//! 年度 with its テキスト — so the training page shows who is missing.

use anyhow::Result;
use anzen_core::calendar::FiscalYear;
use anzen_core::rules::governance::{OrgData, generate};
use anzen_store::Conn;
use anzen_store::accounts::{self, Source, StaffRecord};
use anzen_store::governance::{self, Attendee, NewText, TrainingData};
use anzen_store::orgs::Org;

const ACTOR: &str = "demo";

const ROSTER: [(&str, &str, &str, &str); 6] = [
    ("0001", "山田 太郎", "医師", "診療部"),
    ("0002", "佐藤 花子", "事務", "事務部"),
    ("0003", "鈴木 一郎", "看護師", "看護部"),
    ("0004", "高橋 美咲", "看護師", "看護部"),
    ("0005", "伊藤 健", "医事課", "事務部"),
    ("0006", "渡辺 由美", "受付", "事務部"),
];

fn staff(id: &str) -> Attendee {
    let name = ROSTER
        .iter()
        .find(|r| r.0 == id)
        .map_or(id, |r| r.1)
        .to_owned();
    Attendee {
        staff_id: Some(id.to_owned()),
        name,
    }
}

pub fn seed(c: &mut Conn, org: &Org) -> Result<()> {
    let today = anzen_web::today_jst();
    if !accounts::snapshots(c, org)?
        .iter()
        .any(|s| s.kind == "staff")
    {
        let rows: Vec<StaffRecord> = ROSTER
            .iter()
            .map(|(id, name, job, dept)| StaffRecord {
                staff_id: (*id).into(),
                name: (*name).into(),
                job: (*job).into(),
                department: Some((*dept).into()),
                hired: Some("2018-04-01".into()),
                retired: None,
            })
            .collect();
        accounts::import_staff(
            c,
            org,
            ACTOR,
            &Source {
                kind: "file",
                name: "職員名簿.csv",
                sha256: "demo-roster",
            },
            &rows,
        )?;
    }

    // The 規程 from the template, approved 13 months ago: the yearly review is now due.
    let data = OrgData {
        facility: org.profile.name.clone(),
        security_officer: org.profile.security_officer.clone(),
        ciso: org.profile.ciso.clone(),
        systems: accounts::systems(c, org)?
            .into_iter()
            .map(|s| s.data.name)
            .collect(),
        vendors: anzen_store::vendors::list(c, org)?
            .into_iter()
            .map(|v| v.data.name)
            .collect(),
    };
    let mut doc = generate(&data);
    for s in &mut doc.sections {
        s.body = s
            .body
            .replace(
                "別表に定める。【要記入】",
                "別表（医師事務作業補助者は医師の指示により処方・検査オーダーの代行入力ができる）に定める。",
            )
            .replace(
                "その他の記録の保存年限は別表に定める。【要記入】",
                "その他の記録の保存年限は文書管理規程の別表に定める。",
            );
    }
    let json = serde_json::to_string(&doc)?;
    governance::save_policy(c, org, ACTOR, &json)?;
    let approved = today.saturating_sub(jiff::Span::new().months(13));
    governance::approve_policy(c, org, ACTOR, "山田 太郎（院長）", &approved.to_string())?;

    // Last 年度: two nurses and 医事課 attended.
    let fy = FiscalYear::of(today);
    let last_year = fy.start().saturating_sub(jiff::Span::new().days(60));
    governance::create_training(
        c,
        org,
        ACTOR,
        &TrainingData {
            title: "個人情報保護と医療情報システムの取扱い".into(),
            held_on: last_year.to_string(),
            instructor: Some("佐藤 花子（事務長）".into()),
            audience: Some("全職員".into()),
            note: None,
        },
        &[staff("0003"), staff("0004"), staff("0005")],
        None,
    )?;
    // This 年度: half the staff and a contractor, with the slides.
    let this_year = today
        .saturating_sub(jiff::Span::new().days(20))
        .max(fy.start());
    governance::create_training(
        c,
        org,
        ACTOR,
        &TrainingData {
            title: "情報セキュリティ研修（標的型メールとランサムウェア）".into(),
            held_on: this_year.to_string(),
            instructor: Some("ひまわりメディカルシステム株式会社 保守担当".into()),
            audience: Some("全職員".into()),
            note: Some("受付PCの不審メール事案を題材に、添付ファイルの扱いと初動対応を確認。".into()),
        },
        &[
            staff("0001"),
            staff("0002"),
            staff("0003"),
            Attendee {
                staff_id: None,
                name: "清掃委託 田中（名簿外）".into(),
            },
        ],
        Some(&NewText {
            name: "security-training.txt",
            content_type: "text/plain; charset=utf-8",
            content: "情報セキュリティ研修\n1. 標的型メールの見分け方\n2. 添付ファイルを開いてしまったら: LAN ケーブルを抜き、CSIRT に連絡\n3. パスワードの使い回し禁止\n".as_bytes(),
        }),
    )?;
    anzen_web::checks::check_governance(c, org, ACTOR, today)?;
    Ok(())
}
