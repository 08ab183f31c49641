//! Forms, people, submissions and conversations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::forms::{Answers, Cursor, FormDef, Op};
use crate::domain::ids::{MeetingId, SubmissionId};
use crate::domain::people::{Grant, Person, PersonId};

/// A region's submission for a meeting: the draft and the versions submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub id: SubmissionId,
    pub meeting_id: MeetingId,
    pub region_key: String,
    pub region_name: String,
    pub form_id: String,
    pub form_version: String,
    /// The last version submitted; 0 while it is only a draft.
    pub submitted_version: u32,
    /// The draft changed after the last submission (修正中).
    pub amended: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// A submitted version, as kept forever.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmittedVersion {
    pub version: u32,
    pub answers: Answers,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: PersonId,
}

/// A person's place in a form conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationState {
    pub submission_id: SubmissionId,
    pub cursor: Cursor,
    /// While active, a person's messages (DMs, terminal lines) answer the form.
    pub active: bool,
}

/// What a conversation turn reads, inside its transaction.
#[derive(Debug, Clone)]
pub struct TurnState {
    pub conversation: Option<ConversationState>,
    /// The submission the conversation is on.
    pub submission: Option<Submission>,
    /// Its answers, as they stand in this transaction.
    pub answers: Answers,
}

/// What a conversation turn writes, in the same transaction.
#[derive(Debug, Clone)]
pub struct TurnWrite {
    pub ops: Vec<Op>,
    pub conversation: ConversationState,
    /// Record the answers, after `ops`, as the next submitted version.
    pub submit: bool,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnDone {
    /// Written (with the version recorded, when it submitted).
    Written(Option<SubmittedVersion>),
    /// The turn decided to write nothing.
    Nothing,
    /// The message was handled before (a replay): nothing was read or written.
    AlreadyHandled,
}

/// The Discord message a turn answers, for ordering and against replays.
pub type MessageId = u64;

/// What saving a form version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormSaved {
    New,
    /// The same definition was already there.
    Unchanged,
    /// Another definition is already saved under this id and version: refused.
    Conflict,
}

#[async_trait]
pub trait AssignmentStore: Send + Sync {
    /// Stores a form version; an existing id@version is never changed.
    async fn save_form(&self, form: &FormDef) -> Result<FormSaved, StoreError>;
    async fn form(&self, id: &str, version: &str) -> Result<Option<FormDef>, StoreError>;
    async fn forms(&self) -> Result<Vec<FormDef>, StoreError>;

    async fn ensure_person(&self, id: &PersonId, name: &str) -> Result<(), StoreError>;
    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError>;
    async fn people(&self) -> Result<Vec<Person>, StoreError>;
    async fn set_grant(
        &self,
        grant: &Grant,
        decided_by: Option<&PersonId>,
    ) -> Result<(), StoreError>;

    async fn submission(
        &self,
        meeting: MeetingId,
        region_key: &str,
    ) -> Result<Option<Submission>, StoreError>;
    async fn submission_by_id(&self, id: SubmissionId) -> Result<Option<Submission>, StoreError>;
    async fn create_submission(
        &self,
        meeting: MeetingId,
        region_key: &str,
        region_name: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Submission, StoreError>;
    async fn submissions(&self, meeting: MeetingId) -> Result<Vec<Submission>, StoreError>;
    /// The latest submitted answers of the same region to the same form in an earlier
    /// meeting (last year's 事前課題), with that meeting's name.
    async fn earlier_answers(
        &self,
        submission: &Submission,
    ) -> Result<Option<(String, Answers)>, StoreError>;
    async fn answers(&self, submission: SubmissionId) -> Result<Answers, StoreError>;
    /// One conversation turn, atomically: in one write transaction, reads the person's
    /// conversation, its submission (or `submission`, when starting one) and the answers,
    /// asks `decide` what to write, and writes it — answer changes (a submitted submission
    /// whose answers change becomes amended), the conversation, and the submitted version
    /// when it submits. Nobody else can change these answers in between, in this process
    /// or another. With `message` (the Discord message the turn answers), the message the
    /// conversation handled last is not handled again (a replay), and the newest message
    /// handled is recorded.
    async fn turn(
        &self,
        person: &PersonId,
        submission: Option<SubmissionId>,
        message: Option<MessageId>,
        decide: &mut (dyn for<'s> FnMut(&'s TurnState) -> Option<TurnWrite> + Send),
    ) -> Result<TurnDone, StoreError>;
    async fn versions(&self, submission: SubmissionId)
    -> Result<Vec<SubmittedVersion>, StoreError>;

    async fn conversation(
        &self,
        person: &PersonId,
    ) -> Result<Option<ConversationState>, StoreError>;
    /// The people with an active conversation, the last Discord message it handled (if
    /// any) and when it last changed.
    async fn active_conversations(
        &self,
    ) -> Result<Vec<(PersonId, Option<MessageId>, DateTime<Utc>)>, StoreError>;
}
