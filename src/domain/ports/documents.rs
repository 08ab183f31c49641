//! Ingested documents and their passages: the truth the index is derived from. And the
//! state behind paging buttons.

use std::collections::HashMap;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::search::figures::Figure;
use crate::domain::search::passage::Document;
use crate::domain::search::query::KnownRegion;
use crate::domain::search::region::Region;

/// What the store knows of an ingested file: to skip unchanged ones, and to notice a
/// new copy that would lose most of what the old one said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFingerprint {
    pub sha256: String,
    pub lexicon: String,
    pub sheets: usize,
    pub passages: usize,
}

/// A parsed document together with where it came from.
#[derive(Debug, Clone)]
pub struct SourcedDocument {
    pub document: Document,
    pub source_path: String,
    pub sha256: String,
    pub lexicon: String,
}

/// A figure of a region, with the document that states it (or leaves it blank).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FigureRecord {
    pub document: String,
    pub document_title: String,
    pub fiscal_year: Option<i32>,
    pub region: Region,
    pub figure: Figure,
}

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
    /// Every basic figure of every region's sheet, in document order.
    async fn figures(&self) -> Result<Vec<FigureRecord>, StoreError>;
    /// Increases with every change.
    async fn generation(&self) -> Result<u64, StoreError>;
    /// What changed after `generation`: the documents written since (whole) and the ids
    /// removed since, as of the returned generation. A process following the database
    /// applies these to its own search index.
    async fn changes_since(&self, generation: u64) -> Result<DocumentChanges, StoreError>;
}

/// Documents written and removed after some generation (`DocumentStore::changes_since`).
#[derive(Debug, Clone, Default)]
pub struct DocumentChanges {
    pub generation: u64,
    pub documents: Vec<Document>,
    pub removed: Vec<String>,
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
