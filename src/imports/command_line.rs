//! `resilience-hub import`: an action plan imported from the command line, for operators
//! onboarding many organisations. It runs the same import as `importActionPlan`, as a manager
//! of the organisation named (a user the service records as the command line), and prints the
//! report as tables.

use std::fmt::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::NaiveDate;

use super::service::{self, Destination, Reading, Report, Upload};
use super::{Counts, Problem};
use crate::access::{Access, resolve_actor};
use crate::auth::identity::{Callers, find_org_by_claim};
use crate::auth::{Role, VerifiedToken};
use crate::db::Database;
use crate::ids::{OrgId, ReviewId};

/// What the command was asked.
pub struct Request {
    /// The organisation's slug or id.
    pub org: String,
    pub review: String,
    pub file: std::path::PathBuf,
    pub sheet: Option<String>,
    pub as_at: Option<NaiveDate>,
    /// Write; otherwise check only.
    pub commit: bool,
}

/// Runs the import and returns its report.
pub async fn run(db: &Database, request: Request) -> anyhow::Result<Report> {
    let org = find_org_by_claim(db.conn(), &request.org)
        .await?
        .with_context(|| format!("no organisation has the id or slug `{}`", request.org))?;
    let review = ReviewId::parse("--review", &request.review)
        .map_err(|e| anyhow::anyhow!("--review: {e}"))?;
    let bytes = std::fs::read(&request.file)
        .with_context(|| format!("reading {}", request.file.display()))?;
    if bytes.len() >= super::MAX_UPLOAD_BYTES {
        bail!(
            "{} is {} bytes; files must be smaller than {} bytes (5 MB)",
            request.file.display(),
            bytes.len(),
            super::MAX_UPLOAD_BYTES
        );
    }
    let name = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let token = VerifiedToken {
        issuer: "resilience-hub command line".to_owned(),
        subject: "import".to_owned(),
        org: OrgId(org.id).to_string(),
        role: Role::Manager,
        name: Some("Command-line import".to_owned()),
        email: None,
        expires_at: i64::MAX,
    };
    let actor = resolve_actor(db, &Callers::default(), &token)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // A dry run writes its own record too.
    let request_db = Arc::new(db.begin_request(true, 0).await?);
    let access = Access::load(actor, request_db.clone(), Default::default()).await?;
    let report = service::action_plan(
        &access,
        Upload { name, bytes },
        Destination::Review(review),
        Reading {
            sheet: request.sheet,
            mapping: Vec::new(),
        },
        request.as_at,
        !request.commit,
    )
    .await;
    drop(access);
    match report {
        Ok(report) => {
            request_db.finish().await?;
            Ok(report)
        }
        Err(err) => {
            request_db.abandon().await;
            Err(anyhow::anyhow!("{} ({})", err, err.code()))
        }
    }
}

/// The report as plain-text tables.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} bytes, sha256 {})",
        if report.committed {
            "Imported"
        } else if report.dry_run {
            "Checked"
        } else {
            "Refused"
        },
        report.file_name,
        report.size_bytes,
        report.sha256
    );
    let _ = writeln!(
        out,
        "Sheet \"{}\", header on row {}, {} rows read; import {}",
        report.sheet,
        report.header_row,
        report.rows_read,
        crate::ids::ImportId(report.id.0)
    );
    out.push('\n');
    let columns: Vec<Vec<String>> = report
        .columns
        .iter()
        .map(|c| {
            vec![
                c.column.clone(),
                c.header.clone(),
                c.field.name(),
                super::columns::schema_name(&format!("{:?}", c.source)),
            ]
        })
        .collect();
    grid(&mut out, &["column", "header", "read as", "how"], &columns);
    out.push('\n');
    let counts = |label: &str, c: &Counts| {
        vec![
            label.to_owned(),
            c.recommendations.to_string(),
            c.actions.to_string(),
            c.progress_updates.to_string(),
            c.due_date_changes.to_string(),
        ]
    };
    grid(
        &mut out,
        &["", "recommendations", "actions", "updates", "date changes"],
        &[
            counts(
                if report.committed {
                    "created"
                } else {
                    "to create"
                },
                &report.created,
            ),
            counts(
                if report.committed {
                    "updated"
                } else {
                    "to update"
                },
                &report.updated,
            ),
            counts("unchanged", &report.unchanged),
        ],
    );
    let problems: Vec<Vec<String>> = [
        ("error", &report.errors),
        ("conflict", &report.conflicts),
        ("warning", &report.warnings),
    ]
    .iter()
    .flat_map(|(kind, list): &(&str, &Vec<Problem>)| {
        list.iter().map(move |p| {
            vec![
                (*kind).to_owned(),
                p.row.map(|r| r.to_string()).unwrap_or_default(),
                p.column.clone().unwrap_or_default(),
                super::columns::schema_name(&format!("{:?}", p.code)),
                p.value.clone().unwrap_or_default(),
                p.message.clone(),
                p.suggestion.clone().unwrap_or_default(),
            ]
        })
    })
    .collect();
    if !problems.is_empty() {
        out.push('\n');
        grid(
            &mut out,
            &["", "row", "col", "code", "value", "message", "suggestion"],
            &problems,
        );
    }
    out
}

/// A table with columns as wide as their widest cell (long cells cut at 60 characters).
fn grid(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let cut = |s: &str| -> String {
        let s = s.replace('\n', " ");
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(59).collect::<String>())
        } else {
            s
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    let _ = writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for row in &rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}
