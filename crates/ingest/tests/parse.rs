mod common;

use anzen_ingest::*;
use common::{bom, cp932, gzip, xlsx};
use jiff::civil::date;

const ASSETS: &str = "資産ID,種別,名称,製造元,OS,リモートメンテナンス,外部接続,USB制限,最終パッチ適用日,稼働状態,CPE\r\n\
SV-01,サーバ,電子カルテサーバ,富士通,Windows Server 2022,あり,なし,,2025-04-01,稼働,cpe:2.3:o:microsoft:windows_server_2022:-:*:*:*:*:*:*:*\r\n\
FW-01,ネットワーク機器,UTM,Fortinet,FortiOS,はい,yes,○,R7.3.15,停止,\r\n\
PC-01,端末PC,受付PC,,Windows 11,いいえ,0,×,令和6年12月1日,,\r\n";

fn problems<T: std::fmt::Debug>(r: Result<Parsed<T>, Vec<Problem>>) -> Vec<Problem> {
    match r {
        Ok(p) => panic!("expected problems, got {p:?}"),
        Err(ps) => ps,
    }
}

fn check_assets(p: &Parsed<AssetRow>) {
    assert_eq!(p.rows.len(), 3);
    let sv = &p.rows[0];
    assert_eq!(sv.line, 2);
    assert_eq!(sv.row.asset_id, "SV-01");
    assert_eq!(sv.row.kind, AssetKind::Server);
    assert_eq!(sv.row.vendor.as_deref(), Some("富士通"));
    assert_eq!(sv.row.remote_maintenance, Some(true));
    assert_eq!(sv.row.internet_facing, Some(false));
    assert_eq!(sv.row.usb_restricted, None);
    assert_eq!(sv.row.last_patched, Some(date(2025, 4, 1)));
    assert_eq!(sv.row.status, Some(AssetStatus::Active));
    assert!(
        sv.row
            .cpe
            .as_deref()
            .is_some_and(|c| c.starts_with("cpe:2.3:o"))
    );
    let fw = &p.rows[1].row;
    assert_eq!(fw.kind, AssetKind::Network);
    assert_eq!(fw.internet_facing, Some(true));
    assert_eq!(fw.usb_restricted, Some(true));
    assert_eq!(fw.last_patched, Some(date(2025, 3, 15)));
    assert_eq!(fw.status, Some(AssetStatus::Stopped));
    assert_eq!(fw.cpe, None);
    let pc = &p.rows[2];
    assert_eq!(pc.line, 4);
    assert_eq!(pc.row.kind, AssetKind::Pc);
    assert_eq!(pc.row.remote_maintenance, Some(false));
    assert_eq!(pc.row.internet_facing, Some(false));
    assert_eq!(pc.row.usb_restricted, Some(false));
    assert_eq!(pc.row.last_patched, Some(date(2024, 12, 1)));
    assert_eq!(pc.row.vendor, None);
}

#[test]
fn assets_in_every_encoding() {
    let p = parse_assets("assets.csv", ASSETS.as_bytes()).expect("utf-8");
    check_assets(&p);
    assert_eq!(p.source.format, Format::Csv);
    assert_eq!(p.source.encoding, Some(TextEncoding::Utf8));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    let p = parse_assets("assets.csv", &bom(ASSETS)).expect("bom");
    check_assets(&p);
    assert_eq!(p.source.encoding, Some(TextEncoding::Utf8Bom));

    let p = parse_assets("assets.csv", &cp932(ASSETS)).expect("cp932");
    check_assets(&p);
    assert_eq!(p.source.encoding, Some(TextEncoding::Cp932));

    let p = parse_assets("assets.csv.gz", &gzip(&cp932(ASSETS))).expect("gzip cp932");
    check_assets(&p);
    assert!(p.source.gzip);
    assert_eq!(p.source.encoding, Some(TextEncoding::Cp932));

    // Unix line ends work too.
    let p = parse_assets("assets.csv", ASSETS.replace("\r\n", "\n").as_bytes()).expect("lf");
    check_assets(&p);
}

#[test]
fn assets_from_xlsx() {
    let bytes = xlsx(
        "台帳",
        &[
            &[
                "資産ID",
                "種別",
                "名称",
                "製造元",
                "OS",
                "リモートメンテナンス",
                "外部接続",
                "USB制限",
                "最終パッチ適用日",
                "稼働状態",
                "CPE",
            ],
            &[
                "SV-01",
                "サーバ",
                "電子カルテサーバ",
                "富士通",
                "Windows Server 2022",
                "あり",
                "なし",
                "",
                "#date:2025-04-01",
                "稼働",
                "cpe:2.3:o:microsoft:windows_server_2022:-:*:*:*:*:*:*:*",
            ],
            &[
                "FW-01",
                "ネットワーク機器",
                "UTM",
                "Fortinet",
                "FortiOS",
                "はい",
                "yes",
                "○",
                "R7.3.15",
                "停止",
                "",
            ],
            &[
                "PC-01",
                "端末PC",
                "受付PC",
                "",
                "Windows 11",
                "いいえ",
                "#num:0",
                "×",
                "令和6年12月1日",
                "",
                "",
            ],
        ],
    );
    let p = parse_assets("assets.xlsx", &bytes).expect("xlsx");
    check_assets(&p);
    assert_eq!(p.source.format, Format::Xlsx);
    assert_eq!(p.source.sheet.as_deref(), Some("台帳"));

    // A named sheet that does not exist.
    let ps = problems(parse_assets_with(
        "assets.xlsx",
        &bytes,
        Options {
            sheet: Some("資産"),
            ..Options::default()
        },
    ));
    assert!(
        ps[0].reason.contains("シート『資産』がありません"),
        "{}",
        ps[0]
    );
}

#[test]
fn english_headers_and_loose_spelling() {
    let csv = "Asset_ID, KIND ,name,ＩＰアドレス,last patched,Status,メモ\n\
               sv-01,server,EMR,192.168.0.1,2025/4/1,ACTIVE,hello\n\
               fw-01,Medical_Device,Modality,,,disposed,\n";
    let p = parse_assets("assets.csv", csv.as_bytes()).expect("english");
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].row.kind, AssetKind::Server);
    assert_eq!(p.rows[0].row.ip.as_deref(), Some("192.168.0.1"));
    assert_eq!(p.rows[0].row.status, Some(AssetStatus::Active));
    assert_eq!(p.rows[1].row.kind, AssetKind::MedicalDevice);
    assert_eq!(p.rows[1].row.status, Some(AssetStatus::Retired));
    // Unknown column → a warning naming it, not an error.
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].column.as_deref(), Some("メモ"));
    assert_eq!(p.warnings[0].line, Some(1));

    let csv =
        "staff_id,name,job,department,hired,retired\n10023,Hanako Tanaka,nurse,ward 3,R2.4.1,\n";
    let p = parse_staff("staff.csv", csv.as_bytes()).expect("staff english");
    assert_eq!(p.rows[0].row.hired, Some(date(2020, 4, 1)));
    assert_eq!(p.rows[0].row.retired, None);

    let csv = "system,account_id,name,staff_id,role,status,last_login,mfa,password_changed\n\
               EMR,tanaka,,10023,doctor,enabled,2025-04-01 23:30,true,2025-01-15\n\
               EMR,vendor,,,admin,disabled,,false,\n";
    let p = parse_accounts("accounts.csv", csv.as_bytes()).expect("accounts english");
    let a = &p.rows[0].row;
    assert_eq!(a.status, Some(AccountStatus::Enabled));
    assert_eq!(a.last_login, Some(date(2025, 4, 1)));
    assert_eq!(a.mfa, Some(true));
    assert_eq!(a.password_changed, Some(date(2025, 1, 15)));
    assert_eq!(p.rows[1].row.staff_id, None);
    assert_eq!(p.rows[1].row.status, Some(AccountStatus::Disabled));
}

#[test]
fn header_problems_refuse_the_file() {
    let csv = "種別,資産ID,資産ID,状態\nサーバ,SV-01,SV-02,\n";
    let ps = problems(parse_assets("a.csv", csv.as_bytes()));
    let dup = ps
        .iter()
        .find(|p| p.reason.contains("重複"))
        .expect("duplicate column");
    assert_eq!(dup.line, Some(1));
    assert_eq!(dup.column.as_deref(), Some("資産ID"));
    assert!(dup.reason.contains("2列目と同じ"), "{dup}");
    let missing = ps
        .iter()
        .find(|p| p.reason.starts_with("必須の列がありません"))
        .expect("missing column");
    assert!(missing.reason.contains("名称（name）"), "{missing}");
    assert!(!missing.reason.contains("種別"), "{missing}");
    assert_eq!(missing.line, Some(1));
    assert_eq!(
        missing.to_string(),
        format!("a.csv 1行目: {}", missing.reason)
    );

    // Empty file, header only, JSON Lines for a non-log template.
    let ps = problems(parse_staff("s.csv", b""));
    assert_eq!(ps[0].reason, "ファイルが空です");
    let p = parse_staff("s.csv", "職員番号,氏名,職種\r\n".as_bytes()).expect("header only");
    assert!(p.rows.is_empty());
    assert!(p.warnings[0].reason.contains("データの行がありません"));
    let ps = problems(parse_staff("s.jsonl", br#"{"staff_id":"1"}"#));
    assert!(ps[0].reason.contains("JSON Lines"), "{}", ps[0]);
    let ps = problems(parse_staff("s.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]));
    assert!(ps[0].reason.contains(".xls"), "{}", ps[0]);
}

#[test]
fn every_value_problem_is_located() {
    let csv = "資産ID,種別,名称,外部接続,最終パッチ適用日,稼働状態,CPE\n\
               SV-01,サーバ,電子カルテ,あり,2025-04-01,稼働,\n\
               ,ルーター,UTM,たぶん,2025-13-01,休止,windows\n\
               SV-01,サーバ,重複,,R1.4.1,,\n";
    let ps = problems(parse_assets("assets.csv", csv.as_bytes()));
    let find = |col: &str, line: u64| {
        ps.iter()
            .find(|p| p.column.as_deref() == Some(col) && p.line == Some(line))
            .unwrap_or_else(|| panic!("no problem at {line} {col}: {ps:#?}"))
    };
    let p = find("資産ID", 3);
    assert_eq!(p.reason, "必須の項目『資産ID』が空です");
    assert_eq!(
        p.to_string(),
        "assets.csv 3行目 『資産ID』: 必須の項目『資産ID』が空です"
    );
    let p = find("種別", 3);
    assert_eq!(
        p.reason,
        "種別『ルーター』は サーバ／端末PC／ネットワーク機器／医療機器／その他 のいずれかで入力してください"
    );
    assert_eq!(p.value.as_deref(), Some("ルーター"));
    assert!(find("外部接続", 3).reason.contains("あり／なし"));
    let p = find("最終パッチ適用日", 3);
    assert!(
        p.reason
            .starts_with("日付『2025-13-01』を読めません（例: 2025-04-01、R7.4.1）"),
        "{p}"
    );
    assert!(find("稼働状態", 3).reason.contains("稼働／停止／廃棄"));
    assert!(find("CPE", 3).reason.contains("cpe:2.3:"));
    // 和暦 before its era began.
    assert!(find("最終パッチ適用日", 4).reason.contains("令和の始まり"));
    assert_eq!(ps.len(), 7, "{ps:#?}");
}

#[test]
fn duplicate_ids() {
    let csv =
        "資産ID,種別,名称\nSV-01,サーバ,a\nFW-01,ネットワーク機器,b\nFW-01,ネットワーク機器,c\n";
    let ps = problems(parse_assets("a.csv", csv.as_bytes()));
    assert_eq!(ps.len(), 1);
    assert_eq!(
        ps[0].reason,
        "資産ID『FW-01』が重複しています（3行目と同じ）"
    );
    assert_eq!(ps[0].line, Some(4));
    assert_eq!(ps[0].column.as_deref(), Some("資産ID"));

    let csv = "職員番号,氏名,職種\n10023,田中,医師\n１００２３,田中,医師\n";
    let ps = problems(parse_staff("s.csv", csv.as_bytes()));
    assert!(
        ps[0].reason.contains("が重複しています（2行目と同じ）"),
        "{}",
        ps[0]
    );

    let csv = "システム,アカウントID,権限\n電子カルテ,tanaka,医師\nPACS,tanaka,医師\n電子カルテ,tanaka,管理者\n";
    let ps = problems(parse_accounts("acc.csv", csv.as_bytes()));
    assert_eq!(ps.len(), 1);
    assert_eq!(
        ps[0].reason,
        "システム『電子カルテ』のアカウントID『tanaka』が重複しています（2行目と同じ）"
    );
    assert_eq!(ps[0].line, Some(4));
    assert_eq!(ps[0].column.as_deref(), Some("アカウントID"));

    // Retired before hired.
    let csv = "職員番号,氏名,職種,入職日,退職日\n1,a,b,R7.4.1,2025/3/31\n";
    let ps = problems(parse_staff("s.csv", csv.as_bytes()));
    assert_eq!(ps[0].column.as_deref(), Some("退職日"));
}

#[test]
fn xlsx_problems_use_sheet_and_column_letter() {
    let bytes = xlsx(
        "職員",
        &[
            &["職員番号", "氏名", "職種", "入職日"],
            &["1", "田中", "", "2025-02-30"],
        ],
    );
    let ps = problems(parse_staff("staff.xlsx", &bytes));
    assert_eq!(ps.len(), 2, "{ps:#?}");
    assert_eq!(ps[0].column.as_deref(), Some("C"));
    assert_eq!(ps[0].sheet.as_deref(), Some("職員"));
    assert_eq!(ps[0].line, Some(2));
    assert_eq!(
        ps[0].to_string(),
        "staff.xlsx シート『職員』 2行目 C列: 必須の項目『職種』が空です"
    );
    assert_eq!(ps[1].column.as_deref(), Some("D"));
}

#[test]
fn problems_are_capped() {
    let mut csv = String::from("職員番号,氏名,職種\n");
    for i in 0..300 {
        csv.push_str(&format!("{i},,\n"));
    }
    let ps = problems(parse_staff("s.csv", csv.as_bytes()));
    assert_eq!(ps.len(), MAX_PROBLEMS + 1);
    let last = ps.last().expect("summary");
    assert_eq!(last.line, None);
    assert!(last.reason.contains("ほかに400件"), "{last}");
}

#[test]
fn progress_is_reported_sparingly() {
    let mut csv = String::from("職員番号,氏名,職種\n");
    for i in 0..20_000 {
        csv.push_str(&format!("{i},職員{i},看護師\n"));
    }
    let mut calls = Vec::new();
    let mut cb = |done: u64, total: u64| calls.push((done, total));
    let p = parse_staff_with(
        "s.csv",
        csv.as_bytes(),
        Options {
            progress: Some(&mut cb),
            ..Options::default()
        },
    )
    .expect("parse");
    assert_eq!(p.rows.len(), 20_000);
    assert!(calls.len() <= 102, "{} calls", calls.len());
    let total = csv.len() as u64;
    assert_eq!(calls.last(), Some(&(total, total)));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn blank_lines_keep_line_numbers() {
    let csv = "\r\n職員番号,氏名,職種\r\n\r\n1,a,医師\r\n\r\n\r\n2,,医師\r\n";
    let ps = problems(parse_staff("s.csv", csv.as_bytes()));
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].line, Some(7));
    let csv = "職員番号,氏名,職種\n\n1,a,医師\n,,\n3,c,\"看護\n師\"\n4,d,e\n";
    let p = parse_staff("s.csv", csv.as_bytes()).expect("parse");
    let lines: Vec<u64> = p.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5, 7]);
}
