//! アカウント一覧 (accounts) and 職員名簿 (staff roster) read from a directory: LDAP or
//! Active Directory, as a second source beside the file imports (anzen-ingest).
//!
//! The rows are anzen-ingest's own [`AccountRow`] and [`StaffRow`], so whatever reads an
//! imported file reads a directory the same way.
//!
//! Reading is read-only (参照のみ): one simple bind as a service account, then searches.
//! Nothing here adds, modifies or deletes an entry; give the service account read access
//! only, so the server enforces it as well. TLS is LDAPS (`ldaps://`) or StartTLS on
//! `ldap://`, with rustls; a plain `ldap://` bind is refused unless `allow_insecure`.
//!
//! Both functions block (ldap3's sync client runs its own small tokio runtime): from async
//! code, call them in `spawn_blocking`.
//!
//! Dates: AD FILETIME and LDAP GeneralizedTime become the JST (日本時間) date, the
//! date アカウント一覧 shows (see [`TimeFormat`]).

mod config;
mod convert;
mod error;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anzen_ingest::{AccountRow, AccountStatus, StaffRow};
use jiff::civil::Date;
use ldap3::adapters::{Adapter, PagedResults};
use ldap3::{LdapConn, LdapConnSettings, LdapError, LdapResult, Scope, SearchEntry};

pub use config::{
    AccountAttributes, AttributeMap, DirectoryConfig, EnabledSource, GroupRole, MemberIs, RoleMap,
    RoleSource, SearchScope, StaffAttributes, TimeAttribute, TimeFormat,
};
pub use convert::{jst, parse_time};
pub use error::{DirectoryError, Step};

/// アカウント一覧 of `system` (the システム column) from the directory: one row per entry
/// that `cfg.filter` finds below `cfg.base_dn`, sorted by アカウントID. Entries left out
/// under `skip_incomplete` are dropped; [`fetch_accounts_detailed`] lists them.
pub fn fetch_accounts(
    cfg: &DirectoryConfig,
    system: &str,
) -> Result<Vec<AccountRow>, DirectoryError> {
    fetch_accounts_detailed(cfg, system).map(|f| f.rows)
}

/// 職員名簿 from the directory: one row per 職員番号 among the entries that `cfg.filter`
/// finds below `cfg.base_dn`, sorted by 職員番号. Entries left out under
/// `skip_incomplete` are dropped; [`fetch_staff_detailed`] lists them.
pub fn fetch_staff(cfg: &DirectoryConfig) -> Result<Vec<StaffRow>, DirectoryError> {
    fetch_staff_detailed(cfg).map(|f| f.rows)
}

/// The rows read, and the entries left out under `skip_incomplete` (each a
/// [`DirectoryError::MissingAttribute`] naming the entry), to show beside the rows.
#[derive(Debug)]
pub struct Fetched<T> {
    /// The rows, sorted by their ID.
    pub rows: Vec<T>,
    /// The entries left out.
    pub skipped: Vec<DirectoryError>,
}

/// [`fetch_accounts`] with the entries left out. Two entries with the same アカウントID
/// (compared without regard to case, as LDAP does) are an error naming both.
pub fn fetch_accounts_detailed(
    cfg: &DirectoryConfig,
    system: &str,
) -> Result<Fetched<AccountRow>, DirectoryError> {
    let map = &cfg.attributes.account;
    let mut session = Session::open(cfg)?;
    let groups = match &map.role.source {
        RoleSource::GroupSearch {
            base_dn,
            filter,
            member_attribute,
            member_is,
        } => Some(session.group_index(base_dn, filter, member_attribute, *member_is)?),
        _ => None,
    };
    let entries = session.search(&cfg.base_dn, &cfg.filter, account_attributes(map))?;
    drop(session);
    let mut out = Fetched {
        rows: Vec::with_capacity(entries.len()),
        skipped: Vec::new(),
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    for e in &entries {
        match account_row(e, map, system, groups.as_ref()) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.account_id.to_lowercase(), &e.dn) {
                    return Err(DirectoryError::Duplicate {
                        first: first.to_owned(),
                        second: e.dn.clone(),
                        attribute: map.account_id.clone(),
                        value: row.account_id,
                        column: "アカウントID",
                    });
                }
                out.rows.push(row);
            }
            Err(err) if cfg.skip_incomplete && err.is_incomplete() => out.skipped.push(err),
            Err(err) => return Err(err),
        }
    }
    out.rows.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok(out)
}

/// [`fetch_staff`] with the entries left out. Entries with the same 職員番号 (a person
/// with a second, administrative account in AD) give one row when their rows are the
/// same, and an error naming both when they differ.
pub fn fetch_staff_detailed(cfg: &DirectoryConfig) -> Result<Fetched<StaffRow>, DirectoryError> {
    let map = &cfg.attributes.staff;
    let mut session = Session::open(cfg)?;
    let mut attrs = vec![map.staff_id.clone(), map.name.clone(), map.job.clone()];
    attrs.extend(map.department.iter().cloned());
    attrs.extend(map.hired.iter().map(|t| t.attribute.clone()));
    attrs.extend(map.retired.iter().map(|t| t.attribute.clone()));
    let entries = session.search(&cfg.base_dn, &cfg.filter, attrs)?;
    drop(session);
    let mut out = Fetched {
        rows: Vec::with_capacity(entries.len()),
        skipped: Vec::new(),
    };
    let mut seen: HashMap<String, (&str, usize)> = HashMap::new();
    for e in &entries {
        match staff_row(e, map) {
            Ok(row) => match seen.get(&row.staff_id.to_lowercase()) {
                Some(&(_, i)) if out.rows.get(i) == Some(&row) => {}
                Some(&(first, _)) => {
                    return Err(DirectoryError::Duplicate {
                        first: first.to_owned(),
                        second: e.dn.clone(),
                        attribute: map.staff_id.clone(),
                        value: row.staff_id,
                        column: "職員番号",
                    });
                }
                None => {
                    seen.insert(row.staff_id.to_lowercase(), (&e.dn, out.rows.len()));
                    out.rows.push(row);
                }
            },
            Err(err) if cfg.skip_incomplete && err.is_incomplete() => out.skipped.push(err),
            Err(err) => return Err(err),
        }
    }
    out.rows.sort_by(|a, b| a.staff_id.cmp(&b.staff_id));
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Rows

fn account_attributes(map: &AccountAttributes) -> Vec<String> {
    let mut attrs = vec![map.account_id.clone()];
    attrs.extend(map.name.iter().cloned());
    attrs.extend(map.staff_id.iter().cloned());
    match &map.role.source {
        RoleSource::Attribute { attribute } | RoleSource::MemberOf { attribute } => {
            attrs.push(attribute.clone());
        }
        RoleSource::GroupSearch { .. } => {}
    }
    match &map.enabled {
        EnabledSource::Unknown => {}
        EnabledSource::UserAccountControl { attribute }
        | EnabledSource::LockedWhenPresent { attribute }
        | EnabledSource::Values { attribute, .. } => attrs.push(attribute.clone()),
    }
    attrs.extend(map.last_login.iter().map(|t| t.attribute.clone()));
    attrs.extend(map.password_changed.iter().map(|t| t.attribute.clone()));
    attrs.extend(map.mfa.iter().cloned());
    attrs
}

fn account_row(
    e: &Entry,
    map: &AccountAttributes,
    system: &str,
    groups: Option<&GroupIndex>,
) -> Result<AccountRow, DirectoryError> {
    let account_id = e.required(&map.account_id, "アカウントID")?;
    let name = e.optional_of(map.name.as_deref())?;
    let staff_id = e.optional_of(map.staff_id.as_deref())?;
    let role = role(e, &map.role, groups, &account_id)?;
    let status = match &map.enabled {
        EnabledSource::Unknown => None,
        EnabledSource::UserAccountControl { attribute } => match e.first(attribute)? {
            None => None,
            Some(v) => {
                let disabled =
                    convert::uac_disabled(v).map_err(|()| e.bad(attribute, v, "数値"))?;
                Some(if disabled {
                    AccountStatus::Disabled
                } else {
                    AccountStatus::Enabled
                })
            }
        },
        EnabledSource::LockedWhenPresent { attribute } => Some(if e.has(attribute) {
            AccountStatus::Disabled
        } else {
            AccountStatus::Enabled
        }),
        EnabledSource::Values {
            attribute,
            enabled,
            disabled,
        } => match e.first(attribute)? {
            None => None,
            Some(v) => {
                let is = |list: &[String]| list.iter().any(|x| x.trim().eq_ignore_ascii_case(v));
                if is(disabled) {
                    Some(AccountStatus::Disabled)
                } else if is(enabled) {
                    Some(AccountStatus::Enabled)
                } else {
                    return Err(e.bad(attribute, v, "有効／無効"));
                }
            }
        },
    };
    let mfa = match map.mfa.as_deref() {
        None => None,
        Some(attribute) => match e.first(attribute)? {
            None => None,
            Some(v) => Some(convert::yes_no(v).ok_or_else(|| e.bad(attribute, v, "はい／いいえ"))?),
        },
    };
    Ok(AccountRow {
        system: system.to_owned(),
        account_id,
        name,
        staff_id,
        role,
        status,
        last_login: e.time(map.last_login.as_ref())?,
        mfa,
        password_changed: e.time(map.password_changed.as_ref())?,
    })
}

fn staff_row(e: &Entry, map: &StaffAttributes) -> Result<StaffRow, DirectoryError> {
    Ok(StaffRow {
        staff_id: e.required(&map.staff_id, "職員番号")?,
        name: e.required(&map.name, "氏名")?,
        job: e.required(&map.job, "職種")?,
        department: e.optional_of(map.department.as_deref())?,
        hired: e.time(map.hired.as_ref())?,
        retired: e.time(map.retired.as_ref())?,
    })
}

/// Groups by member: normalised member DN (or account ID) → the groups' (DN, cn).
type GroupIndex = (MemberIs, HashMap<String, Vec<(String, String)>>);

/// 権限 from the entry's groups or values, named by `map.groups`.
fn role(
    e: &Entry,
    map: &RoleMap,
    groups: Option<&GroupIndex>,
    account_id: &str,
) -> Result<String, DirectoryError> {
    // (normalised DN or value, display name)
    let found: Vec<(String, String)> = match (&map.source, groups) {
        (RoleSource::Attribute { attribute }, _) => e
            .all(attribute)?
            .into_iter()
            .map(|v| (normalize_dn(v), v.to_owned()))
            .collect(),
        (RoleSource::MemberOf { attribute }, _) => e
            .all(attribute)?
            .into_iter()
            .map(|dn| (normalize_dn(dn), first_rdn_value(dn)))
            .collect(),
        (RoleSource::GroupSearch { .. }, Some((member_is, index))) => {
            let key = match member_is {
                MemberIs::Dn => normalize_dn(&e.dn),
                MemberIs::AccountId => account_id.to_lowercase(),
            };
            index.get(&key).cloned().unwrap_or_default()
        }
        (RoleSource::GroupSearch { .. }, None) => Vec::new(),
    };
    let mut roles: Vec<String> = Vec::new();
    if map.groups.is_empty() {
        let names: BTreeSet<&str> = found.iter().map(|(_, cn)| cn.as_str()).collect();
        roles.extend(names.into_iter().map(str::to_owned));
    } else {
        for g in &map.groups {
            let want = normalize_dn(&g.group);
            let hit = found
                .iter()
                .any(|(dn, cn)| *dn == want || cn.to_lowercase() == want);
            if hit && !roles.contains(&g.role) {
                roles.push(g.role.clone());
            }
        }
    }
    if roles.is_empty() {
        return match &map.default {
            Some(d) => Ok(d.clone()),
            None => Err(DirectoryError::MissingAttribute {
                dn: e.dn.clone(),
                attribute: match &map.source {
                    RoleSource::Attribute { attribute } | RoleSource::MemberOf { attribute } => {
                        attribute.clone()
                    }
                    RoleSource::GroupSearch { base_dn, .. } => format!("{base_dn} のグループ"),
                },
                column: "権限",
            }),
        };
    }
    Ok(roles.join("、"))
}

/// A DN compared without regard to case or spaces around `,` and `=`.
fn normalize_dn(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut parts = dn.split(',').peekable();
    while let Some(rdn) = parts.next() {
        let rdn = rdn.trim();
        match rdn.split_once('=') {
            Some((k, v)) => {
                out.push_str(k.trim());
                out.push('=');
                out.push_str(v.trim());
            }
            None => out.push_str(rdn),
        }
        if parts.peek().is_some() {
            out.push(',');
        }
    }
    out.to_lowercase()
}

/// `医師` of `cn=医師,ou=groups,…` (escaped commas are kept, the backslash dropped).
fn first_rdn_value(dn: &str) -> String {
    let mut value = String::new();
    let mut started = false;
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if started => value.extend(chars.next()),
            ',' | '+' => break,
            '=' if !started => started = true,
            c if started => value.push(c),
            _ => {}
        }
    }
    if value.trim().is_empty() {
        dn.to_owned()
    } else {
        value.trim().to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// Entries

/// A search result with attribute names in lower case (LDAP names ignore case).
struct Entry {
    dn: String,
    attrs: HashMap<String, Vec<String>>,
    binary: HashMap<String, usize>,
}

impl Entry {
    fn new(se: SearchEntry) -> Entry {
        let mut attrs: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in se.attrs {
            attrs.entry(k.to_lowercase()).or_default().extend(v);
        }
        let binary = se
            .bin_attrs
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v.len()))
            .collect();
        Entry {
            dn: se.dn,
            attrs,
            binary,
        }
    }

    fn bad(&self, attribute: &str, value: &str, expected: &'static str) -> DirectoryError {
        DirectoryError::BadValue {
            dn: self.dn.clone(),
            attribute: attribute.to_owned(),
            value: value.to_owned(),
            expected,
        }
    }

    fn has(&self, attribute: &str) -> bool {
        let k = attribute.to_lowercase();
        self.attrs.get(&k).is_some_and(|v| !v.is_empty()) || self.binary.contains_key(&k)
    }

    /// The non-empty values; an error when the server sent them as binary (not UTF-8).
    fn all(&self, attribute: &str) -> Result<Vec<&str>, DirectoryError> {
        let k = attribute.to_lowercase();
        if self.binary.contains_key(&k) {
            return Err(self.bad(attribute, "（UTF-8 でない値）", "文字列"));
        }
        Ok(self
            .attrs
            .get(&k)
            .map(|vs| {
                vs.iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn first(&self, attribute: &str) -> Result<Option<&str>, DirectoryError> {
        Ok(self.all(attribute)?.into_iter().next())
    }

    fn optional_of(&self, attribute: Option<&str>) -> Result<Option<String>, DirectoryError> {
        match attribute {
            None => Ok(None),
            Some(a) => Ok(self.first(a)?.map(str::to_owned)),
        }
    }

    fn required(&self, attribute: &str, column: &'static str) -> Result<String, DirectoryError> {
        self.first(attribute)?
            .map(str::to_owned)
            .ok_or_else(|| DirectoryError::MissingAttribute {
                dn: self.dn.clone(),
                attribute: attribute.to_owned(),
                column,
            })
    }

    fn time(&self, attr: Option<&TimeAttribute>) -> Result<Option<Date>, DirectoryError> {
        let Some(t) = attr else { return Ok(None) };
        match self.first(&t.attribute)? {
            None => Ok(None),
            Some(v) => parse_time(v, t.format).map_err(|()| self.bad(&t.attribute, v, "日時")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The connection

struct Session {
    conn: LdapConn,
    server: String,
    cfg_timeout: std::time::Duration,
    page_size: u32,
    scope: Scope,
}

impl Session {
    /// Connects (with LDAPS or StartTLS as configured) and binds.
    fn open(cfg: &DirectoryConfig) -> Result<Session, DirectoryError> {
        let server = cfg.url.trim().to_owned();
        let lower = server.to_ascii_lowercase();
        let ldaps = lower.starts_with("ldaps://");
        if !ldaps && !lower.starts_with("ldap://") {
            return Err(DirectoryError::Config(format!(
                "URL『{server}』は ldap:// または ldaps:// で始めてください"
            )));
        }
        let start_tls = cfg.start_tls && !ldaps;
        if !ldaps && !start_tls && !cfg.allow_insecure && !cfg.bind_dn.is_empty() {
            return Err(DirectoryError::Config(format!(
                "{server} へ暗号化なしでパスワードを送ることになります。ldaps:// にするか start_tls を有効にしてください（平文で構わない場合は allow_insecure）"
            )));
        }
        if !cfg.bind_dn.is_empty() && cfg.bind_password.is_empty() {
            // An empty password makes an "unauthenticated bind", which many servers accept
            // without checking anything.
            return Err(DirectoryError::Config(format!(
                "バインド DN {} のパスワードが空です",
                cfg.bind_dn
            )));
        }
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(cfg.timeout)
            .set_starttls(start_tls);
        if ldaps || start_tls {
            settings = settings.set_config(tls_config(cfg)?);
        }
        let tls_step = if start_tls {
            Step::StartTls
        } else {
            Step::Connect
        };
        let mut conn = LdapConn::with_settings(settings, &server).map_err(|e| match e {
            LdapError::UrlParsing { source } => {
                DirectoryError::Config(format!("URL『{server}』を解釈できません: {source}"))
            }
            e => classify(&server, Step::Connect, e, cfg.timeout, Some(tls_step)),
        })?;
        if !cfg.bind_dn.is_empty() {
            let res = conn
                .with_timeout(cfg.timeout)
                .simple_bind(&cfg.bind_dn, &cfg.bind_password)
                .map_err(|e| classify(&server, Step::Bind, e, cfg.timeout, None))?;
            if res.rc == 49 {
                return Err(DirectoryError::BadCredentials {
                    server,
                    bind_dn: cfg.bind_dn.clone(),
                });
            }
            check(&server, Step::Bind, &res)?;
        }
        Ok(Session {
            conn,
            server,
            cfg_timeout: cfg.timeout,
            page_size: cfg.page_size,
            scope: match cfg.scope {
                SearchScope::Sub => Scope::Subtree,
                SearchScope::One => Scope::OneLevel,
            },
        })
    }

    /// All entries of a search, with paging when configured.
    fn search(
        &mut self,
        base: &str,
        filter: &str,
        attrs: Vec<String>,
    ) -> Result<Vec<Entry>, DirectoryError> {
        self.search_scoped(base, self.scope, filter, attrs)
    }

    fn search_scoped(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        mut attrs: Vec<String>,
    ) -> Result<Vec<Entry>, DirectoryError> {
        if ldap3::parse_filter(filter).is_err() {
            return Err(DirectoryError::Config(format!(
                "検索フィルタ『{filter}』を解釈できません"
            )));
        }
        attrs.sort_by_key(|a| a.to_lowercase());
        attrs.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let (server, timeout) = (self.server.clone(), self.cfg_timeout);
        let fail = |e| classify(&server, Step::Search, e, timeout, None);
        let conn = self.conn.with_timeout(timeout);
        let mut stream = if self.page_size > 0 {
            let pages = i32::try_from(self.page_size).unwrap_or(i32::MAX);
            let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> =
                vec![Box::new(PagedResults::new(pages))];
            conn.streaming_search_with(adapters, base, scope, filter, attrs)
        } else {
            conn.streaming_search(base, scope, filter, attrs)
        }
        .map_err(fail)?;
        let mut entries = Vec::new();
        loop {
            match stream.next() {
                Ok(Some(re)) => {
                    if re.is_ref() || re.is_intermediate() {
                        continue;
                    }
                    entries.push(Entry::new(SearchEntry::construct(re)));
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = stream.result();
                    return Err(fail(e));
                }
            }
        }
        let res = stream.result();
        check(&server, Step::Search, &res)?;
        Ok(entries)
    }

    /// Searches the groups once and indexes them by member.
    fn group_index(
        &mut self,
        base: &str,
        filter: &str,
        member_attribute: &str,
        member_is: MemberIs,
    ) -> Result<GroupIndex, DirectoryError> {
        let groups = self.search_scoped(
            base,
            Scope::Subtree,
            filter,
            vec![member_attribute.to_owned(), "cn".to_owned()],
        )?;
        let mut index: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for g in &groups {
            let cn = g
                .first("cn")?
                .map_or_else(|| first_rdn_value(&g.dn), str::to_owned);
            let dn = normalize_dn(&g.dn);
            for m in g.all(member_attribute)? {
                let key = match member_is {
                    MemberIs::Dn => normalize_dn(m),
                    MemberIs::AccountId => m.to_lowercase(),
                };
                index.entry(key).or_default().push((dn.clone(), cn.clone()));
            }
        }
        Ok((member_is, index))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.conn.unbind();
    }
}

/// The rustls configuration: the configured CA only, or the system's CA store.
fn tls_config(cfg: &DirectoryConfig) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    match cfg.ca_cert_pem.as_deref() {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| {
                    DirectoryError::Config(format!("CA 証明書（ca_cert_pem）を読めません: {e}"))
                })?;
                roots.add(cert).map_err(|e| {
                    DirectoryError::Config(format!("CA 証明書（ca_cert_pem）を使えません: {e}"))
                })?;
            }
            if roots.is_empty() {
                return Err(DirectoryError::Config(
                    "CA 証明書（ca_cert_pem）に PEM の証明書（BEGIN CERTIFICATE）がありません"
                        .to_owned(),
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DirectoryError::Config(format!("TLS の設定を作れません: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server result other than success as an error.
fn check(server: &str, step: Step, res: &LdapResult) -> Result<(), DirectoryError> {
    if res.rc == 0 {
        return Ok(());
    }
    let mut detail = result_name(res.rc).to_owned();
    if !res.text.trim().is_empty() {
        detail.push_str(" — ");
        detail.push_str(res.text.trim());
    }
    Err(DirectoryError::Server {
        server: server.to_owned(),
        step,
        code: res.rc,
        detail,
    })
}

/// Common LDAP result codes (RFC 4511) with a hint.
fn result_name(rc: u32) -> &'static str {
    match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded（時間制限を超えました）",
        4 => "sizeLimitExceeded（件数制限を超えました。page_size を確認してください）",
        8 => "strongerAuthRequired（より強い認証が必要です）",
        11 => "adminLimitExceeded（サーバの管理上の制限を超えました）",
        13 => "confidentialityRequired（暗号化が必要です。LDAPS か StartTLS を使ってください）",
        32 => "noSuchObject（検索ベースが見つかりません）",
        34 => "invalidDNSyntax（DN の書き方が正しくありません）",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials（DN または パスワードが違います）",
        50 => "insufficientAccessRights（権限がありません）",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        _ => "",
    }
}

/// A client error as the step's error: TLS, timeout, connection or other.
fn classify(
    server: &str,
    step: Step,
    e: LdapError,
    timeout: std::time::Duration,
    tls_step: Option<Step>,
) -> DirectoryError {
    if let Some(detail) = tls_detail(&e) {
        return DirectoryError::Tls {
            server: server.to_owned(),
            step: tls_step.unwrap_or(step),
            detail,
        };
    }
    match e {
        LdapError::Timeout { .. } => DirectoryError::Timeout {
            server: server.to_owned(),
            step,
            seconds: timeout.as_secs(),
        },
        LdapError::LdapResult { result } => {
            let s = if tls_step == Some(Step::StartTls) && step == Step::Connect {
                Step::StartTls
            } else {
                step
            };
            match check(server, s, &result) {
                Err(err) => err,
                Ok(()) => DirectoryError::Protocol {
                    server: server.to_owned(),
                    step: s,
                    detail: result.to_string(),
                },
            }
        }
        LdapError::Io { source } if step == Step::Connect => DirectoryError::Connect {
            server: server.to_owned(),
            detail: io_detail(&source),
        },
        e => DirectoryError::Protocol {
            server: server.to_owned(),
            step,
            detail: e.to_string(),
        },
    }
}

/// The TLS failure inside a client error, if that is what it is.
fn tls_detail(e: &LdapError) -> Option<String> {
    match e {
        LdapError::Rustls { source } => Some(rustls_detail(source)),
        LdapError::DNSName { source } => Some(format!("ホスト名が正しくありません: {source}")),
        LdapError::Io { source } => source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(rustls_detail),
        _ => None,
    }
}

/// A rustls error with the usual cause in Japanese first.
fn rustls_detail(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let hint = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "証明書の発行元（CA）を信頼していません",
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "証明書が接続先のホスト名と一致しません"
            }
            C::Expired | C::ExpiredContext { .. } => "証明書の有効期限が切れています",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "証明書の有効期間がまだ始まっていません"
            }
            C::Revoked => "証明書は失効しています",
            _ => "証明書を検証できません",
        },
        rustls::Error::AlertReceived(_) => "サーバが TLS 接続を拒否しました",
        _ => "",
    };
    if hint.is_empty() {
        e.to_string()
    } else {
        format!("{hint}（{e}）")
    }
}

fn io_detail(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let hint = match e.kind() {
        ErrorKind::ConnectionRefused => {
            "接続を拒否されました。ホスト名とポート、サーバが動いているかを確認してください"
        }
        ErrorKind::TimedOut => "応答がありません",
        ErrorKind::NotFound => "ホストが見つかりません",
        _ => "",
    };
    if hint.is_empty() {
        e.to_string()
    } else {
        format!("{hint}: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_helpers() {
        assert_eq!(
            normalize_dn("CN=Doctors, OU=Groups ,DC=Example,DC=jp"),
            "cn=doctors,ou=groups,dc=example,dc=jp"
        );
        assert_eq!(
            first_rdn_value("cn=医師,ou=groups,dc=example,dc=jp"),
            "医師"
        );
        assert_eq!(first_rdn_value("CN=Smith\\, J,OU=x"), "Smith, J");
    }

    #[test]
    fn config_round_trips_and_hides_the_password() {
        let mut cfg = DirectoryConfig::new(
            "ldaps://127.0.0.1:1636",
            "ou=people,dc=example,dc=jp",
            AttributeMap::openldap("ou=groups,dc=example,dc=jp"),
        );
        cfg.bind_password = "secret-pw".to_owned();
        let json = serde_json::to_string(&cfg).expect("serialise");
        let back: DirectoryConfig = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, cfg);
        assert!(!format!("{cfg:?}").contains("secret-pw"));
        let ad = AttributeMap::active_directory();
        let json = serde_json::to_string(&ad).expect("serialise");
        assert_eq!(serde_json::from_str::<AttributeMap>(&json).expect("de"), ad);
    }

    #[test]
    fn the_documented_toml_reads() {
        let text = r#"
url = "ldaps://dc01.clinic.local"
bind_dn = "CN=anzen-reader,OU=Service,DC=clinic,DC=local"
bind_password = "x"
base_dn = "OU=Staff,DC=clinic,DC=local"
filter = "(&(objectCategory=person)(objectClass=user))"
timeout = 10

[attributes.account]
account_id = "sAMAccountName"
name = "displayName"
staff_id = "employeeID"
enabled = { from = "user_account_control", attribute = "userAccountControl" }
last_login = { attribute = "lastLogonTimestamp", format = "file_time" }
password_changed = { attribute = "pwdLastSet", format = "file_time" }

[attributes.account.role]
source = { from = "member_of", attribute = "memberOf" }
groups = [{ group = "CN=EHR-Doctors,OU=Groups,DC=clinic,DC=local", role = "医師" }]
default = "一般"

[attributes.staff]
staff_id = "employeeID"
name = "displayName"
job = "title"
department = "department"
"#;
        let cfg: DirectoryConfig = toml::from_str(text).expect("the README's example");
        let mut ad = AttributeMap::active_directory();
        ad.account.role.groups = vec![GroupRole {
            group: "CN=EHR-Doctors,OU=Groups,DC=clinic,DC=local".to_owned(),
            role: "医師".to_owned(),
        }];
        assert_eq!(cfg.attributes, ad);
        assert_eq!(cfg.timeout, std::time::Duration::from_secs(10));
        assert_eq!(cfg.page_size, 500);
        assert_eq!(cfg.scope, SearchScope::Sub);
        let back = toml::to_string(&cfg).expect("to toml");
        assert_eq!(
            toml::from_str::<DirectoryConfig>(&back).expect("again"),
            cfg
        );
    }

    #[test]
    fn plain_bind_is_refused_without_allow_insecure() {
        let mut cfg = DirectoryConfig::new(
            "ldap://127.0.0.1:1",
            "dc=example,dc=jp",
            AttributeMap::openldap("ou=groups,dc=example,dc=jp"),
        );
        cfg.bind_dn = "cn=reader,dc=example,dc=jp".to_owned();
        cfg.bind_password = "x".to_owned();
        let err = fetch_staff(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("暗号化なし"), "{err}");
        cfg.bind_password.clear();
        cfg.start_tls = true;
        let err = fetch_staff(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("パスワードが空"), "{err}");
        cfg.url = "http://x".to_owned();
        let err = fetch_staff(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("ldap:// または ldaps://"), "{err}");
    }
}
