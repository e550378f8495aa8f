//! サポート終了 — end-of-support dates of OSes and firmware, and the rule that flags assets
//! past or near them.
//!
//! The dates live in `crates/vuln/data/end_of_support.toml` (embedded), one entry per
//! product line with its source. [`EosTable::evaluate`] takes the asset's ledger columns and
//! `today` (no clock here) and returns an [`EosStatus`]; [`eos_finding`] turns it into a
//! [`Finding`]: サポート終了 (past), サポート終了間近 (within `near_days`, default
//! [`DEFAULT_NEAR_DAYS`]), or 要確認 when the OS cannot be identified.

use std::sync::OnceLock;

use jiff::civil::Date;
use serde::Deserialize;

use crate::alias::{AliasTable, AssetDescription, normalize, word_start};
use crate::finding::{EosRef, Finding, FindingKind, Priority};

/// Default warning window: 180 days before the end of support.
pub const DEFAULT_NEAR_DAYS: i64 = 180;

/// One entry of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EosEntry {
    /// Stable id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Keywords (normalised).
    pub keywords: Vec<String>,
    /// Exclusions (normalised).
    pub exclude: Vec<String>,
    /// All of these must occur too.
    pub requires_all: Vec<String>,
    /// Release line (`6.0`, `8`, `18.04`).
    pub version_line: Option<String>,
    /// End of support; `None` for products without one fixed date.
    pub end: Option<Date>,
    /// Source of the date.
    pub source: String,
    /// Remark (ESU …).
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    name: String,
    keywords: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    requires_all: Vec<String>,
    #[serde(default)]
    version_line: Option<String>,
    #[serde(default)]
    end: Option<String>,
    source: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    entry: Vec<RawEntry>,
}

/// A problem in the end-of-support data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EosError {
    /// TOML syntax or shape.
    #[error("サポート終了表 {origin} を読めません: {message}")]
    Toml {
        /// File name.
        origin: String,
        /// Message.
        message: String,
    },
    /// A bad entry.
    #[error("サポート終了表 {origin} の項目 `{id}` が不正です: {message}")]
    Entry {
        /// File name.
        origin: String,
        /// Entry id.
        id: String,
        /// Message.
        message: String,
    },
}

/// The end-of-support table.
#[derive(Debug, Clone)]
pub struct EosTable {
    entries: Vec<EosEntry>,
}

const BUILTIN: &str = include_str!("../data/end_of_support.toml");

/// What the rule concluded for one asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EosStatus {
    /// サポート終了: `today` is after the end date.
    Past {
        /// The entry.
        entry: EosEntry,
        /// The end date.
        end: Date,
        /// Days since the end.
        days_over: i64,
    },
    /// サポート終了間近: the end date is within the window.
    Near {
        /// The entry.
        entry: EosEntry,
        /// The end date.
        end: Date,
        /// Days left (0 = ends today).
        days_left: i64,
    },
    /// Supported beyond the window, or no single end date (`end` is `None`).
    Supported {
        /// The entry.
        entry: EosEntry,
        /// The end date, if fixed.
        end: Option<Date>,
    },
    /// The product is identified (it has a CPE) but the table has no date for it.
    NoData {
        /// Why (Japanese).
        reason_ja: String,
    },
    /// 要確認: the OS/firmware could not be identified.
    Unidentified {
        /// Why (Japanese).
        reason_ja: String,
    },
}

impl EosTable {
    /// The embedded table.
    pub fn builtin() -> Result<EosTable, EosError> {
        EosTable::from_toml_str("end_of_support.toml", BUILTIN)
    }

    /// Parses and validates a table.
    pub fn from_toml_str(origin: &str, text: &str) -> Result<EosTable, EosError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| EosError::Toml {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        let mut entries = Vec::with_capacity(raw.entry.len());
        let mut seen = std::collections::HashSet::new();
        for r in raw.entry {
            let err = |message: String| EosError::Entry {
                origin: origin.into(),
                id: r.id.clone(),
                message,
            };
            if !seen.insert(r.id.clone()) {
                return Err(err("id が重複しています".into()));
            }
            if r.keywords.is_empty() {
                return Err(err("keywords が空です".into()));
            }
            if r.source.trim().is_empty() {
                return Err(err("source（出典）が空です".into()));
            }
            for k in r.keywords.iter().chain(&r.exclude).chain(&r.requires_all) {
                if normalize(k) != *k {
                    return Err(err(format!(
                        "キーワード `{k}` が正規化済み（NFKC・小文字）ではありません"
                    )));
                }
            }
            let end = match &r.end {
                None => None,
                Some(s) => Some(
                    s.parse::<Date>()
                        .map_err(|e| err(format!("end `{s}` が日付ではありません: {e}")))?,
                ),
            };
            entries.push(EosEntry {
                id: r.id,
                name: r.name,
                keywords: r.keywords,
                exclude: r.exclude,
                requires_all: r.requires_all,
                version_line: r.version_line,
                end,
                source: r.source,
                note: r.note,
            });
        }
        Ok(EosTable { entries })
    }

    /// All entries.
    pub fn entries(&self) -> &[EosEntry] {
        &self.entries
    }

    /// The first entry that applies to the asset.
    pub fn find(&self, asset: &AssetDescription) -> Option<&EosEntry> {
        let os = normalize(&asset.os);
        let product = normalize(&asset.product);
        let version = normalize(&asset.version);
        let all = format!("{} | {product} | {os}", normalize(&asset.vendor));
        let line_source = [os.as_str(), version.as_str(), product.as_str()];
        self.entries.iter().find(|e| {
            e.keywords.iter().any(|k| word_start(&all, k))
                && !e.exclude.iter().any(|k| word_start(&all, k))
                && e.requires_all.iter().all(|k| word_start(&all, k))
                && e.version_line
                    .as_ref()
                    .is_none_or(|line| in_line(&line_source, line))
        })
    }

    /// Evaluates the rule for one asset on `today`.
    pub fn evaluate(&self, asset: &AssetDescription, today: Date, near_days: i64) -> EosStatus {
        if let Some(entry) = self.find(asset) {
            let Some(end) = entry.end else {
                return EosStatus::Supported {
                    entry: entry.clone(),
                    end: None,
                };
            };
            let left = days(end) - days(today);
            return if left < 0 {
                EosStatus::Past {
                    entry: entry.clone(),
                    end,
                    days_over: -left,
                }
            } else if left <= near_days {
                EosStatus::Near {
                    entry: entry.clone(),
                    end,
                    days_left: left,
                }
            } else {
                EosStatus::Supported {
                    entry: entry.clone(),
                    end: Some(end),
                }
            };
        }
        let described = [&asset.os, &asset.product, &asset.vendor]
            .iter()
            .any(|s| !s.trim().is_empty());
        if !described {
            return EosStatus::Unidentified {
                reason_ja: "OS・製品名が台帳に記載されていないため、サポート期限を判定できません"
                    .into(),
            };
        }
        static ALIASES: OnceLock<Option<AliasTable>> = OnceLock::new();
        let identified = ALIASES
            .get_or_init(|| AliasTable::builtin().ok())
            .as_ref()
            .and_then(|t| {
                t.derive(&AssetDescription {
                    cpe: String::new(),
                    ..asset.clone()
                })
                .ok()
            });
        match identified {
            Some(_) => EosStatus::NoData {
                reason_ja: format!(
                    "「{}」のサポート終了日はデータにありません（メーカーのライフサイクル情報を確認してください）",
                    label(asset)
                ),
            },
            None => EosStatus::Unidentified {
                reason_ja: format!(
                    "OS・製品「{}」を特定できないため、サポート期限を判定できません",
                    label(asset)
                ),
            },
        }
    }
}

fn label(asset: &AssetDescription) -> String {
    [&asset.vendor, &asset.product, &asset.os, &asset.version]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the first dotted number (or bare number) in the sources belongs to `line`.
fn in_line(sources: &[&str], line: &str) -> bool {
    for s in sources {
        for piece in s.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
            let tok = piece.trim_matches('.');
            if tok.is_empty() {
                continue;
            }
            // The first number-like token decides.
            return tok == line || tok.starts_with(&format!("{line}."));
        }
    }
    false
}

/// Days since 1970-01-01 (proleptic Gregorian).
fn days(d: Date) -> i64 {
    let (y, m, dd) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The finding for a status (`None` when supported or without data).
pub fn eos_finding(status: &EosStatus) -> Option<Finding> {
    let eref = |e: &EosEntry, end: Date| EosRef {
        entry_id: e.id.clone(),
        name: e.name.clone(),
        end,
        source: e.source.clone(),
        note: e.note.clone(),
    };
    let with_note = |mut v: Vec<String>, e: &EosEntry| {
        v.push(format!("出典: {}", e.source));
        if let Some(n) = &e.note {
            v.push(n.clone());
        }
        v
    };
    match status {
        EosStatus::Past {
            entry,
            end,
            days_over,
        } => Some(Finding {
            kind: FindingKind::EndOfSupport,
            priority: Priority::High,
            title_ja: format!("サポート終了: {}（{end} 終了）", entry.name),
            reasons_ja: with_note(
                vec![format!(
                    "{} のサポートは {end} に終了しています（{days_over} 日経過）。セキュリティ更新が提供されません",
                    entry.name
                )],
                entry,
            ),
            cve: None,
            kev: None,
            eos: Some(eref(entry, *end)),
        }),
        EosStatus::Near {
            entry,
            end,
            days_left,
        } => Some(Finding {
            kind: FindingKind::EndOfSupportNear,
            priority: Priority::Medium,
            title_ja: format!("サポート終了間近: {}（{end} 終了）", entry.name),
            reasons_ja: with_note(
                vec![format!(
                    "{} のサポートは {end} に終了します（残り {days_left} 日）。更新・移行の計画が必要です",
                    entry.name
                )],
                entry,
            ),
            cve: None,
            kev: None,
            eos: Some(eref(entry, *end)),
        }),
        EosStatus::Unidentified { reason_ja } => Some(Finding {
            kind: FindingKind::EndOfSupportNeedsReview,
            priority: Priority::Info,
            title_ja: "サポート期限を判定できません（要確認）".into(),
            reasons_ja: vec![reason_ja.clone()],
            cve: None,
            kev: None,
            eos: None,
        }),
        EosStatus::Supported { .. } | EosStatus::NoData { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_arithmetic() {
        let d = |s: &str| s.parse::<Date>().expect("date");
        assert_eq!(days(d("1970-01-01")), 0);
        assert_eq!(days(d("2000-03-01")) - days(d("2000-02-28")), 2);
        assert_eq!(days(d("2026-11-22")) - days(d("2025-10-14")), 404);
    }

    #[test]
    fn lines() {
        assert!(in_line(&["fortios 6.0.4"], "6.0"));
        assert!(!in_line(&["fortios 6.2.4"], "6.0"));
        assert!(in_line(&["rhel 8.6"], "8"));
        assert!(!in_line(&["rhel 9.2"], "8"));
        assert!(in_line(&["ubuntu 18.04.6 lts"], "18.04"));
    }

    #[test]
    fn builtin_loads() {
        let t = EosTable::builtin().expect("embedded end_of_support.toml is valid");
        assert!(t.entries().iter().any(|e| e.id == "windows-10"));
    }
}
