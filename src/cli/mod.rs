//! The terminal front end: `nimo ingest | ask | regions | … | chat | bot`. This file
//! declares the command line and dispatches each command to its own file under
//! `commands/`; `chat` is the terminal conversation, `render` the Japanese text, `reply`
//! the one place where failures become words.

pub mod chat;
mod commands;
pub mod render;
mod reply;
mod usage;

pub use usage::parse;

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
    /// データベースと検索索引を置くフォルダ
    #[arg(long, env = "NIMO_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// 語彙フォルダ（index/ と同じ構成。組み込みの語彙の代わりに使う）
    #[arg(long, env = "NIMO_LEXICON_DIR", global = true)]
    pub lexicon: Option<PathBuf>,
    /// データベースの URL（postgres://… または sqlite://…）。省略時はデータフォルダの SQLite
    #[arg(long, env = "NIMO_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 資料を取り込む（ファイル、またはフォルダ）
    Ingest {
        /// 取り込むファイルまたはフォルダ
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// 変更のないファイルも読み直す（大きく減る内容への置き換えも認める）
        #[arg(long)]
        force: bool,
    },
    /// 質問する（例: 「神奈川県のピアサポーター」）
    Ask {
        /// 質問（複数の語は空白でつなげます）
        query: Vec<String>,
        /// この地域と、その中の地域だけ（例: 東京都、名古屋市、津軽圏域）
        #[arg(long)]
        region: Option<String>,
        /// このテーマの文章だけ（ID・名前・同義語。nimo topics で一覧）
        #[arg(long)]
        topic: Option<String>,
        /// この年度だけ（2021、R3、令和3年度）
        #[arg(long)]
        year: Option<String>,
        /// 表示する件数
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// 何件目から表示するか（0 から）
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// JSON で出力する
        #[arg(long)]
        json: bool,
    },
    /// 資料のある地域の一覧（都道府県・文章の数）
    Regions {
        /// JSON で出力する
        #[arg(long)]
        json: bool,
    },
    /// テーマの一覧
    Topics,
    /// すべての文章を書き出す（1行に1つの JSON）
    Export {
        /// JSON Lines で書き出す（今はこの形式だけ）
        #[arg(long, required = true)]
        jsonl: bool,
        /// 標準出力の代わりにこのファイルへ書く
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// ファイルがどう読まれるかを表示する（シート・地域・項目。取り込まない）
    Inspect {
        /// 調べるファイル
        path: PathBuf,
    },
    /// 資料を削除する（ID＝ファイル名）
    Remove {
        /// 削除する資料の ID（ファイル名）
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// ターミナルで会話する：Discord と同じように質問し、事前課題を入力する
    Chat {
        /// 話している人（名前、または discord:ID）。事前課題の入力に使います
        #[arg(long = "as")]
        as_person: Option<String>,
    },
    /// Discord ボットとして動かす（DISCORD_TOKEN があるときの既定）。同じデータベースで複数起動すると 1 つがリーダー、ほかは待機
    Bot,
    /// 稼働状況：どのプロセスがリーダーか、索引とリマインダーの遅れ（リーダーがいなければ終了コード 1）
    Status {
        /// JSON で出力する
        #[arg(long)]
        json: bool,
    },
    /// このデータベースの内容を別のデータベース（空の PostgreSQL など）へ移し、件数で確かめる
    MigrateTo {
        /// 移行先の URL（例: postgres://nimo@db.example/nimo）
        url: String,
    },
    /// 事前課題のフォーム：一覧、TOML ファイルから新しい版を登録
    #[command(subcommand)]
    Form(FormCommand),
    /// 会議：作成・変更・一覧・提出状況・リマインダー・書き出し
    #[command(subcommand)]
    Meeting(Box<MeetingCommand>),
    /// 利用者と役割（地域の担当者・主催者・アドバイザー）
    #[command(subcommand)]
    People(PeopleCommand),
}

#[derive(Debug, Subcommand)]
pub enum FormCommand {
    /// 登録されているフォームの版の一覧
    List,
    /// TOML ファイルからフォームの版を登録する（書き方は forms/ を参照）
    Load {
        /// フォーム定義の TOML ファイル
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// 会議を作成する（例: --name "令和３年度 第１回 AD合同会議" --form jichitai-sheet --deadline "2021-06-30 17:00"）
    Create {
        /// 会議名（例: 令和３年度 第２回 AD合同会議）
        #[arg(long)]
        name: String,
        /// フォームの ID（@版 を付けなければ最新の版）
        #[arg(long)]
        form: String,
        /// 提出の締切（日本時間 "YYYY-MM-DD HH:MM"。日付だけなら 23:59）
        #[arg(long)]
        deadline: String,
        /// 会議の対象年度（2021、R3、令和3年度）
        #[arg(long)]
        fiscal_year: Option<String>,
        /// 開催日（YYYY-MM-DD）
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        setup: SetupArgs,
    },
    /// 会議を変更する：名前・日付・フォームの版・参加地域・主催者・リマインダー。
    /// 締切を変えると、まだ送っていないリマインダーの予定も移ります
    Edit {
        /// 会議番号
        id: MeetingId,
        /// 新しい会議名
        #[arg(long)]
        name: Option<String>,
        /// 新しい締切（日本時間）
        #[arg(long)]
        deadline: Option<String>,
        /// 会議の対象年度（2021、R3、令和3年度）
        #[arg(long)]
        fiscal_year: Option<String>,
        /// 開催日（YYYY-MM-DD）
        #[arg(long)]
        date: Option<String>,
        /// フォームの別の版（まだ誰も入力を始めていないときだけ）
        #[arg(long)]
        form_version: Option<String>,
        /// 参加地域を一つ加える（繰り返し指定できます）
        #[arg(long = "add-region")]
        add_region: Vec<String>,
        /// 参加地域を一つ外す（繰り返し指定できます）
        #[arg(long = "remove-region")]
        remove_region: Vec<String>,
        #[command(flatten)]
        setup: SetupArgs,
    },
    /// 各地域の提出状況とリマインダーの予定
    Status { id: MeetingId },
    /// いま送るべきリマインダーを送る。ターミナルで登録した人の分をここに表示します
    /// （Discord の利用者の分はボットが送ります）
    Remind,
    /// 会議の一覧
    List,
    /// 会議の提出をすべて書き出す：meeting-番号.md、.csv（Excel 用）、.xlsx
    Export {
        /// 会議番号
        id: MeetingId,
        /// 書き出し先のフォルダ
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Who takes part in a meeting and how it reminds them.
#[derive(Debug, clap::Args, Default)]
pub struct SetupArgs {
    /// 参加地域（カンマ区切り。一覧を置き換えます）: 世田谷区,葛飾区
    #[arg(long)]
    pub regions: Option<String>,
    /// 主催者（カンマ区切り）: discord:123,事務局（提出状況のまとめと連絡を受け取ります）
    #[arg(long)]
    pub organizers: Option<String>,
    /// 会議の Discord チャンネル ID（DM が届かないときの投稿先。"" で削除）
    #[arg(long)]
    pub channel: Option<String>,
    /// リマインダーの段階: 7d,3d,1d,day,overdue（N日前・当日・締切後）
    #[arg(long)]
    pub ladder: Option<String>,
    /// リマインダーを送る時刻（日本時間、既定 09:00）
    #[arg(long)]
    pub at: Option<String>,
    /// 送らない時間帯（日本時間。例: 20:00-08:00）
    #[arg(long)]
    pub quiet: Option<String>,
    /// 土日にも送らない（true/false）
    #[arg(long)]
    pub quiet_weekends: Option<bool>,
    /// 祝日と年末年始（12/29〜1/3）に送らない（true/false、既定 true）
    #[arg(long)]
    pub quiet_holidays: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// 役割を与える: --role staff --region 世田谷区、--role organizer、--role advisor
    Grant {
        /// 名前（ターミナルの利用者）または discord:ユーザーID
        person: String,
        /// 役割: staff（担当者）・organizer（主催者）・advisor（アドバイザー）
        #[arg(long)]
        role: String,
        /// 担当する地域（staff のとき）
        #[arg(long)]
        region: Option<String>,
        /// 表示名（省略すると指定した名前）
        #[arg(long)]
        name: Option<String>,
    },
    /// 役割を取り消す: --role staff --region 世田谷区（異動した担当者など）
    Revoke {
        /// 名前（ターミナルの利用者）または discord:ユーザーID
        person: String,
        /// 役割: staff（担当者）・organizer（主催者）・advisor（アドバイザー）
        #[arg(long)]
        role: String,
        /// 担当する地域（staff のとき）
        #[arg(long)]
        region: Option<String>,
    },
    /// 利用者と役割の一覧
    List,
    /// 主催者の承認待ちの担当申請
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
            database_url: self.database_url.clone().filter(|u| !u.trim().is_empty()),
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
    if let Command::Status { json } = command {
        return commands::status::run(&config, *json, &mut std::io::stdout().lock()).await;
    }
    if let Command::MigrateTo { url } = command {
        return commands::migrate::run(&config, url, &mut std::io::stdout().lock()).await;
    }
    let opened = match crate::setup::open(&config).await {
        Ok(opened) => opened,
        Err(crate::app::AppError::Refused(message)) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
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
        Command::Inspect { .. }
        | Command::Bot
        | Command::MigrateTo { .. }
        | Command::Status { .. } => {
            unreachable!("handled above")
        }
    };
    opened.close().await;
    code
}
