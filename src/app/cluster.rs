//! Several nimo processes on one database: one leads (serves Discord, runs the reminder
//! scheduler), the others stand by, keep their search index current and take over when
//! the leader dies. Also what `nimo status` reports.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::AppError;
use super::error::chain;
use super::library::Library;
use crate::domain::clock::Clock;
use crate::domain::meetings::reminders::{Notice, Reach};
use crate::domain::people::PersonId;
use crate::domain::ports::{
    ClusterStore, Courier, DeliveryError, Lease, LeaseRecord, NodeRecord, NodeRole,
};

/// How often every process applies other processes' changes to its index and records
/// itself.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// How often a standby asks for the lease.
pub const CAMPAIGN_EVERY: Duration = Duration::from_secs(2);

/// This process among the processes sharing the database.
pub struct Cluster {
    lease: Arc<dyn Lease>,
    store: Arc<dyn ClusterStore>,
    library: Arc<Library>,
    /// Wall time: leases and heartbeats are about real time even when tests move the
    /// clock of reminders by hand.
    wall: Arc<dyn Clock>,
    me: NodeRecord,
    leading: watch::Sender<bool>,
    /// When the lease now held was asked for (its trust counts from then).
    won_at: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The database, as the operator named it (password hidden).
    database: String,
}

/// What `nimo status` shows.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    pub database: String,
    pub lease: Option<LeaseRecord>,
    pub nodes: Vec<NodeRecord>,
    /// The database's generation (grows with every change of documents).
    pub store_generation: u64,
    /// The index of the data directory asked about (`None`: there is none).
    pub index_generation: Option<u64>,
    /// The earliest reminder work due and still waiting.
    pub oldest_overdue: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

impl Cluster {
    /// `lease` gives the lease for this process's name.
    pub fn new(
        lease: impl FnOnce(&str) -> Arc<dyn Lease>,
        store: Arc<dyn ClusterStore>,
        library: Arc<Library>,
        wall: Arc<dyn Clock>,
        database: String,
    ) -> Cluster {
        let now = wall.now();
        let host = host_name();
        let pid = std::process::id();
        // Unique per process run, and per instance within one process (tests open several).
        static INSTANCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{host}:{pid}:{}-{n}", now.timestamp_millis());
        Cluster {
            lease: lease(&id),
            store,
            library,
            me: NodeRecord {
                id,
                host,
                pid,
                role: NodeRole::Standby,
                index_generation: 0,
                started_at: now,
                seen_at: now,
            },
            wall,
            leading: watch::channel(false).0,
            won_at: std::sync::Mutex::new(None),
            database,
        }
    }

    /// This process's name in the lease and in `nimo status`.
    pub fn id(&self) -> &str {
        &self.me.id
    }

    /// Whether this process leads right now (checked before every reminder sent).
    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Waits until this process holds the lease, asking every `CAMPAIGN_EVERY`.
    pub async fn campaign(&self) {
        loop {
            let asked = tokio::time::Instant::now();
            match self.lease.try_acquire().await {
                Ok(true) => {
                    *self.won_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(asked);
                    tracing::info!(node = %self.me.id, "this process now leads");
                    self.leading.send_replace(true);
                    self.heartbeat(None).await;
                    return;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %chain(&e), "asking for the lease failed"),
            }
            tokio::time::sleep(CAMPAIGN_EVERY).await;
        }
    }

    /// Keeps the lease while it can be proved; returns as soon as it cannot (having
    /// marked this process as no longer leading first).
    /// To be started as soon as `campaign` returns, and kept running for the whole term.
    pub async fn hold(&self) {
        // A proof counts from when it was asked for, and no renewal may take longer than
        // the trust left: a slow database cannot stretch a term past what a standby waits.
        let trust = self.lease.trust_for();
        // Trusted from when it was asked for, not from when this started.
        let mut last_proof = self
            .won_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(tokio::time::Instant::now);
        loop {
            tokio::time::sleep(self.lease.renew_every()).await;
            let asked = tokio::time::Instant::now();
            let left = trust.saturating_sub(asked - last_proof);
            match tokio::time::timeout(left, self.lease.renew()).await {
                Ok(Ok(true)) => last_proof = asked,
                Ok(Ok(false)) => {
                    tracing::error!("the lease was lost; this process stops leading");
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %chain(&e), "renewing the lease failed");
                    if last_proof.elapsed() >= trust {
                        tracing::error!(
                            "the lease could not be proved in time; this process stops leading"
                        );
                        break;
                    }
                }
                Err(_) => {
                    tracing::error!(
                        "the lease could not be proved in time; this process stops leading"
                    );
                    break;
                }
            }
        }
        self.leading.send_replace(false);
        self.heartbeat(None).await;
    }

    /// Gives the lease up (a clean stop).
    pub async fn step_down(&self) {
        self.leading.send_replace(false);
        self.lease.release().await;
    }

    /// Keeps this process's index and directory current with the database and records
    /// this process, every `FOLLOW_EVERY`, until `stop`.
    pub async fn follow(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.library.follow().await {
                tracing::warn!(error = %e.chain(), "following the database failed");
            }
            self.heartbeat(None).await;
            tokio::select! {
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
                _ = stop.changed() => {
                    self.heartbeat(Some(NodeRole::Stopped)).await;
                    return;
                }
            }
        }
    }

    /// Records this process: its role (or `role`), its index, now.
    async fn heartbeat(&self, role: Option<NodeRole>) {
        let mut me = self.me.clone();
        me.role = role.unwrap_or(if self.is_leader() {
            NodeRole::Leader
        } else {
            NodeRole::Standby
        });
        me.index_generation = self.library.index_generation().unwrap_or(0);
        me.seen_at = self.wall.now();
        if let Err(e) = self.store.heartbeat(&me).await {
            tracing::warn!(error = %chain(&e), "recording this process failed");
        }
    }

    /// Who leads, every process and its index, and how far reminders lag.
    pub async fn status(&self) -> Result<ClusterStatus, AppError> {
        status_of(
            self.store.as_ref(),
            self.library.store_generation().await?,
            Some(self.library.index_generation()?),
            self.wall.now(),
            self.database.clone(),
        )
        .await
    }
}

/// The cluster's status as the database records it, beside the state of one data
/// directory's index (`nimo status` reads it without opening nimo as a whole).
pub async fn status_of(
    store: &dyn ClusterStore,
    store_generation: u64,
    index_generation: Option<u64>,
    now: DateTime<Utc>,
    database: String,
) -> Result<ClusterStatus, AppError> {
    Ok(ClusterStatus {
        database,
        lease: store.lease_record().await?,
        nodes: store.nodes().await?,
        store_generation,
        index_generation,
        oldest_overdue: store.oldest_overdue(now).await?,
        now,
    })
}

/// The machine's name, for telling processes apart.
fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// A courier that sends only while this process leads: a leader that has lost its lease
/// stops sending at once. What it refuses is retried later (by whoever leads then), with
/// the same nonce.
pub struct LeaderOnly {
    pub inner: Arc<dyn Courier>,
    pub cluster: Arc<Cluster>,
}

impl LeaderOnly {
    fn check(&self) -> Result<(), DeliveryError> {
        if self.cluster.is_leader() {
            Ok(())
        } else {
            Err(DeliveryError::NotLeader)
        }
    }
}

#[async_trait]
impl Courier for LeaderOnly {
    fn reach(&self) -> Reach {
        self.inner.reach()
    }

    async fn to_person(
        &self,
        person: &PersonId,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        self.check()?;
        self.inner.to_person(person, notice, nonce).await
    }

    async fn to_channel(
        &self,
        channel: &str,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        self.check()?;
        self.inner.to_channel(channel, notice, nonce).await
    }
}
