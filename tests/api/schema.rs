//! The published contract.

use serde_json::json;

use crate::helpers::{Engine, TestApp};

#[test]
fn schema_graphql_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = resilience_hub::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`, review the diff, and note breaking changes in the README"
    );
}

const TYPES: &str = r#"{
    __schema {
        types {
            name kind description
            fields { name description args { name description } }
            inputFields { name description }
            enumValues { name description }
        }
    }
}"#;

#[tokio::test]
async fn every_type_field_and_argument_is_described() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let resp = app.gql(None, TYPES, json!({})).await;
    let mut missing = Vec::new();
    let described = |v: &serde_json::Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
    for ty in resp.data()["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // Built-in scalars and introspection types are not ours to describe.
        if name.starts_with("__") || ["String", "Int", "Boolean", "ID", "Float"].contains(&name) {
            continue;
        }
        // Relay's connection and edge types are generated, and their meaning is standard;
        // their fields are still checked below.
        let generated = name.ends_with("Connection") || name.ends_with("Edge");
        if !generated && !described(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for (list, label) in [
            ("fields", "field"),
            ("inputFields", "input field"),
            ("enumValues", "value"),
        ] {
            for item in ty[list].as_array().into_iter().flatten() {
                let item_name = item["name"].as_str().unwrap();
                if !described(&item["description"]) {
                    missing.push(format!("{label} {name}.{item_name}"));
                }
                for arg in item["args"].as_array().into_iter().flatten() {
                    if !described(&arg["description"]) {
                        missing.push(format!("argument {name}.{item_name}({})", arg["name"]));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:#?}");
}
