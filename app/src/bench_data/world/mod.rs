//! The generated world: organisations and panels, reviews with their recommendations, actions
//! and date histories, and self-assessments with the panels' challenges.
//!
//! Everything is drawn from one seeded generator (ChaCha8, whose output is fixed for a given
//! seed), and every date is reckoned from [`ANCHOR`] rather than the clock, so a seed always
//! gives the same rows, ids included. Each organisation draws from its own stream, derived
//! from the seed and its position, so its data does not depend on what was drawn before it.
//!
//! [`plans`] writes an organisation's reviews, recommendations and actions with their
//! histories; [`assurance`] its assessments and the panels' challenges.
//!
//! The histories obey the service's own rules: nothing is dated after [`ANCHOR`] (so never in
//! the future), an action's status, delivery date, completion date and percentage are those
//! of the latest entries of its histories, and a status change that came with a progress
//! update points at it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

mod assurance;
mod plans;

use super::Plan;
use super::names::{self, slugify};
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
}
