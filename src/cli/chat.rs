//! `nimo chat`: the terminal front end. Each line is a question (or a command), answered
//! the way the Discord bot answers, so everything can be tried without Discord.

use std::io::{BufRead, Write};

use super::render::{self, Emphasis};
use crate::app::{AskError, Nimo};
use crate::domain::query::{Ask, DEFAULT_LIMIT};

const HELP: &str = "\
使い方: 質問をそのまま入力してください。
  例) ピアサポーターを養成している自治体は？
      神奈川県の地域移行の取組
      令和３年度の協議の場
      世田谷区        （地域名だけで、その地域の資料を一覧）
コマンド:
  /次 (/more)      直前の質問の続きを表示
  /地域 (/regions)  資料のある地域の一覧
  /テーマ (/topics) テーマの一覧
  /ヘルプ (/help)   この説明
  /終了 (/quit)     チャットを終える（Ctrl-D でも終わります）
";

/// Runs the chat until end of input or /quit. Returns the number of questions answered.
pub async fn run(
    nimo: &Nimo,
    input: impl BufRead,
    mut output: impl Write,
    emphasis: Emphasis,
) -> std::io::Result<usize> {
    let mut answered = 0;
    let mut last: Option<Ask> = None;
    writeln!(
        output,
        "nimo へようこそ。にも包括の資料から、地域やテーマについてお答えします。"
    )?;
    writeln!(
        output,
        "/ヘルプ で使い方を表示します。終わるときは /終了 です。"
    )?;
    let mut lines = input.lines();
    loop {
        write!(output, "\n> ")?;
        output.flush()?;
        let Some(line) = lines.next() else { break };
        // Undecodable bytes are not fatal: say so and keep the conversation going.
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                writeln!(
                    output,
                    "文字コードを読み取れませんでした。UTF-8 で入力してください。"
                )?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let ask = if let Some(command) = line.strip_prefix(['/', '／']) {
            let command = command.split_whitespace().next().unwrap_or("");
            match command {
                "終了" | "quit" | "exit" | "q" => break,
                "ヘルプ" | "help" | "h" | "?" | "？" => {
                    write!(output, "{HELP}")?;
                    continue;
                }
                "地域" | "regions" => {
                    write!(output, "{}", render::regions(&nimo.regions()))?;
                    continue;
                }
                "テーマ" | "topics" => {
                    write!(output, "{}", render::topics(nimo.lexicon()))?;
                    continue;
                }
                "次" | "more" | "next" => match last.take() {
                    Some(mut ask) => {
                        ask.offset += ask.limit.unwrap_or(DEFAULT_LIMIT);
                        ask
                    }
                    None => {
                        writeln!(
                            output,
                            "続きを表示する質問がありません。先に質問を入力してください。"
                        )?;
                        continue;
                    }
                },
                other => {
                    writeln!(
                        output,
                        "「/{other}」というコマンドはありません。/ヘルプ で使い方を表示します。"
                    )?;
                    continue;
                }
            }
        } else {
            Ask {
                question: line.to_string(),
                ..Default::default()
            }
        };
        match nimo.ask(&ask).await {
            Ok(answer) => {
                write!(
                    output,
                    "{}",
                    render::answer(&answer, nimo.lexicon(), emphasis)
                )?;
                answered += 1;
                last = answer.results.more.then_some(ask);
                if last.is_some() {
                    writeln!(output, "（/次 で続きを表示します）")?;
                }
            }
            Err(AskError::Problem(p)) => write!(output, "{}", render::problem(&p))?,
            Err(AskError::Internal(e)) => {
                tracing::error!(error = %e, "answering in chat failed");
                writeln!(
                    output,
                    "申し訳ありません、内部でエラーが起きました。もう一度お試しください。"
                )?;
            }
        }
    }
    writeln!(output, "\nご利用ありがとうございました。")?;
    Ok(answered)
}
