//! 「催促」 under a status or digest: an organizer reminds a region (or every region not
//! submitted) now.

use serenity::all::ComponentInteraction;

use super::Response;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::domain::ids::MeetingId;

pub async fn nudge(
    bot: &Bot,
    c: &ComponentInteraction,
    meeting: MeetingId,
    region: Option<&str>,
) -> Result<Response, AppError> {
    let (person, _) = person_of(&c.user);
    let said = bot.app.reminders.nudge(&person, meeting, region).await?;
    // Sent now rather than at the next scheduled tick.
    let reminders = bot.app.reminders.clone();
    let courier = bot.courier.clone();
    tokio::spawn(async move {
        if let Err(e) = reminders.tick(courier.as_ref()).await {
            tracing::error!(error = %e.chain(), "sending a nudge failed");
        }
    });
    let mut reply = Reply::text(said);
    reply.ephemeral = true;
    Ok(Response::Messages(vec![reply]))
}
