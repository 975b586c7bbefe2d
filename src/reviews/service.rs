//! Reading and changing reviews and their judgements.
//!
//! Reviews are detail: the caller's own organisation's, and those of panel members that share
//! detail with the caller's panel. Only the owning organisation's managers change them.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QueryTrait,
};
use tracing::instrument;
use uuid::Uuid;

use super::{
    Grade, Judgement, MAX_AREA, MAX_JUDGEMENTS, MAX_PROSE, MAX_REVIEWER, MAX_TITLE, MAX_URL,
    Review, ReviewKind, ReviewStatus,
};
use crate::access::Access;
use crate::access::Purpose;
use crate::access::scope::{self, TenantOwned};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::concurrency::{self, Versioned};
use crate::entity::{review, review_judgement};
use crate::error::{AppError, AppResult};
use crate::ids::{OrgId, ReviewId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};
use crate::validate;

/// One review the caller may read.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn get(access: &Access, id: ReviewId) -> AppResult<Review> {
    scope::one::<review::Entity>(access, Purpose::Detail, id.0, "review")
        .await
        .map(Review::from)
}

/// One review of the caller's own organisation, to change it: another organisation's review
/// is not found, even where the caller may read it.
pub async fn get_own(access: &Access, id: ReviewId) -> AppResult<Review> {
    scope::one::<review::Entity>(access, Purpose::Own, id.0, "review")
        .await
        .map(Review::from)
}

/// Readable reviews among `ids`.
pub async fn by_ids(access: &Access, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Review>> {
    Ok(review::Entity::readable(access)
        .filter(review::Column::Id.is_in(ids))
        .all(access.db())
        .await?
        .into_iter()
        .map(|m| (m.id, Review::from(m)))
        .collect())
}

/// Which reviews a list shows.
#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    /// Of this organisation only.
    pub organisation: Option<OrgId>,
    pub kind: Option<ReviewKind>,
    pub status: Option<ReviewStatus>,
}

/// The reviews the caller may read, most recently recorded first.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    filter: ReviewFilter,
    page: PageArgs,
) -> AppResult<Paged<Review>> {
    let query = review::Entity::readable(access)
        .apply_if(filter.organisation, |q, org| {
            q.filter(review::Column::OrgId.eq(org.0))
        })
        .apply_if(filter.kind, |q, kind| {
            q.filter(review::Column::Kind.eq(kind))
        })
        .apply_if(filter.status, |q, status| {
            q.filter(review::Column::Status.eq(status))
        });
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(query, None, review::Column::Id, Sort::Descending, no_key)?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::by_id(m.id),
        Review::from,
    ))
}

/// The judgements of each of `review_ids`, in order; an empty list for a review without.
pub async fn judgements(
    access: &Access,
    review_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Judgement>>> {
    let rows = review_judgement::Entity::readable(access)
        .filter(review_judgement::Column::ReviewId.is_in(review_ids.iter().copied()))
        .order_by_asc(review_judgement::Column::Position)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        review_ids,
        rows,
        |r| r.review_id,
        |r| Judgement {
            area: r.area,
            grade: r.grade,
        },
    ))
}

/// A new review, checked.
#[derive(Clone, Debug)]
pub struct NewReview {
    pub kind: ReviewKind,
    pub title: String,
    pub reviewer: Option<String>,
    pub reviewer_org: Option<OrgId>,
    pub commissioned_on: Option<NaiveDate>,
    pub reported_on: Option<NaiveDate>,
    pub status: ReviewStatus,
    pub summary: Option<String>,
    pub source_url: Option<String>,
    pub judgements: Vec<Judgement>,
}

/// Raw review fields, as an input carries them (`None`: not given).
#[derive(Clone, Debug, Default)]
pub struct ReviewFields<'a> {
    pub title: Option<&'a str>,
    pub reviewer: Option<Option<&'a str>>,
    pub summary: Option<Option<&'a str>>,
    pub source_url: Option<Option<&'a str>>,
    pub judgements: Option<Vec<(&'a str, Grade)>>,
}

/// Checked review fields.
#[derive(Clone, Debug, Default)]
pub struct CheckedFields {
    pub title: Option<String>,
    pub reviewer: Option<Option<String>>,
    pub summary: Option<Option<String>>,
    pub source_url: Option<Option<String>>,
    pub judgements: Option<Vec<Judgement>>,
}

impl ReviewFields<'_> {
    /// Checks each given field; errors name them under `input.`.
    pub fn check(self) -> AppResult<CheckedFields> {
        let judgements = match self.judgements {
            None => None,
            Some(list) if list.len() > MAX_JUDGEMENTS => {
                return Err(AppError::bad_input(
                    "input.judgements",
                    format!("at most {MAX_JUDGEMENTS} judgements"),
                ));
            }
            Some(list) => Some(
                list.into_iter()
                    .enumerate()
                    .map(|(i, (area, grade))| {
                        Ok(Judgement {
                            area: validate::required_text(
                                &format!("input.judgements.{i}.area"),
                                area,
                                MAX_AREA,
                            )?,
                            grade,
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()?,
            ),
        };
        Ok(CheckedFields {
            title: self
                .title
                .map(|t| validate::required_text("input.title", t, MAX_TITLE))
                .transpose()?,
            reviewer: self
                .reviewer
                .map(|r| validate::optional_text("input.reviewer", r, MAX_REVIEWER))
                .transpose()?,
            summary: self
                .summary
                .map(|s| validate::optional_prose("input.summary", s, MAX_PROSE))
                .transpose()?,
            source_url: self
                .source_url
                .map(|u| {
                    u.filter(|u| !u.trim().is_empty())
                        .map(|u| validate::url("input.sourceUrl", u, MAX_URL))
                        .transpose()
                })
                .transpose()?,
            judgements,
        })
    }
}

/// Checks that a commissioning date does not follow the reporting date.
pub fn check_dates(commissioned: Option<NaiveDate>, reported: Option<NaiveDate>) -> AppResult<()> {
    if let (Some(c), Some(r)) = (commissioned, reported)
        && c > r
    {
        return Err(AppError::bad_input(
            "input.reportedOn",
            format!("must not be before the review was commissioned ({c})"),
        ));
    }
    Ok(())
}

/// Checks that a reviewing organisation is one the caller sees (its directory). One it cannot
/// see is refused exactly as one that does not exist, so that the input tells nobody whether
/// an id is an organisation's; a reviewer outside the caller's directory is named as text.
fn check_reviewer_org(access: &Access, org: Option<OrgId>) -> AppResult<()> {
    if let Some(org) = org
        && !access.orgs(Purpose::Directory).contains(org.0)
    {
        return Err(AppError::bad_input(
            "input.reviewerOrganisationId",
            "no organisation has this id",
        ));
    }
    Ok(())
}

/// Records a review of the caller's own organisation.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn create(access: &Access, new: NewReview) -> AppResult<Review> {
    access.require_role(&[Role::Manager], "record reviews")?;
    check_dates(new.commissioned_on, new.reported_on)?;
    check_reviewer_org(access, new.reviewer_org)?;
    let own = access.org_id();
    let now = Utc::now();
    let id = ReviewId::new();
    let txn = access.begin_write().await?;
    scope::insert_owned(
        own,
        review::ActiveModel {
            id: Set(id.0),
            org_id: Set(own.0),
            kind: Set(new.kind),
            title: Set(new.title),
            reviewer: Set(new.reviewer),
            reviewer_org_id: Set(new.reviewer_org.map(|o| o.0)),
            commissioned_on: Set(new.commissioned_on),
            reported_on: Set(new.reported_on),
            status: Set(new.status),
            summary: Set(new.summary),
            source_url: Set(new.source_url),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .exec_without_returning(&txn)
    .await?;
    write_judgements(&txn, own, id, &new.judgements).await?;
    let review = reload(&txn, own, id).await?;
    let image = ReviewImage {
        review: &review,
        judgements: &new.judgements,
    };
    audit::record(
        &txn,
        Author::from(access),
        Change::created(own, EntityType::Review, id.0, &image),
    )
    .await?;
    txn.commit().await?;
    Ok(review)
}

/// A review with its judgements, as audit images record it.
#[derive(serde::Serialize)]
struct ReviewImage<'a> {
    #[serde(flatten)]
    review: &'a Review,
    judgements: &'a [Judgement],
}

async fn write_judgements(
    txn: &impl ConnectionTrait,
    org: OrgId,
    review: ReviewId,
    judgements: &[Judgement],
) -> AppResult<()> {
    scope::delete_owned::<review_judgement::Entity>(org)
        .filter(review_judgement::Column::ReviewId.eq(review.0))
        .exec(txn)
        .await?;
    if judgements.is_empty() {
        return Ok(());
    }
    scope::insert_many_owned(
        org,
        judgements
            .iter()
            .enumerate()
            .map(|(i, j)| review_judgement::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org.0),
                review_id: Set(review.0),
                position: Set(i as i32),
                area: Set(j.area.clone()),
                grade: Set(j.grade),
            }),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn reload(txn: &impl ConnectionTrait, org: OrgId, id: ReviewId) -> AppResult<Review> {
    scope::owned_row::<review::Entity>(org, id.0)
        .one(txn)
        .await?
        .map(Review::from)
        .ok_or(AppError::NotFound("review"))
}

/// Changes to a review; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct ReviewChanges {
    pub kind: Option<ReviewKind>,
    pub status: Option<ReviewStatus>,
    pub reviewer_org: Option<Option<OrgId>>,
    pub commissioned_on: Option<Option<NaiveDate>>,
    pub reported_on: Option<Option<NaiveDate>>,
    pub fields: CheckedFields,
}

impl ReviewChanges {
    fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.status.is_none()
            && self.reviewer_org.is_none()
            && self.commissioned_on.is_none()
            && self.reported_on.is_none()
            && self.fields.title.is_none()
            && self.fields.reviewer.is_none()
            && self.fields.summary.is_none()
            && self.fields.source_url.is_none()
            && self.fields.judgements.is_none()
    }
}

/// Changes a review of the caller's own organisation; closing it is setting its status to
/// `CLOSED`.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn update(
    access: &Access,
    id: ReviewId,
    version: i32,
    changes: ReviewChanges,
) -> AppResult<Review> {
    let before = get_own(access, id).await?;
    access.require_role(&[Role::Manager], "change reviews")?;
    if changes.is_empty() {
        return Err(AppError::bad_input(
            "input",
            "give at least one field to change",
        ));
    }
    check_dates(
        changes.commissioned_on.unwrap_or(before.commissioned_on),
        changes.reported_on.unwrap_or(before.reported_on),
    )?;
    check_reviewer_org(access, changes.reviewer_org.flatten())?;
    if before.version != version {
        return Err(AppError::stale_version("review"));
    }
    let before_judgements = judgements(access, vec![id.0])
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    let txn = access.begin_write().await?;
    let mut update = review::Entity::update_at_version(
        scope::own_row::<review::Entity>(access.org_id(), review::Column::Id.eq(id.0)),
        version,
    );
    let f = &changes.fields;
    if let Some(kind) = changes.kind {
        update = update.col_expr(review::Column::Kind, Expr::value(kind));
    }
    if let Some(status) = changes.status {
        update = update.col_expr(review::Column::Status, Expr::value(status));
    }
    if let Some(org) = changes.reviewer_org {
        update = update.col_expr(review::Column::ReviewerOrgId, Expr::value(org.map(|o| o.0)));
    }
    if let Some(d) = changes.commissioned_on {
        update = update.col_expr(review::Column::CommissionedOn, Expr::value(d));
    }
    if let Some(d) = changes.reported_on {
        update = update.col_expr(review::Column::ReportedOn, Expr::value(d));
    }
    if let Some(title) = &f.title {
        update = update.col_expr(review::Column::Title, Expr::value(title.clone()));
    }
    if let Some(reviewer) = &f.reviewer {
        update = update.col_expr(review::Column::Reviewer, Expr::value(reviewer.clone()));
    }
    if let Some(summary) = &f.summary {
        update = update.col_expr(review::Column::Summary, Expr::value(summary.clone()));
    }
    if let Some(url) = &f.source_url {
        update = update.col_expr(review::Column::SourceUrl, Expr::value(url.clone()));
    }
    concurrency::apply(update, &txn, "review", AppError::from).await?;
    let after_judgements = match &f.judgements {
        Some(list) => {
            write_judgements(&txn, before.org_id, id, list).await?;
            list.clone()
        }
        None => before_judgements.clone(),
    };
    let after = reload(&txn, before.org_id, id).await?;
    let (b, a) = (
        ReviewImage {
            review: &before,
            judgements: &before_judgements,
        },
        ReviewImage {
            review: &after,
            judgements: &after_judgements,
        },
    );
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(before.org_id, EntityType::Review, id.0, &b, &a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
