//! The subcommands: `serve` (the default), `migrate`, `seed-demo`, `schema`, `token`,
//! `create-org`, `operator`, `seed-bench`, `import`, `remind` and `health`.

use anyhow::{Context, bail};

use crate::args::{
    Cli, Command, CreateOrgArgs, HealthArgs, ImportArgs, OperatorArgs, RemindArgs, SeedBenchArgs,
    TokenArgs,
};
use crate::{bench_data, demo};
use resilience_hub::app::{Application, shutdown_signal};
use resilience_hub::auth::Role;
use resilience_hub::auth::identity::find_org_by_claim;
use resilience_hub::auth::{KeyStore, TokenRequest};
use resilience_hub::config::Config;
use resilience_hub::db::{Database, redact};
use resilience_hub::graphql;
use resilience_hub::ids::OrgId;
use resilience_hub::organisations::{NewOrganisation, service};

/// Runs the command the command line names.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = crate::args::config(&cli.common, &cli.serve)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = open(&config).await?;
            println!("migrations applied to {}", redact(config.owner_url()));
            drop(db);
            Ok(())
        }
        Command::SeedDemo => {
            let db = open(&config).await?;
            let created = demo::seed(&db).await?;
            println!("demo data loaded: {created} organisations created");
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Token(args) => token(&config, args).await,
        Command::CreateOrg(args) => create_org(&config, args).await,
        Command::Operator(args) => operator(&config, args).await,
        Command::SeedBench(args) => seed_bench(&config, args).await,
        Command::Health(args) => health(&config, args).await,
        Command::Import(args) => import(&config, args).await,
        Command::Remind(args) => remind(&config, args).await,
    }
}

/// The owner's connection, migrated: the command line provisions and loads data as the role
/// that owns the tables (row-level security binds only the service's role).
async fn open(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(config.owner_url(), &config.pool).await?;
    db.migrate().await?;
    resilience_hub::events::jobs::migrate(&db).await?;
    Ok(db)
}

/// How long a token GraphiQL puts in its header editor lives.
const GRAPHIQL_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

async fn serve(mut config: Config) -> anyhow::Result<()> {
    let demo_tokens = config.prints_demo_tokens();
    let graphiql = config.graphiql;
    let embedded_demo = config.loads_demo_data();
    if demo_tokens && graphiql {
        config.demo_personas = demo::graphiql_personas(GRAPHIQL_TOKEN_TTL.min(config.keys.max_ttl));
    }
    let app = Application::build(config).await?;
    let addr = app.local_addr();
    if embedded_demo && demo::seed_if_empty(app.database()).await? {
        tracing::info!("first start: demo data loaded");
    }
    println!();
    println!("resilience-hub is listening on http://{addr}");
    if graphiql {
        println!("GraphiQL:  http://{addr}/graphql  (open it in a browser)");
        if demo_tokens {
            println!(
                "           http://{addr}/graphql?persona=lead  (as a demo persona: manager, contributor, lead, borough, partner, operator)"
            );
        }
    }
    if demo_tokens {
        let ttl = app.keys().max_ttl();
        let tokens = demo::persona_tokens(app.database(), app.keys(), ttl).await?;
        if !tokens.is_empty() {
            println!();
            println!(
                "Demo tokens, valid {}, signed with the development key. Paste these lines into a shell:",
                resilience_hub::auth::spell_duration(ttl)
            );
            println!();
            for (persona, token) in tokens {
                println!("# {}", persona.title);
                println!("export {}={token}", persona.variable());
            }
            println!();
            println!("Then, for example:");
            println!(
                "  curl -s http://{addr}/graphql -H \"Authorization: Bearer $LEAD_TOKEN\" -H 'Content-Type: application/json' -d '{{\"query\":\"{{ me {{ organisation {{ name }} }} }}\"}}'"
            );
        }
    }
    println!();
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn token(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    let keys = KeyStore::from_config(&config.keys)?;
    let db = open(config).await?;
    let org = find_org_by_claim(db.conn(), &args.org)
        .await?
        .with_context(|| format!("no organisation has the id or slug `{}`", args.org))?;
    if args.sub.trim().is_empty() {
        bail!("--sub must not be empty");
    }
    if args.role == Role::PlatformAdmin && !org.operator {
        bail!(
            "`{}` is not an operator of the platform, so its tokens cannot be platform_admin; mark it with `resilience-hub operator --org {}` first",
            org.slug,
            org.slug
        );
    }
    let token = keys.mint(&TokenRequest {
        // The id, not the slug: an id never changes.
        org: OrgId(org.id).to_string(),
        role: args.role,
        sub: args.sub,
        ttl: args.ttl,
        name: args.name,
        email: args.email,
    })?;
    println!("{token}");
    Ok(())
}

async fn create_org(config: &Config, args: CreateOrgArgs) -> anyhow::Result<()> {
    let db = open(config).await?;
    let new = NewOrganisation::parse(
        "",
        &args.slug,
        &args.name,
        args.kind.into(),
        args.region.as_deref(),
    )?;
    let org = service::create_unattended(db.conn(), new).await?;
    if args.operator {
        service::set_operator_unattended(db.conn(), org.id, true).await?;
    }
    println!("{}\t{}\t{}", org.id, org.slug, org.name);
    Ok(())
}

async fn import(config: &Config, args: ImportArgs) -> anyhow::Result<()> {
    let db = open(config).await?;
    let report = resilience_hub::imports::command_line::run(
        &db,
        resilience_hub::imports::command_line::Request {
            org: args.org,
            review: args.review,
            file: args.file,
            sheet: args.sheet,
            as_at: args.as_at,
            commit: args.commit,
        },
    )
    .await?;
    print!("{}", resilience_hub::imports::command_line::table(&report));
    if !report.errors.is_empty() {
        bail!(
            "{} errors: nothing was written; correct the file and run again",
            report.errors.len()
        );
    }
    if !args.commit {
        println!("\nChecked only: run again with --commit to write it.");
    }
    Ok(())
}

async fn remind(config: &Config, args: RemindArgs) -> anyhow::Result<()> {
    use resilience_hub::reminders::mail::{self, Mailer, Sent};
    let day = match &args.today {
        Some(raw) => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .with_context(|| format!("--today must be a date as YYYY-MM-DD, not `{raw}`"))?,
        None => resilience_hub::dates::london_today(),
    };
    let db = open(config).await?;
    let mailer = Mailer::new(config.reminders.mail.clone())?;
    let planned = resilience_hub::reminders::run::remind(
        &db,
        Default::default(),
        day,
        args.dry_run,
        mailer.configured(),
    )
    .await?;
    print!(
        "{}",
        resilience_hub::reminders::content::report(day, args.dry_run, &planned)
    );
    if args.dry_run || !mailer.configured() {
        return Ok(());
    }
    let (mut sent, mut waiting, mut failed) = (0, 0, 0);
    for p in planned.iter().filter(|p| p.email.is_some()) {
        match mail::deliver(&db, &mailer, p.id.0).await? {
            Sent::Sent => sent += 1,
            Sent::Retry(_) | Sent::Nothing => waiting += 1,
            Sent::Failed => failed += 1,
        }
    }
    println!(
        "Mail: {sent} sent, {waiting} waiting to be tried again by the service, {failed} failed."
    );
    Ok(())
}

async fn operator(config: &Config, args: OperatorArgs) -> anyhow::Result<()> {
    let db = open(config).await?;
    let org = find_org_by_claim(db.conn(), &args.org)
        .await?
        .with_context(|| format!("no organisation has the id or slug `{}`", args.org))?;
    service::set_operator_unattended(db.conn(), OrgId(org.id), !args.revoke).await?;
    if args.revoke {
        println!("`{}` no longer operates the platform", org.slug);
    } else {
        println!(
            "`{}` operates the platform: its tokens may carry platform_admin",
            org.slug
        );
    }
    Ok(())
}

async fn seed_bench(config: &Config, args: SeedBenchArgs) -> anyhow::Result<()> {
    let db = open(config).await?;
    println!("{}", bench_data::seed(&db, args.scale, args.seed).await?);
    if let Some(path) = args.targets_file {
        let targets = bench_data::targets(&db, args.scale, args.seed).await?;
        std::fs::write(&path, serde_json::to_string_pretty(&targets)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("targets written to {}", path.display());
    }
    Ok(())
}

/// `GET /readyz` of the service at `args.addr` (or the configured address), over a plain TCP
/// connection: a container image has no HTTP client to spare.
async fn health(config: &Config, args: HealthArgs) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut addr = args.addr.unwrap_or(config.bind_addr);
    if addr.ip().is_unspecified() {
        // Listening on every address: ask it on this machine's own.
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(
                format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut answer = Vec::new();
        stream.take(4096).read_to_end(&mut answer).await?;
        anyhow::Ok(answer)
    };
    let answer = tokio::time::timeout(args.timeout, ask)
        .await
        .with_context(|| format!("no answer from {addr} within {:?}", args.timeout))?
        .with_context(|| format!("asking {addr} whether it is ready"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        println!("ready: {addr}");
        Ok(())
    } else {
        bail!("{addr} is not ready: {status}")
    }
}
