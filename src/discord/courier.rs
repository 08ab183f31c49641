//! Sends reminders, digests and flags through nimo's Discord delivery: the `Courier` of
//! the reminder scheduler.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};

use super::message::notices::render;
use super::rest::{Rest, RestError};
use crate::domain::meetings::reminders::Notice;
use crate::domain::people::PersonId;
use crate::domain::ports::{Courier, DeliveryError};

/// Sends notices through the bot's delivery. Each send carries the delivery's own nonce
/// with enforce_nonce: retried after a crash, Discord answers with the message it already
/// created instead of posting a second one.
pub struct DiscordCourier {
    rest: Arc<Rest>,
    /// How long one attempt may take before the scheduler retries later.
    budget: Duration,
}

impl DiscordCourier {
    pub fn new(rest: Arc<Rest>) -> DiscordCourier {
        DiscordCourier {
            rest,
            budget: Duration::from_secs(20),
        }
    }

    async fn post(&self, channel: u64, body: Value, nonce: &str) -> Result<(), DeliveryError> {
        let mut body = body;
        body["nonce"] = json!(nonce);
        body["enforce_nonce"] = json!(true);
        self.rest
            .call(
                Method::POST,
                &format!("/channels/{channel}/messages"),
                Some(&body),
                self.budget,
            )
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// Discord's code for "Cannot send messages to this user" (closed DMs, blocked bot).
const CANNOT_MESSAGE_USER: i64 = 50007;

fn classify(e: RestError) -> DeliveryError {
    match &e {
        RestError::Rejected { code, status, .. }
            if *code == Some(CANNOT_MESSAGE_USER) || *status == 403 =>
        {
            DeliveryError::Unreachable(e.to_string())
        }
        RestError::Rejected { .. } => DeliveryError::Rejected(e.to_string()),
        RestError::GaveUp { .. } => DeliveryError::Transient(e.to_string()),
    }
}

#[async_trait]
impl Courier for DiscordCourier {
    async fn to_person(
        &self,
        person: &PersonId,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        let Some(user) = person.discord_user() else {
            return Err(DeliveryError::Unreachable(
                "not a Discord user (registered in the terminal)".into(),
            ));
        };
        let channel = self
            .rest
            .dm_channel_id(user)
            .await
            .map_err(classify)?
            .ok_or_else(|| DeliveryError::Transient("no DM channel id".into()))?;
        self.post(channel, render(notice).to_json(), nonce).await
    }

    async fn to_channel(
        &self,
        channel: &str,
        notice: &Notice,
        nonce: &str,
    ) -> Result<(), DeliveryError> {
        let channel: u64 = channel
            .parse()
            .map_err(|_| DeliveryError::Rejected(format!("bad channel id {channel:?}")))?;
        let mut body = render(notice).to_json();
        // The only message where nimo pings: the person whose DMs are closed.
        if let Notice::Reminder {
            for_person: Some(p),
            ..
        } = notice
            && let Some(user) = p.discord_user()
        {
            body["allowed_mentions"] = json!({ "parse": [], "users": [user.to_string()] });
        }
        self.post(channel, body, nonce).await
    }
}
