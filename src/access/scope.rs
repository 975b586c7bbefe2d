//! The scoped entry points: the only way the services read tenant-owned tables.
//!
//! Each returns a sea-orm `Select` already filtered to what the caller may see, so a service
//! adds its own filters on top and cannot forget the tenant's. Another organisation's row is
//! simply absent, which the services report as `NOT_FOUND`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DeleteMany, EntityTrait, PaginatorTrait, PrimaryKeyTrait,
    QueryFilter, QuerySelect, QueryTrait, Select, UpdateMany,
};

use super::{Access, Purpose};
use crate::auth::Role;
use crate::codes::AssessmentStatus;
use crate::entity::{
    action, assessment, audit_event, due_date_change, evidence, organisation, panel_membership,
    progress_update, rating, rating_action, rating_evidence, recommendation, review,
    review_judgement, sharing_settings,
};
use crate::error::{AppError, AppResult};
use crate::ids::OrgId;
use crate::pagination::TotalCount;
use crate::sql::Sql;

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
    /// A manager reads their organisation's trail: its own events, and those of other
    /// organisations that concern it (a panel adding it, a panel challenging it). A platform
    /// administrator reads the provisioning trail (organisations and memberships, which it may
    /// read anyway) across every organisation. Others read nothing.
    fn scoped(access: &Access) -> Select<Self> {
        use audit_event::Column;
        let own = access.org_id().0;
        match access.actor().role {
            Role::Manager => Self::find().filter(
                sea_orm::Condition::any()
                    .add(Column::OrgId.eq(own))
                    .add(Column::SubjectOrgId.eq(own)),
            ),
            // Shared frameworks are provisioning too; their events sit in the operator's trail.
            Role::PlatformAdmin => {
                Self::find().filter(
                    sea_orm::Condition::any()
                        .add(
                            Column::EntityType
                                .is_in(crate::codes::EntityType::PROVISIONING.map(|t| t.as_str())),
                        )
                        .add(sea_orm::Condition::all().add(Column::OrgId.eq(own)).add(
                            Column::EntityType.eq(crate::codes::EntityType::Framework.as_str()),
                        )),
                )
            }
            Role::Viewer | Role::Contributor => Self::find().filter(nothing()),
        }
    }
}

impl Scoped for assessment::Entity {
    /// The caller's own assessments, drafts included, and its panel's members' once submitted
    /// (a draft is its organisation's alone, whatever it shares).
    fn scoped(access: &Access) -> Select<Self> {
        use assessment::Column;
        Self::find().filter(
            sea_orm::Condition::any()
                .add(access.orgs(Purpose::Own).condition(Column::OrgId))
                .add(
                    sea_orm::Condition::all()
                        .add(access.orgs(Purpose::PanelMembers).condition(Column::OrgId))
                        .add(Column::Status.ne(AssessmentStatus::Draft)),
                ),
        )
    }
}

/// The ids of the assessments the caller may read, as a subquery.
fn readable_assessments(access: &Access) -> sea_orm::sea_query::SelectStatement {
    assessment::Entity::scoped(access)
        .select_only()
        .column(assessment::Column::Id)
        .into_query()
}

impl Scoped for rating::Entity {
    /// The ratings of the assessments the caller may read: their levels.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating::Column::AssessmentId.in_subquery(readable_assessments(access)))
    }
}

/// The ids of the ratings whose detail the caller reads: of assessments it may read, of
/// organisations whose detail it reads.
fn detailed_ratings(access: &Access) -> sea_orm::sea_query::SelectStatement {
    rating::Entity::scoped(access)
        .filter(
            access
                .orgs(Purpose::Detail)
                .condition(rating::Column::OrgId),
        )
        .select_only()
        .column(rating::Column::Id)
        .into_query()
}

impl Scoped for rating_evidence::Entity {
    /// The evidence of ratings whose detail the caller reads.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating_evidence::Column::RatingId.in_subquery(detailed_ratings(access)))
    }
}

impl Scoped for rating_action::Entity {
    /// The links to actions of ratings whose detail the caller reads.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating_action::Column::RatingId.in_subquery(detailed_ratings(access)))
    }
}

/// A table whose every row carries the `org_id` of the organisation that owns it: the only
/// one that may change it.
pub trait Owned: EntityTrait {
    /// The `org_id` column.
    fn org_column() -> Self::Column;
}

/// An `UPDATE` of `org`'s own rows of `E` (the caller's organisation, as a write entry knows
/// it): the owner is in the statement itself, whatever the service filters on top, so a row
/// of another organisation is never changed, whichever check ran before.
pub fn update_owned<E: Owned>(org: OrgId) -> UpdateMany<E> {
    E::update_many().filter(E::org_column().eq(org.0))
}

/// `org`'s own rows of `E`, for a write to read what it changes (within its savepoint): the
/// owner in the statement.
pub fn owned_rows<E: Owned>(org: OrgId) -> Select<E> {
    E::find().filter(E::org_column().eq(org.0))
}

/// Inserts `model` as a row of `org`'s own, whichever organisation the model named.
pub fn insert_owned<E, A>(org: OrgId, mut model: A) -> sea_orm::Insert<A>
where
    E: Owned,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    model.set(E::org_column(), org.0.into());
    E::insert(model)
}

/// The row `row` of `E` as a condition that also names its owner, `org`: for versioned
/// updates, whose statement then changes only the owner's row.
pub fn own_row<E: Owned>(
    org: OrgId,
    row: impl sea_orm::sea_query::IntoCondition,
) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(row.into_condition())
        .add(E::org_column().eq(org.0))
}

/// A `DELETE` of `org`'s own rows of `E`, the owner in the statement (see [`update_owned`]).
pub fn delete_owned<E: Owned>(org: OrgId) -> DeleteMany<E> {
    E::delete_many().filter(E::org_column().eq(org.0))
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

macro_rules! owned {
    ($($entity:ident),+ $(,)?) => {
        $(
            impl Owned for $entity::Entity {
                fn org_column() -> $entity::Column {
                    $entity::Column::OrgId
                }
            }
        )+
    };
}

owned!(
    sharing_settings,
    review,
    review_judgement,
    recommendation,
    action,
    progress_update,
    evidence,
    due_date_change,
    assessment,
    rating,
    rating_evidence,
    rating_action,
);

// Assessments, ratings and their detail are read by their `Scoped` rules above (whether a row
// is readable depends on its assessment's status too), never by the detail rule.
impl TenantOwned for review::Entity {}
impl TenantOwned for review_judgement::Entity {}
impl TenantOwned for recommendation::Entity {}
impl TenantOwned for action::Entity {}
impl TenantOwned for progress_update::Entity {}
impl TenantOwned for evidence::Entity {}
impl TenantOwned for due_date_change::Entity {}
