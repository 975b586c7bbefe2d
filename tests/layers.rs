//! The layers of the crate import only downwards (`../shared/DESIGN.md` §4, the map in
//! `src/lib.rs`): every `crate::` path in every source file is checked against the layer of
//! the file that names it.
//!
//! Layers, lowest first: kernel, store, auth, access, audit, the domains in dependency order
//! (organisations and users, standards, reviews, actions, progress, assessments, reports), api, http,
//! app. A domain's (or the audit trail's) `graphql.rs`, `mutations.rs` and `graphql/` are the api
//! layer's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layer of a top-level module of the crate, and for a domain its rank among domains.
fn layer_of_module(module: &str) -> Option<(u32, &'static str)> {
    Some(match module {
        "error" | "faults" | "ids" | "dates" | "validate" | "limits" | "sql" | "rows"
        | "closed_set" | "codes" | "batch" | "concurrency" | "pagination" | "telemetry" => {
            (0, "kernel")
        }
        "entity" | "db" | "epochs" | "cache" => (1, "store"),
        "auth" => (2, "auth"),
        "access" => (3, "access"),
        "audit" => (4, "audit"),
        "history" => (5, "history"),
        "organisations" | "users" => (10, "domain organisations/users"),
        "notifications" => (10, "domain notifications"),
        "standards" => (11, "domain standards"),
        "reviews" => (12, "domain reviews"),
        "actions" => (13, "domain actions"),
        "progress" => (14, "domain progress"),
        "assessments" => (15, "domain assessments"),
        "reports" => (16, "domain reports"),
        "committees" => (17, "domain committees"),
        "papers" => (18, "domain papers"),
        "imports" => (19, "domain imports"),
        "events" => (19, "domain events"),
        "reminders" => (19, "domain reminders"),
        "graphql" | "loaders" => (20, "api"),
        "http" => (30, "http"),
        "app" | "config" | "lib" => (40, "app"),
        _ => return None,
    })
}

/// Whether a module of this rank keeps its API in `graphql.rs` and `mutations.rs`: the
/// domains, and the audit trail.
fn has_api(rank: u32) -> bool {
    rank == 4 || (10..20).contains(&rank)
}

/// The layer of a source file (a path under `src/`).
fn layer_of_file(rel: &Path) -> (u32, &'static str) {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    let in_domain = layer_of_module(&parts[0]).is_some_and(|(rank, _)| has_api(rank));
    // `graphql.rs`, `mutations.rs`, or a file under a domain's `graphql/`.
    let api = parts[1..]
        .iter()
        .any(|p| matches!(p.as_str(), "graphql" | "mutations"));
    if in_domain && api {
        return (20, "api");
    }
    layer_of_module(&parts[0]).unwrap_or_else(|| panic!("no layer for src/{}", rel.display()))
}

/// The layer a `crate::…` path names, taken from its first segment.
fn layer_of_path(path: &str) -> Option<(u32, &'static str)> {
    let mut segments = path.split("::");
    let first = segments.next()?;
    let second = segments.next().unwrap_or("");
    // A domain's API module is the api layer's.
    if layer_of_module(first).is_some_and(|(rank, _)| has_api(rank))
        && matches!(second, "graphql" | "mutations")
    {
        return Some((20, "api"));
    }
    layer_of_module(first)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::a::b` path of a file, comments left out, with `use crate::{a, b}` groups
/// spread into one path each.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let item = item.trim();
                    if !item.is_empty() {
                        out.push(item.split_whitespace().next().unwrap().to_owned());
                    }
                }
                break;
            }
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(after.len());
            out.push(after[..end].trim_end_matches(':').to_owned());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn layers_import_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut upward: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap();
        let (rank, _) = layer_of_file(rel);
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            let Some((target, name)) = layer_of_path(&path) else {
                continue;
            };
            if target > rank {
                *upward.entry((rel.display().to_string(), name)).or_default() += 1;
            }
        }
    }
    let report: Vec<String> = upward
        .iter()
        .map(|((file, layer), n)| format!("src/{file} imports {n} paths upwards from {layer}"))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_check_sees_groups_and_paths() {
    let paths = crate_paths(
        "use crate::access::{Access, Purpose};\nlet x = crate::loaders::group(a); // crate::http\nuse crate::{audit, db::Database};",
    );
    assert_eq!(
        paths,
        vec!["access::", "loaders::group", "audit", "db::Database"]
            .into_iter()
            .map(|p| p.trim_end_matches(':').to_owned())
            .collect::<Vec<_>>()
    );
    assert_eq!(layer_of_path("loaders::group").unwrap().1, "api");
    assert_eq!(layer_of_file(Path::new("reviews/graphql.rs")).1, "api");
    assert_eq!(
        layer_of_file(Path::new("assessments/graphql/figures.rs")).1,
        "api"
    );
    assert_eq!(
        layer_of_file(Path::new("assessments/views/progress.rs")).1,
        "domain assessments"
    );
}
