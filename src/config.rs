//! The checked configuration of a running service: what [`crate::app::Application`] is built
//! from. The command line that fills it in (every option as a flag or an environment variable)
//! is the binary's; tests build one directly with [`Config::development`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::ValueEnum;

use crate::auth::keys::KeyConfig;
use crate::db::PoolSettings;
use crate::http::fair::FairShareSettings;
use crate::http::{DemoPersona, PersistedSettings};
use crate::limits::Limits;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const EMBEDDED_DATABASE_URL: &str = "sqlite://resilience-hub.db";
/// The signing secret of development mode. Public by design: never use it for real data.
pub const DEV_JWT_SECRET: &str = "resilience-hub-development-signing-key-do-not-use-in-production";
/// The issuer of development tokens.
pub const DEV_JWT_ISSUER: &str = "resilience-hub-dev";
/// The audience of development tokens (and the default audience).
pub const DEFAULT_JWT_AUDIENCE: &str = "resilience-hub";

/// Development or production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

/// The checked configuration of a running service.
#[derive(Clone, Debug)]
pub struct Config {
    pub app_env: AppEnv,
    /// `None`: the embedded SQLite default, which also loads demo data on first start.
    pub database_url: Option<String>,
    /// The owner's URL, for migrations, grants and the command line (`None`: `database_url`).
    pub database_owner_url: Option<String>,
    pub pool: PoolSettings,
    pub keys: KeyConfig,
    pub bind_addr: SocketAddr,
    pub graphiql: bool,
    /// The demo personas GraphiQL offers (`?persona=lead`): only in development over the demo
    /// data, signed with the development key.
    pub demo_personas: Vec<DemoPersona>,
    pub introspection: bool,
    pub limits: Limits,
    pub request_timeout: Duration,
    /// Browser origins allowed by CORS (`*` for any).
    pub cors_origins: Vec<String>,
    /// Whether `/metrics` is served.
    pub metrics: bool,
    /// Each organisation's share of the service.
    pub fair_share: FairShareSettings,
    /// Documents sent by id: automatic persisted queries, or only trusted documents.
    pub persisted: PersistedSettings,
    /// The secret report links are signed with; shared by every instance behind one address.
    /// Without it, each process draws its own key.
    pub report_link_secret: Option<String>,
    /// How long a report link lasts (five minutes at most).
    pub report_link_lifetime: Duration,
    /// The address clients reach the service at (`https://hub.example.gov.uk`), for report
    /// links; without it, the address of the request that asked for the link.
    pub public_url: Option<String>,
    /// How changes travel out: subscriptions and webhooks.
    pub events: crate::events::EventSettings,
    /// Reminders: the daily run's UK time, and mail.
    pub reminders: crate::reminders::ReminderConfig,
}

impl Config {
    /// Development defaults over `database_url`: what tests and `cargo run` start from.
    pub fn development(database_url: Option<String>) -> Self {
        Config {
            app_env: AppEnv::Development,
            database_url,
            database_owner_url: None,
            pool: PoolSettings::default(),
            keys: KeyConfig {
                secret: Some(DEV_JWT_SECRET.to_owned()),
                issuer: DEV_JWT_ISSUER.to_owned(),
                audience: DEFAULT_JWT_AUDIENCE.to_owned(),
                leeway: Duration::from_secs(30),
                max_ttl: crate::auth::keys::DEFAULT_MAX_TTL,
                ..Default::default()
            },
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            graphiql: true,
            demo_personas: Vec::new(),
            introspection: true,
            limits: Limits::default(),
            request_timeout: Duration::from_secs(30),
            cors_origins: vec!["*".to_owned()],
            metrics: true,
            fair_share: FairShareSettings::default(),
            persisted: PersistedSettings::default(),
            report_link_secret: None,
            report_link_lifetime: Duration::from_secs(300),
            public_url: None,
            events: crate::events::EventSettings::default(),
            reminders: crate::reminders::ReminderConfig::default(),
        }
    }

    /// The database URL in force.
    pub fn database_url(&self) -> &str {
        self.database_url
            .as_deref()
            .unwrap_or(EMBEDDED_DATABASE_URL)
    }

    /// The URL of the role that owns the tables: migrations, grants and the command line.
    pub fn owner_url(&self) -> &str {
        self.database_owner_url
            .as_deref()
            .unwrap_or_else(|| self.database_url())
    }

    /// Whether the built-in development key signs tokens.
    pub fn uses_dev_key(&self) -> bool {
        self.keys.secret.as_deref() == Some(DEV_JWT_SECRET)
    }

    /// Whether `serve` loads the demo data on its first start: in development, over the
    /// embedded database.
    pub fn loads_demo_data(&self) -> bool {
        self.app_env == AppEnv::Development && self.database_url.is_none()
    }

    /// Whether `serve` may print ready-made demo tokens: only where it loads the demo data
    /// itself, signed with the built-in key (worthless elsewhere). Never with a configured key
    /// or database, where a printed token would be a real credential.
    pub fn prints_demo_tokens(&self) -> bool {
        self.loads_demo_data() && self.uses_dev_key()
    }
}
