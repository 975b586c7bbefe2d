//! Row-level security on Postgres: the database itself keeps tenants apart, underneath the
//! service's own scoping, so that a forgotten filter still leaks nothing.
//!
//! Every tenant table gets `ENABLE` and `FORCE ROW LEVEL SECURITY` and policies per purpose,
//! keyed on settings the service's request handle sets when a request's transaction begins
//! (`hub.org`, `hub.user`, `hub.role`, `hub.kind`, and the organisations the caller may read
//! for each purpose: `hub.orgs_directory`, `hub.orgs_detail`, `hub.orgs_members`,
//! `hub.orgs_summary`, `hub.framework_owners`). Summaries run with `hub.purpose = summary`,
//! which lets them count rows no other statement of the request may read. Identifying a
//! caller (before its scope is known) reads only the organisation and user its token names
//! (`hub.claim_id` or `hub.claim_slug`, `hub.iss` and `hub.sub`).
//!
//! Every call of the settings functions in a policy is a scalar subquery, `(SELECT hub_org())`:
//! Postgres then evaluates it once per statement, not once per row.
//!
//! A setting that is not set reads as nothing: a connection without them sees no tenant row.
//! The role that runs the migrations owns the tables and keeps a maintenance policy of its
//! own (for the command line's provisioning and data loads); the service connects as another
//! role, which owns no table and has no `BYPASSRLS`. SQLite has no row-level security: there
//! the service's own scoping is the only rule.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The functions the policies read the settings through.
const FUNCTIONS: &str = r#"
CREATE OR REPLACE FUNCTION hub_setting(name text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('hub.' || name, true), '') $$;
CREATE OR REPLACE FUNCTION hub_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hub_setting('org')::uuid $$;
CREATE OR REPLACE FUNCTION hub_user() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hub_setting('user')::uuid $$;
CREATE OR REPLACE FUNCTION hub_orgs(purpose text) RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT COALESCE(hub_setting('orgs_' || purpose), '{}')::uuid[] $$;
CREATE OR REPLACE FUNCTION hub_is(setting text, value text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT COALESCE(hub_setting(setting) = value, false) $$;
"#;

/// A policy: table, name, command, and its `USING` and `WITH CHECK` expressions.
pub(crate) struct Policy {
    pub(crate) table: &'static str,
    pub(crate) name: &'static str,
    command: &'static str,
    pub(crate) using: Option<String>,
    check: Option<String>,
}

fn read(table: &'static str, using: impl Into<String>) -> Policy {
    Policy {
        table,
        name: "tenant_read",
        command: "SELECT",
        using: Some(using.into()),
        check: None,
    }
}

/// Insert, update and delete, each under `rule`.
fn writes(table: &'static str, rule: &str) -> Vec<Policy> {
    vec![
        Policy {
            table,
            name: "tenant_insert",
            command: "INSERT",
            using: None,
            check: Some(rule.to_owned()),
        },
        Policy {
            table,
            name: "tenant_update",
            command: "UPDATE",
            using: Some(rule.to_owned()),
            check: Some(rule.to_owned()),
        },
        Policy {
            table,
            name: "tenant_delete",
            command: "DELETE",
            using: Some(rule.to_owned()),
            check: None,
        },
    ]
}

const OWN: &str = "org_id = (SELECT hub_org())";
const ADMIN: &str = "(SELECT hub_is('role', 'platform_admin'))";

/// Rows of organisations whose detail the caller reads.
pub(crate) fn detail(column: &str) -> String {
    format!("{column} = ANY ((SELECT hub_orgs('detail'))::uuid[])")
}

/// Rows a summary counts: only while the request runs a summary. (As this migration wrote
/// them; `m20261207_000020_summary_sets_hashed` looks the organisations up in a hash since.)
pub(crate) fn summary(column: &str) -> String {
    format!(
        "((SELECT hub_is('purpose', 'summary')) AND {column} = ANY ((SELECT hub_orgs('summary'))::uuid[]))"
    )
}

/// The tables of tenant content: each row carries its organisation's `org_id`; read in
/// detail, counted by summaries (where `counted`), written by its own organisation only.
const CONTENT: [(&str, bool); 10] = [
    ("reviews", true),
    ("review_judgements", false),
    ("recommendations", true),
    ("recommendation_status_changes", true),
    ("recommendation_standards", true),
    ("actions", true),
    ("action_status_changes", true),
    ("due_date_changes", true),
    ("progress_updates", true),
    ("evidence", false),
];

/// The policies, as this migration creates them.
pub(crate) fn policies() -> Vec<Policy> {
    let mut out = Vec::new();

    // The directory: what the caller may see of who is who, and the organisation its token
    // names while the caller is being identified.
    out.push(read(
        "organisations",
        "(SELECT hub_is('directory', 'all')) OR id = (SELECT hub_org()) OR id = ANY ((SELECT hub_orgs('directory'))::uuid[]) \
         OR id = (SELECT hub_setting('claim_id'))::uuid OR slug = (SELECT hub_setting('claim_slug'))",
    ));
    out.extend(writes("organisations", ADMIN));
    // Updates: an operator's provisioning, or the organisation's own.
    out.retain(|p| !(p.table == "organisations" && p.command == "UPDATE"));
    out.push(Policy {
        table: "organisations",
        name: "tenant_update",
        command: "UPDATE",
        using: Some(format!("{ADMIN} OR id = (SELECT hub_org())")),
        check: Some(format!("{ADMIN} OR id = (SELECT hub_org())")),
    });

    out.push(read(
        "panel_memberships",
        "(SELECT hub_is('directory', 'all')) OR panel_id = (SELECT hub_org()) OR member_id = (SELECT hub_org()) \
         OR (panel_id = ANY ((SELECT hub_orgs('directory'))::uuid[]) AND member_id = ANY ((SELECT hub_orgs('directory'))::uuid[]))",
    ));
    out.extend(writes("panel_memberships", ADMIN));

    // Sharing settings are their organisation's own; working out what a caller may read
    // (purpose `visibility`, the first statements of a request) reads those that decide it.
    out.push(read(
        "sharing_settings",
        "org_id = (SELECT hub_org()) OR ((SELECT hub_is('purpose', 'visibility')) AND ( \
            ((SELECT hub_is('kind', 'PARTNER_BODY')) AND partners <> 'NONE') \
            OR ((SELECT hub_is('kind', 'REGIONAL_PANEL')) AND org_id IN \
                (SELECT member_id FROM panel_memberships WHERE panel_id = (SELECT hub_org())))))",
    ));
    out.extend(writes("sharing_settings", &format!("{OWN} OR {ADMIN}")));

    // People: the caller, those who act for its organisation or one whose detail it reads,
    // and while identifying, the user its token names.
    let identified =
        "(issuer = (SELECT hub_setting('iss')) AND subject = (SELECT hub_setting('sub')))";
    out.push(read(
        "users",
        format!(
            "id = (SELECT hub_user()) OR {identified} OR id IN (SELECT user_id FROM org_users \
             WHERE org_id = (SELECT hub_org()) OR org_id = ANY ((SELECT hub_orgs('detail'))::uuid[]))"
        ),
    ));
    out.extend(writes("users", identified));
    out.push(read(
        "org_users",
        "user_id = (SELECT hub_user()) OR org_id = (SELECT hub_org()) OR org_id = ANY ((SELECT hub_orgs('detail'))::uuid[])",
    ));
    out.push(Policy {
        table: "org_users",
        name: "tenant_insert",
        command: "INSERT",
        using: None,
        // Identification sets `hub.user` to the user it found by the token's `iss` and `sub`.
        check: Some(
            "user_id = (SELECT hub_user()) AND org_id IN (SELECT id FROM organisations)".to_owned(),
        ),
    });

    for (table, counted) in CONTENT {
        let mut rule = detail("org_id");
        if counted {
            rule = format!("{rule} OR {}", summary("org_id"));
        }
        out.push(read(table, rule));
        out.extend(writes(table, OWN));
    }
    // A review names only a reviewing organisation its author can see: the subquery reads
    // `organisations` under its own policy.
    for p in out.iter_mut() {
        if p.table == "reviews"
            && let Some(check) = &mut p.check
        {
            *check = format!(
                "{check} AND (reviewer_org_id IS NULL OR reviewer_org_id IN (SELECT id FROM organisations))"
            );
        }
    }

    // Assessments: the caller's own, drafts included; its panel members' and counted ones
    // once submitted. A panel marks its member's assessment moderated.
    out.push(read(
        "assessments",
        format!(
            "org_id = (SELECT hub_org()) OR (status <> 'DRAFT' AND (org_id = ANY ((SELECT hub_orgs('members'))::uuid[]) \
             OR {}))",
            summary("org_id")
        ),
    ));
    out.extend(
        writes("assessments", OWN)
            .into_iter()
            .filter(|p| p.command != "UPDATE"),
    );
    out.push(Policy {
        table: "assessments",
        name: "tenant_update",
        command: "UPDATE",
        using: Some(format!(
            "{OWN} OR (org_id = ANY ((SELECT hub_orgs('members'))::uuid[]) AND status <> 'DRAFT')"
        )),
        check: Some(format!(
            "{OWN} OR (org_id = ANY ((SELECT hub_orgs('members'))::uuid[]) AND status = 'MODERATED')"
        )),
    });
    // Ratings go with their assessment; their detail also needs the organisation's detail.
    // (`m20261208_000021_ratings_through_their_organisations` narrows the subquery since.)
    out.push(read(
        "ratings",
        "org_id = (SELECT hub_org()) OR assessment_id IN (SELECT id FROM assessments)",
    ));
    out.extend(writes("ratings", OWN));
    for table in ["rating_evidence", "rating_actions"] {
        out.push(read(
            table,
            format!(
                "{} AND rating_id IN (SELECT id FROM ratings)",
                detail("org_id")
            ),
        ));
        out.extend(writes(table, OWN));
    }

    // A panel's judgements: the panel's and the member's; counted for partner bodies.
    for table in ["challenges", "moderations"] {
        out.push(read(
            table,
            format!(
                "panel_id = (SELECT hub_org()) OR org_id = (SELECT hub_org()) OR ((SELECT hub_is('kind', 'PARTNER_BODY')) \
                 AND {})",
                summary("org_id")
            ),
        ));
        out.extend(writes(table, "panel_id = (SELECT hub_org())"));
    }

    // Frameworks: shared ones (a platform administrator's drafts too), its panels' published
    // ones, those it assessed itself against, and a panel's own.
    let writable = format!(
        "(owner_org_id IS NULL AND {ADMIN}) OR (owner_org_id = (SELECT hub_org()) AND NOT {ADMIN})"
    );
    out.push(read(
        "frameworks",
        format!(
            "(owner_org_id IS NULL AND (status = 'PUBLISHED' OR {ADMIN})) OR (NOT {ADMIN} AND ( \
               (owner_org_id = (SELECT hub_org()) AND (SELECT hub_is('kind', 'REGIONAL_PANEL'))) \
               OR (status = 'PUBLISHED' AND owner_org_id = ANY ((SELECT hub_orgs('framework_owners'))::uuid[])) \
               OR id IN (SELECT framework_id FROM assessments WHERE org_id = (SELECT hub_org()))))"
        ),
    ));
    out.extend(writes("frameworks", &writable));
    for table in ["standards", "rating_levels"] {
        out.push(read(
            table,
            "framework_id IN (SELECT id FROM frameworks)".to_owned(),
        ));
        out.extend(writes(
            table,
            &format!("framework_id IN (SELECT id FROM frameworks WHERE {writable})"),
        ));
    }

    // The trail: a manager's organisation's, and what concerns it; an operator's
    // provisioning. Written by the change it records, never changed.
    out.push(read(
        "audit_events",
        format!(
            "((SELECT hub_is('role', 'manager')) AND (org_id = (SELECT hub_org()) OR subject_org_id = (SELECT hub_org()))) \
             OR ({ADMIN} AND (entity_type IN ('ORGANISATION', 'PANEL_MEMBERSHIP') \
             OR (org_id = (SELECT hub_org()) AND entity_type = 'FRAMEWORK')))"
        ),
    ));
    out.push(Policy {
        table: "audit_events",
        name: "tenant_insert",
        command: "INSERT",
        using: None,
        check: Some("actor_org_id = (SELECT hub_org())".to_owned()),
    });
    out
}

/// Every table under row-level security.
fn tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = Vec::new();
    for p in policies() {
        if !tables.contains(&p.table) {
            tables.push(p.table);
        }
    }
    tables
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(FUNCTIONS).await?;
        for table in tables() {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
                 ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
                 CREATE POLICY maintenance ON {table} TO CURRENT_USER USING (true) WITH CHECK (true);"
            ))
            .await?;
        }
        for p in policies() {
            let mut sql = format!("CREATE POLICY {} ON {} FOR {}", p.name, p.table, p.command);
            if let Some(using) = &p.using {
                sql.push_str(&format!(" USING ({using})"));
            }
            if let Some(check) = &p.check {
                sql.push_str(&format!(" WITH CHECK ({check})"));
            }
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut names: Vec<(&str, &str)> = Vec::new();
        for p in policies() {
            if !names.contains(&(p.table, p.name)) {
                names.push((p.table, p.name));
            }
        }
        for (table, name) in names {
            db.execute_unprepared(&format!("DROP POLICY IF EXISTS {name} ON {table}"))
                .await?;
        }
        for table in tables() {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS maintenance ON {table}; \
                 ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; \
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
            ))
            .await?;
        }
        db.execute_unprepared(
            "DROP FUNCTION IF EXISTS hub_is(text, text); DROP FUNCTION IF EXISTS hub_orgs(text); \
             DROP FUNCTION IF EXISTS hub_user(); DROP FUNCTION IF EXISTS hub_org(); \
             DROP FUNCTION IF EXISTS hub_setting(text);",
        )
        .await?;
        Ok(())
    }
}
