//! The one error type of the use cases. Each front end turns it into a reply in one place
//! (`discord::handler::reply_for`, `cli::reply::say`): a refusal or a problem with the
//! question is explained to the person in Japanese; an internal failure is logged with its
//! causes and the person is told only that something went wrong.

use crate::domain::ports::{BoxError, IndexError, StoreError};
use crate::domain::search::query::QueryProblem;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not allowed or not possible now; the message (Japanese) says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// The question itself cannot be searched; the front end tells the person why.
    #[error(transparent)]
    Problem(#[from] QueryProblem),
    /// Something went wrong inside nimo (not the person's fault). For logs only.
    #[error("nimo failed: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl AppError {
    pub fn refused(message: impl Into<String>) -> AppError {
        AppError::Refused(message.into())
    }

    /// An internal failure with no underlying error.
    pub fn internal(context: impl Into<String>) -> AppError {
        AppError::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// An internal failure caused by another error.
    pub fn caused(context: impl Into<String>, source: impl Into<BoxError>) -> AppError {
        AppError::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// The whole chain of causes on one line, for logs.
    pub fn chain(&self) -> String {
        chain(self)
    }
}

/// An error and its causes, joined: `nimo failed: … : store: saving answer: database is locked`.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::caused("the database", e)
    }
}

impl From<IndexError> for AppError {
    fn from(e: IndexError) -> Self {
        AppError::caused("the search index", e)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::caused("a background task", e)
    }
}

/// Why a file or folder could not be opened, in Japanese (for the person who named it).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "ファイルが見つかりません".into(),
        ErrorKind::PermissionDenied => "読む権限がありません".into(),
        ErrorKind::IsADirectory => "フォルダです。ファイルを指定してください".into(),
        _ => format!("開けませんでした（{e}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_kept() {
        let io = std::io::Error::other("disk full");
        let e: AppError = StoreError::new("saving answer", io).into();
        assert_eq!(
            e.chain(),
            "nimo failed: the database: store: saving answer: disk full"
        );
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(AppError::refused("だめです").to_string(), "だめです");
    }
}
