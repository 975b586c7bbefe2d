//! Changes out, live: subscriptions over WebSocket (`graphql-transport-ws`), on one instance
//! and across two on one Postgres, with the tenant boundary decided at delivery.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use resilience_hub::auth::Role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Claims, Engine, TestApp, api_test, engines, postgres_only, token};
use crate::plan::{self, People, UPDATE_ACTION};
use crate::world::World;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` client.
pub struct Socket {
    ws: Stream,
    /// The close frame, once one came.
    close: Option<Closed>,
}

/// What a socket ended with: its close code and reason.
pub type Closed = (u16, String);

impl Socket {
    /// Opens a socket to `app` and sends `connection_init` with `payload`.
    pub async fn open(app: &TestApp, payload: Value) -> Self {
        Self::open_speaking(app, "graphql-transport-ws", payload).await
    }

    /// As [`Socket::open`], in `protocol`, which the server must agree to.
    async fn open_speaking(app: &TestApp, protocol: &str, payload: Value) -> Self {
        let url = format!("{}/graphql", app.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the socket opens");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        let mut socket = Socket { ws, close: None };
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        socket
    }

    /// Opens a socket for `token` and waits for `connection_ack`.
    pub async fn connect(app: &TestApp, token: &str) -> Self {
        Self::connect_speaking(app, "graphql-transport-ws", token).await
    }

    /// As [`Socket::connect`], in `protocol`.
    async fn connect_speaking(app: &TestApp, protocol: &str, token: &str) -> Self {
        let mut socket = Self::open_speaking(
            app,
            protocol,
            json!({ "authorization": format!("Bearer {token}") }),
        )
        .await;
        let ack = socket
            .message(Duration::from_secs(5))
            .await
            .expect("an answer to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("sent");
    }

    /// Subscribes as `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables }
        }))
        .await;
    }

    /// The next protocol message within `within`; `None` when none came or the socket closed.
    pub async fn message(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match next.ok()? {
                Message::Text(text) => {
                    let v: Value = serde_json::from_str(&text).expect("JSON");
                    if v["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(v);
                }
                Message::Close(frame) => {
                    self.close = Some(
                        frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new())),
                    );
                    return None;
                }
                _ => continue,
            }
        }
    }

    /// The next `next` payload within `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Value> {
        let message = self.message(within).await?;
        assert_eq!(message["type"], "next", "{message}");
        Some(message["payload"].clone())
    }

    /// The next `next` payload of a change of `event_type` (earlier changes, such as those
    /// that made the test's data, may be published after the subscription began).
    pub async fn next_of(&mut self, event_type: &str) -> Value {
        loop {
            let got = self.next(SOON).await.expect("the change arrives");
            let change = got["data"]
                .as_object()
                .and_then(|d| d.values().next())
                .map(|f| f["change"]["eventType"].clone());
            if change == Some(json!(event_type)) {
                return got;
            }
        }
    }

    /// How the server closed the socket, waiting up to `within`; `None` if it stayed open.
    pub async fn closed(&mut self, within: Duration) -> Option<Closed> {
        if let Some(close) = self.close.take() {
            return Some(close);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Some((u16::from(frame.code), frame.reason.to_string()));
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    return Some((1005, String::new()));
                }
                _ => continue,
            }
        }
    }
}

pub const ACTION_CHANGED: &str = r#"
    subscription($review: ID, $org: ID) {
        actionChanged(reviewId: $review, organisationId: $org) {
            change { eventId eventType entityType changed by { id } }
            action { id title status rag version }
        }
    }"#;

const PROGRESS_CHANGED: &str = r#"
    subscription($org: ID) {
        progressChanged(organisationId: $org) {
            change { eventType }
            organisation { id progress { actionsTotal } }
        }
    }"#;

const ASSESSMENT_CHANGED: &str = r#"
    subscription($panel: ID, $org: ID) {
        assessmentChanged(panelId: $panel, organisationId: $org) {
            change { eventType }
            assessment { id status }
        }
    }"#;

const REMOVE_MEMBER: &str = r#"
    mutation($panel: ID!, $member: ID!) {
        removePanelMember(input: { panelId: $panel, memberId: $member }) { panel { id } }
    }"#;

/// Council A's plan: a review, a recommendation and an action due on 2021-03-01.
pub(crate) async fn plan_of_a(app: &TestApp, w: &World) -> (String, String) {
    let a = People::of(&w.council_a);
    let review = plan::review(app, &a.manager, "Protection peer challenge").await;
    let rec = plan::recommendation(app, &a.manager, &review, "R1").await;
    let action = plan::action(
        app,
        &a.manager,
        &rec,
        "Recruit two protection officers",
        "2021-01-29",
        "2021-03-01",
    )
    .await;
    (review, action)
}

/// Renames an action through `app`, at `version`.
pub(crate) async fn rename(
    app: &TestApp,
    tok: &str,
    action: &str,
    version: i64,
    title: &str,
) -> Value {
    let resp = app
        .gql(
            Some(tok),
            UPDATE_ACTION,
            json!({ "input": { "id": action, "version": version, "title": title } }),
        )
        .await;
    resp.data()["updateAction"]["action"].clone()
}

/// The code of the error a subscription was refused with.
async fn refusal(socket: &mut Socket) -> String {
    let message = socket.message(SOON).await.expect("an answer");
    let errors = match message["type"].as_str() {
        Some("next") => &message["payload"]["errors"],
        Some("error") => &message["payload"],
        _ => panic!("not a refusal: {message}"),
    };
    let code = errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {message}"))
        .to_owned();
    if message["type"] == "next" {
        let complete = socket
            .message(SOON)
            .await
            .expect("the subscription completes");
        assert_eq!(complete["type"], "complete", "{complete}");
        assert_eq!(complete["id"], message["id"]);
    }
    code
}

const QUIET: Duration = Duration::from_millis(1500);
const SOON: Duration = Duration::from_secs(5);

api_test!(
    a_change_reaches_its_organisation_s_subscriber_and_no_one_else,
    |app| {
        let w = World::build(&app).await;
        let (review, action) = plan_of_a(&app, &w).await;
        let a = People::of(&w.council_a);

        let mut own = Socket::connect(&app, &a.viewer).await;
        own.subscribe("1", ACTION_CHANGED, json!({ "review": review }))
            .await;
        // Council B's manager, subscribed to its own organisation's actions.
        let mut other = Socket::connect(&app, &token(&w.council_b, Role::Manager)).await;
        other.subscribe("1", ACTION_CHANGED, json!({})).await;
        // Council B naming council A, or A's review: as if they did not exist.
        let mut prying = Socket::connect(&app, &token(&w.council_b, Role::Manager)).await;
        prying
            .subscribe("1", ACTION_CHANGED, json!({ "org": w.council_a }))
            .await;
        assert_eq!(refusal(&mut prying).await, "NOT_FOUND");
        prying
            .subscribe("2", ACTION_CHANGED, json!({ "review": review }))
            .await;
        assert_eq!(refusal(&mut prying).await, "NOT_FOUND");
        // A partner body receives no events.
        let mut partner = Socket::connect(&app, &token(&w.partner, Role::Manager)).await;
        partner
            .subscribe("1", PROGRESS_CHANGED, json!({ "org": w.council_a }))
            .await;
        assert_eq!(refusal(&mut partner).await, "FORBIDDEN");
        // Subscriptions are live once the server has them: give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;

        let renamed = rename(
            &app,
            &a.manager,
            &action,
            1,
            "Recruit three protection officers",
        )
        .await;
        let got = own.next_of("action.updated").await;
        let change = &got["data"]["actionChanged"];
        assert_eq!(change["action"]["id"], action);
        assert_eq!(
            change["action"]["title"],
            "Recruit three protection officers"
        );
        assert_eq!(change["action"]["version"], renamed["version"]);
        assert!(change["action"]["rag"].is_string(), "{change}");
        assert_eq!(change["change"]["eventType"], "action.updated");
        assert_eq!(change["change"]["changed"], json!(["title"]));
        assert!(
            change["change"]["eventId"]
                .as_str()
                .unwrap()
                .starts_with("evt_")
        );
        assert!(change["change"]["by"]["id"].is_string(), "{change}");
        assert_eq!(
            other.message(QUIET).await,
            None,
            "council B hears nothing of A"
        );
    }
);

api_test!(
    a_refused_token_closes_the_socket_with_4401_and_an_expiring_one_when_it_expires,
    |app| {
        let w = World::build(&app).await;
        let mut bad = Socket::open(&app, json!({ "authorization": "Bearer not.a.token" })).await;
        let (code, reason) = bad.closed(SOON).await.expect("closed");
        assert_eq!(code, 4401, "{reason}");
        let mut none = Socket::open(&app, json!({})).await;
        assert_eq!(none.closed(SOON).await.expect("closed").0, 4401);
        let mut claims = Claims::new(&w.council_a, Role::Viewer);
        claims.exp = Some(crate::helpers::now() + 2);
        let mut short = Socket::connect(&app, &claims.sign()).await;
        short.subscribe("1", ACTION_CHANGED, json!({})).await;
        let (code, reason) = short
            .closed(Duration::from_secs(8))
            .await
            .expect("closed at expiry");
        assert_eq!(code, 4401);
        assert!(reason.contains("expired"), "{reason}");
    }
);

api_test!(
    a_connection_and_an_organisation_hold_a_bounded_number_of_subscriptions,
    |app| {
        let w = World::build(&app).await;
        let viewer = token(&w.council_a, Role::Viewer);
        let mut socket = Socket::connect(&app, &viewer).await;
        for i in 0..20 {
            socket
                .subscribe(&i.to_string(), ACTION_CHANGED, json!({}))
                .await;
        }
        socket.subscribe("21", ACTION_CHANGED, json!({})).await;
        // One of the 21, whichever the server started last, is refused; the others stand.
        assert_eq!(refusal(&mut socket).await, "TOO_MANY_SUBSCRIPTIONS");
        assert_eq!(socket.message(QUIET).await, None, "the other twenty stand");
        let metrics = app.raw(app.get("/metrics")).await.text;
        assert!(
            metrics.contains("resilience_hub_live_subscriptions 20"),
            "{metrics}"
        );
    }
);

/// Thirty progress updates in one request, as aliases of one document.
fn burst(action: &str, n: usize) -> String {
    let updates: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "u{i}: addProgressUpdate(input: {{ actionId: \"{action}\", asAt: \"2021-02-01\", narrative: \"Update {i}\" }}) {{ update {{ id }} }}"
            )
        })
        .collect();
    format!("mutation {{ {} }}", updates.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_too_slow_to_keep_up_is_dropped_with_a_reason() {
    for engine in engines() {
        let app = TestApp::spawn_with(engine, |c| c.events.subscriptions.buffer = 16).await;
        let w = World::build(&app).await;
        let (_, action) = plan_of_a(&app, &w).await;
        let a = People::of(&w.council_a);
        let mut socket = Socket::connect(&app, &a.viewer).await;
        socket.subscribe("1", ACTION_CHANGED, json!({})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Published at once, twice what the instance keeps: the subscriber, which reads each
        // event's action afresh, falls behind.
        app.gql(Some(&a.manager), &burst(&action, 32), json!({}))
            .await
            .data();
        let mut received = 0;
        let closed = loop {
            match socket.message(SOON).await {
                Some(m) if m["type"] == "next" => received += 1,
                Some(m) => panic!("unexpected {m}"),
                None => break socket.closed(SOON).await,
            }
        };
        let (code, reason) = closed.expect("the socket is closed");
        assert_eq!(code, 4008, "{reason}");
        assert!(reason.contains("too slow"), "{reason}");
        assert!(received < 32, "{received} delivered before the drop");
    }
}

/// A rolled-back request: its statements ran past its budget, so it is rolled back whole,
/// with the changes its mutations made before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_mutation_publishes_nothing() {
    for engine in engines() {
        let app = TestApp::spawn_with(engine, |c| c.limits.max_statements = 14).await;
        let w = World::build(&app).await;
        let a = People::of(&w.council_a);
        let mut socket = Socket::connect(&app, &a.viewer).await;
        socket.subscribe("1", PROGRESS_CHANGED, json!({})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let create = |title: &str| {
            json!({ "query": plan::CREATE_REVIEW, "variables": { "input": {
                "kind": "PEER_REVIEW", "title": title, "reviewer": "Gamma Fire and Rescue Service",
                "reportedOn": "2021-01-29" } } })
        };
        // Within the budget: published.
        let resp = app
            .raw(app.post().bearer_auth(&a.manager).json(&create("First")))
            .await;
        assert!(
            resp.json()["data"]["createReview"]["review"]["id"].is_string(),
            "{}",
            resp.text
        );
        let got = socket
            .next(SOON)
            .await
            .expect("the committed change is published");
        assert_eq!(
            got["data"]["progressChanged"]["change"]["eventType"],
            "review.created"
        );
        let outbox = "SELECT COUNT(*) FROM outbox_events";
        let before = app.scalar(outbox).await;
        // Three in one batch run past it: the first two were written, then all rolled back.
        let resp = app
            .raw(app.post().bearer_auth(&a.manager).json(&json!([
                create("Second"),
                create("Third"),
                create("Fourth")
            ])))
            .await;
        assert_eq!(resp.code(), "QUERY_TOO_COMPLEX", "{}", resp.text);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM reviews").await, 1);
        assert_eq!(
            app.scalar(outbox).await,
            before,
            "nothing rolled back is in the outbox"
        );
        assert_eq!(
            socket.message(QUIET).await,
            None,
            "and nothing is published"
        );
    }
}

api_test!(
    a_panel_lead_hears_of_a_member_until_it_leaves_the_panel,
    |app| {
        let w = World::build(&app).await;
        let (_, action) = plan_of_a(&app, &w).await;
        let a = People::of(&w.council_a);
        let lead = token(&w.panel, Role::Manager);
        let mut socket = Socket::connect(&app, &lead).await;
        socket
            .subscribe("1", PROGRESS_CHANGED, json!({ "org": w.council_a }))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        rename(&app, &a.manager, &action, 1, "Second name").await;
        // The plan's own creation may be published after the subscription began: wait for
        // the rename.
        let got = loop {
            let got = socket
                .next(SOON)
                .await
                .expect("the panel hears of its member");
            if got["data"]["progressChanged"]["change"]["eventType"] == "action.updated" {
                break got;
            }
        };
        assert_eq!(
            got["data"]["progressChanged"]["organisation"]["id"],
            w.council_a
        );
        assert_eq!(
            got["data"]["progressChanged"]["organisation"]["progress"]["actionsTotal"],
            1
        );
        app.gql(
            Some(&w.admin),
            REMOVE_MEMBER,
            json!({ "panel": w.panel, "member": w.council_a }),
        )
        .await
        .data();
        rename(&app, &a.manager, &action, 2, "Third name").await;
        assert_eq!(
            socket.message(QUIET).await,
            None,
            "a former member's changes reach the panel no more"
        );
    }
);

/// Two instances on one Postgres: what one commits, the other's subscribers hear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_on_one_instance_reaches_a_subscriber_of_another() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    for engine in engines() {
        let Engine::Postgres(url) = engine.clone() else {
            continue;
        };
        let a_side = TestApp::spawn(engine).await;
        let b_side = a_side.spawn_beside(|_| {}).await;
        let w = World::build(&a_side).await;
        let (_, action) = plan_of_a(&a_side, &w).await;
        let a = People::of(&w.council_a);
        let mut on_b = Socket::connect(&b_side, &a.viewer).await;
        on_b.subscribe("1", ACTION_CHANGED, json!({})).await;
        let mut other_on_b = Socket::connect(&b_side, &token(&w.council_b, Role::Manager)).await;
        other_on_b.subscribe("1", ACTION_CHANGED, json!({})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        // A long transaction elsewhere on the server (another deployment's, a big import)
        // that has written something and is still open: it holds back nobody's events.
        let elsewhere = sea_orm::Database::connect(url.as_str()).await.unwrap();
        let long = elsewhere.begin().await.unwrap();
        long.execute_unprepared("SELECT pg_current_xact_id()")
            .await
            .unwrap();

        // Within a second of the commit, which is before A answers the mutation.
        rename(&a_side, &a.manager, &action, 1, "Made on A").await;
        let committed = std::time::Instant::now();
        let got = tokio::time::timeout(Duration::from_secs(1), on_b.next_of("action.updated"))
            .await
            .expect("B's subscriber hears within a second");
        eprintln!("A's answer to B's delivery: {:?}", committed.elapsed());
        assert_eq!(got["data"]["actionChanged"]["action"]["title"], "Made on A");
        assert_eq!(other_on_b.message(QUIET).await, None);
        long.rollback().await.unwrap();
        elsewhere.close().await.unwrap();

        // An instance that dies between its commit and its publication: here, one that
        // never publishes at all. B reads the outbox, not A's word.
        let silent = a_side.spawn_beside(|c| c.events.background = false).await;
        rename(&silent, &a.manager, &action, 2, "Made on the silent one").await;
        let got = on_b.next_of("action.updated").await;
        assert_eq!(
            got["data"]["actionChanged"]["action"]["title"],
            "Made on the silent one"
        );
        silent.kill();
        drop(b_side);
    }
}

const PANEL_COMPARISON_CHANGED: &str = r#"
    subscription($panel: ID!, $framework: ID!, $cycle: String!) {
        panelComparisonChanged(panelId: $panel, frameworkId: $framework, cycle: $cycle) {
            change { eventType }
            rows { organisation { id } cells { moderatedLevel { code } } }
        }
    }"#;

api_test!(
    a_panel_hears_of_its_members_assessments_and_heat_map_rows,
    |app| {
        use crate::assurance;
        let w = World::build(&app).await;
        let fw = assurance::framework(&app, &w.admin, "NRS", 2).await;
        let a = People::of(&w.council_a);
        let lead = token(&w.panel, Role::Manager);
        let submitted = assurance::assessed(
            &app,
            &a.manager,
            &fw,
            "2024-25",
            &["DEVELOPING", "GOOD_PRACTICE"],
        )
        .await;

        let mut assessments = Socket::connect(&app, &lead).await;
        assessments
            .subscribe("1", ASSESSMENT_CHANGED, json!({ "panel": w.panel }))
            .await;
        let mut heat_map = Socket::connect(&app, &lead).await;
        heat_map
            .subscribe(
                "1",
                PANEL_COMPARISON_CHANGED,
                json!({ "panel": w.panel, "framework": fw.id, "cycle": "2024-25" }),
            )
            .await;
        // Another panel naming this one, and council B naming council A: as if absent.
        let mut other = Socket::connect(&app, &token(&w.other_panel, Role::Manager)).await;
        other
            .subscribe(
                "1",
                PANEL_COMPARISON_CHANGED,
                json!({ "panel": w.panel, "framework": fw.id, "cycle": "2024-25" }),
            )
            .await;
        assert_eq!(refusal(&mut other).await, "NOT_FOUND");
        other
            .subscribe("2", ASSESSMENT_CHANGED, json!({ "panel": w.panel }))
            .await;
        assert_eq!(refusal(&mut other).await, "NOT_FOUND");
        let mut b = Socket::connect(&app, &token(&w.council_b, Role::Manager)).await;
        b.subscribe("1", ASSESSMENT_CHANGED, json!({ "org": w.council_a }))
            .await;
        assert_eq!(refusal(&mut b).await, "NOT_FOUND");
        b.subscribe("2", ASSESSMENT_CHANGED, json!({})).await;
        assert_eq!(refusal(&mut b).await, "BAD_USER_INPUT");
        let mut b_own = Socket::connect(&app, &token(&w.council_b, Role::Manager)).await;
        b_own
            .subscribe("1", ASSESSMENT_CHANGED, json!({ "org": w.council_b }))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        // The panel challenges and moderates council A's submitted assessment.
        let challenge = assurance::challenge(&app, &lead, &submitted, "2025-01-20").await;
        assurance::moderate_all(
            &app,
            &lead,
            &challenge,
            &fw,
            &[("GOOD_PRACTICE", "ADJUSTED"), ("GOOD_PRACTICE", "AGREED")],
        )
        .await;
        let got = assessments.next_of("moderation.created").await;
        assert_eq!(
            got["data"]["assessmentChanged"]["assessment"]["id"],
            submitted
        );
        let got = heat_map.next_of("moderation.created").await;
        let rows = got["data"]["panelComparisonChanged"]["rows"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(rows.len(), 1, "the changed member's row alone");
        assert_eq!(rows[0]["organisation"]["id"], w.council_a);
        assert!(
            rows[0]["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["moderatedLevel"]["code"] == "GOOD_PRACTICE"),
            "{rows:?}"
        );
        assert_eq!(
            b_own.message(QUIET).await,
            None,
            "council B hears nothing of A"
        );
    }
);

/// Subscription load (`bench/subscriptions`): 1,000 subscribers across two instances on one
/// Postgres, 50 organisations with 20 dashboards each (half on each instance), and a burst of
/// 1,000 changes (20 per organisation, sent 8 at a time to either instance). Each change
/// reaches its organisation's 20 subscribers: 20,000 deliveries, each decided with its
/// subscriber's access. Prints how many arrived, the latency from commit to receipt, and the
/// process's peak memory. Ignored by `cargo test`: run it with `--ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn subscription_burst() {
    use std::sync::{Arc, Mutex};
    const ORGS: usize = 50;
    const PER_ORG: usize = 20;
    const CHANGES_PER_ORG: usize = 20;
    let Some(engine) = postgres_only("the subscription burst").map(Engine::Postgres) else {
        return;
    };
    let sized = |c: &mut resilience_hub::config::Config| {
        c.pool.max_connections = 10;
        c.fair_share.per_second = 0;
        c.fair_share.burst = 0;
    };
    let a_side = TestApp::spawn_with(engine, sized).await;
    let b_side = a_side.spawn_beside(sized).await;
    let w = World::build(&a_side).await;
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        let org = crate::world::create_org(
            &a_side,
            &w.admin,
            &format!("bench-council-{i}"),
            &format!("Bench Borough Council {i}"),
            "COUNCIL",
        )
        .await;
        let people = People::of(&org);
        let review = plan::review(&a_side, &people.manager, "Peer challenge").await;
        let rec = plan::recommendation(&a_side, &people.manager, &review, "R1").await;
        let action = plan::action(
            &a_side,
            &people.manager,
            &rec,
            "Act",
            "2021-01-29",
            "2021-03-01",
        )
        .await;
        orgs.push((org, people, action));
    }
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let mut clients = Vec::new();
    for (i, (_, people, _)) in orgs.iter().enumerate() {
        for j in 0..PER_ORG {
            let side = if j % 2 == 0 { &a_side } else { &b_side };
            let mut socket = Socket::connect(side, &people.viewer).await;
            socket
                .subscribe(
                    "1",
                    "subscription { actionChanged { change { occurredAt } action { id rag } } }",
                    json!({}),
                )
                .await;
            let latencies = latencies.clone();
            clients.push(tokio::spawn(async move {
                let mut got = 0;
                while got < CHANGES_PER_ORG {
                    let Some(message) = socket.next(Duration::from_secs(120)).await else {
                        break;
                    };
                    let at = message["data"]["actionChanged"]["change"]["occurredAt"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                    if let Some(at) = at {
                        let ms = (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                            .num_microseconds()
                            .unwrap_or(0) as f64
                            / 1000.0;
                        latencies.lock().unwrap().push(ms);
                    }
                    got += 1;
                }
                (i, got)
            }));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = std::time::Instant::now();
    let mut jobs = Vec::new();
    for round in 0..CHANGES_PER_ORG {
        for (i, (_, people, action)) in orgs.iter().enumerate() {
            jobs.push((round, i, people.manager.clone(), action.clone()));
        }
    }
    let apps = [&a_side, &b_side];
    let sent = futures_util::stream::iter(jobs)
        .map(|(round, i, manager, action)| {
            let app = apps[(round + i) % 2];
            async move {
                rename(
                    app,
                    &manager,
                    &action,
                    round as i64 + 1,
                    &format!("Act {round}"),
                )
                .await;
            }
        })
        .buffer_unordered(8)
        .count()
        .await;
    let sent_in = started.elapsed();
    let mut received = 0;
    for client in clients {
        received += client.await.unwrap().1;
    }
    let all_in = started.elapsed();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .to_owned();
    eprintln!(
        "subscription burst: {} subscribers on 2 instances, {sent} changes sent in {:.1} s, \
         {received} of {} deliveries received in {:.1} s; latency ms p50 {:.0}, p90 {:.0}, \
         p99 {:.0}, max {:.0}; process {peak}",
        ORGS * PER_ORG,
        sent_in.as_secs_f64(),
        ORGS * PER_ORG * CHANGES_PER_ORG,
        all_in.as_secs_f64(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        l[l.len() - 1],
    );
    assert_eq!(
        received,
        ORGS * PER_ORG * CHANGES_PER_ORG,
        "every delivery arrived"
    );
}

// The legacy `graphql-ws` protocol (subscriptions-transport-ws) is spoken too.
api_test!(the_legacy_graphql_ws_protocol_is_spoken_too, |app| {
    let w = World::build(&app).await;
    let (_, action) = plan_of_a(&app, &w).await;
    let a = People::of(&w.council_a);
    let mut socket = Socket::connect_speaking(&app, "graphql-ws", &a.viewer).await;
    socket
        .send(json!({ "id": "1", "type": "start", "payload": { "query": ACTION_CHANGED } }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    rename(&app, &a.manager, &action, 1, "Heard the old way").await;
    let got = loop {
        let message = socket.message(SOON).await.expect("a message");
        if message["type"] == "ka" {
            continue;
        }
        assert_eq!(message["type"], "data", "{message}");
        if message["payload"]["data"]["actionChanged"]["change"]["eventType"] == "action.updated" {
            break message;
        }
    };
    assert_eq!(
        got["payload"]["data"]["actionChanged"]["action"]["title"],
        "Heard the old way"
    );
});
