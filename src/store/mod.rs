//! SQLite through sqlx: the durable truth. All SQL of nimo lives under this module.

mod assignments;
mod documents;
mod meetings;
mod pages;
mod reminders;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::ports::StoreError;

/// The database. Times it records (answers, submissions) come from its clock.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Turns a database error into a store error saying what was being done.
pub(crate) fn db_err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| StoreError::new(context, e)
}

/// A JSON column that could not be written or read back.
pub(crate) fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::new("json column", e)
}

/// A time column written by `to_rfc3339` or `ts`.
pub(crate) fn time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::new(format!("time column {s:?}"), e))
}

/// Times that are compared as text in SQL (the schedule and the outbox): always UTC,
/// whole seconds, 'Z'.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::new(format!("creating {}", dir.display()), e))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db_err("opening database"))?;
        Self::migrate(pool).await
    }

    /// A private in-memory database (tests, benchmarks).
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(db_err("in-memory options"))?
            .foreign_keys(true);
        // One connection: every connection to :memory: is a different database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(db_err("opening in-memory database"))?;
        Self::migrate(pool).await
    }

    async fn migrate(pool: SqlitePool) -> Result<Store, StoreError> {
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::new("applying migrations", e))?;
        Ok(Store {
            pool,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same database, recording times from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    pub(crate) fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// A write transaction that takes SQLite's write lock up front. A plain (deferred)
    /// `BEGIN` reads first and upgrades later; when another connection wrote in between,
    /// the upgrade fails at once with "database is locked" and the busy timeout does not
    /// help. Taking the lock at BEGIN makes concurrent writers queue instead.
    pub(crate) async fn write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err("begin"))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
