//! A filled 様式 handed over as a file: its text (read by whatever reads the file; table
//! rows arrive as one line with cells joined by " | ") placed into the form's questions.
//! Every answer goes through the same parsing and checks as a typed one; what cannot be
//! placed and what fails a check are reported, never guessed into an answer.

use super::answer::{Answer, parse, parse_items, split_cells};
use super::definition::{FieldKind, FormDef, QuestionDef, expand};
use std::sync::LazyLock;

use regex::Regex;

use crate::domain::era::{era_label, find_years};
use crate::domain::text::nfkc;

/// What was read from a filled sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetReading {
    /// Answers placed and valid, in the form's order: (question id, answer).
    pub answers: Vec<(String, Answer)>,
    /// Lines of the sheet that belong to no question (shown to the person).
    pub unplaced: Vec<String>,
    /// Answers placed but refused by the question's checks.
    pub invalid: Vec<Invalid>,
    /// Things to check before taking it (a sheet of another year).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The question's label.
    pub question: String,
    /// What the sheet said.
    pub text: String,
    /// Why it was refused (Japanese).
    pub reason: String,
}

/// Lines that are the sheet's own furniture, never answers: the title, the region line,
/// sheet names, page numbers.
fn is_furniture(line: &str, form: &FormDef, region: &str) -> bool {
    let c = compact(line);
    let region = compact(region);
    let is_region_line = !region.is_empty()
        && c.contains(&region)
        && c.chars().count() <= region.chars().count() + 5
        && !c.contains(['、', '。']);
    c.is_empty()
        || c.starts_with("シート:")
        || (c.contains("事前課題") && c.contains("合同会議"))
        || c.contains(&compact(&form.title))
        || c.contains("参加自治体状況共有")
        || c.starts_with("自治体名")
        || is_region_line
        || c.chars()
            .all(|ch| ch.is_ascii_digit() || "-/ー－ページp.".contains(ch))
}

/// NFKC without spaces, for comparing labels as written on sheets.
fn compact(s: &str) -> String {
    nfkc(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// A heading with its numbering taken off: 「１．令和２年度の達成目標・取組状況」 →
/// 「令和2年度の達成目標・取組状況」.
fn strip_numbering(s: &str) -> &str {
    let t = s.trim_start_matches(|c: char| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || ('①'..='⑳').contains(&c)
            || "．.、)）(（ 　".contains(c)
    });
    if t.len() < s.len() && !t.is_empty() {
        t
    } else {
        s
    }
}

/// The words of a section title around its fiscal-year parts, so that 「令和元年度の達成目標」
/// on last year's sheet is still that section: 「{fy}の達成目標・取組状況」 →
/// [「達成目標・取組状況」], 「課題の解決に向けた{next_fy}の取組方針」 → [「課題の解決に向けた」, 「取組方針」].
fn title_pieces(title: &str) -> Vec<String> {
    title
        .replace("{next_fy}", "{fy}")
        .split("{fy}")
        .map(|p| compact(p).trim_start_matches('の').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Reads a filled sheet's text into the form's questions.
pub fn read_sheet(
    form: &FormDef,
    fiscal_year: Option<i32>,
    region: &str,
    text: &str,
) -> SheetReading {
    let asked = form.asked();
    // Section headings: the expanded title and its core.
    let headings: Vec<(usize, String, Vec<String>)> = form
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i,
                compact(&expand(&s.title, fiscal_year)),
                title_pieces(&s.title),
            )
        })
        .collect();
    let mut reading = SheetReading::default();
    // Collected raw pieces per question id (lines, or table rows).
    let mut pieces: Vec<(String, Vec<String>)> = Vec::new();
    let mut section: Option<usize> = None;

    for raw in text.lines() {
        let line = raw.trim().trim_matches('\u{c}').trim();
        if line.is_empty() {
            continue;
        }
        // A section heading?
        let c = compact(strip_numbering(line));
        if let Some((i, _, _)) = headings.iter().find(|(_, full, pieces)| {
            (c == *full || (!pieces.is_empty() && pieces.iter().all(|p| c.contains(p.as_str()))))
                && c.chars().count() <= full.chars().count() + 12
        }) {
            section = Some(*i);
            // A heading naming another year than the meeting's: last year's sheet?
            if let Some(fy) = fiscal_year
                && let Some(y) = find_years(line).first()
                && y.fiscal_year != fy
                && y.fiscal_year != fy + 1
                && reading.notes.is_empty()
            {
                reading.notes.push(format!(
                    "この様式の見出しは{}のものです（この会議は{}）。年度が合っているか確かめてから取り込んでください。",
                    era_label(if form.sections[*i].title.contains("{next_fy}") {
                        y.fiscal_year - 1
                    } else {
                        y.fiscal_year
                    }),
                    era_label(fy)
                ));
            }
            continue;
        }
        if is_furniture(line, form, region) {
            continue;
        }
        // Who filled it in, how to reach them: the sheet's margin, not an answer.
        if is_contact_note(line) {
            reading.unplaced.push(line.to_string());
            continue;
        }
        // A labelled row of figures (「総人口 | 920,471 | 人 | R3年4月1日時点」)?
        if let Some((q, value)) = labelled_row(form, line) {
            push(&mut pieces, &q.id, value);
            continue;
        }
        let Some(s) = section else {
            reading.unplaced.push(line.to_string());
            continue;
        };
        // The section's first question that takes free lines.
        let Some(q) = form.sections[s].questions.iter().find(|q| {
            matches!(
                q.kind,
                FieldKind::Text { .. } | FieldKind::Bullets { .. } | FieldKind::Table { .. }
            )
        }) else {
            reading.unplaced.push(line.to_string());
            continue;
        };
        if let FieldKind::Table { columns, .. } = &q.kind {
            let cells = split_cells(line);
            let header = cells.len() == columns.len()
                && cells
                    .iter()
                    .zip(columns)
                    .all(|(cell, col)| compact(cell).contains(&compact(&col.label)));
            if header {
                continue;
            }
            if cells.len() < 2 {
                reading.unplaced.push(line.to_string());
                continue;
            }
        }
        push(&mut pieces, &q.id, line.to_string());
    }

    for a in &asked {
        let q = a.question;
        let Some((_, lines)) = pieces.iter().find(|(id, _)| *id == q.id) else {
            continue;
        };
        match answer_from(q, lines) {
            Ok(answer) => reading.answers.push((q.id.clone(), answer)),
            Err((text, reason)) => reading.invalid.push(Invalid {
                question: expand(&q.label, fiscal_year),
                text,
                reason,
            }),
        }
    }
    reading
}

fn push(pieces: &mut Vec<(String, Vec<String>)>, id: &str, line: String) {
    match pieces.iter_mut().find(|(q, _)| q == id) {
        Some((_, lines)) => lines.push(line),
        None => pieces.push((id.to_string(), vec![line])),
    }
}

/// One answer from the lines placed under a question, through the typed-answer checks.
fn answer_from(q: &QuestionDef, lines: &[String]) -> Result<Answer, (String, String)> {
    match &q.kind {
        FieldKind::Table { columns, .. } => {
            let mut rows = Vec::new();
            for line in lines {
                let mut cells = split_cells(line);
                // A row shorter than the table (a blank cell at the end) keeps its place.
                while cells.len() < columns.len() {
                    cells.push(String::new());
                }
                // Cells beyond the table's columns belong to the last one.
                if cells.len() > columns.len() {
                    let rest = cells.split_off(columns.len() - 1).join(" ");
                    cells.push(rest);
                }
                match parse(q, &cells.join("｜")) {
                    Ok(Answer::Table { rows: r }) => rows.extend(r),
                    Ok(_) => {}
                    Err(e) => return Err((line.clone(), e)),
                }
            }
            Ok(Answer::Table { rows })
        }
        FieldKind::Bullets { .. } => {
            let joined = lines.join("\n");
            if parse_items(&joined).is_empty() {
                return Err((joined, "項目が読み取れませんでした。".into()));
            }
            parse(q, &joined).map_err(|e| (joined, e))
        }
        FieldKind::Text { .. } => {
            let joined = lines.join("\n");
            parse(q, &joined).map_err(|e| (joined, e))
        }
        _ => {
            let value = lines.last().cloned().unwrap_or_default();
            parse(q, &value).map_err(|e| (value, e))
        }
    }
}

/// A table row that names a short question (a figure) in its first cells and gives the
/// value after: the label cells are matched against the question's label and aliases, the
/// most specific cell first (「入院精神障害者数 | ３か月未満 | 0 | 人」 is 「３か月未満」).
fn labelled_row<'f>(form: &'f FormDef, line: &str) -> Option<(&'f QuestionDef, String)> {
    let cells: Vec<String> = split_cells(line)
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    if cells.len() < 2 {
        return None;
    }
    let first_value = cells.iter().position(|c| looks_like_value(c))?;
    if first_value == 0 {
        return None;
    }
    // The value, its unit and its 時点; a share printed beside a count (「0.0%」) is the
    // sheet's own arithmetic, not part of the answer.
    let value = std::iter::once(cells[first_value].as_str())
        .chain(
            cells[first_value + 1..]
                .iter()
                .map(String::as_str)
                .filter(|c| !(looks_like_value(c) && c.trim_end().ends_with(['%', '％']))),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let short: Vec<&QuestionDef> = form
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .filter(|q| {
            matches!(
                q.kind,
                FieldKind::Number { .. }
                    | FieldKind::Percent { .. }
                    | FieldKind::YesNo
                    | FieldKind::CountOfTotal { .. }
            )
        })
        .collect();
    let names = |q: &QuestionDef| -> Vec<String> {
        std::iter::once(q.label.as_str())
            .chain(q.aliases.iter().map(String::as_str))
            .map(|n| compact(&strip_parenthesised_date(n)))
            .collect()
    };
    // The most specific label cell alone, then all label cells together.
    let last = compact(&strip_parenthesised_date(&cells[first_value - 1]));
    if let Some(q) = short.iter().find(|q| names(q).contains(&last)) {
        return Some((q, value));
    }
    let whole = compact(&strip_parenthesised_date(&cells[..first_value].join("")));
    short
        .iter()
        .filter_map(|q| {
            names(q)
                .into_iter()
                .filter(|n| whole == *n || (n.chars().count() >= 4 && whole.contains(n.as_str())))
                .map(|n| n.chars().count())
                .max()
                .map(|len| (len, *q))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, q)| (q, value))
}

/// 「担当：障害福祉課」「TEL: 03-…」: notes in a sheet's margin.
fn is_contact_note(line: &str) -> bool {
    static NOTE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:担当者?|記入者|作成者|回答者|連絡先|電話|tel|fax|メール|e-?mail|所属|氏名|部署)\s*[:：]")
            .expect("valid regex")
    });
    NOTE.is_match(&nfkc(line.trim()))
}

/// 「（R3年6月30日時点）」 taken out of a label.
fn strip_parenthesised_date(s: &str) -> String {
    let n = nfkc(s);
    let mut out = String::new();
    let mut depth = 0;
    let mut inner = String::new();
    for c in n.chars() {
        match c {
            '(' => {
                depth += 1;
                inner.clear();
            }
            ')' if depth > 0 => {
                depth -= 1;
                if !inner.contains("時点") && !inner.contains("現在") {
                    out.push('(');
                    out.push_str(&inner);
                    out.push(')');
                }
            }
            c if depth > 0 => inner.push(c),
            c => out.push(c),
        }
    }
    out
}

/// A cell that gives a value: a number (with a short unit or a 時点 after it), a
/// count of a total (「3/5」), or 有/無 — not a label that starts with a digit
/// (「３か月未満」「１年以上」).
fn looks_like_value(cell: &str) -> bool {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[0-9][0-9,]*(?:\.[0-9]+)?\s*(?:[/／]\s*[0-9]+)?\s*(?P<rest>.*)$")
            .expect("valid regex")
    });
    let n = nfkc(cell.trim());
    if matches!(n.as_str(), "有" | "無" | "有り" | "無し" | "あり" | "なし") {
        return true;
    }
    let Some(c) = VALUE.captures(&n) else {
        return false;
    };
    let rest = c.name("rest").map(|m| m.as_str()).unwrap_or("");
    rest.chars().count() <= 4 && !rest.contains(['年', '月', '歳', '未', '以'])
        || rest.contains("時点")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::forms::definition::builtin;

    fn form(id: &str) -> FormDef {
        builtin().into_iter().find(|f| f.id == id).unwrap()
    }

    #[test]
    fn form_a_from_rows_and_bullets() {
        let text = "\
シート：世田谷区
令和２年度 精神障害にも対応した地域包括ケアシステム構築支援事業 AD合同会議「事前課題」
東京都世田谷区
１．令和２年度の達成目標・取組状況
令和２年度の達成目標 | 取組状況
病院管理部門関係者等の地域移行に関する理解が促進される | 精神保健福祉審議会等において、区の取組を説明した
ピアサポーターを養成する | 養成講座を実施した
２．支援事業の成果
・広域アドバイザーによる研修を開催した。
・密着アドバイザーが助言を行った。
３．次年度に向けた課題等
・新型コロナの影響で多くの取組が中止となった。
４．課題の解決に向けた　令和３年度の取組方針
・オンラインによる事業の実施等に積極的に取り組む。
メモ：この行は様式の外です
";
        let r = read_sheet(&form("jizen-kadai"), Some(2020), "世田谷区", text);
        assert_eq!(r.answers.len(), 4, "{r:?}");
        assert_eq!(
            r.answers[0],
            (
                "goals".to_string(),
                Answer::Table {
                    rows: vec![
                        vec![
                            "病院管理部門関係者等の地域移行に関する理解が促進される".into(),
                            "精神保健福祉審議会等において、区の取組を説明した".into()
                        ],
                        vec![
                            "ピアサポーターを養成する".into(),
                            "養成講座を実施した".into()
                        ],
                    ]
                }
            )
        );
        assert_eq!(
            r.answers[1].1,
            Answer::Bullets {
                items: vec![
                    "広域アドバイザーによる研修を開催した。".into(),
                    "密着アドバイザーが助言を行った。".into()
                ]
            }
        );
        // The last line sits under section 4 and becomes an item there; nothing is lost.
        assert!(r.invalid.is_empty());
    }

    #[test]
    fn last_years_sheet_still_finds_its_sections() {
        let text = "１．令和元年度の達成目標・取組状況\n目標 | 状況\n４．課題の解決に向けた令和２年度の取組方針\n・続ける\n";
        let r = read_sheet(&form("jizen-kadai"), Some(2020), "", text);
        assert_eq!(r.answers.len(), 2, "{r:?}");
        assert_eq!(r.answers[1].0, "policy");
        assert!(r.notes[0].contains("令和元年度"), "{:?}", r.notes);
    }

    #[test]
    fn lines_before_any_section_are_unplaced() {
        let r = read_sheet(&form("jizen-kadai"), Some(2020), "", "よく分からない行\n");
        assert!(r.answers.is_empty());
        assert_eq!(r.unplaced, vec!["よく分からない行".to_string()]);
    }

    #[test]
    fn form_b_figures_by_label_and_bad_values_reported() {
        let text = "\
１ 県又は政令市の基礎情報
総人口 | 920,471 | 人 | R3年4月1日時点
障害保健福祉圏域数 | 1 | か所 | R3年4月時点
精神科病床数 | 1,2,3 | 床 | R3年4月時点
入院精神障害者数 （R3年6月30日時点） | 合計 | 568 | 人
入院精神障害者数 （R3年6月30日時点） | ３か月未満 | 0 | 人 | 0.0%
入院精神障害者数 （R3年6月30日時点） | １年以上 | 568 | 人 | 100.0%
精神領域に関する議論を行う部会の有無 | 有
";
        let r = read_sheet(&form("jichitai-sheet"), Some(2021), "世田谷区", text);
        let get = |id: &str| {
            r.answers
                .iter()
                .find(|(q, _)| q == id)
                .map(|(_, a)| a.clone())
        };
        assert!(
            matches!(get("population"), Some(Answer::Number { value, as_of: Some(_) }) if value == 920471.0),
            "{r:?}"
        );
        assert!(matches!(get("areas"), Some(Answer::Number { value, .. }) if value == 1.0));
        assert!(matches!(get("inpatients"), Some(Answer::Number { value, .. }) if value == 568.0));
        assert!(matches!(get("stay_lt3m"), Some(Answer::Number { value, .. }) if value == 0.0));
        assert!(matches!(get("stay_ge1y"), Some(Answer::Number { value, .. }) if value == 568.0));
        assert_eq!(
            get("mental_subcommittee"),
            Some(Answer::YesNo { value: true })
        );
        assert_eq!(r.invalid.len(), 1, "{r:?}");
        assert_eq!(r.invalid[0].question, "精神科病床数");
    }
}
