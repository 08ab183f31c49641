//! Meetings: an AD合同会議 with its form version and submission deadline (Japan time).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::clock::format_jst;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: i64,
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
}
