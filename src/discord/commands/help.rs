//! 「/ヘルプ」: how to use nimo in Discord.

use serde_json::{Value, json};

use crate::discord::message::Reply;
use crate::discord::message::answers;

pub const NAME: &str = "ヘルプ";

pub fn definition() -> Value {
    json!({ "name": NAME, "type": 1, "description": "nimo の使い方" })
}

pub fn run() -> Vec<Reply> {
    vec![answers::help()]
}
