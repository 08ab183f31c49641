//! The domain core: what nimo knows of the にも包括 programme, in its own words. It knows
//! nothing of Discord, SQL or tantivy; adapters implement its ports.
//!
//! - `search/`: documents and passages, regions, topics, the lexicon, understanding a
//!   question (the knowledge advisors ask about)
//! - `forms/`: 事前課題 forms as data, answers, the guided conversation
//! - `meetings/`: meetings and deadlines, the reminder ladder, status and notices
//! - `people`: roles and who may do what; `ids`: the identifiers of stored things
//! - `clock`, `era`, `text`: time in Japan, era years, Japanese text normalization
//! - `ports/`: what the core needs from the world

pub mod clock;
pub mod era;
pub mod forms;
pub mod ids;
pub mod meetings;
pub mod people;
pub mod ports;
pub mod search;
pub mod text;
