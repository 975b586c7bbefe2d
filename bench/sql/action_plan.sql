-- Scenario 2 in hand-written SQL: a review's action plan as at a past day. The review; the
-- plan's RAG counts on that day; its first 50 actions by the delivery date in force that day,
-- each with its status, delivery date and RAG then (from the histories), its latest update
-- and its changes of delivery date.
-- pgbench variables: reviews (array of ids), nreviews, asof.
\set i random(1, :nreviews)
SELECT title, reviewer, reported_on, status FROM reviews WHERE id = (:reviews::uuid[])[:i];
WITH at_day AS (
  SELECT a.id,
         (SELECT h.status FROM action_status_changes h
           WHERE h.action_id = a.id AND h.effective_on <= :asof::date
           ORDER BY h.effective_on DESC, h.id DESC LIMIT 1) AS status,
         COALESCE((SELECT h.new_due_on FROM due_date_changes h
           WHERE h.action_id = a.id AND h.effective_on <= :asof::date
           ORDER BY h.effective_on DESC, h.id DESC LIMIT 1), a.original_due_on) AS due
    FROM actions a
   WHERE a.review_id = (:reviews::uuid[])[:i] AND a.opened_on <= :asof::date)
SELECT COUNT(*) FILTER (WHERE status <> 'WITHDRAWN') AS total,
       COUNT(*) FILTER (WHERE status = 'COMPLETE') AS green,
       COUNT(*) FILTER (WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND due >= :asof::date) AS amber,
       COUNT(*) FILTER (WHERE status IN ('NOT_STARTED', 'IN_PROGRESS') AND due < :asof::date) AS red
  FROM at_day;
WITH at_day AS (
  SELECT a.id, a.title, a.owner, a.due_on,
         s.status, s.since,
         COALESCE((SELECT h.new_due_on FROM due_date_changes h
           WHERE h.action_id = a.id AND h.effective_on <= :asof::date
           ORDER BY h.effective_on DESC, h.id DESC LIMIT 1), a.original_due_on) AS due
    FROM actions a
    LEFT JOIN LATERAL (SELECT h.status, h.effective_on AS since FROM action_status_changes h
           WHERE h.action_id = a.id AND h.effective_on <= :asof::date
           ORDER BY h.effective_on DESC, h.id DESC LIMIT 1) s ON true
   WHERE a.review_id = (:reviews::uuid[])[:i] AND a.opened_on <= :asof::date
   ORDER BY due, a.id
   LIMIT 50)
SELECT p.id, p.title, p.owner, p.due_on, p.status, p.due,
       CASE WHEN p.status = 'COMPLETE' THEN p.since END AS completed_on,
       CASE WHEN p.status IS NULL OR p.status = 'WITHDRAWN' THEN NULL
            WHEN p.status = 'COMPLETE' THEN 'GREEN'
            WHEN p.due < :asof::date THEN 'RED' ELSE 'AMBER' END AS rag,
       u.as_at, u.narrative, u.percent_complete,
       (SELECT json_agg(json_build_object('previous', c.previous_due_on, 'new', c.new_due_on,
                                          'reason', c.reason, 'effective', c.effective_on)
                        ORDER BY c.effective_on, c.id)
          FROM due_date_changes c WHERE c.action_id = p.id) AS changes
  FROM at_day p
  LEFT JOIN LATERAL (SELECT as_at, narrative, percent_complete FROM progress_updates u
                      WHERE u.action_id = p.id ORDER BY u.as_at DESC, u.id DESC LIMIT 1) u ON true
 ORDER BY p.due, p.id;
