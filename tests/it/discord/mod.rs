//! The Discord bot end to end: the real serenity client and nimo's delivery against the
//! fake Discord of `nimo-testkit` on 127.0.0.1, which speaks the gateway and REST protocols
//! and enforces Discord's limits (a message over a limit fails the test as it would fail
//! in production).

mod answers;
mod assignments;
mod cluster;
mod documents;
mod ordering;
mod reminders;
mod resilience;

use std::path::PathBuf;
use std::time::Duration;

use nimo::discord::rest::Secret;
use nimo::discord::{BotConfig, RunningBot};
use nimo::setup::Opened;
use nimo_testkit::fake_discord::*;
use serde_json::Value;

use crate::helpers::with_corpus;

/// How long a test waits for the bot at most (only reached when something is wrong;
/// generous, for a loaded CI machine).
pub const WAIT: Duration = Duration::from_secs(60);

/// The bot, connected to the fake with nimo's services; the scheduler runs only when the
/// test asks (most tests move time by hand and tick themselves).
pub async fn start_bot(
    fake: &FakeDiscord,
    opened: &Opened,
    scheduler: Option<Duration>,
) -> RunningBot {
    let config = BotConfig {
        token: Secret::new(TOKEN),
        proxy: Some(fake.url()),
        guild: Some(GUILD_ID),
    };
    let mut bot = nimo::setup::start_bot(opened, config, scheduler)
        .await
        .expect("the bot starts");
    let ready = bot.ready(WAIT).await.expect("the bot became ready");
    assert_eq!(ready.commands, 10);
    assert_eq!(ready.user, "nimo");
    bot
}

/// A fake Discord and a bot answering from the sample corpus (and these documents).
pub struct Harness {
    pub fake: FakeDiscord,
    bot: Option<RunningBot>,
    _opened: Opened,
}

impl Harness {
    pub async fn start(extra_docs: Option<&std::path::Path>) -> Harness {
        let fake = FakeDiscord::start().await;
        let extra: Vec<PathBuf> = extra_docs.map(|p| p.to_path_buf()).into_iter().collect();
        let opened = with_corpus(&extra).await;
        let bot = start_bot(&fake, &opened, None).await;
        Harness {
            fake,
            bot: Some(bot),
            _opened: opened,
        }
    }

    pub async fn stop(mut self) {
        if let Some(bot) = self.bot.take() {
            bot.shutdown().await.unwrap();
        }
    }
}

pub fn embeds_text(body: &Value) -> String {
    let mut out = String::new();
    for e in body["embeds"].as_array().into_iter().flatten() {
        for k in ["title", "description"] {
            out.push_str(e[k].as_str().unwrap_or(""));
            out.push('\n');
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            out.push_str(f["name"].as_str().unwrap_or(""));
            out.push('\n');
            out.push_str(f["value"].as_str().unwrap_or(""));
            out.push('\n');
        }
    }
    out
}

pub fn buttons(body: &Value) -> Vec<(String, String, bool)> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["label"].as_str().unwrap_or("").to_string(),
                b["custom_id"].as_str().unwrap_or("").to_string(),
                b["disabled"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// What the bot said in the DM after `text` from `author`: every message it sent until it
/// fell quiet.
pub async fn dm_say(fake: &FakeDiscord, author: (u64, &str, bool), text: &str) -> String {
    let dm = format!("/channels/{DM_CHANNEL_ID}/messages");
    let n = fake.requests_to("POST", &dm).len();
    fake.user_message(DM_CHANNEL_ID, false, author, text, false);
    fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    fake.requests_to("POST", &dm)[n..]
        .iter()
        .map(|r| content(&r.body))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What nimo answered to a click by `who` on a button of `message`.
pub async fn click_says(
    fake: &FakeDiscord,
    who: (u64, &str),
    message: &Value,
    custom_id: &str,
) -> String {
    let (id, _) = fake.click_as(who, message, custom_id);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    cb[0].body["data"]["content"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The latest message the bot sent in the DM channel (its content and buttons).
pub fn last_dm(fake: &FakeDiscord) -> Value {
    fake.messages()
        .into_iter()
        .rev()
        .find(|m| {
            m["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok()) == Some(DM_CHANNEL_ID)
        })
        .expect("a DM")
}

pub fn content(v: &Value) -> String {
    v["content"].as_str().unwrap_or("").to_string()
}

pub fn messages_in(fake: &FakeDiscord, channel: u64) -> Vec<Value> {
    fake.messages()
        .into_iter()
        .filter(|m| m["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok()) == Some(channel))
        .collect()
}
