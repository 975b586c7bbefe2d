//! Mail: each pending digest sent over SMTP (`SMTP_URL`, through lettre), with a text and an
//! HTML part, and the one-click unsubscribe of RFC 8058 (`List-Unsubscribe` and
//! `List-Unsubscribe-Post`), whose link reaches this service.
//!
//! A digest is claimed before it is sent (one sender at a time, across instances), and
//! marked sent after: a server that cannot be reached, or refuses for now (4xx), means the
//! digest waits and is tried again (the wait doubling, up to an hour), never lost; a server
//! that refuses it for good (5xx) marks it failed. A sender that dies between the server's
//! acceptance and the mark leaves the digest to be sent again once its hold runs out: the
//! message keeps its `Message-ID`, by which mail readers recognise the copy.

// Background work of the service itself, not a caller's: it reads and writes every
// organisation's digests under the `remind` purpose, which row-level security confines to the
// reminder tables.
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use chrono::Utc;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::content::{Digest, Links};
use super::run::status;
use super::{MAX_RETRY_WAIT, RETRY_WAIT};
use crate::db::{Database, RequestDb};
use crate::entity::reminder_digest;
use crate::error::{AppError, AppResult};
use crate::ids::ReminderId;

/// How mail goes.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS;
    /// `?tls=opportunistic` when the server offers it), or `smtps://user:pass@host:465`.
    /// `None`: no mail (the notices and webhook events still go).
    pub smtp_url: Option<String>,
    /// The sender: `Resilience Hub <reminders@council.example>`.
    pub from: String,
    /// The organisation's own front end, for the links (`{org}` becomes its slug).
    pub app_base_url: Option<String>,
    /// This service's own address, for the unsubscribe link (`PUBLIC_URL`).
    pub public_url: String,
    /// The first wait before a retry (doubling each time, up to an hour).
    pub retry: Duration,
    /// How many tries before a digest is given up as failed.
    pub max_attempts: i32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "Resilience Hub <reminders@localhost>".to_owned(),
            app_base_url: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            retry: RETRY_WAIT,
            max_attempts: 24,
        }
    }
}

/// How long a sender keeps others off the digest it is sending.
const HOLD: Duration = Duration::from_secs(120);
/// Longest wait for the mail server on one try.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The mail sender of an instance.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    config: MailConfig,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("configured", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A sender for `config`: checks the server URL and the sender's address.
    pub fn new(config: MailConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM is not an address ({e}): {}", config.from))?;
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not a mail server's URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer {
            transport,
            from,
            config,
        })
    }

    /// Whether a mail server is configured.
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Where a digest's links go.
    pub fn links(&self) -> Links {
        Links {
            app_base_url: self.config.app_base_url.clone(),
        }
    }

    /// The unsubscribe link of a digest's token.
    pub fn unsubscribe_link(&self, token: &str) -> String {
        format!(
            "{}/reminders/unsubscribe?token={token}",
            self.config.public_url.trim_end_matches('/')
        )
    }

    /// The message of a stored digest.
    fn message(&self, row: &reminder_digest::Model, to: &str) -> anyhow::Result<Message> {
        let digest: Digest = serde_json::from_str(&row.content)?;
        let links = self.links();
        let unsubscribe = self.unsubscribe_link(&row.unsubscribe_token);
        let to: Mailbox = match &digest.recipient {
            Some(name) => Mailbox::new(Some(name.clone()), to.parse()?),
            None => to.parse()?,
        };
        let domain = self.from.email.domain().to_owned();
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(digest.title())
            .message_id(Some(format!("<{}@{domain}>", ReminderId(row.id))))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                format!(
                    "{}To stop these emails: {unsubscribe}\n",
                    digest.text(&links)
                ),
                digest.html(&links, Some(&unsubscribe)),
            ))?)
    }
}

/// A transaction of the mail work: the reminder tables of every organisation.
async fn begin(db: &Database) -> AppResult<RequestDb> {
    let txn = db.begin_request(true, 0).await?;
    txn.set_settings(&[("purpose", "remind".to_owned())])
        .await?;
    Ok(txn)
}

/// A digest waiting for the mail that is due at `now` and held by no sender.
fn sendable(now: chrono::DateTime<Utc>) -> Condition {
    Condition::all()
        .add(reminder_digest::Column::Status.eq(status::PENDING))
        .add(reminder_digest::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(reminder_digest::Column::HeldUntil.is_null())
                .add(reminder_digest::Column::HeldUntil.lt(now)),
        )
}

/// Claims a pending digest that is due, for `HOLD`: `None` if it is sent, failed, held by
/// another sender, or not due yet.
async fn claim(db: &Database, id: Uuid) -> AppResult<Option<reminder_digest::Model>> {
    let txn = begin(db).await?;
    let now = Utc::now();
    let claimed = reminder_digest::Entity::update_many()
        .col_expr(
            reminder_digest::Column::HeldUntil,
            Expr::value(now + chrono::Duration::from_std(HOLD).unwrap_or_default()),
        )
        .col_expr(
            reminder_digest::Column::Attempts,
            Expr::col(reminder_digest::Column::Attempts).add(1),
        )
        .filter(reminder_digest::Column::Id.eq(id))
        .filter(sendable(now))
        .exec(&txn)
        .await;
    let row = match claimed {
        Ok(done) if done.rows_affected == 1 => {
            reminder_digest::Entity::find_by_id(id).one(&txn).await
        }
        Ok(_) => Ok(None),
        Err(err) => Err(err),
    };
    match row {
        Ok(row) => {
            txn.finish().await?;
            Ok(row)
        }
        Err(err) => {
            txn.abandon().await;
            Err(err.into())
        }
    }
}

/// What a try of a digest came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The server took it.
    Sent,
    /// Not this time: try again after the wait.
    Retry(Duration),
    /// Given up (refused for good, or too many tries).
    Failed,
    /// Nothing to do: sent already, failed, held by another sender, or not due.
    Nothing,
}

/// Tries to send digest `id` once.
pub async fn deliver(db: &Database, mailer: &Mailer, id: Uuid) -> AppResult<Sent> {
    let Some(transport) = &mailer.transport else {
        return Ok(Sent::Nothing);
    };
    let Some(row) = claim(db, id).await? else {
        return Ok(Sent::Nothing);
    };
    let Some(to) = row.email.clone() else {
        finish(db, id, status::NOT_MAILED, None, None).await?;
        return Ok(Sent::Failed);
    };
    let message = match mailer.message(&row, &to) {
        Ok(message) => message,
        Err(err) => {
            // An address the mail library refuses will never be sent.
            finish(db, id, status::FAILED, Some(&err.to_string()), None).await?;
            return Ok(Sent::Failed);
        }
    };
    match transport.send(message).await {
        Ok(_) => {
            finish(db, id, status::SENT, None, None).await?;
            tracing::debug!(reminder = %ReminderId(id), "reminder mailed");
            Ok(Sent::Sent)
        }
        Err(err) if err.is_permanent() => {
            tracing::warn!(reminder = %ReminderId(id), error = %err, "the mail server refused a reminder");
            finish(db, id, status::FAILED, Some(&err.to_string()), None).await?;
            Ok(Sent::Failed)
        }
        Err(err) => {
            if row.attempts >= mailer.config.max_attempts {
                tracing::warn!(reminder = %ReminderId(id), error = %err, "a reminder could not be mailed after its last try");
                finish(db, id, status::FAILED, Some(&err.to_string()), None).await?;
                return Ok(Sent::Failed);
            }
            let exponent = Ord::min(
                u32::try_from(row.attempts.saturating_sub(1)).unwrap_or(0),
                16,
            );
            let wait = mailer.config.retry.saturating_mul(1 << exponent);
            let wait = Ord::min(wait, Ord::max(MAX_RETRY_WAIT, mailer.config.retry));
            tracing::info!(reminder = %ReminderId(id), error = %err, ?wait, "mail not sent; it will be tried again");
            finish(db, id, status::PENDING, Some(&err.to_string()), Some(wait)).await?;
            Ok(Sent::Retry(wait))
        }
    }
}

/// Records a try's end: its status, its error, and (pending) when to try again.
async fn finish(
    db: &Database,
    id: Uuid,
    to: &str,
    error: Option<&str>,
    retry_in: Option<Duration>,
) -> AppResult<()> {
    let txn = begin(db).await?;
    let now = Utc::now();
    let mut update = reminder_digest::Entity::update_many()
        .col_expr(reminder_digest::Column::Status, Expr::value(to))
        .col_expr(
            reminder_digest::Column::HeldUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(
            reminder_digest::Column::LastError,
            Expr::value(error.map(|e| e.chars().take(500).collect::<String>())),
        );
    if to == status::SENT {
        update = update.col_expr(reminder_digest::Column::SentAt, Expr::value(now));
    }
    if let Some(wait) = retry_in {
        update = update.col_expr(
            reminder_digest::Column::NextAttemptAt,
            Expr::value(now + chrono::Duration::from_std(wait).unwrap_or_default()),
        );
    }
    let done = update
        .filter(reminder_digest::Column::Id.eq(id))
        .exec(&txn)
        .await;
    match done {
        Ok(_) => Ok(txn.finish().await?),
        Err(err) => {
            txn.abandon().await;
            Err(err.into())
        }
    }
}

/// The pending digests that are due and held by nobody (at most `limit`): what a sweep
/// queues, whether their own task was lost, they wait for a retry, or they were made outside
/// the job workers (by the command line, whose own try failed). A digest whose own task is
/// queued too is sent once: the first to claim it sends it, and the other finds it held or
/// sent.
pub async fn due(db: &Database, limit: u64) -> AppResult<Vec<Uuid>> {
    let txn = begin(db).await?;
    let now = Utc::now();
    let ids = reminder_digest::Entity::find()
        .select_only()
        .column(reminder_digest::Column::Id)
        .filter(sendable(now))
        .order_by_asc(reminder_digest::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(&txn)
        .await;
    txn.abandon().await;
    Ok(ids?)
}

/// Who an unsubscribe link's token unsubscribes: the organisation and person of the digest
/// that carried it. Unknown tokens are `None`, and say nothing of anyone.
pub async fn by_token(
    db: &Database,
    token: &str,
) -> AppResult<Option<(crate::ids::OrgId, crate::ids::UserId, String)>> {
    // Tokens are 64 hex digits: anything else is not one, and is not looked up.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let txn = begin(db).await?;
    let row = reminder_digest::Entity::find()
        .filter(reminder_digest::Column::UnsubscribeToken.eq(token.to_ascii_lowercase()))
        .one(&txn)
        .await;
    txn.abandon().await;
    let Some(row) = row? else {
        return Ok(None);
    };
    let digest: Digest = serde_json::from_str(&row.content)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("a stored digest")))?;
    Ok(Some((
        crate::ids::OrgId(row.org_id),
        crate::ids::UserId(row.user_id),
        digest.organisation,
    )))
}

/// Turns off the reminders of the person a token names, in their organisation, audited as
/// theirs. Returns the organisation's name, or `None` for an unknown token.
pub async fn unsubscribe(db: &Database, token: &str) -> AppResult<Option<String>> {
    let Some((org, user, organisation)) = by_token(db, token).await? else {
        return Ok(None);
    };
    let txn = begin(db).await?;
    // Row-level security checks the writes against the person's own organisation.
    txn.set_settings(&[("org", org.0.to_string()), ("user", user.0.to_string())])
        .await?;
    let done = super::settings::unsubscribe_in(&txn, org, user).await;
    match done {
        Ok(()) => {
            txn.finish().await?;
            Ok(Some(organisation))
        }
        Err(err) => {
            txn.abandon().await;
            Err(err)
        }
    }
}
