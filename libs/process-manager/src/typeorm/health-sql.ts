/**
 * The health indicator's figures in one statement: each sub-select walks an index and stops at its
 * first row (pm_outbox_pending_created_idx, pm_timer_due_idx), except the count of open dead letters,
 * which reads pm_dead_letter: open failures only (resolved ones move to pm_dead_letter_resolved).
 * $1 now; $2, $3 the outbox scope and $4, $5 the timer scope as the claims take them (NULL: every row).
 */
export const HEALTH_FIGURES_SQL = `
SELECT
  (SELECT o.created_at FROM pm_outbox o
   WHERE o.dispatched_at IS NULL AND o.failed_at IS NULL
     AND ($2::text[] IS NULL OR (o.type = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM pm_process p WHERE p.id = o.process_id AND p.type <> ALL($3::text[]))))
   ORDER BY o.created_at
   LIMIT 1) AS oldest_pending_outbox_at,
  (SELECT t.due_at FROM pm_timer t
   WHERE t.due_at <= $1
     AND ($4::text[] IS NULL OR (t.process_type, t.message_type) IN (SELECT * FROM unnest($4::text[], $5::text[])))
   ORDER BY t.due_at
   LIMIT 1) AS oldest_due_timer_at,
  (SELECT count(*)::int FROM pm_dead_letter WHERE status = 'dead') AS open_dead_letters`;

export interface HealthFiguresRow {
  oldest_pending_outbox_at: Date | null;
  oldest_due_timer_at: Date | null;
  open_dead_letters: number;
}
