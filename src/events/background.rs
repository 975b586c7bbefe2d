//! What each instance runs in the background for webhooks: a feeder that queues the work
//! (after the publisher reads new events, and on a timer as a safety net), and the workers
//! that do it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::Hub;
use futures_util::FutureExt;
use tracing::Instrument;

use super::jobs::{Handler, Job, Queue};
use super::webhooks::dispatch::{self, Sender};
use crate::db::Database;

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

/// Runs `workers` job workers until `stop`.
pub async fn work(
    db: Database,
    queue: Queue,
    sender: Sender,
    workers: usize,
    mut stop: watch::Receiver<bool>,
) {
    let name = format!("resilience-hub-{}", uuid::Uuid::now_v7().simple());
    let handler_queue = queue.clone();
    let span = tracing::debug_span!("webhook_worker", worker = %name);
    let handle: Handler = Arc::new(move |job: Job| {
        let (db, queue, sender) = (db.clone(), handler_queue.clone(), sender.clone());
        let span = span.clone();
        async move {
            // A job that fails is not retried by the library: its work is found again by the
            // next dispatch or sweep, from the tables that are the truth.
            tracing::debug!(?job, "a webhook job starts");
            if let Err(err) = run(&db, &queue, &sender, job.clone()).await {
                tracing::warn!(error = %err, ?job, "a webhook job failed");
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

async fn run(db: &Database, queue: &Queue, sender: &Sender, job: Job) -> anyhow::Result<()> {
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
        }
    }
    Ok(())
}
