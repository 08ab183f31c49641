//! Forms, meetings, people, submissions and conversations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, db_err};
use crate::domain::forms::{Answer, Answers, FormDef, Op};
use crate::domain::meetings::meeting::Meeting;
use crate::domain::people::{Grant, GrantStatus, Person, PersonId, Role};
use crate::domain::ports::{
    AssignmentStore, ConversationState, NewMeeting, StoreError, Submission, SubmittedVersion,
};

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError(format!("json column: {e}"))
}

fn time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError(format!("time column {s:?}: {e}")))
}

fn meeting_from(r: &SqliteRow) -> Result<Meeting, StoreError> {
    Ok(Meeting {
        id: r.get("id"),
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

fn submission_from(r: &SqliteRow) -> Result<Submission, StoreError> {
    Ok(Submission {
        id: r.get("id"),
        meeting_id: r.get("meeting_id"),
        region_key: r.get("region_key"),
        region_name: r.get("region_name"),
        form_id: r.get("form_id"),
        form_version: r.get("form_version"),
        submitted_version: r.get::<i64, _>("submitted_version") as u32,
        amended: r.get::<i64, _>("amended") != 0,
        created_at: time(r.get("created_at"))?,
        updated_at: time(r.get("updated_at"))?,
        submitted_at: r
            .get::<Option<String>, _>("submitted_at")
            .map(|s| time(&s))
            .transpose()?,
    })
}

const SUBMISSION_COLUMNS: &str = "id, meeting_id, region_key, region_name, form_id, form_version, submitted_version, amended, created_at, updated_at, submitted_at";

impl Store {
    async fn grants_of(&self, id: &PersonId) -> Result<Vec<Grant>, StoreError> {
        let rows = sqlx::query("SELECT role, region_key, region_name, status FROM grants WHERE person_id = ? ORDER BY role, region_key")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading grants"))?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(Grant {
                    person: id.clone(),
                    role: Role::parse(r.get("role"))?,
                    region_key: r.get("region_key"),
                    region_name: r.get("region_name"),
                    status: GrantStatus::parse(r.get("status")),
                })
            })
            .collect())
    }
}

#[async_trait]
impl AssignmentStore for Store {
    async fn save_form(&self, form: &FormDef) -> Result<bool, StoreError> {
        let json = serde_json::to_string(form).map_err(json_err)?;
        if let Some(existing) = self.form(&form.id, &form.version).await? {
            if &existing == form {
                return Ok(false);
            }
            return Err(StoreError(format!(
                "フォーム {} は別の内容で登録済みです。版（version）を上げて登録してください。",
                form.reference()
            )));
        }
        sqlx::query("INSERT INTO forms (id, version, definition, loaded_at) VALUES (?, ?, ?, ?)")
            .bind(&form.id)
            .bind(&form.version)
            .bind(json)
            .bind(self.now())
            .execute(&self.pool)
            .await
            .map_err(db_err("saving form"))?;
        Ok(true)
    }

    async fn form(&self, id: &str, version: &str) -> Result<Option<FormDef>, StoreError> {
        let row = sqlx::query("SELECT definition FROM forms WHERE id = ? AND version = ?")
            .bind(id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("reading form"))?;
        row.map(|r| serde_json::from_str(r.get("definition")).map_err(json_err))
            .transpose()
    }

    async fn forms(&self) -> Result<Vec<FormDef>, StoreError> {
        let rows = sqlx::query("SELECT definition FROM forms ORDER BY id, version")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading forms"))?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get("definition")).map_err(json_err))
            .collect()
    }

    async fn create_meeting(&self, m: &NewMeeting) -> Result<Meeting, StoreError> {
        let id: i64 = sqlx::query(
            "INSERT INTO meetings (name, fiscal_year, form_id, form_version, deadline, meeting_date, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&m.name)
        .bind(m.fiscal_year)
        .bind(&m.form_id)
        .bind(&m.form_version)
        .bind(m.deadline.to_rfc3339())
        .bind(m.meeting_date.map(|d| d.format("%Y-%m-%d").to_string()))
        .bind(self.now())
        .fetch_one(&self.pool)
        .await
        .map_err(db_err("creating meeting"))?
        .get(0);
        self.meeting(id)
            .await?
            .ok_or_else(|| StoreError("meeting vanished".into()))
    }

    async fn update_meeting(&self, m: &Meeting) -> Result<(), StoreError> {
        sqlx::query("UPDATE meetings SET name = ?, fiscal_year = ?, form_id = ?, form_version = ?, deadline = ?, meeting_date = ? WHERE id = ?")
            .bind(&m.name)
            .bind(m.fiscal_year)
            .bind(&m.form_id)
            .bind(&m.form_version)
            .bind(m.deadline.to_rfc3339())
            .bind(m.meeting_date.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(m.id)
            .execute(&self.pool)
            .await
            .map_err(db_err("updating meeting"))?;
        Ok(())
    }

    async fn meeting(&self, id: i64) -> Result<Option<Meeting>, StoreError> {
        let row = sqlx::query("SELECT * FROM meetings WHERE id = ?")
            .bind(id)
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

    async fn ensure_person(&self, id: &PersonId, name: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO people (id, name, created_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE excluded.name <> ''",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(db_err("saving person"))?;
        Ok(())
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query("SELECT name FROM people WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err("reading person"))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Person {
            id: id.clone(),
            name: row.get("name"),
            grants: self.grants_of(id).await?,
        }))
    }

    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query("SELECT id FROM people ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading people"))?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(p) = self.person(&PersonId(r.get("id"))).await? {
                out.push(p);
            }
        }
        Ok(out)
    }

    async fn set_grant(&self, g: &Grant, decided_by: Option<&PersonId>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO grants (person_id, role, region_key, region_name, status, updated_at, decided_by)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (person_id, role, region_key) DO UPDATE SET
               region_name = excluded.region_name, status = excluded.status,
               updated_at = excluded.updated_at, decided_by = excluded.decided_by",
        )
        .bind(g.person.as_str())
        .bind(g.role.as_str())
        .bind(&g.region_key)
        .bind(&g.region_name)
        .bind(g.status.as_str())
        .bind(self.now())
        .bind(decided_by.map(PersonId::as_str))
        .execute(&self.pool)
        .await
        .map_err(db_err("saving grant"))?;
        Ok(())
    }

    async fn submission(
        &self,
        meeting_id: i64,
        region_key: &str,
    ) -> Result<Option<Submission>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE meeting_id = ? AND region_key = ?"
        ))
        .bind(meeting_id)
        .bind(region_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading submission"))?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn submission_by_id(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading submission"))?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn create_submission(
        &self,
        meeting_id: i64,
        region_key: &str,
        region_name: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Submission, StoreError> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO submissions (meeting_id, region_key, region_name, form_id, form_version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meeting_id, region_key) DO NOTHING",
        )
        .bind(meeting_id)
        .bind(region_key)
        .bind(region_name)
        .bind(form_id)
        .bind(form_version)
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await
        .map_err(db_err("creating submission"))?;
        self.submission(meeting_id, region_key)
            .await?
            .ok_or_else(|| StoreError("submission vanished".into()))
    }

    async fn submissions(&self, meeting_id: i64) -> Result<Vec<Submission>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE meeting_id = ? ORDER BY region_key"
        ))
        .bind(meeting_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading submissions"))?;
        rows.iter().map(submission_from).collect()
    }

    async fn answers(&self, submission_id: i64) -> Result<Answers, StoreError> {
        let rows = sqlx::query("SELECT question_id, value FROM answers WHERE submission_id = ?")
            .bind(submission_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading answers"))?;
        rows.iter()
            .map(|r| {
                let a: Answer = serde_json::from_str(r.get("value")).map_err(json_err)?;
                Ok((r.get::<String, _>("question_id"), a))
            })
            .collect()
    }

    async fn apply_turn(
        &self,
        person: &PersonId,
        submission_id: i64,
        ops: &[Op],
        state: &ConversationState,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write().await?;
        for op in ops {
            match op {
                Op::Set { question, answer } => {
                    sqlx::query(
                        "INSERT INTO answers (submission_id, question_id, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT (submission_id, question_id) DO UPDATE SET
                           value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    )
                    .bind(submission_id)
                    .bind(question)
                    .bind(serde_json::to_string(answer).map_err(json_err)?)
                    .bind(&now)
                    .bind(person.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("saving answer"))?;
                }
                Op::Remove { question } => {
                    sqlx::query("DELETE FROM answers WHERE submission_id = ? AND question_id = ?")
                        .bind(submission_id)
                        .bind(question)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err("removing answer"))?;
                }
            }
        }
        if !ops.is_empty() {
            sqlx::query(
                "UPDATE submissions SET updated_at = ?, amended = CASE WHEN submitted_version > 0 THEN 1 ELSE 0 END WHERE id = ?",
            )
            .bind(&now)
            .bind(submission_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("touching submission"))?;
        }
        upsert_conversation(&mut tx, person, state, &now).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(())
    }

    async fn submit(
        &self,
        submission_id: i64,
        by: &PersonId,
    ) -> Result<SubmittedVersion, StoreError> {
        let now = self.now();
        let mut tx = self.write().await?;
        let rows = sqlx::query("SELECT question_id, value FROM answers WHERE submission_id = ?")
            .bind(submission_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err("reading answers"))?;
        let mut answers = Answers::new();
        for r in &rows {
            answers.insert(
                r.get("question_id"),
                serde_json::from_str(r.get("value")).map_err(json_err)?,
            );
        }
        let version: i64 = sqlx::query(
            "UPDATE submissions SET submitted_version = submitted_version + 1, amended = 0, submitted_at = ?, updated_at = ?
             WHERE id = ? RETURNING submitted_version",
        )
        .bind(&now)
        .bind(&now)
        .bind(submission_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("submitting"))?
        .get(0);
        sqlx::query("INSERT INTO submission_versions (submission_id, version, answers, submitted_at, submitted_by) VALUES (?, ?, ?, ?, ?)")
            .bind(submission_id)
            .bind(version)
            .bind(serde_json::to_string(&answers).map_err(json_err)?)
            .bind(&now)
            .bind(by.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err("recording version"))?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(SubmittedVersion {
            version: version as u32,
            answers,
            submitted_at: time(&now)?,
            submitted_by: by.0.clone(),
        })
    }

    async fn versions(&self, submission_id: i64) -> Result<Vec<SubmittedVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, answers, submitted_at, submitted_by FROM submission_versions WHERE submission_id = ? ORDER BY version",
        )
        .bind(submission_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading versions"))?;
        rows.iter()
            .map(|r| {
                Ok(SubmittedVersion {
                    version: r.get::<i64, _>("version") as u32,
                    answers: serde_json::from_str(r.get("answers")).map_err(json_err)?,
                    submitted_at: time(r.get("submitted_at"))?,
                    submitted_by: r.get("submitted_by"),
                })
            })
            .collect()
    }

    async fn conversation(
        &self,
        person: &PersonId,
    ) -> Result<Option<ConversationState>, StoreError> {
        let row = sqlx::query(
            "SELECT submission_id, cursor, active FROM conversations WHERE person_id = ?",
        )
        .bind(person.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading conversation"))?;
        row.map(|r| {
            Ok(ConversationState {
                submission_id: r.get("submission_id"),
                cursor: serde_json::from_str(r.get("cursor")).map_err(json_err)?,
                active: r.get::<i64, _>("active") != 0,
            })
        })
        .transpose()
    }

    async fn set_conversation(
        &self,
        person: &PersonId,
        state: &ConversationState,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write().await?;
        upsert_conversation(&mut tx, person, state, &now).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(())
    }
}

async fn upsert_conversation(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    person: &PersonId,
    state: &ConversationState,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversations (person_id, submission_id, cursor, active, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (person_id) DO UPDATE SET
           submission_id = excluded.submission_id, cursor = excluded.cursor,
           active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(person.as_str())
    .bind(state.submission_id)
    .bind(serde_json::to_string(&state.cursor).map_err(json_err)?)
    .bind(i64::from(state.active))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db_err("saving conversation"))?;
    Ok(())
}
