//! Japanese text analysis on lindera 6.2 (IPADIC), shaped like Elasticsearch's kuromoji
//! analyzer: width normalization (NFKC) and spelling-variant folding → morphological
//! segmentation (with nimo's user dictionary) → base forms → part-of-speech and word
//! stops → katakana long-vowel stem → lowercase. A second analysis produces character
//! bigrams for recall inside compounds and for short words like ピア.
//!
//! Offsets always point into the author's original text, so highlights show their spelling.

use std::borrow::Cow;
use std::sync::Arc;

use lindera::dictionary::{DictionaryBuilder, DictionaryKind, Lattice, load_embedded_dictionary};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

use crate::domain::search::lexicon::Lexicon;
use crate::domain::text::{is_japanese_char, is_katakana};

/// One indexed or query term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The normalized term as indexed.
    pub text: String,
    /// The normalized surface it came from (before base form and stemming).
    pub surface: String,
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
    /// Position in the token sequence; stopped words leave gaps, so phrases stay exact.
    pub position: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("japanese analyzer: {0}")]
pub struct AnalyzerError(String);

/// The Japanese analyzer. Cheap to share (`Arc`); every call takes its own lattice.
pub struct JapaneseAnalyzer {
    segmenter: Segmenter,
    lexicon: Arc<Lexicon>,
}

impl std::fmt::Debug for JapaneseAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JapaneseAnalyzer").finish_non_exhaustive()
    }
}

/// Parts of speech that carry no meaning for retrieval (IPADIC tags).
fn is_stop_pos(pos: &[&str]) -> bool {
    let major = pos.first().copied().unwrap_or("");
    let sub1 = pos.get(1).copied().unwrap_or("");
    let sub2 = pos.get(2).copied().unwrap_or("");
    match major {
        "助詞" | "助動詞" | "記号" | "フィラー" | "接続詞" | "感動詞" | "その他" | "連体詞"
        | "接頭詞" | "副詞" => true,
        "動詞" | "形容詞" => matches!(sub1, "非自立" | "接尾"),
        "名詞" => matches!(sub1, "非自立" | "代名詞") || (sub1 == "接尾" && sub2 == "助数詞"),
        _ => false,
    }
}

/// Lowercase. After NFKC every letter with case that matters here is ASCII, so the
/// cheaper ASCII fold is enough and keeps byte offsets intact.
fn ascii_lower(s: &str) -> String {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s.to_ascii_lowercase()
    } else {
        s.to_string()
    }
}

/// Katakana words of four or more characters lose a final long-vowel mark, so
/// サポーター and サポータ (and コーディネーター/コーディネータ) meet.
fn katakana_stem(term: &mut String) {
    if term.ends_with('ー') && is_katakana(term) && term.chars().count() >= 4 {
        term.pop();
    }
}

impl JapaneseAnalyzer {
    /// Loads the embedded IPADIC and builds the user dictionary from the lexicon.
    pub fn new(lexicon: Arc<Lexicon>) -> Result<JapaneseAnalyzer, AnalyzerError> {
        let dictionary = load_embedded_dictionary(DictionaryKind::IPADIC)
            .map_err(|e| AnalyzerError(format!("loading IPADIC: {e}")))?;
        let user_dictionary = if lexicon.userdict_csv.trim().is_empty() {
            None
        } else {
            let builder = DictionaryBuilder::new((*dictionary.metadata).clone());
            Some(
                builder
                    .build_user_dict_from_reader(lexicon.userdict_csv.as_bytes())
                    .map_err(|e| {
                        AnalyzerError(format!("user dictionary (index/userdict.csv): {e}"))
                    })?,
            )
        };
        let segmenter = Segmenter::new(Mode::Normal, dictionary, user_dictionary);
        Ok(JapaneseAnalyzer { segmenter, lexicon })
    }

    pub fn lexicon(&self) -> &Arc<Lexicon> {
        &self.lexicon
    }

    /// Morphological terms of `text`, appended to `out`.
    pub fn morph(&self, text: &str, lattice: &mut Lattice, out: &mut Vec<Term>) {
        let normalized = self.lexicon.normalizer.normalize_with_offsets(text);
        let Ok(mut tokens) = self
            .segmenter
            .segment_with_lattice(Cow::Borrowed(normalized.text.as_str()), lattice)
        else {
            // Segmentation only fails on internal dictionary errors; fall back to bigrams so
            // the text stays findable rather than failing the whole document.
            self.bigrams(text, out);
            return;
        };
        for (position, token) in tokens.iter_mut().enumerate() {
            let surface = ascii_lower(&token.surface);
            let (byte_start, byte_end) = (token.byte_start, token.byte_end);
            let details = token.details();
            if details.first() == Some(&"UNK") {
                // Unknown category without features: keep the surface.
            } else if is_stop_pos(&details) {
                continue;
            }
            let base = match details.first().copied() {
                Some("動詞") | Some("形容詞") => details.get(6).copied().filter(|b| *b != "*"),
                _ => None,
            };
            let mut term = base
                .map(str::to_lowercase)
                .unwrap_or_else(|| surface.clone());
            katakana_stem(&mut term);
            if let Some(canonical) = self.lexicon.term_variants.get(&term) {
                term = canonical.clone();
            }
            // IPADIC files unknown symbol runs ("()") as nouns: keep only terms with letters.
            if !term.chars().any(char::is_alphanumeric) || self.lexicon.stopwords.contains(&term) {
                continue;
            }
            let (start, end) = normalized.original_range(byte_start, byte_end);
            out.push(Term {
                text: term,
                surface,
                start,
                end,
                position,
            });
        }
    }

    /// Character bigrams of Japanese runs (a run of one character stays a unigram) and
    /// whole Latin/digit words, appended to `out`.
    pub fn bigrams(&self, text: &str, out: &mut Vec<Term>) {
        let normalized = self.lexicon.normalizer.normalize_with_offsets(text);
        let chars: Vec<(usize, char)> = normalized.text.char_indices().collect();
        let end_of = |k: usize| {
            chars
                .get(k + 1)
                .map(|c| c.0)
                .unwrap_or(normalized.text.len())
        };
        let mut position = 0;
        let mut push = |s: usize, e: usize, out: &mut Vec<Term>| {
            let text = ascii_lower(&normalized.text[s..e]);
            let (start, end) = normalized.original_range(s, e);
            out.push(Term {
                surface: text.clone(),
                text,
                start,
                end,
                position,
            });
            position += 1;
        };
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k].1;
            if is_japanese_char(c) {
                let run_start = k;
                while k < chars.len() && is_japanese_char(chars[k].1) {
                    k += 1;
                }
                if k - run_start == 1 {
                    push(chars[run_start].0, end_of(run_start), out);
                } else {
                    for (j, &(start, _)) in chars.iter().enumerate().take(k - 1).skip(run_start) {
                        push(start, end_of(j + 1), out);
                    }
                }
            } else if c.is_alphanumeric() {
                let run_start = k;
                while k < chars.len()
                    && chars[k].1.is_alphanumeric()
                    && !is_japanese_char(chars[k].1)
                {
                    k += 1;
                }
                push(chars[run_start].0, end_of(k - 1), out);
            } else {
                k += 1;
            }
        }
    }

    /// The content terms of a question: the morphological terms without question words.
    pub fn query_terms(&self, text: &str) -> Vec<Term> {
        let mut lattice = Lattice::default();
        let mut terms = Vec::new();
        self.morph(text, &mut lattice, &mut terms);
        terms.retain(|t| !self.lexicon.query_stopwords.contains(&t.text));
        terms
    }

    /// Convenience for tests and tools: the morphological terms as strings.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut lattice = Lattice::default();
        let mut out = Vec::new();
        self.morph(text, &mut lattice, &mut out);
        out.into_iter().map(|t| t.text).collect()
    }
}

#[cfg(test)]
mod tests;
