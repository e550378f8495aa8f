//! anzen-web — the HTTP server: Japanese-first server-rendered pages, the JSON API under
//! `/api/v1`, authentication and the security headers. Thin by design: handlers check
//! permission, call the store and rules, and render.

pub mod account_files;
mod api;
pub mod assets_export;
mod auth;
pub mod checklist_export;
pub mod checks;
mod ctx;
mod error;
mod i18n;
pub mod inspection_pack;
mod metrics;
mod pages;
pub mod policy_file;
mod security;
mod stage;
mod upload;
mod webauthn;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anzen_core::password::PasswordPolicy;
use anzen_store::ledger::Checkpointer;
use anzen_store::{Conn, Store, StoreError};
use axum::Router;
use axum::routing::{get, post};

pub use api::openapi_json;
pub use auth::hash_password;
pub use error::AppError;
/// The monthly access-log 監査 report (for the demo and the CLI).
pub use pages::access_audit;
pub use pages::today_jst;

/// Settings of the web server (the `[web]` part of the config file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Inactivity after which the screen locks (default 15 minutes, guideline 画面ロック).
    pub session_idle: Duration,
    /// Absolute session lifetime, whatever the activity (default 12 hours).
    pub session_absolute: Duration,
    /// Set the Secure flag on cookies. True when serving HTTPS or behind a TLS proxy.
    pub cookie_secure: bool,
    /// Failed attempts (password or second factor) before the account locks.
    pub lockout_threshold: i64,
    pub lockout_duration: Duration,
    /// Sign-in attempts allowed per client address per minute.
    pub login_rate_per_minute: usize,
    pub password_policy: PasswordPolicy,
    /// Shown in authenticator apps.
    pub totp_issuer: String,
    /// WebAuthn relying-party id for passkeys: the host name browsers open anzen at
    /// (e.g. `anzen.example-clinic.jp`). Passkeys are bound to it; changing it makes the
    /// registered passkeys unusable. None (default): passkeys work only when the browser
    /// opens anzen at `localhost` (the id is then `localhost`, taken from the request);
    /// on any other host they are unavailable until this is set. WebAuthn needs a secure
    /// context: HTTPS, or `http://localhost`.
    pub webauthn_rp_id: Option<String>,
    /// The exact origin browsers use with `webauthn_rp_id`, scheme and port included
    /// (e.g. `https://anzen.example-clinic.jp:8443`). None (default): `https://` + the
    /// relying-party id; for `localhost`, the request's own scheme and Host.
    pub webauthn_origin: Option<String>,
}

impl WebConfig {
    /// `(failed attempts before locking, lock duration in µs)` as the store records them.
    pub fn lockout(&self) -> (i64, i64) {
        (
            self.lockout_threshold,
            i64::try_from(self.lockout_duration.as_micros()).unwrap_or(i64::MAX),
        )
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            session_idle: Duration::from_secs(15 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            cookie_secure: false,
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            login_rate_per_minute: 20,
            password_policy: PasswordPolicy::default(),
            totp_issuer: "anzen".to_owned(),
            webauthn_rp_id: None,
            webauthn_origin: None,
        }
    }
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    limiter: Arc<auth::RateLimiter>,
    metrics: Arc<metrics::Metrics>,
    /// Signs ledger checkpoints on demand (the inspection pack). `serve` passes the one of
    /// its background task; None: the pack shows the latest stored checkpoint instead.
    pub checkpointer: Option<Checkpointer>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        let limiter = auth::RateLimiter::new(config.login_rate_per_minute);
        AppState {
            store,
            config: Arc::new(config),
            limiter: Arc::new(limiter),
            metrics: Arc::new(metrics::Metrics::default()),
            checkpointer: None,
        }
    }

    /// Lets pages sign checkpoints with the installation's key.
    pub fn with_checkpointer(mut self, checkpointer: Checkpointer) -> Self {
        self.checkpointer = Some(checkpointer);
        self
    }

    /// Runs blocking database work off the async runtime.
    pub(crate) async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.conn().map_err(AppError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(format!("worker failed: {e}")))?
    }

    /// Like [`AppState::db`] but inside one transaction.
    pub(crate) async fn tx<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        self.db(move |c| c.transaction(f)).await
    }
}

/// A feed the user gave that cannot be read is theirs to fix; broken shipped tables are ours.
impl From<checks::CheckError> for AppError {
    fn from(e: checks::CheckError) -> Self {
        match e {
            checks::CheckError::BadFeed(m) => AppError::BadRequest(m),
            checks::CheckError::Tables(m) => AppError::Internal(m),
            checks::CheckError::Store(e) => e.into(),
            checks::CheckError::AccessLog(e) => match e {
                anzen_accesslog::AccessLogError::Input(m) => AppError::BadRequest(m),
                anzen_accesslog::AccessLogError::Store(s) => s.into(),
                other => AppError::Internal(other.to_string()),
            },
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Conflict(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .route("/static/{file}", get(security::static_file))
        .route("/session/ping", post(pages::auth::ping))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, AppError> {
    state
        .db(|c| {
            c.query("SELECT 1", &[])?;
            Ok(())
        })
        .await?;
    Ok("ready")
}

/// Serves plain HTTP on an already bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
