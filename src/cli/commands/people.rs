//! `nimo people grant | revoke | list | pending`: roles. The terminal is the operator's: these
//! commands need no role.

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;
use crate::cli::PeopleCommand;
use crate::cli::reply::exit_for;
use crate::domain::people::{GrantStatus, PersonId, Role};

pub async fn run(app: &App, cmd: &PeopleCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let a = &app.assignments;
    match cmd {
        PeopleCommand::Grant {
            person,
            role,
            region,
            name,
        } => {
            let (role, id) = match read_role(person, role) {
                Ok(x) => x,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            let name = name.clone().unwrap_or_else(|| id.short());
            match a.grant(&id, &name, role, region.as_deref(), None).await {
                Ok(m) => writeln!(out, "{m}")?,
                Err(e) => return exit_for(out, e),
            }
        }
        PeopleCommand::Revoke {
            person,
            role,
            region,
        } => {
            let (role, id) = match read_role(person, role) {
                Ok(x) => x,
                Err(m) => {
                    writeln!(out, "{m}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            match a.revoke(&id, role, region.as_deref(), None).await {
                Ok(m) => writeln!(out, "{m}")?,
                Err(e) => return exit_for(out, e),
            }
        }
        PeopleCommand::List => {
            for p in a.people().await? {
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
                writeln!(out, "{}　{}　{}", p.id, p.name, roles.join("、"))?;
            }
        }
        PeopleCommand::Pending => {
            for (p, g) in a.pending().await? {
                writeln!(
                    out,
                    "{}（{}）が {} の担当者を申請しています",
                    p.name, p.id, g.region_name
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A person and a role as typed on the command line, or why they cannot be read.
fn read_role(person: &str, role: &str) -> Result<(Role, PersonId), String> {
    let role = Role::parse(role).ok_or("役割は staff / organizer / advisor のどれかです。")?;
    Ok((role, person.parse()?))
}
