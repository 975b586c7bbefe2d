//! Every closed set of codes the service stores (kinds, statuses, roles, grades), in the
//! kernel so that the store and access layers name them without reaching up into a domain.
//! Each domain re-exports its own, and keeps the rules about them.

use crate::closed_set;
use crate::ids::IdKind;

// auth

closed_set! {
    /// What a token lets its holder do within the organisation it names.
    pub enum Role {
        /// Reads everything the organisation owns; changes nothing.
        Viewer => "viewer",
        /// As a viewer, and reports progress: progress updates, evidence, action status.
        Contributor => "contributor",
        /// Changes everything the organisation owns, including its sharing settings.
        Manager => "manager",
        /// Operates the platform: creates organisations and panel memberships. Reads no tenant
        /// content, not even its own organisation's.
        PlatformAdmin => "platform_admin",
    }
}

// organisations

closed_set! {
    /// What kind of body an organisation is. Fixed when it is created.
    #[graphql(name = "OrganisationKind")]
    pub enum OrgKind {
        /// A local authority.
        Council => "COUNCIL",
        /// A fire and rescue service (or authority).
        FireAndRescueService => "FIRE_AND_RESCUE_SERVICE",
        /// A regional or sub-regional panel that oversees and challenges its member
        /// organisations.
        RegionalPanel => "REGIONAL_PANEL",
        /// A national body (such as the LGA) that follows progress across organisations that
        /// share with partners.
        PartnerBody => "PARTNER_BODY",
    }
}

closed_set! {
    /// How much an organisation shares with partner bodies.
    pub enum PartnerSharing {
        /// Partner bodies see nothing of this organisation (the default).
        None => "NONE",
        /// Counted in partner bodies' aggregates (never in a group smaller than 3), never named.
        Aggregate => "AGGREGATE",
        /// Named in partner bodies' views, with its own figures.
        Named => "NAMED",
    }
}

// standards

closed_set! {
    /// Where a framework version stands.
    pub enum FrameworkStatus {
        /// Being written: its owner may still change it; nobody assesses against it.
        Draft => "DRAFT",
        /// Published: it never changes again; organisations assess against it.
        Published => "PUBLISHED",
    }
}

// reviews

closed_set! {
    /// What kind of review it was.
    pub enum ReviewKind {
        /// An inspection by a statutory inspectorate (such as HMICFRS).
        Inspection => "INSPECTION",
        /// A review by a peer organisation (such as another fire and rescue service).
        PeerReview => "PEER_REVIEW",
        /// A sector-led peer challenge (such as an LGA peer challenge).
        PeerChallenge => "PEER_CHALLENGE",
        /// A review by the organisation's own scrutiny members.
        ScrutinyReview => "SCRUTINY_REVIEW",
        /// An internal audit.
        InternalAudit => "INTERNAL_AUDIT",
        /// A debrief after an exercise.
        ExerciseDebrief => "EXERCISE_DEBRIEF",
        /// A debrief after a live incident.
        IncidentDebrief => "INCIDENT_DEBRIEF",
    }
}

closed_set! {
    /// Where a review stands.
    pub enum ReviewStatus {
        /// Agreed but not started.
        Planned => "PLANNED",
        /// Under way.
        InProgress => "IN_PROGRESS",
        /// Its findings have been reported; the organisation is acting on them.
        Reported => "REPORTED",
        /// Closed: nothing more is expected of it.
        Closed => "CLOSED",
    }
}

closed_set! {
    /// A graded judgement, on the HMICFRS scale.
    pub enum Grade {
        /// Outstanding.
        Outstanding => "OUTSTANDING",
        /// Good.
        Good => "GOOD",
        /// Adequate.
        Adequate => "ADEQUATE",
        /// Requires improvement.
        RequiresImprovement => "REQUIRES_IMPROVEMENT",
        /// Inadequate.
        Inadequate => "INADEQUATE",
    }
}

closed_set! {
    /// What kind of finding a recommendation is.
    pub enum RecommendationKind {
        /// A recommendation.
        Recommendation => "RECOMMENDATION",
        /// An inspectorate's cause of concern, with a deadline for a plan.
        CauseOfConcern => "CAUSE_OF_CONCERN",
        /// An area for improvement.
        AreaForImprovement => "AREA_FOR_IMPROVEMENT",
        /// An observation.
        Observation => "OBSERVATION",
        /// A lesson identified in a debrief.
        Lesson => "LESSON",
    }
}

closed_set! {
    /// Where a recommendation stands.
    pub enum RecommendationStatus {
        /// Nothing done yet.
        Open => "OPEN",
        /// Being worked on.
        InProgress => "IN_PROGRESS",
        /// Done and signed off.
        Discharged => "DISCHARGED",
        /// Ongoing by nature (such as "review the plan every two years"): never discharged.
        Ongoing => "ONGOING",
        /// Overtaken by a later recommendation.
        Superseded => "SUPERSEDED",
        /// Not accepted by the organisation.
        NotAccepted => "NOT_ACCEPTED",
    }
}

// actions

closed_set! {
    /// Where an action stands.
    pub enum ActionStatus {
        /// Agreed, not started.
        NotStarted => "NOT_STARTED",
        /// Under way.
        InProgress => "IN_PROGRESS",
        /// Done.
        Complete => "COMPLETE",
        /// No longer pursued. Withdrawn actions have no RAG and are left out of summaries.
        Withdrawn => "WITHDRAWN",
    }
}

closed_set! {
    /// Red, amber or green.
    pub enum Rag {
        /// Not complete, and past its delivery date.
        Red => "RED",
        /// Not complete, and not yet due.
        Amber => "AMBER",
        /// Complete.
        Green => "GREEN",
    }
}

// assessments

closed_set! {
    /// The tier of assurance an assessment belongs to.
    #[graphql(name = "AssessmentTier")]
    pub enum Tier {
        /// The organisation's own assessment.
        SelfAssessment => "SELF_ASSESSMENT",
        /// Challenged by the organisation's sub-regional panel.
        SubRegionalChallenge => "SUB_REGIONAL_CHALLENGE",
        /// Challenged by external peers (such as an LGA peer challenge).
        PeerChallenge => "PEER_CHALLENGE",
    }
}

closed_set! {
    /// Where an assessment stands.
    pub enum AssessmentStatus {
        /// Being written; visible to the organisation only.
        Draft => "DRAFT",
        /// Submitted and locked; its panels may challenge it.
        Submitted => "SUBMITTED",
        /// A panel has completed its moderation.
        Moderated => "MODERATED",
        /// Published by the organisation after moderation.
        Published => "PUBLISHED",
    }
}

closed_set! {
    /// What a panel concluded about an organisation's level for a standard.
    #[graphql(name = "ModerationOutcome")]
    pub enum Outcome {
        /// The panel agrees with the organisation's level.
        Agreed => "AGREED",
        /// The panel moderated the level to another one.
        Adjusted => "ADJUSTED",
        /// The panel asks for more before it concludes.
        Queried => "QUERIED",
    }
}

// audit

/// The type of the webhook events (and the kind of the notices) that carry a person's
/// reminder digest.
pub const REMINDER_DUE: &str = "reminder.due";

closed_set! {
    /// What kind of thing changed.
    #[graphql(name = "AuditEntityType")]
    pub enum EntityType {
        /// An organisation's directory entry.
        Organisation => "ORGANISATION",
        /// A membership of a regional panel. Its `entityId` is the member organisation's id.
        PanelMembership => "PANEL_MEMBERSHIP",
        /// An organisation's sharing settings. Its `entityId` is the organisation's id.
        SharingSettings => "SHARING_SETTINGS",
        /// A review, with its judgements.
        Review => "REVIEW",
        /// A recommendation of a review.
        Recommendation => "RECOMMENDATION",
        /// An action.
        Action => "ACTION",
        /// A progress update on an action.
        ProgressUpdate => "PROGRESS_UPDATE",
        /// Evidence attached to an action.
        Evidence => "EVIDENCE",
        /// A framework of standards.
        Framework => "FRAMEWORK",
        /// An assessment.
        Assessment => "ASSESSMENT",
        /// A rating within an assessment (with its evidence and linked actions).
        Rating => "RATING",
        /// A panel's challenge session on an assessment.
        Challenge => "CHALLENGE",
        /// A panel's moderation of a rating.
        Moderation => "MODERATION",
        /// A committee meeting an organisation reports to.
        Committee => "COMMITTEE",
        /// A webhook endpoint an organisation registered (never its secret).
        WebhookEndpoint => "WEBHOOK_ENDPOINT",
        /// An organisation's reminder rules. Its `entityId` is the organisation's id.
        ReminderSettings => "REMINDER_SETTINGS",
        /// A person's own choice of reminders. Its `entityId` is the person's id.
        ReminderPreferences => "REMINDER_PREFERENCES",
        /// A person's reminder digest of one day (its `reminder.due` event).
        Reminder => "REMINDER",
    }
}

impl EntityType {
    /// The entity types of provisioning, which a platform administrator's trail holds.
    pub const PROVISIONING: [EntityType; 2] =
        [EntityType::Organisation, EntityType::PanelMembership];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        self.code()
    }

    /// The kind of API id its `entityId` is.
    pub fn id_kind(self) -> IdKind {
        match self {
            EntityType::Organisation
            | EntityType::PanelMembership
            | EntityType::SharingSettings => IdKind::Organisation,
            EntityType::Review => IdKind::Review,
            EntityType::Recommendation => IdKind::Recommendation,
            EntityType::Action => IdKind::Action,
            EntityType::ProgressUpdate => IdKind::ProgressUpdate,
            EntityType::Evidence => IdKind::Evidence,
            EntityType::Framework => IdKind::Framework,
            EntityType::Assessment => IdKind::Assessment,
            EntityType::Rating => IdKind::Rating,
            EntityType::Challenge => IdKind::Challenge,
            EntityType::Moderation => IdKind::Moderation,
            EntityType::Committee => IdKind::Committee,
            EntityType::WebhookEndpoint => IdKind::WebhookEndpoint,
            EntityType::ReminderSettings => IdKind::Organisation,
            EntityType::ReminderPreferences => IdKind::User,
            EntityType::Reminder => IdKind::Reminder,
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Self> {
        Self::from_code(code)
    }
}

// imports

closed_set! {
    /// What an import brings in.
    pub enum ImportKind {
        /// A review's action plan: recommendations, actions, progress.
        ActionPlan => "ACTION_PLAN",
        /// A self-assessment: a level and a position statement per standard.
        Assessment => "ASSESSMENT",
    }
}

closed_set! {
    /// Where a webhook delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its first attempt or its next retry.
        Pending => "PENDING",
        /// The endpoint answered with a 2xx status.
        Delivered => "DELIVERED",
        /// Given up: every retry failed, the endpoint answered 410 Gone, or it was disabled.
        Failed => "FAILED",
    }
}

closed_set! {
    /// How one attempt to deliver a webhook went.
    pub enum AttemptOutcome {
        /// Answered with a 2xx status.
        Delivered => "DELIVERED",
        /// A non-2xx answer, a time-out or a connection that failed: retried later.
        Failed => "FAILED",
        /// Answered 410 Gone: the endpoint is disabled.
        Gone => "GONE",
        /// Not sent: the address resolves to a private, loopback or link-local address.
        Refused => "REFUSED",
    }
}

closed_set! {
    /// How an import ended.
    pub enum ImportOutcome {
        /// A dry run: checked, nothing written but its record.
        Checked => "CHECKED",
        /// A real run that wrote what it found.
        Imported => "IMPORTED",
        /// A real run that found errors and wrote nothing but its record.
        Refused => "REFUSED",
    }
}
