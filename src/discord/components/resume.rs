//! 「事前課題を入力する」 under a reminder: opens (or resumes) that meeting's form.

use serenity::all::ComponentInteraction;

use super::Response;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::conversation;
use crate::domain::ids::MeetingId;

pub async fn resume(
    bot: &Bot,
    c: &ComponentInteraction,
    meeting: Option<MeetingId>,
) -> Result<Response, AppError> {
    let (person, name) = person_of(&c.user);
    let reply = bot
        .app
        .assignments
        .begin(&person, &name, meeting, None)
        .await?;
    Ok(Response::Messages(conversation::replies(
        &reply.messages,
        reply.submission,
    )))
}
