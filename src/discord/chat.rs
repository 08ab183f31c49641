//! Messages: a question by mention in a channel, or anything written in a DM — which,
//! while the person is filling in their 事前課題, answers the form.

use serenity::all::{Attachment, Message};

use super::attachments;
use super::bot::{Bot, person_of};
use super::commands::ask;
use super::message::answers;
use super::message::documents;
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
    /// A filled sheet attached while filling in the 事前課題 (and how many other files
    /// came with it, not read).
    Sheet(PersonId, Box<Attachment>, MessageId, usize),
    /// Files attached in a DM outside a 事前課題: documents an organizer adds.
    Documents(PersonId, Vec<Attachment>),
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
    let filling_in = in_dm && bot.app.assignments.is_active(&person).await;
    // A file in a DM: the filled sheet of the 事前課題 being filled in, or documents.
    if in_dm && let Some(first) = msg.attachments.first() {
        return Some(if filling_in {
            Said::Sheet(
                person,
                Box::new(first.clone()),
                msg.id.get(),
                msg.attachments.len() - 1,
            )
        } else {
            Said::Documents(person, msg.attachments.clone())
        });
    }
    // In a DM, while a 事前課題 is being filled in, messages answer it.
    if filling_in {
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
        Said::Sheet(person, attachment, message, others) => {
            let bytes = attachments::fetch(bot, &attachment).await?;
            let mut reply = bot
                .app
                .assignments
                .hand_over(
                    &person,
                    &attachment.filename,
                    bytes,
                    Source::Message(message),
                )
                .await?;
            if others > 0 {
                reply.messages.insert(
                    0,
                    crate::domain::forms::Message {
                        text: format!(
                            "様式は1つずつ読み取ります。「{}」を読み取りました（ほかの{others}件は読んでいません）。",
                            attachment.filename
                        ),
                        ..Default::default()
                    },
                );
            }
            Ok(conversation::replies(&reply.messages, reply.submission))
        }
        Said::Documents(person, files) => {
            match bot.app.assignments.may_add_documents(&person).await {
                Ok(()) => {}
                Err(AppError::Refused(_)) => {
                    return Err(AppError::refused(
                        "ファイルを受け取りましたが、いま入力中の事前課題がありません。記入済みの様式を取り込むときは、先に「/事前課題」で入力を始めてから送ってください。",
                    ));
                }
                Err(e) => return Err(e),
            }
            let report =
                attachments::add_documents(bot, &person, &files, &mut |_, _, _| {}).await?;
            Ok(documents::added(&report))
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
