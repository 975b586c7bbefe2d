//! The API of imports: `importActionPlan` and `importAssessment` (files sent with the GraphQL
//! multipart request spec), and `imports`, the organisation's past runs.

use async_graphql::{Context, ID, InputObject, Object, Result, Upload};
use chrono::{DateTime, Utc};

use super::service::{self, Destination, PastImport, Reading, Report};
use super::{Column, Counts, Field, Kind, Mapping, Outcome, Problem};
use crate::dates::Date;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::ids::{ImportId, ReviewId};
use crate::pagination::{CountedConnection, PageArgs, connection_complexity};
use crate::reviews::Review;
use crate::reviews::mutations::CreateReviewInput;
use crate::users::User;

/// A column named by its header (or its letter), read as a field.
#[derive(InputObject)]
pub struct ColumnMappingInput {
    /// The column's header as the file writes it ("Lead Officer"), or its letter ("C").
    pub column: String,
    /// What it holds; `IGNORED` to leave it out.
    pub field: Field,
}

/// An action plan to import.
#[derive(InputObject)]
pub struct ImportActionPlanInput {
    /// The file: `.xlsx`, `.xlsm`, `.xls`, `.ods` or `.csv`, under 5 MB.
    pub file: Upload,
    /// A review of the caller's organisation to import into.
    pub review_id: Option<ID>,
    /// Or a review to create with the plan (on a real run).
    pub new_review: Option<CreateReviewInput>,
    /// The sheet to read; the visible sheet whose header is best recognised when absent.
    pub sheet: Option<String>,
    /// Columns to read as given, overriding what their headers' words say.
    pub mapping: Option<Vec<ColumnMappingInput>>,
    /// The day the file's statuses describe (a status takes effect then, unless the file
    /// gives a completion date); today when absent.
    pub as_at: Option<Date>,
    /// Check only (the default): report what would happen, write nothing.
    #[graphql(default = true)]
    pub dry_run: bool,
}

/// A self-assessment to import.
#[derive(InputObject)]
pub struct ImportAssessmentInput {
    /// The file: a sheet of standards (code or title), levels (label or code), position
    /// statements and evidence links; the template of `/templates/assessment/{frameworkId}.xlsx`.
    pub file: Upload,
    /// A draft assessment of the caller's organisation.
    pub assessment_id: ID,
    /// The sheet to read; the visible sheet whose header is best recognised when absent.
    pub sheet: Option<String>,
    /// Columns to read as given, overriding what their headers' words say.
    pub mapping: Option<Vec<ColumnMappingInput>>,
    /// Check only (the default): report what would happen, write nothing.
    #[graphql(default = true)]
    pub dry_run: bool,
}

/// What an import found and did (or, on a dry run, would do).
#[Object]
impl Report {
    /// The import's id: its audit events carry it.
    async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// What it imports.
    async fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether it only checked.
    async fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Whether it wrote what it found: a real run without errors. A real run with errors writes
    /// nothing.
    async fn committed(&self) -> bool {
        self.committed
    }

    /// The file's name.
    async fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Its size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.size_bytes
    }

    /// Its SHA-256, in hex.
    async fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The sheet read ("CSV" for a CSV file).
    async fn sheet(&self) -> &str {
        &self.sheet
    }

    /// The header's row, as the spreadsheet numbers it.
    async fn header_row(&self) -> i32 {
        self.header_row
    }

    /// The header's columns, and what each was read as.
    async fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Rows read under the header (blank rows aside).
    async fn rows_read(&self) -> i32 {
        self.rows_read
    }

    /// What was (or would be) created.
    async fn created(&self) -> Counts {
        self.created
    }

    /// What was (or would be) changed.
    async fn updated(&self) -> Counts {
        self.updated
    }

    /// What the file matched and left as it was.
    async fn unchanged(&self) -> Counts {
        self.unchanged
    }

    /// What stops the import: with any, a real run writes nothing.
    async fn errors(&self) -> &[Problem] {
        &self.errors
    }

    /// What the import reads, but worth a look (a note after a date, a RAG the dates
    /// contradict).
    async fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Actions changed in the service since the last import, which the file would change
    /// too: left as the service has them.
    async fn conflicts(&self) -> &[Problem] {
        &self.conflicts
    }

    /// The assessment imported into, for a self-assessment.
    async fn assessment(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::assessments::Assessment>> {
        match (self.kind, self.target) {
            (Kind::Assessment, Some(id)) => ctx.loaders()?.assessments.load_one(id).await,
            _ => Ok(None),
        }
    }

    /// The review imported into (none for a dry run into a new review).
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        match (self.kind, self.target) {
            (Kind::ActionPlan, Some(id)) => ctx.loaders()?.reviews.load_one(id).await,
            _ => Ok(None),
        }
    }
}

/// A past import (or dry run) of the caller's organisation.
#[Object(name = "Import")]
impl PastImport {
    /// Opaque id; the audit events of the changes it made carry it.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// What it imported.
    async fn kind(&self) -> Kind {
        self.row.kind
    }

    /// The file's name.
    async fn file_name(&self) -> &str {
        &self.row.file_name
    }

    /// Its size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.row.size_bytes
    }

    /// Its SHA-256, in hex.
    async fn sha256(&self) -> &str {
        &self.row.sha256
    }

    /// Whether it only checked.
    async fn dry_run(&self) -> bool {
        self.row.dry_run
    }

    /// How it ended: checked (a dry run), imported, or refused (a real run that found errors
    /// and wrote nothing).
    async fn outcome(&self) -> Outcome {
        self.row.outcome
    }

    /// Rows read.
    async fn rows_read(&self) -> i32 {
        self.row.rows_read
    }

    /// Records created (or that would have been).
    async fn created(&self) -> i32 {
        self.row.created
    }

    /// Records changed (or that would have been).
    async fn updated(&self) -> i32 {
        self.row.updated
    }

    /// Records the file matched and left alone.
    async fn unchanged(&self) -> i32 {
        self.row.unchanged
    }

    /// Conflicts found.
    async fn conflicts(&self) -> i32 {
        self.row.conflicts
    }

    /// Errors found.
    async fn errors(&self) -> i32 {
        self.row.errors
    }

    /// Warnings given.
    async fn warnings(&self) -> i32 {
        self.row.warnings
    }

    /// The review or assessment imported into.
    async fn target_id(&self) -> Option<ID> {
        let id = self.row.target_id?;
        Some(match self.row.kind {
            Kind::ActionPlan => ReviewId(id).to_gql(),
            Kind::Assessment => crate::ids::AssessmentId(id).to_gql(),
        })
    }

    /// Who ran it.
    async fn imported_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.row.imported_by {
            Some(id) => ctx.loaders()?.users.load_one(id).await,
            None => Ok(None),
        }
    }

    /// When.
    async fn imported_at(&self) -> DateTime<Utc> {
        self.row.imported_at
    }
}

/// Reads an upload into memory, refusing one of 5 MB or more before it is all read.
pub(crate) fn upload(ctx: &Context<'_>, file: &Upload) -> Result<service::Upload> {
    use std::io::Read;
    let value = file
        .value(ctx)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("reading an upload")))?;
    let name = value.filename.clone();
    let mut bytes = Vec::new();
    let limit = super::LIMITS.max_file_bytes as u64;
    value
        .into_read()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("reading an upload")))?;
    if bytes.len() as u64 >= limit {
        return Err(AppError::from(super::FileProblem::TooLarge(format!(
            "the file is {limit} bytes or more; files must be smaller than {limit} bytes (5 MB)"
        )))
        .into());
    }
    Ok(service::Upload { name, bytes })
}

pub(crate) fn mapping(list: Option<Vec<ColumnMappingInput>>) -> Result<Vec<Mapping>> {
    let list = list.unwrap_or_default();
    if list.len() > super::LIMITS.max_columns {
        return Err(AppError::bad_input("input.mapping", "map at most 50 columns").into());
    }
    Ok(list
        .into_iter()
        .map(|m| Mapping {
            column: m.column.chars().take(200).collect(),
            field: m.field,
        })
        .collect())
}

/// Queries about imports.
#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// The caller's organisation's imports and dry runs, newest first. Managers only.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn imports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last import of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backwards.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first import of the next page.")] before: Option<String>,
    ) -> Result<CountedConnection<PastImport>> {
        let page = PageArgs::new(ctx.limits(), "imports", first, after, last, before)?;
        Ok(service::list(ctx.access()?, page).await?.into())
    }

    /// One import of the caller's organisation; `NOT_FOUND` for any other.
    async fn import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The import's id.")] id: ID,
    ) -> Result<Option<PastImport>> {
        let id = ImportId::parse("id", &id)?;
        Ok(Some(service::get(ctx.access()?, id).await?))
    }
}

/// Spreadsheets in.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports an action plan from a spreadsheet into a review (`reviewId`) or a new one
    /// (`newReview`). Checks only unless `dryRun: false`; a real run writes everything or,
    /// with any error, nothing. Managers only.
    async fn import_action_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and how to read it.")] input: ImportActionPlanInput,
    ) -> Result<Report> {
        let access = ctx.access()?;
        let destination = match (&input.review_id, &input.new_review) {
            (Some(id), None) => Destination::Review(ReviewId::parse("input.reviewId", id)?),
            (None, Some(new)) => Destination::NewReview(Box::new(new.checked()?)),
            _ => {
                return Err(AppError::bad_input(
                    "input.reviewId",
                    "give one of reviewId and newReview",
                )
                .into());
            }
        };
        let file = upload(ctx, &input.file)?;
        let reading = Reading {
            sheet: input.sheet,
            mapping: mapping(input.mapping)?,
        };
        Ok(service::action_plan(
            access,
            file,
            destination,
            reading,
            input.as_at.map(|d| d.0),
            input.dry_run,
        )
        .await?)
    }

    /// Imports a self-assessment from a spreadsheet into a draft assessment: each row's
    /// standard rated at its level with its position statement, its evidence links attached.
    /// Checks only unless `dryRun: false`; a real run writes everything or, with any error,
    /// nothing. Managers only.
    async fn import_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and how to read it.")] input: ImportAssessmentInput,
    ) -> Result<Report> {
        let access = ctx.access()?;
        let id = crate::ids::AssessmentId::parse("input.assessmentId", &input.assessment_id)?;
        let file = upload(ctx, &input.file)?;
        let reading = Reading {
            sheet: input.sheet,
            mapping: mapping(input.mapping)?,
        };
        Ok(super::assessment::import(access, id, file, reading, input.dry_run).await?)
    }
}
