//! A fake Discord on 127.0.0.1 for end-to-end tests and benchmarks: REST under `/api/v10`
//! and a gateway websocket at `/gw`, speaking the protocol the real serenity client speaks
//! (see ../shared/docs/discord.md). It enforces Discord's documented limits on everything
//! the bot sends and answers 400 like Discord when they are broken, and it can be told to
//! answer 429 with retry_after, answer 500, ask the client to reconnect, or drop the
//! gateway connection.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

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

struct ScriptedFault {
    method: String,
    path_prefix: String,
    fault: Fault,
    remaining: usize,
}

enum GatewayCommand {
    Send(Value),
    Reconnect,
    Drop,
}

#[derive(Default)]
struct Inner {
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

fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({ "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null, "bot": bot })
}

fn timestamp() -> String {
    "2026-11-22T09:00:00.000000+00:00".to_string()
}

/// A full Message object (every key serenity requires).
fn message_json(id: u64, channel: u64, author: Value, content: &str, extra: &Value) -> Value {
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
// Discord's limits, as the API documents and enforces them.

fn chars(v: &Value) -> usize {
    v.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

fn trimmed_chars(v: &Value) -> usize {
    v.as_str().map(|s| s.trim().chars().count()).unwrap_or(0)
}

fn check(errors: &mut Vec<String>, ok: bool, what: impl Into<String>) {
    if !ok {
        errors.push(what.into());
    }
}

fn validate_components(components: &Value, errors: &mut Vec<String>) {
    let Some(rows) = components.as_array() else {
        return;
    };
    check(
        errors,
        rows.len() <= 5,
        "components: more than 5 action rows",
    );
    for row in rows {
        check(
            errors,
            row["type"] == 1,
            "components: top level must be action rows",
        );
        let items = row["components"].as_array().cloned().unwrap_or_default();
        check(
            errors,
            !items.is_empty() && items.len() <= 5,
            "components: a row holds 1 to 5 buttons",
        );
        for b in &items {
            match b["type"].as_u64() {
                Some(2) => {
                    let style = b["style"].as_u64().unwrap_or(0);
                    check(errors, (1..=6).contains(&style), "button: invalid style");
                    check(errors, chars(&b["label"]) <= 80, "button: label over 80");
                    if style != 5 && style != 6 {
                        let id = chars(&b["custom_id"]);
                        check(
                            errors,
                            (1..=100).contains(&id),
                            "button: custom_id must be 1-100",
                        );
                    }
                }
                Some(3) => {
                    check(errors, items.len() == 1, "select: must be alone in its row");
                    let options = b["options"].as_array().map(Vec::len).unwrap_or(0);
                    check(errors, options <= 25, "select: more than 25 options");
                }
                _ => errors.push("components: unsupported component type".into()),
            }
        }
    }
}

/// A message body as POST /channels/{id}/messages, follow-ups and interaction responses
/// (types 4 and 7) take it.
fn validate_message(body: &Value, require_something: bool) -> Vec<String> {
    let mut errors = Vec::new();
    check(
        &mut errors,
        chars(&body["content"]) <= 2000,
        "content: over 2000 characters",
    );
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    let components = body["components"].as_array().map(Vec::len).unwrap_or(0);
    if require_something {
        check(
            &mut errors,
            trimmed_chars(&body["content"]) > 0 || !embeds.is_empty() || components > 0,
            "message: cannot send an empty message (50006)",
        );
    }
    check(&mut errors, embeds.len() <= 10, "embeds: more than 10");
    let mut total = 0;
    for e in &embeds {
        check(
            &mut errors,
            chars(&e["title"]) <= 256,
            "embed: title over 256",
        );
        check(
            &mut errors,
            chars(&e["description"]) <= 4096,
            "embed: description over 4096",
        );
        check(
            &mut errors,
            chars(&e["footer"]["text"]) <= 2048,
            "embed: footer over 2048",
        );
        check(
            &mut errors,
            chars(&e["author"]["name"]) <= 256,
            "embed: author over 256",
        );
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        check(
            &mut errors,
            fields.len() <= 25,
            "embed: more than 25 fields",
        );
        for f in &fields {
            check(
                &mut errors,
                (1..=256).contains(&trimmed_chars(&f["name"])),
                "embed field: name must be 1-256",
            );
            check(
                &mut errors,
                (1..=1024).contains(&trimmed_chars(&f["value"])),
                "embed field: value must be 1-1024",
            );
            total += trimmed_chars(&f["name"]) + trimmed_chars(&f["value"]);
        }
        total += trimmed_chars(&e["title"])
            + trimmed_chars(&e["description"])
            + trimmed_chars(&e["footer"]["text"])
            + trimmed_chars(&e["author"]["name"]);
    }
    check(
        &mut errors,
        total <= 6000,
        format!("embeds: {total} characters in total, over 6000"),
    );
    validate_components(&body["components"], &mut errors);
    if let Some(n) = body.get("nonce") {
        let len = n
            .as_str()
            .map(|s| s.len())
            .unwrap_or_else(|| n.to_string().len());
        check(&mut errors, len <= 25, "nonce: over 25 characters");
    }
    let am = &body["allowed_mentions"];
    if let Some(parse) = am["parse"].as_array() {
        check(
            &mut errors,
            !(parse.iter().any(|p| p == "users")
                && am["users"].as_array().is_some_and(|u| !u.is_empty())),
            "allowed_mentions: parse users is exclusive with users",
        );
    }
    errors
}

fn command_name_ok(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '\'')
        && name.to_lowercase() == name
}

fn validate_commands(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(commands) = body.as_array() else {
        return vec!["commands: expected an array".into()];
    };
    check(
        &mut errors,
        commands.len() <= 100,
        "commands: more than 100",
    );
    for c in commands {
        let name = c["name"].as_str().unwrap_or("");
        check(
            &mut errors,
            command_name_ok(name),
            format!("command name invalid: {name:?}"),
        );
        check(
            &mut errors,
            (1..=100).contains(&chars(&c["description"])),
            format!("{name}: description must be 1-100"),
        );
        check(
            &mut errors,
            c.to_string().chars().count() <= 8000,
            format!("{name}: over 8000 characters"),
        );
        let options = c["options"].as_array().cloned().unwrap_or_default();
        check(
            &mut errors,
            options.len() <= 25,
            format!("{name}: more than 25 options"),
        );
        let mut seen_optional = false;
        for o in &options {
            let oname = o["name"].as_str().unwrap_or("");
            check(
                &mut errors,
                command_name_ok(oname),
                format!("{name}: option name invalid: {oname:?}"),
            );
            check(
                &mut errors,
                (1..=100).contains(&chars(&o["description"])),
                format!("{name}/{oname}: description 1-100"),
            );
            let required = o["required"].as_bool().unwrap_or(false);
            check(
                &mut errors,
                !(required && seen_optional),
                format!("{name}: required options must come first"),
            );
            seen_optional |= !required;
            let choices = o["choices"].as_array().map(Vec::len).unwrap_or(0);
            check(
                &mut errors,
                choices <= 25,
                format!("{name}/{oname}: more than 25 choices"),
            );
            check(
                &mut errors,
                !(choices > 0 && o["autocomplete"].as_bool() == Some(true)),
                format!("{name}/{oname}: autocomplete excludes choices"),
            );
        }
    }
    errors
}

fn validate_modal(data: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(
        &mut errors,
        (1..=45).contains(&chars(&data["title"])),
        "modal: title must be 1-45",
    );
    check(
        &mut errors,
        (1..=100).contains(&chars(&data["custom_id"])),
        "modal: custom_id must be 1-100",
    );
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    check(
        &mut errors,
        (1..=5).contains(&rows.len()),
        "modal: 1 to 5 components",
    );
    for row in rows {
        for input in row["components"].as_array().cloned().unwrap_or_default() {
            check(&mut errors, input["type"] == 4, "modal: only text inputs");
            check(
                &mut errors,
                (1..=45).contains(&chars(&input["label"])),
                "text input: label must be 1-45",
            );
            check(
                &mut errors,
                (1..=100).contains(&chars(&input["custom_id"])),
                "text input: custom_id 1-100",
            );
            check(
                &mut errors,
                chars(&input["value"]) <= 4000,
                "text input: value over 4000",
            );
            check(
                &mut errors,
                chars(&input["placeholder"]) <= 100,
                "text input: placeholder over 100",
            );
            for k in ["min_length", "max_length"] {
                check(
                    &mut errors,
                    input[k].as_u64().unwrap_or(0) <= 4000,
                    format!("text input: {k} over 4000"),
                );
            }
        }
    }
    errors
}

fn invalid_form(errors: &[String]) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({ "code": 50035, "message": "Invalid Form Body", "errors": { "_errors": errors.iter().map(|e| json!({"code": "INVALID", "message": e})).collect::<Vec<_>>() } }),
    )
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
        self.inner.lock().unwrap().dispatched_at.insert(id, at);
        self.dispatch("MESSAGE_CREATE", m);
        (id, at)
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

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

async fn serve_connection(
    stream: TcpStream,
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
) {
    // The gateway and REST share the port: peek at the request line.
    let mut buf = [0u8; 8];
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let n = stream.peek(&mut buf).await.unwrap_or(0);
        if n >= 7 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if buf.starts_with(b"GET /gw") {
        if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
            gateway_session(ws, addr, inner).await;
        }
        return;
    }
    let service = service_fn(move |req| {
        let (inner, changed) = (inner.clone(), changed.clone());
        async move { Ok::<_, std::convert::Infallible>(handle_rest(req, addr, inner, changed).await) }
    });
    let _ = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn respond(
    status: StatusCode,
    body: &Value,
    extra_headers: &[(&str, String)],
) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in extra_headers {
        b = b.header(*k, v);
    }
    let bytes = if status == StatusCode::NO_CONTENT {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    b.body(Full::new(bytes)).unwrap()
}

async fn handle_rest(
    req: Request<Incoming>,
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req.uri().path().trim_start_matches("/api/v10").to_string();
    let auth_ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {TOKEN}"));
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    // Like Discord, GET /gateway needs no token (a wrong token fails at IDENTIFY).
    let public = method == "GET" && path == "/gateway";
    let (status, response, headers) = if !auth_ok && !public {
        (
            StatusCode::UNAUTHORIZED,
            json!({"message": "401: Unauthorized", "code": 0}),
            vec![],
        )
    } else {
        route(&method, &path, &body, addr, &inner)
    };
    inner.lock().unwrap().requests.push(Recorded {
        method,
        path,
        body,
        at: Instant::now(),
        status: status.as_u16(),
    });
    changed.notify_waiters();
    if status.as_u16() == 599 {
        // The message exists; its sender never hears back.
        std::future::pending::<()>().await;
    }
    respond(status, &response, &headers)
}

fn route(
    method: &str,
    path: &str,
    body: &Value,
    addr: SocketAddr,
    inner: &Arc<Mutex<Inner>>,
) -> (StatusCode, Value, Vec<(&'static str, String)>) {
    let mut i = inner.lock().unwrap();
    // Scripted faults come first.
    let mut commit_then_fail = false;
    let mut hang = false;
    if let Some(f) = i
        .faults
        .iter_mut()
        .find(|f| f.remaining > 0 && f.method == method && path.starts_with(&f.path_prefix))
    {
        f.remaining -= 1;
        match f.fault.clone() {
            Fault::CommitThenFail => commit_then_fail = true,
            Fault::CommitThenHang => hang = true,
            other => return fault_response(other),
        }
    }
    drop(i);
    let result = route_ok(method, path, body, addr, inner);
    if hang {
        return (StatusCode::from_u16(599).unwrap(), result.1, vec![]);
    }
    if commit_then_fail {
        return (
            StatusCode::BAD_GATEWAY,
            json!({"message": "502: Bad Gateway", "code": 0}),
            vec![],
        );
    }
    result
}

fn fault_response(fault: Fault) -> (StatusCode, Value, Vec<(&'static str, String)>) {
    match fault {
        Fault::RateLimited {
            retry_after,
            global,
        } => {
            let mut headers = vec![
                ("retry-after", format!("{}", retry_after.ceil() as u64)),
                ("x-ratelimit-limit", "5".into()),
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset-after", format!("{retry_after}")),
                ("x-ratelimit-bucket", "fakebucket".into()),
                (
                    "x-ratelimit-scope",
                    if global { "global" } else { "user" }.into(),
                ),
            ];
            if global {
                headers.push(("x-ratelimit-global", "true".into()));
            }
            (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": global }),
                headers,
            )
        }
        Fault::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": "500: Internal Server Error", "code": 0}),
            vec![],
        ),
        Fault::CommitThenFail | Fault::CommitThenHang => unreachable!("handled by route"),
    }
}

fn route_ok(
    method: &str,
    path: &str,
    body: &Value,
    addr: SocketAddr,
    inner: &Arc<Mutex<Inner>>,
) -> (StatusCode, Value, Vec<(&'static str, String)>) {
    let mut i = inner.lock().unwrap();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |v: Value| (StatusCode::OK, v, vec![]);
    let no_content = || (StatusCode::NO_CONTENT, Value::Null, vec![]);
    match (method, parts.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({ "url": format!("ws://{addr}/gw") })),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": format!("ws://{addr}/gw"), "shards": 1,
            "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 }
        })),
        ("GET", ["users", "@me"]) => ok(user(BOT_ID, "nimo", true)),
        ("GET", ["oauth2", "applications", "@me"]) => ok(json!({
            "id": APP_ID.to_string(), "name": "nimo", "description": "", "bot_public": true,
            "bot_require_code_grant": false, "verify_key": "00", "owner": user(USER_ID, "alice", false), "flags": 0
        })),
        ("PUT", ["applications", app, "commands"])
        | ("PUT", ["applications", app, "guilds", _, "commands"]) => {
            if *app != APP_ID.to_string() {
                return (
                    StatusCode::FORBIDDEN,
                    json!({"message": "Missing Access", "code": 50001}),
                    vec![],
                );
            }
            let errors = validate_commands(body);
            if !errors.is_empty() {
                let (s, b) = invalid_form(&errors);
                return (s, b, vec![]);
            }
            let commands: Vec<Value> = body
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(n, c)| {
                    let mut c = c.clone();
                    c["id"] = json!((8000 + n).to_string());
                    c["application_id"] = json!(APP_ID.to_string());
                    c["version"] = json!("1");
                    if c.get("type").is_none() {
                        c["type"] = json!(1);
                    }
                    c
                })
                .collect();
            i.registered_commands = Value::Array(commands.clone());
            ok(Value::Array(commands))
        }
        ("POST", ["channels", channel, "typing"]) => {
            let _ = channel;
            no_content()
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            if let Some(user) = channel.checked_sub(DM_CHANNEL_ID * 1_000_000)
                && i.closed_dms.contains(&user)
            {
                return (
                    StatusCode::FORBIDDEN,
                    json!({"message": "Cannot send messages to this user", "code": 50007}),
                    vec![],
                );
            }
            let errors = validate_message(body, true);
            if !errors.is_empty() {
                let (s, b) = invalid_form(&errors);
                return (s, b, vec![]);
            }
            if body["enforce_nonce"] == true
                && let Some(nonce) = body["nonce"].as_str()
                && let Some(existing) = i.nonces.get(&(channel, nonce.to_string()))
            {
                return ok(existing.clone());
            }
            i.next_id += 1;
            let id = i.next_id;
            let msg = message_json(
                id,
                channel,
                user(BOT_ID, "nimo", true),
                body["content"].as_str().unwrap_or(""),
                body,
            );
            if let Some(nonce) = body["nonce"].as_str() {
                i.nonces.insert((channel, nonce.to_string()), msg.clone());
            }
            i.messages.push(msg.clone());
            ok(msg)
        }
        ("POST", ["users", "@me", "channels"]) => {
            let recipient: u64 = body["recipient_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(USER_ID);
            ok(json!({
                "id": dm_channel_of(recipient).to_string(), "type": 1,
                "recipients": [user(recipient, "alice", false)]
            }))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some((expected_token, at, kind)) = i.interactions.get(&id).cloned() else {
                return (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown interaction", "code": 10062}),
                    vec![],
                );
            };
            if *token != expected_token || at.elapsed() > Duration::from_secs(3) {
                return (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown interaction", "code": 10062}),
                    vec![],
                );
            }
            if i.acknowledged.contains(&id) {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
                    vec![],
                );
            }
            let t = body["type"].as_u64().unwrap_or(0);
            let data = &body["data"];
            let mut errors = Vec::new();
            match t {
                1 => check(&mut errors, kind == 1, "PONG only answers a PING"),
                4 => errors.extend(validate_message(data, true)),
                5 => {}
                6 | 7 => {
                    check(
                        &mut errors,
                        kind == 3 || kind == 5,
                        "types 6 and 7 are only valid for components",
                    );
                    if t == 7 {
                        errors.extend(validate_message(data, false));
                    }
                }
                8 => {
                    check(&mut errors, kind == 4, "type 8 answers autocomplete only");
                    let choices = data["choices"].as_array().cloned().unwrap_or_default();
                    check(
                        &mut errors,
                        choices.len() <= 25,
                        "autocomplete: more than 25 choices",
                    );
                    for c in &choices {
                        check(
                            &mut errors,
                            (1..=100).contains(&chars(&c["name"])),
                            "choice: name must be 1-100",
                        );
                        check(
                            &mut errors,
                            chars(&c["value"]) <= 100,
                            "choice: value over 100",
                        );
                    }
                }
                9 => {
                    check(
                        &mut errors,
                        kind != 4 && kind != 5,
                        "a modal cannot answer autocomplete or a modal",
                    );
                    errors.extend(validate_modal(data));
                }
                _ => errors.push(format!("unknown interaction response type {t}")),
            }
            if kind == 4 {
                check(
                    &mut errors,
                    t == 8,
                    "autocomplete must be answered with type 8",
                );
            }
            if !errors.is_empty() {
                let (s, b) = invalid_form(&errors);
                return (s, b, vec![]);
            }
            i.acknowledged.insert(id);
            if t == 4 || t == 7 {
                i.next_id += 1;
                let mid = i.next_id;
                let msg = message_json(
                    mid,
                    CHANNEL_ID,
                    user(BOT_ID, "nimo", true),
                    data["content"].as_str().unwrap_or(""),
                    data,
                );
                i.messages.push(msg);
            }
            no_content()
        }
        ("POST", ["webhooks", app, token]) => {
            if *app != APP_ID.to_string() {
                return (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Webhook", "code": 10015}),
                    vec![],
                );
            }
            let known = i.interactions.iter().any(|(id, (t, at, _))| {
                t == token
                    && i.acknowledged.contains(id)
                    && at.elapsed() < Duration::from_secs(15 * 60)
            });
            if !known {
                return (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Webhook", "code": 10015}),
                    vec![],
                );
            }
            let errors = validate_message(body, true);
            if !errors.is_empty() {
                let (s, b) = invalid_form(&errors);
                return (s, b, vec![]);
            }
            i.next_id += 1;
            let id = i.next_id;
            let msg = message_json(
                id,
                CHANNEL_ID,
                user(BOT_ID, "nimo", true),
                body["content"].as_str().unwrap_or(""),
                body,
            );
            i.messages.push(msg.clone());
            ok(msg)
        }
        ("PATCH", ["webhooks", app, token, "messages", "@original"]) => {
            let known =
                *app == APP_ID.to_string() && i.interactions.values().any(|(t, _, _)| t == token);
            if !known {
                return (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Webhook", "code": 10015}),
                    vec![],
                );
            }
            let errors = validate_message(body, false);
            if !errors.is_empty() {
                let (s, b) = invalid_form(&errors);
                return (s, b, vec![]);
            }
            i.next_id += 1;
            let id = i.next_id;
            let msg = message_json(
                id,
                CHANNEL_ID,
                user(BOT_ID, "nimo", true),
                body["content"].as_str().unwrap_or(""),
                body,
            );
            i.messages.push(msg.clone());
            ok(msg)
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"message": "404: Not Found", "code": 0}),
            vec![],
        ),
    }
}

fn ready_payload(addr: SocketAddr, session: u64, seq: u64) -> Value {
    json!({ "op": 0, "s": seq, "t": "READY", "d": {
        "v": 10, "user": user(BOT_ID, "nimo", true),
        "guilds": [{ "id": GUILD_ID.to_string(), "unavailable": true }],
        "session_id": format!("sess{session}"), "resume_gateway_url": format!("ws://{addr}/gw"),
        "application": { "id": APP_ID.to_string(), "flags": 0 }
    }})
}

fn guild_create(seq: u64) -> Value {
    json!({ "op": 0, "s": seq, "t": "GUILD_CREATE", "d": {
        "id": GUILD_ID.to_string(), "name": "にも包括 AD 会議", "owner_id": USER_ID.to_string(),
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "mfa_level": 0, "system_channel_flags": 0, "premium_tier": 0, "nsfw_level": 0,
        "preferred_locale": "ja", "premium_progress_bar_enabled": false, "joined_at": "2024-01-01T00:00:00Z",
        "large": false, "member_count": 2, "features": [], "emojis": [], "stickers": [], "voice_states": [],
        "members": [], "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        "roles": [{ "id": GUILD_ID.to_string(), "name": "@everyone", "color": 0, "colors": { "primary_color": 0 },
                    "hoist": false, "managed": false, "permissions": "104324673", "position": 0 }],
        "channels": [{ "id": CHANNEL_ID.to_string(), "type": 0, "name": "general" }]
    }})
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn gateway_session(ws: Ws, addr: SocketAddr, inner: Arc<Mutex<Inner>>) {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<GatewayCommand>();
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": 4_000 } });
    if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let Some(Ok(msg)) = incoming else { return };
                let text = match msg {
                    WsMessage::Text(t) => t,
                    WsMessage::Close(_) => { let _ = sink.send(WsMessage::Close(None)).await; return; }
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) => { let _ = sink.send(WsMessage::Text(json!({"op": 11}).to_string())).await; }
                    Some(2) => {
                        let token_ok = payload["d"]["token"].as_str().is_some_and(|t| t.trim_start_matches("Bot ") == TOKEN);
                        if !token_ok {
                            let _ = sink.send(WsMessage::Close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                                code: 4004.into(), reason: "Authentication failed.".into() }))).await;
                            return;
                        }
                        let (ready, guild) = {
                            let mut i = inner.lock().unwrap();
                            i.identifies += 1;
                            i.session += 1;
                            i.seq += 1;
                            let ready = ready_payload(addr, i.session, i.seq);
                            i.seq += 1;
                            let guild = guild_create(i.seq);
                            i.gateway = Some(tx.clone());
                            (ready, guild)
                        };
                        let _ = sink.send(WsMessage::Text(ready.to_string())).await;
                        let _ = sink.send(WsMessage::Text(guild.to_string())).await;
                    }
                    Some(6) => {
                        let seq = payload["d"]["seq"].as_u64().unwrap_or(0);
                        let (missed, resumed) = {
                            let mut i = inner.lock().unwrap();
                            i.resumes += 1;
                            let missed: Vec<Value> = i.events.iter().filter(|(s, _)| *s > seq).map(|(_, e)| e.clone()).collect();
                            i.seq += 1;
                            let resumed = json!({"op": 0, "s": i.seq, "t": "RESUMED", "d": {}});
                            i.gateway = Some(tx.clone());
                            (missed, resumed)
                        };
                        for e in missed {
                            let _ = sink.send(WsMessage::Text(e.to_string())).await;
                        }
                        let _ = sink.send(WsMessage::Text(resumed.to_string())).await;
                    }
                    _ => {}
                }
            }
            command = rx.recv() => {
                match command {
                    Some(GatewayCommand::Send(p)) => { if sink.send(WsMessage::Text(p.to_string())).await.is_err() { return; } }
                    Some(GatewayCommand::Reconnect) => { let _ = sink.send(WsMessage::Text(json!({"op": 7, "d": null}).to_string())).await; }
                    Some(GatewayCommand::Drop) | None => return,
                }
            }
        }
    }
}
