//! nimo's integration tests, in one binary: each module is a capability, driven through
//! the real parts (SQLite with its migrations, the tantivy index, the `nimo` binary, the
//! serenity client against the fake Discord of `nimo-testkit`). `helpers` is the shared
//! start: an app on a fresh data directory with a clock the test moves, and the meeting.

mod assignments;
mod cli;
mod cluster;
mod discord;
mod formats;
mod helpers;
mod reminders;
mod search;
