//! `nimo meeting create | edit | list | status | remind | export`: meetings, their
//! participants and reminders, and the export of their submissions. The terminal is the
//! operator's: these commands need no role.

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;
use crate::app::meetings::{MeetingEdit, MeetingPlan};
use crate::cli::reply::exit_for;
use crate::cli::{MeetingCommand, SetupArgs, render};
use crate::domain::clock::{format_jst, parse_jst};
use crate::domain::era::parse_fiscal_year;
use crate::domain::meetings::ladder::PolicyEdit;
use crate::domain::meetings::reminders::{Notice, Reach, progress_text};
use crate::domain::people::PersonId;
use crate::domain::ports::{Courier, DeliveryError};

pub async fn run(
    app: &App,
    cmd: &MeetingCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    match cmd {
        MeetingCommand::Create {
            name,
            form,
            deadline,
            fiscal_year,
            date,
            setup,
        } => {
            let read = meeting_dates(Some(deadline), fiscal_year.as_deref(), date.as_deref())
                .and_then(|dates| Ok((dates, setup_edit(setup, MeetingEdit::default())?)));
            let (dates, edit) = match read {
                Ok(x) => x,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            let plan = MeetingPlan {
                name: name.clone(),
                form: form.clone(),
                deadline: dates.deadline.expect("a deadline was given"),
                fiscal_year: dates.fiscal_year,
                meeting_date: dates.date,
            };
            match app.meetings.create(None, plan, edit).await {
                Ok((m, setup)) => {
                    writeln!(
                        out,
                        "会議 {} を作成しました: {}（{}・締切 {}）",
                        m.id,
                        m.name,
                        m.form_reference(),
                        m.deadline_text()
                    )?;
                    writeln!(out, "リマインダー: {}", setup.policy.describe())?;
                }
                Err(e) => return exit_for(out, e),
            }
        }
        MeetingCommand::Edit {
            id,
            name,
            deadline,
            fiscal_year,
            date,
            form_version,
            add_region,
            remove_region,
            setup,
        } => {
            let edit = MeetingEdit {
                name: name.clone(),
                form_version: form_version.clone(),
                add_regions: add_region.clone(),
                remove_regions: remove_region.clone(),
                ..Default::default()
            };
            let read = meeting_dates(deadline.as_deref(), fiscal_year.as_deref(), date.as_deref())
                .and_then(|dates| {
                    setup_edit(
                        setup,
                        MeetingEdit {
                            deadline: dates.deadline,
                            fiscal_year: dates.fiscal_year,
                            meeting_date: dates.date,
                            ..edit
                        },
                    )
                });
            let edit = match read {
                Ok(e) => e,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            match app.meetings.edit(None, *id, edit).await {
                Ok((m, setup)) => {
                    writeln!(
                        out,
                        "会議 {} を更新しました: {}（{}・締切 {}）",
                        m.id,
                        m.name,
                        m.form_reference(),
                        m.deadline_text()
                    )?;
                    writeln!(out, "参加地域: {}地域", setup.regions.len())?;
                    writeln!(out, "リマインダー: {}", setup.policy.describe())?;
                }
                Err(e) => return exit_for(out, e),
            }
        }
        MeetingCommand::Status { id } => {
            let status = match app.meetings.status(None, Some(*id)).await {
                Ok(s) => s,
                Err(e) => return exit_for(out, e),
            };
            writeln!(
                out,
                "{}（締切 {}）提出 {}/{} 地域",
                status.meeting.name,
                status.meeting.deadline_text(),
                status.submitted(),
                status.regions.len()
            )?;
            for r in &status.regions {
                writeln!(
                    out,
                    "  {}　{}{}",
                    r.region_name,
                    progress_text(&r.progress),
                    if r.staff.is_empty() {
                        "　（担当者未登録）".to_string()
                    } else {
                        format!("　担当: {}", r.staff.join("、"))
                    }
                )?;
            }
            writeln!(out, "リマインダーの予定:")?;
            for s in app.meetings.schedule(*id).await? {
                writeln!(
                    out,
                    "  {}　{}　{}",
                    format_jst(s.due_at),
                    crate::domain::meetings::ladder::step_label(&s.step),
                    s.state.label()
                )?;
            }
        }
        MeetingCommand::Remind => {
            // Only people of the terminal: Discord users and channels are the bot's to
            // reach, and stay waiting for it.
            let report = app.reminders.tick(&ConsoleCourier).await?;
            writeln!(
                out,
                "送信 {}件（チャンネルへ {}件）、再試行待ち {}件、失敗 {}件",
                report.sent, report.fallbacks, report.retried, report.failed
            )?;
        }
        MeetingCommand::List => {
            for s in app.meetings.list().await? {
                let m = &s.meeting;
                writeln!(
                    out,
                    "{}: {}　{}　締切 {}{}　提出 {}／下書き {}",
                    m.id,
                    m.name,
                    m.form_reference(),
                    m.deadline_text(),
                    if s.open {
                        "（受付中）"
                    } else {
                        "（締切済み）"
                    },
                    s.submitted,
                    s.drafts
                )?;
            }
        }
        MeetingCommand::Export { id, out: dir } => match app.assignments.export(*id).await {
            Ok(export) => {
                std::fs::create_dir_all(dir)?;
                for (ext, bytes) in [
                    ("md", export.markdown.as_bytes()),
                    ("csv", &export.csv[..]),
                    ("xlsx", &export.xlsx[..]),
                ] {
                    let path = dir.join(format!("meeting-{id}.{ext}"));
                    std::fs::write(&path, bytes)?;
                    writeln!(out, "{}", path.display())?;
                }
                writeln!(out, "{}地域の提出を書き出しました。", export.submitted)?;
                for note in &export.notes {
                    writeln!(out, "※ {note}")?;
                }
            }
            Err(e) => return exit_for(out, e),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// The dates an organizer types for a meeting (each optional), read in Japan time.
struct MeetingDates {
    deadline: Option<chrono::DateTime<chrono::Utc>>,
    fiscal_year: Option<i32>,
    date: Option<chrono::NaiveDate>,
}

/// Reads the dates of `meeting create` and `meeting edit`, or says in Japanese which one
/// could not be read.
fn meeting_dates(
    deadline: Option<&str>,
    fiscal_year: Option<&str>,
    date: Option<&str>,
) -> Result<MeetingDates, String> {
    Ok(MeetingDates {
        deadline: deadline
            .map(|d| {
                parse_jst(d).ok_or_else(|| {
                    format!("締切「{d}」を読み取れませんでした（例: 2026-12-10 17:00）。")
                })
            })
            .transpose()?,
        fiscal_year: fiscal_year
            .map(|y| {
                parse_fiscal_year(y).ok_or_else(|| format!("年度「{y}」を読み取れませんでした。"))
            })
            .transpose()?,
        date: date
            .map(|d| {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("開催日「{d}」を読み取れませんでした（例: 2026-12-20）。"))
            })
            .transpose()?,
    })
}

/// Turns the command line's setup options into an edit.
fn setup_edit(args: &SetupArgs, mut edit: MeetingEdit) -> Result<MeetingEdit, String> {
    let list = |s: &str| -> Vec<String> {
        s.split([',', '、'])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    if let Some(r) = &args.regions {
        edit.regions = Some(list(r));
    }
    if let Some(o) = &args.organizers {
        edit.organizers = Some(
            list(o)
                .iter()
                .map(|p| p.parse::<PersonId>())
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(c) = &args.channel {
        edit.channel = Some(Some(c.trim().to_string()).filter(|c| !c.is_empty()));
    }
    let time = |s: &str| {
        chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| format!("時刻「{s}」を読み取れませんでした（例: 09:00）。"))
    };
    let policy = PolicyEdit {
        ladder: args.ladder.clone(),
        at: args.at.as_deref().map(time).transpose()?,
        quiet: match &args.quiet {
            Some(q) => {
                let (from, until) = q.split_once('-').ok_or_else(|| {
                    format!("静かな時間「{q}」は 20:00-08:00 のように書いてください。")
                })?;
                Some((time(from)?, time(until)?))
            }
            None => None,
        },
        weekends: args.quiet_weekends,
        holidays: args.quiet_holidays,
    };
    if policy != PolicyEdit::default() {
        edit.policy = Some(policy);
    }
    Ok(edit)
}

/// Without Discord: notices to people of the terminal are printed for the organizer to
/// pass on, each as it is delivered (a crash loses none already counted as sent).
struct ConsoleCourier;

impl ConsoleCourier {
    fn print(to: &str, notice: &Notice) -> Result<(), DeliveryError> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "→ {to}\n{}\n", render::notice(notice))
            .and_then(|_| out.flush())
            .map_err(|e| DeliveryError::Transient(format!("writing to the terminal: {e}")))
    }
}

#[async_trait::async_trait]
impl Courier for ConsoleCourier {
    fn reach(&self) -> Reach {
        Reach::Terminal
    }

    async fn to_person(
        &self,
        person: &PersonId,
        notice: &Notice,
        _nonce: &str,
    ) -> Result<(), DeliveryError> {
        Self::print(&person.to_string(), notice)
    }

    async fn to_channel(
        &self,
        channel: &str,
        notice: &Notice,
        _nonce: &str,
    ) -> Result<(), DeliveryError> {
        Self::print(&format!("チャンネル {channel}"), notice)
    }
}
