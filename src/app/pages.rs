//! What a paging button stands for: the question (or roster) behind it, kept in the
//! database so the button works after a restart and its id stays short.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AppError;
use crate::domain::ports::PageStore;

/// Days a paging button keeps working.
pub const PAGES_KEPT_DAYS: i64 = 30;

pub struct Pages {
    store: Arc<dyn PageStore>,
}

impl Pages {
    pub fn new(store: Arc<dyn PageStore>) -> Pages {
        Pages { store }
    }

    /// Saves what a page shows under a new token. Paging is a convenience: when this
    /// fails, the answer goes out without buttons (logged), so it returns no error.
    pub async fn save(&self, kind: &str, payload: &impl Serialize) -> Option<String> {
        let json = serde_json::to_string(payload).ok()?;
        match self.store.save_page(kind, &json).await {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::warn!(error = %crate::app::error::chain(&e), "could not save a page; answering without paging buttons");
                None
            }
        }
    }

    /// What a token stands for, if it is still kept and is of this kind.
    pub async fn load<T: DeserializeOwned>(
        &self,
        kind: &str,
        token: &str,
    ) -> Result<Option<T>, AppError> {
        match self.store.load_page(token).await? {
            Some((k, payload)) if k == kind => serde_json::from_str(&payload)
                .map(Some)
                .map_err(|e| AppError::caused("a saved page", e)),
            _ => Ok(None),
        }
    }

    /// Forgets pages older than `PAGES_KEPT_DAYS` (at start-up).
    pub async fn forget_old(&self) {
        match self.store.forget_pages_older_than(PAGES_KEPT_DAYS).await {
            Ok(n) if n > 0 => tracing::info!(forgotten = n, "old paging state removed"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %crate::app::error::chain(&e), "could not remove old paging state")
            }
        }
    }
}
