//! Full-scale feed import and matching benchmark (issue 5, item 7):
//! `cargo run --release -p anzen-vuln --example bench_feed [CVES [ASSETS [DATE]]]`
//! (defaults: 250000 CVEs, 10000 assets). Prints the Markdown report.

fn main() {
    let mut args = std::env::args().skip(1);
    let cves = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(250_000usize);
    let assets = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000usize);
    let date = args.next().unwrap_or_else(|| "2026-11-22".to_string());
    let report = anzen_vuln::bench::run(cves, assets).with_date(&date);
    println!("{report}");
}
