//! アカウント管理 — the accounts and access rights audit pages: the systems (システム台帳),
//! imports of account lists and of the staff roster (職員名簿; CSV/xlsx, all or nothing,
//! previewed), each kept as a dated snapshot; per system the current accounts with their
//! findings, the access policy, the history of imports and the monthly 棚卸 sign-off.
//! Every import re-runs the account rules in the same transaction.

use crate::account_files::{account_record, staff_record};
use anzen_core::calendar::parse_date;
use anzen_core::rules::accounts::{account_subject, system_subject_prefix};
use anzen_core::{Action, OrgId};
use anzen_store::accounts::{
    self, AccountRecord, Policy, Review, Snapshot, Source, StaffRecord, System, SystemData,
};
use anzen_store::findings::{self as findings_store, Finding};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Layout, jst, render, today_jst};
use crate::ctx::{Authed, OrgCtx};
use crate::{AppError, AppState, checks, policy_file, stage, upload};

/// Largest list accepted.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// Body limit of the import route.
pub const BODY_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;

/// A system as listed.
struct SystemLine {
    id: i64,
    name: String,
    kind: String,
    mfa: &'static str,
    latest: String,
    findings: usize,
    reviewed: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct ListPage {
    layout: Layout,
    org: i64,
    systems: Vec<SystemLine>,
    roster: String,
    /// 「許可 12件、管理者権限 2件、…（3システム）」, empty when no policy is recorded.
    policy: String,
    month: String,
    can_edit: bool,
    can_export: bool,
    errors: Vec<String>,
}

fn month_of(d: jiff::civil::Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// `GET /o/{org}/accounts`
pub async fn list(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    list_page(&state, &ctx, Vec::new()).await
}

async fn list_page(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (systems, snaps, open, reviews, policy) = state
        .db(move |c| {
            Ok((
                accounts::systems(c, &o)?,
                accounts::snapshots(c, &o)?,
                findings_store::list(c, &o, true)?,
                accounts::reviews(c, &o)?,
                accounts::policy(c, &o)?,
            ))
        })
        .await?;
    let policy_line = {
        let mut with: Vec<i64> = policy
            .allowed
            .iter()
            .map(|x| x.0)
            .chain(policy.admin_roles.iter().map(|x| x.0))
            .chain(policy.owners.iter().map(|x| x.0))
            .chain(policy.windows.iter().map(|x| x.0))
            .collect();
        with.sort_unstable();
        with.dedup();
        if with.is_empty() {
            String::new()
        } else {
            format!(
                "許可 {}件、管理者権限 {}件、責任者 {}件、保守期間 {}件（{}システム）",
                policy.allowed.len(),
                policy.admin_roles.len(),
                policy.owners.len(),
                policy.windows.len(),
                with.len()
            )
        }
    };
    let month = month_of(today_jst());
    let lines = systems
        .iter()
        .map(|s| {
            let latest = snaps
                .iter()
                .find(|x| x.kind == "accounts" && x.system_id == Some(s.id));
            SystemLine {
                id: s.id,
                name: s.data.name.clone(),
                kind: s.data.kind.clone(),
                mfa: if s.data.supports_mfa {
                    "対応"
                } else {
                    "非対応"
                },
                latest: latest.map_or_else(
                    || "未取り込み".to_owned(),
                    |x| format!("{}（{}件）", jst(x.imported_at), x.row_count),
                ),
                findings: open
                    .iter()
                    .filter(|f| f.subject.starts_with(&system_subject_prefix(&s.data.name)))
                    .count(),
                reviewed: reviews
                    .iter()
                    .find(|r| r.system_id == s.id && r.month == month)
                    .map_or_else(String::new, |r| format!("{}（{}）", r.month, r.signed_by)),
            }
        })
        .collect();
    let roster = snaps.iter().find(|x| x.kind == "staff").map_or_else(
        || "未取り込み".to_owned(),
        |x| {
            format!(
                "{}（{}名、{}）",
                jst(x.imported_at),
                x.row_count,
                x.file_name
            )
        },
    );
    let status = super::form_status(errors.is_empty());
    let html = render(&ListPage {
        layout: Layout::org(state, ctx, "アカウント管理", "nav.accounts"),
        org: ctx.org.id.0,
        systems: lines,
        roster,
        policy: policy_line,
        month,
        can_edit: ctx.role.can(Action::EditRecords),
        can_export: ctx.role.can(Action::Export),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// The system form as posted.
#[derive(Deserialize, Default)]
pub struct SystemForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    supports_mfa: Option<String>,
    #[serde(default)]
    min_password_len: String,
    #[serde(default)]
    note: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(200).collect())
}

fn parse_system(f: &SystemForm) -> Result<SystemData, Vec<String>> {
    let mut errors = Vec::new();
    if f.name.trim().is_empty() {
        errors.push("システム名を入力してください。".to_owned());
    }
    let min_password_len = match f.min_password_len.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) if (1..=256).contains(&n) => Some(n),
            _ => {
                errors.push(format!(
                    "パスワードの最小文字数「{s}」は1〜256の数字で入力してください。"
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SystemData {
        name: f.name.trim().chars().take(100).collect(),
        kind: opt(&f.kind).unwrap_or_else(|| "その他".to_owned()),
        owner: opt(&f.owner),
        vendor: opt(&f.vendor),
        supports_mfa: f.supports_mfa.is_some(),
        min_password_len,
        note: opt(&f.note),
    })
}

/// `POST /o/{org}/accounts/systems`: adds a system.
pub async fn create_system(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<SystemForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse_system(&f) {
        Ok(d) => d,
        Err(e) => return list_page(&state, &ctx, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    match state
        .tx(move |c| {
            let s = accounts::save_system(c, &o, &actor, None, &data)?;
            // A new system needs backups and may bring a vendor for the 連絡体制図.
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(s)
        })
        .await
    {
        Ok(s) => Ok(Redirect::to(&format!("/o/{org}/accounts/systems/{}", s.id)).into_response()),
        Err(AppError::BadRequest(m)) => list_page(&state, &ctx, vec![m]).await,
        Err(e) => Err(e),
    }
}

/// An account as shown, with its findings.
struct AccountLine {
    account_id: String,
    name: String,
    staff_id: String,
    role: String,
    enabled: bool,
    last_login: String,
    mfa: &'static str,
    password_changed: String,
    findings: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "account_system.html")]
struct SystemPage {
    layout: Layout,
    org: i64,
    system: System,
    accounts: Vec<AccountLine>,
    latest: Option<Snapshot>,
    /// (import, link to its changes since the previous import).
    history: Vec<(String, Option<String>)>,
    allowed: String,
    admin_roles: String,
    owners: String,
    windows: String,
    reviews: Vec<Review>,
    /// (asset id, label, linked) of the organisation's assets in service.
    assets: Vec<(i64, String, bool)>,
    month: String,
    signed: bool,
    open: usize,
    can_edit: bool,
    can_sign: bool,
    errors: Vec<String>,
}

async fn system_page(
    state: &AppState,
    ctx: &OrgCtx,
    id: i64,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let o = ctx.org.clone();
    let (system, snaps, rows, policy, reviews, open, assets) = state
        .db(move |c| {
            let system = accounts::system(c, &o, id)?.ok_or(AppError::NotFound)?;
            let snaps: Vec<Snapshot> = accounts::snapshots(c, &o)?
                .into_iter()
                .filter(|s| s.system_id == Some(id))
                .collect();
            let rows = match snaps.first() {
                Some(s) => accounts::snapshot_accounts(c, s.id)?,
                None => Vec::new(),
            };
            let reviews: Vec<Review> = accounts::reviews(c, &o)?
                .into_iter()
                .filter(|r| r.system_id == id)
                .collect();
            let open: Vec<Finding> = findings_store::list(c, &o, true)?;
            let linked = accounts::system_assets(c, &o, id)?;
            let assets: Vec<(i64, String, bool)> = anzen_store::assets::list(c, &o)?
                .into_iter()
                .filter(|a| {
                    a.data.status != anzen_core::asset::AssetStatus::Retired
                        || linked.contains(&a.id)
                })
                .map(|a| {
                    (
                        a.id,
                        format!(
                            "{} {}（{}）",
                            a.data.key,
                            a.data.name,
                            a.data.kind.label_ja()
                        ),
                        linked.contains(&a.id),
                    )
                })
                .collect();
            Ok((
                system,
                snaps,
                rows,
                accounts::policy(c, &o)?,
                reviews,
                open,
                assets,
            ))
        })
        .await?;
    let prefix = system_subject_prefix(&system.data.name);
    let mine: Vec<&Finding> = open
        .iter()
        .filter(|f| f.subject.starts_with(&prefix))
        .collect();
    let accounts = rows
        .iter()
        .map(|a| {
            let subject = account_subject(&system.data.name, &a.account_id);
            AccountLine {
                account_id: a.account_id.clone(),
                name: a.name.clone().unwrap_or_default(),
                staff_id: a
                    .staff_id
                    .clone()
                    .unwrap_or_else(|| "（共用・事業者）".to_owned()),
                role: a.role.clone(),
                enabled: a.enabled,
                last_login: a.last_login.clone().unwrap_or_default(),
                mfa: match a.mfa {
                    Some(true) => "あり",
                    Some(false) => "なし",
                    None => "",
                },
                password_changed: a.password_changed.clone().unwrap_or_default(),
                findings: mine
                    .iter()
                    .filter(|f| f.subject == subject)
                    .map(|f| (f.severity.label_ja().to_owned(), f.title.clone()))
                    .collect(),
            }
        })
        .collect();
    // Each import with a link to what changed since the one before it.
    let history = snaps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let text = format!(
                "{} {}（{}件、{}、{}）",
                jst(s.imported_at),
                s.file_name,
                s.row_count,
                if s.source == "ldap" {
                    "LDAP"
                } else {
                    "ファイル"
                },
                s.imported_by
            );
            let link = snaps.get(i + 1).map(|prev| {
                format!(
                    "/o/{}/accounts/changes?system={id}&from={}&to={}",
                    ctx.org.id.0, prev.id, s.id
                )
            });
            (text, link)
        })
        .collect();
    let lines = |v: Vec<String>| v.join("\n");
    let month = month_of(today_jst());
    let status = super::form_status(errors.is_empty());
    let html = render(&SystemPage {
        layout: Layout::org(state, ctx, &system.data.name, "nav.accounts"),
        org: ctx.org.id.0,
        allowed: lines(
            policy
                .allowed
                .iter()
                .filter(|x| x.0 == id)
                .map(|x| format!("{},{}", x.1, x.2))
                .collect(),
        ),
        admin_roles: lines(
            policy
                .admin_roles
                .iter()
                .filter(|x| x.0 == id)
                .map(|x| x.1.clone())
                .collect(),
        ),
        owners: lines(
            policy
                .owners
                .iter()
                .filter(|x| x.0 == id)
                .map(|x| format!("{},{}", x.1, x.2))
                .collect(),
        ),
        windows: lines(
            policy
                .windows
                .iter()
                .filter(|x| x.0 == id)
                .map(|x| format!("{},{},{}", x.1, x.2, x.3))
                .collect(),
        ),
        signed: reviews.iter().any(|r| r.month == month),
        assets,
        reviews,
        month,
        open: mine.len(),
        latest: snaps.first().cloned(),
        history,
        accounts,
        system,
        can_edit: ctx.role.can(Action::EditRecords),
        can_sign: ctx.role.can(Action::EditOrgProfile),
        errors,
    })?;
    Ok((status, html).into_response())
}

/// `GET /o/{org}/accounts/systems/{id}`
pub async fn system(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    system_page(&state, &ctx, id, Vec::new()).await
}

/// `POST /o/{org}/accounts/systems/{id}`: changes the system.
pub async fn update_system(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<SystemForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let data = match parse_system(&f) {
        Ok(d) => d,
        Err(e) => return system_page(&state, &ctx, id, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    match state
        .tx(move |c| {
            accounts::save_system(c, &o, &actor, Some(id), &data)?;
            checks::check_accounts(c, &o, &actor, today_jst()).map_err(AppError::from)?;
            // A renamed system's responsibility findings follow its name.
            checks::check_vendors(c, &o, &actor, today_jst()).map_err(AppError::from)?;
            checks::check_incident(c, &o, &actor, today_jst())?;
            Ok(())
        })
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/o/{org}/accounts/systems/{id}")).into_response()),
        Err(AppError::BadRequest(m)) => system_page(&state, &ctx, id, vec![m]).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    allowed: String,
    #[serde(default)]
    admin_roles: String,
    #[serde(default)]
    owners: String,
    #[serde(default)]
    windows: String,
}

/// Parses the policy text areas (one entry per line, fields separated by commas); Japanese
/// errors name the box and the line.
pub fn parse_policy(system_id: i64, f: &PolicyForm) -> Result<Policy, Vec<String>> {
    let mut errors = Vec::new();
    let mut p = Policy::default();
    let lines = |s: &str| -> Vec<(usize, Vec<String>)> {
        s.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                (
                    i + 1,
                    l.split([',', '、', '，', '\t'])
                        .map(|x| x.trim().to_owned())
                        .collect(),
                )
            })
            .collect()
    };
    for (n, f) in lines(&f.allowed) {
        match f.as_slice() {
            [job, role] if !job.is_empty() && !role.is_empty() => {
                p.allowed.push((system_id, job.clone(), role.clone()));
            }
            _ => errors.push(format!(
                "「職種ごとに許可する権限」{n}行目: 「職種,権限」の形で入力してください。"
            )),
        }
    }
    for (n, f) in lines(&f.admin_roles) {
        match f.as_slice() {
            [role] if !role.is_empty() => p.admin_roles.push((system_id, role.clone())),
            _ => errors.push(format!(
                "「管理者権限」{n}行目: 権限名を1つ入力してください。"
            )),
        }
    }
    for (n, f) in lines(&f.owners) {
        match f.as_slice() {
            [account, owner] if !account.is_empty() && !owner.is_empty() => {
                p.owners.push((system_id, account.clone(), owner.clone()));
            }
            _ => errors.push(format!(
                "「アカウントの責任者」{n}行目: 「アカウントID,氏名」の形で入力してください。"
            )),
        }
    }
    for (n, f) in lines(&f.windows) {
        match f.as_slice() {
            [account, from, to] => match (parse_date(from), parse_date(to)) {
                (Ok(a), Ok(b)) if a <= b => {
                    p.windows
                        .push((system_id, account.clone(), a.to_string(), b.to_string()));
                }
                (Ok(_), Ok(_)) => errors.push(format!(
                    "「保守作業の期間」{n}行目: 開始日が終了日より後です。"
                )),
                _ => errors.push(format!(
                    "「保守作業の期間」{n}行目: 日付を読めません（例: 2026-11-01）。"
                )),
            },
            _ => errors.push(format!(
                "「保守作業の期間」{n}行目: 「アカウントID,開始日,終了日」の形で入力してください。"
            )),
        }
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// `POST /o/{org}/accounts/systems/{id}/policy`
pub async fn set_policy(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<PolicyForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let p = match parse_policy(id, &f) {
        Ok(p) => p,
        Err(e) => return system_page(&state, &ctx, id, e).await,
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| {
            accounts::system(c, &o, id)?.ok_or(AppError::NotFound)?;
            accounts::set_policy(c, &o, &actor, id, &p)?;
            checks::check_accounts(c, &o, &actor, today_jst()).map_err(AppError::from)?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/accounts/systems/{id}#policy")).into_response())
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /o/{org}/accounts/systems/{id}/review`: the 安全管理責任者 signs off this month's
/// account review of the system.
pub async fn sign_review(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<ReviewForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditOrgProfile)?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let note = opt(&f.note);
    state
        .tx(move |c| {
            let system = accounts::system(c, &o, id)?.ok_or(AppError::NotFound)?;
            let snapshot = accounts::snapshots(c, &o)?
                .into_iter()
                .find(|s| s.system_id == Some(id));
            let Some(snapshot) = snapshot else {
                return Err(AppError::BadRequest(
                    "アカウント一覧を取り込んでから棚卸を確認してください。".to_owned(),
                ));
            };
            let prefix = system_subject_prefix(&system.data.name);
            let open = findings_store::list(c, &o, true)?
                .iter()
                .filter(|f| f.subject.starts_with(&prefix))
                .count();
            accounts::sign_review(
                c,
                &o,
                &actor,
                &Review {
                    system_id: id,
                    month: month_of(today_jst()),
                    snapshot_id: Some(snapshot.id),
                    open_findings: i64::try_from(open).unwrap_or(i64::MAX),
                    signed_by: actor.clone(),
                    signed_at: anzen_store::now_us(),
                    note,
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/accounts/systems/{id}#review")).into_response())
}

/// A parsed list waiting for confirmation.
pub(super) enum StagedList {
    Accounts {
        /// `file` or `ldap`.
        source: &'static str,
        /// The file's name, or the directory's URL.
        file_name: String,
        sha256: String,
        /// (system id, system name, accounts)
        systems: Vec<(i64, String, Vec<AccountRecord>)>,
    },
    Staff {
        source: &'static str,
        file_name: String,
        sha256: String,
        rows: Vec<StaffRecord>,
    },
    /// アクセス権限表: the policy of each system named in the file, replaced.
    Policy(policy_file::Plan),
}

impl StagedList {
    /// What the preview says about the list, one line per system (or one for the roster).
    pub(super) fn summary(&self) -> Vec<String> {
        match self {
            StagedList::Staff {
                file_name, rows, ..
            } => {
                let retired = rows.iter().filter(|r| r.retired.is_some()).count();
                vec![format!(
                    "職員名簿 {file_name}: {}名（うち退職日のある職員 {retired}名）",
                    rows.len()
                )]
            }
            StagedList::Accounts { systems, .. } => systems
                .iter()
                .map(|(_, name, v)| {
                    format!(
                        "{name}: {}件（有効 {}件・無効 {}件）",
                        v.len(),
                        v.iter().filter(|a| a.enabled).count(),
                        v.iter().filter(|a| !a.enabled).count()
                    )
                })
                .collect(),
            StagedList::Policy(plan) => {
                let mut v = vec![format!(
                    "アクセス権限表 {}: {}システム（変更のあるシステム {}）。ファイルにあるシステムの方針は、ファイルの内容に置き換わります。",
                    plan.file_name,
                    plan.systems.len(),
                    plan.changed()
                )];
                if !plan.untouched.is_empty() {
                    v.push(format!(
                        "ファイルにないシステム（変更しません）: {}",
                        plan.untouched.join("、")
                    ));
                }
                v
            }
        }
    }
}

#[derive(Template)]
#[template(path = "account_import.html")]
struct ImportPage {
    layout: Layout,
    org: i64,
    errors: Vec<String>,
    token: String,
    summary: Vec<String>,
    /// Per system of an アクセス権限表: what the import changes.
    policy: Vec<policy_file::SystemPlan>,
    /// The kind chosen (the radio button to keep checked).
    kind: String,
}

pub(super) fn import_page(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
    token: String,
    summary: Vec<String>,
) -> Result<Response, AppError> {
    import_page_with(state, ctx, errors, token, summary, Vec::new(), "accounts")
}

fn import_page_with(
    state: &AppState,
    ctx: &OrgCtx,
    errors: Vec<String>,
    token: String,
    summary: Vec<String>,
    policy: Vec<policy_file::SystemPlan>,
    kind: &str,
) -> Result<Response, AppError> {
    let status = super::form_status(errors.is_empty());
    let html = render(&ImportPage {
        layout: Layout::org(
            state,
            ctx,
            "アカウント一覧・職員名簿・アクセス権限表の取り込み",
            "nav.accounts",
        ),
        org: ctx.org.id.0,
        errors,
        token,
        summary,
        policy,
        kind: kind.to_owned(),
    })?;
    Ok((status, html).into_response())
}

/// `?kind=` of the import form: the kind preselected.
#[derive(Deserialize)]
pub struct ImportQuery {
    kind: Option<String>,
}

/// `GET /o/{org}/accounts/import`
pub async fn import_form(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::EditRecords)?;
    let kind = match q.kind.as_deref() {
        Some("staff") => "staff",
        Some(POLICY_KIND) => POLICY_KIND,
        _ => "accounts",
    };
    import_page_with(
        &state,
        &ctx,
        Vec::new(),
        String::new(),
        Vec::new(),
        Vec::new(),
        kind,
    )
}

/// The `kind` of an アクセス権限表 upload (the template's slug).
const POLICY_KIND: &str = "access-policy";

/// Parses and plans an アクセス権限表 upload; shows the problems or the preview.
async fn policy_upload(
    state: &AppState,
    ctx: &OrgCtx,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<Response, AppError> {
    let refuse = |errors: Vec<String>| {
        import_page_with(
            state,
            ctx,
            errors,
            String::new(),
            Vec::new(),
            Vec::new(),
            POLICY_KIND,
        )
    };
    let parsed = match anzen_ingest::parse_access_policy(&file_name, &bytes) {
        Ok(p) => p,
        Err(problems) => return refuse(problems.iter().map(ToString::to_string).collect()),
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let o = ctx.org.clone();
    let (systems, current) = state
        .db(move |c| Ok((accounts::systems(c, &o)?, accounts::policy(c, &o)?)))
        .await?;
    let plan = match policy_file::plan(&file_name, &sha256, &parsed.rows, &systems, &current) {
        Ok(p) => p,
        Err(errors) => return refuse(errors),
    };
    let details = plan.systems.clone();
    let staged = StagedList::Policy(plan);
    let mut summary = staged.summary();
    summary.extend(parsed.warnings.iter().map(|w| format!("注意: {w}")));
    let token = stage::put(ctx.org.id.0, &ctx.actor(), staged);
    import_page_with(state, ctx, Vec::new(), token, summary, details, POLICY_KIND)
}

/// `POST /o/{org}/accounts/import` (multipart: csrf, kind = accounts|staff, file): parses the
/// whole file (all or nothing) and shows what it holds against the current snapshots.
pub async fn import_upload(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let mut up = upload::read(mp, MAX_IMPORT_BYTES).await?;
    let file = up.file.take();
    let (csrf, kind) = (up.field("csrf").to_owned(), up.field("kind").to_owned());
    let file_name = file
        .as_ref()
        .and_then(|f| f.name.as_deref())
        .and_then(super::checklist::evidence::clean_file_name)
        .unwrap_or_default();
    let bytes = file.map(|f| f.bytes).unwrap_or_default();
    ctx.auth.check_csrf(&csrf)?;
    ctx.require(Action::EditRecords)?;
    if file_name.is_empty() || bytes.is_empty() {
        return import_page_with(
            &state,
            &ctx,
            vec!["取り込むファイル（CSV または xlsx）を選んでください。".to_owned()],
            String::new(),
            Vec::new(),
            Vec::new(),
            if kind == POLICY_KIND {
                POLICY_KIND
            } else {
                "accounts"
            },
        );
    }
    if kind == POLICY_KIND {
        return policy_upload(&state, &ctx, file_name, bytes).await;
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let o = ctx.org.clone();
    let systems = state.db(move |c| Ok(accounts::systems(c, &o)?)).await?;
    let staged = if kind == "staff" {
        let parsed = match anzen_ingest::parse_staff(&file_name, &bytes) {
            Ok(p) => p,
            Err(problems) => {
                return import_page(
                    &state,
                    &ctx,
                    problems.iter().map(ToString::to_string).collect(),
                    String::new(),
                    Vec::new(),
                );
            }
        };
        StagedList::Staff {
            source: "file",
            file_name,
            sha256,
            rows: parsed.rows.iter().map(|r| staff_record(&r.row)).collect(),
        }
    } else {
        let parsed = match anzen_ingest::parse_accounts(&file_name, &bytes) {
            Ok(p) => p,
            Err(problems) => {
                return import_page(
                    &state,
                    &ctx,
                    problems.iter().map(ToString::to_string).collect(),
                    String::new(),
                    Vec::new(),
                );
            }
        };
        let mut errors = Vec::new();
        let mut by_system: Vec<(i64, String, Vec<AccountRecord>)> = Vec::new();
        for r in &parsed.rows {
            let Some(sys) = systems.iter().find(|s| s.data.name == r.row.system.trim()) else {
                errors.push(format!(
                    "{file_name} {}行目 『システム』: システム「{}」は登録されていません。先に「アカウント管理」でシステムを登録してください。",
                    r.line, r.row.system
                ));
                continue;
            };
            let rec = account_record(&r.row);
            match by_system.iter_mut().find(|(id, _, _)| *id == sys.id) {
                Some((_, _, v)) => v.push(rec),
                None => by_system.push((sys.id, sys.data.name.clone(), vec![rec])),
            }
        }
        if !errors.is_empty() {
            return import_page(&state, &ctx, errors, String::new(), Vec::new());
        }
        StagedList::Accounts {
            source: "file",
            file_name,
            sha256,
            systems: by_system,
        }
    };
    let summary = staged.summary();
    let token = stage::put(ctx.org.id.0, &ctx.actor(), staged);
    import_page(&state, &ctx, Vec::new(), token, summary)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

/// `POST /o/{org}/accounts/import/confirm`: stores the previewed list as dated snapshots and
/// re-runs the account rules, in one transaction.
pub async fn import_confirm(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.auth.check_csrf(&f.csrf)?;
    ctx.require(Action::EditRecords)?;
    let staged = stage::get::<StagedList>(&f.token, ctx.org.id.0, &ctx.actor())
        .ok_or_else(|| AppError::BadRequest(stage::GONE_JA.to_owned()))?;
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    if let StagedList::Policy(_) = staged.as_ref() {
        state
            .tx(move |c| {
                if let StagedList::Policy(plan) = staged.as_ref() {
                    policy_file::apply(c, &o, &actor, plan, today_jst())?;
                }
                Ok(())
            })
            .await?;
        stage::forget(&f.token);
        return Ok(Redirect::to(&format!("/o/{org}/accounts#access-policy")).into_response());
    }
    state
        .tx(move |c| {
            match staged.as_ref() {
                StagedList::Staff {
                    source,
                    file_name,
                    sha256,
                    rows,
                } => {
                    let src = Source {
                        kind: source,
                        name: file_name,
                        sha256,
                    };
                    accounts::import_staff(c, &o, &actor, &src, rows)?;
                }
                StagedList::Accounts {
                    source,
                    file_name,
                    sha256,
                    systems,
                } => {
                    let src = Source {
                        kind: source,
                        name: file_name,
                        sha256,
                    };
                    for (id, _, rows) in systems {
                        let system = accounts::system(c, &o, *id)?.ok_or(AppError::NotFound)?;
                        accounts::import_accounts(c, &o, &actor, &system, &src, rows)?;
                    }
                }
                // Handled above (it runs the rules itself).
                StagedList::Policy(_) => {}
            }
            checks::check_accounts(c, &o, &actor, today_jst()).map_err(AppError::from)?;
            Ok(())
        })
        .await?;
    stage::forget(&f.token);
    Ok(Redirect::to(&format!("/o/{org}/accounts")).into_response())
}

/// `GET /o/{org}/accounts/policy/{file}` (`access-policy.csv` or `access-policy.xlsx`): the
/// current access policy of every system in the アクセス権限表 layout, to edit in Excel and
/// import again. Audited as `export.access_policy`.
pub async fn policy_export(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, file)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::Export)?;
    let format = match file.as_str() {
        "access-policy.csv" => "csv",
        "access-policy.xlsx" => "xlsx",
        _ => return Err(AppError::NotFound),
    };
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    let (systems, policy) = state
        .tx(move |c| {
            let systems = accounts::systems(c, &o)?;
            let policy = accounts::policy(c, &o)?;
            let rows = policy_file::rows(&systems, &policy).len();
            anzen_store::audit::record(
                c,
                &o,
                &actor,
                "export.access_policy",
                &serde_json::json!({ "format": format, "rows": rows }),
            )?;
            Ok((systems, policy))
        })
        .await?;
    let name = format!("access-policy-{}.{format}", today_jst());
    Ok(if format == "xlsx" {
        let body = policy_file::xlsx(&systems, &policy)
            .map_err(|e| AppError::Internal(format!("access policy xlsx: {e}")))?;
        super::attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &name,
            body,
        )
    } else {
        super::attachment(
            "text/csv; charset=utf-8",
            &name,
            policy_file::csv(&systems, &policy),
        )
    })
}

/// `GET /o/{org}/accounts/files/{file}`: the アカウント一覧, 職員名簿 and アクセス権限表
/// templates.
pub async fn template(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, file)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    use anzen_ingest::TemplateKind;
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let (kind, xlsx) = match file.as_str() {
        "accounts.csv" => (TemplateKind::Accounts, false),
        "accounts.xlsx" => (TemplateKind::Accounts, true),
        "staff.csv" => (TemplateKind::Staff, false),
        "staff.xlsx" => (TemplateKind::Staff, true),
        "access-policy.csv" => (TemplateKind::AccessPolicy, false),
        "access-policy.xlsx" => (TemplateKind::AccessPolicy, true),
        _ => return Err(AppError::NotFound),
    };
    Ok(if xlsx {
        super::attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{}-template.xlsx", kind.slug()),
            anzen_ingest::template_xlsx(kind),
        )
    } else {
        super::attachment(
            "text/csv; charset=utf-8",
            &format!("{}-template.csv", kind.slug()),
            anzen_ingest::template_csv(kind),
        )
    })
}

/// `POST /o/{org}/accounts/systems/{id}/assets` (form fields `asset` repeated): the assets
/// the system runs on.
pub async fn set_assets(
    State(state): State<AppState>,
    auth: Authed,
    Path((org, id)): Path<(i64, i64)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    ctx.auth.check_csrf(csrf)?;
    ctx.require(Action::EditRecords)?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "asset")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let (o, actor) = (ctx.org.clone(), ctx.actor());
    state
        .tx(move |c| Ok(accounts::set_system_assets(c, &o, &actor, id, &ids)?))
        .await?;
    Ok(Redirect::to(&format!("/o/{org}/accounts/systems/{id}#system-assets")).into_response())
}

/// `?system=&from=&to=` of the changes page: no system = the staff roster; snapshots
/// default to the latest and the one before it.
#[derive(Deserialize)]
pub struct ChangesQuery {
    system: Option<i64>,
    from: Option<i64>,
    to: Option<i64>,
}

/// One compared entry as shown: key, name, and the fields that changed.
struct ChangeLine {
    key: String,
    name: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "account_changes.html")]
struct ChangesPage {
    layout: Layout,
    org: i64,
    /// The list compared: a system's name, or 職員名簿.
    list: String,
    back: String,
    system: Option<i64>,
    /// (snapshot id, label) of the list's snapshots, newest first.
    snapshots: Vec<(i64, String)>,
    from: Option<i64>,
    to: Option<i64>,
    from_label: String,
    to_label: String,
    /// (title, element id, lines): 追加, 削除, 変更.
    sections: Vec<(&'static str, &'static str, Vec<ChangeLine>)>,
    unchanged: usize,
}

fn snapshot_label(s: &Snapshot) -> String {
    format!(
        "{} {}（{}件）",
        jst(s.imported_at),
        s.file_name,
        s.row_count
    )
}

/// Fields that change on every import and would drown the month's real changes.
const DAILY_FIELDS: &[&str] = &["最終ログイン"];

fn change_lines<T: accounts::Compared>(
    c: &accounts::Changes<T>,
    name: fn(&T) -> String,
    fields: fn(&T) -> String,
) -> [Vec<ChangeLine>; 3] {
    let line = |x: &T| ChangeLine {
        key: x.key().to_owned(),
        name: name(x),
        detail: fields(x),
    };
    [
        c.added.iter().map(line).collect(),
        c.removed.iter().map(line).collect(),
        c.changed
            .iter()
            .map(|(_, new, what)| ChangeLine {
                detail: what.join("、"),
                ..line(new)
            })
            .collect(),
    ]
}

/// `GET /o/{org}/accounts/changes`: what changed between two imports of one system's
/// account list (or of the roster) — accounts added, removed, and changed (権限, 状態, …).
pub async fn changes(
    State(state): State<AppState>,
    auth: Authed,
    Path(org): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ChangesQuery>,
) -> Result<Response, AppError> {
    let ctx = auth.in_org(&state, OrgId(org)).await?;
    ctx.require(Action::ReadRecords)?;
    let o = ctx.org.clone();
    let system_id = q.system;
    let (list, snaps) = state
        .db(move |c| {
            let list = match system_id {
                Some(id) => {
                    accounts::system(c, &o, id)?
                        .ok_or(AppError::NotFound)?
                        .data
                        .name
                }
                None => "職員名簿".to_owned(),
            };
            let snaps: Vec<Snapshot> = accounts::snapshots(c, &o)?
                .into_iter()
                .filter(|s| match system_id {
                    Some(id) => s.kind == "accounts" && s.system_id == Some(id),
                    None => s.kind == "staff",
                })
                .collect();
            Ok((list, snaps))
        })
        .await?;
    let pick = |id: Option<i64>, default: usize| -> Result<Option<Snapshot>, AppError> {
        match id {
            Some(id) => snaps
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .map(Some)
                .ok_or(AppError::NotFound),
            None => Ok(snaps.get(default).cloned()),
        }
    };
    let to = pick(q.to, 0)?;
    let from = match (q.from, &to) {
        (None, Some(t)) => snaps.iter().find(|s| s.id < t.id).cloned(),
        _ => pick(q.from, 1)?,
    };
    let (from_id, to_id) = (from.as_ref().map(|s| s.id), to.as_ref().map(|s| s.id));
    let (lines, unchanged) = state
        .db(move |c| {
            let (Some(from), Some(to)) = (from_id, to_id) else {
                return Ok((Default::default(), 0));
            };
            Ok(if system_id.is_some() {
                let d = accounts::changes(
                    &accounts::snapshot_accounts(c, from)?,
                    &accounts::snapshot_accounts(c, to)?,
                    DAILY_FIELDS,
                );
                let lines = change_lines(
                    &d,
                    |a| a.name.clone().unwrap_or_default(),
                    |a| {
                        format!(
                            "権限 {}、{}",
                            a.role,
                            if a.enabled { "有効" } else { "無効" }
                        )
                    },
                );
                (lines, d.unchanged)
            } else {
                let d = accounts::changes(
                    &accounts::snapshot_staff(c, from)?,
                    &accounts::snapshot_staff(c, to)?,
                    &[],
                );
                let lines = change_lines(
                    &d,
                    |s| s.name.clone(),
                    |s| match &s.retired {
                        Some(r) => format!("{}、退職日 {r}", s.job),
                        None => s.job.clone(),
                    },
                );
                (lines, d.unchanged)
            })
        })
        .await?;
    let [added, removed, changed] = lines;
    let back = match system_id {
        Some(id) => format!("/o/{org}/accounts/systems/{id}"),
        None => format!("/o/{org}/accounts"),
    };
    let html = render(&ChangesPage {
        layout: Layout::org(&state, &ctx, &format!("{list}の変更点"), "nav.accounts"),
        org,
        back,
        system: system_id,
        snapshots: snaps.iter().map(|s| (s.id, snapshot_label(s))).collect(),
        from: from_id,
        to: to_id,
        from_label: from.as_ref().map(snapshot_label).unwrap_or_default(),
        to_label: to.as_ref().map(snapshot_label).unwrap_or_default(),
        list,
        sections: vec![
            ("追加", "changes-added", added),
            ("削除", "changes-removed", removed),
            ("変更", "changes-changed", changed),
        ],
        unchanged,
    })?;
    Ok(html.into_response())
}
