//! Browser test of passkeys (WebAuthn) as the second factor: the real `anzen demo` driven
//! by headless Chromium through WebDriver, with a CDP virtual authenticator (ctap2,
//! internal transport, resident keys, user verification) standing in for a fingerprint
//! reader. It signs in with password + TOTP, registers a passkey on /account, signs out,
//! signs in again with password + passkey and sees the dashboard.
//!
//! The browser uses `http://localhost:PORT` (a secure context whose host can be the
//! relying-party id; an IP address cannot). The WebDriver calls are plain HTTP, like
//! `browser.rs` (see there why there is no WebDriver client crate); CDP commands go through
//! chromedriver's `goog/cdp/execute`.
//!
//! Without Chromium or chromedriver the test is skipped with a message, except when `CI` is
//! set: there a missing component is a failure. `ANZEN_CHROMIUM` and `ANZEN_CHROMEDRIVER`
//! override the paths (default `/usr/bin/chromium` and `chromedriver` on `PATH`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

const DEMO_EMAIL: &str = "yamada@sakura-clinic.example";
const DEMO_PASSWORD: &str = "kiri-Tsubame-7294!";
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const DEMO_FACILITY: &str = "さくら内科クリニック";
const PASSKEY_NAME: &str = "仮想認証器";
const WAIT: Duration = Duration::from_secs(30);
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

type Res<T> = Result<T, String>;

/// A child process in its own process group, killed (group and all) on drop.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(mut cmd: Command, log: PathBuf) -> Proc {
        let err = File::create(&log).expect("log file");
        cmd.stdin(Stdio::null())
            .stderr(Stdio::from(err))
            .process_group(0);
        let child = cmd.spawn().expect("spawning a child process");
        Proc { child, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of {}:\n{}",
                self.log.display(),
                self.log_tail()
            );
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with an optional JSON body: status and body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Res<(u16, Vec<u8>)> {
    let fail = |e: std::io::Error| format!("{method} {path}: {e}");
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(fail)?;
    s.set_read_timeout(Some(Duration::from_secs(90)))
        .map_err(fail)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let len = head.lines().find_map(|l| {
                l.strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            });
            if len.is_some_and(|n| raw.len() >= split + 4 + n) {
                let status = head
                    .get(9..12)
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| format!("{method} {path}: bad status line"))?;
                let n = len.unwrap_or(0);
                return Ok((status, raw[split + 4..split + 4 + n].to_vec()));
            }
        }
        let n = s.read(&mut buf).map_err(fail)?;
        if n == 0 {
            return Err(format!("{method} {path}: connection closed early"));
        }
        raw.extend_from_slice(&buf[..n]);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ok() {
        assert!(Instant::now() < deadline, "{what} within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `anzen demo` on a free loopback port; returns it and its port.
fn start_demo(data: &Path, logs: &Path) -> (Proc, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anzen"));
    cmd.args([
        "demo",
        "--data",
        &data.to_string_lossy(),
        "--listen",
        "127.0.0.1:0",
    ])
    .env_remove("ANZEN_DATABASE")
    .env_remove("ANZEN_LISTEN")
    .env_remove("ANZEN_DATA")
    .env("ANZEN_LOG", "info")
    .env("NO_COLOR", "1")
    .stdout(Stdio::piped());
    let mut p = Proc::spawn(cmd, logs.join("demo.log"));
    let stdout = p.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.trim().strip_prefix("URL:") {
                let _ = tx.send(url.trim().trim_end_matches('/').to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("anzen demo printed no URL:\n{}", p.log_tail()));
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("demo URL {url:?}: {e}"));
    wait_until("the demo answers /healthz", || {
        http(addr, "GET", "/healthz", None).is_ok_and(|(s, _)| s == 200)
    });
    (p, addr.port())
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or None to skip (outside CI only).
fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("ANZEN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver = std::env::var_os("ANZEN_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| find_in_path("chromedriver"));
    match driver {
        Some(d) if chromium.is_file() => Some((chromium, d)),
        _ => {
            let why = "the passkey browser test needs Chromium and chromedriver — install \
                       the Debian packages `chromium chromium-driver` (scripts/test.sh does)";
            if std::env::var_os("CI").is_some() {
                panic!("CI is set and a component is missing: {why}");
            }
            eprintln!("SKIPPED browser test: {why}");
            None
        }
    }
}

/// A Chromium session behind its own chromedriver.
struct Browser {
    _driver_proc: Proc,
    driver: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(chromium: &Path, chromedriver: &Path, logs: &Path) -> Browser {
        let port = free_port();
        let driver = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null());
        let proc = Proc::spawn(cmd, logs.join("chromedriver.log"));
        wait_until("chromedriver answers /status", || {
            http(driver, "GET", "/status", None).is_ok_and(|(s, _)| s == 200)
        });
        let profile = tempfile::Builder::new()
            .prefix("anzen-chromium-")
            .tempdir()
            .expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            "--lang=ja".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium.to_string_lossy(), "args": args },
        }}});
        let (status, raw) = http(driver, "POST", "/session", Some(&caps))
            .unwrap_or_else(|e| panic!("new session: {e}\n{}", proc.log_tail()));
        let v: Value = serde_json::from_slice(&raw).expect("session JSON");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session ({status}): {v}\n{}", proc.log_tail()))
            .to_owned();
        Browser {
            _driver_proc: proc,
            driver,
            session,
            _profile: profile,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Res<Value> {
        let path = format!("/session/{}{path}", self.session);
        let (status, raw) = http(self.driver, method, &path, body.as_ref())?;
        let v: Value = serde_json::from_slice(&raw).map_err(|e| format!("{path}: {e}"))?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {status} {}", v["value"]))
        }
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    fn cdp(&self, cmd: &str, params: Value) -> Res<Value> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    fn goto(&self, url: &str) -> Res<()> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    fn path(&self) -> Res<String> {
        let url = self.cmd("GET", "/url", None)?;
        let url = url.as_str().unwrap_or("");
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        Ok(path.split(['?', '#']).next().unwrap_or("/").to_owned())
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn find(&self, css: &str) -> Res<Option<String>> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        Ok(v.as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT].as_str().map(str::to_owned)))
    }

    /// Waits for `#id`; shows the page on failure.
    fn wait_id(&self, id: &str) -> Res<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.find(&format!("#{id}"))? {
                return Ok(e);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "#{id} did not appear at {:?}; page:\n{}",
                    self.path(),
                    self.source().chars().take(3000).collect::<String>()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text_of(&self, id: &str) -> Res<String> {
        let e = self.wait_id(id)?;
        let v = self.cmd("GET", &format!("/element/{e}/text"), None)?;
        Ok(v.as_str().unwrap_or("").to_owned())
    }

    fn fill(&self, id: &str, value: &str) -> Res<()> {
        let e = self.wait_id(id)?;
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})))?;
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": value })),
        )
        .map(drop)
    }

    fn click(&self, id: &str) -> Res<()> {
        let e = self.wait_id(id)?;
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
            .map(drop)
    }

    fn sign_in_password(&self, base: &str) -> Res<()> {
        self.goto(&format!("{base}/login"))?;
        self.fill("email", DEMO_EMAIL)?;
        self.fill("password", DEMO_PASSWORD)?;
        self.click("login-submit")?;
        self.wait_id("code")?;
        match self.path()?.as_str() {
            "/mfa" => Ok(()),
            other => Err(format!("password step led to {other}")),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

fn totp_now() -> String {
    let t = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(DEMO_TOTP_SECRET).expect("base32"))
        .build()
        .expect("TOTP");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    t.generate(now).to_string()
}

#[test]
fn register_a_passkey_and_sign_in_with_it() -> Result<(), String> {
    let Some((chromium, chromedriver)) = tools() else {
        return Ok(());
    };
    let t0 = Instant::now();
    let step = |what: &str| eprintln!("[{:6.1}s] {what}", t0.elapsed().as_secs_f64());
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let logs = tempfile::Builder::new()
        .prefix("anzen-browser-logs-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let (_demo, port) = start_demo(data.path(), logs.path());
    // localhost, not 127.0.0.1: an IP address cannot be a WebAuthn relying-party id.
    let base = format!("http://localhost:{port}");
    step(&format!("demo at {base}"));
    let b = Browser::start(&chromium, &chromedriver, logs.path());
    step("browser started");

    b.cdp("WebAuthn.enable", json!({}))?;
    let auth = b.cdp(
        "WebAuthn.addVirtualAuthenticator",
        json!({ "options": {
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
            "automaticPresenceSimulation": true,
        }}),
    )?;
    let authenticator = auth["authenticatorId"]
        .as_str()
        .ok_or_else(|| format!("no authenticatorId in {auth}"))?
        .to_owned();
    step("virtual authenticator added");

    // 1. Password + TOTP, then register a passkey on the account page.
    b.sign_in_password(&base)?;
    b.fill("code", &totp_now())?;
    b.click("mfa-submit")?;
    b.wait_id("dashboard-title")?;
    step("signed in with TOTP");
    b.goto(&format!("{base}/account"))?;
    b.fill("passkey-name", PASSKEY_NAME)?;
    b.click("passkey-register")?;
    b.wait_id("passkey-list")?;
    let listed = b.text_of("passkey-list")?;
    assert!(listed.contains(PASSKEY_NAME), "passkey listed: {listed:?}");
    step("passkey registered");
    let creds = b.cdp(
        "WebAuthn.getCredentials",
        json!({ "authenticatorId": authenticator }),
    )?;
    let n = creds["credentials"].as_array().map_or(0, Vec::len);
    assert_eq!(n, 1, "the authenticator holds one credential: {creds}");

    // 2. Sign out; password + passkey lead to the dashboard.
    b.click("logout")?;
    b.wait_id("login-submit")?;
    step("signed out");
    b.sign_in_password(&base)?;
    b.click("passkey-signin")?;
    let title = b.text_of("dashboard-title")?;
    step("signed in with the passkey");
    assert!(title.contains(DEMO_FACILITY), "dashboard: {title:?}");
    let creds = b.cdp(
        "WebAuthn.getCredentials",
        json!({ "authenticatorId": authenticator }),
    )?;
    let count = creds["credentials"][0]["signCount"].as_i64().unwrap_or(0);
    assert!(count >= 1, "the authenticator signed: {creds}");

    // 3. The account page shows when it was last used.
    b.goto(&format!("{base}/account"))?;
    let listed = b.text_of("passkey-list")?;
    // Created and last used: two `HH:MM:SS` times (before, last used was "-").
    assert!(
        listed.contains(PASSKEY_NAME) && listed.matches(':').count() >= 4,
        "last use shown: {listed:?}"
    );
    step("done");
    Ok(())
}
