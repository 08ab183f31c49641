//! The gateway websocket at `/gw`: HELLO, IDENTIFY → READY and GUILD_CREATE, heartbeats,
//! RESUME with replay, reconnect requests and dropped connections.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use super::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn ready_payload(addr: SocketAddr, session: u64, seq: u64) -> Value {
    json!({ "op": 0, "s": seq, "t": "READY", "d": {
        "v": 10, "user": user(BOT_ID, "nimo", true),
        "guilds": [{ "id": GUILD_ID.to_string(), "unavailable": true }],
        "session_id": format!("sess{session}"), "resume_gateway_url": format!("ws://{addr}/gw"),
        "application": { "id": APP_ID.to_string(), "flags": 0 }
    }})
}

pub(crate) fn guild_create(seq: u64) -> Value {
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

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

pub(crate) async fn gateway_session(ws: Ws, addr: SocketAddr, inner: Arc<Mutex<Inner>>) {
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
                        let (ready, guild, early) = {
                            let mut i = inner.lock().unwrap();
                            i.identifies += 1;
                            i.session += 1;
                            i.seq += 1;
                            let ready = ready_payload(addr, i.session, i.seq);
                            i.seq += 1;
                            let guild = guild_create(i.seq);
                            i.gateway = Some(tx.clone());
                            let early: Vec<Value> = std::mem::take(&mut i.after_ready)
                                .into_iter()
                                .map(|m| {
                                    i.seq += 1;
                                    let e = json!({ "op": 0, "s": i.seq, "t": "MESSAGE_CREATE", "d": m });
                                    let seq = i.seq;
                                    i.events.push((seq, e.clone()));
                                    e
                                })
                                .collect();
                            (ready, guild, early)
                        };
                        let _ = sink.send(WsMessage::Text(ready.to_string())).await;
                        let _ = sink.send(WsMessage::Text(guild.to_string())).await;
                        // Events can follow READY at once, before the bot has done anything
                        // with it.
                        for e in early {
                            let _ = sink.send(WsMessage::Text(e.to_string())).await;
                        }
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
