//! Basic figures (基礎情報) of a region, read from the text of its 自治体情報シート: population,
//! psychiatric beds and inpatients, consultation offices, council frequency. The form asks
//! for a value after each label (with its reference date), so each figure is found as
//! 「label … number unit」 in the section's text; a label left blank in the form is skipped.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::domain::era::{era_label, find_years};
use crate::domain::text::nfkc;

/// One figure: 「人口 920,471人（令和3年度時点）」.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub label: String,
    /// The number as written, with its unit (「920,471人」).
    pub value: String,
    /// Fiscal year of the reference date, when written next to the label.
    pub as_of: Option<i32>,
}

impl Figure {
    pub fn display(&self) -> String {
        match self.as_of {
            Some(y) => format!("{} {}（{}時点）", self.label, self.value, era_label(y)),
            None => format!("{} {}", self.label, self.value),
        }
    }
}

struct Pattern {
    label: &'static str,
    re: Regex,
}

/// Label, then up to 40 characters that are not a number (a reference date in parentheses,
/// a sub-label), then the number and its unit.
fn pattern(label: &'static str, lead: &str, units: &str) -> Pattern {
    let re = format!(
        r"{lead}(?P<between>[^0-9\n]{{0,40}}?(?:\([^)]*\)[^0-9\n]{{0,10}}?)?)(?P<n>[0-9][0-9,\.]*)\s*(?P<u>{units})"
    );
    Pattern {
        label,
        re: Regex::new(&re).expect("valid figure regex"),
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        pattern("人口", r"(?:^|[^総])人口", "人"),
        pattern("障害保健福祉圏域数", "障害保健福祉圏域数", "か所|箇所|圏域"),
        pattern("市町村数", "市町村数", "市町村"),
        pattern("精神科病院数", "精神科病院の数", "病院|か所"),
        pattern("精神科病床数", "精神科病床数", "床"),
        pattern("入院精神障害者数", "入院精神障害者数\\s*合計", "人"),
        pattern(
            "基幹相談支援センター",
            "基幹相談支援センター数",
            "か所|箇所",
        ),
        pattern("一般相談支援事業所", "一般相談支援事業所数", "か所|箇所"),
        pattern("特定相談支援事業所", "特定相談支援事業所数", "か所|箇所"),
        pattern("保健所数", "保健所数", "か所|箇所"),
        pattern("協議会の開催頻度", "協議会の開催\\s*頻度", "回"),
    ]
});

/// The figures found in a 基礎情報 text, in the form's order, each at most once.
pub fn extract(text: &str) -> Vec<Figure> {
    let text = nfkc(text);
    let mut out = Vec::new();
    for p in PATTERNS.iter() {
        let Some(c) = p.re.captures(&text) else {
            continue;
        };
        let between = c.name("between").map(|m| m.as_str()).unwrap_or("");
        let as_of = find_years(between)
            .into_iter()
            .next()
            .map(|m| m.fiscal_year);
        out.push(Figure {
            label: p.label.to_string(),
            value: format!("{}{}", &c["n"], &c["u"]),
            as_of,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_the_setagaya_sheet() {
        let text = "市町村数（R３年４月時点） 1 市町村人口（R３年４月時点） 920,471 人精神科病院の数（R●年●月時点） 病院精神科病床数（R●年●月時点） 床入院精神障害者数 合計 568 人（R３年４月時点）\n相談支援事業所数 基幹相談支援センター数 1 か所（R３年４月時点） 一般相談支援事業所数 9 か所特定相談支援事業所数 43 か所保健所数（R３年４月時点） 1 か所（自立支援）協議会の開催頻度（R３年度）（自立支援）協議会の開催頻度 2 回／年";
        let f = extract(text);
        let get = |l: &str| f.iter().find(|x| x.label == l).map(|x| x.value.clone());
        assert_eq!(get("人口").as_deref(), Some("920,471人"));
        assert_eq!(get("市町村数").as_deref(), Some("1市町村"));
        assert_eq!(get("入院精神障害者数").as_deref(), Some("568人"));
        assert_eq!(get("一般相談支援事業所").as_deref(), Some("9か所"));
        assert_eq!(get("特定相談支援事業所").as_deref(), Some("43か所"));
        assert_eq!(get("協議会の開催頻度").as_deref(), Some("2回"));
        // Left blank in the form: not invented.
        assert_eq!(get("精神科病床数"), None);
        let pop = f.iter().find(|x| x.label == "人口").unwrap();
        assert_eq!(pop.as_of, Some(2021));
        assert_eq!(pop.display(), "人口 920,471人（令和3年度時点）");
    }

    #[test]
    fn nothing_in_prose() {
        assert!(extract("ピアサポーターの養成講座を実施した。").is_empty());
    }
}
