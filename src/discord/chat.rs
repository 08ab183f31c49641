//! Messages: a question by mention in a channel, or anything written in a DM — which,
//! while the person is filling in their 事前課題, answers the form.

use serenity::all::Message;

use super::bot::{Bot, person_of};
use super::commands::ask;
use super::message::answers;
use super::message::{Reply, conversation};
use crate::app::AppError;
use crate::app::assignments::Source;
use crate::domain::forms::conversation::Input;
use crate::domain::people::PersonId;
use crate::domain::ports::MessageId;
use crate::domain::search::query::Ask;

/// What a message means to nimo.
pub enum Said {
    /// A line of the person's 事前課題, and the message it came in.
    Form(PersonId, String, MessageId),
    /// A question (empty: they only called nimo). Answered as a reply to the message.
    Question(String),
}

/// What a message says to nimo, if anything: messages of bots (itself included) and
/// webhooks, and messages in a server that do not mention nimo, say nothing.
pub async fn read(bot: &Bot, msg: &Message) -> Option<Said> {
    let me = bot.identity_when_ready().await?.user;
    // Never talk to bots (including itself) or webhooks: no loops.
    if msg.author.bot || msg.webhook_id.is_some() || msg.author.id.get() == me {
        return None;
    }
    let in_dm = msg.guild_id.is_none();
    let tags = [format!("<@{me}>"), format!("<@!{me}>")];
    let mentioned = msg.mentions.iter().any(|u| u.id.get() == me)
        || tags.iter().any(|t| msg.content.contains(t));
    if !in_dm && !mentioned {
        return None;
    }
    let (person, _) = person_of(&msg.author);
    // In a DM, while a 事前課題 is being filled in, messages answer it.
    if in_dm && bot.app.assignments.is_active(&person).await {
        return Some(Said::Form(person, msg.content.clone(), msg.id.get()));
    }
    let mut question = msg.content.clone();
    for t in &tags {
        question = question.replace(t, " ");
    }
    Some(Said::Question(question.trim().to_string()))
}

/// The replies to what was said.
pub async fn reply(bot: &Bot, said: Said) -> Result<Vec<Reply>, AppError> {
    match said {
        Said::Form(person, text, message) => {
            let reply = bot
                .app
                .assignments
                .handle(&person, Input::Text(text), Source::Message(message))
                .await?;
            Ok(conversation::replies(&reply.messages, reply.submission))
        }
        Said::Question(question) if question.is_empty() => Ok(vec![answers::help()]),
        Said::Question(question) => {
            let ask = Ask {
                question,
                limit: Some(ask::PAGE),
                ..Default::default()
            };
            Ok(vec![ask::answer(bot, &ask, None).await?])
        }
    }
}
