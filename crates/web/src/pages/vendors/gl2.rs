//! 2省GL 該当性チェック of a vendor (`/o/{org}/vendors/{id}/gl2`): one page with every
//! question of `anzen_core::rules::gl2::QUESTIONS`. The answers go back to the same page by
//! GET (「次へ（判定を更新）」) and the page is re-rendered server-side: questions the
//! answers do not reach are shown disabled (so they are not submitted), and the reasoning
//! with its criteria and sources is shown before saving. Saving (POST) evaluates the
//! answers again — the posted outcome is never trusted — stores a new assessment with the
//! reasoning text, re-runs the vendor rules (the サービス仕様適合開示書 follows the outcome)
//! and returns to the vendor page. The saved history is listed below.

use anzen_core::rules::gl2::{self, Answers, Verdict};
use anzen_core::{Action, OrgId};
use anzen_store::gl2::{self as store_gl2, Assessment, NewAssessment};
use anzen_store::vendors as vs;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Pairs, edit_ctx};
use crate::ctx::Authed;
use crate::pages::{Layout, jst, render, today_jst};
use crate::{AppError, AppState, checks};

/// One question as shown.
pub struct QuestionView {
    pub id: &'static str,
    pub n: usize,
    pub text: &'static str,
    pub help: &'static str,
    /// Reached by the current answers (otherwise shown disabled).
    pub reached: bool,
    /// The first reached question still to answer.
    pub pending: bool,
    /// code, label, checked
    pub choices: Vec<(&'static str, &'static str, bool)>,
}

/// One step of the reasoning as shown.
pub struct StepView {
    pub text: &'static str,
    pub answer: String,
    pub criterion: String,
    pub source: &'static str,
}

/// A saved assessment as listed.
pub struct HistoryLine {
    pub at: String,
    pub by: String,
    pub verdict: &'static str,
    pub note: String,
    pub reasoning: String,
}

/// The verdict's label of a stored outcome code.
pub fn verdict_label(code: &str) -> &'static str {
    Verdict::parse(code).map_or("不明", Verdict::label_ja)
}

pub fn history_line(a: &Assessment) -> HistoryLine {
    HistoryLine {
        at: jst(a.assessed_at),
        by: a.assessed_by.clone(),
        verdict: verdict_label(&a.outcome),
        note: a.note.clone().unwrap_or_default(),
        reasoning: a.reasoning.clone(),
    }
}

#[derive(Template)]
#[template(path = "vendor_gl2.html")]
struct Page {
    layout: Layout,
    org: i64,
    vendor_id: i64,
    vendor_name: String,
    questions: Vec<QuestionView>,
    steps: Vec<StepView>,
    verdict: &'static str,
    verdict_code: &'static str,
    gl2: &'static str,
    phr: &'static str,
    conclusion: String,
    appi_note: &'static str,
    /// The answers to save (reached questions only).
    used: Vec<(String, String)>,
    history: Vec<HistoryLine>,
    can_edit: bool,
}

/// The answers among posted pairs: every pair whose key is a question id.
fn answers_of(pairs: &[(String, String)]) -> Answers {
    pairs
        .iter()
        .filter(|(k, _)| gl2::question(k).is_some())
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect()
}

/// `GET /o/{org}/vendors/{id}/gl2[?step=1&relation=…]`: the questionnaire with the current
/// answers (without `step`, the latest saved answers), the reasoning and the history.
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let (vendor, history) = state
        .db(move |c| {
            let v = vs::get(c, &o, id)?.ok_or(AppError::NotFound)?;
            let h = store_gl2::history(c, &o, v.id)?;
            Ok((v, h))
        })
        .await?;
    let answers = if q.iter().any(|(k, _)| k == "step") {
        answers_of(&q)
    } else {
        history
            .first()
            .map(|a| a.answers.clone())
            .unwrap_or_default()
    };
    let outcome = gl2::evaluate(&answers);
    let questions = gl2::QUESTIONS
        .iter()
        .enumerate()
        .map(|(i, qu)| {
            let reached = outcome.reached.contains(&qu.id);
            let given = outcome.used.get(qu.id).or_else(|| answers.get(qu.id));
            QuestionView {
                id: qu.id,
                n: i + 1,
                text: qu.text,
                help: qu.help,
                reached,
                pending: outcome.pending == Some(qu.id),
                choices: qu
                    .choices
                    .iter()
                    .map(|c| {
                        (
                            c.code,
                            c.label,
                            reached && given.map(String::as_str) == Some(c.code),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let steps = outcome
        .steps
        .iter()
        .map(|s| StepView {
            text: s.text,
            answer: s.answer.unwrap_or("（未回答）").to_owned(),
            criterion: s.criterion.clone(),
            source: s.source,
        })
        .collect();
    render(&Page {
        layout: Layout::org(
            &state,
            &ctx,
            &format!("{}: 2省GL 該当性チェック", vendor.data.name),
            "nav.vendors",
        ),
        org,
        vendor_id: vendor.id,
        vendor_name: vendor.data.name.clone(),
        questions,
        steps,
        verdict: outcome.verdict.label_ja(),
        verdict_code: outcome.verdict.code(),
        gl2: outcome.gl2.label_ja(),
        phr: outcome.phr_guideline.label_ja(),
        conclusion: outcome.conclusion_ja(),
        appi_note: outcome.appi_note,
        used: outcome.used.clone().into_iter().collect(),
        history: history.iter().map(history_line).collect(),
        can_edit: ctx.role.can(Action::EditRecords),
    })
}

/// `POST /o/{org}/vendors/{id}/gl2` (csrf, the answers, note): saves the evaluation of the
/// posted answers and re-runs the vendor rules, in one transaction.
pub async fn save(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let p = Pairs(pairs);
    edit_ctx(&ctx, &p)?;
    let answers = answers_of(&p.0);
    let outcome = gl2::evaluate(&answers);
    let note = p.opt("note");
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store_gl2::save(
                c,
                &o,
                &actor,
                id,
                &NewAssessment {
                    version: gl2::VERSION,
                    answers: &outcome.used,
                    outcome: outcome.verdict.code(),
                    reasoning: &outcome.reasoning_ja(),
                    note: note.as_deref(),
                },
            )?;
            checks::check_vendors(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/vendors/{id}#gl2")).into_response())
}
