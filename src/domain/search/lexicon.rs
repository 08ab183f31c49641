//! The lexicon: everything in `index/` that shapes how nimo reads documents and questions.
//! It is data, versioned with the code and compiled into the binary so a deployment is one
//! file; a directory with the same layout can replace it at run time (`--lexicon DIR`)
//! while adjusting words. Its fingerprint is kept in the index, so an index built with
//! another lexicon is rebuilt rather than silently mixed.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::figures::FigureBook;
use super::region::{Area, Gazetteer};
use super::topic::{Taxonomy, Topic};
use crate::domain::text::Normalizer;

/// The raw files of a lexicon.
#[derive(Debug, Clone)]
pub struct LexiconFiles {
    pub topics: String,
    pub language: String,
    pub sections: String,
    pub userdict: String,
    pub municipalities: String,
    pub areas: String,
    pub figures: String,
}

impl LexiconFiles {
    /// The lexicon compiled into this binary.
    pub fn embedded() -> LexiconFiles {
        LexiconFiles {
            topics: include_str!("../../../index/topics.toml").to_string(),
            language: include_str!("../../../index/language.toml").to_string(),
            sections: include_str!("../../../index/sections.toml").to_string(),
            userdict: include_str!("../../../index/userdict.csv").to_string(),
            municipalities: include_str!("../../../index/gazetteer/municipalities.tsv").to_string(),
            areas: include_str!("../../../index/gazetteer/areas.toml").to_string(),
            figures: include_str!("../../../index/figures.toml").to_string(),
        }
    }

    /// A lexicon directory laid out like `index/`.
    pub fn from_dir(dir: &Path) -> Result<LexiconFiles, LexiconError> {
        let read = |rel: &str| {
            std::fs::read_to_string(dir.join(rel))
                .map_err(|e| LexiconError(format!("{}: {e}", dir.join(rel).display())))
        };
        Ok(LexiconFiles {
            topics: read("topics.toml")?,
            language: read("language.toml")?,
            sections: read("sections.toml")?,
            userdict: read("userdict.csv")?,
            municipalities: read("gazetteer/municipalities.tsv")?,
            areas: read("gazetteer/areas.toml")?,
            figures: read("figures.toml")?,
        })
    }

    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            &self.topics,
            &self.language,
            &self.sections,
            &self.userdict,
            &self.municipalities,
            &self.areas,
            &self.figures,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        format!("{:x}", h.finalize())[..16].to_string()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("lexicon: {0}")]
pub struct LexiconError(pub String);

#[derive(Deserialize)]
struct TopicsFile {
    topic: Vec<Topic>,
}

#[derive(Deserialize)]
struct Variant {
    from: Vec<String>,
    to: String,
}

#[derive(Deserialize)]
struct LanguageFile {
    #[serde(default)]
    char_variant: Vec<Variant>,
    #[serde(default)]
    term_variant: Vec<Variant>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    query_stopwords: Vec<String>,
    #[serde(default)]
    query_trailing_frames: Vec<String>,
    #[serde(default)]
    query_leading_frames: Vec<String>,
    #[serde(default)]
    negation: Negation,
}

/// How questions and documents say something is not (yet) done.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Negation {
    /// A question asking for what is not done contains one of these (regular expression).
    #[serde(default)]
    pub cue: String,
    /// The ways documents say it.
    #[serde(default)]
    pub words: Vec<String>,
}

/// How a section heading is recognized: all of `all` and at least one of `any` occur.
#[derive(Debug, Clone, Deserialize)]
pub struct SectionRule {
    pub title: String,
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    /// Words that make a matching line something else (a table's column header).
    #[serde(default)]
    pub none: Vec<String>,
    /// The section speaks of the fiscal year after its document's.
    #[serde(default)]
    pub next_year: bool,
}

impl SectionRule {
    pub fn matches(&self, normalized_line: &str) -> bool {
        (!self.all.is_empty() || !self.any.is_empty())
            && self
                .all
                .iter()
                .all(|k| normalized_line.contains(k.as_str()))
            && (self.any.is_empty()
                || self
                    .any
                    .iter()
                    .any(|k| normalized_line.contains(k.as_str())))
            && !self
                .none
                .iter()
                .any(|k| normalized_line.contains(k.as_str()))
    }
}

/// A kind of document nimo knows the structure of.
#[derive(Debug, Clone, Deserialize)]
pub struct FormLayout {
    pub kind: String,
    pub title_markers: Vec<String>,
    pub sections: Vec<SectionRule>,
}

#[derive(Deserialize)]
struct SectionsFile {
    form: Vec<FormLayout>,
    #[serde(default)]
    furniture: Vec<String>,
}

#[derive(Deserialize)]
struct AreasFile {
    areas: Vec<Area>,
}

/// The parsed lexicon, shared read-only by everything.
#[derive(Debug)]
pub struct Lexicon {
    pub normalizer: Normalizer,
    pub taxonomy: Taxonomy,
    pub gazetteer: Gazetteer,
    /// The basic figures of the 自治体情報シート and how questions name them.
    pub figures: FigureBook,
    pub forms: Vec<FormLayout>,
    pub furniture: Vec<Regex>,
    /// Base form → canonical term, after analysis.
    pub term_variants: HashMap<String, String>,
    pub stopwords: HashSet<String>,
    pub query_stopwords: HashSet<String>,
    pub trailing_frames: Vec<Regex>,
    pub leading_frames: Vec<Regex>,
    /// A question's negation cue, and how documents write negation.
    pub negation_cue: Option<Regex>,
    pub negation_words: Vec<String>,
    /// Katakana words of the topics (アウトリーチ, ピアサポーター), which people sometimes
    /// type in hiragana.
    pub katakana_words: Vec<String>,
    /// MeCab-format rows for lindera's user dictionary.
    pub userdict_csv: String,
    /// Changes whenever any lexicon file changes.
    pub fingerprint: String,
}

impl Lexicon {
    pub fn embedded() -> Arc<Lexicon> {
        Arc::new(Lexicon::parse(&LexiconFiles::embedded()).expect("the embedded lexicon is valid"))
    }

    pub fn parse(files: &LexiconFiles) -> Result<Lexicon, LexiconError> {
        let err = |what: &str, e: &dyn std::fmt::Display| LexiconError(format!("{what}: {e}"));
        let language: LanguageFile =
            toml::from_str(&files.language).map_err(|e| err("language.toml", &e))?;
        let normalizer = Normalizer::new(
            language
                .char_variant
                .iter()
                .flat_map(|v| v.from.iter().map(|f| (f.clone(), v.to.clone()))),
        );
        let topics: TopicsFile =
            toml::from_str(&files.topics).map_err(|e| err("topics.toml", &e))?;
        let mut ids = HashSet::new();
        for t in &topics.topic {
            if !ids.insert(t.id.clone()) {
                return Err(LexiconError(format!("topics.toml: duplicate id {}", t.id)));
            }
        }
        let taxonomy = Taxonomy::new(topics.topic, &normalizer);
        let areas: AreasFile = toml::from_str(&files.areas).map_err(|e| err("areas.toml", &e))?;
        let gazetteer = Gazetteer::from_tsv(&files.municipalities, areas.areas)
            .map_err(|e| err("municipalities.tsv", &e))?;
        let sections: SectionsFile =
            toml::from_str(&files.sections).map_err(|e| err("sections.toml", &e))?;
        let compile = |what: &str, patterns: &[String]| -> Result<Vec<Regex>, LexiconError> {
            patterns
                .iter()
                .map(|p| Regex::new(p).map_err(|e| err(what, &e)))
                .collect()
        };
        let norm_words = |words: &[String]| -> HashSet<String> {
            words
                .iter()
                .map(|w| normalizer.normalize(w).to_lowercase())
                .collect()
        };
        let mut term_variants = HashMap::new();
        for v in &language.term_variant {
            for f in &v.from {
                term_variants.insert(normalizer.normalize(f), normalizer.normalize(&v.to));
            }
        }
        let figures =
            FigureBook::parse(&files.figures, &normalizer).map_err(|e| err("figures.toml", &e))?;
        let katakana_words: Vec<String> = taxonomy
            .topics()
            .iter()
            .flat_map(|t| std::iter::once(&t.name).chain(t.synonyms.iter()))
            .map(|w| normalizer.normalize(w))
            .filter(|w| {
                w.chars().count() >= 3
                    && w.chars()
                        .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー'))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let negation_cue = if language.negation.cue.is_empty() {
            None
        } else {
            Some(
                Regex::new(&language.negation.cue)
                    .map_err(|e| err("language.toml negation.cue", &e.to_string()))?,
            )
        };
        Ok(Lexicon {
            negation_cue,
            negation_words: language
                .negation
                .words
                .iter()
                .map(|w| normalizer.normalize(w))
                .collect(),
            katakana_words,
            figures,
            furniture: compile("sections.toml furniture", &sections.furniture)?,
            forms: sections.form,
            trailing_frames: compile(
                "language.toml query_trailing_frames",
                &language.query_trailing_frames,
            )?,
            leading_frames: compile(
                "language.toml query_leading_frames",
                &language.query_leading_frames,
            )?,
            stopwords: norm_words(&language.stopwords),
            query_stopwords: norm_words(&language.query_stopwords),
            term_variants,
            taxonomy,
            gazetteer,
            normalizer,
            userdict_csv: files.userdict.clone(),
            fingerprint: files.fingerprint(),
        })
    }

    /// Whether a section (by title) speaks of the year after its document's.
    pub fn about_next_year(&self, section: &str) -> bool {
        self.forms
            .iter()
            .flat_map(|f| &f.sections)
            .any(|s| s.title == section && s.next_year)
    }

    pub fn form(&self, kind: &str) -> Option<&FormLayout> {
        self.forms.iter().find(|f| f.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lexicon_parses() {
        let lex = Lexicon::embedded();
        assert!(lex.taxonomy.topics().len() >= 9);
        assert_eq!(lex.gazetteer.prefectures().len(), 47);
        assert_eq!(lex.normalizer.normalize("障がい者"), "障害者");
        assert!(lex.form("事前課題").is_some());
        assert_eq!(lex.fingerprint.len(), 16);
    }

    #[test]
    fn topics_resolve_from_what_people_type() {
        let lex = Lexicon::embedded();
        let t = |s: &str| {
            lex.taxonomy
                .resolve(s, &lex.normalizer)
                .map(|t| t.id.clone())
        };
        assert_eq!(t("peer").as_deref(), Some("peer"));
        assert_eq!(t("ピアサポーター").as_deref(), Some("peer"));
        assert_eq!(t("住宅確保").as_deref(), Some("sumai"));
        assert_eq!(t("住まい").as_deref(), Some("sumai"));
        assert_eq!(t("アウトリーチ").as_deref(), Some("outreach"));
        assert_eq!(t("存在しない話題"), None);
    }

    #[test]
    fn passages_are_tagged_with_their_topics() {
        let lex = Lexicon::embedded();
        let text = lex
            .normalizer
            .normalize("精神障がい者ピアサポーターを養成し、住まいの確保を支援");
        let tags = lex.taxonomy.tag(&text);
        assert!(tags.contains(&"peer".to_string()));
        assert!(tags.contains(&"sumai".to_string()));
    }
}
