//! The outbox row each change writes beside its audit event: what to publish, in the same
//! transaction, so that nothing rolled back is ever published and nothing committed is lost.
//!
//! An event carries ids and the names of the fields that changed, never content: what a
//! receiver sees of the thing itself is read with its own access when the event reaches it.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{EntityType, Operation};
use crate::entity::outbox_event;
use crate::ids::{EventId, OrgId};

/// The event type of a change to `entity`: `action.updated`, `progress_update.created`, ….
pub fn event_type(entity: EntityType, operation: Operation) -> String {
    let verb = match operation {
        Operation::Create => "created",
        Operation::Update => "updated",
        Operation::Delete => "deleted",
    };
    format!("{}.{verb}", entity.as_str().to_ascii_lowercase())
}

/// Every event type the service publishes, for checking what a webhook endpoint asks for:
/// each change's, and a person's reminder digest (`reminder.due`).
pub fn event_types() -> Vec<String> {
    let mut all = vec![crate::codes::REMINDER_DUE.to_owned()];
    for &entity in EntityType::ALL {
        if entity == EntityType::Reminder {
            continue;
        }
        for operation in [Operation::Create, Operation::Update, Operation::Delete] {
            all.push(event_type(entity, operation));
        }
    }
    all
}

/// The fields of the image that changed (`version` aside), for an update; none otherwise.
fn changed_fields(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let (Some(Value::Object(before)), Some(Value::Object(after))) = (before, after) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| k.as_str() != "version" && before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The ids an image names (`reviewId`, `actionId`, …), as the API spells them.
fn ids_of(image: Option<&Value>, into: &mut Map<String, Value>) {
    let Some(Value::Object(image)) = image else {
        return;
    };
    for (key, value) in image {
        if key.ends_with("Id")
            && key != "orgId"
            && let Value::String(id) = value
            && id.contains('_')
            && id.len() <= 40
        {
            into.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// What every event's payload opens with: the id of what it is about (as the API writes
/// it), its entity type, the operation (for a change) and its organisation.
fn head(
    entity_type: EntityType,
    entity_id: Uuid,
    operation: Option<Operation>,
    org: OrgId,
) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(
        "id".to_owned(),
        json!(
            crate::ids::AnyId {
                kind: entity_type.id_kind(),
                uuid: entity_id
            }
            .to_string()
        ),
    );
    data.insert("entityType".to_owned(), json!(entity_type.as_str()));
    if let Some(operation) = operation {
        data.insert("operation".to_owned(), json!(operation.as_str()));
    }
    data.insert("organisationId".to_owned(), json!(org.to_string()));
    data
}

/// One change, as its outbox row's fields.
pub(super) struct Outgoing<'a> {
    pub org_id: OrgId,
    pub subject_org_id: Option<OrgId>,
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub operation: Operation,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// The outbox row of one change.
pub(super) fn row(
    change: Outgoing<'_>,
    actor_user: Option<Uuid>,
    actor_org: Option<Uuid>,
    now: DateTime<Utc>,
) -> outbox_event::ActiveModel {
    let mut data = head(
        change.entity_type,
        change.entity_id,
        Some(change.operation),
        change.org_id,
    );
    ids_of(change.after, &mut data);
    ids_of(change.before, &mut data);
    data.insert(
        "changed".to_owned(),
        json!(changed_fields(change.before, change.after)),
    );
    outbox_event::ActiveModel {
        seq: NotSet,
        id: Set(EventId::new().0),
        org_id: Set(change.org_id.0),
        subject_org_id: Set(change.subject_org_id.map(|o| o.0)),
        event_type: Set(event_type(change.entity_type, change.operation)),
        entity_type: Set(change.entity_type.as_str().to_owned()),
        entity_id: Set(change.entity_id),
        payload: Set(Value::Object(data)),
        actor_user_id: Set(actor_user),
        actor_org_id: Set(actor_org),
        occurred_at: Set(now),
    }
}

/// The outbox row of an event that is not a change: the service's own news about `entity`
/// of `org` (a person's reminder digest), with the ids `named` gives.
pub fn notice_row(
    org: OrgId,
    event_type: &str,
    entity_type: EntityType,
    entity_id: Uuid,
    named: Map<String, Value>,
    now: DateTime<Utc>,
) -> outbox_event::ActiveModel {
    let mut data = head(entity_type, entity_id, None, org);
    data.extend(named);
    outbox_event::ActiveModel {
        seq: NotSet,
        id: Set(EventId::new().0),
        org_id: Set(org.0),
        subject_org_id: Set(None),
        event_type: Set(event_type.to_owned()),
        entity_type: Set(entity_type.as_str().to_owned()),
        entity_id: Set(entity_id),
        payload: Set(Value::Object(data)),
        actor_user_id: Set(None),
        // Written under the organisation's own settings, as its changes are.
        actor_org_id: Set(Some(org.0)),
        occurred_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_the_fields_that_changed_and_the_ids_it_concerns() {
        let before = json!({"id": "act_1", "reviewId": "rev_0193", "status": "ON_TRACK", "dueOn": "2021-03-01", "version": 1});
        let after = json!({"id": "act_1", "reviewId": "rev_0193", "status": "COMPLETE", "dueOn": "2021-03-01", "version": 2});
        assert_eq!(changed_fields(Some(&before), Some(&after)), vec!["status"]);
        let mut ids = Map::new();
        ids_of(Some(&after), &mut ids);
        assert_eq!(ids.get("reviewId"), Some(&json!("rev_0193")));
        assert_eq!(
            event_type(EntityType::ProgressUpdate, Operation::Create),
            "progress_update.created"
        );
    }
}
