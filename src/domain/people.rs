//! People and what they may do. Municipal staff answer for their own region (registered by
//! an organizer, or by request an organizer approves); advisors read submitted answers;
//! organizers register staff, run meetings and export.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Who someone is: a Discord user, or a name typed in the terminal (`nimo chat --as 山田`).
/// Its text form, `discord:123456` or `local:山田`, is what the database keeps; it is
/// parsed here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonId {
    Discord(u64),
    Local(String),
}

const DISCORD: &str = "discord:";
const LOCAL: &str = "local:";

impl PersonId {
    pub fn discord(user: u64) -> PersonId {
        PersonId::Discord(user)
    }

    pub fn local(name: &str) -> PersonId {
        PersonId::Local(name.to_string())
    }

    /// The Discord user id, for people from Discord.
    pub fn discord_user(&self) -> Option<u64> {
        match self {
            PersonId::Discord(id) => Some(*id),
            PersonId::Local(_) => None,
        }
    }

    /// A name to show when nothing better is known: the terminal name, or the user id.
    pub fn short(&self) -> String {
        match self {
            PersonId::Discord(id) => id.to_string(),
            PersonId::Local(name) => name.clone(),
        }
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonId::Discord(id) => write!(f, "{DISCORD}{id}"),
            PersonId::Local(name) => write!(f, "{LOCAL}{name}"),
        }
    }
}

impl Serialize for PersonId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PersonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PersonId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl FromStr for PersonId {
    type Err = String;

    /// `discord:123`, `local:山田`, or a bare name (a terminal user).
    fn from_str(s: &str) -> Result<PersonId, String> {
        let s = s.trim();
        if let Some(id) = s.strip_prefix(DISCORD) {
            return id.trim().parse().map(PersonId::Discord).map_err(|_| {
                format!("「{s}」は Discord のユーザーIDではありません（例: discord:123456789）。")
            });
        }
        let name = s.strip_prefix(LOCAL).unwrap_or(s).trim();
        if name.is_empty() {
            return Err("名前が空です。".into());
        }
        Ok(PersonId::Local(name.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Staff,
    Organizer,
    Advisor,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "担当者",
            Role::Organizer => "主催者",
            Role::Advisor => "アドバイザー",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Organizer => "organizer",
            Role::Advisor => "advisor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "staff" | "担当者" | "担当" => Some(Role::Staff),
            "organizer" | "主催者" | "事務局" => Some(Role::Organizer),
            "advisor" | "アドバイザー" => Some(Role::Advisor),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Approved,
    Pending,
    Revoked,
}

impl GrantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Approved => "approved",
            GrantStatus::Pending => "pending",
            GrantStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> GrantStatus {
        match s {
            "approved" => GrantStatus::Approved,
            "pending" => GrantStatus::Pending,
            _ => GrantStatus::Revoked,
        }
    }
}

/// A role held (or asked for), for one region when it is the staff role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub person: PersonId,
    pub role: Role,
    /// Region key for staff; empty for other roles.
    pub region_key: String,
    pub region_name: String,
    pub status: GrantStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub grants: Vec<Grant>,
}

impl Person {
    fn has(&self, role: Role) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.status == GrantStatus::Approved)
    }

    pub fn is_organizer(&self) -> bool {
        self.has(Role::Organizer)
    }

    pub fn is_advisor(&self) -> bool {
        self.has(Role::Advisor)
    }

    /// The regions this person answers for (approved staff grants).
    pub fn staff_regions(&self) -> Vec<&Grant> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::Staff && g.status == GrantStatus::Approved)
            .collect()
    }

    /// May edit (and submit) the draft of this region.
    pub fn may_edit(&self, region_key: &str) -> bool {
        self.staff_regions()
            .iter()
            .any(|g| g.region_key == region_key)
    }

    /// May read what this region submitted.
    pub fn may_read_submitted(&self, region_key: &str) -> bool {
        self.is_advisor() || self.is_organizer() || self.may_edit(region_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(grants: Vec<(Role, &str, GrantStatus)>) -> Person {
        let id = PersonId::local("山田");
        Person {
            id: id.clone(),
            name: "山田".into(),
            grants: grants
                .into_iter()
                .map(|(role, region, status)| Grant {
                    person: id.clone(),
                    role,
                    region_key: region.into(),
                    region_name: region.into(),
                    status,
                })
                .collect(),
        }
    }

    #[test]
    fn only_approved_staff_edit_their_own_region() {
        let p = person(vec![
            (Role::Staff, "東京都/世田谷区", GrantStatus::Approved),
            (Role::Staff, "東京都/文京区", GrantStatus::Pending),
        ]);
        assert!(p.may_edit("東京都/世田谷区"));
        assert!(!p.may_edit("東京都/文京区"), "pending is not approved");
        assert!(!p.may_edit("東京都/葛飾区"));
        assert!(p.may_read_submitted("東京都/世田谷区"));
        assert!(!p.may_read_submitted("東京都/葛飾区"));
        let advisor = person(vec![(Role::Advisor, "", GrantStatus::Approved)]);
        assert!(advisor.may_read_submitted("東京都/葛飾区"));
        assert!(!advisor.may_edit("東京都/葛飾区"));
        let revoked = person(vec![(Role::Organizer, "", GrantStatus::Revoked)]);
        assert!(!revoked.is_organizer());
        assert_eq!(PersonId::discord(3000).discord_user(), Some(3000));
    }

    #[test]
    fn person_ids_in_their_text_form() {
        assert_eq!("discord:3000".parse(), Ok(PersonId::Discord(3000)));
        assert_eq!("local:山田".parse(), Ok(PersonId::local("山田")));
        assert_eq!("山田".parse(), Ok(PersonId::local("山田")));
        assert!("discord:abc".parse::<PersonId>().is_err());
        assert!("".parse::<PersonId>().is_err());
        assert_eq!(PersonId::discord(7).to_string(), "discord:7");
        assert_eq!(PersonId::local("山田").to_string(), "local:山田");
        let json = serde_json::to_string(&PersonId::discord(7)).unwrap();
        assert_eq!(json, "\"discord:7\"");
        assert_eq!(
            serde_json::from_str::<PersonId>(&json).unwrap(),
            PersonId::discord(7)
        );
    }
}
