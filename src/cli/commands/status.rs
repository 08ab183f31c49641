//! `nimo status`: which process leads and since when, every process with how far its
//! search index lags the database, and how far reminders lag. Exit code 0 when a leader
//! proved its lease in the last 30 seconds, 1 otherwise (for monitoring).

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

use crate::app::AppError;
use crate::app::cluster::ClusterStatus;
use crate::domain::ports::{NodeRecord, NodeRole};
use crate::setup::{self, Config};

/// A leader (or any process) not heard from for longer than this is reported as missing.
const SILENT_AFTER_S: i64 = 30;

pub async fn run(config: &Config, json: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let status = match setup::cluster_status(config).await {
        Ok(s) => s,
        Err(AppError::Refused(message)) => {
            if json {
                writeln!(out, "{}", serde_json::json!({ "error": message }))?;
            } else {
                eprintln!("{message}");
            }
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let leading = status
        .lease
        .as_ref()
        .is_some_and(|l| (status.now - l.renewed_at).num_seconds() <= SILENT_AFTER_S);
    if json {
        serde_json::to_writer(&mut *out, &as_json(&status, leading))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", text(&status, leading))?;
    }
    Ok(if leading {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&Tokyo)
        .format("%Y-%m-%d %H:%M:%S JST")
        .to_string()
}

/// Whether a process recorded itself lately (they do every 2 seconds).
fn responding(s: &ClusterStatus, n: &NodeRecord) -> bool {
    (s.now - n.seen_at).num_seconds() <= SILENT_AFTER_S
}

fn ago(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let s = (now - t).num_seconds().max(0);
    match s {
        0..=59 => format!("{s}秒前"),
        60..=3599 => format!("{}分前", s / 60),
        3600..=86399 => format!("{}時間前", s / 3600),
        _ => format!("{}日前", s / 86400),
    }
}

fn role(r: NodeRole) -> &'static str {
    match r {
        NodeRole::Leader => "リーダー",
        NodeRole::Standby => "待機",
        NodeRole::Stopped => "停止",
    }
}

fn text(s: &ClusterStatus, leading: bool) -> String {
    let mut out = format!("データベース: {}\n", s.database);
    match &s.lease {
        Some(l) if leading => out.push_str(&format!(
            "リーダー: {}（{} から。最終確認 {}）\n",
            l.holder,
            jst(l.since),
            ago(s.now, l.renewed_at)
        )),
        Some(l) => out.push_str(&format!(
            "リーダー: いません（最後のリーダー {} の確認は {}。nimo bot が動いているか確認してください）\n",
            l.holder,
            ago(s.now, l.renewed_at)
        )),
        None => out.push_str("リーダー: いません（nimo bot が動いていません）\n"),
    }
    match s.index_generation {
        Some(g) => out.push_str(&format!(
            "文書の世代: データベース {} ／ このフォルダの索引 {}（遅れ {}）\n",
            s.store_generation,
            g,
            s.store_generation.saturating_sub(g)
        )),
        None => out.push_str(&format!(
            "文書の世代: データベース {} ／ このフォルダには索引がありません\n",
            s.store_generation
        )),
    }
    match s.oldest_overdue {
        Some(t) => out.push_str(&format!(
            "リマインダー: {} 予定の送信が未処理です（{}分の遅れ）\n",
            jst(t),
            (s.now - t).num_minutes().max(0)
        )),
        None => out.push_str("リマインダー: 遅れなし\n"),
    }
    if s.nodes.is_empty() {
        out.push_str("プロセス: 記録なし\n");
    } else {
        out.push_str("プロセス:\n");
        let width = s
            .nodes
            .iter()
            .map(|n| n.id.chars().count())
            .max()
            .unwrap_or(0);
        for n in &s.nodes {
            let state = match n.role {
                NodeRole::Stopped => "停止".to_string(),
                r if responding(s, n) => role(r).to_string(),
                r => format!("応答なし（最後は{}）", role(r)),
            };
            out.push_str(&format!(
                "  {:<width$}  {}  索引の世代 {}（遅れ {}）  起動 {}  最終確認 {}\n",
                n.id,
                pad(&state, 4),
                n.index_generation,
                s.store_generation.saturating_sub(n.index_generation),
                jst(n.started_at),
                ago(s.now, n.seen_at)
            ));
        }
    }
    out
}

/// `text` padded to `n` full-width characters (roles line up in the list).
fn pad(text: &str, n: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", "\u{3000}".repeat(n.saturating_sub(len)))
}

fn as_json(s: &ClusterStatus, leading: bool) -> serde_json::Value {
    serde_json::json!({
        "database": s.database,
        "leader": s.lease.as_ref().filter(|_| leading).map(|l| serde_json::json!({
            "node": l.holder,
            "since": l.since.to_rfc3339(),
            "renewed_at": l.renewed_at.to_rfc3339(),
        })),
        "store_generation": s.store_generation,
        "index_generation": s.index_generation,
        "index_lag": s.index_generation.map(|g| s.store_generation.saturating_sub(g)),
        "reminders_overdue_since": s.oldest_overdue.map(|t| t.to_rfc3339()),
        "reminder_lag_seconds": s.oldest_overdue.map(|t| (s.now - t).num_seconds().max(0)),
        "nodes": s.nodes.iter().map(|n| serde_json::json!({
            "id": n.id,
            "host": n.host,
            "pid": n.pid,
            "role": n.role.as_str(),
            "responding": n.role != NodeRole::Stopped && responding(s, n),
            "index_generation": n.index_generation,
            "index_lag": s.store_generation.saturating_sub(n.index_generation),
            "started_at": n.started_at.to_rfc3339(),
            "seen_at": n.seen_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    })
}
