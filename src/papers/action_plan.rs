//! A review's action plan as at a day: the Essex monthly update's table (recommendation,
//! actions, owner, delivery date, RAG) with the review's counts, the RAG key, and each
//! action's latest update.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::changes::{self, Changes};
use super::paper::{
    Cell, Chart, Mark, Paper, Rag, Row, Section, Table, count, long_date, no_rag, rag_bars, rag_key,
};
use super::{Ask, Me, Named, Params, Refusal, every, read, word};

const PLAN: &str = "query PaperActionPlan($id: ID!, $asOf: Date, $knownAt: DateTime) { \
    me { user { displayName email } organisation { name } } \
    review(id: $id) { id title kind reviewer reportedOn status organisation { id name } \
      progress(asOf: $asOf, knownAt: $knownAt) { asOf knownAt recommendationsTotal \
        recommendationsDischarged recommendationsOutstanding actionsTotal green amber red \
        withdrawn percentComplete } \
      recommendations(asOf: $asOf, knownAt: $knownAt) { id reference text \
        standing { status outstanding dischargedOn } } } }";

const ACTIONS: &str = "query PaperActionPlanActions($id: ID!, $asOf: Date, $knownAt: DateTime, $after: String) { \
    review(id: $id) { actions(asOf: $asOf, knownAt: $knownAt, first: 1000, after: $after) { \
      pageInfo { hasNextPage endCursor } \
      nodes { id title owner openedOn originalDueOn recommendation { id } \
        standing { status dueOn completedOn rag percentComplete } \
        dueDateChanges { newDueOn reason effectiveOn changedAt } \
        latestUpdate(asOf: $asOf, knownAt: $knownAt) { asAt narrative } } } } }";

const CHANGES: &str = concat!(
    "query PaperReviewChanges($id: ID!, $from: Date, $to: Date, $knownAt: DateTime, $sinceCommittee: ID) { \
     review(id: $id) { changes(from: $from, to: $to, knownAt: $knownAt, sinceCommittee: $sinceCommittee) { ",
    changes_selection!(),
    " } } }"
);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    id: String,
    title: String,
    kind: String,
    reviewer: Option<String>,
    reported_on: Option<NaiveDate>,
    status: String,
    organisation: Option<Named>,
    progress: Summary,
    recommendations: Vec<Recommendation>,
}

/// A progress summary, as the `progress` fields give it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Summary {
    pub as_of: NaiveDate,
    pub recommendations_total: i64,
    pub recommendations_discharged: i64,
    pub recommendations_outstanding: i64,
    pub actions_total: i64,
    pub green: i64,
    pub amber: i64,
    pub red: i64,
    #[serde(default)]
    pub withdrawn: i64,
    #[serde(default)]
    pub percent_complete: Option<f64>,
}

impl Summary {
    /// "Of the 15 recommendations made, 12 have been discharged and 3 are outstanding. 10
    /// actions: 7 complete, 3 on track, none overdue."
    pub(super) fn sentence(&self) -> String {
        let none_or = |n: i64| {
            if n == 0 {
                "none".to_owned()
            } else {
                n.to_string()
            }
        };
        let mut out = format!(
            "Of the {} made, {} {} been discharged and {} {} outstanding. {}: {} complete, {} on track, {} overdue.",
            count(
                self.recommendations_total,
                "recommendation",
                "recommendations"
            ),
            self.recommendations_discharged,
            if self.recommendations_discharged == 1 {
                "has"
            } else {
                "have"
            },
            self.recommendations_outstanding,
            if self.recommendations_outstanding == 1 {
                "is"
            } else {
                "are"
            },
            count(self.actions_total, "action", "actions"),
            none_or(self.green),
            none_or(self.amber),
            none_or(self.red),
        );
        if self.withdrawn > 0 {
            out.push_str(&format!(
                " {} withdrawn.",
                count(self.withdrawn, "action", "actions")
            ));
        }
        out
    }

    /// The chart of actions by RAG.
    pub(super) fn chart(&self) -> Chart {
        Chart {
            title: format!("Actions by RAG ({} in all)", self.actions_total),
            bars: rag_bars(self.red, self.amber, self.green),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recommendation {
    id: String,
    reference: String,
    text: String,
    standing: Option<RecommendationStanding>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecommendationStanding {
    status: Option<String>,
    outstanding: bool,
    discharged_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Action {
    id: String,
    title: String,
    owner: String,
    opened_on: NaiveDate,
    original_due_on: NaiveDate,
    recommendation: Option<Id>,
    standing: Option<Standing>,
    due_date_changes: Vec<DueDateChange>,
    latest_update: Option<Update>,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Standing {
    status: Option<String>,
    due_on: NaiveDate,
    completed_on: Option<NaiveDate>,
    rag: Option<Rag>,
    percent_complete: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DueDateChange {
    new_due_on: NaiveDate,
    reason: String,
    effective_on: NaiveDate,
    changed_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    as_at: NaiveDate,
    narrative: String,
}

impl Action {
    /// Its status and RAG as a mark: the RAG, or why it has none.
    fn mark(&self) -> Mark {
        match &self.standing {
            Some(Standing { rag: Some(rag), .. }) => rag.mark(),
            Some(s) if s.status.as_deref() == Some("WITHDRAWN") => no_rag("Withdrawn"),
            _ => no_rag("Not agreed"),
        }
    }

    /// The delivery date in force at the paper's day.
    fn due_on(&self) -> NaiveDate {
        self.standing
            .as_ref()
            .map_or(self.original_due_on, |s| s.due_on)
    }

    /// When the date in force differs from the one first agreed: "Extended" or "Brought
    /// forward", and the reason of the latest change in force by the day (as known then).
    fn date_change(
        &self,
        as_of: NaiveDate,
        known: DateTime<Utc>,
    ) -> Option<(&'static str, String)> {
        let due = self.due_on();
        if due == self.original_due_on {
            return None;
        }
        let how = if due > self.original_due_on {
            "Extended"
        } else {
            "Brought forward"
        };
        let reason = self
            .due_date_changes
            .iter()
            .filter(|c| c.effective_on <= as_of && c.changed_at <= known && c.new_due_on == due)
            .max_by_key(|c| (c.effective_on, c.changed_at))
            .map(|c| c.reason.clone())
            .unwrap_or_default();
        Some((how, reason))
    }
}

/// The action plan `params` asks for.
pub(super) async fn compose(params: &Params, ask: &dyn Ask) -> Result<(Paper, Table), Refusal> {
    let mut variables = params.as_at_variables();
    variables["id"] = json!(params.id);
    let mut data = ask.ask(PLAN, variables.clone()).await?;
    let me: Me = read(data["me"].take())?;
    let review: Option<Review> = read(data["review"].take())?;
    let review = review.ok_or_else(|| Refusal::not_found("review"))?;
    let actions: Vec<Action> =
        every(ask, ACTIONS, variables.clone(), &["review", "actions"]).await?;
    let window = changes::window(params, ask).await?;
    let changes = match &window {
        Some(w) => Some(w.changes(ask, CHANGES, &variables, "review").await?),
        None => None,
    };

    let as_of = review.progress.as_of;
    let produced_at = Utc::now();
    let known = params.known().unwrap_or(produced_at);
    let organisation = review
        .organisation
        .as_ref()
        .map_or_else(String::new, |o| o.name.clone());

    // The plan, recommendation by recommendation; actions answering none come last.
    let mut by_recommendation: HashMap<&str, Vec<&Action>> = HashMap::new();
    let mut unattached = Vec::new();
    for action in &actions {
        match &action.recommendation {
            Some(r) => by_recommendation
                .entry(r.id.as_str())
                .or_default()
                .push(action),
            None => unattached.push(action),
        }
    }
    let mut plan = Table::new(&[
        ("Action", 30),
        ("Owner", 14),
        ("Delivery date", 10),
        ("Originally", 10),
        ("Why changed", 16),
        ("Status", 11),
        ("RAG", 9),
        ("Latest update", 28),
        ("Update dated", 10),
    ]);
    let mut flat = Table::new(&[
        ("review_id", 1),
        ("review_title", 1),
        ("recommendation_id", 1),
        ("recommendation_reference", 1),
        ("recommendation_text", 1),
        ("recommendation_status", 1),
        ("action_id", 1),
        ("action_title", 1),
        ("owner", 1),
        ("opened_on", 1),
        ("original_due_on", 1),
        ("due_on", 1),
        ("due_date_change", 1),
        ("due_date_change_reason", 1),
        ("status", 1),
        ("completed_on", 1),
        ("rag", 1),
        ("percent_complete", 1),
        ("latest_update_on", 1),
        ("latest_update", 1),
        ("changes_since", 1),
        ("as_of", 1),
        ("known_at", 1),
    ]);
    let moved = changes.as_ref().map(Changes::by_action).unwrap_or_default();
    let mut groups: Vec<(Option<&Recommendation>, Vec<&Action>)> = review
        .recommendations
        .iter()
        .map(|r| {
            (
                Some(r),
                by_recommendation.remove(r.id.as_str()).unwrap_or_default(),
            )
        })
        .collect();
    // Actions of recommendations made after the day (or withheld) still belong in the plan.
    unattached.extend(by_recommendation.into_values().flatten());
    if !unattached.is_empty() {
        groups.push((None, unattached));
    }
    for (recommendation, group) in groups {
        let status = recommendation.and_then(|r| r.standing.as_ref()).map(|s| {
            match (s.status.as_deref(), s.discharged_on) {
                (Some("DISCHARGED"), Some(day)) => format!("discharged {}", long_date(day)),
                (Some(status), _) => word(status).to_lowercase(),
                (None, _) if s.outstanding => "outstanding".to_owned(),
                (None, _) => String::new(),
            }
        });
        plan.rows.push(Row::Group(match recommendation {
            Some(r) => format!(
                "{}: {} ({})",
                r.reference,
                r.text,
                status.clone().unwrap_or_default()
            ),
            None => "Actions answering no recommendation".to_owned(),
        }));
        if group.is_empty() {
            plan.rows.push(Row::Cells(
                std::iter::once(Cell::Text("No actions recorded.".to_owned()))
                    .chain(std::iter::repeat_n(Cell::Empty, plan.columns.len() - 1))
                    .collect(),
            ));
        }
        for action in group {
            let change = action.date_change(as_of, known);
            let standing = action.standing.as_ref();
            plan.push(vec![
                Cell::Text(action.title.clone()),
                Cell::Text(action.owner.clone()),
                Cell::Date(action.due_on()),
                Cell::date(change.as_ref().map(|_| action.original_due_on)),
                Cell::text(change.as_ref().map(|(how, why)| {
                    if why.is_empty() {
                        (*how).to_owned()
                    } else {
                        format!("{how}: {why}")
                    }
                })),
                Cell::text(standing.and_then(|s| s.status.as_deref()).map(word)),
                Cell::Mark(action.mark()),
                Cell::text(action.latest_update.as_ref().map(|u| u.narrative.clone())),
                Cell::date(action.latest_update.as_ref().map(|u| u.as_at)),
            ]);
            flat.push(vec![
                Cell::Text(review.id.clone()),
                Cell::Text(review.title.clone()),
                Cell::text(recommendation.map(|r| r.id.clone())),
                Cell::text(recommendation.map(|r| r.reference.clone())),
                Cell::text(recommendation.map(|r| r.text.clone())),
                Cell::text(
                    recommendation
                        .and_then(|r| r.standing.as_ref())
                        .and_then(|s| s.status.clone()),
                ),
                Cell::Text(action.id.clone()),
                Cell::Text(action.title.clone()),
                Cell::Text(action.owner.clone()),
                Cell::Date(action.opened_on),
                Cell::Date(action.original_due_on),
                Cell::Date(action.due_on()),
                Cell::text(change.as_ref().map(|(how, _)| how.to_lowercase())),
                Cell::text(change.as_ref().map(|(_, why)| why.clone())),
                Cell::text(standing.and_then(|s| s.status.clone())),
                Cell::date(standing.and_then(|s| s.completed_on)),
                Cell::text(
                    standing
                        .and_then(|s| s.rag)
                        .map(|r| r.mark().word.to_uppercase()),
                ),
                standing
                    .and_then(|s| s.percent_complete)
                    .map_or(Cell::Empty, Cell::Int),
                Cell::date(action.latest_update.as_ref().map(|u| u.as_at)),
                Cell::text(action.latest_update.as_ref().map(|u| u.narrative.clone())),
                Cell::text(moved.get(&action.id).map(|m| m.join("; "))),
                Cell::Date(as_of),
                Cell::Text(known.to_rfc3339()),
            ]);
        }
    }

    let mut facts = vec![("Review".to_owned(), word(&review.kind))];
    if let Some(reviewer) = &review.reviewer {
        facts.push(("Conducted by".to_owned(), reviewer.clone()));
    }
    if let Some(day) = review.reported_on {
        facts.push(("Reported".to_owned(), long_date(day)));
    }
    facts.push(("Status".to_owned(), word(&review.status)));
    let mut sections = vec![Section {
        title: "Action plan".to_owned(),
        sheet: "Action plan",
        note: None,
        table: plan,
    }];
    if let Some(changes) = &changes {
        sections.extend(changes.sections(window.as_ref().and_then(|w| w.committee.as_deref())));
    }
    let paper = Paper {
        kind: "Action plan",
        title: review.title.clone(),
        organisation,
        as_of,
        known_at: params.known(),
        produced_by: me.produced_by(),
        produced_at,
        facts,
        summary: review.progress.sentence(),
        chart: review.progress.chart(),
        key: rag_key(),
        sections,
        landscape: true,
    };
    Ok((paper, flat))
}
