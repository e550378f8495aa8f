//! The receiver: UDP, TCP and TLS listeners that parse, map and deliver batches.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anzen_ingest::AccessEvent;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::framing::{Frame, Framer};
use crate::mapping::{ConfigError, Mapper, REASON_CODES, Reason, SourceConfig};
use crate::parse::parse;

/// How a message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP, one datagram per message (RFC 5426).
    Udp,
    /// TCP, octet-counted or LF-framed (RFC 6587).
    Tcp,
    /// TLS (RFC 5425).
    Tls,
}

impl Transport {
    /// `udp`, `tcp` or `tls`.
    pub fn code(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

/// Where and when a message came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The sender's address.
    pub peer: SocketAddr,
    /// How it arrived.
    pub transport: Transport,
    /// When it was received (UTC microseconds).
    pub received_at_us: i64,
}

/// A message mapped to an access-log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The event.
    pub event: AccessEvent,
    /// The configured source (送信元) whose mapping made it.
    pub source: Arc<str>,
    /// Where and when it came in.
    pub origin: Origin,
}

/// A message kept in quarantine (隔離) because it could not be read or mapped. Nothing is
/// dropped silently: every received message is either a [`Received`] or one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Where and when it came in.
    pub origin: Origin,
    /// The bytes as received (cut at the maximum message size).
    pub raw: Vec<u8>,
    /// `raw` as text (invalid UTF-8 replaced), for display.
    pub text: String,
    /// Why.
    pub reason: Reason,
}

impl Quarantined {
    fn new(origin: Origin, raw: &[u8], reason: Reason) -> Quarantined {
        Quarantined {
            origin,
            raw: raw.to_vec(),
            text: String::from_utf8_lossy(raw).into_owned(),
            reason,
        }
    }

    /// The reason in Japanese.
    pub fn reason_ja(&self) -> String {
        self.reason.to_string()
    }
}

/// What the receiver delivers to its sink.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Mapped events, in arrival order per connection.
    pub events: Vec<Received>,
    /// Quarantined messages.
    pub quarantined: Vec<Quarantined>,
}

impl Batch {
    fn len(&self) -> usize {
        self.events.len() + self.quarantined.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn append(&mut self, other: &mut Batch) {
        self.events.append(&mut other.events);
        self.quarantined.append(&mut other.quarantined);
    }

    /// Takes the first `n` messages (events first), leaving the rest.
    fn split_to(&mut self, n: usize) -> Batch {
        let e = n.min(self.events.len());
        let q = (n - e).min(self.quarantined.len());
        let rest_e = self.events.split_off(e);
        let rest_q = self.quarantined.split_off(q);
        Batch {
            events: std::mem::replace(&mut self.events, rest_e),
            quarantined: std::mem::replace(&mut self.quarantined, rest_q),
        }
    }
}

/// TLS listener settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsListen {
    /// Address to listen on, e.g. `0.0.0.0:6514`.
    pub addr: SocketAddr,
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Where to listen. At least one is needed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// UDP address, e.g. `0.0.0.0:514`.
    pub udp: Option<SocketAddr>,
    /// TCP address, e.g. `0.0.0.0:514`.
    pub tcp: Option<SocketAddr>,
    /// TLS.
    pub tls: Option<TlsListen>,
}

/// The receiver's configuration (the `[syslog]` file described in the crate README).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listeners.
    pub listen: Listen,
    /// Largest message accepted, in bytes (default 65536). Longer ones are quarantined
    /// with their first bytes.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    /// Most messages in one delivered batch (default 1000).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Longest wait before a partial batch is delivered, in milliseconds (default 200).
    #[serde(default = "default_batch_delay")]
    pub batch_delay_ms: u64,
    /// Most simultaneous TCP/TLS connections (default 512); more are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// How long open connections may still deliver after shutdown starts, in
    /// milliseconds (default 2000).
    #[serde(default = "default_grace")]
    pub shutdown_grace_ms: u64,
    /// The sources, tried in order.
    #[serde(default)]
    pub source: Vec<SourceConfig>,
}

fn default_max_message() -> usize {
    64 * 1024
}
fn default_batch_size() -> usize {
    1000
}
fn default_batch_delay() -> u64 {
    200
}
fn default_max_connections() -> usize {
    512
}
fn default_grace() -> u64 {
    2000
}

impl Config {
    /// Reads the configuration from TOML.
    pub fn from_toml(text: &str) -> Result<Config, Error> {
        toml::from_str(text).map_err(|e| Error::Toml(e.to_string()))
    }

    /// A configuration with these listeners and sources and default limits.
    pub fn new(listen: Listen, source: Vec<SourceConfig>) -> Config {
        Config {
            listen,
            max_message_bytes: default_max_message(),
            batch_size: default_batch_size(),
            batch_delay_ms: default_batch_delay(),
            max_connections: default_max_connections(),
            shutdown_grace_ms: default_grace(),
            source,
        }
    }
}

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TOML could not be read.
    #[error("syslog 受信設定を読めません: {0}")]
    Toml(String),
    /// A source mapping is wrong.
    #[error(transparent)]
    Mapping(#[from] ConfigError),
    /// No listener configured.
    #[error("syslog 受信設定に待ち受け（listen.udp / listen.tcp / listen.tls）がありません")]
    NoListener,
    /// Binding a socket failed.
    #[error("{transport} {addr} で待ち受けできません: {source}")]
    Bind {
        /// `UDP`, `TCP` or `TLS`.
        transport: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The certificate or key could not be loaded.
    #[error("TLS の証明書または秘密鍵 {path} を読めません: {reason}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
}

/// Counters, shared by every task.
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    mapped: AtomicU64,
    quarantined: [AtomicU64; REASON_CODES.len()],
    connections: AtomicU64,
    rejected_connections: AtomicU64,
    tls_failures: AtomicU64,
    undelivered: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages received (every framed message or datagram).
    pub received: u64,
    /// Messages mapped to events.
    pub mapped: u64,
    /// Messages quarantined, per [`Reason::code`] (only codes that occurred).
    pub quarantined: BTreeMap<&'static str, u64>,
    /// TCP/TLS connections accepted.
    pub connections: u64,
    /// Connections closed at once because `max_connections` were open.
    pub rejected_connections: u64,
    /// TLS connections whose handshake failed or timed out (no message was read).
    pub tls_failures: u64,
    /// Messages processed but not delivered because the sink was closed.
    pub undelivered: u64,
}

impl Stats {
    /// All quarantined messages.
    pub fn quarantined_total(&self) -> u64 {
        self.quarantined.values().sum()
    }
}

impl Counters {
    fn snapshot(&self) -> Stats {
        let quarantined = REASON_CODES
            .iter()
            .zip(&self.quarantined)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        Stats {
            received: self.received.load(Ordering::Relaxed),
            mapped: self.mapped.load(Ordering::Relaxed),
            quarantined,
            connections: self.connections.load(Ordering::Relaxed),
            rejected_connections: self.rejected_connections.load(Ordering::Relaxed),
            tls_failures: self.tls_failures.load(Ordering::Relaxed),
            undelivered: self.undelivered.load(Ordering::Relaxed),
        }
    }
}

/// What every listener task shares.
struct Shared {
    mapper: Mapper,
    counters: Counters,
    max_message: usize,
}

impl Shared {
    /// Parses and maps one message into `out`, counting it.
    fn handle(&self, raw: &[u8], peer: SocketAddr, transport: Transport, out: &mut Batch) {
        let origin = Origin {
            peer,
            transport,
            received_at_us: now_us(),
        };
        let result = parse(raw, origin.received_at_us)
            .map_err(Reason::Parse)
            .and_then(|m| self.mapper.map(&m, peer.ip(), origin.received_at_us));
        match result {
            Ok(mapped) => {
                self.counters.received.fetch_add(1, Ordering::Relaxed);
                self.counters.mapped.fetch_add(1, Ordering::Relaxed);
                out.events.push(Received {
                    event: mapped.event,
                    source: mapped.source,
                    origin,
                });
            }
            Err(reason) => self.quarantine(origin, raw, reason, out),
        }
    }

    fn quarantine(&self, origin: Origin, raw: &[u8], reason: Reason, out: &mut Batch) {
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        if let Some(c) = self.counters.quarantined.get(reason.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        tracing::debug!(peer = %origin.peer, reason = reason.code(), "syslog message quarantined");
        out.quarantined.push(Quarantined::new(origin, raw, reason));
    }

    fn frame(&self, f: Frame<'_>, peer: SocketAddr, transport: Transport, out: &mut Batch) {
        let origin = || Origin {
            peer,
            transport,
            received_at_us: now_us(),
        };
        match f {
            Frame::Message(b) => self.handle(b, peer, transport, out),
            Frame::TooLong(b) => self.quarantine(
                origin(),
                b,
                Reason::TooLong {
                    limit: self.max_message,
                },
                out,
            ),
            Frame::BadFrame(b) => self.quarantine(origin(), b, Reason::BadFrame, out),
            Frame::Truncated { raw, expected } => self.quarantine(
                origin(),
                raw,
                Reason::Truncated {
                    expected,
                    received: raw.len(),
                },
                out,
            ),
        }
    }
}

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// A running receiver. Dropping it without [`Receiver::shutdown`] aborts its tasks.
pub struct Receiver {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
    batcher: Option<JoinHandle<()>>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    tls: Option<SocketAddr>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("udp", &self.udp)
            .field("tcp", &self.tcp)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        for l in &self.listeners {
            l.abort();
        }
        if let Some(b) = &self.batcher {
            b.abort();
        }
    }
}

impl Receiver {
    /// Binds the configured listeners and starts receiving; batches go to `sink`. Must be
    /// called inside a tokio runtime. A full sink slows TCP senders down (back pressure);
    /// UDP datagrams that arrive meanwhile may be dropped by the kernel, as with any UDP
    /// syslog receiver.
    pub async fn start(config: Config, sink: mpsc::Sender<Batch>) -> Result<Receiver, Error> {
        let mapper = Mapper::new(&config.source)?;
        let l = &config.listen;
        if l.udp.is_none() && l.tcp.is_none() && l.tls.is_none() {
            return Err(Error::NoListener);
        }
        let tls_acceptor = match &l.tls {
            Some(t) => Some(tls_acceptor(&t.cert, &t.key)?),
            None => None,
        };
        let bind_err = |transport, addr| {
            move |source| Error::Bind {
                transport,
                addr,
                source,
            }
        };
        let udp = match l.udp {
            Some(a) => Some(UdpSocket::bind(a).await.map_err(bind_err("UDP", a))?),
            None => None,
        };
        let tcp = match l.tcp {
            Some(a) => Some(TcpListener::bind(a).await.map_err(bind_err("TCP", a))?),
            None => None,
        };
        let tls = match &l.tls {
            Some(t) => Some(
                TcpListener::bind(t.addr)
                    .await
                    .map_err(bind_err("TLS", t.addr))?,
            ),
            None => None,
        };

        let shared = Arc::new(Shared {
            mapper,
            counters: Counters::default(),
            max_message: config.max_message_bytes.max(64),
        });
        let (stop, stop_rx) = watch::channel(false);
        let (piece_tx, piece_rx) = mpsc::channel::<Batch>(256);
        let batcher = tokio::spawn(batcher(
            piece_rx,
            sink,
            config.batch_size.max(1),
            Duration::from_millis(config.batch_delay_ms),
            shared.clone(),
        ));
        let limits = Limits {
            grace: Duration::from_millis(config.shutdown_grace_ms),
            connections: Arc::new(Semaphore::new(config.max_connections.max(1))),
        };
        let mut out = Receiver {
            shared: shared.clone(),
            stop,
            listeners: Vec::new(),
            batcher: Some(batcher),
            udp: None,
            tcp: None,
            tls: None,
        };
        if let Some(sock) = udp {
            out.udp = sock.local_addr().ok();
            out.listeners.push(tokio::spawn(udp_loop(
                sock,
                shared.clone(),
                piece_tx.clone(),
                stop_rx.clone(),
            )));
        }
        if let Some(listener) = tcp {
            out.tcp = listener.local_addr().ok();
            out.listeners.push(tokio::spawn(accept_loop(
                listener,
                None,
                shared.clone(),
                piece_tx.clone(),
                stop_rx.clone(),
                limits.clone(),
            )));
        }
        if let Some(listener) = tls {
            out.tls = listener.local_addr().ok();
            out.listeners.push(tokio::spawn(accept_loop(
                listener,
                tls_acceptor,
                shared.clone(),
                piece_tx.clone(),
                stop_rx.clone(),
                limits.clone(),
            )));
        }
        Ok(out)
    }

    /// The bound UDP address (with the real port when 0 was configured).
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp
    }

    /// The bound TCP address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The bound TLS address.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Stops accepting, lets open connections deliver what they send within the grace
    /// period, delivers the last batch and returns the final counters.
    pub async fn shutdown(mut self) -> Stats {
        let _ = self.stop.send(true);
        for l in std::mem::take(&mut self.listeners) {
            let _ = l.await;
        }
        if let Some(b) = self.batcher.take() {
            let _ = b.await;
        }
        self.shared.counters.snapshot()
    }
}

#[derive(Clone)]
struct Limits {
    grace: Duration,
    connections: Arc<Semaphore>,
}

/// Collects pieces into batches of at most `size`, delivered at the latest `delay` after
/// their first message arrived. Ends (after a last delivery) when every sender is gone.
async fn batcher(
    mut rx: mpsc::Receiver<Batch>,
    sink: mpsc::Sender<Batch>,
    size: usize,
    delay: Duration,
    shared: Arc<Shared>,
) {
    let mut pending = Batch::default();
    let mut deadline: Option<Instant> = None;
    loop {
        let piece = match deadline {
            Some(d) => tokio::select! {
                p = rx.recv() => p,
                () = tokio::time::sleep_until(d) => {
                    deliver(&sink, &mut pending, &shared).await;
                    deadline = None;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        let Some(mut piece) = piece else {
            deliver(&sink, &mut pending, &shared).await;
            return;
        };
        if pending.is_empty() {
            deadline = Some(Instant::now() + delay);
        }
        pending.append(&mut piece);
        // One read can bring more than a batch: deliver full batches, keep the rest.
        while pending.len() >= size {
            let mut full = pending.split_to(size);
            deliver(&sink, &mut full, &shared).await;
        }
        if pending.is_empty() {
            deadline = None;
        }
    }
}

async fn deliver(sink: &mpsc::Sender<Batch>, pending: &mut Batch, shared: &Shared) {
    if pending.is_empty() {
        return;
    }
    let batch = std::mem::take(pending);
    let n = batch.len() as u64;
    if sink.send(batch).await.is_err() {
        shared.counters.undelivered.fetch_add(n, Ordering::Relaxed);
        tracing::error!(messages = n, "syslog sink closed: batch not delivered");
    }
}

/// Largest UDP payload (65,535 − 8-byte UDP header − 20-byte IPv4 header), plus one.
const UDP_BUF: usize = 65_536;
/// Datagrams gathered into one piece when several are waiting.
const UDP_GATHER: usize = 256;

async fn udp_loop(
    sock: UdpSocket,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Batch>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; UDP_BUF];
    loop {
        let first = tokio::select! {
            r = sock.recv_from(&mut buf) => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        let mut piece = Batch::default();
        match first {
            Ok((n, peer)) => datagram(&shared, buf.get(..n).unwrap_or_default(), peer, &mut piece),
            Err(e) => {
                // E.g. ICMP port unreachable reported on some platforms: keep listening.
                tracing::debug!(error = %e, "syslog UDP receive error");
                continue;
            }
        }
        for _ in 1..UDP_GATHER {
            match sock.try_recv_from(&mut buf) {
                Ok((n, peer)) => {
                    datagram(&shared, buf.get(..n).unwrap_or_default(), peer, &mut piece);
                }
                Err(_) => break,
            }
        }
        if tx.send(piece).await.is_err() {
            break;
        }
    }
    // Datagrams already queued in the kernel at shutdown are still taken.
    let mut piece = Batch::default();
    while let Ok((n, peer)) = sock.try_recv_from(&mut buf) {
        datagram(&shared, buf.get(..n).unwrap_or_default(), peer, &mut piece);
    }
    if !piece.is_empty() {
        let _ = tx.send(piece).await;
    }
}

fn datagram(shared: &Shared, bytes: &[u8], peer: SocketAddr, out: &mut Batch) {
    if bytes.len() > shared.max_message {
        let origin = Origin {
            peer,
            transport: Transport::Udp,
            received_at_us: now_us(),
        };
        let reason = Reason::TooLong {
            limit: shared.max_message,
        };
        shared.quarantine(
            origin,
            bytes.get(..shared.max_message).unwrap_or_default(),
            reason,
            out,
        );
    } else {
        shared.handle(bytes, peer, Transport::Udp, out);
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Batch>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) {
    let transport = if tls.is_some() {
        Transport::Tls
    } else {
        Transport::Tcp
    };
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "syslog accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = limits.connections.clone().try_acquire_owned() else {
            shared
                .counters
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, "syslog connection refused: too many open connections");
            continue;
        };
        shared.counters.connections.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%peer, transport = transport.code(), "syslog connection");
        let shared = shared.clone();
        let tx = tx.clone();
        let stop = stop.clone();
        let grace = limits.grace;
        let tls = tls.clone();
        conns.spawn(async move {
            let _permit = permit;
            match tls {
                None => connection(stream, peer, transport, shared, tx, stop, grace).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await;
                    match handshake {
                        Ok(Ok(s)) => {
                            connection(s, peer, transport, shared, tx, stop, grace).await;
                        }
                        Ok(Err(e)) => {
                            shared.counters.tls_failures.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%peer, error = %e, "syslog TLS handshake failed");
                        }
                        Err(_) => {
                            shared.counters.tls_failures.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%peer, "syslog TLS handshake timed out");
                        }
                    }
                }
            }
        });
    }
    while conns.join_next().await.is_some() {}
}

/// Bytes read per call.
const READ_CHUNK: usize = 16 * 1024;

async fn connection<S: AsyncRead + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    transport: Transport,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Batch>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut framer = Framer::new(shared.max_message);
    let mut deadline: Option<Instant> = None;
    loop {
        framer.compact();
        let buf = framer.buffer_mut();
        buf.reserve(READ_CHUNK);
        let read = match deadline {
            None => tokio::select! {
                r = stream.read_buf(buf) => Some(r),
                _ = stop.wait_for(|s| *s) => {
                    deadline = Some(Instant::now() + grace);
                    continue;
                }
            },
            Some(d) => tokio::time::timeout_at(d, stream.read_buf(buf)).await.ok(),
        };
        let n = match read {
            Some(Ok(n)) => n,
            Some(Err(e)) => {
                tracing::debug!(%peer, error = %e, "syslog connection read error");
                0
            }
            // Grace period over.
            None => 0,
        };
        let mut piece = Batch::default();
        while let Some(f) = framer.next_frame() {
            shared.frame(f, peer, transport, &mut piece);
        }
        if n == 0
            && let Some(f) = framer.finish()
        {
            shared.frame(f, peer, transport, &mut piece);
        }
        if !piece.is_empty() && tx.send(piece).await.is_err() {
            return;
        }
        if n == 0 {
            return;
        }
    }
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let err = |path: &Path, reason: String| Error::Tls {
        path: path.to_owned(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| err(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(cert, "PEM の証明書（CERTIFICATE）がありません".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| err(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| err(key, e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The example in the crate README is a valid configuration.
    #[test]
    fn readme_example_config_is_valid() {
        let readme = include_str!("../README.md");
        let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
        let len = readme[start..].find("```").unwrap();
        let config = Config::from_toml(&readme[start..start + len]).unwrap();
        assert_eq!(config.max_message_bytes, 65536);
        assert_eq!(config.listen.tls.as_ref().unwrap().addr.port(), 6514);
        assert_eq!(config.source.len(), 2);
        let mapper = Mapper::new(&config.source).unwrap();
        assert_eq!(
            mapper.source_names().collect::<Vec<_>>(),
            ["電子カルテ", "検査システム"]
        );
        // The README's sample lines map as described.
        let now = jiff::Timestamp::now().as_microsecond();
        let emr = parse(
            "<14>1 2025-04-01T09:30:00+09:00 emr-sv01 emr - - [access@32473 user=\"tanaka\" patient=\"P000123\" action=\"REF\" terminal=\"PC-05\"] 診療録参照".as_bytes(),
            now,
        )
        .unwrap();
        let e = mapper
            .map(&emr, "192.168.10.3".parse().unwrap(), now)
            .unwrap();
        assert_eq!(e.event.action, anzen_ingest::AccessAction::View);
        assert_eq!(e.event.terminal.as_deref(), Some("PC-05"));
        let (body, _, _) = encoding_rs::SHIFT_JIS
            .encode("user=sato patient=P000456 action=閲覧 result=0 host=LAB-PC3");
        let mut raw = b"<13>Apr  1 09:30:00 lab-sv01 lab: ".to_vec();
        raw.extend_from_slice(&body);
        let lab = parse(&raw, now).unwrap();
        let e = mapper.map(&lab, "10.1.1.1".parse().unwrap(), now).unwrap();
        assert_eq!(e.source.as_ref(), "検査システム");
        assert_eq!(e.event.user, "sato");
        assert_eq!(e.event.result, Some(anzen_ingest::AccessResult::Success));
        assert_eq!(e.event.terminal.as_deref(), Some("LAB-PC3"));
        assert!(e.event.detail.unwrap().contains("action=閲覧"));
        assert_eq!(e.event.system, "lab");
    }
}
