//! Answering a question: understand it, answer figures from the figures themselves,
//! search, compare places side by side, and say plainly what a place's documents do not
//! say before showing anything from elsewhere.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Library;
use crate::app::AppError;
use crate::domain::era::era_label;
use crate::domain::ports::FigureRecord;
use crate::domain::search::corpus::BASICS_SECTION;
use crate::domain::search::figures::{Figure, FigureAsk, FigureMode, UNSTATED};
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::query::{
    Ask, Place, SearchRequest, Understood, describe_filters, understand,
};
use crate::domain::search::region::{KEY_SEPARATOR, display_name};
use crate::domain::search::results::{Hit, SearchResults};

/// Passages shown for each place when places are compared.
const PER_PLACE: usize = 2;

/// The answer to a question: what was understood, what was found, what to tell.
#[derive(Debug, Clone)]
pub struct Answer {
    pub understood: Understood,
    pub results: SearchResults,
    /// Notes for the person, in Japanese (what a place's documents do not say, a widened
    /// search, a cut question).
    pub notes: Vec<String>,
    /// When nothing was found: things to try, in Japanese.
    pub suggestions: Vec<String>,
    /// The figures asked for, from the regions' basic figures.
    pub figures: Option<FigureTable>,
    /// When places are compared: what each one's documents say.
    pub places: Vec<PlaceAnswer>,
}

/// Figures answering a question, one row per region and figure.
#[derive(Debug, Clone, Serialize)]
pub struct FigureTable {
    pub ask: FigureAsk,
    /// 「人口が500,000人以上」
    pub heading: String,
    pub rows: Vec<FigureRow>,
    /// Regions in scope whose sheets leave the figure blank (or that have no sheet),
    /// for rankings and thresholds: they cannot be placed.
    pub unstated: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FigureRow {
    pub region_key: String,
    /// 「東京都世田谷区」
    pub region: String,
    pub figure: Figure,
    /// 「参加自治体状況共有シート（令和3年度）」, or None when no sheet has the figure.
    pub source: Option<String>,
}

/// One compared place and what its documents say.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceAnswer {
    pub place: Place,
    /// 「東京都世田谷区」
    pub name: String,
    pub hits: Vec<Hit>,
    /// Passages of the place meeting the whole question.
    pub total: usize,
    /// The place has documents, but none says what was asked.
    pub unsaid: bool,
    /// nimo has no document of the place.
    pub no_documents: bool,
}

impl PlaceAnswer {
    /// What the answer says of a place that has nothing on the question (`asked`), or
    /// None when it has passages.
    pub fn silence(&self, asked: &str) -> Option<String> {
        if self.no_documents {
            Some(format!("{}の資料はまだありません。", self.name))
        } else if self.unsaid {
            Some(format!(
                "{}の資料には「{asked}」についての記載がありません。",
                self.name
            ))
        } else {
            None
        }
    }
}

impl FigureTable {
    /// Said when no region's figures meet a ranking or a threshold.
    pub const NONE: &'static str = "当てはまる地域はありません（基礎情報に記載のある地域の中で）。";
}

impl Answer {
    /// What the answer is about, as its heading says it: 「「ピア」の検索結果」, or the
    /// filters alone when only a place (or year, or topic) was asked.
    pub fn subject(&self, lex: &Lexicon) -> String {
        let u = &self.understood;
        if let Some(table) = &self.figures {
            return match &u.region_label {
                Some(place) if u.places.is_empty() => format!("{place}の{}", table.heading),
                _ => table.heading.clone(),
            };
        }
        let filters = describe_filters(u, lex);
        if u.request.text.is_empty() {
            if filters.is_empty() {
                "すべての資料".to_string()
            } else {
                format!("{filters}の資料")
            }
        } else if !u.places.is_empty() {
            format!("「{}」の比較", u.request.text)
        } else {
            format!("「{}」の検索結果", u.request.text)
        }
    }

    /// The regions the answer shows, in the order shown (figures first, then passages),
    /// each once.
    pub fn regions_shown(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let figures = self
            .figures
            .iter()
            .flat_map(|t| t.rows.iter().map(|r| r.region_key.clone()));
        let compared = self
            .places
            .iter()
            .flat_map(|p| p.hits.iter().map(|h| h.passage.region.key()));
        let hits = self.results.hits.iter().map(|h| h.passage.region.key());
        for k in figures.chain(compared).chain(hits) {
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }
}

impl Library {
    /// Answers a question. Figures come from the figure table; passages from the index.
    /// When a place named in the question has nothing on it, the answer says so first,
    /// then widens (prefecture, then nationwide) and labels what comes from elsewhere.
    pub async fn ask(&self, ask: &Ask) -> Result<Answer, AppError> {
        let directory = self.regions();
        let mut understood = understand(ask, &self.lexicon, &directory)?;
        let mut notes = std::mem::take(&mut understood.notes);
        let figures = understood
            .figures
            .clone()
            .map(|f| self.figure_table(&understood, f));

        if understood.places.len() >= 2 {
            return self.compare(understood, notes, figures).await;
        }

        let mut results = self.search(&understood.request).await?;
        if let Some(table) = &figures {
            // The table states the basic figures. Where a place's sheet leaves one blank,
            // what its other passages say may still help; a ranking or a threshold is the
            // table alone.
            let about_it = matches!(table.ask.mode, FigureMode::Value)
                && table.rows.iter().any(|r| !r.figure.stated())
                && !silent(&results, true);
            results
                .hits
                .retain(|h| about_it && h.passage.section != BASICS_SECTION);
            return Ok(Answer {
                understood,
                results,
                notes,
                suggestions: Vec::new(),
                figures,
                places: Vec::new(),
            });
        }

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
        let asked_words = !understood.request.text.is_empty();
        if understood.region_from_question
            && !understood.request.regions.is_empty()
            && silent(&results, asked_words)
        {
            let label = understood.region_label.clone().unwrap_or_default();
            let has_documents = understood
                .request
                .regions
                .iter()
                .any(|k| self.has_documents(k));
            let what = if results.missing.is_empty() {
                format!("「{}」", understood.request.text)
            } else {
                quoted(&results.missing)
            };
            notes.push(if !has_documents {
                format!("「{label}」の資料はまだありません。")
            } else if asked_words {
                format!("{label}の資料には{what}についての記載がありません。")
            } else {
                format!("{label}の資料には、この条件に当てはまる記載がありません。")
            });
            if let Some((request, names, widened)) =
                self.widen(&understood.request, has_documents).await?
            {
                notes.push(match &names {
                    Some(names) => format!("{names}のほかの地域の資料を表示します。"),
                    None => "ほかの地域の資料を表示します。".to_string(),
                });
                understood.request = request;
                understood.region_label = names;
                results = widened;
            } else {
                results.hits.clear();
                results.total = 0;
                results.complete = 0;
                results.more = false;
            }
        } else if asked_words && !results.missing.is_empty() && results.total > 0 {
            notes.push(format!(
                "{}について書かれた資料は見つかりませんでした。",
                quoted(&results.missing)
            ));
            if lacking(&results) {
                results.hits.clear();
                results.total = 0;
                results.complete = 0;
                results.more = false;
            } else {
                notes.push("ほかの語に一致した資料を表示します。".into());
            }
        } else if asked_words && results.total > 0 && results.complete == 0 {
            notes.push(
                "質問のすべての語を含む資料はありませんでした。一部の語に一致した資料を表示します。"
                    .into(),
            );
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
            figures: None,
            places: Vec::new(),
        })
    }

    /// Whether any passage belongs to the region or a region inside it.
    fn has_documents(&self, key: &str) -> bool {
        let prefix = format!("{key}{KEY_SEPARATOR}");
        self.regions()
            .regions
            .iter()
            .any(|r| r.key == key || r.key.starts_with(&prefix))
    }

    /// The search widened from a place that has nothing: to the places containing it
    /// (only when it has no documents at all: a place's own silence is not filled with
    /// its neighbours' text), then nationwide. With the name of the wider place, or None
    /// for nationwide.
    async fn widen(
        &self,
        request: &SearchRequest,
        place_has_documents: bool,
    ) -> Result<Option<(SearchRequest, Option<String>, SearchResults)>, AppError> {
        let good = |r: &SearchResults| !silent(r, !request.text.is_empty());
        let mut keys = if place_has_documents {
            Vec::new()
        } else {
            request.regions.clone()
        };
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
            let wider = SearchRequest {
                regions: parents.clone(),
                ..request.clone()
            };
            let results = self.search(&wider).await?;
            if good(&results) {
                let names: Vec<String> = parents.iter().map(|k| display_name(k)).collect();
                return Ok(Some((wider, Some(names.join("・")), results)));
            }
            keys = parents;
        }
        if request.text.is_empty() {
            return Ok(None);
        }
        let nationwide = SearchRequest {
            regions: Vec::new(),
            per_region: Some(2),
            ..request.clone()
        };
        let mut results = self.search(&nationwide).await?;
        if !good(&results) {
            return Ok(None);
        }
        // Only other places: the named one had nothing.
        results
            .hits
            .retain(|h| !request.regions.iter().any(|k| h.passage.region.key() == *k));
        Ok(Some((nationwide, None, results)))
    }

    /// Places named side by side: each one's best passages, or that its documents do not
    /// say it.
    async fn compare(
        &self,
        understood: Understood,
        notes: Vec<String>,
        figures: Option<FigureTable>,
    ) -> Result<Answer, AppError> {
        let mut places = Vec::new();
        let mut combined: Vec<Vec<Hit>> = Vec::new();
        let mut total = 0;
        let mut complete = 0;
        for place in &understood.places {
            let request = SearchRequest {
                regions: place.keys.clone(),
                limit: PER_PLACE,
                offset: 0,
                per_region: None,
                ..understood.request.clone()
            };
            let mut results = self.search(&request).await?;
            if figures.is_some() {
                results.hits.retain(|h| h.passage.section != BASICS_SECTION);
            }
            let words = !request.text.is_empty();
            let said = results.total > 0 && (!words || results.complete > 0);
            if !said {
                results.hits.clear();
            }
            total += if said { results.total } else { 0 };
            complete += results.complete;
            combined.push(results.hits.clone());
            let no_documents = !place.keys.iter().any(|k| self.has_documents(k));
            places.push(PlaceAnswer {
                name: place
                    .keys
                    .first()
                    .filter(|_| place.keys.len() == 1)
                    .map(|k| display_name(k))
                    .unwrap_or_else(|| place.label.clone()),
                place: place.clone(),
                total: results.complete,
                hits: results.hits,
                unsaid: !said && !no_documents,
                no_documents,
            });
        }
        // Interleaved, for front ends that show one list.
        let mut hits = Vec::new();
        for i in 0..PER_PLACE {
            for list in &combined {
                if let Some(h) = list.get(i) {
                    hits.push(h.clone());
                }
            }
        }
        let results = SearchResults {
            total,
            complete,
            more: false,
            missing: Vec::new(),
            parts: 0,
            hits,
            took: Default::default(),
        };
        Ok(Answer {
            understood,
            results,
            notes,
            suggestions: Vec::new(),
            figures,
            places,
        })
    }

    /// The figures a question asks for, from every region's basic figures: for the places
    /// named (each one, stated or not), or for every region (rankings, thresholds).
    fn figure_table(&self, understood: &Understood, ask: FigureAsk) -> FigureTable {
        let records = self.figures();
        let heading = ask.describe(&self.lexicon.figures);
        let scopes: Vec<String> = if !understood.places.is_empty() {
            understood
                .places
                .iter()
                .flat_map(|p| p.keys.iter().cloned())
                .collect()
        } else {
            understood.request.regions.clone()
        };
        let in_scope = |key: &str| {
            scopes.is_empty()
                || scopes
                    .iter()
                    .any(|s| key == s || key.starts_with(&format!("{s}{KEY_SEPARATOR}")))
        };
        // The newest figure of each region (records come newest first within a region).
        let newest = |key: &str, id: &str| -> Option<&FigureRecord> {
            records
                .iter()
                .find(|r| r.figure.id == id && r.region.key() == key)
        };
        let mut regions: Vec<String> = Vec::new();
        for r in records.iter() {
            let k = r.region.key();
            if in_scope(&k) && !regions.contains(&k) {
                regions.push(k);
            }
        }
        // Named places without any sheet still get a row: their documents do not say it.
        for s in &scopes {
            if !regions
                .iter()
                .any(|k| k == s || k.starts_with(&format!("{s}{KEY_SEPARATOR}")))
            {
                regions.push(s.clone());
            }
        }
        let row = |key: &str, id: &str| -> FigureRow {
            match newest(key, id) {
                Some(r) => FigureRow {
                    region_key: key.to_string(),
                    region: display_name(key),
                    figure: r.figure.clone(),
                    source: Some(source_label(r)),
                },
                None => {
                    let def = self.lexicon.figures.get(id);
                    FigureRow {
                        region_key: key.to_string(),
                        region: display_name(key),
                        figure: Figure {
                            id: id.to_string(),
                            label: def.map(|d| d.label.clone()).unwrap_or_default(),
                            value: None,
                            text: UNSTATED.to_string(),
                            as_of: None,
                        },
                        source: None,
                    }
                }
            }
        };
        let mut rows = Vec::new();
        let mut unstated = Vec::new();
        match ask.mode {
            FigureMode::Value => {
                for key in &regions {
                    for id in &ask.ids {
                        rows.push(row(key, id));
                    }
                }
            }
            FigureMode::Rank { descending } => {
                for id in &ask.ids {
                    let mut stated: Vec<FigureRow> = Vec::new();
                    for key in &regions {
                        let r = row(key, id);
                        if r.figure.stated() {
                            stated.push(r);
                        } else if !unstated.contains(&r.region) {
                            unstated.push(r.region);
                        }
                    }
                    stated.sort_by(|a, b| {
                        let (x, y) = (a.figure.value.unwrap_or(0.0), b.figure.value.unwrap_or(0.0));
                        let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                        if descending { o.reverse() } else { o }
                    });
                    rows.extend(stated);
                }
            }
            FigureMode::Threshold { op, value } => {
                for id in &ask.ids {
                    for key in &regions {
                        let r = row(key, id);
                        match r.figure.value {
                            Some(v) if op.holds(v, value) => rows.push(r),
                            Some(_) => {}
                            None => {
                                if !unstated.contains(&r.region) {
                                    unstated.push(r.region)
                                }
                            }
                        }
                    }
                }
            }
        }
        FigureTable {
            ask,
            heading,
            rows,
            unstated,
        }
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
                let found = self.search(&unfiltered).await?;
                if found.complete > 0 {
                    out.push(format!(
                        "地域・年度・テーマの条件を外すと {} 件見つかります。",
                        found.complete
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

/// A word of the question that no document mentions is what it is about, unless the
/// question is long and the word one of many: then what matches the rest still helps.
fn lacking(r: &SearchResults) -> bool {
    !r.missing.is_empty() && (r.parts <= 3 || r.missing.len() * 2 >= r.parts)
}

/// Nothing in the results answers the question.
fn silent(r: &SearchResults, asked_words: bool) -> bool {
    r.total == 0 || (asked_words && (r.complete == 0 || lacking(r)))
}

/// 「「自殺」「クライシスプラン」」
fn quoted(words: &[String]) -> String {
    words.iter().map(|w| format!("「{w}」")).collect()
}

/// 「参加自治体状況共有シート（令和3年度）」: where a figure was read.
fn source_label(r: &FigureRecord) -> String {
    match r.fiscal_year {
        Some(y) => format!("{}（{}）", r.document_title, era_label(y)),
        None => r.document_title.clone(),
    }
}
