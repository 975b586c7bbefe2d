//! Links from recommendations to the standards they bear on, where the action tracker and the
//! assessments meet.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use tracing::instrument;
use uuid::Uuid;

use super::{Recommendation, recommendations};
use crate::access::Access;
use crate::access::scope::{self, TenantOwned};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::entity::recommendation_standard;
use crate::error::{AppError, AppResult};
use crate::ids::{RecommendationId, StandardId};
use crate::standards::Standard;
use crate::standards::service::{get_standard, standards_by_ids};

/// The standards each of `recommendation_ids` bears on, by code; empty for one without, or one
/// the caller may not read.
pub async fn of_recommendations(
    access: &Access,
    recommendation_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Standard>>> {
    let links = recommendation_standard::Entity::readable(access)
        .filter(
            recommendation_standard::Column::RecommendationId
                .is_in(recommendation_ids.iter().copied()),
        )
        .all(access.db())
        .await?;
    let standards = standards_by_ids(access, links.iter().map(|l| l.standard_id).collect()).await?;
    let mut out: HashMap<Uuid, Vec<Standard>> = recommendation_ids
        .into_iter()
        .map(|id| (id, Vec::new()))
        .collect();
    for link in links {
        if let Some(standard) = standards.get(&link.standard_id) {
            out.entry(link.recommendation_id)
                .or_default()
                .push(standard.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(out)
}

/// The recommendations of `org` that bear on `standard`, as far as the caller reads them.
pub async fn recommendations_of_standard(
    access: &Access,
    org: crate::ids::OrgId,
    standard: StandardId,
) -> AppResult<Vec<Recommendation>> {
    let ids: Vec<Uuid> = recommendation_standard::Entity::readable(access)
        .filter(recommendation_standard::Column::OrgId.eq(org.0))
        .filter(recommendation_standard::Column::StandardId.eq(standard.0))
        .all(access.db())
        .await?
        .into_iter()
        .map(|l| l.recommendation_id)
        .collect();
    let mut recs: Vec<Recommendation> = recommendations::by_ids(access, ids)
        .await?
        .into_values()
        .collect();
    recs.sort_by_key(|a| (a.review_id, a.position));
    Ok(recs)
}

/// The standards a recommendation bears on.
async fn standards_linked(access: &Access, rec: RecommendationId) -> AppResult<Vec<Standard>> {
    Ok(of_recommendations(access, vec![rec.0])
        .await?
        .remove(&rec.0)
        .unwrap_or_default())
}

#[derive(serde::Serialize)]
struct Image {
    standards: Vec<String>,
}

/// Links a recommendation of the caller's own organisation to a standard (of a framework the
/// caller may read), or unlinks it. Managers only. Linking twice, or unlinking what is not
/// linked, changes nothing.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn set(
    access: &Access,
    rec_id: RecommendationId,
    standard_id: StandardId,
    linked: bool,
) -> AppResult<Recommendation> {
    let rec = recommendations::get_own(access, rec_id).await?;
    access.require_role(&[Role::Manager], "link recommendations to standards")?;
    let standard = get_standard(access, standard_id).await.map_err(|_| {
        AppError::bad_input("input.standardId", "no standard you may read has this id")
    })?;
    let current = standards_linked(access, rec_id).await?;
    // By id: two frameworks may both have an "S-01".
    let present = current.iter().any(|s| s.id == standard.id);
    if present == linked {
        return Ok(rec);
    }
    let before = Image {
        standards: current.iter().map(|s| s.code.clone()).collect(),
    };
    let txn = access.begin_write().await?;
    write(&txn, &rec, standard_id, linked).await?;
    let mut after = Image {
        standards: before.standards.clone(),
    };
    if linked {
        after.standards.push(standard.code);
        after.standards.sort();
    } else if let Some(i) = current.iter().position(|s| s.id == standard.id) {
        after.standards.remove(i);
    }
    audit::record(
        &txn,
        Author::from(access),
        Change::updated(
            rec.org_id,
            EntityType::Recommendation,
            rec_id.0,
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(rec)
}

async fn write(
    txn: &impl ConnectionTrait,
    rec: &Recommendation,
    standard: StandardId,
    linked: bool,
) -> AppResult<()> {
    if linked {
        scope::insert_owned(
            rec.org_id,
            recommendation_standard::ActiveModel {
                recommendation_id: Set(rec.id.0),
                standard_id: Set(standard.0),
                org_id: Set(rec.org_id.0),
            },
        )
        .exec_without_returning(txn)
        .await?;
    } else {
        scope::delete_owned::<recommendation_standard::Entity>(rec.org_id)
            .filter(recommendation_standard::Column::RecommendationId.eq(rec.id.0))
            .filter(recommendation_standard::Column::StandardId.eq(standard.0))
            .exec(txn)
            .await?;
    }
    Ok(())
}
