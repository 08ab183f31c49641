//! `nimo bot` (or `nimo` with DISCORD_TOKEN set): the Discord bot, with the reminder
//! scheduler, until Ctrl-C or until Discord refuses the token.
//!
//! Several `nimo bot` processes may share one database (PostgreSQL across machines, or one
//! SQLite file on one machine). Each keeps its own search index following the database;
//! exactly one — the holder of the lease — connects to Discord and runs the scheduler. The
//! others stand by and take over when it dies; a leader that can no longer prove its lease
//! stops sending at once, disconnects and stands by again.

use std::process::ExitCode;

use crate::discord::{BotConfig, RunningBot, StartError};
use crate::setup::{self, Config, Opened};

const REFUSED_TOKEN: &str = "Discord が DISCORD_TOKEN を受け付けませんでした。Developer Portal の Bot ページでトークンを確認し（必要なら Reset Token）、設定し直してください。";

/// How a term as the leader ended.
enum Term {
    /// Ctrl-C: stop for good.
    Interrupted,
    /// The lease could not be proved: stand by again.
    LeaseLost,
    /// The Discord connection ended for good.
    Ended(ExitCode),
}

pub async fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let Some(bot_config) = BotConfig::from_env().map_err(anyhow::Error::msg)? else {
        eprintln!(
            "DISCORD_TOKEN が設定されていません。README の「Discord で動かす」をご覧ください。"
        );
        return Ok(ExitCode::from(2));
    };
    let opened = match setup::open(config).await {
        Ok(opened) => opened,
        Err(crate::app::AppError::Refused(message)) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let cluster = opened.app.cluster.clone();
    tracing::info!(
        data_dir = %config.data_dir.display(),
        node = cluster.id(),
        passages = opened.app.library.passage_count()?,
        "starting; standing by until this process holds the lease"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let follower = {
        let cluster = cluster.clone();
        tokio::spawn(async move { cluster.follow(stopped).await })
    };
    // One listener for the whole run: a signal arriving at any moment (while standing
    // by, connecting, serving, or disconnecting after a lost lease) is never missed.
    let (quit_tx, quit) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        quit_tx.send_replace(true);
    });
    let code = loop {
        tokio::select! {
            _ = cluster.campaign() => {}
            _ = quit_requested(quit.clone()) => break ExitCode::SUCCESS,
        }
        if *quit.borrow() {
            break ExitCode::SUCCESS;
        }
        match lead(&opened, bot_config.clone(), quit.clone()).await {
            Term::Interrupted => break ExitCode::SUCCESS,
            Term::LeaseLost if *quit.borrow() => break ExitCode::SUCCESS,
            Term::LeaseLost => {
                tracing::warn!("standing by again");
                continue;
            }
            Term::Ended(code) => break code,
        }
    };
    cluster.step_down().await;
    stop.send_replace(true);
    let _ = follower.await;
    opened.close().await;
    tracing::info!("stopped");
    Ok(code)
}

/// Ctrl-C (SIGINT) or SIGTERM (what `systemctl stop` sends): stop cleanly, handing the
/// lease over at once.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Resolves once a stop was asked for (at once if it already was).
async fn quit_requested(mut quit: tokio::sync::watch::Receiver<bool>) {
    let _ = quit.wait_for(|q| *q).await;
}

/// One term as the leader: catching up with the database and connecting to Discord, then
/// serving with the scheduler — all the while proving the lease — until the lease is
/// lost, a stop signal, or the connection ends for good.
async fn lead(
    opened: &Opened,
    bot_config: BotConfig,
    quit: tokio::sync::watch::Receiver<bool>,
) -> Term {
    let cluster = opened.app.cluster.clone();
    let hold = cluster.hold();
    tokio::pin!(hold);
    let stop = quit_requested(quit);
    tokio::pin!(stop);
    let connecting = async {
        // Serve with everything other processes wrote up to now.
        if let Err(e) = opened.app.library.follow().await {
            tracing::warn!(error = %e.chain(), "catching up with the database failed");
        }
        setup::start_leading_bot(opened, bot_config).await
    };
    let started = tokio::select! {
        _ = &mut hold => {
            tracing::error!("lost the lease while connecting to Discord");
            return Term::LeaseLost;
        }
        _ = &mut stop => return Term::Interrupted,
        started = connecting => started,
    };
    let mut running: RunningBot = match started {
        Ok(r) => r,
        Err(StartError::InvalidToken) => {
            eprintln!("{REFUSED_TOKEN}");
            return Term::Ended(ExitCode::FAILURE);
        }
        Err(e) => {
            tracing::error!(error = %e, "could not connect to Discord");
            eprintln!("Discord に接続できませんでした。原因はログに記録しました。");
            return Term::Ended(ExitCode::FAILURE);
        }
    };
    let ended = tokio::select! {
        _ = &mut stop => {
            tracing::info!("stop requested; closing the gateway connection");
            None
        }
        _ = &mut hold => {
            tracing::error!("lost the lease; disconnecting from Discord");
            let _ = running.shutdown().await;
            return Term::LeaseLost;
        }
        result = running.wait() => Some(result),
    };
    match ended {
        None => {
            let _ = running.shutdown().await;
            Term::Interrupted
        }
        Some(Ok(())) => Term::Ended(ExitCode::SUCCESS),
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
            Term::Ended(ExitCode::FAILURE)
        }
    }
}
