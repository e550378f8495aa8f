mod common;

use anzen_ingest::*;
use common::{cp932, gzip, xlsx};

fn us(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>()
        .expect("timestamp")
        .as_microsecond()
}

const JSONL: &str = r#"{"time":"2025-04-01T09:30:00+09:00","system":"電子カルテ","user":"tanaka","patient":"P001","action":"view","result":"success","terminal":"PC-05"}
{"日時":"2025-04-01 09:31","システム":"電子カルテ","アカウントID":"tanaka","操作":"ログイン失敗","結果":"失敗"}

{"time":"2025-04-01T00:32:00Z","system":"PACS","user":"sato","action":"export","extra":1}
{"time":"not a time","system":"PACS","user":"sato","action":"view"}
{"time":"2025/04/01 09:33:15.5","system":"PACS","user":"sato","action":"印刷"}
"#;

const CSV: &str = "日時,システム,アカウントID,患者ID,操作,結果,端末,詳細\r\n\
2025-04-01 09:30:00,電子カルテ,tanaka,P001,参照,成功,PC-05,\"診療録を参照\r\n2ページ\"\r\n\
R7.4.1 09:31,電子カルテ,tanaka,,ログアウト,,,\r\n\
2025-04-01 09:32,電子カルテ,tanaka,,ぶらうず,,,\r\n\
2025-04-01T09:33:00+09:00,電子カルテ,,,delete,,,\r\n\
2025-04-01 09:34,電子カルテ,suzuki,,update,success,,\r\n";

#[test]
fn streams_gzipped_json_lines_with_a_bad_line() {
    let gz = gzip(JSONL.as_bytes());
    let mut reader = AccessLogReader::new("access.jsonl.gz", gz.as_slice()).expect("open");
    assert_eq!(reader.source().format, Format::JsonLines);
    assert!(reader.source().gzip);
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(ev) => good.push(ev),
            Err(p) => bad.push(p),
        }
    }
    assert_eq!(good.len(), 4);
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert_eq!(bad[0].line, Some(5));
    assert_eq!(bad[0].column.as_deref(), Some("time"));
    assert!(
        bad[0].reason.starts_with("日時『not a time』を読めません"),
        "{}",
        bad[0]
    );

    let (line, e) = &good[0];
    assert_eq!(*line, 1);
    assert_eq!(e.time_us, us("2025-04-01T00:30:00Z"));
    assert_eq!(e.action, AccessAction::View);
    assert_eq!(e.result, Some(AccessResult::Success));
    assert_eq!(e.patient.as_deref(), Some("P001"));
    let (line, e) = &good[1];
    assert_eq!(*line, 2);
    // No offset: JST.
    assert_eq!(e.time_us, us("2025-04-01T00:31:00Z"));
    assert_eq!(e.action, AccessAction::LoginFailed);
    assert_eq!(e.result, Some(AccessResult::Failure));
    assert_eq!(good[2].0, 4);
    assert_eq!(good[2].1.action, AccessAction::Export);
    assert_eq!(good[3].1.time_us, us("2025-04-01T00:33:15.5Z"));
    assert_eq!(good[3].1.action, AccessAction::Print);
    // The unknown key is a warning, reported once.
    assert_eq!(reader.warnings().len(), 1);
    assert_eq!(reader.warnings()[0].column.as_deref(), Some("extra"));
    assert_eq!(reader.bytes_read(), gz.len() as u64);

    // All or nothing refuses the same file and names the line.
    let ps = parse_access_log("access.jsonl.gz", &gz).expect_err("refused");
    assert_eq!(ps.len(), 1);
    assert_eq!(
        ps[0].to_string(),
        "access.jsonl.gz 5行目 『time』: 日時『not a time』を読めません（例: 2025-04-01 09:30:00、2025-04-01T09:30:00+09:00）"
    );
}

#[test]
fn streams_csv_with_bad_lines_counted() {
    for (name, bytes) in [
        ("log.csv", CSV.as_bytes().to_vec()),
        ("log.csv.gz", gzip(&cp932(CSV))),
    ] {
        let reader = AccessLogReader::new(name, bytes.as_slice()).expect("open");
        let items: Vec<_> = reader.collect();
        let good: Vec<_> = items.iter().filter_map(|r| r.as_ref().ok()).collect();
        let bad: Vec<_> = items.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(good.len(), 3, "{name}");
        assert_eq!(bad.len(), 2, "{name}: {bad:#?}");
        // The quoted detail spans lines 2–3, so the next record is on line 4.
        assert_eq!(good[0].0, 2);
        assert_eq!(good[0].1.detail.as_deref(), Some("診療録を参照\r\n2ページ"));
        assert_eq!(good[1].0, 4);
        assert_eq!(good[1].1.time_us, us("2025-04-01T00:31:00Z"));
        assert_eq!(good[1].1.action, AccessAction::Logout);
        assert_eq!(good[2].0, 7);
        assert_eq!(bad[0].line, Some(5));
        assert_eq!(bad[0].column.as_deref(), Some("操作"));
        assert!(
            bad[0].reason.contains("ログイン／ログイン失敗／ログアウト"),
            "{}",
            bad[0]
        );
        assert_eq!(bad[1].line, Some(6));
        assert_eq!(bad[1].reason, "必須の項目『アカウントID』が空です");
    }
}

#[test]
fn missing_columns_refuse_the_stream() {
    let Err(ps) = AccessLogReader::new(
        "log.csv",
        "日時,システム\n2025-04-01 09:00,EMR\n".as_bytes(),
    ) else {
        panic!("expected refusal")
    };
    assert!(ps[0].reason.contains("アカウントID（user）"), "{}", ps[0]);
    assert!(ps[0].reason.contains("操作（action）"), "{}", ps[0]);
}

#[test]
fn access_log_from_xlsx() {
    let bytes = xlsx(
        "log",
        &[
            &["time", "system", "user", "action"],
            &["2025-04-01 09:30:00", "EMR", "tanaka", "login"],
        ],
    );
    let p = parse_access_log("log.xlsx", &bytes).expect("xlsx");
    assert_eq!(p.rows[0].line, 2);
    assert_eq!(p.rows[0].row.time_us, us("2025-04-01T00:30:00Z"));
}
