//! The five scenarios as goose load tests: which documents they send, as whom, about what,
//! and how a response is judged. A response with `errors` is a failure whatever its status,
//! except a `CONFLICT` in the write mix, which is expected and counted apart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goose::goose::{GooseRequest, GooseResponse};
use goose::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use resilience_hub::auth::{KeyStore, Role, TokenRequest};
use resilience_hub_app::bench_data::Targets;
use serde_json::{Value, json};
use uuid::Uuid;

/// A scenario of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Scenario {
    Dashboard,
    ActionPlan,
    PanelComparison,
    StandardsProgress,
    Writes,
    /// The longest action plan as a paper, in each format.
    PlanPdf,
    PlanDocx,
    PlanXlsx,
    PlanCsv,
    /// The busiest organisation's progress paper (its every review), in each format.
    ProgressPdf,
    ProgressDocx,
    ProgressXlsx,
    ProgressCsv,
}

impl Scenario {
    pub const ALL: [Scenario; 13] = [
        Scenario::Dashboard,
        Scenario::ActionPlan,
        Scenario::PanelComparison,
        Scenario::StandardsProgress,
        Scenario::Writes,
        Scenario::PlanPdf,
        Scenario::PlanDocx,
        Scenario::PlanXlsx,
        Scenario::PlanCsv,
        Scenario::ProgressPdf,
        Scenario::ProgressDocx,
        Scenario::ProgressXlsx,
        Scenario::ProgressCsv,
    ];

    /// A paper's download: the report and the format; `None` for a GraphQL scenario.
    pub fn paper(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Scenario::PlanPdf => ("action-plan", "pdf"),
            Scenario::PlanDocx => ("action-plan", "docx"),
            Scenario::PlanXlsx => ("action-plan", "xlsx"),
            Scenario::PlanCsv => ("action-plan", "csv"),
            Scenario::ProgressPdf => ("progress", "pdf"),
            Scenario::ProgressDocx => ("progress", "docx"),
            Scenario::ProgressXlsx => ("progress", "xlsx"),
            Scenario::ProgressCsv => ("progress", "csv"),
            _ => return None,
        })
    }

    /// The file name of its GraphQL documents and SQL script.
    pub fn file(self) -> &'static str {
        match self {
            Scenario::Dashboard => "dashboard",
            Scenario::ActionPlan => "action_plan",
            Scenario::PanelComparison => "panel_comparison",
            Scenario::StandardsProgress => "standards_progress",
            Scenario::Writes => "writes",
            paper => paper.paper().map_or("paper", |(kind, _)| kind),
        }
    }

    /// How the results table names it.
    pub fn title(self) -> &'static str {
        match self {
            Scenario::Dashboard => "1. organisation dashboard",
            Scenario::ActionPlan => "2. action plan as at a past date",
            Scenario::PanelComparison => "3. panelComparison, 33 members",
            Scenario::StandardsProgress => "4. standardsProgress, 4 cycles",
            Scenario::Writes => "5. write mix",
            Scenario::PlanPdf => "6. the longest action plan, PDF",
            Scenario::PlanDocx => "6. the longest action plan, Word",
            Scenario::PlanXlsx => "6. the longest action plan, Excel",
            Scenario::PlanCsv => "6. the longest action plan, CSV",
            Scenario::ProgressPdf => "7. the busiest organisation's progress, PDF",
            Scenario::ProgressDocx => "7. the busiest organisation's progress, Word",
            Scenario::ProgressXlsx => "7. the busiest organisation's progress, Excel",
            Scenario::ProgressCsv => "7. the busiest organisation's progress, CSV",
        }
    }

    /// The names of the requests whose figures the scenario reports.
    pub fn measured(self) -> &'static [&'static str] {
        match self {
            Scenario::Writes => &["addProgressUpdate", "updateAction"],
            other => std::slice::from_ref(match other {
                Scenario::Dashboard => &"dashboard",
                Scenario::ActionPlan => &"actionPlan",
                Scenario::PanelComparison => &"panelComparison",
                Scenario::StandardsProgress => &"standardsProgress",
                _ => &"paper",
            }),
        }
    }
}

/// The documents, read from `bench/queries`.
#[derive(Clone, Debug)]
pub struct Documents {
    pub dashboard: String,
    pub action_plan: String,
    pub panel_comparison: String,
    pub standards_progress: String,
    pub add_progress_update: String,
    pub update_action: String,
    pub action_version: String,
}

impl Documents {
    pub fn read(dir: &std::path::Path) -> anyhow::Result<Self> {
        let read = |name: &str| -> anyhow::Result<String> {
            let path = dir.join(format!("{name}.graphql"));
            std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
        };
        Ok(Documents {
            dashboard: read("dashboard")?,
            action_plan: read("action_plan")?,
            panel_comparison: read("panel_comparison")?,
            standards_progress: read("standards_progress")?,
            add_progress_update: read("add_progress_update")?,
            update_action: read("update_action")?,
            action_version: read("action_version")?,
        })
    }
}

/// What the write mix acknowledged in the current round (one run at one concurrency): the
/// updates the service said it stored, and how many times each action's version moved on.
#[derive(Debug, Default)]
pub struct Acknowledged {
    pub updates: Mutex<Vec<Uuid>>,
    pub bumps: Mutex<HashMap<Uuid, i64>>,
    pub conflicts: AtomicU64,
    round: AtomicU64,
}

impl Acknowledged {
    /// Forgets the last round's acknowledgements and starts the next round.
    pub fn start_round(&self) {
        self.updates.lock().expect("lock").clear();
        self.bumps.lock().expect("lock").clear();
        self.conflicts.store(0, Ordering::Relaxed);
        self.round.fetch_add(1, Ordering::Relaxed);
    }

    /// What this round's update narratives start with.
    pub fn round_tag(&self, run: &str) -> String {
        format!(
            "Benchmark {run} round {}",
            self.round.load(Ordering::Relaxed)
        )
    }
}

/// One request the scenario may send: a token and the variables, ready to go.
#[derive(Clone, Debug)]
pub struct Call {
    pub token: String,
    pub variables: Value,
}

/// Everything the users of a run share.
pub struct Shared {
    pub scenario: Scenario,
    pub docs: Documents,
    /// The reads' calls; a user picks one at random for each request.
    pub calls: Vec<Call>,
    /// The write mix: per organisation, its actions.
    pub writers: Vec<(String, Vec<(String, Uuid)>)>,
    pub keys: KeyStore,
    pub ack: Acknowledged,
    /// The day write-mix updates are dated.
    pub as_at: String,
    /// Tells this run's updates from others'.
    pub run: String,
}

fn mint(keys: &KeyStore, org: &str, role: Role, sub: String) -> anyhow::Result<String> {
    keys.mint(&TokenRequest {
        org: org.to_owned(),
        role,
        sub,
        ttl: Duration::from_secs(6 * 3600),
        name: None,
        email: None,
    })
}

impl Shared {
    /// The calls of `scenario` over `targets`: one token per organisation read, so the
    /// users behind them are recorded once, before any measurement.
    pub fn new(
        scenario: Scenario,
        docs: Documents,
        targets: &Targets,
        busiest: &str,
        keys: KeyStore,
        run: String,
    ) -> anyhow::Result<Self> {
        let viewer = |org: &str, who: &str| mint(&keys, org, Role::Viewer, format!("bench-{who}"));
        let mut calls = Vec::new();
        match scenario {
            Scenario::Dashboard => {
                for (i, org) in targets.organisations.iter().enumerate() {
                    calls.push(Call {
                        token: viewer(&org.id, &format!("dashboard-{i}"))?,
                        variables: json!({}),
                    });
                }
            }
            Scenario::ActionPlan => {
                for (i, plan) in targets.action_plans.iter().enumerate() {
                    calls.push(Call {
                        token: viewer(&plan.organisation.id, &format!("plan-{i}"))?,
                        variables: json!({
                            "review": plan.review.id,
                            "asOf": targets.as_of.to_string(),
                        }),
                    });
                }
            }
            Scenario::PanelComparison => calls.push(Call {
                token: viewer(&targets.panel.id, "lead")?,
                variables: json!({
                    "panel": targets.panel.id,
                    "framework": targets.framework.id,
                    "cycle": targets.cycles.last(),
                }),
            }),
            Scenario::StandardsProgress => calls.push(Call {
                token: viewer(&targets.partner.id, "partner")?,
                variables: json!({
                    "framework": targets.framework.id,
                    "cycles": targets.cycles,
                }),
            }),
            Scenario::Writes => {}
            paper => {
                let (kind, format) = paper.paper().expect("a paper scenario");
                let (org, path) = if kind == "action-plan" {
                    let plan = targets
                        .action_plans
                        .iter()
                        .max_by_key(|p| p.actions)
                        .ok_or_else(|| anyhow::anyhow!("no action plans"))?;
                    (
                        plan.organisation.id.clone(),
                        format!(
                            "/reports/reviews/{}/action-plan.{format}?asOf={}",
                            plan.review.id, targets.as_of
                        ),
                    )
                } else {
                    (
                        busiest.to_owned(),
                        format!(
                            "/reports/organisations/{busiest}/progress.{format}?asOf={}",
                            targets.as_of
                        ),
                    )
                };
                calls.push(Call {
                    token: viewer(&org, "paper")?,
                    variables: json!({ "path": path }),
                });
            }
        }
        let writers = targets
            .writers
            .iter()
            .map(|w| {
                (
                    w.organisation.id.clone(),
                    w.actions.iter().map(|a| (a.id.clone(), a.uuid)).collect(),
                )
            })
            .collect();
        // Yesterday: never in the future, whatever the time zone, and after every action
        // of the generated data was agreed.
        let as_at = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
        Ok(Shared {
            scenario,
            docs,
            calls,
            writers,
            keys,
            ack: Acknowledged::default(),
            as_at,
            run,
        })
    }

    /// The document of the scenario's read.
    fn read_document(&self) -> &str {
        match self.scenario {
            Scenario::Dashboard => &self.docs.dashboard,
            Scenario::ActionPlan => &self.docs.action_plan,
            Scenario::PanelComparison => &self.docs.panel_comparison,
            Scenario::StandardsProgress => &self.docs.standards_progress,
            _ => &self.docs.action_version,
        }
    }
}

/// A user's own state.
#[derive(Clone)]
struct Session {
    rng: StdRng,
    /// The write mix: the user's token, organisation, and the versions it last saw.
    token: String,
    actions: Vec<(String, Uuid)>,
    versions: HashMap<String, i64>,
    user: usize,
    sent: u64,
}

/// What a response said.
enum Outcome {
    /// Its data: null for a read, whose data is checked and skipped ([`Answer`]).
    Data(Value),
    Conflict,
    Failed,
}

/// Whether the driver keeps a response's data. A write keeps it (its next step reads the
/// version it answered). A read's data is checked to be well-formed JSON and skipped, as
/// pgbench skips the rows it receives: the driver shares the two cores with the service,
/// and building a tree of every value it will not look at took CPU from what it measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Data,
    Nothing,
}

/// A GraphQL response as the driver judges it: its data, and its errors' codes.
#[derive(serde::Deserialize)]
struct Answer<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<Coded>,
}

/// An error of a response: only its code is read.
#[derive(serde::Deserialize)]
struct Coded {
    extensions: Option<Extensions>,
}

#[derive(serde::Deserialize)]
struct Extensions {
    code: Option<String>,
}

impl<D: serde::de::DeserializeOwned> Answer<D> {
    /// `body` judged: `None` when it is not a JSON response; the codes (`?` for an error
    /// without one) beside the data.
    fn judge(body: &[u8]) -> Option<(Option<D>, Vec<String>)> {
        let answer: Self = serde_json::from_slice(body).ok()?;
        let codes = answer
            .errors
            .into_iter()
            .map(|e| {
                e.extensions
                    .and_then(|x| x.code)
                    .unwrap_or_else(|| "?".to_owned())
            })
            .collect();
        Some((answer.data, codes))
    }
}

/// Sends `doc` with `variables` as `token`, named `name` in the metrics, and judges the
/// response: any `errors` fail it, except a `CONFLICT` when `conflict_ok`.
async fn send(
    user: &mut GooseUser,
    name: &str,
    token: &str,
    doc: &str,
    variables: &Value,
    conflict_ok: bool,
    keep: Keep,
) -> Result<Outcome, Box<TransactionError>> {
    let builder = user
        .get_request_builder(&GooseMethod::Post, "/graphql")?
        .bearer_auth(token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": doc, "variables": variables }));
    let request = named(GooseMethod::Post, "/graphql", name, builder);
    let GooseResponse {
        mut request,
        response,
        ..
    } = user.request(request).await?;
    let body = match response {
        Ok(resp) => resp.bytes().await.ok(),
        Err(_) => None,
    };
    let judged = body.as_deref().and_then(|body| match keep {
        Keep::Data => Answer::<Value>::judge(body),
        Keep::Nothing => Answer::<serde::de::IgnoredAny>::judge(body)
            .map(|(data, codes)| (data.map(|_| Value::Null), codes)),
    });
    let Some((data, codes)) = judged else {
        user.set_failure("no JSON body", &mut request, None, None)?;
        return Ok(Outcome::Failed);
    };
    if codes.is_empty() {
        return Ok(Outcome::Data(data.unwrap_or(Value::Null)));
    }
    if conflict_ok && codes.iter().all(|c| c == "CONFLICT") {
        return Ok(Outcome::Conflict);
    }
    let tag = codes.join(",");
    let text = String::from_utf8_lossy(body.as_deref().unwrap_or_default());
    user.set_failure(&tag, &mut request, None, Some(&text))?;
    Ok(Outcome::Failed)
}

/// The scenario as goose runs it.
pub fn scenario(shared: Arc<Shared>) -> anyhow::Result<goose::goose::Scenario> {
    let on_start = {
        let shared = shared.clone();
        let f: TransactionFunction = Arc::new(move |user| {
            let shared = shared.clone();
            Box::pin(async move {
                let index = user.weighted_users_index;
                let mut session = Session {
                    rng: StdRng::seed_from_u64(index as u64 + 1),
                    token: String::new(),
                    actions: Vec::new(),
                    versions: HashMap::new(),
                    user: index,
                    sent: 0,
                };
                if shared.scenario == Scenario::Writes && !shared.writers.is_empty() {
                    // Several users per organisation, each a manager of it: their changes
                    // to the same actions collide.
                    let (org, actions) = &shared.writers[index % shared.writers.len()];
                    session.token = mint(
                        &shared.keys,
                        org,
                        Role::Manager,
                        format!("bench-writer-{index}"),
                    )
                    .expect("the signing key mints tokens");
                    session.actions = actions.clone();
                }
                user.set_session_data(session);
                Ok(())
            })
        });
        Transaction::new(f).set_name("start").set_on_start()
    };
    let step = {
        let f: TransactionFunction = Arc::new(move |user| {
            let shared = shared.clone();
            Box::pin(async move {
                match shared.scenario {
                    Scenario::Writes => write(user, &shared).await,
                    _ => read(user, &shared).await,
                }
            })
        });
        Transaction::new(f).set_name("step")
    };
    Ok(goose::goose::Scenario::new("bench")
        .register_transaction(on_start)
        .register_transaction(step))
}

async fn read(user: &mut GooseUser, shared: &Shared) -> TransactionResult {
    let pick = {
        let session = user.get_session_data_unchecked_mut::<Session>();
        session.rng.random_range(0..shared.calls.len())
    };
    let call = &shared.calls[pick];
    let name = shared.scenario.measured()[0];
    if let Some(path) = call.variables["path"].as_str() {
        return download(user, name, &call.token, path).await;
    }
    send(
        user,
        name,
        &call.token,
        shared.read_document(),
        &call.variables,
        false,
        Keep::Nothing,
    )
    .await?;
    Ok(())
}

/// A request to `path`, named `name` in the metrics, sent as `builder` built it.
fn named<'a>(
    method: GooseMethod,
    path: &'a str,
    name: &'a str,
    builder: reqwest::RequestBuilder,
) -> GooseRequest<'a> {
    GooseRequest::builder()
        .method(method)
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build()
}

/// Downloads a paper, whole: anything but a 200 with a body is a failure.
async fn download(user: &mut GooseUser, name: &str, token: &str, path: &str) -> TransactionResult {
    let builder = user
        .get_request_builder(&GooseMethod::Get, path)?
        .bearer_auth(token);
    let request = named(GooseMethod::Get, path, name, builder);
    let GooseResponse {
        mut request,
        response,
        ..
    } = user.request(request).await?;
    let whole = match response {
        Ok(resp) if resp.status().is_success() => resp.bytes().await.is_ok_and(|b| !b.is_empty()),
        _ => false,
    };
    if !whole {
        user.set_failure("no paper", &mut request, None, None)?;
    }
    Ok(())
}

async fn write(user: &mut GooseUser, shared: &Shared) -> TransactionResult {
    let (token, action, uuid, known, add, n, who) = {
        let session = user.get_session_data_unchecked_mut::<Session>();
        let (action, uuid) =
            session.actions[session.rng.random_range(0..session.actions.len())].clone();
        let known = session.versions.get(&action).copied();
        let add = session.rng.random_bool(0.5);
        session.sent += 1;
        (
            session.token.clone(),
            action,
            uuid,
            known,
            add,
            session.sent,
            session.user,
        )
    };
    let version_of = |data: &Value, field: &str| data[field]["action"]["version"].as_i64();
    if add {
        let percent = (n * 7 % 100) as i64;
        let variables = json!({
            "action": action,
            "asAt": shared.as_at,
            "narrative": format!("{} user {who} update {n}.", shared.ack.round_tag(&shared.run)),
            "percent": percent,
        });
        let doc = &shared.docs.add_progress_update;
        if let Outcome::Data(data) = send(
            user,
            "addProgressUpdate",
            &token,
            doc,
            &variables,
            false,
            Keep::Data,
        )
        .await?
        {
            let id = data["addProgressUpdate"]["update"]["id"]
                .as_str()
                .unwrap_or_default();
            if let Some(uuid_of_update) = api_uuid(id) {
                shared
                    .ack
                    .updates
                    .lock()
                    .expect("lock")
                    .push(uuid_of_update);
            }
            *shared
                .ack
                .bumps
                .lock()
                .expect("lock")
                .entry(uuid)
                .or_default() += 1;
            if let Some(v) = version_of(&data, "addProgressUpdate") {
                user.get_session_data_unchecked_mut::<Session>()
                    .versions
                    .insert(action, v);
            }
        }
        return Ok(());
    }
    let version = match known {
        Some(v) => v,
        None => match current_version(user, shared, &token, &action).await? {
            Some(v) => v,
            None => return Ok(()),
        },
    };
    let owner = [
        "Head of Protection",
        "Emergency Planning Manager",
        "Business Continuity Lead",
    ][(n % 3) as usize];
    let variables = json!({ "action": action, "version": version, "owner": owner });
    let doc = &shared.docs.update_action;
    match send(
        user,
        "updateAction",
        &token,
        doc,
        &variables,
        true,
        Keep::Data,
    )
    .await?
    {
        Outcome::Data(data) => {
            *shared
                .ack
                .bumps
                .lock()
                .expect("lock")
                .entry(uuid)
                .or_default() += 1;
            if let Some(v) = version_of(&data, "updateAction") {
                user.get_session_data_unchecked_mut::<Session>()
                    .versions
                    .insert(action, v);
            }
        }
        Outcome::Conflict => {
            shared.ack.conflicts.fetch_add(1, Ordering::Relaxed);
            // Someone else changed it: read where it stands before the next try.
            if let Some(v) = current_version(user, shared, &token, &action).await? {
                user.get_session_data_unchecked_mut::<Session>()
                    .versions
                    .insert(action, v);
            }
        }
        Outcome::Failed => {}
    }
    Ok(())
}

/// Reads an action's current version (a request of its own in the metrics).
async fn current_version(
    user: &mut GooseUser,
    shared: &Shared,
    token: &str,
    action: &str,
) -> Result<Option<i64>, Box<TransactionError>> {
    let variables = json!({ "action": action });
    let doc = &shared.docs.action_version;
    Ok(
        match send(
            user,
            "actionVersion",
            token,
            doc,
            &variables,
            false,
            Keep::Data,
        )
        .await?
        {
            Outcome::Data(data) => data["action"]["version"].as_i64(),
            _ => None,
        },
    )
}

/// The UUID inside an API id (`upd_0193…`).
pub fn api_uuid(id: &str) -> Option<Uuid> {
    let (_, hex) = id.split_once('_')?;
    Uuid::try_parse(hex).ok()
}
