//! Cutting a section into passages a person would want cited: whole when short, else
//! runs of bullets, numbered items or table rows of a readable size.

use std::sync::LazyLock;

use regex::Regex;

use super::layout::{BULLETS, Layout};

/// A passage grows up to about this many characters before a new one starts.
pub const TARGET_CHARS: usize = 320;
/// Pieces shorter than this are merged into the previous passage when they fit.
const MIN_CHARS: usize = 60;

static ITEM_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:令和|平成|[RH])\s*(?:元|[0-9]{1,2})\s*年度|[0-9]{1,2}\s|[0-9]{1,2}[.．、)）]|[(（][0-9一二三四五六七八九十]{1,2}[)）]|【|＜|<|[⑴-⒇]|[ア-オ][.．、)）]|任\s)",
    )
    .expect("valid regex")
});

/// Does this (normalized) line start a new item of a list or table?
fn starts_item(norm: &str) -> bool {
    norm.starts_with(BULLETS) || ITEM_START.is_match(norm)
}

/// Joins PDF-wrapped lines: Japanese runs on without a space, Latin words keep one.
fn join_into(buf: &mut String, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    if let (Some(a), Some(b)) = (buf.chars().last(), line.chars().next())
        && a.is_ascii_alphanumeric()
        && b.is_ascii_alphanumeric()
    {
        buf.push(' ');
    }
    buf.push_str(line);
}

/// The section's lines as passage texts.
pub fn pieces(lines: &[usize], layout: &Layout) -> Vec<String> {
    // 1. Units: an item (bullet, number, row) or a sentence-ended paragraph.
    let mut units: Vec<String> = Vec::new();
    let mut current = String::new();
    for &i in lines {
        let line = &layout.lines[i];
        let raw = line.raw.trim();
        // A table row of a spreadsheet or a Word table (cells joined by " | ") is a unit
        // of its own: its cells stay together, and rows never run into each other.
        if raw.contains(" | ") {
            if !current.is_empty() {
                units.push(std::mem::take(&mut current));
            }
            units.push(raw.to_string());
            continue;
        }
        if !current.is_empty() && (starts_item(&line.norm) || current.ends_with('。')) {
            units.push(std::mem::take(&mut current));
        }
        join_into(&mut current, raw);
    }
    if !current.is_empty() {
        units.push(current);
    }

    // 2. Long units are cut at sentence ends, then at the target size.
    let mut parts: Vec<String> = Vec::new();
    for unit in units {
        let row_limit = if unit.contains(" | ") {
            // A goal and its 取組状況 are read together even when long.
            2 * TARGET_CHARS
        } else {
            TARGET_CHARS
        };
        if unit.chars().count() <= row_limit {
            parts.push(unit);
        } else {
            parts.extend(split_long(&unit));
        }
    }

    // 3. Pack consecutive parts up to the target size.
    let mut out: Vec<String> = Vec::new();
    let mut acc = String::new();
    for part in parts {
        let fits = acc.chars().count() + part.chars().count() < TARGET_CHARS;
        if !acc.is_empty() && !fits {
            out.push(std::mem::take(&mut acc));
        }
        if !acc.is_empty() {
            acc.push('\n');
        }
        acc.push_str(&part);
    }
    if !acc.is_empty() {
        if let Some(last) = out.last_mut()
            && acc.chars().count() < MIN_CHARS
            && last.chars().count() + acc.chars().count() <= TARGET_CHARS + TARGET_CHARS / 3
        {
            last.push('\n');
            last.push_str(&acc);
        } else {
            out.push(acc);
        }
    }
    out
}

/// Cuts a long text after sentence ends (。) into pieces near the target size, and cuts a
/// sentence longer than that at the target size itself.
fn split_long(text: &str) -> Vec<String> {
    let mut sentences: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if c == '。' {
            sentences.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        sentences.push(cur);
    }
    let mut out = Vec::new();
    let mut acc = String::new();
    for s in sentences {
        if !acc.is_empty() && acc.chars().count() + s.chars().count() > TARGET_CHARS {
            out.push(std::mem::take(&mut acc));
        }
        acc.push_str(&s);
        while acc.chars().count() > TARGET_CHARS {
            let cut = acc
                .char_indices()
                .nth(TARGET_CHARS)
                .map(|(i, _)| i)
                .unwrap_or(acc.len());
            out.push(acc[..cut].to_string());
            acc = acc[cut..].to_string();
        }
    }
    if !acc.is_empty() {
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sentences_are_cut_without_losing_text() {
        let text = "あ".repeat(700) + "。" + &"い".repeat(10) + "。";
        let parts = split_long(&text);
        assert!(parts.iter().all(|p| p.chars().count() <= TARGET_CHARS));
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn items_are_recognized() {
        for s in [
            "・研修を実施",
            "①病院",
            "1.令和2年度",
            "(1)こころの相談",
            "【入院患者】",
            "任 障害者等",
            "令和4年度",
        ] {
            assert!(starts_item(s), "{s}");
        }
        for s in ["研修を実施した", "令和2年", "2021年"] {
            assert!(!starts_item(s), "{s}");
        }
    }
}
