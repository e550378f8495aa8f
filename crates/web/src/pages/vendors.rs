//! 事業者管理 — the facility's vendors: list, detail with contracts, services and their data
//! location, the systems and assets each provides or maintains, received documents
//! (upload/download/withdraw), certifications, remote maintenance; the responsibility
//! matrix (責任分界表) per system with its A4 print view (the agreement annex); the xlsx
//! export. Every change re-runs the vendor rules (`checks::check_vendors`) in the same
//! transaction.
//!
//! The vendor's own view (`/o/{vendor_org}/clients…`) is in [`shared`]: a vendor record
//! linked to a vendor organisation on this server is what the facility shares with it.

pub mod gl2;
pub mod shared;

use anzen_core::calendar::{parse_date, wareki};
use anzen_core::rules::gl2::Verdict;
use anzen_core::rules::vendors::{CertKind, DocKind, Duty, concerns_vendor, matrix_subject};
use anzen_core::{Action, OrgId, OrgKind};
use anzen_store::accounts::{self, System};
use anzen_store::assets;
use anzen_store::findings::{self as findings_store, Finding};
use anzen_store::orgs;
use anzen_store::vendors::{
    self as vs, Assignment, Certification, Contract, DocFile, Document, NewDocument, Part,
    RemoteAccess, Responsibility, Service, Vendor, VendorData,
};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::checklist::evidence::{
    MAX_FILE_BYTES, clean_content_type, clean_file_name, content_disposition, size_label,
};
use super::{Layout, jst, render, today_jst};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState, checks, upload};

/// Body limit of the document upload routes.
pub const BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

/// A posted form as pairs (checkboxes repeat their name).
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// `name` as an optional text (None when blank), at most 500 characters.
    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name);
        (!v.is_empty()).then(|| v.chars().take(500).collect())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// はい/いいえ/不明 select: `yes`, `no`, anything else unknown.
    pub fn tri(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        }
    }

    /// A date field: blank → None; otherwise it must parse (西暦 or 和暦).
    pub fn date(&self, name: &str, label: &str) -> Result<Option<String>, AppError> {
        let v = self.get(name);
        if v.is_empty() {
            return Ok(None);
        }
        parse_date(v).map(|d| Some(d.to_string())).map_err(|e| {
            AppError::BadRequest(format!(
                "{label}「{v}」を日付として読めません: {}",
                e.message_ja()
            ))
        })
    }
}

fn edit_ctx(ctx: &OrgCtx, pairs: &Pairs) -> Result<(), AppError> {
    ctx.auth.check_csrf(pairs.get("csrf"))?;
    ctx.require(Action::EditRecords)
}

/// 和暦 beside the date, for display.
pub fn date_label(d: &str) -> String {
    match parse_date(d) {
        Ok(x) => format!("{d}（{}）", wareki(x)),
        Err(_) => d.to_owned(),
    }
}

/// A vendor as listed.
struct VendorLine {
    id: i64,
    name: String,
    active: bool,
    linked_org: String,
    provides: usize,
    mds: String,
    certs: usize,
    open: usize,
}

#[derive(Template)]
#[template(path = "vendors.html")]
struct ListPage {
    layout: Layout,
    org: i64,
    vendors: Vec<VendorLine>,
    systems: Vec<(i64, String)>,
    open_total: usize,
    can_edit: bool,
}

/// The open findings of the vendor rules that concern `v`.
fn vendor_findings<'a>(open: &'a [Finding], v: &Vendor) -> Vec<&'a Finding> {
    open.iter()
        .filter(|f| {
            f.rule.starts_with("vendor.") && concerns_vendor(&f.subject, &f.evidence, &v.data.name)
        })
        .collect()
}

/// `GET /o/{org}/vendors`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (list, docs, certs, sys_links, asset_links, services, systems, open, orgs_all) = state
        .db(move |c| {
            Ok((
                vs::list(c, &o)?,
                vs::documents(c, &o, None)?,
                vs::certifications(c, &o, None)?,
                vs::system_links(c, &o)?,
                vs::asset_links(c, &o)?,
                vs::services(c, &o, None)?,
                accounts::systems(c, &o)?,
                findings_store::list(c, &o, true)?,
                orgs::all(c)?,
            ))
        })
        .await?;
    let vendors = list
        .iter()
        .map(|v| VendorLine {
            id: v.id,
            name: v.data.name.clone(),
            active: v.data.active,
            linked_org: v
                .data
                .vendor_org_id
                .and_then(|id| orgs_all.iter().find(|o| o.id.0 == id))
                .map(|o| o.profile.name.clone())
                .unwrap_or_default(),
            provides: sys_links.iter().filter(|(x, _)| *x == v.id).count()
                + asset_links.iter().filter(|(x, _)| *x == v.id).count()
                + services.iter().filter(|s| s.vendor_id == v.id).count(),
            mds: docs
                .iter()
                .find(|d| d.vendor_id == v.id && d.kind == DocKind::MdsSds.code() && d.is_current())
                .map(|d| {
                    format!(
                        "{}{}",
                        date_label(&d.received_on),
                        d.form_version
                            .as_deref()
                            .map(|x| format!(" {x}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| "未受領".to_owned()),
            certs: certs.iter().filter(|c| c.vendor_id == v.id).count(),
            open: vendor_findings(&open, v).len(),
        })
        .collect();
    let open_total = open
        .iter()
        .filter(|f| f.rule.starts_with("vendor."))
        .count();
    render(&ListPage {
        layout: Layout::org(&state, &ctx, "事業者管理", "nav.vendors"),
        org,
        vendors,
        systems: systems
            .iter()
            .map(|s| (s.id, s.data.name.clone()))
            .collect(),
        open_total,
        can_edit: ctx.role.can(Action::EditRecords),
    })
}

/// The vendor data of a posted form; the link must name a vendor organisation.
fn vendor_data(
    c: &mut anzen_store::Conn,
    p: &Pairs,
    active_default: bool,
) -> Result<VendorData, AppError> {
    let name: String = p.get("name").chars().take(200).collect();
    if name.is_empty() {
        return Err(AppError::BadRequest(
            "事業者名を入力してください。".to_owned(),
        ));
    }
    let vendor_org_id = match p.get("vendor_org") {
        "" | "0" => None,
        s => {
            let id: i64 = s.parse().map_err(|_| {
                AppError::BadRequest("連携する事業者を選び直してください。".to_owned())
            })?;
            orgs::get(c, OrgId(id))?
                .filter(|o| o.profile.kind == OrgKind::SystemVendor)
                .ok_or_else(|| {
                    AppError::BadRequest("連携する事業者を選び直してください。".to_owned())
                })?;
            Some(id)
        }
    };
    Ok(VendorData {
        name,
        vendor_org_id,
        contact_name: p.opt("contact_name"),
        contact_phone: p.opt("contact_phone"),
        contact_email: p.opt("contact_email"),
        address: p.opt("address"),
        note: p.opt("note"),
        active: if p.0.iter().any(|(k, _)| k == "active_field") {
            p.get("active") == "1"
        } else {
            active_default
        },
    })
}

/// `POST /o/{org}/vendors`: adds a vendor.
pub async fn create(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let v = state
        .tx(move |c| {
            let d = vendor_data(c, &p, true)?;
            let v = vs::save(c, &o, &actor, None, &d)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(v)
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{}", v.id)).into_response())
}

/// `POST /o/{org}/vendors/{id}`: changes a vendor's name, contacts, link and status.
pub async fn update(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            let d = vendor_data(c, &p, true)?;
            vs::save(c, &o, &actor, Some(id), &d)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}")).into_response())
}

/// A document as shown.
pub struct DocLine {
    pub id: i64,
    pub kind: &'static str,
    pub version: i64,
    pub form_version: String,
    pub received: String,
    pub file: String,
    pub has_file: bool,
    pub note: String,
    pub uploaded: String,
    pub withdrawn: String,
}

pub fn doc_line(d: &Document) -> DocLine {
    DocLine {
        id: d.id,
        kind: DocKind::parse(&d.kind).map_or("その他", DocKind::label_ja),
        version: d.version,
        form_version: d.form_version.clone().unwrap_or_default(),
        received: date_label(&d.received_on),
        file: match (&d.file_name, d.size) {
            (Some(n), Some(s)) => format!("{n}（{}）", size_label(s)),
            _ => "ファイルなし（紙など）".to_owned(),
        },
        has_file: d.sha256.is_some(),
        note: d.note.clone().unwrap_or_default(),
        uploaded: format!("{}（{}）", jst(d.uploaded_at), d.uploaded_by),
        withdrawn: match (d.withdrawn_at, &d.withdrawn_by, &d.withdrawn_reason) {
            (Some(at), by, reason) => format!(
                "取り下げ {}（{}）: {}",
                jst(at),
                by.clone().unwrap_or_default(),
                reason.clone().unwrap_or_default()
            ),
            _ => String::new(),
        },
    }
}

/// A certification as shown.
pub struct CertLine {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub scope: String,
    pub cert_no: String,
    pub expires: String,
}

pub fn cert_line(c: &Certification) -> CertLine {
    CertLine {
        id: c.id,
        name: c.name.clone(),
        kind: CertKind::parse(&c.kind).map_or("その他", CertKind::label_ja),
        scope: c.scope.clone().unwrap_or_default(),
        cert_no: c.cert_no.clone().unwrap_or_default(),
        expires: c
            .expires_on
            .as_deref()
            .map_or_else(|| "期限なし・不明".to_owned(), date_label),
    }
}

/// はい/いいえ/未確認.
pub fn tri_label(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "はい",
        Some(false) => "いいえ",
        None => "未確認",
    }
}

/// One finding as shown on the vendor pages.
pub struct FindingLine {
    pub id: i64,
    pub severity: &'static str,
    pub title: String,
    pub message: String,
    pub checklist: String,
}

pub fn finding_line(f: &Finding) -> FindingLine {
    FindingLine {
        id: f.id,
        severity: f.severity.label_ja(),
        title: f.title.clone(),
        message: f.message.clone(),
        checklist: f.checklist.join("・"),
    }
}

/// The duties a vendor is named for, as shown to it and on its detail page.
pub struct DutyLine {
    pub id: i64,
    pub system: String,
    pub duty: &'static str,
    pub role: &'static str,
    pub accepted: String,
    pub can_accept: bool,
}

pub fn duty_lines(rows: &[Responsibility], systems: &[System], vendor_id: i64) -> Vec<DutyLine> {
    rows.iter()
        .filter(|r| r.vendor_id == Some(vendor_id))
        .map(|r| DutyLine {
            id: r.id,
            system: systems
                .iter()
                .find(|s| s.id == r.system_id)
                .map(|s| s.data.name.clone())
                .unwrap_or_default(),
            duty: Duty::parse(&r.duty).map_or("", Duty::label_ja),
            role: role_label(&r.role),
            accepted: match (r.accepted_at, &r.accepted_by) {
                (Some(at), by) => {
                    format!("合意済み {}（{}）", jst(at), by.clone().unwrap_or_default())
                }
                _ if r.role == "responsible" => "未合意".to_owned(),
                _ => String::new(),
            },
            can_accept: r.role == "responsible" && r.accepted_at.is_none(),
        })
        .collect()
}

fn role_label(role: &str) -> &'static str {
    if role == "responsible" {
        "責任者"
    } else {
        "連絡を受ける"
    }
}

#[derive(Template)]
#[template(path = "vendor.html")]
struct DetailPage {
    layout: Layout,
    org: i64,
    vendor: Vendor,
    /// Vendor organisations on this server: id, name, linked to this record.
    vendor_orgs: Vec<(i64, String, bool)>,
    contracts: Vec<Contract>,
    services: Vec<Service>,
    docs: Vec<DocLine>,
    certs: Vec<CertLine>,
    remote: Vec<RemoteAccess>,
    systems: Vec<(i64, String, bool)>,
    assets: Vec<(i64, String, bool)>,
    duties: Vec<DutyLine>,
    findings: Vec<FindingLine>,
    doc_kinds: Vec<(&'static str, &'static str)>,
    cert_kinds: Vec<(&'static str, &'static str)>,
    today: String,
    can_edit: bool,
    /// The latest 2省GL 該当性チェック, if any.
    gl2_latest: Option<gl2::HistoryLine>,
    /// Its verdict code ("" when never assessed).
    gl2_code: &'static str,
    /// A current サービス仕様適合開示書 is on file.
    service_spec_received: bool,
}

/// `GET /o/{org}/vendors/{id}`
pub async fn detail(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    type Loaded = (
        Vendor,
        Vec<(i64, String, bool)>,
        Vec<Contract>,
        Vec<Service>,
        Vec<Document>,
        Vec<Certification>,
        Vec<RemoteAccess>,
        Vec<(i64, String, bool)>,
        Vec<(i64, String, bool)>,
        Vec<DutyLine>,
        Vec<Finding>,
        Option<anzen_store::gl2::Assessment>,
    );
    let loaded: Loaded = state
        .db(move |c| {
            let v = vs::get(c, &o, id)?.ok_or(AppError::NotFound)?;
            let vendor_orgs = orgs::all(c)?
                .into_iter()
                .filter(|x| x.profile.kind == OrgKind::SystemVendor && x.id != o.id)
                .map(|x| (x.id.0, x.profile.name, v.data.vendor_org_id == Some(x.id.0)))
                .collect();
            let sys_links = vs::system_links(c, &o)?;
            let asset_links = vs::asset_links(c, &o)?;
            let systems = accounts::systems(c, &o)?;
            let sys = systems
                .iter()
                .map(|s| (s.id, s.data.name.clone(), sys_links.contains(&(v.id, s.id))))
                .collect();
            let assets = assets::list(c, &o)?
                .into_iter()
                .map(|a| {
                    (
                        a.id,
                        format!("{}（{}）", a.data.name, a.data.key),
                        asset_links.contains(&(v.id, a.id)),
                    )
                })
                .collect();
            let duties = duty_lines(&vs::matrix(c, &o, None)?, &systems, v.id);
            let open = findings_store::list(c, &o, true)?;
            let gl2_latest = anzen_store::gl2::history(c, &o, v.id)?.into_iter().next();
            Ok((
                v.clone(),
                vendor_orgs,
                vs::contracts(c, &o, Some(v.id))?,
                vs::services(c, &o, Some(v.id))?,
                vs::documents(c, &o, Some(v.id))?,
                vs::certifications(c, &o, Some(v.id))?,
                vs::remote(c, &o, Some(v.id))?,
                sys,
                assets,
                duties,
                open,
                gl2_latest,
            ))
        })
        .await?;
    let (
        vendor,
        vendor_orgs,
        contracts,
        services,
        docs,
        certs,
        remote,
        systems,
        assets,
        duties,
        open,
        gl2_latest,
    ) = loaded;
    let service_spec_received = docs
        .iter()
        .any(|d| d.kind == DocKind::ServiceSpec.code() && d.is_current());
    let findings = vendor_findings(&open, &vendor)
        .into_iter()
        .map(finding_line)
        .collect();
    render(&DetailPage {
        layout: Layout::org(&state, &ctx, &vendor.data.name, "nav.vendors"),
        org,
        vendor_orgs,
        contracts,
        services,
        docs: docs.iter().map(doc_line).collect(),
        certs: certs.iter().map(cert_line).collect(),
        remote,
        systems,
        assets,
        duties,
        findings,
        doc_kinds: DocKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        cert_kinds: CertKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        today: today_jst().to_string(),
        can_edit: ctx.role.can(Action::EditRecords),
        gl2_code: gl2_latest
            .as_ref()
            .and_then(|a| Verdict::parse(&a.outcome))
            .map_or("", Verdict::code),
        gl2_latest: gl2_latest.as_ref().map(gl2::history_line),
        service_spec_received,
        vendor,
    })
}

/// A contract, service, certification or remote-maintenance row read from a posted form
/// (the same fields for adding and editing).
enum PartData {
    C(Contract),
    S(Service),
    Cert(Certification),
    R(RemoteAccess),
}

impl PartData {
    /// Reads the form of `part` for row `row_id` (0 when adding) of vendor `vendor_id`.
    fn from_form(part: Part, vendor_id: i64, row_id: i64, p: &Pairs) -> Result<Self, AppError> {
        let required = |name: &str, label: &str| -> Result<String, AppError> {
            p.opt(name)
                .ok_or_else(|| AppError::BadRequest(format!("{label}を入力してください。")))
        };
        Ok(match part {
            Part::Contract => PartData::C(Contract {
                id: row_id,
                vendor_id,
                title: required("title", "契約名")?,
                contract_no: p.opt("contract_no"),
                start_date: p.date("start_date", "契約開始日")?,
                end_date: p.date("end_date", "契約終了日")?,
                scope: p.opt("scope"),
            }),
            Part::Service => PartData::S(Service {
                id: row_id,
                vendor_id,
                name: required("name", "サービス名")?,
                stores_data: p.get("stores_data") == "1",
                data_country: p.opt("data_country"),
                data_provider: p.opt("data_provider"),
                within_japan_law: p.tri("within_japan_law"),
                note: p.opt("note"),
            }),
            Part::Certification => {
                let kind = CertKind::parse(p.get("kind")).ok_or_else(|| {
                    AppError::BadRequest("認証の種類を選んでください。".to_owned())
                })?;
                PartData::Cert(Certification {
                    id: row_id,
                    vendor_id,
                    kind: kind.code().to_owned(),
                    name: p.opt("name").unwrap_or_else(|| kind.label_ja().to_owned()),
                    scope: p.opt("scope"),
                    cert_no: p.opt("cert_no"),
                    expires_on: p.date("expires_on", "有効期限")?,
                })
            }
            Part::Remote => PartData::R(RemoteAccess {
                id: row_id,
                vendor_id,
                target: required("target", "対象の機器・システム")?,
                method: p.opt("method"),
                allowed_persons: p.opt("allowed_persons"),
                logs_kept: p.tri("logs_kept"),
                log_location: p.opt("log_location"),
            }),
        })
    }

    /// Adds the row (`update` false) or changes it, audited by the store.
    fn store(
        &self,
        c: &mut anzen_store::Conn,
        o: &orgs::Org,
        actor: &str,
        vendor_id: i64,
        update: bool,
    ) -> Result<(), AppError> {
        match (self, update) {
            (PartData::C(x), false) => drop(vs::add_contract(c, o, actor, vendor_id, x)?),
            (PartData::S(x), false) => drop(vs::add_service(c, o, actor, vendor_id, x)?),
            (PartData::Cert(x), false) => drop(vs::add_certification(c, o, actor, vendor_id, x)?),
            (PartData::R(x), false) => drop(vs::add_remote(c, o, actor, vendor_id, x)?),
            (PartData::C(x), true) => drop(vs::update(c, o, actor, vendor_id, x)?),
            (PartData::S(x), true) => drop(vs::update(c, o, actor, vendor_id, x)?),
            (PartData::Cert(x), true) => drop(vs::update(c, o, actor, vendor_id, x)?),
            (PartData::R(x), true) => drop(vs::update(c, o, actor, vendor_id, x)?),
        }
        Ok(())
    }
}

/// `POST /o/{org}/vendors/{id}/add/{part}`: adds a contract, service, certification or
/// remote-maintenance entry.
pub async fn add_part(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, part)): Path<(i64, i64, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let part = Part::parse(&part).ok_or(AppError::NotFound)?;
    let row = PartData::from_form(part, id, 0, &p)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            row.store(c, &o, &actor, id, false)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}")).into_response())
}

/// One field of the generic edit form of a vendor's row.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `checkbox` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    /// For a select: value, label, selected.
    pub options: Vec<(String, String, bool)>,
}

impl Field {
    fn text(name: &'static str, label: &'static str, value: &str, required: bool) -> Field {
        Field {
            name,
            label,
            kind: "text",
            value: value.to_owned(),
            required,
            options: Vec::new(),
        }
    }

    fn opt(name: &'static str, label: &'static str, value: &Option<String>) -> Field {
        Field::text(name, label, value.as_deref().unwrap_or_default(), false)
    }

    fn check(name: &'static str, label: &'static str, on: bool) -> Field {
        Field {
            kind: "checkbox",
            ..Field::text(name, label, if on { "1" } else { "" }, false)
        }
    }

    fn select(
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String, bool)>,
    ) -> Field {
        Field {
            kind: "select",
            options,
            ..Field::text(name, label, "", false)
        }
    }

    /// はい/いいえ/未確認, as the add forms post it (`yes`, `no`, "").
    fn tri(name: &'static str, label: &'static str, v: Option<bool>) -> Field {
        let o = |code: &str, l: &str, on: bool| (code.to_owned(), l.to_owned(), on);
        Field::select(
            name,
            label,
            vec![
                o("", "未確認", v.is_none()),
                o("yes", "はい", v == Some(true)),
                o("no", "いいえ", v == Some(false)),
            ],
        )
    }
}

/// A row being edited: one of the parts, or a document's metadata.
enum Editing {
    Part(PartData),
    Doc(Document),
}

impl Editing {
    /// Loads row `row` of `part` (`contracts`, `services`, `certifications`, `remote`,
    /// `documents`) of vendor `vendor_id`; NotFound when it is not the vendor's.
    fn load(
        c: &mut anzen_store::Conn,
        o: &orgs::Org,
        vendor_id: i64,
        part: &str,
        row: i64,
    ) -> Result<Editing, AppError> {
        fn pick<T: vs::HasId>(rows: Vec<T>, id: i64) -> Result<T, AppError> {
            rows.into_iter()
                .find(|r| r.id() == id)
                .ok_or(AppError::NotFound)
        }
        let v = Some(vendor_id);
        Ok(match part {
            "documents" => Editing::Doc(
                vs::document(c, o, row)?
                    .filter(|d| d.vendor_id == vendor_id)
                    .ok_or(AppError::NotFound)?,
            ),
            _ => Editing::Part(match Part::parse(part).ok_or(AppError::NotFound)? {
                Part::Contract => PartData::C(pick(vs::contracts(c, o, v)?, row)?),
                Part::Service => PartData::S(pick(vs::services(c, o, v)?, row)?),
                Part::Certification => PartData::Cert(pick(vs::certifications(c, o, v)?, row)?),
                Part::Remote => PartData::R(pick(vs::remote(c, o, v)?, row)?),
            }),
        })
    }

    /// The form's heading and fields, pre-filled (the same names as the add forms).
    fn form(&self) -> (&'static str, Vec<Field>) {
        match self {
            Editing::Part(PartData::C(x)) => (
                "契約",
                vec![
                    Field::text("title", "契約名", &x.title, true),
                    Field::opt("contract_no", "契約番号", &x.contract_no),
                    Field::opt("start_date", "開始日", &x.start_date),
                    Field::opt("end_date", "終了日", &x.end_date),
                    Field::opt("scope", "委託範囲", &x.scope),
                ],
            ),
            Editing::Part(PartData::S(x)) => (
                "サービスとデータの保存場所",
                vec![
                    Field::text("name", "サービス名", &x.name, true),
                    Field::check("stores_data", "医療情報を保存する", x.stores_data),
                    Field::opt("data_country", "保存場所（国）", &x.data_country),
                    Field::opt("data_provider", "保存先の事業者", &x.data_provider),
                    Field::tri(
                        "within_japan_law",
                        "国内法の執行が及ぶ場所",
                        x.within_japan_law,
                    ),
                    Field::opt("note", "メモ", &x.note),
                ],
            ),
            Editing::Part(PartData::Cert(x)) => (
                "第三者認証",
                vec![
                    Field::select(
                        "kind",
                        "種類",
                        CertKind::ALL
                            .iter()
                            .map(|k| {
                                (
                                    k.code().to_owned(),
                                    k.label_ja().to_owned(),
                                    k.code() == x.kind,
                                )
                            })
                            .collect(),
                    ),
                    Field::text("name", "名称", &x.name, false),
                    Field::opt("scope", "範囲", &x.scope),
                    Field::opt("cert_no", "登録番号", &x.cert_no),
                    Field::opt("expires_on", "有効期限", &x.expires_on),
                ],
            ),
            Editing::Part(PartData::R(x)) => (
                "リモートメンテナンス",
                vec![
                    Field::text("target", "対象の機器・システム", &x.target, true),
                    Field::opt("method", "接続方法", &x.method),
                    Field::opt("allowed_persons", "接続を許可された者", &x.allowed_persons),
                    Field::tri("logs_kept", "作業ログの取得", x.logs_kept),
                    Field::opt("log_location", "ログの保管場所", &x.log_location),
                ],
            ),
            Editing::Doc(d) => (
                "受領した書類",
                vec![
                    Field::opt("form_version", "様式の版", &d.form_version),
                    Field::text("received_on", "受領日", &d.received_on, true),
                    Field::opt("note", "メモ", &d.note),
                ],
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "vendor_part_edit.html")]
struct EditPage {
    layout: Layout,
    org: i64,
    vendor: Vendor,
    action: String,
    heading: &'static str,
    /// What is not editable here (a document's kind, version and file).
    fixed: String,
    fields: Vec<Field>,
    anchor: &'static str,
}

fn part_anchor(part: &str) -> &'static str {
    match part {
        "contracts" => "contracts",
        "services" => "services",
        "certifications" => "certifications",
        "remote" => "remote",
        _ => "documents",
    }
}

/// `GET /o/{org}/vendors/{id}/edit/{part}/{row}`: the row's form, pre-filled.
pub async fn edit_part_page(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, part, row)): Path<(i64, i64, String, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditRecords)?;
    let o = ctx.org.clone();
    let p = part.clone();
    let (vendor, editing) = state
        .db(move |c| {
            let v = vs::get(c, &o, id)?.ok_or(AppError::NotFound)?;
            let e = Editing::load(c, &o, v.id, &p, row)?;
            Ok((v, e))
        })
        .await?;
    let (heading, fields) = editing.form();
    let fixed = match &editing {
        Editing::Doc(d) => {
            let l = doc_line(d);
            format!("{} 第{}版 ／ {}", l.kind, l.version, l.file)
        }
        Editing::Part(_) => String::new(),
    };
    render(&EditPage {
        layout: Layout::org(&state, &ctx, &format!("{}の編集", heading), "nav.vendors"),
        org,
        action: format!("/o/{org}/vendors/{id}/edit/{part}/{row}"),
        heading,
        fixed,
        fields,
        anchor: part_anchor(&part),
        vendor,
    })
}

/// `POST /o/{org}/vendors/{id}/edit/{part}/{row}`: changes the row (the same fields as
/// adding it; for a document, its form version, 受領日 and note), audited with before and
/// after, and re-runs the vendor rules in the same transaction.
pub async fn edit_part(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, part, row)): Path<(i64, i64, String, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let anchor = part_anchor(&part);
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    if part == "documents" {
        let received = p
            .date("received_on", "受領日")?
            .ok_or_else(|| AppError::BadRequest("受領日を入力してください。".to_owned()))?;
        let meta = vs::DocumentMeta {
            form_version: p.opt("form_version"),
            received_on: received,
            note: p.opt("note"),
        };
        state
            .tx(move |c| {
                vs::update_document(c, &o, &actor, id, row, &meta)?;
                checks::check_vendors(c, &o, &actor, today_jst())?;
                Ok(())
            })
            .await?;
    } else {
        let kind = Part::parse(&part).ok_or(AppError::NotFound)?;
        let data = PartData::from_form(kind, id, row, &p)?;
        state
            .tx(move |c| {
                data.store(c, &o, &actor, id, true)?;
                checks::check_vendors(c, &o, &actor, today_jst())?;
                Ok(())
            })
            .await?;
    }
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}#{anchor}")).into_response())
}

/// `POST /o/{org}/vendors/{id}/remove/{part}/{row}`
pub async fn remove_part(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, part, row)): Path<(i64, i64, String, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let part = Part::parse(&part).ok_or(AppError::NotFound)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            vs::remove(c, &o, &actor, id, part, row)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}")).into_response())
}

/// `POST /o/{org}/vendors/{id}/links`: the systems and assets the vendor provides or
/// maintains (checkboxes `system`, `asset`).
pub async fn set_links(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let ids =
        |name: &str| -> Vec<i64> { p.all(name).iter().filter_map(|v| v.parse().ok()).collect() };
    let (systems, assets) = (ids("system"), ids("asset"));
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            vs::set_links(c, &o, &actor, id, &systems, &assets)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}#links")).into_response())
}

/// A document upload as read from the multipart form.
pub struct DocUpload {
    pub csrf: String,
    pub kind: DocKind,
    pub form_version: Option<String>,
    pub received_on: String,
    pub note: Option<String>,
    pub file: Option<(String, String, Vec<u8>)>,
}

/// Reads and checks a document upload (kind, 受領日, optional file).
pub async fn read_doc_upload(mp: Multipart) -> Result<DocUpload, AppError> {
    let mut up = upload::read(mp, MAX_FILE_BYTES).await?;
    let file = up.file.take();
    let kind = DocKind::parse(up.field("kind"))
        .ok_or_else(|| AppError::BadRequest("書類の種類を選んでください。".to_owned()))?;
    let received = up.field("received_on").trim().to_owned();
    let received_on = if received.is_empty() {
        today_jst().to_string()
    } else {
        parse_date(&received)
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "受領日「{received}」を日付として読めません: {}",
                    e.message_ja()
                ))
            })?
            .to_string()
    };
    let text = |name: &str| {
        let v: String = up.field(name).trim().chars().take(500).collect();
        (!v.is_empty()).then_some(v)
    };
    let file = match file {
        Some(f) if !f.bytes.is_empty() || f.name.as_deref().is_some_and(|n| !n.is_empty()) => {
            let name =
                f.name.as_deref().and_then(clean_file_name).ok_or_else(|| {
                    AppError::BadRequest("ファイル名を読み取れません。".to_owned())
                })?;
            if f.bytes.is_empty() {
                return Err(AppError::BadRequest(format!(
                    "ファイル「{name}」は空です（0バイト）。"
                )));
            }
            if f.bytes.len() > MAX_FILE_BYTES {
                return Err(AppError::BadRequest(format!(
                    "ファイル「{name}」は大きすぎます（上限 {} MB）。",
                    MAX_FILE_BYTES / 1024 / 1024
                )));
            }
            Some((name, clean_content_type(f.content_type.as_deref()), f.bytes))
        }
        _ => None,
    };
    Ok(DocUpload {
        csrf: up.field("csrf").to_owned(),
        kind,
        form_version: text("form_version"),
        received_on,
        note: text("note"),
        file,
    })
}

/// Records the upload for vendor `vendor_id` of `org` and re-runs the rules.
pub fn store_doc(
    c: &mut anzen_store::Conn,
    org: &orgs::Org,
    actor: &str,
    vendor_id: i64,
    u: &DocUpload,
) -> Result<Document, AppError> {
    let doc = vs::add_document(
        c,
        org,
        actor,
        vendor_id,
        &NewDocument {
            kind: u.kind.code(),
            form_version: u.form_version.as_deref(),
            received_on: &u.received_on,
            file: u.file.as_ref().map(|(name, ct, bytes)| DocFile {
                name,
                content_type: ct,
                content: bytes,
            }),
            note: u.note.as_deref(),
        },
    )?;
    checks::check_vendors(c, org, actor, today_jst())?;
    Ok(doc)
}

/// `POST /o/{org}/vendors/{id}/documents` (multipart: csrf, kind, form_version,
/// received_on, note, file).
pub async fn upload_doc(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let u = read_doc_upload(mp).await?;
    ctx.auth.check_csrf(&u.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| store_doc(c, &o, &actor, id, &u).map(drop))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}#documents")).into_response())
}

/// The download response of a document's file.
pub fn doc_response(doc: &Document, body: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                doc.content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
            ),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(doc.file_name.as_deref().unwrap_or("document")),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `GET /o/{org}/vendors/{id}/documents/{doc}`: the file (withdrawn ones too).
pub async fn download_doc(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, doc)): Path<(i64, i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (d, body) = state
        .db(move |c| {
            let d = vs::document(c, &o, doc)?
                .filter(|d| d.vendor_id == id)
                .ok_or(AppError::NotFound)?;
            let body = vs::document_content(c, &o, &d)?;
            Ok((d, body))
        })
        .await?;
    Ok(doc_response(&d, body))
}

/// `POST /o/{org}/vendors/{id}/documents/{doc}/withdraw` (csrf, reason)
pub async fn withdraw_doc(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id, doc)): Path<(i64, i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let reason = p.get("reason").chars().take(500).collect::<String>();
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            vs::withdraw_document(c, &o, &actor, id, doc, &reason)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}#documents")).into_response())
}

/// One party column of the matrix form.
pub struct PartyCol {
    /// `facility` or `v{id}`.
    pub code: String,
    pub label: String,
}

/// One cell of the matrix: a party's role for a duty.
pub struct Cell {
    /// The party column's code.
    pub code: String,
    pub responsible: bool,
    pub informed: bool,
    /// 合意 … / 未合意 for a vendor's responsible cell.
    pub accepted: String,
}

/// One duty row of the matrix.
pub struct MatrixRow {
    pub code: &'static str,
    pub label: &'static str,
    /// One per party column.
    pub cells: Vec<Cell>,
    pub responsible: String,
    pub informed: String,
}

/// The matrix of one system as shown and printed.
pub struct MatrixView {
    pub system: System,
    pub parties: Vec<PartyCol>,
    pub rows: Vec<MatrixRow>,
    pub findings: Vec<FindingLine>,
    /// Vendor assignments not yet accepted: (row id, label).
    pub pending: Vec<(i64, String)>,
}

fn party_code(vendor_id: Option<i64>) -> String {
    vendor_id.map_or_else(|| "facility".to_owned(), |v| format!("v{v}"))
}

/// Builds the matrix view of `system_id` (NotFound when not the organisation's).
pub fn matrix_view(
    c: &mut anzen_store::Conn,
    org: &orgs::Org,
    system_id: i64,
) -> Result<MatrixView, AppError> {
    let system = accounts::system(c, org, system_id)?.ok_or(AppError::NotFound)?;
    let vendors = vs::list(c, org)?;
    let rows = vs::matrix(c, org, Some(system_id))?;
    let links = vs::system_links(c, org)?;
    // The facility, the vendors linked to the system or named in its rows, then the other
    // active vendors (so any can be chosen).
    let mut parties = vec![PartyCol {
        code: "facility".to_owned(),
        label: "自施設".to_owned(),
    }];
    let mut ordered: Vec<&Vendor> = vendors
        .iter()
        .filter(|v| {
            links.contains(&(v.id, system_id)) || rows.iter().any(|r| r.vendor_id == Some(v.id))
        })
        .collect();
    let rest: Vec<&Vendor> = vendors
        .iter()
        .filter(|v| v.data.active && !ordered.iter().any(|o| o.id == v.id))
        .collect();
    ordered.extend(rest);
    for v in ordered {
        parties.push(PartyCol {
            code: party_code(Some(v.id)),
            label: v.data.name.clone(),
        });
    }
    let name_of = |vid: Option<i64>| -> String {
        match vid {
            None => "自施設".to_owned(),
            Some(id) => vendors
                .iter()
                .find(|v| v.id == id)
                .map(|v| v.data.name.clone())
                .unwrap_or_default(),
        }
    };
    let mrows = Duty::ALL
        .into_iter()
        .map(|duty| {
            let mine: Vec<&Responsibility> =
                rows.iter().filter(|r| r.duty == duty.code()).collect();
            let cells = parties
                .iter()
                .map(|p| {
                    let resp = mine
                        .iter()
                        .find(|r| r.role == "responsible" && party_code(r.vendor_id) == p.code);
                    let inf = mine
                        .iter()
                        .any(|r| r.role == "informed" && party_code(r.vendor_id) == p.code);
                    let accepted = match resp {
                        Some(r) if r.vendor_id.is_some() => match (r.accepted_at, &r.accepted_by) {
                            (Some(at), by) => format!(
                                "合意 {}（{}）",
                                jst(at).get(..10).unwrap_or_default(),
                                by.clone().unwrap_or_default()
                            ),
                            _ => "未合意".to_owned(),
                        },
                        _ => String::new(),
                    };
                    Cell {
                        code: p.code.clone(),
                        responsible: resp.is_some(),
                        informed: inf,
                        accepted,
                    }
                })
                .collect();
            let list = |role: &str| {
                let v: Vec<String> = mine
                    .iter()
                    .filter(|r| r.role == role)
                    .map(|r| {
                        let mut n = name_of(r.vendor_id);
                        if role == "responsible" && r.vendor_id.is_some() {
                            n.push_str(if r.accepted_at.is_some() {
                                "（合意済み）"
                            } else {
                                "（未合意）"
                            });
                        }
                        n
                    })
                    .collect();
                if v.is_empty() {
                    "—".to_owned()
                } else {
                    v.join("、")
                }
            };
            MatrixRow {
                code: duty.code(),
                label: duty.label_ja(),
                cells,
                responsible: list("responsible"),
                informed: list("informed"),
            }
        })
        .collect();
    let pending = rows
        .iter()
        .filter(|r| r.role == "responsible" && r.vendor_id.is_some() && r.accepted_at.is_none())
        .map(|r| {
            (
                r.id,
                format!(
                    "{}: {}",
                    Duty::parse(&r.duty).map_or("", Duty::label_ja),
                    name_of(r.vendor_id)
                ),
            )
        })
        .collect();
    let subject = matrix_subject(&system.data.name);
    let findings = findings_store::list(c, org, true)?
        .iter()
        .filter(|f| f.subject == subject)
        .map(finding_line)
        .collect();
    Ok(MatrixView {
        system,
        parties,
        rows: mrows,
        findings,
        pending,
    })
}

#[derive(Deserialize)]
pub struct SystemQuery {
    #[serde(default)]
    system: Option<i64>,
}

#[derive(Template)]
#[template(path = "vendor_matrix.html")]
struct MatrixPage {
    layout: Layout,
    org: i64,
    systems: Vec<(i64, String)>,
    view: Option<MatrixView>,
    can_edit: bool,
}

/// `GET /o/{org}/vendors/matrix?system=ID`: the responsibility matrix of a system.
pub async fn matrix(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<SystemQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (systems, view) = state
        .db(move |c| {
            let systems = accounts::systems(c, &o)?;
            let chosen = q.system.or_else(|| systems.first().map(|s| s.id));
            let view = match chosen {
                Some(id) => Some(matrix_view(c, &o, id)?),
                None => None,
            };
            Ok((
                systems
                    .into_iter()
                    .map(|s| (s.id, s.data.name))
                    .collect::<Vec<_>>(),
                view,
            ))
        })
        .await?;
    render(&MatrixPage {
        layout: Layout::org(&state, &ctx, "責任分界表", "nav.vendors"),
        org,
        systems,
        view,
        can_edit: ctx.role.can(Action::EditRecords),
    })
}

/// `POST /o/{org}/vendors/matrix/{system}`: the matrix as checked (`r.{duty}` and
/// `i.{duty}` = `facility` or `v{id}`).
pub async fn save_matrix(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, system)): Path<(i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let mut rows = Vec::new();
    for (k, v) in &p.0 {
        let (role, duty) = match k.split_once('.') {
            Some(("r", d)) => ("responsible", d),
            Some(("i", d)) => ("informed", d),
            _ => continue,
        };
        let duty = Duty::parse(duty)
            .ok_or_else(|| AppError::BadRequest(format!("項目「{duty}」は不正です。")))?;
        let vendor_id = match v.as_str() {
            "facility" => None,
            s => Some(
                s.strip_prefix('v')
                    .and_then(|x| x.parse::<i64>().ok())
                    .ok_or_else(|| AppError::BadRequest(format!("担当「{s}」は不正です。")))?,
            ),
        };
        rows.push(Assignment {
            duty: duty.code().to_owned(),
            role: role.to_owned(),
            vendor_id,
        });
    }
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            vs::set_matrix(c, &o, &actor, system, &rows)?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/matrix?system={system}")).into_response())
}

/// `POST /o/{org}/vendors/matrix/{system}/accept/{row}`: the facility records a vendor's
/// acceptance it received outside anzen (e.g. the signed annex).
pub async fn accept_row(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, system, row)): Path<(i64, i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            let r = vs::set_accepted(c, &o, &actor, row, None, true)?;
            if r.system_id != system {
                return Err(AppError::NotFound);
            }
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/matrix?system={system}")).into_response())
}

#[derive(Template)]
#[template(path = "vendor_matrix_print.html")]
struct MatrixPrint {
    layout: Layout,
    org: i64,
    facility: String,
    printed: String,
    view: MatrixView,
    vendors: Vec<Vendor>,
}

/// `GET /o/{org}/vendors/matrix/{system}/print`: the A4 annex (責任分界表) to sign.
pub async fn matrix_print(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, system)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (view, vendors) = state
        .db(move |c| {
            let view = matrix_view(c, &o, system)?;
            let rows = vs::matrix(c, &o, Some(system))?;
            let vendors = vs::list(c, &o)?
                .into_iter()
                .filter(|v| rows.iter().any(|r| r.vendor_id == Some(v.id)))
                .collect();
            Ok((view, vendors))
        })
        .await?;
    render(&MatrixPrint {
        layout: Layout::org(&state, &ctx, "責任分界表（契約別紙）", "nav.vendors"),
        org,
        facility: ctx.org.profile.name.clone(),
        printed: jst(anzen_store::now_us()),
        view,
        vendors,
    })
}

/// Everything the export needs.
pub struct ExportData {
    pub vendors: Vec<Vendor>,
    pub contracts: Vec<Contract>,
    pub services: Vec<Service>,
    pub docs: Vec<Document>,
    pub certs: Vec<Certification>,
    pub remote: Vec<RemoteAccess>,
    pub systems: Vec<System>,
    pub links: Vec<(i64, i64)>,
    pub matrix: Vec<Responsibility>,
    pub open: Vec<Finding>,
}

impl ExportData {
    pub fn load(c: &mut anzen_store::Conn, o: &orgs::Org) -> Result<ExportData, AppError> {
        Ok(ExportData {
            vendors: vs::list(c, o)?,
            contracts: vs::contracts(c, o, None)?,
            services: vs::services(c, o, None)?,
            docs: vs::documents(c, o, None)?,
            certs: vs::certifications(c, o, None)?,
            remote: vs::remote(c, o, None)?,
            systems: accounts::systems(c, o)?,
            links: vs::system_links(c, o)?,
            matrix: vs::matrix(c, o, None)?,
            open: findings_store::list(c, o, true)?,
        })
    }
}

type Sheet = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

/// The sheets of the export: 事業者, 書類, 第三者認証, サービス・保存場所,
/// リモートメンテナンス, 責任分界表 (one row per system, duty and party).
pub fn export_sheets(d: &ExportData) -> Vec<Sheet> {
    let vname = |id: Option<i64>| match id {
        None => "自施設".to_owned(),
        Some(id) => d
            .vendors
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.data.name.clone())
            .unwrap_or_default(),
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let latest = |vid: i64, kind: DocKind| {
        d.docs
            .iter()
            .filter(|x| x.vendor_id == vid && x.kind == kind.code() && x.is_current())
            .map(|x| x.received_on.clone())
            .max()
            .unwrap_or_else(|| "未受領".to_owned())
    };
    let vendors = d
        .vendors
        .iter()
        .map(|v| {
            vec![
                v.data.name.clone(),
                if v.data.active {
                    "契約中"
                } else {
                    "契約終了"
                }
                .to_owned(),
                s(&v.data.contact_name),
                s(&v.data.contact_phone),
                s(&v.data.contact_email),
                s(&v.data.address),
                d.contracts
                    .iter()
                    .filter(|c| c.vendor_id == v.id)
                    .map(|c| c.title.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                d.links
                    .iter()
                    .filter(|(x, _)| *x == v.id)
                    .filter_map(|(_, sid)| d.systems.iter().find(|s| s.id == *sid))
                    .map(|s| s.data.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                latest(v.id, DocKind::MdsSds),
                latest(v.id, DocKind::VendorChecklist),
                d.certs
                    .iter()
                    .filter(|c| c.vendor_id == v.id)
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                vendor_findings(&d.open, v).len().to_string(),
            ]
        })
        .collect();
    let docs = d
        .docs
        .iter()
        .map(|x| {
            vec![
                vname(Some(x.vendor_id)),
                DocKind::parse(&x.kind)
                    .map_or("その他", DocKind::label_ja)
                    .to_owned(),
                x.version.to_string(),
                s(&x.form_version),
                x.received_on.clone(),
                s(&x.file_name),
                s(&x.sha256),
                if x.is_current() {
                    "有効"
                } else {
                    "取り下げ"
                }
                .to_owned(),
            ]
        })
        .collect();
    let certs = d
        .certs
        .iter()
        .map(|c| {
            vec![
                vname(Some(c.vendor_id)),
                CertKind::parse(&c.kind)
                    .map_or("その他", CertKind::label_ja)
                    .to_owned(),
                c.name.clone(),
                s(&c.scope),
                s(&c.cert_no),
                s(&c.expires_on),
            ]
        })
        .collect();
    let services = d
        .services
        .iter()
        .map(|x| {
            vec![
                vname(Some(x.vendor_id)),
                x.name.clone(),
                if x.stores_data { "あり" } else { "なし" }.to_owned(),
                s(&x.data_country),
                s(&x.data_provider),
                tri_label(x.within_japan_law).to_owned(),
            ]
        })
        .collect();
    let remote = d
        .remote
        .iter()
        .map(|r| {
            vec![
                vname(Some(r.vendor_id)),
                r.target.clone(),
                s(&r.method),
                s(&r.allowed_persons),
                tri_label(r.logs_kept).to_owned(),
                s(&r.log_location),
            ]
        })
        .collect();
    let matrix = d
        .matrix
        .iter()
        .map(|r| {
            vec![
                d.systems
                    .iter()
                    .find(|s| s.id == r.system_id)
                    .map(|s| s.data.name.clone())
                    .unwrap_or_default(),
                Duty::parse(&r.duty).map_or("", Duty::label_ja).to_owned(),
                role_label(&r.role).to_owned(),
                vname(r.vendor_id),
                match (r.vendor_id, r.accepted_at) {
                    (None, _) => String::new(),
                    (Some(_), Some(at)) => format!("合意済み {}", jst(at)),
                    (Some(_), None) if r.role == "responsible" => "未合意".to_owned(),
                    _ => String::new(),
                },
            ]
        })
        .collect();
    vec![
        (
            "事業者",
            vec![
                "事業者名",
                "状態",
                "担当者",
                "電話",
                "メール",
                "住所",
                "契約",
                "提供・保守するシステム",
                "MDS/SDS 受領日",
                "事業者確認用 受領日",
                "第三者認証",
                "未解消の指摘",
            ],
            vendors,
        ),
        (
            "書類",
            vec![
                "事業者",
                "種類",
                "版",
                "様式の版",
                "受領日",
                "ファイル",
                "SHA-256",
                "状態",
            ],
            docs,
        ),
        (
            "第三者認証",
            vec!["事業者", "種類", "名称", "範囲", "登録番号", "有効期限"],
            certs,
        ),
        (
            "サービス・保存場所",
            vec![
                "事業者",
                "サービス",
                "医療情報の保存",
                "保存場所（国）",
                "保存先の事業者",
                "国内法の執行が及ぶ場所",
            ],
            services,
        ),
        (
            "リモートメンテナンス",
            vec![
                "事業者",
                "対象",
                "接続方法",
                "接続を許可された者",
                "作業ログの取得",
                "ログの保管場所",
            ],
            remote,
        ),
        (
            "責任分界表",
            vec!["システム", "項目", "役割", "担当", "合意"],
            matrix,
        ),
    ]
}

/// The workbook of [`export_sheets`] (headers bold and frozen, cells as text).
pub fn export_xlsx_bytes(d: &ExportData) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (name, header, rows) in export_sheets(d) {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (col, h) in header.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, *h, &bold)?;
            ws.set_column_width(col, 18)?;
        }
        for (i, r) in rows.iter().enumerate() {
            let row = 1 + u32::try_from(i).unwrap_or(u32::MAX - 1);
            for (col, v) in r.iter().enumerate() {
                ws.write_string(row, u16::try_from(col).unwrap_or(u16::MAX), v)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    wb.save_to_buffer()
}

/// `GET /o/{org}/vendors/export.xlsx`: vendors, documents, certifications, services,
/// remote maintenance and the responsibility matrix.
pub async fn export_xlsx(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let data = state
        .tx(move |c| {
            let d = ExportData::load(c, &o)?;
            anzen_store::audit::record(
                c,
                &o,
                &actor,
                "export.vendors",
                &serde_json::json!({ "format": "xlsx", "vendors": d.vendors.len() }),
            )?;
            Ok(d)
        })
        .await?;
    let body =
        export_xlsx_bytes(&data).map_err(|e| AppError::Internal(format!("vendors xlsx: {e}")))?;
    Ok(super::attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("vendors-{}.xlsx", today_jst()),
        body,
    ))
}
