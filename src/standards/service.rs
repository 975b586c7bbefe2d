//! Reading frameworks, their standards and rating scales.
//!
//! Who reads a framework: everyone reads a published shared framework; a panel's published
//! framework is read by the panel and its members; drafts are read only by those who may edit
//! them (platform administrators for shared ones, the panel for its own). The rule is
//! `access::scope`'s; writing them is [`super::drafts`]'s.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QueryTrait};
use tracing::instrument;
use uuid::Uuid;

use super::{Framework, Level, Standard};
use crate::access::Access;
use crate::access::scope::{self, Scoped};
use crate::entity::{framework, rating_level, standard};
use crate::error::{AppError, AppResult};
use crate::ids::{FrameworkId, RatingLevelId, StandardId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};

/// One framework the caller may read.
pub async fn get(access: &Access, id: FrameworkId) -> AppResult<Framework> {
    framework::Entity::scoped(access)
        .filter(framework::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Framework::from)
        .ok_or(AppError::NotFound("framework"))
}

/// Readable frameworks among `ids`.
pub async fn by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Framework>> {
    Ok(framework::Entity::scoped(access)
        .filter(framework::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Framework::from(m)))
        .collect())
}

/// The frameworks the caller may read, optionally of one code, newest first.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    code: Option<String>,
    page: PageArgs,
) -> AppResult<Paged<Framework>> {
    let query = framework::Entity::scoped(access)
        .apply_if(code, |q, code| q.filter(framework::Column::Code.eq(code)));
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(query, None, framework::Column::Id, Sort::Descending, no_key)?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::by_id(m.id),
        Framework::from,
    ))
}

/// The standards of each of `framework_ids`, in order; empty for a framework the caller may
/// not read.
pub async fn standards_of(
    access: &Access,
    framework_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Standard>>> {
    let rows = standard::Entity::scoped(access)
        .filter(standard::Column::FrameworkId.is_in(framework_ids.iter().copied()))
        .order_by_asc(standard::Column::Position)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        framework_ids,
        rows,
        |r| r.framework_id,
        Standard::from,
    ))
}

/// The rating scale of each of `framework_ids`, lowest rank first.
pub async fn levels_of(
    access: &Access,
    framework_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Level>>> {
    let rows = rating_level::Entity::scoped(access)
        .filter(rating_level::Column::FrameworkId.is_in(framework_ids.iter().copied()))
        .order_by_asc(rating_level::Column::Rank)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        framework_ids,
        rows,
        |r| r.framework_id,
        Level::from,
    ))
}

/// A published framework's standards and scale, remembered for good: a published version
/// never changes (`drafts` refuses to write one), so nothing can make them stale. Who may
/// read them is not remembered: [`with_content`] reads the framework under the caller's
/// scope first, and its standards and levels are readable exactly when it is.
struct PublishedContent;

impl crate::cache::Memo for PublishedContent {
    /// The framework.
    type Key = Uuid;
    type Value = std::sync::Arc<(Vec<Standard>, Vec<Level>)>;
    const CAPACITY: usize = 256;
}

/// A framework the caller may read, with its standards in order and its scale lowest rank
/// first: the axes of the comparisons. A published one's content is read once per process.
pub async fn with_content(
    access: &Access,
    id: FrameworkId,
) -> AppResult<(Framework, Vec<Standard>, Vec<Level>)> {
    let framework = get(access, id).await?;
    let published = framework.status == super::FrameworkStatus::Published;
    let remembered = access.remembered().of::<PublishedContent>();
    if published && let Some(content) = remembered.get(&id.0) {
        let (standards, levels) = &*content;
        return Ok((framework, standards.clone(), levels.clone()));
    }
    let standards = standards_of(access, vec![id.0])
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    let levels = levels_of(access, vec![id.0])
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    if published {
        remembered.insert(
            id.0,
            std::sync::Arc::new((standards.clone(), levels.clone())),
        );
    }
    Ok((framework, standards, levels))
}

/// Readable standards among `ids`.
pub async fn standards_by_ids(
    access: &Access,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Standard>> {
    Ok(standard::Entity::scoped(access)
        .filter(standard::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Standard::from(m)))
        .collect())
}

/// Readable levels among `ids`.
pub async fn levels_by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Level>> {
    Ok(rating_level::Entity::scoped(access)
        .filter(rating_level::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Level::from(m)))
        .collect())
}

/// One standard of a framework the caller may read.
pub async fn get_standard(access: &Access, id: StandardId) -> AppResult<Standard> {
    standards_by_ids(access, vec![id.0])
        .await?
        .remove(&id.0)
        .ok_or(AppError::NotFound("standard"))
}

/// One level of a framework the caller may read.
pub async fn get_level(access: &Access, id: RatingLevelId) -> AppResult<Level> {
    levels_by_ids(access, vec![id.0])
        .await?
        .remove(&id.0)
        .ok_or(AppError::NotFound("rating level"))
}

/// The level of `framework`'s scale whose code is `code` (an input's `level`, hence the
/// field named in the error). The caller has already reached an assessment against the
/// framework (see `scope::parts_of`).
pub async fn level_of_scale(
    db: &impl ConnectionTrait,
    framework: FrameworkId,
    code: &str,
) -> AppResult<Level> {
    scope::parts_of::<rating_level::Entity>(framework.0)
        .filter(rating_level::Column::Code.eq(code))
        .one(db)
        .await?
        .map(Level::from)
        .ok_or_else(|| AppError::bad_input("input.level", "not a level of this framework's scale"))
}
