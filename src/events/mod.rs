//! Changes out: every change's event, read from the outbox and carried to live subscriptions
//! and to webhook endpoints.
//!
//! Each instance runs a [`publisher`]: it reads the outbox in commit order (woken by
//! `LISTEN/NOTIFY` on Postgres and by its own writes, and polling besides, so a lost
//! notification only delays) and hands every event to the instance's [`Hub`], whose
//! subscriptions decide, each with its subscriber's access at that moment, whether and what
//! to deliver. [`webhooks`] turn the same events into signed HTTP deliveries, run on the job
//! library over the same database ([`jobs`]).

pub mod background;
pub mod graphql;
pub mod jobs;
pub mod outbox;
pub mod publisher;
pub mod subscriptions;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::audit::EntityType;
use crate::error::{AppError, AppResult};
use crate::ids::{EventId, OrgId, UserId};

/// A published change.
#[derive(Clone, Debug)]
pub struct Event {
    /// Its position in the outbox.
    pub seq: i64,
    pub id: EventId,
    pub org_id: OrgId,
    /// Another organisation the change concerns (a panel's moderation of a member's rating).
    pub subject_org_id: Option<OrgId>,
    /// `entity.operation`, such as `action.updated`.
    pub event_type: String,
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    /// The ids it concerns and the fields that changed.
    pub payload: Value,
    pub actor_user_id: Option<UserId>,
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    /// Whether the change is `org`'s, or concerns it.
    pub fn concerns(&self, org: OrgId) -> bool {
        self.org_id == org || self.subject_org_id == Some(org)
    }

    /// An id the payload names (`reviewId`, `assessmentId`, …), as the API spells it.
    pub fn named(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }

    /// The names of the fields that changed.
    pub fn changed(&self) -> Vec<String> {
        self.payload
            .get("changed")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The bounds on live subscriptions.
#[derive(Clone, Debug)]
pub struct SubscriptionLimits {
    /// Most subscriptions one connection may hold at once.
    pub per_connection: usize,
    /// Most subscriptions one organisation's users may hold at once on one instance.
    pub per_organisation: usize,
    /// How many events an instance keeps for subscribers still catching up: one that falls
    /// further behind is dropped (its socket closed with 4008), never buffered without end.
    pub buffer: usize,
}

impl Default for SubscriptionLimits {
    fn default() -> Self {
        SubscriptionLimits {
            per_connection: 20,
            per_organisation: 1000,
            buffer: 4096,
        }
    }
}

/// How changes travel: the publisher's polling, the subscription bounds, and webhooks.
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// How often the publisher reads the outbox when nothing wakes it.
    pub poll: std::time::Duration,
    pub subscriptions: SubscriptionLimits,
    pub webhooks: webhooks::WebhookSettings,
    /// Whether this instance runs the publisher and the webhook workers (off only to test
    /// an instance that dies between a commit and its publication).
    pub background: bool,
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings {
            poll: std::time::Duration::from_secs(1),
            subscriptions: SubscriptionLimits::default(),
            webhooks: webhooks::WebhookSettings::default(),
            background: true,
        }
    }
}

/// One instance's switchboard: the events its publisher read, for its subscriptions, and the
/// bells that wake its publisher and webhook dispatcher.
#[derive(Debug)]
pub struct Hub {
    events: broadcast::Sender<Arc<Event>>,
    /// Rung after this instance commits a change: read the outbox now.
    written: Notify,
    /// Rung when the publisher has read new events: dispatch webhooks now.
    published: Notify,
    limits: SubscriptionLimits,
    per_org: Mutex<HashMap<OrgId, usize>>,
    allow_internal: bool,
}

impl Hub {
    /// A hub with the given bounds; `allow_internal` lets webhook endpoints be on internal
    /// addresses (development).
    pub fn new(limits: SubscriptionLimits, allow_internal: bool) -> Self {
        let (events, _) = broadcast::channel(limits.buffer.max(16));
        Hub {
            events,
            written: Notify::new(),
            published: Notify::new(),
            limits,
            per_org: Mutex::new(HashMap::new()),
            allow_internal,
        }
    }

    /// Whether webhook endpoints may be on internal addresses.
    pub fn allow_internal(&self) -> bool {
        self.allow_internal
    }

    /// The subscription bounds.
    pub fn limits(&self) -> &SubscriptionLimits {
        &self.limits
    }

    /// Tells the publisher a change was committed here.
    pub fn written(&self) {
        self.written.notify_one();
    }

    /// Hands events read from the outbox to every subscription, in order.
    pub(crate) fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        for event in events {
            // No subscriber is no error: the event is in the outbox for webhooks regardless.
            let _ = self.events.send(Arc::new(event));
        }
        self.published.notify_one();
    }

    /// A new listener to every event published from now on.
    pub fn listen(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// How many subscriptions are live on this instance.
    pub fn live(&self) -> usize {
        self.events.receiver_count()
    }

    /// Counts a subscription of `org`'s against its bound, until the pass is dropped.
    pub fn admit(self: &Arc<Self>, org: OrgId) -> AppResult<SubscriptionPass> {
        let mut counts = self.per_org.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(org).or_default();
        if *count >= self.limits.per_organisation {
            return Err(AppError::TooManySubscriptions(format!(
                "your organisation already holds {} live subscriptions on this instance, the most it may",
                self.limits.per_organisation
            )));
        }
        *count += 1;
        Ok(SubscriptionPass {
            hub: self.clone(),
            org,
        })
    }

    pub(crate) async fn written_signal(&self) {
        self.written.notified().await
    }

    pub(crate) async fn published_signal(&self) {
        self.published.notified().await
    }
}

/// A live subscription's place in its organisation's count.
#[derive(Debug)]
pub struct SubscriptionPass {
    hub: Arc<Hub>,
    org: OrgId,
}

impl Drop for SubscriptionPass {
    fn drop(&mut self) {
        let mut counts = self.hub.per_org.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.org) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.org);
            }
        }
    }
}
