//! 「/資料追加」: an organizer attaches files (PDF, Excel, Word, text); nimo reads them,
//! says what it read, and they are searchable at once. Others are refused before anything
//! is downloaded.

use serde_json::{Value, json};
use serenity::all::{Attachment, CommandInteraction, ResolvedValue};

use crate::app::AppError;
use crate::discord::attachments;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::Reply;
use crate::discord::message::documents;

pub const NAME: &str = "資料追加";

const FILES: [&str; 3] = ["ファイル", "ファイル2", "ファイル3"];

pub fn definition() -> Value {
    let files: Vec<Value> = FILES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "type": 11, "name": name, "required": i == 0,
                "description": "PDF・Excel（.xlsx）・Word（.docx）・テキスト",
            })
        })
        .collect();
    json!({
        "name": NAME, "type": 1,
        "description": "【主催者】資料（PDF・Excel・Word）を追加して検索できるようにします",
        "options": files,
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (person, _) = person_of(&cmd.user);
    bot.app.assignments.may_add_documents(&person).await?;
    let attached: Vec<Attachment> = cmd
        .data
        .options()
        .into_iter()
        .filter_map(|o| match o.value {
            ResolvedValue::Attachment(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    if attached.is_empty() {
        return Err(AppError::refused(
            "ファイルを添付してください（PDF・Excel・Word・テキスト、3つまで）。",
        ));
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut progress = move |n: usize, total: usize, name: &str| {
        let _ = tx.send(format!("読み取っています（{n}/{total}）: {name}"));
    };
    let work = attachments::add_documents(bot, &person, &attached, &mut progress);
    tokio::pin!(work);
    // Where the reading stands is shown in the deferred reply while it goes on.
    let report = loop {
        tokio::select! {
            report = &mut work => break report?,
            Some(text) = rx.recv() => show(bot, cmd, &text).await,
        }
    };
    Ok(documents::added(&report))
}

/// Shows where the reading stands in the deferred reply (best effort).
async fn show(bot: &Bot, cmd: &CommandInteraction, text: &str) {
    let Ok(application) = bot.application() else {
        return;
    };
    let body = Reply::text(text).to_json();
    if let Err(e) = bot.rest.edit_original(application, &cmd.token, &body).await {
        tracing::debug!(error = %e, "progress could not be shown");
    }
}
