//! Autocomplete of the region, topic and meeting options, answered from memory well
//! inside Discord's 3 seconds.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::discord::bot::{Bot, BotError};
use crate::discord::message::limits::{CHOICE_NAME, CHOICE_VALUE, CHOICES, clip};

pub async fn autocomplete(bot: &Bot, cmd: &CommandInteraction) -> Result<(), BotError> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(());
    };
    let library = &bot.app.library;
    let lex = library.lexicon();
    let choices: Vec<Value> = match focused.name {
        options::REGION => library
            .regions()
            .suggest(focused.value, lex, CHOICES)
            .into_iter()
            .filter(|p| p.key.chars().count() <= CHOICE_VALUE)
            .map(|p| {
                let name = format!("{}（{}・{}件）", p.name, p.kind.label(), p.passages);
                json!({ "name": clip(&name, CHOICE_NAME), "value": p.key })
            })
            .collect(),
        options::TOPIC => lex
            .taxonomy
            .suggest(focused.value, &lex.normalizer, CHOICES)
            .into_iter()
            .map(|t| json!({ "name": clip(&t.label(), CHOICE_NAME), "value": t.id }))
            .collect(),
        options::MEETING => {
            let typed = focused.value.trim();
            let meetings = match bot.app.meetings.all().await {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(error = %e.chain(), "meetings for autocomplete");
                    Vec::new()
                }
            };
            meetings
                .into_iter()
                .filter(|m| typed.is_empty() || m.name.contains(typed) || m.id.to_string() == typed)
                .take(CHOICES)
                .map(|m| {
                    let name = format!("{}（締切 {}）", m.name, m.deadline_text());
                    json!({ "name": clip(&name, CHOICE_NAME), "value": format!("{}: {}", m.id, clip(&m.name, 60)) })
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let body = json!({ "type": 8, "data": { "choices": choices } });
    Ok(bot
        .rest
        .interaction_response(cmd.id.get(), &cmd.token, &body)
        .await?)
}
