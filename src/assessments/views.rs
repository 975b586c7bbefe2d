//! The cross-tenant views: a panel's heat map of its members against a framework, and the
//! progress against a framework's standards across the organisations that share it.
//!
//! Both read a bounded number of statements whatever the number of organisations, and count in
//! SQL. Every figure respects sharing: drafts are never counted; a panel sees its current
//! members (one that leaves disappears at once); a partner body counts the organisations that
//! share with partners, names only those that share by name, and never shows a group of fewer
//! than [`MIN_GROUP`].

// Not yet on the entry points of `access::scope`: its reads build on `find` and add the
// caller's scope themselves (see the README's known gaps). Row-level security binds them.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::access::{Access, OrgSet, Purpose};
use crate::actions::summary::{self, ActionCounts, Grouping};
use crate::epochs;
use crate::error::{AppError, AppResult};
use crate::ids::{FrameworkId, OrgId, RatingLevelId, StandardId};
use crate::organisations::{OrgKind, Organisation};
use crate::sql::Sql;
use crate::standards::{Framework, Level, Standard, service as frameworks};

/// The smallest group a partner body is shown the size of.
pub const MIN_GROUP: i64 = 3;

/// One cell of the heat map: a member's levels for one standard. The standard and levels are
/// shared with every other cell of the map (hundreds of cells name the same fifteen standards
/// and four levels), so a cell answers them without a lookup or a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub standard: Arc<Standard>,
    pub self_level: Option<Arc<Level>>,
    pub moderated_level: Option<Arc<Level>>,
    pub outcome: Option<super::Outcome>,
    pub challenged: bool,
}

/// One member of the heat map.
#[derive(Clone, Debug)]
pub struct Row {
    pub organisation: Organisation,
    pub assessment: Option<super::Assessment>,
    pub cells: Vec<Cell>,
    pub actions: ActionCounts,
    pub last_challenged_on: Option<NaiveDate>,
}

/// A panel's comparison of its members against one framework, for one cycle.
#[derive(Clone, Debug)]
pub struct PanelComparison {
    pub panel: OrgId,
    pub framework: Framework,
    pub cycle: String,
    pub as_of: NaiveDate,
    pub standards: Vec<Standard>,
    pub levels: Vec<Level>,
    pub rows: Vec<Row>,
}

#[derive(FromQueryResult)]
struct LevelRow {
    assessment_id: Uuid,
    standard_id: Uuid,
    level_id: Option<Uuid>,
}

#[derive(FromQueryResult)]
struct ChallengeRow {
    assessment_id: Uuid,
    held_on: Option<NaiveDate>,
}

/// The heat map of the caller's panel: rows are its members, columns the framework's
/// standards, cells the member's submitted self-assessment level and the panel's moderated
/// level; per member, its actions by RAG at the end of `as_of` and the date it was last
/// challenged. Another panel, or an organisation that is not a panel, is not found.
pub async fn panel_comparison(
    access: &Access,
    panel: OrgId,
    framework: FrameworkId,
    cycle: String,
    as_of: NaiveDate,
) -> AppResult<PanelComparison> {
    if panel != access.org_id() || access.actor().org_kind != OrgKind::RegionalPanel {
        return Err(AppError::NotFound("panel"));
    }
    let (fw, standards, levels) = frameworks::with_content(access, framework).await?;
    let members: Vec<Uuid> = match access.orgs(Purpose::PanelMembers) {
        OrgSet::Only(ids) => ids.into_iter().collect(),
        OrgSet::All => Vec::new(),
    };
    let mut orgs = crate::organisations::service::by_ids(access, &members).await?;
    orgs.sort_by(|a, b| a.name.cmp(&b.name));

    // The members' submitted self-assessments of the cycle (never drafts).
    let assessments: Vec<super::Assessment> = super::service::readable(access)
        .filter(crate::entity::assessment::Column::OrgId.is_in(members.iter().copied()))
        .filter(crate::entity::assessment::Column::FrameworkId.eq(framework.0))
        .filter(crate::entity::assessment::Column::Cycle.eq(&cycle))
        .filter(crate::entity::assessment::Column::Tier.eq(super::Tier::SelfAssessment))
        .filter(crate::entity::assessment::Column::Status.ne(super::AssessmentStatus::Draft))
        .all(access.db())
        .await?
        .into_iter()
        .map(super::Assessment::from)
        .collect();
    let ids: Vec<Uuid> = assessments.iter().map(|a| a.id.0).collect();
    let db = access.db();
    let backend = db.get_database_backend();

    let mut sql =
        Sql::new("SELECT r.assessment_id, r.standard_id, r.level_id FROM ratings r WHERE ");
    sql.push_in("r.assessment_id", ids.iter().copied());
    let own_levels = LevelRow::find_by_statement(sql.statement(backend))
        .all(db)
        .await?;

    // This panel's moderations, the latest of each standard in force.
    let mut sql = Sql::new("SELECT m.* FROM moderations m WHERE m.panel_id = ");
    sql.bind(panel.0)
        .push(" AND ")
        .push_in("m.assessment_id", ids.iter().copied());
    sql.push(" ORDER BY m.created_at, m.id");
    let moderations = crate::entity::moderation::Model::find_by_statement(sql.statement(backend))
        .all(db)
        .await?;

    let mut sql = Sql::new(
        "SELECT c.assessment_id, MAX(c.held_on) AS held_on FROM challenges c WHERE c.panel_id = ",
    );
    sql.bind(panel.0)
        .push(" AND ")
        .push_in("c.assessment_id", ids.iter().copied());
    sql.push(" GROUP BY c.assessment_id");
    let challenged: HashMap<Uuid, Option<NaiveDate>> =
        ChallengeRow::find_by_statement(sql.statement(backend))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.assessment_id, c.held_on))
            .collect();

    let actions = summary::action_counts(access, Grouping::Organisation, &members, as_of).await?;

    let mut self_levels: HashMap<(Uuid, Uuid), Option<Uuid>> = HashMap::new();
    for row in own_levels {
        self_levels.insert((row.assessment_id, row.standard_id), row.level_id);
    }
    let mut moderated: HashMap<(Uuid, Uuid), (Uuid, super::Outcome)> = HashMap::new();
    for m in moderations {
        moderated.insert((m.assessment_id, m.standard_id), (m.level_id, m.outcome));
    }
    let by_org: HashMap<Uuid, super::Assessment> =
        assessments.into_iter().map(|a| (a.org_id.0, a)).collect();
    let shared_standards: Vec<Arc<Standard>> = standards.iter().cloned().map(Arc::new).collect();
    let shared_levels: HashMap<Uuid, Arc<Level>> = levels
        .iter()
        .map(|l| (l.id.0, Arc::new(l.clone())))
        .collect();
    let level = |id: Option<Uuid>| id.and_then(|id| shared_levels.get(&id).cloned());
    let rows = orgs
        .into_iter()
        .map(|org| {
            let assessment = by_org.get(&org.id.0).cloned();
            let cells = shared_standards
                .iter()
                .map(|s| {
                    let key = assessment.as_ref().map(|a| (a.id.0, s.id.0));
                    let m = key.and_then(|k| moderated.get(&k));
                    Cell {
                        standard: s.clone(),
                        self_level: level(key.and_then(|k| self_levels.get(&k).copied().flatten())),
                        moderated_level: level(m.map(|(l, _)| *l)),
                        outcome: m.map(|(_, o)| *o),
                        challenged: m.is_some(),
                    }
                })
                .collect();
            Row {
                actions: actions.get(&org.id.0).cloned().unwrap_or_default(),
                last_challenged_on: assessment
                    .as_ref()
                    .and_then(|a| challenged.get(&a.id.0).copied().flatten()),
                organisation: org,
                assessment,
                cells,
            }
        })
        .collect();
    Ok(PanelComparison {
        panel,
        framework: fw,
        cycle,
        as_of,
        standards,
        levels,
        rows,
    })
}

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

/// The submitted self-assessments of `counted` for the framework and cycles, as a condition
/// on an `assessments a` joined in.
fn assessed(sql: &mut Sql, counted: &OrgSet, framework: FrameworkId, cycles: &[String]) {
    sql.push("a.framework_id = ")
        .bind(framework.0)
        .push(" AND a.tier = 'SELF_ASSESSMENT' AND a.status <> 'DRAFT' AND ");
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
/// those named (when names were asked for), and the panel whose moderations count (`None`:
/// the moderation in force, by whichever panel).
pub type TalliesOf = (
    FrameworkId,
    Vec<String>,
    OrgSet,
    Option<OrgSet>,
    Option<Uuid>,
);

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
) -> AppResult<Tallies> {
    // Counted as a summary: a partner counts sharers' ratings it may not read one by one.
    let summary = access.db().for_summary();
    let db = &summary;
    let backend = db.get_database_backend();

    let mut sql = Sql::new(
        "SELECT a.cycle, r.standard_id, r.level_id, COUNT(*) AS n FROM ratings r \
         JOIN assessments a ON a.id = r.assessment_id WHERE r.level_id IS NOT NULL AND ",
    );
    assessed(&mut sql, counted, framework, cycles);
    sql.push(" GROUP BY a.cycle, r.standard_id, r.level_id");
    let own = CountRow::find_by_statement(sql.statement(backend))
        .all(db)
        .await?;

    // The moderation in force for each (assessment, standard): the latest, by the moderator
    // when there is one (a panel reads its own judgements, never another panel's), else by
    // any panel.
    let mut sql = Sql::new(
        "SELECT a.cycle, m.standard_id, m.level_id, COUNT(*) AS n FROM moderations m \
         JOIN assessments a ON a.id = m.assessment_id WHERE NOT EXISTS (SELECT 1 FROM moderations l \
         WHERE l.assessment_id = m.assessment_id AND l.standard_id = m.standard_id \
         AND (l.created_at > m.created_at OR (l.created_at = m.created_at AND l.id > m.id))",
    );
    if let Some(panel) = moderator {
        sql.push(" AND l.panel_id = ").bind(panel);
    }
    sql.push(") AND ");
    if let Some(panel) = moderator {
        sql.push("m.panel_id = ").bind(panel).push(" AND ");
    }
    assessed(&mut sql, counted, framework, cycles);
    sql.push(" GROUP BY a.cycle, m.standard_id, m.level_id");
    let moderated = CountRow::find_by_statement(sql.statement(backend))
        .all(db)
        .await?;

    let named = match named {
        Some(nameable) => {
            let mut sql = Sql::new(
                "SELECT a.cycle, r.standard_id, r.level_id, a.org_id FROM ratings r \
                 JOIN assessments a ON a.id = r.assessment_id WHERE r.level_id IS NOT NULL AND ",
            );
            assessed(&mut sql, nameable, framework, cycles);
            NamedRow::find_by_statement(sql.statement(backend))
                .all(db)
                .await?
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
    let epoch = epochs::current_one(access.db(), epochs::Epoch::ASSURANCE).await?;
    let remembered = access.remembered().of::<RememberedTallies>();
    if let Some((at, tallies)) = remembered.get(&of)
        && at == epoch
    {
        return Ok(tallies);
    }
    let (framework, cycles, counted, named, moderator) = &of;
    let tallies = Arc::new(
        count_tallies(
            access,
            *framework,
            cycles,
            counted,
            named.as_ref(),
            *moderator,
        )
        .await?,
    );
    // A slower reader of an older epoch must not replace a newer count.
    remembered.insert_unless(of, (epoch, tallies.clone()), |(held, _)| *held > epoch);
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

/// How a standard stands in one organisation: its latest levels, its open recommendations, and
/// the RAG of the actions that answer them.
#[derive(Clone, Debug)]
pub struct StandardInOrganisation {
    pub organisation: OrgId,
    pub standard: Standard,
    pub as_of: NaiveDate,
    pub assessment: Option<super::Assessment>,
    pub self_level: Option<RatingLevelId>,
    pub moderated_level: Option<RatingLevelId>,
    pub open_recommendations: Vec<crate::reviews::Recommendation>,
    pub actions: ActionCounts,
}

/// One standard as it stands in `org`, for a caller who reads `org` in detail (its own, or a
/// panel member that shares detail); `None` for anyone else.
pub async fn standard_in(
    access: &Access,
    org: OrgId,
    standard: StandardId,
    as_of: NaiveDate,
) -> AppResult<Option<StandardInOrganisation>> {
    if !access.orgs(Purpose::Detail).contains(org.0) {
        return Ok(None);
    }
    let standard = frameworks::get_standard(access, standard).await?;
    // The latest assessment of its framework that the caller may read, by cycle.
    let latest = super::service::readable(access)
        .filter(crate::entity::assessment::Column::OrgId.eq(org.0))
        .filter(crate::entity::assessment::Column::FrameworkId.eq(standard.framework_id.0))
        .filter(crate::entity::assessment::Column::Tier.eq(super::Tier::SelfAssessment))
        .filter(crate::entity::assessment::Column::Status.ne(super::AssessmentStatus::Draft))
        .order_by_desc(crate::entity::assessment::Column::Cycle)
        .one(access.db())
        .await?
        .map(super::Assessment::from);
    let (self_level, moderated_level) = match &latest {
        Some(a) => {
            let rating = crate::entity::rating::Entity::find()
                .filter(crate::entity::rating::Column::AssessmentId.eq(a.id.0))
                .filter(crate::entity::rating::Column::StandardId.eq(standard.id.0))
                .one(access.db())
                .await?;
            let moderation = super::challenges::moderations_of(access, vec![a.id.0])
                .await?
                .remove(&a.id.0)
                .unwrap_or_default()
                .into_iter()
                .rfind(|m| m.standard_id == standard.id);
            (
                rating.and_then(|r| r.level_id).map(RatingLevelId),
                moderation.map(|m| m.level_id),
            )
        }
        None => (None, None),
    };
    let linked =
        crate::reviews::standards::recommendations_of_standard(access, org, standard.id).await?;
    let open: Vec<_> = linked
        .into_iter()
        .filter(|r| r.status.is_outstanding())
        .collect();
    let filter = crate::actions::asof::Filter {
        recommendations: Some(open.iter().map(|r| r.id).collect()),
        ..Default::default()
    };
    let actions = summary::counts(access, &filter, as_of).await?;
    Ok(Some(StandardInOrganisation {
        organisation: org,
        standard,
        as_of,
        assessment: latest,
        self_level,
        moderated_level,
        open_recommendations: open,
        actions,
    }))
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
