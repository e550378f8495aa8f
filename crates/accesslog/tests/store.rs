//! The access-log store on both backends: append, segment indexes and merges, queries
//! against a naive filter, verification (and tampering), streaming, retention, import.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anzen_accesslog::codec::STORED_FROM;
use anzen_accesslog::engine::{FANOUT, SEGMENT_EVENTS, event_id};
use anzen_accesslog::import::{self, ImportSource};
use anzen_accesslog::query::PARALLEL_MIN_SEGMENTS;
use anzen_accesslog::{
    AccessLogError, Filter, Page, append_batch, append_events, prune, search, stream, verify,
};
use anzen_core::OrgKind;
use anzen_ingest::{AccessAction, AccessEvent, AccessResult};
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::{Store, params, testing};

const ACTIONS: [AccessAction; 4] = [
    AccessAction::View,
    AccessAction::Update,
    AccessAction::Print,
    AccessAction::Login,
];

/// Deterministic events: time increases by 1 s per event from `t0` with some jitter.
fn events(n: u64, t0: i64) -> Vec<AccessEvent> {
    (0..n)
        .map(|k| {
            let x = k.wrapping_mul(2_654_435_761) % 1_000_003;
            AccessEvent {
                time_us: t0 + (k as i64) * 1_000_000 - ((x % 5) as i64) * 1_000_000,
                system: ["電子カルテ", "PACS", "レセコン"][(x % 3) as usize].to_owned(),
                user: format!("user{:03}", x % 97),
                patient: (x % 11 != 0).then(|| format!("P{:05}", x % 1009)),
                action: ACTIONS[(x % 4) as usize],
                result: Some(AccessResult::Success),
                terminal: Some(format!("PC-{}", x % 7)),
                detail: None,
            }
        })
        .collect()
}

fn org(store: &Store, name: &str) -> Org {
    store
        .write(|c| orgs::create(c, &OrgProfile::new(name, OrgKind::Hospital)))
        .unwrap()
}

const T0: i64 = 1_743_465_600_000_000; // 2025-04-01T00:00:00Z

fn naive(all: &[AccessEvent], f: &Filter) -> Vec<(u64, AccessEvent)> {
    let mut v: Vec<(u64, AccessEvent)> = all
        .iter()
        .enumerate()
        .filter(|(_, e)| f.matches(e))
        .map(|(k, e)| (k as u64, e.clone()))
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse((x.1.time_us, x.0)));
    v
}

/// A page's events as `(seq, event)`, comparable with [`naive`].
fn pairs(p: Page) -> Vec<(u64, AccessEvent)> {
    p.events.into_iter().map(|s| (s.seq, s.event)).collect()
}

/// Rows of `table` that belong to organisation `o`.
fn rows_of(store: &Store, table: &str, o: &Org) -> i64 {
    store
        .read(|c| {
            c.query_one(
                &format!("SELECT COUNT(*) FROM {table} WHERE org_id = $1"),
                params![o.id.0],
            )
        })
        .unwrap()
        .i64(0)
        .unwrap()
}

#[test]
fn queries_match_a_naive_filter_across_merged_segments() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        let other = org(store, "B医院");
        // Batches of 3,000 close a level-0 segment every second batch (6,000 events, 3,000
        // of them read back). Enough for one level-1 merge plus a few level-0 segments and
        // an open tail.
        let batch = 3000;
        assert!(batch < SEGMENT_EVENTS as usize && 2 * batch >= SEGMENT_EVENTS as usize);
        let n = 2 * batch as u64 * (FANOUT as u64 + 2) + 1234;
        let all = events(n, T0);
        for chunk in all.chunks(batch) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        // Another organisation's events never show up.
        append_batch(store, &other, "test", &events(5000, T0)).unwrap();
        let levels = store
            .read(|c| {
                c.query(
                    "SELECT level, COUNT(*) FROM access_segments WHERE org_id = $1 GROUP BY level ORDER BY level",
                    params![o.id.0],
                )
            })
            .unwrap();
        let levels: Vec<(i64, i64)> = levels
            .iter()
            .map(|r| (r.i64(0).unwrap(), r.i64(1).unwrap()))
            .collect();
        assert_eq!(levels, vec![(0, 2), (1, 1)], "{}", db.backend);
        // Posting lists span several blocks per segment, so lookups pick among blocks.
        let blocks = rows_of(store, "access_posting_blocks", &o);
        assert!(blocks > 3 * 2 * 2, "{blocks} blocks ({})", db.backend);

        let filters = [
            Filter {
                patient: Some("P00042".into()),
                ..Filter::default()
            },
            Filter {
                user: Some("user007".into()),
                ..Filter::default()
            },
            Filter {
                user: Some("user007".into()),
                system: Some("PACS".into()),
                action: Some(AccessAction::Update),
                ..Filter::default()
            },
            Filter {
                patient: Some("P00999".into()),
                from_us: Some(T0 + 20_000 * 1_000_000),
                to_us: Some(T0 + 60_000 * 1_000_000),
                ..Filter::default()
            },
            Filter {
                patient: Some("nobody".into()),
                ..Filter::default()
            },
        ];
        for f in &filters {
            let want = naive(&all, f);
            let got = store
                .read(|c| search(c, Some(store), &o, f, 0, 100_000))
                .unwrap();
            assert_eq!(got.total, Some(want.len() as u64), "{} {f:?}", db.backend);
            assert_eq!(pairs(got), want, "{} {f:?}", db.backend);
            // Paging.
            if want.len() > 10 {
                let p = store.read(|c| search(c, Some(store), &o, f, 5, 3)).unwrap();
                assert!(p.more);
                assert_eq!(p.events[0].seq, want[5].0);
            }
        }
        // Scans without patient or user: newest arrival first.
        let f = Filter {
            system: Some("レセコン".into()),
            action: Some(AccessAction::Print),
            from_us: Some(T0 + 10_000 * 1_000_000),
            to_us: Some(T0 + 12_000 * 1_000_000),
            ..Filter::default()
        };
        let mut want: Vec<u64> = naive(&all, &f).into_iter().map(|(s, _)| s).collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        let got = store
            .read(|c| search(c, Some(store), &o, &f, 0, 100_000))
            .unwrap();
        let got: Vec<u64> = got.events.iter().map(|s| s.seq).collect();
        assert_eq!(got, want, "{}", db.backend);
        assert!(!want.is_empty());

        // Streaming a time range gives exactly the events in it, in order of arrival.
        let (a, b) = (T0 + 30_000 * 1_000_000, T0 + 31_000 * 1_000_000);
        let mut seen = Vec::new();
        store
            .read(|c| {
                stream::<AccessLogError>(c, &o, a, b, |s| {
                    seen.push(s.seq);
                    Ok(true)
                })
            })
            .unwrap();
        let want: Vec<u64> = all
            .iter()
            .enumerate()
            .filter(|(_, e)| e.time_us >= a && e.time_us < b)
            .map(|(k, _)| k as u64)
            .collect();
        assert_eq!(seen, want, "{}", db.backend);

        let v = store.read(|c| verify(c, &o)).unwrap();
        assert!(v.ok(), "{}: {:?}", db.backend, v.problems);
        assert_eq!(v.events, n);
        let u = store.read(|c| anzen_accesslog::disk_usage(c, &o)).unwrap();
        assert_eq!(u.events, n, "{}", db.backend);
        assert!(u.event_bytes > n * 40 && u.posting_bytes > 0, "{u:?}");
        assert_eq!(
            store.read(|c| anzen_accesslog::event_count(c, &o)).unwrap(),
            n
        );
    }
}

#[test]
fn searches_read_through_idle_pooled_connections_and_fall_back_to_one() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        // Batches of SEGMENT_EVENTS close one level-0 segment each: 12 segments, enough
        // for the search to spread its segments over helper connections.
        let all = events(12 * SEGMENT_EVENTS + 300, T0);
        for chunk in all.chunks(SEGMENT_EVENTS as usize) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        let segments = rows_of(store, "access_segments", &o);
        assert!(segments as usize >= PARALLEL_MIN_SEGMENTS, "{}", db.backend);
        let filters = [
            Filter {
                patient: Some("P00042".into()),
                ..Filter::default()
            },
            Filter {
                user: Some("user013".into()),
                system: Some("PACS".into()),
                ..Filter::default()
            },
            Filter {
                patient: Some("P00777".into()),
                from_us: Some(T0 + 5_000 * 1_000_000),
                to_us: Some(T0 + 45_000 * 1_000_000),
                ..Filter::default()
            },
        ];
        for f in &filters {
            let want = naive(&all, f);
            assert!(!want.is_empty(), "{f:?}");
            let parallel = store
                .read(|c| search(c, Some(store), &o, f, 0, 100_000))
                .unwrap();
            if f.from_us.is_none() {
                assert!(parallel.connections > 1, "{} {f:?}", db.backend);
            }
            assert_eq!(pairs(parallel), want, "{} {f:?}", db.backend);
            let alone = store.read(|c| search(c, None, &o, f, 0, 100_000));
            let alone = alone.unwrap();
            assert_eq!(alone.connections, 1);
            assert_eq!(pairs(alone), want, "{} {f:?}", db.backend);
        }
        let f = &filters[0];
        let want = naive(&all, f);

        // No idle connection besides the caller's: it reads alone.
        let mut held = Vec::new();
        while let Some(c) = store.try_conn() {
            held.push(c);
        }
        held.pop();
        let got = store
            .read(|c| search(c, Some(store), &o, f, 0, 100_000))
            .unwrap();
        assert_eq!(got.connections, 1, "{} with a busy pool", db.backend);
        assert_eq!(pairs(got), want, "{} with a busy pool", db.backend);
        drop(held);

        // Inside a transaction that appended a segment not yet committed, the helpers see
        // another head than the caller: the caller reads alone and finds its own events.
        let more = events(SEGMENT_EVENTS + 10, T0 + 200_000 * 1_000_000);
        let mut both = all.clone();
        both.extend(more.iter().cloned());
        let got = store
            .write(|c| {
                append_events(c, &o, "test", &more)?;
                search(c, Some(store), &o, f, 0, 100_000)
            })
            .unwrap();
        let want_both = naive(&both, f);
        assert!(
            want_both.len() > want.len(),
            "the new batch has the patient"
        );
        assert_eq!(
            got.connections, 1,
            "{}: helpers saw another head",
            db.backend
        );
        assert_eq!(
            pairs(got),
            want_both,
            "{} in the appending transaction",
            db.backend
        );
    }
}

#[test]
fn searches_during_appends_and_merges_see_a_whole_prefix_of_the_log() {
    use std::sync::atomic::{AtomicU64, Ordering};
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        // 12 segments first, then 8 more closing (a level-1 merge at 16) while searching.
        let seg = SEGMENT_EVENTS as usize;
        let all = events(20 * SEGMENT_EVENTS, T0);
        for chunk in all[..12 * seg].chunks(seg) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        let committed = AtomicU64::new(12 * SEGMENT_EVENTS);
        let f = Filter {
            patient: Some("P00042".into()),
            ..Filter::default()
        };
        let want = naive(&all, &f);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for chunk in all[12 * seg..].chunks(seg) {
                    append_batch(store, &o, "test", chunk).unwrap();
                    committed.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
            let mut searches = 0;
            while searches < 5 || committed.load(Ordering::SeqCst) < 20 * SEGMENT_EVENTS {
                let before = committed.load(Ordering::SeqCst);
                // Outside a transaction: every statement sees the latest commit.
                let got = store
                    .read(|c| search(c, Some(store), &o, &f, 0, 100_000))
                    .unwrap();
                let after = committed.load(Ordering::SeqCst);
                let mut got: Vec<u64> = got.events.iter().map(|s| s.seq).collect();
                got.sort_unstable();
                // All of the log up to some point between the two reads of `committed`:
                // nothing missing in the middle (a merged-away segment), nothing extra.
                let cut = got.last().map_or(0, |s| s + 1).max(before);
                let mut expect: Vec<u64> =
                    want.iter().map(|(s, _)| *s).filter(|s| *s < cut).collect();
                expect.sort_unstable();
                assert_eq!(got, expect, "{}: {before}..{after}", db.backend);
                // (`committed` counts a batch once its append has returned.)
                assert!(cut <= after + SEGMENT_EVENTS, "{}", db.backend);
                searches += 1;
            }
        });
    }
}

#[test]
fn large_batches_close_whole_segments_and_a_dropped_index_is_rebuilt() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        let all = events(40_000, T0);
        let (big, rest) = all.split_at(30_000);
        // One batch larger than a segment closes as one segment of its own size.
        append_batch(store, &o, "test", &big[..10_000]).unwrap();
        let spans = |store: &Store| -> Vec<(i64, i64, i64)> {
            store
                .read(|c| {
                    c.query(
                        "SELECT level, first_seq, end_seq FROM access_segments WHERE org_id = $1 ORDER BY first_seq",
                        params![o.id.0],
                    )
                })
                .unwrap()
                .iter()
                .map(|r| (r.i64(0).unwrap(), r.i64(1).unwrap(), r.i64(2).unwrap()))
                .collect()
        };
        assert_eq!(spans(store), vec![(0, 0, 10_000)], "{}", db.backend);
        append_batch(store, &o, "test", &big[10_000..]).unwrap();
        // The index is dropped (as migration 0015 did): the next append, a small one,
        // rebuilds it from the stored events a segment at a time.
        store
            .write(|c| {
                c.execute(
                    "DELETE FROM access_posting_blocks WHERE org_id = $1",
                    params![o.id.0],
                )?;
                c.execute(
                    "DELETE FROM access_segments WHERE org_id = $1",
                    params![o.id.0],
                )?;
                c.execute(
                    "UPDATE access_heads SET indexed_seq = pruned_seq WHERE org_id = $1",
                    params![o.id.0],
                )
            })
            .unwrap();
        for chunk in rest.chunks(100) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        let got = spans(store);
        let covered: Vec<(i64, i64)> = got.iter().map(|s| (s.1, s.2)).collect();
        assert_eq!(covered[0].0, 0, "{}: {got:?}", db.backend);
        assert!(
            covered.windows(2).all(|w| w[0].1 == w[1].0),
            "{}: segments are contiguous: {got:?}",
            db.backend
        );
        let end = covered.last().unwrap().1 as u64;
        assert!(end + SEGMENT_EVENTS > 40_000, "{}: {got:?}", db.backend);
        for f in [
            Filter {
                patient: Some("P00042".into()),
                ..Filter::default()
            },
            Filter {
                user: Some("user011".into()),
                ..Filter::default()
            },
        ] {
            let want = naive(&all, &f);
            let got = store
                .read(|c| search(c, Some(store), &o, &f, 0, 100_000))
                .unwrap();
            assert_eq!(pairs(got), want, "{} {f:?}", db.backend);
        }
        assert!(store.read(|c| verify(c, &o)).unwrap().ok());
    }
}

#[test]
fn verification_names_changed_removed_and_added_events() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        let all = events(10_000, T0);
        for chunk in all.chunks(1000) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        assert!(store.read(|c| verify(c, &o)).unwrap().ok());
        // A changed patient id that still decodes.
        let mut e = all[1500].clone();
        e.patient = Some("P99999".into());
        let forged = anzen_accesslog::codec::encode(1500, &e)[STORED_FROM..].to_vec();
        store
            .write(|c| {
                c.execute(
                    "UPDATE access_events SET ev = $2 WHERE id = $1",
                    params![event_id(o.id, 1500), forged],
                )
            })
            .unwrap();
        let v = store.read(|c| verify(c, &o)).unwrap();
        assert!(!v.ok());
        assert!(
            v.problems.iter().any(|p| p.contains("#1000..#1999")),
            "{}: {:?}",
            db.backend,
            v.problems
        );
        // Removed.
        store
            .write(|c| {
                c.execute(
                    "DELETE FROM access_events WHERE id = $1",
                    params![event_id(o.id, 4321)],
                )
            })
            .unwrap();
        // Added beyond the committed batches.
        let extra = anzen_accesslog::codec::encode(10_000, &all[0])[STORED_FROM..].to_vec();
        store
            .write(|c| {
                c.execute(
                    "INSERT INTO access_events (id, ev) VALUES ($1, $2)",
                    params![event_id(o.id, 10_000), extra],
                )
            })
            .unwrap();
        let v = store.read(|c| verify(c, &o)).unwrap();
        let text = v.problems.join("\n");
        assert!(
            text.contains("#4321..#4320") || text.contains("#4321"),
            "{text}"
        );
        assert!(text.contains("event #10000 is not covered"), "{text}");
    }
}

#[test]
fn retention_prunes_old_batches_and_verification_still_passes() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        // 6 years ago, then recent.
        let year = 31_556_952_000_000i64;
        let now = T0 + 7 * year;
        let old = events(SEGMENT_EVENTS * 3, T0);
        let recent = events(SEGMENT_EVENTS * 2, now - year);
        for chunk in old.chunks(4096) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        for chunk in recent.chunks(4096) {
            append_batch(store, &o, "test", chunk).unwrap();
        }
        let p = store
            .write(|c| prune(c, &o, "test", now))
            .unwrap()
            .expect("something to prune");
        assert_eq!((p.first_seq, p.end_seq), (0, SEGMENT_EVENTS * 3));
        assert!(
            store
                .write(|c| prune(c, &o, "test", now))
                .unwrap()
                .is_none()
        );
        let v = store.read(|c| verify(c, &o)).unwrap();
        assert!(v.ok(), "{}: {:?}", db.backend, v.problems);
        assert_eq!(v.pruned_below, SEGMENT_EVENTS * 3);
        assert_eq!(v.events, SEGMENT_EVENTS * 2);
        // Old events are gone from searches; recent ones remain.
        let f = Filter {
            patient: Some("P00042".into()),
            ..Filter::default()
        };
        let got = store
            .read(|c| search(c, Some(store), &o, &f, 0, 10_000))
            .unwrap();
        assert!(got.events.iter().all(|s| s.seq >= SEGMENT_EVENTS * 3));
        assert_eq!(got.total, Some(naive(&recent, &f).len() as u64));
        // Tampering with a remaining event is still detected.
        store
            .write(|c| {
                c.execute(
                    "DELETE FROM access_events WHERE id = $1",
                    params![event_id(o.id, SEGMENT_EVENTS * 4)],
                )
            })
            .unwrap();
        assert!(!store.read(|c| verify(c, &o)).unwrap().ok());
    }
}

#[test]
fn import_quarantines_bad_lines_and_refuses_the_same_file_twice() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        let csv = "日時,システム,アカウントID,患者ID,操作,結果\n\
                   2025-04-01 09:00:00,電子カルテ,tanaka,P001,参照,成功\n\
                   2025-04-01 09:01:00,電子カルテ,tanaka,P001,のぞき見,成功\n\
                   not a date,電子カルテ,suzuki,P002,更新,成功\n\
                   2025-04-01 09:03:00,PACS,suzuki,P001,印刷,\n";
        let sha = import::sha256_of(csv.as_bytes()).unwrap();
        let src = ImportSource {
            file_name: "log.csv",
            sha256: &sha,
            origin: "cli",
            actor: "cli:test",
        };
        let out = import::import_reader(store, &o, src, csv.as_bytes(), &mut |_| {}).unwrap();
        assert_eq!((out.events, out.quarantined), (2, 2));
        let q = store
            .read(|c| import::quarantined(c, &o, Some(out.import_id), 0, 100))
            .unwrap();
        let mut lines: Vec<u64> = q.iter().filter_map(|q| q.line).collect();
        lines.sort_unstable();
        assert_eq!(lines, vec![3, 4]);
        assert!(q.iter().any(|q| q.reason.contains("操作")), "{q:?}");
        let again = import::import_reader(store, &o, src, csv.as_bytes(), &mut |_| {});
        assert!(
            matches!(&again, Err(AccessLogError::Input(m)) if m.contains("取り込み済み")),
            "{again:?}"
        );
        let f = Filter {
            patient: Some("P001".into()),
            ..Filter::default()
        };
        let got = store
            .read(|c| search(c, Some(store), &o, &f, 0, 10))
            .unwrap();
        assert_eq!(got.total, Some(2));
        assert_eq!(got.events[0].event.system, "PACS");
        assert!(store.read(|c| verify(c, &o)).unwrap().ok());
        // The import is in the audit trail.
        let audit = store
            .read(|c| {
                anzen_store::ledger::list(
                    c,
                    o.id,
                    &anzen_store::ledger::EntryQuery {
                        kind_prefix: Some("access_log.import".into()),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(audit.len(), 1);
    }
}

/// The import parses on a second thread: a refused file leaves nothing behind, and a file
/// larger than one hand-over chunk keeps its events in file order with every bad line
/// quarantined under its own line number.
#[test]
fn import_across_chunks_keeps_order_and_refuses_unreadable_files_whole() {
    for db in testing::all() {
        let store = &db.store;
        let o = org(store, "A病院");
        let no_user = "日時,システム,患者ID,操作\n2025-04-01 09:00:00,電子カルテ,P001,参照\n";
        let sha = import::sha256_of(no_user.as_bytes()).unwrap();
        let src = |sha| ImportSource {
            file_name: "log.csv",
            sha256: sha,
            origin: "cli",
            actor: "cli:test",
        };
        let refused = import::import_reader(store, &o, src(&sha), no_user.as_bytes(), &mut |_| {});
        assert!(
            matches!(&refused, Err(AccessLogError::Input(m)) if m.contains("アカウントID")),
            "{refused:?}"
        );
        let imports = store
            .read(|c| c.query_one("SELECT COUNT(*) FROM access_imports", params![]))
            .unwrap()
            .i64(0)
            .unwrap();
        assert_eq!(imports, 0, "a refused file leaves no import record");

        let n = import::IMPORT_BATCH * 2 + 17;
        let mut csv = String::from("日時,システム,アカウントID,患者ID,操作,結果\n");
        for k in 0..n {
            if k % 5000 == 0 {
                csv.push_str("壊れた行,電子カルテ,x,P,参照,成功\n");
            }
            csv.push_str(&format!(
                "2025-04-01 09:00:00,電子カルテ,user{k},P{k},参照,成功\n"
            ));
        }
        let sha = import::sha256_of(csv.as_bytes()).unwrap();
        let mut seen = Vec::new();
        let out =
            import::import_reader(store, &o, src(&sha), csv.as_bytes(), &mut |b| seen.push(b))
                .unwrap();
        assert_eq!(out.events, n as u64);
        assert_eq!(out.quarantined, n.div_ceil(5000) as u64);
        assert!(
            seen.len() >= 3 && seen.windows(2).all(|w| w[0] <= w[1]),
            "{seen:?}"
        );
        // Sequence numbers follow the file: user{k} is event k.
        for k in [0usize, import::IMPORT_BATCH, n - 1] {
            let f = Filter {
                user: Some(format!("user{k}")),
                ..Filter::default()
            };
            let got = store
                .read(|c| search(c, Some(store), &o, &f, 0, 10))
                .unwrap();
            assert_eq!(got.events.len(), 1);
            assert_eq!(got.events[0].seq, out.first_seq + k as u64);
        }
        let q = store
            .read(|c| import::quarantined(c, &o, Some(out.import_id), 0, 100))
            .unwrap();
        let mut lines: Vec<u64> = q.iter().filter_map(|q| q.line).collect();
        lines.sort_unstable();
        // Line 2 is the first bad line; each later one sits 5,001 lines further on.
        let want: Vec<u64> = (0..n.div_ceil(5000) as u64).map(|i| 2 + i * 5001).collect();
        assert_eq!(lines, want);
        assert!(store.read(|c| verify(c, &o)).unwrap().ok());
    }
}
