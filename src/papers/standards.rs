//! A framework's standards progress: per standard, cycle and level, how many organisations rated
//! themselves there and how many a panel moderated there, across those that share with the
//! caller. Groups the API withholds stay withheld, in words, never as zero. Read from
//! `standardsProgress`; "as at" a day means the assessments submitted and moderations recorded
//! by the end of that day (and by `knownAt`, when earlier).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::heat_map::{Framework, Level, Scale, Standard};
use super::paper::{Bar, Cell, Chart, Paper, Section, Table, WITHHELD, count, long_date};
use super::{Ask, Me, Params, Refusal, read};
use crate::dates::{end_of_london_day, london_today};

const PROGRESS: &str = "query PaperStandardsProgress($framework: ID!, $cycles: [String!]!, $knownAt: DateTime) { \
    me { user { displayName email } organisation { name } } \
    standardsProgress(frameworkId: $framework, cycles: $cycles, knownAt: $knownAt) { \
      framework { id code name version levels { id code label rank } } cycles suppressing \
      rows { standard { id code title } cycle assessed assessedSuppressed \
        levels { level { id } selfCount selfSuppressed moderatedCount moderatedSuppressed \
          selfChange moderatedChange } } } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    framework: ScaledFramework,
    cycles: Vec<String>,
    suppressing: bool,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    standard: Standard,
    cycle: String,
    assessed: Option<i64>,
    assessed_suppressed: bool,
    levels: Vec<LevelCount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LevelCount {
    level: LevelId,
    self_count: Option<i64>,
    self_suppressed: bool,
    moderated_count: Option<i64>,
    moderated_suppressed: bool,
    self_change: Option<i64>,
    moderated_change: Option<i64>,
}

#[derive(Deserialize)]
struct LevelId {
    id: String,
}

/// A count, or the word for a withheld one: never a zero in its place.
fn counted(value: Option<i64>, withheld: bool) -> Cell {
    match (withheld, value) {
        (true, _) => Cell::Withheld,
        (false, Some(n)) => Cell::Int(n),
        (false, None) => Cell::Empty,
    }
}

/// The standards progress `params` asks for.
pub(super) async fn compose(params: &Params, ask: &dyn Ask) -> Result<(Paper, Table), Refusal> {
    let as_of = params.as_of.unwrap_or_else(london_today);
    // As at a day: what was submitted by its end, or by the moment asked if that is earlier.
    let end_of_day = end_of_london_day(as_of);
    let known: Option<DateTime<Utc>> = match params.known() {
        Some(k) => Some(k.min(end_of_day)),
        None if end_of_day < Utc::now() => Some(end_of_day),
        None => None,
    };
    let variables = json!({
        "framework": params.id,
        "cycles": params.cycles,
        "knownAt": known.map(|k| k.to_rfc3339()),
    });
    let mut data = ask.ask(PROGRESS, variables).await?;
    let me: Me = read(data["me"].take())?;
    let progress: Progress = read(data["standardsProgress"].take())?;
    let levels = progress.framework.levels.clone();
    let scale = Scale::new(&levels);
    let marks = scale.marks();

    let mut columns: Vec<(String, u16)> = vec![
        ("Code".to_owned(), 8),
        ("Standard".to_owned(), 26),
        ("Cycle".to_owned(), 8),
        ("Assessed".to_owned(), 8),
    ];
    for (level, _) in &marks {
        columns.push((format!("{} (own)", level.label), 9));
        columns.push((format!("{} (moderated)", level.label), 9));
    }
    let names: Vec<(&str, u16)> = columns.iter().map(|(n, w)| (n.as_str(), *w)).collect();
    let mut table = Table::new(&names);
    let mut flat = Table::new(&[
        ("framework_id", 1),
        ("standard_id", 1),
        ("standard_code", 1),
        ("standard_title", 1),
        ("cycle", 1),
        ("assessed", 1),
        ("level_code", 1),
        ("level", 1),
        ("self_count", 1),
        ("moderated_count", 1),
        ("self_change", 1),
        ("moderated_change", 1),
        ("known_at", 1),
    ]);
    let known_text = known.unwrap_or_else(Utc::now).to_rfc3339();
    let latest = progress.cycles.last().cloned().unwrap_or_default();
    // Per level, the latest cycle's own counts that are not withheld, and whether any is.
    let mut latest_counts = vec![(0i64, false); marks.len()];
    for row in &progress.rows {
        let mut cells = vec![
            Cell::Text(row.standard.code.clone()),
            Cell::Text(row.standard.title.clone()),
            Cell::Text(row.cycle.clone()),
            counted(row.assessed, row.assessed_suppressed),
        ];
        for (at, (level, _)) in marks.iter().enumerate() {
            let found = row.levels.iter().find(|c| c.level.id == level.id);
            let own = found.map_or(Cell::Empty, |c| counted(c.self_count, c.self_suppressed));
            let moderated = found.map_or(Cell::Empty, |c| {
                counted(c.moderated_count, c.moderated_suppressed)
            });
            if row.cycle == latest {
                match &own {
                    Cell::Int(n) => latest_counts[at].0 += n,
                    Cell::Withheld => latest_counts[at].1 = true,
                    _ => {}
                }
            }
            cells.push(own.clone());
            cells.push(moderated.clone());
            flat.push(vec![
                Cell::Text(progress.framework.id.clone()),
                Cell::Text(row.standard.id.clone()),
                Cell::Text(row.standard.code.clone()),
                Cell::Text(row.standard.title.clone()),
                Cell::Text(row.cycle.clone()),
                counted(row.assessed, row.assessed_suppressed),
                Cell::Text(level.code.clone()),
                Cell::Text(level.label.clone()),
                own,
                moderated,
                found
                    .and_then(|c| c.self_change)
                    .map_or(Cell::Empty, Cell::Int),
                found
                    .and_then(|c| c.moderated_change)
                    .map_or(Cell::Empty, Cell::Int),
                Cell::Text(known_text.clone()),
            ]);
        }
        table.push(cells);
    }

    let withheld = progress
        .rows
        .iter()
        .flat_map(|r| &r.levels)
        .filter(|c| c.self_suppressed || c.moderated_suppressed)
        .count() as i64;
    let mut summary = format!(
        "{} of {} across {}.",
        count(progress.framework_standards(), "standard", "standards"),
        progress.framework.name,
        count(progress.cycles.len() as i64, "cycle", "cycles"),
    );
    if progress.suppressing {
        summary.push_str(&format!(
            " Groups of fewer than 3 organisations are withheld: {} withheld here.",
            count(withheld, "count is", "counts are")
        ));
    }
    let chart = Chart {
        title: format!(
            "Own ratings at each level, {latest}, all standards{}",
            if latest_counts.iter().any(|(_, w)| *w) {
                ": the counts that are not withheld"
            } else {
                ""
            }
        ),
        bars: marks
            .iter()
            .zip(&latest_counts)
            .map(|((_, mark), (sum, withheld))| Bar {
                shown: match (*sum, *withheld) {
                    (0, true) => WITHHELD.to_owned(),
                    (n, true) => format!("{n} and some {WITHHELD}"),
                    (n, false) => n.to_string(),
                },
                ..Bar::new(mark.word.clone(), *sum, mark.fill.clone())
            })
            .collect(),
    };
    let mut key: Vec<_> = marks
        .iter()
        .map(|(l, m)| (m.clone(), format!("rank {}", l.rank)))
        .collect();
    if progress.suppressing {
        key.push((
            super::paper::no_rag(WITHHELD),
            "a group of fewer than 3 organisations, or one that would give such a group away"
                .to_owned(),
        ));
    }
    let paper = Paper {
        kind: "Standards progress",
        title: progress.framework.name.clone(),
        organisation: me.organisation.name.clone(),
        as_of,
        known_at: known,
        produced_by: me.produced_by(),
        produced_at: Utc::now(),
        facts: vec![
            (
                "Framework".to_owned(),
                format!(
                    "{} (version {})",
                    progress.framework.code, progress.framework.version
                ),
            ),
            ("Cycles".to_owned(), progress.cycles.join(", ")),
            (
                "Counted".to_owned(),
                format!("assessments submitted by the end of {}", long_date(as_of)),
            ),
        ],
        summary,
        chart,
        key,
        sections: vec![Section {
            title: "Organisations at each level".to_owned(),
            sheet: "Standards progress",
            note: Some(
                "Own: the level organisations gave themselves in submitted self-assessments. Moderated: the level a panel moderated them to."
                    .to_owned(),
            ),
            table,
        }],
        landscape: true,
    };
    Ok((paper, flat))
}

/// The framework, with its scale.
#[derive(Deserialize)]
struct ScaledFramework {
    #[serde(flatten)]
    framework: Framework,
    levels: Vec<Level>,
}

impl std::ops::Deref for ScaledFramework {
    type Target = Framework;

    fn deref(&self) -> &Framework {
        &self.framework
    }
}

impl Progress {
    /// How many standards the rows cover.
    fn framework_standards(&self) -> i64 {
        let mut ids: Vec<&str> = self.rows.iter().map(|r| r.standard.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len() as i64
    }
}
