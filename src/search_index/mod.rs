//! The tantivy adapter of [`PassageIndex`]: a morphological field for precision, a bigram
//! field for recall inside compounds, region paths for nested filtering, and the passage
//! itself stored for display.
//!
//! One `IndexWriter` per process (behind a mutex), one long-lived reader, a fresh searcher
//! per query. The index is derived data: it can always be rebuilt from the database.

mod tokenizer;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

use crate::analysis::JapaneseAnalyzer;
use crate::domain::era::find_years;
use crate::domain::ports::{IndexError, IndexState, PassageIndex};
use crate::domain::search::passage::{Document, Passage};
use crate::domain::search::query::SearchRequest;
use crate::domain::search::results::{Hit, SearchResults};
use crate::domain::search::snippet::{SNIPPET_CHARS, Snippet};
use crate::domain::text::nfkc;
use tokenizer::{BIGRAM, JapaneseTokenizer, MORPH};

/// Bumped whenever the schema or the analysis changes in a way the lexicon fingerprint
/// does not capture; an index of another version is rebuilt.
const SCHEMA_VERSION: &str = "nimo-index-5";

/// How much each kind of match counts. Morphological matches are precise; bigram matches
/// find words inside compounds (ピア in ピアサポーター); topic synonyms widen the search.
const BOOST_MORPH: f32 = 2.0;
const BOOST_BIGRAM: f32 = 1.0;
const BOOST_SECTION: f32 = 0.5;
const BOOST_PHRASE: f32 = 1.5;
const BOOST_EXPANSION: f32 = 0.6;
const BOOST_TOPIC_TAG: f32 = 0.8;
/// What meeting one part of a question adds to a passage's score: more than any match
/// score, so passages meeting more parts always rank first.
const COVER: f32 = 10_000.0;
/// A part of a question mentioned by more than this share of the passages searched does
/// not decide which passages rank first.
const COMMON_PART: f64 = 0.3;
/// Candidates read before the per-region cap and paging.
const CANDIDATES: usize = 400;
/// Passages listed at most for a filter without words.
const LIST_MAX: usize = 5_000;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    doc: Field,
    region_path: Field,
    topics: Field,
    year: Field,
    /// Fiscal years the passage or its section title speaks of (「平成27年度に…」,
    /// 「令和3年度の取組方針」), besides the year of its document.
    years_mentioned: Field,
    sort_key: Field,
    region_hash: Field,
    body: Field,
    body_bigram: Field,
    section: Field,
    stored: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        doc: b.add_text_field("doc", STRING),
        region_path: b.add_text_field("region_path", STRING),
        topics: b.add_text_field("topics", STRING),
        year: b.add_i64_field("fiscal_year", INDEXED | FAST),
        years_mentioned: b.add_i64_field("years_mentioned", INDEXED),
        sort_key: b.add_u64_field("sort_key", FAST),
        region_hash: b.add_u64_field("region_hash", FAST),
        body: b.add_text_field("body", text(MORPH)),
        body_bigram: b.add_text_field("body_bigram", text(BIGRAM)),
        section: b.add_text_field("section", text(MORPH)),
        stored: b.add_text_field("passage", STORED),
    };
    (b.build(), fields)
}

fn err(context: &str) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |e| IndexError::new(context, e)
}

fn region_hash(p: &Passage) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.region.key().hash(&mut h);
    h.finish()
}

/// Orders passages by document, then by position in it.
fn sort_key(p: &Passage) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.doc.hash(&mut h);
    (h.finish() & 0xFF_FFFF_FFFF) << 24 | u64::from(p.ordinal.min(0xFF_FFFF))
}

pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    /// One write at a time in this process. The tantivy writer itself is opened for each
    /// write and closed after it: it holds a lock on the directory, and a second nimo
    /// process on the same data directory (two bots sharing the reminder schedule, or
    /// `nimo ingest` while the bot runs) must be able to write too.
    writing: Mutex<()>,
    fields: Fields,
    analyzer: Arc<JapaneseAnalyzer>,
    lexicon: String,
}

impl std::fmt::Debug for TantivyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivyIndex").finish_non_exhaustive()
    }
}

impl TantivyIndex {
    /// Opens (or creates) the index in `dir`. An index with another schema is replaced.
    pub fn open(dir: &Path, analyzer: Arc<JapaneseAnalyzer>) -> Result<TantivyIndex, IndexError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| IndexError::new(format!("creating {}", dir.display()), e))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) => {
                // Unreadable or from another version: it is derived data, start afresh.
                for entry in std::fs::read_dir(dir)
                    .map_err(|e| IndexError::new("reading the index directory", e))?
                {
                    let path = entry
                        .map_err(|e| IndexError::new("reading the index directory", e))?
                        .path();
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
                Index::create_in_dir(dir, schema).map_err(err("creating index"))?
            }
        };
        Self::with_index(index, fields, analyzer)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory(analyzer: Arc<JapaneseAnalyzer>) -> Result<TantivyIndex, IndexError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields, analyzer)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        analyzer: Arc<JapaneseAnalyzer>,
    ) -> Result<TantivyIndex, IndexError> {
        index
            .tokenizers()
            .register(MORPH, JapaneseTokenizer::morph(analyzer.clone()));
        index
            .tokenizers()
            .register(BIGRAM, JapaneseTokenizer::bigram(analyzer.clone()));
        // Commits by another process show up by themselves; our own are reloaded at once.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(err("opening reader"))?;
        let lexicon = analyzer.lexicon().fingerprint.clone();
        Ok(TantivyIndex {
            index,
            reader,
            writing: Mutex::new(()),
            fields,
            analyzer,
            lexicon,
        })
    }

    fn to_document(&self, p: &Passage) -> Result<TantivyDocument, IndexError> {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &p.id);
        d.add_text(f.doc, &p.doc);
        for key in p.region.ancestor_keys() {
            d.add_text(f.region_path, &key);
        }
        for t in &p.topics {
            d.add_text(f.topics, t);
        }
        if let Some(y) = p.fiscal_year {
            d.add_i64(f.year, i64::from(y));
        }
        let mut mentioned: std::collections::BTreeSet<i32> = find_years(&nfkc(&p.section))
            .into_iter()
            .chain(find_years(&nfkc(&p.text)))
            .map(|m| m.fiscal_year)
            .collect();
        if let Some(y) = p.fiscal_year
            && self.analyzer.lexicon().about_next_year(&p.section)
        {
            mentioned.insert(y + 1);
        }
        for y in mentioned {
            d.add_i64(f.years_mentioned, i64::from(y));
        }
        d.add_u64(f.sort_key, sort_key(p));
        d.add_u64(f.region_hash, region_hash(p));
        d.add_text(f.body, &p.text);
        d.add_text(f.body_bigram, &p.text);
        d.add_text(f.section, &p.section);
        let json = serde_json::to_string(p).map_err(|e| IndexError::new("storing a passage", e))?;
        d.add_text(f.stored, &json);
        Ok(d)
    }

    fn commit(&self, writer: &mut IndexWriter, generation: u64) -> Result<(), IndexError> {
        let mut prepared = writer.prepare_commit().map_err(err("preparing commit"))?;
        prepared.set_payload(&format!("{SCHEMA_VERSION} {} {generation}", self.lexicon));
        prepared.commit().map_err(err("committing"))?;
        self.reader.reload().map_err(err("reloading reader"))?;
        Ok(())
    }

    /// One commit under the writer lock: `prepare` (deletions), then `documents` added.
    /// On any error the writer rolls back, so the committed index is never half-applied.
    fn write(
        &self,
        generation: u64,
        documents: &[Document],
        prepare: impl FnOnce(&mut IndexWriter) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut writer = self.open_writer()?;
        let result = (|| {
            prepare(&mut writer)?;
            for d in documents {
                for p in &d.passages {
                    writer
                        .add_document(self.to_document(p)?)
                        .map_err(err("adding passage"))?;
                }
            }
            self.commit(&mut writer, generation)
        })();
        if result.is_err() {
            let _ = writer.rollback();
        }
        // Finishing merges releases the directory lock for other processes.
        if let Err(e) = writer.wait_merging_threads() {
            tracing::warn!(error = %e, "index merge did not finish");
        }
        result
    }

    /// The writer, waiting (up to 30 s) while another process holds it.
    fn open_writer(&self) -> Result<IndexWriter, IndexError> {
        let started = std::time::Instant::now();
        loop {
            match self.index.writer(64 * 1024 * 1024) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(..))
                    if started.elapsed() < std::time::Duration::from_secs(30) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(IndexError::new("opening writer", e)),
            }
        }
    }

    fn passage(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
    ) -> Result<Passage, IndexError> {
        let doc: TantivyDocument = searcher
            .doc(address)
            .map_err(err("reading stored passage"))?;
        let json = doc
            .get_first(self.fields.stored)
            .and_then(|v| v.as_str())
            .ok_or_else(|| IndexError::msg("stored passage missing"))?;
        serde_json::from_str(json).map_err(|e| IndexError::new("stored passage", e))
    }

    /// Filters that every result must pass.
    fn filters(&self, req: &SearchRequest) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if !req.regions.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = req
                .regions
                .iter()
                .map(|k| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.region_path, k),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            out.push(Box::new(BooleanQuery::new(any)));
        }
        if let Some(y) = req.fiscal_year {
            // The documents of that year, and passages speaking of it.
            let year = |field: Field| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_i64(field, i64::from(y)),
                        IndexRecordOption::Basic,
                    )),
                )
            };
            out.push(Box::new(BooleanQuery::new(vec![
                year(f.year),
                year(f.years_mentioned),
            ])));
        }
        if let Some(t) = &req.topic {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(f.topics, t),
                IndexRecordOption::Basic,
            )));
        }
        out
    }

    /// A phrase (or single term) of the bigrams of `surface` on the bigram field.
    fn bigram_query(&self, surface: &str) -> Option<Box<dyn Query>> {
        let mut grams = Vec::new();
        self.analyzer.bigrams(surface, &mut grams);
        let f = self.fields.body_bigram;
        match grams.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                Term::from_field_text(f, &grams[0].text),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let terms = grams
                    .iter()
                    .map(|g| (g.position, Term::from_field_text(f, &g.text)))
                    .collect();
                Some(Box::new(PhraseQuery::new_with_offset(terms)))
            }
        }
    }

    /// The morphological terms of `text` as a term or an exact phrase (gaps kept).
    fn morph_phrase(&self, terms: &[crate::analysis::Term]) -> Option<Box<dyn Query>> {
        let f = self.fields.body;
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                Term::from_field_text(f, &terms[0].text),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let base = terms[0].position;
                let terms = terms
                    .iter()
                    .map(|t| (t.position - base, Term::from_field_text(f, &t.text)))
                    .collect();
                Some(Box::new(PhraseQuery::new_with_offset_and_slop(terms, 1)))
            }
        }
    }

    /// The parts of a question that an answer must speak of: each content word of the
    /// question, together with the topic it names (its tag and its other words), so that
    /// 「自殺対策と連携」 is three parts and 「ピアサポーターの交流会」 two, the first of
    /// which a passage may meet by saying ピア相談 instead.
    fn concepts(&self, req: &SearchRequest, terms: &[crate::analysis::Term]) -> Vec<Concept> {
        let f = &self.fields;
        let mut concepts: Vec<Concept> = Vec::new();
        let mut owner_of_term: Vec<Option<usize>> = vec![None; terms.len()];
        for e in &req.expansions {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            if !e.topic.is_empty() {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.topics, &e.topic),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
            for synonym in e.terms.iter().chain(&e.found) {
                if let Some(q) = self.bigram_query(synonym) {
                    clauses.push((Occur::Should, q));
                }
            }
            let index = concepts.len();
            let label = e.found.first().cloned().unwrap_or_default();
            let mut span: Option<(usize, usize)> = None;
            for (i, t) in terms.iter().enumerate() {
                if owner_of_term[i].is_none()
                    && e.found
                        .iter()
                        .any(|w| w.contains(&t.surface) || w.contains(&t.text))
                {
                    owner_of_term[i] = Some(index);
                    clauses.extend(self.term_clauses(t));
                    span = Some(match span {
                        Some((s, e)) => (s.min(t.start), e.max(t.end)),
                        None => (t.start, t.end),
                    });
                }
            }
            let mut estimate: Vec<Term> = terms
                .iter()
                .zip(&owner_of_term)
                .filter(|(_, o)| **o == Some(index))
                .map(|(t, _)| Term::from_field_text(f.body, &t.text))
                .collect();
            if !e.topic.is_empty() {
                estimate.push(Term::from_field_text(f.topics, &e.topic));
            }
            concepts.push(Concept {
                label,
                span,
                query: Box::new(BooleanQuery::new(clauses)),
                terms: estimate,
            });
        }
        for (i, t) in terms.iter().enumerate() {
            if owner_of_term[i].is_some()
                || concepts
                    .iter()
                    .any(|c| c.label == t.surface || c.label == t.text)
            {
                continue;
            }
            concepts.push(Concept {
                label: t.surface.clone(),
                span: Some((t.start, t.end)),
                query: Box::new(BooleanQuery::new(self.term_clauses(t))),
                terms: vec![Term::from_field_text(f.body, &t.text)],
            });
        }
        concepts
    }

    /// Where one word of a question may be found: as a word, inside a compound, in a
    /// section title.
    fn term_clauses(&self, t: &crate::analysis::Term) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.body, &t.text),
                    IndexRecordOption::Basic,
                )),
            ),
            (
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.section, &t.text),
                    IndexRecordOption::Basic,
                )),
            ),
        ];
        if t.surface.chars().count() >= 2
            && let Some(q) = self.bigram_query(&t.surface)
        {
            out.push((Occur::Should, q));
        }
        out
    }

    /// What the words of a request mean for scoring (no filters): passages that speak of
    /// every part of the question first (each part met adds the same large constant),
    /// then by how well they match (BM25 over words, compounds, phrases and synonyms).
    fn content_query(&self, req: &SearchRequest) -> Content {
        let f = &self.fields;
        if req.text.trim().is_empty() {
            return Content::List;
        }
        let terms = self.analyzer.query_terms(&req.text);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut hl = Highlighter::default();
        let boost = |q: Box<dyn Query>, b: f32| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(BoostQuery::new(q, b)))
        };
        for t in &terms {
            should.push(boost(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.body, &t.text),
                    IndexRecordOption::WithFreqs,
                )),
                BOOST_MORPH,
            ));
            should.push(boost(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.section, &t.text),
                    IndexRecordOption::WithFreqs,
                )),
                BOOST_SECTION,
            ));
            if t.surface.chars().count() >= 2
                && let Some(q) = self.bigram_query(&t.surface)
            {
                should.push(boost(q, BOOST_BIGRAM));
            }
            hl.add(&t.surface);
            hl.add(&t.text);
        }
        if terms.len() >= 2
            && let Some(q) = self.morph_phrase(&terms)
        {
            should.push(boost(q, BOOST_PHRASE));
        }
        if terms.is_empty() && req.expansions.is_empty() {
            // Only the frame of a question (「何をしましたか」), or words too common to
            // mean anything: what it is about is in its filters.
            return Content::Frame;
        }
        for e in &req.expansions {
            if !e.topic.is_empty() {
                should.push(boost(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.topics, &e.topic),
                        IndexRecordOption::Basic,
                    )),
                    BOOST_TOPIC_TAG,
                ));
            }
            for synonym in &e.terms {
                let syn_terms = self.analyzer.query_terms(synonym);
                if let Some(q) = self.morph_phrase(&syn_terms) {
                    should.push(boost(q, BOOST_EXPANSION));
                }
                if let Some(q) = self.bigram_query(synonym) {
                    should.push(boost(q, BOOST_EXPANSION / 2.0));
                }
                hl.add(synonym);
            }
        }
        if should.is_empty() {
            // Words were asked for but none can be searched: match nothing, never list all.
            return Content::Nothing;
        }
        let concepts = if terms.is_empty() {
            Vec::new()
        } else {
            self.concepts(req, &terms)
        };
        Content::Words {
            query: should,
            highlighter: hl,
            concepts,
        }
    }

    fn listing(
        &self,
        req: &SearchRequest,
        filters: Vec<Box<dyn Query>>,
    ) -> Result<SearchResults, IndexError> {
        let searcher = self.reader.searcher();
        let query: Box<dyn Query> = if filters.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(
                filters.into_iter().map(|q| (Occur::Must, q)).collect(),
            ))
        };
        let total = searcher.search(&query, &Count).map_err(err("counting"))?;
        let collector = TopDocs::with_limit(req.limit.min(LIST_MAX))
            .and_offset(req.offset)
            .order_by_u64_field("sort_key", Order::Asc);
        let found = searcher
            .search(&query, &collector)
            .map_err(err("listing"))?;
        let mut hits = Vec::with_capacity(found.len());
        for (_, address) in found {
            let passage = self.passage(&searcher, address)?;
            let snippet = Snippet::make(&passage.text, &[], SNIPPET_CHARS);
            hits.push(Hit {
                passage,
                score: 0.0,
                snippet,
            });
        }
        Ok(SearchResults {
            more: req.offset.saturating_add(hits.len()) < total,
            hits,
            total,
            complete: total,
            missing: Vec::new(),
            parts: 0,
            took: Default::default(),
        })
    }
}

/// How many parts of a question a passage must meet to answer it: all of two, all but
/// one of up to five, three in five of a longer (pasted) question.
/// Whether a passage's relevance (BM25 summed over the question's clauses) surely stays
/// below COVER, so that its score tells how many specific parts it meets. Each word of a
/// question brings a few clauses of at most a few dozen points; a question of up to 60
/// characters stays far below 10,000. Longer ones (pasted paragraphs) are counted exactly.
fn relevance_below_cover(req: &SearchRequest) -> bool {
    req.text.chars().count() <= 60
}

/// Counts every match, and the matches scoring at least `threshold`.
struct Tally {
    threshold: f32,
}

struct SegmentTally {
    threshold: f32,
    all: usize,
    above: usize,
}

impl tantivy::collector::Collector for Tally {
    type Fruit = (usize, usize);
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _segment: tantivy::SegmentOrdinal,
        _reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<SegmentTally> {
        Ok(SegmentTally {
            threshold: self.threshold,
            all: 0,
            above: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<(usize, usize)>) -> tantivy::Result<(usize, usize)> {
        Ok(fruits
            .into_iter()
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y)))
    }
}

impl tantivy::collector::SegmentCollector for SegmentTally {
    type Fruit = (usize, usize);

    fn collect(&mut self, _doc: tantivy::DocId, score: tantivy::Score) {
        self.all += 1;
        if score >= self.threshold {
            self.above += 1;
        }
    }

    fn harvest(self) -> (usize, usize) {
        (self.all, self.above)
    }
}

fn required_parts(parts: usize) -> usize {
    match parts {
        0..=2 => parts,
        3..=5 => parts - 1,
        _ => (parts * 3).div_ceil(5),
    }
}

/// Parts of a question checked one by one for being mentioned nowhere (a pasted
/// paragraph has too many for that to mean anything).
const MAX_PARTS_CHECKED: usize = 8;

/// Figures written shortly after a matched word (「登録者は昨年度45名から46名」), for a
/// question asking how many: they are marked, and the snippet moves to show them.
fn numbers_after(text: &str, matched: &[(usize, usize)]) -> Vec<(usize, usize)> {
    static NUMBER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"[0-9０-９][0-9０-９,，.．]*\s*(?:人|名|件|か所|箇所|ヶ所|カ所|回|床|%|％|世帯|団体|病院|事業所)",
        )
        .expect("number pattern")
    });
    const NEAR: usize = 60;
    NUMBER
        .find_iter(text)
        .filter(|m| {
            matched
                .iter()
                .any(|(_, end)| *end <= m.start() && m.start() - end <= NEAR * 3)
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// One part of a question, and where it may be met.
struct Concept {
    /// As asked (「自殺」), for telling what no document mentions.
    label: String,
    /// Where the question says it (bytes of the request's text), when it does.
    span: Option<(usize, usize)>,
    query: Box<dyn Query>,
    /// Its words and tag as index terms, to estimate cheaply how common it is.
    terms: Vec<Term>,
}

/// The labels of parts of a question, those written next to each other joined as they
/// were written (「クライシス」「プラン」 → 「クライシスプラン」).
fn labels(text: &str, parts: &[&Concept]) -> Vec<String> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    for c in parts {
        match c.span {
            Some(span) => spans.push(span),
            None => out.push(c.label.clone()),
        }
    }
    spans.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if text.get(last.1..s).is_some_and(|gap| gap.trim().is_empty()) => {
                last.1 = last.1.max(e)
            }
            _ => merged.push((s, e)),
        }
    }
    for (s, e) in merged {
        if let Some(t) = text.get(s..e) {
            out.push(t.to_string());
        }
    }
    out
}

/// What the words of a request come to.
enum Content {
    /// No words: list the filtered passages.
    List,
    /// Only the frame of a question (「何をしましたか」): list when filtered, nothing
    /// otherwise.
    Frame,
    /// Words that cannot be searched: nothing matches.
    Nothing,
    Words {
        /// The match clauses (BM25); the parts' clauses are added once it is known
        /// which parts are specific.
        query: Vec<(Occur, Box<dyn Query>)>,
        highlighter: Highlighter,
        concepts: Vec<Concept>,
    },
}

/// What to mark in a passage: the normalized words of the question (its surfaces, base
/// forms and topic synonyms), found by substring in the normalized passage. Substrings
/// rather than a second morphological analysis keep highlighting cheap (it runs for every
/// hit shown).
#[derive(Default)]
struct Highlighter {
    words: HashSet<String>,
}

impl Highlighter {
    /// A word to mark. Single characters (者, 家) are left unmarked: marked everywhere
    /// they occur they hide the words that matter.
    fn add(&mut self, word: &str) {
        if word.chars().count() >= 2 {
            self.words.insert(word.to_ascii_lowercase());
        }
    }

    fn matcher(&self) -> Option<aho_corasick::AhoCorasick> {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(self.words.iter().filter(|w| !w.is_empty()))
            .ok()
    }

    fn ranges(
        matcher: Option<&aho_corasick::AhoCorasick>,
        analyzer: &JapaneseAnalyzer,
        text: &str,
    ) -> Vec<(usize, usize)> {
        let Some(matcher) = matcher else {
            return Vec::new();
        };
        let mut normalized = analyzer.lexicon().normalizer.normalize_with_offsets(text);
        normalized.text.make_ascii_lowercase();
        matcher
            .find_iter(&normalized.text)
            .map(|m| normalized.original_range(m.start(), m.end()))
            .collect()
    }
}

/// Which lexicon and store generation a commit payload records.
fn state_of(payload: Option<&str>) -> Option<IndexState> {
    let rest = payload?.strip_prefix(SCHEMA_VERSION)?;
    let mut parts = rest.split_whitespace();
    let lexicon = parts.next()?;
    let generation = parts.next()?.parse().ok()?;
    Some(IndexState {
        lexicon: lexicon.to_string(),
        generation,
    })
}

/// The state of the index in `dir`, read without opening it for search or writing (for
/// `nimo status` beside a running bot); `None` when there is no index there.
pub fn state_in(dir: &Path) -> Result<Option<IndexState>, IndexError> {
    if !dir.join("meta.json").exists() {
        return Ok(None);
    }
    let index = Index::open_in_dir(dir).map_err(err("opening the index"))?;
    let metas = index.load_metas().map_err(err("reading index metadata"))?;
    Ok(state_of(metas.payload.as_deref()))
}

impl PassageIndex for TantivyIndex {
    fn replace_documents(
        &self,
        documents: &[Document],
        removed: &[String],
        generation: u64,
    ) -> Result<(), IndexError> {
        self.write(generation, documents, |writer| {
            for id in removed.iter().chain(documents.iter().map(|d| &d.id)) {
                writer.delete_term(Term::from_field_text(self.fields.doc, id));
            }
            Ok(())
        })
    }

    fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let filters = self.filters(req);
        let (content, highlighter, concepts) = match self.content_query(req) {
            Content::List => {
                let mut results = self.listing(req, filters)?;
                results.took = started.elapsed();
                return Ok(results);
            }
            Content::Frame if !filters.is_empty() => {
                let mut results = self.listing(req, filters)?;
                results.took = started.elapsed();
                return Ok(results);
            }
            Content::Frame | Content::Nothing => (
                vec![(
                    Occur::Should,
                    Box::new(tantivy::query::EmptyQuery) as Box<dyn Query>,
                )],
                Highlighter::default(),
                Vec::new(),
            ),
            Content::Words {
                query,
                highlighter,
                concepts,
            } => (query, highlighter, concepts),
        };
        let searcher = self.reader.searcher();
        let must = |extra: Vec<Box<dyn Query>>| -> BooleanQuery {
            BooleanQuery::new(
                filters
                    .iter()
                    .map(|q| (Occur::Must, q.box_clone()))
                    .chain(extra.into_iter().map(|q| (Occur::Must, q)))
                    .collect(),
            )
        };
        // How many passages within the filters mention each part. A part nothing mentions
        // is missing; a part most passages mention (支援, 地域) says little about which
        // passage answers, so only the others rank passages by how many they meet.
        let mut content = content;
        let mut mentions: Vec<usize> = Vec::with_capacity(concepts.len());
        let mut specific: Vec<&Concept> = Vec::new();
        if concepts.len() >= 2 {
            let all_docs = searcher.num_docs().max(1) as f64;
            let within = if filters.is_empty() {
                all_docs
            } else {
                searcher
                    .search(&must(Vec::new()), &Count)
                    .map_err(err("counting"))? as f64
            };
            let common = COMMON_PART * within;
            for c in &concepts {
                // A part whose words alone are in far more passages than the share that
                // makes it common is not counted passage by passage (that would read long
                // posting lists on every question of a national corpus).
                let mut estimate = 0u64;
                for t in &c.terms {
                    estimate = estimate.max(searcher.doc_freq(t).map_err(err("counting"))?);
                }
                let estimate = estimate as f64 * within / all_docs;
                // Without filters the most frequent of its words is a true lower bound of
                // the passages mentioning a part (they are all among its clauses); within
                // filters it is scaled, so only far above the line is it trusted.
                let margin = if filters.is_empty() { 1.0 } else { 2.0 };
                let n = if estimate > margin * common {
                    estimate as usize
                } else {
                    searcher
                        .search(&must(vec![c.query.box_clone()]), &Count)
                        .map_err(err("counting"))?
                };
                mentions.push(n);
                if n > 0 && (n as f64) <= common {
                    specific.push(c);
                    content.push((
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(c.query.box_clone(), COVER)),
                    ));
                }
            }
        }
        let counted = started.elapsed();
        let query = must(vec![Box::new(BooleanQuery::new(content))]);
        let want = req.offset.saturating_add(req.limit).max(1);
        let candidates = if req.per_region.is_some() {
            CANDIDATES.max(want * 4)
        } else {
            want
        };
        // Each specific part met adds COVER to a passage's score (its relevance stays below
        // COVER), so the passages meeting enough of them are counted in the ranking's own
        // pass: no second reading of the posting lists.
        let threshold = required_parts(specific.len()) as f32 * COVER;
        let (top, (total, above)) = searcher
            .search(
                &query,
                &(
                    TopDocs::with_limit(candidates).order_by_score(),
                    Tally { threshold },
                ),
            )
            .map_err(err("searching"))?;

        let ranked = started.elapsed();
        // How much of the question the documents answer: passages meeting (nearly) every
        // part, and the parts nothing within the filters mentions at all.
        let (complete, missing) = if concepts.len() <= 1 || total == 0 {
            (total, Vec::new())
        } else {
            // Meeting the question is meeting its specific parts (the common ones say
            // little); with none, every match meets it.
            let complete = if specific.is_empty() {
                total
            } else if relevance_below_cover(req) {
                above
            } else {
                // A long question's relevance alone may reach COVER: count exactly.
                let all = BooleanQuery::with_minimum_required_clauses(
                    specific
                        .iter()
                        .map(|c| (Occur::Should, c.query.box_clone()))
                        .collect(),
                    required_parts(specific.len()),
                );
                searcher
                    .search(&must(vec![Box::new(all)]), &Count)
                    .map_err(err("counting"))?
            };
            let missing: Vec<&Concept> = if concepts.len() <= MAX_PARTS_CHECKED {
                concepts
                    .iter()
                    .zip(&mentions)
                    .filter(|(_, n)| **n == 0)
                    .map(|(c, _)| c)
                    .collect()
            } else {
                Vec::new()
            };
            (complete, labels(&req.text, &missing))
        };
        let missing = if total == 0 && concepts.len() <= 1 {
            labels(&req.text, &concepts.iter().collect::<Vec<_>>())
        } else {
            missing
        };

        // Keep at most `per_region` passages of a region in ranked order; the rest follow.
        // The region of a candidate comes from a fast field: no stored document is read
        // until the page is known.
        let mut order: Vec<(f32, DocAddress)> = top;
        if let Some(cap) = req.per_region {
            let mut columns = HashMap::new();
            let mut seen: HashMap<u64, usize> = HashMap::new();
            let (mut first, mut rest) = (Vec::new(), Vec::new());
            for (score, address) in order {
                let column = match columns.entry(address.segment_ord) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => e.insert(
                        searcher
                            .segment_reader(address.segment_ord)
                            .fast_fields()
                            .u64("region_hash")
                            .map_err(err("reading region column"))?,
                    ),
                };
                let region = column.first(address.doc_id).unwrap_or(0);
                let n = seen.entry(region).or_default();
                *n += 1;
                if *n <= cap {
                    first.push((score, address))
                } else {
                    rest.push((score, address))
                }
            }
            first.extend(rest);
            order = first;
        }
        let judged = started.elapsed();
        let matcher = highlighter.matcher();
        let mut hits = Vec::with_capacity(req.limit);
        for (score, address) in order.into_iter().skip(req.offset).take(req.limit) {
            let passage = self.passage(&searcher, address)?;
            let mut ranges = Highlighter::ranges(matcher.as_ref(), &self.analyzer, &passage.text);
            if req.numbers {
                ranges.extend(numbers_after(&passage.text, &ranges));
            }
            let snippet = Snippet::make(&passage.text, &ranges, SNIPPET_CHARS);
            hits.push(Hit {
                passage,
                score: score % COVER,
                snippet,
            });
        }
        tracing::debug!(
            parts = concepts.len(),
            specific = specific.len(),
            filters = filters.len(),
            total,
            parts_counted_us = counted.as_micros() as u64,
            ranked_us = (ranked - counted).as_micros() as u64,
            judged_us = (judged - ranked).as_micros() as u64,
            shown_us = (started.elapsed() - judged).as_micros() as u64,
            "search"
        );
        Ok(SearchResults {
            more: req.offset.saturating_add(hits.len()) < total,
            hits,
            total,
            complete,
            missing,
            parts: concepts.len(),
            took: started.elapsed(),
        })
    }

    fn passage_count(&self) -> Result<usize, IndexError> {
        Ok(self.reader.searcher().num_docs() as usize)
    }

    fn state(&self) -> Result<Option<IndexState>, IndexError> {
        let metas = self
            .index
            .load_metas()
            .map_err(err("reading index metadata"))?;
        Ok(state_of(metas.payload.as_deref()))
    }

    fn lexicon(&self) -> String {
        self.lexicon.clone()
    }

    fn rebuild(&self, documents: &[Document], generation: u64) -> Result<(), IndexError> {
        self.write(generation, documents, |writer| {
            writer
                .delete_all_documents()
                .map_err(err("clearing index"))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
