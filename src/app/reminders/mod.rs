//! Reminders: nimo reminds the regions that have not submitted, digests the status for
//! organizers, and lets organizers nudge a region now.
//!
//! The schedule lives in the database. A tick (1) claims the rungs that are due, decides
//! what to send (one message per recipient even after downtime; nothing about a passed
//! deadline but the overdue notice) and records the deliveries together with the rungs'
//! new state, then (2) claims deliveries and sends them, recording each result
//! (`dispatch`). Claims expire, so a crashed process's work is taken over; a delivery
//! keeps its nonce, so a send retried after a crash is recognised by Discord instead of
//! posted twice.

mod dispatch;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Tokyo;
use rand::Rng;

use super::AppError;
use super::meetings::{Meetings, participants};
use crate::domain::clock::Clock;
use crate::domain::ids::MeetingId;
use crate::domain::meetings::ladder::{ANNOUNCE, Audience, Step, When, catch_up};
use crate::domain::meetings::meeting::Meeting;
use crate::domain::meetings::reminders::{
    MeetingStatus, Notice, Progress, Recipient, RegionStatus, StepState, progress_text,
};
use crate::domain::people::{Person, PersonId};
use crate::domain::ports::{
    AssignmentStore, Courier, Delivery, DueStep, NewDelivery, ReminderStore,
};

/// How long a worker owns what it claimed. Kept well inside the few minutes Discord
/// remembers a nonce, so a send taken over after a crash is still recognised.
pub const CLAIM: Duration = Duration::seconds(90);

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
    meetings: Arc<Meetings>,
    people: Arc<dyn AssignmentStore>,
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
        meetings: Arc<Meetings>,
        people: Arc<dyn AssignmentStore>,
        store: Arc<dyn ReminderStore>,
        clock: Arc<dyn Clock>,
    ) -> Reminders {
        let worker = format!("{}-{}", std::process::id(), &nonce()[1..9]);
        Reminders {
            meetings,
            people,
            store,
            clock,
            worker,
        }
    }

    /// Every message of a meeting's outbox (for status listings and tests).
    pub async fn deliveries(&self, meeting: MeetingId) -> Result<Vec<Delivery>, AppError> {
        Ok(self.store.deliveries(meeting).await?)
    }

    /// An organizer asks nimo to remind a region (or every region not submitted) now.
    /// At most once an hour per region, so a double click does not send twice.
    pub async fn nudge(
        &self,
        by: &PersonId,
        meeting_id: MeetingId,
        region_key: Option<&str>,
    ) -> Result<String, AppError> {
        match self.people.person(by).await? {
            Some(p) if p.is_organizer() => {}
            _ => return Err(AppError::refused("この操作は主催者のみが行えます。")),
        }
        let meeting = self.meetings.get(meeting_id).await?;
        let setup = self.meetings.setup(meeting_id).await?;
        let participants = self.meetings.participants(&setup).await?;
        let status = self.meetings.status_of(&meeting, &participants).await?;
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
        let mut staffed = Vec::new();
        let mut unstaffed = Vec::new();
        for r in &targets {
            let staff = participants
                .get(&r.region_key)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            if staff.is_empty() {
                unstaffed.push(r.region_name.as_str());
            } else {
                staffed.push(r.region_name.as_str());
            }
            for p in staff {
                deliveries.push(NewDelivery {
                    meeting_id,
                    step: step.clone(),
                    recipient: Recipient::Person(p.id.clone()),
                    region_key: r.region_key.clone(),
                    notice: reminder_notice(&meeting, r, Kind::Nudge),
                    nonce: nonce(),
                });
            }
        }
        let nobody = format!(
            "担当者が登録されていないため、催促できない地域があります: {}。「/担当登録」で担当者を登録してください。",
            unstaffed.join("、")
        );
        if deliveries.is_empty() {
            return Ok(nobody);
        }
        let added = self.store.add_deliveries(&deliveries).await?;
        let mut msg = if added == 0 {
            "この1時間以内に同じ催促を送っています。".to_string()
        } else {
            format!(
                "{}の担当者（{}名）に催促を送ります。",
                shorten(&staffed, 5),
                added
            )
        };
        if !unstaffed.is_empty() {
            msg.push('\n');
            msg.push_str(&nobody);
        }
        Ok(msg)
    }

    // ---- the scheduler ----------------------------------------------------------------

    // ---- the scheduler ----------------------------------------------------------------

    /// Does everything due now: decides the due rungs, then sends what is waiting.
    pub async fn tick(&self, courier: &dyn Courier) -> Result<TickReport, AppError> {
        let mut report = TickReport::default();
        self.expand_due_steps(&mut report).await?;
        self.dispatch(courier, &mut report).await?;
        Ok(report)
    }

    /// When the next thing falls due (for the loop to sleep until then).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(self.store.next_due().await?)
    }

    async fn expand_due_steps(&self, report: &mut TickReport) -> Result<(), AppError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_due_steps(&self.worker, now, now + CLAIM)
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        let mut by_meeting: BTreeMap<MeetingId, Vec<DueStep>> = BTreeMap::new();
        for s in claimed {
            by_meeting.entry(s.meeting_id).or_default().push(s);
        }
        // Everyone's roles, read once for all the meetings due.
        let people = self.people.people().await?;
        for (meeting_id, due) in by_meeting {
            if let Err(e) = self
                .expand_meeting(meeting_id, &due, &people, now, report)
                .await
            {
                // One meeting's trouble must not stop the others; its claim runs out
                // and the next tick tries again.
                tracing::error!(meeting = %meeting_id, error = %e.chain(), "reminder step failed");
            }
        }
        Ok(())
    }

    async fn expand_meeting(
        &self,
        meeting_id: MeetingId,
        due: &[DueStep],
        people: &[Person],
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), AppError> {
        let meeting = self.meetings.get(meeting_id).await?;
        let setup = self.meetings.setup(meeting_id).await?;
        let participants = participants(people, &setup);
        let status = self.meetings.status_of(&meeting, &participants).await?;
        let mut settled: Vec<(String, StepState)> = Vec::new();
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
                                When::After { minutes: 0 }
                            } else {
                                When::DayOf {
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
            settled.extend(plan.merged.iter().map(|k| (k.clone(), StepState::Merged)));
            settled.extend(plan.expired.iter().map(|k| (k.clone(), StepState::Expired)));
            let Some(send) = plan.send else { continue };
            settled.push((send.clone(), StepState::Done));
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
                                recipient: Recipient::Person(p.id.clone()),
                                region_key: r.region_key.clone(),
                                notice: reminder_notice(
                                    &meeting,
                                    r,
                                    if after {
                                        Kind::Overdue
                                    } else if send == ANNOUNCE {
                                        Kind::Announcement
                                    } else {
                                        Kind::Ladder
                                    },
                                ),
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
                            recipient: Recipient::Person(o.clone()),
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
                            recipient: Recipient::Channel(c.clone()),
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
                meeting = %meeting_id,
                "a reminder step was taken over by another worker"
            );
        }
        Ok(())
    }

    /// Run by a process that has just become the leader, before its scheduler starts:
    /// what the previous leader had claimed and not finished goes out now, not when its
    /// claims run out.
    pub async fn take_over(&self) -> Result<(), AppError> {
        let (steps, deliveries) = self.store.take_over_claims(&self.worker).await?;
        if steps + deliveries > 0 {
            tracing::info!(
                steps,
                deliveries,
                "took over what the previous leader had claimed"
            );
        }
        Ok(())
    }

    /// Runs the scheduler until `stop` resolves: a tick, then sleep until the next thing
    /// is due (at most `idle`, so work created by another process is picked up).
    pub async fn run(
        &self,
        courier: Arc<dyn Courier>,
        idle: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        if let Err(e) = self.meetings.ensure_scheduled().await {
            tracing::error!(error = %e.chain(), "scheduling meetings failed");
        }
        loop {
            match self.tick(courier.as_ref()).await {
                Ok(r) if r != TickReport::default() => {
                    tracing::info!(?r, "reminders");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e.chain(), "reminder tick failed"),
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

/// Why a reminder is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A rung of the ladder before the deadline.
    Ladder,
    /// The notice after the deadline.
    Overdue,
    /// An organizer asked (催促).
    Nudge,
    /// The meeting was created with its first rungs already past: the first word of it.
    Announcement,
}

fn reminder_notice(meeting: &Meeting, r: &RegionStatus, kind: Kind) -> Notice {
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
        overdue: kind == Kind::Overdue,
        nudged: kind == Kind::Nudge,
        announcement: kind == Kind::Announcement,
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
        unstaffed: status
            .not_submitted()
            .filter(|r| r.staff.is_empty())
            .map(|r| r.region_name.clone())
            .collect(),
    }
}
