//! The library: the programme's documents and the questions asked of them. Ingest reads
//! files into the store (the truth) and the index (derived from it); `ask` answers a
//! question; `publish` makes documents produced inside nimo (submitted 事前課題) searchable
//! at once; `regions` answers 「この地域は？」 and 「このテーマに取り組んでいるのは？」.

mod ask;
mod regions;

pub use ask::{Answer, FigureRow, FigureTable, PlaceAnswer};
pub use regions::{DocumentSummary, RegionProfile, Roster, RosterEntry, SectionSummary};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::app::AppError;
use crate::app::error::io_reason;
use crate::domain::ports::{
    DocumentStore, FigureRecord, FileReader, IndexState, PassageIndex, ReadFailure, ReadFile,
    SourceFingerprint, SourcedDocument,
};
use crate::domain::search::corpus;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::passage::Document;
use crate::domain::search::query::{KnownRegion, RegionDirectory, SearchRequest};
use crate::domain::search::results::SearchResults;

/// Files read at the same moment, at most (PDFs are read by a child process each).
const FILES_READ_AT_ONCE: usize = 2;

/// Documents committed together during ingest (bounds memory on large runs).
const INGEST_BATCH: usize = 200;

/// Progress of an ingest, for long runs.
#[derive(Debug, Clone)]
pub enum IngestEvent {
    Reading { done: usize, total: usize },
    Committing { documents: usize },
}

#[derive(Debug, Clone)]
pub struct IngestedFile {
    pub id: String,
    pub path: PathBuf,
    /// 「PDF」「Excel」「Word」「テキスト」.
    pub format: &'static str,
    /// Pages of a PDF, sheets of a workbook.
    pub parts: usize,
    /// The title a person recognises.
    pub title: String,
    /// Figures read from a 基礎情報 table.
    pub figures: usize,
    /// A document of the same name was there before and is replaced.
    pub replaced: bool,
    pub form: String,
    pub sheets: usize,
    pub passages: usize,
    pub regions: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub ingested: Vec<IngestedFile>,
    pub unchanged: Vec<PathBuf>,
    /// File and reason (Japanese).
    pub failed: Vec<(PathBuf, String)>,
    pub elapsed: Duration,
    pub bytes: u64,
}

impl IngestReport {
    pub fn passages(&self) -> usize {
        self.ingested.iter().map(|f| f.passages).sum()
    }
}

/// One ingest run: what is known, what was seen, what waits to be committed.
struct IngestRun {
    report: IngestReport,
    known: HashMap<String, SourceFingerprint>,
    seen_ids: HashMap<String, PathBuf>,
    batch: Vec<SourcedDocument>,
    force: bool,
}

impl IngestRun {
    fn new(known: HashMap<String, SourceFingerprint>, force: bool) -> IngestRun {
        IngestRun {
            report: IngestReport::default(),
            known,
            seen_ids: HashMap::new(),
            batch: Vec::new(),
            force,
        }
    }
}

/// The documents and what can be asked of them.
pub struct Library {
    lexicon: Arc<Lexicon>,
    store: Arc<dyn DocumentStore>,
    index: Arc<dyn PassageIndex>,
    reader: Arc<dyn FileReader>,
    /// Files read at the same moment (see `read_file`).
    reading: tokio::sync::Semaphore,
    directory: RwLock<Arc<RegionDirectory>>,
    /// Every region's basic figures (small: a few dozen per sheet), read with the
    /// directory after every change.
    figures: RwLock<Arc<Vec<FigureRecord>>>,
    publishing: Publishing,
    /// One change of the index at a time in this process (ingest, publish, remove, and
    /// following other processes' changes), so the generation it records only grows.
    index_writes: tokio::sync::Mutex<()>,
    /// The store generation the directory and figures were last read at.
    seen_generation: std::sync::atomic::AtomicU64,
}

/// Group commit for `publish`. A tantivy commit costs tens of milliseconds (it syncs to
/// disk) and commits are one at a time, so when many regions submit in the same minute
/// before a deadline, committing each submission alone makes the last one wait for all
/// the others. Instead each caller queues its documents; whoever gets the commit lock
/// takes everything queued so far and commits it at once, and every caller is told the
/// outcome of the commit that carried its documents.
#[derive(Default)]
struct Publishing {
    queue: std::sync::Mutex<Vec<Queued>>,
    commit: tokio::sync::Mutex<()>,
}

type Queued = (
    Vec<SourcedDocument>,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

impl Library {
    /// Wires the service and makes sure the index reflects the store (rebuilding it when a
    /// crash, a lexicon change or a new version left it behind).
    pub async fn new(
        lexicon: Arc<Lexicon>,
        store: Arc<dyn DocumentStore>,
        index: Arc<dyn PassageIndex>,
        reader: Arc<dyn FileReader>,
    ) -> Result<Library, AppError> {
        let library = Library {
            lexicon,
            store,
            index,
            reader,
            reading: tokio::sync::Semaphore::new(FILES_READ_AT_ONCE),
            directory: RwLock::new(Arc::default()),
            figures: RwLock::new(Arc::default()),
            publishing: Publishing::default(),
            index_writes: tokio::sync::Mutex::new(()),
            seen_generation: std::sync::atomic::AtomicU64::new(0),
        };
        library.ensure_index_current().await?;
        library.refresh_directory().await?;
        Ok(library)
    }

    pub fn lexicon(&self) -> &Arc<Lexicon> {
        &self.lexicon
    }

    async fn ensure_index_current(&self) -> Result<(), AppError> {
        let generation = self.store.generation().await?;
        let want = IndexState {
            lexicon: self.index.lexicon(),
            generation,
        };
        let have = self.index.state()?;
        if have.as_ref() == Some(&want) || (have.is_none() && generation == 0) {
            return Ok(());
        }
        tracing::info!(
            ?have,
            ?want,
            "search index is behind the database; rebuilding it"
        );
        let documents = self.store.documents().await?;
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.rebuild(&documents, generation)).await??;
        Ok(())
    }

    async fn refresh_directory(&self) -> Result<(), AppError> {
        let generation = self.store.generation().await?;
        let mut regions = self.store.regions().await?;
        let order: HashMap<&str, usize> = self
            .lexicon
            .gazetteer
            .prefectures()
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        regions.sort_by_key(|r| {
            (
                r.prefecture
                    .as_deref()
                    .and_then(|p| order.get(p).copied())
                    .unwrap_or(usize::MAX),
                r.key.clone(),
            )
        });
        *self.directory.write().expect("directory lock") =
            Arc::new(RegionDirectory::new(regions, &self.lexicon));
        let mut figures = self.store.figures().await?;
        figures.sort_by(|a, b| {
            (a.region.key(), std::cmp::Reverse(a.fiscal_year))
                .cmp(&(b.region.key(), std::cmp::Reverse(b.fiscal_year)))
        });
        *self.figures.write().expect("figures lock") = Arc::new(figures);
        self.seen_generation
            .fetch_max(generation, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Brings this process up to date with changes other processes made to the database
    /// (documents ingested or removed, 事前課題 submitted elsewhere): the search index gets
    /// exactly the documents changed since the generation it reflects, and the region
    /// directory and figures are read again. Returns the generation now reflected.
    pub async fn follow(&self) -> Result<u64, AppError> {
        let current = self.store.generation().await?;
        // Both must be current: the directory (read at `seen_generation`) and the index
        // (which records its own generation; a change committed while the directory was
        // read may not be in it yet).
        let directory = self
            .seen_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        if current <= directory && current <= self.index_generation()? {
            return Ok(current);
        }
        let applied = {
            let _writing = self.index_writes.lock().await;
            let have = self.index.state()?.map_or(0, |s| s.generation);
            let changes = self.store.changes_since(have).await?;
            if changes.generation > have {
                tracing::info!(
                    from = have,
                    to = changes.generation,
                    documents = changes.documents.len(),
                    removed = changes.removed.len(),
                    "following the database"
                );
                let index = self.index.clone();
                let generation = changes.generation;
                tokio::task::spawn_blocking(move || {
                    index.replace_documents(&changes.documents, &changes.removed, generation)
                })
                .await??;
            }
            changes.generation.max(have)
        };
        self.refresh_directory().await?;
        Ok(applied)
    }

    /// The store generation this process's search index reflects.
    pub fn index_generation(&self) -> Result<u64, AppError> {
        Ok(self.index.state()?.map_or(0, |s| s.generation))
    }

    /// The database's generation (it grows with every change of documents).
    pub async fn store_generation(&self) -> Result<u64, AppError> {
        Ok(self.store.generation().await?)
    }

    /// Every region's basic figures, newest document first within a region.
    pub fn figures(&self) -> Arc<Vec<FigureRecord>> {
        self.figures.read().expect("figures lock").clone()
    }

    /// The regions with passages, in prefecture order.
    pub fn regions(&self) -> Arc<RegionDirectory> {
        self.directory.read().expect("directory lock").clone()
    }

    /// Reads files (or directories of them: `.txt`, `.csv`, `.pdf`, `.xlsx`, `.docx`) into
    /// the store and the index. Files whose bytes and lexicon are unchanged are skipped
    /// unless `force`. A file that cannot be read or parsed is reported with its reason and
    /// leaves what is indexed untouched.
    pub async fn ingest(
        &self,
        paths: &[PathBuf],
        force: bool,
        progress: &mut (dyn FnMut(IngestEvent) + Send),
    ) -> Result<IngestReport, AppError> {
        let started = Instant::now();
        let mut run = IngestRun::new(self.store.fingerprints().await?, force);
        let files = expand_paths(paths, &mut run.report.failed);
        let total = files.len();
        for (n, path) in files.into_iter().enumerate() {
            progress(IngestEvent::Reading { done: n, total });
            let Some(id) = path.file_name().map(|s| s.to_string_lossy().to_string()) else {
                continue;
            };
            let too_big = std::fs::metadata(&path)
                .map(|m| m.len() > self.reader.max_bytes())
                .unwrap_or(false);
            if too_big {
                run.report.failed.push((
                    path,
                    format!(
                        "ファイルが大きすぎます（上限 {} MB）。分割するか、不要なページを除いてください。",
                        self.reader.max_bytes() / 1_000_000
                    ),
                ));
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    run.report
                        .failed
                        .push((path, format!("ファイルを読めません（{}）", io_reason(&e))));
                    continue;
                }
            };
            self.take_in(&mut run, id, path, bytes, progress).await?;
        }
        progress(IngestEvent::Reading { done: total, total });
        self.finish_run(run, started, progress).await
    }

    /// Adds files handed over (an organizer's attachments in Discord): the same reading
    /// and checks as `ingest`. Who may add them is decided by `Assignments::add_documents`.
    pub async fn add_files(&self, files: Vec<(String, Vec<u8>)>) -> Result<IngestReport, AppError> {
        // One commit at a time with submissions being published, so the index's
        // generation follows the store's.
        let _commit = self.publishing.commit.lock().await;
        let started = Instant::now();
        let mut run = IngestRun::new(self.store.fingerprints().await?, false);
        let mut quiet = |_: IngestEvent| {};
        for (name, bytes) in files {
            let id = Path::new(&name)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or(name);
            self.take_in(&mut run, id.clone(), PathBuf::from(&id), bytes, &mut quiet)
                .await?;
        }
        self.finish_run(run, started, &mut quiet).await
    }

    /// Reads a file (PDF, Excel, Word or text) to text, off the async runtime.
    pub async fn read_file(&self, bytes: Vec<u8>) -> Result<ReadFile, ReadFailure> {
        // A PDF's reader may take seconds and up to 2 GiB: a few files at a time.
        let _turn = self.reading.acquire().await;
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || reader.read(&bytes))
            .await
            .unwrap_or_else(|e| {
                Err(ReadFailure {
                    reason: format!("読み取り処理が異常終了しました（{e}）"),
                    code: "internal",
                    user_fixable: false,
                })
            })
    }

    /// The largest file accepted, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.reader.max_bytes()
    }

    /// One file of a run: read, parse, check against what is indexed, queue.
    async fn take_in(
        &self,
        run: &mut IngestRun,
        id: String,
        path: PathBuf,
        bytes: Vec<u8>,
        progress: &mut (dyn FnMut(IngestEvent) + Send),
    ) -> Result<(), AppError> {
        if let Some(other) = run.seen_ids.insert(id.clone(), path.clone()) {
            run.report.failed.push((
                path,
                format!(
                    "同じファイル名の {} と区別できません（ファイル名が文書の識別子です）",
                    other.display()
                ),
            ));
            return Ok(());
        }
        run.report.bytes += bytes.len() as u64;
        let sha = format!("{:x}", Sha256::digest(&bytes));
        if !run.force
            && run
                .known
                .get(&id)
                .is_some_and(|k| k.sha256 == sha && k.lexicon == self.lexicon.fingerprint)
        {
            run.report.unchanged.push(path);
            return Ok(());
        }
        let read = match self.read_file(bytes).await {
            Ok(read) => read,
            Err(e) => {
                if !e.user_fixable {
                    tracing::error!(file = %path.display(), code = e.code, "a file could not be read: {e}");
                }
                run.report.failed.push((path, e.reason));
                return Ok(());
            }
        };
        match corpus::parse_text(&id, &read.text, &self.lexicon) {
            Ok(document)
                if !run.force
                    && let Some(shrunk) =
                        run.known.get(&id).and_then(|old| shrinks(old, &document)) =>
            {
                run.report.failed.push((path, shrunk));
            }
            Ok(document) => {
                let regions: BTreeSet<String> = document
                    .passages
                    .iter()
                    .map(|p| p.region.name.clone())
                    .collect();
                let mut warnings = read.warnings;
                warnings.extend(document.warnings.iter().cloned());
                run.report.ingested.push(IngestedFile {
                    id: id.clone(),
                    path: path.clone(),
                    format: read.format,
                    parts: read.parts,
                    form: document.form.clone(),
                    sheets: document.sheets,
                    passages: document.passages.len(),
                    regions: regions.into_iter().collect(),
                    figures: document.figures.iter().map(|f| f.figures.len()).sum(),
                    replaced: run.known.contains_key(&id),
                    title: document.title.clone(),
                    warnings,
                });
                run.batch.push(SourcedDocument {
                    document,
                    source_path: path.display().to_string(),
                    sha256: sha,
                    lexicon: self.lexicon.fingerprint.clone(),
                });
            }
            Err(e) => run.report.failed.push((path, e.to_string())),
        }
        if run.batch.len() >= INGEST_BATCH {
            progress(IngestEvent::Committing {
                documents: run.batch.len(),
            });
            self.commit_batch(std::mem::take(&mut run.batch)).await?;
        }
        Ok(())
    }

    async fn finish_run(
        &self,
        mut run: IngestRun,
        started: Instant,
        progress: &mut (dyn FnMut(IngestEvent) + Send),
    ) -> Result<IngestReport, AppError> {
        if !run.batch.is_empty() {
            progress(IngestEvent::Committing {
                documents: run.batch.len(),
            });
            self.commit_batch(std::mem::take(&mut run.batch)).await?;
        }
        if !run.report.ingested.is_empty() {
            self.refresh_directory().await?;
        }
        run.report.elapsed = started.elapsed();
        Ok(run.report)
    }

    /// Store first (the truth), then the index; a crash in between is repaired at the next
    /// start because the index then lags the store's generation.
    async fn commit_batch(&self, batch: Vec<SourcedDocument>) -> Result<(), AppError> {
        let _writing = self.index_writes.lock().await;
        let have = self.index_generation()?;
        let generation = self.store.replace_documents(&batch).await?;
        let documents: Vec<Document> = batch.into_iter().map(|s| s.document).collect();
        self.index_change(have, generation, documents, Vec::new())
            .await
    }

    /// Applies a change this process just wrote to the store (at `generation`) to the
    /// index that reflected `have` before it. When another process wrote in between, its
    /// changes are read from the store and applied with ours, so the generation the index
    /// records always means "everything up to here".
    async fn index_change(
        &self,
        have: u64,
        generation: u64,
        documents: Vec<Document>,
        removed: Vec<String>,
    ) -> Result<(), AppError> {
        let (documents, removed, generation) = if have + 1 == generation {
            (documents, removed, generation)
        } else {
            let changes = self.store.changes_since(have).await?;
            (changes.documents, changes.removed, changes.generation)
        };
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            index.replace_documents(&documents, &removed, generation)
        })
        .await??;
        Ok(())
    }

    /// Stores and indexes documents produced inside nimo (submitted 事前課題), so that
    /// search finds them at once.
    /// Concurrent calls share commits (see `Publishing`); each returns once its documents
    /// are searchable.
    pub async fn publish(&self, documents: Vec<SourcedDocument>) -> Result<(), AppError> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        self.publishing
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((documents, done));
        {
            let _leader = self.publishing.commit.lock().await;
            let queued = std::mem::take(
                &mut *self
                    .publishing
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            );
            if !queued.is_empty() {
                let mut batch: Vec<SourcedDocument> = Vec::new();
                let mut waiting = Vec::with_capacity(queued.len());
                for (documents, done) in queued {
                    for d in documents {
                        // A later version of the same document (an amendment right after
                        // a submission) replaces the earlier one within the batch.
                        batch.retain(|b| b.document.id != d.document.id);
                        batch.push(d);
                    }
                    waiting.push(done);
                }
                let result = match self.commit_batch(batch).await {
                    Ok(()) => self.refresh_directory().await,
                    Err(e) => Err(e),
                }
                .map_err(|e| e.chain());
                for done in waiting {
                    let _ = done.send(result.clone());
                }
            }
        }
        match outcome.await {
            Ok(result) => result.map_err(|e| AppError::internal(format!("publishing: {e}"))),
            Err(_) => Err(AppError::internal(
                "the commit carrying these documents was abandoned",
            )),
        }
    }

    /// Removes documents by id (file name).
    pub async fn remove(&self, ids: &[String]) -> Result<(), AppError> {
        let _writing = self.index_writes.lock().await;
        let have = self.index_generation()?;
        let generation = self.store.remove_documents(ids).await?;
        self.index_change(have, generation, Vec::new(), ids.to_vec())
            .await?;
        self.refresh_directory().await
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults, AppError> {
        let index = self.index.clone();
        let request = request.clone();
        let results = tokio::task::spawn_blocking(move || index.search(&request)).await??;
        Ok(results)
    }

    /// Every passage, for export.
    pub async fn documents(&self) -> Result<Vec<Document>, AppError> {
        Ok(self.store.documents().await?)
    }

    /// Number of passages in the index.
    pub fn passage_count(&self) -> Result<usize, AppError> {
        Ok(self.index.passage_count()?)
    }

    /// A known region by key.
    pub fn region(&self, key: &str) -> Option<KnownRegion> {
        self.regions().get(key).cloned()
    }
}

/// Why a new copy of a document is not taken without `--force`: it would lose most of
/// what the stored one says (a file cut short, the wrong file under the same name).
fn shrinks(old: &SourceFingerprint, new: &Document) -> Option<String> {
    let lost = |before: usize, after: usize| before >= 4 && after * 2 < before;
    let (sheets, passages) = (new.sheets, new.passages.len());
    (lost(old.sheets, sheets) || lost(old.passages, passages)).then(|| {
        format!(
            "取り込み済みの同名の文書（{}シート・{}件の文章）が、この内容では{}シート・{}件に減るため、取り込みませんでした。ファイルが途中で切れていないか確認してください。この内容で置き換える場合は、コマンドラインで --force を付けて取り込んでください。",
            old.sheets, old.passages, sheets, passages
        )
    })
}

/// Files named, and the `.txt` files under directories named, sorted; missing paths are
/// reported.
fn expand_paths(paths: &[PathBuf], failed: &mut Vec<(PathBuf, String)>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, failed);
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            failed.push((p.clone(), "ファイルが見つかりません".to_string()));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, failed: &mut Vec<(PathBuf, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            failed.push((
                dir.to_path_buf(),
                format!("フォルダを読めません（{}）", io_reason(&e)),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out, failed);
        } else if is_document(&path) {
            out.push(path);
        }
    }
}

/// The files a folder's documents are taken from (a file named on its own is read
/// whatever its name: the format is recognised by content). Office's lock files
/// (「~$名簿.xlsx」) are not documents.
fn is_document(path: &Path) -> bool {
    const EXTENSIONS: &[&str] = &["txt", "csv", "pdf", "xlsx", "xlsm", "docx", "docm"];
    let lock_file = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("~$"));
    !lock_file
        && path
            .extension()
            .is_some_and(|e| EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

#[cfg(test)]
mod tests;
