//! Starting the real service for a test, talking to it over HTTP, and minting tokens.
//!
//! Every test gets its own database: a fresh SQLite file, and, when `TEST_DATABASE_URL` is set,
//! also a fresh Postgres schema (the test body runs once per engine).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use resilience_hub::app::Application;
use resilience_hub::auth::Role;
use resilience_hub::config::{Config, DEFAULT_JWT_AUDIENCE, DEV_JWT_ISSUER, DEV_JWT_SECRET};
use resilience_hub::organisations::{NewOrganisation, OrgKind, service};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// Runs the body once per database engine the environment offers, each on a fresh app.
macro_rules! api_test {
    ($(#[$meta:meta])* $name:ident, |$app:ident| $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for engine in crate::helpers::engines() {
                let $app = crate::helpers::TestApp::spawn(engine).await;
                $body
            }
        }
    };
}
pub(crate) use api_test;

/// Which database a test runs against.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite,
    Postgres(String),
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Sqlite => f.write_str("sqlite"),
            Engine::Postgres(_) => f.write_str("postgres"),
        }
    }
}

/// Postgres's URL, for a test that needs Postgres (`why` says what for); `None`, saying so,
/// when `TEST_DATABASE_URL` is not set.
pub fn postgres_only(why: &str) -> Option<String> {
    match engines().into_iter().find_map(|e| match e {
        Engine::Postgres(url) => Some(url),
        Engine::Sqlite => None,
    }) {
        Some(url) => Some(url),
        None => {
            eprintln!("no TEST_DATABASE_URL: {why} needs Postgres");
            None
        }
    }
}

/// SQLite always; Postgres too when `TEST_DATABASE_URL` is set.
pub fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::Sqlite];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL")
        && !url.trim().is_empty()
    {
        engines.push(Engine::Postgres(url));
    }
    engines
}

/// A running service on a random port, with its own database.
pub struct TestApp {
    pub engine: Engine,
    pub base: String,
    pub client: reqwest::Client,
    /// The service's own pool (its role is bound by row-level security on Postgres).
    app_db: resilience_hub::db::Database,
    /// The owner's connection: what tests read and load directly, as the command line does.
    owner_db: resilience_hub::db::Database,
    server: JoinHandle<()>,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
    /// The service's and the owner's URLs, for another instance on the same database.
    urls: (String, Option<String>),
}

/// The role the service connects as on Postgres in tests: it owns nothing and has no
/// `BYPASSRLS`, as in a deployment.
pub const SERVICE_ROLE: &str = "hub_service_test";

/// Creates [`SERVICE_ROLE`] once per database cluster (tests race to it; one wins).
async fn ensure_service_role(admin: &sea_orm::DatabaseConnection) {
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT 1 AS one FROM pg_roles WHERE rolname = '{SERVICE_ROLE}'"),
        ))
        .await
        .expect("read roles")
        .is_some();
    if !exists {
        let created = admin
            .execute_unprepared(&format!(
                "CREATE ROLE {SERVICE_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            ))
            .await;
        if let Err(err) = created {
            // Another test created it first.
            assert!(
                err.to_string().contains("already exists"),
                "create role: {err}"
            );
        }
    }
}

/// `url` with its user replaced by `user` (trust authentication: no password).
pub fn with_user(url: &str, user: &str) -> String {
    let scheme = url.find("://").expect("a URL") + 3;
    let host = match url[scheme..].find('@') {
        Some(at) => scheme + at + 1,
        None => scheme,
    };
    format!("{}{user}@{}", &url[..scheme], &url[host..])
}

/// The configuration tests start from: development keys, a random port.
pub fn test_config(url: String) -> Config {
    let mut config = Config::development(Some(url));
    config.bind_addr = "127.0.0.1:0".parse().unwrap();
    config.pool.max_connections = 5;
    // No daily reminders run unless a test asks for one (they run at a UK time of day).
    config.reminders.at = None;
    config
}

impl TestApp {
    /// Starts the service on a fresh database of `engine`.
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, |_| {}).await
    }

    /// As [`TestApp::spawn`], after `adjust` changes the configuration.
    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Config)) -> Self {
        eprintln!("--- running on {engine}");
        // Warnings, unless `RUST_LOG` asks for more (when looking into a failure).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .with_test_writer()
            .try_init();
        let (url, owner_url, sqlite_dir, pg_schema) = match &engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, None, Some(dir), None)
            }
            Engine::Postgres(base) => {
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let admin = sea_orm::Database::connect(base)
                    .await
                    .expect("connect to Postgres");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create schema");
                ensure_service_role(&admin).await;
                admin.close().await.ok();
                let sep = if base.contains('?') { '&' } else { '?' };
                // `public` after the test's schema: where the job library's extensions live.
                let scoped = format!("{base}{sep}options=-c%20search_path%3D{schema},public");
                // The service connects as a role that owns nothing, so that row-level security
                // binds it; the owner (the test's own user) migrates. The application name
                // lets a test find (and kill) the service's connections.
                let url = format!(
                    "{}&application_name={schema}",
                    with_user(&scoped, SERVICE_ROLE)
                );
                (url, Some(scoped), None, Some((base.clone(), schema)))
            }
        };
        let urls = (url.clone(), owner_url.clone());
        let mut config = test_config(url);
        config.database_owner_url = owner_url.clone();
        adjust(&mut config);
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let app_db = app.database().clone();
        let owner_db = match &owner_url {
            Some(url) => resilience_hub::db::Database::connect(
                url,
                &resilience_hub::db::PoolSettings::owner(),
            )
            .await
            .expect("the owner connects"),
            None => app_db.clone(),
        };
        let server = tokio::spawn(async move {
            app.run_until(std::future::pending()).await.ok();
        });
        TestApp {
            engine,
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            app_db,
            owner_db,
            server,
            _sqlite_dir: sqlite_dir,
            pg_schema,
            urls,
        }
    }

    /// Another instance of the service on this one's database (the first keeps the database:
    /// drop it last).
    pub async fn spawn_beside(&self, adjust: impl FnOnce(&mut Config)) -> Self {
        let (url, owner_url) = self.urls.clone();
        let mut config = test_config(url.clone());
        config.database_owner_url = owner_url.clone();
        adjust(&mut config);
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let app_db = app.database().clone();
        let server = tokio::spawn(async move {
            app.run_until(std::future::pending()).await.ok();
        });
        TestApp {
            engine: self.engine.clone(),
            base,
            client: self.client.clone(),
            app_db,
            owner_db: self.owner_db.clone(),
            server,
            _sqlite_dir: None,
            pg_schema: None,
            urls: (url, owner_url),
        }
    }

    /// Stops this instance at once, as a process that dies: requests in flight, its
    /// publisher and its job workers end where they are, and its sockets close.
    pub fn kill(&self) {
        self.server.abort();
    }

    /// SQL statements the service has run so far.
    pub fn statements(&self) -> u64 {
        self.app_db.statement_count()
    }

    /// The service's own pool, bound by row-level security on Postgres: what its background
    /// work runs on.
    pub fn service_database(&self) -> &resilience_hub::db::Database {
        &self.app_db
    }

    /// The owner's connection, for loading and reading data directly (as the command line
    /// does): row-level security does not bind it.
    pub fn database(&self) -> &resilience_hub::db::Database {
        &self.owner_db
    }

    /// The first column of the first row of `sql`, an integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let conn = self.owner_db.conn();
        conn.query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .expect("the query runs")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("an integer")
    }

    /// The first column of every row of `sql`, UUIDs.
    pub async fn uuids(&self, sql: &str) -> Vec<uuid::Uuid> {
        self.first_column(sql).await
    }

    /// The first column of every row of `sql`, as `T`.
    async fn first_column<T: sea_orm::TryGetable>(&self, sql: &str) -> Vec<T> {
        let conn = self.owner_db.conn();
        conn.query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .expect("the query runs")
        .iter()
        .map(|row| {
            row.try_get_by_index::<T>(0)
                .expect("a value of the column's type")
        })
        .collect()
    }

    /// Sends a GraphQL request as `application/graphql-response+json`.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Gql::from(req.send().await.expect("request sent")).await
    }

    /// Sends a GraphQL request with one file, as the GraphQL multipart request spec says: the
    /// file goes in `variables.input.file`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_name: &str,
        bytes: &[u8],
    ) -> Gql {
        let boundary = "----resilience-hub-test-boundary-7d1f";
        let operations = json!({ "query": query, "variables": variables }).to_string();
        let mut body = Vec::new();
        let mut part = |name: &str, extra: &str, content: &[u8]| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        };
        part("operations", "", operations.as_bytes());
        part("map", "", br#"{"0":["variables.input.file"]}"#);
        part(
            "0",
            &format!("; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream"),
            bytes,
        );
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("accept", "application/graphql-response+json")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Gql::from(req.send().await.expect("request sent")).await
    }

    /// Sends any request to `/graphql` and returns status, headers and body text.
    pub async fn raw(&self, req: reqwest::RequestBuilder) -> Raw {
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Raw {
            status,
            headers,
            text,
        }
    }

    /// A POST to `/graphql`, for tests that shape the request themselves.
    pub fn post(&self) -> reqwest::RequestBuilder {
        self.client.post(format!("{}/graphql", self.base))
    }

    /// A GET of `path`.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    /// Every row of every table, as a digest per table: a snapshot to prove a refused request
    /// changed nothing, values included. The tables are read from the database itself, so a
    /// new one is covered without a change here. (Users and who acts for whom are left out: a
    /// new token's user is recorded on first sight, whatever the request; so are the change
    /// epochs, which only count, and the webhook dispatcher's place in the outbox, which moves
    /// in the background.)
    pub async fn snapshot(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for table in self.tables().await {
            if matches!(
                table.as_str(),
                "users" | "org_users" | "change_epochs" | "outbox_cursors"
            ) {
                continue;
            }
            let digest = self.digest(&table, "1 = 1").await;
            out.push((table, digest));
        }
        out
    }

    /// As [`TestApp::snapshot`], of the rows that belong to or concern the organisations
    /// `orgs` (API ids), in every table: to prove that others' requests, refused or not,
    /// changed nothing of theirs. A table this does not know how to tie to an organisation
    /// fails the test, so that a new one is not silently left out.
    pub async fn snapshot_of(&self, orgs: &[&str]) -> Vec<(String, String)> {
        let ids: Vec<String> = orgs
            .iter()
            .map(|o| {
                let id = resilience_hub::ids::OrgId::parse("org", o).expect("an organisation id");
                self.uuid_literal(id.0)
            })
            .collect();
        let set = format!("({})", ids.join(", "));
        let mut out = Vec::new();
        for table in self.tables().await {
            let columns = self.columns(&table).await;
            let has = |c: &str| columns.iter().any(|x| x == c);
            let mut tied: Vec<String> = [
                "org_id",
                "owner_org_id",
                "panel_id",
                "member_id",
                "subject_org_id",
            ]
            .into_iter()
            .filter(|c| has(c))
            .map(|c| format!("{c} IN {set}"))
            .collect();
            match table.as_str() {
                "organisations" => tied.push(format!("id IN {set}")),
                "standards" | "rating_levels" => tied.push(format!(
                    "framework_id IN (SELECT id FROM frameworks WHERE owner_org_id IN {set})"
                )),
                "users" => tied.push(format!(
                    "id IN (SELECT user_id FROM org_users WHERE org_id IN {set})"
                )),
                // Counters of changes anywhere; another organisation's own writes move them.
                // So do the webhook dispatcher's place in the outbox.
                "change_epochs" | "outbox_cursors" => continue,
                _ => {}
            }
            assert!(
                !tied.is_empty(),
                "snapshot_of does not know how to tie table {table} to an organisation"
            );
            let mut condition = tied.join(" OR ");
            if table == "users" {
                // Seen-at moves with every request of the user's own; the profile is what counts.
                let digest = self
                    .digest_columns(
                        &table,
                        &condition,
                        &["id", "issuer", "subject", "display_name", "email"],
                    )
                    .await;
                out.push((table, digest));
                continue;
            }
            condition = format!("({condition})");
            let digest = self.digest(&table, &condition).await;
            out.push((table, digest));
        }
        out
    }

    /// The frameworks `org` (an API id) owns, with their standards and scales.
    pub async fn frameworks_of(&self, org: &str) -> Vec<String> {
        let id = resilience_hub::ids::OrgId::parse("org", org).expect("an organisation id");
        let owned = format!("owner_org_id = {}", self.uuid_literal(id.0));
        let content = format!("framework_id IN (SELECT id FROM frameworks WHERE {owned})");
        vec![
            self.digest("frameworks", &owned).await,
            self.digest("standards", &content).await,
            self.digest("rating_levels", &content).await,
        ]
    }

    /// The service's tables, migrations' bookkeeping left out.
    async fn tables(&self) -> Vec<String> {
        let sql = match self.engine {
            Engine::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
            }
            Engine::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'seaql_migrations' ORDER BY table_name"
            }
        };
        self.strings(sql).await
    }

    /// The columns of `table`, in order.
    async fn columns(&self, table: &str) -> Vec<String> {
        let sql = match self.engine {
            Engine::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
            Engine::Postgres(_) => format!(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        self.strings(&sql).await
    }

    /// A UUID as a literal of this engine's SQL (SQLite keeps them as 16-byte blobs).
    pub fn uuid_literal(&self, id: uuid::Uuid) -> String {
        match self.engine {
            Engine::Sqlite => format!("X'{}'", id.simple()),
            Engine::Postgres(_) => format!("'{id}'"),
        }
    }

    async fn strings(&self, sql: &str) -> Vec<String> {
        self.first_column(sql).await
    }

    /// The rows of `table` that meet `condition`: their number and every value, as one string.
    async fn digest(&self, table: &str, condition: &str) -> String {
        let columns = self.columns(table).await;
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        self.digest_columns(table, condition, &columns).await
    }

    async fn digest_columns(&self, table: &str, condition: &str, columns: &[&str]) -> String {
        let row = match self.engine {
            Engine::Sqlite => columns
                .iter()
                .map(|c| format!("quote({c})"))
                .collect::<Vec<_>>()
                .join(" || ',' || "),
            Engine::Postgres(_) => format!(
                "concat_ws(',', {})",
                columns
                    .iter()
                    .map(|c| format!("quote_nullable({c}::text)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let sql = match self.engine {
            Engine::Sqlite => format!(
                "SELECT COUNT(*) || ':' || COALESCE(group_concat(r, '|'), '') FROM (SELECT {row} AS r FROM {table} WHERE {condition} ORDER BY r)"
            ),
            Engine::Postgres(_) => format!(
                "SELECT COUNT(*)::text || ':' || COALESCE(md5(string_agg(r, '|' ORDER BY r)), '') FROM (SELECT {row} AS r FROM {table} WHERE {condition}) rows"
            ),
        };
        self.strings(&sql).await.remove(0)
    }

    /// Closes every Postgres connection of this app's pool from the server side, as a
    /// database restart would. `None` on SQLite.
    pub async fn kill_connections(&self) -> Option<u64> {
        let (base, schema) = self.pg_schema.as_ref()?;
        let admin = sea_orm::Database::connect(base).await.expect("connect");
        let killed = admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
            ))
            .await
            .expect("terminate");
        admin.close().await.ok();
        Some(killed.rows_affected())
    }

    /// The state of each of the service's sessions on Postgres (`idle`, `active`,
    /// `idle in transaction`…), as the server sees them; `None` on SQLite.
    pub async fn session_states(&self) -> Option<Vec<String>> {
        let (base, schema) = self.pg_schema.as_ref()?;
        let admin = sea_orm::Database::connect(base).await.expect("connect");
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT COALESCE(state, '') AS state FROM pg_stat_activity \
                 WHERE application_name = $1 ORDER BY pid",
                [schema.clone().into()],
            ))
            .await
            .expect("sessions");
        admin.close().await.ok();
        Some(
            rows.iter()
                .map(|r| r.try_get::<String>("", "state").expect("state"))
                .collect(),
        )
    }

    /// Runs raw SQL against the service's database (to break it on purpose).
    pub async fn sql(&self, sql: &str) {
        self.owner_db
            .conn()
            .execute_unprepared(sql)
            .await
            .expect("raw SQL");
    }

    /// Loads the demo organisations and plans, as `resilience-hub seed-demo` does.
    pub async fn seed_demo(&self) -> usize {
        resilience_hub_app::demo::seed(&self.owner_db)
            .await
            .expect("demo data loads")
    }

    /// Creates an organisation that operates the platform, as `resilience-hub create-org
    /// --operator` does: its tokens may carry `platform_admin`.
    pub async fn bootstrap_operator(&self, slug: &str, name: &str) -> String {
        let id = self.bootstrap_org(slug, name, OrgKind::PartnerBody).await;
        service::set_operator_unattended(
            self.owner_db.conn(),
            resilience_hub::ids::OrgId::parse("id", &id).unwrap(),
            true,
        )
        .await
        .unwrap();
        id
    }

    /// Creates an organisation directly (how the first one comes to exist).
    pub async fn bootstrap_org(&self, slug: &str, name: &str, kind: OrgKind) -> String {
        let new = NewOrganisation::parse("", slug, name, kind, Some("England")).unwrap();
        let org = service::create_unattended(self.owner_db.conn(), new)
            .await
            .unwrap();
        org.id.to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some((base, schema)) = self.pg_schema.take() {
            // Dropping runs inside the test's runtime, so the clean-up gets its own thread and
            // runtime.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(db) = sea_orm::Database::connect(&base).await {
                        db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                            .await
                            .ok();
                        db.close().await.ok();
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// A GraphQL response.
#[derive(Debug)]
pub struct Gql {
    pub status: u16,
    pub body: Value,
}

impl Gql {
    pub async fn from(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"));
        Gql { status, body }
    }

    /// `data`, after checking there are no errors.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors (status {}): {}",
            self.status,
            self.body
        );
        &self.body["data"]
    }

    /// The codes of all errors.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("(none)")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts exactly one error, with `code`, and returns it.
    #[track_caller]
    pub fn error(&self, code: &str) -> &Value {
        assert_eq!(self.codes(), vec![code.to_owned()], "body: {}", self.body);
        &self.body["errors"][0]
    }
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Raw {
    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The first error's code.
    #[track_caller]
    pub fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("(none)")
            .to_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Claims for a test token, with development defaults.
#[derive(Clone, Debug)]
pub struct Claims {
    pub iss: Option<String>,
    pub aud: Option<Value>,
    pub sub: String,
    pub org: String,
    pub role: String,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Claims {
    /// Valid claims for `org` (an id or slug) in `role`.
    pub fn new(org: &str, role: Role) -> Self {
        Claims {
            iss: Some(DEV_JWT_ISSUER.to_owned()),
            aud: Some(json!(DEFAULT_JWT_AUDIENCE)),
            sub: format!(
                "user-{}-{}",
                role.claim(),
                &org[org.len().saturating_sub(8)..]
            ),
            org: org.to_owned(),
            role: role.claim().to_owned(),
            exp: Some(now() + 3600),
            nbf: None,
            name: None,
            email: None,
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "sub": self.sub, "org": self.org, "role": self.role });
        if let Some(iss) = &self.iss {
            v["iss"] = json!(iss);
        }
        if let Some(aud) = &self.aud {
            v["aud"] = aud.clone();
        }
        if let Some(exp) = self.exp {
            v["exp"] = json!(exp);
        }
        if let Some(nbf) = self.nbf {
            v["nbf"] = json!(nbf);
        }
        if let Some(name) = &self.name {
            v["name"] = json!(name);
        }
        if let Some(email) = &self.email {
            v["email"] = json!(email);
        }
        v
    }

    /// Signs with the development HS256 key.
    pub fn sign(&self) -> String {
        self.sign_with(
            Header::new(Algorithm::HS256),
            &EncodingKey::from_secret(DEV_JWT_SECRET.as_bytes()),
        )
    }

    /// Signs with any key and header.
    pub fn sign_with(&self, header: Header, key: &EncodingKey) -> String {
        jsonwebtoken::encode(&header, &self.to_json(), key).expect("sign")
    }
}

/// Signs any claims (a JSON object) with the development HS256 key.
pub fn sign_json(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(DEV_JWT_SECRET.as_bytes()),
    )
    .expect("sign")
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A valid development token for `org` in `role`.
pub fn token(org: &str, role: Role) -> String {
    Claims::new(org, role).sign()
}

/// A file of the test key fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}
