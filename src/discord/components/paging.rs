//! ◀前へ／次へ▶: another page of a saved question or roster, in place of the message.

use crate::app::AppError;
use crate::discord::bot::Bot;
use crate::discord::commands::{ask, topic};
use crate::discord::message::Reply;
use crate::domain::search::query::Ask;

/// The page at `offset` of what `token` stands for.
pub async fn page(
    bot: &Bot,
    kind: &str,
    token: &str,
    offset: usize,
) -> Result<Vec<Reply>, AppError> {
    let expired =
        || AppError::refused("この検索結果の保存期間が過ぎました。もう一度質問してください。");
    match kind {
        "ask" => {
            let mut ask: Ask = bot
                .app
                .pages
                .load("ask", token)
                .await?
                .ok_or_else(expired)?;
            ask.offset = offset;
            let mut reply = ask::answer(bot, &ask, Some(token)).await?;
            reply.ephemeral = false;
            Ok(vec![reply])
        }
        "roster" => {
            let saved: topic::SavedRoster = bot
                .app
                .pages
                .load("roster", token)
                .await?
                .ok_or_else(expired)?;
            topic::roster(
                bot,
                &saved.topic,
                saved.within.as_deref(),
                offset,
                Some(token),
            )
            .await
        }
        _ => Err(AppError::refused("このボタンは使えません。")),
    }
}
