//! The ports: what the core needs from the world, implemented by adapters (tantivy for
//! the index, SQLite for the store, Discord for the courier). Tests and benchmarks can
//! swap them.
//!
//! - `index`: the full-text index of passages
//! - `documents`: ingested documents and their passages (the truth the index is derived
//!   from), and paging state
//! - `assignments`: forms, people, submissions and conversations
//! - `meetings`: meetings with their setup and reminder schedule
//! - `reminders`: claiming due rungs, the outbox of deliveries
//! - `courier`: sending a notice to a person or a channel
//! - `files`: reading PDF, Excel, Word and text files into text
//! - `cluster`: the leader's lease and each process's record, for several processes on
//!   one database

mod assignments;
mod cluster;
mod courier;
mod documents;
mod files;
mod index;
mod meetings;
mod reminders;

pub use assignments::{
    AssignmentStore, ConversationState, FormSaved, MessageId, Submission, SubmittedVersion,
    TurnDone, TurnState, TurnWrite,
};
pub use cluster::{ClusterStore, Lease, LeaseRecord, NodeRecord, NodeRole};
pub use courier::{Courier, DeliveryError};
pub use documents::{
    DocumentChanges, DocumentStore, FigureRecord, PageStore, SourceFingerprint, SourcedDocument,
};
pub use files::{FileReader, ReadFailure, ReadFile};
pub use index::{IndexState, PassageIndex};
pub use meetings::{MeetingStore, StepRecord};
pub use reminders::{Delivery, DeliveryOutcome, DueStep, Finished, NewDelivery, ReminderStore};

/// Any error an adapter's library gives (sqlx, tantivy, I/O), kept as the cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors from the store: what it was doing, and why it failed. For logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("store: {context}")]
pub struct StoreError {
    context: String,
    #[source]
    source: Option<BoxError>,
}

impl StoreError {
    pub fn new(context: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// A failure with no underlying error (a row that should exist and does not).
    pub fn msg(context: impl Into<String>) -> StoreError {
        StoreError {
            context: context.into(),
            source: None,
        }
    }
}

/// Errors from the index: what it was doing, and why it failed. For logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("search index: {context}")]
pub struct IndexError {
    context: String,
    #[source]
    source: Option<BoxError>,
}

impl IndexError {
    pub fn new(context: impl Into<String>, source: impl Into<BoxError>) -> IndexError {
        IndexError {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    pub fn msg(context: impl Into<String>) -> IndexError {
        IndexError {
            context: context.into(),
            source: None,
        }
    }
}
