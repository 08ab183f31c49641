use std::path::PathBuf;
use std::sync::Arc;

use crate::app::library::Library;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::query::Ask;

async fn nimo() -> Arc<Library> {
    let opened = crate::setup::open_in_memory(Lexicon::embedded())
        .await
        .unwrap();
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"));
    opened
        .app
        .library
        .ingest(&[corpus], false, &mut |_| {})
        .await
        .unwrap();
    opened.app.library.clone()
}

#[tokio::test]
async fn profile_of_a_ward_with_figures() {
    let nimo = nimo().await;
    let p = nimo
        .region_profile("東京都/世田谷区")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.documents.len(), 2, "000 and 001");
    assert_eq!(p.documents[0].fiscal_year, Some(2021), "newest first");
    assert!(p.sections.iter().any(|s| s.title == "基礎情報"));
    assert!(
        p.figures
            .iter()
            .any(|f| f.figure.label == "人口" && f.figure.text == "920,471人")
    );
    assert!(p.inside.is_empty());
}

#[tokio::test]
async fn profile_of_a_prefecture_lists_what_is_inside() {
    let nimo = nimo().await;
    let p = nimo.region_profile("愛知県").await.unwrap().unwrap();
    assert!(p.sections.is_empty());
    assert_eq!(p.inside.len(), 5, "名古屋市 and its four blocks");
    assert!(nimo.region_profile("北海道").await.unwrap().is_none());
}

#[tokio::test]
async fn roster_of_a_topic_groups_regions_in_national_order() {
    let nimo = nimo().await;
    let r = nimo.topic_roster("peer", None).await.unwrap().unwrap();
    assert!(r.entries.len() >= 10, "{}", r.entries.len());
    let keys: Vec<&str> = r.entries.iter().map(|e| e.region.key.as_str()).collect();
    let aomori = keys.iter().position(|k| k.starts_with("青森県")).unwrap();
    let kumamoto = keys
        .iter()
        .position(|k| k.starts_with("熊本県"))
        .unwrap_or(keys.len());
    assert!(aomori < kumamoto);
    assert!(
        r.entries
            .iter()
            .all(|e| e.best.topics.contains(&"peer".to_string()))
    );
    let within = nimo
        .topic_roster("peer", Some("香川県"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        within
            .entries
            .iter()
            .all(|e| e.region.key.starts_with("香川県"))
    );
    assert!(
        nimo.topic_roster("no-such-topic", None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn widening_is_explained() {
    let nimo = nimo().await;
    // A place with documents that do not say it: said first; its neighbours' text is
    // not passed off as its own, what comes from elsewhere is labelled.
    let a = nimo
        .ask(&Ask {
            question: "名古屋市東ブロックのアウトリーチ".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        a.notes[0].contains("東ブロックの資料には「アウトリーチ」についての記載がありません"),
        "{:?}",
        a.notes
    );
    assert!(a.notes[1].contains("ほかの地域"), "{:?}", a.notes);
    assert!(
        a.results
            .hits
            .iter()
            .all(|h| h.passage.region.key() != "愛知県/名古屋市/東ブロック")
    );
    // A place without documents widens to the place containing it.
    let a = nimo
        .ask(&Ask {
            question: "横浜市のピアサポーター".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        a.notes[0].contains("「横浜市」の資料はまだありません"),
        "{:?}",
        a.notes
    );
    assert!(a.results.total > 0);
    assert!(a.notes[1].contains("神奈川県"), "{:?}", a.notes);
    let a = nimo
        .ask(&Ask {
            question: "令和９年度のピアサポート".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(a.results.total > 0);
    assert!(a.notes[0].contains("年度を問わず"), "{:?}", a.notes);
    let a = nimo
        .ask(&Ask {
            question: "量子コンピュータ".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(a.results.total, 0);
    assert!(!a.suggestions.is_empty());
}

#[tokio::test]
async fn roster_includes_every_tagged_region_whatever_its_wording() {
    // ピアサポーター養成 does not contain the words ピアサポート, yet it is about peer support.
    let tmp = tempfile::tempdir().unwrap();
    for k in 0..30 {
        let text = format!(
            " 令和２年度 AD合同会議「事前課題」\n\n東京都・第{k}圏域\n\n１．令和２年度の達成目標・取組状況\n\nピアサポーターの養成\n\n２．支援事業の成果\n\n・講座を実施した。\n"
        );
        std::fs::write(tmp.path().join(format!("x{k}.txt")), text).unwrap();
    }
    let opened = crate::setup::open_in_memory(Lexicon::embedded())
        .await
        .unwrap();
    opened
        .app
        .library
        .ingest(&[tmp.path().to_path_buf()], false, &mut |_| {})
        .await
        .unwrap();
    let r = opened
        .app
        .library
        .topic_roster("peer", Some("東京都"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.entries.len(), 30);
}
