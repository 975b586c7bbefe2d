//! The API of webhooks: managers register, change, disable, rotate and delete their
//! organisation's endpoints, read their deliveries and attempts, and redeliver one.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::service::{self, EndpointChanges, NewEndpoint};
use super::{Attempt, Delivery, Endpoint, address};
use crate::codes::{AttemptOutcome, DeliveryStatus};
use crate::error::AppError;
use crate::events::Hub;
use crate::events::jobs::{Job, Queue};
use crate::graphql::ContextExt;
use crate::ids::{WebhookDeliveryId, WebhookEndpointId};
use crate::loaders::{items, list, prime};
use crate::pagination::{CountedConnection, PageArgs, connection_complexity};

/// Whether endpoints may be on internal addresses here (development).
fn allow_internal(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Arc<Hub>>()
        .is_some_and(|hub| hub.allow_internal())
}

/// A receiver an organisation registered for its events.
#[Object(name = "WebhookEndpoint")]
impl Endpoint {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Where deliveries are posted.
    async fn url(&self) -> &str {
        &self.url
    }

    /// What it is for, in the organisation's words.
    async fn description(&self) -> &str {
        &self.description
    }

    /// The event types it receives (`*`: all).
    async fn event_types(&self) -> &[String] {
        &self.event_types
    }

    /// Whether deliveries are made to it.
    async fn enabled(&self) -> bool {
        self.enabled
    }

    /// Why it was disabled: by a manager, a `410 Gone`, or failing for days.
    async fn disabled_reason(&self) -> Option<&str> {
        self.disabled_reason.as_deref()
    }

    /// When it was disabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.disabled_at
    }

    /// Since when every attempt has failed; null when the last one succeeded.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.failing_since
    }

    /// Until when the secret before the last rotation still signs beside the new one.
    async fn previous_secret_valid_until(&self) -> Option<DateTime<Utc>> {
        self.previous_secret_until
            .filter(|until| *until > Utc::now())
    }

    /// Its version, for `updateWebhookEndpoint` and `rotateWebhookSecret`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// An endpoint with its signing secret: shown when it is created or its secret rotated, and
/// never again.
pub struct EndpointWithSecret {
    endpoint: Endpoint,
    secret: String,
}

/// An endpoint with its signing secret, shown once.
#[Object(name = "WebhookEndpointWithSecret")]
impl EndpointWithSecret {
    /// The endpoint.
    async fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The signing secret (`whsec_…`): keep it; it is not shown again.
    async fn secret(&self) -> &str {
        &self.secret
    }
}

/// One try of a delivery.
#[Object(name = "WebhookAttempt")]
impl Attempt {
    /// 1 for the first attempt.
    async fn attempt(&self) -> i32 {
        self.attempt
    }

    /// When it was made.
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.attempted_at
    }

    /// How it went.
    async fn outcome(&self) -> AttemptOutcome {
        self.outcome
    }

    /// The receiver's HTTP status, when it answered.
    async fn response_code(&self) -> Option<i32> {
        self.response_code
    }

    /// How long it took, in milliseconds.
    async fn duration_ms(&self) -> i32 {
        self.duration_ms
    }

    /// What went wrong, when something did.
    async fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// One event's delivery to one endpoint, over all its attempts.
#[Object(name = "WebhookDelivery")]
impl Delivery {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The event delivered: its `webhook-id` on every attempt.
    async fn event_id(&self) -> ID {
        ID(self.event_id.to_string())
    }

    /// Its type, such as `action.updated`.
    async fn event_type(&self) -> &str {
        &self.event_type
    }

    /// Where it stands.
    async fn status(&self) -> DeliveryStatus {
        self.status
    }

    /// Attempts made so far.
    async fn attempt(&self) -> i32 {
        self.attempts
    }

    /// When the next attempt is due, while it is pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.next_attempt_at
    }

    /// When the last attempt was made.
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.last_attempt_at
    }

    /// The last attempt's HTTP status, when the receiver answered.
    async fn response_code(&self) -> Option<i32> {
        self.response_code
    }

    /// How long the last attempt took, in milliseconds.
    async fn duration_ms(&self) -> Option<i32> {
        self.duration_ms
    }

    /// What went wrong on the last attempt.
    async fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// When it was made from its event.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Every attempt, first first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<Attempt>> {
        list(&ctx.loaders()?.webhook_attempts, self.id.0).await
    }
}

/// Webhook endpoints and their deliveries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The caller's organisation's webhook endpoints, oldest first. Managers only.
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<Endpoint>> {
        Ok(service::list(ctx.access()?).await?)
    }

    /// One endpoint of the caller's organisation; `NOT_FOUND` for any other.
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<Option<Endpoint>> {
        let id = WebhookEndpointId::parse("id", &id)?;
        Ok(Some(service::get(ctx.access()?, id).await?))
    }

    /// An endpoint's deliveries, newest first: status, attempts, the last response's code and
    /// duration. Managers only.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] endpoint_id: ID,
        #[graphql(desc = "Only deliveries in this status.")] status: Option<DeliveryStatus>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last delivery of the previous page.")] after: Option<
            String,
        >,
        #[graphql(desc = "Page size when paging backwards.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first delivery of the next page.")] before: Option<String>,
    ) -> Result<CountedConnection<Delivery>> {
        let endpoint = WebhookEndpointId::parse("endpointId", &endpoint_id)?;
        let page = PageArgs::new(
            ctx.limits(),
            "webhookDeliveries",
            first,
            after,
            last,
            before,
        )?;
        let access = ctx.access()?;
        let paged = service::deliveries(access, endpoint, status, page).await?;
        // The page's attempts in one statement, when asked for.
        if items(&ctx.look_ahead()).field("attempts").exists() {
            let ids = paged.items.iter().map(|(_, d)| d.id.0).collect();
            prime(
                &ctx.loaders()?.webhook_attempts,
                service::attempts(access, ids).await?,
            )
            .await;
        }
        Ok(paged.into())
    }

    /// Every event type an endpoint may ask for.
    async fn webhook_event_types(&self) -> Vec<String> {
        crate::audit::outbox::event_types()
    }
}

/// A new endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where to post deliveries: an `https` address outside private networks.
    pub url: String,
    /// The event types to receive (see `webhookEventTypes`), or `["*"]` for all.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    /// The endpoint.
    pub id: ID,
    /// The version read: a stale one is a `CONFLICT`.
    pub version: i32,
    /// A new address.
    pub url: Option<String>,
    /// The event types to receive instead.
    pub event_types: Option<Vec<String>>,
    /// A new description.
    pub description: Option<String>,
    /// `false` disables it; `true` enables it again and forgets its failures.
    pub enabled: Option<bool>,
}

/// Webhook endpoints: managers of the organisation only.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint of the caller's organisation. The signing secret is in the answer,
    /// and never shown again.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] input: CreateWebhookEndpointInput,
    ) -> Result<EndpointWithSecret> {
        let access = ctx.access()?;
        let new = NewEndpoint::parse(
            &input.url,
            &input.event_types,
            input.description.as_deref(),
            allow_internal(ctx),
        )?;
        let (endpoint, secret) = service::create(access, new).await?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    /// Changes an endpoint: its address, event types, description, or whether it is enabled.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateWebhookEndpointInput,
    ) -> Result<Endpoint> {
        let id = WebhookEndpointId::parse("input.id", &input.id)?;
        let changes = EndpointChanges {
            url: input
                .url
                .map(|u| {
                    address::check_url("input.url", &u, allow_internal(ctx)).map(|u| u.to_string())
                })
                .transpose()?,
            event_types: input
                .event_types
                .map(|t| service::check_event_types("input.eventTypes", &t))
                .transpose()?,
            description: input
                .description
                .map(|d| {
                    crate::validate::optional_text(
                        "input.description",
                        Some(&d),
                        super::MAX_DESCRIPTION,
                    )
                    .map(Option::unwrap_or_default)
                })
                .transpose()?,
            enabled: input.enabled,
            rotate_secret: false,
        };
        Ok(service::update(ctx.access()?, id, input.version, changes)
            .await?
            .0)
    }

    /// Draws a new signing secret, shown this once. The old one signs beside it for a day,
    /// so receivers can change over without missing a delivery.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] id: ID,
        #[graphql(desc = "The version read.")] version: i32,
    ) -> Result<EndpointWithSecret> {
        let id = WebhookEndpointId::parse("id", &id)?;
        let changes = EndpointChanges {
            rotate_secret: true,
            ..Default::default()
        };
        let (endpoint, secret) = service::update(ctx.access()?, id, version, changes).await?;
        let secret =
            secret.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no secret drawn")))?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    /// Deletes an endpoint with its deliveries; the id deleted.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] id: ID,
    ) -> Result<ID> {
        let parsed = WebhookEndpointId::parse("id", &id)?;
        service::delete(ctx.access()?, parsed).await?;
        Ok(id)
    }

    /// Sends a delivery again, now; its attempts go on counting.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery.")] delivery_id: ID,
    ) -> Result<Delivery> {
        let id = WebhookDeliveryId::parse("deliveryId", &delivery_id)?;
        let delivery = service::redeliver(ctx.access()?, id).await?;
        // Queued a moment later than the commit it follows; were the task lost, the next
        // sweep finds the delivery due.
        if let Some(queue) = ctx.data_opt::<Queue>() {
            let job = Job::Deliver { delivery: id.0 };
            if let Err(err) = queue.push(job, Duration::from_secs(1)).await {
                tracing::warn!(error = %err, "queueing a redelivery failed; the sweep will find it");
            }
        }
        Ok(delivery)
    }
}
