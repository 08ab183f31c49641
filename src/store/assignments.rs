//! Forms, meetings, people, submissions and conversations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, db_err, json_err, time};
use crate::domain::forms::{Answer, Answers, FormDef, Op};
use crate::domain::ids::{MeetingId, SubmissionId};
use crate::domain::people::{Grant, GrantStatus, Person, PersonId, Role};
use crate::domain::ports::{
    AssignmentStore, ConversationState, FormSaved, MessageId, StoreError, Submission,
    SubmittedVersion, TurnDone, TurnState, TurnWrite,
};

fn person_id(s: String) -> Result<PersonId, StoreError> {
    s.parse().map_err(StoreError::msg)
}

fn submission_from(r: &AnyRow) -> Result<Submission, StoreError> {
    Ok(Submission {
        id: SubmissionId::new(r.get("id")),
        meeting_id: MeetingId::new(r.get("meeting_id")),
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
        let rows = sqlx::query("SELECT role, region_key, region_name, status FROM grants WHERE person_id = $1 ORDER BY role, region_key")
            .bind(id.to_string())
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
    async fn save_form(&self, form: &FormDef) -> Result<FormSaved, StoreError> {
        let json = serde_json::to_string(form).map_err(json_err)?;
        if let Some(existing) = self.form(&form.id, &form.version).await? {
            return Ok(if &existing == form {
                FormSaved::Unchanged
            } else {
                FormSaved::Conflict
            });
        }
        sqlx::query(
            "INSERT INTO forms (id, version, definition, loaded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&form.id)
        .bind(&form.version)
        .bind(json)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(db_err("saving form"))?;
        Ok(FormSaved::New)
    }

    async fn form(&self, id: &str, version: &str) -> Result<Option<FormDef>, StoreError> {
        let row = sqlx::query("SELECT definition FROM forms WHERE id = $1 AND version = $2")
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

    async fn ensure_person(&self, id: &PersonId, name: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO people (id, name, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE excluded.name <> ''",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(db_err("saving person"))?;
        Ok(())
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query("SELECT name FROM people WHERE id = $1")
            .bind(id.to_string())
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
            if let Some(p) = self.person(&person_id(r.get("id"))?).await? {
                out.push(p);
            }
        }
        Ok(out)
    }

    async fn set_grant(&self, g: &Grant, decided_by: Option<&PersonId>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO grants (person_id, role, region_key, region_name, status, updated_at, decided_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (person_id, role, region_key) DO UPDATE SET
               region_name = excluded.region_name, status = excluded.status,
               updated_at = excluded.updated_at, decided_by = excluded.decided_by",
        )
        .bind(g.person.to_string())
        .bind(g.role.as_str())
        .bind(&g.region_key)
        .bind(&g.region_name)
        .bind(g.status.as_str())
        .bind(self.now())
        .bind(decided_by.map(PersonId::to_string))
        .execute(&self.pool)
        .await
        .map_err(db_err("saving grant"))?;
        Ok(())
    }

    async fn submission(
        &self,
        meeting_id: MeetingId,
        region_key: &str,
    ) -> Result<Option<Submission>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE meeting_id = $1 AND region_key = $2"
        ))
        .bind(meeting_id.get())
        .bind(region_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading submission"))?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn submission_by_id(&self, id: SubmissionId) -> Result<Option<Submission>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1"
        ))
        .bind(id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading submission"))?;
        row.as_ref().map(submission_from).transpose()
    }

    async fn create_submission(
        &self,
        meeting_id: MeetingId,
        region_key: &str,
        region_name: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Submission, StoreError> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO submissions (meeting_id, region_key, region_name, form_id, form_version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (meeting_id, region_key) DO NOTHING",
        )
        .bind(meeting_id.get())
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
            .ok_or_else(|| StoreError::msg("a submission just created is missing"))
    }

    async fn submissions(&self, meeting_id: MeetingId) -> Result<Vec<Submission>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE meeting_id = $1 ORDER BY region_key"
        ))
        .bind(meeting_id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading submissions"))?;
        rows.iter().map(submission_from).collect()
    }

    async fn earlier_answers(
        &self,
        submission: &Submission,
    ) -> Result<Option<(String, Answers)>, StoreError> {
        let row = sqlx::query(
            "SELECT m.name, v.answers FROM submissions s
               JOIN meetings m ON m.id = s.meeting_id
               JOIN submission_versions v
                 ON v.submission_id = s.id AND v.version = s.submitted_version
              WHERE s.region_key = $1 AND s.form_id = $2 AND s.meeting_id <> $3
                AND s.submitted_version > 0 AND s.id < $4
              ORDER BY s.submitted_at DESC, s.id DESC
              LIMIT 1",
        )
        .bind(&submission.region_key)
        .bind(&submission.form_id)
        .bind(submission.meeting_id.get())
        .bind(submission.id.get())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading an earlier submission"))?;
        row.map(|r| {
            Ok((
                r.get::<String, _>("name"),
                serde_json::from_str(r.get("answers")).map_err(json_err)?,
            ))
        })
        .transpose()
    }

    async fn answers(&self, submission_id: SubmissionId) -> Result<Answers, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(db_err("connecting"))?;
        read_answers(&mut connection, submission_id).await
    }

    async fn turn(
        &self,
        person: &PersonId,
        submission: Option<SubmissionId>,
        message: Option<MessageId>,
        decide: &mut (dyn for<'s> FnMut(&'s TurnState) -> Option<TurnWrite> + Send),
    ) -> Result<TurnDone, StoreError> {
        let now = self.now();
        // The lock is taken before reading: the answers read here are the ones this turn
        // changes, whoever else writes (another person of the region, another terminal,
        // another process). See `Store::turn_transaction`.
        let mut tx = self.turn_transaction(person).await?;
        let row = sqlx::query(
            "SELECT submission_id, cursor, active, last_message FROM conversations WHERE person_id = $1",
        )
        .bind(person.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("reading conversation"))?;
        let (conversation, last_message) = match row {
            Some(r) => (
                Some(ConversationState {
                    submission_id: SubmissionId::new(r.get("submission_id")),
                    cursor: serde_json::from_str(r.get("cursor")).map_err(json_err)?,
                    active: r.get::<i64, _>("active") != 0,
                }),
                r.get::<Option<i64>, _>("last_message"),
            ),
            None => (None, None),
        };
        // The very message handled last, seen again: a replay. (An older message arriving
        // late is still applied; the front end keeps replays of older ones out.)
        if let (Some(m), Some(last)) = (message, last_message)
            && m as i64 == last
        {
            return Ok(TurnDone::AlreadyHandled);
        }
        let submission_id = submission.or(conversation.as_ref().map(|c| c.submission_id));
        if let Some(id) = submission_id {
            self.lock_submission(&mut tx, id).await?;
        }
        let submission = match submission_id {
            Some(id) => sqlx::query(&format!(
                "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1"
            ))
            .bind(id.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("reading submission"))?
            .as_ref()
            .map(submission_from)
            .transpose()?,
            None => None,
        };
        let answers = match &submission {
            Some(s) => read_answers(&mut tx, s.id).await?,
            None => Answers::new(),
        };
        let state = TurnState {
            conversation,
            submission,
            answers,
        };
        let Some(write) = decide(&state) else {
            return Ok(TurnDone::Nothing);
        };
        let submission_id = write.conversation.submission_id;
        if Some(submission_id) != state.submission.as_ref().map(|s| s.id) {
            self.lock_submission(&mut tx, submission_id).await?;
        }
        for op in &write.ops {
            match op {
                Op::Set { question, answer } => {
                    sqlx::query(
                        "INSERT INTO answers (submission_id, question_id, value, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (submission_id, question_id) DO UPDATE SET
                           value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    )
                    .bind(submission_id.get())
                    .bind(question)
                    .bind(serde_json::to_string(answer).map_err(json_err)?)
                    .bind(&now)
                    .bind(person.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("saving answer"))?;
                }
                Op::Remove { question } => {
                    sqlx::query(
                        "DELETE FROM answers WHERE submission_id = $1 AND question_id = $2",
                    )
                    .bind(submission_id.get())
                    .bind(question)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("removing answer"))?;
                }
            }
        }
        if !write.ops.is_empty() {
            sqlx::query(
                "UPDATE submissions SET updated_at = $1, amended = CASE WHEN submitted_version > 0 THEN 1 ELSE 0 END WHERE id = $2",
            )
            .bind(&now)
            .bind(submission_id.get())
            .execute(&mut *tx)
            .await
            .map_err(db_err("touching submission"))?;
        }
        upsert_conversation(&mut tx, person, &write.conversation, message, &now).await?;
        let version = if write.submit {
            Some(record_version(&mut tx, submission_id, person, &now).await?)
        } else {
            None
        };
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(TurnDone::Written(version))
    }

    async fn versions(
        &self,
        submission_id: SubmissionId,
    ) -> Result<Vec<SubmittedVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, answers, submitted_at, submitted_by FROM submission_versions WHERE submission_id = $1 ORDER BY version",
        )
        .bind(submission_id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading versions"))?;
        rows.iter()
            .map(|r| {
                Ok(SubmittedVersion {
                    version: r.get::<i64, _>("version") as u32,
                    answers: serde_json::from_str(r.get("answers")).map_err(json_err)?,
                    submitted_at: time(r.get("submitted_at"))?,
                    submitted_by: person_id(r.get("submitted_by"))?,
                })
            })
            .collect()
    }

    async fn conversation(
        &self,
        person: &PersonId,
    ) -> Result<Option<ConversationState>, StoreError> {
        let row = sqlx::query(
            "SELECT submission_id, cursor, active FROM conversations WHERE person_id = $1",
        )
        .bind(person.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err("reading conversation"))?;
        row.map(|r| {
            Ok(ConversationState {
                submission_id: SubmissionId::new(r.get("submission_id")),
                cursor: serde_json::from_str(r.get("cursor")).map_err(json_err)?,
                active: r.get::<i64, _>("active") != 0,
            })
        })
        .transpose()
    }

    async fn active_conversations(
        &self,
    ) -> Result<Vec<(PersonId, Option<MessageId>, DateTime<Utc>)>, StoreError> {
        sqlx::query("SELECT person_id, last_message, updated_at FROM conversations WHERE active = 1 ORDER BY person_id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("reading conversations"))?
            .iter()
            .map(|r| {
                Ok((
                    person_id(r.get("person_id"))?,
                    r.get::<Option<i64>, _>("last_message")
                        .filter(|m| *m > 0)
                        .map(|m| m as MessageId),
                    time(r.get("updated_at"))?,
                ))
            })
            .collect()
    }
}

/// The answers of a submission, as this transaction sees them.
async fn read_answers(
    tx: &mut AnyConnection,
    submission: SubmissionId,
) -> Result<Answers, StoreError> {
    let rows = sqlx::query("SELECT question_id, value FROM answers WHERE submission_id = $1")
        .bind(submission.get())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("reading answers"))?;
    rows.iter()
        .map(|r| {
            let a: Answer = serde_json::from_str(r.get("value")).map_err(json_err)?;
            Ok((r.get::<String, _>("question_id"), a))
        })
        .collect()
}

/// Records the answers as they stand in this transaction as the next submitted version.
async fn record_version(
    tx: &mut AnyConnection,
    submission: SubmissionId,
    by: &PersonId,
    now: &str,
) -> Result<SubmittedVersion, StoreError> {
    let answers = read_answers(tx, submission).await?;
    let version: i64 = sqlx::query(
        "UPDATE submissions SET submitted_version = submitted_version + 1, amended = 0, submitted_at = $1, updated_at = $2
         WHERE id = $3 RETURNING submitted_version",
    )
    .bind(now)
    .bind(now)
    .bind(submission.get())
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err("submitting"))?
    .get(0);
    sqlx::query("INSERT INTO submission_versions (submission_id, version, answers, submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(submission.get())
        .bind(version)
        .bind(serde_json::to_string(&answers).map_err(json_err)?)
        .bind(now)
        .bind(by.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err("recording version"))?;
    Ok(SubmittedVersion {
        version: version as u32,
        answers,
        submitted_at: time(now)?,
        submitted_by: by.clone(),
    })
}

async fn upsert_conversation(
    tx: &mut AnyConnection,
    person: &PersonId,
    state: &ConversationState,
    message: Option<MessageId>,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversations (person_id, submission_id, cursor, active, updated_at, last_message) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (person_id) DO UPDATE SET
           submission_id = excluded.submission_id, cursor = excluded.cursor,
           active = excluded.active, updated_at = excluded.updated_at,
           last_message = CASE WHEN COALESCE(excluded.last_message, 0) > COALESCE(conversations.last_message, 0)
                             THEN COALESCE(excluded.last_message, 0) ELSE COALESCE(conversations.last_message, 0) END",
    )
    .bind(person.to_string())
    .bind(state.submission_id.get())
    .bind(serde_json::to_string(&state.cursor).map_err(json_err)?)
    .bind(i64::from(state.active))
    .bind(now)
    .bind(message.map(|m| m as i64))
    .execute(&mut *tx)
    .await
    .map_err(db_err("saving conversation"))?;
    Ok(())
}
