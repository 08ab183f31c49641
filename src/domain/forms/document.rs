//! A submission as it will be read: the preview text, the Markdown of an export, the
//! sections indexed for search, and the columns of a spreadsheet.

use super::answer::{Answer, Answers, computed, violations};
use super::definition::{FieldKind, FormDef, QuestionDef, expand};

fn answer_text(
    q: &QuestionDef,
    answers: &Answers,
    computed: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    if q.is_computed() {
        return computed.get(&q.id).filter(|v| *v != "—").cloned();
    }
    answers.get(&q.id).map(|a| a.display(q))
}

/// The sections as (title, text), only those with answers: what search indexes.
pub fn sections_text(
    form: &FormDef,
    fiscal_year: Option<i32>,
    answers: &Answers,
) -> Vec<(String, String)> {
    let computed = computed(form, answers);
    let mut out = Vec::new();
    for s in &form.sections {
        let title = expand(&s.title, fiscal_year);
        let mut parts = Vec::new();
        for q in &s.questions {
            let Some(text) = answer_text(q, answers, &computed) else {
                continue;
            };
            let label = expand(&q.label, fiscal_year);
            if s.questions.len() == 1 && label == title {
                parts.push(text);
            } else if text.contains('\n') {
                parts.push(format!("{label}:\n{text}"));
            } else {
                parts.push(format!("{label}: {text}"));
            }
        }
        if !parts.is_empty() {
            out.push((title, parts.join("\n")));
        }
    }
    out
}

/// The whole submission as plain text, unanswered questions shown as such (the preview).
pub fn render_text(
    form: &FormDef,
    fiscal_year: Option<i32>,
    region: &str,
    answers: &Answers,
) -> String {
    let computed = computed(form, answers);
    let mut out = format!("{} ― {region}\n", expand(&form.title, fiscal_year));
    for s in &form.sections {
        out.push_str(&format!("\n■ {}\n", expand(&s.title, fiscal_year)));
        for q in &s.questions {
            let label = expand(&q.label, fiscal_year);
            let text = answer_text(q, answers, &computed).unwrap_or_else(|| "（未回答）".into());
            // Lists and tables start on their own line, even with one item.
            let listed = matches!(
                (&q.kind, answers.get(&q.id)),
                (FieldKind::Bullets { .. }, Some(Answer::Bullets { .. }))
                    | (FieldKind::Table { .. }, Some(Answer::Table { .. }))
            );
            if listed || text.contains('\n') {
                out.push_str(&format!("【{label}】\n{text}\n"));
            } else {
                out.push_str(&format!("【{label}】{text}\n"));
            }
        }
    }
    let problems = violations(form, answers);
    if !problems.is_empty() {
        out.push('\n');
        for (m, _) in problems {
            out.push_str(&format!("⚠ {m}\n"));
        }
    }
    out
}

/// One region's submission in Markdown, for the meeting's bound material.
pub fn render_markdown(
    form: &FormDef,
    fiscal_year: Option<i32>,
    region: &str,
    heading: &str,
    answers: &Answers,
) -> String {
    let computed = computed(form, answers);
    let mut out = format!("## {region}\n\n{heading}\n");
    for s in &form.sections {
        out.push_str(&format!("\n### {}\n\n", expand(&s.title, fiscal_year)));
        for q in &s.questions {
            let label = expand(&q.label, fiscal_year);
            match (&q.kind, answers.get(&q.id)) {
                (FieldKind::Table { columns, .. }, Some(Answer::Table { rows })) => {
                    out.push_str(&format!("**{label}**\n\n"));
                    out.push_str(&format!(
                        "| {} |\n",
                        columns
                            .iter()
                            .map(|c| c.label.as_str())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ));
                    out.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
                    for row in rows {
                        let cells: Vec<String> = row
                            .iter()
                            .map(|c| c.replace('|', "｜").replace('\n', " "))
                            .collect();
                        out.push_str(&format!("| {} |\n", cells.join(" | ")));
                    }
                    out.push('\n');
                }
                (FieldKind::Bullets { .. }, Some(Answer::Bullets { items })) => {
                    out.push_str(&format!("**{label}**\n\n"));
                    for i in items {
                        out.push_str(&format!("- {i}\n"));
                    }
                    out.push('\n');
                }
                (FieldKind::Text { .. }, Some(Answer::Text { text })) => {
                    out.push_str(&format!("**{label}**\n\n{text}\n\n"));
                }
                _ => {
                    let text =
                        answer_text(q, answers, &computed).unwrap_or_else(|| "（未回答）".into());
                    out.push_str(&format!("- {label}: {text}\n"));
                }
            }
        }
    }
    out
}

/// Spreadsheet columns of a form: (header, how to read the value).
pub fn csv_headers(form: &FormDef, fiscal_year: Option<i32>) -> Vec<String> {
    let mut out = Vec::new();
    for q in form.sections.iter().flat_map(|s| &s.questions) {
        let label = expand(&q.label, fiscal_year);
        match &q.kind {
            FieldKind::Number { unit, as_of, .. } => {
                out.push(format!("{label}（{unit}）"));
                if *as_of {
                    out.push(format!("{label}（時点）"));
                }
            }
            FieldKind::Percent { as_of } => {
                out.push(format!("{label}（％）"));
                if *as_of {
                    out.push(format!("{label}（時点）"));
                }
            }
            FieldKind::Share { .. } => out.push(format!("{label}（％・自動計算）")),
            FieldKind::CountOfTotal { unit } => {
                out.push(format!("{label}（設置数・{unit}）"));
                out.push(format!("{label}（全体数・{unit}）"));
            }
            _ => out.push(label),
        }
    }
    out
}

/// Cell values matching `csv_headers` (numbers as plain numbers, so spreadsheets can sum).
/// One cell of a table export: a number stays a number (an office sums it), anything
/// else is text, whatever it looks like (「inf」 typed as an answer is text).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A figure, and how it is written (「920471」, a share 「62.5」).
    Number {
        value: f64,
        text: String,
    },
}

impl Cell {
    pub fn number(value: f64) -> Cell {
        let text = if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{}", value as i64)
        } else {
            format!("{value}")
        };
        Cell::Number { value, text }
    }

    /// The cell as it reads in a CSV file or on screen.
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) | Cell::Number { text: t, .. } => t,
        }
    }
}

/// A submission as one row of cells, in the order of `csv_headers`.
pub fn csv_values(form: &FormDef, answers: &Answers) -> Vec<Cell> {
    let computed = computed(form, answers);
    let text = |s: String| Cell::Text(s);
    let mut out = Vec::new();
    for q in form.sections.iter().flat_map(|s| &s.questions) {
        let a = answers.get(&q.id);
        match &q.kind {
            FieldKind::Number { as_of, .. } | FieldKind::Percent { as_of } => {
                let (v, d) = match a {
                    Some(Answer::Number { value, as_of })
                    | Some(Answer::Percent { value, as_of }) => (
                        Cell::number(*value),
                        as_of.map(|x| x.display()).unwrap_or_default(),
                    ),
                    _ => (text(String::new()), String::new()),
                };
                out.push(v);
                if *as_of {
                    out.push(text(d));
                }
            }
            FieldKind::Share { .. } => out.push(
                computed
                    .get(&q.id)
                    .filter(|v| *v != "—")
                    .map(|v| v.trim_end_matches('％'))
                    .and_then(|v| {
                        Some(Cell::Number {
                            value: v.parse().ok()?,
                            text: v.to_string(),
                        })
                    })
                    .unwrap_or_else(|| text(String::new())),
            ),
            FieldKind::CountOfTotal { .. } => match a {
                Some(Answer::CountOfTotal { count, total }) => {
                    out.push(Cell::number(*count as f64));
                    out.push(Cell::number(*total as f64));
                }
                _ => out.extend([text(String::new()), text(String::new())]),
            },
            _ => out.push(text(a.map(|a| a.display(q)).unwrap_or_default())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::forms::answer::AsOf;
    use crate::domain::forms::definition::builtin;

    #[test]
    fn a_submission_reads_like_the_form() {
        let forms = builtin();
        let a = &forms[0];
        let mut answers = Answers::new();
        answers.insert(
            "goals".into(),
            Answer::Table {
                rows: vec![vec!["ピアサポーターの養成".into(), "講座を2回実施".into()]],
            },
        );
        answers.insert(
            "results".into(),
            Answer::Bullets {
                items: vec!["研修をオンラインで開催".into()],
            },
        );
        let text = render_text(a, Some(2020), "青森県・津軽圏域", &answers);
        assert!(text.contains("■ 令和2年度の達成目標・取組状況"));
        assert!(text.contains("1. 達成目標: ピアサポーターの養成 ｜ 取組状況: 講座を2回実施"));
        assert!(text.contains("【令和3年度の取組方針】（未回答）"));
        let sections = sections_text(a, Some(2020), &answers);
        assert_eq!(sections.len(), 2);
        assert_eq!(
            sections[1],
            (
                "支援事業の成果".to_string(),
                "・研修をオンラインで開催".to_string()
            )
        );
        let md = render_markdown(a, Some(2020), "青森県・津軽圏域", "提出: 第1版", &answers);
        assert!(md.contains("| 達成目標 | 取組状況 |"));
        assert!(md.contains("| ピアサポーターの養成 | 講座を2回実施 |"));
    }

    #[test]
    fn spreadsheet_columns_line_up() {
        let forms = builtin();
        let b = &forms[1];
        let mut answers = Answers::new();
        answers.insert(
            "population".into(),
            Answer::Number {
                value: 920471.0,
                as_of: Some(AsOf {
                    year: 2021,
                    month: Some(4),
                }),
            },
        );
        answers.insert(
            "inpatients".into(),
            Answer::Number {
                value: 568.0,
                as_of: None,
            },
        );
        answers.insert(
            "stay_ge1y".into(),
            Answer::Number {
                value: 568.0,
                as_of: None,
            },
        );
        answers.insert(
            "venue_area".into(),
            Answer::CountOfTotal { count: 1, total: 1 },
        );
        let headers = csv_headers(b, Some(2021));
        let values = csv_values(b, &answers);
        assert_eq!(headers.len(), values.len());
        let col = |h: &str| {
            values[headers.iter().position(|x| x == h).unwrap()]
                .text()
                .to_string()
        };
        assert_eq!(col("人口（人）"), "920471");
        assert_eq!(col("人口（時点）"), "R3年4月時点");
        assert_eq!(col("１年以上の構成割合（％・自動計算）"), "100.0");
        assert_eq!(
            col("協議の場の設置（障害保健福祉圏域）（設置数・か所）"),
            "1"
        );
    }
}
