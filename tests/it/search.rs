//! Search quality on the gold set of advisor questions, through the whole core (query
//! understanding, lindera analysis, tantivy, SQLite) exactly as `nimo ask` runs it: the
//! ranking (recall@10, MRR, precision of the first five, at the level of regions) and the
//! answers as people read them, in the terminal and in Discord (figures, places whose
//! documents do not say something, comparisons, things no document mentions).

use nimo::cli::render::{self, Emphasis};
use nimo::discord::message::{Reply, answers};
use nimo::domain::search::query::Ask;
use nimo_testkit::gold;

use crate::helpers::with_corpus;

/// Measured on the sample corpus (see README "Search quality"); a drop below these is a
/// regression. Raise them when search improves.
const MIN_RECALL_AT_10: f64 = 0.95;
const MIN_MRR: f64 = 0.93;
/// Share of the questions with answer checks whose answer passes them, in both front ends.
const MIN_ANSWERS_RIGHT: f64 = 0.95;

/// A Discord reply as the person reads it: markdown marks and escapes removed.
fn reply_text(reply: &Reply) -> String {
    let mut out = reply.content.clone();
    for e in &reply.embeds {
        out.push('\n');
        out.push_str(&e.title);
        out.push('\n');
        out.push_str(&e.description);
        for (name, value) in &e.fields {
            out.push('\n');
            out.push_str(name);
            out.push('\n');
            out.push_str(value);
        }
    }
    unmark(&out)
}

fn unmark(text: &str) -> String {
    text.replace("**", "").replace('\\', "")
}

#[tokio::test(flavor = "multi_thread")]
async fn gold_set_ranking_and_answers() {
    let opened = with_corpus(&[]).await;
    let lex = opened.app.library.lexicon().clone();
    let questions = gold::load();
    assert!(
        questions.len() >= 80,
        "the gold set needs at least 80 questions"
    );
    let mut ranked = Vec::new();
    let mut checked = 0usize;
    let mut wrong: Vec<String> = Vec::new();
    for g in &questions {
        let ask = |limit: Option<usize>| Ask {
            question: g.q.clone(),
            region: g.region.clone(),
            topic: g.topic.clone(),
            year: g.year,
            limit,
            offset: 0,
        };
        let deep = opened
            .app
            .library
            .ask(&ask(Some(50)))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", g.q));
        ranked.push(gold::ranked_regions(deep.regions_shown(), 10));
        if g.expect.is_empty() {
            continue;
        }
        // The answer as asked in chat: the first page.
        let answer = opened
            .app
            .library
            .ask(&ask(None))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", g.q));
        let keys: Vec<String> = answer
            .results
            .hits
            .iter()
            .map(|h| h.passage.region.key())
            .collect();
        let terminal = unmark(&render::answer(&answer, &lex, Emphasis::Markdown));
        let discord = reply_text(&answers::answer(&answer, &lex, None));
        checked += 1;
        let mut failures: Vec<String> = Vec::new();
        for (front, text) in [("terminal", &terminal), ("discord", &discord)] {
            for f in g.expect.failures(text, &keys) {
                failures.push(format!("{front}: {f}"));
            }
        }
        if !failures.is_empty() {
            wrong.push(format!(
                "[{}] {}\n    {}\n{}",
                g.kind,
                g.q,
                failures.join("\n    "),
                terminal
                    .lines()
                    .take(14)
                    .map(|l| format!("      | {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    let scores = gold::score(&questions, &ranked);
    println!("{}", gold::report("nimo", &scores));
    let right = (checked - wrong.len()) as f64 / checked as f64;
    println!(
        "answers right: {}/{checked} ({right:.3})\n{}",
        checked - wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(scores.zero_results, 0);
    assert!(
        scores.recall_at_10 >= MIN_RECALL_AT_10,
        "recall@10 {:.3}",
        scores.recall_at_10
    );
    assert!(scores.mrr >= MIN_MRR, "MRR {:.3}", scores.mrr);
    assert!(right >= MIN_ANSWERS_RIGHT, "answers right {right:.3}");
}
