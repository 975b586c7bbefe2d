//! An organisation's progress as at a day: every review with its counts ("15 made, 12
//! discharged, 3 outstanding"), its actions by RAG, and the overdue actions listed. For readers
//! of the organisation's detail: the reviews and actions it lists are detail.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::action_plan::Summary;
use super::changes::{self, Changes};
use super::paper::{Cell, Paper, Rag, Section, Table, long_date, rag_key};
use super::{Ask, Me, Params, Refusal, every, read, word};
use crate::access::Purpose;

const ORGANISATION: &str = "query PaperProgress($id: ID!, $asOf: Date, $knownAt: DateTime) { \
    me { user { displayName email } organisation { name } } \
    organisation(id: $id) { id name region \
      progress(asOf: $asOf, knownAt: $knownAt) { asOf knownAt recommendationsTotal \
        recommendationsDischarged recommendationsOutstanding actionsTotal green amber red \
        withdrawn percentComplete } } }";

const REVIEWS: &str = "query PaperProgressReviews($id: ID!, $asOf: Date, $knownAt: DateTime, $after: String) { \
    reviews(filter: { organisationId: $id }, first: 1000, after: $after) { \
      pageInfo { hasNextPage endCursor } \
      nodes { id title kind reviewer commissionedOn reportedOn status createdAt \
        progress(asOf: $asOf, knownAt: $knownAt) { asOf recommendationsTotal \
          recommendationsDischarged recommendationsOutstanding actionsTotal green amber red \
          withdrawn percentComplete } } } }";

const OVERDUE: &str = "query PaperProgressOverdue($id: ID!, $asOf: Date, $knownAt: DateTime, $after: String) { \
    actions(filter: { organisationId: $id, overdue: true }, asOf: $asOf, knownAt: $knownAt, \
            orderBy: DUE_ON, first: 1000, after: $after) { \
      pageInfo { hasNextPage endCursor } \
      nodes { id title owner originalDueOn review { id title } recommendation { reference } \
        standing { dueOn } } } }";

const CHANGES: &str = concat!(
    "query PaperOrganisationChanges($id: ID!, $from: Date, $to: Date, $knownAt: DateTime, $sinceCommittee: ID) { \
     organisation(id: $id) { changes(from: $from, to: $to, knownAt: $knownAt, sinceCommittee: $sinceCommittee) { ",
    changes_selection!(),
    " } } }"
);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organisation {
    id: String,
    name: String,
    region: Option<String>,
    progress: Option<Summary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    id: String,
    title: String,
    kind: String,
    reviewer: Option<String>,
    commissioned_on: Option<NaiveDate>,
    reported_on: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    progress: Summary,
}

impl Review {
    /// Whether the paper's day knew of it: recorded by the moment, and commissioned or
    /// reported by the day.
    fn known_on(&self, as_of: NaiveDate, known: DateTime<Utc>) -> bool {
        let started = self.reported_on.or(self.commissioned_on);
        self.created_at <= known && started.is_none_or(|d| d <= as_of)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Overdue {
    id: String,
    title: String,
    owner: String,
    original_due_on: NaiveDate,
    review: Option<Titled>,
    recommendation: Option<Reference>,
    standing: Option<OverdueStanding>,
}

#[derive(Deserialize)]
struct Titled {
    id: String,
    title: String,
}

#[derive(Deserialize)]
struct Reference {
    reference: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverdueStanding {
    due_on: NaiveDate,
}

/// The progress paper `params` asks for.
pub(super) async fn compose(params: &Params, ask: &dyn Ask) -> Result<(Paper, Table), Refusal> {
    // The paper lists reviews and actions: it is for readers of the organisation's detail
    // (its own users, panels it shares detail with), whatever its summary shows to others.
    let org = crate::ids::OrgId::parse("id", &params.id)
        .map_err(|e| Refusal::bad_input("id", e.to_string()))?;
    if !ask.access().orgs(Purpose::Detail).contains(org.0) {
        return Err(Refusal::not_found("organisation"));
    }
    let mut variables = params.as_at_variables();
    variables["id"] = json!(params.id);
    let mut data = ask.ask(ORGANISATION, variables.clone()).await?;
    let me: Me = read(data["me"].take())?;
    let organisation: Option<Organisation> = read(data["organisation"].take())?;
    let organisation = organisation.ok_or_else(|| Refusal::not_found("organisation"))?;
    // A reader of its summary only reads no progress paper: it lists reviews and actions.
    let summary = organisation
        .progress
        .ok_or_else(|| Refusal::not_found("organisation"))?;
    let produced_at = Utc::now();
    let known = params.known().unwrap_or(produced_at);
    let as_of = summary.as_of;
    let mut reviews: Vec<Review> = every(ask, REVIEWS, variables.clone(), &["reviews"])
        .await?
        .into_iter()
        .filter(|r: &Review| r.known_on(as_of, known))
        .collect();
    reviews.sort_by(|a, b| {
        (a.reported_on.or(a.commissioned_on), &a.title)
            .cmp(&(b.reported_on.or(b.commissioned_on), &b.title))
    });
    let overdue: Vec<Overdue> = every(ask, OVERDUE, variables.clone(), &["actions"]).await?;
    let window = changes::window(params, ask).await?;
    let changes = match &window {
        Some(w) => Some(w.changes(ask, CHANGES, &variables, "organisation").await?),
        None => None,
    };

    let mut by_review = Table::new(&[
        ("Review", 30),
        ("Reported", 10),
        ("Made", 7),
        ("Discharged", 8),
        ("Outstanding", 8),
        ("Actions", 7),
        ("Red", 6),
        ("Amber", 6),
        ("Green", 6),
        ("Complete", 8),
    ]);
    let mut flat = Table::new(&[
        ("section", 1),
        ("organisation_id", 1),
        ("review_id", 1),
        ("review_title", 1),
        ("review_kind", 1),
        ("reported_on", 1),
        ("recommendations_made", 1),
        ("recommendations_discharged", 1),
        ("recommendations_outstanding", 1),
        ("actions", 1),
        ("red", 1),
        ("amber", 1),
        ("green", 1),
        ("withdrawn", 1),
        ("action_id", 1),
        ("action_title", 1),
        ("owner", 1),
        ("original_due_on", 1),
        ("due_on", 1),
        ("changes_since", 1),
        ("as_of", 1),
        ("known_at", 1),
    ]);
    // The counts the table and the CSV share; the CSV adds the withdrawn.
    let counts = |s: &Summary| {
        vec![
            Cell::Int(s.recommendations_total),
            Cell::Int(s.recommendations_discharged),
            Cell::Int(s.recommendations_outstanding),
            Cell::Int(s.actions_total),
            Cell::Int(s.red),
            Cell::Int(s.amber),
            Cell::Int(s.green),
        ]
    };
    let flat_counts = |s: &Summary| [counts(s), vec![Cell::Int(s.withdrawn)]].concat();
    let tail = |cells: Vec<Cell>| {
        cells
            .into_iter()
            .chain([Cell::Date(as_of), Cell::Text(known.to_rfc3339())])
            .collect::<Vec<_>>()
    };
    let no_action = || vec![Cell::Empty; 6];
    flat.push(tail(
        [
            vec![
                Cell::Text("organisation".to_owned()),
                Cell::Text(organisation.id.clone()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ],
            flat_counts(&summary),
            no_action(),
        ]
        .concat(),
    ));
    for review in &reviews {
        let p = &review.progress;
        by_review.push(
            [
                vec![
                    Cell::Text(review.title.clone()),
                    Cell::date(review.reported_on),
                ],
                counts(p),
                vec![p.percent_complete.map_or(Cell::Empty, Cell::Percent)],
            ]
            .concat(),
        );
        flat.push(tail(
            [
                vec![
                    Cell::Text("review".to_owned()),
                    Cell::Text(organisation.id.clone()),
                    Cell::Text(review.id.clone()),
                    Cell::Text(review.title.clone()),
                    Cell::Text(review.kind.clone()),
                    Cell::date(review.reported_on),
                ],
                flat_counts(p),
                no_action(),
            ]
            .concat(),
        ));
    }
    let moved = changes.as_ref().map(Changes::by_action).unwrap_or_default();
    let mut overdue_table = Table::new(&[
        ("Review", 22),
        ("Ref", 6),
        ("Action", 32),
        ("Owner", 14),
        ("Due", 10),
        ("Originally", 10),
        ("RAG", 7),
    ]);
    for action in &overdue {
        let due = action
            .standing
            .as_ref()
            .map_or(action.original_due_on, |s| s.due_on);
        overdue_table.push(vec![
            Cell::text(action.review.as_ref().map(|r| r.title.clone())),
            Cell::text(action.recommendation.as_ref().map(|r| r.reference.clone())),
            Cell::Text(action.title.clone()),
            Cell::Text(action.owner.clone()),
            Cell::Date(due),
            Cell::date((due != action.original_due_on).then_some(action.original_due_on)),
            Cell::Mark(Rag::Red.mark()),
        ]);
        flat.push(tail(
            [
                vec![
                    Cell::Text("overdue action".to_owned()),
                    Cell::Text(organisation.id.clone()),
                    Cell::text(action.review.as_ref().map(|r| r.id.clone())),
                    Cell::text(action.review.as_ref().map(|r| r.title.clone())),
                    Cell::Empty,
                    Cell::Empty,
                ],
                vec![Cell::Empty; 8],
                vec![
                    Cell::Text(action.id.clone()),
                    Cell::Text(action.title.clone()),
                    Cell::Text(action.owner.clone()),
                    Cell::Date(action.original_due_on),
                    Cell::Date(due),
                    Cell::text(moved.get(&action.id).map(|m| m.join("; "))),
                ],
            ]
            .concat(),
        ));
    }

    let mut facts = Vec::new();
    if let Some(region) = &organisation.region {
        facts.push(("Region".to_owned(), region.clone()));
    }
    facts.push(("Reviews".to_owned(), reviews.len().to_string()));
    if let Some(next) = reviews.iter().filter_map(|r| r.reported_on).max() {
        facts.push(("Latest reported".to_owned(), long_date(next)));
    }
    let kinds: Vec<String> = {
        let mut kinds: Vec<String> = reviews.iter().map(|r| word(&r.kind)).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    };
    if !kinds.is_empty() {
        facts.push(("Kinds of review".to_owned(), kinds.join(", ")));
    }
    let mut sections = vec![
        Section {
            title: "Reviews".to_owned(),
            sheet: "Reviews",
            note: Some(
                reviews
                    .iter()
                    .map(|r| {
                        let p = &r.progress;
                        format!(
                            "{}{}: {} made, {} discharged, {} outstanding.",
                            r.title,
                            r.reviewer
                                .as_ref()
                                .map(|w| format!(" ({w})"))
                                .unwrap_or_default(),
                            p.recommendations_total,
                            p.recommendations_discharged,
                            p.recommendations_outstanding
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            )
            .filter(|n| !n.is_empty()),
            table: by_review,
        },
        Section {
            title: "Overdue actions".to_owned(),
            sheet: "Overdue actions",
            note: Some(format!(
                "{} overdue at the end of {}.",
                super::paper::count(overdue.len() as i64, "action", "actions"),
                long_date(as_of)
            )),
            table: overdue_table,
        },
    ];
    if let Some(changes) = &changes {
        sections.extend(changes.sections(window.as_ref().and_then(|w| w.committee.as_deref())));
    }
    let paper = Paper {
        kind: "Progress report",
        title: format!(
            "Progress across {}",
            super::paper::count(reviews.len() as i64, "review", "reviews")
        ),
        organisation: organisation.name.clone(),
        as_of,
        known_at: params.known(),
        produced_by: me.produced_by(),
        produced_at,
        facts,
        summary: summary.sentence(),
        chart: summary.chart(),
        key: rag_key(),
        sections,
        landscape: true,
    };
    Ok((paper, flat))
}
