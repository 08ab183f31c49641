//! The command line: `nimo ingest | ask | regions | topics | export | inspect | chat`.

mod admin;
pub mod chat;
pub mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::view::{AnswerView, HitView, RegionView};
use crate::app::{AskError, IngestEvent};
use crate::discord;
use crate::domain::search::corpus;
use crate::domain::era::find_years;
use crate::domain::people::PersonId;
use crate::domain::search::query::Ask;
use crate::domain::text::nfkc;
use crate::setup::{self, Config};
use render::Emphasis;

#[derive(Debug, Parser)]
#[command(
    name = "nimo",
    version,
    about = "にも包括の資料を検索し、事前課題の提出を支えるアシスタント"
)]
pub struct Cli {
    /// Where the database and the search index live.
    #[arg(long, env = "NIMO_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// A lexicon directory laid out like the repository's index/ (instead of the built-in one).
    #[arg(long, env = "NIMO_LEXICON_DIR", global = true)]
    pub lexicon: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read documents (files, or directories of .txt files) into the database and index.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Re-read files even when unchanged.
        #[arg(long)]
        force: bool,
    },
    /// Ask a question (Japanese), e.g. 「神奈川県のピアサポーター」.
    Ask {
        /// The question; several words are joined with spaces.
        query: Vec<String>,
        /// Only this region and the regions inside it (e.g. 東京都, 名古屋市, 津軽圏域).
        #[arg(long)]
        region: Option<String>,
        /// Only passages on this topic (id, name or synonym; see `nimo topics`).
        #[arg(long)]
        topic: Option<String>,
        /// Only this fiscal year (2021, R3, 令和3年度).
        #[arg(long)]
        year: Option<String>,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List every region with its prefecture and number of passages.
    Regions {
        #[arg(long)]
        json: bool,
    },
    /// List the topics of the taxonomy.
    Topics,
    /// Write every indexed passage, one JSON object per line.
    Export {
        #[arg(long, required = true)]
        jsonl: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Show how a file would be read (sheets, regions, sections) without storing it.
    Inspect { path: PathBuf },
    /// Remove documents by id (their file name).
    Remove {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Chat in the terminal: ask questions as you would in Discord, fill in 事前課題.
    Chat {
        /// Who is chatting (a name, or discord:ID), for 事前課題.
        #[arg(long = "as")]
        as_person: Option<String>,
    },
    /// Run the Discord bot (the default when DISCORD_TOKEN is set).
    Bot,
    /// 事前課題 forms: list them, or load a new version from a TOML file.
    #[command(subcommand)]
    Form(FormCommand),
    /// Meetings: create one, list them, export their submissions.
    #[command(subcommand)]
    Meeting(Box<MeetingCommand>),
    /// People and their roles (staff of a region, organizer, advisor).
    #[command(subcommand)]
    People(PeopleCommand),
}

#[derive(Debug, Subcommand)]
pub enum FormCommand {
    /// Every form version nimo has.
    List,
    /// Load a form version from a TOML file (see forms/ for the format).
    Load { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Create a meeting, e.g. --name "令和３年度 第１回 AD合同会議" --form jichitai-sheet --deadline "2021-06-30 17:00".
    Create {
        #[arg(long)]
        name: String,
        /// Form id, optionally with @version (latest version otherwise).
        #[arg(long)]
        form: String,
        /// Submission deadline, Japan time: "YYYY-MM-DD HH:MM" (a date alone means 23:59).
        #[arg(long)]
        deadline: String,
        /// Fiscal year the meeting is about (2021, R3, 令和3年度).
        #[arg(long)]
        fiscal_year: Option<String>,
        /// Day of the meeting (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        setup: SetupArgs,
    },
    /// Change a meeting: name, dates, form version, participants, organizers, reminders.
    /// A new deadline reschedules the reminders that have not been sent.
    Edit {
        id: i64,
        #[arg(long)]
        name: Option<String>,
        /// New submission deadline, Japan time.
        #[arg(long)]
        deadline: Option<String>,
        #[arg(long)]
        fiscal_year: Option<String>,
        #[arg(long)]
        date: Option<String>,
        /// Another version of the form (only before anyone has started).
        #[arg(long)]
        form_version: Option<String>,
        /// Add one participating region (repeatable).
        #[arg(long = "add-region")]
        add_region: Vec<String>,
        /// Remove one participating region (repeatable).
        #[arg(long = "remove-region")]
        remove_region: Vec<String>,
        #[command(flatten)]
        setup: SetupArgs,
    },
    /// Where each region stands, and the reminder schedule.
    Status {
        id: i64,
    },
    /// Send the reminders that are due now. Without Discord they are printed here (for
    /// people registered in the terminal); the bot sends them by itself.
    Remind,
    List,
    /// Write every submitted form of a meeting: meeting-ID.md, .csv (Excel-ready), .xlsx.
    Export {
        id: i64,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Who takes part in a meeting and how it reminds them.
#[derive(Debug, clap::Args, Default)]
pub struct SetupArgs {
    /// Participating regions, comma-separated (replaces the list): 世田谷区,葛飾区.
    #[arg(long)]
    pub regions: Option<String>,
    /// Organizers, comma-separated: discord:123,事務局 (they get digests and flags).
    #[arg(long)]
    pub organizers: Option<String>,
    /// Discord channel id for fallbacks and digests ("" to remove).
    #[arg(long)]
    pub channel: Option<String>,
    /// Reminder ladder: 7d,3d,1d,day,overdue (Nd before, on the day, after the deadline).
    #[arg(long)]
    pub ladder: Option<String>,
    /// Time of day for the ladder's reminders, Japan time (default 09:00).
    #[arg(long)]
    pub at: Option<String>,
    /// Quiet hours, Japan time, e.g. 20:00-08:00.
    #[arg(long)]
    pub quiet: Option<String>,
    /// No reminders at weekends either (true/false).
    #[arg(long)]
    pub quiet_weekends: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Give someone a role: --role staff --region 世田谷区, --role organizer, --role advisor.
    Grant {
        /// A name (a terminal user) or discord:USER_ID.
        person: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        region: Option<String>,
        /// Display name (defaults to the name given).
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// Staff requests waiting for an organizer.
    Pending,
}

/// `discord:123` stays as is; any other text is a terminal user's name.
fn person_id(s: &str) -> PersonId {
    if s.contains(':') {
        PersonId(s.to_string())
    } else {
        PersonId::local(s)
    }
}

impl Cli {
    /// True when this invocation runs the Discord bot.
    pub fn runs_bot(&self) -> bool {
        match self.command {
            Some(Command::Bot) => true,
            None => std::env::var("DISCORD_TOKEN").is_ok_and(|t| !t.trim().is_empty()),
            _ => false,
        }
    }
}

fn config(cli: &Cli) -> Config {
    Config {
        data_dir: cli.data_dir.clone(),
        lexicon_dir: cli.lexicon.clone(),
    }
}

pub(crate) fn parse_year(s: &str) -> Option<i32> {
    let n = nfkc(s.trim());
    if let Ok(y) = n.parse::<i32>() {
        return (1980..=2100).contains(&y).then_some(y);
    }
    find_years(&n).first().map(|m| m.fiscal_year)
}

fn emphasis() -> Emphasis {
    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Emphasis::Ansi
    } else {
        Emphasis::Markdown
    }
}

/// Runs a command; `Ok(code)` for expected outcomes, `Err` for failures inside nimo.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if cli.runs_bot() {
        return run_bot(&config(&cli)).await;
    }
    let Some(command) = cli.command.as_ref() else {
        eprintln!(
            "使い方: nimo chat（ターミナルで質問）／ nimo ask 質問 ／ nimo ingest フォルダ ／ nimo --help\n\
             Discord ボットとして動かすには DISCORD_TOKEN を設定してください。"
        );
        return Ok(ExitCode::from(2));
    };
    let config = config(&cli);
    if let Command::Inspect { path } = command {
        return inspect(&config, path);
    }
    let opened = setup::open(&config).await?;
    let nimo = opened.nimo.clone();
    let mut stdout = std::io::stdout().lock();
    let code = match command {
        Command::Ingest { paths, force } => {
            let interactive = std::io::stderr().is_terminal();
            let mut last_shown = 0usize;
            let mut progress = move |e: IngestEvent| match e {
                IngestEvent::Reading { done, total } if total >= 20 => {
                    let pct = done * 100 / total.max(1);
                    if interactive {
                        eprint!("\r読み込み中 {done}/{total}（{pct}%）");
                        if done == total {
                            eprintln!();
                        }
                    } else if pct >= last_shown + 10 || done == total {
                        eprintln!("読み込み中 {done}/{total}（{pct}%）");
                        last_shown = pct;
                    }
                }
                IngestEvent::Committing { documents } if documents >= 20 && interactive => {
                    eprint!("\r{documents}件の文書を保存・索引中…");
                }
                _ => {}
            };
            let report = nimo.ingest(paths, *force, &mut progress).await?;
            write!(stdout, "{}", render::ingest(&report))?;
            if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Ask {
            query,
            region,
            topic,
            year,
            limit,
            offset,
            json,
        } => {
            let year = match year {
                Some(y) => match parse_year(y) {
                    Some(y) => Some(y),
                    None => {
                        eprintln!("年度「{y}」を読み取れませんでした（例: 2021、R3、令和3年度）。");
                        return Ok(ExitCode::from(2));
                    }
                },
                None => None,
            };
            let ask = Ask {
                question: query.join(" "),
                region: region.clone(),
                topic: topic.clone(),
                year,
                limit: Some(*limit),
                offset: *offset,
            };
            match nimo.ask(&ask).await {
                Ok(answer) => {
                    if *json {
                        serde_json::to_writer(&mut stdout, &AnswerView::new(&answer))?;
                        writeln!(stdout)?;
                    } else {
                        write!(
                            stdout,
                            "{}",
                            render::answer(&answer, nimo.lexicon(), emphasis())
                        )?;
                    }
                    ExitCode::SUCCESS
                }
                Err(AskError::Problem(p)) => {
                    if *json {
                        serde_json::to_writer(
                            &mut stdout,
                            &serde_json::json!({"error": p.to_string(), "hits": []}),
                        )?;
                        writeln!(stdout)?;
                    } else {
                        eprint!("{}", render::problem(&p));
                    }
                    ExitCode::from(2)
                }
                Err(AskError::Internal(e)) => return Err(e.into()),
            }
        }
        Command::Regions { json } => {
            let directory = nimo.regions();
            if *json {
                let regions: Vec<RegionView> =
                    directory.regions.iter().map(RegionView::new).collect();
                serde_json::to_writer(&mut stdout, &serde_json::json!({ "regions": regions }))?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", render::regions(&directory))?;
            }
            ExitCode::SUCCESS
        }
        Command::Topics => {
            write!(stdout, "{}", render::topics(nimo.lexicon()))?;
            ExitCode::SUCCESS
        }
        Command::Export { output, .. } => {
            let documents = nimo.documents().await?;
            let mut sink: Box<dyn Write> = match output {
                Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            };
            let mut n = 0;
            for d in &documents {
                for p in &d.passages {
                    serde_json::to_writer(&mut sink, &HitView::from_passage(p))?;
                    writeln!(sink)?;
                    n += 1;
                }
            }
            sink.flush()?;
            eprintln!("{n}件の文章を書き出しました。");
            ExitCode::SUCCESS
        }
        Command::Remove { ids } => {
            nimo.remove(ids).await?;
            writeln!(stdout, "{}件の文書を削除しました。", ids.len())?;
            ExitCode::SUCCESS
        }
        Command::Chat { as_person } => {
            drop(stdout);
            let who = as_person
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "ターミナル".to_string());
            let chatter = chat::Chatter {
                assignments: &opened.assignments,
                person: person_id(&who),
                name: who.rsplit(':').next().unwrap_or(&who).to_string(),
            };
            let stdin = std::io::stdin().lock();
            let out = std::io::stdout().lock();
            chat::run(&nimo, Some(chatter), stdin, out, emphasis()).await?;
            ExitCode::SUCCESS
        }
        Command::Form(cmd) => admin::form(&opened, cmd, &mut stdout).await?,
        Command::Meeting(cmd) => admin::meeting(&opened, cmd, &mut stdout).await?,
        Command::People(cmd) => admin::people(&opened, cmd, &mut stdout).await?,
        Command::Inspect { .. } | Command::Bot => unreachable!("handled above"),
    };
    opened.store.close().await;
    Ok(code)
}

/// Runs the Discord bot until Ctrl-C (or until Discord refuses the token).
async fn run_bot(config: &Config) -> anyhow::Result<ExitCode> {
    let Some(bot_config) = discord::BotConfig::from_env().map_err(anyhow::Error::msg)? else {
        eprintln!(
            "DISCORD_TOKEN が設定されていません。README の「Discord で動かす」をご覧ください。"
        );
        return Ok(ExitCode::from(2));
    };
    let opened = setup::open(config).await?;
    let pages: std::sync::Arc<dyn crate::domain::ports::PageStore> =
        std::sync::Arc::new(opened.store.clone());
    tracing::info!(data_dir = %config.data_dir.display(), passages = opened.nimo.passage_count()?, "starting the Discord bot");
    let mut running = discord::start(
        bot_config,
        opened.nimo.clone(),
        opened.assignments.clone(),
        pages,
    )
    .await?;
    // Reminders are sent by the bot: the schedule is in the database, so several bot
    // processes may run this; each reminder still goes out once.
    let _scheduler =
        running.enable_reminders(opened.reminders.clone(), std::time::Duration::from_secs(30));
    let stopped = tokio::select! {
        _ = tokio::signal::ctrl_c() => None,
        result = running.wait() => Some(result),
    };
    let code = match stopped {
        None => {
            tracing::info!("Ctrl-C received; closing the gateway connection");
            running.shutdown().await?;
            ExitCode::SUCCESS
        }
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(e)) => {
            tracing::error!(error = %e, "the Discord connection ended");
            eprintln!("Discord との接続が終了しました: {e}");
            ExitCode::FAILURE
        }
    };
    opened.store.close().await;
    tracing::info!("stopped");
    Ok(code)
}

/// Prints how a file would be read: its form, year, sheets and their regions, sections.
fn inspect(config: &Config, path: &PathBuf) -> anyhow::Result<ExitCode> {
    let lexicon = config.lexicon()?;
    let bytes = std::fs::read(path)?;
    let id = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    match corpus::parse_bytes(&id, &bytes, &lexicon) {
        Ok(doc) => {
            println!("文書: {}（{}）", doc.title, doc.form);
            println!(
                "年度: {}　シート: {}　文章: {}件",
                doc.fiscal_year
                    .map(crate::domain::era::era_label)
                    .unwrap_or_else(|| "不明".into()),
                doc.sheets,
                doc.passages.len()
            );
            let mut last: Option<(String, String)> = None;
            for p in &doc.passages {
                let key = (p.region.key(), p.section.clone());
                if last.as_ref() != Some(&key) {
                    if last.as_ref().map(|l| &l.0) != Some(&key.0) {
                        println!(
                            "\n■ {}（{}・{:?}）",
                            p.region.name,
                            p.region.kind.label(),
                            p.region_source
                        );
                    }
                    println!("  ・{}", p.section);
                    last = Some(key);
                }
            }
            for w in &doc.warnings {
                println!("確認: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_year;

    #[test]
    fn years_on_the_command_line() {
        assert_eq!(parse_year("2021"), Some(2021));
        assert_eq!(parse_year("R3"), Some(2021));
        assert_eq!(parse_year("令和３年度"), Some(2021));
        assert_eq!(parse_year("令和元年度"), Some(2019));
        assert_eq!(parse_year("H30"), Some(2018));
        assert_eq!(parse_year("abc"), None);
        assert_eq!(parse_year("99999"), None);
    }
}
