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

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use export::Export;

use super::AppError;
use super::library::Library;
use super::meetings::Meetings;
use crate::app::library::IngestReport;
use crate::domain::clock::{Clock, format_jst};
use crate::domain::forms::Answers;
use crate::domain::forms::conversation::{self, Context, Cursor, Event, Input, Message};
use crate::domain::forms::document::render_text;
use crate::domain::ids::{MeetingId, SubmissionId};
use crate::domain::meetings::meeting::Meeting;
use crate::domain::people::{Grant, Person, PersonId};
use crate::domain::ports::{
    AssignmentStore, ConversationState, MessageId, Submission, SubmittedVersion, TurnDone,
    TurnWrite,
};
use crate::domain::search::region::display_name;

/// What to send back, and whether the person is still filling in the form (their next
/// message answers it).
#[derive(Debug, Clone)]
pub struct Reply {
    pub messages: Vec<Message>,
    pub active: bool,
    /// The submission the messages are about (their buttons say so).
    pub submission: Option<SubmissionId>,
}

/// Where an input came from, so that it acts on what it was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Typed in the terminal (or a Discord input form).
    Typed,
    /// A Discord message: replayed ones are not applied twice.
    Message(MessageId),
    /// A button shown with this submission's form.
    Button(SubmissionId),
}

pub struct Assignments {
    library: Arc<Library>,
    meetings: Arc<Meetings>,
    store: Arc<dyn AssignmentStore>,
    clock: Arc<dyn Clock>,
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

    // ---- documents handed over -------------------------------------------------------

    /// Refuses anyone but an organizer, before any file is downloaded.
    pub async fn may_add_documents(&self, id: &PersonId) -> Result<(), AppError> {
        match self.store.person(id).await? {
            Some(p) if p.is_organizer() => Ok(()),
            _ => Err(AppError::refused(
                "資料を追加できるのは主催者だけです。追加したい資料は主催者にお送りください。",
            )),
        }
    }

    /// Documents an organizer hands over (attachments in Discord): read like `nimo ingest`
    /// reads files, and searchable at once.
    pub async fn add_documents(
        &self,
        id: &PersonId,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<IngestReport, AppError> {
        self.may_add_documents(id).await?;
        let report = self.library.add_files(files).await?;
        tracing::info!(
            person = %id,
            added = report.ingested.len(),
            failed = report.failed.len(),
            "documents added"
        );
        Ok(report)
    }

    // ---- the conversation ---------------------------------------------------------------

    /// The people filling in a form right now, the last Discord message their
    /// conversation handled and when it last changed: what to catch up on after downtime.
    pub async fn active_conversations(
        &self,
    ) -> Result<Vec<(PersonId, Option<MessageId>, DateTime<Utc>)>, AppError> {
        Ok(self.store.active_conversations().await?)
    }

    /// The answers of the form the person is filling in (or last filled in): their draft.
    pub async fn draft(&self, person: &PersonId) -> Result<Option<Answers>, AppError> {
        let Some(conversation) = self.store.conversation(person).await? else {
            return Ok(None);
        };
        Ok(Some(self.store.answers(conversation.submission_id).await?))
    }

    /// Whether this person's next message answers their form.
    pub async fn is_active(&self, person: &PersonId) -> bool {
        matches!(self.store.conversation(person).await, Ok(Some(s)) if s.active)
    }

    /// Starts (or resumes) filling in the form of a meeting for the person's region. The
    /// meeting named, or the one open meeting; the region named, or the person's one
    /// region that takes part in it.
    pub async fn begin(
        &self,
        person_id: &PersonId,
        name: &str,
        meeting: Option<MeetingId>,
        region: Option<&str>,
    ) -> Result<Reply, AppError> {
        let person = self.person(person_id, name).await?;
        if person.staff_regions().is_empty() {
            return Err(AppError::refused(
                "担当する地域が登録されていません。「/担当申請」で地域を申請すると、主催者の承認後に入力できます。",
            ));
        }
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
                            "受付中の会議が複数あります。会議を番号で指定してください（ターミナルでは「/事前課題 {}」、Discordでは「会議」の欄）。\n{}",
                            open[0].id,
                            list.join("\n")
                        )));
                    }
                }
            }
        };
        let grant = self.region_for(&person, &meeting, region).await?;
        if !meeting.is_open(self.now()) {
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
        let earlier = self.store.earlier_answers(&submission).await?;
        let mut said: Option<Vec<Message>> = None;
        self.store
            .turn(person_id, Some(submission.id), None, &mut |state| {
                let submission = state.submission.as_ref()?;
                let cursor = match &state.conversation {
                    Some(c) if c.submission_id == submission.id => c.cursor.clone(),
                    _ => Cursor::default(),
                };
                let first_time = !cursor.started && state.answers.is_empty();
                let ctx = Context {
                    form: &form,
                    fiscal_year: meeting.fiscal_year,
                    answers: &state.answers,
                    region: &submission.region_name,
                    submitted_version: (submission.submitted_version > 0)
                        .then_some(submission.submitted_version),
                    amended: submission.amended,
                    earlier: earlier.as_ref().map(|(m, a)| (m.as_str(), a)),
                };
                let mut turn = conversation::resume(&ctx, &cursor);
                if first_time && let Some((meeting, answers)) = &earlier {
                    // Starting afresh: offer last time's answers as a starting point.
                    let offer = conversation::handle(
                        &ctx,
                        &turn.cursor,
                        Input::Earlier {
                            meeting: meeting.clone(),
                            answers: answers.clone().into_iter().collect(),
                        },
                    );
                    if offer.cursor.proposal.is_some() {
                        // The offer comes instead of the first question (asked after
                        // はい or いいえ).
                        turn.messages.pop();
                    }
                    turn.messages.extend(offer.messages);
                    turn.cursor = offer.cursor;
                }
                let mut messages = vec![Message {
                    text: format!(
                        "会議: {}（締切 {}）{}",
                        meeting.name,
                        meeting.deadline_text(),
                        status_note(submission)
                    ),
                    ..Default::default()
                }];
                messages.extend(turn.messages);
                said = Some(messages);
                Some(TurnWrite {
                    ops: turn.ops,
                    conversation: ConversationState {
                        submission_id: submission.id,
                        cursor: turn.cursor,
                        active: true,
                    },
                    submit: false,
                })
            })
            .await?;
        let messages =
            said.ok_or_else(|| AppError::internal("a submission just created is missing"))?;
        Ok(Reply {
            messages,
            active: true,
            submission: Some(submission.id),
        })
    }

    /// The region a person fills in the meeting's form for: the one named, or their one
    /// region that takes part in the meeting.
    async fn region_for<'p>(
        &self,
        person: &'p Person,
        meeting: &Meeting,
        region: Option<&str>,
    ) -> Result<&'p Grant, AppError> {
        let setup = self.meetings.setup(meeting.id).await?;
        let takes_part =
            |key: &str| setup.regions.is_empty() || setup.regions.iter().any(|(k, _)| k == key);
        let regions = person.staff_regions();
        match region {
            Some(r) => {
                let (key, _) = self.library.resolve_place(r)?;
                let grant = regions
                    .into_iter()
                    .find(|g| g.region_key == key)
                    .ok_or_else(|| {
                        AppError::refused(format!("「{r}」の担当者として登録されていません。"))
                    })?;
                if !takes_part(&grant.region_key) {
                    return Err(not_taking_part(grant, meeting));
                }
                Ok(grant)
            }
            None => {
                let taking: Vec<&Grant> = regions
                    .iter()
                    .copied()
                    .filter(|g| takes_part(&g.region_key))
                    .collect();
                match taking.as_slice() {
                    [one] => Ok(one),
                    [] if regions.len() == 1 => Err(not_taking_part(regions[0], meeting)),
                    [] => Err(AppError::refused(format!(
                        "担当地域（{}）は「{}」の参加地域ではありません。",
                        names(&regions),
                        meeting.name
                    ))),
                    _ => Err(AppError::refused(format!(
                        "担当地域が複数あります（{}）。地域を指定してください。",
                        names(&taking)
                    ))),
                }
            }
        }
    }

    /// A filled sheet (Excel, Word, PDF or text) handed over while filling in the form:
    /// read, placed into the questions with the same checks as typed answers, and shown;
    /// nothing is saved until the person says 「はい」.
    pub async fn hand_over(
        &self,
        person_id: &PersonId,
        file: &str,
        bytes: Vec<u8>,
        source: Source,
    ) -> Result<Reply, AppError> {
        if !self.is_active(person_id).await {
            return Err(AppError::refused(
                "記入済みの様式を取り込むには、先に「/事前課題」で入力を始めてから、ファイルを送ってください。",
            ));
        }
        if bytes.len() as u64 > self.library.max_file_bytes() {
            return Err(AppError::refused(format!(
                "「{file}」は大きすぎます（上限 {} MB）。",
                self.library.max_file_bytes() / 1_000_000
            )));
        }
        let read = self.library.read_file(bytes).await.map_err(|e| {
            if !e.user_fixable {
                tracing::error!(
                    file,
                    code = e.code,
                    "a handed-over sheet could not be read: {e}"
                );
            }
            AppError::refused(format!("「{file}」を読み取れませんでした。{}", e.reason))
        })?;
        if read.format == "PDF" {
            // A PDF's table cells come as loose lines: answers would be guessed, not read.
            return Err(AppError::refused(format!(
                "「{file}」はPDFのため、回答として読み取れません。記入済みのExcel（.xlsx）かWord（.docx）の様式を送ってください。"
            )));
        }
        let region = match self.store.conversation(person_id).await? {
            Some(c) => self.store.submission_by_id(c.submission_id).await?,
            None => None,
        };
        let (text, others) = match &region {
            Some(s) => self.sheets_of_region(&read.text, &s.region_key),
            None => (read.text, Vec::new()),
        };
        if text.trim().is_empty() {
            return Err(AppError::refused(format!(
                "「{file}」は{}の様式のようです。{}の様式を送ってください。",
                others.join("・"),
                region.map(|s| s.region_name).unwrap_or_default()
            )));
        }
        let mut reply = self
            .handle(
                person_id,
                Input::Sheet {
                    file: file.to_string(),
                    text,
                },
                source,
            )
            .await?;
        if !others.is_empty() {
            reply.messages.insert(
                0,
                Message {
                    text: format!(
                        "ほかの地域（{}）のシートは読みませんでした。",
                        others.join("・")
                    ),
                    ..Default::default()
                },
            );
        }
        Ok(reply)
    }

    /// The parts (sheets, pages) of a file that belong to the region: those whose region
    /// line names it, or no region at all. Headers, footers and footnotes of a Word file
    /// are not answers. Returns the text kept and the other regions' names.
    fn sheets_of_region(&self, text: &str, region_key: &str) -> (String, Vec<String>) {
        let related = |k: &str| {
            k == region_key
                || region_key.starts_with(&format!("{k}/"))
                || k.starts_with(&format!("{region_key}/"))
        };
        let mut kept: Vec<&str> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for part in text.split('\u{c}') {
            let lines: Vec<&str> = part
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let furniture = lines.first().is_some_and(|l| {
                l.starts_with("【ヘッダー・フッター】") || l.starts_with("【脚注】")
            });
            if furniture {
                continue;
            }
            let named = lines.iter().take(8).find_map(|l| {
                let l = l.strip_prefix("シート：").unwrap_or(l);
                self.library.region_line(l)
            });
            match named {
                Some((key, _)) if !related(&key) => {
                    let name = display_name(&key);
                    if !others.contains(&name) {
                        others.push(name);
                    }
                }
                _ => kept.push(part),
            }
        }
        (kept.join("\u{c}"), others)
    }

    /// Handles what the person said while filling in their form. A Discord message
    /// handled before (replayed) is not applied twice, and gets no reply; a button of
    /// another submission's form acts on nothing.
    pub async fn handle(
        &self,
        person_id: &PersonId,
        input: Input,
        source: Source,
    ) -> Result<Reply, AppError> {
        let message = match source {
            Source::Message(m) => Some(m),
            _ => None,
        };
        let person = self
            .store
            .person(person_id)
            .await?
            .ok_or_else(|| AppError::refused("利用者が登録されていません。"))?;
        // The conversation decides which form answers the input; it is read again inside
        // the turn, and on the rare race with a new form started meanwhile, read anew.
        for _ in 0..3 {
            let Some(peek) = self
                .store
                .conversation(person_id)
                .await?
                .filter(|s| s.active)
            else {
                return Err(no_form());
            };
            let submission = self
                .store
                .submission_by_id(peek.submission_id)
                .await?
                .ok_or_else(|| AppError::internal("the submission of a conversation is missing"))?;
            let meeting = self.meetings.get(submission.meeting_id).await?;
            let form = self.meetings.form_of(&meeting).await?;
            let earlier = self.store.earlier_answers(&submission).await?;
            let now = self.now();
            let mut outcome: Option<Result<(Vec<Message>, bool), AppError>> = None;
            let mut stale = false;
            let done = self
                .store
                .turn(person_id, None, message, &mut |state| {
                    let Some(conversation) = state.conversation.as_ref().filter(|c| c.active)
                    else {
                        outcome = Some(Err(no_form()));
                        return None;
                    };
                    let submission = state.submission.as_ref()?;
                    if conversation.submission_id != peek.submission_id {
                        stale = true;
                        return None;
                    }
                    if let Source::Button(shown) = source
                        && shown != conversation.submission_id
                    {
                        outcome = Some(Err(AppError::refused(
                            "このボタンは別の事前課題のものです。「/事前課題」で入力中の事前課題を表示します。",
                        )));
                        return None;
                    }
                    if !person.may_edit(&submission.region_key) {
                        outcome = Some(Err(AppError::refused(format!(
                            "{}の担当者ではなくなったため、入力を終了しました。",
                            submission.region_name
                        ))));
                        return Some(TurnWrite {
                            ops: Vec::new(),
                            conversation: ConversationState {
                                active: false,
                                ..conversation.clone()
                            },
                            submit: false,
                        });
                    }
                    let ctx = Context {
                        form: &form,
                        fiscal_year: meeting.fiscal_year,
                        answers: &state.answers,
                        region: &submission.region_name,
                        submitted_version: (submission.submitted_version > 0)
                            .then_some(submission.submitted_version),
                        amended: submission.amended,
                        earlier: earlier.as_ref().map(|(m, a)| (m.as_str(), a)),
                    };
                    let turn = conversation::handle(&ctx, &conversation.cursor, input.clone());
                    let submit = turn.event == Some(Event::Submit);
                    if (!turn.ops.is_empty() || submit) && !meeting.is_open(now) {
                        outcome = Some(Err(AppError::refused(format!(
                            "締切（{}）を過ぎたため、回答の変更や提出はできません。修正が必要な場合は主催者にご相談ください。",
                            meeting.deadline_text()
                        ))));
                        return None;
                    }
                    let active = turn.event != Some(Event::Pause);
                    outcome = Some(Ok((turn.messages, active)));
                    Some(TurnWrite {
                        ops: turn.ops,
                        conversation: ConversationState {
                            submission_id: submission.id,
                            cursor: turn.cursor,
                            active,
                        },
                        submit,
                    })
                })
                .await?;
            if stale {
                continue;
            }
            if done == TurnDone::AlreadyHandled {
                return Ok(Reply {
                    messages: Vec::new(),
                    active: true,
                    submission: Some(submission.id),
                });
            }
            let (mut messages, active) = outcome.ok_or_else(|| {
                AppError::internal("the submission of a conversation is missing")
            })??;
            if let TurnDone::Written(Some(version)) = &done {
                messages.push(self.published(&meeting, &form, &submission, version).await);
            }
            return Ok(Reply {
                messages,
                active,
                submission: Some(submission.id),
            });
        }
        Err(AppError::internal(
            "the conversation kept changing under the turn",
        ))
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

fn no_form() -> AppError {
    AppError::refused(
        "入力中の事前課題はありません。「/事前課題」で始めるか、続きから再開できます。",
    )
}

fn not_taking_part(grant: &Grant, meeting: &Meeting) -> AppError {
    AppError::refused(format!(
        "{}は「{}」の参加地域ではありません。参加が必要な場合は主催者にご相談ください。",
        grant.region_name, meeting.name
    ))
}

fn names(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|g| g.region_name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn status_note(s: &Submission) -> String {
    match (s.submitted_version, s.amended) {
        (0, _) => String::new(),
        (v, false) => format!("　提出済み（第{v}版）"),
        (v, true) => format!("　提出済み（第{v}版）・修正中"),
    }
}
