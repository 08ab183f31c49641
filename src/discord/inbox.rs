//! A person's direct messages, applied one at a time in the order Discord assigned them.
//! serenity hands every event to its own task, so the messages of a burst (a person typing
//! fast, or Discord replaying what a resumed session missed) reach nimo in any order.
//! Message ids are snowflakes that grow with time: the first message of a burst waits a
//! moment for the rest, then the queue is drained oldest first. A message seen before (a
//! replay) is dropped.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serenity::all::Message;

/// How long the first message of a burst waits for the others.
pub const BURST: Duration = Duration::from_millis(40);

/// Message ids remembered per person, against replays.
const REMEMBERED: usize = 512;

#[derive(Default)]
pub struct Inbox {
    queues: Mutex<HashMap<u64, Queue>>,
}

#[derive(Default)]
struct Queue {
    pending: BTreeMap<u64, Message>,
    /// Someone is applying this person's messages.
    draining: bool,
    seen: VecDeque<u64>,
}

impl Inbox {
    /// Queues a message of `person`. True when the caller must drain the queue (nobody
    /// else is); false when it is already being drained, or the message was seen before.
    pub fn push(&self, person: u64, message: Message) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = queues.entry(person).or_default();
        let id = message.id.get();
        if queue.seen.contains(&id) || queue.pending.contains_key(&id) {
            tracing::debug!(
                person,
                message = id,
                "a message seen before is not applied again"
            );
            return false;
        }
        queue.pending.insert(id, message);
        if queue.draining {
            false
        } else {
            queue.draining = true;
            true
        }
    }

    /// The oldest message waiting for `person`; None when there is none, and then the
    /// queue is no longer being drained.
    pub fn next(&self, person: u64) -> Option<Message> {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = queues.get_mut(&person)?;
        match queue.pending.pop_first() {
            Some((id, message)) => {
                queue.seen.push_back(id);
                if queue.seen.len() > REMEMBERED {
                    queue.seen.pop_front();
                }
                Some(message)
            }
            None => {
                queue.draining = false;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64) -> Message {
        let mut m = Message::default();
        m.id = id.into();
        m
    }

    #[test]
    fn a_burst_comes_out_oldest_first_and_replays_are_dropped() {
        let inbox = Inbox::default();
        assert!(inbox.push(7, message(30)), "the first drains");
        assert!(!inbox.push(7, message(10)), "the others wait");
        assert!(!inbox.push(7, message(20)));
        assert!(
            inbox.push(8, message(5)),
            "another person has their own queue"
        );
        let order: Vec<u64> = std::iter::from_fn(|| inbox.next(7).map(|m| m.id.get())).collect();
        assert_eq!(order, [10, 20, 30]);
        assert!(!inbox.push(7, message(20)), "a replay is dropped");
        assert!(inbox.next(7).is_none());
        assert!(
            inbox.push(7, message(40)),
            "draining stopped when the queue ran dry"
        );
    }
}
