//! Server-rendered pages. One module per area; templates in `crates/web/templates/`.

pub mod access_audit;
pub mod access_log;
pub mod access_monitoring;
pub mod account;
pub mod accounts;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod checklist;
pub mod directory;
pub mod findings;
pub mod governance;
pub mod incident;
pub mod inspection_pack;
pub mod org;
pub mod users;
pub mod vendors;

use anzen_core::Action;
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::ctx::{AnySession, OrgCtx};
use crate::i18n::T;
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(org::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/mfa", get(auth::mfa_page).post(auth::mfa))
        .route(
            "/mfa/setup",
            get(auth::mfa_setup_page).post(auth::mfa_setup),
        )
        .route("/mfa/passkey/start", post(crate::webauthn::auth_start))
        .route("/mfa/passkey/finish", post(crate::webauthn::auth_finish))
        .route("/lock", get(auth::lock_page).post(auth::unlock))
        .route("/lang", post(auth::set_lang))
        .route("/orgs", get(org::choose))
        .route("/account", get(account::page))
        .route(
            "/account/passkeys/register/start",
            post(crate::webauthn::register_start),
        )
        .route(
            "/account/passkeys/register/finish",
            post(crate::webauthn::register_finish),
        )
        .route(
            "/account/passkeys/{id}/remove",
            post(crate::webauthn::remove),
        )
        .route(
            "/account/password",
            get(account::password_page).post(account::change_password),
        )
        .route("/o/{org}/", get(org::dashboard))
        .route(
            "/o/{org}/profile",
            get(org::profile_page).post(org::save_profile),
        )
        .route("/o/{org}/users", get(users::list).post(users::add))
        .route("/o/{org}/users/{user}/role", post(users::set_role))
        .route("/o/{org}/users/{user}/reset", post(users::reset))
        .route("/o/{org}/users/{user}/remove", post(users::remove))
        .route("/o/{org}/audit", get(audit::page))
        .route("/o/{org}/checklist", get(checklist::page))
        .route("/o/{org}/checklist/start", post(checklist::start))
        .route("/o/{org}/checklist/answer", post(checklist::answer))
        .route(
            "/o/{org}/checklist/complete",
            get(checklist::complete_page).post(checklist::complete),
        )
        .route(
            "/o/{org}/checklist/overview",
            get(checklist::views::overview),
        )
        .route("/o/{org}/checklist/item", get(checklist::views::item))
        .route("/o/{org}/checklist/print", get(checklist::views::print))
        .route(
            "/o/{org}/checklist/evidence",
            post(checklist::evidence::upload)
                .layer(DefaultBodyLimit::max(checklist::evidence::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/checklist/evidence/{id}",
            get(checklist::evidence::download),
        )
        .route(
            "/o/{org}/checklist/evidence/{id}/withdraw",
            post(checklist::evidence::withdraw),
        )
        .route(
            "/o/{org}/checklist/import",
            get(checklist::import::form)
                .post(checklist::import::upload)
                .layer(DefaultBodyLimit::max(checklist::import::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/checklist/import/preview",
            post(checklist::import::preview),
        )
        .route(
            "/o/{org}/checklist/import/confirm",
            post(checklist::import::confirm),
        )
        .route("/o/{org}/checklist/vendors", get(checklist::vendor::page))
        .route(
            "/o/{org}/checklist/vendors/request",
            post(checklist::vendor::request),
        )
        .route("/o/{org}/checklist/export.csv", get(checklist::export_csv))
        .route(
            "/o/{org}/checklist/export.xlsx",
            get(checklist::export_xlsx),
        )
        .route("/o/{org}/assets", get(assets::list).post(assets::create))
        .route("/o/{org}/assets/new", get(assets::new_form))
        .route("/o/{org}/assets/check", post(assets::check))
        .route("/o/{org}/assets/review", post(assets::review))
        .route(
            "/o/{org}/assets/import",
            get(assets::import_form)
                .post(assets::import_upload)
                .layer(DefaultBodyLimit::max(assets::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/assets/import/confirm",
            post(assets::import_confirm),
        )
        .route(
            "/o/{org}/assets/{id}",
            get(assets::edit_form).post(assets::update),
        )
        .route("/o/{org}/assets/files/{file}", get(assets::template))
        .route("/o/{org}/accounts", get(accounts::list))
        .route("/o/{org}/accounts/systems", post(accounts::create_system))
        .route(
            "/o/{org}/accounts/systems/{id}",
            get(accounts::system).post(accounts::update_system),
        )
        .route(
            "/o/{org}/accounts/systems/{id}/policy",
            post(accounts::set_policy),
        )
        .route(
            "/o/{org}/accounts/systems/{id}/review",
            post(accounts::sign_review),
        )
        .route(
            "/o/{org}/accounts/systems/{id}/assets",
            post(accounts::set_assets),
        )
        .route(
            "/o/{org}/accounts/import",
            get(accounts::import_form)
                .post(accounts::import_upload)
                .layer(DefaultBodyLimit::max(accounts::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/accounts/import/confirm",
            post(accounts::import_confirm),
        )
        .route("/o/{org}/accounts/files/{file}", get(accounts::template))
        .route(
            "/o/{org}/accounts/policy/{file}",
            get(accounts::policy_export),
        )
        .route("/o/{org}/accounts/changes", get(accounts::changes))
        .route(
            "/o/{org}/accounts/directory",
            get(directory::settings).post(directory::save),
        )
        .route("/o/{org}/accounts/directory/fetch", post(directory::fetch))
        .merge(vendor_routes())
        .route("/o/{org}/access-log", get(access_log::search))
        .route("/o/{org}/access-log/audit", get(access_audit::audit_page))
        .route(
            "/o/{org}/access-log/audit/print",
            get(access_audit::audit_print),
        )
        .route(
            "/o/{org}/access-log/audit.xlsx",
            get(access_audit::audit_xlsx),
        )
        .route(
            "/o/{org}/access-log/audit/sign",
            post(access_audit::audit_sign),
        )
        .route(
            "/o/{org}/access-log/monitoring",
            get(access_monitoring::settings_page).post(access_monitoring::save_settings),
        )
        .route(
            "/o/{org}/access-log/quarantine",
            get(access_log::quarantine),
        )
        .route(
            "/o/{org}/access-log/import",
            post(access_log::import_upload).layer(DefaultBodyLimit::max(access_log::BODY_LIMIT)),
        )
        .route("/o/{org}/access-log/{file}", get(access_log::export))
        .route("/o/{org}/findings", get(findings::list))
        .route("/o/{org}/findings/{id}", post(findings::track))
        .route("/o/{org}/tokens", post(account::create_token))
        .route("/o/{org}/tokens/{id}/revoke", post(account::revoke_token))
        .merge(incident::routes())
        .route("/o/{org}/inspection-pack", get(inspection_pack::page))
        .route(
            "/o/{org}/inspection-pack/export.xlsx",
            get(inspection_pack::xlsx),
        )
        .route(
            "/o/{org}/inspection-pack/print",
            get(inspection_pack::print),
        )
        .merge(governance_routes())
}

/// 運用管理: the 運用管理規程, training sessions and the 年度 PDCA calendar.
fn governance_routes() -> Router<AppState> {
    Router::new()
        .route("/o/{org}/governance", get(governance::calendar_page))
        .route(
            "/o/{org}/governance/policy",
            get(governance::policy).post(governance::save_policy),
        )
        .route(
            "/o/{org}/governance/policy/generate",
            post(governance::generate_policy),
        )
        .route(
            "/o/{org}/governance/policy/approve",
            post(governance::approve_policy),
        )
        .route(
            "/o/{org}/governance/policy/review",
            post(governance::review_policy),
        )
        .route(
            "/o/{org}/governance/policy/print",
            get(governance::print_policy),
        )
        .route(
            "/o/{org}/governance/training",
            get(governance::training).post(governance::create_training),
        )
        .route(
            "/o/{org}/governance/training/{id}",
            get(governance::session).post(governance::update_session),
        )
        .route(
            "/o/{org}/governance/training/{id}/text",
            get(governance::download_text)
                .post(governance::upload_text)
                .layer(DefaultBodyLimit::max(governance::BODY_LIMIT)),
        )
}

/// 事業者管理 and the vendor's own view.
fn vendor_routes() -> Router<AppState> {
    Router::new()
        .route("/o/{org}/vendors", get(vendors::list).post(vendors::create))
        .route("/o/{org}/vendors/matrix", get(vendors::matrix))
        .route(
            "/o/{org}/vendors/matrix/{system}",
            post(vendors::save_matrix),
        )
        .route(
            "/o/{org}/vendors/matrix/{system}/print",
            get(vendors::matrix_print),
        )
        .route(
            "/o/{org}/vendors/matrix/{system}/accept/{row}",
            post(vendors::accept_row),
        )
        .route("/o/{org}/vendors/export.xlsx", get(vendors::export_xlsx))
        .route(
            "/o/{org}/vendors/{id}",
            get(vendors::detail).post(vendors::update),
        )
        .route("/o/{org}/vendors/{id}/add/{part}", post(vendors::add_part))
        .route(
            "/o/{org}/vendors/{id}/edit/{part}/{row}",
            get(vendors::edit_part_page).post(vendors::edit_part),
        )
        .route(
            "/o/{org}/vendors/{id}/remove/{part}/{row}",
            post(vendors::remove_part),
        )
        .route("/o/{org}/vendors/{id}/links", post(vendors::set_links))
        .route(
            "/o/{org}/vendors/{id}/gl2",
            get(vendors::gl2::page).post(vendors::gl2::save),
        )
        .route(
            "/o/{org}/vendors/{id}/documents",
            post(vendors::upload_doc).layer(DefaultBodyLimit::max(vendors::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/vendors/{id}/documents/{doc}",
            get(vendors::download_doc),
        )
        .route(
            "/o/{org}/vendors/{id}/documents/{doc}/withdraw",
            post(vendors::withdraw_doc),
        )
        .route("/o/{org}/clients", get(vendors::shared::clients))
        .route("/o/{org}/clients/{id}", get(vendors::shared::page))
        .route(
            "/o/{org}/clients/{id}/documents",
            post(vendors::shared::upload).layer(DefaultBodyLimit::max(vendors::BODY_LIMIT)),
        )
        .route(
            "/o/{org}/clients/{id}/documents/{doc}",
            get(vendors::shared::download),
        )
        .route(
            "/o/{org}/clients/{id}/accept/{row}",
            post(vendors::shared::accept),
        )
}

/// A link in the navigation bar.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame needs: language, the user, the organisation, CSRF token,
/// idle-lock timeout and the navigation the user's role allows.
pub struct Layout {
    pub t: T,
    pub title: String,
    pub user: Option<String>,
    pub org_name: Option<String>,
    pub csrf: String,
    pub idle_secs: u64,
    pub nav: Vec<NavItem>,
    pub several_orgs: bool,
    pub flash: Option<String>,
}

impl Layout {
    /// Frame for pages before sign-in completes (no navigation).
    pub fn bare(t: T, title: &str) -> Layout {
        Layout {
            t,
            title: title.to_owned(),
            user: None,
            org_name: None,
            csrf: String::new(),
            idle_secs: 0,
            nav: Vec::new(),
            several_orgs: false,
            flash: None,
        }
    }

    /// Frame for a signed-in user outside an organisation.
    pub fn user(state: &AppState, s: &AnySession, title: &str) -> Layout {
        Layout {
            t: s.t,
            title: title.to_owned(),
            user: Some(s.user.display_name.clone()),
            org_name: None,
            csrf: s.session.csrf_token.clone(),
            idle_secs: state.config.session_idle.as_secs(),
            nav: Vec::new(),
            several_orgs: true,
            flash: None,
        }
    }

    /// Frame inside an organisation; `current` is the nav key of this page.
    pub fn org(state: &AppState, ctx: &OrgCtx, title: &str, current: &str) -> Layout {
        let t = ctx.auth.t;
        let base = format!("/o/{}", ctx.org.id.0);
        let mut nav = Vec::new();
        let mut item = |key: &'static str, path: &str, action: Action| {
            if ctx.role.can(action) {
                nav.push(NavItem {
                    href: format!("{base}{path}"),
                    label: t.s(key),
                    current: key == current,
                });
            }
        };
        item("nav.dashboard", "/", Action::ViewOrg);
        item("nav.checklist", "/checklist", Action::ReadRecords);
        item("nav.findings", "/findings", Action::ReadRecords);
        item("nav.assets", "/assets", Action::ReadRecords);
        item("nav.accounts", "/accounts", Action::ReadRecords);
        if ctx.org.profile.kind == anzen_core::OrgKind::SystemVendor {
            item("nav.clients", "/clients", Action::ReadRecords);
        } else {
            item("nav.vendors", "/vendors", Action::ReadRecords);
            item("nav.incident", "/incident", Action::ReadRecords);
            item("nav.access_log", "/access-log", Action::ReadAudit);
        }
        if ctx.org.profile.kind != anzen_core::OrgKind::SystemVendor {
            item("nav.inspection_pack", "/inspection-pack", Action::Export);
        }
        item("nav.governance", "/governance", Action::ReadRecords);
        item("nav.profile", "/profile", Action::ReadRecords);
        item("nav.users", "/users", Action::ManageUsers);
        item("nav.audit", "/audit", Action::ReadAudit);
        Layout {
            t,
            title: title.to_owned(),
            user: Some(ctx.auth.user.display_name.clone()),
            org_name: Some(ctx.org.profile.name.clone()),
            csrf: ctx.auth.session.csrf_token.clone(),
            idle_secs: state.config.session_idle.as_secs(),
            nav,
            several_orgs: ctx.memberships.len() > 1,
            flash: None,
        }
    }
}

/// Renders an askama template into an HTML response.
/// 200 for a page, 422 when it shows errors of what the user submitted.
pub fn form_status(ok: bool) -> axum::http::StatusCode {
    if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A download: the body with its type and file name (ASCII names).
pub fn attachment(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub fn render<Tpl: Template>(tpl: &Tpl) -> Result<Response, AppError> {
    tpl.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

/// Formats microseconds since the epoch as JST `YYYY-MM-DD HH:MM:SS`.
pub fn jst(us: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(us) else {
        return String::from("-");
    };
    ts.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Today's date in Japan.
pub fn today_jst() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
        .date()
}
