//! The syslog receiver inside `anzen serve` (`[syslog]` in `anzen.toml`): batches from
//! `anzen_syslog::Receiver` are appended to the organisation's access-log store (one
//! transaction and one ledger entry per batch), messages that could not be read or mapped
//! go to the store's quarantine with their reason, and the monitoring rules run over the
//! received time range at most every `monitor_every_seconds` (60 by default).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use anzen_accesslog::AccessLogError;
use anzen_ingest::{AccessEvent, Problem};
use anzen_store::Store;
use anzen_store::orgs::Org;
use tokio::sync::mpsc;

use crate::config::SyslogSection;

/// The running receiver and the task storing its batches.
pub struct Running {
    receiver: anzen_syslog::Receiver,
    sink: tokio::task::JoinHandle<()>,
}

/// Binds the listeners and starts storing what arrives.
pub async fn start(store: Store, cfg: &SyslogSection) -> Result<Running> {
    let s = store.clone();
    let key = cfg.org.clone();
    let org =
        tokio::task::spawn_blocking(move || crate::verify::select_org(&s, Some(&key))).await??;
    let (tx, rx) = mpsc::channel(64);
    let receiver = anzen_syslog::Receiver::start(cfg.receiver_config(), tx)
        .await
        .context("starting the syslog receiver")?;
    tracing::info!(
        org = %org.profile.name,
        udp = ?receiver.udp_addr(),
        tcp = ?receiver.tcp_addr(),
        tls = ?receiver.tls_addr(),
        "syslog receiver listening"
    );
    let every = Duration::from_secs(cfg.monitor_every_seconds.unwrap_or(60));
    let sink = tokio::spawn(sink(store, org, rx, every));
    Ok(Running { receiver, sink })
}

impl Running {
    /// Stops listening, stores what is still in flight and runs the monitoring once more.
    pub async fn shutdown(self) {
        let stats = self.receiver.shutdown().await;
        let _ = self.sink.await;
        tracing::info!(
            received = stats.received,
            mapped = stats.mapped,
            quarantined = stats.quarantined_total(),
            "syslog receiver stopped"
        );
    }
}

/// Stores one batch in one transaction; returns the events' time span.
pub(crate) fn store_batch(
    store: &Store,
    org: &Org,
    batch: anzen_syslog::Batch,
) -> Result<Option<(i64, i64)>, AccessLogError> {
    let events: Vec<AccessEvent> = batch.events.into_iter().map(|r| r.event).collect();
    let span = events.iter().fold(None, |acc: Option<(i64, i64)>, e| {
        Some(acc.map_or((e.time_us, e.time_us), |(a, b)| {
            (a.min(e.time_us), b.max(e.time_us))
        }))
    });
    store.write(|c| -> Result<(), AccessLogError> {
        anzen_accesslog::append_events(c, org, "syslog", &events)?;
        for q in &batch.quarantined {
            let origin = format!("syslog:{}/{}", q.origin.peer, q.origin.transport.code());
            let p = Problem::file(&origin, q.reason_ja());
            anzen_accesslog::import::quarantine(c, org, None, &origin, &p, Some(&q.text))?;
        }
        Ok(())
    })?;
    Ok(span)
}

async fn sink(
    store: Store,
    org: Org,
    mut rx: mpsc::Receiver<anzen_syslog::Batch>,
    every: Duration,
) {
    let mut pending: Option<(i64, i64)> = None;
    let mut last_run: Option<Instant> = None;
    let mut tick =
        tokio::time::interval(Duration::from_secs(1).min(every.max(Duration::from_millis(100))));
    loop {
        let closed = tokio::select! {
            b = rx.recv() => match b {
                Some(batch) => {
                    let (s, o) = (store.clone(), org.clone());
                    match tokio::task::spawn_blocking(move || store_batch(&s, &o, batch)).await {
                        Ok(Ok(Some((a, b)))) => {
                            pending = Some(pending.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
                        }
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "storing a syslog batch failed"),
                        Err(e) => tracing::error!(error = %e, "syslog store task failed"),
                    }
                    false
                }
                None => true,
            },
            _ = tick.tick() => false,
        };
        let due = last_run.is_none_or(|t| t.elapsed() >= every);
        if let Some((a, b)) = pending
            && (due || closed)
        {
            pending = None;
            last_run = Some(Instant::now());
            let (s, o) = (store.clone(), org.clone());
            let r = tokio::task::spawn_blocking(move || {
                s.write(|c| anzen_web::checks::check_access_log(c, &o, "syslog", a, b + 1))
            })
            .await;
            match r {
                Ok(Ok(run)) => tracing::info!(
                    from = %run.from, to = %run.to, events = run.events,
                    opened = run.applied.opened + run.applied.reopened,
                    "access-log monitoring after syslog"
                ),
                Ok(Err(e)) => tracing::warn!(error = %e, "access-log monitoring failed"),
                Err(e) => tracing::warn!(error = %e, "access-log monitoring task failed"),
            }
        }
        if closed {
            return;
        }
    }
}
