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
    action, action_status_change, assessment, audit_event, challenge, due_date_change, evidence,
    framework, moderation, org_user, organisation, panel_membership, progress_update, rating,
    rating_action, rating_evidence, rating_level, recommendation, recommendation_standard,
    recommendation_status_change, review, review_judgement, sharing_settings, standard, user,
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

/// Held by the caller's panel, or of the caller's own organisation: a challenge and the
/// moderations it makes are the panel's and the member's, and nobody else's.
fn panel_or_member<C: ColumnTrait>(access: &Access, panel: C, member: C) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(panel.eq(access.org_id().0))
        .add(access.orgs(Purpose::Own).condition(member))
}

impl Scoped for challenge::Entity {
    /// The challenges the caller's panel held, and those of the caller's own assessments.
    fn scoped(access: &Access) -> Select<Self> {
        use challenge::Column;
        Self::find().filter(panel_or_member(access, Column::PanelId, Column::OrgId))
    }
}

impl Scoped for moderation::Entity {
    /// The moderations the caller's panel made, and those of the caller's own assessments.
    fn scoped(access: &Access) -> Select<Self> {
        use moderation::Column;
        Self::find().filter(panel_or_member(access, Column::PanelId, Column::OrgId))
    }
}

impl Scoped for framework::Entity {
    /// Published shared frameworks, the caller's panels' published ones, those it has assessed
    /// itself against, and the drafts it may edit (a panel's own). A platform administrator
    /// reads the shared ones, drafts included (provisioning), and no organisation's.
    fn scoped(access: &Access) -> Select<Self> {
        use framework::Column;
        if access.actor().role == Role::PlatformAdmin {
            return Self::find().filter(Column::OwnerOrgId.is_null());
        }
        let published = sea_orm::Condition::all()
            .add(Column::Status.eq(crate::codes::FrameworkStatus::Published))
            .add(
                sea_orm::Condition::any()
                    .add(Column::OwnerOrgId.is_null())
                    .add(Column::OwnerOrgId.is_in(access.framework_owners())),
            );
        // An organisation keeps reading the frameworks it has assessed itself against, even a
        // panel's after it leaves the panel: its own assessments must keep their meaning.
        let assessed = sea_orm::sea_query::Query::select()
            .column(assessment::Column::FrameworkId)
            .from(assessment::Entity)
            .and_where(assessment::Column::OrgId.eq(access.org_id().0))
            .to_owned();
        let mut visible = sea_orm::Condition::any()
            .add(published)
            .add(Column::Id.in_subquery(assessed));
        if access.actor().org_kind == crate::codes::OrgKind::RegionalPanel {
            visible = visible.add(Column::OwnerOrgId.eq(access.org_id().0));
        }
        Self::find().filter(visible)
    }
}

/// The ids of the frameworks the caller may read, as a subquery.
fn readable_frameworks(access: &Access) -> sea_orm::sea_query::SelectStatement {
    framework::Entity::scoped(access)
        .select_only()
        .column(framework::Column::Id)
        .into_query()
}

impl Scoped for standard::Entity {
    /// The standards of the frameworks the caller may read.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(standard::Column::FrameworkId.in_subquery(readable_frameworks(access)))
    }
}

impl Scoped for rating_level::Entity {
    /// The rating scales of the frameworks the caller may read.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find()
            .filter(rating_level::Column::FrameworkId.in_subquery(readable_frameworks(access)))
    }
}

/// The frameworks `owner` may change (`None`: the shared ones, a platform administrator's),
/// for a write to read what it changes: the owner in the statement.
pub fn framework_rows(owner: Option<OrgId>) -> Select<framework::Entity> {
    framework::Entity::find().filter(match owner {
        Some(org) => framework::Column::OwnerOrgId.eq(org.0),
        None => framework::Column::OwnerOrgId.is_null(),
    })
}

/// Inserts a framework owned by `owner` (`None`: shared), whichever owner the model named.
pub fn insert_framework(
    owner: Option<OrgId>,
    mut model: framework::ActiveModel,
) -> sea_orm::Insert<framework::ActiveModel> {
    model.owner_org_id = sea_orm::ActiveValue::Set(owner.map(|o| o.0));
    framework::Entity::insert(model)
}

/// The framework `id` as a condition that also names its owner: for versioned updates, whose
/// statement then changes only a framework `owner` may change.
pub fn framework_row(owner: Option<OrgId>, id: uuid::Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(framework::Column::Id.eq(id))
        .add(match owner {
            Some(org) => framework::Column::OwnerOrgId.eq(org.0),
            None => framework::Column::OwnerOrgId.is_null(),
        })
}

/// A part of a framework (a standard, a level of its scale), reached through its framework.
pub trait FrameworkPart: EntityTrait {
    /// The `framework_id` column.
    fn framework_column() -> Self::Column;
}

impl FrameworkPart for standard::Entity {
    fn framework_column() -> standard::Column {
        standard::Column::FrameworkId
    }
}

impl FrameworkPart for rating_level::Entity {
    fn framework_column() -> rating_level::Column {
        rating_level::Column::FrameworkId
    }
}

/// The parts of `framework`, a framework the caller has already reached: through an
/// assessment or rating it may read (whose framework it may not otherwise list), or as the
/// owner of a draft it is changing.
pub fn parts_of<E: FrameworkPart>(framework: uuid::Uuid) -> Select<E> {
    E::find().filter(E::framework_column().eq(framework))
}

/// Replaces the standards and rating scale of `framework` with `standards` and `levels`, if
/// `owner` may change it; otherwise changes nothing and answers `NOT_FOUND`.
pub async fn replace_framework_parts(
    txn: &impl sea_orm::ConnectionTrait,
    owner: Option<OrgId>,
    framework: uuid::Uuid,
    standards: Vec<standard::ActiveModel>,
    levels: Vec<rating_level::ActiveModel>,
) -> AppResult<()> {
    let owned = framework_rows(owner)
        .filter(framework::Column::Id.eq(framework))
        .count(txn)
        .await?;
    if owned == 0 {
        return Err(AppError::NotFound("framework"));
    }
    standard::Entity::delete_many()
        .filter(standard::Column::FrameworkId.eq(framework))
        .exec(txn)
        .await?;
    rating_level::Entity::delete_many()
        .filter(rating_level::Column::FrameworkId.eq(framework))
        .exec(txn)
        .await?;
    // Each part belongs to `framework`, whichever the models named.
    let standards = standards.into_iter().map(|mut m| {
        m.framework_id = sea_orm::ActiveValue::Set(framework);
        m
    });
    let levels = levels.into_iter().map(|mut m| {
        m.framework_id = sea_orm::ActiveValue::Set(framework);
        m
    });
    standard::Entity::insert_many(standards)
        .exec_without_returning(txn)
        .await?;
    rating_level::Entity::insert_many(levels)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Every row of hand-written SQL through the request handle. The statement carries its own
/// tenant condition (built by `OrgSet::push_condition` or a `Scoped` rule's subquery), and
/// row-level security binds it on Postgres.
pub async fn rows<M: sea_orm::FromQueryResult>(access: &Access, sql: &Sql) -> AppResult<Vec<M>> {
    rows_in(access.db(), sql).await
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
    let db = access.db();
    Ok(
        M::find_by_statement(sql.statement(db.get_database_backend()))
            .all(&db.for_summary())
            .await?,
    )
}

/// The organisations whose people the caller may see: those whose detail it reads (where
/// their updates and changes are); a platform administrator only its own (people are tenant
/// content).
fn people_orgs(access: &Access) -> super::OrgSet {
    if access.actor().role == Role::PlatformAdmin {
        super::OrgSet::Only([access.org_id().0].into())
    } else {
        access.orgs(Purpose::Detail)
    }
}

impl Scoped for org_user::Entity {
    /// Who has acted for the organisations whose people the caller may see.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(people_orgs(access).condition(org_user::Column::OrgId))
    }
}

impl Scoped for user::Entity {
    /// The caller, and the people who have acted for an organisation whose people it may see
    /// (how much of each it sees is `users::service::people`'s rule).
    fn scoped(access: &Access) -> Select<Self> {
        let acting = org_user::Entity::scoped(access)
            .select_only()
            .column(org_user::Column::UserId)
            .into_query();
        Self::find().filter(
            sea_orm::Condition::any()
                .add(user::Column::Id.eq(access.actor().user_id.0))
                .add(user::Column::Id.in_subquery(acting)),
        )
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

/// Inserts `models` as rows of `org`'s own, whichever organisation each named.
pub fn insert_many_owned<E, A>(
    org: OrgId,
    models: impl IntoIterator<Item = A>,
) -> sea_orm::InsertMany<A>
where
    E: Owned,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    E::insert_many(models.into_iter().map(move |mut model| {
        model.set(E::org_column(), org.0.into());
        model
    }))
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
    action_status_change,
    recommendation_status_change,
    recommendation_standard,
);

// A challenge or moderation is the panel's to write, and both the panel's and the member's to
// read (see their `Scoped` rules).
impl Owned for challenge::Entity {
    fn org_column() -> challenge::Column {
        challenge::Column::PanelId
    }
}

impl Owned for moderation::Entity {
    fn org_column() -> moderation::Column {
        moderation::Column::PanelId
    }
}

// Assessments, ratings and their detail are read by their `Scoped` rules above (whether a row
// is readable depends on its assessment's status too), never by the detail rule.
impl TenantOwned for review::Entity {}
impl TenantOwned for review_judgement::Entity {}
impl TenantOwned for recommendation::Entity {}
impl TenantOwned for action::Entity {}
impl TenantOwned for progress_update::Entity {}
impl TenantOwned for evidence::Entity {}
impl TenantOwned for due_date_change::Entity {}
impl TenantOwned for action_status_change::Entity {}
impl TenantOwned for recommendation_status_change::Entity {}
impl TenantOwned for recommendation_standard::Entity {}
