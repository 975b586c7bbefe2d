//! The generated world: organisations and panels, reviews with their recommendations, actions
//! and date histories, and self-assessments with the panels' challenges.
//!
//! Everything is drawn from one seeded generator (ChaCha8, whose output is fixed for a given
//! seed), and every date is reckoned from [`ANCHOR`] rather than the clock, so a seed always
//! gives the same rows, ids included. Each organisation draws from its own stream, derived
//! from the seed and its position, so its data does not depend on what was drawn before it.
//!
//! The histories obey the service's own rules: nothing is dated after [`ANCHOR`] (so never in
//! the future), an action's status, delivery date, completion date and percentage are those
//! of the latest entries of its histories, and a status change that came with a progress
//! update points at it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::Plan;
use super::names::{self, ReviewKind, slugify};
use super::sink::{Cell, Sink, Table};
use crate::demo::{LONDON_CODE, LONDON_STANDARDS, NATIONAL_STANDARDS, NRS_CODE, RATING_SCALE};

/// The last day of the generated histories: every event is on or before it.
pub const ANCHOR: NaiveDate = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
/// The first day a review may report.
const FIRST_REPORT: NaiveDate = NaiveDate::from_ymd_opt(2019, 1, 15).unwrap();
/// The issuer of the generated users (the benchmark's tokens create their own users).
pub const BENCH_ISSUER: &str = "resilience-hub-bench";
/// The assessment cycles, oldest first.
pub const CYCLES: [&str; 4] = ["2022-23", "2023-24", "2024-25", "2025-26"];
/// How steeply review counts fall from the busiest organisation to the quietest: the
/// organisation ranked `r` gets a share proportional to `1 / r^SKEW`.
const SKEW: f64 = 0.6;

/// An organisation of the generated world.
struct Org {
    id: Uuid,
    name: String,
    kind: &'static str,
    region: &'static str,
    london: bool,
    /// Manager first, then contributors and viewers.
    users: Vec<Uuid>,
    /// The panel that challenges its self-assessments.
    challenger: Option<usize>,
}

/// The place an organisation is named after.
fn place_of(name: &str) -> &str {
    let name = name.split(" Fire and Rescue").next().unwrap_or(name);
    names::COUNCIL_SUFFIXES
        .iter()
        .fold(name, |n, suffix| n.trim_end_matches(suffix))
        .trim()
}

/// An organisation not yet written: its id and users are drawn when it is.
fn member(name: String, kind: &'static str, region: &'static str, london: bool) -> Org {
    Org {
        id: Uuid::nil(),
        name,
        kind,
        region,
        london,
        users: Vec::new(),
        challenger: None,
    }
}

/// A framework with its standards and scale, by id.
struct Framework {
    id: Uuid,
    standards: Vec<Uuid>,
    levels: Vec<Uuid>,
}

/// Draws ids: UUIDv7 whose time part is the moment the row was written, so that ids sort in
/// the order things happened (the service breaks ties between same-day entries by id).
struct Ids<'a> {
    rng: &'a mut ChaCha8Rng,
}

impl Ids<'_> {
    fn at(&mut self, when: DateTime<Utc>) -> Uuid {
        let mut random = [0u8; 10];
        self.rng.fill_bytes(&mut random);
        uuid::Builder::from_unix_timestamp_millis(when.timestamp_millis() as u64, &random)
            .into_uuid()
    }
}

/// The moment of an event: `minute` minutes after 09:00 on `day`.
fn moment(day: NaiveDate, minute: i64) -> DateTime<Utc> {
    day.and_hms_opt(9, 0, 0).expect("09:00 exists").and_utc() + Duration::minutes(minute)
}

/// A day between `from` and `to`, inclusive (`from` when the range is empty).
fn between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + Duration::days(rng.random_range(0..=span))
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// Generates the whole world into `sink`.
pub(super) async fn generate(plan: &Plan, seed: u64, sink: &mut Sink) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = moment(FIRST_REPORT - days(30), 0);

    // Organisations: the London boroughs, councils and fire services elsewhere, the panels
    // and the partner bodies.
    let mut orgs: Vec<Org> = Vec::new();
    for name in &names::LONDON_BOROUGHS[..plan.london_boroughs] {
        orgs.push(member((*name).to_owned(), "COUNCIL", "London", true));
    }
    let places = names::PLACES.len();
    for i in 0..plan.other_councils {
        let (place, region) = names::PLACES[i % places];
        let suffix = names::COUNCIL_SUFFIXES[(i / places) % names::COUNCIL_SUFFIXES.len()];
        orgs.push(member(
            format!("{place} {suffix}"),
            "COUNCIL",
            region,
            false,
        ));
    }
    for i in 0..plan.fire_services {
        let (place, region) = names::PLACES[places - 1 - (i % places)];
        orgs.push(member(
            format!("{place} Fire and Rescue Service"),
            "FIRE_AND_RESCUE_SERVICE",
            region,
            false,
        ));
    }
    let members = orgs.len();

    // Panels: the London-wide one, London's sub-regions, and partnerships elsewhere of five to
    // eight members each.
    let mut panels: Vec<(String, &'static str, Vec<usize>)> = Vec::new();
    let london: Vec<usize> = (0..plan.london_boroughs).collect();
    panels.push((
        "London Local Authorities' Panel".to_owned(),
        "London",
        london.clone(),
    ));
    let sub_regions = plan.sub_regions.max(1);
    for (i, name) in names::LONDON_SUB_REGIONS[..plan.sub_regions]
        .iter()
        .enumerate()
    {
        let part: Vec<usize> = london
            .iter()
            .copied()
            .filter(|b| b % sub_regions == i)
            .collect();
        panels.push(((*name).to_owned(), "London", part));
    }
    let mut elsewhere: Vec<usize> = (plan.london_boroughs..members).collect();
    elsewhere.shuffle(&mut rng);
    let mut taken = 0;
    for _ in 0..plan.other_panels {
        let size = rng.random_range(5..=8).min(elsewhere.len() - taken);
        if size == 0 {
            break;
        }
        let part: Vec<usize> = elsewhere[taken..taken + size].to_vec();
        taken += size;
        // Named after the place of its first member whose place no other panel has taken.
        let name = part
            .iter()
            .map(|m| format!("{} Area Resilience Partnership", place_of(&orgs[*m].name)))
            .find(|n| panels.iter().all(|(taken, _, _)| taken != n))
            .unwrap_or_else(|| format!("Resilience Partnership {}", panels.len()));
        panels.push((name, orgs[part[0]].region, part));
    }
    // The London-wide panel challenges its boroughs; elsewhere, each member's partnership.
    for (p, (_, _, part)) in panels.iter().enumerate() {
        for m in part {
            if p == 0 || orgs[*m].challenger.is_none() && !orgs[*m].london {
                orgs[*m].challenger = Some(p);
            }
        }
    }
    let first_panel = orgs.len();
    for (name, region, _) in &panels {
        orgs.push(member(name.clone(), "REGIONAL_PANEL", region, false));
    }
    let first_partner = orgs.len();
    for (name, _) in &names::PARTNER_BODIES[..plan.partners] {
        orgs.push(member((*name).to_owned(), "PARTNER_BODY", "England", false));
    }

    // Rows for the organisations, their sharing settings and users.
    let roles = ["manager", "contributor", "contributor", "viewer"];
    for (i, org) in orgs.iter_mut().enumerate() {
        org.id = Ids { rng: &mut rng }.at(start + Duration::seconds(i as i64));
        let slug = match org.kind {
            "PARTNER_BODY" => names::PARTNER_BODIES[i - first_partner].1.to_owned(),
            _ => slugify(&org.name),
        };
        sink.push(
            Table::Organisations,
            vec![
                org.id.into(),
                slug.clone().into(),
                org.name.clone().into(),
                org.kind.into(),
                org.region.into(),
                1.into(),
                start.into(),
                start.into(),
            ],
        );
        let is_member = i < members;
        // Three in ten share nothing with partners, three in aggregate, four by name.
        let partners = match rng.random_range(0..10) {
            _ if !is_member => "NONE",
            0..=2 => "NONE",
            3..=5 => "AGGREGATE",
            _ => "NAMED",
        };
        sink.push(
            Table::SharingSettings,
            vec![
                org.id.into(),
                (is_member && rng.random_bool(0.5)).into(),
                partners.into(),
                1.into(),
                start.into(),
            ],
        );
        let users = if is_member { plan.users_per_org } else { 1 };
        for u in 0..users {
            let role = roles[u % roles.len()];
            let id = Ids { rng: &mut rng }.at(start + Duration::seconds(i as i64));
            sink.push(
                Table::Users,
                vec![
                    id.into(),
                    BENCH_ISSUER.into(),
                    format!("{slug}-{role}-{u}").into(),
                    format!("{} {role}", org.name).into(),
                    format!("{role}{u}@{slug}.example").into(),
                    start.into(),
                    start.into(),
                ],
            );
            sink.push(
                Table::OrgUsers,
                vec![org.id.into(), id.into(), start.into()],
            );
            org.users.push(id);
        }
    }
    for (p, (_, _, part)) in panels.iter().enumerate() {
        for m in part {
            sink.push(
                Table::PanelMemberships,
                vec![
                    orgs[first_panel + p].id.into(),
                    orgs[*m].id.into(),
                    start.into(),
                ],
            );
        }
    }

    // The frameworks: the shared national standards, and the London-wide panel's own.
    let national = framework(
        sink,
        &mut rng,
        None,
        NRS_CODE,
        "National Resilience Standards for Local Resilience Forums",
        &NATIONAL_STANDARDS
            .iter()
            .map(|s| (s.0, s.1))
            .collect::<Vec<_>>(),
        start,
    );
    let mut london_specs: Vec<(&str, &str)> = LONDON_STANDARDS.iter().map(|s| (s.0, s.1)).collect();
    london_specs.extend([
        ("RSL-11", "Excess deaths"),
        ("RSL-12", "Structural collapse"),
        ("RSL-13", "Shelter and evacuation"),
        ("RSL-14", "Identifying vulnerable people"),
        ("RSL-15", "Emergency communications"),
    ]);
    let london_fw = framework(
        sink,
        &mut rng,
        Some(orgs[first_panel].id),
        LONDON_CODE,
        "Resilience Standards for London",
        &london_specs,
        start,
    );
    sink.flush().await?;

    // Reviews: a few organisations have many, most have few.
    let mut ranks: Vec<usize> = (0..members).collect();
    ranks.shuffle(&mut rng);
    let mut weights = vec![0.0; members];
    for (rank, org) in ranks.iter().enumerate() {
        weights[*org] = 1.0 / ((rank + 1) as f64).powf(SKEW);
    }
    let pick = WeightedIndex::new(&weights)?;
    let mut reviews = vec![0usize; members];
    for _ in 0..plan.reviews {
        reviews[pick.sample(&mut rng)] += 1;
    }

    let panel_ids: Vec<Uuid> = (0..panels.len())
        .map(|p| orgs[first_panel + p].id)
        .collect();
    let panel_managers: Vec<Uuid> = (0..panels.len())
        .map(|p| orgs[first_panel + p].users[0])
        .collect();
    for (i, org) in orgs[..members].iter().enumerate() {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)));
        let mut writer = OrgGen {
            plan,
            org,
            rng: &mut rng,
            sink,
            national: &national,
        };
        for _ in 0..reviews[i] {
            writer.review();
        }
        let mut frameworks = vec![&national];
        if org.london {
            frameworks.push(&london_fw);
        }
        let challenger = org.challenger.map(|p| (panel_ids[p], panel_managers[p]));
        for fw in frameworks {
            writer.assessments(fw, challenger);
        }
        if sink.full() {
            sink.flush().await?;
        }
    }
    Ok(())
}

/// Writes a published framework with its standards and the four-level scale.
fn framework(
    sink: &mut Sink,
    rng: &mut ChaCha8Rng,
    owner: Option<Uuid>,
    code: &'static str,
    name: &'static str,
    standards: &[(&'static str, &'static str)],
    at: DateTime<Utc>,
) -> Framework {
    let id = Ids { rng }.at(at);
    sink.push(
        Table::Frameworks,
        vec![
            id.into(),
            owner.into(),
            code.into(),
            name.into(),
            Cell::Null,
            1.into(),
            "PUBLISHED".into(),
            Cell::Null,
            1.into(),
            at.into(),
            at.into(),
            at.into(),
        ],
    );
    let mut fw = Framework {
        id,
        standards: Vec::new(),
        levels: Vec::new(),
    };
    for (i, (code, title)) in standards.iter().enumerate() {
        let sid = Ids { rng }.at(at);
        sink.push(
            Table::Standards,
            vec![
                sid.into(),
                id.into(),
                (*code).into(),
                (*title).into(),
                Cell::Null,
                Cell::Null,
                (i as i64 + 1).into(),
            ],
        );
        fw.standards.push(sid);
    }
    for (rank, (code, label)) in RATING_SCALE.iter().enumerate() {
        let lid = Ids { rng }.at(at);
        sink.push(
            Table::RatingLevels,
            vec![
                lid.into(),
                id.into(),
                (*code).into(),
                (*label).into(),
                (rank as i64 + 1).into(),
            ],
        );
        fw.levels.push(lid);
    }
    fw
}

/// What became of an action, for its recommendation's history.
struct Outcome {
    started: Option<NaiveDate>,
    completed: Option<NaiveDate>,
    withdrawn: bool,
    original_due_on: NaiveDate,
}

/// Generates one organisation's reviews and assessments.
struct OrgGen<'a> {
    plan: &'a Plan,
    org: &'a Org,
    rng: &'a mut ChaCha8Rng,
    sink: &'a mut Sink,
    national: &'a Framework,
}

impl OrgGen<'_> {
    fn id(&mut self, when: DateTime<Utc>) -> Uuid {
        Ids { rng: self.rng }.at(when)
    }

    fn manager(&self) -> Uuid {
        self.org.users[0]
    }

    /// A user of the organisation who reports progress.
    fn reporter(&mut self) -> Uuid {
        let users = &self.org.users;
        users[self.rng.random_range(0..users.len().min(3))]
    }

    fn review(&mut self) {
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

    /// The organisation's assessments against `fw`: every cycle, every tier, and for the
    /// moderated self-assessments the challenge of `challenger` (panel, its manager).
    fn assessments(&mut self, fw: &Framework, challenger: Option<(Uuid, Uuid)>) {
        let org = self.org.id;
        // How mature the organisation is, on the 0–3 scale; it improves a little each cycle.
        let maturity: f64 = self.rng.random_range(0.6..2.0);
        for (c, cycle) in CYCLES.iter().enumerate() {
            let current = c + 1 == CYCLES.len();
            let year: i32 = 2000 + cycle[5..].parse::<i32>().expect("cycle");
            let submitted_on = (NaiveDate::from_ymd_opt(year, 1, 10).expect("date")
                + days(self.rng.random_range(0..70)))
            .min(ANCHOR);
            for tier in [
                "SELF_ASSESSMENT",
                "SUB_REGIONAL_CHALLENGE",
                "PEER_CHALLENGE",
            ] {
                let self_tier = tier == "SELF_ASSESSMENT";
                let roll: f64 = self.rng.random();
                let status = match (current, challenger.is_some() && self_tier) {
                    (true, _) if roll < 0.25 => "DRAFT",
                    (true, true) if roll < 0.6 => "MODERATED",
                    (false, true) if roll < 0.5 => "MODERATED",
                    (false, true) if roll < 0.8 => "PUBLISHED",
                    _ => "SUBMITTED",
                };
                let draft = status == "DRAFT";
                let created = moment(submitted_on - days(40), 0);
                let id = self.id(created);
                let levels: Vec<Option<usize>> = fw
                    .standards
                    .iter()
                    .map(|_| {
                        if draft && self.rng.random_bool(0.2) {
                            return None;
                        }
                        let noise: f64 = self.rng.random_range(-1.0..1.0);
                        let level = (maturity + 0.25 * c as f64 + noise).round();
                        Some(level.clamp(0.0, 3.0) as usize)
                    })
                    .collect();
                for (s, level) in fw.standards.iter().zip(&levels) {
                    let rid = self.id(created);
                    self.sink.push(
                        Table::Ratings,
                        vec![
                            rid.into(),
                            org.into(),
                            id.into(),
                            (*s).into(),
                            level.map(|l| fw.levels[l]).into(),
                            level
                                .is_some()
                                .then_some("Evidence held in the annual assurance pack.")
                                .into(),
                            1.into(),
                            self.manager().into(),
                            created.into(),
                        ],
                    );
                }
                self.sink.push(
                    Table::Assessments,
                    vec![
                        id.into(),
                        org.into(),
                        fw.id.into(),
                        (*cycle).into(),
                        tier.into(),
                        status.into(),
                        (!draft).then_some(submitted_on).into(),
                        (!draft).then_some(self.manager()).into(),
                        (if draft { 1 } else { 2 }).into(),
                        created.into(),
                        moment(submitted_on, 0).into(),
                    ],
                );
                if let (Some((panel, lead)), "MODERATED" | "PUBLISHED") = (challenger, status) {
                    self.challenge(fw, id, &levels, submitted_on, panel, lead);
                }
            }
        }
    }

    /// A completed challenge session with a moderation of every standard.
    fn challenge(
        &mut self,
        fw: &Framework,
        assessment: Uuid,
        levels: &[Option<usize>],
        submitted_on: NaiveDate,
        panel: Uuid,
        lead: Uuid,
    ) {
        let org = self.org.id;
        let held = (submitted_on + days(self.rng.random_range(14..=60))).min(ANCHOR);
        let at = moment(held, 0);
        let id = self.id(at);
        self.sink.push(
            Table::Challenges,
            vec![
                id.into(),
                panel.into(),
                org.into(),
                assessment.into(),
                held.into(),
                "SUB_REGIONAL_CHALLENGE".into(),
                "Sub-regional lead, two peer boroughs' emergency planning managers".into(),
                true.into(),
                lead.into(),
                at.into(),
            ],
        );
        for (n, (standard, level)) in fw.standards.iter().zip(levels).enumerate() {
            let own = level.unwrap_or(1);
            let roll: f64 = self.rng.random();
            let (outcome, moderated) = if roll < 0.7 {
                ("AGREED", own)
            } else if roll < 0.95 {
                let other = if own == 0 || (own < 3 && self.rng.random_bool(0.3)) {
                    own + 1
                } else {
                    own - 1
                };
                ("ADJUSTED", other)
            } else {
                ("QUERIED", own)
            };
            let mat = moment(held, 1 + n as i64);
            let mid = self.id(mat);
            self.sink.push(
                Table::Moderations,
                vec![
                    mid.into(),
                    panel.into(),
                    org.into(),
                    assessment.into(),
                    id.into(),
                    (*standard).into(),
                    fw.levels[moderated].into(),
                    outcome.into(),
                    (outcome != "AGREED")
                        .then_some("The panel asked for more evidence of testing.")
                        .into(),
                    lead.into(),
                    mat.into(),
                ],
            );
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
