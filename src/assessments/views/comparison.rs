//! A panel's heat map: each current member's own and moderated levels of each standard of a
//! framework, in one cycle, with the RAG of its actions.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::history::{AsAt, push_known};
use sea_orm::{ColumnTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use crate::access::scope::{self};
use crate::access::{Access, OrgSet, Purpose};
use crate::actions::summary::{self, ActionCounts, Grouping};
use crate::epochs::{Epoch, Family};
use crate::error::{AppError, AppResult};
use crate::ids::{FrameworkId, OrgId};
use crate::organisations::{OrgKind, Organisation};
use crate::sql::Sql;
use crate::standards::{Framework, Level, Standard, service as frameworks};

/// One cell of the heat map: a member's levels for one standard. The standard and levels are
/// shared with every other cell of the map (hundreds of cells name the same fifteen standards
/// and four levels), so a cell answers them without a lookup or a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub standard: Arc<Standard>,
    pub self_level: Option<Arc<Level>>,
    pub moderated_level: Option<Arc<Level>>,
    pub outcome: Option<crate::assessments::Outcome>,
    pub challenged: bool,
}

/// One member of the heat map.
#[derive(Clone, Debug)]
pub struct Row {
    pub organisation: Organisation,
    pub assessment: Option<crate::assessments::Assessment>,
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

/// One row of [`marks`]' statement: a rating (part 0), a moderation (1) or a challenge (2).
#[derive(FromQueryResult)]
struct MarkRow {
    part: i32,
    assessment_id: Uuid,
    standard_id: Option<Uuid>,
    level_id: Option<Uuid>,
    outcome: Option<crate::assessments::Outcome>,
    held_on: Option<NaiveDate>,
}

/// What the members' assessments were given: their own levels, the panel's moderations in
/// force, and when the panel last challenged each.
#[derive(Default)]
struct Marks {
    /// (assessment, standard) → own level.
    self_levels: HashMap<(Uuid, Uuid), Option<Uuid>>,
    /// (assessment, standard) → the latest moderation's level and outcome.
    moderated: HashMap<(Uuid, Uuid), (Uuid, crate::assessments::Outcome)>,
    /// assessment → the last day the panel challenged it.
    challenged: HashMap<Uuid, Option<NaiveDate>>,
}

/// The ratings of the `assessments`, the panel's moderations and its last challenges of them,
/// as known at `at`: one statement, three parts. Moderations come oldest first, so that the
/// latest of each standard is the one kept.
async fn marks(access: &Access, panel: OrgId, assessments: &[Uuid], at: AsAt) -> AppResult<Marks> {
    if assessments.is_empty() {
        return Ok(Marks::default());
    }
    let ids = || assessments.iter().copied();
    let mut sql = Sql::new(
        "SELECT 0 AS part, r.assessment_id, r.standard_id, r.level_id, \
         CAST(NULL AS TEXT) AS outcome, CAST(NULL AS DATE) AS held_on, \
         CAST(NULL AS TIMESTAMPTZ) AS created_at, r.id AS id FROM ratings r WHERE ",
    );
    sql.push_in("r.assessment_id", ids())
        .push(
            " UNION ALL SELECT 1, m.assessment_id, m.standard_id, m.level_id, m.outcome, NULL, \
             m.created_at, m.id FROM moderations m WHERE m.panel_id = ",
        )
        .bind(panel.0)
        .push(" AND ")
        .push_in("m.assessment_id", ids());
    push_known(&mut sql, "m.created_at", at);
    sql.push(
        " UNION ALL SELECT 2, c.assessment_id, NULL, NULL, NULL, MAX(c.held_on), NULL, NULL \
         FROM challenges c WHERE c.panel_id = ",
    )
    .bind(panel.0)
    .push(" AND ")
    .push_in("c.assessment_id", ids());
    push_known(&mut sql, "c.created_at", at);
    sql.push(" GROUP BY c.assessment_id ORDER BY part, created_at, id");
    let mut marks = Marks::default();
    for row in scope::rows::<MarkRow>(access, &sql).await? {
        match (row.part, row.standard_id) {
            (0, Some(standard)) => {
                marks
                    .self_levels
                    .insert((row.assessment_id, standard), row.level_id);
            }
            (1, Some(standard)) => {
                if let (Some(level), Some(outcome)) = (row.level_id, row.outcome) {
                    marks
                        .moderated
                        .insert((row.assessment_id, standard), (level, outcome));
                }
            }
            _ => {
                marks.challenged.insert(row.assessment_id, row.held_on);
            }
        }
    }
    Ok(marks)
}

/// Whole heat maps, remembered between requests: every user of a panel asks for the same
/// few, and each costs seven statements to build.
struct RememberedComparisons;

impl crate::cache::Memo for RememberedComparisons {
    /// The panel (the caller's own), the framework, the cycle and the moment.
    type Key = (OrgId, FrameworkId, String, AsAt);
    type Value = (Stamp, Arc<PanelComparison>);
    const CAPACITY: usize = 128;
}

/// The epochs a heat map was built at. The directory and memberships (who the members are,
/// their names) and the assurance records (the framework, assessments, ratings, challenges,
/// moderations) are read with every request's opening statement; the members' actions
/// epochs cost one statement, and are not needed for a settled moment of knowledge (see
/// [`AsAt::settled`]), whose counts never change.
#[derive(Clone, PartialEq, Eq)]
struct Stamp {
    visibility: i64,
    assurance: i64,
    actions: Option<Vec<(Uuid, i64)>>,
}

async fn stamp(access: &Access, members: &[Uuid], at: AsAt) -> AppResult<Stamp> {
    let visibility = access.epoch(Epoch::VISIBILITY).await?;
    let assurance = access.epoch(Epoch::ASSURANCE).await?;
    let actions = if at.settled() || members.is_empty() {
        None
    } else {
        let epochs = access.epochs(Family::Actions, members).await?;
        let mut actions: Vec<(Uuid, i64)> = members
            .iter()
            .map(|m| (*m, epochs.get(m).copied().unwrap_or(0)))
            .collect();
        actions.sort_unstable();
        Some(actions)
    };
    Ok(Stamp {
        visibility,
        assurance,
        actions,
    })
}

/// The heat map of the caller's panel: rows are its members, columns the framework's
/// standards, cells the member's submitted self-assessment level and the panel's moderated
/// level; per member, its actions by RAG at the end of `as_of` and the date it was last
/// challenged. Another panel, or an organisation that is not a panel, is not found.
///
/// Remembered whole until a membership, the directory, an assurance record or a member's
/// actions change (see [`Stamp`]).
pub async fn panel_comparison(
    access: &Access,
    panel: OrgId,
    framework: FrameworkId,
    cycle: String,
    at: AsAt,
) -> AppResult<Arc<PanelComparison>> {
    if panel != access.org_id() || access.actor().org_kind != OrgKind::RegionalPanel {
        return Err(AppError::NotFound("panel"));
    }
    let members: Vec<Uuid> = match access.orgs(Purpose::PanelMembers) {
        OrgSet::Only(ids) => ids.into_iter().collect(),
        OrgSet::All => Vec::new(),
    };
    // The epochs are read first: what is built after them is at least as new.
    let stamp = stamp(access, &members, at).await?;
    let remembered = access.remembered().of::<RememberedComparisons>();
    let key = (panel, framework, cycle, at);
    if let Some((held, comparison)) = remembered.get(&key)
        && held == stamp
    {
        return Ok(comparison);
    }
    let comparison = Arc::new(
        build(
            access,
            (panel, stamp.visibility),
            framework,
            key.2.clone(),
            at,
            members,
        )
        .await?,
    );
    remembered.insert(key, (stamp, comparison.clone()));
    Ok(comparison)
}

/// The members' organisations of every heat map of a panel, by name, remembered per panel
/// until the directory or a membership changes (the visibility epoch, which also decides who
/// the members are): a heat map rebuilt because a member's records changed names the same
/// organisations.
struct RememberedMembers;

impl crate::cache::Memo for RememberedMembers {
    /// The panel (the caller's own).
    type Key = OrgId;
    /// The visibility epoch they were read at, and the organisations.
    type Value = (i64, Arc<Vec<Organisation>>);
    const CAPACITY: usize = 256;
}

/// The panel's `members` by name, read at the `visibility` epoch or remembered from it.
async fn members_by_name(
    access: &Access,
    (panel, visibility): (OrgId, i64),
    members: &[Uuid],
) -> AppResult<Arc<Vec<Organisation>>> {
    let remembered = access.remembered().of::<RememberedMembers>();
    if let Some(orgs) = remembered.at_epoch(&panel, visibility) {
        return Ok(orgs);
    }
    let mut orgs = crate::organisations::service::by_ids(access, members).await?;
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    let orgs = Arc::new(orgs);
    remembered.keep_newest(panel, visibility, orgs.clone());
    Ok(orgs)
}

/// Builds a heat map (see [`panel_comparison`]) of the panel's `members`, as the directory
/// stood at the visibility epoch given with the panel.
async fn build(
    access: &Access,
    (panel, visibility): (OrgId, i64),
    framework: FrameworkId,
    cycle: String,
    at: AsAt,
    members: Vec<Uuid>,
) -> AppResult<PanelComparison> {
    let as_of = at.day;
    let (fw, standards, levels) = frameworks::with_content(access, framework).await?;
    let orgs = members_by_name(access, (panel, visibility), &members).await?;

    // The members' submitted self-assessments of the cycle (never drafts), submitted by the
    // moment asked about. Their ratings keep no history: those submitted are as they are now.
    let submitted = crate::assessments::service::readable_as_known(access, at);
    let assessments: Vec<crate::assessments::Assessment> = submitted
        .filter(crate::entity::assessment::Column::OrgId.is_in(members.iter().copied()))
        .filter(crate::entity::assessment::Column::FrameworkId.eq(framework.0))
        .filter(crate::entity::assessment::Column::Cycle.eq(&cycle))
        .filter(
            crate::entity::assessment::Column::Tier.eq(crate::assessments::Tier::SelfAssessment),
        )
        .filter(
            crate::entity::assessment::Column::Status
                .ne(crate::assessments::AssessmentStatus::Draft),
        )
        .all(access.db())
        .await?
        .into_iter()
        .map(crate::assessments::Assessment::from)
        .collect();
    let ids: Vec<Uuid> = assessments.iter().map(|a| a.id.0).collect();

    let marks = marks(access, panel, &ids, at).await?;
    let actions = summary::action_counts(access, Grouping::Organisation, &members, at).await?;

    let Marks {
        self_levels,
        moderated,
        challenged,
    } = marks;
    let by_org: HashMap<Uuid, crate::assessments::Assessment> =
        assessments.into_iter().map(|a| (a.org_id.0, a)).collect();
    let shared_standards: Vec<Arc<Standard>> = standards.iter().cloned().map(Arc::new).collect();
    let shared_levels: HashMap<Uuid, Arc<Level>> = levels
        .iter()
        .map(|l| (l.id.0, Arc::new(l.clone())))
        .collect();
    let level = |id: Option<Uuid>| id.and_then(|id| shared_levels.get(&id).cloned());
    let rows = orgs
        .iter()
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
                organisation: org.clone(),
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
