//! Meetings, deadlines and reminders: organizers set up a meeting (participants,
//! organizers, channel, ladder), see its status, get digests and nudge regions; nimo
//! reminds the regions that have not submitted.
//!
//! The schedule lives in the database. A tick (1) claims the rungs that are due, decides
//! what to send (one message per recipient even after downtime; nothing about a passed
//! deadline but the overdue notice) and records the deliveries together with the rungs'
//! new state, then (2) claims deliveries and sends them, recording each result. Claims
//! expire, so a crashed process's work is taken over; a delivery keeps its nonce, so a
//! send retried after a crash is recognised by Discord instead of posted twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Asia::Tokyo;
use rand::Rng;

use super::Internal;
use super::assignments::{AssignmentError, Assignments};
use crate::domain::clock::Clock;
use crate::domain::meetings::meeting::Meeting;
use crate::domain::people::{GrantStatus, Person, PersonId, Role};
use crate::domain::ports::{
    AssignmentStore, Courier, Delivery, DeliveryError, DeliveryOutcome, MeetingSetup, NewDelivery,
    ReminderStore, StepState,
};
use crate::domain::meetings::reminders::{
    Audience, MAX_ATTEMPTS, MeetingStatus, Notice, Policy, Progress, RegionStatus, Step, backoff,
    catch_up, progress_text,
};

/// How long a worker owns what it claimed. Kept well inside the few minutes Discord
/// remembers a nonce, so a send taken over after a crash is still recognised.
pub const CLAIM: Duration = Duration::seconds(90);

/// Deliveries sent per claim.
const BATCH: u32 = 200;

fn refused(msg: impl Into<String>) -> AssignmentError {
    AssignmentError::Refused(msg.into())
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
    pub policy: Option<Policy>,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Rungs that sent something.
    pub steps: usize,
    pub merged: usize,
    pub expired: usize,
    pub sent: usize,
    pub fallbacks: usize,
    pub retried: usize,
    pub failed: usize,
    pub cancelled: usize,
}

pub struct Reminders {
    assignments: Arc<Assignments>,
    store: Arc<dyn ReminderStore>,
    clock: Arc<dyn Clock>,
    /// Names this process in claims.
    worker: String,
}

fn nonce() -> String {
    // Discord accepts up to 25 characters; fixed when the delivery is created.
    format!("r{:016x}", rand::rng().random::<u64>())
}

impl Reminders {
    pub fn new(
        assignments: Arc<Assignments>,
        store: Arc<dyn ReminderStore>,
        clock: Arc<dyn Clock>,
    ) -> Reminders {
        let worker = format!("{}-{}", std::process::id(), &nonce()[1..9]);
        Reminders {
            assignments,
            store,
            clock,
            worker,
        }
    }

    fn people_store(&self) -> &Arc<dyn AssignmentStore> {
        self.assignments.store()
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    // ---- organizers ---------------------------------------------------------------------

    async fn organizer(&self, by: &PersonId) -> Result<Person, AssignmentError> {
        let person = self.people_store().person(by).await?;
        match person {
            Some(p) if p.is_organizer() => Ok(p),
            _ => Err(refused("この操作は主催者のみが行えます。")),
        }
    }

    async fn meeting(&self, id: i64) -> Result<Meeting, AssignmentError> {
        self.people_store()
            .meeting(id)
            .await?
            .ok_or_else(|| refused(format!("会議 {id} がありません。")))
    }

    pub async fn setup(&self, meeting_id: i64) -> Result<MeetingSetup, AssignmentError> {
        Ok(self.store.meeting_setup(meeting_id).await?)
    }

    /// Applies an organizer's changes and reschedules the reminders. `by` is checked
    /// unless it is None (the command line on the server, which is trusted).
    pub async fn edit(
        &self,
        by: Option<&PersonId>,
        meeting_id: i64,
        edit: MeetingEdit,
    ) -> Result<(Meeting, MeetingSetup), AssignmentError> {
        if let Some(by) = by {
            self.organizer(by).await?;
        }
        let mut meeting = self.meeting(meeting_id).await?;
        let mut setup = self.store.meeting_setup(meeting_id).await?;
        if let Some(name) = edit.name {
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(refused("会議名が空です。"));
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
        if let Some(v) = edit.form_version {
            let (id, version) = match v.split_once('@') {
                Some((i, v)) => (i.to_string(), v.to_string()),
                None => (meeting.form_id.clone(), v),
            };
            if self.people_store().form(&id, &version).await?.is_none() {
                return Err(refused(format!(
                    "フォーム {id}@{version} は登録されていません（nimo form list で確認できます）。"
                )));
            }
            let started = self.people_store().submissions(meeting_id).await?;
            if !started.is_empty() && (id != meeting.form_id || version != meeting.form_version) {
                return Err(refused(format!(
                    "すでに{}地域が入力を始めているため、フォームの版は変更できません。",
                    started.len()
                )));
            }
            meeting.form_id = id;
            meeting.form_version = version;
        }
        let mut typed: Vec<String> = edit.regions.unwrap_or_default();
        let replace = !typed.is_empty();
        typed.extend(edit.add_regions);
        if replace {
            setup.regions.clear();
        }
        for r in typed {
            let (key, name) = self.assignments.resolve_region(&r)?;
            if !setup.regions.iter().any(|(k, _)| *k == key) {
                setup.regions.push((key, name));
            }
        }
        for r in edit.remove_regions {
            let (key, _) = self.assignments.resolve_region(&r)?;
            setup.regions.retain(|(k, _)| *k != key);
        }
        if let Some(o) = edit.organizers {
            for p in &o {
                self.people_store().ensure_person(p, &p.0).await?;
            }
            setup.organizers = o;
        }
        if let Some(c) = edit.channel {
            setup.channel = c;
        }
        if let Some(p) = edit.policy {
            setup.policy = p;
        }
        self.people_store().update_meeting(&meeting).await?;
        self.store.save_meeting_setup(meeting_id, &setup).await?;
        self.reschedule(&meeting, &setup).await?;
        Ok((meeting, setup))
    }

    /// Puts the meeting's ladder for its current deadline into the schedule.
    pub async fn reschedule(
        &self,
        meeting: &Meeting,
        setup: &MeetingSetup,
    ) -> Result<(), AssignmentError> {
        let steps = setup.policy.schedule(meeting.deadline);
        self.store.replace_schedule(meeting.id, &steps).await?;
        Ok(())
    }

    /// Schedules every meeting that has no schedule yet (meetings made before reminders
    /// existed, or by `meeting create`).
    pub async fn ensure_scheduled(&self) -> Result<(), AssignmentError> {
        for m in self.people_store().meetings().await? {
            if self.store.schedule(m.id).await?.is_empty() {
                let setup = self.store.meeting_setup(m.id).await?;
                self.reschedule(&m, &setup).await?;
            }
        }
        Ok(())
    }

    pub async fn schedule(&self, meeting_id: i64) -> Result<Vec<StepState>, AssignmentError> {
        Ok(self.store.schedule(meeting_id).await?)
    }

    pub async fn deliveries(&self, meeting_id: i64) -> Result<Vec<Delivery>, AssignmentError> {
        Ok(self.store.deliveries(meeting_id).await?)
    }

    /// The participating regions (key → name) and the staff of each.
    async fn participants(
        &self,
        setup: &MeetingSetup,
    ) -> Result<BTreeMap<String, (String, Vec<Person>)>, AssignmentError> {
        let people = self.people_store().people().await?;
        Ok(participants_from(&people, setup))
    }
}

/// The participating regions (key → name and staff) among these people.
fn participants_from(
    people: &[Person],
    setup: &MeetingSetup,
) -> BTreeMap<String, (String, Vec<Person>)> {
    {
        let mut out: BTreeMap<String, (String, Vec<Person>)> = setup
            .regions
            .iter()
            .map(|(k, n)| (k.clone(), (n.clone(), Vec::new())))
            .collect();
        let explicit = !setup.regions.is_empty();
        for p in people {
            let p = p.clone();
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
}

impl Reminders {
    /// Where every participating region stands, not submitted first.
    pub async fn status(&self, meeting_id: i64) -> Result<MeetingStatus, AssignmentError> {
        let meeting = self.meeting(meeting_id).await?;
        let setup = self.store.meeting_setup(meeting_id).await?;
        let participants = self.participants(&setup).await?;
        self.status_of(&meeting, &participants).await
    }

    async fn status_of(
        &self,
        meeting: &Meeting,
        participants: &BTreeMap<String, (String, Vec<Person>)>,
    ) -> Result<MeetingStatus, AssignmentError> {
        let form = self.assignments.form_of(meeting).await?;
        let submissions = self.people_store().submissions(meeting.id).await?;
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
                Some(s) => self.people_store().answers(s.id).await?,
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
                .map(|(t, _)| crate::domain::forms::definition::expand(t, meeting.fiscal_year))
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

    /// An organizer asks nimo to remind a region (or every region not submitted) now.
    /// At most once an hour per region, so a double click does not send twice.
    pub async fn nudge(
        &self,
        by: &PersonId,
        meeting_id: i64,
        region_key: Option<&str>,
    ) -> Result<String, AssignmentError> {
        self.organizer(by).await?;
        let meeting = self.meeting(meeting_id).await?;
        let setup = self.store.meeting_setup(meeting_id).await?;
        let participants = self.participants(&setup).await?;
        let status = self.status_of(&meeting, &participants).await?;
        let hour = self
            .clock
            .now()
            .with_timezone(&Tokyo)
            .format("%Y%m%d%H")
            .to_string();
        let step = format!("nudge-{hour}");
        let targets: Vec<&RegionStatus> = status
            .not_submitted()
            .filter(|r| region_key.is_none_or(|k| r.region_key == k))
            .collect();
        if targets.is_empty() {
            return Ok(match region_key {
                Some(_) => "この地域はすでに提出済みです。".into(),
                None => "未提出の地域はありません。".into(),
            });
        }
        let mut deliveries = Vec::new();
        let mut unstaffed = Vec::new();
        for r in &targets {
            let staff = participants
                .get(&r.region_key)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            if staff.is_empty() {
                unstaffed.push(r.region_name.clone());
            }
            for p in staff {
                deliveries.push(NewDelivery {
                    meeting_id,
                    step: step.clone(),
                    recipient: p.id.0.clone(),
                    region_key: r.region_key.clone(),
                    notice: reminder_notice(&meeting, r, false, true),
                    nonce: nonce(),
                });
            }
        }
        let added = self.store.add_deliveries(&deliveries).await?;
        let mut msg = if added == 0 && !deliveries.is_empty() {
            "この1時間以内に同じ催促を送っています。".to_string()
        } else {
            let names: Vec<&str> = targets.iter().map(|r| r.region_name.as_str()).collect();
            format!(
                "{}の担当者（{}名）に催促を送ります。",
                shorten(&names, 5),
                added
            )
        };
        if !unstaffed.is_empty() {
            msg.push_str(&format!(
                "\n担当者が登録されていない地域: {}",
                unstaffed.join("、")
            ));
        }
        Ok(msg)
    }

    // ---- the scheduler ----------------------------------------------------------------

    /// Does everything due now: decides the due rungs, then sends what is waiting.
    pub async fn tick(&self, courier: &dyn Courier) -> Result<TickReport, Internal> {
        let mut report = TickReport::default();
        self.expand_due_steps(&mut report).await?;
        self.dispatch(courier, &mut report).await?;
        Ok(report)
    }

    /// When the next thing falls due (for the loop to sleep until then).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, Internal> {
        Ok(self.store.next_due().await?)
    }

    async fn expand_due_steps(&self, report: &mut TickReport) -> Result<(), Internal> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_due_steps(&self.worker, now, now + CLAIM)
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        let mut by_meeting: BTreeMap<i64, Vec<_>> = BTreeMap::new();
        for s in claimed {
            by_meeting.entry(s.meeting_id).or_default().push(s);
        }
        // Everyone's roles, read once for all the meetings due.
        let people = self.people_store().people().await?;
        for (meeting_id, due) in by_meeting {
            if let Err(e) = self
                .expand_meeting(meeting_id, &due, &people, now, report)
                .await
            {
                // One meeting's trouble must not stop the others; its claim runs out
                // and the next tick tries again.
                tracing::error!(meeting = meeting_id, error = %e, "reminder step failed");
            }
        }
        Ok(())
    }

    async fn expand_meeting(
        &self,
        meeting_id: i64,
        due: &[crate::domain::ports::DueStep],
        people: &[Person],
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), Internal> {
        let meeting = self
            .people_store()
            .meeting(meeting_id)
            .await?
            .ok_or_else(|| Internal(format!("meeting {meeting_id} missing")))?;
        let setup = self.store.meeting_setup(meeting_id).await?;
        let participants = participants_from(people, &setup);
        let status = self
            .status_of(&meeting, &participants)
            .await
            .map_err(|e| Internal(e.to_string()))?;
        let mut settled: Vec<(String, &'static str)> = Vec::new();
        let mut deliveries = Vec::new();
        for audience in [Audience::Staff, Audience::Organizers] {
            let steps: Vec<(Step, DateTime<Utc>)> = due
                .iter()
                .filter(|d| d.audience == audience)
                .map(|d| {
                    let step = setup
                        .policy
                        .steps
                        .iter()
                        .find(|s| s.key == d.step)
                        .cloned()
                        .unwrap_or_else(|| Step {
                            // A rung no longer in the policy: treat it by its due time.
                            key: d.step.clone(),
                            when: if d.due_at >= meeting.deadline {
                                crate::domain::meetings::reminders::When::After { minutes: 0 }
                            } else {
                                crate::domain::meetings::reminders::When::DayOf {
                                    at: chrono::NaiveTime::MIN,
                                }
                            },
                            audience,
                        });
                    (step, d.due_at)
                })
                .collect();
            if steps.is_empty() {
                continue;
            }
            let plan = catch_up(&steps, meeting.deadline, now);
            report.merged += plan.merged.len();
            report.expired += plan.expired.len();
            settled.extend(plan.merged.iter().map(|k| (k.clone(), "merged")));
            settled.extend(plan.expired.iter().map(|k| (k.clone(), "expired")));
            let Some(send) = plan.send else { continue };
            settled.push((send.clone(), "done"));
            report.steps += 1;
            let after = now >= meeting.deadline;
            match audience {
                Audience::Staff => {
                    for r in status.not_submitted() {
                        let staff = participants
                            .get(&r.region_key)
                            .map(|(_, s)| s.clone())
                            .unwrap_or_default();
                        for p in &staff {
                            deliveries.push(NewDelivery {
                                meeting_id,
                                step: send.clone(),
                                recipient: p.id.0.clone(),
                                region_key: r.region_key.clone(),
                                notice: reminder_notice(&meeting, r, after, false),
                                nonce: nonce(),
                            });
                        }
                    }
                }
                Audience::Organizers => {
                    let notice = digest_notice(&status, after);
                    for o in &setup.organizers {
                        deliveries.push(NewDelivery {
                            meeting_id,
                            step: send.clone(),
                            recipient: o.0.clone(),
                            region_key: String::new(),
                            notice: notice.clone(),
                            nonce: nonce(),
                        });
                    }
                    if setup.organizers.is_empty()
                        && let Some(c) = &setup.channel
                    {
                        deliveries.push(NewDelivery {
                            meeting_id,
                            step: send.clone(),
                            recipient: format!("channel:{c}"),
                            region_key: String::new(),
                            notice,
                            nonce: nonce(),
                        });
                    }
                }
            }
        }
        if !self
            .store
            .settle_steps(&self.worker, meeting_id, &settled, &deliveries)
            .await?
        {
            tracing::warn!(
                meeting = meeting_id,
                "a reminder step was taken over by another worker"
            );
        }
        Ok(())
    }

    async fn dispatch(
        &self,
        courier: &dyn Courier,
        report: &mut TickReport,
    ) -> Result<(), Internal> {
        loop {
            let now = self.clock.now();
            let batch = self
                .store
                .claim_deliveries(&self.worker, now, now + CLAIM, BATCH)
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            for d in batch {
                if let Err(e) = self.deliver(courier, &d, report).await {
                    tracing::error!(delivery = d.id, error = %e, "recording a delivery failed");
                }
            }
        }
    }

    async fn deliver(
        &self,
        courier: &dyn Courier,
        d: &Delivery,
        report: &mut TickReport,
    ) -> Result<(), Internal> {
        // A region that submitted since the reminder was decided is not reminded.
        if let Notice::Reminder { .. } = &d.notice
            && !d.region_key.is_empty()
        {
            let submitted = self
                .people_store()
                .submission(d.meeting_id, &d.region_key)
                .await?
                .is_some_and(|s| s.submitted_version > 0);
            if submitted {
                report.cancelled += 1;
                self.store
                    .finish_delivery(
                        &self.worker,
                        d.id,
                        &DeliveryOutcome::Cancelled {
                            why: "submitted meanwhile".into(),
                        },
                        &[],
                    )
                    .await?;
                return Ok(());
            }
        }
        let result = match d.recipient.strip_prefix("channel:") {
            Some(channel) => courier.to_channel(channel, &d.notice, &d.nonce).await,
            None => {
                courier
                    .to_person(&PersonId(d.recipient.clone()), &d.notice, &d.nonce)
                    .await
            }
        };
        let (outcome, follow_ups) = match result {
            Ok(()) => {
                report.sent += 1;
                (
                    DeliveryOutcome::Sent {
                        via: if d.recipient.starts_with("channel:") {
                            "channel".into()
                        } else {
                            "dm".into()
                        },
                    },
                    Vec::new(),
                )
            }
            Err(DeliveryError::Transient(e)) if d.attempts < MAX_ATTEMPTS => {
                report.retried += 1;
                tracing::warn!(delivery = d.id, attempts = d.attempts, error = %e, "a reminder will be retried");
                (
                    DeliveryOutcome::Retry {
                        at: self.clock.now() + backoff(d.attempts),
                        error: e,
                    },
                    Vec::new(),
                )
            }
            Err(DeliveryError::Unreachable(e)) if !d.recipient.starts_with("channel:") => {
                self.fall_back(courier, d, &e, report).await?
            }
            Err(e) => {
                report.failed += 1;
                tracing::error!(delivery = d.id, error = %e, "a reminder could not be delivered");
                let flags = self.flag(d, "送れませんでした").await?;
                (
                    DeliveryOutcome::Failed {
                        error: e.to_string(),
                    },
                    flags,
                )
            }
        };
        self.store
            .finish_delivery(&self.worker, d.id, &outcome, &follow_ups)
            .await?;
        Ok(())
    }

    /// A DM that cannot be delivered goes to the meeting's channel, mentioning the
    /// person, and the organizers are told either way.
    async fn fall_back(
        &self,
        courier: &dyn Courier,
        d: &Delivery,
        why: &str,
        report: &mut TickReport,
    ) -> Result<(DeliveryOutcome, Vec<NewDelivery>), Internal> {
        let setup = self.store.meeting_setup(d.meeting_id).await?;
        let channel = setup.channel.clone();
        let mut notice = d.notice.clone();
        if let Notice::Reminder { for_person, .. } = &mut notice {
            *for_person = Some(d.recipient.clone());
        }
        let posted = match &channel {
            Some(c) => courier.to_channel(c, &notice, &d.nonce).await,
            None => Err(DeliveryError::Rejected("the meeting has no channel".into())),
        };
        match posted {
            Ok(()) => {
                report.fallbacks += 1;
                let flags = self
                    .flag(d, "DMが届かないため、会議のチャンネルに投稿しました")
                    .await?;
                Ok((
                    DeliveryOutcome::Sent {
                        via: "channel".into(),
                    },
                    flags,
                ))
            }
            Err(DeliveryError::Transient(e)) if d.attempts < MAX_ATTEMPTS => {
                report.retried += 1;
                Ok((
                    DeliveryOutcome::Retry {
                        at: self.clock.now() + backoff(d.attempts),
                        error: format!("DM: {why}; channel: {e}"),
                    },
                    Vec::new(),
                ))
            }
            Err(e) => {
                report.failed += 1;
                let flags = self
                    .flag(d, "DMもチャンネルへの投稿もできず、届いていません")
                    .await?;
                Ok((
                    DeliveryOutcome::Failed {
                        error: format!("DM: {why}; channel: {e}"),
                    },
                    flags,
                ))
            }
        }
    }

    /// Notices to the organizers that a delivery did not go as planned.
    async fn flag(&self, d: &Delivery, outcome: &str) -> Result<Vec<NewDelivery>, Internal> {
        if matches!(d.notice, Notice::Undeliverable { .. }) {
            // A flag that cannot be delivered is logged, not flagged again.
            return Ok(Vec::new());
        }
        let setup = self.store.meeting_setup(d.meeting_id).await?;
        let meeting = self
            .people_store()
            .meeting(d.meeting_id)
            .await?
            .ok_or_else(|| Internal("meeting missing".into()))?;
        let person = self
            .people_store()
            .person(&PersonId(d.recipient.clone()))
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| d.recipient.clone());
        let region_name = match &d.notice {
            Notice::Reminder { region_name, .. } => region_name.clone(),
            _ => String::new(),
        };
        let notice = Notice::Undeliverable {
            meeting_id: d.meeting_id,
            meeting_name: meeting.name.clone(),
            person,
            region_name,
            outcome: outcome.to_string(),
        };
        let step = format!("flag-{}", d.id);
        let mut out: Vec<NewDelivery> = setup
            .organizers
            .iter()
            .filter(|o| o.0 != d.recipient)
            .map(|o| NewDelivery {
                meeting_id: d.meeting_id,
                step: step.clone(),
                recipient: o.0.clone(),
                region_key: String::new(),
                notice: notice.clone(),
                nonce: nonce(),
            })
            .collect();
        if out.is_empty()
            && let Some(c) = &setup.channel
        {
            out.push(NewDelivery {
                meeting_id: d.meeting_id,
                step,
                recipient: format!("channel:{c}"),
                region_key: String::new(),
                notice,
                nonce: nonce(),
            });
        }
        Ok(out)
    }

    /// Runs the scheduler until `stop` resolves: a tick, then sleep until the next thing
    /// is due (at most `idle`, so work created by another process is picked up).
    pub async fn run(
        &self,
        courier: Arc<dyn Courier>,
        idle: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        if let Err(e) = self.ensure_scheduled().await {
            tracing::error!(error = %e, "scheduling meetings failed");
        }
        loop {
            match self.tick(courier.as_ref()).await {
                Ok(r) if r != TickReport::default() => {
                    tracing::info!(?r, "reminders");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reminder tick failed"),
            }
            let wait = match self.next_due().await {
                Ok(Some(t)) => (t - self.clock.now())
                    .to_std()
                    .unwrap_or_default()
                    .min(idle),
                _ => idle,
            }
            .max(std::time::Duration::from_millis(200));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

fn shorten(names: &[&str], n: usize) -> String {
    if names.len() <= n {
        names.join("・")
    } else {
        format!("{}ほか{}地域", names[..n].join("・"), names.len() - n)
    }
}

fn reminder_notice(meeting: &Meeting, r: &RegionStatus, overdue: bool, nudged: bool) -> Notice {
    let (answered, total) = match r.progress {
        Progress::Draft { answered, total } => (answered, total),
        _ => (0, 0),
    };
    Notice::Reminder {
        meeting_id: meeting.id,
        meeting_name: meeting.name.clone(),
        deadline: meeting.deadline,
        region_name: r.region_name.clone(),
        missing_sections: r.missing_sections.clone(),
        answered,
        total,
        overdue,
        nudged,
        for_person: None,
    }
}

fn digest_notice(status: &MeetingStatus, after_deadline: bool) -> Notice {
    let missing: Vec<(String, String)> = status
        .not_submitted()
        .map(|r| (r.region_name.clone(), progress_text(&r.progress)))
        .collect();
    Notice::Digest {
        meeting_id: status.meeting.id,
        meeting_name: status.meeting.name.clone(),
        deadline: status.meeting.deadline,
        after_deadline,
        submitted: status.submitted(),
        total: status.regions.len(),
        nudge: status
            .not_submitted()
            .map(|r| r.region_key.clone())
            .collect(),
        missing,
    }
}
