//! The ports: what the core needs from the world, implemented by adapters (tantivy for
//! the index, SQLite for the store). Tests and benchmarks can swap them.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::search::passage::Document;
use crate::domain::search::query::{KnownRegion, SearchRequest};
use crate::domain::search::results::SearchResults;

/// Errors from an index adapter. Messages are for logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct IndexError(pub String);

/// Which lexicon and which store generation an index was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    pub lexicon: String,
    pub generation: u64,
}

/// The full-text index of passages (tantivy in production).
pub trait PassageIndex: Send + Sync {
    /// Replaces, in one commit, every passage of the given documents and removes the
    /// documents listed in `removed`; records the store generation it reflects.
    fn replace_documents(
        &self,
        documents: &[Document],
        removed: &[String],
        generation: u64,
    ) -> Result<(), IndexError>;
    /// Searches; an empty request text lists the filtered passages in document order.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError>;
    /// Number of passages indexed.
    fn passage_count(&self) -> Result<usize, IndexError>;
    /// What the index was last committed from, if it was ever committed.
    fn state(&self) -> Result<Option<IndexState>, IndexError>;
    /// The lexicon fingerprint this index process analyzes with.
    fn lexicon(&self) -> String;
    /// Drops everything and indexes these documents (a rebuild from the store).
    fn rebuild(&self, documents: &[Document], generation: u64) -> Result<(), IndexError>;
}

/// Errors from the store. Messages are for logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// What the store knows of an ingested file, to skip unchanged ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFingerprint {
    pub sha256: String,
    pub lexicon: String,
}

/// A parsed document together with where it came from.
#[derive(Debug, Clone)]
pub struct SourcedDocument {
    pub document: Document,
    pub source_path: String,
    pub sha256: String,
    pub lexicon: String,
}

/// The database of documents and passages: the truth the index is derived from.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Fingerprints of every stored document, by document id.
    async fn fingerprints(&self) -> Result<HashMap<String, SourceFingerprint>, StoreError>;
    /// Replaces these documents (and their passages) in one transaction; returns the new
    /// generation.
    async fn replace_documents(&self, documents: &[SourcedDocument]) -> Result<u64, StoreError>;
    /// Removes documents; returns the new generation.
    async fn remove_documents(&self, ids: &[String]) -> Result<u64, StoreError>;
    /// Every stored document with its passages, in id order.
    async fn documents(&self) -> Result<Vec<Document>, StoreError>;
    /// Every region with passages.
    async fn regions(&self) -> Result<Vec<KnownRegion>, StoreError>;
    /// Increases with every change.
    async fn generation(&self) -> Result<u64, StoreError>;
}

/// Saved state behind a "next page" button: what was asked, so the button works after a
/// restart and its custom_id stays short.
#[async_trait]
pub trait PageStore: Send + Sync {
    /// Saves a payload (JSON) of some kind; returns a short token.
    async fn save_page(&self, kind: &str, payload: &str) -> Result<String, StoreError>;
    /// The payload saved under a token, if it is still kept.
    async fn load_page(&self, token: &str) -> Result<Option<(String, String)>, StoreError>;
    /// Forgets pages older than this many days; returns how many.
    async fn forget_pages_older_than(&self, days: i64) -> Result<u64, StoreError>;
}

/// A region's submission for a meeting: the draft and the versions submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub id: i64,
    pub meeting_id: i64,
    pub region_key: String,
    pub region_name: String,
    pub form_id: String,
    pub form_version: String,
    /// The last version submitted; 0 while it is only a draft.
    pub submitted_version: u32,
    /// The draft changed after the last submission (修正中).
    pub amended: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A submitted version, as kept forever.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmittedVersion {
    pub version: u32,
    pub answers: crate::domain::forms::Answers,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub submitted_by: String,
}

/// A person's place in a form conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationState {
    pub submission_id: i64,
    pub cursor: crate::domain::forms::Cursor,
    /// While active, a person's messages (DMs, terminal lines) answer the form.
    pub active: bool,
}

/// A new meeting.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub name: String,
    pub fiscal_year: Option<i32>,
    pub form_id: String,
    pub form_version: String,
    pub deadline: chrono::DateTime<chrono::Utc>,
    pub meeting_date: Option<chrono::NaiveDate>,
}

/// Forms, meetings, people and submissions.
#[async_trait]
pub trait AssignmentStore: Send + Sync {
    /// Stores a form version; an existing id@version with another definition is refused.
    async fn save_form(&self, form: &crate::domain::forms::FormDef) -> Result<bool, StoreError>;
    async fn form(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Option<crate::domain::forms::FormDef>, StoreError>;
    async fn forms(&self) -> Result<Vec<crate::domain::forms::FormDef>, StoreError>;

    async fn create_meeting(
        &self,
        meeting: &NewMeeting,
    ) -> Result<crate::domain::meetings::meeting::Meeting, StoreError>;
    async fn update_meeting(&self, meeting: &crate::domain::meetings::meeting::Meeting) -> Result<(), StoreError>;
    async fn meeting(&self, id: i64) -> Result<Option<crate::domain::meetings::meeting::Meeting>, StoreError>;
    async fn meetings(&self) -> Result<Vec<crate::domain::meetings::meeting::Meeting>, StoreError>;

    async fn ensure_person(
        &self,
        id: &crate::domain::people::PersonId,
        name: &str,
    ) -> Result<(), StoreError>;
    async fn person(
        &self,
        id: &crate::domain::people::PersonId,
    ) -> Result<Option<crate::domain::people::Person>, StoreError>;
    async fn people(&self) -> Result<Vec<crate::domain::people::Person>, StoreError>;
    async fn set_grant(
        &self,
        grant: &crate::domain::people::Grant,
        decided_by: Option<&crate::domain::people::PersonId>,
    ) -> Result<(), StoreError>;

    async fn submission(
        &self,
        meeting_id: i64,
        region_key: &str,
    ) -> Result<Option<Submission>, StoreError>;
    async fn submission_by_id(&self, id: i64) -> Result<Option<Submission>, StoreError>;
    async fn create_submission(
        &self,
        meeting_id: i64,
        region_key: &str,
        region_name: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Submission, StoreError>;
    async fn submissions(&self, meeting_id: i64) -> Result<Vec<Submission>, StoreError>;
    async fn answers(&self, submission_id: i64) -> Result<crate::domain::forms::Answers, StoreError>;
    /// Applies a conversation turn in one transaction: answer changes, then the person's
    /// conversation state. A submitted submission whose answers change becomes amended.
    async fn apply_turn(
        &self,
        person: &crate::domain::people::PersonId,
        submission_id: i64,
        ops: &[crate::domain::forms::Op],
        state: &ConversationState,
    ) -> Result<(), StoreError>;
    /// Records the current answers as the next submitted version; returns it.
    async fn submit(
        &self,
        submission_id: i64,
        by: &crate::domain::people::PersonId,
    ) -> Result<SubmittedVersion, StoreError>;
    async fn versions(&self, submission_id: i64) -> Result<Vec<SubmittedVersion>, StoreError>;

    async fn conversation(
        &self,
        person: &crate::domain::people::PersonId,
    ) -> Result<Option<ConversationState>, StoreError>;
    async fn set_conversation(
        &self,
        person: &crate::domain::people::PersonId,
        state: &ConversationState,
    ) -> Result<(), StoreError>;
}

// ---- meetings, deadlines and reminders ------------------------------------------------

/// What a meeting needs beyond its name and deadline to remind and report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeetingSetup {
    /// Where fallbacks and digests may be posted (a Discord channel id).
    pub channel: Option<String>,
    pub policy: crate::domain::meetings::reminders::Policy,
    /// Participating regions (key, name). Empty: every region with registered staff.
    pub regions: Vec<(String, String)>,
    pub organizers: Vec<crate::domain::people::PersonId>,
}

/// A rung of a meeting's ladder that is due and now claimed by one worker.
#[derive(Debug, Clone, PartialEq)]
pub struct DueStep {
    pub meeting_id: i64,
    pub step: String,
    pub audience: crate::domain::meetings::reminders::Audience,
    pub due_at: chrono::DateTime<chrono::Utc>,
}

/// A rung as stored (for listings and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub step: String,
    pub audience: crate::domain::meetings::reminders::Audience,
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// pending, done, merged or expired.
    pub state: String,
}

/// A message to be sent, created once per recipient and step.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub meeting_id: i64,
    pub step: String,
    /// A person id, or `channel:ID` for a post in a channel.
    pub recipient: String,
    pub region_key: String,
    pub notice: crate::domain::meetings::reminders::Notice,
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub meeting_id: i64,
    pub step: String,
    pub recipient: String,
    pub region_key: String,
    pub notice: crate::domain::meetings::reminders::Notice,
    pub nonce: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// pending, sending, sent, failed or cancelled.
    pub state: String,
    pub via: Option<String>,
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Sent {
        via: String,
    },
    Retry {
        at: chrono::DateTime<chrono::Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
    /// No longer needed (the region submitted meanwhile).
    Cancelled {
        why: String,
    },
}

/// The reminder schedule and outbox. Claims are atomic: a worker owns what it claimed
/// until `claim_until`; after that (a crash) another worker may take it over.
#[async_trait]
pub trait ReminderStore: Send + Sync {
    async fn meeting_setup(&self, meeting_id: i64) -> Result<MeetingSetup, StoreError>;
    async fn save_meeting_setup(
        &self,
        meeting_id: i64,
        setup: &MeetingSetup,
    ) -> Result<(), StoreError>;
    /// Sets the pending rungs of a meeting to this schedule. Rungs already sent or
    /// merged stay as they are (nobody gets the same rung twice); pending and expired
    /// ones are replaced.
    async fn replace_schedule(
        &self,
        meeting_id: i64,
        steps: &[(crate::domain::meetings::reminders::Step, chrono::DateTime<chrono::Utc>)],
    ) -> Result<(), StoreError>;
    async fn schedule(&self, meeting_id: i64) -> Result<Vec<StepState>, StoreError>;
    /// Claims every pending rung due at `now` that nobody holds.
    async fn claim_due_steps(
        &self,
        worker: &str,
        now: chrono::DateTime<chrono::Utc>,
        claim_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<DueStep>, StoreError>;
    /// In one transaction: the rungs become done / merged / expired and the deliveries
    /// are created. Returns false (and changes nothing) if the claim was lost.
    async fn settle_steps(
        &self,
        worker: &str,
        meeting_id: i64,
        settled: &[(String, &'static str)],
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError>;
    /// Creates deliveries outside the ladder (a nudge); existing ones are left alone.
    async fn add_deliveries(&self, deliveries: &[NewDelivery]) -> Result<usize, StoreError>;
    /// Claims up to `limit` deliveries ready to send, including ones whose sender
    /// stopped mid-send (their claim ran out); counts the attempt.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: chrono::DateTime<chrono::Utc>,
        claim_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Records how an attempt ended, with any follow-up deliveries (flags to organizers),
    /// in one transaction. False if the claim was lost meanwhile.
    async fn finish_delivery(
        &self,
        worker: &str,
        id: i64,
        outcome: &DeliveryOutcome,
        follow_ups: &[NewDelivery],
    ) -> Result<bool, StoreError>;
    async fn deliveries(&self, meeting_id: i64) -> Result<Vec<Delivery>, StoreError>;
    /// The earliest moment something becomes due (to sleep until then).
    async fn next_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;
}

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
}

/// Sends notices: the Discord front end, or a recorder in tests.
#[async_trait]
pub trait Courier: Send + Sync {
    /// A direct message to a person.
    async fn to_person(
        &self,
        person: &crate::domain::people::PersonId,
        notice: &crate::domain::meetings::reminders::Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError>;
    /// A post in a channel.
    async fn to_channel(
        &self,
        channel: &str,
        notice: &crate::domain::meetings::reminders::Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError>;
}
