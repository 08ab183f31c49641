//! The domain core: regions, topics, documents and passages, questions and answers.
//! It knows nothing of Discord, SQL or tantivy; adapters implement its ports.

pub mod clock;
pub mod corpus;
pub mod era;
pub mod figures;
pub mod forms;
pub mod lexicon;
pub mod meeting;
pub mod passage;
pub mod people;
pub mod ports;
pub mod query;
pub mod region;
pub mod reminders;
pub mod search;
pub mod snippet;
pub mod text;
pub mod topic;
