//! The full-log verifier names each kind of damage on crafted logs.
#![allow(clippy::unwrap_used)]

use anzen_ledger::{
    Checkpoint, DamageKind, Entry, Frontier, Hash, Params, Report, SigningKey, leaf_hash,
    note_hash, verify_log,
};

const ORIGIN: &str = "anzen.test/ledger/org-1";

struct Log {
    rows: Vec<(u64, Vec<u8>)>,
    checkpoints: Vec<String>,
    head: (u64, Hash),
    /// Root after each size (index = size).
    roots: Vec<Hash>,
}

fn key() -> SigningKey {
    SigningKey::from_seed("anzen.test", &[42; 32]).unwrap()
}

fn entry(seq: u64, prev: Hash, variant: &str) -> Entry {
    Entry {
        seq,
        prev,
        time_us: 1_700_000_000_000_000 + seq as i64,
        org: "org-1".into(),
        author: format!("user-{}", seq % 7),
        kind: "test.event".into(),
        payload: format!(r#"{{"n":{seq},"v":"{variant}"}}"#).into_bytes(),
    }
}

/// A log of `n` entries with a checkpoint every `every` entries and one at the end.
/// `variant(seq)` lets a test build a consistently rewritten history.
fn build_with(n: u64, every: u64, key: &SigningKey, variant: impl Fn(u64) -> String) -> Log {
    let mut rows = Vec::new();
    let mut f = Frontier::new();
    let mut roots = vec![f.root()];
    let mut prev = Hash::ZERO;
    let mut checkpoints: Vec<String> = Vec::new();
    for seq in 0..n {
        let bytes = entry(seq, prev, &variant(seq)).encode();
        prev = leaf_hash(&bytes);
        f.push_leaf(prev);
        roots.push(f.root());
        rows.push((seq, bytes));
        if f.size().is_multiple_of(every) || seq + 1 == n {
            let cp = Checkpoint {
                origin: ORIGIN.into(),
                size: f.size(),
                root: f.root(),
                prev: checkpoints.last().map(|t| note_hash(t)),
                time_unix: 1_700_000_000 + seq as i64,
            };
            checkpoints.push(cp.sign(key));
        }
    }
    Log {
        rows,
        checkpoints,
        head: (f.size(), f.root()),
        roots,
    }
}

fn build(n: u64) -> Log {
    build_with(n, 10, &key(), |_| "a".into())
}

fn run(log: &Log, witness: Option<&str>) -> Report {
    let vk = key().verifier_key();
    let mut p = Params::new(ORIGIN, &vk, &log.checkpoints);
    p.head = Some(log.head);
    p.witness = witness;
    p.threads = 2;
    verify_log(&p, log.rows.iter().map(|(i, b)| (*i, b.as_slice())))
}

/// Asserts that the report holds exactly the given (index, kind) damages.
#[track_caller]
fn expect(report: &Report, want: &[(Option<u64>, DamageKind)]) {
    let got: Vec<(Option<u64>, DamageKind)> =
        report.damages.iter().map(|d| (d.index, d.kind)).collect();
    assert_eq!(
        got,
        want,
        "damages:\n{}",
        report
            .damages
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn renumber(log: &mut Log) {
    for (i, r) in log.rows.iter_mut().enumerate() {
        r.0 = i as u64;
    }
}

fn with_payload(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Entry::decode(bytes).unwrap();
    e.payload = payload.to_vec();
    e.encode()
}

#[test]
fn clean_log_verifies() {
    let log = build(100);
    let r = run(&log, Some(&log.checkpoints[4]));
    expect(&r, &[]);
    assert!(r.is_ok());
    assert_eq!(r.entries_checked, 100);
    assert_eq!(r.checkpoints_checked, 11);
    assert_eq!(r.tree_size, 100);
    assert_eq!(r.root, log.head.1);
    assert_eq!(r.signed_size, 100);
    // Unsigned entries after the last checkpoint are fine when no head is given.
    let mut short = build(100);
    short.checkpoints.truncate(9);
    let vk = key().verifier_key();
    let p = Params::new(ORIGIN, &vk, &short.checkpoints);
    let r = verify_log(&p, short.rows.iter().map(|(i, b)| (*i, b.clone())));
    expect(&r, &[]);
    assert_eq!(r.signed_size, 90);
    // Empty log.
    let empty = build(0);
    expect(&run(&empty, None), &[]);
}

#[test]
fn modified_entry_is_named() {
    let mut log = build(100);
    log.rows[37].1 = with_payload(&log.rows[37].1, br#"{"n":37,"v":"forged"}"#);
    expect(&run(&log, None), &[(Some(37), DamageKind::Modified)]);
}

#[test]
fn modified_last_entry_is_named_from_the_root() {
    let mut log = build(100);
    log.rows[99].1 = with_payload(&log.rows[99].1, b"{}");
    expect(&run(&log, None), &[(Some(99), DamageKind::Modified)]);
}

#[test]
fn modified_prev_field_is_named() {
    let mut log = build(100);
    let mut e = Entry::decode(&log.rows[50].1).unwrap();
    e.prev = leaf_hash(b"x");
    log.rows[50].1 = e.encode();
    expect(&run(&log, None), &[(Some(50), DamageKind::Modified)]);
}

#[test]
fn modified_first_entry_is_named() {
    let mut log = build(100);
    let mut e = Entry::decode(&log.rows[0].1).unwrap();
    e.author = "mallory".into();
    log.rows[0].1 = e.encode();
    expect(&run(&log, None), &[(Some(0), DamageKind::Modified)]);
}

#[test]
fn replaced_entry_is_modified() {
    let mut log = build(100);
    log.rows[30].1 = log.rows[10].1.clone();
    expect(&run(&log, None), &[(Some(30), DamageKind::Modified)]);
}

#[test]
fn undecodable_row_is_named() {
    let mut log = build(100);
    log.rows[44].1[0] = b'X';
    expect(&run(&log, None), &[(Some(44), DamageKind::Undecodable)]);
}

#[test]
fn deleted_rows_are_named() {
    // Row removed, row indices left with a gap.
    let mut log = build(100);
    log.rows.remove(40);
    expect(&run(&log, None), &[(Some(40), DamageKind::Deleted)]);
    // Row removed and later rows renumbered.
    let mut log = build(100);
    log.rows.remove(40);
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(40), DamageKind::Deleted)]);
    // A range.
    let mut log = build(100);
    log.rows.drain(40..43);
    let r = run(&log, None);
    expect(&r, &[(Some(40), DamageKind::Deleted)]);
    assert!(r.damages[0].detail.contains("40..42"), "{}", r.damages[0]);
}

#[test]
fn truncation_is_named() {
    let mut log = build(100);
    log.rows.truncate(95);
    expect(&run(&log, None), &[(Some(95), DamageKind::Truncated)]);
    // Even when the head and the checkpoints were rolled back too, the witness knows.
    let mut log = build(100);
    let witness = log.checkpoints.last().unwrap().clone();
    log.rows.truncate(95);
    log.checkpoints.truncate(9);
    log.head = (95, log.roots[95]);
    expect(
        &run(&log, Some(&witness)),
        &[(Some(95), DamageKind::Truncated)],
    );
}

#[test]
fn inserted_rows_are_named() {
    // A forged entry with a correct-looking seq and prev, later rows shifted.
    let mut log = build(100);
    let prev = leaf_hash(&log.rows[59].1);
    let forged = entry(60, prev, "forged").encode();
    log.rows.insert(60, (60, forged));
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(60), DamageKind::Inserted)]);
    // A copy of an old entry slipped in.
    let mut log = build(100);
    let copy = log.rows[5].1.clone();
    log.rows.insert(60, (60, copy));
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(60), DamageKind::Inserted)]);
    // A forged entry with an absurd seq.
    let mut log = build(100);
    let forged = entry(5000, Hash::ZERO, "forged").encode();
    log.rows.insert(60, (60, forged));
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(60), DamageKind::Inserted)]);
    // Appended beyond the head.
    let mut log = build(100);
    let prev = leaf_hash(&log.rows[99].1);
    log.rows.push((100, entry(100, prev, "late").encode()));
    expect(&run(&log, None), &[(Some(100), DamageKind::Inserted)]);
}

#[test]
fn reordered_rows_are_named() {
    // Adjacent swap.
    let mut log = build(100);
    log.rows.swap(20, 21);
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(20), DamageKind::Reordered)]);
    // Distant swap: both ends are out of order from index 20 on.
    let mut log = build(100);
    log.rows.swap(20, 25);
    renumber(&mut log);
    expect(
        &run(&log, None),
        &[
            (Some(20), DamageKind::Reordered),
            (Some(20), DamageKind::Reordered),
        ],
    );
    // One row moved to the end.
    let mut log = build(100);
    let r = log.rows.remove(10);
    log.rows.push(r);
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(10), DamageKind::Reordered)]);
    // Swap of the last two rows.
    let mut log = build(100);
    log.rows.swap(98, 99);
    renumber(&mut log);
    expect(&run(&log, None), &[(Some(98), DamageKind::Reordered)]);
}

#[test]
fn checkpoint_damage_is_named() {
    // Altered checkpoint text: bad signature, and the next one no longer links to it.
    let mut log = build(100);
    log.checkpoints[3] = log.checkpoints[3].replacen("\n40\n", "\n41\n", 1);
    expect(
        &run(&log, None),
        &[
            (None, DamageKind::BadSignature),
            (None, DamageKind::BrokenCheckpointChain),
        ],
    );
    // A checkpoint removed from the middle.
    let mut log = build(100);
    log.checkpoints.remove(3);
    expect(
        &run(&log, None),
        &[(None, DamageKind::BrokenCheckpointChain)],
    );
    // Signed by another key.
    let mut log = build(100);
    let other = SigningKey::from_seed("anzen.test", &[7; 32]).unwrap();
    let cp = Checkpoint::open(&log.checkpoints[9], &key().verifier_key()).unwrap();
    log.checkpoints[9] = cp.sign(&other);
    let kinds: Vec<DamageKind> = run(&log, None).damages.iter().map(|d| d.kind).collect();
    assert!(kinds.contains(&DamageKind::BadSignature), "{kinds:?}");
}

#[test]
fn consistent_rewrite_is_a_fork() {
    // Someone rewrote entry 30 and re-chained everything after it, keeping the old
    // checkpoints: no prev link is broken, but signed roots disagree.
    let original = build(100);
    let rewritten = build_with(100, 10, &key(), |s| {
        if s == 30 { "b".into() } else { "a".into() }
    });
    let mut log = build(100);
    log.rows = rewritten.rows.clone();
    log.head = rewritten.head;
    let r = run(&log, None);
    expect(&r, &[(None, DamageKind::Fork)]);
    assert!(r.damages[0].detail.contains("size 40"), "{}", r.damages[0]);
    // With the key stolen, the attacker re-signs all checkpoints too: only the auditor's
    // witness shows the fork.
    let witness = original.checkpoints[5].clone();
    expect(&run(&rewritten, None), &[]);
    expect(
        &run(&rewritten, Some(&witness)),
        &[(None, DamageKind::Fork)],
    );
}

#[test]
fn several_damages_at_once() {
    let mut log = build(200);
    log.rows[150].1 = with_payload(&log.rows[150].1, b"{}");
    log.rows.swap(120, 121);
    log.rows.remove(70);
    log.rows[10].1 = with_payload(&log.rows[10].1, b"{}");
    renumber(&mut log);
    expect(
        &run(&log, None),
        &[
            (Some(10), DamageKind::Modified),
            (Some(70), DamageKind::Deleted),
            (Some(120), DamageKind::Reordered),
            (Some(150), DamageKind::Modified),
        ],
    );
}

#[test]
fn batch_boundaries_and_threads() {
    // More rows than one internal batch (16384), damage right at a batch boundary.
    let mut log = build_with(40_000, 5_000, &key(), |_| "a".into());
    let clean = run(&log, None);
    expect(&clean, &[]);
    for threads in [1, 3] {
        let vk = key().verifier_key();
        let mut p = Params::new(ORIGIN, &vk, &log.checkpoints);
        p.threads = threads;
        let r = verify_log(&p, log.rows.iter().map(|(i, b)| (*i, b.as_slice())));
        assert_eq!(r, clean);
    }
    log.rows[16_383].1 = with_payload(&log.rows[16_383].1, b"{}");
    log.rows.remove(32_768);
    renumber(&mut log);
    expect(
        &run(&log, None),
        &[
            (Some(16_383), DamageKind::Modified),
            (Some(32_768), DamageKind::Deleted),
        ],
    );
}
