//! Checking a token's claims, once its signature is known to be good.
//!
//! The signature library checks only the signature; every claim is checked here, in one
//! place, so that each missing or mistyped claim gets its own message and the rules (issuer,
//! audience, times, lifetime, and the service's own claims) can be read and tested together.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Role, TokenError, VerifiedToken};

/// What a token's claims must satisfy.
#[derive(Clone, Debug)]
pub(crate) struct ClaimRules {
    pub issuer: String,
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Longest lifetime: `exp - iat`, and `exp - now`.
    pub max_ttl: Duration,
}

/// The longest `sub` we store; identity providers keep theirs far shorter.
const MAX_SUBJECT: usize = 255;
/// The longest `org`: an id or a slug is far shorter.
const MAX_ORG: usize = 100;
const MAX_NAME: usize = 200;
const MAX_EMAIL: usize = 320;

/// A claim's value, with `null` read as absent.
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

/// A required string claim.
fn string<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, TokenError> {
    match claim(claims, name) {
        None => Err(TokenError::MissingClaim(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(TokenError::ClaimType(name, "a string")),
    }
}

/// An optional string claim.
fn optional_string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, TokenError> {
    match claim(claims, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::ClaimType(name, "a string")),
    }
}

/// An optional NumericDate claim (RFC 7519 §2: seconds since 1970, possibly fractional).
fn time(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, TokenError> {
    match claim(claims, name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(TokenError::ClaimType(
                name,
                "a number of seconds since 1970",
            )),
        Some(_) => Err(TokenError::ClaimType(
            name,
            "a number of seconds since 1970",
        )),
    }
}

/// A lifetime as people write it: `24 h`, `90 min`, `45 s`.
pub fn spell_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Checks every claim of a token whose signature is good, as of `now` (seconds since 1970).
pub(crate) fn check(
    claims: &Map<String, Value>,
    rules: &ClaimRules,
    now: i64,
) -> Result<VerifiedToken, TokenError> {
    let leeway = i64::try_from(rules.leeway.as_secs()).unwrap_or(i64::MAX);
    let max_ttl = i64::try_from(rules.max_ttl.as_secs()).unwrap_or(i64::MAX);

    if string(claims, "iss")? != rules.issuer {
        return Err(TokenError::Issuer);
    }
    let audience_ok = match claim(claims, "aud") {
        None => return Err(TokenError::MissingClaim("aud")),
        Some(Value::String(aud)) => *aud == rules.audience,
        Some(Value::Array(auds)) if auds.iter().all(Value::is_string) => auds
            .iter()
            .any(|a| a.as_str() == Some(rules.audience.as_str())),
        Some(_) => {
            return Err(TokenError::ClaimType(
                "aud",
                "a string or a list of strings",
            ));
        }
    };
    if !audience_ok {
        return Err(TokenError::Audience);
    }

    let exp = time(claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    let nbf = time(claims, "nbf")?;
    let iat = time(claims, "iat")?;
    if exp < now.saturating_sub(leeway) {
        return Err(TokenError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(TokenError::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(TokenError::IssuedInFuture);
    }
    let lives_too_long = exp.saturating_sub(now) > max_ttl.saturating_add(leeway)
        || iat.is_some_and(|iat| exp.saturating_sub(iat) > max_ttl);
    if lives_too_long {
        return Err(TokenError::TooLong(spell_duration(rules.max_ttl)));
    }

    let sub = string(claims, "sub")?;
    if sub.trim().is_empty() || sub.len() > MAX_SUBJECT {
        return Err(TokenError::InvalidClaim("sub"));
    }
    let org = string(claims, "org")?;
    if org.trim().is_empty() || org.len() > MAX_ORG {
        return Err(TokenError::InvalidClaim("org"));
    }
    let role = Role::from_claim(string(claims, "role")?).ok_or(TokenError::UnknownRole)?;
    // Profile claims are display only: a long name is shortened rather than locking the user
    // out; an impossible email address is dropped.
    let name = optional_string(claims, "name")?
        .map(|n| n.trim().chars().take(MAX_NAME).collect::<String>())
        .filter(|n| !n.is_empty());
    let email = optional_string(claims, "email")?
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty() && e.len() <= MAX_EMAIL);
    Ok(VerifiedToken {
        issuer: rules.issuer.clone(),
        subject: sub.to_owned(),
        org: org.to_owned(),
        role,
        name,
        email,
        expires_at: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: "https://idp.test".into(),
            audience: "hub".into(),
            leeway: Duration::from_secs(30),
            max_ttl: Duration::from_secs(24 * 3600),
        }
    }

    fn good() -> Value {
        json!({
            "iss": "https://idp.test", "aud": "hub", "sub": "alice", "org": "rotherham",
            "role": "manager", "exp": NOW + 3600, "iat": NOW
        })
    }

    fn with(changes: Value) -> Map<String, Value> {
        let mut claims = good().as_object().unwrap().clone();
        for (k, v) in changes.as_object().unwrap() {
            if v == "<absent>" {
                claims.remove(k);
            } else {
                claims.insert(k.clone(), v.clone());
            }
        }
        claims
    }

    fn verdict(changes: Value) -> Result<VerifiedToken, TokenError> {
        check(&with(changes), &rules(), NOW)
    }

    #[test]
    fn good_claims_pass() {
        let token = verdict(json!({})).unwrap();
        assert_eq!(
            (token.subject.as_str(), token.role),
            ("alice", Role::Manager)
        );
        assert!(
            verdict(json!({ "aud": ["other", "hub"], "exp": (NOW + 60) as f64 + 0.5 })).is_ok()
        );
    }

    #[test]
    fn each_missing_claim_is_named() {
        for claim in ["iss", "aud", "exp", "sub", "org", "role"] {
            let err = verdict(json!({ claim: "<absent>" })).unwrap_err();
            assert_eq!(err, TokenError::MissingClaim(claim), "{claim}");
            assert_eq!(
                err.to_string(),
                format!("the token lacks the `{claim}` claim")
            );
            assert_eq!(
                verdict(json!({ claim: null })).unwrap_err(),
                err,
                "{claim} null"
            );
        }
    }

    #[test]
    fn each_mistyped_claim_is_named() {
        for (claim, value) in [
            ("exp", json!("2030-01-01")),
            ("nbf", json!(true)),
            ("iat", json!("yesterday")),
            ("sub", json!(42)),
            ("org", json!(["a"])),
            ("role", json!({ "name": "manager" })),
            ("iss", json!(1)),
            ("aud", json!(7)),
            ("name", json!(3)),
            ("email", json!(false)),
        ] {
            let err = verdict(json!({ claim: value })).unwrap_err();
            assert!(
                matches!(err, TokenError::ClaimType(c, _) if c == claim),
                "{claim}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with(&format!("the token's `{claim}` claim must be"))
            );
        }
    }

    #[test]
    fn times_are_checked_with_the_leeway() {
        assert_eq!(
            verdict(json!({ "exp": NOW - 31 })).unwrap_err(),
            TokenError::Expired
        );
        assert!(verdict(json!({ "exp": NOW - 29 })).is_ok());
        assert_eq!(
            verdict(json!({ "nbf": NOW + 60 })).unwrap_err(),
            TokenError::NotYetValid
        );
        assert!(verdict(json!({ "nbf": NOW + 20 })).is_ok());
        assert_eq!(
            verdict(json!({ "iat": NOW + 60 })).unwrap_err(),
            TokenError::IssuedInFuture
        );
        assert!(verdict(json!({ "iat": NOW + 20 })).is_ok());
    }

    #[test]
    fn lifetimes_past_the_maximum_are_refused() {
        let day = 24 * 3600;
        // Year 9999, with or without `iat`.
        let err = verdict(json!({ "exp": 253_402_300_799i64 })).unwrap_err();
        assert_eq!(err, TokenError::TooLong("24 h".into()));
        assert_eq!(
            verdict(json!({ "exp": 253_402_300_799i64, "iat": "<absent>" })).unwrap_err(),
            err
        );
        // Issued long ago with a lifetime of two days, but with a day left: still too long.
        assert_eq!(
            verdict(json!({ "iat": NOW - day, "exp": NOW + day })).unwrap_err(),
            err
        );
        assert!(verdict(json!({ "iat": NOW - 3600, "exp": NOW + day - 3600 })).is_ok());
        assert!(verdict(json!({ "exp": NOW + day + 10, "iat": "<absent>" })).is_ok());
    }

    #[test]
    fn issuer_audience_and_role_are_checked() {
        assert_eq!(
            verdict(json!({ "iss": "https://evil.test" })).unwrap_err(),
            TokenError::Issuer
        );
        assert_eq!(
            verdict(json!({ "aud": ["a", "b"] })).unwrap_err(),
            TokenError::Audience
        );
        assert_eq!(
            verdict(json!({ "role": "root" })).unwrap_err(),
            TokenError::UnknownRole
        );
        assert_eq!(
            verdict(json!({ "sub": " " })).unwrap_err(),
            TokenError::InvalidClaim("sub")
        );
    }
}
