//! `nimo ingest PATH…`: read documents into the database and the index, with progress
//! for long runs.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::app::App;
use crate::app::library::IngestEvent;
use crate::cli::render;

pub async fn run(
    app: &App,
    paths: &[PathBuf],
    force: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let interactive = std::io::stderr().is_terminal();
    let mut last_shown = 0usize;
    let mut progress = move |e: IngestEvent| match e {
        IngestEvent::Reading { done, total } if total >= 20 => {
            let pct = done * 100 / total.max(1);
            if interactive {
                eprint!("\r読み込み中 {done}/{total}（{pct}%）");
                if done == total {
                    eprintln!();
                }
            } else if pct >= last_shown + 10 || done == total {
                eprintln!("読み込み中 {done}/{total}（{pct}%）");
                last_shown = pct;
            }
        }
        IngestEvent::Committing { documents } if documents >= 20 && interactive => {
            eprint!("\r{documents}件の文書を保存・索引中…");
        }
        _ => {}
    };
    let report = app.library.ingest(paths, force, &mut progress).await?;
    write!(out, "{}", render::ingest(&report))?;
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
