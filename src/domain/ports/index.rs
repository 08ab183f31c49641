//! The full-text index of passages (tantivy in production).

use super::IndexError;
use crate::domain::search::passage::Document;
use crate::domain::search::query::SearchRequest;
use crate::domain::search::results::SearchResults;

/// Which lexicon and which store generation an index was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    pub lexicon: String,
    pub generation: u64,
}

pub trait PassageIndex: Send + Sync {
    /// Replaces, in one commit, every passage of the given documents and removes the
    /// documents listed in `removed`; records the store generation it reflects.
    fn replace_documents(
        &self,
        documents: &[Document],
        removed: &[String],
        generation: u64,
    ) -> Result<(), IndexError>;
    /// Searches; an empty request text lists the filtered passages in document order.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError>;
    /// Number of passages indexed.
    fn passage_count(&self) -> Result<usize, IndexError>;
    /// What the index was last committed from, if it was ever committed.
    fn state(&self) -> Result<Option<IndexState>, IndexError>;
    /// The lexicon fingerprint this index process analyzes with.
    fn lexicon(&self) -> String;
    /// Drops everything and indexes these documents (a rebuild from the store).
    fn rebuild(&self, documents: &[Document], generation: u64) -> Result<(), IndexError>;
}
