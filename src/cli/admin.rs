//! Organizer commands on the terminal: forms, meetings, people, exports. The terminal is
//! the operator's: these commands need no role.

use std::io::Write;
use std::process::ExitCode;

use super::{FormCommand, MeetingCommand, PeopleCommand, parse_year, person_id};
use crate::app::assignments::AssignmentError;
use crate::domain::clock::parse_jst;
use crate::domain::people::{GrantStatus, Role};
use crate::domain::ports::NewMeeting;
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
        } => {
            let Some(deadline) = parse_jst(deadline) else {
                writeln!(
                    out,
                    "締切「{deadline}」を読み取れませんでした（例: 2026-12-10 17:00）。"
                )?;
                return Ok(ExitCode::from(2));
            };
            let fiscal_year = match fiscal_year {
                Some(y) => match parse_year(y) {
                    Some(y) => Some(y),
                    None => {
                        writeln!(out, "年度「{y}」を読み取れませんでした。")?;
                        return Ok(ExitCode::from(2));
                    }
                },
                None => None,
            };
            let meeting_date = match date {
                Some(d) => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        writeln!(
                            out,
                            "開催日「{d}」を読み取れませんでした（例: 2026-12-20）。"
                        )?;
                        return Ok(ExitCode::from(2));
                    }
                },
                None => None,
            };
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
                Ok(m) => writeln!(
                    out,
                    "会議 {} を作成しました: {}（{}・締切 {}）",
                    m.id,
                    m.name,
                    m.form_reference(),
                    m.deadline_text()
                )?,
                Err(e) => return refused(out, e),
            }
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
