//! `nimo migrate-to URL`: copies this data directory's database (documents, forms,
//! meetings, people, submissions, conversations, the reminder schedule and outbox) into
//! another database — typically a new PostgreSQL database — and verifies it by counting
//! every table on both sides. The target must be empty; nothing is written to it unless
//! everything is.

use std::io::Write;
use std::process::ExitCode;

use crate::setup::{self, Config, MigrateError};

pub async fn run(config: &Config, target: &str, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let source = config.database_url();
    if source == target {
        writeln!(out, "移行元と移行先が同じデータベースです。")?;
        return Ok(ExitCode::from(2));
    }
    writeln!(
        out,
        "{} から {} へ移行します…",
        crate::store::redacted(&source),
        crate::store::redacted(target)
    )?;
    match setup::migrate_to(config, target).await {
        Ok(tables) => {
            let mut all_equal = true;
            for t in &tables {
                let mark = if t.complete() { "OK" } else { "不一致" };
                all_equal &= t.complete();
                writeln!(
                    out,
                    "  {:<20} {:>8} → {:>8}  {mark}",
                    t.table, t.source, t.target
                )?;
            }
            if all_equal {
                writeln!(
                    out,
                    "移行しました（すべての表で件数が一致）。今後は --database-url（または NIMO_DATABASE_URL）に移行先を指定して起動してください。"
                )?;
                Ok(ExitCode::SUCCESS)
            } else {
                writeln!(
                    out,
                    "件数が一致しない表があります。移行先を確認してください。"
                )?;
                Ok(ExitCode::FAILURE)
            }
        }
        Err(MigrateError::TargetNotEmpty { table, rows }) => {
            writeln!(
                out,
                "移行先のデータベースは空ではありません（{table} に {rows} 行）。新しい空のデータベースを指定してください。何も書き込んでいません。"
            )?;
            Ok(ExitCode::from(2))
        }
        Err(MigrateError::BadUrl) => {
            writeln!(
                out,
                "移行先の URL は postgres://… または sqlite://… の形で指定してください。"
            )?;
            Ok(ExitCode::from(2))
        }
        Err(MigrateError::Refused(message)) => {
            writeln!(out, "{message}")?;
            Ok(ExitCode::from(2))
        }
        Err(MigrateError::Failed(e)) => {
            tracing::error!(error = %e.chain(), "migration failed");
            writeln!(
                out,
                "移行できませんでした。原因はログに記録しました。移行先のデータベースに表だけが作られていることがあります。作り直した空のデータベースで、もう一度お試しください。"
            )?;
            Ok(ExitCode::FAILURE)
        }
    }
}
