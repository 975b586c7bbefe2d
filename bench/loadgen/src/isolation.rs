//! How well one organisation is kept from another's load, measured in one run: a bystander
//! organisation's latency alone, while an attacker sends a fragment fan-out document over and
//! over, and while another organisation floods the service with dashboards.
//!
//! Plain tokio tasks rather than goose: the attack and the flood are closed loops of their own
//! beside the bystander's, and only the bystander's latencies are the result.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use resilience_hub::auth::{KeyStore, Role, TokenRequest};
use resilience_hub_app::bench_data::Targets;
use serde_json::{Value, json};

use crate::stats::Latencies;

/// The bystander's simple query.
const ME: &str = "{ me { role } }";

/// How often the bystander asks: a steady 40 requests a second, well within its own
/// organisation's rate, as a dashboard's users would.
const BYSTANDER_EVERY: Duration = Duration::from_millis(25);
/// Attackers sending the fan-out document at once.
const ATTACKERS: usize = 4;
/// Requests of the flooding organisation in flight at once.
const FLOODERS: usize = 64;

/// `{ ...F0 }` and 27 fragments, each spreading the next twice: 2^27 fields once expanded.
fn fan_out() -> String {
    let n = 27;
    let mut q = String::from("{ ...F0 }");
    for i in 0..n - 1 {
        q += &format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1);
    }
    q + &format!(" fragment F{} on Query {{ me {{ role }} }}", n - 1)
}

/// One measurement: the bystander's latencies, and what the other load saw.
pub struct Measure {
    pub label: &'static str,
    pub bystander: Latencies,
    pub bystander_errors: u64,
    /// The other load's answers: served, refused with `RATE_LIMITED`, anything else.
    pub load_served: u64,
    pub load_limited: u64,
    pub load_other: u64,
    pub load: Latencies,
}

struct Tally {
    served: AtomicU64,
    limited: AtomicU64,
    other: AtomicU64,
    latencies: std::sync::Mutex<Latencies>,
}

fn mint(keys: &KeyStore, org: &str, sub: &str) -> anyhow::Result<String> {
    keys.mint(&TokenRequest {
        org: org.to_owned(),
        role: Role::Viewer,
        sub: sub.to_owned(),
        ttl: Duration::from_secs(3600),
        name: None,
        email: None,
    })
}

/// Sends one request; `Ok(code)` with the first error code, if any.
async fn send(
    client: &reqwest::Client,
    host: &str,
    token: &str,
    query: &str,
) -> anyhow::Result<Option<String>> {
    let resp = client
        .post(format!("{host}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await?;
    let body: Value = resp.json().await?;
    Ok(body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned))
}

/// A closed loop of `workers` sending `query` as `token` until `stop`.
fn load(
    client: &reqwest::Client,
    host: &str,
    token: &str,
    query: &str,
    workers: usize,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|_| {
            let (client, host, token, query, stop, tally) = (
                client.clone(),
                host.to_owned(),
                token.to_owned(),
                query.to_owned(),
                stop.clone(),
                tally.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let outcome = send(&client, &host, &token, &query).await;
                    let us = started.elapsed().as_micros() as u64;
                    tally.latencies.lock().unwrap().add(us, 1);
                    match outcome.ok().flatten().as_deref() {
                        None => tally.served.fetch_add(1, Ordering::Relaxed),
                        Some("RATE_LIMITED") => tally.limited.fetch_add(1, Ordering::Relaxed),
                        Some(_) => tally.other.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect()
}

/// The bystander's `query`, one every [`BYSTANDER_EVERY`] for `seconds`, beside `other` load
/// (if any).
#[allow(clippy::too_many_arguments)]
async fn measure(
    label: &'static str,
    client: &reqwest::Client,
    host: &str,
    bystander: &str,
    query: &str,
    other: Option<(&str, &str, usize)>,
    seconds: u64,
) -> anyhow::Result<Measure> {
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally {
        served: AtomicU64::new(0),
        limited: AtomicU64::new(0),
        other: AtomicU64::new(0),
        latencies: Default::default(),
    });
    let workers = match other {
        Some((token, doc, n)) => {
            let w = load(client, host, token, doc, n, &stop, &tally);
            // Let the other load get going first.
            tokio::time::sleep(Duration::from_millis(500)).await;
            w
        }
        None => Vec::new(),
    };
    let (latencies, errors) = {
        let (host, token, query) = (host.to_owned(), bystander.to_owned(), query.to_owned());
        tokio::task::spawn_blocking(move || bystander_alone(&host, &token, &query, seconds))
            .await??
    };
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await?;
    }
    let load = tally.latencies.lock().unwrap().clone();
    Ok(Measure {
        label,
        bystander: latencies,
        bystander_errors: errors,
        load_served: tally.served.load(Ordering::Relaxed),
        load_limited: tally.limited.load(Ordering::Relaxed),
        load_other: tally.other.load(Ordering::Relaxed),
        load,
    })
}

/// The bystander's loop, on a thread and runtime of its own: sharing the flood's runtime, its
/// requests would wait behind the flood's tasks in this process, and the figure would measure
/// the load generator rather than the service.
fn bystander_alone(
    host: &str,
    token: &str,
    query: &str,
    seconds: u64,
) -> anyhow::Result<(Latencies, u64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut latencies = Latencies::default();
        let mut errors = 0;
        let mut tick = tokio::time::interval(BYSTANDER_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while Instant::now() < until {
            tick.tick().await;
            let started = Instant::now();
            let outcome = send(&client, host, token, query).await;
            latencies.add(started.elapsed().as_micros() as u64, 1);
            if !matches!(outcome, Ok(None)) {
                errors += 1;
            }
        }
        Ok((latencies, errors))
    })
}

/// Every isolation measurement against the service at `host`.
pub async fn run(
    client: &reqwest::Client,
    host: &str,
    keys: &KeyStore,
    targets: &Targets,
    dashboard: &str,
    seconds: u64,
) -> anyhow::Result<Vec<Measure>> {
    let (a, b) = match targets.organisations.as_slice() {
        [a, b, ..] => (a, b),
        _ => anyhow::bail!("the targets name fewer than two organisations"),
    };
    let attacker = mint(keys, &a.id, "bench-attacker")?;
    let bystander = mint(keys, &b.id, "bench-bystander")?;
    // First sight of both callers, unmeasured.
    send(client, host, &attacker, ME).await?;
    send(client, host, &bystander, ME).await?;
    let attack = fan_out();
    let mut out = Vec::new();
    out.push(
        measure(
            "simple query, alone",
            client,
            host,
            &bystander,
            ME,
            None,
            seconds,
        )
        .await?,
    );
    out.push(
        measure(
            "simple query, under a 2^27 fan-out attack",
            client,
            host,
            &bystander,
            ME,
            Some((&attacker, &attack, ATTACKERS)),
            seconds,
        )
        .await?,
    );
    out.push(
        measure(
            "dashboard, alone",
            client,
            host,
            &bystander,
            dashboard,
            None,
            seconds,
        )
        .await?,
    );
    out.push(
        measure(
            "dashboard, while another organisation floods",
            client,
            host,
            &bystander,
            dashboard,
            Some((&attacker, dashboard, FLOODERS)),
            seconds,
        )
        .await?,
    );
    Ok(out)
}

/// The measurements as a Markdown table.
pub fn markdown(title: &str, measures: &[Measure]) -> String {
    let mut out = format!(
        "### {title}\n\n| bystander's request | n | p50 ms | p99 ms | errors | other load: served | rate limited | other | its p50 ms | its p99 ms |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    );
    for m in measures {
        let (p50, p99) = if m.load.count() > 0 {
            (
                format!("{:.1}", m.load.percentile_ms(0.5)),
                format!("{:.1}", m.load.percentile_ms(0.99)),
            )
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        out += &format!(
            "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {p50} | {p99} |\n",
            m.label,
            m.bystander.count(),
            m.bystander.percentile_ms(0.5),
            m.bystander.percentile_ms(0.99),
            m.bystander_errors,
            m.load_served,
            m.load_limited,
            m.load_other,
        );
    }
    out
}
