//! Reminders, digests and status in Discord: how they read (times as Discord timestamps,
//! so each reader sees their own clock), and the courier that sends them.

use chrono::{DateTime, Utc};

use super::ids::{nudge_id, resume_id};
use super::limits::{
    Button, COLOR_ANSWER, COLOR_NOTE, CUSTOM_ID, EMBED_DESCRIPTION, EMBEDS_TOTAL, Embed, Reply,
    chars,
};
use crate::domain::ids::MeetingId;
use crate::domain::meetings::reminders::{MeetingStatus, Notice, Progress, progress_text};

/// Nudge buttons on one message (four rows of five; the fifth row holds 「すべて」).
const NUDGE_BUTTONS: usize = 19;
/// Regions listed by name in a digest before 「ほかN地域」.
const DIGEST_LINES: usize = 40;

/// 「<t:…:F>（<t:…:R>）」: the moment in the reader's time zone and how far away it is.
pub fn when(t: DateTime<Utc>) -> String {
    let s = t.timestamp();
    format!("<t:{s}:F>（<t:{s}:R>）")
}

pub fn nudge_buttons(
    meeting_id: MeetingId,
    region_keys: &[String],
    names: &[String],
) -> Vec<Button> {
    let mut buttons: Vec<Button> = region_keys
        .iter()
        .zip(names)
        .take(NUDGE_BUTTONS)
        .map(|(k, n)| Button {
            label: format!("催促: {n}"),
            custom_id: nudge_id(meeting_id, Some(k)),
            disabled: false,
            primary: false,
        })
        .filter(|b| chars(&b.custom_id) <= CUSTOM_ID)
        .collect();
    if !region_keys.is_empty() {
        buttons.push(Button {
            label: "未提出の全地域に催促".into(),
            custom_id: nudge_id(meeting_id, None),
            disabled: false,
            primary: true,
        });
    }
    buttons
}

/// The message for a notice.
pub fn render(notice: &Notice) -> Reply {
    match notice {
        Notice::Reminder {
            meeting_id,
            meeting_name,
            deadline,
            region_name,
            missing_sections,
            answered,
            total,
            overdue,
            nudged,
            announcement,
            for_person,
        } => {
            let mut lines = Vec::new();
            if let Some(p) = for_person.as_ref().and_then(|p| p.discord_user()) {
                lines.push(format!(
                    "<@{p}> さん、DMをお送りできなかったため、こちらでお知らせします。"
                ));
            }
            let buttons = if *overdue {
                lines.push(format!("【事前課題・締切超過】{meeting_name}"));
                lines.push(format!(
                    "{region_name}の事前課題は、締切（{}）までに提出されませんでした。提出が必要な場合は主催者にご相談ください。",
                    when(*deadline)
                ));
                Vec::new()
            } else {
                if *announcement {
                    lines.push(format!("【事前課題のご案内】{meeting_name}"));
                    lines.push(format!(
                        "{region_name}の事前課題の受付が始まっています。締切は{}です。",
                        when(*deadline)
                    ));
                } else {
                    lines.push(format!(
                        "【事前課題{}】{meeting_name}",
                        if *nudged {
                            "・主催者からのお願い"
                        } else {
                            "のお願い"
                        }
                    ));
                    lines.push(format!(
                        "{region_name}の事前課題がまだ提出されていません。締切は{}です。",
                        when(*deadline)
                    ));
                }
                if *total > 0 {
                    lines.push(format!(
                        "入力済み: {answered}/{total}問（下書きは保存されています）"
                    ));
                }
                if !missing_sections.is_empty() {
                    lines.push(format!(
                        "まだ入力されていない項目: {}",
                        missing_sections.join("、")
                    ));
                }
                lines.push("下のボタンか「/事前課題」で、続きから入力できます。".to_string());
                vec![Button {
                    label: "事前課題を入力する".into(),
                    custom_id: resume_id(*meeting_id),
                    disabled: false,
                    primary: true,
                }]
            };
            Reply {
                content: lines.join("\n"),
                buttons,
                ..Default::default()
            }
        }
        Notice::Digest {
            meeting_id,
            meeting_name,
            deadline,
            after_deadline,
            submitted,
            total,
            missing,
            nudge,
            unstaffed,
        } => {
            let title = if *after_deadline {
                format!("【締切後の提出状況】{meeting_name}")
            } else {
                format!("【提出状況】{meeting_name}")
            };
            let mut description = format!(
                "締切：{}\n提出済み **{submitted}/{total}** 地域",
                when(*deadline)
            );
            if !missing.is_empty() {
                description.push_str(&format!("\n\n未提出 {} 地域:", missing.len()));
                description.push_str(&listing(
                    missing.iter().map(|(r, p)| {
                        if unstaffed.contains(r) {
                            format!("・{r} — {p}（担当者未登録のためリマインダーを送れません）")
                        } else {
                            format!("・{r} — {p}")
                        }
                    }),
                    DIGEST_LINES,
                ));
            }
            let names: Vec<String> = missing.iter().map(|(r, _)| r.clone()).collect();
            let buttons = if *after_deadline {
                Vec::new()
            } else {
                nudge_buttons(*meeting_id, nudge, &names)
            };
            Reply {
                embeds: vec![Embed {
                    title,
                    description,
                    color: COLOR_NOTE,
                    ..Default::default()
                }],
                buttons,
                ..Default::default()
            }
        }
        Notice::Undeliverable {
            meeting_name,
            person,
            region_name,
            outcome,
            ..
        } => Reply::text(format!(
            "【お知らせが届きませんでした】{meeting_name}\n{region_name}の{person}さんへのリマインダーについて: {outcome}。連絡先をご確認ください。"
        )),
    }
}

/// Lines up to a budget of characters and a count, then 「…ほかN地域」.
fn listing(lines: impl Iterator<Item = String>, max_lines: usize) -> String {
    let lines: Vec<String> = lines.collect();
    let mut out = String::new();
    let budget = EMBED_DESCRIPTION - 400;
    for (i, l) in lines.iter().enumerate() {
        if i == max_lines || chars(&out) + chars(l) + 1 > budget {
            out.push_str(&format!("\n…ほか{}地域", lines.len() - i));
            break;
        }
        out.push('\n');
        out.push_str(l);
    }
    out
}

/// A meeting's status in one message, whatever the number of regions: counts first,
/// then the regions not submitted (least done first), then the submitted ones, cut to
/// fit with how many were left out.
pub fn status(s: &MeetingStatus, nudge: bool) -> Reply {
    let total = s.regions.len();
    let submitted = s.submitted();
    let drafts = s
        .regions
        .iter()
        .filter(|r| matches!(r.progress, Progress::Draft { .. }))
        .count();
    let mut description = format!(
        "締切：{}\n提出済み **{submitted}** ／ 下書き **{drafts}** ／ 未着手 **{}**（全{total}地域）",
        when(s.meeting.deadline),
        total - submitted - drafts
    );
    if total == 0 {
        description.push_str("\n参加地域が登録されていません（nimo meeting edit --regions）。");
    }
    let open: Vec<String> = s
        .not_submitted()
        .map(|r| format!("・{} — {}", r.region_name, progress_text(&r.progress)))
        .collect();
    if !open.is_empty() {
        description.push_str("\n\n**未提出**");
        description.push_str(&listing(open.into_iter(), 60));
    }
    let done: Vec<String> = s
        .regions
        .iter()
        .filter_map(|r| match &r.progress {
            Progress::Submitted { at, .. } => Some(format!(
                "・{} — {}（<t:{}:f>）",
                r.region_name,
                progress_text(&r.progress),
                at.timestamp()
            )),
            _ => None,
        })
        .collect();
    if !done.is_empty() && chars(&description) < EMBED_DESCRIPTION - 600 {
        description.push_str("\n\n**提出済み**");
        let room = (EMBED_DESCRIPTION - 200 - chars(&description)) / 40;
        description.push_str(&listing(done.into_iter(), room.max(1)));
    }
    let mut embed = Embed {
        title: format!("{}（会議 {}）", s.meeting.name, s.meeting.id),
        description,
        color: COLOR_ANSWER,
        ..Default::default()
    };
    embed.fit_total(EMBEDS_TOTAL);
    let buttons = if nudge && s.meeting.is_open(s.at) {
        let open: Vec<_> = s.not_submitted().collect();
        nudge_buttons(
            s.meeting.id,
            &open
                .iter()
                .map(|r| r.region_key.clone())
                .collect::<Vec<_>>(),
            &open
                .iter()
                .map(|r| r.region_name.clone())
                .collect::<Vec<_>>(),
        )
    } else {
        Vec::new()
    };
    Reply {
        embeds: vec![embed],
        buttons,
        ephemeral: true,
        ..Default::default()
    }
}
