//! Discord's documented limits, and the small message model nimo renders into so that every
//! message is within them by construction (split, paginate or trim deliberately; never a
//! 400 from Discord). Lengths are counted in characters, as Discord counts them.

use serde_json::{Value, json};

pub const CONTENT: usize = 2000;
pub const EMBEDS_PER_MESSAGE: usize = 10;
pub const EMBED_TITLE: usize = 256;
pub const EMBED_DESCRIPTION: usize = 4096;
pub const EMBED_FIELDS: usize = 25;
pub const FIELD_NAME: usize = 256;
pub const FIELD_VALUE: usize = 1024;
pub const FOOTER: usize = 2048;
/// Across all embeds of one message.
pub const EMBEDS_TOTAL: usize = 6000;
pub const ACTION_ROWS: usize = 5;
pub const BUTTONS_PER_ROW: usize = 5;
pub const BUTTON_LABEL: usize = 80;
pub const CUSTOM_ID: usize = 100;
pub const CHOICES: usize = 25;
pub const CHOICE_NAME: usize = 100;
pub const CHOICE_VALUE: usize = 100;
pub const COMMAND_DESCRIPTION: usize = 100;
pub const MODAL_TITLE: usize = 45;
pub const TEXT_INPUT_LABEL: usize = 45;
pub const TEXT_INPUT_VALUE: usize = 4000;
/// Grey example text in an empty text input.
pub const TEXT_INPUT_PLACEHOLDER: usize = 100;
pub const MODAL_INPUTS: usize = 5;

pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// At most `max` characters; a cut text ends with 「…」.
pub fn clip(s: &str, max: usize) -> String {
    if chars(s) <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits text into pieces of at most `max` characters, at line ends where possible.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if chars(&current) + chars(line) > max && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if chars(line) > max {
            let mut rest: Vec<char> = line.chars().collect();
            while rest.len() > max {
                out.push(rest.drain(..max).collect());
            }
            current = rest.into_iter().collect();
        } else {
            current.push_str(line);
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// Escapes Discord Markdown in text that came from documents or users, so that it shows as
/// written and cannot fake formatting, links or headings.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '<' | '@'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An embed, measured. Colours are nimo's: calm green for answers, amber for notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub fields: Vec<(String, String)>,
    pub footer: String,
    pub color: u32,
}

pub const COLOR_ANSWER: u32 = 0x2E8B57;
pub const COLOR_NOTE: u32 = 0xD98E04;
pub const COLOR_ERROR: u32 = 0xB22222;

impl Embed {
    /// Characters counted toward the 6000 limit.
    pub fn size(&self) -> usize {
        chars(self.title.trim())
            + chars(self.description.trim())
            + chars(self.footer.trim())
            + self
                .fields
                .iter()
                .map(|(n, v)| chars(n.trim()) + chars(v.trim()))
                .sum::<usize>()
    }

    /// Clips every part to its own limit and keeps at most 25 fields.
    pub fn fit_parts(&mut self) {
        self.title = clip(&self.title, EMBED_TITLE);
        self.description = clip(&self.description, EMBED_DESCRIPTION);
        self.footer = clip(&self.footer, FOOTER);
        self.fields.truncate(EMBED_FIELDS);
        for (n, v) in &mut self.fields {
            *n = clip(n, FIELD_NAME);
            *v = clip(v, FIELD_VALUE);
            // Discord rejects empty names and values.
            if n.trim().is_empty() {
                *n = "\u{200b}".into();
            }
            if v.trim().is_empty() {
                *v = "\u{200b}".into();
            }
        }
    }

    /// Shrinks the longest text until the embed counts at most `budget` characters.
    pub fn fit_total(&mut self, budget: usize) {
        self.fit_parts();
        while self.size() > budget {
            let over = self.size() - budget;
            // The longest part gives up what is over (at least a little, to make progress).
            let mut longest: (usize, &mut String) =
                (chars(&self.description), &mut self.description);
            for (_, v) in &mut self.fields {
                let n = chars(v);
                if n > longest.0 {
                    longest = (n, v);
                }
            }
            if longest.0 <= 1 {
                self.fields.pop();
                continue;
            }
            let keep = longest.0.saturating_sub(over.max(16)).max(1);
            *longest.1 = clip(longest.1, keep);
        }
    }

    pub fn to_json(&self) -> Value {
        let mut e = json!({ "color": self.color });
        if !self.title.is_empty() {
            e["title"] = json!(self.title);
        }
        if !self.description.is_empty() {
            e["description"] = json!(self.description);
        }
        if !self.fields.is_empty() {
            e["fields"] = Value::Array(
                self.fields
                    .iter()
                    .map(|(n, v)| json!({"name": n, "value": v, "inline": false}))
                    .collect(),
            );
        }
        if !self.footer.is_empty() {
            e["footer"] = json!({ "text": self.footer });
        }
        e
    }
}

/// A button; `custom_id` carries what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub label: String,
    pub custom_id: String,
    pub disabled: bool,
    pub primary: bool,
}

impl Button {
    pub fn to_json(&self) -> Value {
        json!({
            "type": 2,
            "style": if self.primary { 1 } else { 2 },
            "label": clip(&self.label, BUTTON_LABEL),
            "custom_id": self.custom_id,
            "disabled": self.disabled,
        })
    }
}

/// One message nimo sends: text, embeds and a row of buttons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub buttons: Vec<Button>,
    /// Only the person who asked sees it (interaction replies only).
    pub ephemeral: bool,
}

impl Reply {
    pub fn text(content: impl Into<String>) -> Reply {
        Reply {
            content: content.into(),
            ..Default::default()
        }
    }

    pub fn embed(embed: Embed) -> Reply {
        Reply {
            embeds: vec![embed],
            ..Default::default()
        }
    }

    /// The message body, with mentions never turned into pings.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "content": clip(&self.content, CONTENT),
            "embeds": self.embeds.iter().map(Embed::to_json).collect::<Vec<_>>(),
            "allowed_mentions": { "parse": [] },
        });
        let buttons: Vec<&Button> = self
            .buttons
            .iter()
            .filter(|b| !b.custom_id.is_empty() && chars(&b.custom_id) <= CUSTOM_ID)
            .collect();
        let rows: Vec<Value> = buttons
            .chunks(BUTTONS_PER_ROW)
            .take(ACTION_ROWS)
            .map(|row| json!({"type": 1, "components": row.iter().map(|b| b.to_json()).collect::<Vec<_>>()}))
            .collect();
        body["components"] = Value::Array(rows);
        if self.ephemeral {
            body["flags"] = json!(64);
        }
        body
    }
}

/// Packs embeds into as many replies as the per-message limits need (10 embeds, 6000
/// characters across them), the buttons going on the last one.
pub fn pack(mut embeds: Vec<Embed>, buttons: Vec<Button>) -> Vec<Reply> {
    let mut replies: Vec<Reply> = Vec::new();
    let mut current: Vec<Embed> = Vec::new();
    let mut used = 0;
    for mut e in embeds.drain(..) {
        e.fit_total(EMBEDS_TOTAL);
        if !current.is_empty()
            && (current.len() == EMBEDS_PER_MESSAGE || used + e.size() > EMBEDS_TOTAL)
        {
            replies.push(Reply {
                embeds: std::mem::take(&mut current),
                ..Default::default()
            });
            used = 0;
        }
        used += e.size();
        current.push(e);
    }
    if !current.is_empty() || replies.is_empty() {
        replies.push(Reply {
            embeds: current,
            ..Default::default()
        });
    }
    if let Some(last) = replies.last_mut() {
        last.buttons = buttons;
    }
    replies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("ピアサポーター", 4), "ピアサ…");
        assert_eq!(clip("ピア", 4), "ピア");
    }

    #[test]
    fn split_keeps_lines_and_limits() {
        let text = format!(
            "{}\n{}\n{}",
            "あ".repeat(1500),
            "い".repeat(1500),
            "う".repeat(4500)
        );
        let parts = split_text(&text, CONTENT);
        assert!(parts.iter().all(|p| chars(p) <= CONTENT));
        assert_eq!(parts.concat().replace('\n', ""), text.replace('\n', ""));
    }

    #[test]
    fn an_embed_is_fitted_to_every_limit() {
        let mut e = Embed {
            title: "t".repeat(300),
            description: "d".repeat(5000),
            fields: (0..30)
                .map(|i| (format!("f{i}"), "v".repeat(1500)))
                .collect(),
            footer: "x".repeat(3000),
            color: 0,
        };
        e.fit_total(EMBEDS_TOTAL);
        assert!(e.size() <= EMBEDS_TOTAL, "{}", e.size());
        assert!(chars(&e.title) <= EMBED_TITLE);
        assert!(chars(&e.description) <= EMBED_DESCRIPTION);
        assert!(e.fields.len() <= EMBED_FIELDS);
        assert!(
            e.fields
                .iter()
                .all(|(n, v)| chars(n) <= FIELD_NAME && chars(v) <= FIELD_VALUE)
        );
    }

    #[test]
    fn many_embeds_make_several_messages() {
        let embeds: Vec<Embed> = (0..12)
            .map(|i| Embed {
                title: format!("{i}"),
                description: "あ".repeat(2500),
                ..Default::default()
            })
            .collect();
        let replies = pack(
            embeds,
            vec![Button {
                label: "次へ".into(),
                custom_id: "x".into(),
                disabled: false,
                primary: true,
            }],
        );
        assert!(replies.len() >= 5);
        for r in &replies {
            assert!(r.embeds.len() <= EMBEDS_PER_MESSAGE);
            assert!(r.embeds.iter().map(Embed::size).sum::<usize>() <= EMBEDS_TOTAL);
        }
        assert!(replies.last().unwrap().buttons.len() == 1);
        assert!(replies[0].buttons.is_empty());
    }

    #[test]
    fn markdown_from_documents_is_inert() {
        assert_eq!(
            escape_markdown("**太字** <@123> [x](y)"),
            "\\*\\*太字\\*\\* \\<\\@123\\> \\[x\\](y)"
        );
    }

    #[test]
    fn replies_never_ping() {
        let body = Reply::text("@everyone").to_json();
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
    }
}
