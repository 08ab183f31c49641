//! What nimo's integration tests and benchmarks share, kept out of nimo itself: a fake
//! Discord that speaks the gateway and REST protocols and enforces Discord's limits, and
//! the gold set of advisor questions with the measures used on it.

pub mod fake_discord;
pub mod gold;
pub mod measure;
pub mod postgres;
pub mod sheets;
