//! The five import templates (取り込みテンプレート) as typed records.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::field::{Choice, Field};
use crate::reader::Cells;

/// Which template a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// 資産台帳 (asset inventory).
    Assets,
    /// アカウント一覧 (accounts of each system).
    Accounts,
    /// 職員名簿 (staff roster).
    Staff,
    /// アクセスログ (access log).
    AccessLog,
    /// アクセス権限表 (access policy: allowed 権限 per 職種, 管理者権限, named owners and
    /// maintenance windows of every system).
    AccessPolicy,
}

impl TemplateKind {
    /// All templates.
    pub const ALL: [TemplateKind; 5] = [
        TemplateKind::Assets,
        TemplateKind::Accounts,
        TemplateKind::Staff,
        TemplateKind::AccessLog,
        TemplateKind::AccessPolicy,
    ];

    /// The Japanese name, e.g. `資産台帳`.
    pub fn name_ja(self) -> &'static str {
        match self {
            TemplateKind::Assets => "資産台帳",
            TemplateKind::Accounts => "アカウント一覧",
            TemplateKind::Staff => "職員名簿",
            TemplateKind::AccessLog => "アクセスログ",
            TemplateKind::AccessPolicy => "アクセス権限表",
        }
    }

    /// The name used on the command line and in file names, e.g. `access-log`.
    pub fn slug(self) -> &'static str {
        match self {
            TemplateKind::Assets => "assets",
            TemplateKind::Accounts => "accounts",
            TemplateKind::Staff => "staff",
            TemplateKind::AccessLog => "access-log",
            TemplateKind::AccessPolicy => "access-policy",
        }
    }

    /// The example rows of the downloadable template (cells in column order): the fields'
    /// examples, or for アクセス権限表 one row per 区分.
    pub fn examples(self) -> Vec<Vec<&'static str>> {
        match self {
            TemplateKind::AccessPolicy => vec![
                vec!["電子カルテ", "許可", "医師", "医師", "", "", "", "", ""],
                vec![
                    "電子カルテ",
                    "管理者権限",
                    "",
                    "システム管理者",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                vec![
                    "電子カルテ",
                    "責任者",
                    "",
                    "",
                    "admin",
                    "佐藤 花子",
                    "",
                    "",
                    "共用の管理者アカウント",
                ],
                vec![
                    "電子カルテ",
                    "保守期間",
                    "",
                    "",
                    "vendor01",
                    "",
                    "2026-11-01",
                    "2026-11-02",
                    "定期保守",
                ],
            ],
            _ => vec![self.fields().iter().map(|f| f.example).collect()],
        }
    }

    /// The columns, in template order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            TemplateKind::Assets => ASSET_FIELDS,
            TemplateKind::Accounts => ACCOUNT_FIELDS,
            TemplateKind::Staff => STAFF_FIELDS,
            TemplateKind::AccessLog => ACCESS_FIELDS,
            TemplateKind::AccessPolicy => POLICY_FIELDS,
        }
    }
}

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $ja:literal, $en:literal $(, [$($alias:literal),*])?;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $var,)*
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$var),*];
            fn ja(self) -> &'static str {
                match self { $($name::$var => $ja,)* }
            }
            fn en(self) -> &'static str {
                match self { $($name::$var => $en,)* }
            }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$var => &[$($($alias),*)?],)* }
            }
        }
    };
}

/// 種別 and 稼働状態 are the domain's own types (anzen-core); this is how the templates
/// spell them.
pub use anzen_core::asset::{AssetKind, AssetStatus};

impl Choice for AssetKind {
    const ALL: &'static [Self] = &AssetKind::ALL;
    fn ja(self) -> &'static str {
        self.label_ja()
    }
    fn en(self) -> &'static str {
        self.code()
    }
    fn aliases(self) -> &'static [&'static str] {
        match self {
            AssetKind::Server => &["サーバー"],
            AssetKind::Pc => &["端末", "PC", "パソコン", "terminal"],
            _ => &[],
        }
    }
}

impl Choice for AssetStatus {
    const ALL: &'static [Self] = &AssetStatus::ALL;
    fn ja(self) -> &'static str {
        self.label_ja()
    }
    fn en(self) -> &'static str {
        self.code()
    }
    fn aliases(self) -> &'static [&'static str] {
        match self {
            AssetStatus::Active => &["稼働中", "運用中"],
            AssetStatus::Stopped => &["停止中"],
            AssetStatus::Retired => &["廃棄済", "廃棄済み", "disposed"],
        }
    }
}

choice! {
    /// 状態: whether an account can sign in.
    AccountStatus {
        /// 有効 (enabled)
        Enabled = "有効", "enabled", ["active"];
        /// 無効 (disabled, locked)
        Disabled = "無効", "disabled", ["inactive", "停止"];
    }
}

choice! {
    /// 操作: what an access log entry records.
    AccessAction {
        /// ログイン
        Login = "ログイン", "login";
        /// ログイン失敗 (failed sign-in)
        LoginFailed = "ログイン失敗", "login_failed";
        /// ログアウト
        Logout = "ログアウト", "logout";
        /// 参照 (viewing a record)
        View = "参照", "view", ["閲覧"];
        /// 作成 (creating a record)
        Create = "作成", "create", ["登録"];
        /// 更新 (changing a record)
        Update = "更新", "update", ["修正", "変更"];
        /// 削除 (deleting a record)
        Delete = "削除", "delete";
        /// 印刷 (printing)
        Print = "印刷", "print";
        /// 出力 (export, download, copy to media)
        Export = "出力", "export", ["エクスポート"];
    }
}

choice! {
    /// 結果: the outcome of an access log entry.
    AccessResult {
        /// 成功
        Success = "成功", "success", ["ok"];
        /// 失敗
        Failure = "失敗", "failure", ["failed", "fail", "ng", "error"];
    }
}

choice! {
    /// 区分: what one row of アクセス権限表 says.
    PolicyKind {
        /// 許可: a 職種 may hold a 権限 in the system.
        Allowed = "許可", "allowed", ["許可する権限"];
        /// 管理者権限: a 権限 of the system that is administrative.
        AdminRole = "管理者権限", "admin_role", ["管理者"];
        /// 責任者: the named person responsible for a shared or administrator account.
        Owner = "責任者", "owner", ["使用者", "管理責任者"];
        /// 保守期間: when a vendor's maintenance account may be enabled.
        Window = "保守期間", "maintenance_window", ["保守作業期間", "保守作業の期間"];
    }
}

const YES_NO: &str = "あり／なし（はい／いいえ、yes／no、1／0、○／× も可）。空欄は不明";
const DATE: &str = "日付（2025-04-01、2025/4/1、R7.4.1、令和7年4月1日）";
const TEXT: &str = "文字列";

const fn f(
    ja: &'static str,
    en: &'static str,
    required: bool,
    allowed: &'static str,
    example: &'static str,
) -> Field {
    Field {
        ja,
        en,
        required,
        allowed,
        example,
    }
}

/// Columns of 資産台帳, in template order.
pub const ASSET_FIELDS: &[Field] = &[
    f("資産ID", "asset_id", true, "台帳内で一意の文字列", "SV-01"),
    f(
        "種別",
        "kind",
        true,
        "サーバ／端末PC／ネットワーク機器／医療機器／その他（server／pc／network／medical_device／other）",
        "サーバ",
    ),
    f("名称", "name", true, TEXT, "電子カルテサーバ"),
    f("製造元", "vendor", false, TEXT, "富士通"),
    f("製品名", "product", false, TEXT, "PRIMERGY"),
    f("バージョン", "version", false, TEXT, "1.0"),
    f("OS", "os", false, TEXT, "Windows Server 2022"),
    f("ホスト名", "hostname", false, TEXT, "emr-sv01"),
    f("IPアドレス", "ip", false, TEXT, "192.168.10.10"),
    f("設置場所", "location", false, TEXT, "サーバ室"),
    f("管理部署", "department", false, TEXT, "医療情報部"),
    f(
        "保守事業者",
        "maintainer",
        false,
        TEXT,
        "〇〇システム株式会社",
    ),
    f(
        "リモートメンテナンス",
        "remote_maintenance",
        false,
        YES_NO,
        "あり",
    ),
    f("外部接続", "internet_facing", false, YES_NO, "なし"),
    f("接続元制限", "source_restricted", false, YES_NO, "あり"),
    f("USB制限", "usb_restricted", false, YES_NO, "あり"),
    f(
        "不要サービス停止",
        "services_minimized",
        false,
        YES_NO,
        "はい",
    ),
    f(
        "最終パッチ適用日",
        "last_patched",
        false,
        DATE,
        "2025-04-01",
    ),
    f(
        "稼働状態",
        "status",
        false,
        "稼働／停止／廃棄（active／stopped／disposed）。空欄は稼働とみなす",
        "稼働",
    ),
    f(
        "CPE",
        "cpe",
        false,
        "CPE 名（cpe:2.3:… または cpe:/…）",
        "cpe:2.3:o:microsoft:windows_server_2022:-:*:*:*:*:*:*:*",
    ),
];

/// Columns of アカウント一覧, in template order.
pub const ACCOUNT_FIELDS: &[Field] = &[
    f("システム", "system", true, TEXT, "電子カルテ"),
    f(
        "アカウントID",
        "account_id",
        true,
        "システム内で一意の文字列",
        "tanaka",
    ),
    f("氏名", "name", false, TEXT, "田中 花子"),
    f(
        "職員番号",
        "staff_id",
        false,
        "職員名簿の職員番号。空欄は共用・システム・事業者のアカウント",
        "10023",
    ),
    f(
        "権限",
        "role",
        true,
        "文字列（例: 医師、看護師、管理者）",
        "医師",
    ),
    f(
        "状態",
        "status",
        false,
        "有効／無効（enabled／disabled）",
        "有効",
    ),
    f(
        "最終ログイン",
        "last_login",
        false,
        "日付または日時（2025-04-01 09:30）",
        "2025-04-01",
    ),
    f("二要素認証", "mfa", false, YES_NO, "なし"),
    f(
        "パスワード変更日",
        "password_changed",
        false,
        DATE,
        "2025-01-15",
    ),
];

/// Columns of 職員名簿, in template order.
pub const STAFF_FIELDS: &[Field] = &[
    f(
        "職員番号",
        "staff_id",
        true,
        "名簿内で一意の文字列",
        "10023",
    ),
    f("氏名", "name", true, TEXT, "田中 花子"),
    f(
        "職種",
        "job",
        true,
        "文字列（例: 医師、看護師、事務）",
        "医師",
    ),
    f("部署", "department", false, TEXT, "内科"),
    f("入職日", "hired", false, DATE, "2020-04-01"),
    f("退職日", "retired", false, "日付。空欄は在職中", ""),
];

/// Columns of アクセスログ, in template order (also the JSON Lines keys).
pub const ACCESS_FIELDS: &[Field] = &[
    f(
        "日時",
        "time",
        true,
        "日時（2025-04-01 09:30:00 は日本時間、2025-04-01T00:30:00Z のような RFC 3339 も可）",
        "2025-04-01 09:30:00",
    ),
    f("システム", "system", true, TEXT, "電子カルテ"),
    f("アカウントID", "user", true, TEXT, "tanaka"),
    f("患者ID", "patient", false, TEXT, "P000123"),
    f(
        "操作",
        "action",
        true,
        "ログイン／ログイン失敗／ログアウト／参照／作成／更新／削除／印刷／出力（login／login_failed／logout／view／create／update／delete／print／export）",
        "参照",
    ),
    f(
        "結果",
        "result",
        false,
        "成功／失敗（success／failure）",
        "成功",
    ),
    f("端末", "terminal", false, TEXT, "PC-05"),
    f("詳細", "detail", false, TEXT, "診療録を参照"),
];

/// Columns of アクセス権限表, in template order. Which of 職種 … 終了日 a row needs depends
/// on its 区分 (see [`PolicyEntry`]).
pub const POLICY_FIELDS: &[Field] = &[
    f(
        "システム名",
        "system",
        true,
        "アカウント管理に登録済みのシステム名",
        "電子カルテ",
    ),
    f(
        "区分",
        "kind",
        true,
        "許可／管理者権限／責任者／保守期間（allowed／admin_role／owner／maintenance_window）",
        "許可",
    ),
    f(
        "職種",
        "job",
        false,
        "区分「許可」で必須。職員名簿の職種（* はすべての職種）",
        "医師",
    ),
    f(
        "権限",
        "role",
        false,
        "区分「許可」「管理者権限」で必須。システムの権限名（許可で * はすべての権限）",
        "医師",
    ),
    f(
        "アカウントID",
        "account_id",
        false,
        "区分「責任者」「保守期間」で必須",
        "",
    ),
    f(
        "責任者",
        "owner",
        false,
        "区分「責任者」で必須。共用・管理者アカウントの責任者の氏名",
        "",
    ),
    f("開始日", "from", false, "区分「保守期間」で必須。日付", ""),
    f(
        "終了日",
        "to",
        false,
        "区分「保守期間」で必須。日付（開始日以降、当日を含む）",
        "",
    ),
    f("備考", "note", false, TEXT, ""),
];

/// A row of 資産台帳 (asset inventory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRow {
    /// 資産ID (unique within the file).
    pub asset_id: String,
    /// 種別.
    pub kind: AssetKind,
    /// 名称.
    pub name: String,
    /// 製造元.
    pub vendor: Option<String>,
    /// 製品名.
    pub product: Option<String>,
    /// バージョン.
    pub version: Option<String>,
    /// OS.
    pub os: Option<String>,
    /// ホスト名.
    pub hostname: Option<String>,
    /// IPアドレス (as written; may hold several addresses).
    pub ip: Option<String>,
    /// 設置場所.
    pub location: Option<String>,
    /// 管理部署.
    pub department: Option<String>,
    /// 保守事業者.
    pub maintainer: Option<String>,
    /// リモートメンテナンス: whether a vendor maintains it remotely (`None` = unknown).
    pub remote_maintenance: Option<bool>,
    /// 外部接続: whether it is reachable from or connects to outside networks.
    pub internet_facing: Option<bool>,
    /// 接続元制限: whether the sources allowed to connect are restricted.
    pub source_restricted: Option<bool>,
    /// USB制限: whether USB storage is restricted.
    pub usb_restricted: Option<bool>,
    /// 不要サービス停止: whether unneeded services and ports are disabled.
    pub services_minimized: Option<bool>,
    /// 最終パッチ適用日.
    pub last_patched: Option<Date>,
    /// 稼働状態 (`None` when blank; treat as in service).
    pub status: Option<AssetStatus>,
    /// CPE name.
    pub cpe: Option<String>,
}

/// A row of アカウント一覧 (accounts per system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// システム.
    pub system: String,
    /// アカウントID (unique per システム).
    pub account_id: String,
    /// 氏名.
    pub name: Option<String>,
    /// 職員番号; `None` for shared, system or vendor accounts (共用・システム・事業者).
    pub staff_id: Option<String>,
    /// 権限.
    pub role: String,
    /// 状態.
    pub status: Option<AccountStatus>,
    /// 最終ログイン (the date in JST when a time was given).
    pub last_login: Option<Date>,
    /// 二要素認証.
    pub mfa: Option<bool>,
    /// パスワード変更日.
    pub password_changed: Option<Date>,
}

/// A row of 職員名簿 (staff roster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRow {
    /// 職員番号 (unique within the file).
    pub staff_id: String,
    /// 氏名.
    pub name: String,
    /// 職種.
    pub job: String,
    /// 部署.
    pub department: Option<String>,
    /// 入職日.
    pub hired: Option<Date>,
    /// 退職日; `None` while employed (在職中).
    pub retired: Option<Date>,
}

/// One entry of アクセスログ (access log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEvent {
    /// 日時 as microseconds since 1970-01-01T00:00:00Z (times without an offset are JST).
    pub time_us: i64,
    /// システム.
    pub system: String,
    /// アカウントID (key `user`).
    pub user: String,
    /// 患者ID.
    pub patient: Option<String>,
    /// 操作.
    pub action: AccessAction,
    /// 結果.
    pub result: Option<AccessResult>,
    /// 端末.
    pub terminal: Option<String>,
    /// 詳細.
    pub detail: Option<String>,
}

impl AccessEvent {
    /// 日時 as a [`jiff::Timestamp`].
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_microsecond(self.time_us).ok()
    }
}

/// What one row of アクセス権限表 says, with the columns its 区分 needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PolicyEntry {
    /// 許可: 職種 may hold 権限 (`*` = any).
    Allowed { job: String, role: String },
    /// 管理者権限: 権限 is administrative.
    AdminRole { role: String },
    /// 責任者: the named owner of アカウントID.
    Owner { account_id: String, owner: String },
    /// 保守期間: アカウントID may be enabled from 開始日 to 終了日 (inclusive).
    Window {
        account_id: String,
        from: Date,
        to: Date,
    },
}

impl PolicyEntry {
    /// The 区分.
    pub fn kind(&self) -> PolicyKind {
        match self {
            PolicyEntry::Allowed { .. } => PolicyKind::Allowed,
            PolicyEntry::AdminRole { .. } => PolicyKind::AdminRole,
            PolicyEntry::Owner { .. } => PolicyKind::Owner,
            PolicyEntry::Window { .. } => PolicyKind::Window,
        }
    }
}

/// A row of アクセス権限表 (access policy), one entry of one system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    /// システム名 (as registered).
    pub system: String,
    /// The entry (区分 and its columns).
    pub entry: PolicyEntry,
    /// 備考 (kept in the file only).
    pub note: Option<String>,
}

/// A template's record type: how a row is read and what must be unique in a file.
pub(crate) trait Record: Sized {
    const KIND: TemplateKind;
    /// Reads one row; problems go into `c`. `None` if the row has problems.
    fn read(c: &mut Cells<'_>) -> Option<Self>;
    /// The field that must be unique, its value as shown, and the key compared.
    fn unique(&self) -> Option<(usize, String, String)> {
        None
    }
}

fn key(s: &str) -> String {
    crate::field::fold(s)
}

impl Record for AssetRow {
    const KIND: TemplateKind = TemplateKind::Assets;
    fn read(c: &mut Cells<'_>) -> Option<Self> {
        let asset_id = c.required(0);
        let kind = c.required_choice::<AssetKind>(1);
        let name = c.required(2);
        let cpe = c.text(19);
        if let Some(cpe) = &cpe
            && !cpe.to_ascii_lowercase().starts_with("cpe:")
        {
            c.problem(
                19,
                format!("CPE『{cpe}』は cpe:2.3:… または cpe:/… の形式で入力してください"),
            );
        }
        let row = AssetRow {
            asset_id,
            kind: kind.unwrap_or(AssetKind::Other),
            name,
            vendor: c.text(3),
            product: c.text(4),
            version: c.text(5),
            os: c.text(6),
            hostname: c.text(7),
            ip: c.text(8),
            location: c.text(9),
            department: c.text(10),
            maintainer: c.text(11),
            remote_maintenance: c.yes_no(12),
            internet_facing: c.yes_no(13),
            source_restricted: c.yes_no(14),
            usb_restricted: c.yes_no(15),
            services_minimized: c.yes_no(16),
            last_patched: c.date(17),
            status: c.choice(18),
            cpe,
        };
        c.ok().then_some(row)
    }
    fn unique(&self) -> Option<(usize, String, String)> {
        Some((
            0,
            format!("資産ID『{}』", self.asset_id),
            key(&self.asset_id),
        ))
    }
}

impl Record for AccountRow {
    const KIND: TemplateKind = TemplateKind::Accounts;
    fn read(c: &mut Cells<'_>) -> Option<Self> {
        let row = AccountRow {
            system: c.required(0),
            account_id: c.required(1),
            name: c.text(2),
            staff_id: c.text(3),
            role: c.required(4),
            status: c.choice(5),
            last_login: c.date(6),
            mfa: c.yes_no(7),
            password_changed: c.date(8),
        };
        c.ok().then_some(row)
    }
    fn unique(&self) -> Option<(usize, String, String)> {
        Some((
            1,
            format!(
                "システム『{}』のアカウントID『{}』",
                self.system, self.account_id
            ),
            format!("{}\u{0}{}", key(&self.system), key(&self.account_id)),
        ))
    }
}

impl Record for StaffRow {
    const KIND: TemplateKind = TemplateKind::Staff;
    fn read(c: &mut Cells<'_>) -> Option<Self> {
        let row = StaffRow {
            staff_id: c.required(0),
            name: c.required(1),
            job: c.required(2),
            department: c.text(3),
            hired: c.date(4),
            retired: c.date(5),
        };
        if let (Some(h), Some(r)) = (row.hired, row.retired)
            && r < h
        {
            c.problem(5, format!("退職日（{r}）が入職日（{h}）より前です"));
        }
        c.ok().then_some(row)
    }
    fn unique(&self) -> Option<(usize, String, String)> {
        Some((
            0,
            format!("職員番号『{}』", self.staff_id),
            key(&self.staff_id),
        ))
    }
}

impl Record for AccessEvent {
    const KIND: TemplateKind = TemplateKind::AccessLog;
    fn read(c: &mut Cells<'_>) -> Option<Self> {
        let time = c.time(0);
        let system = c.required(1);
        let user = c.required(2);
        let patient = c.text(3);
        let action = c.required_choice::<AccessAction>(4);
        let row = AccessEvent {
            time_us: time.unwrap_or_default(),
            system,
            user,
            patient,
            action: action.unwrap_or(AccessAction::View),
            result: c.choice(5),
            terminal: c.text(6),
            detail: c.text(7),
        };
        c.ok().then_some(row)
    }
}

impl Record for PolicyRow {
    const KIND: TemplateKind = TemplateKind::AccessPolicy;
    fn read(c: &mut Cells<'_>) -> Option<Self> {
        const JOB: usize = 2;
        const ROLE: usize = 3;
        const ACCOUNT: usize = 4;
        const OWNER: usize = 5;
        const FROM: usize = 6;
        const TO: usize = 7;
        let system = c.required(0);
        let kind = c.required_choice::<PolicyKind>(1);
        let note = c.text(8);
        let kind = kind?;
        let label = kind.ja();
        let (needed, unused): (&[usize], &[usize]) = match kind {
            PolicyKind::Allowed => (&[JOB, ROLE], &[ACCOUNT, OWNER, FROM, TO]),
            PolicyKind::AdminRole => (&[ROLE], &[JOB, ACCOUNT, OWNER, FROM, TO]),
            PolicyKind::Owner => (&[ACCOUNT, OWNER], &[JOB, ROLE, FROM, TO]),
            PolicyKind::Window => (&[ACCOUNT, FROM, TO], &[JOB, ROLE, OWNER]),
        };
        for &f in needed {
            if c.text(f).is_none() {
                let reason = format!("区分「{label}」では{}が必要です", c.name(f));
                c.problem(f, reason);
            }
        }
        // A value the 区分 does not use would be silently dropped; say so instead, so that
        // e.g. a 職種 written on a 管理者権限 row is not mistaken for a restriction.
        for &f in unused {
            if c.text(f).is_some() {
                let reason = format!(
                    "区分「{label}」では{}は使いません（空欄にしてください）",
                    c.name(f)
                );
                c.problem(f, reason);
            }
        }
        let text = |c: &mut Cells<'_>, f: usize| c.text(f).unwrap_or_default();
        let entry = match kind {
            PolicyKind::Allowed => PolicyEntry::Allowed {
                job: text(c, JOB),
                role: text(c, ROLE),
            },
            PolicyKind::AdminRole => PolicyEntry::AdminRole {
                role: text(c, ROLE),
            },
            PolicyKind::Owner => PolicyEntry::Owner {
                account_id: text(c, ACCOUNT),
                owner: text(c, OWNER),
            },
            PolicyKind::Window => {
                let from = c.date(FROM);
                let to = c.date(TO);
                if let (Some(a), Some(b)) = (from, to)
                    && b < a
                {
                    c.problem(TO, format!("終了日（{b}）が開始日（{a}）より前です"));
                }
                let (Some(from), Some(to)) = (from, to) else {
                    return None;
                };
                PolicyEntry::Window {
                    account_id: text(c, ACCOUNT),
                    from,
                    to,
                }
            }
        };
        c.ok().then_some(PolicyRow {
            system,
            entry,
            note,
        })
    }
    fn unique(&self) -> Option<(usize, String, String)> {
        let sys = &self.system;
        let (f, shown, k) = match &self.entry {
            PolicyEntry::Allowed { job, role } => (
                3,
                format!("システム『{sys}』の許可『{job}』→『{role}』"),
                format!("allowed\u{0}{}\u{0}{}", key(job), key(role)),
            ),
            PolicyEntry::AdminRole { role } => (
                3,
                format!("システム『{sys}』の管理者権限『{role}』"),
                format!("admin\u{0}{}", key(role)),
            ),
            // One named owner per account (the policy keeps one).
            PolicyEntry::Owner { account_id, .. } => (
                4,
                format!("システム『{sys}』のアカウントID『{account_id}』の責任者"),
                format!("owner\u{0}{}", key(account_id)),
            ),
            PolicyEntry::Window {
                account_id,
                from,
                to,
            } => (
                4,
                format!("システム『{sys}』のアカウントID『{account_id}』の保守期間 {from}〜{to}"),
                format!("window\u{0}{}\u{0}{from}\u{0}{to}", key(account_id)),
            ),
        };
        Some((f, shown, format!("{}\u{0}{k}", key(sys))))
    }
}
