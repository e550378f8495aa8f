//! Sign-in: password, then the second factor (TOTP, or enrolment on first sign-in), the
//! screen lock, sign-out and the language switch. Every sign-in and failed sign-in is
//! recorded in the audit ledger of each organisation the user belongs to.

use std::sync::atomic::Ordering;

use anzen_store::orgs;
use anzen_store::sessions;
use anzen_store::users::{self, User};
use anzen_store::{Conn, StoreError, audit};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{Layout, render};
use crate::auth::{self as creds};
use crate::ctx::{self, AnySession, ClientIp, Language};
use crate::i18n::T;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
    email: String,
}

pub async fn login_page(Language(t): Language) -> Result<Response, AppError> {
    render(&LoginPage {
        layout: Layout::bare(t, t.s("login.title")),
        error: None,
        email: String::new(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// Appends an auth event to the ledger of every organisation the user belongs to.
pub(crate) fn record_for_user<P: Serialize>(
    c: &mut Conn,
    user: &User,
    kind: &str,
    payload: &P,
) -> Result<(), StoreError> {
    for m in orgs::memberships_of(c, user.id)? {
        audit::record(c, &m.org, &user.email, kind, payload)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct AuthEvent<'a> {
    ip: Option<String>,
    reason: &'a str,
}

/// Password step. Unknown users cost one hash too; failures count towards the lockout;
/// the same message is shown whatever failed.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Language(t): Language,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let failed = |t: T, email: String| {
        render(&LoginPage {
            layout: Layout::bare(t, t.s("login.title")),
            error: Some(t.s("login.failed").to_owned()),
            email,
        })
        .map(|r| (axum::http::StatusCode::UNAUTHORIZED, r).into_response())
    };
    if !state.limiter.allow(ip) {
        state.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(AppError::TooManyRequests);
    }
    let email = form.email.clone();
    let user = state
        .db(move |c| Ok(users::get_by_email(c, &email)?))
        .await?;
    let Some(user) = user else {
        let pw = form.password.clone();
        tokio::task::spawn_blocking(move || creds::verify_against_dummy(&pw))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        tracing::info!(email = %form.email, "sign-in failed: unknown user");
        return failed(t, form.email);
    };
    let (pw, hash) = (form.password.clone(), user.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || creds::verify_password(&pw, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let locked = user.is_locked(anzen_store::now_us());
    let ip_s = ip.map(|i| i.to_string());
    if !ok || locked || user.disabled {
        state.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
        let (threshold, lock_for) = state.config.lockout();
        let reason = if locked {
            "locked"
        } else if user.disabled {
            "disabled"
        } else {
            "password"
        };
        state
            .tx(move |c| {
                if !ok {
                    users::record_failed_login(c, user.id, threshold, lock_for)?;
                }
                record_for_user(
                    c,
                    &user,
                    "auth.login_failed",
                    &AuthEvent { ip: ip_s, reason },
                )?;
                Ok(())
            })
            .await?;
        return failed(t, form.email);
    }
    state.metrics.logins_ok.fetch_add(1, Ordering::Relaxed);
    let sid = state
        .tx(move |c| {
            let first_org = orgs::memberships_of(c, user.id)?.first().map(|m| m.org.id);
            let sid = sessions::create(c, user.id, first_org)?;
            record_for_user(
                c,
                &user,
                "auth.password_ok",
                &AuthEvent {
                    ip: ip_s,
                    reason: "password",
                },
            )?;
            Ok(sid)
        })
        .await?;
    let cookie = ctx::session_cookie(&state, &sid, state.config.session_absolute.as_secs());
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/mfa")).into_response())
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage {
    layout: Layout,
    error: Option<String>,
    /// Offer a passkey beside the code (the user has one usable from this address).
    passkey: bool,
}

pub async fn mfa_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    s: AnySession,
) -> Result<Response, AppError> {
    if s.user.totp_secret.is_none() {
        return Ok(Redirect::to("/mfa/setup").into_response());
    }
    if s.session.mfa_done {
        return Ok(Redirect::to("/").into_response());
    }
    let mut layout = Layout::bare(s.t, s.t.s("mfa.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&MfaPage {
        layout,
        error: None,
        passkey: crate::webauthn::offer_on_mfa(&state, &headers, s.user.id).await?,
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    code: String,
}

/// Second step: a TOTP code (each time step accepted once) or a one-time recovery code.
pub async fn mfa(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    s: AnySession,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&form.csrf)?;
    let Some(secret) = s.user.totp_secret.clone() else {
        return Ok(Redirect::to("/mfa/setup").into_response());
    };
    if !state.limiter.allow(ip) {
        state.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(AppError::TooManyRequests);
    }
    let totp = creds::totp(&secret, &state.config.totp_issuer, &s.user.email)?;
    let step = creds::totp_step(&totp, &form.code, creds::unix_now());
    let recovery_hash = creds::recovery_code_hash(&form.code);
    let user = s.user.clone();
    let sid = s.id.clone();
    let locked = user.is_locked(anzen_store::now_us());
    let (threshold, lock_for) = state.config.lockout();
    let ip_s = ip.map(|i| i.to_string());
    let ok = state
        .tx(move |c| {
            let ok = !locked
                && match step {
                    Some(step) => users::accept_totp_step(c, user.id, step)?,
                    None => {
                        form.code.len() > 8 && users::use_recovery_code(c, user.id, &recovery_hash)?
                    }
                };
            if ok {
                sessions::set_mfa_done(c, &sid)?;
                users::record_successful_login(c, user.id)?;
                let how = if step.is_some() {
                    "totp"
                } else {
                    "recovery_code"
                };
                record_for_user(
                    c,
                    &user,
                    "auth.login",
                    &AuthEvent {
                        ip: ip_s,
                        reason: how,
                    },
                )?;
            } else {
                users::record_failed_login(c, user.id, threshold, lock_for)?;
                record_for_user(
                    c,
                    &user,
                    "auth.mfa_failed",
                    &AuthEvent {
                        ip: ip_s,
                        reason: "totp",
                    },
                )?;
            }
            Ok(ok)
        })
        .await?;
    if ok {
        return Ok(Redirect::to("/").into_response());
    }
    state.metrics.mfa_failed.fetch_add(1, Ordering::Relaxed);
    let mut layout = Layout::bare(s.t, s.t.s("mfa.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&MfaPage {
        layout,
        error: Some(s.t.s("mfa.failed").to_owned()),
        passkey: crate::webauthn::offer_on_mfa(&state, &headers, s.user.id).await?,
    })
    .map(|r| (axum::http::StatusCode::UNAUTHORIZED, r).into_response())
}

#[derive(Template)]
#[template(path = "mfa_setup.html")]
struct MfaSetupPage {
    layout: Layout,
    qr: String,
    secret: String,
    error: Option<String>,
}

/// First sign-in (or after an administrator reset): enrol an authenticator app. The secret
/// waits in the session until a code proves the app has it.
pub async fn mfa_setup_page(
    State(state): State<AppState>,
    s: AnySession,
) -> Result<Response, AppError> {
    if s.user.totp_secret.is_some() && !s.session.mfa_done {
        return Ok(Redirect::to("/mfa").into_response());
    }
    let secret = match &s.session.pending_totp_secret {
        Some(p) => p.clone(),
        None => {
            let new = creds::new_totp_secret();
            let (sid, n) = (s.id.clone(), new.clone());
            state
                .db(move |c| Ok(sessions::set_pending_totp(c, &sid, Some(&n))?))
                .await?;
            new
        }
    };
    mfa_setup_render(&state, &s, secret, None)
}

fn mfa_setup_render(
    state: &AppState,
    s: &AnySession,
    secret: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let totp = creds::totp(&secret, &state.config.totp_issuer, &s.user.email)?;
    let mut layout = Layout::bare(s.t, s.t.s("mfa.setup.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&MfaSetupPage {
        layout,
        qr: creds::totp_qr_data_url(&totp)?,
        secret,
        error,
    })
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

pub async fn mfa_setup(
    State(state): State<AppState>,
    s: AnySession,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&form.csrf)?;
    if s.user.totp_secret.is_some() && !s.session.mfa_done {
        return Ok(Redirect::to("/mfa").into_response());
    }
    let Some(secret) = s.session.pending_totp_secret.clone() else {
        return Ok(Redirect::to("/mfa/setup").into_response());
    };
    let totp = creds::totp(&secret, &state.config.totp_issuer, &s.user.email)?;
    let Some(step) = creds::totp_step(&totp, &form.code, creds::unix_now()) else {
        state.metrics.mfa_failed.fetch_add(1, Ordering::Relaxed);
        return mfa_setup_render(&state, &s, secret, Some(s.t.s("mfa.failed").to_owned()));
    };
    let codes = creds::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| creds::recovery_code_hash(c)).collect();
    let (user, sid) = (s.user.clone(), s.id.clone());
    state
        .tx(move |c| {
            users::set_totp(c, user.id, Some(&secret))?;
            users::accept_totp_step(c, user.id, step)?;
            users::replace_recovery_codes(c, user.id, &hashes)?;
            sessions::set_mfa_done(c, &sid)?;
            users::record_successful_login(c, user.id)?;
            record_for_user(c, &user, "auth.totp_enrolled", &serde_json::json!({}))?;
            record_for_user(
                c,
                &user,
                "auth.login",
                &AuthEvent {
                    ip: None,
                    reason: "totp_enrolment",
                },
            )?;
            Ok(())
        })
        .await?;
    let mut layout = Layout::user(&state, &s, s.t.s("mfa.recovery.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&RecoveryCodesPage { layout, codes })
}

#[derive(Template)]
#[template(path = "lock.html")]
struct LockPage {
    layout: Layout,
    error: Option<String>,
    user_email: String,
}

/// The clear screen shown after inactivity: it shows no data and locks the session
/// server-side, so navigating away does not bypass it.
pub async fn lock_page(State(state): State<AppState>, s: AnySession) -> Result<Response, AppError> {
    let sid = s.id.clone();
    state.db(move |c| Ok(sessions::lock(c, &sid)?)).await?;
    let mut layout = Layout::bare(s.t, s.t.s("lock.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&LockPage {
        layout,
        error: None,
        user_email: s.user.email.clone(),
    })
}

#[derive(Deserialize)]
pub struct UnlockForm {
    #[serde(default)]
    csrf: String,
    password: String,
}

pub async fn unlock(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    s: AnySession,
    Form(form): Form<UnlockForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&form.csrf)?;
    if !state.limiter.allow(ip) {
        return Err(AppError::TooManyRequests);
    }
    let hash = s.user.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || creds::verify_password(&form.password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (user, sid) = (s.user.clone(), s.id.clone());
    let (threshold, lock_for) = state.config.lockout();
    let failed_total = state
        .tx(move |c| {
            if ok {
                sessions::unlock(c, &sid)?;
                record_for_user(c, &user, "auth.unlock", &serde_json::json!({}))?;
                Ok(0)
            } else {
                let n = users::record_failed_login(c, user.id, threshold, lock_for)?;
                record_for_user(c, &user, "auth.unlock_failed", &serde_json::json!({}))?;
                if n >= threshold {
                    sessions::delete(c, &sid)?;
                }
                Ok(n)
            }
        })
        .await?;
    if ok {
        return Ok(Redirect::to("/").into_response());
    }
    if failed_total >= state.config.lockout_threshold {
        return Ok((
            [(SET_COOKIE, ctx::clear_session_cookie(&state))],
            Redirect::to("/login"),
        )
            .into_response());
    }
    let mut layout = Layout::bare(s.t, s.t.s("lock.title"));
    layout.csrf = s.session.csrf_token.clone();
    render(&LockPage {
        layout,
        error: Some(s.t.s("login.failed").to_owned()),
        user_email: s.user.email.clone(),
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    s: AnySession,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&form.csrf)?;
    let (user, sid) = (s.user.clone(), s.id.clone());
    state
        .tx(move |c| {
            sessions::delete(c, &sid)?;
            record_for_user(c, &user, "auth.logout", &serde_json::json!({}))?;
            Ok(())
        })
        .await?;
    Ok((
        [(SET_COOKIE, ctx::clear_session_cookie(&state))],
        Redirect::to("/login"),
    )
        .into_response())
}

/// Activity heartbeat from the page script (keeps the server-side idle clock in step with
/// keyboard and mouse use). Requires the CSRF token in `X-CSRF-Token`.
pub async fn ping(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    s: AnySession,
) -> Result<Response, AppError> {
    s.check_csrf_header(&headers)?;
    let idle = state.config.session_idle.as_micros() as i64;
    if s.session.locked || anzen_store::now_us() - s.session.last_seen_at > idle {
        return Ok((axum::http::StatusCode::CONFLICT, "locked").into_response());
    }
    let sid = s.id.clone();
    state.db(move |c| Ok(sessions::touch(c, &sid)?)).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct LangForm {
    to: String,
    #[serde(default)]
    back: String,
}

/// Switches the interface language (cookie; works before sign-in too).
pub async fn set_lang(State(state): State<AppState>, Form(form): Form<LangForm>) -> Response {
    let lang = if form.to == "en" { "en" } else { "ja" };
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_owned()
    };
    (
        [(
            SET_COOKIE,
            format!(
                "{}={lang}; Path=/; SameSite=Lax; Max-Age=31536000{}",
                ctx::LANG_COOKIE,
                if state.config.cookie_secure {
                    "; Secure"
                } else {
                    ""
                }
            ),
        )],
        Redirect::to(&back),
    )
        .into_response()
}
