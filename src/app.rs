//! Building and running the service: what `serve` does, and what every integration test
//! starts (bound to port 0).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::auth::KeyStore;
use crate::config::Config;
use crate::db::{Database, PoolSettings};
use crate::events::jobs::Queue;
use crate::events::webhooks::dispatch::Sender;
use crate::events::{EventSettings, Hub};
use crate::graphql::{build_schema, build_subscription_schema};
use crate::http::{self, AppState, Graphiql, Metrics, Persisted};

/// A service ready to serve: database migrated, keys parsed, schema built, port bound.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Database,
    keys: Arc<KeyStore>,
    /// The publisher and the webhook workers, run beside the server.
    background: Option<Background>,
    /// Tells live subscriptions and the background work that the service is stopping.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Connects, migrates (as the owner, granting the service role its privileges, when an
    /// owner URL is given), and binds the listening socket.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let keys = Arc::new(KeyStore::from_config(&config.keys).context("loading signing keys")?);
        if config.uses_dev_key() {
            // Anyone who reads the source can sign a platform administrator's token with it:
            // it may serve this machine alone.
            if !config.bind_addr.ip().is_loopback() {
                bail!(
                    "refusing to listen on {}, an address other machines can reach, while tokens are signed with the built-in development key, which anyone can read in the source: set JWT_SECRET (or JWT_PUBLIC_KEYS), or listen on a loopback address such as 127.0.0.1",
                    config.bind_addr
                );
            }
            tracing::warn!(
                "signing tokens with the built-in development key: never use it for real data"
            );
        }
        let persisted =
            Arc::new(Persisted::new(&config.persisted).context("loading trusted documents")?);
        if persisted.trusted_count() > 0 {
            tracing::info!(
                documents = persisted.trusted_count(),
                mode = ?config.persisted.mode,
                "trusted documents loaded"
            );
        }
        let db = Database::connect(config.database_url(), &config.pool).await?;
        match &config.database_owner_url {
            // The owner migrates, and grants the service's role its privileges.
            Some(owner_url) => {
                let owner = Database::connect(owner_url, &PoolSettings::owner()).await?;
                owner.migrate().await?;
                crate::events::jobs::migrate(&owner).await?;
                owner.grant_to_service(&db).await?;
                crate::events::jobs::grant(&owner, &db).await?;
                owner.conn().clone().close().await.ok();
            }
            None => {
                db.migrate().await?;
                crate::events::jobs::migrate(&db).await?;
            }
        }
        if let Some(why) = db.rls_bypass().await? {
            tracing::warn!(
                "row-level security does not bind the service's database role ({why}): only \
                 the service's own scoping keeps tenants apart; connect as a role that owns no \
                 table, with DATABASE_OWNER_URL for the owner"
            );
        }
        let schema = build_schema(&config.limits, config.introspection);
        let subscription_schema = build_subscription_schema(&config.limits, config.introspection);
        let metrics = Arc::new(Metrics::new());
        // Histograms keep their recent samples until folded into buckets: fold them every few
        // seconds, whether or not anything reads `/metrics`. The task ends with the service.
        let upkeep = Arc::downgrade(&metrics);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                match upkeep.upgrade() {
                    Some(metrics) => metrics.upkeep(),
                    None => break,
                }
            }
        });
        let shapes = Arc::new(crate::graphql::order::Shapes::from_sdl(&schema.sdl()));
        let hub = Arc::new(Hub::new(
            config.events.subscriptions.clone(),
            config.events.webhooks.allow_internal,
        ));
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        // The background work has a pool of its own: it never takes a request's connection,
        // and its statements are not counted as the requests'.
        let background_db = Database::connect(
            config.database_url(),
            &PoolSettings {
                max_connections: 4,
                acquire_timeout: config.pool.acquire_timeout,
            },
        )
        .await?;
        let queue = Queue::open(&background_db, config.database_url())
            .await
            .context("opening the job queue")?;
        let sender =
            Sender::new(config.events.webhooks.clone()).context("building the webhook client")?;
        let remembered: Arc<crate::cache::Remembered> = Default::default();
        let state = AppState {
            schema,
            subscription_schema,
            shapes,
            db: db.clone(),
            keys: keys.clone(),
            limits: config.limits.clone(),
            graphiql: config.graphiql.then(|| {
                Arc::new(Graphiql {
                    personas: config.demo_personas.clone(),
                })
            }),
            introspection: config.introspection,
            callers: Default::default(),
            remembered: remembered.clone(),
            request_timeout: config.request_timeout,
            metrics: metrics.clone(),
            serve_metrics: config.metrics,
            fair: Arc::new(crate::http::fair::FairShare::new(config.fair_share.clone())),
            persisted,
            parsed: Default::default(),
            link_key: crate::papers::LinkKey::new(config.report_link_secret.as_deref()),
            link_lifetime: chrono::Duration::from_std(config.report_link_lifetime)
                .unwrap_or(crate::papers::link::LINK_LIFETIME)
                .min(crate::papers::link::LINK_LIFETIME),
            public_url: config
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            hub: hub.clone(),
            jobs: queue.clone(),
            shutdown,
        };
        let router = http::router(state, &config.cors_origins);
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        tracing::info!(keys = ?keys.describe(), "signing keys loaded");
        // The unsubscribe links reach this service: at its public address, or where it listens.
        let mut mail = config.reminders.mail.clone();
        mail.public_url = match &config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let mailer =
            crate::reminders::mail::Mailer::new(mail).context("configuring reminder mail")?;
        let background = config.events.background.then(|| Background {
            hub,
            workers: crate::events::background::Workers {
                db: background_db,
                queue,
                sender,
                mailer,
                remembered,
            },
            settings: config.events.clone(),
            remind_at: config.reminders.at,
        });
        Ok(Application {
            listener,
            router,
            db,
            keys,
            background,
            stop,
        })
    }

    /// Where the service listens (the real port when built with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The connection pool.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The signing keys.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish. The publisher
    /// and the webhook workers run within the same future: dropping it stops them too.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = self.stop;
        let stopping = stop.subscribe();
        // Without TCP_NODELAY, the last small segment of a response waits for the client's
        // delayed acknowledgement of the one before (Nagle's algorithm): up to 40 ms added to
        // answers of a few segments, whatever the load.
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY on a connection");
            }
        });
        let serve = axum::serve(listener, self.router).with_graceful_shutdown(async move {
            shutdown.await;
            // Live subscriptions close, and the background work winds down.
            let _ = stop.send(true);
        });
        match self.background {
            Some(background) => {
                let (served, ()) = tokio::join!(serve, background.run(stopping));
                served
            }
            None => serve.await,
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The background work of one instance: its publisher, the reminders' clock, and its share
/// of the job workers.
struct Background {
    hub: Arc<Hub>,
    workers: crate::events::background::Workers,
    settings: EventSettings,
    remind_at: Option<chrono::NaiveTime>,
}

impl Background {
    /// Runs until `stop` turns true.
    async fn run(self, stop: tokio::sync::watch::Receiver<bool>) {
        let publisher = crate::events::publisher::run(
            self.workers.db.clone(),
            self.hub.clone(),
            self.settings.poll,
            stop.clone(),
        );
        let feeder = crate::events::background::feed(
            self.hub.clone(),
            self.workers.queue.clone(),
            self.settings.webhooks.sweep,
            stop.clone(),
        );
        let clock = {
            let (queue, stop) = (self.workers.queue.clone(), stop.clone());
            let at = self.remind_at;
            async move {
                if let Some(at) = at {
                    crate::events::background::remind_daily(queue, at, stop).await;
                }
            }
        };
        let workers =
            crate::events::background::work(self.workers, self.settings.webhooks.workers, stop);
        tokio::join!(publisher, feeder, clock, workers);
    }
}
