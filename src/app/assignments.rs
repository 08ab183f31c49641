//! The 事前課題 use cases: staff fill in their region's form by conversation, submit and
//! amend until the deadline; organizers register staff, hold meetings and export; advisors
//! read what was submitted. Every answer is saved before the reply goes out.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{Internal, Nimo};
use crate::domain::clock::{Clock, format_jst};
use crate::domain::forms::conversation::{self, Context, Cursor, Event, Input, Message};
use crate::domain::forms::definition::{builtin, expand};
use crate::domain::forms::document::{
    csv_headers, csv_values, render_markdown, render_text, sections_text,
};
use crate::domain::forms::{Answers, FormDef};
use crate::domain::meetings::meeting::Meeting;
use crate::domain::search::passage::{Document, FORM_SUBMISSION, Passage, RegionSource};
use crate::domain::people::{Grant, GrantStatus, Person, PersonId, Role};
use crate::domain::ports::{
    AssignmentStore, ConversationState, NewMeeting, SourcedDocument, StoreError, Submission,
};
use crate::domain::search::region::{Region, RegionKind};

impl From<StoreError> for AssignmentError {
    fn from(e: StoreError) -> Self {
        AssignmentError::Internal(e.into())
    }
}

/// Why a request about 事前課題 was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum AssignmentError {
    /// Not allowed or not possible now; the message (Japanese) says why and what to do.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Internal(#[from] Internal),
}

fn refused(msg: impl Into<String>) -> AssignmentError {
    AssignmentError::Refused(msg.into())
}

/// What to send back, and whether the person is still filling in the form (their next
/// message answers it).
#[derive(Debug, Clone)]
pub struct Reply {
    pub messages: Vec<Message>,
    pub active: bool,
}

/// All submissions of a meeting, ready to hand out.
#[derive(Debug, Clone)]
pub struct Export {
    pub markdown: String,
    /// UTF-8 with BOM and CRLF: opens directly in Excel.
    pub csv: Vec<u8>,
    pub xlsx: Vec<u8>,
    pub submitted: usize,
}

pub struct Assignments {
    nimo: Arc<Nimo>,
    store: Arc<dyn AssignmentStore>,
    clock: Arc<dyn Clock>,
    turns: TurnLocks,
    /// Form versions never change once saved (a change needs a new version), so each is
    /// read from the database once.
    forms: std::sync::Mutex<HashMap<(String, String), Arc<FormDef>>>,
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

/// Passage pieces of at most this many characters, cut at line ends.
const PIECE_CHARS: usize = 320;

fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if !cur.is_empty() && cur.chars().count() + line.chars().count() > PIECE_CHARS {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

impl Assignments {
    /// Wires the service and makes the built-in forms available.
    pub async fn new(
        nimo: Arc<Nimo>,
        store: Arc<dyn AssignmentStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Assignments, Internal> {
        for form in builtin() {
            store.save_form(&form).await?;
        }
        Ok(Assignments {
            nimo,
            store,
            clock,
            turns: TurnLocks::default(),
            forms: Default::default(),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn store(&self) -> &Arc<dyn AssignmentStore> {
        &self.store
    }

    /// The person, recorded if new.
    pub async fn person(&self, id: &PersonId, name: &str) -> Result<Person, AssignmentError> {
        self.store.ensure_person(id, name).await?;
        Ok(self.store.person(id).await?.expect("just ensured"))
    }

    /// Resolves a region typed by someone to (key, name): a region with documents, or any
    /// place the gazetteer knows.
    /// A region as typed (「世田谷区」) → (key, name), or a Japanese refusal.
    pub fn resolve_region(&self, typed: &str) -> Result<(String, String), AssignmentError> {
        self.region(typed)
    }

    fn region(&self, typed: &str) -> Result<(String, String), AssignmentError> {
        let lex = self.nimo.lexicon();
        let directory = self.nimo.regions();
        let keys = directory.resolve(typed, lex);
        if keys.len() == 1 {
            let key = keys[0].clone();
            let name = directory
                .get(&key)
                .map(|k| k.name.clone())
                .or_else(|| {
                    directory
                        .places(lex)
                        .into_iter()
                        .find(|p| p.key == key)
                        .map(|p| p.name)
                })
                .unwrap_or_else(|| typed.trim().to_string());
            return Ok((key, name));
        }
        if let Some(r) = lex
            .gazetteer
            .parse_region(typed)
            .filter(|r| r.prefecture.is_some())
        {
            return Ok((r.key(), r.name.trim().to_string()));
        }
        if keys.len() > 1 {
            return Err(refused(format!(
                "「{typed}」に当てはまる地域が複数あります（{}）。都道府県名から入力してください。",
                keys.join("、")
            )));
        }
        Err(refused(format!(
            "「{typed}」という地域が見つかりませんでした（例: 東京都世田谷区、青森県・津軽圏域）。"
        )))
    }

    // ---- roles ----------------------------------------------------------------------

    /// Grants a role directly (the command line, or an organizer registering staff).
    pub async fn grant(
        &self,
        person: &PersonId,
        name: &str,
        role: Role,
        region: Option<&str>,
        by: Option<&PersonId>,
    ) -> Result<String, AssignmentError> {
        self.store.ensure_person(person, name).await?;
        let (region_key, region_name) = match (role, region) {
            (Role::Staff, Some(r)) => self.region(r)?,
            (Role::Staff, None) => return Err(refused("担当者には地域が必要です。")),
            _ => (String::new(), String::new()),
        };
        self.store
            .set_grant(
                &Grant {
                    person: person.clone(),
                    role,
                    region_key,
                    region_name: region_name.clone(),
                    status: GrantStatus::Approved,
                },
                by,
            )
            .await?;
        Ok(if role == Role::Staff {
            format!("{name}さんを{region_name}の担当者として登録しました。")
        } else {
            format!("{name}さんを{}として登録しました。", role.label())
        })
    }

    /// A staff member asks to answer for a region; an organizer approves.
    pub async fn request_staff(
        &self,
        person: &PersonId,
        name: &str,
        region: &str,
    ) -> Result<String, AssignmentError> {
        let me = self.person(person, name).await?;
        let (region_key, region_name) = self.region(region)?;
        if me.may_edit(&region_key) {
            return Ok(format!(
                "すでに{region_name}の担当者として登録されています。"
            ));
        }
        self.store
            .set_grant(
                &Grant {
                    person: person.clone(),
                    role: Role::Staff,
                    region_key,
                    region_name: region_name.clone(),
                    status: GrantStatus::Pending,
                },
                None,
            )
            .await?;
        Ok(format!(
            "{region_name}の担当者として申請しました。主催者が承認すると、事前課題を入力できます。"
        ))
    }

    /// An organizer registers (or approves) someone as staff of a region.
    pub async fn register_staff(
        &self,
        organizer: &PersonId,
        person: &PersonId,
        name: &str,
        region: &str,
    ) -> Result<String, AssignmentError> {
        let org = self.store.person(organizer).await?;
        if !org.is_some_and(|o| o.is_organizer()) {
            return Err(refused("担当者の登録・承認は主催者だけができます。"));
        }
        self.grant(person, name, Role::Staff, Some(region), Some(organizer))
            .await
    }

    /// Requests waiting for an organizer.
    pub async fn pending(&self) -> Result<Vec<(Person, Grant)>, AssignmentError> {
        let mut out = Vec::new();
        for p in self.store.people().await? {
            for g in p.grants.iter().filter(|g| g.status == GrantStatus::Pending) {
                out.push((p.clone(), g.clone()));
            }
        }
        Ok(out)
    }

    // ---- meetings and forms -----------------------------------------------------------

    pub async fn load_form(&self, toml_text: &str) -> Result<(FormDef, bool), AssignmentError> {
        let form = FormDef::parse(toml_text).map_err(refused)?;
        let new = self
            .store
            .save_form(&form)
            .await
            .map_err(|e| refused(e.0))?;
        Ok((form, new))
    }

    pub async fn create_meeting(&self, meeting: NewMeeting) -> Result<Meeting, AssignmentError> {
        if self
            .store
            .form(&meeting.form_id, &meeting.form_version)
            .await?
            .is_none()
        {
            return Err(refused(format!(
                "フォーム {}@{} がありません（nimo form list）。",
                meeting.form_id, meeting.form_version
            )));
        }
        Ok(self.store.create_meeting(&meeting).await?)
    }

    pub async fn open_meetings(&self) -> Result<Vec<Meeting>, AssignmentError> {
        let now = self.now();
        Ok(self
            .store
            .meetings()
            .await?
            .into_iter()
            .filter(|m| m.is_open(now))
            .collect())
    }

    pub(crate) async fn form_of(&self, meeting: &Meeting) -> Result<Arc<FormDef>, AssignmentError> {
        let key = (meeting.form_id.clone(), meeting.form_version.clone());
        if let Some(form) = self
            .forms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(form.clone());
        }
        let form = Arc::new(
            self.store
                .form(&meeting.form_id, &meeting.form_version)
                .await?
                .ok_or_else(|| {
                    AssignmentError::Internal(Internal(format!(
                        "form {} missing",
                        meeting.form_reference()
                    )))
                })?,
        );
        self.forms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, form.clone());
        Ok(form)
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
        meeting: Option<i64>,
        region: Option<&str>,
    ) -> Result<Reply, AssignmentError> {
        let _turn = self.turns.take(person_id).await;
        let person = self.person(person_id, name).await?;
        let regions = person.staff_regions();
        if regions.is_empty() {
            return Err(refused(
                "担当する地域が登録されていません。「/担当申請」で地域を申請すると、主催者の承認後に入力できます。",
            ));
        }
        let grant = match region {
            Some(r) => {
                let (key, _) = self.region(r)?;
                *regions
                    .iter()
                    .find(|g| g.region_key == key)
                    .ok_or_else(|| refused(format!("「{r}」の担当者として登録されていません。")))?
            }
            None if regions.len() == 1 => regions[0],
            None => {
                let names: Vec<&str> = regions.iter().map(|g| g.region_name.as_str()).collect();
                return Err(refused(format!(
                    "担当地域が複数あります（{}）。地域を指定してください。",
                    names.join("、")
                )));
            }
        };
        let now = self.now();
        let meeting = match meeting {
            Some(id) => self
                .store
                .meeting(id)
                .await?
                .ok_or_else(|| refused(format!("会議 {id} がありません。")))?,
            None => {
                let open = self.open_meetings().await?;
                match open.len() {
                    0 => return Err(refused("いま受付中の会議（事前課題）はありません。")),
                    1 => open.into_iter().next().expect("one"),
                    _ => {
                        let list: Vec<String> = open
                            .iter()
                            .map(|m| format!("{}: {}（締切 {}）", m.id, m.name, m.deadline_text()))
                            .collect();
                        return Err(refused(format!(
                            "受付中の会議が複数あります。会議を指定してください。\n{}",
                            list.join("\n")
                        )));
                    }
                }
            }
        };
        if !meeting.is_open(now) {
            return Err(refused(format!(
                "「{}」の締切（{}）を過ぎています。修正が必要な場合は主催者にご相談ください。",
                meeting.name,
                meeting.deadline_text()
            )));
        }
        let form = self.form_of(&meeting).await?;
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
    pub async fn handle(
        &self,
        person_id: &PersonId,
        input: Input,
    ) -> Result<Reply, AssignmentError> {
        let _turn = self.turns.take(person_id).await;
        let Some(state) = self
            .store
            .conversation(person_id)
            .await?
            .filter(|s| s.active)
        else {
            return Err(refused(
                "入力中の事前課題はありません。「/事前課題」で始めるか、続きから再開できます。",
            ));
        };
        let person = self
            .store
            .person(person_id)
            .await?
            .ok_or_else(|| refused("利用者が登録されていません。"))?;
        let submission = self
            .store
            .submission_by_id(state.submission_id)
            .await?
            .ok_or_else(|| {
                AssignmentError::Internal(Internal(
                    "submission of a conversation is missing".into(),
                ))
            })?;
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
            return Err(refused(format!(
                "{}の担当者ではなくなったため、入力を終了しました。",
                submission.region_name
            )));
        }
        let meeting = self
            .store
            .meeting(submission.meeting_id)
            .await?
            .ok_or_else(|| {
                AssignmentError::Internal(Internal("meeting of a submission is missing".into()))
            })?;
        let form = self.form_of(&meeting).await?;
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
            return Err(refused(format!(
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

    async fn submit(
        &self,
        person: &Person,
        meeting: &Meeting,
        form: &FormDef,
        submission: &Submission,
    ) -> Result<Message, AssignmentError> {
        let version = self.store.submit(submission.id, &person.id).await?;
        let document =
            self.submission_document(meeting, form, submission, &version.answers, version.version);
        let sha = format!(
            "{:x}",
            Sha256::digest(serde_json::to_vec(&version.answers).unwrap_or_default())
        );
        // The submission is recorded; if indexing fails it is repaired at the next start
        // (the index is rebuilt from the database), so this is logged, not refused.
        if let Err(e) = self
            .nimo
            .publish(vec![SourcedDocument {
                document,
                source_path: format!("submission:{}", submission.id),
                sha256: sha,
                lexicon: self.nimo.lexicon().fingerprint.clone(),
            }])
            .await
        {
            tracing::error!(error = %e, submission = submission.id, "a submission could not be indexed yet");
        }
        Ok(Message {
            text: format!(
                "提出しました（第{}版・{}）。{}の{}として、検索にもすぐ反映されます。締切（{}）までは修正して再提出できます。",
                version.version,
                format_jst(version.submitted_at),
                submission.region_name,
                meeting.name,
                meeting.deadline_text()
            ),
            ..Default::default()
        })
    }

    /// The document search indexes for a submitted version: one passage per piece of each
    /// answered section, cited as the region's submission for the meeting.
    fn submission_document(
        &self,
        meeting: &Meeting,
        form: &FormDef,
        submission: &Submission,
        answers: &Answers,
        version: u32,
    ) -> Document {
        let lex = self.nimo.lexicon();
        let region = lex
            .gazetteer
            .parse_region(&submission.region_name)
            .filter(|r| r.key() == submission.region_key)
            .unwrap_or_else(|| {
                let path: Vec<String> = submission
                    .region_key
                    .split('/')
                    .map(str::to_string)
                    .collect();
                Region {
                    name: submission.region_name.clone(),
                    prefecture: path
                        .first()
                        .filter(|p| lex.gazetteer.is_prefecture(p))
                        .cloned(),
                    kind: RegionKind::Unknown,
                    path,
                }
            });
        let id = format!(
            "submission-{}-{}",
            meeting.id,
            submission.region_key.replace('/', "_")
        );
        let title = format!(
            "{} {}（{}・第{}版）",
            meeting.name,
            expand(&form.title, meeting.fiscal_year),
            submission.region_name,
            version
        );
        let mut passages = Vec::new();
        for (section, text) in sections_text(form, meeting.fiscal_year, answers) {
            for piece in pieces(&text) {
                let normalized = lex.normalizer.normalize(&format!("{section}\n{piece}"));
                let ordinal = passages.len() as u32;
                passages.push(Passage {
                    id: format!("{id}#{ordinal}"),
                    doc: id.clone(),
                    doc_title: title.clone(),
                    ordinal,
                    region: region.clone(),
                    region_source: RegionSource::Registered,
                    fiscal_year: meeting.fiscal_year,
                    form: FORM_SUBMISSION.to_string(),
                    section: section.clone(),
                    topics: lex.taxonomy.tag(&normalized),
                    text: piece,
                });
            }
        }
        Document {
            id,
            title,
            form: FORM_SUBMISSION.to_string(),
            fiscal_year: meeting.fiscal_year,
            sheets: 1,
            passages,
            warnings: Vec::new(),
        }
    }

    // ---- reading and exporting ----------------------------------------------------------

    /// The latest submitted version of a region for a meeting, as text; for advisors,
    /// organizers and the region's own staff. Drafts are never shown.
    pub async fn submitted_text(
        &self,
        person_id: &PersonId,
        meeting_id: i64,
        region: &str,
    ) -> Result<String, AssignmentError> {
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
        let (key, name) = self.region(region)?;
        if !person.may_read_submitted(&key) {
            return Err(refused(
                "提出された事前課題を読めるのは、アドバイザー・主催者と、その地域の担当者です。",
            ));
        }
        let meeting = self
            .store
            .meeting(meeting_id)
            .await?
            .ok_or_else(|| refused(format!("会議 {meeting_id} がありません。")))?;
        let submission = self
            .store
            .submission(meeting_id, &key)
            .await?
            .filter(|s| s.submitted_version > 0)
            .ok_or_else(|| {
                refused(format!(
                    "{name}は「{}」の事前課題をまだ提出していません。",
                    meeting.name
                ))
            })?;
        let versions = self.store.versions(submission.id).await?;
        let latest = versions
            .last()
            .ok_or_else(|| AssignmentError::Internal(Internal("no version".into())))?;
        let form = self.form_of(&meeting).await?;
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

    /// Every submitted form of a meeting (latest versions): Markdown, CSV and XLSX.
    pub async fn export(&self, meeting_id: i64) -> Result<Export, AssignmentError> {
        let meeting = self
            .store
            .meeting(meeting_id)
            .await?
            .ok_or_else(|| refused(format!("会議 {meeting_id} がありません。")))?;
        let form = self.form_of(&meeting).await?;
        let submissions = self.store.submissions(meeting_id).await?;
        let mut md = format!(
            "# {}\n\n{}（{}）　締切: {}　書き出し: {}\n",
            meeting.name,
            expand(&form.title, meeting.fiscal_year),
            form.reference(),
            meeting.deadline_text(),
            format_jst(self.now())
        );
        let mut headers = vec![
            "地域".to_string(),
            "地域キー".into(),
            "版".into(),
            "提出日時".into(),
            "修正中".into(),
        ];
        headers.extend(csv_headers(&form, meeting.fiscal_year));
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut not_submitted = Vec::new();
        for s in &submissions {
            let versions = self.store.versions(s.id).await?;
            let Some(latest) = versions.last() else {
                not_submitted.push(s.region_name.clone());
                continue;
            };
            let heading = format!(
                "提出: 第{}版（{}）{}",
                latest.version,
                format_jst(latest.submitted_at),
                if s.amended {
                    "　※ 提出後に修正中の下書きがあります"
                } else {
                    ""
                }
            );
            md.push('\n');
            md.push_str(&render_markdown(
                &form,
                meeting.fiscal_year,
                &s.region_name,
                &heading,
                &latest.answers,
            ));
            let mut row = vec![
                s.region_name.clone(),
                s.region_key.clone(),
                latest.version.to_string(),
                format_jst(latest.submitted_at),
                if s.amended {
                    "はい".into()
                } else {
                    String::new()
                },
            ];
            row.extend(csv_values(&form, &latest.answers));
            rows.push(row);
        }
        md.insert_str(
            md.find('\n').map(|i| i + 1).unwrap_or(0),
            &format!(
                "\n提出 {}地域{}\n",
                rows.len(),
                if not_submitted.is_empty() {
                    String::new()
                } else {
                    format!("　未提出（下書きのみ）: {}", not_submitted.join("、"))
                }
            ),
        );
        Ok(Export {
            csv: to_csv(&headers, &rows),
            xlsx: to_xlsx(&meeting.name, &headers, &rows)?,
            markdown: md,
            submitted: rows.len(),
        })
    }
}

fn status_note(s: &Submission) -> String {
    match (s.submitted_version, s.amended) {
        (0, _) => String::new(),
        (v, false) => format!("　提出済み（第{v}版）"),
        (v, true) => format!("　提出済み（第{v}版）・修正中"),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV as Japanese offices open it: UTF-8 with a BOM, CRLF line ends.
fn to_csv(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(headers.to_vec()).chain(rows.iter().cloned()) {
        out.push_str(
            &line
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn to_xlsx(
    title: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, AssignmentError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err =
        |e: rust_xlsxwriter::XlsxError| AssignmentError::Internal(Internal(format!("xlsx: {e}")));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet
        .set_name(if name.is_empty() {
            "事前課題"
        } else {
            &name
        })
        .map_err(err)?;
    let bold = Format::new().set_bold().set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
        sheet
            .set_column_width(c as u16, if c < 2 { 18 } else { 24 })
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // Plain numbers stay numbers so the office can sum them.
            match v.parse::<f64>() {
                Ok(n) if !v.is_empty() && c >= 5 => sheet.write_number(r, c, n).map_err(err)?,
                _ => sheet
                    .write_string_with_format(r, c, v, &wrap)
                    .map_err(err)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(err)?;
    book.save_to_buffer().map_err(err)
}
