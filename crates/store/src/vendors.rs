//! 事業者管理 — the facility's vendors (医療情報システム等提供事業者): contracts, the systems,
//! assets and services they provide or maintain (with each service's data location), the
//! documents received from them (content-addressed in `evidence_blobs`, versioned per kind,
//! withdrawn but never deleted), third-party certifications, remote maintenance, and the
//! responsibility matrix (責任分界表) per system.
//!
//! A vendor may be linked to the vendor's own organisation on this server
//! (`vendor_org_id`): that organisation's users then see what the facility shares with it.
//! Every change is appended to the facility's ledger. Whether a record is a finding is for
//! `anzen_core::rules::vendors` to decide.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::evidence;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, Value, now_us, params};

/// The editable part of a vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VendorData {
    pub name: String,
    /// The vendor's own organisation on this server, if any.
    pub vendor_org_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub address: Option<String>,
    /// Internal note of the facility (never shown to the vendor).
    pub note: Option<String>,
    /// Under contract now.
    pub active: bool,
}

/// A vendor of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    pub id: i64,
    pub org_id: i64,
    #[serde(flatten)]
    pub data: VendorData,
}

const VENDOR_COLUMNS: &str = "id, org_id, name, vendor_org_id, contact_name, contact_phone, \
                              contact_email, address, note, active";

fn vendor_from(r: &Row) -> Result<Vendor, StoreError> {
    Ok(Vendor {
        id: r.i64(0)?,
        org_id: r.i64(1)?,
        data: VendorData {
            name: r.string(2)?,
            vendor_org_id: r.opt_i64(3)?,
            contact_name: r.opt_string(4)?,
            contact_phone: r.opt_string(5)?,
            contact_email: r.opt_string(6)?,
            address: r.opt_string(7)?,
            note: r.opt_string(8)?,
            active: r.bool(9)?,
        },
    })
}

/// The organisation's vendors by name.
pub fn list(conn: &mut Conn, org: &Org) -> Result<Vec<Vendor>, StoreError> {
    conn.query(
        &format!("SELECT {VENDOR_COLUMNS} FROM vendors WHERE org_id = $1 ORDER BY name, id"),
        params![org.id.0],
    )?
    .iter()
    .map(vendor_from)
    .collect()
}

/// One vendor of the organisation.
pub fn get(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Vendor>, StoreError> {
    conn.query_opt(
        &format!("SELECT {VENDOR_COLUMNS} FROM vendors WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| vendor_from(&r))
    .transpose()
}

/// The vendor records (of any facility) linked to the vendor organisation `vendor_org_id`,
/// by facility and name: what that organisation's users may see.
pub fn linked_to(conn: &mut Conn, vendor_org_id: i64) -> Result<Vec<Vendor>, StoreError> {
    conn.query(
        &format!(
            "SELECT {VENDOR_COLUMNS} FROM vendors WHERE vendor_org_id = $1 \
             ORDER BY org_id, name, id"
        ),
        params![vendor_org_id],
    )?
    .iter()
    .map(vendor_from)
    .collect()
}

fn require(conn: &mut Conn, org: &Org, id: i64) -> Result<Vendor, StoreError> {
    get(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("vendor {id}")))
}

/// Adds or changes a vendor (`id` None = add), audited. Conflict when the name is taken.
pub fn save(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: Option<i64>,
    d: &VendorData,
) -> Result<Vendor, StoreError> {
    let name = d.name.trim();
    if name.is_empty() {
        return Err(StoreError::Conflict(
            "事業者名を入力してください。".to_owned(),
        ));
    }
    let taken = conn
        .query_opt(
            "SELECT id FROM vendors WHERE org_id = $1 AND name = $2",
            params![org.id.0, name],
        )?
        .map(|r| r.i64(0))
        .transpose()?;
    if taken.is_some_and(|t| Some(t) != id) {
        return Err(StoreError::Conflict(format!(
            "事業者「{name}」はすでに登録されています。"
        )));
    }
    let before = match id {
        Some(id) => Some(require(conn, org, id)?),
        None => None,
    };
    let now = now_us();
    let id = match id {
        Some(id) => {
            conn.execute(
                "UPDATE vendors SET name = $3, vendor_org_id = $4, contact_name = $5, \
                 contact_phone = $6, contact_email = $7, address = $8, note = $9, active = $10, \
                 updated_at = $11 WHERE org_id = $1 AND id = $2",
                params![
                    org.id.0,
                    id,
                    name,
                    d.vendor_org_id,
                    d.contact_name.clone(),
                    d.contact_phone.clone(),
                    d.contact_email.clone(),
                    d.address.clone(),
                    d.note.clone(),
                    d.active,
                    now
                ],
            )?;
            id
        }
        None => conn
            .query_one(
                "INSERT INTO vendors (org_id, name, vendor_org_id, contact_name, contact_phone, \
                 contact_email, address, note, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                params![
                    org.id.0,
                    name,
                    d.vendor_org_id,
                    d.contact_name.clone(),
                    d.contact_phone.clone(),
                    d.contact_email.clone(),
                    d.address.clone(),
                    d.note.clone(),
                    d.active,
                    now
                ],
            )?
            .i64(0)?,
    };
    let after = require(conn, org, id)?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "vendor.update"
        } else {
            "vendor.create"
        },
        &Change {
            before: before.as_ref(),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// 契約.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub id: i64,
    pub vendor_id: i64,
    pub title: String,
    pub contract_no: Option<String>,
    /// YYYY-MM-DD
    pub start_date: Option<String>,
    /// YYYY-MM-DD
    pub end_date: Option<String>,
    /// 委託範囲.
    pub scope: Option<String>,
}

/// A service and where it keeps the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub id: i64,
    pub vendor_id: i64,
    pub name: String,
    pub stores_data: bool,
    pub data_country: Option<String>,
    pub data_provider: Option<String>,
    /// 国内法の執行が及ぶ場所か (None = not known).
    pub within_japan_law: Option<bool>,
    pub note: Option<String>,
}

/// A third-party certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certification {
    pub id: i64,
    pub vendor_id: i64,
    /// `anzen_core::rules::vendors::CertKind` code.
    pub kind: String,
    pub name: String,
    pub scope: Option<String>,
    pub cert_no: Option<String>,
    /// YYYY-MM-DD
    pub expires_on: Option<String>,
}

/// Remote maintenance of one system or device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteAccess {
    pub id: i64,
    pub vendor_id: i64,
    pub target: String,
    pub method: Option<String>,
    pub allowed_persons: Option<String>,
    pub logs_kept: Option<bool>,
    pub log_location: Option<String>,
}

/// The parts of a vendor record added and removed as rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Contract,
    Service,
    Certification,
    Remote,
}

impl Part {
    fn table(self) -> &'static str {
        match self {
            Part::Contract => "vendor_contracts",
            Part::Service => "vendor_services",
            Part::Certification => "vendor_certifications",
            Part::Remote => "vendor_remote_access",
        }
    }

    fn event(self) -> &'static str {
        match self {
            Part::Contract => "contract",
            Part::Service => "service",
            Part::Certification => "certification",
            Part::Remote => "remote_access",
        }
    }

    /// The path segment used by the pages.
    pub fn parse(s: &str) -> Option<Part> {
        match s {
            "contracts" => Some(Part::Contract),
            "services" => Some(Part::Service),
            "certifications" => Some(Part::Certification),
            "remote" => Some(Part::Remote),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct PartEvent<'a, T: Serialize> {
    vendor_id: i64,
    vendor: &'a str,
    #[serde(flatten)]
    row: &'a T,
}

fn record_part<T: Serialize>(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    v: &Vendor,
    kind: &str,
    row: &T,
) -> Result<(), StoreError> {
    audit::record(
        conn,
        org,
        actor,
        kind,
        &PartEvent {
            vendor_id: v.id,
            vendor: &v.data.name,
            row,
        },
    )?;
    Ok(())
}

const CONTRACT_COLUMNS: &str = "id, vendor_id, title, contract_no, start_date, end_date, scope";

fn contract_from(r: &Row) -> Result<Contract, StoreError> {
    Ok(Contract {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        title: r.string(2)?,
        contract_no: r.opt_string(3)?,
        start_date: r.opt_string(4)?,
        end_date: r.opt_string(5)?,
        scope: r.opt_string(6)?,
    })
}

/// Adds a contract (the `id` of `c` is ignored).
pub fn add_contract(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    c: &Contract,
) -> Result<Contract, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let id = conn
        .query_one(
            "INSERT INTO vendor_contracts (org_id, vendor_id, title, contract_no, start_date, \
             end_date, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                org.id.0,
                v.id,
                c.title.trim(),
                c.contract_no.clone(),
                c.start_date.clone(),
                c.end_date.clone(),
                c.scope.clone(),
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = Contract {
        id,
        vendor_id: v.id,
        title: c.title.trim().to_owned(),
        ..c.clone()
    };
    record_part(conn, org, actor, &v, "vendor.contract.add", &saved)?;
    Ok(saved)
}

/// The contracts of the organisation's vendors (`vendor_id` None = all).
pub fn contracts(
    conn: &mut Conn,
    org: &Org,
    vendor_id: Option<i64>,
) -> Result<Vec<Contract>, StoreError> {
    conn.query(
        &format!(
            "SELECT {CONTRACT_COLUMNS} FROM vendor_contracts WHERE org_id = $1 \
             AND ($2 = 0 OR vendor_id = $2) ORDER BY vendor_id, start_date, id"
        ),
        params![org.id.0, vendor_id.unwrap_or(0)],
    )?
    .iter()
    .map(contract_from)
    .collect()
}

const SERVICE_COLUMNS: &str = "id, vendor_id, name, stores_data, data_country, data_provider, \
                               within_japan_law, note";

fn service_from(r: &Row) -> Result<Service, StoreError> {
    Ok(Service {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        name: r.string(2)?,
        stores_data: r.bool(3)?,
        data_country: r.opt_string(4)?,
        data_provider: r.opt_string(5)?,
        within_japan_law: r.opt_i64(6)?.map(|v| v != 0),
        note: r.opt_string(7)?,
    })
}

/// Adds a service (the `id` of `s` is ignored).
pub fn add_service(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    s: &Service,
) -> Result<Service, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let id = conn
        .query_one(
            "INSERT INTO vendor_services (org_id, vendor_id, name, stores_data, data_country, \
             data_provider, within_japan_law, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                org.id.0,
                v.id,
                s.name.trim(),
                s.stores_data,
                s.data_country.clone(),
                s.data_provider.clone(),
                s.within_japan_law,
                s.note.clone(),
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = Service {
        id,
        vendor_id: v.id,
        name: s.name.trim().to_owned(),
        ..s.clone()
    };
    record_part(conn, org, actor, &v, "vendor.service.add", &saved)?;
    Ok(saved)
}

/// The services of the organisation's vendors (`vendor_id` None = all).
pub fn services(
    conn: &mut Conn,
    org: &Org,
    vendor_id: Option<i64>,
) -> Result<Vec<Service>, StoreError> {
    conn.query(
        &format!(
            "SELECT {SERVICE_COLUMNS} FROM vendor_services WHERE org_id = $1 \
             AND ($2 = 0 OR vendor_id = $2) ORDER BY vendor_id, name, id"
        ),
        params![org.id.0, vendor_id.unwrap_or(0)],
    )?
    .iter()
    .map(service_from)
    .collect()
}

const CERT_COLUMNS: &str = "id, vendor_id, kind, name, scope, cert_no, expires_on";

fn cert_from(r: &Row) -> Result<Certification, StoreError> {
    Ok(Certification {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        kind: r.string(2)?,
        name: r.string(3)?,
        scope: r.opt_string(4)?,
        cert_no: r.opt_string(5)?,
        expires_on: r.opt_string(6)?,
    })
}

/// Adds a certification (the `id` of `c` is ignored).
pub fn add_certification(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    c: &Certification,
) -> Result<Certification, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let id = conn
        .query_one(
            "INSERT INTO vendor_certifications (org_id, vendor_id, kind, name, scope, cert_no, \
             expires_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                org.id.0,
                v.id,
                c.kind.as_str(),
                c.name.trim(),
                c.scope.clone(),
                c.cert_no.clone(),
                c.expires_on.clone(),
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = Certification {
        id,
        vendor_id: v.id,
        name: c.name.trim().to_owned(),
        ..c.clone()
    };
    record_part(conn, org, actor, &v, "vendor.certification.add", &saved)?;
    Ok(saved)
}

/// The certifications of the organisation's vendors (`vendor_id` None = all).
pub fn certifications(
    conn: &mut Conn,
    org: &Org,
    vendor_id: Option<i64>,
) -> Result<Vec<Certification>, StoreError> {
    conn.query(
        &format!(
            "SELECT {CERT_COLUMNS} FROM vendor_certifications WHERE org_id = $1 \
             AND ($2 = 0 OR vendor_id = $2) ORDER BY vendor_id, kind, id"
        ),
        params![org.id.0, vendor_id.unwrap_or(0)],
    )?
    .iter()
    .map(cert_from)
    .collect()
}

const REMOTE_COLUMNS: &str =
    "id, vendor_id, target, method, allowed_persons, logs_kept, log_location";

fn remote_from(r: &Row) -> Result<RemoteAccess, StoreError> {
    Ok(RemoteAccess {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        target: r.string(2)?,
        method: r.opt_string(3)?,
        allowed_persons: r.opt_string(4)?,
        logs_kept: r.opt_i64(5)?.map(|v| v != 0),
        log_location: r.opt_string(6)?,
    })
}

/// Adds a remote-maintenance entry (the `id` of `a` is ignored).
pub fn add_remote(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    a: &RemoteAccess,
) -> Result<RemoteAccess, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let id = conn
        .query_one(
            "INSERT INTO vendor_remote_access (org_id, vendor_id, target, method, \
             allowed_persons, logs_kept, log_location, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                org.id.0,
                v.id,
                a.target.trim(),
                a.method.clone(),
                a.allowed_persons.clone(),
                a.logs_kept,
                a.log_location.clone(),
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = RemoteAccess {
        id,
        vendor_id: v.id,
        target: a.target.trim().to_owned(),
        ..a.clone()
    };
    record_part(conn, org, actor, &v, "vendor.remote_access.add", &saved)?;
    Ok(saved)
}

/// The remote-maintenance entries of the organisation's vendors (`vendor_id` None = all).
pub fn remote(
    conn: &mut Conn,
    org: &Org,
    vendor_id: Option<i64>,
) -> Result<Vec<RemoteAccess>, StoreError> {
    conn.query(
        &format!(
            "SELECT {REMOTE_COLUMNS} FROM vendor_remote_access WHERE org_id = $1 \
             AND ($2 = 0 OR vendor_id = $2) ORDER BY vendor_id, target, id"
        ),
        params![org.id.0, vendor_id.unwrap_or(0)],
    )?
    .iter()
    .map(remote_from)
    .collect()
}

/// Removes a contract, service, certification or remote-maintenance row of a vendor,
/// recording what it was. NotFound when it is not the vendor's.
pub fn remove(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    part: Part,
    id: i64,
) -> Result<(), StoreError> {
    let v = require(conn, org, vendor_id)?;
    let before: serde_json::Value = match part {
        Part::Contract => json_of(contracts(conn, org, Some(v.id))?, id)?,
        Part::Service => json_of(services(conn, org, Some(v.id))?, id)?,
        Part::Certification => json_of(certifications(conn, org, Some(v.id))?, id)?,
        Part::Remote => json_of(remote(conn, org, Some(v.id))?, id)?,
    };
    conn.execute(
        &format!(
            "DELETE FROM {} WHERE org_id = $1 AND vendor_id = $2 AND id = $3",
            part.table()
        ),
        params![org.id.0, v.id, id],
    )?;
    record_part(
        conn,
        org,
        actor,
        &v,
        &format!("vendor.{}.remove", part.event()),
        &before,
    )
}

/// A stored row's id.
pub trait HasId {
    fn id(&self) -> i64;
}
impl HasId for Contract {
    fn id(&self) -> i64 {
        self.id
    }
}
impl HasId for Service {
    fn id(&self) -> i64 {
        self.id
    }
}
impl HasId for Certification {
    fn id(&self) -> i64 {
        self.id
    }
}
impl HasId for RemoteAccess {
    fn id(&self) -> i64 {
        self.id
    }
}

/// A contract, service, certification or remote-maintenance row: what [`update`] needs to
/// change any of them with one code path (the editable columns and their values, and how
/// to read the vendor's rows back for the before/after of the audit entry).
pub trait PartRow: HasId + Serialize + Sized {
    const PART: Part;
    /// The editable columns and the row's values for them, in the same order.
    fn editable(&self) -> (&'static [&'static str], Vec<Value>);
    /// The vendor's rows of this kind.
    fn rows(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Self>, StoreError>;
}

impl PartRow for Contract {
    const PART: Part = Part::Contract;
    fn editable(&self) -> (&'static [&'static str], Vec<Value>) {
        (
            &["title", "contract_no", "start_date", "end_date", "scope"],
            vec![
                self.title.trim().into(),
                self.contract_no.clone().into(),
                self.start_date.clone().into(),
                self.end_date.clone().into(),
                self.scope.clone().into(),
            ],
        )
    }
    fn rows(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Self>, StoreError> {
        contracts(conn, org, Some(vendor_id))
    }
}

impl PartRow for Service {
    const PART: Part = Part::Service;
    fn editable(&self) -> (&'static [&'static str], Vec<Value>) {
        (
            &[
                "name",
                "stores_data",
                "data_country",
                "data_provider",
                "within_japan_law",
                "note",
            ],
            vec![
                self.name.trim().into(),
                self.stores_data.into(),
                self.data_country.clone().into(),
                self.data_provider.clone().into(),
                self.within_japan_law.into(),
                self.note.clone().into(),
            ],
        )
    }
    fn rows(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Self>, StoreError> {
        services(conn, org, Some(vendor_id))
    }
}

impl PartRow for Certification {
    const PART: Part = Part::Certification;
    fn editable(&self) -> (&'static [&'static str], Vec<Value>) {
        (
            &["kind", "name", "scope", "cert_no", "expires_on"],
            vec![
                self.kind.as_str().into(),
                self.name.trim().into(),
                self.scope.clone().into(),
                self.cert_no.clone().into(),
                self.expires_on.clone().into(),
            ],
        )
    }
    fn rows(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Self>, StoreError> {
        certifications(conn, org, Some(vendor_id))
    }
}

impl PartRow for RemoteAccess {
    const PART: Part = Part::Remote;
    fn editable(&self) -> (&'static [&'static str], Vec<Value>) {
        (
            &[
                "target",
                "method",
                "allowed_persons",
                "logs_kept",
                "log_location",
            ],
            vec![
                self.target.trim().into(),
                self.method.clone().into(),
                self.allowed_persons.clone().into(),
                self.logs_kept.into(),
                self.log_location.clone().into(),
            ],
        )
    }
    fn rows(conn: &mut Conn, org: &Org, vendor_id: i64) -> Result<Vec<Self>, StoreError> {
        remote(conn, org, Some(vendor_id))
    }
}

/// Changes a contract, service, certification or remote-maintenance row of a vendor (the
/// row's `id`; its `vendor_id` is ignored), audited as `vendor.{part}.update` with before
/// and after. NotFound when the row is not the vendor's.
pub fn update<T: PartRow>(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    row: &T,
) -> Result<T, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let id = row.id();
    let find = |rows: Vec<T>| {
        rows.into_iter()
            .find(|r| r.id() == id)
            .ok_or_else(|| StoreError::NotFound(format!("row {id}")))
    };
    let before = find(T::rows(conn, org, v.id)?)?;
    let (columns, values) = row.editable();
    let set: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 4))
        .collect();
    let mut params: Vec<Value> = vec![org.id.0.into(), v.id.into(), id.into()];
    params.extend(values);
    conn.execute(
        &format!(
            "UPDATE {} SET {} WHERE org_id = $1 AND vendor_id = $2 AND id = $3",
            T::PART.table(),
            set.join(", ")
        ),
        &params,
    )?;
    let after = find(T::rows(conn, org, v.id)?)?;
    record_part(
        conn,
        org,
        actor,
        &v,
        &format!("vendor.{}.update", T::PART.event()),
        &Change {
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

fn json_of<T: HasId + Serialize>(rows: Vec<T>, id: i64) -> Result<serde_json::Value, StoreError> {
    let row = rows
        .into_iter()
        .find(|r| r.id() == id)
        .ok_or_else(|| StoreError::NotFound(format!("row {id}")))?;
    serde_json::to_value(&row).map_err(|e| StoreError::Decode(e.to_string()))
}

/// The systems (ids) each vendor provides or maintains: `(vendor_id, system_id)`.
pub fn system_links(conn: &mut Conn, org: &Org) -> Result<Vec<(i64, i64)>, StoreError> {
    conn.query(
        "SELECT l.vendor_id, l.system_id FROM vendor_systems l \
         JOIN vendors v ON v.id = l.vendor_id WHERE v.org_id = $1 \
         ORDER BY l.vendor_id, l.system_id",
        params![org.id.0],
    )?
    .iter()
    .map(|r| Ok((r.i64(0)?, r.i64(1)?)))
    .collect()
}

/// The assets (ids) each vendor provides or maintains: `(vendor_id, asset_id)`.
pub fn asset_links(conn: &mut Conn, org: &Org) -> Result<Vec<(i64, i64)>, StoreError> {
    conn.query(
        "SELECT l.vendor_id, l.asset_id FROM vendor_assets l \
         JOIN vendors v ON v.id = l.vendor_id WHERE v.org_id = $1 \
         ORDER BY l.vendor_id, l.asset_id",
        params![org.id.0],
    )?
    .iter()
    .map(|r| Ok((r.i64(0)?, r.i64(1)?)))
    .collect()
}

#[derive(Serialize)]
struct LinksEvent<'a> {
    vendor_id: i64,
    vendor: &'a str,
    systems: &'a [i64],
    assets: &'a [i64],
}

/// Sets the systems and assets a vendor provides or maintains (ids of the organisation's
/// systems and assets; others are refused as NotFound).
pub fn set_links(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    systems: &[i64],
    assets: &[i64],
) -> Result<(), StoreError> {
    let v = require(conn, org, vendor_id)?;
    for s in systems {
        if conn
            .query_opt(
                "SELECT 1 FROM systems WHERE org_id = $1 AND id = $2",
                params![org.id.0, *s],
            )?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("system {s}")));
        }
    }
    for a in assets {
        if conn
            .query_opt(
                "SELECT 1 FROM assets WHERE org_id = $1 AND id = $2",
                params![org.id.0, *a],
            )?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("asset {a}")));
        }
    }
    conn.execute(
        "DELETE FROM vendor_systems WHERE vendor_id = $1",
        params![v.id],
    )?;
    conn.execute(
        "DELETE FROM vendor_assets WHERE vendor_id = $1",
        params![v.id],
    )?;
    let mut systems = systems.to_vec();
    systems.sort_unstable();
    systems.dedup();
    let mut assets = assets.to_vec();
    assets.sort_unstable();
    assets.dedup();
    for s in &systems {
        conn.execute(
            "INSERT INTO vendor_systems (vendor_id, system_id) VALUES ($1, $2)",
            params![v.id, *s],
        )?;
    }
    for a in &assets {
        conn.execute(
            "INSERT INTO vendor_assets (vendor_id, asset_id) VALUES ($1, $2)",
            params![v.id, *a],
        )?;
    }
    audit::record(
        conn,
        org,
        actor,
        "vendor.links",
        &LinksEvent {
            vendor_id: v.id,
            vendor: &v.data.name,
            systems: &systems,
            assets: &assets,
        },
    )?;
    Ok(())
}

/// A document received from a vendor (without its content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: i64,
    pub vendor_id: i64,
    /// `anzen_core::rules::vendors::DocKind` code.
    pub kind: String,
    /// 1 for the first document of this kind from the vendor, then 2, 3…
    pub version: i64,
    /// The form's version (e.g. MDS/SDS Ver.5.0).
    pub form_version: Option<String>,
    /// 受領日, YYYY-MM-DD.
    pub received_on: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub note: Option<String>,
    pub uploaded_at: i64,
    pub uploaded_by: String,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
}

impl Document {
    /// Whether it still counts.
    pub fn is_current(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

const DOC_COLUMNS: &str = "id, vendor_id, kind, version, form_version, received_on, file_name, \
                           content_type, sha256, size, note, uploaded_at, uploaded_by, \
                           withdrawn_at, withdrawn_by, withdrawn_reason";

fn doc_from(r: &Row) -> Result<Document, StoreError> {
    Ok(Document {
        id: r.i64(0)?,
        vendor_id: r.i64(1)?,
        kind: r.string(2)?,
        version: r.i64(3)?,
        form_version: r.opt_string(4)?,
        received_on: r.string(5)?,
        file_name: r.opt_string(6)?,
        content_type: r.opt_string(7)?,
        sha256: r.opt_string(8)?,
        size: r.opt_i64(9)?,
        note: r.opt_string(10)?,
        uploaded_at: r.i64(11)?,
        uploaded_by: r.string(12)?,
        withdrawn_at: r.opt_i64(13)?,
        withdrawn_by: r.opt_string(14)?,
        withdrawn_reason: r.opt_string(15)?,
    })
}

/// A file received with a document.
#[derive(Debug, Clone)]
pub struct DocFile<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

/// A document to record.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub form_version: Option<&'a str>,
    /// YYYY-MM-DD
    pub received_on: &'a str,
    pub file: Option<DocFile<'a>>,
    pub note: Option<&'a str>,
}

/// Records a document received from a vendor: the next version of its kind, the file's
/// content stored once per organisation under its hash.
pub fn add_document(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    d: &NewDocument<'_>,
) -> Result<Document, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let stored = match &d.file {
        Some(f) => Some(evidence::put_blob(conn, org, f.content)?),
        None => None,
    };
    let version = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM vendor_documents \
             WHERE vendor_id = $1 AND kind = $2",
            params![v.id, d.kind],
        )?
        .i64(0)?;
    let id = conn
        .query_one(
            "INSERT INTO vendor_documents (org_id, vendor_id, kind, version, form_version, \
             received_on, file_name, content_type, sha256, size, note, uploaded_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            params![
                org.id.0,
                v.id,
                d.kind,
                version,
                d.form_version,
                d.received_on,
                d.file.as_ref().map(|f| f.name),
                d.file.as_ref().map(|f| f.content_type),
                stored.as_ref().map(|s| s.0.as_str()),
                stored.as_ref().map(|s| s.1),
                d.note,
                now_us(),
                actor
            ],
        )?
        .i64(0)?;
    let doc = document(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("doc {id}")))?;
    record_part(conn, org, actor, &v, "vendor.document.add", &doc)?;
    Ok(doc)
}

/// One document of the organisation.
pub fn document(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Document>, StoreError> {
    conn.query_opt(
        &format!("SELECT {DOC_COLUMNS} FROM vendor_documents WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| doc_from(&r))
    .transpose()
}

/// The documents of the organisation's vendors (`vendor_id` None = all), withdrawn ones
/// included, by vendor, kind and version (newest first).
pub fn documents(
    conn: &mut Conn,
    org: &Org,
    vendor_id: Option<i64>,
) -> Result<Vec<Document>, StoreError> {
    conn.query(
        &format!(
            "SELECT {DOC_COLUMNS} FROM vendor_documents WHERE org_id = $1 \
             AND ($2 = 0 OR vendor_id = $2) ORDER BY vendor_id, kind, version DESC"
        ),
        params![org.id.0, vendor_id.unwrap_or(0)],
    )?
    .iter()
    .map(doc_from)
    .collect()
}

/// The stored file of a document, checked against its hash. NotFound without a file.
pub fn document_content(conn: &mut Conn, org: &Org, doc: &Document) -> Result<Vec<u8>, StoreError> {
    let sha = doc
        .sha256
        .as_deref()
        .ok_or_else(|| StoreError::NotFound(format!("file of document {}", doc.id)))?;
    evidence::blob(conn, org, sha)
}

/// Withdraws a document of a vendor (kept, with who, when and why). Conflict without a
/// reason or when already withdrawn.
pub fn withdraw_document(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    id: i64,
    reason: &str,
) -> Result<Document, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Conflict(
            evidence::REASON_REQUIRED_JA.to_owned(),
        ));
    }
    let n = conn.execute(
        "UPDATE vendor_documents SET withdrawn_at = $4, withdrawn_by = $5, withdrawn_reason = $6 \
         WHERE org_id = $1 AND vendor_id = $2 AND id = $3 AND withdrawn_at IS NULL",
        params![org.id.0, v.id, id, now_us(), actor, reason],
    )?;
    let doc = document(conn, org, id)?
        .filter(|d| d.vendor_id == v.id)
        .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "この書類はすでに取り下げられています。".to_owned(),
        ));
    }
    record_part(conn, org, actor, &v, "vendor.document.withdraw", &doc)?;
    Ok(doc)
}

/// The editable metadata of a received document (its kind, version and file stay: a new
/// file is a new version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMeta {
    pub form_version: Option<String>,
    /// YYYY-MM-DD
    pub received_on: String,
    pub note: Option<String>,
}

/// Changes a document's form version, 受領日 and note, audited as `vendor.document.update`
/// with before and after. NotFound when not the vendor's; Conflict when withdrawn (a
/// withdrawn record stays as it was).
pub fn update_document(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    vendor_id: i64,
    id: i64,
    m: &DocumentMeta,
) -> Result<Document, StoreError> {
    let v = require(conn, org, vendor_id)?;
    let before = document(conn, org, id)?
        .filter(|d| d.vendor_id == v.id)
        .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
    if !before.is_current() {
        return Err(StoreError::Conflict(
            "取り下げた書類は編集できません。".to_owned(),
        ));
    }
    conn.execute(
        "UPDATE vendor_documents SET form_version = $3, received_on = $4, note = $5 \
         WHERE org_id = $1 AND id = $2",
        params![
            org.id.0,
            id,
            m.form_version.clone(),
            m.received_on.as_str(),
            m.note.clone()
        ],
    )?;
    let after =
        document(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
    record_part(
        conn,
        org,
        actor,
        &v,
        "vendor.document.update",
        &Change {
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// One row of the responsibility matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Responsibility {
    pub id: i64,
    pub system_id: i64,
    /// `anzen_core::rules::vendors::Duty` code.
    pub duty: String,
    /// `responsible` or `informed`.
    pub role: String,
    /// None = the facility itself.
    pub vendor_id: Option<i64>,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
}

/// A row to set: duty, role, party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub duty: String,
    pub role: String,
    pub vendor_id: Option<i64>,
}

const RESP_COLUMNS: &str = "id, system_id, duty, role, vendor_id, accepted_at, accepted_by";

fn resp_from(r: &Row) -> Result<Responsibility, StoreError> {
    Ok(Responsibility {
        id: r.i64(0)?,
        system_id: r.i64(1)?,
        duty: r.string(2)?,
        role: r.string(3)?,
        vendor_id: r.opt_i64(4)?,
        accepted_at: r.opt_i64(5)?,
        accepted_by: r.opt_string(6)?,
    })
}

/// The responsibility rows of the organisation (`system_id` None = every system).
pub fn matrix(
    conn: &mut Conn,
    org: &Org,
    system_id: Option<i64>,
) -> Result<Vec<Responsibility>, StoreError> {
    conn.query(
        &format!(
            "SELECT {RESP_COLUMNS} FROM responsibilities WHERE org_id = $1 \
             AND ($2 = 0 OR system_id = $2) ORDER BY system_id, duty, role, id"
        ),
        params![org.id.0, system_id.unwrap_or(0)],
    )?
    .iter()
    .map(resp_from)
    .collect()
}

#[derive(Serialize)]
struct MatrixEvent<'a> {
    system_id: i64,
    system: &'a str,
    before: &'a [Responsibility],
    after: &'a [Responsibility],
}

/// Replaces a system's matrix with `rows`. A vendor's acceptance is kept for a row that
/// stays (same duty, role and vendor); a changed assignment needs accepting again.
pub fn set_matrix(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    system_id: i64,
    rows: &[Assignment],
) -> Result<Vec<Responsibility>, StoreError> {
    let system = conn
        .query_opt(
            "SELECT name FROM systems WHERE org_id = $1 AND id = $2",
            params![org.id.0, system_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("system {system_id}")))?
        .string(0)?;
    for r in rows {
        if !matches!(r.role.as_str(), "responsible" | "informed") {
            return Err(StoreError::Conflict(format!(
                "役割「{}」は不正です。",
                r.role
            )));
        }
        if let Some(v) = r.vendor_id {
            require(conn, org, v)?;
        }
    }
    let before = matrix(conn, org, Some(system_id))?;
    conn.execute(
        "DELETE FROM responsibilities WHERE org_id = $1 AND system_id = $2",
        params![org.id.0, system_id],
    )?;
    let now = now_us();
    let mut seen = Vec::new();
    for r in rows {
        if seen.contains(&r) {
            continue;
        }
        seen.push(r);
        let kept = before
            .iter()
            .find(|b| b.duty == r.duty && b.role == r.role && b.vendor_id == r.vendor_id);
        conn.execute(
            "INSERT INTO responsibilities (org_id, system_id, duty, role, vendor_id, \
             accepted_at, accepted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            params![
                org.id.0,
                system_id,
                r.duty.as_str(),
                r.role.as_str(),
                r.vendor_id,
                kept.and_then(|k| k.accepted_at),
                kept.and_then(|k| k.accepted_by.clone()),
                now
            ],
        )?;
    }
    let after = matrix(conn, org, Some(system_id))?;
    audit::record(
        conn,
        org,
        actor,
        "vendor.matrix.set",
        &MatrixEvent {
            system_id,
            system: &system,
            before: &before,
            after: &after,
        },
    )?;
    Ok(after)
}

/// Records that the vendor of row `id` accepts (or, `accepted` false, withdraws its
/// acceptance of) the duty. `vendor_id` Some restricts to that vendor's rows (the vendor's
/// own view); NotFound when the row is not a vendor's `responsible` row.
pub fn set_accepted(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    vendor_id: Option<i64>,
    accepted: bool,
) -> Result<Responsibility, StoreError> {
    let row = matrix(conn, org, None)?
        .into_iter()
        .find(|r| {
            r.id == id
                && r.role == "responsible"
                && r.vendor_id.is_some()
                && (vendor_id.is_none() || r.vendor_id == vendor_id)
        })
        .ok_or_else(|| StoreError::NotFound(format!("responsibility {id}")))?;
    let (at, by) = if accepted {
        (Some(now_us()), Some(actor.to_owned()))
    } else {
        (None, None)
    };
    conn.execute(
        "UPDATE responsibilities SET accepted_at = $3, accepted_by = $4 \
         WHERE org_id = $1 AND id = $2",
        params![org.id.0, row.id, at, by],
    )?;
    let after = matrix(conn, org, Some(row.system_id))?
        .into_iter()
        .find(|r| r.id == row.id)
        .ok_or_else(|| StoreError::NotFound(format!("responsibility {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        if accepted {
            "vendor.matrix.accept"
        } else {
            "vendor.matrix.unaccept"
        },
        &Change {
            before: Some(&row),
            after: Some(&after),
        },
    )?;
    Ok(after)
}

/// When the vendor organisation `vendor_org_id` last completed the 事業者確認用 form it
/// answers for `facility_org_id` on this server (µs), if ever: that completed form counts
/// as the document received.
pub fn vendor_form_completed_at(
    conn: &mut Conn,
    facility_org_id: i64,
    vendor_org_id: i64,
) -> Result<Option<i64>, StoreError> {
    conn.query_opt(
        "SELECT MAX(completed_at) FROM assessments WHERE org_id = $1 AND client_org_id = $2 \
         AND status = 'completed'",
        params![vendor_org_id, facility_org_id],
    )?
    .map(|r| r.opt_i64(0))
    .transpose()
    .map(Option::flatten)
}
