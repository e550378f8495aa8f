//! 監査ログ — the audit trail page: filter the organisation's ledger entries, see the
//! latest signed checkpoint.

use anzen_core::{Action, OrgId};
use anzen_store::ledger::{self, EntryQuery};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Layout, jst, render};
use crate::ctx::Authed;
use crate::{AppError, AppState};

pub struct EntryRow {
    pub index: u64,
    pub time: String,
    pub author: String,
    pub kind: String,
    pub payload: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<EntryRow>,
    kind: String,
    author: String,
    size: u64,
    checkpoint: Option<String>,
    /// Latest `anzen verify` result: (time, ok, entries, summary).
    verification: Option<(String, bool, u64, String)>,
    page: u64,
    has_next: bool,
    org: i64,
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    page: u64,
}

const PAGE: u64 = 100;

pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    Query(f): Query<Filter>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    let q = EntryQuery {
        kind_prefix: Some(f.kind.trim().to_owned()).filter(|s| !s.is_empty()),
        author: Some(f.author.trim().to_owned()).filter(|s| !s.is_empty()),
        from_us: None,
        to_us: None,
        limit: PAGE + 1,
        offset: f.page * PAGE,
    };
    let org_id = ctx.org.id;
    let (entries, size, checkpoint, verification) = state
        .db(move |c| {
            Ok((
                ledger::list(c, org_id, &q)?,
                ledger::size(c, org_id)?,
                ledger::latest_checkpoint(c, org_id)?,
                ledger::latest_verification(c, org_id)?,
            ))
        })
        .await?;
    let has_next = entries.len() as u64 > PAGE;
    let rows = entries
        .into_iter()
        .take(PAGE as usize)
        .map(|e| EntryRow {
            index: e.index,
            time: jst(e.time_us),
            author: e.author,
            kind: e.kind,
            payload: String::from_utf8_lossy(&e.payload).into_owned(),
        })
        .collect();
    let t = ctx.auth.t;
    render(&AuditPage {
        layout: Layout::org(&state, &ctx, t.s("audit.title"), "nav.audit"),
        rows,
        kind: f.kind,
        author: f.author,
        size,
        checkpoint,
        verification: verification.map(|(at, ok, n, summary)| (jst(at), ok, n, summary)),
        page: f.page,
        has_next,
        org,
    })
}
