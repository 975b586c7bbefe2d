//! The benchmark's second variant: a writer that keeps the records' change epochs moving
//! during a run, so that no figure the service remembers between requests (an organisation's
//! action counts, a heat map's tallies, a standards progress table) is still current when the
//! next request comes, and every request pays for what it computes. Its statements run beside
//! the service's and beside the hand-written SQL's alike, so both pay for them.
//!
//! It leaves the visibility epoch (the directory, panel memberships and sharing settings)
//! alone unless asked to move it too: those change when an administrator changes them, not
//! whenever a tenant records progress, and they have an epoch of their own precisely so that
//! the records' changes do not make every request read them again. `--move-visibility` moves
//! it as well, as releases before 0.17.0 did.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use resilience_hub::db::Database;
use sea_orm::ConnectionTrait;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which variant a row of the results measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Variant {
    /// As in production: what the service remembers helps whenever nothing changed.
    Remembered,
    /// The records' epochs moved `--epoch-rate` times a second: no remembered figure helps.
    Moving,
}

impl Variant {
    /// How the results name it.
    pub fn title(self) -> &'static str {
        match self {
            Variant::Remembered => "remembered",
            Variant::Moving => "epochs moving",
        }
    }
}

/// A running writer; [`Writer::stop`] ends it and says how many times it moved the epochs.
pub struct Writer {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
}

impl Writer {
    /// Starts moving the records' epochs (and the visibility epoch when `visibility`)
    /// `per_second` times a second, at a fixed rate: a tick that runs late is not made up.
    pub fn start(db: &Database, per_second: f64, visibility: bool) -> Writer {
        let statement = if visibility {
            "UPDATE change_epochs SET epoch = epoch + 1"
        } else {
            "UPDATE change_epochs SET epoch = epoch + 1 WHERE family <> 'VISIBILITY'"
        };
        let (stop, mut stopped) = watch::channel(false);
        let conn = db.conn().clone();
        let moves = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        match conn.execute_unprepared(statement).await {
                            Ok(_) => { moves.fetch_add(1, Ordering::Relaxed); }
                            Err(err) => eprintln!("moving the epochs failed: {err}"),
                        }
                    }
                    _ = stopped.changed() => break,
                }
            }
            moves.load(Ordering::Relaxed)
        });
        Writer { stop, task }
    }

    /// Stops the writer; returns how many times it moved the epochs.
    pub async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}
