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
    QuerySelect, QueryTrait, Select, SqlErr,
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
use crate::dates::london_today;
use crate::entity::{assessment, rating, rating_action, rating_evidence, rating_level, standard};
use crate::error::{AppError, AppResult};
use crate::ids::{ActionId, AssessmentId, FrameworkId, OrgId, StandardId};
use crate::pagination::{Cursor, PageArgs, Paged};
use crate::standards::{FrameworkStatus, service as frameworks};
use crate::validate;

/// The assessments the caller may read: the scoped entry point to `assessments`. Its own
/// organisation's, and its panel members' once submitted.
pub fn readable(access: &Access) -> Select<assessment::Entity> {
    assessment::Entity::scoped(access)
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
    let rows = query
        .apply_if(page.after.as_ref(), |q, after| {
            q.filter(Column::Id.lt(after.id))
        })
        .order_by_desc(Column::Id)
        .limit(page.fetch())
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
    scope::owned_rows::<assessment::Entity>(org)
        .filter(assessment::Column::Id.eq(id.0))
        .one(txn)
        .await?
        .map(Assessment::from)
        .ok_or(AppError::NotFound("assessment"))
}

/// `FORBIDDEN` unless the assessment is a draft: once submitted it is locked.
fn editable(a: &Assessment) -> AppResult<()> {
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
    let after = scope::owned_rows::<rating::Entity>(a.org_id)
        .filter(rating::Column::Id.eq(before.id))
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
