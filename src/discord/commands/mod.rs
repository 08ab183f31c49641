//! The slash commands, in Japanese, one file each: its definition (registered at
//! start-up) and what it does — parse the options, call a use case, render. This file is
//! the registry: the order commands are registered in, how each is acknowledged, and
//! autocomplete for the options they share.

pub mod add_documents;
pub mod ask;
pub mod assignment;
mod autocomplete;
pub mod help;
pub mod options;
pub mod region;
pub mod register_staff;
pub mod request_staff;
pub mod status;
pub mod submitted;
pub mod topic;

use serde_json::Value;
use serenity::all::CommandInteraction;

pub use autocomplete::autocomplete;

use super::bot::Bot;
use super::message::Reply;
use crate::app::AppError;

/// How a command is acknowledged within Discord's 3 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Answered at once (nothing to wait for).
    Now,
    /// Deferred, then completed by follow-ups: searching may take a moment. `private`:
    /// only the person who asked sees the answer (the 事前課題 commands).
    Later { private: bool },
}

/// A command's entry in the registry: its name, how it is acknowledged, its definition.
type Entry = (&'static str, Ack, fn() -> Value);

/// Every command, in the order Discord lists them.
const COMMANDS: [Entry; 10] = [
    (ask::NAME, Ack::Later { private: false }, ask::definition),
    (
        region::NAME,
        Ack::Later { private: false },
        region::definition,
    ),
    (
        topic::NAME,
        Ack::Later { private: false },
        topic::definition,
    ),
    (
        assignment::NAME,
        Ack::Later { private: true },
        assignment::definition,
    ),
    (
        request_staff::NAME,
        Ack::Later { private: true },
        request_staff::definition,
    ),
    (
        register_staff::NAME,
        Ack::Later { private: true },
        register_staff::definition,
    ),
    (
        submitted::NAME,
        Ack::Later { private: true },
        submitted::definition,
    ),
    (
        status::NAME,
        Ack::Later { private: true },
        status::definition,
    ),
    (
        add_documents::NAME,
        Ack::Later { private: false },
        add_documents::definition,
    ),
    (help::NAME, Ack::Now, help::definition),
];

/// The commands as Discord's API takes them (`PUT /applications/{id}/commands`).
pub fn definitions() -> Value {
    Value::Array(COMMANDS.iter().map(|(_, _, d)| d()).collect())
}

/// How the command of this name is acknowledged; None for one nimo does not have.
pub fn ack(name: &str) -> Option<Ack> {
    COMMANDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, a, _)| *a)
}

/// Runs a slash command.
pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    match cmd.data.name.as_str() {
        ask::NAME => ask::run(bot, cmd).await,
        region::NAME => region::run(bot, cmd).await,
        topic::NAME => topic::run(bot, cmd).await,
        assignment::NAME => assignment::run(bot, cmd).await,
        request_staff::NAME => request_staff::run(bot, cmd).await,
        register_staff::NAME => register_staff::run(bot, cmd).await,
        submitted::NAME => submitted::run(bot, cmd).await,
        status::NAME => status::run(bot, cmd).await,
        add_documents::NAME => add_documents::run(bot, cmd).await,
        help::NAME => Ok(help::run()),
        other => Err(AppError::refused(format!(
            "「/{other}」というコマンドはありません。/ヘルプ をお試しください。"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::message::limits::{COMMAND_DESCRIPTION, chars};

    #[test]
    fn definitions_fit_discord() {
        let defs = definitions();
        let defs = defs.as_array().unwrap();
        assert_eq!(defs.len(), COMMANDS.len());
        assert!(serde_json::to_string(&defs).unwrap().chars().count() < 8000 * defs.len());
        for (d, (name, _, _)) in defs.iter().zip(COMMANDS) {
            assert_eq!(
                d["name"].as_str(),
                Some(name),
                "registered under its own name"
            );
            let name = d["name"].as_str().unwrap();
            assert!((1..=32).contains(&chars(name)));
            assert!(
                name.chars()
                    .all(|c| c.is_alphanumeric() || "-_'".contains(c))
            );
            assert!((1..=COMMAND_DESCRIPTION).contains(&chars(d["description"].as_str().unwrap())));
            for o in d["options"].as_array().into_iter().flatten() {
                assert!((1..=32).contains(&chars(o["name"].as_str().unwrap())));
                assert!(
                    (1..=COMMAND_DESCRIPTION).contains(&chars(o["description"].as_str().unwrap()))
                );
            }
        }
    }
}
