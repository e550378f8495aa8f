//! The data directory and its configuration file, `anzen.toml`.
//!
//! Layers: built-in defaults → `DIR/anzen.toml` → environment variables
//! (`ANZEN_DATABASE`, `ANZEN_LISTEN`) → command-line flags. Unknown keys in the file are
//! reported as warnings, never silently ignored. Secrets (the database password) are
//! redacted whenever the configuration is logged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub const CONFIG_FILE: &str = "anzen.toml";
pub const DB_FILE: &str = "anzen.db";
pub const KEY_FILE: &str = "ledger-signing.key";

/// The data directory: `--data`, else `$ANZEN_DATA`, else `./anzen-data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("ANZEN_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("anzen-data"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `sqlite://anzen.db` (relative to the data directory) or `postgres://…`.
    pub database: String,
    /// Address to listen on. Loopback by default: put a TLS proxy in front, or set `tls`.
    pub listen: String,
    pub tls: Option<TlsConfig>,
    pub web: WebSection,
    pub ledger: LedgerSection,
    /// The syslog receiver (access logs from the EHR and other systems); off when absent.
    #[serde(skip_serializing)]
    pub syslog: Option<SyslogSection>,
}

/// `[syslog]`: where to listen, which organisation the access logs belong to, and how each
/// sending system's messages map to the アクセスログ fields (the `anzen-syslog` crate's
/// `listen` and `[[syslog.source]]` tables, see its README).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSection {
    /// Organisation (id, uid or name) the events are stored for.
    pub org: String,
    pub listen: anzen_syslog::Listen,
    #[serde(default)]
    pub source: Vec<anzen_syslog::SourceConfig>,
    /// Largest message in bytes (default 65536).
    pub max_message_bytes: Option<usize>,
    /// Messages per stored batch at most (default 1000).
    pub batch_size: Option<usize>,
    /// Longest wait before a partial batch is stored, in milliseconds (default 200).
    pub batch_delay_ms: Option<u64>,
    /// Simultaneous TCP/TLS connections at most (default 512).
    pub max_connections: Option<usize>,
    /// The monitoring rules run over newly received events at most this often (default 60).
    pub monitor_every_seconds: Option<u64>,
}

impl SyslogSection {
    /// The receiver's configuration.
    pub fn receiver_config(&self) -> anzen_syslog::Config {
        let mut c = anzen_syslog::Config::new(self.listen.clone(), self.source.clone());
        if let Some(v) = self.max_message_bytes {
            c.max_message_bytes = v;
        }
        if let Some(v) = self.batch_size {
            c.batch_size = v.max(1);
        }
        if let Some(v) = self.batch_delay_ms {
            c.batch_delay_ms = v;
        }
        if let Some(v) = self.max_connections {
            c.max_connections = v.max(1);
        }
        c
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebSection {
    pub session_idle_minutes: u64,
    /// Overrides `session_idle_minutes` with a finer value (tests, kiosks).
    pub session_idle_seconds: Option<u64>,
    pub session_absolute_hours: u64,
    /// Set when a TLS-terminating proxy serves anzen over HTTPS (cookies get `Secure`).
    pub behind_https_proxy: bool,
    pub lockout_threshold: i64,
    pub lockout_minutes: u64,
    pub login_rate_per_minute: usize,
    /// WebAuthn (passkeys): the host name browsers use for anzen, e.g. `anzen.example.jp`.
    /// Unset: passkeys work only when anzen is opened at `localhost`.
    pub webauthn_rp_id: Option<String>,
    /// The exact origin for `webauthn_rp_id`, e.g. `https://anzen.example.jp`.
    pub webauthn_origin: Option<String>,
}

impl Default for WebSection {
    fn default() -> Self {
        WebSection {
            session_idle_minutes: 15,
            session_idle_seconds: None,
            session_absolute_hours: 12,
            behind_https_proxy: false,
            lockout_threshold: 5,
            lockout_minutes: 15,
            login_rate_per_minute: 20,
            webauthn_rp_id: None,
            webauthn_origin: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LedgerSection {
    /// Sign a checkpoint after this many new entries…
    pub checkpoint_every_entries: u64,
    /// …or after this many seconds with new entries, and always at clean shutdown.
    pub checkpoint_every_seconds: u64,
    /// Names this installation in checkpoint origins (`<origin>/<org uid>`).
    pub origin: String,
}

impl Default for LedgerSection {
    fn default() -> Self {
        LedgerSection {
            checkpoint_every_entries: 1000,
            checkpoint_every_seconds: 60,
            origin: "anzen.local".to_owned(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: format!("sqlite://{DB_FILE}"),
            listen: "127.0.0.1:8080".to_owned(),
            tls: None,
            web: WebSection::default(),
            ledger: LedgerSection::default(),
            syslog: None,
        }
    }
}

impl Config {
    /// Loads `DIR/anzen.toml` (defaults when absent) and applies environment overrides.
    pub fn load(dir: &Path) -> Result<Config> {
        let path = dir.join(CONFIG_FILE);
        let mut cfg = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            warn_unknown_keys(&path, &text);
            toml::from_str(&text)
                .with_context(|| format!("{}: invalid configuration", path.display()))?
        } else {
            Config::default()
        };
        if let Ok(db) = std::env::var("ANZEN_DATABASE") {
            cfg.database = db;
        }
        if let Ok(listen) = std::env::var("ANZEN_LISTEN") {
            cfg.listen = listen;
        }
        Ok(cfg)
    }

    /// The database URL with a relative SQLite path resolved against the data directory.
    pub fn database_url(&self, dir: &Path) -> String {
        match self.database.strip_prefix("sqlite://") {
            Some(p) if Path::new(p).is_relative() => dir.join(p).to_string_lossy().into_owned(),
            Some(p) => p.to_owned(),
            None => self.database.clone(),
        }
    }

    pub fn web_config(&self) -> anzen_web::WebConfig {
        anzen_web::WebConfig {
            session_idle: Duration::from_secs(
                self.web
                    .session_idle_seconds
                    .unwrap_or(self.web.session_idle_minutes * 60),
            ),
            session_absolute: Duration::from_secs(self.web.session_absolute_hours * 3600),
            cookie_secure: self.tls.is_some() || self.web.behind_https_proxy,
            lockout_threshold: self.web.lockout_threshold,
            lockout_duration: Duration::from_secs(self.web.lockout_minutes * 60),
            login_rate_per_minute: self.web.login_rate_per_minute,
            webauthn_rp_id: self.web.webauthn_rp_id.clone(),
            webauthn_origin: self.web.webauthn_origin.clone(),
            ..anzen_web::WebConfig::default()
        }
    }

    /// The checkpoint writer: the signing key from the data directory plus the schedule.
    pub fn checkpointer(&self, dir: &Path) -> Result<anzen_store::ledger::Checkpointer> {
        let key =
            anzen_ledger::SigningKey::load_from_file(&dir.join(KEY_FILE)).with_context(|| {
                format!(
                    "loading the ledger signing key {}",
                    dir.join(KEY_FILE).display()
                )
            })?;
        Ok(anzen_store::ledger::Checkpointer {
            key: std::sync::Arc::new(key),
            origin_prefix: self.ledger.origin.clone(),
            every_entries: self.ledger.checkpoint_every_entries.max(1),
            every: Duration::from_secs(self.ledger.checkpoint_every_seconds.max(1)),
        })
    }

    /// The file written by `anzen init`: every setting, documented.
    pub fn to_documented_toml(&self) -> String {
        let tls = match &self.tls {
            Some(t) => format!("[tls]\ncert = {:?}\nkey = {:?}\n", t.cert, t.key),
            None => "# [tls]\n# cert = \"/etc/anzen/cert.pem\"\n# key = \"/etc/anzen/key.pem\"\n"
                .to_owned(),
        };
        format!(
            "# anzen configuration. Environment variables override: ANZEN_DATABASE, ANZEN_LISTEN.\n\
             \n\
             # sqlite://FILE (relative to this directory) or postgres://user:password@host/db\n\
             database = {:?}\n\
             # Loopback by default. Serve HTTPS with [tls] below, or put a TLS proxy in front.\n\
             listen = {:?}\n\
             \n\
             {tls}\n\
             [web]\n\
             # Screen lock after this many idle minutes (guideline: lock unattended terminals).\n\
             session_idle_minutes = {}\n\
             session_absolute_hours = {}\n\
             # true when a TLS-terminating reverse proxy serves anzen (cookies get Secure).\n\
             behind_https_proxy = {}\n\
             lockout_threshold = {}\n\
             lockout_minutes = {}\n\
             login_rate_per_minute = {}\n\
             # Passkeys (WebAuthn): the host name and origin browsers use for anzen.\n\
             # Unset: passkeys work only when anzen is opened at http://localhost.\n\
             # webauthn_rp_id = \"anzen.example.jp\"\n\
             # webauthn_origin = \"https://anzen.example.jp\"\n\
             \n\
             [ledger]\n\
             checkpoint_every_entries = {}\n\
             checkpoint_every_seconds = {}\n\
             origin = {:?}\n\
             \n\
             # Access logs over syslog (RFC 5424 / 3164; UDP, TCP, TLS) for one organisation.\n\
             # [syslog]\n\
             # org = \"1\"\n\
             # [syslog.listen]\n\
             # udp = \"0.0.0.0:514\"\n\
             # tcp = \"0.0.0.0:514\"\n\
             # [[syslog.source]]\n\
             # name = \"電子カルテ\"\n\
             # peers = [\"192.168.10.0/24\"]\n\
             # system = \"電子カルテ\"\n",
            self.database,
            self.listen,
            self.web.session_idle_minutes,
            self.web.session_absolute_hours,
            self.web.behind_https_proxy,
            self.web.lockout_threshold,
            self.web.lockout_minutes,
            self.web.login_rate_per_minute,
            self.ledger.checkpoint_every_entries,
            self.ledger.checkpoint_every_seconds,
            self.ledger.origin,
        )
    }
}

fn warn_unknown_keys(path: &Path, text: &str) {
    let Ok(value) = text.parse::<toml::Table>() else {
        return;
    };
    let known: &[(&str, &[&str])] = &[
        (
            "",
            &["database", "listen", "tls", "web", "ledger", "syslog"],
        ),
        ("tls", &["cert", "key"]),
        (
            "web",
            &[
                "session_idle_minutes",
                "session_idle_seconds",
                "session_absolute_hours",
                "behind_https_proxy",
                "lockout_threshold",
                "lockout_minutes",
                "login_rate_per_minute",
                "webauthn_rp_id",
                "webauthn_origin",
            ],
        ),
        (
            "ledger",
            &[
                "checkpoint_every_entries",
                "checkpoint_every_seconds",
                "origin",
            ],
        ),
    ];
    for (k, v) in &value {
        if !known[0].1.contains(&k.as_str()) {
            tracing::warn!(file = %path.display(), key = %k, "unknown configuration key ignored");
        } else if let (Some(table), Some((_, keys))) =
            (v.as_table(), known.iter().find(|(s, _)| s == k))
        {
            for sub in table.keys() {
                if !keys.contains(&sub.as_str()) {
                    tracing::warn!(file = %path.display(), key = %format!("{k}.{sub}"), "unknown configuration key ignored");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_file_round_trips() {
        let c = Config::default();
        let text = c.to_documented_toml();
        let back: Config = toml::from_str(&text).expect("parse");
        assert_eq!(back.database, c.database);
        assert_eq!(back.web.session_idle_minutes, 15);
        assert_eq!(back.ledger.checkpoint_every_entries, 1000);
    }

    #[test]
    fn relative_sqlite_path_is_inside_data_dir() {
        let c = Config::default();
        assert_eq!(
            c.database_url(Path::new("/srv/anzen")),
            "/srv/anzen/anzen.db"
        );
        let pg = Config {
            database: "postgres://u:p@h/db".into(),
            ..Config::default()
        };
        assert_eq!(pg.database_url(Path::new("/x")), "postgres://u:p@h/db");
    }
}
