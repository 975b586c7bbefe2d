//! Who is calling: bearer tokens, their claims, and the roles they carry.
//!
//! A token is verified here without touching the database ([`keys::KeyStore::verify`]); turning
//! its `org` and `sub` claims into an organisation and a user is the job of
//! [`crate::access::resolve_actor`], which runs once per request.

pub use crate::codes::Role;

mod claims;
pub mod identity;
pub mod keys;

use serde::{Deserialize, Serialize};

pub use claims::spell_duration;
pub use keys::{KeyStore, TokenRequest};

impl Role {
    /// The value of the `role` claim.
    pub fn claim(self) -> &'static str {
        self.code()
    }

    /// Reads a `role` claim; `None` for anything else.
    pub fn from_claim(raw: &str) -> Option<Role> {
        Role::from_code(raw)
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::from_claim(s).ok_or_else(|| {
            format!("unknown role `{s}`; expected viewer, contributor, manager or platform_admin")
        })
    }
}

/// The claims of a resilience-hub token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The identity provider.
    pub iss: String,
    /// The user at the identity provider.
    pub sub: String,
    /// The intended audience: one string or a list.
    pub aud: serde_json::Value,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not valid before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The organisation the token acts for: its id or its slug.
    pub org: String,
    /// One of `viewer`, `contributor`, `manager`, `platform_admin`.
    pub role: String,
    /// The user's display name; refreshes the stored profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's email address; refreshes the stored profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A token that passed every check that needs no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    pub issuer: String,
    pub subject: String,
    pub org: String,
    pub role: Role,
    pub name: Option<String>,
    pub email: Option<String>,
    /// When it expires (its `exp`, Unix seconds): a live subscription made with it is closed
    /// then.
    pub expires_at: i64,
}

/// Why a token was refused. The message is safe to show to the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the Authorization header must read `Authorization: Bearer <token>`")]
    MalformedHeader,
    #[error(
        "the Authorization header says `Bearer` twice: send `Authorization: Bearer <token>`, with one `Bearer` before the token"
    )]
    DoubledBearer,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's key id is not known")]
    UnknownKey,
    #[error("the token's signature is not valid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued in the future (`iat`)")]
    IssuedInFuture,
    #[error(
        "the token lives longer than this service accepts ({0}; `exp` − `iat` and `exp` − now)"
    )]
    TooLong(String),
    #[error("the token was not issued by the expected issuer")]
    Issuer,
    #[error("the token is not meant for this service (audience)")]
    Audience,
    #[error("the token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error("the token's `{0}` claim must be {1}")]
    ClaimType(&'static str, &'static str),
    #[error("the token's `{0}` claim is not valid")]
    InvalidClaim(&'static str),
    #[error("the token's role is not one of viewer, contributor, manager, platform_admin")]
    UnknownRole,
    #[error("the token names an organisation that does not exist")]
    UnknownOrganisation,
    #[error(
        "the token's organisation is not an operator of the platform, so it cannot act as platform_admin"
    )]
    NotOperator,
}
