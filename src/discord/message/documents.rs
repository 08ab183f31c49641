//! What an organizer sees after adding documents: what was read from each file (title,
//! format, regions, passages, figures), the 「確認」 lines, and each failure with its reason.

use super::limits::{COLOR_ANSWER, COLOR_NOTE, Embed, Reply, escape_markdown, pack};
use crate::app::library::IngestReport;

pub fn added(report: &IngestReport) -> Vec<Reply> {
    let mut embeds = Vec::new();
    for f in &report.ingested {
        let mut lines = vec![format!(
            "{}・{}シート・{}件の文章{}",
            f.format,
            f.sheets,
            f.passages,
            if f.figures > 0 {
                format!("・数値{}件", f.figures)
            } else {
                String::new()
            }
        )];
        if f.format == "PDF" {
            lines[0].push_str(&format!("（{}ページ）", f.parts));
        }
        let regions = if f.regions.len() > 8 {
            format!(
                "{} ほか{}地域",
                f.regions[..8].join("、"),
                f.regions.len() - 8
            )
        } else {
            f.regions.join("、")
        };
        lines.push(format!("地域: {regions}"));
        if f.replaced {
            lines.push("同じ名前の資料が取り込み済みだったため、置き換えました。".into());
        }
        for w in f.warnings.iter().take(5) {
            lines.push(format!("確認: {w}"));
        }
        if f.warnings.len() > 5 {
            lines.push(format!("確認: ほか{}件", f.warnings.len() - 5));
        }
        embeds.push(Embed {
            title: format!("📄 {}", f.title),
            description: escape_markdown(&lines.join("\n")),
            footer: f.id.clone(),
            color: COLOR_ANSWER,
            ..Default::default()
        });
    }
    for path in &report.unchanged {
        embeds.push(Embed {
            title: format!("{}（変更なし）", path.display()),
            description: "同じ内容がすでに取り込まれています。".into(),
            color: COLOR_NOTE,
            ..Default::default()
        });
    }
    for (path, reason) in &report.failed {
        embeds.push(Embed {
            title: format!("⚠ {} を取り込めませんでした", path.display()),
            description: escape_markdown(reason),
            color: COLOR_NOTE,
            ..Default::default()
        });
    }
    let summary = if report.ingested.is_empty() {
        "資料は追加されませんでした。".to_string()
    } else {
        format!(
            "{}件の資料を追加しました（{}件の文章）。「/質問」ですぐに検索できます。",
            report.ingested.len(),
            report.passages()
        )
    };
    let mut replies = pack(embeds, Vec::new());
    match replies.first_mut() {
        Some(first) => first.content = summary,
        None => replies.push(Reply::text(summary)),
    }
    replies
}
