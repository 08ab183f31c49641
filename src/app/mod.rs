//! The use cases both front ends (terminal and Discord) call. They orchestrate the domain
//! through its ports and hold no SQL, tantivy or Discord code.
//!
//! - `library`: documents and questions — ingest, ask, publish, region profiles, rosters
//! - `meetings`: create, edit, read and report on meetings; form versions
//! - `assignments`: the 事前課題 conversation, staff registration, submissions, exports
//! - `reminders`: the reminder schedule and its dispatch
//! - `pages`: what paging buttons stand for
//! - `cluster`: leader and standbys on one database; `nimo status`
//! - `error`: the one error type; `view`: JSON views of answers

pub mod assignments;
pub mod cluster;
pub mod error;
pub mod library;
pub mod meetings;
pub mod pages;
pub mod reminders;
pub mod view;

pub use error::AppError;

use std::sync::Arc;

use crate::domain::clock::Clock;

/// Every use case, as the front ends see them. Built by `setup`.
pub struct App {
    pub library: Arc<library::Library>,
    pub meetings: Arc<meetings::Meetings>,
    pub assignments: Arc<assignments::Assignments>,
    pub reminders: Arc<reminders::Reminders>,
    pub pages: Arc<pages::Pages>,
    pub cluster: Arc<cluster::Cluster>,
    pub clock: Arc<dyn Clock>,
}
