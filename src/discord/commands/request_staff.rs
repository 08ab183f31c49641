//! 「/担当申請」: someone asks to answer for a region; an organizer approves.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::discord::message::answers::problem_text;

pub const NAME: &str = "担当申請";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "地域の担当者として申請します（主催者が承認します）",
        "options": [options::text(options::REGION, "担当する地域", true, true)],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (person, name) = person_of(&cmd.user);
    let said = bot
        .app
        .assignments
        .request_staff(
            &person,
            &name,
            options::string(cmd, options::REGION).unwrap_or(""),
        )
        .await?;
    Ok(vec![problem_text(&said)])
}
