//! Batch loading of users.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::{User, service};
use crate::access::Access;

/// Loads users by id in one query per batch.
pub struct UserLoader(pub Access);

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, Self::Error> {
        let users = service::by_ids(&self.0, keys).await?;
        Ok(users.into_iter().map(|u| (u.id.0, u)).collect())
    }
}
