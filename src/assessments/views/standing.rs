//! How one standard stands in one organisation: its latest levels, its open recommendations,
//! and the RAG of the actions that answer them.

use chrono::NaiveDate;
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
    as_of: NaiveDate,
) -> AppResult<Option<StandardInOrganisation>> {
    if !access.orgs(Purpose::Detail).contains(org.0) {
        return Ok(None);
    }
    let standard = frameworks::get_standard(access, standard).await?;
    // The latest assessment of its framework that the caller may read, by cycle.
    let latest = crate::assessments::service::readable(access)
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
    let open: Vec<_> = linked
        .into_iter()
        .filter(|r| r.status.is_outstanding())
        .collect();
    let filter = crate::actions::asof::Filter {
        recommendations: Some(open.iter().map(|r| r.id).collect()),
        ..Default::default()
    };
    let actions = summary::counts(access, &filter, as_of).await?;
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
