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
        assert_eq!(status.store_generation, status.index_generation);
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
