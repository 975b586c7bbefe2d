//! Change epochs: counters the database moves on in the same transaction as every change to a
//! family of records, so that an aggregate computed from them can be remembered between
//! requests and known to be current by reading one row.
//!
//! Why it holds:
//!
//! - Every change is audited in the transaction that makes it, and [`crate::audit::record`]
//!   marks the epoch of the records changed ([`changed`]). A request moves the epochs its
//!   changes marked just before it commits, so a change and its epoch commit together.
//! - Writers queue on an epoch's row until they commit, so an epoch numbers the committed
//!   changes in order: two reads that see the same epoch see the same records.
//! - A reader takes the epoch *before* computing, so what it remembers under an epoch is never
//!   older than that epoch; a later change moves the epoch, and the next reader recomputes.
//!
//! Epochs are moved last, in one order, so that two requests never wait on each other: a
//! request holding an epoch's row waits for nothing but its own commit.
//!
//! Who may read an aggregate is not part of an epoch: callers' populations (panel members,
//! organisations sharing with partners) are resolved per request and key what is remembered.

// The store layer: change epochs are the service's bookkeeping, not tenant rows.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::codes::EntityType;
use crate::error::AppResult;
use crate::sql::Sql;

/// A family of records with epochs of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Frameworks, assessments, ratings, challenges and moderations, as a whole.
    Assurance,
    /// Each organisation's actions (and the progress updates that move them).
    Actions,
    /// The directory, panel memberships and sharing settings, as a whole: what decides which
    /// organisations each caller may read.
    Visibility,
}

impl Family {
    fn code(self) -> &'static str {
        match self {
            Family::Assurance => "ASSURANCE",
            Family::Actions => "ACTIONS",
            Family::Visibility => "VISIBILITY",
        }
    }
}

/// One epoch: of a family as a whole, or of one organisation's records of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epoch {
    pub family: Family,
    /// The organisation; the nil id for a family kept as a whole.
    pub subject: Uuid,
}

impl Epoch {
    /// The assurance records' epoch.
    pub const ASSURANCE: Epoch = Epoch {
        family: Family::Assurance,
        subject: Uuid::nil(),
    };

    /// The epoch of the directory, memberships and sharing settings.
    pub const VISIBILITY: Epoch = Epoch {
        family: Family::Visibility,
        subject: Uuid::nil(),
    };

    /// The epoch of `org`'s actions.
    pub fn actions_of(org: Uuid) -> Epoch {
        Epoch {
            family: Family::Actions,
            subject: org,
        }
    }

    /// The epoch a change to an `entity` of organisation `org` moves, if any.
    pub fn of_change(entity: EntityType, org: Uuid) -> Option<Epoch> {
        match entity {
            EntityType::Framework
            | EntityType::Assessment
            | EntityType::Rating
            | EntityType::Challenge
            | EntityType::Moderation => Some(Epoch::ASSURANCE),
            EntityType::Action | EntityType::ProgressUpdate => Some(Epoch::actions_of(org)),
            EntityType::Organisation
            | EntityType::PanelMembership
            | EntityType::SharingSettings => Some(Epoch::VISIBILITY),
            _ => None,
        }
    }
}

tokio::task_local! {
    /// The epochs the current request's changes marked, moved together just before it commits.
    static PENDING: Mutex<BTreeSet<Epoch>>;
}

/// Runs a request's work, collecting the epochs its changes mark instead of moving them at
/// once; returns them in the order they must be moved.
pub async fn deferring<T>(work: impl Future<Output = T>) -> (T, Vec<Epoch>) {
    PENDING
        .scope(Mutex::new(BTreeSet::new()), async move {
            let out = work.await;
            let pending =
                PENDING.with(|p| std::mem::take(&mut *p.lock().unwrap_or_else(|e| e.into_inner())));
            (out, pending.into_iter().collect())
        })
        .await
}

/// Marks that `txn` changed the records of `epoch`: moved when the request commits, or at
/// once outside a request (command-line tools).
pub async fn changed(txn: &impl ConnectionTrait, epoch: Epoch) -> AppResult<()> {
    let deferred = PENDING
        .try_with(|p| {
            p.lock().unwrap_or_else(|e| e.into_inner()).insert(epoch);
        })
        .is_ok();
    if !deferred {
        advance(txn, &[epoch]).await?;
    }
    Ok(())
}

/// Moves each of `epochs` on by one, in `txn`, in the order given (creating rows on first use).
pub async fn advance(txn: &impl ConnectionTrait, epochs: &[Epoch]) -> AppResult<()> {
    for epoch in epochs {
        let mut sql = Sql::new("INSERT INTO change_epochs (family, subject, epoch) VALUES (");
        sql.bind(epoch.family.code())
            .push(", ")
            .bind(epoch.subject)
            .push(
                ", 1) ON CONFLICT (family, subject) DO UPDATE SET epoch = change_epochs.epoch + 1",
            );
        txn.execute_raw(sql.statement(txn.get_database_backend()))
            .await?;
    }
    Ok(())
}

/// Moves on every epoch there is, and every organisation's of each family kept per
/// organisation: for data written without the API (demo and benchmark data), so that a service
/// already running on the database does not go on answering from what it remembered.
pub async fn advance_all(db: &impl ConnectionTrait) -> AppResult<()> {
    advance(db, &[Epoch::ASSURANCE, Epoch::VISIBILITY]).await?;
    let mut sql = Sql::new("INSERT INTO change_epochs (family, subject, epoch) SELECT ");
    sql.bind(Family::Actions.code()).push(
        ", id, 1 FROM organisations WHERE 1 = 1 \
         ON CONFLICT (family, subject) DO UPDATE SET epoch = change_epochs.epoch + 1",
    );
    db.execute_raw(sql.statement(db.get_database_backend()))
        .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Row {
    subject: Uuid,
    epoch: i64,
}

/// The epochs of `family` for `subjects` as the connection sees them now: one statement. A
/// subject whose records never changed through the API is at 0.
pub async fn current(
    db: &impl ConnectionTrait,
    family: Family,
    subjects: &[Uuid],
) -> AppResult<HashMap<Uuid, i64>> {
    let mut sql = Sql::new("SELECT subject, epoch FROM change_epochs WHERE family = ");
    sql.bind(family.code())
        .push(" AND ")
        .push_in("subject", subjects.iter().copied());
    let rows = Row::find_by_statement(sql.statement(db.get_database_backend()))
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, i64> = subjects.iter().map(|s| (*s, 0)).collect();
    out.extend(rows.into_iter().map(|r| (r.subject, r.epoch)));
    Ok(out)
}

/// A subquery reading `epoch` (none when its records never changed through the API), to
/// ride in a statement that does something else ([`crate::db::RequestDb::set_settings_reading`]).
pub fn reading(epoch: Epoch) -> Sql {
    let mut sql = Sql::new("SELECT epoch FROM change_epochs WHERE family = ");
    sql.bind(epoch.family.code())
        .push(" AND subject = ")
        .bind(epoch.subject);
    sql
}
