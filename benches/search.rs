//! Search benchmark: `cargo bench --bench search` (or `make bench`).
//!
//! Measures what users wait on and what operators pay for, on the sample corpus and on a
//! synthetic corpus generated from it (NIMO_BENCH_SCALE copies, default 1000, regions
//! renamed so that every copy is a different region):
//!   * start-up (dictionary, database, index), ingest throughput, index and database size;
//!   * question latency p50/p99 through `Nimo::ask` (understanding, search, highlighting);
//!   * the same questions through two simple baselines in the same run: plain character
//!     bigram BM25 (tantivy's NgramTokenizer, OR of the question's bigrams) and SQLite FTS5
//!     with the trigram tokenizer (OR of the question's trigrams, ranked by bm25());
//!   * quality on the gold set for nimo and both baselines: recall@10, MRR and precision of
//!     the first five at region level, and the share of answers passing their checks (the
//!     figure, 記載なし, the places compared, 「見つかりませんでした」) as a person reads
//!     them: nimo's first page against the baselines' first five passages;
//!   * peak resident memory.
//!
//! Results are printed and written to target/bench/search.json.

use nimo_testkit::{gold, measure};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nimo::cli::render::{self, Emphasis};
use nimo::domain::search::lexicon::Lexicon;
use nimo::domain::search::query::Ask;
use nimo::domain::search::region::display_name;
use nimo::setup::{self, Config};
use serde_json::json;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{NgramTokenizer, TextAnalyzer, TokenStream};
use tantivy::{Index, TantivyDocument, Term};

const ROUNDS_SAMPLE: usize = 30;
const ROUNDS_LARGE: usize = 5;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

fn summary(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let mean =
        samples.iter().map(|d| d.as_secs_f64()).sum::<f64>() / samples.len().max(1) as f64 * 1000.0;
    (percentile(&samples, 0.5), percentile(&samples, 0.99), mean)
}

/// The gold set's first questions, the whole set of earlier measurements (README).
const EARLIER_QUESTIONS: usize = 41;

fn run_nimo(data: &Path, args: &[&str]) -> (Duration, f64, std::process::Output) {
    measure::run(Path::new(env!("CARGO_BIN_EXE_nimo")), data, args)
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_size(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))
}

/// Writes `scale` copies of the sample corpus with every region line renamed to one of
/// `regions` real-looking places (prefecture・municipality圏域), so the large corpus looks
/// like many years of submissions from a national set of regions.
fn synthesize(scale: usize, regions: usize, out: &Path, lex: &Lexicon) -> u64 {
    std::fs::create_dir_all(out).unwrap();
    let prefectures = lex.gazetteer.prefectures().to_vec();
    let cities: Vec<String> = lex
        .gazetteer
        .municipalities()
        .iter()
        .filter(|m| m.parent.is_none())
        .map(|m| m.name.clone())
        .collect();
    let mut bytes = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    for copy in 0..scale {
        for (k, (stem, text)) in sources.iter().enumerate() {
            let mut renamed = String::with_capacity(text.len());
            let mut n = 0usize;
            for line in text.split_inclusive('\n') {
                let trimmed = line.trim();
                if !trimmed.is_empty()
                    && trimmed.chars().count() <= 30
                    && lex.gazetteer.parse_region(trimmed).is_some()
                {
                    let i = (copy * 131 + k * 17 + n * 7) % regions.max(1);
                    let p = &prefectures[i % prefectures.len()];
                    let c = &cities[(i / 3) % cities.len()];
                    let stem_name = c.trim_end_matches(['市', '区', '町', '村']);
                    let lead = &line[..line.len() - line.trim_start().len()];
                    renamed.push_str(&format!("{lead}{p}・{stem_name}圏域\n"));
                    n += 1;
                } else {
                    renamed.push_str(line);
                }
            }
            let path = out.join(format!("{stem}_{copy:04}.txt"));
            bytes += renamed.len() as u64;
            std::fs::write(path, renamed).unwrap();
        }
    }
    bytes
}

/// Plain character-bigram BM25 over the same passages.
struct BigramBaseline {
    index: Index,
    body: tantivy::schema::Field,
    region: tantivy::schema::Field,
    text: tantivy::schema::Field,
    analyzer: TextAnalyzer,
}

impl BigramBaseline {
    fn build(passages: &[(String, String)]) -> (BigramBaseline, Duration) {
        let started = Instant::now();
        let mut b = Schema::builder();
        let body = b.add_text_field(
            "body",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("bigram")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        );
        let region = b.add_text_field("region", STORED);
        let text_field = b.add_text_field("text", STORED);
        let index = Index::create_in_ram(b.build());
        let analyzer = TextAnalyzer::from(NgramTokenizer::new(2, 2, false).unwrap());
        index.tokenizers().register("bigram", analyzer.clone());
        let mut writer: tantivy::IndexWriter = index.writer(128 * 1024 * 1024).unwrap();
        for (key, text) in passages {
            let mut d = TantivyDocument::default();
            d.add_text(body, text);
            d.add_text(region, key);
            d.add_text(text_field, text);
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        (
            BigramBaseline {
                index,
                body,
                region,
                text: text_field,
                analyzer,
            },
            started.elapsed(),
        )
    }

    /// The region and text of the top 50 passages.
    fn search(&self, reader: &tantivy::IndexReader, q: &str) -> Vec<(String, String)> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(q);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        while let Some(t) = stream.next() {
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.body, &t.text),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
        let searcher = reader.searcher();
        let top = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(50).order_by_score(),
            )
            .unwrap();
        top.into_iter()
            .map(|(_, a)| {
                let d: TantivyDocument = searcher.doc(a).unwrap();
                let get = |f| {
                    d.get_first(f)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string()
                };
                (get(self.region), get(self.text))
            })
            .collect()
    }
}

/// SQLite FTS5 with the trigram tokenizer: the question's trigrams OR-ed, ranked by bm25().
struct Fts5Baseline {
    conn: sqlx::SqlitePool,
}

impl Fts5Baseline {
    async fn build(passages: &[(String, String)]) -> (Fts5Baseline, Duration) {
        let started = Instant::now();
        let conn = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query(
            "CREATE VIRTUAL TABLE p USING fts5(region UNINDEXED, body, tokenize = 'trigram')",
        )
        .execute(&conn)
        .await
        .unwrap();
        let mut tx = conn.begin().await.unwrap();
        for (key, text) in passages {
            sqlx::query("INSERT INTO p (region, body) VALUES (?, ?)")
                .bind(key)
                .bind(text)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        (Fts5Baseline { conn }, started.elapsed())
    }

    /// The region and text of the top 50 passages.
    async fn search(&self, q: &str) -> Vec<(String, String)> {
        let chars: Vec<char> = q.chars().filter(|c| c.is_alphanumeric()).collect();
        let grams: Vec<String> = chars
            .windows(3)
            .map(|w| format!("\"{}\"", w.iter().collect::<String>()))
            .collect();
        if grams.is_empty() {
            return Vec::new();
        }
        let query = grams.join(" OR ");
        sqlx::query_as("SELECT region, body FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 50")
            .bind(query)
            .fetch_all(&self.conn)
            .await
            .unwrap_or_default()
    }
}

struct Measured {
    name: String,
    ingest: Duration,
    bytes: u64,
    passages: usize,
    startup: Duration,
    index_bytes: u64,
    db_bytes: u64,
    nimo: (f64, f64, f64),
    bigram: (f64, f64, f64),
    bigram_build: Duration,
    fts5: (f64, f64, f64),
    fts5_build: Duration,
    regions: usize,
    ingest_rss_mb: f64,
    serve_rss_mb: f64,
}

async fn measure(
    name: &str,
    docs_dir: &Path,
    rounds: usize,
    gold_questions: &[gold::GoldQuestion],
    quality: bool,
) -> (Measured, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: tmp.path().to_path_buf(),
        lexicon_dir: None,
        database_url: None,
    };
    // Ingest with the real binary, as an operator would run it.
    let (ingest, ingest_rss_mb, out) =
        run_nimo(tmp.path(), &["ingest", docs_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = dir_size(docs_dir);

    // Start-up as a user meets it: a new process answering one question.
    let mut first_answer = Vec::new();
    let mut serve_rss_mb: f64 = 0.0;
    for _ in 0..5 {
        let (t, rss, out) = run_nimo(tmp.path(), &["ask", "ピアサポーターの養成", "--json"]);
        assert!(out.status.success());
        first_answer.push(t);
        serve_rss_mb = serve_rss_mb.max(rss);
    }
    first_answer.sort();
    let startup = first_answer[first_answer.len() / 2];

    let opened = setup::open(&config).await.unwrap();
    let nimo = opened.app.library.clone();
    let passages = nimo.passage_count().unwrap();
    let regions = nimo.regions().regions.len();
    let asks: Vec<Ask> = gold_questions
        .iter()
        .map(|g| Ask {
            question: g.q.clone(),
            region: g.region.clone(),
            topic: g.topic.clone(),
            year: g.year,
            limit: Some(10),
            offset: 0,
        })
        .collect();
    // Resident memory while answering: open, then every question twice.
    for _ in 0..2 {
        for a in &asks {
            let _ = nimo.ask(a).await;
        }
    }

    let documents = nimo.documents().await.unwrap();
    let flat: Vec<(String, String)> = documents
        .iter()
        .flat_map(|d| d.passages.iter().map(|p| (p.region.key(), p.text.clone())))
        .collect();
    let (bigram, bigram_build) = BigramBaseline::build(&flat);
    let bigram_reader = bigram.index.reader().unwrap();
    let (fts5, fts5_build) = Fts5Baseline::build(&flat).await;

    // Warm up caches once, then time.
    for a in &asks {
        let _ = nimo.ask(a).await;
        let _ = bigram.search(&bigram_reader, &a.question);
        let _ = fts5.search(&a.question).await;
    }
    let (mut t_nimo, mut t_bigram, mut t_fts5) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_question: Vec<Vec<Duration>> = vec![Vec::new(); asks.len()];
    for _ in 0..rounds {
        for (i, a) in asks.iter().enumerate() {
            let s = Instant::now();
            let _ = nimo.ask(a).await.unwrap();
            t_nimo.push(s.elapsed());
            per_question[i].push(s.elapsed());
            let s = Instant::now();
            let _ = bigram.search(&bigram_reader, &a.question);
            t_bigram.push(s.elapsed());
            let s = Instant::now();
            let _ = fts5.search(&a.question).await;
            t_fts5.push(s.elapsed());
        }
    }

    // The questions the gold set started with (before it grew to cover figures,
    // comparisons and negation): the same questions as earlier measurements.
    let earlier: Vec<Duration> = per_question
        .iter()
        .take(EARLIER_QUESTIONS)
        .flatten()
        .copied()
        .collect();
    let earlier = summary(earlier);
    println!(
        "## {name}: nimo on the first {EARLIER_QUESTIONS} questions (the earlier gold set): p50 {:.2} ms, p99 {:.2} ms",
        earlier.0, earlier.1
    );
    // The slowest questions (median over the rounds), to know where time goes.
    let mut slowest: Vec<(Duration, &str)> = per_question
        .iter_mut()
        .zip(&asks)
        .map(|(t, a)| {
            t.sort();
            (t[t.len() / 2], a.question.as_str())
        })
        .collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("## {name}: slowest questions (median ms)");
    for (t, q) in slowest.iter().take(8) {
        let short: String = q.chars().take(40).collect();
        println!("  {:8.2}  {short}", t.as_secs_f64() * 1000.0);
    }

    let mut quality_json = json!(null);
    if quality {
        let lex = nimo.lexicon().clone();
        let mut ranked = (Vec::new(), Vec::new(), Vec::new());
        let mut right = (0usize, 0usize, 0usize);
        let mut checked = 0usize;
        for (g, a) in gold_questions.iter().zip(&asks) {
            let deep = nimo
                .ask(&Ask {
                    limit: Some(50),
                    ..a.clone()
                })
                .await
                .unwrap();
            ranked
                .0
                .push(gold::ranked_regions(deep.regions_shown(), 10));
            // The baselines get the words of the question (options are nimo's own feature).
            let q = g.q.clone();
            let b = bigram.search(&bigram_reader, &q);
            let f = fts5.search(&q).await;
            ranked
                .1
                .push(gold::ranked_regions(b.iter().map(|x| x.0.clone()), 10));
            ranked
                .2
                .push(gold::ranked_regions(f.iter().map(|x| x.0.clone()), 10));
            if g.expect.is_empty() {
                continue;
            }
            // The answer as a person reads it: nimo's first page, or the baselines' first
            // five passages with their regions.
            checked += 1;
            let page = nimo
                .ask(&Ask {
                    limit: None,
                    ..a.clone()
                })
                .await
                .unwrap();
            let text = render::answer(&page, &lex, Emphasis::Markdown).replace("**", "");
            let keys: Vec<String> = page
                .results
                .hits
                .iter()
                .map(|h| h.passage.region.key())
                .collect();
            right.0 += usize::from(g.expect.failures(&text, &keys).is_empty());
            let baseline_page = |hits: &[(String, String)]| -> (String, Vec<String>) {
                let top = &hits[..hits.len().min(5)];
                let text = if top.is_empty() {
                    "見つかりませんでした".to_string()
                } else {
                    top.iter()
                        .map(|(k, t)| format!("{}\n{t}", display_name(k)))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                (text, top.iter().map(|x| x.0.clone()).collect())
            };
            let (t, k) = baseline_page(&b);
            right.1 += usize::from(g.expect.failures(&t, &k).is_empty());
            let (t, k) = baseline_page(&f);
            right.2 += usize::from(g.expect.failures(&t, &k).is_empty());
        }
        let s_nimo = gold::score(gold_questions, &ranked.0);
        let s_bigram = gold::score(gold_questions, &ranked.1);
        let s_fts5 = gold::score(gold_questions, &ranked.2);
        println!("{}", gold::report("nimo", &s_nimo));
        println!("{}", gold::report("bigram BM25 baseline", &s_bigram));
        println!("{}", gold::report("FTS5 trigram baseline", &s_fts5));
        let share = |n: usize| n as f64 / checked.max(1) as f64;
        println!(
            "answers passing their checks ({checked} questions): nimo {:.3}, bigram BM25 {:.3}, FTS5 trigram {:.3}",
            share(right.0),
            share(right.1),
            share(right.2)
        );
        let q = |s: &gold::Scores, r: usize| json!({"recall_at_10": s.recall_at_10, "mrr": s.mrr, "precision_at_5": s.precision_at_5, "zero_results": s.zero_results, "answers_right": share(r)});
        quality_json = json!({
            "questions": gold_questions.len(),
            "answer_checks": checked,
            "nimo": q(&s_nimo, right.0), "bigram_bm25": q(&s_bigram, right.1), "fts5_trigram": q(&s_fts5, right.2),
        });
    }

    let m = Measured {
        name: name.to_string(),
        ingest,
        bytes,
        passages,
        startup,
        index_bytes: dir_size(&config.index_dir()),
        db_bytes: dir_size(tmp.path()) - dir_size(&config.index_dir()),
        nimo: summary(t_nimo),
        bigram: summary(t_bigram),
        bigram_build,
        fts5: summary(t_fts5),
        fts5_build,
        regions,
        ingest_rss_mb,
        serve_rss_mb,
    };
    opened.close().await;
    (m, quality_json)
}

fn print(m: &Measured) {
    let mb = m.bytes as f64 / 1_048_576.0;
    let secs = m.ingest.as_secs_f64();
    println!("## {}", m.name);
    println!(
        "  text {:.1} MB, {} passages, {} regions",
        mb, m.passages, m.regions
    );
    println!(
        "  ingest {:.2} s = {:.2} MB/s, {:.0} passages/s (bigram baseline index {:.2} s, FTS5 {:.2} s)",
        secs,
        mb / secs,
        m.passages as f64 / secs,
        m.bigram_build.as_secs_f64(),
        m.fts5_build.as_secs_f64()
    );
    println!(
        "  index {:.1} MB, database {:.1} MB, new process to first answer {:.0} ms",
        m.index_bytes as f64 / 1_048_576.0,
        m.db_bytes as f64 / 1_048_576.0,
        m.startup.as_secs_f64() * 1000.0
    );
    println!(
        "  question latency ms  nimo p50 {:.2} p99 {:.2} | bigram BM25 p50 {:.2} p99 {:.2} | FTS5 trigram p50 {:.2} p99 {:.2}",
        m.nimo.0, m.nimo.1, m.bigram.0, m.bigram.1, m.fts5.0, m.fts5.1
    );
    println!(
        "  ratio nimo/bigram p50 {:.2}x, nimo/FTS5 p50 {:.2}x",
        m.nimo.0 / m.bigram.0.max(1e-9),
        m.nimo.0 / m.fts5.0.max(1e-9)
    );
    println!(
        "  peak resident memory of the nimo process: ingest {:.0} MB, start-up + one answer {:.0} MB",
        m.ingest_rss_mb, m.serve_rss_mb
    );
}

fn to_json(m: &Measured) -> serde_json::Value {
    json!({
        "text_mb": m.bytes as f64 / 1_048_576.0,
        "passages": m.passages,
        "regions": m.regions,
        "peak_rss_mb": {"ingest": m.ingest_rss_mb, "serving": m.serve_rss_mb},
        "ingest_s": m.ingest.as_secs_f64(),
        "ingest_mb_per_s": m.bytes as f64 / 1_048_576.0 / m.ingest.as_secs_f64(),
        "ingest_passages_per_s": m.passages as f64 / m.ingest.as_secs_f64(),
        "startup_ms": m.startup.as_secs_f64() * 1000.0,
        "index_mb": m.index_bytes as f64 / 1_048_576.0,
        "database_mb": m.db_bytes as f64 / 1_048_576.0,
        "latency_ms": {
            "nimo": {"p50": m.nimo.0, "p99": m.nimo.1, "mean": m.nimo.2},
            "bigram_bm25": {"p50": m.bigram.0, "p99": m.bigram.1, "mean": m.bigram.2},
            "fts5_trigram": {"p50": m.fts5.0, "p99": m.fts5.1, "mean": m.fts5.2},
        },
        "baseline_build_s": {"bigram_bm25": m.bigram_build.as_secs_f64(), "fts5_trigram": m.fts5_build.as_secs_f64()},
    })
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let scale: usize = std::env::var("NIMO_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let lex: Arc<Lexicon> = Lexicon::embedded();
        let questions = gold::load();
        let mut results = BTreeMap::new();

        let (sample, quality) = measure(
            "sample corpus",
            &corpus_dir(),
            ROUNDS_SAMPLE,
            &questions,
            true,
        )
        .await;
        print(&sample);
        results.insert("sample".to_string(), to_json(&sample));
        results.insert("quality".to_string(), quality);

        if scale > 0 {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("docs");
            let started = Instant::now();
            let regions: usize = std::env::var("NIMO_BENCH_REGIONS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(300);
            let bytes = synthesize(scale, regions, &dir, &lex);
            // NIMO_BENCH_SYNTHESIZE_TO=DIR: only write the synthetic corpus there (to profile
            // questions on it with the `nimo` binary), then stop.
            if let Some(keep) = std::env::var_os("NIMO_BENCH_SYNTHESIZE_TO") {
                let keep = PathBuf::from(keep);
                std::fs::create_dir_all(&keep).unwrap();
                for e in std::fs::read_dir(&dir).unwrap().flatten() {
                    std::fs::copy(e.path(), keep.join(e.file_name())).unwrap();
                }
                println!("synthetic corpus written to {}", keep.display());
                return;
            }
            println!(
                "\ngenerated {} documents ({:.1} MB) in {:.1} s",
                scale * 4,
                bytes as f64 / 1_048_576.0,
                started.elapsed().as_secs_f64()
            );
            let (large, _) = measure(
                &format!("synthetic corpus x{scale}"),
                &dir,
                ROUNDS_LARGE,
                &questions,
                false,
            )
            .await;
            print(&large);
            results.insert(format!("synthetic_x{scale}"), to_json(&large));
        }
        let out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("search.json"),
            serde_json::to_string_pretty(&results).unwrap(),
        )
        .unwrap();
        println!("written to target/bench/search.json");
    });
}
