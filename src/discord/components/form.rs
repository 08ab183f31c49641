//! The 事前課題 buttons (次へ, 戻る, スキップ, 提出, まとめて入力 …) and the input form.

use serenity::all::{ActionRowComponent, ComponentInteraction, ModalInteraction};

use super::Response;
use crate::app::AppError;
use crate::app::assignments::Source;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::conversation;
use crate::domain::forms::conversation::{Command, Input};
use crate::domain::ids::SubmissionId;

/// A button under a question: it acts on the form and question it was shown with.
pub async fn button(
    bot: &Bot,
    c: &ComponentInteraction,
    command: Command,
    shown: Option<(SubmissionId, usize)>,
) -> Result<Response, AppError> {
    let (person, _) = person_of(&c.user);
    let (input, source) = match shown {
        Some((submission, at)) => (Input::Button { command, at }, Source::Button(submission)),
        None => (Input::Command(command), Source::Typed),
    };
    let reply = bot.app.assignments.handle(&person, input, source).await?;
    if let Some(spec) = reply.messages.iter().find_map(|m| m.modal.as_ref()) {
        return Ok(Response::Modal(conversation::modal(spec)));
    }
    Ok(Response::Messages(conversation::replies(
        &reply.messages,
        reply.submission,
    )))
}

/// The input form, submitted.
pub async fn submitted(bot: &Bot, m: &ModalInteraction) -> Result<Response, AppError> {
    let (person, _) = person_of(&m.user);
    let fields: Vec<(String, String)> = m
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    let reply = bot
        .app
        .assignments
        .handle(&person, Input::Fields(fields), Source::Typed)
        .await?;
    Ok(Response::Messages(conversation::replies(
        &reply.messages,
        reply.submission,
    )))
}
