//! The scoped entry points: the only way the services read and write tenant-owned tables.
//!
//! Reads: each table's rule ([`Scoped`], in `rules.rs`; [`TenantOwned::readable`] for the
//! detail rule) returns a sea-orm `Select` already filtered to what the caller may see, so a
//! service adds its own filters on top and cannot forget the tenant's. Another organisation's
//! row is simply absent, which the services report as `NOT_FOUND`. Hand-written SQL runs
//! through [`rows`] and [`summary_rows`].
//!
//! Writes: the owner-checked entries of `writes.rs` put the owner in the statement itself;
//! frameworks, owned by a panel or shared, have theirs in `frameworks.rs`.

mod frameworks;
mod rules;
mod writes;

pub use frameworks::{
    FrameworkPart, framework_row, framework_rows, insert_framework, parts_of,
    replace_framework_parts,
};
pub use writes::{
    delete_owned, insert_many_owned, insert_owned, own_row, owned_row, owned_rows, update_owned,
};

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, PrimaryKeyTrait, QueryFilter, Select};

use super::{Access, Purpose};
use crate::error::{AppError, AppResult};
use crate::pagination::TotalCount;
use crate::sql::Sql;

/// An entity whose rows are read only through the caller's scope.
pub trait Scoped: EntityTrait {
    /// Every row of this table the caller may read.
    fn scoped(access: &Access) -> Select<Self>;
}

/// A table whose every row carries the `org_id` of the organisation that owns it: the only
/// one that may change it.
pub trait Owned: EntityTrait {
    /// The `org_id` column.
    fn org_column() -> Self::Column;
}

/// A table of tenant content read by the detail rule: own, and the panel members' that share
/// detail with the caller's panel.
pub trait TenantOwned: Owned {
    /// The rows the caller may read in detail: its own organisation's, and those of panel
    /// members that share detail with the caller's panel.
    fn readable(access: &Access) -> Select<Self> {
        Self::find().filter(access.orgs(Purpose::Detail).condition(Self::org_column()))
    }

    /// The rows the caller's own organisation owns: the only ones it may change.
    fn owned(access: &Access) -> Select<Self> {
        Self::find().filter(access.orgs(Purpose::Own).condition(Self::org_column()))
    }
}

/// One row by id, as far as `purpose` lets the caller reach it; `NOT_FOUND` naming `what`
/// otherwise (absent and another organisation's are not told apart).
pub async fn one<E>(
    access: &Access,
    purpose: Purpose,
    id: uuid::Uuid,
    what: &'static str,
) -> AppResult<E::Model>
where
    E: TenantOwned,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = uuid::Uuid>,
{
    E::find_by_id(id)
        .filter(access.orgs(purpose).condition(E::org_column()))
        .one(access.db())
        .await?
        .ok_or(AppError::NotFound(what))
}

/// The `totalCount` of a list: the rows of `query` (already scoped, with the list's filters but
/// without its cursor and limit), counted in SQL only if a client asks for it.
pub fn total_of<E>(access: &Access, query: Select<E>) -> TotalCount
where
    E: EntityTrait,
    E::Model: Sync,
{
    let access = access.clone();
    TotalCount::deferred(move || {
        let access = access.clone();
        let query = query.clone();
        Box::pin(async move { Ok(query.count(access.db()).await?) })
    })
}

/// The `totalCount` of a list read by hand-written SQL, whose tenant condition `query` carries
/// (built by `OrgSet::push_condition`).
pub fn total_of_sql(access: &Access, query: Sql) -> TotalCount {
    let access = access.clone();
    TotalCount::deferred(move || {
        let access = access.clone();
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM (");
        count.append(&query).push(") counted");
        Box::pin(async move {
            let db = access.db();
            let row = db
                .query_one_raw(count.statement(db.get_database_backend()))
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("COUNT returned no row")))?;
            let n: i64 = row.try_get("", "n")?;
            Ok(n.max(0) as u64)
        })
    })
}

/// Every row of hand-written SQL through the request handle. The statement carries its own
/// tenant condition (built by `OrgSet::push_condition` or a `Scoped` rule's subquery), and
/// row-level security binds it on Postgres.
pub async fn rows<M: sea_orm::FromQueryResult>(access: &Access, sql: &Sql) -> AppResult<Vec<M>> {
    rows_in(access.db(), sql).await
}

/// [`rows`], each read by position ([`crate::rows`]): for a statement of many rows.
pub async fn rows_by_position<M: crate::rows::Positional>(
    access: &Access,
    sql: &Sql,
) -> AppResult<Vec<M>> {
    let db = access.db();
    let results = db
        .query_all_raw(sql.statement(db.get_database_backend()))
        .await?;
    Ok(crate::rows::read_all(&results)?)
}

/// Every row of hand-written SQL on `db`: a write's transaction reading what it changed (its
/// statement names the writer's organisation), or the request handle (see [`rows`]).
pub async fn rows_in<M: sea_orm::FromQueryResult>(
    db: &impl sea_orm::ConnectionTrait,
    sql: &Sql,
) -> AppResult<Vec<M>> {
    Ok(
        M::find_by_statement(sql.statement(db.get_database_backend()))
            .all(db)
            .await?,
    )
}

/// Every row of hand-written summary SQL, run under the summary purpose: counts over
/// organisations whose rows the caller may not read one by one (see
/// `RequestDb::for_summary`). The statement says which organisations it counts.
pub async fn summary_rows<M: sea_orm::FromQueryResult>(
    access: &Access,
    sql: &Sql,
) -> AppResult<Vec<M>> {
    rows_in(&access.db().for_summary(), sql).await
}

/// [`summary_rows`] of a statement that groups many rows and needs no sort of its own,
/// grouped in a hash table (see `RequestDb::for_hashed_summary`).
pub async fn hashed_summary_rows<M: sea_orm::FromQueryResult>(
    access: &Access,
    sql: &Sql,
) -> AppResult<Vec<M>> {
    rows_in(&access.db().for_hashed_summary(), sql).await
}
