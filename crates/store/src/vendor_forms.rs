//! 事業者確認用 requests: a facility asks a vendor organisation on this server to answer the
//! vendor form for one 年度. The vendor answers it as an assessment with `client_org_id` set
//! to the facility; the facility may read that assessment only through a request.

use serde::Serialize;

use crate::audit;
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

/// One request, with both organisations' names for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorFormRequest {
    pub id: i64,
    pub facility_org_id: i64,
    pub facility_name: String,
    pub vendor_org_id: i64,
    pub vendor_name: String,
    pub fiscal_year: i32,
    pub message: Option<String>,
    pub requested_at: i64,
    pub requested_by: String,
}

const SELECT: &str = "SELECT r.id, r.facility_org_id, f.name, r.vendor_org_id, v.name, \
                      r.fiscal_year, r.message, r.requested_at, r.requested_by \
                      FROM vendor_form_requests r JOIN orgs f ON f.id = r.facility_org_id \
                      JOIN orgs v ON v.id = r.vendor_org_id";

fn from_row(r: &Row) -> Result<VendorFormRequest, StoreError> {
    let fy = r.i64(5)?;
    Ok(VendorFormRequest {
        id: r.i64(0)?,
        facility_org_id: r.i64(1)?,
        facility_name: r.string(2)?,
        vendor_org_id: r.i64(3)?,
        vendor_name: r.string(4)?,
        fiscal_year: i32::try_from(fy)
            .map_err(|_| StoreError::Decode(format!("fiscal year {fy} out of range")))?,
        message: r.opt_string(6)?,
        requested_at: r.i64(7)?,
        requested_by: r.string(8)?,
    })
}

#[derive(Serialize)]
struct RequestEvent<'a> {
    request: &'a VendorFormRequest,
}

/// Records that `facility` asks `vendor` to answer the vendor form for `fiscal_year`, in
/// both organisations' ledgers. Conflict when already requested.
pub fn request(
    conn: &mut Conn,
    facility: &Org,
    vendor: &Org,
    actor: &str,
    fiscal_year: i32,
    message: Option<&str>,
) -> Result<VendorFormRequest, StoreError> {
    if find(conn, facility.id.0, vendor.id.0, fiscal_year)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "{}には{}年度の事業者確認用の回答をすでに依頼しています。",
            vendor.profile.name, fiscal_year
        )));
    }
    let id = conn
        .query_one(
            "INSERT INTO vendor_form_requests (facility_org_id, vendor_org_id, fiscal_year, \
             message, requested_at, requested_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![
                facility.id.0,
                vendor.id.0,
                fiscal_year,
                message,
                now_us(),
                actor
            ],
        )?
        .i64(0)?;
    let req = conn
        .query_opt(&format!("{SELECT} WHERE r.id = $1"), params![id])?
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("vendor form request {id}")))?;
    let event = RequestEvent { request: &req };
    audit::record(conn, facility, actor, "vendor_form.request", &event)?;
    audit::record(conn, vendor, actor, "vendor_form.requested", &event)?;
    Ok(req)
}

/// The request from `facility_org_id` to `vendor_org_id` for a 年度, if any.
pub fn find(
    conn: &mut Conn,
    facility_org_id: i64,
    vendor_org_id: i64,
    fiscal_year: i32,
) -> Result<Option<VendorFormRequest>, StoreError> {
    conn.query_opt(
        &format!(
            "{SELECT} WHERE r.facility_org_id = $1 AND r.vendor_org_id = $2 \
             AND r.fiscal_year = $3"
        ),
        params![facility_org_id, vendor_org_id, fiscal_year],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Requests a facility sent for a 年度, by vendor name.
pub fn sent(
    conn: &mut Conn,
    facility: &Org,
    fiscal_year: i32,
) -> Result<Vec<VendorFormRequest>, StoreError> {
    conn.query(
        &format!(
            "{SELECT} WHERE r.facility_org_id = $1 AND r.fiscal_year = $2 ORDER BY v.name, r.id"
        ),
        params![facility.id.0, fiscal_year],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Requests a vendor received for a 年度, by facility name.
pub fn received(
    conn: &mut Conn,
    vendor: &Org,
    fiscal_year: i32,
) -> Result<Vec<VendorFormRequest>, StoreError> {
    conn.query(
        &format!(
            "{SELECT} WHERE r.vendor_org_id = $1 AND r.fiscal_year = $2 ORDER BY f.name, r.id"
        ),
        params![vendor.id.0, fiscal_year],
    )?
    .iter()
    .map(from_row)
    .collect()
}
