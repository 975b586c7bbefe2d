//! Identifiers: UUIDv7 in the database, opaque typed strings in the API.
//!
//! An API id is a short type prefix and the UUID in hex (`org_0193…`). Clients must treat it
//! as opaque; the prefix lets `node(id:)` go straight to the right table and lets the service
//! tell "not an organisation id" (a client bug, `BAD_USER_INPUT`) from "no such organisation"
//! (`NOT_FOUND`).

use std::fmt;

use async_graphql::ID;
use uuid::Uuid;

use crate::error::AppError;

/// The kinds of object that have an API id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Organisation,
    User,
    AuditEvent,
    Review,
    Recommendation,
    Action,
    ProgressUpdate,
    Evidence,
    DueDateChange,
    Framework,
    Standard,
    RatingLevel,
    Assessment,
    Rating,
    RatingEvidence,
    Challenge,
    Moderation,
    Committee,
    Import,
    Event,
    WebhookEndpoint,
    WebhookDelivery,
    Notification,
    Reminder,
}

impl IdKind {
    const ALL: [IdKind; 24] = [
        IdKind::Organisation,
        IdKind::User,
        IdKind::AuditEvent,
        IdKind::Review,
        IdKind::Recommendation,
        IdKind::Action,
        IdKind::ProgressUpdate,
        IdKind::Evidence,
        IdKind::DueDateChange,
        IdKind::Framework,
        IdKind::Standard,
        IdKind::RatingLevel,
        IdKind::Assessment,
        IdKind::Rating,
        IdKind::RatingEvidence,
        IdKind::Challenge,
        IdKind::Moderation,
        IdKind::Committee,
        IdKind::Import,
        IdKind::Event,
        IdKind::WebhookEndpoint,
        IdKind::WebhookDelivery,
        IdKind::Notification,
        IdKind::Reminder,
    ];

    fn prefix(self) -> &'static str {
        match self {
            IdKind::Organisation => "org",
            IdKind::User => "usr",
            IdKind::AuditEvent => "aud",
            IdKind::Review => "rev",
            IdKind::Recommendation => "rec",
            IdKind::Action => "act",
            IdKind::ProgressUpdate => "upd",
            IdKind::Evidence => "evd",
            IdKind::DueDateChange => "ddc",
            IdKind::Framework => "fwk",
            IdKind::Standard => "std",
            IdKind::RatingLevel => "lvl",
            IdKind::Assessment => "asm",
            IdKind::Rating => "rtg",
            IdKind::RatingEvidence => "rve",
            IdKind::Challenge => "chl",
            IdKind::Moderation => "mdr",
            IdKind::Committee => "cmt",
            IdKind::Import => "imp",
            IdKind::Event => "evt",
            IdKind::WebhookEndpoint => "whe",
            IdKind::WebhookDelivery => "whd",
            IdKind::Notification => "ntf",
            IdKind::Reminder => "rmd",
        }
    }

    /// The GraphQL type name, for error messages.
    pub fn type_name(self) -> &'static str {
        match self {
            IdKind::Organisation => "Organisation",
            IdKind::User => "User",
            IdKind::AuditEvent => "AuditEvent",
            IdKind::Review => "Review",
            IdKind::Recommendation => "Recommendation",
            IdKind::Action => "Action",
            IdKind::ProgressUpdate => "ProgressUpdate",
            IdKind::Evidence => "Evidence",
            IdKind::DueDateChange => "DueDateChange",
            IdKind::Framework => "Framework",
            IdKind::Standard => "Standard",
            IdKind::RatingLevel => "RatingLevel",
            IdKind::Assessment => "Assessment",
            IdKind::Rating => "Rating",
            IdKind::RatingEvidence => "RatingEvidence",
            IdKind::Challenge => "Challenge",
            IdKind::Moderation => "Moderation",
            IdKind::Committee => "Committee",
            IdKind::Import => "Import",
            IdKind::Event => "Event",
            IdKind::WebhookEndpoint => "WebhookEndpoint",
            IdKind::WebhookDelivery => "WebhookDelivery",
            IdKind::Notification => "Notification",
            IdKind::Reminder => "Reminder",
        }
    }
}

/// Any API id, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnyId {
    pub kind: IdKind,
    pub uuid: Uuid,
}

impl AnyId {
    /// Decodes an API id of any kind; `field` names the argument for the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let malformed = || AppError::bad_input(field, format!("`{}` is not a valid id", clip(raw)));
        let (prefix, hex) = raw.split_once('_').ok_or_else(malformed)?;
        let kind = IdKind::ALL
            .into_iter()
            .find(|k| k.prefix() == prefix)
            .ok_or_else(malformed)?;
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed());
        }
        let uuid = Uuid::try_parse(hex).map_err(|_| malformed())?;
        Ok(AnyId { kind, uuid })
    }

    /// Decodes an id that must be of `kind`.
    pub fn parse_as(kind: IdKind, field: &str, raw: &str) -> Result<Uuid, AppError> {
        let id = Self::parse(field, raw)?;
        if id.kind != kind {
            return Err(AppError::bad_input(
                field,
                format!("`{}` is not the id of a {}", clip(raw), kind.type_name()),
            ));
        }
        Ok(id.uuid)
    }

    /// Encodes a UUID as an API id of `kind`.
    pub fn encode(kind: IdKind, uuid: Uuid) -> String {
        format!("{}_{}", kind.prefix(), uuid.simple())
    }
}

impl fmt::Display for AnyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&AnyId::encode(self.kind, self.uuid))
    }
}

/// Echoing a huge argument back in an error would make the error the attack.
fn clip(raw: &str) -> String {
    const MAX: usize = 64;
    if raw.chars().count() <= MAX {
        raw.to_owned()
    } else {
        let head: String = raw.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Defines a newtype id for one kind of object.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            /// Decodes the API form; `field` names the argument for the error.
            pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
                AnyId::parse_as($kind, field, raw).map($name)
            }

            /// The API form, as a GraphQL `ID`.
            pub fn to_gql(self) -> ID {
                ID(self.to_string())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&AnyId::encode($kind, self.0))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

typed_id!(
    /// The id of an organisation.
    OrgId,
    IdKind::Organisation
);
typed_id!(
    /// The id of a user.
    UserId,
    IdKind::User
);
typed_id!(
    /// The id of an audit event.
    AuditEventId,
    IdKind::AuditEvent
);
typed_id!(
    /// The id of a review.
    ReviewId,
    IdKind::Review
);
typed_id!(
    /// The id of a recommendation.
    RecommendationId,
    IdKind::Recommendation
);
typed_id!(
    /// The id of an action.
    ActionId,
    IdKind::Action
);
typed_id!(
    /// The id of a progress update.
    ProgressUpdateId,
    IdKind::ProgressUpdate
);
typed_id!(
    /// The id of a piece of evidence.
    EvidenceId,
    IdKind::Evidence
);
typed_id!(
    /// The id of a change of delivery date.
    DueDateChangeId,
    IdKind::DueDateChange
);
typed_id!(
    /// The id of a framework.
    FrameworkId,
    IdKind::Framework
);
typed_id!(
    /// The id of a standard.
    StandardId,
    IdKind::Standard
);
typed_id!(
    /// The id of a rating level.
    RatingLevelId,
    IdKind::RatingLevel
);
typed_id!(
    /// The id of an assessment.
    AssessmentId,
    IdKind::Assessment
);
typed_id!(
    /// The id of a rating of one standard in an assessment.
    RatingId,
    IdKind::Rating
);
typed_id!(
    /// The id of a piece of evidence behind a rating.
    RatingEvidenceId,
    IdKind::RatingEvidence
);
typed_id!(
    /// The id of a challenge session.
    ChallengeId,
    IdKind::Challenge
);
typed_id!(
    /// The id of a moderated rating.
    ModerationId,
    IdKind::Moderation
);
typed_id!(
    /// The id of a committee meeting.
    CommitteeId,
    IdKind::Committee
);
typed_id!(
    /// The id of a spreadsheet import (or dry run).
    ImportId,
    IdKind::Import
);
typed_id!(
    /// The id of a published change: the same in a subscription's message and in every
    /// attempt of its webhook deliveries (`webhook-id`).
    EventId,
    IdKind::Event
);
typed_id!(
    /// The id of a webhook endpoint.
    WebhookEndpointId,
    IdKind::WebhookEndpoint
);
typed_id!(
    /// The id of one event's delivery to one webhook endpoint.
    WebhookDeliveryId,
    IdKind::WebhookDelivery
);
typed_id!(
    /// The id of a notice in the service.
    NotificationId,
    IdKind::Notification
);
typed_id!(
    /// The id of one person's reminder digest of one day.
    ReminderId,
    IdKind::Reminder
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_through_its_api_form() {
        let id = OrgId::new();
        let text = id.to_string();
        assert!(text.starts_with("org_"));
        assert_eq!(OrgId::parse("id", &text).unwrap(), id);
    }

    #[test]
    fn an_id_of_another_kind_is_bad_input() {
        let user = UserId::new().to_string();
        let err = OrgId::parse("id", &user).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "id"));
    }

    #[test]
    fn malformed_ids_are_bad_input() {
        for raw in [
            "",
            "org",
            "org_",
            "org_xyz",
            "zzz_0193a6f0c1d27c3a9f0e4b5a6c7d8e9f",
            "org_0193a6f0-c1d2-7c3a-9f0e-4b5a6c7d8e9f",
        ] {
            assert!(AnyId::parse("id", raw).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn errors_do_not_echo_huge_arguments() {
        let raw = "x".repeat(10_000);
        let err = AnyId::parse("id", &raw).unwrap_err();
        assert!(err.to_string().len() < 200);
    }
}
