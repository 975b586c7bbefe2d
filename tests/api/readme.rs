//! The README's examples run as written: every ```` ```graphql ```` block, in order, against
//! the demo data, each operation as the persona its block names, and the `curl` example with
//! the token `cargo run` exports. Any error fails the test, so the README cannot drift from
//! the service. Each query is asked fifty times and must answer the same bytes every time.
//!
//! How a block says what it needs:
//!
//! - `# as: lead` (a demo persona's key: `manager`, `contributor`, `lead`, `borough`,
//!   `partner`, `operator`) runs the operations after it as that persona;
//! - every operation has a name (GraphQL Code Generator needs them too);
//! - a string like `"rev_…"` stands for the id of that kind most recently returned by an
//!   earlier example (so the examples build on each other, in order);
//! - a required variable is filled from the demo data by its name (`$org`, `$panel`,
//!   `$framework`, `$standard`, `$review`: see [`variable`]); optional ones are left unset.

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use resilience_hub_app::demo::PERSONAS;
use serde_json::{Value, json};

use crate::helpers::{Claims, TestApp, api_test};

const README: &str = include_str!("../../README.md");

/// How many times each of the README's queries is asked, to show it answers the same bytes.
const REPEATS: usize = 50;

/// One operation of the README, with what it needs to run.
#[derive(Debug)]
struct Example {
    /// The block it is in (its whole document).
    document: String,
    /// Its name.
    name: String,
    /// The persona it runs as.
    persona: String,
    /// The line of the README it starts on, for messages.
    line: usize,
}

/// The README's ```` ```graphql ```` blocks, split into their operations, in order.
fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = README.lines().enumerate();
    while let Some((start, line)) = lines.next() {
        if line.trim() != "```graphql" {
            continue;
        }
        let mut block = Vec::new();
        for (_, line) in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            block.push(line);
        }
        let document = block.join("\n");
        let parsed = async_graphql::parser::parse_query(&document)
            .unwrap_or_else(|e| panic!("README line {}: the block does not parse: {e}", start + 1));
        assert!(
            matches!(parsed.operations, DocumentOperations::Multiple(_)),
            "README line {}: an anonymous operation; name it",
            start + 1
        );
        // Each operation runs alone, from its first line to the next operation's: its
        // placeholders are filled with what the examples before it returned.
        let mut persona: Option<String> = None;
        let mut starts: Vec<(usize, String, String)> = Vec::new();
        for (offset, line) in block.iter().enumerate() {
            let trimmed = line.trim();
            if let Some(who) = trimmed.strip_prefix("# as:") {
                persona = Some(who.trim().to_owned());
                continue;
            }
            let Some(rest) = ["query ", "mutation ", "subscription "]
                .iter()
                .find_map(|kw| trimmed.strip_prefix(kw))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let persona = persona.clone().unwrap_or_else(|| {
                panic!(
                    "README line {}: no `# as: <persona>` before this operation",
                    start + offset + 2
                )
            });
            starts.push((offset, name, persona));
        }
        for (i, (offset, name, persona)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(block.len(), |next| next.0);
            out.push(Example {
                document: block[*offset..end].join("\n"),
                name: name.clone(),
                persona: persona.clone(),
                line: start + offset + 2,
            });
        }
    }
    out
}

/// A token for the demo persona `key`.
fn persona_token(key: &str) -> String {
    let persona = PERSONAS
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no demo persona `{key}`"));
    let mut claims = Claims::new(persona.org, persona.role);
    claims.sub = persona.sub.to_owned();
    claims.sign()
}

/// Runs `query` as `tok`, failing on any error.
async fn run(app: &TestApp, tok: &str, query: &str, name: Option<&str>, variables: Value) -> Value {
    run_raw(app, tok, query, name, variables).await.0
}

/// [`run`], with the body as it came.
async fn run_raw(
    app: &TestApp,
    tok: &str,
    query: &str,
    name: Option<&str>,
    variables: Value,
) -> (Value, String) {
    let mut body = json!({ "query": query, "variables": variables });
    if let Some(name) = name {
        body["operationName"] = json!(name);
    }
    let resp = app
        .raw(
            app.post()
                .bearer_auth(tok)
                .header("accept", "application/graphql-response+json")
                .json(&body),
        )
        .await;
    let value = resp.json();
    assert!(
        value.get("errors").is_none() && resp.status == 200,
        "{} answered {}: {value}",
        name.unwrap_or("the query"),
        resp.status
    );
    (value["data"].clone(), resp.text)
}

/// Whether the operation `name` of `doc` is a query.
fn is_query(doc: &ExecutableDocument, name: &str) -> bool {
    doc.operations
        .iter()
        .any(|(n, op)| n.is_some_and(|n| n == name) && op.node.ty == OperationType::Query)
}

/// The value of a required variable, by its name, as `persona` sees the demo data.
async fn variable(app: &TestApp, persona: &str, name: &str) -> Value {
    let tok = persona_token(persona);
    let me = run(
        app,
        &tok,
        "{ me { organisation { id kind } } }",
        None,
        json!({}),
    )
    .await;
    let own = me["me"]["organisation"].clone();
    match name {
        // The persona's own organisation.
        "org" => own["id"].clone(),
        // The persona's panel; for anyone else, the London-wide panel.
        "panel" if own["kind"] == "REGIONAL_PANEL" => own["id"].clone(),
        "panel" => {
            let panels = run(
                app,
                &tok,
                "{ organisations(kind: REGIONAL_PANEL, first: 100) { nodes { id slug } } }",
                None,
                json!({}),
            )
            .await;
            panels["organisations"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["slug"] == "london-lap")
                .expect("the London-wide panel")["id"]
                .clone()
        }
        // The shared National Resilience Standards, and its first standard.
        "framework" | "standard" => {
            let fw = run(
                app,
                &tok,
                r#"{ frameworks(code: "NRS-LRF") { nodes { id standards { id } } } }"#,
                None,
                json!({}),
            )
            .await;
            let node = &fw["frameworks"]["nodes"][0];
            if name == "framework" {
                node["id"].clone()
            } else {
                node["standards"][0]["id"].clone()
            }
        }
        // The persona's most recent review.
        "review" => {
            let reviews = run(
                app,
                &tok,
                "{ reviews(first: 1) { nodes { id } } }",
                None,
                json!({}),
            )
            .await;
            reviews["reviews"]["nodes"][0]["id"].clone()
        }
        other => panic!(
            "the README uses a required variable `${other}` this test cannot fill: add it to `variable` in tests/api/readme.rs"
        ),
    }
}

/// Remembers every id in `value`, by kind (`rev`, `act`, …); the last one of a kind wins.
fn remember(ids: &mut HashMap<String, String>, value: &Value) {
    match value {
        Value::String(s) => {
            if let Some((kind, hex)) = s.split_once('_')
                && kind.len() == 3
                && kind.bytes().all(|b| b.is_ascii_lowercase())
                && hex.len() == 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
            {
                ids.insert(kind.to_owned(), s.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| remember(ids, v)),
        Value::Object(fields) => fields.values().for_each(|v| remember(ids, v)),
        _ => {}
    }
}

/// `document` with each `"kind_…"` replaced by the id of that kind last seen.
fn fill(document: &str, ids: &HashMap<String, String>, line: usize) -> String {
    let mut out = String::with_capacity(document.len());
    let mut rest = document;
    while let Some(at) = rest.find("_…\"") {
        let kind_start = at.saturating_sub(3);
        let kind = &rest[kind_start..at];
        let id = ids.get(kind).unwrap_or_else(|| {
            panic!("README line {line}: `\"{kind}_…\"`, but no earlier example returned such an id")
        });
        out.push_str(&rest[..kind_start]);
        out.push_str(id);
        out.push('"');
        rest = &rest[at + "_…\"".len()..];
    }
    out.push_str(rest);
    out
}

/// The variables an operation requires (non-null, without a default).
fn required_variables(doc: &ExecutableDocument, name: &str) -> Vec<String> {
    let DocumentOperations::Multiple(ops) = &doc.operations else {
        return Vec::new();
    };
    let op = ops
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, op)| op)
        .unwrap_or_else(|| panic!("no operation {name}"));
    op.node
        .variable_definitions
        .iter()
        .filter(|v| !v.node.var_type.node.nullable && v.node.default_value.is_none())
        .map(|v| v.node.name.node.to_string())
        .collect()
}

api_test!(every_graphql_example_of_the_readme_runs_as_written, |app| {
    app.seed_demo().await;
    let examples = examples();
    assert!(examples.len() > 30, "found {} examples", examples.len());
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut queries = 0;
    for example in &examples {
        let document = fill(&example.document, &ids, example.line);
        let parsed = async_graphql::parser::parse_query(&document).unwrap_or_else(|e| {
            panic!(
                "README line {}: the block does not parse: {e}",
                example.line
            )
        });
        let mut variables = json!({});
        for name in required_variables(&parsed, &example.name) {
            variables[&name] = variable(&app, &example.persona, &name).await;
        }
        let tok = persona_token(&example.persona);
        let (data, body) = run_raw(
            &app,
            &tok,
            &document,
            Some(&example.name),
            variables.clone(),
        )
        .await;
        // A query asked again, with nothing changed between, answers the same bytes.
        if is_query(&parsed, &example.name) {
            for _ in 1..REPEATS {
                let (_, again) = run_raw(
                    &app,
                    &tok,
                    &document,
                    Some(&example.name),
                    variables.clone(),
                )
                .await;
                assert_eq!(
                    again, body,
                    "README line {}: {} answered differently when asked again",
                    example.line, example.name
                );
            }
            queries += 1;
        }
        remember(&mut ids, &data);
    }
    assert!(queries >= 10, "asked {queries} queries again");
});

api_test!(
    the_readmes_curl_example_runs_with_the_exported_token,
    |app| {
        app.seed_demo().await;
        let mut ran = 0;
        for line in README.lines().filter(|l| l.contains("-d '{")) {
            let body = line
                .split_once("-d '")
                .and_then(|(_, rest)| rest.rsplit_once('\''))
                .map(|(body, _)| body)
                .expect("a quoted body");
            let body: Value = serde_json::from_str(body).expect("the body is JSON");
            let text = README.lines().collect::<Vec<_>>().join("\n");
            let at = text.find(line).unwrap();
            let before = &text[..at];
            let variable = before
                .rsplit("$")
                .next()
                .and_then(|v| v.split('"').next())
                .filter(|v| v.ends_with("_TOKEN"))
                .expect("the example names a `$…_TOKEN`");
            let key = variable.trim_end_matches("_TOKEN").to_ascii_lowercase();
            let data = run(
                &app,
                &persona_token(&key),
                body["query"].as_str().unwrap(),
                None,
                json!({}),
            )
            .await;
            assert!(data.is_object());
            ran += 1;
        }
        assert!(ran >= 1, "the README has a curl example");
        // The lead's members, as the README says: its six boroughs.
        let members = run(
            &app,
            &persona_token("lead"),
            "{ me { organisation { members { totalCount } } } }",
            None,
            json!({}),
        )
        .await;
        assert_eq!(members["me"]["organisation"]["members"]["totalCount"], 6);
    }
);
