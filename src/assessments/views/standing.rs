//! How one standard stands in one organisation: its latest levels, its open recommendations,
//! and the RAG of the actions that answer them.

use chrono::NaiveDate;

use crate::history::AsAt;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

use crate::access::scope::Scoped;
use crate::access::{Access, Purpose};
use crate::actions::summary::{self, ActionCounts};
use crate::error::AppResult;
use crate::ids::{OrgId, RatingLevelId, StandardId};
use crate::standards::{Standard, service as frameworks};

/// How a standard stands in one organisation: its latest levels, its open recommendations, and
/// the RAG of the actions that answer them.
#[derive(Clone, Debug)]
pub struct StandardInOrganisation {
    pub organisation: OrgId,
    pub standard: Standard,
    pub as_of: NaiveDate,
    pub assessment: Option<crate::assessments::Assessment>,
    pub self_level: Option<RatingLevelId>,
    pub moderated_level: Option<RatingLevelId>,
    pub open_recommendations: Vec<crate::reviews::Recommendation>,
    pub actions: ActionCounts,
}

/// One standard as it stands in `org`, for a caller who reads `org` in detail (its own, or a
/// panel member that shares detail); `None` for anyone else.
pub async fn standard_in(
    access: &Access,
    org: OrgId,
    standard: StandardId,
    at: AsAt,
) -> AppResult<Option<StandardInOrganisation>> {
    let as_of = at.day;
    if !access.orgs(Purpose::Detail).contains(org.0) {
        return Ok(None);
    }
    let standard = frameworks::get_standard(access, standard).await?;
    // The latest assessment of its framework that the caller may read, by cycle, submitted
    // by the moment asked about.
    let submitted = crate::assessments::service::readable_as_known(access, at);
    let latest = submitted
        .filter(crate::entity::assessment::Column::OrgId.eq(org.0))
        .filter(crate::entity::assessment::Column::FrameworkId.eq(standard.framework_id.0))
        .filter(
            crate::entity::assessment::Column::Tier.eq(crate::assessments::Tier::SelfAssessment),
        )
        .filter(
            crate::entity::assessment::Column::Status
                .ne(crate::assessments::AssessmentStatus::Draft),
        )
        .order_by_desc(crate::entity::assessment::Column::Cycle)
        .one(access.db())
        .await?
        .map(crate::assessments::Assessment::from);
    let (self_level, moderated_level) = match &latest {
        Some(a) => {
            let rating = crate::entity::rating::Entity::scoped(access)
                .filter(crate::entity::rating::Column::AssessmentId.eq(a.id.0))
                .filter(crate::entity::rating::Column::StandardId.eq(standard.id.0))
                .one(access.db())
                .await?;
            let moderation = crate::assessments::challenges::moderations_of(access, vec![a.id.0])
                .await?
                .remove(&a.id.0)
                .unwrap_or_default()
                .into_iter()
                .filter(|m| at.known.is_none_or(|k| m.created_at <= k))
                .rfind(|m| m.standard_id == standard.id);
            (
                rating.and_then(|r| r.level_id).map(RatingLevelId),
                moderation.map(|m| m.level_id),
            )
        }
        None => (None, None),
    };
    let linked =
        crate::reviews::standards::recommendations_of_standard(access, org, standard.id).await?;
    // Outstanding on the day, as known at the moment.
    let standings = crate::reviews::standing::of(access, &linked, at).await?;
    let open: Vec<_> = linked
        .into_iter()
        .filter(|r| standings.get(&r.id.0).is_some_and(|s| s.is_outstanding()))
        .collect();
    let filter = crate::actions::asof::Filter {
        recommendations: Some(open.iter().map(|r| r.id).collect()),
        ..Default::default()
    };
    let actions = summary::counts(access, &filter, at).await?;
    Ok(Some(StandardInOrganisation {
        organisation: org,
        standard,
        as_of,
        assessment: latest,
        self_level,
        moderated_level,
        open_recommendations: open,
        actions,
    }))
}
