//! Importing a self-assessment: a sheet of standards (by code or title), each with a level of
//! the framework's scale (by label or code), a position statement and links to evidence, into
//! a draft assessment of the caller's organisation. Checked whole first, then written in one
//! savepoint with an audit event per rating changed, or not at all.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
use serde_json::{Value, json};
use tracing::instrument;
use uuid::Uuid;

use super::columns::{Field, normalise};
use super::plan_rows::RowCells;
use super::service::{Opened, Reading, Report, Upload, open, record};
use super::{Counts, Kind, ProblemCode, Problems, shown};
use crate::access::Access;
use crate::access::scope;
use crate::assessments::ratings::editable;
use crate::assessments::service::get_own;
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::entity::{rating, rating_evidence, rating_level, standard};
use crate::error::AppResult;
use crate::ids::{AssessmentId, ImportId};
use crate::validate::{self, MAX_PROSE};

/// What a row of the sheet asks for one standard.
struct Wanted {
    rating: rating::Model,
    code: String,
    level: Option<(Uuid, String)>,
    statement: Option<String>,
    evidence: Vec<String>,
}

/// Imports a self-assessment into a draft assessment of the caller's organisation. Managers
/// only.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn import(
    access: &Access,
    id: AssessmentId,
    upload: Upload,
    reading: Reading,
    dry_run: bool,
) -> AppResult<Report> {
    let assessment = get_own(access, id).await?;
    access.require_role(&[Role::Manager], "import self-assessments")?;
    editable(&assessment)?;
    let Opened {
        name,
        size_bytes,
        sha256,
        sheet,
        header,
    } = open(Kind::Assessment, upload, reading).await?;
    let org = access.org_id();
    let framework = assessment.framework_id.0;
    let standards = scope::parts_of::<standard::Entity>(framework)
        .all(access.db())
        .await?;
    let mut levels = scope::parts_of::<rating_level::Entity>(framework)
        .all(access.db())
        .await?;
    levels.sort_by_key(|l| l.rank);
    let ratings: HashMap<Uuid, rating::Model> = scope::owned_rows::<rating::Entity>(org)
        .filter(rating::Column::AssessmentId.eq(id.0))
        .all(access.db())
        .await?
        .into_iter()
        .map(|r| (r.standard_id, r))
        .collect();
    let rating_ids: Vec<Uuid> = ratings.values().map(|r| r.id).collect();
    let mut held_evidence: HashSet<(Uuid, String)> = HashSet::new();
    for chunk in rating_ids.chunks(1000) {
        for e in scope::owned_rows::<rating_evidence::Entity>(org)
            .filter(rating_evidence::Column::RatingId.is_in(chunk.iter().copied()))
            .all(access.db())
            .await?
        {
            if let Some(url) = e.url {
                held_evidence.insert((e.rating_id, url));
            }
        }
    }

    let mut problems = Problems::default();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut seen: HashMap<Uuid, u32> = HashMap::new();
    let mut rows_read = 0;
    let level_names = levels
        .iter()
        .map(|l| l.label.clone())
        .collect::<Vec<_>>()
        .join(", ");
    for (index, cells) in sheet.rows.iter().enumerate().skip(header.row) {
        if cells.iter().all(super::read::Cell::is_blank) {
            continue;
        }
        rows_read += 1;
        let row = RowCells {
            row: index as u32 + 1,
            cells,
            header: &header,
        };
        let Some(which) = row
            .text(Field::Standard)
            .or_else(|| row.text(Field::StandardTitle))
        else {
            problems.errors.push(row.problem(
                Field::Standard,
                ProblemCode::MissingValue,
                "the row names no standard".to_owned(),
            ));
            continue;
        };
        let found = standards.iter().find(|s| {
            s.code.trim().eq_ignore_ascii_case(which.trim())
                || normalise(&s.title) == normalise(&which)
        });
        let Some(standard) = found else {
            let mut p = row.problem(
                Field::Standard,
                ProblemCode::UnknownStandard,
                "not a standard of the assessment's framework (by code or title)".to_owned(),
            );
            p.suggestion = standards
                .iter()
                .find(|s| normalise(&s.code).replace(' ', "") == normalise(&which).replace(' ', ""))
                .map(|s| s.code.clone());
            problems.errors.push(p);
            continue;
        };
        if let Some(first) = seen.insert(standard.id, row.row) {
            problems.errors.push(row.problem(
                Field::Standard,
                ProblemCode::DuplicateRow,
                format!("standard {} is rated on row {first} already", standard.code),
            ));
            continue;
        }
        let level = match row.text(Field::Level) {
            None => None,
            Some(word) => match levels.iter().find(|l| {
                normalise(&l.label) == normalise(&word) || l.code.eq_ignore_ascii_case(word.trim())
            }) {
                Some(l) => Some((l.id, l.code.clone())),
                None => {
                    let mut p = row.problem(
                        Field::Level,
                        ProblemCode::UnknownLevel,
                        format!("not a level of the framework's scale: {level_names}"),
                    );
                    p.suggestion = Some(level_names.clone());
                    problems.errors.push(p);
                    continue;
                }
            },
        };
        let statement = match row.text(Field::PositionStatement) {
            Some(text) => match validate::required_prose("positionStatement", &text, MAX_PROSE) {
                Ok(t) => Some(t),
                Err(err) => {
                    problems.errors.push(row.problem(
                        Field::PositionStatement,
                        ProblemCode::TooLong,
                        err.to_string(),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let mut evidence = Vec::new();
        let mut bad = false;
        for link in row
            .text(Field::Evidence)
            .unwrap_or_default()
            .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
            .filter(|l| !l.is_empty())
        {
            match validate::url("evidence", link, crate::validate::MAX_URL) {
                Ok(url) => evidence.push(url),
                Err(_) => {
                    let mut p = row.problem(
                        Field::Evidence,
                        ProblemCode::BadValue,
                        format!("\"{}\" is not a link (http or https)", shown(link)),
                    );
                    p.value = Some(shown(link));
                    problems.errors.push(p);
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        let Some(rating) = ratings.get(&standard.id).cloned() else {
            continue;
        };
        wanted.push(Wanted {
            rating,
            code: standard.code.clone(),
            level,
            statement,
            evidence,
        });
    }

    // What changes.
    let mut created = Counts::default();
    let mut updated = Counts::default();
    let mut unchanged = Counts::default();
    let mut changes = Vec::new();
    let mut new_evidence = Vec::new();
    for w in &wanted {
        let level = w.level.as_ref().map(|(id, _)| *id).or(w.rating.level_id);
        let statement = w
            .statement
            .clone()
            .or_else(|| w.rating.position_statement.clone());
        let fresh: Vec<&String> = w
            .evidence
            .iter()
            .filter(|u| !held_evidence.contains(&(w.rating.id, (*u).clone())))
            .collect();
        created.evidence += fresh.len() as i32;
        for url in fresh {
            new_evidence.push((w.rating.id, url.clone()));
        }
        if level == w.rating.level_id && statement == w.rating.position_statement {
            unchanged.ratings += 1;
        } else {
            updated.ratings += 1;
            changes.push((w, level, statement));
        }
    }

    let committed = !dry_run && problems.errors.is_empty();
    let report = Report {
        id: ImportId::new(),
        kind: Kind::Assessment,
        dry_run,
        committed,
        size_bytes,
        sha256,
        file_name: name,
        sheet: sheet.name.clone(),
        header_row: header.row as i32,
        columns: header.columns.clone(),
        rows_read,
        created,
        updated,
        unchanged,
        errors: problems.errors,
        warnings: problems.warnings,
        conflicts: problems.conflicts,
        target: Some(id.0),
    };
    let txn = access.begin_write().await?;
    if committed {
        let now = Utc::now();
        let user = access.actor().user_id;
        let code_of: HashMap<Uuid, &str> = levels.iter().map(|l| (l.id, l.code.as_str())).collect();
        let mut events: Vec<(Uuid, Value, Value)> = Vec::new();
        for (w, level, statement) in &changes {
            scope::update_owned::<rating::Entity>(org)
                .col_expr(rating::Column::LevelId, Expr::value(*level))
                .col_expr(
                    rating::Column::PositionStatement,
                    Expr::value(statement.clone()),
                )
                .col_expr(
                    rating::Column::Version,
                    Expr::col(rating::Column::Version).add(1),
                )
                .col_expr(rating::Column::UpdatedBy, Expr::value(Some(user.0)))
                .col_expr(rating::Column::UpdatedAt, Expr::value(now))
                .filter(rating::Column::Id.eq(w.rating.id))
                .exec(&txn)
                .await?;
            let image = |level: Option<Uuid>, statement: &Option<String>| {
                json!({
                    "standard": w.code,
                    "level": level.and_then(|l| code_of.get(&l).copied()),
                    "positionStatement": statement,
                })
            };
            events.push((
                w.rating.id,
                image(w.rating.level_id, &w.rating.position_statement),
                image(*level, statement),
            ));
        }
        let rows: Vec<rating_evidence::ActiveModel> = new_evidence
            .iter()
            .map(|(rating_id, url)| rating_evidence::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org.0),
                rating_id: Set(*rating_id),
                title: Set(url.chars().take(200).collect()),
                url: Set(Some(url.clone())),
                reference: Set(None),
                added_by: Set(Some(user.0)),
                added_at: Set(now),
            })
            .collect();
        for chunk in rows.chunks(500) {
            scope::insert_many_owned(org, chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let audited: Vec<Change<'_, Value>> = events
            .iter()
            .map(|(id, before, after)| Change::updated(org, EntityType::Rating, *id, before, after))
            .collect();
        audit::record_all(&txn, Author::from(access), Some(report.id.0), &audited).await?;
    }
    record(&txn, org, Some(access.actor().user_id), &report, None).await?;
    txn.commit().await?;
    Ok(report)
}
