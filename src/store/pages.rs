//! Saved pagination state.

use async_trait::async_trait;
use rand::Rng;
use sqlx::Row;

use super::{Store, db_err};
use crate::domain::ports::{PageStore, StoreError};

/// 12 characters from a 62-letter alphabet: about 71 bits, unguessable and short.
fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[async_trait]
impl PageStore for Store {
    async fn save_page(&self, kind: &str, payload: &str) -> Result<String, StoreError> {
        let token = new_token();
        sqlx::query("INSERT INTO pages (token, kind, payload, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&token)
            .bind(kind)
            .bind(payload)
            .bind(self.now())
            .execute(&self.pool)
            .await
            .map_err(db_err("saving page"))?;
        Ok(token)
    }

    async fn load_page(&self, token: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT kind, payload FROM pages WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("loading page"))?;
        Ok(row.map(|r| (r.get("kind"), r.get("payload"))))
    }

    async fn forget_pages_older_than(&self, days: i64) -> Result<u64, StoreError> {
        let cutoff = (self.clock.now() - chrono::Duration::days(days)).to_rfc3339();
        let done = sqlx::query("DELETE FROM pages WHERE created_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map_err(db_err("forgetting pages"))?;
        Ok(done.rows_affected())
    }
}
