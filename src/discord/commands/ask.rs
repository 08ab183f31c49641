//! 「/質問」: a question, optionally within a region, topic or fiscal year; answered from
//! the documents with paging buttons when there is more.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::Bot;
use crate::discord::message::Reply;
use crate::discord::message::answers;
use crate::domain::era::parse_fiscal_year;
use crate::domain::search::query::{Ask, MAX_QUESTION_CHARS};

pub const NAME: &str = "質問";

/// Answers per page in Discord.
pub const PAGE: usize = 5;

pub fn definition() -> Value {
    let mut question = options::text(
        options::QUESTION,
        "知りたいこと（例: ピアサポーターの養成、住まいの確保）",
        true,
        false,
    );
    question["max_length"] = json!(MAX_QUESTION_CHARS);
    json!({
        "name": NAME, "type": 1,
        "description": "にも包括の資料から、地域やテーマについて答えます",
        "options": [
            question,
            options::text(options::REGION, "地域で絞り込む（都道府県・市・圏域など）", false, true),
            options::text(options::TOPIC, "テーマで絞り込む", false, true),
            options::text(options::YEAR, "年度で絞り込む（例: 令和3年度、R3、2021）", false, false),
        ],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let year = match options::string(cmd, options::YEAR).filter(|y| !y.trim().is_empty()) {
        Some(y) => Some(parse_fiscal_year(y).ok_or_else(|| {
            AppError::refused(format!(
                "年度「{y}」を読み取れませんでした（例: 令和3年度、R3、2021）。"
            ))
        })?),
        None => None,
    };
    let ask = Ask {
        question: options::string(cmd, options::QUESTION)
            .unwrap_or("")
            .to_string(),
        region: options::string(cmd, options::REGION).map(str::to_string),
        topic: options::string(cmd, options::TOPIC).map(str::to_string),
        year,
        limit: Some(PAGE),
        offset: 0,
    };
    Ok(vec![answer(bot, &ask, None).await?])
}

/// Answers a question as one message. When there is more than one page, the question is
/// saved (under `token` when it already was) for the paging buttons.
pub async fn answer(bot: &Bot, ask: &Ask, token: Option<&str>) -> Result<Reply, AppError> {
    let app = &bot.app;
    let answer = app.library.ask(ask).await?;
    let token = match token {
        Some(t) => Some(t.to_string()),
        None if answer.results.more || ask.offset > 0 => app.pages.save("ask", ask).await,
        None => None,
    };
    Ok(answers::answer(
        &answer,
        app.library.lexicon(),
        token.as_deref(),
    ))
}
