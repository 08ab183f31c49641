//! Meetings and their deadlines (`meeting`), the reminder ladder (`ladder`) and the days
//! offices are closed (`calendar`), and where each region stands and what nimo tells
//! people about it (`reminders`).

pub mod calendar;
pub mod ladder;
pub mod meeting;
pub mod reminders;
