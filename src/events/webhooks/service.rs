//! Managing an organisation's webhook endpoints: managers of the organisation only, every
//! change audited (never the secret), another organisation's endpoint or delivery answered
//! as one that does not exist.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use tracing::instrument;

use super::{
    Attempt, Delivery, Endpoint, EndpointImage, MAX_DESCRIPTION, MAX_EVENT_TYPES, address, signing,
};
use crate::access::{Access, scope};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::codes::DeliveryStatus;
use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::{AppError, AppResult};
use crate::ids::{WebhookDeliveryId, WebhookEndpointId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};
use crate::validate;

/// How long a rotated secret goes on signing beside its successor.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

const WHAT: &str = "manage webhooks";

/// A new endpoint, checked.
#[derive(Clone, Debug)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
}

/// The event types an endpoint asks for, checked against those the service publishes.
pub fn check_event_types(field: &str, raw: &[String]) -> AppResult<Vec<String>> {
    if raw.is_empty() {
        return Err(AppError::bad_input(
            field,
            "name at least one event type, or \"*\" for all",
        ));
    }
    if raw.len() > MAX_EVENT_TYPES {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_EVENT_TYPES} event types"),
        ));
    }
    let known = audit::outbox::event_types();
    let mut types = Vec::with_capacity(raw.len());
    for t in raw {
        let t = t.trim();
        if t != "*" && !known.iter().any(|k| k == t) {
            let shown: String = t.chars().take(60).collect();
            return Err(AppError::bad_input(
                field,
                format!(
                    "`{shown}` is not an event type: use one such as action.updated, progress_update.created or assessment.updated, or \"*\""
                ),
            ));
        }
        if !types.iter().any(|k: &String| k == t) {
            types.push(t.to_owned());
        }
    }
    Ok(types)
}

impl NewEndpoint {
    /// Checks raw fields; errors name them under `input.`.
    pub fn parse(
        url: &str,
        event_types: &[String],
        description: Option<&str>,
        allow_internal: bool,
    ) -> AppResult<Self> {
        Ok(NewEndpoint {
            url: address::check_url("input.url", url, allow_internal)?.to_string(),
            event_types: check_event_types("input.eventTypes", event_types)?,
            description: validate::optional_text(
                "input.description",
                description,
                MAX_DESCRIPTION,
            )?
            .unwrap_or_default(),
        })
    }
}

/// Registers an endpoint of the caller's organisation: the endpoint and its signing secret,
/// shown this once.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(access: &Access, new: NewEndpoint) -> AppResult<(Endpoint, String)> {
    access.require_role(&[Role::Manager], WHAT)?;
    let own = access.org_id();
    let now = Utc::now();
    let secret = signing::new_secret();
    let row = webhook_endpoint::Model {
        id: WebhookEndpointId::new().0,
        org_id: own.0,
        url: new.url,
        description: new.description,
        event_types: serde_json::json!(new.event_types),
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_until: None,
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        failing_since: None,
        version: 1,
        created_by: Some(access.actor().user_id.0),
        created_at: now,
        updated_at: now,
    };
    let txn = access.begin_write().await?;
    scope::insert_owned(own, webhook_endpoint::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let endpoint = Endpoint::from(row);
    audit::record(
        &txn,
        Author::from(access),
        Change::created(
            own,
            EntityType::WebhookEndpoint,
            endpoint.id.0,
            &EndpointImage::of(&endpoint, false),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

async fn row(access: &Access, id: WebhookEndpointId) -> AppResult<webhook_endpoint::Model> {
    access.require_role(&[Role::Manager], WHAT)?;
    scope::owned_rows::<webhook_endpoint::Entity>(access.org_id())
        .filter(webhook_endpoint::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .ok_or(AppError::NotFound("webhook endpoint"))
}

/// One endpoint of the caller's organisation.
pub async fn get(access: &Access, id: WebhookEndpointId) -> AppResult<Endpoint> {
    row(access, id).await.map(Endpoint::from)
}

/// The caller's organisation's endpoints, oldest first.
pub async fn list(access: &Access) -> AppResult<Vec<Endpoint>> {
    access.require_role(&[Role::Manager], WHAT)?;
    Ok(
        scope::owned_rows::<webhook_endpoint::Entity>(access.org_id())
            .order_by_asc(webhook_endpoint::Column::Id)
            .all(access.db())
            .await?
            .into_iter()
            .map(Endpoint::from)
            .collect(),
    )
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` enables it again (and forgets its failures); `false` disables it.
    pub enabled: Option<bool>,
    /// Draw a new secret; the old one signs beside it for a day.
    pub rotate_secret: bool,
}

/// Changes an endpoint at `version`; the new secret when one was drawn.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: WebhookEndpointId,
    version: i32,
    changes: EndpointChanges,
) -> AppResult<(Endpoint, Option<String>)> {
    let txn = access.begin_write().await?;
    let before = row(access, id).await?;
    if before.version != version {
        return Err(AppError::stale_version("webhook endpoint"));
    }
    let now = Utc::now();
    let mut after = before.clone();
    if let Some(url) = changes.url {
        after.url = url;
    }
    if let Some(types) = changes.event_types {
        after.event_types = serde_json::json!(types);
    }
    if let Some(description) = changes.description {
        after.description = description;
    }
    match changes.enabled {
        Some(true) => {
            after.enabled = true;
            after.disabled_reason = None;
            after.disabled_at = None;
            after.failing_since = None;
        }
        Some(false) if before.enabled => {
            after.enabled = false;
            after.disabled_reason = Some("disabled by a manager".to_owned());
            after.disabled_at = Some(now);
        }
        _ => {}
    }
    let secret = changes.rotate_secret.then(signing::new_secret);
    if let Some(secret) = &secret {
        after.previous_secret = Some(before.secret.clone());
        after.previous_secret_until = Some(now + ROTATION_OVERLAP);
        after.secret = secret.clone();
    }
    after.version = before.version + 1;
    after.updated_at = now;
    let updated = scope::update_owned::<webhook_endpoint::Entity>(access.org_id())
        .set(webhook_endpoint::ActiveModel {
            url: Set(after.url.clone()),
            event_types: Set(after.event_types.clone()),
            description: Set(after.description.clone()),
            enabled: Set(after.enabled),
            disabled_reason: Set(after.disabled_reason.clone()),
            disabled_at: Set(after.disabled_at),
            failing_since: Set(after.failing_since),
            secret: Set(after.secret.clone()),
            previous_secret: Set(after.previous_secret.clone()),
            previous_secret_until: Set(after.previous_secret_until),
            version: Set(after.version),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(webhook_endpoint::Column::Id.eq(id.0))
        .filter(webhook_endpoint::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::stale_version("webhook endpoint"));
    }
    let (b, a) = (Endpoint::from(before), Endpoint::from(after));
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(
            access.org_id(),
            EntityType::WebhookEndpoint,
            id.0,
            &EndpointImage::of(&b, false),
            &EndpointImage::of(&a, secret.is_some()),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((a, secret))
}

/// Deletes an endpoint with its deliveries and their attempts.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn delete(access: &Access, id: WebhookEndpointId) -> AppResult<()> {
    let txn = access.begin_write().await?;
    let before = Endpoint::from(row(access, id).await?);
    let own = access.org_id();
    let deliveries = scope::owned_rows::<webhook_delivery::Entity>(own)
        .filter(webhook_delivery::Column::EndpointId.eq(id.0))
        .select_only()
        .column(webhook_delivery::Column::Id)
        .into_tuple::<uuid::Uuid>()
        .all(&txn)
        .await?;
    for chunk in deliveries.chunks(500) {
        scope::delete_owned::<webhook_attempt::Entity>(own)
            .filter(webhook_attempt::Column::DeliveryId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    scope::delete_owned::<webhook_delivery::Entity>(own)
        .filter(webhook_delivery::Column::EndpointId.eq(id.0))
        .exec(&txn)
        .await?;
    scope::delete_owned::<webhook_endpoint::Entity>(own)
        .filter(webhook_endpoint::Column::Id.eq(id.0))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::deleted(
            own,
            EntityType::WebhookEndpoint,
            id.0,
            &EndpointImage::of(&before, false),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An endpoint's deliveries, newest first, with their attempts.
pub async fn deliveries(
    access: &Access,
    endpoint: WebhookEndpointId,
    status: Option<DeliveryStatus>,
    page: PageArgs,
) -> AppResult<Paged<Delivery>> {
    get(access, endpoint).await?;
    let mut query = scope::owned_rows::<webhook_delivery::Entity>(access.org_id())
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.0));
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status));
    }
    let total = scope::total_of(access, query.clone());
    let rows = page
        .keyset(
            query,
            None,
            webhook_delivery::Column::Id,
            Sort::Descending,
            no_key,
        )?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::by_id(m.id),
        Delivery::from,
    ))
}

/// One delivery of the caller's organisation.
pub async fn get_delivery(access: &Access, id: WebhookDeliveryId) -> AppResult<Delivery> {
    access.require_role(&[Role::Manager], WHAT)?;
    scope::owned_rows::<webhook_delivery::Entity>(access.org_id())
        .filter(webhook_delivery::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Delivery::from)
        .ok_or(AppError::NotFound("webhook delivery"))
}

/// The attempts of each of `deliveries` (the caller's organisation's), in order: one
/// statement.
pub async fn attempts(
    access: &Access,
    deliveries: Vec<uuid::Uuid>,
) -> AppResult<std::collections::HashMap<uuid::Uuid, Vec<Attempt>>> {
    access.require_role(&[Role::Manager], WHAT)?;
    let rows = scope::owned_rows::<webhook_attempt::Entity>(access.org_id())
        .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.iter().copied()))
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        deliveries,
        rows,
        |r| r.delivery_id,
        Attempt::from,
    ))
}

/// Sends a delivery again: due now, whatever its status; its attempts go on counting.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn redeliver(access: &Access, id: WebhookDeliveryId) -> AppResult<Delivery> {
    access.require_role(&[Role::Manager], WHAT)?;
    let own = access.org_id();
    let txn = access.begin_write().await?;
    let before = scope::owned_rows::<webhook_delivery::Entity>(own)
        .filter(webhook_delivery::Column::Id.eq(id.0))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("webhook delivery"))?;
    let endpoint = row(access, WebhookEndpointId(before.endpoint_id)).await?;
    if !endpoint.enabled {
        return Err(AppError::Conflict(
            "the endpoint is disabled: enable it (updateWebhookEndpoint) before redelivering"
                .to_owned(),
        ));
    }
    let now = Utc::now();
    scope::update_owned::<webhook_delivery::Entity>(own)
        .set(webhook_delivery::ActiveModel {
            status: Set(DeliveryStatus::Pending),
            next_attempt_at: Set(Some(now)),
            claimed_until: Set(None),
            ..Default::default()
        })
        .filter(webhook_delivery::Column::Id.eq(id.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let mut after = before;
    after.status = DeliveryStatus::Pending;
    after.next_attempt_at = Some(now);
    Ok(Delivery::from(after))
}
