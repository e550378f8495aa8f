//! Security headers on every response, and the embedded static files (no inline script:
//! the CSP forbids it).

use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Refuses state-changing browser requests that come from another site (defence in depth
/// beside the per-session CSRF token; it also covers the sign-in form, which has no session
/// yet). API calls carry a bearer token, not cookies, and are exempt.
fn cross_site(req: &Request) -> bool {
    if req.method().is_safe() || req.uri().path().starts_with("/api/") {
        return false;
    }
    let h = req.headers();
    // Browsers that send Fetch Metadata say it directly; `none` is a user-typed navigation.
    match h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site") => return true,
        Some("same-origin") | Some("none") => return false,
        _ => {}
    }
    match (
        h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        h.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        _ => false,
    }
}

pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = if cross_site(&req) {
        crate::AppError::Csrf.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        // `same-origin`, not `no-referrer`: with `no-referrer` Chromium sends `Origin: null`
        // on same-origin form posts, which the cross-site check must refuse.
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const WEBAUTHN_JS: &str = include_str!("../static/webauthn.js");

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "webauthn.js" => (WEBAUTHN_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(origin: Option<&str>, path: &str) -> Request {
        let mut b = axum::http::Request::builder()
            .method("POST")
            .uri(path)
            .header("host", "127.0.0.1:8080");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(Body::empty()).expect("request")
    }

    #[test]
    fn cross_site_posts_are_detected() {
        assert!(!cross_site(&post(None, "/login")));
        assert!(!cross_site(&post(Some("http://127.0.0.1:8080"), "/login")));
        assert!(cross_site(&post(Some("https://evil.example"), "/login")));
        assert!(cross_site(&post(Some("null"), "/login")));
        let with_site = |site: &str, origin: &str| {
            let mut r = post(Some(origin), "/login");
            r.headers_mut().insert(
                "sec-fetch-site",
                HeaderValue::from_str(site).expect("header"),
            );
            r
        };
        assert!(!cross_site(&with_site(
            "same-origin",
            "http://127.0.0.1:8080"
        )));
        assert!(cross_site(&with_site(
            "cross-site",
            "http://127.0.0.1:8080"
        )));
        assert!(cross_site(&with_site("same-site", "https://other.example")));
        assert!(!cross_site(&post(
            Some("https://evil.example"),
            "/api/v1/org"
        )));
    }
}
