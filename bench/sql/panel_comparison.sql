-- Scenario 3 in hand-written SQL: a panel's heat map of its members against a framework for
-- one cycle. The members by name; the framework's standards and scale; each member's
-- submitted self levels beside the panel's latest moderation; when each was last
-- challenged; each member's actions by RAG today.
-- pgbench variables: panel, framework, cycle.
SELECT o.id, o.name FROM panel_memberships m JOIN organisations o ON o.id = m.member_id
 WHERE m.panel_id = :panel::uuid ORDER BY o.name;
SELECT id, code, title FROM standards WHERE framework_id = :framework::uuid ORDER BY position;
SELECT id, code, rank FROM rating_levels WHERE framework_id = :framework::uuid ORDER BY rank;
SELECT a.org_id, r.standard_id, r.level_id, m.level_id AS moderated, m.outcome
  FROM panel_memberships pm
  JOIN assessments a ON a.org_id = pm.member_id AND a.framework_id = :framework::uuid
       AND a.cycle = :cycle AND a.tier = 'SELF_ASSESSMENT' AND a.status <> 'DRAFT'
  JOIN ratings r ON r.assessment_id = a.id
  LEFT JOIN LATERAL (SELECT mo.level_id, mo.outcome FROM moderations mo
                      WHERE mo.panel_id = :panel::uuid AND mo.assessment_id = a.id
                        AND mo.standard_id = r.standard_id
                      ORDER BY mo.created_at DESC, mo.id DESC LIMIT 1) m ON true
 WHERE pm.panel_id = :panel::uuid;
SELECT a.org_id, MAX(c.held_on)
  FROM challenges c JOIN assessments a ON a.id = c.assessment_id
 WHERE c.panel_id = :panel::uuid AND a.framework_id = :framework::uuid AND a.cycle = :cycle
   AND a.tier = 'SELF_ASSESSMENT'
 GROUP BY a.org_id;
SELECT a.org_id,
       COUNT(*) FILTER (WHERE a.status = 'COMPLETE') AS green,
       COUNT(*) FILTER (WHERE a.status IN ('NOT_STARTED', 'IN_PROGRESS') AND a.due_on >= CURRENT_DATE) AS amber,
       COUNT(*) FILTER (WHERE a.status IN ('NOT_STARTED', 'IN_PROGRESS') AND a.due_on < CURRENT_DATE) AS red
  FROM panel_memberships pm JOIN actions a ON a.org_id = pm.member_id
 WHERE pm.panel_id = :panel::uuid AND a.opened_on <= CURRENT_DATE
 GROUP BY a.org_id;
