//! Bulk writing: rows are buffered per table and written in foreign-key order, with `COPY` on
//! Postgres and multi-row `INSERT`s on SQLite, all in one transaction.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sqlx::{Postgres, Transaction};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, TransactionTrait, Value};
use uuid::Uuid;

use resilience_hub::db::Database;
use resilience_hub::sql::Sql;

/// One value of a row.
#[derive(Clone, Debug)]
pub(super) enum Cell {
    Null,
    Uuid(Uuid),
    Text(String),
    Static(&'static str),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl From<Uuid> for Cell {
    fn from(v: Uuid) -> Self {
        Cell::Uuid(v)
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}
impl From<&'static str> for Cell {
    fn from(v: &'static str) -> Self {
        Cell::Static(v)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<i32> for Cell {
    fn from(v: i32) -> Self {
        Cell::Int(v.into())
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<NaiveDate> for Cell {
    fn from(v: NaiveDate) -> Self {
        Cell::Date(v)
    }
}
impl From<DateTime<Utc>> for Cell {
    fn from(v: DateTime<Utc>) -> Self {
        Cell::Time(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

impl Cell {
    /// Appends the value in `COPY`'s text format.
    fn copy_text(&self, out: &mut String) {
        match self {
            Cell::Null => out.push_str("\\N"),
            Cell::Uuid(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Text(v) => escape(v, out),
            Cell::Static(v) => escape(v, out),
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Bool(v) => out.push(if *v { 't' } else { 'f' }),
            Cell::Date(v) => {
                let _ = write!(out, "{}", v.format("%Y-%m-%d"));
            }
            Cell::Time(v) => {
                let _ = write!(out, "{}", v.format("%Y-%m-%d %H:%M:%S%.6f+00"));
            }
        }
    }

    /// The value to bind, typed as the entities bind it (so SQLite stores the same bytes).
    fn value(&self) -> Value {
        match self {
            Cell::Null => Value::String(None),
            Cell::Uuid(v) => Value::Uuid(Some(*v)),
            Cell::Text(v) => Value::String(Some(v.clone())),
            Cell::Static(v) => Value::String(Some((*v).to_owned())),
            Cell::Int(v) => Value::BigInt(Some(*v)),
            Cell::Bool(v) => Value::Bool(Some(*v)),
            Cell::Date(v) => Value::ChronoDate(Some(*v)),
            Cell::Time(v) => Value::ChronoDateTimeUtc(Some(*v)),
        }
    }
}

/// Escapes text for `COPY … FROM STDIN` (text format).
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The tables the generator writes, in an order that satisfies every foreign key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Table {
    Organisations,
    SharingSettings,
    PanelMemberships,
    Users,
    OrgUsers,
    Frameworks,
    Standards,
    RatingLevels,
    Reviews,
    ReviewJudgements,
    Recommendations,
    RecommendationStatusChanges,
    RecommendationStandards,
    Actions,
    ProgressUpdates,
    ActionStatusChanges,
    DueDateChanges,
    Evidence,
    Assessments,
    Ratings,
    Challenges,
    Moderations,
}

impl Table {
    pub(super) const ALL: [Table; 22] = [
        Table::Organisations,
        Table::SharingSettings,
        Table::PanelMemberships,
        Table::Users,
        Table::OrgUsers,
        Table::Frameworks,
        Table::Standards,
        Table::RatingLevels,
        Table::Reviews,
        Table::ReviewJudgements,
        Table::Recommendations,
        Table::RecommendationStatusChanges,
        Table::RecommendationStandards,
        Table::Actions,
        Table::ProgressUpdates,
        Table::ActionStatusChanges,
        Table::DueDateChanges,
        Table::Evidence,
        Table::Assessments,
        Table::Ratings,
        Table::Challenges,
        Table::Moderations,
    ];

    /// The table's name and the columns the generator fills, in the order rows give them.
    pub(super) fn layout(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Table::Organisations => (
                "organisations",
                &[
                    "id",
                    "slug",
                    "name",
                    "kind",
                    "region",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            Table::SharingSettings => (
                "sharing_settings",
                &[
                    "org_id",
                    "panel_detail",
                    "partners",
                    "version",
                    "updated_at",
                ],
            ),
            Table::PanelMemberships => (
                "panel_memberships",
                &["panel_id", "member_id", "created_at"],
            ),
            Table::Users => (
                "users",
                &[
                    "id",
                    "issuer",
                    "subject",
                    "display_name",
                    "email",
                    "created_at",
                    "last_seen_at",
                ],
            ),
            Table::OrgUsers => ("org_users", &["org_id", "user_id", "first_seen_at"]),
            Table::Frameworks => (
                "frameworks",
                &[
                    "id",
                    "owner_org_id",
                    "code",
                    "name",
                    "description",
                    "version",
                    "status",
                    "predecessor_id",
                    "revision",
                    "created_at",
                    "updated_at",
                    "published_at",
                ],
            ),
            Table::Standards => (
                "standards",
                &[
                    "id",
                    "framework_id",
                    "code",
                    "title",
                    "description",
                    "desired_outcome",
                    "position",
                ],
            ),
            Table::RatingLevels => (
                "rating_levels",
                &["id", "framework_id", "code", "label", "rank"],
            ),
            Table::Reviews => (
                "reviews",
                &[
                    "id",
                    "org_id",
                    "kind",
                    "title",
                    "reviewer",
                    "reviewer_org_id",
                    "commissioned_on",
                    "reported_on",
                    "status",
                    "summary",
                    "source_url",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            Table::ReviewJudgements => (
                "review_judgements",
                &["id", "org_id", "review_id", "position", "area", "grade"],
            ),
            Table::Recommendations => (
                "recommendations",
                &[
                    "id",
                    "org_id",
                    "review_id",
                    "position",
                    "reference",
                    "kind",
                    "text",
                    "status",
                    "target_date",
                    "discharged_on",
                    "discharged_by",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            Table::RecommendationStatusChanges => (
                "recommendation_status_changes",
                &[
                    "id",
                    "org_id",
                    "recommendation_id",
                    "status",
                    "effective_on",
                    "changed_by",
                    "changed_at",
                ],
            ),
            Table::RecommendationStandards => (
                "recommendation_standards",
                &["recommendation_id", "standard_id", "org_id"],
            ),
            Table::Actions => (
                "actions",
                &[
                    "id",
                    "org_id",
                    "review_id",
                    "recommendation_id",
                    "title",
                    "detail",
                    "owner",
                    "owner_user_id",
                    "opened_on",
                    "original_due_on",
                    "due_on",
                    "status",
                    "completed_on",
                    "percent_complete",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            Table::ProgressUpdates => (
                "progress_updates",
                &[
                    "id",
                    "org_id",
                    "action_id",
                    "as_at",
                    "narrative",
                    "new_status",
                    "percent_complete",
                    "author_id",
                    "recorded_at",
                ],
            ),
            Table::ActionStatusChanges => (
                "action_status_changes",
                &[
                    "id",
                    "org_id",
                    "action_id",
                    "status",
                    "effective_on",
                    "progress_update_id",
                    "changed_by",
                    "changed_at",
                ],
            ),
            Table::DueDateChanges => (
                "due_date_changes",
                &[
                    "id",
                    "org_id",
                    "action_id",
                    "previous_due_on",
                    "new_due_on",
                    "reason",
                    "effective_on",
                    "changed_by",
                    "changed_at",
                ],
            ),
            Table::Evidence => (
                "evidence",
                &[
                    "id",
                    "org_id",
                    "action_id",
                    "title",
                    "url",
                    "reference",
                    "added_by",
                    "added_at",
                ],
            ),
            Table::Assessments => (
                "assessments",
                &[
                    "id",
                    "org_id",
                    "framework_id",
                    "cycle",
                    "tier",
                    "status",
                    "submitted_on",
                    "submitted_by",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            Table::Ratings => (
                "ratings",
                &[
                    "id",
                    "org_id",
                    "assessment_id",
                    "standard_id",
                    "level_id",
                    "position_statement",
                    "version",
                    "updated_by",
                    "updated_at",
                ],
            ),
            Table::Challenges => (
                "challenges",
                &[
                    "id",
                    "panel_id",
                    "org_id",
                    "assessment_id",
                    "held_on",
                    "tier",
                    "attendees",
                    "completed",
                    "created_by",
                    "created_at",
                ],
            ),
            Table::Moderations => (
                "moderations",
                &[
                    "id",
                    "panel_id",
                    "org_id",
                    "assessment_id",
                    "challenge_id",
                    "standard_id",
                    "level_id",
                    "outcome",
                    "comment",
                    "created_by",
                    "created_at",
                ],
            ),
        }
    }
}

/// Rows buffered before they are written.
const FLUSH_AT: usize = 50_000;
/// SQLite binds at most 32,766 values per statement.
const SQLITE_MAX_VALUES: usize = 32_000;

/// Where the rows go: one open transaction.
enum Writer {
    Postgres(Box<Transaction<'static, Postgres>>),
    Sqlite(DatabaseTransaction),
}

/// Buffers rows per table and writes them in foreign-key order.
pub(super) struct Sink {
    writer: Writer,
    buffers: Vec<Vec<Cell>>,
    buffered: usize,
    written: Vec<u64>,
}

impl Sink {
    /// Opens the transaction the whole load runs in.
    pub(super) async fn open(db: &Database) -> anyhow::Result<Self> {
        let writer = match db.conn().get_database_backend() {
            DbBackend::Postgres => {
                let txn = db
                    .conn()
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .context("opening the load's transaction")?;
                Writer::Postgres(Box::new(txn))
            }
            _ => Writer::Sqlite(db.conn().begin().await?),
        };
        Ok(Sink {
            writer,
            buffers: vec![Vec::new(); Table::ALL.len()],
            buffered: 0,
            written: vec![0; Table::ALL.len()],
        })
    }

    /// Adds a row to `table`; its cells follow [`Table::layout`].
    pub(super) fn push(&mut self, table: Table, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), table.layout().1.len(), "{table:?}");
        self.buffers[table as usize].extend(row);
        self.buffered += 1;
    }

    /// Whether enough rows wait to be worth a write. Callers flush only between whole
    /// organisations, so that every buffered row's references are buffered or written.
    pub(super) fn full(&self) -> bool {
        self.buffered >= FLUSH_AT
    }

    /// Writes every buffered row, table by table in foreign-key order.
    pub(super) async fn flush(&mut self) -> anyhow::Result<()> {
        for table in Table::ALL {
            let cells = std::mem::take(&mut self.buffers[table as usize]);
            if cells.is_empty() {
                continue;
            }
            let (name, columns) = table.layout();
            let rows = cells.len() / columns.len();
            match &mut self.writer {
                Writer::Postgres(txn) => copy(txn, name, columns, &cells).await?,
                Writer::Sqlite(txn) => insert(txn, name, columns, &cells).await?,
            }
            self.written[table as usize] += rows as u64;
        }
        self.buffered = 0;
        Ok(())
    }

    /// Writes what is left and commits; returns the rows written per table.
    pub(super) async fn commit(mut self) -> anyhow::Result<Vec<(&'static str, u64)>> {
        self.flush().await?;
        match self.writer {
            Writer::Postgres(txn) => txn.commit().await?,
            Writer::Sqlite(txn) => txn.commit().await?,
        }
        Ok(Table::ALL
            .iter()
            .map(|t| (t.layout().0, self.written[*t as usize]))
            .collect())
    }
}

/// Streams rows into Postgres with `COPY … FROM STDIN`.
async fn copy(
    txn: &mut Transaction<'static, Postgres>,
    table: &str,
    columns: &[&str],
    cells: &[Cell],
) -> anyhow::Result<()> {
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = txn
        .copy_in_raw(&statement)
        .await
        .with_context(|| format!("starting COPY into {table}"))?;
    let mut chunk = String::with_capacity(1 << 20);
    for row in cells.chunks(columns.len()) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                chunk.push('\t');
            }
            cell.copy_text(&mut chunk);
        }
        chunk.push('\n');
        if chunk.len() >= 1 << 20 {
            copy.send(chunk.as_bytes()).await?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        copy.send(chunk.as_bytes()).await?;
    }
    copy.finish()
        .await
        .with_context(|| format!("COPY into {table}"))?;
    Ok(())
}

/// Writes rows into SQLite with as many rows per `INSERT` as its bind limit allows.
async fn insert(
    txn: &DatabaseTransaction,
    table: &str,
    columns: &[&str],
    cells: &[Cell],
) -> anyhow::Result<()> {
    let per_statement = (SQLITE_MAX_VALUES / columns.len()).max(1) * columns.len();
    for batch in cells.chunks(per_statement) {
        let mut sql = Sql::new("INSERT INTO ");
        sql.push(table)
            .push(" (")
            .push(&columns.join(", "))
            .push(") VALUES ");
        for (r, row) in batch.chunks(columns.len()).enumerate() {
            sql.push(if r == 0 { "(" } else { ", (" });
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(cell.value());
            }
            sql.push(")");
        }
        txn.execute_raw(sql.statement(DbBackend::Sqlite))
            .await
            .with_context(|| format!("inserting into {table}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_the_format_reserves() {
        let mut out = String::new();
        Cell::from("a\tb\\c\nd".to_owned()).copy_text(&mut out);
        assert_eq!(out, "a\\tb\\\\c\\nd");
        out.clear();
        Cell::from(None::<String>).copy_text(&mut out);
        assert_eq!(out, "\\N");
    }

    #[test]
    fn every_table_has_a_layout_in_foreign_key_order() {
        let names: Vec<&str> = Table::ALL.iter().map(|t| t.layout().0).collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(at("organisations") < at("reviews"));
        assert!(at("progress_updates") < at("action_status_changes"));
        assert!(at("challenges") < at("moderations"));
        for (i, t) in Table::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
    }
}
