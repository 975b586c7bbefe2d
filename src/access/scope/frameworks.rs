//! Frameworks' entries: a framework is shared (no owner) or a panel's, and its parts
//! (standards, the levels of its scale) are reached through it.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Select};

use crate::entity::{framework, rating_level, standard};
use crate::error::{AppError, AppResult};
use crate::ids::OrgId;

/// Owned by `owner` (`None`: shared).
fn owned_by(owner: Option<OrgId>) -> sea_orm::sea_query::SimpleExpr {
    match owner {
        Some(org) => framework::Column::OwnerOrgId.eq(org.0),
        None => framework::Column::OwnerOrgId.is_null(),
    }
}

/// The frameworks `owner` may change (`None`: the shared ones, a platform administrator's),
/// for a write to read what it changes: the owner in the statement.
pub fn framework_rows(owner: Option<OrgId>) -> Select<framework::Entity> {
    framework::Entity::find().filter(owned_by(owner))
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
        .add(owned_by(owner))
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
