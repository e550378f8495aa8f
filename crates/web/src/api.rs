//! JSON API under `/api/v1`, authenticated by personal access tokens
//! (`Authorization: Bearer anzen_pat_…`). A token belongs to one user in one organisation;
//! the user's current role there still applies, and the token's scopes narrow it further
//! (`read`, `write`). Errors are `{ "error": { "code", "message" } }`.
//!
//! The OpenAPI document is generated from [`ENDPOINTS`] — the same table the router is
//! built from — and committed as `crates/web/openapi.json`; a test fails when they drift.

use anzen_core::{Action, Role};
use anzen_store::ledger::{self, EntryQuery};
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::tokens;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, AppState};

/// Errors of API handlers render as JSON.
pub struct ApiError(AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// One API endpoint: the router and the OpenAPI document are both built from this table.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub scope: Option<&'static str>,
    pub response: &'static str,
}

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/openapi.json",
        summary: "This OpenAPI document",
        scope: None,
        response: "object",
    },
    Endpoint {
        method: "get",
        path: "/org",
        summary: "The organisation's facility profile",
        scope: Some("read"),
        response: "Org",
    },
    Endpoint {
        method: "put",
        path: "/org",
        summary: "Replace the facility profile (管理者・安全管理責任者)",
        scope: Some("write"),
        response: "Org",
    },
    Endpoint {
        method: "get",
        path: "/members",
        summary: "Users of the organisation and their roles",
        scope: Some("read"),
        response: "MemberList",
    },
    Endpoint {
        method: "get",
        path: "/audit",
        summary: "Audit-trail entries, newest first (監査者・管理者・安全管理責任者)",
        scope: Some("read"),
        response: "AuditList",
    },
    Endpoint {
        method: "get",
        path: "/access-log/events",
        summary: "Search the access log (アクセスログ): patient, user, system, action (参照, view, …), from, to (2025-04-01 or 2025-04-01 09:00 JST; a date alone as `to` includes that day), limit (≤ 1000), offset; recorded in the audit trail (監査者・管理者・安全管理責任者)",
        scope: Some("read"),
        response: "AccessEventList",
    },
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/org", get(get_org).put(put_org))
        .route("/members", get(members))
        .route("/audit", get(audit_list))
        .route("/access-log/events", get(access_events))
        .fallback(|| async { ApiError(AppError::NotFound) })
        .method_not_allowed_fallback(|| async { ApiError(AppError::MethodNotAllowed) })
}

/// `Json<T>` whose rejections (malformed JSON, wrong fields) are JSON errors too.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    Json<T>: axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(|r| {
                ApiError(AppError::BadRequest(format!(
                    "リクエスト本文が正しくありません: {}",
                    r.body_text()
                )))
            })
    }
}

/// `Query<T>` whose rejections are JSON errors too.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|r| {
                ApiError(AppError::BadRequest(format!(
                    "クエリが正しくありません: {}",
                    r.body_text()
                )))
            })
    }
}

/// The caller: a valid token, its user's current role in the token's organisation.
pub struct ApiAuth {
    pub token: tokens::ApiToken,
    pub org: Org,
    pub role: Role,
    pub actor: String,
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError(AppError::SignIn))?
            .to_owned();
        let r = state
            .db(move |c| {
                let Some(token) = tokens::authenticate(c, &secret)? else {
                    return Err(AppError::SignIn);
                };
                let user = anzen_store::users::get(c, token.user_id)?.ok_or(AppError::SignIn)?;
                if user.disabled {
                    return Err(AppError::SignIn);
                }
                // Membership is re-checked on every call: removing a user disables their tokens.
                let role =
                    orgs::role_of(c, token.user_id, token.org_id)?.ok_or(AppError::SignIn)?;
                let org = orgs::get(c, token.org_id)?.ok_or(AppError::NotFound)?;
                Ok(ApiAuth {
                    token,
                    org,
                    role,
                    actor: format!("api:{}", user.email),
                })
            })
            .await?;
        Ok(r)
    }
}

impl ApiAuth {
    fn require(&self, action: Action, scope: &str) -> Result<(), ApiError> {
        if !self.role.can(action) || !self.token.scopes.iter().any(|s| s == scope) {
            return Err(ApiError(AppError::Forbidden));
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct OrgOut {
    id: i64,
    uid: String,
    #[serde(flatten)]
    profile: OrgProfile,
}

fn org_out(o: &Org) -> OrgOut {
    OrgOut {
        id: o.id.0,
        uid: o.uid.clone(),
        profile: o.profile.clone(),
    }
}

async fn get_org(auth: ApiAuth) -> ApiResult<OrgOut> {
    auth.require(Action::ReadRecords, "read")?;
    Ok(Json(org_out(&auth.org)))
}

async fn put_org(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(p): ApiJson<OrgProfile>,
) -> ApiResult<OrgOut> {
    auth.require(Action::EditOrgProfile, "write")?;
    if p.name.trim().is_empty() {
        return Err(ApiError(AppError::BadRequest(
            "name: 施設名を入力してください。".into(),
        )));
    }
    let (before, actor, new) = (auth.org.clone(), auth.actor.clone(), p.clone());
    state
        .tx(move |c| Ok(orgs::update_audited(c, &before, &actor, &new)?))
        .await?;
    let mut o = auth.org.clone();
    o.profile = p;
    Ok(Json(org_out(&o)))
}

#[derive(Serialize)]
struct Member {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
}

async fn members(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<serde_json::Value> {
    auth.require(Action::ReadRecords, "read")?;
    let org = auth.org.id;
    let ms = state.db(move |c| Ok(orgs::members(c, org)?)).await?;
    let list: Vec<Member> = ms
        .into_iter()
        .map(|(id, email, name, role)| Member {
            id: id.0,
            email,
            name,
            role: role.code(),
        })
        .collect();
    Ok(Json(json!({ "members": list })))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
}

async fn audit_list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<serde_json::Value> {
    auth.require(Action::ReadAudit, "read")?;
    let org = auth.org.id;
    let query = EntryQuery {
        kind_prefix: q.kind,
        limit: q.limit.unwrap_or(100).min(1000),
        offset: q.offset.unwrap_or(0),
        ..EntryQuery::default()
    };
    let entries = state.db(move |c| Ok(ledger::list(c, org, &query)?)).await?;
    let list: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            json!({
                "index": e.index,
                "time_us": e.time_us,
                "author": e.author,
                "kind": e.kind,
                "payload": serde_json::from_slice::<serde_json::Value>(&e.payload).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "entries": list })))
}

#[derive(Deserialize, Default)]
struct AccessQuery {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    system: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
}

/// The access-log search of the page, as JSON; audited as `access_log.search` like the
/// page (looking at access logs is an access too).
async fn access_events(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<AccessQuery>,
) -> ApiResult<serde_json::Value> {
    auth.require(Action::ReadAudit, "read")?;
    let form = crate::pages::access_log::SearchForm {
        patient: q.patient,
        user: q.user,
        system: q.system,
        action: q.action,
        from: q.from,
        to: q.to,
        page: 0,
    };
    let f = form
        .filter()
        .map_err(|m| ApiError(AppError::BadRequest(m)))?;
    let (limit, offset) = (q.limit.unwrap_or(100).clamp(1, 1000), q.offset.unwrap_or(0));
    let (org, actor, pool) = (auth.org.clone(), auth.actor.clone(), state.store.clone());
    let page = state
        .tx(move |c| {
            let p = anzen_accesslog::search(c, Some(&pool), &org, &f, offset, limit)
                .map_err(crate::checks::CheckError::from)?;
            anzen_accesslog::query::record_search(c, &org, &actor, &f, p.events.len())
                .map_err(crate::checks::CheckError::from)?;
            Ok(p)
        })
        .await?;
    Ok(Json(json!({
        "events": page.events,
        "total": page.total,
        "more": page.more,
    })))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_doc())
}

/// The OpenAPI 3.1 document, pretty-printed (what is committed as `openapi.json`).
pub fn openapi_json() -> String {
    let mut s = serde_json::to_string_pretty(&openapi_doc()).unwrap_or_default();
    s.push('\n');
    s
}

fn openapi_doc() -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let mut op = json!({
            "summary": e.summary,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": schema_ref(e.response) } } },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
            }
        });
        if let Some(scope) = e.scope {
            op["security"] = json!([{ "bearer": [scope] }]);
        } else {
            op["security"] = json!([]);
        }
        if e.method == "put" {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema_ref("OrgProfile") } } });
        }
        let entry = paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "anzen API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "医療情報システム安全管理 — personal access tokens (Authorization: Bearer anzen_pat_…); errors are {\"error\":{\"code\",\"message\"}}."
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": { "description": "Error", "content": { "application/json": { "schema": schema_ref("Error") } } }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string", "enum": ["not_found", "forbidden", "unauthenticated", "bad_request", "csrf", "rate_limited", "method_not_allowed", "internal"] }, "message": { "type": "string" } } } } },
                "OrgProfile": { "type": "object", "required": ["name", "kind"], "properties": {
                    "name": { "type": "string" },
                    "kind": { "type": "string", "enum": anzen_core::OrgKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>() },
                    "beds": { "type": ["integer", "null"] },
                    "prefecture": { "type": ["string", "null"] },
                    "address": { "type": ["string", "null"] },
                    "security_officer": { "type": ["string", "null"] },
                    "security_officer_contact": { "type": ["string", "null"] },
                    "ciso": { "type": ["string", "null"] },
                    "csirt": { "type": ["string", "null"] }
                } },
                "Org": { "allOf": [ schema_ref("OrgProfile"), { "type": "object", "required": ["id", "uid"], "properties": { "id": { "type": "integer" }, "uid": { "type": "string" } } } ] },
                "MemberList": { "type": "object", "properties": { "members": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" }, "role": { "type": "string", "enum": Role::ALL.iter().map(|r| r.code()).collect::<Vec<_>>() } } } } } },
                "AccessEventList": { "type": "object", "required": ["events", "more"], "properties": {
                    "events": { "type": "array", "items": { "type": "object", "required": ["seq", "event"], "properties": {
                        "seq": { "type": "integer" },
                        "event": { "type": "object", "required": ["time_us", "system", "user", "action"], "properties": {
                            "time_us": { "type": "integer" },
                            "system": { "type": "string" },
                            "user": { "type": "string" },
                            "patient": { "type": ["string", "null"] },
                            "action": { "type": "string" },
                            "result": { "type": ["string", "null"] },
                            "terminal": { "type": ["string", "null"] },
                            "detail": { "type": ["string", "null"] }
                        } }
                    } } },
                    "total": { "type": ["integer", "null"] },
                    "more": { "type": "boolean" }
                } },
                "AuditList": { "type": "object", "properties": { "entries": { "type": "array", "items": { "type": "object", "properties": { "index": { "type": "integer" }, "time_us": { "type": "integer" }, "author": { "type": "string" }, "kind": { "type": "string" }, "payload": {} } } } } }
            }
        }
    })
}

fn schema_ref(name: &str) -> serde_json::Value {
    if name == "object" {
        json!({ "type": "object" })
    } else {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed contract must equal what the code serves. Regenerate with
    /// `ANZEN_UPDATE_OPENAPI=1 cargo test -p anzen-web openapi`.
    #[test]
    fn openapi_document_matches_committed_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let generated = openapi_json();
        if std::env::var_os("ANZEN_UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).expect("write openapi.json");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        // Compared as JSON values: key order depends on serde_json features that other
        // crates in the workspace may switch on.
        let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
        assert!(
            parse(&committed).is_some() && parse(&committed) == parse(&generated),
            "crates/web/openapi.json is out of date: run ANZEN_UPDATE_OPENAPI=1 cargo test -p anzen-web openapi"
        );
    }
}
