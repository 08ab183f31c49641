//! Buttons and input forms: paging through an answer, the 事前課題 buttons and input
//! form, 「事前課題を入力する」 under a reminder, 「催促」 under a status. One file each; the
//! custom ids they act on are read in `message::ids`, so every click says what it acts on.

pub mod form;
pub mod nudge;
pub mod paging;
pub mod resume;

use serde_json::Value;

use super::message::Reply;

/// What a component answers with.
#[derive(Debug)]
pub enum Response {
    /// New messages (the first as the interaction's response, the rest as follow-ups).
    Messages(Vec<Reply>),
    /// Opens an input form (a modal, as Discord's API takes it).
    Modal(Value),
}
