//! `anzen serve`: the web server on loopback (HTTP) or with TLS (rustls), with graceful
//! shutdown and the periodic housekeeping (expired sessions).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use anzen_store::Store;
use anzen_store::ledger::Checkpointer;
use anzen_web::AppState;

use crate::config::{self, Config};
use crate::{DataArg, UsageError};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address to listen on (overrides the config file), e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<String>,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let dir = args.data.dir();
    if !dir.join(config::CONFIG_FILE).exists() {
        return Err(UsageError(format!(
            "{} is not an anzen data directory (run `anzen init --data {}` first)",
            dir.display(),
            dir.display()
        ))
        .into());
    }
    let mut cfg = Config::load(&dir)?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    let store = Store::open(&cfg.database_url(&dir)).with_context(|| {
        format!(
            "opening database {}",
            anzen_store::redact_url(&cfg.database)
        )
    })?;
    let checkpointer = cfg.checkpointer(&dir)?;
    serve_store(store, &cfg, checkpointer, None)
}

/// Runs the server until Ctrl-C or SIGTERM. `ready` is called with the bound address
/// (the demo prints its banner there).
pub fn serve_store(
    store: Store,
    cfg: &Config,
    checkpointer: Checkpointer,
    ready: Option<Box<dyn FnOnce(SocketAddr) + Send>>,
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state =
            AppState::new(store.clone(), cfg.web_config()).with_checkpointer(checkpointer.clone());
        let addr: SocketAddr = cfg
            .listen
            .parse()
            .map_err(|_| UsageError(format!("listen address {:?} is not host:port", cfg.listen)))?;
        tokio::spawn(housekeeping(store.clone(), cfg.web_config()));
        tokio::spawn(checkpoints(store.clone(), checkpointer.clone()));
        let syslog = match &cfg.syslog {
            Some(sc) => Some(crate::syslog::start(store.clone(), sc).await?),
            None => None,
        };
        match &cfg.tls {
            None => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr}"))?;
                let bound = listener.local_addr()?;
                tracing::info!(%bound, database = %anzen_store::redact_url(&cfg.database), "anzen serving HTTP");
                if let Some(r) = ready {
                    r(bound);
                }
                anzen_web::serve(listener, state, shutdown_signal()).await?;
            }
            Some(tls) => {
                let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                    .await
                    .with_context(|| format!("loading TLS certificate {} and key {}", tls.cert.display(), tls.key.display()))?;
                let handle = axum_server::Handle::new();
                let h2 = handle.clone();
                tokio::spawn(async move {
                    shutdown_signal().await;
                    h2.graceful_shutdown(Some(Duration::from_secs(10)));
                });
                tracing::info!(%addr, "anzen serving HTTPS");
                if let Some(r) = ready {
                    r(addr);
                }
                axum_server::bind_rustls(addr, rustls)
                    .handle(handle)
                    .serve(anzen_web::router(state).into_make_service_with_connect_info::<SocketAddr>())
                    .await?;
            }
        }
        if let Some(r) = syslog {
            r.shutdown().await;
        }
        // Clean shutdown: every ledger entry written so far gets under a signed checkpoint.
        let (s, cp) = (store.clone(), checkpointer.clone());
        let n = tokio::task::spawn_blocking(move || cp.checkpoint_all(&s, true)).await??;
        tracing::info!(checkpoints = n, "shut down cleanly");
        Ok(ExitCode::SUCCESS)
    })
}

/// Signs checkpoints when due (every N entries or T seconds); checks every few seconds.
async fn checkpoints(store: Store, cp: Checkpointer) {
    let period = cp.every.min(Duration::from_secs(5));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let (s, c) = (store.clone(), cp.clone());
        match tokio::task::spawn_blocking(move || c.checkpoint_all(&s, false)).await {
            Ok(Err(e)) => tracing::warn!(error = %e, "writing ledger checkpoints failed"),
            Err(e) => tracing::warn!(error = %e, "checkpoint task failed"),
            Ok(Ok(_)) => {}
        }
    }
}

async fn housekeeping(store: Store, web: anzen_web::WebConfig) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let s = store.clone();
        let (idle, abs) = (
            web.session_idle.as_micros() as i64,
            web.session_absolute.as_micros() as i64,
        );
        let r = tokio::task::spawn_blocking(move || {
            let now = anzen_store::now_us();
            // Idle sessions are kept (locked) for a day so the user can unlock; then purged.
            let mut c = s.conn()?;
            anzen_store::webauthn::purge_expired_challenges(&mut c, now)?;
            anzen_store::sessions::purge_expired(&mut c, now - idle.max(86_400_000_000), now - abs)
        })
        .await;
        if let Ok(Err(e)) = r {
            tracing::warn!(error = %e, "session housekeeping failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
