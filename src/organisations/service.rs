//! Reading and changing organisations, panel memberships and sharing settings.
//!
//! Reads go through the scoped entry points, so another organisation's row is absent and
//! reported as `NOT_FOUND`. Provisioning (organisations and memberships) belongs to platform
//! administrators; sharing settings to each organisation's managers. Every change writes its
//! audit event in the same savepoint.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QuerySelect, QueryTrait,
    SqlErr,
};
use tracing::instrument;
use uuid::Uuid;

use super::{NewOrganisation, OrgKind, Organisation, PartnerSharing, Slug};
use crate::access::Access;
use crate::access::provisioning::Provisioner;
use crate::access::scope::Scoped;
use crate::audit::{self, Author, Change, EntityType};
use crate::concurrency::{self, Versioned};
use crate::entity::{organisation, panel_membership, sharing_settings};
use crate::error::{AppError, AppResult};
use crate::ids::OrgId;
use crate::pagination::{Cursor, PageArgs, Paged, Sort};
use crate::validate;

/// Each caller's own organisation, remembered until the directory changes (the visibility
/// epoch, read with every request's opening statement): every dashboard names it.
struct RememberedOwn;

impl crate::cache::Memo for RememberedOwn {
    /// The organisation (the caller's own: always readable by it).
    type Key = Uuid;
    /// The visibility epoch it was read at, and its row.
    type Value = (i64, Organisation);
    const CAPACITY: usize = 10_000;
}

/// One organisation, if the caller may see it. The caller's own is remembered between
/// read-only requests.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn get(access: &Access, id: OrgId) -> AppResult<Organisation> {
    if id != access.org_id() || access.db().writes() {
        return read(access, id).await;
    }
    let epoch = access.epoch(crate::epochs::Epoch::VISIBILITY).await?;
    let remembered = access.remembered().of::<RememberedOwn>();
    if let Some(org) = remembered.at_epoch(&id.0, epoch) {
        return Ok(org);
    }
    let org = read(access, id).await?;
    remembered.keep_newest(id.0, epoch, org.clone());
    Ok(org)
}

/// One organisation, read under the caller's scope.
async fn read(access: &Access, id: OrgId) -> AppResult<Organisation> {
    organisation::Entity::scoped(access)
        .filter(organisation::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Organisation::from)
        .ok_or(AppError::NotFound("organisation"))
}

/// Visible organisations among `ids`, in no particular order.
pub async fn by_ids(access: &Access, ids: &[Uuid]) -> AppResult<Vec<Organisation>> {
    Ok(organisation::Entity::scoped(access)
        .filter(organisation::Column::Id.is_in(ids.iter().copied()))
        .all(access.db())
        .await?
        .into_iter()
        .map(Organisation::from)
        .collect())
}

/// The organisations the caller may see, by name, optionally of one kind.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    kind: Option<OrgKind>,
    page: PageArgs,
) -> AppResult<Paged<Organisation>> {
    let query = organisation::Entity::scoped(access).apply_if(kind, |q, kind| {
        q.filter(organisation::Column::Kind.eq(kind))
    });
    page_by_name(access, query, page).await
}

/// A panel's members, as far as the caller may see them; `None` when `panel` is not a panel.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn members(
    access: &Access,
    panel: &Organisation,
    page: PageArgs,
) -> AppResult<Option<Paged<Organisation>>> {
    if panel.kind != OrgKind::RegionalPanel {
        return Ok(None);
    }
    let member_ids = panel_membership::Entity::scoped(access)
        .select_only()
        .column(panel_membership::Column::MemberId)
        .filter(panel_membership::Column::PanelId.eq(panel.id.0))
        .into_query();
    let query = organisation::Entity::scoped(access)
        .filter(organisation::Column::Id.in_subquery(member_ids));
    page_by_name(access, query, page).await.map(Some)
}

/// Pages a query of organisations by name, then id.
async fn page_by_name(
    access: &Access,
    query: sea_orm::Select<organisation::Entity>,
    page: PageArgs,
) -> AppResult<Paged<Organisation>> {
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(
            query,
            Some(organisation::Column::Name),
            organisation::Column::Id,
            Sort::Ascending,
            |key, _| Ok(key.to_owned().into()),
        )?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::keyed(m.name.clone(), m.id),
        Organisation::from,
    ))
}

/// The visible panels of each of `member_ids`: two queries, whatever the number of members.
pub async fn panels_of(
    access: &Access,
    member_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Organisation>>> {
    let memberships = panel_membership::Entity::scoped(access)
        .filter(panel_membership::Column::MemberId.is_in(member_ids.iter().copied()))
        .all(access.db())
        .await?;
    let panel_ids: Vec<Uuid> = memberships.iter().map(|m| m.panel_id).collect();
    let panels: HashMap<Uuid, Organisation> = by_ids(access, &panel_ids)
        .await?
        .into_iter()
        .map(|o| (o.id.0, o))
        .collect();
    let mut out: HashMap<Uuid, Vec<Organisation>> = HashMap::new();
    for m in memberships {
        if let Some(panel) = panels.get(&m.panel_id) {
            out.entry(m.member_id).or_default().push(panel.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// Creates an organisation, with default sharing settings (panels see summaries, partners
/// see nothing).
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(access: &Access, new: NewOrganisation) -> AppResult<Organisation> {
    let provisioner = Provisioner::of(access, "create organisations")?;
    let txn = access.begin_write().await?;
    let org = insert(&txn, &provisioner, Author::from(access), new, "input.slug").await?;
    txn.commit().await?;
    Ok(org)
}

/// Creates an organisation outside any request: the command line and demo data.
pub async fn create_unattended(
    db: &impl sea_orm::TransactionTrait,
    new: NewOrganisation,
) -> AppResult<Organisation> {
    let txn = db.begin_with_options(crate::db::WRITE).await?;
    let org = insert(
        &txn,
        &Provisioner::unattended(),
        Author::CommandLine,
        new,
        "slug",
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(org)
}

/// The operator mark, as the audit trail records it.
#[derive(serde::Serialize)]
struct OperatorMark {
    operator: bool,
}

/// Marks an organisation as an operator of the platform (or withdraws the mark), from the
/// command line only: no token can make another organisation an operator. Audited.
pub async fn set_operator_unattended(
    db: &impl sea_orm::TransactionTrait,
    org: OrgId,
    operator: bool,
) -> AppResult<()> {
    let txn = db.begin_with_options(crate::db::WRITE).await?;
    let before = crate::auth::identity::is_operator(&txn, org).await?;
    Provisioner::unattended()
        .update_organisation(org)
        .col_expr(organisation::Column::Operator, Expr::value(operator))
        .exec(&txn)
        .await?;
    if before != operator {
        let (was, now) = (OperatorMark { operator: before }, OperatorMark { operator });
        let change = Change::updated(org, EntityType::Organisation, org.0, &was, &now);
        audit::record(&txn, Author::CommandLine, change).await?;
    }
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

async fn insert(
    txn: &impl ConnectionTrait,
    provisioner: &Provisioner,
    author: Author,
    new: NewOrganisation,
    slug_field: &str,
) -> AppResult<Organisation> {
    ensure_slug_free(txn, provisioner, &new.slug, slug_field).await?;
    let now = Utc::now();
    let id = OrgId::new();
    let row = organisation::ActiveModel {
        id: Set(id.0),
        slug: Set(new.slug.as_str().to_owned()),
        name: Set(new.name),
        kind: Set(new.kind),
        region: Set(new.region),
        operator: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    provisioner
        .insert_organisation(row)
        .exec_without_returning(txn)
        .await
        // The pre-check above makes this rare: another request took the slug in between. The
        // slug is the table's only unique key besides the (fresh, random) id.
        .map_err(|e| slug_taken_or(e, slug_field))?;
    provisioner
        .insert_sharing_settings(sharing_settings::ActiveModel {
            org_id: Set(id.0),
            panel_detail: Set(false),
            partners: Set(PartnerSharing::None),
            version: Set(1),
            updated_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
    let org: Organisation = provisioner
        .organisation(id)
        .one(txn)
        .await?
        .map(Organisation::from)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("organisation vanished after insert")))?;
    let change = Change::created(id, EntityType::Organisation, id.0, &org);
    audit::record(txn, author, change).await?;
    Ok(org)
}

async fn ensure_slug_free(
    txn: &impl ConnectionTrait,
    provisioner: &Provisioner,
    slug: &Slug,
    field: &str,
) -> AppResult<()> {
    let taken = provisioner
        .organisations()
        .filter(organisation::Column::Slug.eq(slug.as_str()))
        .one(txn)
        .await?;
    match taken {
        Some(_) => Err(slug_taken(field)),
        None => Ok(()),
    }
}

fn slug_taken(field: &str) -> AppError {
    AppError::bad_input(field, "slug is already used by another organisation")
}

fn slug_taken_or(err: DbErr, field: &str) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => slug_taken(field),
        _ => err.into(),
    }
}

/// Changes to an organisation's directory entry; `None` leaves a field as it is. The slug is
/// not among them: tokens may name an organisation by its slug, so a slug that changed (and
/// was later taken by another organisation) would hand old tokens to the wrong tenant.
#[derive(Clone, Debug, Default)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    /// `Some(None)` clears the region.
    pub region: Option<Option<String>>,
}

/// Renames an organisation or changes its region.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: OrgId,
    version: i32,
    changes: OrganisationChanges,
) -> AppResult<Organisation> {
    let provisioner = Provisioner::of(access, "change organisations")?;
    if changes.name.is_none() && changes.region.is_none() {
        return Err(AppError::bad_input(
            "input",
            "give at least one of name and region",
        ));
    }
    let before = get(access, id).await?;
    if before.version != version {
        return Err(AppError::stale_version("organisation"));
    }
    let txn = access.begin_write().await?;
    let mut update =
        organisation::Entity::update_at_version(organisation::Column::Id.eq(id.0), version);
    if let Some(name) = &changes.name {
        update = update.col_expr(organisation::Column::Name, Expr::value(name.as_str()));
    }
    if let Some(region) = &changes.region {
        update = update.col_expr(organisation::Column::Region, Expr::value(region.clone()));
    }
    concurrency::apply(update, &txn, "organisation", AppError::from).await?;
    let after: Organisation = provisioner
        .organisation(id)
        .one(&txn)
        .await?
        .map(Organisation::from)
        .ok_or(AppError::NotFound("organisation"))?;
    let change = Change::updated(id, EntityType::Organisation, id.0, &before, &after);
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Parses raw changes to a directory entry; errors name fields under `input.`.
pub fn parse_changes(
    name: Option<&str>,
    region: async_graphql::MaybeUndefined<String>,
) -> AppResult<OrganisationChanges> {
    Ok(OrganisationChanges {
        name: name
            .map(|n| validate::required_text("input.name", n, super::MAX_NAME))
            .transpose()?,
        region: region
            .as_opt_deref()
            .map(|r| validate::optional_text("input.region", r, super::MAX_REGION))
            .transpose()?,
    })
}
