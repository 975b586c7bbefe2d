//! The project's own isolation suite, driven by introspection: every query field, every
//! mutation, and every ID-typed argument and input field the schema lists is attempted by
//! every role of every other organisation with the victims' ids of each kind, and must answer
//! exactly as it does for a made-up id of the same kind. A different code, message, path or
//! shape is an existence leak. Fields that take no id are attempted too, and must not carry a
//! victim's id. Afterwards nothing of the victims has changed, in any table.
//!
//! An ID slot the suite cannot tie to a kind of object fails it: a new field is attempted, or
//! the suite says why not.

use std::collections::{BTreeMap, BTreeSet};

use resilience_hub::auth::Role;
use serde_json::{Map, Value, json};

use crate::assurance::{self, ATTACH as ATTACH_RATING, challenge, framework, start};
use crate::helpers::{Engine, TestApp, engines, token};
use crate::plan::{self, People, ok};
use crate::world::{World, share};

const RECORD_COMMITTEE: &str = "mutation($input: RecordCommitteeInput!) { recordCommittee(input: $input) { committee { id } } }";

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      kind name
      fields { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
      enumValues { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
"#;

/// A type reference, unwrapped: its named type, and whether it is required or a list.
#[derive(Clone, Debug)]
struct TypeRef {
    name: String,
    required: bool,
    list: bool,
}

impl TypeRef {
    fn of(t: &Value) -> TypeRef {
        let mut t = t;
        let mut required = false;
        let mut list = false;
        loop {
            match t["kind"].as_str().unwrap() {
                "NON_NULL" if !list => required = true,
                "NON_NULL" => {}
                "LIST" => list = true,
                _ => break,
            }
            t = &t["ofType"];
        }
        TypeRef {
            name: t["name"].as_str().unwrap().to_owned(),
            required,
            list,
        }
    }

    /// The type as a variable declares it.
    fn declared(t: &Value) -> String {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => format!("{}!", TypeRef::declared(&t["ofType"])),
            "LIST" => format!("[{}]", TypeRef::declared(&t["ofType"])),
            _ => t["name"].as_str().unwrap().to_owned(),
        }
    }
}

/// The schema, as introspection tells it.
struct Schema {
    types: BTreeMap<String, Value>,
    query: String,
    mutation: String,
}

impl Schema {
    async fn load(app: &TestApp, tok: &str) -> Schema {
        let resp = app.gql(Some(tok), INTROSPECTION, json!({})).await;
        let schema = &resp.data()["__schema"];
        let types = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        Schema {
            types,
            query: schema["queryType"]["name"].as_str().unwrap().to_owned(),
            mutation: schema["mutationType"]["name"].as_str().unwrap().to_owned(),
        }
    }

    fn ty(&self, name: &str) -> &Value {
        &self.types[name]
    }

    fn fields(&self, ty: &str) -> Vec<Value> {
        self.ty(ty)["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A small selection of a field's result: enough to tell present from absent, and to
    /// carry any id or count that would leak.
    fn selection(&self, ty: &TypeRef, depth: usize) -> String {
        let t = self.ty(&ty.name);
        match t["kind"].as_str().unwrap() {
            "OBJECT" | "INTERFACE" | "UNION" => {
                let mut out = String::from("{ __typename");
                for f in t["fields"].as_array().into_iter().flatten() {
                    let name = f["name"].as_str().unwrap();
                    let takes_required = f["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| TypeRef::of(&a["type"]).required);
                    if takes_required {
                        continue;
                    }
                    let fty = TypeRef::of(&f["type"]);
                    match name {
                        "id" | "totalCount" => out.push_str(&format!(" {name}")),
                        "nodes" if depth == 0 => {
                            out.push_str(&format!(" nodes {}", self.selection(&fty, depth + 1)))
                        }
                        _ => {}
                    }
                }
                out.push_str(" }");
                out
            }
            _ => String::new(),
        }
    }
}

/// The kinds of object an id can name, by the prefix of its API form.
const KINDS: [&str; 23] = [
    "org", "usr", "aud", "rev", "rec", "act", "upd", "evd", "ddc", "fwk", "std", "lvl", "asm",
    "rtg", "rve", "chl", "mdr", "cmt", "imp", "whe", "whd", "evt", "ntf",
];

/// The kinds an ID slot names: by its name, and for a bare `id` by the field or input type it
/// belongs to. `None`: the suite does not know, and fails.
fn kinds_of(slot: &str, owner: &str) -> Option<Vec<&'static str>> {
    let one = |k: &'static str| Some(vec![k]);
    match slot {
        "organisationId" | "panelId" | "memberId" | "reviewerOrganisationId" => one("org"),
        "reviewId" => one("rev"),
        "recommendationId" => one("rec"),
        "actionId" => one("act"),
        "frameworkId" | "predecessorId" => one("fwk"),
        "standardId" => one("std"),
        "assessmentId" => one("asm"),
        "challengeId" => one("chl"),
        "ownerUserId" => one("usr"),
        "sinceCommittee" | "betweenCommittees" => one("cmt"),
        "endpointId" => one("whe"),
        "deliveryId" => one("whd"),
        "ids" if owner == "markNotificationsRead" => one("ntf"),
        "entityId" => Some(KINDS.to_vec()),
        "id" => match owner {
            "node" => Some(KINDS.to_vec()),
            "organisation" | "UpdateOrganisationInput" => one("org"),
            "review" | "UpdateReviewInput" => one("rev"),
            "recommendation" | "UpdateRecommendationInput" => one("rec"),
            "action" | "UpdateActionInput" | "ChangeActionDueDateInput" => one("act"),
            "framework" | "publishFramework" | "UpdateFrameworkInput" => one("fwk"),
            "assessment" | "AssessmentStatusInput" | "ReopenAssessmentInput" => one("asm"),
            "Organisation.standard" => one("std"),
            "committee" => one("cmt"),
            "import" => one("imp"),
            "webhookEndpoint"
            | "UpdateWebhookEndpointInput"
            | "rotateWebhookSecret"
            | "deleteWebhookEndpoint" => one("whe"),
            // The kind of object depends on the report's `kind`: every one is tried.
            "reportLink" => Some(vec!["rev", "org", "fwk"]),
            _ => None,
        },
        _ => None,
    }
}

/// Where an ID goes in one attempt: the argument, and the path through its input object.
#[derive(Clone, Debug)]
struct Slot {
    arg: String,
    path: Vec<String>,
    owner: String,
    name: String,
}

/// One field to attempt: how to reach it, its arguments, and its ID slots.
struct Target {
    /// `Query.review`, `Mutation.updateReview`, `Organisation.standard`.
    label: String,
    operation: &'static str,
    /// Wraps the field's call in what reaches it (for object fields, the caller's own
    /// organisation).
    wrap: (&'static str, &'static str),
    field: String,
    args: Vec<Value>,
    result: TypeRef,
    slots: Vec<Slot>,
}

fn is_id(t: &TypeRef) -> bool {
    t.name == "ID"
}

/// The ID slots of an input object, recursively (`path` leads to it).
fn input_slots(schema: &Schema, ty: &str, arg: &str, path: &[String], out: &mut Vec<Slot>) {
    for f in schema.ty(ty)["inputFields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = f["name"].as_str().unwrap().to_owned();
        let t = TypeRef::of(&f["type"]);
        let mut p = path.to_vec();
        p.push(name.clone());
        if is_id(&t) {
            out.push(Slot {
                arg: arg.to_owned(),
                path: p,
                owner: ty.to_owned(),
                name,
            });
        } else if schema.ty(&t.name)["kind"] == "INPUT_OBJECT" {
            input_slots(schema, &t.name, arg, &p, out);
        }
    }
}

fn targets(schema: &Schema) -> Vec<Target> {
    let mut out = Vec::new();
    let roots: [(&str, &'static str, (&'static str, &'static str)); 2] = [
        (schema.query.as_str(), "query", ("", "")),
        (schema.mutation.as_str(), "mutation", ("", "")),
    ];
    for (root, operation, wrap) in roots {
        for f in schema.fields(root) {
            let field = f["name"].as_str().unwrap().to_owned();
            let args = f["args"].as_array().unwrap().clone();
            let mut slots = Vec::new();
            for a in &args {
                let name = a["name"].as_str().unwrap().to_owned();
                let t = TypeRef::of(&a["type"]);
                if is_id(&t) {
                    slots.push(Slot {
                        arg: name.clone(),
                        path: Vec::new(),
                        owner: field.clone(),
                        name,
                    });
                } else if schema.ty(&t.name)["kind"] == "INPUT_OBJECT" {
                    input_slots(schema, &t.name, &name, &[], &mut slots);
                }
            }
            out.push(Target {
                label: format!("{root}.{field}"),
                operation,
                wrap,
                field,
                args,
                result: TypeRef::of(&f["type"]),
                slots,
            });
        }
    }
    // Fields of objects that take an id: reached through the caller's own organisation; any
    // other object's must be added here.
    for (name, ty) in &schema.types {
        if name.starts_with("__") || *name == schema.query || *name == schema.mutation {
            continue;
        }
        // Subscriptions run over WebSocket, and have their own tenant tests (`events.rs`).
        if name == "Subscription" {
            continue;
        }
        if ty["kind"] != "OBJECT" {
            continue;
        }
        for f in ty["fields"].as_array().into_iter().flatten() {
            let args = f["args"].as_array().unwrap().clone();
            let id_args: Vec<String> = args
                .iter()
                .filter(|a| is_id(&TypeRef::of(&a["type"])))
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect();
            if id_args.is_empty() {
                continue;
            }
            let field = f["name"].as_str().unwrap().to_owned();
            let label = format!("{name}.{field}");
            // Each through the caller's own objects of its type.
            let wrap = match name.as_str() {
                "Organisation" => ("me { organisation { ", " } }"),
                "Review" => ("reviews(first: 1) { nodes { ", " } }"),
                "Committee" => ("me { organisation { committees { ", " } } }"),
                _ => panic!(
                    "{label} takes an id, and the isolation suite does not know how to reach it"
                ),
            };
            out.push(Target {
                slots: id_args
                    .iter()
                    .map(|a| Slot {
                        arg: a.clone(),
                        path: Vec::new(),
                        owner: label.clone(),
                        name: a.clone(),
                    })
                    .collect(),
                label,
                operation: "query",
                wrap,
                field,
                args,
                result: TypeRef::of(&f["type"]),
            });
        }
    }
    out
}

/// A made-up id of `kind`: well formed, naming nothing.
fn made_up(kind: &str) -> String {
    format!("{kind}_{}", uuid::Uuid::now_v7().simple())
}

/// An API id of `kind` for a database UUID.
fn api_id(kind: &str, uuid: uuid::Uuid) -> String {
    format!("{kind}_{}", uuid.simple())
}

/// A well-formed id of `kind` that names nothing, the same every time: filler for ids other
/// than the one under test, so that two attempts differ only there.
fn filler(kind: &str) -> String {
    format!("{kind}_0000000000007000800000000000f111")
}

/// A plausible value for a non-ID input of type `t` named `name` (a field of `owner`), so that
/// an attempt gets as far as its ids. Ids are the attacker's own objects where it has one.
fn plausible(
    schema: &Schema,
    t: &TypeRef,
    name: &str,
    owner: &str,
    own: &BTreeMap<&str, String>,
) -> Value {
    let scalar = match t.name.as_str() {
        "ID" => {
            let kind = kinds_of(name, owner)
                .and_then(|k| (k.len() == 1).then_some(k[0]))
                .unwrap_or("org");
            json!(own.get(kind).cloned().unwrap_or_else(|| filler(kind)))
        }
        "Int" => json!(match name {
            "percentComplete" => 50,
            "first" => 5,
            _ => 1,
        }),
        "Float" => json!(1.0),
        "Boolean" => json!(false),
        "Date" => json!(match name {
            "dueOn" | "newDueOn" => "2030-03-31",
            _ => "2024-06-30",
        }),
        "String" => json!(match name {
            "cycle" => "2024-25",
            "code" => "ISO-1",
            "slug" => "isolation-probe",
            "level" => "DEVELOPING",
            "url" | "sourceUrl" => "https://example.org/probe",
            _ => "Probe",
        }),
        other => {
            let ty = schema.ty(other);
            match ty["kind"].as_str().unwrap() {
                "ENUM" => ty["enumValues"][0]["name"].clone(),
                "INPUT_OBJECT" => {
                    let mut obj = Map::new();
                    for f in ty["inputFields"].as_array().unwrap() {
                        let ft = TypeRef::of(&f["type"]);
                        if ft.required {
                            let n = f["name"].as_str().unwrap();
                            obj.insert(n.to_owned(), plausible(schema, &ft, n, other, own));
                        }
                    }
                    Value::Object(obj)
                }
                // A custom scalar this does not know: a string, which it may refuse.
                _ => json!("Probe"),
            }
        }
    };
    if t.list { json!([scalar]) } else { scalar }
}

/// Builds the variables of one attempt: required arguments filled plausibly, and `value` at
/// the slot (or no slot at all).
fn variables(
    schema: &Schema,
    target: &Target,
    slot: Option<(&Slot, &str)>,
    own: &BTreeMap<&str, String>,
) -> (Vec<(String, String)>, Map<String, Value>) {
    let mut declared = Vec::new();
    let mut vars = Map::new();
    for a in &target.args {
        let name = a["name"].as_str().unwrap().to_owned();
        let t = TypeRef::of(&a["type"]);
        let holds_slot = slot.is_some_and(|(s, _)| s.arg == name);
        if !t.required && !holds_slot {
            continue;
        }
        let mut value = plausible(schema, &t, &name, &target.field, own);
        if let Some((s, id)) = slot.filter(|_| holds_slot) {
            let put = |v: &mut Value| {
                let mut at = v;
                for (i, step) in s.path.iter().enumerate() {
                    if at.is_array() {
                        at = &mut at[0];
                    }
                    if i + 1 == s.path.len() {
                        at[step.as_str()] = json!(id);
                        return;
                    }
                    if at.get(step.as_str()).is_none() {
                        at[step.as_str()] = json!({});
                    }
                    at = &mut at[step.as_str()];
                }
                *at = json!(id);
            };
            put(&mut value);
        }
        declared.push((name.clone(), TypeRef::declared(&a["type"])));
        vars.insert(name, value);
    }
    (declared, vars)
}

fn document(schema: &Schema, target: &Target, declared: &[(String, String)]) -> String {
    let params: Vec<String> = declared.iter().map(|(n, t)| format!("${n}: {t}")).collect();
    let args: Vec<String> = declared.iter().map(|(n, _)| format!("{n}: ${n}")).collect();
    let params = if params.is_empty() {
        String::new()
    } else {
        format!("({})", params.join(", "))
    };
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({})", args.join(", "))
    };
    format!(
        "{op}{params} {{ {open}{field}{args} {sel}{close} }}",
        op = target.operation,
        open = target.wrap.0,
        field = target.field,
        sel = schema.selection(&target.result, 0),
        close = target.wrap.1,
    )
}

/// The victims' objects, by kind, the organisation whose rows must not change (panel P's
/// frameworks are checked apart: its own requests may change its other rows), and the objects
/// panel P may read (its member's directory entry and submitted assessment, and its own).
struct Victims {
    ids: BTreeMap<&'static str, Vec<String>>,
    orgs: Vec<String>,
    panel_reads: BTreeSet<String>,
}

/// Council A, with an object of every kind its people make, and its panel P, with a draft
/// framework of its own and a challenge of council A's submitted assessment.
async fn victims(app: &TestApp, w: &World) -> Victims {
    // Council A shares nothing with partners, and no detail with its panel.
    share(app, &w.council_a, false, "NONE").await;
    let a = People::of(&w.council_a);
    let shared = framework(app, &w.admin, "NRS", 2).await;
    let d = assurance::detailed(app, &a.manager, &shared).await;
    plan::update(
        app,
        &a.contributor,
        &d.action,
        "2024-06-30",
        Some("IN_PROGRESS"),
    )
    .await;
    ok(
        app,
        &a.contributor,
        plan::ATTACH,
        json!({ "input": { "actionId": d.action, "title": "Exercise report", "url": "https://example.org/ex.pdf" } }),
        &["attachEvidence"],
    )
    .await;
    let version = plan::version(app, &a.manager, &d.action).await;
    ok(
        app,
        &a.manager,
        plan::CHANGE_DUE,
        json!({ "input": { "id": d.action, "version": version, "newDueOn": "2025-06-30", "reason": "Exercise moved" } }),
        &["changeActionDueDate"],
    )
    .await;
    ok(
        app,
        &a.manager,
        ATTACH_RATING,
        json!({ "input": { "assessmentId": d.draft, "standardId": shared.standards[0], "title": "Draft notes", "reference": "D-1" } }),
        &["attachRatingEvidence"],
    )
    .await;
    let panel = token(&w.panel, Role::Manager);
    let c = challenge(app, &panel, &d.submitted, "2025-01-20").await;
    ok(
        app,
        &panel,
        assurance::MODERATE,
        json!({ "input": { "challengeId": c, "standardId": shared.standards[0], "level": "GOOD_PRACTICE", "outcome": "AGREED" } }),
        &["moderateRating"],
    )
    .await;
    assurance::draft(app, &panel, "PANEL-DRAFT", 2).await;
    ok(
        app,
        &a.manager,
        RECORD_COMMITTEE,
        json!({ "input": { "name": "Audit Committee", "meetsOn": "2024-07-01" } }),
        &["recordCommittee"],
    )
    .await;
    let csv = "Recommendation,Action,Owner,Due date,Status\r\nExercise the plan.,Run an exercise,Head of Resilience,31/03/2025,Not started\r\n";
    let imported = crate::imports::import(
        app,
        &a.manager,
        json!({ "input": { "file": null, "newReview": { "kind": "PEER_REVIEW", "title": "Imported" }, "dryRun": false } }),
        "plan.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(
        imported.data()["importActionPlan"]["committed"],
        json!(true)
    );
    // A webhook endpoint, and a delivery to it (of its own creation's event), made by the
    // background dispatcher; its failure disables the endpoint and leaves the managers a
    // notice.
    ok(
        app,
        &a.manager,
        crate::webhooks::CREATE_ENDPOINT,
        json!({ "input": { "url": "https://hooks.example.gov.uk/in", "eventTypes": ["*"] } }),
        &["createWebhookEndpoint"],
    )
    .await;
    // Up to a minute: under the whole suite's load on two cores the dispatcher has taken
    // longer than twenty seconds to come round.
    for _ in 0..600 {
        let settled = "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'PENDING'";
        if app.scalar(settled).await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let a_id = app.uuid_literal(
        resilience_hub::ids::OrgId::parse("org", &w.council_a)
            .unwrap()
            .0,
    );
    let p_id = app.uuid_literal(
        resilience_hub::ids::OrgId::parse("org", &w.panel)
            .unwrap()
            .0,
    );
    let of = |sql: String| async move { app.uuids(&sql).await };
    let mut ids: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let tables = [
        (
            "usr",
            format!("SELECT user_id FROM org_users WHERE org_id = {a_id}"),
        ),
        (
            "aud",
            format!(
                "SELECT id FROM audit_events WHERE org_id = {a_id} AND entity_type <> 'ORGANISATION' AND entity_type <> 'SHARING_SETTINGS'"
            ),
        ),
        (
            "rev",
            format!("SELECT id FROM reviews WHERE org_id = {a_id}"),
        ),
        (
            "rec",
            format!("SELECT id FROM recommendations WHERE org_id = {a_id}"),
        ),
        (
            "act",
            format!("SELECT id FROM actions WHERE org_id = {a_id}"),
        ),
        (
            "upd",
            format!("SELECT id FROM progress_updates WHERE org_id = {a_id}"),
        ),
        (
            "evd",
            format!("SELECT id FROM evidence WHERE org_id = {a_id}"),
        ),
        (
            "ddc",
            format!("SELECT id FROM due_date_changes WHERE org_id = {a_id}"),
        ),
        (
            "fwk",
            format!("SELECT id FROM frameworks WHERE owner_org_id = {p_id}"),
        ),
        (
            "std",
            format!(
                "SELECT s.id FROM standards s JOIN frameworks f ON f.id = s.framework_id WHERE f.owner_org_id = {p_id}"
            ),
        ),
        (
            "lvl",
            format!(
                "SELECT l.id FROM rating_levels l JOIN frameworks f ON f.id = l.framework_id WHERE f.owner_org_id = {p_id}"
            ),
        ),
        (
            "asm",
            format!("SELECT id FROM assessments WHERE org_id = {a_id}"),
        ),
        (
            "rtg",
            format!("SELECT id FROM ratings WHERE org_id = {a_id}"),
        ),
        (
            "rve",
            format!("SELECT id FROM rating_evidence WHERE org_id = {a_id}"),
        ),
        (
            "chl",
            format!("SELECT id FROM challenges WHERE org_id = {a_id}"),
        ),
        (
            "mdr",
            format!("SELECT id FROM moderations WHERE org_id = {a_id}"),
        ),
        (
            "cmt",
            format!("SELECT id FROM committees WHERE org_id = {a_id}"),
        ),
        (
            "imp",
            format!("SELECT id FROM imports WHERE org_id = {a_id}"),
        ),
        (
            "whe",
            format!("SELECT id FROM webhook_endpoints WHERE org_id = {a_id}"),
        ),
        (
            "whd",
            format!("SELECT id FROM webhook_deliveries WHERE org_id = {a_id}"),
        ),
        (
            "evt",
            format!("SELECT id FROM outbox_events WHERE org_id = {a_id}"),
        ),
        (
            "ntf",
            format!("SELECT id FROM notifications WHERE org_id = {a_id}"),
        ),
    ];
    for (kind, sql) in tables {
        let found: Vec<String> = of(sql.clone())
            .await
            .into_iter()
            .map(|u| api_id(kind, u))
            .collect();
        assert!(!found.is_empty(), "the victims have no {kind}: {sql}");
        ids.insert(kind, found);
    }
    ids.insert("org", vec![w.council_a.clone()]);
    let submitted = app.uuid_literal(
        resilience_hub::ids::AssessmentId::parse("id", &d.submitted)
            .unwrap()
            .0,
    );
    let mut panel_reads: BTreeSet<String> = [w.council_a.clone(), d.submitted.clone()].into();
    let own_kinds = ["fwk", "std", "lvl", "chl", "mdr"];
    for kind in own_kinds {
        panel_reads.extend(ids[kind].iter().cloned());
    }
    panel_reads.extend(
        of(format!(
            "SELECT id FROM ratings WHERE assessment_id = {submitted}"
        ))
        .await
        .into_iter()
        .map(|u| api_id("rtg", u)),
    );
    Victims {
        ids,
        orgs: vec![w.council_a.clone()],
        panel_reads,
    }
}

impl Victims {
    /// Whether `who` may legitimately read `id`: such ids are left out of its attempts.
    fn readable_by(&self, who: &str, id: &str) -> bool {
        // The panel: council A's directory entry, submitted assessment and its ratings, and
        // its own challenge, moderation and framework. Never the draft, the detail (not
        // shared), or council A's people.
        if who.starts_with("panel ") {
            return self.panel_reads.contains(id);
        }
        // The platform administrator reads every directory entry.
        who == "platform admin" && id.starts_with("org_")
    }
}

/// Replaces `id` in a response with a placeholder, so that answers for two ids compare; and
/// the request id of an error, which is each request's own.
fn neutral(body: &Value, id: &str) -> String {
    let mut body = body.clone();
    for e in body["errors"].as_array_mut().into_iter().flatten() {
        if let Some(ext) = e["extensions"].as_object_mut() {
            ext.remove("requestId");
        }
    }
    body.to_string().replace(id, "<ID>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_answers_for_anothers_id_as_for_a_made_up_one() {
    for engine in engines() {
        // Built with the service's own scoping off, only Postgres's row-level security keeps
        // tenants apart: SQLite has none, and is not tried.
        if cfg!(feature = "rls-only") && matches!(engine, Engine::Sqlite) {
            continue;
        }
        // Thousands of requests from a few organisations: no rate to be refused for.
        // The victims' webhook delivery is tried once, and not retried: what the background
        // changes must be settled before the snapshot.
        let app = TestApp::spawn_with(engine, |c| {
            c.fair_share.per_second = 0;
            c.fair_share.burst = 0;
            c.events.webhooks.retries = Vec::new();
            // ... and its failure disables the endpoint at once, which writes the victims'
            // managers a notice.
            c.events.webhooks.disable_after = std::time::Duration::ZERO;
        })
        .await;
        let w = World::build(&app).await;
        let victims = victims(&app, &w).await;
        let victim_orgs: Vec<&str> = victims.orgs.iter().map(String::as_str).collect();
        let before = (
            app.snapshot_of(&victim_orgs).await,
            app.frameworks_of(&w.panel).await,
        );
        let schema = Schema::load(&app, &token(&w.council_b, Role::Viewer)).await;
        let targets = targets(&schema);

        // Every ID slot is tied to the kinds it names.
        let mut unknown = Vec::new();
        for t in &targets {
            for s in &t.slots {
                if kinds_of(&s.name, &s.owner).is_none() {
                    unknown.push(format!("{} {}.{}", t.label, s.arg, s.path.join(".")));
                }
            }
        }
        assert!(
            unknown.is_empty(),
            "ID slots the isolation suite does not attempt: {unknown:?}"
        );

        let mut attackers: Vec<(String, String, BTreeMap<&str, String>)> = Vec::new();
        // The shared framework and its first standard: something every attacker may name.
        let shared = app
            .gql(
                Some(&token(&w.council_b, Role::Viewer)),
                "{ frameworks(code: \"NRS\") { nodes { id standards { id } } } }",
                json!({}),
            )
            .await;
        let shared_fw = shared.data()["frameworks"]["nodes"][0].clone();
        for (name, org) in [
            ("council_b", &w.council_b),
            ("fire", &w.fire),
            ("panel", &w.panel),
            ("other_panel", &w.other_panel),
            ("partner", &w.partner),
        ] {
            for role in [Role::Viewer, Role::Contributor, Role::Manager] {
                let mut own = BTreeMap::new();
                own.insert("org", org.clone());
                own.insert("fwk", shared_fw["id"].as_str().unwrap().to_owned());
                own.insert(
                    "std",
                    shared_fw["standards"][0]["id"].as_str().unwrap().to_owned(),
                );
                attackers.push((format!("{name} {role:?}"), token(org, role), own));
            }
        }
        attackers.push((
            "platform admin".to_owned(),
            w.admin.clone(),
            BTreeMap::from([("org", w.operator.clone())]),
        ));
        // Council B's manager names its own objects where a field needs a second id, so
        // that attempts get as far as the id under test.
        let b = People::of(&w.council_b);
        let b_review = plan::review(&app, &b.manager, "Own review").await;
        let b_rec = plan::recommendation(&app, &b.manager, &b_review, "B1").await;
        let b_action = plan::action(
            &app,
            &b.manager,
            &b_rec,
            "Own action",
            "2024-04-01",
            "2025-03-31",
        )
        .await;
        let shared_framework = assurance::Framework {
            id: shared_fw["id"].as_str().unwrap().to_owned(),
            standards: shared_fw["standards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect(),
        };
        let b_assessment = start(&app, &b.manager, &shared_framework, "2025-26").await;
        // And a committee of its own, through which `Committee` fields are reached.
        ok(
            &app,
            &b.manager,
            RECORD_COMMITTEE,
            json!({ "input": { "name": "Scrutiny Committee", "meetsOn": "2024-07-02" } }),
            &["recordCommittee"],
        )
        .await;
        for (label, _, own) in attackers.iter_mut() {
            if label.starts_with("council_b") {
                own.insert("rev", b_review.clone());
                own.insert("rec", b_rec.clone());
                own.insert("act", b_action.clone());
                own.insert("asm", b_assessment.clone());
            }
        }

        let all_victim_ids: Vec<&String> = victims.ids.values().flatten().collect();
        let mut leaks = Vec::new();
        let mut attempts = 0usize;
        let mut attempted_fields = BTreeSet::new();
        for (who, tok, own) in &attackers {
            for target in &targets {
                // Once with no id: nothing of the victims may come back.
                let (declared, vars) = variables(&schema, target, None, own);
                let doc = document(&schema, target, &declared);
                let resp = app.gql(Some(tok), &doc, Value::Object(vars)).await;
                attempts += 1;
                attempted_fields.insert(target.label.clone());
                let text = resp.body.to_string();
                for victim in &all_victim_ids {
                    if !victims.readable_by(who, victim) && text.contains(victim.as_str()) {
                        leaks.push(format!("{who}: {} carries {victim}", target.label));
                    }
                }
                for slot in &target.slots {
                    for kind in kinds_of(&slot.name, &slot.owner).unwrap() {
                        let fake = made_up(kind);
                        let (declared, vars) = variables(&schema, target, Some((slot, &fake)), own);
                        let doc = document(&schema, target, &declared);
                        let expected = app.gql(Some(tok), &doc, Value::Object(vars)).await;
                        attempts += 1;
                        let expected = neutral(&expected.body, &fake);
                        for real in &victims.ids[kind] {
                            if victims.readable_by(who, real) {
                                continue;
                            }
                            let (_, vars) = variables(&schema, target, Some((slot, real)), own);
                            let got = app.gql(Some(tok), &doc, Value::Object(vars)).await;
                            attempts += 1;
                            let got = neutral(&got.body, real);
                            if got != expected {
                                leaks.push(format!(
                                    "{who}: {} {}{} with {real}: {got} where a made-up id gives {expected}",
                                    target.label,
                                    slot.arg,
                                    if slot.path.is_empty() {
                                        String::new()
                                    } else {
                                        format!(".{}", slot.path.join("."))
                                    },
                                ));
                            }
                        }
                    }
                }
            }
        }
        eprintln!(
            "isolation: {attempts} attempts on {} fields by {} callers",
            attempted_fields.len(),
            attackers.len()
        );
        assert!(
            leaks.is_empty(),
            "{} leaks:\n{}",
            leaks.len(),
            leaks.join("\n")
        );
        assert_eq!(
            attempted_fields.len(),
            targets.len(),
            "every field is attempted"
        );
        assert_eq!(
            (
                app.snapshot_of(&victim_orgs).await,
                app.frameworks_of(&w.panel).await
            ),
            before,
            "nothing of the victims changed"
        );
    }
}
