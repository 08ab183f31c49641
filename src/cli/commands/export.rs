//! `nimo export --jsonl`: every passage, one JSON object per line.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::app::App;
use crate::app::view::HitView;

pub async fn run(app: &App, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let documents = app.library.documents().await?;
    let mut sink: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut n = 0;
    for d in &documents {
        for p in &d.passages {
            serde_json::to_writer(&mut sink, &HitView::from_passage(p))?;
            writeln!(sink)?;
            n += 1;
        }
    }
    sink.flush()?;
    eprintln!("{n}件の文章を書き出しました。");
    Ok(ExitCode::SUCCESS)
}
