//! インシデント台帳 — incidents from 疑い to 終結: the timeline of actions, who was notified
//! when, the report deadlines computed from the discovery (PPC 速報・確報, the
//! authorities), the impact on care and on personal data, and the printable drafts of the
//! PPC 漏えい等報告 (its nine fields) and of the notification to the authorities.

use anzen_core::rules::incident::{
    Deadline, IncidentKind, IncidentStatus, ReportBody, ReportKind, jst_date, ppc_assessment,
    report_deadlines,
};
use anzen_core::{Action, OrgId};
use anzen_store::incident::{self as store, Event, Incident, IncidentData, Notification};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{both, local_value, opt, parse_local};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, jst, render, today_jst};
use crate::{AppError, AppState};

/// The rules' view of an incident.
pub fn kind_of(d: &IncidentData) -> IncidentKind {
    IncidentKind {
        personal_data_leak: d.personal_data_leak,
        sensitive_data: d.sensitive_data,
        financial_harm_risk: d.financial_harm_risk,
        malicious: d.malicious,
        people_affected: d.people_affected.and_then(|n| u32::try_from(n).ok()),
        public_sector: d.public_sector,
        encrypted: d.encrypted,
        cyber_attack: d.cyber_attack,
    }
}

/// The deadlines of an incident (from its discovery time).
pub fn deadlines_of(d: &IncidentData) -> Vec<Deadline> {
    match jiff::Timestamp::from_microsecond(d.discovered_at) {
        Ok(t) => report_deadlines(t, &kind_of(d)),
        Err(_) => Vec::new(),
    }
}

pub fn status_label(code: &str) -> &'static str {
    IncidentStatus::parse(code).map_or("-", IncidentStatus::label_ja)
}

/// Who a notification went to, in Japanese.
pub fn body_label(code: &str) -> String {
    match ReportBody::parse(code) {
        Some(b) => b.label_ja().to_owned(),
        None => match code {
            "vendor" => "外部委託業者".to_owned(),
            "internal" => "組織内".to_owned(),
            _ => "その他".to_owned(),
        },
    }
}

pub fn what_label(code: &str) -> &'static str {
    ReportKind::parse(code).map_or("連絡", ReportKind::label_ja)
}

/// A deadline as shown.
pub struct DeadlineLine {
    pub body: &'static str,
    pub what: &'static str,
    pub obligation: &'static str,
    pub due: String,
    pub due_latest: String,
    /// 「あと3日」「2日超過」「本日」 or empty without a date.
    pub remaining: String,
    pub overdue: bool,
    /// When it was done (from the notifications), or empty.
    pub done: String,
    pub basis: String,
    pub id: String,
}

/// The deadlines of `inc` with what was done, relative to `today`.
pub fn deadline_lines(
    inc: &IncidentData,
    notes: &[Notification],
    today: jiff::civil::Date,
) -> Vec<DeadlineLine> {
    deadlines_of(inc)
        .into_iter()
        .map(|d| {
            let done = notes
                .iter()
                .find(|n| n.body == d.body.code() && n.what == d.what.code())
                .map(|n| jst(n.notified_at))
                .unwrap_or_default();
            let limit = d.due_latest.or(d.due);
            let (remaining, overdue) = match limit {
                Some(l) if done.is_empty() => {
                    let days = today.until(l).map(|s| s.get_days()).unwrap_or(0);
                    match days {
                        0 => ("本日が期限".to_owned(), false),
                        n if n > 0 => (format!("あと{n}日"), false),
                        n => (format!("{}日超過", -n), true),
                    }
                }
                _ => (String::new(), false),
            };
            DeadlineLine {
                id: format!("deadline-{}-{}", d.body.code(), d.what.code()),
                body: d.body.label_ja(),
                what: d.what.label_ja(),
                obligation: d.obligation.label_ja(),
                due: d
                    .due
                    .map(both)
                    .unwrap_or_else(|| "期限の定めなし（要確認）".to_owned()),
                due_latest: d.due_latest.map(both).unwrap_or_default(),
                remaining,
                overdue,
                done,
                basis: d.basis,
            }
        })
        .collect()
}

/// An incident as listed.
pub struct ListLine {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub discovered: String,
    pub next_due: String,
}

#[derive(Template)]
#[template(path = "incident_list.html")]
struct ListPage {
    layout: Layout,
    org: i64,
    lines: Vec<ListLine>,
    statuses: Vec<(&'static str, &'static str)>,
    now: String,
    can_edit: bool,
    errors: Vec<String>,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    IncidentStatus::ALL
        .iter()
        .map(|s| (s.code(), s.label_ja()))
        .collect()
}

async fn list_page(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let rows = state
        .db(move |c| {
            let mut out = Vec::new();
            for i in store::incidents(c, &o)? {
                let n = store::notifications(c, &o, i.id)?;
                out.push((i, n));
            }
            Ok(out)
        })
        .await?;
    let today = today_jst();
    let lines = rows
        .iter()
        .map(|(i, n)| ListLine {
            id: i.id,
            title: i.data.title.clone(),
            status: status_label(&i.data.status),
            discovered: jst(i.data.discovered_at),
            next_due: if i.data.status == "closed" {
                String::new()
            } else {
                deadline_lines(&i.data, n, today)
                    .into_iter()
                    .find(|d| d.done.is_empty() && !d.remaining.is_empty())
                    .map(|d| format!("{} {}: {}（{}）", d.body, d.what, d.due, d.remaining))
                    .unwrap_or_default()
            },
        })
        .collect();
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&ListPage {
        layout: Layout::org(state, ctx, "インシデント台帳", "nav.incident"),
        org: ctx.org.id.0,
        lines,
        statuses: statuses(),
        now: local_value(anzen_store::now_us()),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/incidents`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    list_page(&state, &ctx, Vec::new()).await
}

/// The incident form (registration and edit).
#[derive(Deserialize, Default)]
pub struct IncidentForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub discovered_at: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub personal_data_leak: Option<String>,
    #[serde(default)]
    pub sensitive_data: Option<String>,
    #[serde(default)]
    pub financial_harm_risk: Option<String>,
    #[serde(default)]
    pub malicious: Option<String>,
    #[serde(default)]
    pub public_sector: Option<String>,
    #[serde(default)]
    pub encrypted: Option<String>,
    #[serde(default)]
    pub cyber_attack: Option<String>,
    #[serde(default)]
    pub people_affected: String,
    #[serde(default)]
    pub care_impact: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub data_items: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub secondary_damage: String,
    #[serde(default)]
    pub subject_response: String,
    #[serde(default)]
    pub publication: String,
    #[serde(default)]
    pub prevention: String,
    #[serde(default)]
    pub other_notes: String,
}

/// Checks the form; Japanese errors name the field.
pub fn parse(f: &IncidentForm) -> Result<IncidentData, Vec<String>> {
    let mut errors = Vec::new();
    if f.title.trim().is_empty() {
        errors.push("「件名」を入力してください。".to_owned());
    }
    let status = match IncidentStatus::parse(&f.status) {
        Some(s) => s.code().to_owned(),
        None => {
            errors.push("「状態」を選んでください。".to_owned());
            String::new()
        }
    };
    let discovered_at = match parse_local(&f.discovered_at) {
        Some(t) => t,
        None => {
            errors.push(format!(
                "「発覚日時」{} は日時の形（例 2026-11-20T18:30）で入力してください。",
                f.discovered_at.trim()
            ));
            0
        }
    };
    let occurred_at = match f.occurred_at.trim() {
        "" => None,
        s => match parse_local(s) {
            Some(t) => Some(t),
            None => {
                errors.push(format!("「発生日時」{s} は日時の形で入力してください。"));
                None
            }
        },
    };
    if let Some(o) = occurred_at
        && o > discovered_at
        && discovered_at != 0
    {
        errors.push("「発生日時」が「発覚日時」より後になっています。".to_owned());
    }
    let people_affected = match f.people_affected.trim() {
        "" => None,
        s => match s.replace([',', '，'], "").parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.push(format!(
                    "「本人の数」{s} は0以上の数字で入力してください（不明なら空欄）。"
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let long = |s: &str| opt(s, 4000);
    Ok(IncidentData {
        title: f.title.trim().chars().take(200).collect(),
        status,
        discovered_at,
        occurred_at,
        personal_data_leak: f.personal_data_leak.is_some(),
        sensitive_data: f.sensitive_data.is_some(),
        financial_harm_risk: f.financial_harm_risk.is_some(),
        malicious: f.malicious.is_some(),
        people_affected,
        public_sector: f.public_sector.is_some(),
        encrypted: f.encrypted.is_some(),
        cyber_attack: f.cyber_attack.is_some(),
        care_impact: long(&f.care_impact),
        summary: long(&f.summary),
        data_items: long(&f.data_items),
        cause: long(&f.cause),
        secondary_damage: long(&f.secondary_damage),
        subject_response: long(&f.subject_response),
        publication: long(&f.publication),
        prevention: long(&f.prevention),
        other_notes: long(&f.other_notes),
    })
}

/// `POST /o/{org}/incident/incidents`: registers an incident.
pub async fn create(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<IncidentForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse(&f) {
        Ok(d) => d,
        Err(e) => return list_page(&state, &ctx, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let label = status_label(&data.status);
    let inc = state
        .tx(move |c| Ok(store::create_incident(c, &o, &actor, &data, label)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/incidents/{}", inc.id)).into_response())
}

/// A timeline entry as shown.
pub struct EventLine {
    pub at: String,
    pub kind: &'static str,
    pub body: String,
    pub actor: String,
}

fn event_line(e: &Event) -> EventLine {
    EventLine {
        at: jst(e.at),
        kind: match e.kind.as_str() {
            "status" => "状態",
            "notification" => "報告・連絡",
            _ => "対応",
        },
        body: e.body.clone(),
        actor: e.actor.clone(),
    }
}

/// A notification as shown.
pub struct NotificationLine {
    pub at: String,
    pub body: String,
    pub what: &'static str,
    pub by_whom: String,
    pub method: String,
    pub note: String,
}

fn notification_line(n: &Notification) -> NotificationLine {
    NotificationLine {
        at: jst(n.notified_at),
        body: body_label(&n.body),
        what: what_label(&n.what),
        by_whom: n.by_whom.clone(),
        method: n.method.clone().unwrap_or_default(),
        note: n.note.clone().unwrap_or_default(),
    }
}

/// The form's values for an incident (checkbox states as bools).
pub struct FormValues {
    pub title: String,
    pub status: String,
    pub discovered_at: String,
    pub occurred_at: String,
    pub flags: Vec<(&'static str, &'static str, bool)>,
    pub people_affected: String,
    pub care_impact: String,
    pub fields: Vec<(&'static str, &'static str, String)>,
}

/// The nine fields of the 漏えい等報告 (施行規則第8条第1項各号) in order: (number, label, value).
pub fn ppc_fields(d: &IncidentData) -> Vec<(&'static str, &'static str, String)> {
    let v = |s: &Option<String>| s.clone().unwrap_or_default();
    vec![
        ("①", "概要", v(&d.summary)),
        (
            "②",
            "漏えい等が発生し、又は発生したおそれがある個人データの項目",
            v(&d.data_items),
        ),
        (
            "③",
            "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
            d.people_affected
                .map(|n| format!("{n}人"))
                .unwrap_or_else(|| "不明（調査中）".to_owned()),
        ),
        ("④", "原因", v(&d.cause)),
        (
            "⑤",
            "二次被害又はそのおそれの有無及びその内容",
            v(&d.secondary_damage),
        ),
        ("⑥", "本人への対応の実施状況", v(&d.subject_response)),
        ("⑦", "公表の実施状況", v(&d.publication)),
        ("⑧", "再発防止のための措置", v(&d.prevention)),
        ("⑨", "その他参考となる事項", v(&d.other_notes)),
    ]
}

fn values(d: &IncidentData) -> FormValues {
    let v = |s: &Option<String>| s.clone().unwrap_or_default();
    FormValues {
        title: d.title.clone(),
        status: d.status.clone(),
        discovered_at: local_value(d.discovered_at),
        occurred_at: d.occurred_at.map(local_value).unwrap_or_default(),
        flags: vec![
            (
                "personal_data_leak",
                "個人データの漏えい・滅失・毀損（おそれを含む）",
                d.personal_data_leak,
            ),
            (
                "sensitive_data",
                "要配慮個人情報（病歴等）を含む",
                d.sensitive_data,
            ),
            (
                "financial_harm_risk",
                "財産的被害が生じるおそれ（クレジットカード番号等）",
                d.financial_harm_risk,
            ),
            (
                "malicious",
                "不正の目的をもって行われたおそれ（不正アクセス・ランサムウェア・持ち出し）",
                d.malicious,
            ),
            (
                "cyber_attack",
                "サイバー攻撃を受けた（疑い含む）",
                d.cyber_attack,
            ),
            (
                "encrypted",
                "高度な暗号化等の措置が講じられていた",
                d.encrypted,
            ),
            ("public_sector", "行政機関等に当たる", d.public_sector),
        ],
        people_affected: d.people_affected.map(|n| n.to_string()).unwrap_or_default(),
        care_impact: v(&d.care_impact),
        fields: {
            let mut f: Vec<(&'static str, &'static str, String)> = Vec::new();
            for (name, label, value) in [
                ("summary", "① 概要", v(&d.summary)),
                ("data_items", "② 個人データの項目", v(&d.data_items)),
                ("cause", "④ 原因", v(&d.cause)),
                (
                    "secondary_damage",
                    "⑤ 二次被害又はそのおそれの有無及びその内容",
                    v(&d.secondary_damage),
                ),
                (
                    "subject_response",
                    "⑥ 本人への対応の実施状況",
                    v(&d.subject_response),
                ),
                ("publication", "⑦ 公表の実施状況", v(&d.publication)),
                ("prevention", "⑧ 再発防止のための措置", v(&d.prevention)),
                ("other_notes", "⑨ その他参考となる事項", v(&d.other_notes)),
            ] {
                f.push((name, label, value));
            }
            f
        },
    }
}

#[derive(Template)]
#[template(path = "incident_detail.html")]
struct DetailPage {
    layout: Layout,
    org: i64,
    id: i64,
    status: &'static str,
    discovered: String,
    discovered_day: String,
    closed: String,
    ppc: String,
    ppc_reasons: Vec<String>,
    deadlines: Vec<DeadlineLine>,
    events: Vec<EventLine>,
    notifications: Vec<NotificationLine>,
    v: FormValues,
    statuses: Vec<(&'static str, &'static str)>,
    bodies: Vec<(&'static str, String)>,
    whats: Vec<(&'static str, &'static str)>,
    now: String,
    actor_name: String,
    can_edit: bool,
    errors: Vec<String>,
}

async fn load(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
) -> Result<(Incident, Vec<Event>, Vec<Notification>), AppError> {
    let o = ctx.org.clone();
    state
        .db(move |c| {
            let inc = store::incident(c, &o, id)?.ok_or(AppError::NotFound)?;
            Ok((
                inc,
                store::events(c, &o, id)?,
                store::notifications(c, &o, id)?,
            ))
        })
        .await
}

async fn detail_page(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let (inc, events, notes) = load(state, ctx, id).await?;
    let ppc = ppc_assessment(&kind_of(&inc.data));
    let discovered_day = jiff::Timestamp::from_microsecond(inc.data.discovered_at)
        .map(|t| both(jst_date(t)))
        .unwrap_or_default();
    let mut bodies: Vec<(&'static str, String)> = ReportBody::ALL
        .iter()
        .map(|b| (b.code(), b.label_ja().to_owned()))
        .collect();
    bodies.push(("vendor", "外部委託業者".to_owned()));
    bodies.push(("internal", "組織内".to_owned()));
    bodies.push(("other", "その他".to_owned()));
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&DetailPage {
        layout: Layout::org(state, ctx, &inc.data.title, "nav.incident"),
        org: ctx.org.id.0,
        id,
        status: status_label(&inc.data.status),
        discovered: jst(inc.data.discovered_at),
        discovered_day,
        closed: inc.closed_at.map(jst).unwrap_or_default(),
        ppc: match ppc.obligation {
            Some(o) => o.label_ja().to_owned(),
            None => "不要".to_owned(),
        },
        ppc_reasons: ppc.reasons_ja,
        deadlines: deadline_lines(&inc.data, &notes, today_jst()),
        events: events.iter().map(event_line).collect(),
        notifications: notes.iter().map(notification_line).collect(),
        v: values(&inc.data),
        statuses: statuses(),
        bodies,
        whats: ReportKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        now: local_value(anzen_store::now_us()),
        actor_name: ctx.auth.user.display_name.clone(),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/incidents/{id}`
pub async fn detail(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    detail_page(&state, &ctx, id, Vec::new()).await
}

/// `POST /o/{org}/incident/incidents/{id}`: changes the incident (status, facts, report
/// fields).
pub async fn update(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<IncidentForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse(&f) {
        Ok(d) => d,
        Err(e) => return detail_page(&state, &ctx, id, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let label = status_label(&data.status);
    state
        .tx(move |c| Ok(store::update_incident(c, &o, &actor, id, &data, label)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/incidents/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    body: String,
}

/// `POST /o/{org}/incident/incidents/{id}/events`: adds an action to the timeline.
pub async fn add_event(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<EventForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let mut errors = Vec::new();
    let at = parse_local(&f.at);
    if at.is_none() {
        errors.push(format!(
            "「日時」{} は日時の形で入力してください。",
            f.at.trim()
        ));
    }
    let body = opt(&f.body, 2000);
    if body.is_none() {
        errors.push("「対応の内容」を入力してください。".to_owned());
    }
    let (Some(at), Some(body), true) = (at, body, errors.is_empty()) else {
        return detail_page(&state, &ctx, id, errors).await;
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| Ok(store::add_event(c, &o, &actor, id, at, "action", &body)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/incidents/{id}#timeline")).into_response())
}

#[derive(Deserialize)]
pub struct NotificationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    notified_at: String,
    #[serde(default)]
    by_whom: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    note: String,
}

/// `POST /o/{org}/incident/incidents/{id}/notifications`: records who was notified when.
pub async fn add_notification(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<NotificationForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let mut errors = Vec::new();
    let body = f.body.trim().to_owned();
    if ReportBody::parse(&body).is_none() && !["vendor", "internal", "other"].contains(&&*body) {
        errors.push("「報告・連絡先」を選んでください。".to_owned());
    }
    let what = f.what.trim().to_owned();
    if ReportKind::parse(&what).is_none() {
        errors.push("「種類」を選んでください。".to_owned());
    }
    let at = parse_local(&f.notified_at);
    if at.is_none() {
        errors.push(format!(
            "「日時」{} は日時の形で入力してください。",
            f.notified_at.trim()
        ));
    }
    let by_whom = opt(&f.by_whom, 100);
    if by_whom.is_none() {
        errors.push("「報告者」を入力してください。".to_owned());
    }
    let (Some(at), Some(by_whom), true) = (at, by_whom, errors.is_empty()) else {
        return detail_page(&state, &ctx, id, errors).await;
    };
    let n = Notification {
        id: 0,
        body: body.clone(),
        what: what.clone(),
        notified_at: at,
        by_whom,
        method: opt(&f.method, 100),
        note: opt(&f.note, 1000),
    };
    let text = format!(
        "{}へ{}（{}{}）",
        body_label(&body),
        what_label(&what),
        n.by_whom,
        n.method
            .as_deref()
            .map(|m| format!("、{m}"))
            .unwrap_or_default()
    );
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| Ok(store::add_notification(c, &o, &actor, id, &n, &text)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/incidents/{id}#deadlines")).into_response())
}

#[derive(Template)]
#[template(path = "incident_report.html")]
struct ReportPage {
    layout: Layout,
    org: i64,
    id: i64,
    title: String,
    facility: String,
    address: String,
    sector: &'static str,
    reporter: String,
    reporter_contact: String,
    discovered: String,
    occurred: String,
    category: Vec<String>,
    ppc: String,
    deadlines: Vec<DeadlineLine>,
    fields: Vec<(&'static str, &'static str, String)>,
    care_impact: String,
    status: &'static str,
    events: Vec<EventLine>,
    printed: String,
}

/// `GET /o/{org}/incident/incidents/{id}/report`: the printable drafts — the PPC 漏えい等報告
/// with its nine fields, and the notification to the authorities (厚生労働省) — filled from
/// the register.
pub async fn report(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let (inc, events, notes) = load(&state, &ctx, id).await?;
    let ppc = ppc_assessment(&kind_of(&inc.data));
    let p = &ctx.org.profile;
    render(&ReportPage {
        layout: Layout::org(&state, &ctx, "報告書の下書き", "nav.incident"),
        org,
        id,
        title: inc.data.title.clone(),
        facility: p.name.clone(),
        address: p.address.clone().unwrap_or_default(),
        sector: if inc.data.public_sector {
            "行政機関等"
        } else {
            "民間事業者"
        },
        reporter: p.security_officer.clone().unwrap_or_default(),
        reporter_contact: p.security_officer_contact.clone().unwrap_or_default(),
        discovered: jst(inc.data.discovered_at),
        occurred: inc
            .data
            .occurred_at
            .map(jst)
            .unwrap_or_else(|| "不明（調査中）".to_owned()),
        category: ppc.reasons_ja,
        ppc: match ppc.obligation {
            Some(o) => o.label_ja().to_owned(),
            None => "報告対象外".to_owned(),
        },
        deadlines: deadline_lines(&inc.data, &notes, today_jst()),
        fields: ppc_fields(&inc.data),
        care_impact: inc.data.care_impact.clone().unwrap_or_default(),
        status: status_label(&inc.data.status),
        events: events.iter().map(event_line).collect(),
        printed: jst(anzen_store::now_us()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IncidentForm {
        IncidentForm {
            title: "電子カルテが開けない".into(),
            status: "suspected".into(),
            discovered_at: "2026-11-20T18:30".into(),
            personal_data_leak: Some("1".into()),
            sensitive_data: Some("1".into()),
            malicious: Some("1".into()),
            cyber_attack: Some("1".into()),
            ..IncidentForm::default()
        }
    }

    #[test]
    fn the_form_gives_the_deadlines_from_the_jst_discovery_day() {
        let d = parse(&form()).expect("valid");
        // 2026-11-20 18:30 JST.
        assert_eq!(
            jiff::Timestamp::from_microsecond(d.discovered_at)
                .expect("ts")
                .to_string(),
            "2026-11-20T09:30:00Z"
        );
        let today = jiff::civil::date(2026, 11, 22);
        let lines = deadline_lines(&d, &[], today);
        let prelim = lines
            .iter()
            .find(|l| l.id == "deadline-ppc-preliminary")
            .expect("速報");
        assert!(prelim.due.contains("2026-11-23"), "{}", prelim.due);
        assert!(prelim.due_latest.contains("2026-11-25"));
        assert_eq!(prelim.remaining, "あと3日");
        let fin = lines
            .iter()
            .find(|l| l.id == "deadline-ppc-final")
            .expect("確報");
        assert!(
            fin.due.contains("2027-01-19"),
            "60 days (malicious): {}",
            fin.due
        );
        assert!(lines.iter().any(|l| l.id == "deadline-mhlw-contact"));

        // A done report is no longer counted down; a late one is overdue.
        let done = Notification {
            id: 1,
            body: "ppc".into(),
            what: "preliminary".into(),
            notified_at: d.discovered_at,
            by_whom: "佐藤".into(),
            method: None,
            note: None,
        };
        let late = jiff::civil::date(2026, 11, 27);
        let l2 = deadline_lines(&d, &[done], late);
        let p2 = l2
            .iter()
            .find(|l| l.id == "deadline-ppc-preliminary")
            .expect("速報");
        assert!(!p2.done.is_empty() && !p2.overdue);
        let l3 = deadline_lines(&d, &[], late);
        let p3 = l3
            .iter()
            .find(|l| l.id == "deadline-ppc-preliminary")
            .expect("速報");
        assert!(p3.overdue, "{}", p3.remaining);
        assert_eq!(p3.remaining, "2日超過");
    }

    #[test]
    fn bad_input_is_named() {
        let mut f = form();
        f.discovered_at = "昨日".into();
        f.people_affected = "-3".into();
        f.status = "x".into();
        let e = parse(&f).expect_err("invalid");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().any(|m| m.contains("発覚日時")));
        assert!(e.iter().any(|m| m.contains("本人の数")));
    }

    #[test]
    fn the_report_has_nine_fields_in_order() {
        let d = parse(&form()).expect("valid");
        let f = ppc_fields(&d);
        assert_eq!(f.len(), 9);
        assert_eq!(f.iter().map(|x| x.0).collect::<String>(), "①②③④⑤⑥⑦⑧⑨");
        assert_eq!(f[2].2, "不明（調査中）");
    }
}
