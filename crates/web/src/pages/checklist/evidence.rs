//! 証跡 — evidence files on checklist items: upload (multipart), download, withdraw.
//!
//! Files are stored content-addressed and versioned by the store; nothing is deleted. A
//! download is always served as an attachment with the stored type, so an uploaded HTML
//! file can never run in anzen's origin.

use anzen_core::calendar::FiscalYear;
use anzen_core::{Action, OrgId};
use anzen_store::assessments;
use anzen_store::evidence::{self, EvidenceFile, Upload};
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::{checklist_url, client_scope, edition_for, org_catalog, parse_fy};
use crate::ctx::Authed;
use crate::pages::jst;
use crate::{AppError, AppState, upload};

/// Largest evidence file accepted (the route's body limit is a little above it).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Body limit of the upload route: the file plus the form fields.
pub const BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;
const MAX_NAME_CHARS: usize = 120;

/// One file as listed under its item.
pub struct EvidenceView {
    pub id: i64,
    pub file_name: String,
    pub version: i64,
    pub size: String,
    pub sha256: String,
    pub sha_short: String,
    pub uploaded: String,
    pub note: String,
    pub current: bool,
    pub withdrawn: String,
}

impl EvidenceView {
    pub fn of(f: &EvidenceFile) -> EvidenceView {
        EvidenceView {
            id: f.id,
            file_name: f.file_name.clone(),
            version: f.version,
            size: size_label(f.size),
            sha256: f.sha256.clone(),
            sha_short: f.sha256.chars().take(12).collect(),
            uploaded: format!("{}（{}）", jst(f.uploaded_at), f.uploaded_by),
            note: f.note.clone().unwrap_or_default(),
            current: f.is_current(),
            withdrawn: match (f.withdrawn_at, &f.withdrawn_by) {
                (Some(t), Some(by)) => format!(
                    "{}に{}が取り下げ（理由: {}）",
                    jst(t),
                    by,
                    f.withdrawn_reason.as_deref().unwrap_or("-")
                ),
                _ => String::new(),
            },
        }
    }
}

/// `12 KB`, `3.4 MB`.
pub fn size_label(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    // Sizes are far below 2^53, where i64 → f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

/// The file name as stored: the last path component, without control characters,
/// trimmed to [`MAX_NAME_CHARS`].
pub fn clean_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty() && cleaned != "." && cleaned != "..").then_some(cleaned)
}

/// The stored content type: the browser's when it looks like `type/subtype`, else
/// `application/octet-stream`.
pub fn clean_content_type(raw: Option<&str>) -> String {
    let ok = raw.is_some_and(|t| {
        let t = t.trim();
        t.len() <= 100
            && t.split_once('/').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c))
            })
    });
    match raw {
        Some(t) if ok => t.trim().to_ascii_lowercase(),
        _ => "application/octet-stream".to_owned(),
    }
}

/// `Content-Disposition` for a download, with the UTF-8 name (RFC 6266 / 5987) and an
/// ASCII fallback.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, NON_ALPHANUMERIC)
    )
}

#[derive(Default)]
struct UploadForm {
    csrf: String,
    fy: Option<String>,
    item: String,
    note: String,
    client: Option<i64>,
    file_name: Option<String>,
    content_type: Option<String>,
    content: Vec<u8>,
}

async fn read_upload(mp: Multipart) -> Result<UploadForm, AppError> {
    let mut up = upload::read(mp, MAX_FILE_BYTES).await?;
    let file = up.file.take();
    Ok(UploadForm {
        csrf: up.field("csrf").to_owned(),
        fy: up.fields.get("fy").cloned(),
        item: up.field("item").to_owned(),
        note: up.field("note").to_owned(),
        client: up.field("client").trim().parse().ok(),
        file_name: file.as_ref().and_then(|f| f.name.clone()),
        content_type: file.as_ref().and_then(|f| f.content_type.clone()),
        content: file.map(|f| f.bytes).unwrap_or_default(),
    })
}

/// `POST /o/{org}/checklist/evidence` (multipart: csrf, fy, item, file, note): attaches a
/// file to an item of the 年度's draft.
pub async fn upload(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let f = read_upload(mp).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let fy = parse_fy(f.fy.as_deref())?;
    let client = client_scope(&state, &ctx, fy, f.client)
        .await?
        .map(|c| c.id);
    let cat = org_catalog(&state, &ctx.org).await?;
    let edition = edition_for(&cat, &ctx.org, fy)?;
    let Some(pos) = edition.items.iter().position(|i| i.id.as_str() == f.item) else {
        return Err(AppError::BadRequest(format!(
            "項目「{}」はこの年度のチェックリストにありません。",
            f.item
        )));
    };
    let Some(file_name) = f.file_name.as_deref().and_then(clean_file_name) else {
        return Err(AppError::BadRequest(
            "証跡のファイルを選んでください。".to_owned(),
        ));
    };
    if f.content.is_empty() {
        return Err(AppError::BadRequest(format!(
            "ファイル「{file_name}」は空です（0バイト）。"
        )));
    }
    if f.content.len() > MAX_FILE_BYTES {
        return Err(AppError::BadRequest(format!(
            "ファイル「{file_name}」は大きすぎます（上限 {} MB）。",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let content_type = clean_content_type(f.content_type.as_deref());
    let note: String = f.note.trim().chars().take(500).collect();
    let (o, actor, form_code, item) = (
        ctx.org.clone(),
        ctx.actor(),
        edition.form.code(),
        f.item.clone(),
    );
    let content = f.content;
    state
        .tx(move |c| {
            let a = assessments::current_for(c, o.id.0, fy.0, form_code, client)?
                .filter(|a| !a.is_completed())
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "証跡を添付できる回答中のチェックリストがありません。".to_owned(),
                    )
                })?;
            evidence::attach(
                c,
                &o,
                &actor,
                &a,
                &Upload {
                    item_id: &item,
                    file_name: &file_name,
                    content_type: &content_type,
                    content: &content,
                    note: (!note.is_empty()).then_some(note.as_str()),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!(
        "{}#item-{}",
        checklist_url(org, fy, client),
        pos + 1
    ))
    .into_response())
}

/// `GET /o/{org}/checklist/evidence/{id}`: the file, as an attachment. Withdrawn files
/// stay downloadable (they are part of the record).
pub async fn download(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (file, body) = state
        .db(move |c| {
            let (_, file) = evidence::find(c, &o, id)?.ok_or(AppError::NotFound)?;
            let body = evidence::content(c, &o, &file)?;
            Ok((file, body))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&file.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fy: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /o/{org}/checklist/evidence/{id}/withdraw`: the file stops counting as evidence
/// (kept, with who withdrew it and why).
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<WithdrawForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&form.csrf)?;
    ctx.require(Action::EditRecords)?;
    let fy: FiscalYear = parse_fy(form.fy.as_deref())?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let reason: String = form.reason.trim().chars().take(500).collect();
    let client = state
        .tx(move |c| {
            let (a, _) = evidence::find(c, &o, id)?.ok_or(AppError::NotFound)?;
            evidence::withdraw(c, &o, &actor, &a, id, &reason)?;
            Ok(a.client_org_id)
        })
        .await?;
    Ok(Redirect::to(&checklist_url(org, fy, client)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\yamada\\台帳 2025.xlsx").as_deref(),
            Some("台帳 2025.xlsx")
        );
        assert_eq!(
            clean_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(clean_file_name("a\u{0}b\n.pdf").as_deref(), Some("ab.pdf"));
        assert_eq!(clean_file_name("dir/"), None);
        assert_eq!(clean_file_name(".."), None);
    }

    #[test]
    fn content_types_are_kept_only_when_well_formed() {
        assert_eq!(
            clean_content_type(Some("application/PDF")),
            "application/pdf"
        );
        assert_eq!(
            clean_content_type(Some("text/html\r\nX-Evil: 1")),
            "application/octet-stream"
        );
        assert_eq!(clean_content_type(None), "application/octet-stream");
    }

    #[test]
    fn downloads_carry_the_utf8_name() {
        assert_eq!(
            content_disposition("台帳.pdf"),
            "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E5%8F%B0%E5%B8%B3%2Epdf"
        );
        assert_eq!(size_label(1536), "2 KB");
        assert_eq!(size_label(3 * 1024 * 1024 + 400 * 1024), "3.4 MB");
    }
}
