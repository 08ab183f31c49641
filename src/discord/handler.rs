//! The gateway's events, routed: READY registers the commands; a message goes to `chat`;
//! a slash command to `commands`; a button or input form to `components`. This is the one
//! place where a failed use case becomes a reply (`reply_for`) and where every
//! interaction is acknowledged within Discord's 3 seconds.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, EventHandler, Interaction, Message,
    ModalInteraction, Ready, ResumedEvent,
};

use super::bot::{Bot, BotError, Identity, ReadyInfo};
use super::chat::{self, Said};
use super::commands::{self, Ack};
use super::components::{self, Response};
use super::inbox::BURST;
use super::message::Reply;
use super::message::answers::{internal_error, problem, problem_text};
use super::message::ids::{self, Action};
use crate::app::AppError;

/// What the person is told when a use case did not go through: a refusal or a problem
/// with the question is explained; an internal failure is logged with its causes and the
/// person only hears that something went wrong.
pub fn reply_for(e: &AppError) -> Reply {
    match e {
        AppError::Refused(message) => problem_text(message),
        AppError::Problem(p) => problem(p),
        AppError::Internal { .. } => {
            tracing::error!(error = %e.chain(), "a request failed inside nimo");
            internal_error()
        }
    }
}

/// How long a page may take before the click is acknowledged first and the message
/// edited afterwards.
const QUICK: Duration = Duration::from_millis(1_500);

/// serenity calls this for every gateway event, each in its own task: a failure in one
/// never stops the others.
pub struct Handler(pub Arc<Bot>);

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        on_ready(&self.0, ready).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("gateway session resumed");
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        on_message(&self.0, msg).await;
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let bot = &self.0;
        let result = match &interaction {
            Interaction::Autocomplete(cmd) => commands::autocomplete(bot, cmd).await,
            Interaction::Command(cmd) => on_command(bot, cmd).await,
            Interaction::Component(c) => on_component(bot, c).await,
            Interaction::Modal(m) => on_modal(bot, m).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "handling an interaction failed");
        }
    }
}

async fn on_ready(bot: &Bot, ready: Ready) {
    let application = ready.application.id.get();
    // Known first: events that arrive while READY is handled wait for this.
    bot.identified(Identity {
        user: ready.user.id.get(),
        application,
    });
    let definitions = commands::definitions();
    let count = definitions.as_array().map(Vec::len).unwrap_or(0);
    if let Err(e) = bot
        .rest
        .put_commands(application, bot.guild, &definitions)
        .await
    {
        tracing::error!(error = %e, "registering slash commands failed; mentions and DMs still work");
    }
    let info = ReadyInfo {
        user: ready.user.name.clone(),
        guilds: ready.guilds.len(),
        commands: count,
        since_start: bot.since_start(),
    };
    tracing::info!(
        user = %info.user,
        guilds = info.guilds,
        commands = info.commands,
        scope = if bot.guild.is_some() { "guild" } else { "global" },
        startup_ms = info.since_start.as_millis() as u64,
        "nimo is ready on Discord"
    );
    bot.became_ready(info);
    catch_up(bot).await;
}

/// After downtime: what people wrote in their DMs while nimo was away (Discord does not
/// replay it to a new session) is read from their DM channels and applied, in order, once.
async fn catch_up(bot: &Bot) {
    let conversations = match bot.app.assignments.active_conversations().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e.chain(), "cannot catch up on DMs");
            return;
        }
    };
    for (person, last, changed) in conversations {
        let Some(user) = person.discord_user() else {
            continue;
        };
        // Without a message handled yet: what came after the conversation last changed.
        let after = last.unwrap_or_else(|| snowflake_at(changed));
        let channel = match bot.rest.dm_channel_id(user).await {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, user, "cannot open a DM to catch up");
                continue;
            }
        };
        let written = match bot.rest.messages_after(channel, after, 10).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, user, "cannot read a DM channel to catch up");
                continue;
            }
        };
        let mut caught = 0;
        for m in written {
            match serde_json::from_value::<Message>(m) {
                Ok(m) if m.author.id.get() == user => {
                    caught += 1;
                    bot.inbox.push(user, m);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "a message read back could not be understood"),
            }
        }
        if caught > 0 {
            tracing::info!(
                user,
                messages = caught,
                "catching up on DMs written while nimo was away"
            );
            drain(bot, user).await;
        }
    }
}

/// The first snowflake of a moment: Discord's ids count milliseconds since 2015.
fn snowflake_at(t: chrono::DateTime<chrono::Utc>) -> u64 {
    const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;
    ((t.timestamp_millis() - DISCORD_EPOCH_MS).max(0) as u64) << 22
}

async fn on_message(bot: &Bot, msg: Message) {
    if msg.author.bot || msg.webhook_id.is_some() {
        return;
    }
    if msg.guild_id.is_some() {
        return apply(bot, &msg).await;
    }
    // A DM: in the person's queue, applied in Discord's order.
    let user = msg.author.id.get();
    if bot.inbox.push(user, msg) {
        tokio::time::sleep(BURST).await;
        drain(bot, user).await;
    }
}

/// Applies a person's queued DMs, oldest first, until none is left.
async fn drain(bot: &Bot, user: u64) {
    while let Some(m) = bot.inbox.next(user) {
        apply(bot, &m).await;
    }
}

/// How long an answer may take before 「入力中…」 is shown.
const TYPING_AFTER: Duration = Duration::from_millis(700);

/// Reads what a message says and replies.
async fn apply(bot: &Bot, msg: &Message) {
    let Some(said) = chat::read(bot, msg).await else {
        return;
    };
    let channel = msg.channel_id.get();
    let is_form = matches!(said, Said::Form(..));
    let reply = chat::reply(bot, said);
    tokio::pin!(reply);
    // Most answers are ready in milliseconds; only a slow one shows 「入力中…」, which
    // would otherwise double the requests against Discord's rate limits.
    let result = tokio::select! {
        result = &mut reply => result,
        _ = tokio::time::sleep(TYPING_AFTER) => {
            bot.rest.typing(channel).await;
            reply.await
        }
    };
    let replies = result.unwrap_or_else(|e| vec![reply_for(&e)]);
    for r in replies {
        let mut body = r.to_json();
        if !is_form {
            // A question is answered as a reply to it.
            body["message_reference"] = json!({
                "message_id": msg.id.get().to_string(),
                "channel_id": channel.to_string(),
                "fail_if_not_exists": false,
            });
        }
        if let Err(e) = bot.rest.create_message(channel, &body).await {
            tracing::error!(error = %e, channel, "could not deliver a reply");
        }
    }
}

async fn on_command(bot: &Bot, cmd: &CommandInteraction) -> Result<(), BotError> {
    let ack = commands::ack(&cmd.data.name).unwrap_or(Ack::Now);
    let private = matches!(ack, Ack::Later { private: true });
    if let Ack::Later { private } = ack {
        // Searching may take a moment: acknowledge first, answer in follow-ups.
        let mut body = json!({ "type": 5 });
        if private {
            body["data"] = json!({ "flags": 64 });
        }
        bot.rest
            .interaction_response(cmd.id.get(), &cmd.token, &body)
            .await?;
    }
    let mut replies = commands::run(bot, cmd)
        .await
        .unwrap_or_else(|e| vec![reply_for(&e)]);
    for r in &mut replies {
        r.ephemeral |= private;
    }
    match ack {
        Ack::Now => bot.respond(cmd.id.get(), &cmd.token, replies).await,
        Ack::Later { .. } => bot.follow_up(&cmd.token, replies).await,
    }
}

async fn on_component(bot: &Bot, c: &ComponentInteraction) -> Result<(), BotError> {
    let action = ids::parse(&c.data.custom_id);
    if let Some(Action::Page {
        kind,
        token,
        offset,
    }) = &action
    {
        return on_page(bot, c, kind, token, *offset).await;
    }
    let response = match action {
        Some(Action::Form { command, shown }) => {
            components::form::button(bot, c, command, shown).await
        }
        Some(Action::Resume(meeting)) => components::resume::resume(bot, c, meeting).await,
        Some(Action::Nudge { meeting, region }) => {
            components::nudge::nudge(bot, c, meeting, region.as_deref()).await
        }
        _ => Err(AppError::refused("このボタンは使えません。")),
    };
    send(bot, c.id.get(), &c.token, response).await
}

async fn on_modal(bot: &Bot, m: &ModalInteraction) -> Result<(), BotError> {
    let response = match ids::parse(&m.data.custom_id) {
        Some(Action::FormModal) => components::form::submitted(bot, m).await,
        _ => Err(AppError::refused("この入力フォームは使えません。")),
    };
    send(bot, m.id.get(), &m.token, response).await
}

/// Answers an interaction with what a component said.
async fn send(
    bot: &Bot,
    id: u64,
    token: &str,
    response: Result<Response, AppError>,
) -> Result<(), BotError> {
    match response {
        Ok(Response::Modal(modal)) => Ok(bot.rest.interaction_response(id, token, &modal).await?),
        Ok(Response::Messages(replies)) => bot.respond(id, token, replies).await,
        Err(e) => {
            let mut reply = reply_for(&e);
            reply.ephemeral = true;
            bot.respond(id, token, vec![reply]).await
        }
    }
}

/// Paging buttons. Answers within Discord's 3 seconds by updating the message; if the
/// page takes longer, acknowledges first and edits afterwards.
async fn on_page(
    bot: &Bot,
    c: &ComponentInteraction,
    kind: &str,
    token: &str,
    offset: usize,
) -> Result<(), BotError> {
    let page = async {
        components::paging::page(bot, kind, token, offset)
            .await
            .unwrap_or_else(|e| vec![reply_for(&e)])
    };
    tokio::pin!(page);
    let replies = match tokio::time::timeout(QUICK, &mut page).await {
        Ok(replies) => {
            let first = replies.first().cloned().unwrap_or_default();
            let body = json!({ "type": 7, "data": first.to_json() });
            bot.rest
                .interaction_response(c.id.get(), &c.token, &body)
                .await?;
            replies.into_iter().skip(1).collect::<Vec<_>>()
        }
        Err(_) => {
            bot.rest
                .interaction_response(c.id.get(), &c.token, &json!({ "type": 6 }))
                .await?;
            let replies = page.await;
            if let Some(first) = replies.first() {
                bot.rest
                    .edit_original(bot.application()?, &c.token, &first.to_json())
                    .await?;
            }
            replies.into_iter().skip(1).collect()
        }
    };
    bot.follow_up(&c.token, replies).await
}
