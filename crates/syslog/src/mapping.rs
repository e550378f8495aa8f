//! 送信元ごとの対応付け — per-source mapping from a parsed syslog message to an access-log
//! event (the アクセスログ template's fields), and the reasons a message goes to quarantine.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use anzen_ingest::{AccessAction, AccessEvent, AccessResult, Choice};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::parse::{Message, ParseError};

/// A field of the アクセスログ template, as a mapping target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventField {
    /// 日時
    Time,
    /// システム
    System,
    /// アカウントID
    User,
    /// 患者ID
    Patient,
    /// 操作
    Action,
    /// 結果
    Result,
    /// 端末
    Terminal,
    /// 詳細
    Detail,
}

impl EventField {
    /// The template's Japanese column name.
    pub fn label_ja(self) -> &'static str {
        match self {
            EventField::Time => "日時",
            EventField::System => "システム",
            EventField::User => "アカウントID",
            EventField::Patient => "患者ID",
            EventField::Action => "操作",
            EventField::Result => "結果",
            EventField::Terminal => "端末",
            EventField::Detail => "詳細",
        }
    }

    /// The template's English alias (also the default key looked up).
    pub fn en(self) -> &'static str {
        match self {
            EventField::Time => "time",
            EventField::System => "system",
            EventField::User => "user",
            EventField::Patient => "patient",
            EventField::Action => "action",
            EventField::Result => "result",
            EventField::Terminal => "terminal",
            EventField::Detail => "detail",
        }
    }
}

/// Why a received message was put in quarantine (隔離) instead of becoming an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not a syslog message (see [`ParseError`]).
    Parse(ParseError),
    /// Longer than the configured maximum message size.
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection closed in the middle of an octet-counted frame.
    Truncated {
        /// The announced length.
        expected: usize,
        /// Bytes received.
        received: usize,
    },
    /// An octet-counting prefix that is not a length (`MSG-LEN SP`).
    BadFrame,
    /// No configured source matches the sender.
    NoSource,
    /// A required template field has no value.
    Missing {
        /// The field.
        field: EventField,
        /// The source whose mapping was used.
        source: Arc<str>,
    },
    /// A value that cannot be read as the field (e.g. an unknown 操作).
    BadValue {
        /// The field.
        field: EventField,
        /// The value as received.
        value: String,
    },
    /// MSG is not in the source's encoding.
    BadEncoding {
        /// The encoding expected.
        encoding: &'static str,
    },
}

/// Every [`Reason::code`], in a fixed order (for counters).
pub const REASON_CODES: [&str; 13] = [
    "empty",
    "bad_pri",
    "bad_version",
    "bad_header",
    "bad_timestamp",
    "bad_structured_data",
    "too_long",
    "truncated",
    "bad_frame",
    "no_source",
    "missing_field",
    "bad_value",
    "bad_encoding",
];

impl Reason {
    /// A short machine-readable code, one of [`REASON_CODES`].
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Parse(e) => e.code(),
            Reason::TooLong { .. } => "too_long",
            Reason::Truncated { .. } => "truncated",
            Reason::BadFrame => "bad_frame",
            Reason::NoSource => "no_source",
            Reason::Missing { .. } => "missing_field",
            Reason::BadValue { .. } => "bad_value",
            Reason::BadEncoding { .. } => "bad_encoding",
        }
    }

    /// The index of [`Reason::code`] in [`REASON_CODES`].
    pub fn index(&self) -> usize {
        let code = self.code();
        REASON_CODES
            .iter()
            .position(|c| *c == code)
            .unwrap_or(REASON_CODES.len() - 1)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Parse(e) => e.fmt(f),
            Reason::TooLong { limit } => write!(
                f,
                "メッセージが最大長（{limit} バイト）を超えています。先頭 {limit} バイトだけを保存しました"
            ),
            Reason::Truncated { expected, received } => write!(
                f,
                "オクテットカウント方式で {expected} バイトと指定されていましたが、{received} バイト受信した時点で接続が切れました"
            ),
            Reason::BadFrame => write!(
                f,
                "オクテットカウント方式の長さ（MSG-LEN）が数値ではありません"
            ),
            Reason::NoSource => write!(
                f,
                "送信元（IP アドレス・APP-NAME・ホスト名）に合う送信元設定がありません"
            ),
            Reason::Missing { field, source } => write!(
                f,
                "送信元設定『{source}』で{}（{}）の値が得られません",
                field.label_ja(),
                field.en()
            ),
            Reason::BadValue { field, value } => match field {
                EventField::Action => write!(
                    f,
                    "操作『{value}』を解釈できません（{} のいずれか、または送信元設定の actions で対応付けてください）",
                    AccessAction::list_ja()
                ),
                EventField::Result => write!(
                    f,
                    "結果『{value}』を解釈できません（{} のいずれか、または送信元設定の results で対応付けてください）",
                    AccessResult::list_ja()
                ),
                EventField::Time => write!(
                    f,
                    "日時『{value}』を読めません（例: 2025-04-01T09:30:00+09:00、2025-04-01 09:30:00）"
                ),
                other => write!(f, "{}『{value}』を読めません", other.label_ja()),
            },
            Reason::BadEncoding { encoding } => write!(
                f,
                "メッセージ本文が {encoding} ではありません（Shift_JIS の機器は送信元設定に encoding = \"cp932\" を指定してください）"
            ),
        }
    }
}

/// One key or several, as written in the TOML (`user = "uid"` or `user = ["uid", "user"]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    /// One key.
    One(String),
    /// Several keys, tried in order.
    Many(Vec<String>),
}

impl Keys {
    fn into_vec(self) -> Vec<String> {
        match self {
            Keys::One(k) => vec![k],
            Keys::Many(v) => v,
        }
    }
}

/// Which SD-PARAM names or MSG keys hold each template field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldKeys {
    /// 日時; default: none — the syslog TIMESTAMP is used (then the time received).
    pub time: Option<Keys>,
    /// システム; default: none — the source's `system`, then APP-NAME.
    pub system: Option<Keys>,
    /// アカウントID; default `user`, `アカウントID`.
    pub user: Option<Keys>,
    /// 患者ID; default `patient`, `患者ID`.
    pub patient: Option<Keys>,
    /// 操作; default `action`, `操作`.
    pub action: Option<Keys>,
    /// 結果; default `result`, `結果`.
    pub result: Option<Keys>,
    /// 端末; default `terminal`, `端末`.
    pub terminal: Option<Keys>,
    /// 詳細; default `detail`, `詳細`.
    pub detail: Option<Keys>,
}

/// One sending system (送信元) as configured: which messages it matches and how its
/// messages map to the template's fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A name for counters and messages, e.g. `電子カルテ`.
    pub name: String,
    /// Sender addresses or networks (`192.168.10.0/24`, `10.0.0.5`, `::1`); empty = any.
    #[serde(default)]
    pub peers: Vec<String>,
    /// APP-NAME (or BSD TAG) values, compared ignoring ASCII case; empty = any.
    #[serde(default)]
    pub app_names: Vec<String>,
    /// HOSTNAME values, compared ignoring ASCII case; empty = any.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// A fixed システム for every event of this source (otherwise APP-NAME).
    pub system: Option<String>,
    /// Read SD-PARAMs only from this SD-ID (e.g. `access@32473`); default: any element.
    pub sd_id: Option<String>,
    /// Read `key=value` pairs from MSG (default true).
    #[serde(default = "yes")]
    pub key_value: bool,
    /// Use the whole MSG as 詳細 when no detail key is present (default false).
    #[serde(default)]
    pub detail_from_msg: bool,
    /// MSG encoding: `utf-8` (default) or a WHATWG label such as `cp932`, `shift_jis`,
    /// `euc-jp`. A MSG with a BOM is always UTF-8.
    pub encoding: Option<String>,
    /// Keys per field.
    #[serde(default)]
    pub fields: FieldKeys,
    /// The sender's own 操作 codes → the template's (`REF = "参照"`).
    #[serde(default)]
    pub actions: BTreeMap<String, String>,
    /// The sender's own 結果 codes → the template's (`0 = "成功"`).
    #[serde(default)]
    pub results: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// A mapping configuration that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A `peers` entry that is neither an address nor a network.
    #[error(
        "送信元設定『{name}』の peers『{value}』は IP アドレスまたはネットワーク（例: 192.168.10.0/24）ではありません"
    )]
    BadPeer {
        /// The source's name.
        name: String,
        /// The value.
        value: String,
    },
    /// An unknown encoding label.
    #[error(
        "送信元設定『{name}』の encoding『{value}』は不明です（utf-8、cp932、shift_jis、euc-jp など）"
    )]
    BadEncoding {
        /// The source's name.
        name: String,
        /// The value.
        value: String,
    },
    /// An `actions` / `results` target that is not a template value.
    #[error(
        "送信元設定『{name}』の {table}『{key}』の値『{value}』はテンプレートの値（{allowed}）ではありません"
    )]
    BadTarget {
        /// The source's name.
        name: String,
        /// `actions` or `results`.
        table: &'static str,
        /// The sender's code.
        key: String,
        /// The target written.
        value: String,
        /// The allowed values.
        allowed: String,
    },
    /// Two sources with one name.
    #[error("送信元設定の名前『{0}』が重複しています")]
    DuplicateName(String),
    /// A blank name.
    #[error("送信元設定に名前（name）がないものがあります")]
    NoName,
}

/// A source, compiled.
#[derive(Debug)]
struct Source {
    name: Arc<str>,
    peers: Vec<IpNet>,
    app_names: Vec<String>,
    hostnames: Vec<String>,
    system: Option<String>,
    sd_id: Option<String>,
    key_value: bool,
    detail_from_msg: bool,
    encoding: Option<&'static encoding_rs::Encoding>,
    keys: [Vec<String>; 8],
    actions: Vec<(String, AccessAction)>,
    results: Vec<(String, AccessResult)>,
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

fn default_keys(field: EventField) -> Vec<String> {
    match field {
        EventField::Time | EventField::System => Vec::new(),
        f => vec![f.en().to_owned(), f.label_ja().to_owned()],
    }
}

const FIELDS: [EventField; 8] = [
    EventField::Time,
    EventField::System,
    EventField::User,
    EventField::Patient,
    EventField::Action,
    EventField::Result,
    EventField::Terminal,
    EventField::Detail,
];

impl Source {
    fn new(c: &SourceConfig) -> Result<Source, ConfigError> {
        let name = c.name.trim();
        if name.is_empty() {
            return Err(ConfigError::NoName);
        }
        let mut peers = Vec::with_capacity(c.peers.len());
        for p in &c.peers {
            let p = p.trim();
            let net = p
                .parse::<IpNet>()
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError::BadPeer {
                    name: name.to_owned(),
                    value: p.to_owned(),
                })?;
            peers.push(net);
        }
        let encoding = match c.encoding.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(label) => {
                // `cp932` (what Windows and Excel call it) is not a WHATWG label.
                let alias = matches!(
                    label.to_ascii_lowercase().as_str(),
                    "cp932" | "shift-jis" | "windows-932"
                );
                let found = if alias {
                    Some(encoding_rs::SHIFT_JIS)
                } else {
                    encoding_rs::Encoding::for_label(label.as_bytes())
                };
                let enc = found.ok_or_else(|| ConfigError::BadEncoding {
                    name: name.to_owned(),
                    value: label.to_owned(),
                })?;
                (enc != encoding_rs::UTF_8).then_some(enc)
            }
        };
        let f = c.fields.clone();
        let given = [
            f.time, f.system, f.user, f.patient, f.action, f.result, f.terminal, f.detail,
        ];
        let mut keys: [Vec<String>; 8] = Default::default();
        for ((slot, given), field) in keys.iter_mut().zip(given).zip(FIELDS) {
            *slot = given.map_or_else(|| default_keys(field), Keys::into_vec);
        }
        let mut actions = Vec::new();
        for (k, v) in &c.actions {
            let a = AccessAction::parse(v).ok_or_else(|| ConfigError::BadTarget {
                name: name.to_owned(),
                table: "actions",
                key: k.clone(),
                value: v.clone(),
                allowed: AccessAction::list_ja(),
            })?;
            actions.push((fold(k), a));
        }
        let mut results = Vec::new();
        for (k, v) in &c.results {
            let r = AccessResult::parse(v).ok_or_else(|| ConfigError::BadTarget {
                name: name.to_owned(),
                table: "results",
                key: k.clone(),
                value: v.clone(),
                allowed: AccessResult::list_ja(),
            })?;
            results.push((fold(k), r));
        }
        Ok(Source {
            name: Arc::from(name),
            peers,
            app_names: c.app_names.iter().map(|s| s.trim().to_owned()).collect(),
            hostnames: c.hostnames.iter().map(|s| s.trim().to_owned()).collect(),
            system: c
                .system
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            sd_id: c.sd_id.clone(),
            key_value: c.key_value,
            detail_from_msg: c.detail_from_msg,
            encoding,
            keys,
            actions,
            results,
        })
    }

    fn matches(&self, peer: IpAddr, m: &Message<'_>) -> bool {
        let peer = peer.to_canonical();
        let eq = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
        };
        (self.peers.is_empty() || self.peers.iter().any(|n| n.contains(&peer)))
            && eq(&self.app_names, m.app_name)
            && eq(&self.hostnames, m.hostname)
    }

    fn keys(&self, f: EventField) -> &[String] {
        let i = FIELDS.iter().position(|x| *x == f).unwrap_or(0);
        self.keys.get(i).map_or(&[], Vec::as_slice)
    }
}

/// An event mapped from a message, with the name of the source whose mapping made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The event, as the file import would have produced it.
    pub event: AccessEvent,
    /// The configured source's name.
    pub source: Arc<str>,
}

/// The compiled mapping: sources tried in order, the first that matches is used.
#[derive(Debug)]
pub struct Mapper {
    sources: Vec<Source>,
}

impl Mapper {
    /// Compiles the sources, checking addresses, encodings and the `actions` / `results`
    /// tables.
    pub fn new(sources: &[SourceConfig]) -> Result<Mapper, ConfigError> {
        let mut out: Vec<Source> = Vec::with_capacity(sources.len());
        for c in sources {
            let s = Source::new(c)?;
            if out.iter().any(|o| o.name == s.name) {
                return Err(ConfigError::DuplicateName(s.name.to_string()));
            }
            out.push(s);
        }
        Ok(Mapper { sources: out })
    }

    /// The source names, in order.
    pub fn source_names(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| s.name.as_ref())
    }

    /// Maps a parsed message from `peer` received at `received_at_us` (UTC microseconds;
    /// used as 日時 only when the message has no timestamp).
    pub fn map(
        &self,
        m: &Message<'_>,
        peer: IpAddr,
        received_at_us: i64,
    ) -> Result<Mapped, Reason> {
        let src = self
            .sources
            .iter()
            .find(|s| s.matches(peer, m))
            .ok_or(Reason::NoSource)?;

        let sd_params = m
            .structured_data
            .elements()
            .filter(|e| src.sd_id.as_deref().is_none_or(|id| e.id == id))
            .flat_map(|e| e.params.iter());

        // MSG is decoded only when something reads it; a failure matters only if a
        // required field then has no value.
        let needs_msg = src.key_value || src.detail_from_msg;
        let text: Option<Cow<'_, str>> = if needs_msg { decode(src, m) } else { None };
        let bad_encoding = needs_msg && text.is_none();
        let pairs: Vec<(&str, Cow<'_, str>)> = match (&text, src.key_value) {
            (Some(t), true) => key_values(t),
            _ => Vec::new(),
        };

        let lookup = |f: EventField| {
            let usable = |v: &str| !v.is_empty() && v != "-";
            for k in src.keys(f) {
                if let Some(v) = sd_params
                    .clone()
                    .find(|p| p.name == k.as_str())
                    .map(|p| p.value.trim())
                    .filter(|v| usable(v))
                {
                    return Some(v);
                }
                if let Some(v) = pairs
                    .iter()
                    .find(|(pk, _)| *pk == k.as_str())
                    .map(|(_, v)| v.trim())
                    .filter(|v| usable(v))
                {
                    return Some(v);
                }
            }
            None
        };
        let missing = |field: EventField| {
            if bad_encoding {
                Reason::BadEncoding {
                    encoding: src.encoding.map_or("UTF-8", |e| e.name()),
                }
            } else {
                Reason::Missing {
                    field,
                    source: src.name.clone(),
                }
            }
        };

        let time_us = match lookup(EventField::Time) {
            Some(v) => read_time(v).ok_or_else(|| Reason::BadValue {
                field: EventField::Time,
                value: v.to_owned(),
            })?,
            None => m.timestamp_us.unwrap_or(received_at_us),
        };
        let system = lookup(EventField::System)
            .or(src.system.as_deref())
            .or(m.app_name)
            .ok_or_else(|| missing(EventField::System))?;
        let user = lookup(EventField::User).ok_or_else(|| missing(EventField::User))?;
        let action_raw = lookup(EventField::Action).ok_or_else(|| missing(EventField::Action))?;
        let action = lookup_code(&src.actions, action_raw)
            .or_else(|| choice(action_raw))
            .ok_or_else(|| Reason::BadValue {
                field: EventField::Action,
                value: action_raw.to_owned(),
            })?;
        let result = match lookup(EventField::Result) {
            None => None,
            Some(v) => Some(
                lookup_code(&src.results, v)
                    .or_else(|| choice(v))
                    .ok_or_else(|| Reason::BadValue {
                        field: EventField::Result,
                        value: v.to_owned(),
                    })?,
            ),
        };
        let detail = lookup(EventField::Detail).or_else(|| {
            src.detail_from_msg
                .then(|| text.as_deref().map(str::trim))
                .flatten()
                .filter(|t| !t.is_empty())
        });
        Ok(Mapped {
            event: AccessEvent {
                time_us,
                system: system.to_owned(),
                user: user.to_owned(),
                patient: lookup(EventField::Patient).map(str::to_owned),
                action,
                result,
                terminal: lookup(EventField::Terminal).map(str::to_owned),
                detail: detail.map(str::to_owned),
            },
            source: src.name.clone(),
        })
    }
}

/// A template value: the exact spellings first (no allocation: this runs for every
/// message), then [`Choice::parse`]'s tolerant comparison (full width, case, spaces).
fn choice<T: Choice>(v: &str) -> Option<T> {
    T::ALL
        .iter()
        .copied()
        .find(|c| c.ja() == v || c.en() == v || c.aliases().contains(&v))
        .or_else(|| T::parse(v))
}

fn lookup_code<T: Copy>(table: &[(String, T)], v: &str) -> Option<T> {
    if table.is_empty() {
        return None;
    }
    let v = fold(v);
    table.iter().find(|(k, _)| *k == v).map(|(_, t)| *t)
}

fn decode<'m>(src: &Source, m: &Message<'m>) -> Option<Cow<'m, str>> {
    match src.encoding {
        Some(enc) if !m.msg_bom => enc.decode_without_bom_handling_and_without_replacement(m.msg),
        _ => std::str::from_utf8(m.msg).ok().map(Cow::Borrowed),
    }
}

/// `key=value` pairs in MSG, separated by whitespace (including the ideographic space);
/// a value may be double-quoted with `\"` and `\\` escapes. Other words are skipped.
pub fn key_values(text: &str) -> Vec<(&str, Cow<'_, str>)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let key_end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at(key_end);
        let Some(after) = after.strip_prefix('=') else {
            rest = after;
            continue;
        };
        if let Some(q) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            let mut it = q.char_indices();
            while let Some((i, c)) = it.next() {
                match c {
                    '\\' => {
                        escaped = true;
                        it.next();
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.unwrap_or(q.len());
            let raw = q.get(..end).unwrap_or_default();
            let value = if escaped {
                let mut s = String::with_capacity(raw.len());
                let mut chars = raw.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    } else {
                        s.push(c);
                    }
                }
                Cow::Owned(s)
            } else {
                Cow::Borrowed(raw)
            };
            if !key.is_empty() {
                out.push((key, value));
            }
            rest = q.get(end + 1..).unwrap_or_default();
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            let (v, tail) = after.split_at(end);
            if !key.is_empty() {
                out.push((key, Cow::Borrowed(v)));
            }
            rest = tail;
        }
    }
    out
}

/// A 日時 value from a message field: RFC 3339, `YYYY-MM-DD[T ]HH:MM:SS[.frac]` (JST, as in
/// the file import), or Unix time in seconds (10 digits) or milliseconds (13 digits).
fn read_time(v: &str) -> Option<i64> {
    let v = v.trim();
    if v.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = v.parse().ok()?;
        return match v.len() {
            10 => n.checked_mul(1_000_000),
            13 => n.checked_mul(1_000),
            _ => None,
        };
    }
    let b = v.as_bytes();
    crate::parse::rfc3339(b).or_else(|| crate::parse::local_jst(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::parse::parse;

    const NOW: i64 = 1_795_305_600_000_000;

    fn us(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    fn cfg(toml_text: &str) -> Mapper {
        #[derive(Deserialize)]
        struct F {
            source: Vec<SourceConfig>,
        }
        let f: F = toml::from_str(toml_text).unwrap();
        Mapper::new(&f.source).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const EMR: &str = r#"
        [[source]]
        name = "電子カルテ"
        peers = ["192.168.10.0/24"]
        system = "電子カルテ"
        sd_id = "access@32473"
        [source.actions]
        REF = "参照"

        [[source]]
        name = "部門"
        app_names = ["lab"]
        detail_from_msg = true
        [source.fields]
        user = ["uid", "user"]
        terminal = "host"
        [source.results]
        "0" = "成功"
        "1" = "失敗"

        [[source]]
        name = "レセコン"
        hostnames = ["rece-sv"]
        encoding = "cp932"
    "#;

    #[test]
    fn structured_data_maps_to_fields() {
        let m = cfg(EMR);
        let raw = r#"<13>1 2025-04-01T09:30:00+09:00 emr-sv emr - - [access@32473 user="u1" patient="P1" action="REF" result="成功" terminal="PC-05" detail="診療録"] x"#;
        let msg = parse(raw.as_bytes(), NOW).unwrap();
        let got = m.map(&msg, ip("192.168.10.7"), NOW).unwrap();
        assert_eq!(got.source.as_ref(), "電子カルテ");
        let e = got.event;
        assert_eq!(e.time_us, us("2025-04-01T00:30:00Z"));
        assert_eq!(e.system, "電子カルテ");
        assert_eq!(e.user, "u1");
        assert_eq!(e.patient.as_deref(), Some("P1"));
        assert_eq!(e.action, AccessAction::View);
        assert_eq!(e.result, Some(AccessResult::Success));
        assert_eq!(e.terminal.as_deref(), Some("PC-05"));
        assert_eq!(e.detail.as_deref(), Some("診療録"));
    }

    #[test]
    fn other_sd_ids_are_ignored_when_one_is_configured() {
        let m = cfg(EMR);
        let raw = r#"<13>1 - h emr - - [other@1 user="x" action="参照"] -"#;
        let msg = parse(raw.as_bytes(), NOW).unwrap();
        let err = m.map(&msg, ip("192.168.10.7"), NOW).unwrap_err();
        assert_eq!(err.code(), "missing_field");
        assert!(err.to_string().contains("アカウントID"), "{err}");
    }

    #[test]
    fn key_values_in_msg_with_app_name_as_system() {
        let m = cfg(EMR);
        let raw = "<13>Nov 22 13:22:37 lab-sv lab: uid=u2 patient=\"P 2\" action=閲覧 result=1 host=PC-9 note".as_bytes();
        let msg = parse(raw, NOW).unwrap();
        let got = m.map(&msg, ip("10.0.0.1"), NOW).unwrap();
        assert_eq!(got.source.as_ref(), "部門");
        let e = got.event;
        assert_eq!(e.system, "lab");
        assert_eq!(e.user, "u2");
        assert_eq!(e.patient.as_deref(), Some("P 2"));
        assert_eq!(e.action, AccessAction::View);
        assert_eq!(e.result, Some(AccessResult::Failure));
        assert_eq!(e.terminal.as_deref(), Some("PC-9"));
        assert_eq!(
            e.detail.as_deref(),
            Some("uid=u2 patient=\"P 2\" action=閲覧 result=1 host=PC-9 note")
        );
        assert_eq!(e.time_us, us("2026-11-22T13:22:37+09:00"));
    }

    #[test]
    fn shift_jis_messages_decode_with_the_source_encoding() {
        let m = cfg(EMR);
        let (body, _, _) = encoding_rs::SHIFT_JIS.encode("user=u3 action=印刷 patient=P3");
        let mut raw = b"<13>Nov 22 13:22:37 rece-sv rece: ".to_vec();
        raw.extend_from_slice(&body);
        let msg = parse(&raw, NOW).unwrap();
        let e = m.map(&msg, ip("10.0.0.2"), NOW).unwrap().event;
        assert_eq!(e.action, AccessAction::Print);
        assert_eq!(e.user, "u3");
        // The same bytes from a UTF-8 source are quarantined as an encoding problem.
        let mut raw = b"<13>Nov 22 13:22:37 lab-sv lab: ".to_vec();
        raw.extend_from_slice(&body);
        let msg = parse(&raw, NOW).unwrap();
        let err = m.map(&msg, ip("10.0.0.2"), NOW).unwrap_err();
        assert_eq!(err.code(), "bad_encoding");
    }

    #[test]
    fn unmappable_messages_say_why() {
        let m = cfg(EMR);
        let check = |raw: &str, peer: &str, code: &str, text: &str| {
            let msg = parse(raw.as_bytes(), NOW).unwrap();
            let err = m.map(&msg, ip(peer), NOW).unwrap_err();
            assert_eq!(err.code(), code, "{raw}");
            assert!(err.to_string().contains(text), "{err}");
        };
        check(
            "<13>Nov 22 13:22:37 other x: user=a action=参照",
            "10.9.9.9",
            "no_source",
            "送信元設定がありません",
        );
        check(
            "<13>Nov 22 13:22:37 h lab: uid=a action=走る",
            "10.9.9.9",
            "bad_value",
            "操作『走る』",
        );
        check(
            "<13>Nov 22 13:22:37 h lab: uid=a action=参照 result=maybe",
            "10.9.9.9",
            "bad_value",
            "結果『maybe』",
        );
        check(
            "<13>Nov 22 13:22:37 h lab: uid=a",
            "10.9.9.9",
            "missing_field",
            "操作",
        );
        // Matches no source's peers, APP-NAME or hostname.
        check(
            "<13>1 - - - - - [access@32473 user=\"u\" action=\"参照\"]",
            "10.9.9.9",
            "no_source",
            "送信元",
        );
    }

    #[test]
    fn system_missing_without_app_name() {
        let m = cfg("[[source]]\nname = \"any\"\n");
        let msg = parse(b"<13>1 - - - - - [a@1 user=\"u\" action=\"view\"]", NOW).unwrap();
        let err = m.map(&msg, ip("127.0.0.1"), NOW).unwrap_err();
        assert!(err.to_string().contains("システム"), "{err}");
    }

    #[test]
    fn time_field_and_received_time_fallback() {
        let m = cfg("[[source]]\nname = \"any\"\nsystem = \"S\"\n[source.fields]\ntime = \"ts\"\n");
        let msg = parse(b"<13>no timestamp: user=u action=login ts=2025-04-01 ", NOW).unwrap();
        // `ts=2025-04-01` alone is not a date-time.
        assert_eq!(
            m.map(&msg, ip("127.0.0.1"), NOW).unwrap_err().code(),
            "bad_value"
        );
        let msg = parse(
            b"<13>x: user=u action=login ts=\"2025-04-01 09:30:00\"",
            NOW,
        )
        .unwrap();
        assert_eq!(
            m.map(&msg, ip("127.0.0.1"), NOW).unwrap().event.time_us,
            us("2025-04-01T00:30:00Z")
        );
        let msg = parse(b"<13>x: user=u action=login ts=1743467400", NOW).unwrap();
        assert_eq!(
            m.map(&msg, ip("127.0.0.1"), NOW).unwrap().event.time_us,
            us("2025-04-01T00:30:00Z")
        );
        let m = cfg("[[source]]\nname = \"any\"\nsystem = \"S\"\n");
        let msg = parse(b"<13>x: user=u action=login", NOW).unwrap();
        assert_eq!(m.map(&msg, ip("::1"), 42).unwrap().event.time_us, 42);
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let m = cfg(EMR);
        let msg = parse(
            br#"<13>1 - h emr - - [access@32473 user="u" action="view"]"#,
            NOW,
        )
        .unwrap();
        assert!(m.map(&msg, ip("::ffff:192.168.10.9"), NOW).is_ok());
    }

    #[test]
    fn bad_configs_are_refused_in_japanese() {
        #[derive(Deserialize)]
        struct F {
            source: Vec<SourceConfig>,
        }
        let err = |t: &str| {
            let f: F = toml::from_str(t).unwrap();
            Mapper::new(&f.source).unwrap_err().to_string()
        };
        assert!(err("[[source]]\nname=\"a\"\npeers=[\"10.0.0.0/33\"]").contains("peers"));
        assert!(err("[[source]]\nname=\"a\"\nencoding=\"klingon\"").contains("encoding"));
        assert!(err("[[source]]\nname=\"a\"\n[source.actions]\nX=\"走る\"").contains("actions"));
        assert!(err("[[source]]\nname=\"a\"\n[[source]]\nname=\"a\"").contains("重複"));
        assert!(err("[[source]]\nname=\" \"").contains("名前"));
    }

    #[test]
    fn key_value_splitting() {
        let kv = key_values("a=1 b=\"x \\\" y\"\u{3000}c=日本 word d= e=\"unterminated");
        let got: Vec<(&str, &str)> = kv.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("b", "x \" y"),
                ("c", "日本"),
                ("d", ""),
                ("e", "unterminated")
            ]
        );
    }

    #[test]
    fn every_reason_has_a_code_in_the_table() {
        let reasons = [
            Reason::Parse(ParseError::Empty),
            Reason::TooLong { limit: 1 },
            Reason::Truncated {
                expected: 2,
                received: 1,
            },
            Reason::BadFrame,
            Reason::NoSource,
            Reason::BadEncoding { encoding: "UTF-8" },
        ];
        for r in reasons {
            assert_eq!(REASON_CODES[r.index()], r.code());
        }
    }

    proptest::proptest! {
        #[test]
        fn key_values_never_panic(s in "\\PC{0,80}") {
            let _ = key_values(&s);
        }

        #[test]
        fn parse_and_map_never_panic(
            body in r#"[a-z=" \\\]\[@0-9あ閲覧]{0,60}"#,
            bsd in proptest::bool::ANY,
        ) {
            let m = cfg(EMR);
            let raw = if bsd {
                format!("<13>Nov 22 13:22:37 h lab: {body}")
            } else {
                format!("<13>1 - h emr - - [access@32473 {body}] {body}")
            };
            if let Ok(msg) = parse(raw.as_bytes(), NOW) {
                match m.map(&msg, ip("192.168.10.1"), NOW) {
                    Ok(e) => proptest::prop_assert!(!e.event.user.is_empty()),
                    Err(r) => proptest::prop_assert!(!r.to_string().is_empty()),
                }
            }
        }
    }
}
