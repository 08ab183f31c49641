//! Meetings: an AD合同会議 with its form version and submission deadline (Japan time), who
//! takes part, who organizes, and how it reminds.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ladder::Policy;
use crate::domain::clock::format_jst;
use crate::domain::ids::MeetingId;
use crate::domain::people::PersonId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: MeetingId,
    /// 「令和３年度 第１回 AD合同会議」
    pub name: String,
    pub fiscal_year: Option<i32>,
    pub form_id: String,
    pub form_version: String,
    pub deadline: DateTime<Utc>,
    pub meeting_date: Option<NaiveDate>,
}

impl Meeting {
    /// Submissions are accepted and amended until the deadline.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        now < self.deadline
    }

    pub fn deadline_text(&self) -> String {
        format_jst(self.deadline)
    }

    pub fn form_reference(&self) -> String {
        format!("{}@{}", self.form_id, self.form_version)
    }

    /// The meeting people mean when they name none: the one with the latest deadline
    /// (of two with the same deadline, the one created last).
    pub fn latest(meetings: &[Meeting]) -> Option<&Meeting> {
        meetings.iter().max_by_key(|m| (m.deadline, m.id))
    }
}

/// A meeting about to be created.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub name: String,
    pub fiscal_year: Option<i32>,
    pub form_id: String,
    pub form_version: String,
    pub deadline: DateTime<Utc>,
    pub meeting_date: Option<NaiveDate>,
}

/// What a meeting needs beyond its name and deadline to remind and report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeetingSetup {
    /// Where fallbacks and digests may be posted (a Discord channel id).
    pub channel: Option<String>,
    pub policy: Policy,
    /// Participating regions (key, name). Empty: every region with registered staff.
    pub regions: Vec<(String, String)>,
    pub organizers: Vec<PersonId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::parse_jst;

    fn meeting(id: i64, deadline: &str) -> Meeting {
        Meeting {
            id: MeetingId::new(id),
            name: format!("会議{id}"),
            fiscal_year: None,
            form_id: "jizen-kadai".into(),
            form_version: "1".into(),
            deadline: parse_jst(deadline).unwrap(),
            meeting_date: None,
        }
    }

    #[test]
    fn the_latest_meeting_is_the_one_with_the_latest_deadline() {
        let ms = [
            meeting(1, "2021-06-30 17:00"),
            meeting(2, "2021-12-10 17:00"),
            meeting(3, "2021-09-01 17:00"),
            meeting(4, "2021-12-10 17:00"),
        ];
        assert_eq!(Meeting::latest(&ms).map(|m| m.id), Some(MeetingId::new(4)));
        assert_eq!(
            Meeting::latest(&ms[..3]).map(|m| m.id),
            Some(MeetingId::new(2))
        );
        assert!(Meeting::latest(&[]).is_none());
    }
}
