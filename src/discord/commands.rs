//! The slash commands, in Japanese: their definitions (registered at start-up) and what
//! each does. Every command searches, so each is deferred first and completed by a
//! follow-up; autocomplete answers from memory, well inside Discord's 3 seconds.

use serde_json::{Value, json};
use serenity::all::{CommandInteraction, ResolvedValue};

use super::bot::{Bot, BotError};
use super::limits::{CHOICE_NAME, CHOICE_VALUE, CHOICES, clip};
use super::render;
use crate::domain::era::find_years;
use crate::domain::search::query::{Ask, MAX_QUESTION_CHARS};
use crate::domain::text::nfkc;

pub const ASK: &str = "質問";
pub const REGION: &str = "地域";
pub const TOPIC: &str = "テーマ";
pub const HELP: &str = "ヘルプ";
pub const ASSIGNMENT: &str = "事前課題";
pub const REQUEST_STAFF: &str = "担当申請";
pub const REGISTER_STAFF: &str = "担当登録";
pub const SUBMITTED: &str = "提出内容";
pub const STATUS: &str = "提出状況";

const OPT_QUESTION: &str = "内容";
const OPT_REGION: &str = "地域";
const OPT_TOPIC: &str = "テーマ";
const OPT_YEAR: &str = "年度";
const OPT_MEETING: &str = "会議";
const OPT_USER: &str = "ユーザー";

/// Roster lines per page.
const ROSTER_PAGE: usize = 20;

fn option(kind: u8, name: &str, description: &str, required: bool, autocomplete: bool) -> Value {
    let mut o =
        json!({ "type": kind, "name": name, "description": description, "required": required });
    if autocomplete {
        o["autocomplete"] = json!(true);
    }
    o
}

const STRING: u8 = 3;
const USER: u8 = 6;

/// The commands as Discord's API takes them (`PUT /applications/{id}/commands`).
pub fn definitions() -> Value {
    let mut question = option(
        STRING,
        OPT_QUESTION,
        "知りたいこと（例: ピアサポーターの養成、住まいの確保）",
        true,
        false,
    );
    question["max_length"] = json!(MAX_QUESTION_CHARS);
    json!([
        {
            "name": ASK, "type": 1,
            "description": "にも包括の資料から、地域やテーマについて答えます",
            "options": [
                question,
                option(STRING, OPT_REGION, "地域で絞り込む（都道府県・市・圏域など）", false, true),
                option(STRING, OPT_TOPIC, "テーマで絞り込む", false, true),
                option(STRING, OPT_YEAR, "年度で絞り込む（例: 令和3年度、R3、2021）", false, false),
            ],
        },
        {
            "name": REGION, "type": 1,
            "description": "地域の概要：資料・基礎情報・項目ごとの内容",
            "options": [option(STRING, OPT_REGION, "地域（都道府県・市・圏域など）", true, true)],
        },
        {
            "name": TOPIC, "type": 1,
            "description": "そのテーマに取り組んでいる地域の一覧",
            "options": [
                option(STRING, OPT_TOPIC, "テーマ（例: ピアサポート、住まいの確保）", true, true),
                option(STRING, OPT_REGION, "地域で絞り込む", false, true),
            ],
        },
        {
            "name": ASSIGNMENT, "type": 1,
            "description": "事前課題を会話で入力・修正・提出します（DMで進めます）",
            "options": [
                option(STRING, OPT_MEETING, "会議（受付中のものが一つなら省略できます）", false, true),
                option(STRING, OPT_REGION, "地域（担当地域が複数ある場合）", false, true),
            ],
        },
        {
            "name": REQUEST_STAFF, "type": 1,
            "description": "地域の担当者として申請します（主催者が承認します）",
            "options": [option(STRING, OPT_REGION, "担当する地域", true, true)],
        },
        {
            "name": REGISTER_STAFF, "type": 1,
            "description": "【主催者】担当者を登録・承認します",
            "options": [
                option(USER, OPT_USER, "担当者", true, false),
                option(STRING, OPT_REGION, "担当する地域", true, true),
            ],
        },
        {
            "name": SUBMITTED, "type": 1,
            "description": "提出された事前課題を読みます（アドバイザー・主催者・その地域の担当者）",
            "options": [
                option(STRING, OPT_REGION, "地域", true, true),
                option(STRING, OPT_MEETING, "会議（省略すると最新の会議）", false, true),
            ],
        },
        {
            "name": STATUS, "type": 1,
            "description": "【主催者】会議の提出状況を見て、未提出の地域に催促します",
            "options": [
                option(STRING, OPT_MEETING, "会議（省略すると最新の会議）", false, true),
            ],
        },
        { "name": HELP, "type": 1, "description": "nimo の使い方" },
    ])
}

fn string_option<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::String(s) => Some(s),
            _ => None,
        })
}

fn parse_year(s: &str) -> Option<i32> {
    let n = nfkc(s.trim());
    if let Ok(y) = n.parse::<i32>() {
        return (1980..=2100).contains(&y).then_some(y);
    }
    find_years(&n).first().map(|m| m.fiscal_year)
}

/// Runs a slash command.
pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<(), BotError> {
    if cmd.data.name == HELP {
        let body = json!({ "type": 4, "data": render::help().to_json() });
        return Ok(bot
            .rest
            .interaction_response(cmd.id.get(), &cmd.token, &body)
            .await?);
    }
    if matches!(
        cmd.data.name.as_str(),
        ASSIGNMENT | REQUEST_STAFF | REGISTER_STAFF | SUBMITTED | STATUS
    ) {
        return assignment_command(bot, cmd).await;
    }
    // Searching may take a moment: acknowledge first, answer in a follow-up.
    bot.rest
        .interaction_response(cmd.id.get(), &cmd.token, &json!({ "type": 5 }))
        .await?;
    let replies = match cmd.data.name.as_str() {
        ASK => {
            let year = string_option(cmd, OPT_YEAR).filter(|y| !y.trim().is_empty());
            match year.map(|y| (y, parse_year(y))) {
                Some((y, None)) => vec![render::problem_text(&format!(
                    "年度「{y}」を読み取れませんでした（例: 令和3年度、R3、2021）。"
                ))],
                other => {
                    let ask = Ask {
                        question: string_option(cmd, OPT_QUESTION).unwrap_or("").to_string(),
                        region: string_option(cmd, OPT_REGION).map(str::to_string),
                        topic: string_option(cmd, OPT_TOPIC).map(str::to_string),
                        year: other.and_then(|(_, y)| y),
                        limit: Some(5),
                        offset: 0,
                    };
                    vec![bot.answer(ask).await]
                }
            }
        }
        REGION => {
            bot.profile(string_option(cmd, OPT_REGION).unwrap_or(""))
                .await
        }
        TOPIC => {
            bot.roster(
                string_option(cmd, OPT_TOPIC).unwrap_or(""),
                string_option(cmd, OPT_REGION),
                0,
                ROSTER_PAGE,
                None,
            )
            .await
        }
        other => vec![render::problem_text(&format!(
            "「/{other}」というコマンドはありません。/ヘルプ をお試しください。"
        ))],
    };
    for reply in replies {
        bot.rest
            .followup(bot.application()?, &cmd.token, &reply.to_json())
            .await?;
    }
    Ok(())
}

fn user_option(cmd: &CommandInteraction, name: &str) -> Option<(u64, String)> {
    cmd.data
        .options()
        .into_iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            ResolvedValue::User(u, _) => Some((
                u.id.get(),
                u.global_name.clone().unwrap_or_else(|| u.name.clone()),
            )),
            _ => None,
        })
}

fn meeting_option(cmd: &CommandInteraction) -> Option<i64> {
    string_option(cmd, OPT_MEETING).and_then(|m| m.split(':').next()?.trim().parse().ok())
}

/// The 事前課題 commands. Their answers are for the person alone (ephemeral); the form
/// itself goes on in a DM.
/// The meeting named in the command, or the latest one.
async fn meeting_or_latest(
    a: &crate::app::assignments::Assignments,
    cmd: &CommandInteraction,
) -> Option<i64> {
    match meeting_option(cmd) {
        Some(m) => Some(m),
        None => a
            .store()
            .meetings()
            .await
            .ok()
            .and_then(|ms| ms.first().map(|m| m.id)),
    }
}

async fn assignment_command(bot: &Bot, cmd: &CommandInteraction) -> Result<(), BotError> {
    let ephemeral = json!({ "type": 5, "data": { "flags": 64 } });
    bot.rest
        .interaction_response(cmd.id.get(), &cmd.token, &ephemeral)
        .await?;
    let person = super::bot::person_of(&cmd.user);
    let a = &bot.assignments;
    let note = |text: String| render::problem_text(&text);
    let reply = match cmd.data.name.as_str() {
        ASSIGNMENT => {
            match a
                .begin(
                    &person.0,
                    &person.1,
                    meeting_option(cmd),
                    string_option(cmd, OPT_REGION),
                )
                .await
            {
                Ok(reply) => {
                    let in_dm = cmd.guild_id.is_none();
                    if in_dm {
                        for r in super::bot::conversation_replies(&reply.messages) {
                            bot.rest
                                .followup(bot.application()?, &cmd.token, &r.to_json())
                                .await?;
                        }
                        return Ok(());
                    }
                    bot.send_dm(cmd.user.id.get(), &reply.messages).await?;
                    note("DMで事前課題の入力を始めました。DMをご確認ください。".into())
                }
                Err(e) => super::bot::refusal(e),
            }
        }
        REQUEST_STAFF => match a
            .request_staff(
                &person.0,
                &person.1,
                string_option(cmd, OPT_REGION).unwrap_or(""),
            )
            .await
        {
            Ok(m) => note(m),
            Err(e) => super::bot::refusal(e),
        },
        REGISTER_STAFF => match user_option(cmd, OPT_USER) {
            Some((user, name)) => {
                let target = crate::domain::people::PersonId::discord(user);
                match a
                    .register_staff(
                        &person.0,
                        &target,
                        &name,
                        string_option(cmd, OPT_REGION).unwrap_or(""),
                    )
                    .await
                {
                    Ok(m) => note(m),
                    Err(e) => super::bot::refusal(e),
                }
            }
            None => note("担当者をユーザーで指定してください。".into()),
        },
        STATUS => {
            let meeting = meeting_or_latest(a, cmd).await;
            let organizer = a
                .store()
                .person(&person.0)
                .await
                .ok()
                .flatten()
                .is_some_and(|p| p.is_organizer());
            match (meeting, bot.reminders.get()) {
                _ if !organizer => note("提出状況は主催者のみが見られます。".into()),
                (None, _) => note("会議がまだありません。".into()),
                (Some(_), None) => note("この bot ではリマインダーが動いていません。".into()),
                (Some(m), Some(r)) => match r.status(m).await {
                    Ok(status) => super::notices::status(&status, true),
                    Err(e) => super::bot::refusal(e),
                },
            }
        }
        _ => {
            let meeting = meeting_or_latest(a, cmd).await;
            match meeting {
                None => note("会議がまだありません。".into()),
                Some(m) => match a
                    .submitted_text(&person.0, m, string_option(cmd, OPT_REGION).unwrap_or(""))
                    .await
                {
                    Ok(text) => {
                        let parts = super::limits::split_text(&text, super::limits::CONTENT - 10);
                        let count = parts.len();
                        for (i, part) in parts.into_iter().enumerate() {
                            let mut r = super::limits::Reply::text(if count > 1 {
                                format!("({}/{count})\n{part}", i + 1)
                            } else {
                                part
                            });
                            r.ephemeral = true;
                            bot.rest
                                .followup(bot.application()?, &cmd.token, &r.to_json())
                                .await?;
                        }
                        return Ok(());
                    }
                    Err(e) => super::bot::refusal(e),
                },
            }
        }
    };
    let mut reply = reply;
    reply.ephemeral = true;
    bot.rest
        .followup(bot.application()?, &cmd.token, &reply.to_json())
        .await?;
    Ok(())
}

/// Answers autocomplete for the region and topic options.
pub async fn autocomplete(bot: &Bot, cmd: &CommandInteraction) -> Result<(), BotError> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(());
    };
    let lex = bot.nimo.lexicon();
    let choices: Vec<Value> = match focused.name {
        OPT_REGION => bot
            .nimo
            .regions()
            .suggest(focused.value, lex, CHOICES)
            .into_iter()
            .filter(|p| p.key.chars().count() <= CHOICE_VALUE)
            .map(|p| {
                let name = format!("{}（{}・{}件）", p.name, p.kind.label(), p.passages);
                json!({ "name": clip(&name, CHOICE_NAME), "value": p.key })
            })
            .collect(),
        OPT_TOPIC => lex
            .taxonomy
            .suggest(focused.value, &lex.normalizer, CHOICES)
            .into_iter()
            .map(|t| {
                let name = format!(
                    "{}（{}）",
                    t.name,
                    t.synonyms
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("・")
                );
                json!({ "name": clip(&name, CHOICE_NAME), "value": t.id })
            })
            .collect(),
        OPT_MEETING => {
            let typed = focused.value.trim();
            bot.assignments
                .store()
                .meetings()
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|m| typed.is_empty() || m.name.contains(typed) || m.id.to_string() == typed)
                .take(CHOICES)
                .map(|m| {
                    let name = format!("{}（締切 {}）", m.name, m.deadline_text());
                    json!({ "name": clip(&name, CHOICE_NAME), "value": format!("{}: {}", m.id, clip(&m.name, 60)) })
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let body = json!({ "type": 8, "data": { "choices": choices } });
    Ok(bot
        .rest
        .interaction_response(cmd.id.get(), &cmd.token, &body)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::limits::{COMMAND_DESCRIPTION, chars};

    #[test]
    fn definitions_fit_discord() {
        let defs = definitions();
        let defs = defs.as_array().unwrap();
        assert!(serde_json::to_string(&defs).unwrap().chars().count() < 8000 * defs.len());
        for d in defs {
            let name = d["name"].as_str().unwrap();
            assert!((1..=32).contains(&chars(name)));
            assert!(
                name.chars()
                    .all(|c| c.is_alphanumeric() || "-_'".contains(c))
            );
            assert!((1..=COMMAND_DESCRIPTION).contains(&chars(d["description"].as_str().unwrap())));
            for o in d["options"].as_array().into_iter().flatten() {
                assert!((1..=32).contains(&chars(o["name"].as_str().unwrap())));
                assert!(
                    (1..=COMMAND_DESCRIPTION).contains(&chars(o["description"].as_str().unwrap()))
                );
            }
        }
    }

    #[test]
    fn years_typed_in_options() {
        assert_eq!(parse_year("令和３年度"), Some(2021));
        assert_eq!(parse_year("R3"), Some(2021));
        assert_eq!(parse_year("2021"), Some(2021));
        assert_eq!(parse_year("いつか"), None);
    }
}
