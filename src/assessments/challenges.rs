//! The panels' side of assurance: challenge sessions on members' submitted assessments, and the
//! moderated level of each standard.
//!
//! A challenge and its moderations belong to the panel that held it, and concern the
//! organisation challenged: both read them, nobody else. Only the panel's managers write them,
//! and only for members' assessments that are submitted.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, Select};
use tracing::instrument;
use uuid::Uuid;

use super::service::{self as assessments, mark_moderated};
use super::{Assessment, AssessmentStatus, Challenge, Moderation, Outcome, Tier};
use crate::access::scope::{self, Scoped};
use crate::access::{Access, Purpose};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::dates::london_today;
use crate::entity::{challenge, moderation, rating, standard};
use crate::error::{AppError, AppResult};
use crate::ids::{AssessmentId, ChallengeId, ModerationId, OrgId, StandardId};
use crate::organisations::OrgKind;
use crate::validate;

/// Challenges the caller may read: those its panel held, and those of its own assessments
/// (the rule is `access::scope`'s).
pub fn readable(access: &Access) -> Select<challenge::Entity> {
    challenge::Entity::scoped(access)
}

/// Moderations the caller may read, by the same rule as challenges.
pub fn readable_moderations(access: &Access) -> Select<moderation::Entity> {
    moderation::Entity::scoped(access)
}

/// One challenge the caller may read.
pub async fn get(access: &Access, id: ChallengeId) -> AppResult<Challenge> {
    readable(access)
        .filter(challenge::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Challenge::from)
        .ok_or(AppError::NotFound("challenge"))
}

/// One moderation the caller may read.
pub async fn get_moderation(access: &Access, id: ModerationId) -> AppResult<Moderation> {
    readable_moderations(access)
        .filter(moderation::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Moderation::from)
        .ok_or(AppError::NotFound("moderation"))
}

/// The challenges of each of `assessment_ids` the caller may read, latest first.
pub async fn of_assessments(
    access: &Access,
    assessment_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Challenge>>> {
    let rows = readable(access)
        .filter(challenge::Column::AssessmentId.is_in(assessment_ids.iter().copied()))
        .order_by_desc(challenge::Column::HeldOn)
        .order_by_desc(challenge::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        assessment_ids,
        rows,
        |r| r.assessment_id,
        Challenge::from,
    ))
}

/// The moderations the caller may read, of each of `assessment_ids`, oldest first (the last
/// of each standard is in force).
pub async fn moderations_of(
    access: &Access,
    assessment_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Moderation>>> {
    let rows = readable_moderations(access)
        .filter(moderation::Column::AssessmentId.is_in(assessment_ids.iter().copied()))
        .order_by_asc(moderation::Column::CreatedAt)
        .order_by_asc(moderation::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        assessment_ids,
        rows,
        |r| r.assessment_id,
        Moderation::from,
    ))
}

/// The moderations of each of `challenge_ids` the caller may read.
pub async fn moderations_of_challenges(
    access: &Access,
    challenge_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Moderation>>> {
    let rows = readable_moderations(access)
        .filter(moderation::Column::ChallengeId.is_in(challenge_ids.iter().copied()))
        .order_by_asc(moderation::Column::CreatedAt)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        challenge_ids,
        rows,
        |r| r.challenge_id,
        Moderation::from,
    ))
}

/// Checks the caller manages a panel, and returns the member's assessment it means to
/// challenge. A non-member's assessment, or a draft, is not found.
async fn challengeable(access: &Access, id: AssessmentId) -> AppResult<Assessment> {
    if access.actor().org_kind != OrgKind::RegionalPanel {
        return Err(AppError::forbidden(
            "only regional panels challenge assessments",
        ));
    }
    let a = assessments::get(access, id).await?;
    if !access.orgs(Purpose::PanelMembers).contains(a.org_id.0) {
        return Err(AppError::NotFound("assessment"));
    }
    access.require_role(&[Role::Manager], "record challenges")?;
    if !matches!(
        a.status,
        AssessmentStatus::Submitted | AssessmentStatus::Moderated
    ) {
        return Err(AppError::forbidden(format!(
            "only a submitted assessment can be challenged; this one is {}",
            a.status.code().to_lowercase()
        )));
    }
    Ok(a)
}

/// Records a challenge session of the caller's panel on a member's submitted assessment.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn record(
    access: &Access,
    assessment: AssessmentId,
    held_on: NaiveDate,
    tier: Tier,
    attendees: Option<String>,
) -> AppResult<Challenge> {
    let a = challengeable(access, assessment).await?;
    validate::not_after("input.heldOn", held_on, london_today())?;
    let row = challenge::Model {
        id: ChallengeId::new().0,
        panel_id: access.org_id().0,
        org_id: a.org_id.0,
        assessment_id: a.id.0,
        held_on,
        tier,
        attendees,
        completed: false,
        created_by: Some(access.actor().user_id.0),
        created_at: Utc::now(),
    };
    let txn = access.begin_write().await?;
    scope::insert_owned(access.org_id(), challenge::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let created = Challenge::from(row);
    let change = Change::created(
        access.org_id(),
        EntityType::Challenge,
        created.id.0,
        &created,
    )
    .concerning(a.org_id);
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(created)
}

/// A challenge of the caller's own panel that is still open, with its assessment.
async fn open_challenge(access: &Access, id: ChallengeId) -> AppResult<(Challenge, Assessment)> {
    let c = get(access, id).await?;
    if c.panel_id != access.org_id() {
        return Err(AppError::NotFound("challenge"));
    }
    let a = challengeable(access, c.assessment_id).await?;
    if c.completed {
        return Err(AppError::forbidden(
            "this challenge session is complete; record a new one",
        ));
    }
    Ok((c, a))
}

/// Records the panel's moderated level of one standard in a challenge session, with an outcome
/// consistent with the organisation's own level (agreed: the same; adjusted: another). A
/// second moderation of the same standard in the same session replaces the first.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn moderate(
    access: &Access,
    challenge_id: ChallengeId,
    standard_id: StandardId,
    level: &str,
    outcome: Outcome,
    comment: Option<String>,
) -> AppResult<Moderation> {
    let (c, a) = open_challenge(access, challenge_id).await?;
    // The framework is reached through the assessment the panel challenges.
    let standard = scope::parts_of::<standard::Entity>(a.framework_id.0)
        .filter(standard::Column::Id.eq(standard_id.0))
        .one(access.db())
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "input.standardId",
                "not a standard of this assessment's framework",
            )
        })?;
    let level =
        crate::standards::service::level_of_scale(access.db(), a.framework_id, level).await?;
    let own_level = rating::Entity::scoped(access)
        .filter(rating::Column::AssessmentId.eq(a.id.0))
        .filter(rating::Column::StandardId.eq(standard.id))
        .one(access.db())
        .await?
        .and_then(|r| r.level_id);
    let same = own_level == Some(level.id.0);
    match outcome {
        Outcome::Agreed if !same => {
            return Err(AppError::bad_input(
                "input.outcome",
                "AGREED keeps the organisation's own level; use ADJUSTED for another",
            ));
        }
        Outcome::Adjusted if same => {
            return Err(AppError::bad_input(
                "input.outcome",
                "ADJUSTED moves the level; the level given is the organisation's own",
            ));
        }
        _ => {}
    }
    let txn = access.begin_write().await?;
    let earlier = scope::owned_rows::<moderation::Entity>(c.panel_id)
        .filter(moderation::Column::ChallengeId.eq(c.id.0))
        .filter(moderation::Column::StandardId.eq(standard.id))
        .one(&txn)
        .await?
        .map(Moderation::from);
    if let Some(earlier) = &earlier {
        scope::delete_owned::<moderation::Entity>(c.panel_id)
            .filter(moderation::Column::Id.eq(earlier.id.0))
            .exec(&txn)
            .await?;
    }
    let row = moderation::Model {
        id: ModerationId::new().0,
        panel_id: c.panel_id.0,
        org_id: c.org_id.0,
        assessment_id: a.id.0,
        challenge_id: c.id.0,
        standard_id: standard.id,
        level_id: level.id.0,
        outcome,
        comment,
        created_by: Some(access.actor().user_id.0),
        created_at: Utc::now(),
    };
    scope::insert_owned(c.panel_id, moderation::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let created = Moderation::from(row);
    let change = match &earlier {
        Some(earlier) => Change::updated(
            c.panel_id,
            EntityType::Moderation,
            created.id.0,
            earlier,
            &created,
        ),
        None => Change::created(c.panel_id, EntityType::Moderation, created.id.0, &created),
    };
    audit::record(&txn, Author::from(access), change.concerning(c.org_id)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Completes a challenge session in which every standard was moderated: the assessment is
/// moderated from now on.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn complete(access: &Access, challenge_id: ChallengeId) -> AppResult<Challenge> {
    let (c, a) = open_challenge(access, challenge_id).await?;
    // Counted directly: the assessment is the panel's to read, and with it the shape of its
    // framework, even when the framework belongs to another panel.
    let standards = scope::parts_of::<standard::Entity>(a.framework_id.0)
        .count(access.db())
        .await?;
    let moderated = scope::owned_rows::<moderation::Entity>(c.panel_id)
        .filter(moderation::Column::ChallengeId.eq(c.id.0))
        .count(access.db())
        .await?;
    let missing = standards.saturating_sub(moderated);
    if missing > 0 {
        return Err(AppError::bad_input(
            "input.challengeId",
            format!("{missing} standards are not moderated in this session yet"),
        ));
    }
    let txn = access.begin_write().await?;
    scope::update_owned::<challenge::Entity>(c.panel_id)
        .col_expr(challenge::Column::Completed, Expr::value(true))
        .filter(challenge::Column::Id.eq(c.id.0))
        .exec(&txn)
        .await?;
    mark_moderated(&txn, a.org_id, a.id).await?;
    let after = reload(&txn, c.panel_id, c.id).await?;
    let change =
        Change::updated(c.panel_id, EntityType::Challenge, c.id.0, &c, &after).concerning(c.org_id);
    audit::record(&txn, Author::from(access), change).await?;
    txn.commit().await?;
    Ok(after)
}

async fn reload(txn: &impl ConnectionTrait, panel: OrgId, id: ChallengeId) -> AppResult<Challenge> {
    scope::owned_row::<challenge::Entity>(panel, id.0)
        .one(txn)
        .await?
        .map(Challenge::from)
        .ok_or(AppError::NotFound("challenge"))
}
