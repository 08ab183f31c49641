//! The application service: the use cases both front ends (terminal and Discord) call.
//! It orchestrates the domain through its ports and holds no SQL, tantivy or Discord code.

pub mod assignments;
pub mod regions;
pub mod reminders;
pub mod view;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::domain::search::corpus;
use crate::domain::era::era_label;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::passage::Document;
use crate::domain::ports::{DocumentStore, IndexState, PassageIndex, SourcedDocument};
use crate::domain::search::query::{
    Ask, KnownRegion, QueryProblem, RegionDirectory, SearchRequest, Understood, understand,
};
use crate::domain::search::region::KEY_SEPARATOR;
use crate::domain::search::results::SearchResults;

/// Documents committed together during ingest (bounds memory on large runs).
const INGEST_BATCH: usize = 200;

/// Something went wrong inside nimo (not the user's fault). The message is for logs.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Internal(pub String);

impl From<crate::domain::ports::StoreError> for Internal {
    fn from(e: crate::domain::ports::StoreError) -> Self {
        Internal(e.to_string())
    }
}

impl From<crate::domain::ports::IndexError> for Internal {
    fn from(e: crate::domain::ports::IndexError) -> Self {
        Internal(e.to_string())
    }
}

/// Why a question got no answer.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The question itself cannot be searched; tell the person why.
    #[error(transparent)]
    Problem(#[from] QueryProblem),
    #[error(transparent)]
    Internal(#[from] Internal),
}

/// The answer to a question: what was understood, what was found, what to tell.
#[derive(Debug, Clone)]
pub struct Answer {
    pub understood: Understood,
    pub results: SearchResults,
    /// Notes for the person, in Japanese (a widened search, a cut question).
    pub notes: Vec<String>,
    /// When nothing was found: things to try, in Japanese.
    pub suggestions: Vec<String>,
}

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

/// nimo's core service.
pub struct Nimo {
    lexicon: Arc<Lexicon>,
    store: Arc<dyn DocumentStore>,
    index: Arc<dyn PassageIndex>,
    directory: RwLock<Arc<RegionDirectory>>,
    publishing: Publishing,
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

impl Nimo {
    /// Wires the service and makes sure the index reflects the store (rebuilding it when a
    /// crash, a lexicon change or a new version left it behind).
    pub async fn new(
        lexicon: Arc<Lexicon>,
        store: Arc<dyn DocumentStore>,
        index: Arc<dyn PassageIndex>,
    ) -> Result<Nimo, Internal> {
        let nimo = Nimo {
            lexicon,
            store,
            index,
            directory: RwLock::new(Arc::default()),
            publishing: Publishing::default(),
        };
        nimo.ensure_index_current().await?;
        nimo.refresh_directory().await?;
        Ok(nimo)
    }

    pub fn lexicon(&self) -> &Arc<Lexicon> {
        &self.lexicon
    }

    async fn ensure_index_current(&self) -> Result<(), Internal> {
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
        tokio::task::spawn_blocking(move || index.rebuild(&documents, generation))
            .await
            .map_err(|e| Internal(format!("rebuild task: {e}")))??;
        Ok(())
    }

    async fn refresh_directory(&self) -> Result<(), Internal> {
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
        Ok(())
    }

    /// The regions with passages, in prefecture order.
    pub fn regions(&self) -> Arc<RegionDirectory> {
        self.directory.read().expect("directory lock").clone()
    }

    /// Reads files (or directories of `.txt` files) into the store and the index. Files
    /// whose bytes and lexicon are unchanged are skipped unless `force`. A file that cannot
    /// be read or parsed is reported and leaves what is indexed untouched.
    pub async fn ingest(
        &self,
        paths: &[PathBuf],
        force: bool,
        progress: &mut (dyn FnMut(IngestEvent) + Send),
    ) -> Result<IngestReport, Internal> {
        let started = Instant::now();
        let mut report = IngestReport::default();
        let files = expand_paths(paths, &mut report.failed);
        let known = self.store.fingerprints().await?;
        let mut seen_ids: HashMap<String, PathBuf> = HashMap::new();
        let mut batch: Vec<SourcedDocument> = Vec::new();
        let total = files.len();
        for (n, path) in files.into_iter().enumerate() {
            progress(IngestEvent::Reading { done: n, total });
            let Some(id) = path.file_name().map(|s| s.to_string_lossy().to_string()) else {
                continue;
            };
            if let Some(other) = seen_ids.insert(id.clone(), path.clone()) {
                report.failed.push((
                    path.clone(),
                    format!(
                        "同じファイル名の {} と区別できません（ファイル名が文書の識別子です）",
                        other.display()
                    ),
                ));
                continue;
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    report
                        .failed
                        .push((path, format!("ファイルを読めません: {e}")));
                    continue;
                }
            };
            report.bytes += bytes.len() as u64;
            let sha = format!("{:x}", Sha256::digest(&bytes));
            if !force
                && known
                    .get(&id)
                    .is_some_and(|k| k.sha256 == sha && k.lexicon == self.lexicon.fingerprint)
            {
                report.unchanged.push(path);
                continue;
            }
            match corpus::parse_bytes(&id, &bytes, &self.lexicon) {
                Ok(document) => {
                    let regions: BTreeSet<String> = document
                        .passages
                        .iter()
                        .map(|p| p.region.name.clone())
                        .collect();
                    report.ingested.push(IngestedFile {
                        id: id.clone(),
                        path: path.clone(),
                        form: document.form.clone(),
                        sheets: document.sheets,
                        passages: document.passages.len(),
                        regions: regions.into_iter().collect(),
                        warnings: document.warnings.clone(),
                    });
                    batch.push(SourcedDocument {
                        document,
                        source_path: path.display().to_string(),
                        sha256: sha,
                        lexicon: self.lexicon.fingerprint.clone(),
                    });
                }
                Err(e) => report.failed.push((path, e.to_string())),
            }
            if batch.len() >= INGEST_BATCH {
                progress(IngestEvent::Committing {
                    documents: batch.len(),
                });
                self.commit_batch(std::mem::take(&mut batch)).await?;
            }
        }
        progress(IngestEvent::Reading { done: total, total });
        if !batch.is_empty() {
            progress(IngestEvent::Committing {
                documents: batch.len(),
            });
            self.commit_batch(batch).await?;
        }
        if !report.ingested.is_empty() {
            self.refresh_directory().await?;
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Store first (the truth), then the index; a crash in between is repaired at the next
    /// start because the index then lags the store's generation.
    async fn commit_batch(&self, batch: Vec<SourcedDocument>) -> Result<(), Internal> {
        let generation = self.store.replace_documents(&batch).await?;
        let documents: Vec<Document> = batch.into_iter().map(|s| s.document).collect();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.replace_documents(&documents, &[], generation))
            .await
            .map_err(|e| Internal(format!("index task: {e}")))??;
        Ok(())
    }

    /// Stores and indexes documents produced inside nimo (submitted 事前課題), so that
    /// search finds them at once.
    /// Concurrent calls share commits (see `Publishing`); each returns once its documents
    /// are searchable.
    pub async fn publish(&self, documents: Vec<SourcedDocument>) -> Result<(), Internal> {
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
                .map_err(|e| e.0);
                for done in waiting {
                    let _ = done.send(result.clone());
                }
            }
        }
        match outcome.await {
            Ok(result) => result.map_err(Internal),
            Err(_) => Err(Internal(
                "the commit carrying these documents was abandoned".into(),
            )),
        }
    }

    /// Removes documents by id (file name).
    pub async fn remove(&self, ids: &[String]) -> Result<(), Internal> {
        let generation = self.store.remove_documents(ids).await?;
        let index = self.index.clone();
        let ids = ids.to_vec();
        tokio::task::spawn_blocking(move || index.replace_documents(&[], &ids, generation))
            .await
            .map_err(|e| Internal(format!("index task: {e}")))??;
        self.refresh_directory().await
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults, Internal> {
        let index = self.index.clone();
        let request = request.clone();
        let results = tokio::task::spawn_blocking(move || index.search(&request))
            .await
            .map_err(|e| Internal(format!("search task: {e}")))??;
        Ok(results)
    }

    /// Answers a question. When a region or year named in the question leaves nothing, the
    /// search widens (prefecture, then nationwide; any year) and says so.
    pub async fn ask(&self, ask: &Ask) -> Result<Answer, AskError> {
        let directory = self.regions();
        let mut understood = understand(ask, &self.lexicon, &directory)?;
        let mut notes = std::mem::take(&mut understood.notes);
        let mut results = self.search(&understood.request).await?;

        if results.total == 0
            && understood.year_from_question
            && let Some(y) = understood.request.fiscal_year.take()
        {
            let widened = self.search(&understood.request).await?;
            if widened.total > 0 {
                notes.push(format!(
                    "{}の資料は見つからなかったため、年度を問わず検索しました。",
                    era_label(y)
                ));
                results = widened;
            } else {
                understood.request.fiscal_year = Some(y);
            }
        }
        if results.total == 0
            && understood.region_from_question
            && !understood.request.regions.is_empty()
        {
            let label = understood.region_label.clone().unwrap_or_default();
            // Widen step by step to the places containing it: block → city → prefecture.
            let mut keys = understood.request.regions.clone();
            loop {
                let parents: Vec<String> = keys
                    .iter()
                    .filter_map(|k| k.rsplit_once(KEY_SEPARATOR).map(|(p, _)| p.to_string()))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if parents.is_empty() {
                    break;
                }
                let request = SearchRequest {
                    regions: parents.clone(),
                    ..understood.request.clone()
                };
                let widened = self.search(&request).await?;
                if widened.total > 0 {
                    let names: Vec<String> = parents
                        .iter()
                        .filter_map(|k| k.rsplit(KEY_SEPARATOR).next().map(str::to_string))
                        .collect();
                    notes.push(format!(
                        "「{label}」の資料は見つからなかったため、{}全体で検索しました。",
                        names.join("・")
                    ));
                    understood.request = request;
                    understood.region_label = Some(names.join("・"));
                    results = widened;
                    break;
                }
                keys = parents;
            }
            if results.total == 0 && !understood.request.text.is_empty() {
                let request = SearchRequest {
                    regions: Vec::new(),
                    per_region: Some(2),
                    ..understood.request.clone()
                };
                let widened = self.search(&request).await?;
                if widened.total > 0 {
                    notes.push(format!(
                        "「{label}」の資料は見つからなかったため、全国で検索しました。"
                    ));
                    understood.request = request;
                    understood.region_label = None;
                    results = widened;
                }
            }
        }
        let suggestions = if results.total == 0 {
            self.suggestions(&understood).await?
        } else {
            Vec::new()
        };
        Ok(Answer {
            understood,
            results,
            notes,
            suggestions,
        })
    }

    /// What to try when nothing was found.
    async fn suggestions(&self, understood: &Understood) -> Result<Vec<String>, Internal> {
        let mut out = Vec::new();
        let req = &understood.request;
        if !req.regions.is_empty() || req.fiscal_year.is_some() || req.topic.is_some() {
            let unfiltered = SearchRequest {
                regions: Vec::new(),
                fiscal_year: None,
                topic: None,
                limit: 1,
                ..req.clone()
            };
            if !unfiltered.text.is_empty() {
                let n = self.search(&unfiltered).await?.total;
                if n > 0 {
                    out.push(format!(
                        "地域・年度・テーマの条件を外すと {n} 件見つかります。"
                    ));
                }
            }
        }
        // Topics that share words with the question.
        let text = &req.text;
        let grams: BTreeSet<String> = {
            let chars: Vec<char> = text.chars().collect();
            chars.windows(2).map(|w| w.iter().collect()).collect()
        };
        let mut related: Vec<String> = Vec::new();
        for t in self.lexicon.taxonomy.topics() {
            let words: Vec<&String> = std::iter::once(&t.name).chain(t.synonyms.iter()).collect();
            if words.iter().any(|w| {
                let wc: Vec<char> = w.chars().collect();
                wc.windows(2)
                    .any(|g| grams.contains(&g.iter().collect::<String>()))
            }) {
                related.push(format!(
                    "{}（{}）",
                    t.name,
                    t.synonyms
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("・")
                ));
            }
        }
        if !related.is_empty() {
            out.push(format!("関連するテーマ: {}", related.join("、")));
        }
        if text.chars().count() > 6 {
            out.push("言葉を短くするか、別の言い方で試してください（例: 「ピアサポーターの養成講座」→「ピア 養成」）。".into());
        }
        if out.is_empty() {
            out.push(
                "別の言葉で試すか、地域名だけで検索すると、その地域の資料を一覧できます。".into(),
            );
        }
        Ok(out)
    }

    /// Every passage, for export.
    pub async fn documents(&self) -> Result<Vec<Document>, Internal> {
        Ok(self.store.documents().await?)
    }

    /// Number of passages in the index.
    pub fn passage_count(&self) -> Result<usize, Internal> {
        Ok(self.index.passage_count()?)
    }

    /// A known region by key.
    pub fn region(&self, key: &str) -> Option<KnownRegion> {
        self.regions().get(key).cloned()
    }
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
            failed.push((dir.to_path_buf(), format!("フォルダを読めません: {e}")));
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
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
        {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests;
