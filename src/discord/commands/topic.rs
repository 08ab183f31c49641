//! 「/テーマ」: the regions working on a topic, grouped by prefecture, a page at a time.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::Bot;
use crate::discord::message::Reply;
use crate::discord::message::answers;

pub const NAME: &str = "テーマ";

/// Roster lines per page.
pub const PAGE: usize = 20;

/// What a roster's paging buttons stand for.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedRoster {
    pub topic: String,
    pub within: Option<String>,
}

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "そのテーマに取り組んでいる地域の一覧",
        "options": [
            options::text(options::TOPIC, "テーマ（例: ピアサポート、住まいの確保）", true, true),
            options::text(options::REGION, "地域で絞り込む", false, true),
        ],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    roster(
        bot,
        options::string(cmd, options::TOPIC).unwrap_or(""),
        options::string(cmd, options::REGION),
        0,
        None,
    )
    .await
}

/// One page of a roster. A roster longer than a page is saved (under `token` when it
/// already was) for the paging buttons.
pub async fn roster(
    bot: &Bot,
    topic: &str,
    within: Option<&str>,
    offset: usize,
    token: Option<&str>,
) -> Result<Vec<Reply>, AppError> {
    let roster = bot.app.library.roster_of(topic, within).await?;
    let token = match token {
        Some(t) => Some(t.to_string()),
        None if roster.entries.len() > PAGE => {
            let saved = SavedRoster {
                topic: roster.topic.id.clone(),
                within: roster.region.as_ref().map(|r| r.key.clone()),
            };
            bot.app.pages.save("roster", &saved).await
        }
        None => None,
    };
    Ok(answers::roster(&roster, offset, PAGE, token.as_deref()))
}
