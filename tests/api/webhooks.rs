//! Changes out, to other systems: webhook endpoints, signed deliveries received by a real HTTP
//! server started here, retries with the same `webhook-id`, `410 Gone`, refused addresses,
//! and deliveries that survive an instance dying before it sent them.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use resilience_hub::auth::Role;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::events::{plan_of_a, rename};
use crate::helpers::{Claims, Engine, TestApp, engines, token};
use crate::plan::{self, People};
use crate::world::World;

/// One request the receiver took.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A webhook receiver on a loopback port: it records what it is sent and answers with the
/// statuses it is told to, in order (then 200).
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let (r, a) = (received.clone(), answers.clone());
        let app = axum::Router::new().route(
            "/in",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (r, a) = (r.clone(), a.clone());
                async move {
                    r.lock().unwrap().push(Received {
                        headers,
                        body: body.to_vec(),
                    });
                    let status = a.lock().unwrap().pop_front().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Receiver {
            addr,
            received,
            answers,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/in", self.addr)
    }

    /// Answers the next requests with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came (or `within` passed); what came.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Checks a delivery's signature as a receiver would, with the Standard Webhooks scheme,
/// written here from the specification: true when any of the header's `v1` signatures is
/// the secret's.
pub fn verify(secret: &str, received: &Received) -> bool {
    let header = |name: &str| received.headers[name].to_str().unwrap().to_owned();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header("webhook-signature")
        .split(' ')
        .any(|sig| sig == expected)
}

pub const CREATE_ENDPOINT: &str = r#"
    mutation($input: CreateWebhookEndpointInput!) {
        createWebhookEndpoint(input: $input) {
            endpoint { id url eventTypes enabled version }
            secret
        }
    }"#;

const DELIVERIES: &str = r#"
    query($endpoint: ID!, $first: Int) {
        webhookDeliveries(endpointId: $endpoint, first: $first) {
            totalCount
            nodes {
                id eventId eventType status attempt responseCode durationMs
                attempts { attempt outcome responseCode durationMs }
            }
        }
    }"#;

const ENDPOINT: &str = r#"
    query($id: ID!) { webhookEndpoint(id: $id) { id enabled disabledReason failingSince version } }"#;

const REDELIVER: &str = r#"
    mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }"#;

const ROTATE: &str = r#"
    mutation($id: ID!, $version: Int!) {
        rotateWebhookSecret(id: $id, version: $version) {
            endpoint { id version previousSecretValidUntil } secret
        }
    }"#;

/// An instance whose webhooks may go to loopback receivers, retrying quickly.
async fn spawn(engine: Engine) -> TestApp {
    TestApp::spawn_with(engine, quick).await
}

fn quick(c: &mut resilience_hub::config::Config) {
    c.events.webhooks.allow_internal = true;
    c.events.webhooks.retries = vec![Duration::from_millis(300); 3];
    c.events.webhooks.sweep = Duration::from_secs(1);
    c.events.webhooks.timeout = Duration::from_secs(2);
}

pub async fn endpoint(app: &TestApp, tok: &str, url: &str, types: Value) -> (String, String) {
    let resp = app
        .gql(
            Some(tok),
            CREATE_ENDPOINT,
            json!({ "input": { "url": url, "eventTypes": types, "description": "Case system" } }),
        )
        .await;
    let created = &resp.data()["createWebhookEndpoint"];
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

fn body(received: &Received) -> Value {
    serde_json::from_slice(&received.body).expect("a JSON body")
}

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_under_one_id_and_seen_by_their_managers_alone() {
    for engine in engines() {
        let app = spawn(engine).await;
        let w = World::build(&app).await;
        let action = plan_of_a(&app, &w).await.1;
        let a = People::of(&w.council_a);
        let receiver = Receiver::start().await;
        let (id, secret) =
            endpoint(&app, &a.manager, &receiver.url(), json!(["action.updated"])).await;
        assert!(secret.starts_with("whsec_"));
        // Council B's endpoint, which must hear nothing of council A.
        let b_receiver = Receiver::start().await;
        let b_manager = token(&w.council_b, Role::Manager);
        endpoint(&app, &b_manager, &b_receiver.url(), json!(["*"])).await;

        // The first attempt fails; the retry succeeds.
        receiver.answer(&[500]);
        rename(
            &app,
            &a.manager,
            &action,
            1,
            "Recruit three protection officers",
        )
        .await;
        let got = receiver.wait_for(2, WAIT).await;
        assert_eq!(got.len(), 2, "a failure and its retry");
        let ids: BTreeSet<String> = got
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "the same webhook-id on the retry: {ids:?}");
        for r in &got {
            assert!(verify(&secret, r), "the signature verifies");
            assert!(!verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r));
            let stamp: i64 = r.headers["webhook-timestamp"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((crate::helpers::now() - stamp).abs() < 300);
            let b = body(r);
            assert_eq!(b["type"], "action.updated");
            assert_eq!(b["data"]["id"], action);
            assert_eq!(b["data"]["changed"], json!(["title"]));
            assert_eq!(b["data"]["organisationId"], w.council_a);
            assert!(b["timestamp"].is_string());
            assert!(
                b["data"].get("title").is_none(),
                "ids and field names, never content"
            );
        }
        // A progress update is not an event type the endpoint asked for.
        app.gql(
            Some(&a.contributor),
            plan::ADD_UPDATE,
            json!({ "input": { "actionId": action, "asAt": "2021-02-01", "narrative": "Advertised" } }),
        )
        .await
        .data();

        // What the managers see: one delivery, two attempts.
        let deliveries = app
            .gql(Some(&a.manager), DELIVERIES, json!({ "endpoint": id }))
            .await;
        let list = &deliveries.data()["webhookDeliveries"];
        assert_eq!(list["totalCount"], 1, "{list}");
        let delivery = &list["nodes"][0];
        assert_eq!(delivery["status"], "DELIVERED");
        assert_eq!(delivery["attempt"], 2);
        assert_eq!(delivery["eventType"], "action.updated");
        assert_eq!(delivery["eventId"], json!(ids.iter().next().unwrap()));
        assert_eq!(delivery["attempts"][0]["responseCode"], 500);
        assert_eq!(delivery["attempts"][0]["outcome"], "FAILED");
        assert_eq!(delivery["attempts"][1]["responseCode"], 200);
        assert!(delivery["durationMs"].is_number());
        let delivery_id = delivery["id"].as_str().unwrap().to_owned();

        // Another organisation's manager, and council A's contributor.
        for (who, tok, code) in [
            ("council B", b_manager.as_str(), "NOT_FOUND"),
            (
                "council A's contributor",
                a.contributor.as_str(),
                "FORBIDDEN",
            ),
        ] {
            let attempts = [
                app.gql(Some(tok), ENDPOINT, json!({ "id": id })).await,
                app.gql(Some(tok), DELIVERIES, json!({ "endpoint": id }))
                    .await,
                app.gql(Some(tok), REDELIVER, json!({ "id": delivery_id }))
                    .await,
                app.gql(Some(tok), ROTATE, json!({ "id": id, "version": 1 }))
                    .await,
                app.gql(
                    Some(tok),
                    "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
                    json!({ "id": id }),
                )
                .await,
            ];
            for resp in attempts {
                assert_eq!(resp.codes(), vec![code.to_owned()], "{who}: {}", resp.body);
            }
        }
        // Council B heard of its own endpoint, and nothing of council A.
        for r in b_receiver.received() {
            assert_eq!(body(&r)["data"]["organisationId"], w.council_b);
        }

        // Redelivered: a third request, the same event id.
        app.gql(Some(&a.manager), REDELIVER, json!({ "id": delivery_id }))
            .await
            .data();
        let got = receiver.wait_for(3, WAIT).await;
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[2].headers["webhook-id"].to_str().unwrap(),
            ids.iter().next().unwrap()
        );

        // A rotated secret signs beside its successor for a while.
        let rotated = app
            .gql(Some(&a.manager), ROTATE, json!({ "id": id, "version": 1 }))
            .await;
        let new_secret = rotated.data()["rotateWebhookSecret"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(new_secret, secret);
        let version = app
            .gql(
                Some(&a.viewer),
                "query($id: ID!) { action(id: $id) { version } }",
                json!({ "id": action }),
            )
            .await
            .data()["action"]["version"]
            .as_i64()
            .unwrap();
        rename(
            &app,
            &a.manager,
            &action,
            version,
            "Recruit four protection officers",
        )
        .await;
        let got = receiver.wait_for(4, WAIT).await;
        assert_eq!(got.len(), 4);
        assert!(verify(&new_secret, &got[3]) && verify(&secret, &got[3]));
        assert_eq!(
            got[3].headers["webhook-signature"]
                .to_str()
                .unwrap()
                .split(' ')
                .count(),
            2
        );
        // Exactly once each, after de-duplication by id.
        let distinct: BTreeSet<String> = got
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(distinct.len(), 2);

        // The receiver has the last delivery before the dispatcher records how it went:
        // wait for the record, so that the page below is the same each time.
        let started = std::time::Instant::now();
        loop {
            let resp = app
                .gql(
                    Some(&a.manager),
                    DELIVERIES,
                    json!({ "endpoint": id, "first": 1 }),
                )
                .await;
            if resp.data()["webhookDeliveries"]["nodes"][0]["attempts"][0]["outcome"].is_string() {
                break;
            }
            assert!(
                started.elapsed() < WAIT,
                "the last delivery's outcome was never recorded"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }

        // A page's attempts are read in one statement, however many deliveries it holds.
        let mut costs = Vec::new();
        for first in [1, 2] {
            let before = app.statements();
            let resp = app
                .gql(
                    Some(&a.manager),
                    DELIVERIES,
                    json!({ "endpoint": id, "first": first }),
                )
                .await;
            let nodes = resp.data()["webhookDeliveries"]["nodes"].clone();
            assert_eq!(nodes.as_array().unwrap().len(), first);
            assert!(nodes[0]["attempts"][0]["outcome"].is_string());
            costs.push(app.statements() - before);
        }
        assert_eq!(costs[0], costs[1], "statements for 1 and 2 deliveries");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_disables_the_endpoint() {
    for engine in engines() {
        let app = spawn(engine).await;
        let w = World::build(&app).await;
        let action = plan_of_a(&app, &w).await.1;
        let a = People::of(&w.council_a);
        let receiver = Receiver::start().await;
        let (id, _) = endpoint(&app, &a.manager, &receiver.url(), json!(["action.updated"])).await;
        receiver.answer(&[410]);
        rename(&app, &a.manager, &action, 1, "Gone").await;
        assert_eq!(receiver.wait_for(1, WAIT).await.len(), 1);
        let endpoint = disabled(&app, &a.manager, &id).await;
        assert_eq!(endpoint["enabled"], false, "{endpoint}");
        assert!(
            endpoint["disabledReason"].as_str().unwrap().contains("410"),
            "{endpoint}"
        );
        let told = notices(&app, &a.manager, true).await;
        assert_eq!(told["nodes"][0]["kind"], "webhook.disabled", "{told}");
        assert!(told["nodes"][0]["body"].as_str().unwrap().contains("410"));
        rename(&app, &a.manager, &action, 2, "Still gone").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.received().len(), 1, "nothing more is sent");
        assert_eq!(newest_status(&app, &a.manager, &id).await, "FAILED");
    }
}

const NOTIFICATIONS: &str = r#"
    query($unread: Boolean) {
        notifications(unreadOnly: $unread) {
            totalCount
            nodes { id kind title body subjectId createdAt readAt }
        }
    }"#;

const MARK_READ: &str = r#"
    mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }"#;

/// The notices `tok` reads: all, or the unread ones.
async fn notices(app: &TestApp, tok: &str, unread: bool) -> Value {
    app.gql(Some(tok), NOTIFICATIONS, json!({ "unread": unread }))
        .await
        .data()["notifications"]
        .clone()
}

/// The status of the endpoint's newest delivery.
async fn newest_status(app: &TestApp, tok: &str, endpoint: &str) -> Value {
    app.gql(Some(tok), DELIVERIES, json!({ "endpoint": endpoint }))
        .await
        .data()["webhookDeliveries"]["nodes"][0]["status"]
        .clone()
}

/// Waits until the endpoint is disabled; the endpoint as then read.
async fn disabled(app: &TestApp, tok: &str, id: &str) -> Value {
    let mut endpoint = Value::Null;
    for _ in 0..100 {
        endpoint = app
            .gql(Some(tok), ENDPOINT, json!({ "id": id }))
            .await
            .data()["webhookEndpoint"]
            .clone();
        if endpoint["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    endpoint
}

/// An endpoint whose every attempt fails for longer than `WEBHOOK_DISABLE_AFTER` (here a
/// second; five days by default) is disabled, and its organisation's managers find a notice
/// of it, which nobody else reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_too_long_is_disabled_and_its_managers_told() {
    for engine in engines() {
        let app = TestApp::spawn_with(engine, |c| {
            quick(c);
            c.events.webhooks.retries = vec![Duration::from_millis(400); 8];
            c.events.webhooks.disable_after = Duration::from_secs(1);
        })
        .await;
        let w = World::build(&app).await;
        let action = plan_of_a(&app, &w).await.1;
        let a = People::of(&w.council_a);
        let receiver = Receiver::start().await;
        let (id, _) = endpoint(&app, &a.manager, &receiver.url(), json!(["action.updated"])).await;
        receiver.answer(&[503; 20]);
        rename(&app, &a.manager, &action, 1, "Nobody is listening").await;

        let endpoint = disabled(&app, &a.manager, &id).await;
        assert_eq!(endpoint["enabled"], false, "{endpoint}");
        let reason = endpoint["disabledReason"].as_str().unwrap();
        assert!(reason.contains("failed since"), "{reason}");
        let attempts = receiver.received().len();
        assert!(attempts >= 2, "failed more than once before: {attempts}");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(receiver.received().len(), attempts, "nothing more is sent");
        // The delivery's own retries stop with it.
        assert_eq!(newest_status(&app, &a.manager, &id).await, "FAILED");

        // The managers are told; each marks it read for themselves.
        let told = notices(&app, &a.manager, true).await;
        assert_eq!(told["totalCount"], 1, "{told}");
        let notice = &told["nodes"][0];
        assert_eq!(notice["kind"], "webhook.disabled");
        assert_eq!(notice["subjectId"], json!(id));
        assert!(notice["readAt"].is_null());
        assert!(notice["title"].as_str().unwrap().contains(&receiver.url()));
        assert!(notice["body"].as_str().unwrap().contains("failed since"));
        let notice_id = notice["id"].as_str().unwrap().to_owned();
        let mut other = Claims::new(&w.council_a, Role::Manager);
        other.sub = "another-manager".to_owned();
        let other_manager = other.sign();

        // Nobody else reads it or marks it: not another organisation's manager, and not a
        // contributor of the same organisation.
        let b_manager = token(&w.council_b, Role::Manager);
        for tok in [&b_manager, &a.contributor, &a.viewer] {
            assert_eq!(notices(&app, tok, false).await["totalCount"], 0);
            let resp = app
                .gql(Some(tok), MARK_READ, json!({ "ids": [notice_id] }))
                .await;
            assert_eq!(resp.codes(), vec!["NOT_FOUND".to_owned()], "{}", resp.body);
            let resp = app
                .gql(
                    Some(tok),
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": notice_id }),
                )
                .await;
            assert_eq!(resp.codes(), vec!["NOT_FOUND".to_owned()], "{}", resp.body);
        }
        assert_eq!(
            app.gql(Some(&a.manager), MARK_READ, json!({ "ids": [notice_id] }))
                .await
                .data()["markNotificationsRead"],
            1
        );
        assert_eq!(
            app.gql(Some(&a.manager), MARK_READ, json!({})).await.data()["markNotificationsRead"],
            0,
            "nothing left to mark"
        );
        assert_eq!(notices(&app, &a.manager, true).await["totalCount"], 0);
        assert!(notices(&app, &a.manager, false).await["nodes"][0]["readAt"].is_string());
        assert_eq!(
            notices(&app, &other_manager, true).await["totalCount"],
            1,
            "read by one manager, still unread for another"
        );
        let bad = app
            .gql(
                Some(&a.manager),
                MARK_READ,
                json!({ "ids": ["whe_nonsense"] }),
            )
            .await;
        assert_eq!(bad.codes(), vec!["BAD_USER_INPUT".to_owned()]);
        let too_many = app
            .gql(
                Some(&other_manager),
                MARK_READ,
                json!({ "ids": vec![notice_id.clone(); 101] }),
            )
            .await;
        assert_eq!(too_many.codes(), vec!["BAD_USER_INPUT".to_owned()]);
        assert_eq!(
            notices(&app, &other_manager, true).await["totalCount"],
            1,
            "a refused call marks nothing"
        );

        // Enabled again, it forgets its failures.
        let version = endpoint["version"].as_i64().unwrap();
        let resp = app
            .gql(
                Some(&a.manager),
                "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { enabled disabledReason failingSince } }",
                json!({ "input": { "id": id, "version": version, "enabled": true } }),
            )
            .await;
        let again = &resp.data()["updateWebhookEndpoint"];
        assert_eq!(again["enabled"], true);
        assert!(again["disabledReason"].is_null() && again["failingSince"].is_null());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_and_unknown_event_types_are_refused() {
    for engine in engines() {
        // The production default: internal addresses refused.
        let app = TestApp::spawn(engine).await;
        let w = World::build(&app).await;
        let manager = token(&w.council_a, Role::Manager);
        let count = "SELECT COUNT(*) FROM webhook_endpoints";
        for (url, types) in [
            ("http://127.0.0.1:9/in", json!(["*"])),
            ("https://127.0.0.1/in", json!(["*"])),
            ("https://169.254.169.254/latest/meta-data", json!(["*"])),
            ("https://10.0.0.8/in", json!(["*"])),
            ("https://[::1]/in", json!(["*"])),
            ("https://localhost/in", json!(["*"])),
            (
                "https://hooks.example.gov.uk/in",
                json!(["action.exploded"]),
            ),
            ("https://hooks.example.gov.uk/in", json!([])),
            ("ftp://hooks.example.gov.uk/in", json!(["*"])),
        ] {
            let resp = app
                .gql(
                    Some(&manager),
                    CREATE_ENDPOINT,
                    json!({ "input": { "url": url, "eventTypes": types } }),
                )
                .await;
            assert_eq!(resp.codes(), vec!["BAD_USER_INPUT".to_owned()], "{url}");
            let field = resp.error("BAD_USER_INPUT")["extensions"]["field"].clone();
            assert!(
                field == "input.url" || field == "input.eventTypes",
                "{url}: {field}"
            );
            assert_eq!(app.scalar(count).await, 0);
        }
        let resp = app
            .gql(
                Some(&manager),
                CREATE_ENDPOINT,
                json!({ "input": { "url": "https://hooks.example.gov.uk/in", "eventTypes": ["action.updated"] } }),
            )
            .await;
        assert_eq!(
            resp.data()["createWebhookEndpoint"]["endpoint"]["url"],
            "https://hooks.example.gov.uk/in"
        );
        // A contributor may not register one.
        let resp = app
            .gql(
                Some(&token(&w.council_a, Role::Contributor)),
                CREATE_ENDPOINT,
                json!({ "input": { "url": "https://hooks.example.gov.uk/in", "eventTypes": ["*"] } }),
            )
            .await;
        assert_eq!(resp.codes(), vec!["FORBIDDEN".to_owned()]);
        assert_eq!(app.scalar(count).await, 1);
    }
}

/// The instance that committed the change dies before delivering it: another, started
/// later, delivers it from the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_survives_the_instance_that_committed_it() {
    for engine in engines() {
        let first = TestApp::spawn_with(engine, |c| {
            quick(c);
            c.events.background = false;
        })
        .await;
        let w = World::build(&first).await;
        let action = plan_of_a(&first, &w).await.1;
        let a = People::of(&w.council_a);
        let receiver = Receiver::start().await;
        let (_, secret) = endpoint(
            &first,
            &a.manager,
            &receiver.url(),
            json!(["action.updated"]),
        )
        .await;
        rename(&first, &a.manager, &action, 1, "Committed, never sent").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(
            receiver.received().is_empty(),
            "the committing instance sends nothing"
        );
        first.kill();
        let later = first.spawn_beside(quick).await;
        let got = receiver.wait_for(1, WAIT).await;
        assert!(!got.is_empty(), "the instance started later delivers it");
        assert!(verify(&secret, &got[0]));
        assert_eq!(body(&got[0])["data"]["id"], action);
        drop(later);
    }
}
