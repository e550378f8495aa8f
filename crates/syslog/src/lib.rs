//! syslog 受信 — a syslog receiver that turns access-log messages from the systems (電子カルテ,
//! レセコン, 部門システム, …) into the アクセスログ template's events.
//!
//! - **Formats**: RFC 5424 (structured data, escapes, NILVALUE, BOM) and RFC 3164 (BSD;
//!   the timestamp has no year or zone: read as JST in the year nearest to the time
//!   received), detected per message ([`parse()`]).
//! - **Transports**: UDP (one datagram = one message), TCP with octet counting or LF
//!   framing detected per message (RFC 6587, [`Framer`]), and TLS (RFC 5425, rustls).
//! - **Mapping**: per source (送信元), matched by sender address/network, APP-NAME and/or
//!   HOSTNAME, from SD-PARAMs (`[access@32473 user="u1" action="view"]`) or `key=value`
//!   pairs in MSG to 日時, システム, アカウントID, 患者ID, 操作, 結果, 端末, 詳細, with the
//!   file import's vocabulary for 操作 and 結果 ([`Mapper`]).
//! - **Quarantine (隔離)**: a message that cannot be framed, parsed or mapped is delivered
//!   as [`Quarantined`] with its bytes and a Japanese reason, and counted per reason — never
//!   dropped silently.
//! - **Server**: [`Receiver::start`] binds the listeners and delivers [`Batch`]es to a tokio
//!   channel; [`Receiver::stats`] exposes the counters; [`Receiver::shutdown`] is graceful.
//!
//! Storage is not this crate's business: the caller writes the batches where it wants.

mod framing;
mod mapping;
mod parse;
mod server;

pub use framing::{Frame, Framer};
pub use mapping::{
    ConfigError, EventField, FieldKeys, Keys, Mapped, Mapper, REASON_CODES, Reason, SourceConfig,
    key_values,
};
pub use parse::{
    Format, HeaderField, Message, ParseError, SdElement, SdParam, StructuredData, parse, rfc3339,
};
pub use server::{
    Batch, Config, Error, Listen, Origin, Quarantined, Received, Receiver, Stats, TlsListen,
    Transport,
};
