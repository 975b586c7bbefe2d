//! Running an import and listing past ones.
//!
//! An import is checked whole before anything is written: a real run (`dry_run: false`) with
//! any error writes nothing but its own record (outcome `REFUSED`), and one without writes
//! everything in one savepoint with its audit events, or nothing. Every run, dry or real, is
//! recorded, so that an organisation can see who brought what in, and when.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};
use tracing::instrument;
use uuid::Uuid;

use super::columns::{self, Column, Mapping};
use super::plan::{self, State};
use super::{Counts, Kind, LIMITS, Outcome, Problem, Problems, plan_rows, read};
use crate::access::Access;
use crate::access::scope;
use crate::audit::Author;
use crate::auth::Role;
use crate::dates::london_today;
use crate::entity::import;
use crate::error::{AppError, AppResult};
use crate::ids::{ImportId, OrgId, ReviewId, UserId};
use crate::pagination::{Cursor, PageArgs, Paged, Sort, no_key};
use crate::reviews::service::{self as reviews, NewReview};

/// An uploaded file.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An upload, read: what the report says of the file, and its sheet and header.
pub(crate) struct Opened {
    /// The file's name, without a path.
    pub name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub sheet: read::Sheet,
    pub header: columns::Header,
}

/// How to read the file.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// The sheet to read; the best-recognised visible one when absent.
    pub sheet: Option<String>,
    pub mapping: Vec<Mapping>,
}

/// Where an action plan goes.
#[derive(Clone, Debug)]
pub enum Destination {
    /// An existing review of the caller's organisation.
    Review(ReviewId),
    /// A review created by the import (on a real run).
    NewReview(Box<NewReview>),
}

/// What an import found and did.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: ImportId,
    pub kind: Kind,
    pub dry_run: bool,
    /// Whether it wrote what it found: a real run without errors.
    pub committed: bool,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub sheet: String,
    pub header_row: i32,
    pub columns: Vec<Column>,
    pub rows_read: i32,
    pub created: Counts,
    pub updated: Counts,
    pub unchanged: Counts,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub conflicts: Vec<Problem>,
    /// The review (or assessment) imported into; none for a dry run into a new review.
    pub target: Option<Uuid>,
}

/// The file hashed and read (its sheet, header and rows), off the async workers: a workbook
/// of 5 MB takes a while to hash, inflate and parse.
pub(crate) async fn open(kind: Kind, upload: Upload, reading: Reading) -> AppResult<Opened> {
    tokio::task::spawn_blocking(move || {
        let name = check_name(&upload.name);
        let mut sheets = read::sheets(&name, &upload.bytes, &LIMITS)?;
        let (index, header) =
            columns::choose(kind, &sheets, reading.sheet.as_deref(), &reading.mapping)?;
        Ok(Opened {
            size_bytes: upload.bytes.len() as i64,
            sha256: plan::hex(&Sha256::digest(&upload.bytes)),
            name,
            sheet: sheets.swap_remove(index),
            header,
        })
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("reading an upload")))?
}

/// The file name an upload carries, without a path, at most 255 characters.
fn check_name(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if name.is_empty() {
        return "upload".to_owned();
    }
    name.chars().take(255).collect()
}

/// Imports an action plan into a review of the caller's organisation. Managers only.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn action_plan(
    access: &Access,
    upload: Upload,
    destination: Destination,
    reading: Reading,
    as_at: Option<NaiveDate>,
    dry_run: bool,
) -> AppResult<Report> {
    let today = london_today();
    let existing = match &destination {
        Destination::Review(id) => Some(reviews::get_own(access, *id).await?),
        Destination::NewReview(_) => None,
    };
    access.require_role(&[Role::Manager], "import action plans")?;
    let as_at = as_at.unwrap_or(today);
    crate::validate::not_after("input.asAt", as_at, today)?;
    let Opened {
        name,
        size_bytes,
        sha256,
        sheet,
        header,
    } = open(Kind::ActionPlan, upload, reading).await?;

    let mut problems = Problems::default();
    let file = plan_rows::read(&sheet, &header, as_at, &mut problems);
    let org = access.org_id();
    let held = match &existing {
        Some(review) => plan::held(access.db(), org, review.id.0).await?,
        None => plan::Review {
            recommendations: Vec::new(),
            actions: Vec::new(),
        },
    };
    let previous = match &existing {
        Some(review) => previous_state(access.db(), org, review.id.0).await?,
        None => State::default(),
    };
    let plan = plan::plan(&file, &held, &previous, as_at, today, &mut problems);

    let id = ImportId::new();
    let committed = !dry_run && problems.errors.is_empty();
    let mut report = Report {
        id,
        kind: Kind::ActionPlan,
        dry_run,
        committed,
        size_bytes,
        sha256,
        file_name: name.clone(),
        sheet: sheet.name.clone(),
        header_row: header.row as i32,
        columns: header.columns.clone(),
        rows_read: file.rows_read as i32,
        created: plan.created,
        updated: plan.updated,
        unchanged: plan.unchanged,
        errors: problems.errors,
        warnings: problems.warnings,
        conflicts: problems.conflicts,
        target: existing.as_ref().map(|r| r.id.0),
    };
    let txn = access.begin_write().await?;
    if committed {
        let review = match (&existing, destination) {
            (Some(review), _) => review.clone(),
            (None, Destination::NewReview(new)) => reviews::create(access, *new).await?,
            (None, Destination::Review(_)) => unreachable!("an existing review was read"),
        };
        report.target = Some(review.id.0);
        let target = super::write::Target {
            org,
            review: review.id.0,
            reported_on: review.reported_on.filter(|d| *d <= today),
            user: Some(access.actor().user_id),
            author: Author::from(access),
            import: id.0,
            file_name: name,
            as_at,
            today,
        };
        super::write::write(&txn, &target, &plan).await?;
    }
    record(
        &txn,
        access.org_id(),
        Some(access.actor().user_id),
        &report,
        committed.then_some(&plan.state),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// What the last real import into `target` remembered.
pub(crate) async fn previous_state(
    db: &impl ConnectionTrait,
    org: OrgId,
    target: Uuid,
) -> AppResult<State> {
    let last = scope::owned_rows::<import::Entity>(org)
        .filter(import::Column::TargetId.eq(target))
        .filter(import::Column::Outcome.eq(Outcome::Imported))
        .order_by_desc(import::Column::Id)
        .one(db)
        .await?;
    Ok(last
        .and_then(|i| i.state)
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default())
}

/// Records an import.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    org: OrgId,
    user: Option<UserId>,
    report: &Report,
    state: Option<&State>,
) -> AppResult<()> {
    let outcome = match (report.dry_run, report.committed) {
        (true, _) => Outcome::Checked,
        (false, true) => Outcome::Imported,
        (false, false) => Outcome::Refused,
    };
    let state = state
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("an import's state")))?;
    scope::insert_owned(
        org,
        import::ActiveModel {
            id: Set(report.id.0),
            org_id: Set(org.0),
            kind: Set(report.kind),
            target_id: Set(report.target),
            file_name: Set(report.file_name.clone()),
            size_bytes: Set(report.size_bytes),
            sha256: Set(report.sha256.clone()),
            dry_run: Set(report.dry_run),
            outcome: Set(outcome),
            rows_read: Set(report.rows_read),
            created: Set(report.created.total()),
            updated: Set(report.updated.total()),
            unchanged: Set(report.unchanged.total()),
            conflicts: Set(report.conflicts.len() as i32),
            errors: Set(report.errors.len() as i32),
            warnings: Set(report.warnings.len() as i32),
            state: Set(state),
            imported_by: Set(user.map(|u| u.0)),
            imported_at: Set(Utc::now()),
        },
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// A past import, as `imports` lists it.
#[derive(Clone, Debug)]
pub struct PastImport {
    pub id: ImportId,
    pub row: import::Model,
}

/// The caller's organisation's imports, newest first. Managers only.
pub async fn list(access: &Access, page: PageArgs) -> AppResult<Paged<PastImport>> {
    access.require_role(&[Role::Manager], "read the imports")?;
    let query = scope::owned_rows::<import::Entity>(access.org_id());
    let total = crate::access::scope::total_of(access, query.clone());
    let rows = page
        .keyset(query, None, import::Column::Id, Sort::Descending, no_key)?
        .all(access.db())
        .await?;
    Ok(Paged::from_rows(
        &page,
        rows,
        total,
        |m| Cursor::by_id(m.id),
        |m| PastImport {
            id: ImportId(m.id),
            row: m,
        },
    ))
}

/// One import of the caller's organisation.
pub async fn get(access: &Access, id: ImportId) -> AppResult<PastImport> {
    access.require_role(&[Role::Manager], "read the imports")?;
    let row = scope::owned_rows::<import::Entity>(access.org_id())
        .filter(import::Column::Id.eq(id.0))
        .one(access.db())
        .await?
        .ok_or(AppError::NotFound("import"))?;
    Ok(PastImport { id, row })
}
