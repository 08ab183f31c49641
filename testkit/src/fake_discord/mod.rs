//! A fake Discord on 127.0.0.1 for end-to-end tests and benchmarks: REST under `/api/v10`
//! and a gateway websocket at `/gw`, speaking the protocol the real serenity client speaks
//! (see ../shared/docs/discord.md). It enforces Discord's documented limits on everything
//! the bot sends and answers 400 like Discord when they are broken, and it can be told to
//! answer 429 with retry_after, answer 500, ask the client to reconnect, or drop the
//! gateway connection.
//!
//! - `validate`: Discord's limits, checked on everything the bot sends
//! - `rest`: the REST routes
//! - `gateway`: the gateway session (HELLO, IDENTIFY/READY, heartbeats, RESUME)

mod gateway;
mod rest;
mod validate;

use rest::serve_connection;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

pub const TOKEN: &str = "fake.bot.token";
pub const BOT_ID: u64 = 1000;
pub const APP_ID: u64 = 2000;
pub const USER_ID: u64 = 3000;
pub const GUILD_ID: u64 = 4000;
pub const CHANNEL_ID: u64 = 5000;
pub const OTHER_BOT_ID: u64 = 6000;
pub const DM_CHANNEL_ID: u64 = 9000;

/// A request the bot made, as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub at: Instant,
    pub status: u16,
}

/// A scripted failure for the next matching requests.
#[derive(Debug, Clone)]
pub enum Fault {
    RateLimited {
        retry_after: f64,
        global: bool,
    },
    ServerError,
    /// The request takes effect, but the response is lost (a 502 from a proxy): a retry
    /// must not create a second message.
    CommitThenFail,
    /// The request takes effect and the response never comes (the sender dies waiting).
    CommitThenHang,
}

pub(crate) struct ScriptedFault {
    pub(crate) method: String,
    pub(crate) path_prefix: String,
    pub(crate) fault: Fault,
    pub(crate) remaining: usize,
}

pub(crate) enum GatewayCommand {
    Send(Value),
    Reconnect,
    Drop,
}

#[derive(Default)]
pub(crate) struct Inner {
    requests: Vec<Recorded>,
    faults: Vec<ScriptedFault>,
    messages: Vec<Value>,
    nonces: HashMap<(u64, String), Value>,
    /// Interaction id → (token, dispatched at, kind).
    interactions: HashMap<u64, (String, Instant, u64)>,
    acknowledged: HashSet<u64>,
    next_id: u64,
    seq: u64,
    events: Vec<(u64, Value)>,
    session: u64,
    identifies: usize,
    resumes: usize,
    dispatched_at: HashMap<u64, Instant>,
    gateway: Option<mpsc::UnboundedSender<GatewayCommand>>,
    registered_commands: Value,
    /// Users whose DMs are closed to the bot (Discord answers 50007).
    closed_dms: HashSet<u64>,
    /// Every message of every channel, users' and the bot's, as Discord keeps them
    /// (what GET /channels/{id}/messages reads).
    pub(crate) history: Vec<Value>,
    /// Messages dispatched right after the next READY.
    pub(crate) after_ready: Vec<Value>,
    /// Uploaded attachments by CDN path (`/attachments/{channel}/{id}/{name}`).
    pub(crate) files: HashMap<String, Vec<u8>>,
    /// CDN paths downloaded, in order.
    pub(crate) downloads: Vec<String>,
}

/// Discord's upload limit for a user without Nitro (10 MiB since 2024).
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// An upload Discord refused.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRefused {
    /// Discord's JSON error code (40005: request entity too large).
    pub code: u64,
    pub message: String,
}

/// The DM channel of a user. Users below 3100 share DM_CHANNEL_ID (older tests talk to
/// the bot there as several users); from 3100 on each has their own.
pub fn dm_channel_of(user: u64) -> u64 {
    if user < 3100 {
        DM_CHANNEL_ID
    } else {
        DM_CHANNEL_ID * 1_000_000 + user
    }
}

pub struct FakeDiscord {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(crate) fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({ "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null, "bot": bot })
}

pub(crate) fn timestamp() -> String {
    "2026-11-22T09:00:00.000000+00:00".to_string()
}

/// A full Message object (every key serenity requires).
pub(crate) fn message_json(
    id: u64,
    channel: u64,
    author: Value,
    content: &str,
    extra: &Value,
) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": author, "content": content,
        "timestamp": timestamp(), "edited_timestamp": null, "tts": false, "mention_everyone": false,
        "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
    });
    for key in ["embeds", "components", "flags", "message_reference"] {
        if let Some(v) = extra.get(key) {
            m[key] = v.clone();
        }
    }
    m
}

// ---------------------------------------------------------------------------------------

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            next_id: 10_000,
            registered_commands: json!([]),
            ..Default::default()
        }));
        let changed = Arc::new(Notify::new());
        let (i2, c2) = (inner.clone(), changed.clone());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (inner, changed) = (i2.clone(), c2.clone());
                tokio::spawn(async move { serve_connection(stream, addr, inner, changed).await });
            }
        });
        FakeDiscord {
            addr,
            inner,
            changed,
            server,
        }
    }

    /// The base URL the bot uses instead of https://discord.com.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn next_id(&self) -> u64 {
        let mut i = self.inner.lock().unwrap();
        i.next_id += 1;
        i.next_id
    }

    /// Answer the next `times` requests matching method and path prefix with a fault.
    pub fn fail_next(&self, method: &str, path_prefix: &str, fault: Fault, times: usize) {
        self.inner.lock().unwrap().faults.push(ScriptedFault {
            method: method.into(),
            path_prefix: path_prefix.into(),
            fault,
            remaining: times,
        });
    }

    /// From now on the bot cannot DM this user (50007, as when DMs are closed).
    pub fn close_dms(&self, user: u64) {
        self.inner.lock().unwrap().closed_dms.insert(user);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, method: &str, path_prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.starts_with(path_prefix))
            .collect()
    }

    /// Waits until `pred` holds over the recorded requests; returns them.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            let reqs = self.requests();
            if pred(&reqs) {
                return reqs;
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("timed out waiting; requests so far:\n{}", describe(&reqs));
            }
            let _ = tokio::time::timeout(deadline - now, notified).await;
        }
    }

    /// Waits until `n` requests to the route have succeeded; returns those.
    pub async fn wait_for_ok(
        &self,
        method: &str,
        path_prefix: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<Recorded> {
        let ok =
            |r: &Recorded| r.method == method && r.path.starts_with(path_prefix) && r.status < 300;
        self.wait_for(timeout, |reqs| reqs.iter().filter(|r| ok(r)).count() >= n)
            .await
            .into_iter()
            .filter(ok)
            .collect()
    }

    /// Waits for the gateway session to be identified (READY sent).
    pub async fn wait_identified(&self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.inner.lock().unwrap().identifies < n {
            assert!(Instant::now() < deadline, "the bot never identified");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn identifies(&self) -> usize {
        self.inner.lock().unwrap().identifies
    }

    pub fn resumes(&self) -> usize {
        self.inner.lock().unwrap().resumes
    }

    pub fn registered_commands(&self) -> Value {
        self.inner.lock().unwrap().registered_commands.clone()
    }

    /// Messages the bot created (channel messages and follow-ups), as stored.
    pub fn messages(&self) -> Vec<Value> {
        self.inner.lock().unwrap().messages.clone()
    }

    fn send_gateway(&self, cmd: GatewayCommand) {
        if let Some(tx) = &self.inner.lock().unwrap().gateway {
            let _ = tx.send(cmd);
        }
    }

    /// Dispatches an event; returns its sequence number.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        let payload = {
            let mut i = self.inner.lock().unwrap();
            i.seq += 1;
            let payload = json!({ "op": 0, "s": i.seq, "t": t, "d": d });
            let seq = i.seq;
            i.events.push((seq, payload.clone()));
            payload
        };
        let seq = payload["s"].as_u64().unwrap();
        self.send_gateway(GatewayCommand::Send(payload));
        seq
    }

    /// A user's message; returns its id and the time it was dispatched.
    pub fn user_message(
        &self,
        channel: u64,
        guild: bool,
        author: (u64, &str, bool),
        content: &str,
        mentions_bot: bool,
    ) -> (u64, Instant) {
        let id = self.next_id();
        let mut m = message_json(
            id,
            channel,
            user(author.0, author.1, author.2),
            content,
            &Value::Null,
        );
        if mentions_bot {
            m["mentions"] = json!([user(BOT_ID, "nimo", true)]);
        }
        if guild {
            m["guild_id"] = json!(GUILD_ID.to_string());
            m["member"] = json!({ "roles": [] });
        }
        let at = Instant::now();
        {
            let mut i = self.inner.lock().unwrap();
            i.dispatched_at.insert(id, at);
            i.history.push(m.clone());
        }
        self.dispatch("MESSAGE_CREATE", m);
        (id, at)
    }

    /// A user uploads a file, as the Discord client does before sending the message it
    /// belongs to: refused above Discord's upload limit, otherwise served at the attachment
    /// URL. Returns the attachment object.
    pub fn upload(&self, channel: u64, name: &str, bytes: &[u8]) -> Result<Value, UploadRefused> {
        if bytes.len() > UPLOAD_LIMIT {
            return Err(UploadRefused {
                code: 40005,
                message: "Request entity too large".into(),
            });
        }
        let id = self.next_id();
        // Discord's CDN URLs carry the name percent-encoded, as HTTP clients send it.
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let path = format!("/attachments/{channel}/{id}/{encoded}");
        let url = format!("http://{}{path}", self.addr);
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(path, bytes.to_vec());
        let content_type = match name.rsplit('.').next() {
            Some("pdf") => "application/pdf",
            Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Some("docx") => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Some("txt") => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        };
        Ok(json!({
            "id": id.to_string(), "filename": name, "size": bytes.len(), "url": url,
            "proxy_url": url, "content_type": content_type,
        }))
    }

    /// The CDN paths the bot downloaded, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.inner.lock().unwrap().downloads.clone()
    }

    /// A user's DM with files attached (see `upload`); returns its id.
    pub fn dm_with_files(&self, author: (u64, &str), content: &str, attachments: &[Value]) -> u64 {
        let id = self.next_id();
        let mut m = message_json(
            id,
            dm_channel_of(author.0),
            user(author.0, author.1, false),
            content,
            &Value::Null,
        );
        m["attachments"] = Value::Array(attachments.to_vec());
        {
            let mut i = self.inner.lock().unwrap();
            i.dispatched_at.insert(id, Instant::now());
            i.history.push(m.clone());
        }
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// A slash command with attachment options: (option name, attachment object).
    pub fn slash_with_files(
        &self,
        who: (u64, &str),
        name: &str,
        files: &[(&str, Value)],
        guild: bool,
    ) -> (u64, String) {
        let mut resolved = serde_json::Map::new();
        let opts: Vec<Value> = files
            .iter()
            .map(|(n, a)| {
                let id = a["id"].as_str().unwrap_or_default().to_string();
                resolved.insert(id.clone(), a.clone());
                json!({ "name": n, "type": 11, "value": id })
            })
            .collect();
        let mut data = self.command_data(name, Value::Array(opts));
        data["resolved"] = json!({ "attachments": resolved });
        self.interaction_envelope_as(who, 2, data, guild, None)
    }

    /// A user's DM that reaches the bot right after its next READY, before the bot has
    /// handled READY. Returns its id.
    pub fn dm_right_after_ready(&self, author: (u64, &str), content: &str) -> u64 {
        let id = self.next_id();
        let m = message_json(
            id,
            dm_channel_of(author.0),
            user(author.0, author.1, false),
            content,
            &Value::Null,
        );
        let mut i = self.inner.lock().unwrap();
        i.history.push(m.clone());
        i.after_ready.push(m);
        id
    }

    /// Sends a message of the history again, as Discord may after a resume.
    pub fn redeliver(&self, id: u64) {
        let m = self
            .inner
            .lock()
            .unwrap()
            .history
            .iter()
            .find(|m| m["id"].as_str() == Some(id.to_string().as_str()))
            .cloned()
            .expect("a message of the history");
        self.dispatch("MESSAGE_CREATE", m);
    }

    /// A user's DM written while the bot is not connected: Discord keeps it in the
    /// channel but never sends it to a later session. Returns its id.
    pub fn dm_while_away(&self, author: (u64, &str), content: &str) -> u64 {
        let id = self.next_id();
        let m = message_json(
            id,
            dm_channel_of(author.0),
            user(author.0, author.1, false),
            content,
            &Value::Null,
        );
        self.inner.lock().unwrap().history.push(m);
        id
    }

    /// Several DMs of one user, given their ids in the order written, then dispatched in
    /// the order `dispatch_order` gives (indexes into `contents`), back to back — as the
    /// events of a burst reach the bot, or as Discord replays them after a resume.
    /// Returns the ids in the order written.
    pub fn dm_burst(
        &self,
        author: (u64, &str),
        contents: &[&str],
        dispatch_order: &[usize],
    ) -> Vec<u64> {
        let messages: Vec<Value> = contents
            .iter()
            .map(|c| {
                let id = self.next_id();
                message_json(
                    id,
                    dm_channel_of(author.0),
                    user(author.0, author.1, false),
                    c,
                    &Value::Null,
                )
            })
            .collect();
        {
            let mut i = self.inner.lock().unwrap();
            let at = Instant::now();
            for m in &messages {
                let id: u64 = m["id"].as_str().unwrap().parse().unwrap();
                i.dispatched_at.insert(id, at);
                i.history.push(m.clone());
            }
        }
        for &k in dispatch_order {
            self.dispatch("MESSAGE_CREATE", messages[k].clone());
        }
        messages
            .iter()
            .map(|m| m["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    fn interaction_envelope(
        &self,
        kind: u64,
        data: Value,
        guild: bool,
        message: Option<Value>,
    ) -> (u64, String) {
        self.interaction_envelope_as((USER_ID, "alice"), kind, data, guild, message)
    }

    fn interaction_envelope_as(
        &self,
        who: (u64, &str),
        kind: u64,
        data: Value,
        guild: bool,
        message: Option<Value>,
    ) -> (u64, String) {
        let id = self.next_id();
        let token = format!("tok{id}");
        let mut i = json!({
            "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind, "token": token,
            "version": 1, "data": data, "channel_id": if guild { CHANNEL_ID } else { DM_CHANNEL_ID }.to_string(),
            "locale": "ja", "entitlements": [], "attachment_size_limit": 8388608,
            "app_permissions": "2251799813685247",
        });
        if guild {
            i["guild_id"] = json!(GUILD_ID.to_string());
            i["guild_locale"] = json!("ja");
            i["member"] = json!({ "user": user(who.0, who.1, false), "roles": [], "deaf": false, "mute": false, "flags": 0, "permissions": "2251799813685247" });
        } else {
            i["user"] = user(who.0, who.1, false);
        }
        if let Some(m) = message {
            i["message"] = m;
        }
        self.inner
            .lock()
            .unwrap()
            .interactions
            .insert(id, (token.clone(), Instant::now(), kind));
        self.dispatch("INTERACTION_CREATE", i);
        (id, token)
    }

    fn command_data(&self, name: &str, options: Value) -> Value {
        let cmd_id = self
            .registered_commands()
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["name"] == name)
                    .map(|c| c["id"].clone())
            })
            .unwrap_or(json!("8000"));
        json!({ "id": cmd_id, "name": name, "type": 1, "options": options })
    }

    /// A slash command by the default user; options are strings, or users as `@ID`.
    pub fn slash(&self, name: &str, options: &[(&str, &str)], guild: bool) -> (u64, String) {
        self.slash_as((USER_ID, "alice"), name, options, guild)
    }

    /// A slash command by someone else; options are strings, or users as `@ID`.
    pub fn slash_as(
        &self,
        who: (u64, &str),
        name: &str,
        options: &[(&str, &str)],
        guild: bool,
    ) -> (u64, String) {
        let mut users = serde_json::Map::new();
        let opts: Vec<Value> = options
            .iter()
            .map(
                |(n, v)| match v.strip_prefix('@').and_then(|id| id.parse::<u64>().ok()) {
                    Some(id) => {
                        users.insert(id.to_string(), user(id, &format!("user{id}"), false));
                        json!({ "name": n, "type": 6, "value": id.to_string() })
                    }
                    None => json!({ "name": n, "type": 3, "value": v }),
                },
            )
            .collect();
        let mut data = self.command_data(name, Value::Array(opts));
        if !users.is_empty() {
            data["resolved"] = json!({ "users": users });
        }
        self.interaction_envelope_as(who, 2, data, guild, None)
    }

    /// A click by someone else on a button of a message the bot sent.
    pub fn click_as(&self, who: (u64, &str), message: &Value, custom_id: &str) -> (u64, String) {
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        let channel = message["channel_id"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .unwrap_or(CHANNEL_ID);
        self.interaction_envelope_as(
            who,
            3,
            data,
            channel != DM_CHANNEL_ID && channel < DM_CHANNEL_ID * 1_000_000,
            Some(message.clone()),
        )
    }

    /// A submitted modal: its custom id and (field id, value) pairs.
    pub fn modal_submit_as(
        &self,
        who: (u64, &str),
        custom_id: &str,
        fields: &[(&str, &str)],
        guild: bool,
    ) -> (u64, String) {
        let rows: Vec<Value> = fields
            .iter()
            .map(|(id, v)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": v }] }))
            .collect();
        let data = json!({ "custom_id": custom_id, "components": rows });
        self.interaction_envelope_as(who, 5, data, guild, None)
    }

    /// An autocomplete request while typing `focused` into option `name`.
    pub fn autocomplete(&self, command: &str, option: &str, typed: &str) -> (u64, String) {
        let data = self.command_data(
            command,
            json!([{ "name": option, "type": 3, "value": typed, "focused": true }]),
        );
        self.interaction_envelope(4, data, true, None)
    }

    /// A click on a button of a message the bot sent.
    pub fn click(&self, message: &Value, custom_id: &str) -> (u64, String) {
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        let channel = message["channel_id"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .unwrap_or(CHANNEL_ID);
        self.interaction_envelope(3, data, channel != DM_CHANNEL_ID, Some(message.clone()))
    }

    /// Asks the client to reconnect (op 7); it should RESUME.
    pub fn reconnect(&self) {
        self.send_gateway(GatewayCommand::Reconnect);
    }

    /// Drops the gateway TCP connection without a close frame.
    pub fn drop_gateway(&self) {
        self.send_gateway(GatewayCommand::Drop);
    }

    /// When a message or interaction was dispatched (for latency measurements).
    pub fn dispatched_at(&self, id: u64) -> Option<Instant> {
        let i = self.inner.lock().unwrap();
        i.dispatched_at
            .get(&id)
            .copied()
            .or_else(|| i.interactions.get(&id).map(|x| x.1))
    }
}

pub fn describe(reqs: &[Recorded]) -> String {
    reqs.iter()
        .map(|r| {
            format!(
                "  {} {} -> {} {}",
                r.method,
                r.path,
                r.status,
                truncate(&r.body.to_string(), 300)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
