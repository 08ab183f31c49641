//! The guided conversation that fills in a form, one question at a time. A pure state
//! machine: given the form, the answers so far, where the person is (the cursor) and what
//! they just said, it returns the changes to save, the new cursor and what to reply. The
//! application saves the changes before replying, so nothing said is ever lost, and the
//! same conversation runs in the terminal and in Discord.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Answers, computed, parse, parse_items, split_cells, violations};
use super::definition::{Asked, FieldKind, FormDef, expand};
use super::document::render_text;
use super::import::{SheetReading, read_sheet};
use crate::domain::text::{nfkc, quoted};

/// Where a person is in the form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Index into `FormDef::asked()`.
    pub index: usize,
    /// Cells typed so far of a table row being built column by column.
    #[serde(default)]
    pub cells: Vec<String>,
    /// After 「修正」: the next text replaces the answer instead of adding to it.
    #[serde(default)]
    pub replacing: bool,
    /// Asked 「このまま提出しますか」.
    #[serde(default)]
    pub confirming: bool,
    /// Past the last question.
    #[serde(default)]
    pub finished: bool,
    /// The intro was shown.
    #[serde(default)]
    pub started: bool,
    /// Where the person was before 「修正」 took them back: once the corrected answer is
    /// done they return there instead of walking through every later question again.
    /// `asked.len()` stands for "past the last question".
    #[serde(default)]
    pub return_to: Option<usize>,
    /// Answers offered in one piece and waiting for the person's 「はい」.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Proposal>,
    /// Questions whose answer was carried over from an earlier submission and not touched
    /// since (marked in the review and the preview).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<String>,
    /// Proposals made so far (numbers the next one).
    #[serde(default)]
    pub proposals: usize,
}

/// Answers offered in one piece, saved only after the person's 「はい」: a filled sheet they
/// handed over, or their region's earlier submission to start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Which proposal this is (its buttons carry it, so a button under an earlier one
    /// never confirms a later one).
    #[serde(default)]
    pub serial: usize,
    pub source: ProposalSource,
    /// (question id, answer), each already through the question's checks.
    pub answers: Vec<(String, Answer)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProposalSource {
    /// A file the person attached (its name).
    Sheet { file: String },
    /// The region's submission to an earlier meeting (its name).
    Earlier { meeting: String },
}

/// Something to do, from a button or a typed keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    Skip,
    Back,
    Next,
    Review,
    Edit(usize),
    Preview,
    Submit,
    ConfirmSubmit,
    Pause,
    Clear,
    Help,
    /// Open an input form (a Discord modal) for the current question.
    Modal,
    /// 「はい」 to a proposal (a sheet read, an earlier submission to start from).
    Accept,
    /// 「いいえ」 to a proposal.
    Decline,
}

impl Command {
    /// The button label (Japanese).
    pub fn label(self) -> String {
        match self {
            Command::Skip => "スキップ".into(),
            Command::Back => "戻る".into(),
            Command::Next => "次へ".into(),
            Command::Review => "回答を確認".into(),
            Command::Edit(n) => format!("{n}を修正"),
            Command::Preview => "プレビュー".into(),
            Command::Submit => "提出".into(),
            Command::ConfirmSubmit => "このまま提出する".into(),
            Command::Pause => "中断".into(),
            Command::Clear => "やり直し".into(),
            Command::Help => "ヘルプ".into(),
            Command::Modal => "まとめて入力".into(),
            Command::Accept => "はい".into(),
            Command::Decline => "いいえ".into(),
        }
    }

    /// A short id for buttons (`nimo:form:{id}`).
    pub fn id(self) -> String {
        match self {
            Command::Skip => "skip".into(),
            Command::Back => "back".into(),
            Command::Next => "next".into(),
            Command::Review => "review".into(),
            Command::Edit(n) => format!("edit{n}"),
            Command::Preview => "preview".into(),
            Command::Submit => "submit".into(),
            Command::ConfirmSubmit => "confirm".into(),
            Command::Pause => "pause".into(),
            Command::Clear => "clear".into(),
            Command::Help => "help".into(),
            Command::Modal => "modal".into(),
            Command::Accept => "accept".into(),
            Command::Decline => "decline".into(),
        }
    }

    /// Whether the command acts on the question being asked (so a button of it, under an
    /// earlier question, is out of date).
    pub fn moves_from_here(self) -> bool {
        matches!(
            self,
            Command::Skip | Command::Back | Command::Next | Command::Clear | Command::Modal
        )
    }

    pub fn from_id(id: &str) -> Option<Command> {
        Some(match id {
            "skip" => Command::Skip,
            "back" => Command::Back,
            "next" => Command::Next,
            "review" => Command::Review,
            "preview" => Command::Preview,
            "submit" => Command::Submit,
            "confirm" => Command::ConfirmSubmit,
            "pause" => Command::Pause,
            "clear" => Command::Clear,
            "help" => Command::Help,
            "modal" => Command::Modal,
            "accept" => Command::Accept,
            "decline" => Command::Decline,
            other => Command::Edit(other.strip_prefix("edit")?.parse().ok()?),
        })
    }
}

/// Katakana folded to hiragana, so 「シュウセイ」 and 「しゅうせい」 read alike.
fn hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A typed keyword, when the whole message is one (「スキップ」「修正 3」「/提出」),
/// also written in kana as people type before converting (「しゅうせい 3」「ていしゅつ」),
/// with a full stop or 「します」 after it.
pub fn parse_command(text: &str) -> Option<Command> {
    let t = nfkc(text.trim()).to_lowercase();
    let t = t
        .trim_start_matches('/')
        .trim()
        .trim_end_matches(['。', '.', '!', '?', '、'])
        .trim();
    let t = t
        .strip_suffix("してください")
        .or_else(|| t.strip_suffix("します"))
        .map(str::trim)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(t);
    let kana = hiragana(t);
    let word =
        |written: &[&str], read: &[&str]| written.contains(&t) || read.contains(&kana.as_str());
    let command = if word(&["スキップ", "飛ばす", "skip"], &["すきっぷ", "とばす"]) {
        Command::Skip
    } else if word(&["戻る", "前へ", "back"], &["もどる", "まえへ"]) {
        Command::Back
    } else if word(
        &["次へ", "次", "終わり", "以上", "完了", "next"],
        &["つぎへ", "つぎ", "おわり", "いじょう", "かんりょう"],
    ) {
        Command::Next
    } else if word(
        &["確認", "一覧", "回答一覧", "回答を確認", "review"],
        &[
            "かくにん",
            "いちらん",
            "かいとういちらん",
            "かいとうをかくにん",
        ],
    ) {
        Command::Review
    } else if word(
        &["プレビュー", "全体", "preview"],
        &["ぷれびゅー", "ぜんたい"],
    ) {
        Command::Preview
    } else if word(&["提出", "submit"], &["ていしゅつ"]) {
        Command::Submit
    } else if word(
        &["提出する", "このまま提出", "このまま提出する"],
        &[
            "ていしゅつする",
            "このままていしゅつ",
            "このままていしゅつする",
        ],
    ) {
        Command::ConfirmSubmit
    } else if word(
        &["中断", "後で", "保存して中断", "pause"],
        &["ちゅうだん", "あとで", "ほぞんしてちゅうだん"],
    ) {
        Command::Pause
    } else if word(
        &["やり直し", "クリア", "消す", "clear"],
        &["やりなおし", "くりあ", "けす"],
    ) {
        Command::Clear
    } else if word(
        &["ヘルプ", "help", "?", "使い方"],
        &["へるぷ", "つかいかた"],
    ) {
        Command::Help
    } else {
        let number = |rest: &str| rest.trim().trim_end_matches('番').trim().parse().ok();
        let edit = t
            .strip_prefix("修正")
            .or_else(|| kana.strip_prefix("しゅうせい"))
            .and_then(number)
            .or_else(|| t.strip_suffix("を修正").and_then(number))
            .or_else(|| t.strip_suffix("番").and_then(number))?;
        Command::Edit(edit)
    };
    Some(command)
}

/// What the person said.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Text(String),
    Command(Command),
    /// A button under a message shown when the form stood at `at` (see `Message::at`).
    Button {
        command: Command,
        at: usize,
    },
    /// The fields of a submitted input form (modal): (field id, value).
    Fields(Vec<(String, String)>),
    /// A filled sheet the person handed over: its name and its text (table rows as one
    /// line, cells joined by " | "), placed into the questions by `import::read_sheet`.
    Sheet {
        file: String,
        text: String,
    },
    /// The region's earlier submission of this form, offered as a starting point.
    Earlier {
        meeting: String,
        answers: Vec<(String, Answer)>,
    },
}

/// A change to the saved answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Set { question: String, answer: Answer },
    Remove { question: String },
}

/// An input form for the current question: at most 5 fields (Discord's limit).
#[derive(Debug, Clone, PartialEq)]
pub struct ModalSpec {
    pub title: String,
    pub fields: Vec<ModalField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModalField {
    pub id: String,
    pub label: String,
    pub long: bool,
    pub value: String,
    pub max_chars: usize,
    pub required: bool,
    /// A grey example shown while the field is empty ("" for none).
    pub placeholder: String,
}

/// One message to the person: Japanese text and the buttons that make sense now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    pub text: String,
    pub actions: Vec<Command>,
    pub modal: Option<ModalSpec>,
    /// Where in the form the buttons were shown (`Input::Button` says it back).
    pub at: Option<usize>,
}

impl Message {
    fn text(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// Something the application must do besides saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Submit,
    Pause,
}

/// The outcome of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub ops: Vec<Op>,
    pub cursor: Cursor,
    pub messages: Vec<Message>,
    pub event: Option<Event>,
}

/// What the conversation needs to know.
pub struct Context<'a> {
    pub form: &'a FormDef,
    pub fiscal_year: Option<i32>,
    pub answers: &'a Answers,
    /// The region the answers are for (shown in prompts).
    pub region: &'a str,
    /// The last submitted version, if any.
    pub submitted_version: Option<u32>,
    /// The answers changed since that version (修正中).
    pub amended: bool,
    /// The region's earlier submission of this form (last year's), shown beside the
    /// questions it answered: (meeting name, answers).
    pub earlier: Option<(&'a str, &'a Answers)>,
}

const HELP: &str = "\
質問に答えるとそのまま保存されます。次の言葉（またはボタン）が使えます。
  スキップ … この質問をとばす　　戻る … 前の質問へ
  次へ … 文章・箇条書き・表の入力を終えて次へ
  回答を確認 … 番号つきで一覧　　修正 3 … 3番の質問に戻って直す
  やり直し … この質問の回答を消す　　プレビュー … 提出される形で全体を表示
  提出 … 提出する（締切までは何度でも修正・再提出できます）
  中断 … 保存して中断（次に話しかけると続きから）";

struct Machine<'a> {
    ctx: &'a Context<'a>,
    asked: Vec<Asked<'a>>,
    cursor: Cursor,
    answers: Answers,
    ops: Vec<Op>,
    messages: Vec<Message>,
    event: Option<Event>,
}

/// The first messages of a (re)started conversation.
pub fn resume(ctx: &Context<'_>, cursor: &Cursor) -> Turn {
    let mut m = Machine::new(ctx, cursor);
    let title = expand(&ctx.form.title, ctx.fiscal_year);
    if !m.cursor.started
        && let Some(version) = ctx.submitted_version
    {
        // Opened again after submitting (from another device, or after a pause).
        m.cursor.started = true;
        m.say(format!(
            "{}の{}は提出済み（第{version}版）です。締切までは回答を直して、もう一度「提出」できます。",
            ctx.region,
            quoted(&title),
        ));
    } else if !m.cursor.started {
        m.cursor.started = true;
        let intro = expand(&ctx.form.intro, ctx.fiscal_year);
        m.say(format!(
            "{}の{}の入力を始めます（全{}問）。{intro}\n答えはその都度保存されます。「ヘルプ」で使い方を表示します。",
            ctx.region,
            quoted(&title),
            m.asked.len()
        ));
    } else {
        let answered = m
            .asked
            .iter()
            .filter(|a| m.answers.contains_key(&a.question.id))
            .count();
        m.say(format!(
            "{}の{}の続きから再開します（回答済み {answered}/{}問）。",
            ctx.region,
            quoted(&title),
            m.asked.len()
        ));
    }
    m.prompt();
    if let Some(p) = m.cursor.proposal.clone() {
        m.ask_again(&p);
    }
    m.finish()
}

/// Handles one input.
pub fn handle(ctx: &Context<'_>, cursor: &Cursor, input: Input) -> Turn {
    let mut m = Machine::new(ctx, cursor);
    m.cursor.started = true;
    let input = match input {
        Input::Text(t) => {
            // While a proposal waits, 「はい」/「いいえ」 answer it (not a 有・無 question).
            let reply = m.cursor.proposal.as_ref().and_then(|_| yes_or_no(&t));
            match reply.or_else(|| parse_command(&t)) {
                Some(c) => Input::Command(c),
                None => Input::Text(t),
            }
        }
        other => other,
    };
    let answers_proposal = matches!(
        input,
        Input::Command(Command::Accept | Command::Decline)
            | Input::Button {
                command: Command::Accept | Command::Decline,
                ..
            }
            | Input::Sheet { .. }
            | Input::Earlier { .. }
    );
    // Text while a sheet's reading waits for はい/いいえ is not taken as an answer: the
    // person is asked again (an earlier submission offered at the start gives way to
    // whatever they type instead).
    if let (Input::Text(_), Some(p)) = (&input, &m.cursor.proposal)
        && matches!(p.source, ProposalSource::Sheet { .. })
    {
        m.push(Message {
            text: "読み取った内容を取り込むかどうか、「はい」か「いいえ」でお答えください。".into(),
            actions: vec![Command::Accept, Command::Decline],
            modal: None,
            at: Some(p.serial),
        });
        return m.finish();
    }
    if let Input::Button {
        command: Command::Accept | Command::Decline,
        at,
    } = &input
        && m.cursor.proposal.as_ref().is_none_or(|p| p.serial != *at)
    {
        m.say("このボタンは前に読み取った内容のものです。");
        match m.cursor.proposal.clone() {
            Some(p) => m.ask_again(&p),
            None => m.prompt(),
        }
        return m.finish();
    }
    if !answers_proposal && let Some(dropped) = m.cursor.proposal.take() {
        m.say(match dropped.source {
            ProposalSource::Sheet { .. } => {
                "（読み取った内容は取り込まずに進めます。取り込むときは、もう一度ファイルを送ってください。）"
            }
            ProposalSource::Earlier { .. } => "（前回の内容は引き継がずに進めます。）",
        });
    }
    if !matches!(
        input,
        Input::Command(Command::ConfirmSubmit | Command::Submit)
            | Input::Button {
                command: Command::ConfirmSubmit | Command::Submit,
                ..
            }
    ) {
        m.cursor.confirming = false;
    }
    match input {
        Input::Command(c) => m.command(c),
        Input::Button { command, at } if command.moves_from_here() && at != m.here() => {
            // A button under an earlier question (buttons outlive their question): it
            // does not act on the question asked now.
            m.say("このボタンは前に表示した質問のものです。いまの質問はこちらです。");
            m.prompt();
        }
        Input::Button { command, .. } => m.command(command),
        Input::Text(t) => m.text(&t),
        Input::Fields(f) => m.fields(f),
        Input::Sheet { file, text } => {
            let reading = read_sheet(ctx.form, ctx.fiscal_year, ctx.region, &text);
            m.sheet(file, reading)
        }
        Input::Earlier { meeting, answers } => m.offer_earlier(meeting, answers),
    }
    m.finish()
}

/// Whether an answer given to an earlier version of a form fits the question now: the
/// same kind of answer, a table with the same columns, within the limits.
fn fits(q: &super::definition::QuestionDef, answer: &Answer) -> bool {
    match (&q.kind, answer) {
        (FieldKind::Text { max_chars }, Answer::Text { text }) => {
            text.chars().count() <= *max_chars
        }
        (FieldKind::Bullets { max_items }, Answer::Bullets { items }) => items.len() <= *max_items,
        (
            FieldKind::Table {
                columns, max_rows, ..
            },
            Answer::Table { rows },
        ) => rows.len() <= *max_rows && rows.iter().all(|r| r.len() == columns.len()),
        (FieldKind::Number { .. }, Answer::Number { .. })
        | (FieldKind::Percent { .. }, Answer::Percent { .. })
        | (FieldKind::YesNo, Answer::YesNo { .. })
        | (FieldKind::CountOfTotal { .. }, Answer::CountOfTotal { .. }) => true,
        _ => false,
    }
}

/// 「3行」「2項目」「920,471人」: how much an answer holds, for the summary of a sheet.
fn size_of(q: &super::definition::QuestionDef, answer: &Answer) -> String {
    match answer {
        Answer::Table { rows } => format!("{}行", rows.len()),
        Answer::Bullets { items } => format!("{}項目", items.len()),
        Answer::Text { text } => format!("{}文字", text.chars().count()),
        other => other.display(q),
    }
}

/// An earlier answer, short: a table by its first column (the goals), a list by its items.
fn earlier_summary(q: &super::definition::QuestionDef, answer: &Answer) -> String {
    let lines: Vec<String> = match (answer, &q.kind) {
        (Answer::Table { rows }, FieldKind::Table { columns, .. }) => rows
            .iter()
            .filter_map(|r| r.first())
            .map(|c| match columns.first() {
                Some(col) => format!("・{}: {c}", col.label),
                None => format!("・{c}"),
            })
            .collect(),
        (Answer::Bullets { items }, _) => items.iter().map(|i| format!("・{i}")).collect(),
        (other, _) => vec![other.display(q)],
    };
    let mut out: Vec<String> = lines
        .iter()
        .take(8)
        .map(|l| {
            let short: String = l.chars().take(80).collect();
            if l.chars().count() > 80 {
                format!("{short}…")
            } else {
                short
            }
        })
        .collect();
    if lines.len() > 8 {
        out.push(format!("ほか{}件", lines.len() - 8));
    }
    out.join("\n")
}

/// 「はい」/「いいえ」 (and the ways people type them) while a proposal waits.
fn yes_or_no(text: &str) -> Option<Command> {
    let t = nfkc(text.trim()).to_lowercase();
    let t = t.trim_end_matches(['。', '.', '!', '！']).trim();
    // 「はい、お願いします」「いいえ、結構です」
    let kana = hiragana(t);
    if kana.starts_with("いいえ") {
        return Some(Command::Decline);
    }
    if kana.starts_with("はい") && !kana.starts_with("はいり") && !kana.starts_with("はいっ")
    {
        return Some(Command::Accept);
    }
    match kana.as_str() {
        "はい"
        | "yes"
        | "y"
        | "ok"
        | "とりこむ"
        | "取り込む"
        | "お願いします"
        | "おねがいします"
        | "ひきつぐ"
        | "引き継ぐ" => Some(Command::Accept),
        "いいえ" | "no" | "n" | "とりこまない" | "取り込まない" | "やめる" | "ひきつがない"
        | "引き継がない" => Some(Command::Decline),
        _ => None,
    }
}

impl<'a> Machine<'a> {
    fn new(ctx: &'a Context<'a>, cursor: &Cursor) -> Machine<'a> {
        let asked = ctx.form.asked();
        let mut cursor = cursor.clone();
        if cursor.index >= asked.len() {
            cursor.index = asked.len().saturating_sub(1);
            cursor.finished = true;
        }
        Machine {
            ctx,
            asked,
            cursor,
            answers: ctx.answers.clone(),
            ops: Vec::new(),
            messages: Vec::new(),
            event: None,
        }
    }

    fn finish(self) -> Turn {
        Turn {
            ops: self.ops,
            cursor: self.cursor,
            messages: self.messages,
            event: self.event,
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        self.messages.push(Message::text(text));
    }

    /// Where the form stands: a question's index, or `asked.len()` past the last one.
    fn here(&self) -> usize {
        if self.cursor.finished {
            self.asked.len()
        } else {
            self.cursor.index
        }
    }

    /// A message; its buttons are marked with where the form stands now.
    fn push(&mut self, mut message: Message) {
        if !message.actions.is_empty() && message.at.is_none() {
            message.at = Some(self.here());
        }
        self.messages.push(message);
    }

    fn current(&self) -> Asked<'a> {
        self.asked[self.cursor.index]
    }

    fn set(&mut self, question: &str, answer: Answer) {
        self.cursor.carried.retain(|q| q != question);
        self.answers.insert(question.to_string(), answer.clone());
        self.ops.push(Op::Set {
            question: question.to_string(),
            answer,
        });
    }

    fn label(&self, a: &Asked<'_>) -> String {
        expand(&a.question.label, self.ctx.fiscal_year)
    }

    /// The prompt for the current question, or the end-of-form message.
    fn prompt(&mut self) {
        if self.cursor.finished {
            let unanswered = self.unanswered();
            let mut text = format!(
                "すべての質問が終わりました（未回答 {}問）。",
                unanswered.len()
            );
            if self.ctx.submitted_version.is_some() {
                text.push_str("修正した内容は、もう一度「提出」すると新しい版になります。");
            }
            text.push_str(
                "「回答を確認」で見直し、「プレビュー」で全体を確認して、「提出」してください。",
            );
            self.push(Message {
                text,
                actions: vec![
                    Command::Review,
                    Command::Preview,
                    Command::Submit,
                    Command::Pause,
                ],
                modal: None,
                at: None,
            });
            return;
        }
        let a = self.current();
        let q = a.question;
        if self.cursor.carried.contains(&q.id) {
            // Typing over a carried answer replaces it (never adds to last year's).
            self.cursor.replacing = true;
        }
        let section = expand(&a.section.title, self.ctx.fiscal_year);
        let mut text = format!(
            "【{}/{}】{section} ― {}",
            a.number,
            self.asked.len(),
            self.label(&a)
        );
        let mut actions = Vec::new();
        match &q.kind {
            FieldKind::Text { max_chars } => {
                text.push_str(&format!("\n文章で入力してください（{max_chars}文字まで、何回かに分けて送れます）。終わったら「次へ」。"));
                actions.extend([Command::Next, Command::Modal, Command::Clear]);
            }
            FieldKind::Bullets { .. } => {
                text.push_str("\n1行に1つずつ入力してください（何回かに分けて送れます）。終わったら「次へ」。");
                actions.extend([Command::Next, Command::Modal, Command::Clear]);
            }
            FieldKind::Table { columns, .. } => {
                let rows = match self.answers.get(&q.id) {
                    Some(Answer::Table { rows }) if !self.cursor.replacing => rows.len(),
                    _ => 0,
                };
                let col = &columns[self.cursor.cells.len().min(columns.len() - 1)];
                if columns.len() > 1 && self.cursor.cells.is_empty() {
                    text.push_str(&format!(
                        "\n{}行目の「{}」を入力してください。1行まとめて「{}」のように「｜」で区切っても構いません。表を終えるときは「次へ」。",
                        rows + 1,
                        col.label,
                        columns.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join("｜")
                    ));
                } else {
                    text.push_str(&format!(
                        "\n{}行目の「{}」を入力してください。",
                        rows + 1,
                        col.label
                    ));
                }
                actions.extend([Command::Next, Command::Modal, Command::Clear]);
            }
            FieldKind::Number { .. } => {
                text.push_str(&format!("\n数値を入力してください（{}）。", q.example()));
            }
            FieldKind::Percent { .. } => text.push_str("\n割合を入力してください（例: 12.5%）。"),
            FieldKind::YesNo => text.push_str("\n「有」か「無」で答えてください。"),
            FieldKind::CountOfTotal { .. } => {
                text.push_str("\n設置数／全体数で入力してください（例: 3/5）。")
            }
            FieldKind::Share { .. } => {}
        }
        if let Some(help) = &q.help {
            text.push_str(&format!("\n{}", expand(help, self.ctx.fiscal_year)));
        }
        if is_short(&q.kind) && self.batch().len() > 1 {
            // Twenty-odd figures one message at a time is tedious: offer them five at once.
            actions.push(Command::Modal);
        }
        if let Some(answer) = self.answers.get(&q.id) {
            let shown = answer.display(q);
            let what = if self.cursor.replacing {
                "新しく入力すると置き換えます"
            } else {
                "続けて入力すると追加します"
            };
            if matches!(
                q.kind,
                FieldKind::Text { .. } | FieldKind::Bullets { .. } | FieldKind::Table { .. }
            ) {
                text.push_str(&format!("\n現在の回答（{what}）:\n{shown}"));
            } else {
                text.push_str(&format!("\n現在の回答: {shown}（入力すると置き換えます）"));
            }
        }
        if self.cursor.carried.contains(&q.id) {
            text.push_str("\n（この回答は前回の提出から引き継いだものです。このままでよければ「次へ」、直すときは入力してください。）");
        }
        if let Some((meeting, earlier)) = self.ctx.earlier
            && !self.cursor.carried.contains(&q.id)
            && let Some(before) = earlier.get(&q.id)
        {
            // What the region wrote for this question last time: the meeting asks them to
            // report this year's progress against last year's goals.
            text.push_str(&format!(
                "\n参考・前回（{meeting}）の回答:\n{}",
                earlier_summary(q, before)
            ));
        }
        if q.required {
            text.push_str("\n※ この質問は必須です。");
        }
        actions.extend([
            Command::Skip,
            Command::Back,
            Command::Review,
            Command::Pause,
        ]);
        self.push(Message {
            text,
            actions,
            modal: None,
            at: None,
        });
    }

    fn advance(&mut self) {
        self.cursor.cells.clear();
        self.cursor.replacing = false;
        if let Some(back) = self.cursor.return_to.take() {
            // Already there (an input form carried them to it) or next anyway: go on.
            if back != self.cursor.index + 1 && back != self.cursor.index {
                self.say("修正前の質問に戻ります。");
                if back >= self.asked.len() {
                    self.cursor.index = self.asked.len() - 1;
                    self.cursor.finished = true;
                } else {
                    self.cursor.index = back;
                    self.cursor.finished = false;
                }
                self.prompt();
                return;
            }
        }
        if self.cursor.index + 1 >= self.asked.len() {
            self.cursor.finished = true;
        } else {
            self.cursor.index += 1;
            self.cursor.finished = false;
        }
        self.prompt();
    }

    fn unanswered(&self) -> Vec<Asked<'a>> {
        self.asked
            .iter()
            .copied()
            .filter(|a| !self.answers.contains_key(&a.question.id))
            .collect()
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Help => {
                self.say(HELP);
                self.prompt();
            }
            Command::Skip => {
                if self.cursor.finished {
                    self.prompt();
                    return;
                }
                let id = self.current().question.id.clone();
                if self.cursor.carried.contains(&id) {
                    self.cursor.carried.retain(|q| *q != id);
                    self.say("引き継いだ回答のまま次へ進みます。");
                } else {
                    self.say("スキップしました。");
                }
                self.advance();
            }
            Command::Next => {
                if self.cursor.finished {
                    self.prompt();
                    return;
                }
                let a = self.current();
                if let FieldKind::Table {
                    columns, min_rows, ..
                } = &a.question.kind
                {
                    if !self.cursor.cells.is_empty() {
                        let next = &columns[self.cursor.cells.len()];
                        self.say(format!("入力途中の行があります。「{}」を入力するか、「やり直し」で行を消してください。", next.label));
                        self.prompt();
                        return;
                    }
                    let rows = match self.answers.get(&a.question.id) {
                        Some(Answer::Table { rows }) => rows.len(),
                        _ => 0,
                    };
                    if rows < *min_rows {
                        self.say(format!(
                            "少なくとも{min_rows}行入力してください（今は{rows}行）。"
                        ));
                        self.prompt();
                        return;
                    }
                }
                let id = a.question.id.clone();
                self.cursor.carried.retain(|q| *q != id);
                self.advance();
            }
            Command::Back => {
                self.cursor.cells.clear();
                self.cursor.replacing = false;
                self.cursor.return_to = None;
                if self.cursor.finished {
                    self.cursor.finished = false;
                } else if self.cursor.index > 0 {
                    self.cursor.index -= 1;
                } else {
                    self.say("最初の質問です。");
                }
                self.prompt();
            }
            Command::Review => self.review(),
            Command::Edit(n) => {
                if n == 0 || n > self.asked.len() {
                    self.say(format!(
                        "質問の番号は1〜{}です。「回答を確認」で番号を表示します。",
                        self.asked.len()
                    ));
                    return;
                }
                let here = if self.cursor.finished {
                    self.asked.len()
                } else {
                    self.cursor.index
                };
                if self.cursor.return_to.is_none() && here != n - 1 {
                    self.cursor.return_to = Some(here);
                } else if self.cursor.return_to == Some(n - 1) {
                    self.cursor.return_to = None;
                }
                self.cursor.index = n - 1;
                self.cursor.finished = false;
                self.cursor.cells.clear();
                self.cursor.replacing = true;
                self.prompt();
            }
            Command::Preview => {
                let text = render_text(
                    self.ctx.form,
                    self.ctx.fiscal_year,
                    self.ctx.region,
                    &self.answers,
                );
                let carried = self.carried_note();
                self.push(Message {
                    text: format!("提出される内容のプレビューです。\n\n{text}{carried}"),
                    actions: vec![Command::Submit, Command::Review, Command::Pause],
                    modal: None,
                    at: None,
                });
            }
            Command::Submit | Command::ConfirmSubmit => self.submit(c == Command::ConfirmSubmit),
            Command::Pause => {
                self.event = Some(Event::Pause);
                self.say("下書きを保存して中断しました。次に話しかけると（または /事前課題 で）続きから再開できます。");
            }
            Command::Clear => {
                if self.cursor.finished {
                    self.prompt();
                    return;
                }
                let a = self.current();
                self.cursor.cells.clear();
                self.cursor.carried.retain(|q| *q != a.question.id);
                if self.answers.remove(&a.question.id).is_some() {
                    self.ops.push(Op::Remove {
                        question: a.question.id.clone(),
                    });
                    self.say("この質問の回答を消しました。");
                }
                self.cursor.replacing = false;
                self.prompt();
            }
            Command::Accept => self.accept(),
            Command::Decline => {
                if self.cursor.proposal.take().is_some() {
                    self.say("取り込みませんでした。今の回答はそのままです。");
                }
                self.prompt();
            }
            Command::Modal => {
                if self.cursor.finished {
                    self.prompt();
                    return;
                }
                let modal = self.modal();
                self.push(Message {
                    modal: Some(modal),
                    ..Default::default()
                });
            }
        }
    }

    /// A filled sheet, read: what was found, what could not be placed, what failed a
    /// check; the answers wait for 「はい」.
    fn sheet(&mut self, file: String, reading: SheetReading) {
        let mut text = String::new();
        if reading.answers.is_empty() {
            text.push_str(&format!(
                "「{file}」から、この様式の回答を読み取れませんでした。{}の様式に記入したファイルか確かめてください。",
                quoted(&expand(&self.ctx.form.title, self.ctx.fiscal_year))
            ));
        } else {
            text.push_str(&format!(
                "「{file}」から{}問の回答を読み取りました。\n",
                reading.answers.len()
            ));
            for (id, answer) in &reading.answers {
                let Some(a) = self.asked.iter().find(|a| a.question.id == *id) else {
                    continue;
                };
                let replaces = if self.answers.contains_key(id) {
                    "（今の回答を置き換えます）"
                } else {
                    ""
                };
                text.push_str(&format!(
                    "・{}. {}: {}{replaces}\n",
                    a.number,
                    self.label(a),
                    size_of(a.question, answer)
                ));
            }
        }
        for note in &reading.notes {
            text.push_str(&format!("\n⚠ {note}\n"));
        }
        if !reading.invalid.is_empty() {
            text.push_str("\n入力の決まりに合わないため取り込まない回答:\n");
            for i in &reading.invalid {
                let shown: String = i.text.replace('\n', " ").chars().take(40).collect();
                text.push_str(&format!("・{}: 「{shown}」― {}\n", i.question, i.reason));
            }
        }
        if !reading.unplaced.is_empty() {
            text.push_str(&format!(
                "\nどの質問にも当てはまらなかった行（{}行、取り込みません）:\n",
                reading.unplaced.len()
            ));
            for line in reading.unplaced.iter().take(5) {
                let shown: String = line.chars().take(40).collect();
                text.push_str(&format!("・{shown}\n"));
            }
            if reading.unplaced.len() > 5 {
                text.push_str(&format!("ほか{}行\n", reading.unplaced.len() - 5));
            }
        }
        if reading.answers.is_empty() {
            self.say(text.trim_end().to_string());
            self.prompt();
            return;
        }
        text.push_str("\nこの内容を下書きに取り込みますか？「はい」で取り込み、「いいえ」で取りやめます（取り込んだ後も、提出までは直せます）。");
        self.propose(ProposalSource::Sheet { file }, reading.answers, text);
    }

    /// The region's earlier submission, offered as a starting point.
    fn offer_earlier(&mut self, meeting: String, answers: Vec<(String, Answer)>) {
        // Only answers that still fit the question as this year's form asks it.
        let answers: Vec<(String, Answer)> = answers
            .into_iter()
            .filter(|(id, answer)| {
                self.asked
                    .iter()
                    .any(|a| a.question.id == *id && fits(a.question, answer))
            })
            .collect();
        if answers.is_empty() {
            return;
        }
        let text = format!(
            "前回（{meeting}）に提出した内容（{}問）を引き継いで始められます。引き継いだ回答は、確かめるまで「前回から引き継ぎ」と表示されます。\n引き継ぎますか？「はい」で引き継ぎ、「いいえ」で白紙から始めます。",
            answers.len()
        );
        self.propose(ProposalSource::Earlier { meeting }, answers, text);
    }

    /// Keeps answers waiting for はい/いいえ, numbered so that only this message's buttons
    /// answer it.
    fn propose(&mut self, source: ProposalSource, answers: Vec<(String, Answer)>, text: String) {
        self.cursor.proposals += 1;
        let serial = self.cursor.proposals;
        self.cursor.proposal = Some(Proposal {
            serial,
            source,
            answers,
        });
        self.push(Message {
            text,
            actions: vec![Command::Accept, Command::Decline],
            modal: None,
            at: Some(serial),
        });
    }

    /// Asks again about the proposal waiting (after a restart, or a stale button).
    fn ask_again(&mut self, p: &Proposal) {
        let what = match &p.source {
            ProposalSource::Sheet { file } => {
                format!("「{file}」から読み取った{}問の回答", p.answers.len())
            }
            ProposalSource::Earlier { meeting } => {
                format!("前回（{meeting}）に提出した内容（{}問）", p.answers.len())
            }
        };
        self.push(Message {
            text: format!("{what}が、取り込むかどうかのお返事を待っています。「はい」で取り込み、「いいえ」で取りやめます。"),
            actions: vec![Command::Accept, Command::Decline],
            modal: None,
            at: Some(p.serial),
        });
    }

    fn accept(&mut self) {
        let Some(proposal) = self.cursor.proposal.take() else {
            self.say("取り込む内容はありません（もう取り込んだか、取りやめました）。");
            self.prompt();
            return;
        };
        let n = proposal.answers.len();
        let ids: Vec<String> = proposal.answers.iter().map(|(id, _)| id.clone()).collect();
        for (id, answer) in proposal.answers {
            self.set(&id, answer);
        }
        match proposal.source {
            ProposalSource::Sheet { file } => {
                self.say(format!("「{file}」の{n}問を下書きに取り込みました。"))
            }
            ProposalSource::Earlier { meeting } => {
                self.cursor.carried = ids;
                self.say(format!("前回（{meeting}）の{n}問を引き継ぎました。"));
            }
        }
        self.cursor.cells.clear();
        self.cursor.replacing = false;
        self.cursor.return_to = None;
        if !self.cursor.carried.is_empty() {
            // Carried answers are looked at one by one: 「次へ」 keeps one, typing replaces it.
            self.cursor.index = 0;
            self.cursor.finished = false;
            self.cursor.replacing = true;
            self.prompt();
            return;
        }
        // On to the first question still unanswered, or to the end.
        match self
            .asked
            .iter()
            .position(|a| !self.answers.contains_key(&a.question.id))
        {
            Some(i) => {
                self.cursor.index = i;
                self.cursor.finished = false;
            }
            None => {
                self.cursor.index = self.asked.len() - 1;
                self.cursor.finished = true;
            }
        }
        self.prompt();
    }

    /// 「※ 前回から引き継いだまま…」 under a preview, when some answers are untouched.
    fn carried_note(&self) -> String {
        let numbers: Vec<String> = self
            .asked
            .iter()
            .filter(|a| self.cursor.carried.contains(&a.question.id))
            .map(|a| format!("{}. {}", a.number, self.label(a)))
            .collect();
        if numbers.is_empty() {
            String::new()
        } else {
            format!(
                "\n\n※ 前回から引き継いだまま、まだ確かめていない回答: {}（「修正 番号」で見直せます）",
                numbers.join("、")
            )
        }
    }

    fn review(&mut self) {
        let computed = computed(self.ctx.form, &self.answers);
        let mut text = String::from("これまでの回答です（番号で「修正 3」のように直せます）。\n");
        for a in &self.asked {
            let shown = match self.answers.get(&a.question.id) {
                Some(answer) => {
                    let s = answer.display(a.question).replace('\n', " ");
                    let short: String = s.chars().take(60).collect();
                    if s.chars().count() > 60 {
                        format!("{short}…")
                    } else {
                        short
                    }
                }
                None => "（未回答）".into(),
            };
            let mark = if a.question.required && !self.answers.contains_key(&a.question.id) {
                "※"
            } else {
                ""
            };
            let carried = if self.cursor.carried.contains(&a.question.id) {
                "（前回から引き継ぎ・未確認）"
            } else {
                ""
            };
            text.push_str(&format!(
                "{}. {}{mark}: {carried}{shown}\n",
                a.number,
                self.label(a)
            ));
        }
        for q in self
            .ctx
            .form
            .sections
            .iter()
            .flat_map(|s| &s.questions)
            .filter(|q| q.is_computed())
        {
            text.push_str(&format!(
                "（自動計算）{}: {}\n",
                q.label,
                computed.get(&q.id).cloned().unwrap_or_default()
            ));
        }
        for (v, _) in violations(self.ctx.form, &self.answers) {
            text.push_str(&format!("⚠ {v}\n"));
        }
        self.push(Message {
            text,
            actions: vec![Command::Preview, Command::Submit, Command::Pause],
            modal: None,
            at: None,
        });
    }

    fn submit(&mut self, confirmed: bool) {
        if let Some(version) = self.ctx.submitted_version
            && !self.ctx.amended
            && self.ops.is_empty()
        {
            self.cursor.confirming = false;
            self.push(Message {
                text: format!(
                    "前回の提出（第{version}版）から回答が変わっていないため、提出し直しませんでした。直すときは「修正 番号」で回答を変えてから「提出」してください。"
                ),
                actions: vec![Command::Review, Command::Preview, Command::Pause],
                ..Default::default()
            });
            return;
        }
        let missing: Vec<String> = self
            .unanswered()
            .iter()
            .filter(|a| a.question.required)
            .map(|a| format!("{}. {}", a.number, self.label(a)))
            .collect();
        if !missing.is_empty() {
            self.say(format!(
                "必須の質問に未回答があります。回答してから提出してください。\n{}",
                missing.join("\n")
            ));
            return;
        }
        let problems = violations(self.ctx.form, &self.answers);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(|(m, _)| format!("⚠ {m}")).collect();
            self.say(format!(
                "数値の整合性に問題があるため、まだ提出できません。\n{}",
                list.join("\n")
            ));
            return;
        }
        let unanswered: Vec<String> = self
            .unanswered()
            .iter()
            .map(|a| format!("{}. {}", a.number, self.label(a)))
            .collect();
        let already_confirmed = confirmed && self.cursor.confirming;
        if !unanswered.is_empty() && !already_confirmed {
            self.cursor.confirming = true;
            let shown: Vec<&String> = unanswered.iter().take(10).collect();
            let more = if unanswered.len() > 10 {
                format!("\nほか{}問", unanswered.len() - 10)
            } else {
                String::new()
            };
            self.push(Message {
                text: format!(
                    "未回答が{}問あります。このまま提出しますか？\n{}{more}",
                    unanswered.len(),
                    shown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                actions: vec![Command::ConfirmSubmit, Command::Review],
                modal: None,
                at: None,
            });
            return;
        }
        // Answers carried over from last time and never looked at: said before they go out
        // as this year's.
        if !self.cursor.carried.is_empty() && !already_confirmed {
            self.cursor.confirming = true;
            let carried = self.carried_note();
            self.push(Message {
                text: format!(
                    "前回から引き継いだまま、まだ確かめていない回答があります。このまま提出しますか？{carried}"
                ),
                actions: vec![Command::ConfirmSubmit, Command::Review],
                modal: None,
                at: None,
            });
            return;
        }
        self.cursor.confirming = false;
        self.event = Some(Event::Submit);
    }

    fn text(&mut self, input: &str) {
        let input = input.trim();
        if input.is_empty() {
            self.prompt();
            return;
        }
        if self.cursor.finished {
            self.say(
                "すべての質問に答え終わっています。直すときは「修正 番号」、提出は「提出」です。",
            );
            self.prompt();
            return;
        }
        let a = self.current();
        let q = a.question;
        let replacing = self.cursor.replacing;
        match &q.kind {
            FieldKind::Text { max_chars } => {
                let text = match (self.answers.get(&q.id), replacing) {
                    (Some(Answer::Text { text }), false) => format!("{text}\n{input}"),
                    _ => input.to_string(),
                };
                let n = text.chars().count();
                if n > *max_chars {
                    self.say(format!("⚠ {max_chars}文字までです（合わせると{n}文字になります）。短くして送ってください。"));
                    return;
                }
                self.set(&q.id, Answer::Text { text });
                self.cursor.replacing = false;
                self.push(Message {
                    text: format!("受け取りました（計{n}文字）。続きがあれば送ってください。終わったら「次へ」。"),
                    actions: vec![Command::Next, Command::Clear, Command::Review],
                    modal: None,
                    at: None,
                });
            }
            FieldKind::Bullets { max_items } => {
                let mut items = match (self.answers.get(&q.id), replacing) {
                    (Some(Answer::Bullets { items }), false) => items.clone(),
                    _ => Vec::new(),
                };
                items.extend(parse_items(input));
                if items.len() > *max_items {
                    self.say(format!("⚠ {max_items}項目までです。"));
                    return;
                }
                let n = items.len();
                self.set(&q.id, Answer::Bullets { items });
                self.cursor.replacing = false;
                self.push(Message {
                    text: format!("{n}項目になりました。続けて送るか、終わったら「次へ」。"),
                    actions: vec![Command::Next, Command::Clear, Command::Review],
                    modal: None,
                    at: None,
                });
            }
            FieldKind::Table { .. } => {
                let cells = split_cells(input);
                self.table_cells(cells);
            }
            _ => match parse(q, input) {
                Ok(answer) => self.record_single(answer),
                Err(why) => {
                    self.say(format!("⚠ {why}"));
                    self.prompt();
                }
            },
        }
    }

    /// A number, percentage, flag or count: saved, then the next question (or, if it makes
    /// a total disagree, the same question again with the explanation).
    fn record_single(&mut self, answer: Answer) {
        let a = self.current();
        let shown = answer.display(a.question);
        self.set(&a.question.id, answer);
        let id = a.question.id.clone();
        let problems: Vec<String> = violations(self.ctx.form, &self.answers)
            .into_iter()
            .filter(|(_, ids)| ids.contains(&id))
            .map(|(m, _)| m)
            .collect();
        if problems.is_empty() {
            self.say(format!("記録しました：{} {shown}", self.label(&a)));
            self.advance();
        } else {
            self.say(format!(
                "記録しました：{} {shown}\n⚠ {}\nこの値を入力し直すか、別の項目を「修正 番号」で直してください（「次へ」で先に進めます）。",
                self.label(&a),
                problems.join("\n⚠ ")
            ));
            self.cursor.replacing = true;
            self.prompt();
        }
    }

    /// Table input: a whole row (cells separated by ｜) or the next cell.
    fn table_cells(&mut self, cells: Vec<String>) {
        let FieldKind::Table { columns, .. } = &self.current().question.kind else {
            return;
        };
        let remaining = columns.len() - self.cursor.cells.len();
        if cells.iter().all(|c| c.trim().is_empty()) {
            // 「｜」 alone, or only separators: nothing to record.
            self.say("⚠ 空の行です。「｜」の前後に内容を入力してください。");
            self.prompt();
            return;
        }
        if cells.len() == 1 {
            self.cursor
                .cells
                .push(cells.into_iter().next().unwrap_or_default());
        } else if cells.len() == remaining {
            self.cursor.cells.extend(cells);
        } else {
            self.say(format!(
                "⚠ 列の数が合いません。残り{}列（{}）を「｜」で区切るか、1列ずつ送ってください。",
                remaining,
                columns[columns.len() - remaining..]
                    .iter()
                    .map(|c| c.label.as_str())
                    .collect::<Vec<_>>()
                    .join("｜")
            ));
            self.prompt();
            return;
        }
        self.complete_row();
    }

    /// Records the row being built once every column has a value; otherwise asks for the
    /// next column.
    fn complete_row(&mut self) {
        let q = self.current().question;
        let FieldKind::Table {
            columns, max_rows, ..
        } = &q.kind
        else {
            return;
        };
        if self.cursor.cells.len() < columns.len() {
            self.prompt();
            return;
        }
        let mut rows = match (self.answers.get(&q.id), self.cursor.replacing) {
            (Some(Answer::Table { rows }), false) => rows.clone(),
            _ => Vec::new(),
        };
        if rows.len() >= *max_rows {
            self.cursor.cells.clear();
            self.say(format!(
                "⚠ この表は{max_rows}行までです。「次へ」で表を終えてください。"
            ));
            return;
        }
        rows.push(std::mem::take(&mut self.cursor.cells));
        let n = rows.len();
        self.set(&q.id, Answer::Table { rows });
        self.cursor.replacing = false;
        self.say(format!("{n}行目を記録しました。"));
        self.prompt();
    }

    fn fields(&mut self, fields: Vec<(String, String)>) {
        if self.cursor.finished {
            self.prompt();
            return;
        }
        let a = self.current();
        let q = a.question;
        let get = |id: &str| {
            fields
                .iter()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        match &q.kind {
            FieldKind::Text { .. } | FieldKind::Bullets { .. } => {
                let value = get("answer");
                if value.is_empty() {
                    self.command(Command::Clear);
                    return;
                }
                match parse(q, &value) {
                    Ok(answer) => {
                        self.set(&q.id, answer);
                        self.say("入力を保存しました。");
                        self.advance();
                    }
                    Err(why) => {
                        self.say(format!("⚠ {why}"));
                        self.prompt();
                    }
                }
            }
            FieldKind::Table { columns, .. } => {
                // The modal holds the first five columns; the rest is asked by message.
                self.cursor.cells = columns.iter().take(5).map(|c| get(&c.id)).collect();
                self.complete_row();
            }
            _ => self.batch_fields(&fields),
        }
    }

    /// The short questions (figures, 有・無) from the current one on, in the same section,
    /// that fit in one input form: (index into `asked`, question).
    fn batch(&self) -> Vec<(usize, Asked<'a>)> {
        let first = self.current();
        self.asked
            .iter()
            .copied()
            .enumerate()
            .skip(self.cursor.index)
            .take_while(|(_, a)| is_short(&a.question.kind) && a.section.id == first.section.id)
            .take(MODAL_FIELDS)
            .collect()
    }

    /// A submitted input form of short questions: every valid value is kept, every bad one
    /// is explained, and the person goes on from the first that needs attention.
    fn batch_fields(&mut self, fields: &[(String, String)]) {
        let batch = self.batch();
        let mut recorded = Vec::new();
        let mut cleared = Vec::new();
        let mut bad = Vec::new();
        let mut changed = Vec::new();
        for (index, a) in &batch {
            let q = a.question;
            let Some(value) = fields
                .iter()
                .find(|(k, _)| *k == q.id)
                .map(|(_, v)| v.trim())
            else {
                continue;
            };
            let before = self.answers.get(&q.id).map(|x| x.display(q));
            if before.as_deref() == Some(value) {
                continue;
            }
            if value.is_empty() {
                if self.answers.remove(&q.id).is_some() {
                    self.ops.push(Op::Remove {
                        question: q.id.clone(),
                    });
                    cleared.push(self.label(a));
                }
                continue;
            }
            match parse(q, value) {
                Ok(answer) => {
                    recorded.push(format!("{} {}", self.label(a), answer.display(q)));
                    self.set(&q.id, answer);
                    changed.push((*index, q.id.clone()));
                }
                Err(why) => bad.push((*index, format!("{}. {}: {why}", a.number, self.label(a)))),
            }
        }
        let mut text = Vec::new();
        if !recorded.is_empty() {
            text.push(format!("記録しました：{}", recorded.join("、")));
        }
        if !cleared.is_empty() {
            text.push(format!("回答を消しました：{}", cleared.join("、")));
        }
        for (_, why) in &bad {
            text.push(format!("⚠ {why}"));
        }
        let changed_ids: Vec<&String> = changed.iter().map(|(_, id)| id).collect();
        let problems: Vec<(String, Vec<String>)> = violations(self.ctx.form, &self.answers)
            .into_iter()
            .filter(|(_, ids)| ids.iter().any(|id| changed_ids.contains(&id)))
            .collect();
        for (m, _) in &problems {
            text.push(format!("⚠ {m}"));
        }
        if text.is_empty() {
            text.push("変更はありませんでした。".into());
        }
        self.say(text.join("\n"));
        self.cursor.cells.clear();
        // Where to go on: the first bad value, else the last changed value a check
        // complains about, else past the form's last field.
        let stay = bad.first().map(|(i, _)| *i).or_else(|| {
            changed
                .iter()
                .rev()
                .find(|(_, id)| problems.iter().any(|(_, ids)| ids.contains(id)))
                .map(|(i, _)| *i)
        });
        match stay {
            Some(index) => {
                self.cursor.index = index;
                self.cursor.replacing = true;
                self.prompt();
            }
            None => {
                if let Some((last, _)) = batch.last() {
                    self.cursor.index = *last;
                }
                self.advance();
            }
        }
    }

    /// The input form for the current question.
    fn modal(&self) -> ModalSpec {
        let a = self.current();
        let q = a.question;
        let title: String = format!("{}. {}", a.number, self.label(&a))
            .chars()
            .take(45)
            .collect();
        let field = |id: &str, label: &str, long: bool, value: String, max: usize| ModalField {
            id: id.to_string(),
            label: label.chars().take(45).collect(),
            long,
            value: value.chars().take(max).collect(),
            max_chars: max,
            required: false,
            placeholder: String::new(),
        };
        let fields = match &q.kind {
            FieldKind::Text { max_chars } => {
                let value = match self.answers.get(&q.id) {
                    Some(Answer::Text { text }) => text.clone(),
                    _ => String::new(),
                };
                vec![field("answer", "回答", true, value, (*max_chars).min(4000))]
            }
            FieldKind::Bullets { .. } => {
                let value = match self.answers.get(&q.id) {
                    Some(Answer::Bullets { items }) => items.join("\n"),
                    _ => String::new(),
                };
                vec![field("answer", "回答（1行に1つ）", true, value, 4000)]
            }
            FieldKind::Table { columns, .. } => columns
                .iter()
                .take(5)
                .map(|c| field(&c.id, &c.label, true, String::new(), 1000))
                .collect(),
            _ => {
                let batch = self.batch();
                let fields = batch
                    .iter()
                    .map(|(_, b)| {
                        let value = self
                            .answers
                            .get(&b.question.id)
                            .map(|x| x.display(b.question))
                            .unwrap_or_default();
                        let label = format!("{}. {}", b.number, self.label(b));
                        ModalField {
                            placeholder: b.question.example(),
                            ..field(&b.question.id, &label, false, value, 100)
                        }
                    })
                    .collect();
                if let [(_, first), .., (_, last)] = batch.as_slice() {
                    let title = format!(
                        "{}（{}〜{}/{}）",
                        first.section.title,
                        first.number,
                        last.number,
                        self.asked.len()
                    );
                    return ModalSpec {
                        title: title.chars().take(45).collect(),
                        fields,
                    };
                }
                fields
            }
        };
        ModalSpec { title, fields }
    }
}

/// Fields in one input form at most: a screenful, and what Discord allows in a modal.
pub const MODAL_FIELDS: usize = 5;

/// A one-line answer: a figure, a share typed in, 有・無.
fn is_short(kind: &FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Number { .. }
            | FieldKind::Percent { .. }
            | FieldKind::YesNo
            | FieldKind::CountOfTotal { .. }
    )
}

#[cfg(test)]
mod tests;
