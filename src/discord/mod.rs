//! The Discord front end. serenity keeps the gateway connection and parses events; nimo's
//! own delivery (`rest`) sends every reply; `render` turns answers into Japanese embeds
//! within Discord's limits (`limits`).
//!
//! Configuration (environment): `DISCORD_TOKEN` (required, never logged),
//! `NIMO_DISCORD_GUILD` (register commands in one guild, for fast iteration),
//! `NIMO_DISCORD_PROXY` (base URL replacing https://discord.com: a rate-limit proxy, or a
//! fake Discord in tests; serenity's own rate limiter is then off, as it must be).

pub mod bot;
pub mod commands;
pub mod limits;
pub mod notices;
pub mod render;
pub mod rest;

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ClientBuilder, GatewayIntents, ShardManager};
use serenity::http::HttpBuilder;

use crate::app::Nimo;
use crate::app::assignments::Assignments;
use crate::domain::ports::PageStore;
use bot::{Bot, Handler, ReadyInfo};
use rest::{Rest, Secret};

/// Days a paging button keeps working.
const PAGES_KEPT_DAYS: i64 = 30;

#[derive(Debug, Clone)]
pub struct BotConfig {
    pub token: Secret,
    pub proxy: Option<String>,
    pub guild: Option<u64>,
}

impl BotConfig {
    /// From the environment; `None` without `DISCORD_TOKEN`.
    pub fn from_env() -> Result<Option<BotConfig>, String> {
        let Some(token) = std::env::var("DISCORD_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
        else {
            return Ok(None);
        };
        let guild = match std::env::var("NIMO_DISCORD_GUILD")
            .ok()
            .filter(|g| !g.trim().is_empty())
        {
            Some(g) => Some(
                g.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("NIMO_DISCORD_GUILD is not a guild id: {g}"))?,
            ),
            None => None,
        };
        let proxy = std::env::var("NIMO_DISCORD_PROXY")
            .ok()
            .filter(|p| !p.trim().is_empty());
        Ok(Some(BotConfig {
            token: Secret::new(token.trim()),
            proxy,
            guild,
        }))
    }
}

/// The gateway intents nimo needs. None is privileged: Discord includes the content of
/// messages that mention the bot and of DMs without the Message Content intent.
pub fn intents() -> GatewayIntents {
    // DIRECT_MESSAGES also brings the DMs in which staff fill in their 事前課題.
    GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES
}

/// A bot connected (or connecting) to Discord.
pub struct RunningBot {
    shard_manager: Arc<ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
    ready: tokio::sync::watch::Receiver<Option<ReadyInfo>>,
    pub bot: Arc<Bot>,
    /// Tells background tasks (the reminder scheduler) to stop.
    stop: tokio::sync::watch::Sender<bool>,
}

impl RunningBot {
    /// Waits for READY (and command registration).
    pub async fn ready(&mut self, timeout: Duration) -> Option<ReadyInfo> {
        let wait = self.ready.wait_for(Option::is_some);
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(info)) => info.clone(),
            _ => None,
        }
    }

    /// Closes the gateway connection and waits for the client to stop.
    pub async fn shutdown(self) -> Result<(), serenity::Error> {
        self.stop.send_replace(true);
        self.shard_manager.shutdown_all().await;
        match tokio::time::timeout(Duration::from_secs(10), self.task).await {
            Ok(Ok(result)) => result,
            _ => Ok(()),
        }
    }

    /// Runs until the connection ends for good (e.g. an invalid token).
    pub async fn wait(&mut self) -> Result<(), serenity::Error> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(serenity::Error::Other(if e.is_panic() {
                "client task panicked"
            } else {
                "client task cancelled"
            })),
        }
    }

    /// Runs the reminder scheduler in this process, sending through this bot, and enables
    /// status, nudge and resume buttons. `idle` bounds the sleep between checks.
    pub fn enable_reminders(
        &mut self,
        reminders: Arc<crate::app::reminders::Reminders>,
        idle: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let _ = self.bot.reminders.set(reminders.clone());
        let courier: Arc<dyn crate::domain::ports::Courier> =
            Arc::new(notices::DiscordCourier::new(self.bot.clone()));
        let stop = self.stop.subscribe();
        tokio::spawn(async move { reminders.run(courier, idle, stop).await })
    }

    pub fn shard_manager(&self) -> Arc<ShardManager> {
        self.shard_manager.clone()
    }
}

/// Connects to Discord and starts answering.
pub async fn start(
    config: BotConfig,
    nimo: Arc<Nimo>,
    assignments: Arc<Assignments>,
    pages: Arc<dyn PageStore>,
) -> Result<RunningBot, serenity::Error> {
    match pages.forget_pages_older_than(PAGES_KEPT_DAYS).await {
        Ok(n) if n > 0 => tracing::info!(forgotten = n, "old paging state removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not remove old paging state"),
    }
    let mut http = HttpBuilder::new(config.token.expose());
    if let Some(proxy) = &config.proxy {
        // serenity drops the proxy while its rate limiter is on; nimo's delivery honours
        // 429s itself.
        http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
    }
    let rest = Rest::new(&config.token, config.proxy.as_deref());
    let (bot, ready) = Bot::new(nimo, assignments, pages, rest, config.guild);
    let mut client = ClientBuilder::new_with_http(http.build(), intents())
        .event_handler(Handler(bot.clone()))
        .await?;
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    Ok(RunningBot {
        shard_manager,
        task,
        ready,
        bot,
        stop: tokio::sync::watch::channel(false).0,
    })
}
