//! `anzen serve` with a `[syslog]` section, fed by the real util-linux `logger` over TCP and
//! UDP: the events land in the organisation's access-log store (found by `anzen access-log
//! search` while the server runs) and a message that cannot be mapped is quarantined with
//! its reason. With `CI` set, a missing `logger` fails the test.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anzen");
const LOGGER: &str = "/usr/bin/logger";

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("udp port")
            .port()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("tcp port")
            .port()
    }
}

fn anzen(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().expect("anzen");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn logger(args: &[&str]) {
    let out = Command::new(LOGGER)
        .args(args)
        .env("TZ", "Asia/Tokyo")
        .output()
        .expect("run logger");
    assert!(
        out.status.success(),
        "logger {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `f` until it returns true (or fails after 30 s).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn serve_stores_syslog_events_and_quarantines_bad_ones() {
    if !Path::new(LOGGER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{LOGGER} (util-linux) is required when CI is set"
        );
        eprintln!("skipping: {LOGGER} not found");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_s = data.to_str().expect("path");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "kiri-Tsubame-7294!").expect("pw");
    let (ok, _, err) = anzen(&[
        "init",
        "--data",
        data_s,
        "--org-name",
        "syslog病院",
        "--org-kind",
        "hospital",
        "--admin-email",
        "sys@example.jp",
        "--admin-password-file",
        pw.to_str().expect("path"),
    ]);
    assert!(ok, "{err}");
    let (tcp, udp) = (free_port(false), free_port(true));
    let cfg_path = data.join("anzen.toml");
    let mut cfg = std::fs::read_to_string(&cfg_path).expect("config");
    cfg.push_str(&format!(
        "\n[syslog]\norg = \"syslog病院\"\nmonitor_every_seconds = 1\nbatch_delay_ms = 50\n\
         [syslog.listen]\ntcp = \"127.0.0.1:{tcp}\"\nudp = \"127.0.0.1:{udp}\"\n\
         [[syslog.source]]\nname = \"電子カルテ\"\nsystem = \"電子カルテ\"\n\
         [syslog.source.actions]\nREF = \"参照\"\n"
    ));
    std::fs::write(&cfg_path, cfg).expect("config");

    let mut child = Command::new(BIN)
        .args(["serve", "--data", data_s, "--listen", "127.0.0.1:0"])
        .env("ANZEN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server log line");
        if line.contains("bound=") {
            break;
        }
    }

    let (tcp_s, udp_s) = (tcp.to_string(), udp.to_string());
    // RFC 5424 with structured data over TCP; BSD (RFC 3164) key=value over UDP.
    logger(&[
        "--server",
        "127.0.0.1",
        "--port",
        &tcp_s,
        "--tcp",
        "--rfc5424",
        "-t",
        "emr",
        "--sd-id",
        "access@32473",
        "--sd-param",
        "user=\"tanaka\"",
        "--sd-param",
        "patient=\"P-100\"",
        "--sd-param",
        "action=\"REF\"",
        "カルテ参照",
    ]);
    logger(&[
        "--server",
        "127.0.0.1",
        "--port",
        &udp_s,
        "--udp",
        "--rfc3164",
        "-t",
        "emr",
        "user=sato patient=P-200 action=印刷",
    ]);
    // No account: cannot be an access-log event.
    logger(&[
        "--server",
        "127.0.0.1",
        "--port",
        &tcp_s,
        "--tcp",
        "--rfc5424",
        "-t",
        "emr",
        "patient=P-300 action=参照",
    ]);

    let search = |patient: &str| {
        anzen(&[
            "access-log",
            "search",
            "--data",
            data_s,
            "--patient",
            patient,
        ])
        .1
    };
    eventually("the TCP event", || search("P-100").contains("\"tanaka\""));
    eventually("the UDP event", || search("P-200").contains("\"sato\""));
    let p100 = search("P-100");
    assert!(
        p100.contains("電子カルテ") && p100.contains("\"view\""),
        "{p100}"
    );
    eventually("the quarantined message", || {
        let q = anzen(&["access-log", "quarantine", "--data", data_s]).1;
        q.contains("P-300") && q.contains("syslog:127.0.0.1")
    });
    assert!(search("P-300").trim().is_empty(), "not stored as an event");

    // Clean shutdown; the ledger (with the access-log batches) verifies.
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(code)) = server.0.try_wait() {
            assert!(code.success(), "server exited with {code}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (ok, out, err) = anzen(&["verify", "--data", data_s]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("access log") && out.contains("2 events"),
        "{out}"
    );
}
