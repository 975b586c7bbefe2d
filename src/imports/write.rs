//! Writing an action plan import: the plan of [`super::plan`], in the caller's savepoint, in
//! a few statements per kind of row (rows are inserted 500 at a time), with an audit event for
//! every record created or changed, each naming the import.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::plan::{Plan, status_day};
use crate::access::scope;
use crate::actions::ActionStatus;
use crate::actions::service::{StatusEntry, record_status};
use crate::audit::{self, Author, Change, EntityType};
use crate::entity::{
    action, action_status_change, due_date_change, progress_update, recommendation,
    recommendation_status_change,
};
use crate::error::AppResult;
use crate::ids::{ActionId, OrgId, UserId};
use crate::reviews::{RecommendationKind, RecommendationStatus};

/// Rows per INSERT: well under either engine's limit of bound values.
const CHUNK: usize = 500;

/// Who writes, where, and what the rows are dated by.
pub(crate) struct Target {
    pub org: OrgId,
    pub review: Uuid,
    /// The review's reported date, when it has one that has come.
    pub reported_on: Option<NaiveDate>,
    pub user: Option<UserId>,
    pub author: Author,
    pub import: Uuid,
    pub file_name: String,
    pub as_at: NaiveDate,
    pub today: NaiveDate,
}

async fn insert_chunks<E, A>(txn: &impl ConnectionTrait, org: OrgId, rows: Vec<A>) -> AppResult<()>
where
    E: scope::Owned,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        scope::insert_many_owned(org, chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// An audit event to record: what, which, before (none when created), after.
type Event = (EntityType, Uuid, Option<Value>, Value);

/// Who writes an import's rows, and when: the stamp on every history row it adds.
struct Stamp {
    org: OrgId,
    by: Option<Uuid>,
    now: DateTime<Utc>,
}

impl Stamp {
    /// A progress update of `action`, its audit event pushed on `events`.
    fn update(
        &self,
        action: Uuid,
        on: NaiveDate,
        narrative: &str,
        events: &mut Vec<Event>,
    ) -> progress_update::ActiveModel {
        let id = Uuid::now_v7();
        events.push((
            EntityType::ProgressUpdate,
            id,
            None,
            json!({"actionId": action, "asAt": on, "narrative": narrative}),
        ));
        progress_update::ActiveModel {
            id: Set(id),
            org_id: Set(self.org.0),
            action_id: Set(action),
            as_at: Set(on),
            narrative: Set(narrative.to_owned()),
            new_status: Set(None),
            percent_complete: Set(None),
            author_id: Set(self.by),
            recorded_at: Set(self.now),
            correction_reason: Set(None),
        }
    }

    /// A change of `action`'s delivery date from `previous` to `new`.
    fn date_change(
        &self,
        action: Uuid,
        (previous, new): (NaiveDate, NaiveDate),
        reason: String,
        effective_on: NaiveDate,
    ) -> due_date_change::ActiveModel {
        due_date_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(self.org.0),
            action_id: Set(action),
            previous_due_on: Set(previous),
            new_due_on: Set(new),
            reason: Set(reason),
            effective_on: Set(effective_on),
            changed_by: Set(self.by),
            changed_at: Set(self.now),
            correction_reason: Set(None),
        }
    }
}

/// Writes `plan` for `target`.
pub(crate) async fn write(
    txn: &impl ConnectionTrait,
    target: &Target,
    plan: &Plan,
) -> AppResult<()> {
    let org = target.org;
    let now = Utc::now();
    let by = target.user.map(|u| u.0);
    let reason = format!("imported from {}", target.file_name);
    let stamp = Stamp { org, by, now };
    let mut events: Vec<Event> = Vec::new();

    // Recommendations, after the review's own.
    let max: Option<Option<i32>> = scope::owned_rows::<recommendation::Entity>(org)
        .select_only()
        .expr(Func::max(Expr::col(recommendation::Column::Position)))
        .filter(recommendation::Column::ReviewId.eq(target.review))
        .into_tuple()
        .one(txn)
        .await?;
    let first = max.flatten().map_or(0, |m| m + 1);
    let made_on = Ord::min(target.reported_on.unwrap_or(target.as_at), target.today);
    let mut recs = Vec::new();
    let mut rec_history = Vec::new();
    for (i, rec) in plan.new_recommendations.iter().enumerate() {
        let discharged = rec.status == RecommendationStatus::Discharged;
        recs.push(recommendation::ActiveModel {
            id: Set(rec.id),
            org_id: Set(org.0),
            review_id: Set(target.review),
            position: Set(first + i as i32),
            reference: Set(rec.reference.clone()),
            kind: Set(RecommendationKind::Recommendation),
            text: Set(rec.text.clone()),
            status: Set(rec.status),
            target_date: Set(None),
            discharged_on: Set(discharged.then_some(made_on)),
            discharged_by: Set(if discharged { by } else { None }),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        rec_history.push(recommendation_status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org.0),
            recommendation_id: Set(rec.id),
            status: Set(rec.status),
            effective_on: Set(made_on),
            changed_by: Set(by),
            changed_at: Set(now),
            correction_reason: Set(None),
        });
        events.push((
            EntityType::Recommendation,
            rec.id,
            None,
            json!({"reference": rec.reference, "text": rec.text, "status": rec.status.code()}),
        ));
    }
    insert_chunks(txn, org, recs).await?;
    insert_chunks(txn, org, rec_history).await?;
    for (held, text) in &plan.texts {
        scope::update_owned::<recommendation::Entity>(org)
            .col_expr(recommendation::Column::Text, Expr::value(text.clone()))
            .col_expr(
                recommendation::Column::Version,
                Expr::col(recommendation::Column::Version).add(1),
            )
            .col_expr(recommendation::Column::UpdatedAt, Expr::value(now))
            .filter(recommendation::Column::Id.eq(held.id))
            .exec(txn)
            .await?;
        events.push((
            EntityType::Recommendation,
            held.id,
            Some(json!({"reference": held.reference, "text": held.text})),
            json!({"reference": held.reference, "text": text}),
        ));
    }

    // New actions, each with its history: agreed (not started) on the day the review reported,
    // its status from the file on the day the file describes, its first delivery date and the
    // change to its current one, and its update.
    let mut actions = Vec::new();
    let mut statuses = Vec::new();
    let mut dates = Vec::new();
    let mut updates = Vec::new();
    for (id, rec, file) in &plan.creates {
        let original = file.original_due_on.unwrap_or(file.due_on);
        let opened_on = [original, file.due_on, target.today].into_iter().fold(
            file.opened_on
                .or(target.reported_on)
                .unwrap_or(target.as_at),
            Ord::min,
        );
        let status_on = status_day(file, target.as_at, opened_on, target.today);
        let completed = (file.status == ActionStatus::Complete).then_some(status_on);
        actions.push(action::ActiveModel {
            id: Set(*id),
            org_id: Set(org.0),
            review_id: Set(Some(target.review)),
            recommendation_id: Set(*rec),
            title: Set(file.title.clone()),
            detail: Set(file.detail.clone()),
            owner: Set(file.owner.clone()),
            owner_user_id: Set(None),
            opened_on: Set(opened_on),
            original_due_on: Set(original),
            due_on: Set(file.due_on),
            status: Set(file.status),
            completed_on: Set(completed),
            percent_complete: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        let mut history = vec![(ActionStatus::NotStarted, opened_on)];
        if file.status != ActionStatus::NotStarted {
            if status_on == opened_on {
                history.clear();
            }
            history.push((file.status, status_on));
        }
        for (status, on) in history {
            statuses.push(action_status_change::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org.0),
                action_id: Set(*id),
                status: Set(status),
                effective_on: Set(on),
                progress_update_id: Set(None),
                changed_by: Set(by),
                changed_at: Set(now),
                correction_reason: Set(None),
            });
        }
        if original != file.due_on {
            dates.push(stamp.date_change(
                *id,
                (original, file.due_on),
                file.change_reason.clone().unwrap_or_else(|| reason.clone()),
                target.as_at.clamp(opened_on, target.today),
            ));
        }
        if let Some(update) = &file.update {
            let on = file
                .update_on
                .unwrap_or(target.as_at)
                .clamp(opened_on, target.today);
            updates.push(stamp.update(*id, on, update, &mut events));
        }
        events.push((
            EntityType::Action,
            *id,
            None,
            json!({
                "title": file.title, "owner": file.owner, "detail": file.detail,
                "openedOn": opened_on, "originalDueOn": original, "dueOn": file.due_on,
                "status": file.status.code(), "row": file.row,
            }),
        ));
    }
    insert_chunks(txn, org, actions).await?;
    insert_chunks(txn, org, statuses).await?;
    insert_chunks(txn, org, dates).await?;
    insert_chunks(txn, org, updates).await?;

    // Changed actions, one by one: there are few, and each joins its histories.
    for (held, change) in &plan.changes {
        let image = |title: &str,
                     owner: &str,
                     detail: &Option<String>,
                     due: NaiveDate,
                     status: ActionStatus| {
            json!({"title": title, "owner": owner, "detail": detail, "dueOn": due, "status": status.code()})
        };
        let before = image(
            &held.title,
            &held.owner,
            &held.detail,
            held.due_on,
            held.status,
        );
        let mut update = scope::update_owned::<action::Entity>(org)
            .col_expr(
                action::Column::Version,
                Expr::col(action::Column::Version).add(1),
            )
            .col_expr(action::Column::UpdatedAt, Expr::value(now))
            .filter(action::Column::Id.eq(held.id));
        if let Some(title) = &change.title {
            update = update.col_expr(action::Column::Title, Expr::value(title.clone()));
        }
        if let Some(owner) = &change.owner {
            update = update.col_expr(action::Column::Owner, Expr::value(owner.clone()));
        }
        if let Some(detail) = &change.detail {
            update = update.col_expr(action::Column::Detail, Expr::value(detail.clone()));
        }
        if let Some(due) = change.due_on {
            update = update.col_expr(action::Column::DueOn, Expr::value(due));
            scope::insert_owned(
                org,
                stamp.date_change(
                    held.id,
                    (held.due_on, due),
                    reason.clone(),
                    target.as_at.clamp(held.opened_on, target.today),
                ),
            )
            .exec_without_returning(txn)
            .await?;
        }
        update.exec(txn).await?;
        if let Some((status, on)) = change.status {
            // Dated before the action's latest status, the file corrects its history.
            let latest =
                crate::actions::service::latest_status_on(txn, org, ActionId(held.id)).await?;
            let correction = latest.filter(|l| on < *l).map(|_| reason.clone());
            record_status(
                txn,
                org,
                ActionId(held.id),
                StatusEntry {
                    status,
                    effective_on: on,
                    progress_update: None,
                    by: target.user,
                    correction,
                },
            )
            .await?;
        }
        if let Some((narrative, on)) = &change.update {
            scope::insert_owned(org, stamp.update(held.id, *on, narrative, &mut events))
                .exec_without_returning(txn)
                .await?;
        }
        let after = image(
            change.title.as_deref().unwrap_or(&held.title),
            change.owner.as_deref().unwrap_or(&held.owner),
            change.detail.as_ref().unwrap_or(&held.detail),
            change.due_on.unwrap_or(held.due_on),
            change.status.map_or(held.status, |(s, _)| s),
        );
        if after != before {
            events.push((EntityType::Action, held.id, Some(before), after));
        }
    }

    let changes: Vec<Change<'_, Value>> = events
        .iter()
        .map(|(kind, id, before, after)| match before {
            None => Change::created(org, *kind, *id, after),
            Some(before) => Change::updated(org, *kind, *id, before, after),
        })
        .collect();
    audit::record_all(txn, target.author, Some(target.import), &changes).await
}
