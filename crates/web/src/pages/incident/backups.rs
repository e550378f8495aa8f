//! バックアップ・復旧訓練 — per system (the systems of the accounts area): backup jobs
//! (方式, 世代数, オフライン/イミュータブル, 保管場所, 頻度, 最終成功日), whether it needs
//! backups, its restore procedure, and restore drills with result and duration (evidence
//! for 3-(2)). Every change re-runs the rules.

use anzen_core::calendar::{parse_date, wareki};
use anzen_core::{Action, OrgId};
use anzen_store::accounts;
use anzen_store::continuity::{self as store, BackupJobData, Drill, SystemPlan};
use anzen_store::findings as findings_store;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{FindingLine, finding_lines, opt};
use crate::ctx::{Authed, OrgCtx};
use crate::pages::{Layout, render, today_jst};
use crate::{AppError, AppState, checks};

/// A job as shown (with its form values).
pub struct JobLine {
    pub id: i64,
    pub method: String,
    pub generations: i64,
    pub offline: bool,
    pub location: String,
    pub frequency_days: i64,
    pub last_success: String,
    pub last_success_label: String,
    pub note: String,
}

/// A drill as shown.
pub struct DrillLine {
    pub date: String,
    pub ok: bool,
    pub minutes: String,
    pub note: String,
    pub by: String,
}

/// One system's section.
pub struct SystemSection {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub needed: bool,
    pub reason: String,
    pub procedure: String,
    pub jobs: Vec<JobLine>,
    pub drills: Vec<DrillLine>,
    pub findings: Vec<FindingLine>,
}

#[derive(Template)]
#[template(path = "incident_backups.html")]
struct Page {
    layout: Layout,
    org: i64,
    systems: Vec<SystemSection>,
    today: String,
    min_generations: u32,
    drill_days: u32,
    can_edit: bool,
    errors: Vec<String>,
}

async fn page_with(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (systems, jobs, plans, drills, open) = state
        .db(move |c| {
            Ok((
                accounts::systems(c, &o)?,
                store::jobs(c, &o)?,
                store::system_plans(c, &o)?,
                store::drills(c, &o)?,
                findings_store::list(c, &o, true)?,
            ))
        })
        .await?;
    let sections = systems
        .iter()
        .map(|s| {
            let plan = plans.iter().find(|p| p.system_id == s.id);
            let subject = format!("system:{}", s.data.name);
            SystemSection {
                id: s.id,
                name: s.data.name.clone(),
                kind: s.data.kind.clone(),
                needed: plan.is_none_or(|p| p.needed),
                reason: plan.and_then(|p| p.reason.clone()).unwrap_or_default(),
                procedure: plan
                    .and_then(|p| p.restore_procedure.clone())
                    .unwrap_or_default(),
                jobs: jobs
                    .iter()
                    .filter(|j| j.data.system_id == s.id)
                    .map(|j| JobLine {
                        id: j.id,
                        method: j.data.method.clone(),
                        generations: j.data.generations,
                        offline: j.data.offline,
                        location: j.data.location.clone().unwrap_or_default(),
                        frequency_days: j.data.frequency_days,
                        last_success: j.data.last_success.clone().unwrap_or_default(),
                        last_success_label: j
                            .data
                            .last_success
                            .as_deref()
                            .and_then(|d| parse_date(d).ok())
                            .map_or_else(|| "記録なし".to_owned(), wareki),
                        note: j.data.note.clone().unwrap_or_default(),
                    })
                    .collect(),
                drills: drills
                    .iter()
                    .filter(|d| d.system_id == s.id)
                    .map(|d| DrillLine {
                        date: parse_date(&d.drill_date)
                            .map_or_else(|_| d.drill_date.clone(), wareki),
                        ok: d.ok,
                        minutes: d.minutes.map(|m| format!("{m}分")).unwrap_or_default(),
                        note: d.note.clone().unwrap_or_default(),
                        by: d.recorded_by.clone(),
                    })
                    .collect(),
                findings: finding_lines(
                    &open
                        .iter()
                        .filter(|f| f.subject == subject)
                        .cloned()
                        .collect::<Vec<_>>(),
                    "backup.",
                ),
            }
        })
        .collect();
    let policy = anzen_core::rules::incident::BackupPolicy::default();
    let status = crate::pages::form_status(errors.is_empty());
    let html = render(&Page {
        layout: Layout::org(state, ctx, "バックアップ・復旧訓練", "nav.incident"),
        org: ctx.org.id.0,
        systems: sections,
        today: today_jst().to_string(),
        min_generations: policy.min_generations,
        drill_days: policy.drill_within_days,
        can_edit: ctx.role.can(Action::EditRecords),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/incident/backups`
pub async fn page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    page_with(&state, &ctx, Vec::new()).await
}

/// The backup job form.
#[derive(Deserialize, Default)]
pub struct JobForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub system_id: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub generations: String,
    #[serde(default)]
    pub offline: Option<String>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub frequency_days: String,
    #[serde(default)]
    pub last_success: String,
    #[serde(default)]
    pub note: String,
}

fn number(label: &str, s: &str, lo: i64, hi: i64, errors: &mut Vec<String>) -> i64 {
    match s.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => n,
        _ => {
            errors.push(format!(
                "「{label}」{} は{lo}〜{hi}の数字で入力してください。",
                s.trim()
            ));
            0
        }
    }
}

fn date_field(label: &str, s: &str, errors: &mut Vec<String>) -> Option<String> {
    match s.trim() {
        "" => None,
        v => match parse_date(v) {
            Ok(d) if d <= today_jst() => Some(d.to_string()),
            Ok(_) => {
                errors.push(format!("「{label}」{v} は未来の日付です。"));
                None
            }
            Err(_) => {
                errors.push(format!(
                    "「{label}」{v} は日付の形（2026-11-20、令和8年11月20日など）で入力してください。"
                ));
                None
            }
        },
    }
}

/// Checks the job form; Japanese errors name the field.
pub fn parse_job(f: &JobForm) -> Result<BackupJobData, Vec<String>> {
    let mut errors = Vec::new();
    let system_id = f.system_id.trim().parse::<i64>().unwrap_or_else(|_| {
        errors.push("「システム」を選んでください。".to_owned());
        0
    });
    if f.method.trim().is_empty() {
        errors.push(
            "「方式・媒体」を入力してください（例: NAS、外付けHDD、テープ、クラウド）。".to_owned(),
        );
    }
    let generations = number("保持世代数", &f.generations, 0, 10_000, &mut errors);
    let frequency_days = match f.frequency_days.trim() {
        "" => 0,
        s => number("取得間隔（日）", s, 0, 3650, &mut errors),
    };
    let last_success = date_field("最終成功日", &f.last_success, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(BackupJobData {
        system_id,
        method: f.method.trim().chars().take(100).collect(),
        generations,
        offline: f.offline.is_some(),
        location: opt(&f.location, 200),
        frequency_days,
        last_success,
        note: opt(&f.note, 1000),
    })
}

async fn save_job(
    state: &AppState,
    ctx: &OrgCtx,
    id: Option<i64>,
    f: &JobForm,
) -> Result<Response, AppError> {
    let data = match parse_job(f) {
        Ok(d) => d,
        Err(e) => return page_with(state, ctx, e).await,
    };
    let (o, actor, org) = (ctx.org.clone(), ctx.actor(), ctx.org.id.0);
    state
        .tx(move |c| {
            store::save_job(c, &o, &actor, id, &data)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/backups")).into_response())
}

/// `POST /o/{org}/incident/backups/jobs`: adds a backup job.
pub async fn add_job(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<JobForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    save_job(&state, &ctx, None, &f).await
}

/// `POST /o/{org}/incident/backups/jobs/{id}`: changes a backup job.
pub async fn update_job(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<JobForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    save_job(&state, &ctx, Some(id), &f).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /o/{org}/incident/backups/jobs/{id}/delete`
pub async fn delete_job(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::delete_job(c, &o, &actor, id)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/backups")).into_response())
}

#[derive(Deserialize)]
pub struct SystemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    not_needed: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    procedure: String,
}

/// `POST /o/{org}/incident/backups/systems/{id}`: whether the system needs backups, and
/// its restore procedure.
pub async fn save_system(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<SystemForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let needed = f.not_needed.is_none();
    let reason = opt(&f.reason, 500);
    if !needed && reason.is_none() {
        return page_with(
            &state,
            &ctx,
            vec!["バックアップ不要とする場合は、その理由を入力してください。".to_owned()],
        )
        .await;
    }
    let plan = SystemPlan {
        system_id: id,
        needed,
        reason,
        restore_procedure: opt(&f.procedure, 20_000),
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::save_system_plan(c, &o, &actor, &plan)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/backups#system-{id}")).into_response())
}

#[derive(Deserialize)]
pub struct DrillForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    system_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    note: String,
}

/// `POST /o/{org}/incident/backups/drills`: records a restore drill.
pub async fn add_drill(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<DrillForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let mut errors = Vec::new();
    let system_id = f.system_id.trim().parse::<i64>().unwrap_or_else(|_| {
        errors.push("「システム」を選んでください。".to_owned());
        0
    });
    let date = date_field("実施日", &f.date, &mut errors);
    if date.is_none() && f.date.trim().is_empty() {
        errors.push("「実施日」を入力してください。".to_owned());
    }
    let ok = match f.result.trim() {
        "ok" => true,
        "ng" => false,
        _ => {
            errors.push("「結果」を選んでください。".to_owned());
            false
        }
    };
    let minutes = match f.minutes.trim() {
        "" => None,
        s => Some(number("所要時間（分）", s, 0, 100_000, &mut errors)),
    };
    let (Some(drill_date), true) = (date, errors.is_empty()) else {
        return page_with(&state, &ctx, errors).await;
    };
    let d = Drill {
        id: 0,
        system_id,
        drill_date,
        ok,
        minutes,
        note: opt(&f.note, 1000),
        recorded_by: String::new(),
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            store::add_drill(c, &o, &actor, &d)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/incident/backups#system-{system_id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_form_errors_name_the_field() {
        let e = parse_job(&JobForm {
            system_id: "x".into(),
            generations: "三".into(),
            last_success: "2026/13/40".into(),
            ..JobForm::default()
        })
        .expect_err("invalid");
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e.iter().any(|m| m.contains("保持世代数")));
        assert!(e.iter().any(|m| m.contains("最終成功日")));
        let ok = parse_job(&JobForm {
            system_id: "3".into(),
            method: " NAS ".into(),
            generations: "7".into(),
            offline: Some("1".into()),
            last_success: "令和7年4月1日".into(),
            ..JobForm::default()
        })
        .expect("valid");
        assert_eq!(ok.method, "NAS");
        assert_eq!(ok.last_success.as_deref(), Some("2025-04-01"));
        assert!(ok.offline);
    }
}
