//! Roles: organizers register (or approve) staff of a region; staff ask to answer for
//! one; advisors and organizers are granted on the command line.

use super::Assignments;
use crate::app::AppError;
use crate::domain::people::{Grant, GrantStatus, Person, PersonId, Role};

impl Assignments {
    /// Grants a role directly (the command line, or an organizer registering staff).
    pub async fn grant(
        &self,
        person: &PersonId,
        name: &str,
        role: Role,
        region: Option<&str>,
        by: Option<&PersonId>,
    ) -> Result<String, AppError> {
        self.store.ensure_person(person, name).await?;
        let (region_key, region_name) = match (role, region) {
            (Role::Staff, Some(r)) => self.library.resolve_place(r)?,
            (Role::Staff, None) => return Err(AppError::refused("担当者には地域が必要です。")),
            _ => (String::new(), String::new()),
        };
        self.store
            .set_grant(
                &Grant {
                    person: person.clone(),
                    role,
                    region_key,
                    region_name: region_name.clone(),
                    status: GrantStatus::Approved,
                },
                by,
            )
            .await?;
        Ok(if role == Role::Staff {
            format!("{name}さんを{region_name}の担当者として登録しました。")
        } else {
            format!("{name}さんを{}として登録しました。", role.label())
        })
    }

    /// A staff member asks to answer for a region; an organizer approves.
    pub async fn request_staff(
        &self,
        person: &PersonId,
        name: &str,
        region: &str,
    ) -> Result<String, AppError> {
        let me = self.person(person, name).await?;
        let (region_key, region_name) = self.library.resolve_place(region)?;
        if me.may_edit(&region_key) {
            return Ok(format!(
                "すでに{region_name}の担当者として登録されています。"
            ));
        }
        self.store
            .set_grant(
                &Grant {
                    person: person.clone(),
                    role: Role::Staff,
                    region_key,
                    region_name: region_name.clone(),
                    status: GrantStatus::Pending,
                },
                None,
            )
            .await?;
        Ok(format!(
            "{region_name}の担当者として申請しました。主催者が承認すると、事前課題を入力できます。"
        ))
    }

    /// An organizer registers (or approves) someone as staff of a region.
    pub async fn register_staff(
        &self,
        organizer: &PersonId,
        person: &PersonId,
        name: &str,
        region: &str,
    ) -> Result<String, AppError> {
        let org = self.store.person(organizer).await?;
        if !org.is_some_and(|o| o.is_organizer()) {
            return Err(AppError::refused(
                "担当者の登録・承認は主催者だけができます。",
            ));
        }
        self.grant(person, name, Role::Staff, Some(region), Some(organizer))
            .await
    }

    /// Requests waiting for an organizer.
    pub async fn pending(&self) -> Result<Vec<(Person, Grant)>, AppError> {
        let mut out = Vec::new();
        for p in self.store.people().await? {
            for g in p.grants.iter().filter(|g| g.status == GrantStatus::Pending) {
                out.push((p.clone(), g.clone()));
            }
        }
        Ok(out)
    }

    /// Everyone nimo knows, with their roles.
    pub async fn people(&self) -> Result<Vec<Person>, AppError> {
        Ok(self.store.people().await?)
    }

    /// Takes a role away (staff who moved on, an advisor whose term ended). `by` must be
    /// an organizer; None is the trusted command line. A staff member filling in the
    /// form is stopped at their next message.
    pub async fn revoke(
        &self,
        person: &PersonId,
        role: Role,
        region: Option<&str>,
        by: Option<&PersonId>,
    ) -> Result<String, AppError> {
        if let Some(by) = by
            && !self
                .store
                .person(by)
                .await?
                .is_some_and(|o| o.is_organizer())
        {
            return Err(AppError::refused("役割の取り消しは主催者だけができます。"));
        }
        let Some(who) = self.store.person(person).await? else {
            return Err(AppError::refused(format!(
                "{person} は登録されていません。"
            )));
        };
        let region_key = match (role, region) {
            (Role::Staff, Some(r)) => self.library.resolve_place(r)?.0,
            (Role::Staff, None) => return Err(AppError::refused("担当者には地域が必要です。")),
            _ => String::new(),
        };
        let Some(grant) = who.grants.iter().find(|g| {
            g.role == role && g.region_key == region_key && g.status != GrantStatus::Revoked
        }) else {
            return Err(AppError::refused(format!(
                "{}さんにはその役割がありません。",
                who.name
            )));
        };
        self.store
            .set_grant(
                &Grant {
                    status: GrantStatus::Revoked,
                    ..grant.clone()
                },
                by,
            )
            .await?;
        Ok(if role == Role::Staff {
            format!(
                "{}さんの{}の担当を取り消しました。",
                who.name, grant.region_name
            )
        } else {
            format!("{}さんの{}の役割を取り消しました。", who.name, role.label())
        })
    }
}
