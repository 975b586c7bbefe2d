//! Writes to the directory: organisations, their sharing settings' first row, and panel
//! memberships. The directory is the platform's, not a tenant's: only its operators change it
//! (a platform administrator through the API, or the command line), so every entry here asks
//! for a [`Provisioner`], which only those two can hold.

// The provisioning entry points themselves.
#![allow(clippy::disallowed_methods)]

use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, Insert, QueryFilter, Select, UpdateMany};

use super::Access;
use crate::auth::Role;
use crate::entity::{organisation, panel_membership, sharing_settings};
use crate::error::AppResult;
use crate::ids::OrgId;

/// Proof that the directory may be changed: held by a platform administrator's request, or
/// by the command line (outside any request).
pub struct Provisioner(());

impl Provisioner {
    /// The caller's, if it is a platform administrator; `FORBIDDEN` saying it may not `what`
    /// otherwise.
    pub fn of(access: &Access, what: &str) -> AppResult<Self> {
        access.require_role(&[Role::PlatformAdmin], what)?;
        Ok(Provisioner(()))
    }

    /// The command line's, run by whoever operates the service and its database.
    pub fn unattended() -> Self {
        Provisioner(())
    }

    /// Every organisation, within a provisioning write: slugs are unique across the
    /// directory, whoever may see each entry.
    pub fn organisations(&self) -> Select<organisation::Entity> {
        organisation::Entity::find()
    }

    /// The entry of `org`, within a provisioning write.
    pub fn organisation(&self, org: OrgId) -> Select<organisation::Entity> {
        organisation::Entity::find().filter(organisation::Column::Id.eq(org.0))
    }

    /// Inserts a directory entry.
    pub fn insert_organisation(
        &self,
        model: organisation::ActiveModel,
    ) -> Insert<organisation::ActiveModel> {
        organisation::Entity::insert(model)
    }

    /// An `UPDATE` of the entry of `org`.
    pub fn update_organisation(&self, org: OrgId) -> UpdateMany<organisation::Entity> {
        organisation::Entity::update_many().filter(organisation::Column::Id.eq(org.0))
    }

    /// Inserts a new organisation's first sharing settings (afterwards only the organisation
    /// itself changes them).
    pub fn insert_sharing_settings(
        &self,
        model: sharing_settings::ActiveModel,
    ) -> Insert<sharing_settings::ActiveModel> {
        sharing_settings::Entity::insert(model)
    }

    /// The membership of `member` in `panel`, within a provisioning write.
    pub fn membership(&self, panel: OrgId, member: OrgId) -> Select<panel_membership::Entity> {
        panel_membership::Entity::find()
            .filter(panel_membership::Column::PanelId.eq(panel.0))
            .filter(panel_membership::Column::MemberId.eq(member.0))
    }

    /// Inserts a panel membership.
    pub fn insert_membership(
        &self,
        model: panel_membership::ActiveModel,
    ) -> Insert<panel_membership::ActiveModel> {
        panel_membership::Entity::insert(model)
    }

    /// A `DELETE` of the membership of `member` in `panel`.
    pub fn delete_membership(
        &self,
        panel: OrgId,
        member: OrgId,
    ) -> DeleteMany<panel_membership::Entity> {
        panel_membership::Entity::delete_many()
            .filter(panel_membership::Column::PanelId.eq(panel.0))
            .filter(panel_membership::Column::MemberId.eq(member.0))
    }
}
