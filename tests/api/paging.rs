//! Relay paging both ways: `first`/`after` forwards and `last`/`before` backwards walk the same
//! rows in the same order, up to the page-size limit, and a cursor is good only for the list
//! that gave it out.

use resilience_hub::auth::Role;
use resilience_hub::organisations::OrgKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, token};
use crate::plan::{self, setup};

const DIRECTORY: &str = r#"query($first: Int, $after: String, $last: Int, $before: String) {
    organisations(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } }
    }
}"#;

/// One page of a connection: its ids, its page info and its cursors.
struct Page {
    ids: Vec<String>,
    info: Value,
    cursors: Vec<String>,
}

async fn page(app: &TestApp, tok: &str, query: &str, path: &[&str], vars: Value) -> Page {
    let resp = app.gql(Some(tok), query, vars).await;
    let mut conn = resp.data().clone();
    for p in path {
        conn = conn[*p].clone();
    }
    let edges = conn["edges"].as_array().unwrap();
    Page {
        ids: edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect(),
        cursors: edges
            .iter()
            .map(|e| e["cursor"].as_str().unwrap().to_owned())
            .collect(),
        info: conn["pageInfo"].clone(),
    }
}

/// Every id of a list, page by page forwards; checks each page's info on the way.
async fn forwards(
    app: &TestApp,
    tok: &str,
    query: &str,
    path: &[&str],
    extra: &Value,
    size: i64,
) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut vars = extra.clone();
        vars["first"] = json!(size);
        vars["after"] = json!(after);
        let p = page(app, tok, query, path, vars).await;
        assert_eq!(p.info["hasPreviousPage"], after.is_some(), "{}", p.info);
        assert!(p.ids.len() as i64 <= size);
        assert_eq!(p.info["endCursor"], json!(p.cursors.last()));
        all.extend(p.ids);
        if p.info["hasNextPage"] == false {
            break;
        }
        after = p.cursors.last().cloned();
        assert!(all.len() < 10_000, "paging never ends");
    }
    all
}

/// Every id of a list, page by page backwards from its end, in the list's own order.
async fn backwards(
    app: &TestApp,
    tok: &str,
    query: &str,
    path: &[&str],
    extra: &Value,
    size: i64,
) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut vars = extra.clone();
        vars["last"] = json!(size);
        vars["before"] = json!(before);
        let p = page(app, tok, query, path, vars).await;
        assert_eq!(p.info["hasNextPage"], before.is_some(), "{}", p.info);
        assert_eq!(p.info["startCursor"], json!(p.cursors.first()));
        let more = p.info["hasPreviousPage"] == true;
        before = p.cursors.first().cloned();
        pages.push(p.ids);
        if !more {
            break;
        }
        assert!(pages.len() < 10_000, "paging never ends");
    }
    pages.into_iter().rev().flatten().collect()
}

api_test!(paging_backwards_walks_the_same_rows_as_forwards, |app| {
    let (w, people) = setup(&app).await;
    // Enough organisations to fill the largest page and more, with names that repeat (a tie
    // is broken by id).
    for i in 0..104 {
        app.bootstrap_org(
            &format!("borough-{i:03}"),
            &format!("Borough {:02}", (i * 37) % 50),
            OrgKind::Council,
        )
        .await;
    }
    let admin = w.admin.clone();
    let none = json!({});
    let ahead = forwards(&app, &admin, DIRECTORY, &["organisations"], &none, 7).await;
    let behind = backwards(&app, &admin, DIRECTORY, &["organisations"], &none, 7).await;
    assert!(ahead.len() > 100, "{}", ahead.len());
    assert_eq!(ahead, behind, "the same rows in the same order");

    // At the page-size limit: the first 100 and the last 100.
    let first = page(
        &app,
        &admin,
        DIRECTORY,
        &["organisations"],
        json!({ "first": 100 }),
    )
    .await;
    assert_eq!(first.ids, ahead[..100]);
    assert_eq!(first.info["hasNextPage"], true);
    let last = page(
        &app,
        &admin,
        DIRECTORY,
        &["organisations"],
        json!({ "last": 100 }),
    )
    .await;
    assert_eq!(last.ids, ahead[ahead.len() - 100..]);
    assert_eq!(last.info["hasPreviousPage"], true);
    assert_eq!(last.info["hasNextPage"], false);
    for vars in [json!({ "last": 101 }), json!({ "last": 0 })] {
        let resp = app.gql(Some(&admin), DIRECTORY, vars).await;
        assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], "last");
    }
    let resp = app
        .gql(Some(&admin), DIRECTORY, json!({ "first": 5, "last": 5 }))
        .await;
    resp.error("BAD_USER_INPUT");

    // A window between two cursors, from either end.
    let (a, b) = (&first.cursors[10], &first.cursors[20]);
    let window = page(
        &app,
        &admin,
        DIRECTORY,
        &["organisations"],
        json!({ "after": a, "before": b, "first": 100 }),
    )
    .await;
    assert_eq!(window.ids, ahead[11..20]);
    let window = page(
        &app,
        &admin,
        DIRECTORY,
        &["organisations"],
        json!({ "after": a, "before": b, "last": 3 }),
    )
    .await;
    assert_eq!(window.ids, ahead[17..20]);
    assert_eq!(window.info["hasPreviousPage"], true);

    // A keyed list with ties (actions by delivery date), and one sorted newest first.
    let review = plan::review(&app, &people.manager, "Protection peer review").await;
    let rec = plan::recommendation(&app, &people.manager, &review, "R1").await;
    for i in 0..11 {
        let due = ["2021-03-31", "2021-06-30", "2021-09-30"][i % 3];
        plan::action(
            &app,
            &people.manager,
            &rec,
            &format!("Action {i:02}"),
            "2021-01-29",
            due,
        )
        .await;
    }
    for order in ["DUE_ON", "DUE_ON_DESC", "TITLE"] {
        let query = format!(
            r#"query($first: Int, $after: String, $last: Int, $before: String) {{
                actions(orderBy: {order}, first: $first, after: $after, last: $last, before: $before) {{
                    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                    edges {{ cursor node {{ id }} }}
                }}
            }}"#
        );
        let ahead = forwards(&app, &people.viewer, &query, &["actions"], &none, 4).await;
        let behind = backwards(&app, &people.viewer, &query, &["actions"], &none, 4).await;
        assert_eq!(ahead.len(), 11, "{order}");
        assert_eq!(ahead, behind, "{order}");
    }
    let reviews = r#"query($first: Int, $after: String, $last: Int, $before: String) {
        reviews(first: $first, after: $after, last: $last, before: $before) {
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            edges { cursor node { id } }
        }
    }"#;
    for i in 0..4 {
        plan::review(&app, &people.manager, &format!("Review {i}")).await;
    }
    let ahead = forwards(&app, &people.viewer, reviews, &["reviews"], &none, 2).await;
    let behind = backwards(&app, &people.viewer, reviews, &["reviews"], &none, 2).await;
    assert_eq!(ahead.len(), 5);
    assert_eq!(ahead, behind);
});

api_test!(a_cursor_from_another_list_is_refused, |app| {
    let (w, people) = setup(&app).await;
    let review = plan::review(&app, &people.manager, "Protection peer review").await;
    let rec = plan::recommendation(&app, &people.manager, &review, "R1").await;
    for due in ["2021-03-31", "2021-06-30"] {
        plan::action(&app, &people.manager, &rec, due, "2021-01-29", due).await;
    }
    let reviews = page(
        &app,
        &people.viewer,
        "{ reviews(first: 1) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }",
        &["reviews"],
        json!({}),
    )
    .await;
    let by_due = page(
        &app,
        &people.viewer,
        "{ actions(orderBy: DUE_ON, first: 1) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }",
        &["actions"],
        json!({}),
    )
    .await;
    let review_cursor = &reviews.cursors[0];
    let due_cursor = &by_due.cursors[0];
    let viewer = token(&w.council_a, Role::Viewer);
    for (query, vars, field) in [
        (
            "query($c: String) { organisations(after: $c) { totalCount } }",
            json!({ "c": review_cursor }),
            "after",
        ),
        (
            "query($c: String) { frameworks(last: 2, before: $c) { totalCount } }",
            json!({ "c": review_cursor }),
            "before",
        ),
        (
            "query($c: String) { auditEvents(after: $c) { totalCount } }",
            json!({ "c": review_cursor }),
            "after",
        ),
        // The same list in another order.
        (
            "query($c: String) { actions(orderBy: TITLE, after: $c) { totalCount } }",
            json!({ "c": due_cursor }),
            "after",
        ),
        (
            "query($c: String) { actions(orderBy: DUE_ON_DESC, last: 1, before: $c) { totalCount } }",
            json!({ "c": due_cursor }),
            "before",
        ),
    ] {
        let tok = if query.contains("auditEvents") {
            &people.manager
        } else {
            &viewer
        };
        let resp = app.gql(Some(tok), query, vars).await;
        assert_eq!(
            resp.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{query}"
        );
    }
    // Its own list takes it, either way.
    let resp = app
        .gql(
            Some(&viewer),
            "query($c: String) { actions(orderBy: DUE_ON, last: 5, before: $c) { edges { node { id } } } }",
            json!({ "c": by_due.cursors[0] }),
        )
        .await;
    assert_eq!(resp.data()["actions"]["edges"], json!([]));
});
