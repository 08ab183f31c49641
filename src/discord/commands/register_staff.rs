//! 「/担当登録」: an organizer registers (or approves) someone as staff of a region.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::discord::message::answers::problem_text;
use crate::domain::people::PersonId;

pub const NAME: &str = "担当登録";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "【主催者】担当者を登録・承認します",
        "options": [
            options::user(options::USER, "担当者", true),
            options::text(options::REGION, "担当する地域", true, true),
        ],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (organizer, _) = person_of(&cmd.user);
    let Some((user, name)) = options::user_value(cmd, options::USER) else {
        return Err(AppError::refused("担当者をユーザーで指定してください。"));
    };
    let said = bot
        .app
        .assignments
        .register_staff(
            &organizer,
            &PersonId::discord(user),
            &name,
            options::string(cmd, options::REGION).unwrap_or(""),
        )
        .await?;
    Ok(vec![problem_text(&said)])
}
