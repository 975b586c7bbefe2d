//! Reading the audit trail.

use sea_orm::{ColumnTrait, QueryFilter};
use tracing::instrument;
use uuid::Uuid;

use super::AuditEvent;
use crate::access::Access;
use crate::access::scope::Scoped;
use crate::auth::Role;
use crate::entity::audit_event;
use crate::error::{AppError, AppResult};
use crate::ids::AuditEventId;
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};

fn may_read_trail(access: &Access) -> AppResult<()> {
    access.require_role(
        &[Role::Manager, Role::PlatformAdmin],
        "read the audit trail",
    )
}

fn to_event(m: audit_event::Model) -> AppResult<AuditEvent> {
    AuditEvent::try_from(m).map_err(AppError::Internal)
}

/// The caller's trail, newest first, optionally about one entity.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    entity_id: Option<Uuid>,
    page: PageArgs,
) -> AppResult<Paged<AuditEvent>> {
    may_read_trail(access)?;
    let mut query = audit_event::Entity::scoped(access);
    if let Some(entity) = entity_id {
        query = query.filter(audit_event::Column::EntityId.eq(entity));
    }
    let total = crate::access::scope::total_of(access, query.clone());
    // Ids are UUIDv7: ordering by id is ordering by time of writing.
    let rows = page
        .keyset(
            query,
            None,
            audit_event::Column::Id,
            Sort::Descending,
            no_key,
        )?
        .all(access.db())
        .await?;
    let page = Paged::from_rows(&page, rows, total, |m| Cursor::by_id(m.id), |m| m);
    let mut items = Vec::with_capacity(page.items.len());
    for (cursor, row) in page.items {
        items.push((cursor, to_event(row)?));
    }
    Ok(Paged {
        items,
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        total: page.total,
    })
}

/// One event of the caller's trail.
pub async fn get(access: &Access, id: AuditEventId) -> AppResult<AuditEvent> {
    may_read_trail(access)?;
    let row = audit_event::Entity::scoped(access)
        .filter(audit_event::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .ok_or(AppError::NotFound("audit event"))?;
    to_event(row)
}
