//! The ledger end to end through the real `anzen` binary, on SQLite and PostgreSQL:
//! `anzen verify` names each kind of damage done to the database, detects a fork against an
//! auditor's witness checkpoint, and a writer killed at random moments never loses an
//! acknowledged batch nor leaves a partial one.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anzen_store::{Value, params, testing};

mod datadir;
use datadir::{BIN, DataDir as Ledger};

impl Ledger {
    fn append(&self, batches: u64, batch_size: u64) {
        let (code, out) = self.run(&[
            "ledger",
            "stress-append",
            "--batches",
            &batches.to_string(),
            "--batch-size",
            &batch_size.to_string(),
        ]);
        assert_eq!(code, 0, "{out}");
    }

    fn sql(&self, sql: &str, params: &[Value]) {
        let mut c = self.store().conn().expect("conn");
        c.execute(sql, params).expect("damage sql");
    }

    fn entry(&self, idx: i64) -> Vec<u8> {
        let mut c = self.store().conn().expect("conn");
        c.query_one(
            "SELECT entry FROM ledger_entries WHERE idx = $1",
            params![idx],
        )
        .expect("entry")
        .bytes(0)
        .expect("bytes")
    }
}

fn each_backend(mut f: impl FnMut(&str, Ledger)) {
    for db in testing::all() {
        let b = db.backend;
        f(b, Ledger::init(db, "台帳テスト病院"));
    }
}

/// A fresh ledger with 2 (init) + 5×100 entries, all under a signed checkpoint.
fn filled(db: testing::TestDb) -> Ledger {
    let l = Ledger::init(db, "台帳テスト病院");
    l.append(5, 100);
    let (code, out) = l.run(&["ledger", "checkpoint"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = l.run(&["verify"]);
    assert_eq!(code, 0, "intact ledger must verify: {out}");
    l
}

fn assert_damage(b: &str, l: &Ledger, expect: &[&str]) {
    let (code, out) = l.run(&["verify"]);
    assert_eq!(code, 1, "{b}: verify must fail:\n{out}");
    for e in expect {
        assert!(out.contains(e), "{b}: expected {e:?} in:\n{out}");
    }
}

#[test]
fn verify_names_each_kind_of_damage() {
    for kind in [
        "modified",
        "deleted",
        "inserted",
        "reordered",
        "truncated",
        "bad signature",
    ] {
        for db in testing::all() {
            let b = db.backend;
            let l = filled(db);
            match kind {
                "modified" => {
                    let mut e = l.entry(100);
                    let last = e.len() - 2;
                    e[last] ^= 0x01; // inside the JSON payload
                    l.sql(
                        "UPDATE ledger_entries SET entry = $1 WHERE idx = 100",
                        params![e],
                    );
                    assert_damage(b, &l, &["entry 100: modified"]);
                }
                "deleted" => {
                    l.sql("DELETE FROM ledger_entries WHERE idx = 200", params![]);
                    assert_damage(b, &l, &["entry 200: deleted"]);
                }
                "inserted" => {
                    let e = l.entry(301);
                    l.sql("INSERT INTO ledger_entries (org_id, idx, entry) SELECT org_id, 502, $1 FROM ledger_heads", params![e]);
                    assert_damage(b, &l, &["entry 502: inserted"]);
                }
                "reordered" => {
                    let (a, c) = (l.entry(300), l.entry(301));
                    l.sql(
                        "UPDATE ledger_entries SET entry = $1 WHERE idx = 300",
                        params![c],
                    );
                    l.sql(
                        "UPDATE ledger_entries SET entry = $1 WHERE idx = 301",
                        params![a],
                    );
                    assert_damage(b, &l, &["reordered"]);
                    let (_, out) = l.run(&["verify"]);
                    assert!(
                        out.contains("entry 300") || out.contains("entry 301"),
                        "{b}: {out}"
                    );
                }
                "truncated" => {
                    l.sql("DELETE FROM ledger_entries WHERE idx >= 400", params![]);
                    assert_damage(b, &l, &["truncated"]);
                }
                "bad signature" => {
                    let mut c = l.store().conn().expect("conn");
                    let note = c
                        .query_one(
                            "SELECT note FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1",
                            params![],
                        )
                        .expect("note")
                        .string(0)
                        .expect("text");
                    // Change the signed size: the signature no longer matches the body.
                    let forged = note.replacen("\n502\n", "\n501\n", 1);
                    assert_ne!(
                        forged, note,
                        "{b}: the latest checkpoint covers 502 entries"
                    );
                    c.execute(
                        "UPDATE ledger_checkpoints SET note = $1 WHERE note = $2",
                        params![forged, note],
                    )
                    .expect("forge");
                    assert_damage(b, &l, &["bad signature"]);
                }
                _ => unreachable!(),
            }
        }
    }
}

#[test]
fn verify_detects_a_fork_against_the_auditors_witness() {
    each_backend(|b, l| {
        l.append(3, 50);
        let out = Command::new(BIN)
            .args(["ledger", "checkpoint", "--data"])
            .arg(l.path())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let witness = String::from_utf8(out.stdout).expect("utf-8 checkpoint");
        let wfile = l.dir.path().join("witness.txt");
        std::fs::write(&wfile, &witness).expect("witness");
        let (code, out) = l.run(&["verify", "--against", wfile.to_str().expect("path")]);
        assert_eq!(code, 0, "{b}: consistent with the witness: {out}");

        // Someone holding the server and its key rewrites history and re-signs it.
        for t in ["ledger_entries", "ledger_nodes", "ledger_checkpoints"] {
            l.sql(&format!("DELETE FROM {t}"), params![]);
        }
        l.sql("UPDATE ledger_heads SET size = 0, frontier = $1, last_leaf = $2, checkpointed_size = 0", params![anzen_ledger::Frontier::new().to_bytes(), vec![0u8; 32]]);
        l.append(4, 40);
        let (code, out) = l.run(&["ledger", "checkpoint"]);
        assert_eq!(code, 0, "{out}");
        let (code, out) = l.run(&["verify"]);
        assert_eq!(
            code, 0,
            "{b}: the rewritten ledger is self-consistent: {out}"
        );
        let (code, out) = l.run(&["verify", "--against", wfile.to_str().expect("path")]);
        assert_eq!(code, 1, "{b}: {out}");
        assert!(out.contains("fork"), "{b}: expected a fork: {out}");
    });
}

/// A tiny deterministic generator (no dependency needed for test timing jitter).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn killed_writer_never_loses_acknowledged_batches() {
    // Above the pipelining threshold (256): the two-thread append path is the one killed.
    const BATCH: u64 = 260;
    const ROUNDS: usize = 50;
    each_backend(|b, l| {
        let mut rng = Lcg(std::process::id() as u64 ^ 0x5eed);
        let base = 2; // entries written by init
        let mut acked_end = base;
        for round in 0..ROUNDS {
            let mut child = Command::new(BIN)
                .args([
                    "ledger",
                    "stress-append",
                    "--batches",
                    "1000000",
                    "--batch-size",
                    &BATCH.to_string(),
                    "--data",
                ])
                .arg(l.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn writer");
            let stdout = child.stdout.take().expect("stdout");
            let (tx, rx) = std::sync::mpsc::channel();
            let reader = std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            // Let it start and write for a random while, then SIGKILL it mid-flight.
            let deadline = Instant::now() + Duration::from_millis(30 + rng.next(250));
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            let _ = reader.join();
            for line in rx.try_iter() {
                let end: u64 = line
                    .split_whitespace()
                    .nth(2)
                    .and_then(|v| v.parse().ok())
                    .expect("ack line");
                acked_end = acked_end.max(end);
            }
            let mut c = l.store().conn().expect("conn");
            // Rows and head in ONE statement (one snapshot): on PostgreSQL the killed
            // writer's COMMIT may already be in its socket and complete a moment later, so
            // two separate reads can straddle that commit.
            let row = c
                .query_one(
                    "SELECT (SELECT COUNT(*) FROM ledger_entries), \
                     (SELECT COALESCE(MAX(size), 0) FROM ledger_heads)",
                    params![],
                )
                .expect("count and head");
            let count = u64::try_from(row.i64(0).expect("n")).expect("non-negative");
            let size = u64::try_from(row.i64(1).expect("size")).expect("non-negative");
            assert!(
                count >= acked_end,
                "{b} round {round}: {count} entries but {acked_end} acknowledged"
            );
            assert_eq!(
                (count - base) % BATCH,
                0,
                "{b} round {round}: a partial batch is visible ({count} entries)"
            );
            assert_eq!(size, count, "{b} round {round}: head and rows disagree");
            acked_end = count;
            if round % 10 == 9 || round == ROUNDS - 1 {
                let (code, out) = l.run(&["verify"]);
                assert_eq!(code, 0, "{b} round {round}: {out}");
            }
        }
        assert!(
            acked_end > base,
            "{b}: the writer never got to acknowledge anything"
        );
    });
}

#[test]
fn a_proof_verifies_offline_and_a_tampered_one_does_not() {
    each_backend(|b, l| {
        l.append(3, 100);
        let (code, out) = l.run(&["ledger", "checkpoint"]);
        assert_eq!(code, 0, "{out}");
        let stdout = |args: &[&str]| {
            let o = Command::new(BIN)
                .args(args)
                .arg("--data")
                .arg(l.path())
                .output()
                .expect("run");
            assert!(
                o.status.success(),
                "{b}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            String::from_utf8(o.stdout).expect("utf-8")
        };
        let key = stdout(&["ledger", "public-key"]).trim().to_owned();
        let proof = stdout(&["ledger", "prove", "--index", "257"]);
        let file = l.dir.path().join("proof.json");
        std::fs::write(&file, &proof).expect("write");
        let verify = |file: &std::path::Path| {
            Command::new(BIN)
                .args(["ledger", "verify-proof"])
                .arg(file)
                .args(["--key", &key])
                .output()
                .expect("run")
        };
        let ok = verify(&file);
        assert!(
            ok.status.success(),
            "{b}: {}",
            String::from_utf8_lossy(&ok.stdout)
        );
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("OK: entry 257"),
            "{b}"
        );

        let tampered = l.dir.path().join("tampered.json");
        std::fs::write(&tampered, proof.replace("\"index\": 257", "\"index\": 258"))
            .expect("write");
        let bad = verify(&tampered);
        assert_eq!(
            bad.status.code(),
            Some(1),
            "{b}: {}",
            String::from_utf8_lossy(&bad.stdout)
        );
        assert!(
            String::from_utf8_lossy(&bad.stdout).contains("FAILED"),
            "{b}"
        );
    });
}
