//! Relay connections: page arguments, opaque cursors and lazily counted totals.
//!
//! Pages are keyset pages: a cursor holds the list it came from, the sort key and the id of a
//! row, and a page starts strictly after it (`first`/`after`) or ends strictly before it
//! (`last`/`before`), so a page never repeats or skips a row when rows are added meanwhile, and
//! its cost does not grow with its depth into the list. A page read backwards is fetched in the
//! reverse order and turned round, so its rows come in the list's own order either way.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{IntoCondition, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::limits::Limits;
use crate::sql::Sql;
use crate::validate;

/// The page size when neither `first` nor `last` is given. Also used by complexity estimates.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The estimated cost of a connection field for the complexity limit: its children's cost
/// once per row of the page it may return (`first` or `last`).
pub fn connection_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let rows = first
        .or(last)
        .map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(1, 100) as usize);
    rows.saturating_mul(child_complexity).saturating_add(1)
}

/// The position of a row in a sorted list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The list it was given out by: a cursor of one list is refused by another.
    #[serde(rename = "l", default)]
    pub list: String,
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
            list: String::new(),
            key: Some(key.into()),
            id,
        }
    }

    /// A cursor for a list sorted by id alone.
    pub fn by_id(id: Uuid) -> Self {
        Cursor {
            list: String::new(),
            key: None,
            id,
        }
    }

    /// The opaque form clients hold.
    pub fn encode(&self) -> String {
        // Serialising a struct of strings and a UUID cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor that `list` gave out.
    fn decode(field: &'static str, list: &str, raw: &str) -> AppResult<Self> {
        let bad = || not_ours(field);
        if raw.len() > 1024 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.list != list {
            return Err(bad());
        }
        Ok(cursor)
    }

    /// The sort key, which a keyed list's cursor must carry.
    pub fn key(&self, field: &str) -> AppResult<&str> {
        self.key.as_deref().ok_or_else(|| not_ours(field))
    }
}

/// The refusal of a cursor this list did not give out.
pub fn not_ours(field: &str) -> AppError {
    AppError::bad_input(field, "not a cursor this list gave out")
}

/// The `key_value` of a list sorted by id alone, whose cursors carry no key.
pub fn no_key(_: &str, field: &'static str) -> AppResult<sea_orm::Value> {
    Err(not_ours(field))
}

/// Which way a list is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Ascending,
    Descending,
}

impl Sort {
    fn reversed(self) -> Self {
        match self {
            Sort::Ascending => Sort::Descending,
            Sort::Descending => Sort::Ascending,
        }
    }

    fn order(self) -> Order {
        match self {
            Sort::Ascending => Order::Asc,
            Sort::Descending => Order::Desc,
        }
    }

    /// `ASC` or `DESC`.
    pub fn sql(self) -> &'static str {
        match self {
            Sort::Ascending => "ASC",
            Sort::Descending => "DESC",
        }
    }
}

/// The page arguments of a connection field as the client gave them, for a resolver that
/// hands them on before the list is known.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl Window {
    /// The page of the list `list` they ask for (see [`PageArgs::new`]).
    pub fn page(self, limits: &Limits, list: impl Into<String>) -> AppResult<PageArgs> {
        PageArgs::new(limits, list, self.first, self.after, self.last, self.before)
    }
}

/// What page the caller asked for.
#[derive(Clone, Debug)]
pub struct PageArgs {
    /// The list's name, written into its cursors (with its order, where it has several).
    list: String,
    /// How many rows, at most.
    pub size: usize,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// End before this row.
    pub before: Option<Cursor>,
    /// Whether the page is the last `size` rows of the window (`last`), not the first.
    pub backward: bool,
}

impl PageArgs {
    /// Checks the page arguments of the list `list` against the configured limits: `first`
    /// with `after` pages forwards, `last` with `before` backwards (both cursors may be given,
    /// to page within a window); `first` and `last` together are refused.
    pub fn new(
        limits: &Limits,
        list: impl Into<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Self> {
        let list = list.into();
        if first.is_some() && last.is_some() {
            return Err(AppError::bad_input(
                "last",
                "ask for `first` (paging forwards, with `after`) or `last` (backwards, with `before`), not both",
            ));
        }
        let (field, size) = match last {
            Some(_) => ("last", last),
            None => ("first", first),
        };
        let size = validate::page_size(field, size, DEFAULT_PAGE_SIZE, limits.max_page_size)?;
        let after = after
            .map(|raw| Cursor::decode("after", &list, &raw))
            .transpose()?;
        let before = before
            .map(|raw| Cursor::decode("before", &list, &raw))
            .transpose()?;
        Ok(PageArgs {
            list,
            size,
            after,
            before,
            backward: last.is_some(),
        })
    }

    /// Whether this is a list's first page: no cursor, read forwards.
    pub fn is_first(&self) -> bool {
        self.after.is_none() && self.before.is_none() && !self.backward
    }

    /// The number of rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.size as u64 + 1
    }

    /// The order to fetch rows in: the list's own, or its reverse for a page read backwards.
    fn fetch_sort(&self, sort: Sort) -> Sort {
        if self.backward { sort.reversed() } else { sort }
    }

    /// Narrows, orders and limits a query of a list sorted by `key` (when it has one), then
    /// `id`, both in `sort`: the rows between the page's cursors, the first or last `size` of
    /// them (and one more). `key_value` reads a cursor's key (of the argument it names) as the column's value.
    pub fn keyset<E, C>(
        &self,
        query: sea_orm::Select<E>,
        key: Option<C>,
        id: C,
        sort: Sort,
        key_value: impl Fn(&str, &'static str) -> AppResult<sea_orm::Value>,
    ) -> AppResult<sea_orm::Select<E>>
    where
        E: EntityTrait,
        C: ColumnTrait,
    {
        let mut query = query;
        for (cursor, field, later) in self.bounds() {
            // Rows after the cursor in the list's order are greater when it ascends.
            let greater = later == (sort == Sort::Ascending);
            let beyond = |column: C, value: sea_orm::Value| -> SimpleExpr {
                if greater {
                    column.gt(value)
                } else {
                    column.lt(value)
                }
            };
            let condition = match key {
                Some(key_column) => {
                    let value = key_value(cursor.key(field)?, field)?;
                    Condition::any().add(beyond(key_column, value.clone())).add(
                        Condition::all()
                            .add(key_column.eq(value))
                            .add(beyond(id, cursor.id.into())),
                    )
                }
                None => beyond(id, cursor.id.into()).into_condition(),
            };
            query = query.filter(condition);
        }
        let order = self.fetch_sort(sort).order();
        if let Some(key_column) = key {
            query = query.order_by(key_column, order.clone());
        }
        Ok(query.order_by(id, order).limit(self.fetch()))
    }

    /// As [`PageArgs::keyset`], for hand-written SQL: appends ` AND …` conditions for the
    /// cursors, then ` ORDER BY … LIMIT …`. `key` is the sort key's expression and
    /// `bind_key` binds a cursor's key (of the argument it names) with the column's type.
    pub fn keyset_sql(
        &self,
        sql: &mut Sql,
        key: &str,
        id: &str,
        sort: Sort,
        bind_key: impl Fn(&mut Sql, &str, &'static str) -> AppResult<()>,
    ) -> AppResult<()> {
        for (cursor, field, later) in self.bounds() {
            let greater = later == (sort == Sort::Ascending);
            let cmp = if greater { " > " } else { " < " };
            let value = cursor.key(field)?;
            sql.push(" AND (").push(key).push(cmp);
            bind_key(sql, value, field)?;
            sql.push(" OR (").push(key).push(" = ");
            bind_key(sql, value, field)?;
            sql.push(" AND ")
                .push(id)
                .push(cmp)
                .bind(cursor.id)
                .push("))");
        }
        sql.push(&self.fetch_order(key, id, sort))
            .push(" LIMIT ")
            .bind(self.fetch() as i64);
        Ok(())
    }

    /// ` ORDER BY …` of the rows [`PageArgs::keyset_sql`] fetches, by `key` then `id`: for an
    /// outer query that must keep their order.
    pub fn fetch_order(&self, key: &str, id: &str, sort: Sort) -> String {
        let order = self.fetch_sort(sort).sql();
        format!(" ORDER BY {key} {order}, {id} {order}")
    }

    /// Each cursor with its argument's name and whether the page lies after it.
    fn bounds(&self) -> impl Iterator<Item = (&Cursor, &'static str, bool)> {
        self.after
            .iter()
            .map(|c| (c, "after", true))
            .chain(self.before.iter().map(|c| (c, "before", false)))
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
    /// Builds a page from up to `page.fetch()` rows, fetched in the order
    /// [`PageArgs::keyset`] gives them.
    pub fn from_rows<R>(
        page: &PageArgs,
        mut rows: Vec<R>,
        total: TotalCount,
        cursor: impl Fn(&R) -> Cursor,
        item: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() > page.size;
        rows.truncate(page.size);
        if page.backward {
            rows.reverse();
        }
        Paged {
            items: rows
                .into_iter()
                .map(|r| {
                    let mut c = cursor(&r);
                    c.list.clone_from(&page.list);
                    (c, item(r))
                })
                .collect(),
            // Paging backwards, the row at `before` follows the page; forwards, the one at
            // `after` precedes it.
            has_next_page: if page.backward {
                page.before.is_some()
            } else {
                more
            },
            has_previous_page: if page.backward {
                more
            } else {
                page.after.is_some()
            },
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

    fn page(
        list: &str,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<PageArgs> {
        PageArgs::new(&Limits::default(), list, first, after, last, before)
    }

    #[test]
    fn a_cursor_round_trips_within_its_list() {
        let mut c = Cursor::keyed("Essex County Fire & Rescue", Uuid::now_v7());
        c.list = "organisations".to_owned();
        assert_eq!(
            Cursor::decode("after", "organisations", &c.encode()).unwrap(),
            c
        );
    }

    #[test]
    fn a_cursor_of_another_list_is_refused() {
        let mut c = Cursor::by_id(Uuid::now_v7());
        c.list = "reviews".to_owned();
        let err = page("frameworks", None, Some(c.encode()), None, None).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "after"));
        let err = page("frameworks", None, None, Some(5), Some(c.encode())).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "before"));
    }

    #[test]
    fn a_forged_cursor_is_bad_input() {
        for raw in ["", "!!!", "eyJmb28iOjF9", &"A".repeat(5000)] {
            let err = Cursor::decode("after", "reviews", raw).unwrap_err();
            assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "after"));
        }
    }

    #[test]
    fn first_and_last_together_are_refused_and_each_is_bounded() {
        assert!(page("x", Some(2), None, Some(2), None).is_err());
        let err = page("x", None, None, Some(101), None).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "last"));
        assert_eq!(page("x", None, None, Some(100), None).unwrap().size, 100);
        assert!(page("x", None, None, Some(0), None).is_err());
    }

    #[test]
    fn a_backward_page_comes_in_the_lists_order() {
        let mut before = Cursor::by_id(Uuid::from_u128(10));
        before.list = "x".to_owned();
        let args = page("x", None, None, Some(2), Some(before.encode())).unwrap();
        // Fetched in reverse: 9, 8, 7 (one more than the page).
        let rows = vec![9u128, 8, 7];
        let paged = Paged::from_rows(
            &args,
            rows,
            TotalCount::known(10),
            |r| Cursor::by_id(Uuid::from_u128(*r)),
            |r| r,
        );
        let items: Vec<u128> = paged.items.iter().map(|(_, r)| *r).collect();
        assert_eq!(items, vec![8, 9]);
        assert!(paged.has_previous_page && paged.has_next_page);
    }
}
