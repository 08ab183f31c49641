//! Several processes on one database, on each engine (SQLite always; PostgreSQL beside the
//! test cluster): one lease holder at a time, handed on at a clean stop; each process's
//! search index follows documents another process ingests and removes.

use std::sync::Arc;
use std::time::Duration;

use nimo::domain::clock::SystemClock;
use nimo::setup::{self, Config, Opened};

use crate::helpers::{config, corpus};

/// The databases to run on: an SQLite file, and a fresh PostgreSQL database when a test
/// cluster is there.
async fn databases(label: &str, dir: &std::path::Path) -> Vec<Option<String>> {
    let mut out = vec![Some(nimo::store::sqlite_url(&dir.join("shared.sqlite")))];
    if let Some(url) = nimo_testkit::postgres::fresh_database(label).await {
        out.push(Some(url));
    }
    out
}

/// A process on `database` with a data directory (search index) of its own.
async fn process(database: &Option<String>) -> (Opened, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: database.clone(),
        ..config(dir.path())
    };
    let opened = setup::open_with_clock(&config, Arc::new(SystemClock))
        .await
        .expect("a process opens the shared database");
    (opened, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_lease_holder_at_a_time_and_a_clean_stop_hands_it_on() {
    let tmp = tempfile::tempdir().unwrap();
    for database in databases("lease", tmp.path()).await {
        let (first, _d1) = process(&database).await;
        let (second, _d2) = process(&database).await;
        tokio::time::timeout(Duration::from_secs(10), first.app.cluster.campaign())
            .await
            .expect("the first process takes the free lease");
        assert!(first.app.cluster.is_leader());
        assert!(
            tokio::time::timeout(Duration::from_secs(5), second.app.cluster.campaign())
                .await
                .is_err(),
            "{database:?}: a second holder while the first holds it"
        );
        assert!(!second.app.cluster.is_leader());
        let status = second.app.cluster.status().await.unwrap();
        assert_eq!(
            status.lease.map(|l| l.holder).as_deref(),
            Some(first.app.cluster.id()),
            "{database:?}"
        );
        first.app.cluster.step_down().await;
        assert!(!first.app.cluster.is_leader());
        tokio::time::timeout(Duration::from_secs(10), second.app.cluster.campaign())
            .await
            .expect("the lease passes on after a clean stop");
        assert!(second.app.cluster.is_leader());
        second.app.cluster.step_down().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_ingested_or_removed_by_one_process_reach_the_others_index() {
    let tmp = tempfile::tempdir().unwrap();
    for database in databases("follow", tmp.path()).await {
        let (writer, _d1) = process(&database).await;
        let (reader, _d2) = process(&database).await;
        let report = writer
            .app
            .library
            .ingest(&[corpus()], false, &mut |_| {})
            .await
            .unwrap();
        assert!(report.failed.is_empty());
        let written = writer.app.library.passage_count().unwrap();
        assert!(written > 100);
        assert_eq!(reader.app.library.passage_count().unwrap(), 0);
        let generation = reader.app.library.follow().await.unwrap();
        assert_eq!(
            reader.app.library.passage_count().unwrap(),
            written,
            "{database:?}"
        );
        assert_eq!(reader.app.library.index_generation().unwrap(), generation);
        assert_eq!(
            reader.app.library.regions().regions.len(),
            writer.app.library.regions().regions.len()
        );
        // A removal travels too, and the reader's own next change keeps both.
        let first = std::fs::read_dir(corpus())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".txt"))
            .min()
            .unwrap();
        writer.app.library.remove(&[first]).await.unwrap();
        let after = writer.app.library.passage_count().unwrap();
        assert!(after < written);
        reader.app.library.follow().await.unwrap();
        assert_eq!(
            reader.app.library.passage_count().unwrap(),
            after,
            "{database:?}"
        );
        let status = reader.app.cluster.status().await.unwrap();
        assert_eq!(Some(status.store_generation), status.index_generation);
    }
}

fn nimo(data: &std::path::Path, database: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nimo"));
    cmd.arg("--data-dir").arg(data).args(args);
    match database {
        Some(url) => cmd.env("NIMO_DATABASE_URL", url),
        None => cmd.env_remove("NIMO_DATABASE_URL"),
    };
    cmd.output().unwrap()
}

/// A database URL that names no engine, or a server that is not there, is explained in
/// Japanese (exit 2) without the password; `nimo status` says nobody leads (exit 1).
#[test]
fn a_wrong_or_unreachable_database_is_explained_and_status_reports_no_leader() {
    let tmp = tempfile::tempdir().unwrap();
    let out = nimo(tmp.path(), Some("mysql://x"), &["regions"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://nimo:hunter2@127.0.0.1:{port}/nimo");
    let out = nimo(tmp.path(), Some(&url), &["regions"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("接続できませんでした"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");

    let out = nimo(tmp.path(), None, &["status"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("リーダー: いません"), "{said}");
}

/// An SQLite data directory moves to PostgreSQL: every table copied, counted on both
/// sides; the moved database answers the same; a second move into it is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_sqlite_installation_moves_to_postgres_verified_by_counts() {
    let Some(target) = nimo_testkit::postgres::fresh_database("migrate").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    let corpus = corpus();
    assert!(
        nimo(&source, None, &["ingest", corpus.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        nimo(
            &source,
            None,
            &["people", "grant", "--role", "organizer", "事務局"]
        )
        .status
        .success()
    );
    let before = nimo(&source, None, &["ask", "ピアサポーター", "--json"]);
    let out = nimo(&source, None, &["migrate-to", &target]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("passages") && !said.contains("不一致"),
        "{said}"
    );
    let moved = tmp.path().join("moved");
    let after = nimo(&moved, Some(&target), &["ask", "ピアサポーター", "--json"]);
    let hits = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| format!("{} {} {}", h["doc"], h["section"], h["snippet"]))
            .collect::<Vec<_>>()
    };
    assert!(!hits(&before).is_empty());
    assert_eq!(hits(&before), hits(&after));
    let people = nimo(&moved, Some(&target), &["people", "list"]);
    assert!(String::from_utf8_lossy(&people.stdout).contains("事務局"));
    let again = nimo(&source, None, &["migrate-to", &target]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stdout).contains("空ではありません"));
}

/// PostgreSQL: when the leader's lease connection dies (the server restarted, the session
/// terminated, the network cut), the leader stops leading within one renewal, and a
/// standby takes over.
#[tokio::test(flavor = "multi_thread")]
async fn a_leader_whose_lease_connection_dies_stops_leading() {
    use sqlx::Connection;
    let Some(url) = nimo_testkit::postgres::fresh_database("lease_lost").await else {
        return;
    };
    let database = Some(url.clone());
    let (first, _d1) = process(&database).await;
    let (second, _d2) = process(&database).await;
    first.app.cluster.campaign().await;
    let cluster = first.app.cluster.clone();
    let holding = tokio::spawn(async move { cluster.hold().await });
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'nimo lease' AND datname = current_database()) AS t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(ended, 1);
    tokio::time::timeout(Duration::from_secs(10), holding)
        .await
        .expect("the leader notices within one renewal")
        .unwrap();
    assert!(!first.app.cluster.is_leader());
    tokio::time::timeout(Duration::from_secs(10), second.app.cluster.campaign())
        .await
        .expect("a standby takes over");
}

/// SQLite: a leader whose process is gone from this machine is replaced at once, not
/// after its lease row expires.
#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_a_dead_leader_on_this_machine_is_replaced_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let url = nimo::store::sqlite_url(&tmp.path().join("shared.sqlite"));
    let database = Some(url.clone());
    let (first, _d1) = process(&database).await;
    let (second, _d2) = process(&database).await;
    first.app.cluster.campaign().await;
    // The holder's process dies: its row now names a pid that no longer runs.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let holder = first.app.cluster.id().to_string();
    let mut parts: Vec<&str> = holder.split(':').collect();
    let dead = dead.to_string();
    parts[1] = &dead;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE leases SET holder = ?1")
        .bind(parts.join(":"))
        .execute(&pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(8), second.app.cluster.campaign())
        .await
        .expect("taken over before the row expires (20 s)");
    assert!(started.elapsed() < Duration::from_secs(8));
    // A live holder on this machine is not taken over.
    let (third, _d3) = process(&database).await;
    assert!(
        tokio::time::timeout(Duration::from_secs(5), third.app.cluster.campaign())
            .await
            .is_err()
    );
    drop(first);
}

/// A process that no longer leads sends nothing and hands what it claimed back untried:
/// the reminders stay in the outbox, attempts not counted, for the new leader.
#[tokio::test(flavor = "multi_thread")]
async fn a_process_that_does_not_lead_hands_its_reminders_back_untried() {
    use nimo::app::cluster::LeaderOnly;
    use nimo::domain::meetings::reminders::{DeliveryState, Notice};
    use nimo::domain::people::PersonId;
    use nimo::domain::ports::{Courier, DeliveryError};

    struct Counting(std::sync::atomic::AtomicUsize);
    #[async_trait::async_trait]
    impl Courier for Counting {
        async fn to_person(&self, _: &PersonId, _: &Notice, _: &str) -> Result<(), DeliveryError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
        async fn to_channel(&self, _: &str, _: &Notice, _: &str) -> Result<(), DeliveryError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    let t = crate::helpers::spawn_app(crate::helpers::clock_at("2021-12-01 10:00")).await;
    let meeting =
        crate::helpers::seed_meeting(&t.app, crate::helpers::Seed::two_wards_on_discord()).await;
    t.app
        .reminders
        .nudge(&crate::helpers::person("discord:3009"), meeting, None)
        .await
        .unwrap();
    let inner = Arc::new(Counting(Default::default()));
    let courier = LeaderOnly {
        inner: inner.clone(),
        cluster: t.app.cluster.clone(),
    };
    assert!(!t.app.cluster.is_leader());
    t.app.reminders.tick(&courier).await.unwrap();
    assert_eq!(inner.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    let deliveries = t.app.reminders.deliveries(meeting).await.unwrap();
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        assert_eq!(d.state, DeliveryState::Pending, "{d:?}");
        assert_eq!(d.attempts, 0, "{d:?}");
    }
    // Once it leads, they go out.
    t.app.cluster.campaign().await;
    t.app.reminders.tick(&courier).await.unwrap();
    assert_eq!(inner.0.load(std::sync::atomic::Ordering::SeqCst), 2);
    t.app.cluster.step_down().await;
}
