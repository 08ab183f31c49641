//! `nimo topics`: the topic taxonomy.

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;
use crate::cli::render;

pub fn run(app: &App, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    write!(out, "{}", render::topics(app.library.lexicon()))?;
    Ok(ExitCode::SUCCESS)
}
