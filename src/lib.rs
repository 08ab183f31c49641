//! nimo: a Discord assistant for the advisors, municipal staff and organizers of the
//! 「にも包括」 programme. See README.md for what it does and how it is put together.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod discord;
pub mod domain;
pub mod formats;
pub mod search_index;
pub mod setup;
pub mod store;
