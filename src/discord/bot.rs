//! The bot: every use case, nimo's Discord delivery, and what READY told it. Built
//! complete before it connects; commands, components and chat take it by reference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use serenity::all::User;

use super::courier::DiscordCourier;
use super::inbox::Inbox;
use super::message::Reply;
use super::rest::{Rest, RestError};
use crate::app::App;
use crate::domain::people::PersonId;

/// What READY told us, kept for tests and logs.
#[derive(Debug, Clone)]
pub struct ReadyInfo {
    pub user: String,
    pub guilds: usize,
    pub commands: usize,
    pub since_start: Duration,
}

/// Who the bot is on Discord, known once READY arrives.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub user: u64,
    pub application: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error("not ready: the application id is not known yet")]
    NotReady,
}

pub struct Bot {
    pub app: Arc<App>,
    pub rest: Arc<Rest>,
    /// Sends reminders and nudges (the same delivery, with per-delivery nonces).
    pub courier: Arc<DiscordCourier>,
    /// Register commands in this guild only (fast iteration) instead of globally.
    pub guild: Option<u64>,
    identity: tokio::sync::watch::Sender<Option<Identity>>,
    /// Direct messages waiting to be applied in order.
    pub inbox: Inbox,
    started: Instant,
    ready: tokio::sync::watch::Sender<Option<ReadyInfo>>,
}

impl Bot {
    pub fn new(
        app: Arc<App>,
        rest: Arc<Rest>,
        guild: Option<u64>,
    ) -> (Bot, tokio::sync::watch::Receiver<Option<ReadyInfo>>) {
        let (ready, ready_rx) = tokio::sync::watch::channel(None);
        let bot = Bot {
            app,
            courier: Arc::new(DiscordCourier::new(rest.clone())),
            rest,
            guild,
            identity: tokio::sync::watch::channel(None).0,
            inbox: Inbox::default(),
            started: Instant::now(),
            ready,
        };
        (bot, ready_rx)
    }

    /// Who the bot is, once READY arrived.
    pub fn identity(&self) -> Option<Identity> {
        *self.identity.borrow()
    }

    /// Who the bot is: at once after READY, or as soon as READY is handled (an event can
    /// reach nimo while READY is still being handled; it waits rather than being dropped).
    pub async fn identity_when_ready(&self) -> Option<Identity> {
        let mut watch = self.identity.subscribe();
        let wait = watch.wait_for(Option::is_some);
        match tokio::time::timeout(Duration::from_secs(30), wait).await {
            Ok(Ok(identity)) => *identity,
            _ => None,
        }
    }

    /// Records who the bot is, first thing when READY arrives.
    pub fn identified(&self, identity: Identity) {
        self.identity.send_if_modified(|i| {
            let first = i.is_none();
            if first {
                *i = Some(identity);
            }
            first
        });
    }

    pub fn application(&self) -> Result<u64, BotError> {
        self.identity()
            .map(|i| i.application)
            .ok_or(BotError::NotReady)
    }

    /// Records that READY was handled (commands registered).
    pub fn became_ready(&self, info: ReadyInfo) {
        self.ready.send_replace(Some(info));
    }

    pub fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    /// Answers an interaction with several messages: the first as the response, the rest
    /// as follow-ups.
    pub async fn respond(&self, id: u64, token: &str, replies: Vec<Reply>) -> Result<(), BotError> {
        let mut replies = replies.into_iter();
        let first = replies
            .next()
            .unwrap_or_else(|| Reply::text("（何も変わりませんでした）"));
        self.rest
            .interaction_response(id, token, &json!({ "type": 4, "data": first.to_json() }))
            .await?;
        self.follow_up(token, replies).await
    }

    /// Sends follow-up messages of an interaction already acknowledged.
    pub async fn follow_up(
        &self,
        token: &str,
        replies: impl IntoIterator<Item = Reply>,
    ) -> Result<(), BotError> {
        for r in replies {
            self.rest
                .followup(self.application()?, token, &r.to_json())
                .await?;
        }
        Ok(())
    }

    /// Sends messages in a person's DM channel.
    pub async fn send_dm(&self, user: u64, replies: Vec<Reply>) -> Result<(), BotError> {
        let channel = self
            .rest
            .dm_channel_id(user)
            .await?
            .ok_or(BotError::NotReady)?;
        for r in replies {
            self.rest.create_message(channel, &r.to_json()).await?;
        }
        Ok(())
    }
}

/// Who someone is to nimo, from their Discord user.
pub fn person_of(user: &User) -> (PersonId, String) {
    (
        PersonId::discord(user.id.get()),
        user.global_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
    )
}
