//! Discord misbehaving and the process coming and going: rate limits, server errors,
//! lost responses, reconnects, a wrong token, the binary stopped with Ctrl-C — and the fake
//! refusing what Discord refuses.

use nimo_testkit::fake_discord::*;

use nimo::domain::search::lexicon::Lexicon;

use super::*;

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
    let started = nimo::setup::start_bot(&opened, config, None).await;
    // nimo asks for the gateway itself, with the token: refused (401) at once.
    assert!(
        matches!(started, Err(nimo::discord::StartError::InvalidToken)),
        "{:?}",
        started.err()
    );
    assert_eq!(
        fake.requests_to("GET", "/gateway/bot").len(),
        1,
        "not retried"
    );
    assert_eq!(fake.identifies(), 0);
}

/// The binary with a wrong token ends at once with a Japanese explanation; with Discord
/// out of reach it keeps trying, says so in its log, and never goes around the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_explains_a_wrong_token_and_waits_out_an_outage() {
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let run = |token: &str, proxy: String| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
            .args(["--data-dir", tmp.path().to_str().unwrap()])
            .env("DISCORD_TOKEN", token)
            .env("NIMO_DISCORD_PROXY", proxy)
            .env("NIMO_LOG", "nimo=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let out = tokio::time::timeout(WAIT, run("wrong.token.x", fake.url()).wait_with_output())
        .await
        .expect("a wrong token ends the bot")
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("DISCORD_TOKEN を受け付けませんでした"),
        "{said}"
    );
    assert!(
        !said.contains("wrong.token.x"),
        "the token is never printed"
    );

    // Nothing listens at the proxy: the bot waits, retrying, and says why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut child = run(TOKEN, dead);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(child.try_wait().unwrap().is_none(), "still trying");
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("Discord cannot be reached"), "{log}");
    assert!(
        !log.contains("discord.gg") && !log.contains("discord.com"),
        "{log}"
    );
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
