//! The bot's state and its gateway event handler: slash commands, autocomplete, paging
//! buttons, and questions asked by mention or in a DM.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};
use serenity::all::{
    ActionRowComponent, ComponentInteraction, Context, EventHandler, Interaction, Message,
    ModalInteraction, Ready, ResumedEvent, User,
};

use super::commands;
use super::limits::Reply;
use super::limits::{Button, CONTENT, split_text};
use super::render;
use super::rest::{Rest, RestError};
use crate::app::assignments::{AssignmentError, Assignments};
use crate::app::{AskError, Nimo};
use crate::domain::forms::conversation::{self, Command, Input};
use crate::domain::people::PersonId;
use crate::domain::ports::PageStore;
use crate::domain::search::query::Ask;

/// The custom id of 事前課題 buttons (`nimo:form:{command}`) and of its input form.
const FORM_BUTTON: &str = "nimo:form:";
const FORM_MODAL: &str = "nimo:formmodal";

/// Who someone is to nimo, from their Discord user.
pub fn person_of(user: &User) -> (PersonId, String) {
    (
        PersonId::discord(user.id.get()),
        user.global_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
    )
}

/// A refusal (or failure) about 事前課題, said kindly.
pub fn refusal(e: AssignmentError) -> Reply {
    match e {
        AssignmentError::Refused(m) => render::problem_text(&m),
        AssignmentError::Internal(e) => {
            tracing::error!(error = %e, "事前課題 failed");
            render::internal_error()
        }
    }
}

/// The conversation's messages as Discord messages: text split within 2000 characters,
/// its buttons on the last piece.
pub fn conversation_replies(messages: &[conversation::Message]) -> Vec<Reply> {
    // A short note followed by the next prompt ("1行目を記録しました。" + the question)
    // goes as one message: half the requests against the channel's rate limit, and the
    // buttons land on the message the person is reading.
    let mut merged: Vec<conversation::Message> = Vec::new();
    for m in messages
        .iter()
        .filter(|m| m.modal.is_none() && !m.text.is_empty())
    {
        match merged.last_mut() {
            Some(prev)
                if prev.actions.is_empty()
                    && prev.text.chars().count() + m.text.chars().count() + 2 <= CONTENT =>
            {
                prev.text = format!("{}\n\n{}", prev.text, m.text);
                prev.actions = m.actions.clone();
            }
            _ => merged.push(m.clone()),
        }
    }
    let mut out = Vec::new();
    for m in &merged {
        let parts = split_text(&m.text, CONTENT);
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let mut r = Reply::text(part);
            if i + 1 == n {
                r.buttons = m
                    .actions
                    .iter()
                    .map(|a| Button {
                        label: a.label(),
                        custom_id: format!("{FORM_BUTTON}{}", a.id()),
                        disabled: false,
                        primary: matches!(
                            a,
                            Command::Next | Command::Submit | Command::ConfirmSubmit
                        ),
                    })
                    .collect();
            }
            out.push(r);
        }
    }
    out
}

/// A modal (Discord's input form) for the current question.
fn modal_json(spec: &conversation::ModalSpec) -> Value {
    let rows: Vec<Value> = spec
        .fields
        .iter()
        .take(super::limits::MODAL_INPUTS)
        .map(|f| {
            let mut input = json!({
                "type": 4, "custom_id": f.id, "label": super::limits::clip(&f.label, super::limits::TEXT_INPUT_LABEL),
                "style": if f.long { 2 } else { 1 }, "required": f.required,
                "max_length": f.max_chars.min(super::limits::TEXT_INPUT_VALUE),
            });
            if !f.placeholder.is_empty() {
                input["placeholder"] = json!(super::limits::clip(&f.placeholder, super::limits::TEXT_INPUT_PLACEHOLDER));
            }
            if !f.value.is_empty() {
                input["value"] = json!(super::limits::clip(&f.value, f.max_chars.min(super::limits::TEXT_INPUT_VALUE)));
            }
            json!({ "type": 1, "components": [input] })
        })
        .collect();
    json!({
        "type": 9,
        "data": {
            "custom_id": FORM_MODAL,
            "title": super::limits::clip(&spec.title, super::limits::MODAL_TITLE),
            "components": rows,
        }
    })
}

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
    pub assignments: Arc<Assignments>,
    pub pages: Arc<dyn PageStore>,
    pub rest: Rest,
    /// Register commands in this guild only (fast iteration) instead of globally.
    pub guild: Option<u64>,
    /// Set when the bot runs the reminder scheduler (status, nudges, resume buttons).
    pub reminders: OnceLock<Arc<crate::app::reminders::Reminders>>,
    /// The bot itself, for tasks it spawns.
    me_arc: OnceLock<std::sync::Weak<Bot>>,
    me: OnceLock<u64>,
    application: OnceLock<u64>,
    started: Instant,
    ready: tokio::sync::watch::Sender<Option<ReadyInfo>>,
}

impl Bot {
    pub fn new(
        nimo: Arc<Nimo>,
        assignments: Arc<Assignments>,
        pages: Arc<dyn PageStore>,
        rest: Rest,
        guild: Option<u64>,
    ) -> (Arc<Bot>, tokio::sync::watch::Receiver<Option<ReadyInfo>>) {
        let (ready, ready_rx) = tokio::sync::watch::channel(None);
        let bot = Bot {
            nimo,
            assignments,
            pages,
            rest,
            guild,
            reminders: OnceLock::new(),
            me_arc: OnceLock::new(),
            me: OnceLock::new(),
            application: OnceLock::new(),
            started: Instant::now(),
            ready,
        };
        let bot = Arc::new(bot);
        let _ = bot.me_arc.set(Arc::downgrade(&bot));
        (bot, ready_rx)
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
                &crate::domain::search::query::QueryProblem::UnknownRegion {
                    typed: typed.to_string(),
                    suggestions: crate::domain::search::query::suggest_regions(
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
                &crate::domain::search::query::QueryProblem::UnknownTopic {
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
        // In a DM, while a 事前課題 is being filled in, messages answer it.
        if in_dm {
            let (person, _) = person_of(&msg.author);
            if self.assignments.is_active(&person).await {
                let replies = match self
                    .assignments
                    .handle(&person, Input::Text(msg.content.clone()))
                    .await
                {
                    Ok(reply) => conversation_replies(&reply.messages),
                    Err(e) => vec![refusal(e)],
                };
                for r in replies {
                    if let Err(e) = self.rest.create_message(channel, &r.to_json()).await {
                        tracing::error!(error = %e, channel, "could not deliver a 事前課題 reply");
                    }
                }
                return;
            }
        }
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
            Interaction::Component(c) if c.data.custom_id.starts_with(FORM_BUTTON) => {
                self.on_form_button(c).await
            }
            Interaction::Component(c)
                if c.data.custom_id.starts_with(super::notices::RESUME_BUTTON) =>
            {
                self.on_resume_button(c).await
            }
            Interaction::Component(c)
                if c.data.custom_id.starts_with(super::notices::NUDGE_BUTTON) =>
            {
                self.on_nudge_button(c).await
            }
            Interaction::Component(c) => self.on_button(c).await,
            Interaction::Modal(m) if m.data.custom_id == FORM_MODAL => self.on_form_modal(m).await,
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

    /// Sends the conversation's messages in the person's DM channel.
    pub async fn send_dm(
        &self,
        user: u64,
        messages: &[conversation::Message],
    ) -> Result<(), BotError> {
        let channel = self
            .rest
            .dm_channel(user)
            .await?
            .and_then(|c| c["id"].as_str().and_then(|id| id.parse::<u64>().ok()))
            .ok_or(BotError::NotReady)?;
        for r in conversation_replies(messages) {
            self.rest.create_message(channel, &r.to_json()).await?;
        }
        Ok(())
    }

    /// Answers an interaction with several messages: the first as the response, the rest
    /// as follow-ups.
    async fn respond_with(
        &self,
        id: u64,
        token: &str,
        replies: Vec<Reply>,
    ) -> Result<(), BotError> {
        let mut replies = replies.into_iter();
        let first = replies
            .next()
            .unwrap_or_else(|| Reply::text("（何も変わりませんでした）"));
        self.rest
            .interaction_response(id, token, &json!({ "type": 4, "data": first.to_json() }))
            .await?;
        for r in replies {
            self.rest
                .followup(self.application()?, token, &r.to_json())
                .await?;
        }
        Ok(())
    }

    /// A 事前課題 button (スキップ, 戻る, 提出, まとめて入力 …).
    async fn on_form_button(&self, c: &ComponentInteraction) -> Result<(), BotError> {
        let (person, _) = person_of(&c.user);
        let Some(command) = Command::from_id(c.data.custom_id.trim_start_matches(FORM_BUTTON))
        else {
            return self
                .respond_with(
                    c.id.get(),
                    &c.token,
                    vec![render::problem_text("このボタンは使えません。")],
                )
                .await;
        };
        let replies = match self
            .assignments
            .handle(&person, Input::Command(command))
            .await
        {
            Ok(reply) => {
                if let Some(spec) = reply.messages.iter().find_map(|m| m.modal.as_ref()) {
                    return Ok(self
                        .rest
                        .interaction_response(c.id.get(), &c.token, &modal_json(spec))
                        .await?);
                }
                conversation_replies(&reply.messages)
            }
            Err(e) => vec![refusal(e)],
        };
        self.respond_with(c.id.get(), &c.token, replies).await
    }

    /// 「事前課題を入力する」 under a reminder: opens (or resumes) that meeting's form.
    async fn on_resume_button(&self, c: &ComponentInteraction) -> Result<(), BotError> {
        let (person, name) = person_of(&c.user);
        let meeting = c
            .data
            .custom_id
            .trim_start_matches(super::notices::RESUME_BUTTON)
            .parse::<i64>()
            .ok();
        let replies = match self.assignments.begin(&person, &name, meeting, None).await {
            Ok(reply) => conversation_replies(&reply.messages),
            Err(e) => vec![refusal(e)],
        };
        self.respond_with(c.id.get(), &c.token, replies).await
    }

    /// 「催促」 under a status or digest: an organizer reminds a region (or all) now.
    async fn on_nudge_button(&self, c: &ComponentInteraction) -> Result<(), BotError> {
        let (person, _) = person_of(&c.user);
        let rest = c
            .data
            .custom_id
            .trim_start_matches(super::notices::NUDGE_BUTTON);
        let parsed = rest
            .split_once(':')
            .and_then(|(m, k)| Some((m.parse::<i64>().ok()?, k.to_string())));
        let text = match (parsed, self.reminders.get()) {
            (Some((meeting, key)), Some(reminders)) => {
                let key = (key != "*").then_some(key);
                match reminders.nudge(&person, meeting, key.as_deref()).await {
                    Ok(msg) => {
                        // Send now rather than at the next scheduled tick.
                        let reminders = reminders.clone();
                        let courier = super::notices::DiscordCourier::new(self.arc()?);
                        tokio::spawn(async move {
                            if let Err(e) = reminders.tick(&courier).await {
                                tracing::error!(error = %e, "sending a nudge failed");
                            }
                        });
                        msg
                    }
                    Err(AssignmentError::Refused(m)) => m,
                    Err(AssignmentError::Internal(e)) => {
                        tracing::error!(error = %e, "nudge failed");
                        "申し訳ありません、内部でエラーが起きました。".into()
                    }
                }
            }
            _ => "このボタンは使えません。".into(),
        };
        let mut reply = Reply::text(text);
        reply.ephemeral = true;
        self.respond_with(c.id.get(), &c.token, vec![reply]).await
    }

    fn arc(&self) -> Result<Arc<Bot>, BotError> {
        self.me_arc
            .get()
            .and_then(std::sync::Weak::upgrade)
            .ok_or(BotError::NotReady)
    }

    /// The 事前課題 input form, submitted.
    async fn on_form_modal(&self, m: &ModalInteraction) -> Result<(), BotError> {
        let (person, _) = person_of(&m.user);
        let fields: Vec<(String, String)> = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .filter_map(|c| match c {
                ActionRowComponent::InputText(t) => {
                    Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
                }
                _ => None,
            })
            .collect();
        let replies = match self
            .assignments
            .handle(&person, Input::Fields(fields))
            .await
        {
            Ok(reply) => conversation_replies(&reply.messages),
            Err(e) => vec![refusal(e)],
        };
        self.respond_with(m.id.get(), &m.token, replies).await
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
