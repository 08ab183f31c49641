//! Files people attach: checked by name and size before anything is downloaded, then
//! fetched from the URL Discord gives (never with the bot's token).

use serenity::all::Attachment;

use super::bot::Bot;
use crate::app::AppError;
use crate::app::library::IngestReport;
use crate::domain::people::PersonId;

/// The kinds of file nimo reads, by the name's ending (the content decides afterwards).
const READABLE: &[&str] = &["pdf", "xlsx", "xlsm", "docx", "docm", "txt", "csv"];

/// Checks an attachment before downloading it: a kind nimo reads, within the size limit.
pub fn check(bot: &Bot, a: &Attachment) -> Result<(), AppError> {
    let extension = a
        .filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !READABLE.contains(&extension.as_str()) {
        let hint = match extension.as_str() {
            "xls" | "doc" => {
                "古い形式（.xls/.doc）は読めません。Excel・Wordで .xlsx/.docx 形式で保存し直して送ってください。"
            }
            "pptx" | "ppt" => "PowerPoint は読めません。PDFに変換して送ってください。",
            "png" | "jpg" | "jpeg" | "gif" | "heic" => {
                "画像の文字は読めません（文字認識には対応していません）。元のファイル（PDF・Excel・Word）を送ってください。"
            }
            _ => "読めるのは PDF・Excel（.xlsx）・Word（.docx）・テキスト（.txt/.csv）です。",
        };
        return Err(AppError::refused(format!(
            "「{}」は読めない種類のファイルです。{hint}",
            a.filename
        )));
    }
    let limit = bot.app.library.max_file_bytes();
    if u64::from(a.size) > limit {
        return Err(AppError::refused(format!(
            "「{}」は大きすぎます（{:.1} MB、上限 {} MB）。分割するか、不要なページを除いて送ってください。",
            a.filename,
            f64::from(a.size) / 1_000_000.0,
            limit / 1_000_000
        )));
    }
    Ok(())
}

/// Downloads a checked attachment.
pub async fn fetch(bot: &Bot, a: &Attachment) -> Result<Vec<u8>, AppError> {
    check(bot, a)?;
    bot.rest
        .download(&a.url, bot.app.library.max_file_bytes())
        .await
        .map_err(|why| {
            tracing::warn!(file = %a.filename, why, "an attachment could not be downloaded");
            AppError::refused(format!(
                "「{}」をダウンロードできませんでした（{why}）。もう一度送ってください。",
                a.filename
            ))
        })
}

/// Documents an organizer attached: each checked before any download, then downloaded,
/// read and indexed one at a time (each searchable as soon as it is read; a bad file
/// costs the others nothing). `progress` hears (n, total, file name) before each.
pub async fn add_documents(
    bot: &Bot,
    person: &PersonId,
    files: &[Attachment],
    progress: &mut (dyn FnMut(usize, usize, &str) + Send),
) -> Result<IngestReport, AppError> {
    bot.app.assignments.may_add_documents(person).await?;
    let mut report = IngestReport::default();
    let mut accepted: Vec<&Attachment> = Vec::new();
    for a in files {
        // The file name is the document's id: two of one name in one request would
        // silently replace each other.
        if accepted.iter().any(|b| b.filename == a.filename) {
            report.failed.push((
                a.filename.clone().into(),
                format!(
                    "「{}」と同じ名前のファイルがもう1つあります。名前を変えて送ってください。",
                    a.filename
                ),
            ));
            continue;
        }
        match check(bot, a) {
            Ok(()) => accepted.push(a),
            Err(e) => report.failed.push((a.filename.clone().into(), refusal(e)?)),
        }
    }
    let total = accepted.len();
    for (n, a) in accepted.into_iter().enumerate() {
        progress(n + 1, total, &a.filename);
        let bytes = match fetch(bot, a).await {
            Ok(b) => b,
            Err(e) => {
                report.failed.push((a.filename.clone().into(), refusal(e)?));
                continue;
            }
        };
        let one = bot
            .app
            .assignments
            .add_documents(person, vec![(a.filename.clone(), bytes)])
            .await?;
        report.ingested.extend(one.ingested);
        report.unchanged.extend(one.unchanged);
        report.failed.extend(one.failed);
        report.bytes += one.bytes;
    }
    Ok(report)
}

/// A refusal becomes the file's reason; anything else stops the whole request.
fn refusal(e: AppError) -> Result<String, AppError> {
    match e {
        AppError::Refused(why) => Ok(why),
        other => Err(other),
    }
}
