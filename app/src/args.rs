//! The command line and the environment variables behind it.
//!
//! Every option can be given as a flag or as the environment variable named in `--help` (and in
//! the README). [`config`] checks them into the library's [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};
use resilience_hub::auth::Role;
use resilience_hub::auth::keys::KeyConfig;
use resilience_hub::config::{
    AppEnv, Config, DEFAULT_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET,
};
use resilience_hub::db::PoolSettings;
use resilience_hub::events::webhooks::WebhookSettings;
use resilience_hub::events::{EventSettings, SubscriptionLimits};
use resilience_hub::http::fair::FairShareSettings;
use resilience_hub::http::{PersistedMode, PersistedSettings};
use resilience_hub::limits::Limits;
use resilience_hub::organisations::OrgKind;
use resilience_hub::reminders::ReminderConfig;
use resilience_hub::reminders::mail::MailConfig;
use resilience_hub::telemetry::LogFormat;

/// resilience-hub: a multi-tenant GraphQL API for resilience assurance.
#[derive(Debug, Parser)]
#[command(name = "resilience-hub", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Load the demo organisations into the configured database (idempotent).
    SeedDemo,
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
    /// Mint a bearer token signed with the configured key, for service accounts and testing.
    Token(TokenArgs),
    /// Create an organisation from the command line: how an operator creates the first one.
    CreateOrg(CreateOrgArgs),
    /// Mark an organisation as an operator of the platform, whose tokens may carry the
    /// `platform_admin` role (or withdraw the mark with `--revoke`).
    Operator(OperatorArgs),
    /// Load generated benchmark data (deterministic for a seed) into an empty database, and
    /// write the benchmark's targets.
    SeedBench(SeedBenchArgs),
    /// Import an action plan from a spreadsheet into a review, as `importActionPlan` does:
    /// checks only and prints the report, unless `--commit`.
    Import(ImportArgs),
    /// Run the day's reminders now, as the daily run does (each organisation once a day), and
    /// mail them; or, with `--dry-run`, print who would be told what and change nothing.
    Remind(RemindArgs),
    /// Ask a running service whether it is ready (`GET /readyz`): exits 0 if it is. For a
    /// container's HEALTHCHECK, which has no HTTP client of its own.
    Health(HealthArgs),
}

/// Where the service runs and how it is secured.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// `development` (demo data, a built-in signing key, GraphiQL) or `production` (a
    /// configured key is required; GraphiQL and introspection default to off).
    #[arg(long = "env", env = "APP_ENV", value_enum, default_value_t = AppEnv::Development, global = true)]
    pub app_env: AppEnv,
    /// Database URL (`postgres://…` or `sqlite://…`). Unset: a SQLite file
    /// `resilience-hub.db` in the working directory, with demo data on first start.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Postgres: the URL of the role that owns the tables, which runs the migrations and the
    /// command line's provisioning and data loads, and grants the service's role (that of
    /// `DATABASE_URL`, which should own nothing) what it needs. Unset: `DATABASE_URL` does
    /// everything, and row-level security binds nobody if that role owns the tables.
    #[arg(long, env = "DATABASE_OWNER_URL", global = true)]
    pub database_owner_url: Option<String>,
    /// Most database connections the pool opens.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before failing (e.g. `5s`).
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration, global = true)]
    pub db_acquire_timeout: Duration,
    /// HS256 shared secret for tokens (at least 32 bytes).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// Public keys for RS256/ES256/EdDSA tokens: comma-separated files, each `path` or
    /// `kid=path`, each a PEM public key or a JWKS.
    #[arg(long, env = "JWT_PUBLIC_KEYS", global = true)]
    pub jwt_public_keys: Option<String>,
    /// PEM private key that `token` signs with when there is no shared secret.
    #[arg(long, env = "JWT_PRIVATE_KEY", global = true)]
    pub jwt_private_key: Option<PathBuf>,
    /// The `kid` that `token` writes into tokens signed with `JWT_PRIVATE_KEY`.
    #[arg(long, env = "JWT_PRIVATE_KEY_ID", global = true)]
    pub jwt_private_key_id: Option<String>,
    /// Required `iss` of tokens (defaults to `resilience-hub-dev` in development).
    #[arg(long, env = "JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` of tokens (defaults to `resilience-hub` in development).
    #[arg(long, env = "JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Clock skew allowed when checking `exp`, `nbf` and `iat` (e.g. `30s`).
    #[arg(long, env = "JWT_LEEWAY", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub jwt_leeway: Duration,
    /// Longest lifetime a token may have: both `exp - iat` and `exp - now` (e.g. `24h`);
    /// `token` refuses to mint a longer one.
    #[arg(long, env = "JWT_MAX_TTL", default_value = "24h", value_parser = humantime::parse_duration, global = true)]
    pub jwt_max_ttl: Duration,
    /// Log format: `text` or `json`. Levels come from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long = "bind",
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind_addr: SocketAddr,
    /// Serve GraphiQL at `GET /graphql` to browsers (default: on in development only).
    #[arg(long, env = "GRAPHIQL", global = true)]
    pub graphiql: Option<bool>,
    /// Answer introspection queries (default: on in development only).
    #[arg(long, env = "INTROSPECTION", global = true)]
    pub introspection: Option<bool>,
    /// Deepest field nesting a query may have.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = Limits::default().max_depth, global = true)]
    pub max_query_depth: usize,
    /// Highest estimated cost a query may have (each field costs 1, times the page size of
    /// the lists it sits in).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = Limits::default().max_complexity, global = true)]
    pub max_query_complexity: usize,
    /// Largest page (`first`) a list returns; at most 100.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = Limits::default().max_page_size, global = true)]
    pub max_page_size: usize,
    /// Largest request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes, global = true)]
    pub max_body_bytes: usize,
    /// Most operations in one batched request.
    #[arg(long, env = "MAX_BATCH_SIZE", default_value_t = Limits::default().max_batch, global = true)]
    pub max_batch_size: usize,
    /// Origins allowed to call from a browser: a comma-separated list, or `*` (default: `*`
    /// in development, none in production).
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Option<Vec<String>>,
    /// Serve the service's counters at `GET /metrics` (Prometheus text format).
    #[arg(long, env = "METRICS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub metrics: bool,
    /// Longest a request may run before it is abandoned (e.g. `30s`).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub request_timeout: Duration,
    /// Most SQL statements one HTTP request may run (a batch shares them); past it the request
    /// is rolled back with `QUERY_TOO_COMPLEX`. 0 turns the budget off.
    #[arg(long, env = "MAX_STATEMENTS_PER_REQUEST", default_value_t = Limits::default().max_statements, global = true)]
    pub max_statements_per_request: u32,
    /// Requests per second one organisation may send, sustained; past it, `429 RATE_LIMITED`.
    /// 0 turns the rate limit off.
    #[arg(long, env = "ORG_RATE_LIMIT", default_value_t = FairShareSettings::default().per_second, global = true)]
    pub org_rate_limit: u32,
    /// Requests one organisation may send at once above its sustained rate.
    #[arg(long, env = "ORG_RATE_BURST", default_value_t = FairShareSettings::default().burst, global = true)]
    pub org_rate_burst: u32,
    /// Requests of one organisation that may run at once; more wait in line (default: half
    /// of `DB_POOL_SIZE`, at least 1). 0 turns the limit off.
    #[arg(long, env = "ORG_MAX_CONCURRENT", global = true)]
    pub org_max_concurrent: Option<u32>,
    /// Requests of one organisation that may wait for a place; past it, `429 RATE_LIMITED`.
    #[arg(long, env = "ORG_MAX_QUEUED", default_value_t = FairShareSettings::default().queued, global = true)]
    pub org_max_queued: u32,
    /// Documents sent by id: `apq` (automatic persisted queries; any document may still be
    /// sent whole), `allowlist` (only the trusted documents of PERSISTED_QUERIES_MANIFEST, by
    /// id or whole), or `off`.
    #[arg(long, env = "PERSISTED_QUERIES", value_enum, default_value_t = PersistedMode::Apq, global = true)]
    pub persisted_queries: PersistedMode,
    /// A manifest of trusted documents: Apollo's persisted query manifest, or GraphQL Code
    /// Generator's `persisted-documents.json` (id to document). Required by `allowlist`.
    #[arg(long, env = "PERSISTED_QUERIES_MANIFEST", global = true)]
    pub persisted_queries_manifest: Option<PathBuf>,
    /// The most bytes of documents kept for automatic persisted queries, all organisations
    /// together; the least recently used go first.
    #[arg(long, env = "PERSISTED_QUERIES_CACHE_BYTES", default_value_t = PersistedSettings::default().cache_bytes, global = true)]
    pub persisted_queries_cache_bytes: usize,
    /// The secret report download links are signed with. Every instance behind one address
    /// must share it; without it, each process draws its own and its links open only on it.
    #[arg(
        long,
        env = "REPORT_LINK_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub report_link_secret: Option<String>,
    /// The address clients reach the service at (e.g. https://hub.example.gov.uk), for report
    /// download links; without it, the address the request for the link came to.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// How long a report download link lasts; five minutes at most.
    #[arg(long, env = "REPORT_LINK_LIFETIME", default_value = "5m", value_parser = humantime::parse_duration, global = true)]
    pub report_link_lifetime: std::time::Duration,
    /// How often each instance reads the outbox when no notification wakes it.
    #[arg(long, env = "OUTBOX_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration, global = true)]
    pub outbox_poll_interval: std::time::Duration,
    /// Most live subscriptions one WebSocket connection may hold.
    #[arg(long, env = "SUBSCRIPTIONS_PER_CONNECTION", default_value_t = SubscriptionLimits::default().per_connection, global = true)]
    pub subscriptions_per_connection: usize,
    /// Most live subscriptions one organisation's users may hold on one instance.
    #[arg(long, env = "SUBSCRIPTIONS_PER_ORGANISATION", default_value_t = SubscriptionLimits::default().per_organisation, global = true)]
    pub subscriptions_per_organisation: usize,
    /// Events each instance keeps for subscribers catching up; one that falls further behind
    /// is disconnected (close code 4008).
    #[arg(long, env = "SUBSCRIPTION_BUFFER", default_value_t = SubscriptionLimits::default().buffer, global = true)]
    pub subscription_buffer: usize,
    /// Let webhook endpoints be plain http and on private, loopback or link-local addresses:
    /// for development only.
    #[arg(long, env = "WEBHOOK_ALLOW_INTERNAL", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_internal: bool,
    /// How long one webhook attempt may take.
    #[arg(long, env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub webhook_timeout: std::time::Duration,
    /// The waits before each retry of a failed webhook delivery, comma-separated.
    #[arg(
        long,
        env = "WEBHOOK_RETRY_SCHEDULE",
        default_value = "5s,5m,30m,2h,5h,10h,10h",
        global = true
    )]
    pub webhook_retry_schedule: String,
    /// Most webhook deliveries one instance attempts at once.
    #[arg(long, env = "WEBHOOK_WORKERS", default_value_t = WebhookSettings::default().workers, global = true)]
    pub webhook_workers: usize,
    /// An endpoint whose every delivery has failed for this long, from its first failure, is
    /// disabled and its managers told (0: at its first failure).
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER", default_value = "5days", value_parser = humantime::parse_duration, global = true)]
    pub webhook_disable_after: std::time::Duration,
    /// The UK time (Europe/London, GMT or BST) of the daily reminders run, `HH:MM`; `off`
    /// for none (the `remind` command only).
    #[arg(long, env = "REMINDERS_AT", default_value = "07:00", global = true)]
    pub reminders_at: String,
    /// The mail server for reminders: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS; `?tls=opportunistic` when offered), or `smtps://user:password@host:465`.
    /// Unset: no mail; reminders still reach notifications and webhooks.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// The sender of reminder mail: `Resilience Hub <reminders@council.example>`.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Resilience Hub <reminders@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// The organisations' own front end, for the links in reminders (`/actions/<id>`,
    /// `/assessments/<id>`, `/organisations/<id>` below it); `{org}` stands for the
    /// organisation's slug (`https://{org}.resilience.example`). Unset: no links.
    #[arg(long, env = "APP_BASE_URL", global = true)]
    pub app_base_url: Option<String>,
    /// The first wait before reminder mail is tried again when the server cannot take it
    /// (doubling each time, up to an hour; 24 tries in all).
    #[arg(long, env = "MAIL_RETRY", default_value = "1m", value_parser = humantime::parse_duration, global = true)]
    pub mail_retry: std::time::Duration,
}

/// Options of `remind`.
#[derive(Debug, Args)]
pub struct RemindArgs {
    /// The UK day to run, `YYYY-MM-DD` (default: today).
    #[arg(long)]
    pub today: Option<String>,
    /// Print who would be told what, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The organisation the token acts for: its id or slug.
    #[arg(long)]
    pub org: String,
    /// The role: viewer, contributor, manager or platform_admin.
    #[arg(long)]
    pub role: Role,
    /// The subject (user) the token names.
    #[arg(long, default_value = "service-account")]
    pub sub: String,
    /// How long the token is valid (e.g. `1h`, `8h`): more than zero, and at most
    /// `JWT_MAX_TTL` (24 h unless configured).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub ttl: Duration,
    /// The `name` claim.
    #[arg(long)]
    pub name: Option<String>,
    /// The `email` claim.
    #[arg(long)]
    pub email: Option<String>,
}

/// Options of `create-org`.
#[derive(Debug, Args)]
pub struct CreateOrgArgs {
    /// URL-safe handle: lower-case letters, digits, hyphens.
    #[arg(long)]
    pub slug: String,
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// Kind of organisation.
    #[arg(long, value_enum)]
    pub kind: OrgKindArg,
    /// Region, e.g. "London".
    #[arg(long)]
    pub region: Option<String>,
    /// Mark it as an operator of the platform: its tokens may carry `platform_admin`.
    #[arg(long)]
    pub operator: bool,
}

/// Options of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The organisation: its id or slug.
    #[arg(long)]
    pub org: String,
    /// The review to import into: its id (`rev_…`).
    #[arg(long)]
    pub review: String,
    /// The file: `.xlsx`, `.xlsm`, `.xls`, `.ods` or `.csv`, under 5 MB.
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// The sheet to read; the best-recognised visible one when absent.
    #[arg(long)]
    pub sheet: Option<String>,
    /// The day the file's statuses describe (YYYY-MM-DD); today when absent.
    #[arg(long)]
    pub as_at: Option<chrono::NaiveDate>,
    /// Write the import (all or nothing); without it, check only.
    #[arg(long)]
    pub commit: bool,
}

/// Options of `operator`.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The organisation: its id or slug.
    #[arg(long)]
    pub org: String,
    /// Withdraw the mark instead: its `platform_admin` tokens stop working at once.
    #[arg(long)]
    pub revoke: bool,
}

/// Options of `health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The service's address (default: `BIND_ADDR`, on this machine's loopback when it listens
    /// on every address).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// How long to wait for the answer.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// Options of `seed-bench`.
#[derive(Debug, Args)]
pub struct SeedBenchArgs {
    /// How much data: `small` (the CI smoke test) or `national`.
    #[arg(long, value_enum, default_value_t = crate::bench_data::Scale::Small)]
    pub scale: crate::bench_data::Scale,
    /// The seed: the same seed always gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to write the targets (JSON) the benchmark's scenarios ask about.
    #[arg(long)]
    pub targets_file: Option<PathBuf>,
}

/// [`OrgKind`] as the command line spells it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrgKindArg {
    Council,
    FireAndRescueService,
    RegionalPanel,
    PartnerBody,
}

impl From<OrgKindArg> for OrgKind {
    fn from(k: OrgKindArg) -> Self {
        match k {
            OrgKindArg::Council => OrgKind::Council,
            OrgKindArg::FireAndRescueService => OrgKind::FireAndRescueService,
            OrgKindArg::RegionalPanel => OrgKind::RegionalPanel,
            OrgKindArg::PartnerBody => OrgKind::PartnerBody,
        }
    }
}

/// Removes every variable an option is read from that is set but empty: container tooling
/// passes variables it was given no value for as empty strings, and an empty value means "not
/// set" (clap would otherwise refuse it, or read it as a value).
///
/// # Safety
///
/// Changes the process's environment: call it before any other thread starts (first thing in
/// `main`, before the async runtime).
pub unsafe fn unset_empty_variables() {
    use clap::CommandFactory;
    let command = Cli::command();
    let names: Vec<std::ffi::OsString> = command
        .get_arguments()
        .filter_map(|arg| arg.get_env().map(ToOwned::to_owned))
        .collect();
    for name in names {
        if std::env::var_os(&name).is_some_and(|v| v.to_string_lossy().trim().is_empty()) {
            // SAFETY: the caller guarantees no other thread reads the environment meanwhile.
            unsafe { std::env::remove_var(&name) };
        }
    }
}

/// The checked configuration of the command line and environment.
pub fn config(common: &CommonArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
    // An empty variable (as container tooling often passes) means "not set".
    let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let common = &CommonArgs {
        jwt_secret: given(&common.jwt_secret),
        jwt_public_keys: given(&common.jwt_public_keys),
        jwt_private_key_id: given(&common.jwt_private_key_id),
        jwt_issuer: given(&common.jwt_issuer),
        jwt_audience: given(&common.jwt_audience),
        database_url: given(&common.database_url),
        database_owner_url: given(&common.database_owner_url),
        jwt_private_key: common
            .jwt_private_key
            .clone()
            .filter(|p| !p.as_os_str().is_empty()),
        ..*common
    };
    let dev = common.app_env == AppEnv::Development;
    let key_configured = common.jwt_secret.is_some() || common.jwt_public_keys.is_some();
    if !dev && !key_configured {
        bail!("APP_ENV=production needs a signing key: set JWT_SECRET or JWT_PUBLIC_KEYS");
    }
    if !dev && (common.jwt_issuer.is_none() || common.jwt_audience.is_none()) {
        bail!("APP_ENV=production needs JWT_ISSUER and JWT_AUDIENCE");
    }
    if common.jwt_secret.as_deref() == Some(DEV_JWT_SECRET) && !dev {
        bail!("the development signing key cannot be used in production");
    }
    if serve.persisted_queries == PersistedMode::Allowlist
        && serve.persisted_queries_manifest.is_none()
    {
        bail!(
            "PERSISTED_QUERIES=allowlist needs PERSISTED_QUERIES_MANIFEST: the file of trusted documents your front ends were built with"
        );
    }
    if serve.max_page_size == 0 || serve.max_page_size > 100 {
        bail!("MAX_PAGE_SIZE must be between 1 and 100");
    }
    if common.jwt_max_ttl.is_zero() {
        bail!("JWT_MAX_TTL must be longer than zero");
    }
    if serve.report_link_lifetime.is_zero()
        || serve.report_link_lifetime > std::time::Duration::from_secs(300)
    {
        bail!("REPORT_LINK_LIFETIME must be longer than zero and at most 5m");
    }
    let secret = match (&common.jwt_secret, key_configured) {
        (Some(secret), _) => Some(secret.clone()),
        (None, false) => Some(DEV_JWT_SECRET.to_owned()),
        (None, true) => None,
    };
    let issuer = common
        .jwt_issuer
        .clone()
        .unwrap_or_else(|| DEV_JWT_ISSUER.to_owned());
    Ok(Config {
        app_env: common.app_env,
        database_url: common.database_url.clone(),
        database_owner_url: common.database_owner_url.clone(),
        pool: PoolSettings {
            max_connections: common.db_pool_size.max(1),
            acquire_timeout: common.db_acquire_timeout,
        },
        keys: KeyConfig {
            secret,
            public_keys: common.jwt_public_keys.clone(),
            private_key: common.jwt_private_key.clone(),
            private_key_id: common.jwt_private_key_id.clone(),
            issuer,
            audience: common
                .jwt_audience
                .clone()
                .unwrap_or_else(|| DEFAULT_JWT_AUDIENCE.to_owned()),
            leeway: common.jwt_leeway,
            max_ttl: common.jwt_max_ttl,
        },
        bind_addr: serve.bind_addr,
        graphiql: serve.graphiql.unwrap_or(dev),
        introspection: serve.introspection.unwrap_or(dev),
        limits: Limits {
            max_depth: serve.max_query_depth,
            max_complexity: serve.max_query_complexity,
            max_page_size: serve.max_page_size,
            max_body_bytes: serve.max_body_bytes,
            max_batch: serve.max_batch_size.max(1),
            max_statements: serve.max_statements_per_request,
        },
        request_timeout: serve.request_timeout,
        metrics: serve.metrics,
        fair_share: FairShareSettings {
            per_second: serve.org_rate_limit,
            burst: serve.org_rate_burst,
            concurrent: serve
                .org_max_concurrent
                .unwrap_or((common.db_pool_size / 2).max(1)),
            queued: serve.org_max_queued,
        },
        demo_personas: Vec::new(),
        persisted: PersistedSettings {
            mode: serve.persisted_queries,
            manifest: serve
                .persisted_queries_manifest
                .clone()
                .filter(|p| !p.as_os_str().is_empty()),
            cache_bytes: serve.persisted_queries_cache_bytes,
        },
        report_link_secret: serve.report_link_secret.clone().filter(|s| !s.is_empty()),
        public_url: serve.public_url.clone().filter(|s| !s.is_empty()),
        report_link_lifetime: serve.report_link_lifetime,
        events: EventSettings {
            poll: serve
                .outbox_poll_interval
                .max(std::time::Duration::from_millis(50)),
            subscriptions: SubscriptionLimits {
                per_connection: serve.subscriptions_per_connection.max(1),
                per_organisation: serve.subscriptions_per_organisation.max(1),
                buffer: serve.subscription_buffer.max(16),
            },
            webhooks: WebhookSettings {
                allow_internal: serve.webhook_allow_internal,
                timeout: serve.webhook_timeout,
                retries: retry_schedule(&serve.webhook_retry_schedule)?,
                workers: serve.webhook_workers.max(1),
                disable_after: serve.webhook_disable_after,
                ..WebhookSettings::default()
            },
            background: true,
        },
        reminders: ReminderConfig {
            at: reminders_at(&serve.reminders_at)?,
            mail: MailConfig {
                smtp_url: serve.smtp_url.clone().filter(|s| !s.is_empty()),
                from: serve.mail_from.clone(),
                app_base_url: serve.app_base_url.clone().filter(|s| !s.is_empty()),
                public_url: serve
                    .public_url
                    .clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| format!("http://{}", serve.bind_addr)),
                retry: serve.mail_retry.max(std::time::Duration::from_millis(10)),
                ..MailConfig::default()
            },
        },
        cors_origins: serve.cors_allowed_origins.clone().unwrap_or_else(|| {
            if dev {
                vec!["*".to_owned()]
            } else {
                Vec::new()
            }
        }),
    })
}

/// `WEBHOOK_RETRY_SCHEDULE`: durations, comma-separated.
fn retry_schedule(raw: &str) -> anyhow::Result<Vec<std::time::Duration>> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            humantime::parse_duration(s).map_err(|e| {
                anyhow::anyhow!("WEBHOOK_RETRY_SCHEDULE: `{s}` is not a duration: {e}")
            })
        })
        .collect()
}

/// `REMINDERS_AT`: `HH:MM`, or `off`.
fn reminders_at(raw: &str) -> anyhow::Result<Option<chrono::NaiveTime>> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(raw, "%H:%M")
        .map(Some)
        .map_err(|_| {
            anyhow::anyhow!("REMINDERS_AT must be a UK time as HH:MM (such as 07:00), or off")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Config> {
        let cli =
            Cli::try_parse_from(std::iter::once("resilience-hub").chain(args.iter().copied()))?;
        config(&cli.common, &cli.serve)
    }

    #[test]
    fn development_runs_with_no_configuration() {
        let cfg = parse(&[]).unwrap();
        assert!(cfg.uses_dev_key());
        assert!(cfg.graphiql && cfg.introspection);
        assert_eq!(
            cfg.database_url(),
            resilience_hub::config::EMBEDDED_DATABASE_URL
        );
    }

    #[test]
    fn production_refuses_to_start_without_a_key() {
        let err = parse(&["--env", "production"]).unwrap_err();
        assert!(err.to_string().contains("signing key"), "{err}");
    }

    #[test]
    fn production_needs_issuer_and_audience() {
        let err = parse(&["--env", "production", "--jwt-secret", &"s".repeat(40)]).unwrap_err();
        assert!(err.to_string().contains("JWT_ISSUER"), "{err}");
    }

    #[test]
    fn production_turns_graphiql_and_introspection_off() {
        let cfg = parse(&[
            "--env",
            "production",
            "--jwt-secret",
            &"s".repeat(40),
            "--jwt-issuer",
            "https://idp.example",
            "--jwt-audience",
            "hub",
        ])
        .unwrap();
        assert!(!cfg.graphiql && !cfg.introspection);
        assert!(!cfg.uses_dev_key());
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let cli =
            Cli::try_parse_from(["resilience-hub", "--jwt-secret", "", "--database-url", " "])
                .unwrap();
        let cfg = config(&cli.common, &cli.serve).unwrap();
        assert!(cfg.uses_dev_key());
        assert_eq!(cfg.database_url, None);
    }

    #[test]
    fn page_size_is_capped_at_100() {
        assert!(parse(&["--max-page-size", "500"]).is_err());
    }
}
