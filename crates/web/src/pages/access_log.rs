//! アクセスログ — search the organisation's access logs ("who looked at patient X and when",
//! "what did user Y do", filters by system, action and time), export the result (CSV with
//! BOM, xlsx), see the quarantine of malformed lines, and upload a log file.
//!
//! Reading access logs is itself an access: every search and export is recorded in the
//! audit trail (`access_log.search`, `export.access_log`). Who may search: the roles that
//! may read the audit trail (管理者, 安全管理責任者, 監査者).

use anzen_accesslog::import::{self, ImportSource};
use anzen_accesslog::query::record_search;
use anzen_accesslog::{AccessLogError, Filter, StoredEvent};
use anzen_core::{Action, OrgId};
use anzen_ingest::{AccessAction, Choice};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Layout, attachment, jst, render, today_jst};
use crate::ctx::Authed;
use crate::{AppError, AppState, upload};

/// Upload limit of the import form (bigger logs go through `anzen import access-log` or the
/// watched directory).
pub const BODY_LIMIT: usize = 200 * 1024 * 1024;
const PAGE: u64 = 100;
/// Rows in an export at most.
const EXPORT_MAX: u64 = 100_000;

fn app_error(e: AccessLogError) -> AppError {
    match e {
        AccessLogError::Input(m) => AppError::BadRequest(m),
        AccessLogError::Store(s) => s.into(),
        other => AppError::Internal(other.to_string()),
    }
}

/// The search form as submitted (all text; blank = not filtered).
#[derive(Deserialize, Default, Clone)]
pub struct SearchForm {
    #[serde(default)]
    pub(crate) patient: String,
    #[serde(default)]
    pub(crate) user: String,
    #[serde(default)]
    pub(crate) system: String,
    #[serde(default)]
    pub(crate) action: String,
    #[serde(default)]
    pub(crate) from: String,
    #[serde(default)]
    pub(crate) to: String,
    #[serde(default)]
    pub(crate) page: u64,
}

impl SearchForm {
    fn any(&self) -> bool {
        [
            &self.patient,
            &self.user,
            &self.system,
            &self.action,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|s| !s.trim().is_empty())
    }

    pub(crate) fn filter(&self) -> Result<Filter, String> {
        let t = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let time = |s: &str, what: &str| {
            t(s).map(|v| anzen_ingest::parse_time_bound(&v).map_err(|m| format!("{what}: {m}")))
                .transpose()
        };
        let action = match t(&self.action) {
            None => None,
            Some(a) => Some(AccessAction::parse(&a).ok_or_else(|| {
                format!("操作『{a}』は {} のいずれかです", AccessAction::list_ja())
            })?),
        };
        let mut to_us = time(&self.to, "終了")?;
        // A date alone as the end means "through that day".
        if let (Some(v), Some(raw)) = (to_us.as_mut(), t(&self.to))
            && !raw.contains([' ', 'T', ':'])
        {
            *v += 86_400_000_000;
        }
        Ok(Filter {
            patient: t(&self.patient),
            user: t(&self.user),
            system: t(&self.system),
            action,
            from_us: time(&self.from, "開始")?,
            to_us,
        })
    }

    /// The query string of this search (for paging and export links).
    fn query(&self) -> String {
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s.trim(), percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        format!(
            "patient={}&user={}&system={}&action={}&from={}&to={}",
            enc(&self.patient),
            enc(&self.user),
            enc(&self.system),
            enc(&self.action),
            enc(&self.from),
            enc(&self.to)
        )
    }
}

/// One event as shown.
pub struct EventLine {
    pub seq: u64,
    pub time: String,
    pub system: String,
    pub user: String,
    pub patient: String,
    pub action: &'static str,
    pub result: &'static str,
    pub terminal: String,
    pub detail: String,
}

fn line(s: &StoredEvent) -> EventLine {
    let e = &s.event;
    EventLine {
        seq: s.seq,
        time: jst(e.time_us),
        system: e.system.clone(),
        user: e.user.clone(),
        patient: e.patient.clone().unwrap_or_default(),
        action: e.action.ja(),
        result: e.result.map_or("", |r| r.ja()),
        terminal: e.terminal.clone().unwrap_or_default(),
        detail: e.detail.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct SearchPage {
    layout: Layout,
    org: i64,
    form: SearchForm,
    actions: Vec<&'static str>,
    searched: bool,
    error: Option<String>,
    lines: Vec<EventLine>,
    total: Option<u64>,
    more: bool,
    query: String,
    can_export: bool,
    can_import: bool,
    retention_years: u32,
    events: u64,
    imports: Vec<(String, String, u64, u64)>,
}

/// `GET /o/{org}/access-log?patient=…&user=…&system=…&action=…&from=…&to=…&page=N`
pub async fn search(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(form): Query<SearchForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    let searched = form.any();
    let (filter, error) = match form.filter() {
        Ok(f) => (Some(f), None),
        Err(m) => (None, Some(m)),
    };
    let (o, actor, page) = (ctx.org.clone(), ctx.actor(), form.page);
    let run = filter.filter(|_| searched);
    let pool = state.store.clone();
    let (result, years, events, imports) = state
        .tx(move |c| {
            let result = match &run {
                Some(f) => {
                    let p = anzen_accesslog::search(c, Some(&pool), &o, f, page * PAGE, PAGE)
                        .map_err(app_error)?;
                    record_search(c, &o, &actor, f, p.events.len()).map_err(app_error)?;
                    Some(p)
                }
                None => None,
            };
            let years = anzen_accesslog::retention_years(c, &o).map_err(app_error)?;
            let events = anzen_accesslog::event_count(c, &o).map_err(app_error)?;
            let imports = import::imports(c, &o, 10).map_err(app_error)?;
            Ok((result, years, events, imports))
        })
        .await?;
    let (lines, total, more) = match &result {
        Some(p) => (p.events.iter().map(line).collect(), p.total, p.more),
        None => (Vec::new(), None, false),
    };
    render(&SearchPage {
        layout: Layout::org(&state, &ctx, "アクセスログ", "nav.access_log"),
        org,
        query: form.query(),
        form,
        actions: AccessAction::ALL.iter().map(|a| a.ja()).collect(),
        searched,
        error,
        lines,
        total,
        more,
        can_export: ctx.role.can(Action::Export),
        can_import: ctx.role.can(Action::EditRecords),
        retention_years: years,
        events,
        imports: imports
            .into_iter()
            .map(|i| (i.file_name, jst(i.imported_at), i.events, i.quarantined))
            .collect(),
    })
}

const HEADER: [&str; 9] = [
    "番号",
    "日時",
    "システム",
    "アカウントID",
    "患者ID",
    "操作",
    "結果",
    "端末",
    "詳細",
];

fn cells(l: &EventLine) -> [String; 9] {
    [
        l.seq.to_string(),
        l.time.clone(),
        l.system.clone(),
        l.user.clone(),
        l.patient.clone(),
        l.action.to_owned(),
        l.result.to_owned(),
        l.terminal.clone(),
        l.detail.clone(),
    ]
}

/// CSV, UTF-8 with BOM and CRLF (Excel-friendly).
pub fn csv(lines: &[EventLine]) -> String {
    let mut out = String::from("\u{feff}");
    let mut row = |fields: &[String]| {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        }
        out.push_str("\r\n");
    };
    row(&HEADER.map(str::to_owned));
    for l in lines {
        row(&cells(l));
    }
    out
}

/// xlsx: header bold and frozen, cells as text.
pub fn xlsx(lines: &[EventLine]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("アクセスログ")?;
    let bold = Format::new().set_bold();
    for (col, name) in HEADER.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *name, &bold)?;
        ws.set_column_width(col, if col == 1 { 20 } else { 14 })?;
    }
    for (i, l) in lines.iter().enumerate() {
        let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
        for (col, v) in cells(l).iter().enumerate() {
            ws.write_string(row, u16::try_from(col).unwrap_or(u16::MAX), v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// `GET /o/{org}/access-log/export.csv|export.xlsx?…` — the whole result (up to 100,000).
pub async fn export(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, file)): Path<(i64, String)>,
    Query(form): Query<SearchForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    ctx.require(Action::Export)?;
    let format = match file.as_str() {
        "export.csv" => "csv",
        "export.xlsx" => "xlsx",
        _ => return Err(AppError::NotFound),
    };
    if !form.any() {
        return Err(AppError::BadRequest(
            "検索条件を指定してから出力してください。".to_owned(),
        ));
    }
    let f = form.filter().map_err(AppError::BadRequest)?;
    let (o, actor, pool) = (ctx.org.clone(), ctx.actor(), state.store.clone());
    let page = state
        .tx(move |c| {
            let p = anzen_accesslog::search(c, Some(&pool), &o, &f, 0, EXPORT_MAX)
                .map_err(app_error)?;
            anzen_store::audit::record(
                c,
                &o,
                &actor,
                "export.access_log",
                &serde_json::json!({"format": format, "filter": f, "rows": p.events.len()}),
            )?;
            Ok(p)
        })
        .await?;
    let lines: Vec<EventLine> = page.events.iter().map(line).collect();
    let name = format!("access-log-{}.{format}", today_jst());
    if format == "xlsx" {
        let body = xlsx(&lines).map_err(|e| AppError::Internal(format!("access log xlsx: {e}")))?;
        Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &name,
            body,
        ))
    } else {
        Ok(attachment(
            "text/csv; charset=utf-8",
            &name,
            csv(&lines).into_bytes(),
        ))
    }
}

#[derive(Template)]
#[template(path = "access_log_quarantine.html")]
struct QuarantinePage {
    layout: Layout,
    org: i64,
    rows: Vec<import::Quarantined>,
    created: Vec<String>,
    page: u64,
    has_next: bool,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: u64,
}

/// `GET /o/{org}/access-log/quarantine` — malformed lines kept with their reason.
pub async fn quarantine(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    let o = ctx.org.clone();
    let page = q.page;
    let mut rows = state
        .db(move |c| import::quarantined(c, &o, None, page * PAGE, PAGE + 1).map_err(app_error))
        .await?;
    let has_next = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    render(&QuarantinePage {
        layout: Layout::org(&state, &ctx, "隔離された行", "nav.access_log"),
        org,
        created: rows.iter().map(|r| jst(r.created_at)).collect(),
        rows,
        page,
        has_next,
    })
}

/// `POST /o/{org}/access-log/import` — a log file uploaded from the browser.
pub async fn import_upload(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let mut up = upload::read(mp, BODY_LIMIT).await?;
    let file = up.file.take();
    ctx.auth.check_csrf(up.field("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let file_name = file
        .as_ref()
        .and_then(|f| f.name.as_deref())
        .and_then(super::checklist::evidence::clean_file_name)
        .unwrap_or_default();
    let bytes = file.map(|f| f.bytes).unwrap_or_default();
    if file_name.is_empty() || bytes.is_empty() {
        return Err(AppError::BadRequest(
            "取り込むアクセスログのファイルを選んでください。".to_owned(),
        ));
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let out = state
        .tx(move |c| {
            let out = import::import_in(
                c,
                &o,
                ImportSource {
                    file_name: &file_name,
                    sha256: &sha,
                    origin: "upload",
                    actor: &actor,
                },
                bytes.as_slice(),
                &mut |_| {},
            )
            .map_err(app_error)?;
            // The monitoring rules over the days this file touched.
            crate::checks::check_access_log_seqs(c, &o, &actor, out.first_seq..out.end_seq)?;
            Ok(out)
        })
        .await?;
    let _ = out;
    // The recent imports on the search page show the counts (and the quarantine link).
    Ok(Redirect::to(&format!("/o/{org}/access-log")).into_response())
}
