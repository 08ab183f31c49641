//! `nimo remove ID…`: remove documents (their file name is their id).

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;

pub async fn run(app: &App, ids: &[String], out: &mut impl Write) -> anyhow::Result<ExitCode> {
    app.library.remove(ids).await?;
    writeln!(out, "{}件の文書を削除しました。", ids.len())?;
    Ok(ExitCode::SUCCESS)
}
