//! One file per command of the command line: read the arguments, call a use case, write
//! the result.

pub mod ask;
pub mod bot;
pub mod chat;
pub mod export;
pub mod form;
pub mod ingest;
pub mod inspect;
pub mod meeting;
pub mod migrate;
pub mod people;
pub mod regions;
pub mod remove;
pub mod status;
pub mod topics;
