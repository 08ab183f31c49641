//! The terminal front end: `nimo ingest | ask | regions | … | chat | bot`. This file
//! declares the command line and dispatches each command to its own file under
//! `commands/`; `chat` is the terminal conversation, `render` the Japanese text, `reply`
//! the one place where failures become words.

pub mod chat;
mod commands;
pub mod render;
mod reply;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::domain::ids::MeetingId;
use crate::setup::Config;
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
        id: MeetingId,
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
        id: MeetingId,
    },
    /// Send the reminders that are due now. Without Discord they are printed here (for
    /// people registered in the terminal); the bot sends them by itself.
    Remind,
    List,
    /// Write every submitted form of a meeting: meeting-ID.md, .csv (Excel-ready), .xlsx.
    Export {
        id: MeetingId,
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
    /// No reminders on public holidays and 12/29–1/3 (true/false; default true).
    #[arg(long)]
    pub quiet_holidays: Option<bool>,
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
    /// Take a role away: --role staff --region 世田谷区 (a staff member who moved on).
    Revoke {
        /// A name (a terminal user) or discord:USER_ID.
        person: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        region: Option<String>,
    },
    List,
    /// Staff requests waiting for an organizer.
    Pending,
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

    fn config(&self) -> Config {
        Config {
            data_dir: self.data_dir.clone(),
            lexicon_dir: self.lexicon.clone(),
        }
    }
}

/// Plain Markdown bold when the output is not a terminal (or NO_COLOR is set).
fn emphasis() -> Emphasis {
    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Emphasis::Ansi
    } else {
        Emphasis::Markdown
    }
}

/// Runs a command; `Ok(code)` for expected outcomes, `Err` for failures inside nimo.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config();
    if cli.runs_bot() {
        return commands::bot::run(&config).await;
    }
    let Some(command) = cli.command.as_ref() else {
        eprintln!(
            "使い方: nimo chat（ターミナルで質問）／ nimo ask 質問 ／ nimo ingest フォルダ ／ nimo --help\n\
             Discord ボットとして動かすには DISCORD_TOKEN を設定してください。"
        );
        return Ok(ExitCode::from(2));
    };
    if let Command::Inspect { path } = command {
        return commands::inspect::run(&config, path);
    }
    let opened = crate::setup::open(&config).await?;
    let app = &opened.app;
    let mut stdout = std::io::stdout().lock();
    let code = match command {
        Command::Ingest { paths, force } => {
            commands::ingest::run(app, paths, *force, &mut stdout).await
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
            let ask = commands::ask::Options {
                query: query.join(" "),
                region: region.clone(),
                topic: topic.clone(),
                year: year.clone(),
                limit: *limit,
                offset: *offset,
                json: *json,
            };
            commands::ask::run(app, ask, &mut stdout).await
        }
        Command::Regions { json } => commands::regions::run(app, *json, &mut stdout),
        Command::Topics => commands::topics::run(app, &mut stdout),
        Command::Export { output, .. } => commands::export::run(app, output.as_deref()).await,
        Command::Remove { ids } => commands::remove::run(app, ids, &mut stdout).await,
        Command::Chat { as_person } => {
            drop(stdout);
            commands::chat::run(app, as_person.as_deref()).await
        }
        Command::Form(cmd) => commands::form::run(app, cmd, &mut stdout).await,
        Command::Meeting(cmd) => commands::meeting::run(app, cmd, &mut stdout).await,
        Command::People(cmd) => commands::people::run(app, cmd, &mut stdout).await,
        Command::Inspect { .. } | Command::Bot => unreachable!("handled above"),
    };
    opened.close().await;
    code
}
