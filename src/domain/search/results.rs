//! Search results.

use std::time::Duration;

use serde::Serialize;

use super::passage::Passage;
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
    /// Passages that speak of every part of the question (they are ranked first); the
    /// rest of `total` matches only some of it.
    pub complete: usize,
    /// Parts of the question (as asked) that no passage within the filters mentions at
    /// all: what the documents do not say.
    pub missing: Vec<String>,
    /// How many parts the question has (0 for a listing).
    pub parts: usize,
    #[serde(skip)]
    pub took: Duration,
}

impl SearchResults {
    /// 「12件」, or 「3件（一部の語に一致するものを含め70件）」: what meets the question first.
    pub fn count_text(&self) -> String {
        if self.complete > 0 && self.complete < self.total {
            format!(
                "{}件（一部の語に一致するものを含め{}件）",
                self.complete, self.total
            )
        } else {
            format!("{}件", self.total)
        }
    }

    /// The places (1-based, inclusive) of this page's hits among all of them; None when
    /// the page starts past the last hit.
    pub fn page(&self, offset: usize) -> Option<(usize, usize)> {
        (!self.hits.is_empty()).then(|| {
            (
                offset.saturating_add(1),
                offset.saturating_add(self.hits.len()),
            )
        })
    }
}
