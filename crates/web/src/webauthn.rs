//! WebAuthn / passkeys as an additional second factor beside TOTP.
//!
//! TOTP enrolment stays required for every user; a passkey is registered afterwards on
//! `/account` and may then be used on `/mfa` instead of a code. Both ceremonies are two
//! JSON calls from `/static/webauthn.js` (no inline script): `…/start` returns the options
//! for `navigator.credentials.create/get` and keeps the ceremony state in the database,
//! keyed by the session and single use (never in a cookie); `…/finish` checks the
//! browser's answer against it. Every call needs the session's CSRF token in
//! `X-CSRF-Token`.
//!
//! The relying-party id is `WebConfig::webauthn_rp_id`, or `localhost` when the browser
//! uses `localhost` and nothing is configured; on other hosts passkeys are unavailable.
//! The signature counter is checked by the library and again, race-free, by the store.
//! Failed second-factor attempts count towards the account lockout like wrong TOTP codes;
//! every registration, removal, use and failure is recorded in the audit ledger.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anzen_core::UserId;
use anzen_store::webauthn::{self as store, Challenge, Purpose};
use anzen_store::{StoreError, sessions, users};
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::ctx::{AnySession, Authed, ClientIp};
use crate::pages::auth::record_for_user;
use crate::pages::jst;
use crate::{AppError, AppState, WebConfig};

/// How long a challenge may be answered (the library's authenticator timeout).
const CHALLENGE_TTL: Duration = webauthn_rs::DEFAULT_AUTHENTICATOR_TIMEOUT;
/// Longest passkey name, in characters.
const MAX_NAME: usize = 64;

/// Why a passkey call was refused. Rendered as JSON `{ "error": { "code", "message" } }`.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// No relying-party id for this host (see [`WebConfig::webauthn_rp_id`]).
    #[error("passkeys unavailable here: {0}")]
    Unavailable(String),
    #[error("no passkey registered for this host")]
    NoPasskeys,
    #[error("passkey name empty, too long or with control characters")]
    BadName,
    #[error("TOTP enrolment is required first")]
    TotpRequired,
    #[error("second factor already done")]
    AlreadyVerified,
    #[error("this passkey is already registered")]
    Duplicate,
    /// The ceremony failed: no pending challenge, malformed or wrong answer, counter.
    #[error("passkey verification failed: {0}")]
    Rejected(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for PasskeyError {
    fn from(e: StoreError) -> Self {
        PasskeyError::App(e.into())
    }
}

impl PasskeyError {
    fn status(&self) -> StatusCode {
        match self {
            PasskeyError::Unavailable(_) | PasskeyError::NoPasskeys | PasskeyError::BadName => {
                StatusCode::BAD_REQUEST
            }
            PasskeyError::TotpRequired
            | PasskeyError::AlreadyVerified
            | PasskeyError::Duplicate => StatusCode::CONFLICT,
            PasskeyError::Rejected(_) => StatusCode::UNAUTHORIZED,
            PasskeyError::App(AppError::Redirect(_)) => StatusCode::UNAUTHORIZED,
            PasskeyError::App(e) => e.status(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PasskeyError::Unavailable(_) => "passkey_unavailable",
            PasskeyError::NoPasskeys => "no_passkeys",
            PasskeyError::BadName => "bad_name",
            PasskeyError::TotpRequired => "totp_required",
            PasskeyError::AlreadyVerified => "already_verified",
            PasskeyError::Duplicate => "duplicate",
            PasskeyError::Rejected(_) => "passkey_rejected",
            PasskeyError::App(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            PasskeyError::Unavailable(_) => unavailable_message().to_owned(),
            PasskeyError::NoPasskeys => {
                "このアカウントにはこの接続先で使えるパスキーが登録されていません。".into()
            }
            PasskeyError::BadName => format!(
                "パスキーの名前を1〜{MAX_NAME}文字で入力してください（改行などは使えません）。"
            ),
            PasskeyError::TotpRequired => "先に認証アプリ（TOTP）を登録してください。".into(),
            PasskeyError::AlreadyVerified => "二要素認証は完了しています。".into(),
            PasskeyError::Duplicate => "このパスキーは既に登録されています。".into(),
            PasskeyError::Rejected(_) => {
                "パスキーを確認できませんでした。もう一度お試しください。".into()
            }
            PasskeyError::App(e) => e.message_ja(),
        }
    }
}

impl IntoResponse for PasskeyError {
    fn into_response(self) -> Response {
        match &self {
            PasskeyError::App(AppError::Internal(m)) => {
                tracing::error!(error = %m, "internal error")
            }
            PasskeyError::Unavailable(why) => tracing::warn!(%why, "passkeys unavailable"),
            _ => {}
        }
        let body = serde_json::json!({
            "error": { "code": self.code(), "message": self.message_ja() }
        });
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Shown where passkeys cannot be used from the current address.
pub(crate) fn unavailable_message() -> &'static str {
    "この接続先ではパスキーを使えません。http://localhost で開くか、管理者が設定 \
     webauthn_rp_id（と webauthn_origin）を設定してください。"
}

/// The relying party for this request: its id and the origin browsers must report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RelyingParty {
    pub id: String,
    pub origin: Url,
}

/// The configured relying party, or `localhost` from the request's Host when nothing is
/// configured and the browser uses `localhost`. Other hosts get no passkeys: an id taken
/// from an arbitrary Host header would let a misrouted request choose the relying party.
pub(crate) fn relying_party(
    config: &WebConfig,
    headers: &HeaderMap,
) -> Result<RelyingParty, PasskeyError> {
    if let Some(id) = config.webauthn_rp_id.as_deref().filter(|s| !s.is_empty()) {
        let origin = config
            .webauthn_origin
            .clone()
            .unwrap_or_else(|| format!("https://{id}"));
        let origin = Url::parse(&origin)
            .map_err(|e| PasskeyError::Unavailable(format!("webauthn_origin {origin:?}: {e}")))?;
        return Ok(RelyingParty {
            id: id.to_owned(),
            origin,
        });
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if !name.eq_ignore_ascii_case("localhost") {
        return Err(PasskeyError::Unavailable(format!(
            "no webauthn_rp_id configured and the host {host:?} is not localhost"
        )));
    }
    let scheme = if config.cookie_secure {
        "https"
    } else {
        "http"
    };
    let origin = Url::parse(&format!("{scheme}://{}", host.to_ascii_lowercase()))
        .map_err(|e| PasskeyError::Unavailable(format!("origin from Host {host:?}: {e}")))?;
    Ok(RelyingParty {
        id: "localhost".to_owned(),
        origin,
    })
}

fn webauthn(rp: &RelyingParty) -> Result<Webauthn, PasskeyError> {
    WebauthnBuilder::new(&rp.id, &rp.origin)
        .and_then(|b| b.rp_name("anzen").build())
        .map_err(|e| {
            PasskeyError::Unavailable(format!("relying party {:?} / {}: {e}", rp.id, rp.origin))
        })
}

/// The WebAuthn user handle of an account: stable, and not the database id itself.
fn user_handle(user: UserId) -> Uuid {
    let h = anzen_store::token_hash(&format!("anzen-webauthn-user-handle:{}", user.0));
    Uuid::from_u128(
        h.get(..32)
            .and_then(|x| u128::from_str_radix(x, 16).ok())
            .unwrap_or(0),
    )
}

fn internal(what: &str, e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::App(AppError::Internal(format!("{what}: {e}")))
}

fn expires_at() -> i64 {
    anzen_store::now_us() + i64::try_from(CHALLENGE_TTL.as_micros()).unwrap_or(i64::MAX)
}

/// A passkey as listed on the account page.
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    /// The host it was registered for.
    pub rp_id: String,
}

/// The user's passkeys for the account page.
pub(crate) async fn rows(state: &AppState, user: UserId) -> Result<Vec<PasskeyRow>, AppError> {
    let creds = state
        .db(move |c| Ok(store::list_for_user(c, user)?))
        .await?;
    Ok(creds
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id,
            name: k.name,
            created: jst(k.created_at),
            last_used: k.last_used_at.map(jst).unwrap_or_else(|| "-".into()),
            rp_id: k.rp_id,
        })
        .collect())
}

/// Whether the /mfa page should offer a passkey: passkeys work from this address and the
/// user has one for it.
pub(crate) async fn offer_on_mfa(
    state: &AppState,
    headers: &HeaderMap,
    user: UserId,
) -> Result<bool, AppError> {
    let Ok(rp) = relying_party(&state.config, headers) else {
        return Ok(false);
    };
    let n = state
        .db(move |c| Ok(store::list_for_user_rp(c, user, &rp.id)?.len()))
        .await?;
    Ok(n > 0)
}

#[derive(Serialize)]
struct PasskeyEvent<'a> {
    ip: Option<String>,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    passkey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Deserialize)]
struct RegisterStart {
    name: String,
}

fn valid_name(raw: &str) -> Result<String, PasskeyError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(PasskeyError::BadName);
    }
    Ok(name.to_owned())
}

/// `POST /account/passkeys/register/start` with `{"name": "…"}`: the creation options for
/// `navigator.credentials.create`. Only for a fully signed-in user (after TOTP).
pub async fn register_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Authed(s): Authed,
    body: Bytes,
) -> Result<Response, PasskeyError> {
    s.check_csrf_header(&headers)?;
    let req: RegisterStart = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("リクエストが正しくありません: {e}")))?;
    let name = valid_name(&req.name)?;
    let rp = relying_party(&state.config, &headers)?;
    let wa = webauthn(&rp)?;
    let user = s.user.clone();
    let existing = state
        .db(move |c| Ok(store::list_for_user(c, user.id)?))
        .await?;
    let exclude = existing.into_iter().map(|k| k.credential_id).collect();
    let (options, reg) = wa
        .start_passkey_registration(
            user_handle(s.user.id),
            &s.user.email,
            &s.user.display_name,
            Some(exclude),
        )
        .map_err(|e| internal("start registration", e))?;
    let challenge = Challenge {
        user_id: s.user.id,
        rp_id: rp.id,
        state: serde_json::to_string(&reg).map_err(|e| internal("registration state", e))?,
        name: Some(name),
        expires_at: expires_at(),
    };
    let sid = s.id.clone();
    state
        .db(move |c| {
            Ok(store::put_challenge(
                c,
                &sid,
                Purpose::Register,
                &challenge,
            )?)
        })
        .await?;
    Ok(axum::Json(options).into_response())
}

/// Checks the browser's answer to a registration challenge; the new passkey on success.
fn finish_registration(
    headers: &HeaderMap,
    config: &WebConfig,
    challenge: Option<Challenge>,
    body: &[u8],
) -> Result<(Passkey, String, String), PasskeyError> {
    let ch = challenge.ok_or_else(|| PasskeyError::Rejected("no pending challenge".into()))?;
    let rp = relying_party(config, headers)?;
    if rp.id != ch.rp_id {
        return Err(PasskeyError::Rejected("relying party changed".into()));
    }
    let answer: RegisterPublicKeyCredential = serde_json::from_slice(body)
        .map_err(|e| PasskeyError::Rejected(format!("malformed answer: {e}")))?;
    let reg: PasskeyRegistration =
        serde_json::from_str(&ch.state).map_err(|e| internal("stored registration state", e))?;
    let passkey = webauthn(&rp)?
        .finish_passkey_registration(&answer, &reg)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    Ok((passkey, ch.name.unwrap_or_default(), rp.id))
}

/// `POST /account/passkeys/register/finish` with the `PublicKeyCredential` from
/// `navigator.credentials.create` (binary fields base64url).
pub async fn register_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Authed(s): Authed,
    body: Bytes,
) -> Result<Response, PasskeyError> {
    s.check_csrf_header(&headers)?;
    let sid = s.id.clone();
    let challenge = state
        .db(move |c| Ok(store::take_challenge(c, &sid, Purpose::Register)?))
        .await?;
    let ip_s = ip.map(|i| i.to_string());
    let user = s.user.clone();
    let outcome = finish_registration(&headers, &state.config, challenge, &body);
    let result = match outcome {
        Ok((passkey, name, rp_id)) => {
            let json = serde_json::to_string(&passkey).map_err(|e| internal("passkey", e))?;
            let cred_id = passkey.cred_id().clone();
            let ip = ip_s.clone();
            let u = user.clone();
            state
                .tx(move |c| {
                    match store::add_credential(c, u.id, &cred_id, &name, &rp_id, &json, 0) {
                        Ok(k) => {
                            record_for_user(
                                c,
                                &u,
                                "auth.passkey_registered",
                                &serde_json::json!({ "ip": ip, "id": k.id, "name": k.name, "rp_id": k.rp_id }),
                            )?;
                            Ok(Ok(k))
                        }
                        Err(StoreError::Conflict(_)) => Ok(Err(PasskeyError::Duplicate)),
                        Err(e) => Err(e.into()),
                    }
                })
                .await?
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(k) => Ok(axum::Json(serde_json::json!({ "id": k.id, "name": k.name })).into_response()),
        Err(e @ (PasskeyError::Rejected(_) | PasskeyError::Duplicate)) => {
            let detail = e.to_string();
            tracing::info!(user = %user.email, %detail, "passkey registration refused");
            state
                .tx(move |c| {
                    record_for_user(
                        c,
                        &user,
                        "auth.passkey_register_failed",
                        &PasskeyEvent {
                            ip: ip_s,
                            reason: "webauthn",
                            passkey: None,
                            detail: Some(detail),
                        },
                    )?;
                    Ok(())
                })
                .await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /account/passkeys/{id}/remove` (form): removes one of the user's own passkeys.
pub async fn remove(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(s): Authed,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, AppError> {
    s.check_csrf(&form.csrf)?;
    let user = s.user.clone();
    let ip_s = ip.map(|i| i.to_string());
    state
        .tx(move |c| {
            let k = store::remove(c, user.id, id)?.ok_or(AppError::NotFound)?;
            record_for_user(
                c,
                &user,
                "auth.passkey_removed",
                &serde_json::json!({ "ip": ip_s, "id": k.id, "name": k.name, "rp_id": k.rp_id }),
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/account").into_response())
}

/// The second-factor calls are for a session past the password step whose user has
/// enrolled TOTP and has not yet passed the second factor.
fn second_factor_pending(s: &AnySession) -> Result<(), PasskeyError> {
    if s.user.totp_secret.is_none() {
        return Err(PasskeyError::TotpRequired);
    }
    if s.session.mfa_done {
        return Err(PasskeyError::AlreadyVerified);
    }
    Ok(())
}

/// `POST /mfa/passkey/start`: the request options for `navigator.credentials.get`, listing
/// the user's passkeys for this host.
pub async fn auth_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    s: AnySession,
) -> Result<Response, PasskeyError> {
    s.check_csrf_header(&headers)?;
    second_factor_pending(&s)?;
    let rp = relying_party(&state.config, &headers)?;
    let wa = webauthn(&rp)?;
    let (uid, rp_id) = (s.user.id, rp.id.clone());
    let creds = state
        .db(move |c| Ok(store::list_for_user_rp(c, uid, &rp_id)?))
        .await?;
    if creds.is_empty() {
        return Err(PasskeyError::NoPasskeys);
    }
    let passkeys = creds
        .iter()
        .map(|k| serde_json::from_str::<Passkey>(&k.passkey))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| internal("stored passkey", e))?;
    let (options, auth) = wa
        .start_passkey_authentication(&passkeys)
        .map_err(|e| internal("start authentication", e))?;
    let challenge = Challenge {
        user_id: s.user.id,
        rp_id: rp.id,
        state: serde_json::to_string(&auth).map_err(|e| internal("authentication state", e))?,
        name: None,
        expires_at: expires_at(),
    };
    let sid = s.id.clone();
    state
        .db(move |c| {
            Ok(store::put_challenge(
                c,
                &sid,
                Purpose::Authenticate,
                &challenge,
            )?)
        })
        .await?;
    Ok(axum::Json(options).into_response())
}

/// A verified assertion, ready to be recorded.
struct Verified {
    credential_id: Vec<u8>,
    counter: i64,
    passkey_json: String,
    name: String,
}

/// Checks the browser's answer to an authentication challenge against the stored state
/// and the user's credential.
fn verify_assertion(
    headers: &HeaderMap,
    config: &WebConfig,
    user: UserId,
    challenge: Option<Challenge>,
    stored: Option<store::Credential>,
    answer: Result<PublicKeyCredential, String>,
) -> Result<Verified, PasskeyError> {
    let ch = challenge.ok_or_else(|| PasskeyError::Rejected("no pending challenge".into()))?;
    let rp = relying_party(config, headers)?;
    if rp.id != ch.rp_id || ch.user_id != user {
        return Err(PasskeyError::Rejected(
            "challenge of another context".into(),
        ));
    }
    let answer = answer.map_err(|e| PasskeyError::Rejected(format!("malformed answer: {e}")))?;
    let state: PasskeyAuthentication =
        serde_json::from_str(&ch.state).map_err(|e| internal("stored authentication state", e))?;
    let result = webauthn(&rp)?
        .finish_passkey_authentication(&answer, &state)
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    if !result.user_verified() {
        return Err(PasskeyError::Rejected("user not verified".into()));
    }
    let stored = stored
        .filter(|k| k.user_id == user && k.rp_id == rp.id && k.credential_id == *result.cred_id())
        .ok_or_else(|| PasskeyError::Rejected("unknown credential".into()))?;
    let mut passkey: Passkey =
        serde_json::from_str(&stored.passkey).map_err(|e| internal("stored passkey", e))?;
    passkey.update_credential(&result);
    Ok(Verified {
        credential_id: stored.credential_id,
        counter: i64::from(result.counter()),
        passkey_json: serde_json::to_string(&passkey).map_err(|e| internal("passkey", e))?,
        name: stored.name,
    })
}

/// `POST /mfa/passkey/finish` with the `PublicKeyCredential` from
/// `navigator.credentials.get`. Success completes the second factor (`{"redirect": "/"}`);
/// a failure counts towards the lockout. Both are audited.
pub async fn auth_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    s: AnySession,
    body: Bytes,
) -> Result<Response, PasskeyError> {
    s.check_csrf_header(&headers)?;
    second_factor_pending(&s)?;
    if !state.limiter.allow(ip) {
        state.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        return Err(AppError::TooManyRequests.into());
    }
    let answer: Result<PublicKeyCredential, String> =
        serde_json::from_slice(&body).map_err(|e| e.to_string());
    let raw_id = answer
        .as_ref()
        .map(|a| a.raw_id.clone())
        .unwrap_or_default();
    let (sid, uid) = (s.id.clone(), s.user.id);
    let (challenge, stored) = state
        .db(move |c| {
            let ch = store::take_challenge(c, &sid, Purpose::Authenticate)?;
            let k = if raw_id.is_empty() {
                None
            } else {
                store::get_by_credential_id(c, &raw_id)?
            };
            Ok((ch, k))
        })
        .await?;
    let verified = match verify_assertion(&headers, &state.config, uid, challenge, stored, answer) {
        Ok(v) => Ok(v),
        Err(e @ PasskeyError::Rejected(_)) => Err(e),
        Err(other) => return Err(other),
    };
    let user = s.user.clone();
    let sid = s.id.clone();
    let locked = user.is_locked(anzen_store::now_us());
    let (threshold, lock_for) = state.config.lockout();
    let ip_s = ip.map(|i| i.to_string());
    let outcome = state
        .tx(move |c| {
            let failure = match verified {
                Ok(_) if locked => Some("account locked".to_owned()),
                Ok(v) => {
                    if store::record_use(c, user.id, &v.credential_id, v.counter, &v.passkey_json)?
                    {
                        sessions::set_mfa_done(c, &sid)?;
                        users::record_successful_login(c, user.id)?;
                        record_for_user(
                            c,
                            &user,
                            "auth.login",
                            &PasskeyEvent {
                                ip: ip_s.clone(),
                                reason: "webauthn",
                                passkey: Some(v.name),
                                detail: None,
                            },
                        )?;
                        None
                    } else {
                        Some("signature counter did not increase".to_owned())
                    }
                }
                Err(e) => Some(e.to_string()),
            };
            if let Some(detail) = &failure {
                users::record_failed_login(c, user.id, threshold, lock_for)?;
                record_for_user(
                    c,
                    &user,
                    "auth.mfa_failed",
                    &PasskeyEvent {
                        ip: ip_s,
                        reason: "webauthn",
                        passkey: None,
                        detail: Some(detail.clone()),
                    },
                )?;
            }
            Ok(failure)
        })
        .await?;
    match outcome {
        None => Ok(axum::Json(serde_json::json!({ "redirect": "/" })).into_response()),
        Some(detail) => {
            state.metrics.mfa_failed.fetch_add(1, Ordering::Relaxed);
            tracing::info!(user = %s.user.email, %detail, "passkey second factor refused");
            Err(PasskeyError::Rejected(detail))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).expect("header"));
        m
    }

    #[test]
    fn relying_party_is_configured_or_localhost_only() {
        let cfg = WebConfig::default();
        let rp = relying_party(&cfg, &host("localhost:8080")).expect("localhost");
        assert_eq!(rp.id, "localhost");
        assert_eq!(rp.origin.as_str(), "http://localhost:8080/");
        assert!(webauthn(&rp).is_ok());
        for other in [
            "127.0.0.1:8080",
            "evil.example",
            "[::1]:80",
            "localhost.evil:1",
            "",
        ] {
            assert!(
                matches!(
                    relying_party(&cfg, &host(other)),
                    Err(PasskeyError::Unavailable(_))
                ),
                "{other}"
            );
        }
        let cfg = WebConfig {
            webauthn_rp_id: Some("anzen.example-clinic.jp".into()),
            cookie_secure: true,
            ..WebConfig::default()
        };
        let rp = relying_party(&cfg, &host("evil.example")).expect("configured");
        assert_eq!(rp.id, "anzen.example-clinic.jp");
        assert_eq!(rp.origin.as_str(), "https://anzen.example-clinic.jp/");
        assert!(webauthn(&rp).is_ok());
        let bad = WebConfig {
            webauthn_rp_id: Some("anzen.example-clinic.jp".into()),
            webauthn_origin: Some("https://other.example".into()),
            ..WebConfig::default()
        };
        let rp = relying_party(&bad, &host("x")).expect("parsed");
        assert!(
            webauthn(&rp).is_err(),
            "origin outside the rp id is refused"
        );
    }

    #[test]
    fn names_are_checked_and_handles_stable() {
        assert_eq!(valid_name("  受付のPC ").ok().as_deref(), Some("受付のPC"));
        assert!(valid_name("   ").is_err());
        assert!(valid_name("a\nb").is_err());
        assert!(valid_name(&"鍵".repeat(MAX_NAME + 1)).is_err());
        assert_eq!(user_handle(UserId(7)), user_handle(UserId(7)));
        assert_ne!(user_handle(UserId(7)), user_handle(UserId(8)));
    }
}
