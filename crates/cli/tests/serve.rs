//! The server as an operator runs it: the demo's data verifies after a clean shutdown
//! (SIGTERM → final checkpoint), and `serve` speaks HTTPS with a configured certificate.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anzen");

/// Kills the server if the test fails before stopping it.
struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `anzen <args>` and returns it with the address from its log line `bound=…`.
fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("ANZEN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start anzen");
    let Some(stderr) = child.stderr.take() else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no stderr pipe");
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server log line");
        if let Some(rest) = line.split("bound=").nth(1) {
            let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            let addr = addr
                .trim_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != ':')
                .to_owned();
            return (server, addr);
        }
    }
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn sigterm(s: &mut Server) {
    let status = Command::new("kill")
        .args(["-TERM", &s.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(code)) = s.0.try_wait() {
            assert!(code.success(), "server exited with {code}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not shut down within 30 s of SIGTERM");
}

#[test]
fn demo_data_verifies_after_clean_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let data_s = data.to_str().expect("path");
    let (mut server, addr) = start(&["demo", "--data", data_s, "--listen", "127.0.0.1:0"]);
    let (ok, body) = curl(&[&format!("http://{addr}/healthz")]);
    assert!(ok && body == "ok", "healthz: {body}");
    let (_, metrics) = curl(&[&format!("http://{addr}/metrics")]);
    assert!(metrics.contains("anzen_http_requests_total"), "{metrics}");
    // A failed sign-in while serving: a ledger entry written after the start-up checkpoint.
    let (ok, _) = curl(&[
        "-d",
        "email=yamada@sakura-clinic.example&password=wrong",
        &format!("http://{addr}/login"),
    ]);
    assert!(ok);
    sigterm(&mut server);

    let out = Command::new(BIN)
        .args(["verify", "--data", data_s])
        .output()
        .expect("verify");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("ledger ") && l.contains(": OK:"))
            .count(),
        3,
        "both demo facilities and the demo vendor verify: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("access log ") && l.contains(": OK:")),
        "the demo clinic's access log verifies: {text}"
    );
    // Shutdown signed everything: the latest checkpoint covers the failed sign-in too.
    let cp = Command::new(BIN)
        .args(["ledger", "checkpoint", "--data", data_s])
        .output()
        .expect("checkpoint");
    assert!(cp.status.success());
    assert!(text.contains("signed up to"), "{text}");
    // The demo's VPN echoes 半田病院: two companies recorded for its patches, neither
    // accepting, and nobody collecting its vulnerability information.
    let out = Command::new(BIN)
        .args([
            "check",
            "--data",
            data_s,
            "--org",
            "医療法人さくら会 さくら内科クリニック",
            "--format",
            "json",
        ])
        .output()
        .expect("check");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    let vpn = json
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["subject"] == "responsibility:VPN装置（リモート保守）")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>();
    assert!(
        vpn.contains(&"vendor.duty_ambiguous".to_owned())
            && vpn.contains(&"vendor.duty_unassigned".to_owned()),
        "{vpn:?}"
    );
}

fn write_self_signed(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

#[test]
fn serve_speaks_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "kiri-Tsubame-7294!").expect("pw");
    let out = Command::new(BIN)
        .args([
            "init",
            "--data",
            data.to_str().expect("path"),
            "--org-name",
            "TLS病院",
            "--org-kind",
            "hospital",
        ])
        .args([
            "--admin-email",
            "tls@example.jp",
            "--admin-password-file",
            pw.to_str().expect("path"),
        ])
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (cert, key) = write_self_signed(dir.path());
    // Pick a free port (HTTPS mode binds the configured address itself).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let cfg_path = data.join("anzen.toml");
    let cfg = std::fs::read_to_string(&cfg_path).expect("config");
    let cfg = cfg.replace(
        "listen = \"127.0.0.1:8080\"",
        &format!("listen = \"127.0.0.1:{port}\"\n\n[tls]\ncert = {cert:?}\nkey = {key:?}"),
    );
    std::fs::write(&cfg_path, cfg).expect("config");

    let mut child = Command::new(BIN)
        .args(["serve", "--data", data.to_str().expect("path")])
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let url = format!("https://localhost:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        let (ok, body) = curl(&[
            "--cacert",
            &cert,
            "--resolve",
            &format!("localhost:{port}:127.0.0.1"),
            &url,
        ]);
        if ok && body == "ok" {
            last = body;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (plain_ok, _) = curl(&[&format!("http://127.0.0.1:{port}/healthz")]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(last, "ok", "HTTPS /healthz never answered");
    assert!(!plain_ok, "plain HTTP must not be served on the TLS port");
}
