//! The reminder schedule and the delivery outbox. Every claim is one `UPDATE … RETURNING`
//! inside a write transaction, so two processes on one database never take the same row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, db_err, json_err, time, ts};
use crate::domain::ids::{DeliveryId, MeetingId};
use crate::domain::meetings::ladder::Audience;
use crate::domain::meetings::reminders::{DeliveryState, Notice, Reach, Recipient, StepState, Via};
use crate::domain::ports::{
    Delivery, DeliveryOutcome, DueStep, Finished, NewDelivery, ReminderStore, StoreError,
};

fn delivery_from(r: &AnyRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: DeliveryId::new(r.get("id")),
        meeting_id: MeetingId::new(r.get("meeting_id")),
        step: r.get("step"),
        recipient: Recipient::from_text(r.get("recipient")).map_err(StoreError::msg)?,
        region_key: r.get("region_key"),
        notice: serde_json::from_str::<Notice>(r.get("notice")).map_err(json_err)?,
        nonce: r.get("nonce"),
        attempts: r.get::<i64, _>("attempts") as u32,
        state: DeliveryState::parse(r.get("state"))
            .ok_or_else(|| StoreError::msg("unknown delivery state"))?,
        via: r
            .get::<Option<String>, _>("via")
            .as_deref()
            .and_then(Via::parse),
        error: r.get("error"),
    })
}

async fn insert_deliveries(
    tx: &mut sqlx::AnyConnection,
    deliveries: &[NewDelivery],
    now: &str,
) -> Result<usize, StoreError> {
    // Many rows per statement: one round trip for a hundred reminders, not a hundred.
    const ROWS: usize = 100;
    let mut added = 0;
    for chunk in deliveries.chunks(ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let p = 2 + r * 6;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, 'pending', $1, $1)",
                    p,
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO deliveries
               (meeting_id, step, recipient, region_key, notice, nonce, state, next_attempt_at, created_at)
             VALUES {}
             ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(now);
        for d in chunk {
            q = q
                .bind(d.meeting_id.get())
                .bind(&d.step)
                .bind(d.recipient.to_text())
                .bind(&d.region_key)
                .bind(serde_json::to_string(&d.notice).map_err(json_err)?)
                .bind(&d.nonce);
        }
        added += q
            .execute(&mut *tx)
            .await
            .map_err(db_err("creating deliveries"))?
            .rows_affected() as usize;
    }
    Ok(added)
}

#[async_trait]
impl ReminderStore for Store {
    async fn claim_due_steps(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
    ) -> Result<Vec<DueStep>, StoreError> {
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "UPDATE reminder_steps SET claimed_by = $1, claim_until = $2
             WHERE state = 'pending' AND due_at <= $3
               AND (claim_until IS NULL OR claim_until < $3)
             RETURNING meeting_id, step, audience, due_at",
        )
        .bind(worker)
        .bind(ts(claim_until))
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("claiming steps"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        rows.iter()
            .map(|r| {
                Ok(DueStep {
                    meeting_id: MeetingId::new(r.get("meeting_id")),
                    step: r.get("step"),
                    audience: Audience::parse(r.get("audience")).unwrap_or(Audience::Staff),
                    due_at: time(r.get("due_at"))?,
                })
            })
            .collect()
    }

    async fn settle_steps(
        &self,
        worker: &str,
        meeting_id: MeetingId,
        settled: &[(String, StepState)],
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let now = ts(self.clock.now());
        for (step, state) in settled {
            let changed = sqlx::query(
                "UPDATE reminder_steps SET state = $1, settled_at = $2, claimed_by = NULL, claim_until = NULL
                 WHERE meeting_id = $3 AND step = $4 AND state = 'pending' AND claimed_by = $5",
            )
            .bind(state.as_str())
            .bind(&now)
            .bind(meeting_id.get())
            .bind(step)
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(db_err("settling step"))?
            .rows_affected();
            if changed == 0 {
                // Another worker took it over (our claim ran out): leave everything to it.
                tx.rollback().await.map_err(db_err("rollback"))?;
                return Ok(false);
            }
        }
        insert_deliveries(&mut tx, deliveries, &now).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(true)
    }

    async fn add_deliveries(&self, deliveries: &[NewDelivery]) -> Result<usize, StoreError> {
        let mut tx = self.write().await?;
        let now = ts(self.clock.now());
        let added = insert_deliveries(&mut tx, deliveries, &now).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(added)
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: u32,
        reach: Reach,
    ) -> Result<Vec<Delivery>, StoreError> {
        // Terminal users' ids are 'local:…' (`PersonId`'s text form).
        let only = match reach {
            Reach::Everyone => "%",
            Reach::Terminal => "local:%",
        };
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "UPDATE deliveries SET state = 'sending', claimed_by = $1, claim_until = $2,
                    attempts = attempts + 1
             WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE ((state = 'pending' AND next_attempt_at <= $3)
                        OR (state = 'sending' AND claim_until < $3))
                   AND recipient LIKE $5
                 ORDER BY id LIMIT $4)
             RETURNING *",
        )
        .bind(worker)
        .bind(ts(claim_until))
        .bind(ts(now))
        .bind(limit as i64)
        .bind(only)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("claiming deliveries"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        let mut out: Vec<Delivery> = rows.iter().map(delivery_from).collect::<Result<_, _>>()?;
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn finish_deliveries(
        &self,
        worker: &str,
        finished: &[Finished],
    ) -> Result<usize, StoreError> {
        if finished.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let now = ts(self.clock.now());
        let mut recorded = 0;
        // The usual case — sent, nothing to follow up — one statement per way it went.
        for via in [Via::Dm, Via::Channel] {
            let ids: Vec<i64> = finished
                .iter()
                .filter(|f| {
                    f.follow_ups.is_empty()
                        && matches!(f.outcome, DeliveryOutcome::Sent { via: v } if v == via)
                })
                .map(|f| f.id.get())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
            let sql = format!(
                "UPDATE deliveries SET state = 'sent', next_attempt_at = $1, sent_at = $1, via = $2,
                        error = NULL, claimed_by = NULL, claim_until = NULL
                 WHERE state = 'sending' AND claimed_by = $3 AND id IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(&now).bind(via.as_str()).bind(worker);
            for id in ids {
                q = q.bind(id);
            }
            recorded += q
                .execute(&mut *tx)
                .await
                .map_err(db_err("recording sent deliveries"))?
                .rows_affected() as usize;
        }
        let plain = |f: &Finished| {
            f.follow_ups.is_empty() && matches!(f.outcome, DeliveryOutcome::Sent { .. })
        };
        for f in finished.iter().filter(|f| !plain(f)) {
            if let DeliveryOutcome::Released = f.outcome {
                recorded += sqlx::query(
                    "UPDATE deliveries SET state = 'pending', attempts = attempts - 1,
                            claimed_by = NULL, claim_until = NULL
                     WHERE id = $1 AND state = 'sending' AND claimed_by = $2",
                )
                .bind(f.id.get())
                .bind(worker)
                .execute(&mut *tx)
                .await
                .map_err(db_err("releasing a delivery"))?
                .rows_affected() as usize;
                continue;
            }
            let (state, next, via, error) = match &f.outcome {
                DeliveryOutcome::Sent { via } => ("sent", now.clone(), Some(via.as_str()), None),
                DeliveryOutcome::Retry { at, error } => {
                    ("pending", ts(*at), None, Some(error.clone()))
                }
                DeliveryOutcome::Failed { error } => {
                    ("failed", now.clone(), None, Some(error.clone()))
                }
                DeliveryOutcome::Cancelled { why } => {
                    ("cancelled", now.clone(), None, Some(why.clone()))
                }
                DeliveryOutcome::Released => unreachable!("released above"),
            };
            let changed = sqlx::query(
                "UPDATE deliveries SET state = $1, next_attempt_at = $2, via = COALESCE($3, via), error = $4,
                        sent_at = CASE WHEN $5 = 'sent' THEN $6 ELSE sent_at END,
                        claimed_by = NULL, claim_until = NULL
                 WHERE id = $7 AND state = 'sending' AND claimed_by = $8",
            )
            .bind(state)
            .bind(next)
            .bind(via)
            .bind(error)
            .bind(state)
            .bind(&now)
            .bind(f.id.get())
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(db_err("finishing delivery"))?
            .rows_affected();
            if changed == 0 {
                // Another worker took it over (our claim ran out): leave it to it.
                continue;
            }
            recorded += 1;
            insert_deliveries(&mut tx, &f.follow_ups, &now).await?;
        }
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(recorded)
    }

    async fn deliveries(&self, meeting_id: MeetingId) -> Result<Vec<Delivery>, StoreError> {
        sqlx::query("SELECT * FROM deliveries WHERE meeting_id = $1 ORDER BY id")
            .bind(meeting_id.get())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading deliveries"))?
            .iter()
            .map(delivery_from)
            .collect()
    }

    async fn take_over_claims(&self, worker: &str) -> Result<(usize, usize), StoreError> {
        let mut tx = self.write().await?;
        let steps = sqlx::query(
            "UPDATE reminder_steps SET claimed_by = NULL, claim_until = NULL
             WHERE state = 'pending' AND claimed_by IS NOT NULL AND claimed_by <> $1",
        )
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(db_err("releasing claimed steps"))?
        .rows_affected() as usize;
        let deliveries = sqlx::query(
            "UPDATE deliveries SET state = 'pending', claimed_by = NULL, claim_until = NULL
             WHERE state = 'sending' AND claimed_by <> $1 AND recipient NOT LIKE 'local:%'",
        )
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(db_err("releasing claimed deliveries"))?
        .rows_affected() as usize;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok((steps, deliveries))
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query(
            "SELECT min(t) AS t FROM (
                 SELECT min(due_at) AS t FROM reminder_steps WHERE state = 'pending'
                 UNION ALL
                 SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending'
                 UNION ALL
                 SELECT min(claim_until) FROM deliveries WHERE state = 'sending') AS due",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("reading next due"))?;
        row.get::<Option<String>, _>("t")
            .map(|t| time(&t))
            .transpose()
    }
}
