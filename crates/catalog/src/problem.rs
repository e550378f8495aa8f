//! Typed errors and validation problems.

use std::fmt;

use crate::model::Form;

/// Something wrong with one edition's data. Messages are Japanese: they are shown to the
/// person importing or editing an edition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    /// Where: an item id, `items[3]` when the id is unusable, `edition`, or a gate id.
    pub location: String,
    /// What.
    pub kind: ProblemKind,
}

impl CatalogProblem {
    pub(crate) fn new(location: impl Into<String>, kind: ProblemKind) -> CatalogProblem {
        CatalogProblem {
            location: location.into(),
            kind,
        }
    }
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// The kinds of problem [`crate::Edition::validate`] and the loaders report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A required field is absent.
    #[error("必須の項目 `{0}` がありません")]
    MissingField(&'static str),
    /// Unknown form code.
    #[error("様式 `{0}` は不明です（medical / vendor / pharmacy のいずれか）")]
    UnknownForm(String),
    /// Unknown group code.
    #[error("区分 `{0}` は不明です（governance / operations / incident のいずれか）")]
    UnknownGroup(String),
    /// Unknown subgroup code.
    #[error("小区分 `{0}` は不明です（general / server / terminal / network のいずれか）")]
    UnknownSubgroup(String),
    /// Unknown target code.
    #[error("対象機器 `{0}` は不明です（none / server / terminal / network のいずれか）")]
    UnknownTarget(String),
    /// Fiscal year outside the range the checklist exists for.
    #[error("年度 {0} は範囲外です（2023〜2100）")]
    FiscalYearOutOfRange(i32),
    /// Title empty.
    #[error("表題が空です")]
    EmptyTitle,
    /// Two items with the same id.
    #[error("項目ID `{0}` が重複しています")]
    DuplicateId(String),
    /// Item text empty.
    #[error("文言が空です")]
    EmptyWording,
    /// Number not in the printed form `2-(1)` / `2-①`.
    #[error("番号 `{0}` の形式が不正です（例: 2-(1) または 2-①）")]
    BadNumber(String),
    /// The number's section does not match the group.
    #[error("番号 `{number}` の区分番号が区分「{group}」（{section}.）と一致しません")]
    NumberSectionMismatch {
        /// Printed number.
        number: String,
        /// Group label.
        group: &'static str,
        /// Expected section.
        section: u8,
    },
    /// Id differs from the one built from edition, form, number and target.
    #[error("項目ID `{found}` が番号・対象機器から作られるID `{expected}` と一致しません")]
    IdMismatch {
        /// Expected id.
        expected: String,
        /// Id in the data.
        found: String,
    },
    /// Section 2 item without subgroup.
    #[error(
        "「医療情報システムの管理・運用」の項目には小区分（general / server / terminal / network）が必要です"
    )]
    MissingSubgroup,
    /// Subgroup on a section 1 or 3 item.
    #[error("区分「{0}」の項目に小区分は付けられません")]
    SubgroupNotAllowed(&'static str),
    /// Target inconsistent with subgroup / group.
    #[error("対象機器 `{target}` は小区分「{subgroup}」と一致しません（期待値 `{expected}`）")]
    TargetMismatch {
        /// Target code.
        target: &'static str,
        /// Subgroup label (or group label).
        subgroup: &'static str,
        /// Expected target code.
        expected: &'static str,
    },
    /// Neither a due year nor a reason why there is none.
    #[error("期限（required_by_fy）も、期限が無い理由（no_due_reason）もありません")]
    MissingDue,
    /// Due year implausible.
    #[error("期限 {due} 年度は範囲外です（2020〜{max}）")]
    DueOutOfRange {
        /// The due year.
        due: i32,
        /// Largest accepted.
        max: i32,
    },
    /// No source.
    #[error("出典（source）が空です")]
    EmptySource,
    /// No topic key.
    #[error("topic が空か不正です（英小文字・数字・_ のみ）")]
    BadTopic,
    /// Same topic and target twice in one edition.
    #[error("topic `{topic}`・対象機器 `{target}` の組が重複しています")]
    DuplicateTopicTarget {
        /// Topic.
        topic: String,
        /// Target code.
        target: &'static str,
    },
    /// Something is marked unverified but no note says what is missing.
    #[error("未確認（*_verified = false）なのに review_notes に理由がありません")]
    UnverifiedWithoutNote,
    /// Malformed auto-evidence key.
    #[error("auto_evidence のキー `{0}` が不正です（英小文字・数字・_ のみ）")]
    BadAutoEvidenceKey(String),
    /// Gate question problems.
    #[error("確認項目の文言が空です")]
    EmptyGateText,
    /// Gate question id duplicated.
    #[error("確認項目ID `{0}` が重複しています")]
    DuplicateGateId(String),
    /// Gate id not of the form `R{n}/{form}/gate/{key}`.
    #[error("確認項目ID `{found}` は `{prefix}…` で始まる必要があります")]
    BadGateId {
        /// Id in data.
        found: String,
        /// Required prefix.
        prefix: String,
    },
}

/// Errors from loading or combining editions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// Not valid TOML or not the expected shape.
    #[error("{origin}: TOML として読めません: {message}")]
    Parse {
        /// File or import name.
        origin: String,
        /// Parser message (with line and column).
        message: String,
    },
    /// Readable, but the content has problems.
    #[error("{origin}: {}件の問題があります: {}", problems.len(), join_problems(problems))]
    Invalid {
        /// File or import name.
        origin: String,
        /// Every problem found.
        problems: Vec<CatalogProblem>,
    },
    /// Two editions for the same 年度 and form.
    #[error("{origin}: {fiscal_year}年度の {} は既にあります", form.label_ja())]
    DuplicateEdition {
        /// File or import name.
        origin: String,
        /// 年度.
        fiscal_year: i32,
        /// Form.
        form: Form,
    },
    /// An item id already used by another edition.
    #[error("{origin}: 項目ID `{id}` は他の版で使われています")]
    DuplicateItemId {
        /// File or import name.
        origin: String,
        /// The id.
        id: String,
    },
    /// Could not write an edition as TOML.
    #[error("TOML に書き出せません: {0}")]
    Serialize(String),
}

impl CatalogError {
    /// The validation problems, if this is [`CatalogError::Invalid`].
    pub fn problems(&self) -> &[CatalogProblem] {
        match self {
            CatalogError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn join_problems(p: &[CatalogProblem]) -> String {
    p.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}
