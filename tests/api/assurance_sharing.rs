//! What each kind of viewer reads of an organisation's assessments under each sharing setting,
//! and the small groups withheld from partner bodies.

use resilience_hub::auth::Role;
use serde_json::{Value, json};

use crate::assurance::{
    self, ASSESSMENT, PROGRESS, assessed, challenge, framework, moderate_all, outcome,
};
use crate::helpers::{TestApp, api_test, token};
use crate::plan::People;
use crate::world::{World, add_member, create_org, share};

const LIST: &str = "{ assessments(first: 50) { totalCount nodes { id } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";

/// The standardsProgress row of standard `j` in `cycle`.
fn row<'a>(progress: &'a Value, standard: &str, cycle: &str) -> &'a Value {
    progress["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["standard"]["id"] == standard && r["cycle"] == cycle)
        .expect("a row per standard and cycle")
}

/// One level's figures in a row.
fn level<'a>(row: &'a Value, code: &str) -> &'a Value {
    row["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level"]["code"] == code)
        .expect("a figure per level")
}

api_test!(
    every_sharing_setting_holds_for_every_kind_of_viewer,
    |app| {
        let w = World::build(&app).await;
        let own = People::of(&w.council_a);
        let fw = framework(&app, &w.admin, "NRS", 2).await;
        // A draft for the next cycle, and a submitted assessment with its detail.
        let crate::assurance::Detailed {
            draft,
            submitted,
            rating,
            evidence,
            ..
        } = crate::assurance::detailed(&app, &own.manager, &fw).await;

        let viewers = [
            ("own", token(&w.council_a, Role::Viewer)),
            ("panel", token(&w.panel, Role::Viewer)),
            ("non-member panel", token(&w.other_panel, Role::Viewer)),
            ("partner", token(&w.partner, Role::Viewer)),
            ("platform admin", token(&w.operator, Role::PlatformAdmin)),
        ];
        for panel_detail in [false, true] {
            for partners in ["NONE", "AGGREGATE", "NAMED"] {
                share(&app, &w.council_a, panel_detail, partners).await;
                for (kind, tok) in &viewers {
                    let case = format!("{kind}, panelDetail {panel_detail}, partners {partners}");
                    let reads_submitted = matches!(*kind, "own" | "panel");
                    let reads_detail = *kind == "own" || (*kind == "panel" && panel_detail);

                    // The draft: never outside the organisation.
                    let d = app.gql(Some(tok), ASSESSMENT, json!({ "id": draft })).await;
                    if *kind == "own" {
                        d.data();
                    } else {
                        assert_eq!(d.codes(), vec!["NOT_FOUND"], "draft: {case}");
                    }
                    // The submitted assessment: levels for its own and its panels.
                    let s = app
                        .gql(Some(tok), ASSESSMENT, json!({ "id": submitted }))
                        .await;
                    if reads_submitted {
                        let r = &s.data()["assessment"]["ratings"][0];
                        assert_eq!(r["level"]["code"], "GOOD_PRACTICE", "{case}");
                        // Its detail only where shared.
                        assert_eq!(r["positionStatement"].is_string(), reads_detail, "{case}");
                        assert_eq!(
                            r["evidence"].as_array().unwrap().len(),
                            reads_detail as usize,
                            "{case}"
                        );
                        assert_eq!(
                            r["actions"].as_array().unwrap().len(),
                            reads_detail as usize,
                            "{case}"
                        );
                    } else {
                        assert_eq!(s.codes(), vec!["NOT_FOUND"], "submitted: {case}");
                    }
                    let listed = app.gql(Some(tok), LIST, json!({})).await;
                    let expected_count = match *kind {
                        "own" => 2,
                        "panel" => 1,
                        _ => 0,
                    };
                    assert_eq!(
                        listed.data()["assessments"]["totalCount"],
                        expected_count,
                        "{case}"
                    );
                    // By id, through node: the rating as the assessment, the evidence as detail.
                    let n = app.gql(Some(tok), NODE, json!({ "id": rating })).await;
                    assert_eq!(n.codes().is_empty(), reads_submitted, "rating node: {case}");
                    let n = app.gql(Some(tok), NODE, json!({ "id": evidence })).await;
                    assert_eq!(n.codes().is_empty(), reads_detail, "evidence node: {case}");

                    // The partner's aggregate: a lone organisation is counted only when it
                    // shares, and then withheld as a group of one; named only when NAMED.
                    let p = app
                        .gql(
                            Some(tok),
                            PROGRESS,
                            json!({ "fw": fw.id, "cycles": ["2024-25"] }),
                        )
                        .await;
                    match *kind {
                        "partner" => {
                            let progress = &p.data()["standardsProgress"];
                            assert_eq!(progress["suppressing"], true);
                            let r = row(progress, &fw.standards[0], "2024-25");
                            let good = level(r, "GOOD_PRACTICE");
                            if partners == "NONE" {
                                assert_eq!(
                                    (r["assessed"].as_i64(), r["assessedSuppressed"].as_bool()),
                                    (Some(0), Some(false)),
                                    "{case}"
                                );
                                assert_eq!(good["selfCount"], 0, "{case}");
                            } else {
                                assert_eq!(
                                    (r["assessed"].as_i64(), r["assessedSuppressed"].as_bool()),
                                    (None, Some(true)),
                                    "{case}"
                                );
                                assert_eq!(
                                    (good["selfCount"].as_i64(), good["selfSuppressed"].as_bool()),
                                    (None, Some(true)),
                                    "{case}"
                                );
                            }
                            let named: Vec<&str> = good["organisations"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|o| o["id"].as_str().unwrap())
                                .collect();
                            if partners == "NAMED" {
                                assert_eq!(named, vec![w.council_a.as_str()], "{case}");
                            } else {
                                assert!(named.is_empty(), "{case}");
                            }
                        }
                        "panel" | "non-member panel" => {
                            let r =
                                row(&p.data()["standardsProgress"], &fw.standards[0], "2024-25");
                            let count = if *kind == "panel" { 1 } else { 0 };
                            assert_eq!(r["assessed"], count, "{case}");
                        }
                        _ => {
                            assert_eq!(p.codes(), vec!["FORBIDDEN"], "progress: {case}");
                        }
                    }
                }
            }
        }
    }
);

api_test!(small_groups_are_withheld_from_partner_bodies, |app| {
    let w = World::build(&app).await;
    let panel = create_org(&app, &w.admin, "all", "All Members Panel", "REGIONAL_PANEL").await;
    let panel_manager = token(&panel, Role::Manager);
    let fw = framework(&app, &w.admin, "NRS", 2).await;
    // Four share by name, four in aggregate, one not at all.
    let mut orgs = Vec::new();
    for (slug, sharing) in [
        ("n1", "NAMED"),
        ("n2", "NAMED"),
        ("n3", "NAMED"),
        ("n4", "NAMED"),
        ("g1", "AGGREGATE"),
        ("g2", "AGGREGATE"),
        ("g3", "AGGREGATE"),
        ("g4", "AGGREGATE"),
        ("x1", "NONE"),
    ] {
        let org = create_org(
            &app,
            &w.admin,
            slug,
            &format!("Council {}", slug.to_uppercase()),
            "COUNCIL",
        )
        .await;
        add_member(&app, &w.admin, &panel, &org).await;
        share(&app, &org, false, sharing).await;
        orgs.push(org);
    }
    const N: &str = "NOT_MET";
    const D: &str = "DEVELOPING";
    const G: &str = "GOOD_PRACTICE";
    const L: &str = "LEADING_PRACTICE";
    // Per organisation (n1..n4, g1..g4, x1): its levels for the two standards, in each cycle.
    let earlier: [[&str; 2]; 9] = [
        [G, G],
        [G, G],
        [D, G],
        [D, D],
        [G, G],
        [D, D],
        [N, D],
        [L, L],
        [N, L],
    ];
    let later: [[&str; 2]; 9] = [
        [G, G],
        [G, G],
        [G, G],
        [D, G],
        [G, G],
        [D, G],
        [D, G],
        [D, G],
        [N, N],
    ];
    let mut later_ids = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        let manager = token(org, Role::Manager);
        assessed(&app, &manager, &fw, "2023-24", &earlier[i]).await;
        later_ids.push(assessed(&app, &manager, &fw, "2024-25", &later[i]).await);
    }
    // The panel moderates n1, n2 and g1 in the later cycle: standard 1 agreed at GOOD for all
    // three; standard 2 agreed for n1 and n2, moved down to DEVELOPING for g1.
    for (i, moderated) in [(0, [G, G]), (1, [G, G]), (4, [G, D])] {
        let c = challenge(&app, &panel_manager, &later_ids[i], "2025-02-01").await;
        let pairs: Vec<(&str, &str)> = moderated
            .iter()
            .zip(later[i])
            .map(|(m, own)| (*m, outcome(own, m)))
            .collect();
        moderate_all(&app, &panel_manager, &c, &fw, &pairs).await;
    }

    let partner = token(&w.partner, Role::Viewer);
    let resp = app
        .gql(
            Some(&partner),
            PROGRESS,
            json!({ "fw": fw.id, "cycles": ["2023-24", "2024-25"] }),
        )
        .await;
    let p = resp.data()["standardsProgress"].clone();
    assert_eq!(p["cycles"], json!(["2023-24", "2024-25"]));
    let figures = |standard: usize, cycle: &str, code: &str| -> (Option<i64>, bool) {
        let l = level(row(&p, &fw.standards[standard], cycle), code);
        (
            l["selfCount"].as_i64(),
            l["selfSuppressed"].as_bool().unwrap(),
        )
    };
    let s = |n: i64| (Some(n), false);
    let hidden = (None, true);

    // 2023-24, standard 1: GOOD 3, DEVELOPING 3 shown; NOT_MET 1 and LEADING 1 withheld (x1,
    // at NOT_MET, shares nothing and is not counted).
    assert_eq!(figures(0, "2023-24", G), s(3));
    assert_eq!(figures(0, "2023-24", D), s(3));
    assert_eq!(figures(0, "2023-24", N), hidden);
    assert_eq!(figures(0, "2023-24", L), hidden);
    assert_eq!(row(&p, &fw.standards[0], "2023-24")["assessed"], 8);
    // Standard 2: GOOD 4, DEVELOPING 3, LEADING 1. The lone withheld group would be given away
    // by the total, so the next smallest (DEVELOPING) is withheld with it.
    assert_eq!(figures(1, "2023-24", G), s(4));
    assert_eq!(figures(1, "2023-24", D), hidden);
    assert_eq!(figures(1, "2023-24", L), hidden);
    assert_eq!(figures(1, "2023-24", N), s(0));
    // 2024-25: the changes, where both cycles are shown.
    let change = |standard: usize, code: &str| -> Value {
        level(row(&p, &fw.standards[standard], "2024-25"), code)["selfChange"].clone()
    };
    assert_eq!(figures(0, "2024-25", G), s(4));
    assert_eq!(figures(0, "2024-25", D), s(4));
    assert_eq!(change(0, G), 1);
    assert_eq!(change(0, D), 1);
    assert_eq!(change(0, N), Value::Null, "the earlier count was withheld");
    assert_eq!(figures(1, "2024-25", G), s(8));
    assert_eq!(change(1, G), 4);
    assert_eq!(change(1, N), 0);
    // Moderated: GOOD 3 for standard 1; for standard 2, GOOD 2 and DEVELOPING 1, both withheld.
    let moderated = |standard: usize, code: &str| -> (Option<i64>, bool) {
        let l = level(row(&p, &fw.standards[standard], "2024-25"), code);
        (
            l["moderatedCount"].as_i64(),
            l["moderatedSuppressed"].as_bool().unwrap(),
        )
    };
    assert_eq!(moderated(0, G), s(3));
    assert_eq!(moderated(1, G), hidden);
    assert_eq!(moderated(1, D), hidden);
    assert_eq!(moderated(1, L), s(0));
    // Names: only those sharing by name, whatever the size of the group.
    let names = |standard: usize, cycle: &str, code: &str| -> Vec<String> {
        level(row(&p, &fw.standards[standard], cycle), code)["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(0, "2023-24", G), ["Council N1", "Council N2"]);
    assert_eq!(names(0, "2023-24", D), ["Council N3", "Council N4"]);
    assert!(names(0, "2023-24", N).is_empty());
    assert_eq!(
        names(1, "2024-25", G),
        ["Council N1", "Council N2", "Council N3", "Council N4"]
    );
    // Nothing in the response names an organisation that does not share by name.
    let text = resp.body.to_string();
    for org in &orgs[4..] {
        assert!(!text.contains(org.as_str()), "{org} is named");
    }

    // The panel reads its members' figures whole: nothing withheld, x1 counted too.
    let resp = app
        .gql(
            Some(&token(&panel, Role::Viewer)),
            PROGRESS,
            json!({ "fw": fw.id, "cycles": ["2023-24"] }),
        )
        .await;
    let q = resp.data()["standardsProgress"].clone();
    assert_eq!(q["suppressing"], false);
    let r = row(&q, &fw.standards[0], "2023-24");
    assert_eq!(r["assessed"], 9);
    assert_eq!(level(r, N)["selfCount"], 2);
    assert_eq!(level(r, L)["selfCount"], 1);

    // Bad input: cycles malformed, none, too many; a framework the caller cannot read.
    for (cycles, field) in [
        (json!(["2023-24", "2024"]), "cycles.1"),
        (json!([]), "cycles"),
        (json!(vec!["2024-25"; 11]), "cycles"),
    ] {
        let resp = app
            .gql(
                Some(&partner),
                PROGRESS,
                json!({ "fw": fw.id, "cycles": cycles }),
            )
            .await;
        assert_eq!(resp.error("BAD_USER_INPUT")["extensions"]["field"], field);
    }
    let own_fw = assurance::draft(&app, &panel_manager, "PANEL-ONLY", 1).await;
    app.gql(
        Some(&partner),
        PROGRESS,
        json!({ "fw": own_fw["id"], "cycles": ["2024-25"] }),
    )
    .await
    .error("NOT_FOUND");
});

/// `tok`'s counts of organisations at GOOD_PRACTICE and at DEVELOPING for the framework's first
/// standard in 2024-25, each as (self, moderated), and the statements the request took.
async fn read(
    app: &TestApp,
    tok: &str,
    fw: &assurance::Framework,
) -> ((i64, i64), (i64, i64), u64) {
    let before = app.statements();
    let resp = app
        .gql(
            Some(tok),
            PROGRESS,
            json!({ "fw": fw.id, "cycles": ["2024-25"] }),
        )
        .await;
    let cost = app.statements() - before;
    let p = &resp.data()["standardsProgress"];
    let at = |code: &str| {
        let l = level(row(p, &fw.standards[0], "2024-25"), code);
        (
            l["selfCount"].as_i64().unwrap(),
            l["moderatedCount"].as_i64().unwrap(),
        )
    };
    (at("GOOD_PRACTICE"), at("DEVELOPING"), cost)
}

api_test!(
    standards_progress_is_remembered_until_an_assessment_or_the_population_changes,
    |app| {
        let w = World::build(&app).await;
        let fw = framework(&app, &w.admin, "NRS", 2).await;
        let panel = token(&w.panel, Role::Viewer);
        let panel_manager = token(&w.panel, Role::Manager);
        let council = token(&w.council_a, Role::Manager);
        let fire = token(&w.fire, Role::Manager);
        // Nobody assessed yet; the caller's first request also records them.
        let (good, developing, _) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((0, 0), (0, 0)));
        let council_assessment = assessed(
            &app,
            &council,
            &fw,
            "2024-25",
            &["GOOD_PRACTICE", "GOOD_PRACTICE"],
        )
        .await;
        let (good, developing, counted) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((1, 0), (0, 0)));
        // Asked again with nothing changed: the same figures, without counting again.
        let (good, developing, remembered) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((1, 0), (0, 0)));
        assert!(
            remembered < counted,
            "remembered figures cost {remembered} statements, counting {counted}"
        );

        // Another member submits: counted at once.
        let fire_assessment = assessed(
            &app,
            &fire,
            &fw,
            "2024-25",
            &["DEVELOPING", "GOOD_PRACTICE"],
        )
        .await;
        let (good, developing, _) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((1, 0), (1, 0)));

        // The panel moderates the council's first standard down to DEVELOPING.
        let c = challenge(&app, &panel_manager, &council_assessment, "2025-02-01").await;
        moderate_all(
            &app,
            &panel_manager,
            &c,
            &fw,
            &[("DEVELOPING", "ADJUSTED"), ("GOOD_PRACTICE", "AGREED")],
        )
        .await;
        let (good, developing, _) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((1, 0), (1, 1)));

        // The fire service's manager reopens its assessment: a draft again, counted no more.
        let v = assurance::version(&app, &fire, &fire_assessment).await;
        app.gql(
            Some(&fire),
            assurance::REOPEN,
            json!({ "input": { "id": fire_assessment, "version": v, "reason": "Evidence to add" } }),
        )
        .await
        .data();
        let (good, developing, _) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((1, 0), (0, 1)));

        // The council leaves the panel: the panel counts it no more.
        crate::comparison::remove_member(&app, &w.admin, &w.panel, &w.council_a).await;
        let (good, developing, _) = read(&app, &panel, &fw).await;
        assert_eq!((good, developing), ((0, 0), (0, 0)));
    }
);
