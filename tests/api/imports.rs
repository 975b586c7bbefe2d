//! Spreadsheets in: the Essex peer review's action plan, as an officer would have typed it in
//! Excel and saved as CSV, dry-run with exactly the errors and warnings its cells deserve,
//! imported after one correction, its RAG as at 30 November 2021 the same as the demo plan's;
//! every format, encoding and separator; re-imports that change nothing, update, or meet a
//! conflict; every kind of bad file refused with its code and nothing written; and no import
//! reaching another organisation's review or another's imports.

use resilience_hub::auth::Role;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Gql, TestApp, api_test, token};

pub(crate) const IMPORT_PLAN: &str = r#"mutation($input: ImportActionPlanInput!) {
  importActionPlan(input: $input) {
    id dryRun committed fileName sizeBytes sha256 sheet headerRow rowsRead
    columns { column header field source }
    created { recommendations actions progressUpdates dueDateChanges }
    updated { recommendations actions progressUpdates dueDateChanges }
    unchanged { recommendations actions progressUpdates dueDateChanges }
    errors { row column header value code message suggestion }
    warnings { row column header value code message suggestion }
    conflicts { row value code message }
    review { id title }
  }
}"#;

const PROGRESS: &str = r#"query($id: ID!, $asOf: Date) {
  review(id: $id) { id
    progress(asOf: $asOf) { recommendationsTotal actionsTotal green amber red }
    actions(first: 100, asOf: $asOf) { nodes { id title owner detail originalDueOn dueOn
      standing { status rag dueOn completedOn } } } }
}"#;

/// One row of the Essex plan: recommendation (blank on a continuation row), action, owner,
/// delivery date as typed, status word.
type EssexRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The Essex monthly update's table (30 November 2021), as the officer kept it: no reference
/// column, a recommendation's second action on a row of its own, a note after one date and a
/// typo in another. The status words are the officer's own mix.
pub(crate) fn essex_rows(typo: bool) -> Vec<EssexRow> {
    vec![
        (
            "Provide further evidence for the enhancement of the sharing of information and expectations to businesses.",
            "Develop a communications plan to share with customers.",
            "Head of Protection and Prevention/Corporate comms.",
            "31/12/2021 (On Approval)",
            "On track",
        ),
        (
            "Clarify & evidence provision of Out of Hours FP cover",
            "Rebalance the flexi duty rota and make best use of staff we already have.",
            "Head of Ops Policy",
            "31/07/2021",
            "Complete",
        ),
        (
            "",
            "Establish an out of hours system for day duty fire safety officers.",
            "Head of Protection",
            "28/02/2021",
            "Completed",
        ),
        (
            "Include some commentary within the Protection Strategy to explain sufficiency of resources or planning to enhance this.",
            "This is included in the staff succession planning currently and will be picked up in the annual review of the Protection strategy.",
            "Head of Prevention and Protection",
            if typo { "31//12/2021" } else { "31/12/2021" },
            "On track",
        ),
        (
            "Outline clear objectives & target figures for audit activity in order to evidence the ability to meet these.",
            "Set a performance target in the monthly, quarterly and annual performance reports – monitored at the quarterly P and P board.",
            "Head of Prevention and Protection",
            "01/04/2021",
            "Green",
        ),
        (
            "Create links to the HR policy/people strategy for Fire Protection",
            "Restructure of the Protection function then embed this into the service people strategy",
            "Head of Prevention and Protection",
            "31/12/2021",
            "Amber",
        ),
        (
            "Supply and/or provide clear link to Quality Assurance Policy for all audit activity.",
            "Embed the Quality Assurance Process within Protection activities",
            "Head of Protection",
            "31/03/2021",
            "Done",
        ),
        (
            "",
            "Create a recording and reporting process to enable activity to be monitored and action taken to resolve.",
            "Head of Prevention and Protection",
            "31/07/2021",
            "Complete",
        ),
        (
            "Outline clear objectives & rationale for enforcement activity in order to evidence the ability to increase this activity",
            "Review the Enforcement policy to include clearer objectives and rationale.",
            "Head of Prevention and Protection",
            "28/02/2021",
            "Complete",
        ),
        (
            "Provide further evidence for the enhancement of pro-active engagement with businesses to promote fire safety.",
            "Appoint business engagement managers",
            "Head of Prevention and Protection/ Corporate Comms",
            "31/05/2021",
            "Completed",
        ),
    ]
}

const ESSEX_HEADER: [&str; 5] = [
    "Recommendation",
    "Actions",
    "Owner",
    "Delivery Date",
    "Status",
];

/// The plan as an Excel workbook: a title above the table (as officers do), dates that Excel
/// understood as real dates, and the two it could not left as text.
pub(crate) fn essex_xlsx(typo: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Action Plan").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .write_string(
            0,
            0,
            "Protection Improvement Plan Peer Review – action plan",
        )
        .unwrap();
    for (c, h) in ESSEX_HEADER.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (i, (rec, action, owner, due, status)) in essex_rows(typo).into_iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, rec).unwrap();
        sheet.write_string(r, 1, action).unwrap();
        sheet.write_string(r, 2, owner).unwrap();
        match chrono::NaiveDate::parse_from_str(due, "%d/%m/%Y") {
            Ok(d) => {
                let d = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                    .unwrap();
                sheet.write_datetime_with_format(r, 3, &d, &date).unwrap();
            }
            Err(_) => {
                sheet.write_string(r, 3, due).unwrap();
            }
        }
        sheet.write_string(r, 4, status).unwrap();
    }
    book.save_to_buffer().unwrap()
}

use chrono::Datelike;

/// The plan as CSV text.
fn essex_csv_text(typo: bool, separator: char) -> String {
    let quote = |s: &str| {
        if s.contains([',', ';', '"', '\t']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = ESSEX_HEADER.join(&separator.to_string());
    out.push_str("\r\n");
    for (rec, action, owner, due, status) in essex_rows(typo) {
        let cells = [rec, action, owner, due, status].map(quote);
        out.push_str(&cells.join(&separator.to_string()));
        out.push_str("\r\n");
    }
    out
}

/// The plan as older Excel saves "CSV": Windows-1252, where the en dash is byte 0x96.
pub(crate) fn essex_csv_1252(typo: bool) -> Vec<u8> {
    let text = essex_csv_text(typo, ',');
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    assert!(bytes.contains(&0x96), "the en dash is in the file, as 0x96");
    bytes.into_owned()
}

fn input(review: Value, dry_run: bool) -> Value {
    let mut input = json!({ "file": null, "dryRun": dry_run, "asAt": "2021-11-30" });
    for (k, v) in review.as_object().unwrap() {
        input[k] = v.clone();
    }
    json!({ "input": input })
}

fn new_review() -> Value {
    json!({ "newReview": {
        "kind": "PEER_REVIEW",
        "title": "Protection Improvement Plan peer review (imported)",
        "reviewer": "Hertfordshire Fire and Rescue Service",
        "reportedOn": "2021-01-29"
    } })
}

pub(crate) async fn import(
    app: &TestApp,
    tok: &str,
    variables: Value,
    name: &str,
    bytes: &[u8],
) -> Gql {
    app.upload(Some(tok), IMPORT_PLAN, variables, name, bytes)
        .await
}

fn report(resp: &Gql) -> Value {
    resp.data()["importActionPlan"].clone()
}

/// A problem's identifying parts: row, column, code, value, suggestion.
fn brief(problems: &Value) -> Vec<(i64, String, String, String, String)> {
    problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap_or(0),
                p["column"].as_str().unwrap_or("").to_owned(),
                p["code"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap_or("").to_owned(),
                p["suggestion"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn counts(v: &Value) -> (i64, i64, i64, i64) {
    (
        v["recommendations"].as_i64().unwrap(),
        v["actions"].as_i64().unwrap(),
        v["progressUpdates"].as_i64().unwrap(),
        v["dueDateChanges"].as_i64().unwrap(),
    )
}

/// The essex demo review's id.
async fn demo_essex_review(app: &TestApp, tok: &str) -> String {
    let resp = app
        .gql(
            Some(tok),
            "{ reviews(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    resp.data()["reviews"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

api_test!(
    the_essex_table_dry_runs_with_its_errors_then_imports_with_the_demo_plans_rag,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let with_typo = essex_xlsx(true);

        // The dry run: exactly the typo (an error, with the date it most likely means) and the
        // note after a date (a warning); the header found under the title, every column read.
        let before = app.snapshot().await;
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            "essex-plan.xlsx",
            &with_typo,
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["dryRun"], json!(true));
        assert_eq!(r["committed"], json!(false));
        assert_eq!(r["sheet"], json!("Action Plan"));
        assert_eq!(r["headerRow"], json!(3));
        assert_eq!(r["rowsRead"], json!(10));
        let fields: Vec<&str> = r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "RECOMMENDATION",
                "ACTION",
                "OWNER",
                "DELIVERY_DATE",
                "STATUS"
            ]
        );
        assert_eq!(
            brief(&r["errors"]),
            [(
                7,
                "D".to_owned(),
                "BAD_DATE".to_owned(),
                "31//12/2021".to_owned(),
                "2021-12-31".to_owned()
            )]
        );
        assert_eq!(
            brief(&r["warnings"]),
            [(
                4,
                "D".to_owned(),
                "DATE_NOTE".to_owned(),
                "31/12/2021 (On Approval)".to_owned(),
                "2021-12-31".to_owned()
            )]
        );
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("31/12/2021")
        );
        assert_eq!(r["errors"][0]["header"], json!("Delivery Date"));
        assert_eq!(counts(&r["created"]), (8, 9, 0, 0));
        assert!(r["review"].is_null(), "a dry run creates no review");
        assert_eq!(r["sha256"], json!(hex(&Sha256::digest(&with_typo))));
        assert_eq!(r["sizeBytes"], json!(with_typo.len()));

        // A real run of the same file writes nothing but its record: the error stops it.
        let resp = import(
            &app,
            &manager,
            input(new_review(), false),
            "essex-plan.xlsx",
            &with_typo,
        )
        .await;
        let r = report(&resp);
        assert_eq!(
            (r["dryRun"].clone(), r["committed"].clone()),
            (json!(false), json!(false))
        );
        assert_eq!(r["errors"].as_array().unwrap().len(), 1);
        let after: Vec<_> = app
            .snapshot()
            .await
            .into_iter()
            .filter(|(t, _)| t != "imports")
            .collect();
        let before: Vec<_> = before.into_iter().filter(|(t, _)| t != "imports").collect();
        assert_eq!(before, after, "a refused import writes nothing");

        // Corrected, it imports: all ten actions, the note kept in the action's detail.
        let corrected = essex_xlsx(false);
        let resp = import(
            &app,
            &manager,
            input(new_review(), false),
            "essex-plan.xlsx",
            &corrected,
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["committed"], json!(true), "{r}");
        assert!(r["errors"].as_array().unwrap().is_empty());
        assert_eq!(counts(&r["created"]), (8, 10, 0, 0));
        let imported = r["review"]["id"].as_str().unwrap().to_owned();
        let import_id = r["id"].as_str().unwrap().to_owned();

        // Its RAG as at 30 November 2021 is the demo plan's: 7 complete, 3 on track.
        let demo = demo_essex_review(&app, &manager).await;
        let ours = app
            .gql(
                Some(&manager),
                PROGRESS,
                json!({ "id": imported, "asOf": "2021-11-30" }),
            )
            .await;
        let theirs = app
            .gql(
                Some(&manager),
                PROGRESS,
                json!({ "id": demo, "asOf": "2021-11-30" }),
            )
            .await;
        let progress = ours.data()["review"]["progress"].clone();
        assert_eq!(progress, theirs.data()["review"]["progress"]);
        assert_eq!(
            progress,
            json!({ "recommendationsTotal": 8, "actionsTotal": 10, "green": 7, "amber": 3, "red": 0 })
        );
        let actions = ours.data()["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        let comms = actions
            .iter()
            .find(|a| a["title"] == json!("Develop a communications plan to share with customers."))
            .unwrap();
        assert_eq!(comms["dueOn"], json!("2021-12-31"));
        assert!(
            comms["detail"].as_str().unwrap().contains("On Approval"),
            "{comms}"
        );
        assert!(
            actions
                .iter()
                .any(|a| a["title"].as_str().unwrap().contains("reports – monitored"))
        );

        // The audit events of what it wrote carry its id.
        let events = app
            .gql(
                Some(&manager),
                "query($id: ID) { auditEvents(entityId: $id, first: 5) { nodes { operation importId } } }",
                json!({ "id": comms["id"] }),
            )
            .await;
        assert_eq!(
            events.data()["auditEvents"]["nodes"],
            json!([{ "operation": "CREATE", "importId": import_id }])
        );

        // The same file again changes nothing.
        let again = import(
            &app,
            &manager,
            input(json!({ "reviewId": imported }), false),
            "essex-plan.xlsx",
            &corrected,
        )
        .await;
        let r = report(&again);
        assert_eq!(r["committed"], json!(true));
        assert_eq!(counts(&r["created"]), (0, 0, 0, 0));
        assert_eq!(counts(&r["updated"]), (0, 0, 0, 0));
        assert_eq!(counts(&r["unchanged"]), (8, 10, 0, 0));

        // The organisation's imports, newest first.
        let list = app
            .gql(
                Some(&manager),
                "{ imports(first: 10) { totalCount nodes { id fileName dryRun outcome sha256 sizeBytes created errors importedBy { id } } } }",
                json!({}),
            )
            .await;
        let nodes = list.data()["imports"]["nodes"].as_array().unwrap().clone();
        let outcomes: Vec<&str> = nodes
            .iter()
            .map(|n| n["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["IMPORTED", "IMPORTED", "REFUSED", "CHECKED"]);
        assert_eq!(nodes[1]["id"], json!(import_id));
        assert_eq!(nodes[1]["created"], json!(18));
        assert_eq!(nodes[2]["errors"], json!(1));
        assert_eq!(nodes[3]["dryRun"], json!(true));
        assert_eq!(nodes[1]["sha256"], json!(hex(&Sha256::digest(&corrected))));
        assert!(nodes[1]["importedBy"]["id"].is_string());
    }
);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

api_test!(
    the_essex_csv_in_windows_1252_reads_as_the_workbook_does,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            "essex-plan.csv",
            &essex_csv_1252(true),
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["sheet"], json!("CSV"));
        assert_eq!(r["headerRow"], json!(1));
        assert_eq!(
            brief(&r["errors"]),
            [(
                5,
                "D".to_owned(),
                "BAD_DATE".to_owned(),
                "31//12/2021".to_owned(),
                "2021-12-31".to_owned()
            )]
        );
        assert_eq!(brief(&r["warnings"]).len(), 1);
        assert_eq!(r["warnings"][0]["code"], json!("DATE_NOTE"));

        let resp = import(
            &app,
            &manager,
            input(new_review(), false),
            "essex-plan.csv",
            &essex_csv_1252(false),
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["committed"], json!(true), "{r}");
        let id = r["review"]["id"].as_str().unwrap();
        let ours = app
            .gql(
                Some(&manager),
                PROGRESS,
                json!({ "id": id, "asOf": "2021-11-30" }),
            )
            .await;
        let actions = ours.data()["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            actions
                .iter()
                .any(|a| a["title"].as_str().unwrap().contains("reports – monitored")),
            "the en dash decoded from Windows-1252"
        );
        assert_eq!(ours.data()["review"]["progress"]["green"], json!(7));

        // UTF-8 with and without a byte-order mark, separated by semicolons or tabs.
        for (name, bytes) in [
            (
                "utf8-bom.csv",
                [
                    b"\xEF\xBB\xBF".as_slice(),
                    essex_csv_text(false, ';').as_bytes(),
                ]
                .concat(),
            ),
            ("tabs.csv", essex_csv_text(false, '\t').into_bytes()),
            ("semicolons.txt", essex_csv_text(false, ';').into_bytes()),
        ] {
            let resp = import(&app, &manager, input(new_review(), true), name, &bytes).await;
            let r = report(&resp);
            assert_eq!(r["rowsRead"], json!(10), "{name}");
            assert!(r["errors"].as_array().unwrap().is_empty(), "{name}: {r}");
            assert_eq!(r["columns"].as_array().unwrap().len(), 5, "{name}");
        }
    }
);

/// Writes the Essex workbook and CSV the fixtures of other formats were made from (by an
/// office suite: `soffice --headless --convert-to xls|ods essex-plan.xlsx`):
/// `WRITE_IMPORT_FIXTURES=tests/fixtures/imports cargo test --test api imports::fixtures`.
#[test]
fn fixtures() {
    let Ok(dir) = std::env::var("WRITE_IMPORT_FIXTURES") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("essex-plan.xlsx"), essex_xlsx(false)).unwrap();
    std::fs::write(dir.join("essex-plan.csv"), essex_csv_1252(false)).unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/imports")
            .join(name),
    )
    .unwrap()
}

api_test!(every_office_format_reads_the_same_plan, |app| {
    app.seed_demo().await;
    let manager = token("essex-fire", Role::Manager);
    // Saved from the workbook by an office suite: Excel 97 (.xls), macro-enabled (.xlsm)
    // and OpenDocument (.ods).
    for name in ["essex-plan.xls", "essex-plan.xlsm", "essex-plan.ods"] {
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            name,
            &fixture(name),
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["rowsRead"], json!(10), "{name}: {r}");
        assert_eq!(r["headerRow"], json!(3), "{name}");
        assert!(r["errors"].as_array().unwrap().is_empty(), "{name}: {r}");
        assert_eq!(counts(&r["created"]), (8, 10, 0, 0), "{name}");
        assert_eq!(brief(&r["warnings"]).len(), 1, "{name}");
    }
});

/// A workbook as officers' trackers are: a hidden sheet of old data with a better-looking
/// header, a recommendation cell merged over its two actions, an owner computed by a formula,
/// dates as Excel serial numbers, a RAG column beside the status, and an update column.
fn tracker_xlsx(statuses: &[(&str, &str)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let hidden = book.add_worksheet();
    hidden.set_name("Old").unwrap();
    for (c, h) in [
        "Ref",
        "Recommendation",
        "Action",
        "Owner",
        "Due date",
        "Status",
        "RAG",
        "Update",
    ]
    .iter()
    .enumerate()
    {
        hidden.write_string(0, c as u16, *h).unwrap();
    }
    hidden
        .write_string(1, 2, "An action from last year")
        .unwrap();
    hidden.set_hidden(true);
    let sheet = book.add_worksheet();
    sheet.set_name("Tracker").unwrap();
    // The hidden sheet comes first: Excel keeps the active sheet visible.
    sheet.set_active(true);
    for (c, h) in [
        "Ref",
        "Area for improvement",
        "Agreed action(s)",
        "Lead officer",
        "Target date",
        "Progress",
        "RAG",
        "Commentary",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let merged = Format::new();
    sheet
        .merge_range(
            1,
            1,
            2,
            1,
            "Exercise the borough emergency centre at least once a year.",
            &merged,
        )
        .unwrap();
    sheet.merge_range(1, 0, 2, 0, "AFI 1", &merged).unwrap();
    for (i, (status, rag)) in statuses.iter().enumerate() {
        let r = 1 + i as u32;
        if i >= 2 {
            sheet.write_string(r, 0, format!("AFI {i}")).unwrap();
            sheet
                .write_string(r, 1, format!("Area for improvement number {i}."))
                .unwrap();
        }
        sheet
            .write_string(r, 2, format!("Action {}", i + 1))
            .unwrap();
        sheet
            .write_formula(
                r,
                3,
                rust_xlsxwriter::Formula::new("=\"Head of \"&\"Resilience\"")
                    .set_result("Head of Resilience"),
            )
            .unwrap();
        // 30 June 2024 as a serial number, in a cell without a date format.
        sheet.write_number(r, 4, 45473.0).unwrap();
        sheet.write_string(r, 5, *status).unwrap();
        sheet.write_string(r, 6, *rag).unwrap();
        sheet
            .write_string(r, 7, format!("Update on action {}", i + 1))
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

api_test!(
    a_trackers_words_merged_cells_formulas_and_statuses_are_read,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        // Every status word; the RAG column checked against the dates as at 1 July 2024, when
        // an action due 30 June and not complete is red.
        let statuses = [
            ("Complete", "Green"),
            ("Completed", ""),
            ("Green", ""),
            ("Done", ""),
            ("On track", "Amber"),
            ("Amber", ""),
            ("Not started", ""),
            ("Red", "Red"),
            ("Overdue", ""),
            ("", ""),
            ("Perhaps", ""),
        ];
        let mut variables = input(new_review(), true);
        variables["input"]["asAt"] = json!("2024-07-01");
        let resp = import(
            &app,
            &manager,
            variables.clone(),
            "tracker.xlsx",
            &tracker_xlsx(&statuses),
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["sheet"], json!("Tracker"), "the hidden sheet is ignored");
        let fields: Vec<&str> = r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "REFERENCE",
                "RECOMMENDATION",
                "ACTION",
                "OWNER",
                "DELIVERY_DATE",
                "STATUS",
                "RAG",
                "UPDATE"
            ]
        );
        // One unknown word; the two on-track actions past their date are worth a warning.
        assert_eq!(
            brief(&r["errors"]),
            [(
                12,
                "F".to_owned(),
                "UNKNOWN_STATUS".to_owned(),
                "Perhaps".to_owned(),
                String::new()
            )]
        );
        let warnings = brief(&r["warnings"]);
        assert_eq!(
            warnings
                .iter()
                .map(|w| (w.0, w.2.as_str(), w.4.as_str()))
                .collect::<Vec<_>>(),
            [(6, "RAG_DISAGREES", "RED"), (7, "RAG_DISAGREES", "RED")]
        );
        // AFI 1 over two rows (merged), then one recommendation per row.
        assert_eq!(counts(&r["created"]), (10, 10, 10, 0));

        // Without the unknown word it imports; the statuses are what the words say.
        let statuses = &statuses[..10];
        variables["input"]["dryRun"] = json!(false);
        let resp = import(
            &app,
            &manager,
            variables.clone(),
            "tracker.xlsx",
            &tracker_xlsx(statuses),
        )
        .await;
        let r = report(&resp);
        assert_eq!(r["committed"], json!(true), "{r}");
        let id = r["review"]["id"].as_str().unwrap();
        let ours = app
            .gql(
                Some(&manager),
                PROGRESS,
                json!({ "id": id, "asOf": "2024-07-01" }),
            )
            .await;
        let mut got: Vec<(String, String, String)> = ours.data()["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["title"].as_str().unwrap().to_owned(),
                    a["standing"]["status"].as_str().unwrap().to_owned(),
                    a["owner"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort_by_key(|(t, _, _)| t[7..].parse::<u32>().unwrap());
        let want = [
            "COMPLETE",
            "COMPLETE",
            "COMPLETE",
            "COMPLETE",
            "IN_PROGRESS",
            "IN_PROGRESS",
            "NOT_STARTED",
            "IN_PROGRESS",
            "IN_PROGRESS",
            "NOT_STARTED",
        ];
        assert_eq!(got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(), want);
        assert!(
            got.iter().all(|g| g.2 == "Head of Resilience"),
            "a formula reads as its value"
        );
    }
);

api_test!(an_explicit_mapping_overrides_the_headers_words, |app| {
    app.seed_demo().await;
    let manager = token("essex-fire", Role::Manager);
    let csv = "Issue,What we will do,Who,When,Where we are\r\n\
                   Improve the exercise programme.,Run a live exercise,Head of Resilience,31/03/2025,Not started\r\n";
    // "What we will do", "Who", "When" and "Where we are" name nothing the importer knows.
    let resp = import(
        &app,
        &manager,
        input(new_review(), true),
        "plan.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(resp.codes(), ["NO_HEADER"]);
    let mut variables = input(new_review(), true);
    variables["input"]["mapping"] = json!([
        { "column": "What we will do", "field": "ACTION" },
        { "column": "C", "field": "OWNER" },
        { "column": "when", "field": "DELIVERY_DATE" },
        { "column": "Where we are", "field": "STATUS" },
    ]);
    let resp = import(&app, &manager, variables, "plan.csv", csv.as_bytes()).await;
    let r = report(&resp);
    let columns: Vec<(String, String)> = r["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("RECOMMENDATION".to_owned(), "RECOGNISED".to_owned()),
            ("ACTION".to_owned(), "MAPPED".to_owned()),
            ("OWNER".to_owned(), "MAPPED".to_owned()),
            ("DELIVERY_DATE".to_owned(), "MAPPED".to_owned()),
            ("STATUS".to_owned(), "MAPPED".to_owned()),
        ]
    );
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(counts(&r["created"]), (1, 1, 0, 0));
});

api_test!(
    an_updated_file_updates_what_it_matches_and_a_change_in_the_service_is_a_conflict,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let header = "Ref,Recommendation,Action,Owner,Delivery date,Status,Update\r\n";
        let first = format!(
            "{header}R1,Exercise the emergency centre.,Run a live exercise,Head of Resilience,31/03/2025,On track,Planning under way\r\n\
             ,,Record lessons identified,Head of Resilience,30/04/2025,Not started,\r\n"
        );
        let mut variables = input(new_review(), false);
        variables["input"]["asAt"] = json!("2025-01-15");
        let r = report(&import(&app, &manager, variables, "plan.csv", first.as_bytes()).await);
        assert_eq!(r["committed"], json!(true), "{r}");
        assert_eq!(counts(&r["created"]), (1, 2, 1, 0));
        let review = r["review"]["id"].as_str().unwrap().to_owned();
        let mut again = input(json!({ "reviewId": review }), false);
        again["input"]["asAt"] = json!("2025-02-15");

        // The next version: the exercise moved and done, a third action, the second as it was.
        let second = format!(
            "{header}R1,Exercise the emergency centre.,Run a live exercise,Head of Resilience,30/04/2025,Complete,Exercise held\r\n\
             ,,Record lessons identified,Head of Resilience,30/04/2025,Not started,\r\n\
             ,,Share lessons with the partnership,Head of Resilience,31/05/2025,Not started,\r\n"
        );
        let r = report(
            &import(
                &app,
                &manager,
                again.clone(),
                "plan-v2.csv",
                second.as_bytes(),
            )
            .await,
        );
        assert_eq!(r["committed"], json!(true), "{r}");
        assert_eq!(counts(&r["created"]), (0, 1, 0, 0));
        assert_eq!(counts(&r["updated"]), (0, 1, 1, 1));
        assert_eq!(counts(&r["unchanged"]), (1, 1, 0, 0));
        let plan = app
            .gql(Some(&manager), PROGRESS, json!({ "id": review }))
            .await;
        let actions = plan.data()["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(actions.len(), 3, "nothing duplicated");
        let exercise = actions
            .iter()
            .find(|a| a["title"] == json!("Run a live exercise"))
            .unwrap()
            .clone();
        assert_eq!(exercise["dueOn"], json!("2025-04-30"));
        assert_eq!(exercise["originalDueOn"], json!("2025-03-31"));
        assert_eq!(exercise["standing"]["status"], json!("COMPLETE"));
        let changes = app
            .gql(
                Some(&manager),
                "query($id: ID!) { action(id: $id) { dueDateChanges { previousDueOn newDueOn reason } } }",
                json!({ "id": exercise["id"] }),
            )
            .await;
        assert_eq!(
            changes.data()["action"]["dueDateChanges"],
            json!([{ "previousDueOn": "2025-03-31", "newDueOn": "2025-04-30", "reason": "imported from plan-v2.csv" }])
        );

        // Someone changes the second action in the service; a file that changes it too is
        // told so, and the service's change stands.
        let lessons = actions
            .iter()
            .find(|a| a["title"] == json!("Record lessons identified"))
            .unwrap()
            .clone();
        let changed = app
            .gql(
                Some(&manager),
                "mutation($id: ID!) { updateAction(input: { id: $id, version: 1, owner: \"Emergency Planning Manager\" }) { action { owner } } }",
                json!({ "id": lessons["id"] }),
            )
            .await;
        assert_eq!(
            changed.data()["updateAction"]["action"]["owner"],
            json!("Emergency Planning Manager")
        );
        let third = second.replace(
            ",,Record lessons identified,Head of Resilience,30/04/2025,Not started,",
            ",,Record lessons identified,Head of Resilience,31/05/2025,On track,",
        );
        let r = report(
            &import(
                &app,
                &manager,
                again.clone(),
                "plan-v3.csv",
                third.as_bytes(),
            )
            .await,
        );
        assert_eq!(r["committed"], json!(true), "{r}");
        assert_eq!(
            r["conflicts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["row"].clone(), c["code"].clone()))
                .collect::<Vec<_>>(),
            [(json!(3), json!("CONFLICT"))]
        );
        assert!(
            r["conflicts"][0]["message"]
                .as_str()
                .unwrap()
                .contains("owner, delivery date, status")
        );
        let plan = app
            .gql(Some(&manager), PROGRESS, json!({ "id": review }))
            .await;
        let lessons = plan.data()["review"]["actions"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == json!("Record lessons identified"))
            .unwrap()
            .clone();
        assert_eq!(
            lessons["owner"],
            json!("Emergency Planning Manager"),
            "not overwritten"
        );
        assert_eq!(lessons["dueOn"], json!("2025-04-30"));
        // Until the file agrees with the service, the conflict stands.
        let r = report(&import(&app, &manager, again, "plan-v3.csv", third.as_bytes()).await);
        assert_eq!(r["conflicts"].as_array().unwrap().len(), 1);
    }
);

/// A zip of the given parts, as an Office file is.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in parts {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// A workbook whose one sheet expands to 200 MB of nothing.
fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..200 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// A workbook whose shared strings declare the billion laughs.
fn entity_bomb() -> Vec<u8> {
    let mut workbook = essex_xlsx(false);
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(std::mem::take(&mut workbook))).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        use std::io::Read;
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == "xl/sharedStrings.xml" {
            let mut lol =
                String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
            for n in 1..10 {
                lol.push_str(&format!(
                    "<!ENTITY lol{n} \"{}\">",
                    format!("&lol{};", n - 1)
                        .repeat(10)
                        .replace("&lol0;", "&lol;")
                ));
            }
            lol.push_str("]>");
            let text = String::from_utf8(bytes).unwrap();
            let body = text.split_once("?>").map_or(text.as_str(), |(_, b)| b);
            bytes = format!("{lol}{}", body.replacen("<t>", "<t>&lol9;", 1)).into_bytes();
        }
        parts.push((name, bytes));
    }
    let parts: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    zip_of(&parts)
}

api_test!(
    a_bad_file_is_refused_with_its_code_and_nothing_is_written,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let big_rows = {
            let mut s = String::from("Recommendation,Action,Owner,Due date,Status\r\n");
            for i in 0..10_001 {
                s.push_str(&format!(
                    "R,Action {i},Head of Resilience,31/03/2025,Not started\r\n"
                ));
            }
            s
        };
        let wide = {
            let header: Vec<String> = (0..51)
                .map(|i| {
                    if i == 0 {
                        "Action".to_owned()
                    } else {
                        format!("Column {i}")
                    }
                })
                .collect();
            format!(
                "{}\r\nRun an exercise{}\r\n",
                header.join(","),
                ",x".repeat(50)
            )
        };
        let long_cell = format!(
            "Recommendation,Action,Owner,Due date,Status\r\nR,{},Head of Resilience,31/03/2025,Not started\r\n",
            "x".repeat(100_000)
        );
        let mut five_mb = String::from("Recommendation,Action,Owner,Due date,Status\r\n");
        while five_mb.len() < 5_000_000 {
            five_mb.push_str(
                "A recommendation,An action,Head of Resilience,31/03/2025,Not started\r\n",
            );
        }
        let mut truncated = essex_xlsx(false);
        truncated.truncate(truncated.len() / 2);
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89".to_vec();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("picture.png", png, "NOT_A_SPREADSHEET"),
            (
                "plan.xlsx",
                b"just some text, named as a workbook".to_vec(),
                "FILE_CORRUPT",
            ),
            ("truncated.xlsx", truncated, "FILE_CORRUPT"),
            (
                "protected.xlsx",
                fixture("protected.xlsx"),
                "FILE_PROTECTED",
            ),
            ("bomb.xlsx", zip_bomb(), "FILE_TOO_LARGE"),
            ("laughs.xlsx", entity_bomb(), "FILE_CORRUPT"),
            ("big.csv", five_mb.into_bytes(), "FILE_TOO_LARGE"),
            ("rows.csv", big_rows.into_bytes(), "TOO_MANY_ROWS"),
            ("wide.csv", wide.into_bytes(), "TOO_MANY_COLUMNS"),
            ("no-header.csv", b"a,b,c\r\n1,2,3\r\n".to_vec(), "NO_HEADER"),
            ("long.csv", long_cell.into_bytes(), "CELL_TOO_LONG"),
            ("empty.csv", Vec::new(), "NOT_A_SPREADSHEET"),
        ];
        let before = app.snapshot().await;
        for (name, bytes, code) in cases {
            for dry_run in [true, false] {
                let resp = import(&app, &manager, input(new_review(), dry_run), name, &bytes).await;
                assert_eq!(resp.codes(), [code], "{name}: {}", resp.body);
                assert!(
                    resp.body["data"].is_null() || resp.body["data"]["importActionPlan"].is_null()
                );
            }
        }
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            "long.csv",
            format!("Action\r\n{}\r\n", "y".repeat(40_000)).as_bytes(),
        )
        .await;
        assert_eq!(resp.error("CELL_TOO_LONG")["extensions"]["row"], json!(2));
        assert_eq!(
            resp.error("CELL_TOO_LONG")["extensions"]["column"],
            json!("A")
        );
        assert_eq!(app.snapshot().await, before, "no table changed");
        // The service is unharmed.
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            "essex.csv",
            &essex_csv_1252(false),
        )
        .await;
        assert_eq!(report(&resp)["rowsRead"], json!(10));

        // A body past the bound is refused before it is read.
        let resp = import(
            &app,
            &manager,
            input(new_review(), true),
            "huge.csv",
            &vec![b'a'; 7_000_000],
        )
        .await;
        assert_eq!(resp.status, 413);
        assert_eq!(resp.codes(), ["FILE_TOO_LARGE"]);
    }
);

api_test!(
    another_organisations_review_answers_as_one_that_does_not_exist_and_only_managers_import,
    |app| {
        app.seed_demo().await;
        let essex = token("essex-fire", Role::Manager);
        let rotherham = token("rotherham", Role::Manager);
        let essex_review = demo_essex_review(&app, &essex).await;
        let made_up = resilience_hub::ids::ReviewId::new().to_string();
        let before = app.snapshot().await;
        let other = import(
            &app,
            &rotherham,
            input(json!({ "reviewId": essex_review }), false),
            "plan.csv",
            &essex_csv_1252(false),
        )
        .await;
        let missing = import(
            &app,
            &rotherham,
            input(json!({ "reviewId": made_up }), false),
            "plan.csv",
            &essex_csv_1252(false),
        )
        .await;
        assert_eq!(other.codes(), ["NOT_FOUND"]);
        let strip = |g: &Gql| {
            let mut e = g.body["errors"][0].clone();
            e["message"] = json!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .replace(&essex_review, "ID")
                    .replace(&made_up, "ID")
            );
            e
        };
        assert_eq!(strip(&other), strip(&missing));
        assert_eq!(app.snapshot().await, before, "nothing written");

        // Contributors and viewers of the review's own organisation may not import.
        for role in [Role::Contributor, Role::Viewer] {
            let tok = token("essex-fire", role);
            let resp = import(
                &app,
                &tok,
                input(json!({ "reviewId": essex_review }), true),
                "plan.csv",
                &essex_csv_1252(false),
            )
            .await;
            assert_eq!(resp.codes(), ["FORBIDDEN"], "{role:?}");
            let resp = import(
                &app,
                &tok,
                input(new_review(), true),
                "plan.csv",
                &essex_csv_1252(false),
            )
            .await;
            assert_eq!(resp.codes(), ["FORBIDDEN"], "{role:?}");
        }
        // No token, no import.
        let resp = app
            .upload(
                None,
                IMPORT_PLAN,
                input(new_review(), true),
                "plan.csv",
                &essex_csv_1252(false),
            )
            .await;
        assert_eq!(resp.codes(), ["UNAUTHENTICATED"]);
        assert_eq!(app.snapshot().await, before, "nothing written");

        // One organisation's imports are its own.
        let mine = import(
            &app,
            &essex,
            input(new_review(), true),
            "plan.csv",
            &essex_csv_1252(false),
        )
        .await;
        let id = report(&mine)["id"].as_str().unwrap().to_owned();
        let list = app
            .gql(
                Some(&rotherham),
                "{ imports(first: 5) { totalCount nodes { id } } }",
                json!({}),
            )
            .await;
        assert_eq!(list.data()["imports"]["totalCount"], json!(0));
        for query in [
            "query($id: ID!) { import(id: $id) { id } }",
            "query($id: ID!) { node(id: $id) { id } }",
        ] {
            let theirs = app.gql(Some(&rotherham), query, json!({ "id": id })).await;
            assert_eq!(theirs.codes(), ["NOT_FOUND"], "{query}");
            let own = app.gql(Some(&essex), query, json!({ "id": id })).await;
            assert!(own.body["errors"].is_null(), "{}", own.body);
        }
        let list = app
            .gql(
                Some(&token("essex-fire", Role::Viewer)),
                "{ imports(first: 5) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(list.codes(), ["FORBIDDEN"]);
    }
);

const PLAN: &str = r#"query($id: ID!) {
  review(id: $id) {
    recommendations { reference text status }
    actions(first: 100) { nodes { title owner detail originalDueOn dueOn
      standing { status completedOn rag }
      dueDateChanges { previousDueOn newDueOn reason }
      latestUpdate { narrative asAt } } } }
}"#;

api_test!(
    the_excel_action_plan_imports_back_into_an_empty_review_with_nothing_lost,
    |app| {
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let demo = demo_essex_review(&app, &manager).await;
        let resp = app
            .get(&format!("/reports/reviews/{demo}/action-plan.xlsx"))
            .bearer_auth(&manager)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let workbook = resp.bytes().await.unwrap().to_vec();

        let mut variables = input(new_review(), false);
        variables["input"].as_object_mut().unwrap().remove("asAt");
        let r = report(
            &import(
                &app,
                &manager,
                variables,
                "essex-action-plan.xlsx",
                &workbook,
            )
            .await,
        );
        assert_eq!(r["sheet"], json!("Data"));
        assert_eq!(r["committed"], json!(true), "{r}");
        assert!(r["warnings"].as_array().unwrap().is_empty(), "{r}");
        let imported = r["review"]["id"].as_str().unwrap();

        let plan = |id: String| {
            let app = &app;
            let manager = manager.clone();
            async move {
                let resp = app.gql(Some(&manager), PLAN, json!({ "id": id })).await;
                let mut review = resp.data()["review"].clone();
                let actions = review["actions"]["nodes"].as_array_mut().unwrap();
                actions.sort_by_key(|a| a["title"].as_str().unwrap().to_owned());
                for a in actions.iter_mut() {
                    // The import says where its change came from when the file gave no reason.
                    for c in a["dueDateChanges"].as_array_mut().unwrap() {
                        c.as_object_mut().unwrap().remove("effectiveOn");
                    }
                }
                review
            }
        };
        let ours = plan(imported.to_owned()).await;
        let theirs = plan(demo).await;
        assert_eq!(ours["recommendations"], theirs["recommendations"]);
        let strip = |review: &Value| -> Vec<Value> {
            review["actions"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    json!([
                        a["title"],
                        a["owner"],
                        a["originalDueOn"],
                        a["dueOn"],
                        a["standing"],
                        a["dueDateChanges"]
                            .as_array()
                            .unwrap()
                            .last()
                            .map(|c| c["reason"].clone()),
                        a["latestUpdate"]["narrative"]
                    ])
                })
                .collect()
        };
        assert_eq!(strip(&ours), strip(&theirs));
        assert_eq!(ours["actions"]["nodes"].as_array().unwrap().len(), 10);
    }
);

async fn download(app: &TestApp, tok: Option<&str>, path: &str) -> (u16, String, Vec<u8>) {
    let mut req = app.get(path);
    if let Some(tok) = tok {
        req = req.bearer_auth(tok);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let media = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, media, resp.bytes().await.unwrap().to_vec())
}

fn rows_of(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(sheet)
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn xml_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
    out
}

api_test!(the_templates_import_without_a_mapping, |app| {
    app.seed_demo().await;
    let manager = token("essex-fire", Role::Manager);
    // The action plan's: a header the importer reads whole, a drop-down of statuses.
    let (status, media, xlsx) = download(&app, None, "/templates/action-plan.xlsx").await;
    assert_eq!(status, 200);
    assert!(media.contains("spreadsheetml"));
    let header = rows_of(&xlsx, "Action plan")[0].clone();
    assert_eq!(header[0], "Reference");
    assert!(
        xml_part(&xlsx, "xl/worksheets/sheet1.xml")
            .contains("Not started,On track,Complete,Overdue,Withdrawn")
    );
    let r = report(
        &import(
            &app,
            &manager,
            input(new_review(), true),
            "template.xlsx",
            &xlsx,
        )
        .await,
    );
    assert_eq!(r["sheet"], json!("Action plan"));
    assert_eq!(r["rowsRead"], json!(0));
    assert!(
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"] == json!("RECOGNISED")),
        "{r}"
    );
    assert_eq!(r["columns"].as_array().unwrap().len(), 13);

    let (status, _, csv) = download(&app, None, "/templates/action-plan.csv").await;
    assert_eq!(status, 200);
    let mut filled = csv.clone();
    filled.extend_from_slice(
            "R1,Exercise the borough emergency centre.,1.1,Run a live exercise,Head of Resilience,31/03/2025,,,On track,,Planning under way,15/01/2025,\r\n".as_bytes(),
        );
    let r = report(
        &import(
            &app,
            &manager,
            input(new_review(), true),
            "filled.csv",
            &filled,
        )
        .await,
    );
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(counts(&r["created"]), (1, 1, 1, 0));
    assert_eq!(download(&app, None, "/templates/nothing.xlsx").await.0, 404);

    // A framework's: one row per standard, its levels a drop-down, for a caller who may read
    // it; another's draft answers as a missing one.
    let frameworks = app
        .gql(
            Some(&manager),
            "{ frameworks(first: 5) { nodes { id code standards { code } levels { label } } } }",
            json!({}),
        )
        .await;
    let fw = frameworks.data()["frameworks"]["nodes"][0].clone();
    let path = format!("/templates/assessment/{}.xlsx", fw["id"].as_str().unwrap());
    let (status, _, xlsx) = download(&app, Some(&manager), &path).await;
    assert_eq!(status, 200);
    let rows = rows_of(&xlsx, "Self-assessment");
    assert_eq!(rows.len(), 1 + fw["standards"].as_array().unwrap().len());
    assert_eq!(rows[1][0], fw["standards"][0]["code"].as_str().unwrap());
    let levels = rows_of(&xlsx, "Levels");
    assert_eq!(levels[1][1], fw["levels"][0]["label"].as_str().unwrap());
    assert!(xml_part(&xlsx, "xl/worksheets/sheet1.xml").contains("Levels!$B$2"));
    assert_eq!(download(&app, None, &path).await.0, 401);

    let panel = token("london-central", Role::Manager);
    let draft = crate::assurance::draft(&app, &panel, "PANEL-DRAFT", 2).await;
    let theirs = format!(
        "/templates/assessment/{}.xlsx",
        draft["id"].as_str().unwrap()
    );
    let made_up = format!(
        "/templates/assessment/{}.xlsx",
        resilience_hub::ids::FrameworkId::new()
    );
    let (status, _, body) = download(&app, Some(&manager), &theirs).await;
    let (status2, _, body2) = download(&app, Some(&manager), &made_up).await;
    assert_eq!((status, status2), (404, 404));
    let code = |b: &[u8]| {
        serde_json::from_slice::<Value>(b).unwrap()["errors"][0]["extensions"]["code"].clone()
    };
    assert_eq!(code(&body), json!("NOT_FOUND"));
    assert_eq!(code(&body), code(&body2));
    assert_eq!(download(&app, Some(&panel), &theirs).await.0, 200);
});

const IMPORT_ASSESSMENT: &str = r#"mutation($input: ImportAssessmentInput!) {
  importAssessment(input: $input) {
    id committed rowsRead sheet
    created { ratings evidence } updated { ratings evidence } unchanged { ratings evidence }
    errors { row column code value suggestion }
    assessment { id }
  }
}"#;

const RATINGS: &str = r#"query($id: ID!) { assessment(id: $id) {
  ratings { standard { code } level { code } positionStatement evidence { url } } } }"#;

api_test!(
    a_self_assessment_imports_from_its_template_into_a_draft,
    |app| {
        let w = crate::world::World::build(&app).await;
        let people = crate::plan::People::of(&w.council_a);
        let fw = crate::assurance::framework(&app, &w.admin, "NRS", 3).await;
        let a = crate::assurance::start(&app, &people.manager, &fw, "2024-25").await;
        let (status, _, template) = download(
            &app,
            Some(&people.manager),
            &format!("/templates/assessment/{}.xlsx", fw.id),
        )
        .await;
        assert_eq!(status, 200);
        // Filled in as an officer would: levels by their labels, links one per line; one
        // standard by its title, one level mistyped.
        let csv = "Standard,Standard title,Level,Position statement,Evidence\r\n\
                   S-01,Standard 1,good practice,Plans tested annually.,\"https://example.org/plan.pdf\nhttps://example.org/test.pdf\"\r\n\
                   ,Standard 2,developing,Training programme drafted.,\r\n\
                   S-03,Standard 3,excelent,,\r\n";
        let vars =
            |dry: bool| json!({ "input": { "file": null, "assessmentId": a, "dryRun": dry } });
        let resp = app
            .upload(
                Some(&people.manager),
                IMPORT_ASSESSMENT,
                vars(true),
                "self-assessment.csv",
                csv.as_bytes(),
            )
            .await;
        let r = resp.data()["importAssessment"].clone();
        assert_eq!(
            r["errors"],
            json!([{ "row": 4, "column": "C", "code": "UNKNOWN_LEVEL", "value": "excelent",
                     "suggestion": "not met, developing, good practice, leading practice" }])
        );
        let fixed = csv.replace("excelent", "leading practice");
        let resp = app
            .upload(
                Some(&people.manager),
                IMPORT_ASSESSMENT,
                vars(false),
                "self-assessment.csv",
                fixed.as_bytes(),
            )
            .await;
        let r = resp.data()["importAssessment"].clone();
        assert_eq!(r["committed"], json!(true), "{r}");
        assert_eq!(r["updated"], json!({ "ratings": 3, "evidence": 0 }));
        assert_eq!(r["created"], json!({ "ratings": 0, "evidence": 2 }));
        let ratings = app
            .gql(Some(&people.manager), RATINGS, json!({ "id": a }))
            .await;
        assert_eq!(
            ratings.data()["assessment"]["ratings"],
            json!([
                { "standard": { "code": "S-01" }, "level": { "code": "GOOD_PRACTICE" }, "positionStatement": "Plans tested annually.",
                  "evidence": [{ "url": "https://example.org/plan.pdf" }, { "url": "https://example.org/test.pdf" }] },
                { "standard": { "code": "S-02" }, "level": { "code": "DEVELOPING" }, "positionStatement": "Training programme drafted.", "evidence": [] },
                { "standard": { "code": "S-03" }, "level": { "code": "LEADING_PRACTICE" }, "positionStatement": null, "evidence": [] },
            ])
        );
        // Again: nothing changes, nothing doubles.
        let resp = app
            .upload(
                Some(&people.manager),
                IMPORT_ASSESSMENT,
                vars(false),
                "self-assessment.csv",
                fixed.as_bytes(),
            )
            .await;
        let r = resp.data()["importAssessment"].clone();
        assert_eq!(
            (
                r["updated"].clone(),
                r["created"].clone(),
                r["unchanged"]["ratings"].clone()
            ),
            (
                json!({ "ratings": 0, "evidence": 0 }),
                json!({ "ratings": 0, "evidence": 0 }),
                json!(3)
            )
        );

        // The template itself, filled in with calamine's help, imports too.
        let rows = rows_of(&template, "Self-assessment");
        assert_eq!(rows.len(), 4);

        // Another organisation's assessment answers as a missing one; contributors may not import.
        let other = crate::plan::People::of(&w.council_b);
        let before = app.snapshot().await;
        let theirs = app
            .upload(
                Some(&other.manager),
                IMPORT_ASSESSMENT,
                vars(false),
                "s.csv",
                fixed.as_bytes(),
            )
            .await;
        let made_up = app
            .upload(
                Some(&other.manager),
                IMPORT_ASSESSMENT,
                json!({ "input": { "file": null, "assessmentId": resilience_hub::ids::AssessmentId::new().to_string(), "dryRun": false } }),
                "s.csv",
                fixed.as_bytes(),
            )
            .await;
        assert_eq!(theirs.codes(), ["NOT_FOUND"]);
        assert_eq!(
            theirs.body["errors"][0]["message"],
            made_up.body["errors"][0]["message"]
        );
        let contributor = app
            .upload(
                Some(&people.contributor),
                IMPORT_ASSESSMENT,
                vars(true),
                "s.csv",
                fixed.as_bytes(),
            )
            .await;
        assert_eq!(contributor.codes(), ["FORBIDDEN"]);
        assert_eq!(app.snapshot().await, before);

        // A submitted assessment is locked.
        crate::assurance::submit(&app, &people.manager, &a).await;
        let locked = app
            .upload(
                Some(&people.manager),
                IMPORT_ASSESSMENT,
                vars(true),
                "s.csv",
                fixed.as_bytes(),
            )
            .await;
        assert_eq!(locked.codes(), ["FORBIDDEN"]);
    }
);

api_test!(
    the_command_line_imports_as_the_api_does_and_prints_the_report,
    |app| {
        use resilience_hub::imports::command_line::{Request, run, table};
        app.seed_demo().await;
        let manager = token("essex-fire", Role::Manager);
        let review = demo_essex_review(&app, &manager).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("essex-plan.csv");
        std::fs::write(&file, essex_csv_1252(false)).unwrap();
        let request = |commit: bool, org: &str| Request {
            org: org.to_owned(),
            review: review.clone(),
            file: file.clone(),
            sheet: None,
            as_at: Some(chrono::NaiveDate::from_ymd_opt(2021, 11, 30).unwrap()),
            commit,
        };
        let checked = run(app.database(), request(false, "essex-fire"))
            .await
            .unwrap();
        let printed = table(&checked);
        assert!(printed.starts_with("Checked essex-plan.csv"), "{printed}");
        assert!(
            printed.contains("D       Delivery Date   DELIVERY_DATE   RECOGNISED"),
            "{printed}"
        );
        assert!(
            printed.contains("warning  2    D    DATE_NOTE  31/12/2021 (On Approval)"),
            "{printed}"
        );
        let count = || app.gql(Some(&manager), PROGRESS, json!({ "id": review }));
        assert_eq!(
            count().await.data()["review"]["progress"]["actionsTotal"],
            json!(10)
        );

        let imported = run(app.database(), request(true, "essex-fire"))
            .await
            .unwrap();
        assert!(imported.committed);
        assert!(table(&imported).starts_with("Imported essex-plan.csv"));
        assert_eq!(
            count().await.data()["review"]["progress"]["actionsTotal"],
            json!(20)
        );

        // Another organisation's review is not found, and nothing is written.
        let before = app.snapshot().await;
        let err = run(app.database(), request(true, "rotherham"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "review not found (NOT_FOUND)");
        assert_eq!(app.snapshot().await, before);
    }
);

api_test!(
    a_multipart_requests_operations_are_held_to_a_json_bodys_bound,
    |app| {
        let manager = token("essex-fire", Role::Manager);
        app.seed_demo().await;
        let padded = format!("{IMPORT_PLAN}\n# {}", "x".repeat(300 * 1024));
        let resp = app
            .upload(
                Some(&manager),
                &padded,
                input(new_review(), true),
                "plan.csv",
                &essex_csv_1252(false),
            )
            .await;
        assert_eq!(resp.status, 413);
        assert_eq!(resp.codes(), ["BAD_REQUEST"]);
        // Not multipart's parts: a clear refusal.
        let raw = app
            .raw(
                app.post()
                    .header("content-type", "multipart/form-data; boundary=x")
                    .bearer_auth(&manager)
                    .body("--x\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n--x--\r\n"),
            )
            .await;
        assert_eq!(raw.status, 400);
        assert_eq!(raw.code(), "BAD_REQUEST");
    }
);
