//! Meetings, deadlines and reminders on a clock the tests move: the whole ladder,
//! submission stopping reminders, a moved deadline, downtime, two schedulers on one
//! database, a crash between send and record, undeliverable DMs.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use nimo::app::App;
use nimo::app::meetings::MeetingEdit;
use nimo::app::reminders::CLAIM;
use nimo::domain::clock::{Clock, ManualClock, format_jst, parse_jst};
use nimo::domain::ids::MeetingId;
use nimo::domain::meetings::reminders::{DeliveryState, Notice, Reach, StepState, Via};
use nimo::domain::people::{PersonId, Role};
use nimo::domain::ports::{Courier, DeliveryError};

use crate::helpers::{Seed, clock_at, person, say, seed_meeting, spawn_app, submit_form_a};

/// A courier that behaves like Discord for what matters here: a nonce already seen
/// returns the message already created.
#[derive(Default)]
struct Recorder {
    clock: Option<Arc<ManualClock>>,
    sent: Mutex<Vec<Sent>>,
    nonces: Mutex<HashSet<String>>,
    closed: Mutex<HashSet<String>>,
    /// Transient failures still to return, for one recipient.
    flaky: Mutex<Option<(String, usize)>>,
    /// Panics after creating the message (a crash before the result is recorded).
    crash_after_send: Mutex<bool>,
    /// Reaches only people of the terminal, like `nimo meeting remind`.
    terminal: bool,
}

#[derive(Debug, Clone)]
struct Sent {
    at: DateTime<Utc>,
    to: String,
    notice: Notice,
}

impl Recorder {
    fn new(clock: Arc<ManualClock>) -> Arc<Recorder> {
        Arc::new(Recorder {
            clock: Some(clock),
            ..Default::default()
        })
    }

    fn record(&self, to: String, notice: &Notice, nonce: &str) -> Result<(), DeliveryError> {
        {
            let mut flaky = self.flaky.lock().unwrap();
            if let Some((who, n)) = flaky.as_mut()
                && *who == to
                && *n > 0
            {
                *n -= 1;
                return Err(DeliveryError::Transient("HTTP 503".into()));
            }
        }
        if self.nonces.lock().unwrap().insert(nonce.to_string()) {
            self.sent.lock().unwrap().push(Sent {
                at: self.clock.as_ref().unwrap().now(),
                to,
                notice: notice.clone(),
            });
        }
        if std::mem::take(&mut *self.crash_after_send.lock().unwrap()) {
            panic!("the process dies after Discord created the message");
        }
        Ok(())
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// (JST time, recipient, kind) of everything sent, in time order (and by recipient
    /// within the same minute).
    fn log(&self) -> Vec<String> {
        let mut log: Vec<String> = self
            .sent()
            .iter()
            .map(|s| {
                let kind = match &s.notice {
                    Notice::Reminder {
                        overdue, nudged, ..
                    } => {
                        if *overdue {
                            "overdue"
                        } else if *nudged {
                            "nudge"
                        } else {
                            "reminder"
                        }
                    }
                    Notice::Digest { after_deadline, .. } => {
                        if *after_deadline {
                            "digest-after"
                        } else {
                            "digest"
                        }
                    }
                    Notice::Undeliverable { .. } => "flag",
                };
                format!("{} {} {kind}", format_jst(s.at), s.to)
            })
            .collect();
        log.sort_by_key(|l| {
            let at = l.rsplitn(3, ' ').nth(2).unwrap_or_default().to_string();
            (parse_jst(&jst_to_iso(&at)), l.clone())
        });
        log
    }
}

#[async_trait]
impl Courier for Recorder {
    fn reach(&self) -> Reach {
        if self.terminal {
            Reach::Terminal
        } else {
            Reach::Everyone
        }
    }

    async fn to_person(
        &self,
        person: &PersonId,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        if self.closed.lock().unwrap().contains(&person.to_string()) {
            return Err(DeliveryError::Unreachable("50007".into()));
        }
        self.record(person.to_string(), notice, nonce)
    }

    async fn to_channel(
        &self,
        channel: &str,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        self.record(format!("channel:{channel}"), notice, nonce)
    }
}

/// 「2021年12月3日(金) 09:00」 → 「2021-12-03 09:00」.
fn jst_to_iso(s: &str) -> String {
    let digits: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().unwrap())
        .collect();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        digits[0], digits[1], digits[2], digits[3], digits[4]
    )
}

const YAMADA: &str = "discord:3001";
const SATO: &str = "discord:3002";
const ORGANIZER: &str = "discord:3009";

/// A form A meeting, deadline Friday 10 December 2021 17:00, with 世田谷区 (山田) and
/// 葛飾区 (佐藤), an organizer and a channel.
async fn meeting(app: &App) -> MeetingId {
    seed_meeting(app, Seed::two_wards_on_discord()).await
}

/// Moves the clock hour by hour until `until`, ticking each time.
async fn run_until(app: &App, clock: &ManualClock, courier: &Recorder, until: &str) {
    let until = parse_jst(until).unwrap();
    while clock.now() < until {
        clock.advance(Duration::hours(1));
        app.reminders.tick(courier).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_ladder_and_a_submission_stops_it() {
    let clock = clock_at("2021-11-30 00:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = meeting(&app).await;
    let courier = Recorder::new(clock.clone());

    // 山田 has started: the reminder says how far and what is missing.
    app.assignments
        .begin(&person(YAMADA), "山田", None, None)
        .await
        .unwrap();
    say(&app, YAMADA, "地域移行｜病院訪問を始めた").await;

    run_until(&app, &clock, &courier, "2021-12-08 12:00").await;
    // 佐藤 submits on Wednesday; 葛飾区 hears no more.
    submit_form_a(&app, SATO).await;
    run_until(&app, &clock, &courier, "2021-12-13 00:00").await;

    assert_eq!(
        courier.log(),
        [
            "2021年12月3日(金) 09:00 discord:3001 reminder",
            "2021年12月3日(金) 09:00 discord:3002 reminder",
            "2021年12月7日(火) 09:00 discord:3001 reminder",
            "2021年12月7日(火) 09:00 discord:3002 reminder",
            "2021年12月9日(木) 09:00 discord:3001 reminder",
            "2021年12月9日(木) 09:00 discord:3009 digest",
            "2021年12月10日(金) 09:00 discord:3001 reminder",
            "2021年12月10日(金) 17:00 discord:3009 digest-after",
            "2021年12月10日(金) 18:00 discord:3001 overdue",
        ]
    );
    let sent = courier.sent();
    let first_to_yamada = sent.iter().find(|s| s.to == YAMADA).unwrap();
    match &first_to_yamada.notice {
        Notice::Reminder {
            region_name,
            missing_sections,
            answered,
            total,
            deadline,
            ..
        } => {
            assert_eq!(region_name, "世田谷区");
            assert_eq!(*answered, 1);
            assert_eq!(*total, 4);
            assert_eq!(*deadline, parse_jst("2021-12-10 17:00").unwrap());
            assert!(!missing_sections.iter().any(|s| s.contains("達成目標")));
            assert!(missing_sections.iter().any(|s| s.contains("成果")));
        }
        other => panic!("{other:?}"),
    }
    let digest = sent
        .iter()
        .find(|s| matches!(s.notice, Notice::Digest { .. }))
        .unwrap();
    match &digest.notice {
        Notice::Digest {
            submitted,
            total,
            missing,
            nudge,
            ..
        } => {
            assert_eq!((*submitted, *total), (1, 2));
            assert_eq!(
                missing,
                &[("世田谷区".to_string(), "下書き 1/4問".to_string())]
            );
            assert_eq!(nudge, &["東京都/世田谷区".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    let schedule = app.meetings.schedule(id).await.unwrap();
    assert!(
        schedule.iter().all(|s| s.state == StepState::Done),
        "{schedule:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_deadline_reschedules_and_nudges_come_once() {
    let clock = clock_at("2021-12-01 00:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = meeting(&app).await;
    let courier = Recorder::new(clock.clone());
    run_until(&app, &clock, &courier, "2021-12-04 00:00").await;
    assert_eq!(
        courier.sent().len(),
        2,
        "7 days before: {:?}",
        courier.log()
    );

    // The deadline moves a week later: the rungs not yet sent move with it; the 7-day
    // one is not sent again.
    app.meetings
        .edit(
            Some(&person(ORGANIZER)),
            id,
            MeetingEdit {
                deadline: Some(parse_jst("2021-12-17 17:00").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    run_until(&app, &clock, &courier, "2021-12-11 00:00").await;
    assert_eq!(
        courier.sent().len(),
        2,
        "nothing at the old dates: {:?}",
        courier.log()
    );
    run_until(&app, &clock, &courier, "2021-12-14 12:00").await;
    assert_eq!(
        courier.log()[2..],
        [
            "2021年12月14日(火) 09:00 discord:3001 reminder",
            "2021年12月14日(火) 09:00 discord:3002 reminder",
        ]
    );

    // Staff may not edit meetings; an organizer nudges, a double click sends once.
    let refused = app
        .meetings
        .edit(Some(&person(YAMADA)), id, MeetingEdit::default())
        .await;
    assert!(refused.is_err());
    let org = person(ORGANIZER);
    let msg = app
        .reminders
        .nudge(&org, id, Some("東京都/世田谷区"))
        .await
        .unwrap();
    assert!(msg.contains("世田谷区の担当者（1名）に催促"), "{msg}");
    let again = app
        .reminders
        .nudge(&org, id, Some("東京都/世田谷区"))
        .await
        .unwrap();
    assert!(again.contains("1時間以内"), "{again}");
    app.reminders.tick(courier.as_ref()).await.unwrap();
    assert_eq!(
        courier.log().last().unwrap(),
        "2021年12月14日(火) 12:00 discord:3001 nudge"
    );
    assert_eq!(courier.sent().len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn downtime_gives_one_catch_up_and_nothing_stale() {
    let clock = clock_at("2021-12-01 00:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = meeting(&app).await;
    let courier = Recorder::new(clock.clone());
    run_until(&app, &clock, &courier, "2021-12-04 00:00").await;
    assert_eq!(courier.sent().len(), 2);

    // Down from Saturday until Thursday noon: the 3-day and 1-day rungs passed. One
    // message each, the nearer one; the organizers' digest is due too.
    clock.set(parse_jst("2021-12-09 12:00").unwrap());
    let report = app.reminders.tick(courier.as_ref()).await.unwrap();
    assert_eq!(report.merged, 1, "{report:?}");
    assert_eq!(
        courier.log()[2..],
        [
            "2021年12月9日(木) 12:00 discord:3001 reminder",
            "2021年12月9日(木) 12:00 discord:3002 reminder",
            "2021年12月9日(木) 12:00 discord:3009 digest",
        ]
    );
    // Down again until after the deadline: no 「当日」 reminder about a passed deadline,
    // only the overdue notice (and the digest after the deadline).
    clock.set(parse_jst("2021-12-11 10:00").unwrap());
    let report = app.reminders.tick(courier.as_ref()).await.unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(
        courier.log()[5..],
        [
            "2021年12月11日(土) 10:00 discord:3001 overdue",
            "2021年12月11日(土) 10:00 discord:3002 overdue",
            "2021年12月11日(土) 10:00 discord:3009 digest-after",
        ]
    );
    let states: HashMap<String, StepState> = app
        .meetings
        .schedule(id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step, s.state))
        .collect();
    assert_eq!(states["3d"], StepState::Merged);
    assert_eq!(states["day"], StepState::Expired);
    assert_eq!(states["overdue"], StepState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_schedulers_on_one_database_send_each_reminder_once() {
    let clock = clock_at("2021-12-01 00:00");
    let t = spawn_app(clock.clone()).await;
    let first = t.app.clone();
    let id = meeting(&first).await;
    // Many staff, so the two processes really compete.
    let cities = [
        "札幌市",
        "仙台市",
        "千葉市",
        "横浜市",
        "新潟市",
        "静岡市",
        "名古屋市",
        "京都市",
    ];
    let mut regions: Vec<String> = cities.iter().map(|c| c.to_string()).collect();
    regions.extend(["世田谷区".to_string(), "葛飾区".to_string()]);
    for (i, c) in cities.iter().enumerate() {
        for j in 0..5 {
            first
                .assignments
                .grant(
                    &PersonId::discord((4000 + i * 10 + j) as u64),
                    c,
                    Role::Staff,
                    Some(c),
                    None,
                )
                .await
                .unwrap();
        }
    }
    first
        .meetings
        .edit(
            None,
            id,
            MeetingEdit {
                regions: Some(regions),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let other = t.another_process().await;
    let second = other.app.clone();
    let courier = Recorder::new(clock.clone());
    let t = parse_jst("2021-12-03 09:00").unwrap();
    clock.set(t);
    let (a, b) = tokio::join!(
        first.reminders.tick(courier.as_ref()),
        second.reminders.tick(courier.as_ref())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for _ in 0..3 {
        first.reminders.tick(courier.as_ref()).await.unwrap();
        second.reminders.tick(courier.as_ref()).await.unwrap();
    }
    let sent = courier.sent();
    assert_eq!(sent.len(), 42, "40 + 山田 + 佐藤: {:?}", courier.log());
    let unique: HashSet<&String> = sent.iter().map(|s| &s.to).collect();
    assert_eq!(unique.len(), 42, "nobody twice");
    assert_eq!(
        a.steps + b.steps,
        1,
        "one process took the rung: {a:?} {b:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_send_and_record_does_not_send_twice() {
    let clock = clock_at("2021-12-03 08:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    meeting(&app).await;
    let courier = Recorder::new(clock.clone());
    *courier.crash_after_send.lock().unwrap() = true;
    clock.set(parse_jst("2021-12-03 09:00").unwrap());
    // The process dies right after the first message was created.
    let dying = {
        let reminders = app.reminders.clone();
        let courier = courier.clone();
        tokio::spawn(async move { reminders.tick(courier.as_ref()).await })
    };
    assert!(dying.await.unwrap_err().is_panic());
    assert_eq!(courier.sent().len(), 1);
    drop(app);

    // A new process on the same database: the claim has not run out, nothing moves…
    let other = t.another_process().await;
    let restarted = other.app.clone();
    restarted.reminders.tick(courier.as_ref()).await.unwrap();
    assert_eq!(courier.sent().len(), 1);
    // …after it has, the same delivery is sent again with the same nonce, which Discord
    // recognises: still one message for 山田, and 佐藤 gets his.
    clock.advance(CLAIM + Duration::seconds(1));
    restarted.reminders.tick(courier.as_ref()).await.unwrap();
    let log = courier.log();
    assert_eq!(log.len(), 2, "{log:?}");
    let to: HashSet<String> = courier.sent().into_iter().map(|s| s.to).collect();
    assert_eq!(to, HashSet::from([YAMADA.to_string(), SATO.to_string()]));
    let deliveries = restarted
        .reminders
        .deliveries(MeetingId::new(1))
        .await
        .unwrap();
    assert!(
        deliveries.iter().all(|d| d.state == DeliveryState::Sent),
        "{deliveries:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_dms_fall_back_to_the_channel_and_failures_are_retried() {
    let clock = clock_at("2021-12-03 08:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = meeting(&app).await;
    let courier = Recorder::new(clock.clone());
    courier.closed.lock().unwrap().insert(YAMADA.to_string());
    *courier.flaky.lock().unwrap() = Some((SATO.to_string(), 1));
    clock.set(parse_jst("2021-12-03 09:00").unwrap());
    let report = app.reminders.tick(courier.as_ref()).await.unwrap();
    assert_eq!((report.fallbacks, report.retried), (1, 1), "{report:?}");
    // 山田's reminder went to the channel, naming him; the organizer was told.
    let log = courier.log();
    assert!(
        log.contains(&"2021年12月3日(金) 09:00 channel:5000 reminder".to_string()),
        "{log:?}"
    );
    assert!(
        log.contains(&"2021年12月3日(金) 09:00 discord:3009 flag".to_string()),
        "{log:?}"
    );
    let in_channel = courier
        .sent()
        .into_iter()
        .find(|s| s.to == "channel:5000")
        .unwrap();
    assert!(matches!(
        in_channel.notice,
        Notice::Reminder { for_person: Some(ref p), .. } if *p == person(YAMADA)
    ));
    // 佐藤's failed once (503) and waits its backoff; a minute later it goes out.
    assert!(!log.iter().any(|l| l.contains("discord:3002")));
    clock.advance(Duration::minutes(1));
    app.reminders.tick(courier.as_ref()).await.unwrap();
    assert!(
        courier
            .log()
            .contains(&"2021年12月3日(金) 09:01 discord:3002 reminder".to_string())
    );
    let deliveries = app.reminders.deliveries(id).await.unwrap();
    let sato = deliveries
        .iter()
        .find(|d| d.recipient.to_text() == SATO)
        .unwrap();
    assert_eq!((sato.attempts, sato.state), (2, DeliveryState::Sent));
    let yamada = deliveries
        .iter()
        .find(|d| d.recipient.to_text() == YAMADA)
        .unwrap();
    assert_eq!(yamada.via, Some(Via::Channel));
}

/// `nimo meeting remind` in the terminal delivers to people of the terminal only: the
/// Discord users' reminders stay for the bot, which then sends them.
#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_leaves_discord_reminders_to_the_bot() {
    let clock = clock_at("2021-12-01 00:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = seed_meeting(
        &app,
        Seed {
            staff: vec![
                ("discord:3001", "山田", "東京都世田谷区"),
                ("local:佐藤", "佐藤", "東京都葛飾区"),
            ],
            regions: vec!["世田谷区", "葛飾区"],
            ..Default::default()
        },
    )
    .await;
    clock.set(parse_jst("2021-12-03 09:00").unwrap());
    let terminal = Arc::new(Recorder {
        clock: Some(clock.clone()),
        terminal: true,
        ..Default::default()
    });
    let report = app.reminders.tick(terminal.as_ref()).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(
        terminal.log(),
        ["2021年12月3日(金) 09:00 local:佐藤 reminder"]
    );
    let waiting: Vec<DeliveryState> = app
        .reminders
        .deliveries(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.recipient.to_text() == YAMADA)
        .map(|d| d.state)
        .collect();
    assert_eq!(waiting, [DeliveryState::Pending], "left for the bot");
    let bot = Recorder::new(clock.clone());
    app.reminders.tick(bot.as_ref()).await.unwrap();
    assert_eq!(bot.log(), ["2021年12月3日(金) 09:00 discord:3001 reminder"]);
}

/// A region nobody is registered for is said so — to the organizer who nudges it, and in
/// the digest — instead of being skipped without a word.
#[tokio::test(flavor = "multi_thread")]
async fn a_region_without_staff_is_named_not_skipped() {
    let clock = clock_at("2021-12-01 00:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    let id = seed_meeting(
        &app,
        Seed {
            staff: vec![("discord:3001", "山田", "東京都世田谷区")],
            organizers: vec![("discord:3009", "事務局")],
            regions: vec!["世田谷区", "葛飾区"],
            ..Default::default()
        },
    )
    .await;
    let msg = app
        .reminders
        .nudge(&person(ORGANIZER), id, Some("東京都/葛飾区"))
        .await
        .unwrap();
    assert!(msg.contains("催促できない地域があります: 葛飾区"), "{msg}");
    assert!(!msg.contains("0名"), "{msg}");
    let courier = Recorder::new(clock.clone());
    clock.set(parse_jst("2021-12-09 09:00").unwrap());
    app.reminders.tick(courier.as_ref()).await.unwrap();
    let digest = courier
        .sent()
        .into_iter()
        .find_map(|s| match s.notice {
            Notice::Digest { unstaffed, .. } => Some(unstaffed),
            _ => None,
        })
        .expect("a digest the day before");
    assert_eq!(digest, ["葛飾区"]);
}

/// A meeting created three days before its deadline does not, at the next tick, remind
/// everyone of the rungs that were never due while it existed: it announces itself once.
#[tokio::test(flavor = "multi_thread")]
async fn a_meeting_created_late_is_announced_once() {
    let clock = clock_at("2021-12-07 21:00");
    let t = spawn_app(clock.clone()).await;
    let app = t.app.clone();
    meeting(&app).await;
    let courier = Recorder::new(clock.clone());
    app.reminders.tick(courier.as_ref()).await.unwrap();
    assert!(
        courier.sent().is_empty(),
        "nothing at night: {:?}",
        courier.log()
    );
    run_until(&app, &clock, &courier, "2021-12-08 12:00").await;
    let sent = courier.sent();
    assert_eq!(courier.log().len(), 2, "{:?}", courier.log());
    assert!(
        sent.iter().all(|s| matches!(
            s.notice,
            Notice::Reminder {
                announcement: true,
                ..
            }
        )),
        "{sent:?}"
    );
}
