//! アクセスログの監視 — monitoring rules over the access log (checklist 2-(6)
//! アクセスログを管理している; R7 2-⑪), checked against the account audit's latest snapshot
//! (アカウント一覧, 職員名簿) and the organisation's watch lists (VIP・職員患者, 登録端末).
//!
//! Pure and streaming: a [`Monitor`] is fed the events in time order
//! ([`Monitor::feed`]) and keeps, per account, only the current hour's distinct patients
//! (capped at the threshold), the current hour's print/export count and the last few failed
//! sign-ins; [`Monitor::finish`] returns the findings. Repeated hits of one rule by one
//! account on one day (JST) make **one** finding with the count, the first and last time and
//! a few samples, so a month of millions of events yields a reviewable list. No I/O, no
//! clock: everything comes from the records.
//!
//! # Rules
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`RETIRED`] | the account's 職員番号 retired (退職日) before the event's day | critical; high when every attempt failed | 2-(6), 2-(5) |
//! | [`DISABLED`] | the account is 無効 in the snapshot, for events on or after the snapshot's date | high | 2-(6), 2-(5) |
//! | [`UNKNOWN_ACCOUNT`] | the system has an account list but not this account, for events on or after the snapshot's date | medium; high with patient records | 2-(6), 2-(5) |
//! | [`OUTSIDE_HOURS`] | a successful access outside the system's configured hours (JST) | low; medium with patient records | 2-(6) |
//! | [`MANY_PATIENTS`] | one account touches more than N distinct patients in one clock hour | medium; high at three times N | 2-(6) |
//! | [`FAILED_LOGINS`] | N failed sign-ins of one account within the window | medium; high when a successful sign-in follows within the window | 2-(6) |
//! | [`VIP_PATIENT`] | access to a patient on the VIP list | medium | 2-(6) |
//! | [`STAFF_PATIENT`] | access to a patient who is a member of staff | medium; high when it is the account's own record | 2-(6) |
//! | [`MASS_OUTPUT`] | at least N prints or exports by one account in one clock hour | high | 2-(6) |
//! | [`UNREGISTERED_TERMINAL`] | a 端末 not on the registered list (only when a list is given) | medium | 2-(6) |
//!
//! "Patient records" means an event with a 患者ID. Events whose 結果 is 失敗 count only for
//! [`FAILED_LOGINS`] (a refused access is not an access), except that [`RETIRED`] sees
//! every event: a sign-in attempt with a retired person's ID is worth knowing even when it
//! failed. A disabled or unknown account being refused is the system doing its job.
//!
//! The account snapshot is the latest one, so it says nothing certain about events before
//! its date: an account disabled or deleted since then was perhaps fine at the time. Hence
//! [`DISABLED`] and [`UNKNOWN_ACCOUNT`] judge only events on or after
//! [`Reference::accounts_as_of`]; [`RETIRED`] uses the 退職日 itself and judges every event.
//!
//! Holidays (祝日) are not known here: give them as [`Config::closed_days`] if they matter.
//!
//! # Reconciling
//!
//! A finding's key ends with its JST day (`access.outside_hours/account:電子カルテ/tanaka/2025-04-07`)
//! and its evidence holds `date`, `count`, `first`/`last` and `first_seq`/`last_seq`. Run the
//! monitor over the whole period whose findings are reconciled (e.g. the month), or reconcile
//! only the recorded findings of the days the run covered: a run over one day says nothing
//! about the others.
//!
//! # Not here
//!
//! No evidence rule for 2-(6): "access logs are kept and reviewed" needs the stored log
//! (per-system coverage, monthly review sign-offs), which lives in the store, not in these
//! records.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use jiff::civil::Date;
use serde_json::json;

use crate::finding::{NewFinding, Severity};
use crate::rules::accounts::{Account, Staff, account_subject};

/// Rule ids this module produces start with this (for reconciling).
pub const RULE_PREFIXES: [&str; 1] = ["access."];

/// 退職者のアカウントによるアクセス.
pub const RETIRED: &str = "access.retired";
/// 無効なアカウントによるアクセス.
pub const DISABLED: &str = "access.disabled";
/// アカウント一覧にないアカウントによるアクセス.
pub const UNKNOWN_ACCOUNT: &str = "access.unknown_account";
/// 業務時間外のアクセス.
pub const OUTSIDE_HOURS: &str = "access.outside_hours";
/// 1時間に多数の患者を参照.
pub const MANY_PATIENTS: &str = "access.many_patients";
/// ログイン失敗の連続.
pub const FAILED_LOGINS: &str = "access.failed_logins";
/// VIP 患者へのアクセス.
pub const VIP_PATIENT: &str = "access.vip_patient";
/// 職員である患者へのアクセス.
pub const STAFF_PATIENT: &str = "access.staff_patient";
/// 大量の印刷・出力.
pub const MASS_OUTPUT: &str = "access.mass_output";
/// 登録されていない端末からのアクセス.
pub const UNREGISTERED_TERMINAL: &str = "access.unregistered_terminal";

/// Every rule id.
pub const RULES: [&str; 10] = [
    RETIRED,
    DISABLED,
    UNKNOWN_ACCOUNT,
    OUTSIDE_HOURS,
    MANY_PATIENTS,
    FAILED_LOGINS,
    VIP_PATIENT,
    STAFF_PATIENT,
    MASS_OUTPUT,
    UNREGISTERED_TERMINAL,
];

/// 2-(6) アクセスログを管理している (R7 2-⑪).
pub const ITEM_ACCESS_LOGS: &str = "2-(6)";
/// 2-(5) 不要なアカウントの削除: access by an account that should not exist says so too.
const ITEM_UNNEEDED_ACCOUNTS: &str = crate::rules::accounts::ITEM_UNNEEDED_ACCOUNTS;

/// 操作 — what an access-log event records (the アクセスログ template's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// ログイン
    Login,
    /// ログイン失敗
    LoginFailed,
    /// ログアウト
    Logout,
    /// 参照
    View,
    /// 作成
    Create,
    /// 更新
    Update,
    /// 削除
    Delete,
    /// 印刷
    Print,
    /// 出力 (export, download, copy to media)
    Export,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 9] = [
        Operation::Login,
        Operation::LoginFailed,
        Operation::Logout,
        Operation::View,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Print,
        Operation::Export,
    ];

    /// The template's English code (`login`, `view`, …), as `anzen-ingest` spells it.
    pub fn code(self) -> &'static str {
        match self {
            Operation::Login => "login",
            Operation::LoginFailed => "login_failed",
            Operation::Logout => "logout",
            Operation::View => "view",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Print => "print",
            Operation::Export => "export",
        }
    }

    /// The operation a [`Operation::code`] names.
    pub fn parse(code: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The template's Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Operation::Login => "ログイン",
            Operation::LoginFailed => "ログイン失敗",
            Operation::Logout => "ログアウト",
            Operation::View => "参照",
            Operation::Create => "作成",
            Operation::Update => "更新",
            Operation::Delete => "削除",
            Operation::Print => "印刷",
            Operation::Export => "出力",
        }
    }

    fn is_output(self) -> bool {
        matches!(self, Operation::Print | Operation::Export)
    }
}

/// One access-log event as the rules need it (built by the caller from the stored log or
/// `anzen-ingest`'s `AccessEvent`; core does not depend on ingest). Borrowed, so feeding
/// millions of events allocates nothing per event in the common case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessRecord<'a> {
    /// The event's sequence number in the store (carried into the evidence).
    pub seq: i64,
    /// 日時, microseconds since the epoch (UTC).
    pub time_us: i64,
    /// システム.
    pub system: &'a str,
    /// アカウントID.
    pub user: &'a str,
    /// 患者ID.
    pub patient: Option<&'a str>,
    /// 操作.
    pub operation: Operation,
    /// 結果: `Some(false)` = 失敗, `None` = not recorded.
    pub success: Option<bool>,
    /// 端末.
    pub terminal: Option<&'a str>,
}

impl AccessRecord<'_> {
    fn failed_sign_in(&self) -> bool {
        self.operation == Operation::LoginFailed
            || (self.operation == Operation::Login && self.success == Some(false))
    }

    fn refused(&self) -> bool {
        self.success == Some(false) || self.operation == Operation::LoginFailed
    }
}

/// A patient who is a member of staff (職員患者), by 患者ID and 職員番号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPatient {
    /// 患者ID.
    pub patient: String,
    /// 職員番号.
    pub staff_id: String,
}

/// What the events are checked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference<'a> {
    /// The latest アカウント一覧 of every system (the account audit's snapshot).
    pub accounts: &'a [Account],
    /// The latest 職員名簿.
    pub staff: &'a [Staff],
    /// The date of the account snapshot; [`DISABLED`] and [`UNKNOWN_ACCOUNT`] judge only
    /// events on or after it, and not at all when `None`.
    pub accounts_as_of: Option<Date>,
    /// 患者ID of patients flagged VIP (著名人など).
    pub vip_patients: &'a [String],
    /// Patients who are members of staff.
    pub staff_patients: &'a [StaffPatient],
    /// Registered terminals (端末), e.g. the asset ledger's PCs by 資産ID or ホスト名;
    /// empty = [`UNREGISTERED_TERMINAL`] is not checked.
    pub terminals: &'a [String],
}

/// 業務時間 of a system, in JST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    /// システム, or `*` for every system without its own entry.
    pub system: String,
    /// Open days, Monday first (月火水木金土日).
    pub days: [bool; 7],
    /// Opening time, minutes after midnight (inclusive).
    pub start_minute: u16,
    /// Closing time, minutes after midnight (exclusive). Earlier than `start_minute`
    /// means the hours run past midnight (e.g. 22:00–06:00 is 1320–360).
    pub end_minute: u16,
}

/// Thresholds and hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Business hours per system; a system without an entry uses the `*` entries; no entry
    /// at all = not checked. Several entries of one system add up (e.g. 月〜金 8:30–17:30
    /// and 土 8:30–12:30): a time is inside when any of them says so. Default: `*` Monday–Saturday 07:00–21:00.
    pub hours: Vec<Hours>,
    /// Systems used around the clock (病棟, 救急): never out of hours.
    pub always_open: Vec<String>,
    /// Dates (JST) on which every system is closed, e.g. 祝日 and 年末年始.
    pub closed_days: Vec<Date>,
    /// More distinct patients than this in one clock hour fires [`MANY_PATIENTS`] (30).
    pub patients_per_hour: usize,
    /// This many failed sign-ins… (5)
    pub failed_logins: usize,
    /// …within this many seconds fire [`FAILED_LOGINS`] (600).
    pub failed_window_secs: i64,
    /// This many prints and exports in one clock hour fire [`MASS_OUTPUT`] (100).
    pub outputs_per_hour: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hours: vec![Hours {
                system: "*".to_owned(),
                days: [true, true, true, true, true, true, false],
                start_minute: 7 * 60,
                end_minute: 21 * 60,
            }],
            always_open: Vec::new(),
            closed_days: Vec::new(),
            patients_per_hour: 30,
            failed_logins: 5,
            failed_window_secs: 600,
            outputs_per_hour: 100,
        }
    }
}

/// Folds an identifier for comparison: trimmed, full-width ASCII to ASCII, lower case
/// (as the account rules compare systems and IDs). Borrowed when nothing changes.
fn fold(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    if s.bytes().all(|b| !b.is_ascii_uppercase())
        && !s.contains(|c: char| ('\u{FF01}'..='\u{FF5E}').contains(&c))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .flat_map(char::to_lowercase)
            .collect(),
    )
}

const US_PER_SEC: i64 = 1_000_000;
const JST_SECS: i64 = 9 * 3600;
/// Samples (patients, terminals) kept per finding.
const SAMPLES: usize = 10;

/// JST day number (days since 1970-01-01 JST) and minute of that day.
fn jst_day_minute(time_us: i64) -> (i64, i64) {
    let local = time_us.div_euclid(US_PER_SEC) + JST_SECS;
    (local.div_euclid(86_400), local.rem_euclid(86_400) / 60)
}

/// Clock hour number (hours since the epoch; JST hours align with UTC hours).
fn hour_of(time_us: i64) -> i64 {
    time_us.div_euclid(3600 * US_PER_SEC)
}

fn day_date(day: i64) -> Option<Date> {
    let epoch = Date::constant(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().try_days(day).ok()?)
        .ok()
}

/// `2025-04-01 09:30` in JST.
fn jst_time(time_us: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(time_us) else {
        return time_us.to_string();
    };
    let z = ts.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)));
    z.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// One (rule, account, day) aggregate.
#[derive(Debug, Clone)]
struct Hit {
    rule: &'static str,
    day: i64,
    count: u64,
    first_us: i64,
    last_us: i64,
    first_seq: i64,
    last_seq: i64,
    /// Distinct patients or terminals seen (at most [`SAMPLES`]).
    samples: Vec<String>,
    /// Rule-specific peak: distinct patients in an hour, failures in the window, outputs in
    /// an hour.
    peak: u64,
    /// Escalated (own record, success after failures, patient records…).
    escalated: bool,
}

/// Per-account streaming state.
#[derive(Debug, Default)]
struct UserState {
    /// The clock hour the counters below belong to.
    hour: i64,
    /// Distinct patients this hour, capped at three times the threshold + 1 (memory stays
    /// bounded).
    patients: HashSet<String>,
    /// Whether [`MANY_PATIENTS`] already fired this hour.
    many_fired: bool,
    /// Prints/exports this hour.
    outputs: u64,
    output_fired: bool,
    /// Times of the latest failed sign-ins (at most the threshold).
    failures: VecDeque<i64>,
    /// When the latest burst of failures was detected.
    burst_at: Option<i64>,
    /// Aggregates, newest last.
    hits: Vec<Hit>,
    /// The system and account as first written.
    system: String,
    user: String,
}

impl UserState {
    fn hit(&mut self, rule: &'static str, r: &AccessRecord<'_>, day: i64) -> &mut Hit {
        let pos = self
            .hits
            .iter()
            .rposition(|h| h.rule == rule && h.day == day);
        let i = match pos {
            Some(i) => i,
            None => {
                self.hits.push(Hit {
                    rule,
                    day,
                    count: 0,
                    first_us: r.time_us,
                    last_us: r.time_us,
                    first_seq: r.seq,
                    last_seq: r.seq,
                    samples: Vec::new(),
                    peak: 0,
                    escalated: false,
                });
                self.hits.len() - 1
            }
        };
        let h = &mut self.hits[i];
        h.count += 1;
        if r.time_us < h.first_us {
            h.first_us = r.time_us;
            h.first_seq = r.seq;
        }
        if r.time_us >= h.last_us {
            h.last_us = r.time_us;
            h.last_seq = r.seq;
        }
        h
    }
}

fn sample(h: &mut Hit, v: Option<&str>) {
    if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty())
        && h.samples.len() < SAMPLES
        && !h.samples.iter().any(|s| s == v)
    {
        h.samples.push(v.to_owned());
    }
}

/// What the snapshot says about one account.
#[derive(Debug, Clone)]
struct AccountInfo {
    enabled: bool,
    staff_id: Option<String>,
    name: Option<String>,
    retired: Option<Date>,
}

/// The streaming monitor: [`Monitor::feed`] every event in time order, then
/// [`Monitor::finish`].
#[derive(Debug)]
pub struct Monitor {
    config: Config,
    /// folded system → folded account → info.
    accounts: HashMap<String, HashMap<String, AccountInfo>>,
    accounts_from_day: Option<i64>,
    vip: HashSet<String>,
    /// 患者ID (compared exactly, trimmed) → 職員番号 (folded).
    staff_patients: HashMap<String, String>,
    terminals: HashSet<String>,
    /// folded system → its hours (None = always open); `*` under the key "*".
    hours: HashMap<String, Option<Vec<Hours>>>,
    closed_days: HashSet<i64>,
    /// folded system → folded account → state.
    users: HashMap<String, HashMap<String, UserState>>,
    events: u64,
}

fn day_number(d: Date) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    epoch.until(d).map_or(0, |s| i64::from(s.get_days()))
}

impl Monitor {
    /// A monitor with these thresholds, checking against `reference`.
    pub fn new(config: Config, reference: &Reference<'_>) -> Monitor {
        let staff: HashMap<String, &Staff> = reference
            .staff
            .iter()
            .map(|s| (fold(&s.staff_id).into_owned(), s))
            .collect();
        let mut accounts: HashMap<String, HashMap<String, AccountInfo>> = HashMap::new();
        for a in reference.accounts {
            let staff_id = a
                .staff_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let person = staff_id.and_then(|id| staff.get(fold(id).as_ref()));
            accounts
                .entry(fold(&a.system).into_owned())
                .or_default()
                .entry(fold(&a.account_id).into_owned())
                .or_insert_with(|| AccountInfo {
                    enabled: a.enabled,
                    staff_id: staff_id.map(str::to_owned),
                    name: a.name.clone().or_else(|| person.map(|p| p.name.clone())),
                    retired: person.and_then(|p| p.retired),
                });
        }
        let mut hours: HashMap<String, Option<Vec<Hours>>> = HashMap::new();
        for h in &config.hours {
            if let Some(list) = hours
                .entry(fold(&h.system).into_owned())
                .or_insert_with(|| Some(Vec::new()))
            {
                list.push(h.clone());
            }
        }
        for s in &config.always_open {
            hours.insert(fold(s).into_owned(), None);
        }
        let closed_days = config.closed_days.iter().map(|d| day_number(*d)).collect();
        Monitor {
            accounts,
            accounts_from_day: reference.accounts_as_of.map(day_number),
            vip: reference
                .vip_patients
                .iter()
                .map(|p| p.trim().to_owned())
                .collect(),
            staff_patients: reference
                .staff_patients
                .iter()
                .map(|p| (p.patient.trim().to_owned(), fold(&p.staff_id).into_owned()))
                .collect(),
            terminals: reference
                .terminals
                .iter()
                .map(|t| fold(t).into_owned())
                .collect(),
            hours,
            closed_days,
            users: HashMap::new(),
            events: 0,
            config,
        }
    }

    /// Events fed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    fn open(&self, system: &str, day: i64, minute: i64) -> bool {
        let hours = match self.hours.get(system) {
            Some(h) => h.as_ref(),
            None => match self.hours.get("*") {
                Some(h) => h.as_ref(),
                None => return true,
            },
        };
        let Some(list) = hours else {
            return true;
        };
        if self.closed_days.contains(&day) {
            return false;
        }
        // 1970-01-01 was a Thursday; Monday = 0.
        let weekday = usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0);
        list.iter().any(|h| {
            let (start, end) = (i64::from(h.start_minute), i64::from(h.end_minute));
            if start <= end {
                h.days.get(weekday).copied().unwrap_or(false) && start <= minute && minute < end
            } else if minute >= start {
                // Overnight hours belong to the day they start on.
                h.days.get(weekday).copied().unwrap_or(false)
            } else {
                let yesterday = (weekday + 6) % 7;
                minute < end && h.days.get(yesterday).copied().unwrap_or(false)
            }
        })
    }

    /// Takes one event. Events should come in time order; a late event is counted in the
    /// account's current hour.
    pub fn feed(&mut self, r: &AccessRecord<'_>) {
        self.events += 1;
        let sys = fold(r.system);
        let user = fold(r.user);
        let (day, minute) = jst_day_minute(r.time_us);
        let hour = hour_of(r.time_us);
        let patient = r
            .patient
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "-");
        let refused = r.refused();

        // Judgements that need the reference data, made before borrowing the state.
        let info = self
            .accounts
            .get(sys.as_ref())
            .map(|m| m.get(user.as_ref()));
        let snapshot_applies = self.accounts_from_day.is_some_and(|d| day >= d);
        let retired = info
            .flatten()
            .and_then(|a| a.retired)
            .filter(|d| day > day_number(*d));
        let disabled = !refused && snapshot_applies && info.flatten().is_some_and(|a| !a.enabled);
        let unknown = !refused && snapshot_applies && matches!(info, Some(None));
        let own_staff_id = info.flatten().and_then(|a| a.staff_id.as_deref()).map(fold);
        let outside = !refused && !self.open(&sys, day, minute);
        let vip = !refused && patient.is_some_and(|p| self.vip.contains(p));
        let staff_patient = if refused {
            None
        } else {
            patient.and_then(|p| self.staff_patients.get(p))
        };
        let own_record = staff_patient
            .zip(own_staff_id.as_ref())
            .is_some_and(|(p, own)| **p == **own);
        let terminal = r.terminal.map(str::trim).filter(|t| !t.is_empty());
        let unregistered = !refused
            && !self.terminals.is_empty()
            && terminal.is_some_and(|t| !self.terminals.contains(fold(t).as_ref()));
        let cfg = &self.config;
        if refused && matches!(info, Some(None)) {
            // A refused attempt with a name the system does not have can fire nothing; no
            // state is kept for it, so guessed names cannot grow the memory.
            return;
        }

        // Two lookups instead of `entry`, so that an account already seen costs no
        // allocation.
        if !self.users.contains_key(sys.as_ref()) {
            self.users.insert(sys.clone().into_owned(), HashMap::new());
        }
        let Some(users) = self.users.get_mut(sys.as_ref()) else {
            return;
        };
        if !users.contains_key(user.as_ref()) {
            users.insert(
                user.clone().into_owned(),
                UserState {
                    hour,
                    system: r.system.trim().to_owned(),
                    user: r.user.trim().to_owned(),
                    ..UserState::default()
                },
            );
        }
        let Some(st) = users.get_mut(user.as_ref()) else {
            return;
        };
        if hour > st.hour {
            st.hour = hour;
            st.patients.clear();
            st.many_fired = false;
            st.outputs = 0;
            st.output_fired = false;
        }

        if retired.is_some() {
            let h = st.hit(RETIRED, r, day);
            h.escalated |= !refused;
            sample(h, patient);
        }
        if disabled {
            let h = st.hit(DISABLED, r, day);
            sample(h, patient);
        }
        if unknown {
            let h = st.hit(UNKNOWN_ACCOUNT, r, day);
            h.escalated |= patient.is_some();
            sample(h, patient);
        }

        if r.failed_sign_in() {
            st.failures.push_back(r.time_us);
            let window = cfg.failed_window_secs.saturating_mul(US_PER_SEC);
            while st.failures.front().is_some_and(|t| r.time_us - *t > window)
                || st.failures.len() > cfg.failed_logins.max(1)
            {
                st.failures.pop_front();
            }
            if st.failures.len() >= cfg.failed_logins.max(1) {
                let n = st.failures.len() as u64;
                st.burst_at = Some(r.time_us);
                st.failures.clear();
                let h = st.hit(FAILED_LOGINS, r, day);
                h.peak = h.peak.max(n);
                sample(h, terminal);
            }
        } else if r.operation == Operation::Login
            && !refused
            && let Some(at) = st.burst_at
        {
            if r.time_us - at <= cfg.failed_window_secs.saturating_mul(US_PER_SEC)
                && let Some(h) = st.hits.iter_mut().rev().find(|h| h.rule == FAILED_LOGINS)
            {
                h.escalated = true;
            }
            st.burst_at = None;
        }

        if refused {
            return;
        }

        if outside {
            let h = st.hit(OUTSIDE_HOURS, r, day);
            h.escalated |= patient.is_some();
            sample(h, patient);
        }
        if vip {
            let h = st.hit(VIP_PATIENT, r, day);
            sample(h, patient);
        }
        if staff_patient.is_some() {
            let h = st.hit(STAFF_PATIENT, r, day);
            h.escalated |= own_record;
            sample(h, patient);
        }
        if unregistered {
            let h = st.hit(UNREGISTERED_TERMINAL, r, day);
            sample(h, terminal);
        }
        if let Some(p) = patient {
            let limit = cfg.patients_per_hour;
            // Counted up to three times the threshold (the severity step), no further.
            if st.patients.len() <= 3 * limit && !st.patients.contains(p) {
                st.patients.insert(p.to_owned());
            }
            if st.patients.len() > limit && !st.many_fired {
                st.many_fired = true;
                let n = st.patients.len() as u64;
                let h = st.hit(MANY_PATIENTS, r, day);
                h.peak = h.peak.max(n);
            }
        }
        if r.operation.is_output() {
            st.outputs += 1;
            let n = st.outputs;
            if n >= cfg.outputs_per_hour.max(1) as u64 {
                let first = !st.output_fired;
                st.output_fired = true;
                let h = st.hit(MASS_OUTPUT, r, day);
                if !first {
                    // One hit per hour counts; later outputs only raise the peak.
                    h.count -= 1;
                }
                h.peak = h.peak.max(n);
                sample(h, patient);
            }
        }
        if st.many_fired
            && let Some(h) = st
                .hits
                .iter_mut()
                .rev()
                .find(|h| h.rule == MANY_PATIENTS && h.day == day)
        {
            // Distinct patients beyond the threshold raise the peak (a lower bound past the
            // cap).
            h.peak = h.peak.max(st.patients.len() as u64);
        }
    }

    /// The findings, one per (rule, account, JST day), ordered by key.
    pub fn finish(self) -> Vec<NewFinding> {
        let mut out = Vec::new();
        let cfg = &self.config;
        for (sys, users) in &self.users {
            for (user, st) in users {
                let info = self.accounts.get(sys).and_then(|m| m.get(user));
                for h in &st.hits {
                    out.push(build(cfg, st, info, h));
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }
}

/// Runs the monitor over `records` (in time order) and returns its findings.
pub fn findings<'a>(
    records: impl IntoIterator<Item = AccessRecord<'a>>,
    config: Config,
    reference: &Reference<'_>,
) -> Vec<NewFinding> {
    let mut m = Monitor::new(config, reference);
    for r in records {
        m.feed(&r);
    }
    m.finish()
}

fn build(cfg: &Config, st: &UserState, info: Option<&AccountInfo>, h: &Hit) -> NewFinding {
    let subject = account_subject(&st.system, &st.user);
    let date = day_date(h.day).map_or_else(|| h.day.to_string(), |d| d.to_string());
    let key = format!("{}/{subject}/{date}", h.rule);
    let who = match info.and_then(|i| i.name.as_deref()) {
        Some(n) => format!("「{}」のアカウント「{}」（{n}）", st.system, st.user),
        None => format!("「{}」のアカウント「{}」", st.system, st.user),
    };
    let span = if h.count == 1 {
        format!("{}に", jst_time(h.first_us))
    } else {
        format!(
            "{}から{}までに{}件",
            jst_time(h.first_us),
            jst_time(h.last_us),
            h.count
        )
    };
    let samples = if h.samples.is_empty() {
        String::new()
    } else {
        format!("（{}）", h.samples.join("、"))
    };
    let (severity, title, message, items): (Severity, String, String, &[&str]) = match h.rule {
        RETIRED => {
            let retired = info
                .and_then(|i| i.retired)
                .map_or_else(String::new, |d| d.to_string());
            (
                if h.escalated {
                    Severity::Critical
                } else {
                    Severity::High
                },
                "退職者のアカウントによるアクセス".to_owned(),
                format!(
                    "{who}は職員番号 {} の職員（{retired}退職）のものですが、退職後の{span}アクセスの記録があります{samples}。{}直ちにアカウントを無効化し、誰が使ったかを確認してください。",
                    info.and_then(|i| i.staff_id.as_deref()).unwrap_or("-"),
                    if h.escalated {
                        ""
                    } else {
                        "（いずれも失敗）"
                    }
                ),
                &[ITEM_ACCESS_LOGS, ITEM_UNNEEDED_ACCOUNTS],
            )
        }
        DISABLED => (
            Severity::High,
            "無効なアカウントによるアクセス".to_owned(),
            format!(
                "{who}はアカウント一覧で無効になっていますが、{span}アクセスの記録があります{samples}。システム側で本当に無効化されているか確認してください。"
            ),
            &[ITEM_ACCESS_LOGS, ITEM_UNNEEDED_ACCOUNTS],
        ),
        UNKNOWN_ACCOUNT => (
            if h.escalated {
                Severity::High
            } else {
                Severity::Medium
            },
            "アカウント一覧にないアカウントによるアクセス".to_owned(),
            format!(
                "{who}はアカウント一覧にありませんが、{span}アクセスの記録があります{samples}。一覧の漏れか、管理されていないアカウントかを確認してください。"
            ),
            &[ITEM_ACCESS_LOGS, ITEM_UNNEEDED_ACCOUNTS],
        ),
        OUTSIDE_HOURS => (
            if h.escalated {
                Severity::Medium
            } else {
                Severity::Low
            },
            "業務時間外のアクセス".to_owned(),
            format!(
                "{who}が業務時間外の{span}アクセスしています{samples}。当直・時間外勤務の記録と照合してください。"
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        MANY_PATIENTS => (
            if h.peak > 3 * cfg.patients_per_hour as u64 {
                Severity::High
            } else {
                Severity::Medium
            },
            "1時間に多数の患者の記録を参照".to_owned(),
            format!(
                "{who}が{}に、1時間で{}人を超える患者の記録にアクセスしています（{}時間帯、最大{}人以上）。診療上の必要があったか確認してください。",
                date, cfg.patients_per_hour, h.count, h.peak
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        FAILED_LOGINS => (
            if h.escalated {
                Severity::High
            } else {
                Severity::Medium
            },
            "ログイン失敗の連続".to_owned(),
            format!(
                "{who}で{}秒以内に{}回以上のログイン失敗が{span}ありました{samples}。{}",
                cfg.failed_window_secs,
                cfg.failed_logins,
                if h.escalated {
                    "その直後にログインに成功しています。パスワードの推測による不正ログインの可能性があるため、本人に確認してください。"
                } else {
                    "パスワードの推測の可能性があります。本人に確認してください。"
                }
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        VIP_PATIENT => (
            Severity::Medium,
            "VIP 患者の記録へのアクセス".to_owned(),
            format!(
                "{who}が VIP として登録された患者の記録に{span}アクセスしています{samples}。診療上の必要があったか確認してください。"
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        STAFF_PATIENT => (
            if h.escalated {
                Severity::High
            } else {
                Severity::Medium
            },
            "職員である患者の記録へのアクセス".to_owned(),
            format!(
                "{who}が職員である患者の記録に{span}アクセスしています{samples}。{}",
                if h.escalated {
                    "本人自身の記録へのアクセスを含みます。院内規程に沿った手続きか確認してください。"
                } else {
                    "診療上の必要があったか確認してください。"
                }
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        MASS_OUTPUT => (
            Severity::High,
            "大量の印刷・出力".to_owned(),
            format!(
                "{who}が{date}に、1時間で{}件以上の印刷・出力を行っています（{}時間帯、最大{}件）{samples}。持ち出しの目的と承認を確認してください。",
                cfg.outputs_per_hour, h.count, h.peak
            ),
            &[ITEM_ACCESS_LOGS],
        ),
        _ => (
            Severity::Medium,
            "登録されていない端末からのアクセス".to_owned(),
            format!(
                "{who}が登録されていない端末から{span}アクセスしています{samples}。端末を資産台帳に登録するか、持ち込み端末でないか確認してください。"
            ),
            &[ITEM_ACCESS_LOGS],
        ),
    };
    let mut evidence = BTreeMap::new();
    evidence.insert("system", json!(st.system));
    evidence.insert("user", json!(st.user));
    evidence.insert("date", json!(date));
    evidence.insert("count", json!(h.count));
    evidence.insert("first", json!(jst_time(h.first_us)));
    evidence.insert("last", json!(jst_time(h.last_us)));
    evidence.insert("first_seq", json!(h.first_seq));
    evidence.insert("last_seq", json!(h.last_seq));
    if !h.samples.is_empty() {
        evidence.insert("samples", json!(h.samples));
    }
    if h.peak > 0 {
        evidence.insert("peak", json!(h.peak));
    }
    NewFinding {
        key,
        rule: h.rule.to_owned(),
        subject,
        severity,
        title: format!("{}「{}」: {title}（{date}）", st.system, st.user),
        message,
        checklist: items.iter().map(|s| (*s).to_owned()).collect(),
        evidence: json!(evidence),
        due_hint: None,
    }
}

/// Days into a month during which the month before last still counts as "the last
/// reviewed month": the review of a month happens early in the next one.
pub const REVIEW_GRACE_DAYS: i8 = 15;

/// 2-(6) アクセスログを管理している (`access_logs_ingested`), from the monthly 監査 reports.
///
/// はい when the last complete month has events stored **and** a signed report — or, in
/// the first [`REVIEW_GRACE_DAYS`] days of a month (before the review of the month that just
/// ended can reasonably be done), when the month before it has one. Keeping logs is not
/// enough for 2-(6): they have to be looked at, and the signed report is the record that
/// somebody responsible did. One month rather than three, because the checklist is answered
/// about the present state; an older gap shows in the list of reports, not in this answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogsReviewed {
    /// Months (`YYYY-MM`) with a signed report.
    pub signed_months: Vec<String>,
    /// Events stored for the last complete month.
    pub events_last_month: u64,
    /// Events stored at all.
    pub events_total: u64,
    pub today: Date,
}

fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

impl AccessLogsReviewed {
    /// The month whose signed report is needed today, and the one before it (accepted in
    /// the grace days).
    pub fn months_due(today: Date) -> (String, Option<String>) {
        let first = today.first_of_month();
        let last = first.yesterday().unwrap_or(first);
        let before = last.first_of_month().yesterday().ok();
        let grace = today.day() <= REVIEW_GRACE_DAYS;
        (month_key(last), before.filter(|_| grace).map(month_key))
    }
}

impl anzen_catalog::evidence::EvidenceRule for AccessLogsReviewed {
    fn key(&self) -> &str {
        anzen_catalog::evidence::ACCESS_LOGS_INGESTED
    }

    fn evaluate(
        &self,
        _item: &anzen_catalog::Item,
        _facts: &anzen_catalog::evidence::Facts,
    ) -> anzen_catalog::evidence::AutoAnswer {
        use anzen_catalog::evidence::{AutoAnswer, Suggestion};
        let (last, before) = Self::months_due(self.today);
        if self.events_total == 0 {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec![
                    "アクセスログが取り込まれていません（ファイル取り込み・監視フォルダ・syslog 受信のいずれかで保管してください）。"
                        .to_owned(),
                ],
            };
        }
        let mut reasons = Vec::new();
        let mut yes = true;
        if self.events_last_month == 0 {
            yes = false;
            reasons.push(format!("{last} のアクセスログが保管されていません。"));
        } else {
            reasons.push(format!(
                "{last} のアクセスログを{}件保管しています。",
                self.events_last_month
            ));
        }
        let signed = |m: &str| self.signed_months.iter().any(|s| s == m);
        if signed(&last) {
            reasons.push(format!(
                "{last} の月次監査報告は安全管理責任者が確認済みです。"
            ));
        } else if let Some(b) = before.filter(|b| signed(b)) {
            reasons.push(format!(
                "{b} の月次監査報告は確認済みです（{last} 分は毎月{REVIEW_GRACE_DAYS}日までに確認してください）。"
            ));
        } else {
            yes = false;
            reasons.push(format!(
                "{last} の月次監査報告が安全管理責任者によって確認されていません。"
            ));
        }
        AutoAnswer {
            suggestion: if yes { Suggestion::Yes } else { Suggestion::No },
            reasons_ja: reasons,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `2025-04-07 HH:MM` JST (a Monday) plus `day_offset` days, as UTC microseconds.
    fn t(day_offset: i64, hh: i64, mm: i64) -> i64 {
        let base = "2025-04-07T00:00:00+09:00"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond();
        base + ((day_offset * 24 + hh) * 60 + mm) * 60 * US_PER_SEC
    }

    fn rec<'a>(
        time_us: i64,
        user: &'a str,
        op: Operation,
        patient: Option<&'a str>,
    ) -> AccessRecord<'a> {
        AccessRecord {
            seq: time_us / US_PER_SEC,
            time_us,
            system: "電子カルテ",
            user,
            patient,
            operation: op,
            success: Some(true),
            terminal: Some("PC-01"),
        }
    }

    fn account(id: &str, staff: Option<&str>, enabled: bool) -> Account {
        Account {
            system: "電子カルテ".into(),
            account_id: id.into(),
            name: None,
            staff_id: staff.map(str::to_owned),
            role: "医師".into(),
            enabled,
            last_login: None,
            mfa: None,
            password_changed: None,
        }
    }

    fn staff(id: &str, name: &str, retired: Option<Date>) -> Staff {
        Staff {
            staff_id: id.into(),
            name: name.into(),
            job: "医師".into(),
            department: None,
            hired: None,
            retired,
        }
    }

    struct World {
        accounts: Vec<Account>,
        staff: Vec<Staff>,
        vip: Vec<String>,
        staff_patients: Vec<StaffPatient>,
        terminals: Vec<String>,
    }

    fn world() -> World {
        World {
            accounts: vec![
                account("tanaka", Some("100"), true),
                account("sato", Some("200"), true),
                account("old", Some("300"), true),
                account("off", Some("400"), false),
            ],
            staff: vec![
                staff("100", "田中 花子", None),
                staff("200", "佐藤 一郎", None),
                staff("300", "山田 太郎", Some(Date::constant(2025, 3, 31))),
                staff("400", "鈴木 次郎", None),
            ],
            vip: vec!["P-VIP".into()],
            staff_patients: vec![
                StaffPatient {
                    patient: "P-100".into(),
                    staff_id: "100".into(),
                },
                StaffPatient {
                    patient: "P-200".into(),
                    staff_id: "200".into(),
                },
            ],
            terminals: vec!["pc-01".into(), "PC-02".into()],
        }
    }

    fn run(records: &[AccessRecord<'_>], config: Config) -> Vec<NewFinding> {
        let w = world();
        let reference = Reference {
            accounts: &w.accounts,
            staff: &w.staff,
            accounts_as_of: Some(Date::constant(2025, 4, 1)),
            vip_patients: &w.vip,
            staff_patients: &w.staff_patients,
            terminals: &w.terminals,
        };
        findings(records.iter().copied(), config, &reference)
    }

    fn rules(f: &[NewFinding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    fn only<'f>(f: &'f [NewFinding], rule: &str) -> Vec<&'f NewFinding> {
        f.iter().filter(|f| f.rule == rule).collect()
    }

    #[test]
    fn ordinary_day_has_no_findings() {
        let mut rs = Vec::new();
        for i in 0..20 {
            rs.push(rec(t(0, 9, i), "tanaka", Operation::View, Some("P1")));
        }
        rs.push(rec(t(0, 10, 0), "sato", Operation::Login, None));
        rs.push(rec(t(0, 10, 1), "sato", Operation::Print, Some("P2")));
        let f = run(&rs, Config::default());
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn retired_staff_access_is_critical_only_after_the_last_day() {
        // 2025-03-31 is the last day: that day is fine, 4-07 is not.
        let on_last_day = "2025-03-31T10:00:00+09:00"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond();
        let f = run(
            &[rec(on_last_day, "old", Operation::View, Some("P1"))],
            Config::default(),
        );
        assert!(only(&f, RETIRED).is_empty(), "{f:#?}");
        let f = run(
            &[
                rec(t(0, 10, 0), "old", Operation::Login, None),
                rec(t(0, 10, 5), "old", Operation::View, Some("P1")),
                rec(t(0, 10, 6), "old", Operation::View, Some("P2")),
            ],
            Config::default(),
        );
        let r = only(&f, RETIRED);
        assert_eq!(r.len(), 1, "{f:#?}");
        let r = r[0];
        assert_eq!(r.severity, Severity::Critical);
        assert_eq!(r.subject, "account:電子カルテ/old");
        assert_eq!(r.key, "access.retired/account:電子カルテ/old/2025-04-07");
        assert_eq!(r.checklist, ["2-(6)", "2-(5)"]);
        assert!(r.message.contains("山田 太郎"), "{}", r.message);
        assert!(r.message.contains("2025-03-31退職"), "{}", r.message);
        assert!(r.message.contains("3件"), "{}", r.message);
        assert_eq!(r.evidence["count"], 3);
        assert_eq!(r.evidence["first"], "2025-04-07 10:00:00");
        assert_eq!(r.evidence["last"], "2025-04-07 10:06:00");
        assert_eq!(r.evidence["samples"], json!(["P1", "P2"]));
        // Only failed attempts: still reported, as high.
        let mut a = rec(t(0, 10, 0), "old", Operation::LoginFailed, None);
        a.success = Some(false);
        let f = run(&[a], Config::default());
        assert_eq!(rules(&f), [RETIRED]);
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("いずれも失敗"), "{}", f[0].message);
    }

    #[test]
    fn disabled_and_unknown_accounts_only_from_the_snapshot_date() {
        let before = "2025-03-20T10:00:00+09:00"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond();
        let f = run(
            &[
                rec(before, "off", Operation::View, Some("P1")),
                rec(before, "ghost", Operation::View, Some("P1")),
            ],
            Config::default(),
        );
        assert!(f.is_empty(), "{f:#?}");
        let f = run(
            &[
                rec(t(0, 10, 0), "off", Operation::Login, None),
                rec(t(0, 10, 0), "ghost", Operation::View, Some("P1")),
                rec(t(0, 10, 1), "ghost2", Operation::Login, None),
            ],
            Config::default(),
        );
        assert_eq!(
            rules(&f),
            [DISABLED, UNKNOWN_ACCOUNT, UNKNOWN_ACCOUNT],
            "{f:#?}"
        );
        assert_eq!(f[0].severity, Severity::High);
        // With patient records: high; a bare sign-in: medium.
        assert_eq!(f[1].severity, Severity::High);
        assert_eq!(f[1].subject, "account:電子カルテ/ghost");
        assert_eq!(f[2].severity, Severity::Medium);
        // Refused attempts: the system did its job.
        let mut a = rec(t(0, 10, 0), "off", Operation::Login, None);
        a.success = Some(false);
        let mut b = rec(t(0, 10, 0), "typo", Operation::LoginFailed, None);
        b.success = Some(false);
        assert!(run(&[a, b], Config::default()).is_empty());
        let w = world();
        let reference = Reference {
            accounts: &w.accounts,
            accounts_as_of: Some(Date::constant(2025, 4, 1)),
            ..Reference::default()
        };
        let mut m = Monitor::new(Config::default(), &reference);
        let names: Vec<String> = (0..1000).map(|i| format!("guess{i}")).collect();
        for n in &names {
            let mut r = rec(t(0, 10, 0), n, Operation::LoginFailed, None);
            r.success = Some(false);
            m.feed(&r);
        }
        assert_eq!(m.events(), 1000);
        assert!(
            m.users.values().all(HashMap::is_empty),
            "no state for guessed names"
        );
        // A system without an account list is not judged.
        let mut r = rec(t(0, 10, 0), "ghost", Operation::View, Some("P1"));
        r.system = "PACS";
        assert!(only(&run(&[r], Config::default()), UNKNOWN_ACCOUNT).is_empty());
    }

    #[test]
    fn outside_hours_by_weekday_time_and_closed_days() {
        let cfg = Config::default();
        // Monday 06:59 and 21:00 are outside, 07:00 and 20:59 inside; Sunday is closed.
        let f = run(
            &[
                rec(t(0, 6, 59), "tanaka", Operation::View, Some("P1")),
                rec(t(0, 7, 0), "tanaka", Operation::View, Some("P1")),
                rec(t(0, 20, 59), "tanaka", Operation::View, Some("P1")),
                rec(t(0, 21, 0), "tanaka", Operation::Login, None),
                rec(t(6, 12, 0), "sato", Operation::Login, None),
            ],
            cfg.clone(),
        );
        let o = only(&f, OUTSIDE_HOURS);
        assert_eq!(o.len(), 2, "{f:#?}");
        let tanaka = o.iter().find(|f| f.subject.ends_with("tanaka")).unwrap();
        assert_eq!(tanaka.evidence["count"], 2);
        assert_eq!(tanaka.severity, Severity::Medium, "patient records");
        let sato = o.iter().find(|f| f.subject.ends_with("sato")).unwrap();
        assert_eq!(sato.severity, Severity::Low);
        assert!(sato.key.ends_with("2025-04-13"));

        // A system open around the clock, and a holiday.
        let mut cfg = Config::default();
        cfg.always_open.push("電子カルテ".into());
        assert!(
            only(
                &run(&[rec(t(0, 3, 0), "tanaka", Operation::View, None)], cfg),
                OUTSIDE_HOURS
            )
            .is_empty()
        );
        let mut cfg = Config::default();
        cfg.closed_days.push(Date::constant(2025, 4, 7));
        assert_eq!(
            only(
                &run(&[rec(t(0, 12, 0), "tanaka", Operation::View, None)], cfg),
                OUTSIDE_HOURS
            )
            .len(),
            1
        );
        // Overnight hours for one system: 22:00–06:00 Monday night.
        let mut cfg = Config::default();
        cfg.hours.push(Hours {
            system: "電子カルテ".into(),
            days: [true, false, false, false, false, false, false],
            start_minute: 22 * 60,
            end_minute: 6 * 60,
        });
        let f = run(
            &[
                rec(t(0, 23, 0), "tanaka", Operation::View, None),
                rec(t(1, 5, 0), "tanaka", Operation::View, None),
                rec(t(1, 12, 0), "sato", Operation::View, None),
            ],
            cfg,
        );
        assert_eq!(rules(&f), [OUTSIDE_HOURS], "{f:#?}");
        assert!(f[0].subject.ends_with("sato"));
        // Several entries add up: weekdays 08:30–17:30 and Saturday 08:30–12:30.
        let cfg = Config {
            hours: vec![
                Hours {
                    system: "*".into(),
                    days: [true, true, true, true, true, false, false],
                    start_minute: 510,
                    end_minute: 1050,
                },
                Hours {
                    system: "*".into(),
                    days: [false, false, false, false, false, true, false],
                    start_minute: 510,
                    end_minute: 750,
                },
            ],
            ..Config::default()
        };
        let f = run(
            &[
                rec(t(0, 17, 0), "tanaka", Operation::View, None),
                rec(t(5, 12, 0), "tanaka", Operation::View, None),
                rec(t(5, 13, 0), "sato", Operation::View, None),
            ],
            cfg,
        );
        assert_eq!(rules(&f), [OUTSIDE_HOURS], "{f:#?}");
        assert!(f[0].subject.ends_with("sato"));
        // Failed attempts are not accesses.
        let mut r = rec(t(0, 23, 0), "tanaka", Operation::View, None);
        r.success = Some(false);
        assert!(run(&[r], Config::default()).is_empty());
    }

    fn patients(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("P{i:04}")).collect()
    }

    #[test]
    fn many_distinct_patients_in_one_hour() {
        let ps = patients(95);
        // 30 distinct (many times each) is fine.
        let mut rs: Vec<AccessRecord<'_>> = Vec::new();
        for rep in 0..3 {
            for (i, p) in ps.iter().take(30).enumerate() {
                rs.push(rec(
                    t(0, 9, (rep * 30 + i as i64) % 60),
                    "tanaka",
                    Operation::View,
                    Some(p),
                ));
            }
        }
        rs.sort_by_key(|r| r.time_us);
        assert!(run(&rs, Config::default()).is_empty());
        // 31 in one hour fires; 31 spread over two hours does not.
        let mut rs = Vec::new();
        for (i, p) in ps.iter().take(31).enumerate() {
            rs.push(rec(
                t(0, 9, 0) + i as i64 * US_PER_SEC,
                "tanaka",
                Operation::View,
                Some(p),
            ));
        }
        let f = run(&rs, Config::default());
        let m = only(&f, MANY_PATIENTS);
        assert_eq!(m.len(), 1, "{f:#?}");
        assert_eq!(m[0].severity, Severity::Medium);
        assert_eq!(m[0].evidence["peak"], 31);
        let mut rs = Vec::new();
        for (i, p) in ps.iter().take(31).enumerate() {
            rs.push(rec(
                t(0, 9, 45) + i as i64 * 60 * US_PER_SEC,
                "tanaka",
                Operation::View,
                Some(p),
            ));
        }
        assert!(only(&run(&rs, Config::default()), MANY_PATIENTS).is_empty());
        // Over three times the threshold is high; two hours that fire make one finding.
        let mut rs = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            rs.push(rec(
                t(0, 9, 0) + i as i64 * US_PER_SEC,
                "tanaka",
                Operation::View,
                Some(p),
            ));
        }
        for (i, p) in ps.iter().take(40).enumerate() {
            rs.push(rec(
                t(0, 11, 0) + i as i64 * US_PER_SEC,
                "tanaka",
                Operation::View,
                Some(p),
            ));
        }
        let f = run(&rs, Config::default());
        let m = only(&f, MANY_PATIENTS);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].severity, Severity::High);
        assert_eq!(m[0].evidence["count"], 2);
        assert_eq!(m[0].evidence["peak"], 91);
    }

    #[test]
    fn failed_sign_in_bursts() {
        let fail = |at: i64| {
            let mut r = rec(at, "tanaka", Operation::LoginFailed, None);
            r.success = Some(false);
            r
        };
        // Four failures: nothing. Five within ten minutes: medium.
        let four: Vec<_> = (0..4).map(|i| fail(t(0, 9, i))).collect();
        assert!(run(&four, Config::default()).is_empty());
        let five: Vec<_> = (0..5).map(|i| fail(t(0, 9, i * 2))).collect();
        let f = run(&five, Config::default());
        assert_eq!(rules(&f), [FAILED_LOGINS]);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].evidence["peak"], 5);
        // Five spread over more than ten minutes: nothing.
        let slow: Vec<_> = (0..5).map(|i| fail(t(0, 9, i * 3))).collect();
        assert!(run(&slow, Config::default()).is_empty());
        // `login` with 結果 失敗 counts too; a success right after the burst is high.
        let mut rs: Vec<_> = (0..5)
            .map(|i| {
                let mut r = rec(t(0, 9, i), "tanaka", Operation::Login, None);
                r.success = Some(false);
                r
            })
            .collect();
        rs.push(rec(t(0, 9, 6), "tanaka", Operation::Login, None));
        let f = run(&rs, Config::default());
        assert_eq!(rules(&f), [FAILED_LOGINS]);
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("ログインに成功"), "{}", f[0].message);
    }

    #[test]
    fn vip_and_staff_patients() {
        let f = run(
            &[
                rec(t(0, 9, 0), "tanaka", Operation::View, Some("P-VIP")),
                rec(t(0, 9, 1), "tanaka", Operation::View, Some("P-200")),
                rec(t(0, 9, 2), "sato", Operation::View, Some("P-200")),
                rec(t(0, 9, 3), "sato", Operation::View, Some("P-9")),
            ],
            Config::default(),
        );
        assert_eq!(
            rules(&f),
            [STAFF_PATIENT, STAFF_PATIENT, VIP_PATIENT],
            "{f:#?}"
        );
        let sato = f.iter().find(|f| f.subject.ends_with("sato")).unwrap();
        assert_eq!(sato.severity, Severity::High, "own record");
        assert!(sato.message.contains("本人自身"));
        let tanaka = f
            .iter()
            .find(|f| f.rule == STAFF_PATIENT && f.subject.ends_with("tanaka"))
            .unwrap();
        assert_eq!(tanaka.severity, Severity::Medium);
        assert_eq!(f[2].evidence["samples"], json!(["P-VIP"]));
    }

    #[test]
    fn mass_print_and_export() {
        let ps = patients(150);
        let out = |n: usize, step_secs: i64| {
            (0..n)
                .map(|i| {
                    let op = if i % 2 == 0 {
                        Operation::Print
                    } else {
                        Operation::Export
                    };
                    rec(
                        t(0, 10, 0) + i as i64 * step_secs * US_PER_SEC,
                        "sato",
                        op,
                        Some(ps[i % 5].as_str()),
                    )
                })
                .collect::<Vec<_>>()
        };
        // 99 in an hour: fine (the patients are few, so no other rule fires).
        assert!(run(&out(99, 10), Config::default()).is_empty());
        let f = run(&out(150, 10), Config::default());
        assert_eq!(rules(&f), [MASS_OUTPUT]);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].evidence["count"], 1);
        assert_eq!(f[0].evidence["peak"], 150);
        // 150 over three hours (50 an hour): fine.
        assert!(run(&out(150, 72), Config::default()).is_empty());
    }

    #[test]
    fn unregistered_terminals() {
        let mut a = rec(t(0, 9, 0), "tanaka", Operation::View, None);
        a.terminal = Some("pc-02");
        let mut b = rec(t(0, 9, 1), "tanaka", Operation::View, None);
        b.terminal = Some("USB-LAPTOP");
        let mut c = rec(t(0, 9, 2), "tanaka", Operation::View, None);
        c.terminal = None;
        let f = run(&[a, b, c], Config::default());
        assert_eq!(rules(&f), [UNREGISTERED_TERMINAL]);
        assert_eq!(f[0].evidence["samples"], json!(["USB-LAPTOP"]));
        assert_eq!(f[0].evidence["count"], 1);
        // No terminal list: not checked.
        let w = world();
        let reference = Reference {
            accounts: &w.accounts,
            staff: &w.staff,
            ..Reference::default()
        };
        assert!(findings([b], Config::default(), &reference).is_empty());
    }

    #[test]
    fn one_finding_per_rule_account_and_day_with_unique_keys() {
        let mut rs = Vec::new();
        for d in 0..3 {
            for m in 0..10 {
                rs.push(rec(t(d, 22, m), "tanaka", Operation::View, None));
                rs.push(rec(t(d, 22, m), "sato", Operation::View, None));
            }
        }
        let f = run(&rs, Config::default());
        assert_eq!(f.len(), 6);
        let keys: HashSet<&str> = f.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys.len(), 6);
        assert!(f.iter().all(|f| f.evidence["count"] == 10));
        // Reconciling the same run twice changes nothing.
        let recorded: Vec<_> = f
            .iter()
            .enumerate()
            .map(|(i, n)| crate::finding::Recorded {
                id: i as i64,
                key: n.key.clone(),
                open: true,
                fingerprint: n.fingerprint(),
            })
            .collect();
        let again = run(&rs, Config::default());
        assert_eq!(crate::finding::reconcile(&recorded, &again).unchanged, 6);
    }

    #[test]
    fn names_are_matched_ignoring_case_and_width() {
        let mut r = rec(t(0, 10, 0), "ＯＬＤ", Operation::View, None);
        r.system = " 電子カルテ ";
        let f = run(&[r], Config::default());
        assert_eq!(rules(&f), [RETIRED]);
        assert_eq!(
            Operation::parse("login_failed"),
            Some(Operation::LoginFailed)
        );
        assert!(
            Operation::ALL
                .iter()
                .all(|o| Operation::parse(o.code()) == Some(*o))
        );
    }

    #[test]
    fn evidence_needs_the_last_month_signed() {
        use anzen_catalog::evidence::{EvidenceRule, Facts, Suggestion};
        let item = anzen_catalog::Catalog::builtin()
            .unwrap()
            .editions()
            .iter()
            .flat_map(|e| e.items.iter())
            .next()
            .unwrap()
            .clone();
        let rule = |months: &[&str], events: u64, today: Date| AccessLogsReviewed {
            signed_months: months.iter().map(|m| (*m).to_owned()).collect(),
            events_last_month: events,
            events_total: events + 1,
            today,
        };
        let f = Facts::default();
        let r = rule(&["2025-04"], 10, Date::constant(2025, 5, 20)).evaluate(&item, &f);
        assert_eq!(r.suggestion, Suggestion::Yes, "{r:?}");
        // Late in May with April unsigned: no, even with March signed.
        let r = rule(&["2025-03"], 10, Date::constant(2025, 5, 20)).evaluate(&item, &f);
        assert_eq!(r.suggestion, Suggestion::No);
        assert!(r.reasons_ja[1].contains("2025-04"), "{r:?}");
        // Early in May, March signed still counts.
        let r = rule(&["2025-03"], 10, Date::constant(2025, 5, 3)).evaluate(&item, &f);
        assert_eq!(r.suggestion, Suggestion::Yes, "{r:?}");
        // Signed but nothing stored last month; nothing stored at all.
        let r = rule(&["2025-04"], 0, Date::constant(2025, 5, 20)).evaluate(&item, &f);
        assert_eq!(r.suggestion, Suggestion::No);
        let mut none = rule(&[], 0, Date::constant(2025, 5, 20));
        none.events_total = 0;
        assert_eq!(none.evaluate(&item, &f).suggestion, Suggestion::No);
        // January: the month due is the previous December.
        assert_eq!(
            AccessLogsReviewed::months_due(Date::constant(2026, 1, 5)),
            ("2025-12".to_owned(), Some("2025-11".to_owned()))
        );
    }
}
