//! The days municipal offices are closed besides weekends (行政機関の休日): Japan's public
//! holidays, from the holiday_jp data in `index/holidays.tsv`
//! (`scripts/update-holidays.sh`), and the year-end and new-year days, 29 December to
//! 3 January.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

const HOLIDAYS: &str = include_str!("../../../index/holidays.tsv");

fn holidays() -> &'static HashMap<NaiveDate, &'static str> {
    static TABLE: OnceLock<HashMap<NaiveDate, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        HOLIDAYS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (date, name) = l.split_once('\t')?;
                Some((NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?, name))
            })
            .collect()
    })
}

/// Why offices are closed on `day`, when they are for a holiday: the holiday's name, or
/// 「年末年始」.
pub fn closed_for(day: NaiveDate) -> Option<&'static str> {
    if let Some(name) = holidays().get(&day) {
        return Some(name);
    }
    let (m, d) = (day.month(), day.day());
    ((m == 12 && d >= 29) || (m == 1 && d <= 3)).then_some("年末年始")
}

/// The last day the holiday data covers.
pub fn known_until() -> Option<NaiveDate> {
    holidays().keys().max().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_olympic_year_moved_its_holidays() {
        // 2021: 海の日 and スポーツの日 moved next to the opening ceremony, 山の日 to the
        // closing one (with its substitute holiday on Monday).
        assert_eq!(closed_for(day("2021-07-22")), Some("海の日"));
        assert_eq!(closed_for(day("2021-07-23")), Some("スポーツの日"));
        assert_eq!(closed_for(day("2021-08-09")), Some("山の日 振替休日"));
        assert_eq!(
            closed_for(day("2021-07-19")),
            None,
            "the usual 海の日 was a workday"
        );
        assert_eq!(
            closed_for(day("2021-10-11")),
            None,
            "and so was the usual スポーツの日"
        );
    }

    #[test]
    fn year_end_and_new_year() {
        assert_eq!(closed_for(day("2021-12-28")), None);
        assert_eq!(closed_for(day("2021-12-29")), Some("年末年始"));
        assert_eq!(closed_for(day("2022-01-01")), Some("元日"));
        assert_eq!(closed_for(day("2022-01-03")), Some("年末年始"));
        assert_eq!(closed_for(day("2022-01-04")), None);
        assert!(known_until().is_some_and(|d| d.year() >= 2050));
    }
}
