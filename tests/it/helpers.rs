//! What every integration test starts from: nimo opened on a fresh data directory (or in
//! memory) with a clock the test moves, the sample corpus, the 「令和３年度 第２回 AD合同会議」
//! meeting with its people, and small ways to talk to the services.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nimo::app::assignments::Source;
use nimo::app::meetings::{MeetingEdit, MeetingPlan};
use nimo::app::{App, AppError};
use nimo::domain::clock::{ManualClock, parse_jst};
use nimo::domain::forms::conversation::Input;
use nimo::domain::ids::MeetingId;
use nimo::domain::people::{PersonId, Role};
use nimo::domain::search::lexicon::Lexicon;
use nimo::setup::{self, Config, Opened};

/// The meeting most tests hold: form A, deadline Friday 10 December 2021, 17:00 JST.
pub const MEETING: &str = "令和３年度 第２回 AD合同会議";
pub const DEADLINE: &str = "2021-12-10 17:00";
pub const FORM_A: &str = "jizen-kadai@2020.1";

/// The repository's sample corpus.
pub fn corpus() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))
}

pub fn config(dir: &Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        lexicon_dir: None,
        database_url: None,
    }
}

/// A clock standing at this moment, Japan time (「2021-12-03 09:00」).
pub fn clock_at(t: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(parse_jst(t).expect("a JST time")))
}

/// A person from their text form (`local:山田`, `discord:3001`, or a bare name).
pub fn person(id: &str) -> PersonId {
    id.parse().expect("a person id")
}

/// nimo on a data directory of its own, as one process opens it.
pub struct TestApp {
    pub opened: Opened,
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Another process on the same database (same clock): on SQLite, on the same data
    /// directory; on PostgreSQL, on a data directory (search index) of its own, as on
    /// another machine.
    pub async fn another_process(&self) -> TestApp {
        let (config, dir) = match &self.config.database_url {
            None => (self.config.clone(), None),
            Some(url) => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let mut config = config(dir.path());
                config.database_url = Some(url.clone());
                (config, Some(dir))
            }
        };
        let opened = setup::open_with_clock(&config, self.clock.clone())
            .await
            .expect("nimo opens the same database");
        TestApp {
            app: opened.app.clone(),
            opened,
            clock: self.clock.clone(),
            config,
            _dir: dir,
        }
    }
}

/// The database a test app opens: the SQLite file of its data directory, or — when the
/// suite runs with `NIMO_TEST_DATABASE=postgres` (as `make test` does a second time) — a
/// fresh PostgreSQL database on the throw-away cluster.
pub async fn test_database(label: &str) -> Option<String> {
    match std::env::var("NIMO_TEST_DATABASE").as_deref() {
        Ok("postgres") => Some(
            nimo_testkit::postgres::fresh_database(label)
                .await
                .expect("NIMO_TEST_DATABASE=postgres needs NIMO_TEST_POSTGRES_URL"),
        ),
        _ => None,
    }
}

/// nimo on a fresh temporary data directory, time from `clock`.
pub async fn spawn_app(clock: Arc<ManualClock>) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut app = spawn_app_in(dir.path(), clock).await;
    app._dir = Some(dir);
    app
}

/// nimo on the data directory `dir` (kept by the caller), time from `clock`.
pub async fn spawn_app_in(dir: &Path, clock: Arc<ManualClock>) -> TestApp {
    let mut config = config(dir);
    // Reopening a data directory (a restart) reopens its database.
    let remembered = dir.join(".test-database-url");
    config.database_url = match std::fs::read_to_string(&remembered) {
        Ok(url) => Some(url),
        Err(_) => test_database("app").await,
    };
    if let Some(url) = &config.database_url {
        std::fs::write(&remembered, url).expect("the data directory is writable");
    }
    let opened = setup::open_with_clock(&config, clock.clone())
        .await
        .expect("nimo opens a fresh data directory");
    TestApp {
        app: opened.app.clone(),
        opened,
        clock,
        config,
        _dir: None,
    }
}

/// nimo in memory with the sample corpus (and these extra documents) ingested.
pub async fn with_corpus(extra: &[PathBuf]) -> Opened {
    let opened = setup::open_in_memory(Lexicon::embedded())
        .await
        .expect("nimo opens in memory");
    let mut paths = vec![corpus()];
    paths.extend(extra.iter().cloned());
    let report = opened
        .app
        .library
        .ingest(&paths, false, &mut |_| {})
        .await
        .expect("the corpus is ingested");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    opened
}

/// Who takes part in the seeded meeting.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    /// (person, name, region as typed) of approved staff.
    pub staff: Vec<(&'static str, &'static str, &'static str)>,
    /// (person, name).
    pub organizers: Vec<(&'static str, &'static str)>,
    pub advisors: Vec<(&'static str, &'static str)>,
    /// Participating regions as typed; empty: every region with staff.
    pub regions: Vec<&'static str>,
    /// The meeting's Discord channel; the organizers are the meeting's organizers.
    pub channel: Option<&'static str>,
}

impl Seed {
    /// 世田谷区 (山田) and 葛飾区 (佐藤), an organizer and a channel: the reminder tests'
    /// meeting, with Discord users.
    pub fn two_wards_on_discord() -> Seed {
        Seed {
            staff: vec![
                ("discord:3001", "山田", "東京都世田谷区"),
                ("discord:3002", "佐藤", "東京都葛飾区"),
            ],
            organizers: vec![("discord:3009", "事務局")],
            advisors: Vec::new(),
            regions: vec!["世田谷区", "葛飾区"],
            channel: Some("5000"),
        }
    }
}

/// Creates the form A meeting 「令和３年度 第２回 AD合同会議」 and grants these roles.
pub async fn seed_meeting(app: &App, seed: Seed) -> MeetingId {
    let a = &app.assignments;
    for (id, name) in &seed.organizers {
        a.grant(&person(id), name, Role::Organizer, None, None)
            .await
            .expect("organizer granted");
    }
    for (id, name) in &seed.advisors {
        a.grant(&person(id), name, Role::Advisor, None, None)
            .await
            .expect("advisor granted");
    }
    for (id, name, region) in &seed.staff {
        a.grant(&person(id), name, Role::Staff, Some(region), None)
            .await
            .expect("staff granted");
    }
    let (meeting, _) = app
        .meetings
        .create(
            None,
            MeetingPlan {
                name: MEETING.into(),
                form: FORM_A.into(),
                deadline: parse_jst(DEADLINE).unwrap(),
                fiscal_year: Some(2021),
                meeting_date: None,
            },
            MeetingEdit {
                regions: (!seed.regions.is_empty())
                    .then(|| seed.regions.iter().map(|r| r.to_string()).collect()),
                organizers: (!seed.organizers.is_empty())
                    .then(|| seed.organizers.iter().map(|(id, _)| person(id)).collect()),
                channel: seed.channel.map(|c| Some(c.to_string())),
                ..Default::default()
            },
        )
        .await
        .expect("the meeting is created");
    meeting.id
}

/// What nimo says back to a line typed in the form (all its messages, joined).
pub async fn say(app: &App, who: &str, text: &str) -> String {
    let reply = app
        .assignments
        .handle(&person(who), Input::Text(text.into()), Source::Typed)
        .await
        .unwrap_or_else(|e| panic!("「{text}」 was not taken: {e:?}"));
    reply
        .messages
        .iter()
        .map(|m| m.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The Japanese reason of a refusal (fails the test on anything else).
pub fn refused(e: AppError) -> String {
    match e {
        AppError::Refused(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Fills in form A for the person's region and submits it.
pub async fn submit_form_a(app: &App, who: &str) {
    app.assignments
        .begin(&person(who), who, None, None)
        .await
        .expect("the form opens");
    for text in [
        "地域移行｜病院訪問を始めた",
        "次へ",
        "・ピア交流会を開いた",
        "次へ",
        "・周知",
        "次へ",
        "・継続",
        "次へ",
        "提出",
    ] {
        say(app, who, text).await;
    }
}

/// A meeting with no setup: `form` as `id@version`, the deadline in Japan time.
pub async fn plain_meeting(app: &App, name: &str, form: &str, deadline: &str) -> MeetingId {
    app.meetings
        .create(
            None,
            MeetingPlan {
                name: name.into(),
                form: form.into(),
                deadline: parse_jst(deadline).expect("a JST time"),
                fiscal_year: Some(2021),
                meeting_date: None,
            },
            MeetingEdit::default(),
        )
        .await
        .expect("the meeting is created")
        .0
        .id
}
