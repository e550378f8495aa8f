//! The typed catalog model: editions, items and their vocabulary.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which form of the checklist (様式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// 医療機関確認用
    Medical,
    /// 事業者確認用
    Vendor,
    /// 薬局確認用 (from 令和7年度)
    Pharmacy,
}

impl Form {
    /// All forms, in display order.
    pub const ALL: [Form; 3] = [Form::Medical, Form::Vendor, Form::Pharmacy];

    /// The code used in data files and item ids (`medical`, `vendor`, `pharmacy`).
    pub fn code(self) -> &'static str {
        match self {
            Form::Medical => "medical",
            Form::Vendor => "vendor",
            Form::Pharmacy => "pharmacy",
        }
    }

    /// Parses a data-file code.
    pub fn from_code(code: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The form's name as printed.
    pub fn label_ja(self) -> &'static str {
        match self {
            Form::Medical => "医療機関確認用",
            Form::Vendor => "事業者確認用",
            Form::Pharmacy => "薬局確認用",
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The three sections of the checklist (1. / 2. / 3.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// 1. 体制構築
    Governance,
    /// 2. 医療情報システムの管理・運用
    Operations,
    /// 3. インシデント発生に備えた対応
    Incident,
}

impl Group {
    /// All groups in checklist order.
    pub const ALL: [Group; 3] = [Group::Governance, Group::Operations, Group::Incident];

    /// Data-file code.
    pub fn code(self) -> &'static str {
        match self {
            Group::Governance => "governance",
            Group::Operations => "operations",
            Group::Incident => "incident",
        }
    }

    /// Parses a data-file code.
    pub fn from_code(code: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The section number printed on the form (`1`, `2`, `3`).
    pub fn section(self) -> u8 {
        match self {
            Group::Governance => 1,
            Group::Operations => 2,
            Group::Incident => 3,
        }
    }

    /// The heading as printed.
    pub fn label_ja(self) -> &'static str {
        match self {
            Group::Governance => "体制構築",
            Group::Operations => "医療情報システムの管理・運用",
            Group::Incident => "インシデント発生に備えた対応",
        }
    }
}

/// The device sub-headings of section 2 (《医療情報システム全般》《サーバ》…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subgroup {
    /// 医療情報システム全般 (サーバ、端末PC、ネットワーク機器 together)
    General,
    /// サーバ
    Server,
    /// 端末PC
    Terminal,
    /// ネットワーク機器
    Network,
}

impl Subgroup {
    /// All subgroups in checklist order.
    pub const ALL: [Subgroup; 4] = [
        Subgroup::General,
        Subgroup::Server,
        Subgroup::Terminal,
        Subgroup::Network,
    ];

    /// Data-file code.
    pub fn code(self) -> &'static str {
        match self {
            Subgroup::General => "general",
            Subgroup::Server => "server",
            Subgroup::Terminal => "terminal",
            Subgroup::Network => "network",
        }
    }

    /// Parses a data-file code.
    pub fn from_code(code: &str) -> Option<Subgroup> {
        Subgroup::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The sub-heading as printed.
    pub fn label_ja(self) -> &'static str {
        match self {
            Subgroup::General => "医療情報システム全般",
            Subgroup::Server => "サーバ",
            Subgroup::Terminal => "端末PC",
            Subgroup::Network => "ネットワーク機器",
        }
    }

    /// The device kind an item under this sub-heading targets.
    pub fn target(self) -> Target {
        match self {
            Subgroup::General => Target::None,
            Subgroup::Server => Target::Server,
            Subgroup::Terminal => Target::Terminal,
            Subgroup::Network => Target::Network,
        }
    }
}

/// The kind of device an item is answered for. One printed item number can apply to several
/// device kinds with different due years (e.g. 2-(4) サーバ 令和5年度中, 端末PC 令和6年度中);
/// each is a separate [`Item`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Not device-specific (体制, 全般, インシデント).
    None,
    /// サーバ
    Server,
    /// 端末PC
    Terminal,
    /// ネットワーク機器
    Network,
}

impl Target {
    /// All targets.
    pub const ALL: [Target; 4] = [
        Target::None,
        Target::Server,
        Target::Terminal,
        Target::Network,
    ];

    /// Data-file code, also the last segment of an [`ItemId`] (none for [`Target::None`]).
    pub fn code(self) -> &'static str {
        match self {
            Target::None => "none",
            Target::Server => "server",
            Target::Terminal => "terminal",
            Target::Network => "network",
        }
    }

    /// Parses a data-file code.
    pub fn from_code(code: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Japanese label (`—` for none).
    pub fn label_ja(self) -> &'static str {
        match self {
            Target::None => "—",
            Target::Server => "サーバ",
            Target::Terminal => "端末PC",
            Target::Network => "ネットワーク機器",
        }
    }
}

/// Stable identifier of an item: `R{令和}/{form}/{number}[/{target}]`,
/// e.g. `R6/medical/2-(4)/server` or `R6/medical/1-(1)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// Builds the canonical id for an item.
    pub fn build(fiscal_year: i32, form: Form, number: &str, target: Target) -> ItemId {
        let reiwa = fiscal_year - 2018;
        let mut s = format!("R{reiwa}/{}/{number}", form.code());
        if target != Target::None {
            s.push('/');
            s.push_str(target.code());
        }
        ItemId(s)
    }

    /// Wraps a string as found in data (validated by [`Edition::validate`]).
    pub fn new(s: impl Into<String>) -> ItemId {
        ItemId(s.into())
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Explanatory text from the MHLW manual, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The manual's text.
    pub text: String,
    /// Where it was read.
    pub source: String,
}

/// One answerable line of a checklist form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable id, see [`ItemId`].
    pub id: ItemId,
    /// The number as printed, e.g. `2-(1)` (令和5/6年度) or `2-①` (令和7年度).
    pub number: String,
    /// Stable topic key across editions (e.g. `security_patches`), for carrying answers
    /// from one 年度 to the next and for "what changed since last year".
    pub topic: String,
    /// The item's wording (see [`Item::wording_verified`]).
    pub text: String,
    /// Section.
    pub group: Group,
    /// Device sub-heading (section 2 only).
    pub subgroup: Option<Subgroup>,
    /// Device kind.
    pub target: Target,
    /// The 年度 by the end of which the item is required (e.g. 2023 = 令和5年度中).
    pub required_by_fy: Option<i32>,
    /// Why there is no due year, when [`Item::required_by_fy`] is `None`.
    pub no_due_reason: Option<String>,
    /// Applicability notes (e.g. 事業者と契約していない場合は不要).
    pub applicability: Vec<String>,
    /// Guideline references the manual gives (e.g. `企画管理編 9.1`).
    pub references: Vec<String>,
    /// Key of the auto-evidence rule that can suggest an answer (see [`crate::evidence`]).
    pub auto_evidence: Option<String>,
    /// The wording was read in a source for this edition and form.
    pub wording_verified: bool,
    /// The printed number was read in a source for this edition and form.
    pub number_verified: bool,
    /// The due year was read in a source.
    pub due_verified: bool,
    /// The references were read in this edition's manual.
    pub references_verified: bool,
    /// What is not verified and which source lacks it.
    pub review_notes: Vec<String>,
    /// Where the item comes from.
    pub source: String,
    /// The manual's explanation, where available.
    pub explanation: Option<Explanation>,
}

impl Item {
    /// True when something the item states is unverified: the UI shows 要確認.
    /// An empty reference list states nothing, so unverified references count only when
    /// some are listed.
    pub fn needs_review(&self) -> bool {
        !self.unverified_parts_ja().is_empty()
    }

    /// Which stated parts are unverified, as labels for the 要確認 badge
    /// (`文言`, `番号`, `期限`, `参照`).
    pub fn unverified_parts_ja(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.wording_verified {
            v.push("文言");
        }
        if !self.number_verified {
            v.push("番号");
        }
        if !self.due_verified && self.required_by_fy.is_some() {
            v.push("期限");
        }
        if !self.references_verified && !self.references.is_empty() {
            v.push("参照");
        }
        v
    }

    /// True when any verification flag is false (stricter than [`Item::needs_review`]);
    /// such items must carry a review note.
    pub fn has_unverified_flag(&self) -> bool {
        !(self.wording_verified
            && self.number_verified
            && self.due_verified
            && self.references_verified)
    }

    /// `令和N年度中` for the due year, or `None`.
    pub fn required_by_label_ja(&self) -> Option<String> {
        self.required_by_fy.map(fiscal_year_label_ja)
    }
}

/// A question at the top of a form that gates the rest (令和6年度〜:
/// 「医療情報システムを導入、運用している。」).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateQuestion {
    /// Stable id, `R{令和}/{form}/gate/{key}`.
    pub id: String,
    /// Wording.
    pub text: String,
    /// What follows from いいえ.
    pub if_no: Option<String>,
    /// Scope explanation from the manual.
    pub scope_note: Option<String>,
    /// Guideline references.
    pub references: Vec<String>,
    /// The wording was read in a source for this edition.
    pub wording_verified: bool,
    /// What is not verified.
    pub review_notes: Vec<String>,
    /// Where it comes from.
    pub source: String,
}

/// One edition (年度版) of one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edition {
    /// The 年度 of the edition (2024 = 令和6年度版).
    pub fiscal_year: i32,
    /// Which form.
    pub form: Form,
    /// Title as printed.
    pub title: String,
    /// The title was read in a source.
    pub title_verified: bool,
    /// Publication date / notice, free text.
    pub published: Option<String>,
    /// Form-level notes (how to fill in, what the inspector checks…).
    pub notes: Vec<String>,
    /// Sources the edition was compiled from.
    pub sources: Vec<String>,
    /// Gate questions.
    pub gate_questions: Vec<GateQuestion>,
    /// Items in printed order.
    pub items: Vec<Item>,
    /// Where the edition was loaded from (file name), for messages.
    pub origin: String,
}

impl Edition {
    /// `令和6年度版 医療機関確認用`.
    pub fn label_ja(&self) -> String {
        format!(
            "{}版 {}",
            fiscal_year_label_ja(self.fiscal_year),
            self.form.label_ja()
        )
    }

    /// Finds an item by id.
    pub fn item(&self, id: &ItemId) -> Option<&Item> {
        self.items.iter().find(|i| &i.id == id)
    }

    /// Number of items that need review (要確認).
    pub fn unverified_count(&self) -> usize {
        self.items.iter().filter(|i| i.needs_review()).count()
    }

    /// Number of items whose wording is not verified.
    pub fn wording_unverified_count(&self) -> usize {
        self.items.iter().filter(|i| !i.wording_verified).count()
    }
}

/// `令和N年度` for a fiscal year from 2019 on; `YYYY年度` before.
pub fn fiscal_year_label_ja(fy: i32) -> String {
    if fy >= 2019 {
        let r = fy - 2018;
        if r == 1 {
            "令和元年度".to_string()
        } else {
            format!("令和{r}年度")
        }
    } else {
        format!("{fy}年度")
    }
}
