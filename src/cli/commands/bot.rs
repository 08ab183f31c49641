//! `nimo bot` (or `nimo` with DISCORD_TOKEN set): the Discord bot, with the reminder
//! scheduler, until Ctrl-C or until Discord refuses the token.

use std::process::ExitCode;

use crate::discord::{BotConfig, StartError};
use crate::setup::{self, Config, SCHEDULER_IDLE};

const REFUSED_TOKEN: &str = "Discord が DISCORD_TOKEN を受け付けませんでした。Developer Portal の Bot ページでトークンを確認し（必要なら Reset Token）、設定し直してください。";

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let Some(bot_config) = BotConfig::from_env().map_err(anyhow::Error::msg)? else {
        eprintln!(
            "DISCORD_TOKEN が設定されていません。README の「Discord で動かす」をご覧ください。"
        );
        return Ok(ExitCode::from(2));
    };
    let opened = setup::open(config).await?;
    tracing::info!(data_dir = %config.data_dir.display(), passages = opened.app.library.passage_count()?, "starting the Discord bot");
    // Reminders are sent by the bot: the schedule is in the database, so several bot
    // processes may run this; each reminder still goes out once.
    let mut running = match setup::start_bot(&opened, bot_config, Some(SCHEDULER_IDLE)).await {
        Ok(r) => r,
        Err(StartError::InvalidToken) => {
            eprintln!("{REFUSED_TOKEN}");
            opened.close().await;
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let stopped = tokio::select! {
        _ = tokio::signal::ctrl_c() => None,
        result = running.wait() => Some(result),
    };
    let code = match stopped {
        None => {
            tracing::info!("Ctrl-C received; closing the gateway connection");
            running.shutdown().await?;
            ExitCode::SUCCESS
        }
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(e)) => {
            tracing::error!(error = %e, "the Discord connection ended");
            if matches!(
                e,
                serenity::Error::Gateway(serenity::gateway::GatewayError::InvalidAuthentication)
            ) {
                eprintln!("{REFUSED_TOKEN}");
            } else {
                eprintln!(
                    "Discord との接続が終了しました。原因はログに記録しました。しばらくしてから起動し直してください。"
                );
            }
            ExitCode::FAILURE
        }
    };
    opened.close().await;
    tracing::info!("stopped");
    Ok(code)
}
