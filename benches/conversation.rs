//! 事前課題 conversation benchmark: `cargo bench --bench conversation`.
//!
//! One process, an on-disk database opened exactly as the bot opens it (`setup::open`),
//! N staff members of N different municipalities filling in form A at the same time. Each
//! turn is a real `Assignments::handle`: the saved cursor and answers are read, the turn is
//! run, the answer and the new cursor are written in one transaction, and only then is the
//! reply returned. Every conversation ends with 提出, which also indexes the submission.
//!
//! Measured for 1, 16, 64 and 256 simultaneous conversations:
//!   * answer-to-reply latency (p50/p99 of `handle`),
//!   * sustained throughput (answers per second across all conversations),
//!
//! against a baseline run the same way: one plain `INSERT` per answer through sqlx into a
//! SQLite file with the same settings (WAL, synchronous=NORMAL, 4 connections) — the floor
//! for "persist each answer before replying". The ratio is what the conversation costs on
//! top of bare persistence.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nimo::app::assignments::Assignments;
use nimo::app::assignments::Source;
use nimo::app::meetings::{MeetingEdit, MeetingPlan};
use nimo::domain::clock::{ManualClock, parse_jst};
use nimo::domain::forms::conversation::Input;
use nimo::domain::ids::MeetingId;
use nimo::domain::people::{PersonId, Role};
use nimo::setup::{self, Config};
use nimo_testkit::measure::{cities, peak_rss_mb, summary};
use serde_json::json;

const LEVELS: [usize; 4] = [1, 16, 64, 256];

/// A whole form A, as staff answer it: table rows, bullet items, 次へ between sections.
const SCRIPT: [&str; 13] = [
    "精神科長期入院者への訪問支援｜ピアサポーターと病院を訪問した",
    "地域の支援者向け研修｜年2回の研修を開催した",
    "次へ",
    "・ピア電話相談を開始した",
    "・アウトリーチ事業の体制を強化した",
    "次へ",
    "・電話相談の周知",
    "・関係機関との連携",
    "次へ",
    "・ピアサポーターの活躍の場を広げる",
    "次へ",
    "プレビュー",
    "提出",
];

fn percentiles(v: Vec<Duration>) -> (f64, f64) {
    let s = summary(v);
    (s.p50, s.p99)
}

struct Run {
    /// Every turn, answers and submissions.
    latencies: Vec<Duration>,
    /// The submitting turns only (they also index the submission).
    submits: Vec<Duration>,
    wall: Duration,
}

impl Run {
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

async fn nimo_run(dir: &Path, database_url: Option<String>, n: usize) -> Run {
    let clock = Arc::new(ManualClock::new(parse_jst("2021-11-20 10:00").unwrap()));
    let config = Config {
        data_dir: dir.to_path_buf(),
        lexicon_dir: None,
        database_url,
    };
    let opened = setup::open_with_clock(&config, clock).await.unwrap();
    let a: Arc<Assignments> = opened.app.assignments.clone();
    opened
        .app
        .meetings
        .create(
            None,
            MeetingPlan {
                name: "令和３年度 第２回 AD合同会議".into(),
                form: "jizen-kadai@2020.1".into(),
                deadline: parse_jst("2021-12-10 17:00").unwrap(),
                fiscal_year: Some(2021),
                meeting_date: None,
            },
            MeetingEdit::default(),
        )
        .await
        .unwrap();
    let regions: Vec<String> = cities().into_iter().take(n).collect();
    assert_eq!(regions.len(), n, "enough municipalities in the gazetteer");
    for (i, region) in regions.iter().enumerate() {
        let who = PersonId::local(&format!("staff{i}"));
        a.grant(&who, &format!("担当{i}"), Role::Staff, Some(region), None)
            .await
            .unwrap();
        a.begin(&who, &format!("担当{i}"), None, None)
            .await
            .unwrap();
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let a = a.clone();
            tokio::spawn(async move {
                let who = PersonId::local(&format!("staff{i}"));
                let mut lat = Vec::with_capacity(SCRIPT.len() + 1);
                for text in SCRIPT {
                    let t = Instant::now();
                    let reply = a
                        .handle(&who, Input::Text(text.into()), Source::Typed)
                        .await
                        .unwrap();
                    let said: String = reply.messages.iter().map(|m| m.text.as_str()).collect();
                    lat.push((said.contains("提出しました"), t.elapsed()));
                    if said.contains("このまま提出しますか") {
                        let t = Instant::now();
                        a.handle(&who, Input::Text("提出する".into()), Source::Typed)
                            .await
                            .unwrap();
                        lat.push((true, t.elapsed()));
                    }
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut submits = Vec::new();
    for t in tasks {
        for (submit, d) in t.await.unwrap() {
            latencies.push(d);
            if submit {
                submits.push(d);
            }
        }
    }
    let wall = started.elapsed();
    assert_eq!(submits.len(), n);
    // Nothing was lost: every region's submission is there.
    let export = a.export(MeetingId::new(1)).await.unwrap();
    assert_eq!(
        export.submitted, n,
        "every conversation ended in a submission"
    );
    opened.close().await;
    Run {
        latencies,
        submits,
        wall,
    }
}

/// The floor: one INSERT per answer, same engine, driver and settings, same concurrency.
async fn baseline_run(url: &str, n: usize) -> Run {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(if sqlite { 4 } else { 16 })
        .after_connect(|conn, _| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    sqlx::Executor::execute(
                        conn,
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE answers (person TEXT, seq BIGINT, text TEXT, PRIMARY KEY (person, seq))",
    )
    .execute(&pool)
    .await
    .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(SCRIPT.len());
                for (seq, text) in SCRIPT.iter().enumerate() {
                    let t = Instant::now();
                    sqlx::query("INSERT INTO answers (person, seq, text) VALUES ($1, $2, $3)")
                        .bind(format!("staff{i}"))
                        .bind(seq as i64)
                        .bind(*text)
                        .execute(&pool)
                        .await
                        .unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    pool.close().await;
    Run {
        latencies,
        submits: Vec::new(),
        wall,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut engines = serde_json::Map::new();
        for engine in ["sqlite", "postgres"] {
            if let Some(rows) = engine_run(engine).await {
                engines.insert(engine.into(), json!(rows));
            }
        }
        let rss = peak_rss_mb();
        println!("  peak resident memory of this process: {rss:.0} MB");
        let out = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench"));
        std::fs::create_dir_all(out).unwrap();
        let body = json!({"engines": engines, "peak_rss_mb": rss});
        std::fs::write(
            out.join("conversation.json"),
            serde_json::to_string_pretty(&body).unwrap(),
        )
        .unwrap();
        println!("written to target/bench/conversation.json");
    });
}

/// Every level on one engine (PostgreSQL only beside scripts/with-postgres.sh's cluster).
async fn engine_run(engine: &str) -> Option<Vec<serde_json::Value>> {
    if engine == "postgres" && nimo_testkit::postgres::server_url().is_none() {
        return None;
    }
    {
        println!("## 事前課題 conversations on {engine}, each answer persisted before the reply");
        println!(
            "  {:>5}  {:>9}  {:>9}  {:>10}   {:>9}  {:>9}  {:>10}   ratio p50",
            "convs", "p50 ms", "p99 ms", "answers/s", "base p50", "base p99", "base ans/s"
        );
        let mut rows = Vec::new();
        for n in LEVELS {
            let dir = tempfile::tempdir().unwrap();
            let (nimo_db, base_db) = if engine == "postgres" {
                (
                    nimo_testkit::postgres::fresh_database("bench_conv").await,
                    nimo_testkit::postgres::fresh_database("bench_insert")
                        .await
                        .unwrap(),
                )
            } else {
                (
                    None,
                    nimo::store::sqlite_url(&dir.path().join("baseline.sqlite")),
                )
            };
            let nimo = nimo_run(dir.path(), nimo_db, n).await;
            let base = baseline_run(&base_db, n).await;
            let answers = nimo.latencies.len();
            let (p50, p99) = percentiles(nimo.latencies.clone());
            let (b50, b99) = percentiles(base.latencies.clone());
            let (s50, s99) = percentiles(nimo.submits.clone());
            println!(
                "  {n:>5}  {p50:>9.2}  {p99:>9.2}  {:>10.0}   {b50:>9.3}  {b99:>9.3}  {:>10.0}   {:.1}x",
                nimo.throughput(),
                base.throughput(),
                p50 / b50.max(1e-9)
            );
            println!(
                "         submitting (saves the version and indexes it): p50 {s50:.1} ms  p99 {s99:.1} ms"
            );
            rows.push(json!({
                "conversations": n,
                "answers": answers,
                "wall_s": nimo.wall.as_secs_f64(),
                "nimo": {"p50_ms": p50, "p99_ms": p99, "answers_per_s": nimo.throughput(),
                          "submit_p50_ms": s50, "submit_p99_ms": s99},
                "baseline_insert": {"p50_ms": b50, "p99_ms": b99, "answers_per_s": base.throughput()},
            }));
        }
        Some(rows)
    }
}
