//! 立入検査 pack — everything an inspector asks for in one workbook and one printable
//! bundle, shared by the page (`pages/inspection_pack.rs`) and `anzen export
//! inspection-pack`.
//!
//! The pack is a list of [`Section`]s, each built by one function of [`SECTIONS`] from the
//! existing export models (checklist, 連絡体制図, 資産台帳, accounts audit, backups and
//! drills, BCP, vendors, findings). To add a section (研修記録, 運用管理規程 …) write one
//! `fn(&mut Conn, &PackCtx) -> Result<Section, AppError>` and list it in [`SECTIONS`]; the
//! cover's table of contents, the workbook, the print bundle and the page pick it up.
//!
//! [`generate`] vouches for the pack with the ledger, in the caller's transaction: it signs
//! a checkpoint of the organisation's ledger (or takes the latest when nothing was
//! appended since), puts it on the cover, renders the file, records
//! `export.inspection_pack` with the file's SHA-256 as the very next entry (its index is
//! printed on the cover), and signs a second checkpoint over that record.

use anzen_core::calendar::{FiscalYear, wareki};
use anzen_core::rules::governance as rules_governance;
use anzen_core::rules::vendors::{self as rules_vendors, CertKind, DocKind};
use anzen_store::findings::{self as findings_store, Finding};
use anzen_store::governance as store_governance;
use anzen_store::ledger::{self, Checkpointer};
use anzen_store::orgs::Org;
use anzen_store::{Conn, accounts, assets, continuity, evidence};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use sha2::{Digest, Sha256};

use crate::checklist_export::{self, ExportError};
use crate::pages::incident::chart::{self, Layout};
use crate::pages::incident::export as incident_export;
use crate::pages::jst;
use crate::pages::vendors::ExportData as VendorExport;
use crate::{AppError, assets_export, checks};

/// The audit event of a generated pack.
pub const AUDIT_KIND: &str = "export.inspection_pack";

/// Name of the cover sheet.
pub const COVER_SHEET: &str = "表紙";

/// What every section builder gets.
pub struct PackCtx<'a> {
    pub org: &'a Org,
    pub fy: FiscalYear,
    /// Today in Japan (staleness, overdue reviews).
    pub today: jiff::civil::Date,
    /// The organisation's open findings, read once for every section that cites them.
    pub open: Vec<Finding>,
}

impl<'a> PackCtx<'a> {
    /// Reads what the sections share, in the caller's transaction.
    pub fn load(
        c: &mut Conn,
        org: &'a Org,
        fy: FiscalYear,
        today: jiff::civil::Date,
    ) -> Result<PackCtx<'a>, AppError> {
        Ok(PackCtx {
            org,
            fy,
            today,
            open: findings_store::list(c, org, true)?,
        })
    }
}

/// One table of a section: one sheet of the workbook, one table of the print bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (at most 31 characters, none of `[]:*?/\`).
    pub sheet: String,
    /// Heading of the sheet.
    pub title: String,
    /// Lines under the heading (版, 状態, counts…).
    pub notes: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub widths: Vec<f64>,
}

impl Table {
    /// A table whose date cells (`YYYY-MM-DD`) are written as ISO plus 和暦.
    pub fn new(
        sheet: impl Into<String>,
        title: impl Into<String>,
        header: &[&str],
        rows: Vec<Vec<String>>,
        widths: &[f64],
    ) -> Table {
        Table {
            sheet: sheet.into(),
            title: title.into(),
            notes: Vec::new(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(|c| date_both(&c)).collect())
                .collect(),
            widths: widths.to_vec(),
        }
    }

    fn with_notes(mut self, notes: Vec<String>) -> Table {
        self.notes = notes;
        self
    }
}

/// One part of the pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable key (`checklist`, `contacts`, …), used by tests and the page.
    pub key: &'static str,
    /// Japanese title (チェックリスト, 連絡体制図 …).
    pub title: &'static str,
    /// Drawn on a sheet of its own before the tables (連絡体制図).
    pub chart: Option<Chart>,
    pub tables: Vec<Table>,
    /// What an inspector will ask about: missing, unapproved or stale records.
    pub warnings: Vec<String>,
}

/// A 連絡体制図 drawn from the same layout as the incident pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub sheet: String,
    pub layout: Layout,
    /// Registered contacts (the row count in the table of contents).
    pub contacts: usize,
}

impl Section {
    /// (sheet, rows) for the table of contents.
    pub fn sheets(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        if let Some(c) = &self.chart {
            out.push((c.sheet.clone(), c.contacts));
        }
        out.extend(self.tables.iter().map(|t| (t.sheet.clone(), t.rows.len())));
        out
    }
}

/// A section builder.
pub type SectionFn = fn(&mut Conn, &PackCtx<'_>) -> Result<Section, AppError>;

/// The sections, in the order of the pack.
pub const SECTIONS: &[SectionFn] = &[
    checklist_section,
    contacts_section,
    assets_section,
    accounts_section,
    continuity_section,
    bcp_section,
    policy_section,
    training_section,
    vendors_section,
    findings_section,
];

/// Builds every section (read only: records nothing).
pub fn gather(conn: &mut Conn, cx: &PackCtx<'_>) -> Result<Vec<Section>, AppError> {
    SECTIONS.iter().map(|f| f(conn, cx)).collect()
}

/// `2025-06-01` → `2025-06-01（令和7年6月1日）`; anything else unchanged.
pub fn date_both(s: &str) -> String {
    let t = s.trim();
    if t.len() != 10 || t.as_bytes().get(4) != Some(&b'-') {
        return s.to_owned();
    }
    match t.parse::<jiff::civil::Date>() {
        Ok(d) => format!("{t}（{}）", wareki(d)),
        Err(_) => s.to_owned(),
    }
}

/// `2025-06` → `2025-06（令和7年6月）`.
fn month_both(s: &str) -> String {
    match format!("{s}-01").parse::<jiff::civil::Date>() {
        Ok(d) => {
            let w = wareki(d);
            let w = w.strip_suffix("1日").unwrap_or(&w).to_owned();
            format!("{s}（{w}）")
        }
        Err(_) => s.to_owned(),
    }
}

/// Microseconds → `2025-06-01 10:00:00 JST（令和7年6月1日）`.
pub fn time_both(us: i64) -> String {
    let j = jst(us);
    match j
        .get(..10)
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
    {
        Some(d) => format!("{j} JST（{}）", wareki(d)),
        None => j,
    }
}

fn iso_date(s: &Option<String>) -> Option<jiff::civil::Date> {
    s.as_deref().and_then(|d| d.trim().parse().ok())
}

// ---------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------

/// チェックリスト: the 年度's answers with the names of their evidence files, then the
/// vendors' 事業者確認用 forms.
fn checklist_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let header = [
        "項目番号",
        "対象",
        "確認内容",
        "回答",
        "確認日",
        "対応目標日",
        "備考",
        "証跡",
    ];
    let widths = [10.0, 12.0, 60.0, 10.0, 16.0, 16.0, 30.0, 36.0];
    let mut s = Section {
        key: "checklist",
        title: "チェックリスト",
        chart: None,
        tables: Vec::new(),
        warnings: Vec::new(),
    };
    let export = match checklist_export::gather(c, cx.org, cx.fy) {
        Ok(e) => e,
        Err(ExportError::NoAssessment(m) | ExportError::NoEdition(m)) => {
            s.warnings.push(m);
            s.tables.push(Table::new(
                "チェックリスト",
                format!(
                    "{} サイバーセキュリティ対策チェックリスト",
                    cx.fy.label_ja()
                ),
                &header,
                Vec::new(),
                &widths,
            ));
            return Ok(s);
        }
        Err(ExportError::Catalog(m)) => return Err(AppError::Internal(m)),
        Err(ExportError::Store(e)) => return Err(e.into()),
    };
    let a = &export.assessment;
    let files: Vec<_> = evidence::list(c, a)?
        .into_iter()
        .filter(|f| f.is_current())
        .collect();
    let ids = checklist_export::row_item_ids(&export.edition);
    let rows: Vec<Vec<String>> = export
        .rows
        .iter()
        .zip(ids.iter())
        .map(|(r, id)| {
            let names: Vec<String> = files
                .iter()
                .filter(|f| &f.item_id == id)
                .map(|f| format!("{}（第{}版）", f.file_name, f.version))
                .collect();
            let mut cells: Vec<String> = r.fields().iter().map(|v| (*v).to_owned()).collect();
            cells.push(names.join("\n"));
            cells
        })
        .collect();
    let unanswered = export.rows.iter().filter(|r| r.answer.is_empty()).count();
    if !a.is_completed() {
        s.warnings.push(format!(
            "チェックリストは確定されていません（{}）。",
            a.status.label_ja()
        ));
    }
    if unanswered > 0 {
        s.warnings.push(format!(
            "チェックリストに未回答の項目が {unanswered} 件あります。"
        ));
    }
    let mut notes = vec![
        format!("版: {}", export.edition.label_ja()),
        format!("状態: {}", a.status.label_ja()),
        format!("証跡ファイル: {} 件", files.len()),
    ];
    if let Some(h) = &a.frozen_hash {
        notes.push(format!("確定時のハッシュ（SHA-256）: {h}"));
    }
    s.tables.push(
        Table::new("チェックリスト", export.title(), &header, rows, &widths).with_notes(notes),
    );
    for (n, v) in export.vendor_forms.iter().enumerate() {
        let unanswered = v.rows.iter().filter(|r| r.answer.is_empty()).count();
        if unanswered > 0 {
            s.warnings.push(format!(
                "{}の事業者確認用に未回答の項目が {unanswered} 件あります。",
                v.vendor_name
            ));
        }
        let rows = v
            .rows
            .iter()
            .map(|r| r.fields().iter().map(|x| (*x).to_owned()).collect())
            .collect();
        s.tables.push(
            Table::new(
                checklist_export::vendor_sheet_name(n, &v.vendor_name),
                v.title.clone(),
                &header[..7],
                rows,
                &widths[..7],
            )
            .with_notes(vec![format!("事業者名: {}", v.vendor_name), v.info.clone()]),
        );
    }
    Ok(s)
}

/// 連絡体制図: the chart drawn as on the incident pages, and the contact list.
fn contacts_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let inputs = checks::incident_inputs(c, cx.org)?;
    let layout = chart::layout(&inputs.contacts, &inputs.vendors);
    let contacts = anzen_store::incident::contacts(c, cx.org)?;
    let mut warnings = Vec::new();
    if contacts.is_empty() {
        warnings.push("連絡先が登録されていません。".to_owned());
    }
    let missing: Vec<String> = layout
        .boxes
        .iter()
        .filter(|b| b.missing)
        .map(|b| b.title.join(""))
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "連絡体制図に未登録の連絡先があります: {}",
            missing.join("、")
        ));
    }
    Ok(Section {
        key: "contacts",
        title: "連絡体制図",
        chart: Some(Chart {
            sheet: "連絡体制図".to_owned(),
            layout,
            contacts: contacts.len(),
        }),
        tables: vec![Table::new(
            "連絡先",
            "インシデント発生時の連絡先",
            &incident_export::CONTACT_HEADER,
            incident_export::contact_rows(&contacts),
            &incident_export::CONTACT_WIDTHS,
        )],
        warnings,
    })
}

/// 資産台帳 in the import template's layout.
fn assets_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let list = assets::list(c, cx.org)?;
    let header = assets_export::header();
    let rows: Vec<Vec<String>> = list.iter().map(|a| assets_export::cells(&a.data)).collect();
    let active = list
        .iter()
        .filter(|a| a.data.status != anzen_core::asset::AssetStatus::Retired)
        .count();
    let review = assets::latest_review(c, cx.org)?;
    let mut warnings = Vec::new();
    if list.is_empty() {
        warnings.push("資産台帳が空です。".to_owned());
    }
    let reviewed_this_year = review
        .as_ref()
        .and_then(|r| r.reviewed_on.parse::<jiff::civil::Date>().ok())
        .is_some_and(|d| cx.fy.contains(d));
    if !reviewed_this_year {
        warnings.push(format!(
            "{}の資産台帳の棚卸（確認）の記録がありません。",
            cx.fy.label_ja()
        ));
    }
    let notes = vec![
        format!(
            "登録数: {} 件（うち稼働中など廃棄以外 {active} 件）",
            list.len()
        ),
        match &review {
            Some(r) => format!(
                "最新の棚卸: {}（{}、{} 件）",
                date_both(&r.reviewed_on),
                r.reviewed_by,
                r.assets
            ),
            None => "最新の棚卸: 記録なし".to_owned(),
        },
    ];
    let widths: Vec<f64> = header.iter().map(|_| 14.0).collect();
    Ok(Section {
        key: "assets",
        title: "資産台帳",
        chart: None,
        tables: vec![Table::new("資産台帳", "資産台帳", &header, rows, &widths).with_notes(notes)],
        warnings,
    })
}

/// アカウント管理: per system the latest account list, its open findings and the latest
/// monthly 棚卸 sign-off; the staff roster's latest import.
fn accounts_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let systems = accounts::systems(c, cx.org)?;
    let snapshots = accounts::snapshots(c, cx.org)?;
    let reviews = accounts::reviews(c, cx.org)?;
    let open = &cx.open;
    let mut warnings = Vec::new();
    let mut rows = Vec::new();
    for s in &systems {
        // Newest first in both lists.
        let snap = snapshots
            .iter()
            .find(|x| x.kind == "accounts" && x.system_id == Some(s.id));
        let review = reviews.iter().find(|r| r.system_id == s.id);
        let prefix = anzen_core::rules::accounts::system_subject_prefix(&s.data.name);
        let findings = open
            .iter()
            .filter(|f| f.rule.starts_with("account.") && f.subject.starts_with(&prefix))
            .count();
        if snap.is_none() {
            warnings.push(format!(
                "{}: アカウント一覧が取り込まれていません。",
                s.data.name
            ));
        }
        if review.is_none() {
            warnings.push(format!("{}: 棚卸の確認の記録がありません。", s.data.name));
        }
        rows.push(vec![
            s.data.name.clone(),
            s.data.kind.clone(),
            s.data.owner.clone().unwrap_or_default(),
            s.data.vendor.clone().unwrap_or_default(),
            snap.map(|x| time_both(x.imported_at)).unwrap_or_default(),
            snap.map(|x| format!("{}（{}）", x.file_name, x.source))
                .unwrap_or_default(),
            snap.map(|x| x.row_count.to_string()).unwrap_or_default(),
            findings.to_string(),
            review.map(|r| month_both(&r.month)).unwrap_or_default(),
            review
                .map(|r| format!("{}（{}）", r.signed_by, jst(r.signed_at)))
                .unwrap_or_default(),
        ]);
    }
    let roster = snapshots
        .iter()
        .find(|x| x.kind == "staff" && x.system_id.is_none());
    rows.push(vec![
        "職員名簿".to_owned(),
        "名簿".to_owned(),
        String::new(),
        String::new(),
        roster.map(|x| time_both(x.imported_at)).unwrap_or_default(),
        roster
            .map(|x| format!("{}（{}）", x.file_name, x.source))
            .unwrap_or_default(),
        roster.map(|x| x.row_count.to_string()).unwrap_or_default(),
        String::new(),
        String::new(),
        String::new(),
    ]);
    if systems.is_empty() {
        warnings.push("アカウント管理にシステムが登録されていません。".to_owned());
    }
    if roster.is_none() {
        warnings.push("職員名簿が取り込まれていません。".to_owned());
    }
    let total_open = open
        .iter()
        .filter(|f| f.rule.starts_with("account."))
        .count();
    Ok(Section {
        key: "accounts",
        title: "アカウント管理",
        chart: None,
        tables: vec![
            Table::new(
                "アカウント管理",
                "アカウント管理（最新の取込と棚卸）",
                &[
                    "システム",
                    "種類",
                    "管理責任者",
                    "事業者",
                    "最新の取込日時",
                    "取込元",
                    "アカウント数",
                    "未解消の指摘",
                    "最新の棚卸（月）",
                    "棚卸の確認者・日時",
                ],
                rows,
                &[18.0, 12.0, 14.0, 16.0, 30.0, 26.0, 10.0, 10.0, 18.0, 34.0],
            )
            .with_notes(vec![format!(
                "システム: {} 件 ／ アカウントの未解消の指摘: {total_open} 件",
                systems.len()
            )]),
        ],
        warnings,
    })
}

/// バックアップ and 復旧訓練・手順.
fn continuity_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let systems = accounts::systems(c, cx.org)?;
    let jobs = continuity::jobs(c, cx.org)?;
    let plans = continuity::system_plans(c, cx.org)?;
    let drills = continuity::drills(c, cx.org)?;
    let mut warnings = Vec::new();
    if jobs.is_empty() {
        warnings.push("バックアップの記録がありません。".to_owned());
    }
    let this_year = drills
        .iter()
        .filter(|d| {
            d.drill_date
                .parse::<jiff::civil::Date>()
                .is_ok_and(|x| cx.fy.contains(x))
        })
        .count();
    if this_year == 0 {
        warnings.push(format!(
            "{}の復旧訓練の記録がありません。",
            cx.fy.label_ja()
        ));
    }
    for d in drills.iter().filter(|d| !d.ok) {
        warnings.push(format!(
            "{} の復旧訓練（{}）で復元できませんでした。",
            incident_export::system_name(&systems, d.system_id),
            d.drill_date
        ));
    }
    Ok(Section {
        key: "continuity",
        title: "バックアップ・復旧訓練",
        chart: None,
        tables: vec![
            Table::new(
                "バックアップ",
                "バックアップ",
                &incident_export::BACKUP_HEADER,
                incident_export::backup_rows(&jobs, &systems),
                &incident_export::BACKUP_WIDTHS,
            ),
            Table::new(
                "復旧訓練・手順",
                "復旧訓練と復旧手順",
                &incident_export::DRILL_HEADER,
                incident_export::drill_rows(&drills, &plans, &systems),
                &incident_export::DRILL_WIDTHS,
            )
            .with_notes(vec![format!(
                "復旧訓練: {} 件（うち{} {this_year} 件）",
                drills.len(),
                cx.fy.label_ja()
            )]),
        ],
        warnings,
    })
}

/// 事業継続計画: the latest approved version (else the latest draft).
fn bcp_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let versions = continuity::bcp_versions(c, cx.org)?;
    let approved = versions.iter().find(|v| v.approved_on.is_some());
    let shown = approved.or(versions.first());
    let mut warnings = Vec::new();
    match (shown, approved) {
        (None, _) => warnings.push("BCP が未作成です。".to_owned()),
        (Some(_), None) => warnings.push("BCP が未承認です。".to_owned()),
        (Some(_), Some(a)) => {
            if let Some(draft) = versions.first().filter(|v| v.version > a.version) {
                warnings.push(format!(
                    "BCP の第{}版が承認待ちです（承認済みの第{}版を掲載）。",
                    draft.version, a.version
                ));
            }
        }
    }
    if let Some(v) = shown {
        match iso_date(&v.next_review) {
            Some(d) if d < cx.today => warnings.push(format!(
                "BCP の見直し予定日（{}）を過ぎています。",
                date_both(&d.to_string())
            )),
            None => warnings.push("BCP の次回見直し予定日が設定されていません。".to_owned()),
            _ => {}
        }
    }
    let notes = match shown {
        Some(v) => vec![format!(
            "第{}版 ／ {} ／ 最終更新 {}",
            v.version,
            match &v.approved_on {
                Some(on) => format!(
                    "承認日 {}（{}）",
                    date_both(on),
                    v.approved_by.clone().unwrap_or_default()
                ),
                None => "未承認".to_owned(),
            },
            time_both(v.updated_at)
        )],
        None => Vec::new(),
    };
    Ok(Section {
        key: "bcp",
        title: "事業継続計画（BCP）",
        chart: None,
        tables: vec![
            Table::new(
                "事業継続計画",
                "サイバー攻撃を想定した事業継続計画（BCP）",
                &["項目", "内容"],
                incident_export::bcp_rows(shown),
                &[22.0, 90.0],
            )
            .with_notes(notes),
        ],
        warnings,
    })
}

/// The titles of the open governance findings of `rules`, as the section's warnings.
fn governance_warnings(cx: &PackCtx<'_>, rules: &[&str]) -> Vec<String> {
    cx.open
        .iter()
        .filter(|f| rules.contains(&f.rule.as_str()))
        .map(|f| f.title.clone())
        .collect()
}

/// 運用管理規程: the approved version in force, section by section.
fn policy_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let approved = store_governance::latest_approved_policy(c, cx.org)?;
    let mut warnings = governance_warnings(
        cx,
        &[
            rules_governance::POLICY_NONE,
            rules_governance::POLICY_REVIEW_OVERDUE,
        ],
    );
    let (rows, notes) = match &approved {
        Some(v) => {
            let doc: rules_governance::PolicyDocument = serde_json::from_str(&v.document)
                .map_err(|e| AppError::Internal(format!("policy version {}: {e}", v.id)))?;
            let rows = doc
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| vec![format!("第{}条", i + 1), s.heading.clone(), s.body.clone()])
                .collect();
            let note = format!(
                "{} 第{}版 ／ 承認日 {}（{}）",
                doc.title,
                v.version,
                v.approved_on.as_deref().map(date_both).unwrap_or_default(),
                v.approved_by.clone().unwrap_or_default()
            );
            (rows, vec![note])
        }
        None => {
            if warnings.is_empty() {
                warnings.push("承認された運用管理規程がありません。".to_owned());
            }
            (Vec::new(), Vec::new())
        }
    };
    Ok(Section {
        key: "policy",
        title: "運用管理規程",
        chart: None,
        tables: vec![
            Table::new(
                "運用管理規程",
                "医療情報システムの運用管理規程（承認済みの現行版）",
                &["条", "見出し", "本文"],
                rows,
                &[8.0, 24.0, 90.0],
            )
            .with_notes(notes),
        ],
        warnings,
    })
}

/// 研修記録: the 年度's training sessions and who attended.
fn training_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let sessions = store_governance::training_in_year(c, cx.org, cx.fy.0)?;
    let mut warnings = governance_warnings(
        cx,
        &[
            rules_governance::TRAINING_NONE,
            rules_governance::TRAINING_MISSING,
        ],
    );
    if sessions.is_empty() && warnings.is_empty() {
        warnings.push("この年度の研修の記録がありません。".to_owned());
    }
    let list = sessions
        .iter()
        .map(|s| {
            vec![
                s.data.held_on.clone(),
                s.data.title.clone(),
                s.data.instructor.clone().unwrap_or_default(),
                s.data.audience.clone().unwrap_or_default(),
                s.text
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| "なし".to_owned()),
                s.attendees.len().to_string(),
            ]
        })
        .collect();
    let attendance = sessions
        .iter()
        .flat_map(|s| {
            s.attendees.iter().map(|a| {
                vec![
                    s.data.held_on.clone(),
                    s.data.title.clone(),
                    a.staff_id
                        .clone()
                        .unwrap_or_else(|| "（名簿外）".to_owned()),
                    a.name.clone(),
                ]
            })
        })
        .collect();
    Ok(Section {
        key: "training",
        title: "研修記録",
        chart: None,
        tables: vec![
            Table::new(
                "研修",
                "情報セキュリティ研修の実施記録",
                &["実施日", "研修名", "講師", "対象", "テキスト", "出席者数"],
                list,
                &[22.0, 36.0, 16.0, 16.0, 28.0, 10.0],
            ),
            Table::new(
                "研修出席者",
                "研修の出席者リスト",
                &["実施日", "研修名", "職員番号", "氏名"],
                attendance,
                &[22.0, 36.0, 14.0, 18.0],
            ),
        ],
        warnings,
    })
}

/// Whether an open finding of `rule` concerns `vendor` and matches `extra` evidence fields.
fn vendor_finding(open: &[Finding], rule: &str, vendor: &str, extra: &[(&str, &str)]) -> bool {
    open.iter().any(|f| {
        f.rule == rule
            && f.evidence["vendor"].as_str() == Some(vendor.trim())
            && extra
                .iter()
                .all(|(k, v)| f.evidence[*k].as_str() == Some(*v))
    })
}

/// 事業者管理: the vendors, their documents with age and staleness (as the vendor rules
/// judged it: the open `vendor.document_*` findings) and their certifications.
fn vendors_section(c: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let d = VendorExport::load(c, cx.org)?;
    let name_of = |id: i64| {
        d.vendors
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.data.name.clone())
            .unwrap_or_default()
    };
    let mut warnings = Vec::new();
    let mut doc_rows = Vec::new();
    for x in &d.docs {
        let vendor = name_of(x.vendor_id);
        let latest = d
            .docs
            .iter()
            .filter(|y| y.vendor_id == x.vendor_id && y.kind == x.kind && y.is_current())
            .max_by(|a, b| {
                a.received_on
                    .cmp(&b.received_on)
                    .then(a.version.cmp(&b.version))
            })
            .is_some_and(|y| y.id == x.id);
        let age = x
            .received_on
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|r| (cx.today - r).get_days());
        let status = if !x.is_current() {
            "取り下げ"
        } else if !latest {
            "旧版"
        } else if vendor_finding(
            &d.open,
            rules_vendors::DOC_STALE,
            &vendor,
            &[("document", x.kind.as_str())],
        ) {
            "要更新（古い）"
        } else {
            "最新"
        };
        doc_rows.push(vec![
            vendor.clone(),
            DocKind::parse(&x.kind)
                .map_or("その他", DocKind::label_ja)
                .to_owned(),
            x.version.to_string(),
            x.form_version.clone().unwrap_or_default(),
            x.received_on.clone(),
            age.map(|a| a.to_string()).unwrap_or_default(),
            status.to_owned(),
            x.file_name.clone().unwrap_or_default(),
            x.sha256.clone().unwrap_or_default(),
        ]);
    }
    // Required documents never received: the rules' open 未受領 findings.
    for f in d
        .open
        .iter()
        .filter(|f| f.rule == rules_vendors::DOC_MISSING)
    {
        doc_rows.push(vec![
            f.evidence["vendor"].as_str().unwrap_or_default().to_owned(),
            f.evidence["document"]
                .as_str()
                .and_then(DocKind::parse)
                .map_or("その他", DocKind::label_ja)
                .to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "未受領".to_owned(),
            String::new(),
            String::new(),
        ]);
    }
    let mut cert_rows = Vec::new();
    for x in &d.certs {
        let vendor = name_of(x.vendor_id);
        let ev = [("certification", x.kind.as_str()), ("name", x.name.trim())];
        let status = if vendor_finding(&d.open, rules_vendors::CERT_EXPIRED, &vendor, &ev) {
            "期限切れ"
        } else if vendor_finding(&d.open, rules_vendors::CERT_EXPIRING, &vendor, &ev) {
            "期限間近"
        } else if x.expires_on.is_none() {
            "期限なし・不明"
        } else {
            "有効"
        };
        cert_rows.push(vec![
            vendor,
            CertKind::parse(&x.kind)
                .map_or("その他", CertKind::label_ja)
                .to_owned(),
            x.name.clone(),
            x.scope.clone().unwrap_or_default(),
            x.cert_no.clone().unwrap_or_default(),
            x.expires_on.clone().unwrap_or_default(),
            status.to_owned(),
        ]);
    }
    let count = |rows: &[Vec<String>], col: usize, what: &str| {
        rows.iter().filter(|r| r[col].starts_with(what)).count()
    };
    let (missing, stale) = (count(&doc_rows, 6, "未受領"), count(&doc_rows, 6, "要更新"));
    if d.vendors.is_empty() {
        warnings.push("事業者が登録されていません。".to_owned());
    }
    if missing > 0 {
        warnings.push(format!("事業者から未受領の書類が {missing} 件あります。"));
    }
    if stale > 0 {
        warnings.push(format!("更新が必要な古い書類が {stale} 件あります。"));
    }
    let expired = count(&cert_rows, 6, "期限切れ");
    if expired > 0 {
        warnings.push(format!(
            "有効期限が切れた第三者認証が {expired} 件あります。"
        ));
    }
    // The vendor list exactly as the vendors' own export writes it.
    let (vname, vheader, vrows) = crate::pages::vendors::export_sheets(&d)
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal("vendor export has no sheets".into()))?;
    Ok(Section {
        key: "vendors",
        title: "事業者管理",
        chart: None,
        tables: vec![
            Table::new(vname, "事業者", &vheader, vrows, &vec![18.0; vheader.len()]),
            Table::new(
                "事業者書類",
                "事業者から受領した書類（MDS/SDS・事業者確認用など）",
                &[
                    "事業者",
                    "種類",
                    "版",
                    "様式の版",
                    "受領日",
                    "経過日数",
                    "状態",
                    "ファイル",
                    "SHA-256",
                ],
                doc_rows,
                &[20.0, 22.0, 6.0, 12.0, 26.0, 10.0, 14.0, 24.0, 30.0],
            )
            .with_notes(vec![format!(
                "書類は受領から {} 日を超えると更新が必要と判定します。",
                rules_vendors::Options::default().doc_max_age_days
            )]),
            Table::new(
                "第三者認証",
                "事業者の第三者認証",
                &[
                    "事業者",
                    "種類",
                    "名称",
                    "範囲",
                    "登録番号",
                    "有効期限",
                    "状態",
                ],
                cert_rows,
                &[20.0, 18.0, 24.0, 24.0, 14.0, 26.0, 12.0],
            ),
        ],
        warnings,
    })
}

/// The area a finding's rule belongs to.
fn area_of(rule: &str) -> &'static str {
    match rule.split('.').next().unwrap_or_default() {
        "vuln" | "eos" | "asset" => "資産台帳",
        "account" => "アカウント管理",
        "vendor" => "事業者管理",
        "contact" | "backup" | "bcp" => "インシデント対応",
        "access" => "アクセスログ",
        _ => "その他",
    }
}

/// 指摘事項: every open finding, most severe first.
fn findings_section(_: &mut Conn, cx: &PackCtx<'_>) -> Result<Section, AppError> {
    let mut open = cx.open.clone();
    open.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    let rows = open
        .iter()
        .map(|f| {
            vec![
                area_of(&f.rule).to_owned(),
                f.severity.label_ja().to_owned(),
                f.checklist.join("、"),
                f.title.clone(),
                f.message.clone(),
                f.tracking.assignee.clone().unwrap_or_default(),
                f.tracking.due_date.clone().unwrap_or_default(),
                f.tracking.progress.label_ja().to_owned(),
                jst(f.first_seen),
            ]
        })
        .collect();
    let mut areas: Vec<(&str, usize)> = Vec::new();
    for f in &open {
        let a = area_of(&f.rule);
        match areas.iter_mut().find(|(x, _)| *x == a) {
            Some((_, n)) => *n += 1,
            None => areas.push((a, 1)),
        }
    }
    let summary = if areas.is_empty() {
        "未解消の指摘はありません。".to_owned()
    } else {
        areas
            .iter()
            .map(|(a, n)| format!("{a} {n} 件"))
            .collect::<Vec<_>>()
            .join(" ／ ")
    };
    let serious = open
        .iter()
        .filter(|f| f.severity >= anzen_core::finding::Severity::High)
        .count();
    let mut warnings = Vec::new();
    if serious > 0 {
        warnings.push(format!("重要度が高い未解消の指摘が {serious} 件あります。"));
    }
    Ok(Section {
        key: "findings",
        title: "指摘事項",
        chart: None,
        tables: vec![
            Table::new(
                "指摘事項",
                "未解消の指摘事項（全領域）",
                &[
                    "領域",
                    "重要度",
                    "チェックリスト",
                    "指摘",
                    "説明",
                    "担当",
                    "期限",
                    "対応状況",
                    "初回検出",
                ],
                rows,
                &[16.0, 8.0, 12.0, 40.0, 60.0, 14.0, 26.0, 10.0, 20.0],
            )
            .with_notes(vec![format!("未解消: {} 件（{summary}）", open.len())]),
        ],
        warnings,
    })
}

// ---------------------------------------------------------------------------------------
// Cover and ledger checkpoint
// ---------------------------------------------------------------------------------------

/// The signed checkpoint on the cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    pub origin: String,
    /// Tree size: the number of ledger entries it covers.
    pub size: u64,
    /// Root hash as the note writes it (base64) and in hex.
    pub root_base64: String,
    pub root_hex: String,
    /// Signing time, JST.
    pub signed_at: String,
    /// The name of the key that signed it (the verifier key's name).
    pub key_name: String,
    /// The whole signed note (C2SP signed-note format).
    pub note: String,
    /// Whether it was signed for this pack (false: the latest one already covered
    /// everything).
    pub fresh: bool,
}

impl CheckpointInfo {
    /// Parses a stored note (the signature was checked when it was written; `anzen
    /// verify` checks it again).
    pub fn from_note(note: &str, fresh: bool) -> Result<CheckpointInfo, AppError> {
        let cp = anzen_ledger::Checkpoint::parse_unverified(note)
            .map_err(|e| AppError::Internal(format!("checkpoint: {e}")))?;
        let key_name = note
            .lines()
            .filter_map(|l| l.strip_prefix("— "))
            .filter_map(|l| l.split_whitespace().next())
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(CheckpointInfo {
            origin: cp.origin,
            size: cp.size,
            root_base64: cp.root.to_base64(),
            root_hex: cp.root.to_hex(),
            signed_at: time_both(cp.time_unix.saturating_mul(1_000_000)),
            key_name,
            note: note.to_owned(),
            fresh,
        })
    }
}

/// The cover: who, when, what, and the checkpoint that vouches for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cover {
    pub facility: String,
    pub fy: FiscalYear,
    pub generated_at: i64,
    pub generated_by: String,
    pub checkpoint: Option<CheckpointInfo>,
    /// Index of the `export.inspection_pack` ledger entry that records this file's SHA-256.
    pub record_index: u64,
}

impl Cover {
    /// `令和7年度（2025年度）`.
    pub fn fy_label(&self) -> String {
        self.fy.label_both()
    }

    pub fn generated_label(&self) -> String {
        time_both(self.generated_at)
    }

    /// The sentence that tells the inspector how to check the file.
    pub fn record_line(&self) -> String {
        format!(
            "このファイルの SHA-256 は、台帳のエントリ #{} （{AUDIT_KIND}）に記録されています。確認: anzen ledger prove --index {}",
            self.record_index, self.record_index
        )
    }
}

/// A pack ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub cover: Cover,
    pub sections: Vec<Section>,
}

impl Pack {
    /// (sheet, section title, rows, warnings) in workbook order, after the cover.
    pub fn contents(&self) -> Vec<(String, &'static str, usize, String)> {
        let mut out = Vec::new();
        for s in &self.sections {
            for (i, (sheet, n)) in s.sheets().into_iter().enumerate() {
                let warn = if i == 0 {
                    s.warnings.join(" ")
                } else {
                    String::new()
                };
                out.push((sheet, s.title, n, warn));
            }
        }
        out
    }

    /// `inspection-pack-2025.xlsx`.
    pub fn file_name(&self, ext: &str) -> String {
        format!("inspection-pack-{}.{ext}", self.cover.fy.0)
    }
}

/// The result of [`generate`].
pub struct Generated {
    pub pack: Pack,
    pub body: Vec<u8>,
    /// SHA-256 of `body`, hex.
    pub sha256: String,
    /// The checkpoint signed over the `export.inspection_pack` entry (None without a
    /// signing key).
    pub sealed: Option<String>,
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds, vouches for and records a pack, in the caller's transaction: gathers the
/// sections, signs a checkpoint (or takes the latest when nothing is unsigned; without a
/// `checkpointer`, the latest), renders the body with `render`, records
/// `export.inspection_pack` with the body's SHA-256 (as entry `cover.record_index`), then
/// signs a checkpoint over that record.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    c: &mut Conn,
    org: &Org,
    actor: &str,
    fy: FiscalYear,
    today: jiff::civil::Date,
    checkpointer: Option<&Checkpointer>,
    format: &str,
    render: impl FnOnce(&Pack) -> Result<Vec<u8>, AppError>,
) -> Result<Generated, AppError> {
    let cx = PackCtx::load(c, org, fy, today)?;
    let sections = gather(c, &cx)?;
    let signed = match checkpointer {
        Some(cp) => cp.checkpoint(c, org, true)?,
        None => None,
    };
    let checkpoint = match &signed {
        Some(n) => Some(CheckpointInfo::from_note(n, true)?),
        None => ledger::latest_checkpoint(c, org.id)?
            .map(|n| CheckpointInfo::from_note(&n, false))
            .transpose()?,
    };
    // Locked (PostgreSQL) so that no other writer appends before the record below: the
    // cover names its index.
    let record_index = ledger::head(c, org.id, true)?.map_or(0, |h| h.size);
    let pack = Pack {
        cover: Cover {
            facility: org.profile.name.clone(),
            fy,
            generated_at: anzen_store::now_us(),
            generated_by: actor.to_owned(),
            checkpoint,
            record_index,
        },
        sections,
    };
    let body = render(&pack)?;
    let sha256 = sha256_hex(&body);
    let sheets: Vec<serde_json::Value> = pack
        .contents()
        .iter()
        .map(|(sheet, _, n, _)| serde_json::json!({ "sheet": sheet, "rows": n }))
        .collect();
    let cp = pack.cover.checkpoint.as_ref();
    let index = anzen_store::audit::record(
        c,
        org,
        actor,
        AUDIT_KIND,
        &serde_json::json!({
            "format": format,
            "fiscal_year": fy.0,
            "sha256": sha256,
            "bytes": body.len(),
            "checkpoint": cp.map(|c| serde_json::json!({ "size": c.size, "root": c.root_base64 })),
            "sheets": sheets,
        }),
    )?;
    if index != record_index {
        // Another writer got in between: the cover would name the wrong entry.
        return Err(AppError::Internal(format!(
            "inspection pack recorded as entry {index}, expected {record_index}"
        )));
    }
    let sealed = match checkpointer {
        Some(cp) => cp.checkpoint(c, org, true)?,
        None => None,
    };
    Ok(Generated {
        pack,
        body,
        sha256,
        sealed,
    })
}

// ---------------------------------------------------------------------------------------
// Workbook
// ---------------------------------------------------------------------------------------

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

const FONT: &str = "Yu Gothic";

/// The cover: facility, 年度, generation, table of contents, checkpoint.
fn cover_sheet(ws: &mut Worksheet, pack: &Pack) -> Result<(), XlsxError> {
    let c = &pack.cover;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_font_name(FONT);
    let bold = Format::new().set_bold().set_font_name(FONT);
    let plain = Format::new()
        .set_font_name(FONT)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let head = Format::new()
        .set_bold()
        .set_font_name(FONT)
        .set_border(FormatBorder::Thin)
        .set_background_color("#D9E1F2");
    let cell = plain.clone().set_border(FormatBorder::Thin);
    let mono = Format::new()
        .set_font_name("Consolas")
        .set_font_size(9)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    ws.set_name(COVER_SHEET)?;
    ws.write_string_with_format(0, 0, "立入検査資料（医療情報システムの安全管理）", &title)?;
    ws.set_row_height(0, 26)?;
    let mut r = 2usize;
    for (k, v) in [
        ("施設名", c.facility.clone()),
        ("年度", c.fy_label()),
        ("作成日時", c.generated_label()),
        ("作成者", c.generated_by.clone()),
    ] {
        ws.write_string_with_format(row(r), 0, k, &bold)?;
        ws.write_string_with_format(row(r), 1, v, &plain)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(row(r), 0, "目次", &bold)?;
    r += 1;
    for (i, h) in ["シート", "内容", "件数", "注意"].iter().enumerate() {
        ws.write_string_with_format(row(r), col(i), *h, &head)?;
    }
    r += 1;
    for (sheet, title, n, warn) in pack.contents() {
        ws.write_string_with_format(row(r), 0, &sheet, &cell)?;
        ws.write_string_with_format(row(r), 1, title, &cell)?;
        ws.write_number_with_format(row(r), 2, n as f64, &cell)?;
        ws.write_string_with_format(row(r), 3, &warn, &cell)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(
        row(r),
        0,
        "台帳のチェックポイント（この資料を裏付ける署名）",
        &bold,
    )?;
    r += 1;
    match &c.checkpoint {
        None => {
            ws.write_string_with_format(
                row(r),
                0,
                "署名済みチェックポイントはまだありません（台帳に記録がありません）。",
                &plain,
            )?;
            r += 1;
        }
        Some(cp) => {
            for (k, v) in [
                ("台帳（origin）", cp.origin.clone()),
                ("記録件数（tree size）", cp.size.to_string()),
                ("ルートハッシュ（base64）", cp.root_base64.clone()),
                ("ルートハッシュ（hex）", cp.root_hex.clone()),
                ("署名日時", cp.signed_at.clone()),
                ("署名鍵の名前", cp.key_name.clone()),
                (
                    "署名",
                    if cp.fresh {
                        "この資料の作成時に署名しました。".to_owned()
                    } else {
                        "作成時点の最新の署名済みチェックポイントです。".to_owned()
                    },
                ),
            ] {
                ws.write_string_with_format(row(r), 0, k, &bold)?;
                ws.write_string_with_format(row(r), 1, v, &plain)?;
                r += 1;
            }
            ws.write_string_with_format(row(r), 0, "署名付きチェックポイント", &bold)?;
            ws.write_string_with_format(row(r), 1, &cp.note, &mono)?;
            let lines = cp.note.lines().count().max(1);
            ws.set_row_height(row(r), 13.0 * lines as f64)?;
            r += 1;
        }
    }
    ws.write_string_with_format(row(r), 0, "このファイルの記録", &bold)?;
    ws.write_string_with_format(row(r), 1, c.record_line(), &plain)?;
    ws.set_column_width(0, 30)?;
    ws.set_column_width(1, 70)?;
    ws.set_column_width(2, 8)?;
    ws.set_column_width(3, 60)?;
    ws.set_paper_size(9).set_print_fit_to_pages(1, 0);
    Ok(())
}

/// One table as a sheet: heading, notes and warnings, header (frozen, repeated when
/// printed), rows; A4 landscape fitted to the width.
fn table_sheet(ws: &mut Worksheet, t: &Table, warnings: &[String]) -> Result<(), XlsxError> {
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_font_name(FONT);
    let plain = Format::new().set_font_name(FONT);
    let warn = Format::new().set_font_name(FONT).set_font_color("#B00020");
    let head = Format::new()
        .set_bold()
        .set_font_name(FONT)
        .set_border(FormatBorder::Thin)
        .set_background_color("#D9E1F2")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let cell = Format::new()
        .set_font_name(FONT)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top)
        .set_text_wrap();
    ws.set_name(&t.sheet)?;
    ws.write_string_with_format(0, 0, &t.title, &title)?;
    ws.set_row_height(0, 22)?;
    let mut r = 1usize;
    for n in &t.notes {
        ws.write_string_with_format(row(r), 0, n, &plain)?;
        r += 1;
    }
    for w in warnings {
        ws.write_string_with_format(row(r), 0, format!("注意: {w}"), &warn)?;
        r += 1;
    }
    let h = row(r);
    for (i, name) in t.header.iter().enumerate() {
        ws.write_string_with_format(h, col(i), name, &head)?;
        ws.set_column_width(col(i), t.widths.get(i).copied().unwrap_or(14.0))?;
    }
    for (i, cells) in t.rows.iter().enumerate() {
        for (j, v) in cells.iter().enumerate() {
            ws.write_string_with_format(h + 1 + row(i), col(j), v, &cell)?;
        }
    }
    ws.set_freeze_panes(h + 1, 0)?;
    ws.set_repeat_rows(h, h)?;
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

/// The workbook: 表紙, then each section's sheets.
pub fn xlsx(pack: &Pack) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    cover_sheet(wb.add_worksheet(), pack)?;
    for s in &pack.sections {
        let mut first = true;
        if let Some(c) = &s.chart {
            let ws = wb.add_worksheet();
            ws.set_name(&c.sheet)?;
            ws.set_paper_size(9);
            incident_export::draw_chart(ws, &pack.cover.facility, &c.layout)?;
        }
        for t in &s.tables {
            let w: &[String] = if first { &s.warnings } else { &[] };
            table_sheet(wb.add_worksheet(), t, w)?;
            first = false;
        }
    }
    wb.save_to_buffer()
}

/// The xlsx as the renderer [`generate`] takes.
pub fn render_xlsx(pack: &Pack) -> Result<Vec<u8>, AppError> {
    xlsx(pack).map_err(|e| AppError::Internal(format!("inspection pack xlsx: {e}")))
}

/// The chart as SVG for the print bundle.
pub fn chart_svg(pack: &Pack, c: &Chart) -> String {
    chart::svg(
        &c.layout,
        &format!("{} インシデント発生時の連絡体制図", pack.cover.facility),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_get_their_wareki() {
        assert_eq!(date_both("2025-06-01"), "2025-06-01（令和7年6月1日）");
        assert_eq!(date_both("2019-05-01"), "2019-05-01（令和元年5月1日）");
        assert_eq!(date_both("はい"), "はい");
        assert_eq!(date_both("2025-13-01"), "2025-13-01");
        assert_eq!(month_both("2025-06"), "2025-06（令和7年6月）");
    }

    #[test]
    fn the_checkpoint_note_is_read_for_the_cover() {
        let key = anzen_ledger::SigningKey::generate("anzen.test").expect("key");
        let cp = anzen_ledger::Checkpoint {
            origin: "anzen.test/ledger/org-1".into(),
            size: 42,
            root: anzen_ledger::Hash([7; 32]),
            prev: None,
            time_unix: 1_750_000_000,
        };
        let note = cp.sign(&key);
        let info = CheckpointInfo::from_note(&note, true).expect("info");
        assert_eq!(info.size, 42);
        assert_eq!(info.root_hex, "07".repeat(32));
        assert_eq!(info.root_base64, cp.root.to_base64());
        assert_eq!(info.key_name, "anzen.test");
        assert_eq!(info.origin, "anzen.test/ledger/org-1");
        assert!(info.signed_at.contains("JST"), "{}", info.signed_at);
    }

    use anzen_core::OrgKind;
    use anzen_store::continuity::{BackupJobData, Drill};
    use anzen_store::incident::ContactData;
    use anzen_store::orgs::{self, OrgProfile};
    use anzen_store::{StoreError, testing};
    use calamine::{Reader, Xlsx};
    use std::sync::Arc;
    use std::time::Duration;

    /// A clinic with one system, a contact, a backup, a drill, an unapproved BCP, the
    /// template's sample assets and a started checklist.
    pub(crate) fn seed(c: &mut Conn) -> Result<Org, StoreError> {
        let org = orgs::create(c, &OrgProfile::new("検査資料テスト医院", OrgKind::Clinic))?;
        let sys = accounts::save_system(
            c,
            &org,
            "t",
            None,
            &accounts::SystemData {
                name: "電子カルテ".into(),
                kind: "電子カルテ".into(),
                owner: Some("山田".into()),
                vendor: Some("メディシス株式会社".into()),
                supports_mfa: true,
                min_password_len: Some(8),
                note: None,
            },
        )?;
        anzen_store::incident::save_contact(
            c,
            &org,
            "t",
            None,
            &ContactData {
                role: "csirt".into(),
                name: "鈴木 一郎".into(),
                organisation: None,
                phone: Some("03-1234-5678".into()),
                email: None,
                hours: None,
                escalation_order: Some(1),
                note: None,
            },
        )?;
        continuity::save_job(
            c,
            &org,
            "t",
            None,
            &BackupJobData {
                system_id: sys.id,
                method: "外付けHDD".into(),
                generations: 3,
                offline: true,
                location: Some("院長室金庫".into()),
                frequency_days: 1,
                last_success: Some("2025-06-01".into()),
                note: None,
            },
        )?;
        continuity::add_drill(
            c,
            &org,
            "t",
            &Drill {
                id: 0,
                system_id: sys.id,
                drill_date: "2025-07-10".into(),
                ok: true,
                minutes: Some(90),
                note: Some("前日分を復元".into()),
                recorded_by: "t".into(),
            },
        )?;
        let plan = anzen_core::rules::bcp::BcpPlan {
            initial_response: vec!["ネットワークから切り離す".into()],
            ..Default::default()
        };
        continuity::save_bcp(
            c,
            &org,
            "t",
            &serde_json::to_string(&plan).map_err(|e| StoreError::Decode(e.to_string()))?,
            Some("2026-03-31"),
        )?;
        let csv = anzen_ingest::template_csv(anzen_ingest::TemplateKind::Assets);
        let parsed = anzen_ingest::parse_assets("t.csv", &csv)
            .map_err(|e| StoreError::Decode(format!("{e:?}")))?;
        for r in &parsed.rows {
            assets::create(c, &org, "t", &assets_export::from_row(&r.row))?;
        }
        let cat = checklist_export::catalog().map_err(StoreError::Decode)?;
        let edition = cat
            .edition(2025, anzen_catalog::Form::Medical)
            .ok_or_else(|| StoreError::Decode("no R7 edition".into()))?;
        let ids: Vec<String> = edition.items.iter().map(|i| i.id.to_string()).collect();
        let a = anzen_store::assessments::create(
            c,
            &org,
            "t",
            &anzen_store::assessments::NewAssessment {
                fiscal_year: 2025,
                form: "medical",
                edition_fy: 2025,
                item_ids: &ids,
                client_org_id: None,
            },
            &|_| None,
        )?;
        anzen_store::assessments::set_answer(
            c,
            &org,
            "t",
            &a,
            &ids[0],
            &anzen_store::assessments::AnswerInput {
                answer: Some(anzen_store::assessments::Answer::Yes),
                checked_on: Some("2025-06-01".into()),
                target_date: None,
                note: None,
            },
        )?;
        Ok(org)
    }

    fn checkpointer() -> Checkpointer {
        Checkpointer {
            key: Arc::new(anzen_ledger::SigningKey::generate("anzen.test").expect("key")),
            origin_prefix: "anzen.test/ledger".into(),
            every_entries: u64::MAX,
            every: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn the_pack_is_vouched_for_by_the_checkpoint_on_its_cover() {
        let today = jiff::civil::date(2025, 11, 20);
        let fy = FiscalYear(2025);
        let cp = checkpointer();
        for db in testing::all() {
            let be = db.backend;
            let g = db
                .store
                .write(|c| -> Result<(Org, Generated), AppError> {
                    let org = seed(c)?;
                    let g = generate(c, &org, "t", fy, today, Some(&cp), "xlsx", render_xlsx)?;
                    Ok((org, g))
                })
                .expect("generate");
            let (org, g) = g;
            let keys: Vec<&str> = g.pack.sections.iter().map(|s| s.key).collect();
            assert_eq!(
                keys,
                [
                    "checklist",
                    "contacts",
                    "assets",
                    "accounts",
                    "continuity",
                    "bcp",
                    "policy",
                    "training",
                    "vendors",
                    "findings"
                ],
                "[{be}]"
            );
            let bcp = &g.pack.sections[5];
            assert!(
                bcp.warnings.iter().any(|w| w == "BCP が未承認です。"),
                "[{be}] {:?}",
                bcp.warnings
            );
            // Without a 規程 or training, their sections say so (no governance findings
            // were reconciled in this store, so the sections' own checks speak).
            assert_eq!(
                g.pack.sections[6].warnings,
                ["承認された運用管理規程がありません。"],
                "[{be}]"
            );
            assert_eq!(
                g.pack.sections[7].warnings,
                ["この年度の研修の記録がありません。"],
                "[{be}]"
            );

            // The cover's checkpoint was written to the ledger, freshly, and covers every
            // entry before the pack's own record.
            let cover = g.pack.cover.checkpoint.clone().expect("checkpoint");
            assert!(cover.fresh, "[{be}]");
            assert_eq!(cover.key_name, "anzen.test", "[{be}]");
            let (notes, entry, size) = db
                .store
                .read(|c| -> Result<_, StoreError> {
                    let notes = ledger::checkpoints(c, org.id)?;
                    let e = ledger::list(
                        c,
                        org.id,
                        &ledger::EntryQuery {
                            kind_prefix: Some(AUDIT_KIND.into()),
                            ..Default::default()
                        },
                    )?;
                    Ok((notes, e, ledger::size(c, org.id)?))
                })
                .expect("ledger");
            assert!(notes.contains(&cover.note), "[{be}]");
            assert_eq!(cover.size, g.pack.cover.record_index, "[{be}]");
            let vk = cp.key.verifier_key();
            let opened = anzen_ledger::Checkpoint::open(&cover.note, &vk).expect("signature");
            assert_eq!(opened.root.to_hex(), cover.root_hex, "[{be}]");
            // The record: the file's SHA-256, at the index the cover names, sealed.
            assert_eq!(entry.len(), 1, "[{be}]");
            assert_eq!(entry[0].index, g.pack.cover.record_index, "[{be}]");
            let v: serde_json::Value = serde_json::from_slice(&entry[0].payload).expect("json");
            assert_eq!(v["sha256"], sha256_hex(&g.body), "[{be}]");
            assert_eq!(v["checkpoint"]["size"], cover.size, "[{be}]");
            let sealed = g.sealed.clone().expect("sealed");
            assert_eq!(notes.last(), Some(&sealed), "[{be}]");
            assert_eq!(
                anzen_ledger::Checkpoint::open(&sealed, &vk)
                    .expect("sealed signature")
                    .size,
                size,
                "[{be}]"
            );

            // The workbook: cover first, every sheet of the table of contents with the
            // same row counts.
            let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(g.body.clone())).expect("open");
            let names = x.sheet_names();
            let contents = g.pack.contents();
            assert_eq!(names[0], COVER_SHEET, "[{be}]");
            assert_eq!(
                names[1..].to_vec(),
                contents.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
                "[{be}]"
            );
            let cover_cells: Vec<String> = x
                .worksheet_range(COVER_SHEET)
                .expect("cover")
                .rows()
                .flat_map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                .collect();
            for want in [
                "検査資料テスト医院".to_owned(),
                "令和7年度（2025年度）".to_owned(),
                cover.root_base64.clone(),
                cover.root_hex.clone(),
                cover.size.to_string(),
                cover.note.clone(),
            ] {
                assert!(cover_cells.contains(&want), "[{be}] {want} on the cover");
            }
            for s in &g.pack.sections {
                for t in &s.tables {
                    let r = x.worksheet_range(&t.sheet).expect("sheet");
                    let header_row = r
                        .rows()
                        .position(|row| {
                            row.first().map(|c| c.to_string()) == t.header.first().cloned()
                        })
                        .expect("header row");
                    assert_eq!(
                        r.rows().count() - header_row - 1,
                        t.rows.len(),
                        "[{be}] {} rows",
                        t.sheet
                    );
                    let toc = contents.iter().find(|c| c.0 == t.sheet).expect("toc");
                    assert_eq!(toc.2, t.rows.len(), "[{be}] {}", t.sheet);
                }
            }
            let assets = &g.pack.sections[2].tables[0];
            assert_eq!(assets.rows.len(), parsed_assets(), "[{be}]");
            let drills = &g.pack.sections[4].tables[1];
            assert!(
                drills.rows[0].contains(&"2025-07-10（令和7年7月10日）".to_owned()),
                "[{be}] {:?}",
                drills.rows[0]
            );

            // Nothing appended since the seal: the next pack shows that checkpoint.
            let again = db
                .store
                .write(|c| {
                    generate(c, &org, "t", fy, today, Some(&cp), "html", |_| {
                        Ok(b"x".to_vec())
                    })
                })
                .expect("again");
            let cp2 = again.pack.cover.checkpoint.expect("checkpoint");
            assert!(!cp2.fresh, "[{be}]");
            assert_eq!(cp2.note, sealed, "[{be}]");
        }
    }

    fn parsed_assets() -> usize {
        let csv = anzen_ingest::template_csv(anzen_ingest::TemplateKind::Assets);
        anzen_ingest::parse_assets("t.csv", &csv)
            .expect("template")
            .rows
            .len()
    }
}
