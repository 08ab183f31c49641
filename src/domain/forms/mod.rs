//! 事前課題 forms: definitions as data, answers and their checks, the guided conversation
//! that fills them in, and the submission as it will be read.

pub mod answer;
pub mod conversation;
pub mod definition;
pub mod document;
pub mod import;

pub use answer::{Answer, Answers};
pub use conversation::{
    Command, Context, Cursor, Event, Input, Message, ModalField, ModalSpec, Op, Turn,
};
pub use definition::FormDef;
