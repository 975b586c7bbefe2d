//! Per-request DataLoaders. They are created for each request because they carry the caller's
//! scope: a loader shared between requests could hand one caller's rows to another.
//!
//! A DataLoader batches the loads that arrive within a millisecond of each other, which is not
//! a promise: a slow page can straddle two batches. So list resolvers also *prime* the loaders
//! for the items they return (one query for the whole page) when the query asks for the field,
//! and the number of statements of a list does not depend on its length.

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};

use crate::access::Access;
use crate::organisations::loaders::{OrganisationLoader, PanelsLoader};
use crate::users::loaders::UserLoader;

/// A DataLoader that remembers what it loaded (or was primed with) for the request.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// The DataLoaders of one request.
pub struct Loaders {
    /// Organisations by id, as far as visible.
    pub organisations: Cached<OrganisationLoader>,
    /// The visible panels of each organisation.
    pub panels: Cached<PanelsLoader>,
    /// Users by id (authors of visible objects).
    pub users: Cached<UserLoader>,
}

impl Loaders {
    /// Loaders bound to `access`.
    pub fn new(access: &Access) -> Self {
        Loaders {
            organisations: DataLoader::with_cache(
                OrganisationLoader(access.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
            panels: DataLoader::with_cache(
                PanelsLoader(access.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
            users: DataLoader::with_cache(
                UserLoader(access.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }
}

/// Whether the items of the connection being resolved select `field`, through `nodes` or
/// `edges { node }`.
pub fn items_select(ctx: &Context<'_>, field: &str) -> bool {
    let this = ctx.look_ahead();
    this.field("nodes").field(field).exists()
        || this.field("edges").field("node").field(field).exists()
}
