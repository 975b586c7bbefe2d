//! Reading and changing recommendations, and the history of their status.
//!
//! Every status a recommendation takes is kept with the day it took effect, so the counts of a
//! past day ("15 made, 12 discharged, 3 outstanding") can be rebuilt. The day a recommendation
//! was made is the day of its first status.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};
use tracing::instrument;
use uuid::Uuid;

use super::{
    MAX_PROSE, MAX_REFERENCE, Recommendation, RecommendationKind, RecommendationStatus, Review,
    service as reviews,
};
use crate::access::Access;
use crate::access::Purpose;
use crate::access::scope::{self, TenantOwned};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::dates::london_today;
use crate::entity::{recommendation, recommendation_status_change};
use crate::error::{AppError, AppResult};
use crate::history::{self, Corrected};
use crate::ids::{OrgId, RecommendationId, ReviewId, UserId};
use crate::validate;

/// One recommendation the caller may read.
pub async fn get(access: &Access, id: RecommendationId) -> AppResult<Recommendation> {
    scope::one::<recommendation::Entity>(access, Purpose::Detail, id.0, "recommendation")
        .await
        .map(Recommendation::from)
}

/// One recommendation of the caller's own organisation, to change it or act on it.
pub async fn get_own(access: &Access, id: RecommendationId) -> AppResult<Recommendation> {
    scope::one::<recommendation::Entity>(access, Purpose::Own, id.0, "recommendation")
        .await
        .map(Recommendation::from)
}

/// Readable recommendations among `ids`.
pub async fn by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Recommendation>> {
    Ok(recommendation::Entity::readable(access)
        .filter(recommendation::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Recommendation::from(m)))
        .collect())
}

/// The recommendations of each of `review_ids`, in the order they were added; an empty list
/// for a review without.
pub async fn of_reviews(
    access: &Access,
    review_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Recommendation>>> {
    let rows = recommendation::Entity::readable(access)
        .filter(recommendation::Column::ReviewId.is_in(review_ids.iter().copied()))
        .order_by_asc(recommendation::Column::Position)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        review_ids,
        rows,
        |r| r.review_id,
        Recommendation::from,
    ))
}

/// A new recommendation, checked.
#[derive(Clone, Debug)]
pub struct NewRecommendation {
    pub reference: String,
    pub kind: RecommendationKind,
    pub text: String,
    pub status: RecommendationStatus,
    pub target_date: Option<NaiveDate>,
    /// The day it was made; defaults to the review's reporting date, or today.
    pub made_on: Option<NaiveDate>,
}

/// Checks a reference ("R3", "AFI 2.1").
pub fn check_reference(field: &str, raw: &str) -> AppResult<String> {
    validate::required_text(field, raw, MAX_REFERENCE)
}

/// Checks a recommendation's text.
pub fn check_text(field: &str, raw: &str) -> AppResult<String> {
    validate::required_prose(field, raw, MAX_PROSE)
}

/// Adds a recommendation to a review of the caller's own organisation.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn add(
    access: &Access,
    review_id: ReviewId,
    new: NewRecommendation,
) -> AppResult<Recommendation> {
    let review = reviews::get_own(access, review_id).await?;
    access.require_role(&[Role::Manager], "add recommendations")?;
    let today = london_today();
    let made_on = new
        .made_on
        .or(review.reported_on.filter(|d| *d <= today))
        .unwrap_or(today);
    validate::not_after("input.madeOn", made_on, today)?;
    let txn = access.begin_write().await?;
    ensure_reference_free(&txn, &review, &new.reference, None).await?;
    let position = next_position(&txn, &review).await?;
    let now = Utc::now();
    let id = RecommendationId::new();
    let user = access.actor().user_id;
    let discharged = new.status == RecommendationStatus::Discharged;
    scope::insert_owned(
        review.org_id,
        recommendation::ActiveModel {
            id: Set(id.0),
            org_id: Set(review.org_id.0),
            review_id: Set(review_id.0),
            position: Set(position),
            reference: Set(new.reference),
            kind: Set(new.kind),
            text: Set(new.text),
            status: Set(new.status),
            target_date: Set(new.target_date),
            discharged_on: Set(discharged.then_some(made_on)),
            discharged_by: Set(discharged.then_some(user.0)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .exec_without_returning(&txn)
    .await
    .map_err(reference_taken_or)?;
    record_status(&txn, &review, id, new.status, made_on, Some(user), None).await?;
    let rec = reload(&txn, review.org_id, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::created(review.org_id, EntityType::Recommendation, id.0, &rec),
    )
    .await?;
    txn.commit().await?;
    Ok(rec)
}

async fn next_position(txn: &impl ConnectionTrait, review: &Review) -> AppResult<i32> {
    let max: Option<Option<i32>> = scope::owned_rows::<recommendation::Entity>(review.org_id)
        .select_only()
        .expr(Func::max(Expr::col(recommendation::Column::Position)))
        .filter(recommendation::Column::ReviewId.eq(review.id.0))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(max.flatten().map_or(0, |m| m + 1))
}

fn reference_taken() -> AppError {
    AppError::bad_input(
        "input.reference",
        "another recommendation of this review has this reference",
    )
}

/// The reference is the table's only unique key besides the (fresh, random) id.
fn reference_taken_or(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => reference_taken(),
        _ => err.into(),
    }
}

async fn ensure_reference_free(
    txn: &impl ConnectionTrait,
    review: &Review,
    reference: &str,
    except: Option<RecommendationId>,
) -> AppResult<()> {
    let mut query = scope::owned_rows::<recommendation::Entity>(review.org_id)
        .filter(recommendation::Column::ReviewId.eq(review.id.0))
        .filter(recommendation::Column::Reference.eq(reference));
    if let Some(id) = except {
        query = query.filter(recommendation::Column::Id.ne(id.0));
    }
    match query.one(txn).await? {
        Some(_) => Err(reference_taken()),
        None => Ok(()),
    }
}

async fn record_status(
    txn: &impl ConnectionTrait,
    review: &Review,
    id: RecommendationId,
    status: RecommendationStatus,
    effective_on: NaiveDate,
    by: Option<UserId>,
    correction: Option<String>,
) -> AppResult<()> {
    scope::insert_owned(
        review.org_id,
        recommendation_status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(review.org_id.0),
            recommendation_id: Set(id.0),
            status: Set(status),
            effective_on: Set(effective_on),
            changed_by: Set(by.map(|u| u.0)),
            changed_at: Set(Utc::now()),
            correction_reason: Set(correction),
        },
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn reload(
    txn: &impl ConnectionTrait,
    org: OrgId,
    id: RecommendationId,
) -> AppResult<Recommendation> {
    scope::owned_row::<recommendation::Entity>(org, id.0)
        .one(txn)
        .await?
        .map(Recommendation::from)
        .ok_or(AppError::NotFound("recommendation"))
}

/// A recommendation's status history as known now, in the order it took effect.
async fn status_history(
    txn: &impl ConnectionTrait,
    org: OrgId,
    id: RecommendationId,
) -> AppResult<Vec<(RecommendationStatus, NaiveDate)>> {
    Ok(
        scope::owned_rows::<recommendation_status_change::Entity>(org)
            .filter(recommendation_status_change::Column::RecommendationId.eq(id.0))
            .order_by_asc(recommendation_status_change::Column::EffectiveOn)
            .order_by_asc(recommendation_status_change::Column::Id)
            .all(txn)
            .await?
            .into_iter()
            .map(|h| (h.status, h.effective_on))
            .collect(),
    )
}

/// Changes to a recommendation; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct RecommendationChanges {
    pub reference: Option<String>,
    pub kind: Option<RecommendationKind>,
    pub text: Option<String>,
    pub status: Option<RecommendationStatus>,
    /// The day a status change took effect; defaults to today.
    pub status_on: Option<NaiveDate>,
    /// `Some(None)` clears it.
    pub target_date: Option<Option<NaiveDate>>,
    /// Why, when the status is dated before its latest (a correction).
    pub correction_reason: Option<String>,
}

/// Changes a recommendation of the caller's own organisation. Discharging it records who and
/// when; every status change joins its history.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: RecommendationId,
    version: i32,
    changes: RecommendationChanges,
) -> AppResult<Recommendation> {
    let before = get_own(access, id).await?;
    access.require_role(&[Role::Manager], "change recommendations")?;
    if changes.status_on.is_some() && changes.status.is_none() {
        return Err(AppError::bad_input(
            "input.statusOn",
            "only goes with a new status",
        ));
    }
    let nothing = changes.reference.is_none()
        && changes.kind.is_none()
        && changes.text.is_none()
        && changes.status.is_none()
        && changes.target_date.is_none();
    if nothing {
        return Err(AppError::bad_input(
            "input",
            "give at least one field to change",
        ));
    }
    if before.version != version {
        return Err(AppError::stale_version("recommendation"));
    }
    let review = reviews::get_own(access, before.review_id).await?;
    let txn = access.begin_write().await?;
    let mut update = recommendation::Entity::update_at_version(
        scope::own_row::<recommendation::Entity>(
            access.org_id(),
            recommendation::Column::Id.eq(id.0),
        ),
        version,
    );
    if let Some(reference) = &changes.reference {
        ensure_reference_free(&txn, &review, reference, Some(id)).await?;
        update = update.col_expr(
            recommendation::Column::Reference,
            Expr::value(reference.clone()),
        );
    }
    if let Some(kind) = changes.kind {
        update = update.col_expr(recommendation::Column::Kind, Expr::value(kind));
    }
    if let Some(text) = &changes.text {
        update = update.col_expr(recommendation::Column::Text, Expr::value(text.clone()));
    }
    if let Some(target) = changes.target_date {
        update = update.col_expr(recommendation::Column::TargetDate, Expr::value(target));
    }
    let mut correction = None;
    if let Some(status) = changes.status {
        let today = london_today();
        let on = changes.status_on.unwrap_or(today);
        validate::not_after("input.statusOn", on, today)?;
        let mut history = status_history(&txn, review.org_id, id).await?;
        let made_on = history.first().map_or(on, |(_, d)| *d);
        validate::not_before("input.statusOn", on, made_on, "the day it was made")?;
        // The history is read in the order it happened: a change slipped in before one already
        // recorded is a correction.
        correction = history::admit(
            access,
            "input.statusOn",
            on,
            history.last().map(|(_, d)| *d),
            "its latest status change",
            "input.correctionReason",
            changes.correction_reason.as_deref(),
        )?;
        if history::in_force(&history, on).map(|(s, _)| s) != Some(status) {
            let user = Some(access.actor().user_id);
            record_status(&txn, &review, id, status, on, user, correction.clone()).await?;
            let upto = history.partition_point(|(_, d)| *d <= on);
            history.insert(upto, (status, on));
        }
        // The recommendation's own columns follow the latest entry of its history.
        let (latest, since) =
            history::in_force(&history, NaiveDate::MAX).expect("at least the new status");
        let run = (latest == RecommendationStatus::Discharged).then_some(since);
        let discharged_by = match (latest, before.status) {
            (RecommendationStatus::Discharged, RecommendationStatus::Discharged) => {
                before.discharged_by.map(|u| u.0)
            }
            (RecommendationStatus::Discharged, _) => Some(access.actor().user_id.0),
            _ => None,
        };
        update = update
            .col_expr(recommendation::Column::Status, Expr::value(latest))
            .col_expr(recommendation::Column::DischargedOn, Expr::value(run))
            .col_expr(
                recommendation::Column::DischargedBy,
                Expr::value(discharged_by),
            );
    }
    concurrency::apply(update, &txn, "recommendation", reference_taken_or).await?;
    let after = reload(&txn, review.org_id, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(
            before.org_id,
            EntityType::Recommendation,
            id.0,
            &Corrected::new(&before, None),
            &Corrected::new(&after, correction.as_deref()),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
