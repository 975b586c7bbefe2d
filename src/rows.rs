//! Reading a statement's rows by position: each column a row type reads is found by name once,
//! in the first row, and every row is then read by position.
//!
//! sea-orm's derived `FromQueryResult` finds every column of every row by its name: a hash of
//! the name and a look-up in the statement's table of columns for each value. A page of an
//! action plan is fifty rows of nearly forty columns. A row type that implements
//! [`Positional`] (most simply through [`positional!`], whose fields are the columns) names
//! its columns once and reads them in that order; tenant reads still run through
//! `access::scope` (`rows_by_position`).

use sea_orm::{DbErr, QueryResult, TryGetable};

/// A row type read by position (see the module's documentation).
pub trait Positional: Sized {
    /// The names of the columns [`Positional::read`] reads, in the order it reads them.
    fn columns(names: &mut Vec<&'static str>);

    /// Reads one row, taking each column from `row` in the order of [`Positional::columns`].
    fn read(row: &mut Cursor<'_>) -> Result<Self, DbErr>;
}

/// One row, and where each column to read next sits in it.
pub struct Cursor<'a> {
    row: &'a QueryResult,
    at: &'a [usize],
    next: usize,
}

impl Cursor<'_> {
    /// The value of the next column to read.
    pub fn column<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let Some(&index) = self.at.get(self.next) else {
            return Err(DbErr::Type(format!(
                "a row type read more than the {} columns it named",
                self.at.len()
            )));
        };
        self.next += 1;
        self.row.try_get_by_index(index)
    }
}

/// Declares a struct read by position whose fields are the statement's columns of the same
/// names, in their order: the names are written once, so the columns named and the fields
/// read cannot drift apart.
macro_rules! positional {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        impl $crate::rows::Positional for $name {
            fn columns(names: &mut Vec<&'static str>) {
                names.extend([$(stringify!($field)),*]);
            }

            fn read(row: &mut $crate::rows::Cursor<'_>) -> Result<Self, sea_orm::DbErr> {
                Ok($name {
                    $($field: row.column()?),*
                })
            }
        }
    };
}
pub(crate) use positional;

/// Where each of `names` sits among the columns of `row`.
fn positions(row: &QueryResult, names: &[&str]) -> Result<Vec<usize>, DbErr> {
    let columns = row.column_names();
    names
        .iter()
        .map(|name| {
            columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| DbErr::Type(format!("the statement answers no column `{name}`")))
        })
        .collect()
}

/// Reads every row of `results` as an `M`.
pub fn read_all<M: Positional>(results: &[QueryResult]) -> Result<Vec<M>, DbErr> {
    let Some(first) = results.first() else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    M::columns(&mut names);
    let at = positions(first, &names)?;
    results
        .iter()
        .map(|row| {
            M::read(&mut Cursor {
                row,
                at: &at,
                next: 0,
            })
        })
        .collect()
}
