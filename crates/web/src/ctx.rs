//! Who is asking: the session cookie, the signed-in user, and their role in the
//! organisation a URL names. Tenant isolation is enforced here: a user who is not a member
//! of an organisation gets 404 for everything under it, as if it did not exist.

use std::net::{IpAddr, SocketAddr};

use anzen_core::{Action, OrgId, Role};
use anzen_store::orgs::{self, Org};
use anzen_store::sessions::{self, Session};
use anzen_store::users::{self, User};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::i18n::{Lang, T};
use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "anzen_session";
pub const LANG_COOKIE: &str = "anzen_lang";

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` value for the session cookie.
pub fn session_cookie(state: &AppState, value: &str, max_age_secs: u64) -> String {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    )
}

pub fn clear_session_cookie(state: &AppState) -> String {
    session_cookie(state, "", 0)
}

/// The client's address (for rate limiting and the audit trail), when known.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The interface language, from the cookie.
pub struct Language(pub T);

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Language(T(Lang::from_cookie(cookie(parts, LANG_COOKIE)))))
    }
}

/// A session that exists and is within its absolute lifetime; second factor, lock and
/// forced password change not yet checked. Used by the pages that complete sign-in.
pub struct AnySession {
    pub id: String,
    pub session: Session,
    pub user: User,
    pub t: T,
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let id = cookie(parts, SESSION_COOKIE)
            .filter(|v| !v.is_empty())
            .ok_or(AppError::SignIn)?
            .to_owned();
        let t = T(Lang::from_cookie(cookie(parts, LANG_COOKIE)));
        let absolute = state.config.session_absolute.as_micros() as i64;
        let sid = id.clone();
        let (session, user) = state
            .db(move |c| {
                let Some(s) = sessions::get(c, &sid)? else {
                    return Err(AppError::SignIn);
                };
                if anzen_store::now_us() - s.created_at > absolute {
                    sessions::delete(c, &sid)?;
                    return Err(AppError::SignIn);
                }
                let u = users::get(c, s.user_id)?.ok_or(AppError::SignIn)?;
                if u.disabled {
                    sessions::delete(c, &sid)?;
                    return Err(AppError::SignIn);
                }
                Ok((s, u))
            })
            .await?;
        Ok(AnySession {
            id,
            session,
            user,
            t,
        })
    }
}

impl AnySession {
    /// The CSRF check for script calls, which send the token in `X-CSRF-Token`.
    pub fn check_csrf_header(&self, headers: &axum::http::HeaderMap) -> Result<(), AppError> {
        let token = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        self.check_csrf(token)
    }

    pub fn check_csrf(&self, presented: &str) -> Result<(), AppError> {
        if constant_time_eq(presented.as_bytes(), self.session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

/// A fully signed-in user: second factor done, screen not locked, password not due.
/// Each request counts as activity for the idle lock.
pub struct Authed(pub AnySession);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let s = AnySession::from_request_parts(parts, state).await?;
        if !s.session.mfa_done {
            return Err(AppError::Redirect(if s.user.totp_secret.is_some() {
                "/mfa".into()
            } else {
                "/mfa/setup".into()
            }));
        }
        let idle = state.config.session_idle.as_micros() as i64;
        let idle_over = anzen_store::now_us() - s.session.last_seen_at > idle;
        if s.session.locked || idle_over {
            let sid = s.id.clone();
            state.db(move |c| Ok(sessions::lock(c, &sid)?)).await?;
            return Err(AppError::Redirect("/lock".into()));
        }
        let path = parts.uri.path();
        if s.user.must_change_password && path != "/account/password" {
            return Err(AppError::Redirect("/account/password".into()));
        }
        let sid = s.id.clone();
        state.db(move |c| Ok(sessions::touch(c, &sid)?)).await?;
        Ok(Authed(s))
    }
}

/// A signed-in user acting inside one organisation, with their role there.
pub struct OrgCtx {
    pub auth: AnySession,
    pub org: Org,
    pub role: Role,
    pub memberships: Vec<orgs::Membership>,
}

impl Authed {
    /// Enters an organisation. Not a member → 404 (never reveal other tenants).
    pub async fn in_org(self, state: &AppState, org: OrgId) -> Result<OrgCtx, AppError> {
        let user = self.0.user.id;
        let sid = self.0.id.clone();
        let (org, role, memberships) = state
            .db(move |c| {
                let ms = orgs::memberships_of(c, user)?;
                let m = ms
                    .iter()
                    .find(|m| m.org.id == org)
                    .ok_or(AppError::NotFound)?;
                let (o, r) = (m.org.clone(), m.role);
                sessions::set_org(c, &sid, org)?;
                Ok((o, r, ms))
            })
            .await?;
        Ok(OrgCtx {
            auth: self.0,
            org,
            role,
            memberships,
        })
    }
}

impl OrgCtx {
    /// Refuses with 403 unless the role allows `action` (permission is checked first in
    /// every handler).
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.role.can(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> String {
        self.auth.user.email.clone()
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
