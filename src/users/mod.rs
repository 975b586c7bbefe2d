//! Users: people as their identity provider knows them, and the `me` query.
//!
//! A user is not owned by any organisation: the same person may hold tokens for several. A user
//! row is created the first time a token with a new `iss` + `sub` arrives, and its display name
//! and email follow the token's `name` and `email` claims.

pub mod graphql;
pub mod service;

use chrono::{DateTime, Utc};

use crate::entity::user;
use crate::ids::UserId;

/// A user, as the API shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        User {
            id: UserId(m.id),
            display_name: m.display_name,
            email: m.email,
            created_at: m.created_at,
        }
    }
}
