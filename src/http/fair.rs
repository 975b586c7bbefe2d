//! Fair shares: no organisation can take the service from the others.
//!
//! Each organisation (the verified one a token acts for, never an address) gets its own
//! allowance of requests per second and its own lane of requests running at once. A request
//! past its organisation's rate is refused with `RATE_LIMITED` and the time until the next
//! would be accepted; past its lane's width it waits its turn in line, and past the line's
//! length it is refused. A flood from one organisation therefore fills its own lane and line
//! and nobody else's: the database pool and the workers stay open to the others.
//!
//! A refusal for the rate is sent after a short pause ([`SLOW_REFUSAL`]), taken in the
//! organisation's line while it has room. A client that retries at once, as a flood does,
//! would otherwise spin: each refusal is cheap, but ten thousand a second took half of a
//! two-core machine from everyone else. The pause bounds how fast one connection can be
//! refused, and the line bounds how many refusals wait at once.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// The pause before a refusal for the rate is sent. Not the time until the next request
/// would be accepted: at a rate of 100 a second that is 10 ms, too short to slow a flood.
pub const SLOW_REFUSAL: Duration = Duration::from_millis(100);

/// How generous each organisation's share is. A zero turns that limit off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FairShareSettings {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests that may arrive at once above the sustained rate.
    pub burst: u32,
    /// Requests that may run at once.
    pub concurrent: u32,
    /// Requests that may wait for one of those places.
    pub queued: u32,
}

impl Default for FairShareSettings {
    fn default() -> Self {
        FairShareSettings {
            per_second: 100,
            burst: 200,
            concurrent: 5,
            queued: 64,
        }
    }
}

/// Why a request was refused its share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its organisation sent more than its rate; the next would be accepted after this long.
    Rate(Duration),
    /// Its organisation already has as many requests running and waiting as it may.
    Busy,
}

impl Refusal {
    /// Whole seconds for `Retry-After`: at least one.
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Refusal::Rate(wait) => wait.as_secs_f64().ceil().max(1.0) as u64,
            Refusal::Busy => 1,
        }
    }

    /// What the caller is told.
    pub fn message(self) -> String {
        match self {
            Refusal::Rate(_) => format!(
                "your organisation sent more requests than its rate allows; retry in {} s",
                self.retry_after_secs()
            ),
            Refusal::Busy => "your organisation has as many requests running and waiting as it may; retry shortly".to_owned(),
        }
    }
}

/// One organisation's lane: its requests running, and a count of those waiting.
struct Lane {
    running: Arc<Semaphore>,
    waiting: AtomicU32,
}

/// Every organisation's share, shared by every request of the process.
pub struct FairShare {
    settings: FairShareSettings,
    rate: Option<DefaultKeyedRateLimiter<Uuid>>,
    lanes: Mutex<HashMap<Uuid, Arc<Lane>>>,
}

impl std::fmt::Debug for FairShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FairShare")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A request's place in its organisation's lane, given back when dropped.
#[derive(Debug)]
pub struct Pass {
    _permit: Option<OwnedSemaphorePermit>,
}

/// Counts a request in the line while it waits, and out when it stops waiting, whether it got
/// its place or was abandoned (a timeout drops the wait).
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl FairShare {
    /// Shares as `settings` describe them.
    pub fn new(settings: FairShareSettings) -> Self {
        let rate = NonZeroU32::new(settings.per_second).map(|per_second| {
            let burst =
                NonZeroU32::new(settings.burst.max(settings.per_second)).unwrap_or(per_second);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))
        });
        FairShare {
            settings,
            rate,
            lanes: Mutex::new(HashMap::new()),
        }
    }

    /// Charges one request to organisation `org`'s rate (the nil id for callers without a
    /// token), or refuses it. Cheap, so the handler charges as early as it knows the
    /// organisation: a flood is refused before its documents are even read.
    pub fn charge(&self, org: Uuid) -> Result<(), Refusal> {
        match &self.rate {
            Some(rate) => rate
                .check_key(&org)
                .map_err(|not_until| Refusal::Rate(not_until.wait_time_from(rate.clock().now()))),
            None => Ok(()),
        }
    }

    /// Pauses before `refusal` is sent (see [`SLOW_REFUSAL`]), in `org`'s line when it has
    /// room; at once when it has none.
    pub async fn slow_down(&self, org: Uuid, refusal: Refusal) -> Refusal {
        if !matches!(refusal, Refusal::Rate(_)) {
            return refusal;
        }
        let lane = self.lane(org);
        if lane.waiting.fetch_add(1, Ordering::Relaxed) < self.settings.queued {
            let _waiting = Waiting(&lane.waiting);
            tokio::time::sleep(SLOW_REFUSAL).await;
        } else {
            lane.waiting.fetch_sub(1, Ordering::Relaxed);
        }
        refusal
    }

    /// A place in organisation `org`'s lane, or a refusal. Waits while the lane is full and its
    /// line is not.
    pub async fn enter(&self, org: Uuid) -> Result<Pass, Refusal> {
        if self.settings.concurrent == 0 {
            return Ok(Pass { _permit: None });
        }
        let lane = self.lane(org);
        if let Ok(permit) = lane.running.clone().try_acquire_owned() {
            return Ok(Pass {
                _permit: Some(permit),
            });
        }
        if lane.waiting.fetch_add(1, Ordering::Relaxed) >= self.settings.queued {
            lane.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(Refusal::Busy);
        }
        let _waiting = Waiting(&lane.waiting);
        let permit = lane
            .running
            .clone()
            .acquire_owned()
            .await
            // The semaphore is never closed.
            .map_err(|_| Refusal::Busy)?;
        Ok(Pass {
            _permit: Some(permit),
        })
    }

    fn lane(&self, org: Uuid) -> Arc<Lane> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes
            .entry(org)
            .or_insert_with(|| {
                Arc::new(Lane {
                    running: Arc::new(Semaphore::new(self.settings.concurrent as usize)),
                    waiting: AtomicU32::new(0),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(per_second: u32, burst: u32, concurrent: u32, queued: u32) -> Arc<FairShare> {
        Arc::new(FairShare::new(FairShareSettings {
            per_second,
            burst,
            concurrent,
            queued,
        }))
    }

    #[tokio::test]
    async fn a_burst_past_the_rate_is_refused_with_the_time_to_wait() {
        let share = share(2, 3, 0, 0);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..3 {
            assert!(share.charge(a).is_ok());
        }
        let refused = share.charge(a).unwrap_err();
        let Refusal::Rate(wait) = refused else {
            panic!("{refused:?}")
        };
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert_eq!(refused.retry_after_secs(), 1);
        // Another organisation has its own allowance.
        assert!(share.charge(b).is_ok());
    }

    #[tokio::test]
    async fn a_full_lane_makes_its_own_organisation_wait_and_then_refuses() {
        let share = share(0, 0, 2, 1);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = share.enter(a).await.unwrap();
        let _second = share.enter(a).await.unwrap();
        // The third waits in line…
        let waiting = {
            let share = share.clone();
            tokio::spawn(async move { share.enter(a).await.map(|_| ()) })
        };
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        // …the fourth finds the line full…
        assert_eq!(share.enter(a).await.unwrap_err(), Refusal::Busy);
        // …while another organisation goes straight in.
        assert!(share.enter(b).await.is_ok());
        drop(first);
        assert_eq!(waiting.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_refusal_for_the_rate_is_slowed_only_while_the_line_has_room() {
        let share = share(1, 1, 1, 2);
        let a = Uuid::now_v7();
        share.charge(a).unwrap();
        let refusal = share.charge(a).unwrap_err();
        let started = std::time::Instant::now();
        assert_eq!(share.slow_down(a, refusal).await, refusal);
        let paused = started.elapsed();
        assert!(
            paused >= SLOW_REFUSAL && paused < SLOW_REFUSAL * 3,
            "{paused:?}"
        );
        // With the line full, a refusal goes at once.
        let _running = share.enter(a).await.unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let share = share.clone();
                tokio::spawn(async move { share.enter(a).await.map(|_| ()) })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = std::time::Instant::now();
        share.slow_down(a, refusal).await;
        assert!(started.elapsed() < SLOW_REFUSAL / 2);
        waiters.iter().for_each(|w| w.abort());
    }

    #[tokio::test]
    async fn an_abandoned_wait_leaves_the_line() {
        let share = share(0, 0, 1, 1);
        let a = Uuid::now_v7();
        let _running = share.enter(a).await.unwrap();
        let gave_up = tokio::time::timeout(Duration::from_millis(20), share.enter(a)).await;
        assert!(gave_up.is_err());
        // The line is empty again, so the next may wait.
        let again = tokio::time::timeout(Duration::from_millis(20), share.enter(a)).await;
        assert!(again.is_err(), "it waited rather than being refused");
    }
}
