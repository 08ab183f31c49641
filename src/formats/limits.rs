//! Bounds on what one file may cost.

use std::path::PathBuf;
use std::time::Duration;

/// Bounds on size, unzipped size, time and memory. `Limits::default()` suits the documents
/// of the programme (forms of a few pages, sheets of a few thousand rows).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Input size; larger files are refused before anything looks inside (default 50 MB).
    pub max_bytes: u64,
    /// Sum of the uncompressed sizes declared in a zip's central directory (default 200 MB).
    pub max_unzipped: u64,
    /// Largest uncompressed/compressed ratio of one zip entry (default 100) …
    pub max_ratio: u64,
    /// … checked only for entries whose declared uncompressed size is at least this
    /// (default 1 MB): small XML parts legitimately compress 100:1 and more.
    pub ratio_min_size: u64,
    /// Entries in one zip (default 10,000; a real xlsx/docx has tens).
    pub max_zip_entries: usize,
    /// Wall-clock time of the PDF reader process; killed after it (default 60 s).
    pub pdf_timeout: Duration,
    /// Address-space limit (RLIMIT_AS) of the PDF reader process (default 2 GiB).
    pub pdf_max_memory: u64,
    /// Extracted text, in bytes of UTF-8 (default 32 MB).
    pub max_text_bytes: u64,
    /// The pdftotext program: a bare name is looked up on PATH (default "pdftotext").
    pub pdftotext: PathBuf,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50_000_000,
            max_unzipped: 200_000_000,
            max_ratio: 100,
            ratio_min_size: 1_000_000,
            max_zip_entries: 10_000,
            pdf_timeout: Duration::from_secs(60),
            pdf_max_memory: 2 << 30,
            max_text_bytes: 32_000_000,
            pdftotext: PathBuf::from("pdftotext"),
        }
    }
}
