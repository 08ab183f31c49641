//! Time. Nothing in nimo reads the system clock directly: deadlines, reminders and their
//! tests all go through a `Clock`, and tests use a clock they move by hand.

use std::sync::Mutex;

use chrono::{DateTime, Datelike, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Tokyo;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

fn weekday_ja(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "月",
        Weekday::Tue => "火",
        Weekday::Wed => "水",
        Weekday::Thu => "木",
        Weekday::Fri => "金",
        Weekday::Sat => "土",
        Weekday::Sun => "日",
    }
}

/// A moment in Japan time, as people read it: 「2026年12月10日(木) 17:00」.
pub fn format_jst(t: DateTime<Utc>) -> String {
    let j = t.with_timezone(&Tokyo);
    format!(
        "{}年{}月{}日({}) {}",
        j.year(),
        j.month(),
        j.day(),
        weekday_ja(j.weekday()),
        j.format("%H:%M")
    )
}

/// Parses a Japan-time moment typed by an organizer: 「2026-12-10 17:00」, 「2026/12/10 17:00」,
/// 「2026-12-10」 (end of that day, 23:59).
pub fn parse_jst(s: &str) -> Option<DateTime<Utc>> {
    let s = crate::domain::text::nfkc(s.trim())
        .replace('/', "-")
        .replace('T', " ");
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d.to_string(), t.trim().to_string()),
        None => (s.clone(), "23:59".to_string()),
    };
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?;
    let time = chrono::NaiveTime::parse_from_str(&time, "%H:%M").ok()?;
    Tokyo
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_time_both_ways() {
        let t = parse_jst("2026-12-10 17:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-10T08:00:00+00:00");
        assert_eq!(format_jst(t), "2026年12月10日(木) 17:00");
        assert_eq!(parse_jst("２０２６/12/10"), parse_jst("2026-12-10 23:59"));
        assert_eq!(parse_jst("12月10日"), None);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(parse_jst("2026-12-01 09:00").unwrap());
        let before = c.now();
        c.advance(chrono::Duration::hours(2));
        assert_eq!(c.now() - before, chrono::Duration::hours(2));
    }
}
