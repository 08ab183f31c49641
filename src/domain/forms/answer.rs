//! Answers: what a staff member gave for a question, parsed and checked. Numbers accept
//! full-width digits, commas, 万 and units typed by habit (「568人」「１，２３４」); an
//! impossible value gets a Japanese explanation instead of being stored.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::definition::{CheckDef, FieldKind, FormDef, QuestionDef, typical_amount};
use crate::domain::era::find_years;
use crate::domain::text::nfkc;

/// The calendar month a figure refers to (時点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsOf {
    pub year: i32,
    pub month: Option<u32>,
}

impl AsOf {
    /// 「R3年4月時点」 style, as the forms write it.
    pub fn display(&self) -> String {
        let era = if self.year >= 2019 {
            format!("R{}", self.year - 2018)
        } else if self.year >= 1989 {
            format!("H{}", self.year - 1988)
        } else {
            format!("{}", self.year)
        };
        match self.month {
            Some(m) => format!("{era}年{m}月時点"),
            None => format!("{era}年時点"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    Text { text: String },
    Bullets { items: Vec<String> },
    Table { rows: Vec<Vec<String>> },
    Number { value: f64, as_of: Option<AsOf> },
    Percent { value: f64, as_of: Option<AsOf> },
    YesNo { value: bool },
    CountOfTotal { count: u32, total: u32 },
}

/// All answers of a submission, by question id.
pub type Answers = BTreeMap<String, Answer>;

/// 920471 → 「920,471」; 12.5 → 「12.5」.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let s = format!("{}", v as i64);
        let (sign, digits) = s
            .strip_prefix('-')
            .map(|d| ("-", d))
            .unwrap_or(("", s.as_str()));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else {
        format!("{:.1}", v)
    }
}

impl Answer {
    /// How the answer reads, with its unit (one line for numbers, lines for lists/tables).
    pub fn display(&self, q: &QuestionDef) -> String {
        let with_as_of = |s: String, a: &Option<AsOf>| match a {
            Some(a) => format!("{s}（{}）", a.display()),
            None => s,
        };
        match (self, &q.kind) {
            (Answer::Text { text }, _) => text.clone(),
            (Answer::Bullets { items }, _) => items
                .iter()
                .map(|i| format!("・{i}"))
                .collect::<Vec<_>>()
                .join("\n"),
            (Answer::Table { rows }, FieldKind::Table { columns, .. }) => rows
                .iter()
                .enumerate()
                .map(|(n, row)| {
                    let cells: Vec<String> = columns
                        .iter()
                        .zip(row)
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(c, v)| format!("{}: {v}", c.label))
                        .collect();
                    format!("{}. {}", n + 1, cells.join(" ｜ "))
                })
                .collect::<Vec<_>>()
                .join("\n"),
            (Answer::Table { rows }, _) => format!("{}行", rows.len()),
            (Answer::Number { value, as_of }, FieldKind::Number { unit, .. }) => {
                with_as_of(format!("{}{unit}", format_number(*value)), as_of)
            }
            (Answer::Number { value, as_of }, _) => with_as_of(format_number(*value), as_of),
            (Answer::Percent { value, as_of }, _) => {
                with_as_of(format!("{}％", format_number(*value)), as_of)
            }
            (Answer::YesNo { value }, _) => if *value { "有" } else { "無" }.to_string(),
            (Answer::CountOfTotal { count, total }, FieldKind::CountOfTotal { unit }) => {
                format!(
                    "{} ／ {total}{unit}",
                    if *count > 0 {
                        format!("有 {count}")
                    } else {
                        "無 0".into()
                    }
                )
            }
            (Answer::CountOfTotal { count, total }, _) => format!("{count}／{total}"),
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Answer::Number { value, .. } | Answer::Percent { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// Characters of free text held (for 「受け取りました（N文字）」).
    pub fn size(&self) -> usize {
        match self {
            Answer::Text { text } => text.chars().count(),
            Answer::Bullets { items } => items.len(),
            Answer::Table { rows } => rows.len(),
            _ => 1,
        }
    }
}

static ITEM_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[・･•\-\*○〇●◆■※]|[0-9]{1,2}[.)、]|[①-⑳])\s*").expect("valid regex")
});

/// Items of a list typed as lines, bullet marks removed.
pub fn parse_items(input: &str) -> Vec<String> {
    input
        .lines()
        .map(|l| ITEM_MARKER.replace(l, "").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Cells of one table row typed on one line, separated by ｜ | or tabs. A single piece of
/// text is one cell.
pub fn split_cells(input: &str) -> Vec<String> {
    input
        .split(['｜', '|', '\t'])
        .map(|c| c.trim().to_string())
        .collect()
}

static AS_OF_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[(（]?\s*(?:令和|平成|[RH])\s*(?:元|[0-9]{1,2})\s*(?:年|[.．/])\s*(?:[0-9]{1,2}\s*月?)?\s*(?:[0-9]{1,2}\s*日)?\s*(?:時点|現在)?\s*[)）]?|[(（]?\s*(?:19|20)[0-9]{2}\s*(?:年\s*(?:[0-9]{1,2}\s*月)?\s*(?:[0-9]{1,2}\s*日)?|[/\-．.]\s*[0-9]{1,2}(?:\s*[/\-．.]\s*[0-9]{1,2})?)\s*(?:時点|現在)?\s*[)）]?")
        .expect("valid regex")
});
static MONTH_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:年|[.．/])\s*([0-9]{1,2})").expect("valid regex"));

static NUMERIC_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)[0-9]{2})\s*[/\-．.]\s*([0-9]{1,2})").expect("valid regex")
});

/// Takes a 時点 (「R3年4月」) out of a typed value; returns the rest and the date.
fn take_as_of(s: &str) -> (String, Option<AsOf>) {
    let Some(m) = AS_OF_RE.find(s) else {
        return (s.to_string(), None);
    };
    let piece = m.as_str();
    let rest = format!("{}{}", &s[..m.start()], &s[m.end()..]);
    // A date as Excel shows one: 2021/4/1, 2021-04-01.
    if let Some(c) = NUMERIC_DATE_RE.captures(piece) {
        let year = c[1].parse().unwrap_or_default();
        let month = c[2].parse::<u32>().ok().filter(|m| (1..=12).contains(m));
        return (rest, Some(AsOf { year, month }));
    }
    let years = find_years(piece);
    let Some(y) = years.first() else {
        return (s.to_string(), None);
    };
    let month = MONTH_RE
        .captures(piece)
        .and_then(|c| c[1].parse::<u32>().ok())
        .filter(|m| (1..=12).contains(m));
    // find_years gives fiscal years; a month in January–March belongs to the next calendar year.
    let year = match month {
        Some(m) if m <= 3 => y.fiscal_year + 1,
        _ => y.fiscal_year,
    };
    (rest, Some(AsOf { year, month }))
}

static NUMBER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:約)?\s*(?P<neg>-)?\s*(?:(?P<man>[0-9]+(?:\.[0-9]+)?)\s*万)?\s*(?P<n>[0-9]+(?:\.[0-9]+)?)?\s*(?P<unit>[^\s0-9]*)\s*$")
        .expect("valid regex")
});

const KNOWN_UNITS: &[&str] = &[
    "人",
    "名",
    "か所",
    "ヶ所",
    "箇所",
    "カ所",
    "ケ所",
    "所",
    "床",
    "病院",
    "施設",
    "回",
    "回/年",
    "回／年",
    "回/年度",
    "市町村",
    "市町",
    "圏域",
    "件",
    "%",
    "％",
    "パーセント",
];

/// Digit groups as people separate thousands: 「1,234」 but not 「1,2,3」.
static GROUPED_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9][0-9,、]*[,、][0-9,、]*[0-9]").expect("valid regex"));
static THOUSANDS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{1,3}(?:[,、][0-9]{3})+$").expect("valid regex"));

/// Figures longer than this are not figures anyone counts (and would lose digits).
const MAX_DIGITS: usize = 13;

/// Parses a number as people type it.
fn parse_number(input: &str, unit: &str) -> Result<(f64, Option<AsOf>), String> {
    let n = nfkc(input.trim());
    let example = typical_amount(unit);
    let not_a_number =
        || format!("数字で入力してください（例: {example} または {example}{unit}）。");
    let (rest, as_of) = take_as_of(&n);
    for grouped in GROUPED_RE.find_iter(&rest) {
        let g = grouped.as_str();
        if !THOUSANDS_RE.is_match(g) {
            return Err(format!(
                "「{g}」は数として読めません。区切りは3桁ごとです（例: 1,234）。一つの数を入力してください。"
            ));
        }
    }
    let cleaned: String = rest.replace([',', '、', ' '], "").replace("時点", "");
    let digits = cleaned.chars().filter(char::is_ascii_digit).count();
    if digits > MAX_DIGITS {
        return Err(format!(
            "数が大きすぎます（{digits}桁）。{MAX_DIGITS}桁までの数で入力してください。"
        ));
    }
    let caps = NUMBER_RE.captures(&cleaned).ok_or_else(not_a_number)?;
    if caps.name("man").is_none() && caps.name("n").is_none() {
        return Err(not_a_number());
    }
    let unit_typed = caps.name("unit").map(|m| m.as_str()).unwrap_or("");
    let expected = nfkc(unit);
    if !unit_typed.is_empty() && unit_typed != expected && !KNOWN_UNITS.contains(&unit_typed) {
        return Err(format!(
            "「{unit_typed}」は単位として読めませんでした。数字だけ（例: 568）で入力してください。"
        ));
    }
    if caps.name("neg").is_some() {
        return Err("0以上の数を入力してください。".into());
    }
    let man: f64 = caps
        .name("man")
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0.0);
    let rest_n: f64 = caps
        .name("n")
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0.0);
    Ok((man * 10_000.0 + rest_n, as_of))
}

static COUNT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:有|無|あり|なし)?\s*(?P<a>[0-9]+)\s*[^0-9/]*?\s*[/]\s*(?P<b>[0-9]+)|^(?P<t>[0-9]+)\s*[^0-9]*中\s*(?P<c>[0-9]+)")
        .expect("valid regex")
});

/// Parses what someone typed for a question. Errors are Japanese explanations to show.
pub fn parse(q: &QuestionDef, input: &str) -> Result<Answer, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("回答が空です。入力するか、「スキップ」で次へ進んでください。".into());
    }
    match &q.kind {
        FieldKind::Text { max_chars } => {
            if input.chars().count() > *max_chars {
                return Err(format!(
                    "{max_chars}文字までです（今は{}文字）。",
                    input.chars().count()
                ));
            }
            Ok(Answer::Text {
                text: input.to_string(),
            })
        }
        FieldKind::Bullets { max_items } => {
            let items = parse_items(input);
            if items.len() > *max_items {
                return Err(format!("{max_items}項目までです。"));
            }
            Ok(Answer::Bullets { items })
        }
        FieldKind::Table { columns, .. } => {
            let cells = split_cells(input);
            if cells.iter().all(|c| c.is_empty()) {
                return Err("空の行です。「｜」の前後に内容を入力してください。".into());
            }
            if cells.len() != columns.len() {
                return Err(format!(
                    "{}列（{}）を「｜」で区切って入力してください。",
                    columns.len(),
                    labels(columns)
                ));
            }
            Ok(Answer::Table { rows: vec![cells] })
        }
        FieldKind::Number {
            unit,
            integer,
            min,
            max,
            ..
        } => {
            let (value, as_of) = parse_number(input, unit)?;
            if *integer && value.fract() != 0.0 {
                return Err("整数で入力してください（小数は使えません）。".into());
            }
            if let Some(m) = min
                && value < *m
            {
                return Err(format!("{}以上の数を入力してください。", format_number(*m)));
            }
            if let Some(m) = max
                && value > *m
            {
                return Err(format!("{}以下の数を入力してください。", format_number(*m)));
            }
            Ok(Answer::Number { value, as_of })
        }
        FieldKind::Percent { .. } => {
            let (value, as_of) = parse_number(input, "%")?;
            if !(0.0..=100.0).contains(&value) {
                return Err("割合は0〜100の数で入力してください（例: 12.5 または 12.5%）。".into());
            }
            Ok(Answer::Percent { value, as_of })
        }
        FieldKind::YesNo => {
            let n = nfkc(input);
            match n.as_str() {
                "有" | "有り" | "あり" | "はい" | "ある" | "yes" | "Yes" | "YES" | "y" | "○"
                | "◯" | "設置" | "設置済" => Ok(Answer::YesNo { value: true }),
                "無" | "無し" | "なし" | "いいえ" | "ない" | "no" | "No" | "NO" | "n" | "×"
                | "未設置" => Ok(Answer::YesNo { value: false }),
                _ => Err("「有」か「無」で答えてください。".into()),
            }
        }
        FieldKind::CountOfTotal { unit } => {
            let n = nfkc(input).replace(['／', ' '], "/").replace("//", "/");
            let caps = COUNT_RE
                .captures(&n)
                .ok_or_else(|| format!("設置数／全体数で入力してください（例: 3/5、未設置なら 0/5）。単位は{unit}です。"))?;
            let (count, total) = match (
                caps.name("a"),
                caps.name("b"),
                caps.name("t"),
                caps.name("c"),
            ) {
                (Some(a), Some(b), _, _) => (a.as_str().parse::<u32>(), b.as_str().parse::<u32>()),
                (_, _, Some(t), Some(c)) => (c.as_str().parse::<u32>(), t.as_str().parse::<u32>()),
                _ => return Err("設置数／全体数で入力してください（例: 3/5）。".into()),
            };
            let (Ok(count), Ok(total)) = (count, total) else {
                return Err("数が大きすぎます。".into());
            };
            if total == 0 {
                return Err("全体数は1以上です（例: 0/5）。".into());
            }
            if count > total {
                return Err(format!(
                    "設置数（{count}）が全体数（{total}）を超えています。"
                ));
            }
            Ok(Answer::CountOfTotal { count, total })
        }
        FieldKind::Share { .. } => Err("この項目は自動で計算されます。".into()),
    }
}

fn labels(columns: &[super::definition::ColumnDef]) -> String {
    columns
        .iter()
        .map(|c| c.label.as_str())
        .collect::<Vec<_>>()
        .join("｜")
}

/// Shares computed from counts: question id → 「12.3％」.
pub fn computed(form: &FormDef, answers: &Answers) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for q in form.sections.iter().flat_map(|s| &s.questions) {
        if let FieldKind::Share { of, total } = &q.kind {
            let v = match (
                answers.get(of).and_then(Answer::number),
                answers.get(total).and_then(Answer::number),
            ) {
                (Some(a), Some(t)) if t > 0.0 => format!("{:.1}％", a / t * 100.0),
                _ => "—".to_string(),
            };
            out.insert(q.id.clone(), v);
        }
    }
    out
}

/// Checks that fail on the answers given so far (only when every number involved is there),
/// with the ids involved.
pub fn violations(form: &FormDef, answers: &Answers) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for c in form.checks() {
        let CheckDef::Sum {
            parts,
            equals,
            message,
        } = c;
        let values: Option<Vec<f64>> = parts
            .iter()
            .map(|p| answers.get(p).and_then(Answer::number))
            .collect();
        let (Some(values), Some(total)) = (values, answers.get(equals).and_then(Answer::number))
        else {
            continue;
        };
        let sum: f64 = values.iter().sum();
        if (sum - total).abs() > 1e-9 {
            let mut ids = parts.clone();
            ids.push(equals.clone());
            out.push((
                format!(
                    "{message}（合計 {} ／ {}）",
                    format_number(sum),
                    format_number(total)
                ),
                ids,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::forms::definition::builtin;

    fn q(id: &str) -> QuestionDef {
        builtin()
            .into_iter()
            .find_map(|f| f.question(id).cloned())
            .unwrap()
    }

    #[test]
    fn numbers_as_people_type_them() {
        let pop = q("population");
        let n = |s: &str| parse(&pop, s).map(|a| a.number().unwrap());
        assert_eq!(n("568"), Ok(568.0));
        assert_eq!(n("920,471 人 R3年4月1日時点"), Ok(920471.0));
        assert_eq!(n("920,471 人 2021年4月1日時点"), Ok(920471.0));
        assert_eq!(n("920,471 人 2021/4/1"), Ok(920471.0));
        assert_eq!(n("568人"), Ok(568.0));
        assert_eq!(n("１，２３４"), Ok(1234.0));
        assert_eq!(n("920,471 人"), Ok(920471.0));
        assert_eq!(n("約92万"), Ok(920000.0));
        assert_eq!(n("92万1556"), Ok(921556.0));
        assert!(n("たくさん").unwrap_err().contains("数字"));
        assert!(n("-3").unwrap_err().contains("0以上"));
        assert!(n("1.5").unwrap_err().contains("整数"));
        assert!(n("5 kg").unwrap_err().contains("単位"));
        assert!(n("1,2,3").unwrap_err().contains("3桁ごと"), "not 123");
        assert!(n("12,34").unwrap_err().contains("3桁ごと"));
        assert!(
            n("99999999999999999999")
                .unwrap_err()
                .contains("大きすぎます"),
            "not 100000000000000000000.0人"
        );
        assert!(
            n(&"9".repeat(400)).unwrap_err().contains("大きすぎます"),
            "not 小数"
        );
        let towns = q("municipalities");
        let e = parse(&towns, "たくさん").unwrap_err();
        assert!(e.contains("例: 12 または 12市町村"), "{e}");
        assert_eq!(towns.example(), "例: 12市町村 R3年4月");
    }

    #[test]
    fn reference_dates_travel_with_numbers() {
        let a = parse(&q("population"), "920,471人（R3年4月時点）").unwrap();
        assert_eq!(
            a,
            Answer::Number {
                value: 920471.0,
                as_of: Some(AsOf {
                    year: 2021,
                    month: Some(4)
                })
            }
        );
        assert_eq!(a.display(&q("population")), "920,471人（R3年4月時点）");
        let a = parse(&q("population"), "令和4年1月 900000").unwrap();
        assert_eq!(
            a,
            Answer::Number {
                value: 900000.0,
                as_of: Some(AsOf {
                    year: 2022,
                    month: Some(1)
                })
            }
        );
    }

    #[test]
    fn percents_flags_and_counts() {
        assert_eq!(
            parse(&q("discharge_3m"), "12.5%").unwrap().number(),
            Some(12.5)
        );
        assert!(
            parse(&q("discharge_3m"), "120")
                .unwrap_err()
                .contains("0〜100")
        );
        assert_eq!(
            parse(&q("mental_subcommittee"), "有"),
            Ok(Answer::YesNo { value: true })
        );
        assert_eq!(
            parse(&q("mental_subcommittee"), "なし"),
            Ok(Answer::YesNo { value: false })
        );
        assert!(parse(&q("mental_subcommittee"), "たぶん").is_err());
        let venue = q("venue_area");
        assert_eq!(
            parse(&venue, "3/5"),
            Ok(Answer::CountOfTotal { count: 3, total: 5 })
        );
        assert_eq!(
            parse(&venue, "３／５か所"),
            Ok(Answer::CountOfTotal { count: 3, total: 5 })
        );
        assert_eq!(
            parse(&venue, "5か所中3か所"),
            Ok(Answer::CountOfTotal { count: 3, total: 5 })
        );
        assert!(parse(&venue, "6/5").unwrap_err().contains("超えて"));
        assert!(parse(&venue, "3").is_err());
    }

    #[test]
    fn lists_and_rows() {
        assert_eq!(
            parse_items("・研修を実施\n\n1. 協議の場\n- 家族会"),
            vec!["研修を実施", "協議の場", "家族会"]
        );
        let goals = q("goals");
        assert_eq!(
            parse(&goals, "ピアの養成｜講座を2回実施"),
            Ok(Answer::Table {
                rows: vec![vec!["ピアの養成".into(), "講座を2回実施".into()]]
            })
        );
        assert!(parse(&goals, "a|b|c").unwrap_err().contains("2列"));
    }

    #[test]
    fn shares_are_computed_and_totals_checked() {
        let forms = builtin();
        let b = &forms[1];
        let mut answers = Answers::new();
        let num = |v: f64| Answer::Number {
            value: v,
            as_of: None,
        };
        answers.insert("inpatients".into(), num(568.0));
        answers.insert("stay_lt3m".into(), num(100.0));
        answers.insert("stay_3m_1y".into(), num(100.0));
        let c = computed(b, &answers);
        assert_eq!(c["share_lt3m"], "17.6％");
        assert_eq!(c["share_ge1y"], "—");
        assert!(violations(b, &answers).is_empty(), "incomplete checks wait");
        answers.insert("stay_ge1y".into(), num(300.0));
        let v = violations(b, &answers);
        assert_eq!(v.len(), 1);
        assert!(v[0].0.contains("合計 500 ／ 568"));
        answers.insert("stay_ge1y".into(), num(368.0));
        assert!(violations(b, &answers).is_empty());
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(920471.0), "920,471");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(format_number(0.0), "0");
    }
}
