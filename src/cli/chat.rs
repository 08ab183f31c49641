//! `nimo chat`: the terminal front end. Each line is a question (or a command), answered
//! the way the Discord bot answers; `/事前課題` fills in the pre-meeting assignment by the
//! same conversation as in Discord. Everything can be tried without Discord.

use std::io::{BufRead, Write};

use super::render::{self, Emphasis};
use super::reply::say;
use crate::app::App;
use crate::app::assignments::Source;
use crate::domain::forms::conversation::{Command, Input, Message};
use crate::domain::ids::MeetingId;
use crate::domain::people::PersonId;
use crate::domain::search::query::{Ask, DEFAULT_LIMIT};

const HELP: &str = "\
使い方: 質問をそのまま入力してください。
  例) ピアサポーターを養成している自治体は？
      神奈川県の地域移行の取組
      令和３年度の協議の場
      世田谷区        （地域名だけで、その地域の資料を一覧）
コマンド:
  /次 (/more)             直前の質問の続きを表示
  /地域 (/regions)         資料のある地域の一覧
  /地域 地域名             その地域の基礎情報・資料・項目ごとの内容
  /テーマ (/topics)        テーマの一覧
  /テーマ テーマ名 [地域名]  そのテーマに取り組む地域の一覧
  /事前課題 [会議番号] [地域名]  事前課題の入力を始める・続ける（担当者として登録が必要）
  /取り込み ファイル        記入済みの様式（Excel・Word）から回答を読み取る（入力中に）
  /担当申請 地域名         地域の担当者として申請する（主催者が承認）
  /提出内容 会議番号 地域名  提出された事前課題を読む（アドバイザー・主催者）
  /ヘルプ (/help)          この説明
  /終了 (/quit)            チャットを終える（Ctrl-D でも終わります）
";

/// Who is chatting, for 事前課題.
pub struct Chatter {
    pub person: PersonId,
    pub name: String,
}

fn write_messages(output: &mut impl Write, messages: &[Message]) -> std::io::Result<()> {
    for m in messages {
        if let Some(modal) = &m.modal {
            let labels: Vec<&str> = modal.fields.iter().map(|f| f.label.as_str()).collect();
            writeln!(
                output,
                "（ターミナルでは入力フォームは使えません。{}を順に入力してください。）",
                labels.join("・")
            )?;
            continue;
        }
        if !m.text.is_empty() {
            writeln!(output, "{}", m.text)?;
        }
        if !m.actions.is_empty() {
            let labels: Vec<String> = m
                .actions
                .iter()
                .filter(|a| **a != Command::Modal)
                .map(|a| a.label())
                .collect();
            writeln!(output, "［{}］", labels.join("／"))?;
        }
    }
    Ok(())
}

/// Runs the chat until end of input or /終了. Returns the number of lines handled.
pub async fn run(
    app: &App,
    chatter: Option<Chatter>,
    input: impl BufRead,
    mut output: impl Write,
    emphasis: Emphasis,
) -> std::io::Result<usize> {
    let mut handled = 0;
    let mut last: Option<Ask> = None;
    writeln!(
        output,
        "nimo へようこそ。にも包括の資料から、地域やテーマについてお答えします。"
    )?;
    writeln!(
        output,
        "/ヘルプ で使い方を表示します。終わるときは /終了 です。"
    )?;
    if let Some(c) = &chatter
        && app.assignments.is_active(&c.person).await
    {
        writeln!(
            output,
            "前回開いていた事前課題があります。/事前課題 で続きを表示します。"
        )?;
    }
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
            // An empty line is answered too: the question being asked, or how to ask.
            match &chatter {
                Some(c) if app.assignments.is_active(&c.person).await => {
                    match app
                        .assignments
                        .handle(&c.person, Input::Text(String::new()), Source::Typed)
                        .await
                    {
                        Ok(reply) => write_messages(&mut output, &reply.messages)?,
                        Err(e) => write!(output, "{}", say(&e))?,
                    }
                }
                _ => writeln!(
                    output,
                    "質問を入力してください（例: ピアサポーターの養成）。/ヘルプ で使い方を表示します。"
                )?,
            }
            continue;
        }
        handled += 1;
        let (command, rest) = match line.strip_prefix(['/', '／']) {
            Some(c) => {
                let mut parts = c.splitn(2, char::is_whitespace);
                (
                    Some(parts.next().unwrap_or("").to_string()),
                    parts.next().unwrap_or("").trim().to_string(),
                )
            }
            None => (None, String::new()),
        };
        if matches!(command.as_deref(), Some("終了" | "quit" | "exit" | "q")) {
            break;
        }
        // A filled sheet handed over while filling in the form.
        if matches!(command.as_deref(), Some("取り込み" | "取込" | "import")) {
            let Some(c) = &chatter else {
                writeln!(
                    output,
                    "様式の取り込みは、担当者として nimo chat --as 名前 で始めたときに使えます。"
                )?;
                continue;
            };
            let path = rest.trim().trim_matches(['"', '\'', '「', '」']);
            if path.is_empty() {
                writeln!(
                    output,
                    "ファイルを指定してください（例: /取り込み 事前課題_世田谷区.xlsx）。"
                )?;
                continue;
            }
            let file = std::path::Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| path.to_string());
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    writeln!(
                        output,
                        "「{path}」を読み取れませんでした（{}）。",
                        super::reply::io_reason(&e)
                    )?;
                    continue;
                }
            };
            match app
                .assignments
                .hand_over(&c.person, &file, bytes, Source::Typed)
                .await
            {
                Ok(reply) => write_messages(&mut output, &reply.messages)?,
                Err(e) => write!(output, "{}", say(&e))?,
            }
            continue;
        }
        // While a form is being filled in, everything else answers it.
        if let Some(c) = &chatter
            && command.as_deref() != Some("事前課題")
            && app.assignments.is_active(&c.person).await
        {
            match app
                .assignments
                .handle(&c.person, Input::Text(line.to_string()), Source::Typed)
                .await
            {
                Ok(reply) => {
                    write_messages(&mut output, &reply.messages)?;
                    if !reply.active {
                        writeln!(output, "（質問に戻りました。/事前課題 で再開できます。）")?;
                    }
                }
                Err(e) => write!(output, "{}", say(&e))?,
            }
            continue;
        }
        let ask = match command.as_deref() {
            None => Ask {
                question: line.to_string(),
                ..Default::default()
            },
            Some("ヘルプ" | "help" | "h" | "?" | "？") => {
                write!(output, "{HELP}")?;
                continue;
            }
            Some("地域" | "regions") if rest.trim().is_empty() => {
                write!(output, "{}", render::regions(&app.library.regions()))?;
                continue;
            }
            Some("地域" | "regions") => {
                match app.library.profile_of(rest.trim()).await {
                    Ok((_, profile)) => write!(output, "{}", render::profile(&profile))?,
                    Err(e) => write!(output, "{}", say(&e))?,
                }
                continue;
            }
            Some("テーマ" | "topics") if rest.trim().is_empty() => {
                write!(output, "{}", render::topics(app.library.lexicon()))?;
                continue;
            }
            Some("テーマ" | "topics") => {
                // 「/テーマ ピアサポート」「/テーマ ピアサポート 東京都」
                let mut words = rest.split_whitespace();
                let topic = words.next().unwrap_or_default();
                let within = words.collect::<Vec<_>>().join(" ");
                match app
                    .library
                    .roster_of(topic, (!within.is_empty()).then_some(within.as_str()))
                    .await
                {
                    Ok(roster) => write!(output, "{}", render::roster(&roster))?,
                    Err(e) => write!(output, "{}", say(&e))?,
                }
                continue;
            }
            Some("事前課題") => {
                let Some(c) = &chatter else { continue };
                // 「/事前課題」「/事前課題 2」「/事前課題 葛飾区」「/事前課題 2 葛飾区」
                let mut words = rest.split_whitespace().peekable();
                let meeting = words.peek().and_then(|m| m.parse::<MeetingId>().ok());
                if meeting.is_some() {
                    words.next();
                }
                let region = words.collect::<Vec<_>>().join(" ");
                let region = (!region.is_empty()).then_some(region.as_str());
                match app
                    .assignments
                    .begin(&c.person, &c.name, meeting, region)
                    .await
                {
                    Ok(reply) => write_messages(&mut output, &reply.messages)?,
                    Err(e) => write!(output, "{}", say(&e))?,
                }
                continue;
            }
            Some("担当申請") => {
                let Some(c) = &chatter else { continue };
                if rest.is_empty() {
                    writeln!(
                        output,
                        "地域名を続けて入力してください（例: /担当申請 東京都世田谷区）。"
                    )?;
                    continue;
                }
                match app
                    .assignments
                    .request_staff(&c.person, &c.name, &rest)
                    .await
                {
                    Ok(m) => writeln!(output, "{m}")?,
                    Err(e) => write!(output, "{}", say(&e))?,
                }
                continue;
            }
            Some("提出内容") => {
                let Some(c) = &chatter else { continue };
                let mut parts = rest.splitn(2, char::is_whitespace);
                let (Some(Ok(meeting)), Some(region)) =
                    (parts.next().map(str::parse::<MeetingId>), parts.next())
                else {
                    writeln!(
                        output,
                        "会議番号と地域名を入力してください（例: /提出内容 1 世田谷区）。"
                    )?;
                    continue;
                };
                match app
                    .assignments
                    .submitted_text(&c.person, Some(meeting), region.trim())
                    .await
                {
                    Ok(text) => writeln!(output, "{text}")?,
                    Err(e) => write!(output, "{}", say(&e))?,
                }
                continue;
            }
            Some("次" | "more" | "next") => match last.take() {
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
            Some(other) => {
                writeln!(
                    output,
                    "「/{other}」というコマンドはありません。/ヘルプ で使い方を表示します。"
                )?;
                continue;
            }
        };
        match app.library.ask(&ask).await {
            Ok(answer) => {
                write!(
                    output,
                    "{}",
                    render::answer(&answer, app.library.lexicon(), emphasis)
                )?;
                last = answer.results.more.then_some(ask);
                if last.is_some() {
                    writeln!(output, "（/次 で続きを表示します）")?;
                }
            }
            Err(e) => write!(output, "{}", say(&e))?,
        }
    }
    writeln!(output, "\nご利用ありがとうございました。")?;
    Ok(handled)
}
