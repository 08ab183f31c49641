//! Meetings with their setup (participants, organizers, channel, ladder) and their
//! reminder schedule, always written together in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, db_err, json_err, time, ts};
use crate::domain::ids::MeetingId;
use crate::domain::meetings::ladder::{Audience, Policy, Step};
use crate::domain::meetings::meeting::{Meeting, MeetingSetup, NewMeeting};
use crate::domain::meetings::reminders::StepState;
use crate::domain::people::PersonId;
use crate::domain::ports::{MeetingStore, StepRecord, StoreError};

fn meeting_from(r: &AnyRow) -> Result<Meeting, StoreError> {
    Ok(Meeting {
        id: MeetingId::new(r.get("id")),
        name: r.get("name"),
        fiscal_year: r.get("fiscal_year"),
        form_id: r.get("form_id"),
        form_version: r.get("form_version"),
        deadline: time(r.get("deadline"))?,
        meeting_date: r
            .get::<Option<String>, _>("meeting_date")
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
    })
}

/// The meeting's setup: its own columns, its regions and its organizers.
async fn write_setup(
    tx: &mut AnyConnection,
    id: MeetingId,
    setup: &MeetingSetup,
) -> Result<(), StoreError> {
    let policy = serde_json::to_string(&setup.policy).map_err(json_err)?;
    sqlx::query("UPDATE meetings SET channel_id = $1, policy = $2 WHERE id = $3")
        .bind(&setup.channel)
        .bind(policy)
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err("saving meeting setup"))?;
    sqlx::query("DELETE FROM meeting_regions WHERE meeting_id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err("saving meeting regions"))?;
    for (key, name) in &setup.regions {
        sqlx::query(
            "INSERT INTO meeting_regions (meeting_id, region_key, region_name) VALUES ($1, $2, $3)",
        )
        .bind(id.get())
        .bind(key)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db_err("saving meeting regions"))?;
    }
    sqlx::query("DELETE FROM meeting_organizers WHERE meeting_id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db_err("saving meeting organizers"))?;
    for person in &setup.organizers {
        sqlx::query("INSERT INTO meeting_organizers (meeting_id, person_id) VALUES ($1, $2)")
            .bind(id.get())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err("saving meeting organizers"))?;
    }
    Ok(())
}

/// Replaces the pending (and expired) rungs with this schedule; rungs already sent or
/// merged stay, so nobody gets the same rung twice.
async fn write_schedule(
    tx: &mut AnyConnection,
    id: MeetingId,
    steps: &[(Step, DateTime<Utc>)],
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM reminder_steps WHERE meeting_id = $1 AND state IN ('pending', 'expired')",
    )
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db_err("replacing schedule"))?;
    for (step, due) in steps {
        sqlx::query(
            "INSERT INTO reminder_steps (meeting_id, step, audience, due_at, state)
             VALUES ($1, $2, $3, $4, 'pending')
             ON CONFLICT DO NOTHING",
        )
        .bind(id.get())
        .bind(&step.key)
        .bind(step.audience.as_str())
        .bind(ts(*due))
        .execute(&mut *tx)
        .await
        .map_err(db_err("replacing schedule"))?;
    }
    Ok(())
}

#[async_trait]
impl MeetingStore for Store {
    async fn create_meeting(
        &self,
        m: &NewMeeting,
        setup: &MeetingSetup,
        schedule: &[(Step, DateTime<Utc>)],
    ) -> Result<Meeting, StoreError> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO meetings (name, fiscal_year, form_id, form_version, deadline, meeting_date, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&m.name)
        .bind(m.fiscal_year)
        .bind(&m.form_id)
        .bind(&m.form_version)
        .bind(m.deadline.to_rfc3339())
        .bind(m.meeting_date.map(|d| d.format("%Y-%m-%d").to_string()))
        .bind(self.now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("creating meeting"))?
        .get(0);
        let id = MeetingId::new(id);
        write_setup(&mut tx, id, setup).await?;
        write_schedule(&mut tx, id, schedule).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        self.meeting(id)
            .await?
            .ok_or_else(|| StoreError::msg("a meeting just created is missing"))
    }

    async fn save_meeting(
        &self,
        m: &Meeting,
        setup: &MeetingSetup,
        schedule: &[(Step, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE meetings SET name = $1, fiscal_year = $2, form_id = $3, form_version = $4, deadline = $5, meeting_date = $6 WHERE id = $7")
            .bind(&m.name)
            .bind(m.fiscal_year)
            .bind(&m.form_id)
            .bind(&m.form_version)
            .bind(m.deadline.to_rfc3339())
            .bind(m.meeting_date.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(m.id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err("updating meeting"))?;
        write_setup(&mut tx, m.id, setup).await?;
        write_schedule(&mut tx, m.id, schedule).await?;
        tx.commit().await.map_err(db_err("commit"))
    }

    async fn meeting(&self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        let row = sqlx::query("SELECT * FROM meetings WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("reading meeting"))?;
        row.as_ref().map(meeting_from).transpose()
    }

    async fn meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        let rows = sqlx::query("SELECT * FROM meetings ORDER BY deadline DESC, id DESC")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading meetings"))?;
        rows.iter().map(meeting_from).collect()
    }

    async fn meeting_setup(&self, id: MeetingId) -> Result<MeetingSetup, StoreError> {
        let row = sqlx::query("SELECT channel_id, policy FROM meetings WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("reading meeting setup"))?
            .ok_or_else(|| StoreError::msg(format!("meeting {id} missing")))?;
        let policy = match row.get::<Option<String>, _>("policy") {
            Some(p) => serde_json::from_str::<Policy>(&p).map_err(json_err)?,
            None => Policy::default(),
        };
        let regions = sqlx::query(
            "SELECT region_key, region_name FROM meeting_regions WHERE meeting_id = $1 ORDER BY region_key",
        )
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading meeting regions"))?
        .iter()
        .map(|r| (r.get("region_key"), r.get("region_name")))
        .collect();
        let organizers = sqlx::query(
            "SELECT person_id FROM meeting_organizers WHERE meeting_id = $1 ORDER BY person_id",
        )
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading meeting organizers"))?
        .iter()
        .map(|r| {
            r.get::<String, _>("person_id")
                .parse::<PersonId>()
                .map_err(StoreError::msg)
        })
        .collect::<Result<_, _>>()?;
        Ok(MeetingSetup {
            channel: row.get("channel_id"),
            policy,
            regions,
            organizers,
        })
    }

    async fn schedule(&self, id: MeetingId) -> Result<Vec<StepRecord>, StoreError> {
        sqlx::query(
            "SELECT step, audience, due_at, state FROM reminder_steps WHERE meeting_id = $1
             ORDER BY due_at, step",
        )
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading schedule"))?
        .iter()
        .map(|r| {
            Ok(StepRecord {
                step: r.get("step"),
                audience: Audience::parse(r.get("audience")).unwrap_or(Audience::Staff),
                due_at: time(r.get("due_at"))?,
                state: StepState::parse(r.get("state"))
                    .ok_or_else(|| StoreError::msg("unknown step state"))?,
            })
        })
        .collect()
    }
}
