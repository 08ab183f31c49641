//! Files in Discord: an organizer's 「/資料追加」 with attachments (checked before download,
//! progress, a summary, searchable at once) and documents sent by DM; others refused before
//! anything is downloaded; Discord's own upload limit; a staff member's filled sheet in the
//! 事前課題 DM, confirmed with a button, previewed and submitted.

use nimo::domain::people::{PersonId, Role};
use nimo_testkit::fake_discord::*;

use super::*;
use crate::formats::{corpus_sheets, filled_form_a, fixtures, sheets_xlsx};
use crate::helpers::{FORM_A, MEETING, clock_at, plain_meeting, spawn_app};

const BOB: (u64, &str) = (3001, "bob");

fn followup_text(fake: &FakeDiscord, token: &str) -> String {
    fake.requests_to("POST", &format!("/webhooks/{APP_ID}/{token}"))
        .iter()
        .map(|r| format!("{}\n{}", content(&r.body), embeds_text(&r.body)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_add_documents_and_they_are_found_at_once() {
    let fake = FakeDiscord::start().await;
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    nimo.app
        .assignments
        .grant(
            &PersonId::discord(USER_ID),
            "alice",
            Role::Organizer,
            None,
            None,
        )
        .await
        .unwrap();
    let bot = start_bot(&fake, &nimo.opened, None).await;

    // Someone who is not an organizer: refused, nothing downloaded.
    let tmp = tempfile::tempdir().unwrap();
    let xlsx = tmp.path().join("事前課題_2圏域.xlsx");
    sheets_xlsx(&corpus_sheets(), &xlsx);
    let sheet = fake
        .upload(
            CHANNEL_ID,
            "事前課題_2圏域.xlsx",
            &std::fs::read(&xlsx).unwrap(),
        )
        .unwrap();
    let (_, token) = fake.slash_with_files(BOB, "資料追加", &[("ファイル", sheet.clone())], true);
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    assert!(followup_text(&fake, &token).contains("主催者だけ"));
    assert!(
        fake.downloads().is_empty(),
        "nothing downloaded for a refusal"
    );

    // The organizer: a workbook and a slide deck (refused by kind, before download).
    let slides = fake
        .upload(CHANNEL_ID, "説明会.pptx", b"PK\x03\x04 not really")
        .unwrap();
    let (_, token) = fake.slash_with_files(
        (USER_ID, "alice"),
        "資料追加",
        &[("ファイル", sheet), ("ファイル2", slides)],
        true,
    );
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let progress = fake.requests_to(
        "PATCH",
        &format!("/webhooks/{APP_ID}/{token}/messages/@original"),
    );
    assert!(
        progress
            .iter()
            .any(|r| content(&r.body).contains("読み取っています（1/1）")),
        "progress while reading: {progress:?}"
    );
    let summary = followup_text(&fake, &token);
    assert!(summary.contains("1件の資料を追加しました"), "{summary}");
    assert!(summary.contains("Excel"), "{summary}");
    assert!(summary.contains("青森県・津軽圏域"), "{summary}");
    assert!(
        summary.contains("PDFに変換"),
        "the deck is refused with a hint: {summary}"
    );
    assert_eq!(
        fake.downloads().len(),
        1,
        "only the workbook was downloaded"
    );
    assert!(
        fake.downloads()
            .iter()
            .all(|d| !d.contains("AUTHORIZATION")),
        "the token never goes to the CDN"
    );

    // Searchable at once.
    let (_, token) = fake.slash("質問", &[("内容", "津軽圏域のピアサポーター養成")], true);
    fake.wait_for_ok("POST", &format!("/webhooks/{APP_ID}/{token}"), 1, WAIT)
        .await;
    let answer = followup_text(&fake, &token);
    assert!(answer.contains("津軽圏域"), "{answer}");
    assert!(answer.contains("交流会を開催した"), "{answer}");

    // A PDF sent by DM (the government kind, CID fonts without embedding).
    let pdf = std::fs::read(fixtures().join("corpus_sheets_kind2.pdf")).unwrap();
    let file = fake.upload(DM_CHANNEL_ID, "資料.pdf", &pdf).unwrap();
    let dm = format!("/channels/{DM_CHANNEL_ID}/messages");
    let n = fake.requests_to("POST", &dm).len();
    fake.dm_with_files((USER_ID, "alice"), "", &[file]);
    let sent = fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    let text = format!("{}{}", content(&sent[n].body), embeds_text(&sent[n].body));
    assert!(text.contains("1件の資料を追加しました"), "{text}");
    assert!(text.contains("PDF"), "{text}");

    // Discord itself refuses an upload over its limit.
    let huge = vec![b'a'; UPLOAD_LIMIT + 1];
    assert_eq!(
        fake.upload(CHANNEL_ID, "big.txt", &huge).unwrap_err().code,
        40005
    );
    bot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_hand_over_a_filled_sheet_in_the_dm_and_submit_it() {
    let fake = FakeDiscord::start().await;
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    let a = nimo.app.assignments.clone();
    plain_meeting(&nimo.app, MEETING, FORM_A, "2099-12-10 17:00").await;
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
    let dm = format!("/channels/{DM_CHANNEL_ID}/messages");

    // A file before any form is open: told how.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("事前課題_世田谷区.xlsx");
    filled_form_a(&path, "東京都世田谷区");
    let bytes = std::fs::read(&path).unwrap();
    let file = fake
        .upload(DM_CHANNEL_ID, "事前課題_世田谷区.xlsx", &bytes)
        .unwrap();
    fake.dm_with_files(BOB, "", std::slice::from_ref(&file));
    let sent = fake.wait_for_ok("POST", &dm, 1, WAIT).await;
    let text = embeds_text(&sent[0].body) + &content(&sent[0].body);
    assert!(text.contains("「/事前課題」"), "{text}");

    // Open the form, then hand the sheet over.
    let (_, _) = fake.slash_as(BOB, "事前課題", &[], true);
    fake.wait_for_ok("POST", &dm, 2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(content(&last_dm(&fake)).contains("【1/4】"));
    let n = fake.requests_to("POST", &dm).len();
    fake.dm_with_files(BOB, "記入済みの様式です", &[file]);
    fake.wait_for_ok("POST", &dm, n + 1, WAIT).await;
    let message = last_dm(&fake);
    let shown = content(&message);
    assert!(shown.contains("4問の回答を読み取りました"), "{shown}");
    let yes = buttons(&message)
        .into_iter()
        .find(|b| b.0 == "はい")
        .unwrap_or_else(|| panic!("a はい button: {message}"));
    assert!(
        a.draft(&PersonId::discord(BOB.0))
            .await
            .unwrap()
            .unwrap()
            .is_empty(),
        "nothing saved before はい"
    );

    // Confirmed with the button: saved, then preview and submission by message.
    let said = click_says(&fake, BOB, &message, &yes.1).await;
    assert!(said.contains("取り込みました"), "{said}");
    assert_eq!(
        a.draft(&PersonId::discord(BOB.0))
            .await
            .unwrap()
            .unwrap()
            .len(),
        4
    );
    let preview = dm_say(&fake, (BOB.0, BOB.1, false), "プレビュー").await;
    assert!(
        preview.contains("ピアサポーター養成講座を実施した"),
        "{preview}"
    );
    let done = dm_say(&fake, (BOB.0, BOB.1, false), "提出").await;
    assert!(done.contains("提出しました"), "{done}");
    bot.shutdown().await.unwrap();
}
