//! Organisations (tenants) — 医療機関・薬局・事業者 — and their identifiers.

use serde::{Deserialize, Serialize};

/// Database id of an organisation (tenant). Distinct type so that an org id is never
/// passed where a user id is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrgId(pub i64);

/// Database id of a user account of anzen itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

/// 施設種別 — the kind of facility, which decides which checklist form applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 病院
    Hospital,
    /// 一般診療所
    Clinic,
    /// 歯科診療所
    DentalClinic,
    /// 助産所
    MidwiferyHome,
    /// 薬局
    Pharmacy,
    /// 訪問看護ステーション
    VisitingNurseStation,
    /// 介護事業者
    CareProvider,
    /// 医療情報システム等提供事業者 (a vendor serving facilities)
    SystemVendor,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Hospital,
        OrgKind::Clinic,
        OrgKind::DentalClinic,
        OrgKind::MidwiferyHome,
        OrgKind::Pharmacy,
        OrgKind::VisitingNurseStation,
        OrgKind::CareProvider,
        OrgKind::SystemVendor,
    ];

    /// Stable code used in the database, the CLI (`--org-kind`) and the API.
    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Hospital => "hospital",
            OrgKind::Clinic => "clinic",
            OrgKind::DentalClinic => "dental_clinic",
            OrgKind::MidwiferyHome => "midwifery_home",
            OrgKind::Pharmacy => "pharmacy",
            OrgKind::VisitingNurseStation => "visiting_nurse_station",
            OrgKind::CareProvider => "care_provider",
            OrgKind::SystemVendor => "system_vendor",
        }
    }

    /// The Japanese name shown to users.
    pub fn label_ja(self) -> &'static str {
        match self {
            OrgKind::Hospital => "病院",
            OrgKind::Clinic => "一般診療所",
            OrgKind::DentalClinic => "歯科診療所",
            OrgKind::MidwiferyHome => "助産所",
            OrgKind::Pharmacy => "薬局",
            OrgKind::VisitingNurseStation => "訪問看護ステーション",
            OrgKind::CareProvider => "介護事業者",
            OrgKind::SystemVendor => "医療情報システム等提供事業者",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OrgKind::Hospital => "Hospital",
            OrgKind::Clinic => "Clinic",
            OrgKind::DentalClinic => "Dental clinic",
            OrgKind::MidwiferyHome => "Midwifery home",
            OrgKind::Pharmacy => "Pharmacy",
            OrgKind::VisitingNurseStation => "Visiting-nurse station",
            OrgKind::CareProvider => "Care provider",
            OrgKind::SystemVendor => "System vendor",
        }
    }

    /// Parses the code or the Japanese label.
    pub fn parse(s: &str) -> Option<OrgKind> {
        let s = s.trim();
        OrgKind::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_ja() == s)
    }
}

/// 都道府県 — the 47 prefectures, in JIS X 0401 order.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_and_labels_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.code()), Some(k));
            assert_eq!(OrgKind::parse(k.label_ja()), Some(k));
        }
        assert_eq!(OrgKind::parse("診療所もどき"), None);
    }
}
