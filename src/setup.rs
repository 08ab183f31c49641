//! Wiring: builds the service from configuration. `main` and the test harnesses call this;
//! nothing else constructs adapters.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::JapaneseAnalyzer;
use crate::app::{Internal, Nimo};
use crate::domain::lexicon::{Lexicon, LexiconFiles};
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
    pub store: Store,
    pub analyzer: Arc<JapaneseAnalyzer>,
}

/// Opens the database and the index in the data directory and wires the service.
pub async fn open(config: &Config) -> Result<Opened, Internal> {
    let lexicon = config.lexicon()?;
    let analyzer =
        Arc::new(JapaneseAnalyzer::new(lexicon.clone()).map_err(|e| Internal(e.to_string()))?);
    let store = Store::open(&config.database_path()).await?;
    let index = TantivyIndex::open(&config.index_dir(), analyzer.clone())?;
    let nimo = Nimo::new(lexicon, Arc::new(store.clone()), Arc::new(index)).await?;
    Ok(Opened {
        nimo: Arc::new(nimo),
        store,
        analyzer,
    })
}

/// The same service entirely in memory (tests, benchmarks, trying without a data dir).
pub async fn open_in_memory(lexicon: Arc<Lexicon>) -> Result<Opened, Internal> {
    let analyzer =
        Arc::new(JapaneseAnalyzer::new(lexicon.clone()).map_err(|e| Internal(e.to_string()))?);
    let store = Store::in_memory().await?;
    let index = TantivyIndex::in_memory(analyzer.clone())?;
    let nimo = Nimo::new(lexicon, Arc::new(store.clone()), Arc::new(index)).await?;
    Ok(Opened {
        nimo: Arc::new(nimo),
        store,
        analyzer,
    })
}
