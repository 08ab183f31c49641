//! Meetings: organizers create and edit them (name, dates, form version, participants,
//! organizers, channel, reminder ladder), everyone reads them, organizers see where every
//! region stands. A meeting's record, its setup and its reminder schedule are always
//! written together, in one transaction. Form versions live here too: a meeting names
//! one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

use super::AppError;
use super::library::Library;
use crate::domain::clock::Clock;
use crate::domain::forms::FormDef;
use crate::domain::forms::definition::{builtin, expand};
use crate::domain::ids::MeetingId;
use crate::domain::meetings::ladder::PolicyEdit;
use crate::domain::meetings::meeting::{Meeting, MeetingSetup, NewMeeting};
use crate::domain::meetings::reminders::{MeetingStatus, Progress, RegionStatus};
use crate::domain::people::{GrantStatus, Person, PersonId, Role};
use crate::domain::ports::{AssignmentStore, FormSaved, MeetingStore, StepRecord};

/// A meeting to create, as an organizer describes it.
#[derive(Debug, Clone)]
pub struct MeetingPlan {
    pub name: String,
    /// A form id (its latest version) or `id@version`.
    pub form: String,
    pub deadline: DateTime<Utc>,
    pub fiscal_year: Option<i32>,
    pub meeting_date: Option<NaiveDate>,
}

/// Changes to a meeting; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct MeetingEdit {
    pub name: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub meeting_date: Option<NaiveDate>,
    pub fiscal_year: Option<i32>,
    /// A form version of the same form (`2021.2`) or `id@version`.
    pub form_version: Option<String>,
    /// Participating regions as typed (「世田谷区」); replaces the list.
    pub regions: Option<Vec<String>>,
    pub add_regions: Vec<String>,
    pub remove_regions: Vec<String>,
    pub organizers: Option<Vec<PersonId>>,
    pub channel: Option<Option<String>>,
    pub policy: Option<PolicyEdit>,
}

/// A meeting in a listing, with how far its regions are.
#[derive(Debug, Clone)]
pub struct MeetingSummary {
    pub meeting: Meeting,
    pub open: bool,
    pub submitted: usize,
    pub drafts: usize,
}

/// The participating regions (key → name) and the staff of each.
pub type Participants = BTreeMap<String, (String, Vec<Person>)>;

pub struct Meetings {
    library: Arc<Library>,
    store: Arc<dyn MeetingStore>,
    people: Arc<dyn AssignmentStore>,
    clock: Arc<dyn Clock>,
    /// Form versions never change once saved (a change needs a new version), so each is
    /// read from the database once.
    forms: Mutex<HashMap<(String, String), Arc<FormDef>>>,
}

impl Meetings {
    /// Wires the service and makes the built-in forms available.
    pub async fn new(
        library: Arc<Library>,
        store: Arc<dyn MeetingStore>,
        people: Arc<dyn AssignmentStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Meetings, AppError> {
        for form in builtin() {
            if people.save_form(&form).await? == FormSaved::Conflict {
                return Err(AppError::internal(format!(
                    "the built-in form {} differs from the one saved under its version",
                    form.reference()
                )));
            }
        }
        Ok(Meetings {
            library,
            store,
            people,
            clock,
            forms: Mutex::default(),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // ---- forms ----------------------------------------------------------------------

    /// Every form version nimo has.
    pub async fn forms(&self) -> Result<Vec<FormDef>, AppError> {
        Ok(self.people.forms().await?)
    }

    /// Loads a form version from its TOML text; true when it is new. A version, once
    /// loaded, never changes.
    pub async fn load_form(&self, toml_text: &str) -> Result<(FormDef, bool), AppError> {
        let form = FormDef::parse(toml_text).map_err(AppError::Refused)?;
        match self.people.save_form(&form).await? {
            FormSaved::New => Ok((form, true)),
            FormSaved::Unchanged => Ok((form, false)),
            FormSaved::Conflict => Err(AppError::refused(format!(
                "フォーム {} は別の内容で登録済みです。版（version）を上げて登録してください。",
                form.reference()
            ))),
        }
    }

    /// The form a meeting uses.
    pub async fn form_of(&self, meeting: &Meeting) -> Result<Arc<FormDef>, AppError> {
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
            self.people
                .form(&meeting.form_id, &meeting.form_version)
                .await?
                .ok_or_else(|| {
                    AppError::internal(format!("form {} missing", meeting.form_reference()))
                })?,
        );
        self.forms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, form.clone());
        Ok(form)
    }

    /// `id` (its latest version) or `id@version`, checked to exist.
    async fn form_named(&self, form: &str) -> Result<(String, String), AppError> {
        let (id, version) = match form.split_once('@') {
            Some((id, v)) => (id.to_string(), v.to_string()),
            None => {
                let forms = self.people.forms().await?;
                match FormDef::latest(&forms, form) {
                    Some(f) => (f.id.clone(), f.version.clone()),
                    None => {
                        return Err(AppError::refused(format!(
                            "フォーム「{form}」がありません（nimo form list）。"
                        )));
                    }
                }
            }
        };
        if self.people.form(&id, &version).await?.is_none() {
            return Err(AppError::refused(format!(
                "フォーム {id}@{version} は登録されていません（nimo form list で確認できます）。"
            )));
        }
        Ok((id, version))
    }

    // ---- reading --------------------------------------------------------------------

    /// A meeting by id, or a refusal naming it.
    pub async fn get(&self, id: MeetingId) -> Result<Meeting, AppError> {
        self.store
            .meeting(id)
            .await?
            .ok_or_else(|| AppError::refused(format!("会議 {id} がありません。")))
    }

    /// Every meeting, the latest deadline first.
    pub async fn all(&self) -> Result<Vec<Meeting>, AppError> {
        Ok(self.store.meetings().await?)
    }

    /// Meetings still accepting submissions.
    pub async fn open(&self) -> Result<Vec<Meeting>, AppError> {
        let now = self.now();
        Ok(self
            .all()
            .await?
            .into_iter()
            .filter(|m| m.is_open(now))
            .collect())
    }

    /// The meeting named, or the latest one when none is named.
    pub async fn named_or_latest(&self, id: Option<MeetingId>) -> Result<Meeting, AppError> {
        match id {
            Some(id) => self.get(id).await,
            None => Meeting::latest(&self.all().await?)
                .cloned()
                .ok_or_else(|| AppError::refused("会議がまだありません。")),
        }
    }

    /// Every meeting with its counts of submitted and draft regions.
    pub async fn list(&self) -> Result<Vec<MeetingSummary>, AppError> {
        let now = self.now();
        let mut out = Vec::new();
        for meeting in self.all().await? {
            let subs = self.people.submissions(meeting.id).await?;
            let submitted = subs.iter().filter(|s| s.submitted_version > 0).count();
            out.push(MeetingSummary {
                open: meeting.is_open(now),
                drafts: subs.len() - submitted,
                submitted,
                meeting,
            });
        }
        Ok(out)
    }

    pub async fn setup(&self, id: MeetingId) -> Result<MeetingSetup, AppError> {
        Ok(self.store.meeting_setup(id).await?)
    }

    /// The rungs of a meeting's reminder ladder and their state.
    pub async fn schedule(&self, id: MeetingId) -> Result<Vec<StepRecord>, AppError> {
        Ok(self.store.schedule(id).await?)
    }

    /// Gives every meeting without a schedule one (meetings made before reminders
    /// existed).
    pub async fn ensure_scheduled(&self) -> Result<(), AppError> {
        for m in self.all().await? {
            if self.store.schedule(m.id).await?.is_empty() {
                let setup = self.store.meeting_setup(m.id).await?;
                let schedule = setup.policy.schedule(m.deadline);
                self.store.save_meeting(&m, &setup, &schedule).await?;
            }
        }
        Ok(())
    }

    // ---- organizers -----------------------------------------------------------------

    /// `by` must be an organizer; `None` is the command line on the server, trusted.
    async fn require_organizer(
        &self,
        by: Option<&PersonId>,
        refusal: &str,
    ) -> Result<(), AppError> {
        let Some(by) = by else { return Ok(()) };
        match self.people.person(by).await? {
            Some(p) if p.is_organizer() => Ok(()),
            _ => Err(AppError::refused(refusal)),
        }
    }

    /// Creates a meeting with its participants, organizers, channel and ladder, and its
    /// first reminder schedule, in one transaction.
    pub async fn create(
        &self,
        by: Option<&PersonId>,
        plan: MeetingPlan,
        edit: MeetingEdit,
    ) -> Result<(Meeting, MeetingSetup), AppError> {
        self.require_organizer(by, "この操作は主催者のみが行えます。")
            .await?;
        let name = plan.name.trim().to_string();
        if name.is_empty() {
            return Err(AppError::refused("会議名が空です。"));
        }
        let (form_id, form_version) = self.form_named(&plan.form).await?;
        let mut setup = MeetingSetup::default();
        self.apply_setup(&mut setup, edit).await?;
        let schedule = setup.policy.schedule_from(plan.deadline, self.now());
        let meeting = self
            .store
            .create_meeting(
                &NewMeeting {
                    name,
                    fiscal_year: plan.fiscal_year,
                    form_id,
                    form_version,
                    deadline: plan.deadline,
                    meeting_date: plan.meeting_date,
                },
                &setup,
                &schedule,
            )
            .await?;
        Ok((meeting, setup))
    }

    /// Applies an organizer's changes and reschedules the reminders not yet sent, all in
    /// one transaction.
    pub async fn edit(
        &self,
        by: Option<&PersonId>,
        id: MeetingId,
        edit: MeetingEdit,
    ) -> Result<(Meeting, MeetingSetup), AppError> {
        self.require_organizer(by, "この操作は主催者のみが行えます。")
            .await?;
        let mut meeting = self.get(id).await?;
        let mut setup = self.store.meeting_setup(id).await?;
        if let Some(name) = &edit.name {
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(AppError::refused("会議名が空です。"));
            }
            meeting.name = name;
        }
        if let Some(d) = edit.deadline {
            meeting.deadline = d;
        }
        if let Some(d) = edit.meeting_date {
            meeting.meeting_date = Some(d);
        }
        if let Some(y) = edit.fiscal_year {
            meeting.fiscal_year = Some(y);
        }
        if let Some(v) = &edit.form_version {
            let named = if v.contains('@') {
                v.clone()
            } else {
                format!("{}@{v}", meeting.form_id)
            };
            let (form_id, version) = self.form_named(&named).await?;
            let started = self.people.submissions(id).await?;
            if !started.is_empty()
                && (form_id != meeting.form_id || version != meeting.form_version)
            {
                return Err(AppError::refused(format!(
                    "すでに{}地域が入力を始めているため、フォームの版は変更できません。",
                    started.len()
                )));
            }
            meeting.form_id = form_id;
            meeting.form_version = version;
        }
        self.apply_setup(&mut setup, edit).await?;
        let schedule = setup.policy.schedule(meeting.deadline);
        self.store.save_meeting(&meeting, &setup, &schedule).await?;
        Ok((meeting, setup))
    }

    /// The participants, organizers, channel and ladder of an edit.
    async fn apply_setup(
        &self,
        setup: &mut MeetingSetup,
        edit: MeetingEdit,
    ) -> Result<(), AppError> {
        let mut typed: Vec<String> = edit.regions.unwrap_or_default();
        let replace = !typed.is_empty();
        typed.extend(edit.add_regions);
        if replace {
            setup.regions.clear();
        }
        for r in typed {
            let (key, name) = self.library.resolve_place(&r)?;
            if !setup.regions.iter().any(|(k, _)| *k == key) {
                setup.regions.push((key, name));
            }
        }
        for r in edit.remove_regions {
            let (key, _) = self.library.resolve_place(&r)?;
            setup.regions.retain(|(k, _)| *k != key);
        }
        if let Some(o) = edit.organizers {
            for p in &o {
                self.people.ensure_person(p, &p.short()).await?;
            }
            setup.organizers = o;
        }
        if let Some(c) = edit.channel {
            setup.channel = c;
        }
        if let Some(p) = &edit.policy {
            setup.policy = setup.policy.edited(p).map_err(AppError::Refused)?;
        }
        Ok(())
    }

    // ---- status ---------------------------------------------------------------------

    /// Where every participating region stands, not submitted first. Organizers only
    /// (`by` is None on the trusted command line); the meeting named, or the latest.
    pub async fn status(
        &self,
        by: Option<&PersonId>,
        id: Option<MeetingId>,
    ) -> Result<MeetingStatus, AppError> {
        self.require_organizer(by, "提出状況は主催者のみが見られます。")
            .await?;
        let meeting = self.named_or_latest(id).await?;
        let setup = self.store.meeting_setup(meeting.id).await?;
        let people = self.people.people().await?;
        self.status_of(&meeting, &participants(&people, &setup))
            .await
    }

    /// The participating regions of a meeting and their staff.
    pub async fn participants(&self, setup: &MeetingSetup) -> Result<Participants, AppError> {
        Ok(participants(&self.people.people().await?, setup))
    }

    /// Where each of these participants stands.
    pub async fn status_of(
        &self,
        meeting: &Meeting,
        participants: &Participants,
    ) -> Result<MeetingStatus, AppError> {
        let form = self.form_of(meeting).await?;
        let submissions = self.people.submissions(meeting.id).await?;
        let asked: Vec<(&str, Vec<&str>)> = form
            .sections
            .iter()
            .map(|s| {
                (
                    s.title.as_str(),
                    s.questions
                        .iter()
                        .filter(|q| !q.is_computed())
                        .map(|q| q.id.as_str())
                        .collect(),
                )
            })
            .collect();
        let total: usize = asked.iter().map(|(_, q)| q.len()).sum();
        let mut regions = Vec::new();
        for (key, (name, staff)) in participants.clone() {
            let submission = submissions.iter().find(|s| s.region_key == key);
            let answers = match submission {
                Some(s) => self.people.answers(s.id).await?,
                None => Default::default(),
            };
            let answered = asked
                .iter()
                .flat_map(|(_, q)| q.iter())
                .filter(|q| answers.contains_key(**q))
                .count();
            let missing_sections = asked
                .iter()
                .filter(|(_, q)| !q.is_empty() && !q.iter().any(|q| answers.contains_key(*q)))
                .map(|(t, _)| expand(t, meeting.fiscal_year))
                .collect();
            let progress = match submission {
                Some(s) if s.submitted_version > 0 => Progress::Submitted {
                    at: s.submitted_at.unwrap_or(s.updated_at),
                    version: s.submitted_version,
                    amended: s.amended,
                },
                Some(_) if answered > 0 => Progress::Draft { answered, total },
                _ => Progress::NotStarted,
            };
            regions.push(RegionStatus {
                region_key: key,
                region_name: name,
                progress,
                missing_sections,
                staff: staff.iter().map(|p| p.name.clone()).collect(),
            });
        }
        // Not submitted first (least done first), then submitted.
        regions.sort_by_key(|r| match &r.progress {
            Progress::NotStarted => (0, 0, r.region_key.clone()),
            Progress::Draft { answered, .. } => (1, *answered, r.region_key.clone()),
            Progress::Submitted { .. } => (2, 0, r.region_key.clone()),
        });
        Ok(MeetingStatus {
            meeting: meeting.clone(),
            at: self.clock.now(),
            regions,
        })
    }
}

/// The participating regions (key → name and staff) among these people: the meeting's
/// regions when it lists them, otherwise every region with approved staff.
pub fn participants(people: &[Person], setup: &MeetingSetup) -> Participants {
    let mut out: Participants = setup
        .regions
        .iter()
        .map(|(k, n)| (k.clone(), (n.clone(), Vec::new())))
        .collect();
    let explicit = !setup.regions.is_empty();
    for p in people {
        for g in &p.grants {
            if g.role != Role::Staff || g.status != GrantStatus::Approved {
                continue;
            }
            match out.get_mut(&g.region_key) {
                Some((_, staff)) => staff.push(p.clone()),
                None if !explicit => {
                    out.insert(
                        g.region_key.clone(),
                        (g.region_name.clone(), vec![p.clone()]),
                    );
                }
                None => {}
            }
        }
    }
    out
}
