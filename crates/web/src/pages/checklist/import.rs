//! Import of an official MHLW checklist workbook (xlsx) as a new edition: upload → column
//! mapping with a preview (problems by sheet, row and column, or the items and the
//! differences from the edition in force) → confirm. Nothing is stored before the
//! confirmation; the stored edition is recorded in the ledger with the workbook's SHA-256.
//!
//! Between the steps the parsed workbook waits in [`crate::stage`].

use std::sync::Arc;

use anzen_catalog::import::{
    self, Column, ColumnMapping, EditionDiff, ImportPreview, ImportProblem, ImportTarget, Workbook,
};
use anzen_catalog::{Form, Target};
use anzen_core::calendar::FiscalYear;
use anzen_core::{Action, OrgId};
use anzen_store::catalog_editions::{self, NewEdition};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{checklist_url, export_error, org_catalog};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, render, today_jst};
use crate::{AppError, AppState};
use crate::{checklist_export, stage, upload};

/// Largest workbook accepted (official checklists are a few hundred KB).
pub const MAX_WORKBOOK_BYTES: usize = 10 * 1024 * 1024;
/// Body limit of the upload route.
pub const BODY_LIMIT: usize = MAX_WORKBOOK_BYTES + 64 * 1024;

/// An uploaded workbook waiting for confirmation (in [`crate::stage`]).
struct Staged {
    workbook: Arc<Workbook>,
    sha256: String,
    fiscal_year: i32,
    form: Form,
}

/// The staged workbook for this organisation and user.
fn take_view(token: &str, ctx: &OrgCtx) -> Result<(Arc<Workbook>, String, i32, Form), AppError> {
    let s = stage::get::<Staged>(token, ctx.org.id.0, &ctx.actor())
        .ok_or_else(|| AppError::BadRequest(stage::GONE_JA.to_owned()))?;
    Ok((s.workbook.clone(), s.sha256.clone(), s.fiscal_year, s.form))
}

#[derive(Template)]
#[template(path = "checklist_import.html")]
struct ImportPage {
    layout: Layout,
    org: i64,
    default_fy: i32,
    errors: Vec<String>,
    staged: Option<StagedView>,
}

/// The mapping form and the preview.
struct StagedView {
    token: String,
    file_name: String,
    sha256: String,
    fy_label: String,
    form_label: &'static str,
    sheets: Vec<(usize, String)>,
    columns: Vec<String>,
    mapping: ColumnMapping,
    missing: Vec<&'static str>,
    problems: Vec<String>,
    preview: Option<PreviewView>,
}

struct PreviewView {
    items: usize,
    gates: usize,
    unverified: usize,
    notes: Vec<String>,
    diff: Option<DiffView>,
    rows: Vec<(String, &'static str, String, String)>,
}

struct DiffView {
    against: String,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<(String, String, String)>,
    unchanged: usize,
}

fn target_label(t: Target) -> &'static str {
    match t {
        Target::None => "",
        t => t.label_ja(),
    }
}

fn diff_view(against: String, d: &EditionDiff) -> DiffView {
    let line = |n: &str, t: Target, text: &str| {
        if t == Target::None {
            format!("{n} {text}")
        } else {
            format!("{n}（{}） {text}", t.label_ja())
        }
    };
    DiffView {
        against,
        added: d
            .added
            .iter()
            .map(|e| line(&e.number, e.target, &e.text))
            .collect(),
        removed: d
            .removed
            .iter()
            .map(|e| line(&e.number, e.target, &e.text))
            .collect(),
        changed: d
            .changed
            .iter()
            .map(|c| {
                (
                    line(&c.number, c.target, ""),
                    c.old_text.clone(),
                    c.new_text.clone(),
                )
            })
            .collect(),
        unchanged: d.unchanged,
    }
}

fn problem_lines(problems: &[ImportProblem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

/// Builds the edition with `mapping` against the organisation's catalog (the edition in
/// force before the imported 年度 is the one compared with and carried from).
fn build(
    cat: &anzen_catalog::Catalog,
    wb: &Workbook,
    sha256: &str,
    fy: i32,
    form: Form,
    mapping: &ColumnMapping,
) -> (Result<ImportPreview, Vec<String>>, Option<String>) {
    let previous = cat.edition_in_force(fy - 1, form);
    let against = previous.map(anzen_catalog::Edition::label_ja);
    if cat.edition(fy, form).is_some() {
        return (
            Err(vec![format!(
                "{}の{}はすでにあります。取り込めるのは、まだ無い年度の版だけです。",
                FiscalYear(fy).label_ja(),
                form.label_ja()
            )]),
            against,
        );
    }
    let result = import::build_edition(
        wb,
        mapping,
        ImportTarget {
            fiscal_year: fy,
            form,
            file_name: &wb.file_name,
            sha256_hex: sha256,
            previous,
        },
    )
    .map_err(|p| problem_lines(&p));
    (result, against)
}

/// The staged upload a page is about.
#[derive(Clone, Copy)]
struct Staging<'a> {
    token: &'a str,
    wb: &'a Workbook,
    sha256: &'a str,
    fy: i32,
    form: Form,
}

fn staged_view(
    st: Staging<'_>,
    mapping: ColumnMapping,
    missing: Vec<&'static str>,
    built: (Result<ImportPreview, Vec<String>>, Option<String>),
) -> StagedView {
    let Staging {
        token,
        wb,
        sha256,
        fy,
        form,
    } = st;
    let width = wb
        .sheets
        .get(mapping.sheet)
        .map_or(0, |s| s.width())
        .max(mapping.text.index() + 1)
        .clamp(1, 60);
    let (problems, preview) = match built.0 {
        Err(p) => (p, None),
        Ok(p) => (
            Vec::new(),
            Some(PreviewView {
                items: p.edition.items.len(),
                gates: p.edition.gate_questions.len(),
                unverified: p.edition.unverified_count(),
                notes: p.notes.clone(),
                diff: match (&p.diff, built.1) {
                    (Some(d), Some(against)) => Some(diff_view(against, d)),
                    _ => None,
                },
                rows: p
                    .edition
                    .items
                    .iter()
                    .map(|i| {
                        (
                            i.number.clone(),
                            target_label(i.target),
                            i.text.clone(),
                            i.required_by_label_ja().unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
        ),
    };
    StagedView {
        token: token.to_owned(),
        file_name: wb.file_name.clone(),
        sha256: sha256.to_owned(),
        fy_label: FiscalYear(fy).label_both(),
        form_label: form.label_ja(),
        sheets: wb
            .sheets
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.name.clone()))
            .collect(),
        columns: (0..width).map(|i| Column::from_index(i).letter()).collect(),
        mapping,
        missing,
        problems,
        preview,
    }
}

fn page(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
    staged: Option<StagedView>,
) -> Result<Response, AppError> {
    let status = super::super::form_status(
        errors.is_empty() && staged.as_ref().is_none_or(|s| s.problems.is_empty()),
    );
    let html = render(&ImportPage {
        layout: Layout::org(state, ctx, "チェックリストの版の取り込み", "nav.checklist"),
        org: ctx.org.id.0,
        default_fy: FiscalYear::of(today_jst()).next().0,
        errors,
        staged,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/checklist/import`: the upload form.
pub async fn form(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditOrgProfile)?;
    page(&state, &ctx, Vec::new(), None)
}

/// `POST /o/{org}/checklist/import` (multipart: csrf, file, fy, form): reads the workbook,
/// guesses the mapping and shows the preview.
pub async fn upload(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let mut up = upload::read(mp, MAX_WORKBOOK_BYTES).await?;
    let file = up.file.take();
    let (csrf, fy, form) = (
        up.field("csrf").to_owned(),
        up.field("fy").to_owned(),
        up.field("form").to_owned(),
    );
    let file_name = file.as_ref().and_then(|f| f.name.clone());
    let bytes = file.map(|f| f.bytes).unwrap_or_default();
    ctx.auth.check_csrf(&csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let mut errors = Vec::new();
    let fy = match fy.trim().parse::<i32>() {
        Ok(y) if (2023..=2100).contains(&y) => Some(y),
        _ => {
            errors.push(format!(
                "年度「{}」は西暦の4桁（例: 2026）で入力してください。",
                fy.trim()
            ));
            None
        }
    };
    let form = Form::from_code(form.trim());
    if form.is_none() {
        errors.push("様式を選んでください。".to_owned());
    }
    let file_name = file_name
        .as_deref()
        .and_then(super::evidence::clean_file_name)
        .unwrap_or_default();
    if file_name.is_empty() || bytes.is_empty() {
        errors.push("取り込む Excel ファイル（xlsx）を選んでください。".to_owned());
    }
    let (Some(fy), Some(form), true) = (fy, form, errors.is_empty()) else {
        return page(&state, &ctx, errors, None);
    };
    let wb = match import::read_workbook(&file_name, &bytes) {
        Ok(wb) => wb,
        Err(e) => return page(&state, &ctx, vec![e.to_string()], None),
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let guess = import::guess_mapping(&wb);
    let missing = guess.missing.iter().map(|m| m.label_ja()).collect();
    let cat = org_catalog(&state, &ctx.org).await?;
    let built = build(&cat, &wb, &sha256, fy, form, &guess.mapping);
    let wb = Arc::new(wb);
    let token = stage::put(
        ctx.org.id.0,
        &ctx.actor(),
        Staged {
            workbook: wb.clone(),
            sha256: sha256.clone(),
            fiscal_year: fy,
            form,
        },
    );
    let st = Staging {
        token: &token,
        wb: &wb,
        sha256: &sha256,
        fy,
        form,
    };
    let view = staged_view(st, guess.mapping, missing, built);
    page(&state, &ctx, Vec::new(), Some(view))
}

/// The mapping form as posted.
#[derive(Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    sheet: usize,
    #[serde(default)]
    first_data_row: u32,
    #[serde(default)]
    number: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    references: String,
}

impl MappingForm {
    fn mapping(&self) -> Result<ColumnMapping, Vec<String>> {
        let mut errors = Vec::new();
        let mut required = |label: &str, v: &str| match Column::from_letter(v.trim()) {
            Some(c) => c,
            None => {
                errors.push(format!("「{label}」の列を選んでください。"));
                Column::from_index(0)
            }
        };
        let number = required("項目番号", &self.number);
        let text = required("確認内容", &self.text);
        let optional = |v: &str| Column::from_letter(v.trim());
        if self.first_data_row == 0 {
            errors.push("最初のデータ行は1以上で指定してください。".to_owned());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ColumnMapping {
            sheet: self.sheet,
            first_data_row: self.first_data_row,
            number,
            text,
            target: optional(&self.target),
            due: optional(&self.due),
            references: optional(&self.references),
            ..ColumnMapping::default()
        })
    }
}

/// `POST /o/{org}/checklist/import/preview`: the preview with the user's mapping.
pub async fn preview(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<MappingForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let (wb, sha256, fy, form) = take_view(&f.token, &ctx)?;
    let mapping = match f.mapping() {
        Ok(m) => m,
        Err(errors) => return page(&state, &ctx, errors, None),
    };
    let cat = org_catalog(&state, &ctx.org).await?;
    let built = build(&cat, &wb, &sha256, fy, form, &mapping);
    let view = staged_view(
        Staging {
            token: &f.token,
            wb: &wb,
            sha256: &sha256,
            fy,
            form,
        },
        mapping,
        Vec::new(),
        built,
    );
    page(&state, &ctx, Vec::new(), Some(view))
}

/// `POST /o/{org}/checklist/import/confirm`: builds once more with the confirmed mapping
/// and stores the edition (all or nothing), recorded in the ledger.
pub async fn confirm(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<MappingForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let (wb, sha256, fy, form) = take_view(&f.token, &ctx)?;
    let mapping = match f.mapping() {
        Ok(m) => m,
        Err(errors) => return page(&state, &ctx, errors, None),
    };
    let cat = org_catalog(&state, &ctx.org).await?;
    let preview = match build(&cat, &wb, &sha256, fy, form, &mapping) {
        (Ok(p), _) => p,
        built @ (Err(_), _) => {
            let view = staged_view(
                Staging {
                    token: &f.token,
                    wb: &wb,
                    sha256: &sha256,
                    fy,
                    form,
                },
                mapping,
                Vec::new(),
                built,
            );
            return page(&state, &ctx, Vec::new(), Some(view));
        }
    };
    let toml = preview
        .edition
        .to_toml_string()
        .map_err(|e| AppError::Internal(format!("imported edition: {e}")))?;
    let (o, actor, file_name, items) = (
        ctx.org.clone(),
        ctx.actor(),
        wb.file_name.clone(),
        preview.edition.items.len(),
    );
    state
        .tx(move |c| {
            catalog_editions::insert(
                c,
                &o,
                &actor,
                &NewEdition {
                    fiscal_year: fy,
                    form: form.code(),
                    toml: &toml,
                    file_name: &file_name,
                    source_sha256: &sha256,
                    items,
                },
            )?;
            // The stored edition must load back into the organisation's catalog; otherwise
            // the transaction is rolled back and nothing is kept.
            checklist_export::org_catalog(c, &o).map_err(export_error)?;
            Ok(())
        })
        .await?;
    stage::forget(&f.token);
    Ok(Redirect::to(&checklist_url(org, FiscalYear(fy), None)).into_response())
}
