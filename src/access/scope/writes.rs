//! The owner-checked write entries: every `INSERT`, `UPDATE`, `DELETE` and read within a write
//! names the owner in its own statement, whichever check ran before.

use sea_orm::{ColumnTrait, DeleteMany, QueryFilter, Select, UpdateMany};

use super::Owned;
use crate::ids::OrgId;

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

/// `org`'s own row `id` of `E`, for a write to read again what it changed: the owner in the
/// statement.
pub fn owned_row<E>(org: OrgId, id: uuid::Uuid) -> Select<E>
where
    E: Owned,
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = uuid::Uuid>,
{
    E::find_by_id(id).filter(E::org_column().eq(org.0))
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
