//! 事業継続計画（BCP）— the cyber BCP as a structured plan (critical functions and their
//! priority, 縮退運用 and paper procedures, break-glass accounts and how their use is
//! reviewed, recovery order, data reconciliation, contacts, 初動対応), in versions with
//! approval and review dates; its print view and the one-page 初動対応 card (evidence for
//! 3-(3)).

use anzen_core::calendar::parse_date;
use anzen_core::rules::bcp::{
    BcpPlan, BreakGlassAccount, CriticalFunction, DEFAULT_INITIAL_RESPONSE, review_due,
};
use anzen_core::rules::incident::ContactRole;
use anzen_core::{Action, OrgId};
use anzen_store::continuity::{self as store, BcpVersion};
use anzen_store::findings as findings_store;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{FindingLine, both, finding_lines, opt};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, jst, render, today_jst};
use crate::{AppError, AppState, checks};

fn lines(s: &str) -> Vec<Vec<String>> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split([',', '、', '，', '\t'])
                .map(|x| x.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The BCP form.
#[derive(Deserialize, Default, Clone)]
pub struct BcpForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub critical_functions: String,
    #[serde(default)]
    pub degraded_operation: String,
    #[serde(default)]
    pub paper_procedures: String,
    #[serde(default)]
    pub break_glass: String,
    #[serde(default)]
    pub break_glass_review: String,
    #[serde(default)]
    pub recovery_order: String,
    #[serde(default)]
    pub reconciliation: String,
    #[serde(default)]
    pub contacts_note: String,
    #[serde(default)]
    pub initial_response: String,
    #[serde(default)]
    pub next_review: String,
}

impl BcpForm {
    /// The form showing `p`.
    pub fn of(p: &BcpPlan, next_review: Option<&str>) -> BcpForm {
        BcpForm {
            csrf: String::new(),
            critical_functions: p
                .critical_functions
                .iter()
                .map(|f| format!("{},{},{}", f.name, f.priority, f.target))
                .collect::<Vec<_>>()
                .join("\n"),
            degraded_operation: p.degraded_operation.clone(),
            paper_procedures: p.paper_procedures.clone(),
            break_glass: p
                .break_glass
                .iter()
                .map(|a| format!("{},{},{}", a.system, a.account, a.kept))
                .collect::<Vec<_>>()
                .join("\n"),
            break_glass_review: p.break_glass_review.clone(),
            recovery_order: p.recovery_order.join("\n"),
            reconciliation: p.reconciliation.clone(),
            contacts_note: p.contacts_note.clone(),
            initial_response: p.initial_response.join("\n"),
            next_review: next_review.unwrap_or_default().to_owned(),
        }
    }
}

/// Checks the form (one entry per line, fields separated by commas); Japanese errors name
/// the box and the line.
pub fn parse(f: &BcpForm) -> Result<(BcpPlan, Option<String>), Vec<String>> {
    let mut errors = Vec::new();
    let mut p = BcpPlan::default();
    for (n, l) in lines(&f.critical_functions).into_iter().enumerate() {
        match l.as_slice() {
            [name, prio, rest @ ..] if !name.is_empty() => match prio.parse::<u32>() {
                Ok(priority) if priority >= 1 => p.critical_functions.push(CriticalFunction {
                    name: name.clone(),
                    priority,
                    target: rest.join("、"),
                }),
                _ => errors.push(format!(
                    "「重要業務と優先度」{}行目: 優先度「{prio}」は1以上の数字で入力してください。",
                    n + 1
                )),
            },
            _ => errors.push(format!(
                "「重要業務と優先度」{}行目: 「業務,優先度,目標復旧時間」の形で入力してください。",
                n + 1
            )),
        }
    }
    p.critical_functions.sort_by_key(|f| f.priority);
    for (n, l) in lines(&f.break_glass).into_iter().enumerate() {
        match l.as_slice() {
            [system, account, rest @ ..] if !account.is_empty() => {
                p.break_glass.push(BreakGlassAccount {
                    system: system.clone(),
                    account: account.clone(),
                    kept: rest.join("、"),
                })
            }
            _ => errors.push(format!(
                "「非常用アカウント」{}行目: 「システム,アカウント,保管場所」の形で入力してください。",
                n + 1
            )),
        }
    }
    let text = |s: &str| s.trim().chars().take(20_000).collect::<String>();
    let list = |s: &str| -> Vec<String> {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| l.chars().take(1000).collect())
            .collect()
    };
    p.degraded_operation = text(&f.degraded_operation);
    p.paper_procedures = text(&f.paper_procedures);
    p.break_glass_review = text(&f.break_glass_review);
    p.recovery_order = list(&f.recovery_order);
    p.reconciliation = text(&f.reconciliation);
    p.contacts_note = text(&f.contacts_note);
    p.initial_response = list(&f.initial_response);
    let next_review = match f.next_review.trim() {
        "" => None,
        s => match parse_date(s) {
            Ok(d) => Some(d.to_string()),
            Err(_) => {
                errors.push(format!(
                    "「次回見直し予定日」{s} は日付の形で入力してください。"
                ));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok((p, next_review))
    } else {
        Err(errors)
    }
}

/// A version as listed.
pub struct VersionLine {
    pub version: i64,
    pub status: String,
    pub next_review: String,
    pub updated: String,
    pub by: String,
}

fn plan_of(v: &BcpVersion) -> BcpPlan {
    serde_json::from_str(&v.plan).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "incident_bcp.html")]
struct Page {
    layout: Layout,
    org: i64,
    form: BcpForm,
    editing: String,
    in_force: String,
    versions: Vec<VersionLine>,
    findings: Vec<FindingLine>,
    has_draft: bool,
    approver: String,
    today: String,
    next_year: String,
    can_edit: bool,
    can_approve: bool,
    errors: Vec<String>,
}

async fn page_with(
    state: &AppState,
    ctx: &OrgCtx,
    form: Option<BcpForm>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (versions, open) = state
        .db(move |c| {
            Ok((
                store::bcp_versions(c, &o)?,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let latest = versions.first();
    let approved = versions.iter().find(|v| v.approved_on.is_some());
    let form = form.unwrap_or_else(|| match latest {
        Some(v) => BcpForm::of(&plan_of(v), v.next_review.as_deref()),
        None => BcpForm::of(
            &BcpPlan {
                initial_response: DEFAULT_INITIAL_RESPONSE
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                ..BcpPlan::default()
            },
            None,
        ),
    });
    let editing = match latest {
        Some(v) if v.approved_on.is_none() => {
            format!("第{}版（下書き）を編集しています。", v.version)
        }
        Some(v) => format!(
            "第{}版は承認済みです。保存すると第{}版の下書きになります。",
            v.version,
            v.version + 1
        ),
        None => {
            "まだ計画がありません。初動対応の手順はひな形です。保存すると第1版の下書きになります。"
                .to_owned()
        }
    };
    let in_force = match approved {
        Some(v) => {
            let status = checks::bcp_status(std::slice::from_ref(v)).ok().flatten();
            format!(
                "第{}版（{} 承認、{}、次回見直し {}）",
                v.version,
                v.approved_on.clone().unwrap_or_default(),
                v.approved_by.clone().unwrap_or_default(),
                status
                    .as_ref()
                    .and_then(review_due)
                    .map_or_else(|| "未定".to_owned(), both)
            )
        }
        None => "承認済みの計画はありません".to_owned(),
    };
    let today = today_jst();
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&Page {
        layout: Layout::org(state, ctx, "事業継続計画（BCP）", "nav.incident"),
        org: ctx.org.id.0,
        form,
        editing,
        in_force,
        versions: versions
            .iter()
            .map(|v| VersionLine {
                version: v.version,
                status: match &v.approved_on {
                    Some(d) => format!("{d} 承認（{}）", v.approved_by.clone().unwrap_or_default()),
                    None => "下書き".to_owned(),
                },
                next_review: v.next_review.clone().unwrap_or_default(),
                updated: jst(v.updated_at),
                by: v.created_by.clone(),
            })
            .collect(),
        findings: finding_lines(&open, "bcp."),
        has_draft: latest.is_some_and(|v| v.approved_on.is_none()),
        approver: ctx.auth.user.display_name.clone(),
        today: today.to_string(),
        next_year: today.saturating_add(jiff::Span::new().years(1)).to_string(),
        can_edit: ctx.role.can(Action::EditRecords),
        can_approve: ctx.role.can(Action::EditOrgProfile),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/bcp`
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    page_with(&state, &ctx, None, Vec::new()).await
}

/// `POST /o/{org}/incident/bcp`: saves the draft (or starts the next version).
pub async fn save(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<BcpForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (plan, next_review) = match parse(&f) {
        Ok(x) => x,
        Err(e) => return page_with(&state, &ctx, Some(f), e).await,
    };
    let json =
        serde_json::to_string(&plan).map_err(|e| AppError::Internal(format!("bcp plan: {e}")))?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::save_bcp(c, &o, &actor, &json, next_review.as_deref())?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/bcp")).into_response())
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    approved_by: String,
    #[serde(default)]
    approved_on: String,
    #[serde(default)]
    next_review: String,
}

/// `POST /o/{org}/incident/bcp/approve`: approves the draft (管理者・安全管理責任者).
pub async fn approve(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<ApproveForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let mut errors = Vec::new();
    let by = opt(&f.approved_by, 100);
    if by.is_none() {
        errors.push("「承認者」を入力してください。".to_owned());
    }
    let on = parse_date(&f.approved_on)
        .ok()
        .filter(|d| *d <= today_jst());
    if on.is_none() {
        errors.push(format!(
            "「承認日」{} は今日までの日付で入力してください。",
            f.approved_on.trim()
        ));
    }
    let next = match f.next_review.trim() {
        "" => None,
        s => match parse_date(s) {
            Ok(d) if on.is_none_or(|o| d > o) => Some(d.to_string()),
            _ => {
                errors.push(format!(
                    "「次回見直し予定日」{s} は承認日より後の日付で入力してください。"
                ));
                None
            }
        },
    };
    let (Some(by), Some(on), true) = (by, on, errors.is_empty()) else {
        return page_with(&state, &ctx, None, errors).await;
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let res = state
        .tx(move |c| {
            store::approve_bcp(c, &o, &actor, &by, &on.to_string(), next.as_deref())?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await;
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/o/{org}/incident/bcp")).into_response()),
        Err(AppError::BadRequest(m)) => page_with(&state, &ctx, None, vec![m]).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "incident_bcp_print.html")]
struct PrintPage {
    layout: Layout,
    org: i64,
    facility: String,
    heading: String,
    plan: BcpPlan,
    printed: String,
}

/// The version to print: the one in force (latest approved), else the latest draft.
fn in_force(versions: &[BcpVersion]) -> Option<&BcpVersion> {
    versions
        .iter()
        .find(|v| v.approved_on.is_some())
        .or(versions.first())
}

fn heading(v: Option<&BcpVersion>) -> String {
    match v {
        Some(v) => match &v.approved_on {
            Some(d) => format!(
                "第{}版 ／ 承認 {d}（{}）／ 次回見直し {}",
                v.version,
                v.approved_by.clone().unwrap_or_default(),
                v.next_review.clone().unwrap_or_else(|| "未定".to_owned())
            ),
            None => format!("第{}版（未承認の下書き）", v.version),
        },
        None => "計画が登録されていません".to_owned(),
    }
}

/// `GET /o/{org}/incident/bcp/print`: the plan in force on A4.
pub async fn print(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let versions = state.db(move |c| Ok(store::bcp_versions(c, &o)?)).await?;
    let v = in_force(&versions);
    render(&PrintPage {
        layout: Layout::org(&state, &ctx, "事業継続計画（印刷）", "nav.incident"),
        org,
        facility: ctx.org.profile.name.clone(),
        heading: heading(v),
        plan: v.map(plan_of).unwrap_or_default(),
        printed: jst(anzen_store::now_us()),
    })
}

/// A contact on the card.
pub struct CardContact {
    pub role: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "incident_card.html")]
struct CardPage {
    layout: Layout,
    org: i64,
    facility: String,
    heading: String,
    steps: Vec<String>,
    contacts: Vec<CardContact>,
    plan: BcpPlan,
    printed: String,
}

/// `GET /o/{org}/incident/card`: the one-page 初動対応 card — the steps, whom to call in
/// order, where the break-glass accounts are, how care continues, and the report periods.
pub async fn card(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (versions, contacts) = state
        .db(move |c| {
            Ok((
                store::bcp_versions(c, &o)?,
                anzen_store::incident::contacts(c, &o)?,
            ))
        })
        .await?;
    let v = in_force(&versions);
    let plan = v.map(plan_of).unwrap_or_default();
    let steps = if plan.initial_response.is_empty() {
        DEFAULT_INITIAL_RESPONSE
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        plan.initial_response.clone()
    };
    // Internal roles first (in escalation order), then vendors, then the bodies.
    let mut cards: Vec<(u8, i64, CardContact)> = contacts
        .iter()
        .filter_map(|c| {
            let role = ContactRole::from_code(&c.data.role)?;
            let rank = if role.is_internal() {
                0
            } else if matches!(role, ContactRole::Vendor(_) | ContactRole::Other(_)) {
                1
            } else {
                2
            };
            Some((
                rank,
                c.data.escalation_order.unwrap_or(i64::MAX),
                CardContact {
                    role: role.label_ja(),
                    name: c.data.name.clone(),
                    phone: c.data.phone.clone().unwrap_or_default(),
                    email: c.data.email.clone().unwrap_or_default(),
                    hours: c.data.hours.clone().unwrap_or_default(),
                },
            ))
        })
        .collect();
    cards.sort_by_key(|(rank, order, _)| (*rank, *order));
    render(&CardPage {
        layout: Layout::org(&state, &ctx, "初動対応カード", "nav.incident"),
        org,
        facility: ctx.org.profile.name.clone(),
        heading: heading(v),
        steps,
        contacts: cards.into_iter().map(|(_, _, c)| c).collect(),
        plan,
        printed: jst(anzen_store::now_us()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_names_bad_lines() {
        let f = BcpForm {
            critical_functions: "外来診療,1,当日中\n処方,2,4時間\n".into(),
            break_glass: "電子カルテ,emergency01,金庫（院長管理）".into(),
            recovery_order: "電子カルテ\n\nレセコン".into(),
            initial_response: "LAN を抜く\nCSIRT に連絡".into(),
            next_review: "R9.4.1".into(),
            ..BcpForm::default()
        };
        let (p, next) = parse(&f).expect("valid");
        assert_eq!(p.critical_functions.len(), 2);
        assert_eq!(p.critical_functions[1].target, "4時間");
        assert_eq!(p.recovery_order, vec!["電子カルテ", "レセコン"]);
        assert_eq!(next.as_deref(), Some("2027-04-01"));
        let back = BcpForm::of(&p, next.as_deref());
        assert_eq!(parse(&back).expect("again").0, p);

        let bad = BcpForm {
            critical_functions: "外来診療,最優先".into(),
            break_glass: "電子カルテ".into(),
            next_review: "いつか".into(),
            ..BcpForm::default()
        };
        let e = parse(&bad).expect_err("invalid");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("1行目"));
    }
}
