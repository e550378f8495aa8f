//! Rules for the cyber BCP (checklist 3-(3) 「サイバー攻撃を想定した事業継続計画（BCP）を
//! 策定している」) and the auto-evidence of 3-(2) (backups and restore procedures) and
//! 3-(3).
//!
//! The plan's parts follow GL 5.2 付表 (seed 003): 縮退運用 and paper procedures when
//! systems are down, backups and their restore procedures, the list of whom to report to
//! (the 連絡体制図), plus what the FY2025 checklist manual expects a cyber BCP to say
//! (guideline-content.md §1.5 3-②/3-③): which functions are critical and in what order
//! they recover, emergency (break-glass) accounts and how their use is reviewed, and how
//! data written on paper is reconciled after recovery. The 365-day review interval is the
//! product's default (the guideline asks for 定期的な見直し without a period).
//!
//! Pure: callers pass the plan and `today`.
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`BCP_NONE`] | no plan is recorded | high | 3-(3) |
//! | [`BCP_NOT_APPROVED`] | no version of the plan is approved | medium | 3-(3) |
//! | [`BCP_REVIEW_OVERDUE`] | the approved plan's review date has passed (or, without one, it was approved more than `review_within_days` ago) | medium | 3-(3) |
//! | [`BCP_INCOMPLETE`] | a part of the plan is empty (one finding per part) | medium | 3-(3) |

use std::collections::BTreeSet;

use anzen_catalog::Item;
use anzen_catalog::evidence::{
    AutoAnswer, BACKUP_RECOVERY_VERIFIED, CYBER_BCP_ESTABLISHED, EvidenceRule, Facts, Suggestion,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calendar::wareki;
use crate::finding::{NewFinding, Severity};
use crate::rules::incident::{BackupJob, BackupPolicy, RestoreDrill, backup_findings};

/// Rule ids this module produces start with this (for reconciling).
pub const RULE_PREFIX: &str = "bcp.";

/// No plan.
pub const BCP_NONE: &str = "bcp.none";
/// No approved version.
pub const BCP_NOT_APPROVED: &str = "bcp.not_approved";
/// The review is overdue.
pub const BCP_REVIEW_OVERDUE: &str = "bcp.review_overdue";
/// A part of the plan is empty.
pub const BCP_INCOMPLETE: &str = "bcp.incomplete";

/// 3-(3) サイバー攻撃を想定した BCP.
pub const ITEM_BCP: &str = "3-(3)";

/// A function of the institution and how urgently it must work again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalFunction {
    /// 業務 (e.g. 外来診療, 処方, 検査結果参照, 会計).
    pub name: String,
    /// 優先度 (1 = highest).
    pub priority: u32,
    /// 目標復旧時間 (free text, e.g. 「4時間」「当日中」).
    pub target: String,
}

/// An emergency (break-glass) account: usable when normal sign-in is impossible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassAccount {
    /// システム.
    pub system: String,
    /// アカウント.
    pub account: String,
    /// 保管場所・管理者 (e.g. 封筒で金庫に保管、院長が管理).
    pub kept: String,
}

/// サイバー攻撃を想定した事業継続計画 — the structured plan of one version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BcpPlan {
    /// 重要業務と優先度.
    pub critical_functions: Vec<CriticalFunction>,
    /// 縮退運用 (what keeps running, with which systems off).
    pub degraded_operation: String,
    /// 紙運用の手順 (paper forms, where they are kept).
    pub paper_procedures: String,
    /// 非常用アカウント.
    pub break_glass: Vec<BreakGlassAccount>,
    /// 非常用アカウントの使用の確認方法 (who reviews each use, how).
    pub break_glass_review: String,
    /// 復旧の順序 (systems, first to last).
    pub recovery_order: Vec<String>,
    /// 復旧後のデータの整合 (entering paper records, checking for gaps).
    pub reconciliation: String,
    /// 連絡体制 (refers to the 連絡体制図; extra notes).
    pub contacts_note: String,
    /// 初動対応 steps (the one-page card).
    pub initial_response: Vec<String>,
}

/// The steps offered when there is no plan yet (editable; common first-response advice).
pub const DEFAULT_INITIAL_RESPONSE: [&str; 7] = [
    "感染が疑われる端末・サーバをネットワークから切り離す（LAN ケーブルを抜く、無線 LAN を切る）。電源は切らない。",
    "院内の連絡担当（CSIRT）に連絡する（連絡体制図の順に）。",
    "画面の表示（脅迫文など）を写真に撮り、気づいた時刻と操作を記録する。",
    "安全管理責任者・管理者が状況を確認し、保守事業者に連絡する。",
    "診療は紙運用に切り替える（紙の様式の保管場所はこのカードの裏面）。",
    "サイバー攻撃（疑い含む）は厚生労働省と警察へ連絡する。患者情報の漏えいのおそれがあれば個人情報保護委員会へ速報（発覚日からおおむね3〜5日以内）。",
    "インシデント台帳に登録し、対応の経過を記録する。",
];

/// One part of the plan the rules require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub code: &'static str,
    pub label_ja: &'static str,
}

/// The parts a complete plan fills, in the plan's order.
pub const PARTS: [Part; 6] = [
    Part {
        code: "critical_functions",
        label_ja: "重要業務と優先度",
    },
    Part {
        code: "degraded_operation",
        label_ja: "縮退運用・紙運用の手順",
    },
    Part {
        code: "break_glass",
        label_ja: "非常用アカウントと使用の確認方法",
    },
    Part {
        code: "recovery_order",
        label_ja: "復旧の順序",
    },
    Part {
        code: "reconciliation",
        label_ja: "復旧後のデータの整合",
    },
    Part {
        code: "initial_response",
        label_ja: "初動対応の手順",
    },
];

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

impl BcpPlan {
    /// The [`PARTS`] this plan leaves empty. 縮退運用 counts when either the degraded
    /// operation or the paper procedures are written; break-glass needs both an account and
    /// how its use is reviewed.
    pub fn missing_parts(&self) -> Vec<Part> {
        PARTS
            .into_iter()
            .filter(|p| match p.code {
                "critical_functions" => !self.critical_functions.iter().any(|f| !blank(&f.name)),
                "degraded_operation" => {
                    blank(&self.degraded_operation) && blank(&self.paper_procedures)
                }
                "break_glass" => {
                    !self.break_glass.iter().any(|a| !blank(&a.account))
                        || blank(&self.break_glass_review)
                }
                "recovery_order" => !self.recovery_order.iter().any(|s| !blank(s)),
                "reconciliation" => blank(&self.reconciliation),
                "initial_response" => !self.initial_response.iter().any(|s| !blank(s)),
                _ => false,
            })
            .collect()
    }
}

/// The state of the plan as the rules see it: the version in force (the latest approved
/// one, else the latest draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BcpStatus {
    /// 版.
    pub version: u32,
    pub plan: BcpPlan,
    /// 承認日 (None: a draft).
    pub approved_on: Option<Date>,
    /// 次回見直し予定日.
    pub next_review: Option<Date>,
}

/// Review interval when the plan names no next review (product default).
pub const REVIEW_WITHIN_DAYS: i64 = 365;

fn finding(
    rule: &str,
    detail: &str,
    severity: Severity,
    title: String,
    message: String,
    evidence: serde_json::Value,
) -> NewFinding {
    let subject = "bcp".to_owned();
    NewFinding {
        key: format!("{rule}/{subject}/{detail}"),
        rule: rule.to_owned(),
        subject,
        severity,
        title,
        message,
        checklist: vec![ITEM_BCP.to_owned()],
        evidence,
        due_hint: None,
    }
}

/// When the review of an approved plan falls due: its next review date, else approval +
/// [`REVIEW_WITHIN_DAYS`].
pub fn review_due(s: &BcpStatus) -> Option<Date> {
    s.next_review.or_else(|| {
        s.approved_on
            .map(|d| d.saturating_add(jiff::Span::new().days(REVIEW_WITHIN_DAYS)))
    })
}

/// The 3-(3) findings for the plan in force (`None`: no plan recorded).
pub fn bcp_findings(status: Option<&BcpStatus>, today: Date) -> Vec<NewFinding> {
    let Some(s) = status else {
        return vec![finding(
            BCP_NONE,
            "-",
            Severity::High,
            "サイバー攻撃を想定した事業継続計画（BCP）がありません".to_owned(),
            "ランサムウェア等でシステムが使えなくなったときに、どの業務をどう続け、どの順に復旧するかを決めた計画を作成し、承認してください（チェックリスト 3-(3)）。".to_owned(),
            json!({}),
        )];
    };
    let mut out = Vec::new();
    match s.approved_on {
        None => out.push(finding(
            BCP_NOT_APPROVED,
            "-",
            Severity::Medium,
            format!("事業継続計画（第{}版）が承認されていません", s.version),
            "計画は管理者の承認を受けて初めて組織の計画になります。内容を確認し、承認してください。"
                .to_owned(),
            json!({ "version": s.version }),
        )),
        Some(approved) => {
            if let Some(due) = review_due(s)
                && due < today
            {
                out.push(finding(
                    BCP_REVIEW_OVERDUE,
                    "-",
                    Severity::Medium,
                    format!(
                        "事業継続計画（第{}版）の見直し予定日（{}）を過ぎています",
                        s.version,
                        wareki(due)
                    ),
                    format!(
                        "承認日は{}です。連絡先・システム構成・訓練の結果を反映して計画を見直し、改めて承認してください。",
                        wareki(approved)
                    ),
                    json!({ "version": s.version, "approved_on": approved.to_string(), "review_due": due.to_string() }),
                ));
            }
        }
    }
    for p in s.plan.missing_parts() {
        out.push(finding(
            BCP_INCOMPLETE,
            p.code,
            Severity::Medium,
            format!("事業継続計画に「{}」がありません", p.label_ja),
            format!(
                "サイバー攻撃を想定した BCP には「{}」を定めてください（GL 第5.2版 付表: 非常時の縮退運用・バックアップと復旧・報告先; 令和7年度チェックリストマニュアル 3-③）。",
                p.label_ja
            ),
            json!({ "part": p.code, "label": p.label_ja, "version": s.version }),
        ));
    }
    out
}

/// 3-(3) サイバー攻撃を想定した事業継続計画（BCP）を策定している ← an approved plan, not
/// past its review, with every part of [`PARTS`] written.
#[derive(Debug, Clone)]
pub struct CyberBcpEstablished {
    pub status: Option<BcpStatus>,
    pub today: Date,
}

impl EvidenceRule for CyberBcpEstablished {
    fn key(&self) -> &str {
        CYBER_BCP_ESTABLISHED
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        let Some(s) = &self.status else {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec!["事業継続計画（BCP）が登録されていません。".to_owned()],
            };
        };
        let findings = bcp_findings(Some(s), self.today);
        let mut reasons = vec![match s.approved_on {
            Some(d) => format!(
                "事業継続計画 第{}版（{}承認）があります。",
                s.version,
                wareki(d)
            ),
            None => format!("事業継続計画 第{}版は未承認です。", s.version),
        }];
        if findings.is_empty() {
            reasons.push(
                "重要業務、縮退運用、非常用アカウント、復旧の順序、データの整合、初動対応がそろい、見直し期限内です。"
                    .to_owned(),
            );
            return AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: reasons,
            };
        }
        reasons.extend(findings.into_iter().map(|f| format!("{}。", f.title)));
        AutoAnswer {
            suggestion: Suggestion::No,
            reasons_ja: reasons,
        }
    }
}

/// 3-(2) データやシステムのバックアップの実施と復旧手順を確認している ← every system that
/// needs backups has them and [`backup_findings`] finds nothing; each such system has a
/// written restore procedure.
#[derive(Debug, Clone)]
pub struct BackupRecoveryVerified {
    /// The systems that need backups.
    pub systems: Vec<String>,
    pub jobs: Vec<BackupJob>,
    pub drills: Vec<RestoreDrill>,
    /// Systems with a written restore procedure (復旧手順).
    pub with_procedure: Vec<String>,
    pub policy: BackupPolicy,
    pub today: Date,
}

impl EvidenceRule for BackupRecoveryVerified {
    fn key(&self) -> &str {
        BACKUP_RECOVERY_VERIFIED
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        if self.jobs.is_empty() {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec!["バックアップの記録が登録されていません。".to_owned()],
            };
        }
        let findings = backup_findings(
            &self.systems,
            &self.jobs,
            &self.drills,
            &self.policy,
            self.today,
        );
        let names: BTreeSet<&str> = self
            .systems
            .iter()
            .chain(self.jobs.iter().map(|j| &j.system))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let no_procedure: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.with_procedure.iter().any(|p| p.trim() == *n))
            .collect();
        let mut reasons = vec![format!(
            "{}システムに{}件のバックアップ、{}件の復旧訓練の記録があります。",
            names.len(),
            self.jobs.len(),
            self.drills.len()
        )];
        if findings.is_empty() && no_procedure.is_empty() {
            reasons.push(format!(
                "どのシステムも{}世代以上・複数の方式・オフライン等の複製があり、復旧手順と{}日以内の復旧訓練があります。",
                self.policy.min_generations, self.policy.drill_within_days
            ));
            return AutoAnswer {
                suggestion: Suggestion::Yes,
                reasons_ja: reasons,
            };
        }
        if !no_procedure.is_empty() {
            reasons.push(format!(
                "復旧手順がありません: {}。",
                no_procedure.join("、")
            ));
        }
        if !findings.is_empty() {
            reasons.push(format!(
                "バックアップの指摘が{}件あります（{}）。",
                findings.len(),
                findings
                    .iter()
                    .take(3)
                    .map(|f| f.title.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
        AutoAnswer {
            suggestion: Suggestion::No,
            reasons_ja: reasons,
        }
    }
}
