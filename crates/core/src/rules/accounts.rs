//! Rules over the systems' account lists (アカウント一覧), checked against the staff roster
//! (職員名簿), the access policy (アクセス権限表 — which 職種 may hold which 権限, who holds
//! 管理者権限, who owns each shared account) and the vendors' maintenance windows (保守作業期間),
//! plus the 2-(5) auto-evidence "no open account findings".
//!
//! Everything here is pure: callers build the small domain structs below from the import
//! templates' rows (`anzen-ingest`'s `AccountRow` / `StaffRow`; core does not depend on
//! ingest) and pass `today`.
//!
//! # Rules
//!
//! Only enabled (有効) accounts are checked: a disabled account of a retired person is what
//! the checklist asks for. An account whose person has retired gets only the
//! `account.retired` finding — disabling it resolves everything else about it.
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`RETIRED`] | the 職員番号's 退職日 is before today | high; critical if used after the 退職日, an admin role, or a VPN/directory system | 2-(5) |
//! | [`UNKNOWN_STAFF`] | the 職員番号 is not in the roster (only when a roster was imported) | medium; high for an admin role | 2-(5) |
//! | [`INACTIVE`] | the last login is more than `inactive_days` before today (no finding when unknown; vendor accounts with windows are left to `vendor_outside_window`) | medium | 2-(5) |
//! | [`SHARED_UNOWNED`] | no 職員番号 and the policy names no owner | medium | 2-(5) |
//! | [`ADMIN_UNOWNED`] | as `shared_unowned`, for an admin role (replaces it) | high | 2-(4), 2-(5) |
//! | [`ROLE_NOT_ALLOWED`] | the policy lists roles for the system and none fits the staff's 職種 | medium; high for an admin role | 2-(4) |
//! | [`NO_MFA`] | the system supports 二要素認証 and the account does not use it (or it is not recorded) | low (medium for admin/VPN) before 令和9年度, high from it | 2-(10) |
//! | [`PASSWORD_OLD`] | neither two-factor nor a 13+ character policy, and the password is more than `password_max_age_days` old (no finding when the change date is unknown) | medium | 2-(7) |
//! | [`DUPLICATE`] | one person has two or more enabled accounts of the same kind (admin / ordinary) in one system | low | 2-(5) |
//! | [`VENDOR_OUTSIDE_WINDOW`] | an account with maintenance windows is enabled outside all of them | high; critical if used after the most recent window ended | 2-(5) |
//!
//! # Checklist numbers
//!
//! [`NewFinding::checklist`] holds an edition-free number. The numbers used here:
//!
//! - `2-(4)` アクセス利用権限 and `2-(5)` 不要なアカウントの削除 — the same numbers in the
//!   令和5・6年度 forms (2-(4), 2-(5)) and the 令和7年度 form (2-④, 2-⑤; the R7 numbers are
//!   provisional, `number_verified = false` in `crates/catalog/data/r7_medical.toml`). R7 adds
//!   「管理者権限の対象者を明確化」 to 2-④, hence [`ADMIN_UNOWNED`].
//! - `2-(7)` = R7 2-⑦ パスワードは英数字、記号が混在した8文字以上とし、定期的に変更している
//!   (※二要素認証、または13文字以上の場合は定期的な変更は不要) — number verified.
//!   **Caution:** in the 令和5・6年度 forms 2-(7) is セキュリティパッチ (R7 2-⑥), and
//!   [`crate::rules::assets`] uses "2-(7)" in that older sense.
//! - `2-(10)` = R7 2-⑩ 二要素認証 (令和9年度までの導入目標) — the number is provisional
//!   (`number_verified = false`).
//! - R7 2-⑧ パスワードの使い回しの禁止 is not produced: an account list carries no password
//!   material, so reuse cannot be seen from it.
//!
//! # Passwords
//!
//! The guideline's three patterns (GL 第6.0版 システム運用編 14章⑥ / Q&A シQ-54; see
//! [`crate::password`]): (a) 13 characters or more; (b) 8 or more, changed at least every two
//! months (最長でも2か月以内); (c) 8 or more with 二要素認証. The account list has no
//! password lengths, so (a) is a per-system flag, [`SystemInfo::min_password_len`];
//! [`PASSWORD_OLD`] asks for (b) only when neither (a) nor (c) applies.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use anzen_catalog::Item;
use anzen_catalog::evidence::{AutoAnswer, EvidenceRule, Facts, NO_ACCOUNT_FINDINGS, Suggestion};
use jiff::Span;
use jiff::civil::Date;
use serde_json::json;

use crate::calendar::FiscalYear;
use crate::finding::{NewFinding, Severity};
use crate::password::PasswordPolicy;
use crate::rules::assets::OpenFinding;

/// Rule ids this module produces start with this (for reconciling).
pub const RULE_PREFIXES: [&str; 1] = ["account."];

/// 退職者のアカウントが有効.
pub const RETIRED: &str = "account.retired";
/// 職員名簿にない職員番号.
pub const UNKNOWN_STAFF: &str = "account.unknown_staff";
/// 長期間未使用.
pub const INACTIVE: &str = "account.inactive";
/// 使用者不明の共用アカウント.
pub const SHARED_UNOWNED: &str = "account.shared_unowned";
/// 職種に認められていない権限.
pub const ROLE_NOT_ALLOWED: &str = "account.role_not_allowed";
/// 使用者不明の管理者アカウント.
pub const ADMIN_UNOWNED: &str = "account.admin_unowned";
/// 二要素認証が未設定.
pub const NO_MFA: &str = "account.no_mfa";
/// パスワードが2か月以上未変更.
pub const PASSWORD_OLD: &str = "account.password_old";
/// 同一人物の重複アカウント.
pub const DUPLICATE: &str = "account.duplicate";
/// 保守作業期間外に有効な事業者アカウント.
pub const VENDOR_OUTSIDE_WINDOW: &str = "account.vendor_outside_window";

/// Every rule id, in the order findings are produced for an account.
pub const RULES: [&str; 10] = [
    RETIRED,
    UNKNOWN_STAFF,
    SHARED_UNOWNED,
    ADMIN_UNOWNED,
    ROLE_NOT_ALLOWED,
    INACTIVE,
    VENDOR_OUTSIDE_WINDOW,
    NO_MFA,
    PASSWORD_OLD,
    DUPLICATE,
];

/// The rules whose open findings make 2-(5) 不要なアカウントの削除 いいえ.
pub const UNNEEDED_ACCOUNT_RULES: [&str; 7] = [
    RETIRED,
    UNKNOWN_STAFF,
    INACTIVE,
    SHARED_UNOWNED,
    ADMIN_UNOWNED,
    DUPLICATE,
    VENDOR_OUTSIDE_WINDOW,
];

/// 2-(4) アクセス利用権限 (R7 2-④).
pub const ITEM_ACCESS_RIGHTS: &str = "2-(4)";
/// 2-(5) 不要なアカウントの削除 (R7 2-⑤).
pub const ITEM_UNNEEDED_ACCOUNTS: &str = "2-(5)";
/// R7 2-⑦ パスワードの桁数・定期変更. Written with the R7 circled number: the R5/R6 forms have
/// no password item, and their 2-(7) is security patches (as `rules::assets` uses it).
pub const ITEM_PASSWORD: &str = "2-⑦";
/// R7 2-⑩ 二要素認証 (provisional number; circled for the same reason).
pub const ITEM_TWO_FACTOR: &str = "2-⑩";

/// Days within which the latest 棚卸 sign-off of a system must lie for 2-(5) はい.
pub const SIGNOFF_MAX_DAYS: i64 = 31;

/// An account (アカウント) of one system, from the アカウント一覧 template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// システム (matches [`SystemInfo::name`]).
    pub system: String,
    /// アカウントID (unique per system).
    pub account_id: String,
    /// 氏名.
    pub name: Option<String>,
    /// 職員番号; `None` for shared, system or vendor accounts (共用・システム・事業者).
    pub staff_id: Option<String>,
    /// 権限.
    pub role: String,
    /// 状態 is 有効 (can sign in).
    pub enabled: bool,
    /// 最終ログイン.
    pub last_login: Option<Date>,
    /// 二要素認証; `None` when not recorded.
    pub mfa: Option<bool>,
    /// パスワード変更日.
    pub password_changed: Option<Date>,
}

/// A person on the staff roster (職員名簿).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// 職員番号.
    pub staff_id: String,
    /// 氏名.
    pub name: String,
    /// 職種 (医師, 看護師, 医事課, …; matched against [`AccessPolicy::allowed`]).
    pub job: String,
    /// 部署.
    pub department: Option<String>,
    /// 入職日.
    pub hired: Option<Date>,
    /// 退職日 — the last day of employment; `None` while employed (在職中).
    pub retired: Option<Date>,
}

/// What kind of system an account list comes from (システム種別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemKind {
    /// 電子カルテ (electronic health record, オーダリング)
    Ehr,
    /// レセコン (receipt computer, 医事会計)
    Receipt,
    /// PACS (画像)
    Pacs,
    /// Active Directory / LDAP (ドメイン・ディレクトリ): one account opens many systems.
    Directory,
    /// VPN / リモートアクセス: reachable from outside.
    RemoteAccess,
    /// その他
    Other,
}

impl SystemKind {
    /// Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            SystemKind::Ehr => "電子カルテ",
            SystemKind::Receipt => "レセコン",
            SystemKind::Pacs => "PACS",
            SystemKind::Directory => "ディレクトリ（AD）",
            SystemKind::RemoteAccess => "VPN・リモートアクセス",
            SystemKind::Other => "その他",
        }
    }

    /// The kind a free-text システム種別 names (`電子カルテ`, `レセコン`, `PACS`, `AD`, `VPN`,
    /// …); [`SystemKind::Other`] when unrecognised.
    pub fn parse(s: &str) -> SystemKind {
        let f = fold(s);
        let has = |words: &[&str]| words.iter().any(|w| f.contains(w));
        if has(&["vpn", "リモート", "remote"]) {
            SystemKind::RemoteAccess
        } else if f == "ad" || has(&["activedirectory", "ldap", "ディレクトリ", "ドメイン"])
        {
            SystemKind::Directory
        } else if has(&["カルテ", "ehr", "emr", "オーダ"]) {
            SystemKind::Ehr
        } else if has(&["レセ", "医事", "会計"]) {
            SystemKind::Receipt
        } else if has(&["pacs", "画像"]) {
            SystemKind::Pacs
        } else {
            SystemKind::Other
        }
    }

    /// Whether a stray account here reaches beyond one system (outside access, or a
    /// directory account that signs in everywhere).
    fn is_gateway(self) -> bool {
        matches!(self, SystemKind::RemoteAccess | SystemKind::Directory)
    }
}

/// A system whose accounts are audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// システム名, as in [`Account::system`].
    pub name: String,
    /// Whether the system can do 二要素認証 (then [`NO_MFA`] applies).
    pub supports_mfa: bool,
    /// The system's enforced minimum password length, when known. 13 or more satisfies the
    /// guideline's pattern (a), so [`PASSWORD_OLD`] does not apply.
    pub min_password_len: Option<u32>,
    /// システム種別.
    pub kind: SystemKind,
}

/// The access policy (アクセス権限表). System, 職種 and 権限 are compared ignoring case,
/// full-width/half-width ASCII, spaces and `-_・`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// (system, 職種, 権限) that are allowed. 権限 or 職種 `*` means any. A system without
    /// entries is not checked by [`ROLE_NOT_ALLOWED`].
    pub allowed: Vec<(String, String, String)>,
    /// (system, 権限) that are 管理者権限; system `*` means every system.
    pub admin_roles: Vec<(String, String)>,
    /// (system, アカウントID, 使用者・管理責任者) — the named owner of an account without a
    /// 職員番号 (shared, system or vendor account).
    pub named_owners: Vec<(String, String, String)>,
}

/// A period in which a vendor's maintenance account (保守用アカウント) may be enabled. An
/// account with at least one window is a vendor account for [`VENDOR_OUTSIDE_WINDOW`]; keep
/// past windows too, so that a login after the last one stands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// システム.
    pub system: String,
    /// アカウントID.
    pub account_id: String,
    /// First day (inclusive).
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
}

/// Thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Days without a login after which an account counts as unused (90).
    pub inactive_days: i64,
    /// Maximum password age for pattern (b) (60: 最長でも2か月以内).
    pub password_max_age_days: i64,
    /// The 年度 from which missing two-factor authentication is 高 (2027: 令和9年度).
    pub mfa_required_fy: i32,
    /// Threads a large pass may use: `0` for one per core, `1` for the caller's thread only.
    /// The findings are the same either way.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inactive_days: 90,
            password_max_age_days: 60,
            mfa_required_fy: 2027,
            threads: 0,
        }
    }
}

/// Folds an identifier for comparison: full-width ASCII to ASCII, lowercase, without
/// whitespace and `_ - * ※ ・` (as the import's uniqueness check does, without NFKC).
fn fold(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    // Most identifiers (ASCII lowercase, digits, kanji/kana) need no change: no allocation.
    if !s.chars().any(needs_fold) {
        return Cow::Borrowed(s);
    }
    if s.is_ascii() {
        let mut out = String::with_capacity(s.len());
        out.extend(
            s.chars()
                .filter(|c| !needs_fold(*c) || c.is_ascii_uppercase())
                .map(|c| c.to_ascii_lowercase()),
        );
        return Cow::Owned(out);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | '※' | '・'))
            .flat_map(char::to_lowercase)
            .collect(),
    )
}

fn needs_fold(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase() || c.is_ascii_whitespace() || matches!(c, '_' | '-' | '*')
    } else if ('\u{3040}'..='\u{9FFF}').contains(&c) {
        // Kana and kanji have no case; only the middle dot is dropped.
        c == '・'
    } else {
        matches!(c, '\u{FF01}'..='\u{FF5E}' | '※')
            || c.is_whitespace()
            || c.to_lowercase().ne(std::iter::once(c))
    }
}

fn is_wildcard(s: &str) -> bool {
    matches!(s.trim(), "*" | "＊")
}

/// Escapes `/` and `%` in a key component, so that keys stay unambiguous.
fn esc(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    if s.contains(['/', '%']) {
        Cow::Owned(s.replace('%', "%25").replace('/', "%2F"))
    } else {
        Cow::Borrowed(s)
    }
}

fn blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// `today` minus `days`, or `None` when out of range (the rule then never fires).
fn days_before(today: Date, days: i64) -> Option<Date> {
    let span = Span::new().try_days(days).ok()?;
    today.checked_sub(span).ok()
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map_or(0, |s| i64::from(s.get_days()))
}

/// A fast non-cryptographic hasher for the short identifiers indexed here (the FxHash
/// mix); the data is the organisation's own, so hash flooding is not a concern.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, b) in w.iter_mut().zip(rest) {
                *d = *b;
            }
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The murmur3 finaliser: spreads the input bits to the low bits the table indexes by.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type Fx = BuildHasherDefault<FxHasher>;
type FxMap<K, V> = HashMap<K, V, Fx>;
type FxSet<K> = HashSet<K, Fx>;

/// The policy and roster, indexed by folded keys.
struct Index<'a> {
    /// 職員番号 → (staff, folded 職種).
    staff: FxMap<String, (&'a Staff, String)>,
    systems: FxMap<String, &'a SystemInfo>,
    /// system → 職種 → 権限 (folded; `*` kept as the wildcard).
    allowed: FxMap<String, FxMap<String, FxSet<String>>>,
    /// system (or `*`) → admin roles.
    admin: FxMap<String, FxSet<String>>,
    /// system → account → owner.
    owners: FxMap<String, FxMap<String, &'a str>>,
    /// system → account → windows.
    windows: FxMap<String, FxMap<String, Vec<&'a MaintenanceWindow>>>,
}

const ANY: &str = "*";

fn fold_or_any(s: &str) -> String {
    if is_wildcard(s) {
        ANY.to_owned()
    } else {
        fold(s).into_owned()
    }
}

impl<'a> Index<'a> {
    fn new(
        staff: &'a [Staff],
        systems: &'a [SystemInfo],
        policy: &'a AccessPolicy,
        windows: &'a [MaintenanceWindow],
    ) -> Index<'a> {
        let mut ix = Index {
            staff: FxMap::with_capacity_and_hasher(staff.len(), Fx::default()),
            systems: FxMap::default(),
            allowed: FxMap::default(),
            admin: FxMap::default(),
            owners: FxMap::default(),
            windows: FxMap::default(),
        };
        for s in staff {
            ix.staff
                .entry(fold(&s.staff_id).into_owned())
                .or_insert_with(|| (s, fold(&s.job).into_owned()));
        }
        for s in systems {
            ix.systems.entry(fold(&s.name).into_owned()).or_insert(s);
        }
        for (sys, job, role) in &policy.allowed {
            ix.allowed
                .entry(fold(sys).into_owned())
                .or_default()
                .entry(fold_or_any(job))
                .or_default()
                .insert(fold_or_any(role));
        }
        for (sys, role) in &policy.admin_roles {
            ix.admin
                .entry(fold_or_any(sys))
                .or_default()
                .insert(fold(role).into_owned());
        }
        for (sys, account, owner) in &policy.named_owners {
            if let Some(owner) = blank(Some(owner)) {
                ix.owners
                    .entry(fold(sys).into_owned())
                    .or_default()
                    .entry(fold(account).into_owned())
                    .or_insert(owner);
            }
        }
        for w in windows {
            ix.windows
                .entry(fold(&w.system).into_owned())
                .or_default()
                .entry(fold(&w.account_id).into_owned())
                .or_default()
                .push(w);
        }
        ix
    }

    fn is_admin(&self, sys: &str, role: &str) -> bool {
        let role = fold(role);
        [sys, ANY].iter().any(|s| {
            self.admin
                .get(*s)
                .is_some_and(|roles| roles.contains(role.as_ref()))
        })
    }

    /// `None` when the policy has no entries for the system; otherwise whether `job` may
    /// hold `role`.
    fn allows(&self, sys: &str, job: &str, role: &str) -> Option<bool> {
        let jobs = self.allowed.get(sys)?;
        let role = fold(role);
        Some([job, ANY].iter().any(|j| {
            jobs.get(*j)
                .is_some_and(|roles| roles.contains(ANY) || roles.contains(role.as_ref()))
        }))
    }

    /// The roles the policy allows `job` (folded) in `sys` (for the message).
    fn allowed_roles(&self, sys: &str, job: &str, policy: &AccessPolicy) -> Vec<String> {
        let mut out: Vec<String> = policy
            .allowed
            .iter()
            .filter(|(s, j, _)| fold(s) == sys && (is_wildcard(j) || fold(j).as_ref() == job))
            .map(|(_, _, r)| r.trim().to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The account as the messages name it: 「電子カルテ」のアカウント「yamada」（山田 太郎）.
struct Who<'a>(&'a Account);

impl std::fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0;
        write!(
            f,
            "「{}」のアカウント「{}」",
            a.system.trim(),
            a.account_id.trim()
        )?;
        match blank(a.name.as_deref()) {
            Some(n) => write!(f, "（{n}）"),
            None => Ok(()),
        }
    }
}

/// The subject prefix shared by the findings of one system's accounts:
/// `account:{system}/` (`/` and `%` in the name escaped, surrounding spaces trimmed).
pub fn system_subject_prefix(system: &str) -> String {
    format!("account:{}/", esc(system))
}

/// The finding subject of an account: [`system_subject_prefix`] + the escaped アカウントID.
pub fn account_subject(system: &str, account_id: &str) -> String {
    format!("{}{}", system_subject_prefix(system), esc(account_id))
}

fn subject(a: &Account) -> String {
    account_subject(&a.system, &a.account_id)
}

/// The account's identity, added to the columns each rule judged.
fn base_evidence(a: &Account, map: &mut serde_json::Map<String, serde_json::Value>) {
    map.insert("system".into(), json!(a.system.trim()));
    map.insert("account_id".into(), json!(a.account_id.trim()));
    map.insert("staff_id".into(), json!(a.staff_id));
    map.insert("role".into(), json!(a.role.trim()));
}

fn date_json(d: Option<Date>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| json!(d.to_string()))
}

struct Made<'a> {
    account: &'a Account,
    rule: &'static str,
    detail: Option<String>,
    severity: Severity,
    items: &'static [&'static str],
    title: String,
    message: String,
    extra: serde_json::Value,
}

impl Made<'_> {
    fn build(self) -> NewFinding {
        let subject = subject(self.account);
        let key = match &self.detail {
            Some(d) => format!("{}/{subject}/{}", self.rule, esc(d)),
            None => format!("{}/{subject}", self.rule),
        };
        let mut evidence = self.extra;
        if let Some(map) = evidence.as_object_mut() {
            base_evidence(self.account, map);
        }
        NewFinding {
            key,
            rule: self.rule.to_owned(),
            subject,
            severity: self.severity,
            title: format!(
                "{}「{}」: {}",
                self.account.system.trim(),
                self.account.account_id.trim(),
                self.title
            ),
            message: self.message,
            checklist: self.items.iter().map(|s| (*s).to_owned()).collect(),
            evidence,
            due_hint: None,
        }
    }
}

const ITEMS_2_5: &[&str] = &[ITEM_UNNEEDED_ACCOUNTS];
const ITEMS_2_4: &[&str] = &[ITEM_ACCESS_RIGHTS];
const ITEMS_ADMIN: &[&str] = &[ITEM_ACCESS_RIGHTS, ITEM_UNNEEDED_ACCOUNTS];
const ITEMS_PASSWORD: &[&str] = &[ITEM_PASSWORD];
const ITEMS_MFA: &[&str] = &[ITEM_TWO_FACTOR];

/// Every account finding that holds on `today`, one per condition, with unique keys.
///
/// Accounts are matched to the roster by 職員番号 and to systems, the policy and the windows
/// by system name and アカウントID, all compared as described on [`AccessPolicy`]. The
/// roster-based rules ([`RETIRED`], [`UNKNOWN_STAFF`], [`ROLE_NOT_ALLOWED`], [`DUPLICATE`])
/// are skipped when `staff` is empty (no roster imported). Accounts of systems missing from `systems` are
/// treated as not supporting two-factor authentication, with no known password policy.
///
/// Runs in time linear in the number of accounts, staff and policy entries.
pub fn findings(
    accounts: &[Account],
    staff: &[Staff],
    systems: &[SystemInfo],
    policy: &AccessPolicy,
    windows: &[MaintenanceWindow],
    opts: &Options,
    today: Date,
) -> Vec<NewFinding> {
    let pw = PasswordPolicy::default();
    let fy = FiscalYear::of(today);
    let mfa_due = FiscalYear(opts.mfa_required_fy);
    let pass = Pass {
        ix: Index::new(staff, systems, policy, windows),
        policy,
        opts,
        today,
        roster: !staff.is_empty(),
        inactive_cutoff: days_before(today, opts.inactive_days),
        password_cutoff: days_before(today, opts.password_max_age_days),
        long_enough: u32::try_from(pw.min_len(false)).unwrap_or(13),
        fy,
        mfa_due,
        mfa_required: fy >= mfa_due,
    };

    // Keys are built from the trimmed system and アカウントID, so they are unique once an
    // account repeated in the input is checked only the first time.
    let mut seen: FxSet<(&str, &str)> =
        FxSet::with_capacity_and_hasher(accounts.len(), Fx::default());
    let unique: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.enabled && seen.insert((a.system.trim(), a.account_id.trim())))
        .collect();

    // Accounts are independent of each other (only the duplicate check looks across them,
    // below), so a large list is split over the cores; most of the time goes into building
    // the findings' Japanese messages and evidence. Chunks are joined in order, so the
    // result is the same as a single pass.
    let cores = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let threads = cores.min(unique.len() / PARALLEL_MIN_ACCOUNTS + 1);
    let chunk = unique.len().div_ceil(threads).max(1);
    let parts: Vec<Checked<'_>> = if threads <= 1 {
        vec![pass.check_all(&unique)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = unique
                .chunks(chunk)
                .map(|part| {
                    let pass = &pass;
                    scope.spawn(move || pass.check_all(part))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };

    let (found, members): (Vec<_>, Vec<_>) =
        parts.into_iter().map(|p| (p.findings, p.members)).unzip();
    let mut out: Vec<NewFinding> = Vec::with_capacity(found.iter().map(Vec::len).sum());
    for part in found {
        out.extend(part);
    }
    // (system, staff id, admin?) → accounts, in first-seen order.
    let mut groups: FxMap<&GroupKey<'_>, usize> =
        FxMap::with_capacity_and_hasher(unique.len(), Fx::default());
    let mut grouped: Vec<(&Staff, bool, Vec<&Account>)> = Vec::new();
    for (key, s, a) in members.iter().flatten() {
        match groups.get(key) {
            Some(&i) => {
                if let Some(g) = grouped.get_mut(i) {
                    g.2.push(a);
                }
            }
            None => {
                groups.insert(key, grouped.len());
                grouped.push((s, key.2, vec![a]));
            }
        }
    }
    for (s, admin, accts) in &grouped {
        if accts.len() > 1 {
            out.push(duplicate_finding(s, *admin, accts));
        }
    }

    out
}

/// Below this many accounts per core the pass stays on one thread (a clinic's lists).
const PARALLEL_MIN_ACCOUNTS: usize = 4_096;

/// The duplicate check's group: (folded system, the member of staff, admin?). The roster
/// index keeps one `Staff` per folded 職員番号, so its address names the person.
type GroupKey<'a> = (Cow<'a, str>, usize, bool);

/// What a run over some accounts found: their findings, and each account still held by a
/// current member of staff with its duplicate-check group.
struct Checked<'a> {
    findings: Vec<NewFinding>,
    members: Vec<(GroupKey<'a>, &'a Staff, &'a Account)>,
}

/// One rule pass: the indexed roster and policy plus the thresholds worked out for today.
struct Pass<'a> {
    ix: Index<'a>,
    policy: &'a AccessPolicy,
    opts: &'a Options,
    today: Date,
    roster: bool,
    inactive_cutoff: Option<Date>,
    password_cutoff: Option<Date>,
    long_enough: u32,
    fy: FiscalYear,
    mfa_due: FiscalYear,
    mfa_required: bool,
}

impl<'a> Pass<'a> {
    fn check_all(&self, accounts: &[&'a Account]) -> Checked<'a> {
        let mut done = Checked {
            findings: Vec::with_capacity(accounts.len()),
            members: Vec::new(),
        };
        for a in accounts {
            self.check(a, &mut done);
        }
        done
    }

    /// Every per-account rule for one enabled account.
    fn check(&self, a: &'a Account, done: &mut Checked<'a>) {
        let (ix, today, opts) = (&self.ix, self.today, self.opts);
        let out = &mut done.findings;
        let sys = fold(&a.system);
        let acct = fold(&a.account_id);
        let info = ix.systems.get(sys.as_ref()).copied();
        let kind = info.map_or(SystemKind::Other, |s| s.kind);
        let admin = ix.is_admin(&sys, &a.role);
        let staff_id = blank(a.staff_id.as_deref());
        let own_windows: &[&MaintenanceWindow] = ix
            .windows
            .get(sys.as_ref())
            .and_then(|m| m.get(acct.as_ref()))
            .map_or(&[], Vec::as_slice);

        match staff_id {
            Some(id) if self.roster => match ix.staff.get_key_value(fold(id).as_ref()) {
                Some((_, (s, job))) => {
                    if let Some(r) = s.retired
                        && r < today
                    {
                        // Disabling the account resolves everything else about it.
                        out.push(retired_finding(a, s, r, admin, kind));
                        return;
                    }
                    if let Some(false) = ix.allows(&sys, job, &a.role) {
                        out.push(role_finding(
                            a,
                            s,
                            admin,
                            &ix.allowed_roles(&sys, job, self.policy),
                        ));
                    }
                    let person = std::ptr::from_ref::<Staff>(s) as usize;
                    done.members.push(((sys.clone(), person, admin), s, a));
                }
                None => out.push(unknown_staff_finding(a, id, admin)),
            },
            Some(_) => {}
            None => {
                if !ix
                    .owners
                    .get(sys.as_ref())
                    .is_some_and(|m| m.contains_key(acct.as_ref()))
                {
                    out.push(unowned_finding(a, admin, !own_windows.is_empty()));
                }
            }
        }

        if own_windows.is_empty() {
            if let (Some(last), Some(cut)) = (a.last_login, self.inactive_cutoff)
                && last < cut
            {
                out.push(inactive_finding(a, last, today, opts));
            }
        } else if !own_windows.iter().any(|w| w.from <= today && today <= w.to) {
            out.push(vendor_finding(a, own_windows, today));
        }

        if info.is_some_and(|s| s.supports_mfa) && a.mfa != Some(true) {
            let severity = if self.mfa_required {
                Severity::High
            } else if admin || kind.is_gateway() {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.push(mfa_finding(a, severity, self.mfa_due, self.fy));
        }

        let long_policy = info
            .and_then(|s| s.min_password_len)
            .is_some_and(|n| n >= self.long_enough);
        if a.mfa != Some(true)
            && !long_policy
            && let (Some(changed), Some(cut)) = (a.password_changed, self.password_cutoff)
            && changed < cut
        {
            let min = info.and_then(|s| s.min_password_len);
            out.push(password_finding(
                a,
                changed,
                min,
                self.long_enough,
                today,
                opts,
            ));
        }
    }
}

/// Severity: 高 — a person who has left can still sign in (「異動・退職した職員のIDの管理が
/// 適切に行われていない」 is a typical inspection finding). 最優先 when the account was used
/// after the 退職日 (possible misuse: disable now and check the logs), holds an admin role, or
/// belongs to a VPN or directory system (outside access, or every system at once).
fn retired_finding(
    a: &Account,
    s: &Staff,
    retired: Date,
    admin: bool,
    kind: SystemKind,
) -> NewFinding {
    let used_after = a.last_login.filter(|d| *d > retired);
    let severity = if used_after.is_some() || admin || kind.is_gateway() {
        Severity::Critical
    } else {
        Severity::High
    };
    let mut message = format!(
        "{}（職員番号 {}）は{retired}に退職していますが、{}が有効なままです。",
        s.name.trim(),
        s.staff_id.trim(),
        Who(a)
    );
    if let Some(d) = used_after {
        message.push_str(&format!(
            "退職後の{d}にログインの記録があります。不正利用の可能性があるため、直ちにアカウントを無効化し、アクセスログを確認してください。"
        ));
    } else {
        message.push_str("退職者のアカウントは退職日の翌日までに無効化（削除）してください。");
    }
    if admin {
        message.push_str(&format!(
            "このアカウントは管理者権限（{}）を持っています。",
            a.role.trim()
        ));
    }
    if kind.is_gateway() {
        message.push_str(&format!(
            "{}のアカウントは院内の複数のシステムや外部からの接続に使えるため、特に危険です。",
            kind.label_ja()
        ));
    }
    Made {
        account: a,
        rule: RETIRED,
        detail: Some(s.staff_id.clone()),
        severity,
        items: ITEMS_2_5,
        title: "退職した職員のアカウントが有効です".to_owned(),
        message,
        extra: json!({
            "staff_name": s.name,
            "retired": retired.to_string(),
            "used_after_retirement": date_json(used_after),
            "last_login": date_json(a.last_login),
            "admin": admin,
        }),
    }
    .build()
}

/// Severity: 中 — the person cannot be told (a typo, a transfer, a roster not up to date, or
/// an account nobody answers for); 高 for an admin role.
fn unknown_staff_finding(a: &Account, id: &str, admin: bool) -> NewFinding {
    Made {
        account: a,
        rule: UNKNOWN_STAFF,
        detail: Some(id.to_owned()),
        severity: if admin {
            Severity::High
        } else {
            Severity::Medium
        },
        items: ITEMS_2_5,
        title: format!("職員番号 {id} が職員名簿にありません"),
        message: format!(
            "{}の職員番号 {id} は職員名簿にありません。職員名簿が最新か、職員番号の誤りがないかを確認し、使用者がいないアカウントは無効化（削除）してください。",
            Who(a)
        ),
        extra: json!({ "admin": admin }),
    }
    .build()
}

/// Severity: 中 — an unused account is an unneeded account (2-(5)); it is not known to be
/// misused.
fn inactive_finding(a: &Account, last: Date, today: Date, opts: &Options) -> NewFinding {
    let days = days_between(last, today);
    Made {
        account: a,
        rule: INACTIVE,
        detail: None,
        severity: Severity::Medium,
        items: ITEMS_2_5,
        title: format!("{}日を超えてログインがありません", opts.inactive_days),
        message: format!(
            "{}の最終ログインは{last}（{days}日前）です。{}日を超えて使われていないアカウントは、不要なら無効化（削除）し、必要なら理由を記録してください。",
            Who(a),
            opts.inactive_days
        ),
        extra: json!({
            "last_login": last.to_string(),
            "days_since_login": days,
            "inactive_days": opts.inactive_days,
        }),
    }
    .build()
}

/// Severity: 中 for a shared account (「特定のIDを複数の職員が使用している」); 高 for an admin
/// role, which R7 2-④ asks to assign to identified persons (管理者権限の対象者を明確化).
fn unowned_finding(a: &Account, admin: bool, vendor: bool) -> NewFinding {
    let (rule, severity, items, title, what) = if admin {
        (
            ADMIN_UNOWNED,
            Severity::High,
            ITEMS_ADMIN,
            "管理者アカウントの使用者が明確ではありません",
            format!(
                "{}は管理者権限（{}）を持っていますが、職員番号がなく、使用者（管理責任者）も登録されていません。管理者権限の対象者を明確にするため、個人ごとのアカウントに切り替えるか、アクセス権限表に管理責任者を登録してください。",
                Who(a),
                a.role.trim()
            ),
        )
    } else {
        (
            SHARED_UNOWNED,
            Severity::Medium,
            ITEMS_2_5,
            "共用アカウントの使用者が登録されていません",
            format!(
                "{}には職員番号がなく、使用者（管理責任者）も登録されていません。複数の職員で一つのIDを使うと、誰が操作したか分からなくなります。個人ごとのアカウントに切り替えるか、不要なら無効化（削除）し、必要な共用・システムアカウントはアクセス権限表に管理責任者を登録してください。",
                Who(a)
            ),
        )
    };
    let mut message = what;
    if vendor {
        message.push_str(
            "保守事業者のアカウントの場合は、事業者名と担当者を管理責任者として登録してください。",
        );
    }
    Made {
        account: a,
        rule,
        detail: None,
        severity,
        items,
        title: title.to_owned(),
        message,
        extra: json!({ "admin": admin }),
    }
    .build()
}

/// Severity: 中 — more rights than the 職種 needs; 高 when the role is an admin role.
fn role_finding(a: &Account, s: &Staff, admin: bool, allowed: &[String]) -> NewFinding {
    let job = s.job.trim();
    let allowed_text = if allowed.is_empty() {
        format!("職種「{job}」に認められた権限はありません")
    } else {
        format!(
            "職種「{job}」に認められた権限は「{}」です",
            allowed.join("」「")
        )
    };
    Made {
        account: a,
        rule: ROLE_NOT_ALLOWED,
        detail: Some(a.role.clone()),
        severity: if admin {
            Severity::High
        } else {
            Severity::Medium
        },
        items: ITEMS_2_4,
        title: format!("職種「{job}」に認められていない権限「{}」です", a.role.trim()),
        message: format!(
            "{}（職員番号 {}、職種「{job}」）の{}に権限「{}」が付与されていますが、アクセス権限表では{allowed_text}。権限を見直すか、業務上必要ならアクセス権限表に追加してください。",
            s.name.trim(),
            s.staff_id.trim(),
            Who(a),
            a.role.trim()
        ),
        extra: json!({ "job": job, "allowed_roles": allowed, "admin": admin }),
    }
    .build()
}

/// Severity: 低 before the target 年度 (中 for an admin role or a VPN/directory system), 高
/// from the 年度 in [`Options::mfa_required_fy`] on.
fn mfa_finding(a: &Account, severity: Severity, due: FiscalYear, now: FiscalYear) -> NewFinding {
    let state = match a.mfa {
        Some(false) => "二要素認証が有効になっていません",
        _ => "二要素認証の設定が記録されていません",
    };
    let when = if now >= due {
        format!(
            "ガイドラインは{}までの二要素認証の導入を求めており、その年度に入っています。",
            due.label_both()
        )
    } else {
        format!(
            "ガイドラインは{}までの二要素認証の導入を目標としています。",
            due.label_both()
        )
    };
    Made {
        account: a,
        rule: NO_MFA,
        detail: None,
        severity,
        items: ITEMS_MFA,
        title: state.to_owned(),
        message: format!(
            "「{}」は二要素認証に対応していますが、{}は{state}。{when}二要素認証（ICカード・生体認証・ワンタイムパスワード等とパスワードの組み合わせ）を有効にしてください。有効にしている場合はアカウント一覧の「二要素認証」を「あり」にしてください。",
            a.system.trim(),
            Who(a)
        ),
        extra: json!({ "mfa": a.mfa, "mfa_required_fy": due.0, "fiscal_year": now.0 }),
    }
    .build()
}

/// Severity: 中 — 「8文字以上13文字未満の…文字列を定期的に変更させていない（最長でも2か月以内）」
/// is a typical inspection finding; the password itself is not known to be weak.
fn password_finding(
    a: &Account,
    changed: Date,
    min_len: Option<u32>,
    long_enough: u32,
    today: Date,
    opts: &Options,
) -> NewFinding {
    let days = days_between(changed, today);
    let policy = match min_len {
        Some(n) => format!("パスワードの最小文字数は{n}文字"),
        None => format!("パスワードの最小文字数が{long_enough}文字以上と登録されていません"),
    };
    Made {
        account: a,
        rule: PASSWORD_OLD,
        detail: None,
        severity: Severity::Medium,
        items: ITEMS_PASSWORD,
        title: format!("パスワードが{}日を超えて変更されていません", opts.password_max_age_days),
        message: format!(
            "{}のパスワードは{changed}（{days}日前）から変更されていません。ガイドラインのパスワード要件は、(a) {long_enough}文字以上、(b) 8文字以上で最長でも2か月以内に変更、(c) 二要素認証と8文字以上、のいずれかです。このアカウントは二要素認証を使っておらず、「{}」の{policy}ため、(b) の定期的な変更（{}日以内）が必要です。パスワードを変更するか、二要素認証を有効にするか、システムの最小文字数を{long_enough}文字以上にしてください。",
            Who(a),
            a.system.trim(),
            opts.password_max_age_days
        ),
        extra: json!({
            "mfa": a.mfa,
            "password_changed": changed.to_string(),
            "days_since_change": days,
            "password_max_age_days": opts.password_max_age_days,
            "min_password_len": min_len,
        }),
    }
    .build()
}

/// Severity: 高 — vendor (保守) accounts were the way in for the 2023–2024 hospital
/// ransomware incidents; one enabled outside maintenance is an open door. 最優先 when it was
/// used after the most recent window ended (a login nobody scheduled).
fn vendor_finding(a: &Account, windows: &[&MaintenanceWindow], today: Date) -> NewFinding {
    // The most recent window that has ended; no window is open today, so a login after it
    // (up to today) was outside every window.
    let last_end = windows.iter().map(|w| w.to).filter(|d| *d < today).max();
    let next = windows
        .iter()
        .filter(|w| w.from > today)
        .min_by_key(|w| w.from);
    let used_after = match (a.last_login, last_end) {
        (Some(l), Some(e)) if l > e => Some(l),
        _ => None,
    };
    let mut message = format!(
        "{}は保守作業期間外ですが有効になっています。保守用アカウントは作業期間中だけ有効にし、終了後は無効化してください。",
        Who(a)
    );
    if let Some(e) = last_end {
        message.push_str(&format!("直近の保守作業期間は{e}に終了しています。"));
    }
    if let Some(n) = next {
        message.push_str(&format!("次回の保守作業期間は{}〜{}です。", n.from, n.to));
    }
    if let Some(l) = used_after {
        message.push_str(&format!(
            "保守作業期間の終了後の{l}にログインの記録があります。事業者に作業の有無を確認し、アクセスログを確認してください。"
        ));
    }
    Made {
        account: a,
        rule: VENDOR_OUTSIDE_WINDOW,
        detail: None,
        severity: if used_after.is_some() {
            Severity::Critical
        } else {
            Severity::High
        },
        items: ITEMS_2_5,
        title: "保守作業期間外に保守用アカウントが有効です".to_owned(),
        message,
        extra: json!({
            "last_window_end": last_end.map(|d| d.to_string()),
            "next_window": next.map(|w| json!({ "from": w.from.to_string(), "to": w.to.to_string() })),
            "used_after_window": date_json(used_after),
            "last_login": date_json(a.last_login),
        }),
    }
    .build()
}

/// Severity: 低 — the person is legitimate; the extra account is an unneeded way in. A
/// separate admin account beside an ordinary one (特権IDの分離) is not a duplicate: admin and
/// ordinary accounts are counted apart.
fn duplicate_finding(s: &Staff, admin: bool, accts: &[&Account]) -> NewFinding {
    let system = accts.first().map_or("", |a| a.system.trim());
    let ids: Vec<&str> = accts.iter().map(|a| a.account_id.trim()).collect();
    let subject = format!("staff:{}", esc(&s.staff_id));
    let kind = if admin { "管理者" } else { "一般" };
    let key = format!(
        "{DUPLICATE}/{subject}/{}{}",
        esc(system),
        if admin { "/admin" } else { "" }
    );
    NewFinding {
        key,
        rule: DUPLICATE.to_owned(),
        subject,
        severity: Severity::Low,
        title: format!(
            "{system}: {}（職員番号 {}）の{kind}アカウントが{}個あります",
            s.name.trim(),
            s.staff_id.trim(),
            ids.len()
        ),
        message: format!(
            "{}（職員番号 {}）は「{system}」に有効な{kind}アカウントを{}個持っています（「{}」）。一人一つのアカウントとし、使用しないアカウントは無効化（削除）してください。",
            s.name.trim(),
            s.staff_id.trim(),
            ids.len(),
            ids.join("」「")
        ),
        checklist: vec![ITEM_UNNEEDED_ACCOUNTS.to_owned()],
        evidence: json!({
            "system": system,
            "staff_id": s.staff_id.trim(),
            "staff_name": s.name.trim(),
            "admin": admin,
            "account_ids": ids,
        }),
        due_hint: None,
    }
}

/// What the 2-(5) evidence rule needs to know about the accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSummary {
    /// Systems with at least one imported account (as first written, in order of first
    /// appearance).
    pub systems: Vec<String>,
    /// Whether a staff roster (職員名簿) was imported.
    pub roster_imported: bool,
    /// Titles of the open findings of [`UNNEEDED_ACCOUNT_RULES`].
    pub open: Vec<String>,
    /// The latest 棚卸 (account review) sign-off per system; `None` when sign-offs are not
    /// tracked (the check is then skipped).
    pub signoffs: Option<BTreeMap<String, Date>>,
}

impl AccountSummary {
    /// Summarises the imported accounts, whether a roster exists, the open findings (any
    /// rule; only [`UNNEEDED_ACCOUNT_RULES`] count) and the sign-offs.
    pub fn of(
        accounts: &[Account],
        roster_imported: bool,
        open: &[OpenFinding],
        signoffs: Option<BTreeMap<String, Date>>,
    ) -> AccountSummary {
        let mut seen: HashSet<Cow<'_, str>> = HashSet::new();
        let mut systems = Vec::new();
        for a in accounts {
            if seen.insert(fold(&a.system)) {
                systems.push(a.system.trim().to_owned());
            }
        }
        AccountSummary {
            systems,
            roster_imported,
            open: open
                .iter()
                .filter(|f| UNNEEDED_ACCOUNT_RULES.contains(&f.rule.as_str()))
                .map(|f| f.title.clone())
                .collect(),
            signoffs,
        }
    }
}

/// 2-(5) 退職者や使用していないアカウント等、不要なアカウントを削除している ← accounts were
/// imported for at least one system, no finding of [`UNNEEDED_ACCOUNT_RULES`] is open, and
/// (when sign-offs are tracked) every imported system's latest 棚卸 sign-off is within
/// [`SIGNOFF_MAX_DAYS`] days of `today`: はい; いいえ otherwise. Without a staff roster the
/// retired-staff check cannot run, so the answer is 判定できません unless something already
/// makes it いいえ.
#[derive(Debug, Clone)]
pub struct NoAccountFindings {
    pub summary: AccountSummary,
    pub today: Date,
}

fn list(v: &[String]) -> String {
    let shown: Vec<&str> = v.iter().take(5).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join("、"),
        if v.len() > 5 { " ほか" } else { "" }
    )
}

impl EvidenceRule for NoAccountFindings {
    fn key(&self) -> &str {
        NO_ACCOUNT_FINDINGS
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        let s = &self.summary;
        let mut reasons = Vec::new();
        let mut no = false;
        if s.systems.is_empty() {
            no = true;
            reasons.push("アカウント一覧が取り込まれていません。".to_owned());
        } else {
            reasons.push(format!(
                "{}システムのアカウント一覧が取り込まれています（{}）。",
                s.systems.len(),
                list(&s.systems)
            ));
        }
        if s.open.is_empty() {
            if !s.systems.is_empty() {
                reasons.push(
                    "退職者・未使用・使用者不明・重複・保守期間外のアカウントについて未解消の指摘はありません。"
                        .to_owned(),
                );
            }
        } else {
            no = true;
            reasons.push(format!(
                "不要なアカウントについて未解消の指摘が{}件あります: {}。",
                s.open.len(),
                list(&s.open)
            ));
        }
        if let Some(signoffs) = &s.signoffs
            && !s.systems.is_empty()
        {
            let by_system: HashMap<Cow<'_, str>, Date> =
                signoffs.iter().map(|(k, d)| (fold(k), *d)).collect();
            let cutoff = days_before(self.today, SIGNOFF_MAX_DAYS);
            let mut missing = Vec::new();
            let mut stale = Vec::new();
            for sys in &s.systems {
                match by_system.get(&fold(sys)) {
                    None => missing.push(sys.clone()),
                    Some(d) if cutoff.is_some_and(|c| *d < c) => {
                        stale.push(format!("{sys}（{d}）"))
                    }
                    Some(_) => {}
                }
            }
            if !missing.is_empty() {
                no = true;
                reasons.push(format!(
                    "アカウントの棚卸（確認）の記録がないシステムがあります: {}。",
                    list(&missing)
                ));
            }
            if !stale.is_empty() {
                no = true;
                reasons.push(format!(
                    "最後のアカウント棚卸が{SIGNOFF_MAX_DAYS}日より前のシステムがあります: {}。",
                    list(&stale)
                ));
            }
            if missing.is_empty() && stale.is_empty() {
                reasons.push(format!(
                    "すべてのシステムでアカウントの棚卸が{SIGNOFF_MAX_DAYS}日以内に行われています。"
                ));
            }
        }
        let suggestion = if no {
            Suggestion::No
        } else if !s.roster_imported {
            reasons.push(
                "職員名簿が取り込まれていないため、退職者のアカウントを確認できません。".to_owned(),
            );
            Suggestion::Unknown
        } else {
            Suggestion::Yes
        };
        AutoAnswer {
            suggestion,
            reasons_ja: reasons,
        }
    }
}
