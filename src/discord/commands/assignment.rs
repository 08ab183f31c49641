//! 「/事前課題」: start or resume the form of the person's region. In a server the
//! conversation moves to a DM; in a DM it goes on right there.

use serde_json::{Value, json};
use serenity::all::CommandInteraction;

use super::options;
use crate::app::AppError;
use crate::discord::bot::{Bot, person_of};
use crate::discord::message::answers::problem_text;
use crate::discord::message::{Reply, conversation};

pub const NAME: &str = "事前課題";

pub fn definition() -> Value {
    json!({
        "name": NAME, "type": 1,
        "description": "事前課題を会話で入力・修正・提出します（DMで進めます）",
        "options": [
            options::text(options::MEETING, "会議（受付中のものが一つなら省略できます）", false, true),
            options::text(options::REGION, "地域（担当地域が複数ある場合）", false, true),
        ],
    })
}

pub async fn run(bot: &Bot, cmd: &CommandInteraction) -> Result<Vec<Reply>, AppError> {
    let (person, name) = person_of(&cmd.user);
    let reply = bot
        .app
        .assignments
        .begin(
            &person,
            &name,
            options::meeting(cmd),
            options::string(cmd, options::REGION),
        )
        .await?;
    let replies = conversation::replies(&reply.messages, reply.submission);
    if cmd.guild_id.is_none() {
        return Ok(replies);
    }
    Ok(vec![match bot.send_dm(cmd.user.id.get(), replies).await {
        Ok(()) => problem_text("DMで事前課題の入力を始めました。DMをご確認ください。"),
        Err(e) => {
            tracing::warn!(error = %e, "could not open the 事前課題 DM");
            problem_text(
                "DMを送れませんでした。サーバーのメンバーからのDMを許可する設定にして、もう一度お試しください。",
            )
        }
    }])
}
