-- Scenario 1 in hand-written SQL: an organisation's dashboard. Its name; its actions by RAG
-- today and the next delivery date ahead; its recommendations by status; its 20 most
-- overdue actions with the recommendation and review each answers.
-- pgbench variables: orgs (array of ids), norgs.
\set i random(1, :norgs)
SELECT name FROM organisations WHERE id = (:orgs::uuid[])[:i];
SELECT COUNT(*) FILTER (WHERE status <> 'WITHDRAWN') AS total,
       COUNT(*) FILTER (WHERE status = 'COMPLETE') AS green,
       COUNT(*) FILTER (WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND due_on >= CURRENT_DATE) AS amber,
       COUNT(*) FILTER (WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND due_on < CURRENT_DATE) AS red,
       MIN(due_on) FILTER (WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND due_on >= CURRENT_DATE) AS next_due_on
  FROM actions
 WHERE org_id = (:orgs::uuid[])[:i] AND opened_on <= CURRENT_DATE;
SELECT status, COUNT(*) FROM recommendations WHERE org_id = (:orgs::uuid[])[:i] GROUP BY status;
SELECT a.id, a.title, a.owner, a.due_on, a.original_due_on, r.reference, r.text, v.title
  FROM actions a
  LEFT JOIN recommendations r ON r.id = a.recommendation_id
  LEFT JOIN reviews v ON v.id = a.review_id
 WHERE a.org_id = (:orgs::uuid[])[:i]
   AND a.status IN ('NOT_STARTED', 'IN_PROGRESS')
   AND a.due_on < CURRENT_DATE
   AND a.opened_on <= CURRENT_DATE
 ORDER BY a.due_on, a.id
 LIMIT 20;
