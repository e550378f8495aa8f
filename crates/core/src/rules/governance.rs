//! 運用管理 — governance records: the 運用管理規程 (the facility's operating rules for its
//! medical information systems) generated from a template, the training sessions (研修) and
//! who attended them, and the 年度 PDCA calendar; the rules that turn them into findings
//! (`governance.*`) and the auto-evidence of the FY2025 checklist item 「運用管理規程等を整備
//! している」 (1-(2) in this catalog, number not yet verified).
//!
//! Why these three: inspection findings (立入検査, 個別指導 — seed 004, guideline-content.md
//! §「運用・監査」) are most often 「運用管理規程を定めていない」「定期的に職員に対し…教育訓練を
//! 行っていない」「運用管理規程に定めているシステムの監査を実施していない」.
//!
//! Pure: callers pass the records and `today`.
//!
//! | Rule | Fires when | Severity | Checklist |
//! |---|---|---|---|
//! | [`POLICY_NONE`] | no version of the 運用管理規程 is approved (a draft may exist) | high | 1-(2) |
//! | [`POLICY_REVIEW_OVERDUE`] | the approved 規程 was neither approved nor reviewed in the last 12 months | medium | 1-(2) |
//! | [`TRAINING_NONE`] | no training session is recorded in the 年度 | low, medium after the training month or for 400床以上 | 1-(2) |
//! | [`TRAINING_MISSING`] | a session was held in the 年度 and staff on the latest roster have attended none (one finding per 年度 listing them) | low, medium for 400床以上 | 1-(2) |
//! | [`PDCA_OVERDUE`] | a task of the PDCA calendar is past its due date and not done (one finding per task kind and 年度) | low | the task's item |
//!
//! **One training finding per organisation, not per person.** A hospital's roster has
//! hundreds of staff and, early in the 年度, most have not attended yet: one finding per
//! person would bury every other finding and be tracked (assignee, due date) hundreds of
//! times, while the remedy is one action — a make-up session. The single finding names the
//! count and the people (all in its evidence), [`crate::finding::reconcile`] refreshes its
//! text as people attend, and it resolves when nobody is missing.
//!
//! **No duplicate findings.** The calendar's tasks for the policy review and the training
//! have their own rules above, and the BCP review has `bcp.review_overdue`: the calendar
//! does not raise [`PDCA_OVERDUE`] for those kinds (it still shows them as 期限超過).

use std::collections::BTreeSet;

use anzen_catalog::Item;
use anzen_catalog::evidence::{
    AutoAnswer, EvidenceRule, Facts, OPERATIONS_RULES_ESTABLISHED, Suggestion,
};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calendar::{FiscalYear, wareki};
use crate::finding::{NewFinding, Severity};
use crate::rules::accounts::Staff;

/// Rule ids this module produces start with this (for reconciling).
pub const RULE_PREFIX: &str = "governance.";

/// No approved 運用管理規程.
pub const POLICY_NONE: &str = "governance.policy_none";
/// The approved 規程 has not been reviewed within 12 months.
pub const POLICY_REVIEW_OVERDUE: &str = "governance.policy_review_overdue";
/// No training session in the 年度.
pub const TRAINING_NONE: &str = "governance.training_none";
/// Staff on the roster without training attendance in the 年度.
pub const TRAINING_MISSING: &str = "governance.training_missing";
/// A PDCA calendar task is overdue.
pub const PDCA_OVERDUE: &str = "governance.pdca_overdue";

/// 1-(2) 運用管理規程等を整備している (FY2025; the catalog's number is provisional).
pub const ITEM_RULES: &str = "1-(2)";

/// Beds from which the yearly training is a condition of 診療録管理体制加算 (「許可病床数が
/// 400床以上の保険医療機関…少なくとも年1回程度…研修」, seed 004).
pub const YEARLY_TRAINING_BEDS: i64 = 400;

/// Months an approved 規程 stays current without a review (the product's default; the
/// guideline asks for 定期的な見直し, the PDCA cycle is yearly).
pub const REVIEW_WITHIN_MONTHS: i8 = 12;

// ---------------------------------------------------------------------------------------
// 運用管理規程のひな形
// ---------------------------------------------------------------------------------------

/// What the template fills in from the organisation's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgData {
    /// 施設名.
    pub facility: String,
    /// 医療情報システム安全管理責任者.
    pub security_officer: Option<String>,
    /// 企画管理者 / CISO (optional).
    pub ciso: Option<String>,
    /// The systems (システム台帳 of the accounts audit).
    pub systems: Vec<String>,
    /// The vendors (事業者管理).
    pub vendors: Vec<String>,
}

/// One section of the 運用管理規程.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySection {
    /// Stable code (the template's section), kept when the heading is edited.
    pub code: String,
    /// 見出し, e.g. 「第10条（非常時の運用）」 without the number (numbered when shown).
    pub heading: String,
    /// 本文.
    pub body: String,
}

/// 運用管理規程 — one version's text, section by section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyDocument {
    /// 表題.
    pub title: String,
    pub sections: Vec<PolicySection>,
}

/// Marks text the template could not fill from the records (to be written by hand).
pub const TO_FILL: &str = "【要記入】";

/// A section of the template: its code, heading, source and body with placeholders
/// (`{facility}`, `{officer}`, `{ciso}`, `{systems}`, `{vendors}`).
struct TemplateSection {
    code: &'static str,
    heading: &'static str,
    body: &'static str,
}

/// The template. Sections 10 and 11 follow, item by item, the 運用管理規程文例 column of
/// GL 第5.2版 付表 p.8 (seed 003: ⑧ 非常時 — 縮退運用管理規程, 非常時の機能と運用規程,
/// サイバー攻撃対策のためのバックアップ取得, 報告先と内容一覧; ⑨ 教育と訓練 — マニュアルの整備,
/// 定期又は不定期な…研修). The other sections follow the guideline's structure (GL 第6.0版
/// 経営管理編 1 責任・責務 and 5 事業者との協働; 企画管理編 「必要な規程・文書類の整備」,
/// 人的管理, 情報管理（持ち出し・破棄）; システム運用編 2 規程類と文書体系) and the
/// inspection findings of seed 004 that name what a 規程 must say (代行入力, 持ち出し, 保存年限,
/// システムの監査).
const TEMPLATE: [TemplateSection; 14] = [
    TemplateSection {
        code: "purpose",
        heading: "目的",
        body: "この規程は、{facility}（以下「当院」という。）における医療情報システムの運用管理について必要な事項を定め、「医療情報システムの安全管理に関するガイドライン」に基づき、医療情報の真正性・見読性・保存性を確保し、個人情報を適切に保護することを目的とする。",
    },
    TemplateSection {
        code: "scope",
        heading: "適用範囲",
        body: "この規程は、当院の医療情報システム及びそれに接続する機器を利用するすべての職員（委託先の従業者を含む。）に適用する。対象とするシステムは次のとおりとする。\n{systems}",
    },
    TemplateSection {
        code: "organisation",
        heading: "管理体制",
        body: "1. 管理者は、医療情報システムの安全管理について最終的な責任を負う。\n2. 医療情報システム安全管理責任者（以下「安全管理責任者」という。）を置き、{officer}をもって充てる。\n3. 安全管理責任者は、この規程の運用、職員への教育、監査及び見直しを統括する。\n4. 企画管理者（CISO）: {ciso}",
    },
    TemplateSection {
        code: "assets",
        heading: "機器・ソフトウェアの管理",
        body: "1. 安全管理責任者は、サーバ、端末PC、ネットワーク機器の台帳を作成し、少なくとも年1回棚卸を行う。\n2. 脆弱性情報を確認し、セキュリティパッチの適用又は代替の対策を行う。\n3. 許可されていない機器（USBストレージ等）を接続してはならない。",
    },
    TemplateSection {
        code: "users",
        heading: "利用者の識別・認証と権限",
        body: "1. 利用者には個人ごとの ID を付与し、ID の共用を禁止する。\n2. パスワードはガイドラインの定める長さと複雑さを満たし、他のサービスと使い回してはならない。\n3. 職種・業務に応じてアクセス権限を定め、異動・退職時には速やかに変更又は削除する。\n4. アカウントは毎月棚卸を行い、不要なアカウントを無効にする。",
    },
    TemplateSection {
        code: "proxy_entry",
        heading: "代行入力",
        body: "1. 代行入力を認める業務及び誰が誰の代行をしてよいかは、別表に定める。【要記入】\n2. 代行入力された記録は、確定者が内容を確認し、確定操作（承認）を行う。",
    },
    TemplateSection {
        code: "carry_out",
        heading: "情報及び情報機器の持ち出し",
        body: "1. 医療情報及び医療情報を格納した機器・媒体を院外に持ち出す場合は、安全管理責任者の許可を得て、持ち出し簿に記録する。\n2. 持ち出す情報は暗号化し、盗難・紛失時は直ちに安全管理責任者に報告する。",
    },
    TemplateSection {
        code: "retention",
        heading: "記録の保存と廃棄",
        body: "1. 診療録等は法令の定める期間（診療録は完結の日から5年間）保存する。その他の記録の保存年限は別表に定める。【要記入】\n2. 保存期間を過ぎた情報及び機器の廃棄は、復元できない方法で行い、その記録を残す。",
    },
    TemplateSection {
        code: "vendors",
        heading: "委託事業者の管理",
        body: "1. 医療情報システムの提供・保守を委託する事業者と、責任分界及び安全管理に関する事項を契約等で定める。\n2. 事業者から MDS/SDS 等の安全管理に関する資料の提出を受け、少なくとも年1回確認する。\n3. リモート保守は、接続元・時間・作業内容を記録し、安全管理責任者が確認する。\n当院の委託事業者は次のとおりとする。\n{vendors}",
    },
    TemplateSection {
        code: "audit",
        heading: "アクセスログの確認とシステムの監査",
        body: "1. 医療情報システムのアクセスログを保存し、安全管理責任者は毎月その内容を確認する。\n2. 安全管理責任者は、少なくとも年1回、この規程に沿ってシステムが運用されているか監査し、結果を管理者に報告する。",
    },
    TemplateSection {
        code: "emergency",
        heading: "非常時の運用（縮退運用・非常時の機能）",
        body: "1. システムの縮退運用及び非常時の運用について、判断するための基準、手順及び判断者をあらかじめ定める（縮退運用管理規程）。\n2. システムが縮退運用を行っている間の運用、正常復帰後に代替手段で運用した間のデータの整合性を図る手順、並びに非常時のユーザアカウント及び非常時用機能の管理手順を定める（非常時の機能と運用規程）。\n3. これらは事業継続計画（BCP）に定め、利用者に周知の上、常に利用可能な状態におく。",
    },
    TemplateSection {
        code: "backup",
        heading: "サイバー攻撃に備えたバックアップ",
        body: "1. サイバー攻撃に備えたバックアップの取得規則（取得対象、取得方法等）及び取得手順を定める。\n2. 重要なファイルは数世代のバックアップを複数の方式で取得し、その一部は不正ソフトウェアの混入による影響が波及しない手段で管理する。\n3. バックアップからの重要なファイルの復元手順を整備し、少なくとも年1回復旧訓練を行う。",
    },
    TemplateSection {
        code: "reporting",
        heading: "報告先と内容",
        body: "1. 不正ソフトウェアの混入などによるサイバー攻撃を受けた（疑い含む）場合、又はサイバー攻撃により障害が発生し、個人情報の漏えいや医療提供体制に支障が生じる又はそのおそれがある事案であると判断した場合には、別途定める連絡体制図の連絡先に連絡する。\n2. 所管官庁への連絡は、「医療機関等におけるサイバーセキュリティ対策の強化について」（医政総発1029第1号 医政地発1029第3号 医政研発1029第1号 平成30年10月29日）に基づき行う。",
    },
    TemplateSection {
        code: "training",
        heading: "教育と訓練",
        body: "1. 安全管理責任者は、情報システムの取扱いについてマニュアルを整備し、利用者に周知の上、常に利用可能な状態におく。\n2. 安全管理責任者は、利用者に対し、少なくとも年1回、情報システムの取扱い及びプライバシー保護並びにセキュリティ意識の向上に関する研修を行う。研修時のテキスト及び出席者リストを保存する。\n3. この規程は、少なくとも年1回見直し、管理者の承認を得る。",
    },
];

fn bullet_list(items: &[String]) -> String {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        format!("・{TO_FILL}")
    } else {
        items
            .iter()
            .map(|s| format!("・{s}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn or_fill(v: &Option<String>) -> String {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => TO_FILL.to_owned(),
    }
}

/// The 運用管理規程 generated from the template with the organisation's data; what the
/// records do not say is left as [`TO_FILL`].
pub fn generate(org: &OrgData) -> PolicyDocument {
    let facility = if org.facility.trim().is_empty() {
        TO_FILL.to_owned()
    } else {
        org.facility.trim().to_owned()
    };
    let systems = bullet_list(&org.systems);
    let vendors = bullet_list(&org.vendors);
    let officer = or_fill(&org.security_officer);
    let ciso = match org.ciso.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "置かない（安全管理責任者が兼ねる）".to_owned(),
    };
    PolicyDocument {
        title: format!("{facility} 医療情報システム運用管理規程"),
        sections: TEMPLATE
            .iter()
            .map(|t| PolicySection {
                code: t.code.to_owned(),
                heading: t.heading.to_owned(),
                body: t
                    .body
                    .replace("{facility}", &facility)
                    .replace("{systems}", &systems)
                    .replace("{vendors}", &vendors)
                    .replace("{officer}", &officer)
                    .replace("{ciso}", &ciso),
            })
            .collect(),
    }
}

impl PolicyDocument {
    /// Headings of the sections still holding [`TO_FILL`] (shown before approval).
    pub fn unfilled(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.title.contains(TO_FILL) {
            out.push("表題".to_owned());
        }
        out.extend(
            self.sections
                .iter()
                .filter(|s| s.heading.contains(TO_FILL) || s.body.contains(TO_FILL))
                .map(|s| s.heading.clone()),
        );
        out
    }

    /// 「第N条（見出し）」 for section `i` (0-based).
    pub fn article(&self, i: usize) -> String {
        let h = self.sections.get(i).map_or("", |s| s.heading.as_str());
        format!("第{}条（{h}）", i + 1)
    }
}

// ---------------------------------------------------------------------------------------
// 規程の状態と研修
// ---------------------------------------------------------------------------------------

/// The 規程 as the rules see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyState {
    /// The latest approved version.
    pub approved: Option<ApprovedPolicy>,
    /// The version number of a draft newer than the approved one, if any.
    pub draft_version: Option<u32>,
}

/// The approved version in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedPolicy {
    /// 版.
    pub version: u32,
    /// 承認日.
    pub approved_on: Date,
    /// The latest yearly review (見直し) recorded for it, if any.
    pub last_review: Option<Date>,
}

impl ApprovedPolicy {
    /// The latest of the approval and the reviews.
    pub fn last_checked(&self) -> Date {
        self.last_review
            .map_or(self.approved_on, |r| r.max(self.approved_on))
    }

    /// When the next review falls due: [`REVIEW_WITHIN_MONTHS`] after [`Self::last_checked`].
    pub fn review_due(&self) -> Date {
        self.last_checked()
            .saturating_add(jiff::Span::new().months(REVIEW_WITHIN_MONTHS))
    }
}

/// A training session (研修) as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingSession {
    pub title: String,
    /// 実施日.
    pub date: Date,
    /// 職員番号 of the attendees on the roster (free-text attendees are not matched).
    pub attendee_staff_ids: Vec<String>,
}

/// Options of the governance rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// 許可病床数 (400床以上: the yearly training is a condition of 診療録管理体制加算).
    pub beds: Option<i64>,
    /// Due months of the calendar tasks.
    pub calendar: CalendarOptions,
}

fn finding(
    rule: &str,
    detail: &str,
    severity: Severity,
    title: String,
    message: String,
    checklist: &str,
    evidence: serde_json::Value,
) -> NewFinding {
    let subject = "governance".to_owned();
    NewFinding {
        key: format!("{rule}/{subject}/{detail}"),
        rule: rule.to_owned(),
        subject,
        severity,
        title,
        message,
        checklist: if checklist.is_empty() {
            Vec::new()
        } else {
            vec![checklist.to_owned()]
        },
        evidence,
        due_hint: None,
    }
}

/// The 規程 findings: none approved, or the approved one past its yearly review.
pub fn policy_findings(p: &PolicyState, today: Date) -> Vec<NewFinding> {
    let Some(a) = &p.approved else {
        let message = match p.draft_version {
            Some(v) => format!(
                "第{v}版の下書きがありますが、まだ承認されていません。内容を確認し、管理者の承認を得てください（立入検査で多い指摘:「運用管理規程を定めていない」）。"
            ),
            None => "運用管理画面でひな形から規程を作成し、施設に合わせて編集して、管理者の承認を得てください（立入検査で多い指摘:「運用管理規程を定めていない」）。".to_owned(),
        };
        return vec![finding(
            POLICY_NONE,
            "-",
            Severity::High,
            "承認された運用管理規程がありません".to_owned(),
            message,
            ITEM_RULES,
            json!({ "draft_version": p.draft_version }),
        )];
    };
    let due = a.review_due();
    if due < today {
        return vec![finding(
            POLICY_REVIEW_OVERDUE,
            "-",
            Severity::Medium,
            format!(
                "運用管理規程（第{}版）の年次見直しの期限（{}）を過ぎています",
                a.version,
                wareki(due)
            ),
            format!(
                "承認日は{}、最後の確認は{}です。システム・事業者・体制の変化を反映して見直し、見直しの記録（変更がなければ「変更なし」）を残してください。",
                wareki(a.approved_on),
                wareki(a.last_checked())
            ),
            ITEM_RULES,
            json!({ "version": a.version, "approved_on": a.approved_on.to_string(), "review_due": due.to_string() }),
        )];
    }
    Vec::new()
}

/// Staff employed on `today` (not retired before it) on the roster.
fn active_staff(roster: &[Staff], today: Date) -> impl Iterator<Item = &Staff> {
    roster
        .iter()
        .filter(move |s| s.retired.is_none_or(|r| r >= today))
        .filter(move |s| s.hired.is_none_or(|h| h <= today))
}

/// The staff on the roster, employed on `today`, who attended no session of `fy`.
pub fn missing_attendance<'a>(
    roster: &'a [Staff],
    sessions: &[TrainingSession],
    fy: FiscalYear,
    today: Date,
) -> Vec<&'a Staff> {
    let attended: BTreeSet<&str> = sessions
        .iter()
        .filter(|s| fy.contains(s.date))
        .flat_map(|s| s.attendee_staff_ids.iter().map(|id| id.trim()))
        .collect();
    active_staff(roster, today)
        .filter(|s| !attended.contains(s.staff_id.trim()))
        .collect()
}

/// How many names a finding's message lists before 「ほかN名」 (all are in the evidence).
const NAMES_SHOWN: usize = 20;

/// The training findings for the 年度 of `today`: no session yet, or staff who attended none.
pub fn training_findings(
    roster: &[Staff],
    sessions: &[TrainingSession],
    opts: &Options,
    today: Date,
) -> Vec<NewFinding> {
    let fy = FiscalYear::of(today);
    let large = opts.beds.is_some_and(|b| b >= YEARLY_TRAINING_BEDS);
    let due = month_end(fy, opts.calendar.training_month);
    let in_fy: Vec<&TrainingSession> = sessions.iter().filter(|s| fy.contains(s.date)).collect();
    let rule_note = if large {
        "許可病床数400床以上の医療機関は、診療録管理体制加算の要件として職員に年1回程度の情報セキュリティ研修が求められます。"
    } else {
        "ガイドラインは利用者への定期的な研修と、研修時のテキスト・出席者リストの保存を求めています（GL 第5.2版 付表 ⑨ 教育と訓練）。"
    };
    if in_fy.is_empty() {
        return vec![finding(
            TRAINING_NONE,
            &fy.0.to_string(),
            if large || today > due {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!("{}の研修がまだ実施されていません", fy.label_ja()),
            format!(
                "{rule_note}予定（PDCA カレンダー）は{}までです。研修を実施し、テキストと出席者を記録してください。",
                wareki(due)
            ),
            ITEM_RULES,
            json!({ "fiscal_year": fy.0, "due": due.to_string() }),
        )];
    }
    let missing = missing_attendance(roster, sessions, fy, today);
    if missing.is_empty() {
        return Vec::new();
    }
    let total = active_staff(roster, today).count();
    let shown: Vec<String> = missing
        .iter()
        .take(NAMES_SHOWN)
        .map(|s| format!("{}（{}）", s.name, s.staff_id))
        .collect();
    let more = missing.len().saturating_sub(NAMES_SHOWN);
    vec![finding(
        TRAINING_MISSING,
        &fy.0.to_string(),
        if large {
            Severity::Medium
        } else {
            Severity::Low
        },
        format!(
            "{}の研修を受けていない職員が{}名います（在籍{}名中）",
            fy.label_ja(),
            missing.len(),
            total
        ),
        format!(
            "{rule_note}未受講: {}{}。補講を行うか、欠席者向けの資料で受講を記録してください。",
            shown.join("、"),
            if more > 0 {
                format!(" ほか{more}名")
            } else {
                String::new()
            }
        ),
        ITEM_RULES,
        json!({
            "fiscal_year": fy.0,
            "missing": missing.iter().map(|s| json!({"staff_id": s.staff_id, "name": s.name})).collect::<Vec<_>>(),
            "active": total,
        }),
    )]
}

// ---------------------------------------------------------------------------------------
// 年度 PDCA カレンダー
// ---------------------------------------------------------------------------------------

/// What the calendar plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TaskKind {
    /// サイバーセキュリティ対策チェックリストの記入・完了 (yearly).
    Checklist,
    /// アカウントの棚卸 (monthly sign-off, 2-(5)).
    AccountReview,
    /// アクセスログの確認 (monthly, 2-(6)).
    AccessLogAudit,
    /// 復旧訓練 (yearly, 3-(2)).
    RestoreDrill,
    /// 事業継続計画の見直し (yearly, 3-(3)).
    BcpReview,
    /// 運用管理規程の見直し (yearly, 1-(2)).
    PolicyReview,
    /// 研修 (yearly).
    Training,
    /// 事業者の資料（MDS/SDS 等）の更新確認 (yearly, 2-(3)).
    VendorDocuments,
}

impl TaskKind {
    pub const ALL: [TaskKind; 8] = [
        TaskKind::Checklist,
        TaskKind::AccountReview,
        TaskKind::AccessLogAudit,
        TaskKind::RestoreDrill,
        TaskKind::BcpReview,
        TaskKind::PolicyReview,
        TaskKind::Training,
        TaskKind::VendorDocuments,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TaskKind::Checklist => "checklist",
            TaskKind::AccountReview => "account_review",
            TaskKind::AccessLogAudit => "access_log_audit",
            TaskKind::RestoreDrill => "restore_drill",
            TaskKind::BcpReview => "bcp_review",
            TaskKind::PolicyReview => "policy_review",
            TaskKind::Training => "training",
            TaskKind::VendorDocuments => "vendor_documents",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            TaskKind::Checklist => "チェックリストの完了",
            TaskKind::AccountReview => "アカウントの棚卸",
            TaskKind::AccessLogAudit => "アクセスログの確認",
            TaskKind::RestoreDrill => "復旧訓練",
            TaskKind::BcpReview => "BCP の見直し",
            TaskKind::PolicyReview => "運用管理規程の見直し",
            TaskKind::Training => "研修",
            TaskKind::VendorDocuments => "事業者資料の更新確認",
        }
    }

    /// The checklist item the task serves.
    pub fn checklist(self) -> &'static str {
        match self {
            TaskKind::Checklist => "",
            TaskKind::AccountReview => "2-(5)",
            TaskKind::AccessLogAudit => "2-(6)",
            TaskKind::RestoreDrill => "3-(2)",
            TaskKind::BcpReview => "3-(3)",
            TaskKind::PolicyReview | TaskKind::Training => ITEM_RULES,
            TaskKind::VendorDocuments => "2-(3)",
        }
    }

    /// The page that records it, relative to the organisation (`/o/{org}`).
    pub fn link(self) -> &'static str {
        match self {
            TaskKind::Checklist => "/checklist",
            TaskKind::AccountReview => "/accounts",
            TaskKind::AccessLogAudit => "/access-log",
            TaskKind::RestoreDrill => "/incident/backups",
            TaskKind::BcpReview => "/incident/bcp",
            TaskKind::PolicyReview => "/governance/policy",
            TaskKind::Training => "/governance/training",
            TaskKind::VendorDocuments => "/vendors",
        }
    }

    /// Whether an overdue task of this kind raises [`PDCA_OVERDUE`] (not when another rule
    /// already reports the same condition).
    pub fn raises_finding(self) -> bool {
        !matches!(
            self,
            TaskKind::PolicyReview | TaskKind::Training | TaskKind::BcpReview
        )
    }
}

/// 済 / 予定 / 期限超過.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskStatus {
    Done,
    Planned,
    Overdue,
}

impl TaskStatus {
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Done => "done",
            TaskStatus::Planned => "planned",
            TaskStatus::Overdue => "overdue",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            TaskStatus::Done => "済",
            TaskStatus::Planned => "予定",
            TaskStatus::Overdue => "期限超過",
        }
    }
}

/// One task of the 年度.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub kind: TaskKind,
    /// The month it belongs to (1–12).
    pub month: i8,
    /// 期限 (the last day of its month, or the review date).
    pub due: Date,
    pub status: TaskStatus,
    /// When it was done, if known.
    pub done_on: Option<Date>,
    /// A short note (e.g. which vendors' documents are old).
    pub note: String,
}

impl Task {
    /// The link target relative to the organisation.
    pub fn link(&self) -> &'static str {
        self.kind.link()
    }
}

/// The months the yearly tasks are planned in (the product's defaults; the guideline
/// gives no months).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarOptions {
    /// Vendor documents: after the contracts renew (5月).
    pub vendor_documents_month: i8,
    /// Checklist: early, so the answers are ready for an inspection (6月).
    pub checklist_month: i8,
    /// Restore drill (9月).
    pub restore_drill_month: i8,
    /// Training (11月).
    pub training_month: i8,
    /// Policy / BCP review when no approval date places it (4月).
    pub review_month: i8,
}

impl Default for CalendarOptions {
    fn default() -> Self {
        CalendarOptions {
            vendor_documents_month: 5,
            checklist_month: 6,
            restore_drill_month: 9,
            training_month: 11,
            review_month: 4,
        }
    }
}

/// What the calendar reads, filled by the web layer from the organisation's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarInputs {
    /// Completion date of this 年度's checklist, if completed.
    pub checklist_completed: Option<Date>,
    /// Months (year, month) with an account 棚卸 sign-off (any system).
    pub account_review_months: Vec<(i16, i8)>,
    /// Whether account 棚卸 applies (systems are registered).
    pub has_systems: bool,
    /// Months (year, month) whose monthly access-log 監査 report is signed off.
    pub access_log_audit_months: Vec<(i16, i8)>,
    /// Whether access logs are collected at all (events stored); without them the monthly
    /// audit shows as 予定 and never becomes overdue (2-(6)'s own evidence rule asks for the
    /// logs first).
    pub access_log_audit_tracked: bool,
    /// Restore drill dates.
    pub restore_drills: Vec<Date>,
    /// The approval date of the BCP in force and its next review date.
    pub bcp_approved: Option<Date>,
    pub bcp_next_review: Option<Date>,
    /// The approved 規程.
    pub policy: Option<ApprovedPolicy>,
    /// Training session dates.
    pub training: Vec<Date>,
    /// Per active vendor: its name and the latest date a document was received.
    pub vendor_documents: Vec<(String, Option<Date>)>,
}

fn month_end(fy: FiscalYear, month: i8) -> Date {
    let month = month.clamp(1, 12);
    let year = if month >= 4 { fy.0 } else { fy.0 + 1 };
    let first = i16::try_from(year)
        .ok()
        .and_then(|y| Date::new(y, month, 1).ok())
        .unwrap_or(fy.start());
    first.last_of_month()
}

fn status(done: Option<Date>, due: Date, today: Date) -> TaskStatus {
    match done {
        Some(_) => TaskStatus::Done,
        None if today > due => TaskStatus::Overdue,
        None => TaskStatus::Planned,
    }
}

/// A yearly review task (policy or BCP): done when approved or reviewed in the 年度; due
/// on the review date when it falls in the 年度, else at the end of `default_month`.
fn review_task(
    kind: TaskKind,
    fy: FiscalYear,
    last: Option<Date>,
    next: Option<Date>,
    default_month: i8,
    today: Date,
) -> Task {
    let done = last.filter(|d| fy.contains(*d));
    let due = next
        .filter(|d| fy.contains(*d))
        .unwrap_or_else(|| month_end(fy, default_month));
    let note = match (last, done) {
        (None, _) => "承認された版がありません".to_owned(),
        (Some(_), Some(_)) => String::new(),
        (Some(l), None) => format!("前回 {}", wareki(l)),
    };
    Task {
        kind,
        month: due.month(),
        due,
        status: status(done, due, today),
        done_on: done,
        note,
    }
}

/// The tasks of `fy`, ordered by month (April first) and kind.
pub fn calendar(
    fy: FiscalYear,
    inputs: &CalendarInputs,
    opts: &CalendarOptions,
    today: Date,
) -> Vec<Task> {
    let mut tasks = Vec::new();
    let yearly = |kind: TaskKind, month: i8, done: Option<Date>, note: String| {
        let due = month_end(fy, month);
        Task {
            kind,
            month: due.month(),
            due,
            status: status(done, due, today),
            done_on: done,
            note,
        }
    };
    tasks.push(yearly(
        TaskKind::Checklist,
        opts.checklist_month,
        inputs.checklist_completed.filter(|d| fy.contains(*d)),
        String::new(),
    ));
    // The months of the 年度, April → March.
    let months: Vec<(i16, i8)> = (0..12)
        .map(|i: i8| {
            let m = month_end(fy, (3 + i) % 12 + 1);
            (m.year(), m.month())
        })
        .collect();
    if inputs.has_systems {
        for (y, m) in &months {
            let due = month_end(fy, *m);
            let done = inputs
                .account_review_months
                .contains(&(*y, *m))
                .then_some(due);
            tasks.push(Task {
                kind: TaskKind::AccountReview,
                month: *m,
                due,
                status: status(done, due, today),
                done_on: None,
                note: String::new(),
            });
        }
    }
    for (y, m) in &months {
        // Month m's log is reviewed once it is over: its report is signed off in the
        // following month (the report page refuses a running month), so that is when it
        // falls due.
        let due = month_end(fy, *m)
            .last_of_month()
            .tomorrow()
            .map_or(month_end(fy, *m), |d| d.last_of_month());
        let done = inputs
            .access_log_audit_months
            .contains(&(*y, *m))
            .then_some(due);
        let mut st = status(done, due, today);
        if !inputs.access_log_audit_tracked && st == TaskStatus::Overdue {
            st = TaskStatus::Planned;
        }
        tasks.push(Task {
            kind: TaskKind::AccessLogAudit,
            month: *m,
            due,
            status: st,
            done_on: None,
            note: if inputs.access_log_audit_tracked {
                String::new()
            } else {
                "アクセスログがまだ取り込まれていません".to_owned()
            },
        });
    }
    tasks.push(yearly(
        TaskKind::RestoreDrill,
        opts.restore_drill_month,
        inputs
            .restore_drills
            .iter()
            .copied()
            .filter(|d| fy.contains(*d))
            .max(),
        String::new(),
    ));
    tasks.push(review_task(
        TaskKind::BcpReview,
        fy,
        inputs.bcp_approved,
        inputs.bcp_next_review.or_else(|| {
            inputs
                .bcp_approved
                .map(|d| d.saturating_add(jiff::Span::new().years(1)))
        }),
        opts.review_month,
        today,
    ));
    tasks.push(review_task(
        TaskKind::PolicyReview,
        fy,
        inputs.policy.as_ref().map(ApprovedPolicy::last_checked),
        inputs.policy.as_ref().map(ApprovedPolicy::review_due),
        opts.review_month,
        today,
    ));
    tasks.push(yearly(
        TaskKind::Training,
        opts.training_month,
        inputs
            .training
            .iter()
            .copied()
            .filter(|d| fy.contains(*d))
            .min(),
        String::new(),
    ));
    if !inputs.vendor_documents.is_empty() {
        let stale: Vec<&str> = inputs
            .vendor_documents
            .iter()
            .filter(|(_, d)| d.is_none_or(|d| !fy.contains(d)))
            .map(|(n, _)| n.as_str())
            .collect();
        let done = if stale.is_empty() {
            inputs.vendor_documents.iter().filter_map(|(_, d)| *d).max()
        } else {
            None
        };
        tasks.push(yearly(
            TaskKind::VendorDocuments,
            opts.vendor_documents_month,
            done,
            if stale.is_empty() {
                String::new()
            } else {
                format!("今年度未確認: {}", stale.join("、"))
            },
        ));
    }
    let fiscal_index = |m: i8| (i32::from(m) + 8) % 12;
    tasks.sort_by_key(|t| (fiscal_index(t.month), t.kind));
    tasks
}

/// Tasks overdue or due within `days` of `today` (the dashboard's reminders).
pub fn reminders(tasks: &[Task], today: Date, days: i64) -> Vec<&Task> {
    let horizon = today.saturating_add(jiff::Span::new().days(days));
    tasks
        .iter()
        .filter(|t| match t.status {
            TaskStatus::Overdue => true,
            TaskStatus::Planned => t.due >= today && t.due <= horizon,
            TaskStatus::Done => false,
        })
        .collect()
}

/// [`PDCA_OVERDUE`]: one finding per task kind (of those that [`TaskKind::raises_finding`])
/// with overdue tasks in the 年度, naming the months.
pub fn calendar_findings(fy: FiscalYear, tasks: &[Task]) -> Vec<NewFinding> {
    let mut out = Vec::new();
    for kind in TaskKind::ALL.into_iter().filter(|k| k.raises_finding()) {
        let overdue: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.kind == kind && t.status == TaskStatus::Overdue)
            .collect();
        if overdue.is_empty() {
            continue;
        }
        let months: Vec<String> = overdue.iter().map(|t| format!("{}月", t.month)).collect();
        out.push(finding(
            PDCA_OVERDUE,
            &format!("{}:{}", fy.0, kind.code()),
            Severity::Low,
            format!(
                "{}の「{}」が期限を過ぎています（{}）",
                fy.label_ja(),
                kind.label_ja(),
                months.join("、")
            ),
            format!(
                "年度の PDCA カレンダーで{}までに予定していた「{}」の記録がありません。実施して記録してください。{}",
                wareki(overdue[0].due),
                kind.label_ja(),
                overdue
                    .iter()
                    .map(|t| t.note.as_str())
                    .find(|n| !n.is_empty())
                    .unwrap_or("")
            ),
            kind.checklist(),
            json!({ "fiscal_year": fy.0, "kind": kind.code(), "months": overdue.iter().map(|t| t.month).collect::<Vec<_>>() }),
        ));
    }
    out
}

/// Everything the governance rules read.
#[derive(Debug, Clone, Default)]
pub struct GovernanceInputs {
    pub policy: PolicyState,
    pub roster: Vec<Staff>,
    pub sessions: Vec<TrainingSession>,
    pub calendar: CalendarInputs,
}

/// All governance findings for `today`.
pub fn findings(i: &GovernanceInputs, opts: &Options, today: Date) -> Vec<NewFinding> {
    let fy = FiscalYear::of(today);
    let mut out = policy_findings(&i.policy, today);
    out.extend(training_findings(&i.roster, &i.sessions, opts, today));
    let tasks = calendar(fy, &i.calendar, &opts.calendar, today);
    out.extend(calendar_findings(fy, &tasks));
    out
}

// ---------------------------------------------------------------------------------------
// 自動判定
// ---------------------------------------------------------------------------------------

/// 1-(2) 運用管理規程等を整備している ← an approved 規程 within its yearly review, and (the
/// 「等」: 付表 ⑨ 教育と訓練 is part of the 規程) a training session held in the 年度. The
/// catalog has no separate training item, so training is judged here.
#[derive(Debug, Clone)]
pub struct OperationsRulesEstablished {
    pub policy: PolicyState,
    /// Training session dates.
    pub training: Vec<Date>,
    pub today: Date,
}

impl EvidenceRule for OperationsRulesEstablished {
    fn key(&self) -> &str {
        OPERATIONS_RULES_ESTABLISHED
    }

    fn evaluate(&self, _item: &Item, _facts: &Facts) -> AutoAnswer {
        let fy = FiscalYear::of(self.today);
        let Some(a) = &self.policy.approved else {
            return AutoAnswer {
                suggestion: Suggestion::No,
                reasons_ja: vec!["承認された運用管理規程がありません。".to_owned()],
            };
        };
        let mut reasons = vec![format!(
            "運用管理規程 第{}版（{}承認、最後の確認 {}）があります。",
            a.version,
            wareki(a.approved_on),
            wareki(a.last_checked())
        )];
        let mut ok = true;
        if a.review_due() < self.today {
            ok = false;
            reasons.push(format!(
                "年次見直しの期限（{}）を過ぎています。",
                wareki(a.review_due())
            ));
        }
        let held = self.training.iter().filter(|d| fy.contains(**d)).count();
        if held == 0 {
            ok = false;
            reasons.push(format!("{}の研修の記録がありません。", fy.label_ja()));
        } else {
            reasons.push(format!("{}に研修を{held}回実施しています。", fy.label_ja()));
        }
        AutoAnswer {
            suggestion: if ok { Suggestion::Yes } else { Suggestion::No },
            reasons_ja: reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_follows_the_appendix_and_fills_org_data() {
        let doc = generate(&OrgData {
            facility: "安全病院".into(),
            security_officer: Some("事務長 花子".into()),
            ciso: None,
            systems: vec!["電子カルテ".into(), "レセコン".into()],
            vendors: vec![],
        });
        assert_eq!(doc.title, "安全病院 医療情報システム運用管理規程");
        let codes: Vec<&str> = doc.sections.iter().map(|s| s.code.as_str()).collect();
        // 付表 ⑧ and ⑨ are all there.
        for c in ["emergency", "backup", "reporting", "training"] {
            assert!(codes.contains(&c), "{c}");
        }
        let all: String = doc.sections.iter().map(|s| s.body.as_str()).collect();
        assert!(all.contains("安全病院（以下「当院」という。）"));
        assert!(all.contains("事務長 花子をもって充てる"));
        assert!(all.contains("・電子カルテ\n・レセコン"));
        assert!(all.contains("出席者リストを保存する"));
        assert!(all.contains("医政総発1029第1号"));
        assert!(!all.contains('{'), "every placeholder filled");
        // No vendors registered: the vendors list is to be written by hand.
        assert!(doc.unfilled().contains(&"委託事業者の管理".to_owned()));
        assert_eq!(doc.article(0), "第1条（目的）");
    }
}
