//! An organisation's reviews: their recommendations, the actions that answer them, and the
//! actions' histories (status changes, extensions, progress updates, evidence).

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;
use uuid::Uuid;

use super::{ANCHOR, FIRST_REPORT, OrgGen, between, days, moment};
use crate::bench_data::names::{self, ReviewKind};
use crate::bench_data::sink::{Cell, Table};

/// What became of an action, for its recommendation's history.
struct Outcome {
    started: Option<NaiveDate>,
    completed: Option<NaiveDate>,
    withdrawn: bool,
    original_due_on: NaiveDate,
}

impl OrgGen<'_> {
    pub(super) fn review(&mut self) {
        let kinds = &names::REVIEW_KINDS;
        let kind: &ReviewKind = kinds
            .choose_weighted(self.rng, |k| k.weight)
            .expect("review kinds have weights");
        let reported = between(self.rng, FIRST_REPORT, ANCHOR - days(45));
        let commissioned = reported - days(self.rng.random_range(60..=180));
        let created = moment(commissioned, 0);
        let id = self.id(created);
        let org = self.org.id;

        let (lo, hi) = self.plan.recommendations_per_review;
        let count = self.rng.random_range(lo..=hi);
        let mut settled = true;
        for position in 0..count {
            settled &= self.recommendation(id, kind, position, reported);
        }
        if self.rng.random_bool(0.05) {
            // An action of the plan that answers no single recommendation.
            self.action(id, None, reported);
            settled = false;
        }
        if kind.code == "INSPECTION" {
            for (position, area) in ["Effectiveness", "Efficiency", "People"].iter().enumerate() {
                let grade = *[
                    "GOOD",
                    "GOOD",
                    "ADEQUATE",
                    "REQUIRES_IMPROVEMENT",
                    "OUTSTANDING",
                    "INADEQUATE",
                ]
                .choose(self.rng)
                .expect("grades");
                let jid = self.id(created);
                self.sink.push(
                    Table::ReviewJudgements,
                    vec![
                        jid.into(),
                        org.into(),
                        id.into(),
                        (position as i64).into(),
                        (*area).into(),
                        grade.into(),
                    ],
                );
            }
        }
        let status = if settled && reported < ANCHOR - days(365) {
            "CLOSED"
        } else {
            "REPORTED"
        };
        let title = format!(
            "{} {}",
            kind.titles.choose(self.rng).expect("titles"),
            reported.year()
        );
        let reviewer = *kind.reviewers.choose(self.rng).expect("reviewers");
        self.sink.push(
            Table::Reviews,
            vec![
                id.into(),
                org.into(),
                kind.code.into(),
                title.into(),
                reviewer.into(),
                Cell::Null,
                commissioned.into(),
                reported.into(),
                status.into(),
                Cell::Null,
                Cell::Null,
                1.into(),
                created.into(),
                moment(reported, 0).into(),
            ],
        );
    }

    /// One recommendation with its actions; returns whether it is settled (discharged or not
    /// accepted).
    fn recommendation(
        &mut self,
        review: Uuid,
        kind: &ReviewKind,
        position: u32,
        reported: NaiveDate,
    ) -> bool {
        let org = self.org.id;
        let made = moment(reported, 10 + position as i64);
        let id = self.id(made);
        let rec_kind = match kind.code {
            "INSPECTION" if position == 0 && self.rng.random_bool(0.3) => "CAUSE_OF_CONCERN",
            "INSPECTION" => "AREA_FOR_IMPROVEMENT",
            "EXERCISE_DEBRIEF" | "INCIDENT_DEBRIEF" => "LESSON",
            _ if self.rng.random_bool(0.05) => "OBSERVATION",
            _ => "RECOMMENDATION",
        };
        let mut history: Vec<(&'static str, NaiveDate)> = vec![("OPEN", reported)];
        let mut target = None;
        if self.rng.random_bool(0.03) {
            history.push(("NOT_ACCEPTED", (reported + days(14)).min(ANCHOR)));
        } else {
            let (lo, hi) = self.plan.actions_per_recommendation;
            let outcomes: Vec<Outcome> = (0..self.rng.random_range(lo..=hi))
                .map(|_| self.action(review, Some(id), reported))
                .collect();
            target = outcomes.iter().map(|o| o.original_due_on).max();
            let started = outcomes.iter().filter_map(|o| o.started).min();
            let live: Vec<&Outcome> = outcomes.iter().filter(|o| !o.withdrawn).collect();
            let done = !live.is_empty() && live.iter().all(|o| o.completed.is_some());
            if let Some(day) = started {
                history.push(("IN_PROGRESS", day.max(reported)));
            }
            if done {
                let day = live.iter().filter_map(|o| o.completed).max().expect("done");
                history.push(("DISCHARGED", day.max(reported)));
            } else if started.is_some() && self.rng.random_bool(0.04) {
                history.push((
                    "ONGOING",
                    between(self.rng, started.expect("started"), ANCHOR),
                ));
            }
        }
        // Keep the history in date order (a later entry never dated before an earlier one).
        for i in 1..history.len() {
            if history[i].1 < history[i - 1].1 {
                history[i].1 = history[i - 1].1;
            }
        }
        let (status, last) = *history.last().expect("a history");
        let discharged = status == "DISCHARGED";
        for (n, (status, day)) in history.iter().enumerate() {
            let at = moment(*day, 20 + n as i64);
            let hid = self.id(at);
            self.sink.push(
                Table::RecommendationStatusChanges,
                vec![
                    hid.into(),
                    org.into(),
                    id.into(),
                    (*status).into(),
                    (*day).into(),
                    self.manager().into(),
                    at.into(),
                ],
            );
        }
        if self.rng.random_bool(0.2) {
            let standard = *self.national.standards.choose(self.rng).expect("standards");
            self.sink.push(
                Table::RecommendationStandards,
                vec![id.into(), standard.into(), org.into()],
            );
        }
        let text = *names::RECOMMENDATIONS.choose(self.rng).expect("texts");
        self.sink.push(
            Table::Recommendations,
            vec![
                id.into(),
                org.into(),
                review.into(),
                (position as i64).into(),
                format!("R{}", position + 1).into(),
                rec_kind.into(),
                text.into(),
                status.into(),
                target.into(),
                discharged.then_some(last).into(),
                discharged.then_some(self.manager()).into(),
                (history.len() as i64).into(),
                made.into(),
                moment(last, 30).into(),
            ],
        );
        matches!(status, "DISCHARGED" | "NOT_ACCEPTED")
    }

    /// One action with its histories: status changes, delivery-date changes (extensions),
    /// progress updates and, for some, evidence.
    fn action(
        &mut self,
        review: Uuid,
        recommendation: Option<Uuid>,
        reported: NaiveDate,
    ) -> Outcome {
        let org = self.org.id;
        let opened = (reported + days(self.rng.random_range(0..=30))).min(ANCHOR);
        let original_due = opened + days(self.rng.random_range(60..=540));
        let created = moment(opened, 40);
        let id = self.id(created);
        // Events of the day are ordered by the minute they are stamped with.
        let mut minute = 41;
        let mut tick = || {
            minute += 1;
            minute
        };

        let started = (self.rng.random_bool(0.95))
            .then(|| opened + days(self.rng.random_range(3..=90)))
            .filter(|d| *d <= ANCHOR);

        // Extensions: the delivery date moves, each time for a reason, never silently.
        let mut due = original_due;
        let mut last_change = opened;
        let extensions = [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3][self.rng.random_range(0..11)];
        let mut version = 1;
        for _ in 0..extensions {
            let from = last_change.max(opened + days(14));
            let to = ANCHOR.min(due + days(30));
            if from > to {
                break;
            }
            let effective = between(self.rng, from, to);
            let new_due = due + days(self.rng.random_range(30..=180));
            let at = moment(effective, tick());
            let cid = self.id(at);
            let reason = *names::EXTENSION_REASONS.choose(self.rng).expect("reasons");
            self.sink.push(
                Table::DueDateChanges,
                vec![
                    cid.into(),
                    org.into(),
                    id.into(),
                    due.into(),
                    new_due.into(),
                    reason.into(),
                    effective.into(),
                    self.manager().into(),
                    at.into(),
                ],
            );
            due = new_due;
            last_change = effective;
            version += 1;
        }

        // How it ends: most finish (many late), a few are withdrawn, some are still open.
        let after_start = started.map(|s| s + days(1)).filter(|d| *d <= ANCHOR);
        let withdrawn = after_start.is_some() && self.rng.random_bool(0.02);
        let completed = match after_start {
            Some(first) if !withdrawn => {
                if due <= ANCHOR {
                    self.rng.random_bool(0.8).then(|| {
                        (due + days(self.rng.random_range(-60..=120)))
                            .max(first)
                            .min(ANCHOR)
                    })
                } else {
                    self.rng
                        .random_bool(0.25)
                        .then(|| between(self.rng, first, ANCHOR))
                }
            }
            _ => None,
        };
        let withdrawn_on =
            withdrawn.then(|| between(self.rng, after_start.expect("started"), ANCHOR));

        // Progress updates, in date order, up to the day it ended.
        let end = completed.or(withdrawn_on).unwrap_or(ANCHOR);
        let (lo, hi) = self.plan.updates_per_action;
        let mut count = self.rng.random_range(lo..=hi) as usize;
        if completed.is_some() {
            count = count.max(1);
        }
        let mut dates: Vec<NaiveDate> =
            (0..count).map(|_| between(self.rng, opened, end)).collect();
        dates.sort();
        if let (Some(done), Some(last)) = (completed, dates.last_mut()) {
            *last = done;
        }
        let start_with_update = started.is_some() && self.rng.random_bool(0.5);
        let mut statuses: Vec<(&'static str, NaiveDate, Option<Uuid>)> =
            vec![("NOT_STARTED", opened, None)];
        let mut percent = 0i64;
        let mut latest_percent = None;
        let mut started_logged = false;
        for (n, day) in dates.iter().enumerate() {
            let last = n + 1 == dates.len();
            let completes = last && completed.is_some();
            let starts = start_with_update && !started_logged && Some(*day) >= started;
            let at = moment(*day, tick());
            let uid = self.id(at);
            let new_status = if completes {
                Some("COMPLETE")
            } else if starts {
                started_logged = true;
                statuses.push(("IN_PROGRESS", *day, Some(uid)));
                Some("IN_PROGRESS")
            } else {
                None
            };
            percent = if completes {
                100
            } else {
                (percent + self.rng.random_range(5..=25)).min(95)
            };
            let gives_percent = completes || self.rng.random_bool(0.7);
            if gives_percent {
                latest_percent = Some(percent);
            }
            let narrative = if completes {
                "Complete: evidence recorded for audit."
            } else {
                names::UPDATES.choose(self.rng).expect("updates")
            };
            let author = self.reporter();
            self.sink.push(
                Table::ProgressUpdates,
                vec![
                    uid.into(),
                    org.into(),
                    id.into(),
                    (*day).into(),
                    narrative.into(),
                    new_status.into(),
                    gives_percent.then_some(percent).into(),
                    author.into(),
                    at.into(),
                ],
            );
            if completes {
                statuses.push(("COMPLETE", *day, Some(uid)));
            }
            version += 1;
        }
        if let Some(day) = started
            && !started_logged
        {
            // Completion and withdrawal are always after the start.
            statuses.push(("IN_PROGRESS", day, None));
        }
        if let Some(day) = completed
            && !statuses.iter().any(|s| s.0 == "COMPLETE")
        {
            statuses.push(("COMPLETE", day, None));
        }
        if let Some(day) = withdrawn_on {
            statuses.push(("WITHDRAWN", day, None));
        }
        statuses.sort_by_key(|s| (s.1, status_order(s.0)));
        for (status, day, update) in &statuses {
            let at = moment(*day, 10 + status_order(status));
            let sid = self.id(at);
            self.sink.push(
                Table::ActionStatusChanges,
                vec![
                    sid.into(),
                    org.into(),
                    id.into(),
                    (*status).into(),
                    (*day).into(),
                    (*update).into(),
                    self.manager().into(),
                    at.into(),
                ],
            );
        }
        version += statuses.len() as i64 - 1;
        let status = statuses.last().expect("a status").0;

        if completed.is_some() && self.rng.random_bool(0.1) {
            let at = moment(end, 50);
            let eid = self.id(at);
            self.sink.push(
                Table::Evidence,
                vec![
                    eid.into(),
                    org.into(),
                    id.into(),
                    "Evidence of completion".into(),
                    Cell::Null,
                    format!("EV-{}", &eid.simple().to_string()[20..]).into(),
                    self.manager().into(),
                    at.into(),
                ],
            );
        }

        let owner = *names::OWNERS.choose(self.rng).expect("owners");
        let owner_user = self.rng.random_bool(0.3).then(|| self.manager());
        let title = *names::ACTIONS.choose(self.rng).expect("actions");
        self.sink.push(
            Table::Actions,
            vec![
                id.into(),
                org.into(),
                review.into(),
                recommendation.into(),
                title.into(),
                Cell::Null,
                owner.into(),
                owner_user.into(),
                opened.into(),
                original_due.into(),
                due.into(),
                status.into(),
                completed.into(),
                latest_percent.into(),
                version.into(),
                created.into(),
                moment(end, 55).into(),
            ],
        );
        Outcome {
            started,
            completed,
            withdrawn,
            original_due_on: original_due,
        }
    }
}

/// The order of statuses that fall on the same day.
fn status_order(status: &str) -> i64 {
    match status {
        "NOT_STARTED" => 0,
        "IN_PROGRESS" => 1,
        "COMPLETE" => 2,
        _ => 3,
    }
}
