//! The durable truth, through sqlx: SQLite (one file, the default) or PostgreSQL (several
//! processes on several machines). All SQL of nimo lives under this module, and it is the
//! same SQL on both engines (sqlx's `Any` driver; `$1` placeholders, `ON CONFLICT`,
//! `RETURNING`), so both mean the same by construction and the tests run on both. What
//! differs is confined to here: the migrations (`migrations/sqlite`, `migrations/postgres`),
//! how a write transaction takes the write lock (`write`), and the lease (`lease.rs`).

mod assignments;
pub mod copy;
mod documents;
pub mod lease;
mod meetings;
mod nodes;
mod pages;
mod reminders;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::ports::StoreError;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine of `sqlite:…`, `postgres://…` or `postgresql://…`.
    pub fn of(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// The URL of an SQLite file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    // sqlx percent-decodes the file name; '%', '?' and '#' must not be read as syntax.
    let mut name = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => name.push_str("%25"),
            '?' => name.push_str("%3F"),
            '#' => name.push_str("%23"),
            c => name.push(c),
        }
    }
    format!("sqlite://{name}?mode=rwc")
}

/// A URL with its password hidden (`user:password@` and `?password=…`), and SQLite's
/// `mode=rwc` left out, for logs and `nimo status`.
pub fn redacted(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = redacted_userinfo(base);
    let kept: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && *p != "mode=rwc")
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

fn redacted_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The database. Times it records (answers, submissions) come from its clock.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    url: Arc<str>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
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

/// One key for every write transaction on PostgreSQL (see `Store::write`); the lease uses
/// another (`lease::LEADER_KEY`).
const WRITE_LOCK_KEY: i64 = 0x6e69_6d6f_0000_0001;

/// Advisory lock classes of the (class, key) kind, a key space apart from the single
/// 64-bit keys above.
const LOCK_CLASS_PERSON: i32 = 1;
const LOCK_CLASS_SUBMISSION: i32 = 2;

/// A 32-bit key for a text (FNV-1a). Two texts sharing a key only queue behind each other.
fn text_key(text: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

async fn lock_pair(tx: &mut sqlx::AnyConnection, class: i32, key: i32) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(class)
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_err("taking a turn's lock"))?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the SQLite database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::new(format!("creating {}", dir.display()), e))?;
        }
        Self::connect(&sqlite_url(path)).await
    }

    /// Opens the database a URL names (`sqlite://FILE` or `postgres://…`, created when
    /// missing for SQLite) and applies pending migrations. On PostgreSQL several processes
    /// may do this at once (sqlx's migrator takes a lock); on SQLite it does not.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of(url).ok_or_else(|| {
            StoreError::msg("the database URL must start with sqlite:// or postgres://")
        })?;
        // An SQLite file named by the operator is created when missing, as the default is.
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                if url.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            _ => url.to_string(),
        };
        let url = url.as_str();
        let pool = match engine {
            Engine::Sqlite => AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; NORMAL is durable with
                        // WAL at every checkpoint; writers wait for each other up to 10 s.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await
                        .map(|_| ())
                    })
                })
                .connect(url)
                .await
                .map_err(db_err("opening database"))?,
            Engine::Postgres => {
                // One connection first: the pool would only say it timed out; this says
                // why (refused, unknown host, wrong password, no such database).
                let probe = tokio::time::timeout(
                    Duration::from_secs(10),
                    <sqlx::AnyConnection as sqlx::Connection>::connect(url),
                )
                .await
                .map_err(|_| StoreError::msg("connecting to PostgreSQL: no answer in 10 s"))?
                .map_err(db_err("connecting to PostgreSQL"))?;
                let _ = sqlx::Connection::close(probe).await;
                AnyPoolOptions::new()
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // A process that vanishes inside a transaction must not keep
                            // the write lock for hours: the server ends such a session
                            // after a minute idle in it, or when keepalives go unanswered.
                            conn.execute(
                                "SET idle_in_transaction_session_timeout = '60s';
                                 SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;
                                 SET tcp_keepalives_count = 3",
                            )
                            .await
                            .map(|_| ())
                        })
                    })
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .map_err(db_err("connecting to PostgreSQL"))?
            }
        };
        Self::migrate(pool, engine, url).await
    }

    /// A private in-memory SQLite database (tests, benchmarks).
    pub async fn in_memory() -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        // One connection: every connection to :memory: is a different database.
        let url = "sqlite::memory:";
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| {
                Box::pin(async move { conn.execute("PRAGMA foreign_keys = ON;").await.map(|_| ()) })
            })
            .connect(url)
            .await
            .map_err(db_err("opening in-memory database"))?;
        Self::migrate(pool, Engine::Sqlite, url).await
    }

    async fn migrate(pool: AnyPool, engine: Engine, url: &str) -> Result<Store, StoreError> {
        let migrator = match engine {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::new("applying migrations", e))?;
        Ok(Store {
            pool,
            engine,
            url: url.into(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same database, recording times from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL it was opened with (the password included: never log it, see `redacted`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// A write transaction holding the database's write lock from its first statement, so
    /// that what it reads is what it changes, whoever else writes (another person of the
    /// region, another terminal, another process on another machine): every
    /// read-modify-write in this module is atomic in the database.
    ///
    /// SQLite: `BEGIN IMMEDIATE` (a deferred `BEGIN` would read first and fail to upgrade
    /// with "database is locked" when another connection wrote in between). PostgreSQL: a
    /// transaction-scoped advisory lock, released at commit or rollback, the same for every
    /// writer of every process — so writers queue exactly as on SQLite, generations are
    /// committed in the order they are numbered, and no statement needs a dialect of its
    /// own.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.engine {
            Engine::Sqlite => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(db_err("begin")),
            Engine::Postgres => {
                let mut tx = self.pool.begin().await.map_err(db_err("begin"))?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("taking the write lock"))?;
                Ok(tx)
            }
        }
    }

    /// The transaction of a 事前課題 turn, the one read-modify-write of conversations,
    /// answers and submissions (nothing else changes them but inserting a new submission).
    /// SQLite: the write lock, as every write. PostgreSQL: locks of this person and then
    /// (`lock_submission`) of the submission, so turns of different regions run side by
    /// side while two writers of one form — the same person in two places, two staff of
    /// one region, in any process — still queue. Locks are always taken person first,
    /// then submission: no cycle.
    pub(crate) async fn turn_transaction(
        &self,
        person: &crate::domain::people::PersonId,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.engine {
            Engine::Sqlite => self.write().await,
            Engine::Postgres => {
                let mut tx = self.pool.begin().await.map_err(db_err("begin"))?;
                lock_pair(&mut tx, LOCK_CLASS_PERSON, text_key(&person.to_string())).await?;
                Ok(tx)
            }
        }
    }

    /// Within a turn's transaction, queues behind any other turn on this submission.
    pub(crate) async fn lock_submission(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: crate::domain::ids::SubmissionId,
    ) -> Result<(), StoreError> {
        match self.engine {
            Engine::Sqlite => Ok(()),
            Engine::Postgres => lock_pair(tx, LOCK_CLASS_SUBMISSION, id.get() as i32).await,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{Engine, redacted, sqlite_url};

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("postgres://nimo:hunter2@db/nimo"),
            "postgres://nimo:***@db/nimo"
        );
        assert_eq!(
            redacted("postgres://nimo@db/nimo?password=hunter2&sslmode=require"),
            "postgres://nimo@db/nimo?password=***&sslmode=require"
        );
        assert_eq!(redacted("postgres://db/nimo"), "postgres://db/nimo");
        assert_eq!(
            redacted(&sqlite_url(std::path::Path::new(
                "/var/lib/nimo/nimo.sqlite"
            ))),
            "sqlite:///var/lib/nimo/nimo.sqlite"
        );
    }

    #[test]
    fn engines_by_url() {
        assert_eq!(Engine::of("sqlite:///x"), Some(Engine::Sqlite));
        assert_eq!(Engine::of("postgresql://h/d"), Some(Engine::Postgres));
        assert_eq!(Engine::of("mysql://h/d"), None);
        // '?', '#' and '%' in a file name are not URL syntax.
        assert_eq!(
            sqlite_url(std::path::Path::new("/tmp/a?b#c%d.sqlite")),
            "sqlite:///tmp/a%3Fb%23c%25d.sqlite?mode=rwc"
        );
    }
}
