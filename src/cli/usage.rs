//! The command line in Japanese: clap builds the parser from `Cli`; here its help is laid
//! out with Japanese headings and its errors are said in Japanese.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory, FromArgMatches};

use super::Cli;

const TEMPLATE: &str = "{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}";

/// Japanese headings and help flags on a command and all its subcommands.
fn japanese(cmd: clap::Command, top: bool) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("コマンド")
        .subcommand_value_name("コマンド")
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .mut_args(|a| {
            if a.is_positional() {
                a.help_heading("引数")
            } else {
                a.help_heading("オプション")
            }
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("使い方を表示する")
                .help_heading("オプション"),
        );
    if top {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("版を表示する")
                .help_heading("オプション"),
        );
    }
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| japanese(s, false));
    }
    cmd
}

/// Reads the command line. Help and version are printed (exit 0); a mistake is explained
/// in Japanese (exit 2).
pub fn parse() -> Result<Cli, ExitCode> {
    let cmd = japanese(Cli::command(), true);
    match cmd.try_get_matches() {
        Ok(matches) => Cli::from_arg_matches(&matches).map_err(|e| explain(&e)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        Err(e) => Err(explain(&e)),
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A mistake on the command line, said in Japanese.
fn explain(e: &clap::Error) -> ExitCode {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::UnknownArgument => format!("「{arg}」というオプションはありません。"),
        ErrorKind::InvalidSubcommand => {
            format!(
                "「{}」というコマンドはありません。",
                context(e, ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!("{arg} の値「{value}」を読み取れません。")
        }
        ErrorKind::MissingRequiredArgument => format!("{arg} を指定してください。"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "コマンドを指定してください。".to_string()
        }
        ErrorKind::ArgumentConflict => format!("{arg} は一緒に使えません。"),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("{arg} に渡す値の数が合いません。")
        }
        ErrorKind::NoEquals => format!("{arg} は「{arg}=値」の形で指定してください。"),
        _ => "コマンドの書き方が正しくありません。".to_string(),
    };
    eprintln!(
        "nimo: {what}\n使い方は nimo --help（コマンドごとには nimo コマンド --help）で表示します。"
    );
    ExitCode::from(2)
}
