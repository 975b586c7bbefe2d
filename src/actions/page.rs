//! A page of actions with the recommendation and the review each answers, read in the page's
//! own statement.
//!
//! A dashboard lists its most overdue actions with the recommendation and the review of each.
//! Read apart, those were two more statements after the page's, one per table, with the
//! page's ids in a list. Here each row of the page is joined to its recommendation and its
//! review (a probe of each primary key), under the same scope as the page: what the caller
//! reads in detail, as the entities' own reads (`Scoped::readable`) ask.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DbErr, FromQueryResult, Iterable, QueryResult};
use uuid::Uuid;

use super::Action;
use super::asof::{self, Filter};
use super::service::Order;
use crate::access::{Access, Purpose};
use crate::entity::{recommendation, review};
use crate::error::AppResult;
use crate::history::AsAt;
use crate::pagination::{PageArgs, Paged};
use crate::reviews::{Recommendation, Review};
use crate::sql::Sql;

/// What a page reads beside its actions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Beside {
    /// The recommendation each action answers.
    pub recommendation: bool,
    /// The review each action belongs to.
    pub review: bool,
}

impl Beside {
    /// Whether it reads anything beside.
    pub fn any(self) -> bool {
        self.recommendation || self.review
    }
}

/// A page of actions and what was read beside them: for each asked, the records found, by id.
pub struct PageBeside {
    pub actions: Paged<Action>,
    pub recommendations: Option<HashMap<Uuid, Recommendation>>,
    pub reviews: Option<HashMap<Uuid, Review>>,
}

/// The prefixes of the joined tables' columns: they sit beside the action's own.
const RECOMMENDATION: &str = "r_";
const REVIEW: &str = "v_";

/// Appends each column of `columns`, of the table named `alias`, as `<prefix><column>`.
fn push_columns<C: ColumnTrait + Iterable>(sql: &mut Sql, alias: &str, prefix: &str) {
    for column in C::iter() {
        let name = column.as_str();
        sql.push(&format!(", {alias}.{name} AS {prefix}{name}"));
    }
}

/// A row of the page: the action, and the records beside it when asked and found.
struct Row {
    action: asof::Row,
    recommendation: Option<recommendation::Model>,
    review: Option<review::Model>,
}

/// The model whose columns carry `prefix`, if the row has them and they are not null (a
/// left join that found nothing).
fn joined<M: FromQueryResult>(res: &QueryResult, prefix: &str) -> Result<Option<M>, DbErr> {
    match res.try_get::<Option<Uuid>>(prefix, "id") {
        Ok(Some(_)) => M::from_query_result(res, prefix).map(Some),
        _ => Ok(None),
    }
}

impl FromQueryResult for Row {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Row {
            action: asof::Row::from_query_result(res, pre)?,
            recommendation: joined(res, RECOMMENDATION)?,
            review: joined(res, REVIEW)?,
        })
    }
}

/// The page of actions the caller may read that `filter` and `page` ask, as they stood at
/// `day`, with what `beside` asks read in the same statement.
#[tracing::instrument(skip_all, fields(org = %access.org_id()))]
pub async fn list(
    access: &Access,
    filter: Filter,
    day: AsAt,
    order: Order,
    page: PageArgs,
    beside: Beside,
) -> AppResult<PageBeside> {
    let scope = access.orgs(Purpose::Detail);
    let base = asof::projection(&scope, &filter, day);
    let total = crate::access::scope::total_of_sql(access, base.clone());
    let mut paged = base;
    order.keyset(&mut paged, "p", &page)?;
    if !beside.any() {
        let actions = asof::fetch(access.db(), &paged, day).await?;
        return Ok(PageBeside {
            actions: Paged::from_rows(&page, actions, total, |a| order.cursor(a), |a| a),
            recommendations: None,
            reviews: None,
        });
    }

    let mut sql = Sql::new("SELECT w.*");
    if beside.recommendation {
        push_columns::<recommendation::Column>(&mut sql, "r", RECOMMENDATION);
    }
    if beside.review {
        push_columns::<review::Column>(&mut sql, "v", REVIEW);
    }
    sql.push(" FROM (").append(&paged).push(") w");
    if beside.recommendation {
        sql.push(" LEFT JOIN recommendations r ON r.id = w.recommendation_id AND ");
        scope.push_condition(&mut sql, "r.org_id");
    }
    if beside.review {
        sql.push(" LEFT JOIN reviews v ON v.id = w.review_id AND ");
        scope.push_condition(&mut sql, "v.org_id");
    }
    // The joins may reorder the rows: they are put back in the order the page fetched them.
    sql.push(&order.fetch_order("w", &page));

    let rows: Vec<Row> = crate::access::scope::rows(access, &sql).await?;
    let mut recommendations = beside.recommendation.then(HashMap::new);
    let mut reviews = beside.review.then(HashMap::new);
    let mut actions = Vec::with_capacity(rows.len());
    for row in rows {
        if let (Some(found), Some(model)) = (recommendations.as_mut(), row.recommendation) {
            found.insert(model.id, Recommendation::from(model));
        }
        if let (Some(found), Some(model)) = (reviews.as_mut(), row.review) {
            found.insert(model.id, Review::from(model));
        }
        actions.push(row.action.into_action(day));
    }
    Ok(PageBeside {
        actions: Paged::from_rows(&page, actions, total, |a| order.cursor(a), |a| a),
        recommendations,
        reviews,
    })
}
