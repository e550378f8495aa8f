//! What can go wrong, in words for the person who set the directory up.

use std::fmt;

/// The step that failed (手順).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 接続: TCP connection (and the TLS handshake of `ldaps://`).
    Connect,
    /// StartTLS: upgrading an `ldap://` connection.
    StartTls,
    /// 認証: the simple bind.
    Bind,
    /// 検索: the search, or reading its results.
    Search,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Connect => "接続",
            Step::StartTls => "StartTLS",
            Step::Bind => "認証",
            Step::Search => "検索",
        })
    }
}

/// Why a directory could not be read. The messages are Japanese and name the server, the
/// step and, for a value, the entry and the attribute.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The configuration itself is unusable (設定の誤り).
    #[error("LDAP の設定が正しくありません: {0}")]
    Config(String),
    /// The server could not be reached (接続).
    #[error("{server} に接続できません（{detail}）")]
    Connect {
        /// The URL.
        server: String,
        /// What the network layer said.
        detail: String,
    },
    /// The TLS handshake failed, usually an untrusted or mismatched certificate.
    #[error(
        "{server} との TLS 接続を確立できません（{step}）。サーバ証明書と信頼する CA 証明書（ca_cert_pem）を確認してください: {detail}"
    )]
    Tls {
        /// The URL.
        server: String,
        /// Connecting (LDAPS) or StartTLS.
        step: Step,
        /// What the TLS layer said.
        detail: String,
    },
    /// Wrong bind DN or password (LDAP result 49, invalidCredentials).
    #[error("{server} でバインドに失敗しました（DN または パスワードが違います）: {bind_dn}")]
    BadCredentials {
        /// The URL.
        server: String,
        /// The bind DN that was refused.
        bind_dn: String,
    },
    /// The server answered an operation with an error.
    #[error("{server} の{step}に失敗しました（LDAP 結果コード {code}: {detail}）")]
    Server {
        /// The URL.
        server: String,
        /// Which step.
        step: Step,
        /// The LDAP result code.
        code: u32,
        /// The code's name and the server's message.
        detail: String,
    },
    /// The server did not answer in time.
    #[error("{server} の{step}が時間内に終わりませんでした（{seconds} 秒）")]
    Timeout {
        /// The URL.
        server: String,
        /// Which step.
        step: Step,
        /// The limit.
        seconds: u64,
    },
    /// Another failure of the LDAP client during a step.
    #[error("{server} の{step}に失敗しました: {detail}")]
    Protocol {
        /// The URL.
        server: String,
        /// Which step.
        step: Step,
        /// The client's message.
        detail: String,
    },
    /// An entry lacks a required attribute (and `skip_incomplete` is off).
    #[error("{dn} に必須の属性 {attribute}（{column}）がありません")]
    MissingAttribute {
        /// The entry.
        dn: String,
        /// The attribute (or role source) that was expected.
        attribute: String,
        /// The column it fills, e.g. `アカウントID`.
        column: &'static str,
    },
    /// A value that cannot be read as what its column needs.
    #[error("{dn} の {attribute}『{value}』を{expected}として読めません")]
    BadValue {
        /// The entry.
        dn: String,
        /// The attribute.
        attribute: String,
        /// The value as the server sent it.
        value: String,
        /// What it should have been: 日時, 数値, はい／いいえ, 文字列.
        expected: &'static str,
    },

    /// Two entries give the same アカウントID, or the same 職員番号 with different rows.
    #[error(
        "{first} と {second} の {attribute}『{value}』が重複しています（{column}は一意である必要があります）"
    )]
    Duplicate {
        /// The entry read first.
        first: String,
        /// The entry read second.
        second: String,
        /// The attribute.
        attribute: String,
        /// The value both have.
        value: String,
        /// The column, e.g. `アカウントID`.
        column: &'static str,
    },
}

impl DirectoryError {
    /// Whether the entry can be left out under `skip_incomplete`.
    pub(crate) fn is_incomplete(&self) -> bool {
        matches!(self, DirectoryError::MissingAttribute { .. })
    }
}
