//! Batch loading of organisations and their panels, so that a list of organisations costs the
//! same number of queries whatever its length.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::{Organisation, service};
use crate::access::Access;

/// Loads visible organisations by id.
pub struct OrganisationLoader(pub Access);

impl Loader<Uuid> for OrganisationLoader {
    type Value = Organisation;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Organisation>, Self::Error> {
        let orgs = service::by_ids(&self.0, keys).await?;
        Ok(orgs.into_iter().map(|o| (o.id.0, o)).collect())
    }
}

/// Loads the visible panels of organisations, by member id.
pub struct PanelsLoader(pub Access);

impl Loader<Uuid> for PanelsLoader {
    type Value = Vec<Organisation>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Organisation>>, Self::Error> {
        Ok(service::panels_of(&self.0, keys).await?)
    }
}
