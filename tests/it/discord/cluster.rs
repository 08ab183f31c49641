//! Two `nimo bot` processes on one PostgreSQL database, each with its own data directory
//! (as on two machines), against the fake Discord: one leads, the other stands by; the
//! leader is killed with -9 while a reminder is being sent and while a conversation is
//! going on; the standby takes over, every reminder is delivered once, every acknowledged
//! answer is kept, and a document ingested by another process is found by the leader.

use std::path::Path;
use std::time::{Duration, Instant};

use nimo::domain::clock::format_jst;
use nimo::domain::meetings::reminders::DeliveryState;
use nimo::domain::people::Role;
use nimo::setup::{self, Config};
use nimo_testkit::fake_discord::*;
use tokio::process::{Child, Command};

use super::*;
use crate::helpers::{FORM_A, MEETING, person, plain_meeting, say};

const STAFF: (u64, &str) = (3301, "tanaka");
const WHO: &str = "discord:3301";
const ORGANIZER: &str = "discord:3399";
const WARDS: [&str; 12] = [
    "千代田区",
    "中央区",
    "港区",
    "新宿区",
    "文京区",
    "台東区",
    "墨田区",
    "江東区",
    "品川区",
    "目黒区",
    "大田区",
    "渋谷区",
];

fn bot(data: &Path, url: &str, fake: &FakeDiscord, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nimo"))
        .args(["--data-dir", data.to_str().unwrap()])
        .env("NIMO_DATABASE_URL", url)
        .env("DISCORD_TOKEN", TOKEN)
        .env("NIMO_DISCORD_PROXY", fake.url())
        .env("NIMO_DISCORD_GUILD", GUILD_ID.to_string())
        .env("NIMO_LOG", "nimo=info")
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn until(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    start.elapsed()
}

fn answered(fake: &FakeDiscord, n: usize) -> bool {
    fake.requests_to("POST", &format!("/channels/{CHANNEL_ID}/messages"))
        .iter()
        .filter(|r| r.status == 200)
        .count()
        >= n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_killed_leader_and_nothing_is_lost_or_sent_twice() {
    if std::env::var("NIMO_TEST_DATABASE").as_deref() == Ok("postgres") {
        // Always on PostgreSQL: the first pass of `make test` ran it already.
        return;
    }
    let Some(url) = nimo_testkit::postgres::fresh_database("cluster").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b, dir_c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );

    // The database: the corpus, a meeting of 12 wards (staff on Discord) open until 2099,
    // and 田中 of 世田谷区 at the bullets of 【2/4】.
    let config = Config {
        data_dir: dir_c.clone(),
        lexicon_dir: None,
        database_url: Some(url.clone()),
    };
    let admin = setup::open(&config).await.unwrap();
    let app = admin.app.clone();
    app.library
        .ingest(&[crate::helpers::corpus()], false, &mut |_| {})
        .await
        .unwrap();
    let meeting = plain_meeting(&app, MEETING, FORM_A, "2099-12-10 17:00").await;
    let a = &app.assignments;
    a.grant(&person(ORGANIZER), "事務局", Role::Organizer, None, None)
        .await
        .unwrap();
    for (i, ward) in WARDS.iter().enumerate() {
        let id = format!("discord:{}", 3310 + i);
        a.grant(
            &person(&id),
            ward,
            Role::Staff,
            Some(&format!("東京都{ward}")),
            None,
        )
        .await
        .unwrap();
    }
    a.grant(
        &person(WHO),
        "田中",
        Role::Staff,
        Some("東京都世田谷区"),
        None,
    )
    .await
    .unwrap();
    a.begin(&person(WHO), "田中", None, None).await.unwrap();
    say(&app, WHO, "地域移行｜病院訪問を始めた").await;
    assert!(say(&app, WHO, "次へ").await.contains("【2/4】"));

    // Two processes: the first to take the lease connects; the other does not.
    let fake = FakeDiscord::start().await;
    let mut leader = bot(&dir_a, &url, &fake, &tmp.path().join("a.log"));
    fake.wait_for_ok("PUT", "/applications/", 1, WAIT).await;
    let _standby = bot(&dir_b, &url, &fake, &tmp.path().join("b.log"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(fake.identifies(), 1, "only the leader connects to Discord");
    let status = app.cluster.status().await.unwrap();
    assert_eq!(
        status
            .nodes
            .iter()
            .filter(|n| n.role.as_str() == "leader")
            .count(),
        1
    );
    assert_eq!(
        status
            .nodes
            .iter()
            .filter(|n| n.role.as_str() == "standby")
            .count(),
        1
    );

    // Questions are answered.
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> アウトリーチ"),
        true,
    );
    until("an answer", WAIT, async || answered(&fake, 1)).await;

    // A conversation: three bullets acknowledged by the leader.
    for i in 0..3 {
        fake.user_message(
            dm_channel_of(STAFF.0),
            false,
            (STAFF.0, STAFF.1, false),
            &format!("・成果その{i:02}"),
            false,
        );
        let route = format!("/channels/{}/messages", dm_channel_of(STAFF.0));
        fake.wait_for_ok("POST", &route, i + 1, WAIT).await;
    }

    // Reminders to every ward; the first send reaches Discord and its answer never comes
    // back: the leader is killed right then, in the middle of the rung.
    fake.fail_next("POST", "/channels/", Fault::CommitThenHang, 1);
    app.reminders
        .nudge(&person(ORGANIZER), meeting, None)
        .await
        .unwrap();
    until("the first reminder in flight", WAIT, async || {
        fake.requests_to("POST", "/channels/").len() > 4
    })
    .await;
    leader.kill().await.unwrap();
    let killed = Instant::now();
    // 田中 goes on writing while nobody is connected.
    fake.dm_while_away(STAFF, "・成果その03");
    fake.dm_while_away(STAFF, "・成果その04");

    // The standby takes over: connects and answers within 30 seconds.
    until(
        "the standby to connect",
        Duration::from_secs(30),
        async || fake.identifies() >= 2,
    )
    .await;
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> ピアサポート"),
        true,
    );
    until("an answer from the new leader", WAIT, async || {
        answered(&fake, 2)
    })
    .await;
    let takeover = killed.elapsed();
    assert!(
        takeover < Duration::from_secs(30),
        "took over in {takeover:?}"
    );

    // Every acknowledged bullet, and the two written while nobody led, once each.
    until("the conversation caught up", WAIT, async || {
        let text = say(&app, WHO, "プレビュー").await;
        (0..5).all(|i| text.matches(&format!("成果その{i:02}")).count() == 1)
    })
    .await;

    // Every reminder delivered once, without waiting for the dead leader's claims to run
    // out (90 s): the new leader takes them over; the one in flight when the leader died
    // is sent again with its nonce, and Discord returns the message it made.
    let deliveries = || async { app.reminders.deliveries(meeting).await.unwrap() };
    until("every reminder sent", Duration::from_secs(45), async || {
        deliveries()
            .await
            .iter()
            .all(|d| d.state == DeliveryState::Sent)
    })
    .await;
    let sent = deliveries().await;
    assert!(sent.len() >= WARDS.len(), "{}", sent.len());
    for i in 0..WARDS.len() as u64 {
        let dm = messages_in(&fake, dm_channel_of(3310 + i));
        assert_eq!(
            dm.len(),
            1,
            "ward {} got {} reminders",
            WARDS[i as usize],
            dm.len()
        );
    }

    // A document ingested by another process is found by the leader within seconds.
    let extra = tmp.path().join("extra.txt");
    std::fs::write(
        &extra,
        std::fs::read_to_string(crate::helpers::corpus().join("001_2adf2e42dc73fb39.txt"))
            .unwrap_or_default()
            .replace("世田谷区", "架空町")
            + "\n架空町では「ひだまり傾聴サロン」を始めた。\n",
    )
    .unwrap();
    let report = app
        .library
        .ingest(&[extra], false, &mut |_| {})
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let asked = Instant::now();
    fake.user_message(
        CHANNEL_ID,
        true,
        (USER_ID, "alice", false),
        &format!("<@{BOT_ID}> ひだまり傾聴サロン"),
        true,
    );
    until("the answer about the new document", WAIT, async || {
        answered(&fake, 3)
    })
    .await;
    let last = fake
        .requests_to("POST", &format!("/channels/{CHANNEL_ID}/messages"))
        .into_iter()
        .rfind(|r| r.status == 200)
        .unwrap();
    assert!(
        embeds_text(&last.body).contains("ひだまり") || content(&last.body).contains("ひだまり"),
        "{} (asked at {})",
        last.body,
        format_jst(chrono::Utc::now())
    );
    eprintln!(
        "takeover {takeover:?}; new document answered {:?} after ingest",
        asked.elapsed()
    );
    admin.close().await;
}
