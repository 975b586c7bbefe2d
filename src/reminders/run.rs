//! A day's run: for each organisation that has reminders on, in a transaction of its own,
//! what each of its people should be told that day and was not told before, written as
//! digests (with their notices and `reminder.due` events) for the mail to send.
//!
//! Each organisation's run reads as the service acting for that organisation alone (its own
//! scope, so row-level security shows it nothing of any other), and claims the organisation
//! and day first: a second run of the day, on this instance or another, finds the claim and
//! does nothing. Actions are read as they stood at the end of the day, from their histories,
//! so that a run for a past day (the command line's `--today`) tells what was due then.

// Background work of the service itself, not a caller's: it writes the reminder tables, under
// the `remind` purpose that row-level security confines to them, beside reads through the
// organisation's own scope.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::content::{ActionLine, AssessmentLine, Digest, MemberLine};
use super::plan::{self, OpenAction, Reason};
use super::settings::{Frequency, OrgSettings, Preferences};
use super::{REMINDER_DUE, settings};
use crate::access::scope::{self, rows_in};
use crate::access::{Access, Actor, Purpose};
use crate::actions::asof::{self, Filter};
use crate::audit::EntityType;
use crate::auth::Role;
use crate::cache::Remembered;
use crate::codes::OrgKind;
use crate::db::{Database, RequestDb};
use crate::entity::{notification, reminder_digest, reminder_run, reminder_told};
use crate::error::{AppError, AppResult};
use crate::history::AsAt;
use crate::ids::{OrgId, ReminderId, UserId};
use crate::sql::Sql;

/// A digest a run made (or, in a dry run, would make).
#[derive(Clone, Debug)]
pub struct Planned {
    pub id: ReminderId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub email: Option<String>,
    pub digest: Digest,
}

/// The stored status of a digest.
pub mod status {
    /// Waiting for the mail to go (or to be tried again).
    pub const PENDING: &str = "PENDING";
    pub const SENT: &str = "SENT";
    /// The mail server refused it for good, or every try failed.
    pub const FAILED: &str = "FAILED";
    /// Not mailed: no mail server is configured, or the person has no address. Its notice
    /// and event were still written.
    pub const NOT_MAILED: &str = "NOT_MAILED";
}

/// An organisation with reminders on.
#[derive(Debug, FromQueryResult)]
struct Enabled {
    org_id: Uuid,
    kind: String,
    name: String,
    slug: String,
}

/// Runs `day` for every organisation that has reminders on (and is not quiet that day).
/// With `dry_run`, works everything out and writes nothing. `mail` says whether digests are
/// to be mailed (a mail server is configured).
pub async fn remind(
    db: &Database,
    remembered: Arc<Remembered>,
    day: NaiveDate,
    dry_run: bool,
    mail: bool,
) -> AppResult<Vec<Planned>> {
    let listing = db.begin_request(false, 0).await?;
    let enabled = enabled_orgs(&listing, (!dry_run).then_some(day)).await;
    listing.abandon().await;
    let mut out = Vec::new();
    for org in enabled? {
        let Some(kind) = OrgKind::from_code(&org.kind) else {
            continue;
        };
        let txn = Arc::new(db.begin_request(!dry_run, 0).await?);
        let actor = Actor {
            // The service itself, acting for the organisation: no person.
            user_id: UserId(Uuid::nil()),
            org_id: OrgId(org.org_id),
            org_kind: kind,
            role: Role::Manager,
        };
        let done = match Access::load(actor, txn.clone(), remembered.clone()).await {
            Ok(access) => run_org(&access, &org, day, dry_run, mail).await,
            Err(err) => Err(err),
        };
        match done {
            Ok(planned) => {
                if dry_run {
                    txn.abandon().await;
                } else {
                    txn.finish().await?;
                }
                out.extend(planned);
            }
            Err(err) => {
                txn.abandon().await;
                // One organisation's failure must not keep the others' reminders back; the
                // next run tells what this one could not.
                tracing::error!(org = %OrgId(org.org_id), error = %err, "an organisation's reminders failed");
            }
        }
    }
    Ok(out)
}

/// The organisations with reminders on, less those whose run of `not_run_on` is done.
async fn enabled_orgs(db: &RequestDb, not_run_on: Option<NaiveDate>) -> AppResult<Vec<Enabled>> {
    db.set_settings(&[
        ("purpose", "remind".to_owned()),
        ("directory", "all".to_owned()),
    ])
    .await?;
    let mut sql = Sql::new(
        "SELECT s.org_id, o.kind, o.name, o.slug FROM reminder_settings s \
         JOIN organisations o ON o.id = s.org_id WHERE s.enabled",
    );
    if let Some(day) = not_run_on {
        sql.push(
            " AND NOT EXISTS (SELECT 1 FROM reminder_runs r WHERE r.org_id = s.org_id AND r.day = ",
        )
        .bind(day)
        .push(")");
    }
    sql.push(" ORDER BY o.slug");
    rows_in(db, &sql).await
}

/// Sets the purpose that lets the run read and write the reminder tables.
async fn remind_purpose(access: &Access) -> AppResult<()> {
    Ok(access
        .db()
        .set_settings(&[("purpose", "remind".to_owned())])
        .await?)
}

#[derive(Debug, FromQueryResult)]
struct ActionRow {
    id: Uuid,
    title: String,
    owner: String,
    owner_user_id: Option<Uuid>,
    at_due_on: NaiveDate,
    opened_on: NaiveDate,
    last_update: Option<NaiveDate>,
}

#[derive(Debug, FromQueryResult)]
struct Person {
    user_id: Uuid,
    role: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    enabled: Option<bool>,
    frequency: Option<String>,
}

impl Person {
    fn preferences(&self) -> Preferences {
        match (self.enabled, &self.frequency) {
            (Some(enabled), Some(f)) => Preferences {
                enabled,
                frequency: Frequency::from_code(f),
            },
            _ => Preferences::default(),
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct ToldRow {
    user_id: Uuid,
    action_id: Uuid,
    reason: String,
    occasion: String,
}

#[derive(Debug, FromQueryResult)]
struct Last {
    last_run: Option<NaiveDate>,
    last_weekly: Option<NaiveDate>,
}

async fn run_org(
    access: &Access,
    org: &Enabled,
    day: NaiveDate,
    dry_run: bool,
    mail: bool,
) -> AppResult<Vec<Planned>> {
    let db = access.db();
    let own = access.org_id();
    let settings: OrgSettings = settings::get(access).await?;
    if !settings.enabled || plan::is_quiet(&settings, day) {
        return Ok(Vec::new());
    }
    remind_purpose(access).await?;
    let last: Option<Last> = rows_in(
        db,
        Sql::new(
            "SELECT MAX(day) AS last_run, MAX(CASE WHEN weekly THEN day END) AS last_weekly \
             FROM reminder_runs WHERE org_id = ",
        )
        .bind(own.0)
        .push(" AND day < ")
        .bind(day),
    )
    .await?
    .into_iter()
    .next();
    let (last_run, last_weekly) = last.map_or((None, None), |l| (l.last_run, l.last_weekly));
    let weekly = plan::weekly_due(&settings, day, last_run, last_weekly);
    if !dry_run {
        // The claim: whoever inserts the organisation's row for the day does its run.
        let claimed = reminder_run::Entity::insert(reminder_run::ActiveModel {
            org_id: Set(own.0),
            day: Set(day),
            weekly: Set(weekly),
            digests: Set(0),
            ran_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::columns([reminder_run::Column::OrgId, reminder_run::Column::Day])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if claimed == 0 {
            return Ok(Vec::new());
        }
    }
    // A panel's managers hear of their members each week, counted as the panel's own
    // comparisons are (summaries run under a purpose of their own, so the run's is set again).
    let panel_wanted = access.actor().org_kind == OrgKind::RegionalPanel && settings.panel_digest;
    let members = if panel_wanted && weekly {
        let counted = member_counts(access, day).await?;
        remind_purpose(access).await?;
        counted
    } else {
        Vec::new()
    };

    let actions = open_actions(access, day).await?;
    let people: Vec<Person> = rows_in(
        db,
        Sql::new(
            "SELECT ou.user_id, ou.role, u.display_name, u.email, p.enabled, p.frequency \
             FROM org_users ou JOIN users u ON u.id = ou.user_id \
             LEFT JOIN reminder_preferences p ON p.org_id = ou.org_id AND p.user_id = ou.user_id \
             WHERE ou.org_id = ",
        )
        .bind(own.0)
        .push(" ORDER BY u.display_name, u.email, ou.user_id"),
    )
    .await?;
    let already: HashSet<Uuid> = reminder_digest::Entity::find()
        .select_only()
        .column(reminder_digest::Column::UserId)
        .filter(reminder_digest::Column::OrgId.eq(own.0))
        .filter(reminder_digest::Column::Day.eq(day))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let owners: Vec<Uuid> = people
        .iter()
        .map(|p| p.user_id)
        .filter(|u| actions.iter().any(|a| a.owner_user_id == Some(*u)))
        .collect();
    let mut told: HashSet<(Uuid, Uuid, String, String)> = HashSet::new();
    for chunk in owners.chunks(500) {
        let mut sql = Sql::new(
            "SELECT user_id, action_id, reason, occasion FROM reminders_told WHERE org_id = ",
        );
        sql.bind(own.0)
            .push(" AND ")
            .push_in("user_id", chunk.iter().copied());
        for row in rows_in::<ToldRow>(db, &sql).await? {
            told.insert((row.user_id, row.action_id, row.reason, row.occasion));
        }
    }
    let (overdue, assessments) = if weekly {
        (
            actions
                .iter()
                .filter(|a| a.due_on < day)
                .map(|a| line(a, Reason::Overdue, (day - a.due_on).num_days()))
                .collect::<Vec<_>>(),
            drafts(access, day).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };

    let mut planned = Vec::new();
    let mut new_told = Vec::new();
    for person in &people {
        let prefs = person.preferences();
        if !prefs.enabled || already.contains(&person.user_id) {
            continue;
        }
        let mut digest = Digest {
            day,
            organisation: org.name.clone(),
            org_slug: org.slug.clone(),
            recipient: person.display_name.clone(),
            own: Vec::new(),
            overdue: Vec::new(),
            assessments: Vec::new(),
            members: Vec::new(),
        };
        if prefs.frequency == Frequency::Daily || weekly {
            for a in actions
                .iter()
                .filter(|a| a.owner_user_id == Some(person.user_id))
            {
                for due in plan::owner_dues(&settings, day, a) {
                    let key = (
                        person.user_id,
                        a.id,
                        due.reason.code().to_owned(),
                        due.occasion.clone(),
                    );
                    if told.contains(&key) {
                        continue;
                    }
                    digest.own.push(line(a, due.reason, due.days));
                    new_told.push((key, planned.len()));
                }
            }
            digest.own.sort_by(|a, b| {
                (a.reason, a.due_on, &a.title).cmp(&(b.reason, b.due_on, &b.title))
            });
        }
        if weekly && person.role.as_deref() == Some(Role::Manager.claim()) {
            digest.overdue = overdue.clone();
            digest.assessments = assessments.clone();
            digest.members = members.clone();
        }
        if digest.is_empty() {
            // Whatever was gathered for them is untold; drop its keys.
            new_told.retain(|(_, index)| *index != planned.len());
            continue;
        }
        planned.push(Planned {
            id: ReminderId::new(),
            org_id: own,
            user_id: UserId(person.user_id),
            email: person.email.clone(),
            digest,
        });
    }
    if dry_run || planned.is_empty() {
        return Ok(planned);
    }
    write(db, own, &planned, new_told, mail).await?;
    Ok(planned)
}

/// A digest's line for an open action.
fn line(a: &OpenAction, reason: Reason, days: i64) -> ActionLine {
    ActionLine {
        id: a.id,
        title: a.title.clone(),
        owner: a.owner.clone(),
        due_on: a.due_on,
        reason,
        days,
    }
}

/// The organisation's open actions as they stood at the end of `day`, with the date of each
/// one's latest progress update by then: one statement.
async fn open_actions(access: &Access, day: NaiveDate) -> AppResult<Vec<OpenAction>> {
    let at = AsAt::on(day);
    let filter = Filter {
        organisations: Some(vec![access.org_id()]),
        ..Default::default()
    };
    let mut sql = Sql::new(
        "SELECT p.id, p.title, p.owner, p.owner_user_id, p.at_due_on, p.opened_on, \
         (SELECT MAX(u.as_at) FROM progress_updates u WHERE u.action_id = p.id AND u.as_at <= ",
    );
    sql.bind(day)
        .push(") AS last_update FROM (")
        .append(&asof::projection(
            &access.orgs(Purpose::Detail),
            &filter,
            at,
        ))
        .push(") p WHERE p.at_rag IN ('RED', 'AMBER') ORDER BY p.at_due_on, p.title, p.id");
    let rows: Vec<ActionRow> = scope::rows(access, &sql).await?;
    Ok(rows
        .into_iter()
        .map(|r| OpenAction {
            id: r.id,
            title: r.title,
            owner: r.owner,
            owner_user_id: r.owner_user_id,
            due_on: r.at_due_on,
            opened_on: r.opened_on,
            last_update: r.last_update,
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct DraftRow {
    id: Uuid,
    cycle: String,
    name: String,
}

/// The deadline of a cycle written `YYYY-YY`: the last day of its year, 31 March of the
/// second year (`2024-25` ends on 31 March 2025).
pub fn cycle_deadline(cycle: &str) -> Option<NaiveDate> {
    let start: i32 = cycle.get(..4)?.parse().ok()?;
    NaiveDate::from_ymd_opt(start + 1, 3, 31)
}

/// The organisation's assessments still in draft whose cycle's deadline has not passed on
/// `day`: awaiting submission, soonest deadline first.
async fn drafts(access: &Access, day: NaiveDate) -> AppResult<Vec<AssessmentLine>> {
    let mut sql = Sql::new(
        "SELECT a.id, a.cycle, f.name FROM assessments a JOIN frameworks f ON f.id = a.framework_id \
         WHERE a.status = 'DRAFT' AND ",
    );
    access
        .orgs(Purpose::Own)
        .push_condition(&mut sql, "a.org_id");
    sql.push(" ORDER BY f.name, a.cycle, a.id");
    let rows: Vec<DraftRow> = scope::rows(access, &sql).await?;
    let mut lines: Vec<AssessmentLine> = rows
        .into_iter()
        .filter_map(|r| {
            let deadline = cycle_deadline(&r.cycle).filter(|d| *d >= day)?;
            Some(AssessmentLine {
                id: r.id,
                framework: r.name,
                cycle: r.cycle,
                deadline,
            })
        })
        .collect();
    lines.sort_by(|a, b| (a.deadline, &a.framework).cmp(&(b.deadline, &b.framework)));
    Ok(lines)
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    org_id: Uuid,
    name: String,
    newly_overdue: i64,
    overdue: i64,
}

/// For a panel: each member's actions that went overdue in the week to `day`, and all its
/// overdue actions, counted (never listed) under the summary purpose, as the panel's own
/// comparisons are; members with nothing newly overdue are left out.
async fn member_counts(access: &Access, day: NaiveDate) -> AppResult<Vec<MemberLine>> {
    let members = access.orgs(Purpose::PanelMembers);
    let crate::access::OrgSet::Only(ids) = &members else {
        return Ok(Vec::new());
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = Filter {
        organisations: Some(ids.iter().copied().map(OrgId).collect()),
        ..Default::default()
    };
    let scope = access.orgs(Purpose::Summary);
    let week_before = day - chrono::Duration::days(7);
    let mut sql = Sql::new(
        "SELECT n.org_id, o.name, \
         SUM(CASE WHEN n.at_rag = 'RED' AND (t.id IS NULL OR t.at_rag IS NULL OR t.at_rag <> 'RED') THEN 1 ELSE 0 END) AS newly_overdue, \
         SUM(CASE WHEN n.at_rag = 'RED' THEN 1 ELSE 0 END) AS overdue FROM (",
    );
    sql.append(&asof::projection(&scope, &filter, AsAt::on(day)))
        .push(") n LEFT JOIN (")
        .append(&asof::projection(&scope, &filter, AsAt::on(week_before)))
        .push(") t ON t.id = n.id JOIN organisations o ON o.id = n.org_id GROUP BY n.org_id, o.name ORDER BY o.name");
    let rows: Vec<MemberRow> = scope::summary_rows(access, &sql).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.newly_overdue > 0)
        .map(|r| MemberLine {
            id: r.org_id,
            name: r.name,
            newly_overdue: r.newly_overdue,
            overdue: r.overdue,
        })
        .collect())
}

/// A random token for a digest's unsubscribe link: 256 bits, hex.
fn unsubscribe_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Writes the digests, what they told, their notices and their events, and the run's count.
async fn write(
    db: &RequestDb,
    own: OrgId,
    planned: &[Planned],
    told: Vec<((Uuid, Uuid, String, String), usize)>,
    mail: bool,
) -> AppResult<()> {
    let now = Utc::now();
    let mut digests = Vec::with_capacity(planned.len());
    let mut notices = Vec::with_capacity(planned.len());
    let mut events = Vec::with_capacity(planned.len());
    for p in planned {
        let content = serde_json::to_string(&p.digest)
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("a digest")))?;
        let mailed = mail && p.email.is_some();
        digests.push(reminder_digest::ActiveModel {
            id: Set(p.id.0),
            org_id: Set(own.0),
            user_id: Set(p.user_id.0),
            day: Set(p.digest.day),
            content: Set(content),
            email: Set(p.email.clone()),
            status: Set(if mailed {
                status::PENDING
            } else {
                status::NOT_MAILED
            }
            .to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            held_until: Set(None),
            last_error: Set(None),
            sent_at: Set(None),
            unsubscribe_token: Set(unsubscribe_token()),
            created_at: Set(now),
        });
        notices.push(notification::ActiveModel {
            id: Set(crate::ids::NotificationId::new().0),
            org_id: Set(own.0),
            recipient_role: Set(None),
            recipient_user_id: Set(Some(p.user_id.0)),
            kind: Set(REMINDER_DUE.to_owned()),
            title: Set(p.digest.title()),
            body: Set(p.digest.text(&super::content::Links::default())),
            subject_id: Set(Some(p.id.0)),
            created_at: Set(now),
        });
        let mut named = Map::new();
        named.insert("recipientUserId".into(), json!(p.user_id.to_string()));
        named.insert("day".into(), json!(p.digest.day.to_string()));
        named.insert(
            "actionIds".into(),
            Value::Array(
                p.digest
                    .action_ids()
                    .into_iter()
                    .map(|id| json!(crate::ids::ActionId(id).to_string()))
                    .collect(),
            ),
        );
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for line in &p.digest.own {
            *reasons.entry(line.reason.code()).or_default() += 1;
        }
        named.insert("reasons".into(), json!(reasons));
        named.insert(
            "weekly".into(),
            json!(
                !p.digest.overdue.is_empty()
                    || !p.digest.assessments.is_empty()
                    || !p.digest.members.is_empty()
            ),
        );
        events.push(crate::audit::outbox::notice_row(
            own,
            REMINDER_DUE,
            EntityType::Reminder,
            p.id.0,
            named,
            now,
        ));
    }
    for chunk in digests.chunks(200) {
        reminder_digest::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let told_rows: Vec<reminder_told::ActiveModel> = told
        .into_iter()
        .filter_map(|((user, action, reason, occasion), index)| {
            let digest = planned.get(index)?;
            Some(reminder_told::ActiveModel {
                user_id: Set(user),
                org_id: Set(own.0),
                action_id: Set(action),
                reason: Set(reason),
                occasion: Set(occasion),
                digest_id: Set(digest.id.0),
            })
        })
        .collect();
    for chunk in told_rows.chunks(500) {
        reminder_told::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    for chunk in notices.chunks(200) {
        scope::insert_many_owned::<notification::Entity, _>(own, chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    for chunk in events.chunks(200) {
        crate::entity::outbox_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    reminder_run::Entity::update_many()
        .col_expr(
            reminder_run::Column::Digests,
            sea_orm::sea_query::Expr::value(planned.len() as i32),
        )
        .filter(reminder_run::Column::OrgId.eq(own.0))
        .filter(reminder_run::Column::Day.eq(planned[0].digest.day))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cycle_ends_on_the_last_day_of_its_year() {
        assert_eq!(
            super::cycle_deadline("2024-25").map(|d| d.to_string()),
            Some("2025-03-31".into())
        );
        assert_eq!(super::cycle_deadline("24-25"), None);
    }
}
