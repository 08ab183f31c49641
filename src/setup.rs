//! Wiring: builds the service from configuration. `main` and the test harnesses call this;
//! nothing else constructs adapters.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::JapaneseAnalyzer;
use crate::app::assignments::Assignments;
use crate::app::reminders::Reminders;
use crate::app::{Internal, Nimo};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::search::lexicon::{Lexicon, LexiconFiles};
use crate::search_index::TantivyIndex;
use crate::store::Store;

/// Where nimo keeps its state and which lexicon it reads with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `nimo.sqlite` and `index/`.
    pub data_dir: PathBuf,
    /// A lexicon directory replacing the compiled-in `index/` (for adjusting words).
    pub lexicon_dir: Option<PathBuf>,
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("nimo.sqlite")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    pub fn lexicon(&self) -> Result<Arc<Lexicon>, Internal> {
        let files = match &self.lexicon_dir {
            Some(dir) => LexiconFiles::from_dir(dir).map_err(|e| Internal(e.to_string()))?,
            None => LexiconFiles::embedded(),
        };
        Ok(Arc::new(
            Lexicon::parse(&files).map_err(|e| Internal(e.to_string()))?,
        ))
    }
}

/// Everything a front end needs.
pub struct Opened {
    pub nimo: Arc<Nimo>,
    pub assignments: Arc<Assignments>,
    pub reminders: Arc<Reminders>,
    pub store: Store,
    pub analyzer: Arc<JapaneseAnalyzer>,
    pub clock: Arc<dyn Clock>,
}

/// Opens the database and the index in the data directory and wires the service.
pub async fn open(config: &Config) -> Result<Opened, Internal> {
    open_with_clock(config, Arc::new(SystemClock)).await
}

/// `open`, with time from `clock` (tests and simulations move it by hand).
pub async fn open_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Opened, Internal> {
    let lexicon = config.lexicon()?;
    let analyzer =
        Arc::new(JapaneseAnalyzer::new(lexicon.clone()).map_err(|e| Internal(e.to_string()))?);
    let store = Store::open(&config.database_path())
        .await?
        .with_clock(clock.clone());
    let index = TantivyIndex::open(&config.index_dir(), analyzer.clone())?;
    wire(lexicon, analyzer, store, index, clock).await
}

/// The same service entirely in memory (tests, benchmarks, trying without a data dir).
pub async fn open_in_memory(lexicon: Arc<Lexicon>) -> Result<Opened, Internal> {
    open_in_memory_with_clock(lexicon, Arc::new(SystemClock)).await
}

/// `open_in_memory`, with time from `clock`.
pub async fn open_in_memory_with_clock(
    lexicon: Arc<Lexicon>,
    clock: Arc<dyn Clock>,
) -> Result<Opened, Internal> {
    let analyzer =
        Arc::new(JapaneseAnalyzer::new(lexicon.clone()).map_err(|e| Internal(e.to_string()))?);
    let store = Store::in_memory().await?.with_clock(clock.clone());
    let index = TantivyIndex::in_memory(analyzer.clone())?;
    wire(lexicon, analyzer, store, index, clock).await
}

async fn wire(
    lexicon: Arc<Lexicon>,
    analyzer: Arc<JapaneseAnalyzer>,
    store: Store,
    index: TantivyIndex,
    clock: Arc<dyn Clock>,
) -> Result<Opened, Internal> {
    let nimo = Arc::new(Nimo::new(lexicon, Arc::new(store.clone()), Arc::new(index)).await?);
    let assignments =
        Arc::new(Assignments::new(nimo.clone(), Arc::new(store.clone()), clock.clone()).await?);
    let reminders = Arc::new(Reminders::new(
        assignments.clone(),
        Arc::new(store.clone()),
        clock.clone(),
    ));
    Ok(Opened {
        nimo,
        assignments,
        reminders,
        store,
        analyzer,
        clock,
    })
}
