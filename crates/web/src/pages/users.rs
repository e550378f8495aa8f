//! 利用者管理 — administrators add people to the facility, set roles, reset passwords and
//! second factors, and remove access. Temporary passwords are shown once and must be
//! changed at the next sign-in.

use anzen_core::{Action, OrgId, Role, UserId};
use anzen_store::{audit, orgs, sessions, users};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Layout, render};
use crate::auth as creds;
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState};

pub struct MemberRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub mfa: bool,
    pub locked: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    org: i64,
    members: Vec<MemberRow>,
    roles: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    temp_password: Option<(String, String)>,
    errors: Vec<String>,
}

async fn page(
    state: &AppState,
    ctx: &OrgCtx,
    message: Option<String>,
    temp_password: Option<(String, String)>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let org_id = ctx.org.id;
    let me = ctx.auth.user.id;
    let members = state
        .db(move |c| {
            let now = anzen_store::now_us();
            let mut out = Vec::new();
            for (uid, email, name, role) in orgs::members(c, org_id)? {
                let u = users::get(c, uid)?;
                out.push(MemberRow {
                    id: uid.0,
                    email,
                    name,
                    role,
                    mfa: u.as_ref().is_some_and(|u| u.totp_secret.is_some()),
                    locked: u.as_ref().is_some_and(|u| u.is_locked(now)),
                    is_self: uid == me,
                });
            }
            Ok(out)
        })
        .await?;
    let t = ctx.auth.t;
    render(&UsersPage {
        layout: Layout::org(state, ctx, t.s("users.title"), "nav.users"),
        org: org_id.0,
        members,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label_ja())).collect(),
        message,
        temp_password,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ManageUsers)?;
    page(&state, &ctx, None, None, Vec::new()).await
}

/// A random temporary password that satisfies the policy (letters, digits, symbols, 16).
fn temporary_password() -> String {
    let hex = anzen_store::random_hex(8);
    format!("Tmp-{}-{}!9", &hex[..8], &hex[8..])
        .to_uppercase()
        .replacen("TMP", "Tmp", 1)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    email: String,
    name: String,
    role: String,
}

#[derive(Serialize)]
struct MemberEvent<'a> {
    email: &'a str,
    role: Option<&'a str>,
    previous_role: Option<&'a str>,
}

pub async fn add(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::ManageUsers)?;
    let mut errors = Vec::new();
    let email = users::normalize_email(&form.email);
    if !email.contains('@') || email.len() < 3 {
        errors.push(format!(
            "メールアドレス「{}」の形式が正しくありません。",
            form.email
        ));
    }
    if form.name.trim().is_empty() {
        errors.push("氏名を入力してください。".into());
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.push(format!("役割「{}」は選択肢にありません。", form.role));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return page(&state, &ctx, None, None, errors).await;
    };
    let temp = temporary_password();
    let hash = creds::hash_password_off_thread(temp.clone()).await?;
    let (org_rec, actor, name) = (ctx.org.clone(), ctx.actor(), form.name.trim().to_owned());
    let e2 = email.clone();
    let created = state
        .tx(move |c| {
            let (uid, created) = match users::get_by_email(c, &e2)? {
                Some(u) => (u.id, false),
                None => {
                    let u = users::create(c, &e2, &name, &hash)?;
                    users::set_password(c, u.id, &hash, true)?;
                    (u.id, true)
                }
            };
            orgs::add_member(c, org_rec.id, uid, role)?;
            audit::record(
                c,
                &org_rec,
                &actor,
                "user.add",
                &MemberEvent {
                    email: &e2,
                    role: Some(role.code()),
                    previous_role: None,
                },
            )?;
            Ok(created)
        })
        .await?;
    if created {
        page(
            &state,
            &ctx,
            Some(format!("{email} を追加しました。")),
            Some((email, temp)),
            Vec::new(),
        )
        .await
    } else {
        page(
            &state,
            &ctx,
            Some(format!(
                "既存の利用者 {email} をこの施設に追加しました（パスワードは変わりません）。"
            )),
            None,
            Vec::new(),
        )
        .await
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    role: String,
}

/// The checks every action on another member starts with: membership of the
/// organisation, CSRF, permission to manage users, then the target member — refusing users
/// of other organisations (404) and oneself. Returns (context, user, e-mail, current role).
async fn target(
    state: &AppState,
    auth: Authed,
    org: i64,
    user: i64,
    csrf: &str,
) -> Result<(OrgCtx, UserId, String, Role), AppError> {
    let ctx = auth.in_org(state, OrgId(org)).await?;
    ctx.auth.check_csrf(csrf)?;
    ctx.require(Action::ManageUsers)?;
    let (org_id, uid) = (ctx.org.id, UserId(user));
    if uid == ctx.auth.user.id {
        return Err(AppError::BadRequest(
            "自分自身の役割・パスワード・所属はここでは変更できません。".into(),
        ));
    }
    state
        .db(move |c| {
            let role = orgs::role_of(c, uid, org_id)?.ok_or(AppError::NotFound)?;
            let u = users::get(c, uid)?.ok_or(AppError::NotFound)?;
            Ok((u.email, role))
        })
        .await
        .map(|(email, role)| (ctx, uid, email, role))
}

pub async fn set_role(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, user)): Path<(i64, i64)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let (ctx, uid, email, prev) = target(&state, auth, org, user, &form.csrf).await?;
    let role = Role::parse(&form.role).ok_or_else(|| {
        AppError::BadRequest(format!("役割「{}」は選択肢にありません。", form.role))
    })?;
    let (org_rec, actor, e2) = (ctx.org.clone(), ctx.actor(), email.clone());
    state
        .tx(move |c| {
            orgs::add_member(c, org_rec.id, uid, role)?;
            audit::record(
                c,
                &org_rec,
                &actor,
                "user.role",
                &MemberEvent {
                    email: &e2,
                    role: Some(role.code()),
                    previous_role: Some(prev.code()),
                },
            )?;
            Ok(())
        })
        .await?;
    page(
        &state,
        &ctx,
        Some(format!(
            "{email} の役割を「{}」にしました。",
            role.label_ja()
        )),
        None,
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reset_mfa: Option<String>,
}

/// 管理者によるパスワードリセット: a new temporary password, sessions ended, optionally the
/// second factor cleared so the user enrols again.
pub async fn reset(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, user)): Path<(i64, i64)>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let (ctx, uid, email, _) = target(&state, auth, org, user, &form.csrf).await?;
    let temp = temporary_password();
    let hash = creds::hash_password_off_thread(temp.clone()).await?;
    let reset_mfa = form.reset_mfa.is_some();
    let (org_rec, actor, e2) = (ctx.org.clone(), ctx.actor(), email.clone());
    state
        .tx(move |c| {
            users::set_password(c, uid, &hash, true)?;
            if reset_mfa {
                users::set_totp(c, uid, None)?;
                users::replace_recovery_codes(c, uid, &[])?;
                // Every second factor goes: passkeys too.
                anzen_store::webauthn::delete_for_user(c, uid)?;
            }
            sessions::delete_for_user(c, uid)?;
            audit::record(
                c,
                &org_rec,
                &actor,
                "user.reset",
                &serde_json::json!({ "email": e2, "reset_mfa": reset_mfa }),
            )?;
            Ok(())
        })
        .await?;
    page(
        &state,
        &ctx,
        Some(format!("{email} のパスワードをリセットしました。")),
        Some((email, temp)),
        Vec::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn remove(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, user)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    let (ctx, uid, email, prev) = target(&state, auth, org, user, &form.csrf).await?;
    let (org_rec, actor, e2) = (ctx.org.clone(), ctx.actor(), email.clone());
    state
        .tx(move |c| {
            orgs::remove_member(c, org_rec.id, uid)?;
            audit::record(
                c,
                &org_rec,
                &actor,
                "user.remove",
                &MemberEvent {
                    email: &e2,
                    role: None,
                    previous_role: Some(prev.code()),
                },
            )?;
            Ok(())
        })
        .await?;
    page(
        &state,
        &ctx,
        Some(format!("{email} をこの施設から外しました。")),
        None,
        Vec::new(),
    )
    .await
}
