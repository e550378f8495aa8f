//! anzen-vuln — 脆弱性照合 (vulnerability matching) and サポート終了 (end-of-support) rules,
//! as pure functions.
//!
//! - [`feeds`]: parse NVD CVE API 2.0 JSON, the CISA KEV catalog and JVN (MyJVN XML) from
//!   byte slices (gzip accepted), with the feed's date and SHA-256.
//! - [`cpe`]: CPE 2.3 names and attribute matching (NISTIR 7696).
//! - [`version`]: version schemes (FortiOS, Cisco IOS, PAN-OS, Ivanti, Windows builds …).
//! - [`matcher`]: evaluate NVD `configurations` against an asset's CPEs; every result explains
//!   itself; KEV membership makes a finding 最優先.
//! - [`alias`]: 資産台帳 — asset ledger columns (製造元/製品名/バージョン/OS) to CPEs through an
//!   embedded alias table.
//! - [`eos`]: サポート終了 — end-of-support dates of OSes and firmware from an embedded table.
//! - [`finding`]: the typed findings these rules produce.
//! - [`synth`], [`bench`](mod@bench): synthetic feeds and ledgers and the import/matching benchmark
//!   (issue 5, item 7) — test and benchmark data only.
//!
//! No I/O and no clock: callers pass bytes and `today` (except [`bench`](mod@bench), which reads
//! `/proc` for memory and the CPU model and times with `Instant`).

pub mod alias;
pub mod bench;
pub mod cpe;
pub mod eos;
pub mod feeds;
pub mod finding;
mod jvn;
pub mod matcher;
pub mod synth;
pub mod version;
