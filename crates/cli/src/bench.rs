//! `anzen bench ledger`: the ledger's throughput beside its baselines, measured in the same
//! run on this machine (results go to BENCHMARKS.md):
//! * append of 200-byte entries in batches of 1,000 vs a plain insert of the same bytes into
//!   an equivalent table (same columns and primary key, no hashing), on SQLite (WAL,
//!   synchronous=NORMAL, as the baseline is defined) and on PostgreSQL;
//! * full verification (from the database, and in memory) vs `openssl dgst -sha256` over the
//!   same entry bytes;
//! * inclusion-proof generation (from the database) and verification at a large size.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use anzen_core::OrgKind;
use anzen_ledger::{Entry, Hash, SigningKey, verify_inclusion};
use anzen_store::ledger::{self, Checkpointer, NewEntry};
use anzen_store::orgs::{self, Org, OrgProfile};
use anzen_store::{SqliteSync, Store};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Entries appended per backend.
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: u64,
    /// Entries in the ledger used for the proof measurements.
    #[arg(long, default_value_t = 10_000_000)]
    pub proof_entries: u64,
    /// PostgreSQL to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres: String,
}

/// `anzen bench vuln`.
#[derive(clap::Args, Debug)]
pub struct VulnBenchArgs {
    /// CVEs in the synthetic NVD feed.
    #[arg(long, default_value_t = 250_000)]
    pub cves: usize,
    /// Assets matched against it.
    #[arg(long, default_value_t = 10_000)]
    pub assets: usize,
    /// Also measure the same through the application into an SQLite store.
    #[arg(long)]
    pub store: bool,
    /// Only the store measurement.
    #[arg(long)]
    pub store_only: bool,
}

/// Feed import and matching beside the naive scan (`anzen_vuln::bench`), printed as the
/// Markdown table BENCHMARKS.md holds; then the same through the application into an
/// SQLite store (`--store`): `feeds import` of the generated file, the assets imported, and
/// the asset rules with the findings recorded.
pub fn vuln(args: VulnBenchArgs) -> Result<ExitCode> {
    let date = anzen_web::today_jst().to_string();
    if !args.store_only {
        let report = anzen_vuln::bench::run(args.cves, args.assets).with_date(&date);
        println!("{report}");
    }
    if args.store || args.store_only {
        vuln_store(&args)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn vuln_store(args: &VulnBenchArgs) -> Result<()> {
    use anzen_core::asset::{AssetData, AssetKind, AssetStatus};
    let feed = anzen_vuln::synth::nvd_feed(args.cves, anzen_vuln::bench::SEED);
    let mb = feed.len() as f64 / 1e6;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db").to_string_lossy())?;
    let org = store.write(|c| orgs::create(c, &OrgProfile::new("bench", OrgKind::Hospital)))?;
    let t = Instant::now();
    store.write(|c| {
        anzen_web::checks::import_feed(c, "synthetic-nvd.json", &feed)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let import = t.elapsed();
    let assets: Vec<AssetData> = anzen_vuln::synth::assets(
        args.assets,
        anzen_vuln::bench::VULNERABLE_EVERY,
        anzen_vuln::bench::SEED,
    )
    .into_iter()
    .enumerate()
    .map(|(i, a)| {
        let d = a.description;
        let s = |v: String| (!v.is_empty()).then_some(v);
        AssetData {
            key: format!("A-{i:05}"),
            kind: AssetKind::Network,
            name: format!("asset {i}"),
            vendor: s(d.vendor),
            product: s(d.product),
            version: s(d.version),
            os: s(d.os),
            hostname: None,
            ip: None,
            location: Some("bench".into()),
            department: None,
            maintainer: None,
            remote_maintenance: Some(false),
            internet_facing: Some(false),
            source_restricted: None,
            usb_restricted: None,
            services_minimized: None,
            last_patched: None,
            status: AssetStatus::Active,
            cpe: s(d.cpe),
        }
    })
    .collect();
    let t = Instant::now();
    store.write(|c| {
        anzen_store::assets::apply_import(c, &org, "bench", ("bench.csv", "-"), &assets, false)
    })?;
    let asset_import = t.elapsed();
    let today = anzen_web::today_jst();
    let t = Instant::now();
    let feeds =
        store.read(|c| anzen_web::checks::load_feeds(c).map_err(|e| anyhow::anyhow!("{e}")))?;
    let load = t.elapsed();
    let t = Instant::now();
    let applied = store.write(|c| {
        anzen_web::checks::run_asset_rules(c, &org, "bench", &feeds, today)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let rules = t.elapsed();
    let t = Instant::now();
    let again = store.write(|c| {
        anzen_web::checks::run_asset_rules(c, &org, "bench", &feeds, today)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let rerun = t.elapsed();
    println!("| through the application (SQLite, synchronous=FULL) | measured |");
    println!("| --- | ---: |");
    println!(
        "| `feeds import` of {} CVEs ({mb:.0} MB): parse, split, store | {:.1} s = {:.0} MB/s |",
        args.cves,
        import.as_secs_f64(),
        mb / import.as_secs_f64()
    );
    println!(
        "| import of {} assets (diff + one ledger entry each) | {:.2} s |",
        args.assets,
        asset_import.as_secs_f64()
    );
    println!(
        "| load the stored feeds (parse once; later runs use the cache) | {:.1} s |",
        load.as_secs_f64()
    );
    println!(
        "| asset rules over {} assets, first run ({} findings opened, each recorded in the ledger) | {:.2} s |",
        args.assets,
        applied.opened,
        rules.as_secs_f64()
    );
    println!(
        "| asset rules again, nothing changed ({} still open) | {:.2} s |",
        again.still_open,
        rerun.as_secs_f64()
    );
    println!(
        "| peak memory (VmHWM) | {:.0} MiB |",
        anzen_vuln::bench::peak_rss_mib()
    );
    Ok(())
}

/// `anzen bench accounts`.
#[derive(clap::Args, Debug)]
pub struct AccountsBenchArgs {
    /// Accounts (spread over 10 systems).
    #[arg(long, default_value_t = 50_000)]
    pub accounts: usize,
    /// Staff in the roster.
    #[arg(long, default_value_t = 20_000)]
    pub staff: usize,
    /// Rule passes to time (the median is reported).
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
}

/// The account audit at hospital scale (issue 6): the 職員名簿 and アカウント一覧 files
/// parsed (CSV, the import path) beside the full rule pass, in one run.
pub fn accounts(args: AccountsBenchArgs) -> Result<ExitCode> {
    use anzen_core::rules::accounts as rules;
    let today = anzen_web::today_jst();
    // Deterministic data: every 40th person retired, every 25th account shared, every
    // 17th without recent login.
    let mut staff_csv = String::from("職員番号,氏名,職種,部署,入職日,退職日\r\n");
    let jobs = ["医師", "看護師", "薬剤師", "放射線技師", "医事課", "事務"];
    for i in 0..args.staff {
        let retired = if i % 40 == 0 { "2026-06-30" } else { "" };
        staff_csv.push_str(&format!(
            "{:06},職員{i},{},部署{},2015-04-01,{retired}\r\n",
            i,
            jobs[i % jobs.len()],
            i % 30
        ));
    }
    let systems = [
        "電子カルテ",
        "レセコン",
        "PACS",
        "AD",
        "VPN",
        "検査",
        "薬剤",
        "給食",
        "透析",
        "文書",
    ];
    let mut accounts_csv = String::from(
        "システム,アカウントID,氏名,職員番号,権限,状態,最終ログイン,二要素認証,パスワード変更日\r\n",
    );
    for i in 0..args.accounts {
        let person = (i * 7) % args.staff.max(1);
        let staff_id = if i % 25 == 0 {
            String::new()
        } else {
            format!("{person:06}")
        };
        let login = if i % 17 == 0 {
            "2026-01-10"
        } else {
            "2026-11-01"
        };
        accounts_csv.push_str(&format!(
            "{},u{i},職員{person},{staff_id},{},有効,{login},{},2026-09-01\r\n",
            systems[i % systems.len()],
            jobs[person % jobs.len()],
            if i % 3 == 0 { "なし" } else { "あり" }
        ));
    }
    let t = Instant::now();
    let staff = anzen_ingest::parse_staff("staff.csv", staff_csv.as_bytes())
        .map_err(|p| anyhow::anyhow!("{} problems", p.len()))?;
    let staff_parse = t.elapsed();
    let t = Instant::now();
    let accounts = anzen_ingest::parse_accounts("accounts.csv", accounts_csv.as_bytes())
        .map_err(|p| anyhow::anyhow!("{} problems", p.len()))?;
    let accounts_parse = t.elapsed();
    let staff: Vec<rules::Staff> = staff
        .rows
        .iter()
        .map(|r| rules::Staff {
            staff_id: r.row.staff_id.clone(),
            name: r.row.name.clone(),
            job: r.row.job.clone(),
            department: r.row.department.clone(),
            hired: r.row.hired,
            retired: r.row.retired,
        })
        .collect();
    let accounts: Vec<rules::Account> = accounts
        .rows
        .iter()
        .map(|r| rules::Account {
            system: r.row.system.clone(),
            account_id: r.row.account_id.clone(),
            name: r.row.name.clone(),
            staff_id: r.row.staff_id.clone(),
            role: r.row.role.clone(),
            enabled: true,
            last_login: r.row.last_login,
            mfa: r.row.mfa,
            password_changed: r.row.password_changed,
        })
        .collect();
    let infos: Vec<rules::SystemInfo> = systems
        .iter()
        .enumerate()
        .map(|(i, s)| rules::SystemInfo {
            name: (*s).to_owned(),
            supports_mfa: i % 2 == 0,
            min_password_len: Some(8),
            kind: rules::SystemKind::parse(s),
        })
        .collect();
    let policy = rules::AccessPolicy {
        allowed: systems
            .iter()
            .flat_map(|s| {
                jobs.iter()
                    .map(move |j| ((*s).to_owned(), (*j).to_owned(), (*j).to_owned()))
            })
            .collect(),
        admin_roles: Vec::new(),
        named_owners: Vec::new(),
    };
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let f = rules::findings(
            &accounts,
            &staff,
            &infos,
            &policy,
            &[],
            &rules::Options::default(),
            today,
        );
        times.push(t.elapsed());
        n = f.len();
        drop(f);
    }
    times.sort();
    let median = times[times.len() / 2];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| measurement ({} accounts in 10 systems, {} staff) | target | measured |",
        args.accounts, args.staff
    );
    println!("| --- | --- | ---: |");
    println!(
        "| parse 職員名簿 CSV ({:.1} MB) | reported | {:.0} ms |",
        staff_csv.len() as f64 / 1e6,
        ms(staff_parse)
    );
    println!(
        "| parse アカウント一覧 CSV ({:.1} MB) | reported | {:.0} ms |",
        accounts_csv.len() as f64 / 1e6,
        ms(accounts_parse)
    );
    println!(
        "| full account rule pass ({n} findings), median of {} (min {:.0}, max {:.0}) | < 200 ms | {:.0} ms |",
        times.len(),
        ms(times[0]),
        ms(times[times.len() - 1]),
        ms(median)
    );
    Ok(ExitCode::SUCCESS)
}

const BATCH: usize = 1_000;
const ENTRY_LEN: usize = 200;

/// Payload size that makes the canonical entry exactly 200 bytes for this org/author/kind.
fn payload_len(org_uid: &str) -> usize {
    let probe = Entry {
        seq: 0,
        prev: Hash::ZERO,
        time_us: 0,
        org: org_uid.into(),
        author: "bench".into(),
        kind: "bench.entry".into(),
        payload: Vec::new(),
    };
    ENTRY_LEN - probe.encoded_len()
}

fn new_entries(n: usize, start: u64, plen: usize) -> Vec<NewEntry> {
    (0..n as u64)
        .map(|i| {
            let mut payload = format!("{{\"n\":{}}}", start + i).into_bytes();
            payload.resize(plen, b' ');
            NewEntry {
                time_us: 1_700_000_000_000_000 + (start + i) as i64,
                author: "bench".into(),
                kind: "bench.entry".into(),
                payload,
            }
        })
        .collect()
}

/// The bytes the plain baseline inserts: the same 200-byte entries, encoded up front
/// (the ledger encodes its own inside the timed region).
fn plain_rows(n: u64, org_uid: &str, plen: usize) -> Vec<Vec<u8>> {
    new_entries(n as usize, 0, plen)
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            Entry {
                seq: i as u64,
                prev: Hash::ZERO,
                time_us: e.time_us,
                org: org_uid.to_owned(),
                author: e.author,
                kind: e.kind,
                payload: e.payload,
            }
            .encode()
        })
        .collect()
}

/// Rows per second of `ledger::append_batch` for `n` entries in batches of 1,000 (the
/// batches are built before the clock starts, as the plain baseline's rows are).
fn time_ledger_append(store: &Store, org: &Org, n: u64, plen: usize) -> Result<f64> {
    let batches: Vec<Vec<NewEntry>> = (0..n)
        .step_by(BATCH)
        .map(|s| new_entries(BATCH.min((n - s) as usize), s, plen))
        .collect();
    let t = Instant::now();
    for batch in &batches {
        ledger::append_batch(store, org, batch)?;
    }
    Ok(rate(n, t.elapsed()))
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

struct Row {
    name: String,
    value: String,
    baseline: String,
    ratio: String,
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let mut rows: Vec<Row> = Vec::new();
    let tmp = tempfile::tempdir()?;
    let key = Arc::new(SigningKey::generate("anzen-bench")?);

    // --- SQLite append ---------------------------------------------------------------
    let (plain, ledger_rate, store, org) = sqlite_append(tmp.path(), args.entries, &key)?;
    rows.push(Row {
        name: format!(
            "SQLite append, {} × 200 B in batches of 1,000 (rows/s)",
            args.entries
        ),
        value: format!("{ledger_rate:.0}"),
        baseline: format!("{plain:.0} (plain insert, same table shape, no hashing)"),
        ratio: format!("{:.0} %", 100.0 * ledger_rate / plain),
    });

    // --- verification ---------------------------------------------------------------
    let bytes_total = args.entries * ENTRY_LEN as u64;
    let openssl = openssl_rate(tmp.path(), &store, &org)?;
    let vk = key.verifier_key();
    let t = Instant::now();
    let report = store.read(|c| ledger::verify(c, &org, &vk, None))?;
    let db_verify = bytes_total as f64 / t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.is_ok(),
        "bench ledger does not verify: {:?}",
        report.damages.first()
    );
    let all: Vec<(u64, Vec<u8>)> =
        store.read(|c| ledger::entry_bytes(c, org.id, 0, args.entries))?;
    let notes = store.read(|c| ledger::checkpoints(c, org.id))?;
    let origin =
        anzen_ledger::Checkpoint::parse_unverified(notes.last().context("no checkpoint")?)?.origin;
    let params = anzen_ledger::Params::new(&origin, &vk, &notes);
    let t = Instant::now();
    let r = anzen_ledger::verify_log(&params, all.iter().map(|(i, b)| (*i, b.as_slice())));
    let mem_verify = bytes_total as f64 / t.elapsed().as_secs_f64();
    anyhow::ensure!(r.is_ok(), "in-memory verification failed");
    drop(all);
    if let Some(o) = openssl {
        rows.push(Row {
            name: "Full verification, in memory (MB/s of entry bytes)".into(),
            value: format!("{:.0}", mem_verify / 1e6),
            baseline: format!("{:.0} (openssl dgst -sha256 over the same bytes)", o / 1e6),
            ratio: format!("{:.0} %", 100.0 * mem_verify / o),
        });
        rows.push(Row {
            name: "Full verification from SQLite, `anzen verify` path (MB/s)".into(),
            value: format!("{:.0}", db_verify / 1e6),
            baseline: format!("{:.0} (openssl)", o / 1e6),
            ratio: format!("{:.0} %", 100.0 * db_verify / o),
        });
    }

    // --- PostgreSQL append --------------------------------------------------------------
    if args.postgres != "none" {
        match pg_append(&args.postgres, args.entries.min(200_000)) {
            Ok((plain, led)) => rows.push(Row {
                name: format!(
                    "PostgreSQL append, {} × 200 B in batches of 1,000 (rows/s)",
                    args.entries.min(200_000)
                ),
                value: format!("{led:.0}"),
                baseline: format!("{plain:.0} (plain insert, same table shape, no hashing)"),
                ratio: format!("{:.0} %", 100.0 * led / plain),
            }),
            Err(e) => eprintln!("PostgreSQL skipped: {e:#}"),
        }
    }

    // --- proofs at size N --------------------------------------------------------------
    let grow = args.proof_entries.saturating_sub(args.entries);
    let plen = payload_len(&org.uid);
    let mut next = args.entries;
    while next < args.entries + grow {
        let n = (args.entries + grow - next).min(10_000) as usize;
        ledger::append_batch(&store, &org, &new_entries(n, next, plen))?;
        next += n as u64;
    }
    let size = store.read(|c| ledger::size(c, org.id))?;
    let root = store
        .read(|c| ledger::head(c, org.id, false))?
        .context("head")?
        .frontier
        .root();
    let mut c = store.conn()?;
    let mut gen_total = Duration::ZERO;
    let mut ver_total = Duration::ZERO;
    let samples = 1000u64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..samples {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = x % size;
        let t = Instant::now();
        let proof = ledger::inclusion_proof(&mut c, org.id, index, size)?;
        gen_total += t.elapsed();
        let leaf =
            anzen_ledger::leaf_hash(&ledger::entry_bytes(&mut c, org.id, index, index + 1)?[0].1);
        let t = Instant::now();
        verify_inclusion(&leaf, index, size, &proof, &root)?;
        ver_total += t.elapsed();
    }
    rows.push(Row {
        name: format!(
            "Inclusion proof generation from SQLite at {size} entries (µs, mean of {samples})"
        ),
        value: format!("{:.0}", gen_total.as_secs_f64() * 1e6 / samples as f64),
        baseline: "1,000 µs (target)".into(),
        ratio: format!(
            "{:.1} %",
            100.0 * gen_total.as_secs_f64() * 1e3 / samples as f64
        ),
    });
    rows.push(Row {
        name: format!("Inclusion proof verification at {size} entries (µs, mean)"),
        value: format!("{:.1}", ver_total.as_secs_f64() * 1e6 / samples as f64),
        baseline: "1,000 µs (target)".into(),
        ratio: format!(
            "{:.2} %",
            100.0 * ver_total.as_secs_f64() * 1e3 / samples as f64
        ),
    });
    let db_bytes = std::fs::metadata(tmp.path().join("ledger.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(tmp.path().join("ledger.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    rows.push(Row {
        name: "SQLite bytes on disk per 200-byte entry (entries + nodes + index)".into(),
        value: format!("{:.0}", db_bytes as f64 / size as f64),
        baseline: "200 (entry bytes)".into(),
        ratio: format!("{:.0} %", 100.0 * db_bytes as f64 / size as f64 / 200.0),
    });

    println!("| measurement | anzen | baseline | ratio |\n| --- | ---: | --- | ---: |");
    for r in rows {
        println!(
            "| {} | {} | {} | {} |",
            r.name, r.value, r.baseline, r.ratio
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn sqlite_append(dir: &Path, n: u64, key: &Arc<SigningKey>) -> Result<(f64, f64, Store, Org)> {
    // Plain baseline: the same table shape as ledger_entries, the same bytes, no hashing.
    let plain_path = dir.join("plain.db");
    let conn = rusqlite::Connection::open(&plain_path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE plain_entries (org_id INTEGER NOT NULL, idx INTEGER NOT NULL, entry BLOB NOT NULL, PRIMARY KEY (org_id, idx)) WITHOUT ROWID;",
    )?;
    let store = Store::open_with(&dir.join("ledger.db").to_string_lossy(), SqliteSync::Normal)?;
    let org = store
        .write(|c| orgs::create(c, &OrgProfile::new("ベンチマーク病院", OrgKind::Hospital)))?;
    let plen = payload_len(&org.uid);
    let plain_rows: Vec<Vec<u8>> = plain_rows(n, &org.uid, plen);
    anyhow::ensure!(
        plain_rows[0].len() == ENTRY_LEN,
        "entry is {} bytes",
        plain_rows[0].len()
    );

    let mut conn = conn;
    let t = Instant::now();
    for (b, chunk) in plain_rows.chunks(BATCH).enumerate() {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO plain_entries (org_id, idx, entry) VALUES (?1, ?2, ?3)",
            )?;
            for (i, bytes) in chunk.iter().enumerate() {
                st.execute(rusqlite::params![1i64, (b * BATCH + i) as i64, bytes])?;
            }
        }
        tx.commit()?;
    }
    let plain = rate(n, t.elapsed());
    drop(plain_rows);

    let led = time_ledger_append(&store, &org, n, plen)?;
    let cp = Checkpointer {
        key: key.clone(),
        origin_prefix: "anzen.bench".into(),
        every_entries: 1,
        every: Duration::from_secs(1),
    };
    store.write(|c| cp.checkpoint(c, &org, true))?;
    Ok((plain, led, store, org))
}

fn openssl_rate(dir: &Path, store: &Store, org: &Org) -> Result<Option<f64>> {
    let path = dir.join("entries.bin");
    let size = store.read(|c| ledger::size(c, org.id))?;
    let mut buf = Vec::with_capacity(size as usize * ENTRY_LEN);
    for (_, b) in store.read(|c| ledger::entry_bytes(c, org.id, 0, size))? {
        buf.extend_from_slice(&b);
    }
    std::fs::write(&path, &buf)?;
    // Warm the page cache, then take the best of three.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let ok = std::process::Command::new("openssl")
            .args(["dgst", "-sha256"])
            .arg(&path)
            .output()
            .map(|o| o.status.success());
        match ok {
            Ok(true) => best = best.min(t.elapsed().as_secs_f64()),
            _ => return Ok(None),
        }
    }
    Ok(Some(buf.len() as f64 / best))
}

fn pg_append(url: &str, n: u64) -> Result<(f64, f64)> {
    let schema = format!("bench_{}", anzen_store::random_hex(6));
    let store = Store::open_postgres_schema(url, &schema)?;
    let result = (|| -> Result<(f64, f64)> {
        let org = store
            .write(|c| orgs::create(c, &OrgProfile::new("ベンチマーク病院", OrgKind::Hospital)))?;
        let plen = payload_len(&org.uid);
        let mut conn = store.conn()?;
        let client = conn.postgres().context("postgres connection")?;
        client.batch_execute("CREATE TABLE plain_entries (org_id BIGINT NOT NULL, idx BIGINT NOT NULL, entry BYTEA NOT NULL, PRIMARY KEY (org_id, idx))")?;
        let rows: Vec<Vec<u8>> = plain_rows(n, &org.uid, plen);
        let t = Instant::now();
        for (b, chunk) in rows.chunks(BATCH).enumerate() {
            let idx: Vec<i64> = (0..chunk.len()).map(|i| (b * BATCH + i) as i64).collect();
            let bytes: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            let mut tx = client.transaction()?;
            tx.execute("INSERT INTO plain_entries (org_id, idx, entry) SELECT 1, * FROM unnest($1::bigint[], $2::bytea[])", &[&idx, &bytes])?;
            tx.commit()?;
        }
        let plain = rate(n, t.elapsed());
        drop(conn);
        let led = time_ledger_append(&store, &org, n, plen)?;
        Ok((plain, led))
    })();
    if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    }
    result
}
