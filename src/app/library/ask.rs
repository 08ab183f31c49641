//! Answering a question: understand it, search, widen the search step by step when a
//! place or year named in it leaves nothing, and say what to try when nothing is found.

use std::collections::BTreeSet;

use super::Library;
use crate::app::AppError;
use crate::domain::era::era_label;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::query::{Ask, SearchRequest, Understood, describe_filters, understand};
use crate::domain::search::region::KEY_SEPARATOR;
use crate::domain::search::results::SearchResults;

/// The answer to a question: what was understood, what was found, what to tell.
#[derive(Debug, Clone)]
pub struct Answer {
    pub understood: Understood,
    pub results: SearchResults,
    /// Notes for the person, in Japanese (a widened search, a cut question).
    pub notes: Vec<String>,
    /// When nothing was found: things to try, in Japanese.
    pub suggestions: Vec<String>,
}

impl Answer {
    /// What the answer is about, as its heading says it: 「「ピア」の検索結果」, or the
    /// filters alone when only a place (or year, or topic) was asked.
    pub fn subject(&self, lex: &Lexicon) -> String {
        let u = &self.understood;
        let filters = describe_filters(u, lex);
        if u.request.text.is_empty() {
            if filters.is_empty() {
                "すべての資料".to_string()
            } else {
                format!("{filters}の資料")
            }
        } else {
            format!("「{}」の検索結果", u.request.text)
        }
    }
}

impl Library {
    /// Answers a question. When a region or year named in the question leaves nothing, the
    /// search widens (prefecture, then nationwide; any year) and says so.
    pub async fn ask(&self, ask: &Ask) -> Result<Answer, AppError> {
        let directory = self.regions();
        let mut understood = understand(ask, &self.lexicon, &directory)?;
        let mut notes = std::mem::take(&mut understood.notes);
        let mut results = self.search(&understood.request).await?;

        if results.total == 0
            && understood.year_from_question
            && let Some(y) = understood.request.fiscal_year.take()
        {
            let widened = self.search(&understood.request).await?;
            if widened.total > 0 {
                notes.push(format!(
                    "{}の資料は見つからなかったため、年度を問わず検索しました。",
                    era_label(y)
                ));
                results = widened;
            } else {
                understood.request.fiscal_year = Some(y);
            }
        }
        if results.total == 0
            && understood.region_from_question
            && !understood.request.regions.is_empty()
        {
            let label = understood.region_label.clone().unwrap_or_default();
            // Widen step by step to the places containing it: block → city → prefecture.
            let mut keys = understood.request.regions.clone();
            loop {
                let parents: Vec<String> = keys
                    .iter()
                    .filter_map(|k| k.rsplit_once(KEY_SEPARATOR).map(|(p, _)| p.to_string()))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if parents.is_empty() {
                    break;
                }
                let request = SearchRequest {
                    regions: parents.clone(),
                    ..understood.request.clone()
                };
                let widened = self.search(&request).await?;
                if widened.total > 0 {
                    let names: Vec<String> = parents
                        .iter()
                        .filter_map(|k| k.rsplit(KEY_SEPARATOR).next().map(str::to_string))
                        .collect();
                    notes.push(format!(
                        "「{label}」の資料は見つからなかったため、{}全体で検索しました。",
                        names.join("・")
                    ));
                    understood.request = request;
                    understood.region_label = Some(names.join("・"));
                    results = widened;
                    break;
                }
                keys = parents;
            }
            if results.total == 0 && !understood.request.text.is_empty() {
                let request = SearchRequest {
                    regions: Vec::new(),
                    per_region: Some(2),
                    ..understood.request.clone()
                };
                let widened = self.search(&request).await?;
                if widened.total > 0 {
                    notes.push(format!(
                        "「{label}」の資料は見つからなかったため、全国で検索しました。"
                    ));
                    understood.request = request;
                    understood.region_label = None;
                    results = widened;
                }
            }
        }
        let suggestions = if results.total == 0 {
            self.suggestions(&understood).await?
        } else {
            Vec::new()
        };
        Ok(Answer {
            understood,
            results,
            notes,
            suggestions,
        })
    }

    /// What to try when nothing was found.
    async fn suggestions(&self, understood: &Understood) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        let req = &understood.request;
        if !req.regions.is_empty() || req.fiscal_year.is_some() || req.topic.is_some() {
            let unfiltered = SearchRequest {
                regions: Vec::new(),
                fiscal_year: None,
                topic: None,
                limit: 1,
                ..req.clone()
            };
            if !unfiltered.text.is_empty() {
                let n = self.search(&unfiltered).await?.total;
                if n > 0 {
                    out.push(format!(
                        "地域・年度・テーマの条件を外すと {n} 件見つかります。"
                    ));
                }
            }
        }
        // Topics that share words with the question.
        let text = &req.text;
        let grams: BTreeSet<String> = {
            let chars: Vec<char> = text.chars().collect();
            chars.windows(2).map(|w| w.iter().collect()).collect()
        };
        let mut related: Vec<String> = Vec::new();
        for t in self.lexicon.taxonomy.topics() {
            let words: Vec<&String> = std::iter::once(&t.name).chain(t.synonyms.iter()).collect();
            if words.iter().any(|w| {
                let wc: Vec<char> = w.chars().collect();
                wc.windows(2)
                    .any(|g| grams.contains(&g.iter().collect::<String>()))
            }) {
                related.push(t.label());
            }
        }
        if !related.is_empty() {
            out.push(format!("関連するテーマ: {}", related.join("、")));
        }
        if text.chars().count() > 6 {
            out.push("言葉を短くするか、別の言い方で試してください（例: 「ピアサポーターの養成講座」→「ピア 養成」）。".into());
        }
        if out.is_empty() {
            out.push(
                "別の言葉で試すか、地域名だけで検索すると、その地域の資料を一覧できます。".into(),
            );
        }
        Ok(out)
    }
}
