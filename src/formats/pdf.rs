//! PDF through poppler's `pdftotext` (Debian poppler-utils; the Japanese CMaps come from
//! poppler-data), run as a child process:
//! - input through a temporary file (removed when done), stdin closed, a minimal
//!   environment;
//! - killed at `Limits::pdf_timeout`; RLIMIT_AS = `Limits::pdf_max_memory`, RLIMIT_CPU as a
//!   backstop, no core dumps, RLIMIT_FSIZE 0 (it writes only to a pipe), and it dies with
//!   us (PR_SET_PDEATHSIG);
//! - stdout read up to `Limits::max_text_bytes`, stderr up to 64 KiB (the rest drained).
//!
//! Mode: `-raw` (content-stream order). On the fixtures it keeps table rows and cells whole
//! (label | value | unit | 時点 on one line, each wrapped cell's lines together) where the
//! default mode splits a label from its value and interleaves wrapped cells, and `-layout`
//! interleaves wrapped cells. `-raw` shreds vertical text into one character per line, so a
//! page showing that (a run of 5+ one-character lines) is read again in the default
//! mode, which reads vertical columns correctly; the re-read is kept only if it has fewer
//! one-character lines. Likewise a page whose short table rows (label | value | unit |
//! 時点) -raw splits over several lines — LibreOffice Calc's PDFs draw some columns after the
//! others — is taken from `-layout` (`rows_broken_in_raw`). Measurements: README.md.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::sniff::find;
use super::{Block, Extracted, Format, Limits, Part, ReadError};

/// What one pdftotext run gave.
struct RunOutput {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

pub(crate) fn read_pdf(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    let has_eof = has_eof_marker(bytes);
    let program = resolve_program(&limits.pdftotext)?;
    let mut tmp = tempfile::Builder::new()
        .prefix("nimo-pdf-")
        .suffix(".pdf")
        .tempfile()
        .map_err(|e| internal("一時ファイルを作れません", e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .map_err(|e| internal("一時ファイルに書けません", e))?;
    let deadline = Instant::now() + limits.pdf_timeout;

    let raw = run(&program, &["-raw"], tmp.path(), None, deadline, limits)?;
    check_status(&raw, has_eof, limits)?;
    let errors = error_lines(&raw.stderr);
    let mut pages = split_pages(&raw.stdout);

    // Vertical text shredded by -raw: read those pages again in the default mode.
    let shredded: Vec<usize> = (0..pages.len())
        .filter(|&i| is_shredded(&pages[i]))
        .collect();
    if let (Some(&first), Some(&last)) = (shredded.first(), shredded.last()) {
        let again = run(
            &program,
            &[],
            tmp.path(),
            Some((first + 1, last + 1)),
            deadline,
            limits,
        )?;
        check_status(&again, has_eof, limits)?;
        let alt = split_pages(&again.stdout);
        for &i in &shredded {
            if let Some(page) = alt.get(i - first)
                && single_char_lines(page) < single_char_lines(&pages[i])
            {
                pages[i] = page.clone();
            }
        }
    }

    // Table rows that -raw splits (a spreadsheet exporter that draws a column after the
    // others): those pages are taken from -layout, which keeps rows on one line.
    if pages.len() > shredded.len() {
        let layout = run(&program, &["-layout"], tmp.path(), None, deadline, limits)?;
        check_status(&layout, has_eof, limits)?;
        let alt = split_pages(&layout.stdout);
        for (i, page) in pages.iter_mut().enumerate() {
            if shredded.contains(&i) {
                continue;
            }
            if let Some(lay) = alt.get(i)
                && rows_broken_in_raw(page, lay)
            {
                *page = lay.lines().map(squash).collect::<Vec<_>>().join("\n");
            }
        }
    }

    let chars: usize = pages
        .iter()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    if chars == 0 {
        if !has_eof {
            return Err(truncated());
        }
        if errors > 0 {
            return Err(ReadError::Damaged {
                detail: format!(
                    "PDFの中身を読み取れませんでした: {}",
                    first_error(&raw.stderr)
                ),
            });
        }
        return Err(ReadError::NoTextLayer);
    }
    if !has_eof && errors > 0 {
        // Cut short: whatever was recovered is incomplete.
        return Err(truncated());
    }

    let mut warnings = Vec::new();
    if !has_eof {
        warnings.push("PDFの終わりの印（%%EOF）がありませんが、読み取りはできました".to_string());
    }
    if errors > 0 {
        warnings.push(format!(
            "PDFの内部構造に誤りがありました（{errors}件）。修復して読みましたが、文字が一部欠けている可能性があります"
        ));
    }
    let empty: Vec<String> = pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.trim().is_empty())
        .map(|(i, _)| format!("p.{}", i + 1))
        .collect();
    if !empty.is_empty() {
        warnings.push(format!(
            "文字情報のないページがあります（{}）。画像だけのページは文字認識（OCR）しないと検索できません",
            empty.join("、")
        ));
    }

    let parts = pages
        .iter()
        .enumerate()
        .map(|(i, text)| Part {
            name: Some(format!("p.{}", i + 1)),
            blocks: page_blocks(text),
        })
        .collect();
    Ok(Extracted {
        format: Format::Pdf,
        parts,
        warnings,
    })
}

fn truncated() -> ReadError {
    ReadError::Damaged {
        detail:
            "PDFの終わりの部分がありません。ダウンロードやコピーが途中で止まった可能性があります"
                .into(),
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::Internal {
        detail: format!("{what}: {e}"),
    }
}

/// `%%EOF` near the end: a complete PDF has it in its last bytes (readers allow some
/// trailing junk; we allow 8 KiB).
fn has_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(8192)..];
    find(tail, b"%%EOF").is_some()
}

/// A bare name is looked up on PATH here, so that a missing program is reported as such.
fn resolve_program(program: &Path) -> Result<PathBuf, ReadError> {
    let missing = || ReadError::PdfToolMissing {
        program: program.display().to_string(),
    };
    if program.components().count() > 1 {
        return if program.is_file() {
            Ok(program.to_path_buf())
        } else {
            Err(missing())
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(missing)
}

fn run(
    program: &Path,
    mode: &[&str],
    pdf: &Path,
    pages: Option<(usize, usize)>,
    deadline: Instant,
    limits: &Limits,
) -> Result<RunOutput, ReadError> {
    use std::os::unix::process::CommandExt;

    let mut cmd = Command::new(program);
    cmd.args(["-enc", "UTF-8", "-eol", "unix"]).args(mode);
    if let Some((first, last)) = pages {
        cmd.arg("-f")
            .arg(first.to_string())
            .arg("-l")
            .arg(last.to_string());
    }
    cmd.arg(pdf).arg("-");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_clear()
        .env("LC_ALL", "C")
        .env("PATH", "/usr/bin:/bin");
    let mem = limits.pdf_max_memory as libc::rlim_t;
    let cpu = limits.pdf_timeout.as_secs().saturating_add(5) as libc::rlim_t;
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, prctl).
    unsafe {
        cmd.pre_exec(move || {
            let set = |res, v: libc::rlim_t| {
                let lim = libc::rlimit {
                    rlim_cur: v,
                    rlim_max: v,
                };
                if libc::setrlimit(res, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_AS, mem)?;
            set(libc::RLIMIT_CPU, cpu)?;
            set(libc::RLIMIT_CORE, 0)?;
            set(libc::RLIMIT_FSIZE, 0)?;
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            ReadError::PdfToolMissing {
                program: program.display().to_string(),
            }
        }
        _ => internal("pdftotext を起動できません", e),
    })?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let cap = limits.max_text_bytes;
    // stdout: stop reading past the cap and close the pipe (pdftotext then dies of SIGPIPE).
    let out = std::thread::spawn(move || read_capped(stdout, cap, false));
    // stderr: keep the first 64 KiB, drain the rest so the child never blocks on it.
    let err = std::thread::spawn(move || read_capped(stderr, 64 * 1024, true));

    // Polling waitpid: 1 ms naps for the first 200 ms (most files), then 10 ms.
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(internal("pdftotext の終了を待てません", e));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = out.join();
            let _ = err.join();
            return Err(ReadError::Timeout {
                secs: limits.pdf_timeout.as_secs(),
            });
        }
        let nap = if now - started < Duration::from_millis(200) {
            1
        } else {
            10
        };
        std::thread::sleep(Duration::from_millis(nap).min(deadline - now));
    };
    let (stdout, over) = out.join().unwrap_or_default();
    let (stderr, _) = err.join().unwrap_or_default();
    if over {
        return Err(ReadError::TooMuchText { limit: cap });
    }
    Ok(RunOutput {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Reads up to `cap` bytes; returns (bytes, whether there was more).
fn read_capped(mut r: impl Read, cap: u64, drain: bool) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let _ = (&mut r).take(cap).read_to_end(&mut buf);
    let mut probe = [0u8; 8192];
    let mut over = false;
    loop {
        match r.read(&mut probe) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                over = true;
                if !drain {
                    break;
                }
            }
        }
    }
    (buf, over)
}

/// Turns a failed run into the error a user understands.
fn check_status(run: &RunOutput, has_eof: bool, limits: &Limits) -> Result<(), ReadError> {
    use std::os::unix::process::ExitStatusExt;

    let err = &run.stderr;
    // Without poppler-data: "Missing language pack for 'Adobe-Japan1' mapping" (poppler
    // 22.12); older versions say "Unknown CMap" / "Couldn't find ... CMap file".
    if let Some(line) = err.lines().find(|l| {
        l.contains("Missing language pack")
            || l.contains("Unknown CMap")
            || (l.contains("CMap") && l.contains("Couldn't find"))
    }) {
        return Err(ReadError::PdfCmapMissing {
            detail: line.trim().chars().take(200).collect(),
        });
    }
    // RLIMIT_AS too small for the dynamic loader itself.
    if err.contains("error while loading shared libraries") && err.contains("map") {
        return Err(ReadError::MemoryLimit {
            limit: limits.pdf_max_memory,
        });
    }
    if let Some(sig) = run.status.signal() {
        if err.contains("bad_alloc") || err.contains("Out of memory") || sig == libc::SIGXCPU {
            return Err(ReadError::MemoryLimit {
                limit: limits.pdf_max_memory,
            });
        }
        return Err(ReadError::Damaged {
            detail: format!("PDFを読むプログラムが異常終了しました（signal {sig}）"),
        });
    }
    match run.status.code() {
        Some(0) => Ok(()),
        // 3: "Copying of text from this document is not allowed" (older poppler).
        Some(3) => Err(ReadError::Encrypted),
        Some(1) if err.contains("Incorrect password") => Err(ReadError::Encrypted),
        _ if err.contains("Out of memory") || err.contains("bad_alloc") => {
            Err(ReadError::MemoryLimit {
                limit: limits.pdf_max_memory,
            })
        }
        _ if !has_eof => Err(truncated()),
        _ => Err(ReadError::Damaged {
            detail: format!("PDFとして開けません: {}", first_error(err)),
        }),
    }
}

fn error_lines(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with("Syntax Error")
                || l.starts_with("Internal Error")
                || l.starts_with("Error")
        })
        .count()
}

fn first_error(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains("Error") && !l.trim().is_empty())
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("pdftotext が理由を出しませんでした");
    line.chars().take(200).collect()
}

/// Whitespace runs to one space, ends trimmed (for -layout lines, padded into columns).
fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether -raw broke this page's table rows: among -layout lines of three or more short
/// columns (label | value | unit | 時点; wrapped prose cells are long and not counted), more
/// than half are not found, columns in order, on one -raw line (two such lines at least).
fn rows_broken_in_raw(raw: &str, layout: &str) -> bool {
    let raw_lines: Vec<String> = raw.lines().map(squash).collect();
    let (mut rows, mut broken) = (0usize, 0usize);
    for line in layout.lines() {
        let cols: Vec<String> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(squash)
            .collect();
        if cols.len() < 3 || cols.iter().any(|c| c.chars().count() > 20) {
            continue;
        }
        rows += 1;
        let whole = raw_lines.iter().any(|r| {
            let mut at = 0;
            cols.iter().all(|c| match r[at..].find(c.as_str()) {
                Some(p) => {
                    at += p + c.len();
                    true
                }
                None => false,
            })
        });
        if !whole {
            broken += 1;
        }
    }
    rows >= 2 && broken * 2 > rows
}

/// pdftotext ends every page with a form feed.
fn split_pages(out: &str) -> Vec<String> {
    let mut pages: Vec<String> = out.split('\x0C').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

fn single_char_lines(page: &str) -> usize {
    page.lines()
        .filter(|l| l.trim().chars().count() == 1)
        .count()
}

/// A run of five or more one-character lines: vertical text read in content order.
fn is_shredded(page: &str) -> bool {
    let mut run = 0;
    for line in page.lines() {
        if line.trim().chars().count() == 1 {
            run += 1;
            if run >= 5 {
                return true;
            }
        } else if !line.trim().is_empty() {
            run = 0;
        }
    }
    false
}

/// A page's lines, grouped into paragraphs at blank lines (the default mode leaves blank
/// lines between blocks; -raw rarely does, so a -raw page is mostly one paragraph of lines).
fn page_blocks(page: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para = String::new();
    for line in page.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !para.is_empty() {
                blocks.push(Block::Paragraph(std::mem::take(&mut para)));
            }
            continue;
        }
        if !para.is_empty() {
            para.push('\n');
        }
        para.push_str(line);
    }
    if !para.is_empty() {
        blocks.push(Block::Paragraph(para));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn out(code: i32, stderr: &str) -> RunOutput {
        RunOutput {
            status: ExitStatus::from_raw(code << 8),
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn stderr_and_exit_codes_become_errors() {
        let l = Limits::default();
        let e = check_status(
            &out(
                0,
                "Syntax Error: Missing language pack for 'Adobe-Japan1' mapping\n",
            ),
            true,
            &l,
        );
        assert_eq!(e.unwrap_err().code(), "pdf_cmap_missing");
        let e = check_status(
            &out(1, "Command Line Error: Incorrect password\n"),
            true,
            &l,
        );
        assert_eq!(e.unwrap_err(), ReadError::Encrypted);
        let e = check_status(
            &out(
                3,
                "Permission Error: Copying of text from this document is not allowed.\n",
            ),
            true,
            &l,
        );
        assert_eq!(e.unwrap_err(), ReadError::Encrypted);
        let e = check_status(
            &out(1, "Syntax Error: Couldn't read xref table\n"),
            false,
            &l,
        );
        assert!(e.unwrap_err().to_string().contains("途中で"));
        let e = check_status(
            &out(
                127,
                "pdftotext: error while loading shared libraries: liblzma.so.5: failed to map segment from shared object\n",
            ),
            true,
            &l,
        );
        assert_eq!(e.unwrap_err().code(), "memory_limit");
        let abort = RunOutput {
            status: ExitStatus::from_raw(libc::SIGABRT),
            stdout: String::new(),
            stderr: "terminate called after throwing an instance of 'std::bad_alloc'\n".into(),
        };
        assert_eq!(
            check_status(&abort, true, &l).unwrap_err().code(),
            "memory_limit"
        );
        let segv = RunOutput {
            status: ExitStatus::from_raw(libc::SIGSEGV),
            stdout: String::new(),
            stderr: String::new(),
        };
        assert_eq!(check_status(&segv, true, &l).unwrap_err().code(), "damaged");
        assert!(check_status(&out(0, ""), true, &l).is_ok());
    }

    #[test]
    fn shredding_and_broken_rows_are_detected() {
        assert!(is_shredded("題\n精\n神\n障\n害\nに\n"));
        assert!(!is_shredded("総人口 920,471 人\n1\n2\n本文"));
        let layout = "総人口        920,471   人    R3年4月1日時点\n精神科病床数  1,520     床    R3年4月時点\n";
        assert!(!rows_broken_in_raw(
            "総人口 920,471 人 R3年4月1日時点\n精神科病床数 1,520 床 R3年4月時点",
            layout
        ));
        assert!(rows_broken_in_raw(
            "総人口 920,471 人\n精神科病床数 1,520 床\nR3年4月1日時点\nR3年4月時点",
            layout
        ));
        // long wrapped cells are not rows to check
        let prose = "病院管理部門関係者等の地域移行に関する理   精神保健福祉審議会等において、区の取組を   x\n";
        assert!(!rows_broken_in_raw("", prose));
    }
}
