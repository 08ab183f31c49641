//! The `FileReader` port over this module.

use super::text::{Encoding, decode};
use super::{Format, Limits, ReadError, read_as, recognise};
use crate::domain::ports::{FileReader, ReadFailure, ReadFile};

/// Reads PDF (through poppler's pdftotext), XLSX, DOCX and text files.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub limits: Limits,
}

fn failure(e: ReadError) -> ReadFailure {
    ReadFailure {
        reason: e.to_string(),
        code: e.code(),
        user_fixable: e.is_user_fixable(),
    }
}

impl FileReader for Reader {
    fn read(&self, bytes: &[u8]) -> Result<ReadFile, ReadFailure> {
        // Text keeps its own layout (page feeds, indentation, blank lines): the structural
        // parser reads those. Only the encoding is settled here.
        let format = recognise(bytes, &self.limits).map_err(failure)?;
        if format == Format::Text {
            let (text, encoding) = decode(bytes).ok_or_else(|| failure(ReadError::NotText))?;
            if text.trim().is_empty() {
                return Err(failure(ReadError::NoText));
            }
            let warnings = match encoding {
                Encoding::Utf8 => Vec::new(),
                Encoding::Utf16 => vec!["UTF-16 のテキストとして読みました".to_string()],
                Encoding::ShiftJis => vec!["Shift_JIS のテキストとして読みました".to_string()],
            };
            return Ok(ReadFile {
                format: Format::Text.label(),
                text,
                parts: 1,
                warnings,
            });
        }
        let extracted = read_as(bytes, format, &self.limits).map_err(failure)?;
        Ok(ReadFile {
            format: extracted.format.label(),
            parts: extracted.parts.len(),
            text: extracted.to_text(),
            warnings: extracted.warnings,
        })
    }

    fn max_bytes(&self) -> u64 {
        self.limits.max_bytes
    }
}
