//! 台帳 — the asset ledger's vocabulary: what kind of device, whether it is in service.

use serde::{Deserialize, Serialize};

/// 種別 — the kind of asset (the checklist's device categories plus 医療機器 and その他).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// サーバ
    Server,
    /// 端末PC
    Pc,
    /// ネットワーク機器 (routers, firewalls, VPN appliances, switches, Wi-Fi)
    Network,
    /// 医療機器 (modalities and other medical devices on the network)
    MedicalDevice,
    /// その他
    Other,
}

impl AssetKind {
    pub const ALL: [AssetKind; 5] = [
        AssetKind::Server,
        AssetKind::Pc,
        AssetKind::Network,
        AssetKind::MedicalDevice,
        AssetKind::Other,
    ];

    /// Stored and template code (`server`, `pc`, …).
    pub fn code(self) -> &'static str {
        match self {
            AssetKind::Server => "server",
            AssetKind::Pc => "pc",
            AssetKind::Network => "network",
            AssetKind::MedicalDevice => "medical_device",
            AssetKind::Other => "other",
        }
    }

    /// The Japanese name as in the 資産台帳 template.
    pub fn label_ja(self) -> &'static str {
        match self {
            AssetKind::Server => "サーバ",
            AssetKind::Pc => "端末PC",
            AssetKind::Network => "ネットワーク機器",
            AssetKind::MedicalDevice => "医療機器",
            AssetKind::Other => "その他",
        }
    }

    /// Parses the code or the Japanese name.
    pub fn parse(s: &str) -> Option<AssetKind> {
        let s = s.trim();
        AssetKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_ja() == s)
    }
}

/// 稼働状態.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// 稼働
    Active,
    /// 停止
    Stopped,
    /// 廃棄 (kept in the ledger, no longer checked)
    Retired,
}

impl AssetStatus {
    pub const ALL: [AssetStatus; 3] = [
        AssetStatus::Active,
        AssetStatus::Stopped,
        AssetStatus::Retired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AssetStatus::Active => "active",
            AssetStatus::Stopped => "stopped",
            AssetStatus::Retired => "retired",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            AssetStatus::Active => "稼働",
            AssetStatus::Stopped => "停止",
            AssetStatus::Retired => "廃棄",
        }
    }

    /// Parses the code or the Japanese name.
    pub fn parse(s: &str) -> Option<AssetStatus> {
        let s = s.trim();
        AssetStatus::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_ja() == s)
    }
}

/// The recorded fields of an asset (the 資産台帳 template's columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetData {
    /// 資産ID
    pub key: String,
    /// 種別
    pub kind: AssetKind,
    /// 名称
    pub name: String,
    /// 製造元
    pub vendor: Option<String>,
    /// 製品名
    pub product: Option<String>,
    /// バージョン
    pub version: Option<String>,
    pub os: Option<String>,
    /// ホスト名
    pub hostname: Option<String>,
    /// IPアドレス
    pub ip: Option<String>,
    /// 設置場所
    pub location: Option<String>,
    /// 管理部署
    pub department: Option<String>,
    /// 保守事業者
    pub maintainer: Option<String>,
    /// リモートメンテナンス
    pub remote_maintenance: Option<bool>,
    /// 外部接続
    pub internet_facing: Option<bool>,
    /// 接続元制限
    pub source_restricted: Option<bool>,
    /// USB制限
    pub usb_restricted: Option<bool>,
    /// 不要サービス停止
    pub services_minimized: Option<bool>,
    /// 最終パッチ適用日, YYYY-MM-DD
    pub last_patched: Option<String>,
    /// 稼働状態
    pub status: AssetStatus,
    pub cpe: Option<String>,
}
