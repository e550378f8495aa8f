//! The user's own account: password change (guideline rules, no reuse), language, and
//! personal access tokens for the API (shown once, stored hashed).

use anzen_core::password::PasswordContext;
use anzen_core::{Action, OrgId};
use anzen_store::{audit, orgs, tokens, users};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, jst, render};
use crate::auth as creds;
use crate::ctx::{AnySession, Authed};
use crate::{AppError, AppState};

pub struct TokenRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub scopes: String,
    pub expires: String,
    pub state: &'static str,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    orgs: Vec<(i64, String, bool)>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    recovery_left: i64,
    passkeys: Vec<crate::webauthn::PasskeyRow>,
    /// Why passkeys cannot be registered from this address, if they cannot.
    passkey_unavailable: Option<&'static str>,
}

pub(crate) async fn account_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &AnySession,
    new_token: Option<String>,
) -> Result<Response, AppError> {
    let uid = s.user.id;
    let (ms, toks, recovery_left) = state
        .db(move |c| {
            let ms = orgs::memberships_of(c, uid)?;
            let mut toks = Vec::new();
            for m in &ms {
                for t in tokens::list_for_user(c, uid, m.org.id)? {
                    toks.push((m.org.profile.name.clone(), t));
                }
            }
            Ok((ms, toks, users::unused_recovery_codes(c, uid)?))
        })
        .await?;
    let now = anzen_store::now_us();
    let passkeys = crate::webauthn::rows(state, uid).await?;
    let passkey_unavailable = crate::webauthn::relying_party(&state.config, headers)
        .err()
        .map(|_| crate::webauthn::unavailable_message());
    render(&AccountPage {
        layout: Layout::user(state, s, s.t.s("account.title")),
        email: s.user.email.clone(),
        orgs: ms
            .iter()
            .map(|m| {
                (
                    m.org.id.0,
                    m.org.profile.name.clone(),
                    m.role.can(Action::UseApi),
                )
            })
            .collect(),
        tokens: toks
            .into_iter()
            .map(|(org_name, t)| TokenRow {
                id: t.id,
                org_id: t.org_id.0,
                org_name,
                name: t.name,
                scopes: t.scopes.join(" "),
                expires: jst(t.expires_at),
                state: if t.revoked_at.is_some() {
                    "失効"
                } else if t.expires_at <= now {
                    "期限切れ"
                } else {
                    "有効"
                },
                last_used: t.last_used_at.map(jst).unwrap_or_else(|| "-".into()),
            })
            .collect(),
        new_token,
        recovery_left,
        passkeys,
        passkey_unavailable,
    })
}

pub async fn page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    auth: Authed,
) -> Result<Response, AppError> {
    account_page(&state, &headers, &auth.0, None).await
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    errors: Vec<String>,
    min_len: usize,
}

pub async fn password_page(
    State(state): State<AppState>,
    auth: Authed,
) -> Result<Response, AppError> {
    let s = auth.0;
    render(&PasswordPage {
        layout: Layout::user(&state, &s, s.t.s("account.password")),
        forced: s.user.must_change_password,
        errors: Vec::new(),
        min_len: state.config.password_policy.min_len(true),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    auth: Authed,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let s = auth.0;
    s.check_csrf(&form.csrf)?;
    let policy = state.config.password_policy.clone();
    let user = s.user.clone();
    let lang = s.t.0;
    let history = state
        .db(move |c| {
            Ok(users::recent_password_hashes(
                c,
                user.id,
                policy.reuse_history,
            )?)
        })
        .await?;
    // Argon2 (up to reuse_history + 2 times) and zxcvbn are CPU work: keep them off the
    // async workers.
    let result = tokio::task::spawn_blocking(move || -> Result<(String, Vec<String>), AppError> {
        let mut errors = Vec::new();
        if !creds::verify_password(&form.current, &user.password_hash) {
            errors.push("現在のパスワードが正しくありません。".to_owned());
        }
        if form.new != form.confirm {
            errors.push("新しいパスワードと確認用の入力が一致しません。".to_owned());
        }
        let local = user.email.split('@').next().unwrap_or_default().to_owned();
        let ctx = PasswordContext {
            // Every anzen account signs in with a second factor.
            mfa_enabled: true,
            user_inputs: vec![user.email.clone(), local, user.display_name.clone()],
        };
        if let Err(problems) = policy.check(&form.new, &ctx) {
            errors.extend(problems.iter().map(|p| match lang {
                crate::i18n::Lang::Ja => p.message_ja(),
                crate::i18n::Lang::En => p.message_en(),
            }));
        }
        if history.iter().any(|h| creds::verify_password(&form.new, h)) {
            errors.push(format!(
                "最近使用した{}個のパスワードは再利用できません。",
                policy.reuse_history
            ));
        }
        if errors.is_empty() {
            Ok((creds::hash_password(&form.new)?, Vec::new()))
        } else {
            Ok((String::new(), errors))
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let (hash, errors) = result;
    if !errors.is_empty() {
        return render(&PasswordPage {
            layout: Layout::user(&state, &s, s.t.s("account.password")),
            forced: s.user.must_change_password,
            errors,
            min_len: state.config.password_policy.min_len(true),
        })
        .map(|r| (axum::http::StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
    }
    let user = s.user.clone();
    state
        .tx(move |c| {
            users::set_password(c, user.id, &hash, false)?;
            for m in orgs::memberships_of(c, user.id)? {
                audit::record(
                    c,
                    &m.org,
                    &user.email,
                    "auth.password_changed",
                    &serde_json::json!({}),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    write: Option<String>,
    days: i64,
}

pub async fn create_token(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    auth: Authed,
    Path(org): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::UseApi)?;
    if !(1..=366).contains(&form.days) {
        return Err(AppError::BadRequest(
            "有効期間は1〜366日で指定してください。".into(),
        ));
    }
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::BadRequest(
            "トークンの名前を入力してください。".into(),
        ));
    }
    let mut scopes = vec!["read"];
    if form.write.is_some() && ctx.role.can(Action::EditRecords) {
        scopes.push("write");
    }
    let expires = anzen_store::now_us() + form.days * 86_400_000_000;
    let (uid, org_rec, actor) = (ctx.auth.user.id, ctx.org.clone(), ctx.actor());
    let secret = state
        .tx(move |c| {
            let (t, secret) = tokens::create(c, uid, org_rec.id, &name, &scopes, expires)?;
            audit::record(c, &org_rec, &actor, "token.create", &serde_json::json!({ "id": t.id, "name": t.name, "scopes": t.scopes, "expires_at": t.expires_at }))?;
            Ok(secret)
        })
        .await?;
    account_page(&state, &headers, &ctx.auth, Some(secret)).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    let (uid, org_rec, actor) = (ctx.auth.user.id, ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            if !tokens::revoke(c, uid, org_rec.id, id)? {
                return Err(AppError::NotFound);
            }
            audit::record(
                c,
                &org_rec,
                &actor,
                "token.revoke",
                &serde_json::json!({ "id": id }),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/account").into_response())
}
