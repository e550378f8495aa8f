//! anzen-catalog — the MHLW サイバーセキュリティ対策チェックリスト as versioned data.
//!
//! One TOML file per edition (年度版) and form (医療機関確認用 / 事業者確認用 / 薬局確認用) lives
//! in `crates/catalog/data/` and is embedded at build time. [`Catalog::builtin`] loads and
//! validates them; imported editions go through the same [`Edition::from_toml_str`].
//! Wording, numbers, due years and references that the sources do not verify are marked
//! (`*_verified = false` with a review note) so the UI can show 要確認.
//!
//! [`evidence`] is the pure auto-evidence interface: rules keyed by the `auto_evidence` key
//! an item declares. [`import`] reads an official MHLW checklist workbook (xlsx) as a new
//! edition, with a column mapping, a preview and a diff against the previous edition.

pub mod evidence;
mod format;
pub mod import;
mod model;
mod problem;
mod validate;

use std::collections::HashSet;

pub use model::{
    Edition, Explanation, Form, GateQuestion, Group, Item, ItemId, Subgroup, Target,
    fiscal_year_label_ja,
};
pub use problem::{CatalogError, CatalogProblem, ProblemKind};

/// The embedded data files: (file name, contents).
const BUILTIN: &[(&str, &str)] = &[
    ("r5_medical.toml", include_str!("../data/r5_medical.toml")),
    ("r5_vendor.toml", include_str!("../data/r5_vendor.toml")),
    ("r6_medical.toml", include_str!("../data/r6_medical.toml")),
    ("r6_vendor.toml", include_str!("../data/r6_vendor.toml")),
    ("r7_medical.toml", include_str!("../data/r7_medical.toml")),
    ("r7_vendor.toml", include_str!("../data/r7_vendor.toml")),
    ("r7_pharmacy.toml", include_str!("../data/r7_pharmacy.toml")),
];

/// All known editions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    editions: Vec<Edition>,
}

impl Edition {
    /// Parses and validates one edition from TOML. `origin` names the file or import in
    /// messages.
    pub fn from_toml_str(origin: &str, toml: &str) -> Result<Edition, CatalogError> {
        format::parse_edition(origin, toml)
    }

    /// Writes the edition in the data-file format (e.g. to save an imported edition).
    pub fn to_toml_string(&self) -> Result<String, CatalogError> {
        format::to_toml(self)
    }
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// The editions shipped with anzen.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let mut c = Catalog::new();
        for (name, text) in BUILTIN {
            c.add_edition(Edition::from_toml_str(name, text)?)?;
        }
        Ok(c)
    }

    /// A catalog of one edition read from TOML.
    pub fn from_toml_str(origin: &str, toml: &str) -> Result<Catalog, CatalogError> {
        let mut c = Catalog::new();
        c.add_edition(Edition::from_toml_str(origin, toml)?)?;
        Ok(c)
    }

    /// Adds an edition after validating it, and checking that its 年度 and form are new and
    /// its item ids unused.
    pub fn add_edition(&mut self, edition: Edition) -> Result<(), CatalogError> {
        edition
            .validate()
            .map_err(|problems| CatalogError::Invalid {
                origin: edition.origin.clone(),
                problems,
            })?;
        if self.edition(edition.fiscal_year, edition.form).is_some() {
            return Err(CatalogError::DuplicateEdition {
                origin: edition.origin.clone(),
                fiscal_year: edition.fiscal_year,
                form: edition.form,
            });
        }
        let existing: HashSet<&ItemId> = self.items().map(|(_, i)| &i.id).collect();
        if let Some(dup) = edition.items.iter().find(|i| existing.contains(&i.id)) {
            return Err(CatalogError::DuplicateItemId {
                origin: edition.origin.clone(),
                id: dup.id.to_string(),
            });
        }
        self.editions.push(edition);
        self.editions.sort_by_key(|e| (e.fiscal_year, e.form));
        Ok(())
    }

    /// All editions, by 年度 then form.
    pub fn editions(&self) -> &[Edition] {
        &self.editions
    }

    /// The edition for exactly this 年度 and form.
    pub fn edition(&self, fiscal_year: i32, form: Form) -> Option<&Edition> {
        self.editions
            .iter()
            .find(|e| e.fiscal_year == fiscal_year && e.form == form)
    }

    /// The newest edition of `form` not later than `fiscal_year` (the one in force when a
    /// 年度 has no edition of its own yet).
    pub fn edition_in_force(&self, fiscal_year: i32, form: Form) -> Option<&Edition> {
        self.editions
            .iter()
            .filter(|e| e.form == form && e.fiscal_year <= fiscal_year)
            .max_by_key(|e| e.fiscal_year)
    }

    /// Every item with its edition.
    pub fn items(&self) -> impl Iterator<Item = (&Edition, &Item)> {
        self.editions
            .iter()
            .flat_map(|e| e.items.iter().map(move |i| (e, i)))
    }

    /// Finds an item by id anywhere in the catalog.
    pub fn item(&self, id: &ItemId) -> Option<(&Edition, &Item)> {
        self.items().find(|(_, i)| &i.id == id)
    }
}
