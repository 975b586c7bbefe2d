//! Committee papers out: the action plan of a review, the progress of an organisation, a
//! panel's heat map and a framework's standards progress, as Word, PDF, Excel and CSV files,
//! as at any day and as known at any moment.
//!
//! A paper reads nothing of its own: each report asks the GraphQL schema, as the caller, the
//! same fields a front end would ask ([`Ask`]), so its figures, its sharing and its withheld
//! groups are the API's by construction. The answer becomes a [`paper::Paper`] (and a flat
//! table for CSV), which `render/` writes in the format asked. `link` signs the short-lived
//! download links of `reportLink`.

#[macro_use]
mod changes;
mod action_plan;
pub mod graphql;
mod heat_map;
pub mod link;
pub mod paper;
mod progress;
pub mod render;
mod standards;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::ErrorCode;

pub use link::LinkKey;
pub use paper::Paper;

/// A kind of report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ReportKind")]
pub enum Kind {
    /// A review's action plan: `/reports/reviews/{id}/action-plan.{format}`.
    ActionPlan,
    /// An organisation's progress across its reviews: `/reports/organisations/{id}/progress.{format}`.
    Progress,
    /// A panel's heat map: `/reports/panels/{id}/heat-map.{format}?framework=…&cycle=…`.
    HeatMap,
    /// A framework's standards progress: `/reports/frameworks/{id}/standards-progress.{format}?cycles=…`.
    StandardsProgress,
}

impl Kind {
    /// The collection its path starts with, and the file name before the format.
    pub fn route(self) -> (&'static str, &'static str) {
        match self {
            Kind::ActionPlan => ("reviews", "action-plan"),
            Kind::Progress => ("organisations", "progress"),
            Kind::HeatMap => ("panels", "heat-map"),
            Kind::StandardsProgress => ("frameworks", "standards-progress"),
        }
    }

    /// The kind served at `/reports/{collection}/{id}/{name}.{format}`.
    pub fn of_route(collection: &str, name: &str) -> Option<Kind> {
        [
            Kind::ActionPlan,
            Kind::Progress,
            Kind::HeatMap,
            Kind::StandardsProgress,
        ]
        .into_iter()
        .find(|k| k.route() == (collection, name))
    }

    /// The formats it comes in: the grids have no Word version.
    pub fn formats(self) -> &'static [Format] {
        match self {
            Kind::ActionPlan | Kind::Progress => {
                &[Format::Docx, Format::Pdf, Format::Xlsx, Format::Csv]
            }
            Kind::HeatMap | Kind::StandardsProgress => &[Format::Pdf, Format::Xlsx, Format::Csv],
        }
    }

    /// Whether it takes a "changes since" section.
    fn takes_since(self) -> bool {
        matches!(self, Kind::ActionPlan | Kind::Progress)
    }
}

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ReportFormat")]
pub enum Format {
    /// Word (Office Open XML), to edit and paste into a committee template.
    Docx,
    /// PDF, to print or publish.
    Pdf,
    /// Excel (Office Open XML), one sheet per part.
    Xlsx,
    /// CSV, UTF-8 with a byte-order mark, one row per item with ids.
    Csv,
}

impl Format {
    /// Its file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    /// The format of an extension.
    pub fn of_extension(ext: &str) -> Option<Format> {
        [Format::Docx, Format::Pdf, Format::Xlsx, Format::Csv]
            .into_iter()
            .find(|f| f.extension() == ext)
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Why a report was refused: a code of `errors[].extensions.code`, a message, and the
/// parameter at fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl Refusal {
    /// A parameter the service refuses.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Refusal {
            code: ErrorCode::BadUserInput,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// The object is absent, or the caller may not read it (the two are not told apart).
    pub fn not_found(what: &str) -> Self {
        Refusal {
            code: ErrorCode::NotFound,
            message: format!("{what} not found"),
            field: None,
        }
    }

    /// A bug: the detail is logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "a report failed");
        Refusal {
            code: ErrorCode::InternalServerError,
            message: crate::error::INTERNAL_MESSAGE.to_owned(),
            field: None,
        }
    }
}

/// What a report asks for: which, of what, in which format, and as at when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub kind: Kind,
    /// The review, organisation, panel or framework, by its opaque id.
    pub id: String,
    pub format: Format,
    /// The day; today in the UK when absent.
    pub as_of: Option<NaiveDate>,
    /// The moment; now when absent.
    pub known_at: Option<DateTime<Utc>>,
    /// The start of the "changes since" section, as a day…
    pub since: Option<NaiveDate>,
    /// …or as a committee meeting's id.
    pub since_committee: Option<String>,
    /// The framework of a heat map.
    pub framework: Option<String>,
    /// The cycle of a heat map ("2024-25").
    pub cycle: Option<String>,
    /// The cycles of a standards progress report, oldest first.
    pub cycles: Vec<String>,
}

/// The query parameters a report reads; any other is refused, so that a typo is not a
/// silently different report.
const PARAMETERS: [&str; 8] = [
    "asOf",
    "knownAt",
    "since",
    "sinceCommittee",
    "framework",
    "cycle",
    "cycles",
    "link",
];

impl Params {
    /// The report at `/reports/{collection}/{id}/{file}` with `query`'s parameters (the
    /// `link` parameter is left to the caller).
    pub fn parse(
        collection: &str,
        id: &str,
        file: &str,
        query: &[(String, String)],
    ) -> Result<Params, Refusal> {
        let not_found = || Refusal {
            code: ErrorCode::NotFound,
            message: "no such report: see the README's \"Committee papers\"".to_owned(),
            field: None,
        };
        let (name, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
        let kind = Kind::of_route(collection, name).ok_or_else(not_found)?;
        let format = Format::of_extension(ext)
            .filter(|f| kind.formats().contains(f))
            .ok_or_else(not_found)?;
        let mut params = Params {
            kind,
            id: id.to_owned(),
            format,
            as_of: None,
            known_at: None,
            since: None,
            since_committee: None,
            framework: None,
            cycle: None,
            cycles: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for (key, value) in query {
            if !PARAMETERS.contains(&key.as_str()) {
                return Err(Refusal::bad_input(
                    key,
                    format!(
                        "unknown parameter `{key}`: a report takes {}",
                        PARAMETERS.join(", ")
                    ),
                ));
            }
            if !seen.insert(key.as_str()) {
                return Err(Refusal::bad_input(key, format!("`{key}` is given twice")));
            }
            let value = value.trim();
            match key.as_str() {
                "asOf" => params.as_of = Some(day(key, value)?),
                "since" => params.since = Some(day(key, value)?),
                "knownAt" => {
                    params.known_at = Some(
                        DateTime::parse_from_rfc3339(value)
                            .map_err(|_| {
                                Refusal::bad_input(
                                    key,
                                    "`knownAt` must be a moment, e.g. 2021-11-30T23:59:59Z",
                                )
                            })?
                            .with_timezone(&Utc),
                    )
                }
                "sinceCommittee" => params.since_committee = Some(short(key, value)?),
                "framework" => params.framework = Some(short(key, value)?),
                "cycle" => params.cycle = Some(short(key, value)?),
                "cycles" => {
                    params.cycles = value
                        .split(',')
                        .map(|c| short(key, c.trim()))
                        .collect::<Result<_, _>>()?
                }
                _ => {}
            }
        }
        params.check()?;
        Ok(params)
    }

    /// The parameters that belong together do.
    pub(crate) fn check(&self) -> Result<(), Refusal> {
        if (self.since.is_some() || self.since_committee.is_some()) && !self.kind.takes_since() {
            return Err(Refusal::bad_input(
                "since",
                "only the action plan and progress reports take `since` or `sinceCommittee`",
            ));
        }
        if self.since.is_some() && self.since_committee.is_some() {
            return Err(Refusal::bad_input(
                "sinceCommittee",
                "give `since` or `sinceCommittee`, not both",
            ));
        }
        if let (Some(since), Some(as_of)) = (self.since, self.as_of)
            && since >= as_of
        {
            return Err(Refusal::bad_input("since", "`since` must be before `asOf`"));
        }
        match self.kind {
            Kind::HeatMap => {
                if self.framework.is_none() {
                    return Err(Refusal::bad_input(
                        "framework",
                        "a heat map needs `framework`, the framework's id",
                    ));
                }
                if self.cycle.is_none() {
                    return Err(Refusal::bad_input(
                        "cycle",
                        "a heat map needs `cycle`, e.g. 2024-25",
                    ));
                }
            }
            Kind::StandardsProgress if self.cycles.is_empty() => {
                return Err(Refusal::bad_input(
                    "cycles",
                    "standards progress needs `cycles`, e.g. 2023-24,2024-25",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Its path and query, without a link: `/reports/reviews/rev_…/action-plan.pdf?asOf=…`.
    pub fn path(&self) -> String {
        let (collection, name) = self.kind.route();
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(d) = self.as_of {
            query.append_pair("asOf", &d.to_string());
        }
        if let Some(k) = self.known_at {
            query.append_pair("knownAt", &k.to_rfc3339());
        }
        if let Some(d) = self.since {
            query.append_pair("since", &d.to_string());
        }
        if let Some(c) = &self.since_committee {
            query.append_pair("sinceCommittee", c);
        }
        if let Some(f) = &self.framework {
            query.append_pair("framework", f);
        }
        if let Some(c) = &self.cycle {
            query.append_pair("cycle", c);
        }
        if !self.cycles.is_empty() {
            query.append_pair("cycles", &self.cycles.join(","));
        }
        let query = query.finish();
        let mut path = format!(
            "/reports/{collection}/{}/{name}.{}",
            form_urlencoded::byte_serialize(self.id.as_bytes()).collect::<String>(),
            self.format.extension()
        );
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query);
        }
        path
    }

    /// The file name it downloads as: `action-plan-2021-11-30.pdf`.
    pub fn file_name(&self, as_of: NaiveDate) -> String {
        format!(
            "{}-{as_of}.{}",
            self.kind.route().1,
            self.format.extension()
        )
    }

    /// The moment of knowledge the report uses: the one asked, never later than now.
    pub(crate) fn known(&self) -> Option<DateTime<Utc>> {
        self.known_at.filter(|k| *k < Utc::now())
    }

    /// The variables every document takes: the day and the moment.
    fn as_at_variables(&self) -> Value {
        json!({
            "asOf": self.as_of.map(|d| d.to_string()),
            "knownAt": self.known().map(|k| k.to_rfc3339()),
        })
    }
}

/// A day parameter.
fn day(field: &str, value: &str) -> Result<NaiveDate, Refusal> {
    crate::dates::Date::parse(value)
        .map(|d| d.0)
        .ok_or_else(|| Refusal::bad_input(field, format!("`{field}` must be a day, YYYY-MM-DD")))
}

/// A short text parameter (an id, a cycle).
fn short(field: &str, value: &str) -> Result<String, Refusal> {
    if value.is_empty() || value.len() > 200 {
        return Err(Refusal::bad_input(
            field,
            format!("`{field}` must be 1 to 200 characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Asks the schema a document as the caller: the answer's `data`, or its first error as a
/// refusal. Implemented by the HTTP layer, which holds the schema and the caller.
#[async_trait::async_trait]
pub trait Ask: Send + Sync {
    /// The `data` of `document` run with `variables`.
    async fn ask(&self, document: &'static str, variables: Value) -> Result<Value, Refusal>;

    /// The caller's access, for the rules a paper adds to its fields'.
    fn access(&self) -> &crate::access::Access;
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    user: MeUser,
    organisation: Named,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeUser {
    display_name: Option<String>,
    email: Option<String>,
}

impl Me {
    /// "Jane Smith, Essex County Fire and Rescue Service".
    fn produced_by(&self) -> String {
        let who = self
            .user
            .display_name
            .clone()
            .or_else(|| self.user.email.clone())
            .unwrap_or_else(|| "a user".to_owned());
        format!("{who}, {}", self.organisation.name)
    }
}

/// Something with an id and a name.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    #[serde(default)]
    id: String,
    name: String,
}

/// A code of the schema as a word: `NOT_STARTED` reads "Not started".
fn word(code: &str) -> String {
    let lower = code.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Reads part of an answer.
fn read<T: DeserializeOwned>(value: Value) -> Result<T, Refusal> {
    serde_json::from_value(value).map_err(Refusal::internal)
}

/// The page size of the connections a paper reads: larger than a client's, so that a long list
/// (an organisation's overdue actions as at a past day) is read in a few pages, each of which
/// works out the day's standing of every action it filters.
pub const PAGE: usize = 1_000;

/// The most items a report lists from one connection: a guard on memory, far above the largest
/// action plan at national scale.
const MAX_ITEMS: usize = 50_000;

/// Every node of a connection, page by page: `document` takes `$after` and answers with the
/// connection at `path`.
async fn every<T: DeserializeOwned>(
    ask: &dyn Ask,
    document: &'static str,
    mut variables: Value,
    path: &[&str],
) -> Result<Vec<T>, Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Page<T> {
        page_info: PageInfo,
        nodes: Vec<T>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PageInfo {
        has_next_page: bool,
        end_cursor: Option<String>,
    }
    let mut out = Vec::new();
    loop {
        let mut data = ask.ask(document, variables.clone()).await?;
        for key in path {
            data = data
                .get_mut(*key)
                .map(Value::take)
                .ok_or_else(|| Refusal::internal(format!("no `{key}` in the answer")))?;
        }
        if data.is_null() {
            return Err(Refusal::not_found(path[0]));
        }
        let page: Page<T> = read(data)?;
        out.extend(page.nodes);
        if out.len() > MAX_ITEMS {
            return Err(Refusal::bad_input(
                "id",
                format!("the report would list more than {MAX_ITEMS} items"),
            ));
        }
        match (page.page_info.has_next_page, page.page_info.end_cursor) {
            (true, Some(cursor)) => variables["after"] = Value::String(cursor),
            _ => return Ok(out),
        }
    }
}

/// Builds the paper `params` asks for, and the flat table of its CSV, by asking the schema as
/// the caller.
pub async fn compose(params: &Params, ask: &dyn Ask) -> Result<(Paper, paper::Table), Refusal> {
    match params.kind {
        Kind::ActionPlan => action_plan::compose(params, ask).await,
        Kind::Progress => progress::compose(params, ask).await,
        Kind::HeatMap => heat_map::compose(params, ask).await,
        Kind::StandardsProgress => standards::compose(params, ask).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str) -> Result<Params, Refusal> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let parts: Vec<&str> = path.trim_start_matches("/reports/").split('/').collect();
        let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Params::parse(parts[0], parts[1], parts[2], &query)
    }

    #[test]
    fn a_path_reads_back_as_itself() {
        for path in [
            "/reports/reviews/rev_1/action-plan.pdf?asOf=2021-11-30&knownAt=2021-11-30T23%3A59%3A59%2B00%3A00&since=2021-10-01",
            "/reports/organisations/org_1/progress.csv",
            "/reports/panels/org_2/heat-map.xlsx?framework=fw_1&cycle=2024-25",
            "/reports/frameworks/fw_1/standards-progress.pdf?cycles=2023-24%2C2024-25",
        ] {
            assert_eq!(parse(path).unwrap().path(), path);
        }
    }

    #[test]
    fn reports_refuse_what_they_do_not_take() {
        let code = |path: &str| parse(path).unwrap_err();
        assert_eq!(
            code("/reports/panels/p/heat-map.docx?framework=f&cycle=c").code,
            ErrorCode::NotFound
        );
        assert_eq!(
            code("/reports/reviews/r/action-plan.pdf?asOf=2021-02-30")
                .field
                .as_deref(),
            Some("asOf")
        );
        assert_eq!(
            code("/reports/panels/p/heat-map.pdf?framework=f")
                .field
                .as_deref(),
            Some("cycle")
        );
        assert_eq!(
            code("/reports/reviews/r/action-plan.pdf?since=2021-01-01&sinceCommittee=c")
                .field
                .as_deref(),
            Some("sinceCommittee")
        );
        assert_eq!(
            code("/reports/reviews/r/action-plan.pdf?asof=2021-01-01")
                .field
                .as_deref(),
            Some("asof")
        );
        assert_eq!(
            code("/reports/frameworks/f/standards-progress.csv?cycles=a&since=2021-01-01")
                .field
                .as_deref(),
            Some("since")
        );
    }
}
