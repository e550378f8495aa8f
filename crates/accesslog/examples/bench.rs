//! The access-log benchmark without building the whole server:
//! `cargo run --release -p anzen-accesslog --example bench -- --events 10000000 [--store postgres]
//! [--naive-max-secs 600] [--file-events 1000000] [--dir DIR] [--keep]`. Same code as
//! `anzen bench access-log`.

// The allocator of the `anzen` binary, so the run matches `anzen bench access-log`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anzen_accesslog::bench::{BenchParams, BenchStore, run};

fn main() -> Result<(), anzen_accesslog::bench::BenchError> {
    let mut p = BenchParams::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--keep" {
            p.keep = true;
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--events" => p.events = v.parse()?,
            "--store" => {
                p.store = match v.as_str() {
                    "postgres" => BenchStore::Postgres,
                    _ => BenchStore::Sqlite,
                }
            }
            "--postgres" => p.postgres = v.clone(),
            "--batch" => p.batch = v.parse()?,
            "--naive-max-secs" => p.naive_max_secs = v.parse()?,
            "--file-events" => p.file_events = v.parse()?,
            "--queries" => p.queries = v.parse()?,
            "--naive-queries" => p.naive_queries = v.parse()?,
            "--dir" => p.dir = Some(v.into()),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    print!("{}", run(&p)?);
    Ok(())
}
