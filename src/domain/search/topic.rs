//! The topic taxonomy: the national menu of the programme and recurring themes, each with
//! the words people use for it (`index/topics.toml`).

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

use crate::domain::text::Normalizer;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// Stable identifier used in the index and on the command line (`peer`, `sumai`).
    pub id: String,
    /// Short Japanese name shown to users.
    pub name: String,
    /// Number in the national menu (事業内容 1–9), if it is a menu item.
    #[serde(default)]
    pub menu: Option<u8>,
    /// Long title.
    pub title: String,
    /// Words that stand for the topic on their own: they tag passages and expand queries.
    pub synonyms: Vec<String>,
    /// Words that only help tagging passages.
    #[serde(default)]
    pub related: Vec<String>,
}

impl Topic {
    /// The name with a few of its words, as a choice or hint shows it:
    /// 「住まいの確保（住まい・住居・居住支援）」.
    pub fn label(&self) -> String {
        format!(
            "{}（{}）",
            self.name,
            self.synonyms
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("・")
        )
    }
}

/// All topics, with their words normalized once.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    /// One matcher over every tagging word; pattern i belongs to `word_owner[i]`.
    tagger: Option<AhoCorasick>,
    /// (topic index, is a synonym) of each tagging word.
    word_owner: Vec<(usize, bool)>,
    topics: Vec<Topic>,
    /// Per topic: normalized synonyms (for expansion and tagging).
    synonyms: Vec<Vec<String>>,
}

impl Taxonomy {
    pub fn new(topics: Vec<Topic>, normalizer: &Normalizer) -> Taxonomy {
        let norm = |w: &String| normalizer.normalize(w).to_lowercase();
        let synonyms: Vec<Vec<String>> = topics
            .iter()
            .map(|t| t.synonyms.iter().map(norm).collect())
            .collect();
        let related: Vec<Vec<String>> = topics
            .iter()
            .map(|t| t.related.iter().map(norm).collect())
            .collect();
        let mut words: Vec<&str> = Vec::new();
        let mut word_owner = Vec::new();
        for (i, (syns, rel)) in synonyms.iter().zip(&related).enumerate() {
            for (list, is_synonym) in [(syns, true), (rel, false)] {
                for w in list.iter().filter(|w| !w.is_empty()) {
                    words.push(w);
                    word_owner.push((i, is_synonym));
                }
            }
        }
        let tagger = AhoCorasick::new(&words).ok();
        Taxonomy {
            tagger,
            word_owner,
            topics,
            synonyms,
        }
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn get(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    /// Topics a passage is about: one of the topic's synonyms occurs in its normalized
    /// text, or two of its related words do (one broad word like 訪問 or 家族 is not enough).
    pub fn tag(&self, normalized_text: &str) -> Vec<String> {
        let Some(tagger) = &self.tagger else {
            return Vec::new();
        };
        let lower = normalized_text.to_lowercase();
        let mut synonym_hit = vec![false; self.topics.len()];
        let mut related_hits: Vec<std::collections::BTreeSet<usize>> =
            vec![Default::default(); self.topics.len()];
        for m in tagger.find_overlapping_iter(&lower) {
            let pattern = m.pattern().as_usize();
            let (topic, is_synonym) = self.word_owner[pattern];
            if is_synonym {
                synonym_hit[topic] = true;
            } else {
                related_hits[topic].insert(pattern);
            }
        }
        self.topics
            .iter()
            .enumerate()
            .filter(|(i, _)| synonym_hit[*i] || related_hits[*i].len() >= 2)
            .map(|(_, t)| t.id.clone())
            .collect()
    }

    /// Resolves what a user typed as a topic: id, name, title, synonym, or a word of it.
    pub fn resolve(&self, typed: &str, normalizer: &Normalizer) -> Option<&Topic> {
        let q = normalizer.normalize(typed.trim()).to_lowercase();
        if q.is_empty() {
            return None;
        }
        let exact = self.topics.iter().zip(&self.synonyms).find(|(t, syns)| {
            t.id == q
                || normalizer.normalize(&t.name).to_lowercase() == q
                || normalizer.normalize(&t.title).to_lowercase() == q
                || syns.contains(&q)
        });
        if let Some((t, _)) = exact {
            return Some(t);
        }
        // A part of the name or a synonym (「住まい確保」 → 住まいの確保と居住支援).
        self.topics
            .iter()
            .zip(&self.synonyms)
            .find(|(t, syns)| {
                normalizer.normalize(&t.name).contains(&q)
                    || syns.iter().any(|s| {
                        s.contains(&q) || (q.chars().count() >= 2 && q.contains(s.as_str()))
                    })
            })
            .map(|(t, _)| t)
    }

    /// Topics named in a question, with the synonyms found, longest synonym first.
    pub fn mentioned_in(&self, normalized_query: &str) -> Vec<(&Topic, Vec<String>)> {
        let lower = normalized_query.to_lowercase();
        let mut out = Vec::new();
        for (t, syns) in self.topics.iter().zip(&self.synonyms) {
            let mut hits: Vec<String> = syns
                .iter()
                .filter(|s| lower.contains(s.as_str()))
                .cloned()
                .collect();
            if !hits.is_empty() {
                hits.sort_by_key(|s| std::cmp::Reverse(s.len()));
                out.push((t, hits));
            }
        }
        out
    }

    /// Topics matching what someone is typing (id, name or a synonym), for autocomplete;
    /// all of them when nothing is typed.
    pub fn suggest(&self, typed: &str, normalizer: &Normalizer, max: usize) -> Vec<&Topic> {
        let q = normalizer.normalize(typed.trim()).to_lowercase();
        let mut scored: Vec<(u8, usize, &Topic)> = self
            .topics
            .iter()
            .zip(&self.synonyms)
            .enumerate()
            .filter_map(|(i, (t, syns))| {
                let name = normalizer.normalize(&t.name).to_lowercase();
                let score = if q.is_empty() || name.starts_with(&q) || t.id.starts_with(&q) {
                    0
                } else if name.contains(&q) || syns.iter().any(|s| s.contains(&q)) {
                    1
                } else {
                    return None;
                };
                Some((score, i, t))
            })
            .collect();
        scored.sort_by_key(|(s, i, _)| (*s, *i));
        scored.into_iter().take(max).map(|(_, _, t)| t).collect()
    }

    /// The normalized synonyms of a topic, for query expansion.
    pub fn synonyms_of(&self, id: &str) -> &[String] {
        self.topics
            .iter()
            .position(|t| t.id == id)
            .map(|i| self.synonyms[i].as_slice())
            .unwrap_or(&[])
    }
}
