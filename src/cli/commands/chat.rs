//! `nimo chat [--as PERSON]`: the terminal conversation.

use std::process::ExitCode;

use crate::app::App;
use crate::cli::{chat, emphasis};
use crate::domain::people::PersonId;

pub async fn run(app: &App, as_person: Option<&str>) -> anyhow::Result<ExitCode> {
    let who = as_person
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "ターミナル".to_string());
    let person: PersonId = match who.parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let chatter = chat::Chatter {
        name: person.short(),
        person,
    };
    let stdin = std::io::stdin().lock();
    let out = std::io::stdout().lock();
    chat::run(app, Some(chatter), stdin, out, emphasis()).await?;
    Ok(ExitCode::SUCCESS)
}
