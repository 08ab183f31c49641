//! Form definitions: the questions of a 事前課題 form, as data (`forms/*.toml`). A meeting
//! uses one version of one form; every submission records which.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::domain::era::era_label;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub id: String,
    pub label: String,
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text, possibly long and sent in several messages.
    Text {
        #[serde(default = "default_text_chars")]
        max_chars: usize,
    },
    /// A list, one item per line.
    Bullets {
        #[serde(default = "default_items")]
        max_items: usize,
    },
    /// Repeating rows of named columns.
    Table {
        columns: Vec<ColumnDef>,
        #[serde(default)]
        min_rows: usize,
        #[serde(default = "default_rows")]
        max_rows: usize,
    },
    /// A number with a unit and, optionally, the date it refers to (時点).
    Number {
        unit: String,
        #[serde(default)]
        integer: bool,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
        #[serde(default)]
        as_of: bool,
    },
    /// A percentage, 0 to 100.
    Percent {
        #[serde(default)]
        as_of: bool,
    },
    /// 有・無.
    YesNo,
    /// A count out of a total (協議の場: 3／5 か所).
    CountOfTotal { unit: String },
    /// Computed, never asked: `of` as a share of `total`.
    Share { of: String, total: String },
}

fn default_text_chars() -> usize {
    4000
}
fn default_items() -> usize {
    30
}
fn default_rows() -> usize {
    10
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionDef {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub help: Option<String>,
    /// Required questions must be answered before submitting; others may be left blank.
    #[serde(default)]
    pub required: bool,
    /// Other labels the official sheet uses for this question (「総人口」 for 人口), so a
    /// filled sheet can be read into the form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(flatten)]
    pub kind: FieldKind,
}

impl QuestionDef {
    pub fn is_computed(&self) -> bool {
        matches!(self.kind, FieldKind::Share { .. })
    }

    /// An example answer for a short question, as a person would type it (「例: 12市町村」).
    pub fn example(&self) -> String {
        match &self.kind {
            FieldKind::Number {
                unit, as_of: true, ..
            } => format!("例: {}{unit} R3年4月", typical_amount(unit)),
            FieldKind::Number { unit, .. } => format!("例: {}{unit}", typical_amount(unit)),
            FieldKind::Percent { .. } => "例: 12.5%".into(),
            FieldKind::YesNo => "有 または 無".into(),
            FieldKind::CountOfTotal { .. } => "例: 3/5".into(),
            _ => String::new(),
        }
    }
}

/// A believable amount of something counted in `unit`, for examples: 568 people, but 12
/// municipalities and 3 圏域.
pub fn typical_amount(unit: &str) -> &'static str {
    match unit {
        "人" | "名" => "568",
        "市町村" | "市町" => "12",
        "圏域" => "3",
        "床" => "1,200",
        "病院" | "施設" => "8",
        "か所" | "ヶ所" | "箇所" | "カ所" | "ケ所" | "所" => "3",
        "回" | "回/年" | "回／年" | "回/年度" => "4",
        "件" => "25",
        _ => "12",
    }
}

/// A consistency check between answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckDef {
    /// The parts add up to `equals`.
    Sum {
        parts: Vec<String>,
        equals: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDef {
    pub id: String,
    pub title: String,
    #[serde(default, rename = "question")]
    pub questions: Vec<QuestionDef>,
    #[serde(default, rename = "check")]
    pub checks: Vec<CheckDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    pub id: String,
    pub version: String,
    pub title: String,
    /// Label of the passages of submitted answers (事前課題, 自治体情報シート).
    pub kind: String,
    #[serde(default)]
    pub intro: String,
    #[serde(rename = "section")]
    pub sections: Vec<SectionDef>,
}

/// Orders form versions as people number them: `2021.10` comes after `2021.9`, `2` after
/// `1.5`; numeric parts compare as numbers, other parts as text.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<(u64, String)> {
        v.split(['.', '-', '_'])
            .map(|p| match p.parse::<u64>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u64::MAX, p.to_string()),
            })
            .collect()
    };
    parts(a).cmp(&parts(b))
}

/// A question's place in a form: its number among the questions asked (1-based), its
/// section.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub number: usize,
    pub section: &'a SectionDef,
    pub question: &'a QuestionDef,
}

impl FormDef {
    /// Parses and checks a definition.
    pub fn parse(toml_text: &str) -> Result<FormDef, String> {
        let form: FormDef =
            toml::from_str(toml_text).map_err(|e| format!("フォーム定義を読めません: {e}"))?;
        form.validate()?;
        Ok(form)
    }

    /// `id@version`, how meetings and submissions name a form.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// The newest version of form `id` among these (versions compare as versions).
    pub fn latest<'a>(forms: &'a [FormDef], id: &str) -> Option<&'a FormDef> {
        forms
            .iter()
            .filter(|f| f.id == id)
            .max_by(|a, b| compare_versions(&a.version, &b.version))
    }

    fn validate(&self) -> Result<(), String> {
        let mut ids = HashSet::new();
        let mut kinds = std::collections::HashMap::new();
        if self.sections.is_empty() {
            return Err("フォームに項目がありません".into());
        }
        for s in &self.sections {
            for q in &s.questions {
                if !ids.insert(q.id.as_str()) {
                    return Err(format!("質問 ID「{}」が重複しています", q.id));
                }
                if let FieldKind::Table {
                    columns,
                    min_rows,
                    max_rows,
                } = &q.kind
                {
                    if columns.is_empty() {
                        return Err(format!("表「{}」に列がありません", q.id));
                    }
                    if min_rows > max_rows {
                        return Err(format!("表「{}」の行数の指定が矛盾しています", q.id));
                    }
                }
                kinds.insert(q.id.as_str(), &q.kind);
            }
        }
        let is_number = |id: &str| matches!(kinds.get(id), Some(FieldKind::Number { .. }));
        for s in &self.sections {
            for q in &s.questions {
                if let FieldKind::Share { of, total } = &q.kind
                    && (!is_number(of) || !is_number(total))
                {
                    return Err(format!("割合「{}」は数値の質問を指す必要があります", q.id));
                }
            }
            for c in &s.checks {
                let CheckDef::Sum { parts, equals, .. } = c;
                if let Some(bad) = parts
                    .iter()
                    .chain(std::iter::once(equals))
                    .find(|id| !is_number(id))
                {
                    return Err(format!("合計チェックの「{bad}」は数値の質問ではありません"));
                }
            }
        }
        if self.asked().is_empty() {
            return Err("回答する質問がありません".into());
        }
        Ok(())
    }

    /// The questions asked in order (computed ones left out), numbered from 1.
    pub fn asked(&self) -> Vec<Asked<'_>> {
        self.sections
            .iter()
            .flat_map(|s| s.questions.iter().map(move |q| (s, q)))
            .filter(|(_, q)| !q.is_computed())
            .enumerate()
            .map(|(i, (section, question))| Asked {
                number: i + 1,
                section,
                question,
            })
            .collect()
    }

    pub fn question(&self, id: &str) -> Option<&QuestionDef> {
        self.sections
            .iter()
            .flat_map(|s| &s.questions)
            .find(|q| q.id == id)
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckDef> {
        self.sections.iter().flat_map(|s| &s.checks)
    }
}

/// Fills {fy} and {next_fy} with the meeting's fiscal year (「令和3年度」).
pub fn expand(text: &str, fiscal_year: Option<i32>) -> String {
    let (fy, next) = match fiscal_year {
        Some(y) => (era_label(y), era_label(y + 1)),
        None => ("今年度".to_string(), "次年度".to_string()),
    };
    text.replace("{next_fy}", &next).replace("{fy}", &fy)
}

/// The forms shipped with nimo (`forms/`), used until an organizer loads others.
pub fn builtin() -> Vec<FormDef> {
    [
        include_str!("../../../forms/jizen-kadai.toml"),
        include_str!("../../../forms/jichitai-sheet.toml"),
    ]
    .iter()
    .map(|t| FormDef::parse(t).expect("the built-in forms are valid"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_forms_parse() {
        let forms = builtin();
        let a = &forms[0];
        assert_eq!(a.reference(), "jizen-kadai@2020.1");
        assert_eq!(a.asked().len(), 4);
        let b = &forms[1];
        // 29 numbers/flags/tables asked; the three shares are computed.
        assert_eq!(
            b.asked().len(),
            b.sections.iter().map(|s| s.questions.len()).sum::<usize>() - 3
        );
        assert_eq!(b.checks().count(), 2);
    }

    #[test]
    fn years_fill_the_titles() {
        assert_eq!(
            expand("{fy}の達成目標、{next_fy}の方針", Some(2020)),
            "令和2年度の達成目標、令和3年度の方針"
        );
        assert_eq!(expand("{fy}", None), "今年度");
    }

    #[test]
    fn bad_definitions_are_refused_with_a_reason() {
        let dup = r#"
id = "x"
version = "1"
title = "t"
kind = "k"
[[section]]
id = "s"
title = "s"
[[section.question]]
id = "a"
label = "a"
kind = "text"
[[section.question]]
id = "a"
label = "b"
kind = "yes_no"
"#;
        assert!(FormDef::parse(dup).unwrap_err().contains("重複"));
        let share = dup.replace(
            "id = \"a\"\nlabel = \"b\"\nkind = \"yes_no\"",
            "id = \"b\"\nlabel = \"b\"\nkind = \"share\"\nof = \"a\"\ntotal = \"a\"",
        );
        assert!(FormDef::parse(&share).unwrap_err().contains("割合"));
        assert!(FormDef::parse("id = 1").is_err());
    }

    #[test]
    fn versions_compare_as_versions() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("2021.10", "2021.9"), Greater);
        assert_eq!(compare_versions("2", "1.5"), Greater);
        assert_eq!(compare_versions("1", "1"), Equal);
        assert_eq!(compare_versions("1.0", "1"), Greater);
        let form = |v: &str| FormDef {
            id: "a".into(),
            version: v.into(),
            title: String::new(),
            kind: String::new(),
            intro: String::new(),
            sections: Vec::new(),
        };
        let forms = [form("2021.9"), form("2021.10"), form("2021.2")];
        assert_eq!(FormDef::latest(&forms, "a").unwrap().version, "2021.10");
        assert!(FormDef::latest(&forms, "b").is_none());
    }
}
