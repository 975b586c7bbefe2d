//! Demo assurance: the shared National Resilience Standards for Local Resilience Forums, the
//! London-wide panel's own Resilience Standards for London, and two cycles of
//! self-assessments that the Central London partnership has challenged.
//!
//! The London standards and the three tiers of assurance (self-assessment, sub-regional
//! challenge, external peer challenge) are those of the July 2019 progress report to London
//! Councils' Leaders' Committee; the standards' wording here is paraphrased, and the levels
//! each organisation gives itself are invented for the demo. They are chosen so that:
//!
//! - the sub-regional lead's heat map for 2024-25 shows six boroughs: four moderated (one
//!   published), one challenged part-way, and Kensington and Chelsea still drafting, so empty;
//! - the LGA analyst's `standardsProgress` over 2023-24 and 2024-25 counts the nine
//!   organisations that share with partners, names the five that share by name, and withholds
//!   the small groups.
//!
//! Like the plans, this is set-up written directly in one transaction, without audit events;
//! it is skipped when the national framework already exists.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use resilience_hub::assessments::{AssessmentStatus, Outcome, Tier};
use resilience_hub::db::Database;
use resilience_hub::entity::{
    action, assessment, challenge, framework, moderation, rating, rating_action, rating_evidence,
    rating_level, recommendation, recommendation_standard, standard,
};
use resilience_hub::standards::FrameworkStatus;

/// The code of the shared national framework.
pub const NRS_CODE: &str = "NRS-LRF";
/// The code of the London-wide panel's framework.
pub const LONDON_CODE: &str = "RSL";

/// The four-level scale both frameworks use: code, label.
pub(crate) const SCALE: [(&str, &str); 4] = [
    ("NOT_MET", "Not met"),
    ("DEVELOPING", "Developing"),
    ("GOOD_PRACTICE", "Good practice"),
    ("LEADING_PRACTICE", "Leading practice"),
];

/// A standard: code, title, what it asks, the outcome it seeks.
pub(crate) type StandardSpec = (&'static str, &'static str, &'static str, &'static str);

pub(crate) const NATIONAL: &[StandardSpec] = &[
    (
        "NRS-01",
        "LRF governance",
        "The forum has clear terms of reference, membership, decision-making and accountability.",
        "Partners know who decides what, and the forum is held to account.",
    ),
    (
        "NRS-02",
        "Local risk assessment",
        "The forum assesses local risks and publishes a community risk register.",
        "Planning is driven by an up-to-date, shared picture of risk.",
    ),
    (
        "NRS-03",
        "Collaboration",
        "Responders share information and plan together across organisational boundaries.",
        "Partners act as one system before, during and after emergencies.",
    ),
    (
        "NRS-04",
        "Emergency planning",
        "Plans exist for the assessed risks, are owned, and are kept under review.",
        "Plans are current, tested and known to those who use them.",
    ),
    (
        "NRS-05",
        "Community resilience",
        "Communities, businesses and volunteers are helped to prepare for and respond to emergencies.",
        "Communities are able to help themselves and each other.",
    ),
    (
        "NRS-06",
        "Warning and informing",
        "Arrangements exist to warn and inform the public before, during and after an emergency.",
        "People get timely, consistent and accessible information.",
    ),
    (
        "NRS-07",
        "Training",
        "Responders are trained for the roles they hold in an emergency.",
        "Staff are competent and confident in their emergency roles.",
    ),
    (
        "NRS-08",
        "Exercising",
        "Plans and capabilities are exercised to a programme, and exercises are evaluated.",
        "Arrangements are proven to work before they are needed.",
    ),
    (
        "NRS-09",
        "Lessons identified and learned",
        "Lessons from exercises and incidents are recorded, acted on and shared.",
        "The same lesson is not identified twice.",
    ),
    (
        "NRS-10",
        "Business continuity management",
        "Responders maintain business continuity arrangements for their critical services.",
        "Critical services continue through disruption.",
    ),
    (
        "NRS-11",
        "Command, control and coordination",
        "Multi-agency command and coordination arrangements are agreed and understood.",
        "A coordinated response is stood up quickly and works well.",
    ),
    (
        "NRS-12",
        "Emergency response",
        "Responders can activate, staff and sustain their response.",
        "The response is timely, sustained and effective.",
    ),
    (
        "NRS-13",
        "Recovery",
        "Recovery is planned for, led and coordinated from the start of an emergency.",
        "Communities recover faster and build back better.",
    ),
    (
        "NRS-14",
        "Mutual aid",
        "Arrangements exist to give and receive mutual aid between responders.",
        "Capacity can be shared when one organisation is overwhelmed.",
    ),
    (
        "NRS-15",
        "Pandemic preparedness",
        "Plans address the prolonged, wide-ranging effects of a pandemic.",
        "Services and communities are ready for a long-running health emergency.",
    ),
];

pub(crate) const LONDON: &[StandardSpec] = &[
    (
        "RSL-01",
        "Political leadership and governance",
        "Members understand and lead the borough's resilience arrangements.",
        "Resilience is owned at the top of the organisation.",
    ),
    (
        "RSL-02",
        "Risk",
        "The borough understands its risks and how they are managed.",
        "Resources follow risk.",
    ),
    (
        "RSL-03",
        "Plans and procedures",
        "The borough maintains plans that meet the agreed London-wide minimum.",
        "Plans are consistent across London and interoperable.",
    ),
    (
        "RSL-04",
        "Borough emergency control centre",
        "The borough can open and sustain an emergency centre.",
        "The borough coordinates its response from a working centre.",
    ),
    (
        "RSL-05",
        "Training and exercising",
        "Staff with emergency roles are trained and exercised.",
        "A trained pool of responders is available.",
    ),
    (
        "RSL-06",
        "Mutual aid",
        "The borough can give and receive mutual aid under the London-wide arrangements.",
        "Boroughs support each other at scale.",
    ),
    (
        "RSL-07",
        "Humanitarian assistance",
        "The borough can care for people affected by an emergency.",
        "Those affected get the help they need, when they need it.",
    ),
    (
        "RSL-08",
        "Community resilience",
        "The borough works with communities to prepare.",
        "Communities are better prepared.",
    ),
    (
        "RSL-09",
        "Business continuity",
        "The borough's critical services have tested continuity arrangements.",
        "Critical services continue through disruption.",
    ),
    (
        "RSL-10",
        "Recovery",
        "The borough plans for recovery alongside response.",
        "Recovery starts at the same time as the response.",
    ),
];

/// One organisation's self-assessment: its slug, cycle, levels as letters (N, D, G, L, one per
/// standard in order), and status.
struct Assessed {
    slug: &'static str,
    cycle: &'static str,
    levels: &'static str,
    status: AssessmentStatus,
    submitted: &'static str,
}

const fn assessed(
    slug: &'static str,
    cycle: &'static str,
    levels: &'static str,
    status: AssessmentStatus,
    submitted: &'static str,
) -> Assessed {
    Assessed {
        slug,
        cycle,
        levels,
        status,
        submitted,
    }
}

use AssessmentStatus::{Draft, Moderated, Published, Submitted};

const NATIONAL_ASSESSMENTS: &[Assessed] = &[
    assessed(
        "city-of-london",
        "2023-24",
        "GGDGDGDDGDGGDDG",
        Submitted,
        "2024-01-31",
    ),
    assessed(
        "westminster",
        "2023-24",
        "GDDGDGDDGDGDDND",
        Submitted,
        "2024-01-29",
    ),
    assessed(
        "camden",
        "2023-24",
        "GGGGDGGDGDGGDDG",
        Submitted,
        "2024-02-02",
    ),
    assessed(
        "islington",
        "2023-24",
        "DDDGDDDNDDGDDND",
        Submitted,
        "2024-02-09",
    ),
    assessed(
        "hammersmith-fulham",
        "2023-24",
        "GDGGGGDDGDGGDDD",
        Submitted,
        "2024-01-26",
    ),
    assessed(
        "kensington-chelsea",
        "2023-24",
        "DDDGDDDNDDDDDND",
        Submitted,
        "2024-02-16",
    ),
    assessed(
        "croydon",
        "2023-24",
        "DNDGDDDNDDGDNND",
        Submitted,
        "2024-02-23",
    ),
    assessed(
        "rotherham",
        "2023-24",
        "GGDGDGGDGGGGDDD",
        Submitted,
        "2024-03-01",
    ),
    assessed(
        "essex-fire",
        "2023-24",
        "GDDGDGDDGDGGGDD",
        Submitted,
        "2024-03-08",
    ),
    assessed(
        "hertfordshire-fire",
        "2023-24",
        "GGDGDGGDGDGGGDG",
        Submitted,
        "2024-03-08",
    ),
    assessed(
        "city-of-london",
        "2024-25",
        "GGGGGGDGGDGGDGG",
        Moderated,
        "2025-01-31",
    ),
    assessed(
        "westminster",
        "2024-25",
        "GGDGDGGDGDGDGDD",
        Moderated,
        "2025-01-30",
    ),
    assessed(
        "camden",
        "2024-25",
        "LGGGGGGGGGGGDGG",
        Published,
        "2025-02-03",
    ),
    assessed(
        "islington",
        "2024-25",
        "GDDGDGDDDDGDDDD",
        Moderated,
        "2025-02-07",
    ),
    assessed(
        "hammersmith-fulham",
        "2024-25",
        "GGGGGGGDGGGGDDG",
        Submitted,
        "2025-01-24",
    ),
    assessed(
        "kensington-chelsea",
        "2024-25",
        "GDDGDGDDDDDDDDD",
        Draft,
        "",
    ),
    assessed(
        "croydon",
        "2024-25",
        "DDDGDDGDDDGDDDD",
        Submitted,
        "2025-02-21",
    ),
    assessed(
        "rotherham",
        "2024-25",
        "GGGGGGGGGGGGDDG",
        Submitted,
        "2025-02-28",
    ),
    assessed(
        "essex-fire",
        "2024-25",
        "GGDGDGGDGDGGGDG",
        Submitted,
        "2025-03-07",
    ),
    assessed(
        "hertfordshire-fire",
        "2024-25",
        "LGGGGGGDGGGGGDG",
        Submitted,
        "2025-03-07",
    ),
];

const LONDON_ASSESSMENTS: &[Assessed] = &[
    assessed(
        "city-of-london",
        "2024-25",
        "GGGDGGDGGD",
        Submitted,
        "2025-03-14",
    ),
    assessed("camden", "2024-25", "GGDGGGGDGD", Submitted, "2025-03-14"),
];

/// The Central London partnership's challenge of a 2024-25 national self-assessment: the
/// borough, the day, the moderated levels (a space: not moderated yet), and whether the
/// session is complete. `Q` marks a level kept but queried.
const CHALLENGES: &[(&str, &str, &str, bool)] = &[
    ("city-of-london", "2025-02-20", "GGDGGGDGGDGGDGG", true),
    ("westminster", "2025-02-20", "GDDGDGGDGDGDGDQ", true),
    ("camden", "2025-02-27", "GGGGGGGGGGGGDGG", true),
    ("islington", "2025-02-27", "GDDGDGDDDDGDDDD", true),
    ("hammersmith-fulham", "2025-03-06", "GGDGG          ", false),
];

/// Which standards the demo recommendations bear on: organisation, recommendation reference,
/// standard code.
const LINKS: &[(&str, &str, &str)] = &[
    ("rotherham", "R13", "NRS-04"),
    ("rotherham", "R14", "NRS-07"),
    ("rotherham", "R15", "NRS-05"),
    ("city-of-london", "SRC-1", "NRS-08"),
    ("city-of-london", "SRC-2", "NRS-05"),
    ("westminster", "SRC-1", "NRS-08"),
    ("westminster", "SRC-2", "NRS-05"),
    ("camden", "SRC-1", "NRS-08"),
    ("camden", "SRC-2", "NRS-05"),
    ("islington", "SRC-1", "NRS-08"),
    ("islington", "SRC-2", "NRS-05"),
    ("hammersmith-fulham", "SRC-1", "NRS-08"),
    ("hammersmith-fulham", "SRC-2", "NRS-05"),
    ("kensington-chelsea", "SRC-1", "NRS-08"),
    ("kensington-chelsea", "SRC-2", "NRS-05"),
];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("demo dates are valid")
}

fn at(s: &str) -> DateTime<Utc> {
    day(s).and_hms_opt(12, 0, 0).expect("noon exists").and_utc()
}

/// The index on [`SCALE`] of a level letter.
fn rank(letter: char) -> usize {
    match letter {
        'N' => 0,
        'D' => 1,
        'G' => 2,
        'L' => 3,
        other => panic!("demo level letter {other}"),
    }
}

/// A framework as written: its id, standards' ids (in order) and levels' ids (by rank).
struct Written {
    id: Uuid,
    standards: Vec<(Uuid, &'static str, &'static str)>,
    levels: Vec<Uuid>,
}

async fn write_framework(
    txn: &DatabaseTransaction,
    owner: Option<Uuid>,
    code: &str,
    name: &str,
    description: &str,
    published: &str,
    specs: &[StandardSpec],
) -> anyhow::Result<Written> {
    let id = Uuid::now_v7();
    framework::Entity::insert(framework::ActiveModel {
        id: Set(id),
        owner_org_id: Set(owner),
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        description: Set(Some(description.to_owned())),
        version: Set(1),
        status: Set(FrameworkStatus::Published),
        predecessor_id: Set(None),
        revision: Set(2),
        created_at: Set(at(published)),
        updated_at: Set(at(published)),
        published_at: Set(Some(at(published))),
    })
    .exec_without_returning(txn)
    .await?;
    let mut standards = Vec::new();
    for (i, (code, title, description, outcome)) in specs.iter().enumerate() {
        let sid = Uuid::now_v7();
        standard::Entity::insert(standard::ActiveModel {
            id: Set(sid),
            framework_id: Set(id),
            code: Set((*code).to_owned()),
            title: Set((*title).to_owned()),
            description: Set(Some((*description).to_owned())),
            desired_outcome: Set(Some((*outcome).to_owned())),
            position: Set(i as i32),
        })
        .exec_without_returning(txn)
        .await?;
        standards.push((sid, *code, *title));
    }
    let mut levels = Vec::new();
    for (i, (code, label)) in SCALE.iter().enumerate() {
        let lid = Uuid::now_v7();
        rating_level::Entity::insert(rating_level::ActiveModel {
            id: Set(lid),
            framework_id: Set(id),
            code: Set((*code).to_owned()),
            label: Set((*label).to_owned()),
            rank: Set(i as i32 + 1),
        })
        .exec_without_returning(txn)
        .await?;
        levels.push(lid);
    }
    Ok(Written {
        id,
        standards,
        levels,
    })
}

/// Writes one self-assessment with its ratings; returns its id and its ratings' ids, in the
/// framework's order.
async fn write_assessment(
    txn: &DatabaseTransaction,
    org: Uuid,
    fw: &Written,
    spec: &Assessed,
) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let id = Uuid::now_v7();
    let submitted = (spec.status != Draft).then(|| day(spec.submitted));
    let stamp = submitted.map_or_else(Utc::now, |d| at(&d.to_string()));
    assessment::Entity::insert(assessment::ActiveModel {
        id: Set(id),
        org_id: Set(org),
        framework_id: Set(fw.id),
        cycle: Set(spec.cycle.to_owned()),
        tier: Set(Tier::SelfAssessment),
        status: Set(spec.status),
        submitted_on: Set(submitted),
        submitted_by: Set(None),
        version: Set(1),
        created_at: Set(stamp),
        updated_at: Set(stamp),
    })
    .exec_without_returning(txn)
    .await?;
    let mut ratings = Vec::new();
    for ((sid, _, title), letter) in fw.standards.iter().zip(spec.levels.chars()) {
        let rid = Uuid::now_v7();
        let level = rank(letter);
        rating::Entity::insert(rating::ActiveModel {
            id: Set(rid),
            org_id: Set(org),
            assessment_id: Set(id),
            standard_id: Set(*sid),
            level_id: Set(Some(fw.levels[level])),
            position_statement: Set(Some(format!(
                "{title}: we assess ourselves as {} for {}.",
                SCALE[level].1.to_lowercase(),
                spec.cycle
            ))),
            version: Set(2),
            updated_by: Set(None),
            updated_at: Set(stamp),
        })
        .exec_without_returning(txn)
        .await?;
        ratings.push(rid);
    }
    Ok((id, ratings))
}

/// Writes the demo frameworks, assessments, challenges and links, unless the national
/// framework exists already.
pub(super) async fn seed(db: &Database) -> anyhow::Result<()> {
    let exists = framework::Entity::find()
        .filter(framework::Column::Code.eq(NRS_CODE))
        .count(db.conn())
        .await?;
    if exists > 0 {
        return Ok(());
    }
    let (Some(lap), Some(central)) = (
        super::find_id(db, "london-lap").await?,
        super::find_id(db, "london-central").await?,
    ) else {
        return Ok(());
    };
    let mut orgs = std::collections::HashMap::new();
    for slug in NATIONAL_ASSESSMENTS.iter().map(|a| a.slug) {
        if let Some(id) = super::find_id(db, slug).await? {
            orgs.insert(slug, id);
        }
    }
    let txn = db.conn().begin().await?;
    let national = write_framework(
        &txn,
        None,
        NRS_CODE,
        "National Resilience Standards for Local Resilience Forums",
        "Shared standards against which Local Resilience Forums and their member responders \
         assess their arrangements, from LRF governance to pandemic preparedness.",
        "2020-08-28",
        NATIONAL,
    )
    .await?;
    let london = write_framework(
        &txn,
        Some(lap),
        LONDON_CODE,
        "Resilience Standards for London",
        "The London-wide standards approved by the Local Authorities' Panel on 13 June 2019: the \
         core of a sector-led assurance approach of self-assessment, sub-regional challenge and \
         external peer challenge.",
        "2019-06-13",
        LONDON,
    )
    .await?;

    let mut latest = std::collections::HashMap::new();
    for spec in NATIONAL_ASSESSMENTS {
        let Some(org) = orgs.get(spec.slug) else {
            continue;
        };
        let written = write_assessment(&txn, *org, &national, spec).await?;
        if spec.cycle == "2024-25" {
            latest.insert(spec.slug, written);
        }
    }
    for spec in LONDON_ASSESSMENTS {
        if let Some(org) = orgs.get(spec.slug) {
            write_assessment(&txn, *org, &london, spec).await?;
        }
    }

    for (slug, held, moderated, complete) in CHALLENGES {
        let (Some(org), Some((assessment_id, _))) = (orgs.get(slug), latest.get(slug)) else {
            continue;
        };
        let own = NATIONAL_ASSESSMENTS
            .iter()
            .find(|a| a.slug == *slug && a.cycle == "2024-25")
            .map(|a| a.levels)
            .unwrap_or_default();
        let cid = Uuid::now_v7();
        challenge::Entity::insert(challenge::ActiveModel {
            id: Set(cid),
            panel_id: Set(central),
            org_id: Set(*org),
            assessment_id: Set(*assessment_id),
            held_on: Set(day(held)),
            tier: Set(Tier::SubRegionalChallenge),
            attendees: Set(Some(
                "Sub-regional lead chief executive; borough resilience manager; two peer \
                 emergency planning officers"
                    .to_owned(),
            )),
            completed: Set(*complete),
            created_by: Set(None),
            created_at: Set(at(held)),
        })
        .exec_without_returning(&txn)
        .await?;
        for (((sid, _, _), m), o) in national
            .standards
            .iter()
            .zip(moderated.chars())
            .zip(own.chars())
        {
            if m == ' ' {
                continue;
            }
            let (letter, outcome, comment) = match m {
                'Q' => (o, Outcome::Queried, Some("Evidence of testing to follow")),
                m if m == o => (m, Outcome::Agreed, None),
                m => (
                    m,
                    Outcome::Adjusted,
                    Some("Not yet evidenced across the borough"),
                ),
            };
            moderation::Entity::insert(moderation::ActiveModel {
                id: Set(Uuid::now_v7()),
                panel_id: Set(central),
                org_id: Set(*org),
                assessment_id: Set(*assessment_id),
                challenge_id: Set(cid),
                standard_id: Set(*sid),
                level_id: Set(national.levels[rank(letter)]),
                outcome: Set(outcome),
                comment: Set(comment.map(str::to_owned)),
                created_by: Set(None),
                created_at: Set(at(held)),
            })
            .exec_without_returning(&txn)
            .await?;
        }
    }

    link(&txn, &orgs, &national, &latest).await?;
    txn.commit().await?;
    Ok(())
}

/// Links the demo recommendations to the standards they bear on, and each borough's 2024-25
/// exercising rating to the actions of its exercising recommendation, with their evidence.
async fn link(
    txn: &DatabaseTransaction,
    orgs: &std::collections::HashMap<&str, Uuid>,
    national: &Written,
    latest: &std::collections::HashMap<&str, (Uuid, Vec<Uuid>)>,
) -> anyhow::Result<()> {
    for (slug, reference, code) in LINKS {
        let Some(org) = orgs.get(slug) else {
            continue;
        };
        let Some(position) = national.standards.iter().position(|(_, c, _)| c == code) else {
            continue;
        };
        let rec = recommendation::Entity::find()
            .filter(recommendation::Column::OrgId.eq(*org))
            .filter(recommendation::Column::Reference.eq(*reference))
            .one(txn)
            .await?;
        let Some(rec) = rec else {
            continue;
        };
        recommendation_standard::Entity::insert(recommendation_standard::ActiveModel {
            recommendation_id: Set(rec.id),
            standard_id: Set(national.standards[position].0),
            org_id: Set(*org),
        })
        .exec_without_returning(txn)
        .await?;
        // The rating of this standard in the 2024-25 assessment: the actions answering the
        // recommendation are the ones that will close its gap.
        let Some((_, ratings)) = latest.get(slug) else {
            continue;
        };
        let rating_id = ratings[position];
        let actions = action::Entity::find()
            .filter(action::Column::RecommendationId.eq(rec.id))
            .order_by_asc(action::Column::DueOn)
            .all(txn)
            .await?;
        for a in &actions {
            rating_action::Entity::insert(rating_action::ActiveModel {
                rating_id: Set(rating_id),
                action_id: Set(a.id),
                org_id: Set(*org),
            })
            .exec_without_returning(txn)
            .await?;
        }
        rating_evidence::Entity::insert(rating_evidence::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(*org),
            rating_id: Set(rating_id),
            title: Set(format!(
                "{} action plan progress report",
                national.standards[position].2
            )),
            url: Set(None),
            reference: Set(Some(format!("{reference} update, January 2025"))),
            added_by: Set(None),
            added_at: Set(at("2025-01-20")),
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
