//! Bearer tokens: every way a token can be wrong gives `UNAUTHENTICATED` (401 under
//! `application/graphql-response+json`), and the accepted key types work, with rotation.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use resilience_hub::auth::Role;
use serde_json::json;

use crate::helpers::{Claims, TestApp, api_test, engines, fixture, now, sign_json, token};
use crate::world::World;

const ME: &str = "{ me { role organisation { slug } } }";

/// Sends `{ me }` with `authorization` and asserts a 401 `UNAUTHENTICATED`.
async fn refused(app: &TestApp, authorization: &str, case: &str) {
    let resp = app
        .raw(
            app.post()
                .header("accept", "application/graphql-response+json")
                .header("authorization", authorization)
                .json(&json!({ "query": ME })),
        )
        .await;
    assert_eq!(resp.status, 401, "{case}: {}", resp.text);
    assert_eq!(resp.code(), "UNAUTHENTICATED", "{case}");
    assert!(resp.json().get("data").is_none(), "{case}: no data");
    assert!(
        resp.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer")),
        "{case}"
    );
}

async fn accepted(app: &TestApp, jwt: &str, case: &str) {
    let resp = app.gql(Some(jwt), ME, json!({})).await;
    assert_eq!(resp.status, 200, "{case}: {}", resp.body);
    resp.data();
}

api_test!(invalid_tokens_are_unauthenticated, |app| {
    let w = World::build(&app).await;
    let good = Claims::new(&w.council_a, Role::Viewer);
    accepted(&app, &good.sign(), "a valid token").await;

    let mut c = good.clone();
    c.exp = Some(now() - 3600);
    refused(&app, &format!("Bearer {}", c.sign()), "expired").await;

    let mut c = good.clone();
    c.nbf = Some(now() + 3600);
    refused(&app, &format!("Bearer {}", c.sign()), "not yet valid").await;

    let mut c = good.clone();
    c.nbf = Some(now() + 5);
    accepted(&app, &c.sign(), "nbf within the leeway").await;

    let mut c = good.clone();
    c.exp = None;
    refused(&app, &format!("Bearer {}", c.sign()), "no exp").await;

    let mut c = good.clone();
    c.iss = Some("https://evil.example".into());
    refused(&app, &format!("Bearer {}", c.sign()), "wrong issuer").await;

    let mut c = good.clone();
    c.aud = Some(json!("another-service"));
    refused(&app, &format!("Bearer {}", c.sign()), "wrong audience").await;

    let mut c = good.clone();
    c.aud = None;
    refused(&app, &format!("Bearer {}", c.sign()), "missing audience").await;

    let forged = good.sign_with(
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(b"not-the-secret-not-the-secret-not-the-secret"),
    );
    refused(&app, &format!("Bearer {forged}"), "bad signature").await;

    let mut c = good.clone();
    c.org = "org_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f".into();
    refused(
        &app,
        &format!("Bearer {}", c.sign()),
        "unknown organisation",
    )
    .await;
    c.org = "no-such-slug".into();
    refused(&app, &format!("Bearer {}", c.sign()), "unknown slug").await;

    let mut c = good.clone();
    c.role = "superuser".into();
    refused(&app, &format!("Bearer {}", c.sign()), "unknown role").await;

    refused(&app, "Bearer not.a.jwt", "garbage").await;
    refused(&app, "Bearer ", "empty").await;
    refused(&app, "Basic YWxpY2U6c2VjcmV0", "another scheme").await;
});

api_test!(alg_none_is_refused, |app| {
    let w = World::build(&app).await;
    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let claims = json!({
        "iss": resilience_hub::config::DEV_JWT_ISSUER, "aud": "resilience-hub",
        "sub": "mallory", "org": w.council_a, "role": "manager", "exp": now() + 3600
    });
    for alg in ["none", "None", "NONE"] {
        let jwt = format!(
            "{}.{}.",
            b64(json!({ "alg": alg, "typ": "JWT" })),
            b64(claims.clone())
        );
        refused(&app, &format!("Bearer {jwt}"), alg).await;
    }
});

api_test!(
    a_missing_token_is_unauthenticated_except_for_introspection,
    |app| {
        let resp = app
            .raw(
                app.post()
                    .header("accept", "application/graphql-response+json")
                    .json(&json!({ "query": ME })),
            )
            .await;
        assert_eq!(resp.status, 401);
        assert_eq!(resp.code(), "UNAUTHENTICATED");
        // Under the legacy media type the status stays 200, as the specification asks.
        let resp = app.raw(app.post().json(&json!({ "query": ME }))).await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.code(), "UNAUTHENTICATED");
        // The schema is public (in development): tooling needs no token.
        let resp = app
            .gql(None, "{ __schema { queryType { name } } }", json!({}))
            .await;
        assert_eq!(resp.data()["__schema"]["queryType"]["name"], "Query");
    }
);

/// An app that trusts the fixture JWKS (two RSA keys and an EC key), an Ed25519 PEM, and the
/// development HS256 secret.
async fn app_with_public_keys(engine: crate::helpers::Engine) -> TestApp {
    let keys = format!(
        "{},ed-2026={}",
        fixture("jwks.json").display(),
        fixture("ed-public.pem").display()
    );
    TestApp::spawn_with(engine, |c| c.keys.public_keys = Some(keys)).await
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn header(alg: Algorithm, kid: &str) -> Header {
    let mut h = Header::new(alg);
    h.kid = Some(kid.to_owned());
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_es256_and_eddsa_keys_verify_with_rotation_by_kid() {
    for engine in engines() {
        let app = app_with_public_keys(engine).await;
        let w = World::build(&app).await;
        let claims = Claims::new(&w.council_a, Role::Manager);
        let rsa = EncodingKey::from_rsa_pem(&pem("rsa-private.pem")).unwrap();
        let rsa2 = EncodingKey::from_rsa_pem(&pem("rsa2-private.pem")).unwrap();
        let ec = EncodingKey::from_ec_pem(&pem("ec-private.pem")).unwrap();
        let ed = EncodingKey::from_ed_pem(&pem("ed-private.pem")).unwrap();

        accepted(
            &app,
            &claims.sign_with(header(Algorithm::RS256, "rsa-2026"), &rsa),
            "RS256",
        )
        .await;
        accepted(
            &app,
            &claims.sign_with(header(Algorithm::RS256, "rsa-2027"), &rsa2),
            "rotated RS256",
        )
        .await;
        accepted(
            &app,
            &claims.sign_with(header(Algorithm::ES256, "ec-2026"), &ec),
            "ES256",
        )
        .await;
        accepted(
            &app,
            &claims.sign_with(header(Algorithm::EdDSA, "ed-2026"), &ed),
            "EdDSA",
        )
        .await;
        accepted(&app, &claims.sign(), "HS256 alongside").await;

        // A key signs only under its own kid.
        let wrong_kid = claims.sign_with(header(Algorithm::RS256, "rsa-2027"), &rsa);
        refused(&app, &format!("Bearer {wrong_kid}"), "key of another kid").await;
        let unknown = claims.sign_with(header(Algorithm::RS256, "rsa-2031"), &rsa);
        refused(&app, &format!("Bearer {unknown}"), "unknown kid").await;
        let no_kid = claims.sign_with(Header::new(Algorithm::RS256), &rsa);
        refused(&app, &format!("Bearer {no_kid}"), "RS256 without kid").await;

        // The classic confusion: an HS256 token whose secret is the RSA public key.
        let confused = claims.sign_with(
            header(Algorithm::HS256, "rsa-2026"),
            &EncodingKey::from_secret(&pem("rsa-public.pem")),
        );
        refused(
            &app,
            &format!("Bearer {confused}"),
            "HS256 against an RS256 key",
        )
        .await;
        let confused = claims.sign_with(
            Header::new(Algorithm::HS256),
            &EncodingKey::from_secret(&pem("rsa-public.pem")),
        );
        refused(
            &app,
            &format!("Bearer {confused}"),
            "HS256 signed with the public key",
        )
        .await;

        // An algorithm the key is not pinned to.
        let es_as_rs = claims.sign_with(header(Algorithm::ES256, "rsa-2026"), &ec);
        refused(
            &app,
            &format!("Bearer {es_as_rs}"),
            "ES256 under an RSA kid",
        )
        .await;
    }
}

#[tokio::test]
async fn an_app_with_only_public_keys_refuses_hs256() {
    let keys = fixture("jwks.json").display().to_string();
    let app = TestApp::spawn_with(crate::helpers::Engine::Sqlite, |c| {
        c.keys.secret = None;
        c.keys.public_keys = Some(keys);
    })
    .await;
    let org = app
        .bootstrap_org(
            "solo",
            "Solo Council",
            resilience_hub::organisations::OrgKind::Council,
        )
        .await;
    refused(
        &app,
        &format!("Bearer {}", token(&org, Role::Viewer)),
        "HS256 with no secret",
    )
    .await;
    let rsa = EncodingKey::from_rsa_pem(&pem("rsa-private.pem")).unwrap();
    let jwt = Claims::new(&org, Role::Viewer).sign_with(header(Algorithm::RS256, "rsa-2026"), &rsa);
    accepted(&app, &jwt, "RS256").await;
}

/// Sends `{ me }` with `jwt` and returns the message of its 401 `UNAUTHENTICATED`.
async fn refusal(app: &TestApp, jwt: &str, case: &str) -> String {
    let resp = app
        .raw(
            app.post()
                .header("accept", "application/graphql-response+json")
                .bearer_auth(jwt)
                .json(&json!({ "query": ME })),
        )
        .await;
    assert_eq!(resp.status, 401, "{case}: {}", resp.text);
    assert_eq!(resp.code(), "UNAUTHENTICATED", "{case}");
    resp.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

api_test!(
    token_lifetimes_are_bounded_and_each_bad_claim_is_named,
    |app| {
        let w = World::build(&app).await;
        let good = json!({
            "iss": resilience_hub::config::DEV_JWT_ISSUER, "aud": "resilience-hub",
            "sub": "alice", "org": w.council_a, "role": "viewer",
            "iat": now(), "exp": now() + 3600
        });
        accepted(&app, &sign_json(&good), "a valid token with iat").await;
        let with = |changes: serde_json::Value| {
            let mut claims = good.clone();
            for (k, v) in changes.as_object().unwrap() {
                if v.is_null() {
                    claims.as_object_mut().unwrap().remove(k);
                } else {
                    claims[k] = v.clone();
                }
            }
            sign_json(&claims)
        };
        let day = 24 * 3600;
        for (changes, words, case) in [
            (
                json!({ "exp": 253_402_300_799i64 }),
                "lives longer than this service accepts (24 h",
                "exp in the year 9999",
            ),
            (
                json!({ "iat": now() - 2 * day, "exp": now() + 3600 }),
                "lives longer",
                "issued two days ago, still valid",
            ),
            (
                json!({ "iat": now() + 3600 }),
                "issued in the future",
                "iat in the future",
            ),
            (json!({ "sub": null }), "lacks the `sub` claim", "no sub"),
            (json!({ "org": null }), "lacks the `org` claim", "no org"),
            (json!({ "role": null }), "lacks the `role` claim", "no role"),
            (json!({ "exp": null }), "lacks the `exp` claim", "no exp"),
            (
                json!({ "exp": "tomorrow" }),
                "`exp` claim must be a number of seconds since 1970",
                "a string exp",
            ),
            (
                json!({ "role": 3 }),
                "`role` claim must be a string",
                "a numeric role",
            ),
            (
                json!({ "email": ["a@b"] }),
                "`email` claim must be a string",
                "a list for an email",
            ),
        ] {
            let message = refusal(&app, &with(changes), case).await;
            assert!(message.contains(words), "{case}: {message}");
        }
    }
);

api_test!(
    only_an_operator_organisation_acts_as_platform_admin,
    |app| {
        let w = World::build(&app).await;
        let create = r#"mutation { createOrganisation(input: { slug: "x-org", name: "X", kind: COUNCIL }) { organisation { id } } }"#;
        // A council's token claiming the platform role is refused outright.
        let message = refusal(&app, &token(&w.council_a, Role::PlatformAdmin), "a council").await;
        assert!(message.contains("not an operator"), "{message}");
        let before = app.snapshot().await;
        let resp = app
            .gql(
                Some(&token(&w.council_a, Role::PlatformAdmin)),
                create,
                json!({}),
            )
            .await;
        resp.error("UNAUTHENTICATED");
        assert_eq!(app.snapshot().await, before);

        // The operator's is accepted, until its mark is withdrawn: then at once.
        app.gql(Some(&w.admin), "{ me { role } }", json!({}))
            .await
            .data();
        let operator = resilience_hub::ids::OrgId::parse("id", &w.operator).unwrap();
        resilience_hub::organisations::service::set_operator_unattended(
            app.database().conn(),
            operator,
            false,
        )
        .await
        .unwrap();
        refusal(&app, &w.admin, "a withdrawn operator").await;
        resilience_hub::organisations::service::set_operator_unattended(
            app.database().conn(),
            operator,
            true,
        )
        .await
        .unwrap();
        app.gql(Some(&w.admin), "{ me { role } }", json!({}))
            .await
            .data();
    }
);
