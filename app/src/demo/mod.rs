//! Demo data: the organisations of the source committee papers, their panels, and the
//! personas whose tokens `cargo run` prints.
//!
//! - a metropolitan borough council whose scrutiny commission reviews its Major Incident Plan;
//! - the fire and rescue service whose protection plan another service peer reviewed, and the
//!   service that reviewed it;
//! - a fire and rescue service answering an HMICFRS cause of concern;
//! - the London-wide Local Authorities' Panel and one of its sub-regional partnerships, with a
//!   handful of boroughs;
//! - the Local Government Association, a national partner body.
//!
//! Seeding is idempotent: an organisation whose slug exists is left alone, and so is the plan
//! of an organisation that already holds reviews. The plans (reviews, recommendations, actions
//! and their histories) are in [`plans`]; the standards, assessments and challenges in
//! [`assurance`].

// The demo data generator loads through the owner's connection, outside any request.
#![allow(clippy::disallowed_methods)]

mod assurance;
mod people;
mod plans;

// The standards and scale are shared with the benchmark's generated data.
pub(crate) use assurance::{
    LONDON as LONDON_STANDARDS, LONDON_CODE, NATIONAL as NATIONAL_STANDARDS, NRS_CODE,
    SCALE as RATING_SCALE,
};

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use resilience_hub::auth::{KeyStore, Role, TokenRequest};
use resilience_hub::db::Database;
use resilience_hub::entity::{organisation, panel_membership, sharing_settings};
use resilience_hub::organisations::{NewOrganisation, OrgKind, PartnerSharing, service};

struct DemoOrg {
    slug: &'static str,
    name: &'static str,
    kind: OrgKind,
    region: &'static str,
    panel_detail: bool,
    partners: PartnerSharing,
}

const fn org(
    slug: &'static str,
    name: &'static str,
    kind: OrgKind,
    region: &'static str,
    panel_detail: bool,
    partners: PartnerSharing,
) -> DemoOrg {
    DemoOrg {
        slug,
        name,
        kind,
        region,
        panel_detail,
        partners,
    }
}

use OrgKind::{Council, FireAndRescueService as Frs, PartnerBody, RegionalPanel};
use PartnerSharing::{Aggregate, Named, None as NotShared};

const ORGANISATIONS: &[DemoOrg] = &[
    org(
        "rotherham",
        "Rotherham Metropolitan Borough Council",
        Council,
        "Yorkshire and the Humber",
        false,
        Named,
    ),
    org(
        "essex-fire",
        "Essex County Fire and Rescue Service",
        Frs,
        "East of England",
        false,
        Aggregate,
    ),
    org(
        "hertfordshire-fire",
        "Hertfordshire Fire and Rescue Service",
        Frs,
        "East of England",
        false,
        Named,
    ),
    org(
        "hereford-worcester-fire",
        "Hereford & Worcester Fire and Rescue Service",
        Frs,
        "West Midlands",
        false,
        NotShared,
    ),
    org(
        "london-lap",
        "London Local Authorities' Panel",
        RegionalPanel,
        "London",
        false,
        NotShared,
    ),
    org(
        "london-central",
        "Central London Sub-Regional Resilience Partnership",
        RegionalPanel,
        "London",
        false,
        NotShared,
    ),
    org(
        "city-of-london",
        "City of London Corporation",
        Council,
        "London",
        true,
        Named,
    ),
    org(
        "westminster",
        "Westminster City Council",
        Council,
        "London",
        false,
        Aggregate,
    ),
    org(
        "camden",
        "London Borough of Camden",
        Council,
        "London",
        true,
        Named,
    ),
    org(
        "islington",
        "London Borough of Islington",
        Council,
        "London",
        false,
        Aggregate,
    ),
    org(
        "hammersmith-fulham",
        "London Borough of Hammersmith & Fulham",
        Council,
        "London",
        true,
        Aggregate,
    ),
    org(
        "kensington-chelsea",
        "Royal Borough of Kensington and Chelsea",
        Council,
        "London",
        false,
        NotShared,
    ),
    org(
        "croydon",
        "London Borough of Croydon",
        Council,
        "London",
        false,
        Named,
    ),
    org(
        "newham",
        "London Borough of Newham",
        Council,
        "London",
        false,
        NotShared,
    ),
    org(
        "lga",
        "Local Government Association",
        PartnerBody,
        "England",
        false,
        NotShared,
    ),
];

/// The boroughs of the sub-regional partnership; all also sit in the London-wide panel, with
/// Croydon and Newham, which the sub-regional lead therefore does not see.
const CENTRAL_LONDON: &[&str] = &[
    "city-of-london",
    "westminster",
    "camden",
    "islington",
    "hammersmith-fulham",
    "kensington-chelsea",
];
const LONDON_ONLY: &[&str] = &["croydon", "newham"];

/// A demo user and the token `cargo run` prints for them.
pub struct Persona {
    /// How GraphiQL (`?persona=lead`) and the shell variable (`LEAD_TOKEN`) name them.
    pub key: &'static str,
    /// Who they are, for the start-up banner.
    pub title: &'static str,
    pub org: &'static str,
    pub role: Role,
    pub sub: &'static str,
    pub name: &'static str,
}

/// The organisation that operates the demo platform (the platform operator persona's).
const OPERATOR: &str = "lga";

/// The personas of the start-up banner.
pub const PERSONAS: &[Persona] = &[
    Persona {
        key: "manager",
        title: "council manager (Rotherham)",
        org: "rotherham",
        role: Role::Manager,
        sub: "demo-rotherham-manager",
        name: "Rotherham emergency planning manager",
    },
    Persona {
        key: "contributor",
        title: "fire service contributor (Essex)",
        org: "essex-fire",
        role: Role::Contributor,
        sub: "demo-essex-contributor",
        name: "Essex protection officer",
    },
    Persona {
        key: "lead",
        title: "sub-regional lead (Central London)",
        org: "london-central",
        role: Role::Manager,
        sub: "demo-central-london-lead",
        name: "Central London sub-regional lead",
    },
    Persona {
        key: "borough",
        title: "borough manager (Camden, a member of Central London)",
        org: "camden",
        role: Role::Manager,
        sub: "demo-camden-manager",
        name: "Camden resilience manager",
    },
    Persona {
        key: "partner",
        title: "partner analyst (LGA)",
        org: "lga",
        role: Role::Viewer,
        sub: "demo-lga-analyst",
        name: "LGA resilience analyst",
    },
    Persona {
        key: "operator",
        title: "platform operator (LGA)",
        org: "lga",
        role: Role::PlatformAdmin,
        sub: "demo-platform-operator",
        name: "Platform operator",
    },
];

impl Persona {
    /// The shell variable `cargo run` exports their token in (`LEAD_TOKEN`).
    pub fn variable(&self) -> String {
        format!("{}_TOKEN", self.key.to_ascii_uppercase())
    }

    /// What a token for them asks for, valid `ttl`. The organisation is named by its slug,
    /// which a token may do, so that this needs no database.
    pub fn token_request(&self, ttl: Duration) -> TokenRequest {
        TokenRequest {
            org: self.org.to_owned(),
            role: self.role,
            sub: self.sub.to_owned(),
            ttl,
            name: Some(self.name.to_owned()),
            email: None,
        }
    }
}

/// The personas GraphiQL offers (`/graphql?persona=lead`), each with a token minted at every
/// page load, valid `ttl`.
pub fn graphiql_personas(ttl: Duration) -> Vec<resilience_hub::http::DemoPersona> {
    PERSONAS
        .iter()
        .map(|p| resilience_hub::http::DemoPersona {
            key: p.key.to_owned(),
            title: p.title.to_owned(),
            token: p.token_request(ttl),
        })
        .collect()
}

/// Loads the demo data when the database holds no organisation at all. Returns whether it did.
pub async fn seed_if_empty(db: &Database) -> anyhow::Result<bool> {
    if organisation::Entity::find().count(db.conn()).await? > 0 {
        return Ok(false);
    }
    seed(db).await?;
    Ok(true)
}

/// Loads the demo data, skipping organisations that already exist. Returns how many
/// organisations it created.
pub async fn seed(db: &Database) -> anyhow::Result<usize> {
    let mut created = 0;
    for demo in ORGANISATIONS {
        if find_id(db, demo.slug).await?.is_some() {
            continue;
        }
        let new = NewOrganisation::parse("", demo.slug, demo.name, demo.kind, Some(demo.region))?;
        let org = service::create_unattended(db.conn(), new).await?;
        sharing_settings::Entity::update_many()
            .col_expr(
                sharing_settings::Column::PanelDetail,
                Expr::value(demo.panel_detail),
            )
            .col_expr(
                sharing_settings::Column::Partners,
                Expr::value(demo.partners),
            )
            .filter(sharing_settings::Column::OrgId.eq(org.id.0))
            .exec(db.conn())
            .await?;
        created += 1;
    }
    // The platform operator persona acts for the LGA, so the LGA operates the demo platform.
    let operator = require(db, OPERATOR).await?;
    service::set_operator_unattended(db.conn(), resilience_hub::ids::OrgId(operator), true).await?;
    let lap = require(db, "london-lap").await?;
    let central = require(db, "london-central").await?;
    let mut memberships = Vec::new();
    for slug in CENTRAL_LONDON.iter().chain(LONDON_ONLY) {
        let member = require(db, slug).await?;
        memberships.push((lap, member));
        if CENTRAL_LONDON.contains(slug) {
            memberships.push((central, member));
        }
    }
    let txn = db.conn().begin().await?;
    for (panel, member) in memberships {
        join(&txn, panel, member).await?;
    }
    txn.commit().await?;
    plans::seed(db).await?;
    people::seed(db).await?;
    assurance::seed(db).await?;
    // Written without the API's audit trail, so the epoch is moved here: a service already
    // running on this database must not go on answering from what it counted before.
    resilience_hub::epochs::advance_all(db.conn()).await?;
    Ok(created)
}

pub(crate) async fn find_id(db: &Database, slug: &str) -> anyhow::Result<Option<Uuid>> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(db.conn())
        .await?
        .map(|o| o.id))
}

async fn require(db: &Database, slug: &str) -> anyhow::Result<Uuid> {
    find_id(db, slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo organisation {slug} is missing"))
}

async fn join(txn: &sea_orm::DatabaseTransaction, panel: Uuid, member: Uuid) -> anyhow::Result<()> {
    let exists = panel_membership::Entity::find_by_id((panel, member))
        .one(txn)
        .await?
        .is_some();
    if !exists {
        panel_membership::Entity::insert(panel_membership::ActiveModel {
            panel_id: Set(panel),
            member_id: Set(member),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Mints a token for each persona whose organisation exists, valid for `ttl`.
pub async fn persona_tokens(
    db: &Database,
    keys: &KeyStore,
    ttl: Duration,
) -> anyhow::Result<Vec<(&'static Persona, String)>> {
    let mut tokens = Vec::new();
    for persona in PERSONAS {
        let Some(id) = find_id(db, persona.org).await? else {
            continue;
        };
        let token = keys.mint(&TokenRequest {
            // The id, which never changes, as `resilience-hub token` writes it.
            org: resilience_hub::ids::OrgId(id).to_string(),
            ..persona.token_request(ttl)
        })?;
        tokens.push((persona, token));
    }
    Ok(tokens)
}
