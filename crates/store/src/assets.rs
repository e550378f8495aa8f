//! 台帳 — the asset ledger: one row per asset and organisation, every change appended to the
//! organisation's ledger with before and after (the asset's history). Retiring keeps the row.
//! An import compares the file with the stored ledger ([`diff`], pure) and applies it in one
//! transaction.

use std::collections::HashMap;

pub use anzen_core::asset::AssetData;
use anzen_core::asset::{AssetKind, AssetStatus};
use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub id: i64,
    #[serde(flatten)]
    pub data: AssetData,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

const COLUMNS: &str = "id, asset_key, kind, name, vendor, product, version, os, hostname, ip, \
                       location, department, maintainer, remote_maintenance, internet_facing, \
                       source_restricted, usb_restricted, services_minimized, last_patched, \
                       status, cpe, created_at, updated_at, updated_by";

fn flag(r: &Row, i: usize) -> Result<Option<bool>, StoreError> {
    Ok(r.opt_i64(i)?.map(|v| v != 0))
}

fn from_row(r: &Row) -> Result<Asset, StoreError> {
    let kind = r.string(2)?;
    let status = r.string(19)?;
    Ok(Asset {
        id: r.i64(0)?,
        data: AssetData {
            key: r.string(1)?,
            kind: AssetKind::parse(&kind)
                .ok_or_else(|| StoreError::Decode(format!("unknown asset kind {kind:?}")))?,
            name: r.string(3)?,
            vendor: r.opt_string(4)?,
            product: r.opt_string(5)?,
            version: r.opt_string(6)?,
            os: r.opt_string(7)?,
            hostname: r.opt_string(8)?,
            ip: r.opt_string(9)?,
            location: r.opt_string(10)?,
            department: r.opt_string(11)?,
            maintainer: r.opt_string(12)?,
            remote_maintenance: flag(r, 13)?,
            internet_facing: flag(r, 14)?,
            source_restricted: flag(r, 15)?,
            usb_restricted: flag(r, 16)?,
            services_minimized: flag(r, 17)?,
            last_patched: r.opt_string(18)?,
            status: AssetStatus::parse(&status)
                .ok_or_else(|| StoreError::Decode(format!("unknown asset status {status:?}")))?,
            cpe: r.opt_string(20)?,
        },
        created_at: r.i64(21)?,
        updated_at: r.i64(22)?,
        updated_by: r.string(23)?,
    })
}

fn b(v: Option<bool>) -> Option<i64> {
    v.map(i64::from)
}

/// The organisation's assets by 資産ID.
pub fn list(conn: &mut Conn, org: &Org) -> Result<Vec<Asset>, StoreError> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM assets WHERE org_id = $1 ORDER BY asset_key"),
        params![org.id.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// One asset of the organisation.
pub fn get(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Asset>, StoreError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM assets WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

fn insert(conn: &mut Conn, org: &Org, actor: &str, d: &AssetData) -> Result<Asset, StoreError> {
    let now = now_us();
    let id = conn
        .query_one(
            &format!(
                "INSERT INTO assets (org_id, {}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23) RETURNING id",
                COLUMNS.trim_start_matches("id, ")
            ),
            params![
                org.id.0,
                d.key.as_str(),
                d.kind.code(),
                d.name.as_str(),
                d.vendor.clone(),
                d.product.clone(),
                d.version.clone(),
                d.os.clone(),
                d.hostname.clone(),
                d.ip.clone(),
                d.location.clone(),
                d.department.clone(),
                d.maintainer.clone(),
                b(d.remote_maintenance),
                b(d.internet_facing),
                b(d.source_restricted),
                b(d.usb_restricted),
                b(d.services_minimized),
                d.last_patched.clone(),
                d.status.code(),
                d.cpe.clone(),
                now,
                actor
            ],
        )?
        .i64(0)?;
    get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("asset {id}")))
}

fn write(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    d: &AssetData,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE assets SET asset_key = $3, kind = $4, name = $5, vendor = $6, product = $7, \
         version = $8, os = $9, hostname = $10, ip = $11, location = $12, department = $13, \
         maintainer = $14, remote_maintenance = $15, internet_facing = $16, \
         source_restricted = $17, usb_restricted = $18, services_minimized = $19, \
         last_patched = $20, status = $21, cpe = $22, updated_at = $23, updated_by = $24 \
         WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            id,
            d.key.as_str(),
            d.kind.code(),
            d.name.as_str(),
            d.vendor.clone(),
            d.product.clone(),
            d.version.clone(),
            d.os.clone(),
            d.hostname.clone(),
            d.ip.clone(),
            d.location.clone(),
            d.department.clone(),
            d.maintainer.clone(),
            b(d.remote_maintenance),
            b(d.internet_facing),
            b(d.source_restricted),
            b(d.usb_restricted),
            b(d.services_minimized),
            d.last_patched.clone(),
            d.status.code(),
            d.cpe.clone(),
            now_us(),
            actor
        ],
    )?;
    Ok(())
}

#[derive(Serialize)]
struct AssetEvent<'a> {
    asset_key: &'a str,
    #[serde(flatten)]
    change: Change<'a, AssetData>,
}

fn duplicate(key: &str) -> StoreError {
    StoreError::Conflict(format!("資産ID「{key}」はすでに台帳にあります。"))
}

fn key_taken(
    conn: &mut Conn,
    org: &Org,
    key: &str,
    except: Option<i64>,
) -> Result<bool, StoreError> {
    Ok(conn
        .query_opt(
            "SELECT id FROM assets WHERE org_id = $1 AND asset_key = $2",
            params![org.id.0, key],
        )?
        .map(|r| r.i64(0))
        .transpose()?
        .is_some_and(|id| Some(id) != except))
}

/// Adds an asset (Conflict when its 資産ID is taken), audited.
pub fn create(conn: &mut Conn, org: &Org, actor: &str, d: &AssetData) -> Result<Asset, StoreError> {
    if key_taken(conn, org, &d.key, None)? {
        return Err(duplicate(&d.key));
    }
    let a = insert(conn, org, actor, d)?;
    audit::record(
        conn,
        org,
        actor,
        "asset.create",
        &AssetEvent {
            asset_key: &d.key,
            change: Change {
                before: None,
                after: Some(d),
            },
        },
    )?;
    Ok(a)
}

/// Changes an asset (retiring is a change of status), audited with before and after.
pub fn update(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    d: &AssetData,
) -> Result<Asset, StoreError> {
    let before = get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("asset {id}")))?;
    if key_taken(conn, org, &d.key, Some(id))? {
        return Err(duplicate(&d.key));
    }
    if &before.data == d {
        return Ok(before);
    }
    write(conn, org, actor, id, d)?;
    audit::record(
        conn,
        org,
        actor,
        if d.status == AssetStatus::Retired && before.data.status != AssetStatus::Retired {
            "asset.retire"
        } else {
            "asset.update"
        },
        &AssetEvent {
            asset_key: &d.key,
            change: Change {
                before: Some(&before.data),
                after: Some(d),
            },
        },
    )?;
    get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("asset {id}")))
}

/// How an imported ledger differs from the stored one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AssetDiff {
    /// In the file, not stored.
    pub added: Vec<AssetData>,
    /// In both, different (stored, from the file).
    pub changed: Vec<(Asset, AssetData)>,
    /// Stored and in service, not in the file.
    pub gone: Vec<Asset>,
    pub unchanged: usize,
}

/// Compares a file's assets with the stored ledger by 資産ID (pure).
pub fn diff(stored: &[Asset], incoming: &[AssetData]) -> AssetDiff {
    let by_key: HashMap<&str, &Asset> = stored.iter().map(|a| (a.data.key.as_str(), a)).collect();
    let mut d = AssetDiff::default();
    for new in incoming {
        match by_key.get(new.key.as_str()) {
            None => d.added.push(new.clone()),
            Some(old) if old.data == *new => d.unchanged += 1,
            Some(old) => d.changed.push(((*old).clone(), new.clone())),
        }
    }
    let in_file: HashMap<&str, ()> = incoming.iter().map(|a| (a.key.as_str(), ())).collect();
    d.gone = stored
        .iter()
        .filter(|a| {
            a.data.status != AssetStatus::Retired && !in_file.contains_key(a.data.key.as_str())
        })
        .cloned()
        .collect();
    d
}

/// What an applied import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub added: usize,
    pub changed: usize,
    pub retired: usize,
    pub unchanged: usize,
}

#[derive(Serialize)]
struct ImportEvent<'a> {
    file_name: &'a str,
    sha256: &'a str,
    #[serde(flatten)]
    summary: ImportSummary,
}

/// Applies an imported ledger in the caller's transaction: adds and changes by 資産ID, and
/// with `retire_gone` marks the assets missing from the file as 廃棄. Each change is its own
/// ledger entry (the asset's history), plus one `asset.import` entry for the file.
pub fn apply_import(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    file: (&str, &str),
    incoming: &[AssetData],
    retire_gone: bool,
) -> Result<ImportSummary, StoreError> {
    let d = diff(&list(conn, org)?, incoming);
    for new in &d.added {
        create(conn, org, actor, new)?;
    }
    for (old, new) in &d.changed {
        update(conn, org, actor, old.id, new)?;
    }
    let mut retired = 0;
    if retire_gone {
        for old in &d.gone {
            let mut data = old.data.clone();
            data.status = AssetStatus::Retired;
            update(conn, org, actor, old.id, &data)?;
            retired += 1;
        }
    }
    let summary = ImportSummary {
        added: d.added.len(),
        changed: d.changed.len(),
        retired,
        unchanged: d.unchanged,
    };
    audit::record(
        conn,
        org,
        actor,
        "asset.import",
        &ImportEvent {
            file_name: file.0,
            sha256: file.1,
            summary,
        },
    )?;
    Ok(summary)
}

/// A 棚卸 (review of the whole ledger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub reviewed_on: String,
    pub reviewed_by: String,
    pub assets: i64,
    pub note: Option<String>,
}

/// Records that the ledger was reviewed on `on` (YYYY-MM-DD), audited.
pub fn record_review(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    on: &str,
    note: Option<&str>,
) -> Result<Review, StoreError> {
    let n = conn
        .query_one(
            "SELECT COUNT(*) FROM assets WHERE org_id = $1 AND status <> 'retired'",
            params![org.id.0],
        )?
        .i64(0)?;
    conn.execute(
        "INSERT INTO asset_reviews (org_id, reviewed_on, reviewed_by, assets, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![org.id.0, on, actor, n, note, now_us()],
    )?;
    let review = Review {
        reviewed_on: on.to_owned(),
        reviewed_by: actor.to_owned(),
        assets: n,
        note: note.map(str::to_owned),
    };
    audit::record(conn, org, actor, "asset.review", &review)?;
    Ok(review)
}

/// The latest review, if any.
pub fn latest_review(conn: &mut Conn, org: &Org) -> Result<Option<Review>, StoreError> {
    conn.query_opt(
        "SELECT reviewed_on, reviewed_by, assets, note FROM asset_reviews WHERE org_id = $1 \
         ORDER BY reviewed_on DESC, id DESC LIMIT 1",
        params![org.id.0],
    )?
    .map(|r| {
        Ok(Review {
            reviewed_on: r.string(0)?,
            reviewed_by: r.string(1)?,
            assets: r.i64(2)?,
            note: r.opt_string(3)?,
        })
    })
    .transpose()
}
