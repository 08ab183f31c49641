//! Basic figures (基礎情報) of a region: population, psychiatric beds and inpatients,
//! consultation offices, council frequency. They are read from a 自治体情報シート as a
//! whole (before it is cut into passages, so a label and its value never fall apart) or
//! taken from a submitted form B, and kept as data: a figure the sheet leaves blank is
//! kept as 「記載なし」, not dropped. Questions about a figure are answered from them.
//!
//! Which figures exist and how they are written is lexicon data (`index/figures.toml`).

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::domain::era::{era_label, find_years};
use crate::domain::text::{Normalizer, nfkc};

/// One kind of figure, as `index/figures.toml` describes it.
#[derive(Debug, Clone)]
pub struct FigureDef {
    pub id: String,
    pub label: String,
    /// The unit shown with values (the first of the units the sheet may use).
    pub unit: String,
    pub percent: bool,
    /// The label as the sheet writes it, then up to 40 characters that are not a number
    /// (a reference date in parentheses, a sub-label), then the number and its unit.
    pattern: Regex,
    /// The label alone (a row of the sheet, filled in or not).
    lead: Regex,
    pub aliases: Vec<String>,
}

#[derive(Deserialize)]
struct FigureFile {
    figure: Vec<RawDef>,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    ask: Cues,
}

#[derive(Deserialize)]
struct RawGroup {
    aliases: Vec<String>,
    figures: Vec<String>,
}

/// Words that make a question one about figures.
#[derive(Debug, Clone, Default, Deserialize)]
struct Cues {
    #[serde(default)]
    quantity: Vec<String>,
    #[serde(default)]
    ranking: Vec<String>,
    #[serde(default)]
    fewest: Vec<String>,
}

#[derive(Deserialize)]
struct RawDef {
    id: String,
    label: String,
    lead: String,
    units: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    percent: bool,
}

/// Every kind of figure, and how a question names one.
#[derive(Debug, Clone, Default)]
pub struct FigureBook {
    defs: Vec<FigureDef>,
    /// Over every alias (normalized); pattern i names the figures `owner[i]` (one for a
    /// figure's alias, several for a group's).
    matcher: Option<AhoCorasick>,
    owner: Vec<Vec<usize>>,
    /// Whether pattern i is itself a quantity (人口, 病床数, 退院率).
    quantity_alias: Vec<bool>,
    cues: Cues,
    threshold: Option<Regex>,
}

/// How a question asks about figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum FigureMode {
    /// 「世田谷区の人口は？」: the value, for each place.
    Value,
    /// 「入院者数が多い順」: every region that states it, ordered.
    Rank { descending: bool },
    /// 「人口が50万人以上の地域」: the regions past a threshold.
    Threshold { op: Comparison, value: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    AtLeast,
    Above,
    AtMost,
    Below,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::AtLeast => value >= threshold,
            Comparison::Above => value > threshold,
            Comparison::AtMost => value <= threshold,
            Comparison::Below => value < threshold,
        }
    }

    /// 「以上」
    pub fn label(self) -> &'static str {
        match self {
            Comparison::AtLeast => "以上",
            Comparison::Above => "超",
            Comparison::AtMost => "以下",
            Comparison::Below => "未満",
        }
    }
}

/// A question about figures: which, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureAsk {
    /// Figure ids, in the order asked.
    pub ids: Vec<String>,
    pub mode: FigureMode,
}

impl FigureAsk {
    /// 「人口が50万人以上」, 「入院精神障害者数の多い順」, 「人口」: for headings.
    pub fn describe(&self, book: &FigureBook) -> String {
        let labels: Vec<&str> = self
            .ids
            .iter()
            .filter_map(|id| book.get(id).map(|d| d.label.as_str()))
            .collect();
        let what = labels.join("・");
        match self.mode {
            FigureMode::Value => what,
            FigureMode::Rank { descending: true } => format!("{what}の多い順"),
            FigureMode::Rank { descending: false } => format!("{what}の少ない順"),
            FigureMode::Threshold { op, value } => {
                let unit = self
                    .ids
                    .first()
                    .and_then(|id| book.get(id))
                    .map(|d| d.unit.as_str())
                    .unwrap_or("");
                format!("{what}が{}{unit}{}", amount(value), op.label())
            }
        }
    }
}

/// A threshold as people write it: 500000 → 「50万」, 300 → 「300」.
pub fn amount(value: f64) -> String {
    if value >= 10_000.0 && value % 10_000.0 == 0.0 {
        format!("{}万", group_digits(value / 10_000.0))
    } else {
        group_digits(value)
    }
}

/// 500000 → 「500,000」; fractions kept (12.5).
pub fn group_digits(value: f64) -> String {
    if value.fract() != 0.0 {
        return format!("{value}");
    }
    let digits = format!("{}", value.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

impl FigureBook {
    pub fn parse(toml_text: &str, normalizer: &Normalizer) -> Result<FigureBook, String> {
        let file: FigureFile = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        let mut defs = Vec::new();
        let mut aliases = Vec::new();
        let mut owner = Vec::new();
        let mut quantity_alias = Vec::new();
        let is_quantity = |a: &str| a.ends_with('数') || a.ends_with('率') || a.ends_with("人口");
        for (i, raw) in file.figure.iter().enumerate() {
            let pattern = Regex::new(&format!(
                r"(?:{lead})(?P<between>[^0-9]{{0,40}}?(?:\([^)]*\)[^0-9]{{0,12}}?)?)(?P<n>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:\|\s*)?(?P<u>{units})(?P<after>\s*\([^)]{{0,20}}時点\)|\s*\|\s*[^|]{{0,20}}?時点)?",
                lead = raw.lead,
                units = raw.units
            ))
            .map_err(|e| format!("{}: {e}", raw.id))?;
            let lead = Regex::new(&raw.lead).map_err(|e| format!("{}: {e}", raw.id))?;
            for a in std::iter::once(&raw.label).chain(raw.aliases.iter()) {
                let a = normalizer.normalize(a);
                quantity_alias.push(is_quantity(&a));
                aliases.push(a);
                owner.push(vec![i]);
            }
            defs.push(FigureDef {
                unit: raw.units.split('|').next().unwrap_or("").to_string(),
                id: raw.id.clone(),
                label: raw.label.clone(),
                percent: raw.percent,
                pattern,
                lead,
                aliases: raw.aliases.clone(),
            });
        }
        for g in &file.group {
            let members: Vec<usize> = g
                .figures
                .iter()
                .map(|id| {
                    defs.iter()
                        .position(|d| &d.id == id)
                        .ok_or_else(|| format!("group: unknown figure {id}"))
                })
                .collect::<Result<_, _>>()?;
            for a in &g.aliases {
                let a = normalizer.normalize(a);
                quantity_alias.push(is_quantity(&a));
                aliases.push(a);
                owner.push(members.clone());
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&aliases)
            .ok();
        let threshold = Regex::new(
            r"(?P<n>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<man>万)?\s*(?:人|名|床|か所|箇所|ヶ所|カ所|回|%|件|病院|市町村|圏域)?\s*(?P<op>以上|を超える|を超え|超え|超|より多い|未満|以下|より少ない|を下回る)",
        )
        .ok();
        Ok(FigureBook {
            defs,
            matcher,
            owner,
            quantity_alias,
            cues: file.ask,
            threshold,
        })
    }

    /// Whether a (normalized) question asks how many of something (「何名」「いくつ」).
    pub fn asks_quantity(&self, text: &str) -> bool {
        self.cues
            .quantity
            .iter()
            .chain(&self.cues.ranking)
            .any(|c| text.contains(c.as_str()))
    }

    /// What a (normalized) question asks of figures, if it asks for any: the figures it
    /// names, when it names them as quantities or asks for a quantity, a ranking or a
    /// threshold. 「病床削減の取組」 is not a question about figures; 「病床数」 and
    /// 「病床が多い順」 are.
    pub fn question(&self, text: &str) -> Option<FigureAsk> {
        let m = self.matcher.as_ref()?;
        let mut ids: Vec<String> = Vec::new();
        let mut quantity_named = false;
        let mut specific: Vec<usize> = Vec::new();
        let mut groups: Vec<&Vec<usize>> = Vec::new();
        for found in m.find_iter(text) {
            let p = found.pattern().as_usize();
            quantity_named |= self.quantity_alias[p];
            if self.owner[p].len() == 1 {
                specific.push(self.owner[p][0]);
            } else {
                groups.push(&self.owner[p]);
            }
        }
        // A group (退院率) named with one of its figures (入院後1年時点) means that one.
        for g in groups {
            if !g.iter().any(|i| specific.contains(i)) {
                specific.extend(g.iter().copied());
            }
        }
        for i in specific {
            let id = &self.defs[i].id;
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if ids.is_empty() {
            return None;
        }
        let threshold = self.threshold.as_ref().and_then(|re| re.captures(text));
        let ranking = self.cues.ranking.iter().any(|c| text.contains(c.as_str()));
        let quantity = self.cues.quantity.iter().any(|c| text.contains(c.as_str()));
        let mode = if let Some(c) = threshold {
            let mut value: f64 = c["n"].replace(',', "").parse().ok()?;
            if c.name("man").is_some() {
                value *= 10_000.0;
            }
            let op = match &c["op"] {
                "以上" => Comparison::AtLeast,
                "未満" | "より少ない" | "を下回る" => Comparison::Below,
                "以下" => Comparison::AtMost,
                _ => Comparison::Above,
            };
            FigureMode::Threshold { op, value }
        } else if ranking {
            FigureMode::Rank {
                descending: !self.cues.fewest.iter().any(|c| text.contains(c.as_str())),
            }
        } else if quantity_named || quantity {
            FigureMode::Value
        } else {
            return None;
        };
        Some(FigureAsk { ids, mode })
    }

    pub fn defs(&self) -> &[FigureDef] {
        &self.defs
    }

    pub fn get(&self, id: &str) -> Option<&FigureDef> {
        self.defs.iter().find(|d| d.id == id)
    }

    /// The figures a (normalized) question names, with where: longest names first, each
    /// figure once, in the order named.
    pub fn mentioned(&self, text: &str) -> Vec<(&FigureDef, std::ops::Range<usize>)> {
        let Some(m) = &self.matcher else {
            return Vec::new();
        };
        let mut out: Vec<(&FigureDef, std::ops::Range<usize>)> = Vec::new();
        for found in m.find_iter(text) {
            for &i in &self.owner[found.pattern().as_usize()] {
                let def = &self.defs[i];
                if !out.iter().any(|(d, _)| d.id == def.id) {
                    out.push((def, found.range()));
                }
            }
        }
        out
    }

    /// The figures of a 基礎情報 section: every row the sheet has, with its value, or
    /// 「記載なし」 where it is left blank.
    pub fn extract(&self, text: &str) -> Vec<Figure> {
        // One line: a label and its value are often broken over lines by the layout.
        let text = nfkc(text)
            .replace(['\n', '\r', '\u{000C}'], " ")
            .replace('\u{3000}', " ");
        let mut out = Vec::new();
        for def in &self.defs {
            if !def.lead.is_match(&text) {
                continue;
            }
            let stated = def.pattern.captures_iter(&text).find(|c| {
                // The value belongs to this label, not to one written after it.
                let between = c.name("between").map(|m| m.as_str()).unwrap_or("");
                !self
                    .defs
                    .iter()
                    .any(|other| other.id != def.id && other.lead.is_match(between))
            });
            out.push(match stated {
                Some(c) => {
                    let between = c.name("between").map(|m| m.as_str()).unwrap_or("");
                    let number = &c["n"];
                    Figure {
                        id: def.id.clone(),
                        label: def.label.clone(),
                        value: number.replace(',', "").parse().ok(),
                        text: format!("{number}{}", &c["u"]),
                        as_of: as_of(between)
                            .or_else(|| c.name("after").and_then(|m| as_of(m.as_str()))),
                    }
                }
                None => Figure {
                    id: def.id.clone(),
                    label: def.label.clone(),
                    value: None,
                    text: UNSTATED.into(),
                    as_of: None,
                },
            });
        }
        out
    }
}

/// What a sheet says of a figure it leaves blank.
pub const UNSTATED: &str = "記載なし";

/// A reference date (時点) as the sheet writes it: 「R3年4月時点」 → (2021, 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureDate {
    pub year: i32,
    pub month: Option<u32>,
}

impl FigureDate {
    pub fn display(&self) -> String {
        match self.month {
            Some(m) => format!("{}{}月時点", era_year(self.year), m),
            None => format!("{}時点", era_label(self.year)),
        }
    }
}

/// 「令和3年」 for a calendar year.
fn era_year(year: i32) -> String {
    era_label(year).trim_end_matches("年度").to_string() + "年"
}

/// The 時点 written between a label and its value, if any.
fn as_of(between: &str) -> Option<FigureDate> {
    let m = find_years(between).into_iter().next()?;
    Some(match m.month {
        Some((year, month)) => FigureDate {
            year,
            month: Some(month),
        },
        None => FigureDate {
            year: m.fiscal_year,
            month: None,
        },
    })
}

/// One figure of one region: 「人口 920,471人（令和3年4月時点）」, or 「記載なし」.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The figure's id in `index/figures.toml`.
    pub id: String,
    pub label: String,
    /// None when the sheet leaves it blank.
    pub value: Option<f64>,
    /// As written, with its unit (「920,471人」), or 「記載なし」.
    pub text: String,
    pub as_of: Option<FigureDate>,
}

impl Figure {
    pub fn stated(&self) -> bool {
        self.value.is_some()
    }

    /// 「920,471人（令和3年4月時点）」
    pub fn value_text(&self) -> String {
        match &self.as_of {
            Some(d) if self.stated() => format!("{}（{}）", self.text, d.display()),
            _ => self.text.clone(),
        }
    }

    /// 「人口 920,471人（令和3年4月時点）」
    pub fn display(&self) -> String {
        format!("{} {}", self.label, self.value_text())
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::search::lexicon::Lexicon;

    #[test]
    fn figures_of_the_setagaya_sheet() {
        let lex = Lexicon::embedded();
        let text = "障害保健福祉圏域数(R●年●月\n時点)\n\n1 か所\n\n市町村数（R３年４月時点） 1 市町村\n\n人口（R３年４月時点） 920,471 人\n\n精神科病院の数（R●年●月時点） 病院\n\n精神科病床数（R●年●月時点） 床\n\n入院精神障害者数 合計 568 人\n\n（R３年４月時点） ３か月未満（％：構成割\n合）\n\n人\n\n0.0 ％\n\n１年以上（％：構成割合\n568 人\n\n100.0 ％\n\nうち６５歳未満 215 人\n\nうち６５歳以上 353 人\n\n退院率（R●年●月時点）\n\n入院後３か月時点 ％\n\n相談支援事業所数 基幹相談支援センター数 1 か所\n\n（R３年４月時点） 一般相談支援事業所数 9 か所特定相談支援事業所数 43 か所保健所数（R３年４月時点） 1 か所（自立支援）協議会の開催頻度（R３年度）（自立支援）協議会の開催頻度 2 回／年";
        let f = lex.figures.extract(text);
        let get = |id: &str| f.iter().find(|x| x.id == id).map(|x| x.text.clone());
        assert_eq!(get("population").as_deref(), Some("920,471人"));
        assert_eq!(
            get("areas").as_deref(),
            Some("1か所"),
            "label and value on different lines"
        );
        assert_eq!(get("municipalities").as_deref(), Some("1市町村"));
        assert_eq!(get("inpatients").as_deref(), Some("568人"));
        let inpatients = f.iter().find(|x| x.id == "inpatients").unwrap();
        assert_eq!(
            inpatients.value_text(),
            "568人（令和3年4月時点）",
            "the date written after the value"
        );
        assert_eq!(get("stay_ge1y").as_deref(), Some("568人"));
        assert_eq!(get("ge1y_under65").as_deref(), Some("215人"));
        assert_eq!(get("consult_general").as_deref(), Some("9か所"));
        assert_eq!(get("consult_specific").as_deref(), Some("43か所"));
        assert_eq!(get("council_frequency").as_deref(), Some("2回"));
        // Left blank in the form: kept as 記載なし, not invented, not dropped.
        assert_eq!(get("beds").as_deref(), Some("記載なし"));
        assert_eq!(get("hospitals").as_deref(), Some("記載なし"));
        assert_eq!(get("stay_lt3m").as_deref(), Some("記載なし"));
        assert_eq!(get("discharge_3m").as_deref(), Some("記載なし"));
        let pop = f.iter().find(|x| x.id == "population").unwrap();
        assert_eq!(pop.value, Some(920471.0));
        assert_eq!(pop.display(), "人口 920,471人（令和3年4月時点）");
    }

    #[test]
    fn nothing_in_prose() {
        let lex = Lexicon::embedded();
        assert!(
            lex.figures
                .extract("ピアサポーターの養成講座を実施した。")
                .is_empty()
        );
    }

    #[test]
    fn questions_name_figures() {
        let lex = Lexicon::embedded();
        let found = |q: &str| {
            lex.figures
                .mentioned(&lex.normalizer.normalize(q))
                .into_iter()
                .map(|(d, _)| d.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("世田谷区の人口は？"), ["population"]);
        assert_eq!(found("病床の多い順"), ["beds"]);
        assert_eq!(found("１年以上の入院者が400人を超える地域"), ["stay_ge1y"]);
        assert_eq!(found("入院者数"), ["inpatients"]);
        assert!(found("ピアサポーターの養成").is_empty());
    }

    #[test]
    fn questions_about_figures() {
        use super::{Comparison, FigureMode};
        let lex = Lexicon::embedded();
        let ask = |q: &str| lex.figures.question(&lex.normalizer.normalize(q));
        let a = ask("世田谷区の入院精神障害者数は？").unwrap();
        assert_eq!(a.ids, ["inpatients"]);
        assert_eq!(a.mode, FigureMode::Value);
        let a = ask("人口が50万人以上の地域はどこ？").unwrap();
        assert_eq!(
            a.mode,
            FigureMode::Threshold {
                op: Comparison::AtLeast,
                value: 500_000.0
            }
        );
        assert_eq!(a.describe(&lex.figures), "人口が50万人以上");
        let a = ask("長期入院の患者さんが300人以上いる自治体は？").unwrap();
        assert_eq!(a.ids, ["stay_ge1y"]);
        let a = ask("入院精神障害者数が少ない順に").unwrap();
        assert_eq!(a.mode, FigureMode::Rank { descending: false });
        // A group, unless one of its figures is named.
        assert_eq!(
            ask("文京区の相談支援事業所の数は何か所？").unwrap().ids,
            ["consult_core", "consult_general", "consult_specific"]
        );
        assert_eq!(
            ask("世田谷区の退院率（入院後1年時点）はどれくらいですか")
                .unwrap()
                .ids,
            ["discharge_12m"]
        );
        assert_eq!(
            ask("世田谷区には特定相談支援事業所がいくつありますか？")
                .unwrap()
                .ids,
            ["consult_specific"]
        );
        // Naming a subject is not asking for a figure.
        assert!(ask("病床削減の取組を教えて").is_none());
        assert!(ask("長期入院者の地域移行").is_none());
        assert!(ask("基幹相談支援センターの役割").is_none());
    }
}
