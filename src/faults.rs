//! How a database failure is named: a fault of the database (retry later), a request past its
//! statement budget (the request's), or a statement the database refused (a bug). Read from
//! the driver's error kinds and SQLSTATE codes, never from message text.

use sea_orm::{DbErr, RuntimeErr};

/// Whether `err` says the database could not be reached, dropped the connection, or is
/// refusing work for now (a fault: retry later), rather than refusing the statement itself
/// (a bug). Read from the driver's error kinds and SQLSTATE codes, never from message text.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::BeginFailed => true,
        Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>() {
                sqlite_unavailable(sqlite)
            } else {
                db.code().is_some_and(|code| postgres_unavailable(&code))
            }
        }
        _ => false,
    }
}

/// SQLSTATE classes and codes of a server that cannot do the work now: connection exceptions
/// (08), operator intervention such as a shutdown or restart (57P01–57P05), insufficient
/// resources such as too many connections (53), system errors (58), a statement cancelled by
/// a timeout (57014), and deadlocks and serialisation failures, which succeed when retried
/// (40001, 40P01).
fn postgres_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P")
        || code.starts_with("53")
        || code.starts_with("58")
        || matches!(code, "57014" | "40001" | "40P01")
}

/// SQLite's primary result codes of a database that is busy, locked, failing to read or
/// write, full, or not there: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL,
/// SQLITE_CANTOPEN. The driver gives the extended code, whose low byte is the primary one.
fn sqlite_unavailable(err: &sea_orm::sqlx::sqlite::SqliteError) -> bool {
    use sea_orm::sqlx::error::DatabaseError;
    err.code()
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 13 | 14))
}

/// The message of the error a statement gets once its request has run its budget out: one of
/// ours, compared whole by [`is_over_budget`], never parsed.
pub(crate) const OVER_BUDGET: &str = "the request ran out of its budget of SQL statements";

/// Whether `err` is the refusal of a statement past its request's budget.
pub fn is_over_budget(err: &DbErr) -> bool {
    matches!(err, DbErr::Custom(message) if message == OVER_BUDGET)
}
