//! Progress against a framework's standards across the organisations that share it: per
//! standard and cycle, how many organisations stand at each level, their own and as moderated,
//! counted in SQL and remembered under the assurance epoch.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use uuid::Uuid;

use crate::access::scope::{self};
use crate::access::{Access, OrgSet, Purpose};
use crate::epochs;
use crate::error::{AppError, AppResult};
use crate::history::{AsAt, push_known};
use crate::ids::{FrameworkId, OrgId};
use crate::organisations::OrgKind;
use crate::sql::Sql;
use crate::standards::{Framework, Level, Standard, service as frameworks};

/// The smallest group a partner body is shown the size of.
pub const MIN_GROUP: i64 = 3;

/// A count that may be withheld: groups of fewer than [`MIN_GROUP`] are not shown to partner
/// bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Shown(i64),
    Suppressed,
}

impl Count {
    /// The number, when shown.
    pub fn shown(self) -> Option<i64> {
        match self {
            Count::Shown(n) => Some(n),
            Count::Suppressed => None,
        }
    }
}

/// The organisations at one level of one standard in one cycle.
#[derive(Clone, Debug)]
pub struct LevelCount {
    pub level: Level,
    pub self_count: Count,
    pub moderated_count: Count,
    /// The change in the self count since the previous cycle asked for, when both are shown.
    pub self_change: Option<i64>,
    /// The change in the moderated count since the previous cycle, when both are shown.
    pub moderated_change: Option<i64>,
    /// The organisations at this self level that may be named to the caller.
    pub named: Vec<OrgId>,
}

/// One standard in one cycle.
#[derive(Clone, Debug)]
pub struct ProgressRow {
    pub standard: Standard,
    pub cycle: String,
    /// How many organisations rated it.
    pub assessed: Count,
    pub levels: Vec<LevelCount>,
}

/// Progress against a framework's standards across the organisations that share it with the
/// caller.
#[derive(Clone, Debug)]
pub struct StandardsProgress {
    pub framework: Framework,
    pub cycles: Vec<String>,
    /// Whether small groups were withheld (for partner bodies).
    pub suppressing: bool,
    pub rows: Vec<ProgressRow>,
}

#[derive(FromQueryResult)]
struct CountRow {
    cycle: String,
    standard_id: Uuid,
    level_id: Uuid,
    n: i64,
}

#[derive(FromQueryResult)]
struct NamedRow {
    cycle: String,
    standard_id: Uuid,
    level_id: Uuid,
    org_id: Uuid,
}

/// Who a caller's view counts, who it may name, and whether it withholds small groups.
fn population(access: &Access) -> AppResult<(OrgSet, OrgSet, bool)> {
    match access.actor().org_kind {
        _ if access.actor().role == crate::auth::Role::PlatformAdmin => Err(AppError::forbidden(
            "platform administrators read no tenant content",
        )),
        OrgKind::PartnerBody => Ok((
            access.orgs(Purpose::PartnerAggregate),
            access.orgs(Purpose::PartnerNamed),
            true,
        )),
        OrgKind::RegionalPanel => {
            let members = access.orgs(Purpose::PanelMembers);
            Ok((members.clone(), members, false))
        }
        _ => Err(AppError::forbidden(
            "standards progress across organisations is for partner bodies and regional panels",
        )),
    }
}

/// The submitted self-assessments of `counted` for the framework and cycles (submitted by the
/// day of `known`, when given), as a condition on an `assessments a` joined in.
fn assessed(
    sql: &mut Sql,
    counted: &OrgSet,
    framework: FrameworkId,
    cycles: &[String],
    known: Option<DateTime<Utc>>,
) {
    sql.push("a.framework_id = ")
        .bind(framework.0)
        .push(" AND a.tier = 'SELF_ASSESSMENT' AND a.status <> 'DRAFT' AND ");
    if let Some(known) = known {
        sql.push("a.submitted_on <= ")
            .bind(crate::dates::london_date(known))
            .push(" AND ");
    }
    counted.push_condition(sql, "a.org_id");
    sql.push(" AND a.cycle IN (");
    for (i, c) in cycles.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(c.clone());
    }
    sql.push(")");
}

/// The counts behind [`standards_progress`], keyed by (cycle, standard, level).
#[derive(Debug, Default)]
pub struct Tallies {
    own: HashMap<TallyKey, i64>,
    moderated: HashMap<TallyKey, i64>,
    names: HashMap<TallyKey, Vec<OrgId>>,
}

type TallyKey = (String, Uuid, Uuid);

/// What [`Tallies`] were counted over: the framework, the cycles, the organisations counted,
/// those named (when names were asked for), the panel whose moderations count (`None`: the
/// moderation in force, by whichever panel), and the moment they are as known at (`None`:
/// now).
pub type TalliesOf = (
    FrameworkId,
    Vec<String>,
    OrgSet,
    Option<OrgSet>,
    Option<Uuid>,
    Option<DateTime<Utc>>,
);

/// The ratings of the assessments [`assessed`] finds, counted by cycle, standard and level,
/// on Postgres: the ratings of each assessment found are read through the index on
/// `(assessment_id, standard_id, level_id)`. Joined plainly, Postgres reads every rating in
/// the table instead (96,000 at national scale for a partner body's 20,000), since it cannot
/// tell how few pass the policies; the `OFFSET 0` keeps the subquery a probe per assessment.
fn ratings_lateral(
    counted: &OrgSet,
    framework: FrameworkId,
    cycles: &[String],
    known: Option<DateTime<Utc>>,
) -> Sql {
    let mut sql = Sql::new(
        "SELECT a.cycle, r.standard_id, r.level_id, COUNT(*) AS n FROM assessments a \
         CROSS JOIN LATERAL (SELECT r.standard_id, r.level_id FROM ratings r \
         WHERE r.assessment_id = a.id AND r.level_id IS NOT NULL OFFSET 0) r WHERE ",
    );
    assessed(&mut sql, counted, framework, cycles, known);
    sql.push(" GROUP BY a.cycle, r.standard_id, r.level_id");
    sql
}

/// [`ratings_lateral`]'s counts on SQLite, which has no `LATERAL`: the ratings joined to
/// their assessments.
fn ratings_joined(
    counted: &OrgSet,
    framework: FrameworkId,
    cycles: &[String],
    known: Option<DateTime<Utc>>,
) -> Sql {
    let mut sql = Sql::new(
        "SELECT a.cycle, r.standard_id, r.level_id, COUNT(*) AS n FROM ratings r \
         JOIN assessments a ON a.id = r.assessment_id WHERE r.level_id IS NOT NULL AND ",
    );
    assessed(&mut sql, counted, framework, cycles, known);
    sql.push(" GROUP BY a.cycle, r.standard_id, r.level_id");
    sql
}

/// The moderation in force for each (assessment, standard) of the assessments [`assessed`]
/// finds, counted by cycle, standard and level, on Postgres: the latest of each standard, by
/// the moderator when there is one (a panel reads its own judgements, never another panel's),
/// else by any panel, and as known at `known`. Each assessment's few moderations are read
/// through its index and the latest of each standard kept (`DISTINCT ON`), where looking for
/// a later one of every moderation ([`moderated_apart`]) took half as long again.
fn moderated_lateral(
    counted: &OrgSet,
    framework: FrameworkId,
    cycles: &[String],
    moderator: Option<Uuid>,
    known: Option<DateTime<Utc>>,
) -> Sql {
    let mut sql = Sql::new(
        "SELECT a.cycle, m.standard_id, m.level_id, COUNT(*) AS n FROM assessments a \
         CROSS JOIN LATERAL (SELECT DISTINCT ON (m.standard_id) m.standard_id, m.level_id \
         FROM moderations m WHERE m.assessment_id = a.id",
    );
    if let Some(panel) = moderator {
        sql.push(" AND m.panel_id = ").bind(panel);
    }
    push_known(&mut sql, "m.created_at", AsAt::new(None, known));
    sql.push(" ORDER BY m.standard_id, m.created_at DESC, m.id DESC OFFSET 0) m WHERE ");
    assessed(&mut sql, counted, framework, cycles, known);
    sql.push(" GROUP BY a.cycle, m.standard_id, m.level_id");
    sql
}

/// [`moderated_lateral`]'s counts on SQLite, which has neither `LATERAL` nor `DISTINCT ON`:
/// each moderation counts when no later one of its assessment and standard exists.
fn moderated_apart(
    counted: &OrgSet,
    framework: FrameworkId,
    cycles: &[String],
    moderator: Option<Uuid>,
    known: Option<DateTime<Utc>>,
) -> Sql {
    let mut sql = Sql::new(
        "SELECT a.cycle, m.standard_id, m.level_id, COUNT(*) AS n FROM moderations m \
         JOIN assessments a ON a.id = m.assessment_id WHERE NOT EXISTS (SELECT 1 FROM moderations l \
         WHERE l.assessment_id = m.assessment_id AND l.standard_id = m.standard_id \
         AND (l.created_at > m.created_at OR (l.created_at = m.created_at AND l.id > m.id))",
    );
    if let Some(panel) = moderator {
        sql.push(" AND l.panel_id = ").bind(panel);
    }
    // As known at a moment, the moderation in force then: later ones are not yet recorded.
    push_known(&mut sql, "l.created_at", AsAt::new(None, known));
    sql.push(") AND ");
    if let Some(panel) = moderator {
        sql.push("m.panel_id = ").bind(panel).push(" AND ");
    }
    if let Some(known) = known {
        sql.push("m.created_at <= ").bind(known).push(" AND ");
    }
    assessed(&mut sql, counted, framework, cycles, known);
    sql.push(" GROUP BY a.cycle, m.standard_id, m.level_id");
    sql
}

/// Counts the ratings and moderations of the submitted self-assessments of `counted` (and,
/// with `named`, the organisations at each level among those): three statements (two without
/// names). With `moderator`, only that panel's moderations count.
async fn count_tallies(
    access: &Access,
    framework: FrameworkId,
    cycles: &[String],
    counted: &OrgSet,
    named: Option<&OrgSet>,
    moderator: Option<Uuid>,
    known: Option<DateTime<Utc>>,
) -> AppResult<Tallies> {
    // Counted as a summary: a partner counts sharers' ratings it may not read one by one.
    let postgres = access.db().get_database_backend() == DbBackend::Postgres;
    let own: Vec<CountRow> = if postgres {
        scope::hashed_summary_rows(access, &ratings_lateral(counted, framework, cycles, known))
            .await?
    } else {
        scope::summary_rows(access, &ratings_joined(counted, framework, cycles, known)).await?
    };
    let sql = if postgres {
        moderated_lateral(counted, framework, cycles, moderator, known)
    } else {
        moderated_apart(counted, framework, cycles, moderator, known)
    };
    let moderated: Vec<CountRow> = scope::summary_rows(access, &sql).await?;

    let named = match named {
        Some(nameable) => {
            let mut sql = Sql::new(
                "SELECT a.cycle, r.standard_id, r.level_id, a.org_id FROM ratings r \
                 JOIN assessments a ON a.id = r.assessment_id WHERE r.level_id IS NOT NULL AND ",
            );
            assessed(&mut sql, nameable, framework, cycles, known);
            scope::summary_rows::<NamedRow>(access, &sql).await?
        }
        None => Vec::new(),
    };

    let counts = |rows: Vec<CountRow>| -> HashMap<TallyKey, i64> {
        rows.into_iter()
            .map(|r| ((r.cycle, r.standard_id, r.level_id), r.n))
            .collect()
    };
    let mut names: HashMap<TallyKey, Vec<OrgId>> = HashMap::new();
    for n in named {
        names
            .entry((n.cycle, n.standard_id, n.level_id))
            .or_default()
            .push(OrgId(n.org_id));
    }
    for orgs in names.values_mut() {
        orgs.sort();
    }
    Ok(Tallies {
        own: counts(own),
        moderated: counts(moderated),
        names,
    })
}

/// Progress against standards, by question (framework, cycles, who is counted and named),
/// with the assurance epoch it was counted at: a few questions per partner body and panel,
/// for the frameworks they follow; an answer with names runs to a few hundred kilobytes at
/// national scale.
struct RememberedTallies;

impl crate::cache::Memo for RememberedTallies {
    type Key = TalliesOf;
    type Value = (i64, Arc<Tallies>);
    const CAPACITY: usize = 256;
}

/// The tallies for the question, as remembered when they were counted at the current
/// assurance epoch: one statement then, four at most otherwise.
async fn tallies(access: &Access, of: TalliesOf) -> AppResult<Arc<Tallies>> {
    // The epoch is read first: what is counted after it is at least as new (see `epochs`).
    let epoch = access.epoch(epochs::Epoch::ASSURANCE).await?;
    let remembered = access.remembered().of::<RememberedTallies>();
    if let Some(tallies) = remembered.at_epoch(&of, epoch) {
        return Ok(tallies);
    }
    let (framework, cycles, counted, named, moderator, known) = &of;
    let tallies = Arc::new(
        count_tallies(
            access,
            *framework,
            cycles,
            counted,
            named.as_ref(),
            *moderator,
            *known,
        )
        .await?,
    );
    remembered.keep_newest(of, epoch, tallies.clone());
    Ok(tallies)
}

/// Per standard and cycle, the organisations at each level (their own and the moderated),
/// the number assessed, and the change since the previous cycle; with `names`, also the
/// organisations that may be named at each level. The counts are remembered until an
/// assessment changes.
pub async fn standards_progress(
    access: &Access,
    framework: FrameworkId,
    cycles: Vec<String>,
    names: bool,
    known: Option<DateTime<Utc>>,
) -> AppResult<StandardsProgress> {
    let (counted, nameable, suppressing) = population(access)?;
    // A panel's judgements are its own and its member's: another panel never counts them.
    let moderator =
        (access.actor().org_kind == OrgKind::RegionalPanel).then_some(access.org_id().0);
    let (fw, standards, levels) = frameworks::with_content(access, framework).await?;
    let tallies = tallies(
        access,
        (
            framework,
            cycles.clone(),
            counted,
            names.then_some(nameable),
            moderator,
            AsAt::new(None, known).known,
        ),
    )
    .await?;
    let (own, moderated, names) = (&tallies.own, &tallies.moderated, &tallies.names);

    let mut rows = Vec::new();
    for standard in &standards {
        let mut previous: Option<(Vec<Count>, Vec<Count>)> = None;
        for cycle in &cycles {
            let key = |level: &Level| (cycle.clone(), standard.id.0, level.id.0);
            let raw_own: Vec<i64> = levels
                .iter()
                .map(|l| own.get(&key(l)).copied().unwrap_or(0))
                .collect();
            let raw_mod: Vec<i64> = levels
                .iter()
                .map(|l| moderated.get(&key(l)).copied().unwrap_or(0))
                .collect();
            let total: i64 = raw_own.iter().sum();
            let (own_counts, mod_counts, assessed_count) = if suppressing {
                (suppress(&raw_own), suppress(&raw_mod), withhold(total))
            } else {
                (shown(&raw_own), shown(&raw_mod), Count::Shown(total))
            };
            let change = |now: &[Count], before: Option<&Vec<Count>>, i: usize| match (
                now[i],
                before.map(|b| b[i]),
            ) {
                (Count::Shown(a), Some(Count::Shown(b))) => Some(a - b),
                _ => None,
            };
            let level_counts = levels
                .iter()
                .enumerate()
                .map(|(i, level)| {
                    let named = names.get(&key(level)).cloned().unwrap_or_default();
                    LevelCount {
                        level: level.clone(),
                        self_count: own_counts[i],
                        moderated_count: mod_counts[i],
                        self_change: change(&own_counts, previous.as_ref().map(|p| &p.0), i),
                        moderated_change: change(&mod_counts, previous.as_ref().map(|p| &p.1), i),
                        named,
                    }
                })
                .collect();
            rows.push(ProgressRow {
                standard: standard.clone(),
                cycle: cycle.clone(),
                assessed: assessed_count,
                levels: level_counts,
            });
            previous = Some((own_counts, mod_counts));
        }
    }
    Ok(StandardsProgress {
        framework: fw,
        cycles,
        suppressing,
        rows,
    })
}

fn shown(raw: &[i64]) -> Vec<Count> {
    raw.iter().map(|n| Count::Shown(*n)).collect()
}

fn withhold(n: i64) -> Count {
    if n > 0 && n < MIN_GROUP {
        Count::Suppressed
    } else {
        Count::Shown(n)
    }
}

/// Withholds every group of 1 or 2. When only one group of a row is withheld, the total would
/// give it away by subtraction, so the next smallest group is withheld with it.
fn suppress(raw: &[i64]) -> Vec<Count> {
    let mut out: Vec<Count> = raw.iter().map(|n| withhold(*n)).collect();
    let withheld = out.iter().filter(|c| **c == Count::Suppressed).count();
    if withheld == 1 {
        let next = raw
            .iter()
            .enumerate()
            .filter(|(i, n)| **n > 0 && out[*i] != Count::Suppressed)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        if let Some(i) = next {
            out[i] = Count::Suppressed;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_groups_are_withheld_with_a_second_one_when_alone() {
        assert_eq!(suppress(&[0, 5, 7, 4]), shown(&[0, 5, 7, 4]));
        // A lone group of 2 would be given away by the total: the next smallest goes too.
        assert_eq!(
            suppress(&[2, 5, 7, 4]),
            vec![
                Count::Suppressed,
                Count::Shown(5),
                Count::Shown(7),
                Count::Suppressed
            ]
        );
        assert_eq!(
            suppress(&[1, 2, 9, 0]),
            vec![
                Count::Suppressed,
                Count::Suppressed,
                Count::Shown(9),
                Count::Shown(0)
            ]
        );
        assert_eq!(withhold(2), Count::Suppressed);
        assert_eq!(withhold(0), Count::Shown(0));
        assert_eq!(withhold(3), Count::Shown(3));
    }
}
