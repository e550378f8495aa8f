//! The facility: choosing one, its dashboard (current 年度, what needs attention) and its
//! profile (including the 医療情報システム安全管理責任者 of checklist 1-(1)).

use anzen_core::calendar::{FiscalYear, wareki};
use anzen_core::finding::Severity;
use anzen_core::{Action, OrgId, OrgKind, Role};
use anzen_store::findings as findings_store;
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{ledger, users};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, render, today_jst};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState};

/// `/`: straight to the only (or last used) facility, or the chooser.
pub async fn home(State(state): State<AppState>, auth: Authed) -> Result<Response, AppError> {
    let user = auth.0.user.id;
    let last = auth.0.session.org_id;
    let ms = state
        .db(move |c| Ok(orgs::memberships_of(c, user)?))
        .await?;
    let target = match (ms.len(), last) {
        (0, _) => None,
        (1, _) => Some(ms[0].org.id),
        (_, Some(o)) if ms.iter().any(|m| m.org.id == o) => Some(o),
        _ => None,
    };
    Ok(match target {
        Some(o) => Redirect::to(&format!("/o/{}/", o.0)).into_response(),
        None => Redirect::to("/orgs").into_response(),
    })
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct ChoosePage {
    layout: Layout,
    orgs: Vec<(i64, String, &'static str, &'static str)>,
}

pub async fn choose(State(state): State<AppState>, auth: Authed) -> Result<Response, AppError> {
    let user = auth.0.user.id;
    let ms = state
        .db(move |c| Ok(orgs::memberships_of(c, user)?))
        .await?;
    let t = auth.0.t;
    render(&ChoosePage {
        layout: Layout::user(&state, &auth.0, t.s("nav.orgs")),
        orgs: ms
            .into_iter()
            .map(|m| {
                (
                    m.org.id.0,
                    m.org.profile.name,
                    m.org.profile.kind.label_ja(),
                    m.role.label_ja(),
                )
            })
            .collect(),
    })
}

/// Something the dashboard asks the user to look at.
pub struct Attention {
    pub message: String,
    pub checklist: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    org_name: String,
    kind: &'static str,
    role: &'static str,
    fy_label: String,
    fy_range: String,
    days_left: i64,
    today: String,
    officer: Option<String>,
    attention: Vec<Attention>,
    ledger_size: u64,
    checkpoint: Option<String>,
    can_audit: bool,
    /// Shows the link to the 立入検査 pack.
    can_export: bool,
    /// 年度 PDCA tasks overdue or due within 30 days.
    reminders: Vec<super::governance::TaskLine>,
    org: i64,
}

pub async fn dashboard(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ViewOrg)?;
    if ctx.role == Role::Vendor {
        // Vendors see only what is shared with them; the shared area is not built yet.
        let t = ctx.auth.t;
        return render(&DashboardPage {
            layout: Layout::org(&state, &ctx, t.s("dash.title"), "nav.dashboard"),
            org_name: ctx.org.profile.name.clone(),
            kind: ctx.org.profile.kind.label_ja(),
            role: ctx.role.label_ja(),
            fy_label: String::new(),
            fy_range: String::new(),
            days_left: 0,
            today: String::new(),
            officer: None,
            attention: Vec::new(),
            ledger_size: 0,
            checkpoint: None,
            can_audit: false,
            can_export: false,
            reminders: Vec::new(),
            org,
        });
    }
    let today = today_jst();
    let fy = FiscalYear::of(today);
    let days_left = (fy.end() - today).get_days() as i64;
    let org_id = ctx.org.id;
    let o = ctx.org.clone();
    let (members_without_mfa, ledger_size, checkpoint, open_findings, reminders) = state
        .db(move |c| {
            let members = orgs::members(c, org_id)?;
            let mut without = Vec::new();
            for (uid, email, _, _) in members {
                if users::get(c, uid)?.is_some_and(|u| u.totp_secret.is_none()) {
                    without.push(email);
                }
            }
            Ok((
                without,
                ledger::size(c, org_id)?,
                ledger::latest_checkpoint(c, org_id)?,
                findings_store::list(c, &o, true)?,
                super::governance::dashboard_reminders(c, &o, today)?,
            ))
        })
        .await?;
    let base = format!("/o/{org}");

    let mut attention = Vec::new();
    let p = &ctx.org.profile;
    if p.security_officer
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        attention.push(Attention {
            message:
                "医療情報システム安全管理責任者が設定されていません。施設情報で設定してください。"
                    .into(),
            checklist: "1-(1)".into(),
            href: format!("{base}/profile"),
        });
    }
    // The worst open findings first (最優先 and 高), then a link to the rest.
    let urgent: Vec<_> = open_findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Critical | Severity::High))
        .collect();
    for f in urgent.iter().take(5) {
        attention.push(Attention {
            message: format!(
                "【{}】{}{}",
                f.severity.label_ja(),
                f.title,
                f.due_hint
                    .as_deref()
                    .map(|d| format!("（KEV 対応期限 {d}）"))
                    .unwrap_or_default()
            ),
            checklist: f.checklist.first().cloned().unwrap_or_default(),
            href: format!("{base}/findings#finding-{}", f.id),
        });
    }
    if open_findings.len() > urgent.len().min(5) {
        attention.push(Attention {
            message: format!(
                "未解消の指摘事項が全部で{}件あります。",
                open_findings.len()
            ),
            checklist: String::new(),
            href: format!("{base}/findings"),
        });
    }
    if !members_without_mfa.is_empty() {
        attention.push(Attention {
            message: format!(
                "二要素認証をまだ設定していない利用者がいます（{}名: {}）。次回ログイン時に設定が求められます。",
                members_without_mfa.len(),
                members_without_mfa.join("、")
            ),
            checklist: "2-(4)".into(),
            href: format!("{base}/users"),
        });
    }
    if days_left <= 60 {
        attention.push(Attention {
            message: format!(
                "{}の終わりまであと{}日です。年度のチェックリストを完了してください。",
                fy.label_ja(),
                days_left
            ),
            checklist: String::new(),
            href: base.clone(),
        });
    }
    let t = ctx.auth.t;
    render(&DashboardPage {
        layout: Layout::org(&state, &ctx, t.s("dash.title"), "nav.dashboard"),
        org_name: p.name.clone(),
        kind: p.kind.label_ja(),
        role: ctx.role.label_ja(),
        fy_label: fy.label_both(),
        fy_range: format!("{} 〜 {}", wareki(fy.start()), wareki(fy.end())),
        days_left,
        today: format!("{}（{}）", wareki(today), today),
        officer: p.security_officer.clone().filter(|s| !s.trim().is_empty()),
        attention,
        ledger_size,
        checkpoint,
        can_audit: ctx.role.can(Action::ReadAudit),
        can_export: ctx.role.can(Action::Export),
        reminders,
        org,
    })
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    p: OrgProfile,
    kinds: Vec<(&'static str, &'static str)>,
    prefectures: &'static [&'static str],
    can_edit: bool,
    errors: Vec<String>,
}

impl ProfilePage {
    fn beds(&self) -> String {
        self.p.beds.map(|b| b.to_string()).unwrap_or_default()
    }
    fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

fn profile_page_for(
    state: &AppState,
    ctx: &OrgCtx,
    p: OrgProfile,
    errors: Vec<String>,
    saved: bool,
) -> Result<Response, AppError> {
    let t = ctx.auth.t;
    let mut layout = Layout::org(state, ctx, t.s("profile.title"), "nav.profile");
    if saved {
        layout.flash = Some(t.s("common.saved").to_owned());
    }
    render(&ProfilePage {
        layout,
        p,
        kinds: OrgKind::ALL
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        prefectures: &anzen_core::org::PREFECTURES,
        can_edit: ctx.role.can(Action::EditOrgProfile),
        errors,
    })
}

pub async fn profile_page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let p = ctx.org.profile.clone();
    profile_page_for(&state, &ctx, p, Vec::new(), false)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    beds: String,
    #[serde(default)]
    prefecture: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    security_officer: String,
    #[serde(default)]
    security_officer_contact: String,
    #[serde(default)]
    ciso: String,
    #[serde(default)]
    csirt: String,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Validates the form into a profile, with Japanese messages naming the field.
pub fn parse_profile(f: &ProfileForm) -> Result<OrgProfile, Vec<String>> {
    let mut errors = Vec::new();
    let kind = OrgKind::parse(&f.kind);
    if kind.is_none() {
        errors.push(format!("施設種別「{}」は選択肢にありません。", f.kind));
    }
    if f.name.trim().is_empty() {
        errors.push("施設名を入力してください。".into());
    }
    let beds = match f.beds.trim() {
        "" => None,
        b => match b.parse::<i64>() {
            Ok(n) if (0..=10_000).contains(&n) => Some(n),
            _ => {
                errors.push(format!(
                    "許可病床数「{b}」は0以上の整数で入力してください。"
                ));
                None
            }
        },
    };
    let prefecture = non_empty(&f.prefecture);
    if let Some(p) = &prefecture
        && !anzen_core::org::PREFECTURES.contains(&p.as_str())
    {
        errors.push(format!("都道府県「{p}」は選択肢にありません。"));
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(OrgProfile {
            name: f.name.trim().to_owned(),
            kind,
            beds,
            prefecture,
            address: non_empty(&f.address),
            security_officer: non_empty(&f.security_officer),
            security_officer_contact: non_empty(&f.security_officer_contact),
            ciso: non_empty(&f.ciso),
            csirt: non_empty(&f.csirt),
        }),
        _ => Err(errors),
    }
}

pub async fn save_profile(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let profile = match parse_profile(&form) {
        Ok(p) => p,
        Err(errors) => {
            let mut shown = ctx.org.profile.clone();
            shown.name = form.name.clone();
            return profile_page_for(&state, &ctx, shown, errors, false)
                .map(|r| (axum::http::StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
    };
    let (before, actor, new) = (ctx.org.clone(), ctx.actor(), profile.clone());
    state
        .tx(move |c| Ok(orgs::update_audited(c, &before, &actor, &new)?))
        .await?;
    profile_page_for(&state, &ctx, profile, Vec::new(), true)
}
