//! Turning a file's bytes (PDF, XLSX, DOCX or text) into structured text.
//!
//! ```ignore
//! use crate::formats::{read, Limits};
//! let bytes = std::fs::read("事前課題.pdf").unwrap();
//! match read(&bytes, &Limits::default()) {
//!     Ok(doc) => println!("{}", doc.to_text()),
//!     Err(e) => eprintln!("{e}"), // a Japanese sentence for the user
//! }
//! ```
//!
//! Self-contained except for `port.rs` (the `FileReader` port): std and crates.io crates
//! only (calamine, zip, quick-xml,
//! encoding_rs, tempfile, libc). PDFs need poppler's `pdftotext` at run time (Debian:
//! `apt-get install poppler-utils poppler-data`).
//!
//! Every format's text goes through the same last steps: the CID fold of fold.rs
//! (〜→～, −→－, vertical forms, Kangxi radicals), control characters removed (form feeds
//! would break `to_text`'s part separator), empty blocks and parts dropped. A result
//! with no text at all is an error (`NoTextLayer` for a PDF, `NoText` otherwise), never an
//! empty success. A panic in any parser is caught and becomes `ReadError::Internal`.

mod docx;
mod error;
mod fold;
mod limits;
mod numfmt;
mod pdf;
mod port;
mod sniff;
mod text;
mod xlsx;
mod zipguard;

pub use port::Reader;

#[cfg(test)]
mod tests;

pub use error::{OleKind, ReadError};
pub use fold::fold;
pub use limits::Limits;
pub use sniff::sniff;

/// A format recognised by `sniff` (by content, never by file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Pdf,
    Xlsx,
    Docx,
}

impl Format {
    /// A short Japanese name for messages (「PDF」「Excel」「Word」「テキスト」).
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "テキスト",
            Format::Pdf => "PDF",
            Format::Xlsx => "Excel",
            Format::Docx => "Word",
        }
    }
}

/// What was read from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub format: Format,
    /// PDF: one per page (name "p.1", "p.2", …; a page without text is kept, empty, so
    /// that numbering matches the document). XLSX: one per visible sheet (its name).
    /// DOCX: the body (no name), then 「ヘッダー・フッター」 and 「脚注」 when present.
    /// Text: one part.
    pub parts: Vec<Part>,
    /// Things the user should know that did not stop the reading (Japanese): hidden sheets
    /// skipped, a repaired PDF, pages without text, Shift_JIS decoding.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph; may hold several lines (`\n`): a PDF text block, a cell-less heading.
    Paragraph(String),
    /// Rows of cells, rectangular (every row as wide as the widest; empty strings where a
    /// cell is blank or covered by a merge). A cell's text may hold `\n`.
    Table(Vec<Vec<String>>),
}

/// Reads a file: size check, `sniff`, the format's reader, then the common clean-up (see
/// the module doc). Never panics; never returns an empty success.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    read_as(bytes, recognise(bytes, limits)?, limits)
}

/// The size check and `sniff`, a panic caught: what `read` does before reading.
pub fn recognise(bytes: &[u8], limits: &Limits) -> Result<Format, ReadError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(ReadError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    guarded(|| sniff(bytes))
}

/// Reads a file `recognise` gave as `format`.
pub fn read_as(bytes: &[u8], format: Format, limits: &Limits) -> Result<Extracted, ReadError> {
    guarded(|| {
        let doc = match format {
            Format::Text => text::read_text(bytes)?,
            Format::Pdf => pdf::read_pdf(bytes, limits)?,
            Format::Xlsx => xlsx::read_xlsx(bytes, limits)?,
            Format::Docx => docx::read_docx(bytes, limits)?,
        };
        finish(doc)
    })
}

/// Runs a reader; a panic becomes `ReadError::Internal` (the panic hook still reports it).
fn guarded<T>(f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "原因不明".into());
            Err(ReadError::Internal {
                detail: format!(
                    "読み取り処理が異常終了しました: {}",
                    msg.chars().take(200).collect::<String>()
                ),
            })
        }
    }
}

/// Common clean-up of every format's result.
fn finish(mut doc: Extracted) -> Result<Extracted, ReadError> {
    let keep_empty_parts = doc.format == Format::Pdf;
    for part in &mut doc.parts {
        for block in &mut part.blocks {
            match block {
                Block::Paragraph(p) => *p = clean(p),
                Block::Table(rows) => {
                    for cell in rows.iter_mut().flatten() {
                        *cell = clean(cell);
                    }
                    rows.retain(|r| r.iter().any(|c| !c.is_empty()));
                }
            }
        }
        part.blocks.retain(|b| match b {
            Block::Paragraph(p) => !p.is_empty(),
            Block::Table(rows) => !rows.is_empty(),
        });
    }
    if !keep_empty_parts {
        doc.parts.retain(|p| !p.blocks.is_empty());
    }
    if doc.parts.iter().all(|p| p.blocks.is_empty()) {
        return Err(if doc.format == Format::Pdf {
            ReadError::NoTextLayer
        } else {
            ReadError::NoText
        });
    }
    Ok(doc)
}

/// Fold, normalise line ends, drop control characters other than tab and newline, and
/// trim the ends.
fn clean(s: &str) -> String {
    let s = fold(s);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\x0B' | '\x0C' => out.push('\n'),
            '\u{FEFF}' => {}
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

impl Extracted {
    /// Plain text for indexing and display:
    /// - parts separated by a form feed (`\f`) on its own line; an XLSX part starts with the
    ///   line 「シート：NAME」 (sheet names often name the region), except default names
    ///   such as Sheet1; a DOCX part other than the body starts with 「【NAME】」
    ///   (【ヘッダー・フッター】, 【脚注】);
    /// - a paragraph as its lines;
    /// - a table row as one line: its non-empty cells joined by " | ". Line breaks inside
    ///   a cell are joined (Japanese runs on; a space only between Latin letters or
    ///   digits), so that a row stays one line and a label stays on the line of its value.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_str("\x0C\n");
            }
            if self.format == Format::Xlsx
                && let Some(name) = &part.name
                && !is_default_sheet_name(name)
            {
                out.push_str("シート：");
                out.push_str(name);
                out.push('\n');
            }
            if self.format == Format::Docx
                && let Some(name) = &part.name
            {
                // 「【ヘッダー・フッター】」「【脚注】」: not the body.
                out.push('【');
                out.push_str(name);
                out.push_str("】\n");
            }
            for block in &part.blocks {
                match block {
                    Block::Paragraph(p) => {
                        out.push_str(p);
                        out.push('\n');
                    }
                    Block::Table(rows) => {
                        for row in rows {
                            let cells: Vec<String> = row
                                .iter()
                                .filter(|c| !c.is_empty())
                                .map(|c| join_cell_lines(c))
                                .collect();
                            if !cells.is_empty() {
                                out.push_str(&cells.join(" | "));
                                out.push('\n');
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// A cell's lines (Alt+Enter breaks) as one line: Japanese runs on as it was typed, a
/// space only between Latin letters or digits.
fn join_cell_lines(cell: &str) -> String {
    let mut out = String::new();
    for line in cell.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        if let (Some(a), Some(b)) = (out.chars().last(), line.chars().next())
            && (a.is_ascii_alphanumeric() || a.is_ascii_punctuation())
            && (b.is_ascii_alphanumeric() || b.is_ascii_punctuation())
        {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

fn is_default_sheet_name(name: &str) -> bool {
    let rest = name
        .strip_prefix("Sheet")
        .or_else(|| name.strip_prefix("sheet"))
        .or_else(|| name.strip_prefix("シート"));
    rest.is_some_and(|r| {
        r.trim()
            .chars()
            .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
    })
}
