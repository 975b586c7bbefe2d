//! A panel's heat map as at a day: its members against a framework's standards for one cycle,
//! each cell coloured by level with the panel's moderated level beside the member's own, and
//! per member its actions by RAG and its last challenge. Read from `panelComparison`.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::paper::{Bar, Cell, Chart, Mark, Paper, Section, Table, count, level_mark, long_date};
use super::{Ask, Me, Named, Params, Refusal, read};

const HEAT_MAP: &str = "query PaperHeatMap($panel: ID!, $framework: ID!, $cycle: String!, $asOf: Date, $knownAt: DateTime) { \
    me { user { displayName email } organisation { name } } \
    panelComparison(panelId: $panel, frameworkId: $framework, cycle: $cycle, asOf: $asOf, knownAt: $knownAt) { \
      panel { id name } framework { id code name version } cycle asOf \
      standards { id code title } levels { id code label rank } \
      rows { organisation { id name } assessment { id } \
        cells { standard { id } selfLevel { id } moderatedLevel { id } outcome challenged } \
        actions { total green amber red } overdue lastChallengedOn } } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Comparison {
    panel: Option<Named>,
    framework: Framework,
    cycle: String,
    as_of: NaiveDate,
    standards: Vec<Standard>,
    levels: Vec<Level>,
    rows: Vec<Member>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Framework {
    pub id: String,
    pub code: String,
    pub name: String,
    pub version: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Standard {
    pub id: String,
    pub code: String,
    pub title: String,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Level {
    pub id: String,
    pub code: String,
    pub label: String,
    pub rank: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    organisation: Named,
    assessment: Option<IdOnly>,
    cells: Vec<ComparisonCell>,
    actions: RagCounts,
    overdue: i64,
    last_challenged_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[allow(dead_code)]
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ComparisonCell {
    standard: IdOnlyStandard,
    self_level: Option<LevelRef>,
    moderated_level: Option<LevelRef>,
    outcome: Option<String>,
    challenged: bool,
}

#[derive(Deserialize)]
struct IdOnlyStandard {
    id: String,
}

#[derive(Deserialize)]
struct LevelRef {
    id: String,
}

#[derive(Deserialize)]
struct RagCounts {
    total: i64,
    green: i64,
    amber: i64,
    red: i64,
}

impl Member {
    /// Its actions by RAG, overdue actions and last challenge: the CSV's rows and the members'
    /// table print the same figures.
    fn figures(&self) -> [Cell; 6] {
        [
            Cell::Int(self.actions.total),
            Cell::Int(self.actions.red),
            Cell::Int(self.actions.amber),
            Cell::Int(self.actions.green),
            Cell::Int(self.overdue),
            Cell::date(self.last_challenged_on),
        ]
    }
}

/// The levels of a scale, lowest rank first, and each one's mark.
pub(super) struct Scale<'a> {
    levels: Vec<&'a Level>,
}

impl<'a> Scale<'a> {
    pub(super) fn new(levels: &'a [Level]) -> Self {
        let mut levels: Vec<&Level> = levels.iter().collect();
        levels.sort_by_key(|l| l.rank);
        Scale { levels }
    }

    /// The level with this id, and its position on the scale.
    fn find(&self, id: &str) -> Option<(usize, &'a Level)> {
        self.levels
            .iter()
            .position(|l| l.id == id)
            .map(|at| (at, self.levels[at]))
    }

    /// The mark of the level with this id.
    pub(super) fn mark(&self, id: &str, word: &str) -> Option<Mark> {
        self.find(id)
            .map(|(at, _)| level_mark(word, at, self.levels.len()))
    }

    /// The levels, lowest first, with their marks.
    pub(super) fn marks(&self) -> Vec<(&'a Level, Mark)> {
        self.levels
            .iter()
            .enumerate()
            .map(|(at, l)| (*l, level_mark(&l.label, at, self.levels.len())))
            .collect()
    }
}

/// The heat map `params` asks for.
pub(super) async fn compose(params: &Params, ask: &dyn Ask) -> Result<(Paper, Table), Refusal> {
    let mut variables = params.as_at_variables();
    variables["panel"] = json!(params.id);
    variables["framework"] = json!(params.framework);
    variables["cycle"] = json!(params.cycle);
    let mut data = ask.ask(HEAT_MAP, variables).await?;
    let me: Me = read(data["me"].take())?;
    let map: Comparison = read(data["panelComparison"].take())?;
    let scale = Scale::new(&map.levels);
    let level = |id: &Option<LevelRef>| -> Option<&Level> {
        id.as_ref().and_then(|l| scale.find(&l.id)).map(|(_, l)| l)
    };

    // The grid: one row per member, one column per standard; a cell reads "self / moderated",
    // coloured by the level in force (the moderated one when the panel has moderated).
    let mut columns: Vec<(&str, u16)> = vec![("Member", 22)];
    columns.extend(map.standards.iter().map(|s| (s.code.as_str(), 10)));
    let mut grid = Table::new(&columns);
    let mut members = Table::new(&[
        ("Member", 30),
        ("Assessment", 12),
        ("Actions", 8),
        ("Red", 6),
        ("Amber", 6),
        ("Green", 6),
        ("Overdue", 8),
        ("Last challenged", 12),
    ]);
    let mut flat = Table::new(&[
        ("panel_id", 1),
        ("framework_id", 1),
        ("cycle", 1),
        ("organisation_id", 1),
        ("organisation", 1),
        ("standard_id", 1),
        ("standard_code", 1),
        ("standard_title", 1),
        ("self_level_code", 1),
        ("self_level", 1),
        ("moderated_level_code", 1),
        ("moderated_level", 1),
        ("outcome", 1),
        ("challenged", 1),
        ("actions", 1),
        ("red", 1),
        ("amber", 1),
        ("green", 1),
        ("overdue", 1),
        ("last_challenged_on", 1),
        ("as_of", 1),
    ]);
    let mut in_force_counts = vec![0i64; scale.levels.len()];
    for member in &map.rows {
        let mut row = vec![Cell::Text(member.organisation.name.clone())];
        for standard in &map.standards {
            let cell = member.cells.iter().find(|c| c.standard.id == standard.id);
            let own = cell.and_then(|c| level(&c.self_level));
            let moderated = cell.and_then(|c| level(&c.moderated_level));
            let text = match (own, moderated) {
                (None, None) => None,
                (Some(o), None) => Some(o.label.clone()),
                (None, Some(m)) => Some(format!("– / {}", m.label)),
                (Some(o), Some(m)) => Some(format!("{} / {}", o.label, m.label)),
            };
            let in_force = moderated.or(own);
            row.push(match (text, in_force) {
                (Some(text), Some(l)) => {
                    if let Some((at, _)) = scale.find(&l.id) {
                        in_force_counts[at] += 1;
                    }
                    scale
                        .mark(&l.id, &text)
                        .map_or(Cell::Text(text), Cell::Mark)
                }
                _ => Cell::Empty,
            });
            flat.push(
                vec![
                    Cell::text(map.panel.as_ref().map(|p| p.id.clone())),
                    Cell::Text(map.framework.id.clone()),
                    Cell::Text(map.cycle.clone()),
                    Cell::Text(member.organisation.id.clone()),
                    Cell::Text(member.organisation.name.clone()),
                    Cell::Text(standard.id.clone()),
                    Cell::Text(standard.code.clone()),
                    Cell::Text(standard.title.clone()),
                    Cell::text(own.map(|l| l.code.clone())),
                    Cell::text(own.map(|l| l.label.clone())),
                    Cell::text(moderated.map(|l| l.code.clone())),
                    Cell::text(moderated.map(|l| l.label.clone())),
                    Cell::text(cell.and_then(|c| c.outcome.clone())),
                    Cell::Text(cell.is_some_and(|c| c.challenged).to_string()),
                ]
                .into_iter()
                .chain(member.figures())
                .chain([Cell::Date(map.as_of)])
                .collect(),
            );
        }
        grid.push(row);
        members.push(
            vec![
                Cell::Text(member.organisation.name.clone()),
                Cell::Text(
                    if member.assessment.is_some() {
                        "Submitted"
                    } else {
                        "None submitted"
                    }
                    .to_owned(),
                ),
            ]
            .into_iter()
            .chain(member.figures())
            .collect(),
        );
    }
    let mut standards = Table::new(&[("Code", 10), ("Standard", 60)]);
    for s in &map.standards {
        standards.push(vec![
            Cell::Text(s.code.clone()),
            Cell::Text(s.title.clone()),
        ]);
    }

    let submitted = map.rows.iter().filter(|m| m.assessment.is_some()).count() as i64;
    let challenged = map
        .rows
        .iter()
        .flat_map(|m| &m.cells)
        .filter(|c| c.challenged)
        .count() as i64;
    let overdue: i64 = map.rows.iter().map(|m| m.overdue).sum();
    let marks = scale.marks();
    let summary = format!(
        "{} of {} submitted a self-assessment of {} for {}; the panel has challenged {}. Members have {} overdue at the end of {}.",
        submitted,
        count(map.rows.len() as i64, "member", "members"),
        map.framework.name,
        map.cycle,
        count(challenged, "rating", "ratings"),
        count(overdue, "action", "actions"),
        long_date(map.as_of),
    );
    let chart = Chart {
        title: "Ratings by level in force (moderated where the panel moderated)".to_owned(),
        bars: marks
            .iter()
            .zip(&in_force_counts)
            .map(|((_, mark), n)| Bar::new(mark.word.clone(), *n, mark.fill.clone()))
            .collect(),
    };
    let mut key: Vec<(Mark, String)> = marks
        .iter()
        .map(|(l, mark)| (mark.clone(), format!("rank {}", l.rank)))
        .collect();
    key.push((
        super::paper::no_rag("Own / Moderated"),
        "a cell gives the member's own level, then the panel's; its colour is the level in force"
            .to_owned(),
    ));
    let paper = Paper {
        kind: "Heat map",
        title: format!("{} {}", map.framework.name, map.cycle),
        organisation: map
            .panel
            .as_ref()
            .map_or_else(String::new, |p| p.name.clone()),
        as_of: map.as_of,
        known_at: params.known(),
        produced_by: me.produced_by(),
        produced_at: Utc::now(),
        facts: vec![
            (
                "Framework".to_owned(),
                format!(
                    "{} ({}, version {})",
                    map.framework.name, map.framework.code, map.framework.version
                ),
            ),
            ("Cycle".to_owned(), map.cycle.clone()),
            ("Members".to_owned(), map.rows.len().to_string()),
        ],
        summary,
        chart,
        key,
        sections: vec![
            Section {
                title: "Members against standards".to_owned(),
                sheet: "Heat map",
                note: None,
                table: grid,
            },
            Section {
                title: "Members' actions and challenges".to_owned(),
                sheet: "Members",
                note: Some(format!(
                    "Actions by RAG at the end of {}.",
                    long_date(map.as_of)
                )),
                table: members,
            },
            Section {
                title: "Standards".to_owned(),
                sheet: "Standards",
                note: None,
                table: standards,
            },
        ],
        landscape: true,
    };
    Ok((paper, flat))
}
