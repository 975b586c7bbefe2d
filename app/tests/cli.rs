//! The command line, run as the built binary: `token` mints within bounds and only operators'
//! `platform_admin`; `serve` prints demo tokens only when they are worthless elsewhere.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

mod common;

use common::free_port;

/// The binary with a clean environment, in `dir`, over a SQLite file there.
fn hub(dir: &Path) -> Command {
    common::hub(dir, "cli.db", "warn")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The payload of a JWT as JSON.
fn payload(jwt: &str) -> serde_json::Value {
    let part = jwt.trim().split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("JSON")
}

#[test]
fn the_token_command_refuses_lifetimes_of_zero_or_past_the_maximum() {
    let dir = tempfile::tempdir().unwrap();
    common::create_rotherham(hub(dir.path()));

    for (ttl, words) in [
        ("0s", "at least a second"),
        ("36500d", "longer than the 24 h"),
        ("25h", "longer than the 24 h"),
    ] {
        let out = run(hub(dir.path()).args([
            "token",
            "--org",
            "rotherham",
            "--role",
            "viewer",
            "--ttl",
            ttl,
        ]));
        assert!(!out.status.success(), "--ttl {ttl} was accepted");
        assert!(
            stderr(&out).contains(words),
            "--ttl {ttl}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(hub(dir.path()).args([
        "token",
        "--org",
        "rotherham",
        "--role",
        "viewer",
        "--ttl",
        "8h",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let claims = payload(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        8 * 3600
    );
    // A configured maximum moves the bound.
    let out = run(hub(dir.path()).env("JWT_MAX_TTL", "48h").args([
        "token",
        "--org",
        "rotherham",
        "--role",
        "viewer",
        "--ttl",
        "36h",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn platform_admin_tokens_are_minted_only_for_operator_organisations() {
    let dir = tempfile::tempdir().unwrap();
    let org = |slug: &str, operator: bool| {
        let mut cmd = hub(dir.path());
        cmd.args([
            "create-org",
            "--slug",
            slug,
            "--name",
            slug,
            "--kind",
            "partner-body",
        ]);
        if operator {
            cmd.arg("--operator");
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let admin_token = |slug: &str| {
        run(hub(dir.path()).args(["token", "--org", slug, "--role", "platform_admin"]))
    };
    org("lga", false);
    let out = admin_token("lga");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not an operator of the platform"),
        "{}",
        stderr(&out)
    );
    // Any other role is fine.
    assert!(
        run(hub(dir.path()).args(["token", "--org", "lga", "--role", "manager"]))
            .status
            .success()
    );

    org("ops", true);
    let out = admin_token("ops");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        payload(&String::from_utf8_lossy(&out.stdout))["role"],
        "platform_admin"
    );

    // Marked later, and withdrawn.
    assert!(
        run(hub(dir.path()).args(["operator", "--org", "lga"]))
            .status
            .success()
    );
    assert!(admin_token("lga").status.success());
    assert!(
        run(hub(dir.path()).args(["operator", "--org", "lga", "--revoke"]))
            .status
            .success()
    );
    assert!(!admin_token("lga").status.success());
}

/// Starts `serve`, waits until it answers `/readyz` (it has printed its banner by then: the
/// banner comes before it serves), stops it, and returns what it printed.
async fn banner(cmd: Command) -> String {
    let (mut child, _) = common::serve(cmd, Stdio::piped(), Stdio::piped()).await;
    child.kill().ok();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_demo_tokens_only_with_the_development_key_over_its_own_demo_data() {
    // The embedded default: the development key, the demo data it loads itself.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hub(dir.path());
    cmd.env_remove("DATABASE_URL");
    let out = banner(cmd).await;
    assert!(
        out.contains("Demo tokens, valid 24 h, signed with the development key"),
        "{out}"
    );
    // Lines to paste into a shell: `export LEAD_TOKEN=…`, one per persona.
    let exports: Vec<(&str, &str)> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .map(|l| l.split_once('=').expect("NAME=value"))
        .collect();
    let names: Vec<&str> = exports.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "MANAGER_TOKEN",
            "CONTRIBUTOR_TOKEN",
            "LEAD_TOKEN",
            "BOROUGH_TOKEN",
            "PARTNER_TOKEN",
            "OPERATOR_TOKEN"
        ],
        "{out}"
    );
    assert!(
        out.contains("/graphql?persona=lead"),
        "GraphiQL as a persona: {out}"
    );
    for (_, jwt) in exports {
        let claims = payload(jwt);
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!(lifetime <= 24 * 3600, "{claims}");
    }

    // A configured secret (with APP_ENV left at its default): no token is printed, since one
    // would be a real credential.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hub(dir.path());
    cmd.env(
        "JWT_SECRET",
        "a-configured-secret-that-is-long-enough-for-hs256",
    )
    .env("JWT_ISSUER", "https://idp.example")
    .env("JWT_AUDIENCE", "resilience-hub");
    let out = banner(cmd).await;
    assert!(out.contains("listening"), "{out}");
    assert!(!out.contains("export ") && !out.contains("eyJ"), "{out}");

    // The development key over a database it was pointed at: no tokens either.
    let dir = tempfile::tempdir().unwrap();
    let out = banner(hub(dir.path())).await;
    assert!(out.contains("listening"), "{out}");
    assert!(!out.contains("export ") && !out.contains("eyJ"), "{out}");
}

#[test]
fn empty_variables_count_as_unset_for_every_option() {
    // Container tooling passes variables it was not given a value for as empty strings.
    let dir = tempfile::tempdir().unwrap();
    let out = run(hub(dir.path())
        .env("APP_ENV", "")
        .env("DB_POOL_SIZE", "")
        .env("LOG_FORMAT", "")
        .env("JWT_LEEWAY", "")
        .env("GRAPHIQL", "")
        .env("METRICS", "")
        .env("PERSISTED_QUERIES", "")
        .env("REMINDERS_AT", "")
        .env("SMTP_URL", "")
        .env("MAIL_FROM", "")
        .env("MAIL_RETRY", "")
        .arg("schema"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("type Query"));
}

#[test]
fn serve_refuses_a_public_address_while_signing_with_the_development_key() {
    let dir = tempfile::tempdir().unwrap();
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = run(hub(dir.path()).env("BIND_ADDR", addr).arg("serve"));
        assert!(!out.status.success(), "{addr}: serve started");
        let err = stderr(&out);
        assert!(err.contains("development key"), "{addr}: {err}");
        assert!(err.contains("JWT_SECRET"), "{addr}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_whether_a_running_service_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = hub(dir.path())
        .env("BIND_ADDR", format!("0.0.0.0:{port}"))
        .env(
            "JWT_SECRET",
            "a-configured-secret-that-is-long-enough-for-hs256",
        )
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // As a HEALTHCHECK runs it: the same environment, no arguments.
    let health = || {
        run(hub(dir.path())
            .env("BIND_ADDR", format!("0.0.0.0:{port}"))
            .env(
                "JWT_SECRET",
                "a-configured-secret-that-is-long-enough-for-hs256",
            )
            .arg("health"))
    };
    while !health().status.success() {
        assert!(started.elapsed() < Duration::from_secs(60), "never healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill().ok();
    server.wait().ok();
    let out = health();
    assert!(!out.status.success(), "healthy with nothing listening");
    assert!(stderr(&out).contains("127.0.0.1"), "{}", stderr(&out));
}

#[test]
fn import_names_what_it_cannot_find_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    common::create_rotherham(hub(dir.path()));
    let file = dir.path().join("plan.csv");
    std::fs::write(
        &file,
        "Recommendation,Action,Owner,Due date,Status\r\nExercise the plan.,Run an exercise,Head of Resilience,31/03/2025,Not started\r\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for (args, words) in [
        (
            vec![
                "--org",
                "nowhere",
                "--review",
                "rev_01a23aebee577136ba2c954e46023eee",
            ],
            "no organisation has the id or slug `nowhere`",
        ),
        (
            vec![
                "--org",
                "rotherham",
                "--review",
                "rev_01a23aebee577136ba2c954e46023eee",
            ],
            "review not found (NOT_FOUND)",
        ),
        (vec!["--org", "rotherham", "--review", "R1"], "--review"),
    ] {
        let out = run(hub(dir.path())
            .arg("import")
            .args(&args)
            .args(["--file", file, "--commit"]));
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
    }
}

/// `remind --today … --dry-run` prints who would be told what on a past day of the demo
/// data, and records nothing: the same day run for real afterwards tells the same people.
#[test]
fn remind_prints_who_would_be_told_what_and_a_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(hub(dir.path()).arg("seed-demo")).status.success());
    let dry = run(hub(dir.path()).args(["remind", "--today", "2021-02-21", "--dry-run"]));
    assert!(dry.status.success(), "{}", stderr(&dry));
    let printed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        printed.contains("Reminders for 2021-02-21 (dry run"),
        "{printed}"
    );
    assert!(
        printed.contains("essex-fire | Head of Protection <head.protection@essex-fire.example>"),
        "{printed}"
    );
    assert!(printed.contains("DUE_SOON"), "{printed}");
    assert!(
        printed.contains("Review the Enforcement Policy to include clearer objectives and rationale (due 28 February 2021, in 7 days)"),
        "{printed}"
    );
    assert!(
        printed.contains("2 digests for 1 organisation."),
        "{printed}"
    );
    // Nothing was recorded: the real run tells the same, and a second real run nothing.
    let real = run(hub(dir.path()).args(["remind", "--today", "2021-02-21"]));
    assert!(real.status.success(), "{}", stderr(&real));
    assert!(String::from_utf8_lossy(&real.stdout).contains("2 digests for 1 organisation."));
    let again = run(hub(dir.path()).args(["remind", "--today", "2021-02-21"]));
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 digests for 0 organisations."));
    for bad in ["21/02/2021", "2021-02-30"] {
        let out = run(hub(dir.path()).args(["remind", "--today", bad]));
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("--today must be a date as YYYY-MM-DD"),
            "{}",
            stderr(&out)
        );
    }
}
