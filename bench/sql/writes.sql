-- Scenario 5 in hand-written SQL: the write mix. Half the transactions report progress on an
-- action (the update, the action's percentage and version, the audit event); the other half
-- change an action's owner at its current version (with the audit event).
-- pgbench variables: actions (array of ids), nactions.
\set i random(1, :nactions)
\set half random(0, 1)
\set pct random(0, 100)
\if :half = 0
BEGIN;
SELECT id, org_id, opened_on, version FROM actions WHERE id = (:actions::uuid[])[:i];
INSERT INTO progress_updates (id, org_id, action_id, as_at, narrative, percent_complete, recorded_at)
  SELECT gen_random_uuid(), org_id, id, CURRENT_DATE - 1, 'Hand-written SQL update.', :pct, now()
    FROM actions WHERE id = (:actions::uuid[])[:i];
UPDATE actions SET percent_complete = :pct, version = version + 1, updated_at = now()
 WHERE id = (:actions::uuid[])[:i];
INSERT INTO audit_events (id, org_id, actor_org_id, actor_role, entity_type, entity_id, operation, after, occurred_at)
  SELECT gen_random_uuid(), org_id, org_id, 'manager', 'PROGRESS_UPDATE', id, 'CREATE',
         '{"narrative": "Hand-written SQL update."}'::jsonb, now()
    FROM actions WHERE id = (:actions::uuid[])[:i];
COMMIT;
\else
BEGIN;
SELECT id, org_id, owner, version FROM actions WHERE id = (:actions::uuid[])[:i];
UPDATE actions SET owner = 'Head of Protection', version = version + 1, updated_at = now()
 WHERE id = (:actions::uuid[])[:i] RETURNING version;
INSERT INTO audit_events (id, org_id, actor_org_id, actor_role, entity_type, entity_id, operation, after, occurred_at)
  SELECT gen_random_uuid(), org_id, org_id, 'manager', 'ACTION', id, 'UPDATE',
         '{"owner": "Head of Protection"}'::jsonb, now()
    FROM actions WHERE id = (:actions::uuid[])[:i];
COMMIT;
\endif
