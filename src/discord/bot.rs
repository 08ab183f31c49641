//! The bot's state and its gateway event handler: slash commands, autocomplete, paging
//! buttons, and questions asked by mention or in a DM.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};
use serenity::all::{
    ComponentInteraction, Context, EventHandler, Interaction, Message, Ready, ResumedEvent,
};

use super::commands;
use super::limits::Reply;
use super::render;
use super::rest::{Rest, RestError};
use crate::app::{AskError, Nimo};
use crate::domain::ports::PageStore;
use crate::domain::query::Ask;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error("not ready: the application id is not known yet")]
    NotReady,
}

/// What READY told us, kept for tests and logs.
#[derive(Debug, Clone)]
pub struct ReadyInfo {
    pub user: String,
    pub guilds: usize,
    pub commands: usize,
    pub since_start: Duration,
}

pub struct Bot {
    pub nimo: Arc<Nimo>,
    pub pages: Arc<dyn PageStore>,
    pub rest: Rest,
    /// Register commands in this guild only (fast iteration) instead of globally.
    pub guild: Option<u64>,
    me: OnceLock<u64>,
    application: OnceLock<u64>,
    started: Instant,
    ready: tokio::sync::watch::Sender<Option<ReadyInfo>>,
}

impl Bot {
    pub fn new(
        nimo: Arc<Nimo>,
        pages: Arc<dyn PageStore>,
        rest: Rest,
        guild: Option<u64>,
    ) -> (Arc<Bot>, tokio::sync::watch::Receiver<Option<ReadyInfo>>) {
        let (ready, ready_rx) = tokio::sync::watch::channel(None);
        let bot = Bot {
            nimo,
            pages,
            rest,
            guild,
            me: OnceLock::new(),
            application: OnceLock::new(),
            started: Instant::now(),
            ready,
        };
        (Arc::new(bot), ready_rx)
    }

    pub fn application(&self) -> Result<u64, BotError> {
        self.application.get().copied().ok_or(BotError::NotReady)
    }

    /// Answers a question as a reply, saving it for paging when there is more.
    pub async fn answer(&self, ask: Ask) -> Reply {
        match self.nimo.ask(&ask).await {
            Ok(answer) => {
                let paged = answer.results.more || ask.offset > 0;
                let token = if paged {
                    self.save_page("ask", &ask).await
                } else {
                    None
                };
                render::answer(&answer, self.nimo.lexicon(), token.as_deref())
            }
            Err(AskError::Problem(p)) => render::problem(&p),
            Err(AskError::Internal(e)) => {
                tracing::error!(error = %e, "answering failed");
                render::internal_error()
            }
        }
    }

    async fn save_page(&self, kind: &str, payload: &impl serde::Serialize) -> Option<String> {
        let json = serde_json::to_string(payload).ok()?;
        match self.pages.save_page(kind, &json).await {
            Ok(token) => Some(token),
            Err(e) => {
                // Paging is a convenience: the answer goes out without buttons.
                tracing::warn!(error = %e, "could not save a page; answering without paging buttons");
                None
            }
        }
    }

    /// A region's profile (the place typed or picked in autocomplete).
    pub async fn profile(&self, typed: &str) -> Vec<Reply> {
        let directory = self.nimo.regions();
        let keys = directory.resolve(typed, self.nimo.lexicon());
        let Some(key) = keys.first() else {
            return vec![render::problem(
                &crate::domain::query::QueryProblem::UnknownRegion {
                    typed: typed.to_string(),
                    suggestions: crate::domain::query::suggest_regions(
                        typed,
                        &directory,
                        self.nimo.lexicon(),
                    ),
                },
            )];
        };
        match self.nimo.region_profile(key).await {
            Ok(Some(profile)) => {
                let list = Ask {
                    region: Some(key.clone()),
                    limit: Some(5),
                    ..Default::default()
                };
                let token = self.save_page("ask", &list).await;
                render::profile(&profile, token.as_deref())
            }
            Ok(None) => vec![render::problem_text(&format!(
                "「{typed}」の資料はまだありません。"
            ))],
            Err(e) => {
                tracing::error!(error = %e, "profile failed");
                vec![render::internal_error()]
            }
        }
    }

    /// Regions working on a topic, one page of them.
    pub async fn roster(
        &self,
        topic: &str,
        within: Option<&str>,
        offset: usize,
        limit: usize,
        token: Option<String>,
    ) -> Vec<Reply> {
        let lex = self.nimo.lexicon();
        let Some(t) = lex.taxonomy.resolve(topic, &lex.normalizer).cloned() else {
            return vec![render::problem(
                &crate::domain::query::QueryProblem::UnknownTopic {
                    typed: topic.to_string(),
                    suggestions: lex
                        .taxonomy
                        .topics()
                        .iter()
                        .map(|t| t.name.clone())
                        .collect(),
                },
            )];
        };
        let within_key = match within.filter(|w| !w.trim().is_empty()) {
            Some(w) => match self.nimo.regions().resolve(w, lex).into_iter().next() {
                Some(k) => Some(k),
                None => {
                    return vec![render::problem_text(&format!(
                        "「{w}」という地域は見つかりませんでした。"
                    ))];
                }
            },
            None => None,
        };
        match self.nimo.topic_roster(&t.id, within_key.as_deref()).await {
            Ok(Some(roster)) => {
                let token = match token {
                    Some(t) => Some(t),
                    None if roster.entries.len() > limit => {
                        self.save_page("roster", &json!({ "topic": t.id, "within": within_key }))
                            .await
                    }
                    None => None,
                };
                render::roster(&roster, offset, limit, token.as_deref())
            }
            Ok(None) => vec![render::internal_error()],
            Err(e) => {
                tracing::error!(error = %e, "roster failed");
                vec![render::internal_error()]
            }
        }
    }

    async fn on_ready(&self, ready: Ready) {
        let _ = self.me.set(ready.user.id.get());
        let _ = self.application.set(ready.application.id.get());
        let definitions = commands::definitions();
        let count = definitions.as_array().map(Vec::len).unwrap_or(0);
        match self
            .rest
            .put_commands(ready.application.id.get(), self.guild, &definitions)
            .await
        {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "registering slash commands failed; mentions and DMs still work")
            }
        }
        let info = ReadyInfo {
            user: ready.user.name.clone(),
            guilds: ready.guilds.len(),
            commands: count,
            since_start: self.started.elapsed(),
        };
        tracing::info!(
            user = %info.user,
            guilds = info.guilds,
            commands = info.commands,
            scope = if self.guild.is_some() { "guild" } else { "global" },
            startup_ms = info.since_start.as_millis() as u64,
            "nimo is ready on Discord"
        );
        self.ready.send_replace(Some(info));
    }

    /// A question by mention in a channel, or any message in a DM.
    async fn on_message(&self, msg: Message) {
        let Some(&me) = self.me.get() else { return };
        // Never talk to bots (including itself) or webhooks: no loops.
        if msg.author.bot || msg.webhook_id.is_some() || msg.author.id.get() == me {
            return;
        }
        let in_dm = msg.guild_id.is_none();
        let tags = [format!("<@{me}>"), format!("<@!{me}>")];
        let mentioned = msg.mentions.iter().any(|u| u.id.get() == me)
            || tags.iter().any(|t| msg.content.contains(t));
        if !in_dm && !mentioned {
            return;
        }
        let mut question = msg.content.clone();
        for t in &tags {
            question = question.replace(t, " ");
        }
        let question = question.trim();
        let channel = msg.channel_id.get();
        let reply = if question.is_empty() {
            render::help()
        } else {
            self.rest.typing(channel).await;
            self.answer(Ask {
                question: question.to_string(),
                limit: Some(5),
                ..Default::default()
            })
            .await
        };
        let mut body = reply.to_json();
        body["message_reference"] = json!({
            "message_id": msg.id.get().to_string(),
            "channel_id": channel.to_string(),
            "fail_if_not_exists": false,
        });
        if let Err(e) = self.rest.create_message(channel, &body).await {
            tracing::error!(error = %e, channel, "could not deliver an answer");
        }
    }

    async fn on_interaction(&self, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Autocomplete(cmd) => commands::autocomplete(self, cmd).await,
            Interaction::Command(cmd) => commands::run(self, cmd).await,
            Interaction::Component(c) => self.on_button(c).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "handling an interaction failed");
        }
    }

    /// Paging buttons. Answers within Discord's 3 seconds by updating the message; if the
    /// page takes longer, acknowledges first and edits afterwards.
    async fn on_button(&self, c: &ComponentInteraction) -> Result<(), BotError> {
        let page = async {
            let Some((kind, token, offset)) = render::parse_page_button(&c.data.custom_id) else {
                return vec![render::problem_text("このボタンは使えません。")];
            };
            let saved = match self.pages.load_page(token).await {
                Ok(Some(saved)) => saved,
                Ok(None) => {
                    return vec![render::problem_text(
                        "この検索結果の保存期間が過ぎました。もう一度質問してください。",
                    )];
                }
                Err(e) => {
                    tracing::error!(error = %e, "loading a page failed");
                    return vec![render::internal_error()];
                }
            };
            match (kind, saved.0.as_str()) {
                ("ask", "ask") => match serde_json::from_str::<Ask>(&saved.1) {
                    Ok(mut ask) => {
                        ask.offset = offset;
                        let mut reply = self.answer_page(ask, token).await;
                        reply.ephemeral = false;
                        vec![reply]
                    }
                    Err(_) => vec![render::internal_error()],
                },
                ("roster", "roster") => {
                    let v: Value = serde_json::from_str(&saved.1).unwrap_or(Value::Null);
                    let topic = v["topic"].as_str().unwrap_or("");
                    let within = v["within"].as_str();
                    self.roster(topic, within, offset, 20, Some(token.to_string()))
                        .await
                }
                _ => vec![render::problem_text("このボタンは使えません。")],
            }
        };
        tokio::pin!(page);
        let quick = tokio::time::timeout(Duration::from_millis(1_500), &mut page).await;
        let replies = match quick {
            Ok(replies) => {
                let first = replies.first().cloned().unwrap_or_default();
                let body = json!({ "type": 7, "data": first.to_json() });
                self.rest
                    .interaction_response(c.id.get(), &c.token, &body)
                    .await?;
                replies.into_iter().skip(1).collect::<Vec<_>>()
            }
            Err(_) => {
                self.rest
                    .interaction_response(c.id.get(), &c.token, &json!({ "type": 6 }))
                    .await?;
                let replies = page.await;
                if let Some(first) = replies.first() {
                    self.rest
                        .edit_original(self.application()?, &c.token, &first.to_json())
                        .await?;
                }
                replies.into_iter().skip(1).collect()
            }
        };
        for extra in replies {
            self.rest
                .followup(self.application()?, &c.token, &extra.to_json())
                .await?;
        }
        Ok(())
    }

    /// A page of a saved question, reusing its token for the buttons.
    async fn answer_page(&self, ask: Ask, token: &str) -> Reply {
        match self.nimo.ask(&ask).await {
            Ok(answer) => render::answer(&answer, self.nimo.lexicon(), Some(token)),
            Err(AskError::Problem(p)) => render::problem(&p),
            Err(AskError::Internal(e)) => {
                tracing::error!(error = %e, "answering a page failed");
                render::internal_error()
            }
        }
    }
}

/// serenity calls this for every gateway event, each in its own task: a failure in one
/// never stops the others.
pub struct Handler(pub Arc<Bot>);

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.0.on_ready(ready).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("gateway session resumed");
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        self.0.on_message(msg).await;
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        self.0.on_interaction(interaction).await;
    }
}
