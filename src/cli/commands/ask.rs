//! `nimo ask QUESTION`: one question answered, as text or as JSON.

use std::io::Write;
use std::process::ExitCode;

use crate::app::view::AnswerView;
use crate::app::{App, AppError};
use crate::cli::{emphasis, render, reply};
use crate::domain::era::parse_fiscal_year;
use crate::domain::search::query::Ask;

pub struct Options {
    pub query: String,
    pub region: Option<String>,
    pub topic: Option<String>,
    pub year: Option<String>,
    pub limit: usize,
    pub offset: usize,
    pub json: bool,
}

pub async fn run(app: &App, o: Options, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let year = match &o.year {
        Some(y) => match parse_fiscal_year(y) {
            Some(y) => Some(y),
            None => {
                let e = AppError::refused(format!(
                    "年度「{y}」を読み取れませんでした（例: 2021、R3、令和3年度）。"
                ));
                return failed(e, o.json, out);
            }
        },
        None => None,
    };
    let ask = Ask {
        question: o.query,
        region: o.region,
        topic: o.topic,
        year,
        limit: Some(o.limit),
        offset: o.offset,
    };
    match app.library.ask(&ask).await {
        Ok(answer) => {
            if o.json {
                serde_json::to_writer(&mut *out, &AnswerView::new(&answer))?;
                writeln!(out)?;
            } else {
                write!(
                    out,
                    "{}",
                    render::answer(&answer, app.library.lexicon(), emphasis())
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => failed(e, o.json, out),
    }
}

/// A question that got no answer: in JSON when JSON was asked for (a script reads it),
/// otherwise in words on stderr.
fn failed(e: AppError, json: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if !json {
        return reply::exit_for(&mut std::io::stderr(), e);
    }
    let internal = matches!(e, AppError::Internal { .. });
    let message = match &e {
        AppError::Problem(p) => p.to_string(),
        other => reply::say(other).trim_end().to_string(),
    };
    serde_json::to_writer(
        &mut *out,
        &serde_json::json!({"error": message, "hits": []}),
    )?;
    writeln!(out)?;
    Ok(ExitCode::from(if internal { 1 } else { 2 }))
}
