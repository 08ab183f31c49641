//! Reminder dispatch benchmark: `cargo bench --bench reminders`.
//!
//! 100 meetings × 100 participating regions (10,000 participants, one staff member each,
//! municipalities from the gazetteer, reused across meetings), all with the same deadline,
//! on an on-disk database opened as the bot opens it. The clock is set to the moment the
//! 7-days-before rung falls due and one tick runs: claiming the 100 rungs, working out who
//! has not submitted (a tenth have), creating the deliveries, then claiming, sending and
//! recording each. The courier answers at once, so this measures nimo, not Discord.
//!
//! Reported: wall time, deliveries per second, and the lag from the due moment to each
//! send (p50/p99/max). Baseline in the same run: a plain outbox — the same number of rows
//! inserted in one transaction, then for each a send and an `UPDATE … SET sent` — the
//! floor for "record every send".

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nimo::app::assignments::Source;
use nimo::app::meetings::{MeetingEdit, MeetingPlan};
use nimo::domain::clock::{ManualClock, parse_jst};
use nimo::domain::forms::conversation::Input;
use nimo::domain::ids::MeetingId;
use nimo::domain::meetings::reminders::Notice;
use nimo::domain::people::{PersonId, Role};
use nimo::domain::ports::{Courier, DeliveryError};
use nimo::setup::{self, Config};
use nimo_testkit::measure::{cities, summary};
use serde_json::json;

const MEETINGS: usize = 100;
const REGIONS_PER_MEETING: usize = 100;

/// Records when each send happened.
struct Stopwatch {
    started: Mutex<Option<Instant>>,
    lags: Mutex<Vec<Duration>>,
}

impl Stopwatch {
    fn mark(&self) {
        let started = self.started.lock().unwrap().expect("started");
        self.lags.lock().unwrap().push(started.elapsed());
    }
}

#[async_trait]
impl Courier for Stopwatch {
    async fn to_person(&self, _: &PersonId, _: &Notice, _: &str) -> Result<(), DeliveryError> {
        self.mark();
        Ok(())
    }
    async fn to_channel(&self, _: &str, _: &Notice, _: &str) -> Result<(), DeliveryError> {
        self.mark();
        Ok(())
    }
}

fn percentiles(v: Vec<Duration>) -> (f64, f64, f64) {
    let s = summary(v);
    (s.p50, s.p99, s.max)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // SQLite always; PostgreSQL too beside the cluster of scripts/with-postgres.sh.
        let mut results = serde_json::Map::new();
        let dir = tempfile::tempdir().unwrap();
        let sqlite_baseline = nimo::store::sqlite_url(&dir.path().join("baseline.sqlite"));
        results.insert("sqlite".into(), run("SQLite", None, &sqlite_baseline).await);
        if let Some(url) = nimo_testkit::postgres::fresh_database("bench_reminders").await {
            let baseline = nimo_testkit::postgres::fresh_database("bench_outbox")
                .await
                .unwrap();
            results.insert(
                "postgres".into(),
                run("PostgreSQL", Some(url), &baseline).await,
            );
        }
        let out = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench"));
        std::fs::create_dir_all(out).unwrap();
        std::fs::write(
            out.join("reminders.json"),
            serde_json::to_string_pretty(&results).unwrap(),
        )
        .unwrap();
        println!("written to target/bench/reminders.json");
    });
}

/// nimo's dispatch on one engine, and a plain outbox on the same engine.
async fn run(engine: &str, database_url: Option<String>, baseline_url: &str) -> serde_json::Value {
    {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(parse_jst("2021-11-20 10:00").unwrap()));
        let opened = setup::open_with_clock(
            &Config {
                data_dir: dir.path().to_path_buf(),
                lexicon_dir: None,
                database_url,
            },
            clock.clone(),
        )
        .await
        .unwrap();
        let a = opened.app.assignments.clone();
        let cities = cities();
        let setup_started = Instant::now();
        for (i, c) in cities.iter().enumerate() {
            a.grant(
                &PersonId::discord(100_000 + i as u64),
                c,
                Role::Staff,
                Some(c),
                None,
            )
            .await
            .unwrap();
        }
        let deadline = parse_jst("2021-12-10 17:00").unwrap();
        for m in 0..MEETINGS {
            let regions: Vec<String> = (0..REGIONS_PER_MEETING)
                .map(|r| cities[(m * 37 + r) % cities.len()].clone())
                .collect();
            opened
                .app
                .meetings
                .create(
                    None,
                    MeetingPlan {
                        name: format!("第{}回 AD合同会議", m + 1),
                        form: "jizen-kadai@2020.1".into(),
                        deadline,
                        fiscal_year: Some(2021),
                        meeting_date: None,
                    },
                    MeetingEdit {
                        regions: Some(regions),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
        // A tenth of the regions of the first meeting have started and one has submitted…
        // status is computed from real drafts.
        for i in 0..10 {
            let who = PersonId::discord(100_000 + i as u64);
            if a.begin(&who, "x", Some(MeetingId::new(1)), None)
                .await
                .is_ok()
            {
                let _ = a
                    .handle(
                        &who,
                        Input::Text("地域移行｜病院訪問を始めた".into()),
                        Source::Typed,
                    )
                    .await;
            }
        }
        let setup_time = setup_started.elapsed();

        // The 7-days-before rung is due now.
        clock.set(parse_jst("2021-12-03 09:00").unwrap());
        let courier = Stopwatch {
            started: Mutex::new(Some(Instant::now())),
            lags: Mutex::new(Vec::new()),
        };
        let started = Instant::now();
        *courier.started.lock().unwrap() = Some(started);
        let report = opened.app.reminders.tick(&courier).await.unwrap();
        let wall = started.elapsed();
        let lags = courier.lags.lock().unwrap().clone();
        let sent = lags.len();
        assert_eq!(report.sent, sent);
        assert_eq!(report.steps, MEETINGS, "every meeting's rung was handled");
        let (p50, p99, max) = percentiles(lags);
        // A second tick finds nothing: nobody is reminded twice.
        let again = opened.app.reminders.tick(&courier).await.unwrap();
        assert_eq!(again.sent, 0);

        // Baseline: a plain outbox on the same engine and driver (insert all, read all,
        // send each and mark it sent): no claims, no ladder, no status.
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        sqlx::Executor::execute(
                            conn,
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(baseline_url)
            .await
            .unwrap();
        sqlx::query(
            "CREATE TABLE outbox (id BIGINT PRIMARY KEY, recipient TEXT, body TEXT, sent BIGINT)",
        )
        .execute(&pool)
        .await
        .unwrap();
        let base_courier = Stopwatch {
            started: Mutex::new(None),
            lags: Mutex::new(Vec::new()),
        };
        let base_started = Instant::now();
        *base_courier.started.lock().unwrap() = Some(base_started);
        let mut tx = pool.begin().await.unwrap();
        for i in 0..sent {
            sqlx::query("INSERT INTO outbox (id, recipient, body, sent) VALUES ($1, $2, $3, 0)")
                .bind(i as i64)
                .bind(format!("discord:{i}"))
                .bind("リマインダー")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, recipient FROM outbox WHERE sent = 0")
                .fetch_all(&pool)
                .await
                .unwrap();
        let notice = Notice::Undeliverable {
            meeting_id: MeetingId::new(0),
            meeting_name: String::new(),
            person: String::new(),
            region_name: String::new(),
            outcome: String::new(),
        };
        for (id, recipient) in rows {
            base_courier
                .to_person(&recipient.parse().unwrap(), &notice, "n")
                .await
                .unwrap();
            sqlx::query("UPDATE outbox SET sent = 1 WHERE id = $1")
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
        }
        let base_wall = base_started.elapsed();
        let (b50, b99, bmax) = percentiles(base_courier.lags.lock().unwrap().clone());

        let rate = sent as f64 / wall.as_secs_f64();
        let base_rate = sent as f64 / base_wall.as_secs_f64();
        println!(
            "## Reminder dispatch on {engine}: {MEETINGS} meetings × {REGIONS_PER_MEETING} regions, one rung due for all"
        );
        println!(
            "  setup (grants, meetings, schedules): {:.1} s",
            setup_time.as_secs_f64()
        );
        println!(
            "  nimo: {sent} reminders in {:.2} s = {rate:.0}/s; lag due→send p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms",
            wall.as_secs_f64()
        );
        println!(
            "  plain outbox baseline: {:.2} s = {base_rate:.0}/s; lag p50 {b50:.0} ms, p99 {b99:.0} ms, max {bmax:.0} ms",
            base_wall.as_secs_f64()
        );
        println!(
            "  ratio nimo / baseline (wall): {:.1}x",
            wall.as_secs_f64() / base_wall.as_secs_f64()
        );
        opened.close().await;
        json!({
            "meetings": MEETINGS, "regions_per_meeting": REGIONS_PER_MEETING, "sent": sent,
            "nimo": {"wall_s": wall.as_secs_f64(), "per_s": rate, "lag_ms": {"p50": p50, "p99": p99, "max": max}},
            "baseline_outbox": {"wall_s": base_wall.as_secs_f64(), "per_s": base_rate, "lag_ms": {"p50": b50, "p99": b99, "max": bmax}},
        })
    }
}
