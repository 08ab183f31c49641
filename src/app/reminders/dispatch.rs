//! Sending what the ladder decided: claim deliveries, send each through the courier, and
//! record how it went — sent, retried later, posted in the channel instead of a closed DM
//! (and the organizers told), given up (and the organizers told), or cancelled because
//! the region submitted meanwhile.

use super::{CLAIM, Reminders, TickReport, nonce};
use crate::app::AppError;
use crate::domain::meetings::reminders::{MAX_ATTEMPTS, Notice, Recipient, Via, backoff};
use std::collections::{BTreeSet, HashSet};

use crate::domain::ids::MeetingId;
use crate::domain::ports::{
    Courier, Delivery, DeliveryError, DeliveryOutcome, Finished, NewDelivery,
};

/// Deliveries sent per claim.
const BATCH: u32 = 200;
/// Outcomes recorded per transaction. A crash loses at most this many records of sends
/// already made; those are sent again after their claim runs out, with their nonce, and
/// Discord returns the messages it already created.
const RECORD_EVERY: usize = 50;

/// A delivery handed back untried (this process stopped leading).
fn released(d: &Delivery) -> Finished {
    Finished {
        id: d.id,
        outcome: DeliveryOutcome::Released,
        follow_ups: Vec::new(),
    }
}

impl Reminders {
    pub(super) async fn dispatch(
        &self,
        courier: &dyn Courier,
        report: &mut TickReport,
    ) -> Result<(), AppError> {
        loop {
            let now = self.clock.now();
            let batch = self
                .store
                .claim_deliveries(&self.worker, now, now + CLAIM, BATCH, courier.reach())
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            // Set once the courier says this process no longer leads: everything claimed
            // and not yet sent goes back to the outbox untouched, for the new leader.
            let mut stopped = false;
            for chunk in batch.chunks(RECORD_EVERY) {
                // Regions that submitted since their reminders were decided, read once
                // per meeting of the chunk, just before sending.
                let submitted = if stopped {
                    HashSet::new()
                } else {
                    self.submitted_regions(chunk).await?
                };
                let mut finished = Vec::with_capacity(chunk.len());
                for d in chunk {
                    if stopped {
                        finished.push(released(d));
                        continue;
                    }
                    match self.deliver(courier, d, &submitted, report).await {
                        Ok(f) => {
                            stopped = matches!(f.outcome, DeliveryOutcome::Released);
                            finished.push(f);
                        }
                        Err(e) => {
                            // Left claimed: retried when the claim runs out.
                            tracing::error!(delivery = %d.id, error = %e.chain(), "a delivery failed inside nimo");
                        }
                    }
                }
                let recorded = self
                    .store
                    .finish_deliveries(&self.worker, &finished)
                    .await?;
                if recorded < finished.len() {
                    tracing::warn!(
                        lost = finished.len() - recorded,
                        "deliveries were taken over by another worker before their outcome was recorded"
                    );
                }
            }
            if stopped {
                tracing::warn!(
                    "this process no longer leads; its claimed reminders went back to the outbox"
                );
                return Ok(());
            }
        }
    }

    /// (meeting, region) of every region among these deliveries' that has submitted.
    async fn submitted_regions(
        &self,
        deliveries: &[Delivery],
    ) -> Result<HashSet<(MeetingId, String)>, AppError> {
        let meetings: BTreeSet<MeetingId> = deliveries
            .iter()
            .filter(|d| matches!(d.notice, Notice::Reminder { .. }) && !d.region_key.is_empty())
            .map(|d| d.meeting_id)
            .collect();
        let mut out = HashSet::new();
        for m in meetings {
            for s in self.people.submissions(m).await? {
                if s.submitted_version > 0 {
                    out.insert((m, s.region_key));
                }
            }
        }
        Ok(out)
    }

    async fn deliver(
        &self,
        courier: &dyn Courier,
        d: &Delivery,
        submitted: &HashSet<(MeetingId, String)>,
        report: &mut TickReport,
    ) -> Result<Finished, AppError> {
        // A region that submitted since the reminder was decided is not reminded.
        if let Notice::Reminder { .. } = &d.notice
            && submitted.contains(&(d.meeting_id, d.region_key.clone()))
        {
            report.cancelled += 1;
            return Ok(Finished {
                id: d.id,
                outcome: DeliveryOutcome::Cancelled {
                    why: "submitted meanwhile".into(),
                },
                follow_ups: Vec::new(),
            });
        }
        let result = match &d.recipient {
            Recipient::Channel(channel) => courier.to_channel(channel, &d.notice, &d.nonce).await,
            Recipient::Person(person) => courier.to_person(person, &d.notice, &d.nonce).await,
        };
        let (outcome, follow_ups) = match result {
            Err(DeliveryError::NotLeader) => return Ok(released(d)),
            Ok(()) => {
                report.sent += 1;
                (
                    DeliveryOutcome::Sent {
                        via: match d.recipient {
                            Recipient::Channel(_) => Via::Channel,
                            Recipient::Person(_) => Via::Dm,
                        },
                    },
                    Vec::new(),
                )
            }
            Err(DeliveryError::Transient(e)) if d.attempts < MAX_ATTEMPTS => {
                report.retried += 1;
                tracing::warn!(delivery = %d.id, attempts = d.attempts, error = %e, "a reminder will be retried");
                (
                    DeliveryOutcome::Retry {
                        at: self.clock.now() + backoff(d.attempts),
                        error: e,
                    },
                    Vec::new(),
                )
            }
            Err(DeliveryError::Unreachable(e)) if d.recipient.person().is_some() => {
                self.fall_back(courier, d, &e, report).await?
            }
            Err(e) => {
                report.failed += 1;
                tracing::error!(delivery = %d.id, error = %e, "a reminder could not be delivered");
                let flags = self.flag(d, "送れませんでした").await?;
                (
                    DeliveryOutcome::Failed {
                        error: e.to_string(),
                    },
                    flags,
                )
            }
        };
        Ok(Finished {
            id: d.id,
            outcome,
            follow_ups,
        })
    }

    /// A DM that cannot be delivered goes to the meeting's channel, mentioning the
    /// person, and the organizers are told either way.
    async fn fall_back(
        &self,
        courier: &dyn Courier,
        d: &Delivery,
        why: &str,
        report: &mut TickReport,
    ) -> Result<(DeliveryOutcome, Vec<NewDelivery>), AppError> {
        let setup = self.meetings.setup(d.meeting_id).await?;
        let channel = setup.channel.clone();
        let mut notice = d.notice.clone();
        if let Notice::Reminder { for_person, .. } = &mut notice {
            *for_person = d.recipient.person().cloned();
        }
        let posted = match &channel {
            Some(c) => courier.to_channel(c, &notice, &d.nonce).await,
            None => Err(DeliveryError::Rejected("the meeting has no channel".into())),
        };
        match posted {
            Err(DeliveryError::NotLeader) => Ok((DeliveryOutcome::Released, Vec::new())),
            Ok(()) => {
                report.fallbacks += 1;
                let flags = self
                    .flag(d, "DMが届かないため、会議のチャンネルに投稿しました")
                    .await?;
                Ok((DeliveryOutcome::Sent { via: Via::Channel }, flags))
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
    async fn flag(&self, d: &Delivery, outcome: &str) -> Result<Vec<NewDelivery>, AppError> {
        if matches!(d.notice, Notice::Undeliverable { .. }) {
            // A flag that cannot be delivered is logged, not flagged again.
            return Ok(Vec::new());
        }
        let setup = self.meetings.setup(d.meeting_id).await?;
        let meeting = self.meetings.get(d.meeting_id).await?;
        let person = match &d.recipient {
            Recipient::Person(p) => self
                .people
                .person(p)
                .await?
                .map(|p| p.name)
                .unwrap_or_else(|| p.to_string()),
            Recipient::Channel(_) => d.recipient.to_text(),
        };
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
            .filter(|o| d.recipient.person() != Some(*o))
            .map(|o| NewDelivery {
                meeting_id: d.meeting_id,
                step: step.clone(),
                recipient: Recipient::Person(o.clone()),
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
                recipient: Recipient::Channel(c.clone()),
                region_key: String::new(),
                notice,
                nonce: nonce(),
            });
        }
        Ok(out)
    }
}
