//! Sharing settings: what an organisation lets its panels and partner bodies read. Each
//! organisation's own business: only its users see them, only its managers change them.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};
use tracing::instrument;

use super::{PartnerSharing, SharingSettings};
use crate::access::Access;
use crate::access::scope::Scoped;
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::entity::sharing_settings;
use crate::error::{AppError, AppResult};
use crate::ids::OrgId;

/// An organisation's sharing settings: only its own users see them (`None` for anyone else).
pub async fn get(access: &Access, org_id: OrgId) -> AppResult<Option<SharingSettings>> {
    Ok(sharing_settings::Entity::scoped(access)
        .filter(sharing_settings::Column::OrgId.eq(org_id.0))
        .one(access.db())
        .await?
        .map(SharingSettings::from))
}

/// Changes to the caller's sharing settings; `None` leaves a setting as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Changes {
    pub panel_detail: Option<bool>,
    pub partners: Option<PartnerSharing>,
}

/// Changes what the caller's organisation shares. The organisation comes from the token, never
/// from an argument.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(access: &Access, version: i32, changes: Changes) -> AppResult<SharingSettings> {
    access.require_role(&[Role::Manager], "change sharing settings")?;
    if changes.panel_detail.is_none() && changes.partners.is_none() {
        return Err(AppError::bad_input(
            "input",
            "give at least one of panelDetail and partners",
        ));
    }
    let own = access.org_id();
    let before = get(access, own)
        .await?
        .ok_or(AppError::NotFound("sharing settings"))?;
    if before.version != version {
        return Err(AppError::stale_version("sharing settings"));
    }
    let txn = access.begin_write().await?;
    let mut update = sharing_settings::Entity::update_at_version(
        sharing_settings::Column::OrgId.eq(own.0),
        version,
    );
    if let Some(detail) = changes.panel_detail {
        update = update.col_expr(sharing_settings::Column::PanelDetail, Expr::value(detail));
    }
    if let Some(partners) = changes.partners {
        update = update.col_expr(sharing_settings::Column::Partners, Expr::value(partners));
    }
    concurrency::apply(update, &txn, "sharing settings", AppError::from).await?;
    let after: SharingSettings = crate::access::scope::owned_rows::<sharing_settings::Entity>(own)
        .one(&txn)
        .await?
        .map(SharingSettings::from)
        .ok_or(AppError::NotFound("sharing settings"))?;
    let change = Change::updated(own, EntityType::SharingSettings, own.0, &before, &after);
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(after)
}
