//! Panel memberships: which councils and fire and rescue services sit in which regional panel.
//! Provisioning, so platform administrators only. A membership decides what a panel reads, so
//! its change takes effect at once and is recorded in the panel's trail (and shown in the
//! member's).

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, SqlErr};
use tracing::instrument;

use super::service::get;
use super::{OrgKind, Organisation};
use crate::access::Access;
use crate::access::provisioning::Provisioner;
use crate::audit::{self, Author, Change, EntityType, Operation};
use crate::entity::panel_membership;
use crate::error::{AppError, AppResult};
use crate::ids::OrgId;

/// A membership, as its audit images record it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Membership {
    panel_id: OrgId,
    member_id: OrgId,
}

/// Checks the caller may change memberships and that the panel is a panel, and returns both
/// organisations.
async fn membership_parties(
    access: &Access,
    panel_id: OrgId,
    member_id: OrgId,
) -> AppResult<(Provisioner, Organisation, Organisation)> {
    let provisioner = Provisioner::of(access, "change panel memberships")?;
    let panel = get(access, panel_id).await?;
    if panel.kind != OrgKind::RegionalPanel {
        return Err(AppError::bad_input(
            "input.panelId",
            "is not a regional panel",
        ));
    }
    let member = get(access, member_id).await?;
    Ok((provisioner, panel, member))
}

/// Adds an organisation to a regional panel: from now on the panel reads what the member
/// shares with its panels.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn add(
    access: &Access,
    panel_id: OrgId,
    member_id: OrgId,
) -> AppResult<(Organisation, Organisation)> {
    let (provisioner, panel, member) = membership_parties(access, panel_id, member_id).await?;
    if !member.kind.can_join_panels() {
        return Err(AppError::bad_input(
            "input.memberId",
            "only councils and fire and rescue services can join panels",
        ));
    }
    let txn = access.begin_write().await?;
    let existing = provisioner
        .membership(panel_id, member_id)
        .one(&txn)
        .await?;
    let already = || {
        AppError::Conflict(format!(
            "{} is already a member of {}",
            member.name, panel.name
        ))
    };
    if existing.is_some() {
        return Err(already());
    }
    provisioner
        .insert_membership(panel_membership::ActiveModel {
            panel_id: Set(panel_id.0),
            member_id: Set(member_id.0),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await
        // Another request added it in between: the primary key is the only unique key.
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => already(),
            _ => e.into(),
        })?;
    record_membership(&txn, access, panel_id, member_id, Operation::Create).await?;
    txn.commit().await?;
    Ok((panel, member))
}

/// Removes an organisation from a regional panel: the panel loses sight of it at once.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn remove(
    access: &Access,
    panel_id: OrgId,
    member_id: OrgId,
) -> AppResult<(Organisation, Organisation)> {
    let (provisioner, panel, member) = membership_parties(access, panel_id, member_id).await?;
    let txn = access.begin_write().await?;
    let deleted = provisioner
        .delete_membership(panel_id, member_id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("panel membership"));
    }
    record_membership(&txn, access, panel_id, member_id, Operation::Delete).await?;
    txn.commit().await?;
    Ok((panel, member))
}

/// A membership event lives in the panel's trail, and shows in the member's: its subject and
/// its entity id are the member's.
async fn record_membership(
    txn: &impl ConnectionTrait,
    access: &Access,
    panel_id: OrgId,
    member_id: OrgId,
    operation: Operation,
) -> AppResult<()> {
    let image = Membership {
        panel_id,
        member_id,
    };
    let (kind, member) = (EntityType::PanelMembership, member_id.0);
    let change = match operation {
        Operation::Delete => Change::deleted(panel_id, kind, member, &image),
        _ => Change::created(panel_id, kind, member, &image),
    }
    .concerning(member_id);
    audit::record(txn, Author::from(access), change).await
}
