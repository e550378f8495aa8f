//! Test support shared by the browser tests (`browser.rs`, `browser_webauthn.rs`): the real
//! `anzen` binary driven by headless Chromium through WebDriver (Debian `chromium` and
//! `chromium-driver`).
//!
//! The WebDriver client is the few W3C WebDriver calls below over plain HTTP, not a
//! client crate: the usual one (thirtyfour) turns on serde_json's `preserve_order`, which
//! feature unification would then switch on for the whole workspace under `cargo test`,
//! changing the JSON the application writes in tests from what it writes in production.
//!
//! Each test starts its own `chromedriver`, its own server on a free loopback port with a
//! fresh data directory, and its own browser profile; every child process is killed when
//! its guard is dropped, also when a test panics. The tests of one test binary take turns
//! at the browser (one at a time), so the short idle timeout of the lock test is not
//! disturbed by two other Chromiums starting on a small machine.
//!
//! Without Chromium or chromedriver the tests are skipped with a message, except when `CI`
//! is set: there a missing component is a failure. `ANZEN_CHROMIUM` and
//! `ANZEN_CHROMEDRIVER` override the paths (default `/usr/bin/chromium` and `chromedriver`
//! on `PATH`).
//!
//! Each test binary compiles this module on its own (`mod support;`); a helper that only
//! one of them uses carries `#[allow(dead_code)]`, or the other binary would warn.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tempfile::TempDir;
use totp_rs::{Algorithm, Builder, Secret, Totp};

const DEMO_EMAIL: &str = "yamada@sakura-clinic.example";
pub const DEMO_PASSWORD: &str = "kiri-Tsubame-7294!";
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
pub const DEMO_FACILITY: &str = "さくら内科クリニック";

const WAIT: Duration = Duration::from_secs(30);

/// One browser at a time within a test binary (see the module comment).
static BROWSER_TURN: Mutex<()> = Mutex::new(());

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Progress with the time since the test started (shown when a test fails).
pub fn step(t0: Instant, what: &str) {
    eprintln!("[{:6.1}s] {what}", t0.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------
// Child processes

/// A child process in its own process group; the whole group is killed on drop, so a
/// browser started by chromedriver goes with it. On a panic the tail of its log is shown.
pub struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, mut cmd: Command, log: PathBuf) -> std::io::Result<Proc> {
        let err = File::create(&log)?;
        cmd.stdin(Stdio::null())
            .stderr(Stdio::from(err))
            .process_group(0);
        let child = cmd.spawn()?;
        Ok(Proc { name, child, log })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the process has ended.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Asks the process to stop (SIGTERM) and waits for it, killing it after `grace`.
    #[allow(dead_code)] // only browser.rs stops a server (to reconfigure the demo)
    pub fn stop(mut self, grace: Duration) -> std::io::Result<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- last lines of {} ({}):\n{}\n---",
                self.name,
                self.log.display(),
                self.log_tail()
            );
        }
        // The process group id is the child's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pid())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// One HTTP/1.1 request (chromedriver refuses 1.0) with an optional JSON body; returns
/// the status code and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let fail = |e: std::io::Error| format!("{method} {path}: {e}");
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(fail)?;
    s.set_read_timeout(Some(timeout)).map_err(fail)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    // Read the head, then exactly the body (servers may keep the connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).map_err(fail)?;
        if n == 0 {
            return Err(format!(
                "{method} {path}: connection closed before the header"
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line"))?;
    let length = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = head.contains("transfer-encoding: chunked");
    let mut body = raw[split + 4..].to_vec();
    loop {
        let done = match length {
            Some(len) => body.len() >= len,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut buf).map_err(fail)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if let Some(len) = length {
        body.truncate(len);
    } else if chunked {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let len = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if len == 0 || b.len() < eol + 2 + len {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + len]);
        b = &b[(eol + 4 + len).min(b.len())..];
    }
    out
}

fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    http(addr, "GET", path, None, Duration::from_secs(5))
        .ok()
        .map(|(status, _)| status)
}

/// Waits until `GET path` answers 200, failing early if the process ends.
fn wait_http_ok(
    p: &mut Proc,
    addr: SocketAddr,
    path: &str,
    within: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = p.exited() {
            return Err(format!(
                "{} exited ({status}) before answering {path}:\n{}",
                p.name,
                p.log_tail()
            ));
        }
        if http_status(addr, path) == Some(200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} did not answer {path} on {addr} within {within:?}:\n{}",
                p.name,
                p.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts a server-like process on a free port and waits for `health` to answer. Another
/// process may take the port between choosing and binding it; then it is tried again.
pub fn spawn_on_free_port(
    name: &'static str,
    log: PathBuf,
    health: &str,
    make: impl Fn(u16) -> Command,
) -> (Proc, SocketAddr) {
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut p = Proc::spawn(name, make(port), log.clone())
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        match wait_http_ok(&mut p, addr, health, WAIT) {
            Ok(()) => return (p, addr),
            Err(e) => last = e,
        }
    }
    panic!("{name} did not start: {last}");
}

pub fn anzen_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_anzen"));
    c.args(args)
        .env_remove("ANZEN_DATABASE")
        .env_remove("ANZEN_LISTEN")
        .env_remove("ANZEN_DATA")
        .env("ANZEN_LOG", "info")
        .env("NO_COLOR", "1");
    c
}

/// `anzen demo --listen 127.0.0.1:0`: the demo prints its URL once it listens.
pub fn start_demo(data: &Path, logs: &Path) -> (Proc, String) {
    let mut cmd = anzen_cmd(&[
        "demo",
        "--data",
        &data.to_string_lossy(),
        "--listen",
        "127.0.0.1:0",
    ]);
    cmd.stdout(Stdio::piped());
    let mut p = Proc::spawn("anzen demo", cmd, logs.join("demo.log")).expect("starting anzen demo");
    let stdout = p.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    // Reads the banner, then keeps draining stdout so the server never blocks on it.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.trim().strip_prefix("URL:") {
                let _ = tx.send(url.trim().trim_end_matches('/').to_owned());
            }
        }
    });
    let base = match rx.recv_timeout(WAIT) {
        Ok(u) => u,
        Err(_) => panic!("anzen demo printed no URL:\n{}", p.log_tail()),
    };
    let addr: SocketAddr = base
        .trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("demo URL {base:?}: {e}"));
    wait_http_ok(&mut p, addr, "/healthz", WAIT).unwrap_or_else(|e| panic!("{e}"));
    (p, base)
}

// ---------------------------------------------------------------------------------------
// Browser

struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The browser and driver, or `None` to skip (outside CI only).
fn tools() -> Option<Tools> {
    let chromium = std::env::var_os("ANZEN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let chromedriver = std::env::var_os("ANZEN_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| find_in_path("chromedriver"))
        .or_else(|| Some(PathBuf::from("/usr/bin/chromedriver")).filter(|p| p.is_file()));
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing.push(format!("Chromium ({})", chromium.display()));
    }
    if chromedriver.is_none() {
        missing.push("chromedriver (not on PATH)".to_owned());
    }
    if missing.is_empty() {
        return chromedriver.map(|chromedriver| Tools {
            chromium,
            chromedriver,
        });
    }
    let why = format!(
        "browser tests need {} — install the Debian packages `chromium chromium-driver` \
         (scripts/test.sh does)",
        missing.join(" and ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and a component is missing: {why}");
    }
    eprintln!("SKIPPED browser test: {why}");
    None
}

pub type Res<T> = Result<T, String>;

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A Chromium session behind its own chromedriver.
pub struct Browser {
    chromedriver: Proc,
    driver: SocketAddr,
    session: Option<String>,
    _profile: TempDir,
}

impl Drop for Browser {
    /// Ends the session if a failure left it open, then the process guard kills
    /// chromedriver and its browser (the whole process group).
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = http(
                self.driver,
                "DELETE",
                &format!("/session/{id}"),
                None,
                Duration::from_secs(5),
            );
        }
    }
}

impl Browser {
    fn start(tools: &Tools, logs: &Path) -> Browser {
        let driver_path = tools.chromedriver.clone();
        let (chromedriver, driver) = spawn_on_free_port(
            "chromedriver",
            logs.join("chromedriver.log"),
            "/status",
            |port| {
                let mut c = Command::new(&driver_path);
                c.arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1")
                    .stdout(Stdio::null());
                c
            },
        );
        let profile = tempfile::Builder::new()
            .prefix("anzen-chromium-")
            .tempdir()
            .expect("browser profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
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
            "goog:chromeOptions": { "binary": tools.chromium.to_string_lossy(), "args": args },
        }}});
        let mut b = Browser {
            chromedriver,
            driver,
            session: None,
            _profile: profile,
        };
        let mut last = String::new();
        // Chromium can be slow to come up on a busy machine: a second try is cheap.
        for _ in 0..2 {
            match b.call("POST", "/session", Some(&caps)) {
                Ok(v) => {
                    b.session = v["sessionId"].as_str().map(str::to_owned);
                    if b.session.is_some() {
                        return b;
                    }
                    last = format!("no sessionId in {v}");
                }
                Err(e) => last = e,
            }
        }
        panic!("no browser session: {last}\n{}", b.chromedriver.log_tail());
    }

    /// A WebDriver command; its `value`, or the WebDriver error as text.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Res<Value> {
        let (status, raw) = http(self.driver, method, path, body, Duration::from_secs(90))?;
        let v: Value = serde_json::from_slice(&raw)
            .map_err(|e| format!("{method} {path}: answer is not JSON ({e})"))?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: {status} {} {}",
                v["value"]["error"].as_str().unwrap_or(""),
                v["value"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            ))
        }
    }

    /// A command of the current session.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Res<Value> {
        let id = self.session.as_deref().ok_or("no session")?;
        self.call(method, &format!("/session/{id}{path}"), body.as_ref())
    }

    /// Ends the session.
    fn quit(mut self) {
        if let Some(id) = self.session.take() {
            let _ = self.call("DELETE", &format!("/session/{id}"), None);
        }
    }

    pub fn goto(&self, url: &str) -> Res<()> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    pub fn url(&self) -> Res<String> {
        Ok(self
            .cmd("GET", "/url", None)?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    pub fn path(&self) -> Res<String> {
        let url = self.url()?;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        Ok(path.split(['?', '#']).next().unwrap_or("/").to_owned())
    }

    pub fn source(&self) -> Res<String> {
        Ok(self
            .cmd("GET", "/source", None)?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    fn title(&self) -> Res<String> {
        Ok(self
            .cmd("GET", "/title", None)?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    /// Element references for a CSS selector (none when absent).
    pub fn find_all(&self, css: &str) -> Res<Vec<String>> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    #[allow(dead_code)] // used by browser.rs only
    pub fn has_id(&self, id: &str) -> bool {
        self.find_all(&format!("#{id}"))
            .is_ok_and(|found| !found.is_empty())
    }

    /// Waits for the element with this id; gives up at once on anzen's error page.
    pub fn wait_id(&self, id: &str) -> Res<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.find_all(&format!("#{id}"))?.into_iter().next() {
                return Ok(e);
            }
            // anzen's error page (403, 404, 500…): no use waiting for it to change.
            let error_page = self.title().is_ok_and(|t| t.starts_with("エラー"));
            if error_page || Instant::now() > deadline {
                let src = self.source().unwrap_or_default();
                return Err(format!(
                    "#{id} did not appear (waited up to {WAIT:?}); at {:?}; page:\n{}",
                    self.url(),
                    src.chars().take(3000).collect::<String>()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn text_of(&self, id: &str) -> Res<String> {
        let e = self.wait_id(id)?;
        Ok(self
            .cmd("GET", &format!("/element/{e}/text"), None)?
            .as_str()
            .unwrap_or("")
            .to_owned())
    }

    #[allow(dead_code)] // used by browser.rs only
    pub fn attr(&self, css: &str, name: &str) -> Res<Option<String>> {
        let e = self
            .find_all(css)?
            .into_iter()
            .next()
            .ok_or_else(|| format!("no {css}"))?;
        let v = self.cmd("GET", &format!("/element/{e}/attribute/{name}"), None)?;
        Ok(v.as_str().map(str::to_owned))
    }

    pub fn fill(&self, id: &str, value: &str) -> Res<()> {
        let e = self.wait_id(id)?;
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})))?;
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": value })),
        )
        .map(drop)
    }

    pub fn click(&self, id: &str) -> Res<()> {
        let e = self.wait_id(id)?;
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})))
            .map(drop)
    }

    /// The password step; leaves the browser on the second-factor page.
    pub fn sign_in_password(&self, base: &str) -> Res<()> {
        self.goto(&format!("{base}/login"))?;
        self.fill("email", DEMO_EMAIL)?;
        self.fill("password", DEMO_PASSWORD)?;
        self.click("login-submit")?;
        self.wait_id("code")?;
        let path = self.path()?;
        if path != "/mfa" {
            return Err(format!("password step led to {path}, not the 2FA page"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// TOTP, clock, logs

/// RFC 6238 as the demo prints it: SHA-1, 6 digits, 30-second steps.
fn totp() -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(DEMO_TOTP_SECRET).expect("base32 secret"))
        .build()
        .expect("TOTP parameters")
}

pub fn code_at(unix: u64) -> String {
    totp().generate(unix).to_string()
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn logs_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("anzen-browser-logs-")
        .tempdir()
        .expect("log dir")
}

// ---------------------------------------------------------------------------------------
// Running a scenario

/// Runs `scenario` against a fresh server (`start`) and browser, then ends the browser
/// session (the guards clean up after a panic).
pub fn run(
    name: &str,
    start: impl FnOnce(&Path, &Path) -> (Proc, String),
    scenario: impl FnOnce(&Browser, &str, Instant) -> TestResult,
) -> TestResult {
    let Some(tools) = tools() else {
        return Ok(());
    };
    // A test that panicked while holding the turn poisons the lock; the next may go on.
    let _turn = BROWSER_TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let t0 = Instant::now();
    let (data, logs) = (tempfile::tempdir()?, logs_dir());
    let (_server, base) = start(data.path(), logs.path());
    step(t0, &format!("{name}: server at {base}"));
    let b = Browser::start(&tools, logs.path());
    step(t0, "browser session started");
    let result = scenario(&b, &base, t0);
    b.quit();
    step(
        t0,
        &format!(
            "{name}: done ({})",
            if result.is_ok() { "ok" } else { "failed" }
        ),
    );
    result
}
