//! Plain text: UTF-8 (with or without BOM), UTF-16 with a BOM (Windows Notepad's
//! 「Unicode」), and Shift_JIS (Windows-31J), which Japanese offices still produce for .txt and
//! .csv. Shift_JIS is tried only when the bytes are not UTF-8 and is accepted only if they
//! decode without a single error: cheap with encoding_rs, and a binary file almost never
//! passes. CSV stays text (one line per row): its columns are not guessed.

use encoding_rs::{SHIFT_JIS, UTF_16BE, UTF_16LE};

use super::{Block, Extracted, Format, Part, ReadError};

/// Which encoding the text was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
    ShiftJis,
}

/// Decodes the bytes if they are text; None for binary or unknown encodings.
pub(crate) fn decode(bytes: &[u8]) -> Option<(String, Encoding)> {
    let (text, enc) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (std::str::from_utf8(rest).ok()?.to_string(), Encoding::Utf8)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let (t, bad) = UTF_16LE.decode_without_bom_handling(rest);
        if bad {
            return None;
        }
        (t.into_owned(), Encoding::Utf16)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let (t, bad) = UTF_16BE.decode_without_bom_handling(rest);
        if bad {
            return None;
        }
        (t.into_owned(), Encoding::Utf16)
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_string(), Encoding::Utf8)
    } else {
        let t = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)?;
        (t.into_owned(), Encoding::ShiftJis)
    };
    if looks_binary(&text) {
        return None;
    }
    Some((text, enc))
}

/// NUL anywhere, or more than 1 % control characters other than tab, newlines and form feed.
fn looks_binary(s: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in s.chars() {
        total += 1;
        if c == '\0' {
            return true;
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C') {
            control += 1;
        }
    }
    control * 100 > total
}

pub(crate) fn read_text(bytes: &[u8]) -> Result<Extracted, ReadError> {
    let (text, enc) = decode(bytes).ok_or(ReadError::NotText)?;
    let mut warnings = Vec::new();
    match enc {
        Encoding::Utf8 => {}
        Encoding::Utf16 => warnings.push("UTF-16 のテキストとして読みました".to_string()),
        Encoding::ShiftJis => warnings.push("Shift_JIS のテキストとして読みました".to_string()),
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut blocks = Vec::new();
    let mut para = String::new();
    for line in text.split('\n') {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !para.is_empty() {
                blocks.push(Block::Paragraph(std::mem::take(&mut para)));
            }
        } else {
            if !para.is_empty() {
                para.push('\n');
            }
            para.push_str(line);
        }
    }
    if !para.is_empty() {
        blocks.push(Block::Paragraph(para));
    }
    Ok(Extracted {
        format: Format::Text,
        parts: vec![Part { name: None, blocks }],
        warnings,
    })
}
