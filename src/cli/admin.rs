//! Organizer commands on the terminal: forms, meetings, people, exports. The terminal is
//! the operator's: these commands need no role.

use std::io::Write;
use std::process::ExitCode;

use super::{FormCommand, MeetingCommand, PeopleCommand, SetupArgs, parse_year, person_id};
use crate::app::assignments::AssignmentError;
use crate::app::reminders::MeetingEdit;
use crate::domain::clock::format_jst;
use crate::domain::clock::parse_jst;
use crate::domain::people::{GrantStatus, Role};
use crate::domain::ports::NewMeeting;
use crate::domain::meetings::reminders::{Policy, progress_text};
use crate::setup::Opened;

fn refused(out: &mut impl Write, e: AssignmentError) -> anyhow::Result<ExitCode> {
    match e {
        AssignmentError::Refused(m) => {
            writeln!(out, "{m}")?;
            Ok(ExitCode::from(2))
        }
        AssignmentError::Internal(e) => Err(e.into()),
    }
}

pub async fn form(
    opened: &Opened,
    cmd: &FormCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let a = &opened.assignments;
    match cmd {
        FormCommand::List => {
            for f in a.store().forms().await? {
                writeln!(
                    out,
                    "{}  {}（{}問）",
                    f.reference(),
                    f.title,
                    f.asked().len()
                )?;
            }
        }
        FormCommand::Load { file } => {
            let text = std::fs::read_to_string(file)?;
            match a.load_form(&text).await {
                Ok((f, true)) => writeln!(
                    out,
                    "フォーム {} を登録しました（{}問）。",
                    f.reference(),
                    f.asked().len()
                )?,
                Ok((f, false)) => writeln!(
                    out,
                    "フォーム {} は登録済みです（同じ内容）。",
                    f.reference()
                )?,
                Err(e) => return refused(out, e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn meeting(
    opened: &Opened,
    cmd: &MeetingCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let a = &opened.assignments;
    match cmd {
        MeetingCommand::Create {
            name,
            form,
            deadline,
            fiscal_year,
            date,
            setup,
        } => {
            let edit = match setup_edit(setup, MeetingEdit::default()) {
                Ok(e) => e,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            let dates = match meeting_dates(Some(deadline), fiscal_year.as_deref(), date.as_deref())
            {
                Ok(d) => d,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            let deadline = dates.deadline.expect("a deadline was given");
            let (fiscal_year, meeting_date) = (dates.fiscal_year, dates.date);
            let (form_id, version) = match form.split_once('@') {
                Some((id, v)) => (id.to_string(), v.to_string()),
                None => {
                    let latest = a
                        .store()
                        .forms()
                        .await?
                        .into_iter()
                        .filter(|f| &f.id == form)
                        .map(|f| f.version)
                        .max();
                    match latest {
                        Some(v) => (form.clone(), v),
                        None => {
                            writeln!(out, "フォーム「{form}」がありません（nimo form list）。")?;
                            return Ok(ExitCode::from(2));
                        }
                    }
                }
            };
            match a
                .create_meeting(NewMeeting {
                    name: name.clone(),
                    fiscal_year,
                    form_id,
                    form_version: version,
                    deadline,
                    meeting_date,
                })
                .await
            {
                Ok(m) => {
                    // Participants, organizers and the ladder, and the first schedule.
                    let (_, setup) = match opened.reminders.edit(None, m.id, edit).await {
                        Ok(x) => x,
                        Err(e) => return refused(out, e),
                    };
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
                Err(e) => return refused(out, e),
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
            let mut edit = MeetingEdit {
                name: name.clone(),
                form_version: form_version.clone(),
                add_regions: add_region.clone(),
                remove_regions: remove_region.clone(),
                ..Default::default()
            };
            let dates =
                match meeting_dates(deadline.as_deref(), fiscal_year.as_deref(), date.as_deref()) {
                    Ok(d) => d,
                    Err(m) => {
                        writeln!(out, "{m}")?;
                        return Ok(ExitCode::from(2));
                    }
                };
            edit.deadline = dates.deadline;
            edit.fiscal_year = dates.fiscal_year;
            edit.meeting_date = dates.date;
            let edit = match setup_edit(setup, edit) {
                Ok(e) => e,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            match opened.reminders.edit(None, *id, edit).await {
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
                Err(e) => return refused(out, e),
            }
        }
        MeetingCommand::Status { id } => {
            let status = match opened.reminders.status(*id).await {
                Ok(s) => s,
                Err(e) => return refused(out, e),
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
            for s in opened.reminders.schedule(*id).await? {
                let state = match s.state.as_str() {
                    "pending" => "予定",
                    "done" => "送信済み",
                    "merged" => "まとめて送信",
                    _ => "締切後のため送らず",
                };
                writeln!(out, "  {}　{}　{}", format_jst(s.due_at), s.step, state)?;
            }
        }
        MeetingCommand::Remind => {
            let courier = ConsoleCourier(std::sync::Mutex::new(Vec::new()));
            let report = opened.reminders.tick(&courier).await?;
            for line in courier.0.into_inner().unwrap_or_default() {
                writeln!(out, "{line}")?;
            }
            writeln!(
                out,
                "送信 {}件（チャンネルへ {}件）、再試行待ち {}件、失敗 {}件",
                report.sent, report.fallbacks, report.retried, report.failed
            )?;
        }
        MeetingCommand::List => {
            let now = a.now();
            for m in a.store().meetings().await? {
                let subs = a.store().submissions(m.id).await?;
                let submitted = subs.iter().filter(|s| s.submitted_version > 0).count();
                writeln!(
                    out,
                    "{}: {}　{}　締切 {}{}　提出 {}／下書き {}",
                    m.id,
                    m.name,
                    m.form_reference(),
                    m.deadline_text(),
                    if m.is_open(now) {
                        "（受付中）"
                    } else {
                        "（締切済み）"
                    },
                    submitted,
                    subs.len() - submitted
                )?;
            }
        }
        MeetingCommand::Export { id, out: dir } => match a.export(*id).await {
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
            }
            Err(e) => return refused(out, e),
        },
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn people(
    opened: &Opened,
    cmd: &PeopleCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let a = &opened.assignments;
    match cmd {
        PeopleCommand::Grant {
            person,
            role,
            region,
            name,
        } => {
            let Some(role) = Role::parse(role) else {
                writeln!(out, "役割は staff / organizer / advisor のどれかです。")?;
                return Ok(ExitCode::from(2));
            };
            let id = person_id(person);
            let name = name
                .clone()
                .unwrap_or_else(|| person.rsplit(':').next().unwrap_or(person).to_string());
            match a.grant(&id, &name, role, region.as_deref(), None).await {
                Ok(m) => writeln!(out, "{m}")?,
                Err(e) => return refused(out, e),
            }
        }
        PeopleCommand::List => {
            for p in a.store().people().await? {
                let roles: Vec<String> = p
                    .grants
                    .iter()
                    .map(|g| {
                        let status = match g.status {
                            GrantStatus::Approved => "",
                            GrantStatus::Pending => "（申請中）",
                            GrantStatus::Revoked => "（取消）",
                        };
                        if g.region_name.is_empty() {
                            format!("{}{status}", g.role.label())
                        } else {
                            format!("{}:{}{status}", g.role.label(), g.region_name)
                        }
                    })
                    .collect();
                writeln!(out, "{}　{}　{}", p.id.as_str(), p.name, roles.join("、"))?;
            }
        }
        PeopleCommand::Pending => {
            for (p, g) in a.pending().await? {
                writeln!(
                    out,
                    "{}（{}）が {} の担当者を申請しています",
                    p.name,
                    p.id.as_str(),
                    g.region_name
                )?;
            }
        }
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
            .map(|y| parse_year(y).ok_or_else(|| format!("年度「{y}」を読み取れませんでした。")))
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
        edit.organizers = Some(list(o).iter().map(|p| person_id(p)).collect());
    }
    if let Some(c) = &args.channel {
        edit.channel = Some(Some(c.trim().to_string()).filter(|c| !c.is_empty()));
    }
    let time = |s: &str| {
        chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| format!("時刻「{s}」を読み取れませんでした（例: 09:00）。"))
    };
    if args.ladder.is_some()
        || args.at.is_some()
        || args.quiet.is_some()
        || args.quiet_weekends.is_some()
    {
        let at = match &args.at {
            Some(a) => time(a)?,
            None => chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
        };
        let mut policy =
            Policy::parse(args.ladder.as_deref().unwrap_or("7d,3d,1d,day,overdue"), at)?;
        if let Some(q) = &args.quiet {
            let (from, until) = q.split_once('-').ok_or_else(|| {
                format!("静かな時間「{q}」は 20:00-08:00 のように書いてください。")
            })?;
            policy.quiet.from = time(from)?;
            policy.quiet.until = time(until)?;
        }
        if let Some(w) = args.quiet_weekends {
            policy.quiet.weekends = w;
        }
        edit.policy = Some(policy);
    }
    Ok(edit)
}

/// Without Discord: notices are printed for the organizer to pass on.
struct ConsoleCourier(std::sync::Mutex<Vec<String>>);

#[async_trait::async_trait]
impl crate::domain::ports::Courier for ConsoleCourier {
    async fn to_person(
        &self,
        person: &crate::domain::people::PersonId,
        notice: &crate::domain::meetings::reminders::Notice,
        _nonce: &str,
    ) -> Result<(), crate::domain::ports::DeliveryError> {
        let text = super::render::notice(notice);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("→ {}\n{text}\n", person.0));
        Ok(())
    }

    async fn to_channel(
        &self,
        channel: &str,
        notice: &crate::domain::meetings::reminders::Notice,
        _nonce: &str,
    ) -> Result<(), crate::domain::ports::DeliveryError> {
        let text = super::render::notice(notice);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("→ チャンネル {channel}\n{text}\n"));
        Ok(())
    }
}
