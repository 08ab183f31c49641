//! Each process's record of itself, and the lease as its holder recorded it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, db_err, time, ts};
use crate::domain::ports::{ClusterStore, LeaseRecord, NodeRecord, NodeRole, StoreError};

/// Records of processes not seen for this long are forgotten at the next heartbeat.
const FORGET_AFTER_DAYS: i64 = 1;

#[async_trait]
impl ClusterStore for Store {
    async fn heartbeat(&self, node: &NodeRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO nodes (id, host, pid, role, index_generation, started_at, seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET role = excluded.role,
                index_generation = excluded.index_generation, seen_at = excluded.seen_at",
        )
        .bind(&node.id)
        .bind(&node.host)
        .bind(i64::from(node.pid))
        .bind(node.role.as_str())
        .bind(node.index_generation as i64)
        .bind(ts(node.started_at))
        .bind(ts(node.seen_at))
        .execute(&self.pool)
        .await
        .map_err(db_err("recording this process"))?;
        sqlx::query("DELETE FROM nodes WHERE seen_at < $1")
            .bind(ts(node.seen_at - chrono::Duration::days(FORGET_AFTER_DAYS)))
            .execute(&self.pool)
            .await
            .map_err(db_err("forgetting old processes"))?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<NodeRecord>, StoreError> {
        sqlx::query("SELECT * FROM nodes ORDER BY seen_at DESC, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading processes"))?
            .iter()
            .map(|r| {
                Ok(NodeRecord {
                    id: r.get("id"),
                    host: r.get("host"),
                    pid: r.get::<i64, _>("pid") as u32,
                    role: NodeRole::parse(r.get("role")).unwrap_or(NodeRole::Stopped),
                    index_generation: r.get::<i64, _>("index_generation") as u64,
                    started_at: time(r.get("started_at"))?,
                    seen_at: time(r.get("seen_at"))?,
                })
            })
            .collect()
    }

    async fn lease_record(&self) -> Result<Option<LeaseRecord>, StoreError> {
        let row = sqlx::query("SELECT holder, since, renewed_at FROM leases WHERE name = $1")
            .bind(super::lease::LEADER)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("reading the lease"))?;
        row.map(|r| {
            Ok(LeaseRecord {
                holder: r.get("holder"),
                since: time(r.get("since"))?,
                renewed_at: time(r.get("renewed_at"))?,
            })
        })
        .transpose()
    }

    async fn oldest_overdue(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query(
            "SELECT min(t) AS t FROM (
                 SELECT min(due_at) AS t FROM reminder_steps WHERE state = 'pending' AND due_at <= $1
                 UNION ALL
                 SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1
             ) AS due",
        )
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("reading overdue work"))?;
        row.get::<Option<String>, _>("t")
            .map(|t| time(&t))
            .transpose()
    }
}
