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
