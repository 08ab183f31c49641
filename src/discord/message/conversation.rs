//! The 事前課題 conversation in Discord: its messages as replies with buttons, and its
//! input form as a modal.

use serde_json::{Value, json};

use super::ids::{FORM_MODAL_ID, form_id};
use super::limits::{
    Button, CONTENT, MODAL_INPUTS, MODAL_TITLE, Reply, TEXT_INPUT_LABEL, TEXT_INPUT_PLACEHOLDER,
    TEXT_INPUT_VALUE, clip, split_text,
};
use crate::domain::forms::conversation::{self, Command, MODAL_FIELDS};
use crate::domain::ids::SubmissionId;

const _: () = assert!(
    MODAL_FIELDS <= MODAL_INPUTS,
    "the form's input forms must fit a modal"
);

/// The conversation's messages as Discord messages: text split within 2000 characters,
/// its buttons on the last piece, each button saying which form (`submission`) and which
/// question it was shown with.
pub fn replies(messages: &[conversation::Message], submission: Option<SubmissionId>) -> Vec<Reply> {
    // A short note followed by the next prompt ("1行目を記録しました。" + the question)
    // goes as one message: half the requests against the channel's rate limit, and the
    // buttons land on the message the person is reading.
    let mut merged: Vec<conversation::Message> = Vec::new();
    for m in messages
        .iter()
        .filter(|m| m.modal.is_none() && !m.text.is_empty())
    {
        match merged.last_mut() {
            Some(prev)
                if prev.actions.is_empty()
                    && prev.text.chars().count() + m.text.chars().count() + 2 <= CONTENT =>
            {
                prev.text = format!("{}\n\n{}", prev.text, m.text);
                prev.actions = m.actions.clone();
                prev.at = m.at;
            }
            _ => merged.push(m.clone()),
        }
    }
    let mut out = Vec::new();
    for m in &merged {
        let parts = split_text(&m.text, CONTENT);
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let mut r = Reply::text(part);
            if i + 1 == n {
                r.buttons = m
                    .actions
                    .iter()
                    .map(|a| Button {
                        label: a.label(),
                        custom_id: form_id(*a, submission.zip(m.at)),
                        disabled: false,
                        primary: matches!(
                            a,
                            Command::Next | Command::Submit | Command::ConfirmSubmit
                        ),
                    })
                    .collect();
            }
            out.push(r);
        }
    }
    out
}

/// The interaction response opening a modal (Discord's input form) for the current
/// question.
pub fn modal(spec: &conversation::ModalSpec) -> Value {
    let rows: Vec<Value> = spec
        .fields
        .iter()
        .take(MODAL_INPUTS)
        .map(|f| {
            let mut input = json!({
                "type": 4, "custom_id": f.id, "label": clip(&f.label, TEXT_INPUT_LABEL),
                "style": if f.long { 2 } else { 1 }, "required": f.required,
                "max_length": f.max_chars.min(TEXT_INPUT_VALUE),
            });
            if !f.placeholder.is_empty() {
                input["placeholder"] = json!(clip(&f.placeholder, TEXT_INPUT_PLACEHOLDER));
            }
            if !f.value.is_empty() {
                input["value"] = json!(clip(&f.value, f.max_chars.min(TEXT_INPUT_VALUE)));
            }
            json!({ "type": 1, "components": [input] })
        })
        .collect();
    json!({
        "type": 9,
        "data": {
            "custom_id": FORM_MODAL_ID,
            "title": clip(&spec.title, MODAL_TITLE),
            "components": rows,
        }
    })
}
