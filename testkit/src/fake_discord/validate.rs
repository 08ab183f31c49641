//! Discord's limits, as the API documents and enforces them: the fake answers 400 like
//! Discord when the bot breaks one.

use hyper::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Discord's limits, as the API documents and enforces them.

pub(crate) fn chars(v: &Value) -> usize {
    v.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

pub(crate) fn trimmed_chars(v: &Value) -> usize {
    v.as_str().map(|s| s.trim().chars().count()).unwrap_or(0)
}

pub(crate) fn check(errors: &mut Vec<String>, ok: bool, what: impl Into<String>) {
    if !ok {
        errors.push(what.into());
    }
}

pub(crate) fn validate_components(components: &Value, errors: &mut Vec<String>) {
    let Some(rows) = components.as_array() else {
        return;
    };
    check(
        errors,
        rows.len() <= 5,
        "components: more than 5 action rows",
    );
    for row in rows {
        check(
            errors,
            row["type"] == 1,
            "components: top level must be action rows",
        );
        let items = row["components"].as_array().cloned().unwrap_or_default();
        check(
            errors,
            !items.is_empty() && items.len() <= 5,
            "components: a row holds 1 to 5 buttons",
        );
        for b in &items {
            match b["type"].as_u64() {
                Some(2) => {
                    let style = b["style"].as_u64().unwrap_or(0);
                    check(errors, (1..=6).contains(&style), "button: invalid style");
                    check(errors, chars(&b["label"]) <= 80, "button: label over 80");
                    if style != 5 && style != 6 {
                        let id = chars(&b["custom_id"]);
                        check(
                            errors,
                            (1..=100).contains(&id),
                            "button: custom_id must be 1-100",
                        );
                    }
                }
                Some(3) => {
                    check(errors, items.len() == 1, "select: must be alone in its row");
                    let options = b["options"].as_array().map(Vec::len).unwrap_or(0);
                    check(errors, options <= 25, "select: more than 25 options");
                }
                _ => errors.push("components: unsupported component type".into()),
            }
        }
    }
}

/// A message body as POST /channels/{id}/messages, follow-ups and interaction responses
/// (types 4 and 7) take it.
pub(crate) fn validate_message(body: &Value, require_something: bool) -> Vec<String> {
    let mut errors = Vec::new();
    check(
        &mut errors,
        chars(&body["content"]) <= 2000,
        "content: over 2000 characters",
    );
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    let components = body["components"].as_array().map(Vec::len).unwrap_or(0);
    if require_something {
        check(
            &mut errors,
            trimmed_chars(&body["content"]) > 0 || !embeds.is_empty() || components > 0,
            "message: cannot send an empty message (50006)",
        );
    }
    check(&mut errors, embeds.len() <= 10, "embeds: more than 10");
    let mut total = 0;
    for e in &embeds {
        check(
            &mut errors,
            chars(&e["title"]) <= 256,
            "embed: title over 256",
        );
        check(
            &mut errors,
            chars(&e["description"]) <= 4096,
            "embed: description over 4096",
        );
        check(
            &mut errors,
            chars(&e["footer"]["text"]) <= 2048,
            "embed: footer over 2048",
        );
        check(
            &mut errors,
            chars(&e["author"]["name"]) <= 256,
            "embed: author over 256",
        );
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        check(
            &mut errors,
            fields.len() <= 25,
            "embed: more than 25 fields",
        );
        for f in &fields {
            check(
                &mut errors,
                (1..=256).contains(&trimmed_chars(&f["name"])),
                "embed field: name must be 1-256",
            );
            check(
                &mut errors,
                (1..=1024).contains(&trimmed_chars(&f["value"])),
                "embed field: value must be 1-1024",
            );
            total += trimmed_chars(&f["name"]) + trimmed_chars(&f["value"]);
        }
        total += trimmed_chars(&e["title"])
            + trimmed_chars(&e["description"])
            + trimmed_chars(&e["footer"]["text"])
            + trimmed_chars(&e["author"]["name"]);
    }
    check(
        &mut errors,
        total <= 6000,
        format!("embeds: {total} characters in total, over 6000"),
    );
    validate_components(&body["components"], &mut errors);
    if let Some(n) = body.get("nonce") {
        let len = n
            .as_str()
            .map(|s| s.len())
            .unwrap_or_else(|| n.to_string().len());
        check(&mut errors, len <= 25, "nonce: over 25 characters");
    }
    let am = &body["allowed_mentions"];
    if let Some(parse) = am["parse"].as_array() {
        check(
            &mut errors,
            !(parse.iter().any(|p| p == "users")
                && am["users"].as_array().is_some_and(|u| !u.is_empty())),
            "allowed_mentions: parse users is exclusive with users",
        );
    }
    errors
}

pub(crate) fn command_name_ok(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '\'')
        && name.to_lowercase() == name
}

pub(crate) fn validate_commands(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(commands) = body.as_array() else {
        return vec!["commands: expected an array".into()];
    };
    check(
        &mut errors,
        commands.len() <= 100,
        "commands: more than 100",
    );
    for c in commands {
        let name = c["name"].as_str().unwrap_or("");
        check(
            &mut errors,
            command_name_ok(name),
            format!("command name invalid: {name:?}"),
        );
        check(
            &mut errors,
            (1..=100).contains(&chars(&c["description"])),
            format!("{name}: description must be 1-100"),
        );
        check(
            &mut errors,
            c.to_string().chars().count() <= 8000,
            format!("{name}: over 8000 characters"),
        );
        let options = c["options"].as_array().cloned().unwrap_or_default();
        check(
            &mut errors,
            options.len() <= 25,
            format!("{name}: more than 25 options"),
        );
        let mut seen_optional = false;
        for o in &options {
            let oname = o["name"].as_str().unwrap_or("");
            check(
                &mut errors,
                command_name_ok(oname),
                format!("{name}: option name invalid: {oname:?}"),
            );
            check(
                &mut errors,
                (1..=100).contains(&chars(&o["description"])),
                format!("{name}/{oname}: description 1-100"),
            );
            let required = o["required"].as_bool().unwrap_or(false);
            check(
                &mut errors,
                !(required && seen_optional),
                format!("{name}: required options must come first"),
            );
            seen_optional |= !required;
            let choices = o["choices"].as_array().map(Vec::len).unwrap_or(0);
            check(
                &mut errors,
                choices <= 25,
                format!("{name}/{oname}: more than 25 choices"),
            );
            check(
                &mut errors,
                !(choices > 0 && o["autocomplete"].as_bool() == Some(true)),
                format!("{name}/{oname}: autocomplete excludes choices"),
            );
        }
    }
    errors
}

pub(crate) fn validate_modal(data: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(
        &mut errors,
        (1..=45).contains(&chars(&data["title"])),
        "modal: title must be 1-45",
    );
    check(
        &mut errors,
        (1..=100).contains(&chars(&data["custom_id"])),
        "modal: custom_id must be 1-100",
    );
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    check(
        &mut errors,
        (1..=5).contains(&rows.len()),
        "modal: 1 to 5 components",
    );
    for row in rows {
        for input in row["components"].as_array().cloned().unwrap_or_default() {
            check(&mut errors, input["type"] == 4, "modal: only text inputs");
            check(
                &mut errors,
                (1..=45).contains(&chars(&input["label"])),
                "text input: label must be 1-45",
            );
            check(
                &mut errors,
                (1..=100).contains(&chars(&input["custom_id"])),
                "text input: custom_id 1-100",
            );
            check(
                &mut errors,
                chars(&input["value"]) <= 4000,
                "text input: value over 4000",
            );
            check(
                &mut errors,
                chars(&input["placeholder"]) <= 100,
                "text input: placeholder over 100",
            );
            for k in ["min_length", "max_length"] {
                check(
                    &mut errors,
                    input[k].as_u64().unwrap_or(0) <= 4000,
                    format!("text input: {k} over 4000"),
                );
            }
        }
    }
    errors
}

pub(crate) fn invalid_form(errors: &[String]) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({ "code": 50035, "message": "Invalid Form Body", "errors": { "_errors": errors.iter().map(|e| json!({"code": "INVALID", "message": e})).collect::<Vec<_>>() } }),
    )
}
