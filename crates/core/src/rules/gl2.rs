//! 2省GL 該当性チェック — does the vendor fall under the 「医療情報を取り扱う情報システム・
//! サービスの提供事業者における安全管理ガイドライン」 (総務省・経済産業省, "2省GL")? A guided
//! questionnaire as data (a small decision tree) and a pure [`evaluate`] giving the
//! outcome with its reasoning, every step quoting the criterion it used and where it comes
//! from.
//!
//! # Source
//!
//! Seed 004 (NTTデータ経営研究所, 令和4年度 2省GL調査報告書, 2023-03-24), §2-1
//! 「事業者の利便性向上に向けた資料作成等」 (lines 392–470 of the text extraction):
//!
//! - ① 医療情報システム等提供事業者の範囲の概要 (l. 395–410). The scope figures themselves
//!   are images and not in the text; their notes are: 「※1 開発・保守・運用・管理などの契約が
//!   ない場合には、医療機関等が自らの責任範囲となる。なお単なる売買契約は含まない。」(l. 408)
//!   and 「※2 医療情報を取り扱わないサービス（例えば電力供給契約や清掃契約等）は含まない」
//!   (l. 410). The kinds of service offered as answers (system, cloud, data centre,
//!   maintenance, operation) follow the figure's caption 「医療情報システム等事業者が提供する
//!   システム・サービス内容を含めて整理した」 (l. 399) and the survey's own questions on
//!   PaaS/IaaS use (§1-3 items 6–7, l. 361–362).
//! - 医療情報 is 「医療に関する患者情報（個人識別情報）」 (l. 432).
//! - ③ PHR指針と2省GLの適用対象の整理 (l. 428–470): PHR data received from a 医療機関等 at
//!   the patient's instruction falls under the 2省GL (l. 434); 健診等情報 is not 医療情報
//!   unless a 医療従事者 records it in the 診療録 (l. 457); other PHR data falls under the
//!   PHR指針 only (l. 458), and the table 「PHR に対する2省GL、PHR指針、個人情報保護法等の
//!   適用関係の整理」 (l. 460–470) gives, per kind of PHR data, PHR指針 / 2省GL / 個人情報保護法令.
//! - The survey found vendors unsure whether they are in scope (§1-3 items 11–12, l. 370–371:
//!   「適用対象の判断がわかりにくい」「医療情報の解釈自体が問題となる」): that is why an
//!   unanswered or 「分からない」 answer gives 要確認 rather than a guess.
//!
//! # Shape
//!
//! [`QUESTIONS`] is the tree: each [`Choice`] says which question follows ([`Next`]) and how
//! it sets the two verdicts it concerns (2省GL, PHR指針). [`evaluate`] walks it from the first
//! question with the given answers, stops at the first reached question without a valid
//! answer (→ 要確認), ignores answers to questions not reached, and combines the effects:
//! any 適用 wins, else any 要確認, else 適用外. 個人情報保護法令 is always noted (the table's
//! last column is ○ in every row).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The questionnaire's version, saved with each assessment (a later change of the tree
/// can tell old assessments apart).
pub const VERSION: &str = "seed004-2-1/2023";

/// Where a criterion comes from (shown to the user).
const SRC_SCOPE_1: &str = "2省GL調査報告書（令和4年度）§2-1 ① 範囲の概要 ※1";
const SRC_SCOPE_2: &str = "2省GL調査報告書（令和4年度）§2-1 ① 範囲の概要 ※2";
const SRC_SCOPE: &str =
    "2省GL調査報告書（令和4年度）§2-1 ① 範囲の概要（図）、§1-3 ヒアリング項目6・7";
const SRC_MEDICAL: &str =
    "2省GL調査報告書（令和4年度）§2-1 ③（医療情報＝医療に関する患者情報（個人識別情報））";
const SRC_PHR: &str = "2省GL調査報告書（令和4年度）§2-1 ③ PHR指針と2省GLの適用対象の整理";
const SRC_TABLE: &str = "2省GL調査報告書（令和4年度）§2-1 ③ 表「PHR に対する2省GL、PHR指針、個人情報保護法等の適用関係の整理」";
const SRC_UNSURE: &str =
    "2省GL調査報告書（令和4年度）§1-3 ヒアリング項目11・12（該当性の判断が分かりにくい）";

/// Whether a guideline applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Applicability {
    /// ○ 適用
    Applies,
    /// × 適用外
    NotApplicable,
    /// 要確認 — not answered or not known.
    Unknown,
}

impl Applicability {
    pub fn label_ja(self) -> &'static str {
        match self {
            Applicability::Applies => "適用",
            Applicability::NotApplicable => "適用外",
            Applicability::Unknown => "要確認",
        }
    }

    /// Any 適用 wins, else any 要確認, else 適用外.
    fn combine(a: Option<Applicability>, b: Applicability) -> Applicability {
        match (a, b) {
            (Some(Applicability::Applies), _) | (_, Applicability::Applies) => {
                Applicability::Applies
            }
            (Some(Applicability::Unknown), _) | (_, Applicability::Unknown) => {
                Applicability::Unknown
            }
            _ => Applicability::NotApplicable,
        }
    }
}

/// The headline result of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    /// 2省GLの適用あり (the PHR指針 may apply too: see [`Outcome::phr_guideline`]).
    Applies,
    /// 2省GLの適用なし (neither 2省GL nor PHR指針).
    NotApplicable,
    /// 2省GLの適用はなく、PHR指針の対象.
    PhrGuideline,
    /// 要確認: a question is unanswered or answered 「分からない」.
    NeedsReview,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Applies,
        Verdict::NotApplicable,
        Verdict::PhrGuideline,
        Verdict::NeedsReview,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Verdict::Applies => "applies",
            Verdict::NotApplicable => "not_applicable",
            Verdict::PhrGuideline => "phr_guideline",
            Verdict::NeedsReview => "needs_review",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Verdict::Applies => "2省GLの適用あり",
            Verdict::NotApplicable => "2省GLの適用なし",
            Verdict::PhrGuideline => "2省GLの適用なし（PHR指針の対象）",
            Verdict::NeedsReview => "要確認",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.code() == s.trim())
    }
}

/// What follows an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The question with this id.
    Ask(&'static str),
    /// The questionnaire ends here.
    End,
}

/// An answer choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub next: Next,
    /// How the answer sets 2省GL's applicability (None = says nothing about it).
    pub gl2: Option<Applicability>,
    /// How the answer sets the PHR指針's applicability.
    pub phr: Option<Applicability>,
    /// The criterion the answer is judged by, quoted or paraphrased from the source.
    pub criterion: &'static str,
    pub source: &'static str,
}

/// A question of the questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub id: &'static str,
    pub text: &'static str,
    /// A hint shown under the question.
    pub help: &'static str,
    pub choices: &'static [Choice],
}

impl Question {
    pub fn choice(&self, code: &str) -> Option<&'static Choice> {
        self.choices.iter().find(|c| c.code == code.trim())
    }
}

use Applicability::{Applies, NotApplicable, Unknown};

const UNSURE: &str = "「分からない」と回答されたため判断できません。事業者に確認してください（調査でも、適用対象の判断が分かりにくいという声が挙がっています）。";

const fn unsure(next: Next, gl2: Option<Applicability>, phr: Option<Applicability>) -> Choice {
    Choice {
        code: "unknown",
        label: "分からない",
        next,
        gl2,
        phr,
        criterion: UNSURE,
        source: SRC_UNSURE,
    }
}

const CONTINUE_SERVICE: &str = "開発・保守・運用・管理などの契約に基づいて医療情報システム等を提供する事業者は、2省GLの対象事業者になり得ます。続いてサービスの内容を確認します。";

/// The questionnaire. The first question is the root.
pub const QUESTIONS: &[Question] = &[
    Question {
        id: "relation",
        text: "この事業者と医療機関等（自施設）との関係はどれですか？",
        help: "契約書・注文書の内容で判断してください。PHR サービスは、患者・利用者が自分の健康情報を管理するためのサービスです。",
        choices: &[
            Choice {
                code: "contract",
                label: "医療機関等と、医療情報システム・サービスの開発・保守・運用・管理などの契約がある",
                next: Next::Ask("service"),
                gl2: None,
                phr: Some(NotApplicable),
                criterion: CONTINUE_SERVICE,
                source: SRC_SCOPE_1,
            },
            Choice {
                code: "subcontract",
                label: "医療機関等と契約する提供事業者から委託・再委託を受けている（クラウド基盤、データセンター等）",
                next: Next::Ask("service"),
                gl2: None,
                phr: Some(NotApplicable),
                criterion: "医療機関等と直接の契約がなくても、提供事業者の委託を受けてサービスの一部（PaaS・IaaS・データセンター等）を担う事業者は、提供事業者間の責任分界に従って医療情報システム等の提供に関わります。続いてサービスの内容を確認します。",
                source: SRC_SCOPE,
            },
            Choice {
                code: "sale_only",
                label: "機器・ソフトウェアの売買契約のみ（開発・保守・運用・管理の契約はない）",
                next: Next::End,
                gl2: Some(NotApplicable),
                phr: Some(NotApplicable),
                criterion: "「開発・保守・運用・管理などの契約がない場合には、医療機関等が自らの責任範囲となる。なお単なる売買契約は含まない。」",
                source: SRC_SCOPE_1,
            },
            Choice {
                code: "phr",
                label: "医療機関等とは契約せず、患者・利用者向けに PHR サービスを提供している",
                next: Next::Ask("phr_from_facility"),
                gl2: None,
                phr: None,
                criterion: "PHR 指針は「健診等情報を取り扱うPHR サービスを提供する民間事業者を対象とする」。PHR に属する情報の種類ごとに、PHR指針と2省GLの適用が分かれます。",
                source: SRC_PHR,
            },
            unsure(Next::End, Some(Unknown), Some(Unknown)),
        ],
    },
    Question {
        id: "service",
        text: "提供しているシステム・サービスの内容はどれですか？（主なもの）",
        help: "複数ある場合は、医療情報に最も深く関わるものを選んでください。",
        choices: &[
            Choice {
                code: "system",
                label: "医療情報システムの開発・導入（電子カルテ、レセコン、PACS、部門システム等）",
                next: Next::Ask("handles"),
                gl2: None,
                phr: None,
                criterion: "医療情報システムの開発・導入は、範囲図の「医療情報システム等事業者が提供するシステム・サービス」に当たります。医療情報を取り扱うかどうかで判断します。",
                source: SRC_SCOPE,
            },
            Choice {
                code: "cloud",
                label: "クラウドサービス（ASP・SaaS、PaaS、IaaS）",
                next: Next::Ask("handles"),
                gl2: None,
                phr: None,
                criterion: "クラウドサービス（ASP・SaaS、PaaS、IaaS）は、医療情報を保存・処理するサービスとして範囲図に含まれます。医療情報を取り扱うかどうかで判断します。",
                source: SRC_SCOPE,
            },
            Choice {
                code: "datacenter",
                label: "データセンター・ハウジング・外部保存",
                next: Next::Ask("handles"),
                gl2: None,
                phr: None,
                criterion: "データセンター・外部保存は、医療情報を格納する機器等を預かるサービスとして範囲図に含まれます。医療情報を取り扱うかどうかで判断します。",
                source: SRC_SCOPE,
            },
            Choice {
                code: "maintenance",
                label: "保守（リモートメンテナンスを含む）",
                next: Next::Ask("handles"),
                gl2: None,
                phr: None,
                criterion: "保守は※1の「開発・保守・運用・管理などの契約」に当たります。作業の中で医療情報にアクセスできるかどうかで判断します。",
                source: SRC_SCOPE_1,
            },
            Choice {
                code: "operation",
                label: "運用・管理の受託（運用代行、監視、バックアップ運用等）",
                next: Next::Ask("handles"),
                gl2: None,
                phr: None,
                criterion: "運用・管理は※1の「開発・保守・運用・管理などの契約」に当たります。医療情報を取り扱うかどうかで判断します。",
                source: SRC_SCOPE_1,
            },
            Choice {
                code: "no_medical",
                label: "医療情報を取り扱わないサービス（電力供給、清掃、警備等）",
                next: Next::End,
                gl2: Some(NotApplicable),
                phr: None,
                criterion: "「医療情報を取り扱わないサービス（例えば電力供給契約や清掃契約等）は含まない」",
                source: SRC_SCOPE_2,
            },
            unsure(Next::End, Some(Unknown), None),
        ],
    },
    Question {
        id: "handles",
        text: "そのサービスで医療情報（医療に関する患者情報（個人識別情報））を保存・処理・送受信しますか？ 保守・運用の作業で医療情報にアクセスできる場合も含みます。",
        help: "例: クラウドに診療データを保存する、検査画像を送受信する、リモートメンテナンスでサーバのデータベースに接続できる。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい（保存・処理・送受信する、またはアクセスできる）",
                next: Next::End,
                gl2: Some(Applies),
                phr: None,
                criterion: "医療情報は「医療に関する患者情報（個人識別情報）」であり、これらを取り扱う事業者が2省GLの対象とされます。契約に基づいて医療情報を取り扱うため、2省GLが適用されます。",
                source: SRC_MEDICAL,
            },
            Choice {
                code: "no",
                label: "いいえ（医療情報には一切触れない）",
                next: Next::End,
                gl2: Some(NotApplicable),
                phr: None,
                criterion: "「医療情報を取り扱わないサービス…は含まない」。医療情報に触れないサービスは2省GLの対象外です。",
                source: SRC_SCOPE_2,
            },
            unsure(Next::End, Some(Unknown), None),
        ],
    },
    Question {
        id: "phr_from_facility",
        text: "患者の指示に基づいて医療機関等から送付された医療情報（診療関連情報。医療従事者が診療録等に記録した健診等情報を含む）を受領しますか？",
        help: "表の1行目「医療情報（医療機関等から受領したもの）」に当たるかどうかです。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい",
                next: Next::Ask("phr_other_medical"),
                gl2: Some(Applies),
                phr: None,
                criterion: "「PHRに該当する医療情報のうち、患者の指示に基づいて、医療機関等から送付され、事業者が受領したものについては、2省GLの対象とされる。」（表: 医療情報（医療機関等から受領したもの）— PHR指針 ×、2省GL ○、個人情報保護法令 ○）",
                source: SRC_TABLE,
            },
            Choice {
                code: "no",
                label: "いいえ",
                next: Next::Ask("phr_other_medical"),
                gl2: Some(NotApplicable),
                phr: None,
                criterion: "「PHRに該当する医療情報（健診等情報）のうち、患者の指示に基づいて医療機関等から受領したもの以外については、2省GLの対象とはならず、PHR指針の対象となりうる。」",
                source: SRC_PHR,
            },
            unsure(Next::Ask("phr_other_medical"), Some(Unknown), None),
        ],
    },
    Question {
        id: "phr_other_medical",
        text: "医療機関等以外から受領した、または本人が入力した医療情報を取り扱いますか？",
        help: "表の2行目「医療情報（医療機関等以外から受領・入力があったもの。）」に当たるかどうかです。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい",
                next: Next::Ask("phr_checkup"),
                gl2: None,
                phr: Some(Applies),
                criterion: "表: 医療情報（医療機関等以外から受領・入力があったもの。）— PHR指針 ○、2省GL ×、個人情報保護法令 ○",
                source: SRC_TABLE,
            },
            Choice {
                code: "no",
                label: "いいえ",
                next: Next::Ask("phr_checkup"),
                gl2: None,
                phr: None,
                criterion: "表の2行目には当たりません。",
                source: SRC_TABLE,
            },
            unsure(Next::Ask("phr_checkup"), None, Some(Unknown)),
        ],
    },
    Question {
        id: "phr_checkup",
        text: "健診等情報（健診（検診）情報、予防接種歴など）を取り扱いますか？",
        help: "表の3行目「健診等情報」に当たるかどうかです。医療機関等が診療録等に記録したものを患者の指示で受領する場合は、1問目の「はい」に当たります。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい",
                next: Next::Ask("phr_vitals"),
                gl2: None,
                phr: Some(Applies),
                criterion: "「健診等情報は、医療情報として取り込まれない限り、医療情報には含まれないことから、基本的には、2省GLの適用はない。」（表: 健診等情報 — PHR指針 ○、2省GL ×、個人情報保護法令 ○）",
                source: SRC_TABLE,
            },
            Choice {
                code: "no",
                label: "いいえ",
                next: Next::Ask("phr_vitals"),
                gl2: None,
                phr: None,
                criterion: "表の3行目には当たりません。",
                source: SRC_TABLE,
            },
            unsure(Next::Ask("phr_vitals"), None, Some(Unknown)),
        ],
    },
    Question {
        id: "phr_vitals",
        text: "上記以外の PHR（例: 個人が自ら日々測定するバイタル等）を取り扱いますか？",
        help: "表の4行目「上記以外のPHR」に当たるかどうかです。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい",
                next: Next::Ask("phr_related"),
                gl2: None,
                phr: None,
                criterion: "表: 上記以外のPHR（例：個人が自ら日々測定するバイタル等）— PHR指針 △※1、2省GL ×、個人情報保護法令 ○（ただし個人を特定識別しないデータについては一部※2を除き、適用対象外）。PHR指針の適用は次の問いで判断します。",
                source: SRC_TABLE,
            },
            Choice {
                code: "no",
                label: "いいえ",
                next: Next::End,
                gl2: None,
                phr: None,
                criterion: "表の4行目には当たりません。",
                source: SRC_TABLE,
            },
            unsure(Next::End, None, Some(Unknown)),
        ],
    },
    Question {
        id: "phr_related",
        text: "個人関連情報を取り扱いますか？ または健診等情報から仮名加工情報・匿名加工情報を作成しますか？",
        help: "表の※1 に当たるかどうかです。",
        choices: &[
            Choice {
                code: "yes",
                label: "はい",
                next: Next::End,
                gl2: None,
                phr: Some(Applies),
                criterion: "※1「PHR事業者が個人関連情報を取り扱う場合や、健診等情報から仮名加工情報や匿名加工情報を作成する場合は適用対象。」",
                source: SRC_TABLE,
            },
            Choice {
                code: "no",
                label: "いいえ",
                next: Next::End,
                gl2: None,
                phr: None,
                criterion: "※1 に当たらないため、本人が測定するバイタル等について PHR指針は適用されません（表の△）。",
                source: SRC_TABLE,
            },
            unsure(Next::End, None, Some(Unknown)),
        ],
    },
];

/// The question with this id.
pub fn question(id: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.id == id)
}

/// The answers: question id → choice code.
pub type Answers = BTreeMap<String, String>;

/// One step of the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub question: &'static str,
    pub text: &'static str,
    /// The chosen answer's label; None when unanswered (or not a valid choice).
    pub answer: Option<&'static str>,
    pub criterion: String,
    pub source: &'static str,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub gl2: Applicability,
    pub phr_guideline: Applicability,
    /// The questions reached by the answers, in order (the ones to show).
    pub reached: Vec<&'static str>,
    /// The first reached question without a valid answer.
    pub pending: Option<&'static str>,
    pub steps: Vec<Step>,
    /// The answers that were used (reached questions only).
    pub used: Answers,
    /// What the 個人情報保護法令 column says (always shown).
    pub appi_note: &'static str,
}

const APPI_ALWAYS: &str = "個人情報保護法令は、2省GL・PHR指針の適用にかかわらず、個人情報を取り扱う限り適用されます（表の「個人情報保護法令の適用」はすべての行で○）。";
const APPI_VITALS: &str = "個人情報保護法令は、個人情報を取り扱う限り適用されます。ただし本人が測定するバイタル等のうち個人を特定識別しないデータは、仮名加工情報・匿名加工情報・個人関連情報など一部を除き、適用対象外です（表の4行目、※2）。";

/// Walks the questionnaire with `answers` and decides.
pub fn evaluate(answers: &Answers) -> Outcome {
    let mut gl2: Option<Applicability> = None;
    let mut phr: Option<Applicability> = None;
    let mut steps = Vec::new();
    let mut reached = Vec::new();
    let mut used = Answers::new();
    let mut pending = None;
    let mut vitals = false;
    let mut current = QUESTIONS.first();
    while let Some(q) = current {
        reached.push(q.id);
        let chosen = answers.get(q.id).and_then(|a| q.choice(a));
        let Some(c) = chosen else {
            pending = Some(q.id);
            steps.push(Step {
                question: q.id,
                text: q.text,
                answer: None,
                criterion: if answers.contains_key(q.id) {
                    "回答が選択肢にありません。回答し直してください。".to_owned()
                } else {
                    "未回答のため、ここから先は判断できません。".to_owned()
                },
                source: SRC_UNSURE,
            });
            break;
        };
        used.insert(q.id.to_owned(), c.code.to_owned());
        if q.id == "phr_vitals" && c.code == "yes" {
            vitals = true;
        }
        if let Some(g) = c.gl2 {
            gl2 = Some(Applicability::combine(gl2, g));
        }
        if let Some(p) = c.phr {
            phr = Some(Applicability::combine(phr, p));
        }
        steps.push(Step {
            question: q.id,
            text: q.text,
            answer: Some(c.label),
            criterion: c.criterion.to_owned(),
            source: c.source,
        });
        current = match c.next {
            Next::Ask(id) => question(id),
            Next::End => None,
        };
    }
    // Not reached, or the walk stopped: what is not decided is 要確認.
    let (gl2, phr) = if pending.is_some() {
        (
            gl2.filter(|g| *g == Applies).unwrap_or(Unknown),
            phr.filter(|p| *p == Applies).unwrap_or(Unknown),
        )
    } else {
        (gl2.unwrap_or(NotApplicable), phr.unwrap_or(NotApplicable))
    };
    let verdict = match (gl2, phr) {
        (Applies, _) => Verdict::Applies,
        (Unknown, _) => Verdict::NeedsReview,
        (NotApplicable, Applies) => Verdict::PhrGuideline,
        (NotApplicable, Unknown) => Verdict::NeedsReview,
        (NotApplicable, NotApplicable) => Verdict::NotApplicable,
    };
    Outcome {
        verdict,
        gl2,
        phr_guideline: phr,
        reached,
        pending,
        steps,
        used,
        appi_note: if vitals { APPI_VITALS } else { APPI_ALWAYS },
    }
}

impl Outcome {
    /// The conclusion in one sentence.
    pub fn conclusion_ja(&self) -> String {
        let extra = match (self.verdict, self.phr_guideline) {
            (Verdict::Applies, Applies) => "（PHR指針も適用されます）",
            (Verdict::Applies, Unknown) => "（PHR指針の適用は要確認）",
            _ => "",
        };
        let what = match self.verdict {
            Verdict::Applies => {
                "2省GLが適用されます。サービス仕様適合開示書の提出を求め、責任分界を取り決めてください"
            }
            Verdict::NotApplicable => "2省GLは適用されません",
            Verdict::PhrGuideline => "2省GLは適用されず、PHR指針の対象です",
            Verdict::NeedsReview => {
                "判断できません（要確認）。未回答・「分からない」の問いを事業者に確認してください"
            }
        };
        format!("結論: {what}{extra}。")
    }

    /// The reasoning as text (numbered steps, conclusion, 個人情報保護法令), as saved.
    pub fn reasoning_ja(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.steps.iter().enumerate() {
            out.push_str(&format!(
                "{}. {}\n   回答: {}\n   判断: {}\n   根拠: {}\n",
                i + 1,
                s.text,
                s.answer.unwrap_or("（未回答）"),
                s.criterion,
                s.source
            ));
        }
        out.push_str(&format!(
            "2省GL: {} ／ PHR指針: {}\n",
            self.gl2.label_ja(),
            self.phr_guideline.label_ja()
        ));
        out.push_str(&self.conclusion_ja());
        out.push('\n');
        out.push_str(self.appi_note);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(pairs: &[(&str, &str)]) -> Outcome {
        evaluate(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_tree_is_closed() {
        // Every Next::Ask names a question, every question but the root is reachable, and
        // choice codes are unique per question.
        let mut targets = std::collections::BTreeSet::new();
        for q in QUESTIONS {
            let mut codes = std::collections::BTreeSet::new();
            for c in q.choices {
                assert!(codes.insert(c.code), "{} {}", q.id, c.code);
                if let Next::Ask(id) = c.next {
                    assert!(question(id).is_some(), "{id}");
                    targets.insert(id);
                }
            }
        }
        for q in &QUESTIONS[1..] {
            assert!(targets.contains(q.id), "{} unreachable", q.id);
        }
    }

    #[test]
    fn nothing_answered_is_needs_review() {
        let o = run(&[]);
        assert_eq!(o.verdict, Verdict::NeedsReview);
        assert_eq!(o.pending, Some("relation"));
        assert_eq!(o.reached, vec!["relation"]);
        assert!(o.reasoning_ja().contains("未回答"));
        assert!(o.reasoning_ja().contains("個人情報保護法令"));
    }

    #[test]
    fn contract_and_medical_information_applies() {
        for service in ["system", "cloud", "datacenter", "maintenance", "operation"] {
            let o = run(&[
                ("relation", "contract"),
                ("service", service),
                ("handles", "yes"),
            ]);
            assert_eq!(o.verdict, Verdict::Applies, "{service}");
            assert_eq!(o.gl2, Applies);
            assert_eq!(o.phr_guideline, NotApplicable);
            assert_eq!(o.reached, vec!["relation", "service", "handles"]);
            assert_eq!(o.steps.len(), 3);
            assert!(o.steps[2].criterion.contains("医療に関する患者情報"));
            assert!(o.reasoning_ja().contains("サービス仕様適合開示書"));
        }
    }

    #[test]
    fn subcontractor_with_medical_information_applies() {
        let o = run(&[
            ("relation", "subcontract"),
            ("service", "cloud"),
            ("handles", "yes"),
        ]);
        assert_eq!(o.verdict, Verdict::Applies);
        assert!(o.steps[0].source.contains("ヒアリング項目6・7"));
    }

    #[test]
    fn maintenance_without_access_to_medical_information_does_not_apply() {
        let o = run(&[
            ("relation", "contract"),
            ("service", "maintenance"),
            ("handles", "no"),
        ]);
        assert_eq!(o.verdict, Verdict::NotApplicable);
        assert!(o.steps[2].source.contains("※2"));
    }

    #[test]
    fn handles_unknown_needs_review() {
        let o = run(&[
            ("relation", "contract"),
            ("service", "cloud"),
            ("handles", "unknown"),
        ]);
        assert_eq!(o.verdict, Verdict::NeedsReview);
        assert_eq!(o.gl2, Unknown);
        assert_eq!(o.pending, None);
    }

    #[test]
    fn sale_only_does_not_apply() {
        let o = run(&[("relation", "sale_only"), ("service", "cloud")]);
        assert_eq!(o.verdict, Verdict::NotApplicable);
        // Answers to questions not reached are ignored.
        assert_eq!(o.reached, vec!["relation"]);
        assert!(!o.used.contains_key("service"));
        assert!(o.steps[0].criterion.contains("単なる売買契約は含まない"));
    }

    #[test]
    fn services_without_medical_information_do_not_apply() {
        let o = run(&[("relation", "contract"), ("service", "no_medical")]);
        assert_eq!(o.verdict, Verdict::NotApplicable);
        assert!(o.steps[1].criterion.contains("電力供給契約や清掃契約"));
    }

    #[test]
    fn unknown_relation_or_service_needs_review() {
        assert_eq!(
            run(&[("relation", "unknown")]).verdict,
            Verdict::NeedsReview
        );
        assert_eq!(
            run(&[("relation", "contract"), ("service", "unknown")]).verdict,
            Verdict::NeedsReview
        );
        // Stopped half-way: the service is not answered.
        let o = run(&[("relation", "contract")]);
        assert_eq!(o.verdict, Verdict::NeedsReview);
        assert_eq!(o.pending, Some("service"));
    }

    #[test]
    fn invalid_choice_is_not_an_answer() {
        let o = run(&[("relation", "contract"), ("service", "fax")]);
        assert_eq!(o.verdict, Verdict::NeedsReview);
        assert_eq!(o.pending, Some("service"));
        assert!(o.steps[1].criterion.contains("選択肢にありません"));
    }

    fn phr(from: &str, other: &str, checkup: &str, vitals: &str, related: &str) -> Outcome {
        let mut a = vec![
            ("relation", "phr"),
            ("phr_from_facility", from),
            ("phr_other_medical", other),
            ("phr_checkup", checkup),
            ("phr_vitals", vitals),
        ];
        if !related.is_empty() {
            a.push(("phr_related", related));
        }
        run(&a)
    }

    #[test]
    fn phr_table_row_1_medical_information_from_a_facility_is_2gl() {
        let o = phr("yes", "no", "no", "no", "");
        assert_eq!(o.verdict, Verdict::Applies);
        assert_eq!(o.gl2, Applies);
        assert_eq!(o.phr_guideline, NotApplicable);
        assert!(o.steps[1].criterion.contains("2省GLの対象とされる"));
    }

    #[test]
    fn phr_table_row_2_medical_information_from_elsewhere_is_phr_guideline() {
        let o = phr("no", "yes", "no", "no", "");
        assert_eq!(o.verdict, Verdict::PhrGuideline);
        assert_eq!(o.gl2, NotApplicable);
        assert_eq!(o.phr_guideline, Applies);
    }

    #[test]
    fn phr_table_row_3_checkup_information_is_phr_guideline() {
        let o = phr("no", "no", "yes", "no", "");
        assert_eq!(o.verdict, Verdict::PhrGuideline);
        assert!(
            o.reasoning_ja()
                .contains("健診等情報は、医療情報として取り込まれない限り")
        );
    }

    #[test]
    fn phr_table_row_4_vitals_only_are_neither_unless_note_1() {
        let o = phr("no", "no", "no", "yes", "no");
        assert_eq!(o.verdict, Verdict::NotApplicable);
        assert_eq!(o.phr_guideline, NotApplicable);
        assert!(o.appi_note.contains("個人を特定識別しないデータ"));
        let o = phr("no", "no", "no", "yes", "yes");
        assert_eq!(o.verdict, Verdict::PhrGuideline);
        let o = phr("no", "no", "no", "yes", "unknown");
        assert_eq!(o.verdict, Verdict::NeedsReview);
    }

    #[test]
    fn phr_with_both_kinds_applies_2gl_and_notes_the_phr_guideline() {
        let o = phr("yes", "yes", "yes", "no", "");
        assert_eq!(o.verdict, Verdict::Applies);
        assert_eq!(o.phr_guideline, Applies);
        assert!(o.conclusion_ja().contains("PHR指針も適用"));
    }

    #[test]
    fn phr_nothing_of_the_table_is_neither() {
        let o = phr("no", "no", "no", "no", "");
        assert_eq!(o.verdict, Verdict::NotApplicable);
        assert_eq!(
            o.reached,
            vec![
                "relation",
                "phr_from_facility",
                "phr_other_medical",
                "phr_checkup",
                "phr_vitals"
            ]
        );
    }

    #[test]
    fn phr_unknowns_need_review() {
        assert_eq!(
            phr("unknown", "no", "no", "no", "").verdict,
            Verdict::NeedsReview
        );
        assert_eq!(
            phr("no", "unknown", "no", "no", "").verdict,
            Verdict::NeedsReview
        );
        // 2省GL applies whatever else is unknown.
        assert_eq!(
            phr("yes", "unknown", "no", "no", "").verdict,
            Verdict::Applies
        );
        // Stopped half-way after a 2省GL ○: still applies.
        let o = run(&[("relation", "phr"), ("phr_from_facility", "yes")]);
        assert_eq!(o.verdict, Verdict::Applies);
        assert_eq!(o.phr_guideline, Unknown);
        assert_eq!(o.pending, Some("phr_other_medical"));
    }

    #[test]
    fn verdict_codes_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.code()), Some(v));
        }
        assert_eq!(Verdict::parse("x"), None);
    }
}
