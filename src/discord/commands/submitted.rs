//! 「/提出内容」: read what a region submitted (advisors, organizers, the region's staff),
//! in as many messages as it takes.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::discord::message::limits::{CONTENT, split_text};

pub const NAME: &str = "提出内容";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "提出された事前課題を読みます（アドバイザー・主催者・その地域の担当者）",
        "options": [
            options::text(options::REGION, "地域", true, true),
            options::text(options::MEETING, "会議（省略すると最新の会議）", false, true),
        ],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (person, _) = person_of(&cmd.user);
    let text = bot
        .app
        .assignments
        .submitted_text(
            &person,
            options::meeting(cmd),
            options::string(cmd, options::REGION).unwrap_or(""),
        )
        .await?;
    let parts = split_text(&text, CONTENT - 10);
    let count = parts.len();
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            Reply::text(if count > 1 {
                format!("({}/{count})\n{part}", i + 1)
            } else {
                part
            })
        })
        .collect())
}
