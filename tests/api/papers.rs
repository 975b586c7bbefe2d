//! Committee papers out: every report in every format, opened as a document (CSV parsed, Excel
//! read by calamine and its XML, Word's XML, the PDF's text extracted and its pages rendered by
//! poppler), its figures compared with the GraphQL answer for the same `asOf` and `knownAt`;
//! and the access rules: other tenants get exactly what a missing object gets, partners get only
//! standards progress, withheld groups stay withheld, and report links open one report for one
//! caller until they expire.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, token};

/// A report's answer: status, media type and body.
struct File {
    status: u16,
    media: String,
    disposition: String,
    bytes: Vec<u8>,
}

impl File {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.status,
            200,
            "{}",
            String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(400)])
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("(none)")
            .to_owned()
    }
}

async fn fetch(app: &TestApp, tok: Option<&str>, path: &str) -> File {
    let mut req = app.get(path);
    if let Some(tok) = tok {
        req = req.bearer_auth(tok);
    }
    let resp = req.send().await.expect("request sent");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, media, disposition) = (
        resp.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    File {
        status,
        media,
        disposition,
        bytes: resp.bytes().await.expect("body").to_vec(),
    }
}

/// The rows of a CSV report, by column name; the file starts with a byte-order mark.
#[track_caller]
fn csv_rows(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a byte-order mark"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// One sheet of a workbook, as calamine reads it.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("no sheet {name}: {e}"))
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
}

/// One part of an Office file (a zip of XML).
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("no part {name}"))
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn part_names(bytes: &[u8]) -> Vec<String> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    zip.file_names()
        .map(|name| name.expect("a part name").into_owned())
        .collect()
}

/// The words of a Word document's body, its runs joined.
fn docx_text(bytes: &[u8]) -> String {
    let xml = part(bytes, "word/document.xml");
    let mut out = String::new();
    for piece in xml.split("<w:t").skip(1) {
        let Some(start) = piece.find('>') else {
            continue;
        };
        let text = &piece[start + 1..];
        let end = text.find("</w:t>").unwrap_or(0);
        out.push_str(&text[..end]);
        out.push(' ');
    }
    // `&amp;` last, so that an escaped entity's text stays as written.
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A poppler tool; absent only outside CI (`.ci/run` installs poppler-utils).
fn poppler(tool: &str) -> Option<Command> {
    if Command::new(tool).arg("-v").output().is_ok() {
        return Some(Command::new(tool));
    }
    assert!(
        std::env::var("CI").is_err(),
        "{tool} (poppler-utils) is needed under CI"
    );
    eprintln!("{tool} is not installed: the PDF's text is not checked");
    None
}

/// The PDF's text (poppler's `pdftotext`), with its pages rendered to PNG (`pdftoppm`) and
/// counted against the pages it says it has. Spaces and line breaks are folded.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.pdf");
    std::fs::write(&file, bytes).unwrap();
    let text = poppler("pdftotext")?
        .arg("-enc")
        .arg("UTF-8")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let info = String::from_utf8(poppler("pdfinfo")?.arg(&file).output().unwrap().stdout).unwrap();
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let rendered = poppler("pdftoppm")?
        .args(["-r", "30", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .unwrap();
    assert!(rendered.success());
    let pngs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .filter(|e| e.metadata().unwrap().len() > 1_000)
        .count();
    assert_eq!(pngs, pages, "every page renders");
    Some(fold(&String::from_utf8(text.stdout).unwrap()))
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(cell: &Data) -> String {
    cell.as_string().unwrap_or_default()
}

/// The rows of a sheet whose first cell reads `first`.
fn row_starting<'a>(rows: &'a [Vec<Data>], first: &str) -> &'a Vec<Data> {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| text_of(c) == first))
        .unwrap_or_else(|| panic!("no row {first}"))
}

fn day(cell: &Data) -> String {
    cell.as_datetime()
        .unwrap_or_else(|| panic!("{cell:?} is not a date"))
        .date()
        .to_string()
}

const ESSEX_PLAN: &str = r#"query($asOf: Date, $knownAt: DateTime) {
  reviews(first: 1) { nodes { id title
    progress(asOf: $asOf, knownAt: $knownAt) { recommendationsTotal recommendationsDischarged
      recommendationsOutstanding actionsTotal green amber red }
    actions(asOf: $asOf, knownAt: $knownAt, first: 100) { nodes {
      id title owner originalDueOn
      standing { status dueOn completedOn rag percentComplete }
      latestUpdate(asOf: $asOf, knownAt: $knownAt) { asAt narrative } } } } }
}"#;

/// A moment just past, as a `knownAt` parameter.
fn moment() -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

api_test!(
    the_essex_action_plan_as_at_november_2021_in_every_format,
    |app| {
        app.seed_demo().await;
        let essex = token("essex-fire", Role::Viewer);
        let known = moment();
        let resp = app
            .gql(
                Some(&essex),
                ESSEX_PLAN,
                json!({ "asOf": "2021-11-30", "knownAt": known }),
            )
            .await;
        let review = resp.data()["reviews"]["nodes"][0].clone();
        let id = review["id"].as_str().unwrap();
        let p = &review["progress"];
        assert_eq!(
            (&p["actionsTotal"], &p["green"], &p["amber"], &p["red"]),
            (&json!(10), &json!(7), &json!(3), &json!(0))
        );
        let actions = review["actions"]["nodes"].as_array().unwrap().clone();
        let path = |format: &str| {
            format!(
                "/reports/reviews/{id}/action-plan.{format}?asOf=2021-11-30&knownAt={}",
                known.replace('+', "%2B")
            )
        };
        let sentence = "10 actions: 7 complete, 3 on track, none overdue.";

        // CSV: one row per action, the same figures as the GraphQL answer.
        let csv = fetch(&app, Some(&essex), &path("csv")).await.ok();
        assert_eq!(csv.media, "text/csv; charset=utf-8");
        assert_eq!(
            csv.disposition,
            "attachment; filename=\"action-plan-2021-11-30.csv\""
        );
        let rows = csv_rows(&csv.bytes);
        assert_eq!(rows.len(), actions.len());
        for action in &actions {
            let row = rows
                .iter()
                .find(|r| r["action_id"] == action["id"].as_str().unwrap())
                .expect("every action has its row");
            let s = &action["standing"];
            assert_eq!(row["action_title"], action["title"].as_str().unwrap());
            assert_eq!(row["owner"], action["owner"].as_str().unwrap());
            assert_eq!(row["due_on"], s["dueOn"].as_str().unwrap());
            assert_eq!(
                row["original_due_on"],
                action["originalDueOn"].as_str().unwrap()
            );
            assert_eq!(row["status"], s["status"].as_str().unwrap());
            assert_eq!(row["rag"], s["rag"].as_str().unwrap());
            assert_eq!(row["completed_on"], s["completedOn"].as_str().unwrap_or(""));
            assert_eq!(
                row["percent_complete"],
                s["percentComplete"]
                    .as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            );
            assert_eq!(
                row["latest_update"],
                action["latestUpdate"]["narrative"].as_str().unwrap_or("")
            );
            assert_eq!(
                row["latest_update_on"],
                action["latestUpdate"]["asAt"].as_str().unwrap_or("")
            );
            assert_eq!(row["as_of"], "2021-11-30");
            assert_eq!(row["review_id"], id);
        }
        let rags: Vec<&str> = rows.iter().map(|r| r["rag"].as_str()).collect();
        assert_eq!(rags.iter().filter(|r| **r == "GREEN").count(), 7);
        assert_eq!(rags.iter().filter(|r| **r == "AMBER").count(), 3);
        // The paper's owners, kept exactly (slashes and all).
        assert!(
            rows.iter()
                .any(|r| r["owner"] == "Head of Protection and Prevention / Corporate Comms")
        );

        // Excel: a summary, a sheet per part, real dates and numbers, frozen header, filters.
        let xlsx = fetch(&app, Some(&essex), &path("xlsx")).await.ok();
        assert_eq!(sheet_names(&xlsx.bytes), ["Summary", "Action plan", "Data"]);
        // The Data sheet holds the CSV's rows: a header and one row per action.
        assert_eq!(sheet(&xlsx.bytes, "Data").len(), 1 + actions.len());
        let summary = sheet(&xlsx.bytes, "Summary");
        assert!(text_of(&row_starting(&summary, "Summary")[1]).contains(sentence));
        assert_eq!(day(&row_starting(&summary, "As at")[1]), "2021-11-30");
        for (rag, n) in [("Red", 0.0), ("Amber", 3.0), ("Green", 7.0)] {
            assert_eq!(row_starting(&summary, rag)[1].as_f64(), Some(n), "{rag}");
        }
        let plan = sheet(&xlsx.bytes, "Action plan");
        assert_eq!(text_of(&plan[0][0]), "Action");
        let listed: Vec<&Vec<Data>> = plan[1..]
            .iter()
            .filter(|r| !text_of(&r[6]).is_empty())
            .collect();
        assert_eq!(listed.len(), actions.len());
        for action in &actions {
            let row = listed
                .iter()
                .find(|r| text_of(&r[0]) == action["title"].as_str().unwrap())
                .unwrap();
            assert_eq!(text_of(&row[1]), action["owner"].as_str().unwrap());
            assert_eq!(day(&row[2]), action["standing"]["dueOn"].as_str().unwrap());
            assert_eq!(
                text_of(&row[6]).to_uppercase(),
                action["standing"]["rag"].as_str().unwrap()
            );
        }
        let xml = part(&xlsx.bytes, "xl/worksheets/sheet2.xml");
        assert!(xml.contains("state=\"frozen\""), "the header row is frozen");
        assert!(xml.contains("<autoFilter"), "filters are on");
        let styles = part(&xlsx.bytes, "xl/styles.xml");
        assert!(
            styles.contains("FF00703C") && styles.contains("FFFFBF47"),
            "RAG fills"
        );
        assert!(
            part_names(&xlsx.bytes)
                .iter()
                .any(|p| p.starts_with("xl/charts/")),
            "a chart"
        );

        // Word: headings in Word's own styles, a real table with shaded RAG cells and the
        // words written, the chart as a picture, page numbers in the footer.
        let docx = fetch(&app, Some(&essex), &path("docx")).await.ok();
        let body = docx_text(&docx.bytes);
        let document = part(&docx.bytes, "word/document.xml");
        assert!(body.contains(sentence), "{body}");
        assert!(body.contains("As at 30 November 2021"));
        assert!(document.contains("<w:tbl>"));
        assert!(document.contains("w:fill=\"00703C\"") && document.contains("w:fill=\"FFBF47\""));
        assert!(
            document.contains("<w:pStyle w:val=\"Heading1\" />")
                || document.contains("w:val=\"Heading1\"")
        );
        for action in &actions {
            assert!(body.contains(action["owner"].as_str().unwrap()));
        }
        assert_eq!(body.matches("Green ").count(), 8, "7 actions and the key");
        let styles = part(&docx.bytes, "word/styles.xml");
        assert!(styles.contains("w:styleId=\"Heading1\""));
        assert!(
            part_names(&docx.bytes)
                .iter()
                .any(|p| p.starts_with("word/media/")),
            "the chart"
        );
        let footers: String = part_names(&docx.bytes)
            .iter()
            .filter(|p| p.starts_with("word/footer"))
            .map(|p| part(&docx.bytes, p))
            .collect();
        assert!(footers.contains("PAGE") && footers.contains("NUMPAGES"));

        // PDF: the same words, every page rendered.
        let pdf = fetch(&app, Some(&essex), &path("pdf")).await.ok();
        assert_eq!(pdf.media, "application/pdf");
        if let Some(text) = pdf_text(&pdf.bytes) {
            assert!(text.contains("As at 30 November 2021"), "{text}");
            assert!(text.contains(sentence));
            assert!(text.contains("Red overdue"));
            assert!(text.contains("Amber on track but to be completed"));
            assert!(text.contains("Page 1 of"));
            assert!(text.contains("Essex County Fire and Rescue Service"));
            for owner in ["Head of Ops Policy", "Head of Protection"] {
                assert!(text.contains(owner));
            }
        }
    }
);

api_test!(
    rotherham_progress_as_at_the_committee_says_15_made_12_discharged_3_outstanding,
    |app| {
        app.seed_demo().await;
        let rotherham = token("rotherham", Role::Viewer);
        let resp = app
            .gql(
                Some(&rotherham),
                r#"{ me { organisation { id committees { id meetsOn }
                     progress(asOf: "2020-12-08") { recommendationsTotal recommendationsDischarged actionsTotal amber } } }
                   reviews { nodes { id title progress(asOf: "2020-12-08") {
                     recommendationsTotal recommendationsDischarged recommendationsOutstanding actionsTotal green amber red } } } }"#,
                json!({}),
            )
            .await;
        let org = resp.data()["me"]["organisation"].clone();
        let id = org["id"].as_str().unwrap();
        let committee = org["committees"][0]["id"].as_str().unwrap();
        let reviews = resp.data()["reviews"]["nodes"].as_array().unwrap().clone();
        let path = |format: &str, extra: &str| {
            format!("/reports/organisations/{id}/progress.{format}?asOf=2020-12-08{extra}")
        };

        let csv = fetch(&app, Some(&rotherham), &path("csv", "")).await.ok();
        let rows = csv_rows(&csv.bytes);
        let total = rows
            .iter()
            .find(|r| r["section"] == "organisation")
            .unwrap();
        assert_eq!(
            total["recommendations_made"],
            org["progress"]["recommendationsTotal"].to_string()
        );
        for review in &reviews {
            let row = rows
                .iter()
                .find(|r| r["review_id"] == review["id"].as_str().unwrap())
                .unwrap();
            let p = &review["progress"];
            for (column, field) in [
                ("recommendations_made", "recommendationsTotal"),
                ("recommendations_discharged", "recommendationsDischarged"),
                ("recommendations_outstanding", "recommendationsOutstanding"),
                ("actions", "actionsTotal"),
                ("red", "red"),
                ("amber", "amber"),
                ("green", "green"),
            ] {
                assert_eq!(row[column], p[field].to_string(), "{column}");
            }
        }
        let mip = rows
            .iter()
            .find(|r| r["review_title"] == "Review of the Major Incident Plan (2017)")
            .unwrap();
        assert_eq!(
            (
                mip["recommendations_made"].as_str(),
                mip["recommendations_discharged"].as_str(),
                mip["recommendations_outstanding"].as_str()
            ),
            ("15", "12", "3")
        );

        // With the changes since the committee: the window starts at its date.
        let since = "&since=2020-06-01";
        for format in ["docx", "pdf"] {
            let file = fetch(&app, Some(&rotherham), &path(format, since))
                .await
                .ok();
            let text = match format {
                "docx" => Some(fold(&docx_text(&file.bytes))),
                _ => pdf_text(&file.bytes),
            };
            if let Some(text) = text {
                assert!(
                    text.contains("Review of the Major Incident Plan (2017) (Improving Places Select Commission (task-and-finish group)): 15 made, 12 discharged, 3 outstanding."),
                    "{format}: {text}"
                );
                assert!(text.contains("As at 8 December 2020"));
                assert!(
                    text.contains("Since 1 June 2020, up to 8 December 2020"),
                    "{format}"
                );
                assert!(text.contains("Changes since the last committee: delivery dates changed"));
            }
        }
        let xlsx = fetch(&app, Some(&rotherham), &path("xlsx", "")).await.ok();
        let by_review = sheet(&xlsx.bytes, "Reviews");
        let mip = row_starting(&by_review, "Review of the Major Incident Plan (2017)");
        assert_eq!(day(&mip[1]), "2017-06-30");
        assert_eq!(
            (mip[2].as_f64(), mip[3].as_f64(), mip[4].as_f64()),
            (Some(15.0), Some(12.0), Some(3.0))
        );
        // The next paper, with the changes since that committee.
        let since_committee = format!(
            "/reports/organisations/{id}/progress.xlsx?asOf=2021-06-30&sinceCommittee={committee}"
        );
        let xlsx = fetch(&app, Some(&rotherham), &since_committee).await.ok();
        assert_eq!(
            sheet_names(&xlsx.bytes),
            [
                "Summary",
                "Reviews",
                "Overdue actions",
                "Completed since",
                "Newly overdue",
                "Dates changed",
                "Updates added",
                "Data"
            ]
        );
        let completed = sheet(&xlsx.bytes, "Summary");
        assert!(
            completed.iter().flatten().any(|c| text_of(c)
                .starts_with("Since Improving Places Select Commission on 8 December 2020")),
            "the window of a committee names it"
        );
        // A committee that met on the paper's day (or later) leaves no window.
        let same_day = fetch(
            &app,
            Some(&rotherham),
            &path("csv", &format!("&sinceCommittee={committee}")),
        )
        .await;
        assert_eq!(
            (same_day.status, same_day.code()),
            (400, "BAD_USER_INPUT".to_owned())
        );
        assert_eq!(
            same_day.json()["errors"][0]["extensions"]["field"],
            "sinceCommittee"
        );
    }
);

const HEAT_MAP: &str = r#"query($panel: ID!, $framework: ID!) {
  panelComparison(panelId: $panel, frameworkId: $framework, cycle: "2024-25") {
    standards { id code } rows { organisation { id name }
      cells { standard { id } selfLevel { code } moderatedLevel { code } challenged }
      actions { total red } overdue } } }"#;

const STANDARDS: &str = r#"query($framework: ID!) {
  standardsProgress(frameworkId: $framework, cycles: ["2023-24", "2024-25"]) {
    suppressing rows { standard { id } cycle assessed
      levels { level { code } selfCount selfSuppressed moderatedCount moderatedSuppressed } } } }"#;

async fn framework_and_panel(app: &TestApp, lead: &str) -> (String, String) {
    let resp = app
        .gql(
            Some(lead),
            "{ me { organisation { id } } frameworks { nodes { id } } }",
            json!({}),
        )
        .await;
    (
        resp.data()["frameworks"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        resp.data()["me"]["organisation"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

api_test!(
    the_heat_map_and_standards_progress_carry_their_fields_figures,
    |app| {
        app.seed_demo().await;
        let lead = token("london-central", Role::Manager);
        let (framework, panel) = framework_and_panel(&app, &lead).await;
        let map = app
            .gql(
                Some(&lead),
                HEAT_MAP,
                json!({ "panel": panel, "framework": framework }),
            )
            .await;
        let map = map.data()["panelComparison"].clone();
        let path =
            format!("/reports/panels/{panel}/heat-map.csv?framework={framework}&cycle=2024-25");
        let rows = csv_rows(&fetch(&app, Some(&lead), &path).await.ok().bytes);
        let members = map["rows"].as_array().unwrap();
        let standards = map["standards"].as_array().unwrap();
        assert_eq!(rows.len(), members.len() * standards.len());
        for member in members {
            for cell in member["cells"].as_array().unwrap() {
                let row = rows
                    .iter()
                    .find(|r| {
                        r["organisation_id"] == member["organisation"]["id"].as_str().unwrap()
                            && r["standard_id"] == cell["standard"]["id"].as_str().unwrap()
                    })
                    .unwrap();
                assert_eq!(
                    row["self_level_code"],
                    cell["selfLevel"]["code"].as_str().unwrap_or("")
                );
                assert_eq!(
                    row["moderated_level_code"],
                    cell["moderatedLevel"]["code"].as_str().unwrap_or("")
                );
                assert_eq!(row["challenged"], cell["challenged"].to_string());
                assert_eq!(row["actions"], member["actions"]["total"].to_string());
                assert_eq!(row["overdue"], member["overdue"].to_string());
            }
        }
        let xlsx = fetch(&app, Some(&lead), &path.replace(".csv", ".xlsx"))
            .await
            .ok();
        let grid = sheet(&xlsx.bytes, "Heat map");
        assert_eq!(grid.len(), members.len() + 1);
        assert_eq!(grid[0].len(), standards.len() + 1);
        let pdf = fetch(&app, Some(&lead), &path.replace(".csv", ".pdf"))
            .await
            .ok();
        if let Some(text) = pdf_text(&pdf.bytes) {
            for member in members {
                assert!(text.contains(member["organisation"]["name"].as_str().unwrap()));
            }
            assert!(text.contains("Members against standards"));
        }
        // A heat map has no Word version.
        let docx = fetch(&app, Some(&lead), &path.replace(".csv", ".docx")).await;
        assert_eq!((docx.status, docx.code()), (404, "NOT_FOUND".to_owned()));

        // The partner body: counts per standard, level and cycle; withheld stays withheld.
        let partner = token("lga", Role::Viewer);
        let progress = app
            .gql(Some(&partner), STANDARDS, json!({ "framework": framework }))
            .await;
        let progress = progress.data()["standardsProgress"].clone();
        assert_eq!(progress["suppressing"], true);
        let path = format!(
            "/reports/frameworks/{framework}/standards-progress.csv?cycles=2023-24,2024-25"
        );
        let rows = csv_rows(&fetch(&app, Some(&partner), &path).await.ok().bytes);
        let mut withheld = 0;
        for row in progress["rows"].as_array().unwrap() {
            for level in row["levels"].as_array().unwrap() {
                let line = rows
                    .iter()
                    .find(|r| {
                        r["standard_id"] == row["standard"]["id"].as_str().unwrap()
                            && r["cycle"] == row["cycle"].as_str().unwrap()
                            && r["level_code"] == level["level"]["code"].as_str().unwrap()
                    })
                    .unwrap();
                for (column, count, suppressed) in [
                    ("self_count", "selfCount", "selfSuppressed"),
                    ("moderated_count", "moderatedCount", "moderatedSuppressed"),
                ] {
                    if level[suppressed] == true {
                        withheld += 1;
                        assert_eq!(line[column], "withheld");
                    } else {
                        assert_eq!(line[column], level[count].to_string());
                    }
                }
            }
        }
        assert!(withheld > 0, "the demo withholds small groups");
        let xlsx = fetch(&app, Some(&partner), &path.replace(".csv", ".xlsx"))
            .await
            .ok();
        let cells = sheet(&xlsx.bytes, "Standards progress");
        let shown = cells
            .iter()
            .flatten()
            .filter(|c| text_of(c) == "withheld")
            .count();
        assert_eq!(shown, withheld, "every withheld count says so in Excel");
        let pdf = fetch(&app, Some(&partner), &path.replace(".csv", ".pdf"))
            .await
            .ok();
        if let Some(text) = pdf_text(&pdf.bytes) {
            assert!(text.matches("withheld").count() >= withheld);
        }
    }
);

/// Every report the demo offers, by its owner's token, and a path that names a missing
/// object of the same kind.
async fn demo_reports(app: &TestApp) -> Vec<(String, String, String)> {
    let essex = token("essex-fire", Role::Viewer);
    let lead = token("london-central", Role::Manager);
    let partner = token("lga", Role::Viewer);
    let review = app
        .gql(
            Some(&essex),
            "{ me { organisation { id } } reviews { nodes { id } } }",
            json!({}),
        )
        .await;
    let review_id = review.data()["reviews"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let org_id = review.data()["me"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (framework, panel) = framework_and_panel(app, &lead).await;
    let missing = |id: &str| {
        let (kind, _) = id.split_once('_').unwrap();
        format!("{kind}_0000000000007000800000000000000f")
    };
    let mut out = Vec::new();
    for format in ["docx", "pdf", "xlsx", "csv"] {
        out.push((
            essex.clone(),
            format!("/reports/reviews/{review_id}/action-plan.{format}"),
            format!(
                "/reports/reviews/{}/action-plan.{format}",
                missing(&review_id)
            ),
        ));
        out.push((
            essex.clone(),
            format!("/reports/organisations/{org_id}/progress.{format}"),
            format!(
                "/reports/organisations/{}/progress.{format}",
                missing(&org_id)
            ),
        ));
    }
    for format in ["pdf", "xlsx", "csv"] {
        out.push((
            lead.clone(),
            format!(
                "/reports/panels/{panel}/heat-map.{format}?framework={framework}&cycle=2024-25"
            ),
            format!(
                "/reports/panels/{}/heat-map.{format}?framework={framework}&cycle=2024-25",
                missing(&panel)
            ),
        ));
        out.push((
            partner.clone(),
            format!("/reports/frameworks/{framework}/standards-progress.{format}?cycles=2024-25"),
            format!(
                "/reports/frameworks/{}/standards-progress.{format}?cycles=2024-25",
                missing(&framework)
            ),
        ));
    }
    out
}

api_test!(
    another_organisation_s_report_answers_like_one_that_does_not_exist,
    |app| {
        app.seed_demo().await;
        let before = app.snapshot().await;
        let rotherham = token("rotherham", Role::Manager);
        let partner = token("lga", Role::Viewer);
        for (owner, path, missing) in demo_reports(&app).await {
            fetch(&app, Some(&owner), &path).await.ok();
            let theirs = fetch(&app, Some(&rotherham), &path).await;
            let absent = fetch(&app, Some(&rotherham), &missing).await;
            // Standards progress is for partner bodies and panels: a council is refused it as
            // the API refuses `standardsProgress`, whichever framework it names.
            let expected = if path.contains("standards-progress") {
                (403, "FORBIDDEN".to_owned())
            } else {
                (404, "NOT_FOUND".to_owned())
            };
            assert_eq!((theirs.status, theirs.code()), expected, "{path}");
            assert_eq!(theirs.media, "application/json");
            assert_eq!(theirs.json(), absent.json(), "{path}");
            assert_eq!(absent.status, expected.0);
            // Partner bodies read standards progress only.
            let partners = fetch(&app, Some(&partner), &path).await;
            if path.contains("standards-progress") {
                assert_eq!(partners.status, 200);
            } else {
                assert_eq!(
                    (partners.status, partners.code()),
                    (404, "NOT_FOUND".to_owned()),
                    "{path}"
                );
            }
            let anonymous = fetch(&app, None, &path).await;
            assert_eq!(
                (anonymous.status, anonymous.code()),
                (401, "UNAUTHENTICATED".to_owned())
            );
            let forged = fetch(&app, Some("not.a.token"), &path).await;
            assert_eq!(
                (forged.status, forged.code()),
                (401, "UNAUTHENTICATED".to_owned())
            );
        }
        assert_eq!(app.snapshot().await, before, "reports change nothing");
    }
);

api_test!(bad_report_parameters_are_refused_with_their_field, |app| {
    app.seed_demo().await;
    let essex = token("essex-fire", Role::Viewer);
    let lead = token("london-central", Role::Manager);
    let reports = demo_reports(&app).await;
    let plan = &reports[0].1;
    for (query, field) in [
        ("?asOf=2021-02-30", "asOf"),
        ("?asOf=yesterday", "asOf"),
        ("?knownAt=noon", "knownAt"),
        ("?asOf=2021-11-30&since=2021-12-01", "since"),
        ("?since=2021-01-01&sinceCommittee=cmt_1", "sinceCommittee"),
        ("?asof=2021-11-30", "asof"),
        ("?asOf=2021-11-30&asOf=2021-11-29", "asOf"),
    ] {
        let file = fetch(&app, Some(&essex), &format!("{plan}{query}")).await;
        assert_eq!(
            (file.status, file.code()),
            (400, "BAD_USER_INPUT".to_owned()),
            "{query}"
        );
        assert_eq!(
            file.json()["errors"][0]["extensions"]["field"],
            field,
            "{query}"
        );
    }
    let huge = "x".repeat(5_000);
    let file = fetch(&app, Some(&essex), &format!("{plan}?sinceCommittee={huge}")).await;
    assert_eq!(file.code(), "BAD_USER_INPUT");
    let unknown = fetch(&app, Some(&essex), "/reports/reviews/rev_1/plan.pdf").await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "NOT_FOUND".to_owned())
    );
    let garbled = fetch(
        &app,
        Some(&essex),
        "/reports/reviews/not-an-id/action-plan.pdf",
    )
    .await;
    assert_eq!(
        (garbled.status, garbled.code()),
        (400, "BAD_USER_INPUT".to_owned())
    );
    let heat_map = reports.iter().find(|r| r.1.contains("heat-map")).unwrap();
    let no_cycle = heat_map.1.replace("&cycle=2024-25", "");
    let file = fetch(&app, Some(&lead), &no_cycle).await;
    assert_eq!(file.json()["errors"][0]["extensions"]["field"], "cycle");
    let no_committee = fetch(
        &app,
        Some(&essex),
        &format!("{plan}?sinceCommittee=cmt_0000000000007000800000000000000f"),
    )
    .await;
    assert_eq!(
        (no_committee.status, no_committee.code()),
        (404, "NOT_FOUND".to_owned())
    );
});

const LINK: &str = r#"query($kind: ReportKind!, $id: ID!, $format: ReportFormat!, $knownAt: DateTime) {
  reportLink(kind: $kind, id: $id, format: $format, asOf: "2021-11-30", knownAt: $knownAt) {
    url path expiresAt mediaType } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_link_opens_one_report_for_one_caller_until_it_expires() {
    for engine in crate::helpers::engines() {
        let app = TestApp::spawn_with(engine, |c| {
            c.report_link_lifetime = std::time::Duration::from_secs(3)
        })
        .await;
        app.seed_demo().await;
        let essex = token("essex-fire", Role::Viewer);
        let colleague = {
            let mut claims = crate::helpers::Claims::new("essex-fire", Role::Viewer);
            claims.sub = "another-essex-officer".to_owned();
            claims.sign()
        };
        let rotherham = token("rotherham", Role::Manager);
        let review = app
            .gql(Some(&essex), "{ reviews { nodes { id } } }", json!({}))
            .await;
        let id = review.data()["reviews"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let known = moment();
        let vars = json!({ "kind": "ACTION_PLAN", "id": id, "format": "CSV", "knownAt": known });
        let link = app.gql(Some(&essex), LINK, vars.clone()).await;
        let link = link.data()["reportLink"].clone();
        let url = link["url"].as_str().unwrap();
        let path = link["path"].as_str().unwrap();
        assert!(
            url.ends_with(path) && url.starts_with("http://127.0.0.1:"),
            "{url}"
        );
        assert_eq!(link["mediaType"], "text/csv; charset=utf-8");
        let expires =
            chrono::DateTime::parse_from_rfc3339(link["expiresAt"].as_str().unwrap()).unwrap();
        assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(5));

        // Plain: no token. The same file the token downloads.
        let plain = reqwest::get(url).await.unwrap();
        assert_eq!(plain.status(), 200);
        let plain = plain.bytes().await.unwrap();
        let bearer = fetch(
            &app,
            Some(&essex),
            &format!(
                "/reports/reviews/{id}/action-plan.csv?asOf=2021-11-30&knownAt={}",
                known.replace('+', "%2B")
            ),
        )
        .await
        .ok();
        assert_eq!(plain.to_vec(), bearer.bytes);
        // With the caller's own token too; not with anyone else's.
        assert_eq!(fetch(&app, Some(&essex), path).await.status, 200);
        let other = fetch(&app, Some(&colleague), path).await;
        assert_eq!((other.status, other.code()), (403, "FORBIDDEN".to_owned()));
        let tenant = fetch(&app, Some(&rotherham), path).await;
        assert_eq!(tenant.status, 403);
        // Not for another report: another format, another day, another review.
        for changed in [
            path.replace("action-plan.csv", "action-plan.pdf"),
            path.replace("asOf=2021-11-30", "asOf=2021-11-29"),
            path.replace(&id, "rev_0000000000007000800000000000000f"),
        ] {
            let file = fetch(&app, None, &changed).await;
            assert_eq!(
                (file.status, file.code()),
                (401, "UNAUTHENTICATED".to_owned()),
                "{changed}"
            );
        }
        let forged = fetch(&app, None, &format!("{}x", path)).await;
        assert_eq!(forged.status, 401);
        // Another tenant's review: no link, as if it did not exist.
        let refused = app.gql(Some(&rotherham), LINK, vars.clone()).await;
        assert_eq!(refused.codes(), ["NOT_FOUND"]);
        let wrong = app
            .gql(
                Some(&essex),
                LINK,
                json!({ "kind": "HEAT_MAP", "id": id, "format": "DOCX" }),
            )
            .await;
        assert_eq!(wrong.codes(), ["BAD_USER_INPUT"]);
        // Expired.
        tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
        let late = fetch(&app, None, path).await;
        assert_eq!(
            (late.status, late.code()),
            (401, "UNAUTHENTICATED".to_owned())
        );
        assert!(
            late.json()["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    }
}

/// Files the README shows: the demo's papers, written to `docs/reports/` when
/// `WRITE_SAMPLE_REPORTS` names a directory (see the README's "Committee papers").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_reports() {
    let Ok(dir) = std::env::var("WRITE_SAMPLE_REPORTS") else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Engine::Sqlite).await;
    app.seed_demo().await;
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let named = |org: &str, role: Role, name: &str| {
        let mut claims = crate::helpers::Claims::new(org, role);
        claims.name = Some(name.to_owned());
        claims.sign()
    };
    let essex = named("essex-fire", Role::Viewer, "Essex protection officer");
    let rotherham = named(
        "rotherham",
        Role::Viewer,
        "Rotherham emergency planning officer",
    );
    let lead = named(
        "london-central",
        Role::Manager,
        "Central London sub-regional lead",
    );
    let partner = named("lga", Role::Viewer, "LGA resilience analyst");
    let reports = demo_reports(&app).await;
    let review = reports[0].1.split('/').nth(3).unwrap().to_owned();
    let rotherham_org = app
        .gql(
            Some(&rotherham),
            "{ me { organisation { id } } }",
            json!({}),
        )
        .await
        .data()["me"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let heat_map = reports
        .iter()
        .find(|r| r.1.contains("heat-map.pdf"))
        .unwrap()
        .1
        .clone();
    let standards = reports
        .iter()
        .find(|r| r.1.contains("standards-progress.pdf"))
        .unwrap()
        .1
        .clone();
    let known = "2026-12-01T12:00:00Z";
    for format in ["docx", "pdf", "xlsx", "csv"] {
        let plan = fetch(
            &app,
            Some(&essex),
            &format!("/reports/reviews/{review}/action-plan.{format}?asOf=2021-11-30&since=2021-09-30&knownAt={known}"),
        )
        .await
        .ok();
        std::fs::write(
            dir.join(format!("essex-action-plan-2021-11-30.{format}")),
            plan.bytes,
        )
        .unwrap();
        let progress = fetch(
            &app,
            Some(&rotherham),
            &format!("/reports/organisations/{rotherham_org}/progress.{format}?asOf=2020-12-08&since=2020-06-30&knownAt={known}"),
        )
        .await
        .ok();
        std::fs::write(
            dir.join(format!("rotherham-progress-2020-12-08.{format}")),
            progress.bytes,
        )
        .unwrap();
        if format != "docx" {
            let map = fetch(
                &app,
                Some(&lead),
                &format!(
                    "{}&asOf=2025-03-31&knownAt={known}",
                    heat_map.replace(".pdf", &format!(".{format}"))
                ),
            )
            .await
            .ok();
            std::fs::write(
                dir.join(format!("central-london-heat-map-2024-25.{format}")),
                map.bytes,
            )
            .unwrap();
            let progress = fetch(
                &app,
                Some(&partner),
                &format!(
                    "{}&asOf=2025-03-31",
                    standards
                        .replace("cycles=2024-25", "cycles=2023-24,2024-25")
                        .replace(".pdf", &format!(".{format}"))
                ),
            )
            .await
            .ok();
            std::fs::write(
                dir.join(format!("standards-progress-2023-24-2024-25.{format}")),
                progress.bytes,
            )
            .unwrap();
        }
    }
}

api_test!(
    names_and_texts_are_kept_whole_and_an_extension_is_marked_with_its_reason,
    |app| {
        let (_w, people) = crate::plan::setup(&app).await;
        let ok = crate::plan::ok;
        let title = "Children’s & Young People's Services: \"resilience\" <review>";
        let review = ok(
            &app,
            &people.manager,
            crate::plan::CREATE_REVIEW,
            json!({ "input": { "kind": "PEER_REVIEW", "title": title, "reportedOn": "2021-01-04" } }),
            &["createReview", "review"],
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A recommendation of 9,000 characters: no format cuts it.
        let long = "Assure the plan's & the partners' arrangements. ".repeat(187);
        let long = long.trim_end().to_owned();
        let rec = ok(
            &app,
            &people.manager,
            crate::plan::ADD_RECOMMENDATION,
            json!({ "input": { "reviewId": review, "reference": "R1", "text": long } }),
            &["addRecommendation", "recommendation"],
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let owner = "Head of Risk & Resilience (O’Brien)";
        let action = ok(
            &app,
            &people.manager,
            crate::plan::CREATE_ACTION,
            json!({ "input": { "recommendationId": rec, "title": "Test the plan's call-out cascade", "owner": owner,
                "openedOn": "2021-01-04", "dueOn": "2021-06-30" } }),
            &["createAction", "action"],
        )
        .await;
        let (id, version) = (
            action["id"].as_str().unwrap().to_owned(),
            action["version"].clone(),
        );
        let reason = "Live incidents took the place of the exercise & the away day";
        ok(
            &app,
            &people.manager,
            crate::plan::CHANGE_DUE,
            json!({ "input": { "id": id, "version": version, "newDueOn": "2021-09-30", "reason": reason, "effectiveOn": "2021-06-01" } }),
            &["changeActionDueDate"],
        )
        .await;
        let narrative = "Exercise held on 3 June.\nDebrief \"lessons\" & <actions> agreed.";
        ok(
            &app,
            &people.contributor,
            crate::plan::ADD_UPDATE,
            json!({ "input": { "actionId": id, "asAt": "2021-06-10", "narrative": narrative } }),
            &["addProgressUpdate"],
        )
        .await;
        let path = |format: &str| {
            format!("/reports/reviews/{review}/action-plan.{format}?asOf=2021-07-31")
        };

        let rows = csv_rows(
            &fetch(&app, Some(&people.viewer), &path("csv"))
                .await
                .ok()
                .bytes,
        );
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row["review_title"], title);
        assert_eq!(row["recommendation_text"], long);
        assert_eq!(row["owner"], owner);
        assert_eq!(row["latest_update"], narrative);
        assert_eq!(
            (
                row["original_due_on"].as_str(),
                row["due_on"].as_str(),
                row["due_date_change"].as_str(),
                row["due_date_change_reason"].as_str()
            ),
            ("2021-06-30", "2021-09-30", "extended", reason)
        );
        assert_eq!(row["rag"], "AMBER", "not overdue: the date was extended");

        let xlsx = fetch(&app, Some(&people.viewer), &path("xlsx")).await.ok();
        let plan = sheet(&xlsx.bytes, "Action plan");
        assert_eq!(text_of(&plan[1][0]), format!("R1: {long} (open)"));
        assert_eq!(text_of(&plan[2][1]), owner);
        assert_eq!(day(&plan[2][3]), "2021-06-30");
        assert_eq!(text_of(&plan[2][4]), format!("Extended: {reason}"));
        assert_eq!(text_of(&plan[2][7]), narrative);
        let summary = sheet(&xlsx.bytes, "Summary");
        assert_eq!(text_of(&summary[1][0]), title);

        let body = docx_text(
            &fetch(&app, Some(&people.viewer), &path("docx"))
                .await
                .ok()
                .bytes,
        );
        for text in [
            title,
            owner,
            reason,
            "Extended: ",
            "Debrief \"lessons\" & <actions> agreed.",
        ] {
            assert!(body.contains(text), "Word lost {text}");
        }
        assert!(body.contains(&long));
        let pdf = fetch(&app, Some(&people.viewer), &path("pdf")).await.ok();
        if let Some(text) = pdf_text(&pdf.bytes) {
            for words in [
                title,
                owner,
                &format!("Extended: {reason}"),
                &fold(narrative),
            ] {
                assert!(text.contains(words), "the PDF lost {words}");
            }
            // The long text runs on over pages, whole, never over the footer.
            assert_eq!(
                text.matches("Assure the plan's & the partners' arrangements.")
                    .count(),
                187
            );
        }
    }
);
