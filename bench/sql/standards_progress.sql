-- Scenario 4 in hand-written SQL: progress against a framework's standards over several
-- cycles, across the organisations that share with partner bodies. The standards and the
-- scale; per cycle, standard and level, how many rated themselves there, and how many the
-- latest moderation put there.
-- pgbench variables: framework, cycles (an array of cycles).
SELECT id, code, title FROM standards WHERE framework_id = :framework::uuid ORDER BY position;
SELECT id, code, label, rank FROM rating_levels WHERE framework_id = :framework::uuid ORDER BY rank;
SELECT a.cycle, r.standard_id, r.level_id, COUNT(*)
  FROM ratings r
  JOIN assessments a ON a.id = r.assessment_id
  JOIN sharing_settings s ON s.org_id = a.org_id AND s.partners <> 'NONE'
 WHERE a.framework_id = :framework::uuid AND a.tier = 'SELF_ASSESSMENT' AND a.status <> 'DRAFT'
   AND a.cycle = ANY (:cycles::text[]) AND r.level_id IS NOT NULL
 GROUP BY a.cycle, r.standard_id, r.level_id;
SELECT a.cycle, m.standard_id, m.level_id, COUNT(*)
  FROM moderations m
  JOIN assessments a ON a.id = m.assessment_id
  JOIN sharing_settings s ON s.org_id = a.org_id AND s.partners <> 'NONE'
 WHERE a.framework_id = :framework::uuid AND a.tier = 'SELF_ASSESSMENT' AND a.status <> 'DRAFT'
   AND a.cycle = ANY (:cycles::text[])
   AND NOT EXISTS (SELECT 1 FROM moderations l
                    WHERE l.assessment_id = m.assessment_id AND l.standard_id = m.standard_id
                      AND (l.created_at, l.id) > (m.created_at, m.id))
 GROUP BY a.cycle, m.standard_id, m.level_id;
