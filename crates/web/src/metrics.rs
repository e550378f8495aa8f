//! Prometheus metrics at `/metrics` (text exposition format). A handful of counters
//! operators actually alert on; no client library needed for that.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub server_errors: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
    pub mfa_failed: AtomicU64,
    pub rate_limited: AtomicU64,
}

pub async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    if res.status().is_server_error() {
        state.metrics.server_errors.fetch_add(1, Ordering::Relaxed);
    }
    res
}

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut out = String::new();
    for (name, help, v) in [
        (
            "anzen_http_requests_total",
            "HTTP requests served",
            &m.requests,
        ),
        (
            "anzen_http_server_errors_total",
            "HTTP responses with status 5xx",
            &m.server_errors,
        ),
        (
            "anzen_logins_total",
            "Successful password sign-ins",
            &m.logins_ok,
        ),
        (
            "anzen_login_failures_total",
            "Failed password sign-ins",
            &m.logins_failed,
        ),
        (
            "anzen_mfa_failures_total",
            "Failed second-factor checks",
            &m.mfa_failed,
        ),
        (
            "anzen_rate_limited_total",
            "Requests refused by the sign-in rate limit",
            &m.rate_limited,
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            v.load(Ordering::Relaxed)
        ));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
