//! Validation of one edition.

use std::collections::HashSet;

use crate::model::{Edition, Group, ItemId, Target};
use crate::problem::{CatalogProblem, ProblemKind};

/// Earliest and latest 年度 an edition may have.
const FY_MIN: i32 = 2023;
const FY_MAX: i32 = 2100;
/// Earliest due year accepted; the latest is the edition's 年度 + `DUE_HORIZON`.
const DUE_MIN: i32 = 2020;
const DUE_HORIZON: i32 = 5;

/// Parses a printed number `2-(1)` / `2-①` into (section, ordinal).
pub(crate) fn parse_number(number: &str) -> Option<(u8, u32)> {
    let (sec, rest) = number.split_once('-')?;
    let section: u8 = match sec {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        _ => return None,
    };
    let ordinal = if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        if inner.is_empty() || inner.len() > 2 || !inner.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        inner.parse::<u32>().ok()?
    } else {
        let mut chars = rest.chars();
        let c = chars.next()?;
        if chars.next().is_some() {
            return None;
        }
        // ① U+2460 … ⑳ U+2473
        let code = u32::from(c);
        if !(0x2460..=0x2473).contains(&code) {
            return None;
        }
        code - 0x2460 + 1
    };
    if ordinal == 0 {
        return None;
    }
    Some((section, ordinal))
}

pub(crate) fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Edition {
    /// Checks the edition: unique ids, non-empty wording, known group/subgroup/target
    /// combinations, ids consistent with number and target, a due year or a reason, a source,
    /// and a review note wherever something is marked unverified.
    pub fn validate(&self) -> Result<(), Vec<CatalogProblem>> {
        let mut p = Vec::new();
        if !(FY_MIN..=FY_MAX).contains(&self.fiscal_year) {
            p.push(CatalogProblem::new(
                "edition",
                ProblemKind::FiscalYearOutOfRange(self.fiscal_year),
            ));
        }
        if self.title.trim().is_empty() {
            p.push(CatalogProblem::new("edition", ProblemKind::EmptyTitle));
        }

        let gate_prefix = format!("R{}/{}/gate/", self.fiscal_year - 2018, self.form.code());
        let mut gate_ids = HashSet::new();
        for g in &self.gate_questions {
            let loc = g.id.clone();
            if !gate_ids.insert(g.id.as_str()) {
                p.push(CatalogProblem::new(
                    &loc,
                    ProblemKind::DuplicateGateId(g.id.clone()),
                ));
            }
            match g.id.strip_prefix(&gate_prefix) {
                Some(key) if is_key(key) => {}
                _ => p.push(CatalogProblem::new(
                    &loc,
                    ProblemKind::BadGateId {
                        found: g.id.clone(),
                        prefix: gate_prefix.clone(),
                    },
                )),
            }
            if g.text.trim().is_empty() {
                p.push(CatalogProblem::new(&loc, ProblemKind::EmptyGateText));
            }
            if g.source.trim().is_empty() {
                p.push(CatalogProblem::new(&loc, ProblemKind::EmptySource));
            }
            if !g.wording_verified && g.review_notes.iter().all(|n| n.trim().is_empty()) {
                p.push(CatalogProblem::new(
                    &loc,
                    ProblemKind::UnverifiedWithoutNote,
                ));
            }
        }

        let mut ids = HashSet::new();
        let mut topics = HashSet::new();
        let max_due = self.fiscal_year + DUE_HORIZON;
        for item in &self.items {
            let loc = item.id.to_string();
            let mut push = |k| p.push(CatalogProblem::new(&loc, k));
            if !ids.insert(&item.id) {
                push(ProblemKind::DuplicateId(item.id.to_string()));
            }
            if item.text.trim().is_empty() {
                push(ProblemKind::EmptyWording);
            }
            match parse_number(&item.number) {
                None => push(ProblemKind::BadNumber(item.number.clone())),
                Some((section, _)) if section != item.group.section() => {
                    push(ProblemKind::NumberSectionMismatch {
                        number: item.number.clone(),
                        group: item.group.label_ja(),
                        section: item.group.section(),
                    });
                }
                Some(_) => {}
            }
            let expected = ItemId::build(self.fiscal_year, self.form, &item.number, item.target);
            if expected != item.id {
                push(ProblemKind::IdMismatch {
                    expected: expected.to_string(),
                    found: item.id.to_string(),
                });
            }
            match (item.group, item.subgroup) {
                (Group::Operations, None) => push(ProblemKind::MissingSubgroup),
                (Group::Operations, Some(sub)) => {
                    if item.target != sub.target() {
                        push(ProblemKind::TargetMismatch {
                            target: item.target.code(),
                            subgroup: sub.label_ja(),
                            expected: sub.target().code(),
                        });
                    }
                }
                (g, Some(_)) => push(ProblemKind::SubgroupNotAllowed(g.label_ja())),
                (g, None) => {
                    if item.target != Target::None {
                        push(ProblemKind::TargetMismatch {
                            target: item.target.code(),
                            subgroup: g.label_ja(),
                            expected: Target::None.code(),
                        });
                    }
                }
            }
            match item.required_by_fy {
                None => {
                    if item
                        .no_due_reason
                        .as_deref()
                        .is_none_or(|r| r.trim().is_empty())
                    {
                        push(ProblemKind::MissingDue);
                    }
                }
                Some(due) => {
                    if !(DUE_MIN..=max_due).contains(&due) {
                        push(ProblemKind::DueOutOfRange { due, max: max_due });
                    }
                }
            }
            if item.source.trim().is_empty() {
                push(ProblemKind::EmptySource);
            }
            if !is_key(&item.topic) {
                push(ProblemKind::BadTopic);
            } else if !topics.insert((item.topic.as_str(), item.target)) {
                push(ProblemKind::DuplicateTopicTarget {
                    topic: item.topic.clone(),
                    target: item.target.code(),
                });
            }
            if let Some(key) = &item.auto_evidence
                && !is_key(key)
            {
                push(ProblemKind::BadAutoEvidenceKey(key.clone()));
            }
            if item.has_unverified_flag() && item.review_notes.iter().all(|n| n.trim().is_empty()) {
                push(ProblemKind::UnverifiedWithoutNote);
            }
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_numbers() {
        assert_eq!(parse_number("1-(1)"), Some((1, 1)));
        assert_eq!(parse_number("2-(12)"), Some((2, 12)));
        assert_eq!(parse_number("2-①"), Some((2, 1)));
        assert_eq!(parse_number("3-⑳"), Some((3, 20)));
        for bad in [
            "4-(1)", "2-(0)", "2-()", "2-(x)", "2-1", "2-①②", "2(1)", "", "2-(123)",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys() {
        assert!(is_key("officer_designated"));
        assert!(!is_key(""));
        assert!(!is_key("Officer"));
        assert!(!is_key("a-b"));
    }
}
