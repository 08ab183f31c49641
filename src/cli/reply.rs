//! The one place where the terminal turns a failed use case into words: a refusal or a
//! problem with the question is said in Japanese (and the command ends with exit code
//! 2); an internal failure is logged with its causes and, in the chat, the person hears
//! only that something went wrong (a command ends with exit code 1).

use std::io::Write;
use std::process::ExitCode;

use super::render;
use crate::app::AppError;

/// What the person reads about a failure.
pub fn say(e: &AppError) -> String {
    match e {
        AppError::Refused(message) => format!("{message}\n"),
        AppError::Problem(p) => render::problem(p),
        AppError::Internal { .. } => {
            tracing::error!(error = %e.chain(), "a request failed inside nimo");
            "申し訳ありません、内部でエラーが起きました。入力済みの内容は保存されています。もう一度お試しください。\n".to_string()
        }
    }
}

/// A command's outcome when its use case failed: the reason written to `out` and exit
/// code 2, or (inside nimo) an error for `main` to report.
pub fn exit_for(out: &mut impl Write, e: AppError) -> anyhow::Result<ExitCode> {
    match e {
        AppError::Internal { .. } => Err(e.into()),
        _ => {
            write!(out, "{}", say(&e))?;
            Ok(ExitCode::from(2))
        }
    }
}

pub use crate::app::error::io_reason;
