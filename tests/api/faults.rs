//! Losing the database mid-request: every failure is `SERVICE_UNAVAILABLE` with `Retry-After`,
//! never a 500 or an `INTERNAL_SERVER_ERROR`; no acknowledged write is lost; the service
//! recovers by itself when the database comes back.
//!
//! The service reaches Postgres through a TCP proxy the test starts, so that the test can take
//! "the database" away and bring it back without touching the shared server: the proxy drops
//! every connection and refuses new ones, then listens again on the same port. The test also
//! has the server terminate the service's sessions, as a restart does (`57P01`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use resilience_hub::auth::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{Engine, TestApp, postgres_only, token};
use crate::plan::{ADD_UPDATE, action, recommendation, review};
use crate::world::World;

/// A TCP proxy to the database that can be taken down and brought back on the same port.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    /// The accept loop while the proxy is up, and every connection it carries.
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let proxy = Proxy {
            addr,
            upstream,
            tasks: Default::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let carried = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(carried);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Drops every connection mid-stream and stops listening: connections are refused.
    fn down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    async fn up(&self) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(self.addr)
            .expect("the proxy's port is free again");
        self.serve(socket.listen(128).unwrap());
    }
}

/// `postgres://user@host:port/db?…` with `host:port` replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let start = url
        .find('@')
        .map(|i| i + 1)
        .unwrap_or(url.find("://").unwrap() + 3);
    let end = start + url[start..].find('/').unwrap();
    format!("{}{addr}{}", &url[..start], &url[end..])
}

/// `host:port` of a Postgres URL.
fn host_port(url: &str) -> String {
    let start = url
        .find('@')
        .map(|i| i + 1)
        .unwrap_or(url.find("://").unwrap() + 3);
    let end = start + url[start..].find('/').unwrap();
    url[start..end].to_owned()
}

/// What the writers saw.
#[derive(Default)]
struct Seen {
    /// Narratives of the progress updates the service acknowledged.
    acknowledged: Vec<String>,
    unavailable: usize,
    served: usize,
    /// Anything else: a 500, an `INTERNAL_SERVER_ERROR`, a 503 without `Retry-After`…
    wrong: Vec<String>,
}

async fn write_once(
    app: &TestApp,
    tok: &str,
    action: &str,
    narrative: &str,
) -> Result<bool, String> {
    let resp = app
        .post()
        .bearer_auth(tok)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": ADD_UPDATE, "variables": { "input": {
            "actionId": action, "asAt": "2021-03-01", "narrative": narrative } } }))
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").is_some();
    let body: Value = resp.json().await.map_err(|e| format!("not JSON: {e}"))?;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("(none)"))
                .collect()
        })
        .unwrap_or_default();
    match (status, codes.as_slice()) {
        (200, []) if body["data"]["addProgressUpdate"]["update"]["id"].is_string() => Ok(true),
        (503, ["SERVICE_UNAVAILABLE"]) if retry_after => Ok(false),
        _ => Err(format!("{status}: {body}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_the_database_going_away_and_coming_back() {
    let Some(base) = postgres_only("the fault-injection test") else {
        return;
    };
    let proxy = Proxy::start(host_port(&base)).await;
    let proxied = proxy.addr;
    let app = TestApp::spawn_with(Engine::Postgres(base), |c| {
        c.database_url = c.database_url.as_deref().map(|u| through(u, proxied));
        c.pool.acquire_timeout = Duration::from_secs(1);
        c.request_timeout = Duration::from_secs(10);
        c.fair_share.per_second = 0;
        c.fair_share.concurrent = 0;
    })
    .await;
    let w = World::build(&app).await;
    let manager = token(&w.council_a, Role::Manager);
    let contributor = token(&w.council_a, Role::Contributor);
    let rev = review(&app, &manager, "Protection peer review").await;
    let rec = recommendation(&app, &manager, &rev, "R1").await;
    let mut actions = Vec::new();
    for i in 0..4 {
        actions.push(
            action(
                &app,
                &manager,
                &rec,
                &format!("Action {i}"),
                "2021-01-29",
                "2021-06-30",
            )
            .await,
        );
    }

    let app = Arc::new(app);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for (n, act) in actions.iter().enumerate() {
        let (app, seen, stop, tok, act) = (
            app.clone(),
            seen.clone(),
            stop.clone(),
            contributor.clone(),
            act.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let narrative = format!("writer {n}, update {i}");
                i += 1;
                let outcome = write_once(&app, &tok, &act, &narrative).await;
                let mut seen = seen.lock().unwrap();
                match outcome {
                    Ok(true) => {
                        seen.served += 1;
                        seen.acknowledged.push(narrative);
                    }
                    Ok(false) => seen.unavailable += 1,
                    Err(wrong) => seen.wrong.push(wrong),
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(800)).await;
    // A restart: the server ends the service's sessions under it, three times over.
    for _ in 0..3 {
        assert!(app.kill_connections().await.is_some());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // An outage: connections cut mid-stream, new ones refused, for two seconds.
    let served_before_outage = seen.lock().unwrap().served;
    proxy.down();
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.up().await;
    let back = Instant::now();
    // Recovery without a restart: writes are acknowledged again soon after.
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let served = seen.lock().unwrap().served;
        if served > served_before_outage + 20 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "no write acknowledged within 10 s of the database's return"
        );
    }
    let recovery = back.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    eprintln!(
        "{} writes acknowledged, {} answered SERVICE_UNAVAILABLE, recovered {recovery:?} after the database came back",
        seen.served, seen.unavailable
    );
    assert!(
        seen.wrong.is_empty(),
        "wrong answers: {:#?}",
        &seen.wrong[..seen.wrong.len().min(5)]
    );
    assert!(seen.unavailable > 0, "the faults reached the service");
    // Every acknowledged write is stored.
    let stored: HashSet<String> = app
        .database()
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT narrative FROM progress_updates".to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let lost: Vec<&String> = seen
        .acknowledged
        .iter()
        .filter(|n| !stored.contains(*n))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    // Reads are served again too.
    let resp = app
        .gql(Some(&contributor), "{ me { role } }", json!({}))
        .await;
    assert_eq!(resp.data()["me"]["role"], "CONTRIBUTOR");
}

/// The number of reviews `tok` reads, as a request that only reads.
async fn reviews_read(app: &TestApp, tok: &str) -> i64 {
    let resp = app
        .gql(Some(tok), "{ reviews { totalCount } }", json!({}))
        .await;
    assert_eq!(resp.codes(), Vec::<String>::new(), "a read refused");
    resp.data()["reviews"]["totalCount"]
        .as_i64()
        .expect("a count")
}

/// Waits until every one of the service's sessions is idle: none is left in a transaction.
async fn sessions_settle(app: &TestApp) -> Vec<String> {
    let mut states = Vec::new();
    for _ in 0..100 {
        states = app.session_states().await.expect("Postgres");
        if states.iter().all(|s| s == "idle") {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a session is still busy: {states:?}");
}

/// One connection serves reads and writes in turn: a read's transaction, ended by a rollback
/// that goes with the pool's check of its connection rather than by a `COMMIT` of its own,
/// is over before the connection serves anything else. And a connection the server ended
/// while it sat in the pool, too recently to be checked on the way out, costs the next
/// request nothing: its transaction begins again on a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_serves_reads_and_writes_in_turn_and_survives_its_end() {
    let Some(base) = postgres_only("the connection test") else {
        return;
    };
    let app = TestApp::spawn_with(Engine::Postgres(base), |c| {
        c.pool.max_connections = 1;
        c.fair_share.per_second = 0;
        c.fair_share.concurrent = 0;
    })
    .await;
    let w = World::build(&app).await;
    let manager = token(&w.council_a, Role::Manager);

    let before = reviews_read(&app, &manager).await;
    // Ended, not left open: a session idle in a read-only transaction would refuse the
    // write below.
    assert!(!sessions_settle(&app).await.is_empty());
    review(&app, &manager, "Protection peer review").await;
    assert_eq!(reviews_read(&app, &manager).await, before + 1);
    for _ in 0..5 {
        assert_eq!(reviews_read(&app, &manager).await, before + 1);
    }
    review(&app, &manager, "Prevention peer review").await;
    assert_eq!(reviews_read(&app, &manager).await, before + 2);
    sessions_settle(&app).await;

    // The server ends the pool's one session (as a restart would), and the next read at
    // once finds it gone.
    for round in 0..3 {
        let killed = app.kill_connections().await.expect("Postgres");
        assert!(killed >= 1, "round {round}: no session ended");
        assert_eq!(reviews_read(&app, &manager).await, before + 2);
        sessions_settle(&app).await;
    }
}
