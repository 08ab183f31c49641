//! What the benchmarks share: latency statistics in milliseconds, this process's peak
//! memory, and real municipalities to stand for participating regions.

use std::path::Path;
use std::time::{Duration, Instant};

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50, p99 and the mean of some latencies, in milliseconds (0 for none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub p50: f64,
    pub p99: f64,
    pub mean: f64,
    pub max: f64,
}

pub fn summary(mut v: Vec<Duration>) -> Summary {
    if v.is_empty() {
        return Summary {
            p50: 0.0,
            p99: 0.0,
            mean: 0.0,
            max: 0.0,
        };
    }
    v.sort();
    let p = |q: f64| ms(v[((v.len() - 1) as f64 * q).round() as usize]);
    Summary {
        p50: p(0.5),
        p99: p(0.99),
        mean: ms(v.iter().sum::<Duration>()) / v.len() as f64,
        max: ms(*v.last().expect("not empty")),
    }
}

/// Peak resident memory of this process so far, in MB (NaN where /proc is missing).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Cities (市) from nimo's gazetteer as 「都道府県＋市」, so each is unambiguous.
pub fn cities() -> Vec<String> {
    include_str!("../../index/gazetteer/municipalities.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 4 && f[3] == "市").then(|| format!("{}{}", f[1], f[2]))
        })
        .collect()
}

/// Runs `nimo --data-dir DATA ARGS…` as a child process: its wall time, its peak resident
/// memory in MB (its own children, such as pdftotext, included as the kernel counts them)
/// and its output.
pub fn run(bin: &Path, data: &Path, args: &[&str]) -> (Duration, f64, std::process::Output) {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let child = std::process::Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // Read output on threads so the child never blocks on a full pipe.
    let mut child = child;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).unwrap();
        v
    });
    let mut status: libc::c_int = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, status and usage are valid out-pointers.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let elapsed = started.elapsed();
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    };
    (elapsed, usage.ru_maxrss as f64 / 1024.0, output)
}
