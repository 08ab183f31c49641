//! Japanese rendering of nimo's answers for Discord: embeds with the matched words in bold,
//! citations, and paging buttons — all fitted to Discord's limits (see `limits`).

use super::ids::page_id;
use crate::app::library::{Answer, FigureTable, RegionProfile, Roster};
use crate::domain::era::era_label;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::query::{QueryProblem, describe_filters};
use crate::domain::search::region::RegionKind;
use crate::domain::search::results::Hit;

use super::limits::{
    Button, COLOR_ANSWER, COLOR_ERROR, COLOR_NOTE, EMBED_DESCRIPTION, EMBED_FIELDS, EMBEDS_TOTAL,
    Embed, Reply, clip, escape_markdown, pack, split_text,
};

/// How many characters of a passage a list line or a section shows.
const EXCERPT: usize = 120;
const FOOTER: &str = "nimo ・ にも包括の資料から";

fn paging_buttons(
    kind: &str,
    token: Option<&str>,
    offset: usize,
    limit: usize,
    more: bool,
) -> Vec<Button> {
    let Some(token) = token else {
        return Vec::new();
    };
    if offset == 0 && !more {
        return Vec::new();
    }
    vec![
        Button {
            label: "◀ 前へ".into(),
            custom_id: page_id(kind, token, offset.saturating_sub(limit)),
            disabled: offset == 0,
            primary: false,
        },
        Button {
            label: "次へ ▶".into(),
            custom_id: page_id(kind, token, offset.saturating_add(limit)),
            disabled: !more,
            primary: true,
        },
    ]
}

fn excerpt(text: &str, max: usize) -> String {
    escape_markdown(&clip(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    ))
}

/// An answer to a question, with paging buttons when there is more than one page.
pub fn answer(answer: &Answer, lex: &Lexicon, page_token: Option<&str>) -> Reply {
    let u = &answer.understood;
    let r = &answer.results;
    let filters = describe_filters(u, lex);
    let subject = answer.subject(lex);
    let mut description = String::new();
    for note in &answer.notes {
        description.push_str(&format!("※ {}\n", escape_markdown(note)));
    }
    if let Some(table) = &answer.figures {
        figures(&mut description, table);
        let fields = if answer.places.is_empty() {
            r.hits.iter().map(|h| hit_field(None, h)).collect()
        } else {
            Vec::new()
        };
        return one_embed(&subject, description, fields);
    }
    if !answer.places.is_empty() {
        let fields = answer
            .places
            .iter()
            .map(|place| {
                let mut value = place
                    .silence(&u.request.text)
                    .map(|s| escape_markdown(&s))
                    .unwrap_or_default();
                for hit in &place.hits {
                    if !value.is_empty() {
                        value.push_str("\n\n");
                    }
                    let (name, text) = hit_field(None, hit);
                    value.push_str(&format!("**{name}**\n{text}"));
                }
                (format!("■ {}", place.name), value)
            })
            .collect();
        return one_embed(&subject, description, fields);
    }
    if r.total == 0 {
        description.push_str("該当する資料は見つかりませんでした。\n");
        for s in &answer.suggestions {
            description.push_str(&format!("・{}\n", escape_markdown(s)));
        }
        return Reply::embed(Embed {
            title: escape_markdown(&subject),
            description,
            footer: FOOTER.into(),
            color: COLOR_NOTE,
            ..Default::default()
        });
    }
    if !filters.is_empty() && !u.request.text.is_empty() {
        description.push_str(&format!("条件: {}\n", escape_markdown(&filters)));
    }
    let expanded: Vec<&str> = u
        .request
        .expansions
        .iter()
        .filter(|e| !e.topic.is_empty())
        .flat_map(|e| e.terms.iter().map(String::as_str))
        .take(6)
        .collect();
    if !expanded.is_empty() {
        description.push_str(&format!(
            "関連語も検索: {}\n",
            escape_markdown(&expanded.join("・"))
        ));
    }
    description.push_str(&match r.page(u.request.offset) {
        Some((from, to)) => format!("{}中 {from}〜{to}件目", r.count_text()),
        None => format!("{}件中 {}件目より先はありません", r.total, r.total),
    });
    let fields = r
        .hits
        .iter()
        .enumerate()
        .map(|(i, hit)| hit_field(Some(u.request.offset.saturating_add(i + 1)), hit))
        .collect();
    let mut embed = Embed {
        title: escape_markdown(&subject),
        description,
        fields,
        footer: FOOTER.into(),
        color: COLOR_ANSWER,
    };
    embed.fit_total(EMBEDS_TOTAL);
    Reply {
        embeds: vec![embed],
        buttons: paging_buttons("ask", page_token, u.request.offset, u.request.limit, r.more),
        ..Default::default()
    }
}

/// An answer that is one embed (figures, places side by side), fitted to Discord's limits.
fn one_embed(subject: &str, description: String, fields: Vec<(String, String)>) -> Reply {
    let mut embed = Embed {
        title: escape_markdown(subject),
        description,
        fields,
        footer: FOOTER.into(),
        color: COLOR_ANSWER,
    };
    embed.fit_total(EMBEDS_TOTAL);
    Reply::embed(embed)
}

/// The figures of a figure question, one line per region, blanks said to be blank.
fn figures(description: &mut String, table: &FigureTable) {
    if table.rows.is_empty() {
        description.push_str(FigureTable::NONE);
        description.push('\n');
    }
    for row in &table.rows {
        description.push_str(&format!(
            "・**{}**: {} {}\n",
            escape_markdown(&row.region),
            escape_markdown(&row.figure.label),
            escape_markdown(&row.figure.value_text())
        ));
        match &row.source {
            Some(source) => {
                description.push_str(&format!("　出典: {}・基礎情報\n", escape_markdown(source)))
            }
            None => description.push_str(&format!(
                "　{}の資料には{}の記載がありません。\n",
                escape_markdown(&row.region),
                escape_markdown(&row.figure.label)
            )),
        }
    }
    if !table.unstated.is_empty() {
        description.push_str(&format!(
            "※ 記載なしの地域（{}地域）は含めていません: {}\n",
            table.unstated.len(),
            escape_markdown(&table.unstated.join("、"))
        ));
    }
}

/// A passage as an embed field: where it is from, then its snippet and source.
fn hit_field(number: Option<usize>, hit: &Hit) -> (String, String) {
    let p = &hit.passage;
    let year = p
        .fiscal_year
        .map(era_label)
        .unwrap_or_else(|| "年度不明".into());
    let head = format!("{}｜{}｜{}", p.region.display(), p.section, year);
    let name = match number {
        Some(n) => format!("{n}. {head}"),
        None => head,
    };
    let snippet = hit.snippet.marked("**", "**", escape_markdown);
    let value = format!("{snippet}\n出典: {}", escape_markdown(&p.doc_title));
    (name, value)
}

/// A question that cannot be searched, explained.
pub fn problem(p: &QueryProblem) -> Reply {
    let mut description = escape_markdown(&p.to_string());
    match p {
        QueryProblem::UnknownRegion { suggestions, .. } if !suggestions.is_empty() => {
            description.push_str(&format!(
                "\nもしかして: {}",
                escape_markdown(&suggestions.join("、"))
            ));
        }
        QueryProblem::UnknownTopic { suggestions, .. } if !suggestions.is_empty() => {
            description.push_str(&format!(
                "\n指定できるテーマ: {}",
                escape_markdown(&suggestions.join("、"))
            ));
        }
        _ => {}
    }
    Reply::embed(Embed {
        description,
        footer: FOOTER.into(),
        color: COLOR_NOTE,
        ..Default::default()
    })
}

/// A short note to the person (an unreadable option, an expired button).
pub fn problem_text(text: &str) -> Reply {
    Reply::embed(Embed {
        description: escape_markdown(text),
        color: COLOR_NOTE,
        ..Default::default()
    })
}

/// Something failed inside nimo; the person can simply try again.
pub fn internal_error() -> Reply {
    Reply::embed(Embed {
        description: "申し訳ありません、内部でエラーが起きました。もう一度お試しください。続く場合は管理者にお知らせください。".into(),
        color: COLOR_ERROR,
        ..Default::default()
    })
}

/// A region's profile: overview (kind, documents, basic figures, regions inside) and one
/// field per section with the beginning of its first passage.
pub fn profile(p: &RegionProfile, list_token: Option<&str>) -> Vec<Reply> {
    let r = &p.region;
    let mut description = String::new();
    let place = match (&r.prefecture, r.kind) {
        (Some(pref), k) if k != RegionKind::Prefecture => format!("{pref}・{}", k.label()),
        (_, k) => k.label().to_string(),
    };
    description.push_str(&format!("{place}　文章 {}件\n", r.passages));
    if !p.figures.is_empty() {
        description.push_str("\n**基礎情報**\n");
        for f in &p.figures {
            description.push_str(&format!("・{}\n", escape_markdown(&f.figure.display())));
        }
    }
    if !p.documents.is_empty() {
        description.push_str("\n**資料**\n");
        for d in &p.documents {
            let year = d
                .fiscal_year
                .map(era_label)
                .unwrap_or_else(|| "年度不明".into());
            description.push_str(&format!(
                "・{}（{}・{}）\n",
                escape_markdown(&d.title),
                d.form,
                year
            ));
        }
    }
    if !p.inside.is_empty() {
        description.push_str("\n**含まれる地域**\n");
        for i in &p.inside {
            description.push_str(&format!(
                "・{}（{}）… {}件\n",
                escape_markdown(&i.name),
                i.kind.label(),
                i.passages
            ));
        }
    }
    let fields: Vec<(String, String)> = p
        .sections
        .iter()
        .map(|s| {
            let more = if s.passages > 1 {
                format!("（ほか{}件）", s.passages - 1)
            } else {
                String::new()
            };
            (
                format!("{}{more}", s.title),
                excerpt(&s.first.text, EXCERPT * 2),
            )
        })
        .collect();
    // The overview may be long (many regions inside): it gets embeds of its own.
    let mut embeds = Vec::new();
    let title = escape_markdown(&r.name);
    for (i, part) in split_text(&description, EMBED_DESCRIPTION)
        .into_iter()
        .enumerate()
    {
        embeds.push(Embed {
            title: if i == 0 {
                title.clone()
            } else {
                format!("{title}（続き）")
            },
            description: part,
            color: COLOR_ANSWER,
            ..Default::default()
        });
    }
    for chunk in fields.chunks(EMBED_FIELDS) {
        embeds.push(Embed {
            title: format!("{title}：項目ごとの内容"),
            fields: chunk.to_vec(),
            footer: FOOTER.into(),
            color: COLOR_ANSWER,
            ..Default::default()
        });
    }
    let buttons = list_token
        .map(|t| {
            vec![Button {
                label: "この地域の文章を一覧".into(),
                custom_id: page_id("ask", t, 0),
                disabled: false,
                primary: true,
            }]
        })
        .unwrap_or_default();
    pack(embeds, buttons)
}

/// Regions working on a topic, grouped by prefecture, one line each; `offset`/`limit`
/// page through the regions.
pub fn roster(r: &Roster, offset: usize, limit: usize, page_token: Option<&str>) -> Vec<Reply> {
    let within = r
        .region
        .as_ref()
        .map(|k| format!("（{}）", k.name))
        .unwrap_or_default();
    let title = escape_markdown(&format!("「{}」に取り組む地域{within}", r.topic.name));
    if r.entries.is_empty() {
        return vec![Reply::embed(Embed {
            title,
            description: "このテーマの資料がある地域は見つかりませんでした。".into(),
            color: COLOR_NOTE,
            footer: FOOTER.into(),
            ..Default::default()
        })];
    }
    let page: Vec<_> = r.entries.iter().skip(offset).take(limit).collect();
    let mut text = format!(
        "{}か所（{}〜{}か所目）\n",
        r.entries.len(),
        offset + 1,
        offset + page.len()
    );
    let mut current_pref: Option<&str> = None;
    for e in &page {
        let pref = e.region.prefecture.as_deref().unwrap_or("都道府県不明");
        if current_pref != Some(pref) {
            text.push_str(&format!("\n**{}**\n", escape_markdown(pref)));
            current_pref = Some(pref);
        }
        text.push_str(&format!(
            "・{}（{}件）— {}\n",
            escape_markdown(&e.region.name),
            e.passages,
            excerpt(&e.best.text, 60)
        ));
    }
    let embeds: Vec<Embed> = split_text(&text, EMBED_DESCRIPTION)
        .into_iter()
        .enumerate()
        .map(|(i, part)| Embed {
            title: if i == 0 {
                title.clone()
            } else {
                format!("{title}（続き）")
            },
            description: part,
            footer: FOOTER.into(),
            color: COLOR_ANSWER,
            ..Default::default()
        })
        .collect();
    let more = offset + page.len() < r.entries.len();
    pack(
        embeds,
        paging_buttons("roster", page_token, offset, limit, more),
    )
}

/// How to use nimo in Discord.
pub fn help() -> Reply {
    Reply::embed(Embed {
        title: "nimo の使い方".into(),
        description: "にも包括の資料（事前課題・自治体情報シートなど）から、地域やテーマについてお答えします。\n\n\
            **/質問** 内容を入力（地域・テーマ・年度で絞り込めます）\n\
            **/地域** 地域の概要（資料・基礎情報・項目ごとの内容）\n\
            **/テーマ** そのテーマに取り組む地域の一覧\n\
            **/事前課題** 担当地域の事前課題を会話で入力・提出（DMで進めます）\n\
            **/提出内容** 提出された事前課題を読む　**/提出状況** 【主催者】提出状況と催促\n\n\
            チャンネルで @nimo と呼びかけるか、DM で質問をそのまま送っても答えます。\n\
            例: 「ピアサポーターを養成している自治体は？」「神奈川県の地域移行」「令和３年度の協議の場」"
            .into(),
        footer: FOOTER.into(),
        color: COLOR_ANSWER,
        ..Default::default()
    })
}
