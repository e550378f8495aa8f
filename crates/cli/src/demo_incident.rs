//! Incident readiness of the demo clinic: a 連絡体制図 with one body missing (IPA) and the
//! police window still without a number, backups of the EHR that meet the policy and of the
//! レセコン that do not, an approved cyber BCP, and a closed incident with its timeline.

use anyhow::Result;
use anzen_core::rules::bcp::{
    BcpPlan, BreakGlassAccount, CriticalFunction, DEFAULT_INITIAL_RESPONSE,
};
use anzen_core::rules::incident::{ContactRole, official_bodies};
use anzen_store::accounts::{self, SystemData};
use anzen_store::continuity::{self, BackupJobData, Drill, SystemPlan};
use anzen_store::incident::{self, ContactData, IncidentData};
use anzen_store::orgs::Org;
use anzen_store::{Conn, now_us};

const ACTOR: &str = "demo";

/// The system of that name, created when missing (other parts of the demo may have made it).
fn system(c: &mut Conn, org: &Org, name: &str, kind: &str, vendor: &str) -> Result<i64> {
    if let Some(s) = accounts::systems(c, org)?
        .into_iter()
        .find(|s| s.data.name == name)
    {
        return Ok(s.id);
    }
    let s = accounts::save_system(
        c,
        org,
        ACTOR,
        None,
        &SystemData {
            name: name.into(),
            kind: kind.into(),
            owner: Some("佐藤 花子（事務長）".into()),
            vendor: Some(vendor.into()),
            supports_mfa: kind == "電子カルテ",
            min_password_len: Some(8),
            note: None,
        },
    )?;
    Ok(s.id)
}

fn contact(
    role: ContactRole,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    hours: &str,
    order: Option<i64>,
) -> ContactData {
    ContactData {
        role: role.code(),
        name: name.into(),
        organisation: None,
        phone: phone.map(str::to_owned),
        email: email.map(str::to_owned),
        hours: Some(hours.into()),
        escalation_order: order,
        note: None,
    }
}

/// Today (JST) moved by `n` days (negative: into the past), as YYYY-MM-DD.
fn day(n: i64) -> String {
    let mut d = anzen_web::today_jst();
    for _ in 0..n.unsigned_abs() {
        d = if n < 0 { d.yesterday() } else { d.tomorrow() }.unwrap_or(d);
    }
    d.to_string()
}

fn days_ago(n: i64) -> String {
    day(-n)
}

pub fn seed(c: &mut Conn, org: &Org) -> Result<()> {
    let ehr = system(c, org, "電子カルテ", "電子カルテ", "メディシス株式会社")?;
    let rece = system(
        c,
        org,
        "レセコン",
        "レセコン",
        "さくらシステムサービス株式会社",
    )?;

    for d in [
        contact(
            ContactRole::Csirt,
            "鈴木 一郎（看護師長）",
            Some("03-1234-5678（内線 201）"),
            Some("csirt@sakura-clinic.example"),
            "診療時間内",
            Some(1),
        ),
        contact(
            ContactRole::OnCall,
            "当直医",
            Some("090-0000-1111"),
            None,
            "夜間・休日",
            Some(2),
        ),
        contact(
            ContactRole::SecurityOfficer,
            "佐藤 花子（事務長）",
            Some("03-1234-5678（内線 101）"),
            Some("sato@sakura-clinic.example"),
            "平日8時半〜18時",
            Some(3),
        ),
        contact(
            ContactRole::Administrator,
            "山田 太郎（院長）",
            Some("090-0000-2222"),
            Some("yamada@sakura-clinic.example"),
            "24時間",
            Some(4),
        ),
        contact(
            ContactRole::Vendor("メディシス株式会社".into()),
            "カスタマーサポート（保守窓口）",
            Some("0120-000-111"),
            Some("support@medisys-vendor.example"),
            "24時間365日",
            Some(5),
        ),
    ] {
        incident::save_contact(c, org, ACTOR, None, &d)?;
    }
    // The bodies as pre-filled; the clinic entered MHLW's and the PPC's details, not yet
    // the police window's; IPA is not on the chart yet.
    for b in official_bodies() {
        let mut d = ContactData {
            role: b.contact.role.code(),
            name: b.contact.name,
            organisation: b.contact.organisation,
            phone: None,
            email: None,
            hours: b.contact.hours,
            escalation_order: b.contact.escalation_order.map(i64::from).map(|n| n + 5),
            note: Some(b.note.to_owned()),
        };
        match b.contact.role {
            ContactRole::Mhlw => {
                d.email = Some("（通知で確認したアドレスを入力）@example.go.jp".into())
            }
            ContactRole::Ppc => d.email = Some("leak-report@example.go.jp".into()),
            ContactRole::Ipa => continue,
            _ => {}
        }
        incident::save_contact(c, org, ACTOR, None, &d)?;
    }

    let job = |system_id, method: &str, generations, offline, freq, last: i64, location: &str| {
        BackupJobData {
            system_id,
            method: method.into(),
            generations,
            offline,
            location: Some(location.into()),
            frequency_days: freq,
            last_success: Some(days_ago(last)),
            note: None,
        }
    };
    for j in [
        job(ehr, "NAS", 14, false, 1, 1, "サーバ室"),
        job(ehr, "LTOテープ", 4, true, 7, 3, "院長室の金庫"),
        job(rece, "外付けHDD", 2, false, 7, 12, "事務室"),
    ] {
        continuity::save_job(c, org, ACTOR, None, &j)?;
    }
    continuity::save_system_plan(
        c,
        org,
        ACTOR,
        &SystemPlan {
            system_id: ehr,
            needed: true,
            reason: None,
            restore_procedure: Some(
                "1. 感染したサーバをネットワークから切り離す\n2. メディシス株式会社の保守窓口に連絡する\n3. サーバを初期化し、LTO テープの最新世代から復元する（事業者が実施）\n4. NAS の世代と突き合わせて欠けた日の記録を確認する\n5. 紙で記録した診療内容を後入力する"
                    .into(),
            ),
        },
    )?;
    continuity::add_drill(
        c,
        org,
        ACTOR,
        &Drill {
            id: 0,
            system_id: ehr,
            drill_date: days_ago(60),
            ok: true,
            minutes: Some(95),
            note: Some("テープから検証用サーバへ復元。メディシス株式会社立会い".into()),
            recorded_by: String::new(),
        },
    )?;

    let plan = BcpPlan {
        critical_functions: vec![
            CriticalFunction {
                name: "外来診療（診察・処方）".into(),
                priority: 1,
                target: "当日中（紙運用）".into(),
            },
            CriticalFunction {
                name: "検査結果の参照".into(),
                priority: 2,
                target: "翌診療日".into(),
            },
            CriticalFunction {
                name: "会計・レセプト".into(),
                priority: 3,
                target: "1週間".into(),
            },
        ],
        degraded_operation: "電子カルテ停止中は紙カルテで診療し、処方は手書きの処方箋で院外薬局へ。検査は外注先に電話で結果を確認する。".into(),
        paper_procedures: "紙カルテ・処方箋・受付票の様式は受付の棚「非常用」に50部ずつ保管。".into(),
        break_glass: vec![BreakGlassAccount {
            system: "電子カルテ".into(),
            account: "emergency01".into(),
            kept: "封筒に封印し院長室の金庫（院長が管理）".into(),
        }],
        break_glass_review: "使用した日のうちに安全管理責任者がアクセスログを確認し、封筒を新しいパスワードで作り直す。".into(),
        recovery_order: vec!["ネットワーク・VPN装置".into(), "電子カルテ".into(), "レセコン".into()],
        reconciliation: "紙で記録した診療内容を復旧後3日以内に後入力し、受付票の枚数と突き合わせる。".into(),
        contacts_note: "夜間・休日は当直医から院長へ電話。".into(),
        initial_response: DEFAULT_INITIAL_RESPONSE
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    continuity::save_bcp(c, org, ACTOR, &serde_json::to_string(&plan)?, None)?;
    continuity::approve_bcp(
        c,
        org,
        ACTOR,
        "山田 太郎（院長）",
        &days_ago(200),
        Some(&day(165)),
    )?;

    let discovered = now_us() - 40 * 86_400 * 1_000_000;
    let inc = incident::create_incident(
        c,
        org,
        ACTOR,
        &IncidentData {
            title: "不審なメールの添付ファイルを開いた（受付PC）".into(),
            status: "suspected".into(),
            discovered_at: discovered,
            cyber_attack: true,
            care_impact: Some("受付PCを1時間停止。診療への影響なし。".into()),
            summary: Some("受付PCで取引先を装ったメールの添付ファイルを開いた。ウイルス対策ソフトが検知・隔離。".into()),
            cause: Some("標的型メール".into()),
            prevention: Some("全職員へ注意喚起。添付ファイルの扱いを研修で確認。".into()),
            ..IncidentData::default()
        },
        "疑い",
    )?;
    incident::add_event(
        c,
        org,
        ACTOR,
        inc.id,
        discovered + 10 * 60 * 1_000_000,
        "action",
        "受付PCの LAN ケーブルを抜き、鈴木（CSIRT）に連絡",
    )?;
    let mut closed = inc.data.clone();
    closed.status = "closed".into();
    incident::update_incident(c, org, ACTOR, inc.id, &closed, "終結")?;
    anzen_web::checks::check_incident(c, org, ACTOR, anzen_web::today_jst())?;
    Ok(())
}
