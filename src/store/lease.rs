//! The leader's lease (see `domain::ports::Lease`), one kind per engine.
//!
//! - PostgreSQL: a session advisory lock held by a dedicated connection (not from the
//!   pool, which could hand it to other work or close it). The server releases it when that
//!   connection ends: the process killed, the machine gone, or — after TCP keepalive gives
//!   up, which the connection asks for after 5 s idle and 3 probes 2 s apart — the network
//!   cut. The holder proves it still holds the lock by a round trip on that connection.
//! - SQLite: a row with an expiry, renewed by its holder and taken over once expired.
//!
//! Both record the holder in the `leases` row, which is what `nimo status` shows.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::Mutex;

use super::{Engine, Store, db_err, ts};
use crate::domain::ports::{Lease, StoreError};

/// The name of the leader's row in `leases`.
pub(crate) const LEADER: &str = "leader";
/// The PostgreSQL advisory lock key of the leader's lease ("nimo" and 2).
const LEADER_KEY: i64 = 0x6e69_6d6f_0000_0002;

/// How often the holder renews (and proves) its lease.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// SQLite: how long a lease row stays valid after a renewal; a standby takes it over
/// after that.
const ROW_TTL: Duration = Duration::from_secs(20);
/// How long a holder trusts its lease without a successful renewal: less than what a
/// standby waits, so an old leader stops before a new one starts.
const TRUST: Duration = Duration::from_secs(12);
/// PostgreSQL: one proof round trip longer than this counts as lost.
const PROOF_TIMEOUT: Duration = Duration::from_secs(4);

/// The lease for processes sharing `store`'s database; `holder` names this process.
pub fn for_store(store: &Store, holder: &str) -> Arc<dyn Lease> {
    match store.engine() {
        Engine::Sqlite => Arc::new(RowLease {
            store: store.clone(),
            holder: holder.to_string(),
        }),
        Engine::Postgres => Arc::new(AdvisoryLease {
            store: store.clone(),
            holder: holder.to_string(),
            connection: Mutex::new(None),
        }),
    }
}

/// Writes the `leases` row for `holder`: taken over when it is free, expired or already
/// ours; `since` kept while the same holder renews. True when the row is ours now.
async fn claim_row(store: &Store, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or_default();
    let row = sqlx::query(
        "INSERT INTO leases (name, holder, since, renewed_at, expires_at) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (name) DO UPDATE SET
            since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END,
            holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.renewed_at
         RETURNING holder",
    )
    .bind(LEADER)
    .bind(holder)
    .bind(ts(now))
    .bind(ts(expires))
    .fetch_optional(&store.pool)
    .await
    .map_err(db_err("claiming the lease"))?;
    Ok(row.is_some())
}

/// Removes the `leases` row if `holder` still holds it (a clean stop).
async fn forget_row(store: &Store, holder: &str) {
    let _ = sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(LEADER)
        .bind(holder)
        .execute(&store.pool)
        .await;
}

/// SQLite's lease: the row is the lock.
struct RowLease {
    store: Store,
    holder: String,
}

impl RowLease {
    /// A holder on this machine whose process is gone (killed, crashed) gives its lease
    /// up at once: SQLite's processes share one machine, so a bot restarted after a crash
    /// need not wait for the row to expire. Holders are named `host:pid:…` (see
    /// `app::cluster`).
    async fn forget_dead_holder(&self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT holder FROM leases WHERE name = $1")
            .bind(LEADER)
            .fetch_optional(&self.store.pool)
            .await
            .map_err(db_err("reading the lease"))?;
        let Some(holder) = row.map(|r| r.get::<String, _>("holder")) else {
            return Ok(());
        };
        let mut parts = holder.split(':');
        let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
            return Ok(());
        };
        let mine = self.holder.split(':').next();
        if holder != self.holder
            && Some(host) == mine
            && pid.parse::<i32>().is_ok_and(|pid| !process_alive(pid))
        {
            tracing::info!(%holder, "the previous leader on this machine is gone; taking over");
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(LEADER)
                .bind(&holder)
                .execute(&self.store.pool)
                .await
                .map_err(db_err("clearing a dead holder's lease"))?;
        }
        Ok(())
    }
}

/// Whether a process with this id runs on this machine.
fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks existence only. EPERM means it exists but belongs to someone else.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[async_trait]
impl Lease for RowLease {
    async fn try_acquire(&self) -> Result<bool, StoreError> {
        self.forget_dead_holder().await?;
        claim_row(&self.store, &self.holder, ROW_TTL).await
    }

    async fn renew(&self) -> Result<bool, StoreError> {
        claim_row(&self.store, &self.holder, ROW_TTL).await
    }

    async fn release(&self) {
        forget_row(&self.store, &self.holder).await;
    }

    fn renew_every(&self) -> Duration {
        RENEW_EVERY
    }

    fn trust_for(&self) -> Duration {
        TRUST
    }
}

/// PostgreSQL's lease: a session advisory lock on a connection of its own; the row only
/// says who holds it (written with an expiry that never decides anything).
struct AdvisoryLease {
    store: Store,
    holder: String,
    connection: Mutex<Option<PgConnection>>,
}

impl AdvisoryLease {
    async fn connect(&self) -> Result<PgConnection, StoreError> {
        let mut conn = PgConnection::connect(self.store.url())
            .await
            .map_err(db_err("connecting for the lease"))?;
        // The server notices a vanished peer after ~11 s instead of hours, and releases
        // the lock then.
        conn.execute(
            "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2;
             SET tcp_keepalives_count = 3; SET application_name = 'nimo lease'",
        )
        .await
        .map_err(db_err("configuring the lease connection"))?;
        // PostgreSQL 12 and later: unacknowledged data to a vanished peer ends the session
        // after 10 s too. Older servers go without.
        let _ = conn.execute("SET tcp_user_timeout = 10000").await;
        Ok(conn)
    }
}

#[async_trait]
impl Lease for AdvisoryLease {
    async fn try_acquire(&self) -> Result<bool, StoreError> {
        let mut slot = self.connection.lock().await;
        if slot.is_none() {
            *slot = Some(self.connect().await?);
        }
        let conn = slot.as_mut().expect("connected above");
        let got: Result<bool, sqlx::Error> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_KEY)
            .fetch_one(&mut *conn)
            .await;
        match got {
            Ok(true) => {
                drop(slot);
                // The lock decides; the row tells. It is ours whatever it said before.
                sqlx::query(
                    "INSERT INTO leases (name, holder, since, renewed_at, expires_at) VALUES ($1, $2, $3, $3, $3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since = excluded.since,
                        renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
                )
                .bind(LEADER)
                .bind(&self.holder)
                .bind(ts(Utc::now()))
                .execute(&self.store.pool)
                .await
                .map_err(db_err("recording the lease"))?;
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => {
                // A broken connection: start afresh next time.
                *slot = None;
                Err(StoreError::new("asking for the lease", e))
            }
        }
    }

    async fn renew(&self) -> Result<bool, StoreError> {
        let mut slot = self.connection.lock().await;
        let Some(conn) = slot.as_mut() else {
            return Ok(false);
        };
        // The lock lives exactly as long as this session: a round trip on it proves it.
        let proof = tokio::time::timeout(
            PROOF_TIMEOUT,
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                   AND pid = pg_backend_pid() AND granted
                   AND ((classid::bigint << 32) | objid::bigint) = $1)",
            )
            .bind(LEADER_KEY)
            .fetch_one(&mut *conn),
        )
        .await;
        match proof {
            Ok(Ok(true)) => {
                drop(slot);
                let _ = sqlx::query(
                    "UPDATE leases SET renewed_at = $1 WHERE name = $2 AND holder = $3",
                )
                .bind(ts(Utc::now()))
                .bind(LEADER)
                .bind(&self.holder)
                .execute(&self.store.pool)
                .await;
                Ok(true)
            }
            Ok(Ok(false)) => Ok(false),
            Ok(Err(e)) => {
                // The lock lives only as long as this session: with the session broken it
                // may already be someone else's. Lost, at once.
                tracing::error!(error = %e, "the lease connection failed");
                *slot = None;
                Ok(false)
            }
            Err(_) => {
                // No answer in time: whatever the server thinks, act as if lost. Dropping
                // the connection makes the server release the lock as soon as it notices.
                tracing::error!("the lease connection did not answer in time");
                *slot = None;
                Ok(false)
            }
        }
    }

    async fn release(&self) {
        let mut slot = self.connection.lock().await;
        if let Some(mut conn) = slot.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LEADER_KEY)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
        drop(slot);
        forget_row(&self.store, &self.holder).await;
    }

    fn renew_every(&self) -> Duration {
        RENEW_EVERY
    }

    fn trust_for(&self) -> Duration {
        TRUST
    }
}
