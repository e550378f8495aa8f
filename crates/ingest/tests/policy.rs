//! アクセス権限表 (access policy): one entry per row, typed by 区分, in every encoding and
//! xlsx; each mistake named by line and column.

mod common;

use anzen_ingest::*;
use common::{bom, cp932, xlsx};
use jiff::civil::date;

const POLICY: &str = "システム名,区分,職種,権限,アカウントID,責任者,開始日,終了日,備考\r\n\
電子カルテ,許可,医師,医師,,,,,\r\n\
電子カルテ,許可,看護師,*,,,,,病棟\r\n\
電子カルテ,管理者権限,,システム管理者,,,,,\r\n\
電子カルテ,責任者,,,admin,佐藤 花子,,,共用\r\n\
レセコン,保守期間,,,vendor01,,R8.11.1,2026/11/2,定期保守\r\n";

fn problems<T: std::fmt::Debug>(r: Result<Parsed<T>, Vec<Problem>>) -> Vec<Problem> {
    match r {
        Ok(p) => panic!("expected problems, got {p:?}"),
        Err(ps) => ps,
    }
}

fn check(p: &Parsed<PolicyRow>) {
    let rows: Vec<(u64, &str, &PolicyEntry)> = p
        .rows
        .iter()
        .map(|r| (r.line, r.row.system.as_str(), &r.row.entry))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                2,
                "電子カルテ",
                &PolicyEntry::Allowed {
                    job: "医師".into(),
                    role: "医師".into()
                }
            ),
            (
                3,
                "電子カルテ",
                &PolicyEntry::Allowed {
                    job: "看護師".into(),
                    role: "*".into()
                }
            ),
            (
                4,
                "電子カルテ",
                &PolicyEntry::AdminRole {
                    role: "システム管理者".into()
                }
            ),
            (
                5,
                "電子カルテ",
                &PolicyEntry::Owner {
                    account_id: "admin".into(),
                    owner: "佐藤 花子".into()
                }
            ),
            (
                6,
                "レセコン",
                &PolicyEntry::Window {
                    account_id: "vendor01".into(),
                    from: date(2026, 11, 1),
                    to: date(2026, 11, 2)
                }
            ),
        ]
    );
    assert_eq!(p.rows[1].row.note.as_deref(), Some("病棟"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn policy_in_utf8_bom_cp932_and_xlsx() {
    let p = parse_access_policy("policy.csv", POLICY.as_bytes()).expect("utf-8");
    check(&p);
    assert_eq!(p.source.encoding, Some(TextEncoding::Utf8));
    let p = parse_access_policy("policy.csv", &bom(POLICY)).expect("bom");
    check(&p);
    let p = parse_access_policy("policy.csv", &cp932(POLICY)).expect("cp932");
    assert_eq!(p.source.encoding, Some(TextEncoding::Cp932));
    check(&p);

    let grid: Vec<Vec<&str>> = POLICY
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| match c {
                    // Excel dates come back as dates.
                    "2026/11/2" => "#date:2026-11-02",
                    other => other,
                })
                .collect()
        })
        .collect();
    let rows: Vec<&[&str]> = grid.iter().map(Vec::as_slice).collect();
    let p = parse_access_policy("policy.xlsx", &xlsx("アクセス権限表", &rows)).expect("xlsx");
    assert_eq!(p.source.format, Format::Xlsx);
    check(&p);
}

#[test]
fn english_headers_and_values() {
    let text = "system,kind,job,role,account_id,owner,from,to\n\
電子カルテ,allowed,医師,医師,,,,\n\
電子カルテ,admin_role,,root,,,,\n\
電子カルテ,owner,,,root,山田,,\n\
電子カルテ,maintenance_window,,,v1,,2026-01-01,2026-01-01\n";
    let p = parse_access_policy("policy.csv", text.as_bytes()).expect("english");
    let kinds: Vec<PolicyKind> = p.rows.iter().map(|r| r.row.entry.kind()).collect();
    assert_eq!(kinds, PolicyKind::ALL);
}

#[test]
fn each_mistake_names_line_and_column() {
    let text = "システム名,区分,職種,権限,アカウントID,責任者,開始日,終了日,備考\r\n\
電子カルテ,許可,医師,,,,,,\r\n\
電子カルテ,管理者権限,医師,システム管理者,,,,,\r\n\
電子カルテ,責任者,,,admin,,,,\r\n\
電子カルテ,保守期間,,,vendor01,,2026-11-05,2026-11-01,\r\n\
電子カルテ,保守期間,,,vendor01,,2026-11-05,,\r\n\
電子カルテ,権限付与,医師,医師,,,,,\r\n\
,許可,医師,医師,,,,,\r\n\
電子カルテ,許可,医師,医師,,,,,\r\n\
電子カルテ,許可,医師,医師,,,,,\r\n\
電子カルテ,保守期間,,,vendor01,,2026-13-01,2026-11-01,\r\n";
    let ps = problems(parse_access_policy("policy.csv", text.as_bytes()));
    let shown: Vec<String> = ps.iter().map(ToString::to_string).collect();
    let expect = [
        "policy.csv 2行目 『権限』: 区分「許可」では権限が必要です",
        "policy.csv 3行目 『職種』: 区分「管理者権限」では職種は使いません（空欄にしてください）",
        "policy.csv 4行目 『責任者』: 区分「責任者」では責任者が必要です",
        "policy.csv 5行目 『終了日』: 終了日（2026-11-01）が開始日（2026-11-05）より前です",
        "policy.csv 6行目 『終了日』: 区分「保守期間」では終了日が必要です",
        "policy.csv 7行目 『区分』: 区分『権限付与』は 許可／管理者権限／責任者／保守期間 のいずれかで入力してください",
        "policy.csv 8行目 『システム名』: 必須の項目『システム名』が空です",
        "policy.csv 10行目 『権限』: システム『電子カルテ』の許可『医師』→『医師』が重複しています（9行目と同じ）",
    ];
    for e in expect {
        assert!(shown.iter().any(|s| s == e), "missing {e}\nin {shown:#?}");
    }
    let bad_date = ps
        .iter()
        .find(|p| p.line == Some(11))
        .unwrap_or_else(|| panic!("line 11: {shown:#?}"));
    assert_eq!(bad_date.column.as_deref(), Some("開始日"));
    assert_eq!(bad_date.value.as_deref(), Some("2026-13-01"));
    assert!(bad_date.reason.contains("日付『2026-13-01』を読めません"));
    assert_eq!(ps.len(), expect.len() + 1, "{shown:#?}");

    // A column the 区分 needs but the file lacks is named too.
    let text = "システム名,区分,権限\r\n電子カルテ,許可,医師\r\n";
    let shown: Vec<String> = problems(parse_access_policy("p.csv", text.as_bytes()))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        vec!["p.csv 2行目 『職種』: 区分「許可」では職種が必要です"]
    );

    // xlsx problems name the sheet, row and column letter.
    let ps = problems(parse_access_policy(
        "policy.xlsx",
        &xlsx(
            "権限",
            &[
                &["システム名", "区分", "職種", "権限"],
                &["電子カルテ", "許可", "医師", "医師"],
                &["電子カルテ", "許可", "看護師", ""],
            ],
        ),
    ));
    assert_eq!(
        ps.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec!["policy.xlsx シート『権限』 3行目 D列: 区分「許可」では権限が必要です"]
    );

    // Without 区分 the file is refused as a whole.
    let ps = problems(parse_access_policy(
        "p.csv",
        "システム名,職種,権限\r\n電子カルテ,医師,医師\r\n".as_bytes(),
    ));
    assert!(
        ps[0].reason.contains("必須の列がありません: 区分（kind）"),
        "{ps:?}"
    );
}
