//! Reading the options of a slash command, and declaring them.

use serde_json::{Value, json};
use serenity::all::{CommandInteraction, ResolvedValue};

use crate::domain::ids::MeetingId;

pub const QUESTION: &str = "内容";
pub const REGION: &str = "地域";
pub const TOPIC: &str = "テーマ";
pub const YEAR: &str = "年度";
pub const MEETING: &str = "会議";
pub const USER: &str = "ユーザー";

const STRING_KIND: u8 = 3;
const USER_KIND: u8 = 6;

fn option(kind: u8, name: &str, description: &str, required: bool, autocomplete: bool) -> Value {
    let mut o =
        json!({ "type": kind, "name": name, "description": description, "required": required });
    if autocomplete {
        o["autocomplete"] = json!(true);
    }
    o
}

/// A text option; `autocomplete` when nimo suggests values as the person types.
pub fn text(name: &str, description: &str, required: bool, autocomplete: bool) -> Value {
    option(STRING_KIND, name, description, required, autocomplete)
}

/// A Discord user option.
pub fn user(name: &str, description: &str, required: bool) -> Value {
    option(USER_KIND, name, description, required, false)
}

/// The value of a text option.
pub fn string<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::String(s) => Some(s),
            _ => None,
        })
}

/// The user of a user option, with their display name.
pub fn user_value(cmd: &CommandInteraction, name: &str) -> Option<(u64, String)> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::User(u, _) => Some((
                u.id.get(),
                u.global_name.clone().unwrap_or_else(|| u.name.clone()),
            )),
            _ => None,
        })
}

/// The meeting option (「3: 令和３年度…」 as autocomplete gives it, or a number).
pub fn meeting(cmd: &CommandInteraction) -> Option<MeetingId> {
    string(cmd, MEETING).and_then(|m| m.parse().ok())
}
