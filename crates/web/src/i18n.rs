//! Japanese first, English on request. Every user-visible label of the shell goes through
//! [`T::s`]; page-specific prose stays in the Japanese templates with an English line where
//! it matters. The language is chosen by the `anzen_lang` cookie (default ja).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Ja,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// The translator handed to templates.
#[derive(Debug, Clone, Copy)]
pub struct T(pub Lang);

const TABLE: &[(&str, &str, &str)] = &[
    (
        "app.tagline",
        "医療情報システム安全管理",
        "Medical information security management",
    ),
    ("nav.dashboard", "ダッシュボード", "Dashboard"),
    ("nav.profile", "施設情報", "Facility"),
    ("nav.users", "利用者", "Users"),
    ("nav.audit", "監査ログ", "Audit log"),
    ("nav.checklist", "チェックリスト", "Checklist"),
    ("nav.assets", "資産台帳", "Assets"),
    ("nav.findings", "指摘事項", "Findings"),
    ("nav.accounts", "アカウント管理", "Accounts"),
    ("nav.vendors", "事業者管理", "Vendors"),
    ("nav.clients", "取引先の医療機関", "Client facilities"),
    ("nav.incident", "インシデント対応", "Incident readiness"),
    ("nav.governance", "運用管理", "Governance"),
    ("nav.access_log", "アクセスログ", "Access logs"),
    ("nav.inspection_pack", "立入検査資料", "Inspection pack"),
    (
        "checklist.title",
        "サイバーセキュリティ対策チェックリスト",
        "Cybersecurity checklist",
    ),
    ("checklist.complete", "完了して確定", "Complete and freeze"),
    ("checklist.export_csv", "CSVでダウンロード", "Download CSV"),
    ("nav.account", "アカウント", "Account"),
    ("nav.orgs", "施設の切替", "Switch facility"),
    ("nav.logout", "ログアウト", "Sign out"),
    ("nav.lock", "画面ロック", "Lock screen"),
    ("nav.lang", "English", "日本語"),
    ("login.title", "ログイン", "Sign in"),
    ("login.email", "メールアドレス", "E-mail"),
    ("login.password", "パスワード", "Password"),
    ("login.submit", "ログイン", "Sign in"),
    (
        "login.failed",
        "メールアドレスまたはパスワードが正しくないか、アカウントがロックされています。",
        "Wrong e-mail or password, or the account is locked.",
    ),
    ("mfa.title", "二要素認証", "Two-factor authentication"),
    (
        "mfa.code",
        "認証アプリの6桁のコード（または回復コード）",
        "6-digit code from your authenticator app (or a recovery code)",
    ),
    ("mfa.submit", "確認", "Verify"),
    ("mfa.or", "または", "or"),
    ("mfa.passkey", "パスキーで確認", "Verify with a passkey"),
    (
        "mfa.failed",
        "コードが正しくないか、すでに使用されています。",
        "The code is wrong or was already used.",
    ),
    (
        "mfa.setup.title",
        "二要素認証の設定",
        "Set up two-factor authentication",
    ),
    (
        "mfa.setup.intro",
        "anzen では全ての利用者に二要素認証が必要です。認証アプリ（Google Authenticator、Microsoft Authenticator など）で QR コードを読み取り、表示された6桁のコードを入力してください。",
        "anzen requires two-factor authentication for every user. Scan the QR code with an authenticator app and enter the 6-digit code.",
    ),
    (
        "mfa.setup.secret",
        "QR コードを読み取れない場合は次のキーを入力してください",
        "If you cannot scan the QR code, enter this key",
    ),
    ("mfa.recovery.title", "回復コード", "Recovery codes"),
    (
        "mfa.recovery.intro",
        "認証アプリを使えなくなったときのための回復コードです。各コードは1回だけ使えます。この画面は二度と表示されません。印刷するか安全な場所に保管してください。",
        "Each code works once, if you lose your authenticator. This page is shown only once: print it or store it safely.",
    ),
    ("lock.title", "画面ロック中", "Screen locked"),
    (
        "lock.intro",
        "一定時間操作がなかったため画面をロックしました。続けるにはパスワードを入力してください。",
        "The screen was locked after inactivity. Enter your password to continue.",
    ),
    ("lock.submit", "ロック解除", "Unlock"),
    ("common.save", "保存", "Save"),
    ("common.cancel", "キャンセル", "Cancel"),
    ("common.saved", "保存しました。", "Saved."),
    ("common.none", "（未設定）", "(not set)"),
    ("dash.title", "ダッシュボード", "Dashboard"),
    ("dash.fiscal_year", "現在の年度", "Current fiscal year"),
    ("dash.attention", "対応が必要なこと", "Needs attention"),
    (
        "dash.all_good",
        "現在、対応が必要な項目はありません。",
        "Nothing needs attention right now.",
    ),
    (
        "dash.ledger",
        "監査ログ（改ざん検知）",
        "Audit ledger (tamper-evident)",
    ),
    ("profile.title", "施設情報", "Facility profile"),
    ("users.title", "利用者", "Users"),
    ("audit.title", "監査ログ", "Audit log"),
    ("account.title", "アカウント", "Account"),
    ("account.password", "パスワードの変更", "Change password"),
    (
        "account.tokens",
        "API アクセストークン",
        "API access tokens",
    ),
    (
        "account.passkeys",
        "パスキー（二要素認証）",
        "Passkeys (second factor)",
    ),
    ("account.passkey.name", "パスキーの名前", "Passkey name"),
    (
        "account.passkey.add",
        "パスキーを登録",
        "Register a passkey",
    ),
];

impl T {
    /// The label for `key` in the current language; the key itself if unknown, so a missing
    /// translation is visible rather than silent.
    pub fn s(&self, key: &str) -> &'static str {
        for (k, ja, en) in TABLE {
            if *k == key {
                return match self.0 {
                    Lang::Ja => ja,
                    Lang::En => en,
                };
            }
        }
        // Leak-free fallback: unknown keys are programming errors caught by the test below.
        "??"
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_templates_use_known_keys() {
        let mut keys: Vec<&str> = TABLE.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "duplicate i18n key");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).expect("templates dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("template");
            for part in text.split("t.s(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert!(
                    keys.contains(&key),
                    "{}: unknown i18n key {key:?}",
                    path.display()
                );
            }
        }
        assert_eq!(T(Lang::En).s("nav.logout"), "Sign out");
        assert_eq!(T(Lang::Ja).s("nav.logout"), "ログアウト");
    }
}
