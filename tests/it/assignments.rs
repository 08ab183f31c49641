//! 事前課題 through the core services (no Discord): whole conversations, restart in the
//! middle, amendments, permissions, the deadline, search right after submission, exports.

use std::sync::Arc;

use chrono::Duration;
use nimo::app::App;
use nimo::app::assignments::Source;
use nimo::app::meetings::{MeetingEdit, MeetingPlan};
use nimo::domain::clock::{ManualClock, parse_jst};
use nimo::domain::forms::conversation::Input;
use nimo::domain::ids::MeetingId;
use nimo::domain::people::{PersonId, Role};
use nimo::domain::search::query::Ask;

use crate::helpers::{Seed, clock_at, corpus, refused, say, seed_meeting, spawn_app, spawn_app_in};

fn clock() -> Arc<ManualClock> {
    clock_at("2021-11-20 10:00")
}

/// A meeting for form A with 世田谷区 and 葛飾区 staff — registered by the organizer —
/// an advisor and the organizer.
async fn setup_people(app: &App) -> MeetingId {
    let meeting = seed_meeting(
        app,
        Seed {
            organizers: vec![("local:事務局", "事務局")],
            advisors: vec![("local:金川", "金川")],
            ..Default::default()
        },
    )
    .await;
    let a = &app.assignments;
    let msg = a
        .register_staff(
            &PersonId::local("事務局"),
            &PersonId::local("山田"),
            "山田",
            "世田谷区",
        )
        .await
        .unwrap();
    assert!(msg.contains("世田谷区の担当者"), "{msg}");
    a.register_staff(
        &PersonId::local("事務局"),
        &PersonId::local("佐藤"),
        "佐藤",
        "東京都葛飾区",
    )
    .await
    .unwrap();
    meeting
}

#[tokio::test(flavor = "multi_thread")]
async fn fill_in_restart_submit_amend_and_find() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let t = spawn_app_in(tmp.path(), clock.clone()).await;
    t.app
        .library
        .ingest(&[corpus()], false, &mut |_| {})
        .await
        .unwrap();
    let app = t.app.clone();
    let a = app.assignments.clone();
    let meeting = setup_people(&app).await;
    let yamada = PersonId::local("山田");

    let reply = a.begin(&yamada, "山田", None, None).await.unwrap();
    let text: String = reply.messages.iter().map(|m| m.text.clone()).collect();
    assert!(
        text.contains("令和３年度 第２回 AD合同会議") && text.contains("2021年12月10日(金) 17:00"),
        "{text}"
    );
    assert!(
        text.contains("【1/4】令和3年度の達成目標・取組状況"),
        "{text}"
    );
    say(
        &app,
        "山田",
        "精神科長期入院者への訪問支援｜ピアサポーターと病院を訪問した",
    )
    .await;
    say(&app, "山田", "次へ").await;
    say(&app, "山田", "・ピア電話相談を開始した").await;

    // The process stops in the middle; a new one on the same database resumes.
    t.opened.close().await;
    drop((a, app, t));
    let t = spawn_app_in(tmp.path(), clock.clone()).await;
    let app = t.app.clone();
    let a = app.assignments.clone();
    assert!(a.is_active(&yamada).await);
    let text = say(&app, "山田", "・アウトリーチ事業の体制を強化した").await;
    assert!(
        text.contains("2項目"),
        "the first item survived the restart: {text}"
    );
    say(&app, "山田", "次へ").await;
    say(&app, "山田", "・電話相談の周知").await;
    say(&app, "山田", "次へ").await;
    say(&app, "山田", "・ピアサポーターの活躍の場を広げる").await;
    let text = say(&app, "山田", "次へ").await;
    assert!(
        text.contains("すべての質問が終わりました（未回答 0問）"),
        "{text}"
    );
    let text = say(&app, "山田", "提出").await;
    assert!(
        text.contains("提出しました（第1版・2021年11月20日(土) 10:00）"),
        "{text}"
    );

    // Searchable at once, cited as 世田谷区's submission for the meeting.
    let answer = app
        .library
        .ask(&Ask {
            question: "世田谷区のピア電話相談".into(),
            limit: Some(50),
            ..Default::default()
        })
        .await
        .unwrap();
    let hit = answer
        .results
        .hits
        .iter()
        .find(|h| h.passage.form == "提出" && h.passage.text.contains("ピア電話相談を開始"))
        .expect("the submission is found");
    assert_eq!(hit.passage.region.key(), "東京都/世田谷区");
    assert!(
        hit.passage
            .doc_title
            .contains("令和３年度 第２回 AD合同会議")
            && hit.passage.doc_title.contains("第1版")
    );
    assert_eq!(hit.passage.section, "支援事業の成果");

    // Amend until the deadline: a second version, and search reads the new text.
    clock.advance(Duration::days(3));
    say(&app, "山田", "修正 2").await;
    say(&app, "山田", "・ピア電話相談を夜間にも拡大した").await;
    say(&app, "山田", "次へ").await;
    let text = say(&app, "山田", "提出").await;
    assert!(text.contains("第2版"), "{text}");
    let answer = app
        .library
        .ask(&Ask {
            question: "夜間にも拡大".into(),
            limit: Some(50),
            ..Default::default()
        })
        .await
        .unwrap();
    let hit = answer
        .results
        .hits
        .iter()
        .find(|h| h.passage.form == "提出")
        .unwrap();
    assert!(hit.passage.doc_title.contains("第2版"));
    let old = app
        .library
        .ask(&Ask {
            question: "ピア電話相談を開始".into(),
            limit: Some(50),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        old.results
            .hits
            .iter()
            .all(|h| !h.passage.text.contains("ピア電話相談を開始")),
        "the old version is replaced in search"
    );
    let versions = a.versions(None, meeting, "世田谷区").await.unwrap();
    assert_eq!(versions.len(), 2, "every submitted version is kept");
    assert!(versions[0].answers != versions[1].answers);

    // After the deadline nothing changes.
    clock.set(parse_jst("2021-12-10 17:01").unwrap());
    let e = a
        .handle(&yamada, Input::Text("修正 3".into()), Source::Typed)
        .await;
    assert!(e.is_ok(), "moving around is still allowed");
    let e = a
        .handle(&yamada, Input::Text("・追加".into()), Source::Typed)
        .await
        .unwrap_err();
    assert!(refused(e).contains("締切"));
    let e = a
        .begin(&yamada, "山田", Some(meeting), None)
        .await
        .unwrap_err();
    assert!(refused(e).contains("締切"));
}

#[tokio::test(flavor = "multi_thread")]
async fn who_may_do_what() {
    let t = spawn_app(clock()).await;
    let app = t.app.clone();
    let a = app.assignments.clone();
    let meeting = setup_people(&app).await;

    // Not registered, or only pending: no form.
    let e = a
        .begin(&PersonId::local("田中"), "田中", None, None)
        .await
        .unwrap_err();
    assert!(refused(e).contains("担当する地域が登録されていません"));
    let msg = a
        .request_staff(&PersonId::local("田中"), "田中", "文京区")
        .await
        .unwrap();
    assert!(msg.contains("申請しました"), "{msg}");
    let e = a
        .begin(&PersonId::local("田中"), "田中", None, None)
        .await
        .unwrap_err();
    assert!(refused(e).contains("登録されていません"));
    assert_eq!(a.pending().await.unwrap().len(), 1);
    // Only organizers approve.
    let e = a
        .register_staff(
            &PersonId::local("山田"),
            &PersonId::local("田中"),
            "田中",
            "文京区",
        )
        .await
        .unwrap_err();
    assert!(refused(e).contains("主催者"));
    a.register_staff(
        &PersonId::local("事務局"),
        &PersonId::local("田中"),
        "田中",
        "文京区",
    )
    .await
    .unwrap();
    assert!(
        a.begin(&PersonId::local("田中"), "田中", None, None)
            .await
            .is_ok()
    );
    assert!(a.pending().await.unwrap().is_empty());

    // Staff work only on their own region.
    let e = a
        .begin(&PersonId::local("山田"), "山田", None, Some("葛飾区"))
        .await
        .unwrap_err();
    assert!(refused(e).contains("担当者として登録されていません"));

    // 葛飾区 drafts: nobody else reads them; advisors read only what is submitted.
    a.begin(&PersonId::local("佐藤"), "佐藤", None, None)
        .await
        .unwrap();
    say(&app, "佐藤", "退院後支援体制の構築｜部会で事例検討").await;
    let e = a
        .submitted_text(&PersonId::local("金川"), Some(meeting), "葛飾区")
        .await
        .unwrap_err();
    assert!(refused(e).contains("まだ提出していません"));
    let e = a
        .submitted_text(&PersonId::local("山田"), Some(meeting), "葛飾区")
        .await
        .unwrap_err();
    assert!(refused(e).contains("アドバイザー"));
    for t in [
        "次へ",
        "・在宅療養支援を強化",
        "次へ",
        "・連携の強化",
        "次へ",
        "・アウトリーチ支援を強化",
        "次へ",
        "提出",
    ] {
        say(&app, "佐藤", t).await;
    }
    let text = a
        .submitted_text(&PersonId::local("金川"), Some(meeting), "葛飾区")
        .await
        .unwrap();
    assert!(
        text.contains("第1版") && text.contains("退院後支援体制の構築"),
        "{text}"
    );
    let text = a
        .submitted_text(&PersonId::local("事務局"), Some(meeting), "東京都葛飾区")
        .await
        .unwrap();
    assert!(text.contains("在宅療養支援を強化"));

    // A staff member whose role is revoked mid-conversation is stopped.
    a.begin(&PersonId::local("山田"), "山田", None, None)
        .await
        .unwrap();
    a.revoke(
        &PersonId::local("山田"),
        Role::Staff,
        Some("世田谷区"),
        None,
    )
    .await
    .unwrap();
    let e = a
        .handle(
            &PersonId::local("山田"),
            Input::Text("目標｜状況".into()),
            Source::Typed,
        )
        .await
        .unwrap_err();
    assert!(refused(e).contains("担当者ではなくなった"));
}

#[tokio::test(flavor = "multi_thread")]
async fn form_b_by_conversation_and_exports() {
    let t = spawn_app(clock()).await;
    let app = t.app.clone();
    let a = app.assignments.clone();
    let (meeting, _) = app
        .meetings
        .create(
            None,
            MeetingPlan {
                name: "令和３年度 第１回 AD合同会議".into(),
                form: "jichitai-sheet@2021.2".into(),
                deadline: parse_jst("2021-12-01 17:00").unwrap(),
                fiscal_year: Some(2021),
                meeting_date: None,
            },
            MeetingEdit::default(),
        )
        .await
        .unwrap();
    a.grant(
        &PersonId::local("山田"),
        "山田",
        Role::Staff,
        Some("東京都世田谷区"),
        None,
    )
    .await
    .unwrap();
    a.grant(
        &PersonId::local("佐藤"),
        "佐藤",
        Role::Staff,
        Some("さいたま市"),
        None,
    )
    .await
    .unwrap();
    a.begin(&PersonId::local("山田"), "山田", None, None)
        .await
        .unwrap();
    let text = say(&app, "山田", "九十二万人").await;
    assert!(text.contains("数字で入力してください"), "{text}");
    say(&app, "山田", "920,471人 R3年4月").await;
    say(&app, "山田", "1").await;
    say(&app, "山田", "１市町村").await;
    say(&app, "山田", "スキップ").await;
    say(&app, "山田", "スキップ").await;
    say(&app, "山田", "568").await;
    say(&app, "山田", "0").await;
    say(&app, "山田", "0").await;
    let text = say(&app, "山田", "568人").await;
    assert!(text.contains("６５歳未満"), "{text}");
    let text = say(&app, "山田", "プレビュー").await;
    assert!(text.contains("【１年以上の構成割合】100.0％"), "{text}");
    let text = say(&app, "山田", "提出").await;
    assert!(text.contains("このまま提出しますか"), "{text}");
    let text = say(&app, "山田", "提出する").await;
    assert!(text.contains("提出しました（第1版"), "{text}");
    // さいたま市 keeps a draft only.
    a.begin(&PersonId::local("佐藤"), "佐藤", None, None)
        .await
        .unwrap();
    say(&app, "佐藤", "1,324,000人").await;

    let export = a.export(meeting.id).await.unwrap();
    assert_eq!(export.submitted, 1);
    assert!(
        export
            .markdown
            .starts_with("# 令和３年度 第１回 AD合同会議")
    );
    assert!(export.markdown.contains("## 東京都世田谷区"));
    assert!(export.markdown.contains("- 人口: 920,471人（R3年4月時点）"));
    assert!(export.markdown.contains("未提出（下書きのみ）: さいたま市"));
    assert!(
        !export.markdown.contains("1,324,000"),
        "drafts are not exported"
    );
    assert!(
        export.csv.starts_with("\u{feff}".as_bytes()),
        "BOM for Excel"
    );
    let csv = String::from_utf8(export.csv.clone()).unwrap();
    assert!(csv.contains("\r\n"));
    let header = csv.lines().next().unwrap();
    assert!(header.contains("人口（人）") && header.contains("人口（時点）"));
    let row = csv.lines().nth(1).unwrap();
    assert!(row.starts_with("東京都世田谷区,東京都/世田谷区,1,"));
    assert!(row.contains(",920471,R3年4月時点,"));
    assert_eq!(&export.xlsx[..2], b"PK", "an XLSX is a zip");
}

/// Messages sent a moment apart are handled one at a time: none of them is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_messages_lose_nothing() {
    let t = spawn_app(clock()).await;
    let app = t.app.clone();
    let a = app.assignments.clone();
    setup_people(&app).await;
    let yamada = PersonId::local("山田");
    a.begin(&yamada, "山田", None, None).await.unwrap();
    say(&app, "山田", "地域移行｜病院訪問").await;
    let text = say(&app, "山田", "次へ").await;
    assert!(text.contains("【2/4】"), "{text}");
    // 【2/4】 is a list: each message adds one item.
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { say(&app, "山田", &format!("・成果その{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let text = say(&app, "山田", "プレビュー").await;
    for i in 0..16 {
        let item = format!("成果その{i}");
        assert!(
            text.lines().any(|l| l.ends_with(&item)),
            "item {i} lost:\n{text}"
        );
    }
}

/// Regions submitting in the same moment share index commits; each is searchable as soon
/// as its own 提出 is answered, with its own words, under its own region.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_submissions_are_each_searchable_at_once() {
    let t = spawn_app(clock()).await;
    let app = t.app.clone();
    let a = app.assignments.clone();
    let meeting = setup_people(&app).await;
    let cities = [
        "札幌市",
        "仙台市",
        "千葉市",
        "横浜市",
        "新潟市",
        "静岡市",
        "名古屋市",
        "京都市",
        "大阪市",
        "神戸市",
        "岡山市",
        "広島市",
    ];
    for (i, city) in cities.iter().enumerate() {
        let who = PersonId::local(&format!("staff{i}"));
        a.grant(&who, city, Role::Staff, Some(city), None)
            .await
            .unwrap();
        a.begin(&who, city, Some(meeting), None).await.unwrap();
    }
    let tasks: Vec<_> = cities
        .iter()
        .enumerate()
        .map(|(i, city)| {
            let app = app.clone();
            let city = city.to_string();
            tokio::spawn(async move {
                let who = format!("staff{i}");
                say(&app, &who, "地域移行｜病院訪問を始めた").await;
                say(&app, &who, "次へ").await;
                say(&app, &who, &format!("・{city}でピア交流会を開いた")).await;
                for item in ["次へ", "・周知", "次へ", "・継続", "次へ"] {
                    say(&app, &who, item).await;
                }
                let text = say(&app, &who, "提出").await;
                assert!(text.contains("提出しました（第1版"), "{city}: {text}");
                let answer = app
                    .library
                    .ask(&Ask {
                        question: format!("{city}のピア交流会"),
                        limit: Some(20),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                let hit = answer
                    .results
                    .hits
                    .iter()
                    .find(|h| h.passage.form == "提出")
                    .unwrap_or_else(|| panic!("{city}'s submission is searchable at once"));
                assert!(
                    hit.passage.text.contains(&city),
                    "{city}: {}",
                    hit.passage.text
                );
                assert!(hit.passage.region.key().ends_with(&city));
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(a.export(meeting).await.unwrap().submitted, cities.len());
}

/// Two staff of one region, each in two processes, all adding bullets to the same list at
/// the same moment: every bullet acknowledged is stored (the turn reads and writes inside
/// one database transaction, whoever else writes).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_of_one_region_in_two_processes_lose_nothing() {
    let t = spawn_app(clock()).await;
    seed_meeting(
        &t.app,
        Seed {
            staff: vec![
                ("local:山田", "山田", "東京都世田谷区"),
                ("local:佐藤", "佐藤", "東京都世田谷区"),
            ],
            ..Default::default()
        },
    )
    .await;
    let other = t.another_process().await;
    for who in ["山田", "佐藤"] {
        t.app
            .assignments
            .begin(&PersonId::local(who), who, None, None)
            .await
            .unwrap();
    }
    say(&t.app, "山田", "地域移行｜病院訪問").await;
    say(&t.app, "山田", "次へ").await;
    say(&t.app, "佐藤", "次へ").await;
    let mut tasks = Vec::new();
    for (process, app) in [("A", t.app.clone()), ("B", other.app.clone())] {
        for who in ["山田", "佐藤"] {
            // 5 each: the list takes 20 items at most.
            for i in 0..5 {
                let app = app.clone();
                tasks.push(tokio::spawn(async move {
                    let item = format!("{who}{process}の成果{i}");
                    let said = say(&app, who, &format!("・{item}")).await;
                    (item, said.contains("項目になりました"))
                }));
            }
        }
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        let (item, ok) = task.await.unwrap();
        if ok {
            acknowledged.push(item);
        }
    }
    assert_eq!(acknowledged.len(), 20, "every bullet was acknowledged");
    for text in ["次へ", "・周知", "次へ", "・継続", "次へ", "提出"] {
        say(&t.app, "山田", text).await;
    }
    let versions = t
        .app
        .assignments
        .versions(None, MeetingId::new(1), "世田谷区")
        .await
        .unwrap();
    let stored = match &versions[0].answers["results"] {
        nimo::domain::forms::Answer::Bullets { items } => items.clone(),
        other => panic!("{other:?}"),
    };
    for item in &acknowledged {
        assert!(stored.contains(item), "{item} was acknowledged but is lost");
    }
    assert_eq!(stored.len(), acknowledged.len());
}

/// Only regions taking part in a meeting answer its form; a person registered for two
/// regions names the one they answer for, in the terminal as in Discord.
#[tokio::test(flavor = "multi_thread")]
async fn only_participating_regions_answer_and_a_region_can_be_named() {
    let t = spawn_app(clock()).await;
    let meeting = seed_meeting(
        &t.app,
        Seed {
            staff: vec![
                ("local:山田", "山田", "東京都世田谷区"),
                ("local:佐藤", "佐藤", "東京都葛飾区"),
                ("local:鈴木", "鈴木", "東京都江戸川区"),
                ("local:佐藤", "佐藤", "東京都世田谷区"),
            ],
            regions: vec!["世田谷区", "葛飾区"],
            ..Default::default()
        },
    )
    .await;
    let a = &t.app.assignments;
    let e = a
        .begin(&PersonId::local("鈴木"), "鈴木", None, None)
        .await
        .unwrap_err();
    assert!(refused(e).contains("参加地域ではありません"));
    let e = a
        .begin(&PersonId::local("佐藤"), "佐藤", None, None)
        .await
        .unwrap_err();
    assert!(refused(e).contains("地域を指定してください"));
    let reply = a
        .begin(
            &PersonId::local("佐藤"),
            "佐藤",
            Some(meeting),
            Some("葛飾区"),
        )
        .await
        .unwrap();
    let text: String = reply.messages.iter().map(|m| m.text.clone()).collect();
    assert!(text.contains("葛飾区"), "{text}");
    let status = t.app.meetings.status(None, Some(meeting)).await.unwrap();
    assert_eq!(status.regions.len(), 2, "江戸川区 takes no part");
}

/// One region's answer too long for an Excel cell does not cost the others their export.
#[tokio::test(flavor = "multi_thread")]
async fn an_answer_too_long_for_excel_costs_no_one_the_export() {
    let t = spawn_app(clock()).await;
    let meeting = seed_meeting(
        &t.app,
        Seed {
            staff: vec![
                ("local:山田", "山田", "東京都世田谷区"),
                ("local:佐藤", "佐藤", "東京都葛飾区"),
            ],
            ..Default::default()
        },
    )
    .await;
    t.app
        .assignments
        .begin(&PersonId::local("山田"), "山田", None, None)
        .await
        .unwrap();
    say(&t.app, "山田", "地域移行｜病院訪問").await;
    say(&t.app, "山田", "次へ").await;
    for i in 0..20 {
        let said = say(&t.app, "山田", &format!("・{i}{}", "成果".repeat(1_000))).await;
        assert!(said.contains("項目になりました"), "{said}");
    }
    for text in ["次へ", "・周知", "次へ", "・継続", "次へ", "提出"] {
        say(&t.app, "山田", text).await;
    }
    crate::helpers::submit_form_a(&t.app, "佐藤").await;
    let export = t.app.assignments.export(meeting).await.unwrap();
    assert_eq!(export.submitted, 2);
    assert!(
        export
            .notes
            .iter()
            .any(|n| n.contains("世田谷区") && n.contains("長い回答")),
        "{:?}",
        export.notes
    );
    let csv = String::from_utf8(export.csv).unwrap();
    assert!(csv.contains("葛飾区") && csv.contains(&"成果".repeat(1_000)));
}
