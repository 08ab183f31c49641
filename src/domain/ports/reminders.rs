//! The reminder schedule and the outbox. Claims are atomic: a worker owns what it claimed
//! until `claim_until`; after that (a crash) another worker may take it over.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::ids::{DeliveryId, MeetingId};
use crate::domain::meetings::ladder::Audience;
use crate::domain::meetings::reminders::{DeliveryState, Notice, Reach, Recipient, StepState, Via};

/// A rung of a meeting's ladder that is due and now claimed by one worker.
#[derive(Debug, Clone, PartialEq)]
pub struct DueStep {
    pub meeting_id: MeetingId,
    pub step: String,
    pub audience: Audience,
    pub due_at: DateTime<Utc>,
}

/// A message to be sent, created once per recipient and step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub meeting_id: MeetingId,
    pub step: String,
    pub recipient: Recipient,
    pub region_key: String,
    pub notice: Notice,
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub meeting_id: MeetingId,
    pub step: String,
    pub recipient: Recipient,
    pub region_key: String,
    pub notice: Notice,
    pub nonce: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub state: DeliveryState,
    pub via: Option<Via>,
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Sent {
        via: Via,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
    /// Not attempted (this process stopped leading): back to the outbox as it was, the
    /// attempt not counted.
    Released,
    /// No longer needed (the region submitted meanwhile).
    Cancelled {
        why: String,
    },
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Claims every pending rung due at `now` that nobody holds.
    async fn claim_due_steps(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
    ) -> Result<Vec<DueStep>, StoreError>;
    /// In one transaction: the rungs take their new state and the deliveries are
    /// created. Returns false (and changes nothing) if the claim was lost.
    async fn settle_steps(
        &self,
        worker: &str,
        meeting: MeetingId,
        settled: &[(String, StepState)],
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError>;
    /// Creates deliveries outside the ladder (a nudge); existing ones are left alone.
    async fn add_deliveries(&self, deliveries: &[NewDelivery]) -> Result<usize, StoreError>;
    /// Claims up to `limit` deliveries to recipients within `reach` that are ready to
    /// send, including ones whose sender stopped mid-send (their claim ran out); counts
    /// the attempt.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: u32,
        reach: Reach,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Records how attempts ended, each with its follow-up deliveries (flags to
    /// organizers), all in one transaction. A delivery whose claim was lost meanwhile (taken
    /// over by another worker) is left to that worker, follow-ups included; returns how
    /// many were recorded.
    async fn finish_deliveries(
        &self,
        worker: &str,
        finished: &[Finished],
    ) -> Result<usize, StoreError>;
    async fn deliveries(&self, meeting: MeetingId) -> Result<Vec<Delivery>, StoreError>;
    /// The earliest moment something becomes due (to sleep until then).
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// A new leader's first act: the rungs and the Discord deliveries other workers had
    /// claimed are released at once instead of when their claims run out (only the leader
    /// sends to Discord, so their worker is gone or has stopped; a delivery it may already
    /// have sent goes again with its nonce). Terminal deliveries (`local:`) are left to
    /// whoever claimed them. Returns (rungs, deliveries) released.
    async fn take_over_claims(&self, worker: &str) -> Result<(usize, usize), StoreError>;
}

/// How one attempt at a delivery ended (`ReminderStore::finish_deliveries`).
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: DeliveryId,
    pub outcome: DeliveryOutcome,
    pub follow_ups: Vec<NewDelivery>,
}
