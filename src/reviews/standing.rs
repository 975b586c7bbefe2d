//! Recommendations as they stood at the end of a day, as known at a moment: which were
//! outstanding at a committee's date can be named, not only counted, after some were
//! discharged.
//!
//! A recommendation's status is the latest entry of its history on or before the day (and
//! recorded by the moment); it was discharged on the first day of its current run of
//! DISCHARGED. Its target date has no history: the standing carries the one it has now.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Recommendation, RecommendationStatus};
use crate::access::Access;
use crate::access::scope::TenantOwned;
use crate::entity::recommendation_status_change;
use crate::error::AppResult;
use crate::history::{AsAt, in_force, push_known};
use crate::sql::Sql;

/// How a recommendation stood at the end of one day, as known at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecommendationStanding {
    /// The day.
    pub as_of: NaiveDate,
    /// The moment; `None`: as known when read.
    pub known_at: Option<DateTime<Utc>>,
    /// Its status then; `None` when it had not yet been made (or recorded).
    pub status: Option<RecommendationStatus>,
    /// Its target date (the one it has now: target dates keep no history).
    pub target_date: Option<NaiveDate>,
    /// The day it was discharged, if it was discharged then.
    pub discharged_on: Option<NaiveDate>,
}

impl RecommendationStanding {
    /// Whether it still asked something of the organisation then.
    pub fn is_outstanding(&self) -> bool {
        self.status
            .is_some_and(RecommendationStatus::is_outstanding)
    }
}

/// Appends the status of recommendation `r` at `at`: its own column for today or later as
/// known now (the latest entry of its history: no change is dated in the future), else the
/// latest entry of its history, one probe of the history's index.
pub(crate) fn push_status(sql: &mut Sql, at: AsAt) {
    if at.reads_current() {
        sql.push("r.status");
        return;
    }
    sql.push(
        "(SELECT h.status FROM recommendation_status_changes h \
         WHERE h.recommendation_id = r.id AND h.effective_on <= ",
    )
    .bind(at.day);
    push_known(sql, "h.changed_at", at);
    sql.push(" ORDER BY h.effective_on DESC, h.id DESC LIMIT 1)");
}

/// How each of `recs` stood at `at`: one statement for their histories.
pub async fn of(
    access: &Access,
    recs: &[Recommendation],
    at: AsAt,
) -> AppResult<HashMap<Uuid, RecommendationStanding>> {
    let ids: Vec<Uuid> = recs.iter().map(|r| r.id.0).collect();
    let mut query = recommendation_status_change::Entity::readable(access)
        .filter(recommendation_status_change::Column::RecommendationId.is_in(ids))
        .filter(recommendation_status_change::Column::EffectiveOn.lte(at.day));
    if let Some(known) = at.known {
        query = query.filter(recommendation_status_change::Column::ChangedAt.lte(known));
    }
    let rows = query
        .order_by_asc(recommendation_status_change::Column::EffectiveOn)
        .order_by_asc(recommendation_status_change::Column::Id)
        .all(access.db())
        .await?;
    let mut histories: HashMap<Uuid, Vec<(RecommendationStatus, NaiveDate)>> = HashMap::new();
    for row in rows {
        histories
            .entry(row.recommendation_id)
            .or_default()
            .push((row.status, row.effective_on));
    }
    Ok(recs
        .iter()
        .map(|rec| {
            let history = histories.get(&rec.id.0).map(Vec::as_slice).unwrap_or(&[]);
            let recorded = at.known.is_none_or(|k| rec.created_at <= k);
            let now = in_force(history, at.day).filter(|_| recorded);
            let status = now.map(|(s, _)| s);
            let discharged_on = now
                .filter(|(s, _)| *s == RecommendationStatus::Discharged)
                .map(|(_, since)| since);
            let standing = RecommendationStanding {
                as_of: at.day,
                known_at: at.known,
                status,
                target_date: rec.target_date,
                discharged_on,
            };
            (rec.id.0, standing)
        })
        .collect())
}

/// An entry of a recommendation's status history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecommendationStatusChange {
    pub recommendation_id: Uuid,
    pub status: RecommendationStatus,
    /// The day it took effect.
    pub effective_on: NaiveDate,
    /// The moment it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Why it was made, when it is a correction.
    pub correction_reason: Option<String>,
}

/// The status history of each of `ids`, in the order it took effect, corrections included;
/// empty for a recommendation the caller may not read.
pub async fn histories(
    access: &Access,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<RecommendationStatusChange>>> {
    let rows = recommendation_status_change::Entity::readable(access)
        .filter(recommendation_status_change::Column::RecommendationId.is_in(ids.iter().copied()))
        .order_by_asc(recommendation_status_change::Column::EffectiveOn)
        .order_by_asc(recommendation_status_change::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        ids,
        rows,
        |r| r.recommendation_id,
        |r| RecommendationStatusChange {
            recommendation_id: r.recommendation_id,
            status: r.status,
            effective_on: r.effective_on,
            recorded_at: r.changed_at,
            correction_reason: r.correction_reason,
        },
    ))
}

/// How each of `ids` stood at `at`: one statement for the recommendations and one for their
/// histories. Recommendations the caller may not read are left out.
pub async fn standings(
    access: &Access,
    ids: Vec<Uuid>,
    at: AsAt,
) -> AppResult<HashMap<Uuid, RecommendationStanding>> {
    let recs: Vec<Recommendation> = super::recommendations::by_ids(access, ids)
        .await?
        .into_values()
        .collect();
    of(access, &recs, at).await
}
