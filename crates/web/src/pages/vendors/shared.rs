//! The vendor's own view (part 3 of the vendors issue): a vendor organisation on this server
//! sees the facilities whose vendor record is linked to it (取引先の医療機関) and, for each,
//! only what that record shares — its documents and certifications, the remote maintenance
//! and the duties the facility assigned to it (which it can accept), and its open findings.
//! It uploads its MDS/SDS and other documents there, and answers the 事業者確認用 form
//! through the existing request flow (`/o/{vendor}/checklist?client=…`).
//!
//! Why the link and not the facility's `事業者` role: the vendor's staff already sign in to
//! their own organisation to answer the 事業者確認用 forms of every client; one sign-in, one
//! list of clients, and the facility decides what is shared by linking the record. The
//! facility's internal note, other vendors, assets, accounts and findings not about this
//! vendor are never read here.
//!
//! Access: a member of the vendor organisation (any role may read; `EditRecords` to upload
//! or accept), and the vendor record must be linked to that organisation — anything else is
//! 404, as for another tenant.

use anzen_core::calendar::FiscalYear;
use anzen_core::{Action, OrgId, OrgKind};
use anzen_store::accounts;
use anzen_store::audit;
use anzen_store::findings as findings_store;
use anzen_store::orgs::{self, Org};
use anzen_store::vendor_forms;
use anzen_store::vendors::{self as vs, Vendor};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    CertLine, DocLine, DutyLine, FindingLine, Pairs, cert_line, doc_line, doc_response, duty_lines,
    finding_line, read_doc_upload, store_doc, tri_label, vendor_findings,
};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, render, today_jst};
use crate::{AppError, AppState};

/// The vendor record `id` linked to the vendor organisation of `ctx`, with its facility.
fn linked(c: &mut anzen_store::Conn, ctx_org: &Org, id: i64) -> Result<(Org, Vendor), AppError> {
    if ctx_org.profile.kind != OrgKind::SystemVendor {
        return Err(AppError::NotFound);
    }
    let v = vs::linked_to(c, ctx_org.id.0)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(AppError::NotFound)?;
    let facility = orgs::get(c, OrgId(v.org_id))?.ok_or(AppError::NotFound)?;
    Ok((facility, v))
}

struct ClientLine {
    id: i64,
    facility: String,
    kind: &'static str,
    record_name: String,
    open: usize,
}

#[derive(Template)]
#[template(path = "vendor_clients.html")]
struct ClientsPage {
    layout: Layout,
    org: i64,
    clients: Vec<ClientLine>,
    is_vendor_org: bool,
}

/// `GET /o/{org}/clients`: the facilities that linked their vendor record to this vendor
/// organisation.
pub async fn clients(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let is_vendor_org = o.profile.kind == OrgKind::SystemVendor;
    let clients = if is_vendor_org {
        state
            .db(move |c| {
                let mut out = Vec::new();
                for v in vs::linked_to(c, o.id.0)? {
                    let Some(f) = orgs::get(c, OrgId(v.org_id))? else {
                        continue;
                    };
                    let open = findings_store::list(c, &f, true)?;
                    out.push(ClientLine {
                        id: v.id,
                        facility: f.profile.name.clone(),
                        kind: f.profile.kind.label_ja(),
                        record_name: v.data.name.clone(),
                        open: vendor_findings(&open, &v).len(),
                    });
                }
                Ok(out)
            })
            .await?
    } else {
        Vec::new()
    };
    render(&ClientsPage {
        layout: Layout::org(&state, &ctx, "取引先の医療機関", "nav.clients"),
        org,
        clients,
        is_vendor_org,
    })
}

struct ServiceLine {
    name: String,
    stores_data: bool,
    country: String,
    provider: String,
    within_japan_law: &'static str,
}

struct RemoteLine {
    target: String,
    method: String,
    allowed_persons: String,
    logs_kept: &'static str,
}

#[derive(Template)]
#[template(path = "vendor_shared.html")]
struct SharedPage {
    layout: Layout,
    org: i64,
    id: i64,
    facility: String,
    record_name: String,
    docs: Vec<DocLine>,
    certs: Vec<CertLine>,
    services: Vec<ServiceLine>,
    remote: Vec<RemoteLine>,
    duties: Vec<DutyLine>,
    findings: Vec<FindingLine>,
    form_link: Option<String>,
    doc_kinds: Vec<(&'static str, &'static str)>,
    today: String,
    can_edit: bool,
}

/// `GET /o/{org}/clients/{id}`: what the facility shares with this vendor.
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let fy = FiscalYear::of(today_jst());
    let page = state
        .db(move |c| {
            let (facility, v) = linked(c, &o, id)?;
            let systems = accounts::systems(c, &facility)?;
            let open = findings_store::list(c, &facility, true)?;
            let requested = vendor_forms::find(c, facility.id.0, o.id.0, fy.0)?.is_some();
            Ok((
                facility.profile.name.clone(),
                v.data.name.clone(),
                vs::documents(c, &facility, Some(v.id))?
                    .iter()
                    .map(doc_line)
                    .collect::<Vec<_>>(),
                vs::certifications(c, &facility, Some(v.id))?
                    .iter()
                    .map(cert_line)
                    .collect::<Vec<_>>(),
                vs::services(c, &facility, Some(v.id))?
                    .into_iter()
                    .map(|s| ServiceLine {
                        name: s.name,
                        stores_data: s.stores_data,
                        country: s.data_country.unwrap_or_default(),
                        provider: s.data_provider.unwrap_or_default(),
                        within_japan_law: tri_label(s.within_japan_law),
                    })
                    .collect::<Vec<_>>(),
                vs::remote(c, &facility, Some(v.id))?
                    .into_iter()
                    .map(|r| RemoteLine {
                        target: r.target,
                        method: r.method.unwrap_or_default(),
                        allowed_persons: r.allowed_persons.unwrap_or_default(),
                        logs_kept: tri_label(r.logs_kept),
                    })
                    .collect::<Vec<_>>(),
                duty_lines(&vs::matrix(c, &facility, None)?, &systems, v.id),
                vendor_findings(&open, &v)
                    .into_iter()
                    .map(finding_line)
                    .collect::<Vec<_>>(),
                requested.then(|| {
                    format!(
                        "/o/{}/checklist?fy={}&client={}",
                        o.id.0, fy.0, facility.id.0
                    )
                }),
            ))
        })
        .await?;
    let (facility, record_name, docs, certs, services, remote, duties, findings, form_link) = page;
    render(&SharedPage {
        layout: Layout::org(&state, &ctx, &facility, "nav.clients"),
        org,
        id,
        facility,
        record_name,
        docs,
        certs,
        services,
        remote,
        duties,
        findings,
        form_link,
        doc_kinds: anzen_core::rules::vendors::DocKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        today: today_jst().to_string(),
        can_edit: ctx.role.can(Action::EditRecords),
    })
}

fn actor_of(ctx: &OrgCtx) -> String {
    format!("{}（{}）", ctx.actor(), ctx.org.profile.name)
}

/// `POST /o/{org}/clients/{id}/documents` (multipart): the vendor hands over a document;
/// it is recorded in the facility's records and both ledgers.
pub async fn upload(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let u = read_doc_upload(mp).await?;
    ctx.auth.check_csrf(&u.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), actor_of(&ctx));
    state
        .tx(move |c| {
            let (facility, v) = linked(c, &o, id)?;
            let doc = store_doc(c, &facility, &actor, v.id, &u)?;
            audit::record(
                c,
                &o,
                &actor,
                "vendor.shared.document",
                &serde_json::json!({ "facility": facility.profile.name, "document": doc }),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/clients/{id}#documents")).into_response())
}

/// `GET /o/{org}/clients/{id}/documents/{doc}`: a file of a shared document.
pub async fn download(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, doc)): Path<(i64, i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (d, body) = state
        .db(move |c| {
            let (facility, v) = linked(c, &o, id)?;
            let d = vs::document(c, &facility, doc)?
                .filter(|d| d.vendor_id == v.id)
                .ok_or(AppError::NotFound)?;
            let body = vs::document_content(c, &facility, &d)?;
            Ok((d, body))
        })
        .await?;
    Ok(doc_response(&d, body))
}

/// `POST /o/{org}/clients/{id}/accept/{row}`: the vendor accepts a duty assigned to it.
pub async fn accept(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, row)): Path<(i64, i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    ctx.auth.check_csrf(p.get("csrf"))?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), actor_of(&ctx));
    state
        .tx(move |c| {
            let (facility, v) = linked(c, &o, id)?;
            let r = vs::set_accepted(c, &facility, &actor, row, Some(v.id), true)?;
            crate::checks::check_vendors(c, &facility, &actor, today_jst())?;
            audit::record(
                c,
                &o,
                &actor,
                "vendor.shared.accept",
                &serde_json::json!({ "facility": facility.profile.name, "responsibility": r }),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/clients/{id}#duties")).into_response())
}
