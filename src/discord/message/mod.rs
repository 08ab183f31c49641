//! What nimo posts in Discord: the message model fitted to Discord's limits by
//! construction (`limits`), the custom ids of its buttons (`ids`), and the renderers —
//! answers, profiles and rosters (`answers`), the 事前課題 conversation (`conversation`),
//! reminders, digests and status (`notices`). Nothing here sends anything.

pub mod answers;
pub mod conversation;
pub mod documents;
pub mod ids;
pub mod limits;
pub mod notices;

pub use limits::{Button, Embed, Reply};
