//! One rule per table: which rows the caller may read (`Scoped`), which organisation owns a
//! row (`Owned`), and which tables follow the detail rule (`TenantOwned`).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};

use super::{Owned, Scoped, TenantOwned};
use crate::access::{Access, Purpose};
use crate::auth::Role;
use crate::codes::AssessmentStatus;
use crate::entity::{
    action, action_status_change, assessment, audit_event, challenge, committee, due_date_change,
    evidence, framework, import, moderation, notification, notification_read, org_user,
    organisation, panel_membership, progress_update, rating, rating_action, rating_evidence,
    rating_level, recommendation, recommendation_standard, recommendation_status_change,
    reminder_preference, reminder_settings, review, review_judgement, sharing_settings, standard,
    user, webhook_attempt, webhook_delivery, webhook_endpoint,
};

/// A filter no row passes, spelled out rather than left to how an empty condition renders.
fn nothing() -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    sea_orm::Condition::all().add(Expr::val(1).eq(0))
}

impl Scoped for organisation::Entity {
    /// The organisations in the caller's directory.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(
            access
                .orgs(Purpose::Directory)
                .condition(organisation::Column::Id),
        )
    }
}

impl Scoped for panel_membership::Entity {
    /// Memberships whose panel and member are both in the caller's directory: "as far as
    /// visible".
    fn scoped(access: &Access) -> Select<Self> {
        let directory = access.orgs(Purpose::Directory);
        Self::find()
            .filter(directory.condition(panel_membership::Column::PanelId))
            .filter(directory.condition(panel_membership::Column::MemberId))
    }
}

impl Scoped for sharing_settings::Entity {
    /// The caller's own organisation's settings: they are its own business. A platform
    /// administrator reads no tenant content, so gets none.
    fn scoped(access: &Access) -> Select<Self> {
        let query = Self::find().filter(sharing_settings::Column::OrgId.eq(access.org_id().0));
        if access.actor().role == Role::PlatformAdmin {
            query.filter(nothing())
        } else {
            query
        }
    }
}

impl Scoped for reminder_settings::Entity {
    /// The caller's own organisation's reminder rules.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(reminder_settings::Column::OrgId.eq(access.org_id().0))
    }
}

impl Scoped for reminder_preference::Entity {
    /// The caller's own choice in its own organisation: nobody else's.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find()
            .filter(reminder_preference::Column::OrgId.eq(access.org_id().0))
            .filter(reminder_preference::Column::UserId.eq(access.actor().user_id.0))
    }
}

impl Scoped for audit_event::Entity {
    /// A manager reads their organisation's trail: its own events, and those of other
    /// organisations that concern it (a panel adding it, a panel challenging it). A platform
    /// administrator reads the provisioning trail (organisations and memberships, which it may
    /// read anyway) across every organisation. Others read nothing.
    fn scoped(access: &Access) -> Select<Self> {
        use audit_event::Column;
        let own = access.org_id().0;
        match access.actor().role {
            Role::Manager => Self::find().filter(
                sea_orm::Condition::any()
                    .add(Column::OrgId.eq(own))
                    .add(Column::SubjectOrgId.eq(own)),
            ),
            // Shared frameworks are provisioning too; their events sit in the operator's trail.
            Role::PlatformAdmin => {
                Self::find().filter(
                    sea_orm::Condition::any()
                        .add(
                            Column::EntityType
                                .is_in(crate::codes::EntityType::PROVISIONING.map(|t| t.as_str())),
                        )
                        .add(sea_orm::Condition::all().add(Column::OrgId.eq(own)).add(
                            Column::EntityType.eq(crate::codes::EntityType::Framework.as_str()),
                        )),
                )
            }
            Role::Viewer | Role::Contributor => Self::find().filter(nothing()),
        }
    }
}

impl Scoped for assessment::Entity {
    /// The caller's own assessments, drafts included, and its panel's members' once submitted
    /// (a draft is its organisation's alone, whatever it shares).
    fn scoped(access: &Access) -> Select<Self> {
        use assessment::Column;
        Self::find().filter(
            sea_orm::Condition::any()
                .add(access.orgs(Purpose::Own).condition(Column::OrgId))
                .add(
                    sea_orm::Condition::all()
                        .add(access.orgs(Purpose::PanelMembers).condition(Column::OrgId))
                        .add(Column::Status.ne(AssessmentStatus::Draft)),
                ),
        )
    }
}

/// The ids of the assessments the caller may read, as a subquery.
fn readable_assessments(access: &Access) -> sea_orm::sea_query::SelectStatement {
    assessment::Entity::scoped(access)
        .select_only()
        .column(assessment::Column::Id)
        .into_query()
}

impl Scoped for rating::Entity {
    /// The ratings of the assessments the caller may read: their levels.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating::Column::AssessmentId.in_subquery(readable_assessments(access)))
    }
}

/// The ids of the ratings whose detail the caller reads: of assessments it may read, of
/// organisations whose detail it reads.
fn detailed_ratings(access: &Access) -> sea_orm::sea_query::SelectStatement {
    rating::Entity::scoped(access)
        .filter(
            access
                .orgs(Purpose::Detail)
                .condition(rating::Column::OrgId),
        )
        .select_only()
        .column(rating::Column::Id)
        .into_query()
}

impl Scoped for rating_evidence::Entity {
    /// The evidence of ratings whose detail the caller reads.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating_evidence::Column::RatingId.in_subquery(detailed_ratings(access)))
    }
}

impl Scoped for rating_action::Entity {
    /// The links to actions of ratings whose detail the caller reads.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(rating_action::Column::RatingId.in_subquery(detailed_ratings(access)))
    }
}

/// Held by the caller's panel, or of the caller's own organisation: a challenge and the
/// moderations it makes are the panel's and the member's, and nobody else's.
fn panel_or_member<C: ColumnTrait>(access: &Access, panel: C, member: C) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(panel.eq(access.org_id().0))
        .add(access.orgs(Purpose::Own).condition(member))
}

impl Scoped for challenge::Entity {
    /// The challenges the caller's panel held, and those of the caller's own assessments.
    fn scoped(access: &Access) -> Select<Self> {
        use challenge::Column;
        Self::find().filter(panel_or_member(access, Column::PanelId, Column::OrgId))
    }
}

impl Scoped for moderation::Entity {
    /// The moderations the caller's panel made, and those of the caller's own assessments.
    fn scoped(access: &Access) -> Select<Self> {
        use moderation::Column;
        Self::find().filter(panel_or_member(access, Column::PanelId, Column::OrgId))
    }
}

impl Scoped for framework::Entity {
    /// Published shared frameworks, the caller's panels' published ones, those it has assessed
    /// itself against, and the drafts it may edit (a panel's own). A platform administrator
    /// reads the shared ones, drafts included (provisioning), and no organisation's.
    fn scoped(access: &Access) -> Select<Self> {
        use framework::Column;
        if access.actor().role == Role::PlatformAdmin {
            return Self::find().filter(Column::OwnerOrgId.is_null());
        }
        let published = sea_orm::Condition::all()
            .add(Column::Status.eq(crate::codes::FrameworkStatus::Published))
            .add(
                sea_orm::Condition::any()
                    .add(Column::OwnerOrgId.is_null())
                    .add(Column::OwnerOrgId.is_in(access.framework_owners())),
            );
        // An organisation keeps reading the frameworks it has assessed itself against, even a
        // panel's after it leaves the panel: its own assessments must keep their meaning.
        let assessed = sea_orm::sea_query::Query::select()
            .column(assessment::Column::FrameworkId)
            .from(assessment::Entity)
            .and_where(assessment::Column::OrgId.eq(access.org_id().0))
            .to_owned();
        let mut visible = sea_orm::Condition::any()
            .add(published)
            .add(Column::Id.in_subquery(assessed));
        if access.actor().org_kind == crate::codes::OrgKind::RegionalPanel {
            visible = visible.add(Column::OwnerOrgId.eq(access.org_id().0));
        }
        Self::find().filter(visible)
    }
}

/// The ids of the frameworks the caller may read, as a subquery.
fn readable_frameworks(access: &Access) -> sea_orm::sea_query::SelectStatement {
    framework::Entity::scoped(access)
        .select_only()
        .column(framework::Column::Id)
        .into_query()
}

impl Scoped for standard::Entity {
    /// The standards of the frameworks the caller may read.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(standard::Column::FrameworkId.in_subquery(readable_frameworks(access)))
    }
}

impl Scoped for rating_level::Entity {
    /// The rating scales of the frameworks the caller may read.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find()
            .filter(rating_level::Column::FrameworkId.in_subquery(readable_frameworks(access)))
    }
}

/// The organisations whose people the caller may see: those whose detail it reads (where
/// their updates and changes are); a platform administrator only its own (people are tenant
/// content).
fn people_orgs(access: &Access) -> crate::access::OrgSet {
    if access.actor().role == Role::PlatformAdmin {
        crate::access::OrgSet::Only([access.org_id().0].into())
    } else {
        access.orgs(Purpose::Detail)
    }
}

impl Scoped for org_user::Entity {
    /// Who has acted for the organisations whose people the caller may see.
    fn scoped(access: &Access) -> Select<Self> {
        Self::find().filter(people_orgs(access).condition(org_user::Column::OrgId))
    }
}

impl Scoped for user::Entity {
    /// The caller, and the people who have acted for an organisation whose people it may see
    /// (how much of each it sees is `users::service::people`'s rule).
    fn scoped(access: &Access) -> Select<Self> {
        let acting = org_user::Entity::scoped(access)
            .select_only()
            .column(org_user::Column::UserId)
            .into_query();
        Self::find().filter(
            sea_orm::Condition::any()
                .add(user::Column::Id.eq(access.actor().user_id.0))
                .add(user::Column::Id.in_subquery(acting)),
        )
    }
}

macro_rules! owned {
    ($($entity:ident),+ $(,)?) => {
        $(
            impl Owned for $entity::Entity {
                fn org_column() -> $entity::Column {
                    $entity::Column::OrgId
                }
            }
        )+
    };
}

owned!(
    sharing_settings,
    committee,
    import,
    webhook_endpoint,
    webhook_delivery,
    webhook_attempt,
    notification,
    notification_read,
    reminder_settings,
    reminder_preference,
    review,
    review_judgement,
    recommendation,
    action,
    progress_update,
    evidence,
    due_date_change,
    assessment,
    rating,
    rating_evidence,
    rating_action,
    action_status_change,
    recommendation_status_change,
    recommendation_standard,
);

// A challenge or moderation is the panel's to write, and both the panel's and the member's to
// read (see their `Scoped` rules).
impl Owned for challenge::Entity {
    fn org_column() -> challenge::Column {
        challenge::Column::PanelId
    }
}

impl Owned for moderation::Entity {
    fn org_column() -> moderation::Column {
        moderation::Column::PanelId
    }
}

// Assessments, ratings and their detail are read by their `Scoped` rules above (whether a row
// is readable depends on its assessment's status too), never by the detail rule.
impl TenantOwned for review::Entity {}
impl TenantOwned for review_judgement::Entity {}
impl TenantOwned for recommendation::Entity {}
impl TenantOwned for action::Entity {}
impl TenantOwned for progress_update::Entity {}
impl TenantOwned for evidence::Entity {}
impl TenantOwned for due_date_change::Entity {}
impl TenantOwned for action_status_change::Entity {}
impl TenantOwned for recommendation_status_change::Entity {}
impl TenantOwned for recommendation_standard::Entity {}
impl TenantOwned for committee::Entity {}
