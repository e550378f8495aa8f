//! Running the rules for an organisation and feeding the store: the application service
//! between the pure rules (`anzen_core::rules`), the matcher (`anzen-vuln`) and the store.
//! Used by the pages (after an asset import or edit) and by the CLI (`anzen check`,
//! `anzen feeds import`).
//!
//! Everything runs in the caller's transaction; the store records what the rules decided.

use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

use anzen_catalog::evidence::{EvidenceRegistry, EvidenceRule, Facts, OrgFacts};
use anzen_core::calendar::{FiscalYear, parse_month};
use anzen_core::finding::reconcile;
use anzen_core::rules::access_log as rules_access;
use anzen_core::rules::accounts as rules_accounts;
use anzen_core::rules::assets::{
    AssetLedgerComplete, LedgerSummary, OpenFinding, RULE_PREFIXES, SettingsEvidence, Tables,
    VulnData, findings,
};
use anzen_core::rules::bcp as rules_bcp;
use anzen_core::rules::governance as rules_governance;
use anzen_core::rules::incident as rules_incident;
use anzen_core::rules::vendors as rules_vendors;
use anzen_store::access_monitoring as store_monitoring;
use anzen_store::accounts as store_accounts;
use anzen_store::continuity as store_continuity;
use anzen_store::findings::{self as findings_store, Applied};
use anzen_store::governance as store_governance;
use anzen_store::incident as store_incident;
use anzen_store::orgs::Org;
use anzen_store::vuln_feeds::{self, FeedFile, NewFeed};
use anzen_store::{Conn, StoreError, assets};
use anzen_vuln::feeds::{CveRecord, FeedData, FeedKind, KevCatalog, parse_feed};

/// Why a check or a feed import failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file is not a feed anzen reads, or is damaged (a user error; Japanese).
    #[error("{0}")]
    BadFeed(String),
    /// The shipped data files failed to load (a build error).
    #[error("data tables: {0}")]
    Tables(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    AccessLog(#[from] anzen_accesslog::AccessLogError),
}

/// The alias and end-of-support tables, loaded once.
pub fn tables() -> Result<Arc<Tables>, CheckError> {
    static TABLES: OnceLock<Result<Arc<Tables>, String>> = OnceLock::new();
    TABLES
        .get_or_init(|| Tables::builtin().map(Arc::new))
        .clone()
        .map_err(CheckError::Tables)
}

fn gunzip_if_needed(raw: &[u8]) -> Result<Vec<u8>, CheckError> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| CheckError::BadFeed(format!("gzip を展開できません: {e}")))?;
        Ok(out)
    } else {
        Ok(raw.to_vec())
    }
}

/// The records to store for a parsed feed file: NVD per CVE (its `cve` object), the KEV
/// catalog whole (it replaces the previous one), a JVN document whole (keyed by its hash).
fn records_of(
    kind: FeedKind,
    sha256: &str,
    raw: &[u8],
) -> Result<Vec<(String, String)>, CheckError> {
    let text = String::from_utf8(gunzip_if_needed(raw)?)
        .map_err(|_| CheckError::BadFeed("UTF-8 ではありません".to_owned()))?;
    match kind {
        FeedKind::Nvd => {
            // Split into the records' own JSON without building a value tree: a full NVD
            // dump is hundreds of MB.
            #[derive(serde::Deserialize)]
            struct Doc<'a> {
                #[serde(borrow, default)]
                vulnerabilities: Option<Vec<Wrapped<'a>>>,
            }
            #[derive(serde::Deserialize)]
            struct Wrapped<'a> {
                #[serde(borrow)]
                cve: &'a serde_json::value::RawValue,
            }
            #[derive(serde::Deserialize)]
            struct Id<'a> {
                id: &'a str,
            }
            let bad = |e: serde_json::Error| CheckError::BadFeed(format!("JSON を読めません: {e}"));
            let doc: Doc<'_> = serde_json::from_str(&text).map_err(bad)?;
            let raws: Vec<&serde_json::value::RawValue> = match doc.vulnerabilities {
                Some(v) => v.into_iter().map(|w| w.cve).collect(),
                // One bare `cve` object (a per-CVE mirror file).
                None => vec![serde_json::from_str(&text).map_err(bad)?],
            };
            raws.into_iter()
                .map(|raw| {
                    let id: Id<'_> = serde_json::from_str(raw.get())
                        .map_err(|_| CheckError::BadFeed("CVE の id がありません".to_owned()))?;
                    Ok((id.id.to_owned(), raw.get().to_owned()))
                })
                .collect()
        }
        FeedKind::Kev => Ok(vec![("catalog".to_owned(), text)]),
        FeedKind::Jvn => Ok(vec![(sha256.to_owned(), text)]),
    }
}

/// Imports one feed file (server-wide) in the caller's transaction: parsed and checked
/// first, then stored — a file that does not parse changes nothing.
pub fn import_feed(conn: &mut Conn, file_name: &str, raw: &[u8]) -> Result<FeedFile, CheckError> {
    let feed = parse_feed(raw).map_err(|e| CheckError::BadFeed(format!("{file_name}: {e}")))?;
    let records = records_of(feed.kind, &feed.sha256, raw)
        .map_err(|e| CheckError::BadFeed(format!("{file_name}: {e}")))?;
    Ok(vuln_feeds::import(
        conn,
        &NewFeed {
            kind: feed.kind.as_str(),
            file_name,
            feed_date: feed.feed_date.as_deref(),
            sha256: &feed.sha256,
            replace_all: feed.kind == FeedKind::Kev,
        },
        &records,
    )?)
}

/// The stored feeds, parsed for matching.
pub struct LoadedFeeds {
    pub cves: Vec<CveRecord>,
    pub kev: Option<KevCatalog>,
}

/// The stored feeds, parsed once per feed change: every asset edit re-runs the rules, and
/// parsing a full NVD dump takes seconds. Keyed by every imported file's id and hash, so a
/// process serving another database (tests) never sees another's feeds.
pub fn load_feeds(conn: &mut Conn) -> Result<Arc<LoadedFeeds>, CheckError> {
    /// The key (imported files) and the feeds parsed from them.
    type Cached = Option<(String, Arc<LoadedFeeds>)>;
    static CACHE: OnceLock<Mutex<Cached>> = OnceLock::new();
    let latest: String = vuln_feeds::files(conn)?
        .iter()
        .map(|f| format!("{}:{};", f.id, f.sha256))
        .collect();
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    if let Some((id, feeds)) = cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
        && *id == latest
    {
        return Ok(feeds.clone());
    }
    let feeds = Arc::new(parse_stored_feeds(conn)?);
    *cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((latest, feeds.clone()));
    Ok(feeds)
}

/// Parses the stored NVD records and KEV catalog.
fn parse_stored_feeds(conn: &mut Conn) -> Result<LoadedFeeds, CheckError> {
    let nvd = vuln_feeds::records(conn, "nvd")?;
    let cves = if nvd.is_empty() {
        Vec::new()
    } else {
        let mut doc =
            String::from("{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[");
        for (i, (_, json)) in nvd.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str("{\"cve\":");
            doc.push_str(json);
            doc.push('}');
        }
        doc.push_str("]}");
        match parse_feed(doc.as_bytes()) {
            Ok(f) => match f.data {
                FeedData::Nvd(v) => v,
                _ => Vec::new(),
            },
            Err(e) => return Err(CheckError::BadFeed(format!("stored NVD records: {e}"))),
        }
    };
    let kev = match vuln_feeds::records(conn, "kev")?.into_iter().next() {
        Some((_, json)) => match parse_feed(json.as_bytes()) {
            Ok(f) => match f.data {
                FeedData::Kev(k) => Some(k),
                _ => None,
            },
            Err(e) => return Err(CheckError::BadFeed(format!("stored KEV catalog: {e}"))),
        },
        None => None,
    };
    Ok(LoadedFeeds { cves, kev })
}

/// Runs the asset rules for `org` on `today` and records the result (new findings opened,
/// gone ones resolved), in the caller's transaction.
pub fn run_asset_rules(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    feeds: &LoadedFeeds,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let tables = tables()?;
    let data: Vec<_> = assets::list(conn, org)?
        .into_iter()
        .map(|a| a.data)
        .collect();
    let now = findings(
        &data,
        &VulnData {
            cves: &feeds.cves,
            kev: feeds.kev.as_ref(),
        },
        &tables,
        today,
    );
    let recorded = findings_store::recorded(conn, org, &RULE_PREFIXES)?;
    Ok(findings_store::apply(
        conn,
        org,
        actor,
        &reconcile(&recorded, &now),
    )?)
}

/// Loads the feeds and runs the asset rules (see [`run_asset_rules`]).
pub fn check_assets(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let feeds = load_feeds(conn)?;
    run_asset_rules(conn, org, actor, &feeds, today)
}

/// The facts and the evidence rules for the checklist of `org` in `fy`: the built-in rules
/// plus the rules of the modules that exist (asset ledger for 2-(1)).
pub fn evidence_for(
    conn: &mut Conn,
    org: &Org,
    fy: FiscalYear,
    today: jiff::civil::Date,
) -> Result<(EvidenceRegistry, Facts), CheckError> {
    let data: Vec<_> = assets::list(conn, org)?
        .into_iter()
        .map(|a| a.data)
        .collect();
    let last_review = assets::latest_review(conn, org)?
        .and_then(|r| anzen_core::calendar::parse_date(&r.reviewed_on).ok());
    let open: Vec<OpenFinding> = findings_store::list(conn, org, true)?
        .into_iter()
        .map(|f| OpenFinding {
            rule: f.rule,
            title: f.title,
        })
        .collect();
    let nvd_loaded = vuln_feeds::counts(conn)?
        .iter()
        .any(|(kind, n)| kind == "nvd" && *n > 0);
    let mut registry = EvidenceRegistry::with_builtin_rules();
    registry.register(AssetLedgerComplete {
        summary: LedgerSummary::of(&data, last_review),
        today,
    });
    // 2-(2) and 2-(3) also read the vendor records (the ledger's 2-(2) rule is the base).
    let vi = vendor_inputs(conn, org)?;
    let vendor_now = rules_vendors::findings(
        &vi.vendors,
        &vi.matrices,
        &rules_vendors::Options::default(),
        today,
    );
    let active_vendors = vi.vendors.iter().filter(|v| v.active).count();
    for rule in SettingsEvidence::all(&data, &open, nvd_loaded) {
        if rule.key() == anzen_catalog::evidence::REMOTE_MAINTENANCE_KNOWN {
            registry.register(rules_vendors::VendorEvidence::new(
                anzen_catalog::evidence::REMOTE_MAINTENANCE_KNOWN,
                rules_vendors::ITEM_REMOTE,
                Some(Box::new(rule)),
                active_vendors,
                &vendor_now,
            ));
        } else {
            registry.register(rule);
        }
    }
    registry.register(rules_vendors::VendorEvidence::new(
        anzen_catalog::evidence::MDS_SDS_RECEIVED,
        rules_vendors::ITEM_DISCLOSURE,
        None,
        active_vendors,
        &vendor_now,
    ));
    let inputs = account_inputs(conn, org)?;
    let signoffs = {
        let systems = store_accounts::systems(conn, org)?;
        let mut latest = std::collections::BTreeMap::new();
        for r in store_accounts::reviews(conn, org)? {
            if let (Some(s), Ok(d)) = (
                systems.iter().find(|s| s.id == r.system_id),
                jiff::Timestamp::from_microsecond(r.signed_at),
            ) {
                let day = d
                    .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
                    .date();
                latest
                    .entry(s.data.name.clone())
                    .and_modify(|x: &mut jiff::civil::Date| *x = (*x).max(day))
                    .or_insert(day);
            }
        }
        Some(latest)
    };
    registry.register(rules_accounts::NoAccountFindings {
        summary: rules_accounts::AccountSummary::of(
            &inputs.accounts,
            inputs.roster_imported,
            &open,
            signoffs,
        ),
        today,
    });
    register_incident_evidence(conn, org, &mut registry, today)?;
    let gi = governance_inputs(conn, org, today)?;
    registry.register(rules_governance::OperationsRulesEstablished {
        training: gi.sessions.iter().map(|s| s.date).collect(),
        policy: gi.policy,
        today,
    });
    // 2-(6): the monthly 監査 reports signed off.
    let last_month = today
        .first_of_month()
        .yesterday()
        .unwrap_or(today)
        .first_of_month();
    registry.register(rules_access::AccessLogsReviewed {
        signed_months: store_monitoring::reports(conn, org)?
            .into_iter()
            .map(|r| r.month)
            .collect(),
        events_last_month: store_monitoring::events_touching(
            conn,
            org,
            jst_midnight(last_month),
            jst_midnight(today.first_of_month()),
        )?,
        events_total: anzen_accesslog::event_count(conn, org)?,
        today,
    });
    let facts = Facts {
        org: OrgFacts {
            security_officer_name: org.profile.security_officer.clone(),
        },
        fiscal_year: Some(fy.0),
    };
    Ok((registry, facts))
}

/// The organisation's current account lists (latest snapshot per system), roster, systems
/// and policy as the account rules take them.
pub struct AccountInputs {
    pub accounts: Vec<rules_accounts::Account>,
    pub staff: Vec<rules_accounts::Staff>,
    pub roster_imported: bool,
    pub systems: Vec<rules_accounts::SystemInfo>,
    pub policy: rules_accounts::AccessPolicy,
    pub windows: Vec<rules_accounts::MaintenanceWindow>,
}

fn date(s: &Option<String>) -> Option<jiff::civil::Date> {
    s.as_deref()
        .and_then(|d| anzen_core::calendar::parse_date(d).ok())
}

/// Loads [`AccountInputs`] from the store.
pub fn account_inputs(conn: &mut Conn, org: &Org) -> Result<AccountInputs, CheckError> {
    let systems = store_accounts::systems(conn, org)?;
    let snaps = store_accounts::snapshots(conn, org)?;
    let mut accounts = Vec::new();
    for s in &systems {
        if let Some(snap) = snaps
            .iter()
            .find(|x| x.kind == "accounts" && x.system_id == Some(s.id))
        {
            for a in store_accounts::snapshot_accounts(conn, snap.id)? {
                accounts.push(rules_accounts::Account {
                    system: s.data.name.clone(),
                    last_login: date(&a.last_login),
                    password_changed: date(&a.password_changed),
                    account_id: a.account_id,
                    name: a.name,
                    staff_id: a.staff_id,
                    role: a.role,
                    enabled: a.enabled,
                    mfa: a.mfa,
                });
            }
        }
    }
    let roster = snaps.iter().find(|x| x.kind == "staff");
    let staff = match roster {
        Some(r) => store_accounts::snapshot_staff(conn, r.id)?
            .into_iter()
            .map(|s| rules_accounts::Staff {
                hired: date(&s.hired),
                retired: date(&s.retired),
                staff_id: s.staff_id,
                name: s.name,
                job: s.job,
                department: s.department,
            })
            .collect(),
        None => Vec::new(),
    };
    let p = store_accounts::policy(conn, org)?;
    let name_of = |id: i64| {
        systems
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.data.name.clone())
            .unwrap_or_default()
    };
    let policy = rules_accounts::AccessPolicy {
        allowed: p
            .allowed
            .iter()
            .map(|(s, job, role)| (name_of(*s), job.clone(), role.clone()))
            .collect(),
        admin_roles: p
            .admin_roles
            .iter()
            .map(|(s, role)| (name_of(*s), role.clone()))
            .collect(),
        named_owners: p
            .owners
            .iter()
            .map(|(s, a, o)| (name_of(*s), a.clone(), o.clone()))
            .collect(),
    };
    let windows = p
        .windows
        .iter()
        .filter_map(|(s, a, from, to)| {
            Some(rules_accounts::MaintenanceWindow {
                system: name_of(*s),
                account_id: a.clone(),
                from: anzen_core::calendar::parse_date(from).ok()?,
                to: anzen_core::calendar::parse_date(to).ok()?,
            })
        })
        .collect();
    let infos = systems
        .iter()
        .map(|s| rules_accounts::SystemInfo {
            name: s.data.name.clone(),
            supports_mfa: s.data.supports_mfa,
            min_password_len: s.data.min_password_len.and_then(|n| u32::try_from(n).ok()),
            kind: rules_accounts::SystemKind::parse(&s.data.kind),
        })
        .collect();
    Ok(AccountInputs {
        accounts,
        staff,
        roster_imported: roster.is_some(),
        systems: infos,
        policy,
        windows,
    })
}

/// Runs the account rules for `org` on `today` and records the result, in the caller's
/// transaction (after every import, policy or system change, and by `anzen check`).
pub fn check_accounts(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let i = account_inputs(conn, org)?;
    let now = rules_accounts::findings(
        &i.accounts,
        &i.staff,
        &i.systems,
        &i.policy,
        &i.windows,
        &rules_accounts::Options::default(),
        today,
    );
    let recorded = findings_store::recorded(conn, org, &rules_accounts::RULE_PREFIXES)?;
    Ok(findings_store::apply(
        conn,
        org,
        actor,
        &reconcile(&recorded, &now),
    )?)
}

/// The organisation's vendors and the responsibility matrices of the systems in scope (a
/// vendor linked, or a row recorded), as the vendor rules take them.
pub struct VendorInputs {
    pub vendors: Vec<rules_vendors::Vendor>,
    pub matrices: Vec<rules_vendors::SystemMatrix>,
}

/// Loads [`VendorInputs`] from the store. A 事業者確認用 form the linked vendor
/// organisation completed for this facility on the server counts as received on the day
/// it was completed.
pub fn vendor_inputs(conn: &mut Conn, org: &Org) -> Result<VendorInputs, CheckError> {
    use anzen_store::vendors as vs;
    let list = vs::list(conn, org)?;
    let docs = vs::documents(conn, org, None)?;
    let certs = vs::certifications(conn, org, None)?;
    let services = vs::services(conn, org, None)?;
    let remote = vs::remote(conn, org, None)?;
    let sys_links = vs::system_links(conn, org)?;
    let asset_links = vs::asset_links(conn, org)?;
    // The latest 2省GL 該当性チェック decides whether the サービス仕様適合開示書 is expected.
    let gl2 = anzen_store::gl2::latest(conn, org)?;
    let jst = jiff::tz::TimeZone::fixed(jiff::tz::offset(9));
    let mut vendors = Vec::with_capacity(list.len());
    for v in &list {
        let mut documents: Vec<rules_vendors::Document> = docs
            .iter()
            .filter(|d| d.vendor_id == v.id && d.is_current())
            .filter_map(|d| {
                Some(rules_vendors::Document {
                    kind: rules_vendors::DocKind::parse(&d.kind)?,
                    received_on: anzen_core::calendar::parse_date(&d.received_on).ok()?,
                    form_version: d.form_version.clone(),
                })
            })
            .collect();
        if let Some(vorg) = v.data.vendor_org_id
            && let Some(at) = vs::vendor_form_completed_at(conn, org.id.0, vorg)?
            && let Ok(ts) = jiff::Timestamp::from_microsecond(at)
        {
            documents.push(rules_vendors::Document {
                kind: rules_vendors::DocKind::VendorChecklist,
                received_on: ts.to_zoned(jst.clone()).date(),
                form_version: None,
            });
        }
        let own_services: Vec<rules_vendors::Service> = services
            .iter()
            .filter(|s| s.vendor_id == v.id)
            .map(|s| rules_vendors::Service {
                name: s.name.clone(),
                stores_data: s.stores_data,
                country: s.data_country.clone(),
                provider: s.data_provider.clone(),
                within_japan_law: s.within_japan_law,
            })
            .collect();
        vendors.push(rules_vendors::Vendor {
            name: v.data.name.clone(),
            active: v.data.active,
            provides: sys_links.iter().filter(|(x, _)| *x == v.id).count()
                + asset_links.iter().filter(|(x, _)| *x == v.id).count()
                + own_services.len(),
            documents,
            certifications: certs
                .iter()
                .filter(|c| c.vendor_id == v.id)
                .map(|c| rules_vendors::Certification {
                    kind: rules_vendors::CertKind::parse(&c.kind)
                        .unwrap_or(rules_vendors::CertKind::Other),
                    name: c.name.clone(),
                    expires_on: date(&c.expires_on),
                })
                .collect(),
            services: own_services,
            remote: remote
                .iter()
                .filter(|r| r.vendor_id == v.id)
                .map(|r| rules_vendors::RemoteAccess {
                    target: r.target.clone(),
                    method: r.method.clone(),
                    allowed_persons: r.allowed_persons.clone(),
                    logs_kept: r.logs_kept,
                })
                .collect(),
            gl2: gl2
                .iter()
                .find(|a| a.vendor_id == v.id)
                .and_then(|a| anzen_core::rules::gl2::Verdict::parse(&a.outcome)),
        });
    }
    let rows = vs::matrix(conn, org, None)?;
    let systems = store_accounts::systems(conn, org)?;
    let mut matrices = Vec::new();
    for s in &systems {
        let mine: Vec<&vs::Responsibility> = rows.iter().filter(|r| r.system_id == s.id).collect();
        if mine.is_empty() && !sys_links.iter().any(|(_, sid)| *sid == s.id) {
            continue;
        }
        let duties = rules_vendors::Duty::ALL
            .into_iter()
            .map(|duty| {
                let resp = mine
                    .iter()
                    .filter(|r| r.role == "responsible" && r.duty == duty.code())
                    .filter_map(|r| {
                        let party = match r.vendor_id {
                            None => rules_vendors::Party::Facility,
                            Some(id) => rules_vendors::Party::Vendor(
                                list.iter().find(|v| v.id == id)?.data.name.clone(),
                            ),
                        };
                        Some(rules_vendors::Responsible {
                            party,
                            accepted: r.accepted_at.is_some(),
                        })
                    })
                    .collect();
                (duty, resp)
            })
            .collect();
        matrices.push(rules_vendors::SystemMatrix {
            system: s.data.name.clone(),
            duties,
        });
    }
    Ok(VendorInputs { vendors, matrices })
}

/// Runs the vendor rules for `org` on `today` and records the result, in the caller's
/// transaction (after every vendor, document, system or matrix change, and by
/// `anzen check`).
pub fn check_vendors(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let i = vendor_inputs(conn, org)?;
    let now = rules_vendors::findings(
        &i.vendors,
        &i.matrices,
        &rules_vendors::Options::default(),
        today,
    );
    let recorded = findings_store::recorded(conn, org, &rules_vendors::RULE_PREFIXES)?;
    Ok(findings_store::apply(
        conn,
        org,
        actor,
        &reconcile(&recorded, &now),
    )?)
}

/// The organisation's incident-readiness records as the rules take them: the 連絡体制図,
/// the vendors it must name, the backups of the systems that need them, and the BCP in
/// force.
pub struct IncidentInputs {
    pub contacts: Vec<rules_incident::Contact>,
    /// 外部委託業者: the systems' 事業者 and the active assets' 保守事業者.
    pub vendors: Vec<String>,
    /// Systems that need backups (all but those marked as not needing them).
    pub backup_systems: Vec<String>,
    pub jobs: Vec<rules_incident::BackupJob>,
    pub drills: Vec<rules_incident::RestoreDrill>,
    /// Systems with a written restore procedure.
    pub with_procedure: Vec<String>,
    pub policy: rules_incident::BackupPolicy,
    pub bcp: Option<rules_bcp::BcpStatus>,
}

/// The contacts as the rules take them (unknown role codes are skipped: they cannot be
/// entered through the pages).
pub fn rule_contacts(list: &[store_incident::ContactRecord]) -> Vec<rules_incident::Contact> {
    list.iter()
        .filter_map(|c| {
            Some(rules_incident::Contact {
                role: rules_incident::ContactRole::from_code(&c.data.role)?,
                name: c.data.name.clone(),
                organisation: c.data.organisation.clone(),
                phone: c.data.phone.clone(),
                email: c.data.email.clone(),
                hours: c.data.hours.clone(),
                escalation_order: c.data.escalation_order.and_then(|n| u32::try_from(n).ok()),
            })
        })
        .collect()
}

/// The plan in force: the latest approved version, else the latest draft.
pub fn bcp_status(
    versions: &[store_continuity::BcpVersion],
) -> Result<Option<rules_bcp::BcpStatus>, CheckError> {
    let Some(v) = versions
        .iter()
        .find(|v| v.approved_on.is_some())
        .or_else(|| versions.first())
    else {
        return Ok(None);
    };
    let plan: rules_bcp::BcpPlan = serde_json::from_str(&v.plan)
        .map_err(|e| CheckError::Store(StoreError::Decode(format!("bcp plan: {e}"))))?;
    Ok(Some(rules_bcp::BcpStatus {
        version: u32::try_from(v.version).unwrap_or(0),
        plan,
        approved_on: date(&v.approved_on),
        next_review: date(&v.next_review),
    }))
}

/// Loads [`IncidentInputs`] from the store.
pub fn incident_inputs(conn: &mut Conn, org: &Org) -> Result<IncidentInputs, CheckError> {
    let contacts = rule_contacts(&store_incident::contacts(conn, org)?);
    let systems = store_accounts::systems(conn, org)?;
    let mut vendors: Vec<String> = systems
        .iter()
        .filter_map(|s| s.data.vendor.clone())
        .collect();
    vendors.extend(
        assets::list(conn, org)?
            .into_iter()
            .filter(|a| a.data.status != anzen_core::asset::AssetStatus::Retired)
            .filter_map(|a| a.data.maintainer),
    );
    let plans = store_continuity::system_plans(conn, org)?;
    let needed = |id: i64| {
        plans
            .iter()
            .find(|p| p.system_id == id)
            .is_none_or(|p| p.needed)
    };
    let name_of = |id: i64| {
        systems
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.data.name.clone())
    };
    let backup_systems = systems
        .iter()
        .filter(|s| needed(s.id))
        .map(|s| s.data.name.clone())
        .collect();
    let jobs = store_continuity::jobs(conn, org)?
        .into_iter()
        .filter(|j| needed(j.data.system_id))
        .filter_map(|j| {
            Some(rules_incident::BackupJob {
                system: name_of(j.data.system_id)?,
                method: j.data.method,
                generations: u32::try_from(j.data.generations).unwrap_or(0),
                offline_or_immutable: j.data.offline,
                frequency_days: u32::try_from(j.data.frequency_days).unwrap_or(0),
                last_success: date(&j.data.last_success),
            })
        })
        .collect();
    let drills = store_continuity::drills(conn, org)?
        .into_iter()
        .filter(|d| needed(d.system_id))
        .filter_map(|d| {
            Some(rules_incident::RestoreDrill {
                system: name_of(d.system_id)?,
                date: anzen_core::calendar::parse_date(&d.drill_date).ok()?,
                ok: d.ok,
                minutes: d.minutes.and_then(|m| u32::try_from(m).ok()),
            })
        })
        .collect();
    let with_procedure = plans
        .iter()
        .filter(|p| {
            p.restore_procedure
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
        })
        .filter_map(|p| name_of(p.system_id))
        .collect();
    let bcp = bcp_status(&store_continuity::bcp_versions(conn, org)?)?;
    Ok(IncidentInputs {
        contacts,
        vendors,
        backup_systems,
        jobs,
        drills,
        with_procedure,
        policy: rules_incident::BackupPolicy::default(),
        bcp,
    })
}

/// Rule-id prefixes of [`check_incident`] (contacts, backups, BCP).
pub const INCIDENT_RULE_PREFIXES: [&str; 3] = [
    rules_incident::RULE_PREFIXES[0],
    rules_incident::RULE_PREFIXES[1],
    rules_bcp::RULE_PREFIX,
];

/// Runs the 連絡体制図, backup and BCP rules for `org` on `today` and records the result,
/// in the caller's transaction (after every contact, backup, drill, BCP or system change,
/// and by `anzen check`).
pub fn check_incident(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let i = incident_inputs(conn, org)?;
    let mut now = rules_incident::contact_chart_findings(&i.contacts, &i.vendors);
    now.extend(rules_incident::backup_findings(
        &i.backup_systems,
        &i.jobs,
        &i.drills,
        &i.policy,
        today,
    ));
    now.extend(rules_bcp::bcp_findings(i.bcp.as_ref(), today));
    let recorded = findings_store::recorded(conn, org, &INCIDENT_RULE_PREFIXES)?;
    Ok(findings_store::apply(
        conn,
        org,
        actor,
        &reconcile(&recorded, &now),
    )?)
}

/// Registers the 3-(1), 3-(2) and 3-(3) evidence rules.
fn register_incident_evidence(
    conn: &mut Conn,
    org: &Org,
    registry: &mut EvidenceRegistry,
    today: jiff::civil::Date,
) -> Result<(), CheckError> {
    let i = incident_inputs(conn, org)?;
    registry.register(rules_incident::ContactChartComplete {
        contacts: i.contacts,
        vendors: i.vendors,
    });
    registry.register(rules_bcp::BackupRecoveryVerified {
        systems: i.backup_systems,
        jobs: i.jobs,
        drills: i.drills,
        with_procedure: i.with_procedure,
        policy: i.policy,
        today,
    });
    registry.register(rules_bcp::CyberBcpEstablished {
        status: i.bcp,
        today,
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 運用管理 (governance)
// ---------------------------------------------------------------------------------------

/// The 規程 as the rules see it: the latest approved version with its latest review, and
/// the number of a newer draft.
pub fn policy_state(
    versions: &[store_governance::PolicyVersion],
    reviews: &[store_governance::PolicyReview],
) -> rules_governance::PolicyState {
    let approved = versions.iter().find(|v| v.is_approved()).and_then(|v| {
        Some(rules_governance::ApprovedPolicy {
            version: u32::try_from(v.version).ok()?,
            approved_on: date(&v.approved_on)?,
            last_review: reviews
                .iter()
                .filter(|r| r.version_id == v.id)
                .filter_map(|r| anzen_core::calendar::parse_date(&r.reviewed_on).ok())
                .max(),
        })
    });
    let draft_version = versions
        .first()
        .filter(|v| !v.is_approved())
        .and_then(|v| u32::try_from(v.version).ok());
    rules_governance::PolicyState {
        approved,
        draft_version,
    }
}

/// Loads the governance rules' inputs — the 規程, the latest roster, the training sessions
/// and the PDCA calendar's records — from the store.
pub fn governance_inputs(
    conn: &mut Conn,
    org: &Org,
    today: jiff::civil::Date,
) -> Result<rules_governance::GovernanceInputs, CheckError> {
    let fy = FiscalYear::of(today);
    let versions = store_governance::policy_versions(conn, org)?;
    let reviews = store_governance::policy_reviews(conn, org)?;
    let policy = policy_state(&versions, &reviews);
    let roster = account_inputs(conn, org)?.staff;
    let sessions: Vec<rules_governance::TrainingSession> =
        store_governance::training_sessions(conn, org)?
            .into_iter()
            .filter_map(|s| {
                Some(rules_governance::TrainingSession {
                    date: anzen_core::calendar::parse_date(&s.data.held_on).ok()?,
                    title: s.data.title,
                    attendee_staff_ids: s
                        .attendees
                        .into_iter()
                        .filter_map(|a| a.staff_id)
                        .collect(),
                })
            })
            .collect();
    let checklist_completed = anzen_store::assessments::list(conn, org)?
        .into_iter()
        .filter(|a| a.fiscal_year == fy.0 && a.client_org_id.is_none())
        .filter_map(|a| a.completed_at.map(jst_date))
        .max();
    let year_month = |s: &str| parse_month(s).map(|d| (d.year(), d.month()));
    // Signed monthly access-log 監査 reports and account 棚卸, by their "YYYY-MM".
    let access_log_audit_months = store_monitoring::reports(conn, org)?
        .iter()
        .filter_map(|r| year_month(&r.month))
        .collect();
    let account_review_months = store_accounts::reviews(conn, org)?
        .iter()
        .filter_map(|r| year_month(&r.month))
        .collect();
    let has_systems = !store_accounts::systems(conn, org)?.is_empty();
    let restore_drills = store_continuity::drills(conn, org)?
        .into_iter()
        .filter_map(|d| anzen_core::calendar::parse_date(&d.drill_date).ok())
        .collect();
    let bcp = store_continuity::bcp_versions(conn, org)?
        .into_iter()
        .find(|v| v.approved_on.is_some());
    let vendors = anzen_store::vendors::list(conn, org)?;
    let docs = anzen_store::vendors::documents(conn, org, None)?;
    let vendor_documents = vendors
        .iter()
        .filter(|v| v.data.active)
        .map(|v| {
            let latest = docs
                .iter()
                .filter(|d| d.vendor_id == v.id && d.is_current())
                .filter_map(|d| anzen_core::calendar::parse_date(&d.received_on).ok())
                .max();
            (v.data.name.clone(), latest)
        })
        .collect();
    let calendar = rules_governance::CalendarInputs {
        checklist_completed,
        account_review_months,
        has_systems,
        access_log_audit_months,
        access_log_audit_tracked: anzen_accesslog::event_count(conn, org)? > 0,
        restore_drills,
        bcp_approved: bcp.as_ref().and_then(|v| date(&v.approved_on)),
        bcp_next_review: bcp.as_ref().and_then(|v| date(&v.next_review)),
        policy: policy.approved.clone(),
        training: sessions.iter().map(|s| s.date).collect(),
        vendor_documents,
    };
    Ok(rules_governance::GovernanceInputs {
        policy,
        roster,
        sessions,
        calendar,
    })
}

/// The rules' options for `org` (its 許可病床数 decides the yearly-training severity).
pub fn governance_options(org: &Org) -> rules_governance::Options {
    rules_governance::Options {
        beds: org.profile.beds,
        ..rules_governance::Options::default()
    }
}

/// Runs the governance rules (運用管理規程, 研修, PDCA calendar) for `org` on `today` and
/// records the result, in the caller's transaction (after every change on the governance
/// pages, and by `anzen check`).
pub fn check_governance(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    today: jiff::civil::Date,
) -> Result<Applied, CheckError> {
    let i = governance_inputs(conn, org, today)?;
    let now = rules_governance::findings(&i, &governance_options(org), today);
    let recorded = findings_store::recorded(conn, org, &[rules_governance::RULE_PREFIX])?;
    Ok(findings_store::apply(
        conn,
        org,
        actor,
        &reconcile(&recorded, &now),
    )?)
}

// ---------------------------------------------------------------------------------------
// アクセスログの監視 (2-(6))

const JST_US: i64 = 9 * 3600 * 1_000_000;
const DAY_US: i64 = 86_400 * 1_000_000;

/// The JST day of a time.
pub fn jst_date(time_us: i64) -> jiff::civil::Date {
    let days = (time_us + JST_US).div_euclid(DAY_US);
    jiff::civil::Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(jiff::civil::Date::MIN)
}

/// Midnight JST starting `d`, in microseconds.
pub fn jst_midnight(d: jiff::civil::Date) -> i64 {
    let days = jiff::civil::Date::constant(1970, 1, 1)
        .until(d)
        .map_or(0, |s| i64::from(s.get_days()));
    days * DAY_US - JST_US
}

/// The rules' thresholds and hours from the stored settings; closed days are the listed
/// ones plus, when set, the national holidays of the years `from..=to` touch.
pub fn monitor_config(
    s: &store_monitoring::MonitoringSettings,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> rules_access::Config {
    let mut hours = Vec::new();
    for (i, h) in s.weekday_hours.iter().enumerate() {
        if let Some(h) = h {
            let mut days = [false; 7];
            days[i] = true;
            hours.push(rules_access::Hours {
                system: "*".to_owned(),
                days,
                start_minute: h.start_minute,
                end_minute: h.end_minute,
            });
        }
    }
    // No open day at all leaves `hours` empty, which the rules read as "not checked"
    // (every access outside hours is a setting nobody means).
    let mut closed_days: Vec<jiff::civil::Date> = s
        .closed_days
        .iter()
        .filter_map(|d| anzen_core::calendar::parse_date(d).ok())
        .collect();
    if s.holidays_closed {
        for y in from.year()..=to.year() {
            closed_days.extend(anzen_core::holidays::holidays(y));
        }
    }
    rules_access::Config {
        hours,
        always_open: s.always_open.clone(),
        closed_days,
        patients_per_hour: s.patients_per_hour.max(1) as usize,
        failed_logins: s.failed_logins.max(1) as usize,
        failed_window_secs: i64::from(s.failed_window_minutes.max(1)) * 60,
        outputs_per_hour: s.outputs_per_hour.max(1) as usize,
    }
}

/// What a monitoring run looked at and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogRun {
    /// First JST day covered.
    pub from: jiff::civil::Date,
    /// Day after the last one covered.
    pub to: jiff::civil::Date,
    /// Events fed to the rules.
    pub events: u64,
    pub applied: Applied,
}

/// The rule's record of one stored event (borrowed).
pub fn access_record(s: &anzen_accesslog::StoredEvent) -> rules_access::AccessRecord<'_> {
    use anzen_ingest::Choice;
    let e = &s.event;
    rules_access::AccessRecord {
        seq: i64::try_from(s.seq).unwrap_or(i64::MAX),
        time_us: e.time_us,
        system: &e.system,
        user: &e.user,
        patient: e.patient.as_deref(),
        operation: rules_access::Operation::parse(e.action.en())
            .unwrap_or(rules_access::Operation::View),
        success: e.result.map(|r| r == anzen_ingest::AccessResult::Success),
        terminal: e.terminal.as_deref(),
    }
}

/// Runs the access-log monitoring (`core::rules::access_log::Monitor`) over the stored
/// events of the whole JST days that `[from_us, to_us)` touches, with the organisation's
/// settings and the account audit's latest snapshots (retired, disabled, unknown
/// accounts), and reconciles the findings of **those days only** (a finding's key ends
/// with its day): a run over one day says nothing about the others. In the caller's
/// transaction — after every import, watch or syslog batch for its time range, after a
/// settings change, and in `anzen check` (the last 31 days).
///
/// The store streams events in order of arrival; the monitor counts a late event in its
/// account's current hour, so logs imported out of time order may count an hour's
/// patients a little differently (never miss a retired, VIP, terminal or hours finding).
pub fn check_access_log(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    from_us: i64,
    to_us: i64,
) -> Result<AccessLogRun, CheckError> {
    let from = jst_date(from_us);
    let to = jst_date(to_us.max(from_us + 1) - 1)
        .tomorrow()
        .unwrap_or(jiff::civil::Date::MAX);
    let (start, end) = (jst_midnight(from), jst_midnight(to));
    let settings = store_monitoring::settings(conn, org)?.settings;
    let inputs = account_inputs(conn, org)?;
    // The account lists' date: the latest accounts snapshot (rules judge disabled/unknown
    // accounts only from then on).
    let as_of = store_accounts::snapshots(conn, org)?
        .iter()
        .filter(|s| s.kind == "accounts")
        .map(|s| s.imported_at)
        .max()
        .map(jst_date);
    let staff_patients: Vec<rules_access::StaffPatient> = settings
        .staff_patients
        .iter()
        .map(|p| rules_access::StaffPatient {
            patient: p.patient.clone(),
            staff_id: p.staff_id.clone(),
        })
        .collect();
    let reference = rules_access::Reference {
        accounts: &inputs.accounts,
        staff: &inputs.staff,
        accounts_as_of: as_of,
        vip_patients: &settings.vip_patients,
        staff_patients: &staff_patients,
        terminals: &settings.terminals,
    };
    let mut monitor = rules_access::Monitor::new(monitor_config(&settings, from, to), &reference);
    anzen_accesslog::stream(conn, org, start, end, |s| -> Result<bool, CheckError> {
        monitor.feed(&access_record(&s));
        Ok(true)
    })?;
    let events = monitor.events();
    let now = monitor.finish();
    let (lo, hi) = (from.to_string(), to.to_string());
    let recorded: Vec<_> = findings_store::recorded(conn, org, &rules_access::RULE_PREFIXES)?
        .into_iter()
        .filter(|r| {
            r.key
                .rsplit('/')
                .next()
                .is_some_and(|d| d.len() == 10 && *d >= *lo.as_str() && *d < *hi.as_str())
        })
        .collect();
    let applied = findings_store::apply(conn, org, actor, &reconcile(&recorded, &now))?;
    Ok(AccessLogRun {
        from,
        to,
        events,
        applied,
    })
}

/// The monitoring after an import: over the time span of the batches in `seqs`.
pub fn check_access_log_seqs(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    seqs: std::ops::Range<u64>,
) -> Result<Option<AccessLogRun>, CheckError> {
    match store_monitoring::batch_time_span(conn, org, seqs.start, seqs.end)? {
        Some((a, b)) => Ok(Some(check_access_log(conn, org, actor, a, b + 1)?)),
        None => Ok(None),
    }
}
