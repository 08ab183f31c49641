//! What advisors ask about: documents cut into passages (`corpus`), regions and their
//! nesting (`region`), topics (`topic`), the lexicon that reads Japanese (`lexicon`), how
//! a question is understood (`query`), and what a search returns (`results`, `snippet`),
//! including the figures of the 自治体情報シート (`figures`).

pub mod corpus;
pub mod figures;
pub mod lexicon;
pub mod passage;
pub mod query;
pub mod region;
pub mod results;
pub mod snippet;
pub mod topic;
