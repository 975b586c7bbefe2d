//! The caller a request names: its `Authorization` header, verified once, and its
//! organisation's share charged as early as can be.

use axum::http::{HeaderMap, header};

use super::AppState;
use super::fair::Refusal;
use crate::auth::{TokenError, VerifiedToken};

/// A request's bearer token, verified once, and whether its organisation's rate has been
/// charged for the request yet.
pub(super) struct Bearer {
    pub(super) token: Result<Option<VerifiedToken>, TokenError>,
    pub(super) charged: bool,
    /// What `reportLink` signs its links with, and the address they point to.
    pub(super) issuer: crate::papers::link::Issuer,
}

impl Bearer {
    /// Verifies the `Authorization` header and, when the organisation it names is one this
    /// process knows, charges its rate at once: a flood is refused before its body is read.
    /// A refused token is reported later, in the order the request's other faults are.
    pub(super) async fn read(state: &AppState, headers: &HeaderMap) -> Result<Self, Refusal> {
        let token = bearer_token(state, headers);
        let known = match &token {
            Ok(Some(token)) => state.callers.org(&token.org).map(|(org, _)| org),
            _ => None,
        };
        if let Some(org) = known
            && let Err(refusal) = state.fair.charge(org.0)
        {
            return Err(state.fair.slow_down(org.0, refusal).await);
        }
        Ok(Bearer {
            token,
            charged: known.is_some(),
            issuer: super::reports::issuer(state, headers),
        })
    }
}

/// The caller named by the `Authorization` header, if any.
fn bearer_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<VerifiedToken>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| TokenError::MalformedHeader)?;
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::MalformedHeader)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(TokenError::MalformedHeader);
    }
    let token = token.trim();
    // A client that stores "Bearer …" as the token and prefixes it again.
    if token
        .get(..7)
        .is_some_and(|start| start.eq_ignore_ascii_case("bearer "))
    {
        return Err(TokenError::DoubledBearer);
    }
    state.keys.verify(token).map(Some)
}
