//! GraphiQL, served by the service itself: the page at `GET /graphql` (for a browser) and its
//! assets under `/graphiql/`, embedded in the binary. No request leaves the browser for another
//! host, so it works behind firewalls without CDN access; the page's Content Security Policy
//! allows nothing but this service.
//!
//! In development over the demo data, the page offers the demo personas: `?persona=lead` (or
//! the drop-down) puts a fresh token for that persona into GraphiQL's header editor.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha384};

use super::AppState;
use crate::auth::TokenRequest;
use crate::auth::spell_duration;

/// A demo user whose token the page can put into GraphiQL's header editor.
#[derive(Clone, Debug)]
pub struct DemoPersona {
    /// What `?persona=` names it by (`lead`).
    pub key: String,
    /// Who they are (`sub-regional lead (Central London)`).
    pub title: String,
    /// The token minted for them at each page load.
    pub token: TokenRequest,
}

/// GraphiQL's settings: the personas it offers (none outside development over demo data).
#[derive(Clone, Debug, Default)]
pub struct Graphiql {
    pub personas: Vec<DemoPersona>,
}

/// A file the page loads.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Everything the page loads, embedded at build time (`assets/graphiql/`).
const ASSETS: &[Asset] = &[
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/vendor/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/vendor/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/vendor/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/vendor/graphiql.min.css"),
    },
    Asset {
        name: "hub.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/hub.js"),
    },
    Asset {
        name: "hub.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/graphiql/hub.css"),
    },
];

/// The page's policy: this service only. GraphiQL's editors set inline styles, so styles may be
/// inline; scripts may not.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The query the editor opens with.
const DEFAULT_QUERY: &str =
    "# Who am I, and what do I see?\n{\n  me {\n    role\n    organisation { name kind }\n  }\n}\n";

/// `GET /graphiql/{file}`: one of the page's assets.
pub(super) async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The Subresource Integrity value of an asset (`sha384-…`), computed once.
fn integrity(name: &str) -> &'static str {
    static VALUES: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let values = VALUES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha384::digest(a.bytes);
                (
                    a.name,
                    format!(
                        "sha384-{}",
                        base64::engine::general_purpose::STANDARD.encode(digest)
                    ),
                )
            })
            .collect()
    });
    values
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct PageParams {
    persona: Option<String>,
}

/// GraphiQL's page, with the chosen persona's token in its header editor.
pub(super) fn page(state: &AppState, uri: &Uri) -> Response {
    let settings = state.graphiql.clone().unwrap_or_default();
    let chosen = serde_urlencoded::from_str::<PageParams>(uri.query().unwrap_or(""))
        .ok()
        .and_then(|p| p.persona)
        .filter(|p| !p.is_empty());
    let mut notice = None;
    let mut headers = None;
    let mut lifetime = String::new();
    if let Some(key) = &chosen {
        match settings.personas.iter().find(|p| &p.key == key) {
            Some(persona) => match state.keys.mint(&persona.token) {
                Ok(token) => {
                    lifetime = spell_duration(persona.token.ttl);
                    headers = Some(
                        serde_json::to_string_pretty(
                            &serde_json::json!({ "Authorization": format!("Bearer {token}") }),
                        )
                        .unwrap_or_default(),
                    );
                }
                Err(err) => {
                    tracing::error!(error = %format!("{err:#}"), "minting a persona's token failed");
                    notice = Some("no token could be minted for this persona".to_owned());
                }
            },
            None if settings.personas.is_empty() => {
                notice =
                    Some("personas are offered only in development over the demo data".to_owned())
            }
            None => notice = Some(format!("there is no persona `{key}`")),
        }
    }
    let config = serde_json::json!({
        "endpoint": "/graphql",
        "defaultQuery": DEFAULT_QUERY,
        "headers": headers,
        "persona": headers.as_ref().and(chosen.as_ref()),
        "tokenLifetime": lifetime,
        "notice": notice,
        "personas": settings
            .personas
            .iter()
            .map(|p| serde_json::json!({ "key": p.key, "title": p.title }))
            .collect::<Vec<_>>(),
    });
    // In a script element, `</script>` would end it: JSON may spell `<` as `\u003c`.
    let config = config.to_string().replace('<', "\\u003c");
    let link = |name: &str| {
        format!(
            r#"<link rel="stylesheet" href="/graphiql/{name}" integrity="{}">"#,
            integrity(name)
        )
    };
    let script = |name: &str| {
        format!(
            r#"<script src="/graphiql/{name}" integrity="{}"></script>"#,
            integrity(name)
        )
    };
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>resilience-hub · GraphiQL</title>
{css_graphiql}
{css_hub}
</head>
<body>
<div id="hub-root"></div>
<script id="hub-config" type="application/json">{config}</script>
{react}
{react_dom}
{graphiql}
{hub}
</body>
</html>
"#,
        css_graphiql = link("graphiql.min.css"),
        css_hub = link("hub.css"),
        react = script("react.production.min.js"),
        react_dom = script("react-dom.production.min.js"),
        graphiql = script("graphiql.min.js"),
        hub = script("hub.js"),
    );
    let mut response = (StatusCode::OK, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    // The page may hold a token: never stored, never sent on as a referrer.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /graphiql/{file}` is routed only while GraphiQL is served.
pub(super) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/graphiql/{name}", axum::routing::get(asset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha256;

    /// The vendored files are the npm registry's, byte for byte (see `assets/graphiql/vendor`).
    #[test]
    fn the_embedded_files_are_the_pinned_ones() {
        let sums = include_str!("../../assets/graphiql/vendor/SHA256SUMS");
        let mut checked = 0;
        for line in sums.lines() {
            let (sum, name) = line.split_once("  ").expect("sha256sum's format");
            let asset = ASSETS
                .iter()
                .find(|a| a.name == name)
                .unwrap_or_else(|| panic!("{name} is listed but not embedded"));
            assert_eq!(hex::encode(Sha256::digest(asset.bytes)), sum, "{name}");
            checked += 1;
        }
        assert_eq!(checked, 4);
    }

    #[test]
    fn every_asset_has_an_integrity_value() {
        for asset in ASSETS {
            assert!(
                integrity(asset.name).starts_with("sha384-"),
                "{}",
                asset.name
            );
        }
    }
}
