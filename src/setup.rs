//! The composition root: builds every adapter and every service from configuration, the
//! Discord bot included. `main` and the test harnesses call this; nothing else constructs
//! adapters.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::analysis::JapaneseAnalyzer;
use crate::app::assignments::Assignments;
use crate::app::cluster::Cluster;
use crate::app::library::Library;
use crate::app::meetings::Meetings;
use crate::app::pages::Pages;
use crate::app::reminders::Reminders;
use crate::app::{App, AppError};
use crate::discord::{self, BotConfig, RunningBot, StartError};
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
    /// `sqlite://FILE` or `postgres://…`; `None` is the SQLite file in the data
    /// directory. The search index stays in the data directory either way.
    pub database_url: Option<String>,
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("nimo.sqlite")
    }

    /// The database this configuration names.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => crate::store::sqlite_url(&self.database_path()),
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    pub fn lexicon(&self) -> Result<Arc<Lexicon>, AppError> {
        let files = match &self.lexicon_dir {
            Some(dir) => LexiconFiles::from_dir(dir)
                .map_err(|e| AppError::internal(format!("reading the lexicon: {e}")))?,
            None => LexiconFiles::embedded(),
        };
        Ok(Arc::new(Lexicon::parse(&files).map_err(|e| {
            AppError::internal(format!("parsing the lexicon: {e}"))
        })?))
    }
}

/// nimo opened on a data directory: the use cases, and the database to close at the end.
pub struct Opened {
    pub app: Arc<App>,
    store: Store,
}

impl Opened {
    /// Closes the database cleanly (checkpointing its log).
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// Opens the database and the index in the data directory and wires the services.
pub async fn open(config: &Config) -> Result<Opened, AppError> {
    open_with_clock(config, Arc::new(SystemClock)).await
}

/// `open`, with time from `clock` (tests and simulations move it by hand).
pub async fn open_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Opened, AppError> {
    let lexicon = config.lexicon()?;
    let analyzer = analyzer(&lexicon)?;
    let store = open_store(config).await?.with_clock(clock.clone());
    let index = TantivyIndex::open(&config.index_dir(), analyzer)?;
    wire(lexicon, store, index, clock).await
}

/// The database a configuration names. A URL that names no engine, or a database that
/// cannot be reached, is said in Japanese (the cause goes to the log; the password never).
async fn open_store(config: &Config) -> Result<Store, AppError> {
    match &config.database_url {
        Some(url) => open_url(url).await,
        None => Ok(Store::open(&config.database_path()).await?),
    }
}

/// The database at `url`, failures said as `open_store` says them.
async fn open_url(url: &str) -> Result<Store, AppError> {
    if crate::store::Engine::of(url).is_none() {
        return Err(AppError::refused(
            "データベースの URL は postgres://ユーザー:パスワード@ホスト/データベース名 または sqlite:///ファイルのパス の形で指定してください。",
        ));
    }
    match Store::connect(url).await {
        Ok(store) => Ok(store),
        Err(e) => {
            let shown = crate::store::redacted(url);
            let e = AppError::from(e).chain();
            tracing::error!(database = %shown, error = %e, "the database cannot be opened");
            Err(AppError::refused(cannot_open(&shown, &e)))
        }
    }
}

/// Why a database could not be opened, in Japanese, from the driver's (English) cause.
fn cannot_open(shown: &str, cause: &str) -> String {
    let why = if cause.contains("does not exist") && cause.contains("database \"") {
        "そのデータベースがありません（createdb で作成してください）"
    } else if cause.contains("password authentication failed")
        || cause.contains("role \"") && cause.contains("does not exist")
    {
        "ユーザー名またはパスワードが受け付けられませんでした"
    } else if cause.contains("Connection refused") {
        "接続を拒否されました（PostgreSQL が動いているか、ホストとポートを確かめてください）"
    } else if cause.contains("no answer") || cause.contains("timed out") {
        "応答がありませんでした（ネットワークとホスト名を確かめてください）"
    } else if cause.contains("failed to lookup address") || cause.contains("Name or service") {
        "ホスト名が見つかりません"
    } else if cause.contains("certificate") || cause.contains("TLS") || cause.contains("tls") {
        "サーバーの証明書を確認できませんでした（sslmode と sslrootcert を確かめてください）"
    } else if cause.contains("unable to open database file") {
        "ファイルを開けません（フォルダがあるか、書き込めるかを確かめてください）"
    } else {
        "原因はログに記録しました"
    };
    format!("データベース（{shown}）に接続できませんでした: {why}。")
}

/// The same services entirely in memory (tests, benchmarks, trying without a data dir).
pub async fn open_in_memory(lexicon: Arc<Lexicon>) -> Result<Opened, AppError> {
    open_in_memory_with_clock(lexicon, Arc::new(SystemClock)).await
}

/// `open_in_memory`, with time from `clock`.
pub async fn open_in_memory_with_clock(
    lexicon: Arc<Lexicon>,
    clock: Arc<dyn Clock>,
) -> Result<Opened, AppError> {
    let analyzer = analyzer(&lexicon)?;
    let store = Store::in_memory().await?.with_clock(clock.clone());
    let index = TantivyIndex::in_memory(analyzer)?;
    wire(lexicon, store, index, clock).await
}

/// Reads PDF, Excel, Word and text files; `NIMO_PDFTOTEXT` names the pdftotext program
/// when it is not on PATH.
pub fn file_reader() -> crate::formats::Reader {
    let mut reader = crate::formats::Reader::default();
    if let Some(program) = std::env::var_os("NIMO_PDFTOTEXT").filter(|p| !p.is_empty()) {
        reader.limits.pdftotext = program.into();
    }
    reader
}

fn analyzer(lexicon: &Arc<Lexicon>) -> Result<Arc<JapaneseAnalyzer>, AppError> {
    Ok(Arc::new(JapaneseAnalyzer::new(lexicon.clone()).map_err(
        |e| AppError::internal(format!("the Japanese analyzer: {e}")),
    )?))
}

async fn wire(
    lexicon: Arc<Lexicon>,
    store: Store,
    index: TantivyIndex,
    clock: Arc<dyn Clock>,
) -> Result<Opened, AppError> {
    let shared = Arc::new(store.clone());
    let library = Arc::new(
        Library::new(
            lexicon,
            shared.clone(),
            Arc::new(index),
            Arc::new(file_reader()),
        )
        .await?,
    );
    let meetings = Arc::new(
        Meetings::new(
            library.clone(),
            shared.clone(),
            shared.clone(),
            clock.clone(),
        )
        .await?,
    );
    let assignments = Arc::new(Assignments::new(
        library.clone(),
        meetings.clone(),
        shared.clone(),
        clock.clone(),
    ));
    let reminders = Arc::new(Reminders::new(
        meetings.clone(),
        shared.clone(),
        shared.clone(),
        clock.clone(),
    ));
    let pages = Arc::new(Pages::new(shared.clone()));
    let cluster = Arc::new(Cluster::new(
        |name| crate::store::lease::for_store(&store, name),
        shared,
        library.clone(),
        Arc::new(SystemClock),
        crate::store::redacted(store.url()),
    ));
    Ok(Opened {
        app: Arc::new(App {
            library,
            meetings,
            assignments,
            reminders,
            pages,
            cluster,
            clock,
        }),
        store,
    })
}

/// `nimo status`: the cluster as the database records it, and this data directory's
/// index — read without opening the services (no index is built or changed, so it is
/// safe beside a running bot and on a machine that only monitors).
pub async fn cluster_status(
    config: &Config,
) -> Result<crate::app::cluster::ClusterStatus, AppError> {
    use crate::domain::ports::DocumentStore;
    let store = open_store(config).await?;
    // An index being rebuilt (or damaged) is reported as absent, not as a failed status.
    let index = match crate::search_index::state_in(&config.index_dir()) {
        Ok(state) => state.map(|s| s.generation),
        Err(e) => {
            tracing::warn!(error = %e, "the index of this data directory cannot be read");
            None
        }
    };
    let status = crate::app::cluster::status_of(
        &store,
        store.generation().await?,
        index,
        SystemClock.now(),
        crate::store::redacted(store.url()),
    )
    .await;
    store.close().await;
    status
}

/// Why `migrate_to` copied nothing.
#[derive(Debug)]
pub enum MigrateError {
    /// The target is neither `postgres://…` nor `sqlite://…`.
    BadUrl,
    /// The target holds data already.
    TargetNotEmpty {
        table: &'static str,
        rows: u64,
    },
    /// A database could not be opened; why, in Japanese.
    Refused(String),
    Failed(AppError),
}

/// Copies the database `config` names into the (empty) database at `target`, creating its
/// tables; returns every table's row count on both sides.
pub async fn migrate_to(
    config: &Config,
    target: &str,
) -> Result<Vec<crate::store::copy::CopiedTable>, MigrateError> {
    use crate::store::copy::{CopyError, copy_all};
    if crate::store::Engine::of(target).is_none() {
        return Err(MigrateError::BadUrl);
    }
    let failed = |e: crate::domain::ports::StoreError| MigrateError::Failed(e.into());
    let opening = |e: AppError| match e {
        AppError::Refused(message) => MigrateError::Refused(message),
        e => MigrateError::Failed(e),
    };
    let source = open_store(config).await.map_err(opening)?;
    let to = match open_url(target).await {
        Ok(to) => to,
        Err(e) => {
            source.close().await;
            return Err(opening(e));
        }
    };
    let copied = copy_all(&source, &to).await;
    source.close().await;
    to.close().await;
    copied.map_err(|e| match e {
        CopyError::TargetNotEmpty { table, rows } => MigrateError::TargetNotEmpty { table, rows },
        CopyError::Store(e) => failed(e),
    })
}

/// How often the reminder scheduler looks at the schedule at the least (it also wakes
/// for the next thing due).
/// Other processes (a terminal, another machine) add work it is not told about, so it
/// looks every few seconds; one small query each time.
pub const SCHEDULER_IDLE: Duration = Duration::from_secs(5);

/// Connects the Discord bot with every service. With `scheduler`, this process also runs
/// the reminder scheduler (checking at least that often), sending through the bot.
pub async fn start_bot(
    opened: &Opened,
    config: BotConfig,
    scheduler: Option<Duration>,
) -> Result<RunningBot, StartError> {
    discord::start(config, opened.app.clone(), scheduler, None).await
}

/// Connects the Discord bot of the process that leads (it holds the lease): it runs the
/// reminder scheduler, which sends only while this process still leads.
pub async fn start_leading_bot(
    opened: &Opened,
    config: BotConfig,
) -> Result<RunningBot, StartError> {
    discord::start(
        config,
        opened.app.clone(),
        Some(SCHEDULER_IDLE),
        Some(opened.app.cluster.clone()),
    )
    .await
}
