//! The ledger on both backends: appends, proofs against signed checkpoints, listing, and
//! verification of an intact log.

use std::sync::Arc;
use std::time::Duration;

use anzen_core::OrgKind;
use anzen_ledger::{Checkpoint, SigningKey, leaf_hash, verify_consistency, verify_inclusion};
use anzen_store::ledger::{self, Checkpointer, EntryQuery, NewEntry};
use anzen_store::orgs::{self, OrgProfile};
use anzen_store::testing;

fn entry(i: usize) -> NewEntry {
    NewEntry {
        time_us: 1_700_000_000_000_000 + i as i64,
        author: if i.is_multiple_of(2) {
            "a@example.jp".into()
        } else {
            "b@example.jp".into()
        },
        kind: if i.is_multiple_of(3) {
            "auth.login".into()
        } else {
            "org.update".into()
        },
        payload: format!("{{\"i\":{i}}}").into_bytes(),
    }
}

fn checkpointer() -> Checkpointer {
    Checkpointer {
        key: Arc::new(SigningKey::from_seed("anzen-test", &[7u8; 32]).expect("key")),
        origin_prefix: "anzen.test".into(),
        every_entries: 100,
        every: Duration::from_secs(3600),
    }
}

#[test]
fn appends_prove_and_verify_on_every_backend() {
    for db in testing::all() {
        let b = db.backend;
        let store = &db.store;
        let org = store
            .write(|c| orgs::create(c, &OrgProfile::new("台帳テスト病院", OrgKind::Hospital)))
            .expect("org");
        let other = store
            .write(|c| orgs::create(c, &OrgProfile::new("別の施設", OrgKind::Clinic)))
            .expect("org");
        let cp = checkpointer();
        // 700 entries in uneven batches so that level-8 nodes (every 256) are written.
        let mut next = 0usize;
        let mut notes = Vec::new();
        for batch in [1usize, 255, 1, 300, 143] {
            let entries: Vec<NewEntry> = (next..next + batch).map(entry).collect();
            let r = ledger::append_batch(store, &org, &entries).expect("append");
            assert_eq!(r, next as u64..(next + batch) as u64, "{b}");
            next += batch;
            if let Some(n) = store
                .write(|c| cp.checkpoint(c, &org, true))
                .expect("checkpoint")
            {
                notes.push(n);
            }
        }
        ledger::append_batch(store, &other, &[entry(0)]).expect("other org");
        let mut c = store.conn().expect("conn");
        assert_eq!(ledger::size(&mut c, org.id).expect("size"), 700, "{b}");
        assert_eq!(
            ledger::size(&mut c, other.id).expect("size"),
            1,
            "{b}: ledgers are per organisation"
        );
        assert_eq!(
            ledger::checkpoints(&mut c, org.id).expect("cps"),
            notes,
            "{b}"
        );

        let vk = cp.key.verifier_key();
        let first = Checkpoint::open(&notes[1], &vk).expect("signed");
        let last = Checkpoint::open(notes.last().expect("note"), &vk).expect("signed");
        assert_eq!(last.size, 700, "{b}");
        assert_eq!(last.origin, format!("anzen.test/{}", org.uid), "{b}");
        for index in [0u64, 1, 255, 256, 511, 557, 699] {
            let proof = ledger::inclusion_proof(&mut c, org.id, index, last.size).expect("proof");
            let bytes = &ledger::entry_bytes(&mut c, org.id, index, index + 1).expect("entry")[0].1;
            verify_inclusion(&leaf_hash(bytes), index, last.size, &proof, &last.root)
                .unwrap_or_else(|e| panic!("{b}: inclusion of {index}: {e}"));
        }
        let proof =
            ledger::consistency_proof(&mut c, org.id, first.size, last.size).expect("proof");
        verify_consistency(first.size, last.size, &first.root, &last.root, &proof)
            .expect("consistent");

        let report = ledger::verify(&mut c, &org, &vk, None).expect("verify");
        assert!(report.is_ok(), "{b}: {:?}", report.damages);
        assert_eq!(report.entries_checked, 700, "{b}");

        let logins = ledger::list(
            &mut c,
            org.id,
            &EntryQuery {
                kind_prefix: Some("auth.".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .expect("list");
        assert_eq!(logins.len(), 10, "{b}");
        assert_eq!(logins[0].index, 699, "{b}: newest first");
        assert!(logins.iter().all(|e| e.kind == "auth.login"), "{b}");
        let by_b = ledger::list(
            &mut c,
            org.id,
            &EntryQuery {
                author: Some("b@example.jp".into()),
                ..Default::default()
            },
        )
        .expect("list");
        assert_eq!(by_b.len(), 350, "{b}");
    }
}

#[test]
fn checkpoints_are_written_when_due_only() {
    for db in testing::all() {
        let b = db.backend;
        let store = &db.store;
        let org = store
            .write(|c| orgs::create(c, &OrgProfile::new("チェックポイント", OrgKind::Clinic)))
            .expect("org");
        let cp = checkpointer();
        ledger::append_batch(store, &org, &(0..99).map(entry).collect::<Vec<_>>()).expect("append");
        // First checkpoint: `checkpointed_at` is 0, so the time rule makes it due at once.
        assert!(
            store
                .write(|c| cp.checkpoint(c, &org, false))
                .expect("cp")
                .is_some(),
            "{b}"
        );
        ledger::append_batch(store, &org, &(0..99).map(entry).collect::<Vec<_>>()).expect("append");
        assert!(
            store
                .write(|c| cp.checkpoint(c, &org, false))
                .expect("cp")
                .is_none(),
            "{b}: 99 < 100 and not yet an hour"
        );
        ledger::append_batch(store, &org, &[entry(1)]).expect("append");
        assert!(
            store
                .write(|c| cp.checkpoint(c, &org, false))
                .expect("cp")
                .is_some(),
            "{b}: 100 pending"
        );
        assert!(
            store
                .write(|c| cp.checkpoint(c, &org, true))
                .expect("cp")
                .is_none(),
            "{b}: nothing new to sign"
        );
        let n = cp.checkpoint_all(store, true).expect("all");
        assert_eq!(n, 0, "{b}");
    }
}
