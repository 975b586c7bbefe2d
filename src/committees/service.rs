//! Recording and reading committee meetings. Managers record their own organisation's; a
//! meeting is read with the organisation's detail (its own users, its panels where it shares).

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use tracing::instrument;

use super::{Committee, MAX_NAME};
use crate::access::scope::{self, TenantOwned};
use crate::access::{Access, Purpose};
use crate::audit::{self, Author, Change, EntityType};
use crate::auth::Role;
use crate::entity::committee;
use crate::error::{AppError, AppResult};
use crate::ids::{CommitteeId, OrgId};
use crate::validate::{self, MAX_URL};

/// A new meeting, checked.
#[derive(Clone, Debug)]
pub struct NewCommittee {
    pub name: String,
    pub meets_on: NaiveDate,
    pub paper_url: Option<String>,
}

impl NewCommittee {
    /// Checks raw fields; errors name them under `input.`.
    pub fn parse(name: &str, meets_on: NaiveDate, paper_url: Option<&str>) -> AppResult<Self> {
        Ok(NewCommittee {
            name: validate::required_text("input.name", name, MAX_NAME)?,
            meets_on,
            paper_url: paper_url
                .filter(|u| !u.trim().is_empty())
                .map(|u| validate::url("input.paperUrl", u, MAX_URL))
                .transpose()?,
        })
    }
}

/// Records a meeting of the caller's own organisation. Managers only; audited.
#[instrument(skip_all, fields(org = %access.org_id()))]
pub async fn record(access: &Access, new: NewCommittee) -> AppResult<Committee> {
    access.require_role(&[Role::Manager], "record committee meetings")?;
    let own = access.org_id();
    let row = committee::Model {
        id: CommitteeId::new().0,
        org_id: own.0,
        name: new.name,
        meets_on: new.meets_on,
        paper_url: new.paper_url,
        created_by: Some(access.actor().user_id.0),
        created_at: Utc::now(),
    };
    let txn = access.begin_write().await?;
    scope::insert_owned(own, committee::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let committee = Committee::from(row);
    audit::record(
        &txn,
        Author::from(access),
        Change::created(own, EntityType::Committee, committee.id.0, &committee),
    )
    .await?;
    txn.commit().await?;
    Ok(committee)
}

/// One meeting the caller may read.
pub async fn get(access: &Access, id: CommitteeId) -> AppResult<Committee> {
    scope::one::<committee::Entity>(access, Purpose::Detail, id.0, "committee")
        .await
        .map(Committee::from)
}

/// The meetings of each of `orgs` the caller may read, earliest first: one statement.
pub async fn of_organisations(
    access: &Access,
    orgs: Vec<uuid::Uuid>,
) -> AppResult<std::collections::HashMap<uuid::Uuid, Vec<Committee>>> {
    let rows = committee::Entity::readable(access)
        .filter(committee::Column::OrgId.is_in(orgs.iter().copied()))
        .order_by_asc(committee::Column::MeetsOn)
        .order_by_asc(committee::Column::Id)
        .all(access.db())
        .await?;
    Ok(crate::batch::group(
        orgs,
        rows,
        |r| r.org_id,
        Committee::from,
    ))
}

/// The meetings named by a `changes` window, checked to be of the organisation `org` the
/// window is about (another's answers as one that does not exist).
pub async fn of_window(access: &Access, org: OrgId, id: CommitteeId) -> AppResult<Committee> {
    let committee = get(access, id).await?;
    if committee.org_id != org {
        return Err(AppError::NotFound("committee"));
    }
    Ok(committee)
}
