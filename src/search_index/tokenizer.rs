//! tantivy tokenizers over the Japanese analyzer (an own adapter: lindera-tantivy pins an
//! older lindera). Each tokenizer clone keeps its own lattice and token buffer, so tantivy's
//! indexing threads never share mutable state.

use std::sync::Arc;

use lindera::dictionary::Lattice;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::analysis::{JapaneseAnalyzer, Term};

pub const MORPH: &str = "ja_morph";
pub const BIGRAM: &str = "ja_bigram";

#[derive(Clone, Copy, Debug)]
enum Mode {
    Morph,
    Bigram,
}

pub struct JapaneseTokenizer {
    analyzer: Arc<JapaneseAnalyzer>,
    mode: Mode,
    lattice: Lattice,
    terms: Vec<Term>,
}

impl Clone for JapaneseTokenizer {
    fn clone(&self) -> Self {
        JapaneseTokenizer {
            analyzer: self.analyzer.clone(),
            mode: self.mode,
            lattice: Lattice::default(),
            terms: Vec::new(),
        }
    }
}

impl JapaneseTokenizer {
    pub fn morph(analyzer: Arc<JapaneseAnalyzer>) -> Self {
        JapaneseTokenizer {
            analyzer,
            mode: Mode::Morph,
            lattice: Lattice::default(),
            terms: Vec::new(),
        }
    }

    pub fn bigram(analyzer: Arc<JapaneseAnalyzer>) -> Self {
        JapaneseTokenizer {
            analyzer,
            mode: Mode::Bigram,
            lattice: Lattice::default(),
            terms: Vec::new(),
        }
    }
}

pub struct JapaneseTokenStream<'a> {
    terms: &'a [Term],
    next: usize,
    token: Token,
}

impl Tokenizer for JapaneseTokenizer {
    type TokenStream<'a> = JapaneseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JapaneseTokenStream<'a> {
        self.terms.clear();
        match self.mode {
            Mode::Morph => self
                .analyzer
                .morph(text, &mut self.lattice, &mut self.terms),
            Mode::Bigram => self.analyzer.bigrams(text, &mut self.terms),
        }
        JapaneseTokenStream {
            terms: &self.terms,
            next: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for JapaneseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(term) = self.terms.get(self.next) else {
            return false;
        };
        self.next += 1;
        self.token.offset_from = term.start;
        self.token.offset_to = term.end;
        self.token.position = term.position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(&term.text);
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}
