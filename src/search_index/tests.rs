use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use super::*;
use crate::domain::search::corpus::parse_text;
use crate::domain::search::lexicon::Lexicon;

static ANALYZER: LazyLock<Arc<JapaneseAnalyzer>> =
    LazyLock::new(|| Arc::new(JapaneseAnalyzer::new(Lexicon::embedded()).unwrap()));

fn corpus_documents() -> Vec<Document> {
    let lex = ANALYZER.lexicon().clone();
    let dir = format!("{}/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            parse_text(
                n,
                &std::fs::read_to_string(format!("{dir}/{n}")).unwrap(),
                &lex,
            )
            .unwrap()
        })
        .collect()
}

static INDEX: LazyLock<TantivyIndex> = LazyLock::new(|| {
    let index = TantivyIndex::in_memory(ANALYZER.clone()).unwrap();
    index
        .replace_documents(&corpus_documents(), &[], 1)
        .unwrap();
    index
});

fn request(text: &str) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        limit: 10,
        ..Default::default()
    }
}

fn regions_of(results: &SearchResults) -> BTreeSet<String> {
    results
        .hits
        .iter()
        .map(|h| h.passage.region.key())
        .collect()
}

#[test]
fn finds_and_highlights() {
    let r = INDEX.search(&request("ピアサポーター")).unwrap();
    assert!(r.total >= 10, "{}", r.total);
    let first = &r.hits[0];
    assert!(!first.snippet.highlights.is_empty());
    let marked = first.snippet.marked("[", "]", |s| s.to_string());
    assert!(
        marked.contains("[ピアサポーター]") || marked.contains("[ピア"),
        "{marked}"
    );
}

#[test]
fn short_words_match_inside_compounds() {
    let r = INDEX.search(&request("ピア")).unwrap();
    assert!(r.total >= 10);
    assert!(r.hits.iter().all(|h| h.passage.text.contains("ピア")));
}

#[test]
fn spelling_variants_match() {
    // The corpus writes 障がい in some regions and 障害 in others.
    let a = INDEX
        .search(&SearchRequest {
            limit: 50,
            ..request("障がい福祉計画")
        })
        .unwrap();
    let b = INDEX
        .search(&SearchRequest {
            limit: 50,
            ..request("障害福祉計画")
        })
        .unwrap();
    assert_eq!(a.total, b.total);
    assert!(
        a.hits
            .iter()
            .any(|h| h.passage.text.contains("障がい福祉計画"))
    );
    assert!(
        a.hits
            .iter()
            .any(|h| h.passage.text.contains("障害福祉計画"))
    );
}

#[test]
fn prefecture_filter_includes_nested_regions() {
    let all = |keys: &[&str]| {
        let req = SearchRequest {
            regions: keys.iter().map(|s| s.to_string()).collect(),
            limit: 500,
            ..Default::default()
        };
        regions_of(&INDEX.search(&req).unwrap())
    };
    let tokyo = all(&["東京都"]);
    for ward in [
        "東京都/世田谷区",
        "東京都/葛飾区",
        "東京都/江戸川区",
        "東京都/台東区",
        "東京都/文京区",
    ] {
        assert!(tokyo.contains(ward), "{ward} missing from {tokyo:?}");
    }
    let kanagawa = all(&["神奈川県"]);
    assert_eq!(
        kanagawa,
        [
            "神奈川県/川崎市/北部・中部圏域",
            "神奈川県/相模原市/相模原圏域"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    let nagoya = all(&["愛知県/名古屋市"]);
    assert_eq!(nagoya.len(), 5, "{nagoya:?}");
    assert!(all(&["北海道"]).is_empty());
}

#[test]
fn listing_a_region_pages_in_document_order() {
    let req = SearchRequest {
        regions: vec!["青森県/津軽圏域".into()],
        limit: 3,
        ..Default::default()
    };
    let page1 = INDEX.search(&req).unwrap();
    assert_eq!(page1.hits.len(), 3);
    assert!(page1.more);
    let ordinals: Vec<u32> = page1.hits.iter().map(|h| h.passage.ordinal).collect();
    assert!(ordinals.windows(2).all(|w| w[0] < w[1]), "{ordinals:?}");
    let page2 = INDEX.search(&SearchRequest { offset: 3, ..req }).unwrap();
    assert!(page2.hits.iter().all(|h| h.passage.ordinal > ordinals[2]));
}

#[test]
fn filters_by_year_and_topic() {
    let req = SearchRequest {
        fiscal_year: Some(2019),
        limit: 100,
        ..request("ピアサポーター")
    };
    let r = INDEX.search(&req).unwrap();
    assert!(!r.hits.is_empty());
    // Passages of that year's documents, or speaking of that year.
    assert!(r.hits.iter().all(|h| {
        h.passage.fiscal_year == Some(2019)
            || crate::domain::era::find_years(&crate::domain::text::nfkc(&h.passage.text))
                .iter()
                .any(|m| m.fiscal_year == 2019)
            || (h.passage.fiscal_year == Some(2018)
                && ANALYZER.lexicon().about_next_year(&h.passage.section))
    }));
    let req = SearchRequest {
        topic: Some("outreach".into()),
        limit: 100,
        ..Default::default()
    };
    let r = INDEX.search(&req).unwrap();
    assert!(
        r.hits
            .iter()
            .all(|h| h.passage.topics.contains(&"outreach".to_string()))
    );
}

#[test]
fn one_region_does_not_fill_the_page() {
    let req = SearchRequest {
        per_region: Some(2),
        ..request("ピアサポーター")
    };
    let r = INDEX.search(&req).unwrap();
    let mut counts = std::collections::HashMap::new();
    for h in &r.hits {
        *counts.entry(h.passage.region.key()).or_insert(0) += 1;
    }
    assert!(counts.values().all(|&n| n <= 2), "{counts:?}");
}

#[test]
fn syntax_characters_are_just_text() {
    for q in [
        "\"",
        ":",
        "(",
        "^",
        "~",
        "a:b",
        "ピア\"サポート",
        "((((",
        "*",
        "AND OR NOT",
        "\u{0}",
        "😀",
        "-",
    ] {
        let r = INDEX.search(&request(q));
        assert!(r.is_ok(), "{q}: {:?}", r.err());
    }
}

#[test]
fn replacing_a_document_is_idempotent() {
    let index = TantivyIndex::in_memory(ANALYZER.clone()).unwrap();
    let docs = corpus_documents();
    assert_eq!(index.state().unwrap(), None);
    index.replace_documents(&docs, &[], 1).unwrap();
    let n = index.passage_count().unwrap();
    index.replace_documents(&docs[1..2], &[], 2).unwrap();
    index.replace_documents(&docs[1..2], &[], 3).unwrap();
    assert_eq!(index.passage_count().unwrap(), n);
    index
        .replace_documents(&[], &[docs[0].id.clone()], 4)
        .unwrap();
    assert_eq!(index.passage_count().unwrap(), n - docs[0].passages.len());
    let state = index.state().unwrap().unwrap();
    assert_eq!(state.lexicon, ANALYZER.lexicon().fingerprint);
    assert_eq!(state.generation, 4);
}
