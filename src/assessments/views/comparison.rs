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
use crate::epochs::Family;
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
    let whole = |epochs: HashMap<Uuid, i64>| epochs.get(&Uuid::nil()).copied().unwrap_or(0);
    let visibility = whole(access.epochs(Family::Visibility, &[Uuid::nil()]).await?);
    let assurance = whole(access.epochs(Family::Assurance, &[Uuid::nil()]).await?);
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
    let comparison = Arc::new(build(access, panel, framework, key.2.clone(), at, members).await?);
    remembered.insert(key, (stamp, comparison.clone()));
    Ok(comparison)
}

/// Builds a heat map (see [`panel_comparison`]) of the panel's `members`.
async fn build(
    access: &Access,
    panel: OrgId,
    framework: FrameworkId,
    cycle: String,
    at: AsAt,
    members: Vec<Uuid>,
) -> AppResult<PanelComparison> {
    let as_of = at.day;
    let (fw, standards, levels) = frameworks::with_content(access, framework).await?;
    let mut orgs = crate::organisations::service::by_ids(access, &members).await?;
    orgs.sort_by(|a, b| a.name.cmp(&b.name));

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

    let mut sql =
        Sql::new("SELECT r.assessment_id, r.standard_id, r.level_id FROM ratings r WHERE ");
    sql.push_in("r.assessment_id", ids.iter().copied());
    let own_levels: Vec<LevelRow> = scope::rows(access, &sql).await?;

    // This panel's moderations, the latest of each standard in force.
    let mut sql = Sql::new("SELECT m.* FROM moderations m WHERE m.panel_id = ");
    sql.bind(panel.0)
        .push(" AND ")
        .push_in("m.assessment_id", ids.iter().copied());
    push_known(&mut sql, "m.created_at", at);
    sql.push(" ORDER BY m.created_at, m.id");
    let moderations: Vec<crate::entity::moderation::Model> = scope::rows(access, &sql).await?;

    let mut sql = Sql::new(
        "SELECT c.assessment_id, MAX(c.held_on) AS held_on FROM challenges c WHERE c.panel_id = ",
    );
    sql.bind(panel.0)
        .push(" AND ")
        .push_in("c.assessment_id", ids.iter().copied());
    push_known(&mut sql, "c.created_at", at);
    sql.push(" GROUP BY c.assessment_id");
    let challenged: HashMap<Uuid, Option<NaiveDate>> = scope::rows::<ChallengeRow>(access, &sql)
        .await?
        .into_iter()
        .map(|c| (c.assessment_id, c.held_on))
        .collect();

    let actions = summary::action_counts(access, Grouping::Organisation, &members, at).await?;

    let mut self_levels: HashMap<(Uuid, Uuid), Option<Uuid>> = HashMap::new();
    for row in own_levels {
        self_levels.insert((row.assessment_id, row.standard_id), row.level_id);
    }
    let mut moderated: HashMap<(Uuid, Uuid), (Uuid, crate::assessments::Outcome)> = HashMap::new();
    for m in moderations {
        moderated.insert((m.assessment_id, m.standard_id), (m.level_id, m.outcome));
    }
    let by_org: HashMap<Uuid, crate::assessments::Assessment> =
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
