//! `reportLink`: a short-lived download link for a report, so that a front end can offer a
//! plain link (no bearer token in a browser's download).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::link::{Issuer, LINK_LIFETIME};
use super::{Format, Kind, Params};
use crate::access::Purpose;
use crate::dates::Date;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::ids::{FrameworkId, OrgId, ReviewId};

/// A link to download one report as the caller.
#[derive(SimpleObject)]
pub struct ReportLink {
    /// The address to download it from: opens without a bearer token, for this caller and
    /// this report only, until `expiresAt`.
    pub url: String,
    /// The same, relative to the service's address.
    pub path: String,
    /// When it stops working: five minutes after it was made.
    pub expires_at: DateTime<Utc>,
    /// The file's media type.
    pub media_type: String,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// A short-lived link (five minutes) to download a report as the caller: the same file as
    /// `GET /reports/...` with the caller's token, for a front end's plain download link. The
    /// link opens only this report, with these parameters, for this caller; the caller's
    /// access is checked again when it is followed. `NOT_FOUND` for an object the caller may
    /// not read; `BAD_USER_INPUT` for a format the report does not come in, or parameters it
    /// does not take.
    #[allow(clippy::too_many_arguments)]
    async fn report_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which report.")] kind: Kind,
        #[graphql(
            desc = "The review (action plan), organisation (progress), panel (heat map) or framework (standards progress)."
        )]
        id: ID,
        #[graphql(
            desc = "The format: heat maps and standards progress come in PDF, XLSX and CSV."
        )]
        format: Format,
        #[graphql(desc = "The day to report as at; today in the UK when absent.")] as_of: Option<
            Date,
        >,
        #[graphql(desc = "The moment to report as known at; now when absent.")] known_at: Option<
            DateTime<Utc>,
        >,
        #[graphql(
            desc = "Adds a \"changes since\" part from this day (action plan and progress only)."
        )]
        since: Option<Date>,
        #[graphql(
            desc = "Adds a \"changes since\" part from this committee meeting (action plan and progress only)."
        )]
        since_committee: Option<ID>,
        #[graphql(desc = "The framework of a heat map.")] framework_id: Option<ID>,
        #[graphql(desc = "The cycle of a heat map, e.g. \"2024-25\".")] cycle: Option<String>,
        #[graphql(desc = "The cycles of standards progress, oldest first.")] cycles: Option<
            Vec<String>,
        >,
    ) -> Result<ReportLink> {
        let access = ctx.access()?;
        let issuer = ctx.data::<Issuer>().map_err(|_| {
            AppError::Internal(anyhow::anyhow!("the request carries no link issuer"))
        })?;
        if !kind.formats().contains(&format) {
            return Err(AppError::bad_input(
                "format",
                format!(
                    "this report comes in {}",
                    kind.formats()
                        .iter()
                        .map(|f| f.extension().to_uppercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .into());
        }
        let params = Params {
            kind,
            id: id.to_string(),
            format,
            as_of: as_of.map(|d| d.0),
            known_at,
            since: since.map(|d| d.0),
            since_committee: since_committee.map(|c| c.to_string()),
            framework: framework_id.map(|f| f.to_string()),
            cycle,
            cycles: cycles.unwrap_or_default(),
        };
        params
            .check()
            .map_err(|r| AppError::bad_input(r.field.as_deref().unwrap_or("id"), r.message))?;
        // A link to something the caller cannot read would only fail later: say so now, as
        // the report itself would.
        let loaders = ctx.loaders()?;
        let readable = match kind {
            Kind::ActionPlan => loaders
                .reviews
                .load_one(ReviewId::parse("id", &id)?.0)
                .await?
                .is_some(),
            Kind::Progress => access
                .orgs(Purpose::Detail)
                .contains(OrgId::parse("id", &id)?.0),
            Kind::HeatMap => OrgId::parse("id", &id)? == access.org_id(),
            Kind::StandardsProgress => loaders
                .frameworks
                .load_one(FrameworkId::parse("id", &id)?.0)
                .await?
                .is_some(),
        };
        if !readable {
            return Err(AppError::NotFound(match kind {
                Kind::ActionPlan => "review",
                Kind::Progress | Kind::HeatMap => "organisation",
                Kind::StandardsProgress => "framework",
            })
            .into());
        }
        let path = params.path();
        let expires_at = Utc::now() + issuer.lifetime.min(LINK_LIFETIME);
        let ticket = issuer.key.sign(access.actor(), &path, expires_at);
        let path = format!(
            "{path}{}link={ticket}",
            if path.contains('?') { '&' } else { '?' }
        );
        Ok(ReportLink {
            url: format!("{}{path}", issuer.base),
            path,
            expires_at,
            media_type: format.media_type().to_owned(),
        })
    }
}
