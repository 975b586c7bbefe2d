//! Hand-written SQL for what the query builder says badly: point-in-time projections and
//! aggregates. Text is written with `?` placeholders, which become `$1, $2, …` on Postgres;
//! values are always bound, never spliced into the text.

use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;

/// A fragment of SQL and the values it binds, in order.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// Starts with `text`, which must not contain `?`.
    pub fn new(text: &str) -> Self {
        let mut sql = Sql::default();
        sql.push(text);
        sql
    }

    /// Appends text, which must not contain `?` (bind values with [`Sql::bind`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        debug_assert!(!text.contains('?'), "bind values with Sql::bind: {text}");
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    /// Appends `column IN (…)` over `ids`; a condition no row meets when there are none.
    pub fn push_in(&mut self, column: &str, ids: impl IntoIterator<Item = Uuid>) -> &mut Self {
        let mut ids = ids.into_iter().peekable();
        if ids.peek().is_none() {
            return self.push("1 = 0");
        }
        self.push(column).push(" IN (");
        for (i, id) in ids.enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(id);
        }
        self.push(")")
    }

    /// Appends another fragment, with its values.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// The statement for `backend`.
    pub fn statement(&self, backend: DbBackend) -> Statement {
        let text = match backend {
            DbBackend::Postgres => {
                let mut out = String::with_capacity(self.text.len() + 16);
                let mut n = 0;
                for c in self.text.chars() {
                    if c == '?' {
                        n += 1;
                        out.push('$');
                        out.push_str(&n.to_string());
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            _ => self.text.clone(),
        };
        Statement::from_sql_and_values(backend, text, self.values.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = ");
        sql.bind(1)
            .push(" AND ")
            .push_in("b", [Uuid::nil(), Uuid::max()]);
        let pg = sql.statement(DbBackend::Postgres);
        assert_eq!(pg.sql, "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(pg.values.unwrap().0.len(), 3);
        let lite = sql.statement(DbBackend::Sqlite);
        assert_eq!(lite.sql, "SELECT * FROM t WHERE a = ? AND b IN (?, ?)");
    }

    #[test]
    fn an_empty_in_list_matches_nothing() {
        let mut sql = Sql::new("WHERE ");
        sql.push_in("id", std::iter::empty());
        assert_eq!(sql.statement(DbBackend::Sqlite).sql, "WHERE 1 = 0");
    }
}
