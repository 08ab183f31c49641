//! Search results and the port the index adapter implements.

use std::time::Duration;

use serde::Serialize;

use super::passage::{Document, Passage};
use super::query::SearchRequest;
use super::snippet::Snippet;

/// One passage found, with why it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub passage: Passage,
    pub score: f32,
    pub snippet: Snippet,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Passages matching before paging and the per-region cap.
    pub total: usize,
    /// True when there are more hits after this page.
    pub more: bool,
    #[serde(skip)]
    pub took: Duration,
}

/// Errors from an index adapter. Messages are for logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct IndexError(pub String);

/// The full-text index of passages (tantivy in production).
pub trait PassageIndex: Send + Sync {
    /// Replaces, in one commit, every passage of the given documents and removes the
    /// documents listed in `removed`.
    fn replace_documents(&self, documents: &[Document], removed: &[String]) -> Result<(), IndexError>;
    /// Searches; an empty request text lists the filtered passages in document order.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError>;
    /// Number of passages indexed.
    fn passage_count(&self) -> Result<usize, IndexError>;
    /// The fingerprint of the lexicon the index was built with, if any.
    fn lexicon_fingerprint(&self) -> Result<Option<String>, IndexError>;
    /// Drops everything and indexes these documents (a rebuild from the database).
    fn rebuild(&self, documents: &[Document]) -> Result<(), IndexError>;
}
