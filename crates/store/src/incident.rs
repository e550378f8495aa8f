//! Incident readiness records: the 連絡体制図 (contacts) and the インシデント台帳 (incidents,
//! their timeline and who was notified when). Every change is in the organisation's
//! ledger. What is missing from the chart and which reports are due is decided by
//! `anzen_core::rules::incident`, not here.

use serde::Serialize;

use crate::audit::{self, Change};
use crate::orgs::Org;
use crate::{Conn, Row, StoreError, now_us, params};

// ---------------------------------------------------------------------------------------
// 連絡体制図
// ---------------------------------------------------------------------------------------

/// One entry of the 連絡体制図.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRecord {
    pub id: i64,
    #[serde(flatten)]
    pub data: ContactData,
}

/// The editable part of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactData {
    /// The rules' role code (`administrator`, `csirt`, `vendor:<name>`, `mhlw`, …).
    pub role: String,
    /// 氏名・窓口名.
    pub name: String,
    /// 所属・組織名.
    pub organisation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 受付時間.
    pub hours: Option<String>,
    /// 連絡順 (1 = first).
    pub escalation_order: Option<i64>,
    /// 備考 (e.g. where the official number is published).
    pub note: Option<String>,
}

const CONTACT_COLUMNS: &str =
    "id, role, name, organisation, phone, email, hours, escalation_order, note";

fn contact_from(r: &Row) -> Result<ContactRecord, StoreError> {
    Ok(ContactRecord {
        id: r.i64(0)?,
        data: ContactData {
            role: r.string(1)?,
            name: r.string(2)?,
            organisation: r.opt_string(3)?,
            phone: r.opt_string(4)?,
            email: r.opt_string(5)?,
            hours: r.opt_string(6)?,
            escalation_order: r.opt_i64(7)?,
            note: r.opt_string(8)?,
        },
    })
}

/// The organisation's contacts, in escalation order (unordered last), then as entered.
pub fn contacts(conn: &mut Conn, org: &Org) -> Result<Vec<ContactRecord>, StoreError> {
    conn.query(
        &format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE org_id = $1 \
             ORDER BY CASE WHEN escalation_order IS NULL THEN 1 ELSE 0 END, escalation_order, id"
        ),
        params![org.id.0],
    )?
    .iter()
    .map(contact_from)
    .collect()
}

/// One contact of the organisation.
pub fn contact(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<ContactRecord>, StoreError> {
    conn.query_opt(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| contact_from(&r))
    .transpose()
}

/// Adds or changes a contact (`id` None = add), audited.
pub fn save_contact(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: Option<i64>,
    d: &ContactData,
) -> Result<ContactRecord, StoreError> {
    let now = now_us();
    let before = match id {
        Some(id) => Some(
            contact(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?,
        ),
        None => None,
    };
    let id = match id {
        Some(id) => {
            conn.execute(
                "UPDATE contacts SET role = $3, name = $4, organisation = $5, phone = $6, \
                 email = $7, hours = $8, escalation_order = $9, note = $10, updated_at = $11 \
                 WHERE org_id = $1 AND id = $2",
                params![
                    org.id.0,
                    id,
                    d.role.as_str(),
                    d.name.as_str(),
                    d.organisation.clone(),
                    d.phone.clone(),
                    d.email.clone(),
                    d.hours.clone(),
                    d.escalation_order,
                    d.note.clone(),
                    now
                ],
            )?;
            id
        }
        None => conn
            .query_one(
                "INSERT INTO contacts (org_id, role, name, organisation, phone, email, hours, \
                 escalation_order, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                params![
                    org.id.0,
                    d.role.as_str(),
                    d.name.as_str(),
                    d.organisation.clone(),
                    d.phone.clone(),
                    d.email.clone(),
                    d.hours.clone(),
                    d.escalation_order,
                    d.note.clone(),
                    now
                ],
            )?
            .i64(0)?,
    };
    let after =
        contact(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        if before.is_some() {
            "contact.update"
        } else {
            "contact.create"
        },
        &Change {
            before: before.as_ref().map(|c| &c.data),
            after: Some(&after.data),
        },
    )?;
    Ok(after)
}

/// Removes a contact, audited (the ledger keeps what it was).
pub fn delete_contact(conn: &mut Conn, org: &Org, actor: &str, id: i64) -> Result<(), StoreError> {
    let before =
        contact(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
    conn.execute(
        "DELETE FROM contacts WHERE org_id = $1 AND id = $2",
        params![org.id.0, id],
    )?;
    audit::record(
        conn,
        org,
        actor,
        "contact.delete",
        &Change::<ContactData> {
            before: Some(&before.data),
            after: None,
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// インシデント台帳
// ---------------------------------------------------------------------------------------

/// The editable part of an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentData {
    /// 件名.
    pub title: String,
    /// `IncidentStatus` code.
    pub status: String,
    /// 発覚日時 (µs) — the reporting deadlines run from its JST date.
    pub discovered_at: i64,
    /// 発生日時 (µs), when known.
    pub occurred_at: Option<i64>,
    /// 個人データの漏えい等（おそれを含む）.
    pub personal_data_leak: bool,
    /// 要配慮個人情報を含む.
    pub sensitive_data: bool,
    /// 財産的被害のおそれ.
    pub financial_harm_risk: bool,
    /// 不正の目的のおそれ.
    pub malicious: bool,
    /// 本人の数.
    pub people_affected: Option<i64>,
    /// 行政機関等.
    pub public_sector: bool,
    /// 高度な暗号化等.
    pub encrypted: bool,
    /// サイバー攻撃（疑い含む）.
    pub cyber_attack: bool,
    /// 診療への影響.
    pub care_impact: Option<String>,
    /// ① 概要.
    pub summary: Option<String>,
    /// ② 漏えい等が発生し、又は発生したおそれがある個人データの項目.
    pub data_items: Option<String>,
    /// ④ 原因.
    pub cause: Option<String>,
    /// ⑤ 二次被害又はそのおそれの有無及びその内容.
    pub secondary_damage: Option<String>,
    /// ⑥ 本人への対応の実施状況.
    pub subject_response: Option<String>,
    /// ⑦ 公表の実施状況.
    pub publication: Option<String>,
    /// ⑧ 再発防止のための措置.
    pub prevention: Option<String>,
    /// ⑨ その他参考となる事項.
    pub other_notes: Option<String>,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: i64,
    #[serde(flatten)]
    pub data: IncidentData,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

const INCIDENT_COLUMNS: &str = "id, title, status, discovered_at, occurred_at, \
    personal_data_leak, sensitive_data, financial_harm_risk, malicious, people_affected, \
    public_sector, encrypted, cyber_attack, care_impact, summary, data_items, cause, \
    secondary_damage, subject_response, publication, prevention, other_notes, created_by, \
    created_at, updated_at, closed_at";

fn incident_from(r: &Row) -> Result<Incident, StoreError> {
    Ok(Incident {
        id: r.i64(0)?,
        data: IncidentData {
            title: r.string(1)?,
            status: r.string(2)?,
            discovered_at: r.i64(3)?,
            occurred_at: r.opt_i64(4)?,
            personal_data_leak: r.bool(5)?,
            sensitive_data: r.bool(6)?,
            financial_harm_risk: r.bool(7)?,
            malicious: r.bool(8)?,
            people_affected: r.opt_i64(9)?,
            public_sector: r.bool(10)?,
            encrypted: r.bool(11)?,
            cyber_attack: r.bool(12)?,
            care_impact: r.opt_string(13)?,
            summary: r.opt_string(14)?,
            data_items: r.opt_string(15)?,
            cause: r.opt_string(16)?,
            secondary_damage: r.opt_string(17)?,
            subject_response: r.opt_string(18)?,
            publication: r.opt_string(19)?,
            prevention: r.opt_string(20)?,
            other_notes: r.opt_string(21)?,
        },
        created_by: r.string(22)?,
        created_at: r.i64(23)?,
        updated_at: r.i64(24)?,
        closed_at: r.opt_i64(25)?,
    })
}

/// The organisation's incidents, latest discovery first.
pub fn incidents(conn: &mut Conn, org: &Org) -> Result<Vec<Incident>, StoreError> {
    conn.query(
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1 \
             ORDER BY discovered_at DESC, id DESC"
        ),
        params![org.id.0],
    )?
    .iter()
    .map(incident_from)
    .collect()
}

/// One incident of the organisation.
pub fn incident(conn: &mut Conn, org: &Org, id: i64) -> Result<Option<Incident>, StoreError> {
    conn.query_opt(
        &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1 AND id = $2"),
        params![org.id.0, id],
    )?
    .map(|r| incident_from(&r))
    .transpose()
}

fn incident_params(d: &IncidentData) -> Vec<crate::Value> {
    params![
        d.title.as_str(),
        d.status.as_str(),
        d.discovered_at,
        d.occurred_at,
        d.personal_data_leak,
        d.sensitive_data,
        d.financial_harm_risk,
        d.malicious,
        d.people_affected,
        d.public_sector,
        d.encrypted,
        d.cyber_attack,
        d.care_impact.clone(),
        d.summary.clone(),
        d.data_items.clone(),
        d.cause.clone(),
        d.secondary_damage.clone(),
        d.subject_response.clone(),
        d.publication.clone(),
        d.prevention.clone(),
        d.other_notes.clone()
    ]
    .to_vec()
}

/// Registers an incident, audited, with its first timeline entry (登録); `status_label`
/// is how its status reads in the timeline.
pub fn create_incident(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    d: &IncidentData,
    status_label: &str,
) -> Result<Incident, StoreError> {
    let now = now_us();
    let mut p = vec![crate::Value::from(org.id.0)];
    p.extend(incident_params(d));
    p.push(actor.into());
    p.push(now.into());
    p.push((d.status == "closed").then_some(now).into());
    let id = conn
        .query_one(
            "INSERT INTO incidents (org_id, title, status, discovered_at, occurred_at, \
             personal_data_leak, sensitive_data, financial_harm_risk, malicious, \
             people_affected, public_sector, encrypted, cyber_attack, care_impact, summary, \
             data_items, cause, secondary_damage, subject_response, publication, prevention, \
             other_notes, created_by, created_at, updated_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23, $24, $24, $25) RETURNING id",
            &p,
        )?
        .i64(0)?;
    let after =
        incident(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("incident {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        "incident.create",
        &Change::<IncidentData> {
            before: None,
            after: Some(&after.data),
        },
    )?;
    add_event(
        conn,
        org,
        actor,
        id,
        now,
        "status",
        &format!("台帳に登録（状態: {status_label}）"),
    )?;
    Ok(after)
}

/// Changes an incident, audited; a change of status is also written to the timeline.
/// `status_label` is how the new status reads in the timeline.
pub fn update_incident(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    id: i64,
    d: &IncidentData,
    status_label: &str,
) -> Result<Incident, StoreError> {
    let before =
        incident(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("incident {id}")))?;
    let now = now_us();
    let closed_at = if d.status == "closed" {
        Some(before.closed_at.unwrap_or(now))
    } else {
        None
    };
    let mut p = vec![crate::Value::from(org.id.0), crate::Value::from(id)];
    p.extend(incident_params(d));
    p.push(now.into());
    p.push(closed_at.into());
    conn.execute(
        "UPDATE incidents SET title = $3, status = $4, discovered_at = $5, occurred_at = $6, \
         personal_data_leak = $7, sensitive_data = $8, financial_harm_risk = $9, \
         malicious = $10, people_affected = $11, public_sector = $12, encrypted = $13, \
         cyber_attack = $14, care_impact = $15, summary = $16, data_items = $17, cause = $18, \
         secondary_damage = $19, subject_response = $20, publication = $21, prevention = $22, \
         other_notes = $23, updated_at = $24, closed_at = $25 WHERE org_id = $1 AND id = $2",
        &p,
    )?;
    let after =
        incident(conn, org, id)?.ok_or_else(|| StoreError::NotFound(format!("incident {id}")))?;
    audit::record(
        conn,
        org,
        actor,
        "incident.update",
        &Change {
            before: Some(&before.data),
            after: Some(&after.data),
        },
    )?;
    if before.data.status != d.status {
        add_event(
            conn,
            org,
            actor,
            id,
            now,
            "status",
            &format!("状態を「{status_label}」に変更"),
        )?;
    }
    Ok(after)
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    /// When it happened (µs).
    pub at: i64,
    /// `action` (対応) or `status` (状態の変更).
    pub kind: String,
    pub body: String,
    pub actor: String,
}

/// Adds a timeline entry, audited.
pub fn add_event(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    incident_id: i64,
    at: i64,
    kind: &str,
    body: &str,
) -> Result<Event, StoreError> {
    if incident(conn, org, incident_id)?.is_none() {
        return Err(StoreError::NotFound(format!("incident {incident_id}")));
    }
    let id = conn
        .query_one(
            "INSERT INTO incident_events (org_id, incident_id, at, kind, body, actor, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![org.id.0, incident_id, at, kind, body, actor, now_us()],
        )?
        .i64(0)?;
    let e = Event {
        id,
        at,
        kind: kind.to_owned(),
        body: body.to_owned(),
        actor: actor.to_owned(),
    };
    audit::record(
        conn,
        org,
        actor,
        "incident.event",
        &serde_json::json!({ "incident": incident_id, "event": &e }),
    )?;
    Ok(e)
}

/// An incident's timeline, in time order.
pub fn events(conn: &mut Conn, org: &Org, incident_id: i64) -> Result<Vec<Event>, StoreError> {
    conn.query(
        "SELECT id, at, kind, body, actor FROM incident_events \
         WHERE org_id = $1 AND incident_id = $2 ORDER BY at, id",
        params![org.id.0, incident_id],
    )?
    .iter()
    .map(|r| {
        Ok(Event {
            id: r.i64(0)?,
            at: r.i64(1)?,
            kind: r.string(2)?,
            body: r.string(3)?,
            actor: r.string(4)?,
        })
    })
    .collect()
}

/// A notification made (報告・連絡).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    /// `ReportBody` code, or `vendor` / `other`.
    pub body: String,
    /// `ReportKind` code.
    pub what: String,
    /// When (µs).
    pub notified_at: i64,
    /// 報告者.
    pub by_whom: String,
    /// 方法 (電話, メール, ウェブフォーム…).
    pub method: Option<String>,
    pub note: Option<String>,
}

/// Records a notification, audited, and writes it to the timeline.
pub fn add_notification(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    incident_id: i64,
    n: &Notification,
    timeline_text: &str,
) -> Result<Notification, StoreError> {
    if incident(conn, org, incident_id)?.is_none() {
        return Err(StoreError::NotFound(format!("incident {incident_id}")));
    }
    let id = conn
        .query_one(
            "INSERT INTO incident_notifications (org_id, incident_id, body, what, notified_at, \
             by_whom, method, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
            params![
                org.id.0,
                incident_id,
                n.body.as_str(),
                n.what.as_str(),
                n.notified_at,
                n.by_whom.as_str(),
                n.method.clone(),
                n.note.clone(),
                now_us()
            ],
        )?
        .i64(0)?;
    let saved = Notification { id, ..n.clone() };
    audit::record(
        conn,
        org,
        actor,
        "incident.notification",
        &serde_json::json!({ "incident": incident_id, "notification": &saved }),
    )?;
    add_event(
        conn,
        org,
        actor,
        incident_id,
        n.notified_at,
        "notification",
        timeline_text,
    )?;
    Ok(saved)
}

/// An incident's notifications, in time order.
pub fn notifications(
    conn: &mut Conn,
    org: &Org,
    incident_id: i64,
) -> Result<Vec<Notification>, StoreError> {
    conn.query(
        "SELECT id, body, what, notified_at, by_whom, method, note FROM incident_notifications \
         WHERE org_id = $1 AND incident_id = $2 ORDER BY notified_at, id",
        params![org.id.0, incident_id],
    )?
    .iter()
    .map(|r| {
        Ok(Notification {
            id: r.i64(0)?,
            body: r.string(1)?,
            what: r.string(2)?,
            notified_at: r.i64(3)?,
            by_whom: r.string(4)?,
            method: r.opt_string(5)?,
            note: r.opt_string(6)?,
        })
    })
    .collect()
}
