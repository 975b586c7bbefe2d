//! The `Subscription` root, each field's payload, and the extension that resolves a
//! subscription's message with the subscriber's access at delivery.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Context, Data, ID, Object, Response, Result, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{FutureExt, Stream};

use super::Event;
use super::subscriptions::{EventSlot, Load, Subscriber, deliveries};
use crate::access::{Access, Purpose};
use crate::actions::Action;
use crate::assessments::Assessment;
use crate::assessments::views::comparison::Row;
use crate::audit::EntityType;
use crate::codes::OrgKind;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt;
use crate::history::AsAt;
use crate::ids::{ActionId, AssessmentId, FrameworkId, OrgId, ReviewId};
use crate::loaders::Loaders;
use crate::organisations::Organisation;

/// Resolves each subscription message inside the transaction its stream opened for it, with
/// the subscriber's access and loaders as they were at delivery; closes it after.
pub struct DeliveryScopes;

impl ExtensionFactory for DeliveryScopes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DeliveryScopes)
    }
}

#[async_trait::async_trait]
impl Extension for DeliveryScopes {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let Some(scope) = ctx
            .data_opt::<Arc<EventSlot>>()
            .and_then(|slot| slot.take())
        else {
            return next.run(ctx, operation_name).await;
        };
        let mut data = Data::default();
        data.insert(Loaders::new(&scope.access));
        data.insert(scope.access.clone());
        let response = next.run_with_data(ctx, operation_name, data).await;
        scope.finish().await;
        response
    }
}

/// What every message says of the change behind it.
#[derive(Clone, Debug)]
pub struct ChangeNote {
    event: Arc<Event>,
}

/// What every subscription message says of the change behind it.
#[Object(name = "ChangeNote")]
impl ChangeNote {
    /// The event's id: the same as its webhook deliveries' `webhook-id`.
    async fn event_id(&self) -> ID {
        ID(self.event.id.to_string())
    }

    /// What happened, such as `action.updated` or `progress_update.created`.
    async fn event_type(&self) -> &str {
        &self.event.event_type
    }

    /// The kind of record that changed.
    async fn entity_type(&self) -> EntityType {
        self.event.entity_type
    }

    /// The fields that changed (for an update).
    async fn changed(&self) -> Vec<String> {
        self.event.changed()
    }

    /// When it changed.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// Who changed it, as far as the subscriber may see people; null for the command line.
    async fn by(&self, ctx: &Context<'_>) -> Result<Option<crate::users::User>> {
        let Some(user) = self.event.actor_user_id else {
            return Ok(None);
        };
        match crate::users::service::get_visible(ctx.access()?, user).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

/// An action changed, or was reported on.
pub struct ActionChange {
    note: ChangeNote,
    action: Action,
}

/// An action changed, or was reported on: what `actionChanged` sends.
#[Object]
impl ActionChange {
    /// The change.
    async fn change(&self) -> &ChangeNote {
        &self.note
    }

    /// The action as it now stands (its `rag` is today's).
    async fn action(&self) -> &Action {
        &self.action
    }
}

/// An organisation's progress moved.
pub struct ProgressChange {
    note: ChangeNote,
    organisation: Organisation,
}

/// An organisation's progress moved: what `progressChanged` sends.
#[Object]
impl ProgressChange {
    /// The change that moved it.
    async fn change(&self) -> &ChangeNote {
        &self.note
    }

    /// The organisation: ask for its `progress` to have the new counts.
    async fn organisation(&self) -> &Organisation {
        &self.organisation
    }
}

/// An assessment was submitted, rated, challenged, moderated or changed status.
pub struct AssessmentChange {
    note: ChangeNote,
    assessment: Assessment,
}

/// An assessment changed: what `assessmentChanged` sends.
#[Object]
impl AssessmentChange {
    /// The change.
    async fn change(&self) -> &ChangeNote {
        &self.note
    }

    /// The assessment as it now stands.
    async fn assessment(&self) -> &Assessment {
        &self.assessment
    }
}

/// Rows of a panel's heat map that changed.
pub struct PanelComparisonChange {
    note: ChangeNote,
    rows: Vec<Row>,
}

/// Rows of a panel's heat map changed: what `panelComparisonChanged` sends.
#[Object]
impl PanelComparisonChange {
    /// The change that moved them.
    async fn change(&self) -> &ChangeNote {
        &self.note
    }

    /// The changed members' rows, as `panelComparison` gives them now.
    async fn rows(&self) -> &[Row] {
        &self.rows
    }
}

/// Every subscription: over WebSocket at `/graphql`, `graphql-transport-ws` protocol.
#[derive(Default)]
pub struct SubscriptionRoot;

/// The subscriber and the slot of the subscription being made.
fn subscriber<'a>(ctx: &Context<'a>) -> Result<(Arc<Subscriber>, Arc<EventSlot>)> {
    let subscriber = ctx.data_opt::<Arc<Subscriber>>().cloned().ok_or_else(|| {
        AppError::Unauthenticated(
            "subscriptions are made over WebSocket at /graphql, with the token in connection_init's payload".to_owned(),
        )
    })?;
    if subscriber.actor.org_kind == OrgKind::PartnerBody {
        return Err(AppError::forbidden(
            "partner bodies receive no events: the aggregates they read change on their next query",
        )
        .into());
    }
    let slot = ctx
        .data_opt::<Arc<EventSlot>>()
        .cloned()
        .unwrap_or_default();
    Ok((subscriber, slot))
}

/// Checks, with the subscriber's access now, what a subscription names.
async fn check<F>(subscriber: &Subscriber, check: F) -> AppResult<()>
where
    F: AsyncFnOnce(&Access) -> AppResult<()>,
{
    let scope = subscriber.scope().await?;
    let result = check(&scope.access).await;
    scope.finish().await;
    result
}

fn note(event: &Arc<Event>) -> ChangeNote {
    ChangeNote {
        event: event.clone(),
    }
}

/// The assessment an assessment event concerns.
fn assessment_of(event: &Event) -> Option<AssessmentId> {
    match event.entity_type {
        EntityType::Assessment => Some(AssessmentId(event.entity_id)),
        _ => event
            .named("assessmentId")
            .and_then(|id| AssessmentId::parse("assessmentId", id).ok()),
    }
}

/// The member organisation an event is about (a panel's moderation is about the member).
fn member_of(event: &Event) -> OrgId {
    event.subject_org_id.unwrap_or(event.org_id)
}

const ASSESSMENT_EVENTS: [EntityType; 4] = [
    EntityType::Assessment,
    EntityType::Rating,
    EntityType::Challenge,
    EntityType::Moderation,
];

/// Live updates, over WebSocket at `/graphql` (`graphql-transport-ws`), the token in
/// `connection_init`'s payload.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// An action of the organisation (the caller's own when absent; another it reads in
    /// detail) changed or was reported on, optionally within one review: the action as it now
    /// stands, with its RAG, what changed and by whom.
    async fn action_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this review's actions.")] review_id: Option<ID>,
        #[graphql(desc = "The organisation; the caller's own when absent.")]
        organisation_id: Option<ID>,
    ) -> Result<impl Stream<Item = ActionChange> + use<>> {
        let (subscriber, slot) = subscriber(ctx)?;
        let org = match organisation_id {
            Some(id) => OrgId::parse("organisationId", &id)?,
            None => subscriber.actor.org_id,
        };
        let review = review_id
            .map(|id| ReviewId::parse("reviewId", &id))
            .transpose()?;
        check(&subscriber, async |access| {
            if !access.orgs(Purpose::Detail).contains(org.0) {
                return Err(AppError::NotFound("organisation"));
            }
            if let Some(review) = review
                && crate::reviews::service::get(access, review).await?.org_id != org
            {
                return Err(AppError::NotFound("review"));
            }
            Ok(())
        })
        .await?;
        let load: Load<ActionChange> = Arc::new(move |event, access| {
            async move {
                let id = match event.entity_type {
                    EntityType::Action => ActionId(event.entity_id),
                    _ => match event
                        .named("actionId")
                        .and_then(|id| ActionId::parse("actionId", id).ok())
                    {
                        Some(id) => id,
                        None => return Ok(None),
                    },
                };
                let action = crate::actions::service::get(&access, id).await?;
                if review.is_some_and(|r| action.review_id != Some(r)) {
                    return Ok(None);
                }
                Ok(Some(ActionChange {
                    note: note(&event),
                    action,
                }))
            }
            .boxed()
        });
        let accepts = move |event: &Event| {
            event.org_id == org
                && matches!(
                    event.entity_type,
                    EntityType::Action | EntityType::ProgressUpdate
                )
        };
        Ok(deliveries(subscriber, slot, accepts, load)?)
    }

    /// An organisation's progress moved (an action, a progress update, a recommendation or a
    /// review changed): for its own users and for panels that read its summaries. Ask for
    /// `organisation { progress { … } }` to have the new counts.
    async fn progress_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation; the caller's own when absent.")]
        organisation_id: Option<ID>,
    ) -> Result<impl Stream<Item = ProgressChange> + use<>> {
        let (subscriber, slot) = subscriber(ctx)?;
        let org = match organisation_id {
            Some(id) => OrgId::parse("organisationId", &id)?,
            None => subscriber.actor.org_id,
        };
        check(&subscriber, async |access| {
            if access.orgs(Purpose::Summary).contains(org.0) {
                Ok(())
            } else {
                Err(AppError::NotFound("organisation"))
            }
        })
        .await?;
        let load: Load<ProgressChange> = Arc::new(move |event, access| {
            async move {
                if !access.orgs(Purpose::Summary).contains(org.0) {
                    return Ok(None);
                }
                let organisation = crate::organisations::service::get(&access, org).await?;
                Ok(Some(ProgressChange {
                    note: note(&event),
                    organisation,
                }))
            }
            .boxed()
        });
        let accepts = move |event: &Event| {
            event.org_id == org
                && matches!(
                    event.entity_type,
                    EntityType::Action
                        | EntityType::ProgressUpdate
                        | EntityType::Recommendation
                        | EntityType::Review
                )
        };
        Ok(deliveries(subscriber, slot, accepts, load)?)
    }

    /// An assessment was submitted, rated, challenged, moderated or changed status: of one
    /// organisation (the caller's own, or one it reads), or of any current member of the
    /// caller's own panel. Give one of `panelId` and `organisationId`.
    async fn assessment_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The caller's own panel: its members' assessments.")] panel_id: Option<ID>,
        #[graphql(desc = "One organisation's assessments.")] organisation_id: Option<ID>,
    ) -> Result<impl Stream<Item = AssessmentChange> + use<>> {
        let (subscriber, slot) = subscriber(ctx)?;
        let panel = panel_id
            .map(|id| OrgId::parse("panelId", &id))
            .transpose()?;
        let org = organisation_id
            .map(|id| OrgId::parse("organisationId", &id))
            .transpose()?;
        let own = subscriber.actor.org_id;
        let by_panel = match (panel, org) {
            (Some(panel), None) => {
                if panel != own || subscriber.actor.org_kind != OrgKind::RegionalPanel {
                    return Err(AppError::NotFound("panel").into());
                }
                true
            }
            (None, Some(_)) => false,
            _ => {
                return Err(AppError::bad_input(
                    "panelId",
                    "give exactly one of panelId and organisationId",
                )
                .into());
            }
        };
        let org = org.unwrap_or(own);
        if !by_panel {
            check(&subscriber, async |access| {
                if access.orgs(Purpose::Summary).contains(org.0)
                    || access.orgs(Purpose::Detail).contains(org.0)
                {
                    Ok(())
                } else {
                    Err(AppError::NotFound("organisation"))
                }
            })
            .await?;
        }
        let load: Load<AssessmentChange> = Arc::new(move |event, access| {
            async move {
                // A panel hears of its current members only, as they are at delivery.
                if by_panel
                    && member_of(&event) != own
                    && !access
                        .orgs(Purpose::PanelMembers)
                        .contains(member_of(&event).0)
                {
                    return Ok(None);
                }
                let Some(id) = assessment_of(&event) else {
                    return Ok(None);
                };
                let assessment = crate::assessments::service::get(&access, id).await?;
                Ok(Some(AssessmentChange {
                    note: note(&event),
                    assessment,
                }))
            }
            .boxed()
        });
        let accepts = move |event: &Event| {
            ASSESSMENT_EVENTS.contains(&event.entity_type) && (by_panel || event.concerns(org))
        };
        Ok(deliveries(subscriber, slot, accepts, load)?)
    }

    /// Rows of the caller's own panel's heat map changed (a member's assessment, rating,
    /// challenge or moderation, or its actions' RAG): the changed members' rows as
    /// `panelComparison` gives them now, for the framework and cycle named.
    async fn panel_comparison_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The caller's own panel.")] panel_id: ID,
        #[graphql(desc = "The framework.")] framework_id: ID,
        #[graphql(desc = "The cycle, e.g. \"2024-25\".")] cycle: String,
    ) -> Result<impl Stream<Item = PanelComparisonChange> + use<>> {
        let (subscriber, slot) = subscriber(ctx)?;
        let panel = OrgId::parse("panelId", &panel_id)?;
        let framework = FrameworkId::parse("frameworkId", &framework_id)?;
        let cycle = crate::assessments::check_cycle("cycle", &cycle)?;
        let first = cycle.clone();
        check(&subscriber, async |access| {
            crate::assessments::views::panel_comparison(
                access,
                panel,
                framework,
                first,
                AsAt::new(None, None),
            )
            .await
            .map(|_| ())
        })
        .await?;
        let load: Load<PanelComparisonChange> = Arc::new(move |event, access| {
            let cycle = cycle.clone();
            async move {
                let member = member_of(&event);
                if !access.orgs(Purpose::PanelMembers).contains(member.0) {
                    return Ok(None);
                }
                let comparison = crate::assessments::views::panel_comparison(
                    &access,
                    panel,
                    framework,
                    cycle,
                    AsAt::new(None, None),
                )
                .await?;
                let rows: Vec<Row> = comparison
                    .rows
                    .iter()
                    .filter(|r| r.organisation.id == member)
                    .cloned()
                    .collect();
                if rows.is_empty() {
                    return Ok(None);
                }
                Ok(Some(PanelComparisonChange {
                    note: note(&event),
                    rows,
                }))
            }
            .boxed()
        });
        let accepts = move |event: &Event| {
            member_of(event) != panel
                && matches!(
                    event.entity_type,
                    EntityType::Assessment
                        | EntityType::Rating
                        | EntityType::Challenge
                        | EntityType::Moderation
                        | EntityType::Action
                        | EntityType::ProgressUpdate
                )
        };
        Ok(deliveries(subscriber, slot, accepts, load)?)
    }
}
