//! The Discord bot end to end: the real serenity client and nimo's delivery against a fake
//! Discord on 127.0.0.1 that speaks the gateway and REST protocols and enforces Discord's
//! limits (a message over a limit fails the test as it would fail in production).

#[path = "support/fake_discord.rs"]
mod fake_discord;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fake_discord::*;
use nimo::app::Nimo;
use nimo::discord::rest::Secret;
use nimo::discord::{BotConfig, RunningBot};
use nimo::domain::search::lexicon::Lexicon;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

struct Harness {
    fake: FakeDiscord,
    bot: Option<RunningBot>,
    _nimo: Arc<Nimo>,
}

impl Harness {
    async fn start(extra_docs: Option<&Path>) -> Harness {
        let fake = FakeDiscord::start().await;
        let opened = nimo::setup::open_in_memory(Lexicon::embedded())
            .await
            .unwrap();
        let mut paths = vec![PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus"
        ))];
        paths.extend(extra_docs.map(Path::to_path_buf));
        let report = opened
            .nimo
            .ingest(&paths, false, &mut |_| {})
            .await
            .unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let config = BotConfig {
            token: Secret::new(TOKEN),
            proxy: Some(fake.url()),
            guild: Some(GUILD_ID),
        };
        let mut bot = nimo::discord::start(
            config,
            opened.nimo.clone(),
            opened.assignments.clone(),
            Arc::new(opened.store.clone()),
        )
        .await
        .unwrap();
        let ready = bot.ready(WAIT).await.expect("the bot became ready");
        assert_eq!(ready.commands, 9);
        assert_eq!(ready.user, "nimo");
        Harness {
            fake,
            bot: Some(bot),
            _nimo: opened.nimo.clone(),
        }
    }

    async fn stop(mut self) {
        if let Some(bot) = self.bot.take() {
            bot.shutdown().await.unwrap();
        }
    }
}

fn embeds_text(body: &Value) -> String {
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

fn buttons(body: &Value) -> Vec<(String, String, bool)> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_with_autocomplete_and_pages() {
    let h = Harness::start(None).await;
    let fake = &h.fake;

    // Commands are registered in the configured guild, with Japanese names.
    let put = fake.requests_to(
        "PUT",
        &format!("/applications/{APP_ID}/guilds/{GUILD_ID}/commands"),
    );
    assert_eq!(put.len(), 1);
    assert_eq!(put[0].status, 200);
    let names: Vec<String> = fake
        .registered_commands()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "質問",
            "地域",
            "テーマ",
            "事前課題",
            "担当申請",
            "担当登録",
            "提出内容",
            "提出状況",
            "ヘルプ"
        ]
    );

    // Autocomplete of the region option, answered from memory within Discord's 3 seconds.
    let (id, _) = fake.autocomplete("質問", "地域", "神奈");
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 8);
    let choices = cb[0].body["data"]["choices"].as_array().unwrap().clone();
    assert!(!choices.is_empty() && choices.len() <= 25);
    assert_eq!(choices[0]["value"], "神奈川県");
    let dispatched = fake.dispatched_at(id).unwrap();
    assert!(cb[0].at.duration_since(dispatched) < Duration::from_secs(2));

    // The command: deferred first, then the answer as a follow-up.
    let (id, token) = fake.slash(
        "質問",
        &[("内容", "ピアサポーター"), ("地域", "神奈川県")],
        true,
    );
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 5);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(text.contains("ピアサポーター"), "{text}");
    assert!(text.contains("神奈川県"), "{text}");
    assert!(text.contains("出典"), "{text}");
    assert!(!text.contains("北海道"));

    // A broad question has pages: the next-page button updates the message in place.
    let (_, token) = fake.slash("質問", &[("内容", "ピアサポーター")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(text.contains("1〜5件目"), "{text}");
    assert!(
        text.contains("**ピアサポーター**"),
        "matched words are bold: {text}"
    );
    let b = buttons(&follow[0].body);
    assert_eq!(b.len(), 2);
    assert!(b[0].2, "no previous page on page 1");
    assert!(!b[1].2);
    let message = fake
        .messages()
        .into_iter()
        .rev()
        .find(|m| m["embeds"] == follow[0].body["embeds"])
        .unwrap();
    let (id, _) = fake.click(&message, &b[1].1);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 7);
    let text = embeds_text(&cb[0].body["data"]);
    assert!(text.contains("6〜10件目"), "{text}");

    // Help, region profile and topic roster.
    let (id, _) = fake.slash("ヘルプ", &[], true);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert!(embeds_text(&cb[0].body["data"]).contains("/質問"));
    let (_, token) = fake.slash("地域", &[("地域", "東京都/世田谷区")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(text.contains("人口 920,471人"), "{text}");
    assert!(text.contains("取組概要"), "{text}");
    let (_, token) = fake.slash("テーマ", &[("テーマ", "outreach")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("アウトリーチ") && text.contains("世田谷区"),
        "{text}"
    );

    // Nothing the bot sent broke a limit.
    assert!(
        fake.requests().iter().all(|r| r.status < 400),
        "{}",
        describe(&fake.requests())
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_dms_and_other_bots() {
    let h = Harness::start(None).await;
    let fake = &h.fake;
    let channel = format!("/channels/{CHANNEL_ID}/messages");

    // A mention in a channel: answered as a reply, pinging nobody.
    let (msg, _) = fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 住まいの確保に取り組んでいる圏域は？ @everyone"),
        true,
    );
    let sent = fake.wait_for_ok("POST", &channel, 1, WAIT).await;
    let body = &sent[0].body;
    assert_eq!(body["message_reference"]["message_id"], msg.to_string());
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    assert!(body["nonce"].as_str().is_some() && body["enforce_nonce"] == true);
    let text = embeds_text(body);
    assert!(text.contains("住まい"), "{text}");

    // A DM needs no mention.
    fake.user_message(
        DM_CHANNEL_ID,
        false,
        (USER_ID, "alice", false),
        "アウトリーチ",
        false,
    );
    let sent = fake
        .wait_for_ok(
            "POST",
            &format!("/channels/{DM_CHANNEL_ID}/messages"),
            1,
            WAIT,
        )
        .await;
    assert!(embeds_text(&sent[0].body).contains("アウトリーチ"));

    // Nothing found: a clear message with suggestions.
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 量子コンピュータの研究開発"),
        true,
    );
    let sent = fake.wait_for_ok("POST", &channel, 2, WAIT).await;
    let text = embeds_text(&sent[1].body);
    assert!(text.contains("見つかりませんでした"), "{text}");

    // A bare mention gets the help.
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}>"),
        true,
    );
    let sent = fake.wait_for_ok("POST", &channel, 3, WAIT).await;
    assert!(embeds_text(&sent[2].body).contains("使い方"));

    // Not addressed to nimo, from another bot, or from nimo itself: no reply.
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        "ピアサポーターの話をしよう",
        false,
    );
    fake.user_message(
        CHANNEL_ID,
        true,
        (OTHER_BOT_ID, "otherbot", true),
        &format!("<@{BOT_ID}> ピア"),
        true,
    );
    fake.user_message(
        CHANNEL_ID,
        true,
        (BOT_ID, "nimo", true),
        &format!("<@{BOT_ID}> ピア"),
        true,
    );
    // A later question is answered, and it is the fourth reply: the three above got none.
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 措置入院"),
        true,
    );
    let sent = fake.wait_for_ok("POST", &channel, 4, WAIT).await;
    assert!(embeds_text(&sent[3].body).contains("措置入院"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.requests_to("POST", &channel).len(), 4);
    h.stop().await;
}

/// Writes `n` small 事前課題 files, each a different 圏域 of 東京都 working on peer support.
fn many_regions(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for k in 0..n {
        let text = format!(
            " 令和２年度 精神障害にも対応した地域包括ケアシステム構築支援事業 AD合同会議「事前課題」\n\n東京都・第{k}圏域\n\n１．令和２年度の達成目標・取組状況\n\nピアサポーターの養成と活動支援を進める第{k}圏域の取組\n\n２．支援事業の成果\n\n・ピアサポーター養成講座を実施した。\n"
        );
        std::fs::write(dir.join(format!("extra_{k:03}.txt")), text).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_answers_are_split_and_paged_within_limits() {
    let tmp = tempfile::tempdir().unwrap();
    many_regions(tmp.path(), 420);
    let h = Harness::start(Some(tmp.path())).await;
    let fake = &h.fake;

    // 東京都 now holds 420+ regions: its profile is too long for one embed and one message.
    let (_, token) = fake.slash("地域", &[("地域", "東京都")], true);
    let follows = fake.wait_for(WAIT, |reqs| {
        reqs.iter()
            .filter(|r| r.path.starts_with(&format!("/webhooks/{APP_ID}/{token}")))
            .count()
            >= 2
    });
    let follows: Vec<_> = follows
        .await
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/webhooks/{APP_ID}/{token}")))
        .collect();
    assert!(follows.len() >= 2, "split into several messages");
    let embeds: usize = follows
        .iter()
        .map(|r| r.body["embeds"].as_array().map(Vec::len).unwrap_or(0))
        .sum();
    assert!(embeds >= 3, "split into several embeds");
    let all: String = follows.iter().map(|r| embeds_text(&r.body)).collect();
    assert!(
        all.contains("第0圏域") && all.contains("第419圏域"),
        "nothing dropped"
    );
    assert!(
        follows.iter().all(|r| r.status == 200),
        "{}",
        describe(&follows)
    );

    // The topic roster pages through the regions.
    let (_, token) = fake.slash(
        "テーマ",
        &[("テーマ", "ピアサポート"), ("地域", "東京都")],
        true,
    );
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(text.contains("1〜20か所目"), "{text}");
    let b = buttons(&follow[0].body);
    let message = fake
        .messages()
        .into_iter()
        .rev()
        .find(|m| m["embeds"] == follow[0].body["embeds"])
        .unwrap();
    let (id, _) = fake.click(&message, &b[1].1);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert!(embeds_text(&cb[0].body["data"]).contains("21〜40か所目"));

    assert!(
        fake.requests().iter().all(|r| r.status < 400),
        "{}",
        describe(&fake.requests())
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_server_errors_and_lost_responses_lose_no_reply() {
    let h = Harness::start(None).await;
    let fake = &h.fake;
    let channel = format!("/channels/{CHANNEL_ID}/messages");

    // 429 with retry_after: waited out, then delivered once.
    fake.fail_next(
        "POST",
        &channel,
        Fault::RateLimited {
            retry_after: 0.4,
            global: false,
        },
        1,
    );
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> ピアサポーター"),
        true,
    );
    let ok = fake.wait_for_ok("POST", &channel, 1, WAIT).await;
    let tries = fake.requests_to("POST", &channel);
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].status, 429);
    assert!(
        tries[1].at.duration_since(tries[0].at) >= Duration::from_millis(380),
        "retry_after honoured"
    );
    assert_eq!(ok.len(), 1);

    // A global 429 pauses every route.
    fake.fail_next(
        "POST",
        &channel,
        Fault::RateLimited {
            retry_after: 0.3,
            global: true,
        },
        1,
    );
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 研修"),
        true,
    );
    fake.wait_for_ok("POST", &channel, 2, WAIT).await;

    // 500s: retried with backoff.
    fake.fail_next("POST", &channel, Fault::ServerError, 2);
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 家族支援"),
        true,
    );
    fake.wait_for_ok("POST", &channel, 3, WAIT).await;

    // The message was created but the response was lost: the retry carries the same
    // nonce, so Discord (and the fake) returns the first message instead of a second one.
    let before = fake.messages().len();
    fake.fail_next("POST", &channel, Fault::CommitThenFail, 1);
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> グループホーム"),
        true,
    );
    fake.wait_for_ok("POST", &channel, 4, WAIT).await;
    assert_eq!(
        fake.messages().len(),
        before + 1,
        "exactly one message for one question"
    );
    let tries: Vec<_> = fake
        .requests_to("POST", &channel)
        .into_iter()
        .rev()
        .take(2)
        .collect();
    assert_eq!(tries[0].body["nonce"], tries[1].body["nonce"]);

    // The first response to an interaction fails once: retried within the 3 seconds.
    fake.fail_next("POST", "/interactions/", Fault::ServerError, 1);
    let (id, token) = fake.slash("質問", &[("内容", "協議の場")], true);
    fake.wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    // Follow-ups after a rate limit.
    fake.fail_next(
        "POST",
        "/webhooks/",
        Fault::RateLimited {
            retry_after: 0.2,
            global: false,
        },
        1,
    );
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(embeds_text(&follow[0].body).contains("協議"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_reconnects_and_drops_lose_no_question() {
    let h = Harness::start(None).await;
    let fake = &h.fake;
    let channel = format!("/channels/{CHANNEL_ID}/messages");

    // Discord asks the client to reconnect: it resumes the session.
    fake.reconnect();
    let deadline = std::time::Instant::now() + WAIT;
    while fake.resumes() < 1 {
        assert!(std::time::Instant::now() < deadline, "no RESUME after op 7");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> ピア"),
        true,
    );
    fake.wait_for_ok("POST", &channel, 1, WAIT).await;

    // The connection drops; a question asked meanwhile is replayed on resume and answered.
    fake.drop_gateway();
    tokio::time::sleep(Duration::from_millis(50)).await;
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> アウトリーチ"),
        true,
    );
    let sent = fake
        .wait_for_ok("POST", &channel, 2, Duration::from_secs(30))
        .await;
    assert!(embeds_text(&sent[1].body).contains("アウトリーチ"));
    assert!(fake.resumes() + fake.identifies() >= 3, "reconnected");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_reported_not_retried_forever() {
    let fake = FakeDiscord::start().await;
    let opened = nimo::setup::open_in_memory(Lexicon::embedded())
        .await
        .unwrap();
    let config = BotConfig {
        token: Secret::new("wrong.token.x"),
        proxy: Some(fake.url()),
        guild: None,
    };
    let started = nimo::discord::start(
        config,
        opened.nimo.clone(),
        opened.assignments.clone(),
        Arc::new(opened.store.clone()),
    )
    .await;
    // serenity fetches /gateway first; with a wrong token that is refused (401).
    match started {
        Err(_) => {}
        Ok(mut bot) => {
            let result = tokio::time::timeout(WAIT, bot.wait())
                .await
                .expect("the client gives up");
            assert!(result.is_err());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nimo_binary_runs_the_bot_and_stops_on_ctrl_c() {
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
        .args(["--data-dir", tmp.path().to_str().unwrap(), "ingest", corpus])
        .output()
        .unwrap();
    assert!(status.status.success());
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
        .args(["--data-dir", tmp.path().to_str().unwrap()])
        .env("DISCORD_TOKEN", TOKEN)
        .env("NIMO_DISCORD_PROXY", fake.url())
        .env("NIMO_DISCORD_GUILD", GUILD_ID.to_string())
        .env("NIMO_LOG", "nimo=info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fake.wait_for_ok("PUT", "/applications/", 1, WAIT).await;
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> 地域移行"),
        true,
    );
    fake.wait_for_ok("POST", &format!("/channels/{CHANNEL_ID}/messages"), 1, WAIT)
        .await;
    // Ctrl-C: a clean shutdown.
    let pid = child.id().unwrap() as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("exits after Ctrl-C")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("nimo is ready on Discord"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(!log.contains(TOKEN), "the token never appears in logs");
}

/// The fake is only worth its tests if it refuses what Discord refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_refuses_what_discord_refuses() {
    use nimo::discord::rest::{Rest, RestError};
    use serde_json::json;
    let fake = FakeDiscord::start().await;
    let rest = Rest::new(&Secret::new(TOKEN), Some(&fake.url()));
    let channel = CHANNEL_ID;
    let rejected = |r: Result<Option<Value>, RestError>| {
        matches!(
            r,
            Err(RestError::Rejected {
                status: 400,
                code: Some(50035),
                ..
            })
        )
    };
    let long = "あ".repeat(2001);
    assert!(rejected(
        rest.create_message(channel, &json!({ "content": long }))
            .await
    ));
    assert!(
        rejected(
            rest.create_message(channel, &json!({ "content": "" }))
                .await
        ),
        "empty message"
    );
    let field = json!({ "name": "n", "value": "v".repeat(1025) });
    assert!(rejected(
        rest.create_message(channel, &json!({ "embeds": [{ "fields": [field] }] }))
            .await
    ));
    let big = json!({ "description": "d".repeat(4000) });
    assert!(
        rejected(
            rest.create_message(channel, &json!({ "embeds": [big.clone(), big] }))
                .await
        ),
        "6000 across embeds"
    );
    let eleven: Vec<Value> = (0..11).map(|_| json!({ "title": "t" })).collect();
    assert!(rejected(
        rest.create_message(channel, &json!({ "embeds": eleven }))
            .await
    ));
    let button = json!({ "type": 2, "style": 1, "label": "x", "custom_id": "c".repeat(101) });
    assert!(rejected(
        rest.create_message(
            channel,
            &json!({ "content": "x", "components": [{ "type": 1, "components": [button] }] })
        )
        .await
    ));
    assert!(rejected(
        rest.put_commands(
            APP_ID,
            None,
            &json!([{ "name": "Bad Name", "description": "x" }])
        )
        .await
    ));

    // Interactions: 26 autocomplete choices, a second response, a late response.
    let (id, token) = fake.autocomplete("質問", "地域", "x");
    let choices: Vec<Value> = (0..26)
        .map(|i| json!({ "name": format!("c{i}"), "value": format!("{i}") }))
        .collect();
    let too_many = json!({ "type": 8, "data": { "choices": choices } });
    assert!(matches!(
        rest.interaction_response(id, &token, &too_many).await,
        Err(RestError::Rejected { status: 400, .. })
    ));
    let ok = json!({ "type": 8, "data": { "choices": [] } });
    rest.interaction_response(id, &token, &ok).await.unwrap();
    let again = rest.interaction_response(id, &token, &ok).await;
    assert!(
        matches!(
            again,
            Err(RestError::Rejected {
                code: Some(40060),
                ..
            })
        ),
        "{again:?}"
    );
    let (id, token) = fake.slash("ヘルプ", &[], true);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let late = rest
        .interaction_response(id, &token, &json!({ "type": 5 }))
        .await;
    assert!(
        matches!(
            late,
            Err(RestError::Rejected {
                code: Some(10062),
                ..
            })
        ),
        "{late:?}"
    );
}

const BOB: (u64, &str) = (3001, "bob");
const CAROL: (u64, &str) = (3002, "carol");

async fn start_bot_on(fake: &FakeDiscord, opened: &nimo::setup::Opened) -> RunningBot {
    let config = BotConfig {
        token: Secret::new(TOKEN),
        proxy: Some(fake.url()),
        guild: Some(GUILD_ID),
    };
    let mut bot = nimo::discord::start(
        config,
        opened.nimo.clone(),
        opened.assignments.clone(),
        Arc::new(opened.store.clone()),
    )
    .await
    .unwrap();
    bot.ready(WAIT).await.expect("ready");
    bot
}

/// The latest message the bot sent in the DM channel (its content and buttons).
fn last_dm(fake: &FakeDiscord) -> Value {
    fake.messages()
        .into_iter()
        .rev()
        .find(|m| {
            m["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok()) == Some(DM_CHANNEL_ID)
        })
        .expect("a DM")
}

fn content(v: &Value) -> String {
    v["content"].as_str().unwrap_or("").to_string()
}

/// 事前課題 over Discord: registration by request and by an organizer, the form in a DM by
/// messages, buttons and a modal, a bot restart in the middle, submission, search right
/// after, and who may read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jizen_kadai_by_dm_buttons_and_modal_across_a_restart() {
    use nimo::domain::clock::parse_jst;
    use nimo::domain::people::{PersonId, Role};
    use nimo::domain::ports::NewMeeting;
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let config = nimo::setup::Config {
        data_dir: tmp.path().to_path_buf(),
        lexicon_dir: None,
    };
    let opened = nimo::setup::open(&config).await.unwrap();
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"));
    opened
        .nimo
        .ingest(&[corpus], false, &mut |_| {})
        .await
        .unwrap();
    let a = opened.assignments.clone();
    a.create_meeting(NewMeeting {
        name: "令和３年度 第２回 AD合同会議".into(),
        fiscal_year: Some(2021),
        form_id: "jizen-kadai".into(),
        form_version: "2020.1".into(),
        deadline: parse_jst("2099-12-10 17:00").unwrap(),
        meeting_date: None,
    })
    .await
    .unwrap();
    a.grant(
        &PersonId::discord(USER_ID),
        "alice",
        Role::Organizer,
        None,
        None,
    )
    .await
    .unwrap();
    let bot = start_bot_on(&fake, &opened).await;
    let ephemeral_text = |token: &str| {
        let r = fake.requests_to("POST", &format!("/webhooks/{APP_ID}/{token}"));
        let body = &r.last().expect("a follow-up").body;
        assert_eq!(body["flags"], 64, "only the person sees it");
        embeds_text(body)
    };

    // Not registered yet: told how; the request, then the organizer's registration.
    let (_, token) = fake.slash_as(BOB, "事前課題", &[], true);
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(ephemeral_text(&token).contains("担当する地域が登録されていません"));
    let (_, token) = fake.slash_as(BOB, "担当申請", &[("地域", "東京都/世田谷区")], true);
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(ephemeral_text(&token).contains("申請しました"));
    let (_, token) = fake.slash_as(
        CAROL,
        "担当登録",
        &[("ユーザー", "@3001"), ("地域", "東京都/世田谷区")],
        true,
    );
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(
        ephemeral_text(&token).contains("主催者だけ"),
        "carol is not an organizer"
    );
    let (_, token) = fake.slash(
        "担当登録",
        &[("ユーザー", "@3001"), ("地域", "東京都/世田谷区")],
        true,
    );
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let t = ephemeral_text(&token);
    assert!(t.contains("担当者として登録しました"), "{t}");

    // /事前課題 in the server: the form goes on in a DM.
    let (_, token) = fake.slash_as(BOB, "事前課題", &[], true);
    fake.wait_for_ok("POST", "/users/@me/channels", 1, WAIT)
        .await;
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(ephemeral_text(&token).contains("DM"));
    let dm = format!("/channels/{DM_CHANNEL_ID}/messages");
    let sent = fake.wait_for_ok("POST", &dm, 1, WAIT).await;
    let all: String = sent.iter().map(|r| content(&r.body)).collect();
    assert!(all.contains("令和３年度 第２回 AD合同会議"), "{all}");
    assert!(
        content(&sent.last().unwrap().body).contains("【1/4】"),
        "{}",
        content(&sent.last().unwrap().body)
    );
    assert!(!buttons(&sent.last().unwrap().body).is_empty());

    // Answers by DM message.
    let n = fake.requests_to("POST", &dm).len();
    fake.user_message(
        DM_CHANNEL_ID,
        false,
        BOB_AS_AUTHOR,
        "精神科長期入院者への訪問支援｜ピアサポーターと病院を訪問",
        false,
    );
    let sent = fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    assert!(
        sent.iter()
            .any(|r| content(&r.body).contains("1行目を記録しました"))
    );

    // 「次へ」 as a button.
    let message = last_dm(&fake);
    let next = buttons(&message).into_iter().find(|b| b.0 == "次へ");
    let next = next.unwrap_or_else(|| panic!("a 次へ button: {message}"));
    let (id, _) = fake.click_as(BOB, &message, &next.1);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 4);
    assert!(
        cb[0].body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("【2/4】支援事業の成果")
    );

    // The bot restarts in the middle: the next message continues the form.
    bot.shutdown().await.unwrap();
    opened.store.close().await;
    drop((a, opened));
    let opened = nimo::setup::open(&config).await.unwrap();
    let bot = start_bot_on(&fake, &opened).await;
    let n = fake.requests_to("POST", &dm).len();
    fake.user_message(
        DM_CHANNEL_ID,
        false,
        BOB_AS_AUTHOR,
        "・ピア電話相談を開始した",
        false,
    );
    let sent = fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    assert!(
        content(&sent.last().unwrap().body).contains("1項目になりました"),
        "{}",
        content(&sent.last().unwrap().body)
    );

    // 「まとめて入力」 opens a modal; its submission answers the question.
    fake.user_message(DM_CHANNEL_ID, false, BOB_AS_AUTHOR, "次へ", false);
    fake.wait_for_ok("POST", &dm, n + 2, WAIT).await;
    let message = last_dm(&fake);
    assert!(
        content(&message).contains("【3/4】"),
        "{}",
        content(&message)
    );
    let modal_button = buttons(&message)
        .into_iter()
        .find(|b| b.0 == "まとめて入力")
        .unwrap();
    let (id, _) = fake.click_as(BOB, &message, &modal_button.1);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 9, "a modal");
    let modal = &cb[0].body["data"];
    let field = modal["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (id, _) = fake.modal_submit_as(
        BOB,
        modal["custom_id"].as_str().unwrap(),
        &[(&field, "電話相談の周知\n人材の確保")],
        false,
    );
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    let text = cb[0].body["data"]["content"].as_str().unwrap().to_string();
    assert!(
        text.contains("【4/4】"),
        "the reply moves on to the last question: {text}"
    );

    // The last answer and the submission.
    let n = fake.requests_to("POST", &dm).len();
    // (One at a time, as a person types: each waits for the reply to the one before.)
    for (i, text) in ["・ピアサポーターの活躍の場を広げる", "次へ"]
        .into_iter()
        .enumerate()
    {
        fake.user_message(DM_CHANNEL_ID, false, BOB_AS_AUTHOR, text, false);
        fake.wait_for_ok("POST", &dm, n + i + 1, WAIT).await;
    }
    fake.user_message(DM_CHANNEL_ID, false, BOB_AS_AUTHOR, "提出", false);
    let sent = fake.wait_for(WAIT, |reqs| {
        reqs.iter().any(|r| {
            r.path == dm && r.status == 200 && content(&r.body).contains("提出しました（第1版")
        })
    });
    let sent = sent.await;
    assert!(sent.iter().filter(|r| r.path == dm).count() > n);

    // Right after: an advisor's question finds it, cited as 世田谷区's submission.
    let (_, token) = fake.slash(
        "質問",
        &[("内容", "ピア電話相談を開始"), ("地域", "東京都/世田谷区")],
        true,
    );
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("令和３年度 第２回 AD合同会議") && text.contains("第1版"),
        "{text}"
    );

    // Reading the submission: the organizer may, carol (no role) may not.
    let (_, token) = fake.slash_as(CAROL, "提出内容", &[("地域", "東京都/世田谷区")], true);
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(ephemeral_text(&token).contains("アドバイザー"));
    let (_, token) = fake.slash("提出内容", &[("地域", "東京都/世田谷区")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(
        content(&follow[0].body).contains("ピア電話相談を開始した"),
        "{}",
        content(&follow[0].body)
    );

    assert!(
        fake.requests().iter().all(|r| r.status < 400),
        "{}",
        describe(&fake.requests())
    );
    bot.shutdown().await.unwrap();
}

const BOB_AS_AUTHOR: (u64, &str, bool) = (3001, "bob", false);

/// What the bot said in the DM after `text`: every message it sent until it fell quiet.
async fn dm_say(fake: &FakeDiscord, text: &str) -> String {
    let dm = format!("/channels/{DM_CHANNEL_ID}/messages");
    let n = fake.requests_to("POST", &dm).len();
    fake.user_message(DM_CHANNEL_ID, false, BOB_AS_AUTHOR, text, false);
    fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    fake.requests_to("POST", &dm)[n..]
        .iter()
        .map(|r| content(&r.body))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Form B (自治体情報シート) started from a DM: numbers typed by habit, a wrong total, a
/// modal with a bad number, going back, editing, submitting with the confirm button, and an
/// amendment that becomes the second version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jichitai_sheet_in_a_dm_with_bad_numbers_edits_and_an_amendment() {
    use nimo::domain::clock::parse_jst;
    use nimo::domain::people::{PersonId, Role};
    use nimo::domain::ports::NewMeeting;
    let fake = FakeDiscord::start().await;
    let opened = nimo::setup::open_in_memory(Lexicon::embedded())
        .await
        .unwrap();
    let a = opened.assignments.clone();
    a.create_meeting(NewMeeting {
        name: "令和３年度 第１回 AD合同会議".into(),
        fiscal_year: Some(2021),
        form_id: "jichitai-sheet".into(),
        form_version: "2021.1".into(),
        deadline: parse_jst("2099-12-01 17:00").unwrap(),
        meeting_date: None,
    })
    .await
    .unwrap();
    a.grant(
        &PersonId::discord(USER_ID),
        "alice",
        Role::Organizer,
        None,
        None,
    )
    .await
    .unwrap();
    a.grant(
        &PersonId::discord(BOB.0),
        "bob",
        Role::Staff,
        Some("東京都世田谷区"),
        None,
    )
    .await
    .unwrap();
    let bot = start_bot_on(&fake, &opened).await;

    // /事前課題 typed in the DM itself: the first question comes back as the answer.
    let (_, token) = fake.slash_as(BOB, "事前課題", &[], false);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let first: String = follow.iter().map(|r| content(&r.body)).collect();
    assert!(first.contains("【1/31】基礎情報 ― 人口"), "{first}");

    // Numbers as people type them; a word is not a number; a total that does not add up.
    let reply = dm_say(&fake, "九十二万人").await;
    assert!(
        reply.contains("数字で入力してください") && reply.contains("【1/31】"),
        "{reply}"
    );
    let reply = dm_say(&fake, "920,471人 R3年4月").await;
    assert!(
        reply.contains("記録しました：人口 920,471人（R3年4月時点）"),
        "{reply}"
    );
    for text in ["1", "１市町村", "スキップ", "スキップ", "568", "0", "0"] {
        dm_say(&fake, text).await;
    }
    let reply = dm_say(&fake, "560人").await;
    assert!(
        reply.contains("一致しません（合計 560 ／ 568）")
            || reply.contains("一致しません。（合計 560 ／ 568）"),
        "{reply}"
    );
    let reply = dm_say(&fake, "568人").await;
    assert!(reply.contains("【10/31】"), "{reply}");

    // Back, then a correction from the review list, which returns here afterwards.
    let reply = dm_say(&fake, "戻る").await;
    assert!(
        reply.contains("【9/31】") && reply.contains("現在の回答: 568人"),
        "{reply}"
    );
    dm_say(&fake, "次へ").await;
    let reply = dm_say(&fake, "確認").await;
    assert!(reply.contains("920,471人"), "{reply}");
    let reply = dm_say(&fake, "修正 1").await;
    assert!(reply.contains("【1/31】"), "{reply}");
    let reply = dm_say(&fake, "920,472人").await;
    assert!(
        reply.contains("修正前の質問に戻ります") && reply.contains("【10/31】"),
        "{reply}"
    );

    // A modal for the current number: a bad value is explained, nothing is lost.
    let message = last_dm(&fake);
    let modal_button = buttons(&message)
        .into_iter()
        .find(|b| b.0 == "まとめて入力")
        .expect("a modal button");
    let (id, _) = fake.click_as(BOB, &message, &modal_button.1);
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert_eq!(cb[0].body["type"], 9, "a modal");
    let modal = cb[0].body["data"].clone();
    let field = modal["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (id, _) = fake.modal_submit_as(
        BOB,
        modal["custom_id"].as_str().unwrap(),
        &[(&field, "たくさん")],
        false,
    );
    let cb = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    let text = cb[0].body["data"]["content"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        text.contains("数字で入力してください") && text.contains("【10/31】"),
        "{text}"
    );

    // Submission needs a confirmation; the button does it.
    let reply = dm_say(&fake, "提出").await;
    assert!(reply.contains("このまま提出しますか"), "{reply}");
    let message = last_dm(&fake);
    let confirm = buttons(&message)
        .into_iter()
        .find(|b| b.1 == "nimo:form:confirm")
        .expect("a confirm button");
    let (id, _) = fake.click_as(BOB, &message, &confirm.1);
    let done = fake
        .wait_for(WAIT, |reqs| {
            reqs.iter()
                .any(|r| r.status < 300 && r.body.to_string().contains("提出しました（第1版"))
        })
        .await;
    assert!(
        done.iter()
            .any(|r| r.path.contains(&id.to_string()) || r.path.contains("/webhooks/"))
    );

    // An amendment: /事前課題 again, a correction, submitted as the second version.
    let (_, token) = fake.slash_as(BOB, "事前課題", &[], false);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text: String = follow.iter().map(|r| content(&r.body)).collect();
    assert!(
        text.contains("第1版"),
        "the status says it was submitted: {text}"
    );
    dm_say(&fake, "修正 1").await;
    dm_say(&fake, "930,000人").await;
    dm_say(&fake, "提出").await;
    let reply = dm_say(&fake, "このまま提出する").await;
    assert!(reply.contains("提出しました（第2版"), "{reply}");
    let (_, token) = fake.slash("提出内容", &[("地域", "世田谷区")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = content(&follow[0].body);
    assert!(
        text.contains("第2版") && text.contains("930,000人") && !text.contains("920,472"),
        "{text}"
    );

    assert!(
        fake.requests().iter().all(|r| r.status < 400),
        "{}",
        describe(&fake.requests())
    );
    bot.shutdown().await.unwrap();
}

const STAFF_A: (u64, &str) = (3101, "yamada");
const STAFF_B: (u64, &str) = (3102, "sato");
const ORGANIZER: (u64, &str) = (3103, "jimukyoku");

fn messages_in(fake: &FakeDiscord, channel: u64) -> Vec<Value> {
    fake.messages()
        .into_iter()
        .filter(|m| m["channel_id"].as_str().and_then(|c| c.parse::<u64>().ok()) == Some(channel))
        .collect()
}

/// Reminders through the real client and delivery: a DM with a Discord timestamp and a
/// resume button, closed DMs falling back to the channel with a ping and a flag to the
/// organizer, 「/提出状況」 with nudge buttons, and a send cut off mid-request that is
/// retried with the same nonce without a second message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_in_discord_with_fallback_status_nudge_and_a_send_cut_off() {
    use nimo::app::reminders::{CLAIM, MeetingEdit};
    use nimo::discord::notices::DiscordCourier;
    use nimo::domain::clock::{ManualClock, parse_jst};
    use nimo::domain::people::{PersonId, Role};
    use nimo::domain::ports::NewMeeting;

    let tmp = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(parse_jst("2021-12-03 08:00").unwrap()));
    let config = nimo::setup::Config {
        data_dir: tmp.path().to_path_buf(),
        lexicon_dir: None,
    };
    let opened = nimo::setup::open_with_clock(&config, clock.clone())
        .await
        .unwrap();
    let a = opened.assignments.clone();
    let m = a
        .create_meeting(NewMeeting {
            name: "令和３年度 第２回 AD合同会議".into(),
            fiscal_year: Some(2021),
            form_id: "jizen-kadai".into(),
            form_version: "2020.1".into(),
            deadline: parse_jst("2021-12-10 17:00").unwrap(),
            meeting_date: None,
        })
        .await
        .unwrap();
    for (who, role, region) in [
        (STAFF_A, Role::Staff, Some("東京都世田谷区")),
        (STAFF_B, Role::Staff, Some("東京都葛飾区")),
        (ORGANIZER, Role::Organizer, None),
    ] {
        a.grant(&PersonId::discord(who.0), who.1, role, region, None)
            .await
            .unwrap();
    }
    opened
        .reminders
        .edit(
            None,
            m.id,
            MeetingEdit {
                regions: Some(vec!["世田谷区".into(), "葛飾区".into()]),
                organizers: Some(vec![PersonId::discord(ORGANIZER.0)]),
                channel: Some(Some(CHANNEL_ID.to_string())),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let fake = FakeDiscord::start().await;
    let bot = start_bot_on(&fake, &opened).await;
    let _ = bot.bot.reminders.set(opened.reminders.clone());
    let courier = DiscordCourier::new(bot.bot.clone());
    fake.close_dms(STAFF_B.0);

    // 7 days before, 09:00.
    clock.set(parse_jst("2021-12-03 09:00").unwrap());
    let report = opened.reminders.tick(&courier).await.unwrap();
    assert_eq!((report.sent, report.fallbacks), (2, 1), "{report:?}");
    let deadline = parse_jst("2021-12-10 17:00").unwrap().timestamp();
    let dm_a = messages_in(&fake, dm_channel_of(STAFF_A.0));
    assert_eq!(dm_a.len(), 1);
    let text = content(&dm_a[0]);
    assert!(
        text.contains("世田谷区の事前課題がまだ提出されていません"),
        "{text}"
    );
    assert!(text.contains(&format!("<t:{deadline}:F>")), "{text}");
    assert!(
        buttons(&dm_a[0])
            .iter()
            .any(|(_, id, _)| id == &format!("nimo:resume:{}", m.id))
    );
    // 佐藤's DMs are closed: the channel gets it, pinging only him.
    let channel = messages_in(&fake, CHANNEL_ID);
    assert_eq!(channel.len(), 1);
    let post = fake
        .requests_to("POST", &format!("/channels/{CHANNEL_ID}/messages"))
        .into_iter()
        .find(|r| r.status == 200)
        .unwrap();
    assert!(content(&post.body).starts_with(&format!("<@{}> さん", STAFF_B.0)));
    assert_eq!(
        post.body["allowed_mentions"]["users"],
        serde_json::json!([STAFF_B.0.to_string()])
    );
    // …and the organizer is told.
    let dm_o = messages_in(&fake, dm_channel_of(ORGANIZER.0));
    assert_eq!(dm_o.len(), 1);
    assert!(content(&dm_o[0]).contains("DMが届かないため、会議のチャンネルに投稿しました"));

    // The resume button opens the form in the DM.
    let (id, _) = fake.click_as(STAFF_A, &dm_a[0], &format!("nimo:resume:{}", m.id));
    let reply = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    let body = &reply[0].body;
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("令和３年度 第２回 AD合同会議"),
        "{body}"
    );

    // 「/提出状況」: the organizer sees both regions and nudges 世田谷区 with one button.
    let (id, token) = fake.slash_as(ORGANIZER, "提出状況", &[], true);
    let _ = id;
    let followups = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let status = &followups[0].body;
    let description = status["embeds"][0]["description"].as_str().unwrap();
    assert!(description.contains("世田谷区 — 下書き") || description.contains("世田谷区 — 未着手"));
    assert!(description.contains("葛飾区 — 未着手"), "{description}");
    let nudge = buttons(status)
        .into_iter()
        .find(|(label, _, _)| label.contains("世田谷区"))
        .expect("a nudge button");
    let status_message = fake
        .messages()
        .into_iter()
        .rev()
        .find(|m| buttons(m).iter().any(|(_, id, _)| id == &nudge.1))
        .unwrap();
    let (id, _) = fake.click_as(ORGANIZER, &status_message, &nudge.1);
    let reply = fake
        .wait_for_ok("POST", &format!("/interactions/{id}/"), 1, WAIT)
        .await;
    assert!(
        reply[0].body["data"]["content"]
            .as_str()
            .unwrap()
            .contains("催促を送ります")
    );
    let dm_route = format!("/channels/{}/messages", dm_channel_of(STAFF_A.0));
    fake.wait_for_ok("POST", &dm_route, 2, WAIT).await;
    let nudged = messages_in(&fake, dm_channel_of(STAFF_A.0));
    assert!(content(nudged.last().unwrap()).contains("主催者からのお願い"));
    // Staff cannot see the status.
    let (_, token) = fake.slash_as(STAFF_A, "提出状況", &[], true);
    let f = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let said = format!("{}{}", content(&f[0].body), embeds_text(&f[0].body));
    assert!(said.contains("主催者のみ"), "{said}");

    // 3 days before: Discord creates 山田's reminder but the response never arrives and
    // the sender is stopped (its process dies). After the claim runs out, the send is
    // retried with the same nonce: Discord returns the same message, no second one.
    let before = messages_in(&fake, dm_channel_of(STAFF_A.0)).len();
    let posts_before = fake.requests_to("POST", &dm_route).len();
    fake.fail_next("POST", &dm_route, Fault::CommitThenHang, 1);
    clock.set(parse_jst("2021-12-07 09:00").unwrap());
    let sender = {
        let reminders = opened.reminders.clone();
        let courier = DiscordCourier::new(bot.bot.clone());
        tokio::spawn(async move { reminders.tick(&courier).await })
    };
    fake.wait_for(WAIT, |reqs| {
        reqs.iter()
            .filter(|r| r.method == "POST" && r.path == dm_route)
            .count()
            > posts_before
    })
    .await;
    sender.abort();
    let _ = sender.await;
    assert_eq!(
        messages_in(&fake, dm_channel_of(STAFF_A.0)).len(),
        before + 1
    );
    clock.advance(CLAIM + chrono::Duration::seconds(1));
    opened.reminders.tick(&courier).await.unwrap();
    let posts = fake.requests_to("POST", &dm_route);
    assert_eq!(posts.len(), posts_before + 2, "sent again");
    assert_eq!(
        posts[posts_before].body["nonce"],
        posts[posts_before + 1].body["nonce"],
        "with the same nonce"
    );
    assert_eq!(
        messages_in(&fake, dm_channel_of(STAFF_A.0)).len(),
        before + 1,
        "and still one message"
    );
    let deliveries = opened.reminders.deliveries(m.id).await.unwrap();
    assert!(
        deliveries.iter().all(|d| d.state == "sent"),
        "{deliveries:?}"
    );
    bot.shutdown().await.unwrap();
}
