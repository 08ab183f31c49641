//! Plain data views of answers for JSON output (`--json`, `export --jsonl`). The field
//! names are part of nimo's command-line interface; add fields, do not rename them.

use serde::Serialize;

use super::library::Answer;
use crate::domain::search::passage::Passage;
use crate::domain::search::query::KnownRegion;
use crate::domain::search::results::Hit;
use crate::domain::search::snippet::{SNIPPET_CHARS, Snippet};

/// Snippet text with matched words in Markdown bold.
pub fn marked_snippet(snippet: &Snippet) -> String {
    snippet.marked("**", "**", |s| s.to_string())
}

#[derive(Debug, Serialize)]
pub struct HitView {
    pub region: String,
    pub prefecture: Option<String>,
    pub region_kind: String,
    pub doc: String,
    pub section: String,
    pub fiscal_year: Option<i32>,
    pub topics: Vec<String>,
    pub score: Option<f32>,
    pub snippet: String,
    pub text: String,
    pub id: String,
    pub region_key: String,
    pub doc_title: String,
    pub form: String,
}

impl HitView {
    pub fn from_hit(hit: &Hit) -> HitView {
        let mut v = HitView::from_passage(&hit.passage);
        v.score = Some(hit.score);
        v.snippet = marked_snippet(&hit.snippet);
        v
    }

    pub fn from_passage(p: &Passage) -> HitView {
        HitView {
            region: p.region.name.clone(),
            prefecture: p.region.prefecture.clone(),
            region_kind: p.region.kind.label().to_string(),
            doc: p.doc.clone(),
            section: p.section.clone(),
            fiscal_year: p.fiscal_year,
            topics: p.topics.clone(),
            score: None,
            snippet: Snippet::make(&p.text, &[], SNIPPET_CHARS).text,
            text: p.text.clone(),
            id: p.id.clone(),
            region_key: p.region.key(),
            doc_title: p.doc_title.clone(),
            form: p.form.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct QueryView {
    pub text: String,
    pub regions: Vec<String>,
    pub fiscal_year: Option<i32>,
    pub topic: Option<String>,
    pub expanded_with: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct AnswerView {
    pub hits: Vec<HitView>,
    pub took_ms: f64,
    pub total: usize,
    pub more: bool,
    pub query: QueryView,
    pub notes: Vec<String>,
    pub suggestions: Vec<String>,
}

impl AnswerView {
    pub fn new(answer: &Answer) -> AnswerView {
        let req = &answer.understood.request;
        AnswerView {
            hits: answer.results.hits.iter().map(HitView::from_hit).collect(),
            took_ms: answer.results.took.as_secs_f64() * 1000.0,
            total: answer.results.total,
            more: answer.results.more,
            query: QueryView {
                text: req.text.clone(),
                regions: req.regions.clone(),
                fiscal_year: req.fiscal_year,
                topic: req.topic.clone(),
                expanded_with: req
                    .expansions
                    .iter()
                    .flat_map(|e| e.terms.clone())
                    .collect(),
            },
            notes: answer.notes.clone(),
            suggestions: answer.suggestions.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RegionView {
    pub name: String,
    pub prefecture: Option<String>,
    pub kind: String,
    pub passages: usize,
    pub key: String,
}

impl RegionView {
    pub fn new(r: &KnownRegion) -> RegionView {
        RegionView {
            name: r.name.clone(),
            prefecture: r.prefecture.clone(),
            kind: r.kind.label().to_string(),
            passages: r.passages,
            key: r.key.clone(),
        }
    }
}
