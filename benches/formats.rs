//! Reading documents as people have them: for each format, the same content (two sheets of
//! the sample corpus's form A, 50 times over: 100 sheets) read in-process (MB/s, pages or
//! sheets per second) and ingested by the `nimo` binary (wall time, peak memory), beside
//! the `.txt` path of the same text as the baseline. The PDFs are the committed 100-page
//! files of benches/data (scripts/fixtures/make_corpus_pdfs.py benches/data --repeat 50).
//!
//!     cargo bench --bench formats

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nimo::domain::ports::FileReader;
use nimo::domain::search::corpus;
use nimo::domain::search::lexicon::Lexicon;
use nimo::formats::Reader;
use nimo_testkit::measure;
use nimo_testkit::sheets::{corpus_sheets, repeat, sheets_docx, sheets_xlsx};
use serde_json::json;

const ROUNDS: usize = 5;

struct Row {
    name: &'static str,
    bytes: u64,
    /// Pages of the PDF, sheets of the workbook or document (each file holds 100).
    parts: usize,
    read: Duration,
    parse: Duration,
    ingest: Duration,
    ingest_rss_mb: f64,
    /// The same text as a .txt: read, parse, ingest.
    txt_read: Duration,
    txt_ingest: Duration,
    txt_rss_mb: f64,
    passages: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn nimo() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_nimo"))
}

/// `nimo ingest FILE` on a fresh data directory (the median of three runs).
fn ingest(file: &Path) -> (Duration, f64) {
    let mut times = Vec::new();
    let mut rss: f64 = 0.0;
    for _ in 0..3 {
        let data = tempfile::tempdir().unwrap();
        let (t, r, out) = measure::run(nimo(), data.path(), &["ingest", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        times.push(t);
        rss = rss.max(r);
    }
    (median(times), rss)
}

fn measure_file(name: &'static str, path: &Path, parts: usize, lex: &Lexicon, dir: &Path) -> Row {
    let reader = Reader::default();
    let bytes = std::fs::read(path).unwrap();
    let mut reads = Vec::new();
    let mut text = String::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let read = reader.read(&bytes).unwrap();
        reads.push(t.elapsed());
        text = read.text;
    }
    let mut parses = Vec::new();
    let mut passages = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let doc = corpus::parse_text(name, &text, lex).unwrap();
        parses.push(t.elapsed());
        passages = doc.passages.len();
    }
    // The baseline: the very text this format gave, as a .txt file.
    let txt = dir.join(format!("{name}.txt"));
    std::fs::write(&txt, &text).unwrap();
    let txt_bytes = std::fs::read(&txt).unwrap();
    let mut txt_reads = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        reader.read(&txt_bytes).unwrap();
        txt_reads.push(t.elapsed());
    }
    let (ingest_t, ingest_rss) = ingest(path);
    let (txt_t, txt_rss) = ingest(&txt);
    Row {
        name,
        bytes: bytes.len() as u64,
        parts,
        read: median(reads),
        parse: median(parses),
        ingest: ingest_t,
        ingest_rss_mb: ingest_rss,
        txt_read: median(txt_reads),
        txt_ingest: txt_t,
        txt_rss_mb: txt_rss,
        passages,
    }
}

fn main() {
    let lex = Lexicon::embedded();
    let tmp = tempfile::tempdir().unwrap();
    let sheets = repeat(corpus_sheets(), 50);
    let xlsx = tmp.path().join("sheets.xlsx");
    let docx = tmp.path().join("sheets.docx");
    sheets_xlsx(&sheets, &xlsx);
    sheets_docx(&sheets, &docx);
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/data"));
    let files: [(&'static str, PathBuf); 4] = [
        ("Excel (.xlsx, 100 sheets)", xlsx),
        ("Word (.docx, 100 sheets)", docx),
        (
            "PDF, embedded TrueType (100 pages)",
            data.join("corpus_sheets_kind1_x50.pdf"),
        ),
        (
            "PDF, CID font UniJIS-UCS2-H (100 pages)",
            data.join("corpus_sheets_kind2_x50.pdf"),
        ),
    ];
    let rows: Vec<Row> = files
        .iter()
        .map(|(name, path)| measure_file(name, path, 100, &lex, tmp.path()))
        .collect();

    println!(
        "## reading documents (release, median of {ROUNDS}; ingest: median of 3 `nimo ingest` processes)"
    );
    println!(
        "  {:<42} {:>8} {:>8} {:>10} {:>10} {:>9} {:>10} {:>10} {:>8} {:>8}",
        "format",
        "KB",
        "read ms",
        "MB/s",
        "pages/s",
        "parse ms",
        "ingest ms",
        ".txt ms",
        "ratio",
        "RSS MB"
    );
    let mut out = Vec::new();
    for r in &rows {
        let mb = r.bytes as f64 / 1_048_576.0;
        let secs = r.read.as_secs_f64();
        println!(
            "  {:<42} {:>8.0} {:>8.1} {:>10.2} {:>10.0} {:>9.1} {:>10.0} {:>10.0} {:>7.2}x {:>8.0}",
            r.name,
            r.bytes as f64 / 1024.0,
            measure::ms(r.read),
            mb / secs,
            r.parts as f64 / secs,
            measure::ms(r.parse),
            measure::ms(r.ingest),
            measure::ms(r.txt_ingest),
            r.ingest.as_secs_f64() / r.txt_ingest.as_secs_f64(),
            r.ingest_rss_mb,
        );
        println!(
            "      {} passages; the same text as .txt: read {:.2} ms, ingest peak {:.0} MB",
            r.passages,
            measure::ms(r.txt_read),
            r.txt_rss_mb
        );
        out.push(json!({
            "format": r.name, "bytes": r.bytes, "parts": r.parts, "passages": r.passages,
            "read_ms": measure::ms(r.read), "read_mb_per_s": mb / secs, "parts_per_s": r.parts as f64 / secs,
            "parse_ms": measure::ms(r.parse), "ingest_ms": measure::ms(r.ingest), "ingest_peak_rss_mb": r.ingest_rss_mb,
            "txt_read_ms": measure::ms(r.txt_read), "txt_ingest_ms": measure::ms(r.txt_ingest), "txt_ingest_peak_rss_mb": r.txt_rss_mb,
        }));
    }
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("formats.json"),
        serde_json::to_string_pretty(&json!({ "formats": out })).unwrap(),
    )
    .unwrap();
    println!("written to target/bench/formats.json");
}
