//! 立入検査 pack pages: what the pack of a 年度 will contain (with warnings for empty or
//! unapproved parts), the xlsx download and the A4 print bundle. Both files are built by
//! `inspection_pack::generate`, which signs a checkpoint, puts it on the cover and records
//! the file's SHA-256 in the ledger (`export.inspection_pack`).

use anzen_core::calendar::FiscalYear;
use anzen_core::{Action, OrgId};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};

use super::{Layout, attachment, render, today_jst};
use crate::ctx::Authed;
use crate::inspection_pack::{self as pack, Cover, Pack, PackCtx};
use crate::{AppError, AppState};

#[derive(Debug, serde::Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
}

/// The 年度 asked for (a western year), else the current one.
fn parse_year(raw: Option<&str>) -> Result<FiscalYear, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(FiscalYear::of(today_jst())),
        Some(s) => match s.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(FiscalYear(y)),
            _ => Err(AppError::BadRequest(format!(
                "年度「{s}」は西暦の4桁（例: 2025）で指定してください。"
            ))),
        },
    }
}

/// One line of the contents preview.
pub struct Line {
    pub sheet: String,
    pub section: &'static str,
    pub rows: usize,
    pub warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "inspection_pack.html")]
struct PackPage {
    layout: Layout,
    org: i64,
    year: i32,
    years: Vec<(i32, String)>,
    fy_label: String,
    lines: Vec<Line>,
    warnings: usize,
    signs: bool,
}

/// `GET /o/{org}/inspection-pack?year=FY`
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let fy = parse_year(q.year.as_deref())?;
    let o = ctx.org.clone();
    let today = today_jst();
    let sections = state
        .db(move |c| {
            let cx = PackCtx::load(c, &o, fy, today)?;
            pack::gather(c, &cx)
        })
        .await?;
    let mut lines = Vec::new();
    for s in &sections {
        for (i, (sheet, rows)) in s.sheets().into_iter().enumerate() {
            lines.push(Line {
                sheet,
                section: s.title,
                rows,
                warnings: if i == 0 {
                    s.warnings.clone()
                } else {
                    Vec::new()
                },
            });
        }
    }
    let current = FiscalYear::of(today).0;
    let years = (current - 5..=current)
        .rev()
        .map(|y| (y, FiscalYear(y).label_both()))
        .collect();
    render(&PackPage {
        layout: Layout::org(&state, &ctx, "立入検査資料", "nav.inspection_pack"),
        org,
        year: fy.0,
        years,
        fy_label: fy.label_both(),
        warnings: sections.iter().map(|s| s.warnings.len()).sum(),
        lines,
        signs: state.checkpointer.is_some(),
    })
}

/// `GET /o/{org}/inspection-pack/export.xlsx?year=FY`
pub async fn xlsx(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let fy = parse_year(q.year.as_deref())?;
    let (o, actor, cp) = (ctx.org.clone(), ctx.actor(), state.checkpointer.clone());
    let g = state
        .tx(move |c| {
            pack::generate(
                c,
                &o,
                &actor,
                fy,
                today_jst(),
                cp.as_ref(),
                "xlsx",
                pack::render_xlsx,
            )
        })
        .await?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &g.pack.file_name("xlsx"),
        g.body,
    ))
}

/// One section of the print bundle.
pub struct PrintSection {
    pub title: &'static str,
    pub warnings: Vec<String>,
    pub svg: String,
    pub tables: Vec<pack::Table>,
}

#[derive(Template)]
#[template(path = "inspection_pack_print.html")]
struct PrintPage {
    layout: Layout,
    org: i64,
    cover: Cover,
    contents: Vec<(String, &'static str, usize, String)>,
    sections: Vec<PrintSection>,
}

fn print_html(layout: Layout, org: i64, p: &Pack) -> Result<Vec<u8>, AppError> {
    let sections = p
        .sections
        .iter()
        .map(|s| PrintSection {
            title: s.title,
            warnings: s.warnings.clone(),
            svg: s
                .chart
                .as_ref()
                .map(|c| pack::chart_svg(p, c))
                .unwrap_or_default(),
            tables: s.tables.clone(),
        })
        .collect();
    let page = PrintPage {
        layout,
        org,
        cover: p.cover.clone(),
        contents: p.contents(),
        sections,
    };
    page.render()
        .map(String::into_bytes)
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

/// `GET /o/{org}/inspection-pack/print?year=FY`: the whole pack as one A4 page to print,
/// recorded like the workbook (the SHA-256 of the HTML sent).
pub async fn print(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let fy = parse_year(q.year.as_deref())?;
    let (o, actor, cp) = (ctx.org.clone(), ctx.actor(), state.checkpointer.clone());
    let layout = Layout::org(&state, &ctx, "立入検査資料（印刷）", "nav.inspection_pack");
    let g = state
        .tx(move |c| {
            pack::generate(c, &o, &actor, fy, today_jst(), cp.as_ref(), "html", |p| {
                print_html(layout, org, p)
            })
        })
        .await?;
    let html =
        String::from_utf8(g.body).map_err(|e| AppError::Internal(format!("print bundle: {e}")))?;
    Ok(Html(html).into_response())
}
