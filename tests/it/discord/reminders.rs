//! Reminders in Discord: a DM with a timestamp and a resume button, closed DMs falling
//! back to the channel, 「/提出状況」 with nudges, a send cut off mid-request.

use nimo_testkit::fake_discord::*;

use super::*;
use crate::helpers::{Seed, clock_at, seed_meeting, spawn_app};

const STAFF_A: (u64, &str) = (3101, "yamada");
const STAFF_B: (u64, &str) = (3102, "sato");
const ORGANIZER: (u64, &str) = (3103, "jimukyoku");

/// Reminders through the real client and delivery: a DM with a Discord timestamp and a
/// resume button, closed DMs falling back to the channel with a ping and a flag to the
/// organizer, 「/提出状況」 with nudge buttons, and a send cut off mid-request that is
/// retried with the same nonce without a second message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_in_discord_with_fallback_status_nudge_and_a_send_cut_off() {
    use nimo::app::reminders::CLAIM;
    use nimo::domain::clock::parse_jst;
    use nimo::domain::meetings::reminders::DeliveryState;

    let clock = clock_at("2021-12-03 08:00");
    let t = spawn_app(clock.clone()).await;
    let opened = t.app.clone();
    let m = seed_meeting(
        &opened,
        Seed {
            staff: vec![
                ("discord:3101", "yamada", "東京都世田谷区"),
                ("discord:3102", "sato", "東京都葛飾区"),
            ],
            organizers: vec![("discord:3103", "jimukyoku")],
            regions: vec!["世田谷区", "葛飾区"],
            channel: Some("5000"),
            ..Default::default()
        },
    )
    .await;

    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake, &t.opened, None).await;
    let courier = bot.courier();
    fake.close_dms(STAFF_B.0);

    // 7 days before, 09:00.
    clock.set(parse_jst("2021-12-03 09:00").unwrap());
    let report = opened.reminders.tick(courier.as_ref()).await.unwrap();
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
            .any(|(_, id, _)| id == &format!("nimo:resume:{m}"))
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
    let (id, _) = fake.click_as(STAFF_A, &dm_a[0], &format!("nimo:resume:{m}"));
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
        let courier = bot.courier();
        tokio::spawn(async move { reminders.tick(courier.as_ref()).await })
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
    opened.reminders.tick(courier.as_ref()).await.unwrap();
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
    let deliveries = opened.reminders.deliveries(m).await.unwrap();
    assert!(
        deliveries.iter().all(|d| d.state == DeliveryState::Sent),
        "{deliveries:?}"
    );
    bot.shutdown().await.unwrap();
}
