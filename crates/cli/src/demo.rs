//! `anzen demo`: a sample clinic with realistic Japanese data, served at once. Prints the
//! URL and the demo credentials (including the TOTP secret, so the second factor can be
//! added to an authenticator app or computed by a test).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use anzen_core::{OrgKind, Role};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::{Store, audit, users};

use crate::config::Config;
use crate::init::{Setup, create_data_dir, create_org_with_admin};
use crate::serve::serve_store;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where to keep the demo data (default: a new temporary directory).
    #[arg(long = "data", value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

pub const DEMO_EMAIL: &str = "yamada@sakura-clinic.example";
pub const DEMO_PASSWORD: &str = "kiri-Tsubame-7294!";
/// Fixed so that the printed credentials stay valid across demo runs.
pub const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let (dir, _tmp) = match args.data {
        Some(d) => (d, None),
        None => {
            let t = tempfile::Builder::new().prefix("anzen-demo-").tempdir()?;
            (t.path().to_owned(), Some(t))
        }
    };
    let fresh = !dir.join(crate::config::CONFIG_FILE).exists();
    // An existing demo directory keeps its own settings; only the address comes from the flag.
    let mut cfg = if fresh {
        Config::default()
    } else {
        Config::load(&dir)?
    };
    cfg.listen = args.listen;
    let (store, _key) = create_data_dir(&dir, &cfg)?;
    let checkpointer = cfg.checkpointer(&dir)?;
    if fresh {
        seed(&store)?;
        checkpointer.checkpoint_all(&store, true)?;
    }
    let data_dir = dir.display().to_string();
    serve_store(
        store,
        &cfg,
        checkpointer,
        Some(Box::new(move |addr| {
            println!();
            println!("anzen デモ / demo");
            println!("  URL:            http://{addr}/");
            if addr.ip().is_loopback() {
                // Passkeys need a host name in a secure context: localhost, not 127.0.0.1.
                println!("  パスキー / passkeys: http://localhost:{}/", addr.port());
            }
            println!("  メール / e-mail: {DEMO_EMAIL}");
            println!("  パスワード:      {DEMO_PASSWORD}");
            println!(
                "  TOTP secret:    {DEMO_TOTP_SECRET}  (認証アプリに手入力 / add to an authenticator app)"
            );
            println!("  data:           {data_dir}");
            println!("  停止 / stop:     Ctrl-C");
            println!();
        })),
    )
}

/// The demo facility and its people.
pub fn seed(store: &Store) -> Result<()> {
    let mut profile = OrgProfile::new("医療法人さくら会 さくら内科クリニック", OrgKind::Clinic);
    profile.beds = Some(0);
    profile.prefecture = Some("東京都".into());
    profile.address = Some("東京都世田谷区桜丘1-2-3".into());
    let org = create_org_with_admin(
        store,
        &Setup {
            org: profile.clone(),
            admin_email: DEMO_EMAIL.into(),
            admin_name: "山田 太郎（院長）".into(),
            admin_password: DEMO_PASSWORD.into(),
        },
        "demo",
    )?;
    let hash = anzen_web::hash_password(DEMO_PASSWORD)?;
    store.write(|c| -> Result<()> {
        let admin = users::get_by_email(c, DEMO_EMAIL)?
            .ok_or_else(|| anyhow::anyhow!("demo admin missing"))?;
        users::set_totp(c, admin.id, Some(DEMO_TOTP_SECRET))?;
        for (email, name, role) in [
            (
                "sato@sakura-clinic.example",
                "佐藤 花子（事務長）",
                Role::SecurityOfficer,
            ),
            (
                "suzuki@sakura-clinic.example",
                "鈴木 一郎（看護師長）",
                Role::Staff,
            ),
            ("tanaka@audit.example", "田中 誠（監査法人）", Role::Auditor),
            (
                "support@medisys-vendor.example",
                "高橋 健（メディシス株式会社）",
                Role::Vendor,
            ),
        ] {
            let u = users::create(c, email, name, &hash)?;
            orgs::add_member(c, org.id, u.id, role)?;
            audit::record(
                c,
                &org,
                "demo",
                "user.add",
                &serde_json::json!({ "email": email, "role": role.code() }),
            )?;
        }
        let mut updated = profile.clone();
        updated.security_officer = Some("佐藤 花子（事務長）".into());
        updated.security_officer_contact = Some("03-1234-5678（内線 101）".into());
        updated.csirt =
            Some("山田 太郎（院長）\n佐藤 花子（事務長）\n鈴木 一郎（看護師長）".into());
        orgs::update_audited(c, &org, "demo", &updated)?;

        // A second facility of the same group: the demo administrator switches between them.
        let mut nurse = OrgProfile::new(
            "医療法人さくら会 さくら訪問看護ステーション",
            OrgKind::VisitingNurseStation,
        );
        nurse.prefecture = Some("東京都".into());
        let n = orgs::create(c, &nurse)?;
        audit::record(c, &n, "demo", "org.create", &nurse)?;
        orgs::add_member(c, n.id, admin.id, Role::Admin)?;
        audit::record(
            c,
            &n,
            "demo",
            "user.add",
            &serde_json::json!({ "email": DEMO_EMAIL, "role": "admin" }),
        )?;
        seed_assets(c, &org)?;
        seed_vendor(c, &org)?;
        seed_vendor_records(c, &org)?;
        crate::demo_incident::seed(c, &org)?;
        crate::demo_governance::seed(c, &org)?;
        seed_access_log(c, &org)?;
        Ok(())
    })?;
    Ok(())
}

/// Three months of the clinic's EHR access log (about 60 events a day by five staff over
/// 300 patients), then one exported file with a malformed line, which lands in the
/// quarantine.
fn seed_access_log(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<()> {
    use anzen_ingest::{AccessAction, AccessEvent, AccessResult};
    let users = ["yamada", "sato", "suzuki", "takahashi", "ito"];
    let actions = [
        AccessAction::View,
        AccessAction::View,
        AccessAction::View,
        AccessAction::Update,
        AccessAction::Create,
        AccessAction::Print,
    ];
    let day_us = 86_400_000_000i64;
    let start = anzen_store::now_us() - 90 * day_us;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut events = Vec::new();
    for day in 0..90i64 {
        for k in 0..60i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Office hours 09:00–18:00 JST = 00:00–09:00 UTC.
            let t = start - start.rem_euclid(day_us) + day * day_us + k * 540_000_000;
            events.push(AccessEvent {
                time_us: t,
                system: if x.is_multiple_of(5) {
                    "レセコン"
                } else {
                    "電子カルテ"
                }
                .to_owned(),
                user: users[(x % 5) as usize].to_owned(),
                patient: Some(format!("P{:05}", (x >> 8) % 300)),
                action: actions[((x >> 20) % 6) as usize],
                result: Some(AccessResult::Success),
                terminal: Some(format!("診察室PC-{}", (x >> 30) % 3 + 1)),
                detail: None,
            });
        }
    }
    anzen_accesslog::append_events(c, org, "demo", &events)?;
    let csv = "日時,システム,アカウントID,患者ID,操作,結果,端末\n\
               2025-04-01 09:00:00,電子カルテ,yamada,P00001,参照,成功,診察室PC-1\n\
               2025-04-01 09:03:00,電子カルテ,yamada,P00001,閲覧中,成功,診察室PC-1\n";
    anzen_accesslog::import::import_in(
        c,
        org,
        anzen_accesslog::import::ImportSource {
            file_name: "ehr-export-sample.csv",
            sha256: &anzen_accesslog::import::sha256_of(csv.as_bytes())?,
            origin: "demo",
            actor: "demo",
        },
        csv.as_bytes(),
        &mut |_| {},
    )?;
    seed_access_monitoring(c, org)?;
    Ok(())
}

/// The monitoring settings (open every day 08:30–18:30, registered exam-room PCs, one VIP
/// patient), two accesses the rules flag (a VIP record; a late-night access from an
/// unregistered laptop), the monitoring run over the whole log, and last month's 監査
/// report signed off by the 安全管理責任者.
fn seed_access_monitoring(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<()> {
    use anzen_ingest::{AccessAction, AccessEvent, AccessResult};
    use anzen_store::access_monitoring::{self as monitoring, DayHours, MonitoringSettings};
    let day = Some(DayHours {
        start_minute: 8 * 60 + 30,
        end_minute: 18 * 60 + 30,
    });
    let settings = MonitoringSettings {
        weekday_hours: [day; 7],
        holidays_closed: false,
        vip_patients: vec!["P09001".into()],
        terminals: (1..=3)
            .map(|i| format!("診察室PC-{i}"))
            .chain(["受付PC-1".to_owned()])
            .collect(),
        ..MonitoringSettings::default()
    };
    monitoring::set_settings(c, org, "sato@sakura-clinic.example", &settings)?;
    let day_us = 86_400_000_000i64;
    let now = anzen_store::now_us();
    // Yesterday 11:00 and 23:40 JST.
    let midnight_jst = now - (now + 9 * 3_600_000_000).rem_euclid(day_us) - day_us;
    let ev = |t: i64, user: &str, patient: &str, terminal: &str| AccessEvent {
        time_us: t,
        system: "電子カルテ".to_owned(),
        user: user.to_owned(),
        patient: Some(patient.to_owned()),
        action: AccessAction::View,
        result: Some(AccessResult::Success),
        terminal: Some(terminal.to_owned()),
        detail: None,
    };
    anzen_accesslog::append_events(
        c,
        org,
        "demo",
        &[
            ev(
                midnight_jst + 11 * 3_600_000_000,
                "suzuki",
                "P09001",
                "診察室PC-2",
            ),
            ev(
                midnight_jst + 23 * 3_600_000_000 + 40 * 60_000_000,
                "ito",
                "P00042",
                "ITO-LAPTOP",
            ),
        ],
    )?;
    anzen_web::checks::check_access_log(c, org, "demo", now - 100 * day_us, now)?;
    let first = anzen_web::today_jst().first_of_month();
    let last_month = first.yesterday().unwrap_or(first).first_of_month();
    anzen_web::access_audit::sign(
        c,
        org,
        "sato@sakura-clinic.example",
        last_month,
        Some("指摘なし。時間外アクセスは当直の記録と照合済み。".to_owned()),
        now,
    )
    .map_err(|e| anyhow::anyhow!("signing the demo access-log report: {e}"))?;
    Ok(())
}

/// A small clinic's ledger: EHR and レセコン servers (one on an unsupported Windows Server),
/// the VPN appliance the vendor maintains remotely, a router and reception/exam PCs. The
/// rules run at once (end of support and settings; vulnerabilities once feeds are imported
/// with `anzen feeds import`).
fn seed_assets(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<()> {
    use anzen_core::asset::{AssetData, AssetKind, AssetStatus};
    let s = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    /// 資産ID, 種別, 名称, 製造元, 製品名, バージョン, OS, 設置場所.
    type Row = (
        &'static str,
        AssetKind,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let rows: [Row; 7] = [
        (
            "SV-01",
            AssetKind::Server,
            "電子カルテサーバ",
            "NEC",
            "Express5800",
            "",
            "Windows Server 2019",
            "サーバ室",
        ),
        (
            "SV-02",
            AssetKind::Server,
            "レセコンサーバ",
            "富士通",
            "PRIMERGY",
            "",
            "Windows Server 2012 R2",
            "事務室",
        ),
        (
            "FW-01",
            AssetKind::Network,
            "VPN装置（保守用）",
            "Fortinet",
            "FortiGate 60F",
            "6.0.4",
            "FortiOS 6.0.4",
            "サーバ室",
        ),
        (
            "RT-01",
            AssetKind::Network,
            "インターネット回線ルーター",
            "YAMAHA",
            "RTX1210",
            "14.01.38",
            "",
            "事務室",
        ),
        (
            "PC-01",
            AssetKind::Pc,
            "受付PC",
            "Dell",
            "OptiPlex 3000",
            "",
            "Windows 11 Pro 23H2",
            "受付",
        ),
        (
            "PC-02",
            AssetKind::Pc,
            "診察室1 PC",
            "Dell",
            "OptiPlex 3000",
            "",
            "Windows 11 Pro 23H2",
            "診察室1",
        ),
        (
            "PC-03",
            AssetKind::Pc,
            "検査室PC",
            "HP",
            "ProDesk 400",
            "",
            "Windows 10 Pro 22H2",
            "検査室",
        ),
    ];
    for (key, kind, name, vendor, product, version, os, location) in rows {
        let vpn = key == "FW-01";
        let data = AssetData {
            key: key.into(),
            kind,
            name: name.into(),
            vendor: s(vendor),
            product: s(product),
            version: s(version),
            os: s(os),
            hostname: None,
            ip: None,
            location: s(location),
            department: Some("事務部".into()),
            maintainer: vpn.then(|| "メディシス株式会社".to_owned()),
            remote_maintenance: Some(vpn),
            internet_facing: Some(vpn || key == "RT-01"),
            source_restricted: Some(key == "RT-01"),
            usb_restricted: Some(kind == AssetKind::Pc),
            services_minimized: (kind == AssetKind::Server).then_some(key == "SV-01"),
            last_patched: Some("2026-09-10".into()),
            status: AssetStatus::Active,
            cpe: None,
        };
        anzen_store::assets::create(c, org, "demo", &data)?;
    }
    anzen_web::checks::check_assets(c, org, "demo", anzen_web::today_jst())?;
    Ok(())
}

/// The clinic's EHR vendor as its own organisation on this server, asked for the 年度's
/// 事業者確認用 form; its support engineer administers it.
fn seed_vendor(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<()> {
    let vendor_profile = OrgProfile::new("メディシス株式会社", OrgKind::SystemVendor);
    let vendor = orgs::create(c, &vendor_profile)?;
    audit::record(c, &vendor, "demo", "org.create", &vendor_profile)?;
    if let Some(u) = users::get_by_email(c, "support@medisys-vendor.example")? {
        orgs::add_member(c, vendor.id, u.id, Role::Admin)?;
    }
    let fy = anzen_core::calendar::FiscalYear::of(anzen_web::today_jst());
    anzen_store::vendor_forms::request(
        c,
        org,
        &vendor,
        "demo",
        fy.0,
        Some("今年度の事業者確認用チェックリストのご回答をお願いします。"),
    )?;
    Ok(())
}

/// The system named `name`, created when missing (other demo data may have made it).
fn demo_system(
    c: &mut anzen_store::Conn,
    org: &anzen_store::orgs::Org,
    name: &str,
    kind: &str,
) -> Result<anzen_store::accounts::System> {
    if let Some(s) = anzen_store::accounts::systems(c, org)?
        .into_iter()
        .find(|s| s.data.name == name)
    {
        return Ok(s);
    }
    Ok(anzen_store::accounts::save_system(
        c,
        org,
        "demo",
        None,
        &anzen_store::accounts::SystemData {
            name: name.into(),
            kind: kind.into(),
            owner: Some("佐藤 花子（事務長）".into()),
            vendor: None,
            supports_mfa: false,
            min_password_len: Some(8),
            note: None,
        },
    )?)
}

/// 事業者管理: the EHR vendor (linked to its organisation on this server, so its engineer
/// sees what is shared) and the network company that maintains the VPN appliance. As at
/// 半田病院, both are recorded as owning the VPN's patches and neither has accepted, and
/// nobody collects its vulnerability information: the rules flag it.
fn seed_vendor_records(c: &mut anzen_store::Conn, org: &anzen_store::orgs::Org) -> Result<()> {
    use anzen_store::vendors::{
        self as vs, Assignment, Certification, DocFile, NewDocument, RemoteAccess, Service,
        VendorData,
    };
    let today = anzen_web::today_jst();
    let ago = |days: i64| -> String {
        today
            .checked_sub(jiff::Span::new().days(days))
            .unwrap_or(today)
            .to_string()
    };
    let ahead = |days: i64| -> String {
        today
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(today)
            .to_string()
    };
    let vendor_org = orgs::all(c)?
        .into_iter()
        .find(|o| o.profile.kind == OrgKind::SystemVendor && o.profile.name == "メディシス株式会社")
        .map(|o| o.id.0);
    let ehr = demo_system(c, org, "電子カルテ", "電子カルテ")?;
    let vpn = demo_system(c, org, "VPN装置（リモート保守）", "ネットワーク")?;
    let asset_id = |c: &mut anzen_store::Conn, key: &str| -> Result<Option<i64>> {
        Ok(anzen_store::assets::list(c, org)?
            .into_iter()
            .find(|a| a.data.key == key)
            .map(|a| a.id))
    };
    let medisys = vs::save(
        c,
        org,
        "demo",
        None,
        &VendorData {
            name: "メディシス株式会社".into(),
            vendor_org_id: vendor_org,
            contact_name: Some("高橋 健".into()),
            contact_phone: Some("03-5555-0101".into()),
            contact_email: Some("support@medisys-vendor.example".into()),
            address: Some("東京都港区芝5-1-1".into()),
            note: Some("更新時に価格交渉予定（施設内メモ）".into()),
            active: true,
        },
    )?;
    let sv01: Vec<i64> = asset_id(c, "SV-01")?.into_iter().collect();
    vs::set_links(c, org, "demo", medisys.id, &[ehr.id], &sv01)?;
    vs::add_document(
        c,
        org,
        "demo",
        medisys.id,
        &NewDocument {
            kind: "mds_sds",
            form_version: Some("Ver.5.0"),
            received_on: &ago(190),
            file: Some(DocFile {
                name: "MDS_SDS_メディシス電子カルテ_Ver5.0.txt",
                content_type: "text/plain",
                content:
                    "製造業者／サービス事業者による医療情報セキュリティ開示書（デモ用の控え）\n"
                        .as_bytes(),
            }),
            note: None,
        },
    )?;
    vs::add_certification(
        c,
        org,
        "demo",
        medisys.id,
        &Certification {
            id: 0,
            vendor_id: 0,
            kind: "isms".into(),
            name: "ISMS（ISO/IEC 27001）".into(),
            scope: Some("医療情報システムの開発・保守".into()),
            cert_no: Some("IS 000000".into()),
            expires_on: Some(ahead(60)),
        },
    )?;
    vs::add_certification(
        c,
        org,
        "demo",
        medisys.id,
        &Certification {
            id: 0,
            vendor_id: 0,
            kind: "pmark".into(),
            name: "プライバシーマーク".into(),
            scope: None,
            cert_no: None,
            expires_on: Some(ahead(500)),
        },
    )?;
    vs::add_service(
        c,
        org,
        "demo",
        medisys.id,
        &Service {
            id: 0,
            vendor_id: 0,
            name: "電子カルテ クラウドバックアップ".into(),
            stores_data: true,
            data_country: Some("日本".into()),
            data_provider: Some("国内データセンター（東京・大阪）".into()),
            within_japan_law: Some(true),
            note: None,
        },
    )?;
    vs::add_remote(
        c,
        org,
        "demo",
        medisys.id,
        &RemoteAccess {
            id: 0,
            vendor_id: 0,
            target: "電子カルテサーバ（SV-01）".into(),
            method: Some("VPN装置経由のリモートデスクトップ".into()),
            allowed_persons: Some("保守担当者2名（作業前に電話で申請）".into()),
            logs_kept: Some(true),
            log_location: Some("VPN装置の接続ログ・作業報告書".into()),
        },
    )?;

    let network = vs::save(
        c,
        org,
        "demo",
        None,
        &VendorData {
            name: "東海ネットワークサービス株式会社".into(),
            contact_name: Some("伊藤 修".into()),
            contact_phone: Some("052-555-0199".into()),
            active: true,
            ..VendorData::default()
        },
    )?;
    let fw: Vec<i64> = asset_id(c, "FW-01")?.into_iter().collect();
    vs::set_links(c, org, "demo", network.id, &[vpn.id], &fw)?;
    vs::add_remote(
        c,
        org,
        "demo",
        network.id,
        &RemoteAccess {
            id: 0,
            vendor_id: 0,
            target: "VPN装置（FW-01）".into(),
            method: Some("SSL-VPN（FortiGate）".into()),
            allowed_persons: None,
            logs_kept: None,
            log_location: None,
        },
    )?;

    let row = |duty: &str, role: &str, v: Option<i64>| Assignment {
        duty: duty.into(),
        role: role.into(),
        vendor_id: v,
    };
    let (m, n) = (Some(medisys.id), Some(network.id));
    let ehr_rows = vec![
        row("patching", "responsible", m),
        row("patching", "informed", None),
        row("vuln_info", "responsible", m),
        row("vuln_info", "informed", None),
        row("monitoring", "responsible", m),
        row("backup", "responsible", m),
        row("backup", "informed", None),
        row("incident_response", "responsible", None),
        row("incident_response", "informed", m),
        row("authority_reporting", "responsible", None),
        row("remote_maintenance", "responsible", m),
        row("account_management", "responsible", None),
    ];
    let rows = vs::set_matrix(c, org, "demo", ehr.id, &ehr_rows)?;
    for r in rows
        .iter()
        .filter(|r| r.role == "responsible" && r.vendor_id.is_some())
    {
        vs::set_accepted(c, org, "support@medisys-vendor.example", r.id, m, true)?;
    }
    // The VPN: each company thinks the other patches it; nobody watches its advisories.
    let vpn_rows = vec![
        row("patching", "responsible", m),
        row("patching", "responsible", n),
        row("monitoring", "responsible", n),
        row("backup", "responsible", None),
        row("incident_response", "responsible", None),
        row("incident_response", "informed", m),
        row("incident_response", "informed", n),
        row("authority_reporting", "responsible", None),
        row("remote_maintenance", "responsible", n),
        row("account_management", "responsible", None),
    ];
    vs::set_matrix(c, org, "demo", vpn.id, &vpn_rows)?;
    anzen_web::checks::check_vendors(c, org, "demo", today)?;
    Ok(())
}
