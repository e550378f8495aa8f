//! The guideline's password rules (パスワードの要件).
//!
//! Sources (see `shared/domain/guideline-content.md` §2.3 and §1.5):
//!
//! - GL 第6.0版 システム運用編 14章⑥ / Q&A シQ-54: a password is 「英数字、記号を混在させた
//!   13 文字以上の推定困難な文字列」, or 8 文字以上 changed at least every two months, or
//!   8 文字以上 when 二要素認証 (two-factor authentication) is used.
//! - 令和7年度 チェックリスト 2-⑦: 「パスワードは英数字、記号が混在した8文字以上とし、定期的に
//!   変更している。※二要素認証、または 13 文字以上の場合は定期的な変更は不要」.
//!   This product does not force periodic change (定期的な変更), so it requires 13 characters
//!   without two-factor authentication and 8 with it.
//! - 令和7年度 チェックリスト 2-⑧: パスワードの使い回しの禁止 (no reuse).
//! - GL 第5.2版 本編 C.14(5): 「類推されやすいパスワードを使用させないこと。…類推されやすい
//!   パスワードには、利用者の氏名や生年月日、辞書に記載されている単語等が含まれるものがある。」
//!
//! "Mixed" (混在) follows the guideline's wording 「英数字、記号」: the three classes are
//! 英字 (Latin letters, either case), 数字 (digits) and 記号 (symbols); by default all three must
//! appear. Upper/lower case (英大文字・英小文字) is recommended by the 令和7年度 policy paper's
//! 〈強固なパスワードとは〉 but is not a requirement of the rule itself, so it is not counted as a
//! separate class; mixing case does raise the guessability score.
//!
//! Guessability (推定困難) is measured with `zxcvbn` (score 0–4), given the user's own
//! details so that names, e-mail, user id and birth date count as easy guesses. In addition,
//! a password that *contains* one of those details is refused outright, as C.14(5) says.
//!
//! Reuse (使い回し・再利用) is checked by the caller against stored hashes of the last
//! [`PasswordPolicy::reuse_history`] passwords; report a hit with
//! [`PasswordProblem::ReusedRecentPassword`].
//!
//! Lengths are counted in Unicode scalar values (characters), not bytes. No Unicode
//! normalisation is applied to the password itself.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::calendar::{self, EraYear};

/// The password policy (パスワードポリシー). [`Default`] is the guideline's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum length without two-factor authentication (13: 「13 文字以上」).
    pub min_len_without_mfa: usize,
    /// Minimum length when two-factor authentication (二要素認証) is enabled (8).
    pub min_len_with_mfa: usize,
    /// How many of the classes 英字・数字・記号 must appear (3: all, 「英数字、記号を混在」).
    /// Values above 3 are treated as 3.
    pub min_classes: usize,
    /// Minimum `zxcvbn` score, 0–4 (3). 0 disables the guessability check.
    ///
    /// Note: `zxcvbn` estimates any 8-character string at 10^8 guesses at most (score 2), so
    /// with a minimum of 3 the effective minimum length under two-factor authentication is
    /// 9 characters. Set 2 to accept 8 characters with two-factor authentication.
    pub min_zxcvbn_score: u8,
    /// How many previous passwords may not be reused (5). The caller checks this against
    /// stored hashes; [`PasswordPolicy::check`] does not see the history.
    pub reuse_history: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_len_without_mfa: 13,
            min_len_with_mfa: 8,
            min_classes: 3,
            min_zxcvbn_score: 3,
            reuse_history: 5,
        }
    }
}

/// What the check needs to know about the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordContext {
    /// Whether the user signs in with two-factor authentication (二要素認証).
    pub mfa_enabled: bool,
    /// The user's own details that must not appear in the password: name (氏名, in kanji,
    /// kana and romaji if known — this module does not romanise kanji), user id, e-mail
    /// address, birth date (生年月日, any format [`calendar::parse_date`] accepts, including
    /// 和暦), and similar (organisation name, …).
    pub user_inputs: Vec<String>,
}

/// A character class (文字種) for the 「英数字、記号を混在」 rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CharClass {
    /// 英字: Latin letters A–Z, a–z (full-width too).
    Letter,
    /// 数字: digits 0–9 (full-width too).
    Digit,
    /// 記号: ASCII punctuation and space (full-width too).
    Symbol,
}

impl CharClass {
    /// All classes, in the order the guideline names them.
    pub const ALL: [CharClass; 3] = [CharClass::Letter, CharClass::Digit, CharClass::Symbol];

    /// The class of `c`, or `None` for characters outside all classes (kana, kanji, …),
    /// which still count towards the length.
    pub fn of(c: char) -> Option<CharClass> {
        let c = fullwidth_to_ascii(c);
        if c.is_ascii_alphabetic() {
            Some(CharClass::Letter)
        } else if c.is_ascii_digit() {
            Some(CharClass::Digit)
        } else if c.is_ascii_punctuation() || c == ' ' {
            Some(CharClass::Symbol)
        } else {
            None
        }
    }

    /// Japanese name: 英字, 数字, 記号.
    pub const fn name_ja(self) -> &'static str {
        match self {
            CharClass::Letter => "英字",
            CharClass::Digit => "数字",
            CharClass::Symbol => "記号",
        }
    }

    /// English name: letters, digits, symbols.
    pub const fn name_en(self) -> &'static str {
        match self {
            CharClass::Letter => "letters",
            CharClass::Digit => "digits",
            CharClass::Symbol => "symbols",
        }
    }
}

/// Why a password is guessable, from `zxcvbn`'s feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum GuessHint {
    /// One of the most common passwords.
    CommonPassword,
    /// Close to a common password (e.g. with letters swapped for digits).
    SimilarToCommonPassword,
    /// A word by itself (辞書に載っている単語).
    DictionaryWord,
    /// A name or surname.
    Name,
    /// A date (日付).
    Date,
    /// A recent year.
    RecentYear,
    /// A keyboard pattern such as `qwerty` or `asdf`.
    KeyboardPattern,
    /// Repeated characters or chunks (`aaa`, `abcabc`).
    Repeat,
    /// A sequence such as `abc` or `6543`.
    Sequence,
}

impl GuessHint {
    fn from_zxcvbn(w: zxcvbn::feedback::Warning) -> GuessHint {
        use zxcvbn::feedback::Warning as W;
        match w {
            W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess => {
                GuessHint::KeyboardPattern
            }
            W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
                GuessHint::Repeat
            }
            W::ThisIsATop10Password | W::ThisIsATop100Password | W::ThisIsACommonPassword => {
                GuessHint::CommonPassword
            }
            W::ThisIsSimilarToACommonlyUsedPassword => GuessHint::SimilarToCommonPassword,
            W::SequencesLikeAbcAreEasyToGuess => GuessHint::Sequence,
            W::RecentYearsAreEasyToGuess => GuessHint::RecentYear,
            W::AWordByItselfIsEasyToGuess => GuessHint::DictionaryWord,
            W::DatesAreOftenEasyToGuess => GuessHint::Date,
            W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess => GuessHint::Name,
        }
    }

    /// Japanese explanation, e.g. 「よく使われるパスワードです」.
    pub const fn message_ja(self) -> &'static str {
        match self {
            GuessHint::CommonPassword => "よく使われるパスワードです",
            GuessHint::SimilarToCommonPassword => "よく使われるパスワードに似ています",
            GuessHint::DictionaryWord => "辞書に載っている単語は推測されやすくなります",
            GuessHint::Name => "人名は推測されやすくなります",
            GuessHint::Date => "日付は推測されやすくなります",
            GuessHint::RecentYear => "最近の年は推測されやすくなります",
            GuessHint::KeyboardPattern => "キーボードの並び（qwerty など）は推測されやすくなります",
            GuessHint::Repeat => "同じ文字や文字列の繰り返しは推測されやすくなります",
            GuessHint::Sequence => "abc や 6543 のような連続は推測されやすくなります",
        }
    }

    /// English explanation.
    pub const fn message_en(self) -> &'static str {
        match self {
            GuessHint::CommonPassword => "This is a commonly used password.",
            GuessHint::SimilarToCommonPassword => "This is similar to a commonly used password.",
            GuessHint::DictionaryWord => "Dictionary words are easy to guess.",
            GuessHint::Name => "Names are easy to guess.",
            GuessHint::Date => "Dates are easy to guess.",
            GuessHint::RecentYear => "Recent years are easy to guess.",
            GuessHint::KeyboardPattern => "Keyboard patterns such as qwerty are easy to guess.",
            GuessHint::Repeat => "Repeated characters or chunks are easy to guess.",
            GuessHint::Sequence => "Sequences like abc or 6543 are easy to guess.",
        }
    }
}

/// One reason a password is refused (パスワード要件の違反).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordProblem {
    /// Shorter than the minimum length (文字数不足).
    TooShort {
        /// Characters in the password.
        actual: usize,
        /// The minimum that applies to this user.
        required: usize,
        /// The policy's minimum without two-factor authentication.
        min_len_without_mfa: usize,
        /// The policy's minimum with two-factor authentication.
        min_len_with_mfa: usize,
        /// Whether the user has two-factor authentication.
        mfa_enabled: bool,
    },
    /// Not enough of 英字・数字・記号 (文字種の混在が不足).
    MissingCharClasses {
        /// Classes absent from the password.
        missing: Vec<CharClass>,
        /// How many classes are present.
        present: usize,
        /// How many are required.
        required: usize,
    },
    /// Contains the user's name, user id, e-mail or birth date (個人情報を含む).
    ContainsPersonalInfo,
    /// Too easy to guess (推定容易): `zxcvbn` score below the policy's minimum.
    TooGuessable {
        /// The `zxcvbn` score, 0–4.
        score: u8,
        /// The policy's minimum score.
        required: u8,
        /// Why, when `zxcvbn` says.
        hint: Option<GuessHint>,
    },
    /// Contains control characters (制御文字), which cannot be typed reliably.
    ControlCharacter,
    /// Same as one of the last `history` passwords (再利用・使い回し). Never returned by
    /// [`PasswordPolicy::check`]: the caller detects it against stored hashes and reports it
    /// with this variant so that the messages stay in one place.
    ReusedRecentPassword {
        /// The policy's [`PasswordPolicy::reuse_history`].
        history: usize,
    },
}

impl PasswordProblem {
    /// A user-facing message in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            PasswordProblem::TooShort {
                required,
                min_len_without_mfa,
                min_len_with_mfa,
                mfa_enabled,
                ..
            } => {
                if *mfa_enabled {
                    format!("パスワードは{required}文字以上にしてください")
                } else {
                    format!(
                        "パスワードは{min_len_without_mfa}文字以上にしてください（二要素認証を使う場合は{min_len_with_mfa}文字以上）"
                    )
                }
            }
            PasswordProblem::MissingCharClasses {
                missing,
                present,
                required,
            } => {
                let missing = join(missing.iter().map(|c| c.name_ja()), "・");
                if *required >= CharClass::ALL.len() {
                    format!("パスワードには英字・数字・記号をすべて含めてください（不足：{missing}）")
                } else {
                    format!(
                        "パスワードには英字・数字・記号のうち{required}種類以上を含めてください（現在{present}種類）"
                    )
                }
            }
            PasswordProblem::ContainsPersonalInfo => {
                "氏名・生年月日・ユーザーID・メールアドレスなど、ご本人に関する情報をパスワードに含めないでください"
                    .to_owned()
            }
            PasswordProblem::TooGuessable { hint, .. } => {
                let base = "パスワードが推測されやすいため使用できません。辞書に載っている単語、日付、キーボードの並び、繰り返しを避け、長く複雑にしてください";
                match hint {
                    Some(h) => format!("{base}（{}）", h.message_ja()),
                    None => base.to_owned(),
                }
            }
            PasswordProblem::ControlCharacter => {
                "パスワードに使用できない文字（制御文字）が含まれています".to_owned()
            }
            PasswordProblem::ReusedRecentPassword { history } => {
                format!("直近{history}回に使用したパスワードは再利用できません")
            }
        }
    }

    /// A user-facing message in English.
    pub fn message_en(&self) -> String {
        match self {
            PasswordProblem::TooShort {
                required,
                min_len_without_mfa,
                min_len_with_mfa,
                mfa_enabled,
                ..
            } => {
                if *mfa_enabled {
                    format!("Use at least {required} characters.")
                } else {
                    format!(
                        "Use at least {min_len_without_mfa} characters (at least {min_len_with_mfa} if you sign in with two-factor authentication)."
                    )
                }
            }
            PasswordProblem::MissingCharClasses {
                missing,
                present,
                required,
            } => {
                if *required >= CharClass::ALL.len() {
                    format!(
                        "Use letters, digits and symbols together (missing: {}).",
                        join(missing.iter().map(|c| c.name_en()), ", ")
                    )
                } else {
                    format!(
                        "Use at least {required} of letters, digits and symbols (currently {present})."
                    )
                }
            }
            PasswordProblem::ContainsPersonalInfo => {
                "Do not include your name, birth date, user ID or e-mail address in the password."
                    .to_owned()
            }
            PasswordProblem::TooGuessable { hint, .. } => {
                let base = "This password is too easy to guess. Avoid dictionary words, dates, keyboard patterns and repeats; make it longer and less predictable.";
                match hint {
                    Some(h) => format!("{base} ({})", h.message_en()),
                    None => base.to_owned(),
                }
            }
            PasswordProblem::ControlCharacter => {
                "The password contains characters that cannot be used (control characters)."
                    .to_owned()
            }
            PasswordProblem::ReusedRecentPassword { history } => {
                format!("Do not reuse any of your last {history} passwords.")
            }
        }
    }
}

impl PasswordPolicy {
    /// The minimum length that applies with or without two-factor authentication.
    pub fn min_len(&self, mfa_enabled: bool) -> usize {
        if mfa_enabled {
            self.min_len_with_mfa
        } else {
            self.min_len_without_mfa
        }
    }

    /// Checks `password` against the policy. Returns every problem found, in a stable order
    /// (length, character classes, control characters, personal information, guessability),
    /// so a form can show them all at once.
    pub fn check(&self, password: &str, ctx: &PasswordContext) -> Result<(), Vec<PasswordProblem>> {
        let mut problems = Vec::new();

        let actual = password.chars().count();
        let required = self.min_len(ctx.mfa_enabled);
        if actual < required {
            problems.push(PasswordProblem::TooShort {
                actual,
                required,
                min_len_without_mfa: self.min_len_without_mfa,
                min_len_with_mfa: self.min_len_with_mfa,
                mfa_enabled: ctx.mfa_enabled,
            });
        }

        let required_classes = self.min_classes.min(CharClass::ALL.len());
        let present: Vec<CharClass> = CharClass::ALL
            .into_iter()
            .filter(|class| password.chars().any(|c| CharClass::of(c) == Some(*class)))
            .collect();
        if present.len() < required_classes {
            problems.push(PasswordProblem::MissingCharClasses {
                missing: CharClass::ALL
                    .into_iter()
                    .filter(|c| !present.contains(c))
                    .collect(),
                present: present.len(),
                required: required_classes,
            });
        }

        if password.chars().any(char::is_control) {
            problems.push(PasswordProblem::ControlCharacter);
        }

        let personal = PersonalTokens::from_inputs(&ctx.user_inputs);
        if personal.found_in(password) {
            problems.push(PasswordProblem::ContainsPersonalInfo);
        }

        if self.min_zxcvbn_score > 0 && !password.is_empty() {
            let inputs: Vec<&str> = ctx
                .user_inputs
                .iter()
                .map(String::as_str)
                .chain(personal.all().map(String::as_str))
                .collect();
            let entropy = zxcvbn::zxcvbn(password, &inputs);
            let score = u8::from(entropy.score());
            if score < self.min_zxcvbn_score {
                problems.push(PasswordProblem::TooGuessable {
                    score,
                    required: self.min_zxcvbn_score,
                    hint: entropy
                        .feedback()
                        .and_then(|f| f.warning())
                        .map(GuessHint::from_zxcvbn),
                });
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Fragments of the user's details that must not appear in a password.
#[derive(Debug, Default)]
struct PersonalTokens {
    /// Words (name parts, user id, e-mail parts), lowercased, compared with the lowercased
    /// password.
    words: Vec<String>,
    /// Digit strings of the birth date (19800101, 800101, 0101, …), compared with the
    /// password's digits.
    date_digits: Vec<String>,
}

impl PersonalTokens {
    fn from_inputs(inputs: &[String]) -> PersonalTokens {
        let mut tokens = PersonalTokens::default();
        for input in inputs {
            let input = normalise(input);
            let input = input.trim();
            if input.is_empty() {
                continue;
            }
            if let Ok(date) = calendar::parse_date(input) {
                tokens.add_date(date);
                continue;
            }
            let (local, domain) = match input.split_once('@') {
                Some((local, domain)) => (local, Some(domain)),
                None => (input, None),
            };
            tokens.add_word(&local.replace(char::is_whitespace, ""));
            for part in local.split(|c: char| !c.is_alphanumeric()) {
                tokens.add_word(part);
            }
            if let Some(domain) = domain {
                // Organisation part of the address, without the top-level label (jp, com).
                let labels: Vec<&str> = domain.split('.').collect();
                let keep = labels.len().saturating_sub(1).max(1);
                for label in labels.iter().take(keep) {
                    for part in label.split(|c: char| !c.is_alphanumeric()) {
                        tokens.add_word(part);
                    }
                }
            }
        }
        tokens.words.sort();
        tokens.words.dedup();
        tokens.date_digits.sort();
        tokens.date_digits.dedup();
        tokens
    }

    fn add_word(&mut self, word: &str) {
        let n = word.chars().count();
        let long_enough = if word.is_ascii() {
            // Romanised Japanese surnames can be three letters (ito, abe, ono).
            n >= 3
        } else {
            // Two kanji or kana already make a surname (山田, さとう is 3).
            n >= 2
        };
        if long_enough {
            self.words.push(word.to_owned());
        }
    }

    fn add_date(&mut self, date: jiff::civil::Date) {
        let (y, m, d) = (date.year(), date.month(), date.day());
        let yy = y.rem_euclid(100);
        let mut forms = vec![
            format!("{y:04}{m:02}{d:02}"),
            format!("{yy:02}{m:02}{d:02}"),
            format!("{m:02}{d:02}"),
            format!("{m:02}{d:02}{y:04}"),
            format!("{d:02}{m:02}{y:04}"),
            format!("{y:04}{m}{d}"),
        ];
        if let Some(ey) = EraYear::of(date) {
            forms.push(format!("{:02}{m:02}{d:02}", ey.year));
            forms.push(format!("{}{m:02}{d:02}", ey.year));
        }
        self.date_digits.extend(forms);
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.words.iter().chain(self.date_digits.iter())
    }

    fn found_in(&self, password: &str) -> bool {
        let lower = normalise(password);
        if self.words.iter().any(|w| lower.contains(w.as_str())) {
            return true;
        }
        let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
        self.date_digits
            .iter()
            .any(|form| digits.contains(form.as_str()))
    }
}

/// Lowercase with full-width ASCII (Ａ, １, ＠) folded to ASCII.
fn normalise(s: &str) -> String {
    s.chars()
        .map(fullwidth_to_ascii)
        .flat_map(char::to_lowercase)
        .collect()
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>, sep: &str) -> String {
    items.collect::<Vec<_>>().join(sep)
}

impl fmt::Display for PasswordProblem {
    /// The English message ([`PasswordProblem::message_en`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl fmt::Display for CharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_ja())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(mfa: bool, inputs: &[&str]) -> PasswordContext {
        PasswordContext {
            mfa_enabled: mfa,
            user_inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn yamada() -> PasswordContext {
        ctx(
            false,
            &[
                "山田 太郎",
                "ヤマダ タロウ",
                "Taro Yamada",
                "yamada.taro@sakura-clinic.example.jp",
                "tyamada",
                "1980-01-01",
            ],
        )
    }

    fn problems(password: &str, c: &PasswordContext) -> Vec<PasswordProblem> {
        PasswordPolicy::default()
            .check(password, c)
            .err()
            .unwrap_or_default()
    }

    fn has(ps: &[PasswordProblem], f: impl Fn(&PasswordProblem) -> bool) -> bool {
        ps.iter().any(f)
    }

    fn too_short(p: &PasswordProblem) -> bool {
        matches!(p, PasswordProblem::TooShort { .. })
    }

    fn personal(p: &PasswordProblem) -> bool {
        matches!(p, PasswordProblem::ContainsPersonalInfo)
    }

    fn guessable(p: &PasswordProblem) -> bool {
        matches!(p, PasswordProblem::TooGuessable { .. })
    }

    #[test]
    fn defaults_match_the_guideline() {
        let p = PasswordPolicy::default();
        assert_eq!(p.min_len_without_mfa, 13);
        assert_eq!(p.min_len_with_mfa, 8);
        assert_eq!(p.min_classes, 3);
        assert_eq!(p.min_zxcvbn_score, 3);
        assert_eq!(p.reuse_history, 5);
    }

    #[test]
    fn strong_password_passes() {
        assert_eq!(
            PasswordPolicy::default().check("vT7#qLm2!xRp9w", &yamada()),
            Ok(())
        );
    }

    #[test]
    fn length_boundary_without_mfa() {
        let c = ctx(false, &[]);
        // 12 characters: refused; 13: accepted.
        let ps = problems("vT7#qLm2!xRp", &c);
        assert!(has(&ps, too_short), "{ps:?}");
        assert_eq!(
            ps[0].message_ja(),
            "パスワードは13文字以上にしてください（二要素認証を使う場合は8文字以上）"
        );
        assert_eq!(problems("vT7#qLm2!xRp9", &c), vec![]);
    }

    #[test]
    fn length_boundary_with_mfa() {
        let c = ctx(true, &[]);
        let ps = problems("v7#qLm2", &c);
        assert!(has(&ps, too_short), "{ps:?}");
        assert_eq!(ps[0].message_ja(), "パスワードは8文字以上にしてください");
        assert_eq!(problems("vT7#qLm2!", &c), vec![]);
        // 8 characters meet the length rule, but zxcvbn's brute-force estimate for any
        // 8-character string is 10^8 guesses (score 2), so with the default score of 3 the
        // effective minimum under two-factor authentication is 9 characters.
        let ps = problems("vT7#qLm2", &c);
        assert!(!has(&ps, too_short), "{ps:?}");
        assert!(has(&ps, guessable), "{ps:?}");
        let relaxed = PasswordPolicy {
            min_zxcvbn_score: 2,
            ..PasswordPolicy::default()
        };
        assert_eq!(relaxed.check("vT7#qLm2", &c), Ok(()));
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 12 characters, 36+ bytes of kana plus classes: still too short.
        let c = ctx(false, &[]);
        let pw = "あいうえおかきくけこA1!";
        assert_eq!(pw.chars().count(), 13);
        assert!(!has(&problems(pw, &c), too_short));
        let pw = "あいうえおかきくけA1!";
        let ps = problems(pw, &c);
        assert!(
            ps.contains(&PasswordProblem::TooShort {
                actual: 12,
                required: 13,
                min_len_without_mfa: 13,
                min_len_with_mfa: 8,
                mfa_enabled: false,
            }),
            "{ps:?}"
        );
    }

    #[test]
    fn character_classes() {
        let c = ctx(false, &[]);
        let ps = problems("vTqLmxRpwzKbNd", &c);
        let missing = ps.iter().find_map(|p| match p {
            PasswordProblem::MissingCharClasses { missing, .. } => Some(missing.clone()),
            _ => None,
        });
        assert_eq!(missing, Some(vec![CharClass::Digit, CharClass::Symbol]));
        assert_eq!(
            ps.iter()
                .find(|p| matches!(p, PasswordProblem::MissingCharClasses { .. }))
                .map(PasswordProblem::message_ja),
            Some("パスワードには英字・数字・記号をすべて含めてください（不足：数字・記号）".into())
        );
        // No symbol, even with mixed case: refused (英数字、記号を混在).
        let ps = problems("vT7qLm2xRp9wKb", &c);
        assert!(
            has(
                &ps,
                |p| matches!(p, PasswordProblem::MissingCharClasses { missing, .. } if missing == &[CharClass::Symbol])
            ),
            "{ps:?}"
        );
        // Full-width counts as its ASCII class; kana counts for no class.
        assert_eq!(CharClass::of('Ａ'), Some(CharClass::Letter));
        assert_eq!(CharClass::of('７'), Some(CharClass::Digit));
        assert_eq!(CharClass::of('＃'), Some(CharClass::Symbol));
        assert_eq!(CharClass::of('あ'), None);
        // A lower class requirement.
        let policy = PasswordPolicy {
            min_classes: 2,
            ..PasswordPolicy::default()
        };
        assert!(
            policy
                .check("vT7qLm2xRp9wKb", &c)
                .err()
                .unwrap_or_default()
                .iter()
                .all(|p| !matches!(p, PasswordProblem::MissingCharClasses { .. }))
        );
    }

    #[test]
    fn refuses_romanised_and_kanji_names() {
        let c = yamada();
        for pw in [
            "Yamada#2025xQz!",
            "xQ!7taro#Vwz8Lk",
            "YAMADA-kq9#Lzw7",
            "ＹａｍａｄａkQ9#zw7",
            "山田#kQ9zw7Lmv!",
            "ヤマダ#kQ9zw7Lmv!",
            "kQ9#tyamada!zw7",
            "Sakura-Clinic#9q",
        ] {
            let ps = problems(pw, &c);
            assert!(has(&ps, personal), "{pw}: {ps:?}");
        }
        assert_eq!(
            PasswordProblem::ContainsPersonalInfo.message_ja(),
            "氏名・生年月日・ユーザーID・メールアドレスなど、ご本人に関する情報をパスワードに含めないでください"
        );
    }

    #[test]
    fn refuses_birth_dates() {
        let c = yamada();
        for pw in [
            "Qz#19800101kPw",
            "Qz#1980-01-01kPw",
            "kPw!800101#Qzx",
            "kPw!01011980#Qz",
            "kPw!S550101#Qzx",
            "vT7#q0101Lm!xRp",
        ] {
            let ps = problems(pw, &c);
            assert!(has(&ps, personal), "{pw}: {ps:?}");
        }
        // Birth date given in 和暦 works too.
        let c = ctx(false, &["昭和55年1月1日"]);
        assert!(has(&problems("Qz#19800101kPw", &c), personal));
    }

    #[test]
    fn refuses_dates_without_context() {
        // A date-shaped password is guessable even when we don't know the birth date.
        let c = ctx(false, &[]);
        let ps = problems("19800101Ab!", &c);
        assert!(has(&ps, guessable), "{ps:?}");
    }

    #[test]
    fn refuses_dictionary_words_and_common_passwords() {
        let c = ctx(false, &[]);
        for pw in [
            "Password1234!",
            "P@ssw0rd12345",
            "Qwertyuiop123!",
            "Baseball1234!",
            "Football#2024",
            "Administrator1!",
        ] {
            let ps = problems(pw, &c);
            assert!(has(&ps, guessable), "{pw}: {ps:?}");
            assert!(!has(&ps, too_short), "{pw}: {ps:?}");
        }
        let ps = problems("Password1234!", &c);
        let msg = ps
            .iter()
            .find(|p| guessable(p))
            .map(PasswordProblem::message_ja)
            .unwrap_or_default();
        assert!(
            msg.starts_with("パスワードが推測されやすいため使用できません"),
            "{msg}"
        );
    }

    #[test]
    fn reports_all_problems_at_once() {
        let ps = problems("yamada", &yamada());
        assert!(has(&ps, too_short));
        assert!(has(&ps, personal));
        assert!(has(&ps, guessable));
        assert!(has(&ps, |p| matches!(
            p,
            PasswordProblem::MissingCharClasses { .. }
        )));
    }

    #[test]
    fn empty_password() {
        let ps = problems("", &ctx(false, &[]));
        assert!(has(&ps, too_short));
        assert!(!has(&ps, guessable));
    }

    #[test]
    fn control_characters() {
        let ps = problems("vT7#qLm2!xRp9w\u{7}", &ctx(false, &[]));
        assert_eq!(ps, vec![PasswordProblem::ControlCharacter]);
    }

    #[test]
    fn short_inputs_do_not_block_everything() {
        // Two-letter tokens (jp, an initial) and the TLD are ignored.
        let c = ctx(false, &["Li", "li@ab.jp"]);
        assert_eq!(problems("vT7#qLm2!xRp9w", &c), vec![]);
    }

    #[test]
    fn zxcvbn_disabled() {
        let policy = PasswordPolicy {
            min_zxcvbn_score: 0,
            ..PasswordPolicy::default()
        };
        assert_eq!(policy.check("Password1234!", &ctx(false, &[])), Ok(()));
    }

    #[test]
    fn messages() {
        let p = PasswordProblem::ReusedRecentPassword { history: 5 };
        assert_eq!(
            p.message_ja(),
            "直近5回に使用したパスワードは再利用できません"
        );
        assert_eq!(p.to_string(), p.message_en());
        let p = PasswordProblem::TooGuessable {
            score: 1,
            required: 3,
            hint: Some(GuessHint::CommonPassword),
        };
        assert!(p.message_ja().ends_with("（よく使われるパスワードです）"));
    }
}
