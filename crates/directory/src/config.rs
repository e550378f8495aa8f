//! The connection settings (接続設定) and the attribute mapping (属性の対応付け).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How one directory is read: where, as whom, which entries, and which attribute fills
/// which column of アカウント一覧 (accounts) or 職員名簿 (staff roster).
///
/// Accounts and staff usually come from the same entries (AD user objects, OpenLDAP
/// `inetOrgPerson`); when they do not, use two configurations with their own `base_dn`
/// and `filter`.
///
/// In `anzen.toml` (a table of this shape; the presets are
/// [`AttributeMap::active_directory`] and [`AttributeMap::openldap`]):
///
/// ```toml
/// url = "ldaps://dc01.clinic.local"
/// bind_dn = "CN=anzen-reader,OU=Service,DC=clinic,DC=local"
/// bind_password = "…"
/// base_dn = "OU=Staff,DC=clinic,DC=local"
/// filter = "(&(objectCategory=person)(objectClass=user))"
/// ca_cert_pem = """
/// -----BEGIN CERTIFICATE-----
/// …
/// -----END CERTIFICATE-----
/// """
///
/// [attributes.account]
/// account_id = "sAMAccountName"
/// name = "displayName"
/// staff_id = "employeeID"
/// enabled = { from = "user_account_control", attribute = "userAccountControl" }
/// last_login = { attribute = "lastLogonTimestamp", format = "file_time" }
/// password_changed = { attribute = "pwdLastSet", format = "file_time" }
///
/// [attributes.account.role]
/// source = { from = "member_of", attribute = "memberOf" }
/// groups = [{ group = "CN=EHR-Doctors,OU=Groups,DC=clinic,DC=local", role = "医師" }]
/// default = "一般"
///
/// [attributes.staff]
/// staff_id = "employeeID"
/// name = "displayName"
/// job = "title"
/// department = "department"
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// The server, `ldap://host[:port]` or `ldaps://host[:port]` (LDAPS, port 636 by default).
    pub url: String,
    /// StartTLS on an `ldap://` connection before binding (ignored for `ldaps://`).
    #[serde(default)]
    pub start_tls: bool,
    /// Allow a bind over plain `ldap://` without StartTLS. Off by default: the password
    /// would cross the network in clear text (平文).
    #[serde(default)]
    pub allow_insecure: bool,
    /// The read-only service account (参照専用のサービスアカウント); empty for an anonymous bind.
    #[serde(default)]
    pub bind_dn: String,
    /// Its password. Never shown by `Debug`.
    #[serde(default)]
    pub bind_password: String,
    /// 検索ベース, e.g. `ou=people,dc=example,dc=jp`.
    pub base_dn: String,
    /// 検索フィルタ, e.g. `(objectClass=inetOrgPerson)`.
    #[serde(default = "default_filter")]
    pub filter: String,
    /// 検索範囲: the whole subtree (`sub`) or one level below the base (`one`).
    #[serde(default)]
    pub scope: SearchScope,
    /// Which attribute fills which column; see [`AttributeMap::active_directory`] and
    /// [`AttributeMap::openldap`].
    pub attributes: AttributeMap,
    /// A CA certificate (PEM, one or more) to trust for LDAPS / StartTLS instead of the
    /// system's CA store (e.g. the in-house CA of an AD domain).
    #[serde(default)]
    pub ca_cert_pem: Option<String>,
    /// Limit for connecting and for each operation (seconds in `anzen.toml`).
    #[serde(default = "default_timeout", with = "secs")]
    pub timeout: Duration,
    /// Entries the search returns per page (Paged Results control, RFC 2696); `0` turns
    /// paging off. AD returns at most 1000 entries to a search without it.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Leave out entries that lack a required attribute instead of failing.
    #[serde(default)]
    pub skip_incomplete: bool,
}

fn default_filter() -> String {
    "(objectClass=*)".to_owned()
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_page_size() -> u32 {
    500
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

impl fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &self.url)
            .field("start_tls", &self.start_tls)
            .field("allow_insecure", &self.allow_insecure)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("base_dn", &self.base_dn)
            .field("filter", &self.filter)
            .field("scope", &self.scope)
            .field("attributes", &self.attributes)
            .field("ca_cert_pem", &self.ca_cert_pem.as_ref().map(|_| "<pem>"))
            .field("timeout", &self.timeout)
            .field("page_size", &self.page_size)
            .field("skip_incomplete", &self.skip_incomplete)
            .finish()
    }
}

impl DirectoryConfig {
    /// A configuration with the defaults: subtree search, `(objectClass=*)`, 30 seconds,
    /// pages of 500, no StartTLS, system CAs.
    pub fn new(
        url: impl Into<String>,
        base_dn: impl Into<String>,
        attributes: AttributeMap,
    ) -> Self {
        DirectoryConfig {
            url: url.into(),
            start_tls: false,
            allow_insecure: false,
            bind_dn: String::new(),
            bind_password: String::new(),
            base_dn: base_dn.into(),
            filter: default_filter(),
            scope: SearchScope::default(),
            attributes,
            ca_cert_pem: None,
            timeout: default_timeout(),
            page_size: default_page_size(),
            skip_incomplete: false,
        }
    }
}

/// 検索範囲 (search scope).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchScope {
    /// The base and everything below it (サブツリー).
    #[default]
    Sub,
    /// The entries directly below the base (1 階層).
    One,
}

/// Which attribute fills which column (属性の対応付け). Attribute names are matched
/// without regard to case, as LDAP does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMap {
    /// アカウント一覧.
    pub account: AccountAttributes,
    /// 職員名簿.
    pub staff: StaffAttributes,
}

/// Attributes of アカウント一覧 (accounts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountAttributes {
    /// アカウントID (required): `sAMAccountName` (AD), `uid` (OpenLDAP).
    pub account_id: String,
    /// 氏名: `displayName` (AD), `cn` (OpenLDAP).
    #[serde(default)]
    pub name: Option<String>,
    /// 職員番号: `employeeID` (AD), `employeeNumber` (OpenLDAP).
    #[serde(default)]
    pub staff_id: Option<String>,
    /// 権限 (required): from an attribute or from group membership.
    pub role: RoleMap,
    /// 状態 (有効／無効).
    #[serde(default)]
    pub enabled: EnabledSource,
    /// 最終ログイン: `lastLogonTimestamp` (AD, FILETIME; replicated, up to ~14 days
    /// behind), `authTimestamp` (OpenLDAP `lastbind` overlay).
    #[serde(default)]
    pub last_login: Option<TimeAttribute>,
    /// パスワード変更日: `pwdLastSet` (AD, FILETIME), `pwdChangedTime` (OpenLDAP `ppolicy`).
    #[serde(default)]
    pub password_changed: Option<TimeAttribute>,
    /// 二要素認証: an attribute whose value reads as yes/no (`TRUE`/`FALSE`, `1`/`0`,
    /// `yes`/`no`, `有`/`無`); absent on an entry means unknown (不明).
    #[serde(default)]
    pub mfa: Option<String>,
}

/// Attributes of 職員名簿 (staff roster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAttributes {
    /// 職員番号 (required): `employeeID` (AD), `employeeNumber` (OpenLDAP).
    pub staff_id: String,
    /// 氏名 (required): `displayName` (AD), `cn` (OpenLDAP).
    pub name: String,
    /// 職種 (required): `title` (both), or `employeeType`.
    pub job: String,
    /// 部署: `department` (AD), `departmentNumber` (OpenLDAP).
    #[serde(default)]
    pub department: Option<String>,
    /// 入職日: no standard attribute; a custom one (e.g. an AD `extensionAttribute`).
    #[serde(default)]
    pub hired: Option<TimeAttribute>,
    /// 退職日: no standard attribute; a custom one. Absent means still employed (在職中).
    #[serde(default)]
    pub retired: Option<TimeAttribute>,
}

/// A date-valued attribute and how its values are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeAttribute {
    /// The attribute.
    pub attribute: String,
    /// How its value is written; `auto` tells the forms apart.
    #[serde(default)]
    pub format: TimeFormat,
}

impl TimeAttribute {
    /// `attribute` with [`TimeFormat::Auto`].
    pub fn auto(attribute: &str) -> Self {
        TimeAttribute {
            attribute: attribute.to_owned(),
            format: TimeFormat::Auto,
        }
    }

    /// `attribute` with the given format.
    pub fn new(attribute: &str, format: TimeFormat) -> Self {
        TimeAttribute {
            attribute: attribute.to_owned(),
            format,
        }
    }
}

/// How a date-valued attribute is written. Every form becomes a date in JST (日本時間),
/// the date 最終ログイン and パスワード変更日 show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Told apart by the value: 15 or more digits alone are FILETIME, `YYYYMMDDHHMMSS`
    /// with or without `Z` / an offset is GeneralizedTime, `YYYYMMDD` / `YYYY-MM-DD` /
    /// `YYYY/M/D` is a date.
    #[default]
    Auto,
    /// AD FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (`pwdLastSet`,
    /// `lastLogonTimestamp`, `accountExpires`); `0` and `9223372036854775807` mean never
    /// (no date).
    FileTime,
    /// LDAP GeneralizedTime (RFC 4517), e.g. `20250301090000Z`; without a zone the time
    /// is taken as JST.
    GeneralizedTime,
    /// A calendar date: `2025-04-01`, `2025/4/1` or `20250401`.
    Date,
}

/// Where 権限 (role) comes from, and what it is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMap {
    /// The source of the groups or values.
    pub source: RoleSource,
    /// Names for groups: a group, by DN or by its `cn`, and the role it stands for. When
    /// empty, every group counts and its `cn` is the role; when not, only these groups
    /// count. Several roles are joined with `、`.
    #[serde(default)]
    pub groups: Vec<GroupRole>,
    /// The role of an entry with no (named) group or value; without one, such an entry
    /// lacks a required value.
    #[serde(default)]
    pub default: Option<String>,
}

/// Where 権限 (role) is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum RoleSource {
    /// The value(s) of an attribute of the entry, e.g. `employeeType`.
    Attribute {
        /// The attribute.
        attribute: String,
    },
    /// Group DNs listed on the entry: AD `memberOf` (or OpenLDAP's `memberof` overlay).
    /// Only direct membership; AD's primary group (Domain Users) is not listed.
    MemberOf {
        /// The attribute, usually `memberOf`.
        attribute: String,
    },
    /// A second search for groups whose member attribute names the entry
    /// (`groupOfNames`/`member` by DN, `posixGroup`/`memberUid` by account ID).
    GroupSearch {
        /// Where the groups are.
        base_dn: String,
        /// Which entries are groups, e.g. `(objectClass=groupOfNames)`.
        filter: String,
        /// The attribute listing the members, e.g. `member`.
        member_attribute: String,
        /// Whether members are given by DN (`member`) or by account ID (`memberUid`).
        #[serde(default)]
        member_is: MemberIs,
    },
}

/// How a group names its members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberIs {
    /// By DN (`member`, `uniqueMember`).
    #[default]
    Dn,
    /// By account ID (`memberUid` of `posixGroup`).
    AccountId,
}

/// A group and the role (権限) it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRole {
    /// The group's DN or its `cn` (case does not matter).
    pub group: String,
    /// The role shown in アカウント一覧, e.g. `医師`.
    pub role: String,
}

/// Where 状態 (有効／無効) comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum EnabledSource {
    /// Not read: 状態 is left empty (不明).
    #[default]
    Unknown,
    /// AD `userAccountControl`: bit `0x2` (ACCOUNTDISABLE) set means 無効.
    UserAccountControl {
        /// The attribute, usually `userAccountControl`.
        attribute: String,
    },
    /// Present means locked (無効), e.g. OpenLDAP `pwdAccountLockedTime` (ppolicy). A
    /// lock that a lockout duration would have lifted by now still counts as locked.
    LockedWhenPresent {
        /// The attribute.
        attribute: String,
    },
    /// A custom attribute compared with lists of values (case does not matter).
    Values {
        /// The attribute.
        attribute: String,
        /// Values meaning 有効, e.g. `active`.
        enabled: Vec<String>,
        /// Values meaning 無効, e.g. `disabled`.
        disabled: Vec<String>,
    },
}

impl AttributeMap {
    /// Active Directory: `sAMAccountName`, `displayName`, `employeeID`, roles from
    /// `memberOf` (every group, by `cn`, `一般` without one), `userAccountControl`,
    /// `lastLogonTimestamp` and `pwdLastSet` (FILETIME); staff from `employeeID`,
    /// `displayName`, `title`, `department`. No 二要素認証, 入職日 or 退職日: AD has no
    /// standard attribute for them.
    pub fn active_directory() -> Self {
        AttributeMap {
            account: AccountAttributes {
                account_id: "sAMAccountName".to_owned(),
                name: Some("displayName".to_owned()),
                staff_id: Some("employeeID".to_owned()),
                role: RoleMap {
                    source: RoleSource::MemberOf {
                        attribute: "memberOf".to_owned(),
                    },
                    groups: Vec::new(),
                    default: Some("一般".to_owned()),
                },
                enabled: EnabledSource::UserAccountControl {
                    attribute: "userAccountControl".to_owned(),
                },
                last_login: Some(TimeAttribute::new(
                    "lastLogonTimestamp",
                    TimeFormat::FileTime,
                )),
                password_changed: Some(TimeAttribute::new("pwdLastSet", TimeFormat::FileTime)),
                mfa: None,
            },
            staff: StaffAttributes {
                staff_id: "employeeID".to_owned(),
                name: "displayName".to_owned(),
                job: "title".to_owned(),
                department: Some("department".to_owned()),
                hired: None,
                retired: None,
            },
        }
    }

    /// OpenLDAP with `inetOrgPerson`: `uid`, `cn`, `employeeNumber`, roles from a search
    /// for `groupOfNames` below `groups_base_dn` (by `cn`, `一般` without one), locked
    /// when `pwdAccountLockedTime` (ppolicy) is present, `authTimestamp` (lastbind
    /// overlay) and `pwdChangedTime` (ppolicy); staff from `employeeNumber`, `cn`,
    /// `title`, `departmentNumber`.
    pub fn openldap(groups_base_dn: &str) -> Self {
        AttributeMap {
            account: AccountAttributes {
                account_id: "uid".to_owned(),
                name: Some("cn".to_owned()),
                staff_id: Some("employeeNumber".to_owned()),
                role: RoleMap {
                    source: RoleSource::GroupSearch {
                        base_dn: groups_base_dn.to_owned(),
                        filter: "(objectClass=groupOfNames)".to_owned(),
                        member_attribute: "member".to_owned(),
                        member_is: MemberIs::Dn,
                    },
                    groups: Vec::new(),
                    default: Some("一般".to_owned()),
                },
                enabled: EnabledSource::LockedWhenPresent {
                    attribute: "pwdAccountLockedTime".to_owned(),
                },
                last_login: Some(TimeAttribute::new(
                    "authTimestamp",
                    TimeFormat::GeneralizedTime,
                )),
                password_changed: Some(TimeAttribute::new(
                    "pwdChangedTime",
                    TimeFormat::GeneralizedTime,
                )),
                mfa: None,
            },
            staff: StaffAttributes {
                staff_id: "employeeNumber".to_owned(),
                name: "cn".to_owned(),
                job: "title".to_owned(),
                department: Some("departmentNumber".to_owned()),
                hired: None,
                retired: None,
            },
        }
    }
}
