//! Signing keys: loading them from configuration, verifying tokens, minting tokens.
//!
//! Every key is pinned to one algorithm when it is loaded. A token is checked only against a
//! key whose id (`kid`) and algorithm both match its header, so an HS256 token can never be
//! checked against an RSA public key used as an HMAC secret, and `alg: none` matches nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};

use super::claims::{ClaimRules, spell_duration};
use super::{Claims, Role, TokenError, VerifiedToken};

/// The longest lifetime of a token when `JWT_MAX_TTL` is not set: a working day and a night.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// The shortest HS256 secret we accept: 256 bits, as RFC 7518 asks.
const MIN_SECRET_BYTES: usize = 32;
/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Where the keys come from (see the README's configuration table).
#[derive(Clone, Debug)]
pub struct KeyConfig {
    /// HS256 shared secret.
    pub secret: Option<String>,
    /// Comma-separated public key files: `path` or `kid=path`; each a PEM key or a JWKS.
    pub public_keys: Option<String>,
    /// PEM private key used by `resilience-hub token` when there is no shared secret.
    pub private_key: Option<PathBuf>,
    /// The `kid` written into tokens signed with `private_key`.
    pub private_key_id: Option<String>,
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`.
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Longest lifetime a token may have (`exp - iat` and `exp - now`).
    pub max_ttl: Duration,
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig {
            secret: None,
            public_keys: None,
            private_key: None,
            private_key_id: None,
            issuer: String::new(),
            audience: String::new(),
            leeway: Duration::from_secs(30),
            max_ttl: DEFAULT_MAX_TTL,
        }
    }
}

struct VerifyKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

struct SignKey {
    kid: Option<String>,
    alg: Algorithm,
    key: EncodingKey,
}

/// The keys of one running service, parsed once at start-up.
pub struct KeyStore {
    verify: Vec<VerifyKey>,
    sign: Option<SignKey>,
    rules: ClaimRules,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("KeyStore")
            .field("keys", &self.describe())
            .field("rules", &self.rules)
            .finish()
    }
}

/// What `resilience-hub token` mints.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub org: String,
    pub role: Role,
    pub sub: String,
    pub ttl: Duration,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl KeyStore {
    /// Loads and checks every configured key.
    pub fn from_config(cfg: &KeyConfig) -> anyhow::Result<Self> {
        let mut verify = Vec::new();
        let mut sign = None;
        if let Some(secret) = &cfg.secret {
            if secret.len() < MIN_SECRET_BYTES {
                bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
            }
            verify.push(VerifyKey {
                kid: None,
                alg: Algorithm::HS256,
                key: DecodingKey::from_secret(secret.as_bytes()),
            });
            sign = Some(SignKey {
                kid: None,
                alg: Algorithm::HS256,
                key: EncodingKey::from_secret(secret.as_bytes()),
            });
        }
        if let Some(list) = &cfg.public_keys {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let (kid, path) = match entry.split_once('=') {
                    Some((kid, path)) => (Some(kid.trim().to_owned()), Path::new(path.trim())),
                    None => (None, Path::new(entry)),
                };
                verify.extend(
                    load_public_keys(kid, path)
                        .with_context(|| format!("JWT_PUBLIC_KEYS: {}", path.display()))?,
                );
            }
        }
        if let Some(path) = &cfg.private_key {
            let pem = std::fs::read(path)
                .with_context(|| format!("JWT_PRIVATE_KEY: cannot read {}", path.display()))?;
            let (alg, key) = private_key_from_pem(&pem)
                .with_context(|| format!("JWT_PRIVATE_KEY: {}", path.display()))?;
            sign = Some(SignKey {
                kid: cfg.private_key_id.clone(),
                alg,
                key,
            });
        }
        if verify.is_empty() {
            bail!("no signing key is configured: set JWT_SECRET or JWT_PUBLIC_KEYS");
        }
        for (i, a) in verify.iter().enumerate() {
            if verify[..i].iter().any(|b| b.kid == a.kid && b.alg == a.alg) {
                bail!(
                    "two keys share key id {:?} and algorithm {:?}; give each key its own kid",
                    a.kid,
                    a.alg
                );
            }
        }
        if cfg.issuer.trim().is_empty() || cfg.audience.trim().is_empty() {
            bail!("JWT_ISSUER and JWT_AUDIENCE must both be set");
        }
        if cfg.max_ttl.is_zero() {
            bail!("JWT_MAX_TTL must be longer than zero");
        }
        Ok(KeyStore {
            verify,
            sign,
            rules: ClaimRules {
                issuer: cfg.issuer.clone(),
                audience: cfg.audience.clone(),
                leeway: cfg.leeway,
                max_ttl: cfg.max_ttl,
            },
        })
    }

    /// The longest lifetime a token may have.
    pub fn max_ttl(&self) -> Duration {
        self.rules.max_ttl
    }

    /// One line per key, for the start-up log: key ids and algorithms, no material.
    pub fn describe(&self) -> Vec<String> {
        self.verify
            .iter()
            .map(|k| format!("{:?} (kid {})", k.alg, k.kid.as_deref().unwrap_or("-")))
            .collect()
    }

    /// Checks a bearer token's signature, then every claim (see [`super::claims`]).
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| header_error(token))?;
        if header.crit.is_some() {
            // RFC 7515 §4.1.11: extensions we do not understand make the token invalid.
            return Err(TokenError::Malformed);
        }
        let key = match &header.kid {
            Some(kid) => {
                let key = self
                    .verify
                    .iter()
                    .find(|k| k.kid.as_deref() == Some(kid.as_str()))
                    .ok_or(TokenError::UnknownKey)?;
                if key.alg != header.alg {
                    return Err(TokenError::Algorithm);
                }
                key
            }
            None => self
                .verify
                .iter()
                .find(|k| k.kid.is_none() && k.alg == header.alg)
                .ok_or_else(|| {
                    if self.verify.iter().any(|k| k.kid.is_none()) {
                        TokenError::Algorithm
                    } else {
                        TokenError::UnknownKey
                    }
                })?,
        };

        // The library checks the signature (and that the algorithm is the key's); the claims
        // are all checked in one place of ours, each with its own message.
        let mut validation = Validation::new(key.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &key.key,
            &validation,
        )
        .map_err(|e| match e.into_kind() {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => TokenError::Algorithm,
            _ => TokenError::Malformed,
        })?;
        super::claims::check(&data.claims, &self.rules, chrono::Utc::now().timestamp())
    }

    /// Signs a token with the configured signing key.
    pub fn mint(&self, req: &TokenRequest) -> anyhow::Result<String> {
        let sign = self.sign.as_ref().ok_or_else(|| {
            anyhow!("minting a token needs JWT_SECRET or JWT_PRIVATE_KEY; only public keys are configured")
        })?;
        if req.ttl.as_secs() == 0 {
            bail!("a token must live at least a second: give a --ttl such as 1h");
        }
        if req.ttl > self.rules.max_ttl {
            bail!(
                "--ttl {} is longer than the {} tokens may live here (JWT_MAX_TTL)",
                spell_duration(req.ttl),
                spell_duration(self.rules.max_ttl)
            );
        }
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(req.ttl.as_secs()).context("--ttl is too long")?;
        let claims = Claims {
            iss: self.rules.issuer.clone(),
            sub: req.sub.clone(),
            aud: serde_json::Value::String(self.rules.audience.clone()),
            exp: now.checked_add(ttl).context("--ttl is too long")?,
            nbf: None,
            iat: Some(now),
            org: req.org.clone(),
            role: req.role.claim().to_owned(),
            name: req.name.clone(),
            email: req.email.clone(),
        };
        let mut header = Header::new(sign.alg);
        header.kid = sign.kid.clone();
        Ok(jsonwebtoken::encode(&header, &claims, &sign.key)?)
    }
}

/// A header that does not parse: tell `alg: none` (or another unsupported algorithm) apart from
/// plain garbage, because "algorithm not accepted" is the more useful message.
fn header_error(token: &str) -> TokenError {
    let Some(first) = token.split('.').next() else {
        return TokenError::Malformed;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(first) else {
        return TokenError::Malformed;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.get("alg").is_some() => TokenError::Algorithm,
        _ => TokenError::Malformed,
    }
}

fn load_public_keys(kid: Option<String>, path: &Path) -> anyhow::Result<Vec<VerifyKey>> {
    let bytes = std::fs::read(path).context("cannot read the file")?;
    let text = String::from_utf8(bytes).context("the file is not text")?;
    if text.trim_start().starts_with('{') {
        if kid.is_some() {
            bail!("a JWKS names its own key ids; write the path without `kid=`");
        }
        let value: serde_json::Value = serde_json::from_str(&text).context("invalid JSON")?;
        let jwks: Vec<Jwk> = if value.get("keys").is_some() {
            serde_json::from_value::<JwkSet>(value)
                .context("invalid JWKS")?
                .keys
        } else {
            vec![serde_json::from_value(value).context("invalid JWK")?]
        };
        jwks.iter()
            .filter(|jwk| jwk.common.public_key_use != Some(PublicKeyUse::Encryption))
            .map(verify_key_from_jwk)
            .collect()
    } else {
        let (alg, key) = public_key_from_pem(text.as_bytes())?;
        Ok(vec![VerifyKey { kid, alg, key }])
    }
}

fn verify_key_from_jwk(jwk: &Jwk) -> anyhow::Result<VerifyKey> {
    let kid = jwk.common.key_id.clone();
    let inferred = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => bail!("key {kid:?}: unsupported elliptic curve"),
        },
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        AlgorithmParameters::OctetKey(_) => {
            bail!("key {kid:?}: symmetric keys belong in JWT_SECRET, not in a public key set")
        }
        _ => bail!("key {kid:?}: unsupported key type"),
    };
    let alg = match jwk.common.key_algorithm {
        None => inferred,
        Some(declared) => {
            let declared = match declared {
                KeyAlgorithm::RS256 => Algorithm::RS256,
                KeyAlgorithm::RS384 => Algorithm::RS384,
                KeyAlgorithm::RS512 => Algorithm::RS512,
                KeyAlgorithm::PS256 => Algorithm::PS256,
                KeyAlgorithm::PS384 => Algorithm::PS384,
                KeyAlgorithm::PS512 => Algorithm::PS512,
                KeyAlgorithm::ES256 => Algorithm::ES256,
                KeyAlgorithm::ES384 => Algorithm::ES384,
                KeyAlgorithm::EdDSA => Algorithm::EdDSA,
                other => bail!("key {kid:?}: algorithm {other:?} is not a signature algorithm"),
            };
            if declared.family() != inferred.family() {
                bail!("key {kid:?}: algorithm {declared:?} does not fit the key type");
            }
            declared
        }
    };
    let key = DecodingKey::from_jwk(jwk).with_context(|| format!("key {kid:?}"))?;
    Ok(VerifyKey { kid, alg, key })
}

/// A PEM public key, with the one algorithm we accept for its type.
fn public_key_from_pem(pem: &[u8]) -> anyhow::Result<(Algorithm, DecodingKey)> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok((Algorithm::ES256, key));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok((Algorithm::EdDSA, key));
    }
    bail!("not a PEM RSA, P-256 or Ed25519 public key")
}

fn private_key_from_pem(pem: &[u8]) -> anyhow::Result<(Algorithm, EncodingKey)> {
    if let Ok(key) = EncodingKey::from_rsa_pem(pem) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = EncodingKey::from_ec_pem(pem) {
        return Ok((Algorithm::ES256, key));
    }
    if let Ok(key) = EncodingKey::from_ed_pem(pem) {
        return Ok((Algorithm::EdDSA, key));
    }
    bail!("not a PEM RSA, P-256 or Ed25519 private key")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> KeyStore {
        KeyStore::from_config(&KeyConfig {
            secret: Some("a-test-secret-that-is-long-enough-for-hs256".into()),
            issuer: "https://idp.test".into(),
            audience: "resilience-hub".into(),
            leeway: Duration::from_secs(30),
            max_ttl: DEFAULT_MAX_TTL,
            ..Default::default()
        })
        .unwrap()
    }

    fn request(role: Role) -> TokenRequest {
        TokenRequest {
            org: "rotherham".into(),
            role,
            sub: "alice".into(),
            ttl: Duration::from_secs(60),
            name: Some("Alice".into()),
            email: None,
        }
    }

    #[test]
    fn a_minted_token_verifies() {
        let keys = store();
        let token = keys.mint(&request(Role::Manager)).unwrap();
        let v = keys.verify(&token).unwrap();
        assert_eq!(v.org, "rotherham");
        assert_eq!(v.role, Role::Manager);
        assert_eq!(v.subject, "alice");
        assert_eq!(v.name.as_deref(), Some("Alice"));
    }

    #[test]
    fn a_short_secret_is_refused() {
        let err = KeyStore::from_config(&KeyConfig {
            secret: Some("short".into()),
            issuer: "i".into(),
            audience: "a".into(),
            max_ttl: DEFAULT_MAX_TTL,
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("32 bytes"));
    }

    #[test]
    fn minting_refuses_a_lifetime_of_zero_or_past_the_maximum() {
        let keys = store();
        for (ttl, words) in [(0, "at least a second"), (86_401, "longer than the 24 h")] {
            let mut req = request(Role::Viewer);
            req.ttl = Duration::from_secs(ttl);
            let err = keys.mint(&req).unwrap_err().to_string();
            assert!(err.contains(words), "{err}");
        }
        let mut req = request(Role::Viewer);
        req.ttl = DEFAULT_MAX_TTL;
        assert!(keys.verify(&keys.mint(&req).unwrap()).is_ok());
    }

    #[test]
    fn alg_none_is_refused_as_an_algorithm_problem() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
        assert_eq!(
            store().verify(&format!("{header}.{body}.")),
            Err(TokenError::Algorithm)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(store().verify("not-a-token"), Err(TokenError::Malformed));
        assert_eq!(
            store().verify(&"a".repeat(10_000)),
            Err(TokenError::Malformed)
        );
    }
}
