//! 事前課題 in Discord: by DM messages, buttons and modals, across a restart of the bot;
//! form B with bad numbers, corrections and an amendment.

use nimo_testkit::fake_discord::*;

use super::*;
use crate::helpers::{FORM_A, MEETING, clock_at, corpus, plain_meeting, spawn_app, spawn_app_in};

const BOB: (u64, &str) = (3001, "bob");
const CAROL: (u64, &str) = (3002, "carol");

const BOB_AS_AUTHOR: (u64, &str, bool) = (3001, "bob", false);

/// What the bot said in bob's DM after `text`.
async fn dm_say(fake: &FakeDiscord, text: &str) -> String {
    super::dm_say(fake, BOB_AS_AUTHOR, text).await
}

/// 事前課題 over Discord: registration by request and by an organizer, the form in a DM by
/// messages, buttons and a modal, a bot restart in the middle, submission, search right
/// after, and who may read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jizen_kadai_by_dm_buttons_and_modal_across_a_restart() {
    use nimo::domain::people::{PersonId, Role};
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock_at("2021-11-20 10:00");
    let nimo = spawn_app_in(tmp.path(), clock.clone()).await;
    nimo.app
        .library
        .ingest(&[corpus()], false, &mut |_| {})
        .await
        .unwrap();
    let a = nimo.app.assignments.clone();
    plain_meeting(&nimo.app, MEETING, FORM_A, "2099-12-10 17:00").await;
    a.grant(
        &PersonId::discord(USER_ID),
        "alice",
        Role::Organizer,
        None,
        None,
    )
    .await
    .unwrap();
    let bot = start_bot(&fake, &nimo.opened, None).await;
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
    nimo.opened.close().await;
    drop((a, nimo));
    let nimo = spawn_app_in(tmp.path(), clock.clone()).await;
    let bot = start_bot(&fake, &nimo.opened, None).await;
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

/// Form B (自治体情報シート) started from a DM: numbers typed by habit, a wrong total, a
/// modal with a bad number, going back, editing, submitting with the confirm button, and an
/// amendment that becomes the second version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jichitai_sheet_in_a_dm_with_bad_numbers_edits_and_an_amendment() {
    use nimo::domain::people::{PersonId, Role};
    let fake = FakeDiscord::start().await;
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    let a = nimo.app.assignments.clone();
    plain_meeting(
        &nimo.app,
        "令和３年度 第１回 AD合同会議",
        "jichitai-sheet@2021.2",
        "2099-12-01 17:00",
    )
    .await;
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
    let bot = start_bot(&fake, &nimo.opened, None).await;

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
        .find(|b| b.1.starts_with("nimo:form:") && b.1.ends_with(":confirm"))
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

    // The submitted figures answer questions about figures at once: the latest version's,
    // and a figure left out is said to be unstated, not taken from anywhere else.
    let (_, token) = fake.slash("質問", &[("内容", "世田谷区の人口は？")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(
        text.contains("930,000人") && text.contains("第2版") && !text.contains("920,47"),
        "{text}"
    );
    let (_, token) = fake.slash("質問", &[("内容", "世田谷区の精神科病床数")], true);
    let follow = fake
        .wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let text = embeds_text(&follow[0].body);
    assert!(text.contains("記載なし"), "{text}");

    assert!(
        fake.requests().iter().all(|r| r.status < 400),
        "{}",
        describe(&fake.requests())
    );
    bot.shutdown().await.unwrap();
}
