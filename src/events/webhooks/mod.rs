//! Webhooks: an organisation's managers register endpoints, and every event of their
//! organisation of the types an endpoint asks for is delivered to it, signed as the Standard
//! Webhooks specification says, at least once, with the same `webhook-id` on every attempt.
//!
//! Deliveries are made from the outbox by [`dispatch`], on the job library: each is a row
//! (one event to one endpoint) and each attempt another, so managers can see what was sent,
//! when, and how the receiver answered. Failures are retried with exponential backoff and
//! jitter over about a day; a `410 Gone` disables the endpoint at once, and an endpoint that
//! has failed for days is disabled too.

pub mod address;
pub mod dispatch;
pub mod graphql;
pub mod service;
pub mod signing;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::codes::{AttemptOutcome, DeliveryStatus};
use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::ids::{EventId, OrgId, WebhookDeliveryId, WebhookEndpointId};

/// How webhooks are sent.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Whether endpoints may be plain `http` and on private, loopback or link-local
    /// addresses: for development only.
    pub allow_internal: bool,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// The wait before each retry; after the last, a delivery has failed.
    pub retries: Vec<Duration>,
    /// Most deliveries one instance attempts at once.
    pub workers: usize,
    /// An endpoint whose every attempt has failed for this long, from its first failure, is
    /// disabled and its managers told (zero: at its first failure).
    pub disable_after: Duration,
    /// How often an instance looks for deliveries that are due but have no task.
    pub sweep: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_internal: false,
            timeout: Duration::from_secs(10),
            // The Standard Webhooks schedule: about 27 hours in all.
            retries: [5, 300, 1800, 7200, 18_000, 36_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            workers: 8,
            disable_after: Duration::from_secs(5 * 24 * 3600),
            sweep: Duration::from_secs(60),
        }
    }
}

/// Most event types one endpoint may name.
pub const MAX_EVENT_TYPES: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// A registered endpoint (never its secret, which is shown once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub id: WebhookEndpointId,
    pub org_id: OrgId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook_endpoint::Model> for Endpoint {
    fn from(m: webhook_endpoint::Model) -> Self {
        Endpoint {
            id: WebhookEndpointId(m.id),
            org_id: OrgId(m.org_id),
            url: m.url,
            description: m.description,
            event_types: serde_json::from_value(m.event_types).unwrap_or_default(),
            enabled: m.enabled,
            disabled_reason: m.disabled_reason,
            disabled_at: m.disabled_at,
            failing_since: m.failing_since,
            previous_secret_until: m.previous_secret_until,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl Endpoint {
    /// Whether it asks for events of `event_type` (`*` asks for all).
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.iter().any(|t| t == "*" || t == event_type)
    }
}

/// An endpoint's image in the audit trail: what changed, never the secret.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EndpointImage<'a> {
    id: WebhookEndpointId,
    url: &'a str,
    description: &'a str,
    event_types: &'a [String],
    enabled: bool,
    disabled_reason: Option<&'a str>,
    secret_rotated: bool,
}

impl<'a> EndpointImage<'a> {
    pub(crate) fn of(e: &'a Endpoint, secret_rotated: bool) -> Self {
        EndpointImage {
            id: e.id,
            url: &e.url,
            description: &e.description,
            event_types: &e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.as_deref(),
            secret_rotated,
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub response_code: Option<i32>,
    pub duration_ms: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook_delivery::Model> for Delivery {
    fn from(m: webhook_delivery::Model) -> Self {
        Delivery {
            id: WebhookDeliveryId(m.id),
            endpoint_id: WebhookEndpointId(m.endpoint_id),
            event_id: EventId(m.event_id),
            event_type: m.event_type,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_attempt_at: m.last_attempt_at,
            response_code: m.response_code,
            duration_ms: m.duration_ms,
            last_error: m.last_error,
            created_at: m.created_at,
        }
    }
}

/// One attempt of a delivery.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub response_code: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
}

impl From<webhook_attempt::Model> for Attempt {
    fn from(m: webhook_attempt::Model) -> Self {
        Attempt {
            attempt: m.attempt,
            attempted_at: m.attempted_at,
            outcome: m.outcome,
            response_code: m.response_code,
            duration_ms: m.duration_ms,
            error: m.error,
        }
    }
}
