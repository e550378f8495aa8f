//! The one place where errors become HTTP responses (HTML for pages, JSON for the API).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Not signed in (or session over): go to the sign-in page.
    #[error("sign-in required")]
    SignIn,
    /// The flow must continue elsewhere (second factor, screen lock, forced password change).
    #[error("redirect to {0}")]
    Redirect(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("too many requests")]
    TooManyRequests,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::SignIn => StatusCode::UNAUTHORIZED,
            AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::SignIn => "unauthenticated",
            AppError::Redirect(_) => "redirect",
            AppError::BadRequest(_) => "bad_request",
            AppError::Csrf => "csrf",
            AppError::TooManyRequests => "rate_limited",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Internal(_) => "internal",
        }
    }

    /// User-facing Japanese message (internal details stay in the log).
    pub fn message_ja(&self) -> String {
        match self {
            AppError::NotFound => "ページが見つかりません。".into(),
            AppError::Forbidden => "この操作を行う権限がありません。".into(),
            AppError::SignIn => "ログインしてください。".into(),
            AppError::Redirect(_) => "移動します。".into(),
            AppError::BadRequest(m) => m.clone(),
            AppError::Csrf => {
                "フォームの有効期限が切れました。ページを再読み込みしてやり直してください。".into()
            }
            AppError::TooManyRequests => {
                "試行回数が多すぎます。しばらく待ってからやり直してください。".into()
            }
            AppError::MethodNotAllowed => "このメソッドは使用できません。".into(),
            AppError::Internal(_) => "内部エラーが発生しました。管理者に連絡してください。".into(),
        }
    }

    /// JSON body `{ "error": { "code": …, "message": … } }` for the API.
    pub fn into_json_response(self) -> Response {
        if let AppError::Internal(m) = &self {
            tracing::error!(error = %m, "internal error");
        }
        let body =
            serde_json::json!({ "error": { "code": self.code(), "message": self.message_ja() } });
        let status = match self {
            AppError::Redirect(_) => StatusCode::UNAUTHORIZED,
            ref e => e.status(),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignIn => Redirect::to("/login").into_response(),
            AppError::Redirect(to) => Redirect::to(&to).into_response(),
            other => {
                if let AppError::Internal(m) = &other {
                    tracing::error!(error = %m, "internal error");
                }
                let status = other.status();
                let msg = html_escape(&other.message_ja());
                let body = format!(
                    "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
                     <title>エラー — anzen</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
                     <body><main class=\"narrow\"><h1>{} {}</h1><p role=\"alert\">{msg}</p>\
                     <p><a href=\"/\">トップへ戻る</a></p></main></body></html>",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                );
                (status, Html(body)).into_response()
            }
        }
    }
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
