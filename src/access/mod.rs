//! What the caller may see and do.
//!
//! An [`Actor`] is who is calling: a user, acting for one organisation, in one role, all taken
//! from a verified token and nothing else. An [`Access`] is the actor plus the organisations it
//! may read for each [`Purpose`], resolved once per request from the panel-membership table and
//! the sharing settings (never from the token), plus the request's database handle.
//!
//! Every read of tenant-owned rows starts from a scoped entry point in [`scope`], which filters
//! by these sets; every write checks the owner and the role here.

// The access layer holds the entry points: it alone reads and writes tables directly.
#![allow(clippy::disallowed_methods)]

pub mod provisioning;
pub mod scope;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use crate::auth::{Role, TokenError, VerifiedToken, identity};
use crate::cache::Remembered;
use crate::codes::{OrgKind, PartnerSharing};
use crate::db::{Database, IdentifyDb, RequestDb, Savepoint};
use crate::entity::{panel_membership, sharing_settings};
use crate::epochs::{self, Epoch, Family};
use crate::error::{AppError, AppResult};
use crate::ids::{OrgId, UserId};

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user, created on first sight from the token's `iss` + `sub`.
    pub user_id: UserId,
    /// The organisation the token acts for.
    pub org_id: OrgId,
    /// That organisation's kind, which decides what else it may read.
    pub org_kind: OrgKind,
    /// The role the token carries within that organisation.
    pub role: Role,
}

/// Why the caller wants to read another organisation's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// To change them: the caller's own organisation only (nothing for a platform
    /// administrator, whose writes are provisioning).
    Own,
    /// Its name, kind and region: who it is.
    Directory,
    /// Its full detail (reviews, actions, assessment evidence): the caller's own organisation,
    /// and panel members that grant their panels detail.
    Detail,
    /// Its summaries (RAG counts, submitted ratings): own, every member of the caller's
    /// panel, and for a partner body the organisations that share by name.
    Summary,
    /// Being a member of the caller's panel: the members, and nothing else.
    PanelMembers,
    /// Counted, never named, in a partner body's aggregates: organisations sharing
    /// `AGGREGATE` or `NAMED` with partners.
    PartnerAggregate,
    /// Named, with its own figures, in a partner body's views: organisations sharing `NAMED`.
    PartnerNamed,
}

/// A set of organisations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrgSet {
    /// Every organisation (the platform administrator's directory).
    All,
    /// Exactly these.
    Only(BTreeSet<Uuid>),
}

/// Whether the service's own tenant filters are switched off, leaving row-level security
/// alone to keep tenants apart: only in a build with the `rls-only` feature, which exists to
/// prove that the database's policies hold by themselves. Never for a real deployment.
const APP_SCOPING_OFF: bool = cfg!(feature = "rls-only");

impl OrgSet {
    /// Whether `id` is in the set.
    pub fn contains(&self, id: Uuid) -> bool {
        if APP_SCOPING_OFF {
            return true;
        }
        self.holds(id)
    }

    /// Whether `id` is in the set, whatever the build: what the row-level security settings
    /// are made from.
    fn holds(&self, id: Uuid) -> bool {
        match self {
            OrgSet::All => true,
            OrgSet::Only(ids) => ids.contains(&id),
        }
    }

    /// The set as a Postgres array literal (`{…}`); `None` for every organisation.
    fn literal(&self) -> Option<String> {
        match self {
            OrgSet::All => None,
            OrgSet::Only(ids) => Some(format!(
                "{{{}}}",
                ids.iter()
                    .map(Uuid::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        }
    }

    /// The organisations of the set that are also in `only` (the set itself when `None`).
    pub fn narrowed(&self, only: Option<&[Uuid]>) -> OrgSet {
        match only {
            None => self.clone(),
            Some(only) => OrgSet::Only(only.iter().copied().filter(|id| self.holds(*id)).collect()),
        }
    }

    /// Appends to hand-written SQL a condition on `column` that keeps only rows of
    /// organisations in the set.
    pub fn push_condition(&self, sql: &mut crate::sql::Sql, column: &str) {
        if APP_SCOPING_OFF {
            sql.push("1 = 1");
            return;
        }
        match self {
            OrgSet::All => sql.push("1 = 1"),
            OrgSet::Only(ids) => sql.push_in(column, ids.iter().copied()),
        };
    }

    /// A filter on `column` that keeps only rows of organisations in the set.
    pub fn condition<C: ColumnTrait>(&self, column: C) -> sea_orm::Condition {
        if APP_SCOPING_OFF {
            return sea_orm::Condition::all();
        }
        match self {
            OrgSet::All => sea_orm::Condition::all(),
            OrgSet::Only(ids) => sea_orm::Condition::all().add(column.is_in(ids.iter().copied())),
        }
    }
}

/// A member of the caller's panel, and whether it shares detail with its panels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberShare {
    pub org_id: Uuid,
    pub panel_detail: bool,
}

/// The memberships and sharing settings that decide what the caller's organisation may read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visibility {
    /// Panels the caller's organisation belongs to.
    pub own_panels: Vec<Uuid>,
    /// When the caller's organisation is a panel: its members.
    pub members: Vec<MemberShare>,
    /// When the caller's organisation is a partner body: organisations sharing with partners.
    pub partner_sharers: Vec<(Uuid, PartnerSharing)>,
}

impl Visibility {
    /// The organisations `actor` may read for `purpose`. Pure, so the rules are unit-tested.
    pub fn orgs_for(&self, actor: &Actor, purpose: Purpose) -> OrgSet {
        let own = actor.org_id.0;
        if actor.role == Role::PlatformAdmin {
            // Provisioning needs the directory; it never needs tenant content.
            return match purpose {
                Purpose::Directory => OrgSet::All,
                _ => OrgSet::Only(BTreeSet::new()),
            };
        }
        let sharers = |level: Option<PartnerSharing>| {
            self.partner_sharers
                .iter()
                .filter(move |(_, s)| level.is_none_or(|l| *s == l))
                .map(|(id, _)| *id)
        };
        let set: BTreeSet<Uuid> = match purpose {
            Purpose::Own => BTreeSet::from([own]),
            Purpose::Directory => std::iter::once(own)
                .chain(self.own_panels.iter().copied())
                .chain(self.members.iter().map(|m| m.org_id))
                .chain(sharers(Some(PartnerSharing::Named)))
                .collect(),
            Purpose::Detail => std::iter::once(own)
                .chain(
                    self.members
                        .iter()
                        .filter(|m| m.panel_detail)
                        .map(|m| m.org_id),
                )
                .collect(),
            Purpose::Summary => std::iter::once(own)
                .chain(self.members.iter().map(|m| m.org_id))
                .chain(sharers(Some(PartnerSharing::Named)))
                .collect(),
            Purpose::PanelMembers => self.members.iter().map(|m| m.org_id).collect(),
            Purpose::PartnerAggregate => sharers(None).collect(),
            Purpose::PartnerNamed => sharers(Some(PartnerSharing::Named)).collect(),
        };
        OrgSet::Only(set)
    }
}

/// Each organisation's memberships and sharing settings, with the visibility epoch they were
/// read at. Keyed by kind too: what is read depends on it.
struct RememberedVisibility;

impl crate::cache::Memo for RememberedVisibility {
    type Key = (Uuid, OrgKind);
    type Value = (i64, Visibility);
    const CAPACITY: usize = 10_000;
}

struct Inner {
    actor: Actor,
    visibility: Visibility,
    db: Arc<RequestDb>,
    remembered: Arc<Remembered>,
    /// The epochs this request has read (see [`Access::epochs`]).
    epochs: std::sync::Mutex<HashMap<Epoch, i64>>,
}

/// The caller, what it may read, the request's database handle, and what the service
/// remembers between requests. Cheap to clone.
#[derive(Clone)]
pub struct Access(Arc<Inner>);

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("actor", &self.0.actor)
            .field("visibility", &self.0.visibility)
            .finish()
    }
}

impl Access {
    /// Resolves what `actor` may read, within the request's transaction.
    ///
    /// The memberships and sharing settings that decide it are remembered per organisation
    /// under the visibility epoch ([`crate::epochs`]), which every change to them moves. So
    /// on Postgres one statement usually does it all: it sets what row-level security reads
    /// (who is calling, and the organisations it may read for each purpose) from what was
    /// remembered, and reads the epoch that says whether that still holds. Otherwise three:
    /// who is calling, with the epoch; the memberships and sharing settings, under the
    /// purpose `visibility`; then the organisations for each purpose.
    pub async fn load(
        actor: Actor,
        db: Arc<RequestDb>,
        remembered: Arc<Remembered>,
    ) -> AppResult<Self> {
        let key = (actor.org_id.0, actor.org_kind);
        let memo = remembered.of::<RememberedVisibility>();
        let who = [
            ("org", actor.org_id.0.to_string()),
            ("user", actor.user_id.0.to_string()),
            ("role", actor.role.claim().to_owned()),
            ("kind", actor.org_kind.code().to_owned()),
        ];
        // The visibility epoch first, and the epochs most requests check what they remember
        // against, read once for the whole request.
        let mut opening = vec![Epoch::VISIBILITY, Epoch::ASSURANCE];
        if matches!(
            actor.org_kind,
            OrgKind::Council | OrgKind::FireAndRescueService
        ) {
            opening.push(Epoch::actions_of(actor.org_id.0));
        }
        let reads: Vec<_> = opening.iter().map(|e| epochs::reading(*e)).collect();
        let mut access = Access(Arc::new(Inner {
            actor,
            visibility: Visibility::default(),
            db,
            remembered,
            epochs: Default::default(),
        }));
        if let Some((then, visibility)) = memo.get(&key) {
            access = access.seeing(visibility);
            let mut settings = who.to_vec();
            settings.extend(access.settings());
            let now = access.db().set_settings_reading(&settings, &reads).await?;
            access.knows_epochs(&opening, &now);
            if now.first() == Some(&then) {
                return Ok(access);
            }
        }
        let mut settings = who.to_vec();
        settings.push(("purpose", "visibility".to_owned()));
        // The epoch before the rows: what is remembered is never older than its epoch.
        let now = access.db().set_settings_reading(&settings, &reads).await?;
        let visibility = load_visibility(access.actor(), access.db()).await?;
        memo.insert(key, (now.first().copied().unwrap_or(0), visibility.clone()));
        access = access.seeing(visibility);
        access.knows_epochs(&opening, &now);
        access.db().set_settings(&access.settings()).await?;
        Ok(access)
    }

    fn knows_epochs(&self, epochs: &[Epoch], values: &[i64]) {
        self.0
            .epochs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(epochs.iter().copied().zip(values.iter().copied()));
    }

    /// One epoch, as [`Access::epochs`] reads it (0 for one never moved).
    pub async fn epoch(&self, epoch: Epoch) -> AppResult<i64> {
        let read = self.epochs(epoch.family, &[epoch.subject]).await?;
        Ok(read.get(&epoch.subject).copied().unwrap_or(0))
    }

    /// The epochs of `family` for `subjects`, each read once per request: those read when the
    /// request opened, and the rest in one statement (see [`crate::epochs::current`]). What
    /// a request remembers or reuses is checked against the epochs as they were before it
    /// computed anything, which is what the epochs' rule asks.
    pub async fn epochs(&self, family: Family, subjects: &[Uuid]) -> AppResult<HashMap<Uuid, i64>> {
        let mut out = HashMap::with_capacity(subjects.len());
        let mut missing = Vec::new();
        {
            let known = self.0.epochs.lock().unwrap_or_else(|e| e.into_inner());
            for subject in subjects {
                match known.get(&Epoch {
                    family,
                    subject: *subject,
                }) {
                    Some(epoch) => {
                        out.insert(*subject, *epoch);
                    }
                    None => missing.push(*subject),
                }
            }
        }
        if !missing.is_empty() {
            let read = epochs::current(self.db(), family, &missing).await?;
            let (subjects, values): (Vec<Epoch>, Vec<i64>) = read
                .iter()
                .map(|(s, e)| {
                    (
                        Epoch {
                            family,
                            subject: *s,
                        },
                        *e,
                    )
                })
                .unzip();
            self.knows_epochs(&subjects, &values);
            out.extend(read);
        }
        Ok(out)
    }

    /// The same caller and handle, seeing through `visibility`.
    fn seeing(self, visibility: Visibility) -> Self {
        let inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| Inner {
            actor: shared.actor.clone(),
            visibility: Visibility::default(),
            db: shared.db.clone(),
            remembered: shared.remembered.clone(),
            epochs: Default::default(),
        });
        Access(Arc::new(Inner {
            visibility,
            ..inner
        }))
    }

    /// What row-level security reads of the caller's sets (see the migration that defines
    /// the policies): each purpose's organisations, as Postgres arrays.
    fn settings(&self) -> Vec<(&'static str, String)> {
        let list = |purposes: &[Purpose]| {
            let mut ids = BTreeSet::new();
            for p in purposes {
                if let OrgSet::Only(set) = self.orgs(*p) {
                    ids.extend(set);
                }
            }
            OrgSet::Only(ids).literal().unwrap_or_default()
        };
        let directory = self.orgs(Purpose::Directory);
        vec![
            (
                "directory",
                if directory == OrgSet::All { "all" } else { "" }.to_owned(),
            ),
            ("orgs_directory", directory.literal().unwrap_or_default()),
            ("orgs_detail", list(&[Purpose::Detail])),
            ("orgs_members", list(&[Purpose::PanelMembers])),
            (
                "orgs_summary",
                list(&[
                    Purpose::Summary,
                    Purpose::PanelMembers,
                    Purpose::PartnerAggregate,
                ]),
            ),
            (
                "orgs_framework_owners",
                OrgSet::Only(self.framework_owners().into_iter().collect())
                    .literal()
                    .unwrap_or_default(),
            ),
            ("purpose", String::new()),
        ]
    }

    /// Who is calling.
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }

    /// The caller's organisation.
    pub fn org_id(&self) -> OrgId {
        self.0.actor.org_id
    }

    /// The request's database handle.
    pub fn db(&self) -> &RequestDb {
        &self.0.db
    }

    /// What the service remembers between requests. Each use checks an epoch first (see
    /// [`crate::epochs`]) and keys by what the caller may read.
    pub fn remembered(&self) -> &Remembered {
        &self.0.remembered
    }

    /// The organisations the caller may read for `purpose`.
    pub fn orgs(&self, purpose: Purpose) -> OrgSet {
        self.0.visibility.orgs_for(&self.0.actor, purpose)
    }

    /// The organisations whose own frameworks the caller may read (shared frameworks are
    /// everyone's): its own, and the panels it belongs to. None for a platform administrator,
    /// who reads no tenant content whichever organisation its token names.
    pub fn framework_owners(&self) -> Vec<Uuid> {
        if self.0.actor.role == Role::PlatformAdmin {
            return Vec::new();
        }
        std::iter::once(self.0.actor.org_id.0)
            .chain(self.0.visibility.own_panels.iter().copied())
            .collect()
    }

    /// `FORBIDDEN` unless the caller holds one of `roles`. `what` completes "only … may".
    pub fn require_role(&self, roles: &[Role], what: &str) -> AppResult<()> {
        if roles.contains(&self.0.actor.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.claim()).collect();
            Err(AppError::forbidden(format!(
                "only {} may {what}",
                names.join(" or ")
            )))
        }
    }

    /// Opens a savepoint for one mutation (see [`RequestDb::savepoint`]).
    pub async fn begin_write(&self) -> AppResult<Savepoint> {
        Ok(self.0.db.savepoint().await?)
    }
}

/// Turns a verified token into an [`Actor`]: the organisation it names must exist, and the user
/// is created on first sight (or has their profile refreshed).
///
/// Runs on the pool, before the request's transaction opens, because it may write the user row
/// (a request that only reads runs in a read-only transaction).
pub async fn resolve_actor(
    db: &Database,
    callers: &identity::Callers,
    token: &VerifiedToken,
) -> Result<Actor, ResolveError> {
    // Row-level security shows identification the organisation and the user the token
    // names, and nothing else.
    let claim = match OrgId::parse("org", &token.org) {
        Ok(id) => ("claim_id", id.0.to_string()),
        Err(_) => ("claim_slug", token.org.clone()),
    };
    let conn = IdentifyDb::new(
        db,
        vec![
            claim,
            ("iss", token.issuer.clone()),
            ("sub", token.subject.clone()),
        ],
    );
    let (org_id, org_kind) = match callers.org(&token.org) {
        Some(known) => known,
        None => {
            let org = identity::find_org_by_claim(&conn, &token.org)
                .await?
                .ok_or(ResolveError::Token(TokenError::UnknownOrganisation))?;
            let found = (OrgId(org.id), org.kind);
            callers.remember_org(&token.org, found);
            found
        }
    };
    if token.role == Role::PlatformAdmin && !identity::is_operator(&conn, org_id).await? {
        return Err(ResolveError::Token(TokenError::NotOperator));
    }
    let user_id = identity::upsert_from_token(&conn, callers, token).await?;
    identity::record_acting_for(&conn, callers, org_id, user_id, token.role).await?;
    conn.finish().await?;
    Ok(Actor {
        user_id,
        org_id,
        org_kind,
        role: token.role,
    })
}

/// Why [`resolve_actor`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The token is refused.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The database failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sea_orm::DbErr> for ResolveError {
    fn from(err: sea_orm::DbErr) -> Self {
        ResolveError::App(err.into())
    }
}

async fn load_visibility(actor: &Actor, db: &impl ConnectionTrait) -> AppResult<Visibility> {
    let own = actor.org_id.0;
    let mut vis = Visibility::default();
    match actor.org_kind {
        // Panels do not nest, so a panel's own panels need no query.
        OrgKind::RegionalPanel => {
            let rows: Vec<(Uuid, Option<bool>)> = panel_membership::Entity::find()
                .select_only()
                .column(panel_membership::Column::MemberId)
                .column(sharing_settings::Column::PanelDetail)
                .join(
                    JoinType::LeftJoin,
                    panel_membership::Relation::MemberSharing.def(),
                )
                .filter(panel_membership::Column::PanelId.eq(own))
                .into_tuple()
                .all(db)
                .await?;
            vis.members = rows
                .into_iter()
                .map(|(org_id, detail)| MemberShare {
                    org_id,
                    panel_detail: detail.unwrap_or(false),
                })
                .collect();
        }
        OrgKind::PartnerBody => {
            vis.partner_sharers = sharing_settings::Entity::find()
                .select_only()
                .column(sharing_settings::Column::OrgId)
                .column(sharing_settings::Column::Partners)
                .filter(sharing_settings::Column::Partners.ne(PartnerSharing::None))
                .into_tuple()
                .all(db)
                .await?;
        }
        OrgKind::Council | OrgKind::FireAndRescueService => {
            vis.own_panels = panel_membership::Entity::find()
                .select_only()
                .column(panel_membership::Column::PanelId)
                .filter(panel_membership::Column::MemberId.eq(own))
                .into_tuple()
                .all(db)
                .await?;
        }
    }
    Ok(vis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(kind: OrgKind, role: Role) -> Actor {
        Actor {
            user_id: UserId::new(),
            org_id: OrgId::new(),
            org_kind: kind,
            role,
        }
    }

    fn ids(set: OrgSet) -> BTreeSet<Uuid> {
        match set {
            OrgSet::Only(ids) => ids,
            OrgSet::All => panic!("expected a finite set"),
        }
    }

    #[test]
    fn a_panel_reads_summaries_of_all_members_and_detail_of_those_who_grant_it() {
        let panel = actor(OrgKind::RegionalPanel, Role::Viewer);
        let (open, closed) = (Uuid::now_v7(), Uuid::now_v7());
        let vis = Visibility {
            members: vec![
                MemberShare {
                    org_id: open,
                    panel_detail: true,
                },
                MemberShare {
                    org_id: closed,
                    panel_detail: false,
                },
            ],
            ..Default::default()
        };
        let summary = ids(vis.orgs_for(&panel, Purpose::Summary));
        assert!(summary.contains(&open) && summary.contains(&closed));
        let detail = ids(vis.orgs_for(&panel, Purpose::Detail));
        assert!(detail.contains(&open) && !detail.contains(&closed));
        assert!(detail.contains(&panel.org_id.0));
    }

    #[test]
    fn a_partner_names_only_named_sharers_and_counts_aggregate_ones() {
        let partner = actor(OrgKind::PartnerBody, Role::Viewer);
        let (named, aggregate) = (Uuid::now_v7(), Uuid::now_v7());
        let vis = Visibility {
            partner_sharers: vec![
                (named, PartnerSharing::Named),
                (aggregate, PartnerSharing::Aggregate),
            ],
            ..Default::default()
        };
        let directory = ids(vis.orgs_for(&partner, Purpose::Directory));
        assert!(directory.contains(&named) && !directory.contains(&aggregate));
        let counted = ids(vis.orgs_for(&partner, Purpose::PartnerAggregate));
        assert!(counted.contains(&named) && counted.contains(&aggregate));
        assert!(ids(vis.orgs_for(&partner, Purpose::Detail)) == BTreeSet::from([partner.org_id.0]));
        let figures = ids(vis.orgs_for(&partner, Purpose::Summary));
        assert!(figures.contains(&named) && !figures.contains(&aggregate));
    }

    #[test]
    fn a_platform_admin_sees_the_directory_and_no_content() {
        let admin = actor(OrgKind::PartnerBody, Role::PlatformAdmin);
        let vis = Visibility::default();
        assert_eq!(vis.orgs_for(&admin, Purpose::Directory), OrgSet::All);
        for purpose in [
            Purpose::Own,
            Purpose::Detail,
            Purpose::Summary,
            Purpose::PartnerNamed,
        ] {
            assert!(ids(vis.orgs_for(&admin, purpose)).is_empty(), "{purpose:?}");
        }
    }

    #[test]
    fn a_member_sees_its_panels_in_the_directory_but_not_their_other_members() {
        let council = actor(OrgKind::Council, Role::Manager);
        let panel = Uuid::now_v7();
        let vis = Visibility {
            own_panels: vec![panel],
            ..Default::default()
        };
        let directory = ids(vis.orgs_for(&council, Purpose::Directory));
        assert_eq!(directory, BTreeSet::from([council.org_id.0, panel]));
        assert_eq!(
            ids(vis.orgs_for(&council, Purpose::Summary)),
            BTreeSet::from([council.org_id.0])
        );
    }
}
