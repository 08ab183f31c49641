//! Errors of `read` and `sniff`: each Display is a Japanese sentence a municipal user
//! understands and can act on; `code()` is a stable ASCII name for logs and tests.

use std::fmt;

/// What an OLE compound file (D0 CF 11 E0) holds, judged by its stream names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OleKind {
    /// An Office 2007+ file saved with a password (EncryptedPackage stream).
    EncryptedOoxml,
    /// Excel 97–2003 (.xls).
    Xls,
    /// Word 97–2003 (.doc).
    Doc,
    /// PowerPoint 97–2003 (.ppt).
    Ppt,
    /// Some other compound file (or one whose directory could not be read).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The file is empty (0 bytes).
    Empty,
    /// Larger than `Limits::max_bytes`; refused before any parsing.
    TooLarge { limit: u64 },
    /// A format this module does not read; `reason` is Japanese and names what it is.
    Unsupported { reason: String },
    /// An OLE compound file: a password-protected xlsx/docx, or an old .xls/.doc/.ppt.
    PasswordOrOldFormat { kind: OleKind },
    /// A PDF (or a zip entry) that needs a password to open.
    Encrypted,
    /// Damaged or cut short; `detail` (Japanese) says what was found.
    Damaged { detail: String },
    /// A zip whose declared contents are too large or too compressed (zip bomb).
    ZipBomb { detail: String },
    /// A PDF with pages but no text layer (a scan).
    NoTextLayer,
    /// Read fine but holds no text at all (empty sheets, an empty document).
    NoText,
    /// Neither UTF-8 (with or without BOM), UTF-16 with BOM, nor Shift_JIS text.
    NotText,
    /// The PDF reader ran longer than `Limits::pdf_timeout` and was killed.
    Timeout { secs: u64 },
    /// The PDF reader needed more memory than `Limits::pdf_max_memory`.
    MemoryLimit { limit: u64 },
    /// The extracted text is larger than `Limits::max_text_bytes`.
    TooMuchText { limit: u64 },
    /// `pdftotext` is not installed (or not at `Limits::pdftotext`).
    PdfToolMissing { program: String },
    /// poppler could not find the Adobe-Japan1 CMaps (Debian package poppler-data).
    PdfCmapMissing { detail: String },
    /// A bug or an unexpected failure inside a parser (a caught panic, an I/O error on a
    /// temporary file); the file may still be fine.
    Internal { detail: String },
}

fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb >= 10.0 || mb.fract() == 0.0 {
        format!("{mb:.0}MB")
    } else {
        format!("{mb:.1}MB")
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => f.write_str("ファイルが空です（0バイト）"),
            ReadError::TooLarge { limit } => {
                write!(f, "ファイルが大きすぎます（上限 {}）", mb(*limit))
            }
            ReadError::Unsupported { reason } => {
                write!(f, "この種類のファイルは読めません（{reason}）")
            }
            ReadError::PasswordOrOldFormat { kind } => f.write_str(match kind {
                OleKind::EncryptedOoxml => {
                    "パスワードで保護されているため読めません（保護を解除して保存し直してから追加してください）"
                }
                OleKind::Xls => {
                    "古い形式（.xls）のExcelファイルは読めません（Excelで「.xlsx」形式で保存し直してから追加してください）"
                }
                OleKind::Doc => {
                    "古い形式（.doc）のWordファイルは読めません（Wordで「.docx」形式で保存し直してから追加してください）"
                }
                OleKind::Ppt => {
                    "古い形式（.ppt）のPowerPointファイルは読めません（PDFに変換してから追加してください）"
                }
                OleKind::Unknown => {
                    "パスワードで保護されているか、古い形式（.xls/.doc）です（保護を解除し、.xlsx/.docx 形式で保存し直してから追加してください）"
                }
            }),
            ReadError::Encrypted => f.write_str(
                "パスワードで保護されているため読めません（保護を解除して保存し直してから追加してください）",
            ),
            ReadError::Damaged { detail } => {
                write!(f, "ファイルが壊れているか途中で切れています（{detail}）")
            }
            ReadError::ZipBomb { detail } => {
                write!(f, "圧縮を展開すると大きくなりすぎるため読みません（{detail}）")
            }
            ReadError::NoTextLayer => f.write_str(
                "画像だけのPDFで文字情報がありません（スキャンした資料は文字認識（OCR）してから追加してください）",
            ),
            ReadError::NoText => f.write_str("文字が見つかりませんでした（中身が空のファイルです）"),
            ReadError::NotText => f.write_str(
                "文字のファイルとして読めません（UTF-8 か Shift_JIS のテキスト、PDF、Excel（.xlsx）、Word（.docx）を追加してください）",
            ),
            ReadError::Timeout { secs } => write!(
                f,
                "読み取りに時間がかかりすぎたため中断しました（{secs}秒）。ページ数を分けて追加してください"
            ),
            ReadError::MemoryLimit { limit } => write!(
                f,
                "読み取りに必要なメモリが上限（{}）を超えたため中断しました。ページ数を分けて追加してください",
                mb(*limit)
            ),
            ReadError::TooMuchText { limit } => write!(
                f,
                "取り出した文字が多すぎます（上限 {}）。ファイルを分けて追加してください",
                mb(*limit)
            ),
            ReadError::PdfToolMissing { program } => write!(
                f,
                "PDFを読むためのプログラム {program} が見つかりません（管理者の方へ：Debian/Ubuntu では `apt-get install poppler-utils poppler-data` で入ります）"
            ),
            ReadError::PdfCmapMissing { detail } => write!(
                f,
                "日本語PDFの文字対応表（CMap）が見つかりません（管理者の方へ：Debian/Ubuntu では `apt-get install poppler-data` で入ります。{detail}）"
            ),
            ReadError::Internal { detail } => {
                write!(f, "読み取り中に予期しないエラーが起きました（{detail}）")
            }
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// A stable ASCII name of the variant, for logs, metrics and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "empty",
            ReadError::TooLarge { .. } => "too_large",
            ReadError::Unsupported { .. } => "unsupported",
            ReadError::PasswordOrOldFormat { .. } => "password_or_old_format",
            ReadError::Encrypted => "encrypted",
            ReadError::Damaged { .. } => "damaged",
            ReadError::ZipBomb { .. } => "zip_bomb",
            ReadError::NoTextLayer => "no_text_layer",
            ReadError::NoText => "no_text",
            ReadError::NotText => "not_text",
            ReadError::Timeout { .. } => "timeout",
            ReadError::MemoryLimit { .. } => "memory_limit",
            ReadError::TooMuchText { .. } => "too_much_text",
            ReadError::PdfToolMissing { .. } => "pdf_tool_missing",
            ReadError::PdfCmapMissing { .. } => "pdf_cmap_missing",
            ReadError::Internal { .. } => "internal",
        }
    }

    /// True when the file itself is at fault (the user should fix or replace it); false
    /// for problems of this server (missing tools, bugs) that an administrator must fix.
    pub fn is_user_fixable(&self) -> bool {
        !matches!(
            self,
            ReadError::PdfToolMissing { .. }
                | ReadError::PdfCmapMissing { .. }
                | ReadError::Internal { .. }
        )
    }
}
