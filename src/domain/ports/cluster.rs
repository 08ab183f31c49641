//! Several nimo processes on one database: the lease that makes one of them the leader
//! (it alone serves Discord and runs the reminder scheduler), and the record each process
//! keeps of itself so an operator can see who leads and how far each one lags.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// The leader's lease. Exactly one process holds it at a time; it is lost when its holder
/// dies (at once on PostgreSQL, after the expiry on SQLite) or can no longer prove it
/// holds it.
#[async_trait]
pub trait Lease: Send + Sync {
    /// Takes the lease if nobody holds it; true when this process holds it now.
    async fn try_acquire(&self) -> Result<bool, StoreError>;
    /// Proves the lease is still held (and extends it where it expires); false or an
    /// error means it is lost and this process must stop acting as the leader at once.
    async fn renew(&self) -> Result<bool, StoreError>;
    /// Gives the lease up (a clean stop), so a standby takes over without waiting.
    async fn release(&self);
    /// How often `renew` must be called.
    fn renew_every(&self) -> std::time::Duration;
    /// How long a holder may go without a successful renewal before it must consider the
    /// lease lost (shorter than what others wait before taking it over).
    fn trust_for(&self) -> std::time::Duration;
}

/// What a process says of itself (`ClusterStore::heartbeat`).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRecord {
    /// host:pid:start — unique per process run.
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub role: NodeRole,
    /// The store generation its search index reflects.
    pub index_generation: u64,
    pub started_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    Leader,
    Standby,
    Stopped,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Leader => "leader",
            NodeRole::Standby => "standby",
            NodeRole::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<NodeRole> {
        match s {
            "leader" => Some(NodeRole::Leader),
            "standby" => Some(NodeRole::Standby),
            "stopped" => Some(NodeRole::Stopped),
            _ => None,
        }
    }
}

/// Who holds the lease, as recorded by the holder.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseRecord {
    pub holder: String,
    pub since: DateTime<Utc>,
    pub renewed_at: DateTime<Utc>,
}

/// The cluster's view of itself in the database.
#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Records (or refreshes) this process.
    async fn heartbeat(&self, node: &NodeRecord) -> Result<(), StoreError>;
    /// Every process that recorded itself, most recently seen first.
    async fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError>;
    /// The lease as its holder last recorded it.
    async fn lease_record(&self) -> Result<Option<LeaseRecord>, StoreError>;
    /// The earliest reminder work that was due before `now` and is still waiting (a rung
    /// not yet sent, a delivery not yet attempted): how far the scheduler lags.
    async fn oldest_overdue(&self, now: DateTime<Utc>)
    -> Result<Option<DateTime<Utc>>, StoreError>;
}
