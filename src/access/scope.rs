//! The scoped entry points: the only way the services read tenant-owned tables.
//!
//! Each returns a sea-orm `Select` already filtered to what the caller may see, so a service
//! adds its own filters on top and cannot forget the tenant's. Another organisation's row is
//! simply absent, which the services report as `NOT_FOUND`.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::{Access, Purpose};
use crate::auth::Role;
use crate::entity::{audit_event, organisation, panel_membership, sharing_settings};

/// A filter no row passes, spelled out rather than left to how an empty condition renders.
fn nothing() -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    sea_orm::Condition::all().add(Expr::val(1).eq(0))
}

/// An entity whose rows are read only through the caller's scope.
pub trait Scoped: EntityTrait {
    /// Every row of this table the caller may read.
    fn scoped(access: &Access) -> Select<Self>;
}

impl Scoped for organisation::Entity {
    /// The organisations in the caller's directory.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(
            access
                .orgs(Purpose::Directory)
                .condition(organisation::Column::Id),
        )
    }
}

impl Scoped for panel_membership::Entity {
    /// Memberships whose panel and member are both in the caller's directory: "as far as
    /// visible".
    fn scoped(access: &Access) -> Select<Self> {
        let directory = access.orgs(Purpose::Directory);
        Self::find()
            .filter(directory.condition(panel_membership::Column::PanelId))
            .filter(directory.condition(panel_membership::Column::MemberId))
    }
}

impl Scoped for sharing_settings::Entity {
    /// The caller's own organisation's settings: they are its own business. A platform
    /// administrator reads no tenant content, so gets none.
    fn scoped(access: &Access) -> Select<Self> {
        let query = Self::find().filter(sharing_settings::Column::OrgId.eq(access.org_id().0));
        if access.actor().role == Role::PlatformAdmin {
            query.filter(nothing())
        } else {
            query
        }
    }
}

impl Scoped for audit_event::Entity {
    /// A manager reads their organisation's trail: its own events, and membership changes that
    /// concern it. A platform administrator reads the provisioning trail (organisations and
    /// memberships, which it may read anyway) across every organisation. Others read nothing.
    fn scoped(access: &Access) -> Select<Self> {
        use audit_event::Column;
        let own = access.org_id().0;
        let membership = crate::audit::EntityType::PanelMembership.as_str();
        match access.actor().role {
            Role::Manager => Self::find().filter(
                sea_orm::Condition::any().add(Column::OrgId.eq(own)).add(
                    sea_orm::Condition::all()
                        .add(Column::EntityType.eq(membership))
                        .add(Column::EntityId.eq(own)),
                ),
            ),
            Role::PlatformAdmin => Self::find().filter(
                Column::EntityType
                    .is_in(crate::audit::EntityType::PROVISIONING.map(|t| t.as_str())),
            ),
            Role::Viewer | Role::Contributor => Self::find().filter(nothing()),
        }
    }
}
