//! 「/地域」: a region's profile — its documents, basic figures, sections and the regions
//! inside it — with a button to list its passages.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::{ask, options};
use crate::app::AppError;
use crate::discord::bot::Bot;
use crate::discord::message::Reply;
use crate::discord::message::answers;
use crate::domain::search::query::Ask;

pub const NAME: &str = "地域";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "地域の概要：資料・基礎情報・項目ごとの内容",
        "options": [options::text(options::REGION, "地域（都道府県・市・圏域など）", true, true)],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let typed = options::string(cmd, options::REGION).unwrap_or("");
    let (key, profile) = bot.app.library.profile_of(typed).await?;
    // The list of the region's passages, one page at a time behind a button.
    let list = Ask {
        region: Some(key),
        limit: Some(ask::PAGE),
        ..Default::default()
    };
    let token = bot.app.pages.save("ask", &list).await;
    Ok(answers::profile(&profile, token.as_deref()))
}
