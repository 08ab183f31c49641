//! Japanese text rendering for the terminal.

use std::fmt::Write as _;

use crate::app::library::{Answer, FigureTable, IngestReport, RegionProfile, Roster};
use crate::domain::era::era_label;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::query::{QueryProblem, RegionDirectory, describe_filters};
use crate::domain::search::region::display_name;
use crate::domain::search::results::Hit;

/// How matched words are emphasized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    /// ANSI bold yellow, for a terminal.
    Ansi,
    /// Markdown bold, when output is piped.
    Markdown,
}

impl Emphasis {
    fn marks(self) -> (&'static str, &'static str) {
        match self {
            Emphasis::Ansi => ("\x1b[1;33m", "\x1b[0m"),
            Emphasis::Markdown => ("**", "**"),
        }
    }
}

pub fn answer(answer: &Answer, lex: &Lexicon, emphasis: Emphasis) -> String {
    let mut out = String::new();
    let u = &answer.understood;
    let r = &answer.results;
    let filters = describe_filters(u, lex);
    let subject = answer.subject(lex);
    for note in &answer.notes {
        let _ = writeln!(out, "※ {note}");
    }
    let (open, close) = emphasis.marks();
    if let Some(table) = &answer.figures {
        figures(&mut out, &subject, table);
        if !answer.places.is_empty() || r.hits.is_empty() {
            return out;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "関連する記述:");
        hits(&mut out, answer, (open, close));
        return out;
    }
    if !answer.places.is_empty() {
        let _ = writeln!(out, "{subject}");
        for place in &answer.places {
            let _ = writeln!(out);
            let _ = writeln!(out, "■ {}", place.name);
            if let Some(silence) = place.silence(&u.request.text) {
                let _ = writeln!(out, "   {silence}");
            }
            for hit in &place.hits {
                hit_lines(&mut out, None, hit, (open, close));
            }
        }
        return out;
    }
    if r.total == 0 {
        let _ = writeln!(out, "{subject}: 該当する資料は見つかりませんでした。");
        if !filters.is_empty() && !u.request.text.is_empty() {
            let _ = writeln!(out, "条件: {filters}");
        }
        for s in &answer.suggestions {
            let _ = writeln!(out, "・{s}");
        }
        return out;
    }
    let _ = match r.page(u.request.offset) {
        Some((from, to)) => writeln!(
            out,
            "{subject}: {}（{from}〜{to}件目・{:.0}ms）",
            r.count_text(),
            r.took.as_secs_f64() * 1000.0
        ),
        None => writeln!(
            out,
            "{subject}: {}件（{}件目より先はありません）",
            r.total, r.total
        ),
    };
    if !filters.is_empty() && !u.request.text.is_empty() {
        let _ = writeln!(out, "条件: {filters}");
    }
    let expanded: Vec<&String> = u
        .request
        .expansions
        .iter()
        .filter(|e| !e.topic.is_empty())
        .flat_map(|e| e.terms.iter())
        .collect();
    if !expanded.is_empty() {
        let words: Vec<&str> = expanded.iter().take(6).map(|s| s.as_str()).collect();
        let _ = writeln!(out, "関連語も検索: {}", words.join("・"));
    }
    hits(&mut out, answer, (open, close));
    if r.more {
        let _ = writeln!(out);
        let to = u.request.offset.saturating_add(r.hits.len());
        let _ = writeln!(out, "続きがあります（{}件中{to}件まで表示）。", r.total);
    }
    out
}

fn figures(out: &mut String, subject: &str, table: &FigureTable) {
    let _ = writeln!(out, "{subject}");
    if table.rows.is_empty() {
        let _ = writeln!(out, "{}", FigureTable::NONE);
    }
    for row in &table.rows {
        let _ = writeln!(
            out,
            "・{}: {} {}",
            row.region,
            row.figure.label,
            row.figure.value_text()
        );
        match &row.source {
            Some(source) => {
                let _ = writeln!(out, "   出典: {source}・基礎情報");
            }
            None => {
                let _ = writeln!(
                    out,
                    "   {}の資料には{}の記載がありません。",
                    row.region, row.figure.label
                );
            }
        }
    }
    if !table.unstated.is_empty() {
        let _ = writeln!(
            out,
            "※ 記載なしの地域（{}地域）は含めていません: {}",
            table.unstated.len(),
            table.unstated.join("、")
        );
    }
}

fn hits(out: &mut String, answer: &Answer, marks: (&str, &str)) {
    let offset = answer.understood.request.offset;
    for (i, hit) in answer.results.hits.iter().enumerate() {
        hit_lines(out, Some(offset.saturating_add(i + 1)), hit, marks);
    }
}

fn hit_lines(out: &mut String, number: Option<usize>, hit: &Hit, (open, close): (&str, &str)) {
    let p = &hit.passage;
    let year = p
        .fiscal_year
        .map(era_label)
        .unwrap_or_else(|| "年度不明".into());
    let _ = writeln!(out);
    let head = format!("{} ｜ {} ｜ {}", p.region.display(), p.section, year);
    let _ = match number {
        Some(n) => writeln!(out, "{n}. {head}"),
        None => writeln!(out, "   {head}"),
    };
    let _ = writeln!(
        out,
        "   {}",
        hit.snippet.marked(open, close, |s| s.to_string())
    );
    let _ = writeln!(out, "   出典: {}", p.doc_title);
}

/// Everything known about a place: basic figures, documents, sections.
pub fn profile(p: &RegionProfile) -> String {
    let mut out = String::new();
    let r = &p.region;
    let _ = writeln!(
        out,
        "{}（{}・文章 {}件）",
        display_name(&r.key),
        r.kind.label(),
        r.passages
    );
    if !p.figures.is_empty() {
        let _ = writeln!(out, "\n基礎情報:");
        for f in &p.figures {
            let _ = writeln!(out, "・{}", f.figure.display());
        }
    }
    if !p.documents.is_empty() {
        let _ = writeln!(out, "\n資料:");
        for d in &p.documents {
            let year = d
                .fiscal_year
                .map(era_label)
                .unwrap_or_else(|| "年度不明".into());
            let _ = writeln!(out, "・{}（{}・{year}）", d.title, d.form);
        }
    }
    if !p.inside.is_empty() {
        let _ = writeln!(out, "\n含まれる地域:");
        for i in &p.inside {
            let _ = writeln!(
                out,
                "・{}（{}）… {}件",
                display_name(&i.key),
                i.kind.label(),
                i.passages
            );
        }
    }
    if !p.sections.is_empty() {
        let _ = writeln!(out, "\n項目ごとの内容:");
        for s in &p.sections {
            let more = if s.passages > 1 {
                format!("（ほか{}件）", s.passages - 1)
            } else {
                String::new()
            };
            let text: String = s
                .first
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(
                out,
                "■ {}{more}\n   {}",
                s.title,
                crate::domain::text::truncate_chars(&text, 160)
            );
        }
    }
    out
}

/// The regions working on a topic, grouped by prefecture.
pub fn roster(r: &Roster) -> String {
    let mut out = String::new();
    let within = r
        .region
        .as_ref()
        .map(|k| format!("（{}）", display_name(&k.key)))
        .unwrap_or_default();
    if r.entries.is_empty() {
        let _ = writeln!(
            out,
            "「{}」に取り組む地域は見つかりませんでした{within}。",
            r.topic.name
        );
        return out;
    }
    let _ = writeln!(
        out,
        "「{}」に取り組む地域{within}: {}か所",
        r.topic.name,
        r.entries.len()
    );
    let mut prefecture: Option<String> = None;
    for e in &r.entries {
        let pref = e.region.key.split('/').next().unwrap_or("").to_string();
        if prefecture.as_deref() != Some(pref.as_str()) {
            let _ = writeln!(out, "\n{pref}");
            prefecture = Some(pref);
        }
        let text: String = e.best.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            out,
            "・{}（{}件）… {}",
            display_name(&e.region.key),
            e.passages,
            crate::domain::text::truncate_chars(&text, 80)
        );
    }
    out
}

pub fn problem(p: &QueryProblem) -> String {
    let mut out = format!("{p}\n");
    match p {
        QueryProblem::UnknownRegion { suggestions, .. } if !suggestions.is_empty() => {
            let _ = writeln!(out, "もしかして: {}", suggestions.join("、"));
        }
        QueryProblem::UnknownTopic { suggestions, .. } if !suggestions.is_empty() => {
            let _ = writeln!(out, "指定できるテーマ: {}", suggestions.join("、"));
        }
        _ => {}
    }
    out
}

pub fn regions(directory: &RegionDirectory) -> String {
    let mut out = String::new();
    if directory.regions.is_empty() {
        return "まだ資料がありません。`nimo ingest corpus/` で資料を取り込んでください。\n".into();
    }
    let _ = writeln!(out, "資料のある地域: {}か所", directory.regions.len());
    let mut current: Option<&str> = None;
    for r in &directory.regions {
        let pref = r.prefecture.as_deref().unwrap_or("（都道府県不明）");
        if current != Some(pref) {
            let _ = writeln!(out, "\n{pref}");
            current = Some(pref);
        }
        let _ = writeln!(out, "  {}（{}）… {}件", r.name, r.kind.label(), r.passages);
    }
    out
}

pub fn topics(lex: &Lexicon) -> String {
    let mut out = String::from("テーマ（--topic に名前・ID・言い換えのどれでも指定できます）\n");
    for t in lex.taxonomy.topics() {
        let menu = t.menu.map(|m| format!("メニュー{m}: ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}{}  [{}]  {}",
            menu,
            t.name,
            t.id,
            t.synonyms.join("・")
        );
    }
    out
}

pub fn ingest(report: &IngestReport) -> String {
    let mut out = String::new();
    for f in &report.ingested {
        let parts = match f.format {
            "PDF" => format!("・{}ページ", f.parts),
            _ => String::new(),
        };
        let figures = if f.figures > 0 {
            format!("・数値{}件", f.figures)
        } else {
            String::new()
        };
        let replaced = if f.replaced {
            "・同名の文書を置き換え"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "取り込み: {} … {}（{}{parts}{replaced}）{}・{}シート・{}件の文章{}（{}）",
            f.id,
            f.title,
            f.format,
            f.form,
            f.sheets,
            f.passages,
            figures,
            abbreviate(&f.regions, 6)
        );
        for w in &f.warnings {
            let _ = writeln!(out, "  確認: {w}");
        }
    }
    for (path, reason) in &report.failed {
        let _ = writeln!(out, "失敗: {} … {reason}", path.display());
    }
    let secs = report.elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "完了: {}ファイルを取り込み（{}件の文章）、変更なし{}、失敗{}。{:.2}秒（{:.1} MB/秒）",
        report.ingested.len(),
        report.passages(),
        report.unchanged.len(),
        report.failed.len(),
        secs,
        report.bytes as f64 / 1_048_576.0 / secs.max(1e-9)
    );
    out
}

fn abbreviate(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join("、")
    } else {
        format!("{} ほか{}地域", items[..n].join("、"), items.len() - n)
    }
}

/// A reminder, digest or flag as plain text (Japan time written out).
pub fn notice(n: &crate::domain::meetings::reminders::Notice) -> String {
    use crate::domain::clock::format_jst;
    use crate::domain::meetings::reminders::Notice;
    match n {
        Notice::Reminder {
            meeting_name,
            deadline,
            region_name,
            missing_sections,
            answered,
            total,
            overdue,
            announcement,
            ..
        } => {
            if *announcement {
                format!(
                    "【事前課題のご案内】{meeting_name}\n{region_name}の事前課題の受付が始まっています。締切は{}です。「/事前課題」で入力できます。",
                    format_jst(*deadline)
                )
            } else if *overdue {
                format!(
                    "【事前課題・締切超過】{meeting_name}\n{region_name}の事前課題は、締切（{}）までに提出されませんでした。",
                    format_jst(*deadline)
                )
            } else {
                let mut s = format!(
                    "【事前課題のお願い】{meeting_name}\n{region_name}の事前課題がまだ提出されていません。締切は{}です。",
                    format_jst(*deadline)
                );
                if *total > 0 {
                    let _ = write!(s, "\n入力済み: {answered}/{total}問");
                }
                if !missing_sections.is_empty() {
                    let _ = write!(
                        s,
                        "\nまだ入力されていない項目: {}",
                        missing_sections.join("、")
                    );
                }
                s.push_str("\n「/事前課題」で続きから入力できます。");
                s
            }
        }
        Notice::Digest {
            meeting_name,
            deadline,
            after_deadline,
            submitted,
            total,
            missing,
            unstaffed,
            ..
        } => {
            let mut s = format!(
                "【{}】{meeting_name}（締切 {}）\n提出済み {submitted}/{total}地域",
                if *after_deadline {
                    "締切後の提出状況"
                } else {
                    "提出状況"
                },
                format_jst(*deadline)
            );
            for (r, p) in missing {
                let _ = write!(s, "\n・{r} — {p}");
                if unstaffed.contains(r) {
                    s.push_str("（担当者未登録のためリマインダーを送れません）");
                }
            }
            s
        }
        Notice::Undeliverable {
            meeting_name,
            person,
            region_name,
            outcome,
            ..
        } => format!(
            "【お知らせが届きませんでした】{meeting_name}\n{region_name}の{person}さんへのリマインダー: {outcome}"
        ),
    }
}
