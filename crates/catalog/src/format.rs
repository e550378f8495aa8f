//! The TOML data format (one file = one edition of one form) and its conversion to the
//! typed model. Every field the model needs is optional here so that a broken file yields
//! the full list of problems rather than the first missing field.

use serde::{Deserialize, Serialize};

use crate::model::{
    Edition, Explanation, Form, GateQuestion, Group, Item, ItemId, Subgroup, Target,
};
use crate::problem::{CatalogError, CatalogProblem, ProblemKind};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    edition: RawEdition,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    gate_questions: Vec<RawGate>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    fiscal_year: Option<i32>,
    form: Option<String>,
    title: Option<String>,
    title_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sources: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    id: Option<String>,
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    if_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope_note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    references: Vec<String>,
    wording_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    review_notes: Vec<String>,
    source: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Option<String>,
    number: Option<String>,
    topic: Option<String>,
    group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subgroup: Option<String>,
    target: Option<String>,
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required_by_fy: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_due_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    applicability: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_evidence: Option<String>,
    wording_verified: Option<bool>,
    number_verified: Option<bool>,
    due_verified: Option<bool>,
    references_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    review_notes: Vec<String>,
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<Explanation>,
}

/// Collects missing-field problems while pulling required values out of a raw record.
struct Req<'a> {
    location: String,
    problems: &'a mut Vec<CatalogProblem>,
    ok: bool,
}

impl Req<'_> {
    fn get<T>(&mut self, v: Option<T>, field: &'static str) -> Option<T> {
        if v.is_none() {
            self.ok = false;
            self.problems.push(CatalogProblem::new(
                self.location.clone(),
                ProblemKind::MissingField(field),
            ));
        }
        v
    }

    fn problem(&mut self, kind: ProblemKind) {
        self.ok = false;
        self.problems
            .push(CatalogProblem::new(self.location.clone(), kind));
    }
}

pub(crate) fn parse_edition(origin: &str, toml_text: &str) -> Result<Edition, CatalogError> {
    let raw: RawFile = toml::from_str(toml_text).map_err(|e| CatalogError::Parse {
        origin: origin.to_string(),
        message: e.to_string(),
    })?;
    let mut problems = Vec::new();

    let mut r = Req {
        location: "edition".to_string(),
        problems: &mut problems,
        ok: true,
    };
    let fiscal_year = r.get(raw.edition.fiscal_year, "edition.fiscal_year");
    let form_code = r.get(raw.edition.form, "edition.form");
    let title = r.get(raw.edition.title, "edition.title");
    let title_verified = r.get(raw.edition.title_verified, "edition.title_verified");
    let form = form_code.and_then(|c| {
        let f = Form::from_code(&c);
        if f.is_none() {
            r.problem(ProblemKind::UnknownForm(c));
        }
        f
    });
    let (Some(fiscal_year), Some(form), Some(title), Some(title_verified)) =
        (fiscal_year, form, title, title_verified)
    else {
        return Err(CatalogError::Invalid {
            origin: origin.to_string(),
            problems,
        });
    };

    let mut gate_questions = Vec::new();
    for (i, g) in raw.gate_questions.into_iter().enumerate() {
        let mut r = Req {
            location: g
                .id
                .clone()
                .unwrap_or_else(|| format!("gate_questions[{i}]")),
            problems: &mut problems,
            ok: true,
        };
        let id = r.get(g.id, "id");
        let text = r.get(g.text, "text");
        let wording_verified = r.get(g.wording_verified, "wording_verified");
        let source = r.get(g.source, "source");
        if let (Some(id), Some(text), Some(wording_verified), Some(source)) =
            (id, text, wording_verified, source)
        {
            gate_questions.push(GateQuestion {
                id,
                text,
                if_no: g.if_no,
                scope_note: g.scope_note,
                references: g.references,
                wording_verified,
                review_notes: g.review_notes,
                source,
            });
        }
    }

    let mut items = Vec::new();
    for (i, it) in raw.items.into_iter().enumerate() {
        let mut r = Req {
            location: it.id.clone().unwrap_or_else(|| format!("items[{i}]")),
            problems: &mut problems,
            ok: true,
        };
        let id = r.get(it.id, "id");
        let number = r.get(it.number, "number");
        let topic = r.get(it.topic, "topic");
        let group = r.get(it.group, "group").and_then(|c| {
            let g = Group::from_code(&c);
            if g.is_none() {
                r.problem(ProblemKind::UnknownGroup(c));
            }
            g
        });
        let subgroup = match it.subgroup {
            None => None,
            Some(c) => {
                let s = Subgroup::from_code(&c);
                if s.is_none() {
                    r.problem(ProblemKind::UnknownSubgroup(c));
                }
                s
            }
        };
        let target = r.get(it.target, "target").and_then(|c| {
            let t = Target::from_code(&c);
            if t.is_none() {
                r.problem(ProblemKind::UnknownTarget(c));
            }
            t
        });
        let text = r.get(it.text, "text");
        let wording_verified = r.get(it.wording_verified, "wording_verified");
        let number_verified = r.get(it.number_verified, "number_verified");
        let due_verified = r.get(it.due_verified, "due_verified");
        let references_verified = r.get(it.references_verified, "references_verified");
        let source = r.get(it.source, "source");
        let ok = r.ok;
        if let (
            true,
            Some(id),
            Some(number),
            Some(topic),
            Some(group),
            Some(target),
            Some(text),
            Some(wording_verified),
            Some(number_verified),
            Some(due_verified),
            Some(references_verified),
            Some(source),
        ) = (
            ok,
            id,
            number,
            topic,
            group,
            target,
            text,
            wording_verified,
            number_verified,
            due_verified,
            references_verified,
            source,
        ) {
            items.push(Item {
                id: ItemId::new(id),
                number,
                topic,
                text,
                group,
                subgroup,
                target,
                required_by_fy: it.required_by_fy,
                no_due_reason: it.no_due_reason,
                applicability: it.applicability,
                references: it.references,
                auto_evidence: it.auto_evidence,
                wording_verified,
                number_verified,
                due_verified,
                references_verified,
                review_notes: it.review_notes,
                source,
                explanation: it.explanation,
            });
        }
    }

    let edition = Edition {
        fiscal_year,
        form,
        title,
        title_verified,
        published: raw.edition.published,
        notes: raw.edition.notes,
        sources: raw.edition.sources,
        gate_questions,
        items,
        origin: origin.to_string(),
    };
    if let Err(more) = edition.validate() {
        problems.extend(more);
    }
    if problems.is_empty() {
        Ok(edition)
    } else {
        Err(CatalogError::Invalid {
            origin: origin.to_string(),
            problems,
        })
    }
}

pub(crate) fn to_toml(edition: &Edition) -> Result<String, CatalogError> {
    let raw = RawFile {
        edition: RawEdition {
            fiscal_year: Some(edition.fiscal_year),
            form: Some(edition.form.code().to_string()),
            title: Some(edition.title.clone()),
            title_verified: Some(edition.title_verified),
            published: edition.published.clone(),
            notes: edition.notes.clone(),
            sources: edition.sources.clone(),
        },
        gate_questions: edition
            .gate_questions
            .iter()
            .map(|g| RawGate {
                id: Some(g.id.clone()),
                text: Some(g.text.clone()),
                if_no: g.if_no.clone(),
                scope_note: g.scope_note.clone(),
                references: g.references.clone(),
                wording_verified: Some(g.wording_verified),
                review_notes: g.review_notes.clone(),
                source: Some(g.source.clone()),
            })
            .collect(),
        items: edition
            .items
            .iter()
            .map(|i| RawItem {
                id: Some(i.id.to_string()),
                number: Some(i.number.clone()),
                topic: Some(i.topic.clone()),
                group: Some(i.group.code().to_string()),
                subgroup: i.subgroup.map(|s| s.code().to_string()),
                target: Some(i.target.code().to_string()),
                text: Some(i.text.clone()),
                required_by_fy: i.required_by_fy,
                no_due_reason: i.no_due_reason.clone(),
                applicability: i.applicability.clone(),
                references: i.references.clone(),
                auto_evidence: i.auto_evidence.clone(),
                wording_verified: Some(i.wording_verified),
                number_verified: Some(i.number_verified),
                due_verified: Some(i.due_verified),
                references_verified: Some(i.references_verified),
                review_notes: i.review_notes.clone(),
                source: Some(i.source.clone()),
                explanation: i.explanation.clone(),
            })
            .collect(),
    };
    toml::to_string(&raw).map_err(|e| CatalogError::Serialize(e.to_string()))
}
