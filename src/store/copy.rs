//! Copying a whole database into another (`nimo migrate-to`): SQLite to PostgreSQL, or
//! back. Every table in an order that satisfies the foreign keys, in one transaction on
//! the target, verified by counting both sides.

use sqlx::Row;

use super::{Engine, Store, db_err};
use crate::domain::ports::StoreError;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
}
use Kind::{Int, Text};

/// Every table and its columns, parents before children.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    ("store_generation", &[("id", Int), ("generation", Int)]),
    (
        "documents",
        &[
            ("id", Text),
            ("source_path", Text),
            ("sha256", Text),
            ("lexicon", Text),
            ("title", Text),
            ("form", Text),
            ("fiscal_year", Int),
            ("sheets", Int),
            ("warnings", Text),
            ("ingested_at", Text),
            ("generation", Int),
        ],
    ),
    (
        "passages",
        &[
            ("id", Text),
            ("document_id", Text),
            ("ordinal", Int),
            ("region_name", Text),
            ("region_key", Text),
            ("region_path", Text),
            ("prefecture", Text),
            ("region_kind", Text),
            ("region_source", Text),
            ("fiscal_year", Int),
            ("form", Text),
            ("section", Text),
            ("topics", Text),
            ("body", Text),
        ],
    ),
    (
        "figures",
        &[
            ("document_id", Text),
            ("ordinal", Int),
            ("region_key", Text),
            ("region", Text),
            ("figure_id", Text),
            ("figure", Text),
        ],
    ),
    ("removed_documents", &[("id", Text), ("generation", Int)]),
    (
        "pages",
        &[
            ("token", Text),
            ("kind", Text),
            ("payload", Text),
            ("created_at", Text),
        ],
    ),
    (
        "forms",
        &[
            ("id", Text),
            ("version", Text),
            ("definition", Text),
            ("loaded_at", Text),
        ],
    ),
    (
        "meetings",
        &[
            ("id", Int),
            ("name", Text),
            ("fiscal_year", Int),
            ("form_id", Text),
            ("form_version", Text),
            ("deadline", Text),
            ("meeting_date", Text),
            ("created_at", Text),
            ("channel_id", Text),
            ("policy", Text),
        ],
    ),
    (
        "people",
        &[("id", Text), ("name", Text), ("created_at", Text)],
    ),
    (
        "grants",
        &[
            ("person_id", Text),
            ("role", Text),
            ("region_key", Text),
            ("region_name", Text),
            ("status", Text),
            ("updated_at", Text),
            ("decided_by", Text),
        ],
    ),
    (
        "meeting_regions",
        &[
            ("meeting_id", Int),
            ("region_key", Text),
            ("region_name", Text),
        ],
    ),
    (
        "meeting_organizers",
        &[("meeting_id", Int), ("person_id", Text)],
    ),
    (
        "submissions",
        &[
            ("id", Int),
            ("meeting_id", Int),
            ("region_key", Text),
            ("region_name", Text),
            ("form_id", Text),
            ("form_version", Text),
            ("submitted_version", Int),
            ("amended", Int),
            ("created_at", Text),
            ("updated_at", Text),
            ("submitted_at", Text),
        ],
    ),
    (
        "answers",
        &[
            ("submission_id", Int),
            ("question_id", Text),
            ("value", Text),
            ("updated_at", Text),
            ("updated_by", Text),
        ],
    ),
    (
        "submission_versions",
        &[
            ("submission_id", Int),
            ("version", Int),
            ("answers", Text),
            ("submitted_at", Text),
            ("submitted_by", Text),
        ],
    ),
    (
        "conversations",
        &[
            ("person_id", Text),
            ("submission_id", Int),
            ("cursor", Text),
            ("active", Int),
            ("updated_at", Text),
            ("last_message", Int),
        ],
    ),
    (
        "reminder_steps",
        &[
            ("meeting_id", Int),
            ("step", Text),
            ("audience", Text),
            ("due_at", Text),
            ("state", Text),
            ("claimed_by", Text),
            ("claim_until", Text),
            ("settled_at", Text),
        ],
    ),
    (
        "deliveries",
        &[
            ("id", Int),
            ("meeting_id", Int),
            ("step", Text),
            ("recipient", Text),
            ("region_key", Text),
            ("notice", Text),
            ("nonce", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Text),
            ("claimed_by", Text),
            ("claim_until", Text),
            ("via", Text),
            ("error", Text),
            ("created_at", Text),
            ("sent_at", Text),
        ],
    ),
];

/// Tables whose ids a sequence hands out on PostgreSQL (moved past the copied ids).
const IDENTITIES: &[&str] = &["meetings", "submissions", "deliveries"];

/// One table's rows in the source and in the target after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

impl CopiedTable {
    /// Whether the target holds what the source held (the built-in forms may be more).
    pub fn complete(&self) -> bool {
        self.target == self.source || (SEEDED.contains(&self.table) && self.target > self.source)
    }
}

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target already holds data of its own; nothing was written.
    #[error("the target database is not empty ({table} has {rows} rows)")]
    TargetNotEmpty { table: &'static str, rows: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn count(db: &mut sqlx::AnyConnection, table: &str) -> Result<u64, StoreError> {
    let row = sqlx::query(&format!("SELECT count(*) AS n FROM {table}"))
        .fetch_one(db)
        .await
        .map_err(db_err("counting rows"))?;
    Ok(row.get::<i64, _>("n") as u64)
}

/// Tables nimo fills by itself when it opens a database (the built-in forms): present in
/// a target that was opened once before, copied without conflict, and never fewer than
/// in the source.
const SEEDED: &[&str] = &["forms"];

/// Copies every row of `from` into `to`, which must be empty (freshly migrated). All or
/// nothing: one transaction on the target, under its write lock.
pub async fn copy_all(from: &Store, to: &Store) -> Result<Vec<CopiedTable>, CopyError> {
    {
        let mut target = to.pool.acquire().await.map_err(db_err("connecting"))?;
        for (table, _) in TABLES.iter().skip(1) {
            if SEEDED.contains(table) {
                continue;
            }
            let rows = count(&mut target, table).await?;
            if rows > 0 {
                return Err(CopyError::TargetNotEmpty { table, rows });
            }
        }
    }
    // One snapshot of the source, whatever runs meanwhile: a read transaction (repeatable
    // read on PostgreSQL; on SQLite its first read fixes the snapshot).
    let mut source = from.pool.begin().await.map_err(db_err("begin"))?;
    if from.engine() == Engine::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *source)
            .await
            .map_err(db_err("a snapshot of the source"))?;
        // Each side waits while the other works: not idle in the sense the server's
        // one-minute limit means.
        sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0")
            .execute(&mut *source)
            .await
            .map_err(db_err("a snapshot of the source"))?;
    }
    let mut source_counts = Vec::new();
    let mut tx = to.write().await?;
    if to.engine() == Engine::Postgres {
        sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0")
            .execute(&mut *tx)
            .await
            .map_err(db_err("preparing the target"))?;
    }
    sqlx::query("DELETE FROM store_generation")
        .execute(&mut *tx)
        .await
        .map_err(db_err("clearing the generation"))?;
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({}){}",
            names.join(", "),
            placeholders.join(", "),
            if SEEDED.contains(table) {
                " ON CONFLICT DO NOTHING"
            } else {
                ""
            }
        );
        let rows = sqlx::query(&select)
            .fetch_all(&mut *source)
            .await
            .map_err(db_err("reading the source"))?;
        source_counts.push(rows.len() as u64);
        for row in &rows {
            let mut q = sqlx::query(&insert);
            for (i, (_, kind)) in columns.iter().enumerate() {
                q = match kind {
                    Text => q.bind(row.get::<Option<String>, _>(i)),
                    Int => q.bind(row.get::<Option<i64>, _>(i)),
                };
            }
            q.execute(&mut *tx)
                .await
                .map_err(|e| StoreError::new(format!("copying a row of {table}"), e))?;
        }
    }
    if to.engine() == Engine::Postgres {
        for table in IDENTITIES {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await
            .map_err(db_err("moving an id sequence"))?;
        }
    }
    tx.commit().await.map_err(db_err("commit"))?;
    let _ = source.rollback().await;
    let mut target = to.pool.acquire().await.map_err(db_err("connecting"))?;
    let mut report = Vec::new();
    for ((table, _), source) in TABLES.iter().zip(source_counts) {
        report.push(CopiedTable {
            table,
            source,
            target: count(&mut target, table).await?,
        });
    }
    Ok(report)
}
