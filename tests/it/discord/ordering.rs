//! A person's DMs in Discord's order, once: bursts reaching the bot out of order, a
//! message replayed, DMs written while the bot was down, a DM arriving before the bot
//! has handled READY.

use nimo_testkit::fake_discord::*;

use super::*;
use nimo::domain::people::Role;

use crate::helpers::{FORM_A, MEETING, TestApp, clock_at, person, plain_meeting, say, spawn_app};

const STAFF: (u64, &str) = (3201, "tanaka");
const WHO: &str = "discord:3201";

/// An app where 田中 (a Discord user) fills in form A for 世田谷区 and stands at the
/// bullets of 【2/4】. The meeting stays open until 2099: the `nimo` binary runs on the
/// real clock.
async fn at_the_bullets() -> TestApp {
    let t = spawn_app(clock_at("2021-11-20 10:00")).await;
    plain_meeting(&t.app, MEETING, FORM_A, "2099-12-10 17:00").await;
    t.app
        .assignments
        .grant(
            &person(WHO),
            "田中",
            Role::Staff,
            Some("東京都世田谷区"),
            None,
        )
        .await
        .unwrap();
    t.app
        .assignments
        .begin(&person(WHO), "田中", None, None)
        .await
        .unwrap();
    say(&t.app, WHO, "地域移行｜病院訪問を始めた").await;
    let text = say(&t.app, WHO, "次へ").await;
    assert!(text.contains("【2/4】"), "{text}");
    t
}

/// The bullets stored for 【2/4】 (支援事業の成果), as the preview lists them.
async fn stored_items(t: &TestApp) -> Vec<String> {
    let text = say(&t.app, WHO, "プレビュー").await;
    text.lines()
        .filter_map(|l| {
            l.split_once("成果その")
                .map(|(_, n)| format!("成果その{n}"))
        })
        .collect()
}

/// The bot's messages in 田中's DM channel, in the order posted.
fn replies(fake: &FakeDiscord) -> Vec<String> {
    messages_in(fake, dm_channel_of(STAFF.0))
        .iter()
        .map(content)
        .collect()
}

async fn wait_for_replies(fake: &FakeDiscord, n: usize) {
    let route = format!("/channels/{}/messages", dm_channel_of(STAFF.0));
    fake.wait_for_ok("POST", &route, n, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_out_of_order_is_applied_in_discords_order_and_a_replay_once() {
    let t = at_the_bullets().await;
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake, &t.opened, None).await;

    // Twelve bullets written in order 00…11, their events reaching the bot shuffled.
    let contents: Vec<String> = (0..12).map(|i| format!("・成果その{i:02}")).collect();
    let contents: Vec<&str> = contents.iter().map(String::as_str).collect();
    let shuffled = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6];
    let ids = fake.dm_burst(STAFF, &contents, &shuffled);
    wait_for_replies(&fake, 12).await;
    let said = replies(&fake);
    for (k, reply) in said.iter().enumerate() {
        assert!(
            reply.starts_with(&format!("{}項目になりました", k + 1)),
            "reply {k} matches the state after its own message: {said:?}"
        );
    }
    let expected: Vec<String> = (0..12).map(|i| format!("成果その{i:02}")).collect();
    assert_eq!(
        stored_items(&t).await,
        expected,
        "stored in the order written"
    );

    // The same message delivered again (a replay): applied once, no second reply.
    let last = fake.messages().len();
    fake.redeliver(ids[11]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.messages().len(), last, "a replay gets no reply");
    assert_eq!(stored_items(&t).await.len(), 12, "and is not stored twice");
    bot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dms_written_while_the_bot_was_down_are_answered_once_at_start_up() {
    let t = at_the_bullets().await;
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake, &t.opened, None).await;
    fake.dm_burst(STAFF, &["・成果その00"], &[0]);
    wait_for_replies(&fake, 1).await;
    bot.shutdown().await.unwrap();

    // While nimo is down 田中 goes on writing; Discord will not replay these.
    for i in 1..=3 {
        fake.dm_while_away(STAFF, &format!("・成果その{i:02}"));
    }
    // And one reaches the new session right after READY, before nimo handled READY.
    fake.dm_right_after_ready(STAFF, "・成果その04");
    let bot = start_bot(&fake, &t.opened, None).await;
    wait_for_replies(&fake, 5).await;
    let expected: Vec<String> = (0..5).map(|i| format!("成果その{i:02}")).collect();
    assert_eq!(stored_items(&t).await, expected);
    let said = replies(&fake);
    assert!(said[4].starts_with("5項目になりました"), "{said:?}");

    // A second start-up finds nothing new: nothing is applied twice.
    bot.shutdown().await.unwrap();
    let bot = start_bot(&fake, &t.opened, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(replies(&fake).len(), 5);
    assert_eq!(stored_items(&t).await.len(), 5);
    bot.shutdown().await.unwrap();
}

/// The `nimo` binary as the bot, killed with -9 in the middle of a burst of DMs: after a
/// restart every bullet is stored once, in the order written — the ones applied before
/// the kill are not applied again, the others are caught up on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_killed_mid_burst_loses_and_repeats_nothing() {
    let t = at_the_bullets().await;
    let data = t.config.data_dir.clone();
    let database = t.config.database_url.clone().unwrap_or_default();
    let fake = FakeDiscord::start().await;
    let start = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_nimo"))
            .args(["--data-dir", data.to_str().unwrap()])
            .env("NIMO_DATABASE_URL", &database)
            .env("DISCORD_TOKEN", TOKEN)
            .env("NIMO_DISCORD_PROXY", fake.url())
            .env("NIMO_DISCORD_GUILD", GUILD_ID.to_string())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut bot = start();
    fake.wait_for_ok("PUT", "/applications/", 1, WAIT).await;
    let contents: Vec<String> = (0..10).map(|i| format!("・成果その{i:02}")).collect();
    let contents: Vec<&str> = contents.iter().map(String::as_str).collect();
    let order: Vec<usize> = (0..10).collect();
    fake.dm_burst(STAFF, &contents, &order);
    wait_for_replies(&fake, 3).await;
    bot.kill().await.unwrap();
    let replied = replies(&fake).len();

    let _bot = start();
    fake.wait_for_ok("PUT", "/applications/", 2, WAIT).await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let items = stored_items(&t).await;
        if items.len() == 10 || std::time::Instant::now() > deadline {
            let expected: Vec<String> = (0..10).map(|i| format!("成果その{i:02}")).collect();
            assert_eq!(
                items, expected,
                "every bullet once, in order ({replied} replied before the kill)"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Buttons outlive their question: スキップ under question 1, clicked at question 3,
/// does not skip question 3; it says it is out of date and shows the current question.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_button_does_not_act_on_the_current_question() {
    let t = at_the_bullets().await;
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake, &t.opened, None).await;
    let say_in_dm = |text: &'static str, n: usize| {
        let fake = &fake;
        async move {
            fake.dm_burst(STAFF, &[text], &[0]);
            wait_for_replies(fake, n).await;
            messages_in(fake, dm_channel_of(STAFF.0))
                .last()
                .cloned()
                .expect("a reply")
        }
    };
    let at_question_1 = say_in_dm("戻る", 1).await;
    assert!(content(&at_question_1).contains("【1/4】"));
    let skip = buttons(&at_question_1)
        .into_iter()
        .find(|b| b.0 == "スキップ")
        .expect("スキップ under question 1");
    say_in_dm("次へ", 2).await;
    say_in_dm("・成果その00", 3).await;
    let at_question_3 = say_in_dm("次へ", 4).await;
    assert!(
        content(&at_question_3).contains("【3/4】"),
        "{}",
        content(&at_question_3)
    );

    let said = click_says(&fake, STAFF, &at_question_1, &skip.1).await;
    assert!(said.contains("前に表示した質問のもの"), "{said}");
    assert!(
        said.contains("【3/4】"),
        "the current question is shown: {said}"
    );
    let reply = say_in_dm("・課題その1", 5).await;
    assert!(
        content(&reply).starts_with("1項目になりました"),
        "question 3 was not skipped: {}",
        content(&reply)
    );
    bot.shutdown().await.unwrap();
}
