//! The ports: what the core needs from the world, implemented by adapters (tantivy for
//! the index, SQLite for the store). Tests and benchmarks can swap them.

use std::collections::HashMap;

use async_trait::async_trait;

use super::passage::Document;
use super::query::{KnownRegion, SearchRequest};
use super::search::SearchResults;

/// Errors from an index adapter. Messages are for logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct IndexError(pub String);

/// Which lexicon and which store generation an index was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    pub lexicon: String,
    pub generation: u64,
}

/// The full-text index of passages (tantivy in production).
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

/// Errors from the store. Messages are for logs, not for users.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// What the store knows of an ingested file, to skip unchanged ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFingerprint {
    pub sha256: String,
    pub lexicon: String,
}

/// A parsed document together with where it came from.
#[derive(Debug, Clone)]
pub struct SourcedDocument {
    pub document: Document,
    pub source_path: String,
    pub sha256: String,
    pub lexicon: String,
}

/// The database of documents and passages: the truth the index is derived from.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Fingerprints of every stored document, by document id.
    async fn fingerprints(&self) -> Result<HashMap<String, SourceFingerprint>, StoreError>;
    /// Replaces these documents (and their passages) in one transaction; returns the new
    /// generation.
    async fn replace_documents(&self, documents: &[SourcedDocument]) -> Result<u64, StoreError>;
    /// Removes documents; returns the new generation.
    async fn remove_documents(&self, ids: &[String]) -> Result<u64, StoreError>;
    /// Every stored document with its passages, in id order.
    async fn documents(&self) -> Result<Vec<Document>, StoreError>;
    /// Every region with passages.
    async fn regions(&self) -> Result<Vec<KnownRegion>, StoreError>;
    /// Increases with every change.
    async fn generation(&self) -> Result<u64, StoreError>;
}

/// Saved state behind a "next page" button: what was asked, so the button works after a
/// restart and its custom_id stays short.
#[async_trait]
pub trait PageStore: Send + Sync {
    /// Saves a payload (JSON) of some kind; returns a short token.
    async fn save_page(&self, kind: &str, payload: &str) -> Result<String, StoreError>;
    /// The payload saved under a token, if it is still kept.
    async fn load_page(&self, token: &str) -> Result<Option<(String, String)>, StoreError>;
    /// Forgets pages older than this many days; returns how many.
    async fn forget_pages_older_than(&self, days: i64) -> Result<u64, StoreError>;
}
