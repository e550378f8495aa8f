//! 指摘 — findings: what a rule found, how severe, which checklist items it concerns, and
//! how a new evaluation is reconciled with the findings already recorded.
//!
//! A finding is identified by its `key` (rule + subject + detail, e.g.
//! `vuln.cve/asset:FW-01/CVE-2018-13379`). Re-running the rules yields the findings that hold
//! now; [`reconcile`] says which recorded ones to open, update, reopen or resolve. Nothing
//! is ever deleted: a finding whose condition is gone is resolved, keeping its history.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Severity, as in `anzen check --format json` (`critical|high|medium|low|info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 最優先 (e.g. a known-exploited vulnerability)
    Critical,
    /// 高
    High,
    /// 中
    Medium,
    /// 低
    Low,
    /// 情報
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Severity::Critical => "最優先",
            Severity::High => "高",
            Severity::Medium => "中",
            Severity::Low => "低",
            Severity::Info => "情報",
        }
    }
}

/// 対応状況 — where the remediation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// 未着手
    Todo,
    /// 対応中
    Doing,
    /// 対応済み (waiting for the next evaluation to confirm)
    Done,
    /// リスク受容 (accepted, with a reason in the note)
    Accepted,
}

impl Progress {
    pub const ALL: [Progress; 4] = [
        Progress::Todo,
        Progress::Doing,
        Progress::Done,
        Progress::Accepted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Progress::Todo => "todo",
            Progress::Doing => "doing",
            Progress::Done => "done",
            Progress::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Progress> {
        Progress::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Progress::Todo => "未着手",
            Progress::Doing => "対応中",
            Progress::Done => "対応済み",
            Progress::Accepted => "リスク受容",
        }
    }
}

/// A finding as a rule produces it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewFinding {
    /// Identifies the condition across evaluations.
    pub key: String,
    /// Rule id, e.g. `vuln.cve`, `eos.past`.
    pub rule: String,
    /// What it is about, e.g. `asset:FW-01`.
    pub subject: String,
    pub severity: Severity,
    /// One line, Japanese.
    pub title: String,
    /// The explanation, Japanese (which rule, which range, what to do).
    pub message: String,
    /// Checklist items it concerns, by topic-free number (e.g. `2-(7)`).
    pub checklist: Vec<String>,
    /// Machine-readable detail (CVE, KEV due date, matched range…).
    pub evidence: serde_json::Value,
    /// A due date the finding itself carries (e.g. the KEV due date), YYYY-MM-DD.
    pub due_hint: Option<String>,
}

/// A recorded finding's identity and state, as [`reconcile`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub key: String,
    pub open: bool,
    /// [`fingerprint`] of the recorded content, so an unchanged open finding is left alone.
    pub fingerprint: u64,
}

/// A fingerprint of a finding's content (severity, title, message, checklist, evidence,
/// due date): equal when nothing the user sees changed. Only compared within one process.
pub fn fingerprint(
    severity: &str,
    title: &str,
    message: &str,
    checklist: &str,
    evidence_json: &str,
    due_hint: Option<&str>,
) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (severity, title, message, checklist, evidence_json, due_hint).hash(&mut h);
    h.finish()
}

impl NewFinding {
    /// [`fingerprint`] of this finding as it would be recorded.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(
            self.severity.code(),
            &self.title,
            &self.message,
            &self.checklist.join(","),
            &self.evidence.to_string(),
            self.due_hint.as_deref(),
        )
    }
}

/// What to do with the recorded findings of the rules that were run.
#[derive(Debug, Default, PartialEq)]
pub struct Plan<'a> {
    /// New conditions.
    pub open: Vec<&'a NewFinding>,
    /// Still there with changed content: refresh the text and evidence (id, new content).
    pub refresh: Vec<(i64, &'a NewFinding)>,
    /// Still there, unchanged: nothing to write.
    pub unchanged: usize,
    /// Resolved earlier, back now.
    pub reopen: Vec<(i64, &'a NewFinding)>,
    /// Open, but the condition is gone.
    pub resolve: Vec<i64>,
}

/// Reconciles `current` (what the rules found now) with `recorded` (the recorded findings of
/// the same rules). Duplicate keys in `current` count once (the first).
pub fn reconcile<'a>(recorded: &[Recorded], current: &'a [NewFinding]) -> Plan<'a> {
    let mut now: HashMap<&str, &NewFinding> = HashMap::new();
    for f in current {
        now.entry(f.key.as_str()).or_insert(f);
    }
    let mut plan = Plan::default();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for r in recorded {
        seen.insert(r.key.as_str(), ());
        match (now.get(r.key.as_str()), r.open) {
            (Some(f), true) if f.fingerprint() == r.fingerprint => plan.unchanged += 1,
            (Some(f), true) => plan.refresh.push((r.id, f)),
            (Some(f), false) => plan.reopen.push((r.id, f)),
            (None, true) => plan.resolve.push(r.id),
            (None, false) => {}
        }
    }
    let mut added: HashMap<&str, ()> = HashMap::new();
    for f in current {
        if !seen.contains_key(f.key.as_str()) && added.insert(f.key.as_str(), ()).is_none() {
            plan.open.push(f);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(key: &str) -> NewFinding {
        NewFinding {
            key: key.into(),
            rule: "r".into(),
            subject: "asset:X".into(),
            severity: Severity::High,
            title: "t".into(),
            message: "m".into(),
            checklist: vec![],
            evidence: serde_json::Value::Null,
            due_hint: None,
        }
    }

    fn rec(id: i64, key: &str, open: bool) -> Recorded {
        Recorded {
            id,
            key: key.into(),
            open,
            fingerprint: 0,
        }
    }

    #[test]
    fn reconcile_opens_refreshes_reopens_and_resolves() {
        let now = vec![f("a"), f("b"), f("c"), f("a")];
        let recorded = vec![
            rec(1, "a", true),
            rec(2, "b", false),
            rec(3, "d", true),
            rec(4, "e", false),
        ];
        let plan = reconcile(&recorded, &now);
        assert_eq!(
            plan.open.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            vec!["c"]
        );
        assert_eq!(
            plan.refresh.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(plan.reopen.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2]);
        assert_eq!(plan.resolve, vec![3]);
    }

    #[test]
    fn unchanged_open_findings_are_left_alone() {
        let now = vec![f("a"), f("b")];
        let mut a = rec(1, "a", true);
        a.fingerprint = now[0].fingerprint();
        let plan = reconcile(&[a, rec(2, "b", true)], &now);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(
            plan.refresh.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![2]
        );
    }

    #[test]
    fn nothing_found_resolves_every_open_finding() {
        let plan = reconcile(&[rec(1, "a", true), rec(2, "b", false)], &[]);
        assert_eq!(plan.resolve, vec![1]);
        assert!(plan.open.is_empty() && plan.reopen.is_empty() && plan.refresh.is_empty());
    }
}
