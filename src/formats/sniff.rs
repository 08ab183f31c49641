//! Recognising a file by its content (never by its name or extension).

use super::error::OleKind;
use super::{Format, ReadError, text, zipguard};

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Recognises the format from the bytes:
/// - `%PDF-` within the first 1024 bytes (as PDF readers allow) → `Pdf`;
/// - a zip whose `[Content_Types].xml` (or, lacking it, whose parts) say spreadsheetml →
///   `Xlsx` (also .xlsm/.xltx), wordprocessingml → `Docx` (also .docm/.dotx);
/// - UTF-8 (BOM allowed), UTF-16 with a BOM, or clean Shift_JIS text → `Text`.
///
/// OLE compound files (a password-protected xlsx/docx, old .xls/.doc/.ppt), other zips
/// (pptx, OpenDocument, plain archives), images and other binaries are errors whose
/// Japanese message says what the file is and what to do.
pub fn sniff(bytes: &[u8]) -> Result<Format, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ReadError::PasswordOrOldFormat {
            kind: ole_kind(bytes),
        });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return sniff_zip(bytes);
    }
    if let Some(reason) = known_binary(bytes) {
        return Err(ReadError::Unsupported {
            reason: reason.to_string(),
        });
    }
    if bytes.starts_with(b"{\\rtf") {
        return Err(ReadError::Unsupported {
            reason: "リッチテキスト（RTF）形式です。Wordで .docx 形式で保存し直してください".into(),
        });
    }
    match text::decode(bytes) {
        Some(_) => Ok(Format::Text),
        None => Err(ReadError::NotText),
    }
}

fn sniff_zip(bytes: &[u8]) -> Result<Format, ReadError> {
    let mut zip = zipguard::open(bytes)?;
    if let Some(ct) = zipguard::read_entry(&mut zip, "[Content_Types].xml", 1_000_000)? {
        let ct = String::from_utf8_lossy(&ct);
        if ct.contains("spreadsheetml.sheet.main")
            || ct.contains("spreadsheetml.template.main")
            || ct.contains("ms-excel.sheet.macroEnabled.main")
            || ct.contains("ms-excel.template.macroEnabled.main")
        {
            return Ok(Format::Xlsx);
        }
        if ct.contains("wordprocessingml.document.main")
            || ct.contains("wordprocessingml.template.main")
            || ct.contains("ms-word.document.macroEnabled.main")
            || ct.contains("ms-word.template.macroEnabledTemplate.main")
        {
            return Ok(Format::Docx);
        }
        if ct.contains("presentationml") {
            return Err(ReadError::Unsupported {
                reason: "PowerPoint（.pptx）のファイルです。PDFに変換してから追加してください"
                    .into(),
            });
        }
        if ct.contains("ms-excel.sheet.binary") {
            return Err(ReadError::Unsupported {
                reason: "Excelバイナリブック（.xlsb）です。.xlsx 形式で保存し直してください".into(),
            });
        }
    }
    // No (or an unusual) [Content_Types].xml: judge by the parts.
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    if names.iter().any(|n| n == "xl/workbook.xml") {
        return Ok(Format::Xlsx);
    }
    if names.iter().any(|n| n == "word/document.xml") {
        return Ok(Format::Docx);
    }
    if names.iter().any(|n| n == "mimetype") {
        let mime = zipguard::read_entry(&mut zip, "mimetype", 200)?.unwrap_or_default();
        if mime.starts_with(b"application/vnd.oasis.opendocument") {
            return Err(ReadError::Unsupported {
                reason:
                    "OpenDocument形式（.ods/.odt）です。.xlsx か .docx 形式で保存し直してください"
                        .into(),
            });
        }
    }
    Err(ReadError::Unsupported {
        reason: "ZIP圧縮ファイルです。展開して中のファイルを1つずつ追加してください".into(),
    })
}

/// Which Office file an OLE compound file holds, from the UTF-16LE stream names in its
/// directory. A byte search, not a CFB parse: enough to word the message.
fn ole_kind(bytes: &[u8]) -> OleKind {
    let has = |name: &str| {
        let pat: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        find(bytes, &pat).is_some()
    };
    if has("EncryptedPackage") {
        OleKind::EncryptedOoxml
    } else if has("WordDocument") {
        OleKind::Doc
    } else if has("Workbook") || has("Book\0") {
        OleKind::Xls
    } else if has("PowerPoint Document") {
        OleKind::Ppt
    } else {
        OleKind::Unknown
    }
}

fn known_binary(b: &[u8]) -> Option<&'static str> {
    const IMAGE: &str =
        "画像ファイルです。文字認識（OCR）してPDFかテキストにしてから追加してください";
    if b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || (b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP")
        || (b.len() > 12 && &b[4..8] == b"ftyp" && (&b[8..12] == b"heic" || &b[8..12] == b"heix"))
    {
        return Some(IMAGE);
    }
    if b.starts_with(&[0x1F, 0x8B])
        || b.starts_with(b"7z\xBC\xAF\x27\x1C")
        || b.starts_with(b"Rar!\x1A\x07")
    {
        return Some("圧縮ファイルです。展開して中のファイルを1つずつ追加してください");
    }
    None
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}
