//! Writing frameworks: drafts checked field by field, created, changed, published, and new
//! versions started from published ones.
//!
//! Platform administrators write shared frameworks; a panel's managers write its own. A
//! published version never changes. Every write names the framework's owner in its statements
//! (`access::scope::framework_rows`), whatever was checked before.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tracing::instrument;

use super::service::get;
use super::{
    Framework, FrameworkStatus, MAX_CODE, MAX_LABEL, MAX_LEVELS, MAX_NAME, MAX_STANDARD_TITLE,
    MAX_STANDARDS,
};
use crate::access::Access;
use crate::access::scope::{self, Scoped};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::entity::{framework, rating_level, standard};
use crate::error::{AppError, AppResult};
use crate::ids::{FrameworkId, OrgId, RatingLevelId, StandardId};
use crate::organisations::OrgKind;
use crate::validate;
use crate::validate::MAX_PROSE;

/// A standard to write into a draft.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StandardDraft {
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub desired_outcome: Option<String>,
}

/// A level to write into a draft.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelDraft {
    pub code: String,
    pub label: String,
    pub rank: i32,
}

/// Checks a framework, standard or level code: `A-Z`, `0-9`, `-`, `_` and `.`.
pub fn check_code(field: &str, raw: &str) -> AppResult<String> {
    let code = validate::required_text(field, raw, MAX_CODE)?;
    if !code
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(AppError::bad_input(
            field,
            "may hold only A-Z, 0-9, '-', '_' and '.'",
        ));
    }
    Ok(code)
}

/// Checks a framework's name.
pub fn check_name(field: &str, raw: &str) -> AppResult<String> {
    validate::required_text(field, raw, MAX_NAME)
}

/// Checks optional prose (a description, a desired outcome); blank means none.
pub fn check_prose(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    validate::optional_prose(field, raw, MAX_PROSE)
}

/// Raw standards and levels, as an input carries them.
pub struct RawContent<'a> {
    pub standards: Vec<(&'a str, &'a str, Option<&'a str>, Option<&'a str>)>,
    pub levels: Vec<(&'a str, &'a str, i32)>,
}

/// Checks the standards and the scale of a framework: at least one standard and two levels,
/// codes unique within each, ranks unique.
pub fn check_content(raw: RawContent<'_>) -> AppResult<(Vec<StandardDraft>, Vec<LevelDraft>)> {
    if raw.standards.is_empty() || raw.standards.len() > MAX_STANDARDS {
        return Err(AppError::bad_input(
            "input.standards",
            format!("give 1 to {MAX_STANDARDS} standards"),
        ));
    }
    if raw.levels.len() < 2 || raw.levels.len() > MAX_LEVELS {
        return Err(AppError::bad_input(
            "input.levels",
            format!("give 2 to {MAX_LEVELS} levels"),
        ));
    }
    let mut codes = HashSet::new();
    let mut standards = Vec::with_capacity(raw.standards.len());
    for (i, (code, title, description, outcome)) in raw.standards.into_iter().enumerate() {
        let field = |f: &str| format!("input.standards.{i}.{f}");
        let code = check_code(&field("code"), code)?;
        if !codes.insert(code.clone()) {
            return Err(AppError::bad_input(
                field("code"),
                "another standard has this code",
            ));
        }
        standards.push(StandardDraft {
            code,
            title: validate::required_text(&field("title"), title, MAX_STANDARD_TITLE)?,
            description: check_prose(&field("description"), description)?,
            desired_outcome: check_prose(&field("desiredOutcome"), outcome)?,
        });
    }
    let (mut codes, mut ranks) = (HashSet::new(), HashSet::new());
    let mut levels = Vec::with_capacity(raw.levels.len());
    for (i, (code, label, rank)) in raw.levels.into_iter().enumerate() {
        let field = |f: &str| format!("input.levels.{i}.{f}");
        let code = check_code(&field("code"), code)?;
        if !codes.insert(code.clone()) {
            return Err(AppError::bad_input(
                field("code"),
                "another level has this code",
            ));
        }
        if !ranks.insert(rank) {
            return Err(AppError::bad_input(
                field("rank"),
                "another level has this rank",
            ));
        }
        levels.push(LevelDraft {
            code,
            label: validate::required_text(&field("label"), label, MAX_LABEL)?,
            rank,
        });
    }
    Ok((standards, levels))
}

/// Who would own a framework the caller creates: the platform (a platform administrator) or
/// the caller's panel (its managers). Anyone else may not create one.
fn new_owner(access: &Access) -> AppResult<Option<OrgId>> {
    let actor = access.actor();
    match (actor.role, actor.org_kind) {
        (Role::PlatformAdmin, _) => Ok(None),
        (Role::Manager, OrgKind::RegionalPanel) => Ok(Some(actor.org_id)),
        _ => Err(AppError::forbidden(
            "only platform administrators (shared frameworks) and regional panels' managers (their own) may write frameworks",
        )),
    }
}

/// Checks the caller may change `fw`: it is the caller's to own.
fn may_edit(access: &Access, fw: &Framework) -> AppResult<()> {
    if new_owner(access)? == fw.owner {
        Ok(())
    } else {
        Err(AppError::NotFound("framework"))
    }
}

/// A framework version with its standards and scale, as audit images record it.
#[derive(serde::Serialize)]
struct Image<'a> {
    #[serde(flatten)]
    framework: &'a Framework,
    standards: &'a [StandardDraft],
    levels: &'a [LevelDraft],
}

/// Creates the first version of a framework, as a draft.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(
    access: &Access,
    code: String,
    name: String,
    description: Option<String>,
    standards: Vec<StandardDraft>,
    levels: Vec<LevelDraft>,
) -> AppResult<Framework> {
    let owner = new_owner(access)?;
    // A code names one line of versions within its owner; it may not repeat one the caller
    // already reads either, so that `frameworks(code:)` stays unambiguous. Codes of frameworks
    // the caller cannot read (another panel's drafts) are not its business; the owner's own,
    // drafts included, are its namespace.
    let taken = framework::Entity::scoped(access)
        .filter(framework::Column::Code.eq(&code))
        .one(access.db())
        .await?
        .is_some()
        || scope::framework_rows(owner)
            .filter(framework::Column::Code.eq(&code))
            .one(access.db())
            .await?
            .is_some();
    if taken {
        return Err(AppError::bad_input(
            "input.code",
            "a framework has this code; write a new version of it instead",
        ));
    }
    let txn = access.begin_write().await?;
    let fw = insert(
        &txn,
        owner,
        code,
        name,
        description,
        1,
        None,
        &standards,
        &levels,
    )
    .await?;
    let image = Image {
        framework: &fw,
        standards: &standards,
        levels: &levels,
    };
    let org = owner.unwrap_or(access.org_id());
    audit::record(
        &txn,
        Author::from(access),
        Change::created(org, EntityType::Framework, fw.id.0, &image),
    )
    .await?;
    txn.commit().await?;
    Ok(fw)
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    txn: &impl ConnectionTrait,
    owner: Option<OrgId>,
    code: String,
    name: String,
    description: Option<String>,
    version: i32,
    predecessor: Option<FrameworkId>,
    standards: &[StandardDraft],
    levels: &[LevelDraft],
) -> AppResult<Framework> {
    let id = FrameworkId::new();
    let now = Utc::now();
    scope::insert_framework(
        owner,
        framework::ActiveModel {
            id: Set(id.0),
            owner_org_id: Set(owner.map(|o| o.0)),
            code: Set(code),
            name: Set(name),
            description: Set(description),
            version: Set(version),
            status: Set(FrameworkStatus::Draft),
            predecessor_id: Set(predecessor.map(|p| p.0)),
            revision: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            published_at: Set(None),
        },
    )
    .exec_without_returning(txn)
    .await?;
    write_content(txn, owner, id, standards, levels).await?;
    reload(txn, owner, id).await
}

/// Replaces a draft's standards and scale.
async fn write_content(
    txn: &impl ConnectionTrait,
    owner: Option<OrgId>,
    id: FrameworkId,
    standards: &[StandardDraft],
    levels: &[LevelDraft],
) -> AppResult<()> {
    let standards = standards
        .iter()
        .enumerate()
        .map(|(i, s)| standard::ActiveModel {
            id: Set(StandardId::new().0),
            framework_id: Set(id.0),
            code: Set(s.code.clone()),
            title: Set(s.title.clone()),
            description: Set(s.description.clone()),
            desired_outcome: Set(s.desired_outcome.clone()),
            position: Set(i as i32),
        })
        .collect();
    let levels = levels
        .iter()
        .map(|l| rating_level::ActiveModel {
            id: Set(RatingLevelId::new().0),
            framework_id: Set(id.0),
            code: Set(l.code.clone()),
            label: Set(l.label.clone()),
            rank: Set(l.rank),
        })
        .collect();
    scope::replace_framework_parts(txn, owner, id.0, standards, levels).await
}

/// A framework's standards and scale as drafts (to copy them, or to record them).
async fn content_of(
    txn: &impl ConnectionTrait,
    id: FrameworkId,
) -> AppResult<(Vec<StandardDraft>, Vec<LevelDraft>)> {
    let standards = scope::parts_of::<standard::Entity>(id.0)
        .order_by_asc(standard::Column::Position)
        .all(txn)
        .await?
        .into_iter()
        .map(|s| StandardDraft {
            code: s.code,
            title: s.title,
            description: s.description,
            desired_outcome: s.desired_outcome,
        })
        .collect();
    let levels = scope::parts_of::<rating_level::Entity>(id.0)
        .order_by_asc(rating_level::Column::Rank)
        .all(txn)
        .await?
        .into_iter()
        .map(|l| LevelDraft {
            code: l.code,
            label: l.label,
            rank: l.rank,
        })
        .collect();
    Ok((standards, levels))
}

/// Starts the next version of a published framework, as a draft copy of it.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn new_version(access: &Access, predecessor: FrameworkId) -> AppResult<Framework> {
    let before = get(access, predecessor).await?;
    may_edit(access, &before)?;
    if before.status != FrameworkStatus::Published {
        return Err(AppError::bad_input(
            "input.predecessorId",
            "only a published framework can have a new version; change the draft instead",
        ));
    }
    let latest: Option<Option<i32>> = scope::framework_rows(before.owner)
        .select_only()
        .expr(Func::max(Expr::col(framework::Column::Version)))
        .filter(framework::Column::Code.eq(&before.code))
        .into_tuple()
        .one(access.db())
        .await?;
    let latest = latest.flatten().unwrap_or(before.version);
    if latest != before.version {
        return Err(AppError::bad_input(
            "input.predecessorId",
            format!(
                "version {latest} of {} is the latest; start from it",
                before.code
            ),
        ));
    }
    let txn = access.begin_write().await?;
    let (standards, levels) = content_of(&txn, predecessor).await?;
    let fw = insert(
        &txn,
        before.owner,
        before.code.clone(),
        before.name.clone(),
        before.description.clone(),
        before.version + 1,
        Some(predecessor),
        &standards,
        &levels,
    )
    .await?;
    let image = Image {
        framework: &fw,
        standards: &standards,
        levels: &levels,
    };
    let org = fw.owner.unwrap_or(access.org_id());
    audit::record(
        &txn,
        Author::from(access),
        Change::created(org, EntityType::Framework, fw.id.0, &image),
    )
    .await?;
    txn.commit().await?;
    Ok(fw)
}

/// Changes to a draft; `None` leaves a part as it is.
#[derive(Clone, Debug, Default)]
pub struct DraftChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub content: Option<(Vec<StandardDraft>, Vec<LevelDraft>)>,
}

fn locked() -> AppError {
    AppError::forbidden(
        "a published framework never changes; start a new version of it (createFrameworkVersion)",
    )
}

/// Changes a draft framework.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: FrameworkId,
    revision: i32,
    changes: DraftChanges,
) -> AppResult<Framework> {
    let before = get(access, id).await?;
    may_edit(access, &before)?;
    if before.status != FrameworkStatus::Draft {
        return Err(locked());
    }
    if changes.name.is_none() && changes.description.is_none() && changes.content.is_none() {
        return Err(AppError::bad_input(
            "input",
            "give at least one field to change",
        ));
    }
    if before.revision != revision {
        return Err(AppError::stale_version("framework"));
    }
    let txn = access.begin_write().await?;
    let (before_standards, before_levels) = content_of(&txn, id).await?;
    let mut update =
        framework::Entity::update_at_version(scope::framework_row(before.owner, id.0), revision);
    if let Some(name) = &changes.name {
        update = update.col_expr(framework::Column::Name, Expr::value(name.clone()));
    }
    if let Some(description) = &changes.description {
        update = update.col_expr(
            framework::Column::Description,
            Expr::value(description.clone()),
        );
    }
    concurrency::apply(update, &txn, "framework", AppError::from).await?;
    if let Some((standards, levels)) = &changes.content {
        write_content(&txn, before.owner, id, standards, levels).await?;
    }
    let after = reload(&txn, before.owner, id).await?;
    let (after_standards, after_levels) = content_of(&txn, id).await?;
    let b = Image {
        framework: &before,
        standards: &before_standards,
        levels: &before_levels,
    };
    let a = Image {
        framework: &after,
        standards: &after_standards,
        levels: &after_levels,
    };
    let org = before.owner.unwrap_or(access.org_id());
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(org, EntityType::Framework, id.0, &b, &a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn reload(
    txn: &impl ConnectionTrait,
    owner: Option<OrgId>,
    id: FrameworkId,
) -> AppResult<Framework> {
    scope::framework_rows(owner)
        .filter(framework::Column::Id.eq(id.0))
        .one(txn)
        .await?
        .map(Framework::from)
        .ok_or(AppError::NotFound("framework"))
}

/// Publishes a draft: from now on it never changes, and organisations assess against it.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn publish(access: &Access, id: FrameworkId, revision: i32) -> AppResult<Framework> {
    let before = get(access, id).await?;
    may_edit(access, &before)?;
    if before.status != FrameworkStatus::Draft {
        return Err(locked());
    }
    if before.revision != revision {
        return Err(AppError::stale_version("framework"));
    }
    let txn = access.begin_write().await?;
    let update =
        framework::Entity::update_at_version(scope::framework_row(before.owner, id.0), revision)
            .col_expr(
                framework::Column::Status,
                Expr::value(FrameworkStatus::Published),
            )
            .col_expr(
                framework::Column::PublishedAt,
                Expr::value(Some(Utc::now())),
            );
    concurrency::apply(update, &txn, "framework", AppError::from).await?;
    let after = reload(&txn, before.owner, id).await?;
    let org = before.owner.unwrap_or(access.org_id());
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(org, EntityType::Framework, id.0, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
