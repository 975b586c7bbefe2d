//! Per-request DataLoaders. They are created for each request because they carry the caller's
//! scope: a loader shared between requests could hand one caller's rows to another.

use async_graphql::dataloader::DataLoader;

use crate::access::Access;
use crate::organisations::loaders::{OrganisationLoader, PanelsLoader};
use crate::users::loaders::UserLoader;

/// The DataLoaders of one request.
pub struct Loaders {
    /// Organisations by id, as far as visible.
    pub organisations: DataLoader<OrganisationLoader>,
    /// The visible panels of each organisation.
    pub panels: DataLoader<PanelsLoader>,
    /// Users by id (authors of visible objects).
    pub users: DataLoader<UserLoader>,
}

impl Loaders {
    /// Loaders bound to `access`.
    pub fn new(access: &Access) -> Self {
        Loaders {
            organisations: DataLoader::new(OrganisationLoader(access.clone()), tokio::spawn),
            panels: DataLoader::new(PanelsLoader(access.clone()), tokio::spawn),
            users: DataLoader::new(UserLoader(access.clone()), tokio::spawn),
        }
    }
}
