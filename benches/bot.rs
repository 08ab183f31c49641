//! Bot benchmark: `cargo bench --bench bot`.
//!
//! Against the fake Discord on 127.0.0.1 (tests/support/fake_discord.rs), with the real
//! serenity client:
//!   * reply latency: from the fake dispatching a MESSAGE_CREATE that mentions the bot to
//!     the bot's POST of the answer, p50/p99, for the gold-set questions;
//!   * the same for a baseline echo bot (same client, same delivery, replies 「pong」 without
//!     searching), so the ratio shows what answering costs;
//!   * start-up to READY (commands registered), in process and for the `nimo` binary;
//!   * peak resident memory of the `nimo` binary serving the same questions.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nimo::discord::rest::{Rest, Secret};
use nimo::discord::{BotConfig, intents};
use nimo::domain::search::lexicon::Lexicon;
use nimo_testkit::fake_discord::*;
use nimo_testkit::gold;
use nimo_testkit::measure::{self, ms};
use serde_json::json;
use serenity::all::{ClientBuilder, Context, EventHandler, Message, Ready};
use serenity::http::HttpBuilder;

const ROUNDS: usize = 5;
const WAIT: Duration = Duration::from_secs(30);

fn summary(v: Vec<Duration>) -> (f64, f64, f64) {
    let s = measure::summary(v);
    (s.p50, s.p99, s.mean)
}

/// Asks every question by mention, one after another; returns dispatch→reply latencies.
async fn ask_all(fake: &FakeDiscord, questions: &[String]) -> Vec<Duration> {
    let route = format!("/channels/{CHANNEL_ID}/messages");
    let mut done = fake
        .requests_to("POST", &route)
        .iter()
        .filter(|r| r.status == 200)
        .count();
    let mut out = Vec::new();
    for q in questions {
        let (_, at) = fake.user_message(
            CHANNEL_ID,
            true,
            (USER_ID, "alice", false),
            &format!("<@{BOT_ID}> {q}"),
            true,
        );
        let replies = fake.wait_for_ok("POST", &route, done + 1, WAIT).await;
        done += 1;
        out.push(replies[done - 1].at.duration_since(at));
    }
    out
}

/// The baseline: the same serenity client and delivery, answering without searching.
struct Echo {
    rest: Rest,
    me: std::sync::OnceLock<u64>,
}

#[async_trait]
impl EventHandler for Echo {
    async fn ready(&self, _: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id.get());
    }

    async fn message(&self, _: Context, msg: Message) {
        let Some(&me) = self.me.get() else { return };
        if msg.author.bot || !msg.mentions.iter().any(|u| u.id.get() == me) {
            return;
        }
        let body = json!({ "content": "pong", "allowed_mentions": { "parse": [] } });
        let _ = self.rest.create_message(msg.channel_id.get(), &body).await;
    }
}

fn questions() -> Vec<String> {
    let gold: Vec<String> = gold::load().into_iter().map(|g| g.q).collect();
    (0..ROUNDS).flat_map(|_| gold.clone()).collect()
}

async fn nimo_in_process() -> (f64, (f64, f64, f64)) {
    let fake = FakeDiscord::start().await;
    let opened = nimo::setup::open_in_memory(Lexicon::embedded())
        .await
        .unwrap();
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"));
    opened
        .app
        .library
        .ingest(&[corpus], false, &mut |_| {})
        .await
        .unwrap();
    let started = Instant::now();
    let config = BotConfig {
        token: Secret::new(TOKEN),
        proxy: Some(fake.url()),
        guild: Some(GUILD_ID),
    };
    let mut bot = nimo::setup::start_bot(&opened, config, None).await.unwrap();
    bot.ready(WAIT).await.expect("ready");
    let startup = ms(started.elapsed());
    let latencies = ask_all(&fake, &questions()).await;
    bot.shutdown().await.unwrap();
    (startup, summary(latencies))
}

async fn echo_baseline() -> (f64, f64, f64) {
    let fake = FakeDiscord::start().await;
    let token = Secret::new(TOKEN);
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.url())
        .ratelimiter_disabled(true)
        .build();
    let handler = Echo {
        rest: Rest::new(&token, Some(&fake.url())),
        me: Default::default(),
    };
    let mut client = ClientBuilder::new_with_http(http, intents())
        .event_handler(handler)
        .await
        .unwrap();
    let shards = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    fake.wait_identified(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let latencies = ask_all(&fake, &questions()).await;
    shards.shutdown_all().await;
    let _ = task.await;
    summary(latencies)
}

/// The `nimo` binary as the bot: start-up to READY, latency, peak memory.
// The child is reaped with wait4 (for its resource usage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
async fn binary() -> (f64, (f64, f64, f64), f64) {
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
        .args(["--data-dir", tmp.path().to_str().unwrap(), "ingest", corpus])
        .output()
        .unwrap();
    assert!(out.status.success());
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
        .args(["--data-dir", tmp.path().to_str().unwrap(), "bot"])
        .env("DISCORD_TOKEN", TOKEN)
        .env("NIMO_DISCORD_PROXY", fake.url())
        .env("NIMO_DISCORD_GUILD", GUILD_ID.to_string())
        .env("NIMO_LOG", "warn")
        .spawn()
        .unwrap();
    fake.wait_for_ok("PUT", "/applications/", 1, WAIT).await;
    let startup = ms(started.elapsed());
    let latencies = ask_all(&fake, &questions()).await;
    let pid = child.id() as libc::pid_t;
    // SAFETY: signalling and reaping our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let rss = tokio::task::spawn_blocking(move || {
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        usage.ru_maxrss as f64 / 1024.0
    })
    .await
    .unwrap();
    (startup, summary(latencies), rss)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let n = questions().len();
        let (startup, nimo) = nimo_in_process().await;
        let echo = echo_baseline().await;
        let (bin_startup, bin, rss) = binary().await;
        println!("## Discord bot against the fake Discord ({n} questions by mention, one at a time)");
        println!("  start-up to READY and commands registered: in process {startup:.0} ms, nimo binary {bin_startup:.0} ms");
        println!("  reply latency (dispatch → answer POSTed)   p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms", nimo.0, nimo.1, nimo.2);
        println!("  nimo binary                                 p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms", bin.0, bin.1, bin.2);
        println!("  echo baseline (same client, no search)     p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms", echo.0, echo.1, echo.2);
        println!("  ratio nimo / echo: p50 {:.2}x, p99 {:.2}x", nimo.0 / echo.0.max(1e-9), nimo.1 / echo.1.max(1e-9));
        println!("  peak resident memory of the nimo binary: {rss:.0} MB");
        let out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench"));
        std::fs::create_dir_all(&out).unwrap();
        let json = json!({
            "questions": n,
            "startup_ms": {"in_process": startup, "binary": bin_startup},
            "reply_latency_ms": {
                "nimo": {"p50": nimo.0, "p99": nimo.1, "mean": nimo.2},
                "nimo_binary": {"p50": bin.0, "p99": bin.1, "mean": bin.2},
                "echo_baseline": {"p50": echo.0, "p99": echo.1, "mean": echo.2},
            },
            "binary_peak_rss_mb": rss,
        });
        std::fs::write(out.join("bot.json"), serde_json::to_string_pretty(&json).unwrap()).unwrap();
        println!("written to target/bench/bot.json");
    });
}
