//! The demo's people who own actions and hear reminders: Essex's heads of service own the
//! actions of the Protection Improvement Plan that the paper names them for, and its
//! assurance manager reads the weekly digest. Essex has reminders on (an organisation's are
//! off until a manager turns them on), with the defaults: 14, 7 and 1 days before a delivery
//! date, 30 days without an update, the weekly digest on Mondays.
//!
//! They are users as a token would make them (issuer of the development keys, a subject of
//! their own), so a token for one of them acts as that person.

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use resilience_hub::config::DEV_JWT_ISSUER;
use resilience_hub::db::Database;
use resilience_hub::entity::{action, org_user, user};
use resilience_hub::reminders::OrgSettings;

/// A demo person: subject, name, email, role in the organisation, and the owner (as the
/// paper writes it) whose actions they own, if any.
struct DemoPerson {
    sub: &'static str,
    name: &'static str,
    email: &'static str,
    role: &'static str,
    owns: Option<&'static str>,
}

const ESSEX: &[DemoPerson] = &[
    DemoPerson {
        sub: "demo-essex-head-of-protection",
        name: "Head of Protection",
        email: "head.protection@essex-fire.example",
        role: "contributor",
        owns: Some("Head of Protection"),
    },
    DemoPerson {
        sub: "demo-essex-head-of-prevention-and-protection",
        name: "Head of Prevention and Protection",
        email: "head.prevention.protection@essex-fire.example",
        role: "contributor",
        owns: Some("Head of Prevention and Protection"),
    },
    DemoPerson {
        sub: "demo-essex-assurance-manager",
        name: "Essex assurance manager",
        email: "assurance.manager@essex-fire.example",
        role: "manager",
        owns: None,
    },
];

/// Writes Essex's people and its reminder settings (idempotent).
pub(super) async fn seed(db: &Database) -> anyhow::Result<()> {
    let Some(org) = super::find_id(db, "essex-fire").await? else {
        return Ok(());
    };
    let txn = db.conn().begin().await?;
    let now = Utc::now();
    for person in ESSEX {
        let id = match user::Entity::find()
            .filter(user::Column::Issuer.eq(DEV_JWT_ISSUER))
            .filter(user::Column::Subject.eq(person.sub))
            .one(&txn)
            .await?
        {
            Some(found) => found.id,
            None => {
                let id = Uuid::now_v7();
                user::Entity::insert(user::ActiveModel {
                    id: Set(id),
                    issuer: Set(DEV_JWT_ISSUER.to_owned()),
                    subject: Set(person.sub.to_owned()),
                    display_name: Set(Some(person.name.to_owned())),
                    email: Set(Some(person.email.to_owned())),
                    created_at: Set(now),
                    last_seen_at: Set(now),
                })
                .exec_without_returning(&txn)
                .await?;
                id
            }
        };
        org_user::Entity::insert(org_user::ActiveModel {
            org_id: Set(org),
            user_id: Set(id),
            first_seen_at: Set(now),
            role: Set(Some(person.role.to_owned())),
        })
        .on_conflict(
            OnConflict::columns([org_user::Column::OrgId, org_user::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if let Some(owner) = person.owns {
            action::Entity::update_many()
                .col_expr(action::Column::OwnerUserId, Expr::value(id))
                .filter(action::Column::OrgId.eq(org))
                .filter(action::Column::Owner.eq(owner))
                .filter(action::Column::OwnerUserId.is_null())
                .exec(&txn)
                .await?;
        }
    }
    let settings = OrgSettings {
        enabled: true,
        ..OrgSettings::default()
    };
    resilience_hub::entity::reminder_settings::Entity::insert(settings.row(org, now))
        .on_conflict(
            OnConflict::column(resilience_hub::entity::reminder_settings::Column::OrgId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
