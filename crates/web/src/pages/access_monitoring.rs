//! アクセスログの監視 — the monitoring settings page (`/o/{org}/access-log/monitoring`):
//! 業務時間 per weekday, 祝日, thresholds, VIP・職員患者 and 登録端末 lists pasted one per line.
//! Saving re-runs the monitoring over the last 31 days (the findings follow the settings).
//!
//! Who: the roles that may read the access log see the settings; 管理者 and 安全管理責任者
//! (`EditOrgProfile`) change them.

use std::collections::HashMap;

use anzen_core::calendar::parse_date;
use anzen_core::{Action, OrgId};
use anzen_store::access_monitoring::{
    self as monitoring, DayHours, MonitoringSettings, StaffPatient,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, jst, render};
use crate::checks;
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState};

/// 月〜日.
pub const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
/// The period `anzen check` and a settings change look at.
pub const RECHECK_DAYS: i64 = 31;

/// The form as shown (and as submitted, on errors).
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    /// (start, end) per weekday, `HH:MM` or blank.
    pub hours: Vec<(String, String)>,
    pub holidays_closed: bool,
    pub closed_days: String,
    pub always_open: String,
    pub patients_per_hour: String,
    pub failed_logins: String,
    pub failed_window_minutes: String,
    pub outputs_per_hour: String,
    pub vip_patients: String,
    pub staff_patients: String,
    pub terminals: String,
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl FormValues {
    fn of(s: &MonitoringSettings) -> FormValues {
        FormValues {
            hours: s
                .weekday_hours
                .iter()
                .map(|h| match h {
                    Some(h) => (hhmm(h.start_minute), hhmm(h.end_minute)),
                    None => (String::new(), String::new()),
                })
                .collect(),
            holidays_closed: s.holidays_closed,
            closed_days: s.closed_days.join("\n"),
            always_open: s.always_open.join("\n"),
            patients_per_hour: s.patients_per_hour.to_string(),
            failed_logins: s.failed_logins.to_string(),
            failed_window_minutes: s.failed_window_minutes.to_string(),
            outputs_per_hour: s.outputs_per_hour.to_string(),
            vip_patients: s.vip_patients.join("\n"),
            staff_patients: s
                .staff_patients
                .iter()
                .map(|p| format!("{},{}", p.patient, p.staff_id))
                .collect::<Vec<_>>()
                .join("\n"),
            terminals: s.terminals.join("\n"),
        }
    }

    fn from_form(f: &HashMap<String, String>) -> FormValues {
        let g = |k: &str| f.get(k).cloned().unwrap_or_default();
        FormValues {
            hours: (0..7)
                .map(|i| (g(&format!("start{i}")), g(&format!("end{i}"))))
                .collect(),
            holidays_closed: f.contains_key("holidays_closed"),
            closed_days: g("closed_days"),
            always_open: g("always_open"),
            patients_per_hour: g("patients_per_hour"),
            failed_logins: g("failed_logins"),
            failed_window_minutes: g("failed_window_minutes"),
            outputs_per_hour: g("outputs_per_hour"),
            vip_patients: g("vip_patients"),
            staff_patients: g("staff_patients"),
            terminals: g("terminals"),
        }
    }
}

/// `8:30`, `08:30`, `０８：３０`, `24:00` → minutes.
fn parse_clock(s: &str) -> Option<u16> {
    let s: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '：' => ':',
            _ => c,
        })
        .collect();
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// The non-empty lines of a text area with their line numbers (1-based), trimmed.
fn lines(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.lines()
        .enumerate()
        .map(|(i, l)| {
            (
                i + 1,
                l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'),
            )
        })
        .filter(|(_, l)| !l.is_empty())
}

/// Reads the form; Japanese errors name the field, the line and the reason.
pub fn parse(v: &FormValues) -> Result<MonitoringSettings, Vec<String>> {
    let mut errors = Vec::new();
    let mut s = MonitoringSettings::default();
    for (i, (a, b)) in v.hours.iter().enumerate().take(7) {
        let day = WEEKDAYS[i];
        s.weekday_hours[i] = match (a.trim().is_empty(), b.trim().is_empty()) {
            (true, true) => None,
            (false, false) => match (parse_clock(a), parse_clock(b)) {
                (Some(x), Some(y)) if x != y => Some(DayHours {
                    start_minute: x,
                    end_minute: y % (24 * 60),
                }),
                (Some(_), Some(_)) => {
                    errors.push(format!(
                        "業務時間（{day}曜日）: 開始と終了が同じです。休みの日は両方とも空欄にしてください。"
                    ));
                    None
                }
                _ => {
                    errors.push(format!(
                        "業務時間（{day}曜日）: 時刻を読めません（例: 08:30）。"
                    ));
                    None
                }
            },
            _ => {
                errors.push(format!(
                    "業務時間（{day}曜日）: 開始と終了の両方を入力してください（休みの日は両方とも空欄）。"
                ));
                None
            }
        };
    }
    s.holidays_closed = v.holidays_closed;
    for (n, l) in lines(&v.closed_days) {
        match parse_date(l) {
            Ok(d) => s.closed_days.push(d.to_string()),
            Err(e) => errors.push(format!(
                "「休業日」{n}行目「{l}」: 日付を読めません（{}）。",
                e.message_ja()
            )),
        }
    }
    s.always_open = lines(&v.always_open).map(|(_, l)| l.to_owned()).collect();
    let mut number = |label: &str, raw: &str, min: u32, max: u32| -> u32 {
        match raw.trim().parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                errors.push(format!(
                    "「{label}」: {min}〜{max} の整数を入力してください（入力: 「{}」）。",
                    raw.trim()
                ));
                min
            }
        }
    };
    s.patients_per_hour = number(
        "1時間あたりの患者数の上限",
        &v.patients_per_hour,
        1,
        100_000,
    );
    s.failed_logins = number("ログイン失敗の回数", &v.failed_logins, 1, 1000);
    s.failed_window_minutes = number(
        "ログイン失敗を数える時間（分）",
        &v.failed_window_minutes,
        1,
        1440,
    );
    s.outputs_per_hour = number(
        "1時間あたりの印刷・出力の上限",
        &v.outputs_per_hour,
        1,
        1_000_000,
    );
    s.vip_patients = lines(&v.vip_patients).map(|(_, l)| l.to_owned()).collect();
    for (n, l) in lines(&v.staff_patients) {
        let f: Vec<&str> = l.split([',', '、', '，', '\t']).map(str::trim).collect();
        match f.as_slice() {
            [p, id] if !p.is_empty() && !id.is_empty() => s.staff_patients.push(StaffPatient {
                patient: (*p).to_owned(),
                staff_id: (*id).to_owned(),
            }),
            _ => errors.push(format!(
                "「職員である患者」{n}行目「{l}」: 「患者ID,職員番号」の形で入力してください。"
            )),
        }
    }
    s.terminals = lines(&v.terminals).map(|(_, l)| l.to_owned()).collect();
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

#[derive(Template)]
#[template(path = "access_monitoring.html")]
struct SettingsPage {
    layout: Layout,
    org: i64,
    weekdays: [&'static str; 7],
    v: FormValues,
    errors: Vec<String>,
    can_edit: bool,
    updated: Option<String>,
    saved: bool,
}

async fn page(
    state: &AppState,
    ctx: &OrgCtx,
    shown: Option<FormValues>,
    errors: Vec<String>,
    saved: bool,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let stored = state.db(move |c| Ok(monitoring::settings(c, &o)?)).await?;
    let status = super::form_status(errors.is_empty());
    let html = render(&SettingsPage {
        layout: Layout::org(state, ctx, "アクセスログの監視設定", "nav.access_log"),
        org: ctx.org.id.0,
        weekdays: WEEKDAYS,
        v: shown.unwrap_or_else(|| FormValues::of(&stored.settings)),
        errors,
        can_edit: ctx.role.can(Action::EditOrgProfile),
        updated: stored.updated.map(|(by, at)| format!("{} {by}", jst(at))),
        saved,
    })?;
    Ok((status, html).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /o/{org}/access-log/monitoring`
pub async fn settings_page(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadAudit)?;
    page(&state, &ctx, None, Vec::new(), q.saved.is_some()).await
}

/// `POST /o/{org}/access-log/monitoring` — saves the settings (audited with before and
/// after) and re-runs the monitoring over the last 31 days, in one transaction.
pub async fn save_settings(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth
        .check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    ctx.require(Action::ReadAudit)?;
    ctx.require(Action::EditOrgProfile)?;
    let v = FormValues::from_form(&f);
    let s = match parse(&v) {
        Ok(s) => s,
        Err(e) => return page(&state, &ctx, Some(v), e, false).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            monitoring::set_settings(c, &o, &actor, &s)?;
            let now = anzen_store::now_us();
            checks::check_access_log(c, &o, &actor, now - RECHECK_DAYS * 86_400_000_000, now)?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/access-log/monitoring?saved=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormValues {
        FormValues::of(&MonitoringSettings::default())
    }

    #[test]
    fn reads_hours_lists_and_numbers() {
        let mut v = form();
        v.hours[5] = ("８：３０".into(), "12:30".into());
        v.hours[6] = ("22:00".into(), "06:00".into());
        v.closed_days = "2025-12-29\n\n令和7年12月30日\n".into();
        v.vip_patients = " P-VIP \n\u{3000}\nP-2".into();
        v.staff_patients = "P-9\tS001\nP-10,S002".into();
        let s = parse(&v).expect("valid");
        assert_eq!(
            s.weekday_hours[5],
            Some(DayHours {
                start_minute: 510,
                end_minute: 750
            })
        );
        assert_eq!(s.weekday_hours[6].map(|h| h.end_minute), Some(360));
        assert_eq!(s.closed_days, ["2025-12-29", "2025-12-30"]);
        assert_eq!(s.vip_patients, ["P-VIP", "P-2"]);
        assert_eq!(s.staff_patients[0].staff_id, "S001");
        assert_eq!(FormValues::of(&s).staff_patients, "P-9,S001\nP-10,S002");
    }

    #[test]
    fn japanese_errors_name_field_and_line() {
        let mut v = form();
        v.hours[0] = ("8:30".into(), String::new());
        v.hours[1] = ("25:00".into(), "17:00".into());
        v.closed_days = "2025-12-29\n2025-13-01".into();
        v.patients_per_hour = "たくさん".into();
        v.staff_patients = "P-9".into();
        let e = parse(&v).expect_err("invalid");
        assert_eq!(e.len(), 5, "{e:#?}");
        assert!(e[0].contains("月曜日") && e[0].contains("両方"), "{}", e[0]);
        assert!(e[1].contains("火曜日") && e[1].contains("読めません"));
        assert!(e[2].contains("「休業日」2行目「2025-13-01」"), "{}", e[2]);
        assert!(e[3].contains("1時間あたりの患者数") && e[3].contains("たくさん"));
        assert!(e[4].contains("「職員である患者」1行目"), "{}", e[4]);
    }
}
