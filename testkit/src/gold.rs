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
    /// What kind of question it is (figure, comparison, absent, …); empty for the first
    /// questions, which are plain topic questions.
    #[serde(default)]
    pub kind: String,
    /// What the answer a person reads must (not) say.
    #[serde(default)]
    pub expect: Expect,
}

/// Checks on the answer as a person reads it (the rendered text), not on the hit list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Every one of these is in the answer.
    #[serde(default)]
    pub contains: Vec<String>,
    /// At least one of these is in the answer.
    #[serde(default)]
    pub contains_any: Vec<String>,
    /// None of these is in the answer (another place's figure, a wrong value).
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// The answer says that (some of) what was asked is not stated in the documents.
    #[serde(default)]
    pub unstated: bool,
    /// The answer says nothing was found on what was asked.
    #[serde(default)]
    pub nothing_found: bool,
    /// At least this many different regions among the first five results.
    #[serde(default)]
    pub distinct_regions_top5: Option<usize>,
    /// Each of these regions (keys) is named in the answer.
    #[serde(default)]
    pub regions_shown: Vec<String>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self.contains.is_empty()
            && self.contains_any.is_empty()
            && self.not_contains.is_empty()
            && !self.unstated
            && !self.nothing_found
            && self.distinct_regions_top5.is_none()
            && self.regions_shown.is_empty()
    }

    /// What the answer fails of these checks (empty when it passes). `text` is the answer
    /// as shown; `top_regions` the region keys of its results in order.
    pub fn failures(&self, text: &str, top_regions: &[String]) -> Vec<String> {
        let folded = fold(text);
        let has = |s: &str| contains_word(&folded, &fold(s));
        let mut out = Vec::new();
        for c in &self.contains {
            if !has(c) {
                out.push(format!("missing {c:?}"));
            }
        }
        if !self.contains_any.is_empty() && !self.contains_any.iter().any(|c| has(c)) {
            out.push(format!("none of {:?}", self.contains_any));
        }
        for c in &self.not_contains {
            if has(c) {
                out.push(format!("should not say {c:?}"));
            }
        }
        if self.unstated && !UNSTATED.iter().any(|m| has(m)) {
            out.push("does not say what is unstated".into());
        }
        if self.nothing_found && !NOTHING.iter().any(|m| has(m)) {
            out.push("does not say nothing was found".into());
        }
        if let Some(n) = self.distinct_regions_top5 {
            let distinct = ranked_regions(top_regions.iter().take(5).cloned(), 5).len();
            if distinct < n {
                out.push(format!("{distinct} regions in the top 5, want {n}"));
            }
        }
        for key in &self.regions_shown {
            let name = key.rsplit('/').next().unwrap_or(key);
            if !has(name) {
                out.push(format!("region {name} not shown"));
            }
        }
        out
    }
}

/// How an answer says a place's documents do not state something.
const UNSTATED: &[&str] = &["記載なし", "記載がありません", "記載はありません"];
/// How an answer says nothing was found.
const NOTHING: &[&str] = &["見つかりませんでした", "見つかりません", "記載がありません"];

/// `needle` in `haystack`, a number not counted inside a longer one (「6名」 is not in
/// 「46名」).
fn contains_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let numeric = needle.starts_with(|c: char| c.is_ascii_digit());
    haystack.match_indices(needle).any(|(at, _)| {
        !numeric
            || !haystack[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.')
    })
}

/// Width, case and spacing do not matter when checking what an answer says.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
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
    /// Share of the regions shown first (up to five) that are relevant.
    pub precision_at_5: f64,
    pub returned: usize,
}

#[derive(Debug, Clone)]
pub struct Scores {
    pub recall_at_10: f64,
    pub mrr: f64,
    pub precision_at_5: f64,
    pub zero_results: usize,
    pub questions: Vec<QuestionScore>,
}

/// Scores ranked region lists (one per gold question, same order). Questions about
/// absent subjects are judged by their answer checks only.
pub fn score(gold: &[GoldQuestion], ranked: &[Vec<String>]) -> Scores {
    assert_eq!(gold.len(), ranked.len());
    let mut questions = Vec::new();
    for (g, r) in gold.iter().zip(ranked) {
        // Absent subjects are judged by what the answer says (that the documents do not
        // say it), not by a ranking.
        if g.regions.is_empty() || g.kind == "absent" {
            continue;
        }
        let top5: Vec<&String> = r.iter().take(5).collect();
        let relevant5 = top5.iter().filter(|k| g.regions.contains(k)).count();
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
            precision_at_5: if top5.is_empty() {
                0.0
            } else {
                relevant5 as f64 / top5.len() as f64
            },
            returned: r.len(),
        });
    }
    let n = questions.len() as f64;
    Scores {
        recall_at_10: questions.iter().map(|s| s.recall).sum::<f64>() / n,
        mrr: questions.iter().map(|s| s.reciprocal_rank).sum::<f64>() / n,
        precision_at_5: questions.iter().map(|s| s.precision_at_5).sum::<f64>() / n,
        zero_results: questions.iter().filter(|s| s.returned == 0).count(),
        questions,
    }
}

pub fn report(name: &str, s: &Scores) -> String {
    let mut out = format!(
        "{name}: recall@10 {:.3}  MRR {:.3}  p@5 {:.3}  zero-result {}/{}\n",
        s.recall_at_10,
        s.mrr,
        s.precision_at_5,
        s.zero_results,
        s.questions.len()
    );
    for q in &s.questions {
        out.push_str(&format!(
            "  R {:.2}  RR {:.2}  P5 {:.2}  {}\n",
            q.recall, q.reciprocal_rank, q.precision_at_5, q.q
        ));
    }
    out
}
