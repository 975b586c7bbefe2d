//! The container set-up, checked without a container engine (none runs where CI does, and no
//! image registry is reachable from there):
//!
//! - the image's build context, as the `Dockerfile` copies it (less `.dockerignore`), holds
//!   every path the workspace needs: `cargo metadata --locked` succeeds on a copy of exactly
//!   those files, and every file the sources embed is there;
//! - the image runs as a user that is not root, with a `HEALTHCHECK`;
//! - `docker-compose.yml` parses, names every variable the README's configuration lists, takes
//!   its secrets from `.env` (every one of them in `.env.example`), and publishes the
//!   development profile on the loopback only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions() -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in read("Dockerfile").lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
        current.clear();
    }
    out
}

/// `.dockerignore`'s patterns: a path is left out when it, or a directory above it, matches.
fn ignored(patterns: &[String], rel: &Path) -> bool {
    let rel = rel.to_string_lossy().replace('\\', "/");
    patterns.iter().any(|p| {
        let p = p.trim_start_matches("**/");
        let matches = |candidate: &str| {
            if let Some(suffix) = p.strip_prefix('*') {
                candidate.ends_with(suffix)
            } else {
                candidate == p
            }
        };
        // The path itself, or any directory it is under (by full path or, for `**/` and
        // bare names, by name).
        let mut prefix = String::new();
        rel.split('/').any(|part| {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            matches(&prefix) || matches(part)
        })
    })
}

/// Copies `from` (a file or a directory) to `to`, leaving out what `.dockerignore` names.
fn copy(from: &Path, to: &Path, patterns: &[String]) {
    let rel = from.strip_prefix(root()).unwrap();
    if ignored(patterns, rel) {
        return;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()), patterns);
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// The build stage's context, copied as its `COPY` instructions copy it, into `dir`.
fn build_context(dir: &Path) {
    let patterns: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut stage = 0;
    for instruction in instructions() {
        if instruction.starts_with("FROM ") {
            stage += 1;
            continue;
        }
        if stage != 1 {
            continue;
        }
        let Some(args) = instruction.strip_prefix("COPY ") else {
            continue;
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        assert!(
            !words.iter().any(|w| w.starts_with("--from")),
            "the build stage copies only from the context"
        );
        let (dest, sources) = words.split_last().unwrap();
        let dest = dir.join(dest.trim_start_matches("./"));
        for source in sources {
            let from = root().join(source);
            assert!(
                from.exists(),
                "the Dockerfile copies {source}, which does not exist"
            );
            let to = if sources.len() > 1 || dest.to_string_lossy().ends_with('/') {
                dest.join(Path::new(source).file_name().unwrap())
            } else {
                dest.clone()
            };
            copy(&from, &to, &patterns);
        }
    }
}

/// The files a source embeds (`include_str!`, `include_bytes!`), relative to the source.
fn embedded(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for mac in ["include_str!(\"", "include_bytes!(\""] {
        for part in source.split(mac).skip(1) {
            out.push(part[..part.find('"').unwrap()].to_owned());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_image_copies_every_path_the_workspace_needs() {
    let dir = tempfile::tempdir().unwrap();
    build_context(dir.path());

    // The step that failed when a workspace member was missing: reading the workspace.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        // Without dependencies: reading the workspace needs every member, and no download.
        .args([
            "metadata",
            "--no-deps",
            "--locked",
            "--offline",
            "--format-version",
            "1",
        ])
        .arg("--manifest-path")
        .arg(dir.path().join("Cargo.toml"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata fails in the image's build context: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = metadata["workspace_members"].as_array().unwrap().len();
    assert_eq!(
        members, 4,
        "the service, the app, migrations and the benchmark driver"
    );

    // Every file a compiled source embeds is in the context too.
    let mut sources = Vec::new();
    rust_files(dir.path(), &mut sources);
    let mut checked = 0;
    for source in &sources {
        let text = std::fs::read_to_string(source).unwrap();
        for file in embedded(&text) {
            let path = source.parent().unwrap().join(&file);
            // Tests are not built in the image.
            let rel = source.strip_prefix(dir.path()).unwrap();
            if rel.starts_with("tests") {
                continue;
            }
            assert!(
                path.exists(),
                "{} embeds {file}, which the image's build context lacks",
                rel.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 6,
        "GraphiQL's assets are embedded ({checked} files)"
    );
    // Nothing the build never needs rides along.
    assert!(!dir.path().join("target").exists());
    assert!(!dir.path().join("tests/js/node_modules").exists());
}

#[test]
fn the_image_runs_the_binary_as_a_user_that_is_not_root_with_a_healthcheck() {
    let all = instructions();
    let build = all
        .iter()
        .find(|i| i.starts_with("RUN cargo build"))
        .expect("a build step");
    assert!(
        build.contains("--locked") && build.contains("--release"),
        "{build}"
    );
    assert!(build.contains("-p resilience-hub-app"), "{build}");
    let runtime: Vec<&String> = all
        .iter()
        .skip_while(|i| !i.starts_with("FROM debian"))
        .collect();
    let user = runtime
        .iter()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("a USER");
    assert!(
        !matches!(user.split(':').next(), Some("root" | "0")),
        "runs as {user}"
    );
    let health = runtime
        .iter()
        .find(|i| i.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK");
    assert!(
        health.contains("resilience-hub") && health.contains("health"),
        "{health}"
    );
    assert!(
        runtime.iter().any(|i| i.contains("APP_ENV=production")),
        "the image runs in production mode"
    );
}

/// The variables of the README's configuration table.
fn readme_variables() -> BTreeSet<String> {
    let readme = read("README.md");
    let start = readme
        .find("## Configuration")
        .expect("a Configuration section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut out = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap();
        for name in cell.split('`').skip(1).step_by(2) {
            out.insert(name.to_owned());
        }
    }
    out
}

#[test]
fn the_compose_file_parses_and_names_every_variable_the_readme_lists() {
    let text = read("docker-compose.yml");
    let mut compose: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).expect("docker-compose.yml parses");
    compose.apply_merge().expect("its merge keys resolve");
    let services = &compose["services"];
    let env_of = |service: &str| -> BTreeSet<String> {
        services[service]["environment"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{service} has an environment map"))
            .keys()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect()
    };
    let variables = readme_variables();
    assert!(variables.len() > 25, "{variables:?}");
    for service in ["app", "app-dev"] {
        let env = env_of(service);
        let missing: Vec<&String> = variables.difference(&env).collect();
        assert!(missing.is_empty(), "{service} does not name {missing:?}");
    }
    assert_eq!(services["app"]["environment"]["APP_ENV"], "production");
    assert_eq!(services["app-dev"]["environment"]["APP_ENV"], "development");
    // The development profile is published on the loopback alone.
    assert_eq!(services["app-dev"]["profiles"][0], "dev");
    for port in services["app-dev"]["ports"].as_sequence().unwrap() {
        let port = port.as_str().unwrap();
        assert!(port.starts_with("127.0.0.1:"), "{port}");
    }
    // The secret comes from .env, required: never the built-in key.
    let secret = services["app"]["environment"]["JWT_SECRET"]
        .as_str()
        .unwrap();
    assert!(secret.starts_with("${JWT_SECRET:?"), "{secret}");

    // Every variable compose requires is in .env.example, for the README's `cp`.
    let example = read(".env.example");
    let defined: BTreeSet<&str> = example
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    for part in text.split("${").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = &part[name.len()..];
        if rest.starts_with(":?") {
            assert!(
                defined.contains(name.as_str()),
                "{name} is not in .env.example"
            );
        }
    }
    // The script that creates the service's role is where compose mounts it from.
    assert!(root().join("deploy/postgres/10-service-role.sh").exists());
}
