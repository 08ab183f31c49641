//! Japanese era years and fiscal years.
//!
//! Documents date things as 令和２年度, 令和元年度, R3年4月, Ｒ１年５月, H30, 平成31年4月,
//! R3.1.31 or 2021年度. nimo reduces each to a numeric fiscal year (April–March): 令和N年度 =
//! 2018+N, 平成N年度 = 1988+N, and a date in January–March belongs to the previous
//! fiscal year. All functions take NFKC-normalized text.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A year written somewhere in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearMention {
    /// The fiscal year it denotes.
    pub fiscal_year: i32,
    /// Byte range of the mention in the (normalized) text.
    pub span: Range<usize>,
    /// True for 〜年度 (explicitly a fiscal year), false for a date or a bare era year.
    pub explicit_fiscal: bool,
    /// The calendar year and month of a date (「R3年4月」 → 2021, 4).
    pub month: Option<(i32, u32)>,
}

fn era_base(era: &str) -> Option<i32> {
    match era {
        "令和" | "R" | "r" => Some(2018),
        "平成" | "H" | "h" => Some(1988),
        "昭和" | "S" | "s" => Some(1925),
        _ => None,
    }
}

fn era_number(n: &str) -> Option<i32> {
    if n == "元" { Some(1) } else { n.parse().ok() }
}

/// Calendar year and optional month → fiscal year.
pub fn fiscal_year_of(year: i32, month: Option<u32>) -> i32 {
    match month {
        Some(m) if (1..=3).contains(&m) => year - 1,
        _ => year,
    }
}

static ERA_RE: LazyLock<Regex> = LazyLock::new(|| {
    // 令和2年度 / 令和元年 / 令和3年4月 / R3年度 / R3.1.31 / H30 / R1年5月
    Regex::new(
        r"(?x)
        (?P<era>令和|平成|昭和|(?-i:[RHS]))\s*(?P<n>元|\d{1,2})
        (?:
            \s*年\s*(?P<fy>度)?(?:\s*(?P<m1>\d{1,2})\s*月)?
          | \s*[\.．/]\s*(?P<m2>\d{1,2})(?:\s*[\.．/]\s*\d{1,2})?
        )?",
    )
    .expect("valid era regex")
});

static WESTERN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<fy>度)?(?:\s*(?P<m>\d{1,2})\s*月)?")
        .expect("valid western-year regex")
});

/// Every year mentioned in `text`, in order of appearance.
pub fn find_years(text: &str) -> Vec<YearMention> {
    let mut found = Vec::new();
    for caps in ERA_RE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let era = &caps["era"];
        // A bare letter (R3, H30) must not be glued to other Latin letters or digits
        // (e.g. "HR3", "PDCA", "H2O").
        if era.len() == 1 {
            let before = text[..whole.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            // 「R3年4月1日」 goes on with the day: only a match that ends in the number
            // itself can be glued to what follows.
            let after = text[whole.end()..].chars().next();
            if whole.as_str().ends_with(|c: char| c.is_ascii_digit())
                && after.is_some_and(|c| c.is_ascii_alphanumeric())
            {
                continue;
            }
        }
        let (Some(base), Some(n)) = (era_base(era), era_number(&caps["n"])) else {
            continue;
        };
        if n == 0 || n > 64 {
            continue;
        }
        let month = caps
            .name("m1")
            .or_else(|| caps.name("m2"))
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .filter(|m| (1..=12).contains(m));
        let explicit_fiscal = caps.name("fy").is_some();
        let year = base + n;
        found.push(YearMention {
            fiscal_year: if explicit_fiscal {
                year
            } else {
                fiscal_year_of(year, month)
            },
            span: whole.range(),
            explicit_fiscal,
            month: month.map(|m| (year, m)),
        });
    }
    for caps in WESTERN_RE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        if found
            .iter()
            .any(|f| f.span.start < whole.end() && whole.start() < f.span.end)
        {
            continue;
        }
        let year: i32 = caps["y"].parse().expect("digits");
        let month = caps
            .name("m")
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .filter(|m| (1..=12).contains(m));
        let explicit_fiscal = caps.name("fy").is_some();
        found.push(YearMention {
            fiscal_year: if explicit_fiscal {
                year
            } else {
                fiscal_year_of(year, month)
            },
            span: whole.range(),
            explicit_fiscal,
            month: month.map(|m| (year, m)),
        });
    }
    found.sort_by_key(|m| m.span.start);
    found
}

/// A fiscal year as someone types it in an option: 「2021」, 「R3」, 「令和３年度」, 「H30」.
pub fn parse_fiscal_year(s: &str) -> Option<i32> {
    let n = crate::domain::text::nfkc(s.trim());
    if let Ok(y) = n.parse::<i32>() {
        return (1980..=2100).contains(&y).then_some(y);
    }
    find_years(&n).first().map(|m| m.fiscal_year)
}

/// The Japanese way of writing a fiscal year, for messages: 2021 → 「令和3年度」.
pub fn era_label(fiscal_year: i32) -> String {
    if fiscal_year >= 2019 {
        let n = fiscal_year - 2018;
        if n == 1 {
            "令和元年度".to_string()
        } else {
            format!("令和{n}年度")
        }
    } else if fiscal_year >= 1989 {
        let n = fiscal_year - 1988;
        if n == 1 {
            "平成元年度".to_string()
        } else {
            format!("平成{n}年度")
        }
    } else {
        format!("{fiscal_year}年度")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::nfkc;

    fn years(s: &str) -> Vec<i32> {
        find_years(&nfkc(s))
            .into_iter()
            .map(|m| m.fiscal_year)
            .collect()
    }

    #[test]
    fn era_fiscal_years() {
        assert_eq!(years("令和２年度"), vec![2020]);
        assert_eq!(years("令和元年度"), vec![2019]);
        assert_eq!(years("平成30年度"), vec![2018]);
        assert_eq!(years("平成３０年度"), vec![2018]);
        assert_eq!(years("2021年度"), vec![2021]);
        assert_eq!(years("２０２１年度"), vec![2021]);
    }

    #[test]
    fn dates_fall_in_the_fiscal_year_that_contains_them() {
        assert_eq!(years("R3年4月時点"), vec![2021]);
        assert_eq!(years("Ｒ１年５月"), vec![2019]);
        assert_eq!(years("H31年4月時点"), vec![2019]);
        assert_eq!(years("R3.1.31 講演会"), vec![2020]);
        assert_eq!(years("令和3年3月"), vec![2020]);
        assert_eq!(years("2022年2月"), vec![2021]);
    }

    #[test]
    fn bare_era_letters() {
        assert_eq!(
            years("H30 R1 R2 R3 R4以降"),
            vec![2018, 2019, 2020, 2021, 2022]
        );
        assert!(years("PDCA を回す").is_empty());
        assert!(years("R●年●月").is_empty());
        assert!(years("HR3").is_empty());
    }

    #[test]
    fn labels() {
        assert_eq!(era_label(2019), "令和元年度");
        assert_eq!(era_label(2021), "令和3年度");
        assert_eq!(era_label(2018), "平成30年度");
    }

    #[test]
    fn fiscal_years_as_typed_in_options() {
        assert_eq!(parse_fiscal_year("2021"), Some(2021));
        assert_eq!(parse_fiscal_year("R3"), Some(2021));
        assert_eq!(parse_fiscal_year("令和３年度"), Some(2021));
        assert_eq!(parse_fiscal_year("令和元年度"), Some(2019));
        assert_eq!(parse_fiscal_year("H30"), Some(2018));
        assert_eq!(parse_fiscal_year("abc"), None);
        assert_eq!(parse_fiscal_year("いつか"), None);
        assert_eq!(parse_fiscal_year("99999"), None);
    }
}
