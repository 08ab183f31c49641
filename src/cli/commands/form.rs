//! `nimo form list | load FILE`: the 事前課題 form versions.

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;
use crate::cli::FormCommand;
use crate::cli::reply::exit_for;

pub async fn run(app: &App, cmd: &FormCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    match cmd {
        FormCommand::List => {
            for f in app.meetings.forms().await? {
                writeln!(
                    out,
                    "{}  {}（{}問）",
                    f.reference(),
                    f.title,
                    f.asked().len()
                )?;
            }
        }
        FormCommand::Load { file } => {
            let text = std::fs::read_to_string(file)?;
            match app.meetings.load_form(&text).await {
                Ok((f, true)) => writeln!(
                    out,
                    "フォーム {} を登録しました（{}問）。",
                    f.reference(),
                    f.asked().len()
                )?,
                Ok((f, false)) => writeln!(
                    out,
                    "フォーム {} は登録済みです（同じ内容）。",
                    f.reference()
                )?,
                Err(e) => return exit_for(out, e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
