//! The API of organisations, panel memberships and sharing settings. Resolvers are thin: get
//! the caller, call the service, convert.

use async_graphql::parser::types::Field;
use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject, Value,
};
use chrono::{DateTime, Utc};

use super::{
    NewOrganisation, OrgKind, Organisation, PartnerSharing, SharingSettings, memberships, service,
    sharing,
};
use crate::graphql::ContextExt;
use crate::graphql::plain::{self, Plain};
use crate::ids::OrgId;
use crate::loaders::{items, prime};
use crate::pagination::{CountedConnection, PageArgs, Paged, connection_complexity};

/// The directory fields of an organisation are plain data; its panels, members and the rest
/// are resolved.
impl Plain for Organisation {
    fn field(&self, field: &Field) -> Option<Value> {
        Some(match field.name.node.as_str() {
            "id" => plain::value(&self.id.to_gql()),
            "slug" => plain::string(&self.slug),
            "name" => plain::string(&self.name),
            "kind" => plain::value(&self.kind),
            "region" => plain::optional_string(self.region.as_deref()),
            "version" => plain::value(&self.version),
            "createdAt" => plain::value(&self.created_at),
            "updatedAt" => plain::value(&self.updated_at),
            _ => return None,
        })
    }
}

/// A council, fire and rescue service, regional panel or partner body.
#[Object]
impl Organisation {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        self.id.to_gql()
    }

    /// URL-safe handle, unique across the service and permanent. Tokens may name an
    /// organisation by it.
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// Full name, e.g. "Essex County Fire and Rescue Service".
    async fn name(&self) -> &str {
        &self.name
    }

    /// What kind of body it is.
    async fn kind(&self) -> OrgKind {
        self.kind
    }

    /// Region, e.g. "London" or "East of England".
    async fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Incremented by every change; pass it back to `updateOrganisation`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When its directory entry last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// The regional panels it belongs to, as far as the caller may see them, by name.
    async fn panels(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        crate::loaders::list(&ctx.loaders()?.panels, self.id.0).await
    }

    /// For a regional panel, its members as far as the caller may see them, by name; null
    /// for any other kind of organisation.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last member of the previous page.")] after: Option<String>,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first member of the next page: the page ends before it.")]
        before: Option<String>,
    ) -> Result<Option<CountedConnection<Organisation>>> {
        let access = ctx.access()?;
        let page = PageArgs::new(ctx.limits(), "members", first, after, last, before)?;
        let Some(members) = service::members(access, self, page).await? else {
            return Ok(None);
        };
        prime_organisations(ctx, &members).await?;
        Ok(Some(members.into()))
    }

    /// Where it stood at the end of `asOf` (as known at `knownAt`), across all its reviews:
    /// recommendations by status, actions by RAG. Its own users, its panels, and partner
    /// bodies it shares with by name read it; null for anyone else.
    async fn progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to report as at; today in the UK when absent.")] as_of: Option<
            crate::dates::Date,
        >,
        #[graphql(
            desc = "The moment to report as known at: what the service said then, ignoring everything recorded later. Now when absent."
        )]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<crate::actions::summary::ProgressSummary>> {
        let day = crate::history::AsAt::new(as_of.map(|d| d.0), known_at);
        ctx.loaders()?
            .organisation_progress
            .load_one((self.id.0, day))
            .await
    }

    /// Its committee meetings the caller may read, earliest first: each one's `report` is what
    /// the meeting was told.
    async fn committees(&self, ctx: &Context<'_>) -> Result<Vec<crate::committees::Committee>> {
        crate::loaders::list(&ctx.loaders()?.committees_of, self.id.0).await
    }

    /// What moved between two committee dates across all its reviews: after `from`, up to and
    /// including `to` (or between its committees: `sinceCommittee`, `betweenCommittees`).
    /// Lists actions, so it needs detail: empty for a reader without.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The earlier date (the last committee).")] from: Option<
            crate::dates::Date,
        >,
        #[graphql(desc = "The later date (this committee).")] to: Option<crate::dates::Date>,
        #[graphql(desc = "Both ends as known at this moment; now when absent.")] known_at: Option<
            chrono::DateTime<chrono::Utc>,
        >,
        #[graphql(desc = "One of its committee meetings: the window starts at its date.")]
        since_committee: Option<ID>,
        #[graphql(desc = "Two of its committee meetings: the window between them.")]
        between_committees: Option<Vec<ID>>,
    ) -> Result<crate::reports::graphql::Changes> {
        crate::committees::graphql::changes(
            ctx,
            crate::actions::summary::Grouping::Organisation,
            self.id.0,
            self.id,
            crate::committees::graphql::WindowArgs {
                from,
                to,
                known_at,
                since_committee,
                between_committees,
            },
        )
        .await
    }

    /// How one standard stands in it: its latest submitted self and moderated levels, its
    /// outstanding recommendations that bear on the standard, and the RAG at `asOf` of the
    /// actions that answer them. For readers of its detail (its own users, panels it shares
    /// detail with); null for anyone else.
    async fn standard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The standard.")] id: ID,
        #[graphql(desc = "The day action RAG is counted at; today in the UK when absent.")]
        as_of: Option<crate::dates::Date>,
        #[graphql(
            desc = "The moment to report as known at: assessments submitted, moderations and histories recorded by then. Now when absent."
        )]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<crate::assessments::views::StandardInOrganisation>> {
        crate::assessments::graphql::standard_in(ctx, self.id, &id, as_of, known_at).await
    }

    /// The people who have acted for it, by name: its own users see them (to name an action's
    /// owner); everyone else gets an empty list.
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<crate::users::User>> {
        let access = ctx.access()?;
        if access.org_id() != self.id {
            return Ok(Vec::new());
        }
        Ok(crate::users::service::colleagues(access).await?)
    }

    /// What it shares with its panels and with partner bodies. Visible to its own users only;
    /// null for anyone else.
    async fn sharing_settings(&self, ctx: &Context<'_>) -> Result<Option<SharingSettings>> {
        Ok(sharing::get(ctx.access()?, self.id).await?)
    }
}

/// What an organisation shares with its panels and with partner bodies.
#[Object]
impl SharingSettings {
    /// Whether its panels read detail (reviews, actions, assessment evidence) rather than only
    /// summaries (RAG counts and submitted ratings).
    async fn panel_detail(&self) -> bool {
        self.panel_detail
    }

    /// What partner bodies read of it.
    async fn partners(&self) -> PartnerSharing {
        self.partners
    }

    /// Incremented by every change; pass it back to `updateSharingSettings`.
    async fn version(&self) -> i32 {
        self.version
    }

    /// When the settings last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// Queries about organisations.
#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation, if the caller may see it (its own; a panel's members; for partner
    /// bodies, those that share by name); `NOT_FOUND` otherwise.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's id.")] id: ID,
    ) -> Result<Option<Organisation>> {
        let access = ctx.access()?;
        let id = OrgId::parse("id", &id)?;
        Ok(Some(service::get(access, id).await?))
    }

    /// The organisations the caller may see, by name.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only organisations of this kind.")] kind: Option<OrgKind>,
        #[graphql(desc = "Page size: 1 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last organisation of the previous page.")] after: Option<
            String,
        >,
        #[graphql(
            desc = "Page size when paging backwards: the last 1 to 100 before `before` (or of the list)."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Cursor of the first organisation of the next page: the page ends before it."
        )]
        before: Option<String>,
    ) -> Result<CountedConnection<Organisation>> {
        let access = ctx.access()?;
        let page = PageArgs::new(ctx.limits(), "organisations", first, after, last, before)?;
        let organisations = service::list(access, kind, page).await?;
        prime_organisations(ctx, &organisations).await?;
        Ok(organisations.into())
    }
}

/// Loads, for a whole page of organisations at once, what the query asks of them: their
/// panels, and their progress on each day asked (the sub-regional lead's comparison of its
/// members costs the same whatever the number of members).
async fn prime_organisations(ctx: &Context<'_>, page: &Paged<Organisation>) -> Result<()> {
    let orgs = items(&ctx.look_ahead());
    let ids: Vec<uuid::Uuid> = page.items.iter().map(|(_, o)| o.id.0).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let access = ctx.access()?;
    let loaders = ctx.loaders()?;
    if orgs.field("panels").exists() {
        prime(&loaders.panels, service::panels_of(access, &ids).await?).await;
    }
    crate::loaders::prime_progress(
        access,
        loaders,
        crate::actions::summary::Grouping::Organisation,
        &ids,
        &orgs.field("progress"),
        None,
    )
    .await?;
    Ok(())
}

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// URL-safe handle: 2–63 characters of a-z, 0-9 and single hyphens, starting with a letter.
    pub slug: String,
    /// Full name, up to 200 characters.
    pub name: String,
    /// What kind of body it is; cannot be changed later.
    pub kind: OrgKind,
    /// Region, up to 100 characters.
    pub region: Option<String>,
}

/// The organisation created.
#[derive(SimpleObject)]
pub struct CreateOrganisationPayload {
    /// The new organisation.
    pub organisation: Organisation,
}

/// Changes to an organisation's directory entry. Absent fields stay as they are. A slug is
/// permanent: tokens may name an organisation by it.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation to change.
    pub id: ID,
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// New name.
    pub name: Option<String>,
    /// New region; null clears it.
    pub region: MaybeUndefined<String>,
}

/// The organisation changed.
#[derive(SimpleObject)]
pub struct UpdateOrganisationPayload {
    /// The organisation as it now is.
    pub organisation: Organisation,
}

/// A panel and one organisation.
#[derive(InputObject)]
pub struct PanelMembershipInput {
    /// The regional panel.
    pub panel_id: ID,
    /// The council or fire and rescue service.
    pub member_id: ID,
}

/// The panel and member after the change.
#[derive(SimpleObject)]
pub struct PanelMembershipPayload {
    /// The regional panel.
    pub panel: Organisation,
    /// The member organisation.
    pub member: Organisation,
}

/// Changes to the caller's own organisation's sharing settings. Absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateSharingSettingsInput {
    /// The version the change is based on; a stale one gives `CONFLICT`.
    pub version: i32,
    /// Let panels read detail, not only summaries.
    pub panel_detail: Option<bool>,
    /// What partner bodies read.
    pub partners: Option<PartnerSharing>,
}

/// The settings after the change.
#[derive(SimpleObject)]
pub struct UpdateSharingSettingsPayload {
    /// The settings as they now are.
    pub sharing_settings: SharingSettings,
}

/// Changes to organisations, memberships and sharing.
#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Creates an organisation with default sharing settings. Platform administrators only.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation to create.")] input: CreateOrganisationInput,
    ) -> Result<CreateOrganisationPayload> {
        let access = ctx.access()?;
        let new = NewOrganisation::parse(
            "input.",
            &input.slug,
            &input.name,
            input.kind,
            input.region.as_deref(),
        )?;
        let organisation = service::create(access, new).await?;
        Ok(CreateOrganisationPayload { organisation })
    }

    /// Changes an organisation's name or region. Platform administrators only.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateOrganisationInput,
    ) -> Result<UpdateOrganisationPayload> {
        let access = ctx.access()?;
        let id = OrgId::parse("input.id", &input.id)?;
        let changes = service::parse_changes(input.name.as_deref(), input.region)?;
        let organisation = service::update(access, id, input.version, changes).await?;
        Ok(UpdateOrganisationPayload { organisation })
    }

    /// Adds a council or fire and rescue service to a regional panel, which from then on reads
    /// what the member shares with its panels. Platform administrators only.
    async fn add_panel_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The panel and the organisation.")] input: PanelMembershipInput,
    ) -> Result<PanelMembershipPayload> {
        let access = ctx.access()?;
        let (panel_id, member_id) = membership_ids(&input)?;
        let (panel, member) = memberships::add(access, panel_id, member_id).await?;
        Ok(PanelMembershipPayload { panel, member })
    }

    /// Removes an organisation from a regional panel, which loses sight of it at once.
    /// Platform administrators only.
    async fn remove_panel_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The panel and the organisation.")] input: PanelMembershipInput,
    ) -> Result<PanelMembershipPayload> {
        let access = ctx.access()?;
        let (panel_id, member_id) = membership_ids(&input)?;
        let (panel, member) = memberships::remove(access, panel_id, member_id).await?;
        Ok(PanelMembershipPayload { panel, member })
    }

    /// Changes what the caller's own organisation shares with its panels and with partner
    /// bodies. Managers only.
    async fn update_sharing_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change.")] input: UpdateSharingSettingsInput,
    ) -> Result<UpdateSharingSettingsPayload> {
        let access = ctx.access()?;
        let changes = sharing::Changes {
            panel_detail: input.panel_detail,
            partners: input.partners,
        };
        let sharing_settings = sharing::update(access, input.version, changes).await?;
        Ok(UpdateSharingSettingsPayload { sharing_settings })
    }
}

fn membership_ids(input: &PanelMembershipInput) -> crate::error::AppResult<(OrgId, OrgId)> {
    Ok((
        OrgId::parse("input.panelId", &input.panel_id)?,
        OrgId::parse("input.memberId", &input.member_id)?,
    ))
}
