//! The one error type of the service and the codes clients see.
//!
//! Every failure a client can observe carries a machine-readable `extensions.code`. Services
//! return [`AppError`]; the conversion into a GraphQL error (enabled by async-graphql's
//! `custom-error-conversion` feature, which removes the blanket `Display` conversion) is the
//! only way out, so a database error can never reach a client as text: it becomes
//! `INTERNAL_SERVER_ERROR`, and its detail goes to the log under the request's id.

use std::fmt;

use async_graphql::ErrorExtensions;

/// A failure, in terms the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid token where one is needed.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's own object, but their role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or belonging to an organisation the caller cannot see (the two are not told apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An argument the service refuses; `field` names it (a dotted path within `input`).
    #[error("{message}")]
    BadUserInput { field: String, message: String },
    /// The row changed since the caller read it (stale `version`), or the change collides with
    /// the current state.
    #[error("{0}")]
    Conflict(String),
    /// The database could not be reached or dropped the connection: retry later. The detail
    /// is logged, never sent.
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// The request ran more SQL statements than its budget allows.
    #[error("the request ran more SQL statements than its budget allows")]
    OverBudget,
    /// An uploaded file refused whole, with the code that says why; `cell` names the row
    /// and column when one cell is the reason.
    #[error("{message}")]
    File {
        code: ErrorCode,
        message: String,
        cell: Option<(u32, String)>,
    },
    /// A subscription past the bounds of its connection or organisation.
    #[error("{0}")]
    TooManySubscriptions(String),
    /// Anything else: a bug. The detail is logged, never sent.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The codes of `errors[].extensions.code`, as listed in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    QueryTooComplex,
    BadRequest,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    RateLimited,
    ServiceUnavailable,
    InternalServerError,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
    PersistedQueryNotInList,
    FileTooLarge,
    NotASpreadsheet,
    FileProtected,
    FileCorrupt,
    TooManyRows,
    TooManyColumns,
    NoHeader,
    CellTooLong,
    TooManySubscriptions,
}

impl ErrorCode {
    /// Every code, in the order of the enum.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::BadUserInput,
        ErrorCode::Conflict,
        ErrorCode::QueryTooComplex,
        ErrorCode::BadRequest,
        ErrorCode::GraphqlParseFailed,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::RateLimited,
        ErrorCode::ServiceUnavailable,
        ErrorCode::InternalServerError,
        ErrorCode::PersistedQueryNotFound,
        ErrorCode::PersistedQueryNotSupported,
        ErrorCode::PersistedQueryNotInList,
        ErrorCode::FileTooLarge,
        ErrorCode::NotASpreadsheet,
        ErrorCode::FileProtected,
        ErrorCode::FileCorrupt,
        ErrorCode::TooManyRows,
        ErrorCode::TooManyColumns,
        ErrorCode::NoHeader,
        ErrorCode::CellTooLong,
        ErrorCode::TooManySubscriptions,
    ];

    /// The code a response spells `code` as.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The code as it appears in responses.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            ErrorCode::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            ErrorCode::FileTooLarge => "FILE_TOO_LARGE",
            ErrorCode::NotASpreadsheet => "NOT_A_SPREADSHEET",
            ErrorCode::FileProtected => "FILE_PROTECTED",
            ErrorCode::FileCorrupt => "FILE_CORRUPT",
            ErrorCode::TooManyRows => "TOO_MANY_ROWS",
            ErrorCode::TooManyColumns => "TOO_MANY_COLUMNS",
            ErrorCode::NoHeader => "NO_HEADER",
            ErrorCode::CellTooLong => "CELL_TOO_LONG",
            ErrorCode::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message clients get for an internal error; the detail is in the log.
pub const INTERNAL_MESSAGE: &str = "internal server error";

/// The message clients get when the database fails under their request.
pub const UNAVAILABLE_MESSAGE: &str = "the database is unavailable; try again shortly";

impl AppError {
    /// A `BAD_USER_INPUT` naming the offending field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `FORBIDDEN` with the reason the role falls short.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    /// The `CONFLICT` of an update that carried a stale `version`.
    pub fn stale_version(entity: &str) -> Self {
        AppError::Conflict(format!(
            "the {entity} was changed by someone else since you read it; read it again and retry with its current version"
        ))
    }

    /// The code clients see.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::BadUserInput { .. } => ErrorCode::BadUserInput,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::OverBudget => ErrorCode::QueryTooComplex,
            AppError::File { code, .. } => *code,
            AppError::TooManySubscriptions(_) => ErrorCode::TooManySubscriptions,
            AppError::Internal(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    /// A database that failed is a fault, a statement past the request's budget is the
    /// request's, anything else (a statement the database refused) is a bug.
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::faults::is_over_budget(&err) {
            AppError::OverBudget
        } else if crate::faults::is_unavailable(&err) {
            AppError::Unavailable(anyhow::Error::new(err).context("database"))
        } else {
            AppError::Internal(anyhow::Error::new(err).context("database"))
        }
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        // The request span carries the request id, so a log line can be found from the id
        // the client was given.
        let message = match self {
            AppError::Internal(detail) => {
                // One line, the whole chain of causes: a log line per event, whatever collects them.
                tracing::error!(error = %format!("{detail:#}"), "internal error");
                INTERNAL_MESSAGE.to_owned()
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %format!("{detail:#}"), "the database is unavailable");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            if let AppError::BadUserInput { field, .. } = self {
                ext.set("field", field.as_str());
            }
            if let AppError::File {
                cell: Some((row, column)),
                ..
            } = self
            {
                ext.set("row", *row);
                ext.set("column", column.as_str());
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// The result of a service call.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_carry_their_detail() {
        let err: async_graphql::Error =
            AppError::Internal(anyhow::anyhow!("relation \"secret_table\" does not exist")).into();
        assert_eq!(err.message, INTERNAL_MESSAGE);
        let ext = err.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("INTERNAL_SERVER_ERROR"))
        );
    }

    #[test]
    fn bad_user_input_names_the_field() {
        let err: async_graphql::Error = AppError::bad_input("input.slug", "too long").into();
        let ext = err.extensions.expect("extensions");
        assert_eq!(
            ext.get("field"),
            Some(&async_graphql::Value::from("input.slug"))
        );
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("BAD_USER_INPUT"))
        );
    }
}
