//! Reading a multipart form (a file and a few text fields) for the upload pages: evidence,
//! checklist editions, the asset ledger, account lists. One place decides the Japanese
//! messages for unreadable and too-large uploads.

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::http::StatusCode;

use crate::AppError;

/// The uploaded file.
pub struct UploadedFile {
    /// The name the browser sent, as is (clean it before storing).
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A multipart form: its text fields and the field named `file`.
pub struct Uploaded {
    pub fields: HashMap<String, String>,
    pub file: Option<UploadedFile>,
}

impl Uploaded {
    /// A text field, empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Reads the whole form; `max_bytes` names the limit in the too-large message (the route's
/// body limit enforces it).
pub async fn read(mut mp: Multipart, max_bytes: usize) -> Result<Uploaded, AppError> {
    let too_large = || {
        AppError::BadRequest(format!(
            "ファイルが大きすぎます（上限 {} MB）。",
            max_bytes / 1024 / 1024
        ))
    };
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::BadRequest(format!("アップロードを読み取れません: {e}"))
        }
    };
    let mut out = Uploaded {
        fields: HashMap::new(),
        file: None,
    };
    while let Some(field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            out.file = Some(UploadedFile {
                name: file_name,
                content_type,
                bytes,
            });
        } else {
            let text = field.text().await.map_err(unreadable)?;
            out.fields.insert(name, text);
        }
    }
    Ok(out)
}
