//! Search quality on the gold set of advisor questions, through the whole core (query
//! understanding, lindera analysis, tantivy, SQLite) exactly as `nimo ask` runs it.

use nimo::domain::search::query::Ask;
use nimo_testkit::gold;

use crate::helpers::with_corpus;

/// Measured on the sample corpus (see README "Search quality"); a drop below these is a
/// regression. Raise them when search improves.
const MIN_RECALL_AT_10: f64 = 0.95;
const MIN_MRR: f64 = 0.95;

#[tokio::test(flavor = "multi_thread")]
async fn gold_set_recall_and_mrr() {
    let opened = with_corpus(&[]).await;
    let questions = gold::load();
    assert!(
        questions.len() >= 30,
        "the gold set needs at least 30 questions"
    );
    let mut ranked = Vec::new();
    for g in &questions {
        let ask = Ask {
            question: g.q.clone(),
            region: g.region.clone(),
            topic: g.topic.clone(),
            year: g.year,
            limit: Some(50),
            offset: 0,
        };
        let answer = opened
            .app
            .library
            .ask(&ask)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", g.q));
        ranked.push(gold::ranked_regions(
            answer.results.hits.iter().map(|h| h.passage.region.key()),
            10,
        ));
    }
    let scores = gold::score(&questions, &ranked);
    println!("{}", gold::report("nimo", &scores));
    assert_eq!(scores.zero_results, 0);
    assert!(
        scores.recall_at_10 >= MIN_RECALL_AT_10,
        "recall@10 {:.3}",
        scores.recall_at_10
    );
    assert!(scores.mrr >= MIN_MRR, "MRR {:.3}", scores.mrr);
}
