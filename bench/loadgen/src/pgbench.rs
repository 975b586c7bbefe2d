//! The scenarios' hand-written SQL, run by pgbench straight against Postgres at the same
//! concurrency: what the database alone can do, the yardstick of every figure.

use std::path::Path;

use anyhow::{Context, bail};
use resilience_hub_app::bench_data::Targets;
use tokio::process::Command;

use crate::scenarios::Scenario;
use crate::stats::Latencies;

/// What one pgbench run measured.
#[derive(Clone, Debug)]
pub struct SqlRun {
    pub per_second: f64,
    pub latencies: Latencies,
    pub failed: u64,
}

impl SqlRun {
    /// No SQL run: a scenario without a hand-written yardstick.
    pub fn none() -> Self {
        SqlRun {
            per_second: 0.0,
            latencies: Latencies::default(),
            failed: 0,
        }
    }
}

/// A Postgres array literal of UUIDs: `{…,…}`.
fn uuid_array(ids: impl Iterator<Item = uuid::Uuid>) -> String {
    let ids: Vec<String> = ids.map(|u| u.to_string()).collect();
    format!("{{{}}}", ids.join(","))
}

/// The `-D name=value` variables the scenario's script reads.
fn variables(scenario: Scenario, t: &Targets) -> Vec<(String, String)> {
    let v = |name: &str, value: String| (name.to_owned(), value);
    match scenario {
        Scenario::Dashboard => vec![
            v("orgs", uuid_array(t.organisations.iter().map(|o| o.uuid))),
            v("norgs", t.organisations.len().to_string()),
        ],
        Scenario::ActionPlan => vec![
            v(
                "reviews",
                uuid_array(t.action_plans.iter().map(|p| p.review.uuid)),
            ),
            v("nreviews", t.action_plans.len().to_string()),
            v("asof", t.as_of.to_string()),
        ],
        Scenario::PanelComparison => vec![
            v("panel", t.panel.uuid.to_string()),
            v("framework", t.framework.uuid.to_string()),
            v("cycle", t.cycles.last().cloned().unwrap_or_default()),
        ],
        Scenario::StandardsProgress => vec![
            v("framework", t.framework.uuid.to_string()),
            v("cycles", format!("{{{}}}", t.cycles.join(","))),
        ],
        Scenario::Writes => {
            let actions: Vec<uuid::Uuid> = t
                .writers
                .iter()
                .flat_map(|w| w.actions.iter().map(|a| a.uuid))
                .collect();
            vec![
                v("nactions", actions.len().to_string()),
                v("actions", uuid_array(actions.into_iter())),
            ]
        }
        // Papers have no SQL script.
        _ => Vec::new(),
    }
}

/// Runs `bench/sql/<scenario>.sql` with `clients` connections for `seconds`.
pub async fn run(
    sql_dir: &Path,
    database_url: &str,
    scenario: Scenario,
    targets: &Targets,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<SqlRun> {
    let script = sql_dir.join(format!("{}.sql", scenario.file()));
    let logs = std::env::temp_dir().join(format!("resilience-hub-pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs)?;
    let mut cmd = Command::new("pgbench");
    cmd.arg("--no-vacuum")
        .args(["--protocol", "prepared"])
        .args(["--client", &clients.to_string()])
        .args(["--jobs", &clients.min(2).to_string()])
        .args(["--time", &seconds.to_string()])
        .arg("--log")
        .arg(format!("--log-prefix={}", logs.join("tx").display()))
        .arg("--file")
        .arg(&script);
    for (name, value) in variables(scenario, targets) {
        cmd.arg("--define").arg(format!("{name}={value}"));
    }
    cmd.arg(database_url);
    let out = cmd
        .output()
        .await
        .context("running pgbench (is it installed?)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed on {}: {}{}",
            script.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let per_second = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("pgbench printed no tps")?;
    let failed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut latencies = Latencies::default();
    for entry in std::fs::read_dir(&logs)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            // client, transaction, latency in µs, script, epoch, µs
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<u64>().ok())
            {
                latencies.add(us, 1);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&logs);
    Ok(SqlRun {
        per_second,
        latencies,
        failed,
    })
}
