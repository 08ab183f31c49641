//! The 事前課題 use cases: staff fill in their region's form by conversation, submit and
//! amend until the deadline; organizers register staff and export; advisors read what was
//! submitted. Every answer is saved before the reply goes out.
//!
//! - this file: the conversation (begin, handle) and reading what was submitted
//! - `staff`: roles — registering and approving staff, requests
//! - `publish`: a submitted version as a searchable document
//! - `export`: every submission of a meeting as Markdown, CSV and XLSX

mod export;
mod publish;
mod staff;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use export::Export;

use super::AppError;
use super::library::Library;
use super::meetings::Meetings;
use crate::domain::clock::{Clock, format_jst};
use crate::domain::forms::conversation::{self, Context, Cursor, Event, Input, Message};
use crate::domain::forms::document::render_text;
use crate::domain::ids::MeetingId;
use crate::domain::meetings::meeting::Meeting;
use crate::domain::people::{Person, PersonId};
use crate::domain::ports::{AssignmentStore, ConversationState, Submission, SubmittedVersion};

/// What to send back, and whether the person is still filling in the form (their next
/// message answers it).
#[derive(Debug, Clone)]
pub struct Reply {
    pub messages: Vec<Message>,
    pub active: bool,
}

pub struct Assignments {
    library: Arc<Library>,
    meetings: Arc<Meetings>,
    store: Arc<dyn AssignmentStore>,
    clock: Arc<dyn Clock>,
    turns: TurnLocks,
}

/// One turn at a time per person. Discord hands each event to its own task, so two
/// messages sent a moment apart can be handled at once; without this both would read the
/// same saved cursor and one answer would be lost.
#[derive(Default)]
struct TurnLocks(std::sync::Mutex<HashMap<PersonId, Arc<tokio::sync::Mutex<()>>>>);

impl TurnLocks {
    async fn take(&self, person: &PersonId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(person.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

impl Assignments {
    pub fn new(
        library: Arc<Library>,
        meetings: Arc<Meetings>,
        store: Arc<dyn AssignmentStore>,
        clock: Arc<dyn Clock>,
    ) -> Assignments {
        Assignments {
            library,
            meetings,
            store,
            clock,
            turns: TurnLocks::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The person, recorded if new.
    async fn person(&self, id: &PersonId, name: &str) -> Result<Person, AppError> {
        self.store.ensure_person(id, name).await?;
        self.store
            .person(id)
            .await?
            .ok_or_else(|| AppError::internal("a person just recorded is missing"))
    }

    // ---- the conversation ---------------------------------------------------------------

    /// Whether this person's next message answers their form.
    pub async fn is_active(&self, person: &PersonId) -> bool {
        matches!(self.store.conversation(person).await, Ok(Some(s)) if s.active)
    }

    /// Starts (or resumes) filling in the form of a meeting for the person's region.
    pub async fn begin(
        &self,
        person_id: &PersonId,
        name: &str,
        meeting: Option<MeetingId>,
        region: Option<&str>,
    ) -> Result<Reply, AppError> {
        let _turn = self.turns.take(person_id).await;
        let person = self.person(person_id, name).await?;
        let regions = person.staff_regions();
        if regions.is_empty() {
            return Err(AppError::refused(
                "担当する地域が登録されていません。「/担当申請」で地域を申請すると、主催者の承認後に入力できます。",
            ));
        }
        let grant = match region {
            Some(r) => {
                let (key, _) = self.library.resolve_place(r)?;
                *regions
                    .iter()
                    .find(|g| g.region_key == key)
                    .ok_or_else(|| {
                        AppError::refused(format!("「{r}」の担当者として登録されていません。"))
                    })?
            }
            None if regions.len() == 1 => regions[0],
            None => {
                let names: Vec<&str> = regions.iter().map(|g| g.region_name.as_str()).collect();
                return Err(AppError::refused(format!(
                    "担当地域が複数あります（{}）。地域を指定してください。",
                    names.join("、")
                )));
            }
        };
        let now = self.now();
        let meeting = match meeting {
            Some(id) => self.meetings.get(id).await?,
            None => {
                let open = self.meetings.open().await?;
                match open.len() {
                    0 => {
                        return Err(AppError::refused(
                            "いま受付中の会議（事前課題）はありません。",
                        ));
                    }
                    1 => open.into_iter().next().expect("one"),
                    _ => {
                        let list: Vec<String> = open
                            .iter()
                            .map(|m| format!("{}: {}（締切 {}）", m.id, m.name, m.deadline_text()))
                            .collect();
                        return Err(AppError::refused(format!(
                            "受付中の会議が複数あります。会議を指定してください。\n{}",
                            list.join("\n")
                        )));
                    }
                }
            }
        };
        if !meeting.is_open(now) {
            return Err(AppError::refused(format!(
                "「{}」の締切（{}）を過ぎています。修正が必要な場合は主催者にご相談ください。",
                meeting.name,
                meeting.deadline_text()
            )));
        }
        let form = self.meetings.form_of(&meeting).await?;
        let submission = match self.store.submission(meeting.id, &grant.region_key).await? {
            Some(s) => s,
            None => {
                self.store
                    .create_submission(
                        meeting.id,
                        &grant.region_key,
                        &grant.region_name,
                        &form.id,
                        &form.version,
                    )
                    .await?
            }
        };
        let cursor = match self.store.conversation(person_id).await? {
            Some(s) if s.submission_id == submission.id => s.cursor,
            _ => Cursor::default(),
        };
        let answers = self.store.answers(submission.id).await?;
        let ctx = Context {
            form: &form,
            fiscal_year: meeting.fiscal_year,
            answers: &answers,
            region: &submission.region_name,
            submitted_version: (submission.submitted_version > 0)
                .then_some(submission.submitted_version),
        };
        let turn = conversation::resume(&ctx, &cursor);
        let state = ConversationState {
            submission_id: submission.id,
            cursor: turn.cursor.clone(),
            active: true,
        };
        self.store
            .apply_turn(person_id, submission.id, &turn.ops, &state)
            .await?;
        let mut messages = vec![Message {
            text: format!(
                "会議: {}（締切 {}）{}",
                meeting.name,
                meeting.deadline_text(),
                status_note(&submission)
            ),
            ..Default::default()
        }];
        messages.extend(turn.messages);
        Ok(Reply {
            messages,
            active: true,
        })
    }

    /// Handles what the person said while filling in their form.
    pub async fn handle(&self, person_id: &PersonId, input: Input) -> Result<Reply, AppError> {
        let _turn = self.turns.take(person_id).await;
        let Some(state) = self
            .store
            .conversation(person_id)
            .await?
            .filter(|s| s.active)
        else {
            return Err(AppError::refused(
                "入力中の事前課題はありません。「/事前課題」で始めるか、続きから再開できます。",
            ));
        };
        let person = self
            .store
            .person(person_id)
            .await?
            .ok_or_else(|| AppError::refused("利用者が登録されていません。"))?;
        let submission = self
            .store
            .submission_by_id(state.submission_id)
            .await?
            .ok_or_else(|| AppError::internal("the submission of a conversation is missing"))?;
        if !person.may_edit(&submission.region_key) {
            self.store
                .set_conversation(
                    person_id,
                    &ConversationState {
                        active: false,
                        ..state
                    },
                )
                .await?;
            return Err(AppError::refused(format!(
                "{}の担当者ではなくなったため、入力を終了しました。",
                submission.region_name
            )));
        }
        let meeting = self.meetings.get(submission.meeting_id).await?;
        let form = self.meetings.form_of(&meeting).await?;
        let answers = self.store.answers(submission.id).await?;
        let ctx = Context {
            form: &form,
            fiscal_year: meeting.fiscal_year,
            answers: &answers,
            region: &submission.region_name,
            submitted_version: (submission.submitted_version > 0)
                .then_some(submission.submitted_version),
        };
        let turn = conversation::handle(&ctx, &state.cursor, input);
        let changes = !turn.ops.is_empty() || turn.event == Some(Event::Submit);
        if changes && !meeting.is_open(self.now()) {
            return Err(AppError::refused(format!(
                "締切（{}）を過ぎたため、回答の変更や提出はできません。修正が必要な場合は主催者にご相談ください。",
                meeting.deadline_text()
            )));
        }
        let active = turn.event != Some(Event::Pause);
        let new_state = ConversationState {
            submission_id: submission.id,
            cursor: turn.cursor.clone(),
            active,
        };
        // Saved before anything is said back: a crash after this loses nothing.
        self.store
            .apply_turn(person_id, submission.id, &turn.ops, &new_state)
            .await?;
        let mut messages = turn.messages;
        if turn.event == Some(Event::Submit) {
            messages.push(self.submit(&person, &meeting, &form, &submission).await?);
        }
        Ok(Reply { messages, active })
    }

    // ---- reading ----------------------------------------------------------------------

    /// The latest submitted version of a region for a meeting (named, or the latest), as
    /// text; for advisors, organizers and the region's own staff. Drafts are never shown.
    pub async fn submitted_text(
        &self,
        person_id: &PersonId,
        meeting: Option<MeetingId>,
        region: &str,
    ) -> Result<String, AppError> {
        let meeting: Meeting = self.meetings.named_or_latest(meeting).await?;
        // Someone nimo has never seen has no roles: they get the same explanation as
        // anyone else without the right one.
        let person = self
            .store
            .person(person_id)
            .await?
            .unwrap_or_else(|| Person {
                id: person_id.clone(),
                name: String::new(),
                grants: Vec::new(),
            });
        let (key, name) = self.library.resolve_place(region)?;
        if !person.may_read_submitted(&key) {
            return Err(AppError::refused(
                "提出された事前課題を読めるのは、アドバイザー・主催者と、その地域の担当者です。",
            ));
        }
        let submission = self
            .store
            .submission(meeting.id, &key)
            .await?
            .filter(|s| s.submitted_version > 0)
            .ok_or_else(|| {
                AppError::refused(format!(
                    "{name}は「{}」の事前課題をまだ提出していません。",
                    meeting.name
                ))
            })?;
        let versions = self.store.versions(submission.id).await?;
        let latest = versions
            .last()
            .ok_or_else(|| AppError::internal("a submitted submission has no version"))?;
        let form = self.meetings.form_of(&meeting).await?;
        Ok(format!(
            "第{}版（{}提出）\n{}",
            latest.version,
            format_jst(latest.submitted_at),
            render_text(
                &form,
                meeting.fiscal_year,
                &submission.region_name,
                &latest.answers
            )
        ))
    }
}

impl Assignments {
    /// Every submitted version of a region's submission, oldest first; for those who may
    /// read what the region submitted (`by` None: the trusted command line).
    pub async fn versions(
        &self,
        by: Option<&PersonId>,
        meeting: MeetingId,
        region: &str,
    ) -> Result<Vec<SubmittedVersion>, AppError> {
        let (key, _) = self.library.resolve_place(region)?;
        if let Some(by) = by
            && !self
                .store
                .person(by)
                .await?
                .is_some_and(|p| p.may_read_submitted(&key))
        {
            return Err(AppError::refused(
                "提出された事前課題を読めるのは、アドバイザー・主催者と、その地域の担当者です。",
            ));
        }
        match self.store.submission(meeting, &key).await? {
            Some(s) => Ok(self.store.versions(s.id).await?),
            None => Ok(Vec::new()),
        }
    }
}

fn status_note(s: &Submission) -> String {
    match (s.submitted_version, s.amended) {
        (0, _) => String::new(),
        (v, false) => format!("　提出済み（第{v}版）"),
        (v, true) => format!("　提出済み（第{v}版）・修正中"),
    }
}
