//! 連絡体制図 — the contacts (internal roles, vendors, the official bodies pre-filled as
//! editable data), the chart drawn from them, and its A4 print view (evidence for 3-(1)).

use anzen_core::rules::incident::{ContactRole, official_bodies};
use anzen_core::{Action, OrgId};
use anzen_store::findings as findings_store;
use anzen_store::incident::{self as store, ContactData, ContactRecord};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{FindingLine, both, chart, finding_lines, opt};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, jst, render, today_jst};
use crate::{AppError, AppState, checks};

/// The role kinds offered in the form: (code, label).
pub const ROLE_KINDS: [(&str, &str); 11] = [
    ("administrator", "管理者（院長等）"),
    ("security_officer", "医療情報システム安全管理責任者"),
    ("csirt", "CSIRT・院内連絡担当"),
    ("department_head", "部門責任者"),
    ("on_call", "当直・夜間休日連絡先"),
    ("vendor", "外部委託業者（事業者名を入力）"),
    ("mhlw", "厚生労働省（医療情報担当参事官室）"),
    ("ppc", "個人情報保護委員会"),
    ("police", "都道府県警のサイバー犯罪窓口"),
    ("ipa", "情報処理推進機構（IPA）"),
    ("other", "その他（名称を入力）"),
];

/// A contact as listed.
pub struct Line {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub organisation: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
    pub order: String,
    pub note: String,
}

fn line(c: &ContactRecord) -> Line {
    let role = ContactRole::from_code(&c.data.role);
    Line {
        id: c.id,
        role: role
            .as_ref()
            .map_or_else(|| c.data.role.clone(), ContactRole::label_ja),
        name: c.data.name.clone(),
        organisation: c.data.organisation.clone().unwrap_or_default(),
        phone: c.data.phone.clone().unwrap_or_default(),
        email: c.data.email.clone().unwrap_or_default(),
        hours: c.data.hours.clone().unwrap_or_default(),
        order: c
            .data
            .escalation_order
            .map(|n| n.to_string())
            .unwrap_or_default(),
        note: c.data.note.clone().unwrap_or_default(),
    }
}

/// What the chart pages need from the store.
struct ChartData {
    contacts: Vec<ContactRecord>,
    svg: String,
    findings: Vec<FindingLine>,
    missing_official: bool,
}

async fn load(state: &AppState, ctx: &OrgCtx) -> Result<ChartData, AppError> {
    let o = ctx.org.clone();
    let (contacts, inputs, open) = state
        .db(move |c| {
            Ok((
                store::contacts(c, &o)?,
                checks::incident_inputs(c, &o)?,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let layout = chart::layout(&inputs.contacts, &inputs.vendors);
    let missing_official = [
        ContactRole::Mhlw,
        ContactRole::Ppc,
        ContactRole::Police,
        ContactRole::Ipa,
    ]
    .iter()
    .any(|r| !inputs.contacts.iter().any(|c| &c.role == r));
    Ok(ChartData {
        contacts,
        svg: chart::svg(
            &layout,
            &format!("{} インシデント発生時の連絡体制図", ctx.org.profile.name),
        ),
        findings: finding_lines(&open, "contact."),
        missing_official,
    })
}

#[derive(Template)]
#[template(path = "incident_contacts.html")]
struct ListPage {
    layout: Layout,
    org: i64,
    lines: Vec<Line>,
    svg: String,
    findings: Vec<FindingLine>,
    missing_official: bool,
    kinds: Vec<(&'static str, &'static str)>,
    form: ContactForm,
    can_edit: bool,
    errors: Vec<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &OrgCtx,
    form: ContactForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let d = load(state, ctx).await?;
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&ListPage {
        layout: Layout::org(state, ctx, "連絡体制図", "nav.incident"),
        org: ctx.org.id.0,
        lines: d.contacts.iter().map(line).collect(),
        svg: d.svg,
        findings: d.findings,
        missing_official: d.missing_official,
        kinds: ROLE_KINDS.to_vec(),
        form,
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/contacts`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    list_page(&state, &ctx, ContactForm::default(), Vec::new()).await
}

/// The contact form as posted (also re-shown after an error).
#[derive(Deserialize, Default, Clone)]
pub struct ContactForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub role_name: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub note: String,
}

impl ContactForm {
    fn of(c: &ContactData) -> ContactForm {
        let role = ContactRole::from_code(&c.role);
        ContactForm {
            csrf: String::new(),
            kind: role
                .as_ref()
                .map_or_else(String::new, |r| r.kind_code().to_owned()),
            role_name: role
                .as_ref()
                .and_then(|r| r.role_name().map(str::to_owned))
                .unwrap_or_default(),
            name: c.name.clone(),
            organisation: c.organisation.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            email: c.email.clone().unwrap_or_default(),
            hours: c.hours.clone().unwrap_or_default(),
            order: c
                .escalation_order
                .map(|n| n.to_string())
                .unwrap_or_default(),
            note: c.note.clone().unwrap_or_default(),
        }
    }
}

/// Checks the form; Japanese errors name the field.
pub fn parse(f: &ContactForm) -> Result<ContactData, Vec<String>> {
    let mut errors = Vec::new();
    let role = if !ROLE_KINDS.iter().any(|(k, _)| *k == f.kind.trim()) {
        errors.push("「役割・機関」を選んでください。".to_owned());
        None
    } else {
        let r = ContactRole::from_parts(&f.kind, &f.role_name);
        if r.is_none() {
            errors.push(
                "外部委託業者・その他の連絡先には「事業者名・名称」を入力してください。".to_owned(),
            );
        }
        r
    };
    if f.name.trim().is_empty() {
        errors.push("「氏名・窓口名」を入力してください。".to_owned());
    }
    let email = opt(&f.email, 200);
    if let Some(e) = &email
        && (!e.contains('@') || e.contains(char::is_whitespace))
    {
        errors.push(format!(
            "「メールアドレス」{e} はメールアドレスの形ではありません。"
        ));
    }
    let phone = opt(&f.phone, 50);
    if let Some(p) = &phone
        && !p
            .chars()
            .all(|c| c.is_ascii_digit() || "-+() 　（）－ー内線#".contains(c))
    {
        errors.push(format!(
            "「電話番号」{p} には数字・ハイフン・括弧・「内線」だけを使ってください。"
        ));
    }
    let order = match f.order.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) if (1..=99).contains(&n) => Some(n),
            _ => {
                errors.push(format!("「連絡順」{s} は1〜99の数字で入力してください。"));
                None
            }
        },
    };
    match role {
        Some(role) if errors.is_empty() => Ok(ContactData {
            role: role.code(),
            name: f.name.trim().chars().take(100).collect(),
            organisation: opt(&f.organisation, 200),
            phone,
            email,
            hours: opt(&f.hours, 100),
            escalation_order: order,
            note: opt(&f.note, 1000),
        }),
        _ => Err(errors),
    }
}

/// `POST /o/{org}/incident/contacts`: adds a contact.
pub async fn create(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<ContactForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse(&f) {
        Ok(d) => d,
        Err(e) => return list_page(&state, &ctx, f, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::save_contact(c, &o, &actor, None, &data)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/contacts")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /o/{org}/incident/contacts/prefill`: adds the official bodies (イ–オ) that are not
/// on the chart yet, as editable entries without numbers (to be confirmed and entered).
pub async fn prefill(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            let have: Vec<String> = store::contacts(c, &o)?
                .into_iter()
                .map(|x| x.data.role)
                .collect();
            for b in official_bodies() {
                if have.contains(&b.contact.role.code()) {
                    continue;
                }
                let d = ContactData {
                    role: b.contact.role.code(),
                    name: b.contact.name,
                    organisation: b.contact.organisation,
                    phone: None,
                    email: None,
                    hours: b.contact.hours,
                    escalation_order: None,
                    note: Some(b.note.to_owned()),
                };
                store::save_contact(c, &o, &actor, None, &d)?;
            }
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/contacts")).into_response())
}

#[derive(Template)]
#[template(path = "incident_contact.html")]
struct EditPage {
    layout: Layout,
    org: i64,
    id: i64,
    kinds: Vec<(&'static str, &'static str)>,
    form: ContactForm,
    can_edit: bool,
    errors: Vec<String>,
}

async fn edit_page(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
    form: Option<ContactForm>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let c = state
        .db(move |c| store::contact(c, &o, id)?.ok_or(AppError::NotFound))
        .await?;
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&EditPage {
        layout: Layout::org(state, ctx, "連絡先の編集", "nav.incident"),
        org: ctx.org.id.0,
        id,
        kinds: ROLE_KINDS.to_vec(),
        form: form.unwrap_or_else(|| ContactForm::of(&c.data)),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/contacts/{id}`
pub async fn edit(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    edit_page(&state, &ctx, id, None, Vec::new()).await
}

/// `POST /o/{org}/incident/contacts/{id}`: changes a contact.
pub async fn update(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<ContactForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse(&f) {
        Ok(d) => d,
        Err(e) => return edit_page(&state, &ctx, id, Some(f), e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::save_contact(c, &o, &actor, Some(id), &data)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/contacts")).into_response())
}

/// `POST /o/{org}/incident/contacts/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::delete_contact(c, &o, &actor, id)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/contacts")).into_response())
}

#[derive(Template)]
#[template(path = "incident_chart_print.html")]
struct PrintPage {
    layout: Layout,
    org: i64,
    facility: String,
    printed: String,
    svg: String,
    lines: Vec<Line>,
    findings: Vec<FindingLine>,
}

/// `GET /o/{org}/incident/contacts/print`: the chart on one A4 page, the contact list
/// with every number after it, and what is still missing.
pub async fn print(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let d = load(&state, &ctx).await?;
    render(&PrintPage {
        layout: Layout::org(&state, &ctx, "連絡体制図（印刷）", "nav.incident"),
        org,
        facility: ctx.org.profile.name.clone(),
        printed: format!(
            "{} {}",
            both(today_jst()),
            jst(anzen_store::now_us()).get(11..16).unwrap_or("")
        ),
        svg: d.svg,
        lines: d.contacts.iter().map(line).collect(),
        findings: d.findings,
    })
}
