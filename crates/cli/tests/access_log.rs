//! The access-log commands through the real binary, on SQLite and PostgreSQL: `import
//! access-log` (gzip'd CP932 CSV and JSON Lines; malformed lines quarantined; the same file
//! refused), `watch --once` (each file once, also after a restart), `access-log search`
//! (recorded in the audit trail), and `verify` (passes, then names a tampered event).

use std::io::Write;

use anzen_store::{params, testing};

mod datadir;
use datadir::DataDir;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn import_watch_search_and_verify_from_the_command_line() {
    for db in testing::all() {
        let be = db.backend;
        let d = DataDir::init(db, "ログテスト病院");
        let work = d.dir.path();

        // CP932 CSV, gzip'd, with one malformed line.
        let csv = "日時,システム,アカウントID,患者ID,操作,結果\r\n\
                   2025-04-01 09:00:00,電子カルテ,tanaka,P001,参照,成功\r\n\
                   2025-04-01 09:05:00,電子カルテ,tanaka,P001,覗き見,成功\r\n\
                   2025-04-01 09:10:00,電子カルテ,suzuki,P002,更新,成功\r\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(csv);
        let f1 = work.join("2025-04.csv.gz");
        std::fs::write(&f1, gzip(&sjis)).expect("write");
        let (code, out) = d.run(&["import", "access-log", f1.to_str().expect("p")]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(
            out.contains("imported 2 events") && out.contains("quarantined 1"),
            "[{be}] {out}"
        );
        let (code, out) = d.run(&["import", "access-log", f1.to_str().expect("p")]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("skipped"), "[{be}] {out}");
        let (code, out) = d.run(&["access-log", "quarantine"]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(
            out.contains("\"line\":3") && out.contains("操作"),
            "[{be}] {out}"
        );

        // A watched directory: files picked up once, even by a new process.
        let inbox = work.join("inbox");
        std::fs::create_dir(&inbox).expect("mkdir");
        std::fs::write(
            inbox.join("a.jsonl"),
            "{\"time\":\"2025-04-02 10:00:00\",\"system\":\"PACS\",\"user\":\"sato\",\"patient\":\"P001\",\"action\":\"view\"}\n\
             {\"time\":\"2025-04-02 10:01:00\",\"system\":\"PACS\",\"user\":\"sato\",\"patient\":\"P003\",\"action\":\"print\"}\n",
        )
        .expect("write");
        std::fs::write(inbox.join("no-header.csv"), "this is not a log\n").expect("write");
        let watch = [
            "watch",
            inbox.to_str().expect("p"),
            "--once",
            "--settle",
            "0",
        ];
        let (code, out) = d.run(&watch);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("a.jsonl: imported 2 events"), "[{be}] {out}");
        let (code, out) = d.run(&watch);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(!out.contains("imported"), "[{be}] second pass: {out}");
        // The refused file is in the quarantine, not only in the log.
        let (_, out) = d.run(&["access-log", "quarantine"]);
        assert!(out.contains("no-header.csv"), "[{be}] {out}");

        // Who looked at P001?
        let (code, out) = d.run(&["access-log", "search", "--patient", "P001"]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("2 of 2 events"), "[{be}] {out}");
        let first = out.lines().next().expect("a line");
        assert!(first.contains("sato"), "[{be}] newest first: {out}");
        let (code, out) = d.run(&[
            "access-log",
            "search",
            "--user",
            "tanaka",
            "--from",
            "2025-04-01",
            "--to",
            "2025-04-02",
        ]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(out.contains("1 of 1 events"), "[{be}] {out}");

        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 0, "[{be}] {out}");
        assert!(
            out.contains("access log") && out.contains("OK: 4 events"),
            "[{be}] {out}"
        );

        // The searches are in the audit trail.
        let store = d.store();
        let org = store
            .read(anzen_store::orgs::all)
            .expect("orgs")
            .pop()
            .expect("org");
        let searches = store
            .read(|c| {
                anzen_store::ledger::list(
                    c,
                    org.id,
                    &anzen_store::ledger::EntryQuery {
                        kind_prefix: Some("access_log.search".into()),
                        ..Default::default()
                    },
                )
            })
            .expect("ledger");
        assert_eq!(searches.len(), 2, "[{be}]");

        // Someone edits an event in the database: verify fails and names it.
        let rows = store
            .read(|c| {
                c.query(
                    "SELECT ev FROM access_events WHERE id = $1",
                    params![anzen_accesslog::engine::event_id(org.id, 1)],
                )
            })
            .expect("row");
        let mut ev = rows[0].bytes(0).expect("bytes");
        let at = ev
            .windows(6)
            .position(|w| w == b"suzuki")
            .expect("user in bytes");
        ev[at..at + 6].copy_from_slice(b"tanaka");
        store
            .write(|c| {
                c.execute(
                    "UPDATE access_events SET ev = $2 WHERE id = $1",
                    params![anzen_accesslog::engine::event_id(org.id, 1), ev],
                )
            })
            .expect("tamper");
        let (code, out) = d.run(&["verify"]);
        assert_eq!(code, 1, "[{be}] {out}");
        assert!(
            out.contains("access log") && out.contains("FAILED") && out.contains("#0..#1"),
            "[{be}] {out}"
        );
    }
}
