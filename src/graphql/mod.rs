//! The GraphQL schema: its roots, the `Node` interface, the limits every document is held
//! to ([`limits`], measured by [`measure`] before validation), and readable syntax errors
//! ([`syntax`]).

pub mod limits;
pub mod measure;
pub mod order;
pub(crate) mod plain;
pub mod syntax;

use async_graphql::{Context, ID, Interface, MergedObject, Object, Schema, SchemaBuilder};

pub use limits::{coded_error, set_code};

use crate::access::Access;
use crate::actions::graphql::ActionQuery;
use crate::actions::mutations::ActionMutation;
use crate::actions::{Action, DueDateChange};
use crate::assessments::graphql::AssessmentQuery;
use crate::assessments::mutations::AssessmentMutation;
use crate::assessments::{Assessment, Challenge, Moderation, Rating, RatingEvidence};
use crate::audit::AuditEvent;
use crate::audit::graphql::AuditQuery;
use crate::committees::Committee;
use crate::committees::graphql::{CommitteeMutation, CommitteeQuery};
use crate::error::{AppError, AppResult};
use crate::events::graphql::{DeliveryScopes, SubscriptionRoot};
use crate::events::webhooks::graphql::{WebhookMutation, WebhookQuery};
use crate::events::webhooks::{Delivery as WebhookDelivery, Endpoint as WebhookEndpoint};
use crate::ids::{
    ActionId, AnyId, AssessmentId, AuditEventId, ChallengeId, DueDateChangeId, EvidenceId,
    FrameworkId, IdKind, ModerationId, OrgId, ProgressUpdateId, RatingEvidenceId, RatingId,
    RatingLevelId, RecommendationId, ReviewId, StandardId, UserId,
};
use crate::imports::graphql::{ImportMutation, ImportQuery};
use crate::imports::service::PastImport;
use crate::limits::Limits;
use crate::loaders::Loaders;
use crate::notifications::graphql::{NotificationMutation, NotificationQuery};
use crate::organisations::Organisation;
use crate::organisations::graphql::{OrganisationMutation, OrganisationQuery};
use crate::papers::graphql::ReportQuery;
use crate::progress::graphql::ProgressMutation;
use crate::progress::{Evidence, ProgressUpdate};
use crate::reminders::graphql::{ReminderMutation, ReminderQuery};
use crate::reviews::graphql::ReviewQuery;
use crate::reviews::mutations::ReviewMutation;
use crate::reviews::{Recommendation, Review};
use crate::standards::graphql::StandardsQuery;
use crate::standards::mutations::StandardsMutation;
use crate::standards::{Framework, Level, Standard};
use crate::users::User;
use crate::users::graphql::UserQuery;

/// The schema type of the service.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    UserQuery,
    OrganisationQuery,
    ReviewQuery,
    ActionQuery,
    StandardsQuery,
    AssessmentQuery,
    AuditQuery,
    CommitteeQuery,
    ReportQuery,
    ImportQuery,
    WebhookQuery,
    NotificationQuery,
    ReminderQuery,
    NodeQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    OrganisationMutation,
    ReviewMutation,
    ActionMutation,
    ProgressMutation,
    StandardsMutation,
    AssessmentMutation,
    CommitteeMutation,
    ImportMutation,
    WebhookMutation,
    NotificationMutation,
    ReminderMutation,
);

/// Builds the schema queries and mutations execute. `limits` bound every request;
/// `introspection` answers `__schema` and `__type` queries.
///
/// It has no extensions, so that async-graphql resolves each field without wrapping it (see
/// [`limits`]); whoever executes a document admits it first ([`limits::admit`]) and codes a
/// refusal after ([`limits::code_refusal`]).
pub fn build_schema(limits: &Limits, introspection: bool) -> AppSchema {
    builder(limits, introspection).finish()
}

/// Builds the schema subscriptions execute: [`build_schema`]'s, with the extension that
/// resolves each message in the scope of its delivery ([`DeliveryScopes`]).
pub fn build_subscription_schema(limits: &Limits, introspection: bool) -> AppSchema {
    builder(limits, introspection)
        .extension(DeliveryScopes)
        .finish()
}

fn builder(
    limits: &Limits,
    introspection: bool,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(limits.clone())
    .limit_complexity(limits.max_complexity)
    // The handler bounds nesting before parsing (see `http::nesting_depth`); this only keeps
    // async-graphql's own recursion check from firing first with an uncoded error.
    .limit_recursive_depth(4 * crate::limits::MAX_NESTING);
    if introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

/// The schema as SDL: what `resilience-hub schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(&Limits::default(), true).sdl()
}

/// Shortcuts from a resolver's context to the request's caller and settings.
pub trait ContextExt {
    /// The caller, or `UNAUTHENTICATED`.
    fn access(&self) -> AppResult<&Access>;
    /// The request's DataLoaders (created per request: they carry the caller's scope).
    fn loaders(&self) -> AppResult<&Loaders>;
    /// The configured limits.
    fn limits(&self) -> &Limits;
}

impl ContextExt for Context<'_> {
    fn access(&self) -> AppResult<&Access> {
        self.data_opt::<Access>().ok_or_else(|| {
            AppError::Unauthenticated("this operation needs a bearer token".to_owned())
        })
    }

    fn loaders(&self) -> AppResult<&Loaders> {
        self.data_opt::<Loaders>().ok_or_else(|| {
            AppError::Unauthenticated("this operation needs a bearer token".to_owned())
        })
    }

    fn limits(&self) -> &Limits {
        self.data_opt::<Limits>()
            .unwrap_or_else(|| default_limits())
    }
}

fn default_limits() -> &'static Limits {
    static DEFAULT: std::sync::OnceLock<Limits> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Limits::default)
}

/// An object with a global id, for Relay clients.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque id."))]
pub enum Node {
    Organisation(Organisation),
    User(User),
    AuditEvent(AuditEvent),
    Review(Review),
    Recommendation(Recommendation),
    Action(Action),
    ProgressUpdate(ProgressUpdate),
    Evidence(Evidence),
    DueDateChange(DueDateChange),
    Framework(Framework),
    Standard(Standard),
    RatingLevel(Level),
    Assessment(Assessment),
    Rating(Rating),
    RatingEvidence(RatingEvidence),
    Challenge(Challenge),
    Moderation(Moderation),
    Committee(Committee),
    Import(PastImport),
    WebhookEndpoint(WebhookEndpoint),
    WebhookDelivery(WebhookDelivery),
    Notification(crate::notifications::Notification),
}

/// `node(id:)`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its id, as far as the caller may see it; `NOT_FOUND` otherwise.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let access = ctx.access()?;
        let id = AnyId::parse("id", &id)?;
        Ok(Some(match id.kind {
            IdKind::Organisation => Node::Organisation(
                crate::organisations::service::get(access, OrgId(id.uuid)).await?,
            ),
            IdKind::User => {
                Node::User(crate::users::service::get_visible(access, UserId(id.uuid)).await?)
            }
            IdKind::AuditEvent => {
                Node::AuditEvent(crate::audit::service::get(access, AuditEventId(id.uuid)).await?)
            }
            IdKind::Review => {
                Node::Review(crate::reviews::service::get(access, ReviewId(id.uuid)).await?)
            }
            IdKind::Recommendation => Node::Recommendation(
                crate::reviews::recommendations::get(access, RecommendationId(id.uuid)).await?,
            ),
            IdKind::Action => {
                Node::Action(crate::actions::service::get(access, ActionId(id.uuid)).await?)
            }
            IdKind::ProgressUpdate => Node::ProgressUpdate(
                crate::progress::service::get_update(access, ProgressUpdateId(id.uuid)).await?,
            ),
            IdKind::Evidence => Node::Evidence(
                crate::progress::service::get_evidence(access, EvidenceId(id.uuid)).await?,
            ),
            IdKind::DueDateChange => Node::DueDateChange(
                crate::actions::due_dates::get(access, DueDateChangeId(id.uuid)).await?,
            ),
            IdKind::Framework => {
                Node::Framework(crate::standards::service::get(access, FrameworkId(id.uuid)).await?)
            }
            IdKind::Standard => Node::Standard(
                crate::standards::service::get_standard(access, StandardId(id.uuid)).await?,
            ),
            IdKind::RatingLevel => Node::RatingLevel(
                crate::standards::service::get_level(access, RatingLevelId(id.uuid)).await?,
            ),
            IdKind::Assessment => Node::Assessment(
                crate::assessments::service::get(access, AssessmentId(id.uuid)).await?,
            ),
            IdKind::Rating => Node::Rating(
                crate::assessments::service::get_rating(access, RatingId(id.uuid)).await?,
            ),
            IdKind::RatingEvidence => Node::RatingEvidence(
                crate::assessments::service::get_evidence(access, RatingEvidenceId(id.uuid))
                    .await?,
            ),
            IdKind::Challenge => Node::Challenge(
                crate::assessments::challenges::get(access, ChallengeId(id.uuid)).await?,
            ),
            IdKind::Moderation => Node::Moderation(
                crate::assessments::challenges::get_moderation(access, ModerationId(id.uuid))
                    .await?,
            ),
            IdKind::Committee => Node::Committee(
                crate::committees::service::get(access, crate::ids::CommitteeId(id.uuid)).await?,
            ),
            IdKind::Import => Node::Import(
                crate::imports::service::get(access, crate::ids::ImportId(id.uuid)).await?,
            ),
            IdKind::WebhookEndpoint => Node::WebhookEndpoint(
                crate::events::webhooks::service::get(
                    access,
                    crate::ids::WebhookEndpointId(id.uuid),
                )
                .await?,
            ),
            IdKind::WebhookDelivery => Node::WebhookDelivery(
                crate::events::webhooks::service::get_delivery(
                    access,
                    crate::ids::WebhookDeliveryId(id.uuid),
                )
                .await?,
            ),
            IdKind::Notification => Node::Notification(
                crate::notifications::service::get(access, crate::ids::NotificationId(id.uuid))
                    .await?,
            ),
            // An event is a message, not a record one can read back; nor is a reminder, whose
            // notice is (`notifications`).
            IdKind::Event => return Err(AppError::NotFound("event").into()),
            IdKind::Reminder => return Err(AppError::NotFound("reminder").into()),
        }))
    }
}
