//! The Discord front end. serenity keeps the gateway connection and parses events; nimo's
//! own delivery (`rest`) sends every reply.
//!
//! - `handler`: routes events; turns errors into replies (`reply_for`)
//! - `commands/`: one file per slash command, and the registry
//! - `components/`: paging, the 事前課題 buttons and input form, resume, nudge
//! - `chat`: questions by mention and messages in DMs
//! - `message/`: the message model within Discord's limits, custom ids, renderers
//! - `courier`: reminders and digests sent for the scheduler
//! - `bot`: the bot's state; `rest`: delivery with retries
//!
//! Configuration (environment): `DISCORD_TOKEN` (required, never logged),
//! `NIMO_DISCORD_GUILD` (register commands in one guild, for fast iteration),
//! `NIMO_DISCORD_PROXY` (base URL replacing https://discord.com: a rate-limit proxy, or a
//! fake Discord in tests; serenity's own rate limiter is then off, as it must be).

pub mod attachments;
pub mod bot;
pub mod chat;
pub mod commands;
pub mod components;
pub mod courier;
pub mod handler;
pub mod inbox;
pub mod message;
pub mod rest;

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ClientBuilder, GatewayIntents, ShardManager};
use serenity::http::HttpBuilder;

use crate::app::App;
use crate::app::cluster::{Cluster, LeaderOnly};
use bot::{Bot, ReadyInfo};
use courier::DiscordCourier;
use handler::Handler;
use rest::{Rest, RestError, Secret};

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

/// A bot connected (or connecting) to Discord, and the reminder scheduler when this
/// process runs it.
pub struct RunningBot {
    shard_manager: Arc<ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
    ready: tokio::sync::watch::Receiver<Option<ReadyInfo>>,
    bot: Arc<Bot>,
    /// Tells the scheduler to stop.
    stop: tokio::sync::watch::Sender<bool>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
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

    /// Sends notices through this bot's delivery (what the scheduler uses).
    pub fn courier(&self) -> Arc<DiscordCourier> {
        self.bot.courier.clone()
    }

    /// Stops the scheduler, closes the gateway connection and waits for the client to
    /// stop.
    pub async fn shutdown(self) -> Result<(), serenity::Error> {
        self.stop.send_replace(true);
        if let Some(mut scheduler) = self.scheduler
            && tokio::time::timeout(Duration::from_secs(10), &mut scheduler)
                .await
                .is_err()
        {
            // Stuck in a send: stopped where it is; its claims run out and whoever leads
            // sends again with the same nonces.
            scheduler.abort();
        }
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
}

/// Why the bot could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Discord refused the token: retrying cannot help.
    #[error("Discord rejected the token")]
    InvalidToken,
    #[error(transparent)]
    Client(#[from] serenity::Error),
}

/// Most time between two attempts to reach Discord's gateway.
const DISCOVERY_BACKOFF_MAX: Duration = Duration::from_secs(60);

/// The gateway to connect to, through the configured proxy and never around it: asked
/// again with growing pauses while Discord cannot be reached (each attempt logged), and
/// given up at once when Discord refuses the token.
async fn discover_gateway(rest: &Rest) -> Result<String, StartError> {
    let mut pause = Duration::from_secs(1);
    loop {
        match rest.gateway_url(Duration::from_secs(3)).await {
            Ok(url) => return Ok(url),
            Err(RestError::Rejected { status: 401, .. }) => return Err(StartError::InvalidToken),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_s = pause.as_secs(), "Discord cannot be reached; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(DISCOVERY_BACKOFF_MAX);
            }
        }
    }
}

/// Connects to Discord and starts answering. With `scheduler`, this process also runs
/// the reminder scheduler, checking at least that often. With `leader`, the scheduler
/// sends only while that process leads (see `app::cluster`).
pub async fn start(
    config: BotConfig,
    app: Arc<App>,
    scheduler: Option<Duration>,
    leader: Option<Arc<Cluster>>,
) -> Result<RunningBot, StartError> {
    app.pages.forget_old().await;
    let mut http = HttpBuilder::new(config.token.expose());
    if let Some(proxy) = &config.proxy {
        // serenity drops the proxy while its rate limiter is on; nimo's delivery honours
        // 429s itself.
        http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
    }
    let rest = Arc::new(Rest::new(&config.token, config.proxy.as_deref()));
    let gateway = discover_gateway(&rest).await?;
    let (bot, ready) = Bot::new(app.clone(), rest, config.guild);
    let bot = Arc::new(bot);
    let client = ClientBuilder::new_with_http(http.build(), intents())
        .event_handler(Handler(bot.clone()))
        .await?;
    // serenity asked for the gateway itself and, on failure, would fall back to
    // Discord's default host around the proxy: it connects where nimo found it.
    *client.ws_url.lock().await = gateway;
    let mut client = client;
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = scheduler.map(|idle| {
        let reminders = app.reminders.clone();
        let mut courier: Arc<dyn crate::domain::ports::Courier> = bot.courier.clone();
        let leading = leader.is_some();
        if let Some(cluster) = leader {
            courier = Arc::new(LeaderOnly {
                inner: courier,
                cluster,
            });
        }
        tokio::spawn(async move {
            if leading && let Err(e) = reminders.take_over().await {
                tracing::error!(error = %e.chain(), "taking over claimed reminders failed");
            }
            reminders.run(courier, idle, stopped).await
        })
    });
    Ok(RunningBot {
        shard_manager,
        task,
        ready,
        bot,
        stop,
        scheduler,
    })
}
