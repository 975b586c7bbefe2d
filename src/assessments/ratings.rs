//! Rating the standards of a draft assessment: a level of the framework's scale and a position
//! statement, evidence, and links to the actions that will close the gap. Managers and
//! contributors of the assessment's own organisation rate while it is a draft; every change is
//! audited with the rating's image before and after.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use tracing::instrument;
use uuid::Uuid;

use super::{Assessment, AssessmentStatus, Rating, RatingEvidence};
use crate::access::Access;
use crate::access::scope::{self};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self};
use crate::entity::{rating, rating_action, rating_evidence, rating_level, standard};
use crate::error::{AppError, AppResult};
use crate::ids::{ActionId, AssessmentId, FrameworkId, OrgId, StandardId};

use super::service::get_own;

/// `FORBIDDEN` unless the assessment is a draft: once submitted it is locked.
pub(crate) fn editable(a: &Assessment) -> AppResult<()> {
    if a.status == AssessmentStatus::Draft {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "the assessment is {} and locked; a manager may reopen a submitted assessment to change it",
            a.status.code().to_lowercase()
        )))
    }
}

/// An assessment of the caller's own organisation that the caller may edit now, and its
/// rating of `standard`.
async fn editable_rating(
    access: &Access,
    id: AssessmentId,
    standard: StandardId,
    what: &str,
) -> AppResult<(Assessment, rating::Model)> {
    let a = get_own(access, id).await?;
    access.require_role(&[Role::Manager, Role::Contributor], what)?;
    editable(&a)?;
    let rating = scope::owned_rows::<rating::Entity>(a.org_id)
        .filter(rating::Column::AssessmentId.eq(id.0))
        .filter(rating::Column::StandardId.eq(standard.0))
        .one(access.db())
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.standardId",
                "not a standard of this assessment's framework",
            )
        })?;
    Ok((a, rating))
}

/// A rating, as audit images record it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RatingImage {
    standard: String,
    level: Option<String>,
    position_statement: Option<String>,
    evidence: Vec<String>,
    actions: Vec<String>,
}

async fn rating_image(
    txn: &impl ConnectionTrait,
    framework: FrameworkId,
    rating: &rating::Model,
) -> AppResult<RatingImage> {
    // The rating's framework is reached through its assessment.
    let standard = scope::parts_of::<standard::Entity>(framework.0)
        .filter(standard::Column::Id.eq(rating.standard_id))
        .one(txn)
        .await?;
    let level = match rating.level_id {
        Some(level) => scope::parts_of::<rating_level::Entity>(framework.0)
            .filter(rating_level::Column::Id.eq(level))
            .one(txn)
            .await?
            .map(|l| l.code),
        None => None,
    };
    let evidence = scope::owned_rows::<rating_evidence::Entity>(OrgId(rating.org_id))
        .filter(rating_evidence::Column::RatingId.eq(rating.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|e| e.title)
        .collect();
    let actions = scope::owned_rows::<rating_action::Entity>(OrgId(rating.org_id))
        .filter(rating_action::Column::RatingId.eq(rating.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| ActionId(l.action_id).to_string())
        .collect();
    Ok(RatingImage {
        standard: standard.map(|s| s.code).unwrap_or_default(),
        level,
        position_statement: rating.position_statement.clone(),
        evidence,
        actions,
    })
}

/// Records a rating's change, with its images before and after.
async fn audit_rating(
    txn: &impl ConnectionTrait,
    access: &Access,
    a: &Assessment,
    before: &rating::Model,
) -> AppResult<Rating> {
    let b = rating_image(txn, a.framework_id, before).await?;
    let after = scope::owned_row::<rating::Entity>(a.org_id, before.id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("rating"))?;
    let img = rating_image(txn, a.framework_id, &after).await?;
    audit::record(
        txn,
        Author::from(access),
        Change::updated(a.org_id, EntityType::Rating, before.id, &b, &img),
    )
    .await?;
    Ok(Rating::from(after))
}

/// Rates one standard of a draft assessment: a level of the framework's scale (by code) and a
/// position statement.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn rate(
    access: &Access,
    id: AssessmentId,
    standard: StandardId,
    version: i32,
    level: &str,
    position_statement: Option<String>,
) -> AppResult<Rating> {
    let (a, before) = editable_rating(access, id, standard, "rate standards").await?;
    let level =
        crate::standards::service::level_of_scale(access.db(), a.framework_id, level).await?;
    if before.version != version {
        return Err(AppError::stale_version("rating"));
    }
    let txn = access.begin_write().await?;
    let update = crate::access::scope::update_owned::<rating::Entity>(access.org_id())
        .col_expr(rating::Column::LevelId, Expr::value(Some(level.id.0)))
        .col_expr(
            rating::Column::PositionStatement,
            Expr::value(position_statement),
        )
        .col_expr(rating::Column::Version, Expr::value(version + 1))
        .col_expr(
            rating::Column::UpdatedBy,
            Expr::value(Some(access.actor().user_id.0)),
        )
        .col_expr(rating::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(rating::Column::Id.eq(before.id))
        .filter(rating::Column::Version.eq(version));
    concurrency::apply(update, &txn, "rating", AppError::from).await?;
    let rating = audit_rating(&txn, access, &a, &before).await?;
    txn.commit().await?;
    Ok(rating)
}

/// Attaches evidence to a rating of a draft assessment.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn attach_evidence(
    access: &Access,
    id: AssessmentId,
    standard: StandardId,
    new: crate::progress::service::NewEvidence,
) -> AppResult<RatingEvidence> {
    let (a, before) = editable_rating(access, id, standard, "attach evidence").await?;
    let row = rating_evidence::Model {
        id: Uuid::now_v7(),
        org_id: a.org_id.0,
        rating_id: before.id,
        title: new.title,
        url: new.url,
        reference: new.reference,
        added_by: Some(access.actor().user_id.0),
        added_at: Utc::now(),
    };
    let txn = access.begin_write().await?;
    scope::insert_owned(a.org_id, rating_evidence::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit_rating(&txn, access, &a, &before).await?;
    txn.commit().await?;
    Ok(RatingEvidence::from(row))
}

/// Links an action of the caller's own organisation to a rating of a draft assessment (the
/// action that will close the gap), or unlinks it.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn link_action(
    access: &Access,
    id: AssessmentId,
    standard: StandardId,
    action: ActionId,
    linked: bool,
) -> AppResult<Rating> {
    let (a, before) = editable_rating(access, id, standard, "link actions").await?;
    crate::actions::service::get_own(access, action)
        .await
        .map_err(|_| {
            AppError::bad_input(
                "input.actionId",
                "no action of your organisation has this id",
            )
        })?;
    let present = scope::owned_rows::<rating_action::Entity>(a.org_id)
        .filter(rating_action::Column::RatingId.eq(before.id))
        .filter(rating_action::Column::ActionId.eq(action.0))
        .one(access.db())
        .await?
        .is_some();
    if present == linked {
        return Ok(Rating::from(before));
    }
    let txn = access.begin_write().await?;
    if linked {
        scope::insert_owned(
            a.org_id,
            rating_action::ActiveModel {
                rating_id: Set(before.id),
                action_id: Set(action.0),
                org_id: Set(a.org_id.0),
            },
        )
        .exec_without_returning(&txn)
        .await?;
    } else {
        scope::delete_owned::<rating_action::Entity>(a.org_id)
            .filter(rating_action::Column::RatingId.eq(before.id))
            .filter(rating_action::Column::ActionId.eq(action.0))
            .exec(&txn)
            .await?;
    }
    let rating = audit_rating(&txn, access, &a, &before).await?;
    txn.commit().await?;
    Ok(rating)
}
