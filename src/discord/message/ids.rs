//! The custom ids of nimo's buttons and input forms. Every button says what it acts on
//! (a page of a saved question, a question of the form, a meeting, a region), so a button
//! clicked long after it was shown still acts on that, or is recognised as out of date.
//! All stay well under Discord's 100 characters.

use crate::domain::forms::Command;
use crate::domain::ids::{MeetingId, SubmissionId};

const PREFIX: &str = "nimo:";

/// What a clicked button (or a submitted input form) asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A page of a saved question or roster: `nimo:{kind}:{token}:{offset}`.
    Page {
        kind: String,
        token: String,
        offset: usize,
    },
    /// A 事前課題 button: `nimo:form:{submission}:{where}:{command}` — the form it was
    /// shown with and where that form stood (`nimo:form:{command}` from older messages).
    Form {
        command: Command,
        shown: Option<(SubmissionId, usize)>,
    },
    /// The 事前課題 input form, submitted: `nimo:formmodal`.
    FormModal,
    /// 「事前課題を入力する」 under a reminder: `nimo:resume:{meeting}`.
    Resume(Option<MeetingId>),
    /// 「催促」: `nimo:nudge:{meeting}:{region key or *}`.
    Nudge {
        meeting: MeetingId,
        /// None: every region not submitted.
        region: Option<String>,
    },
}

pub fn page_id(kind: &str, token: &str, offset: usize) -> String {
    format!("{PREFIX}{kind}:{token}:{offset}")
}

pub fn form_id(command: Command, shown: Option<(SubmissionId, usize)>) -> String {
    match shown {
        Some((submission, at)) => format!("{PREFIX}form:{submission}:{at}:{}", command.id()),
        None => format!("{PREFIX}form:{}", command.id()),
    }
}

pub const FORM_MODAL_ID: &str = "nimo:formmodal";

pub fn resume_id(meeting: MeetingId) -> String {
    format!("{PREFIX}resume:{meeting}")
}

pub fn nudge_id(meeting: MeetingId, region: Option<&str>) -> String {
    format!("{PREFIX}nudge:{meeting}:{}", region.unwrap_or("*"))
}

/// Reads a custom id; None for one nimo never made (or can no longer read).
pub fn parse(custom_id: &str) -> Option<Action> {
    let rest = custom_id.strip_prefix(PREFIX)?;
    if custom_id == FORM_MODAL_ID {
        return Some(Action::FormModal);
    }
    if let Some(form) = rest.strip_prefix("form:") {
        let parts: Vec<&str> = form.split(':').collect();
        return match parts.as_slice() {
            [command] => Some(Action::Form {
                command: Command::from_id(command)?,
                shown: None,
            }),
            [submission, at, command] => Some(Action::Form {
                command: Command::from_id(command)?,
                shown: Some((submission.parse().ok()?, at.parse().ok()?)),
            }),
            _ => None,
        };
    }
    if let Some(meeting) = rest.strip_prefix("resume:") {
        return Some(Action::Resume(meeting.parse().ok()));
    }
    if let Some(rest) = rest.strip_prefix("nudge:") {
        let (meeting, region) = rest.split_once(':')?;
        return Some(Action::Nudge {
            meeting: meeting.parse().ok()?,
            region: (region != "*").then(|| region.to_string()),
        });
    }
    let mut parts = rest.split(':');
    let kind = parts.next()?;
    let token = parts.next()?;
    let offset = parts.next()?.parse().ok()?;
    parts.next().is_none().then(|| Action::Page {
        kind: kind.to_string(),
        token: token.to_string(),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::message::limits::CUSTOM_ID;

    #[test]
    fn custom_ids_round_trip() {
        let id = page_id("ask", "AbC123xyz789", 15);
        assert!(id.len() <= CUSTOM_ID);
        assert_eq!(
            parse(&id),
            Some(Action::Page {
                kind: "ask".into(),
                token: "AbC123xyz789".into(),
                offset: 15
            })
        );
        assert_eq!(parse("other:x"), None);
        assert_eq!(parse("nimo:ask:t:notanumber"), None);
        assert_eq!(
            parse(&form_id(Command::Skip, None)),
            Some(Action::Form {
                command: Command::Skip,
                shown: None
            })
        );
        let shown = Some((SubmissionId::new(12), 3));
        let id = form_id(Command::Edit(17), shown);
        assert_eq!(id, "nimo:form:12:3:edit17");
        assert_eq!(
            parse(&id),
            Some(Action::Form {
                command: Command::Edit(17),
                shown
            })
        );
        assert_eq!(parse(FORM_MODAL_ID), Some(Action::FormModal));
        let m = MeetingId::new(4);
        assert_eq!(parse(&resume_id(m)), Some(Action::Resume(Some(m))));
        assert_eq!(
            parse(&nudge_id(m, Some("東京都/世田谷区"))),
            Some(Action::Nudge {
                meeting: m,
                region: Some("東京都/世田谷区".into())
            })
        );
        assert_eq!(
            parse(&nudge_id(m, None)),
            Some(Action::Nudge {
                meeting: m,
                region: None
            })
        );
    }
}
