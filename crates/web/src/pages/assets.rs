//! 資産台帳 — the asset ledger pages: list (with each asset's open findings), add, edit
//! (retire = 稼働状態 廃棄), history, import with a preview of what is added, changed and
//! gone, templates and exports (CSV/xlsx), and the 棚卸 (review) record. Every change runs
//! the asset rules in the same transaction, so findings follow the ledger.

use anzen_core::asset::{AssetData, AssetKind, AssetStatus};
use anzen_core::calendar::parse_date;
use anzen_core::finding::Severity;
use anzen_core::rules::assets::asset_subject;
use anzen_core::{Action, OrgId};
use anzen_ingest::TemplateKind;
use anzen_store::assets::{self, Asset, AssetDiff};
use anzen_store::findings::{self as findings_store, Finding};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::vuln_feeds;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Layout, attachment, jst, render, today_jst};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState, assets_export, checks, stage, upload};

/// Largest ledger file accepted.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// Body limit of the import route.
pub const BODY_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;

/// Runs the asset rules after a change, in the same transaction.
fn recheck(
    c: &mut anzen_store::Conn,
    org: &anzen_store::orgs::Org,
    actor: &str,
) -> Result<(), AppError> {
    checks::check_assets(c, org, actor, today_jst()).map_err(AppError::from)?;
    // An asset's 保守事業者 must be on the 連絡体制図.
    checks::check_incident(c, org, actor, today_jst())?;
    Ok(())
}

/// One row of the list.
struct AssetLine {
    id: i64,
    key: String,
    kind: &'static str,
    name: String,
    product: String,
    location: String,
    status: &'static str,
    retired: bool,
    findings: usize,
    worst: &'static str,
    worst_class: &'static str,
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low | Severity::Info => "sev-low",
    }
}

#[derive(Template)]
#[template(path = "assets.html")]
struct ListPage {
    layout: Layout,
    org: i64,
    lines: Vec<AssetLine>,
    show_all: bool,
    counts: Vec<(&'static str, usize)>,
    retired: usize,
    review: String,
    feeds: Vec<(String, i64)>,
    feed_files: Vec<String>,
    can_edit: bool,
    can_export: bool,
    today: String,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    show: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// `GET /o/{org}/assets`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (all, open, review, feeds, files) = state
        .db(move |c| {
            Ok((
                assets::list(c, &o)?,
                findings_store::list(c, &o, true)?,
                assets::latest_review(c, &o)?,
                vuln_feeds::counts(c)?,
                vuln_feeds::files(c)?,
            ))
        })
        .await?;
    let show_all = q.show.as_deref() == Some("all");
    let retired = all
        .iter()
        .filter(|a| a.data.status == AssetStatus::Retired)
        .count();
    let counts = AssetKind::ALL
        .into_iter()
        .map(|k| {
            (
                k.label_ja(),
                all.iter()
                    .filter(|a| a.data.kind == k && a.data.status != AssetStatus::Retired)
                    .count(),
            )
        })
        .collect();
    let lines = all
        .iter()
        .filter(|a| show_all || a.data.status != AssetStatus::Retired)
        .map(|a| {
            let subject = asset_subject(&a.data.key);
            let mine: Vec<&Finding> = open.iter().filter(|f| f.subject == subject).collect();
            let worst = mine.iter().map(|f| f.severity).min();
            let d = &a.data;
            AssetLine {
                id: a.id,
                key: d.key.clone(),
                kind: d.kind.label_ja(),
                name: d.name.clone(),
                product: [&d.vendor, &d.product, &d.os, &d.version]
                    .iter()
                    .filter_map(|v| v.as_deref())
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
                location: d
                    .location
                    .clone()
                    .or_else(|| d.department.clone())
                    .unwrap_or_default(),
                status: d.status.label_ja(),
                retired: d.status == AssetStatus::Retired,
                findings: mine.len(),
                worst: worst.map_or("", Severity::label_ja),
                worst_class: worst.map_or("", severity_class),
            }
        })
        .collect();
    render(&ListPage {
        layout: Layout::org(&state, &ctx, "資産台帳", "nav.assets"),
        org,
        lines,
        show_all,
        counts,
        retired,
        review: review.map_or_else(
            || "まだありません".to_owned(),
            |r| format!("{}（{}、{}台）", r.reviewed_on, r.reviewed_by, r.assets),
        ),
        feeds,
        feed_files: files
            .iter()
            .take(5)
            .map(|f| {
                format!(
                    "{} {}（{}、{}件、取込 {}）",
                    f.kind.to_uppercase(),
                    f.file_name,
                    f.feed_date.as_deref().unwrap_or("日付なし"),
                    f.records,
                    jst(f.imported_at)
                )
            })
            .collect(),
        can_edit: ctx.role.can(Action::EditRecords),
        can_export: ctx.role.can(Action::Export),
        today: today_jst().to_string(),
        flash: q.done,
    })
}

/// The asset form as posted (every field a string; validated by [`parse_form`]).
#[derive(Deserialize, Default, Clone)]
pub struct AssetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    maintainer: String,
    #[serde(default)]
    remote_maintenance: String,
    #[serde(default)]
    internet_facing: String,
    #[serde(default)]
    source_restricted: String,
    #[serde(default)]
    usb_restricted: String,
    #[serde(default)]
    services_minimized: String,
    #[serde(default)]
    last_patched: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cpe: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(500).collect())
}

fn tri(s: &str) -> Option<bool> {
    match s {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

fn tri_code(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

impl AssetForm {
    fn of(d: &AssetData) -> AssetForm {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        AssetForm {
            csrf: String::new(),
            key: d.key.clone(),
            kind: d.kind.code().to_owned(),
            name: d.name.clone(),
            vendor: s(&d.vendor),
            product: s(&d.product),
            version: s(&d.version),
            os: s(&d.os),
            hostname: s(&d.hostname),
            ip: s(&d.ip),
            location: s(&d.location),
            department: s(&d.department),
            maintainer: s(&d.maintainer),
            remote_maintenance: tri_code(d.remote_maintenance).to_owned(),
            internet_facing: tri_code(d.internet_facing).to_owned(),
            source_restricted: tri_code(d.source_restricted).to_owned(),
            usb_restricted: tri_code(d.usb_restricted).to_owned(),
            services_minimized: tri_code(d.services_minimized).to_owned(),
            last_patched: s(&d.last_patched),
            status: d.status.code().to_owned(),
            cpe: s(&d.cpe),
        }
    }
}

/// Validates the form; Japanese messages name the field.
pub fn parse_form(f: &AssetForm, today: jiff::civil::Date) -> Result<AssetData, Vec<String>> {
    let mut errors = Vec::new();
    let key = f.key.trim();
    if key.is_empty() {
        errors.push("資産IDを入力してください。".to_owned());
    } else if key.chars().count() > 100 {
        errors.push("資産IDは100文字以内で入力してください。".to_owned());
    }
    let name = f.name.trim();
    if name.is_empty() {
        errors.push("名称を入力してください。".to_owned());
    }
    let kind = AssetKind::parse(&f.kind);
    if kind.is_none() {
        errors.push("種別を選んでください。".to_owned());
    }
    let status = AssetStatus::parse(&f.status);
    if status.is_none() {
        errors.push("稼働状態を選んでください。".to_owned());
    }
    let last_patched = match f.last_patched.trim() {
        "" => None,
        s => match parse_date(s) {
            Ok(d) if d > today => {
                errors.push(format!("最終パッチ適用日「{s}」は未来の日付です。"));
                None
            }
            Ok(d) => Some(d.to_string()),
            Err(e) => {
                errors.push(format!("最終パッチ適用日: {}", e.message_ja()));
                None
            }
        },
    };
    let cpe = opt(&f.cpe);
    if let Some(c) = &cpe
        && !c
            .split_whitespace()
            .all(|x| x.starts_with("cpe:2.3:") || x.starts_with("cpe:/"))
    {
        errors.push(format!(
            "CPE「{c}」は cpe:2.3: で始まる CPE 名で入力してください。"
        ));
    }
    let (Some(kind), Some(status), true) = (kind, status, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(AssetData {
        key: key.to_owned(),
        kind,
        name: name.chars().take(200).collect(),
        vendor: opt(&f.vendor),
        product: opt(&f.product),
        version: opt(&f.version),
        os: opt(&f.os),
        hostname: opt(&f.hostname),
        ip: opt(&f.ip),
        location: opt(&f.location),
        department: opt(&f.department),
        maintainer: opt(&f.maintainer),
        remote_maintenance: tri(&f.remote_maintenance),
        internet_facing: tri(&f.internet_facing),
        source_restricted: tri(&f.source_restricted),
        usb_restricted: tri(&f.usb_restricted),
        services_minimized: tri(&f.services_minimized),
        last_patched,
        status,
        cpe,
    })
}

/// A history line of one asset.
struct HistoryLine {
    when: String,
    who: String,
    what: &'static str,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "asset_form.html")]
struct FormPage {
    layout: Layout,
    org: i64,
    id: Option<i64>,
    f: AssetForm,
    errors: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    /// (field, label, `yes`/`no`/empty) of the yes/no columns.
    flags: Vec<(&'static str, &'static str, String)>,
    findings: Vec<Finding>,
    history: Vec<HistoryLine>,
    can_edit: bool,
}

fn form_page(
    state: &AppState,
    ctx: &OrgCtx,
    id: Option<i64>,
    f: AssetForm,
    errors: Vec<String>,
    extra: (Vec<Finding>, Vec<HistoryLine>),
) -> Result<Response, AppError> {
    let status = super::form_status(errors.is_empty());
    let title = if id.is_some() {
        "資産の編集"
    } else {
        "資産の登録"
    };
    let flags = vec![
        (
            "remote_maintenance",
            "リモートメンテナンス",
            f.remote_maintenance.clone(),
        ),
        ("internet_facing", "外部接続", f.internet_facing.clone()),
        (
            "source_restricted",
            "接続元制限",
            f.source_restricted.clone(),
        ),
        ("usb_restricted", "USB制限", f.usb_restricted.clone()),
        (
            "services_minimized",
            "不要サービス停止",
            f.services_minimized.clone(),
        ),
    ];
    let html = render(&FormPage {
        layout: Layout::org(state, ctx, title, "nav.assets"),
        org: ctx.org.id.0,
        id,
        flags,
        f,
        errors,
        kinds: AssetKind::ALL
            .into_iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        statuses: AssetStatus::ALL
            .into_iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        findings: extra.0,
        history: extra.1,
        can_edit: ctx.role.can(Action::EditRecords),
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/assets/new`
pub async fn new_form(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditRecords)?;
    let f = AssetForm {
        kind: AssetKind::Server.code().to_owned(),
        status: AssetStatus::Active.code().to_owned(),
        ..AssetForm::default()
    };
    form_page(&state, &ctx, None, f, Vec::new(), (Vec::new(), Vec::new()))
}

/// `POST /o/{org}/assets`
pub async fn create(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<AssetForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse_form(&f, today_jst()) {
        Ok(d) => d,
        Err(e) => return form_page(&state, &ctx, None, f, e, (Vec::new(), Vec::new())),
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let result = state
        .tx(move |c| {
            let a = assets::create(c, &o, &actor, &data)?;
            recheck(c, &o, &actor)?;
            Ok(a)
        })
        .await;
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/o/{org}/assets/{}", a.id)).into_response()),
        Err(AppError::BadRequest(m)) => {
            form_page(&state, &ctx, None, f, vec![m], (Vec::new(), Vec::new()))
        }
        Err(e) => Err(e),
    }
}

fn history_of(entries: &[anzen_store::ledger::StoredEntry], key: &str) -> Vec<HistoryLine> {
    entries
        .iter()
        .filter_map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.payload).ok()?;
            if v["asset_key"].as_str() != Some(key) {
                return None;
            }
            let what = match e.kind.as_str() {
                "asset.create" => "登録",
                "asset.retire" => "廃棄",
                _ => "変更",
            };
            let mut changes = Vec::new();
            if let (Some(b), Some(a)) = (v["before"].as_object(), v["after"].as_object()) {
                for (k, after) in a {
                    let before = b.get(k).unwrap_or(&serde_json::Value::Null);
                    if before != after {
                        changes.push(format!("{k}: {} → {}", show(before), show(after)));
                    }
                }
            }
            Some(HistoryLine {
                when: jst(e.time_us),
                who: e.author.clone(),
                what,
                changes,
            })
        })
        .collect()
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "（空）".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn load_one(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
) -> Result<(Asset, Vec<Finding>, Vec<HistoryLine>), AppError> {
    let o = ctx.org.clone();
    state
        .db(move |c| {
            let a = assets::get(c, &o, id)?.ok_or(AppError::NotFound)?;
            let subject = asset_subject(&a.data.key);
            let findings: Vec<Finding> = findings_store::list(c, &o, false)?
                .into_iter()
                .filter(|f| f.subject == subject)
                .collect();
            let entries = ledger::list(
                c,
                o.id,
                &EntryQuery {
                    kind_prefix: Some("asset.".to_owned()),
                    ..EntryQuery::default()
                },
            )?;
            let history = history_of(&entries, &a.data.key);
            Ok((a, findings, history))
        })
        .await
}

/// `GET /o/{org}/assets/{id}`: the asset, its findings and its history.
pub async fn edit_form(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let (a, findings, history) = load_one(&state, &ctx, id).await?;
    form_page(
        &state,
        &ctx,
        Some(id),
        AssetForm::of(&a.data),
        Vec::new(),
        (findings, history),
    )
}

/// `POST /o/{org}/assets/{id}`
pub async fn update(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<AssetForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse_form(&f, today_jst()) {
        Ok(d) => d,
        Err(e) => {
            let (_, findings, history) = load_one(&state, &ctx, id).await?;
            return form_page(&state, &ctx, Some(id), f, e, (findings, history));
        }
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let result = state
        .tx(move |c| {
            assets::update(c, &o, &actor, id, &data)?;
            recheck(c, &o, &actor)
        })
        .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/o/{org}/assets/{id}")).into_response()),
        Err(AppError::BadRequest(m)) => {
            let (_, findings, history) = load_one(&state, &ctx, id).await?;
            form_page(&state, &ctx, Some(id), f, vec![m], (findings, history))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reviewed_on: String,
    #[serde(default)]
    note: String,
}

/// `POST /o/{org}/assets/check`: runs the asset rules now (e.g. after new feeds).
pub async fn check(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let applied = state
        .tx(move |c| checks::check_assets(c, &o, &actor, today_jst()).map_err(AppError::from))
        .await?;
    let msg = format!(
        "照合しました: 新規 {}件・再発 {}件・解消 {}件・継続 {}件",
        applied.opened, applied.reopened, applied.resolved, applied.still_open
    );
    Ok(Redirect::to(&format!("/o/{org}/assets?done={}", urlencode(&msg))).into_response())
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `POST /o/{org}/assets/review`: records a 棚卸 of the whole ledger.
pub async fn review(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let today = today_jst();
    let on = match f.reviewed_on.trim() {
        "" => today,
        s => match parse_date(s) {
            Ok(d) if d <= today => d,
            Ok(_) => {
                return Err(AppError::BadRequest(format!(
                    "棚卸日「{s}」は未来の日付です。"
                )));
            }
            Err(e) => return Err(AppError::BadRequest(format!("棚卸日: {}", e.message_ja()))),
        },
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let note = opt(&f.note);
    state
        .tx(move |c| {
            Ok(assets::record_review(
                c,
                &o,
                &actor,
                &on.to_string(),
                note.as_deref(),
            )?)
        })
        .await?;
    Ok(Redirect::to(&format!(
        "/o/{org}/assets?done={}",
        urlencode("棚卸を記録しました")
    ))
    .into_response())
}

/// `GET /o/{org}/assets/template.csv` and `.xlsx`: the 資産台帳 template.
pub async fn template(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, file)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    match file.as_str() {
        "template.csv" => Ok(attachment(
            "text/csv; charset=utf-8",
            "assets-template.csv",
            anzen_ingest::template_csv(TemplateKind::Assets),
        )),
        "template.xlsx" => Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "assets-template.xlsx",
            anzen_ingest::template_xlsx(TemplateKind::Assets),
        )),
        "export.csv" | "export.xlsx" => export(&state, &ctx, &file).await,
        _ => Err(AppError::NotFound),
    }
}

async fn export(state: &AppState, ctx: &OrgCtx, file: &str) -> Result<Response, AppError> {
    ctx.require(Action::Export)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let format = if file.ends_with("xlsx") {
        "xlsx"
    } else {
        "csv"
    };
    let all = state
        .tx(move |c| {
            let all = assets::list(c, &o)?;
            anzen_store::audit::record(
                c,
                &o,
                &actor,
                "export.assets",
                &serde_json::json!({ "format": format, "rows": all.len() }),
            )?;
            Ok(all)
        })
        .await?;
    let name = format!("assets-{}.{format}", today_jst());
    if format == "xlsx" {
        let body = assets_export::xlsx(&all)
            .map_err(|e| AppError::Internal(format!("assets xlsx: {e}")))?;
        Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &name,
            body,
        ))
    } else {
        Ok(attachment(
            "text/csv; charset=utf-8",
            &name,
            assets_export::csv(&all).into_bytes(),
        ))
    }
}

/// A parsed ledger file waiting for confirmation.
struct StagedImport {
    file_name: String,
    sha256: String,
    rows: Vec<AssetData>,
}

/// The preview of an import.
struct DiffView {
    added: Vec<String>,
    changed: Vec<(String, Vec<String>)>,
    gone: Vec<String>,
    unchanged: usize,
}

fn diff_view(d: &AssetDiff) -> DiffView {
    let label = |a: &AssetData| format!("{} {}（{}）", a.key, a.name, a.kind.label_ja());
    DiffView {
        added: d.added.iter().map(label).collect(),
        changed: d
            .changed
            .iter()
            .map(|(old, new)| {
                let (b, a) = (assets_export::cells(&old.data), assets_export::cells(new));
                let fields = assets_export::header()
                    .iter()
                    .zip(b.iter().zip(&a))
                    .filter(|(_, (x, y))| x != y)
                    .map(|(h, (x, y))| {
                        format!(
                            "{h}: {} → {}",
                            if x.is_empty() { "（空）" } else { x },
                            if y.is_empty() { "（空）" } else { y }
                        )
                    })
                    .collect();
                (label(new), fields)
            })
            .collect(),
        gone: d.gone.iter().map(|a| label(&a.data)).collect(),
        unchanged: d.unchanged,
    }
}

#[derive(Template)]
#[template(path = "asset_import.html")]
struct ImportPage {
    layout: Layout,
    org: i64,
    errors: Vec<String>,
    warnings: Vec<String>,
    source: String,
    token: String,
    file_name: String,
    diff: Option<DiffView>,
}

fn import_page(page: ImportPage) -> Result<Response, AppError> {
    let status = super::form_status(page.errors.is_empty());
    Ok((status, render(&page)?).into_response())
}

fn empty_import(state: &AppState, ctx: &OrgCtx, errors: Vec<String>) -> ImportPage {
    ImportPage {
        layout: Layout::org(state, ctx, "資産台帳の取り込み", "nav.assets"),
        org: ctx.org.id.0,
        errors,
        warnings: Vec::new(),
        source: String::new(),
        token: String::new(),
        file_name: String::new(),
        diff: None,
    }
}

/// `GET /o/{org}/assets/import`
pub async fn import_form(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditRecords)?;
    let page = empty_import(&state, &ctx, Vec::new());
    import_page(page)
}

/// `POST /o/{org}/assets/import` (multipart: csrf, file): parses the whole file (all or
/// nothing) and shows what would be added, changed and gone.
pub async fn import_upload(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let mut up = upload::read(mp, MAX_IMPORT_BYTES).await?;
    let file = up.file.take();
    let csrf = up.field("csrf").to_owned();
    let file_name = file
        .as_ref()
        .and_then(|f| f.name.as_deref())
        .and_then(super::checklist::evidence::clean_file_name)
        .unwrap_or_default();
    let bytes = file.map(|f| f.bytes).unwrap_or_default();
    ctx.auth.check_csrf(&csrf)?;
    ctx.require(Action::EditRecords)?;
    if file_name.is_empty() || bytes.is_empty() {
        let page = empty_import(
            &state,
            &ctx,
            vec!["取り込むファイル（CSV または xlsx）を選んでください。".to_owned()],
        );
        return import_page(page);
    }
    let parsed = match anzen_ingest::parse_assets(&file_name, &bytes) {
        Ok(p) => p,
        Err(problems) => {
            let page = empty_import(
                &state,
                &ctx,
                problems.iter().map(ToString::to_string).collect(),
            );
            return import_page(page);
        }
    };
    let rows: Vec<AssetData> = parsed
        .rows
        .iter()
        .map(|r| assets_export::from_row(&r.row))
        .collect();
    let o = ctx.org.clone();
    let incoming = rows.clone();
    let d = state
        .db(move |c| Ok(assets::diff(&assets::list(c, &o)?, &incoming)))
        .await?;
    let source = format!(
        "{}{}{}（{}行）",
        match parsed.source.format {
            anzen_ingest::Format::Xlsx => "Excel（xlsx）",
            anzen_ingest::Format::Csv => "CSV",
            anzen_ingest::Format::JsonLines => "JSON Lines",
        },
        parsed
            .source
            .encoding
            .map(|e| format!("・{}", e.label()))
            .unwrap_or_default(),
        if parsed.source.gzip { "・gzip" } else { "" },
        rows.len()
    );
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let token = stage::put(
        ctx.org.id.0,
        &ctx.actor(),
        StagedImport {
            file_name: file_name.clone(),
            sha256,
            rows,
        },
    );
    let page = ImportPage {
        warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
        source,
        token,
        file_name,
        diff: Some(diff_view(&d)),
        ..empty_import(&state, &ctx, Vec::new())
    };
    import_page(page)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    retire_gone: Option<String>,
}

/// `POST /o/{org}/assets/import/confirm`: applies the previewed file in one transaction
/// (with the rules run on the result).
pub async fn import_confirm(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let staged = stage::get::<StagedImport>(&f.token, ctx.org.id.0, &ctx.actor())
        .ok_or_else(|| AppError::BadRequest(stage::GONE_JA.to_owned()))?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let retire = f.retire_gone.is_some();
    let s = staged.clone();
    let summary = state
        .tx(move |c| {
            let summary =
                assets::apply_import(c, &o, &actor, (&s.file_name, &s.sha256), &s.rows, retire)?;
            recheck(c, &o, &actor)?;
            Ok(summary)
        })
        .await?;
    stage::forget(&f.token);
    let msg = format!(
        "{} を取り込みました: 追加 {}件・変更 {}件・廃棄 {}件・変更なし {}件",
        staged.file_name, summary.added, summary.changed, summary.retired, summary.unchanged
    );
    Ok(Redirect::to(&format!("/o/{org}/assets?done={}", urlencode(&msg))).into_response())
}
