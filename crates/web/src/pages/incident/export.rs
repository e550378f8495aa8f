//! The incident-readiness workbook (xlsx): the 連絡体制図 drawn with text boxes from the
//! same layout as the SVG, the contact list, the インシデント台帳 with its deadlines and
//! timeline, the backups, drills and restore procedures, the BCP in force and the open
//! findings. Recorded in the audit ledger (`export.incident`).

use anzen_core::rules::incident::ContactRole;
use anzen_core::{Action, OrgId};
use anzen_store::accounts::System;
use anzen_store::continuity::{self as cstore, BackupJobRecord, BcpVersion, Drill, SystemPlan};
use anzen_store::findings::{self as findings_store, Finding};
use anzen_store::incident::{self as istore, ContactRecord, Event, Incident, Notification};
use axum::extract::{Path, State};
use axum::response::Response;
use rust_xlsxwriter::{
    Format, Shape, ShapeFont, ShapeFormat, ShapeLine, ShapeLineDashType, ShapeSolidFill, ShapeText,
    ShapeTextVerticalAlignment, Workbook, Worksheet, XlsxError,
};

use super::chart::{self, Layout};
use super::register::{body_label, deadline_lines, ppc_fields, status_label, what_label};
use crate::checks::{self, INCIDENT_RULE_PREFIXES};
use crate::ctx::Authed;
use crate::pages::{attachment, jst, today_jst};
use crate::{AppError, AppState};

/// Everything the workbook shows.
pub struct ExportData {
    pub facility: String,
    pub chart: Layout,
    pub contacts: Vec<ContactRecord>,
    pub incidents: Vec<(Incident, Vec<Event>, Vec<Notification>)>,
    pub systems: Vec<System>,
    pub jobs: Vec<BackupJobRecord>,
    pub plans: Vec<SystemPlan>,
    pub drills: Vec<Drill>,
    pub bcp: Option<BcpVersion>,
    pub findings: Vec<Finding>,
    pub today: jiff::civil::Date,
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A sheet with a bold header row and the given rows.
fn table(
    ws: &mut Worksheet,
    header: &[&str],
    rows: &[Vec<String>],
    widths: &[f64],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *h, &bold)?;
        ws.set_column_width(col(c), widths.get(c).copied().unwrap_or(14.0))?;
    }
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(row(r + 1), col(c), v, &wrap)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Draws the chart with text boxes (boxes) and thin filled boxes (lines), at the SVG's
/// pixel positions.
pub(crate) fn draw_chart(ws: &mut Worksheet, facility: &str, l: &Layout) -> Result<(), XlsxError> {
    ws.write_string_with_format(
        0,
        0,
        format!("{facility} インシデント発生時の連絡体制図"),
        &Format::new().set_bold().set_font_size(14),
    )?;
    let top = 30u32;
    let at = |v: i32| u32::try_from(v.max(0)).unwrap_or(0);
    for (y, text) in &l.labels {
        let shape = Shape::textbox()
            .set_text(text)
            .set_width(300)
            .set_height(16)
            .set_format(&ShapeFormat::new().set_no_line().set_no_fill())
            .set_font(&ShapeFont::new().set_size(8).set_color("#555555"));
        ws.insert_shape_with_offset(0, 0, &shape, 0, top + at(*y - 12))?;
    }
    for g in &l.segments {
        let (x, y) = (g.x1.min(g.x2), g.y1.min(g.y2));
        let w = (g.x1 - g.x2).abs().max(2);
        let h = (g.y1 - g.y2).abs().max(2);
        let shape = Shape::textbox()
            .set_width(at(w))
            .set_height(at(h))
            .set_format(
                &ShapeFormat::new()
                    .set_no_line()
                    .set_solid_fill(&ShapeSolidFill::new().set_color("#333333")),
            );
        ws.insert_shape_with_offset(0, 0, &shape, at(x), top + at(y))?;
    }
    for b in &l.boxes {
        let mut text = b.title.join("");
        for line in &b.lines {
            text.push('\n');
            text.push_str(line);
        }
        let (fill, stroke) = if b.missing {
            ("#FFF0F0", "#B00020")
        } else if b.code == "reporter" {
            ("#FFFBE6", "#8A6D00")
        } else if matches!(
            b.tier,
            chart::Tier::FirstResponse | chart::Tier::Responsible | chart::Tier::Administrator
        ) {
            ("#EEF4FB", "#2B5B8A")
        } else {
            ("#F4F4F4", "#555555")
        };
        let mut line = ShapeLine::new().set_color(stroke).set_width(1.25);
        if b.missing {
            line = line.set_dash_type(ShapeLineDashType::Dash);
        }
        let shape = Shape::textbox()
            .set_text(text)
            .set_width(at(b.w))
            .set_height(at(b.h))
            .set_format(
                &ShapeFormat::new()
                    .set_line(&line)
                    .set_solid_fill(&ShapeSolidFill::new().set_color(fill)),
            )
            .set_font(&ShapeFont::new().set_size(8))
            .set_text_options(
                &ShapeText::new().set_vertical_alignment(ShapeTextVerticalAlignment::Top),
            )
            .set_alt_text(format!(
                "{}{}",
                b.title.join(""),
                if b.missing { "（未登録）" } else { "" }
            ));
        ws.insert_shape_with_offset(0, 0, &shape, at(b.x), top + at(b.y))?;
    }
    Ok(())
}

/// Column headers of the contact list (連絡先).
pub const CONTACT_HEADER: [&str; 8] = [
    "連絡順",
    "役割・機関",
    "氏名・窓口名",
    "所属",
    "電話",
    "メール",
    "受付時間",
    "備考",
];
pub const CONTACT_WIDTHS: [f64; 8] = [8.0, 28.0, 20.0, 24.0, 16.0, 26.0, 16.0, 40.0];

/// The contact list as rows of [`CONTACT_HEADER`] (shared with the inspection pack).
pub fn contact_rows(contacts: &[ContactRecord]) -> Vec<Vec<String>> {
    contacts
        .iter()
        .map(|c| {
            let v = |s: &Option<String>| s.clone().unwrap_or_default();
            vec![
                c.data
                    .escalation_order
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                ContactRole::from_code(&c.data.role)
                    .map_or_else(|| c.data.role.clone(), |r| r.label_ja()),
                c.data.name.clone(),
                v(&c.data.organisation),
                v(&c.data.phone),
                v(&c.data.email),
                v(&c.data.hours),
                v(&c.data.note),
            ]
        })
        .collect()
}

/// A system's name by id (empty when gone).
pub fn system_name(systems: &[System], id: i64) -> String {
    systems
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.data.name.clone())
        .unwrap_or_default()
}

/// Column headers of the backup jobs (バックアップ).
pub const BACKUP_HEADER: [&str; 8] = [
    "システム",
    "方式・媒体",
    "世代数",
    "オフライン・改ざん不可",
    "保管場所",
    "取得間隔（日）",
    "最終成功日",
    "備考",
];
pub const BACKUP_WIDTHS: [f64; 8] = [18.0, 20.0, 8.0, 12.0, 20.0, 10.0, 12.0, 30.0];

/// The backup jobs as rows of [`BACKUP_HEADER`].
pub fn backup_rows(jobs: &[BackupJobRecord], systems: &[System]) -> Vec<Vec<String>> {
    jobs.iter()
        .map(|j| {
            vec![
                system_name(systems, j.data.system_id),
                j.data.method.clone(),
                j.data.generations.to_string(),
                if j.data.offline { "あり" } else { "なし" }.to_owned(),
                j.data.location.clone().unwrap_or_default(),
                j.data.frequency_days.to_string(),
                j.data.last_success.clone().unwrap_or_default(),
                j.data.note.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// Column headers of the drills and restore procedures (復旧訓練・手順).
pub const DRILL_HEADER: [&str; 6] = [
    "システム",
    "種類",
    "実施日",
    "結果",
    "所要時間（分）",
    "内容",
];
pub const DRILL_WIDTHS: [f64; 6] = [18.0, 10.0, 12.0, 18.0, 10.0, 70.0];

/// The restore drills, then each system's restore procedure, as rows of [`DRILL_HEADER`].
pub fn drill_rows(drills: &[Drill], plans: &[SystemPlan], systems: &[System]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = drills
        .iter()
        .map(|x| {
            vec![
                system_name(systems, x.system_id),
                "復旧訓練".to_owned(),
                x.drill_date.clone(),
                if x.ok {
                    "復元できた"
                } else {
                    "復元できなかった"
                }
                .to_owned(),
                x.minutes.map(|m| m.to_string()).unwrap_or_default(),
                x.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    rows.extend(plans.iter().map(|p| {
        vec![
            system_name(systems, p.system_id),
            "復旧手順".to_owned(),
            String::new(),
            if p.needed {
                String::new()
            } else {
                format!("バックアップ不要: {}", p.reason.clone().unwrap_or_default())
            },
            String::new(),
            p.restore_procedure.clone().unwrap_or_default(),
        ]
    }));
    rows
}

/// The plan in force as (項目, 内容) rows: version, approval, review date, the plan's
/// parts and the 初動対応 steps; one 未作成 row without a plan.
pub fn bcp_rows(bcp: Option<&BcpVersion>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    match bcp {
        None => rows.push(vec!["状態".to_owned(), "未作成".to_owned()]),
        Some(v) => {
            let p: anzen_core::rules::bcp::BcpPlan =
                serde_json::from_str(&v.plan).unwrap_or_default();
            rows.push(vec!["版".to_owned(), format!("第{}版", v.version)]);
            rows.push(vec![
                "承認".to_owned(),
                match &v.approved_on {
                    Some(on) => {
                        format!("{on}（{}）", v.approved_by.clone().unwrap_or_default())
                    }
                    None => "未承認".to_owned(),
                },
            ]);
            rows.push(vec![
                "次回見直し予定日".to_owned(),
                v.next_review.clone().unwrap_or_default(),
            ]);
            rows.push(vec![
                "重要業務と優先度".to_owned(),
                p.critical_functions
                    .iter()
                    .map(|f| format!("{}. {}（{}）", f.priority, f.name, f.target))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]);
            rows.push(vec!["縮退運用".to_owned(), p.degraded_operation]);
            rows.push(vec!["紙運用".to_owned(), p.paper_procedures]);
            rows.push(vec![
                "非常用アカウント".to_owned(),
                p.break_glass
                    .iter()
                    .map(|a| format!("{} {}（{}）", a.system, a.account, a.kept))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]);
            rows.push(vec!["使用の確認方法".to_owned(), p.break_glass_review]);
            rows.push(vec!["復旧の順序".to_owned(), p.recovery_order.join("\n")]);
            rows.push(vec!["復旧後のデータの整合".to_owned(), p.reconciliation]);
            rows.push(vec!["連絡体制".to_owned(), p.contacts_note]);
            rows.push(vec!["初動対応".to_owned(), p.initial_response.join("\n")]);
        }
    }
    rows
}

fn yes(b: bool) -> String {
    if b { "はい" } else { "いいえ" }.to_owned()
}

/// The workbook.
pub fn workbook(d: &ExportData) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("連絡体制図")?;
        ws.set_paper_size(9); // A4
        draw_chart(ws, &d.facility, &d.chart)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("連絡先")?;
        table(
            ws,
            &CONTACT_HEADER,
            &contact_rows(&d.contacts),
            &CONTACT_WIDTHS,
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("インシデント台帳")?;
        let mut header = vec![
            "番号",
            "件名",
            "状態",
            "発覚日時",
            "発生日時",
            "サイバー攻撃",
            "個人データの漏えい等",
            "要配慮個人情報",
            "不正の目的のおそれ",
            "診療への影響",
        ];
        let fields = ppc_fields(&Default::default());
        let labels: Vec<String> = fields.iter().map(|f| format!("{} {}", f.0, f.1)).collect();
        header.extend(labels.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = d
            .incidents
            .iter()
            .map(|(i, _, _)| {
                let mut r = vec![
                    i.id.to_string(),
                    i.data.title.clone(),
                    status_label(&i.data.status).to_owned(),
                    jst(i.data.discovered_at),
                    i.data.occurred_at.map(jst).unwrap_or_default(),
                    yes(i.data.cyber_attack),
                    yes(i.data.personal_data_leak),
                    yes(i.data.sensitive_data),
                    yes(i.data.malicious),
                    i.data.care_impact.clone().unwrap_or_default(),
                ];
                r.extend(ppc_fields(&i.data).into_iter().map(|f| f.2));
                r
            })
            .collect();
        table(ws, &header, &rows, &[6.0, 30.0, 12.0, 18.0, 18.0])?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("報告期限")?;
        let mut rows = Vec::new();
        for (i, _, n) in &d.incidents {
            for l in deadline_lines(&i.data, n, d.today) {
                rows.push(vec![
                    i.id.to_string(),
                    i.data.title.clone(),
                    l.body.to_owned(),
                    l.what.to_owned(),
                    l.obligation.to_owned(),
                    l.due,
                    l.due_latest,
                    if l.done.is_empty() {
                        "未".to_owned()
                    } else {
                        l.done
                    },
                    l.basis,
                ]);
            }
        }
        table(
            ws,
            &[
                "番号",
                "件名",
                "報告・連絡先",
                "種類",
                "要否",
                "期限",
                "遅くとも",
                "実施",
                "根拠",
            ],
            &rows,
            &[6.0, 24.0, 28.0, 10.0, 12.0, 26.0, 26.0, 18.0, 60.0],
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("対応経過")?;
        let mut rows = Vec::new();
        for (i, events, notes) in &d.incidents {
            for e in events {
                rows.push(vec![
                    i.id.to_string(),
                    jst(e.at),
                    match e.kind.as_str() {
                        "status" => "状態",
                        "notification" => "報告・連絡",
                        _ => "対応",
                    }
                    .to_owned(),
                    e.body.clone(),
                    e.actor.clone(),
                ]);
            }
            for n in notes {
                rows.push(vec![
                    i.id.to_string(),
                    jst(n.notified_at),
                    format!("報告記録: {} {}", body_label(&n.body), what_label(&n.what)),
                    n.note.clone().unwrap_or_default(),
                    n.by_whom.clone(),
                ]);
            }
        }
        table(
            ws,
            &["番号", "日時", "種類", "内容", "記録者"],
            &rows,
            &[6.0, 18.0, 28.0, 60.0, 24.0],
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("バックアップ")?;
        table(
            ws,
            &BACKUP_HEADER,
            &backup_rows(&d.jobs, &d.systems),
            &BACKUP_WIDTHS,
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("復旧訓練・手順")?;
        table(
            ws,
            &DRILL_HEADER,
            &drill_rows(&d.drills, &d.plans, &d.systems),
            &DRILL_WIDTHS,
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("事業継続計画")?;
        table(
            ws,
            &["項目", "内容"],
            &bcp_rows(d.bcp.as_ref()),
            &[22.0, 90.0],
        )?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("指摘事項")?;
        let rows: Vec<Vec<String>> = d
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.label_ja().to_owned(),
                    f.checklist.join(", "),
                    f.title.clone(),
                    f.message.clone(),
                ]
            })
            .collect();
        table(
            ws,
            &["重要度", "チェックリスト", "指摘", "説明"],
            &rows,
            &[8.0, 12.0, 50.0, 80.0],
        )?;
    }
    wb.save_to_buffer()
}

/// Loads [`ExportData`] and records the export, in the caller's transaction.
pub fn load(
    c: &mut anzen_store::Conn,
    org: &anzen_store::orgs::Org,
    actor: &str,
) -> Result<ExportData, AppError> {
    let inputs = checks::incident_inputs(c, org)?;
    let mut incidents = Vec::new();
    for i in istore::incidents(c, org)? {
        let e = istore::events(c, org, i.id)?;
        let n = istore::notifications(c, org, i.id)?;
        incidents.push((i, e, n));
    }
    let versions = cstore::bcp_versions(c, org)?;
    let bcp = versions
        .iter()
        .find(|v| v.approved_on.is_some())
        .or(versions.first())
        .cloned();
    let findings = findings_store::list(c, org, true)?
        .into_iter()
        .filter(|f| INCIDENT_RULE_PREFIXES.iter().any(|p| f.rule.starts_with(p)))
        .collect();
    anzen_store::audit::record(
        c,
        org,
        actor,
        "export.incident",
        &serde_json::json!({ "format": "xlsx" }),
    )?;
    Ok(ExportData {
        facility: org.profile.name.clone(),
        chart: chart::layout(&inputs.contacts, &inputs.vendors),
        contacts: istore::contacts(c, org)?,
        incidents,
        systems: anzen_store::accounts::systems(c, org)?,
        jobs: cstore::jobs(c, org)?,
        plans: cstore::system_plans(c, org)?,
        drills: cstore::drills(c, org)?,
        bcp,
        findings,
        today: today_jst(),
    })
}

/// `GET /o/{org}/incident/export.xlsx`
pub async fn xlsx(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let data = state.tx(move |c| load(c, &o, &actor)).await?;
    let body = workbook(&data).map_err(|e| AppError::Internal(format!("incident xlsx: {e}")))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("incident-readiness-{}.xlsx", data.today),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anzen_core::rules::incident::Contact;
    use anzen_store::incident::{ContactData, IncidentData};
    use calamine::{Reader, Xlsx};

    #[test]
    fn the_workbook_has_the_chart_and_every_register() {
        let contacts = vec![Contact {
            role: ContactRole::Ppc,
            name: "漏えい等報告 受付".into(),
            organisation: None,
            phone: None,
            email: Some("x@example.go.jp".into()),
            hours: None,
            escalation_order: Some(2),
        }];
        let inc = IncidentData {
            title: "ランサムウェア".into(),
            status: "confirmed".into(),
            discovered_at: 1_763_631_000_000_000,
            personal_data_leak: true,
            sensitive_data: true,
            summary: Some("暗号化".into()),
            ..IncidentData::default()
        };
        let d = ExportData {
            facility: "試験医院".into(),
            chart: chart::layout(&contacts, &[]),
            contacts: vec![ContactRecord {
                id: 1,
                data: ContactData {
                    role: "ppc".into(),
                    name: "漏えい等報告 受付".into(),
                    organisation: None,
                    phone: None,
                    email: Some("x@example.go.jp".into()),
                    hours: None,
                    escalation_order: Some(2),
                    note: None,
                },
            }],
            incidents: vec![(
                Incident {
                    id: 7,
                    data: inc,
                    created_by: "u".into(),
                    created_at: 0,
                    updated_at: 0,
                    closed_at: None,
                },
                Vec::new(),
                Vec::new(),
            )],
            systems: Vec::new(),
            jobs: Vec::new(),
            plans: Vec::new(),
            drills: Vec::new(),
            bcp: None,
            findings: Vec::new(),
            today: jiff::civil::date(2025, 11, 21),
        };
        let bytes = workbook(&d).expect("xlsx");
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        assert_eq!(
            x.sheet_names(),
            vec![
                "連絡体制図",
                "連絡先",
                "インシデント台帳",
                "報告期限",
                "対応経過",
                "バックアップ",
                "復旧訓練・手順",
                "事業継続計画",
                "指摘事項"
            ]
        );
        let r = x.worksheet_range("インシデント台帳").expect("sheet");
        let header: Vec<String> = r
            .rows()
            .next()
            .expect("header")
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(
            header
                .iter()
                .any(|h| h.starts_with("⑨ その他参考となる事項")),
            "{header:?}"
        );
        let deadlines = x.worksheet_range("報告期限").expect("sheet");
        let texts: Vec<String> = deadlines
            .rows()
            .skip(1)
            .map(|r| {
                r.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        // Discovered 2025-11-20 JST: 速報 2025-11-23 … 2025-11-25, 確報 2025-12-20.
        assert!(
            texts.iter().any(|t| t.contains("速報")
                && t.contains("2025-11-23")
                && t.contains("2025-11-25")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("確報") && t.contains("2025-12-20")),
            "{texts:?}"
        );
        let c = x.worksheet_range("連絡先").expect("sheet");
        assert!(
            c.rows()
                .nth(1)
                .expect("row")
                .iter()
                .any(|v| matches!(v, calamine::Data::String(s) if s == "個人情報保護委員会"))
        );
    }
}
