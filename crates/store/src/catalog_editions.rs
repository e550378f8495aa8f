//! Checklist editions an organisation imported from an official MHLW workbook, kept in the
//! catalog's TOML data format. The store does not parse them: the checklist code builds its
//! catalog from the built-in editions plus these.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// One imported edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEdition {
    pub id: i64,
    pub fiscal_year: i32,
    /// Catalog form code.
    pub form: String,
    /// The edition in the catalog's TOML format.
    #[serde(skip)]
    pub toml: String,
    /// The workbook it was imported from.
    pub file_name: String,
    /// SHA-256 of the workbook, hex.
    pub source_sha256: String,
    pub imported_at: i64,
    pub imported_by: String,
}

/// What to store.
#[derive(Debug, Clone)]
pub struct NewEdition<'a> {
    pub fiscal_year: i32,
    pub form: &'a str,
    pub toml: &'a str,
    pub file_name: &'a str,
    pub source_sha256: &'a str,
    /// How many items the edition has (recorded in the ledger).
    pub items: usize,
}

fn from_row(r: &Row) -> Result<StoredEdition, StoreError> {
    let fy = r.i64(1)?;
    Ok(StoredEdition {
        id: r.i64(0)?,
        fiscal_year: i32::try_from(fy)
            .map_err(|_| StoreError::Decode(format!("fiscal year {fy} out of range")))?,
        form: r.string(2)?,
        toml: r.string(3)?,
        file_name: r.string(4)?,
        source_sha256: r.string(5)?,
        imported_at: r.i64(6)?,
        imported_by: r.string(7)?,
    })
}

#[derive(Serialize)]
struct ImportEvent<'a> {
    edition: &'a StoredEdition,
    items: usize,
    /// SHA-256 of the stored TOML, hex.
    toml_sha256: String,
}

/// Stores an imported edition, audited. Conflict when the organisation already has an
/// imported edition of that 年度 and form.
pub fn insert(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    new: &NewEdition<'_>,
) -> Result<StoredEdition, StoreError> {
    let exists = conn.query_opt(
        "SELECT id FROM catalog_editions WHERE org_id = $1 AND fiscal_year = $2 AND form = $3",
        params![org.id.0, new.fiscal_year, new.form],
    )?;
    if exists.is_some() {
        return Err(StoreError::Conflict(format!(
            "{}年度のこの様式はすでに取り込まれています。",
            new.fiscal_year
        )));
    }
    let id = conn
        .query_one(
            "INSERT INTO catalog_editions (org_id, fiscal_year, form, toml, file_name, \
             source_sha256, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
            params![
                org.id.0,
                new.fiscal_year,
                new.form,
                new.toml,
                new.file_name,
                new.source_sha256,
                now_us(),
                actor
            ],
        )?
        .i64(0)?;
    let stored = list(conn, org)?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("catalog edition {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        "catalog.import",
        &ImportEvent {
            edition: &stored,
            items: new.items,
            toml_sha256: hex::encode(Sha256::digest(new.toml.as_bytes())),
        },
    )?;
    Ok(stored)
}

/// The organisation's imported editions, by 年度 and form.
pub fn list(conn: &mut Conn, org: &Org) -> Result<Vec<StoredEdition>, StoreError> {
    conn.query(
        "SELECT id, fiscal_year, form, toml, file_name, source_sha256, imported_at, imported_by \
         FROM catalog_editions WHERE org_id = $1 ORDER BY fiscal_year, form",
        params![org.id.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}
