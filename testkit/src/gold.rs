//! The gold set of advisor questions (tests/gold/questions.toml) and the measures used on
//! it: recall@10 and MRR at the level of regions, as advisors judge an answer.
//! Shared by the quality test and the search benchmark.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct GoldQuestion {
    pub q: String,
    pub regions: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub year: Option<i32>,
}

#[derive(Deserialize)]
struct GoldFile {
    question: Vec<GoldQuestion>,
}

pub fn load() -> Vec<GoldQuestion> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/gold/questions.toml");
    let text = std::fs::read_to_string(path).expect("gold set");
    toml::from_str::<GoldFile>(&text)
        .expect("gold set parses")
        .question
}

/// Distinct regions in the order their first passage was ranked, at most `n`.
pub fn ranked_regions(
    keys_in_hit_order: impl IntoIterator<Item = String>,
    n: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keys_in_hit_order {
        if !out.contains(&k) {
            out.push(k);
            if out.len() == n {
                break;
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct QuestionScore {
    pub q: String,
    pub recall: f64,
    pub reciprocal_rank: f64,
    pub returned: usize,
}

#[derive(Debug, Clone)]
pub struct Scores {
    pub recall_at_10: f64,
    pub mrr: f64,
    pub zero_results: usize,
    pub questions: Vec<QuestionScore>,
}

/// Scores ranked region lists (one per gold question, same order).
pub fn score(gold: &[GoldQuestion], ranked: &[Vec<String>]) -> Scores {
    assert_eq!(gold.len(), ranked.len());
    let mut questions = Vec::new();
    for (g, r) in gold.iter().zip(ranked) {
        let top: Vec<&String> = r.iter().take(10).collect();
        let found = g.regions.iter().filter(|k| top.contains(k)).count();
        let rr = r
            .iter()
            .position(|k| g.regions.contains(k))
            .map(|i| 1.0 / (i as f64 + 1.0))
            .unwrap_or(0.0);
        questions.push(QuestionScore {
            q: g.q.clone(),
            recall: found as f64 / g.regions.len() as f64,
            reciprocal_rank: rr,
            returned: r.len(),
        });
    }
    let n = questions.len() as f64;
    Scores {
        recall_at_10: questions.iter().map(|s| s.recall).sum::<f64>() / n,
        mrr: questions.iter().map(|s| s.reciprocal_rank).sum::<f64>() / n,
        zero_results: questions.iter().filter(|s| s.returned == 0).count(),
        questions,
    }
}

pub fn report(name: &str, s: &Scores) -> String {
    let mut out = format!(
        "{name}: recall@10 {:.3}  MRR {:.3}  zero-result {}/{}\n",
        s.recall_at_10,
        s.mrr,
        s.zero_results,
        s.questions.len()
    );
    for q in &s.questions {
        out.push_str(&format!(
            "  R {:.2}  RR {:.2}  {}\n",
            q.recall, q.reciprocal_rank, q.q
        ));
    }
    out
}
