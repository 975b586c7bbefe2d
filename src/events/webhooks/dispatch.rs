//! The webhook work of the background jobs, outside any request, under the publisher's
//! purpose (which row-level security lets read and write the outbox and webhook tables of
//! every organisation, and nothing else): making deliveries from the outbox, attempting
//! them, and finding those whose task was lost.

// Background work of the service itself, not a caller's: it reads and writes the webhook
// tables of every organisation through the publisher's transaction, whose purpose row-level
// security confines to them.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::{WebhookSettings, address, signing};
use crate::auth::Role;
use crate::codes::{AttemptOutcome, DeliveryStatus};
use crate::db::{Database, RequestDb};
use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::events::outbox::{self, Position};
use crate::ids::{EventId, OrgId, WebhookDeliveryId};
use crate::notifications::{Notice, WEBHOOK_DISABLED, notify_role};

/// The webhook dispatcher's row in `outbox_cursors`.
const CURSOR: &str = "webhooks";
/// Most events made into deliveries in one transaction.
const BATCH: u64 = 500;
/// How long an attempt keeps others off its delivery, beyond its time-out.
const CLAIM_MARGIN: Duration = Duration::from_secs(30);
/// The most a retry's task may come before its delivery is due and still wait for it.
const EARLY: chrono::Duration = chrono::Duration::seconds(2);

/// What claiming a delivery found.
enum Claim {
    /// Held for this worker: the delivery and its endpoint.
    Held(Box<(webhook_delivery::Model, webhook_endpoint::Model)>),
    /// Pending, but not due for this long: its task ran early.
    NotYet(Duration),
    /// Delivered, failed for good, gone, or held by another worker.
    Nothing,
}

/// What one dispatch did: the deliveries made, and whether events remain.
pub struct Dispatched {
    pub deliveries: Vec<Uuid>,
    pub more: bool,
}

/// Makes deliveries of the events past the dispatcher's position, for every enabled
/// endpoint that asks for them, and moves the position, in one transaction. Another
/// instance dispatching at the same moment holds the position: this one does nothing.
pub async fn dispatch(db: &Database) -> AppResult<Dispatched> {
    let txn = db.begin_publisher(true).await?;
    let result = dispatch_in(&txn).await;
    match result {
        Ok(done) => {
            txn.finish().await?;
            Ok(done)
        }
        Err(err) => {
            txn.abandon().await;
            Err(err)
        }
    }
}

async fn dispatch_in(txn: &RequestDb) -> AppResult<Dispatched> {
    let backend = txn.get_database_backend();
    let Some(from) = lock_cursor(txn).await? else {
        return Ok(Dispatched {
            deliveries: Vec::new(),
            more: false,
        });
    };
    let (events, last) = outbox::after(txn, from, BATCH).await?;
    let more = events.len() as u64 >= BATCH;
    let mut made = Vec::new();
    if !events.is_empty() {
        let mut orgs: Vec<Uuid> = events
            .iter()
            .flat_map(|e| [Some(e.org_id.0), e.subject_org_id.map(|o| o.0)])
            .flatten()
            .collect();
        orgs.sort();
        orgs.dedup();
        let endpoints: Vec<super::Endpoint> = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .filter(webhook_endpoint::Column::OrgId.is_in(orgs))
            .all(txn)
            .await?
            .into_iter()
            .map(super::Endpoint::from)
            .collect();
        let now = Utc::now();
        let mut rows = Vec::new();
        for event in &events {
            for endpoint in &endpoints {
                if event.concerns(endpoint.org_id)
                    && endpoint.wants(&event.event_type)
                    && event.occurred_at >= endpoint.created_at
                {
                    let id = WebhookDeliveryId::new().0;
                    made.push(id);
                    rows.push(webhook_delivery::ActiveModel {
                        id: Set(id),
                        org_id: Set(endpoint.org_id.0),
                        endpoint_id: Set(endpoint.id.0),
                        event_id: Set(event.id.0),
                        event_seq: Set(event.seq),
                        event_type: Set(event.event_type.clone()),
                        payload: Set(event.payload.clone()),
                        occurred_at: Set(event.occurred_at),
                        status: Set(DeliveryStatus::Pending),
                        attempts: Set(0),
                        next_attempt_at: Set(Some(now)),
                        claimed_until: Set(None),
                        last_attempt_at: Set(None),
                        response_code: Set(None),
                        duration_ms: Set(None),
                        last_error: Set(None),
                        created_at: Set(now),
                    });
                }
            }
        }
        for chunk in rows.chunks(500) {
            let inserted = webhook_delivery::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        webhook_delivery::Column::EndpointId,
                        webhook_delivery::Column::EventId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(txn)
                .await;
            match inserted {
                Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    if last != from {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            rebind(
                backend,
                "UPDATE outbox_cursors SET tx_id = ?, seq = ?, updated_at = ? WHERE name = ?",
            ),
            [
                last.tx.into(),
                last.seq.into(),
                Utc::now().into(),
                CURSOR.into(),
            ],
        ))
        .await?;
    }
    Ok(Dispatched {
        deliveries: made,
        more,
    })
}

/// Takes the dispatcher's position (made by the migration, at the outbox's beginning) for
/// this transaction; `None` when another instance holds it.
async fn lock_cursor(txn: &RequestDb) -> AppResult<Option<Position>> {
    let backend = txn.get_database_backend();
    let read = |lock: &str| {
        Statement::from_sql_and_values(
            backend,
            rebind(
                backend,
                &format!("SELECT tx_id, seq FROM outbox_cursors WHERE name = ?{lock}"),
            ),
            [CURSOR.into()],
        )
    };
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        // SQLite's writers take turns: the transaction already holds the database.
        _ => "",
    };
    Ok(match txn.query_one_raw(read(lock)).await? {
        Some(row) => Some(Position {
            tx: row.try_get("", "tx_id")?,
            seq: row.try_get("", "seq")?,
        }),
        None => None,
    })
}

/// `?` placeholders as the backend spells them.
fn rebind(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// The deliveries due for longer than `grace` that no worker holds: their task was lost.
pub async fn overdue(db: &Database, grace: Duration) -> AppResult<Vec<Uuid>> {
    let txn = db.begin_publisher(false).await?;
    let now = Utc::now();
    let due = now - chrono::Duration::from_std(grace).unwrap_or_default();
    let ids = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(due))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::ClaimedUntil.is_null())
                .add(webhook_delivery::Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(500)
        .into_tuple::<Uuid>()
        .all(&txn)
        .await;
    txn.abandon().await;
    Ok(ids?)
}

/// Sends deliveries: the HTTP client, which refuses redirects and, unless allowed, internal
/// addresses.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    settings: WebhookSettings,
}

impl Sender {
    /// A sender with `settings`.
    pub fn new(settings: WebhookSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .no_proxy()
            .dns_resolver(address::resolver(settings.allow_internal))
            .user_agent(concat!(
                "resilience-hub-webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Sender { client, settings })
    }

    /// The wait before retry `n` (1 for the first), with up to a tenth either way of jitter;
    /// `None` when no retry is left.
    fn backoff(&self, attempts: i32) -> Option<Duration> {
        let base = *self
            .settings
            .retries
            .get(usize::try_from(attempts - 1).ok()?)?;
        let spread = base.as_millis() as f64 * 0.1;
        let jitter = rand::rng().random_range(-spread..=spread);
        Some(Duration::from_millis(
            (base.as_millis() as f64 + jitter).max(0.0) as u64,
        ))
    }

    /// Makes one attempt of `delivery` if it is due and no other worker holds it. Returns
    /// when to try again, if at all: the retry's wait after a failed attempt, or what is left
    /// of the wait when the task came before its delivery was due.
    pub async fn deliver(&self, db: &Database, delivery: Uuid) -> AppResult<Option<Duration>> {
        let (row, endpoint) = match self.claim(db, delivery).await? {
            Claim::Held(held) => *held,
            Claim::NotYet(wait) => return Ok(Some(wait)),
            Claim::Nothing => return Ok(None),
        };
        let attempt = row.attempts + 1;
        let (outcome, code, error, elapsed) = if !endpoint.enabled {
            (
                AttemptOutcome::Refused,
                None,
                Some("the endpoint is disabled".to_owned()),
                Duration::ZERO,
            )
        } else {
            self.send(&row, &endpoint).await
        };
        let now = Utc::now();
        let retry = match outcome {
            AttemptOutcome::Delivered | AttemptOutcome::Gone => None,
            _ if !endpoint.enabled => None,
            _ => self.backoff(attempt),
        };
        let status = match (outcome, retry) {
            (AttemptOutcome::Delivered, _) => DeliveryStatus::Delivered,
            (_, Some(_)) => DeliveryStatus::Pending,
            _ => DeliveryStatus::Failed,
        };
        let txn = db.begin_publisher(true).await?;
        let written = self
            .record(
                &txn, &row, &endpoint, attempt, outcome, code, error, elapsed, status, retry, now,
            )
            .await;
        match written {
            Ok(()) => txn.finish().await?,
            Err(err) => {
                txn.abandon().await;
                return Err(err);
            }
        }
        Ok(retry)
    }

    /// Holds `delivery` for this worker if it is pending, due, and nobody else holds it.
    async fn claim(&self, db: &Database, delivery: Uuid) -> AppResult<Claim> {
        let txn = db.begin_publisher(true).await?;
        let claimed = self.claim_in(&txn, delivery).await;
        match claimed {
            Ok(claim) => {
                txn.finish().await?;
                Ok(claim)
            }
            Err(err) => {
                txn.abandon().await;
                Err(err)
            }
        }
    }

    async fn claim_in(&self, txn: &RequestDb, delivery: Uuid) -> AppResult<Claim> {
        let now = Utc::now();
        let lease =
            chrono::Duration::from_std(self.settings.timeout + CLAIM_MARGIN).unwrap_or_default();
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::ClaimedUntil,
                Expr::value(now + lease),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(
                Condition::any()
                    .add(webhook_delivery::Column::ClaimedUntil.is_null())
                    .add(webhook_delivery::Column::ClaimedUntil.lt(now)),
            )
            .filter(
                Condition::any()
                    .add(webhook_delivery::Column::NextAttemptAt.is_null())
                    .add(webhook_delivery::Column::NextAttemptAt.lte(now)),
            )
            .exec(txn)
            .await?;
        let Some(row) = webhook_delivery::Entity::find_by_id(delivery)
            .one(txn)
            .await?
        else {
            return Ok(Claim::Nothing);
        };
        if claimed.rows_affected != 1 {
            // Its task ran a little before the retry was due (the job library keeps times by
            // the second, by the database's clock): it waits for the rest. A task much earlier
            // than that is a second one for the same delivery (a redelivery's, say), and ends
            // here rather than follow it; were the delivery's own task lost, the sweep
            // finds it.
            let unclaimed = row.claimed_until.is_none_or(|until| until < now);
            return Ok(match row.next_attempt_at {
                Some(due)
                    if due > now
                        && due - now <= EARLY
                        && row.status == DeliveryStatus::Pending
                        && unclaimed =>
                {
                    Claim::NotYet((due - now).to_std().unwrap_or_default())
                }
                _ => Claim::Nothing,
            });
        }
        Ok(
            match webhook_endpoint::Entity::find_by_id(row.endpoint_id)
                .one(txn)
                .await?
            {
                Some(endpoint) => Claim::Held(Box::new((row, endpoint))),
                None => Claim::Nothing,
            },
        )
    }

    /// Posts the delivery: its outcome, the status code, what went wrong, and how long it took.
    async fn send(
        &self,
        row: &webhook_delivery::Model,
        endpoint: &webhook_endpoint::Model,
    ) -> (AttemptOutcome, Option<i32>, Option<String>, Duration) {
        let started = Instant::now();
        let url = match address::check_url("url", &endpoint.url, self.settings.allow_internal) {
            Ok(url) => url,
            Err(err) => {
                return (
                    AttemptOutcome::Refused,
                    None,
                    Some(err.to_string()),
                    started.elapsed(),
                );
            }
        };
        let id = EventId(row.event_id).to_string();
        let body = serde_json::to_vec(&serde_json::json!({
            "type": row.event_type,
            "timestamp": row.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": row.payload,
        }))
        .unwrap_or_default();
        let timestamp = Utc::now().timestamp();
        let mut secrets = vec![endpoint.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&endpoint.previous_secret, endpoint.previous_secret_until)
            && until > Utc::now()
        {
            secrets.push(previous);
        }
        let signature = signing::header(&secrets, &id, timestamp, &body);
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let elapsed = started.elapsed();
        match sent {
            Ok(response) => {
                let status = response.status();
                let code = Some(i32::from(status.as_u16()));
                if status.is_success() {
                    (AttemptOutcome::Delivered, code, None, elapsed)
                } else if status == reqwest::StatusCode::GONE {
                    (
                        AttemptOutcome::Gone,
                        code,
                        Some("410 Gone: the endpoint is disabled".to_owned()),
                        elapsed,
                    )
                } else {
                    (
                        AttemptOutcome::Failed,
                        code,
                        Some(format!("answered {status}")),
                        elapsed,
                    )
                }
            }
            Err(err) => {
                let message = describe(&err);
                let outcome = if message.contains("private, loopback or link-local") {
                    AttemptOutcome::Refused
                } else {
                    AttemptOutcome::Failed
                };
                (outcome, None, Some(message), elapsed)
            }
        }
    }

    /// Records an attempt: the attempt row, the delivery's new state, and the endpoint's
    /// health (a 410, or failing for too long, disables it).
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        txn: &RequestDb,
        row: &webhook_delivery::Model,
        endpoint: &webhook_endpoint::Model,
        attempt: i32,
        outcome: AttemptOutcome,
        code: Option<i32>,
        error: Option<String>,
        elapsed: Duration,
        status: DeliveryStatus,
        retry: Option<Duration>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let duration_ms = i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX);
        let error = error.map(|e| e.chars().take(500).collect::<String>());
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(row.org_id),
            delivery_id: Set(row.id),
            attempt: Set(attempt),
            attempted_at: Set(now),
            outcome: Set(outcome),
            response_code: Set(code),
            duration_ms: Set(duration_ms),
            error: Set(error.clone()),
        })
        .exec_without_returning(txn)
        .await?;
        let next = retry.map(|d| now + chrono::Duration::from_std(d).unwrap_or_default());
        webhook_delivery::Entity::update_many()
            .set(webhook_delivery::ActiveModel {
                status: Set(status),
                attempts: Set(attempt),
                next_attempt_at: Set(next),
                claimed_until: Set(None),
                last_attempt_at: Set(Some(now)),
                response_code: Set(code),
                duration_ms: Set(Some(duration_ms)),
                last_error: Set(error),
                ..Default::default()
            })
            .filter(webhook_delivery::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        if !endpoint.enabled {
            return Ok(());
        }
        let failing_since = endpoint.failing_since.unwrap_or(now);
        let too_long = now - failing_since
            >= chrono::Duration::from_std(self.settings.disable_after).unwrap_or_default();
        let change = match outcome {
            AttemptOutcome::Delivered if endpoint.failing_since.is_some() => {
                Some(webhook_endpoint::ActiveModel {
                    failing_since: Set(None),
                    ..Default::default()
                })
            }
            AttemptOutcome::Delivered => None,
            AttemptOutcome::Gone => {
                Some(disabled(now, "the endpoint answered 410 Gone".to_owned()))
            }
            _ if too_long => Some(disabled(
                now,
                format!(
                    "every delivery has failed since {}",
                    failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )),
            _ if endpoint.failing_since.is_none() => Some(webhook_endpoint::ActiveModel {
                failing_since: Set(Some(now)),
                ..Default::default()
            }),
            _ => None,
        };
        if let Some(change) = change {
            let disabled_because = match &change.disabled_reason {
                sea_orm::ActiveValue::Set(Some(reason)) => Some(reason.clone()),
                _ => None,
            };
            webhook_endpoint::Entity::update_many()
                .set(change)
                .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                .exec(txn)
                .await?;
            if let Some(reason) = disabled_because {
                tell_managers(txn, endpoint, &reason).await?;
            }
        }
        Ok(())
    }
}

/// Tells the endpoint's organisation's managers that the service disabled it, in the
/// transaction that disables it.
async fn tell_managers(
    txn: &RequestDb,
    endpoint: &webhook_endpoint::Model,
    reason: &str,
) -> AppResult<()> {
    let notice = Notice {
        kind: WEBHOOK_DISABLED,
        title: format!("Webhook endpoint disabled: {}", endpoint.url),
        body: format!(
            "Deliveries to {} ({}) have stopped: {reason}. Once it answers again, enable it \
             with updateWebhookEndpoint (enabled: true) and redeliver what it missed.",
            endpoint.url,
            if endpoint.description.is_empty() {
                "no description"
            } else {
                endpoint.description.as_str()
            },
        ),
        subject_id: Some(endpoint.id),
    };
    notify_role(txn, OrgId(endpoint.org_id), Role::Manager, notice).await?;
    Ok(())
}

fn disabled(now: DateTime<Utc>, reason: String) -> webhook_endpoint::ActiveModel {
    webhook_endpoint::ActiveModel {
        enabled: Set(false),
        disabled_reason: Set(Some(reason)),
        disabled_at: Set(Some(now)),
        ..Default::default()
    }
}

/// A failed request's causes, in one line.
fn describe(err: &reqwest::Error) -> String {
    let mut message = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
