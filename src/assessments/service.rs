//! Writing and reading assessments and their ratings.
//!
//! An organisation's own users read all its assessments; the panels it belongs to read those
//! submitted (never drafts). Only the organisation's managers create, submit, reopen and
//! publish; managers and contributors rate while the assessment is a draft.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, PaginatorTrait, QueryFilter, QueryOrder,
    QueryTrait, Select, SqlErr,
};
use tracing::instrument;
use uuid::Uuid;

use super::{Assessment, AssessmentStatus, Rating, RatingEvidence, Tier};
use crate::access::scope::{self, Scoped};
use crate::access::{Access, Purpose};
use crate::actions::Action;
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::dates::{london_date, london_today};
use crate::entity::{assessment, rating, rating_action, rating_evidence, standard};
use crate::error::{AppError, AppResult};
use crate::history::AsAt;
use crate::ids::{AssessmentId, FrameworkId, OrgId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};
use crate::standards::{FrameworkStatus, service as frameworks};
use crate::validate;

/// The assessments the caller may read: the scoped entry point to `assessments`. Its own
/// organisation's, and its panel members' once submitted.
pub fn readable(access: &Access) -> Select<assessment::Entity> {
    assessment::Entity::scoped(access)
}

/// The assessments the caller may read that had been submitted by the day of the moment `at`
/// is as known at (all of them, as known now). Ratings keep no history: a submitted assessment
/// is read as it is now.
pub fn readable_as_known(access: &Access, at: AsAt) -> Select<assessment::Entity> {
    let query = readable(access);
    match at.known {
        Some(known) => query.filter(assessment::Column::SubmittedOn.lte(london_date(known))),
        None => query,
    }
}

/// Whether the caller reads the detail of `org`'s ratings (position statements, evidence,
/// linked actions), not only their levels.
pub fn reads_detail(access: &Access, org: OrgId) -> bool {
    access.orgs(Purpose::Detail).contains(org.0)
}

/// One assessment the caller may read.
pub async fn get(access: &Access, id: AssessmentId) -> AppResult<Assessment> {
    readable(access)
        .filter(assessment::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Assessment::from)
        .ok_or(AppError::NotFound("assessment"))
}

/// One assessment of the caller's own organisation, to change it.
pub async fn get_own(access: &Access, id: AssessmentId) -> AppResult<Assessment> {
    readable(access)
        .filter(
            access
                .orgs(Purpose::Own)
                .condition(assessment::Column::OrgId),
        )
        .filter(assessment::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(Assessment::from)
        .ok_or(AppError::NotFound("assessment"))
}

/// Readable assessments among `ids`.
pub async fn by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Assessment>> {
    Ok(readable(access)
        .filter(assessment::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Assessment::from(m)))
        .collect())
}

/// Which assessments a list shows.
#[derive(Clone, Debug, Default)]
pub struct AssessmentFilter {
    pub organisation: Option<OrgId>,
    pub framework: Option<FrameworkId>,
    pub cycle: Option<String>,
    pub tier: Option<Tier>,
    pub status: Option<AssessmentStatus>,
}

/// The assessments the caller may read, most recently started first.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    filter: AssessmentFilter,
    page: PageArgs,
) -> AppResult<Paged<Assessment>> {
    use assessment::Column;
    let query = readable(access)
        .apply_if(filter.organisation, |q, o| q.filter(Column::OrgId.eq(o.0)))
        .apply_if(filter.framework, |q, f| {
            q.filter(Column::FrameworkId.eq(f.0))
        })
        .apply_if(filter.cycle, |q, c| q.filter(Column::Cycle.eq(c)))
        .apply_if(filter.tier, |q, t| q.filter(Column::Tier.eq(t)))
        .apply_if(filter.status, |q, s| q.filter(Column::Status.eq(s)));
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(query, None, Column::Id, Sort::Descending, no_key)?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::by_id(m.id),
        Assessment::from,
    ))
}

/// The ratings of each of `assessment_ids` (readable ones only), in the order of the
/// framework's standards.
pub async fn ratings_of(
    access: &Access,
    assessment_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Rating>>> {
    let rows: Vec<(rating::Model, Option<standard::Model>)> = rating::Entity::scoped(access)
        .filter(rating::Column::AssessmentId.is_in(assessment_ids.iter().copied()))
        .find_also_related(standard::Entity)
        .order_by_asc(standard::Column::Position)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        assessment_ids,
        rows,
        |(r, _)| r.assessment_id,
        |(r, _)| Rating::from(r),
    ))
}

/// Readable ratings among `ids`.
pub async fn ratings_by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Rating>> {
    Ok(rating::Entity::scoped(access)
        .filter(rating::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Rating::from(m)))
        .collect())
}

/// One rating the caller may read.
pub async fn get_rating(access: &Access, id: crate::ids::RatingId) -> AppResult<Rating> {
    ratings_by_ids(access, vec![id.0])
        .await?
        .remove(&id.0)
        .ok_or(AppError::NotFound("rating"))
}

/// One piece of rating evidence the caller reads in detail.
pub async fn get_evidence(
    access: &Access,
    id: crate::ids::RatingEvidenceId,
) -> AppResult<RatingEvidence> {
    rating_evidence::Entity::scoped(access)
        .filter(rating_evidence::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .map(RatingEvidence::from)
        .ok_or(AppError::NotFound("rating evidence"))
}

/// The evidence of each of `rating_ids`, for ratings whose detail the caller reads.
pub async fn evidence_of(
    access: &Access,
    rating_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<RatingEvidence>>> {
    let rows = rating_evidence::Entity::scoped(access)
        .filter(rating_evidence::Column::RatingId.is_in(rating_ids.iter().copied()))
        .order_by_asc(rating_evidence::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        rating_ids,
        rows,
        |r| r.rating_id,
        RatingEvidence::from,
    ))
}

/// The actions linked to each of `rating_ids`, as they stand today, for ratings whose detail
/// the caller reads.
pub async fn actions_of(
    access: &Access,
    rating_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Action>>> {
    let links = rating_action::Entity::scoped(access)
        .filter(rating_action::Column::RatingId.is_in(rating_ids.iter().copied()))
        .all(access.db())
        .await?;
    let actions =
        crate::actions::service::by_ids(access, links.iter().map(|l| l.action_id).collect())
            .await?;
    let mut out: HashMap<Uuid, Vec<Action>> =
        rating_ids.into_iter().map(|id| (id, Vec::new())).collect();
    for link in links {
        if let Some(action) = actions.get(&link.action_id) {
            out.entry(link.rating_id).or_default().push(action.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|a| a.due_on);
    }
    Ok(out)
}

fn duplicate() -> AppError {
    AppError::bad_input(
        "input.cycle",
        "the organisation already has an assessment of this framework for this cycle and tier",
    )
}

/// The one unique key of `assessments` besides the (fresh, random) id.
fn duplicate_or(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => duplicate(),
        _ => err.into(),
    }
}

/// Starts an assessment of the caller's own organisation against a published framework, with
/// one (unrated) rating per standard.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(
    access: &Access,
    framework: FrameworkId,
    cycle: String,
    tier: Tier,
) -> AppResult<Assessment> {
    access.require_role(&[Role::Manager], "start assessments")?;
    let fw = frameworks::get(access, framework).await.map_err(|_| {
        AppError::bad_input("input.frameworkId", "no framework you may read has this id")
    })?;
    if fw.status != FrameworkStatus::Published {
        return Err(AppError::bad_input(
            "input.frameworkId",
            "assess against a published framework",
        ));
    }
    let own = access.org_id();
    let exists = scope::owned_rows::<assessment::Entity>(own)
        .filter(assessment::Column::FrameworkId.eq(framework.0))
        .filter(assessment::Column::Cycle.eq(&cycle))
        .filter(assessment::Column::Tier.eq(tier))
        .one(access.db())
        .await?;
    if exists.is_some() {
        return Err(duplicate());
    }
    let standards = frameworks::standards_of(access, vec![framework.0])
        .await?
        .remove(&framework.0)
        .unwrap_or_default();
    let id = AssessmentId::new();
    let now = Utc::now();
    let txn = access.begin_write().await?;
    scope::insert_owned(
        own,
        assessment::ActiveModel {
            id: Set(id.0),
            org_id: Set(own.0),
            framework_id: Set(framework.0),
            cycle: Set(cycle),
            tier: Set(tier),
            status: Set(AssessmentStatus::Draft),
            submitted_on: Set(None),
            submitted_by: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .exec_without_returning(&txn)
    .await
    .map_err(duplicate_or)?;
    scope::insert_many_owned(
        own,
        standards.iter().map(|s| rating::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(own.0),
            assessment_id: Set(id.0),
            standard_id: Set(s.id.0),
            level_id: Set(None),
            position_statement: Set(None),
            version: Set(1),
            updated_by: Set(None),
            updated_at: Set(now),
        }),
    )
    .exec_without_returning(&txn)
    .await?;
    let created = reload(&txn, own, id).await?;
    audit::record(
        &txn,
        Author::from(access),
        Change::created(own, EntityType::Assessment, id.0, &created),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// An assessment of `org`'s, read again within the write that changed it.
pub(crate) async fn reload(
    txn: &impl ConnectionTrait,
    org: OrgId,
    id: AssessmentId,
) -> AppResult<Assessment> {
    scope::owned_row::<assessment::Entity>(org, id.0)
        .one(txn)
        .await?
        .map(Assessment::from)
        .ok_or(AppError::NotFound("assessment"))
}

/// Moves an assessment of the caller's own organisation from one status to another, as its
/// managers may.
async fn transition(
    access: &Access,
    id: AssessmentId,
    version: i32,
    from: AssessmentStatus,
    to: AssessmentStatus,
    what: &str,
    reason: Option<String>,
) -> AppResult<Assessment> {
    let before = get_own(access, id).await?;
    access.require_role(&[Role::Manager], what)?;
    if before.status != from {
        return Err(AppError::forbidden(format!(
            "only a {} assessment can be {what}; this one is {}",
            from.code().to_lowercase(),
            before.status.code().to_lowercase()
        )));
    }
    if before.version != version {
        return Err(AppError::stale_version("assessment"));
    }
    if to == AssessmentStatus::Submitted {
        let unrated = scope::owned_rows::<rating::Entity>(before.org_id)
            .filter(rating::Column::AssessmentId.eq(id.0))
            .filter(rating::Column::LevelId.is_null())
            .count(access.db())
            .await?;
        if unrated > 0 {
            return Err(AppError::bad_input(
                "input.id",
                format!("{unrated} standards are not rated yet"),
            ));
        }
    }
    let txn = access.begin_write().await?;
    let submitted = to == AssessmentStatus::Submitted;
    let mut update = assessment::Entity::update_at_version(
        crate::access::scope::own_row::<assessment::Entity>(
            access.org_id(),
            assessment::Column::Id.eq(id.0),
        ),
        version,
    )
    .col_expr(assessment::Column::Status, Expr::value(to));
    if submitted {
        update = update
            .col_expr(
                assessment::Column::SubmittedOn,
                Expr::value(Some(london_today())),
            )
            .col_expr(
                assessment::Column::SubmittedBy,
                Expr::value(Some(access.actor().user_id.0)),
            );
    }
    concurrency::apply(update, &txn, "assessment", AppError::from).await?;
    let after = reload(&txn, before.org_id, id).await?;
    #[derive(serde::Serialize)]
    struct Image<'a> {
        #[serde(flatten)]
        assessment: &'a Assessment,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    }
    let b = Image {
        assessment: &before,
        reason: None,
    };
    let a = Image {
        assessment: &after,
        reason,
    };
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(before.org_id, EntityType::Assessment, id.0, &b, &a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Submits a draft with every standard rated: it is locked from now on.
pub async fn submit(access: &Access, id: AssessmentId, version: i32) -> AppResult<Assessment> {
    transition(
        access,
        id,
        version,
        AssessmentStatus::Draft,
        AssessmentStatus::Submitted,
        "submitted",
        None,
    )
    .await
}

/// Reopens a submitted assessment to change it: a manager's explicit act, recorded with its
/// reason.
pub async fn reopen(
    access: &Access,
    id: AssessmentId,
    version: i32,
    reason: String,
) -> AppResult<Assessment> {
    let reason = validate::required_prose("input.reason", &reason, crate::actions::MAX_REASON)?;
    transition(
        access,
        id,
        version,
        AssessmentStatus::Submitted,
        AssessmentStatus::Draft,
        "reopened",
        Some(reason),
    )
    .await
}

/// Publishes a moderated assessment.
pub async fn publish(access: &Access, id: AssessmentId, version: i32) -> AppResult<Assessment> {
    transition(
        access,
        id,
        version,
        AssessmentStatus::Moderated,
        AssessmentStatus::Published,
        "published",
        None,
    )
    .await
}

/// Marks `member`'s assessment moderated (its panel completed its moderation); called inside
/// the panel's own savepoint, the member named in the statement.
pub(crate) async fn mark_moderated(
    txn: &impl ConnectionTrait,
    member: OrgId,
    id: AssessmentId,
) -> AppResult<()> {
    scope::update_owned::<assessment::Entity>(member)
        .col_expr(
            assessment::Column::Status,
            Expr::value(AssessmentStatus::Moderated),
        )
        .col_expr(
            assessment::Column::Version,
            Expr::col(assessment::Column::Version).add(1),
        )
        .col_expr(assessment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(assessment::Column::Id.eq(id.0))
        .filter(assessment::Column::Status.eq(AssessmentStatus::Submitted))
        .exec(txn)
        .await?;
    Ok(())
}
