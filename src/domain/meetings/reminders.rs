//! Where each region of a meeting stands, what nimo says about it (notices), and the
//! life of one message in the outbox (its recipient, its state, retries).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::meeting::Meeting;
use crate::domain::ids::MeetingId;
use crate::domain::people::PersonId;

/// Where a participating region stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    NotStarted,
    /// A draft with this many of the form's questions answered.
    Draft {
        answered: usize,
        total: usize,
    },
    Submitted {
        at: DateTime<Utc>,
        version: u32,
        /// Changed since it was last submitted (修正中).
        amended: bool,
    },
}

impl Progress {
    pub fn is_submitted(&self) -> bool {
        matches!(self, Progress::Submitted { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionStatus {
    pub region_key: String,
    pub region_name: String,
    pub progress: Progress,
    /// Sections with nothing answered yet (for reminders).
    pub missing_sections: Vec<String>,
    /// Staff registered for the region (display names).
    pub staff: Vec<String>,
}

/// A meeting's status at a moment: every participating region, not submitted first.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingStatus {
    pub meeting: Meeting,
    pub at: DateTime<Utc>,
    pub regions: Vec<RegionStatus>,
}

impl MeetingStatus {
    pub fn submitted(&self) -> usize {
        self.regions
            .iter()
            .filter(|r| r.progress.is_submitted())
            .count()
    }

    pub fn not_submitted(&self) -> impl Iterator<Item = &RegionStatus> {
        self.regions.iter().filter(|r| !r.progress.is_submitted())
    }
}

/// What a delivery says; rendered by each front end in its own way (Discord shows times
/// as timestamps every reader sees in their own clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// To a region's staff: the deadline, what is still missing, how to resume.
    Reminder {
        meeting_id: MeetingId,
        meeting_name: String,
        deadline: DateTime<Utc>,
        region_name: String,
        missing_sections: Vec<String>,
        answered: usize,
        total: usize,
        /// The deadline has passed (the overdue notice).
        overdue: bool,
        /// Sent because an organizer asked (催促), not by the ladder.
        nudged: bool,
        /// The first word of a meeting created when its first rungs had already passed.
        #[serde(default)]
        announcement: bool,
        /// When the DM could not be delivered and this goes to the meeting's channel,
        /// the person it is for (mentioned there).
        for_person: Option<PersonId>,
    },
    /// To organizers: counts and the regions that have not submitted.
    Digest {
        meeting_id: MeetingId,
        meeting_name: String,
        deadline: DateTime<Utc>,
        after_deadline: bool,
        submitted: usize,
        total: usize,
        /// (region, 「未着手」 / 「下書き 3/18問」).
        missing: Vec<(String, String)>,
        /// Region keys with a nudge button.
        nudge: Vec<String>,
        /// Regions not submitted with nobody registered to remind.
        #[serde(default)]
        unstaffed: Vec<String>,
    },
    /// To organizers: a reminder could not reach someone.
    Undeliverable {
        meeting_id: MeetingId,
        meeting_name: String,
        person: String,
        region_name: String,
        /// What happened instead (「会議のチャンネルに投稿しました」 / 「送れませんでした」).
        outcome: String,
    },
}

impl Notice {
    pub fn meeting_id(&self) -> MeetingId {
        match self {
            Notice::Reminder { meeting_id, .. }
            | Notice::Digest { meeting_id, .. }
            | Notice::Undeliverable { meeting_id, .. } => *meeting_id,
        }
    }
}

/// Status words for a region, as organizers read them.
pub fn progress_text(p: &Progress) -> String {
    match p {
        Progress::NotStarted => "未着手".into(),
        Progress::Draft { answered, total } => format!("下書き {answered}/{total}問"),
        Progress::Submitted {
            version, amended, ..
        } => {
            if *amended {
                format!("提出済（第{version}版・修正中）")
            } else if *version > 1 {
                format!("提出済（第{version}版）")
            } else {
                "提出済".into()
            }
        }
    }
}

/// Where a rung of a meeting's ladder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Not yet due, or due and not yet handled.
    Pending,
    /// Sent.
    Done,
    /// Folded into a later rung after downtime: never sent on its own.
    Merged,
    /// About a deadline that had passed when it came due: never sent.
    Expired,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Done => "done",
            StepState::Merged => "merged",
            StepState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<StepState> {
        [
            StepState::Pending,
            StepState::Done,
            StepState::Merged,
            StepState::Expired,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// As organizers read it in `nimo meeting status`.
    pub fn label(self) -> &'static str {
        match self {
            StepState::Pending => "予定",
            StepState::Done => "送信済み",
            StepState::Merged => "まとめて送信",
            StepState::Expired => "締切後のため送らず",
        }
    }
}

/// Where one message of the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    /// Claimed by a worker that is sending it (or crashed while sending it).
    Sending,
    Sent,
    /// Given up; the organizers were told.
    Failed,
    /// No longer needed (the region submitted meanwhile).
    Cancelled,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Sending,
            DeliveryState::Sent,
            DeliveryState::Failed,
            DeliveryState::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Who a message goes to: a person (by DM), or a channel (a post everyone there sees).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    Person(PersonId),
    /// A Discord channel id.
    Channel(String),
}

const CHANNEL_PREFIX: &str = "channel:";

impl Recipient {
    /// The stable text form kept with a delivery: a person id, or `channel:ID`.
    pub fn to_text(&self) -> String {
        match self {
            Recipient::Person(p) => p.to_string(),
            Recipient::Channel(c) => format!("{CHANNEL_PREFIX}{c}"),
        }
    }

    pub fn from_text(s: &str) -> Result<Recipient, String> {
        match s.strip_prefix(CHANNEL_PREFIX) {
            Some(c) => Ok(Recipient::Channel(c.to_string())),
            None => s.parse().map(Recipient::Person),
        }
    }

    pub fn person(&self) -> Option<&PersonId> {
        match self {
            Recipient::Person(p) => Some(p),
            Recipient::Channel(_) => None,
        }
    }
}

/// Whom a courier can deliver to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everyone: the bot (Discord users by DM, terminal users through the channel).
    Everyone,
    /// People registered in the terminal only (`nimo meeting remind` prints theirs).
    Terminal,
}

impl Reach {
    pub fn covers(self, recipient: &Recipient) -> bool {
        match self {
            Reach::Everyone => true,
            Reach::Terminal => matches!(recipient, Recipient::Person(PersonId::Local(_))),
        }
    }
}

/// How a message reached its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Dm,
    Channel,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Dm => "dm",
            Via::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<Via> {
        match s {
            "dm" => Some(Via::Dm),
            "channel" => Some(Via::Channel),
            _ => None,
        }
    }
}

/// Waiting time before the next attempt of a delivery that failed for a passing reason.
pub fn backoff(attempt: u32) -> Duration {
    let minutes = [1, 5, 15, 60, 180];
    Duration::minutes(minutes[(attempt.saturating_sub(1) as usize).min(minutes.len() - 1)])
}

/// After this many failed attempts a delivery is given up and the organizers are told.
pub const MAX_ATTEMPTS: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_keep_their_text_form() {
        for text in ["discord:42", "local:山田", "channel:9876"] {
            assert_eq!(Recipient::from_text(text).unwrap().to_text(), text);
        }
        assert_eq!(
            Recipient::from_text("channel:9876").unwrap(),
            Recipient::Channel("9876".into())
        );
        assert_eq!(StepState::parse("merged"), Some(StepState::Merged));
        assert_eq!(
            DeliveryState::parse("sending"),
            Some(DeliveryState::Sending)
        );
        assert_eq!(DeliveryState::parse("lost"), None);
    }

    #[test]
    fn backoff_grows_and_stops() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(3), Duration::minutes(15));
        assert_eq!(backoff(40), Duration::minutes(180));
    }
}
