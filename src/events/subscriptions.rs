//! Live subscriptions: who is listening, and what each event becomes for them.
//!
//! What a subscriber receives is decided at delivery, with its access as it is then: for
//! every event that passes a subscription's filters, a short read-only transaction loads the
//! subscriber's [`Access`] afresh (a member that left a panel is no longer the panel's to
//! see) and reads the thing changed through the same scoped functions as a query. When it is
//! visible, that transaction stays open, in the subscription's [`EventSlot`], while the
//! subscriber's selection is resolved, and is closed after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::Stream;
use futures_util::future::BoxFuture;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{Event, Hub, SubscriptionPass};
use crate::access::{Access, Actor};
use crate::cache::Remembered;
use crate::db::{Database, RequestDb};
use crate::error::{AppError, AppResult};

/// Why a subscription's connection must close: a WebSocket close code and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    pub code: u16,
    pub reason: String,
}

/// Close code for a subscriber that fell too far behind.
pub const TOO_SLOW: u16 = 4008;

/// The caller of one WebSocket connection, known from its `connection_init`.
pub struct Subscriber {
    pub actor: Actor,
    pub db: Database,
    pub remembered: Arc<Remembered>,
    pub hub: Arc<Hub>,
    /// The statement budget of each delivery's transaction.
    pub budget: u32,
    /// The connection's live subscriptions.
    live: Arc<AtomicUsize>,
    closing: mpsc::Sender<Closing>,
}

impl Subscriber {
    /// The subscriber of a connection, which asks to be closed through `closing`.
    pub fn new(
        actor: Actor,
        db: Database,
        remembered: Arc<Remembered>,
        hub: Arc<Hub>,
        budget: u32,
        closing: mpsc::Sender<Closing>,
    ) -> Self {
        Subscriber {
            actor,
            db,
            remembered,
            hub,
            budget,
            live: Arc::new(AtomicUsize::new(0)),
            closing,
        }
    }

    /// The subscriber's access now, in a read-only transaction of its own.
    pub async fn scope(&self) -> AppResult<EventScope> {
        let db = Arc::new(self.db.begin_request(false, self.budget).await?);
        match Access::load(self.actor.clone(), db.clone(), self.remembered.clone()).await {
            Ok(access) => Ok(EventScope { access, db }),
            Err(err) => {
                db.abandon().await;
                Err(err)
            }
        }
    }
}

/// One delivery's access and its transaction.
pub struct EventScope {
    pub access: Access,
    db: Arc<RequestDb>,
}

impl EventScope {
    /// Closes the delivery's transaction (it only read).
    pub async fn finish(self) {
        self.db.abandon().await;
    }
}

/// Where a subscription's stream leaves the scope of the event it yields, for the execution
/// that resolves the subscriber's selection on it.
#[derive(Default)]
pub struct EventSlot(Mutex<Option<EventScope>>);

impl EventSlot {
    fn put(&self, scope: EventScope) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(scope);
    }

    /// The scope of the event about to be resolved.
    pub fn take(&self) -> Option<EventScope> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// What a subscription makes of an event it accepts, with the subscriber's access at
/// delivery: `None` when the subscriber may not see it (then nothing is sent).
pub type Load<T> =
    Arc<dyn Fn(Arc<Event>, Access) -> BoxFuture<'static, AppResult<Option<T>>> + Send + Sync>;

struct State<T> {
    events: tokio::sync::broadcast::Receiver<Arc<Event>>,
    subscriber: Arc<Subscriber>,
    slot: Arc<EventSlot>,
    accepts: Arc<dyn Fn(&Event) -> bool + Send + Sync>,
    load: Load<T>,
    _pass: SubscriptionPass,
    _live: LiveGuard,
}

struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The stream of one subscription: every event `accepts` lets through and `load` makes
/// something of for the subscriber as it is then. Counted against the connection's and the
/// organisation's bounds while it lives.
pub fn deliveries<T: Send + 'static>(
    subscriber: Arc<Subscriber>,
    slot: Arc<EventSlot>,
    accepts: impl Fn(&Event) -> bool + Send + Sync + 'static,
    load: Load<T>,
) -> AppResult<impl Stream<Item = T> + Send + 'static> {
    let limit = subscriber.hub.limits().per_connection;
    if subscriber.live.fetch_add(1, Ordering::Relaxed) >= limit {
        subscriber.live.fetch_sub(1, Ordering::Relaxed);
        return Err(AppError::TooManySubscriptions(format!(
            "this connection already holds {limit} subscriptions, the most one may; open another connection or stop one"
        )));
    }
    let live = LiveGuard(subscriber.live.clone());
    let pass = subscriber.hub.admit(subscriber.actor.org_id)?;
    let state = State {
        events: subscriber.hub.listen(),
        subscriber,
        slot,
        accepts: Arc::new(accepts),
        load,
        _pass: pass,
        _live: live,
    };
    Ok(futures_util::stream::unfold(
        state,
        |mut state| async move {
            loop {
                let event = match state.events.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => {
                        // Its socket is closed (the stream does not complete first, which would
                        // tell the client the subscription ended normally): the subscriber must
                        // read the current state again.
                        let _ = state.subscriber.closing.try_send(Closing {
                        code: TOO_SLOW,
                        reason: format!(
                            "too slow: fell {missed} events behind; reconnect and read the current state"
                        ),
                    });
                        std::future::pending::<()>().await;
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                };
                if !(state.accepts)(&event) {
                    continue;
                }
                let scope = match state.subscriber.scope().await {
                    Ok(scope) => scope,
                    Err(err) => {
                        tracing::warn!(error = %err, event = %event.id, "a subscription could not read its subscriber's access; event skipped");
                        continue;
                    }
                };
                match (state.load)(event.clone(), scope.access.clone()).await {
                    Ok(Some(item)) => {
                        state.slot.put(scope);
                        return Some((item, state));
                    }
                    Ok(None) | Err(AppError::NotFound(_)) => scope.finish().await,
                    Err(err) => {
                        tracing::warn!(error = %err, event = %event.id, "a subscription could not read an event's subject; event skipped");
                        scope.finish().await;
                    }
                }
            }
        },
    ))
}
