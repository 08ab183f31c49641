//! Sending notices: the Discord front end, the terminal, or a recorder in tests.

use async_trait::async_trait;

use crate::domain::meetings::reminders::{Notice, Reach};
use crate::domain::people::PersonId;

/// Why a notice could not be delivered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// The person cannot be reached this way (closed DMs, no Discord account).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// Worth trying again later (network, 5xx, rate limits beyond the budget).
    #[error("transient: {0}")]
    Transient(String),
    /// Refused for good.
    #[error("rejected: {0}")]
    Rejected(String),
    /// Not attempted: this process no longer leads (see `app::cluster`). The delivery goes
    /// back to the outbox as it was, for whoever leads now.
    #[error("not attempted: this process no longer leads")]
    NotLeader,
}

#[async_trait]
pub trait Courier: Send + Sync {
    /// Whom this courier delivers to; it is only given those deliveries.
    fn reach(&self) -> Reach {
        Reach::Everyone
    }
    /// A direct message to a person.
    async fn to_person(
        &self,
        person: &PersonId,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError>;
    /// A post in a channel.
    async fn to_channel(
        &self,
        channel: &str,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError>;
}
