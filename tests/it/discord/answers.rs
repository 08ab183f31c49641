//! Questions in Discord: slash commands with autocomplete and paging, mentions and DMs,
//! answers too long for one message.

use std::path::Path;

use nimo_testkit::fake_discord::*;

use super::*;

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
            "資料追加",
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

    // A figure, from the figures: the value with its date and source, and a figure the
    // sheet leaves blank said to be blank.
    let (_, token) = fake.slash("質問", &[("内容", "世田谷区の入院精神障害者数は？")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("568人") && text.contains("令和3年4月時点") && text.contains("出典"),
        "{text}"
    );
    let (_, token) = fake.slash("質問", &[("内容", "さいたま市の人口は？")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("記載がありません") && !text.contains("920,471"),
        "{text}"
    );
    // Two places side by side, each under its own name.
    let (_, token) = fake.slash(
        "質問",
        &[("内容", "葛飾区と世田谷区のアウトリーチを比べたい")],
        true,
    );
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("■ 東京都葛飾区") && text.contains("■ 東京都世田谷区"),
        "{text}"
    );

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
    // Answered in milliseconds: no 「入力中…」 spent against the rate limits.
    assert!(
        fake.requests_to("POST", &format!("/channels/{CHANNEL_ID}/typing"))
            .is_empty()
    );

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
