//! What an action plan import would do: the file's recommendations and actions matched with
//! the review's (a recommendation by its reference, else its text; an action by its own
//! reference, else its title within its recommendation), and each difference turned into a
//! change, or a conflict where the service changed the action since the last import.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::columns::normalise;
use super::plan_rows::{FileAction, FilePlan};
use super::{Counts, Problem, ProblemCode, Problems};
use crate::access::scope;
use crate::actions::ActionStatus;
use crate::entity::{action, progress_update, recommendation};
use crate::error::AppResult;
use crate::ids::OrgId;
use crate::reviews::RecommendationStatus;

/// An action as the service holds it now.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub id: Uuid,
    pub recommendation: Option<Uuid>,
    pub title: String,
    pub owner: String,
    pub detail: Option<String>,
    pub opened_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    /// Its latest progress update's narrative.
    pub update: Option<String>,
}

impl Held {
    /// What the service holds of it, as a fingerprint: what a later import compares.
    pub(crate) fn fingerprint(&self) -> String {
        fingerprint(
            &self.title,
            &self.owner,
            self.detail.as_deref(),
            self.due_on,
            self.status,
            self.update.as_deref(),
        )
    }
}

fn fingerprint(
    title: &str,
    owner: &str,
    detail: Option<&str>,
    due_on: NaiveDate,
    status: ActionStatus,
    update: Option<&str>,
) -> String {
    let mut hash = Sha256::new();
    for part in [
        title,
        owner,
        detail.unwrap_or(""),
        &due_on.to_string(),
        status.code(),
        update.unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    hex(&hash.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A recommendation as the service holds it.
#[derive(Clone, Debug)]
pub(crate) struct HeldRecommendation {
    pub id: Uuid,
    pub reference: String,
    pub text: String,
}

/// What an earlier import remembered of an action.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Remembered {
    /// The action's own reference in the file, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The fingerprint of what the service held after that import.
    pub fingerprint: String,
}

/// The state a real import leaves for the next: by action id.
pub(crate) type State = BTreeMap<Uuid, Remembered>;

/// The review as the service holds it.
pub(crate) struct Review {
    pub recommendations: Vec<HeldRecommendation>,
    pub actions: Vec<Held>,
}

/// Reads the review's recommendations and actions, with each action's latest update: three
/// statements, whatever the size of the plan.
pub(crate) async fn held(db: &impl ConnectionTrait, org: OrgId, review: Uuid) -> AppResult<Review> {
    let recommendations = scope::owned_rows::<recommendation::Entity>(org)
        .filter(recommendation::Column::ReviewId.eq(review))
        .order_by_asc(recommendation::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|r| HeldRecommendation {
            id: r.id,
            reference: r.reference,
            text: r.text,
        })
        .collect();
    let rows = scope::owned_rows::<action::Entity>(org)
        .filter(action::Column::ReviewId.eq(review))
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let mut latest: HashMap<Uuid, (NaiveDate, chrono::DateTime<chrono::Utc>, String)> =
        HashMap::new();
    for chunk in ids.chunks(1000) {
        for u in scope::owned_rows::<progress_update::Entity>(org)
            .filter(progress_update::Column::ActionId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let key = (u.as_at, u.recorded_at);
            let newer = latest
                .get(&u.action_id)
                .is_none_or(|(on, at, _)| key > (*on, *at));
            if newer {
                latest.insert(u.action_id, (u.as_at, u.recorded_at, u.narrative));
            }
        }
    }
    let actions = rows
        .into_iter()
        .map(|a| Held {
            id: a.id,
            recommendation: a.recommendation_id,
            update: latest.remove(&a.id).map(|(_, _, n)| n),
            title: a.title,
            owner: a.owner,
            detail: a.detail,
            opened_on: a.opened_on,
            due_on: a.due_on,
            status: a.status,
        })
        .collect();
    Ok(Review {
        recommendations,
        actions,
    })
}

/// A recommendation to create.
#[derive(Clone, Debug)]
pub(crate) struct NewRecommendation {
    pub id: Uuid,
    pub reference: String,
    pub text: String,
    pub status: RecommendationStatus,
}

/// What to change of one action the file matched.
#[derive(Clone, Debug, Default)]
pub(crate) struct ActionChange {
    pub title: Option<String>,
    pub owner: Option<String>,
    pub detail: Option<Option<String>>,
    pub due_on: Option<NaiveDate>,
    pub status: Option<(ActionStatus, NaiveDate)>,
    pub update: Option<(String, NaiveDate)>,
}

impl ActionChange {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.owner.is_none()
            && self.detail.is_none()
            && self.due_on.is_none()
            && self.status.is_none()
            && self.update.is_none()
    }

    /// The fields it changes, for a conflict's message.
    fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                out.push(name);
            }
        };
        add(self.title.is_some(), "title");
        add(self.owner.is_some(), "owner");
        add(self.detail.is_some(), "detail");
        add(self.due_on.is_some(), "delivery date");
        add(self.status.is_some(), "status");
        add(self.update.is_some(), "update");
        out
    }
}

/// What the import does.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub new_recommendations: Vec<NewRecommendation>,
    /// Actions to create, with the id each gets and its recommendation's.
    pub creates: Vec<(Uuid, Option<Uuid>, FileAction)>,
    /// Actions to change: the action as held, and what changes.
    pub changes: Vec<(Held, ActionChange)>,
    /// Recommendations whose text changes.
    pub texts: Vec<(HeldRecommendation, String)>,
    pub created: Counts,
    pub updated: Counts,
    pub unchanged: Counts,
    /// What the next import will compare with.
    pub state: State,
}

/// Matches `file` with `review`; `previous` is what the last real import of it remembered.
pub(crate) fn plan(
    file: &FilePlan,
    review: &Review,
    previous: &State,
    as_at: NaiveDate,
    today: NaiveDate,
    problems: &mut Problems,
) -> Plan {
    let mut plan = Plan::default();
    // Recommendations.
    let mut taken: HashSet<String> = review
        .recommendations
        .iter()
        .map(|r| r.reference.to_lowercase())
        .collect();
    let mut next_ref = review.recommendations.len() + 1;
    let mut rec_ids: Vec<Option<Uuid>> = Vec::with_capacity(file.recommendations.len());
    // The review's recommendations by reference and by text, each text's in their order: a
    // plan of thousands is matched in one pass, not one scan per row.
    let by_ref: HashMap<String, &HeldRecommendation> = review
        .recommendations
        .iter()
        .map(|h| (h.reference.trim().to_lowercase(), h))
        .collect();
    let mut by_text: HashMap<String, std::collections::VecDeque<&HeldRecommendation>> =
        HashMap::new();
    for h in &review.recommendations {
        by_text.entry(normalise(&h.text)).or_default().push_back(h);
    }
    let mut matched_recs = HashSet::new();
    for rec in &file.recommendations {
        let found = rec
            .reference
            .as_ref()
            .and_then(|r| by_ref.get(&r.trim().to_lowercase()).copied())
            .or_else(|| {
                let queue = by_text.get_mut(&normalise(rec.text.as_deref()?))?;
                while let Some(h) = queue.pop_front() {
                    if !matched_recs.contains(&h.id) {
                        return Some(h);
                    }
                }
                None
            });
        match found {
            Some(held) => {
                matched_recs.insert(held.id);
                rec_ids.push(Some(held.id));
                match &rec.text {
                    Some(text) if normalise(text) != normalise(&held.text) => {
                        plan.texts.push((held.clone(), text.clone()));
                        plan.updated.recommendations += 1;
                    }
                    _ => plan.unchanged.recommendations += 1,
                }
            }
            None => {
                let Some(text) = rec.text.clone() else {
                    problems.errors.push(Problem {
                        row: Some(rec.row as i32),
                        column: None,
                        header: None,
                        value: rec.reference.clone(),
                        code: ProblemCode::MissingValue,
                        message: format!(
                            "recommendation {} is not in the review, and the file gives no text for it",
                            rec.reference.as_deref().unwrap_or("")
                        ),
                        suggestion: None,
                    });
                    rec_ids.push(None);
                    continue;
                };
                let reference = match &rec.reference {
                    Some(r) if !taken.contains(&r.to_lowercase()) => r.clone(),
                    _ => loop {
                        let candidate = format!("R{next_ref}");
                        next_ref += 1;
                        if !taken.contains(&candidate.to_lowercase()) {
                            break candidate;
                        }
                    },
                };
                taken.insert(reference.to_lowercase());
                let id = Uuid::now_v7();
                plan.new_recommendations.push(NewRecommendation {
                    id,
                    reference,
                    text,
                    status: rec.status.unwrap_or(RecommendationStatus::InProgress),
                });
                plan.created.recommendations += 1;
                rec_ids.push(Some(id));
            }
        }
    }

    // Actions.
    let by_reference: HashMap<&str, Uuid> = previous
        .iter()
        .filter_map(|(id, r)| r.reference.as_deref().map(|reference| (reference, *id)))
        .collect();
    let mut held_by_id: HashMap<Uuid, &Held> = review.actions.iter().map(|a| (a.id, a)).collect();
    // The review's actions by recommendation and title, oldest first.
    let mut by_title: HashMap<(Option<Uuid>, String), Vec<Uuid>> = HashMap::new();
    for h in &review.actions {
        by_title
            .entry((h.recommendation, normalise(&h.title)))
            .or_default()
            .push(h.id);
    }
    for ids in by_title.values_mut() {
        ids.sort();
        ids.reverse();
    }
    for action in &file.actions {
        let rec_id = action.recommendation.and_then(|i| rec_ids[i]);
        if action.recommendation.is_some() && rec_id.is_none() {
            continue; // its recommendation is in error already
        }
        let found = action
            .reference
            .as_deref()
            .and_then(|r| by_reference.get(r))
            .and_then(|id| held_by_id.get(id).copied())
            .or_else(|| {
                let ids = by_title.get_mut(&(rec_id, normalise(&action.title)))?;
                while let Some(id) = ids.pop() {
                    if let Some(h) = held_by_id.get(&id) {
                        return Some(*h);
                    }
                }
                None
            });
        let Some(held) = found else {
            let id = Uuid::now_v7();
            plan.created.actions += 1;
            if action.original_due_on.is_some_and(|o| o != action.due_on) {
                plan.created.due_date_changes += 1;
            }
            if action.update.is_some() {
                plan.created.progress_updates += 1;
            }
            plan.state.insert(
                id,
                Remembered {
                    reference: action.reference.clone(),
                    fingerprint: fingerprint(
                        &action.title,
                        &action.owner,
                        action.detail.as_deref(),
                        action.due_on,
                        action.status,
                        action.update.as_deref(),
                    ),
                },
            );
            plan.creates.push((id, rec_id, action.clone()));
            continue;
        };
        held_by_id.remove(&held.id);
        let change = difference(held, action, as_at, today);
        if change.is_empty() {
            plan.unchanged.actions += 1;
            plan.state.insert(
                held.id,
                Remembered {
                    reference: action.reference.clone(),
                    fingerprint: held.fingerprint(),
                },
            );
            continue;
        }
        if let Some(before) = previous.get(&held.id)
            && before.fingerprint != held.fingerprint()
        {
            problems.conflicts.push(Problem {
                row: Some(action.row as i32),
                column: None,
                header: None,
                value: Some(action.title.clone()),
                code: ProblemCode::Conflict,
                message: format!(
                    "the action changed in the service since the last import; the file's {} is not written. Change it in the service, or export the plan again and edit that",
                    change.fields().join(", ")
                ),
                suggestion: None,
            });
            // Remembered as before, so that the conflict stands until the two agree.
            plan.state.insert(held.id, before.clone());
            continue;
        }
        plan.updated.actions += i32::from(
            change.title.is_some()
                || change.owner.is_some()
                || change.detail.is_some()
                || change.status.is_some(),
        );
        plan.updated.due_date_changes += i32::from(change.due_on.is_some());
        plan.updated.progress_updates += i32::from(change.update.is_some());
        let after = Held {
            title: change.title.clone().unwrap_or_else(|| held.title.clone()),
            owner: change.owner.clone().unwrap_or_else(|| held.owner.clone()),
            detail: change.detail.clone().unwrap_or_else(|| held.detail.clone()),
            due_on: change.due_on.unwrap_or(held.due_on),
            status: change.status.map_or(held.status, |(s, _)| s),
            update: change
                .update
                .as_ref()
                .map(|(u, _)| u.clone())
                .or_else(|| held.update.clone()),
            ..held.clone()
        };
        plan.state.insert(
            held.id,
            Remembered {
                reference: action.reference.clone(),
                fingerprint: after.fingerprint(),
            },
        );
        plan.changes.push((held.clone(), change));
    }
    // Actions of earlier imports the file no longer lists keep what they remembered.
    for (id, remembered) in previous {
        if held_by_id.contains_key(id) {
            plan.state.entry(*id).or_insert_with(|| remembered.clone());
        }
    }
    plan
}

/// What the file changes of an action it matched.
fn difference(held: &Held, file: &FileAction, as_at: NaiveDate, today: NaiveDate) -> ActionChange {
    let mut change = ActionChange::default();
    if normalise(&held.title) != normalise(&file.title) {
        change.title = Some(file.title.clone());
    }
    if held.owner.trim() != file.owner.trim() {
        change.owner = Some(file.owner.clone());
    }
    if file.detail.is_some() && file.detail != held.detail {
        change.detail = Some(file.detail.clone());
    }
    if held.due_on != file.due_on {
        change.due_on = Some(file.due_on);
    }
    if held.status != file.status {
        let on = status_day(file, as_at, held.opened_on, today);
        change.status = Some((file.status, on));
    }
    if let Some(update) = &file.update
        && held.update.as_deref().map(str::trim) != Some(update.trim())
    {
        let on = file.update_on.unwrap_or(as_at).clamp(held.opened_on, today);
        change.update = Some((update.clone(), on));
    }
    change
}

/// The day an action's status from the file takes effect: its completion date when the file
/// gives one, else the day the file describes; never before it was agreed nor after today.
pub(crate) fn status_day(
    file: &FileAction,
    as_at: NaiveDate,
    opened_on: NaiveDate,
    today: NaiveDate,
) -> NaiveDate {
    let day = match (file.status, file.completed_on) {
        (ActionStatus::Complete, Some(done)) => done,
        _ => as_at,
    };
    day.clamp(opened_on.min(today), today)
}
