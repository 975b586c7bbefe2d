//! What each instance runs in the background: a feeder that queues the webhook work (after
//! the publisher reads new events, and on a timer as a safety net), a clock that queues the
//! day's reminders at their UK time, and the workers that do both.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::Hub;
use futures_util::FutureExt;
use tracing::Instrument;

use super::jobs::{Handler, Job, Queue};
use super::webhooks::dispatch::{self, Sender};
use crate::cache::Remembered;
use crate::db::Database;
use crate::reminders::mail::{self, Mailer, Sent};

/// Most reminder digests one sweep queues for mail.
const MAIL_SWEEP: u64 = 500;

/// A delivery due this long ago with nobody holding it has lost its task.
const LOST_AFTER: Duration = Duration::from_secs(15);

/// Queues a dispatch whenever the publisher has read new events, and a dispatch and a sweep
/// every `every`, until `stop`.
pub async fn feed(hub: Arc<Hub>, queue: Queue, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let jobs: &[Job] = tokio::select! {
            _ = hub.published_signal() => &[Job::Dispatch],
            _ = timer.tick() => &[Job::Dispatch, Job::Sweep],
            _ = stop.changed() => return,
        };
        for job in jobs {
            if let Err(err) = queue.push(job.clone(), Duration::ZERO).await {
                tracing::warn!(error = %err, "queueing webhook work failed; the next tick retries");
            }
        }
    }
}

/// Queues the reminders of each UK day once its time `at` has come (at start, if it has
/// already come today: a run after downtime catches up), and again every [`REQUEUE`] that
/// day, until `stop`: an organisation whose run failed (its database was away) is tried
/// again, and one whose run is done is passed over in the run's first statement. Every
/// instance does this; each organisation's run is claimed, so the day is run once.
pub async fn remind_daily(queue: Queue, at: chrono::NaiveTime, mut stop: watch::Receiver<bool>) {
    let mut queued: Option<(chrono::NaiveDate, tokio::time::Instant)> = None;
    let mut timer = tokio::time::interval(CLOCK);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = timer.tick() => {}
            _ = stop.changed() => return,
        }
        let Some(day) = crate::dates::london_day_due(chrono::Utc::now(), at) else {
            continue;
        };
        if queued.is_some_and(|(d, when)| d == day && when.elapsed() < REQUEUE) {
            continue;
        }
        match queue.push(Job::Remind { day }, Duration::ZERO).await {
            Ok(()) => queued = Some((day, tokio::time::Instant::now())),
            Err(err) => {
                tracing::warn!(error = %err, "queueing the reminders failed; the next tick retries")
            }
        }
    }
}

/// How often an instance queues the day's reminders again, for organisations whose run
/// failed.
const REQUEUE: Duration = Duration::from_secs(3600);

/// How often the reminders' clock looks at the time.
const CLOCK: Duration = Duration::from_secs(20);

/// What the job workers need.
#[derive(Clone)]
pub struct Workers {
    pub db: Database,
    pub queue: Queue,
    pub sender: Sender,
    pub mailer: Mailer,
    pub remembered: Arc<Remembered>,
}

/// Runs `workers` job workers until `stop`.
pub async fn work(with: Workers, workers: usize, mut stop: watch::Receiver<bool>) {
    let name = format!("resilience-hub-{}", uuid::Uuid::now_v7().simple());
    let queue = with.queue.clone();
    let span = tracing::debug_span!("job_worker", worker = %name);
    let handle: Handler = Arc::new(move |job: Job| {
        let with = with.clone();
        let span = span.clone();
        async move {
            // A job that fails is not retried by the library: its work is found again by the
            // next dispatch or sweep, from the tables that are the truth.
            tracing::debug!(?job, "a job starts");
            if let Err(err) = run(&with, job.clone()).await {
                tracing::warn!(error = %err, ?job, "a job failed");
            }
        }
        .instrument(span)
        .boxed()
    });
    let stopped = async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    queue.work(name, workers, handle, stopped).await;
}

async fn run(with: &Workers, job: Job) -> anyhow::Result<()> {
    let (db, queue, sender) = (&with.db, &with.queue, &with.sender);
    match job {
        Job::Dispatch => {
            let done = dispatch::dispatch(db).await?;
            for delivery in done.deliveries {
                queue
                    .push(Job::Deliver { delivery }, Duration::ZERO)
                    .await?;
            }
            if done.more {
                queue.push(Job::Dispatch, Duration::ZERO).await?;
            }
        }
        Job::Deliver { delivery } => {
            let next = sender.deliver(db, delivery).await?;
            tracing::debug!(%delivery, ?next, "delivery attempted");
            if let Some(wait) = next {
                queue.push(Job::Deliver { delivery }, wait).await?;
            }
        }
        Job::Sweep => {
            for delivery in dispatch::overdue(db, LOST_AFTER).await? {
                queue
                    .push(Job::Deliver { delivery }, Duration::ZERO)
                    .await?;
            }
            if with.mailer.configured() {
                for digest in mail::due(db, MAIL_SWEEP).await? {
                    queue.push(Job::Mail { digest }, Duration::ZERO).await?;
                }
            }
        }
        Job::Remind { day } => {
            let made = crate::reminders::run::remind(
                db,
                with.remembered.clone(),
                day,
                false,
                with.mailer.configured(),
            )
            .await?;
            tracing::info!(%day, digests = made.len(), "reminders run");
            if with.mailer.configured() {
                for planned in made.iter().filter(|p| p.email.is_some()) {
                    queue
                        .push(
                            Job::Mail {
                                digest: planned.id.0,
                            },
                            Duration::ZERO,
                        )
                        .await?;
                }
            }
        }
        Job::Mail { digest } => {
            if let Sent::Retry(wait) = mail::deliver(db, &with.mailer, digest).await? {
                queue.push(Job::Mail { digest }, wait).await?;
            }
        }
    }
    Ok(())
}
