//! Meetings, with their setup (participants, organizers, channel, ladder) and the
//! reminder schedule that follows from them: always written together.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::ids::MeetingId;
use crate::domain::meetings::ladder::{Audience, Step};
use crate::domain::meetings::meeting::{Meeting, MeetingSetup, NewMeeting};
use crate::domain::meetings::reminders::StepState;

/// A rung of a meeting's ladder as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub step: String,
    pub audience: Audience,
    pub due_at: DateTime<Utc>,
    pub state: StepState,
}

#[async_trait]
pub trait MeetingStore: Send + Sync {
    /// Creates a meeting, its setup and its schedule in one transaction.
    async fn create_meeting(
        &self,
        meeting: &NewMeeting,
        setup: &MeetingSetup,
        schedule: &[(Step, DateTime<Utc>)],
    ) -> Result<Meeting, StoreError>;
    /// Saves a meeting's record, its setup and its schedule in one transaction. Rungs
    /// already sent or merged stay as they are (nobody gets the same rung twice); pending
    /// and expired ones are replaced.
    async fn save_meeting(
        &self,
        meeting: &Meeting,
        setup: &MeetingSetup,
        schedule: &[(Step, DateTime<Utc>)],
    ) -> Result<(), StoreError>;
    async fn meeting(&self, id: MeetingId) -> Result<Option<Meeting>, StoreError>;
    async fn meetings(&self) -> Result<Vec<Meeting>, StoreError>;
    async fn meeting_setup(&self, id: MeetingId) -> Result<MeetingSetup, StoreError>;
    /// The rungs of a meeting's ladder, in the order they fall due.
    async fn schedule(&self, id: MeetingId) -> Result<Vec<StepRecord>, StoreError>;
}
