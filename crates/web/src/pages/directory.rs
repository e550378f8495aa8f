//! ディレクトリ連携 — reading a system's account list, or the staff roster, from LDAP /
//! Active Directory instead of a file: the connection settings per system (and for the
//! roster), stored with the bind password kept apart, and a fetch that ends in the same
//! preview and confirmation as a file import (`accounts::StagedList`).
//!
//! The fetch is read-only (a simple bind as a service account and a search) and runs on a
//! blocking thread: `anzen-directory` speaks synchronous LDAP.

use anzen_core::{Action, OrgId};
use anzen_directory::{AttributeMap, DirectoryConfig, SearchScope};
use anzen_store::accounts::{self, System};
use anzen_store::directory_sources::{self, DirectorySource, Scope};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::accounts::{StagedList, import_page};
use super::{Layout, jst, render};
use crate::account_files::{account_record, staff_record};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState, stage};

/// Which list a source fills, as in the URL: `?system=ID`, or none for the roster.
#[derive(Deserialize)]
pub struct Target {
    system: Option<i64>,
    /// `ad` or `openldap`: fill the attribute mapping with that preset.
    preset: Option<String>,
}

/// The settings form.
#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    start_tls: Option<String>,
    #[serde(default)]
    bind_dn: String,
    /// Empty keeps the stored password.
    #[serde(default)]
    bind_password: String,
    #[serde(default)]
    clear_password: Option<String>,
    #[serde(default)]
    base_dn: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    subtree: Option<String>,
    #[serde(default)]
    ca_cert_pem: String,
    /// Entries per page of the paged search (empty: 500).
    #[serde(default)]
    page_size: String,
    /// The attribute mapping as TOML (`[account]`, `[staff]` tables).
    #[serde(default)]
    attributes: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct SettingsPage {
    layout: Layout,
    org: i64,
    /// The list: a system's name, or 職員名簿.
    list: String,
    back: String,
    /// `?system=ID` or empty.
    query: String,
    form: SettingsForm,
    has_password: bool,
    updated: String,
    can_edit: bool,
    errors: Vec<String>,
}

fn scope_of(system: Option<i64>) -> Scope {
    system.map_or(Scope::Staff, Scope::Accounts)
}

/// The list's name and where "back" goes; 404 for another organisation's system.
async fn list_of(
    state: &AppState,
    ctx: &OrgCtx,
    system: Option<i64>,
) -> Result<(Option<System>, String, String), AppError> {
    let org = ctx.org.id.0;
    match system {
        Some(id) => {
            let o = ctx.org.clone();
            let s = state
                .db(move |c| accounts::system(c, &o, id)?.ok_or(AppError::NotFound))
                .await?;
            let name = s.data.name.clone();
            Ok((Some(s), name, format!("/o/{org}/accounts/systems/{id}")))
        }
        None => Ok((None, "職員名簿".to_owned(), format!("/o/{org}/accounts"))),
    }
}

fn attributes_toml(map: &AttributeMap) -> String {
    toml::to_string(map).unwrap_or_default()
}

/// The form as stored settings show it.
fn form_of(src: &DirectorySource) -> SettingsForm {
    match toml::from_str::<DirectoryConfig>(&src.settings) {
        Ok(cfg) => SettingsForm {
            url: cfg.url.clone(),
            start_tls: cfg.start_tls.then(|| "1".to_owned()),
            bind_dn: cfg.bind_dn.clone(),
            base_dn: cfg.base_dn.clone(),
            filter: cfg.filter.clone(),
            subtree: (cfg.scope == SearchScope::Sub).then(|| "1".to_owned()),
            ca_cert_pem: cfg.ca_cert_pem.clone().unwrap_or_default(),
            page_size: cfg.page_size.to_string(),
            attributes: attributes_toml(&cfg.attributes),
            ..SettingsForm::default()
        },
        Err(_) => SettingsForm::default(),
    }
}

/// The configuration the form describes (without the password), or the problems with it,
/// in Japanese naming the field.
fn config_of(f: &SettingsForm) -> Result<DirectoryConfig, Vec<String>> {
    let mut errors = Vec::new();
    let url = f.url.trim();
    if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
        errors.push(
            "『接続先』: ldaps://サーバ名 または ldap://サーバ名 の形で入力してください。"
                .to_owned(),
        );
    }
    if f.base_dn.trim().is_empty() {
        errors.push(
            "『検索ベース』: 入力してください（例: ou=people,dc=example,dc=jp）。".to_owned(),
        );
    }
    let start_tls = f.start_tls.is_some();
    if url.starts_with("ldap://") && !start_tls && !f.bind_dn.trim().is_empty() {
        errors.push(
            "『接続先』: ldap:// で StartTLS を使わないと、パスワードが平文でネットワークを流れます。ldaps:// にするか StartTLS を選んでください。"
                .to_owned(),
        );
    }
    let attributes = match toml::from_str::<AttributeMap>(&f.attributes) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(format!("『属性の対応付け』: {e}"));
            None
        }
    };
    let ca = f.ca_cert_pem.trim();
    if !ca.is_empty() && !ca.contains("-----BEGIN CERTIFICATE-----") {
        errors.push("『信頼する CA 証明書』: PEM 形式（-----BEGIN CERTIFICATE----- で始まる）で貼り付けてください。".to_owned());
    }
    let page_size = match f.page_size.trim() {
        "" => None,
        n => {
            match n.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push("『1回に受け取る件数』: 0 以上の整数で入力してください（0 はページ分割なし）。".to_owned());
                    None
                }
            }
        }
    };
    let Some(attributes) = attributes else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut cfg = DirectoryConfig::new(url, f.base_dn.trim(), attributes);
    cfg.start_tls = start_tls;
    cfg.bind_dn = f.bind_dn.trim().to_owned();
    if !f.filter.trim().is_empty() {
        cfg.filter = f.filter.trim().to_owned();
    }
    cfg.scope = if f.subtree.is_some() {
        SearchScope::Sub
    } else {
        SearchScope::One
    };
    cfg.ca_cert_pem = (!ca.is_empty()).then(|| ca.to_owned());
    if let Some(n) = page_size {
        cfg.page_size = n;
    }
    Ok(cfg)
}

fn preset(name: Option<&str>, base_dn: &str) -> Option<AttributeMap> {
    match name {
        Some("ad") => Some(AttributeMap::active_directory()),
        Some("openldap") => Some(AttributeMap::openldap(&format!("ou=groups,{base_dn}"))),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn settings_page(
    state: &AppState,
    ctx: &OrgCtx,
    list: String,
    back: String,
    system: Option<i64>,
    form: SettingsForm,
    stored: Option<&DirectorySource>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let status = super::form_status(errors.is_empty());
    let html = render(&SettingsPage {
        layout: Layout::org(
            state,
            ctx,
            &format!("{list}: LDAP・Active Directory から取り込む"),
            "nav.accounts",
        ),
        org: ctx.org.id.0,
        back,
        query: system.map_or_else(String::new, |id| format!("?system={id}")),
        list,
        form,
        has_password: stored.is_some_and(|s| !s.bind_password.is_empty()),
        updated: stored.map_or_else(String::new, |s| {
            format!("{}（{}）", jst(s.updated_at), s.updated_by)
        }),
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/accounts/directory?system=ID`: the settings of one system's source (or,
/// without `system`, of the roster's).
pub async fn settings(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<Target>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let (_, list, back) = list_of(&state, &ctx, q.system).await?;
    let o = ctx.org.clone();
    let scope = scope_of(q.system);
    let stored = state
        .db(move |c| Ok(directory_sources::get(c, &o, scope)?))
        .await?;
    let mut form = stored
        .as_ref()
        .map(form_of)
        .unwrap_or_else(|| SettingsForm {
            subtree: Some("1".to_owned()),
            attributes: attributes_toml(&AttributeMap::active_directory()),
            ..SettingsForm::default()
        });
    if let Some(map) = preset(q.preset.as_deref(), form.base_dn.trim()) {
        form.attributes = attributes_toml(&map);
    }
    settings_page(
        &state,
        &ctx,
        list,
        back,
        q.system,
        form,
        stored.as_ref(),
        Vec::new(),
    )
}

/// `POST /o/{org}/accounts/directory?system=ID`: saves the settings (audited; the password
/// only as "changed").
pub async fn save(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<Target>,
    axum::Form(f): axum::Form<SettingsForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (_, list, back) = list_of(&state, &ctx, q.system).await?;
    let scope = scope_of(q.system);
    let cfg = match config_of(&f) {
        Ok(cfg) => cfg,
        Err(errors) => {
            let o = ctx.org.clone();
            let stored = state
                .db(move |c| Ok(directory_sources::get(c, &o, scope)?))
                .await?;
            return settings_page(
                &state,
                &ctx,
                list,
                back,
                q.system,
                f,
                stored.as_ref(),
                errors,
            );
        }
    };
    let settings = toml::to_string(&cfg)
        .map_err(|e| AppError::Internal(format!("directory settings: {e}")))?;
    let password = if f.clear_password.is_some() {
        Some(String::new())
    } else {
        Some(f.bind_password.clone()).filter(|p| !p.is_empty())
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            directory_sources::save(c, &o, &actor, scope, &settings, password.as_deref())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!(
        "/o/{org}/accounts/directory{}",
        q.system
            .map_or_else(String::new, |id| format!("?system={id}"))
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct FetchForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /o/{org}/accounts/directory/fetch?system=ID`: reads the list from the directory
/// with the stored settings and shows the import preview; nothing is stored until it is
/// confirmed. A directory that cannot be read shows why (server, step, entry, attribute).
pub async fn fetch(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(q): Query<Target>,
    axum::Form(f): axum::Form<FetchForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (system, list, back) = list_of(&state, &ctx, q.system).await?;
    let o = ctx.org.clone();
    let scope = scope_of(q.system);
    let stored = state
        .db(move |c| Ok(directory_sources::get(c, &o, scope)?))
        .await?;
    let Some(src) = stored else {
        return Err(AppError::BadRequest(
            "LDAP の接続設定がまだありません。先に設定を保存してください。".to_owned(),
        ));
    };
    let mut cfg: DirectoryConfig = toml::from_str(&src.settings)
        .map_err(|e| AppError::Internal(format!("stored directory settings: {e}")))?;
    cfg.bind_password = src.bind_password.clone();
    let url = cfg.url.clone();
    let system_name = system.as_ref().map(|s| s.data.name.clone());
    let fetched = tokio::task::spawn_blocking(move || -> Result<StagedList, String> {
        match (system, system_name) {
            (Some(s), Some(name)) => {
                let rows =
                    anzen_directory::fetch_accounts(&cfg, &name).map_err(|e| e.to_string())?;
                let sha256 = hex::encode(Sha256::digest(
                    serde_json::to_vec(&rows).unwrap_or_default(),
                ));
                Ok(StagedList::Accounts {
                    source: "ldap",
                    file_name: url,
                    sha256,
                    systems: vec![(s.id, name, rows.iter().map(account_record).collect())],
                })
            }
            _ => {
                let rows = anzen_directory::fetch_staff(&cfg).map_err(|e| e.to_string())?;
                let sha256 = hex::encode(Sha256::digest(
                    serde_json::to_vec(&rows).unwrap_or_default(),
                ));
                Ok(StagedList::Staff {
                    source: "ldap",
                    file_name: url,
                    sha256,
                    rows: rows.iter().map(staff_record).collect(),
                })
            }
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("directory fetch: {e}")))?;
    match fetched {
        Ok(staged) => {
            let summary = staged.summary();
            let token = stage::put(ctx.org.id.0, &ctx.actor(), staged);
            import_page(&state, &ctx, Vec::new(), token, summary)
        }
        Err(why) => {
            tracing::warn!(org, %why, "directory fetch failed");
            let form = form_of(&src);
            settings_page(
                &state,
                &ctx,
                list,
                back,
                q.system,
                form,
                Some(&src),
                vec![format!("取り込めませんでした: {why}")],
            )
        }
    }
}
