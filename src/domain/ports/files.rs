//! Reading a file as people have it (PDF, Excel, Word, text) into text the structural
//! parser reads: parts (pages, sheets) separated by a form feed, table rows as one line
//! with cells joined by " | ".

/// What was read from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadFile {
    /// 「PDF」「Excel」「Word」「テキスト」.
    pub format: &'static str,
    pub text: String,
    /// Pages of a PDF, sheets of a workbook, 1 otherwise.
    pub parts: usize,
    /// Things worth knowing that did not stop the reading (Japanese).
    pub warnings: Vec<String>,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct ReadFailure {
    /// A Japanese sentence for the person who gave the file.
    pub reason: String,
    /// A stable name for logs and `--json` (`encrypted`, `no_text_layer`, …).
    pub code: &'static str,
    /// False when the problem is the server's (a missing tool), not the file's.
    pub user_fixable: bool,
}

/// Reads files. Blocking (a PDF may take seconds): call it off the async runtime.
pub trait FileReader: Send + Sync {
    fn read(&self, bytes: &[u8]) -> Result<ReadFile, ReadFailure>;

    /// The largest file accepted, in bytes (checked before downloading or reading).
    fn max_bytes(&self) -> u64;
}
