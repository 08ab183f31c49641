//! The REST routes under `/api/v10`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::gateway::*;
use super::validate::*;
use super::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Notify;

pub(crate) async fn serve_connection(
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

pub(crate) fn respond(
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

pub(crate) async fn handle_rest(
    req: Request<Incoming>,
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    // Attachments, as Discord's CDN serves them: no token needed (nor sent).
    if method == "GET" && req.uri().path().starts_with("/attachments/") {
        let path = req.uri().path().to_string();
        // The CDN never sees the bot's token: a download carrying one is recorded so a
        // test fails.
        let path = if req.headers().contains_key("authorization") {
            format!("{path} WITH AUTHORIZATION")
        } else {
            path
        };
        let file = inner
            .lock()
            .unwrap()
            .files
            .get(path.trim_end_matches(" WITH AUTHORIZATION"))
            .cloned();
        let mut i = inner.lock().unwrap();
        i.downloads.push(path.clone());
        drop(i);
        changed.notify_waiters();
        return match file {
            Some(bytes) => Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/octet-stream")
                .body(Full::new(Bytes::from(bytes)))
                .unwrap(),
            None => respond(StatusCode::NOT_FOUND, &json!({"message": "Not Found"}), &[]),
        };
    }
    let path = req.uri().path().trim_start_matches("/api/v10").to_string();
    let query = req.uri().query().unwrap_or("").to_string();
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
        route(&method, &path, &query, &body, addr, &inner)
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

pub(crate) fn route(
    method: &str,
    path: &str,
    query: &str,
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
    let result = route_ok(method, path, query, body, addr, inner);
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

pub(crate) fn fault_response(fault: Fault) -> (StatusCode, Value, Vec<(&'static str, String)>) {
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

pub(crate) fn route_ok(
    method: &str,
    path: &str,
    query: &str,
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
        ("GET", ["channels", channel, "messages"]) => {
            // Discord: the `limit` (≤ 100) messages right after `after`, newest first.
            let channel = channel.to_string();
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let after = param("after").unwrap_or(0);
            let limit = param("limit").unwrap_or(50).clamp(1, 100) as usize;
            let id = |m: &Value| {
                m["id"]
                    .as_str()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let mut found: Vec<Value> = i
                .history
                .iter()
                .filter(|m| m["channel_id"] == channel && id(m) > after)
                .cloned()
                .collect();
            found.sort_by_key(id);
            found.truncate(limit);
            found.reverse();
            ok(Value::Array(found))
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
            i.history.push(msg.clone());
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
