//! The receiver on 127.0.0.1 port 0, fed by the real util-linux `logger` over UDP and TCP
//! (LF and octet-counted framing, RFC 3164 and RFC 5424), by raw sockets for malformed
//! input, and by a rustls client for TLS (logger has no TLS).
//!
//! With `CI` set, a missing `logger` fails the tests instead of skipping them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anzen_ingest::{AccessAction, AccessResult};
use anzen_syslog::{Batch, Config, Receiver, Transport};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

const LOGGER: &str = "/usr/bin/logger";

const TOP: &str = r#"
max_message_bytes = 2048
batch_delay_ms = 20
shutdown_grace_ms = 300

[listen]
udp = "127.0.0.1:0"
tcp = "127.0.0.1:0"
"#;

const SOURCES: &str = r#"
[[source]]
name = "電子カルテ"
peers = ["127.0.0.0/8", "::1"]
app_names = ["emr"]
system = "電子カルテ"
sd_id = "access@32473"
[source.actions]
REF = "参照"

[[source]]
name = "部門システム"
app_names = ["lab"]
"#;

/// The test configuration; `tls` adds a TLS listener with these certificate and key files.
fn config(tls: Option<(&Path, &Path)>) -> String {
    let tls = tls.map_or(String::new(), |(c, k)| {
        format!("[listen.tls]\naddr = \"127.0.0.1:0\"\ncert = {c:?}\nkey = {k:?}\n")
    });
    format!("{TOP}{tls}{SOURCES}")
}

/// Whether the real logger is there; with `CI` set its absence is a failure.
fn have_logger() -> bool {
    if Path::new(LOGGER).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{LOGGER} (util-linux) is required when CI is set: apt-get install bsdutils"
    );
    eprintln!("skipping: {LOGGER} not found");
    false
}

async fn start(config: &str) -> (Receiver, mpsc::Receiver<Batch>) {
    let config = Config::from_toml(config).unwrap();
    let (tx, rx) = mpsc::channel(64);
    (Receiver::start(config, tx).await.unwrap(), rx)
}

/// Runs logger with the local time zone set to JST (its timestamps are local time; the
/// receiver reads zone-less BSD timestamps as JST). `stdin` lines are separate messages.
async fn logger(args: Vec<String>, stdin: Option<&str>) {
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(LOGGER);
        cmd.args(&args)
            .env("TZ", "Asia/Tokyo")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run logger");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "logger {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    })
    .await
    .unwrap();
}

fn net(transport: &str, addr: SocketAddr) -> Vec<String> {
    vec![
        format!("--{transport}"),
        "--server".into(),
        addr.ip().to_string(),
        "--port".into(),
        addr.port().to_string(),
    ]
}

fn args(base: Vec<String>, more: &[&str]) -> Vec<String> {
    let mut v = base;
    v.extend(more.iter().map(|s| (*s).to_owned()));
    v
}

/// Waits until `events` events and `quarantined` quarantined messages arrived (10 s).
async fn collect(rx: &mut mpsc::Receiver<Batch>, events: usize, quarantined: usize) -> Batch {
    let mut all = Batch::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while all.events.len() < events || all.quarantined.len() < quarantined {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(mut b)) => {
                all.events.append(&mut b.events);
                all.quarantined.append(&mut b.quarantined);
            }
            _ => panic!(
                "timed out: {} of {events} events, {} of {quarantined} quarantined: {all:#?}",
                all.events.len(),
                all.quarantined.len()
            ),
        }
    }
    // Nothing more than expected.
    if let Ok(Some(extra)) = tokio::time::timeout(Duration::from_millis(150), rx.recv()).await {
        panic!("unexpected extra batch: {extra:#?}");
    }
    all
}

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_rfc5424_structured_data_from_logger() {
    if !have_logger() {
        return;
    }
    let (rx_handle, mut rx) = start(&config(None)).await;
    let udp = rx_handle.udp_addr().unwrap();
    let before = now_us();
    logger(
        args(
            net("udp", udp),
            &[
                "--rfc5424",
                "-t",
                "emr",
                "--sd-id",
                "access@32473",
                "--sd-param",
                "user=\"u1\"",
                "--sd-param",
                "patient=\"P000123\"",
                "--sd-param",
                "action=\"REF\"",
                "--sd-param",
                "terminal=\"PC-05\"",
                "--sd-param",
                "detail=\"診療録 \\\"外来\\\" を参照\"",
                "カルテ参照",
            ],
        ),
        None,
    )
    .await;
    let after = now_us();
    let got = collect(&mut rx, 1, 0).await;
    let r = &got.events[0];
    assert_eq!(r.source.as_ref(), "電子カルテ");
    assert_eq!(r.origin.transport, Transport::Udp);
    assert!(r.origin.peer.ip().is_loopback());
    let e = &r.event;
    assert_eq!(e.system, "電子カルテ");
    assert_eq!(e.user, "u1");
    assert_eq!(e.patient.as_deref(), Some("P000123"));
    assert_eq!(e.action, AccessAction::View);
    assert_eq!(e.terminal.as_deref(), Some("PC-05"));
    assert_eq!(e.detail.as_deref(), Some("診療録 \"外来\" を参照"));
    assert_eq!(e.result, None);
    // logger's RFC 5424 timestamp has microseconds and the +09:00 offset.
    assert!(
        (before..=after).contains(&e.time_us),
        "{before} <= {} <= {after}",
        e.time_us
    );
    let stats = rx_handle.shutdown().await;
    assert_eq!((stats.received, stats.mapped), (1, 1));
    assert_eq!(stats.quarantined_total(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_rfc3164_key_values_from_logger() {
    if !have_logger() {
        return;
    }
    let (rx_handle, mut rx) = start(&config(None)).await;
    let udp = rx_handle.udp_addr().unwrap();
    let before = now_us();
    logger(
        args(
            net("udp", udp),
            &[
                "--rfc3164",
                "-t",
                "lab",
                "user=u2 patient=P2 action=閲覧 result=成功 terminal=検査室PC",
            ],
        ),
        None,
    )
    .await;
    let after = now_us();
    // Not mapped: an APP-NAME no source has, and an action outside the vocabulary.
    logger(
        args(
            net("udp", udp),
            &["--rfc3164", "-t", "other", "user=u9 action=参照"],
        ),
        None,
    )
    .await;
    logger(
        args(
            net("udp", udp),
            &["--rfc3164", "-t", "lab", "user=u3 action=走る"],
        ),
        None,
    )
    .await;
    let got = collect(&mut rx, 1, 2).await;
    let e = &got.events[0].event;
    assert_eq!(got.events[0].source.as_ref(), "部門システム");
    assert_eq!(e.system, "lab");
    assert_eq!(e.user, "u2");
    assert_eq!(e.patient.as_deref(), Some("P2"));
    assert_eq!(e.action, AccessAction::View);
    assert_eq!(e.result, Some(AccessResult::Success));
    assert_eq!(e.terminal.as_deref(), Some("検査室PC"));
    // BSD timestamps have whole seconds, read as JST in the current year.
    assert!(
        (before - 1_000_000..=after).contains(&e.time_us),
        "{before} <= {} <= {after}",
        e.time_us
    );
    let mut reasons: Vec<(&str, String, &str)> = got
        .quarantined
        .iter()
        .map(|q| (q.reason.code(), q.reason_ja(), q.text.as_str()))
        .collect();
    reasons.sort();
    assert_eq!(reasons[0].0, "bad_value");
    assert!(reasons[0].1.contains("操作『走る』"), "{}", reasons[0].1);
    assert!(reasons[0].2.contains("user=u3 action=走る"));
    assert_eq!(reasons[1].0, "no_source");
    assert!(reasons[1].2.contains("other: user=u9"), "{}", reasons[1].2);
    for q in &got.quarantined {
        assert_eq!(q.raw, q.text.as_bytes());
        assert_eq!(q.origin.transport, Transport::Udp);
    }
    let stats = rx_handle.shutdown().await;
    assert_eq!(stats.received, 3);
    assert_eq!(stats.mapped, 1);
    assert_eq!(stats.quarantined.get("bad_value"), Some(&1));
    assert_eq!(stats.quarantined.get("no_source"), Some(&1));
}

/// Several messages over one TCP connection (logger sends each stdin line), in both
/// framings and both formats; one line of each run cannot be mapped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_both_framings_and_formats_from_logger() {
    if !have_logger() {
        return;
    }
    let (rx_handle, mut rx) = start(&config(None)).await;
    let tcp = rx_handle.tcp_addr().unwrap();
    let lines = "user=a1 patient=P1 action=参照\nuser=a2 patient=P2 action=印刷 result=失敗\naction=参照 patient=P3\n";
    let runs: [&[&str]; 4] = [
        &["--rfc3164"],
        &["--rfc3164", "--octet-count"],
        &["--rfc5424"],
        &["--rfc5424", "--octet-count"],
    ];
    for run in runs {
        let mut more: Vec<&str> = run.to_vec();
        more.extend(["-t", "lab"]);
        logger(args(net("tcp", tcp), &more), Some(lines)).await;
        let got = collect(&mut rx, 2, 1).await;
        let users: Vec<&str> = got.events.iter().map(|r| r.event.user.as_str()).collect();
        assert_eq!(users, ["a1", "a2"], "{run:?}");
        assert_eq!(got.events[1].event.action, AccessAction::Print);
        assert_eq!(got.events[1].event.result, Some(AccessResult::Failure));
        assert!(
            got.events
                .iter()
                .all(|r| r.origin.transport == Transport::Tcp)
        );
        let q = &got.quarantined[0];
        assert_eq!(q.reason.code(), "missing_field", "{run:?}");
        assert!(q.reason_ja().contains("アカウントID"), "{}", q.reason_ja());
        assert!(q.text.contains("action=参照 patient=P3"));
    }
    let stats = rx_handle.shutdown().await;
    assert_eq!(stats.received, 12);
    assert_eq!(stats.mapped, 8);
    assert_eq!(stats.quarantined.get("missing_field"), Some(&4));
    assert_eq!(stats.connections, 4);
}

/// Input that is not syslog, or whose framing is broken, is quarantined with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_is_quarantined_never_dropped() {
    let (rx_handle, mut rx) = start(&config(None)).await;
    let tcp = rx_handle.tcp_addr().unwrap();
    let udp = rx_handle.udp_addr().unwrap();

    let mut s = tokio::net::TcpStream::connect(tcp).await.unwrap();
    let long = format!("<13>1 - h emr - - - {}\n", "x".repeat(3000));
    let mut input = Vec::new();
    input.extend_from_slice(b"hello, not syslog\n");
    input.extend_from_slice(b"<13>1 2025-02-30T00:00:00Z h emr - - -\n");
    input.extend_from_slice(long.as_bytes());
    input.extend_from_slice(b"<13>1 - h emr - - [access@32473 user=\"u\" action=\"view\"\n");
    input.extend_from_slice(b"<13>1 - h emr - - [access@32473 user=\"ok\" action=\"view\"]\n");
    input.extend_from_slice(b"40 <13>1 - h emr - - -");
    s.write_all(&input).await.unwrap();
    s.shutdown().await.unwrap();
    drop(s);

    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(
        b"<13>1 - h emr - - [access@32473 user=\"\xff\" action=\"view\"]",
        udp,
    )
    .await
    .unwrap();

    let got = collect(&mut rx, 1, 6).await;
    assert_eq!(got.events[0].event.user, "ok");
    let mut codes: Vec<&str> = got.quarantined.iter().map(|q| q.reason.code()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "bad_pri",
            "bad_structured_data",
            "bad_structured_data",
            "bad_timestamp",
            "too_long",
            "truncated"
        ]
    );
    for q in &got.quarantined {
        assert!(!q.reason_ja().is_empty());
        match q.reason.code() {
            "too_long" => {
                assert_eq!(q.raw.len(), 2048);
                assert!(q.reason_ja().contains("2048"));
            }
            "truncated" => assert!(q.reason_ja().contains("40 バイト"), "{}", q.reason_ja()),
            "bad_pri" => assert_eq!(q.text, "hello, not syslog"),
            _ => {}
        }
    }
    let invalid = got
        .quarantined
        .iter()
        .find(|q| q.origin.transport == Transport::Udp)
        .unwrap();
    assert!(invalid.raw.contains(&0xff), "original bytes kept");
    assert!(invalid.text.contains('\u{FFFD}'), "lossy text");
    let stats = rx_handle.shutdown().await;
    assert_eq!(stats.received, 7);
    assert_eq!(stats.quarantined_total(), 6);
}

/// Shutdown lets an open connection deliver within the grace period, then takes its last
/// unterminated line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_delivers_what_was_sent() {
    let (rx_handle, mut rx) = start(&config(None)).await;
    let tcp = rx_handle.tcp_addr().unwrap();
    let mut s = tokio::net::TcpStream::connect(tcp).await.unwrap();
    s.write_all(b"<13>Nov 22 10:00:00 h lab: user=x action=login")
        .await
        .unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = rx_handle.shutdown().await;
    assert_eq!((stats.received, stats.mapped), (1, 1));
    let got = collect(&mut rx, 1, 0).await;
    assert_eq!(got.events[0].event.action, AccessAction::Login);
    // The sink sees the end.
    assert!(rx.recv().await.is_none());
    drop(s);
}

struct Pki {
    dir: tempfile::TempDir,
    cert_pem: String,
}

fn pki() -> Pki {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    Pki {
        dir,
        cert_pem: cert.pem(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_octet_counting() {
    use rustls::pki_types::pem::PemObject;
    let pki = pki();
    let config = config(Some((
        &pki.dir.path().join("cert.pem"),
        &pki.dir.path().join("key.pem"),
    )));
    let (rx_handle, mut rx) = start(&config).await;
    let tls = rx_handle.tls_addr().unwrap();

    // A client speaking plain syslog to the TLS port gets nowhere, and is counted.
    let mut plain = tokio::net::TcpStream::connect(tls).await.unwrap();
    plain
        .write_all(b"<13>1 - h emr - - [access@32473 user=\"x\" action=\"view\"]\n")
        .await
        .unwrap();
    plain.shutdown().await.unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(tls).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = connector.connect(name, tcp).await.unwrap();
    let mut out = Vec::new();
    for (i, msg) in [
        "<13>1 2025-04-01T09:30:00+09:00 emr-sv emr 1 - [access@32473 user=\"t1\" patient=\"P1\" action=\"参照\"]",
        "<13>1 2025-04-01T09:31:00+09:00 emr-sv emr 1 - [access@32473 user=\"t2\" action=\"出力\" result=\"成功\"]",
        "<13>1 2025-04-01T09:32:00+09:00 emr-sv emr 1 - [access@32473 action=\"出力\"]",
    ]
    .iter()
    .enumerate()
    {
        out.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
        if i == 1 {
            // A stray LF between frames is tolerated.
            out.push(b'\n');
        }
    }
    s.write_all(&out).await.unwrap();
    s.shutdown().await.unwrap();
    let got = collect(&mut rx, 2, 1).await;
    assert!(
        got.events
            .iter()
            .all(|r| r.origin.transport == Transport::Tls)
    );
    assert_eq!(got.events[0].event.user, "t1");
    assert_eq!(
        got.events[0].event.time_us,
        "2025-04-01T00:30:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond()
    );
    assert_eq!(got.events[1].event.action, AccessAction::Export);
    assert_eq!(got.quarantined[0].reason.code(), "missing_field");
    let stats = rx_handle.shutdown().await;
    assert_eq!(stats.received, 3);
    assert_eq!(stats.tls_failures, 1);
}

#[tokio::test]
async fn bad_tls_files_and_configs_are_reported_in_japanese() {
    let (tx, _rx) = mpsc::channel(1);
    let cfg = Config::from_toml(
        "[listen]\n[listen.tls]\naddr = \"127.0.0.1:0\"\ncert = \"/nonexistent/c.pem\"\nkey = \"/nonexistent/k.pem\"\n",
    )
    .unwrap();
    let err = Receiver::start(cfg, tx.clone()).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/c.pem"), "{err}");
    let cfg = Config::from_toml("[listen]\n").unwrap();
    let err = Receiver::start(cfg, tx.clone()).await.unwrap_err();
    assert!(err.to_string().contains("待ち受け"), "{err}");
    let err = Config::from_toml("[listen]\nudp = \"nowhere\"\n").unwrap_err();
    assert!(err.to_string().contains("syslog 受信設定"), "{err}");
}

/// Many messages on one connection arrive complete, in order, in batches no larger than
/// the configured size — whatever the read boundaries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_messages_on_one_connection_arrive_in_order() {
    let config = config(None).replace(
        "batch_delay_ms = 20",
        "batch_delay_ms = 20\nbatch_size = 100",
    );
    let (rx_handle, mut rx) = start(&config).await;
    let tcp = rx_handle.tcp_addr().unwrap();
    const N: usize = 5000;
    let mut input = Vec::new();
    for i in 0..N {
        let msg = format!(
            "<13>1 2025-04-01T09:30:00+09:00 emr-sv emr - - [access@32473 user=\"u{i}\" patient=\"P{i}\" action=\"参照\"] 本文 {i}"
        );
        if i % 2 == 0 {
            input.extend_from_slice(format!("{} {msg}", msg.len()).as_bytes());
        } else {
            input.extend_from_slice(msg.as_bytes());
            input.push(b'\n');
        }
    }
    let mut s = tokio::net::TcpStream::connect(tcp).await.unwrap();
    // Odd-sized writes so that frames straddle reads.
    for chunk in input.chunks(1777) {
        s.write_all(chunk).await.unwrap();
    }
    s.shutdown().await.unwrap();
    let mut users = Vec::with_capacity(N);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while users.len() < N {
        let b = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("all messages within 30 s")
            .unwrap();
        assert!(b.events.len() + b.quarantined.len() <= 100, "batch size");
        assert!(b.quarantined.is_empty(), "{:#?}", b.quarantined.first());
        users.extend(b.events.into_iter().map(|r| r.event.user));
    }
    let want: Vec<String> = (0..N).map(|i| format!("u{i}")).collect();
    assert_eq!(users, want);
    let stats = rx_handle.shutdown().await;
    assert_eq!((stats.received, stats.mapped), (N as u64, N as u64));
}
