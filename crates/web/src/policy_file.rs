//! アクセス権限表 — the access policy as a file: an imported file's rows (`anzen-ingest`,
//! [`anzen_ingest::PolicyRow`]) planned against the stored policy (per system named in the
//! file: its entries replace that system's policy; other systems are untouched), applied in
//! the caller's transaction, and the current policy exported in the same template layout
//! (CSV with BOM, xlsx) so it can be edited in Excel and imported again. Shared by the pages
//! and `anzen import access-policy`.

use std::collections::BTreeSet;

use anzen_ingest::{Numbered, PolicyEntry, PolicyRow, TemplateKind};
use anzen_store::accounts::{self, Policy, System};
use anzen_store::findings::Applied;
use anzen_store::orgs::Org;
use anzen_store::{Conn, StoreError};
use rust_xlsxwriter::XlsxError;

use crate::checks::{self, CheckError};

/// One policy entry of one system, comparable across the file and the store. Ordered by
/// 区分 (許可, 管理者権限, 責任者, 保守期間) and then by its columns, the order of exports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Allowed(String, String),
    Admin(String),
    Owner(String, String),
    /// アカウントID, 開始日, 終了日 (YYYY-MM-DD).
    Window(String, String, String),
}

impl Entry {
    fn from_row(e: &PolicyEntry) -> Entry {
        match e {
            PolicyEntry::Allowed { job, role } => Entry::Allowed(job.clone(), role.clone()),
            PolicyEntry::AdminRole { role } => Entry::Admin(role.clone()),
            PolicyEntry::Owner { account_id, owner } => {
                Entry::Owner(account_id.clone(), owner.clone())
            }
            PolicyEntry::Window {
                account_id,
                from,
                to,
            } => Entry::Window(account_id.clone(), from.to_string(), to.to_string()),
        }
    }

    /// How the preview shows the entry.
    fn shown(&self) -> String {
        match self {
            Entry::Allowed(job, role) => format!("許可 職種「{job}」→ 権限「{role}」"),
            Entry::Admin(role) => format!("管理者権限「{role}」"),
            Entry::Owner(account, owner) => format!("責任者 アカウント「{account}」→ {owner}"),
            Entry::Window(account, from, to) => {
                format!("保守期間 アカウント「{account}」{from}〜{to}")
            }
        }
    }

    /// The template's cells after システム名 (区分, 職種, 権限, アカウントID, 責任者, 開始日,
    /// 終了日, 備考).
    fn cells(&self) -> [&str; 8] {
        match self {
            Entry::Allowed(job, role) => ["許可", job, role, "", "", "", "", ""],
            Entry::Admin(role) => ["管理者権限", "", role, "", "", "", "", ""],
            Entry::Owner(account, owner) => ["責任者", "", "", account, owner, "", "", ""],
            Entry::Window(account, from, to) => ["保守期間", "", "", account, "", from, to, ""],
        }
    }
}

/// One system's entries in the stored policy.
fn entries_of(p: &Policy, system_id: i64) -> BTreeSet<Entry> {
    let mut out = BTreeSet::new();
    for (s, job, role) in &p.allowed {
        if *s == system_id {
            out.insert(Entry::Allowed(job.clone(), role.clone()));
        }
    }
    for (s, role) in &p.admin_roles {
        if *s == system_id {
            out.insert(Entry::Admin(role.clone()));
        }
    }
    for (s, account, owner) in &p.owners {
        if *s == system_id {
            out.insert(Entry::Owner(account.clone(), owner.clone()));
        }
    }
    for (s, account, from, to) in &p.windows {
        if *s == system_id {
            out.insert(Entry::Window(account.clone(), from.clone(), to.clone()));
        }
    }
    out
}

fn policy_of(system_id: i64, entries: &BTreeSet<Entry>) -> Policy {
    let mut p = Policy::default();
    for e in entries {
        match e {
            Entry::Allowed(job, role) => p.allowed.push((system_id, job.clone(), role.clone())),
            Entry::Admin(role) => p.admin_roles.push((system_id, role.clone())),
            Entry::Owner(account, owner) => {
                p.owners.push((system_id, account.clone(), owner.clone()));
            }
            Entry::Window(account, from, to) => {
                p.windows
                    .push((system_id, account.clone(), from.clone(), to.clone()));
            }
        }
    }
    p
}

/// Entries per 区分: 許可, 管理者権限, 責任者, 保守期間.
fn counts(entries: &BTreeSet<Entry>) -> [usize; 4] {
    let mut n = [0; 4];
    for e in entries {
        let i = match e {
            Entry::Allowed(..) => 0,
            Entry::Admin(..) => 1,
            Entry::Owner(..) => 2,
            Entry::Window(..) => 3,
        };
        if let Some(x) = n.get_mut(i) {
            *x += 1;
        }
    }
    n
}

/// What the import does to one system named in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemPlan {
    pub id: i64,
    pub name: String,
    /// The system's policy after the import (replaces the stored one).
    pub after: Policy,
    /// Entries per 区分 (許可, 管理者権限, 責任者, 保守期間): before, after.
    pub before_counts: [usize; 4],
    pub after_counts: [usize; 4],
    /// Entries in the file only, as shown.
    pub added: Vec<String>,
    /// Stored entries the file no longer has, as shown.
    pub removed: Vec<String>,
}

impl SystemPlan {
    /// Whether the import changes this system's policy.
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }

    /// `許可 2→3件、管理者権限 1→1件、責任者 0→1件、保守期間 0→0件`
    pub fn counts_ja(&self) -> String {
        ["許可", "管理者権限", "責任者", "保守期間"]
            .iter()
            .zip(self.before_counts.iter().zip(&self.after_counts))
            .map(|(label, (b, a))| format!("{label} {b}→{a}件"))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// One line for the preview and the CLI: `電子カルテ: 許可 2→3件、…（追加 1件・削除 0件）`.
    pub fn summary_ja(&self) -> String {
        if self.changed() {
            format!(
                "{}: {}（追加 {}件・削除 {}件）",
                self.name,
                self.counts_ja(),
                self.added.len(),
                self.removed.len()
            )
        } else {
            format!("{}: {}（変更なし）", self.name, self.counts_ja())
        }
    }
}

/// What importing a file does: the systems it names (in file order) and those it leaves
/// untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub file_name: String,
    pub sha256: String,
    pub systems: Vec<SystemPlan>,
    /// Registered systems absent from the file (their policy stays as it is).
    pub untouched: Vec<String>,
}

impl Plan {
    /// How many systems the import changes.
    pub fn changed(&self) -> usize {
        self.systems.iter().filter(|s| s.changed()).count()
    }
}

/// Plans the import of `rows` against the registered `systems` and the stored `current`
/// policy. Every system name must be registered: an unknown one is a Japanese error naming
/// the line (systems are never created by this import).
pub fn plan(
    file_name: &str,
    sha256: &str,
    rows: &[Numbered<PolicyRow>],
    systems: &[System],
    current: &Policy,
) -> Result<Plan, Vec<String>> {
    let mut errors = Vec::new();
    let mut by_system: Vec<(&System, BTreeSet<Entry>)> = Vec::new();
    for r in rows {
        let name = r.row.system.trim();
        let Some(sys) = systems.iter().find(|s| s.data.name == name) else {
            errors.push(format!(
                "{file_name} {}行目 『システム名』: システム「{name}」は登録されていません。先に「アカウント管理」でシステムを登録するか、登録済みのシステム名に直してください。",
                r.line
            ));
            continue;
        };
        let entry = Entry::from_row(&r.row.entry);
        match by_system.iter_mut().find(|(s, _)| s.id == sys.id) {
            Some((_, set)) => {
                set.insert(entry);
            }
            None => by_system.push((sys, BTreeSet::from([entry]))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let plans = by_system
        .into_iter()
        .map(|(sys, after)| {
            let before = entries_of(current, sys.id);
            SystemPlan {
                id: sys.id,
                name: sys.data.name.clone(),
                before_counts: counts(&before),
                after_counts: counts(&after),
                added: after.difference(&before).map(Entry::shown).collect(),
                removed: before.difference(&after).map(Entry::shown).collect(),
                after: policy_of(sys.id, &after),
            }
        })
        .collect::<Vec<_>>();
    let untouched = systems
        .iter()
        .filter(|s| !plans.iter().any(|p| p.id == s.id))
        .map(|s| s.data.name.clone())
        .collect();
    Ok(Plan {
        file_name: file_name.to_owned(),
        sha256: sha256.to_owned(),
        systems: plans,
        untouched,
    })
}

/// Why applying a plan failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A planned system is gone (deleted or another organisation's).
    #[error("システム（id {0}）が見つかりません。もう一度アップロードしてください。")]
    SystemGone(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Check(#[from] CheckError),
}

impl From<ApplyError> for crate::AppError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::SystemGone(_) => crate::AppError::BadRequest(e.to_string()),
            ApplyError::Store(e) => e.into(),
            ApplyError::Check(e) => e.into(),
        }
    }
}

/// Applies a plan inside the caller's transaction: each changed system's policy is replaced
/// (`accounts::set_policy`, audited with before and after), then the account rules run
/// again. Systems whose entries are unchanged are not written (no audit noise).
pub fn apply(
    conn: &mut Conn,
    org: &Org,
    actor: &str,
    plan: &Plan,
    today: jiff::civil::Date,
) -> Result<Applied, ApplyError> {
    for s in &plan.systems {
        accounts::system(conn, org, s.id)?.ok_or(ApplyError::SystemGone(s.id))?;
        // Compare with the store now, not with the preview: the policy may have been
        // edited on the system page in between.
        let now = entries_of(&accounts::policy(conn, org)?, s.id);
        if now != entries_of(&s.after, s.id) {
            accounts::set_policy(conn, org, actor, s.id, &s.after)?;
        }
    }
    Ok(checks::check_accounts(conn, org, actor, today)?)
}

/// The current policy as template rows (システム名 order, then 区分 and columns).
pub fn rows(systems: &[System], policy: &Policy) -> Vec<Vec<String>> {
    let mut systems: Vec<&System> = systems.iter().collect();
    systems.sort_by(|a, b| a.data.name.cmp(&b.data.name));
    let mut out = Vec::new();
    for s in systems {
        for e in entries_of(policy, s.id) {
            let mut row = vec![s.data.name.clone()];
            row.extend(e.cells().iter().map(|c| (*c).to_owned()));
            out.push(row);
        }
    }
    out
}

/// The current policy as CSV (UTF-8 with BOM, CRLF) in the アクセス権限表 layout.
pub fn csv(systems: &[System], policy: &Policy) -> Vec<u8> {
    anzen_ingest::table_csv(TemplateKind::AccessPolicy, &rows(systems, policy))
}

/// The current policy as xlsx in the アクセス権限表 layout (with the 説明 sheet).
pub fn xlsx(systems: &[System], policy: &Policy) -> Result<Vec<u8>, XlsxError> {
    anzen_ingest::table_xlsx(TemplateKind::AccessPolicy, &rows(systems, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anzen_store::accounts::SystemData;

    fn system(id: i64, name: &str) -> System {
        System {
            id,
            data: SystemData {
                name: name.to_owned(),
                kind: "その他".to_owned(),
                owner: None,
                vendor: None,
                supports_mfa: false,
                min_password_len: None,
                note: None,
            },
        }
    }

    fn stored() -> Policy {
        Policy {
            allowed: vec![
                (1, "医師".into(), "医師".into()),
                (1, "看護師".into(), "看護師".into()),
                (2, "事務".into(), "受付".into()),
            ],
            admin_roles: vec![(1, "システム管理者".into())],
            owners: vec![(1, "admin".into(), "佐藤 花子".into())],
            windows: vec![(2, "v1".into(), "2026-11-01".into(), "2026-11-02".into())],
        }
    }

    #[test]
    fn export_imports_back_without_change_in_both_formats() {
        let systems = [
            system(1, "電子カルテ"),
            system(2, "レセコン"),
            system(3, "PACS"),
        ];
        let p = stored();
        for (name, bytes) in [
            ("policy.csv", csv(&systems, &p)),
            ("policy.xlsx", xlsx(&systems, &p).expect("xlsx")),
        ] {
            let parsed = anzen_ingest::parse_access_policy(name, &bytes).expect(name);
            let plan = plan(name, "", &parsed.rows, &systems, &p).expect("plan");
            assert_eq!(plan.changed(), 0, "{name}: {plan:#?}");
            assert_eq!(plan.systems.len(), 2);
            assert_eq!(plan.untouched, vec!["PACS".to_owned()]);
            assert_eq!(
                plan.systems[0].summary_ja(),
                "レセコン: 許可 1→1件、管理者権限 0→0件、責任者 0→0件、保守期間 1→1件（変更なし）"
            );
        }
    }

    #[test]
    fn a_file_replaces_the_policy_of_the_systems_it_names() {
        let systems = [system(1, "電子カルテ"), system(2, "レセコン")];
        let text = "システム名,区分,職種,権限,アカウントID,責任者\n\
電子カルテ,許可,医師,医師,,\n\
電子カルテ,許可,薬剤師,薬剤師,,\n\
電子カルテ,責任者,,,admin,鈴木 一郎\n";
        let parsed = anzen_ingest::parse_access_policy("p.csv", text.as_bytes()).expect("parse");
        let plan = plan("p.csv", "", &parsed.rows, &systems, &stored()).expect("plan");
        assert_eq!(plan.systems.len(), 1, "レセコン is not in the file");
        assert_eq!(plan.untouched, vec!["レセコン".to_owned()]);
        let s = &plan.systems[0];
        assert_eq!(
            s.added,
            vec![
                "許可 職種「薬剤師」→ 権限「薬剤師」",
                "責任者 アカウント「admin」→ 鈴木 一郎"
            ]
        );
        assert_eq!(
            s.removed,
            vec![
                "許可 職種「看護師」→ 権限「看護師」",
                "管理者権限「システム管理者」",
                "責任者 アカウント「admin」→ 佐藤 花子"
            ]
        );
        assert_eq!(
            s.counts_ja(),
            "許可 2→2件、管理者権限 1→0件、責任者 1→1件、保守期間 0→0件"
        );
        assert_eq!(s.after.allowed.len(), 2);
        assert!(s.after.admin_roles.is_empty());

        let bad = "システム名,区分,職種,権限\n電子カルテ,許可,医師,医師\n検査,許可,医師,医師\n";
        let parsed = anzen_ingest::parse_access_policy("p.csv", bad.as_bytes()).expect("parse");
        let errors = super::plan("p.csv", "", &parsed.rows, &systems, &stored())
            .expect_err("unknown system");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .starts_with("p.csv 3行目 『システム名』: システム「検査」は登録されていません"),
            "{errors:?}"
        );
    }
}
