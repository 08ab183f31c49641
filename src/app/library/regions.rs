//! Region profiles and topic rosters: the answers to 「この地域は？」 and 「このテーマに取り
//! 組んでいるのは？」.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Library;
use crate::app::AppError;
use crate::domain::ports::FigureRecord;
use crate::domain::search::passage::Passage;
use crate::domain::search::query::{Expansion, KnownRegion, SearchRequest};
use crate::domain::search::query::{QueryProblem, suggest_regions};
use crate::domain::search::region::KEY_SEPARATOR;
use crate::domain::search::topic::Topic;

/// Passages read at most for one profile or roster.
const READ_MAX: usize = 5_000;

/// One section of a region's documents.
#[derive(Debug, Clone, Serialize)]
pub struct SectionSummary {
    pub title: String,
    pub passages: usize,
    /// The first passage, as an excerpt.
    pub first: Passage,
}

/// A document of the region.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    pub form: String,
    pub fiscal_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionProfile {
    pub region: KnownRegion,
    /// Regions inside it that have passages (a prefecture's 圏域 and cities).
    pub inside: Vec<KnownRegion>,
    pub documents: Vec<DocumentSummary>,
    pub sections: Vec<SectionSummary>,
    /// The basic figures of its sheets (newest document first).
    pub figures: Vec<FigureRecord>,
}

/// One region working on a topic.
#[derive(Debug, Clone, Serialize)]
pub struct RosterEntry {
    pub region: KnownRegion,
    pub passages: usize,
    /// Its passage that best matches the topic.
    pub best: Passage,
}

#[derive(Debug, Clone, Serialize)]
pub struct Roster {
    pub topic: Topic,
    pub region: Option<KnownRegion>,
    /// Grouped by prefecture (in the national order), then by region.
    pub entries: Vec<RosterEntry>,
}

impl Library {
    /// Everything known about a place: its documents, its passages by section, its basic
    /// figures, and the regions inside it.
    pub async fn region_profile(&self, key: &str) -> Result<Option<RegionProfile>, AppError> {
        let directory = self.regions();
        let places = directory.places(&self.lexicon);
        let Some(region) = places.iter().find(|p| p.key == key).cloned() else {
            return Ok(None);
        };
        let inside: Vec<KnownRegion> = places
            .iter()
            .filter(|p| p.key.starts_with(&format!("{key}{KEY_SEPARATOR}")))
            .cloned()
            .collect();
        let request = SearchRequest {
            regions: vec![key.to_string()],
            limit: READ_MAX,
            ..Default::default()
        };
        let own: Vec<Passage> = self
            .search(&request)
            .await?
            .hits
            .into_iter()
            .map(|h| h.passage)
            .filter(|p| p.region.key() == key)
            .collect();
        let mut documents: Vec<DocumentSummary> = Vec::new();
        let mut sections: Vec<SectionSummary> = Vec::new();
        for p in own {
            if !documents.iter().any(|d| d.id == p.doc) {
                documents.push(DocumentSummary {
                    id: p.doc.clone(),
                    title: p.doc_title.clone(),
                    form: p.form.clone(),
                    fiscal_year: p.fiscal_year,
                });
            }
            match sections.iter_mut().find(|s| s.title == p.section) {
                Some(s) => s.passages += 1,
                None => sections.push(SectionSummary {
                    title: p.section.clone(),
                    passages: 1,
                    first: p,
                }),
            }
        }
        documents.sort_by(|a, b| b.fiscal_year.cmp(&a.fiscal_year).then(a.id.cmp(&b.id)));
        Ok(Some(RegionProfile {
            region,
            inside,
            documents,
            sections,
            figures: self
                .figures()
                .iter()
                .filter(|f| f.region.key() == key)
                .cloned()
                .collect(),
        }))
    }

    /// The regions whose passages are on a topic, optionally within a place, each with its
    /// best passage.
    pub async fn topic_roster(
        &self,
        topic_id: &str,
        within: Option<&str>,
    ) -> Result<Option<Roster>, AppError> {
        let Some(topic) = self.lexicon.taxonomy.get(topic_id).cloned() else {
            return Ok(None);
        };
        let directory = self.regions();
        let places = directory.places(&self.lexicon);
        let region = within.and_then(|k| places.iter().find(|p| p.key == k).cloned());
        // Every passage tagged with the topic must come back (the topic's expansion matches
        // its tag), ranked by how strongly it speaks of the topic (its synonyms).
        let request = SearchRequest {
            text: topic.name.clone(),
            topic: Some(topic.id.clone()),
            expansions: vec![Expansion {
                topic: topic.id.clone(),
                found: Vec::new(),
                terms: self.lexicon.taxonomy.synonyms_of(&topic.id).to_vec(),
            }],
            regions: within.map(|k| vec![k.to_string()]).unwrap_or_default(),
            limit: READ_MAX,
            ..Default::default()
        };
        let results = self.search(&request).await?;
        let mut best: BTreeMap<String, (usize, Passage)> = BTreeMap::new();
        for hit in results.hits {
            best.entry(hit.passage.region.key())
                .or_insert((0, hit.passage))
                .0 += 1;
        }
        let order: HashMap<&str, usize> = places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key.as_str(), i))
            .collect();
        let mut entries: Vec<RosterEntry> = best
            .into_iter()
            .map(|(key, (passages, best))| RosterEntry {
                region: directory.get(&key).cloned().unwrap_or_else(|| KnownRegion {
                    key: key.clone(),
                    name: best.region.name.clone(),
                    prefecture: best.region.prefecture.clone(),
                    kind: best.region.kind,
                    passages,
                }),
                passages,
                best,
            })
            .collect();
        entries.sort_by_key(|e| {
            order
                .get(e.region.key.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        Ok(Some(Roster {
            topic,
            region,
            entries,
        }))
    }

    /// The profile of a place as someone typed or picked it (「世田谷区」, 「津軽」): the
    /// place's key and its profile. A place nimo cannot find is a problem with the
    /// question (with suggestions); one with no documents is refused.
    pub async fn profile_of(&self, typed: &str) -> Result<(String, RegionProfile), AppError> {
        let directory = self.regions();
        let Some(key) = directory.resolve(typed, &self.lexicon).into_iter().next() else {
            return Err(QueryProblem::UnknownRegion {
                typed: typed.to_string(),
                suggestions: suggest_regions(typed, &directory, &self.lexicon),
            }
            .into());
        };
        match self.region_profile(&key).await? {
            Some(profile) => Ok((key, profile)),
            None => Err(AppError::refused(format!(
                "「{typed}」の資料はまだありません。"
            ))),
        }
    }

    /// The roster of a topic as someone typed it, optionally within a place as typed.
    pub async fn roster_of(&self, topic: &str, within: Option<&str>) -> Result<Roster, AppError> {
        let lex = &self.lexicon;
        let Some(t) = lex.taxonomy.resolve(topic, &lex.normalizer).cloned() else {
            return Err(QueryProblem::UnknownTopic {
                typed: topic.to_string(),
                suggestions: lex
                    .taxonomy
                    .topics()
                    .iter()
                    .map(|t| t.name.clone())
                    .collect(),
            }
            .into());
        };
        let within_key = match within.filter(|w| !w.trim().is_empty()) {
            Some(w) => match self.regions().resolve(w, lex).into_iter().next() {
                Some(k) => Some(k),
                None => {
                    return Err(AppError::refused(format!(
                        "「{w}」という地域は見つかりませんでした。"
                    )));
                }
            },
            None => None,
        };
        self.topic_roster(&t.id, within_key.as_deref())
            .await?
            .ok_or_else(|| AppError::internal(format!("topic {} vanished", t.id)))
    }

    /// A place as typed by someone who names their own region or a meeting's participant
    /// (「世田谷区」): its key and name, among the regions with documents or any place the
    /// gazetteer knows; or a Japanese refusal.
    /// The region a short line names and nothing else (a sheet's region line such as
    /// 「青森県・津軽圏域」 or a sheet name), as (key, name).
    pub fn region_line(&self, line: &str) -> Option<(String, String)> {
        let line = line.trim();
        let chars = line.chars().count();
        if chars == 0 || chars > 24 || line.contains(['。', '、', '「', '|']) {
            return None;
        }
        let region = self
            .lexicon
            .gazetteer
            .parse_region(line)
            .filter(|r| r.prefecture.is_some())?;
        // Most of the line is the place's name (not a sentence that mentions one).
        let prefecture = region
            .prefecture
            .as_deref()
            .filter(|p| !region.name.contains(p) && line.contains(p))
            .map_or(0, |p| p.chars().count());
        let named = region.name.chars().filter(|c| !c.is_whitespace()).count() + prefecture;
        (named * 10 >= chars * 6).then(|| (region.key(), region.name.trim().to_string()))
    }

    pub fn resolve_place(&self, typed: &str) -> Result<(String, String), AppError> {
        let lex = &self.lexicon;
        let directory = self.regions();
        let keys = directory.resolve(typed, lex);
        if keys.len() == 1 {
            let key = keys[0].clone();
            let name = directory
                .get(&key)
                .map(|k| k.name.clone())
                .or_else(|| {
                    directory
                        .places(lex)
                        .into_iter()
                        .find(|p| p.key == key)
                        .map(|p| p.name)
                })
                .unwrap_or_else(|| typed.trim().to_string());
            return Ok((key, name));
        }
        if let Some(r) = lex
            .gazetteer
            .parse_region(typed)
            .filter(|r| r.prefecture.is_some())
        {
            return Ok((r.key(), r.name.trim().to_string()));
        }
        if keys.len() > 1 {
            return Err(AppError::refused(format!(
                "「{typed}」に当てはまる地域が複数あります（{}）。都道府県名から入力してください。",
                keys.join("、")
            )));
        }
        Err(AppError::refused(format!(
            "「{typed}」という地域が見つかりませんでした（例: 東京都世田谷区、青森県・津軽圏域）。"
        )))
    }
}
