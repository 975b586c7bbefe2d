//! Relay connections: page arguments, opaque cursors and lazily counted totals.
//!
//! Pages are keyset pages: a cursor holds the sort key and id of the last row seen, and the
//! next page starts strictly after it, so a page never repeats or skips a row when rows are
//! added meanwhile, and its cost does not grow with its depth into the list.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::limits::Limits;
use crate::validate;

/// The page size when `first` is not given. Also used by complexity estimates.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The estimated cost of a connection field for the complexity limit: its children's cost
/// once per row of the page it may return.
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(1, 100) as usize);
    rows.saturating_mul(child_complexity).saturating_add(1)
}

/// The position of a row in a sorted list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key, when the list is not sorted by id alone.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The row's id, which breaks ties between equal keys.
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    /// A cursor for a list sorted by `key`, then id.
    pub fn keyed(key: impl Into<String>, id: Uuid) -> Self {
        Cursor {
            key: Some(key.into()),
            id,
        }
    }

    /// A cursor for a list sorted by id alone.
    pub fn by_id(id: Uuid) -> Self {
        Cursor { key: None, id }
    }

    /// The opaque form clients hold.
    pub fn encode(&self) -> String {
        // Serialising a struct of a string and a UUID cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(field: &str, raw: &str) -> AppResult<Self> {
        let bad = || AppError::bad_input(field, "not a cursor this list gave out");
        if raw.len() > 1024 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// The sort key, which a keyed list's cursor must carry.
    pub fn key(&self, field: &str) -> AppResult<&str> {
        self.key
            .as_deref()
            .ok_or_else(|| AppError::bad_input(field, "not a cursor this list gave out"))
    }
}

/// What page the caller asked for.
#[derive(Clone, Debug)]
pub struct PageArgs {
    /// How many rows, at most.
    pub first: usize,
    /// Start after this row.
    pub after: Option<Cursor>,
}

impl PageArgs {
    /// Checks `first` and `after` against the configured limits.
    pub fn new(limits: &Limits, first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let first = validate::page_size("first", first, DEFAULT_PAGE_SIZE, limits.max_page_size)?;
        let after = after.map(|raw| Cursor::decode("after", &raw)).transpose()?;
        Ok(PageArgs { first, after })
    }

    /// The number of rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.first as u64 + 1
    }
}

type CountFn = dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync;

/// The `totalCount` of a connection, counted in SQL only when a client asks for it.
#[derive(Clone)]
pub struct TotalCount(Arc<CountFn>);

impl TotalCount {
    /// A count made only if a client asks for it, by `count` (see `access::scope::total_of`).
    pub fn deferred(
        count: impl Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
    ) -> Self {
        TotalCount(Arc::new(count))
    }

    /// A total already known.
    pub fn known(total: u64) -> Self {
        TotalCount(Arc::new(move || Box::pin(async move { Ok(total) })))
    }
}

#[Object]
impl TotalCount {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        Ok((self.0)().await?)
    }
}

/// One page of a list, ready to become a Relay connection.
pub struct Paged<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total: TotalCount,
}

impl<T> Paged<T> {
    /// Builds a page from up to `page.fetch()` sorted rows.
    pub fn from_rows<R>(
        page: &PageArgs,
        mut rows: Vec<R>,
        total: TotalCount,
        cursor: impl Fn(&R) -> Cursor,
        item: impl Fn(R) -> T,
    ) -> Self {
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        Paged {
            items: rows.into_iter().map(|r| (cursor(&r), item(r))).collect(),
            has_next_page,
            has_previous_page: page.after.is_some(),
            total,
        }
    }

    /// Converts the items, keeping the page's shape.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }
}

/// A Relay connection with `totalCount`.
pub type CountedConnection<T> = Connection<String, T, TotalCount>;

impl<T: OutputType> From<Paged<T>> for CountedConnection<T> {
    fn from(page: Paged<T>) -> Self {
        let mut conn = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            page.total,
        );
        conn.edges.extend(
            page.items
                .into_iter()
                .map(|(cursor, node)| Edge::new(cursor.encode(), node)),
        );
        conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips() {
        let c = Cursor::keyed("Essex County Fire & Rescue", Uuid::now_v7());
        assert_eq!(Cursor::decode("after", &c.encode()).unwrap(), c);
    }

    #[test]
    fn a_forged_cursor_is_bad_input() {
        for raw in ["", "!!!", "eyJmb28iOjF9", &"A".repeat(5000)] {
            let err = Cursor::decode("after", raw).unwrap_err();
            assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "after"));
        }
    }
}
