//! 事業者確認用 between organisations on this server: a facility asks a vendor organisation
//! to answer the vendor form for a 年度 and sees the answers beside its own (page and print
//! view); the vendor lists its client facilities and answers one form per client (the main
//! checklist page with `client=`).

use anzen_core::calendar::FiscalYear;
use anzen_core::{Action, OrgId, OrgKind};
use anzen_store::evidence as evidence_store;
use anzen_store::orgs::{self, Org};
use anzen_store::vendor_forms::{self, VendorFormRequest};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::views::{PrintLine, print_lines};
use super::{FyQuery, parse_fy};
use crate::checklist_export;
use crate::ctx::Authed;
use crate::pages::{Layout, jst, render};
use crate::{AppError, AppState};

/// One vendor's answers to the 事業者確認用 form for the facility.
pub struct VendorAnswersView {
    pub vendor_name: String,
    pub requested: String,
    /// 未着手 / 回答中 / 確定済み.
    pub status: String,
    pub hash: String,
    pub answered: usize,
    pub total: usize,
    pub edition_label: String,
    pub lines: Vec<PrintLine>,
}

fn answers_view(
    conn: &mut anzen_store::Conn,
    req: &VendorFormRequest,
    fy: FiscalYear,
) -> Result<VendorAnswersView, AppError> {
    let checklist_export::VendorForm {
        edition,
        assessment: a,
        answers: rows,
    } = checklist_export::vendor_form(conn, req, fy)
        .map_err(super::export_error)?
        .ok_or(AppError::NotFound)?;
    let files = match &a {
        Some(a) => evidence_store::list(conn, a)?,
        None => Vec::new(),
    };
    let answered = edition
        .items
        .iter()
        .filter(|i| {
            rows.iter()
                .any(|r| r.item_id == i.id.as_str() && r.answer.is_some() && r.checked_on.is_some())
        })
        .count();
    Ok(VendorAnswersView {
        vendor_name: req.vendor_name.clone(),
        requested: format!("{}（{}）", jst(req.requested_at), req.requested_by),
        status: match &a {
            None => "未着手".to_owned(),
            Some(a) => a.status.label_ja().to_owned(),
        },
        hash: a.and_then(|a| a.frozen_hash).unwrap_or_default(),
        answered,
        total: edition.items.len(),
        edition_label: edition.label_ja(),
        lines: print_lines(&edition, &rows, &files),
    })
}

/// The vendors' answers to the facility's requests for `fy`, by vendor name.
pub async fn answers_for_facility(
    state: &AppState,
    facility: &Org,
    fy: FiscalYear,
) -> Result<Vec<VendorAnswersView>, AppError> {
    let f = facility.clone();
    state
        .db(move |c| {
            vendor_forms::sent(c, &f, fy.0)?
                .iter()
                .map(|r| answers_view(c, r, fy))
                .collect()
        })
        .await
}

/// Whether `vendor` may answer the vendor form for `client` in `fy`: the client asked it.
pub fn check_client(
    conn: &mut anzen_store::Conn,
    vendor: &Org,
    client: i64,
    fy: FiscalYear,
) -> Result<VendorFormRequest, AppError> {
    vendor_forms::find(conn, client, vendor.id.0, fy.0)?.ok_or_else(|| {
        AppError::BadRequest(format!(
            "この施設から{}の事業者確認用の回答依頼は届いていません。",
            fy.label_ja()
        ))
    })
}

struct VendorOption {
    id: i64,
    name: String,
}

#[derive(Template)]
#[template(path = "checklist_vendors.html")]
struct VendorsPage {
    layout: Layout,
    org: i64,
    fy: i32,
    prev_fy: i32,
    next_fy: i32,
    fy_label: String,
    is_vendor: bool,
    can_request: bool,
    options: Vec<VendorOption>,
    answers: Vec<VendorAnswersView>,
    received: Vec<VendorFormRequest>,
}

/// `GET /o/{org}/checklist/vendors?fy=…`: for a facility, its requests and the vendors'
/// answers; for a vendor, the facilities that asked it (each answered on its own page).
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<FyQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let fy = parse_fy(q.fy.as_deref())?;
    let is_vendor = ctx.org.profile.kind == OrgKind::SystemVendor;
    let o = ctx.org.clone();
    let (options, received) = state
        .db(move |c| {
            let sent: Vec<i64> = vendor_forms::sent(c, &o, fy.0)?
                .iter()
                .map(|r| r.vendor_org_id)
                .collect();
            let options = orgs::all(c)?
                .into_iter()
                .filter(|v| {
                    v.profile.kind == OrgKind::SystemVendor
                        && v.id != o.id
                        && !sent.contains(&v.id.0)
                })
                .map(|v| VendorOption {
                    id: v.id.0,
                    name: v.profile.name,
                })
                .collect::<Vec<_>>();
            let received = vendor_forms::received(c, &o, fy.0)?;
            Ok((options, received))
        })
        .await?;
    let answers = if is_vendor {
        Vec::new()
    } else {
        answers_for_facility(&state, &ctx.org, fy).await?
    };
    render(&VendorsPage {
        layout: Layout::org(&state, &ctx, "事業者確認用", "nav.checklist"),
        org,
        fy: fy.0,
        prev_fy: fy.prev().0,
        next_fy: fy.next().0,
        fy_label: fy.label_both(),
        is_vendor,
        can_request: ctx.role.can(Action::EditRecords) && !is_vendor,
        options,
        answers,
        received,
    })
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    vendor: i64,
    #[serde(default)]
    message: String,
}

/// `POST /o/{org}/checklist/vendors/request`: asks a vendor organisation on this server to
/// answer the 事業者確認用 form for the 年度.
pub async fn request(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(form): axum::Form<RequestForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditRecords)?;
    let fy = parse_fy(form.fy.as_deref())?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let message: String = form.message.trim().chars().take(500).collect();
    state
        .tx(move |c| {
            let vendor = orgs::get(c, OrgId(form.vendor))?
                .filter(|v| v.profile.kind == OrgKind::SystemVendor && v.id != o.id)
                .ok_or_else(|| {
                    AppError::BadRequest("依頼先の事業者を選んでください。".to_owned())
                })?;
            vendor_forms::request(
                c,
                &o,
                &vendor,
                &actor,
                fy.0,
                (!message.is_empty()).then_some(message.as_str()),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/checklist/vendors?fy={}", fy.0)).into_response())
}
