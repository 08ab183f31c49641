//! nimo's delivery to Discord's REST API: every reply goes through here.
//!
//! Why not serenity's HTTP client for replies: with a proxy (a rate-limit proxy in
//! production, the fake Discord in tests) serenity's rate limiter must be off, and then a
//! 429 becomes an error with the `retry_after` thrown away. Here a 429 waits exactly
//! `retry_after` (global limits pause every route), a 5xx or a network error is retried
//! with backoff, buckets that report no remaining requests are waited out, and each call
//! has a time budget fitting what it delivers (3 s for an interaction's first response, 15
//! minutes for follow-ups). Created messages carry a `nonce` with `enforce_nonce`, so a
//! retry after a lost response never posts twice.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A secret (the bot token) that never shows in logs or debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Discord refused the request (a 4xx other than 429): retrying will not help.
    #[error("Discord rejected {route}: HTTP {status} code {code:?}: {message}")]
    Rejected {
        route: String,
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// Out of time budget after transient failures.
    #[error("gave up on {route} after {attempts} attempts: {last}")]
    GaveUp {
        route: String,
        attempts: u32,
        last: String,
    },
}

impl RestError {
    pub fn code(&self) -> Option<i64> {
        match self {
            RestError::Rejected { code, .. } => *code,
            RestError::GaveUp { .. } => None,
        }
    }
}

/// Time budgets per kind of delivery.
pub const BUDGET_INITIAL_RESPONSE: Duration = Duration::from_millis(2_800);
pub const BUDGET_FOLLOWUP: Duration = Duration::from_secs(5 * 60);
pub const BUDGET_MESSAGE: Duration = Duration::from_secs(5 * 60);
pub const BUDGET_SETUP: Duration = Duration::from_secs(60);

/// Discord's JSON error code for "this interaction has already been acknowledged".
const ALREADY_ACKNOWLEDGED: i64 = 40060;

#[derive(Default)]
struct Limits {
    /// Per route: requests may resume at this instant.
    route_reset: HashMap<String, Instant>,
    /// Every route: a global limit was hit.
    global_reset: Option<Instant>,
}

pub struct Rest {
    client: reqwest::Client,
    /// `https://discord.com/api/v10`, or the proxy's equivalent.
    base: String,
    authorization: Secret,
    limits: Mutex<Limits>,
}

impl fmt::Debug for Rest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rest")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A route as it may be logged: interaction and webhook tokens replaced.
pub fn loggable(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    let mut redact_next = 0;
    for (i, p) in parts.iter().enumerate() {
        if redact_next > 0 {
            redact_next -= 1;
            if redact_next == 0 {
                out.push("***");
                continue;
            }
        }
        if (*p == "interactions" || *p == "webhooks") && i + 2 < parts.len() {
            redact_next = 2;
        }
        out.push(p);
    }
    out.join("/")
}

fn new_nonce() -> String {
    // 25 characters at most (Discord's limit); 20 random alphanumerics.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl Rest {
    /// `proxy` replaces `https://discord.com` (e.g. `http://127.0.0.1:8080`).
    pub fn new(token: &Secret, proxy: Option<&str>) -> Rest {
        let origin = proxy
            .map(|p| p.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://discord.com".into());
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "DiscordBot (https://github.com/nimo, ",
                env!("CARGO_PKG_VERSION"),
                ") nimo"
            ))
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("a TLS backend is compiled in");
        Rest {
            client,
            base: format!("{origin}/api/v10"),
            authorization: Secret(format!("Bot {}", token.expose())),
            limits: Mutex::new(Limits::default()),
        }
    }

    /// Downloads an attachment from the URL Discord gave for it (its CDN; never with the
    /// bot's token), refusing more than `max_bytes` whatever the size announced.
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
        let mut response = self
            .client
            .get(url)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| format!("接続できませんでした（{}）", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err("ファイルが大きすぎます".into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("途中で切れました（{}）", e.without_url()))?
        {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err("ファイルが大きすぎます".into());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    fn wait_before(&self, route: &str) -> Option<Instant> {
        let limits = self.limits.lock().expect("limits lock");
        let now = Instant::now();
        let r = limits.route_reset.get(route).copied().filter(|t| *t > now);
        let g = limits.global_reset.filter(|t| *t > now);
        r.max(g)
    }

    fn note_headers(&self, route: &str, headers: &reqwest::header::HeaderMap) {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let remaining = get("x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
        let reset_after = get("x-ratelimit-reset-after").and_then(|v| v.parse::<f64>().ok());
        if let (Some(0), Some(after)) = (remaining, reset_after) {
            let until = Instant::now() + Duration::from_secs_f64(after.clamp(0.0, 60.0));
            self.limits
                .lock()
                .expect("limits lock")
                .route_reset
                .insert(route.to_string(), until);
        }
    }

    /// One call with retries within `budget`. Returns the response JSON (None for 204).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        budget: Duration,
    ) -> Result<Option<Value>, RestError> {
        let deadline = Instant::now() + budget;
        let route = path.split('?').next().unwrap_or(path).to_string();
        let label = loggable(&route);
        let mut attempts = 0u32;
        let mut last: String;
        loop {
            attempts += 1;
            if let Some(until) = self.wait_before(&route) {
                if until > deadline {
                    return Err(RestError::GaveUp {
                        route: label,
                        attempts,
                        last: "rate limited past the deadline".into(),
                    });
                }
                tokio::time::sleep_until(until.into()).await;
            }
            let mut request = self
                .client
                .request(method.clone(), format!("{}{}", self.base, path))
                .header(reqwest::header::AUTHORIZATION, self.authorization.expose());
            if let Some(b) = body {
                request = request.json(b);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let retry_in = match tokio::time::timeout(
                remaining.max(Duration::from_millis(1)),
                request.send(),
            )
            .await
            {
                Err(_) => {
                    return Err(RestError::GaveUp {
                        route: label,
                        attempts,
                        last: "timed out".into(),
                    });
                }
                Ok(Err(e)) => {
                    last = format!("network: {e}");
                    None
                }
                Ok(Ok(response)) => {
                    self.note_headers(&route, response.headers());
                    let status = response.status();
                    if status.is_success() {
                        if status == StatusCode::NO_CONTENT {
                            return Ok(None);
                        }
                        let text = response.text().await.unwrap_or_default();
                        return Ok(serde_json::from_str(&text).ok());
                    }
                    let header_retry = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<f64>().ok());
                    let global_header = response.headers().contains_key("x-ratelimit-global");
                    let text = response.text().await.unwrap_or_default();
                    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let code = json.get("code").and_then(Value::as_i64);
                    let message = json
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or(&text)
                        .to_string();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let after = json
                            .get("retry_after")
                            .and_then(Value::as_f64)
                            .or(header_retry)
                            .unwrap_or(1.0)
                            .clamp(0.0, 60.0);
                        let wait = Duration::from_secs_f64(after);
                        let global = global_header
                            || json.get("global").and_then(Value::as_bool) == Some(true);
                        let until = Instant::now() + wait;
                        {
                            let mut limits = self.limits.lock().expect("limits lock");
                            if global {
                                limits.global_reset = Some(until);
                            } else {
                                limits.route_reset.insert(route.clone(), until);
                            }
                        }
                        tracing::warn!(route = %label, retry_after = after, global, "rate limited by Discord; waiting");
                        last = format!("429, retry after {after}s");
                        // The wait happens at the top of the loop (wait_before).
                        Some(Duration::ZERO)
                    } else if status.is_server_error() {
                        last = format!("HTTP {status}: {message}");
                        None
                    } else {
                        if code == Some(ALREADY_ACKNOWLEDGED) && attempts > 1 {
                            // An earlier attempt got through; its response was lost.
                            return Ok(None);
                        }
                        return Err(RestError::Rejected {
                            route: label,
                            status: status.as_u16(),
                            code,
                            message,
                        });
                    }
                }
            };
            let delay = retry_in.unwrap_or_else(|| {
                let base = 250u64.saturating_mul(1 << (attempts - 1).min(5)).min(5_000);
                Duration::from_millis(base + rand::rng().random_range(0..=base / 4))
            });
            if Instant::now() + delay > deadline {
                return Err(RestError::GaveUp {
                    route: label,
                    attempts,
                    last,
                });
            }
            tracing::info!(route = %label, attempts, error = %last, "retrying a Discord request");
            tokio::time::sleep(delay).await;
        }
    }

    /// The first response to an interaction (must arrive within 3 seconds).
    pub async fn interaction_response(
        &self,
        id: u64,
        token: &str,
        response: &Value,
    ) -> Result<(), RestError> {
        self.call(
            Method::POST,
            &format!("/interactions/{id}/{token}/callback"),
            Some(response),
            BUDGET_INITIAL_RESPONSE,
        )
        .await
        .map(|_| ())
    }

    /// A follow-up message of an interaction (after a deferral).
    pub async fn followup(
        &self,
        application: u64,
        token: &str,
        body: &Value,
    ) -> Result<Option<Value>, RestError> {
        self.call(
            Method::POST,
            &format!("/webhooks/{application}/{token}"),
            Some(body),
            BUDGET_FOLLOWUP,
        )
        .await
    }

    /// Replaces the interaction's original response.
    pub async fn edit_original(
        &self,
        application: u64,
        token: &str,
        body: &Value,
    ) -> Result<Option<Value>, RestError> {
        self.call(
            Method::PATCH,
            &format!("/webhooks/{application}/{token}/messages/@original"),
            Some(body),
            BUDGET_FOLLOWUP,
        )
        .await
    }

    /// Posts a message in a channel; safe to retry (nonce with enforce_nonce).
    pub async fn create_message(
        &self,
        channel: u64,
        body: &Value,
    ) -> Result<Option<Value>, RestError> {
        let mut body = body.clone();
        body["nonce"] = json!(new_nonce());
        body["enforce_nonce"] = json!(true);
        self.call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(&body),
            BUDGET_MESSAGE,
        )
        .await
    }

    /// Shows 「入力中…」 while an answer is prepared; failures do not matter.
    pub async fn typing(&self, channel: u64) {
        let _ = self
            .call(
                Method::POST,
                &format!("/channels/{channel}/typing"),
                None,
                Duration::from_secs(2),
            )
            .await;
    }

    /// Replaces the application's slash commands, globally or in one guild.
    pub async fn put_commands(
        &self,
        application: u64,
        guild: Option<u64>,
        commands: &Value,
    ) -> Result<Option<Value>, RestError> {
        let path = match guild {
            Some(g) => format!("/applications/{application}/guilds/{g}/commands"),
            None => format!("/applications/{application}/commands"),
        };
        self.call(Method::PUT, &path, Some(commands), BUDGET_SETUP)
            .await
    }

    /// Messages of a channel written after `after` (a message id), oldest first: up to
    /// `limit` pages of 100.
    pub async fn messages_after(
        &self,
        channel: u64,
        mut after: u64,
        limit: usize,
    ) -> Result<Vec<Value>, RestError> {
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..limit {
            let page = self
                .call(
                    Method::GET,
                    &format!("/channels/{channel}/messages?after={after}&limit=100"),
                    None,
                    BUDGET_MESSAGE,
                )
                .await?
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            let n = page.len();
            let mut ids: Vec<(u64, Value)> = page
                .into_iter()
                .filter_map(|m| Some((m["id"].as_str()?.parse().ok()?, m)))
                .collect();
            ids.sort_by_key(|(id, _)| *id);
            if let Some((last, _)) = ids.last() {
                after = *last;
            }
            out.extend(ids.into_iter().map(|(_, m)| m));
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    /// The gateway URL for this bot (`GET /gateway/bot`, which also checks the token),
    /// trying within `budget`.
    pub async fn gateway_url(&self, budget: Duration) -> Result<String, RestError> {
        let found = self.call(Method::GET, "/gateway/bot", None, budget).await?;
        found
            .as_ref()
            .and_then(|v| v["url"].as_str())
            .map(str::to_string)
            .ok_or_else(|| RestError::GaveUp {
                route: "/gateway/bot".into(),
                attempts: 1,
                last: "no gateway url in the answer".into(),
            })
    }

    /// Opens (or finds) the direct-message channel with a user.
    pub async fn dm_channel(&self, user: u64) -> Result<Option<Value>, RestError> {
        self.call(
            Method::POST,
            "/users/@me/channels",
            Some(&json!({ "recipient_id": user.to_string() })),
            BUDGET_MESSAGE,
        )
        .await
    }

    /// The id of the direct-message channel with a user.
    pub async fn dm_channel_id(&self, user: u64) -> Result<Option<u64>, RestError> {
        Ok(self
            .dm_channel(user)
            .await?
            .and_then(|c| c["id"].as_str().and_then(|id| id.parse().ok())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_logs() {
        assert_eq!(
            loggable("/interactions/7100/tok7100/callback"),
            "/interactions/7100/***/callback"
        );
        assert_eq!(
            loggable("/webhooks/2000/abc.def/messages/@original"),
            "/webhooks/2000/***/messages/@original"
        );
        assert_eq!(
            loggable("/channels/5000/messages"),
            "/channels/5000/messages"
        );
        assert_eq!(format!("{:?}", Secret::new("a.b.c")), "Secret(***)");
    }

    #[test]
    fn nonces_fit_discord() {
        let n = new_nonce();
        assert!(n.len() <= 25 && !n.is_empty());
        assert_ne!(n, new_nonce());
    }
}
