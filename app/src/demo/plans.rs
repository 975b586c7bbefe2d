//! The demo action plans, from the source committee papers:
//!
//! - Rotherham: the scrutiny review of its Major Incident Plan (2017) as the December 2020
//!   briefing describes it: 15 recommendations, 12 discharged, 3 outstanding (one ongoing by
//!   nature), the exercises held since, and the next steps the briefing lists;
//! - Hereford & Worcester: the HMICFRS cause of concern on prevention (letter of 29 June 2021),
//!   its three objectives, and the November 2021 update (the safe and well backlog cleared on
//!   18 October 2021, ahead of schedule; completion targeted for July 2022);
//! - Essex: the peer review of its Protection Improvement Plan by Hertfordshire (reported
//!   29 January 2021): 8 recommendations and the actions, owners and delivery dates of the
//!   November 2021 update, with a history such that a report as at 30 November 2021 shows them
//!   all on track (7 complete, 3 amber), and later entries (an extension, completions in 2022)
//!   that a report of today shows.
//!
//! Where a paper gives no exact date (when a Rotherham recommendation was discharged, when an
//! Essex action was completed), the demo picks a plausible one; the papers' own dates are kept.
//! Texts are paraphrased, not quoted.
//!
//! Rows are written directly, with their histories, in one transaction per organisation: this
//! is set-up, not a user's change, so it writes no audit events.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use resilience_hub::actions::ActionStatus;
use resilience_hub::db::Database;
use resilience_hub::entity::{
    action, action_status_change, committee, due_date_change, evidence, progress_update,
    recommendation, recommendation_status_change, review,
};
use resilience_hub::reviews::{RecommendationKind, RecommendationStatus, ReviewKind, ReviewStatus};

/// The moment an entry of `s` was recorded: the demo's officers kept their trackers up to date,
/// so each entry is recorded at the end of the working day it takes effect (17:00 UTC), and an
/// answer "as known at" a committee's date sees what the committee saw.
fn entered(s: &str) -> chrono::DateTime<Utc> {
    day(s)
        .and_hms_opt(17, 0, 0)
        .expect("a time of day")
        .and_utc()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("demo dates are valid")
}

/// Something that happened to a demo action.
enum Event {
    /// A progress update, optionally moving the status.
    Update(
        &'static str,
        &'static str,
        Option<ActionStatus>,
        Option<i32>,
    ),
    /// A change of delivery date: effective on, new date, reason.
    Extend(&'static str, &'static str, &'static str),
}

use ActionStatus::{Complete, InProgress};
use Event::{Extend, Update};

struct ActionSpec {
    title: &'static str,
    owner: &'static str,
    opened: &'static str,
    due: &'static str,
    events: Vec<Event>,
}

fn act(
    title: &'static str,
    owner: &'static str,
    opened: &'static str,
    due: &'static str,
    events: Vec<Event>,
) -> ActionSpec {
    ActionSpec {
        title,
        owner,
        opened,
        due,
        events,
    }
}

struct ReviewSpec {
    kind: ReviewKind,
    title: &'static str,
    reviewer: &'static str,
    reviewer_org: Option<Uuid>,
    commissioned: Option<&'static str>,
    reported: &'static str,
    status: ReviewStatus,
    summary: &'static str,
}

/// Writes one organisation's plan.
struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    org: Uuid,
    position: i32,
}

impl Writer<'_> {
    async fn review(&self, spec: ReviewSpec) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        let now = entered(spec.commissioned.unwrap_or(spec.reported));
        review::Entity::insert(review::ActiveModel {
            id: Set(id),
            org_id: Set(self.org),
            kind: Set(spec.kind),
            title: Set(spec.title.to_owned()),
            reviewer: Set(Some(spec.reviewer.to_owned())),
            reviewer_org_id: Set(spec.reviewer_org),
            commissioned_on: Set(spec.commissioned.map(day)),
            reported_on: Set(Some(day(spec.reported))),
            status: Set(spec.status),
            summary: Set(Some(spec.summary.to_owned())),
            source_url: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(self.txn)
        .await?;
        Ok(id)
    }

    /// A recommendation, made on `made`, with its later status changes.
    async fn recommendation(
        &mut self,
        review: Uuid,
        reference: &str,
        kind: RecommendationKind,
        text: &str,
        made: &str,
        history: &[(RecommendationStatus, &str)],
    ) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        let now = entered(made);
        let mut statuses = vec![(RecommendationStatus::Open, made)];
        statuses.extend_from_slice(history);
        let (status, since) = *statuses.last().expect("at least the first status");
        let discharged = status == RecommendationStatus::Discharged;
        self.position += 1;
        recommendation::Entity::insert(recommendation::ActiveModel {
            id: Set(id),
            org_id: Set(self.org),
            review_id: Set(review),
            position: Set(self.position),
            reference: Set(reference.to_owned()),
            kind: Set(kind),
            text: Set(text.to_owned()),
            status: Set(status),
            target_date: Set(None),
            discharged_on: Set(discharged.then(|| day(since))),
            discharged_by: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(self.txn)
        .await?;
        for (status, on) in statuses {
            recommendation_status_change::Entity::insert(
                recommendation_status_change::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    org_id: Set(self.org),
                    recommendation_id: Set(id),
                    status: Set(status),
                    effective_on: Set(day(on)),
                    changed_by: Set(None),
                    changed_at: Set(entered(on)),
                    correction_reason: Set(None),
                },
            )
            .exec_without_returning(self.txn)
            .await?;
        }
        Ok(id)
    }

    /// An action with its history; its current columns follow from the history.
    async fn action(
        &self,
        review: Uuid,
        rec: Option<Uuid>,
        spec: ActionSpec,
    ) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        let now = entered(spec.opened);
        let mut status = (ActionStatus::NotStarted, day(spec.opened));
        let mut due = day(spec.due);
        let mut percent = None;
        for event in &spec.events {
            match event {
                Update(on, _, new_status, pct) => {
                    if let Some(s) = new_status {
                        status = (*s, day(on));
                    }
                    if pct.is_some() {
                        percent = *pct;
                    }
                }
                Extend(_, to, _) => due = day(to),
            }
        }
        action::Entity::insert(action::ActiveModel {
            id: Set(id),
            org_id: Set(self.org),
            review_id: Set(Some(review)),
            recommendation_id: Set(rec),
            title: Set(spec.title.to_owned()),
            detail: Set(None),
            owner: Set(spec.owner.to_owned()),
            owner_user_id: Set(None),
            opened_on: Set(day(spec.opened)),
            original_due_on: Set(day(spec.due)),
            due_on: Set(due),
            status: Set(status.0),
            completed_on: Set((status.0 == ActionStatus::Complete).then_some(status.1)),
            percent_complete: Set(percent),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(self.txn)
        .await?;
        self.status(id, ActionStatus::NotStarted, spec.opened, None)
            .await?;
        let mut previous_due = day(spec.due);
        for event in spec.events {
            match event {
                Update(on, text, new_status, pct) => {
                    let update = Uuid::now_v7();
                    progress_update::Entity::insert(progress_update::ActiveModel {
                        id: Set(update),
                        org_id: Set(self.org),
                        action_id: Set(id),
                        as_at: Set(day(on)),
                        narrative: Set(text.to_owned()),
                        new_status: Set(new_status),
                        percent_complete: Set(pct),
                        author_id: Set(None),
                        recorded_at: Set(entered(on)),
                        correction_reason: Set(None),
                    })
                    .exec_without_returning(self.txn)
                    .await?;
                    if let Some(s) = new_status {
                        self.status(id, s, on, Some(update)).await?;
                    }
                }
                Extend(on, to, reason) => {
                    due_date_change::Entity::insert(due_date_change::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        org_id: Set(self.org),
                        action_id: Set(id),
                        previous_due_on: Set(previous_due),
                        new_due_on: Set(day(to)),
                        reason: Set(reason.to_owned()),
                        effective_on: Set(day(on)),
                        changed_by: Set(None),
                        changed_at: Set(entered(on)),
                        correction_reason: Set(None),
                    })
                    .exec_without_returning(self.txn)
                    .await?;
                    previous_due = day(to);
                }
            }
        }
        Ok(id)
    }

    async fn status(
        &self,
        action: Uuid,
        status: ActionStatus,
        on: &str,
        update: Option<Uuid>,
    ) -> anyhow::Result<()> {
        action_status_change::Entity::insert(action_status_change::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(self.org),
            action_id: Set(action),
            status: Set(status),
            effective_on: Set(day(on)),
            progress_update_id: Set(update),
            changed_by: Set(None),
            changed_at: Set(entered(on)),
            correction_reason: Set(None),
        })
        .exec_without_returning(self.txn)
        .await?;
        Ok(())
    }

    async fn evidence(&self, action: Uuid, title: &str, reference: &str) -> anyhow::Result<()> {
        evidence::Entity::insert(evidence::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(self.org),
            action_id: Set(action),
            title: Set(title.to_owned()),
            url: Set(None),
            reference: Set(Some(reference.to_owned())),
            added_by: Set(None),
            added_at: Set(Utc::now()),
        })
        .exec_without_returning(self.txn)
        .await?;
        Ok(())
    }

    /// A meeting of a committee the organisation reports to, recorded the day it met.
    async fn committee(&self, name: &str, meets: &str) -> anyhow::Result<()> {
        committee::Entity::insert(committee::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(self.org),
            name: Set(name.to_owned()),
            meets_on: Set(day(meets)),
            paper_url: Set(None),
            created_by: Set(None),
            created_at: Set(entered(meets)),
        })
        .exec_without_returning(self.txn)
        .await?;
        Ok(())
    }
}

/// Writes the plans of the demo organisations that hold no review yet.
pub(super) async fn seed(db: &Database) -> anyhow::Result<()> {
    let herts = super::find_id(db, "hertfordshire-fire").await?;
    let mut plans = vec![
        ("rotherham", Plan::Rotherham),
        ("hereford-worcester-fire", Plan::HerefordWorcester),
        ("essex-fire", Plan::Essex { reviewer: herts }),
    ];
    plans.extend(
        super::CENTRAL_LONDON
            .iter()
            .enumerate()
            .map(|(i, slug)| (*slug, Plan::LondonBorough(i))),
    );
    for (slug, write) in plans {
        let Some(org) = super::find_id(db, slug).await? else {
            continue;
        };
        let reviews = review::Entity::find()
            .filter(review::Column::OrgId.eq(org))
            .count(db.conn())
            .await?;
        if reviews > 0 {
            continue;
        }
        let txn = db.conn().begin().await?;
        let mut writer = Writer {
            txn: &txn,
            org,
            position: 0,
        };
        match write {
            Plan::Rotherham => rotherham(&mut writer).await?,
            Plan::HerefordWorcester => hereford_worcester(&mut writer).await?,
            Plan::Essex { reviewer } => essex(&mut writer, reviewer).await?,
            Plan::LondonBorough(i) => london_borough(&mut writer, i).await?,
        }
        txn.commit().await?;
    }
    Ok(())
}

enum Plan {
    Rotherham,
    HerefordWorcester,
    Essex {
        reviewer: Option<Uuid>,
    },
    /// The n-th borough of the central London sub-region.
    LondonBorough(usize),
}

/// A central London borough's plan after its sub-regional challenge of the 2023-24
/// self-assessment against the Resilience Standards: two recommendations and three actions,
/// whose delivery differs from borough to borough (the `i`-th borough completes the first `i`
/// % 3 actions; the rest run late or on time), so the sub-regional lead's heat map has RAG to
/// compare. The recommendations are linked to standards in [`super::assurance`].
async fn london_borough(w: &mut Writer<'_>, i: usize) -> anyhow::Result<()> {
    use RecommendationStatus::InProgress as RecInProgress;
    let review = w
        .review(ReviewSpec {
            kind: ReviewKind::PeerChallenge,
            title: "Sub-regional challenge of the 2023-24 self-assessment",
            reviewer: "Central London Sub-Regional Resilience Partnership",
            reviewer_org: None,
            commissioned: Some("2024-01-15"),
            reported: "2024-03-28",
            status: ReviewStatus::Reported,
            summary: "The challenge session tested the borough's self-assessment against the \
                National Resilience Standards and agreed two areas for improvement: exercising \
                the borough emergency centre, and community resilience.",
        })
        .await?;
    let exercising = w
        .recommendation(
            review,
            "SRC-1",
            RecommendationKind::AreaForImprovement,
            "Exercise the borough emergency centre at least once a year, and record lessons identified.",
            "2024-03-28",
            &[(RecInProgress, "2024-04-15")],
        )
        .await?;
    let community = w
        .recommendation(
            review,
            "SRC-2",
            RecommendationKind::AreaForImprovement,
            "Develop community resilience plans with ward-level partners.",
            "2024-03-28",
            &[(RecInProgress, "2024-05-01")],
        )
        .await?;
    let done = |k: usize| k < i % 3;
    let exercise = act(
        "Run a live exercise of the borough emergency centre",
        "Borough Resilience Manager",
        "2024-04-15",
        "2025-03-31",
        if done(0) {
            vec![Update(
                "2025-03-12",
                "Exercise held; lessons logged.",
                Some(Complete),
                Some(100),
            )]
        } else {
            vec![Update(
                "2025-02-01",
                "Scenario drafted; date not yet agreed with partners.",
                Some(InProgress),
                Some(40),
            )]
        },
    );
    let lessons = act(
        "Adopt a lessons-identified log reviewed by the resilience board",
        "Head of Emergency Planning",
        "2024-04-15",
        "2025-09-30",
        if done(1) {
            vec![Update(
                "2025-07-20",
                "Log adopted by the board.",
                Some(Complete),
                Some(100),
            )]
        } else {
            vec![Extend(
                "2025-08-01",
                "2026-03-31",
                "Board timetable moved by the elections",
            )]
        },
    );
    let wards = act(
        "Agree community resilience plans with the first five wards",
        "Community Resilience Officer",
        "2024-05-01",
        "2027-03-31",
        vec![Update(
            "2026-06-30",
            "Three wards agreed.",
            Some(InProgress),
            Some(60),
        )],
    );
    w.action(review, Some(exercising), exercise).await?;
    w.action(review, Some(exercising), lessons).await?;
    w.action(review, Some(community), wards).await?;
    Ok(())
}

const EP_LEAD: &str = "Head of Community Safety, Resilience and Emergency Planning";

async fn rotherham(w: &mut Writer<'_>) -> anyhow::Result<()> {
    use RecommendationStatus::{Discharged, InProgress as RecInProgress, Ongoing};
    let review = w
        .review(ReviewSpec {
            kind: ReviewKind::ScrutinyReview,
            title: "Review of the Major Incident Plan (2017)",
            reviewer: "Improving Places Select Commission (task-and-finish group)",
            reviewer_org: None,
            commissioned: None,
            reported: "2017-06-30",
            status: ReviewStatus::Reported,
            summary: "Fifteen recommendations made in 2017. The working group that met on \
                19 October 2020 found twelve discharged; three remain: the ongoing two-yearly \
                review of the plan, an away day of front-line responder training, and a \
                community resilience officer (pursued through wider community involvement).",
        })
        .await?;
    // The twelve discharged; the briefing does not give their texts or dates.
    let discharged_on = [
        "2018-03-31",
        "2018-06-30",
        "2018-09-30",
        "2018-12-31",
        "2019-03-31",
        "2019-06-30",
        "2019-09-30",
        "2019-12-31",
        "2020-03-31",
        "2020-06-30",
        "2020-09-30",
        "2020-10-19",
    ];
    for (i, on) in discharged_on.iter().enumerate() {
        let reference = format!("R{}", i + 1);
        let text = format!(
            "Recommendation {} of the 2017 review (its text is not reproduced in the December 2020 briefing).",
            i + 1
        );
        w.recommendation(
            review,
            &reference,
            RecommendationKind::Recommendation,
            &text,
            "2017-06-30",
            &[(Discharged, on)],
        )
        .await?;
    }
    let biennial = w
        .recommendation(
            review,
            "R13",
            RecommendationKind::Recommendation,
            "Review the Major Incident Plan every two years.",
            "2017-06-30",
            &[(Ongoing, "2017-06-30")],
        )
        .await?;
    let away_day = w
        .recommendation(
            review,
            "R14",
            RecommendationKind::Recommendation,
            "Hold an away day of training for front-line responders.",
            "2017-06-30",
            &[(RecInProgress, "2018-01-31")],
        )
        .await?;
    let officer = w
        .recommendation(
            review,
            "R15",
            RecommendationKind::Recommendation,
            "Appoint a community resilience officer, to nurture and draw on the goodwill of citizens and volunteers.",
            "2017-06-30",
            &[(RecInProgress, "2018-01-31")],
        )
        .await?;
    w.action(
        review,
        Some(biennial),
        act(
            "Review the Major Incident Plan (two-yearly cycle)",
            EP_LEAD,
            "2017-06-30",
            "2021-10-31",
            vec![Update(
                "2020-10-19",
                "Bi-annual review by the Improving Places Select Commission working group.",
                Some(InProgress),
                None,
            )],
        ),
    )
    .await?;
    let training = w
        .action(review, Some(away_day), act(
            "Hold the front-line responder training away day", EP_LEAD, "2017-06-30", "2020-03-31",
            vec![
                Update("2018-12-31", "Five in-depth exercises and tests held this year, locally and regionally.", Some(InProgress), Some(40)),
                Update("2019-12-31", "Three more exercises held; fewer scenario exercises as live training and shadowing increased.", None, Some(50)),
                Extend("2020-10-19", "2021-09-30", "Live incidents (protests, EU exit, the November 2019 floods, COVID-19) took the place of scenario training."),
                Update("2020-10-19", "One exercise held in 2020. The away day as such has not yet happened.", None, Some(60)),
            ],
        ))
        .await?;
    w.evidence(
        training,
        "Exercise schedule 2018–2020",
        "Emergency Planning exercise log",
    )
    .await?;
    w.action(review, Some(officer), act(
        "Widen community involvement in the response to incidents", "Assistant Director, Community Safety and Street Scene", "2017-06-30", "2021-03-31",
        vec![Update("2020-10-19", "Community Hub, volunteers, redeployed officers and parish councils supported the pandemic response; third-sector partners were mobilised for the floods.", Some(InProgress), None)],
    ))
    .await?;
    for (title, due) in [
        (
            "Complete the business continuity work programme",
            "2021-06-30",
        ),
        ("Exercise based on the flooding debrief", "2021-06-30"),
        ("Improve engagement with parish councils", "2021-09-30"),
        (
            "Ensure capability is in place to manage concurrent incidents",
            "2021-12-31",
        ),
    ] {
        w.action(review, None, act(title, EP_LEAD, "2020-12-08", due, vec![]))
            .await?;
    }

    let briefing = w
        .review(ReviewSpec {
            kind: ReviewKind::ScrutinyReview,
            title: "Working group on the Major Incident Plan review (October 2020)",
            reviewer: "Improving Places Select Commission",
            reviewer_org: None,
            commissioned: Some("2020-10-19"),
            reported: "2020-12-08",
            status: ReviewStatus::Reported,
            summary: "Progress on the 2017 recommendations, reflections on the COVID-19 pandemic, and lessons learned.",
        })
        .await?;
    let induction = w
        .recommendation(
            briefing,
            "R2",
            RecommendationKind::Recommendation,
            "Highlight the Major Incident Plan in the induction of new Members after the 2021 Council election.",
            "2020-12-08",
            &[],
        )
        .await?;
    w.action(
        briefing,
        Some(induction),
        act(
            "Include the Major Incident Plan in the 2021 Member induction programme",
            "Governance Advisor",
            "2020-12-08",
            "2021-06-30",
            vec![],
        ),
    )
    .await?;
    // The briefing of 8 December 2020: "of the 15 recommendations made in 2017, 12 discharged".
    w.committee("Improving Places Select Commission", "2020-12-08")
        .await?;
    Ok(())
}

const PREVENTION: &str = "Assistant Director: Prevention";

async fn hereford_worcester(w: &mut Writer<'_>) -> anyhow::Result<()> {
    let review = w
        .review(ReviewSpec {
            kind: ReviewKind::Inspection,
            title: "HMICFRS inspection 2021: cause of concern (prevention)",
            reviewer: "HMICFRS",
            reviewer_org: None,
            commissioned: Some("2021-04-01"),
            reported: "2021-06-29",
            status: ReviewStatus::Reported,
            summary: "A cause of concern on prevention after the April 2021 inspection (letter of 29 June 2021). \
                The Prevention Improvement Panel, chaired by the Assistant Director for Prevention, meets every two \
                weeks; actions are evidenced for audit; progress is reported quarterly.",
        })
        .await?;
    let concern = w
        .recommendation(
            review,
            "CoC 1",
            RecommendationKind::CauseOfConcern,
            "By 31 August 2021 the service should have plans in place for: an effective system to define the \
             levels of risk in the community; a prevention strategy that prioritises the people most at risk of \
             fire, with proportionate work to reduce risk; and a review of how referrals from partner agencies \
             are handled, so that the backlog of safe and well visits is reduced and resourced by risk.",
            "2021-06-29",
            &[(RecommendationStatus::InProgress, "2021-06-30")],
        )
        .await?;
    let update = "Update 17.11.21: good progress across the three objectives.";
    w.action(
        review,
        Some(concern),
        act(
            "Define and articulate the levels of risk in the community",
            PREVENTION,
            "2021-06-29",
            "2022-07-31",
            vec![Update(
                "2021-11-17",
                "Work progresses in line with the action plan.",
                Some(InProgress),
                Some(40),
            )],
        ),
    )
    .await?;
    let strategy = w
        .action(review, Some(concern), act(
            "Deliver the Prevention Strategy 2021–2025 through a one-year action plan", PREVENTION, "2021-06-29", "2022-07-31",
            vec![Update("2021-11-17", "The Prevention Strategy has been in place since April 2021; the one-year action plan is now available.", Some(InProgress), Some(50))],
        ))
        .await?;
    w.evidence(
        strategy,
        "Prevention Cause of Concern – Action Plan – Update 17.11.21",
        "Appendix 1 to the November 2021 report",
    )
    .await?;
    w.action(
        review,
        Some(concern),
        act(
            "Review systems and processes for referrals from partner agencies",
            "Prevention Improvement Panel",
            "2021-06-29",
            "2022-07-31",
            vec![Update("2021-11-17", update, Some(InProgress), Some(30))],
        ),
    )
    .await?;
    w.action(
        review,
        Some(concern),
        act(
            "Eliminate the backlog of safe and well visits",
            "Head of Prevention",
            "2021-06-29",
            "2021-12-31",
            vec![
                Update(
                    "2021-09-15",
                    "Backlog reducing, resourced by risk.",
                    Some(InProgress),
                    Some(60),
                ),
                Update(
                    "2021-10-18",
                    "Backlog eliminated, ahead of schedule.",
                    Some(Complete),
                    Some(100),
                ),
            ],
        ),
    )
    .await?;
    w.action(
        review,
        Some(concern),
        act(
            "Recruit the additional posts for home fire safety visits",
            "Senior Management Board",
            "2021-11-01",
            "2022-03-31",
            vec![Update(
                "2021-11-17",
                "The Senior Management Board approved the recruitment of additional posts.",
                Some(InProgress),
                Some(10),
            )],
        ),
    )
    .await?;
    // Members received the action plan on 30 September 2021.
    w.committee("Audit and Standards Committee", "2021-09-30")
        .await?;
    Ok(())
}

const HEAD_PP: &str = "Head of Prevention and Protection";

async fn essex(w: &mut Writer<'_>, reviewer: Option<Uuid>) -> anyhow::Result<()> {
    use RecommendationStatus::{Discharged, InProgress as RecInProgress};
    let review = w
        .review(ReviewSpec {
            kind: ReviewKind::PeerReview,
            title: "Protection Improvement Plan peer review",
            reviewer: "Hertfordshire Fire and Rescue Service",
            reviewer_org: reviewer,
            commissioned: Some("2020-11-01"),
            reported: "2021-01-29",
            status: ReviewStatus::Reported,
            summary: "An independent peer review of the activity in response to the HMICFRS areas of concern for \
                protection: the Protection Improvement Plan, the risk-based inspection programme, the enforcement \
                policy, the Grenfell gap analysis, the Protection Strategy and the improvement plan tracker.",
        })
        .await?;
    let made = "2021-01-29";
    let started: &[(RecommendationStatus, &str)] = &[(RecInProgress, "2021-02-01")];
    let r1 = w.recommendation(review, "R1", RecommendationKind::Recommendation,
        "Give further evidence of how information and expectations are shared with businesses, for example through an external communications plan.", made, started).await?;
    let r2 = w
        .recommendation(
            review,
            "R2",
            RecommendationKind::Recommendation,
            "Clarify and evidence the provision of out-of-hours fire safety officer cover.",
            made,
            &[(RecInProgress, "2021-02-01"), (Discharged, "2021-07-31")],
        )
        .await?;
    let r3 = w.recommendation(review, "R3", RecommendationKind::Recommendation,
        "Explain in the Protection Strategy how resources suffice, or will be increased, to reach parity with the NFCC Competency Framework.", made, started).await?;
    let r4 = w.recommendation(review, "R4", RecommendationKind::Recommendation,
        "Set clear objectives and target figures for audit activity, to evidence the ability to meet them.", made, &[(RecInProgress, "2021-02-01"), (Discharged, "2021-04-01")]).await?;
    let r5 = w
        .recommendation(
            review,
            "R5",
            RecommendationKind::Recommendation,
            "Link fire protection to the HR policy and people strategy.",
            made,
            started,
        )
        .await?;
    let r6 = w
        .recommendation(
            review,
            "R6",
            RecommendationKind::Recommendation,
            "Supply, or link to, the Quality Assurance Policy for all audit activity.",
            made,
            &[(RecInProgress, "2021-02-01"), (Discharged, "2021-07-31")],
        )
        .await?;
    let r7 = w.recommendation(review, "R7", RecommendationKind::Recommendation,
        "Set clear objectives and rationale for enforcement activity, to evidence the ability to increase it.", made, &[(RecInProgress, "2021-02-01"), (Discharged, "2021-03-31")]).await?;
    let r8 = w
        .recommendation(
            review,
            "R8",
            RecommendationKind::Recommendation,
            "Give further evidence of proactive engagement with businesses to promote fire safety.",
            made,
            &[(RecInProgress, "2021-02-01"), (Discharged, "2021-05-31")],
        )
        .await?;

    let done = |on: &'static str| Update(on, "Complete.", Some(Complete), Some(100));
    let plan: Vec<(Uuid, ActionSpec)> = vec![
        (
            r1,
            act(
                "Develop a communications plan to share with customers",
                "Head of Protection and Prevention / Corporate Comms",
                made,
                "2021-12-31",
                vec![
                    Update(
                        "2021-03-01",
                        "Drafting under way with Corporate Comms.",
                        Some(InProgress),
                        Some(25),
                    ),
                    Update(
                        "2021-10-31",
                        "Plan drafted; awaiting approval.",
                        None,
                        Some(80),
                    ),
                    Extend("2022-01-10", "2022-03-31", "Awaiting approval of the plan."),
                    Update(
                        "2022-03-15",
                        "Communications plan approved and published.",
                        Some(Complete),
                        Some(100),
                    ),
                ],
            ),
        ),
        (
            r2,
            act(
                "Rebalance the flexi duty rota and make best use of the staff already in post",
                "Head of Ops Policy",
                made,
                "2021-07-31",
                vec![
                    Update(
                        "2021-03-01",
                        "Consultation with staff on moving flexi banks.",
                        Some(InProgress),
                        Some(30),
                    ),
                    done("2021-07-26"),
                ],
            ),
        ),
        (
            r2,
            act(
                "Establish an out-of-hours system for day-duty fire safety officers",
                "Head of Protection",
                made,
                "2021-02-28",
                vec![done("2021-02-26")],
            ),
        ),
        (
            r3,
            act(
                "Cover resourcing in succession planning and the annual review of the Protection Strategy",
                HEAD_PP,
                made,
                "2021-12-31",
                vec![
                    Update(
                        "2021-09-30",
                        "Succession planning in progress; strategy review scheduled for December.",
                        Some(InProgress),
                        Some(60),
                    ),
                    done("2021-12-20"),
                ],
            ),
        ),
        (
            r4,
            act(
                "Set a performance target in the monthly, quarterly and annual performance reports, monitored at the quarterly P&P board",
                HEAD_PP,
                made,
                "2021-04-01",
                vec![done("2021-03-31")],
            ),
        ),
        (
            r5,
            act(
                "Restructure the Protection function and embed it in the service people strategy",
                HEAD_PP,
                made,
                "2021-12-31",
                vec![
                    Update(
                        "2021-06-30",
                        "Restructure designed; consultation planned.",
                        Some(InProgress),
                        Some(40),
                    ),
                    Extend(
                        "2021-12-20",
                        "2022-06-30",
                        "Staff consultation on the restructure extended.",
                    ),
                    done("2022-05-31"),
                ],
            ),
        ),
        (
            r6,
            act(
                "Embed the Quality Assurance Process within Protection activities",
                "Head of Protection",
                made,
                "2021-03-31",
                vec![done("2021-03-31")],
            ),
        ),
        (
            r6,
            act(
                "Create a recording and reporting process so that activity is monitored and acted on",
                HEAD_PP,
                made,
                "2021-07-31",
                vec![
                    Update(
                        "2021-04-30",
                        "Reporting process in test.",
                        Some(InProgress),
                        Some(50),
                    ),
                    done("2021-07-30"),
                ],
            ),
        ),
        (
            r7,
            act(
                "Review the Enforcement Policy to include clearer objectives and rationale",
                HEAD_PP,
                made,
                "2021-02-28",
                vec![
                    Update(
                        "2021-02-15",
                        "Policy review under way.",
                        Some(InProgress),
                        Some(70),
                    ),
                    Update(
                        "2021-03-19",
                        "Revised Enforcement Policy approved (three weeks late).",
                        Some(Complete),
                        Some(100),
                    ),
                ],
            ),
        ),
        (
            r8,
            act(
                "Create a business engagement manager role",
                "Head of Prevention and Protection / Corporate Comms",
                made,
                "2021-05-31",
                vec![done("2021-05-28")],
            ),
        ),
    ];
    for (rec, spec) in plan {
        w.action(review, Some(rec), spec).await?;
    }
    // The monthly update of 30 November 2021.
    w.committee("Performance and Resources Board", "2021-11-30")
        .await?;
    Ok(())
}
