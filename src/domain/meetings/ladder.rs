//! The reminder ladder: when nimo reminds whom about a meeting's submission deadline.
//! Pure: the schedule is computed here, kept in the database by the store, and sent by a
//! front end (Discord) through the `Courier` port.
//!
//! A meeting has a ladder of steps relative to its deadline (default: 7, 3 and 1 days
//! before at 09:00 Japan time, on the day at 09:00, and one overdue notice after the
//! deadline) plus digests for the organizers (the day before and right after the
//! deadline). Quiet hours move a step to the next allowed moment; a step that would land
//! after the deadline is dropped rather than sent late.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Tokyo;

use super::calendar::closed_for;
use serde::{Deserialize, Serialize};

/// The key of the announcement that stands for a ladder's first rungs when a meeting is
/// created after they were due.
pub const ANNOUNCE: &str = "announce";

/// A step's key as organizers read it: 「7日前」「当日」「締切後」「主催者向けまとめ（前日）」.
pub fn step_label(key: &str) -> String {
    match key {
        "day" => "当日のお知らせ".into(),
        "overdue" => "締切後のお知らせ".into(),
        "digest-before" => "主催者向けまとめ（締切前日）".into(),
        "digest-after" => "主催者向けまとめ（締切後）".into(),
        ANNOUNCE => "受付開始のご案内".into(),
        other => match other.strip_suffix('d').and_then(|n| n.parse::<u32>().ok()) {
            Some(n) => format!("{n}日前のお知らせ"),
            None => other.to_string(),
        },
    }
}

/// Who a step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Staff of every participating region that has not submitted.
    Staff,
    /// The meeting's organizers (a status digest).
    Organizers,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Staff => "staff",
            Audience::Organizers => "organizers",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        match s {
            "staff" => Some(Audience::Staff),
            "organizers" => Some(Audience::Organizers),
            _ => None,
        }
    }
}

/// When a step falls, relative to the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum When {
    /// `days` calendar days before the deadline's day, at `at` (Japan time).
    DaysBefore { days: u32, at: NaiveTime },
    /// On the deadline's day at `at` (dropped when that is not before the deadline).
    DayOf { at: NaiveTime },
    /// `minutes` after the deadline.
    After { minutes: u32 },
}

/// One rung of the ladder. `key` names it in the database: each recipient gets each key
/// of a meeting at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub key: String,
    pub when: When,
    pub audience: Audience,
}

impl Step {
    /// Whether this step is about a passed deadline (the overdue notice, the after-digest).
    pub fn after_deadline(&self) -> bool {
        matches!(self.when, When::After { .. })
    }
}

/// No reminders at night, on public holidays and over the new year (when municipal
/// offices are closed), and by choice at weekends; Japan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Quiet from this time of day…
    pub from: NaiveTime,
    /// …until this time the next morning.
    pub until: NaiveTime,
    pub weekends: bool,
    /// Public holidays and 12/29–1/3 (行政機関の休日).
    #[serde(default = "yes")]
    pub holidays: bool,
}

fn yes() -> bool {
    true
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            from: hm(20, 0),
            until: hm(8, 0),
            weekends: false,
            holidays: true,
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

impl QuietHours {
    fn is_quiet_time(&self, t: NaiveTime) -> bool {
        if self.from <= self.until {
            t >= self.from && t < self.until
        } else {
            t >= self.from || t < self.until
        }
    }

    fn is_quiet_day(&self, day: chrono::NaiveDate) -> bool {
        (self.weekends && matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
            || (self.holidays && closed_for(day).is_some())
    }

    /// The first moment at or after `t` when reminders may be sent.
    pub fn next_allowed(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let mut j = t.with_timezone(&Tokyo);
        // Each pass moves forward to the end of a quiet stretch; a few passes settle it
        // (a night that ends on a Saturday morning, then the weekend, then a holiday).
        for _ in 0..8 {
            let mut moved = false;
            if self.is_quiet_time(j.time()) {
                let mut day = j.date_naive();
                if j.time() >= self.from && self.from > self.until {
                    day = day.succ_opt().expect("date");
                }
                j = jst(day, self.until);
                moved = true;
            }
            if self.is_quiet_day(j.date_naive()) {
                let mut day = j.date_naive();
                while self.is_quiet_day(day) {
                    day = day.succ_opt().expect("date");
                }
                j = jst(day, self.until);
                moved = true;
            }
            if !moved {
                break;
            }
        }
        j.with_timezone(&Utc)
    }
}

fn jst(day: chrono::NaiveDate, at: NaiveTime) -> chrono::DateTime<chrono_tz::Tz> {
    Tokyo
        .from_local_datetime(&day.and_time(at))
        .earliest()
        .expect("Japan has no DST gaps")
}

/// An organizer's changes to how a meeting reminds; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyEdit {
    /// A new ladder, as organizers write it (「7d,3d,1d,day,overdue」).
    pub ladder: Option<String>,
    /// The time of day of the ladder's reminders.
    pub at: Option<NaiveTime>,
    /// Quiet hours, from … until.
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    pub weekends: Option<bool>,
    pub holidays: Option<bool>,
}

/// How a meeting reminds: its ladder and its quiet hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub steps: Vec<Step>,
    #[serde(default)]
    pub quiet: QuietHours,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::parse("7d,3d,1d,day,overdue", hm(9, 0)).expect("default ladder")
    }
}

impl Policy {
    /// This policy with an organizer's changes; what they leave out stays as it is.
    pub fn edited(&self, e: &PolicyEdit) -> Result<Policy, String> {
        let mut policy = match (&e.ladder, e.at) {
            (Some(spec), at) => Policy {
                quiet: self.quiet,
                ..Policy::parse(spec, at.or(self.at()).unwrap_or(hm(9, 0)))?
            },
            (None, Some(at)) => {
                let mut p = self.clone();
                for s in &mut p.steps {
                    match &mut s.when {
                        When::DaysBefore { at: t, .. } | When::DayOf { at: t } => *t = at,
                        When::After { .. } => {}
                    }
                }
                p
            }
            (None, None) => self.clone(),
        };
        if let Some((from, until)) = e.quiet {
            policy.quiet.from = from;
            policy.quiet.until = until;
        }
        if let Some(w) = e.weekends {
            policy.quiet.weekends = w;
        }
        if let Some(h) = e.holidays {
            policy.quiet.holidays = h;
        }
        Ok(policy)
    }

    /// The time of day the ladder's reminders go out.
    fn at(&self) -> Option<NaiveTime> {
        self.steps.iter().find_map(|s| match s.when {
            When::DaysBefore { at, .. } | When::DayOf { at } => Some(at),
            When::After { .. } => None,
        })
    }

    /// A ladder as organizers write it: 「7d,3d,1d,day,overdue」 at a time of day (JST).
    /// `Nd` = N days before, `day` = on the day, `overdue` (or `overdue+3h`) = after the
    /// deadline. Digests for organizers are added: the day before and right after.
    pub fn parse(spec: &str, at: NaiveTime) -> Result<Policy, String> {
        let mut steps = Vec::new();
        for item in spec
            .split([',', '、', ' '])
            .filter(|s| !s.trim().is_empty())
        {
            let item = item.trim().to_lowercase();
            let when = if let Some(n) = item.strip_suffix('d') {
                let days: u32 = n
                    .parse()
                    .map_err(|_| format!("「{item}」は「7d」のように日数で書いてください"))?;
                if days == 0 || days > 60 {
                    return Err(format!("「{item}」: 1〜60日前で指定してください"));
                }
                When::DaysBefore { days, at }
            } else if item == "day" {
                When::DayOf { at }
            } else if let Some(rest) = item.strip_prefix("overdue") {
                let minutes = match rest.strip_prefix('+') {
                    None if rest.is_empty() => 60,
                    Some(h) if h.ends_with('h') => {
                        h.trim_end_matches('h').parse::<u32>().map_err(|_| {
                            format!("「{item}」は「overdue+3h」のように書いてください")
                        })? * 60
                    }
                    _ => return Err(format!("「{item}」は「overdue+3h」のように書いてください")),
                };
                When::After { minutes }
            } else {
                return Err(format!(
                    "「{item}」は使えません（使えるのは 7d のような日数、day、overdue）"
                ));
            };
            let key = match when {
                When::DaysBefore { days, .. } => format!("{days}d"),
                When::DayOf { .. } => "day".into(),
                When::After { .. } => "overdue".into(),
            };
            if steps.iter().any(|s: &Step| s.key == key) {
                return Err(format!("「{item}」が重複しています"));
            }
            steps.push(Step {
                key,
                when,
                audience: Audience::Staff,
            });
        }
        steps.push(Step {
            key: "digest-before".into(),
            when: When::DaysBefore { days: 1, at },
            audience: Audience::Organizers,
        });
        steps.push(Step {
            key: "digest-after".into(),
            when: When::After { minutes: 0 },
            audience: Audience::Organizers,
        });
        Ok(Policy {
            steps,
            quiet: QuietHours::default(),
        })
    }

    /// The ladder as organizers wrote it (for listings).
    pub fn describe(&self) -> String {
        let staff: Vec<String> = self
            .steps
            .iter()
            .filter(|s| s.audience == Audience::Staff)
            .map(|s| match s.when {
                When::DaysBefore { days, at } => format!("{days}日前 {}", at.format("%H:%M")),
                When::DayOf { at } => format!("当日 {}", at.format("%H:%M")),
                When::After { minutes } => format!("締切{}時間後（超過のお知らせ）", minutes / 60),
            })
            .collect();
        let quiet = format!(
            "{}〜{}{}は送りません",
            self.quiet.from.format("%H:%M"),
            self.quiet.until.format("%H:%M"),
            match (self.quiet.weekends, self.quiet.holidays) {
                (true, true) => "・土日祝・年末年始",
                (true, false) => "・土日",
                (false, true) => "・祝日・年末年始",
                (false, false) => "",
            }
        );
        format!("{}（{quiet}）", staff.join("、"))
    }

    /// The schedule of a meeting created at `now`. Rungs already past are not sent: they
    /// were never due while the meeting existed. When a reminder to staff is among them,
    /// one announcement of the meeting goes out at the first allowed moment instead (if
    /// that is before the deadline).
    pub fn schedule_from(
        &self,
        deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<(Step, DateTime<Utc>)> {
        let (past, mut future): (Vec<_>, Vec<_>) = self
            .schedule(deadline)
            .into_iter()
            .partition(|(_, due)| *due < now);
        let missed = past
            .iter()
            .any(|(s, _)| s.audience == Audience::Staff && !s.after_deadline());
        let at = self.quiet.next_allowed(now);
        if missed && at < deadline {
            future.insert(
                0,
                (
                    Step {
                        key: ANNOUNCE.into(),
                        when: When::DayOf {
                            at: at.with_timezone(&Tokyo).time(),
                        },
                        audience: Audience::Staff,
                    },
                    at,
                ),
            );
        }
        future
    }

    /// When each step falls for this deadline, quiet hours applied, in time order. A step
    /// meant for before the deadline that quiet hours push to or past it is dropped; two
    /// steps landing on the same moment keep the later rung only.
    pub fn schedule(&self, deadline: DateTime<Utc>) -> Vec<(Step, DateTime<Utc>)> {
        let day = deadline.with_timezone(&Tokyo).date_naive();
        let mut out: Vec<(Step, DateTime<Utc>)> = Vec::new();
        let mut moved: Vec<String> = Vec::new();
        for step in &self.steps {
            let raw = match step.when {
                When::DaysBefore { days, at } => {
                    jst(day - Duration::days(days as i64), at).with_timezone(&Utc)
                }
                When::DayOf { at } => jst(day, at).with_timezone(&Utc),
                When::After { minutes } => deadline + Duration::minutes(minutes as i64),
            };
            let due = self.quiet.next_allowed(raw);
            if !step.after_deadline() && due >= deadline {
                continue;
            }
            if due != raw {
                moved.push(step.key.clone());
            }
            out.push((step.clone(), due));
        }
        out.sort_by_key(|(s, due)| (*due, s.audience.as_str(), rung(s)));
        // Same audience, same moment: only the later rung says anything new.
        let mut kept: Vec<(Step, DateTime<Utc>)> = Vec::new();
        for (step, due) in out {
            if let Some(i) = kept
                .iter()
                .position(|(s, d)| *d == due && s.audience == step.audience)
            {
                kept[i] = (step, due);
            } else {
                kept.push((step, due));
            }
        }
        // A rung pushed by quiet hours to just before the next one (「1日前」 moved from
        // Sunday to Monday morning, the deadline's day) would make two messages an hour
        // apart: the later rung alone is sent.
        let mut i = 0;
        while i < kept.len() {
            let close = kept[i + 1..]
                .iter()
                .find(|(s, _)| s.audience == kept[i].0.audience)
                .is_some_and(|(_, next)| *next - kept[i].1 < Duration::hours(6));
            if close && moved.contains(&kept[i].0.key) && !kept[i].0.after_deadline() {
                kept.remove(i);
            } else {
                i += 1;
            }
        }
        kept
    }
}

/// Orders rungs from far to near the deadline.
fn rung(s: &Step) -> i64 {
    match s.when {
        When::DaysBefore { days, .. } => -(days as i64) * 10,
        When::DayOf { .. } => 0,
        When::After { minutes } => 1 + minutes as i64,
    }
}

/// What to do with the steps of one meeting and audience that are due now and not yet
/// handled (several of them after downtime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    /// The one step to send (the latest that still makes sense), if any.
    pub send: Option<String>,
    /// Steps folded into the one sent: never sent on their own.
    pub merged: Vec<String>,
    /// Steps about a deadline that has passed: never sent.
    pub expired: Vec<String>,
}

/// Decides a catch-up: at most one message per recipient, and nothing that talks about an
/// upcoming deadline once it has passed (only the overdue notice speaks after it).
pub fn catch_up(
    due: &[(Step, DateTime<Utc>)],
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CatchUp {
    let mut sorted: Vec<&(Step, DateTime<Utc>)> = due.iter().collect();
    sorted.sort_by_key(|(s, d)| (*d, rung(s)));
    let mut result = CatchUp {
        send: None,
        merged: Vec::new(),
        expired: Vec::new(),
    };
    let mut candidates = Vec::new();
    for (step, _) in sorted {
        if now >= deadline && !step.after_deadline() {
            result.expired.push(step.key.clone());
        } else {
            candidates.push(step.key.clone());
        }
    }
    if let Some(last) = candidates.pop() {
        result.send = Some(last);
        result.merged = candidates;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::{format_jst, parse_jst};

    fn keys(s: &[(Step, DateTime<Utc>)]) -> Vec<String> {
        s.iter()
            .map(|(s, d)| format!("{} {}", s.key, format_jst(*d)))
            .collect()
    }

    #[test]
    fn the_default_ladder() {
        // Friday 10 December 2021, 17:00.
        let deadline = parse_jst("2021-12-10 17:00").unwrap();
        let s = Policy::default().schedule(deadline);
        assert_eq!(
            keys(&s),
            [
                "7d 2021年12月3日(金) 09:00",
                "3d 2021年12月7日(火) 09:00",
                "digest-before 2021年12月9日(木) 09:00",
                "1d 2021年12月9日(木) 09:00",
                "day 2021年12月10日(金) 09:00",
                "digest-after 2021年12月10日(金) 17:00",
                "overdue 2021年12月10日(金) 18:00",
            ]
        );
    }

    #[test]
    fn a_meeting_created_late_announces_itself_once_instead_of_catching_up() {
        let p = Policy::default();
        let deadline = parse_jst("2021-12-10 17:00").unwrap();
        // Created on Tuesday evening, three days before: 7d and 3d are past.
        let s = p.schedule_from(deadline, parse_jst("2021-12-07 21:00").unwrap());
        assert_eq!(
            keys(&s),
            [
                "announce 2021年12月8日(水) 08:00",
                "digest-before 2021年12月9日(木) 09:00",
                "1d 2021年12月9日(木) 09:00",
                "day 2021年12月10日(金) 09:00",
                "digest-after 2021年12月10日(金) 17:00",
                "overdue 2021年12月10日(金) 18:00",
            ]
        );
        // Created in time: the ladder as it is.
        let early = parse_jst("2021-11-01 10:00").unwrap();
        assert_eq!(p.schedule_from(deadline, early), p.schedule(deadline));
    }

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let p = Policy::parse("14d,3d,day", hm(10, 0)).unwrap();
        let quieter = p
            .edited(&PolicyEdit {
                holidays: Some(false),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(quieter.steps, p.steps, "the ladder stays");
        assert!(!quieter.quiet.holidays);
        let later = quieter
            .edited(&PolicyEdit {
                at: Some(hm(13, 30)),
                ..Default::default()
            })
            .unwrap();
        assert!(
            later
                .describe()
                .starts_with("14日前 13:30、3日前 13:30、当日 13:30"),
            "{}",
            later.describe()
        );
        assert!(!later.quiet.holidays, "the quiet days stay");
        let new = later
            .edited(&PolicyEdit {
                ladder: Some("7d".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(
            new.describe().starts_with("7日前 13:30"),
            "{}",
            new.describe()
        );
    }

    #[test]
    fn no_reminders_on_holidays_or_over_the_new_year() {
        let q = QuietHours::default();
        // 海の日 2021 fell on Thursday 22 July, スポーツの日 on Friday 23 July.
        let t = q.next_allowed(parse_jst("2021-07-22 09:00").unwrap());
        assert_eq!(format_jst(t), "2021年7月24日(土) 08:00");
        let weekends = QuietHours {
            weekends: true,
            ..q
        };
        let t = weekends.next_allowed(parse_jst("2021-07-22 09:00").unwrap());
        assert_eq!(format_jst(t), "2021年7月26日(月) 08:00");
        // The usual Monday of 海の日 was a workday that year.
        let monday = parse_jst("2021-07-19 09:00").unwrap();
        assert_eq!(q.next_allowed(monday), monday);
        let t = q.next_allowed(parse_jst("2021-12-28 21:00").unwrap());
        assert_eq!(format_jst(t), "2022年1月4日(火) 08:00", "年末年始");
        let off = QuietHours {
            holidays: false,
            ..q
        };
        let t = off.next_allowed(parse_jst("2021-12-29 09:00").unwrap());
        assert_eq!(format_jst(t), "2021年12月29日(水) 09:00", "when asked to");
    }

    #[test]
    fn quiet_hours_and_weekends() {
        let q = QuietHours {
            weekends: true,
            ..QuietHours::default()
        };
        // Friday 22:30 → Monday 08:00.
        let t = q.next_allowed(parse_jst("2021-12-03 22:30").unwrap());
        assert_eq!(format_jst(t), "2021年12月6日(月) 08:00");
        // Tuesday 03:00 → Tuesday 08:00; Tuesday 12:00 stays.
        let t = q.next_allowed(parse_jst("2021-12-07 03:00").unwrap());
        assert_eq!(format_jst(t), "2021年12月7日(火) 08:00");
        let noon = parse_jst("2021-12-07 12:00").unwrap();
        assert_eq!(q.next_allowed(noon), noon);

        // Deadline Monday 10:00 with quiet weekends: 1d (Sunday) would move to Monday
        // 08:00, an hour before 「当日」, so only 「当日」 is sent; likewise the digest of the
        // day before gives way to the one right after the deadline.
        let p = Policy {
            quiet: q,
            ..Policy::default()
        };
        let s = p.schedule(parse_jst("2021-12-13 10:00").unwrap());
        assert_eq!(
            keys(&s),
            [
                "7d 2021年12月6日(月) 09:00",
                "3d 2021年12月10日(金) 09:00",
                "day 2021年12月13日(月) 09:00",
                "digest-after 2021年12月13日(月) 10:00",
                "overdue 2021年12月13日(月) 11:00",
            ]
        );
        // A deadline at 08:30: 「当日 09:00」 would be late, so it is dropped.
        let s = Policy::default().schedule(parse_jst("2021-12-10 08:30").unwrap());
        assert!(!s.iter().any(|(s, _)| s.key == "day"), "{:?}", keys(&s));
        // An overdue notice at 23:00 waits for the morning.
        let s = Policy::default().schedule(parse_jst("2021-12-10 22:00").unwrap());
        assert!(keys(&s).contains(&"overdue 2021年12月11日(土) 08:00".to_string()));
    }

    #[test]
    fn ladders_as_organizers_write_them() {
        let p = Policy::parse("14d, 2d,day,overdue+24h", hm(10, 0)).unwrap();
        assert_eq!(
            p.describe(),
            "14日前 10:00、2日前 10:00、当日 10:00、締切24時間後（超過のお知らせ）（20:00〜08:00・祝日・年末年始は送りません）"
        );
        for bad in ["7x", "0d", "overdue+x", "7d,7d", "明日"] {
            assert!(Policy::parse(bad, hm(9, 0)).is_err(), "{bad}");
        }
    }

    #[test]
    fn catching_up_after_downtime() {
        let deadline = parse_jst("2021-12-10 17:00").unwrap();
        let s = Policy::default().schedule(deadline);
        let staff: Vec<_> = s
            .iter()
            .filter(|(s, _)| s.audience == Audience::Staff)
            .cloned()
            .collect();
        // Down from before 3d until after 1d: one message, the 1d one.
        let now = parse_jst("2021-12-09 12:00").unwrap();
        let due: Vec<_> = staff.iter().filter(|(_, d)| *d <= now).cloned().collect();
        let c = catch_up(&due[1..], deadline, now);
        assert_eq!(c.send.as_deref(), Some("1d"));
        assert_eq!(c.merged, ["3d"]);
        // Down until after the deadline: only the overdue notice.
        let now = parse_jst("2021-12-11 09:00").unwrap();
        let c = catch_up(&staff[1..], deadline, now);
        assert_eq!(c.send.as_deref(), Some("overdue"));
        assert_eq!(c.expired, ["3d", "1d", "day"]);
        assert!(c.merged.is_empty());
    }
}
