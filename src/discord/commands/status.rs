//! 「/提出状況」: an organizer sees where every region of a meeting stands, with a nudge
//! button per region not submitted.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::discord::message::notices;

pub const NAME: &str = "提出状況";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "【主催者】会議の提出状況を見て、未提出の地域に催促します",
        "options": [options::text(options::MEETING, "会議（省略すると最新の会議）", false, true)],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (person, _) = person_of(&cmd.user);
    let status = bot
        .app
        .meetings
        .status(Some(&person), options::meeting(cmd))
        .await?;
    Ok(vec![notices::status(&status, true)])
}
