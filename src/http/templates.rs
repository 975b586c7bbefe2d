//! `GET /templates/…`: blank spreadsheets to fill in and import. The action plan's carry no
//! one's data and need no token; a framework's self-assessment template is read as the
//! bearer token's caller, so a framework the caller may not read answers `404` as a missing
//! one does.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::reports::{ask_as_bearer, refused};
use crate::error::ErrorCode;
use crate::imports::templates::{self, AssessmentTemplate};
use crate::papers::Refusal;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn download(media: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    refused(Refusal {
        code: ErrorCode::NotFound,
        message: format!("{what} not found"),
        field: None,
    })
}

/// `GET /templates/{file}`: `action-plan.xlsx` or `action-plan.csv`.
pub(super) async fn action_plan(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "action-plan.xlsx" => match templates::action_plan_xlsx() {
            Ok(bytes) => download(XLSX, "action-plan-template.xlsx", bytes),
            Err(err) => refused(Refusal::internal(err)),
        },
        "action-plan.csv" => download(
            "text/csv; charset=utf-8",
            "action-plan-template.csv",
            templates::action_plan_csv(),
        ),
        _ => not_found("template"),
    }
}

const FRAMEWORK: &str = "query($id: ID!) { framework(id: $id) { code name version
  standards { code title } levels { code label } } }";

/// `GET /templates/assessment/{frameworkId}.xlsx`.
pub(super) async fn assessment(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = file.strip_suffix(".xlsx") else {
        return not_found("template");
    };
    if crate::ids::FrameworkId::parse("frameworkId", id).is_err() {
        return not_found("framework");
    }
    let answer = match ask_as_bearer(&state, &headers, FRAMEWORK, json!({ "id": id })).await {
        Ok(answer) => answer,
        Err(refusal) => return refused(refusal),
    };
    let f = &answer["framework"];
    let pairs = |list: &serde_json::Value, a: &str, b: &str| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                (
                    x[a].as_str().unwrap_or("").to_owned(),
                    x[b].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let template = AssessmentTemplate {
        framework: format!(
            "{} {} (version {})",
            f["code"].as_str().unwrap_or(""),
            f["name"].as_str().unwrap_or(""),
            f["version"]
        ),
        standards: pairs(&f["standards"], "code", "title"),
        levels: pairs(&f["levels"], "code", "label"),
    };
    let name = format!(
        "self-assessment-{}-v{}.xlsx",
        f["code"].as_str().unwrap_or("framework").to_lowercase(),
        f["version"]
    );
    match tokio::task::spawn_blocking(move || templates::assessment_xlsx(&template)).await {
        Ok(Ok(bytes)) => download(XLSX, &name, bytes),
        Ok(Err(err)) => refused(Refusal::internal(err)),
        Err(err) => refused(Refusal::internal(err)),
    }
}
