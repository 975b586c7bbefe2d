//! `me` and the `User` type.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{User, service};
use crate::auth::Role;
use crate::graphql::ContextExt;
use crate::organisations::Organisation;

/// A person, as their identity provider names them.
#[Object]
impl User {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// The name the identity provider gives, if any.
    async fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The email address the identity provider gives, if any.
    async fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// When the service first saw this user.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// The caller: who they are, which organisation they act for, and in which role.
pub struct Me;

/// The caller: who they are, which organisation they act for, and in which role.
#[Object]
impl Me {
    /// The calling user.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(service::me(ctx.access()?).await?)
    }

    /// The organisation the caller's token acts for.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let access = ctx.access()?;
        Ok(crate::organisations::service::get(access, access.org_id()).await?)
    }

    /// The role the caller's token carries.
    async fn role(&self, ctx: &Context<'_>) -> Result<Role> {
        Ok(ctx.access()?.actor().role)
    }
}

/// Queries about the caller.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller: user, organisation and role.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        ctx.access()?;
        Ok(Me)
    }
}
