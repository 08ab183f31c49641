//! Meetings and their deadlines, the reminder ladder, where each region stands, and the
//! notices nimo sends about them.

pub mod meeting;
pub mod reminders;
